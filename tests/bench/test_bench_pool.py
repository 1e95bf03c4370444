#!/usr/bin/python3
"""`adnet bench --device LIST --together` (issue 10): a tiny run (R50 `ad` at 65x49, 2 frames per
device, random weights) on the CPU split in two. The JSON must fit the schema and hold a pool
whose frames add up, with each device's rate alone and the efficiency they give
(pool / sum alone, recomputed here); bench/compare shows the pool as a row. Bad command lines
are refused. No speed is asserted.

usage: test_bench_pool.py ADNET COMPARE OUT_DIR"""

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "bench"))
sys.path.insert(0, os.path.dirname(HERE))
import bench_schema  # noqa: E402
from checks import check, finish  # noqa: E402

adnet, compare, out = sys.argv[1:4]
os.makedirs(out, exist_ok=True)
path = os.path.join(out, "pool.json")
args = [adnet, "bench", "--device", "cpu/2", "--together", "--backbone", "50", "--size", "65x49",
        "--frames", "2", "--warmup", "1", "--no-peak", "--no-first-frame", "--json", path]
p = subprocess.run(args, capture_output=True, text=True, timeout=600)
check(p.returncode == 0, "adnet bench --together exits 0 (%d: %s)" % (p.returncode, p.stderr[-300:]))
doc = json.load(open(path)) if p.returncode == 0 else {}
check(not bench_schema.validate(doc), "the JSON fits the schema (%s)" % bench_schema.validate(doc)[:2])
pools = doc.get("pools") or [{}]
pool = pools[0]
check(len(pools) == 1 and len(pool.get("devices", [])) == 2, "one pool of the two halves")
check(len(doc.get("results", [])) == 2 and
      all("part" in r["device"]["name"] for r in doc.get("results", [])),
      "each half measured alone, named as a part")
check(pool.get("frames") == 4 and sum(pool.get("frames_per_device", [])) == 4,
      "the pool's timed frames (2 per device) add up (%s)" % pool.get("frames_per_device"))
alone = [1.0 / r["steady"]["anchor_cached"]["s_per_frame"] for r in doc.get("results", [])]
check(all(abs(a - b) <= 1e-6 * b for a, b in zip(alone, pool.get("alone_fps", []))),
      "alone_fps is each device's own anchor-cached rate")
s = sum(pool.get("alone_fps", [0]))
check(pool.get("fps", 0) > 0 and abs(pool.get("efficiency", -1) - pool["fps"] / s) <= 1e-9,
      "efficiency = pool fps / sum alone (%.3f)" % pool.get("efficiency", -1))
check(abs(pool.get("fps", 0) - pool.get("frames", 0) / max(pool.get("seconds", 1), 1e-9)) < 1e-6,
      "fps = frames / seconds")
check("pool of 2 devices" in p.stdout and "efficiency" in p.stdout, "the table shows the pool")
md = os.path.join(out, "pool.md")
c = subprocess.run(["/usr/bin/python3", compare, path, "--markdown", md], capture_output=True,
                   text=True)
check(c.returncode == 0 and "one pool" in open(md).read() and "part 1 of 2 + " in open(md).read(),
      "bench/compare shows the pool as a row")
for bad, what in [(["--device", "0", "--together"], "--together on one device"),
                  (["--device", "cpu/2", "--together", "--dry-run"], "--together with --dry-run")]:
    p = subprocess.run([adnet, "bench", *bad], capture_output=True, text=True)
    check(p.returncode == 2, "%s is a usage error (exit %d)" % (what, p.returncode))
sys.exit(finish("test_bench_pool"))
