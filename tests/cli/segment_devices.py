"""adnet segment over several devices at once (issue 10), on a generated DAVIS tree of three
videos: the masks and logits of a multi-device run against a single-device run's, every frame's
device recorded and every device used; each ADNET_FAULT mode on one device (the run goes on:
exit 0, every frame written, the same masks, a warning naming the device); faults on every
device (exit 3, finished videos complete, nothing half-written); device lists that name
nothing, a device twice or a split the device cannot give (exit 2, the devices listed).

Usage: segment_devices.py ADNET CASE_DIR WORK_DIR DEVICE_LIST
  DEVICE_LIST: the devices to share the run (e.g. cpu/2, or every with POCL_DEVICES="pthread
  basic"); the single-device run uses device 0."""
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import segment_pipeline as sp  # noqa: E402  (run, check, make_davis, read_gray, ...)

adnet, case, work, devices = sys.argv[1:5]
weights = os.path.join(case, "weights.safetensors")
os.makedirs(work, exist_ok=True)
root = os.path.join(work, "davis")
videos = sp.make_davis(case, root)
frames_total = sum(len(v) for v in videos.values())


def segment(out, device, env=None, expect=0):
    shutil.rmtree(out, ignore_errors=True)
    return sp.run(adnet, ["--weights", weights, "--davis", root, "--videos", "all", "--out", out,
                          "--size", sp.SIZE, "--save-logits", "--device", device],
                  env=env, expect=expect)


def masks_of(out):
    return {os.path.relpath(p, out): sp.read_gray(p)
            for p in sorted(glob.glob(os.path.join(out, "masks", "*", "*.png")))}


def compare(label, out, ref_out):
    """Masks identical to the reference run's, but for pixels at the threshold (devices may
    round differently); logits within float noise."""
    ours, ref = masks_of(out), masks_of(ref_out)
    sp.check(sorted(ours) == sorted(ref) and len(ours) == frames_total,
             "%s: every frame written (%d of %d)" % (label, len(ours), frames_total))
    worst = 0.0
    for name in sorted(ref):
        lo = name.replace("masks", "logits").replace(".png", ".npy")
        a, b = np.load(os.path.join(out, lo)), np.load(os.path.join(ref_out, lo))
        worst = max(worst, float(np.abs(a - b).max() / max(np.ptp(b), 1e-6)))
    sp.check(worst <= 1e-4, "%s: logits within float noise of the reference (worst %.2g of the "
             "range)" % (label, worst))
    differ = sum(int(np.count_nonzero(ours[n] != ref[n])) for n in ref if n in ours)
    pixels = sum(m.size for m in ref.values())
    sp.check(differ <= pixels * 1e-3, "%s: masks equal the reference's (%d of %d pixels differ)"
             % (label, differ, pixels))


def device_use(out):
    """Units per device over the run, from the summaries; checks every frame names its device."""
    units, named = {}, True
    for path in glob.glob(os.path.join(out, "summary", "*.json")):
        with open(path) as f:
            s = json.load(f)
        named &= all(isinstance(fr.get("device"), int) and fr["device"] >= 0
                     for fr in s["per_frame"])
        for d in s["devices"]:
            units[d["index"]] = units.get(d["index"], 0) + d["units"]
    return units, named


one = os.path.join(work, "one")
segment(one, "0")
multi = os.path.join(work, "multi")
p = segment(multi, devices)
compare("several devices", multi, one)
units, named = device_use(multi)
sp.check(named, "every frame records the device that computed it")
# ADNET_TEST_UNEVEN_DEVICES (the driver tier sets it for Intel's OpenCL CPU runtime, whose
# second half of cpu/2 runs a unit in about twice the first half's time and may open after a
# run this short is over): every frame computed somewhere is all that is required of the split;
# the scheduler rightly leaves a device idle that would finish later
uneven = os.environ.get("ADNET_TEST_UNEVEN_DEVICES", "") not in ("", "0")
if uneven:
    sp.check(sum(units.values()) == frames_total and len(units) >= 1,
             "the devices computed every frame between them (%s; an uneven split allowed)" % units)
else:
    sp.check(len(units) >= 2 and all(u > 0 for u in units.values()),
             "every device computed frames (%s)" % units)
sp.check_temp_files(multi)

# a fault on one device: the run goes on without it. An error at the second device's first
# unit (at the busiest's where the split may be uneven); a hang at the second unit of the device that computed the most in the run above (before
# a device's first unit is measured the watchdog waits WATCHDOG_FIRST_S; a slower device may get
# only one or two units in all, as the second half of the CPU does under Intel's OpenCL
# runtime); a slow device from its second unit.
busiest = max(units, key=units.get) if units else 0
for mode, dev, after in [("error", busiest if uneven else 1, 0), ("hang", busiest, 1),
                         ("slow", 1, 1)]:
    out = os.path.join(work, "fault-" + mode)
    # where the split may be uneven, the faulted half can get no unit at all in a run this
    # short (under load, Intel's second half opens after the others finished): then there was
    # nothing to fault, and the run is made again (at most three times)
    for attempt in range(3 if uneven and mode != "slow" else 1):
        if attempt:
            shutil.rmtree(out)
        p = segment(out, devices, env={"ADNET_FAULT": "%d:%d:%s" % (dev, after, mode)})
        if "retired" in p.stderr:
            break
    compare("ADNET_FAULT %s" % mode, out, one)
    sp.check_temp_files(out)
    if mode != "slow":
        sp.check("retired" in p.stderr and "warning" in p.stderr,
                 "ADNET_FAULT %s: a warning names the retired device" % mode)
        with open(glob.glob(os.path.join(out, "summary", "*.json"))[-1]) as f:
            states = [d["state"] for d in json.load(f)["devices"]]
        sp.check(states[1 - dev] == "ok" and states[dev] != "ok",
                 "ADNET_FAULT %s: summary.json gives the device's state (%s)" % (mode, states))

# every device fails: exit 3, what is finished is complete, nothing half-written
out = os.path.join(work, "fault-all")
p = segment(out, devices, env={"ADNET_FAULT": "0:4:error;1:4:error"}, expect=3)
sp.check("every device failed" in p.stderr, "all devices lost: the message says so")
done = [os.path.splitext(os.path.basename(s))[0]
        for s in glob.glob(os.path.join(out, "summary", "*.json"))]
for v in done:
    n = len(glob.glob(os.path.join(out, "masks", v, "*.png")))
    sp.check(n == len(videos[v]), "all devices lost: finished video %s is complete (%d of %d "
             "masks)" % (v, n, len(videos[v])))
sp.check(len(done) < len(videos), "all devices lost: the run stopped early (%d of %d videos)"
         % (len(done), len(videos)))
sp.check_temp_files(out)

# --resume: a run killed mid-way (SIGKILL, slowed so that it is caught in the middle), then
# resumed: the outputs equal an uninterrupted run's, and finished videos are not recomputed
out = os.path.join(work, "resume")
shutil.rmtree(out, ignore_errors=True)
cmd = [adnet, "segment", "--weights", weights, "--davis", root, "--videos", "all", "--out", out,
       "--size", sp.SIZE, "--save-logits", "--device", "0", "--quiet"]
proc = subprocess.Popen(cmd, env=dict(os.environ, ADNET_FAULT="0:0:slow"),
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
deadline = time.time() + 300
while time.time() < deadline and proc.poll() is None and \
        not glob.glob(os.path.join(out, "summary", "*.json")):
    time.sleep(0.05)
proc.send_signal(signal.SIGKILL)
proc.wait()
finished = sorted(glob.glob(os.path.join(out, "summary", "*.json")))
sp.check(0 < len(finished) < len(videos), "--resume: the run was killed after %d of %d videos"
         % (len(finished), len(videos)))
kept = {f: os.stat(f).st_mtime_ns for v in finished
        for f in glob.glob(os.path.join(out, "*", os.path.splitext(os.path.basename(v))[0], "*"))}
kept.update({f: os.stat(f).st_mtime_ns for f in finished})
p = sp.run(adnet, [a for a in cmd[2:] if a != "--quiet"] + ["--resume"])
sp.check("already complete" in p.stderr, "--resume: says which videos it skips")
compare("--resume after SIGKILL", out, one)
sp.check(all(os.stat(f).st_mtime_ns == t for f, t in kept.items()),
         "--resume: the %d files of the finished videos were not rewritten" % len(kept))
sp.check_temp_files(out)

# two processes on the same outputs: every file is whole and right
out = os.path.join(work, "twice")
shutil.rmtree(out, ignore_errors=True)
cmd = [adnet, "segment", "--weights", weights, "--davis", root, "--videos", "all", "--out", out,
       "--size", sp.SIZE, "--save-logits", "--device", "0", "--quiet"]
procs = [subprocess.Popen(cmd, stdout=subprocess.DEVNULL) for _ in range(2)]
sp.check(all(q.wait() == 0 for q in procs), "two processes on one output folder both succeed")
compare("two processes on one output folder", out, one)
sp.check_temp_files(out)

# device lists that cannot be: usage errors naming the devices
for spec, words in [("no-such-device", "no OpenCL device matches"), ("0,0", "twice"),
                    ("cpu/64", "do not split")]:
    p = segment(os.path.join(work, "bad"), spec, expect=2)
    sp.check(words in p.stderr and "[0]" in p.stderr,
             "--device %s: exit 2, says '%s' and lists the devices" % (spec, words))

if sp.failures:
    print("%d check(s) failed" % len(sp.failures))
    sys.exit(1)
print("all checks passed")
