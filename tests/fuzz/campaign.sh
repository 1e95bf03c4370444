#!/bin/sh
# A long fuzzing campaign (docs/reliability.md): each target in turn for at least SECONDS
# (default 3600) and at least RUNS executions (default 10^7), whichever is more: a first leg of
# SECONDS, then, if it executed fewer than RUNS inputs, a second leg of the missing runs from the
# corpus the first grew (kept in the build tree, so a later campaign starts where this one
# ended). Prints one Markdown table row per target: executions and seconds of both legs,
# coverage at the end (libFuzzer's cov: edges, ft: features), corpus size, findings.
#   tests/fuzz/campaign.sh BUILD_FUZZ [SECONDS [RUNS [TARGETS...]]]
set -u
build=$1
seconds=${2:-3600}
runs=${3:-10000000}
shift 3 2>/dev/null || shift $#
src=$(cd "$(dirname "$0")" && pwd)
targets=${*:-"weights arch image mask npy lists specs tuning"}
export LSAN_OPTIONS="suppressions=$src/../lsan.supp:print_suppressions=0"

# leg DIR LOG ARGS...: one libFuzzer run of the target; its exit status
leg() {
    dir=$1 log=$2
    shift 2
    # shellcheck disable=SC2086
    "$build/tests/fuzz/fuzz_$t" "$@" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$dir/artifacts/" $dict "$dir/corpus" \
        "$src/corpus/$t" > "$log" 2>&1
}
stat_of() { sed -n "s/^stat::$1: *//p" "$2"; }

echo "| target | executions | seconds | exec/s | coverage (edges / features) | corpus | findings |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for t in $targets; do
    dir=$build/campaign/$t
    mkdir -p "$dir/corpus" "$dir/artifacts"
    dict=""
    [ -f "$src/$t.dict" ] && dict="-dict=$src/$t.dict"
    start=$(date +%s)
    leg "$dir" "$dir/log.txt" -max_total_time="$seconds" -runs=-1
    rc=$?
    execs=$(stat_of number_of_executed_units "$dir/log.txt")
    last=$dir/log.txt
    if [ $rc -eq 0 ] && [ "${execs:-0}" -lt "$runs" ]; then
        leg "$dir" "$dir/log2.txt" -runs=$((runs - ${execs:-0}))
        rc=$?
        execs=$((${execs:-0} + $(stat_of number_of_executed_units "$dir/log2.txt")))
        last=$dir/log2.txt
    fi
    took=$(($(date +%s) - start))
    cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$last" | tail -n 1 | awk '{print $2 " / " $4}')
    corp=$(grep -o 'corp: [0-9]*/[0-9]*[a-zA-Z]*' "$last" | tail -n 1 | cut -d' ' -f2)
    found=$(find "$dir/artifacts" -type f | wc -l)
    [ $rc -ne 0 ] && found="$found (exit $rc: see $last)"
    echo "| $t | ${execs:-?} | $took | $((${execs:-0} / (took > 0 ? took : 1))) | ${cov:-?} | ${corp:-?} | $found |"
done
