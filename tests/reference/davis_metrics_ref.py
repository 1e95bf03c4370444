#!/usr/bin/python3
"""Reference for adnet's DAVIS-2016 metrics (host/metrics.c): the benchmark's definitions
restated the plain, slow way with NumPy and scikit-image, independent of the C code.

Usage: davis_metrics_ref.py DATA_DIR OUT_JSON

DATA_DIR holds sequences.txt (one sequence name per line, in evaluation order) and, for each
name, <name>.pred.npy and <name>.gt.npy (uint8, frames x h x w; non-zero is foreground) and
optionally <name>.heat.npy (uint8 heat maps, sigmoid x 255). OUT_JSON gets per-frame J and F
(with F's precision and recall), per-sequence statistics and the dataset's figures. NaN
(undefined) values are written as null.
"""
import json
import math
import os
import sys

import numpy as np
from skimage.morphology import binary_dilation, disk


# ---- per frame ---------------------------------------------------------------------------

def region_similarity(pred, gt):
    """J: |P and G| / |P or G|, 1 when both masks are empty (the benchmark divides by the
    union summed as float32)."""
    p = pred > 0
    g = gt > 0
    if np.isclose(np.sum(g), 0) and np.isclose(np.sum(p), 0):
        return 1.0
    return float(np.sum(p & g) / np.sum(p | g, dtype=np.float32))


def boundary_map(mask):
    """seg2bmap: a pixel is a boundary pixel when it differs from its right, lower or
    lower-right neighbour; the last row looks only right, the last column only down, the
    bottom-right pixel is never one."""
    seg = mask > 0
    h, w = seg.shape
    right = np.zeros_like(seg)
    down = np.zeros_like(seg)
    diag = np.zeros_like(seg)
    right[:, :-1] = seg[:, 1:]
    down[:-1, :] = seg[1:, :]
    diag[:-1, :-1] = seg[1:, 1:]
    b = (seg ^ right) | (seg ^ down) | (seg ^ diag)
    b[h - 1, :] = seg[h - 1, :] ^ right[h - 1, :]
    b[:, w - 1] = seg[:, w - 1] ^ down[:, w - 1]
    b[h - 1, w - 1] = False
    return b


def tolerance(shape):
    return np.ceil(0.008 * np.linalg.norm(shape))


def contour_accuracy(pred, gt):
    """F, precision, recall, the tolerance and both boundaries' pixel counts: boundary pixels
    of one map within a disk of radius ceil(0.008 x diagonal) of the other's boundary
    (binary dilation with disk(r))."""
    r = tolerance(pred.shape)
    bp = boundary_map(pred)
    bg = boundary_map(gt)
    near_p = binary_dilation(bp, disk(r))
    near_g = binary_dilation(bg, disk(r))
    n_p = int(np.sum(bp))
    n_g = int(np.sum(bg))
    if n_p == 0 and n_g > 0:
        precision, recall = 1.0, 0.0
    elif n_p > 0 and n_g == 0:
        precision, recall = 0.0, 1.0
    elif n_p == 0 and n_g == 0:
        precision, recall = 1.0, 1.0
    else:
        precision = np.sum(bp & near_g) / float(n_p)
        recall = np.sum(bg & near_p) / float(n_g)
    if precision + recall == 0:
        f = 0.0
    else:
        f = 2 * precision * recall / (precision + recall)
    return float(f), float(precision), float(recall), int(r), n_p, n_g


def released_iou(pred, gt):
    """The released AD-Net script's per-frame IoU: intersection / union, 1 when the union is
    empty (it computes in float32 on the GPU; float64 here)."""
    p = pred > 0
    g = gt > 0
    union = np.sum(p | g)
    if union > 0:
        return float(np.sum(p & g)) / float(union)
    return 1.0


# ---- statistics over the kept frames -------------------------------------------------------

def statistics(x):
    """The benchmark's mean, recall (fraction > 0.5) and decay (first minus last of four
    bins). The benchmark casts the bin indices to uint8, which wraps beyond 256 kept frames;
    int64 here (identical for every DAVIS sequence)."""
    x = np.asarray(x, dtype=np.float64)
    mean = np.nanmean(x)
    recall = np.mean(x > 0.5)
    ids = (np.round(np.linspace(1, len(x), 5) + 1e-10) - 1).astype(np.int64)
    bins = [x[ids[i]:ids[i + 1] + 1] for i in range(4)]
    decay = np.nanmean(bins[0]) - np.mean(bins[3])
    return {"mean": float(mean), "recall": float(recall), "decay": float(decay)}


# ---- saliency -----------------------------------------------------------------------------

def saliency(heat, gt):
    """MAE and F-max over the given pixels, s = heat / 255. The precision-recall curve is
    taken at every distinct score (prediction: s >= threshold), as scikit-learn's
    precision_recall_curve does; a point with no true positive scores 0; F-max is undefined
    (None) without any foreground pixel."""
    s = heat.astype(np.float64).ravel() / 255.0
    g = (gt > 0).ravel()
    mae = float(np.mean(np.abs(s - g)))
    if not g.any():
        return mae, None
    order = np.argsort(-s, kind="stable")
    s_sorted = s[order]
    g_sorted = g[order]
    tps = np.cumsum(g_sorted).astype(np.float64)
    predicted = np.arange(1, len(s_sorted) + 1, dtype=np.float64)
    # the last index of each distinct score: everything >= that score is predicted
    last = np.r_[np.nonzero(np.diff(s_sorted))[0], len(s_sorted) - 1]
    best = 0.0
    for i in last:
        p = tps[i] / predicted[i]
        r = tps[i] / tps[-1]
        f = 0.0 if p + r == 0 else 2 * p * r / (p + r)
        best = max(best, f)
    return mae, float(best)


# ---- driver ---------------------------------------------------------------------------------

def nan_to_none(v):
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else v


def evaluate(data_dir):
    with open(os.path.join(data_dir, "sequences.txt")) as fp:
        names = [line.strip() for line in fp if line.strip()]
    seqs = []
    all_heat, all_gt = [], []
    for name in names:
        pred = np.load(os.path.join(data_dir, name + ".pred.npy"))
        gt = np.load(os.path.join(data_dir, name + ".gt.npy"))
        heat_path = os.path.join(data_dir, name + ".heat.npy")
        heat = np.load(heat_path) if os.path.exists(heat_path) else None
        assert pred.shape == gt.shape and pred.dtype == np.uint8 and gt.dtype == np.uint8
        n = pred.shape[0]
        frames = []
        for k in range(n):
            f, p, r, tol, n_p, n_g = contour_accuracy(pred[k], gt[k])
            frames.append({"J": region_similarity(pred[k], gt[k]), "F": f, "precision": p,
                           "recall": r, "tolerance": tol, "boundary_pred": n_p,
                           "boundary_gt": n_g})
        kept = frames[1:-1]
        ious = [released_iou(pred[k], gt[k]) for k in range(1, n - 1)]
        seq = {
            "name": name,
            "n_frames": n,
            "height": int(pred.shape[1]),
            "width": int(pred.shape[2]),
            "frames": frames,
            "J": statistics([fr["J"] for fr in kept]),
            "F": statistics([fr["F"] for fr in kept]),
            "released_iou": sum(ious) / len(ious),
        }
        if heat is not None:
            mae, fmax = saliency(heat[1:-1], gt[1:-1])
            seq["saliency"] = {"mae": mae, "fmax": fmax}
            all_heat.append(heat[1:-1].ravel())
            all_gt.append(gt[1:-1].ravel())
        seqs.append(seq)

    dataset = {"n_sequences": len(seqs)}
    for measure in ("J", "F"):
        dataset[measure] = {stat: float(np.mean([s[measure][stat] for s in seqs]))
                            for stat in ("mean", "recall", "decay")}
    dataset["JF_mean"] = (dataset["J"]["mean"] + dataset["F"]["mean"]) / 2
    video_scores = [s["released_iou"] for s in seqs]
    dataset["released_iou"] = sum(video_scores) / len(video_scores)
    if all_heat:
        mae, fmax = saliency(np.concatenate(all_heat), np.concatenate(all_gt))
        dataset["saliency"] = {"mae": mae, "fmax": fmax}
    return {"sequences": seqs, "dataset": dataset}


def clean(obj):
    if isinstance(obj, dict):
        return {k: clean(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [clean(v) for v in obj]
    return nan_to_none(obj)


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: davis_metrics_ref.py DATA_DIR OUT_JSON\n")
        return 2
    result = clean(evaluate(argv[0]))
    tmp = argv[1] + ".tmp"
    with open(tmp, "w") as fp:
        json.dump(result, fp, allow_nan=False)
    os.replace(tmp, argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
