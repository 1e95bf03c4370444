#!/usr/bin/python3
"""Python's overhead per frame against `adnet segment`: the same folder of frames, the same
model, size and device, three ways, each run REPEAT times in turn (best kept):
  cli      adnet segment --frames DIR --out OUT (decoding, the device and writing overlap)
  folder   adnet.segment_folder(DIR, weights, out=OUT) (decode, segment, write in turn)
  calls    session.segment(frame) on frames decoded beforehand: the binding's own cost
           beside the C library's work (its time per frame minus the C call's is the overhead)
Run with the build tree's package first on the path:
    PYTHONPATH=build/python bench/python_overhead.py --adnet build/adnet \\
        --weights weights/demo.safetensors --frames weights/demo-clips/JPEGImages/480p/<video> \\
        --size 257x145
"""
import argparse
import os
import shutil
import subprocess
import tempfile
import time

import adnet


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--adnet", required=True)
    p.add_argument("--weights", required=True)
    p.add_argument("--frames", required=True)
    p.add_argument("--size", default="857x481")
    p.add_argument("--device", default="cpu")
    p.add_argument("--repeat", type=int, default=3)
    a = p.parse_args()
    paths = adnet.frame_files(a.frames)
    n = len(paths)
    tmp = tempfile.mkdtemp()
    best = {"cli": 1e9, "folder": 1e9, "calls": 1e9}
    frames = [adnet.load_frame(q) for q in paths]
    with adnet.Model(a.weights, device=a.device) as model:
        for _ in range(a.repeat):
            out = os.path.join(tmp, "cli")
            t = time.monotonic()
            subprocess.run([a.adnet, "segment", "--weights", a.weights, "--frames", a.frames,
                            "--size", a.size, "--device", a.device, "--out", out, "--quiet"],
                           check=True)
            best["cli"] = min(best["cli"], time.monotonic() - t)
            shutil.rmtree(out)
            out = os.path.join(tmp, "py")
            t = time.monotonic()
            for _ in adnet.segment_folder(a.frames, model, out=out, size=a.size):
                pass
            best["folder"] = min(best["folder"], time.monotonic() - t)
            shutil.rmtree(out)
            with model.session(size=a.size) as s:
                s.begin_video(frames[0])
                t = time.monotonic()
                for f in frames:
                    s.segment(f)
                best["calls"] = min(best["calls"], time.monotonic() - t)
    shutil.rmtree(tmp)
    print("%d frames at %s on %s, best of %d" % (n, a.size, a.device, a.repeat))
    for k in ("cli", "folder", "calls"):
        print("  %-7s %7.3f s  %7.2f ms per frame" % (k, best[k], 1e3 * best[k] / n))


if __name__ == "__main__":
    main()
