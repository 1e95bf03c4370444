#!/bin/sh
# One fuzz target's CTest run: the seeds and kept crashes once each, then SECONDS of fuzzing
# from the seeds. Fails on any crash, sanitizer report, leak, timeout (10 s per input) or
# out-of-memory (2 GiB), naming the input to keep as a regression.
#   run.sh TARGET SRC NAME SECONDS WORK                 a target
#   run.sh TARGET SRC NAME 0 WORK --expect-crash FILE   the canary: FILE must crash it
set -u
target=$1 src=$2 name=$3 seconds=$4 work=$5
limits="-timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048"
if [ "${6:-}" = "--expect-crash" ]; then
    out=$("$target" $limits "$7" 2>&1)
    rc=$?
    echo "$out" | tail -n 30
    if [ $rc -ne 0 ] && echo "$out" | grep -q "heap-buffer-overflow"; then
        echo "run.sh: the canary crashed on $7 as it must (AddressSanitizer: heap-buffer-overflow)"
        exit 0
    fi
    echo "run.sh: FAIL: the canary did not report the overrun (exit $rc): the harness would miss it"
    exit 1
fi
corpus=$src/corpus/$name
regressions=$src/regressions/$name
dir=$work/$name
rm -rf "$dir"
mkdir -p "$dir/corpus" "$dir/artifacts"
# 1. every seed and kept crash once
files=$(find "$corpus" "$regressions" -type f 2>/dev/null | sort)
if [ -z "$files" ]; then
    echo "run.sh: FAIL: no seeds in $corpus"
    exit 1
fi
# shellcheck disable=SC2086
if ! "$target" $limits $files > "$dir/replay.log" 2>&1; then
    tail -n 40 "$dir/replay.log"
    echo "run.sh: FAIL: a seed or kept regression input of $name fails (log above)"
    exit 1
fi
echo "run.sh: $(echo "$files" | wc -l) seeds and regression inputs of $name ran clean"
# 2. fuzzing
dict=""
[ -f "$src/$name.dict" ] && dict="-dict=$src/$name.dict"
# shellcheck disable=SC2086
"$target" $limits -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="$dir/artifacts/" $dict "$dir/corpus" "$corpus" > "$dir/fuzz.log" 2>&1
rc=$?
grep -E "^stat::|Done [0-9]+ runs" "$dir/fuzz.log" | tr '\n' ' '
echo
if [ $rc -ne 0 ]; then
    tail -n 60 "$dir/fuzz.log"
    for f in "$dir"/artifacts/*; do
        [ -f "$f" ] && echo "run.sh: FAIL: $name: input $f; fix the bug, then keep the input: cp $f $regressions/"
    done
    exit 1
fi
echo "run.sh: $name: $seconds s of fuzzing, no crash, report, leak, timeout or out-of-memory"
