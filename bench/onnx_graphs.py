"""What the runners of the exported ONNX graphs share (ONNX Runtime's and OpenVINO's, inside
their virtual environments, where neither torch nor the driver's modules are imported): the flag
that starts a runner and the layer group of a graph's node."""

RUNNER_FLAG = "--ort-runner"


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
