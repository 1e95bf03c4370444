#!/usr/bin/python3
"""End-to-end tests of `adnet segment` (the released evaluation loop) on a case written by
tests/reference/adnet_reference.py --ms-mirror: random weights, synthetic frames, the
PyTorch reference's logits and its multi-scale + mirror logits.

Usage: segment_pipeline.py MODE ADNET CASE_DIR WORK_DIR
MODE is one of:
  frames  --frames mode, temporal step on, --save-logits/--save-heatmaps/--annotations: masks
          equal the OpenCV reference of the released post-processing applied to adnet's own
          logits (exactly), heat maps equal the sigmoid of its final logits, the printed IoU
          equals a NumPy recomputation on the written masks, summary.json holds what it says.
  msm     --ms-mirror --prune-masks --palette --overlay: the averaged upsampled logits match
          the PyTorch reference's six passes (max |ours - ref| <= 1e-3 x range), masks equal
          the reference pruning + temporal steps on them (exactly), palette PNGs read back as
          indices with DAVIS's colours, overlays are JPEGs of the frame's size showing the mask.
  davis   --davis mode on a generated DAVIS tree: layout, ImageSets lists, --videos names and
          --list, per-video scores and their mean, temporal state reset per video, --threshold.
  shard   --shard: shares are disjoint, cover every video, are stable when videos are added
          or removed, follow FNV-1a of the name; two real runs split a tree between them.

The reference for the post-processing is tests/reference/postproc_ref.py (OpenCV + NumPy, as
the released eval.py runs it); it is fed adnet's own logits so that masks can agree exactly.
"""

import json
import os
import re
import shutil
import subprocess
import sys

import cv2
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
import postproc_ref  # noqa: E402  (the released post-processing, OpenCV)

SIZE = "100x75"
failures = []


def check(ok, what):
    print(("  ok    " if ok else "  FAIL  ") + what)
    if not ok:
        failures.append(what)
    return ok


class Result:
    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def run_with_terminal(cmd):
    """Runs cmd with its standard error on a pseudo-terminal (as a person at a terminal sees
    it), standard output on a pipe."""
    import pty
    master, slave = pty.openpty()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    out = proc.stdout.read().decode()
    proc.wait()
    return Result(proc.returncode, out, b"".join(chunks).decode(errors="replace"))


def run(adnet, args, env=None, expect=0, terminal=False):
    cmd = [adnet, "segment", *args]
    if terminal:
        p = run_with_terminal(cmd)
    else:
        p = subprocess.run(cmd, capture_output=True, text=True,
                           env=dict(os.environ, **(env or {})))
    print("$ " + " ".join(cmd[1:]))
    for line in p.stderr.splitlines():
        print("  | " + line.replace("\r", "<CR>").replace("\x1b", "<ESC>"))
    if p.returncode != expect:
        print(p.stdout)
        raise SystemExit("adnet segment exited with %d, expected %d" % (p.returncode, expect))
    return p


def stems(case):
    return sorted(os.path.splitext(n)[0] for n in os.listdir(os.path.join(case, "frames")))


def read_gray(path):
    img = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if img is None:
        raise SystemExit("cannot read %s" % path)
    return img


def upsample_ac(src, dh, dw):
    """Bilinear resize with align_corners=True, in float32 with PyTorch's formula: source
    coordinate = float32((in - 1) / (out - 1)) * x, the same operations in the same order as
    host/video/postproc.c, so that the result is bit-identical (checked against torch below)."""
    sh, sw = src.shape
    f32 = np.float32
    sy = f32(sh - 1) / f32(dh - 1) if dh > 1 else f32(0)
    sx = f32(sw - 1) / f32(dw - 1) if dw > 1 else f32(0)
    fy = sy * np.arange(dh, dtype=f32)
    fx = sx * np.arange(dw, dtype=f32)
    y0 = np.minimum(fy.astype(np.int64), sh - 1)
    x0 = np.minimum(fx.astype(np.int64), sw - 1)
    y1 = y0 + (y0 < sh - 1)
    x1 = x0 + (x0 < sw - 1)
    ly = (fy - y0.astype(f32))[:, None]
    lx = (fx - x0.astype(f32))[None, :]
    hy, hx = f32(1) - ly, f32(1) - lx
    r0, r1 = src[y0], src[y1]
    top = hx * r0[:, x0] + lx * r0[:, x1]
    bottom = hx * r1[:, x0] + lx * r1[:, x1]
    return (hy * top + ly * bottom).astype(f32)


def check_upsample_against_torch():
    import torch
    import torch.nn.functional as F
    rng = np.random.RandomState(0)
    src = rng.randn(10, 13).astype(np.float32)
    ours = upsample_ac(src, 300, 400)
    ref = F.interpolate(torch.from_numpy(src)[None, None], size=(300, 400), mode="bilinear",
                        align_corners=True)[0, 0].numpy()
    check(np.abs(ours - ref).max() < 1e-5, "test's upsampling agrees with torch (max diff %.2g)"
          % np.abs(ours - ref).max())


def released_postprocess(logits_seq, prune_masks=None, temporal=True, thr=0.5):
    """The released loop's steps after the logits: pruning (when prune_masks is a list, with
    None for frames without a file), the temporal step, the threshold. Returns the masks
    (bool), the final logits and the per-frame trace."""
    thr = np.float32(thr)
    masks, finals, trace = [], [], []
    last, n_last, last_final = None, 0, None
    for f, logits in enumerate(logits_seq):
        x = np.asarray(logits, np.float32)
        info = {"outcome": postproc_ref.PRUNE_NOT_RUN, "temporal_applied": 0}
        if prune_masks is not None:
            x, info = postproc_ref.prune_step(x, prune_masks[f], last_final, thr)
            last_final = x.copy()
        if temporal:
            x, last, n_last, info["temporal_applied"] = postproc_ref.temporal_step(
                x, last, n_last, thr)
        masks.append(x > thr)
        finals.append(x)
        trace.append(info)
    return masks, finals, trace


def released_iou(pred_masks, gt_masks):
    """The released script's video score: per-frame IoU (1 when both are empty), averaged
    over the frames 0 < f < n - 1."""
    ious = []
    for p, g in zip(pred_masks, gt_masks):
        p, g = p > 0, g > 0
        union = np.count_nonzero(p | g)
        ious.append(np.count_nonzero(p & g) / union if union else 1.0)
    return float(np.mean(ious[1:-1])), ious


def synthetic_annotations(frames_dir, out_dir, seed):
    """An ellipse per frame, drifting: an annotation that overlaps the masks only in part."""
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.RandomState(seed)
    names = sorted(os.listdir(frames_dir))
    cx, cy = rng.uniform(0.35, 0.65, 2)
    for i, n in enumerate(names):
        h, w = cv2.imread(os.path.join(frames_dir, n)).shape[:2]
        g = np.zeros((h, w), np.uint8)
        cv2.ellipse(g, (int(w * (cx + 0.02 * i)), int(h * cy)), (int(w * 0.3), int(h * 0.25)),
                    0, 0, 360, 255, -1)
        cv2.imwrite(os.path.join(out_dir, os.path.splitext(n)[0] + ".png"), g)


def parse_scores(stdout):
    per_video = dict(re.findall(r"^(\S+): IoU ([0-9.]+)$", stdout, re.M))
    m = re.search(r"^mean IoU over (\d+) videos?: ([0-9.]+)$", stdout, re.M)
    return {k: float(v) for k, v in per_video.items()}, (int(m.group(1)), float(m.group(2))) \
        if m else None


def check_temp_files(out):
    left = [os.path.join(r, f) for r, _, fs in os.walk(out) for f in fs if ".tmp" in f]
    check(not left, "no temporary files left (%s)" % left[:3])


def check_postproc(label, ours, ref_masks, trace):
    """ours: list of bool masks read back; exact agreement with the reference."""
    differ = [int(np.count_nonzero(o != r)) for o, r in zip(ours, ref_masks)]
    check(all(d == 0 for d in differ), "%s: masks equal the OpenCV reference of the released "
          "post-processing exactly (pixels differing per frame: %s)" % (label, differ))


# ---------------------------------------------------------------------------------------------


def mode_frames(adnet, case, work):
    shutil.rmtree(work, ignore_errors=True)
    frames = os.path.join(case, "frames")
    ann = os.path.join(work, "annotations")
    synthetic_annotations(frames, ann, 5)
    out = os.path.join(work, "out")
    p = run(adnet, ["--weights", os.path.join(case, "weights.safetensors"), "--frames", frames,
                    "--out", out, "--size", SIZE, "--save-logits", "--save-heatmaps",
                    "--annotations", ann])
    names = stems(case)
    info = json.load(open(os.path.join(case, "info.json")))
    fh, fw = info["feature_size"]
    W, H = info["frame_size"]
    check(sorted(os.listdir(out)) == ["heatmaps", "logits", "masks", "summary.json"],
          "output kinds %s" % sorted(os.listdir(out)))
    check(sorted(os.listdir(os.path.join(out, "masks"))) == [n + ".png" for n in names],
          "one mask per frame, named after it")
    check_temp_files(out)

    logits = [np.load(os.path.join(out, "logits", n + ".npy")) for n in names]
    check(all(l.shape == (1, fh, fw) and l.dtype == np.float32 for l in logits),
          "logits are float32 1 x %d x %d (raw network output)" % (fh, fw))
    worst = 0.0
    for n, l in zip(names, logits):
        ref = np.load(os.path.join(case, "expected", n + ".npy"))
        worst = max(worst, np.abs(l - ref).max() / (ref.max() - ref.min()))
    check(worst <= 1e-3, "logits match the PyTorch reference (worst %.2g x range)" % worst)

    masks = [read_gray(os.path.join(out, "masks", n + ".png")) for n in names]
    check(all(m.shape == (H, W) and m.dtype == np.uint8 and set(np.unique(m)) <= {0, 255}
              for m in masks), "masks are 8-bit 0/255 at the frame's size %dx%d" % (W, H))
    up = [upsample_ac(l[0], H, W) for l in logits]
    ref_masks, finals, trace = released_postprocess(up)
    check_postproc("temporal on", [m > 0 for m in masks], ref_masks, trace)
    fired = [t["temporal_applied"] for t in trace]
    check(sum(fired) >= 2, "the temporal step multiplied on several frames (%s)" % fired)
    check(any(np.count_nonzero((u > 0.5) != r) > 0 for u, r in zip(up, ref_masks)),
          "the temporal step changed some mask (so the comparison means something)")

    heat = [read_gray(os.path.join(out, "heatmaps", n + ".png")).astype(np.float64)
            for n in names]
    err = max(np.abs(h - 255.0 / (1.0 + np.exp(-f.astype(np.float64)))).max()
              for h, f in zip(heat, finals))
    check(err <= 0.5 + 1e-3, "heat maps = round(255 x sigmoid(final logits)) (max error %.3f)"
          % err)

    gts = [read_gray(os.path.join(ann, n + ".png")) for n in names]
    score, ious = released_iou(masks, gts)
    scores, mean = parse_scores(p.stdout)
    check(set(scores) == {"frames"} and abs(scores["frames"] - score) <= 1e-6,
          "printed IoU %s equals the recomputation %.6f" % (scores, score))
    check(mean is not None and mean[0] == 1 and abs(mean[1] - score) <= 1e-6,
          "printed mean over 1 video %s" % (mean,))

    check_anchor_and_png(adnet, case, work, names[:3])

    s = json.load(open(os.path.join(out, "summary.json")))
    pf = s.get("per_frame", [])
    check(s.get("video") == "frames" and s.get("frames") == len(names) and
          s.get("anchor") == names[0], "summary: video, frames, anchor")
    check(s.get("input_sizes") == [[100, 75]] and s.get("feature_sizes") == [[fw, fh]],
          "summary: input and feature sizes %s %s" % (s.get("input_sizes"),
                                                       s.get("feature_sizes")))
    check(bool(s.get("device")) and s.get("model", {}).get("kind") == "ad" and
          s["model"].get("depth") == 50 and s["model"].get("embed") == 128,
          "summary: device and model %s" % s.get("model"))
    o = s.get("options", {})
    check(o.get("temporal") is True and o.get("ms_mirror") is False and
          o.get("threshold") == 0.5 and o.get("size") == [100, 75] and
          o.get("save_heatmaps") is True, "summary: options")
    check([f.get("frame") for f in pf] == names and
          all(f.get("size") == [W, H] and f.get("ms", 0) > 0 for f in pf),
          "summary: one entry per frame with its size and time")
    check(all(abs(f.get("foreground", -1) - np.count_nonzero(m) / m.size) < 1e-12
              for f, m in zip(pf, masks)), "summary: foreground fraction of each written mask")
    check(all(abs(f.get("iou", -1) - i) < 1e-12 for f, i in zip(pf, ious)) and
          abs(s.get("released_iou", -1) - score) < 1e-12, "summary: per-frame and video IoU")


def check_anchor_and_png(adnet, case, work, names):
    """--anchor 2 over frames a, b, c must give the logits that anchor 0 gives over the same
    frames reordered c, a, b; the reordered frames are PNG copies of the decoded JPEGs (the
    same pixels), which checks PNG input on the way."""
    weights = os.path.join(case, "weights.safetensors")
    first = os.path.join(work, "anchor-jpeg")
    os.makedirs(first)
    for n in names:
        os.symlink(os.path.join(case, "frames", n + ".jpg"), os.path.join(first, n + ".jpg"))
    second = os.path.join(work, "anchor-png")
    os.makedirs(second)
    order = [names[2], names[0], names[1]]
    for i, n in enumerate(order):
        img = cv2.imread(os.path.join(case, "frames", n + ".jpg"))
        cv2.imwrite(os.path.join(second, "%d-%s.png" % (i, n)), img)
    common = ["--weights", weights, "--size", SIZE, "--save-logits", "--no-temporal", "--quiet"]
    run(adnet, common + ["--frames", first, "--anchor", "2", "--out", first + "-out"])
    run(adnet, common + ["--frames", second, "--out", second + "-out"])
    same = []
    for i, n in enumerate(order):
        a = np.load(os.path.join(first + "-out", "logits", n + ".npy"))
        b = np.load(os.path.join(second + "-out", "logits", "%d-%s.npy" % (i, n)))
        same.append(bool(np.array_equal(a, b)))
    check(all(same), "--anchor 2 equals anchor 0 on the frames reordered (PNG frames): %s"
          % same)
    a = np.load(os.path.join(first + "-out", "logits", names[0] + ".npy"))
    ref = np.load(os.path.join(case, "expected", names[0] + ".npy"))
    check(not np.allclose(a, ref, atol=1e-3 * (ref.max() - ref.min())),
          "... and differs from anchor 0's logits (the anchor matters)")


def mode_msm(adnet, case, work):
    shutil.rmtree(work, ignore_errors=True)
    # the frames the reference computed the six passes for (the slow part of the fixture)
    names = sorted(os.path.splitext(n)[0] for n in os.listdir(os.path.join(case,
                                                                         "expected_msm")))
    frames = os.path.join(work, "frames")
    os.makedirs(frames)
    for n in names:
        os.symlink(os.path.join(case, "frames", n + ".jpg"), os.path.join(frames, n + ".jpg"))
    info = json.load(open(os.path.join(case, "info.json")))
    W, H = info["frame_size"]
    # pruning masks: a vertical band cut out of the middle (it splits the foreground so that
    # the box logic has several contours), and no file at all for frame 0 (the released loop
    # then skips the multiplication)
    prune_dir = os.path.join(work, "prune")
    os.makedirs(prune_dir)
    prune = []
    for i, n in enumerate(names):
        pm = np.full((H, W), 255, np.uint8)
        pm[:, int(W * 0.42) + 4 * i:int(W * 0.58) + 4 * i] = 0
        if i == 0:
            prune.append(None)
            continue
        cv2.imwrite(os.path.join(prune_dir, n + ".png"), pm)
        prune.append(pm)
    out = os.path.join(work, "out")
    run(adnet, ["--weights", os.path.join(case, "weights.safetensors"), "--frames", frames,
                "--out", out, "--size", SIZE, "--ms-mirror", "--save-logits", "--prune-masks",
                prune_dir, "--palette", "--overlay"])
    check_temp_files(out)
    check(sorted(os.listdir(out)) == ["logits", "masks", "overlays", "summary.json"],
          "output kinds %s" % sorted(os.listdir(out)))

    logits = [np.load(os.path.join(out, "logits", n + ".npy")) for n in names]
    check(all(l.shape == (1, H, W) for l in logits),
          "with --ms-mirror, logits are the averaged maps at the frame's size 1 x %d x %d" % (H, W))
    for n, l in zip(names, logits):
        ref = np.load(os.path.join(case, "expected_msm", n + ".npy"))
        rng = float(ref.max() - ref.min())
        d = float(np.abs(l - ref).max())
        check(d <= 1e-3 * rng, "%s: six-pass logits match PyTorch (max diff %.3g, tolerance "
              "%.3g)" % (n, d, 1e-3 * rng))

    from PIL import Image
    imgs = [Image.open(os.path.join(out, "masks", n + ".png")) for n in names]
    check(all(im.mode == "P" and im.size == (W, H) for im in imgs), "masks are palette PNGs")
    pal = imgs[0].getpalette()
    check(pal[:6] == [0, 0, 0, 128, 0, 0], "DAVIS palette: 0 black, 1 = (128, 0, 0)")
    idx = [np.array(im) for im in imgs]
    check(all(set(np.unique(i)) <= {0, 1} for i in idx), "mask indices are 0 and 1")

    ref_masks, _, trace = released_postprocess([l[0] for l in logits], prune)
    check_postproc("pruning + temporal", [i == 1 for i in idx], ref_masks, trace)
    outcomes = [t["outcome"] for t in trace]
    check(postproc_ref.PRUNE_BOX_APPLIED in outcomes,
          "the pruning box was applied on some frame (outcomes %s)" % outcomes)

    s = json.load(open(os.path.join(out, "summary.json")))
    check(s.get("input_sizes") == info["msm_sizes"],
          "summary: the three scales %s (reference %s)" % (s.get("input_sizes"),
                                                          info["msm_sizes"]))
    check(s.get("options", {}).get("ms_mirror") is True and
          s["options"].get("prune_masks") == prune_dir and s["options"].get("palette") is True,
          "summary: options")
    check(s.get("prune_masks_missing") == 1 and
          [f.get("prune_mask") for f in s.get("per_frame", [])] == [p is not None for p in prune],
          "summary: the frame without a pruning mask is recorded")

    tint = np.array([60, 20, 220], np.float64)
    for n, m in zip(names, idx):
        ov = cv2.imread(os.path.join(out, "overlays", n + ".jpg"))
        if not check(ov is not None and ov.shape == (H, W, 3),
                     "%s: overlay is a JPEG of the frame's size" % n):
            continue
        frame = cv2.imread(os.path.join(frames, n + ".jpg")).astype(np.float64)
        ov = ov.astype(np.float64)
        k = np.ones((9, 9), np.uint8)
        inside = cv2.erode(m.astype(np.uint8), k) > 0
        outside = cv2.dilate(m.astype(np.uint8), k) == 0
        outline = (m == 1) & (cv2.erode(m.astype(np.uint8), np.ones((3, 3), np.uint8)) == 0)
        e_in = np.abs(ov[inside] - (0.5 * frame[inside] + 0.5 * tint)).mean()
        e_out = np.abs(ov[outside] - frame[outside]).mean()
        luma = cv2.cvtColor(ov.astype(np.uint8), cv2.COLOR_BGR2GRAY).astype(np.float64)
        check(e_in < 6 and e_out < 6 and luma[outline].mean() > luma[inside].mean() + 40,
              "%s: overlay tints the mask (error %.1f), keeps the background (%.1f), outlines "
              "it (luma %.0f vs %.0f)" % (n, e_in, e_out, luma[outline].mean(),
                                          luma[inside].mean()))


def make_davis(case, root):
    """A small DAVIS tree from the case's frames: alpha (frames 0-3), beta (frames 1-4,
    renamed from 00000), gamma (frames 0-2, train, no annotations)."""
    shutil.rmtree(root, ignore_errors=True)
    src = os.path.join(case, "frames")
    names = sorted(os.listdir(src))
    videos = {"alpha": names[0:4], "beta": names[1:5], "gamma": names[0:3]}
    for v, files in videos.items():
        d = os.path.join(root, "JPEGImages", "480p", v)
        os.makedirs(d)
        for i, f in enumerate(files):
            shutil.copy(os.path.join(src, f), os.path.join(d, "%05d.jpg" % i))
        if v != "gamma":
            synthetic_annotations(d, os.path.join(root, "Annotations", "480p", v),
                                  11 if v == "alpha" else 12)
    os.makedirs(os.path.join(root, "ImageSets", "2016"))
    with open(os.path.join(root, "ImageSets", "2016", "val.txt"), "w") as f:
        f.write("alpha\nbeta\n")
    with open(os.path.join(root, "ImageSets", "2016", "train.txt"), "w") as f:
        f.write("gamma\n")
    return videos


def mode_davis(adnet, case, work):
    root = os.path.join(work, "DAVIS")
    videos = make_davis(case, root)
    weights = os.path.join(case, "weights.safetensors")

    p = run(adnet, ["--davis", root, "--videos", "all", "--list"])
    check(p.stdout == "alpha\t4\nbeta\t4\ngamma\t3\n", "--videos all --list: %r" % p.stdout)
    p = run(adnet, ["--davis", root, "--videos", "train", "--list"])
    check(p.stdout == "gamma\t3\n", "--videos train reads ImageSets/2016/train.txt")
    p = run(adnet, ["--davis", root, "--videos", "gamma,alpha,gamma", "--list"])
    check(p.stdout == "gamma\t3\nalpha\t4\n", "--videos names: in order, duplicates dropped")

    out = os.path.join(work, "out")
    shutil.rmtree(out, ignore_errors=True)
    thr = 0.7
    p = run(adnet, ["--weights", weights, "--davis", root, "--out", out, "--size", SIZE,
                    "--save-logits", "--threshold", str(thr)], terminal=True)
    check_temp_files(out)
    bar = re.findall(r"\r\x1b\[K\[[#.]+\] video (\d)/2 (\w+)  frame (\d)/4  ([0-9.]+|--) fps"
                     r"  ([0-9:]+|--:--) left", p.stderr)
    check(("2", "beta", "4") in [b[:3] for b in bar] and any(b[3] != "--" for b in bar),
          "on a terminal: a redrawn progress bar with video k/n, frame i/m, fps, time left")
    check(sorted(os.listdir(os.path.join(out, "masks"))) == ["alpha", "beta"],
          "--videos val (the default): alpha and beta in masks/<video>/")
    check(sorted(os.listdir(os.path.join(out, "summary"))) == ["alpha.json", "beta.json"],
          "summary/<video>.json per video")
    scores, mean = parse_scores(p.stdout)
    ours = {}
    for v in ("alpha", "beta"):
        n = len(videos[v])
        fnames = ["%05d" % i for i in range(n)]
        masks = [read_gray(os.path.join(out, "masks", v, f + ".png")) for f in fnames]
        check(len(os.listdir(os.path.join(out, "masks", v))) == n, "%s: %d masks" % (v, n))
        info = json.load(open(os.path.join(case, "info.json")))
        W, H = info["frame_size"]
        logits = [np.load(os.path.join(out, "logits", v, f + ".npy"))[0] for f in fnames]
        ref_masks, _, trace = released_postprocess([upsample_ac(l, H, W) for l in logits],
                                                   thr=thr)
        check_postproc("%s (threshold %.1f, temporal state fresh per video)" % (v, thr),
                       [m > 0 for m in masks], ref_masks, trace)
        gts = [read_gray(os.path.join(root, "Annotations", "480p", v, f + ".png"))
               for f in fnames]
        ours[v], _ = released_iou(masks, gts)
        check(abs(scores.get(v, -1) - ours[v]) <= 1e-6,
              "%s: printed IoU %s equals the recomputation %.6f" % (v, scores.get(v), ours[v]))
        s = json.load(open(os.path.join(out, "summary", v + ".json")))
        check(s.get("video") == v and s.get("frames") == n and
              abs(s.get("released_iou", -1) - ours[v]) < 1e-12 and
              s.get("options", {}).get("threshold") == thr, "%s: summary" % v)
    want = (ours["alpha"] + ours["beta"]) / 2
    check(mean is not None and mean[0] == 2 and abs(mean[1] - want) <= 1e-6,
          "mean IoU over the 2 videos %s equals %.6f" % (mean, want))


def fnv1a64(name):
    h = 0xcbf29ce484222325
    for b in name.encode():
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def list_share(adnet, root, i, n, videos="all"):
    p = run(adnet, ["--davis", root, "--videos", videos, "--list", "--shard", "%d/%d" % (i, n)])
    return [line.split("\t")[0] for line in p.stdout.splitlines()]


def mode_shard(adnet, case, work):
    root = os.path.join(work, "DAVIS")
    shutil.rmtree(root, ignore_errors=True)
    frame = os.path.join(case, "frames", sorted(os.listdir(os.path.join(case, "frames")))[0])
    names = ["video-%02d" % k for k in range(24)] + ["bear", "blackswan", "bmx-trees"]
    for v in names:
        d = os.path.join(root, "JPEGImages", "480p", v)
        os.makedirs(d)
        shutil.copy(frame, os.path.join(d, "00000.jpg"))
    for n in (1, 2, 5):
        shares = [list_share(adnet, root, i, n) for i in range(n)]
        flat = [v for s in shares for v in s]
        check(sorted(flat) == sorted(names) and len(flat) == len(set(flat)),
              "%d shares: disjoint, and together every video (sizes %s)"
              % (n, [len(s) for s in shares]))
        check(all(fnv1a64(v) % n == i for i, s in enumerate(shares) for v in s),
              "%d shares: a video's share is FNV-1a-64(name) mod %d" % (n, n))
    before = {v: i for i in range(5) for v in list_share(adnet, root, i, 5)}
    shutil.copytree(os.path.join(root, "JPEGImages", "480p", "bear"),
                    os.path.join(root, "JPEGImages", "480p", "new-video"))
    shutil.rmtree(os.path.join(root, "JPEGImages", "480p", "video-03"))
    after = {v: i for i in range(5) for v in list_share(adnet, root, i, 5)}
    check(all(after[v] == before[v] for v in after if v in before) and "new-video" in after,
          "adding and removing videos leaves every other video in its share")

    # two real runs split three one-frame videos between them
    weights = os.path.join(case, "weights.safetensors")
    three = "bear,blackswan,bmx-trees"
    done = []
    for i in range(2):
        out = os.path.join(work, "out-%d" % i)
        shutil.rmtree(out, ignore_errors=True)
        run(adnet, ["--weights", weights, "--davis", root, "--videos", three, "--shard",
                    "%d/2" % i, "--out", out, "--size", SIZE, "--quiet"])
        got = sorted(os.listdir(os.path.join(out, "masks"))) if os.path.isdir(
            os.path.join(out, "masks")) else []
        check(got == sorted(list_share(adnet, root, i, 2, three)),
              "shard %d/2 segmented exactly its share %s" % (i, got))
        done += got
    check(sorted(done) == sorted(three.split(",")), "the two shards together: every video")


def main():
    mode, adnet, case, work = sys.argv[1:5]
    os.makedirs(work, exist_ok=True)
    if mode == "frames":
        check_upsample_against_torch()
    {"frames": mode_frames, "msm": mode_msm, "davis": mode_davis,
     "shard": mode_shard}[mode](adnet, case, work)
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
