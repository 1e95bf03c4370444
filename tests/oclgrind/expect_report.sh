#!/bin/sh
# The tier's own check: runs a deliberately broken program under Oclgrind (run.sh) and passes
# only when Oclgrind reports the kind of problem planted in it:
#
#   expect_report.sh LOG PATTERN [oclgrind options...] -- PROGRAM [arguments...]
set -u
here=$(dirname "$0")
log=$1
pattern=$2
shift 2
if "$here/run.sh" "$log" "$@" 2>/dev/null; then
    echo "expect_report: Oclgrind reported nothing; it should have found: $pattern" >&2
    exit 1
fi
if ! grep -q "$pattern" "$log"; then
    echo "expect_report: the run failed, but without a report matching '$pattern':" >&2
    head -20 "$log" >&2
    exit 1
fi
echo "expect_report: Oclgrind found it: $(grep -m1 "$pattern" "$log")"
