"""weights/synth_clips.py, the synthetic clips of the demo model (issue 11, part 2): a small run
per split must give a DAVIS tree adnet reads (`adnet segment --list`), frames and palette masks
of the asked size, a non-empty object that moves, the same bytes for the same seed, and splits
whose photographs are disjoint.

Usage: test_synth_clips.py ADNET WORK_DIR"""
import glob
import hashlib
import os
import shutil
import subprocess
import sys

import cv2
import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "weights"))
sys.path.insert(0, os.path.dirname(HERE))
import synth_clips  # noqa: E402
from checks import check, finish  # noqa: E402

adnet, work = sys.argv[1:3]
shutil.rmtree(work, ignore_errors=True)


def digest(root):
    h = hashlib.sha256()
    for p in sorted(glob.glob(os.path.join(root, "**", "*.*"), recursive=True)):
        with open(p, "rb") as f:
            h.update(os.path.relpath(p, root).encode() + f.read())
    return h.hexdigest()


for split in sorted(synth_clips.PHOTOS):
    root = os.path.join(work, split)
    synth_clips.main([root, "--split", split, "--clips", "2", "--frames", "6", "--size", "160x96"])
    p = subprocess.run([adnet, "segment", "--davis", root, "--videos", "all", "--list"],
                       capture_output=True, text=True)
    listed = dict(l.split("\t") for l in p.stdout.strip().splitlines()) if p.returncode == 0 else {}
    check(listed == {"%s-000" % split: "6", "%s-001" % split: "6"},
          "%s: adnet segment --list reads the tree (%s)" % (split, listed))
    with open(os.path.join(root, "ImageSets", "2016", split + ".txt")) as f:
        check(f.read().split() == ["%s-000" % split, "%s-001" % split], "%s: ImageSets list" % split)
    for clip in listed:
        centres = []
        for i in range(6):
            frame = cv2.imread(os.path.join(root, "JPEGImages", "480p", clip, "%05d.jpg" % i))
            ann = Image.open(os.path.join(root, "Annotations", "480p", clip, "%05d.png" % i))
            mask = np.array(ann)
            ok = frame is not None and frame.shape == (96, 160, 3) and ann.mode == "P" and \
                mask.shape == (96, 160) and set(np.unique(mask)) <= {0, 1}
            check(ok, "%s frame %d: a 160x96 JPEG and a palette mask of 0/1" % (clip, i))
            if mask.any():
                ys, xs = np.nonzero(mask)
                centres.append((xs.mean(), ys.mean()))
        check(len(centres) >= 4, "%s: the object is in most frames (%d of 6)" % (clip, len(centres)))
        moved = max((np.hypot(c[0] - centres[0][0], c[1] - centres[0][1]) for c in centres),
                    default=0.0)
        check(moved > 1.0, "%s: the object moves (%.1f px)" % (clip, moved))

# the same seed gives the same clips; another seed others
again = os.path.join(work, "again")
synth_clips.main([again, "--split", "demo", "--clips", "2", "--frames", "6", "--size", "160x96"])
check(digest(again) == digest(os.path.join(work, "demo")), "the same seed gives the same bytes")
other = os.path.join(work, "other")
synth_clips.main([other, "--split", "demo", "--clips", "2", "--frames", "6", "--size", "160x96",
                  "--seed", "5"])
check(digest(other) != digest(os.path.join(work, "demo")), "another seed gives other clips")

# no photograph is in two splits
used = {s: set(v["background"]) | set(v["object"]) for s, v in synth_clips.PHOTOS.items()}
splits = sorted(used)
check(all(not (used[a] & used[b]) for a in splits for b in splits if a < b),
      "train, val and demo use disjoint photographs")
sys.exit(finish("test_synth_clips"))
