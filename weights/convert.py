#!/usr/bin/python3
"""Converts a released AD-Net checkpoint (.pth) into the safetensors file adnet reads.

Usage: convert.py IN.pth OUT.safetensors [--model ad|inter|intra|concat|base]
                  [--ignore-unknown]

Runs on Debian's /usr/bin/python3 with python3-torch (and nothing else: this script is
standalone). Works on the five released files (base.pth, concat.pth, intra.pth, inter.pth,
ad.pth: PyTorch 0.4.1 pickles in the legacy, non-zip format) and on any checkpoint of the
same architecture: a plain state_dict, with or without DataParallel's "module." prefix, or
one wrapped in a dict ({"state_dict": ...}, {"model": ...}, ...).

A .pth file is a Python pickle, and unpickling can run code that the file names. This script
reads it with torch.load(..., weights_only=True), which rebuilds only tensors and plain
containers (dicts, lists, numbers, strings) and refuses anything else (a pickled model class,
a function), so a malicious file fails instead of running. Convert files you trust all the
same. adnet itself never reads pickles: only the safetensors file written here (a JSON header
and raw little-endian floats).

Every tensor name and shape is checked against the architecture (the table below, the same
names and shapes as host/model/arch.c). The deep-supervision branch (dsn.*) and BatchNorm's
num_batches_tracked are never used at inference and are left out. A missing tensor or a
tensor of the wrong shape refuses the file, naming the tensor; so do names that are not part
of the architecture, unless --ignore-unknown leaves them out. The output holds every tensor as
float32 under its name without "module.", with metadata model, depth and embed (E), and is
written atomically (a temporary file renamed into place).

The model comes from --model, else from the file name (ad.pth, inter.pth, ...), else from the
shapes where they decide it (no classifier: base; a 3E-channel classifier: ad). inter, intra
and concat have identical tensors: without --model or a telling file name they are refused.

Exit status: 0 written, 1 refused or failed (the message says why), 2 bad command line.
"""
import argparse
import collections
import inspect
import json
import os
import re
import struct
import sys
import tempfile
import zipfile

MODELS = ("ad", "inter", "intra", "concat", "base")
STAGE_BLOCKS = {50: (3, 4, 6, 3), 101: (3, 4, 23, 3)}
PLANES = (64, 128, 256, 512)
BN_PARTS = ("weight", "bias", "running_mean", "running_var")
WRAPPER_KEYS = ("state_dict", "model_state_dict", "model", "net", "network", "params")


class Refused(Exception):
    """The checkpoint cannot be converted; the message says why."""


# ---- the architecture ----------------------------------------------------------------------

def architecture(model, depth, embed):
    """Every tensor the model reads, in forward order: an OrderedDict name -> shape."""
    t = collections.OrderedDict()
    p = "" if model == "base" else "features."

    def conv_bn(conv, bn, cin, cout, k):
        t[p + conv + ".weight"] = (cout, cin, k, k)
        for part in BN_PARTS:
            t[p + bn + "." + part] = (cout,)

    conv_bn("conv1", "bn1", 3, 64, 3)
    conv_bn("conv2", "bn2", 64, 64, 3)
    conv_bn("conv3", "bn3", 64, 128, 3)
    cin = 128
    for s, (blocks, planes) in enumerate(zip(STAGE_BLOCKS[depth], PLANES)):
        for b in range(blocks):
            base = "layer%d.%d" % (s + 1, b)
            conv_bn(base + ".conv1", base + ".bn1", cin, planes, 1)
            conv_bn(base + ".conv2", base + ".bn2", planes, planes, 3)
            conv_bn(base + ".conv3", base + ".bn3", planes, 4 * planes, 1)
            if b == 0:
                conv_bn(base + ".downsample.0", base + ".downsample.1", cin, 4 * planes, 1)
            cin = 4 * planes
    conv_bn("head.0.conv1.0", "head.0.conv1.1", 2048, 512, 1)
    for r in (2, 3, 4):
        conv_bn("head.0.conv%d.0" % r, "head.0.conv%d.1" % r, 2048, 512, 3)
    conv_bn("head.0.image_pooling.1", "head.0.image_pooling.2", 2048, 512, 1)
    conv_bn("head.0.conv_bn_dropout.0", "head.0.conv_bn_dropout.1", 2560, 512, 1)
    t[p + "head.1.weight"] = (embed, 512, 1, 1)
    t[p + "head.1.bias"] = (embed,)
    if model != "base":
        cls_in = (3 if model == "ad" else 2) * embed
        t["cls.0.weight"] = (128, cls_in, 1, 1)
        t["cls.0.bias"] = (128,)
        for part in BN_PARTS:
            t["cls.1." + part] = (128,)
        t["cls.3.weight"] = (1, 128, 1, 1)
        t["cls.3.bias"] = (1,)
    return t


def is_ignored(name):
    """Tensors inference never reads: the deep-supervision branch and BN's step counter."""
    return (name.startswith("dsn.") or name.startswith("features.dsn.")
            or name == "num_batches_tracked" or name.endswith(".num_batches_tracked"))


# ---- reading the checkpoint ----------------------------------------------------------------

def load_checkpoint(path, log):
    """torch.load with the safest options torch offers; returns the loaded object."""
    import torch
    if "weights_only" not in inspect.signature(torch.load).parameters:
        raise Refused("this torch (%s) has no torch.load(weights_only=True), so loading %s "
                      "would unpickle it without restriction (a pickle can run code); use a "
                      "torch of version 1.13 or later (Debian 12's python3-torch is 1.13)"
                      % (torch.__version__, path))
    kind = "zip (PyTorch >= 1.6)" if zipfile.is_zipfile(path) else "legacy, non-zip (PyTorch < 1.6)"
    log("reading %s: %s format, torch.load(weights_only=True, map_location='cpu')" % (path, kind))
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise Refused("no such file")
    except Exception as e:  # the unpickler's refusals and corrupt files alike
        text = str(e)
        # torch's message suggests weights_only=False; keep only its reason
        reason = text.split("WeightsUnpickler error:")[-1].strip().splitlines()
        raise Refused("torch.load(weights_only=True) refused or failed: %s%s. A file that "
                      "pickles whole objects (a model class, an optimizer) cannot be read "
                      "safely; re-save its state_dict with torch.save(model.state_dict(), ...)"
                      % (type(e).__name__, ": " + reason[0] if reason else ""))


def find_state_dict(obj, log):
    """The state_dict inside what torch.load returned: the dict of tensors itself, or one
    wrapped under a usual key."""
    import torch

    def is_state_dict(d):
        return isinstance(d, dict) and d and all(
            isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in d.items())

    if is_state_dict(obj):
        log("found a state_dict of %d tensors" % len(obj))
        return obj
    if isinstance(obj, dict):
        for key in WRAPPER_KEYS:
            if key in obj and is_state_dict(obj[key]):
                others = sorted(str(k) for k in obj if k != key)
                log("found a state_dict of %d tensors under the key '%s'%s" % (
                    len(obj[key]), key,
                    " (also in the file, not converted: %s)" % ", ".join(others) if others else ""))
                return obj[key]
        # a state_dict with a few non-tensor entries (e.g. saved metadata): keep the tensors
        tensors = {k: v for k, v in obj.items() if isinstance(v, torch.Tensor)}
        if tensors and len(tensors) >= len(obj) - 2 and all(isinstance(k, str) for k in obj):
            skipped = sorted(str(k) for k in obj if k not in tensors)
            log("found a state_dict of %d tensors (skipping non-tensor entries: %s)"
                % (len(tensors), ", ".join(skipped)))
            return tensors
        raise Refused("found a dict with keys %s but no state_dict in it (looked for a dict of "
                      "tensors, or one under %s)" % (", ".join(sorted(map(str, obj)))[:300],
                                                     ", ".join(WRAPPER_KEYS)))
    raise Refused("found a %s, not a state_dict (a dict of tensor names to tensors)"
                  % type(obj).__name__)


def strip_module(sd, log):
    """Drops DataParallel's "module." prefix (all names have it, or none)."""
    names = list(sd)
    prefixed = [n for n in names if n.startswith("module.")]
    if not prefixed:
        return collections.OrderedDict(sd.items())
    if len(prefixed) != len(names):
        plain = [n for n in names if not n.startswith("module.")]
        raise Refused("%d tensor names start with 'module.' and %d do not (e.g. '%s'): mixed "
                      "naming" % (len(prefixed), len(plain), plain[0]))
    log("stripped DataParallel's 'module.' prefix from all %d names" % len(names))
    out = collections.OrderedDict()
    for n in names:
        out[n[len("module."):]] = sd[n]
    return out


# ---- deciding the configuration -------------------------------------------------------------

def model_from_file_name(path):
    stem = os.path.basename(path)
    stem = re.sub(r"\.(pth|pt|tar|ckpt)$", "", stem, flags=re.IGNORECASE).lower()
    return stem if stem in MODELS else None


def configuration(sd, path, forced, log):
    """(model, depth, embed) from the names and shapes, --model and the file name."""
    if "features.layer3.0.conv1.weight" in sd:
        p = "features."
    elif "layer3.0.conv1.weight" in sd:
        p = ""
    else:
        raise Refused("tensor 'features.layer3.0.conv1.weight' (or 'layer3.0.conv1.weight' for "
                      "base) is missing: not an AD-Net checkpoint")
    blocks = set()
    for n in sd:
        m = re.match(re.escape(p) + r"layer3\.(\d+)\.", n)
        if m:
            blocks.add(int(m.group(1)))
    n_blocks = max(blocks) + 1
    depth = {6: 50, 23: 101}.get(n_blocks)
    if depth is None:
        raise Refused("the backbone has %d layer3 blocks (%slayer3.0 to %slayer3.%d); ResNet-50 "
                      "has 6, ResNet-101 23" % (n_blocks, p, p, n_blocks - 1))
    head = sd.get(p + "head.1.weight")
    if head is None:
        raise Refused("tensor '%shead.1.weight' is missing (its shape gives E)" % p)
    if head.dim() != 4:
        raise Refused("tensor '%shead.1.weight' has shape %s, expected [E, 512, 1, 1]"
                      % (p, list(head.shape)))
    embed = int(head.shape[0])
    cls = sd.get("cls.0.weight")
    cls_in = int(cls.shape[1]) if cls is not None and cls.dim() == 4 else None
    if p and cls is None:
        raise Refused("tensor 'cls.0.weight' is missing: the backbone is named 'features.*' "
                      "as in ad, inter, intra and concat, which all have a classifier")
    if not p and cls is not None:
        raise Refused("the file has a classifier (cls.*) but its backbone lacks the "
                      "'features.' prefix of the models that have one")

    if forced:
        model, source = forced, "--model"
    elif model_from_file_name(path):
        model, source = model_from_file_name(path), "the file name"
    elif cls is None:
        model, source = "base", "the shapes: no classifier"
    elif cls_in == 3 * embed:
        model, source = "ad", "the shapes: a 3E-channel classifier"
    else:
        raise Refused("cannot tell the model: inter, intra and concat have identical tensors "
                      "(cls.0.weight takes %s channels) and the file name says nothing; name "
                      "it with --model inter, intra or concat" % cls_in)
    fits = {"base": cls is None, "ad": cls_in == 3 * embed}.get(
        model, cls is not None and cls_in == 2 * embed)
    if not fits:
        have = "no classifier" if cls is None else "a classifier taking %s channels" % cls_in
        raise Refused("model '%s' (from %s) does not fit the file: it has %s, E = %d" % (
            model, source, have, embed))
    if model == "base" and embed != 1:
        raise Refused("base outputs 1 channel, but '%shead.1.weight' has %d" % (p, embed))
    log("model %s (from %s), ResNet-%d (%d layer3 blocks), E = %d" % (
        model, source, depth, n_blocks, embed))
    return model, depth, embed


def check(sd, arch, ignore_unknown, log):
    """Compares names and shapes with the architecture; raises Refused listing every
    problem."""
    missing = [n for n in arch if n not in sd]
    wrong = [(n, list(sd[n].shape), list(arch[n])) for n in arch
             if n in sd and tuple(sd[n].shape) != arch[n]]
    ignored = [n for n in sd if is_ignored(n)]
    unknown = [n for n in sd if n not in arch and not is_ignored(n)]
    not_float = [(n, str(sd[n].dtype)) for n in arch
                 if n in sd and not sd[n].dtype.is_floating_point]
    if ignored:
        log("leaving out %d tensors never used at inference (dsn.*, num_batches_tracked)"
            % len(ignored))
    lines = []
    for n in missing:
        lines.append("missing      %s %s" % (n, list(arch[n])))
    for n, have, want in wrong:
        lines.append("wrong shape  %s %s, expected %s" % (n, have, want))
    for n, dt in not_float:
        lines.append("not float    %s (%s)" % (n, dt))
    if unknown:
        for n in unknown:
            lines.append("unknown      %s %s" % (n, list(sd[n].shape)))
    for line in lines:
        log(line)
    blocking = len(missing) + len(wrong) + len(not_float) + (0 if ignore_unknown else len(unknown))
    if blocking:
        first = (missing and "tensor '%s' is missing" % missing[0]) or \
            (wrong and "tensor '%s' has shape %s, expected %s" % wrong[0]) or \
            (not_float and "tensor '%s' is %s, not floating point" % not_float[0]) or \
            "tensor '%s' is not part of the architecture (--ignore-unknown leaves such tensors " \
            "out)" % unknown[0]
        raise Refused("%s (%d missing, %d of the wrong shape, %d not float, %d unknown)" % (
            first, len(missing), len(wrong), len(not_float), len(unknown)))
    if unknown:
        log("leaving out %d unknown tensors (--ignore-unknown)" % len(unknown))


# ---- writing safetensors -------------------------------------------------------------------

def safetensors_write(path, tensors, metadata):
    """Writes name -> float32 tensor as safetensors: an 8-byte little-endian header length,
    the JSON header (padded with spaces to a multiple of 8 bytes, so that the data starts
    aligned), then each tensor's raw little-endian float32 data in order. Atomic: written to a
    temporary file in the same folder, then renamed."""
    import numpy as np
    header = collections.OrderedDict()
    header["__metadata__"] = metadata
    arrays = []
    offset = 0
    for name, t in tensors.items():
        a = np.ascontiguousarray(t.detach().cpu().float().numpy(), dtype="<f4")
        header[name] = {"dtype": "F32", "shape": list(a.shape),
                        "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
        arrays.append(a)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp",
                               dir=folder)
    try:
        with os.fdopen(fd, "wb") as fp:
            fp.write(struct.pack("<Q", len(text)))
            fp.write(text)
            for a in arrays:
                fp.write(a.tobytes())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return 8 + len(text) + offset


# ---- main ----------------------------------------------------------------------------------

def convert(in_path, out_path, model=None, ignore_unknown=False, log=print):
    log("note: a .pth file is a pickle, and unpickling can run code the file names; this "
        "converter only lets torch rebuild tensors and plain containers (weights_only=True). "
        "adnet itself never reads pickles.")
    sd = find_state_dict(load_checkpoint(in_path, log), log)
    sd = strip_module(sd, log)
    model, depth, embed = configuration(sd, in_path, model, log)
    arch = architecture(model, depth, embed)
    check(sd, arch, ignore_unknown, log)
    tensors = collections.OrderedDict((n, sd[n]) for n in arch)
    metadata = collections.OrderedDict([
        ("model", model), ("depth", str(depth)), ("embed", str(embed)),
        ("source", os.path.basename(in_path)), ("converter", "adnet weights/convert.py")])
    size = safetensors_write(out_path, tensors, metadata)
    params = sum(int(t.numel()) for t in tensors.values())
    log("wrote %s: %d tensors, %d parameters, %d bytes (model %s, depth %d, E %d)" % (
        out_path, len(tensors), params, size, model, depth, embed))
    return model, depth, embed


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Convert a released AD-Net checkpoint (.pth) to safetensors for adnet. "
                    "Reads the pickle with torch.load(weights_only=True): only tensors and plain "
                    "containers are rebuilt. adnet itself never reads pickles.")
    ap.add_argument("input", metavar="IN.pth")
    ap.add_argument("output", metavar="OUT.safetensors")
    ap.add_argument("--model", choices=MODELS,
                    help="the model (default: from the file name, else from the shapes)")
    ap.add_argument("--ignore-unknown", action="store_true",
                    help="leave out tensors that are not part of the architecture instead of "
                         "refusing the file")
    a = ap.parse_args(argv)

    def log(msg):
        sys.stderr.write("convert: %s\n" % msg)

    try:
        convert(a.input, a.output, a.model, a.ignore_unknown, log)
    except Refused as e:
        sys.stderr.write("convert: %s: refused: %s\n" % (a.input, e))
        return 1
    except OSError as e:
        sys.stderr.write("convert: %s\n" % e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
