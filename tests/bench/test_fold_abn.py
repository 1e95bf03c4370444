#!/usr/bin/python3
"""The ONNX Runtime baseline's preparation, without ONNX Runtime (no network in tests):
In-Place ABN folded into the convolutions gives the unfolded network's logits (the calibrated
weights include negative BN weights, so |w| + eps matters), no ABN is left, the two graphs
export with torch.onnx, and profile node names map to the layer groups.

usage: test_fold_abn.py OUT_DIR
"""

import os
import sys
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "bench"))
sys.path.insert(0, os.path.join(REPO, "tests", "reference"))

import torch  # noqa: E402

import adnet_reference as ref  # noqa: E402
import onnxruntime_baseline as ob  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from checks import check, finish  # noqa: E402




def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(2)
    for model in ("ad", "intra"):
        net = ref.build_reference(model, 50, seed=5, width_div=4)  # narrow: quick
        negative = sum(int((m.weight < 0).sum()) for m in net.modules()
                       if isinstance(m, ref.InPlaceABN))
        check(negative > 0, "%s: the reference has negative BN weights (%d)" % (model, negative))
        folded = ob.fold_abn(net).eval()
        check(not any(isinstance(m, ref.InPlaceABN) for m in folded.modules()),
              "%s: no In-Place ABN left" % model)
        check(any(isinstance(m, ref.InPlaceABN) for m in net.modules()),
              "%s: the original network is untouched" % model)
        fsize = (120, 90)
        a = ref.preprocess(ref.render_frame(0, *fsize, 5), 65, 49)
        f = ref.preprocess(ref.render_frame(1, *fsize, 5), 65, 49)
        with torch.no_grad():
            want, got = net(a, f), folded(a, f)
        err = float((want - got).abs().max())
        scale = float(want.abs().max())
        check(err <= 1e-4 * scale + 1e-5, "%s: folded logits match (max |diff| %.2g of %.2g)"
              % (model, err, scale))
        d = os.path.join(out, model)
        os.makedirs(d, exist_ok=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            ob.export(folded, model, d)
        for name in ("features.onnx", "head.onnx"):
            p = os.path.join(d, name)
            check(os.path.exists(p) and os.path.getsize(p) > 1000, "%s: %s exported" % (model, name))

    cases = [("/Relu_output_0_nchwc", "features", "stem"),
             ("/maxpool/MaxPool_output_0_nchwc", "features", "stem"),
             ("/layer3/layer3.4/conv2/Conv", "features", "layer3"),
             ("/layer1/layer1.0/downsample/downsample.0/Conv_output_0_nchwc", "features", "layer1"),
             ("/head/head.0/conv2/conv2.1/LeakyRelu_output_0_nchwc", "features", "aspp"),
             ("/head/head.0/Resize", "features", "aspp"),
             ("/head/head.1/Conv", "features", "head"),
             ("embedding_nchwc", "features", "head"),
             ("ReorderOutput_token_203", "features", "layout"),
             ("/MatMul_2/MatmulTransposeFusion/", "head", "attention"),
             ("/Softmax_1", "head", "attention"),
             ("/cls/cls.1/LeakyRelu_output_0_nchwc", "head", "classifier"),
             ("logits_nchwc", "head", "classifier")]
    for name, graph, want in cases:
        got = ob.node_group(name, graph)
        check(got == want, "node %s (%s graph) -> %s (%s)" % (name, graph, want, got))
    return finish("bench_fold_abn")


if __name__ == "__main__":
    sys.exit(main())
