#!/bin/sh
# A long fuzzing campaign (docs/reliability.md): each target in turn for SECONDS (default 3600)
# or RUNS executions, whichever comes first, from its seeds and the corpus the previous
# campaigns grew (kept in the build tree). Prints one Markdown table row per target:
# executions, seconds, coverage (libFuzzer's cov: edges, ft: features), corpus size, findings.
#   tests/fuzz/campaign.sh BUILD_FUZZ [SECONDS [RUNS [TARGETS...]]]
set -u
build=$1
seconds=${2:-3600}
runs=${3:-10000000}
shift 3 2>/dev/null || shift $#
src=$(cd "$(dirname "$0")" && pwd)
targets=${*:-"weights arch image mask npy lists specs tuning"}
export LSAN_OPTIONS="suppressions=$src/../lsan.supp:print_suppressions=0"
echo "| target | executions | seconds | exec/s | coverage (edges / features) | corpus | findings |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for t in $targets; do
    dir=$build/campaign/$t
    mkdir -p "$dir/corpus" "$dir/artifacts"
    dict=""
    [ -f "$src/$t.dict" ] && dict="-dict=$src/$t.dict"
    start=$(date +%s)
    # shellcheck disable=SC2086
    "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -runs="$runs" -timeout=10 \
        -rss_limit_mb=2048 -malloc_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$dir/artifacts/" $dict "$dir/corpus" "$src/corpus/$t" \
        > "$dir/log.txt" 2>&1
    rc=$?
    took=$(($(date +%s) - start))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log.txt")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log.txt")
    cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$dir/log.txt" | tail -n 1 | awk '{print $2 " / " $4}')
    corp=$(grep -o 'corp: [0-9]*/[0-9]*[a-zA-Z]*' "$dir/log.txt" | tail -n 1 | cut -d' ' -f2)
    found=$(find "$dir/artifacts" -type f | wc -l)
    [ $rc -ne 0 ] && found="$found (exit $rc: see $dir/log.txt)"
    echo "| $t | ${execs:-?} | $took | ${rate:-?} | ${cov:-?} | ${corp:-?} | $found |"
done
