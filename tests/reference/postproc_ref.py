#!/usr/bin/python3
"""The released evaluation loop's post-processing, restated with OpenCV and NumPy.

The independent reference for host/video/postproc.c: per frame, instance pruning (when on), then the
temporal step, then the threshold, as the released eval.py of yz93/anchor-diff-VOS runs them
(its PyTorch tensors are NumPy float32 arrays here; every morphological and contour operation
is the cv2 call the script makes, with the script's arguments).

run_sequence(logits, prune_masks, prune) -> (masks, trace) where logits is a list of float32
(h, w) arrays, prune_masks a list of (h, w) arrays or None per frame (None: that frame has no
pruning mask file, so it is not multiplied), prune whether instance pruning is on. masks are
uint8 0/1 (h, w) arrays; trace has one dict per frame (see TRACE_FIELDS).
"""
import cv2
import numpy as np

THRESHOLD = np.float32(0.5)

# What the pruning step decided, numbered as adn_prune_outcome in host/video/postproc.h.
PRUNE_NOT_RUN = 0
PRUNE_COUNT_OUTSIDE = 1
PRUNE_ONE_CONTOUR = 2
PRUNE_SMALL_CONTOUR = 3
PRUNE_LOW_IOU = 4
PRUNE_BOX_APPLIED = 5

TRACE_FIELDS = ["outcome", "box_x", "box_y", "box_w", "box_h", "temporal_applied",
                "prune_count", "n_last"]


def count_fg(x, thr=THRESHOLD):
    return int(np.count_nonzero(x > thr))


def get_iou(pred_logits, box_mask, thr=THRESHOLD):
    """metrics/iou.py: pixels of pred > thr against box_mask > 0, counts as float32."""
    p = pred_logits > thr
    g = box_mask > 0
    inter = np.float32(np.count_nonzero(p & g))
    union = np.float32(np.count_nonzero(p | g))
    if union > 0:
        return inter / union  # float32 / float32 stays float32
    return np.float32(1.0)


def prune_step(logits, prune_mask, last_final, thr=THRESHOLD):
    """Instance pruning of one frame; returns the new logits and what happened."""
    info = {"outcome": PRUNE_COUNT_OUTSIDE, "box_x": 0, "box_y": 0, "box_w": 0, "box_h": 0}
    if prune_mask is not None:
        logits = logits * (prune_mask > 0).astype(np.float32)
    fg = (logits > thr).astype(np.uint8)
    info["prune_count"] = int(fg.sum())
    if 40000 < info["prune_count"] < 100000:
        opened = cv2.morphologyEx(fg, cv2.MORPH_OPEN, np.ones((15, 15), np.uint8))
        dilated = cv2.dilate(opened, np.ones((31, 31), np.uint8), iterations=1)
        contours, _ = cv2.findContours(dilated, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        areas = [cv2.contourArea(c) for c in contours]
        info["outcome"] = PRUNE_ONE_CONTOUR
        if len(contours) > 1:
            best = contours[int(np.argmax(areas))]
            x, y, w, h = cv2.boundingRect(best.reshape(-1, 2))
            info.update(box_x=x, box_y=y, box_w=w, box_h=h)
            box = np.zeros(logits.shape, np.float32)
            box[y:y + h, x:x + w] = 1
            if not max(areas) > 30000:
                info["outcome"] = PRUNE_SMALL_CONTOUR
            elif last_final is not None and not get_iou(last_final, box, thr) > np.float32(0.3):
                info["outcome"] = PRUNE_LOW_IOU
            else:
                info["outcome"] = PRUNE_BOX_APPLIED
                logits = logits * box
    return logits, info


def temporal_step(logits, last, n_last, thr=THRESHOLD):
    """The temporal step; returns the new logits, the new (last, n_last), and whether the
    dilated mask multiplied."""
    if 100000 > n_last > 5000:
        m = (last > thr).astype(np.uint8)
        m = cv2.morphologyEx(m, cv2.MORPH_OPEN, np.ones((15, 15), np.uint8))
        dilation = cv2.dilate(m, np.ones((101, 101), np.uint8), iterations=1).astype(np.float32)
        new_last, new_n = logits.copy(), count_fg(logits, thr)
        return logits * dilation, new_last, new_n, 1
    return logits, logits.copy(), count_fg(logits, thr), 0


def run_sequence(logits_seq, prune_masks, prune, thr=THRESHOLD):
    masks, trace = [], []
    last, n_last, last_final = None, 0, None
    for f, logits in enumerate(logits_seq):
        logits = np.asarray(logits, np.float32)
        info = {"outcome": PRUNE_NOT_RUN, "box_x": 0, "box_y": 0, "box_w": 0, "box_h": 0,
                "prune_count": 0}
        if prune:
            logits, info = prune_step(logits, prune_masks[f], last_final, thr)
            last_final = logits.copy()
        info["n_last"] = n_last
        logits, last, n_last, info["temporal_applied"] = temporal_step(logits, last, n_last, thr)
        masks.append((logits > thr).astype(np.uint8))
        trace.append(info)
    return masks, trace
