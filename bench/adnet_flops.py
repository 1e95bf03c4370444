#!/usr/bin/python3
"""Multiply-adds of the released AD-Net, counted from the PyTorch restatement of its
architecture (tests/reference/adnet_reference.py), independently of adnet's own plan.

The network runs on PyTorch's "meta" device (shapes only, no arithmetic, no memory), with a
hook on every convolution: a convolution costs out_channels x out_h x out_w x
(in_channels / groups) x kernel_h x kernel_w multiply-adds. Each branch of the attention costs
2 x Mq x Mkv x E (the scores and the weighted sum), counted by wrapping the reference's
`attend`. Bias additions, BatchNorm, activations and pooling are not multiply-adds and are
not counted (adnet does not count them either).

These are nominal counts, as the spec's "about 499 G" counts: every tap of every convolution,
also the taps that read the zero padding. The ASPP's dilated convolutions (dilation 12, 24, 36
on a 61 x 108 map) read mostly padding with their outer taps, so "in_bounds" also gives the
count of taps inside the input: what is left for an implementation that skips padded taps.

As a program it prints the counts as JSON:
    bench/adnet_flops.py --model ad --backbone 101 --size 857x481
"""

import argparse
import json
import os
import sys

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "reference"))
import adnet_reference as ref  # noqa: E402

# Layer groups in adnet's naming (host/model/arch.c), from the module names of the reference.
GROUP_ORDER = ("stem", "layer1", "layer2", "layer3", "layer4", "aspp", "head", "attention",
               "classifier")


def group_of(module_name):
    """The layer group of a module of ADNetReference, by its qualified name."""
    parts = module_name.split(".")
    if parts[0] == "cls":
        return "classifier"
    if parts[0] == "features":
        parts = parts[1:]
    if not parts:
        return None
    if parts[0] in ("conv1", "conv2", "conv3", "bn1", "bn2", "bn3", "maxpool"):
        return "stem"
    if parts[0].startswith("layer"):
        return parts[0]
    if parts[0] == "head":
        return "aspp" if len(parts) > 1 and parts[1] == "0" else "head"
    return None


def in_bounds_taps(n_in, n_out, k, stride, pad, dilation):
    """Pairs (output position, kernel tap) along one axis whose input index lies inside the
    input, 0 <= o * stride - pad + t * dilation < n_in."""
    return sum(1 for o in range(n_out) for t in range(k)
               if 0 <= o * stride - pad + t * dilation < n_in)


def parse_size(text):
    w, h = text.lower().split("x")
    return int(w), int(h)


def count_macs(model, depth, width, height):
    """Multiply-adds of one feature extraction, of the attention and of the classifier for a
    width x height input, and per layer group of the frame (features + attention +
    classifier). Returns a dict."""
    net = ref.ADNetReference(model, depth).eval().to("meta")
    counts = {}
    in_bounds = {}
    rows_in = {}
    onednn_engine = {}  # what oneDNN's engine multiplies
    current = {"phase": None}

    def conv_hook(name):
        def hook(module, inputs, output):
            k = module.kernel_size[0] * module.kernel_size[1]
            macs = output.numel() * (module.in_channels // module.groups) * k
            key = (current["phase"], group_of(name))
            counts[key] = counts.get(key, 0) + macs
            taps = 1
            for axis in (0, 1):
                taps *= in_bounds_taps(inputs[0].shape[2 + axis], output.shape[2 + axis],
                                       module.kernel_size[axis], module.stride[axis],
                                       module.padding[axis], module.dilation[axis])
            inside = output.shape[1] * (module.in_channels // module.groups) * taps
            in_bounds[key] = in_bounds.get(key, 0) + inside
            # only whole kernel rows that read padding left out (columns kept)
            row_taps = in_bounds_taps(inputs[0].shape[2], output.shape[2], module.kernel_size[0],
                                      module.stride[0], module.padding[0], module.dilation[0])
            rows = (output.shape[1] * (module.in_channels // module.groups) * row_taps *
                    module.kernel_size[1] * output.shape[3])
            rows_in[key] = rows_in.get(key, 0) + rows
            # on oneDNN's engine, oneDNN's convolution (3x3 with dilation >= 8 or a stride) and
            # the tap form multiply only in-bounds taps
            d = module.dilation[0]
            inside_only = module.kernel_size == (3, 3) and (d >= 8 or module.stride[0] > 1)
            onednn_engine[key] = onednn_engine.get(key, 0) + (inside if inside_only else rows)
        return hook

    handles = [m.register_forward_hook(conv_hook(n)) for n, m in net.named_modules()
               if isinstance(m, nn.Conv2d)]
    original_attend = ref.attend

    def counting_attend(q, kv):
        e, mq = q.shape
        mkv = kv.shape[1]
        key = (current["phase"], "attention")
        counts[key] = counts.get(key, 0) + 2 * mq * mkv * e
        in_bounds[key] = in_bounds.get(key, 0) + 2 * mq * mkv * e
        rows_in[key] = rows_in.get(key, 0) + 2 * mq * mkv * e
        onednn_engine[key] = onednn_engine.get(key, 0) + 2 * mq * mkv * e
        return original_attend(q, kv)

    ref.attend = counting_attend
    try:
        with torch.no_grad():
            x = torch.empty(1, 3, height, width, device="meta")
            current["phase"] = "anchor"
            x0 = net.features(x)
            current["phase"] = "frame"
            xt = net.features(x)
            net.logits_from_features(None if model in ("base", "intra") else x0, xt)
    finally:
        ref.attend = original_attend
        for h in handles:
            h.remove()
    features = sum(v for (phase, _), v in counts.items() if phase == "anchor")
    frame_groups = {g: counts.get(("frame", g), 0) for g in GROUP_ORDER}
    inside_groups = {g: in_bounds.get(("frame", g), 0) for g in GROUP_ORDER}
    inside_features = sum(v for (phase, _), v in in_bounds.items() if phase == "anchor")
    frame = sum(frame_groups.values())
    fh, fw = ref.feature_size(width, height)
    return {
        "model": model, "depth": depth, "width": width, "height": height,
        "feature_width": fw, "feature_height": fh,
        "features_macs": features,
        "attention_macs": frame_groups["attention"],
        "classifier_macs": frame_groups["classifier"],
        "frame_macs": frame,
        # the released loop computes the anchor's features for every frame (base and intra
        # do not use them)
        "released_loop_macs": frame + (0 if model in ("base", "intra") else features),
        "groups": frame_groups,
        # the same, counting only the taps that read inside the input (not its zero padding):
        # the arithmetic left for an implementation that skips padded taps
        "in_bounds": {
            "features_macs": inside_features,
            "frame_macs": sum(inside_groups.values()),
            "groups": inside_groups,
        },
        # the frame counting the taps of kernel rows that read inside the input for their
        # output row (whole padded kernel rows left out, padded columns kept): what adnet's
        # im2col computes without Winograd
        "rows_in_bounds_frame_macs": sum(v for (phase, _), v in rows_in.items()
                                         if phase == "frame"),
        # the same with the 3x3 stride-1 convolutions of dilation 8 or more (the ASPP's)
        # counted tap by tap inside the input along both axes: what adnet computes without
        # Winograd on oneDNN's engine, which runs those in its tap form
        "onednn_engine_frame_macs": sum(v for (phase, _), v in onednn_engine.items()
                                        if phase == "frame"),
    }


def main(argv=None):
    p = argparse.ArgumentParser(description="Multiply-adds of AD-Net, from the PyTorch "
                                "restatement of the released architecture.")
    p.add_argument("--model", default="ad", choices=ref.MODELS)
    p.add_argument("--backbone", type=int, default=101, choices=sorted(ref.STAGE_BLOCKS))
    p.add_argument("--size", type=parse_size, default=(857, 481), help="WxH")
    a = p.parse_args(argv)
    print(json.dumps(count_macs(a.model, a.backbone, *a.size), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
