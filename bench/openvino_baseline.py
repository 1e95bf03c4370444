#!/usr/bin/python3
"""The released AD-Net run by OpenVINO's CPU plugin, the peer a user of Intel hardware would
pick (its CPU plugin is built on oneDNN), timed as `adnet bench` times adnet.

The network, its In-Place ABN folding, the two exported ONNX graphs, the logits check against
PyTorch and the timing loop are onnxruntime_baseline.py's (imported: the same graphs run in
both). Only the runner differs: inside its own virtual environment with the `openvino`
package from PyPI, each graph is read from ONNX, given the static input shape of the size
timed (what an OpenVINO user does for a fixed-size video) and compiled for the CPU with
INFERENCE_PRECISION_HINT f32, PERFORMANCE_HINT LATENCY and one stream of as many threads as
--threads. The per-group times come from OpenVINO's performance counters (PERF_COUNT), whose
node names keep the ONNX names torch.onnx writes, so the layer groups map as ONNX Runtime's do.
Writes adnet-bench/1 JSON (docs/benchmarks.md).
"""

import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from onnx_graphs import RUNNER_FLAG, check_logits, node_group, time_frames  # noqa: E402

OPENVINO = {"name": "openvino", "module": "openvino", "script": os.path.abspath(__file__),
            "label": "OpenVINO", "profile_method": "openvino-perf-counters"}


def runner(spec_path):
    import numpy as np
    import openvino as ov

    with open(spec_path) as f:
        spec = json.load(f)
    d = spec["dir"]
    core = ov.Core()
    config = {"INFERENCE_PRECISION_HINT": "f32", "PERFORMANCE_HINT": "LATENCY",
              "INFERENCE_NUM_THREADS": spec["threads"], "NUM_STREAMS": 1}
    uses_anchor, has_head = spec["uses_anchor"], spec["has_head"]

    def compiled(name, shapes, profile=False):
        model = core.read_model(os.path.join(d, name + ".onnx"))
        model.reshape({k: ov.PartialShape(v) for k, v in shapes.items()})
        cfg = dict(config, PERF_COUNT=profile)
        return core.compile_model(model, "CPU", cfg)

    def frame_fns(image_shape, profile=False):
        """features(image) and logits(x0, image) for images of image_shape."""
        feat = compiled("features", {"image": image_shape}, profile)
        freq = feat.create_infer_request()
        emb = list(freq.infer({"image": np.zeros(image_shape, np.float32)}).values())[0].shape
        head = hreq = None
        if has_head:
            names = ["x0", "xt"] if uses_anchor else ["xt"]
            head = compiled("head", {n: list(emb) for n in names}, profile)
            hreq = head.create_infer_request()

        def features(image):
            return freq.infer({"image": image})[0].copy()

        def logits(x0, image):
            xt = features(image)
            if hreq is None:
                return xt
            feeds = {"xt": xt}
            if uses_anchor:
                feeds["x0"] = x0
            return hreq.infer(feeds)[0].copy()
        return features, logits, freq, hreq

    # the compiled graphs against PyTorch at the check size, then the timed frames with the
    # graphs compiled for the timed size
    check = np.load(os.path.join(d, "check.npz"))
    features, logits, _, _ = frame_fns(list(check["frame"].shape))
    err = check_logits(d, features, logits, uses_anchor, "openvino_baseline", "OpenVINO")
    anchor = np.load(os.path.join(d, "anchor.npy"))
    frame = np.load(os.path.join(d, "frame.npy"))
    t0 = time.perf_counter()
    features, logits, _, _ = frame_fns(list(frame.shape))
    load_s = time.perf_counter() - t0
    first_s, recomputed, cached = time_frames(d, spec, features, logits)

    # one profiled cached frame (after an untimed one), with the performance counters on
    pfeatures, plogits, preq, phreq = frame_fns(list(frame.shape), profile=True)
    px0 = pfeatures(anchor) if uses_anchor else None
    plogits(px0, frame)
    t0 = time.perf_counter()
    plogits(px0, frame)
    profiled_wall = time.perf_counter() - t0
    groups = {}
    for req, graph in ((preq, "features"), (phreq, "head")):
        if req is None:
            continue
        for info in req.get_profiling_info():
            if info.status != info.Status.EXECUTED:
                continue
            g = node_group(info.node_name, graph)
            groups[g] = groups.get(g, 0.0) + info.real_time.total_seconds()
    import resource
    out = {"version": ov.__version__ if hasattr(ov, "__version__") else ov.get_version(),
           "load_s": load_s, "first_s": first_s, "recomputed": recomputed, "cached": cached,
           "groups": groups, "profiled_wall_s": profiled_wall, "check_max_abs_diff": err,
           "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}
    with open(os.path.join(d, "result.json"), "w") as f:
        json.dump(out, f)
    return 0


def main(argv=None):
    # the driver (Debian's Python with torch) exports and checks the graphs as ONNX Runtime's
    import onnxruntime_baseline as onnx_base

    args = onnx_base.parse_args(argv, default_venv=onnx_base.default_venv("openvino"),
                                default_package="openvino", tool="OpenVINO's CPU plugin")
    return onnx_base.main_with(args, OPENVINO)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == RUNNER_FLAG:
        sys.exit(runner(sys.argv[2]))
    sys.exit(main())
