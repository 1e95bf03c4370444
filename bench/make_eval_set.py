#!/usr/bin/python3
"""Writes a DAVIS-sized evaluation set for timing `adnet eval`: SEQUENCES videos of FRAMES
frames of 480 x 854, each with an annotation (palette PNG, as DAVIS stores them), a result
mask (grey 0/255 PNG, as adnet writes them) and an 8-bit heat map (grey PNG, smooth as an
upsampled sigmoid is). The objects are
smooth blobs that move; the results are the annotations shifted and slightly noisy, so that
every frame has long boundaries to score.

Usage: make_eval_set.py OUT_DIR [SEQUENCES FRAMES]   (default 20 x 70: about DAVIS-2016 val)
OUT_DIR gets davis/Annotations/480p, davis/ImageSets/2016/val.txt, run/masks, run/heatmaps.
"""
import os
import sys

import cv2
import numpy as np
from PIL import Image

H, W = 480, 854


def main(argv):
    if len(argv) not in (1, 3):
        sys.stderr.write("usage: make_eval_set.py OUT_DIR [SEQUENCES FRAMES]\n")
        return 2
    out = argv[0]
    n_seq, n_frames = (int(argv[1]), int(argv[2])) if len(argv) == 3 else (20, 70)
    rng = np.random.default_rng(480854)
    names = []
    for s in range(n_seq):
        name = "video%02d" % s
        names.append(name)
        dirs = [os.path.join(out, "davis", "Annotations", "480p", name),
                os.path.join(out, "run", "masks", name),
                os.path.join(out, "run", "heatmaps", name)]
        for d in dirs:
            os.makedirs(d, exist_ok=True)
        field = cv2.GaussianBlur(rng.random((H + 200, W + 400)).astype(np.float32), (0, 0), 30)
        level = np.quantile(field, 0.7)
        for k in range(n_frames):
            y, x = 100 + int(60 * np.sin(k / 9 + s)), 200 + 2 * k
            crop = field[y:y + H, x:x + W]
            gt = (crop > level).astype(np.uint8)
            pred = np.roll(gt, (3, -4), axis=(0, 1)) ^ (rng.random((H, W)) < 0.0005)
            # a heat map is an upsampled sigmoid: smooth, high inside the object
            heat = cv2.GaussianBlur(np.where(pred > 0, 230.0, 20.0).astype(np.float32), (0, 0), 6)
            heat = np.clip(np.rint(heat), 0, 255)
            img = Image.frombytes("P", (W, H), gt.tobytes())
            img.putpalette([0, 0, 0, 128, 0, 0] + [0] * 762)
            img.save(os.path.join(dirs[0], "%05d.png" % k))
            cv2.imwrite(os.path.join(dirs[1], "%05d.png" % k), pred.astype(np.uint8) * 255)
            cv2.imwrite(os.path.join(dirs[2], "%05d.png" % k), heat.astype(np.uint8))
    sets = os.path.join(out, "davis", "ImageSets", "2016")
    os.makedirs(sets, exist_ok=True)
    with open(os.path.join(sets, "val.txt"), "w") as fp:
        fp.write("\n".join(names) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
