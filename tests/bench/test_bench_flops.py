#!/usr/bin/python3
"""FLOP counts of `adnet bench --dry-run` (the plan adnet runs, nothing timed) for R101 `ad`
at 857x481: against the spec ("Compute": about 499 G multiply-adds for one feature
extraction, plus 4 x M^2 x E = 22.2 G for the two attention branches at M = 61 x 108, E = 128)
and, exactly, against the count from the PyTorch restatement of the released architecture
(bench/adnet_flops.py). Also the same for R50 `inter` at an odd size.

usage: test_bench_flops.py ADNET OUT_DIR
"""

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "bench"))

import adnet_flops  # noqa: E402
import bench_schema  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from checks import check, finish  # noqa: E402




def dry_run(adnet, out, model, depth, size):
    path = os.path.join(out, "dry-%s-r%d-%s.json" % (model, depth, size))
    r = subprocess.run([adnet, "bench", "--dry-run", "--model", model, "--backbone", str(depth),
                        "--size", size, "--json", path], capture_output=True, text=True,
                       timeout=300)
    sys.stderr.write(r.stderr)
    if r.returncode != 0:
        check(False, "adnet bench --dry-run %s R%d %s exits 0" % (model, depth, size))
        return None
    with open(path) as f:
        doc = json.load(f)
    errors = bench_schema.validate(doc)
    check(not errors, "dry-run JSON fits the schema %s" % "; ".join(errors[:3]))
    check(doc["options"]["dry_run"] is True, "options.dry_run")
    res = doc["results"][0]
    check(res["steady"] is None and res["profile"] is None, "nothing timed in a dry run")
    return res


def main():
    adnet, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    res = dry_run(adnet, out, "ad", 101, "857x481")
    if res:
        f = res["flops"]
        m = 61 * 108
        spec_attention = 4 * m * m * 128
        check(abs(f["features_macs"] - 499e9) <= 0.005 * 499e9,
              "feature extractor %.2f G MACs, spec about 499 G" % (f["features_macs"] / 1e9))
        check(f["attention_macs"] == spec_attention,
              "attention %.3f G MACs = 4 M^2 E = %.3f G (spec 22.2 G)"
              % (f["attention_macs"] / 1e9, spec_attention / 1e9))
        check(abs(f["attention_macs"] - 22.2e9) <= 0.005 * 22.2e9, "attention about 22.2 G")
        check(f["released_loop_macs"] == 2 * f["features_macs"] + f["attention_macs"] +
              f["classifier_macs"], "released loop = 2 extractions + attention + classifier")
        check((res["model"]["feature_height"], res["model"]["feature_width"]) == (61, 108),
              "feature map 61 x 108")
    cases = [("ad", 101, "857x481", res), ("inter", 50, "99x67", None)]
    for model, depth, size, res in cases:
        res = res or dry_run(adnet, out, model, depth, size)
        if not res:
            continue
        w, h = (int(v) for v in size.split("x"))
        want = adnet_flops.count_macs(model, depth, w, h)
        for k in ("features_macs", "attention_macs", "classifier_macs", "frame_macs",
                  "released_loop_macs"):
            check(res["flops"][k] == want[k], "%s R%d %s: %s %d = independent count %d"
                  % (model, depth, size, k, res["flops"][k], want[k]))
    # the multiply-adds adnet computes: without Winograd, exactly the taps of the kernel rows
    # that read inside the input, row by row (im2col's chunks never cross a band of rows that
    # leave out the same kernel rows), counted independently; with it, fewer
    os.environ["ADNET_WINOGRAD"] = "off"
    plain = dry_run(adnet, out, "ad", 101, "321x177")
    del os.environ["ADNET_WINOGRAD"]
    wino = dry_run(adnet, out, "ad", 101, "321x177")
    if plain and wino:
        # oneDNN's engine runs the ASPP and the strided 3x3s as oneDNN's convolution (every
        # padded tap left out)
        counts = adnet_flops.count_macs("ad", 101, 321, 177)
        onednn = plain.get("gemm_backend") == "onednn"
        want = counts["onednn_engine_frame_macs" if onednn else "rows_in_bounds_frame_macs"]
        got = plain["flops"]["frame_executed_macs"]
        check(got == want, "executed MACs without Winograd %d = the %s %d"
              % (got, "taps in bounds (ASPP, strided 3x3s) and rows in bounds (others)" if onednn
                 else "rows in bounds", want))
        if onednn:
            check(want < counts["rows_in_bounds_frame_macs"],
                  "oneDNN's convolution leaves out more than the rows")
        nominal, executed = wino["flops"]["frame_macs"], wino["flops"]["frame_executed_macs"]
        check(0 < executed < got < nominal,
              "executed with Winograd %d < without %d < nominal %d" % (executed, got, nominal))
    # in-bounds taps, hand-counted: a 3-tap dilation-36 axis of 61 (ASPP conv4 at 857x481):
    # the centre tap always, the outer taps for 61 - 36 = 25 positions each
    check(adnet_flops.in_bounds_taps(61, 61, 3, 1, 36, 36) == 61 + 25 + 25,
          "in-bounds taps, dilation 36 on 61")
    # conv1: 3 taps, stride 2, pad 1 on 481 -> 241 outputs, input index 2 o - 1 + t: the first
    # output's first tap reads index -1, the last output's last tap index 481, both padding
    check(adnet_flops.in_bounds_taps(481, 241, 3, 2, 1, 1) == 3 * 241 - 2,
          "in-bounds taps, stride 2 pad 1 on 481")
    return finish("bench_flops")


if __name__ == "__main__":
    sys.exit(main())
