#!/usr/bin/python3
"""Writes a small DAVIS-layout tree of PNGs for testing `adnet eval`.

Usage: make_davis_tree.py OUT_DIR

OUT_DIR gets
    davis/Annotations/480p/<video>/<frame>.png   annotations
    davis/ImageSets/2016/val.txt, train.txt      the videos split in two
    run/masks/<video>/<frame>.png                results (adnet's layout: OUT/masks ...)
    run/heatmaps/<video>/<frame>.png             8-bit heat maps beside them
    manifest.json                                the videos, the sets, the threshold case,
                                                 and which result and heat-map files were left
                                                 out (with the reasons)

The videos are the metric corner cases of gen_metrics_cases.py (empty prediction, empty
annotation, both empty, one-pixel objects, objects touching the border, odd sizes from 1 x 1
to 480 x 854, values other than 0/1, lengths 3 to 300), written in every PNG flavour the
DAVIS tools meet: 8-bit grey (OpenCV), palette indices (PIL, as DAVIS annotations), 1-bit
grey (PIL). Some result frames and heat maps are missing on purpose (first, last and middle
frames, a video without any result folder); a result folder also holds files that match no
annotated frame. One video ("levels") has grey-level results for the --threshold case.
Deterministic: fixed seeds.
"""
import json
import os
import shutil
import sys

import cv2
import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_metrics_cases  # noqa: E402

PALETTE = [0, 0, 0, 128, 0, 0, 0, 128, 0] + [v for i in range(3, 256) for v in (i, 255 - i, i // 2)]


def write_grey_cv2(path, a):
    assert cv2.imwrite(path, a), path


def write_palette(path, a):
    img = Image.frombytes("P", (a.shape[1], a.shape[0]), a.tobytes())
    img.putpalette(PALETTE)
    img.save(path)


def write_1bit(path, a):
    Image.fromarray((a > 0).astype(np.uint8) * 255, mode="L").convert("1").save(path)


WRITERS = {"grey": write_grey_cv2, "palette": write_palette, "1bit": write_1bit}


def main(argv):
    if len(argv) != 1:
        sys.stderr.write("usage: make_davis_tree.py OUT_DIR\n")
        return 2
    out = argv[0]
    if os.path.exists(out):
        shutil.rmtree(out)
    davis = os.path.join(out, "davis")
    masks = os.path.join(out, "run", "masks")
    heatmaps = os.path.join(out, "run", "heatmaps")
    rng = np.random.default_rng(2016)

    videos = []
    for name, pred, gt in gen_metrics_cases.cases():
        videos.append((name, pred, gt, gen_metrics_cases.heat_for(rng, gt)))
    # grey-level results: object where the level exceeds the threshold given to adnet eval
    g = gen_metrics_cases.blobs(rng, 45, 61, 6, 0.4, drift=(1, 1))
    levels = np.clip(np.where(g > 0, 170, 60) + rng.integers(-80, 80, g.shape), 0, 255)
    videos.append(("levels", levels.astype(np.uint8), g, gen_metrics_cases.heat_for(rng, g)))

    missing = {}       # video -> result frames left out
    missing_heat = {}  # video -> heat maps left out
    for i, (name, pred, gt, heat) in enumerate(videos):
        n = pred.shape[0]
        frames = ["%05d" % k for k in range(n)]
        ann_dir = os.path.join(davis, "Annotations", "480p", name)
        os.makedirs(ann_dir)
        ann_writer = WRITERS["palette" if i % 2 else "grey"]
        # a result writer that keeps the values: palette or grey; 1-bit only for binary masks
        flavours = ["grey", "palette"] + (["1bit"] if name != "levels" else [])
        res_writer = WRITERS[flavours[i % len(flavours)]]
        if name in ("values_33x65", "single_1x1"):
            res_writer = WRITERS["palette" if name == "values_33x65" else "grey"]
        for k, f in enumerate(frames):
            ann_writer(os.path.join(ann_dir, f + ".png"), gt[k])
        if name == "odd_7x5":
            missing[name] = frames[:]  # no result folder at all, no heat maps either
            missing_heat[name] = frames[:]
            continue
        res_dir = os.path.join(masks, name)
        heat_dir = os.path.join(heatmaps, name)
        os.makedirs(res_dir)
        os.makedirs(heat_dir)
        left_out = set()
        if name == "blobs_33x65":
            left_out = {0, 7, 8, 25, n - 1}
        elif name.startswith("short_") and n >= 5:
            left_out = {n // 2}
        elif name == "pixels_480x854":
            left_out = {n - 1}
        missing[name] = [frames[k] for k in sorted(left_out)]
        heat_left_out = {1, 2} if name == "words_64x64" else set()
        missing_heat[name] = [frames[k] for k in sorted(heat_left_out)]
        for k, f in enumerate(frames):
            if k not in left_out:
                res_writer(os.path.join(res_dir, f + ".png"), pred[k])
            if k not in heat_left_out:
                write_grey_cv2(os.path.join(heat_dir, f + ".png"), heat[k])
        if name == "blobs_33x65":
            # files that match no annotated frame: reported, ignored
            with open(os.path.join(res_dir, "notes.txt"), "w") as fp:
                fp.write("not a frame\n")
            write_grey_cv2(os.path.join(res_dir, "99999.png"), pred[0])

    names = [v[0] for v in videos]
    sets = os.path.join(davis, "ImageSets", "2016")
    os.makedirs(sets)
    val = [v for i, v in enumerate(names) if i % 2 == 0 or v == "levels"]
    train = [v for v in names if v not in val]
    with open(os.path.join(sets, "val.txt"), "w") as fp:
        fp.write("\n".join(val) + "\n")
    with open(os.path.join(sets, "train.txt"), "w") as fp:
        fp.write("\n".join(train) + "\n")
    manifest = {"videos": names, "val": val, "train": train, "threshold_video": "levels",
                "missing_frames": missing, "missing_heatmaps": missing_heat,
                "no_results_folder": ["odd_7x5"],
                "ignored_files": {"blobs_33x65": ["99999.png", "notes.txt"]}}
    with open(os.path.join(out, "manifest.json"), "w") as fp:
        json.dump(manifest, fp, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
