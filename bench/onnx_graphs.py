"""What the runners of the exported ONNX graphs share (ONNX Runtime's and OpenVINO's, inside
their virtual environments, where neither torch nor the driver's modules are imported): the flag
that starts a runner, the layer group of a graph's node, the check of a runtime's logits against
PyTorch's and the timing loop."""

import os
import time

RUNNER_FLAG = "--ort-runner"


def check_logits(d, features, logits, uses_anchor, tool, label):
    """Runs the graphs at the check size (check.npz in d: PyTorch's inputs and logits) and
    stops the runner when the logits differ beyond 1e-3 of their scale; returns max |diff|."""
    import numpy as np

    check = np.load(os.path.join(d, "check.npz"))
    x0 = features(check["anchor"]) if uses_anchor else None
    got = logits(x0, check["frame"])
    want = check["logits"]
    err = float(np.max(np.abs(got - want)))
    scale = float(np.max(np.abs(want))) or 1.0
    if not np.all(np.isfinite(got)) or err > 1e-3 * scale + 1e-4:
        raise SystemExit("%s: %s's logits differ from PyTorch's (max |diff| %.3g, max |logit| "
                         "%.3g)" % (tool, label, err, scale))
    return err


def time_frames(d, spec, features, logits):
    """The timing `adnet bench` does, on anchor.npy and frame.npy in d: the first frame (anchor
    and frame), spec["warmup"] untimed frames, then spec["frames"] frames with the anchor
    recomputed and as many with it cached. Returns (first_s, recomputed, cached)."""
    import numpy as np

    uses_anchor = spec["uses_anchor"]
    anchor = np.load(os.path.join(d, "anchor.npy"))
    frame = np.load(os.path.join(d, "frame.npy"))
    t0 = time.perf_counter()
    x0 = features(anchor) if uses_anchor else None
    logits(x0, frame)
    first_s = time.perf_counter() - t0
    for _ in range(spec["warmup"]):
        logits(features(anchor) if uses_anchor else None, frame)
    recomputed = []
    for _ in range(spec["frames"]):
        t0 = time.perf_counter()
        logits(features(anchor) if uses_anchor else None, frame)
        recomputed.append(time.perf_counter() - t0)
    cached = []
    for _ in range(spec["frames"]):
        t0 = time.perf_counter()
        logits(x0, frame)
        cached.append(time.perf_counter() - t0)
    return first_s, recomputed, cached


def node_group(name, graph):
    """The layer group of a node of the optimised graph, from the module path torch.onnx puts
    in names ("/layer3/layer3.4/conv2/Conv", fused nodes keep their last op's name:
    "/layer1/layer1.0/Relu_output_0_nchwc"). Unscoped nodes are the stem's functional ReLUs
    in the features graph and the attention's ops in the head graph. Nodes ONNX Runtime adds
    (layout reorders) have no leading slash: "layout", except the convolutions named after
    the graph's output (the embedding's, the logits')."""
    if not name.startswith("/"):
        if name.startswith("embedding"):
            return "head"
        if name.startswith("logits"):
            return "classifier"
        return "layout"
    parts = [p for p in name.split("/") if p]
    first = parts[0] if len(parts) > 1 else ""
    if graph == "head":
        return "classifier" if first == "cls" else "attention"
    if first.startswith("layer"):
        return first
    if first == "head":
        return "aspp" if len(parts) > 2 and parts[1] == "head.0" else "head"
    return "stem"
