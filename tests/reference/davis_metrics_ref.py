#!/usr/bin/python3
"""Reference for adnet's DAVIS-2016 metrics (host/eval/metrics.c): the benchmark's definitions
restated the plain, slow way with NumPy and scikit-image, independent of the C code.

Usage: davis_metrics_ref.py DATA_DIR OUT_JSON
       davis_metrics_ref.py --davis ROOT --results DIR --videos A,B,... [--heatmaps DIR]
                            [--threshold T] OUT_JSON

DATA_DIR holds sequences.txt (one sequence name per line, in evaluation order) and, for each
name, <name>.pred.npy and <name>.gt.npy (frames x h x w, float32 holding the 8-bit values;
non-zero is foreground) and optionally <name>.heat.npy (heat maps, sigmoid x 255).
The second form reads a DAVIS folder of PNGs the way the DAVIS tools do (PIL): annotations
ROOT/Annotations/480p/<video>/<frame>.png, result masks DIR/<video>/<frame>.png (object:
value > T; a missing result is an empty mask), heat maps likewise (a missing one is zero).
OUT_JSON gets per-frame J and F (with F's precision and recall), per-sequence statistics and
the dataset's figures (and, for PNGs, the names of the missing files). NaN (undefined) values
are written as null.
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


# ---- sequences ---------------------------------------------------------------------------------

def nan_to_none(v):
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else v


def load_u8(path):
    """A .npy array of 8-bit values stored as float32 (adnet's .npy reader reads float32)."""
    a = np.load(path)
    assert a.dtype == np.float32, path
    u = a.astype(np.uint8)
    assert np.array_equal(u, a), path + ": values are not 8-bit integers"
    return u


def load_npy_sequences(data_dir):
    """The sequences of a directory written by gen_metrics_cases.py: sequences.txt and
    <name>.{pred,gt,heat}.npy (frames x h x w; non-zero is foreground)."""
    with open(os.path.join(data_dir, "sequences.txt")) as fp:
        names = [line.strip() for line in fp if line.strip()]
    seqs = []
    for name in names:
        pred = load_u8(os.path.join(data_dir, name + ".pred.npy"))
        gt = load_u8(os.path.join(data_dir, name + ".gt.npy"))
        heat_path = os.path.join(data_dir, name + ".heat.npy")
        heat = load_u8(heat_path) if os.path.exists(heat_path) else None
        assert pred.shape == gt.shape and pred.dtype == np.uint8 and gt.dtype == np.uint8
        seqs.append({"name": name, "pred": list(pred), "gt": list(gt),
                     "heat": None if heat is None else list(heat)})
    return seqs


def evaluate(data_dir):
    return score_sequences(load_npy_sequences(data_dir))


def score_sequences(sequences):
    """Scores sequences given as dicts: name, pred and gt (lists of h x w uint8 frames,
    non-zero is foreground), heat (a list of uint8 heat maps, or None)."""
    seqs = []
    all_heat, all_gt = [], []
    for sq in sequences:
        name, pred, gt, heat = sq["name"], sq["pred"], sq["gt"], sq["heat"]
        n = len(pred)
        frames = []
        for k in range(n):
            assert pred[k].shape == gt[k].shape
            f, p, r, tol, n_p, n_g = contour_accuracy(pred[k], gt[k])
            frames.append({"J": region_similarity(pred[k], gt[k]), "F": f, "precision": p,
                           "recall": r, "tolerance": tol, "boundary_pred": n_p,
                           "boundary_gt": n_g})
        kept = frames[1:-1]
        ious = [released_iou(pred[k], gt[k]) for k in range(1, n - 1)]
        seq = {
            "name": name,
            "n_frames": n,
            "height": int(gt[0].shape[0]),
            "width": int(gt[0].shape[1]),
            "frames": frames,
            "J": statistics([fr["J"] for fr in kept]),
            "F": statistics([fr["F"] for fr in kept]),
            "released_iou": sum(ious) / len(ious),
        }
        if heat is not None:
            h_kept = np.concatenate([h.ravel() for h in heat[1:-1]])
            g_kept = np.concatenate([g.ravel() for g in gt[1:-1]])
            mae, fmax = saliency(h_kept, g_kept)
            seq["saliency"] = {"mae": mae, "fmax": fmax}
            all_heat.append(h_kept)
            all_gt.append(g_kept)
        for key in ("missing_frames", "missing_heatmaps"):
            if key in sq:
                seq[key] = sq[key]
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


# ---- a DAVIS folder of PNGs -------------------------------------------------------------------

def read_png(path):
    """A mask or heat map as the DAVIS tools read it (PIL): palette images give their indices,
    greyscale images their levels (1-bit images as 0/255, as libpng and OpenCV expand them)."""
    from PIL import Image  # only this mode needs PIL
    with Image.open(path) as img:
        if img.mode == "1":
            img = img.convert("L")
        if img.mode not in ("P", "L"):
            raise ValueError("%s: PNG mode %s is neither palette nor greyscale" % (path, img.mode))
        return np.array(img, dtype=np.uint8)


def load_davis_sequences(root, results, videos, heatmaps=None, threshold=0):
    """Each video's annotated frames (ROOT/Annotations/480p/<video>/*.png, in name order), the
    result masks RESULTS/<video>/<frame>.png (object: value > threshold; a missing file is an
    empty mask) and, with heatmaps, HEATMAPS/<video>/<frame>.png (a missing one is all zero).
    The names of missing files are recorded."""
    seqs = []
    for video in videos:
        ann_dir = os.path.join(root, "Annotations", "480p", video)
        frames = sorted(f[:-4] for f in os.listdir(ann_dir) if f.endswith(".png"))
        sq = {"name": video, "pred": [], "gt": [], "heat": [] if heatmaps else None,
              "missing_frames": []}
        if heatmaps:
            sq["missing_heatmaps"] = []
        for frame in frames:
            gt = read_png(os.path.join(ann_dir, frame + ".png"))
            path = os.path.join(results, video, frame + ".png")
            if os.path.exists(path):
                pred = (read_png(path) > threshold).astype(np.uint8)
            else:
                pred = np.zeros_like(gt)
                sq["missing_frames"].append(frame)
            sq["gt"].append(gt)
            sq["pred"].append(pred)
            if heatmaps:
                path = os.path.join(heatmaps, video, frame + ".png")
                if os.path.exists(path):
                    sq["heat"].append(read_png(path))
                else:
                    sq["heat"].append(np.zeros_like(gt))
                    sq["missing_heatmaps"].append(frame)
        seqs.append(sq)
    return seqs


# ---- driver ---------------------------------------------------------------------------------

def clean(obj):
    if isinstance(obj, dict):
        return {k: clean(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [clean(v) for v in obj]
    return nan_to_none(obj)


def write_json(result, path):
    tmp = path + ".tmp"
    with open(tmp, "w") as fp:
        json.dump(clean(result), fp, allow_nan=False)
    os.replace(tmp, path)


def main(argv):
    if len(argv) >= 1 and argv[0] == "--davis":
        import argparse
        ap = argparse.ArgumentParser(prog="davis_metrics_ref.py --davis")
        ap.add_argument("--davis", required=True, help="ROOT with Annotations/480p")
        ap.add_argument("--results", required=True)
        ap.add_argument("--videos", required=True, help="names separated by commas")
        ap.add_argument("--heatmaps")
        ap.add_argument("--threshold", type=int, default=0)
        ap.add_argument("out_json")
        a = ap.parse_args(argv)
        seqs = load_davis_sequences(a.davis, a.results, a.videos.split(","), a.heatmaps,
                                    a.threshold)
        write_json(score_sequences(seqs), a.out_json)
        return 0
    if len(argv) != 2:
        sys.stderr.write("usage: davis_metrics_ref.py DATA_DIR OUT_JSON\n"
                         "       davis_metrics_ref.py --davis ROOT --results DIR --videos A,B "
                         "[--heatmaps DIR] [--threshold T] OUT_JSON\n")
        return 2
    write_json(evaluate(argv[0]), argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
