"""The JSON schema of benchmark results (adnet-bench/1), as docs/benchmarks.md documents it,
and a validator. `adnet bench`, bench/pytorch_baseline.py, bench/onnxruntime_baseline.py and
bench/openvino_baseline.py write it; bench/compare and the tests read it.

A spec is one of:
    "str", "int", "num", "bool"   a JSON value of that type ("num" takes integers too)
    None                          null
    ("alt", a, b, ...)            any one of the specs a, b, ...
    {"key": spec, "key?": spec}   an object with these keys ("?": optional); others allowed
    [spec]                        an array whose items all match spec
"""

SCHEMA_NAME = "adnet-bench/1"
RUNTIMES = ("adnet", "pytorch", "onnxruntime", "openvino")


def _opt(spec):
    return ("alt", spec, None)


ROW = {"name": "str", "s": "num", "share": "num", "macs": "num", "gflops": _opt("num"),
       "pct_fma_peak?": _opt("num"), "pct_sgemm_peak?": _opt("num")}

STEP = {"name": "str", "group": "str", "kind": "str", "macs": "num", "out": ["int"], "s": "num",
        "gflops": _opt("num")}

PROFILE = {
    "method": "str",  # in-order-queue-events (adnet), host-timers (pytorch), ort-profiler,
    # openvino-perf-counters
    "runs": "int",
    "wall_s": "num",
    "device_s": _opt("num"),
    "groups": [ROW],
    "kinds?": _opt([ROW]),
    "roles?": _opt([ROW]),
    "steps?": _opt([STEP]),
}

TIMING = {"frames": "int", "s_per_frame": "num", "fps": "num", "median_s": "num",
          "min_s": "num", "max_s": "num", "macs": "num", "gflops": _opt("num"),
          "pct_fma_peak": _opt("num"), "pct_sgemm_peak": _opt("num")}

FIRST_FRAME = {"total_s": "num", "open_s": "num", "program_s": "num",
               "program_from_cache": "bool", "weights_s": "num", "prepare_s": "num",
               "anchor_s": "num", "frame_s": "num", "process_s": _opt("num"),
               "peak_rss_bytes": _opt("num")}

RESULT = {
    "device": {"name": "str", "type": "str", "platform": "str", "vendor": "str",
               "driver_version": "str", "opencl_version": _opt("str")},
    "model": {"kind": "str", "depth": "int", "embed": "int", "width": "int", "height": "int",
              "feature_width": "int", "feature_height": "int"},
    "flops": {"features_macs": "num", "attention_macs": "num", "classifier_macs": "num",
              "frame_macs": "num", "released_loop_macs": "num",
              "frame_executed_macs?": "num"},
    "steady": _opt({"anchor_cached": TIMING, "anchor_recomputed": TIMING}),
    "first_frame": {"cold": _opt(FIRST_FRAME), "warm": _opt(FIRST_FRAME)},
    "profile": _opt(PROFILE),
    "anchor_profile?": _opt(PROFILE),
    "host_per_frame": _opt({"frame_width": "int", "frame_height": "int",
                            "preprocess_s": "num", "postprocess_s": "num"}),
    "gemm_backend?": _opt("str"),
    "device_profile?": _opt("str"),
    "tuning?": "str",  # adnet: the device's `adnet tune` entry, or why the defaults run
    "peak": _opt({"fma_gflops": _opt("num"), "sgemm_gflops": _opt("num"),
                  "sgemm_kind?": _opt("str")}),
    "memory": {"device_peak_bytes": _opt("num"), "host_peak_rss_bytes": _opt("num")},
}

DOCUMENT = {
    "schema": "str",
    "runtime": "str",
    "runtime_version": "str",
    "git_commit": "str",
    "date": "str",
    "host": {"os": "str", "cpu": "str", "logical_cpus": "int", "memory_bytes": _opt("num"),
             "load_average": _opt(["num"]), "load_average_end?": _opt(["num"])},
    "options": {"model": "str", "backbone": _opt("int"), "width": "int", "height": "int",
                "frames": "int", "warmup": "int", "dry_run": "bool"},
    "results": [RESULT],
    # `adnet bench --together`: devices run as one pool, against each alone
    "pools?": _opt([{"devices": ["str"], "alone_fps": ["num"], "frames_per_device": ["num"],
                     "frames": "int", "seconds": "num", "fps": "num", "sum_alone_fps": "num",
                     "efficiency": "num"}]),
}


def _matches_type(value, name):
    if name == "str":
        return isinstance(value, str)
    if name == "bool":
        return isinstance(value, bool)
    if name == "int":
        return isinstance(value, int) and not isinstance(value, bool) or (
            isinstance(value, float) and value.is_integer())
    if name == "num":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    raise ValueError("unknown type %r in the schema" % name)


def _check(value, spec, path, errors):
    if spec is None:
        if value is not None:
            errors.append("%s: expected null, got %s" % (path, type(value).__name__))
    elif isinstance(spec, str):
        if not _matches_type(value, spec):
            errors.append("%s: expected %s, got %r" % (path, spec, value))
    elif isinstance(spec, tuple) and spec and spec[0] == "alt":
        results = []
        for alt in spec[1:]:
            sub = []
            _check(value, alt, path, sub)
            if not sub:
                return
            results.append((alt, sub))
        # the alternative of the value's own kind (an object for an object...) says best
        # what is wrong inside it
        same_kind = [sub for alt, sub in results if _kind(alt) == _kind(value)]
        if len(same_kind) == 1:
            errors.extend(same_kind[0])
        else:
            errors.append("%s: %s matches none of the allowed forms" % (path, _short(value)))
    elif isinstance(spec, dict):
        if not isinstance(value, dict):
            errors.append("%s: expected an object, got %s" % (path, type(value).__name__))
            return
        for key, sub in spec.items():
            optional = key.endswith("?")
            k = key[:-1] if optional else key
            if k not in value:
                if not optional:
                    errors.append("%s: missing key '%s'" % (path, k))
                continue
            _check(value[k], sub, "%s.%s" % (path, k), errors)
    elif isinstance(spec, list):
        if not isinstance(value, list):
            errors.append("%s: expected an array, got %s" % (path, type(value).__name__))
            return
        for i, item in enumerate(value):
            _check(item, spec[0], "%s[%d]" % (path, i), errors)
    else:
        raise ValueError("bad schema spec %r" % (spec,))


def _kind(x):
    """null, object, array or scalar: of a value, or of a spec (which spells objects as dicts
    and arrays as lists too)."""
    if x is None:
        return "null"
    if isinstance(x, dict):
        return "object"
    if isinstance(x, list):
        return "array"
    return "scalar"


def _short(value):
    text = repr(value)
    return text if len(text) < 60 else text[:57] + "..."


def validate(doc):
    """Every way doc departs from the schema, as 'path: problem' strings (empty: valid)."""
    errors = []
    _check(doc, DOCUMENT, "$", errors)
    if not errors:
        if doc["schema"] != SCHEMA_NAME:
            errors.append("$.schema: %r, expected %r" % (doc["schema"], SCHEMA_NAME))
        if doc["runtime"] not in RUNTIMES:
            errors.append("$.runtime: %r is none of %s" % (doc["runtime"], ", ".join(RUNTIMES)))
    return errors
