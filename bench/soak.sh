#!/bin/sh
# The soak test (docs/reliability.md; not part of CI's default run): `adnet segment` over
# thousands of frames with every output on, its memory sampled throughout, then the same videos
# one by one, then interrupted runs.
#
#   bench/soak.sh OUT [VIDEOS [FRAMES [TRIALS]]]      (defaults: 60 videos x 50 frames, 20 trials)
#
# 1. A DAVIS-style tree of VIDEOS synthetic clips of FRAMES frames at 160x90
#    (weights/synth_clips.py) with annotations and pruning masks (the annotations dilated).
# 2. One run over all of it with the demo model: temporal step, pruning, --save-logits,
#    --save-heatmaps, --overlay, scores; the process's RSS sampled every second (rss.csv).
#    Memory must be flat after the first video: the largest sample after it at most the
#    sample at its end + max(16 MiB, 5 %). Every output must be present and decodable.
# 3. Five videos run one by one: their masks must equal the long run's byte for byte.
# 4. TRIALS runs over ten videos, each killed (SIGTERM or SIGKILL, chosen at random) after a
#    random 0.2 to 3 s, then finished with --resume: never a half-written file or a temporary
#    left, and the masks equal the long run's.
# Prints a summary and writes OUT/soak.json; exit 1 if any check fails.
set -eu
out=${1:?usage: bench/soak.sh OUT [VIDEOS [FRAMES [TRIALS]]]}
videos=${2:-60}
frames=${3:-50}
trials=${4:-20}
repo=$(cd "$(dirname "$0")/.." && pwd)
adnet=${ADNET:-$repo/build/adnet}
py=/usr/bin/python3
weights=$repo/weights/demo.safetensors
mkdir -p "$out"
out=$(cd "$out" && pwd)
tree=$out/tree
size=161x97

if [ ! -f "$tree/ImageSets/2016/val.txt" ]; then
    echo "soak: making $videos clips of $frames frames in $tree"
    rm -rf "$tree"
    $py "$repo/weights/synth_clips.py" "$tree" --split val --clips "$videos" --frames "$frames" \
        --size 160x90 > /dev/null
    $py "$repo/bench/soak_check.py" prune-masks "$tree"
fi

echo "soak: the long run ($videos videos x $frames frames, every output on)"
rm -rf "$out/run"
start=$(date +%s)
"$adnet" segment --weights "$weights" --davis "$tree" --videos all --size $size \
    --prune-masks "$tree/Prune" --save-logits --save-heatmaps --overlay --quiet \
    --out "$out/run" > "$out/run.log" 2>&1 &
pid=$!
echo "seconds,rss_kib,videos_done" > "$out/rss.csv"
while kill -0 $pid 2>/dev/null; do
    rss=$(awk '/^VmRSS:/ {print $2}' /proc/$pid/status 2>/dev/null || true)
    done_videos=$(ls "$out/run/summary" 2>/dev/null | wc -l)
    [ -n "$rss" ] && echo "$(($(date +%s) - start)),$rss,$done_videos" >> "$out/rss.csv"
    sleep 1
done
wait $pid || { echo "soak: FAIL: the long run failed:"; tail -n 5 "$out/run.log"; exit 1; }
echo "soak: long run done in $(($(date +%s) - start)) s"

echo "soak: five videos one by one"
rm -rf "$out/single"
for v in $($py "$repo/bench/soak_check.py" pick "$tree" 5); do
    "$adnet" segment --weights "$weights" --davis "$tree" --videos "$v" --size $size \
        --prune-masks "$tree/Prune" --quiet --out "$out/single" > /dev/null 2>&1
done

echo "soak: $trials interrupted runs, each finished with --resume"
rm -rf "$out/trials"
mkdir -p "$out/trials"
ten=$($py "$repo/bench/soak_check.py" pick "$tree" 10 | tr '\n' ',' | sed 's/,$//')
t=0
while [ $t -lt "$trials" ]; do
    t=$((t + 1))
    dir=$out/trials/$t
    sig=$($py -c "import random; print(random.choice(['TERM', 'KILL']))")
    delay=$($py -c "import random; print('%.1f' % random.uniform(0.2, 3.0))")
    "$adnet" segment --weights "$weights" --davis "$tree" --videos "$ten" --size $size \
        --prune-masks "$tree/Prune" --save-logits --save-heatmaps --overlay --quiet \
        --out "$dir" > /dev/null 2>&1 &
    p=$!
    sleep "$delay"
    kill -s "$sig" $p 2>/dev/null || true
    wait $p 2>/dev/null || true
    echo "$sig $delay" > "$out/trials/$t.kill"
    $py "$repo/bench/soak_check.py" interrupted "$dir" >> "$out/trials/$t.kill"
    "$adnet" segment --weights "$weights" --davis "$tree" --videos "$ten" --size $size \
        --prune-masks "$tree/Prune" --save-logits --save-heatmaps --overlay --quiet --resume \
        --out "$dir" > "$out/trials/$t.resume.log" 2>&1 ||
        echo "resume failed" >> "$out/trials/$t.kill"
done

$py "$repo/bench/soak_check.py" report "$out" "$videos" "$frames" "$trials"
