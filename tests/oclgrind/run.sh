#!/bin/sh
# Runs a test program under Oclgrind (a simulated OpenCL device: a GPU-like device with its own
# limits, checking every work-item's memory accesses) and fails on any report it makes, even
# when the program itself passes:
#
#   run.sh LOG [oclgrind options...] -- PROGRAM [arguments...]
#
# LOG receives Oclgrind's reports (none is a pass). ADNET_TEST_SIMULATOR=1 tells the tests to
# leave out their full-network-size cases.
set -u
log=$1
shift
opts=""
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
    opts="$opts $1"
    shift
done
[ $# -gt 0 ] && shift
rm -f "$log"
# shellcheck disable=SC2086  # opts holds several options
ADNET_TEST_SIMULATOR=1 oclgrind --log "$log" $opts "$@"
rc=$?
if [ -s "$log" ]; then
    echo "oclgrind reported $(grep -c '^[A-Z]' "$log") problem(s); the first:" >&2
    head -40 "$log" >&2
    exit 1
fi
exit $rc
