#!/usr/bin/python3
"""`adnet devices` (table and --json) and --device errors, through the program itself.
Usage: devices_cli.py ADNET"""

import json
import os
import subprocess
import sys
import shutil
import tempfile

import numpy as np
import cv2

ADNET = sys.argv[1]
failures = 0


def check(cond, what):
    global failures
    print(("ok      " if cond else "FAILED  ") + what)
    failures += 0 if cond else 1


p = subprocess.run([ADNET, "devices", "--json"], capture_output=True, text=True)
check(p.returncode == 0, "devices --json exits 0")
devices = json.loads(p.stdout)["devices"]
check(len(devices) >= 1, "at least one device listed")
fields = {"index", "type", "platform", "vendor", "name", "driver_version", "device_version",
          "opencl_c_version", "compute_units", "clock_mhz", "global_mem_bytes",
          "max_alloc_bytes", "local_mem_bytes", "fp16", "default", "chip", "chip_device",
          "in_all", "chip_note"}
for i, d in enumerate(devices):
    check(fields <= set(d), f"device {i} has every field (missing {fields - set(d)})")
    check(d["index"] == i, f"device {i} index")
    check(d["type"] in ("cpu", "gpu", "accelerator", "other"), f"device {i} type {d['type']}")
    check(d["compute_units"] > 0 and d["global_mem_bytes"] > 0, f"device {i} sizes")
check(sum(d["default"] for d in devices) == 1, "exactly one default device")
check(all(d["in_all"] for d in devices if d["default"]), "the default stands for its chip")
# one device per chip: each chip's devices point at one of them, which points at itself
for d in devices:
    k = devices[d["chip_device"]]
    check(k["chip"] == d["chip"] and k["in_all"] and d["in_all"] == (k is d),
          f"device {d['index']} ({d['chip']}) stands for its chip or names the one that does")
    same = [e["index"] for e in devices if e["chip"] == d["chip"]]
    check((len(same) > 1) == bool(d["chip_note"]), f"device {d['index']}: a note where chips "
          f"are shared ({same}: '{d['chip_note']}')")

p = subprocess.run([ADNET, "devices"], capture_output=True, text=True)
check(p.returncode == 0, "devices exits 0")
for d in devices:
    check(f"[{d['index']}] {d['name']}" in p.stdout, f"table lists [{d['index']}] {d['name']}")
    check(d["driver_version"] in p.stdout and d["platform"] in p.stdout,
          f"table shows driver and platform of {d['index']}")

# a spec that matches nothing: exit 1, one line listing every device
frames = tempfile.mkdtemp()
cv2.imwrite(os.path.join(frames, "00000.png"), np.zeros((8, 8, 3), np.uint8))
p = subprocess.run([ADNET, "segment", "--weights", "w", "--frames", frames, "--out",
                    os.path.join(frames, "out"), "--device", "no-such-device"],
                   capture_output=True, text=True)
lines = p.stderr.strip().splitlines()
check(p.returncode == 2, f"segment --device no-such-device exits 2 (got {p.returncode})")
check(len(lines) == 1 and "no-such-device" in lines[0], "one line naming the spec")
check(all(d["name"] in p.stderr for d in devices), "the message lists every device")
shutil.rmtree(frames)

# --resolve: what a device list gives; the CPU split in two; a device named twice
p = subprocess.run([ADNET, "devices", "--resolve", "all", "--json"], capture_output=True,
                   text=True)
res = json.loads(p.stdout)["resolved"] if p.returncode == 0 else []
check([r["index"] for r in res] == [d["index"] for d in devices if d["in_all"]],
      "--resolve all gives one device per chip, in order")
check(len({r["chip"] for r in res}) == len(res), "--resolve all: no chip twice")
p = subprocess.run([ADNET, "devices", "--resolve", "every", "--json"], capture_output=True,
                   text=True)
res = json.loads(p.stdout)["resolved"] if p.returncode == 0 else []
check([r["index"] for r in res] == [d["index"] for d in devices],
      "--resolve every gives every device in order")
shared = len({d["chip"] for d in devices}) < len(devices)
check(("same chip" in p.stderr) == shared and
      ("warning" in json.loads(p.stdout or "{}")) == shared,
      "--resolve every warns exactly when two devices share a chip (%s)" % p.stderr.strip())
cpu = [d for d in devices if d["type"] == "cpu"]
p = subprocess.run([ADNET, "devices", "--resolve", "cpu/2", "--json"], capture_output=True,
                   text=True)
res = json.loads(p.stdout)["resolved"] if p.returncode == 0 else []
check(len(res) == 2 and [r["part"] for r in res] == [0, 1] and
      all(r["parts"] == 2 for r in res) and
      sum(r["compute_units"] for r in res) <= max([d["compute_units"] for d in cpu] or [0]),
      "--resolve cpu/2: two halves of the CPU (%s)" % res)
p = subprocess.run([ADNET, "devices", "--resolve", "0,0"], capture_output=True, text=True)
check(p.returncode == 2 and "twice" in p.stderr, "--resolve 0,0: exit 2, one device named twice")

p = subprocess.run([ADNET, "devices", "--bogus"], capture_output=True, text=True)
check(p.returncode == 2, "an unknown option exits 2")
sys.exit(1 if failures else 0)
