#!/usr/bin/python3
"""The GPU compilers' verdict on adnet's kernels, without a GPU (CTest label `gpu-compile`).

adnet builds all of cl/ as one program (cl/common.cl first, then the other files in name
order, as cmake/embed_kernels.cmake embeds them). This compiles that program as the GPU vendors'
own compilers would:
  Intel   ocloc (Debian's intel-opencl-icd, taken from the package without registering its GPU
          driver) for gen9 (skl), gen12lp (tgllp) and xe-hpg (dg2-g10); per-kernel figures from
          IGC's shader dumps (the SIMD width it settled on, registers, spill and private bytes);
  AMD     clang-15's AMDGPU backend with Debian's ROCm device libraries for gfx906, gfx90a and
          gfx1030 (-Rpass-analysis=kernel-resource-usage: VGPRs, spills, scratch, LDS, waves);
  NVIDIA  clang-15's NVPTX backend with libclc, then ptxas (when the CUDA toolkit is there) for
          sm_75, sm_86 and sm_90: registers, stack frame, spills, shared memory.
Build options are the GPU profile's (-DGEMM_MC=256 -DGEMM_KC=256), and cl/common.cl with
cl/gemm.cl is compiled again with every GEMM tile `adnet tune` may choose.

It fails on a build error or a compiler warning, on a kernel of the GPU profile that spills
registers or uses scratch (private) memory on any target, and on static local memory above
16 KiB (OpenCL 1.0's minimum, the smallest a GPU can offer; attention_tiled's tiles are
dynamic local memory that the tile planner fits to each device, which the Oclgrind tier runs
down to 16 KiB). The CPU-only kernels (work-groups of one work-item, register tiles sized for
CPU vector units) are reported, not judged: the GPU profile never runs them.

Usage: gpu_compile.py --cl-dir DIR --work DIR [--ocloc-root DIR] [--markdown FILE]
                      [--json FILE] [--extra FILE.cl --expect-failure KERNEL]
Exit 0 when every check holds (with --expect-failure: when that kernel fails on every target
family and nothing else does), 1 otherwise (a missing compiler included)."""

import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys

# The kernels the GPU profile runs (host/ops: im2col and the epilogue for CLBlast's GEMM, the
# GPU-shaped Winograd transforms, the tiled attention and its fallback, pooling, resizing,
# fills) and the FMA peak of `adnet bench`. Every __kernel of cl/ must be in one of the lists.
GPU_KERNELS = ["fill_f32", "im2col_f32", "bias_act_f32", "attention_tiled", "attention_direct",
               "winograd_in_f32", "winograd_out_f32", "maxpool_f32", "global_avgpool_f32",
               "resize_bilinear_f32", "flip_horizontal_f32", "peak_fma_f32"]
# CPU-shaped: work-groups of one work-item looping over register tiles (the "cpu" profile),
# and the 16-wide FMA peak (`adnet bench` keeps the better of the two peak kernels).
CPU_KERNELS = ["gemm_nn_f32", "im2col_rows_f32", "attention_rows", "winograd_in_rows_f32",
               "winograd_out_rows_f32", "peak_fma_f32x16"]
GPU_OPTIONS = "-DGEMM_MC=256 -DGEMM_KC=256"
# adnet tune's GEMM candidates (host/runtime/tuning.c): rows per work-item, depth per pass
GEMM_MC = [64, 128, 256, 512]
GEMM_KC = [64, 128, 256]
LOCAL_LIMIT = 16384

INTEL_TARGETS = [("gen9", "skl"), ("gen12lp", "tgllp"), ("xe-hpg", "dg2-g10")]
AMD_TARGETS = ["gfx906", "gfx90a", "gfx1030"]
NV_TARGETS = ["sm_75", "sm_86", "sm_90"]
ROCM_LIBS = "/usr/lib/x86_64-linux-gnu/amdgcn/bitcode"
LIBCLC_NVPTX = "/usr/lib/clc/nvptx64--nvidiacl.bc"


def program_sources(cl_dir):
    files = sorted(glob.glob(os.path.join(cl_dir, "*.cl")))
    common = os.path.join(cl_dir, "common.cl")
    return [common] + [f for f in files if f != common]


def kernel_names(text):
    return re.findall(r"__kernel\s+(?:__attribute__\(\([^)]*\)\)\)\s*)?void\s+(\w+)", text)


def run(cmd, env=None, cwd=None):
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd)
    return p.returncode, p.stdout + p.stderr


class Verdict:
    def __init__(self, gpu_kernels):
        self.gpu = set(gpu_kernels)
        self.failures = []  # (target, kernel or "", message)
        self.rows = {}      # target -> kernel -> dict

    def fail(self, target, kernel, msg):
        self.failures.append((target, kernel, msg))

    def kernel(self, target, name, info):
        self.rows.setdefault(target, {})[name] = info
        if name not in self.gpu:
            return
        if info.get("spill", 0) > 0:
            self.fail(target, name, "spills %s" % info.get("spill_text", info["spill"]))
        if info.get("scratch", 0) > 0:
            self.fail(target, name, "uses %d bytes of scratch (private) memory per work-item"
                      % info["scratch"])
        if info.get("local", 0) > LOCAL_LIMIT:
            self.fail(target, name, "uses %d bytes of static local memory (limit %d)"
                      % (info["local"], LOCAL_LIMIT))


def warnings_in(log, ignore=()):
    out = []
    for line in log.splitlines():
        if "warning" in line.lower() and not any(re.search(p, line) for p in ignore):
            out.append(line.strip())
    return out


# ---- the three compilers' command lines ------------------------------------------------

def ocloc_compile(args, dev, options, src, out_dir, env):
    return run([os.path.join(args.ocloc_root, "usr", "bin", "ocloc"), "compile", "-file", src,
                "-device", dev, "-options", options, "-out_dir", out_dir, "-q"], env=env)


def amd_compile(args, gfx, options, src, out, opt="-O3"):
    return run([args.clang, "-x", "cl", "-cl-std=CL1.2", "-target", "amdgcn-amd-amdhsa",
                "-mcpu=" + gfx, "--rocm-device-lib-path=" + ROCM_LIBS, opt,
                "-Rpass-analysis=kernel-resource-usage"] + options.split() + [src, "-o", out])


def nvptx_compile(args, options, src, out, opt="-O3"):
    return run([args.clang, "-x", "cl", "-cl-std=CL1.2", "-target", "nvptx64-unknown-nvidiacl",
                "-march=sm_75", "-Xclang", "-mlink-builtin-bitcode", "-Xclang", LIBCLC_NVPTX, opt,
                "-S"] + options.split() + [src, "-o", out])


# ---- Intel ---------------------------------------------------------------------------------

def ocloc_env(root):
    lib = os.path.join(root, "usr", "lib", "x86_64-linux-gnu")
    env = dict(os.environ)
    env["LD_LIBRARY_PATH"] = lib + (":" + env["LD_LIBRARY_PATH"] if env.get("LD_LIBRARY_PATH")
                                    else "")
    return env


def intel_dump(dump_dir):
    """Per kernel, from IGC's dumps: the final compile (IGC retries a kernel that spilled too
    much with other settings, as "_1_" files; the retry is what runs)."""
    best = {}
    for f in glob.glob(os.path.join(dump_dir, "*.asm")):
        m = re.search(r"_(1_)?simd(\d+)_entry_\d+\.asm$", f)
        if not m:
            continue
        head = open(f, errors="replace").read(200000)
        k = re.search(r"^//\.kernel (\w+)", head, re.M)
        if not k:
            continue
        retry = m.group(1) is not None
        info = {"simd": int(m.group(2))}
        g = re.search(r"numGRF=(\d+)", head)
        info["grf"] = int(g.group(1)) if g else 0
        s = re.search(r"^//\.spill size (\d+)", head, re.M)
        info["spill"] = int(s.group(1)) if s else 0
        info["spill_text"] = "%d bytes" % info["spill"]
        pm = re.search(r"^//\.private memory size (\d+)", head, re.M)
        info["scratch"] = int(pm.group(1)) if pm else 0
        name = k.group(1)
        if name not in best or (retry and not best[name][0]):
            best[name] = (retry, info)
    return {n: v[1] for n, v in best.items()}


def intel(args, src, verdict, names):
    env = ocloc_env(args.ocloc_root)
    for family, dev in INTEL_TARGETS:
        target = "Intel %s (%s)" % (family, dev)
        work = os.path.join(args.work, "intel-" + dev)
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
        e = dict(env, IGC_ShaderDumpEnable="1", IGC_DumpToCustomDir=os.path.join(work, "dump"))
        rc, log = ocloc_compile(args, dev, GPU_OPTIONS, src, work, e)
        open(os.path.join(work, "ocloc.log"), "w").write(log)
        if rc != 0 or "Build succeeded" not in log and "error" in log.lower():
            verdict.fail(target, "", "ocloc failed: " + log.strip()[-600:])
            continue
        # IGC's own spill notes are judged per kernel below; any other warning fails
        for w in warnings_in(log, [r"warning: kernel \w+ +compiled SIMD\d+ allocated"]):
            verdict.fail(target, "", "compiler warning: " + w)
        per = intel_dump(os.path.join(work, "dump"))
        for n in names:
            if n not in per:
                verdict.fail(target, n, "no code for the kernel in IGC's dumps")
                continue
            verdict.kernel(target, n, per[n])


# ---- AMD -----------------------------------------------------------------------------------

def amd(args, src, verdict, names):
    for gfx in AMD_TARGETS:
        target = "AMD " + gfx
        out = os.path.join(args.work, "amd-%s.co" % gfx)
        rc, log = amd_compile(args, gfx, GPU_OPTIONS, src, out)
        open(out + ".log", "w").write(log)
        if rc != 0:
            verdict.fail(target, "", "clang failed: " + log.strip()[-600:])
            continue
        for w in warnings_in(log):
            verdict.fail(target, "", "compiler warning: " + w)
        per, cur = {}, None
        for line in log.splitlines():
            m = re.search(r"remark:\s+Function Name: (\w+)", line)
            if m:
                cur = per.setdefault(m.group(1), {})
                continue
            m = re.search(r"remark:\s+([A-Za-z ]+?)(?: \[[^\]]*\])?: (\d+)", line)
            if m and cur is not None:
                cur[m.group(1).strip()] = int(m.group(2))
        for n in names:
            r = per.get(n)
            if r is None:
                verdict.fail(target, n, "no resource report for the kernel")
                continue
            spill = r.get("VGPRs Spill", 0) + r.get("SGPRs Spill", 0)
            verdict.kernel(target, n, {
                "vgpr": r.get("VGPRs", 0), "sgpr": r.get("SGPRs", 0),
                "occupancy": r.get("Occupancy", 0), "spill": spill,
                "spill_text": "%d VGPRs and %d SGPRs" % (r.get("VGPRs Spill", 0),
                                                         r.get("SGPRs Spill", 0)),
                "scratch": r.get("ScratchSize", 0), "local": r.get("LDS Size", 0)})


# ---- NVIDIA --------------------------------------------------------------------------------

def nvidia(args, src, verdict, names):
    ptx = os.path.join(args.work, "nvptx.ptx")
    rc, log = nvptx_compile(args, GPU_OPTIONS, src, ptx)
    if rc != 0:
        verdict.fail("NVIDIA PTX", "", "clang failed: " + log.strip()[-600:])
        return []
    for w in warnings_in(log):
        verdict.fail("NVIDIA PTX", "", "compiler warning: " + w)
    entries = re.findall(r"\.entry (\w+)", open(ptx).read())
    for n in names:
        if n not in entries:
            verdict.fail("NVIDIA PTX", n, "no PTX entry for the kernel")
    if not args.ptxas:
        return ["NVIDIA PTX (no ptxas: registers are allocated by the driver)"]
    for sm in NV_TARGETS:
        target = "NVIDIA " + sm
        rc, log = run([args.ptxas, "-arch=" + sm, "-v", ptx, "-o", os.devnull])
        if rc != 0:
            verdict.fail(target, "", "ptxas failed: " + log.strip()[-600:])
            continue
        per, cur = {}, None
        for line in log.splitlines():
            m = re.search(r"Compiling entry function '(\w+)'", line)
            if m:
                cur = per.setdefault(m.group(1), {})
                continue
            if cur is None:
                continue
            m = re.search(r"(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill "
                          r"loads", line)
            if m:
                cur["stack"], cur["spill"] = int(m.group(1)), int(m.group(2)) + int(m.group(3))
            m = re.search(r"Used (\d+) registers", line)
            if m:
                cur["regs"] = int(m.group(1))
                s = re.search(r"(\d+) bytes smem", line)
                cur["local"] = int(s.group(1)) if s else 0
        for w in warnings_in(log):
            verdict.fail(target, "", "ptxas warning: " + w)
        for n in names:
            r = per.get(n)
            if r is None:
                verdict.fail(target, n, "ptxas compiled no such entry")
                continue
            verdict.kernel(target, n, {"regs": r.get("regs", 0), "spill": r.get("spill", 0),
                                       "spill_text": "%d bytes" % r.get("spill", 0),
                                       "scratch": r.get("stack", 0), "local": r.get("local", 0)})
    return []


# ---- the GEMM tiles adnet tune may choose --------------------------------------------------

def gemm_variants(args, cl_dir, verdict, have):
    src = os.path.join(args.work, "gemm-program.cl")
    with open(src, "w") as f:
        for p in (os.path.join(cl_dir, "common.cl"), os.path.join(cl_dir, "gemm.cl")):
            f.write(open(p).read() + "\n")
    for mc in GEMM_MC:
        for kc in GEMM_KC:
            opts = "-DGEMM_MC=%d -DGEMM_KC=%d" % (mc, kc)
            what = "GEMM tile %s" % opts
            if have["intel"]:
                work = os.path.join(args.work, "gemm-intel")
                os.makedirs(work, exist_ok=True)
                rc, log = ocloc_compile(args, "tgllp", opts, src, work,
                                        ocloc_env(args.ocloc_root))
                bad = warnings_in(log, [r"compiled SIMD\d+ allocated"])
                if rc != 0 or bad:
                    verdict.fail("Intel gen12lp", "", "%s: %s" % (what, (bad or [log])[0][-300:]))
            if have["amd"]:
                rc, log = amd_compile(args, "gfx1030", opts, src,
                                      os.path.join(args.work, "gemm.co"), "-O1")
                if rc != 0 or warnings_in(log):
                    verdict.fail("AMD gfx1030", "", "%s: %s" % (what, log.strip()[-300:]))
            if have["nvidia"]:
                rc, log = nvptx_compile(args, opts, src, os.path.join(args.work, "gemm.ptx"),
                                        "-O1")
                if rc != 0 or warnings_in(log):
                    verdict.fail("NVIDIA PTX", "", "%s: %s" % (what, log.strip()[-300:]))


# ---- the report ----------------------------------------------------------------------------

def cell(target, info):
    if info is None:
        return "-"
    if target.startswith("Intel"):
        s = "SIMD%d" % info["simd"]
        if info["spill"]:
            s += ", spill %d B" % info["spill"]
        if info["scratch"]:
            s += ", private %d B" % info["scratch"]
        return s
    if target.startswith("AMD"):
        s = "%d VGPR, %d waves" % (info["vgpr"], info["occupancy"])
        if info["spill"]:
            s += ", spill %s" % info["spill_text"].replace(" VGPRs and ", "+").replace(" SGPRs",
                                                                                      "")
        if info["scratch"]:
            s += ", scratch %d B" % info["scratch"]
        return s
    s = "%d regs" % info["regs"]
    if info["spill"]:
        s += ", spill %d B" % info["spill"]
    if info["scratch"]:
        s += ", stack %d B" % info["scratch"]
    return s


def markdown(verdict, names, notes):
    targets = list(verdict.rows)
    lines = []
    for group, title in (("Intel", "Intel (ocloc: SIMD width IGC settled on; spill and private "
                          "bytes per work-item where any)"),
                         ("AMD", "AMD (clang-15: VGPRs, waves per SIMD; spills and scratch "
                          "where any)"),
                         ("NVIDIA", "NVIDIA (PTX by clang-15, registers by ptxas; spills and "
                          "stack where any)")):
        ts = [t for t in targets if t.startswith(group)]
        if not ts:
            continue
        lines.append("**%s**" % title)
        lines.append("")
        lines.append("| kernel | " + " | ".join(t.split(" ", 1)[1] for t in ts) + " |")
        lines.append("| --- |" + " --- |" * len(ts))
        for n in names:
            label = "`%s`" % n if n in verdict.gpu else "`%s` (CPU only)" % n
            lines.append("| %s | " % label + " | ".join(cell(t, verdict.rows[t].get(n))
                                                      for t in ts) + " |")
        lines.append("")
    for n in notes:
        lines.append(n)
    return "\n".join(lines).rstrip() + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cl-dir", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--ocloc-root", default="")
    ap.add_argument("--clang", default=shutil.which("clang-15") or "")
    ap.add_argument("--ptxas", default=shutil.which("ptxas") or
                    ("/usr/local/cuda/bin/ptxas" if os.access("/usr/local/cuda/bin/ptxas",
                                                              os.X_OK) else ""))
    ap.add_argument("--markdown")
    ap.add_argument("--json")
    ap.add_argument("--extra", help="another .cl file appended to the program")
    ap.add_argument("--expect-failure", help="a kernel of --extra that must fail everywhere")
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    sources = program_sources(args.cl_dir)
    text = "".join(open(f).read() + "\n" for f in sources)
    if args.extra:
        text += open(args.extra).read() + "\n"
    names = kernel_names(text)
    gpu = list(GPU_KERNELS) + ([args.expect_failure] if args.expect_failure else [])
    unknown = [n for n in names if n not in gpu and n not in CPU_KERNELS]
    src = os.path.join(args.work, "program.cl")
    open(src, "w").write(text)
    verdict = Verdict(gpu)
    for n in unknown:
        verdict.fail("", n, "a kernel of cl/ in neither GPU_KERNELS nor CPU_KERNELS of "
                     "tests/gpu_compile/gpu_compile.py: say which profile runs it")
    have = {"intel": bool(args.ocloc_root) and os.path.exists(
                os.path.join(args.ocloc_root, "usr", "bin", "ocloc")),
            "amd": bool(args.clang) and os.path.isdir(ROCM_LIBS),
            "nvidia": bool(args.clang) and os.path.exists(LIBCLC_NVPTX)}
    missing = [k for k, v in have.items() if not v]
    notes = []
    if not any(have.values()):
        print("FAILED  no GPU compiler here (make test-gpu-compile installs them)")
        return 1
    for k in missing:
        verdict.fail(k, "", "its compiler is missing (make test-gpu-compile installs it)")
    if have["intel"]:
        intel(args, src, verdict, names)
    if have["amd"]:
        amd(args, src, verdict, names)
    if have["nvidia"]:
        notes += nvidia(args, src, verdict, names)
    if not args.extra:
        gemm_variants(args, args.cl_dir, verdict, have)
    for t in verdict.rows:
        print("%-24s %s" % (t, ", ".join("%s %s" % (n, cell(t, verdict.rows[t].get(n)))
                                         for n in names if n in verdict.gpu)))
    if args.markdown:
        open(args.markdown, "w").write(markdown(verdict, names, notes))
    if args.json:
        json.dump({"targets": verdict.rows, "failures": verdict.failures,
                   "gpu_kernels": sorted(verdict.gpu)}, open(args.json, "w"), indent=1)
    for t, k, msg in verdict.failures:
        print("FAILED  %s%s%s" % (t, ": " + k if k else "", ": " + msg))
    if args.expect_failure:
        k = args.expect_failure
        families = {"Intel", "AMD", "NVIDIA"} & {t.split()[0] for t in verdict.rows}
        caught = {t.split()[0] for t, kk, _ in verdict.failures if kk == k}
        others = [f for f in verdict.failures if f[1] != k]
        ok = caught == families and not others
        print("%s  %s caught on %s of %s" % ("ok     " if ok else "FAILED ", k,
                                             sorted(caught), sorted(families)))
        return 0 if ok else 1
    print("%d targets, %d kernels (%d of the GPU profile), %d failures"
          % (len(verdict.rows), len(names), len([n for n in names if n in verdict.gpu]),
             len(verdict.failures)))
    return 1 if verdict.failures else 0


if __name__ == "__main__":
    sys.exit(main())
