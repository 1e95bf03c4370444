#!/usr/bin/python3
"""The released AD-Net in PyTorch on the CPU, timed the way `adnet bench` times adnet, so
that bench/compare can put both in one table.

The network is the project's PyTorch restatement of the released architecture
(tests/reference/adnet_reference.py, imported, not copied), with its seeded, calibrated random
weights (speed does not depend on their values, but calibrated weights keep activations in
the normal float range, as trained ones are). Two timings per frame:
  - anchor recomputed: model(anchor, frame), the released evaluation loop's call, which
    extracts the anchor's features again for every frame;
  - anchor cached: the anchor's features once, then features(frame) and the classifier.
Per layer group times come from host timers at module boundaries (forward hooks) during the
cached frames: PyTorch's CPU ops are synchronous, so the boundaries are exact.

Debian's python3-torch, all CPU cores by default (--threads). Writes adnet-bench/1 JSON.
"""

import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tests", "reference"))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import adnet_flops  # noqa: E402
import adnet_reference as ref  # noqa: E402
import baseline_common as common  # noqa: E402


class GroupTimer:
    """Host timestamps at the ends of the layer groups of one cached frame."""

    def __init__(self, net):
        self.marks = []
        self.enabled = False
        feats = net.features
        ends = [(feats.maxpool, "stem"), (feats.layer1, "layer1"), (feats.layer2, "layer2"),
                (feats.layer3, "layer3"), (feats.layer4, "layer4"), (feats.head[0], "aspp"),
                (feats.head[1], "head")]
        self.handles = [m.register_forward_hook(self._mark_after(name)) for m, name in ends]
        if hasattr(net, "cls"):
            # between the head's end and the classifier's start: the attention (and concat)
            middle = "attention" if net.model in ("ad", "inter", "intra") else "classifier"
            self.handles.append(net.cls.register_forward_pre_hook(self._mark_before(middle)))
            self.handles.append(net.cls.register_forward_hook(self._mark_after("classifier")))

    def _mark_after(self, name):
        def hook(module, inputs, output):
            if self.enabled:
                self.marks.append((name, time.perf_counter()))
        return hook

    def _mark_before(self, name):
        def hook(module, inputs):
            if self.enabled:
                self.marks.append((name, time.perf_counter()))
        return hook

    def start(self):
        self.marks = [("start", time.perf_counter())]
        self.enabled = True

    def stop(self):
        self.enabled = False
        groups = {}
        for (_, t0), (name, t1) in zip(self.marks, self.marks[1:]):
            groups[name] = groups.get(name, 0.0) + (t1 - t0)
        return groups


def _best_gflops(fn, flops, seconds):
    fn()  # untimed: first-call setup
    best, spent = 0.0, 0.0
    while spent < seconds:
        t0 = time.perf_counter()
        fn()
        t = time.perf_counter() - t0
        spent += t
        best = max(best, flops / t / 1e9)
    return best


def gemm_peaks(n=2048, seconds=1.0):
    """GFLOP/s of an n x n x n float32 matrix product done two ways, because PyTorch routes
    them to different libraries: torch.mm (the BLAS torch was built with: Debian's is
    "generic") and a 1x1 convolution of n channels over n positions (oneDNN, which the
    network's convolutions use). The better is the runtime's "SGEMM peak"."""
    a = torch.rand(n, n) - 0.5
    b = torch.rand(n, n) - 0.5
    x = (torch.rand(1, n, n // 32, 32) - 0.5).contiguous()
    w = (torch.rand(n, n, 1, 1) - 0.5).contiguous()
    flops = 2.0 * n ** 3
    with torch.no_grad():
        mm = _best_gflops(lambda: torch.mm(a, b), flops, seconds / 2)
        conv = _best_gflops(lambda: F.conv2d(x, w), flops, seconds / 2)
    return mm, conv


def run(args):
    host = common.host_info()
    torch.set_num_threads(args.threads)
    width, height = args.size
    fh, fw = ref.feature_size(width, height)
    macs = adnet_flops.count_macs(args.model, args.backbone, width, height)
    net = ref.build_reference(args.model, args.backbone, args.seed)
    anchor = ref.preprocess(ref.render_frame(0, *common_frame_size(), args.seed), width, height)
    frame = ref.preprocess(ref.render_frame(1, *common_frame_size(), args.seed), width, height)
    timer = GroupTimer(net)
    recomputed, cached = [], []
    group_sums = {}
    with torch.no_grad():
        for _ in range(args.warmup):
            net(anchor, frame)
        for _ in range(args.frames):
            t0 = time.perf_counter()
            net(anchor, frame)
            recomputed.append(time.perf_counter() - t0)
        x0 = None if args.model in ("base", "intra") else net.features(anchor)
        for _ in range(args.warmup):
            net.logits_from_features(x0, net.features(frame))
        for _ in range(args.frames):
            timer.start()
            t0 = time.perf_counter()
            net.logits_from_features(x0, net.features(frame))
            cached.append(time.perf_counter() - t0)
            for name, s in timer.stop().items():
                group_sums[name] = group_sums.get(name, 0.0) + s
    n = args.frames
    wall = sum(cached) / n
    groups = {k: v / n for k, v in group_sums.items()}

    def upsample(logits, h, w):
        return F.interpolate(torch.from_numpy(logits), size=(h, w), mode="bilinear",
                             align_corners=True).numpy()

    pre_s, post_s = common.time_host_steps(width, height, fw, fh, n, upsample)
    mm, conv = gemm_peaks(args.peak_gemm, args.peak_seconds) if args.peak_gemm > 0 else \
        (None, None)
    version = torch.__version__
    result = {
        "device": common.cpu_device("PyTorch %s (CPU, %d threads)" % (version, args.threads),
                                    version),
        "model": {"kind": args.model, "depth": args.backbone, "embed": net.embed,
                  "width": width, "height": height, "feature_width": fw, "feature_height": fh},
        "flops": {k: macs[k] for k in ("features_macs", "attention_macs", "classifier_macs",
                                       "frame_macs", "released_loop_macs")},
        "steady": {"anchor_cached": common.timing(cached, macs["frame_macs"]),
                   "anchor_recomputed": common.timing(recomputed, macs["released_loop_macs"])},
        "first_frame": {"cold": None, "warm": None},
        "profile": {"method": "host-timers", "runs": n, "wall_s": wall, "device_s": None,
                    "groups": common.group_rows(groups, macs["groups"], wall),
                    "kinds": None, "roles": None, "steps": None},
        "host_per_frame": {"frame_width": common.FRAME_W, "frame_height": common.FRAME_H,
                           "preprocess_s": pre_s, "postprocess_s": post_s},
        "peak": {"fma_gflops": None,
                 "sgemm_gflops": max(mm, conv) if mm else None,
                 "sgemm_n": args.peak_gemm if mm else None,
                 "sgemm_kind": (None if not mm else "torch.mm" if mm >= conv
                                else "conv2d 1x1 (oneDNN)"),
                 "torch_mm_gflops": mm, "conv1x1_gflops": conv},
        "memory": {"device_peak_bytes": None, "host_peak_rss_bytes": common.peak_rss_bytes()},
    }
    common.add_peak_shares(result)
    options = {"model": args.model, "backbone": args.backbone, "width": width, "height": height,
               "frames": n, "warmup": args.warmup, "threads": args.threads, "seed": args.seed,
               "weights": "synthetic", "dry_run": False}
    return common.document("pytorch", version, options, result, host)


def common_frame_size():
    """The synthetic frames' size (the DAVIS frame size)."""
    return common.FRAME_W, common.FRAME_H


def print_summary(doc):
    common.print_summary(doc)
    r = doc["results"][0]
    p = r["peak"]
    if p["sgemm_gflops"]:
        print("  %d^3 matrix product: torch.mm %.1f GFLOP/s, 1x1 convolution %.1f GFLOP/s"
              % (p["sgemm_n"], p["torch_mm_gflops"], p["conv1x1_gflops"]))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="Time the released AD-Net in PyTorch on the CPU "
                                "(anchor recomputed per frame, and cached); adnet-bench JSON.")
    common.add_common_args(p, ref.MODELS, ref.STAGE_BLOCKS)
    p.add_argument("--peak-gemm", type=int, default=2048,
                   help="size of the matrix-product peak measurement (0: skip)")
    p.add_argument("--peak-seconds", type=float, default=1.0)
    common.add_output_args(p)
    args = p.parse_args(argv)
    common.check_common_args(p, args)
    return args


def main(argv=None):
    args = parse_args(argv)
    doc = run(args)
    if args.json:
        common.write_json(args.json, doc)
    if not args.quiet:
        print_summary(doc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
