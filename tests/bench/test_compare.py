#!/usr/bin/python3
"""bench/compare on two results (adnet bench and the PyTorch baseline, both tiny): the
Markdown table has one row per result with its figures, the per-group table has a column per
result, the PNG is a readable image; a file that does not fit the schema fails, naming the
file and the field, and writes nothing.

usage: test_compare.py COMPARE ADNET_JSON PYTORCH_JSON OUT_DIR
"""

import json
import os
import subprocess
import sys
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from checks import check, finish  # noqa: E402




def main():
    compare, adnet_json, pytorch_json, out = sys.argv[1:5]
    os.makedirs(out, exist_ok=True)
    md, png = os.path.join(out, "comparison.md"), os.path.join(out, "comparison.png")
    for p in (md, png):
        if os.path.exists(p):
            os.remove(p)
    r = subprocess.run([sys.executable, compare, adnet_json, pytorch_json, "--markdown", md,
                        "--png", png], capture_output=True, text=True, timeout=300)
    sys.stderr.write(r.stderr)
    check(r.returncode == 0, "compare exits 0")
    if r.returncode != 0:
        return 1
    text = open(md).read()
    lines = text.splitlines()
    rows = [l for l in lines if l.startswith("| adnet ") or l.startswith("| pytorch ")]
    check(len(rows) == 2, "one table row per result (%d)" % len(rows))
    for path, prefix in ((adnet_json, "| adnet "), (pytorch_json, "| pytorch ")):
        doc = json.load(open(path))
        res = doc["results"][0]
        row = next((l for l in rows if l.startswith(prefix)), "")
        for mode in ("anchor_cached", "anchor_recomputed"):
            s = "%.3f s" % res["steady"][mode]["s_per_frame"]
            check(s in row, "%s row shows %s %s" % (doc["runtime"], mode, s))
        check("%dx%d" % (res["model"]["width"], res["model"]["height"]) in row,
              "%s row shows the size" % doc["runtime"])
        check(doc["git_commit"] in row, "%s row shows the commit" % doc["runtime"])
    header = next((l for l in lines if l.startswith("| group |")), "")
    check("adnet" in header and "pytorch" in header, "group table has both results")
    check(any(l.startswith("| layer3 |") for l in lines), "group table has layer3")
    check("![seconds per frame](comparison.png)" in text, "the table links the chart")
    with open(png, "rb") as f:
        check(f.read(8) == b"\x89PNG\r\n\x1a\n", "the chart is a PNG")
    import matplotlib.image
    img = matplotlib.image.imread(png)
    check(img.ndim == 3 and img.shape[0] > 100 and img.shape[1] > 100,
          "the chart decodes (%s)" % (img.shape,))

    # a result missing a field: a clear failure, nothing written
    doc = json.load(open(adnet_json))
    del doc["results"][0]["steady"]["anchor_cached"]["fps"]
    bad = os.path.join(out, "broken.json")
    with open(bad, "w") as f:
        json.dump(doc, f)
    md2 = os.path.join(out, "broken.md")
    r = subprocess.run([sys.executable, compare, bad, "--markdown", md2], capture_output=True,
                       text=True, timeout=120)
    check(r.returncode != 0 and "broken.json" in r.stderr and "fps" in r.stderr,
          "a broken file fails naming it and the field (%r)" % r.stderr.strip())
    check(not os.path.exists(md2), "nothing written for a broken file")
    return finish("bench_compare")


if __name__ == "__main__":
    sys.exit(main())
