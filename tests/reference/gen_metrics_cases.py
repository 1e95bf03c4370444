#!/usr/bin/python3
"""Writes the masks that test adnet's DAVIS metrics, and the reference's scores of them.

Usage: gen_metrics_cases.py OUT_DIR

OUT_DIR gets sequences.txt, <name>.{pred,gt,heat}.npy per sequence (frames x h x w, the
8-bit values stored as float32, the dtype adnet's .npy reader reads)
and reference.json from davis_metrics_ref.py. The sequences cover the corner cases of the
measures: empty prediction, empty annotation, both empty, full masks, one-pixel objects,
objects touching the border, pixels at distances just inside and just outside the boundary
tolerance, odd sizes (1x1, 1xN, Nx1, 7x5, 33x65, 75x100 where the tolerance is exactly 1,
widths 64, 127 and 192 around the C code's 64-pixel words, 480x854), mask values other
than 0/1, and sequence lengths 3 to 12, 50 and 300 (every length modulo 4 for the decay
bins, and NumPy's pairwise sums beyond 128 values).
Deterministic: fixed seeds.
"""
import os
import sys

import cv2
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import davis_metrics_ref  # noqa: E402


def blobs(rng, h, w, n_frames, density=0.5, smooth=None, drift=(0.0, 0.0)):
    """Smooth random blobs that drift over the frames (thresholded blurred noise)."""
    smooth = smooth or max(1.0, min(h, w) / 8.0)
    big = rng.random((h * 2 + 8, w * 2 + 8)).astype(np.float32)
    big = cv2.GaussianBlur(big, (0, 0), smooth)
    out = np.zeros((n_frames, h, w), np.uint8)
    for k in range(n_frames):
        y0 = int(round(h / 2 + drift[0] * k)) % (h + 8)
        x0 = int(round(w / 2 + drift[1] * k)) % (w + 8)
        crop = big[y0:y0 + h, x0:x0 + w]
        out[k] = crop > np.quantile(crop, 1.0 - density)
    return out


def perturb(rng, masks, flip=0.01):
    """Flips a fraction of the pixels (a noisy prediction of the masks)."""
    flips = rng.random(masks.shape) < flip
    return (masks.astype(bool) ^ flips).astype(np.uint8)


def heat_for(rng, gt):
    """A heat map that mostly agrees with the annotation, with saturated and empty levels."""
    base = np.where(gt > 0, 200.0, 40.0) + rng.normal(0, 45, gt.shape)
    heat = np.clip(np.rint(base), 0, 255).astype(np.uint8)
    return heat


def one_pixel(h, w, points):
    m = np.zeros((h, w), np.uint8)
    for y, x in points:
        m[y, x] = 1
    return m


def cases():
    rng = np.random.default_rng(20160601)
    out = []

    def add(name, pred, gt):
        out.append((name, np.ascontiguousarray(pred, np.uint8), np.ascontiguousarray(gt, np.uint8)))

    # both empty, 3 frames (one kept frame)
    add("both_empty_7x5", np.zeros((3, 7, 5)), np.zeros((3, 7, 5)))

    # empty prediction against blobs, and a kept frame where both are empty
    gt = blobs(rng, 33, 65, 5, 0.3, drift=(1, 2))
    gt[2] = 0
    add("empty_pred_33x65", np.zeros_like(gt), gt)

    # empty annotation
    pred = blobs(rng, 33, 65, 4, 0.4, drift=(0, 3))
    add("empty_gt_33x65", pred, np.zeros_like(pred))

    # one-pixel objects, at corners, edges and inside
    h, w = 33, 65
    pairs = [
        ([(16, 30)], [(16, 30)]),
        ([(0, 0)], [(0, 0)]),
        ([(h - 1, w - 1)], [(h - 1, w - 1)]),
        ([(h - 1, w - 1)], [(h - 2, w - 2)]),
        ([(0, w - 1)], [(h - 1, 0)]),
        ([(5, 5)], []),
        ([], [(h - 1, 10)]),
        ([(10, 10), (10, 12)], [(11, 11)]),
        ([(h - 1, 3)], [(h - 1, 4)]),
        ([(7, w - 1)], [(9, w - 1)]),
    ]
    add("one_pixel_33x65", np.stack([one_pixel(h, w, p) for p, _ in pairs]),
        np.stack([one_pixel(h, w, g) for _, g in pairs]))

    # 1x1 frames: every combination, and non-binary values
    pv = [0, 1, 0, 1, 255, 0, 9]
    gv = [0, 0, 1, 1, 1, 0, 255]
    add("single_1x1", np.array(pv).reshape(7, 1, 1), np.array(gv).reshape(7, 1, 1))

    # one row, one column
    add("row_1x17", rng.random((5, 1, 17)) < 0.5, rng.random((5, 1, 17)) < 0.5)
    add("col_17x1", rng.random((5, 17, 1)) < 0.5, rng.random((5, 17, 1)) < 0.5)

    # objects touching the border, full masks
    h, w = 33, 65
    p = np.zeros((10, h, w), np.uint8)
    g = np.zeros((10, h, w), np.uint8)
    p[0, :, : w // 2] = 1
    g[0, :, : w // 2 + 1] = 1
    p[1, :, w - 1] = 1
    g[1, :, w - 2:] = 1
    p[2, h - 1, :] = 1
    g[2, h - 2, :] = 1
    p[3, :5, :7] = 1
    g[3, :6, :6] = 1
    p[4] = 1
    g[4] = 1
    p[5] = 1
    g[5, 3:30, 3:60] = 1
    p[6, :, :] = 0
    g[6] = 1
    p[7, h - 4:, w - 4:] = 1
    g[7, h - 3:, w - 5:] = 1
    p[8, ::2, :] = 1
    g[8, :, ::3] = 1
    p[9] = 1
    g[9] = 0
    add("border_33x65", p, g)

    # salt-and-pepper masks: almost every pixel is a boundary pixel
    add("noise_33x65", rng.random((7, 33, 65)) < 0.5, rng.random((7, 33, 65)) < 0.3)

    # values other than 0 and 1
    gt = blobs(rng, 33, 65, 4, 0.5) * np.uint8(255)
    pred = perturb(rng, gt > 0, 0.05) * rng.choice(np.array([1, 7, 255], np.uint8), gt.shape)
    gt[gt > 0] = rng.choice(np.array([3, 255], np.uint8), int(np.sum(gt > 0)))
    add("values_33x65", pred, gt)

    # odd small sizes and every short length (kept frames 1..10: all residues modulo 4)
    add("odd_7x5", rng.random((7, 7, 5)) < 0.4, rng.random((7, 7, 5)) < 0.4)
    for n in range(3, 13):
        g = blobs(rng, 9, 11, n, 0.4, drift=(0.5, 0.5))
        add("short_%d_9x11" % n, perturb(rng, g, 0.1), g)

    # a size where 0.008 x diagonal is 1 (125 x 0.008): the tolerance must come out as 1
    g = blobs(rng, 75, 100, 4, 0.4, drift=(1, 1))
    add("tol_75x100", perturb(rng, np.roll(g, 1, axis=2), 0.002), g)

    # widths at and around 64-pixel words (the C code packs 64 pixels per word)
    add("words_64x64", rng.random((4, 64, 64)) < 0.5, blobs(rng, 64, 64, 4, 0.5))
    g = blobs(rng, 128, 192, 5, 0.4, drift=(2, 3))
    add("words_128x192", perturb(rng, np.roll(g, (1, 2), axis=(1, 2)), 0.01), g)
    g = blobs(rng, 40, 127, 4, 0.4)
    add("words_40x127", perturb(rng, np.roll(g, 2, axis=2), 0.01), g)

    # 50 frames of moving blobs
    g = blobs(rng, 33, 65, 50, 0.35, drift=(0.3, 0.7))
    pr = np.roll(g, (1, -1), axis=(1, 2))
    add("blobs_33x65", perturb(rng, pr, 0.02), g)

    # 300 frames: pairwise sums over more than 128 values, decay bins beyond 256 frames
    g = blobs(rng, 12, 9, 300, 0.4, drift=(0.05, 0.1))
    add("long_300_12x9", perturb(rng, g, 0.15), g)

    # DAVIS size: single pixels at offsets around the tolerance (8: 64 = 8^2 = 0^2 + 8^2,
    # 61 = 5^2 + 6^2 inside; 65 = 1^2 + 8^2 = 4^2 + 7^2, 72 = 6^2 + 6^2 outside)
    h, w = 480, 854
    offsets = [(0, 8), (0, 9), (5, 6), (6, 6), (4, 7), (1, 8), (8, 0), (-5, -6), (3, -7)]
    p = np.zeros((len(offsets), h, w), np.uint8)
    g = np.zeros((len(offsets), h, w), np.uint8)
    for k, (dy, dx) in enumerate(offsets):
        g[k, 240, 400] = 1
        p[k, 240 + dy, 400 + dx] = 1
        g[k, 10, 10] = 1  # and a second pair near the top-left corner
        p[k, 10 + dy, 10 + dx] = 1
    add("pixels_480x854", p, g)

    # DAVIS size: blobs with a prediction that is shifted and noisy
    g = blobs(rng, h, w, 6, 0.3, smooth=40.0, drift=(4, 9))
    pr = np.roll(g, (5, -7), axis=(1, 2))
    pr = perturb(rng, pr, 0.0005)
    add("blobs_480x854", pr, g)
    return out


def main(argv):
    if len(argv) != 1:
        sys.stderr.write("usage: gen_metrics_cases.py OUT_DIR\n")
        return 2
    out_dir = argv[0]
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(7)
    names = []
    for name, pred, gt in cases():
        np.save(os.path.join(out_dir, name + ".pred.npy"), pred.astype(np.float32))
        np.save(os.path.join(out_dir, name + ".gt.npy"), gt.astype(np.float32))
        np.save(os.path.join(out_dir, name + ".heat.npy"), heat_for(rng, gt).astype(np.float32))
        names.append(name)
    with open(os.path.join(out_dir, "sequences.txt"), "w") as fp:
        fp.write("\n".join(names) + "\n")
    return davis_metrics_ref.main([out_dir, os.path.join(out_dir, "reference.json")])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
