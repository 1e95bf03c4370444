#!/usr/bin/python3
"""Bad input to `adnet segment`: each case must end with exit status 1, exactly one line on
stderr that starts with "adnet: " and names the file (and tensor) at fault, and no output file
half-written (no temporary files, and only complete masks).

Usage: segment_errors.py ADNET CASE_DIR WORK_DIR
CASE_DIR is a case written by tests/reference/adnet_reference.py (weights + frames)."""

import json
import os
import shutil
import struct
import subprocess
import sys

ADNET, CASE, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
SIZE = "100x75"
failures = []


def read_safetensors_header(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        return json.loads(f.read(n)), 8 + n


def write_with_header(src, dst, header):
    """Copies src's tensor data under a new JSON header (padded to a multiple of 8)."""
    _, data_start = read_safetensors_header(src)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(src, "rb") as f_in, open(dst, "wb") as f_out:
        f_out.write(struct.pack("<Q", len(text)))
        f_out.write(text)
        f_in.seek(data_start)
        shutil.copyfileobj(f_in, f_out, 1 << 24)


def run_case(name, weights, frames, expect, out=None, extra=()):
    out = out or os.path.join(WORK, name, "out")
    shutil.rmtree(os.path.dirname(out) if out.endswith("/out") else out, ignore_errors=True)
    cmd = [ADNET, "segment", "--weights", weights, "--frames", frames, "--out", out,
           "--size", SIZE, "--quiet", *extra]
    p = subprocess.run(cmd, capture_output=True, text=True)
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    problems = []
    if p.returncode != 1:
        problems.append(f"exit status {p.returncode}, expected 1")
    if len(lines) != 1 or not lines[0].startswith("adnet: "):
        problems.append(f"stderr is not one 'adnet: ' line: {p.stderr!r}")
    for word in expect:
        if word not in p.stderr:
            problems.append(f"message lacks {word!r}")
    for root, _, files in os.walk(out):
        for f in files:
            if ".tmp" in f:
                problems.append(f"temporary file left: {os.path.join(root, f)}")
    status = "ok" if not problems else "FAILED: " + "; ".join(problems)
    print(f"{name:28s} {status}\n    {lines[0] if lines else ''}")
    if problems:
        failures.append(name)
    return out


def main():
    os.makedirs(WORK, exist_ok=True)
    weights = os.path.join(CASE, "weights.safetensors")
    frames = os.path.join(CASE, "frames")
    header, _ = read_safetensors_header(weights)

    run_case("missing weights", os.path.join(WORK, "nope.safetensors"), frames,
             ["nope.safetensors"])
    run_case("weights is a directory", WORK, frames, [WORK])
    run_case("missing frames", weights, os.path.join(WORK, "no-such-dir"), ["no-such-dir"])

    empty = os.path.join(WORK, "empty-frames")
    os.makedirs(empty, exist_ok=True)
    run_case("empty frame directory", weights, empty, ["no frames", "empty-frames"])

    bad = os.path.join(WORK, "bad.safetensors")
    size = os.path.getsize(weights)
    with open(weights, "rb") as f_in, open(bad, "wb") as f_out:
        f_out.write(f_in.read(size // 2))
    run_case("truncated weights", bad, frames, ["bad.safetensors"])

    name = "features.layer2.0.conv2.weight"
    h = json.loads(json.dumps(header))
    begin, end = h[name]["data_offsets"]
    h[name]["data_offsets"] = [begin + size, end + size]
    write_with_header(weights, bad, h)
    run_case("offsets outside the file", bad, frames, ["bad.safetensors", name])

    h = json.loads(json.dumps(header))
    h[name]["dtype"] = "I32"
    write_with_header(weights, bad, h)
    run_case("unsupported dtype", bad, frames, ["bad.safetensors", name, "I32"])

    h = json.loads(json.dumps(header))
    h[name + "_renamed"] = h.pop(name)
    write_with_header(weights, bad, h)
    run_case("missing tensor", bad, frames, ["bad.safetensors", name, "missing"])

    # a transposed 1x1 convolution: the same byte size, the wrong shape
    name = "features.layer1.0.conv1.weight"
    h = json.loads(json.dumps(header))
    shape = h[name]["shape"]
    assert shape[0] != shape[1]
    h[name]["shape"] = [shape[1], shape[0], shape[2], shape[3]]
    write_with_header(weights, bad, h)
    run_case("wrong shape", bad, frames,
             ["bad.safetensors", name, "[%d, %d, 1, 1]" % (shape[1], shape[0]),
              "[%d, %d, 1, 1]" % (shape[0], shape[1])])
    os.remove(bad)

    # a corrupt JPEG as the anchor, then in the middle of the video: the frames before it keep
    # their complete masks, nothing else is written
    names = sorted(os.listdir(frames))
    for label, index in (("corrupt anchor JPEG", 0), ("corrupt JPEG mid-video", 1)):
        broken = os.path.join(WORK, "broken-frames-%d" % index)
        shutil.rmtree(broken, ignore_errors=True)
        shutil.copytree(frames, broken)
        target = os.path.join(broken, names[index])
        data = open(target, "rb").read()
        open(target, "wb").write(data[: len(data) // 3])
        out = run_case(label, weights, broken, [names[index]])
        masks = sorted(os.listdir(os.path.join(out, "masks"))) if os.path.isdir(
            os.path.join(out, "masks")) else []
        want = [os.path.splitext(n)[0] + ".png" for n in names[:index]]
        if masks != want:
            print(f"    FAILED: masks written {masks}, expected {want}")
            failures.append(label)

    if failures:
        print(f"{len(failures)} case(s) failed: {failures}")
        return 1
    print("all bad-input cases gave one clear error")
    return 0


if __name__ == "__main__":
    sys.exit(main())
