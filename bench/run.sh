#!/usr/bin/env bash
# Runs adnet and the CPU baselines (PyTorch, ONNX Runtime, OpenVINO) at the same settings on this
# machine and writes the comparison (Markdown table and PNG chart) with every JSON result:
#
#   bench/run.sh [OUT_DIR]          (default: bench/results/<UTC date>)
#
# Settings come from the environment (defaults in brackets):
#   ADNET [build/adnet]   DEVICE [cpu]   MODEL [ad]   BACKBONE [101]
#   SIZES ["857x481 321x177"]   FRAMES [3]   WARMUP [1]
#   RUNTIMES ["adnet pytorch onnxruntime openvino"]   ADNET_ARGS (more `adnet bench` options)
#   PYTHON [/usr/bin/python3: Debian's, with torch, numpy, OpenCV and matplotlib]
# The machine should be otherwise idle: every figure is a time, and each JSON records the
# load average before and after its run.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
out=${1:-$repo/bench/results/$(date -u +%Y-%m-%d)}
ADNET=${ADNET:-$repo/build/adnet}
DEVICE=${DEVICE:-cpu}
MODEL=${MODEL:-ad}
BACKBONE=${BACKBONE:-101}
SIZES=${SIZES:-857x481 321x177}
FRAMES=${FRAMES:-3}
WARMUP=${WARMUP:-1}
RUNTIMES=${RUNTIMES:-adnet pytorch onnxruntime openvino}
ADNET_ARGS=${ADNET_ARGS:-}
PYTHON=${PYTHON:-/usr/bin/python3}
export PYTHONDONTWRITEBYTECODE=1

if [[ " $RUNTIMES " == *" adnet "* && ! -x "$ADNET" ]]; then
    echo "run.sh: no adnet program at $ADNET (build it: make build, or set ADNET)" >&2
    exit 1
fi
mkdir -p "$out"
common=(--model "$MODEL" --backbone "$BACKBONE" --frames "$FRAMES" --warmup "$WARMUP")
for size in $SIZES; do
    for runtime in $RUNTIMES; do
        echo "== $runtime, $MODEL R$BACKBONE at $size ($(uptime | sed 's/.*load/load/'))"
        case $runtime in
            adnet)
                # shellcheck disable=SC2086  # ADNET_ARGS holds several options
                "$ADNET" bench --device "$DEVICE" "${common[@]}" --size "$size" $ADNET_ARGS \
                    --json "$out/adnet-$size.json" | tee "$out/adnet-$size.txt" ;;
            pytorch)
                "$PYTHON" "$here/pytorch_baseline.py" "${common[@]}" --size "$size" \
                    --json "$out/pytorch-$size.json" | tee "$out/pytorch-$size.txt" ;;
            onnxruntime|openvino)
                "$PYTHON" "$here/${runtime}_baseline.py" "${common[@]}" --size "$size" \
                    --json "$out/$runtime-$size.json" | tee "$out/$runtime-$size.txt" ;;
            *)
                echo "run.sh: unknown runtime '$runtime' (adnet, pytorch, onnxruntime," \
                     "openvino)" >&2
                exit 1 ;;
        esac
    done
done
# the results are meant to be shared: this machine's home directory reads as ~
sed -i "s#$HOME/#~/#g" "$out"/*.json "$out"/*.txt
"$PYTHON" "$here/compare" "$out"/*.json --markdown "$out/comparison.md" \
    --png "$out/comparison.png"
echo "== comparison: $out/comparison.md and $out/comparison.png"
