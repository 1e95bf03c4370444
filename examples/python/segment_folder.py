#!/usr/bin/env python3
"""Segments a folder of frames with adnet's Python package and shows the masks over the frames
with matplotlib (docs/python.md):

    python segment_folder.py FRAMES_DIR WEIGHTS OUT_DIR [--size WxH] [--device SPEC]

Writes OUT_DIR/masks/<frame>.png (as `adnet segment --frames --out OUT_DIR` does) and
OUT_DIR/overlays.png, a grid of up to 8 frames with their masks tinted."""

import argparse
import os
import time

import matplotlib.pyplot as plt
import numpy as np

import adnet


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("frames")
    p.add_argument("weights")
    p.add_argument("out")
    p.add_argument("--size", default="857x481", help="network input size WxH (default 857x481)")
    p.add_argument("--device", default=None, help="device spec (default: adnet's choice)")
    a = p.parse_args()

    shown = []
    t0 = time.monotonic()
    results = adnet.segment_folder(a.frames, a.weights, out=a.out, device=a.device, size=a.size)
    for i, r in enumerate(results):
        print("%s: %d object pixels" % (os.path.basename(r.path), r.foreground))
        if len(shown) < 8 and i % 3 == 0:
            shown.append((adnet.load_frame(r.path), r.mask, os.path.basename(r.path)))
    print("%.2f s" % (time.monotonic() - t0))

    cols = 4
    rows = (len(shown) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(3 * cols, 2.2 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, (bgr, mask, name) in zip(axes.flat, shown):
        rgb = bgr[:, :, ::-1].astype(np.float32) / 255
        tint = np.zeros_like(rgb)
        tint[..., 0] = 1.0  # red where the object is
        alpha = (mask == 255)[..., None] * 0.45
        ax.imshow(rgb * (1 - alpha) + tint * alpha)
        ax.contour(mask == 255, levels=[0.5], colors="yellow", linewidths=0.8)
        ax.set_title(name, fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(a.out, "overlays.png"), dpi=100)
    print("wrote", os.path.join(a.out, "overlays.png"))


if __name__ == "__main__":
    main()
