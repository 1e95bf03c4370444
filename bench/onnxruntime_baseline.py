#!/usr/bin/python3
"""The released AD-Net exported to ONNX and run by ONNX Runtime on the CPU, timed the way
`adnet bench` times adnet, so that bench/compare can put it in the same table.

Steps (run with Debian's /usr/bin/python3, which has torch):
  1. the network: the project's PyTorch restatement of the released architecture
     (tests/reference/adnet_reference.py, imported) with its seeded, calibrated random weights;
  2. In-Place ABN folded into the convolution before it (weight x scale, bias x scale +
     shift; the leaky ReLU stays as an op), checked against the unfolded network;
  3. exported with torch.onnx as two graphs with dynamic height and width:
     features.onnx (image -> embedding) and head.onnx (anchor and frame embeddings ->
     attention -> classifier -> logits);
  4. a virtual environment (python3 -m venv --system-site-packages, so Debian's numpy is
     reused) with the `onnxruntime` package from PyPI, made once and reused (--venv);
  5. this script again, inside that environment, loads both graphs in ONNX Runtime
     (CPUExecutionProvider, all cores, every graph optimisation), checks its logits against
     PyTorch's at a small size, and times:
       anchor recomputed: features(anchor), features(frame), head  (the released loop's work)
       anchor cached:     features(frame), head
     plus one profiled cached frame (ONNX Runtime's profiler) for the per-group times.
Writes adnet-bench/1 JSON (docs/benchmarks.md).
"""

import argparse
import copy
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from onnx_graphs import RUNNER_FLAG, check_logits, node_group, time_frames  # noqa: E402

# ---------------------------------------------------------------------------------------------
# The runner: inside the virtual environment, with onnxruntime and numpy only
# ---------------------------------------------------------------------------------------------


def profile_groups(path, graph):
    """Seconds per layer group of the Node events of the last run in an ONNX Runtime profile
    (the events between the start and the end of its last "model_run")."""
    with open(path) as f:
        events = json.load(f)
    runs = [e for e in events if e.get("cat") == "Session" and e.get("name") == "model_run"]
    if not runs:
        return {}
    last = max(runs, key=lambda e: e["ts"])
    t0, t1 = last["ts"], last["ts"] + last["dur"]
    groups = {}
    for e in events:
        if e.get("cat") != "Node" or not e.get("name", "").endswith("_kernel_time"):
            continue
        if not t0 <= e.get("ts", -1) <= t1:
            continue
        g = node_group(e["name"][:-len("_kernel_time")], graph)
        groups[g] = groups.get(g, 0.0) + e.get("dur", 0) * 1e-6
    return groups


def runner(spec_path):
    import numpy as np
    import onnxruntime as ort

    with open(spec_path) as f:
        spec = json.load(f)
    d = spec["dir"]

    def session(name, profile=False):
        so = ort.SessionOptions()
        so.intra_op_num_threads = spec["threads"]
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if profile:
            so.enable_profiling = True
            so.profile_file_prefix = os.path.join(d, "profile-" + name)
        return ort.InferenceSession(os.path.join(d, name + ".onnx"), so,
                                    providers=["CPUExecutionProvider"])

    uses_anchor = spec["uses_anchor"]
    has_head = spec["has_head"]

    def make_frame_fn(feat, head):
        def features(image):
            return feat.run(None, {"image": image})[0]

        def logits(x0, image):
            xt = features(image)
            if not has_head:
                return xt
            feeds = {"xt": xt}
            if uses_anchor:
                feeds["x0"] = x0
            return head.run(None, feeds)[0]
        return features, logits

    t0 = time.perf_counter()
    feat = session("features")
    head = session("head") if has_head else None
    load_s = time.perf_counter() - t0
    features, logits = make_frame_fn(feat, head)

    # the exported graphs against PyTorch at the check size, then the timed frames
    err = check_logits(d, features, logits, uses_anchor, "onnxruntime_baseline", "ONNX Runtime")
    first_s, recomputed, cached = time_frames(d, spec, features, logits)
    anchor = np.load(os.path.join(d, "anchor.npy"))
    frame = np.load(os.path.join(d, "frame.npy"))

    # one profiled cached frame (after an untimed one) in sessions with the profiler on
    pfeat = session("features", profile=True)
    phead = session("head", profile=True) if has_head else None
    pfeatures, plogits = make_frame_fn(pfeat, phead)
    px0 = pfeatures(anchor) if uses_anchor else None
    plogits(px0, frame)
    t0 = time.perf_counter()
    plogits(px0, frame)
    profiled_wall = time.perf_counter() - t0
    groups = profile_groups(pfeat.end_profiling(), "features")
    if phead is not None:
        for g, t in profile_groups(phead.end_profiling(), "head").items():
            groups[g] = groups.get(g, 0.0) + t
    import resource
    out = {"version": ort.__version__, "load_s": load_s, "first_s": first_s,
           "recomputed": recomputed, "cached": cached, "groups": groups,
           "profiled_wall_s": profiled_wall, "check_max_abs_diff": err,
           "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}
    with open(os.path.join(d, "result.json"), "w") as f:
        json.dump(out, f)
    return 0


if __name__ == "__main__" and len(sys.argv) == 3 and sys.argv[1] == RUNNER_FLAG:
    sys.exit(runner(sys.argv[2]))

# ---------------------------------------------------------------------------------------------
# The driver: Debian's Python with torch
# ---------------------------------------------------------------------------------------------

sys.path.insert(0, os.path.join(HERE, "..", "tests", "reference"))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

import adnet_flops  # noqa: E402
import adnet_reference as ref  # noqa: E402
import baseline_common as common  # noqa: E402

CHECK_SIZE = (65, 49)


def fold_abn(net):
    """A copy of net with every In-Place ABN folded into the convolution before it:
    y = (conv(x) - m) * s + b with s = (|w| + eps) / sqrt(v + eps) becomes a convolution with
    weight W * s (per output channel) and bias (bias_conv - m) * s + b; the ABN is replaced by
    its activation (leaky ReLU, or nothing)."""
    net = copy.deepcopy(net)
    pairs = []
    for module in net.modules():
        if isinstance(module, ref.ResNetDeepLabv3):
            pairs += [(module, "conv%d" % i, "bn%d" % i) for i in (1, 2, 3)]
        elif isinstance(module, ref.Bottleneck):
            pairs += [(module, "conv%d" % i, "bn%d" % i) for i in (1, 2, 3)]
        elif isinstance(module, nn.Sequential):
            for i in range(len(module) - 1):
                if isinstance(module[i], nn.Conv2d) and isinstance(module[i + 1], ref.InPlaceABN):
                    pairs.append((module, str(i), str(i + 1)))
    with torch.no_grad():
        for parent, conv_name, abn_name in pairs:
            conv, abn = getattr(parent, conv_name), getattr(parent, abn_name)
            scale = (abn.weight.abs() + ref.ABN_EPS) / torch.sqrt(abn.running_var + ref.ABN_EPS)
            bias = conv.bias if conv.bias is not None else torch.zeros_like(scale)
            conv.weight = nn.Parameter(conv.weight * scale.view(-1, 1, 1, 1))
            conv.bias = nn.Parameter((bias - abn.running_mean) * scale + abn.bias)
            act = nn.LeakyReLU(ref.LEAKY_SLOPE) if abn.leaky else nn.Identity()
            setattr(parent, abn_name, act)
    if any(isinstance(m, ref.InPlaceABN) for m in net.modules()):
        raise RuntimeError("an In-Place ABN was left unfolded")
    return net


class HeadGraph(nn.Module):
    """Anchor and frame embeddings -> the model's classifier input (attention) -> logits."""

    def __init__(self, net):
        super().__init__()
        self.model = net.model
        self.cls = net.cls

    def forward(self, *embeddings):
        x0, xt = (None, embeddings[0]) if len(embeddings) == 1 else embeddings
        return self.cls(ref.classifier_input(self.model, x0, xt))


def export(net, model, out_dir):
    """features.onnx and (except for base) head.onnx, with dynamic spatial sizes."""
    w, h = CHECK_SIZE
    x = torch.zeros(1, 3, h, w)
    kw = dict(opset_version=13, do_constant_folding=True)
    torch.onnx.export(net.features, (x,), os.path.join(out_dir, "features.onnx"),
                      input_names=["image"], output_names=["embedding"],
                      dynamic_axes={"image": {2: "height", 3: "width"},
                                    "embedding": {2: "h", 3: "w"}}, **kw)
    if model == "base":
        return
    with torch.no_grad():
        e = net.features(x)
    uses_anchor = model != "intra"
    args = (e, e) if uses_anchor else (e,)
    names = ["x0", "xt"] if uses_anchor else ["xt"]
    axes = {n: {2: "h", 3: "w"} for n in names}
    axes["logits"] = {2: "h", 3: "w"}
    torch.onnx.export(HeadGraph(net), args, os.path.join(out_dir, "head.onnx"),
                      input_names=names, output_names=["logits"], dynamic_axes=axes, **kw)


# What differs between the runtimes that run the exported graphs: the module the runner imports
# (and pip installs), the script whose runner mode times them, the names in the JSON.
ONNXRUNTIME = {"name": "onnxruntime", "module": "onnxruntime", "script": os.path.abspath(__file__),
               "label": "ONNX Runtime", "profile_method": "ort-profiler"}


def venv_python(venv, package, quiet, engine=ONNXRUNTIME):
    """The virtual environment's interpreter, with the engine's module importable (made and
    installed when missing)."""
    tag = engine["name"] + "_baseline"
    py = os.path.join(venv, "bin", "python")
    if not os.path.exists(py):
        if not quiet:
            print("%s: creating the virtual environment %s" % (tag, venv), file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", venv],
                       check=True)
    probe = subprocess.run([py, "-c", "import " + engine["module"]], capture_output=True)
    if probe.returncode != 0:
        if not quiet:
            print("%s: installing %s from PyPI into %s" % (tag, package, venv), file=sys.stderr)
        subprocess.run([py, "-m", "pip", "install", "--quiet", package], check=True)
    return py


def default_venv(name="onnxruntime"):
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "adnet", name + "-venv")


def run(args, engine=ONNXRUNTIME):
    host = common.host_info()
    torch.set_num_threads(args.threads)
    width, height = args.size
    fh, fw = ref.feature_size(width, height)
    macs = adnet_flops.count_macs(args.model, args.backbone, width, height)
    py = venv_python(args.venv, args.package, args.quiet, engine)
    net = ref.build_reference(args.model, args.backbone, args.seed)
    folded = fold_abn(net).eval()
    uses_anchor = args.model not in ("base", "intra")
    with tempfile.TemporaryDirectory(prefix="adnet-ort-") as d:
        cw, ch = CHECK_SIZE
        fsize = (common.FRAME_W, common.FRAME_H)
        ca = ref.preprocess(ref.render_frame(0, *fsize, args.seed), cw, ch)
        cf = ref.preprocess(ref.render_frame(1, *fsize, args.seed), cw, ch)
        with torch.no_grad():
            want = net(ca, cf)
            got = folded(ca, cf)
        fold_err = float((want - got).abs().max())
        if fold_err > 1e-3 * float(want.abs().max()) + 1e-4:
            raise RuntimeError("folding In-Place ABN changed the logits by %.3g" % fold_err)
        with warnings.catch_warnings():
            # torch 1.13 warns about shape inference of constants it then handles
            warnings.simplefilter("ignore", UserWarning)
            export(folded, args.model, d)
        np.savez(os.path.join(d, "check.npz"), anchor=ca.numpy(), frame=cf.numpy(),
                 logits=want.numpy())
        anchor = ref.preprocess(ref.render_frame(0, *fsize, args.seed), width, height)
        frame = ref.preprocess(ref.render_frame(1, *fsize, args.seed), width, height)
        np.save(os.path.join(d, "anchor.npy"), anchor.numpy())
        np.save(os.path.join(d, "frame.npy"), frame.numpy())
        spec = {"dir": d, "frames": args.frames, "warmup": args.warmup, "threads": args.threads,
                "uses_anchor": uses_anchor, "has_head": args.model != "base"}
        with open(os.path.join(d, "spec.json"), "w") as f:
            json.dump(spec, f)
        del net, folded
        subprocess.run([py, engine["script"], RUNNER_FLAG, os.path.join(d, "spec.json")],
                       check=True)
        with open(os.path.join(d, "result.json")) as f:
            r = json.load(f)
    n = args.frames
    wall = sum(r["cached"]) / n
    # the profiled frame's groups, scaled to the timed frames' mean (profiling costs a little)
    scale = wall / r["profiled_wall_s"] if r["profiled_wall_s"] > 0 else 1.0
    order = list(adnet_flops.GROUP_ORDER) + sorted(set(r["groups"]) - set(adnet_flops.GROUP_ORDER))
    groups = {g: r["groups"][g] * scale for g in order if g in r["groups"]}

    def upsample(logits, h, w):
        return torch.nn.functional.interpolate(torch.from_numpy(logits), size=(h, w),
                                               mode="bilinear", align_corners=True).numpy()

    pre_s, post_s = common.time_host_steps(width, height, fw, fh, n, upsample)
    version = r["version"]
    result = {
        "device": common.cpu_device("%s %s (CPU, %d threads)" % (engine["label"], version,
                                                                  args.threads), version),
        "model": {"kind": args.model, "depth": args.backbone,
                  "embed": 1 if args.model == "base" else ref.EMBED, "width": width,
                  "height": height, "feature_width": fw, "feature_height": fh},
        "flops": {k: macs[k] for k in ("features_macs", "attention_macs", "classifier_macs",
                                       "frame_macs", "released_loop_macs")},
        "steady": {"anchor_cached": common.timing(r["cached"], macs["frame_macs"]),
                   "anchor_recomputed": common.timing(r["recomputed"],
                                                      macs["released_loop_macs"])},
        "first_frame": {"cold": None, "warm": None},
        "profile": {"method": engine["profile_method"], "runs": 1, "wall_s": wall, "device_s": None,
                    "groups": common.group_rows(groups, macs["groups"], wall),
                    "kinds": None, "roles": None, "steps": None},
        "host_per_frame": {"frame_width": common.FRAME_W, "frame_height": common.FRAME_H,
                           "preprocess_s": pre_s, "postprocess_s": post_s},
        "peak": None,
        "memory": {"device_peak_bytes": None, "host_peak_rss_bytes": r["peak_rss_bytes"]},
        engine["name"]: {"session_load_s": r["load_s"], "first_frame_in_session_s": r["first_s"],
                         "check_max_abs_diff": r["check_max_abs_diff"],
                         "fold_max_abs_diff": fold_err},
    }
    options = {"model": args.model, "backbone": args.backbone, "width": width, "height": height,
               "frames": n, "warmup": args.warmup, "threads": args.threads, "seed": args.seed,
               "weights": "synthetic", "dry_run": False, "package": args.package}
    return common.document(engine["name"], version, options, result, host)


def parse_args(argv=None, default_venv=default_venv(), default_package="onnxruntime",
               tool="ONNX Runtime"):
    p = argparse.ArgumentParser(description="Time AD-Net exported to ONNX in %s on the CPU "
                                "(anchor recomputed per frame, and cached); adnet-bench JSON."
                                % tool)
    common.add_common_args(p, ref.MODELS, ref.STAGE_BLOCKS)
    p.add_argument("--venv", default=default_venv,
                   help="virtual environment with %s (made when missing; default "
                        "%%(default)s)" % default_package)
    p.add_argument("--package", default=default_package,
                   help="pip requirement to install (e.g. %s==<version>)" % default_package)
    common.add_output_args(p)
    args = p.parse_args(argv)
    common.check_common_args(p, args)
    return args


def main_with(args, engine):
    try:
        doc = run(args, engine)
    except (RuntimeError, OSError, subprocess.CalledProcessError) as e:
        print("%s_baseline: %s" % (engine["name"], e), file=sys.stderr)
        return 1
    if args.json:
        common.write_json(args.json, doc)
    if not args.quiet:
        common.print_summary(doc)
    return 0


def main(argv=None):
    return main_with(parse_args(argv), ONNXRUNTIME)


if __name__ == "__main__":
    sys.exit(main())
