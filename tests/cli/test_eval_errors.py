#!/usr/bin/python3
"""`adnet eval` on bad input: each case is a small DAVIS tree with one thing wrong, and the
command must fail with a message that names the file (or video) and what is wrong, leave an
existing --json file as it was and no temporary file behind; or, for missing results, report
them and score them as empty masks (checked against hand-computed scores).

Usage: test_eval_errors.py ADNET WORK_DIR
"""
import json
import os
import shutil
import subprocess
import sys

import cv2
import numpy as np
from PIL import Image
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from checks import fail, finish  # noqa: E402




def square(h, w, y0, x0, size):
    m = np.zeros((h, w), np.uint8)
    m[y0:y0 + size, x0:x0 + size] = 255
    return m


def make_tree(root, videos, n_frames=4, h=24, w=32):
    """Annotations (a square that moves) and perfect results for each video."""
    davis = os.path.join(root, "davis")
    masks = os.path.join(root, "masks")
    for v in videos:
        os.makedirs(os.path.join(davis, "Annotations", "480p", v))
        os.makedirs(os.path.join(masks, v))
        for k in range(n_frames):
            m = square(h, w, 4 + k, 5 + k, 8)
            cv2.imwrite(os.path.join(davis, "Annotations", "480p", v, "%05d.png" % k), m)
            cv2.imwrite(os.path.join(masks, v, "%05d.png" % k), m)
    sets = os.path.join(davis, "ImageSets", "2016")
    os.makedirs(sets)
    with open(os.path.join(sets, "val.txt"), "w") as fp:
        fp.write("\n".join(videos) + "\n")
    return davis, masks


def run(adnet, args):
    p = subprocess.run([adnet, "eval"] + args, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def expect_failure(label, adnet, args, code, needles, json_path=None):
    """Runs adnet eval, expects exit code `code` and every needle in its stderr; an existing
    --json file must keep its content, and no temporary file may be left beside it."""
    before = None
    if json_path:
        with open(json_path, "w") as fp:
            fp.write("old\n")
        before = sorted(os.listdir(os.path.dirname(json_path)))
        args = args + ["--json", json_path]
    rc, _, err = run(adnet, args)
    if rc != code:
        fail("%s: exit %d, expected %d (%s)" % (label, rc, code, err.strip()))
    for n in needles:
        if n not in err:
            fail("%s: message %r lacks %r" % (label, err.strip(), n))
    if json_path:
        with open(json_path) as fp:
            if fp.read() != "old\n":
                fail("%s: the --json file was changed by a failed run" % label)
        if sorted(os.listdir(os.path.dirname(json_path))) != before:
            fail("%s: files left beside the --json file" % label)
    print("%-34s exit %d: %s" % (label, rc, err.strip().splitlines()[-1] if err.strip() else ""))


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: test_eval_errors.py ADNET WORK_DIR\n")
        return 2
    adnet, work = argv
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    out_dir = os.path.join(work, "out")
    os.makedirs(out_dir)
    json_path = os.path.join(out_dir, "scores.json")

    # --- missing result frames: reported and scored as empty masks -------------------------
    root = os.path.join(work, "missing")
    davis, masks = make_tree(root, ["cat", "dog"], n_frames=4)
    os.remove(os.path.join(masks, "cat", "00001.png"))  # a kept frame: J = 0, F = 0
    os.remove(os.path.join(masks, "cat", "00003.png"))  # the last frame: left out of the scores
    shutil.rmtree(os.path.join(masks, "dog"))
    out = os.path.join(work, "missing.json")
    rc, _, err = run(adnet, ["--results", masks, "--davis", davis, "--json", out, "--quiet"])
    if rc != 0:
        fail("missing frames: exit %d (%s)" % (rc, err))
    else:
        with open(out) as fp:
            got = json.load(fp)
        cat, dog = got["sequences"]
        # kept frames 1 and 2: frame 1 empty against a square (J 0, F 0: P = 1, R = 0), frame
        # 2 perfect (1, 1): means 0.5, recall 0.5; decay of two values [0, 1]: the bins are
        # [0], [0, 1], [1], [1] -> first minus last = 0 - 1
        want = {"mean": 0.5, "recall": 0.5, "decay": -1.0}
        for m in ("J", "F"):
            if cat[m] != want:
                fail("missing frames: cat %s %r, expected %r" % (m, cat[m], want))
        if cat["frames"][1]["precision"] != 1.0 or cat["frames"][1]["recall"] != 0.0:
            fail("missing frames: an empty mask's F precision/recall should be 1/0")
        if cat["missing_frames"] != ["00001", "00003"] or cat["results_folder_missing"]:
            fail("missing frames: cat reports %r" % cat["missing_frames"])
        if dog["J"]["mean"] != 0.0 or dog["F"]["mean"] != 0.0 or \
                not dog["results_folder_missing"] or len(dog["missing_frames"]) != 4:
            fail("missing folder: dog scored %r" % dog)
        if got["dataset"]["J"]["mean"] != 0.25:
            fail("missing frames: dataset J %r" % got["dataset"]["J"]["mean"])
        for needle in ("'cat': 2 of 4 result masks missing, counted as empty: 00001, 00003",
                       "no results for 'dog'", "6 result mask(s) missing in all"):
            if needle not in err:
                fail("missing frames: report %r lacks %r" % (err, needle))
        print("%-34s exit 0: cat J %.2f, dog J %.2f" % ("missing frames reported", cat["J"]["mean"],
                                                        dog["J"]["mean"]))

    # --- a result that is not a PNG (JPEG bytes under .png) -------------------------------
    root = os.path.join(work, "jpeg_bytes")
    davis, masks = make_tree(root, ["cat"])
    bad = os.path.join(masks, "cat", "00002.png")
    ok, enc = cv2.imencode(".jpg", square(24, 32, 4, 4, 8))
    with open(bad, "wb") as fp:
        fp.write(enc.tobytes())
    expect_failure("JPEG data in a .png", adnet, ["--results", masks, "--davis", davis], 1,
                   [bad, "not a PNG"], json_path)

    # --- a result saved as .jpg instead of .png -------------------------------------------
    root = os.path.join(work, "jpg_name")
    davis, masks = make_tree(root, ["cat"])
    os.remove(os.path.join(masks, "cat", "00001.png"))
    cv2.imwrite(os.path.join(masks, "cat", "00001.jpg"), square(24, 32, 4, 4, 8))
    expect_failure("a .jpg result", adnet, ["--results", masks, "--davis", davis], 1,
                   [os.path.join(masks, "cat", "00001.jpg"), "PNG", "00001.png"], json_path)

    # --- a truncated PNG -------------------------------------------------------------------
    root = os.path.join(work, "truncated")
    davis, masks = make_tree(root, ["cat"])
    bad = os.path.join(masks, "cat", "00000.png")
    with open(bad, "rb") as fp:
        data = fp.read()
    with open(bad, "wb") as fp:
        fp.write(data[:len(data) // 2])
    expect_failure("a truncated PNG", adnet, ["--results", masks, "--davis", davis], 1, [bad],
                   json_path)

    # --- a colour PNG --------------------------------------------------------------------
    root = os.path.join(work, "colour")
    davis, masks = make_tree(root, ["cat"])
    bad = os.path.join(masks, "cat", "00001.png")
    cv2.imwrite(bad, np.dstack([square(24, 32, 4, 4, 8)] * 3))
    expect_failure("a colour PNG", adnet, ["--results", masks, "--davis", davis], 1, [bad],
                   json_path)

    # --- a mask of the wrong size ----------------------------------------------------------
    root = os.path.join(work, "size")
    davis, masks = make_tree(root, ["cat"])
    bad = os.path.join(masks, "cat", "00002.png")
    cv2.imwrite(bad, square(23, 32, 4, 4, 8))
    ann = os.path.join(davis, "Annotations", "480p", "cat", "00002.png")
    expect_failure("a mask of the wrong size", adnet, ["--results", masks, "--davis", davis], 1,
                   [bad, "32x23", ann, "32x24"], json_path)

    # --- a heat map of the wrong size ------------------------------------------------------
    heat = os.path.join(root, "heatmaps", "cat")
    os.makedirs(heat)
    cv2.imwrite(os.path.join(masks, "cat", "00002.png"), square(24, 32, 4, 4, 8))
    for k in range(4):
        cv2.imwrite(os.path.join(heat, "%05d.png" % k), np.full((24, 32 + (k == 3)), 7, np.uint8))
    expect_failure("a heat map of the wrong size", adnet,
                   ["--results", masks, "--davis", davis], 1,
                   [os.path.join(heat, "00003.png"), "33x24", "32x24"], json_path)

    # --- a palette result is fine (indices), 1-bit too --------------------------------------
    root = os.path.join(work, "flavours")
    davis, masks = make_tree(root, ["cat"])
    p = Image.frombytes("P", (32, 24), (square(24, 32, 5, 6, 8) // 255).tobytes())
    p.putpalette([0, 0, 0, 200, 0, 0] + [0] * 762)
    p.save(os.path.join(masks, "cat", "00001.png"))
    Image.fromarray(square(24, 32, 6, 7, 8)).convert("1").save(
        os.path.join(masks, "cat", "00002.png"))
    rc, _, err = run(adnet, ["--results", masks, "--davis", davis, "--json", json_path,
                             "--quiet"])
    if rc != 0:
        fail("palette and 1-bit results: exit %d (%s)" % (rc, err))
    else:
        with open(json_path) as fp:
            got = json.load(fp)
        if got["sequences"][0]["J"]["mean"] != 1.0:
            fail("palette and 1-bit results: J %r, expected 1" % got["sequences"][0]["J"])
        print("%-34s exit 0: J %.3f" % ("palette and 1-bit results", got["dataset"]["J"]["mean"]))

    # --- the dataset side ------------------------------------------------------------------
    root = os.path.join(work, "dataset")
    davis, masks = make_tree(root, ["cat", "dog"])
    shutil.rmtree(os.path.join(davis, "Annotations", "480p", "dog"))
    expect_failure("a val video without annotations", adnet,
                   ["--results", masks, "--davis", davis], 1,
                   ["'dog'", os.path.join(davis, "Annotations", "480p", "dog"), "val.txt"],
                   json_path)
    expect_failure("an unknown video in --set", adnet,
                   ["--results", masks, "--davis", davis, "--set", "cat,horse"], 2,
                   ["'horse'", "--set"], json_path)
    expect_failure("a video twice in --set", adnet,
                   ["--results", masks, "--davis", davis, "--set", "cat,cat"], 2,
                   ["'cat'", "twice"], json_path)
    expect_failure("an empty name in --set", adnet,
                   ["--results", masks, "--davis", davis, "--set", "cat,"], 2, ["--set"])
    expect_failure("no train.txt", adnet,
                   ["--results", masks, "--davis", davis, "--set", "train"], 1,
                   [os.path.join(davis, "ImageSets", "2016", "train.txt")], json_path)
    expect_failure("not a DAVIS folder", adnet,
                   ["--results", masks, "--davis", masks, "--set", "cat"], 1,
                   [os.path.join(masks, "Annotations", "480p")], json_path)
    expect_failure("no results folder", adnet,
                   ["--results", os.path.join(root, "nothing"), "--davis", davis, "--set", "cat"],
                   1, [os.path.join(root, "nothing")], json_path)
    short = os.path.join(davis, "Annotations", "480p", "cat")
    for k in (2, 3):
        os.remove(os.path.join(short, "%05d.png" % k))
    expect_failure("a video of 2 frames", adnet,
                   ["--results", masks, "--davis", davis, "--set", "cat"], 1,
                   [short, "2 annotation", "at least 3"], json_path)

    # --- the command line ---------------------------------------------------------------
    expect_failure("--threshold 255", adnet,
                   ["--results", masks, "--davis", davis, "--threshold", "255"], 2,
                   ["--threshold"])
    expect_failure("no --davis", adnet, ["--results", masks], 2, ["--davis"])
    expect_failure("--heatmaps and --no-heatmaps", adnet,
                   ["--results", masks, "--davis", davis, "--heatmaps", masks, "--no-heatmaps"],
                   2, ["--no-heatmaps"])

    return finish("test_eval_errors")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
