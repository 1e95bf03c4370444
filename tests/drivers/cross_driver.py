#!/usr/bin/python3
"""Two OpenCL drivers of one CPU, side by side (PoCL and Intel's OpenCL CPU runtime; the driver
tier's icd-all folder is OCL_ICD_VENDORS):
- `adnet devices` lists both, with one chip; `--resolve all --json` gives one CPU;
- R101 `ad` in the cpu and the gpu profile: each driver's logits within 1e-5 of their range of
  the other's, and the same masks (but for pixels whose logit is within that of the threshold);
- `--device P,I` (both named) runs with a warning that they share the chip, and its masks equal
  one driver's.
Exit 77 (skipped) with the reason when Intel's runtime is not installed here.
Usage: cross_driver.py ADNET CASE_DIR WxH WORK_DIR DRIVERS_DIR"""

import glob
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import cv2

ADNET, CASE, SIZE, WORK, DRIVERS = sys.argv[1:6]
TOL = 1e-5
failures = 0


def check(cond, what):
    global failures
    print(("ok      " if cond else "FAILED  ") + what, flush=True)
    failures += 0 if cond else 1


unavailable = os.path.join(DRIVERS, "unavailable")
if os.path.exists(unavailable) or not os.path.isdir(os.path.join(DRIVERS, "icd-all")):
    why = open(unavailable).read().strip() if os.path.exists(unavailable) else \
        "tests/drivers/setup.sh has not run (make test-drivers runs it)"
    print("skipped: Intel's OpenCL CPU runtime is not available: " + why)
    sys.exit(77)

env = dict(os.environ, OCL_ICD_VENDORS=os.path.join(DRIVERS, "icd-all"))
for k in ("ADNET_DEVICE", "ADNET_TEST_DEVICES", "ADNET_PROFILE"):
    env.pop(k, None)


def run(args, extra_env=None, expect=0):
    p = subprocess.run([ADNET] + args, capture_output=True, text=True,
                       env=dict(env, **(extra_env or {})))
    if p.returncode != expect:
        print(p.stdout[-2000:], p.stderr[-2000:])
    check(p.returncode == expect, "adnet %s: exit %d (got %d)" % (" ".join(args[:1] + args[-2:]),
                                                                 expect, p.returncode))
    return p


devices = json.loads(run(["devices", "--json"]).stdout)["devices"]
pocl = [d for d in devices if d["type"] == "cpu" and "Portable" in d["platform"]]
intel = [d for d in devices if d["type"] == "cpu" and d["platform"] == "Intel(R) OpenCL"]
check(len(pocl) == 1 and len(intel) == 1, "both drivers list the CPU (PoCL %d, Intel %d)"
      % (len(pocl), len(intel)))
if failures:
    sys.exit(1)
P, I = pocl[0], intel[0]
check(P["chip"] == I["chip"] and P["chip"].startswith("host CPU "),
      "one chip: '%s' and '%s'" % (P["chip"], I["chip"]))
kept = P if P["in_all"] else I
left = I if kept is P else P
check(kept["in_all"] != left["in_all"] and left["chip_device"] == kept["index"] and
      ("same chip as [%d]" % kept["index"]) in left["chip_note"],
      "one stands for the chip, the other names it: %s" % left["chip_note"])
table = run(["devices"]).stdout
check("left out of \"all\"" in table, "the table says which device was left out")
res = json.loads(run(["devices", "--resolve", "all", "--json"]).stdout)["resolved"]
cpus = [r for r in res if r["chip"] == P["chip"]]
check(len(cpus) == 1 and cpus[0]["index"] == kept["index"],
      "--resolve all --json lists one CPU: [%s]" % ", ".join(str(r["index"]) for r in cpus))

# profiles and tuning entries are per driver: the same profile, two entries (their keys hold the
# platform and the driver version)
check(P["profile"]["name"] == I["profile"]["name"] == "cpu", "both drivers get the cpu profile")
tune_p = [w for w in P["profile"]["tuning"].split() if "tune-" in w]
tune_i = [w for w in I["profile"]["tuning"].split() if "tune-" in w]
check(tune_p and tune_i and tune_p != tune_i,
      "each driver has its own tuning entry (%s, %s)" % (tune_p, tune_i))

weights = os.path.join(CASE, "weights.safetensors")
frames = os.path.join(CASE, "frames")
shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)


def segment(name, device, profile):
    out = os.path.join(WORK, name)
    p = run(["segment", "--weights", weights, "--frames", frames, "--size", SIZE,
             "--save-logits", "--quiet", "--device", device, "--out", out],
            {"ADNET_PROFILE": profile})
    return out, p


def outputs(out):
    names = sorted(os.path.basename(f)[:-4] for f in glob.glob(os.path.join(out, "logits",
                                                                             "*.npy")))
    return {n: (np.load(os.path.join(out, "logits", n + ".npy")),
                cv2.imread(os.path.join(out, "masks", n + ".png"), cv2.IMREAD_GRAYSCALE))
            for n in names}


def compare(label, a_out, b_out):
    a, b = outputs(a_out), outputs(b_out)
    check(sorted(a) == sorted(b) and len(a) > 0, "%s: the same frames (%d)" % (label, len(a)))
    worst, differ = 0.0, 0
    for n in sorted(b):
        la, lb = a[n][0], b[n][0]
        rng = max(float(lb.max() - lb.min()), 1e-12)
        worst = max(worst, float(np.abs(la - lb).max()) / rng)
        # a mask pixel may differ only where the logit is within the tolerance of 0 (the
        # threshold 0.5 on the sigmoid); masks are at frame size, logits at the network's, so
        # compare masks where both drivers agree clearly
        ma, mb = a[n][1], b[n][1]
        differ += int(np.count_nonzero(ma != mb))
    check(worst <= TOL, "%s: logits within %g of their range (worst %.3g)" % (label, TOL, worst))
    total = sum(v[1].size for v in b.values())
    check(differ <= total * 1e-4, "%s: masks equal (%d of %d pixels differ)" % (label, differ,
                                                                               total))


for profile in ("cpu", "gpu"):
    p_out, _ = segment("pocl-" + profile, str(P["index"]), profile)
    i_out, _ = segment("intel-" + profile, str(I["index"]), profile)
    compare("R101 ad, %s profile, Intel against PoCL" % profile, i_out, p_out)

both_out, p = segment("both", "%d,%d" % (P["index"], I["index"]), "cpu")
check("same chip" in p.stderr and "warning" in p.stderr,
      "both named: a warning that they share the chip (%s)" % p.stderr.strip()[:300])
summaries = glob.glob(os.path.join(both_out, "summary*.json")) + \
    glob.glob(os.path.join(both_out, "summary", "*.json"))
check(len(summaries) > 0, "a summary was written")
compare("both drivers named, against PoCL alone", both_out, os.path.join(WORK, "pocl-cpu"))
# the measured choice: both drivers tuned (a tiny size, a short budget, two whole frames each)
# into a cache of their own; the device that stands for the chip is the one whose frame was
# faster, as `adnet tune --json` reports the frames
cache = os.path.join(WORK, "tune-cache")
tune_json = os.path.join(WORK, "tune.json")
run(["tune", "--device", "%d,%d" % (P["index"], I["index"]), "--size", "65x49", "--budget", "2",
     "--frames", "2", "--quiet", "--json", tune_json], {"ADNET_CACHE_DIR": cache})
frames_ms = {}
for d in json.load(open(tune_json))["devices"]:
    frames_ms[d["index"]] = d.get("frame_ms", -1)
check(all(v > 0 for v in frames_ms.values()) and len(frames_ms) == 2,
      "adnet tune timed a whole frame on each driver (%s)" % frames_ms)
after = json.loads(run(["devices", "--json"], {"ADNET_CACHE_DIR": cache}).stdout)["devices"]
faster = min(frames_ms, key=frames_ms.get)
kept2 = [d for d in after if d["chip"] == P["chip"] and d["in_all"]]
left2 = [d for d in after if d["chip"] == P["chip"] and not d["in_all"]]
check(len(kept2) == 1 and kept2[0]["index"] == faster and len(left2) == 1 and
      "measured by adnet tune (a frame of ad R101 65x49" in left2[0]["chip_note"],
      "the faster driver by adnet tune's frames stands for the chip: %s"
      % (left2[0]["chip_note"] if left2 else after))
sys.exit(1 if failures else 0)
