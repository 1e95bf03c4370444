#!/usr/bin/python3
"""The checks of bench/soak.sh (docs/reliability.md).

    soak_check.py prune-masks TREE        writes TREE/Prune/<video>/<frame>.png (annotations
                                          dilated by 9 pixels: an instance mask holding the object)
    soak_check.py pick TREE N             N video names spread over the tree, one per line
    soak_check.py interrupted DIR         after a killed run: every output file under its final
                                          name decodes (prints one JSON line: complete files,
                                          temporaries left by the kill, undecodable files)
    soak_check.py report OUT VIDEOS FRAMES TRIALS
                                          every check of the soak; writes OUT/soak.json; exit 1 if
                                          any fails
"""
import csv
import json
import os
import sys

import cv2
import numpy as np

KINDS = {"masks": ".png", "heatmaps": ".png", "logits": ".npy", "overlays": ".jpg"}


def videos_of(tree):
    with open(os.path.join(tree, "ImageSets", "2016", "val.txt")) as f:
        return [l.strip() for l in f if l.strip()]


def frames_of(tree, video):
    d = os.path.join(tree, "JPEGImages", "480p", video)
    return sorted(os.path.splitext(f)[0] for f in os.listdir(d) if f.endswith(".jpg"))


def prune_masks(tree):
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (19, 19))
    for v in videos_of(tree):
        src = os.path.join(tree, "Annotations", "480p", v)
        dst = os.path.join(tree, "Prune", v)
        os.makedirs(dst, exist_ok=True)
        for f in sorted(os.listdir(src)):
            m = cv2.imread(os.path.join(src, f), cv2.IMREAD_GRAYSCALE)
            m = (cv2.dilate((m > 0).astype(np.uint8), kernel) * 255).astype(np.uint8)
            cv2.imwrite(os.path.join(dst, f), m)


def pick(tree, n):
    names = videos_of(tree)
    step = max(1, len(names) // n)
    for v in names[::step][:n]:
        print(v)


def decodes(path):
    """Whether an output file reads back whole."""
    try:
        if path.endswith(".npy"):
            a = np.load(path)
            return a.dtype == np.float32 and a.ndim == 3 and np.isfinite(a).all()
        img = cv2.imread(path, cv2.IMREAD_UNCHANGED)
        return img is not None and img.size > 0
    except (ValueError, OSError):
        return False


def scan(run):
    """(temporary files, files that do not decode, files that decode)"""
    temps, bad, good = [], [], 0
    for root, _, files in os.walk(run):
        for f in files:
            p = os.path.join(root, f)
            if ".tmp" in f:
                temps.append(p)
            elif f.endswith((".png", ".jpg", ".npy")):
                if decodes(p):
                    good += 1
                else:
                    bad.append(p)
            elif f.endswith(".json"):
                try:
                    with open(p) as fh:
                        json.load(fh)
                    good += 1
                except ValueError:
                    bad.append(p)
    return temps, bad, good


def interrupted(run):
    temps, bad, good = scan(run)
    print(json.dumps({"complete": good, "temporaries": len(temps), "undecodable": bad}))


def same_masks(a_root, b_root, videos, tree):
    """Videos whose masks differ between two runs (or are missing in either)."""
    differ = []
    for v in videos:
        for fr in frames_of(tree, v):
            a = os.path.join(a_root, "masks", v, fr + ".png")
            b = os.path.join(b_root, "masks", v, fr + ".png")
            if not (os.path.exists(a) and os.path.exists(b)):
                differ.append(v)
                break
            with open(a, "rb") as fa, open(b, "rb") as fb:
                if fa.read() != fb.read():
                    differ.append(v)
                    break
    return differ


def report(out, n_videos, n_frames, n_trials):
    tree, run = os.path.join(out, "tree"), os.path.join(out, "run")
    failures = []

    def check(ok, what):
        print("%s: %s" % ("ok" if ok else "FAIL", what))
        if not ok:
            failures.append(what)

    names = videos_of(tree)
    total = sum(len(frames_of(tree, v)) for v in names)
    # every output of every frame, decodable
    missing = 0
    for v in names:
        for fr in frames_of(tree, v):
            for kind, ext in KINDS.items():
                missing += not os.path.exists(os.path.join(run, kind, v, fr + ext))
        missing += not os.path.exists(os.path.join(run, "summary", v + ".json"))
    temps, bad, run_files = scan(run)
    check(missing == 0, "every output of the %d frames of %d videos is present (missing: %d)"
          % (total, len(names), missing))
    check(not temps and not bad, "every output decodes, no temporary left (%d files; %d bad, "
          "%d temporaries)" % (run_files, len(bad), len(temps)))
    # memory
    rows = []
    with open(os.path.join(out, "rss.csv")) as f:
        for r in csv.DictReader(f):
            rows.append((int(r["seconds"]), int(r["rss_kib"]), int(r["videos_done"])))
    if not rows:
        rows = [(0, 0, 0)]
        check(False, "the long run's memory was sampled (it ended within a second)")
    after_first = [r for r in rows if r[2] >= 1]
    first_end = after_first[0][1] if after_first else rows[-1][1]
    peak_after = max(r[1] for r in after_first) if after_first else first_end
    bound = first_end + max(16 * 1024, first_end // 20)
    check(peak_after <= bound, "memory flat after the first video: RSS %d MiB at its end, at "
          "most %d MiB after (bound %d MiB)" % (first_end >> 10, peak_after >> 10, bound >> 10))
    seconds = rows[-1][0] if rows else 0
    # adnet's device memory after each video (its summary: what the device held after the
    # video's last frame, and the most it ever held)
    dev_after, dev_peak = [], 0
    for v in names:
        with open(os.path.join(run, "summary", v + ".json")) as f:
            d = json.load(f)["devices"][0]
        dev_after.append(d["device_bytes"])
        dev_peak = max(dev_peak, d["device_peak_bytes"])
    check(max(dev_after[1:]) <= dev_after[0] and dev_peak <= max(dev_after) + (64 << 20),
          "device memory flat: %d MiB after the first video, at most %d MiB after any other, "
          "peak %d MiB" % (dev_after[0] >> 20, max(dev_after[1:]) >> 20, dev_peak >> 20))
    # one by one
    single = os.path.join(out, "single")
    singles = sorted(os.listdir(os.path.join(single, "masks")))
    differ = same_masks(run, single, singles, tree)
    check(len(singles) == 5 and not differ, "%d videos run one by one give the same masks "
          "byte for byte (differ: %s)" % (len(singles), differ))
    # interruptions
    trials = []
    for t in range(1, n_trials + 1):
        d = os.path.join(out, "trials", str(t))
        with open(os.path.join(out, "trials", "%d.kill" % t)) as f:
            lines = f.read().splitlines()
        sig, delay = lines[0].split()
        after_kill = json.loads(lines[1])
        temps, bad, good = scan(d)
        vids = sorted(os.listdir(os.path.join(d, "masks"))) if os.path.isdir(
            os.path.join(d, "masks")) else []
        differ = same_masks(run, d, vids, tree)
        # killed: whatever is under its final name is whole (temporaries may stay behind a
        # SIGKILL); resumed: nothing temporary or broken left, every video, the same masks
        ok = (not after_kill["undecodable"] and not temps and not bad and len(vids) == 10 and
              not differ and "resume failed" not in lines)
        trials.append({"signal": sig, "after_s": float(delay), "after_kill": after_kill,
                       "after_resume": {"complete": good, "temporaries": len(temps),
                                        "undecodable": bad},
                       "videos_after_resume": len(vids), "masks_differ": differ, "ok": ok})
    n_ok = sum(t["ok"] for t in trials)
    check(n_ok == len(trials), "%d of %d interrupted runs (SIGTERM and SIGKILL at random "
          "moments) left no half-written file and, resumed, gave the long run's masks"
          % (n_ok, len(trials)))
    summary = {"videos": len(names), "frames": total, "seconds": seconds,
               "rss_first_sample_mib": rows[0][1] >> 10 if rows else None,
               "rss_end_of_first_video_mib": first_end >> 10,
               "rss_max_after_first_video_mib": peak_after >> 10,
               "rss_last_sample_mib": rows[-1][1] >> 10 if rows else None,
               "rss_max_mib": max(r[1] for r in rows) >> 10 if rows else None,
               "device_mib_after_first_video": dev_after[0] >> 20,
               "device_mib_max_after_a_video": max(dev_after) >> 20,
               "device_peak_mib": dev_peak >> 20,
               "files_checked": run_files, "trials": trials, "failures": failures}
    with open(os.path.join(out, "soak.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print("soak: %d frames in %d s; RSS %s -> %s MiB (max %s); %d/%d interruption trials clean"
          % (total, seconds, summary["rss_first_sample_mib"], summary["rss_last_sample_mib"],
             summary["rss_max_mib"], n_ok, len(trials)))
    return 1 if failures else 0


def main():
    cmd = sys.argv[1]
    if cmd == "prune-masks":
        prune_masks(sys.argv[2])
    elif cmd == "pick":
        pick(sys.argv[2], int(sys.argv[3]))
    elif cmd == "interrupted":
        interrupted(sys.argv[2])
    elif cmd == "report":
        return report(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
