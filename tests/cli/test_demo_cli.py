#!/usr/bin/python3
"""`adnet demo` as a newcomer runs it: the shipped demo model on the shipped held-out clip. It
must say what the model is, print `J mean 0.xx, F mean 0.xx` matching the DAVIS scores of the
masks it wrote (recomputed here with tests/reference/davis_metrics_ref.py), and write masks,
overlays and a contact sheet whose size follows its layout and whose right halves show the
ground truth. Then the other ways in: --frames with and without --annotations, --weights with
another file, and the errors (missing weights, no shipped files, bad options).

Usage: test_demo_cli.py ADNET WORK_DIR
"""
import os
import re
import shutil
import subprocess
import sys

import cv2
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(ROOT, "tests", "reference"))
sys.path.insert(0, os.path.join(ROOT, "tests"))
import davis_metrics_ref  # noqa: E402
from checks import check, finish  # noqa: E402

# host/cli/demo.c and host/video/contact_sheet.h: 8 pairs of one video, else 4 of each of the
# first 4; 2 pairs a row; the gap within a pair and the margin around pairs
SHEET_ONE, SHEET_EACH, SHEET_VIDEOS, SHEET_COLUMNS, GAP, MARGIN = 8, 4, 4, 2, 4, 12


def run(adnet, *args, env=None):
    r = subprocess.run([adnet, "demo"] + list(args), capture_output=True, text=True,
                       env=dict(os.environ, **(env or {})))
    return r.returncode, r.stdout, r.stderr


def sheet_size(w, h, n_videos, frames):
    per = SHEET_ONE if n_videos == 1 else SHEET_EACH
    rows = sum((min(per, frames) + SHEET_COLUMNS - 1) // SHEET_COLUMNS
               for _ in range(min(n_videos, SHEET_VIDEOS)))
    cols = SHEET_COLUMNS
    return cols * (2 * w + GAP) + (cols + 1) * MARGIN, rows * h + (rows + 1) * MARGIN


def main(argv):
    adnet, work = argv[1], argv[2]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    shipped = os.path.join(os.path.dirname(os.path.abspath(adnet)), "demo-clips")
    clips = sorted(os.listdir(os.path.join(shipped, "JPEGImages", "480p")))
    frames_dir = os.path.join(shipped, "JPEGImages", "480p", clips[0])
    annotations = os.path.join(shipped, "Annotations", "480p", clips[0])
    stems = sorted(os.path.splitext(f)[0] for f in os.listdir(frames_dir))

    # --- the default run --------------------------------------------------------------------
    out = os.path.join(work, "default")
    rc, so, se = run(adnet, "--out", out)
    check(rc == 0, "default run exits 0" + ("" if rc == 0 else " (%d: %s)" % (rc, se[-300:])))
    check("NOT the released AD-Net" in so and "trained by weights/train_demo.py" in so,
          "it says what the model is")
    check("described in its metadata" in so, "the architecture comes from the metadata")
    m = re.search(r"^J mean (\d\.\d\d), F mean (\d\.\d\d)$", so, re.M)
    if check(m is not None, "prints 'J mean 0.xx, F mean 0.xx'"):
        seqs = []
        for clip in clips:
            adir = os.path.join(shipped, "Annotations", "480p", clip)
            names = sorted(os.path.splitext(f)[0] for f in os.listdir(adir))
            masks = [davis_metrics_ref.read_png(os.path.join(out, "masks", clip, s + ".png"))
                     for s in names]
            truths = [davis_metrics_ref.read_png(os.path.join(adir, s + ".png")) for s in names]
            seqs.append({"name": clip, "pred": masks, "gt": truths, "heat": None})
        ds = davis_metrics_ref.score_sequences(seqs)["dataset"]
        j, f = ds["J"]["mean"], ds["F"]["mean"]
        check(abs(float(m.group(1)) - j) <= 0.005 + 1e-9 and
              abs(float(m.group(2)) - f) <= 0.005 + 1e-9,
              "printed J %s F %s are the masks' J %.4f F %.4f" % (m.group(1), m.group(2), j, f))
    check(len(os.listdir(os.path.join(out, "overlays", clips[0]))) == len(stems),
          "one overlay per frame")
    sheet = cv2.imread(os.path.join(out, "contact_sheet.png"))
    first = cv2.imread(os.path.join(frames_dir, stems[0] + ".jpg"))
    h, w = first.shape[:2]
    if check(sheet is not None, "contact sheet written"):
        check(sheet.shape[1::-1] == sheet_size(w, h, len(clips), len(stems)),
              "contact sheet size %s follows the layout" % (sheet.shape[1::-1],))
        # the first pair's right half: frame 0 where the ground truth is, dimmed elsewhere
        right = sheet[MARGIN:MARGIN + h, MARGIN + w + GAP:MARGIN + 2 * w + GAP].astype(int)
        gt = davis_metrics_ref.read_png(os.path.join(annotations, stems[0] + ".png")) > 0
        want = np.where(gt[..., None], first, np.floor(0.2 * first + 0.5)).astype(int)
        check(np.abs(right - want).max() <= 1, "the ground-truth half shows the annotation")

    # --- a folder of frames, with and without annotations ------------------------------------
    rc, so, se = run(adnet, "--out", os.path.join(work, "frames"), "--frames", frames_dir,
                     "--annotations", annotations)
    check(rc == 0 and re.search(r"^J mean \d\.\d\d, F mean \d\.\d\d$", so, re.M) is not None,
          "--frames with --annotations is scored")
    rc, so, se = run(adnet, "--out", os.path.join(work, "plain"), "--frames", frames_dir)
    sheet = cv2.imread(os.path.join(work, "plain", "contact_sheet.png"))
    check(rc == 0 and "J mean" not in so and "no ground truth" in so and sheet is not None and
          sheet.shape[1::-1] == sheet_size(w, h, 1, len(stems)),
          "--frames alone: masks and an 8-pair contact sheet, no score")

    # an odd number of frames: the last row's second place stays empty
    three = os.path.join(work, "three")
    os.makedirs(three)
    for stem in stems[:3]:
        shutil.copy(os.path.join(frames_dir, stem + ".jpg"), three)
    rc, so, se = run(adnet, "--out", os.path.join(work, "three-out"), "--frames", three)
    sheet = cv2.imread(os.path.join(work, "three-out", "contact_sheet.png"))
    if check(rc == 0 and sheet is not None and sheet.shape[1::-1] == sheet_size(w, h, 1, 3),
             "three frames: a contact sheet of two rows"):
        x0, y0 = MARGIN + 2 * w + GAP + MARGIN, 2 * MARGIN + h
        check((sheet[y0:y0 + h, x0:x0 + 2 * w + GAP] == 48).all(), "its fourth place is empty")

    # --- errors -------------------------------------------------------------------------------
    missing = os.path.join(work, "nope.safetensors")
    rc, so, se = run(adnet, "--out", os.path.join(work, "e1"), "--weights", missing)
    check(rc == 1 and missing in se, "a missing --weights file: exit 1 naming it")
    empty = os.path.join(work, "empty")
    os.makedirs(empty)
    rc, so, se = run(adnet, "--out", os.path.join(work, "e2"), env={"ADNET_DEMO_DIR": empty})
    check(rc == 1 and "demo.safetensors" in se, "no shipped model: exit 1 naming it")
    check(not os.path.exists(os.path.join(work, "e2")), "and nothing written")
    rc, so, se = run(adnet, "--annotations", annotations)
    check(rc == 2 and "--annotations goes with --frames" in se, "--annotations alone: exit 2")
    rc, so, se = run(adnet, "--size", "12", "--out", os.path.join(work, "e3"))
    check(rc == 2 and "--size" in se, "a bad --size: exit 2")
    return finish("test_demo_cli")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
