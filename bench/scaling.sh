#!/bin/sh
# Multi-device scaling of `adnet segment` on this machine (docs/benchmarks.md): the CPU split
# in two halves as a pool (--device cpu/2) against one half alone (the whole CPU device held to
# one thread) and against the whole CPU as one device, and the pool with its second half slowed
# four times (ADNET_FAULT) against the first half alone: adding a slow device must not make the
# run slower. Frames per second from each run's summary.json, steady state (the first frames,
# which include program builds and the first measurements, are left out).
#
# Usage: bench/scaling.sh ADNET WEIGHTS FRAMES_DIR [SIZE] [OUT]
set -eu
adnet=$1 weights=$2 frames=$3 size=${4:-321x177} out=${5:-/tmp/adnet-scaling}
mkdir -p "$out"
run() { # name device [VAR=value ...]
    name=$1 device=$2; shift 2
    rm -rf "$out/$name"
    env "$@" "$adnet" segment --weights "$weights" --frames "$frames" --size "$size" \
        --device "$device" --out "$out/$name" --quiet
    /usr/bin/python3 - "$out/$name/summary.json" "$name" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
ms = [f["ms"] for f in s["per_frame"]][3:]  # steady state: frames after the first three
fps = 1000.0 * len(ms) / sum(ms)
devs = ", ".join("%s: %d frames, %.0f ms/frame" % (d["device"], d["units"], d["mean_ms"])
                 for d in s["devices"])
print("%-24s %6.3f frames/s  (%s)" % (sys.argv[2], fps, devs))
PY
}
run half-alone cpu POCL_MAX_PTHREAD_COUNT=1
run whole-cpu cpu
run pool-cpu2 cpu/2
run pool-slow-half cpu/2 ADNET_FAULT=1:0:slow
