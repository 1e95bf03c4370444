#!/bin/sh
# Times `adnet eval` on a DAVIS-sized generated set: 20 sequences x 70 frames of 480 x 854
# (1,400 frames, about DAVIS-2016 val), masks and annotations, then with heat maps too.
#
# Usage: bench/eval_speed.sh [ADNET] [WORK_DIR]
#   ADNET     the adnet program (default: build/adnet)
#   WORK_DIR  where the set is generated (default: a temporary folder, removed afterwards)
# Needs Debian's /usr/bin/python3 with numpy, OpenCV and PIL for the generator.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
adnet=${1:-build/adnet}
work=${2:-}
cleanup=0
if [ -z "$work" ]; then
    work=$(mktemp -d "${TMPDIR:-/tmp}/adnet-eval-speed.XXXXXX")
    cleanup=1
fi
if [ ! -f "$work/davis/ImageSets/2016/val.txt" ]; then
    echo "generating 20 x 70 frames of 480x854 in $work ..."
    /usr/bin/python3 "$here/make_eval_set.py" "$work" 20 70
fi

# Each case runs three times; the best wall time is the one least disturbed by other
# processes, and the CPU time (user + system) of that run says what the work costs.
run() {
    label=$1
    shift
    best=""
    all=""
    for _ in 1 2 3; do
        /usr/bin/time -f "%e %U %S" -o "$work/time.txt" \
            "$adnet" eval --davis "$work/davis" --results "$work/run/masks" --quiet "$@"
        read -r wall user sys <"$work/time.txt"
        all="$all $wall"
        if [ -z "$best" ] || [ "$(echo "$wall < $best" | bc)" = 1 ]; then
            best=$wall
            cpu=$(echo "$user + $sys" | bc)
        fi
    done
    printf '%-38s best %5.2f s wall, %5.2f s CPU   (wall:%s)\n' "$label" "$best" "$cpu" "$all"
}

echo "adnet: $("$adnet" --version)"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
# a first pass reads the files into the page cache; the timed passes below measure adnet
"$adnet" eval --davis "$work/davis" --results "$work/run/masks" --no-heatmaps --quiet \
    --json "$work/scores.json"
run "masks only, default threads" --no-heatmaps
run "masks only, --threads 1" --no-heatmaps --threads 1
run "masks + heat maps, default threads"
run "masks + heat maps, --threads 1" --threads 1
if [ "$cleanup" = 1 ]; then rm -rf "$work"; fi
