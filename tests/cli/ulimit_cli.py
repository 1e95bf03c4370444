#!/usr/bin/python3
"""Runs under an address-space limit (`ulimit -v`) fail cleanly: `adnet demo` with cold kernel
caches under limits from too small for the OpenCL runtime to start, through too small to
compile adnet's kernels, to enough. Each run must end with exit 0, or exit 1 and a message that
names the address-space limit; never a signal (an uncaught C++ exception from the OpenCL
compiler is SIGABRT, a crash SIGSEGV) and never a half-written output file.

usage: ulimit_cli.py ADNET WORKDIR [--sanitized]
(--sanitized: AddressSanitizer reserves terabytes of address space; nothing to check there.)
"""
import os
import resource
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from checks import check, finish  # noqa: E402

MIB = 1 << 20


def run(adnet, work, limit_mib):
    out = os.path.join(work, "out-%d" % limit_mib)
    caches = os.path.join(work, "cache-%d" % limit_mib)
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(caches, ignore_errors=True)
    env = dict(os.environ, ADNET_CACHE_DIR=os.path.join(caches, "adnet"),
               POCL_CACHE_DIR=os.path.join(caches, "pocl"))

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (limit_mib * MIB, limit_mib * MIB))

    p = subprocess.run([adnet, "demo", "--out", out], env=env, preexec_fn=limit,
                       capture_output=True, text=True, timeout=900)
    last = p.stderr.strip().splitlines()[-1] if p.stderr.strip() else ""
    print("ulimit -v %d MiB: exit %d: %s" % (limit_mib, p.returncode, last))
    check(p.returncode in (0, 1), "%d MiB: exit 0 or 1, not a signal (%d)" % (limit_mib,
                                                                            p.returncode))
    if p.returncode == 1:
        check("address-space limit" in p.stderr,
              "%d MiB: the message names the address-space limit: %r" % (limit_mib, last))
    leftovers = []
    for root, _, files in os.walk(out):
        leftovers += [f for f in files if ".tmp" in f or f.startswith(".")]
    check(not leftovers, "%d MiB: no half-written files: %s" % (limit_mib, leftovers[:3]))
    if p.returncode == 0:
        check(os.path.exists(os.path.join(out, "contact_sheet.png")),
              "%d MiB: a successful run wrote its outputs" % limit_mib)
    shutil.rmtree(caches, ignore_errors=True)
    return p.returncode


def main():
    adnet, work = sys.argv[1:3]
    if "--sanitized" in sys.argv:
        print("ulimit_cli: skipped under AddressSanitizer (it reserves terabytes of address "
              "space)")
        return 0
    os.makedirs(work, exist_ok=True)
    codes = [run(adnet, work, m) for m in (256, 700, 4096)]
    check(codes[0] == 1 and codes[1] == 1, "the small limits fail (%s)" % codes[:2])
    check(codes[2] == 0, "4 GiB is enough for the demo (%d)" % codes[2])
    return finish("ulimit_cli")


if __name__ == "__main__":
    sys.exit(main())
