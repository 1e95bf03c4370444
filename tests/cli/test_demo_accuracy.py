#!/usr/bin/python3
"""Accuracy of the demo model, end to end: on held-out synthetic clips (the demo split's
photographs, which training never saw, at seeds other than the shipped clip's), `adnet segment`
runs the released loop (temporal post-processing on) and PyTorch runs the same loop from the
reference re-statement (tests/reference: the network, the preprocessing, the post-processing)
with the same weights. Both are scored with the DAVIS region similarity J over frames 1..n-2.

Asserts that the two J agree to J_AGREE, and that adnet's J is above J_FLOOR: a broken
pipeline (a wrong preprocessing, a misplaced temporal step, swapped anchor and frame) keeps
numeric fidelity on random weights but loses accuracy on trained ones.

Usage: test_demo_accuracy.py ADNET WEIGHTS WORK_DIR
"""
import json
import os
import shutil
import subprocess
import sys

import cv2
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(ROOT, "weights"))
sys.path.insert(0, os.path.join(ROOT, "tests", "reference"))
sys.path.insert(0, os.path.join(ROOT, "tests"))
import adnet_reference as ref  # noqa: E402
import davis_metrics_ref  # noqa: E402
import postproc_ref  # noqa: E402
import synth_clips  # noqa: E402
from checks import fail, finish  # noqa: E402
from test_reference_selfcheck import read_safetensors  # noqa: E402

CLIPS = 8
FRAMES = 12
FIRST_SEED = 3  # the shipped clips are seeds 0 to 2
FRAME_SIZE = "256x144"
NET_SIZE = (257, 145)
J_AGREE = 0.005
# The committed demo model reaches J = 0.54 on these clips (0.13 to 0.85 per clip; on the
# `camera` photograph it often takes the cameraman for the object: docs/weights.md). Measured
# with the PyTorch loop: frames without the BGR mean subtracted give J = 0.12, anchor and frame
# swapped 0.23; the floor sits between those and the model. (The model was trained on
# recoloured photographs, so swapped colour channels cost it little, 0.49: the fidelity tests
# catch those, against the reference's logits.)
J_FLOOR = 0.45


def reference_network(path):
    """The reference network of a weights file, its model and architecture from the metadata."""
    meta, tensors = read_safetensors(path)
    arch = json.loads(meta["adnet.arch"])
    net = ref.ADNetReference(meta["model"], arch=arch).eval()
    net.load_released_state_dict({name: torch.from_numpy(arr)
                                  for name, (_, arr) in tensors.items()})
    return net


def clip_j(masks, truths):
    """The benchmark's J averaged over frames 1..n-2."""
    js = [davis_metrics_ref.region_similarity(m, g) for m, g in zip(masks, truths)][1:-1]
    return float(np.mean(js))


def torch_masks(net, frame_paths):
    """The released loop in PyTorch: logits(anchor = frame 0, frame) at NET_SIZE, upsampled to
    the frame's size, the temporal post-processing, the threshold."""
    frames = [ref.read_frame(p) for p in frame_paths]
    h, w = frames[0].shape[:2]
    anchor = ref.preprocess(frames[0], *NET_SIZE)
    logits = []
    with torch.no_grad():
        x0 = net.features(anchor)
        for f in frames:
            xt = net.features(ref.preprocess(f, *NET_SIZE))
            up = ref.upsample(net.logits_from_features(x0, xt), h, w)
            logits.append(up[0, 0].numpy().astype(np.float32))
    masks, _ = postproc_ref.run_sequence(logits, [None] * len(logits), False)
    return masks


def main(argv):
    adnet, weights, work = argv[1], argv[2], argv[3]
    shutil.rmtree(work, ignore_errors=True)
    root = os.path.join(work, "clips")
    synth_clips.main([root, "--split", "demo", "--clips", str(CLIPS), "--frames", str(FRAMES),
                      "--size", FRAME_SIZE, "--seed", str(FIRST_SEED)])
    out = os.path.join(work, "out")
    r = subprocess.run([adnet, "segment", "--weights", weights, "--davis", root, "--videos",
                        "all", "--size", "%dx%d" % NET_SIZE, "--out", out, "--quiet"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        fail("adnet segment: exit %d\n%s" % (r.returncode, r.stderr))
        return finish("test_demo_accuracy")

    torch.set_num_threads(2)
    net = reference_network(weights)
    names = sorted(os.listdir(os.path.join(root, "JPEGImages", "480p")))
    j_adnet, j_torch = [], []
    for name in names:
        fdir = os.path.join(root, "JPEGImages", "480p", name)
        adir = os.path.join(root, "Annotations", "480p", name)
        stems = sorted(os.path.splitext(f)[0] for f in os.listdir(fdir))
        truths = [davis_metrics_ref.read_png(os.path.join(adir, s + ".png")) for s in stems]
        ours = [davis_metrics_ref.read_png(os.path.join(out, "masks", name, s + ".png"))
                for s in stems]
        theirs = torch_masks(net, [os.path.join(fdir, s + ".jpg") for s in stems])
        j_adnet.append(clip_j(ours, truths))
        j_torch.append(clip_j(theirs, truths))
        print("%s: J adnet %.4f, PyTorch %.4f" % (name, j_adnet[-1], j_torch[-1]))
    ja, jt = float(np.mean(j_adnet)), float(np.mean(j_torch))
    print("J mean: adnet %.4f, PyTorch %.4f (floor %.2f)" % (ja, jt, J_FLOOR))
    if abs(ja - jt) > J_AGREE:
        fail("adnet's J %.4f and PyTorch's %.4f differ by more than %.3f" % (ja, jt, J_AGREE))
    if ja < J_FLOOR:
        fail("adnet's J %.4f is below the floor %.2f" % (ja, J_FLOOR))
    return finish("test_demo_accuracy")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
