#!/bin/sh
# A long fuzzing campaign (docs/reliability.md): each target in turn for at least SECONDS
# (default 3600) and at least RUNS executions (default 10^7), whichever is more: a first leg of
# SECONDS, then, if it executed fewer than RUNS inputs, a second leg of the missing runs from the
# corpus the first grew (kept in the build tree, so a later campaign starts where this one
# ended). The second leg may run in CAMPAIGN_JOBS processes (default 1) sharing that corpus, as
# libFuzzer's -jobs does, each with its share of the runs; SECONDS 0 skips the first leg (to go
# on with the runs an interrupted campaign still missed). Prints one Markdown table row per
# target: executions and seconds of both legs, coverage at the end (libFuzzer's cov: edges, ft:
# features), corpus size, findings.
#   [CAMPAIGN_JOBS=N] tests/fuzz/campaign.sh BUILD_FUZZ [SECONDS [RUNS [TARGETS...]]]
set -u
build=$1
seconds=${2:-3600}
runs=${3:-10000000}
jobs=${CAMPAIGN_JOBS:-1}
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
    rc=0 execs=0 last=""
    if [ "$seconds" -gt 0 ]; then
        leg "$dir" "$dir/log.txt" -max_total_time="$seconds" -runs=-1
        rc=$?
        execs=$(stat_of number_of_executed_units "$dir/log.txt")
        execs=${execs:-0} last=$dir/log.txt
    fi
    if [ $rc -eq 0 ] && [ "$execs" -lt "$runs" ]; then
        share=$(((runs - execs + jobs - 1) / jobs))
        j=1
        while [ $j -le "$jobs" ]; do
            (leg "$dir" "$dir/log2-$j.txt" -runs=$share -seed=$((start + j)) || echo $? > "$dir/rc-$j") &
            j=$((j + 1))
        done
        wait
        last=$dir/log2-1.txt
        j=1
        while [ $j -le "$jobs" ]; do
            more=$(stat_of number_of_executed_units "$dir/log2-$j.txt")
            execs=$((execs + ${more:-0}))
            if [ -f "$dir/rc-$j" ]; then
                rc=$(cat "$dir/rc-$j") last=$dir/log2-$j.txt
                rm -f "$dir/rc-$j"
            fi
            j=$((j + 1))
        done
    fi
    took=$(($(date +%s) - start))
    cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$last" | tail -n 1 | awk '{print $2 " / " $4}')
    corp=$(grep -o 'corp: [0-9]*/[0-9]*[a-zA-Z]*' "$last" | tail -n 1 | cut -d' ' -f2)
    found=$(find "$dir/artifacts" -type f | wc -l)
    [ $rc -ne 0 ] && found="$found (exit $rc: see $last)"
    echo "| $t | ${execs:-?} | $took | $((${execs:-0} / (took > 0 ? took : 1))) | ${cov:-?} | ${corp:-?} | $found |"
done
