"""The house's layering rules (docs/architecture.md), checked on the sources and the build:

1. every layer's library links only the layers the table allows it, and the table itself
   only points down (each allowed layer comes earlier in the order);
2. every `#include "..."` of host/<layer>/ names a header of its own folder or of a layer it
   may use (no paths: a header is found through the include directories, which CMake gives
   only to the layers that link its folder, so the compiler refuses the rest too);
3. no two files of host/ depend on each other, directly or in a cycle (a file's module is its
   name without .c/.h; x.c or x.h including y.h makes x depend on y);
4. no OpenCL call (cl*()) outside host/runtime/, and no test of a device's type or vendor in
   the ops, model, video or perf layers (the device profile holds every such choice);
5. file names are unique across host/.

Usage: check_layers.py SOURCE_DIR LAYERS_TSV     (LAYERS_TSV: the build's layers.tsv)
       check_layers.py --selftest                (the checker finds planted violations)"""
import os
import re
import sys
import tempfile

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
CL_CALL = re.compile(r"\bcl[A-Z]\w*\s*\(")
DEVICE_TEST = re.compile(r"ADNET_DEVICE_(CPU|GPU|ACCELERATOR|OTHER)\b|\binfo\.type\b|\.vendor\b")
NO_DEVICE_TESTS = {"ops", "model", "video", "perf"}


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def read_table(path):
    order, allowed, links = [], {}, {}
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 3:
                continue
            layer, kind, value = parts
            deps = [d for d in value.split(";") if d]
            if kind == "allowed":
                order.append(layer)
                allowed[layer] = deps
            else:
                links[layer] = [d[len("adnet_"):] for d in deps if d.startswith("adnet_")]
    return order, allowed, links


def check(source, order, allowed, links):
    problems = []
    host = os.path.join(source, "host")
    # 1. links
    for i, layer in enumerate(order):
        for dep in allowed[layer]:
            if dep not in order[:i]:
                problems.append(f"layer table: {layer} may use {dep}, which is not below it")
        for dep in links.get(layer, []):
            if dep not in allowed[layer]:
                problems.append(f"link: adnet_{layer} links adnet_{dep}, which it may not use")
    # the files of each folder
    files = {}
    for folder in sorted(os.listdir(host)):
        path = os.path.join(host, folder)
        if os.path.isdir(path):
            files[folder] = sorted(f for f in os.listdir(path) if f.endswith((".c", ".h")))
    where = {}
    for folder, names in files.items():
        for n in names:
            if n in where:
                problems.append(f"names: host/{folder}/{n} and host/{where[n][0]}/{n}")
            where.setdefault(n, []).append(folder)
    public = set(os.listdir(os.path.join(source, "include")))
    deps_of = {}
    for folder, names in files.items():
        may = (set(order) if folder == "cli" else set(allowed.get(folder, []))) | {folder}
        for n in names:
            rel = f"host/{folder}/{n}"
            with open(os.path.join(host, folder, n)) as f:
                text = f.read()
            code = strip_comments(text)
            mod = os.path.splitext(n)[0]
            for inc in INCLUDE.findall(code):
                if "/" in inc:
                    problems.append(f"include: {rel} includes '{inc}' by path")
                    continue
                if inc in public:
                    continue
                homes = where.get(inc)
                if homes is None:
                    continue  # generated or external
                # the compiler finds the header of the own folder first, then the others
                home = folder if folder in homes else next((h for h in homes if h in may),
                                                           homes[0])
                if home not in may:
                    problems.append(f"include: {rel} ({folder}) includes {inc} of {home}")
                dep = os.path.splitext(inc)[0]
                if dep != mod:
                    deps_of.setdefault(f"{folder}/{mod}", set()).add(f"{home}/{dep}")
            if folder != "runtime":
                for m in CL_CALL.finditer(code):
                    line = code[: m.start()].count("\n") + 1
                    problems.append(f"OpenCL: {rel}:{line} calls {m.group(0).rstrip('(')}")
            if folder in NO_DEVICE_TESTS:
                for m in DEVICE_TEST.finditer(code):
                    line = code[: m.start()].count("\n") + 1
                    problems.append(f"device test: {rel}:{line} reads {m.group(0)}")
    # 3. cycles among modules
    state = {}

    def visit(node, stack):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(deps_of.get(node, ())):
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt):] + [nxt]
                problems.append("cycle: " + " -> ".join(cycle))
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = 2

    for node in sorted(deps_of):
        if node not in state:
            visit(node, [])
    return problems


def selftest():
    """Plants one violation of each kind in a small tree; each must be reported."""
    with tempfile.TemporaryDirectory() as root:
        def write(rel, text):
            path = os.path.join(root, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(text)
        write("include/adnet.h", "")
        write("host/base/status.h", "")
        write("host/runtime/device.h", '#include "status.h"\n')
        write("host/ops/conv.c", '#include "model.h"\nvoid f(void) { clFinish(q); }\n')
        write("host/ops/a.h", '#include "b.h"\n')
        write("host/ops/b.h", '#include "a.h"\n')
        write("host/model/model.h", '#include "../ops/a.h"\n')
        write("host/video/v.c", "int t = ADNET_DEVICE_CPU; /* ADNET_DEVICE_GPU in a comment */\n")
        write("host/video/status.h", "")
        order = ["base", "runtime", "ops", "model", "video"]
        allowed = {"base": [], "runtime": ["base"], "ops": ["runtime", "base", "model"],
                   "model": ["ops"], "video": ["model"]}
        allowed["ops"] = ["runtime", "base"]
        links = {"ops": ["runtime", "model"]}
        problems = check(root, order, allowed, links)
        expected = ["link: adnet_ops links adnet_model",
                    "include: host/ops/conv.c (ops) includes model.h of model",
                    "OpenCL: host/ops/conv.c:2 calls clFinish",
                    "cycle: ops/a -> ops/b -> ops/a",
                    "include: host/model/model.h includes '../ops/a.h' by path",
                    "device test: host/video/v.c:1 reads ADNET_DEVICE_CPU",
                    "names: host/video/status.h and host/base/status.h"]
        missing = [e for e in expected if not any(p.startswith(e) for p in problems)]
        extra = [p for p in problems if not any(p.startswith(e) for e in expected)]
        bad_table = check(root, order, dict(allowed, base=["video"]), {})
        for e in missing:
            print("selftest: not reported: " + e)
        for p in extra:
            print("selftest: reported wrongly: " + p)
        table_ok = any(p.startswith("layer table: base may use video") for p in bad_table)
        if not table_ok:
            print("selftest: an upward entry of the table was not reported")
        ok = not missing and not extra and table_ok
        print("check_layers selftest: " + ("all planted violations found" if ok else "FAILED"))
        return 0 if ok else 1


def main():
    if len(sys.argv) == 2 and sys.argv[1] == "--selftest":
        return selftest()
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    order, allowed, links = read_table(sys.argv[2])
    if not order:
        print(f"check_layers: no layers in {sys.argv[2]}")
        return 1
    problems = check(sys.argv[1], order, allowed, links)
    for p in problems:
        print("FAIL: " + p)
    print(f"check_layers: {len(order)} layers ({' < '.join(order)}), "
          f"{'all rules hold' if not problems else f'{len(problems)} violation(s)'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
