#!/usr/bin/python3
"""`adnet inspect` on generated safetensors files (written here; their data are sparse zeros,
which inspect never needs): a good ResNet-101 ad file with F32, F16 and BF16 tensors, one with
a missing tensor, one with a tensor of the wrong shape, one with extras (an unknown tensor, the
ignored dsn.* and num_batches_tracked), one with a dtype adnet cannot read, an inter/intra/
concat file without metadata, a base file checked as ad, a file that is not AD-Net at all and
a truncated one. Checks the exit status, the text and the JSON report (model, depth, E,
parameter count from the converter's independent Python table, file size, dtypes, metadata,
the tensors that do not fit).

Usage: test_inspect.py ADNET WORK_DIR
"""
import collections
import json
import math
import os
import shutil
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "weights"))
import convert  # noqa: E402  (the converter's architecture table: names, shapes)
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from checks import fail, finish  # noqa: E402

DTYPE_BYTES = {"F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4}



def write_st(path, tensors, metadata=None):
    """tensors: list of (name, dtype, shape). Data are zeros, left as a hole in the file."""
    header = collections.OrderedDict()
    if metadata is not None:
        header["__metadata__"] = metadata
    off = 0
    for name, dtype, shape in tensors:
        n = math.prod(shape) * DTYPE_BYTES[dtype]
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [off, off + n]}
        off += n
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as fp:
        fp.write(struct.pack("<Q", len(text)))
        fp.write(text)
        fp.truncate(8 + len(text) + off)
    return 8 + len(text) + off


def arch_tensors(model, depth, embed, prefix=""):
    return [(prefix + n, "F32", s) for n, s in convert.architecture(model, depth, embed).items()]


def inspect(adnet, path, *args):
    p = subprocess.run([adnet, "inspect", path] + list(args), capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def inspect_json(adnet, path, *args):
    rc, out, err = inspect(adnet, path, "--json", *args)
    try:
        return rc, json.loads(out), err
    except ValueError:
        fail("%s: inspect --json printed %r (%s)" % (path, out[:200], err))
        return rc, {}, err


def expect(label, cond, detail=""):
    if not cond:
        fail("%s %s" % (label, detail))


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: test_inspect.py ADNET WORK_DIR\n")
        return 2
    adnet, work = argv
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)

    # --- a good file: R101 ad, mixed float dtypes, metadata -------------------------------
    arch = convert.architecture("ad", 101, 128)
    params = sum(math.prod(s) for s in arch.values())
    tensors = arch_tensors("ad", 101, 128)
    for i in range(0, len(tensors), 7):
        tensors[i] = (tensors[i][0], "F16", tensors[i][2])
    for i in range(3, len(tensors), 11):
        tensors[i] = (tensors[i][0], "BF16", tensors[i][2])
    counts = collections.Counter(t[1] for t in tensors)
    good = os.path.join(work, "ad.safetensors")
    size = write_st(good, tensors, {"model": "ad", "depth": "101", "embed": "128",
                                    "source": "test"})
    rc, out, err = inspect(adnet, good)
    expect("good file: exit", rc == 0, "%d (%s)" % (rc, err))
    for needle in ("ad (from the metadata)", "ResNet-101", "blocks 3 4 23 3; the released",
                   "stem 64 64 128, planes 64 128 256 512 (x4), dilations 1 1 2 4, multi-grid 1 2 4",
                   "ASPP 512 wide, rates 12 24 36", "classifier  384 -> 128 -> 1", "E           128",
                   "{:,}".format(params), "{:,} bytes".format(size), "F32: %d" % counts["F32"],
                   "F16: %d" % counts["F16"], "BF16: %d" % counts["BF16"], "source=test",
                   "every tensor the model reads is there"):
        expect("good file: text", needle in out, "lacks %r:\n%s" % (needle, out))
    rc, j, err = inspect_json(adnet, good)
    expect("good file: json", rc == 0 and j.get("usable") is True and j.get("model") == "ad" and
           j.get("depth") == 101 and j.get("embed") == 128 and j.get("parameters") == params and
           j.get("file_bytes") == size and j.get("tensors") == len(arch) and
           j.get("dtypes") == dict(counts) and j.get("metadata", {}).get("source") == "test" and
           not j["missing"] and not j["wrong_shape"] and not j["unknown"], repr(j)[:500])
    released_r101 = {"stem": [64, 64, 128], "planes": [64, 128, 256, 512],
                     "blocks": [3, 4, 23, 3], "expansion": 4, "dilations": [1, 1, 2, 4],
                     "multi_grid": [1, 2, 4], "aspp": 512, "aspp_rates": [12, 24, 36],
                     "embed": 128, "classifier": 128}
    expect("good file: json architecture", j.get("architecture") == released_r101 and
           j.get("released_architecture") is True, repr(j.get("architecture")))
    print("good ad R101: %d parameters, %d bytes, dtypes %s" % (params, size, dict(counts)))

    # --- DataParallel names, no metadata, base decided by the shapes ----------------------
    base = os.path.join(work, "base.safetensors")
    write_st(base, arch_tensors("base", 50, 1, prefix="module."))
    rc, j, err = inspect_json(adnet, base)
    expect("base with module.: json", rc == 0 and j.get("model") == "base" and
           j.get("depth") == 50 and j.get("embed") == 1 and
           j.get("parameters") == sum(math.prod(s) for s in
                                      convert.architecture("base", 50, 1).values()) and
           j.get("model_source") == "from the shapes", repr(j)[:400])
    rc, j, err = inspect_json(adnet, base, "--model", "ad")
    expect("base checked as ad", rc == 1 and "error" in j and "does not fit" in j["error"] and
           j.get("usable") is False, repr(j)[:400])

    # --- a missing tensor ---------------------------------------------------------------
    t = [x for x in arch_tensors("ad", 101, 128) if x[0] != "features.layer3.7.bn2.running_var"]
    path = os.path.join(work, "missing.safetensors")
    write_st(path, t, {"model": "ad"})
    rc, out, err = inspect(adnet, path)
    expect("missing: exit", rc == 1, str(rc))
    expect("missing: text", "missing          features.layer3.7.bn2.running_var [256]" in out,
           out[-600:])
    expect("missing: stderr", "1 tensor does not fit the ad R101 model" in err, err)
    rc, j, err = inspect_json(adnet, path)
    expect("missing: json", j.get("usable") is False and
           j.get("missing") == [{"name": "features.layer3.7.bn2.running_var", "shape": [256]}],
           repr(j.get("missing")))

    # --- the tensor the depth is counted by, missing from a middle block: still R101, and the
    # tensor is named (counting blocks up to the first gap would call this a 7-block backbone)
    t = [x for x in arch_tensors("ad", 101, 128) if x[0] != "features.layer3.7.conv1.weight"]
    path = os.path.join(work, "missing-conv.safetensors")
    write_st(path, t, {"model": "ad"})
    rc, out, err = inspect(adnet, path)
    expect("missing conv1: exit", rc == 1, str(rc))
    expect("missing conv1: text", "ResNet-101" in out and
           "missing          features.layer3.7.conv1.weight [256, 1024, 1, 1]" in out, out[-600:])

    # --- a tensor of the wrong shape (a 3x3 kernel where ASPP's branch 1 is 1x1), and a
    # missing one ------------------------------------------------------------------------
    t = [(n, d, (512, 2048, 3, 3) if n == "features.head.0.conv1.0.weight" else s)
         for n, d, s in arch_tensors("inter", 50, 128) if n != "cls.1.bias"]
    path = os.path.join(work, "shape.safetensors")
    write_st(path, t, {"model": "inter"})
    rc, out, err = inspect(adnet, path)
    expect("wrong shape: exit", rc == 1, str(rc))
    expect("wrong shape: text",
           "wrong shape      features.head.0.conv1.0.weight [512, 2048, 3, 3] in the file, "
           "[512, 2048, 1, 1] expected" in out and "missing          cls.1.bias [128]" in out,
           out[-600:])
    expect("wrong shape: stderr", "2 tensors do not fit the inter R50 model" in err, err)
    rc, j, err = inspect_json(adnet, path)
    expect("wrong shape: json", j.get("wrong_shape") == [
        {"name": "features.head.0.conv1.0.weight", "shape": [512, 2048, 3, 3],
         "expected": [512, 2048, 1, 1], "dtype": "F32"}] and
        [m["name"] for m in j.get("missing", [])] == ["cls.1.bias"], repr(j)[:600])

    # --- extras: unknown, dsn.*, num_batches_tracked -------------------------------------
    t = arch_tensors("concat", 50, 128, prefix="module.")
    t += [("module.features.dsn.0.weight", "F32", (512, 1024, 3, 3)),
          ("module.features.dsn.3.bias", "F32", (1,)),
          ("module.features.bn1.num_batches_tracked", "I64", ()),
          ("module.features.aux.weight", "F32", (3, 4))]
    path = os.path.join(work, "extras.safetensors")
    write_st(path, t, {"model": "concat", "depth": "50", "embed": "128"})
    rc, out, err = inspect(adnet, path)
    expect("extras: exit 0", rc == 0, "%d %s" % (rc, err))
    expect("extras: text", "unknown          module.features.aux.weight [3, 4] F32" in out and
           "3 never read" in out, out)
    rc, j, err = inspect_json(adnet, path)
    expect("extras: json", j.get("unknown") == [
        {"name": "module.features.aux.weight", "shape": [3, 4], "dtype": "F32"}] and
        j.get("ignored_tensors") == 3 and j.get("usable") is True and
        j.get("dtypes") == {"F32": len(t) - 1, "I64": 1}, repr(j)[:600])

    # --- a dtype adnet cannot read ------------------------------------------------------
    t = [(n, "I32" if n == "cls.3.weight" else d, s) for n, d, s in arch_tensors("intra", 50, 128)]
    path = os.path.join(work, "dtype.safetensors")
    write_st(path, t, {"model": "intra"})
    rc, j, err = inspect_json(adnet, path)
    expect("dtype: json", rc == 1 and j.get("unreadable_dtype") == [
        {"name": "cls.3.weight", "shape": [1, 128, 1, 1], "dtype": "I32"}], repr(j)[:600])

    # --- inter, intra or concat: undecided without metadata -----------------------------
    path = os.path.join(work, "undecided.safetensors")
    write_st(path, arch_tensors("intra", 101, 128))
    rc, out, err = inspect(adnet, path)
    expect("undecided: text", rc == 0 and "inter, intra or concat" in out and "--model" in out,
           "%d %s" % (rc, out))
    rc, j, err = inspect_json(adnet, path, "--model", "intra")
    expect("undecided, --model intra", rc == 0 and j.get("model") == "intra" and
           j.get("model_source") == "requested with --model", repr(j)[:300])

    # --- not AD-Net, truncated, absent -----------------------------------------------------
    path = os.path.join(work, "other.safetensors")
    write_st(path, [("encoder.weight", "F32", (8, 8))])
    rc, out, err = inspect(adnet, path)
    expect("not AD-Net", rc == 1 and "layer3.0.conv1.weight" in err and "tensors     1" in out,
           "%d %r %r" % (rc, out, err))
    with open(good, "rb") as fp:
        head = fp.read(4096)
    path = os.path.join(work, "truncated.safetensors")
    with open(path, "wb") as fp:
        fp.write(head)
    rc, out, err = inspect(adnet, path)
    expect("truncated", rc == 1 and path in err, "%d %r" % (rc, err))
    print("truncated: " + err.strip())
    rc, out, err = inspect(adnet, os.path.join(work, "absent.safetensors"))
    expect("absent", rc == 1 and "absent.safetensors" in err, "%d %r" % (rc, err))
    rc, out, err = inspect(adnet, good, "--model", "big")
    expect("bad --model", rc == 2, str(rc))
    p = subprocess.run([adnet, "inspect"], capture_output=True, text=True)
    expect("no file", p.returncode == 2, str(p.returncode))

    shutil.rmtree(work, ignore_errors=True)
    return finish("test_inspect")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
