#!/usr/bin/python3
"""Self-checks of the PyTorch reference (adnet_reference.py) against the contract, using
independent formulations: plain loops, hand-computed values, a separate safetensors reader.
Run: test_reference_selfcheck.py (exit status 0 when every check passes)."""

import json
import math
import os
import struct
import sys
import tempfile
import unittest

import cv2
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import adnet_reference as ref  # noqa: E402


def read_safetensors(path):
    """A reader written from the format's description, independent of the writer: returns
    (metadata, {name: (dtype, float32 array)}) and checks the layout on the way."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    assert n % 8 == 0, "header length %d not a multiple of 8" % n
    text = data[8:8 + n].decode("utf-8")
    assert text.rstrip(" ") == text.strip(), "header padding is not trailing spaces"
    header = json.loads(text)
    meta = header.pop("__metadata__", None)
    base = 8 + n
    spans = sorted(tuple(e["data_offsets"]) for e in header.values())
    pos = 0
    for b, e in spans:
        assert b == pos, "gap or overlap in data offsets at %d" % b
        pos = e
    assert pos == len(data) - base, "data section length mismatch"
    tensors = {}
    for name, e in header.items():
        b, end = e["data_offsets"]
        raw = data[base + b: base + end]
        if e["dtype"] == "F32":
            arr = np.frombuffer(raw, "<f4").astype(np.float32)
        elif e["dtype"] == "F16":
            arr = np.frombuffer(raw, "<f2").astype(np.float32)
        elif e["dtype"] == "BF16":
            arr = (np.frombuffer(raw, "<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            raise AssertionError("unexpected dtype %s" % e["dtype"])
        assert arr.size == int(np.prod(e["shape"], dtype=np.int64)), name
        tensors[name] = (e["dtype"], arr.reshape(e["shape"]))
    return meta, tensors


def bf16_round(a):
    """float32 -> bfloat16 (round to nearest even) -> float32, by bit manipulation."""
    bits = a.astype(np.float32).view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return (rounded.astype(np.uint32) << 16).view(np.float32)


def abn_numpy(x, w, b, m, v, leaky):
    shape = (1, -1, 1, 1)
    y = (x - m.reshape(shape)) * (np.abs(w) + 1e-5).reshape(shape) / np.sqrt(
        v.reshape(shape) + 1e-5) + b.reshape(shape)
    return np.where(y >= 0, y, 0.01 * y) if leaky else y


def randomise_abn(module, gen):
    with torch.no_grad():
        for m in ref.abn_modules(module):
            c = m.weight.numel()
            m.weight.copy_(torch.randn(c, generator=gen))
            m.bias.copy_(torch.randn(c, generator=gen) * 0.3)
            m.running_mean.copy_(torch.randn(c, generator=gen) * 0.3)
            m.running_var.copy_(0.3 + torch.rand(c, generator=gen))


class Attention(unittest.TestCase):
    def test_materialised_equals_column_loop(self):
        gen = torch.Generator().manual_seed(3)
        e, m = 16, 37
        q = torch.randn(e, m, generator=gen) * 1.5
        kv = torch.randn(e, m, generator=gen) * 1.5
        got = ref.attend(q, kv).double().numpy()
        qn, kn = q.double().numpy(), kv.double().numpy()
        want = np.zeros((e, m))
        for i in range(m):
            s = np.array([qn[:, i] @ kn[:, j] for j in range(m)]) / math.sqrt(e)
            p = np.exp(s - s.max())
            p /= p.sum()
            want[:, i] = sum(p[j] * kn[:, j] for j in range(m))
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)

    def test_output_follows_query_positions(self):
        gen = torch.Generator().manual_seed(4)
        q = torch.randn(8, 20, generator=gen)
        kv = torch.randn(8, 20, generator=gen)
        perm = torch.randperm(20, generator=gen)
        # Permuting the anchor's positions permutes the output columns; permuting the current
        # frame's positions (keys and values together) changes nothing.
        torch.testing.assert_close(ref.attend(q[:, perm], kv), ref.attend(q, kv)[:, perm])
        torch.testing.assert_close(ref.attend(q, kv[:, perm]), ref.attend(q, kv))
        self.assertGreater(float((ref.attend(q, kv) - ref.attend(kv, q)).abs().max()), 1e-2)

    def test_classifier_input_order(self):
        gen = torch.Generator().manual_seed(5)
        x0 = torch.randn(1, 128, 3, 4, generator=gen)
        xt = torch.randn(1, 128, 3, 4, generator=gen)
        f0, ft = x0.reshape(128, 12), xt.reshape(128, 12)
        want = {
            "ad": [ref.attend(f0, ft), ref.attend(ft, ft), ft],
            "inter": [ref.attend(f0, ft), ft],
            "intra": [ref.attend(ft, ft), ft],
            "concat": [f0, ft],
        }
        for model, parts in want.items():
            got = ref.classifier_input(model, x0, xt)
            self.assertEqual(tuple(got.shape), (1, 128 * len(parts), 3, 4), model)
            torch.testing.assert_close(got.reshape(-1, 12), torch.cat(parts, 0), msg=model)


class InPlaceABN(unittest.TestCase):
    def test_abs_weight_form(self):
        gen = torch.Generator().manual_seed(6)
        c = 6
        abn = ref.InPlaceABN(c, leaky=False)
        with torch.no_grad():
            abn.weight.copy_(torch.tensor([-1.5, 0.7, -0.2, 1.1, -0.9, 0.0]))
            abn.bias.copy_(torch.randn(c, generator=gen))
            abn.running_mean.copy_(torch.randn(c, generator=gen))
            abn.running_var.copy_(0.2 + torch.rand(c, generator=gen))
        x = torch.randn(2, c, 5, 3, generator=gen)
        with torch.no_grad():
            got = abn(x)
        args = [t.detach().numpy() for t in (abn.weight, abn.bias, abn.running_mean,
                                             abn.running_var)]
        np.testing.assert_allclose(got.numpy(), abn_numpy(x.numpy(), *args, leaky=False),
                                   rtol=1e-5, atol=1e-5)
        # nn.BatchNorm2d with the raw (negative) weights is a different function ...
        bn = nn.BatchNorm2d(c, eps=1e-5).eval()
        with torch.no_grad():
            bn.weight.copy_(abn.weight)
            bn.bias.copy_(abn.bias)
            bn.running_mean.copy_(abn.running_mean)
            bn.running_var.copy_(abn.running_var)
            self.assertGreater(float((bn(x) - got).abs().max()), 0.5)
            # ... and equals it with |w| + eps.
            bn.weight.copy_(abn.weight.abs() + 1e-5)
            torch.testing.assert_close(bn(x), got, rtol=1e-5, atol=1e-5)

    def test_leaky_slope(self):
        abn = ref.InPlaceABN(1, leaky=True)
        x = torch.tensor([-2.0, 3.0]).reshape(1, 1, 2, 1)
        with torch.no_grad():
            y = abn(x).flatten()
        s = 1 / math.sqrt(1 + 1e-5) * (1 + 1e-5)
        np.testing.assert_allclose(y.numpy(), [-0.02 * s, 3.0 * s], rtol=1e-6)


class Structure(unittest.TestCase):
    def test_stage_table(self):
        for depth, blocks in ((50, (3, 4, 6, 3)), (101, (3, 4, 23, 3))):
            f = ref.ResNetDeepLabv3(depth, 128, width_div=16)
            layers = [f.layer1, f.layer2, f.layer3, f.layer4]
            self.assertEqual([len(layer) for layer in layers], list(blocks))
            self.assertEqual(f.layer1[0].conv1.in_channels * 16, 128)
            for li, (layer, stride) in enumerate(zip(layers, (1, 2, 1, 1))):
                for bi, block in enumerate(layer):
                    want_d = [1, 1, 2, (4, 8, 16)[min(bi, 2)]][li]
                    self.assertEqual(block.conv2.dilation, (want_d, want_d))
                    self.assertEqual(block.conv2.padding, (want_d, want_d))
                    self.assertEqual(block.conv2.stride, (stride, stride) if bi == 0 else (1, 1))
                    self.assertEqual(block.conv1.stride, (1, 1))
                    self.assertEqual(block.downsample is not None, bi == 0)
                    if bi == 0:
                        self.assertEqual(block.downsample[0].stride, (stride, stride))
            for m in f.modules():
                if isinstance(m, nn.Conv2d) and m is not f.head[1] and m is not f.dsn[3]:
                    self.assertIsNone(m.bias)
            self.assertEqual([f.head[0].conv2[0].dilation, f.head[0].conv3[0].dilation,
                              f.head[0].conv4[0].dilation], [(12, 12), (24, 24), (36, 36)])

    def test_state_dict_names(self):
        net = ref.ADNetReference("ad", 50)
        sd = net.released_state_dict()
        shapes = {k: tuple(v.shape) for k, v in sd.items()}
        want = {
            "features.conv1.weight": (64, 3, 3, 3),
            "features.conv3.weight": (128, 64, 3, 3),
            "features.bn1.running_var": (64,),
            "features.layer1.0.conv1.weight": (64, 128, 1, 1),
            "features.layer1.0.downsample.0.weight": (256, 128, 1, 1),
            "features.layer1.0.downsample.1.weight": (256,),
            "features.layer2.0.conv2.weight": (128, 128, 3, 3),
            "features.layer3.5.conv3.weight": (1024, 256, 1, 1),
            "features.layer4.2.bn3.running_mean": (2048,),
            "features.head.0.conv1.0.weight": (512, 2048, 1, 1),
            "features.head.0.conv1.1.bias": (512,),
            "features.head.0.conv4.0.weight": (512, 2048, 3, 3),
            "features.head.0.image_pooling.1.weight": (512, 2048, 1, 1),
            "features.head.0.image_pooling.2.running_var": (512,),
            "features.head.0.conv_bn_dropout.0.weight": (512, 2560, 1, 1),
            "features.head.0.conv_bn_dropout.1.weight": (512,),
            "features.head.1.weight": (128, 512, 1, 1),
            "features.head.1.bias": (128,),
            "features.dsn.0.weight": (512, 1024, 3, 3),
            "features.dsn.1.running_mean": (512,),
            "features.dsn.3.weight": (128, 512, 1, 1),
            "cls.0.weight": (128, 384, 1, 1),
            "cls.0.bias": (128,),
            "cls.1.weight": (128,),
            "cls.1.running_var": (128,),
            "cls.3.weight": (1, 128, 1, 1),
            "cls.3.bias": (1,),
        }
        for k, s in want.items():
            self.assertEqual(shapes.get(k), s, k)
        self.assertNotIn("features.layer3.6.conv1.weight", shapes)
        self.assertFalse([k for k in shapes if "num_batches_tracked" in k])
        for model, cin in (("inter", 256), ("intra", 256), ("concat", 256)):
            sd = ref.ADNetReference(model, 50, width_div=16).released_state_dict()
            self.assertEqual(tuple(sd["cls.0.weight"].shape), (128, cin, 1, 1))
        sd = ref.ADNetReference("base", 101, width_div=16).released_state_dict()
        self.assertIn("layer3.22.conv2.weight", sd)
        self.assertNotIn("layer3.23.conv2.weight", sd)
        self.assertEqual(tuple(sd["head.1.weight"].shape)[0], 1)
        self.assertFalse([k for k in sd if k.startswith(("features.", "cls."))])


def abn_of(m, x, leaky):
    return torch.from_numpy(abn_numpy(x.numpy(), m.weight.detach().numpy(), m.bias.detach().numpy(),
                                      m.running_mean.numpy(), m.running_var.numpy(), leaky))


class Wiring(unittest.TestCase):
    """Blocks recomputed from their weights with functional convolutions and the In-Place ABN
    formula, following the spec's wording."""

    def test_bottleneck_by_hand(self):
        gen = torch.Generator().manual_seed(10)
        f = ref.ResNetDeepLabv3(50, 4, width_div=16).eval()
        randomise_abn(f, gen)
        for block, stride, d in ((f.layer2[0], 2, 1), (f.layer3[1], 1, 2), (f.layer4[2], 1, 16)):
            cin = block.conv1.in_channels
            x = torch.randn(1, cin, 9, 11, generator=gen)
            with torch.no_grad():
                got = block(x)
                y = torch.relu(abn_of(block.bn1, F.conv2d(x, block.conv1.weight), False))
                y = F.conv2d(y, block.conv2.weight, stride=stride, padding=d, dilation=d)
                y = torch.relu(abn_of(block.bn2, y, False))
                y = abn_of(block.bn3, F.conv2d(y, block.conv3.weight), False)
                if block.downsample is not None:
                    r = F.conv2d(x, block.downsample[0].weight, stride=stride)
                    r = abn_of(block.downsample[1], r, False)
                else:
                    r = x
                torch.testing.assert_close(got, torch.relu(y + r), rtol=1e-4, atol=1e-4)

    def test_stem_by_hand(self):
        gen = torch.Generator().manual_seed(11)
        f = ref.ResNetDeepLabv3(50, 4, width_div=16).eval()
        randomise_abn(f, gen)
        seen = {}
        f.layer1.register_forward_hook(lambda m, i, o: seen.__setitem__("in", i[0]))
        x = torch.randn(1, 3, 29, 37, generator=gen)
        with torch.no_grad():
            f.backbone(x)
            y = torch.relu(abn_of(f.bn1, F.conv2d(x, f.conv1.weight, stride=2, padding=1), False))
            y = torch.relu(abn_of(f.bn2, F.conv2d(y, f.conv2.weight, padding=1), False))
            y = torch.relu(abn_of(f.bn3, F.conv2d(y, f.conv3.weight, padding=1), False))
            y = F.max_pool2d(y, 3, 2, 1, ceil_mode=True)
        torch.testing.assert_close(seen["in"], y, rtol=1e-4, atol=1e-4)

    def test_classifier_by_hand(self):
        gen = torch.Generator().manual_seed(12)
        net = ref.ADNetReference("concat", 50, width_div=16).eval()
        randomise_abn(net, gen)
        x0 = torch.randn(1, 128, 3, 5, generator=gen)
        xt = torch.randn(1, 128, 3, 5, generator=gen)
        with torch.no_grad():
            got = net.logits_from_features(x0, xt)
            y = F.conv2d(torch.cat([x0, xt], 1), net.cls[0].weight, net.cls[0].bias)
            y = abn_of(net.cls[1], y, True)
            y = F.conv2d(y, net.cls[3].weight, net.cls[3].bias)
        self.assertEqual(tuple(got.shape), (1, 1, 3, 5))
        torch.testing.assert_close(got, y, rtol=1e-4, atol=1e-4)


class Spatial(unittest.TestCase):
    def test_ceil_mode_pool_against_loop(self):
        pool = ref.ResNetDeepLabv3(50, 128, width_div=16).maxpool
        gen = torch.Generator().manual_seed(7)
        for h, w in ((5, 6), (7, 8), (38, 50), (11, 13)):
            # All-negative input: a zero from the padding would win if padding took part.
            x = -1 - torch.rand(1, 2, h, w, generator=gen)
            got = pool(x).numpy()
            oh, ow = [math.ceil((n + 2 - 3) / 2) + 1 for n in (h, w)]
            oh -= (oh - 1) * 2 >= h + 1
            ow -= (ow - 1) * 2 >= w + 1
            self.assertEqual(got.shape, (1, 2, oh, ow))
            xn = x.numpy()
            for i in range(oh):
                for j in range(ow):
                    r0, c0 = max(i * 2 - 1, 0), max(j * 2 - 1, 0)
                    win = xn[:, :, r0:i * 2 + 2, c0:j * 2 + 2]
                    np.testing.assert_array_equal(got[:, :, i, j], win.max(axis=(2, 3)))

    def test_feature_sizes(self):
        self.assertEqual(ref.feature_size(100, 75), (10, 13))
        self.assertEqual(ref.feature_size(857, 481), (61, 108))
        f = ref.ResNetDeepLabv3(50, 4, width_div=16).eval()
        with torch.no_grad():
            for w, h in ((100, 75), (857, 481), (33, 17), (64, 48), (97, 73)):
                y = f(torch.randn(1, 3, h, w))
                self.assertEqual(tuple(y.shape[2:]), ref.feature_size(w, h), (w, h))

    def test_msm_sizes(self):
        self.assertEqual(ref.msm_sizes(857, 481), [(641, 353), (857, 481), (1281, 721)])
        self.assertEqual(ref.msm_sizes(100, 75), [(73, 49), (97, 73), (145, 105)])


class ASPP(unittest.TestCase):
    def test_branch_order_and_image_pooling_broadcast(self):
        gen = torch.Generator().manual_seed(8)
        aspp = ref.ASPP(16, 8).eval()
        randomise_abn(aspp, gen)
        seen = {}
        aspp.conv_bn_dropout[0].register_forward_hook(
            lambda mod, inp, out: seen.__setitem__("cat", inp[0]))
        x = torch.randn(1, 16, 5, 7, generator=gen)
        with torch.no_grad():
            out = aspp(x)
            cat = seen["cat"]
            final = abn_of(aspp.conv_bn_dropout[1], F.conv2d(cat, aspp.conv_bn_dropout[0].weight),
                           True)
            torch.testing.assert_close(out, final, rtol=1e-5, atol=1e-5)
            self.assertEqual(tuple(cat.shape), (1, 40, 5, 7))
            for k, branch in enumerate((aspp.conv1, aspp.conv2, aspp.conv3, aspp.conv4)):
                torch.testing.assert_close(cat[:, 8 * k:8 * k + 8], branch(x))
            # Image pooling by hand: mean, 1x1 conv, In-Place ABN, leaky; the same vector at
            # every position.
            mean = x.numpy().mean(axis=(2, 3))
            wconv = aspp.image_pooling[1].weight.numpy().reshape(8, 16)
            bn = aspp.image_pooling[2]
            v = abn_numpy((mean @ wconv.T).reshape(1, 8, 1, 1), bn.weight.numpy(),
                          bn.bias.numpy(), bn.running_mean.numpy(), bn.running_var.numpy(),
                          leaky=True).reshape(8)
            pooled = cat[0, 32:40].numpy()
            for i in range(5):
                for j in range(7):
                    np.testing.assert_allclose(pooled[:, i, j], v, rtol=1e-5, atol=1e-5)


class Preprocessing(unittest.TestCase):
    def test_bgr_mean_and_linear_resize(self):
        img = np.zeros((1, 2, 3), np.uint8)
        img[0, 0] = (0, 10, 20)
        img[0, 1] = (200, 30, 100)
        x = ref.preprocess(img, 4, 1)
        self.assertEqual(x.dtype, torch.float32)
        self.assertEqual(tuple(x.shape), (1, 3, 1, 4))
        # Half-pixel centres: destination i samples source (i + 0.5) / 2 - 0.5, clamped.
        for c, (a, b) in enumerate(((0, 200), (10, 30), (20, 100))):
            want = np.array([a, 0.75 * a + 0.25 * b, 0.25 * a + 0.75 * b, b])
            np.testing.assert_allclose(x[0, c, 0].numpy() + ref.BGR_MEAN[c],
                                       np.rint(want), atol=1e-4)
        self.assertAlmostEqual(float(x[0, 0, 0, 0]), -104.00698793, places=4)
        self.assertAlmostEqual(float(x[0, 2, 0, 3]), 100 - 122.67891434, places=4)


class SafeTensors(unittest.TestCase):
    def test_roundtrip_dtypes_prefix_metadata(self):
        gen = torch.Generator().manual_seed(9)
        tensors = {"a.weight": torch.randn(3, 5, generator=gen) * 3,
                   "b.bias": torch.randn(7, generator=gen),
                   "c.running_var": torch.rand(1, generator=gen)}
        with tempfile.TemporaryDirectory() as d:
            for dtype in ("f32", "f16", "bf16"):
                path = os.path.join(d, dtype + ".safetensors")
                meta = {"model": "ad", "depth": "101", "embed": "128"}
                named = {"module." + k: v for k, v in tensors.items()}
                ref.write_safetensors(path, named, dtype, meta)
                got_meta, got = read_safetensors(path)
                self.assertEqual(got_meta, meta)
                self.assertEqual(sorted(got), sorted(named))
                for k, v in tensors.items():
                    st_dtype, arr = got["module." + k]
                    self.assertEqual(st_dtype, {"f32": "F32", "f16": "F16", "bf16": "BF16"}[dtype])
                    want = v.numpy()
                    if dtype == "f16":
                        want = want.astype(np.float16).astype(np.float32)
                    elif dtype == "bf16":
                        want = bf16_round(want)
                    np.testing.assert_array_equal(arr, want)
            path = os.path.join(d, "plain.safetensors")
            ref.write_safetensors(path, tensors, "f32", None)
            got_meta, got = read_safetensors(path)
            self.assertIsNone(got_meta)
            self.assertEqual(sorted(got), sorted(tensors))


def load_case_weights(out, model, depth, width_div=1):
    """The case's weights through the independent reader, into a fresh network."""
    meta, st = read_safetensors(os.path.join(out, "weights.safetensors"))
    prefix = "module." if all(k.startswith("module.") for k in st) else ""
    sd = {k[len(prefix):]: torch.from_numpy(a.copy()) for k, (_, a) in st.items()}
    net = ref.ADNetReference(model, depth, width_div).eval()
    net.load_released_state_dict(sd)
    return meta, st, net


def released_msm(net, anchor_bgr, frame_bgr, sizes):
    """The released multi-scale + mirror loop: three scaled inputs for both frames, then their
    mirrored copies; full forward passes; outputs upsampled, the second half flipped back, all
    six averaged."""
    fh, fw = frame_bgr.shape[:2]
    refs = [ref.preprocess(anchor_bgr, w, h) for w, h in sizes]
    curs = [ref.preprocess(frame_bgr, w, h) for w, h in sizes]
    refs += [torch.flip(r, [3]) for r in refs]
    curs += [torch.flip(c, [3]) for c in curs]
    preds = [F.interpolate(net(r, c), size=(fh, fw), mode="bilinear", align_corners=True)
             for r, c in zip(refs, curs)]
    for k in range(3, 6):
        preds[k] = torch.flip(preds[k], [3])
    return torch.mean(torch.stack(preds, 0), 0)[0].numpy()


class EndToEnd(unittest.TestCase):
    """Whole cases through the CLI, then recomputed from what they wrote: the weights read back
    by the independent reader, the frames from the JPEGs, the full forward pass (anchor
    recomputed each time, as the released loop does)."""

    def check_expected(self, out, net, frames, size, feat):
        w, h = size
        fh, fw = frames[0].shape[:2]
        fractions = []
        with torch.no_grad():
            for i, frame in enumerate(frames):
                name = "%05d" % i
                logits = net(ref.preprocess(frames[0], w, h), ref.preprocess(frame, w, h))
                expected = np.load(os.path.join(out, "expected", name + ".npy"))
                self.assertEqual(expected.shape, (1,) + feat)
                self.assertEqual(expected.dtype, np.float32)
                np.testing.assert_allclose(expected, logits[0].numpy(), rtol=1e-4, atol=1e-4)
                fractions.append(float((expected > 0.5).mean()))
                up = F.interpolate(torch.from_numpy(expected)[None], size=(fh, fw),
                                   mode="bilinear", align_corners=True)[0, 0].numpy()
                mask = cv2.imread(os.path.join(out, "expected_masks", name + ".png"),
                                  cv2.IMREAD_UNCHANGED)
                self.assertEqual(mask.shape, (fh, fw))
                self.assertEqual(set(np.unique(mask)) - {0, 255}, set())
                np.testing.assert_array_equal(mask > 0, up > 0.5)
        return fractions

    def test_full_width_case(self):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "case")
            rc = ref.main(["--model", "ad", "--depth", "50", "--size", "100x75", "--out", out,
                           "--frames", "2", "--frame-size", "90x70", "--seed", "5",
                           "--dtype", "f16", "--module-prefix"])
            self.assertEqual(rc, 0)
            meta, st, net = load_case_weights(out, "ad", 50)
            self.assertEqual(meta, {"model": "ad", "depth": "50", "embed": "128"})
            self.assertTrue(all(k.startswith("module.") for k in st))
            self.assertTrue(all(t == "F16" for t, _ in st.values()))
            abns = ref.abn_modules(net)
            self.assertGreater(int((torch.cat([m.weight.detach() for m in abns]) < 0).sum()), 1000)
            rm = torch.cat([m.running_mean for m in abns])
            rv = torch.cat([m.running_var for m in abns])
            self.assertGreater(float(rm.abs().mean()), 0.01)
            self.assertGreater(float((rv - 1).abs().mean()), 0.05)
            with open(os.path.join(out, "info.json")) as f:
                info = json.load(f)
            self.assertEqual(info["feature_size"], [10, 13])
            frames = [cv2.imread(os.path.join(out, "frames", "%05d.jpg" % i)) for i in range(2)]
            self.assertEqual(frames[0].shape, (70, 90, 3))
            fractions = self.check_expected(out, net, frames, (100, 75), (10, 13))
            for frac in fractions:
                self.assertTrue(0.05 < frac < 0.95, "mask fraction %.3f" % frac)
            # In-Place ABN ignores the sign of the BN weights, network-wide.
            with torch.no_grad():
                for m in abns:
                    m.weight.neg_()
                flipped = net(ref.preprocess(frames[0], 100, 75),
                              ref.preprocess(frames[1], 100, 75))[0].numpy()
            np.testing.assert_allclose(
                flipped, np.load(os.path.join(out, "expected", "00001.npy")), rtol=1e-4,
                atol=1e-4)

    def test_multiscale_mirror_cases(self):
        # Narrow networks (every channel count but E divided by 8) keep this quick; the
        # spatial path and the loop are those of the full network.
        for model, dtype, extra in (("inter", "bf16", []), ("base", "f32", ["--no-metadata"])):
            with tempfile.TemporaryDirectory() as d:
                out = os.path.join(d, "case")
                rc = ref.main(["--model", model, "--depth", "50", "--size", "100x75",
                               "--out", out, "--frames", "2", "--frame-size", "90x70",
                               "--seed", "6", "--dtype", dtype, "--ms-mirror",
                               "--width-div", "8"] + extra)
                self.assertEqual(rc, 0)
                meta, st, net = load_case_weights(out, model, 50, width_div=8)
                if extra:
                    self.assertIsNone(meta)
                else:
                    # a narrow network is not a released one: its architecture is described
                    self.assertEqual(set(meta), {"model", "adnet.arch", "embed"})
                    self.assertEqual((meta["model"], meta["embed"]), (model, "128"))
                    arch = json.loads(meta["adnet.arch"])
                    self.assertEqual(arch["stem"], [8, 8, 16])
                    self.assertEqual(arch["planes"], [8, 16, 32, 64])
                    self.assertEqual(arch["blocks"], [3, 4, 6, 3])
                    self.assertEqual((arch["aspp"], arch["embed"], arch["classifier"]),
                                     (64, 128, 128))
                self.assertTrue(all(t == dtype.upper() for t, _ in st.values()))
                frames = [cv2.imread(os.path.join(out, "frames", "%05d.jpg" % i))
                          for i in range(2)]
                self.check_expected(out, net, frames, (100, 75), (10, 13))
                sizes = [(73, 49), (97, 73), (145, 105)]
                with open(os.path.join(out, "info.json")) as f:
                    self.assertEqual(json.load(f)["msm_sizes"], [list(s) for s in sizes])
                with torch.no_grad():
                    for i, frame in enumerate(frames):
                        got = np.load(os.path.join(out, "expected_msm", "%05d.npy" % i))
                        self.assertEqual(got.shape, (1, 70, 90))
                        np.testing.assert_allclose(
                            got, released_msm(net, frames[0], frame, sizes), rtol=1e-4,
                            atol=1e-4, err_msg=model)


if __name__ == "__main__":
    torch.set_num_threads(2)
    unittest.main(verbosity=2)
