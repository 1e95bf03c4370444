"""What the PyTorch and ONNX Runtime baselines share: the machine's description, timing
statistics, the host pre- and post-processing measured as `adnet bench` measures it, and the
result document in the adnet-bench/1 schema (bench/bench_schema.py, docs/benchmarks.md)."""

import datetime
import json
import os
import platform
import resource
import statistics
import subprocess
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

# The size at which pre- and post-processing are timed (DAVIS frames; adnet uses the same).
FRAME_W, FRAME_H = 854, 480
BGR_MEAN = (104.00698793, 116.66876762, 122.67891434)


def parse_size(text):
    try:
        w, h = text.lower().split("x")
        w, h = int(w), int(h)
    except ValueError:
        raise ValueError("size must be WxH, e.g. 857x481, not %r" % text)
    if w < 1 or h < 1:
        raise ValueError("size must be positive: %r" % text)
    return w, h


def _file_value(path, key):
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(key):
                    return line[len(key):].lstrip(" \t:=").strip().strip('"')
    except OSError:
        pass
    return ""


def load_average():
    try:
        with open("/proc/loadavg") as f:
            return [float(x) for x in f.read().split()[:3]]
    except (OSError, ValueError):
        return None


def host_info():
    pretty = _file_value("/etc/os-release", "PRETTY_NAME")
    u = platform.uname()
    os_name = "%s %s %s%s" % (u.system, u.release, u.machine, " (%s)" % pretty if pretty else "")
    mem = _file_value("/proc/meminfo", "MemTotal")
    try:
        mem_bytes = float(mem.split()[0]) * 1024
    except (IndexError, ValueError):
        mem_bytes = None
    return {
        "os": os_name,
        "cpu": _file_value("/proc/cpuinfo", "model name") or u.machine or "unknown",
        "logical_cpus": os.cpu_count() or 1,
        "memory_bytes": mem_bytes,
        "load_average": load_average(),
    }


def git_commit():
    try:
        out = subprocess.run(["git", "-C", REPO, "rev-parse", "--short=12", "HEAD"],
                             capture_output=True, text=True, timeout=10)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def peak_rss_bytes():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def timing(samples, macs):
    """The TIMING object of the schema from per-frame seconds."""
    mean = statistics.fmean(samples)
    return {
        "frames": len(samples), "s_per_frame": mean, "fps": 1.0 / mean,
        "median_s": statistics.median(samples), "min_s": min(samples), "max_s": max(samples),
        "macs": macs, "gflops": 2.0 * macs / mean / 1e9,
        "pct_fma_peak": None, "pct_sgemm_peak": None,
    }


def add_peak_shares(result):
    """Fills pct_sgemm_peak of the timings and rows from result['peak']['sgemm_gflops']."""
    peak = (result.get("peak") or {}).get("sgemm_gflops")
    if not peak:
        return
    for t in (result.get("steady") or {}).values():
        if t.get("gflops"):
            t["pct_sgemm_peak"] = 100.0 * t["gflops"] / peak
    for row in ((result.get("profile") or {}).get("groups") or []):
        if row.get("gflops"):
            row["pct_sgemm_peak"] = 100.0 * row["gflops"] / peak


def group_rows(group_seconds, group_macs, wall_s):
    """Profile rows in the schema's order: transfers first (none here), then the layer groups
    that have time, then "host" (what the groups do not cover)."""
    rows = []
    covered = 0.0
    for name, s in group_seconds.items():
        macs = group_macs.get(name, 0)
        covered += s
        rows.append({"name": name, "s": s, "share": s / wall_s if wall_s > 0 else 0,
                     "macs": macs, "gflops": 2.0 * macs / s / 1e9 if macs and s > 0 else None})
    other = wall_s - covered
    rows.append({"name": "host", "s": other, "share": other / wall_s if wall_s > 0 else 0,
                 "macs": 0, "gflops": None})
    return rows


def synthetic_frame(seed=1):
    """A DAVIS-sized BGR frame of smooth colour ramps with mild noise (as adnet bench makes
    it), so that its JPEG decodes like a photograph's rather than like noise."""
    rng = np.random.RandomState(seed)
    yy, xx = np.mgrid[0:FRAME_H, 0:FRAME_W]
    img = np.stack([xx * 255 // FRAME_W, yy * 255 // FRAME_H, (xx + yy) * 127 // FRAME_W], -1)
    img = img + rng.randint(-4, 4, size=img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def time_host_steps(width, height, feat_w, feat_h, runs, upsample):
    """Seconds per frame of the released loop's host work at 854 x 480: JPEG decode with
    OpenCV, resize to the network input, mean subtraction, channels first (preprocess); and
    the logits upsampled to the frame's size with align_corners=True (upsample(logits, h, w),
    given by the caller) and thresholded (postprocess)."""
    import cv2

    ok, jpeg = cv2.imencode(".jpg", synthetic_frame(), [cv2.IMWRITE_JPEG_QUALITY, 95])
    if not ok:
        raise RuntimeError("cv2.imencode failed")
    mean = np.array(BGR_MEAN, np.float32)
    pre = 0.0
    for _ in range(runs):
        t0 = time.perf_counter()
        img = cv2.imdecode(jpeg, cv2.IMREAD_COLOR)
        img = cv2.resize(img, (width, height), interpolation=cv2.INTER_LINEAR)
        x = np.ascontiguousarray((img.astype(np.float32) - mean).transpose(2, 0, 1))[None]
        pre += time.perf_counter() - t0
    del x
    yy, xx = np.mgrid[0:feat_h, 0:feat_w]
    r2 = 0.15 * feat_w * feat_h / np.pi
    logits = np.where((xx - 0.5 * feat_w) ** 2 + (yy - 0.5 * feat_h) ** 2 < r2, 3.0, -3.0)
    logits = logits.astype(np.float32)[None, None]
    post = 0.0
    for _ in range(runs):
        t0 = time.perf_counter()
        up = upsample(logits, FRAME_H, FRAME_W)
        mask = (up > 0.5).astype(np.uint8) * 255
        post += time.perf_counter() - t0
    del mask
    return pre / runs, post / runs


def document(runtime, runtime_version, options, result, host):
    """The whole adnet-bench/1 document around one result; host is host_info() taken when the
    run started (its load average is the one before the run)."""
    return {
        "schema": "adnet-bench/1",
        "runtime": runtime,
        "runtime_version": runtime_version,
        "git_commit": git_commit(),
        "date": utc_now(),
        "host": host,
        "options": options,
        "results": [result],
    }


def write_json(path, doc):
    doc["host"]["load_average_end"] = load_average()
    tmp = "%s.tmp%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)


def cpu_device(platform_name, version):
    """The "device" object for a CPU runtime."""
    cpu = host_info()["cpu"]
    return {"index": 0, "name": cpu, "vendor": _file_value("/proc/cpuinfo", "vendor_id"),
            "platform": platform_name, "type": "cpu", "driver_version": version,
            "opencl_version": None, "threads": os.cpu_count() or 1}


def add_common_args(parser, models, backbones):
    """The options both baselines take, with `adnet bench`'s names and defaults."""
    parser.add_argument("--model", default="ad", choices=models)
    parser.add_argument("--backbone", type=int, default=101, choices=sorted(backbones))
    parser.add_argument("--size", type=parse_size, default=(857, 481), help="WxH")
    parser.add_argument("--frames", type=int, default=3, help="timed frames per mode")
    parser.add_argument("--warmup", type=int, default=1, help="untimed frames before them")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=1)


def add_output_args(parser):
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--quiet", action="store_true")


def check_common_args(parser, args):
    if args.frames < 1:
        parser.error("--frames must be at least 1")
    if args.warmup < 0 or args.threads < 1:
        parser.error("--warmup must be >= 0 and --threads >= 1")


def print_summary(doc):
    """The terminal summary of a baseline's document: the two timings and the layer groups."""
    r = doc["results"][0]
    m = r["model"]
    print("%s %s, %s R%d at %dx%d on %s" % (doc["runtime"], doc["runtime_version"], m["kind"],
                                            m["depth"], m["width"], m["height"],
                                            r["device"]["platform"]))
    for key in ("anchor_cached", "anchor_recomputed"):
        t = r["steady"][key]
        print("  %-18s %8.3f s/frame %7.3f fps %7.1f GFLOP/s (median %.3f, %d frames)"
              % (key.replace("_", " "), t["s_per_frame"], t["fps"], t["gflops"], t["median_s"],
                 t["frames"]))
    for row in r["profile"]["groups"]:
        print("  %-12s %9.2f ms %5.1f%%%s" % (row["name"], 1e3 * row["s"], 100 * row["share"],
                                              "  %6.1f GFLOP/s" % row["gflops"]
                                              if row["gflops"] else ""))
