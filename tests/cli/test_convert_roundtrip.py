#!/usr/bin/python3
"""The converter's round trip on a real network: the weights of a case written by
tests/reference/adnet_reference.py (its PyTorch restatement of the released AD-Net) are saved
the way the released checkpoints were (torch.save in the legacy, non-zip format, with the
unused dsn.* and num_batches_tracked tensors a training run leaves, with or without
DataParallel's "module." prefix), converted with weights/convert.py, and run by
`adnet segment --save-logits` on the case's frames: every frame's logits must match the
reference's, max |ours - ref| <= 1e-3 x (max(ref) - min(ref)) (the fidelity tolerance).
The same checkpoint with a tensor removed, and with a tensor of the wrong shape, is refused
with the tensor's name.

Usage: test_convert_roundtrip.py ADNET CASE_DIR WxH WORK_DIR [--module-prefix] [--name FILE]
  CASE_DIR  a case of adnet_reference.py (weights.safetensors in F32, frames/, expected/)
  --name    the checkpoint's file name (default: <model>.pth, so that the name gives the model)
"""
import argparse
import collections
import json
import os
import shutil
import struct
import subprocess
import sys

import numpy as np
import torch
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from checks import fail, finish  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CONVERT = os.path.join(HERE, "..", "..", "weights", "convert.py")




def read_safetensors_f32(path):
    """The case's weights (F32 only) as an OrderedDict of torch tensors, read here directly."""
    with open(path, "rb") as fp:
        data = fp.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n], object_pairs_hook=collections.OrderedDict)
    meta = header.pop("__metadata__", {})
    body = data[8 + n:]
    out = collections.OrderedDict()
    for name, h in header.items():
        if h["dtype"] != "F32":
            raise SystemExit("%s: %s is %s; the round trip needs an F32 case" % (
                path, name, h["dtype"]))
        b, e = h["data_offsets"]
        a = np.frombuffer(body[b:e], dtype="<f4").reshape(h["shape"]).copy()
        out[name] = torch.from_numpy(a)
    return meta, out


def read_npy(path):
    return np.load(path).astype(np.float64)


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("adnet")
    ap.add_argument("case")
    ap.add_argument("size")
    ap.add_argument("work")
    ap.add_argument("--module-prefix", action="store_true")
    ap.add_argument("--name")
    a = ap.parse_args(argv)
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    with open(os.path.join(a.case, "info.json")) as fp:
        info = json.load(fp)
    model = info["model"]
    _, weights = read_safetensors_f32(os.path.join(a.case, "weights.safetensors"))
    weights = collections.OrderedDict(
        (k[len("module."):] if k.startswith("module.") else k, v) for k, v in weights.items())

    # what a training run's state_dict also holds: the deep-supervision branch and BN counters
    sd = collections.OrderedDict(weights)
    p = "" if model == "base" else "features."
    g = torch.Generator().manual_seed(5)
    sd[p + "dsn.0.weight"] = torch.randn(512, 1024, 3, 3, generator=g)
    sd[p + "dsn.1.weight"] = torch.rand(512, generator=g)
    sd[p + "dsn.1.bias"] = torch.rand(512, generator=g)
    sd[p + "dsn.4.weight"] = torch.randn(1, 512, 1, 1, generator=g)
    sd[p + "dsn.4.bias"] = torch.randn(1, generator=g)
    sd[p + "layer1.0.bn1.num_batches_tracked"] = torch.tensor(90000)
    if a.module_prefix:
        sd = collections.OrderedDict(("module." + k, v) for k, v in sd.items())

    name = a.name or model + ".pth"
    ckpt = os.path.join(a.work, name)
    torch.save(sd, ckpt, _use_new_zipfile_serialization=False)
    converted = os.path.join(a.work, "converted.safetensors")
    rc, log = run([sys.executable, CONVERT, ckpt, converted])
    if rc != 0:
        fail("convert exited %d:\n%s" % (rc, log))
        return 1
    print(log.strip())

    out = os.path.join(a.work, "segment")
    rc, log = run([a.adnet, "segment", "--weights", converted, "--frames",
                   os.path.join(a.case, "frames"), "--out", out, "--size", a.size,
                   "--save-logits", "--quiet"])
    if rc != 0:
        fail("adnet segment exited %d:\n%s" % (rc, log))
        return 1
    frames = sorted(f[:-4] for f in os.listdir(os.path.join(a.case, "expected"))
                    if f.endswith(".npy"))
    if not frames:
        fail("the case has no expected logits")
    for f in frames:
        ref = read_npy(os.path.join(a.case, "expected", f + ".npy"))
        ours = read_npy(os.path.join(out, "logits", f + ".npy"))
        if ours.shape != ref.shape:
            fail("frame %s: logits of shape %s, reference %s" % (f, ours.shape, ref.shape))
            continue
        tol = 1e-3 * (ref.max() - ref.min())
        d = np.abs(ours - ref).max()
        print("frame %s: max |ours - ref| %.3g (tolerance %.3g), logits in [%.3f, %.3f]"
              % (f, d, tol, ref.min(), ref.max()))
        if not d <= tol:
            fail("frame %s: max |ours - ref| %.3g > %.3g" % (f, d, tol))

    # refusals on the same checkpoint, naming the tensor
    pre = "module." if a.module_prefix else ""
    victim = pre + p + "layer4.1.conv2.weight"
    broken = collections.OrderedDict(sd)
    del broken[victim]
    # (same file name, so that the model is found as before)
    os.makedirs(os.path.join(a.work, "missing"))
    os.makedirs(os.path.join(a.work, "misshapen"))
    bad = os.path.join(a.work, "missing", name)
    torch.save(broken, bad, _use_new_zipfile_serialization=False)
    refused = os.path.join(a.work, "refused.safetensors")
    rc, log = run([sys.executable, CONVERT, bad, refused])
    if rc != 1 or (p + "layer4.1.conv2.weight' is missing") not in log or \
            os.path.exists(refused):
        fail("a missing %s: exit %d, %s" % (victim, rc, log.strip().splitlines()[-1]))
    else:
        print("missing tensor refused: " + log.strip().splitlines()[-1])
    broken = collections.OrderedDict(sd)
    w = broken[pre + p + "head.1.weight"]
    broken[pre + p + "head.1.weight"] = w.reshape(w.shape[0], w.shape[1], 1, 1)[:, :511]
    bad = os.path.join(a.work, "misshapen", name)
    torch.save(broken, bad, _use_new_zipfile_serialization=False)
    rc, log = run([sys.executable, CONVERT, bad, refused])
    if rc != 1 or (p + "head.1.weight' has shape") not in log or os.path.exists(refused):
        fail("a misshapen head.1.weight: exit %d, %s" % (rc, log.strip().splitlines()[-1]))
    else:
        print("wrong shape refused: " + log.strip().splitlines()[-1])

    shutil.rmtree(a.work, ignore_errors=True)
    return finish("test_convert_roundtrip")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
