#!/usr/bin/python3
"""Trains adnet's demo model: a small AD-Net (the `ad` model, same structure as the released
one at reduced width and depth) on synthetic clips from real photographs (synth_clips.py), on
the CPU with Debian's PyTorch, seeded and reproducible. Writes weights/demo.safetensors with the
architecture ("adnet.arch"), the provenance and the validation scores in its metadata.

    /usr/bin/python3 weights/train_demo.py                      # the committed model
    /usr/bin/python3 weights/train_demo.py --steps 200 --out /tmp/quick.safetensors

Training (docs/weights.md has the why):
- data: TRAIN_CLIPS clips of the train split (photographs never used by val or demo), frames
  FRAME_SIZE, each preprocessed as the released loop does (resized to NET_SIZE, BGR mean
  subtracted); validation on VAL_CLIPS clips of the val split.
- pairs as the paper trains: the anchor is the clip's first frame, the other a random frame of
  the same clip; both mirrored together half of the time.
- loss: binary cross-entropy on (logits - 0.5) plus (1 - soft IoU), both at frame resolution
  (logits upsampled bilinearly, align_corners=True, as the loop does). The released loop
  thresholds the raw logits at 0.5, so 0.5 is made the decision boundary.
- AdamW (lr LR, weight decay 1e-4), linear warm-up over 100 steps then cosine decay to 0,
  BATCH pairs per step, batch statistics in the In-Place ABN layers (running statistics with
  momentum 0.1 are what is written out).
"""
import argparse
import datetime
import json
import math
import os
import sys
import time
from collections import OrderedDict

import cv2
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tests", "reference"))
import adnet_reference as ref  # noqa: E402
import synth_clips  # noqa: E402

# The demo architecture (demo_arch.json): the released layout (3-conv stem, four bottleneck
# stages at output stride 8 with dilations 1, 1, 2, 4 and the multi-grid 1, 2, 4, ASPP, E, the
# classifier), each width divided by 4 to 8 and fewer blocks; the ASPP rates scaled down with
# the feature maps, which are 33 x 19 here rather than 108 x 61.
with open(os.path.join(HERE, "demo_arch.json")) as f:
    DEMO_ARCH = json.load(f, object_pairs_hook=OrderedDict)
FRAME_SIZE = (256, 144)  # synthetic frames, W x H
NET_SIZE = (257, 145)  # network input, W x H ((s - 1) // 8 * 8 + 1 sides, as the loop's)
FRAMES = 16  # frames per training clip
TRAIN_CLIPS = 400
VAL_CLIPS = 8
BATCH = 8
LR = 2e-3


def preprocess_batch(bgrs):
    return torch.cat([ref.preprocess(b, NET_SIZE[0], NET_SIZE[1]) for b in bgrs])


def load_split(split, clips, frames, seed0, augment=False):
    """Clips of a split in memory: per clip, (inputs F x 3 x h x w, masks F x H x W float)."""
    out = []
    for i in range(clips):
        clip = synth_clips.render_clip(split, synth_clips.SEED_BASE[split] + seed0 + i, frames,
                                       FRAME_SIZE[0], FRAME_SIZE[1], augment)
        bgrs = [cv2.imdecode(np.frombuffer(j, np.uint8), cv2.IMREAD_COLOR) for j, _ in clip]
        gts = np.stack([g for _, g in clip]).astype(np.float32)
        out.append((preprocess_batch(bgrs), torch.from_numpy(gts)))
    return out


def init_for_training(net, seed):
    """He-normal convolutions, unit ABN scales, zero biases; the last ABN of every residual
    branch starts near zero so each block starts as the identity."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, m in net.named_modules():
            if isinstance(m, nn.Conv2d):
                fan_out = m.out_channels * m.kernel_size[0] * m.kernel_size[1]
                m.weight.copy_(torch.randn(m.weight.shape, generator=g) * math.sqrt(2 / fan_out))
                if m.bias is not None:
                    m.bias.zero_()
            elif isinstance(m, ref.InPlaceABN):
                m.weight.fill_(0.0 if name.endswith(".bn3") and ".layer" in "." + name else 1.0)
                m.bias.zero_()
                m.running_mean.zero_()
                m.running_var.fill_(1.0)


def attend_by_convolution(q, kv):
    """ref.attend computed with 1 x 1 convolutions: the same products, but through oneDNN's
    convolution, 20 times faster here than the matrix product of Debian's torch (generic
    BLAS), forward and backward. scores^T[j, i] = kv[:, j] . q[:, i]."""
    e = q.shape[0]
    scores_t = F.conv1d(q.unsqueeze(0) * (e ** -0.5), kv.t().unsqueeze(-1))  # 1 x Mkv x Mq
    p_t = torch.softmax(scores_t, dim=1)
    return F.conv1d(p_t, kv.unsqueeze(-1))[0]  # E x Mq


ref.attend = attend_by_convolution
ref.InPlaceABN.train_with_batch_statistics = True


def forward_pairs(net, anchors, currents):
    """Logits for a batch of pairs; one pass of the feature extractor over both halves so the
    batch statistics cover anchors and current frames alike."""
    feats = net.features(torch.cat([anchors, currents]))
    n = anchors.shape[0]
    return net.logits_from_features(feats[:n], feats[n:])


def loss_fn(logits, gt):
    up = ref.upsample(logits, gt.shape[-2], gt.shape[-1])[:, 0] - ref.MASK_THRESHOLD
    bce = F.binary_cross_entropy_with_logits(up, gt)
    p = torch.sigmoid(up)
    inter = (p * gt).sum(dim=(1, 2))
    union = (p + gt - p * gt).sum(dim=(1, 2))
    soft_iou = ((inter + 1) / (union + 1)).mean()
    return bce + (1 - soft_iou)


def evaluate(net, clips):
    """Mean J (single scale, no post-processing) over every frame but the first and last, and
    the fraction of frames with J > 0.5."""
    net.eval()
    js = []
    with torch.no_grad():
        for x, gt in clips:
            anchors = x[:1].expand(x.shape[0], -1, -1, -1)
            logits = forward_pairs(net, anchors, x)
            pred = ref.upsample(logits, gt.shape[-2], gt.shape[-1])[:, 0] > ref.MASK_THRESHOLD
            g = gt > 0
            for f in range(1, x.shape[0] - 1):
                union = float((pred[f] | g[f]).sum())
                js.append(1.0 if union == 0 else float((pred[f] & g[f]).sum()) / union)
    net.train()
    js = np.array(js)
    return float(js.mean()), float((js > 0.5).mean())


def lr_at(step, steps):
    if step < 100:
        return LR * (step + 1) / 100
    return LR * 0.5 * (1 + math.cos(math.pi * (step - 100) / max(1, steps - 100)))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.join(HERE, "demo.safetensors"))
    ap.add_argument("--steps", type=int, default=2400)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--train-clips", type=int, default=TRAIN_CLIPS)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--eval-every", type=int, default=1000)
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    t0 = time.time()
    train = load_split("train", a.train_clips, FRAMES, 0, augment=True)
    val = load_split("val", VAL_CLIPS, 24, 0)
    print("data: %d train clips, %d val clips in %.0f s" % (len(train), len(val),
                                                            time.time() - t0), flush=True)

    net = ref.ADNetReference("ad", arch=DEMO_ARCH)
    init_for_training(net, a.seed)
    net.train()
    opt = torch.optim.AdamW(net.parameters(), lr=LR, weight_decay=1e-4)
    t1 = time.time()
    running = None
    for step in range(a.steps):
        for group in opt.param_groups:
            group["lr"] = lr_at(step, a.steps)
        idx = rng.integers(len(train), size=BATCH)
        frames = rng.integers(FRAMES, size=BATCH)
        flip = rng.random(BATCH) < 0.5
        anchors, currents, gts = [], [], []
        for c, f, fl in zip(idx, frames, flip):
            x, gt = train[c]
            a0, xt, g = x[0], x[f], gt[f]
            if fl:
                a0, xt, g = a0.flip(-1), xt.flip(-1), g.flip(-1)
            anchors.append(a0)
            currents.append(xt)
            gts.append(g)
        logits = forward_pairs(net, torch.stack(anchors), torch.stack(currents))
        loss = loss_fn(logits, torch.stack(gts))
        opt.zero_grad()
        loss.backward()
        opt.step()
        running = float(loss) if running is None else 0.98 * running + 0.02 * float(loss)
        if (step + 1) % 50 == 0:
            el = time.time() - t1
            print("step %d/%d loss %.4f lr %.2e  %.0f s (%.2f s/step)"
                  % (step + 1, a.steps, running, lr_at(step, a.steps), el, el / (step + 1)),
                  flush=True)
        if (step + 1) % a.eval_every == 0 and step + 1 < a.steps:
            print("  val J %.3f (recall %.2f)" % evaluate(net, val), flush=True)
    j, recall = evaluate(net, val)
    minutes = (time.time() - t0) / 60
    print("final val J %.3f (recall %.2f); %.1f min" % (j, recall, minutes), flush=True)

    net.eval()
    provenance = OrderedDict([
        ("script", "weights/train_demo.py"), ("seed", a.seed), ("steps", a.steps),
        ("batch", BATCH), ("lr", LR), ("train_clips", a.train_clips),
        ("frames_per_clip", FRAMES), ("frame_size", list(FRAME_SIZE)),
        ("net_size", list(NET_SIZE)), ("torch", torch.__version__),
        ("minutes", round(minutes, 1)),
        ("date", datetime.date.today().isoformat())])
    meta = ref.arch_metadata(net)
    meta["adnet.description"] = ("adnet demo model: a small AD-Net trained on synthetic clips "
                                 "from skimage photographs, not the released AD-Net")
    meta["adnet.provenance"] = json.dumps(provenance, separators=(",", ":"))
    meta["adnet.val"] = json.dumps(OrderedDict([
        ("J_mean", round(j, 4)), ("J_recall", round(recall, 4)), ("clips", VAL_CLIPS),
        ("how", "single scale, no post-processing, frames 1..n-2")]), separators=(",", ":"))
    tensors = ref.weights_file_tensors(net, False)
    ref.write_safetensors(a.out, tensors, "f32", meta)
    n = sum(t.numel() for t in tensors.values())
    print("wrote %s: %d tensors, %.2f M values, %.1f MB"
          % (a.out, len(tensors), n / 1e6, os.path.getsize(a.out) / 1e6))
    return 0


if __name__ == "__main__":
    sys.exit(main())
