#!/usr/bin/python3
"""Smoke test of `adnet bench`: a tiny run (R50 `ad` at 65x49, 2 frames, random weights) whose
JSON must fit the schema, hold sane values, and count the FLOPs that the PyTorch restatement
of the released architecture counts (bench/adnet_flops.py, not adnet's numbers). Also bad
command lines. No speed is asserted.

usage: test_bench_smoke.py ADNET OUT_DIR   (OUT_DIR/adnet-65x49.json is kept for later tests)
"""

import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "bench"))

import adnet_flops  # noqa: E402
import bench_schema  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import checks  # noqa: E402
from checks import finish  # noqa: E402

MODEL, DEPTH, W, H = "ad", 50, 65, 49


def check(cond, what):
    return checks.check(cond, what, quiet=True)


def close(a, b, rel, abs_=0.0):
    return abs(a - b) <= abs_ + rel * max(abs(a), abs(b))


def run(adnet, *args):
    return subprocess.run([adnet, "bench", *args], capture_output=True, text=True, timeout=600)


def conv_weight_elements():
    """Elements of every convolution weight and bias the network uses (dsn excluded), from
    the reference: the least adnet's weight buffers can hold after folding BN into biases."""
    sys.path.insert(0, os.path.join(REPO, "tests", "reference"))
    import adnet_reference as ref
    import torch.nn as nn

    net = ref.ADNetReference(MODEL, DEPTH).to("meta")
    n = 0
    for name, m in net.named_modules():
        if isinstance(m, nn.Conv2d) and ".dsn." not in "." + name + ".":
            n += m.weight.numel() + m.out_channels  # every folded convolution has a bias
    return n


def check_errors(adnet, out):
    r = run(adnet, "--model", "nope")
    check(r.returncode == 2 and "--model" in r.stderr, "unknown model: exit 2 naming --model")
    r = run(adnet, "--frames", "0")
    check(r.returncode == 2 and "--frames" in r.stderr, "--frames 0: exit 2")
    r = run(adnet, "--size", "65by49")
    check(r.returncode == 2 and "--size" in r.stderr, "bad --size: exit 2")
    missing = os.path.join(out, "missing.safetensors")
    r = run(adnet, "--weights", missing)
    check(r.returncode == 1 and "missing.safetensors" in r.stderr,
          "missing weights: exit 1 naming the file (%r)" % r.stderr.strip())
    bad_json = os.path.join(out, "no-such-dir", "x.json")
    r = run(adnet, "--json", bad_json, "--dry-run")
    check(r.returncode == 1 and "no-such-dir" in r.stderr and not os.path.exists(bad_json),
          "unwritable --json: exit 1 naming it, before measuring (%r)" % r.stderr.strip())


def check_document(doc, stdout):
    errors = bench_schema.validate(doc)
    check(not errors, "schema: %s" % "; ".join(errors[:5]))
    if errors:
        return
    check(doc["runtime"] == "adnet", "runtime is adnet")
    check(re.fullmatch(r"[0-9a-f]{7,40}|unknown", doc["git_commit"]) is not None,
          "git_commit looks like a commit: %r" % doc["git_commit"])
    check(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", doc["date"]) is not None, "ISO date")
    o = doc["options"]
    check((o["model"], o["backbone"], o["width"], o["height"], o["frames"]) ==
          (MODEL, DEPTH, W, H, 2), "options echo the command line")
    check(len(doc["results"]) >= 1, "at least one device")
    for text in ("steady state", "where the time goes", "layer group", "slowest steps"):
        check(text in stdout, "the terminal table has '%s'" % text)

    want = adnet_flops.count_macs(MODEL, DEPTH, W, H)
    for r in doc["results"]:
        dev = r["device"]["name"]
        m = r["model"]
        check((m["kind"], m["depth"], m["embed"], m["width"], m["height"]) ==
              (MODEL, DEPTH, 128, W, H), "%s: model block" % dev)
        check((m["feature_height"], m["feature_width"]) ==
              (want["feature_height"], want["feature_width"]), "%s: feature size" % dev)
        for k in ("features_macs", "attention_macs", "classifier_macs", "frame_macs",
                  "released_loop_macs"):
            check(r["flops"][k] == want[k], "%s: flops.%s %s, independent count %s"
                  % (dev, k, r["flops"][k], want[k]))

        peak = r["peak"]
        check(peak["fma_gflops"] and peak["fma_gflops"] > 0, "%s: FMA peak measured" % dev)
        check(peak["sgemm_gflops"] and peak["sgemm_gflops"] > 0, "%s: SGEMM peak" % dev)
        check(peak["fma_kernel"] in ("peak_fma_f32", "peak_fma_f32x16"), "%s: FMA kernel" % dev)
        # the engine named the same way in the profile, the peak's label and the terminal
        label = {"adnet": "adnet GEMM", "onednn": "oneDNN SGEMM", "clblast": "CLBlast SGEMM"}
        backend = r.get("gemm_backend")
        check(backend in label and "(gemm %s" % backend in r.get("device_profile", "") and
              peak["sgemm_kind"] == label[backend] and
              "device profile: " + r["device_profile"] in stdout,
              "%s: engine %s in device_profile, sgemm_kind and the terminal" % (dev, backend))

        for mode, macs in (("anchor_cached", want["frame_macs"]),
                           ("anchor_recomputed", want["released_loop_macs"])):
            t = r["steady"][mode]
            check(t["frames"] == 2, "%s: %s frames" % (dev, mode))
            check(0 < t["min_s"] <= t["median_s"] <= t["max_s"], "%s: %s min <= median <= max"
                  % (dev, mode))
            check(t["min_s"] <= t["s_per_frame"] <= t["max_s"], "%s: %s mean in range"
                  % (dev, mode))
            check(close(t["fps"] * t["s_per_frame"], 1.0, 1e-9), "%s: %s fps = 1 / s" % (dev, mode))
            check(t["macs"] == macs, "%s: %s macs" % (dev, mode))
            check(close(t["gflops"], 2 * macs / t["s_per_frame"] / 1e9, 1e-9),
                  "%s: %s GFLOP/s = 2 MACs / s" % (dev, mode))
            check(close(t["pct_fma_peak"], 100 * t["gflops"] / peak["fma_gflops"], 1e-9),
                  "%s: %s share of the FMA peak" % (dev, mode))

        p = r["profile"]
        cached = r["steady"]["anchor_cached"]
        check(p["runs"] == 2 and p["reordered_events"] == 0, "%s: profile of 2 runs, in order"
              % dev)
        check(close(p["wall_s"], cached["s_per_frame"], 1e-9),
              "%s: the profile's wall time is the cached frames' mean" % dev)
        # the per-step times tile the device span exactly (in-order queue), and the device
        # span fits in the wall-clock frame
        steps = p["steps"]
        groups = {g["name"]: g for g in p["groups"]}
        step_sum = sum(s["s"] for s in steps) + groups["transfers"]["s"]
        check(close(step_sum, p["device_s"], 1e-6, 1e-9),
              "%s: steps + transfers %.6f s = device span %.6f s" % (dev, step_sum, p["device_s"]))
        check(0.5 * p["wall_s"] <= p["device_s"] <= 1.02 * p["wall_s"] + 2e-3,
              "%s: device span %.4f s within the frame's wall time %.4f s"
              % (dev, p["device_s"], p["wall_s"]))
        check(close(sum(g["s"] for g in p["groups"]), p["wall_s"], 1e-6, 1e-9),
              "%s: groups incl. host add up to the wall time" % dev)
        check(close(sum(x["s"] for x in p["roles"]), p["device_s"], 1e-6, 1e-9),
              "%s: kernel roles add up to the device span" % dev)
        check(close(sum(x["s"] for x in p["kinds"]), p["device_s"], 1e-6, 1e-9),
              "%s: op kinds add up to the device span" % dev)
        check(all(s["s"] >= 0 for s in steps) and sum(s["s"] > 0 for s in steps) >= len(steps) // 2,
              "%s: step times non-negative, most positive" % dev)
        check(sum(s["macs"] for s in steps) == want["frame_macs"], "%s: step MACs add up" % dev)
        for name, macs in want["groups"].items():
            got = groups.get(name, {"macs": 0})["macs"]
            check(got == macs, "%s: group %s MACs %s, independent count %s"
                  % (dev, name, got, macs))
        roles = {x["name"]: x for x in p["roles"]}
        check(roles["gemm"]["s"] > 0 and roles["gemm"]["macs"] ==
              want["frame_macs"] - want["attention_macs"], "%s: GEMM role" % dev)
        check(roles["attention"]["macs"] == want["attention_macs"], "%s: attention role" % dev)
        a = r["anchor_profile"]
        check(a is not None and a["runs"] == 2 and a["device_s"] > 0, "%s: anchor profile" % dev)

        ff = r["first_frame"]
        for which, from_cache in (("cold", False), ("warm", True)):
            f = ff[which]
            check(f is not None, "%s: %s first frame measured" % (dev, which))
            if f is None:
                continue
            parts = f["open_s"] + f["weights_s"] + f["prepare_s"] + f["anchor_s"] + f["frame_s"]
            check(all(f[k] >= 0 for k in ("open_s", "weights_s", "prepare_s", "anchor_s",
                                          "frame_s")) and f["frame_s"] > 0,
                  "%s: %s first-frame parts non-negative" % (dev, which))
            check(close(parts, f["total_s"], 1e-3, 1e-4), "%s: %s parts add up" % (dev, which))
            check(f["process_s"] >= f["total_s"], "%s: %s process outlasts the measurement"
                  % (dev, which))
            check(f["program_from_cache"] == from_cache,
                  "%s: %s cache: adnet's program %s" % (dev, which,
                                                         "cached" if from_cache else "built"))
            check(f["peak_rss_bytes"] > 0, "%s: %s child RSS" % (dev, which))

        mem = r["memory"]
        check(mem["device_peak_bytes"] >= mem["weight_bytes"] + mem["arena_bytes"] +
              mem["anchor_bytes"], "%s: device peak holds weights, arena and anchor" % dev)
        check(mem["weight_bytes"] >= 4 * conv_weight_elements(),
              "%s: weight bytes %d hold every folded convolution (%d floats)"
              % (dev, mem["weight_bytes"], conv_weight_elements()))
        check(mem["anchor_bytes"] == 4 * 128 * want["feature_height"] * want["feature_width"],
              "%s: anchor bytes" % dev)
        check(mem["host_peak_rss_bytes"] > 0, "%s: host RSS" % dev)
        hp = r["host_per_frame"]
        check(hp["preprocess_s"] > 0 and hp["postprocess_s"] > 0, "%s: host steps timed" % dev)


def main():
    adnet, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    check_errors(adnet, out)
    path = os.path.join(out, "adnet-%dx%d.json" % (W, H))
    if os.path.exists(path):
        os.remove(path)
    r = run(adnet, "--backbone", str(DEPTH), "--model", MODEL, "--size", "%dx%d" % (W, H),
            "--frames", "2", "--warmup", "1", "--peak-gemm", "256", "--peak-seconds", "0.2",
            "--json", path)
    sys.stdout.write(r.stdout)
    sys.stderr.write(r.stderr)
    check(r.returncode == 0, "adnet bench exits 0 (got %d)" % r.returncode)
    if r.returncode == 0:
        with open(path) as f:
            check_document(json.load(f), r.stdout)
    return finish("bench_smoke")


if __name__ == "__main__":
    sys.exit(main())
