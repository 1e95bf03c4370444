"""The installed library, used as an embedder would (issue 9): `cmake --install` into a
temporary prefix; examples/segment_folder.c and tests/install/api_v0.c compiled against it with
`pkg-config --cflags --libs adnet`, and the example again through find_package(adnet) (shared
and static); the shared library exports only the public calls and does not force its private
dependencies on the program. The example's masks and saliency maps must equal `adnet segment`'s
on the same frames (one pass and multi-scale + mirror); api_v0's logits must equal `adnet
segment --save-logits`'s and the PyTorch reference's within the fidelity tolerance.

Usage: test_install.py BUILD_DIR SOURCE_DIR ADNET CASE_DIR WORK_DIR"""
import glob
import os
import shutil
import subprocess
import sys

import cv2
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, fail, finish  # noqa: E402

build, source, adnet, case, work = sys.argv[1:6]
size = "100x75"
frames = os.path.join(case, "frames")
weights = os.path.join(case, "weights.safetensors")


def run(cmd, env=None, cwd=None):
    """Runs cmd; on failure prints its output and stops the test."""
    p = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    if p.returncode != 0:
        print("$ " + " ".join(cmd) + "\n" + p.stdout)
        fail(f"{cmd[0]} exited with {p.returncode}")
        sys.exit(finish("test_install"))
    return p.stdout


shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
prefix = os.path.join(work, "prefix")
run(["cmake", "--install", build, "--prefix", prefix])
pcs = glob.glob(os.path.join(prefix, "**", "adnet.pc"), recursive=True)
check(len(pcs) == 1, f"one adnet.pc installed ({pcs})")
libdir = os.path.dirname(os.path.dirname(pcs[0]))
for f in ["libadnet.so", "libadnet.a", os.path.join("cmake", "adnet", "adnetConfig.cmake")]:
    check(os.path.exists(os.path.join(libdir, f)), f"{f} installed")
check(os.path.exists(os.path.join(prefix, "include", "adnet.h")), "adnet.h installed")
check(not glob.glob(os.path.join(prefix, "include", "*", "*.h")),
             "no internal header installed")

# only the public calls leave the shared library
syms = run(["nm", "-D", "--defined-only", os.path.join(libdir, "libadnet.so")]).split("\n")
# (names starting with "_" are the toolchain's: _init, _fini, sanitizer instrumentation)
names = [s.split()[-1] for s in syms if s.strip() and not s.split()[-1].startswith("_")]
check(names and all(n.startswith("adnet_") for n in names),
             f"libadnet.so exports only adnet_* ({len(names)} symbols; others: "
             f"{[n for n in names if not n.startswith('adnet_')][:5]})")

env = dict(os.environ, PKG_CONFIG_PATH=os.path.dirname(pcs[0]))
flags = run(["pkg-config", "--cflags", "--libs", "adnet"], env=env).split()
check("-ladnet" in flags and not any("cjson" in f or "clblast" in f for f in flags),
             f"pkg-config gives -ladnet and no private dependency ({' '.join(flags)})")
cc = os.environ.get("CC", "cc")
# the build's sanitizers, when it has them: a sanitized library needs sanitized programs
sanitize = os.environ.get("ADNET_EMBED_CFLAGS", "").split()
strict = ["-std=c11", "-Wall", "-Wextra", "-Werror", *sanitize]
example = os.path.join(source, "examples", "segment_folder.c")
seg = os.path.join(work, "segment_folder")
run([cc, *strict, example, *flags, "-o", seg])
api_v0 = os.path.join(work, "api_v0")
run([cc, *strict, os.path.join(source, "tests", "install", "api_v0.c"), *flags, "-o", api_v0])
run_env = dict(os.environ, LD_LIBRARY_PATH=libdir)


def read_png(path):
    img = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if img is None:
        fail(f"cannot read {path}")
        sys.exit(finish("test_install"))
    return img


def compare_masks(label, ours_dir, theirs_dir, suffix=".png"):
    stems = sorted(os.path.splitext(f)[0] for f in os.listdir(frames))
    for stem in stems:
        a = read_png(os.path.join(ours_dir, stem + suffix))
        b = read_png(os.path.join(theirs_dir, stem + ".png"))
        check(a.shape == b.shape and np.array_equal(a, b),
                     f"{label} {stem}: equal to adnet segment's "
                     f"({int((a != b).sum()) if a.shape == b.shape else a.shape} pixels differ)")


for mode, extra in [("one pass", []), ("multi-scale + mirror", ["--ms-mirror"])]:
    tag = "msm" if extra else "plain"
    ours = os.path.join(work, "example-" + tag)
    run([seg, weights, frames, ours, "--size", size, "--saliency", *extra], env=run_env)
    theirs = os.path.join(work, "segment-" + tag)
    run([adnet, "segment", "--weights", weights, "--frames", frames, "--out", theirs, "--size",
         size, "--save-heatmaps", "--quiet", *extra], env=run_env)
    compare_masks("masks, " + mode, ours, os.path.join(theirs, "masks"))
    compare_masks("saliency, " + mode, ours, os.path.join(theirs, "heatmaps"), ".saliency.png")
    masks = [read_png(os.path.join(ours, f)) for f in sorted(os.listdir(ours))
             if not f.endswith("saliency.png")]
    check(any(m.any() for m in masks) and any((m == 0).any() for m in masks),
                 f"{mode}: the masks hold object and background")

# a session on several devices (the CPU in two halves), four frames at a time
ours = os.path.join(work, "example-devices")
run([seg, weights, frames, ours, "--size", size, "--saliency", "--devices", "cpu/2"],
    env=run_env)
compare_masks("masks, two devices", ours, os.path.join(work, "segment-plain", "masks"))
compare_masks("saliency, two devices", ours, os.path.join(work, "segment-plain", "heatmaps"),
              ".saliency.png")

# the first API, unchanged: its logits are adnet segment's and the reference's
v0 = os.path.join(work, "api_v0-out")
os.makedirs(v0)
run([api_v0, weights, frames, size, v0], env=run_env)
logits = os.path.join(work, "segment-logits")
run([adnet, "segment", "--weights", weights, "--frames", frames, "--out", logits, "--size", size,
     "--save-logits", "--no-temporal", "--quiet"], env=run_env)
for f in sorted(os.listdir(frames)):
    stem = os.path.splitext(f)[0]
    ref = np.load(os.path.join(case, "expected", stem + ".npy")).astype(np.float32).reshape(-1)
    seg_l = np.load(os.path.join(logits, "logits", stem + ".npy")).reshape(-1)
    got = np.fromfile(os.path.join(v0, stem + ".f32"), dtype=np.float32)
    span = float(ref.max() - ref.min())
    check(got.shape == seg_l.shape and np.abs(got - seg_l).max() <= 1e-6 * span,
                 f"api_v0 {stem}: the logits of adnet segment")
    check(got.shape == ref.shape and np.abs(got - ref).max() <= 1e-3 * span,
                 f"api_v0 {stem}: max |diff| to the reference {np.abs(got - ref).max():.3g} "
                 f"<= 1e-3 of the range {span:.3g}")

# find_package(adnet): the shared and the static library
consumer = os.path.join(work, "consumer")
run(["cmake", "-S", os.path.join(source, "tests", "install", "consumer"), "-B", consumer,
     f"-DCMAKE_PREFIX_PATH={prefix}", f"-DEXAMPLE={example}",
     "-DCMAKE_C_FLAGS=" + " ".join(["-Wall", "-Wextra", *sanitize]),
     "-DCMAKE_EXE_LINKER_FLAGS=" + " ".join(sanitize)])
run(["cmake", "--build", consumer])
for kind in ["shared", "static"]:
    out = os.path.join(work, "consumer-" + kind)
    run([os.path.join(consumer, "segment_folder_" + kind), weights, frames, out, "--size", size])
    compare_masks(f"find_package, {kind}", out, os.path.join(work, "segment-plain", "masks"))

sys.exit(finish("test_install"))
