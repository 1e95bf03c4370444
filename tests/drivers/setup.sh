#!/bin/sh
# The second OpenCL driver of the driver tier: Intel's OpenCL runtime for x86 CPUs, from PyPI
# (intel-opencl-rt with TBB, and intel-cmplr-lib-rt for its maths libraries, which it needs but
# does not declare), installed into a virtual
# environment under BUILD/drivers/ so that nothing outside the build folder changes. Writes two
# folders of ICD files for OCL_ICD_VENDORS: icd-intel/ (Intel's runtime alone: the suite runs on
# it as it runs on PoCL) and icd-all/ (it beside the system's drivers: the cross-driver tests),
# and env-intel.sh / env-all.sh that point OCL_ICD_VENDORS at them. libintelocl.so finds its
# libraries through its own RUNPATH ($ORIGIN), so LD_LIBRARY_PATH stays as it is: adnet keeps the
# system's ICD loader (the environment's lib/ also holds a libOpenCL.so that would replace it). Then asks adnet itself
# whether the driver lists a device; when it cannot run here, BUILD/drivers/unavailable says
# why and the script still exits 0 (the tier goes on with PoCL).
# Usage: tests/drivers/setup.sh BUILD_DIR
set -eu
build=$(cd "$1" && pwd)
dir=$build/drivers
venv=$dir/intel-venv
# pinned, so that every run tests the same driver; ADNET_INTEL_OPENCL_VERSION tries another
version=${ADNET_INTEL_OPENCL_VERSION:-2026.2.0}
mkdir -p "$dir"
rm -f "$dir/unavailable"

unavailable() {
    echo "$1" > "$dir/unavailable"
    echo "tests/drivers/setup.sh: Intel's OpenCL CPU runtime is not available here: $1" >&2
    exit 0
}

case "$(uname -m)" in
    x86_64) ;;
    *) unavailable "it is built for x86-64 only (this machine is $(uname -m))" ;;
esac

if [ ! -f "$venv/installed-$version" ]; then
    rm -rf "$venv"
    echo "tests/drivers/setup.sh: installing intel-opencl-rt $version from PyPI into $venv" >&2
    /usr/bin/python3 -m venv "$venv" 2> "$dir/venv.err" ||
        unavailable "no Python virtual environment (Debian's python3-venv): $(tail -n 1 "$dir/venv.err")"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "intel-opencl-rt==$version" \
        "intel-cmplr-lib-rt==$version" 2> "$dir/pip.err" ||
        unavailable "pip could not install intel-opencl-rt $version: $(tail -n 1 "$dir/pip.err")"
    touch "$venv/installed-$version"
fi
lib=$venv/lib
[ -f "$lib/libintelocl.so" ] || unavailable "the package has no lib/libintelocl.so"

rm -rf "$dir/icd-intel" "$dir/icd-all"
mkdir -p "$dir/icd-intel" "$dir/icd-all"
echo "$lib/libintelocl.so" > "$dir/icd-intel/intel-cpu.icd"
cp "$dir/icd-intel/intel-cpu.icd" "$dir/icd-all/"
for f in /etc/OpenCL/vendors/*.icd; do
    [ -f "$f" ] && cp "$f" "$dir/icd-all/"
done
for which in intel all; do
    echo "OCL_ICD_VENDORS=$dir/icd-$which; export OCL_ICD_VENDORS" > "$dir/env-$which.sh"
done

# the driver's own verdict: a device on the Intel platform, as adnet lists it
if ! (. "$dir/env-intel.sh" && "$build/adnet" devices --json) > "$dir/probe.json" \
        2> "$dir/probe.err"; then
    unavailable "adnet devices failed with it: $(tail -n 1 "$dir/probe.err")"
fi
grep -q '"platform":[[:space:]]*"Intel(R) OpenCL"' "$dir/probe.json" ||
    unavailable "it lists no device on this CPU ($(grep -m 1 'model name' /proc/cpuinfo | sed 's/.*: //'))"
echo "tests/drivers/setup.sh: Intel's OpenCL CPU runtime $version runs here" >&2
