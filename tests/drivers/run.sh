#!/bin/sh
# The driver tier (`make test-drivers`, run by CI): every device-level test (CTest label
# `device`: ops, attention, fidelity, the pipeline, the scheduler, sessions) once more on Intel's
# OpenCL CPU runtime alone, as `make test` runs them on PoCL, then the cross-driver tests (label
# `drivers`) with both drivers present. Where Intel's runtime cannot run, says why and runs only
# what needs no second driver.
# Usage: tests/drivers/run.sh BUILD_DIR [JOBS]
set -eu
build=$(cd "$1" && pwd)
jobs=${2:-2}
here=$(cd "$(dirname "$0")" && pwd)
sh "$here/setup.sh" "$build"
dir=$build/drivers
cd "$build"
if [ -f "$dir/unavailable" ]; then
    echo "driver tier: Intel's OpenCL CPU runtime cannot run here ($(cat "$dir/unavailable"));"
    echo "driver tier: the suite ran on PoCL in make test; the cross-driver tests skip"
    exec ctest --output-on-failure -j "$jobs" -L drivers
fi
# ADNET_DEVICE is the default of every adnet command the tests run, ADNET_TEST_DEVICES the
# devices the C tests loop over: Intel's runtime is the only platform these runs see anyway
status=0
(
    . "$dir/env-intel.sh"
    export ADNET_DEVICE="Intel(R) OpenCL" ADNET_TEST_DEVICES="Intel(R) OpenCL"
    # its cpu/2 halves differ about 2x in speed and the second may open late: the scheduler
    # test then allows an idle half (tests/cli/segment_devices.py)
    export ADNET_TEST_UNEVEN_DEVICES=1
    echo "driver tier: the device-level tests on Intel's OpenCL CPU runtime"
    ctest --output-on-failure -j "$jobs" -L device
) || status=1
echo "driver tier: the cross-driver tests, PoCL and Intel's runtime side by side"
ctest --output-on-failure -j "$jobs" -L drivers || status=1
exit $status
