#!/usr/bin/python3
"""weights/convert.py on generated checkpoints, saved the way the released ones were (torch.save
in the legacy, non-zip format, as PyTorch 0.4.1 wrote them):

- converts a plain base state_dict, a DataParallel ("module.") ad state_dict wrapped in
  {"state_dict": ..., "epoch": ...}, and an inter one named inter.pth with dsn.* and
  num_batches_tracked extras; the output is read back with an independent parser here (8-byte
  aligned JSON header, offsets, little-endian float32): every value equals the checkpoint's,
  names lose "module.", extras are left out, metadata says model, depth and embed;
  `adnet inspect` accepts it (its C architecture table agrees with the converter's Python
  one, tensor by tensor) and counts the same parameters;
- refuses, naming the tensor, a checkpoint with a missing tensor, one of the wrong shape, an
  unknown tensor (unless --ignore-unknown); refuses an undecidable model, a --model that does
  not fit, mixed "module." naming, a pickled model object, and a pickle that would run code
  (which must not run); a refusal leaves no file and keeps an existing output as it was.

The tensors are views of one random storage (the legacy format stores it once), so the
checkpoints stay small; the outputs (about 220 MB for ResNet-50) are deleted as the test goes.

Usage: test_convert.py ADNET WORK_DIR
"""
import collections
import contextlib
import io
import json
import math
import os
import pickle
import shutil
import struct
import subprocess
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
CONVERT = os.path.join(HERE, "..", "..", "weights", "convert.py")
sys.path.insert(0, os.path.dirname(CONVERT))
import convert  # noqa: E402  (its architecture table builds the inputs; adnet inspect checks it)
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from checks import fail, finish  # noqa: E402




def make_state_dict(model, depth, embed, seed, prefix="", extras=False):
    arch = convert.architecture(model, depth, embed)
    n = max(math.prod(s) for s in arch.values()) + 8 * len(arch)
    g = torch.Generator().manual_seed(seed)
    storage = torch.randn(n, generator=g)
    sd = collections.OrderedDict()
    for i, (name, shape) in enumerate(arch.items()):
        off = (i * 7919 + seed) % (n - math.prod(shape))
        sd[prefix + name] = storage[off:off + math.prod(shape)].view(shape)
    if extras:
        p = prefix + ("" if model == "base" else "features.")
        sd[p + "dsn.0.weight"] = storage[:512 * 1024 * 9].view(512, 1024, 3, 3)
        sd[p + "dsn.1.weight"] = storage[:512]
        sd[p + "dsn.3.weight"] = storage[:512].view(1, 512, 1, 1)
        sd[p + "bn1.num_batches_tracked"] = torch.tensor(1234, dtype=torch.int64)
        sd[p + "layer1.0.bn2.num_batches_tracked"] = torch.tensor(1234, dtype=torch.int64)
    return sd


def save_legacy(obj, path):
    torch.save(obj, path, _use_new_zipfile_serialization=False)


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def run_convert(args):
    """The converter as a program (a fresh interpreter: what a user runs)."""
    return run([sys.executable, CONVERT] + args)


def call_convert(args):
    """The converter's main() in this process (the same code without importing torch again):
    returns (exit code, "", what it wrote to stderr)."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        try:
            rc = convert.main(args)
        except SystemExit as e:  # argparse
            rc = e.code
    return rc, "", err.getvalue()


def read_safetensors(path):
    """An independent reader: returns (metadata, OrderedDict name -> array, header length)."""
    with open(path, "rb") as fp:
        data = fp.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode("utf-8"), object_pairs_hook=collections.OrderedDict)
    meta = header.pop("__metadata__", {})
    body = data[8 + n:]
    tensors = collections.OrderedDict()
    end = 0
    for name, h in header.items():
        assert h["dtype"] == "F32", (name, h["dtype"])
        b, e = h["data_offsets"]
        assert b == end, (name, "data not contiguous")
        count = math.prod(h["shape"])
        assert e - b == 4 * count, (name, "size")
        tensors[name] = np.frombuffer(body[b:e], dtype="<f4").reshape(h["shape"])
        end = e
    assert end == len(body), "trailing bytes"
    return meta, tensors, n


def check_converted(label, adnet, sd, out, model, depth, embed):
    meta, tensors, header_len = read_safetensors(out)
    if (8 + header_len) % 8:
        fail("%s: the data starts at %d, not 8-byte aligned" % (label, 8 + header_len))
    want_meta = {"model": model, "depth": str(depth), "embed": str(embed)}
    for k, v in want_meta.items():
        if meta.get(k) != v:
            fail("%s: metadata %s = %r, expected %r" % (label, k, meta.get(k), v))
    src = {k[len("module."):] if k.startswith("module.") else k: v for k, v in sd.items()}
    kept = [k for k in src if "dsn." not in k and not k.endswith("num_batches_tracked")]
    if sorted(tensors) != sorted(kept):
        fail("%s: output names differ: extra %s, lacking %s" % (
            label, sorted(set(tensors) - set(kept))[:5], sorted(set(kept) - set(tensors))[:5]))
    worst = 0
    for name, a in tensors.items():
        if name in src:
            want = src[name].numpy()
            if a.shape != want.shape or not np.array_equal(a, want):
                worst += 1
    if worst:
        fail("%s: %d tensors differ from the checkpoint" % (label, worst))
    rc, stdout, stderr = run([adnet, "inspect", "--json", out])
    if rc != 0:
        fail("%s: adnet inspect exited %d: %s" % (label, rc, stderr))
        return
    info = json.loads(stdout)
    params = sum(int(np.prod(a.shape)) for a in tensors.values())
    for key, want in (("model", model), ("depth", depth), ("embed", embed), ("usable", True),
                      ("parameters", params), ("tensors", len(kept)),
                      ("file_bytes", os.path.getsize(out))):
        if info.get(key) != want:
            fail("%s: inspect %s = %r, expected %r" % (label, key, info.get(key), want))
    for key in ("missing", "wrong_shape", "unreadable_dtype", "unknown"):
        if info.get(key):
            fail("%s: inspect lists %s: %s" % (label, key, info[key][:3]))
    print("%-40s ok: %d tensors, %d parameters, %d bytes" % (label, len(tensors), params,
                                                               os.path.getsize(out)))


def expect_refusal(label, ckpt, out, needles, extra_args=(), keep=None, program=False):
    """The converter must exit 1 naming what is wrong, write nothing (keep: the content an
    existing output must still have) and leave no temporary file."""
    folder = os.path.dirname(out)
    before = sorted(os.listdir(folder))
    rc, _, err = (run_convert if program else call_convert)([ckpt, out] + list(extra_args))
    if rc != 1:
        fail("%s: exit %d, expected 1 (%s)" % (label, rc, err.strip()[-300:]))
    last = err.strip().splitlines()[-1] if err.strip() else ""
    for n in needles:
        if n not in last:
            fail("%s: message %r lacks %r" % (label, last, n))
    if sorted(os.listdir(folder)) != before:
        fail("%s: files changed in the output folder: %s" % (
            label, sorted(set(os.listdir(folder)) ^ set(before))))
    if keep is not None:
        with open(out, "rb") as fp:
            if fp.read() != keep:
                fail("%s: the existing output was changed" % label)
    print("%-40s refused: %s" % (label, last[:150]))


class RunsCode:
    """A pickle that would run a command when unpickled without restriction."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, ("touch '%s'" % self.marker,))


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: test_convert.py ADNET WORK_DIR\n")
        return 2
    adnet, work = argv
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    outs = os.path.join(work, "out")
    os.makedirs(outs)
    out = os.path.join(outs, "w.safetensors")

    # --- conversions ----------------------------------------------------------------------
    sd = make_state_dict("base", 50, 1, seed=1)
    ckpt = os.path.join(work, "base.pth")
    save_legacy(sd, ckpt)
    rc, _, err = run_convert([ckpt, out])
    if rc != 0:
        fail("base: exit %d: %s" % (rc, err))
    else:
        for needle in ("legacy, non-zip", "weights_only=True", "never reads pickles",
                       "model base (from the file name)"):
            if needle not in err:
                fail("base: the log lacks %r: %s" % (needle, err))
        check_converted("base R50, plain state_dict", adnet, sd, out, "base", 50, 1)
    os.remove(out)

    sd = make_state_dict("ad", 50, 128, seed=2, prefix="module.", extras=True)
    ckpt = os.path.join(work, "checkpoint.pth")
    save_legacy({"state_dict": sd, "epoch": 17}, ckpt)
    rc, _, err = run_convert([ckpt, out])
    if rc != 0:
        fail("ad: exit %d: %s" % (rc, err))
    else:
        for needle in ("under the key 'state_dict'", "epoch", "'module.' prefix",
                       "model ad (from the shapes", "leaving out 5 tensors"):
            if needle not in err:
                fail("ad: the log lacks %r: %s" % (needle, err))
        check_converted("ad R50, module., wrapped, extras", adnet, sd, out, "ad", 50, 128)
    os.remove(out)

    sd = make_state_dict("inter", 50, 128, seed=3, extras=True)
    ckpt = os.path.join(work, "inter.pth")
    save_legacy(sd, ckpt)
    rc, _, err = call_convert([ckpt, out])
    if rc != 0:
        fail("inter: exit %d: %s" % (rc, err))
    else:
        check_converted("inter R50, named by the file", adnet, sd, out, "inter", 50, 128)
    # the same tensors as concat, by --model (overrides the file name)
    rc, _, err = call_convert([ckpt, out, "--model", "concat"])
    meta = read_safetensors(out)[0] if rc == 0 else {}
    if rc != 0 or meta.get("model") != "concat":
        fail("--model concat: exit %d, metadata %r: %s" % (rc, meta, err))
    with open(out, "rb") as fp:
        existing = fp.read()

    # --- refusals (each must leave the existing output alone) -----------------------------
    sd = make_state_dict("inter", 50, 128, seed=4)
    sd_missing = collections.OrderedDict(sd)
    del sd_missing["features.layer2.1.conv2.weight"]
    ckpt = os.path.join(work, "missing.pth")
    save_legacy(sd_missing, ckpt)
    expect_refusal("a missing tensor", ckpt, out,
                   ["features.layer2.1.conv2.weight", "missing"], ["--model", "inter"], existing,
                   program=True)

    sd_shape = collections.OrderedDict(sd)
    sd_shape["features.head.0.conv3.0.weight"] = sd["features.head.0.conv3.0.weight"].transpose(0, 1)
    ckpt = os.path.join(work, "shape.pth")
    save_legacy(sd_shape, ckpt)
    expect_refusal("a tensor of the wrong shape", ckpt, out,
                   ["features.head.0.conv3.0.weight", "[2048, 512, 3, 3]", "[512, 2048, 3, 3]"],
                   ["--model", "intra"], existing)

    sd_unknown = collections.OrderedDict(sd)
    sd_unknown["features.extra_head.weight"] = torch.zeros(3)
    ckpt = os.path.join(work, "unknown.pth")
    save_legacy(sd_unknown, ckpt)
    expect_refusal("an unknown tensor", ckpt, out,
                   ["features.extra_head.weight", "--ignore-unknown"], ["--model", "inter"],
                   existing)

    ckpt = os.path.join(work, "checkpoint_2e.pth")
    save_legacy(sd, ckpt)
    expect_refusal("inter/intra/concat undecided", ckpt, out, ["--model"], (), existing)
    expect_refusal("--model ad on a 2E classifier", ckpt, out, ["'ad'", "256"],
                   ["--model", "ad"], existing)

    mixed = collections.OrderedDict(sd)
    mixed["module.cls.3.bias"] = mixed.pop("cls.3.bias")
    ckpt = os.path.join(work, "mixed.pth")
    save_legacy(mixed, ckpt)
    expect_refusal("mixed module. naming", ckpt, out, ["module.", "mixed"], ["--model", "inter"],
                   existing)

    ckpt = os.path.join(work, "zip_missing.pth")
    torch.save(sd_missing, ckpt)  # the zip format, read too
    expect_refusal("zip format, a missing tensor", ckpt, out,
                   ["features.layer2.1.conv2.weight"], ["--model", "inter"], existing)

    ckpt = os.path.join(work, "module_object.pth")
    save_legacy(torch.nn.Sequential(torch.nn.Conv2d(3, 4, 1)), ckpt)
    expect_refusal("a pickled model object", ckpt, out, ["weights_only", "state_dict"], (),
                   existing)

    marker = os.path.join(work, "code-ran")
    ckpt = os.path.join(work, "runs_code.pth")
    with open(ckpt, "wb") as fp:
        pickle.dump({"state_dict": RunsCode(marker)}, fp, protocol=2)
    save_legacy({"a": RunsCode(marker)}, os.path.join(work, "runs_code_torch.pth"))
    expect_refusal("a pickle that runs code", ckpt, out, ["weights_only"], (), existing)
    expect_refusal("a torch file that runs code", os.path.join(work, "runs_code_torch.pth"), out,
                   ["weights_only"], (), existing, program=True)
    if os.path.exists(marker):
        fail("unpickling ran the file's code")

    expect_refusal("no such file", os.path.join(work, "absent.pth"), out, ["absent.pth"], (),
                   existing)
    with open(os.path.join(work, "garbage.pth"), "wb") as fp:
        fp.write(b"not a checkpoint at all")
    expect_refusal("not a checkpoint", os.path.join(work, "garbage.pth"), out, ["garbage.pth"],
                   (), existing)

    # --ignore-unknown converts and leaves the unknown tensor out (checked last: it replaces
    # the existing output)
    rc, _, err = call_convert([os.path.join(work, "unknown.pth"), out, "--model", "inter",
                               "--ignore-unknown"])
    if rc != 0:
        fail("--ignore-unknown: exit %d: %s" % (rc, err))
    else:
        check_converted("inter R50, --ignore-unknown", adnet, sd, out, "inter", 50, 128)
    os.remove(out)

    rc, _, err = run_convert([os.path.join(work, "inter.pth")])
    if rc != 2:
        fail("no output argument: exit %d, expected 2" % rc)

    shutil.rmtree(work, ignore_errors=True)
    return finish("test_convert")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
