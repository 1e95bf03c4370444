#!/usr/bin/python3
"""`adnet bench --weights FILE`: the architecture comes from the file (a fidelity case's R50
`ad` weights), its FLOPs are the independent count's, and a --backbone that contradicts the
file is one clear error, before anything is measured.

usage: test_bench_weights.py ADNET WEIGHTS OUT_DIR
"""

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "bench"))

import adnet_flops  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from checks import check, finish  # noqa: E402




def main():
    adnet, weights, out = sys.argv[1:4]
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "weights-dry.json")
    r = subprocess.run([adnet, "bench", "--weights", weights, "--size", "100x75", "--dry-run",
                        "--json", path], capture_output=True, text=True, timeout=300)
    sys.stderr.write(r.stderr)
    check(r.returncode == 0, "dry run with a weights file exits 0")
    if r.returncode == 0:
        doc = json.load(open(path))
        res = doc["results"][0]
        check(doc["options"]["weights"] == weights and doc["options"]["backbone"] is None,
              "options name the file, backbone from it")
        check((res["model"]["kind"], res["model"]["depth"]) == ("ad", 50), "ad R50 from the file")
        want = adnet_flops.count_macs("ad", 50, 100, 75)
        check(res["flops"]["frame_macs"] == want["frame_macs"], "frame MACs = independent count")
    r = subprocess.run([adnet, "bench", "--weights", weights, "--backbone", "101", "--dry-run"],
                       capture_output=True, text=True, timeout=300)
    check(r.returncode == 1 and "ResNet-50" in r.stderr and "ResNet-101" in r.stderr
          and r.stderr.count("\n") == 1, "--backbone 101 on R50 weights: one clear line (%r)"
          % r.stderr)
    check("device" not in r.stdout, "nothing measured")
    return finish("bench_weights")


if __name__ == "__main__":
    sys.exit(main())
