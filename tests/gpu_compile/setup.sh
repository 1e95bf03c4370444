#!/bin/sh
# Takes Intel's offline GPU compiler, ocloc, out of Debian's intel-opencl-icd into DIR without
# installing the package: with its ICD file registered, every ASan build that enumerates OpenCL
# platforms aborts (the GPU driver dlopens libdxcore.so with RTLD_DEEPBIND, which the sanitizer
# runtime refuses), and a machine without an Intel GPU has no use for the driver. The
# libraries ocloc loads (libigc1, libigdfcl1, libigdgmm12, libopencl-clang14) are ordinary
# packages that register nothing; `make test-gpu-compile` installs them.
# Usage: tests/gpu_compile/setup.sh DIR
set -eu
dir=$1
[ -x "$dir/usr/bin/ocloc" ] && exit 0
mkdir -p "$dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get download intel-opencl-icd >/dev/null 2>&1) || {
    echo "gpu-compile setup: apt-get download intel-opencl-icd failed (Debian 12's package)" >&2
    exit 1
}
dpkg-deb -x "$tmp"/intel-opencl-icd_*.deb "$tmp/pkg"
# ocloc and its own library only: the ICD file and the GPU driver stay out
mkdir -p "$dir/usr/bin" "$dir/usr/lib/x86_64-linux-gnu"
cp "$tmp/pkg/usr/bin/ocloc" "$dir/usr/bin/"
cp -P "$tmp/pkg/usr/lib/x86_64-linux-gnu/libocloc.so" "$dir/usr/lib/x86_64-linux-gnu/"
echo '__kernel void probe(__global float *x) { x[get_global_id(0)] = 1.0f; }' > "$tmp/probe.cl"
LD_LIBRARY_PATH="$dir/usr/lib/x86_64-linux-gnu" "$dir/usr/bin/ocloc" compile -q \
    -file "$tmp/probe.cl" -device skl -out_dir "$tmp/probe" >/dev/null 2>&1 || {
    rm -rf "$dir"
    echo "gpu-compile setup: ocloc does not start (are libigc1 and libigdfcl1 installed?)" >&2
    exit 1
}
echo "gpu-compile setup: ocloc in $dir/usr/bin" >&2
