#!/usr/bin/python3
"""Writes the cases that test adnet's post-processing (host/video/postproc.c, morphology.c,
contours.c) and what OpenCV makes of them.

Usage: gen_postproc_cases.py OUT_DIR

OUT_DIR/seq: logit sequences built to reach every branch of the released loop's instance
  pruning and temporal step (counts just below, at and above 5000, 40000 and 100000; one or
  several contours; shapes nested in holes; ties in contour area, also between shapes of
  different pixel counts; contour areas 29999.5, 30000, 30000.5; IoU just below, at and
  above 0.3; first frames without a previous result; pruning masks that cut or split
  objects, and frames without one; objects and thin strips touching the image's edges), plus
  a large ragged object among smaller blobs and drifting random logits, at 480 x 854 and at
  an odd size (361 x 643). cases.txt lists "name frames height width prune";
  per case <name>.logits.npy (float32, frames x h x w), <name>.prune.npy (uint8 0/1),
  <name>.has_prune.npy (float32, 1 where the frame has a pruning mask), and what
  postproc_ref.py computes: <name>.expected.npy (uint8 0/1 final masks) and
  <name>.trace.npy (float32, frames x 8: postproc_ref.TRACE_FIELDS).
OUT_DIR/morph: random binary images (sizes down to 1 x 1, smaller than the kernels) with
  cv2.erode, cv2.dilate and cv2.morphologyEx(MORPH_OPEN) of each with squares of 15, 31 and 101
  (and a few others): cases.txt lists "name height width k1 k2 ..."; <name>.npy is uint8
  (1 + 3 x kernels) x h x w: the input, then erode, dilate, open for each kernel.
OUT_DIR/contours: binary images and cv2.findContours(RETR_EXTERNAL, CHAIN_APPROX_NONE) of
  them with cv2.contourArea and cv2.boundingRect: cases.txt lists "name height width";
  <name>.img.npy (uint8), <name>.table.npy (float32, (1 + count) x 7; row 0 = count, total
  points; then per contour in OpenCV's order x, y, w, h, 2 x area, points, first point) and
  <name>.points.npy (float32, max(total, 1) x 2: x, y).
Deterministic: fixed seeds. Fails if a designed case does not take the branch it was built
for, or if some branch is never taken.
"""
import os
import sys

import cv2
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import postproc_ref as ref  # noqa: E402

H, W = 480, 854
_GRIDS = {}


def grid(h, w):
    if (h, w) not in _GRIDS:
        _GRIDS[(h, w)] = np.mgrid[0:h, 0:w].astype(np.float64)
    return _GRIDS[(h, w)]


def blob(k, cy, cx, ry=1.0, rx=1.0, h=H, w=W):
    """Exactly k pixels: the k nearest to (cy, cx) in an elliptic metric (ties by index)."""
    yy, xx = grid(h, w)
    d = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2
    m = np.zeros(h * w, bool)
    m[np.argsort(d.ravel(), kind="stable")[:k]] = True
    return m.reshape(h, w)


def rect(y, x, rh, rw, h=H, w=W):
    m = np.zeros((h, w), bool)
    m[y:y + rh, x:x + rw] = True
    return m


def ring(y, x, size, wall, h=H, w=W):
    return rect(y, x, size, size, h, w) & ~rect(y + wall, x + wall, size - 2 * wall,
                                                size - 2 * wall, h, w)


def logits_for(mask, rng):
    """Logits > 0.5 exactly on mask, with values at and next to the threshold, and zeros."""
    fg = rng.uniform(0.501, 5.0, mask.shape).astype(np.float32)
    bg = rng.uniform(-5.0, 0.499, mask.shape).astype(np.float32)
    edge = rng.random(mask.shape)
    fg[edge < 0.01] = np.nextafter(np.float32(0.5), np.float32(1))
    bg[edge < 0.01] = np.float32(0.5)
    bg[(edge >= 0.01) & (edge < 0.02)] = np.float32(0.0)
    bg[(edge >= 0.02) & (edge < 0.03)] = np.float32(-0.0)
    out = np.where(mask, fg, bg).astype(np.float32)
    assert int((out > 0.5).sum()) == int(mask.sum())
    return out


def cut_first(mask, n):
    """A pruning mask (1 = keep) that cuts the first n pixels of mask in raster order."""
    keep = np.ones(mask.shape, np.uint8)
    keep.ravel()[np.flatnonzero(mask)[:n]] = 0
    return keep


# ---- designed sequences: (name, masks or logits, pruning masks, prune on, expectations) ----

def seq_temporal_counts(rng):
    """Counts 5000, 5001, 99999, 100000, 4999, 100001 as the previous frame's; an object that
    moved out of the dilated mask; strips along the edges that only OpenCV's border rule keeps
    through the opening."""
    masks = [blob(5000, 200, 300), blob(5001, 210, 320), blob(99999, 240, 420, 1.0, 1.6),
             blob(100000, 240, 430, 1.0, 1.6), blob(4999, 300, 500), blob(100001, 240, 400),
             blob(60000, 240, 250), blob(60000, 240, 400)]
    # strips: 10 rows along the top from column 500 to the right edge, 8 columns along the left
    # edge down to the bottom; with the wrong border rule the 15 x 15 opening erases them
    f8 = blob(30000, 300, 300) | rect(0, 500, 10, W - 500) | rect(200, 0, H - 200, 8)
    # near the strips (within the 101 x 101 dilation's reach only if they survived), a corner
    f9 = (blob(30000, 300, 300) | rect(40, 600, 40, 120) | rect(300, 40, 60, 40) |
          rect(H - 30, W - 30, 30, 30))
    masks += [f8, f9, blob(20000, 100, 700)]
    applied = [0, 0, 1, 1, 0, 0, 0, 1, 1, 1, 1]
    logits = [logits_for(m, rng) for m in masks]
    return "temporal_counts", logits, [None] * len(logits), False, {"temporal_applied": applied}


def seq_prune_counts(rng):
    """Counts after the pruning mask's multiplication 40000, 40001, 99999, 100000; masks that
    cut an object below the range, above it into the range, or split it in two; a frame with
    no pruning mask."""
    frames, prunes, outcomes = [], [], []
    frames.append(blob(40000, 240, 300))
    prunes.append(np.ones((H, W), np.uint8))
    outcomes.append(ref.PRUNE_COUNT_OUTSIDE)
    frames.append(blob(40001, 240, 300))
    prunes.append(np.ones((H, W), np.uint8))
    outcomes.append(ref.PRUNE_ONE_CONTOUR)
    two = blob(70000, 240, 300, 1.0, 1.3) | blob(29999, 240, 720)
    assert two.sum() == 99999
    frames.append(two)
    prunes.append(np.ones((H, W), np.uint8))
    outcomes.append(ref.PRUNE_BOX_APPLIED)
    two = blob(70000, 240, 300, 1.0, 1.3) | blob(30000, 240, 720)
    frames.append(two)
    prunes.append(None)
    outcomes.append(ref.PRUNE_COUNT_OUTSIDE)
    one = blob(45000, 240, 300)
    frames.append(one)
    prunes.append(cut_first(one, 6000))  # 39000 left
    outcomes.append(ref.PRUNE_COUNT_OUTSIDE)
    big = blob(80000, 240, 300, 1.0, 1.3)
    small = blob(20500, 240, 740)
    frames.append(big | small)
    prunes.append(cut_first(small, 6000))  # 100500 -> 94500
    outcomes.append(ref.PRUNE_BOX_APPLIED)
    # a band of the pruning mask splits one object into two contours
    one = blob(60000, 240, 330, 1.0, 1.2)
    keep = np.ones((H, W), np.uint8)
    keep[:, 300:350] = 0
    frames.append(one)
    prunes.append(keep)
    outcomes.append(ref.PRUNE_BOX_APPLIED)
    logits = [logits_for(m, rng) for m in frames]
    return "prune_counts", logits, prunes, True, {"outcome": outcomes}


def seq_prune_nested(rng):
    """Rings within rings and an object outside (two external contours, the first frame); a
    ring with an object in its hole (one); the same plus an object outside (two)."""
    ring_in = ring(80, 200, 300, 40) | rect(205, 325, 50, 50)
    outside = rect(150, 650, 100, 60)
    nested = (ring(25, 100, 400, 20) | ring(100, 175, 250, 20) | rect(205, 280, 40, 40) |
              rect(150, 650, 60, 100))
    masks = [nested, ring_in, ring_in | outside]
    outcomes = [ref.PRUNE_BOX_APPLIED, ref.PRUNE_ONE_CONTOUR, ref.PRUNE_BOX_APPLIED]
    logits = [logits_for(m, rng) for m in masks]
    return "prune_nested", logits, [None] * 3, True, {"outcome": outcomes}


def seq_tie(name, a, b, rng):
    """First frames (no previous result) whose two contours tie in area."""
    logits = [logits_for(a | b, rng)]
    return name, logits, [None], True, {"outcome": [ref.PRUNE_BOX_APPLIED]}


def l_shape(y, x, w1, h1, w2, h2):
    return rect(y, x, h1, w1) | rect(y + h1, x, h2, w2)


def l_shape_with_area(target):
    """An L of two rectangles (each at least 16 wide, so that the opening keeps it) whose
    31 x 31 dilation has cv2.contourArea == target (a half-integer: the contour cuts the inner
    corner diagonally, which adds half a pixel)."""
    for w1, h1, h2 in np.ndindex(50, 60, 40):
        w1, h1, w2, h2 = int(w1) + 120, int(h1) + 60, 60, int(h2) + 20
        # the dilated L: widths w1 + 30 and w2 + 30, heights h1 + 30 and h2
        W1, W2, H1, H2 = w1 + 30, w2 + 30, h1 + 30, h2
        if (W1 - 1) * (H1 - 1) + (W2 - 1) * H2 + 0.5 == target:
            m = l_shape(40, 40, w1, h1, w2, h2)
            d = cv2.dilate(m.astype(np.uint8), np.ones((31, 31), np.uint8))
            cs, _ = cv2.findContours(d, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
            assert len(cs) == 1 and cv2.contourArea(cs[0]) == target
            return m
    raise AssertionError("no L shape of area %g" % target)


def seq_prune_area(rng):
    """The largest contour's area 29999.5, 30000 (not above 30000: a 121 x 171 rectangle,
    dilated 151 x 201) and 30000.5."""
    others = rect(300, 400, 110, 110) | rect(300, 650, 110, 110)
    masks = [l_shape_with_area(29999.5) | others, rect(40, 40, 171, 121) | others,
             l_shape_with_area(30000.5) | others]
    outcomes = [ref.PRUNE_SMALL_CONTOUR, ref.PRUNE_SMALL_CONTOUR, ref.PRUNE_BOX_APPLIED]
    logits = [logits_for(m, rng) for m in masks]
    return "prune_area", logits, [None] * 3, True, {"outcome": outcomes}


def seq_prune_iou(rng):
    """IoU between the previous result (k pixels inside the box) and the 230 x 230 box:
    15869 / 52900 < 0.3, 15870 / 52900 == 0.3 (not above), 15871 / 52900 > 0.3."""
    # the second object lies partly outside the box but inside the temporal step's reach, so
    # whether the box applies shows in the final masks
    b_frame = rect(100, 100, 200, 200) | rect(100, 340, 50, 50)
    box = rect(85, 85, 230, 230)
    masks, outcomes = [], []
    for k in (15869, 15870, 15871):
        prev = np.zeros((H, W), bool)
        prev.ravel()[np.flatnonzero(box)[:k]] = True
        masks += [prev, b_frame]
        outcomes += [ref.PRUNE_COUNT_OUTSIDE,
                     ref.PRUNE_BOX_APPLIED if k > 15870 else ref.PRUNE_LOW_IOU]
    logits = [logits_for(m, rng) for m in masks]
    return "prune_iou", logits, [None] * 6, True, {"outcome": outcomes}


def seq_border(rng):
    """Objects on the edges and in the corners through both steps."""
    f0 = blob(20000, 240, 0) | rect(0, 500, 10, W - 500) | rect(H - 30, W - 30, 30, 30)
    f1 = (blob(50000, 240, 0) | rect(0, 500, 10, W - 500) | rect(H - 30, W - 30, 30, 30) |
          rect(30, 600, 40, 100))
    f2 = blob(50000, 240, 60) | rect(0, W - 200, H, 12) | rect(0, 0, 20, 20)
    f3 = rect(0, 0, H, 100) | rect(0, W - 100, H, 100)
    masks = [f0, f1, f2, f3]
    logits = [logits_for(m, rng) for m in masks]
    return "border", logits, [None] * 4, True, {}


def drifting(rng, h, w, n, densities, smooth):
    big = cv2.GaussianBlur(rng.random((h + 200, w + 200)).astype(np.float32), (0, 0), smooth)
    out = []
    for k in range(n):
        crop = big[7 * k:7 * k + h, 11 * k:11 * k + w]
        q = np.quantile(crop, 1.0 - densities[k % len(densities)])
        out.append(((crop - q) * 40.0 + 0.5).astype(np.float32))
    return out


def random_prune(rng, h, w, n_cuts):
    keep = np.ones((h, w), np.uint8)
    for _ in range(n_cuts):
        y, x = rng.integers(0, h), rng.integers(0, w)
        keep[y:y + rng.integers(10, 80), x:x + rng.integers(10, 80)] = 0
    return keep


def seq_natural(name, rng, h, w, n, prune, densities, smooth):
    logits = drifting(rng, h, w, n, densities, smooth)
    prunes = [None if k % 3 == 2 else random_prune(rng, h, w, 4) for k in range(n)]
    return name, logits, prunes if prune else [None] * n, prune, {}


def seq_object(rng, n):
    """A large object with a ragged edge drifting across the frame, with smaller blobs around
    it: what the pruning step was made for."""
    yy, xx = grid(H, W)
    noise = cv2.GaussianBlur(rng.standard_normal((H + 200, W + 200)).astype(np.float32),
                             (0, 0), 6.0)
    noise /= noise.std()
    centres = rng.uniform((40, 40), (H - 40, W - 40), (4, 2))
    logits, prunes = [], []
    for k in range(n):
        cy, cx = 230 + 6 * k, 300 + 30 * k
        field = np.maximum(2.5 * (1 - ((yy - cy) / 135) ** 2 - ((xx - cx) / 115) ** 2), -1.0)
        for j, (by, bx) in enumerate(centres):
            field += 3.0 * np.exp(-((yy - by - 5 * k) ** 2 + (xx - bx + 8 * j * k) ** 2) /
                                  (2 * 30.0 ** 2))
        crop = noise[5 * k:5 * k + H, 9 * k:9 * k + W]
        logits.append((field + 0.8 * crop).astype(np.float32))
        prunes.append(None if k % 4 == 3 else random_prune(rng, H, W, 2))
    return "object", logits, prunes, True, {}


def write_sequences(out):
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(20191)
    seqs = [seq_temporal_counts(rng), seq_prune_counts(rng), seq_prune_nested(rng),
            # equal 150 x 150 squares: one above the other, then side by side on one row
            seq_tie("tie_rows", rect(40, 60, 150, 150), rect(260, 600, 150, 150), rng),
            seq_tie("tie_same_row", rect(100, 50, 150, 150), rect(100, 500, 150, 150), rng),
            # equal contour areas (180 x 175 == 210 x 150) from different pixel counts
            seq_tie("tie_shapes", rect(60, 60, 146, 151), rect(250, 500, 121, 181), rng),
            seq_prune_area(rng), seq_prune_iou(rng), seq_border(rng),
            seq_natural("natural", rng, H, W, 8, True, [0.12, 0.18, 0.1, 0.2], 20.0),
            seq_object(rng, 8),
            seq_natural("natural_odd", rng, 361, 643, 8, True, [0.2, 0.3, 0.25], 7.0),
            seq_natural("natural_noprune", rng, H, W, 5, False, [0.05, 0.15, 0.3], 12.0)]
    lines, traces = [], []
    for name, logits, prunes, prune, expect in seqs:
        masks, trace = ref.run_sequence(logits, prunes, prune)
        for field, want in expect.items():
            got = [t[field] for t in trace]
            assert got == want, "%s: %s is %s, built for %s" % (name, field, got, want)
        n, (h, w) = len(logits), logits[0].shape
        np.save(os.path.join(out, name + ".logits.npy"), np.stack(logits).astype(np.float32))
        np.save(os.path.join(out, name + ".prune.npy"),
                np.stack([np.ones((h, w), np.uint8) if p is None else (p > 0).astype(np.uint8)
                          for p in prunes]))
        np.save(os.path.join(out, name + ".has_prune.npy"),
                np.array([p is not None for p in prunes], np.float32))
        np.save(os.path.join(out, name + ".expected.npy"), np.stack(masks).astype(np.uint8))
        np.save(os.path.join(out, name + ".trace.npy"),
                np.array([[t[f] for f in ref.TRACE_FIELDS] for t in trace], np.float32))
        lines.append("%s %d %d %d %d" % (name, n, h, w, int(prune)))
        traces += trace
        print("%-16s outcomes %s temporal %s" % (name, [t["outcome"] for t in trace],
                                                 [t["temporal_applied"] for t in trace]))
    # every branch taken, every boundary count met
    outcomes = {t["outcome"] for t in traces}
    assert outcomes >= set(range(1, 6)), outcomes
    assert {t["temporal_applied"] for t in traces} == {0, 1}
    assert {5000, 5001, 99999, 100000, 4999, 100001} <= {t["n_last"] for t in traces}
    assert {40000, 40001, 99999, 100000} <= {t["prune_count"] for t in traces}
    with open(os.path.join(out, "cases.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


# ---- morphology ------------------------------------------------------------------------------

def write_morphology(out):
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(7)
    kernels = [15, 31, 101]
    cases = []
    sizes = [(H, W), (61, 108), (150, 150), (100, 33), (23, 97), (7, 5), (1, 1), (1, 40),
             (40, 1), (14, 14), (16, 16), (31, 31), (50, 120)]
    for i, (h, w) in enumerate(sizes):
        for density in (0.5, 0.97):
            # blobs of several sizes, noise, and full rows and columns on the edges
            img = (cv2.GaussianBlur(rng.random((h, w)).astype(np.float32), (0, 0),
                                    max(1.0, min(h, w) / 6.0)) > 0.5).astype(np.uint8)
            img |= (rng.random((h, w)) < (1 - density) / 4).astype(np.uint8)
            img &= (rng.random((h, w)) < density).astype(np.uint8)
            if h > 4 and w > 4:
                img[:2, : w // 2] = 1
                img[:, -3:] = 1
            cases.append(("m%d_%d" % (i, int(density * 100)), img, kernels))
    # a couple of small and even kernels, values other than 1, and a blank and a full image
    img = (rng.random((37, 53)) < 0.6).astype(np.uint8) * 255
    cases.append(("small_kernels_255", img, [1, 2, 3, 4, 15]))
    cases.append(("blank", np.zeros((30, 40), np.uint8), kernels))
    cases.append(("full", np.ones((30, 40), np.uint8), kernels))
    lines = []
    for name, img, ks in cases:
        stack = [img]
        for k in ks:
            kern = np.ones((k, k), np.uint8)
            stack += [cv2.erode(img, kern), cv2.dilate(img, kern),
                      cv2.morphologyEx(img, cv2.MORPH_OPEN, kern)]
        np.save(os.path.join(out, name + ".npy"), np.stack(stack).astype(np.uint8))
        lines.append("%s %d %d %s" % (name, img.shape[0], img.shape[1],
                                      " ".join(str(k) for k in ks)))
    with open(os.path.join(out, "cases.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


# ---- contours --------------------------------------------------------------------------------

def write_contours(out, seq_dir):
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(11)
    cases = []
    for i, (h, w) in enumerate([(37, 53), (64, 64), (120, 97)]):
        for d in (0.05, 0.2, 0.4, 0.5, 0.6, 0.8, 0.95):
            cases.append(("noise%d_%d" % (i, int(d * 100)),
                          (rng.random((h, w)) < d).astype(np.uint8)))
    cases += [("one_pixel_on", np.ones((1, 1), np.uint8)),
              ("one_pixel_off", np.zeros((1, 1), np.uint8)),
              ("row", (rng.random((1, 17)) < 0.5).astype(np.uint8)),
              ("column", (rng.random((17, 1)) < 0.5).astype(np.uint8)),
              ("full", np.ones((5, 6), np.uint8)),
              ("values", ((rng.random((40, 50)) < 0.5) * rng.integers(1, 256, (40, 50)))
               .astype(np.uint8))]
    cb = (np.indices((20, 21)).sum(0) % 2).astype(np.uint8)
    cases.append(("checkerboard", cb))
    nest = np.zeros((60, 70), np.uint8)
    for k, v in enumerate((1, 0, 1, 0, 1, 0, 1)):
        nest[2 + 4 * k:58 - 4 * k, 2 + 4 * k:68 - 4 * k] = v
    nest[10:12, 60:66] = 1
    nest[0, :] = 1  # a row along the top edge joined to nothing else
    cases.append(("nested", nest))
    lines = np.zeros((50, 50), np.uint8)
    for k in range(0, 50, 6):
        cv2.line(lines, (k, 0), (49, 49 - k), 1)
        cv2.line(lines, (0, k), (49 - k, 49), 1)
    cases.append(("diagonals", lines))
    holes = np.ones((40, 40), np.uint8)
    holes[rng.random((40, 40)) < 0.3] = 0
    holes[15:25, 15:25] = 0
    holes[19:21, 19:21] = 1  # an island in a hole
    cases.append(("holes", holes))
    # the pruning step's dilated masks of the drifting sequences: realistic shapes
    logits = np.load(os.path.join(seq_dir, "natural.logits.npy"))
    for k in range(0, len(logits), 3):
        m = cv2.morphologyEx((logits[k] > 0.5).astype(np.uint8), cv2.MORPH_OPEN,
                             np.ones((15, 15), np.uint8))
        cases.append(("natural%d" % k, cv2.dilate(m, np.ones((31, 31), np.uint8))))
        cases.append(("natural%d_raw" % k, (logits[k] > 0.5).astype(np.uint8)))
    names = []
    for name, img in cases:
        cs, _ = cv2.findContours(img, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        total = sum(len(c) for c in cs)
        table = [[len(cs), total, 0, 0, 0, 0, 0]]
        points, first = [], 0
        for c in cs:
            p = c.reshape(-1, 2)
            x, y, w, h = cv2.boundingRect(p)
            table.append([x, y, w, h, 2 * cv2.contourArea(c), len(p), first])
            points.append(p)
            first += len(p)
        pts = np.concatenate(points) if points else np.zeros((1, 2))
        np.save(os.path.join(out, name + ".img.npy"), img)
        np.save(os.path.join(out, name + ".table.npy"), np.array(table, np.float32))
        np.save(os.path.join(out, name + ".points.npy"), pts.astype(np.float32))
        names.append("%s %d %d" % (name, img.shape[0], img.shape[1]))
    with open(os.path.join(out, "cases.txt"), "w") as f:
        f.write("\n".join(names) + "\n")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: gen_postproc_cases.py OUT_DIR")
    out = sys.argv[1]
    write_sequences(os.path.join(out, "seq"))
    write_morphology(os.path.join(out, "morph"))
    write_contours(os.path.join(out, "contours"), os.path.join(out, "seq"))


if __name__ == "__main__":
    main()
