#!/usr/bin/python3
"""PyTorch restatement of the released AD-Net, and the generator of adnet's test cases.

The network follows the project's contract (spec/adnet.md) to the letter: ResNet-DeepLabv3 at
output stride 8 with In-Place ABN in its inference form, the ASPP head, the five models (ad,
inter, intra, concat, base) and the released state_dict names, so that a weights file written
here loads into adnet exactly as a converted official checkpoint would.

Weights are random (seeded) but calibrated on a synthetic frame so that activations stay near
unit scale through 100+ layers, the attention is neither flat nor one-hot, and the logits fall
on both sides of the 0.5 mask threshold. See `init_weights`.

As a program it writes one test case into a directory:
    weights.safetensors            the network, F32 / F16 / BF16, optionally "module."-prefixed
    frames/00000.jpg ...           synthetic frames (cv2.imwrite, JPEG quality 95)
    expected/<frame>.npy           raw logits, float32 1 x h x w (anchor = frame 0)
    expected_masks/<frame>.png     logits upsampled to frame size, > 0.5, as 0/255 (the
                                   released loop before its temporal post-processing)
    expected_msm/<frame>.npy       multi-scale + mirror logits at frame size (--ms-mirror; the
                                   first --ms-mirror-frames frames only, when given)
    info.json                      what the case is, and the logits ranges
Expected outputs are computed from the weights as stored (after rounding to the file's dtype)
and from the frames as read back from the JPEGs on disk, as the released evaluation reads them.
"""

import argparse
import io
import json
import math
import os
import struct
import sys
import time
from collections import OrderedDict

import cv2
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

BGR_MEAN = (104.00698793, 116.66876762, 122.67891434)
ABN_EPS = 1e-5
LEAKY_SLOPE = 0.01
EMBED = 128
MODELS = ("ad", "inter", "intra", "concat", "base")
STAGE_BLOCKS = {50: (3, 4, 6, 3), 101: (3, 4, 23, 3)}
ASPP_DILATIONS = (12, 24, 36)
MSM_SCALES = (0.75, 1.0, 1.5)
MASK_THRESHOLD = 0.5

# Classifier input: which features are concatenated, in this order, per model.
CLASSIFIER_INPUTS = {
    "ad": ("attend(X0,Xt)", "attend(Xt,Xt)", "Xt"),
    "inter": ("attend(X0,Xt)", "Xt"),
    "intra": ("attend(Xt,Xt)", "Xt"),
    "concat": ("X0", "Xt"),
}

# Weights are calibrated on a fixed input so that one seed gives one weights file whatever the
# case's sizes: synthetic frames 0 and CALIBRATION_CURRENT rendered at the default frame size.
CALIBRATION_SIZE = (100, 75)
CALIBRATION_CURRENT = 2
DEFAULT_FRAME_SIZE = (120, 90)
# Targets of the calibration (see init_weights).
LOGIT_STD = 1.5
FOREGROUND_FRACTION = 0.4
ATTENTION_MAX_PROB = 0.2  # mean over rows (and both attentions) of the softmax's largest weight


# ---------------------------------------------------------------------------------------------
# The network
# ---------------------------------------------------------------------------------------------


class InPlaceABN(nn.Module):
    """In-Place Activated BatchNorm at inference: y = (x - m) * (|w| + eps) / sqrt(v + eps) + b,
    then leaky ReLU (slope 0.01) or nothing. The library keeps the scale positive, hence |w|."""

    # Set by weights/train_demo.py: in training mode, normalise with the batch's statistics.
    # Otherwise the module is the inference form whatever its mode.
    train_with_batch_statistics = False

    def __init__(self, channels, leaky):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.register_buffer("running_mean", torch.zeros(channels))
        self.register_buffer("running_var", torch.ones(channels))
        self.leaky = leaky
        # While set to a torch.Generator, the next forward pass sets the running statistics
        # from its input (see calibrate_running_stats) before normalising.
        self.calibrate_with = None

    def forward(self, x):
        if self.calibrate_with is not None:
            calibrate_running_stats(self, x, self.calibrate_with)
            self.calibrate_with = None
        shape = (1, -1, 1, 1)
        if self.training and InPlaceABN.train_with_batch_statistics:
            # training form (weights/train_demo.py): BatchNorm's, with the batch's statistics
            # and the running ones updated with momentum 0.1, and the scale |w| + eps
            y = F.batch_norm(x, self.running_mean, self.running_var, self.weight.abs() + ABN_EPS,
                             self.bias, training=True, momentum=0.1, eps=ABN_EPS)
            return F.leaky_relu(y, LEAKY_SLOPE) if self.leaky else y
        scale = (self.weight.abs() + ABN_EPS) / torch.sqrt(self.running_var + ABN_EPS)
        y = (x - self.running_mean.view(shape)) * scale.view(shape) + self.bias.view(shape)
        return F.leaky_relu(y, LEAKY_SLOPE) if self.leaky else y


def calibrate_running_stats(abn, x, gen):
    """Running statistics close to, but deliberately not equal to, the input's own: the mean
    is off by a quarter of a standard deviation at random and the variance by a random factor
    in [e^-0.5, e^0.5], so that the normalisation is non-trivial yet keeps values near unit
    scale. A 1 x 1 input (the image-pooling branch) has no spread per channel; it uses the
    spread across channels instead."""
    c = x.shape[1]
    per_channel = x.transpose(0, 1).reshape(c, -1).double()
    mean = per_channel.mean(dim=1)
    if per_channel.shape[1] > 1:
        var = per_channel.var(dim=1, unbiased=False)
    else:
        var = torch.full_like(mean, float(per_channel.var(unbiased=False)))
    var = torch.clamp(var, min=1e-4 * float(var.mean()) + 1e-12)
    std = var.sqrt()
    noise = torch.randn(c, generator=gen, dtype=torch.float64)
    factor = torch.exp(torch.rand(c, generator=gen, dtype=torch.float64) - 0.5)
    abn.running_mean.copy_((mean + 0.25 * std * noise).float())
    abn.running_var.copy_((var * factor).float())


def conv(cin, cout, k, stride=1, dilation=1, bias=False):
    return nn.Conv2d(cin, cout, k, stride=stride, padding=dilation * (k // 2), dilation=dilation,
                     bias=bias)


def released_arch(depth, width_div=1, embed=EMBED):
    """The architecture as data (the JSON of a weights file's "adnet.arch" metadata): the
    released AD-Net at a depth; width_div divides every channel count but E (a narrow network
    with the same spatial behaviour, for quick checks)."""
    ch = lambda n: n // width_div  # noqa: E731
    return OrderedDict([
        ("stem", [ch(64), ch(64), ch(128)]), ("planes", [ch(p) for p in (64, 128, 256, 512)]),
        ("blocks", list(STAGE_BLOCKS[depth])), ("expansion", 4), ("dilations", [1, 1, 2, 4]),
        ("multi_grid", [1, 2, 4]), ("aspp", ch(512)), ("aspp_rates", list(ASPP_DILATIONS)),
        ("embed", embed), ("classifier", embed)])


def arch_is_released(arch):
    """Whether arch is one of the released networks (then no "adnet.arch" metadata is needed)."""
    for depth in STAGE_BLOCKS:
        if dict(arch) == dict(released_arch(depth, 1, arch["embed"])):
            return True
    return False


class Bottleneck(nn.Module):
    """1x1 -> 3x3 (carries the stride and the dilation) -> 1x1 (x expansion), plus the
    residual."""

    def __init__(self, cin, planes, stride, dilation, downsample, expansion=4):
        super().__init__()
        self.conv1 = conv(cin, planes, 1)
        self.bn1 = InPlaceABN(planes, leaky=False)
        self.conv2 = conv(planes, planes, 3, stride=stride, dilation=dilation)
        self.bn2 = InPlaceABN(planes, leaky=False)
        self.conv3 = conv(planes, expansion * planes, 1)
        self.bn3 = InPlaceABN(expansion * planes, leaky=False)
        if downsample:
            self.downsample = nn.Sequential(conv(cin, expansion * planes, 1, stride=stride),
                                            InPlaceABN(expansion * planes, leaky=False))
        else:
            self.downsample = None

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        residual = x if self.downsample is None else self.downsample(x)
        return F.relu(out + residual)


class ASPP(nn.Module):
    """Four parallel branches and image pooling, concatenated in that order, then 1x1."""

    def __init__(self, cin, hidden, rates=ASPP_DILATIONS):
        super().__init__()
        self.conv1 = nn.Sequential(conv(cin, hidden, 1), InPlaceABN(hidden, leaky=True))
        self.conv2 = nn.Sequential(conv(cin, hidden, 3, dilation=rates[0]),
                                   InPlaceABN(hidden, leaky=True))
        self.conv3 = nn.Sequential(conv(cin, hidden, 3, dilation=rates[1]),
                                   InPlaceABN(hidden, leaky=True))
        self.conv4 = nn.Sequential(conv(cin, hidden, 3, dilation=rates[2]),
                                   InPlaceABN(hidden, leaky=True))
        self.image_pooling = nn.Sequential(nn.AdaptiveAvgPool2d(1), conv(cin, hidden, 1),
                                           InPlaceABN(hidden, leaky=True))
        self.conv_bn_dropout = nn.Sequential(conv(5 * hidden, hidden, 1),
                                             InPlaceABN(hidden, leaky=True), nn.Dropout2d(0.1))

    def forward(self, x):
        h, w = x.shape[2], x.shape[3]
        pooled = F.interpolate(self.image_pooling(x), size=(h, w), mode="bilinear",
                               align_corners=True)
        branches = [self.conv1(x), self.conv2(x), self.conv3(x), self.conv4(x), pooled]
        return self.conv_bn_dropout(torch.cat(branches, dim=1))


class ResNetDeepLabv3(nn.Module):
    """The feature extractor; its output is the E-channel head output at 1/8 resolution.

    The released network by depth (width_div: see released_arch), or any architecture given
    as data (arch: released_arch's layout; out_channels still decides E)."""

    def __init__(self, depth, out_channels, width_div=1, arch=None):
        super().__init__()
        a = arch if arch is not None else released_arch(depth, width_div)
        stem, x = a["stem"], a["expansion"]
        self.conv1 = conv(3, stem[0], 3, stride=2)
        self.bn1 = InPlaceABN(stem[0], leaky=False)
        self.conv2 = conv(stem[0], stem[1], 3)
        self.bn2 = InPlaceABN(stem[1], leaky=False)
        self.conv3 = conv(stem[1], stem[2], 3)
        self.bn3 = InPlaceABN(stem[2], leaky=False)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True)
        cin = stem[2]
        stages = []
        dil, grid = a["dilations"], a["multi_grid"]
        for s, (planes, stride) in enumerate(zip(a["planes"], (1, 2, 1, 1))):
            layer = []
            for i in range(a["blocks"][s]):
                # the last stage applies the multi-grid to its base dilation
                d = dil[s] * (grid[min(i, len(grid) - 1)] if s == 3 else 1)
                layer.append(Bottleneck(cin, planes, stride if i == 0 else 1, d,
                                        downsample=(i == 0), expansion=x))
                cin = x * planes
            stages.append(nn.Sequential(*layer))
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        hidden = a["aspp"]
        self.head = nn.Sequential(ASPP(cin, hidden, a["aspp_rates"]),
                                  conv(hidden, out_channels, 1, bias=True))
        # Deep supervision on layer3: present in checkpoints, never used at inference.
        self.dsn = nn.Sequential(conv(x * a["planes"][2], hidden, 3),
                                 InPlaceABN(hidden, leaky=True), nn.Dropout2d(0.1),
                                 conv(hidden, out_channels, 1, bias=True))

    def backbone(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        x = F.relu(self.bn3(self.conv3(x)))
        x = self.maxpool(x)
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))

    def forward(self, x):
        return self.head(self.backbone(x))


def attend(q, kv):
    """attend(Q, KV)[:, i] = sum_j softmax_j(Q[:, i] . KV[:, j] / sqrt(E)) KV[:, j].
    q, kv: E x M. Output column i belongs to q's position i. The M x M matrix is materialised
    as the released code does (fine at test sizes)."""
    e = q.shape[0]
    p = torch.softmax((e ** -0.5) * (q.t() @ kv), dim=-1)
    return (p @ kv.t()).t()


def classifier_input(model, x0, xt):
    """The model's classifier input: its features concatenated in the spec's channel order
    (x0, xt: N x E x h x w; attention per sample)."""
    n, e, h, w = xt.shape
    outs = []
    for i in range(n):
        f0 = None if x0 is None else x0[i].reshape(e, h * w)
        ft = xt[i].reshape(e, h * w)
        parts = {"X0": lambda: f0, "Xt": lambda: ft, "attend(X0,Xt)": lambda: attend(f0, ft),
                 "attend(Xt,Xt)": lambda: attend(ft, ft)}
        outs.append(torch.cat([parts[name]() for name in CLASSIFIER_INPUTS[model]], dim=0))
    return torch.stack(outs).reshape(n, -1, h, w)


class ADNetReference(nn.Module):
    """One of the five models. forward(anchor, current) -> logits N x 1 x h x w.
    base and intra ignore the anchor. The backbone is the released one at depth, or arch
    (see released_arch) when given."""

    def __init__(self, model, depth=None, width_div=1, arch=None):
        super().__init__()
        if model not in MODELS:
            raise ValueError("unknown model %r" % model)
        if arch is None:
            arch = released_arch(depth, width_div)
        self.model = model
        self.depth = depth
        self.arch = arch
        self.embed = 1 if model == "base" else arch["embed"]
        self.features = ResNetDeepLabv3(depth, self.embed, arch=arch)
        if model != "base":
            cin = len(CLASSIFIER_INPUTS[model]) * self.embed
            hidden = arch["classifier"]
            self.cls = nn.Sequential(conv(cin, hidden, 1, bias=True),
                                     InPlaceABN(hidden, leaky=True), nn.Dropout2d(0.1),
                                     conv(hidden, 1, 1, bias=True))

    def released_state_dict(self):
        """The released checkpoint's names: base is the bare ResNet, others nest it."""
        sd = self.state_dict()
        if self.model == "base":
            return OrderedDict((k[len("features."):], v) for k, v in sd.items())
        return sd

    def load_released_state_dict(self, sd):
        if self.model == "base":
            sd = OrderedDict(("features." + k, v) for k, v in sd.items())
        self.load_state_dict(sd)

    def logits_from_features(self, x0, xt):
        if self.model == "base":
            return xt
        return self.cls(classifier_input(self.model, x0, xt))

    def forward(self, anchor, current):
        xt = self.features(current)
        x0 = None if self.model in ("base", "intra") else self.features(anchor)
        return self.logits_from_features(x0, xt)


def feature_size(width, height):
    """h, w of the features for a W x H input: conv1 (stride 2), the ceil-mode max pool and
    layer2's stride 2; the dilated stages keep the size."""

    def conv_out(n, k, s, p):
        return (n + 2 * p - k) // s + 1

    def pool_out(n, k=3, s=2, p=1):
        o = -(-(n + 2 * p - k) // s) + 1
        if (o - 1) * s >= n + p:  # a last window starting inside the padding is dropped
            o -= 1
        return o

    def chain(n):
        return conv_out(pool_out(conv_out(n, 3, 2, 1)), 3, 2, 1)

    return chain(height), chain(width)


# ---------------------------------------------------------------------------------------------
# Random weights
# ---------------------------------------------------------------------------------------------


def abn_modules(module):
    return [m for m in module.modules() if isinstance(m, InPlaceABN)]


def init_weights(net, seed, calibration_pair):
    """Seeded random weights, calibrated on (anchor, current) preprocessed images.

    - conv weights: normal with std sqrt(2 / fan_in); conv biases normal(0, 0.1)
    - BN weights: random sign times U(0.5, 1.5) (negative ones occur: they test |w| + eps),
      except bn3 of every bottleneck: sign times U(0.05, 0.25), so the residual stream grows
      slowly; BN biases normal(0, 0.2) (0.05 for bn3)
    - BN running statistics: from a forward pass over the calibration anchor, perturbed (see
      calibrate_running_stats); the unused dsn BN gets random statistics
    - head.1 (the embedding): rescaled per channel to a common spread plus random offsets,
      then scaled as a whole so that the softmax's largest weight per row is on average
      ATTENTION_MAX_PROB (neither flat nor one-hot: at M = 130 that is 26 times uniform)
    - the last conv producing the logits (cls.3, or head.1 for base): scaled so the logits'
      spread is LOGIT_STD, offset so a FOREGROUND_FRACTION of them exceed 0.5
    """
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, m in net.named_modules():
            if isinstance(m, nn.Conv2d):
                fan_in = m.in_channels * m.kernel_size[0] * m.kernel_size[1] // m.groups
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen) * math.sqrt(2 / fan_in))
                if m.bias is not None:
                    m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.1)
            elif isinstance(m, InPlaceABN):
                c = m.weight.numel()
                small = name.endswith(".bn3") and ".layer" in "." + name
                lo, hi, bias_std = (0.05, 0.25, 0.05) if small else (0.5, 1.5, 0.2)
                sign = torch.where(torch.rand(c, generator=gen) < 0.5, -1.0, 1.0)
                m.weight.copy_(sign * (lo + (hi - lo) * torch.rand(c, generator=gen)))
                m.bias.copy_(torch.randn(c, generator=gen) * bias_std)
                m.running_mean.copy_(torch.randn(c, generator=gen) * 0.1)
                m.running_var.copy_(0.5 + 1.5 * torch.rand(c, generator=gen))

        anchor, current = calibration_pair
        feats = net.features
        for m in abn_modules(feats):
            if not any(m is d for d in abn_modules(feats.dsn)):
                m.calibrate_with = gen
        feats(anchor)
        leftover = [m for m in abn_modules(feats) if m.calibrate_with is not None]
        for m in leftover:
            if not any(m is d for d in abn_modules(feats.dsn)):
                raise RuntimeError("calibration did not reach every BN of the forward pass")
            m.calibrate_with = None

        head_conv = feats.head[1]
        h0 = feats.head[0](feats.backbone(anchor))
        ht = feats.head[0](feats.backbone(current))
        if net.model == "base":
            calibrate_logits(head_conv, head_conv(ht))
            return

        # Embedding: unit spread per channel over the two frames, random offsets.
        y = torch.cat([head_conv(h0), head_conv(ht)], dim=3)
        mean = y.mean(dim=(0, 2, 3))
        std = y.std(dim=(0, 2, 3)).clamp(min=1e-6)
        offset = 0.5 * torch.randn(mean.shape, generator=gen)
        head_conv.weight.div_(std.view(-1, 1, 1, 1))
        head_conv.bias.copy_((head_conv.bias - mean) / std + offset)
        x0, xt = head_conv(h0), head_conv(ht)
        t = attention_scale(x0, xt)
        head_conv.weight.mul_(t)
        head_conv.bias.mul_(t)
        x0, xt = x0 * t, xt * t

        net.cls[1].calibrate_with = gen
        hidden = net.cls[2](net.cls[1](net.cls[0](classifier_input(net.model, x0, xt))))
        calibrate_logits(net.cls[3], net.cls[3](hidden))


def calibrate_logits(last_conv, logits):
    """Rescale the conv producing the logits: spread LOGIT_STD, FOREGROUND_FRACTION above 0.5."""
    flat = logits.flatten()
    k = LOGIT_STD / float(flat.std().clamp(min=1e-6))
    q = float(torch.quantile(flat * k, 1.0 - FOREGROUND_FRACTION))
    last_conv.weight.mul_(k)
    last_conv.bias.copy_(last_conv.bias * k - q + MASK_THRESHOLD)


def mean_max_prob(q, kv):
    e = q.shape[0]
    return float(torch.softmax((e ** -0.5) * (q.t() @ kv), dim=-1).max(dim=-1)[0].mean())


def attention_scale(x0, xt):
    """Factor t for the embedding (scores scale by t^2) giving a mean largest softmax weight of
    ATTENTION_MAX_PROB over the inter- and intra-frame attention, by bisection on log t."""
    e = xt.shape[1]
    f0, ft = x0.reshape(e, -1), xt.reshape(e, -1)

    def peak(t):
        return 0.5 * (mean_max_prob(f0 * t, ft * t) + mean_max_prob(ft * t, ft * t))

    lo, hi = -6.0, 4.0  # log t; the peak grows with t
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        if peak(math.exp(mid)) < ATTENTION_MAX_PROB:
            lo = mid
        else:
            hi = mid
    return math.exp(0.5 * (lo + hi))


def round_to_dtype(net, dtype):
    """Round every tensor to the file's dtype (kept as float32), so that the expected outputs
    are those of the weights exactly as stored."""
    tdtype = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}[dtype]
    with torch.no_grad():
        for t in list(net.parameters()) + list(net.buffers()):
            t.copy_(t.to(tdtype).to(torch.float32))


# ---------------------------------------------------------------------------------------------
# safetensors writer
# ---------------------------------------------------------------------------------------------

SAFETENSORS_DTYPES = {"f32": "F32", "f16": "F16", "bf16": "BF16"}


def tensor_le_bytes(t, dtype):
    t = t.detach().to("cpu").contiguous()
    if dtype == "f32":
        return t.to(torch.float32).numpy().astype("<f4").tobytes()
    if dtype == "f16":
        return t.to(torch.float16).numpy().astype("<f2").tobytes()
    if dtype == "bf16":
        return t.to(torch.bfloat16).view(torch.int16).numpy().astype("<i2").tobytes()
    raise ValueError("unknown dtype %r" % dtype)


def safetensors_bytes(tensors, dtype="f32", metadata=None):
    """tensors: ordered name -> tensor. Layout: u64 LE header length, JSON header (padded with
    spaces to a multiple of 8), then every tensor's little-endian bytes back to back."""
    header = OrderedDict()
    if metadata:
        header["__metadata__"] = OrderedDict((str(k), str(v)) for k, v in metadata.items())
    blobs = []
    offset = 0
    for name, t in tensors.items():
        data = tensor_le_bytes(t, dtype)
        header[name] = OrderedDict([("dtype", SAFETENSORS_DTYPES[dtype]),
                                    ("shape", [int(s) for s in t.shape]),
                                    ("data_offsets", [offset, offset + len(data)])])
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return b"".join([struct.pack("<Q", len(text)), text] + blobs)


def write_atomic(path, data):
    tmp = path + ".tmp%d" % os.getpid()
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def write_safetensors(path, tensors, dtype="f32", metadata=None):
    write_atomic(path, safetensors_bytes(tensors, dtype, metadata))


def weights_file_tensors(net, module_prefix):
    prefix = "module." if module_prefix else ""
    return OrderedDict((prefix + k, v) for k, v in net.released_state_dict().items())


# ---------------------------------------------------------------------------------------------
# Frames and preprocessing
# ---------------------------------------------------------------------------------------------


def render_frame(index, width, height, seed):
    """A synthetic BGR frame: a smooth two-colour background with a low-frequency wave, three
    soft-edged coloured shapes drifting a little per frame, and mild fixed texture. Positions
    are in units of the frame, so every size shows the same scene."""
    rng = np.random.RandomState(seed % (2 ** 31))
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    u = (xx + 0.5) / width
    v = (yy + 0.5) / height
    c0, c1, c2 = rng.uniform(30, 225, size=(3, 3))
    img = (c0 * (1 - u)[..., None] + c1 * u[..., None]) * (1 - 0.5 * v)[..., None] \
        + c2 * (0.5 * v)[..., None]
    phase = rng.uniform(0, 2 * np.pi)
    img += 14 * np.sin(2 * np.pi * (1.3 * u + 0.8 * v) + phase + 0.15 * index)[..., None]
    for _ in range(3):
        cx, cy = rng.uniform(0.25, 0.75, size=2)
        vx, vy = rng.uniform(-0.025, 0.025, size=2)
        rx, ry = rng.uniform(0.1, 0.25, size=2)
        power = rng.choice([2.0, 6.0])  # ellipse or rounded box
        colour = rng.uniform(0, 255, size=3)
        du = np.abs((u - cx - vx * index) / rx)
        dv = np.abs((v - cy - vy * index) / ry)
        d = du ** power + dv ** power
        alpha = 1.0 / (1.0 + np.exp(np.clip((d - 1.0) * 10.0, -50, 50)))
        img = img * (1 - alpha[..., None]) + colour * alpha[..., None]
    texture = rng.randn(height, width, 3)
    img += 5.0 * cv2.GaussianBlur(texture, (0, 0), 1.0)
    img += 1.5 * np.random.RandomState((seed * 7919 + index) % (2 ** 31)).randn(height, width, 3)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def preprocess(bgr, width, height):
    """The official evaluation's input: BGR uint8 -> cv2.resize INTER_LINEAR to W x H ->
    float32 minus the BGR mean -> 1 x 3 x H x W."""
    img = cv2.resize(bgr, (width, height), interpolation=cv2.INTER_LINEAR)
    img = np.asarray(img, np.float32) - np.array(BGR_MEAN, np.float32)
    return torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1))).unsqueeze(0)


def read_frame(path):
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:
        raise RuntimeError("cannot read image %s" % path)
    return img


def msm_sizes(width, height):
    """Multi-scale sizes: 0.75, 1, 1.5 times W x H, each side rounded to (s - 1) // 8 * 8 + 1
    (computed in floating point, as the released loop does)."""
    return [(int((width * s - 1) // 8 * 8 + 1), int((height * s - 1) // 8 * 8 + 1))
            for s in MSM_SCALES]


def upsample(logits, height, width):
    return F.interpolate(logits, size=(height, width), mode="bilinear", align_corners=True)


# ---------------------------------------------------------------------------------------------
# Test-case generation
# ---------------------------------------------------------------------------------------------


def build_reference(model, depth, seed, dtype="f32", width_div=1, arch=None):
    """The calibrated, dtype-rounded reference network for a seed (independent of any test
    size: the calibration input is fixed)."""
    net = ADNetReference(model, depth, width_div, arch).eval()
    cw, ch = CALIBRATION_SIZE
    fw, fh = DEFAULT_FRAME_SIZE
    pair = tuple(preprocess(render_frame(i, fw, fh, seed), cw, ch)
                 for i in (0, CALIBRATION_CURRENT))
    init_weights(net, seed, pair)
    round_to_dtype(net, dtype)
    return net


class CachedAnchor:
    """Features of the anchor per input variant (size, mirror): the released loop recomputes
    them per frame, with the same result."""

    def __init__(self, net, anchor_bgr):
        self.net = net
        self.anchor_bgr = anchor_bgr
        self.cache = {}

    def features(self, width, height, mirror):
        key = (width, height, mirror)
        if key not in self.cache:
            x = preprocess(self.anchor_bgr, width, height)
            if mirror:
                x = torch.flip(x, [3])
            self.cache[key] = self.net.features(x)
        return self.cache[key]


def case_logits(net, anchor, bgr, width, height, mirror=False):
    x = preprocess(bgr, width, height)
    if mirror:
        x = torch.flip(x, [3])
    xt = net.features(x)
    x0 = None if net.model in ("base", "intra") else anchor.features(width, height, mirror)
    return net.logits_from_features(x0, xt)


def msm_logits(net, anchor, bgr, width, height):
    """The released multi-scale + mirror: 3 sizes, each plain and mirrored (anchor mirrored
    alike), each upsampled to the frame's size, mirrored ones flipped back, then averaged."""
    fh, fw = bgr.shape[:2]
    sizes = msm_sizes(width, height)
    outs = [upsample(case_logits(net, anchor, bgr, w, h), fh, fw) for w, h in sizes]
    outs += [torch.flip(upsample(case_logits(net, anchor, bgr, w, h, mirror=True), fh, fw), [3])
             for w, h in sizes]
    return torch.mean(torch.stack(outs, dim=0), 0)


def npy_bytes(array):
    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()


def arch_metadata(net):
    """The weights file's metadata: the model, its depth and E, and the architecture as JSON
    under "adnet.arch" when it is not a released one."""
    meta = OrderedDict([("model", net.model)])
    arch = OrderedDict(net.arch)
    arch["embed"] = net.embed
    if net.depth is not None and arch_is_released(arch):
        meta["depth"] = str(net.depth)
    else:
        meta["adnet.arch"] = json.dumps(arch, separators=(",", ":"))
    meta["embed"] = str(net.embed)
    return meta


def encode_image(ext, img, params=()):
    ok, data = cv2.imencode(ext, img, list(params))
    if not ok:
        raise RuntimeError("cv2.imencode(%s) failed" % ext)
    return data.tobytes()


def generate(args):
    t_start = time.time()
    width, height = args.size
    fw, fh = args.frame_size
    out = args.out
    for sub in ("frames", "expected", "expected_masks") + (("expected_msm",) if args.ms_mirror
                                                            else ()):
        os.makedirs(os.path.join(out, sub), exist_ok=True)

    net = build_reference(args.model, args.depth, args.seed, args.dtype, args.width_div,
                          args.arch)
    t_init = time.time()
    metadata = None if args.no_metadata else arch_metadata(net)
    write_safetensors(os.path.join(out, "weights.safetensors"),
                      weights_file_tensors(net, args.module_prefix), args.dtype, metadata)

    names = ["%05d" % i for i in range(args.frames)]
    paths = []
    for i, name in enumerate(names):
        path = os.path.join(out, "frames", name + ".jpg")
        write_atomic(path, encode_image(".jpg", render_frame(i, fw, fh, args.seed),
                                        [cv2.IMWRITE_JPEG_QUALITY, 95]))
        paths.append(path)

    fh_, fw_ = feature_size(width, height)
    anchor = CachedAnchor(net, read_frame(paths[0]))
    per_frame = []
    with torch.no_grad():
        for name, path in zip(names, paths):
            bgr = read_frame(path)
            logits = case_logits(net, anchor, bgr, width, height)
            if tuple(logits.shape) != (1, 1, fh_, fw_):
                raise RuntimeError("logits shape %s, expected 1 x 1 x %d x %d"
                                   % (tuple(logits.shape), fh_, fw_))
            arr = logits[0].numpy().astype(np.float32)
            if not np.all(np.isfinite(arr)):
                raise RuntimeError("non-finite logits for frame %s" % name)
            write_atomic(os.path.join(out, "expected", name + ".npy"), npy_bytes(arr))
            up = upsample(logits, bgr.shape[0], bgr.shape[1])[0, 0].numpy()
            mask = (up > MASK_THRESHOLD).astype(np.uint8) * 255
            write_atomic(os.path.join(out, "expected_masks", name + ".png"),
                         encode_image(".png", mask))
            entry = OrderedDict([("frame", name), ("logits_min", float(arr.min())),
                                 ("logits_max", float(arr.max())),
                                 ("mask_fraction", float((mask > 0).mean()))])
            if args.ms_mirror and len(per_frame) < args.ms_mirror_frames:
                msm = msm_logits(net, anchor, bgr, width, height)[0].numpy().astype(np.float32)
                write_atomic(os.path.join(out, "expected_msm", name + ".npy"), npy_bytes(msm))
                entry["msm_min"] = float(msm.min())
                entry["msm_max"] = float(msm.max())
                entry["msm_mask_fraction"] = float((msm > MASK_THRESHOLD).mean())
            per_frame.append(entry)

    info = OrderedDict([
        ("model", args.model), ("depth", args.depth), ("embed", net.embed),
        ("size", [width, height]), ("feature_size", [fh_, fw_]),
        ("frame_size", [fw, fh]), ("frames", args.frames), ("seed", args.seed),
        ("dtype", args.dtype), ("module_prefix", bool(args.module_prefix)),
        ("width_div", args.width_div), ("arch", net.arch),
        ("metadata", metadata), ("anchor", names[0]),
        ("mask_threshold", MASK_THRESHOLD),
        ("msm_sizes", [list(s) for s in msm_sizes(width, height)] if args.ms_mirror else None),
        ("logits_min", min(e["logits_min"] for e in per_frame)),
        ("logits_max", max(e["logits_max"] for e in per_frame)),
        ("per_frame", per_frame),
    ])
    write_atomic(os.path.join(out, "info.json"), (json.dumps(info, indent=1) + "\n").encode())
    t_end = time.time()
    print("%s R%d E=%d %s input %dx%d -> features %d x %d (h x w), %d frames %dx%d"
          % (args.model, 3 * sum(net.arch["blocks"]) + 2, net.embed, args.dtype, width, height, fh_, fw_,
             args.frames, fw, fh))
    print("logits range [%.4f, %.4f]; mask fractions %s"
          % (info["logits_min"], info["logits_max"],
             " ".join("%.2f" % e["mask_fraction"] for e in per_frame)))
    if args.ms_mirror:
        print("multi-scale sizes %s; msm range [%.4f, %.4f]"
              % (" ".join("%dx%d" % tuple(s) for s in info["msm_sizes"]),
                 min(e["msm_min"] for e in per_frame if "msm_min" in e),
                 max(e["msm_max"] for e in per_frame if "msm_max" in e)))
    print("time: weights %.2f s, total %.2f s" % (t_init - t_start, t_end - t_start))
    return info


def parse_size(text):
    try:
        w, h = text.lower().split("x")
        w, h = int(w), int(h)
    except ValueError:
        raise argparse.ArgumentTypeError("size must be WxH, e.g. 100x75, not %r" % text)
    if w < 1 or h < 1:
        raise argparse.ArgumentTypeError("size must be positive: %r" % text)
    return w, h


def parse_arch(text):
    """An architecture from JSON text or a JSON file."""
    try:
        if not text.lstrip().startswith("{"):
            with open(text) as f:
                text = f.read()
        arch = json.loads(text, object_pairs_hook=OrderedDict)
    except (OSError, ValueError) as e:
        raise argparse.ArgumentTypeError("--arch: %s" % e)
    missing = [k for k in released_arch(50) if k not in arch]
    if missing:
        raise argparse.ArgumentTypeError("--arch lacks %s" % ", ".join(missing))
    return arch


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="Write an adnet test case from the PyTorch "
                                "restatement of the released AD-Net (random seeded weights).")
    p.add_argument("--model", required=True, choices=MODELS)
    p.add_argument("--depth", type=int, choices=sorted(STAGE_BLOCKS),
                   help="the released network's depth (or give --arch)")
    p.add_argument("--size", required=True, type=parse_size, help="network input WxH")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--frames", type=int, default=3)
    p.add_argument("--frame-size", type=parse_size, default=DEFAULT_FRAME_SIZE,
                   help="size of the synthetic frames, WxH (default 120x90)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--dtype", choices=sorted(SAFETENSORS_DTYPES), default="f32")
    p.add_argument("--module-prefix", action="store_true",
                   help='prefix every tensor name with "module." (DataParallel checkpoints)')
    p.add_argument("--no-metadata", action="store_true")
    p.add_argument("--ms-mirror", action="store_true",
                   help="also write expected_msm/ (multi-scale + mirror logits at frame size)")
    p.add_argument("--ms-mirror-frames", type=int, default=None, metavar="N",
                   help="with --ms-mirror: only for the first N frames (default: every frame)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--width-div", type=int, default=1,
                   help="divide every channel count but E (a narrow network, quick to check; "
                   "its architecture goes into the metadata)")
    p.add_argument("--arch", type=parse_arch, default=None, metavar="JSON|FILE",
                   help="the architecture as data (released_arch's layout), overriding --depth "
                   "and --width-div")
    args = p.parse_args(argv)
    if args.depth is None and args.arch is None:
        p.error("give --depth or --arch")
    if args.frames < 1:
        p.error("--frames must be at least 1")
    if args.ms_mirror_frames is None:
        args.ms_mirror_frames = args.frames
    return args


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    try:
        generate(args)
    except (RuntimeError, OSError) as e:
        print("adnet_reference: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
