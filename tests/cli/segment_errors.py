#!/usr/bin/python3
"""Bad input to `adnet segment`: each case must end with exit status 1, exactly one line on
stderr that starts with "adnet: " and names the file (and tensor) at fault, and no output file
half-written (no temporary files, and only complete masks).

Usage: segment_errors.py ADNET CASE_DIR WORK_DIR
CASE_DIR is a case written by tests/reference/adnet_reference.py (weights + frames)."""

import json
import os
import shutil
import signal
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


def run_case(name, weights, frames, expect, out=None, extra=(), env=None, clean=True):
    """frames None: the source is in extra (--davis ...)."""
    out = out or os.path.join(WORK, name, "out")
    if clean:
        shutil.rmtree(os.path.dirname(out) if out.endswith("/out") else out, ignore_errors=True)
    source = ["--frames", frames] if frames else []
    cmd = [ADNET, "segment", "--weights", weights, *source, "--out", out,
           "--size", SIZE, "--quiet", *extra]
    p = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, **(env or {})))
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

    run_case("unknown ADNET_GEMM", weights, frames, ["ADNET_GEMM", "'blas9'", "clblast"],
             env={"ADNET_GEMM": "blas9"})

    pipeline_cases(weights, frames, names)

    if failures:
        print(f"{len(failures)} case(s) failed: {failures}")
        return 1
    print("all bad-input cases gave one clear error")
    return 0


def fail(label, why):
    print(f"    FAILED: {why}")
    failures.append(label)


def complete_files(out):
    """Every file under out reads back whole (PNG, JPEG with OpenCV, .npy with NumPy, JSON);
    returns {kind: sorted frame stems}."""
    import cv2
    import numpy as np
    found = {}
    for root, _, files in os.walk(out):
        for f in files:
            path = os.path.join(root, f)
            stem, ext = os.path.splitext(f)
            if ext in (".png", ".jpg"):
                ok = cv2.imread(path, cv2.IMREAD_UNCHANGED) is not None
            elif ext == ".npy":
                try:
                    np.load(path)
                    ok = True
                except ValueError:
                    ok = False
            elif ext == ".json":
                try:
                    json.load(open(path))
                    ok = True
                except ValueError:
                    ok = False
            else:
                ok = False
            if not ok:
                raise AssertionError(f"incomplete or unexpected file {path}")
            found.setdefault(os.path.relpath(root, out), []).append(stem)
    return {k: sorted(v) for k, v in found.items()}


def try_mount_tmpfs(path, options):
    """Mounts a tmpfs (root only; not every container allows it). Returns an error string or
    None."""
    os.makedirs(path, exist_ok=True)
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", path],
                       capture_output=True, text=True)
    return None if p.returncode == 0 else (p.stderr.strip() or "mount failed")


def usage_case(name, args, expect):
    """A wrong command line: exit status 2 and a message naming the option."""
    p = subprocess.run([ADNET, "segment", *args], capture_output=True, text=True)
    ok = p.returncode == 2 and all(w in p.stderr for w in expect)
    first = p.stderr.splitlines()[0] if p.stderr else ""
    print(f"{name:28s} {'ok' if ok else 'FAILED'}\n    {first}")
    if not ok:
        failures.append(name)


def pipeline_cases(weights, frames, names):
    """Bad input to the full pipeline (issue 3): every output kind, pruning masks,
    annotations, output folders, full disks, DAVIS trees, the command line."""
    import cv2
    import numpy as np
    h, w = cv2.imread(os.path.join(frames, names[0])).shape[:2]

    # six frames, the fifth corrupt: frames 0-3 keep every output complete, nothing of 4-5,
    # and no summary (the video did not finish)
    six_ok = os.path.join(WORK, "six-frames")
    six = os.path.join(WORK, "six-frames-one-corrupt")
    for d in (six_ok, six):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        for i in range(6):
            shutil.copy(os.path.join(frames, names[i % len(names)]),
                        os.path.join(d, "%05d.jpg" % i))
    data = open(os.path.join(six, "00004.jpg"), "rb").read()
    open(os.path.join(six, "00004.jpg"), "wb").write(data[: len(data) // 2])
    label = "corrupt frame 4 of 6, all outputs"
    out = run_case(label, weights, six, ["00004.jpg"],
                   extra=["--save-logits", "--save-heatmaps", "--overlay"])
    try:
        got = complete_files(out)
        want = {k: ["00000", "00001", "00002", "00003"]
                for k in ("masks", "heatmaps", "logits", "overlays")}
        if got != want:
            fail(label, f"outputs {got}, expected {want}")
    except AssertionError as e:
        fail(label, str(e))

    # pruning masks and annotations: frame 0's is right, frame 1's has the wrong size
    for kind, option in (("pruning mask", "--prune-masks"), ("annotation", "--annotations")):
        d = os.path.join(WORK, option.strip("-"))
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        stems = [os.path.splitext(n)[0] for n in names]
        cv2.imwrite(os.path.join(d, stems[0] + ".png"), np.full((h, w), 255, np.uint8))
        cv2.imwrite(os.path.join(d, stems[1] + ".png"), np.full((h - 1, w + 2), 255, np.uint8))
        cv2.imwrite(os.path.join(d, stems[2] + ".png"), np.full((h, w), 255, np.uint8))
        label = f"{kind} of the wrong size"
        out = run_case(label, weights, frames,
                       [kind, os.path.join(d, stems[1] + ".png"), f"{w + 2}x{h - 1}",
                        names[1], f"{w}x{h}"], extra=[option, d])
        got = complete_files(out)
        if got != {"masks": [stems[0]]}:
            fail(label, f"outputs {got}, expected frame {stems[0]}'s mask only")

    # an output folder that cannot be created: below a regular file (root ignores chmod)
    blocker = os.path.join(WORK, "a-file")
    open(blocker, "w").write("not a folder\n")
    run_case("output below a regular file", weights, frames, [blocker, "Not a directory"],
             out=os.path.join(blocker, "out"), clean=False)
    run_case("output is a regular file", weights, frames, [blocker, "not a directory"],
             out=blocker, clean=False)
    # ... and on a read-only file system
    ro = os.path.join(WORK, "read-only")
    why = try_mount_tmpfs(ro, "ro,size=64k")
    if why:
        print(f"{'read-only output folder':28s} skipped: cannot mount a tmpfs here ({why})")
    else:
        try:
            run_case("read-only output folder", weights, frames,
                     [os.path.join(ro, "out"), "Read-only file system"],
                     out=os.path.join(ro, "out"), clean=False)
        finally:
            subprocess.run(["umount", ro])

    # a full disk, simulated: the first mask fits, the second write fails (the first frame's
    # mask is the one the six-frame run above wrote: same anchor, same frame)
    first = os.path.getsize(os.path.join(WORK, "corrupt frame 4 of 6, all outputs", "out",
                                         "masks", "00000.png"))
    label = "full disk (write hook)"
    out = run_case(label, weights, frames, ["No space left", os.path.splitext(names[1])[0]],
                   env={"ADNET_FAIL_WRITES_AFTER": str(first + 1)})
    got = complete_files(out)
    if got != {"masks": [os.path.splitext(names[0])[0]]}:
        fail(label, f"outputs {got}, expected the first mask only")
    # ... and a real one: a 32 KiB tmpfs fills up with masks, heat maps, logits and overlays
    full = os.path.join(WORK, "small-disk")
    why = try_mount_tmpfs(full, "size=32k")
    if why:
        print(f"{'full disk (32 KiB tmpfs)':28s} skipped: cannot mount a tmpfs here ({why})")
    else:
        try:
            label = "full disk (32 KiB tmpfs)"
            out = run_case(label, weights, six_ok, ["No space left"],
                           out=os.path.join(full, "out"), clean=False,
                           extra=["--overlay", "--save-logits", "--save-heatmaps"])
            try:
                complete_files(out)
            except AssertionError as e:
                fail(label, str(e))
        finally:
            subprocess.run(["umount", full])

    # DAVIS trees
    root = os.path.join(WORK, "DAVIS")
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(os.path.join(root, "JPEGImages", "480p"))
    shutil.copytree(frames, os.path.join(root, "JPEGImages", "480p", "clip"))
    run_case("not a DAVIS folder", weights, None, [os.path.join(WORK, "nowhere"), "JPEGImages"],
             extra=["--davis", os.path.join(WORK, "nowhere")])
    run_case("no ImageSets list", weights, None,
             [os.path.join(root, "ImageSets", "2016", "val.txt")], extra=["--davis", root])
    run_case("unknown video", weights, None, ["nope", os.path.join(root, "JPEGImages", "480p", "nope")],
             extra=["--davis", root, "--videos", "clip,nope"])
    os.makedirs(os.path.join(root, "JPEGImages", "480p", "empty"))
    run_case("video without frames", weights, None, ["no frames", "empty"],
             extra=["--davis", root, "--videos", "clip,empty"])
    run_case("anchor beyond the video", weights, frames,
             ["anchor frame 7", os.path.basename(frames), "3 frames"], extra=["--anchor", "7"])

    # Ctrl-C: the frames already on the device are finished, exit status 130, no partial file
    label = "interrupted (SIGINT)"
    out = os.path.join(WORK, "interrupted", "out")
    shutil.rmtree(out, ignore_errors=True)
    proc = subprocess.Popen([ADNET, "segment", "--weights", weights, "--frames", six_ok, "--out",
                             out, "--size", SIZE, "--overlay", "--save-logits"],
                            stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:  # once the first frame is written, the handler is in place
        if "frame 1/6" in line:
            proc.send_signal(signal.SIGINT)
            break
    rest = proc.stderr.read()
    proc.wait()
    try:
        got = complete_files(out)
        n = len(got.get("masks", []))
        ok = (proc.returncode == 130 and "interrupted" in rest and 1 <= n < 6 and
              got.get("overlays") == got["masks"] and got.get("logits") == got["masks"])
    except AssertionError as e:
        ok, got = False, str(e)
    print(f"{label:28s} {'ok' if ok else 'FAILED'}\n    exit {proc.returncode}, {got}")
    if not ok:
        failures.append(label)

    usage_case("--frames and --davis", ["--weights", weights, "--frames", frames, "--davis",
                                        root, "--out", "x"], ["--frames", "--davis"])
    usage_case("--shard out of range", ["--weights", weights, "--davis", root, "--out", "x",
                                        "--shard", "2/2"], ["--shard", "2/2"])
    usage_case("--shard without --davis", ["--weights", weights, "--frames", frames, "--out",
                                           "x", "--shard", "0/2"], ["--shard", "--davis"])


if __name__ == "__main__":
    sys.exit(main())
