#!/usr/bin/python3
"""`adnet eval` against davis_metrics_ref.py (NumPy + scikit-image + PIL) on the PNG tree of
make_davis_tree.py: per-frame J, F, precision and recall agree to 1e-9; every sequence and
dataset statistic (mean, recall, decay, J&F, the released IoU) agrees exactly; saliency MAE
and F-max to 1e-12; the missing frames and heat maps, the missing result folder and the
ignored files are reported as the tree was made. Runs with the heat maps found beside the
masks and every video (--set all), then the val set with --threshold and --no-heatmaps, then
the train set with an explicit --heatmaps and one thread; the CSV repeats the JSON's numbers.

Usage: test_eval.py ADNET TREE_DIR WORK_DIR
"""
import csv
import json
import math
import os
import shutil
import subprocess
import sys
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from checks import fail, finish  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE = os.path.join(HERE, "..", "reference", "davis_metrics_ref.py")

worst = [0.0]



def num(v):
    return float("nan") if v is None else float(v)


def same(a, b):
    a, b = num(a), num(b)
    return a == b or (math.isnan(a) and math.isnan(b))


def close(a, b, tol):
    a, b = num(a), num(b)
    if math.isnan(a) and math.isnan(b):
        return True
    return abs(a - b) <= tol


def run_adnet(adnet, args):
    p = subprocess.run([adnet, "eval"] + args, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def run_reference(out_json, davis, results, videos, heatmaps=None, threshold=0):
    cmd = [sys.executable, REFERENCE, "--davis", davis, "--results", results,
           "--videos", ",".join(videos), "--threshold", str(threshold)]
    if heatmaps:
        cmd += ["--heatmaps", heatmaps]
    subprocess.run(cmd + [out_json], check=True)
    with open(out_json) as fp:
        return json.load(fp)


def compare(label, got, ref, with_heat):
    gs, rs = got["sequences"], ref["sequences"]
    if [s["name"] for s in gs] != [s["name"] for s in rs]:
        fail("%s: sequences %s, reference %s" % (label, [s["name"] for s in gs],
                                                 [s["name"] for s in rs]))
        return
    for g, r in zip(gs, rs):
        name = "%s/%s" % (label, g["name"])
        if g["n_frames"] != r["n_frames"] or len(g["frames"]) != len(r["frames"]):
            fail("%s: %d frames, reference %d" % (name, g["n_frames"], r["n_frames"]))
            continue
        for k, (gf, rf) in enumerate(zip(g["frames"], r["frames"])):
            for key in ("J", "F", "precision", "recall"):
                d = abs(num(gf[key]) - num(rf[key]))
                worst[0] = max(worst[0], d)
                if not close(gf[key], rf[key], 1e-9):
                    fail("%s frame %d %s: %r, reference %r" % (name, k, key, gf[key], rf[key]))
        for measure in ("J", "F"):
            for stat in ("mean", "recall", "decay"):
                if not same(g[measure][stat], r[measure][stat]):
                    fail("%s %s %s: %r, reference %r" % (name, measure, stat, g[measure][stat],
                                                         r[measure][stat]))
        if not same(g["released_iou"], r["released_iou"]):
            fail("%s released IoU: %r, reference %r" % (name, g["released_iou"],
                                                        r["released_iou"]))
        if not same(g["JF_mean"], (g["J"]["mean"] + g["F"]["mean"]) / 2):
            fail("%s J&F is not (J + F) / 2" % name)
        if g["missing_frames"] != r["missing_frames"]:
            fail("%s missing frames %s, expected %s" % (name, g["missing_frames"],
                                                        r["missing_frames"]))
        if with_heat:
            if "saliency" not in g:
                fail("%s: no saliency" % name)
                continue
            for key in ("mae", "fmax"):
                if not close(g["saliency"][key], r["saliency"][key], 1e-12):
                    fail("%s %s: %r, reference %r" % (name, key, g["saliency"][key],
                                                      r["saliency"][key]))
            if g["missing_heatmaps"] != r["missing_heatmaps"]:
                fail("%s missing heat maps %s, expected %s" % (name, g["missing_heatmaps"],
                                                               r["missing_heatmaps"]))
        elif "saliency" in g:
            fail("%s: saliency without heat maps" % name)
    gd, rd = got["dataset"], ref["dataset"]
    for measure in ("J", "F"):
        for stat in ("mean", "recall", "decay"):
            if not same(gd[measure][stat], rd[measure][stat]):
                fail("%s dataset %s %s: %r, reference %r" % (label, measure, stat,
                                                             gd[measure][stat],
                                                             rd[measure][stat]))
    for key in ("JF_mean", "released_iou", "n_sequences"):
        if not same(gd[key], rd[key]):
            fail("%s dataset %s: %r, reference %r" % (label, key, gd[key], rd[key]))
    if with_heat:
        for key in ("mae", "fmax"):
            if not close(gd["saliency"][key], rd["saliency"][key], 1e-12):
                fail("%s dataset %s: %r, reference %r" % (label, key, gd["saliency"][key],
                                                          rd["saliency"][key]))
    elif "saliency" in gd:
        fail("%s: dataset saliency without heat maps" % label)
    print("%s: %d sequences, J&F %.6f (reference %.6f), J %.6f, F %.6f" % (
        label, gd["n_sequences"], gd["JF_mean"], rd["JF_mean"], gd["J"]["mean"],
        gd["F"]["mean"]))


def check_csv(path, got):
    with open(path) as fp:
        rows = list(csv.DictReader(fp))
    seqs = got["sequences"]
    if len(rows) != len(seqs) + 1:
        fail("CSV has %d rows, expected %d" % (len(rows), len(seqs) + 1))
        return
    cols = {"J_mean": ("J", "mean"), "J_recall": ("J", "recall"), "J_decay": ("J", "decay"),
            "F_mean": ("F", "mean"), "F_recall": ("F", "recall"), "F_decay": ("F", "decay")}
    for row, s in zip(rows, seqs + [None]):
        src = got["dataset"] if s is None else s
        name = "(overall)" if s is None else s["name"]
        if row["sequence"] != name:
            fail("CSV row %s, expected %s" % (row["sequence"], name))
        for col, (m, st) in cols.items():
            if not same(float(row[col]), src[m][st]):
                fail("CSV %s %s: %s, JSON %r" % (name, col, row[col], src[m][st]))
        if not same(float(row["released_iou"]), src["released_iou"]):
            fail("CSV %s released_iou: %s" % (name, row["released_iou"]))
        want_jf = (src["J"]["mean"] + src["F"]["mean"]) / 2
        if not same(float(row["JF_mean"]), want_jf):
            fail("CSV %s JF_mean: %s" % (name, row["JF_mean"]))
        if s is not None and int(row["missing_frames"]) != len(s["missing_frames"]):
            fail("CSV %s missing_frames: %s" % (name, row["missing_frames"]))


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: test_eval.py ADNET TREE_DIR WORK_DIR\n")
        return 2
    adnet, tree, work = argv
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    with open(os.path.join(tree, "manifest.json")) as fp:
        manifest = json.load(fp)
    davis = os.path.join(tree, "davis")
    masks = os.path.join(tree, "run", "masks")
    heatmaps = os.path.join(tree, "run", "heatmaps")

    # 1. every video, heat maps found beside the masks
    out = os.path.join(work, "all.json")
    rc, stdout, stderr = run_adnet(adnet, ["--results", masks, "--davis", davis, "--set", "all",
                                           "--json", out, "--csv", os.path.join(work, "all.csv")])
    if rc != 0:
        fail("adnet eval --set all exited %d: %s" % (rc, stderr))
        return 1
    with open(out) as fp:
        got = json.load(fp)
    # "all": every annotated video in name order
    ref = run_reference(os.path.join(work, "all.ref.json"), davis, masks,
                        sorted(manifest["videos"]), heatmaps)
    compare("all", got, ref, True)
    check_csv(os.path.join(work, "all.csv"), got)
    if got["heatmaps"] is None or os.path.realpath(got["heatmaps"]) != os.path.realpath(heatmaps):
        fail("heat maps beside the masks were not found: %r" % got["heatmaps"])
    by_name = {s["name"]: s for s in got["sequences"]}
    for video, frames in manifest["missing_frames"].items():
        s = by_name[video]
        if s["missing_frames"] != frames:
            fail("%s: missing frames %s, the tree lacks %s" % (video, s["missing_frames"], frames))
        if frames and not s["results_folder_missing"]:
            # the terminal report names the video, the count and the frames
            line = [l for l in stderr.splitlines() if "'%s'" % video in l and "missing" in l]
            if not line or ("%d of %d" % (len(frames), s["n_frames"])) not in line[0] or \
                    frames[0] not in line[0]:
                fail("%s: no report of its %d missing frames in %r" % (video, len(frames), stderr))
    for video, frames in manifest["missing_heatmaps"].items():
        if by_name[video]["missing_heatmaps"] != frames:
            fail("%s: missing heat maps %s, the tree lacks %s" % (
                video, by_name[video]["missing_heatmaps"], frames))
    for video in manifest["no_results_folder"]:
        if not by_name[video]["results_folder_missing"] or \
                ("no results for '%s'" % video) not in stderr:
            fail("%s: the missing results folder is not reported" % video)
    for video, files in manifest["ignored_files"].items():
        if by_name[video]["ignored_files"] != files:
            fail("%s: ignored files %s, expected %s" % (video, by_name[video]["ignored_files"],
                                                        files))
    total = sum(len(v) for v in manifest["missing_frames"].values())
    if ("%d result mask(s) missing in all" % total) not in stderr:
        fail("no total of %d missing masks in %r" % (total, stderr))
    if "mean (%d)" % len(manifest["videos"]) not in stdout or "J&F mean" not in stdout:
        fail("the table lacks the overall row: %r" % stdout)

    # 2. the val set from ImageSets, a threshold on the grey levels, no heat maps
    out = os.path.join(work, "val.json")
    rc, stdout, stderr = run_adnet(adnet, ["--results", masks, "--davis", davis, "--threshold",
                                           "100", "--no-heatmaps", "--json", out, "--quiet"])
    if rc != 0:
        fail("adnet eval --threshold 100 exited %d: %s" % (rc, stderr))
    else:
        with open(out) as fp:
            got = json.load(fp)
        if got["set"] != "val" or [s["name"] for s in got["sequences"]] != manifest["val"]:
            fail("the default set is not val.txt's videos in order")
        if manifest["threshold_video"] not in manifest["val"]:
            fail("the threshold video is not in val")
        ref = run_reference(os.path.join(work, "val.ref.json"), davis, masks, manifest["val"],
                            None, 100)
        compare("val --threshold 100", got, ref, False)
        if stdout.strip():
            fail("--quiet printed %r" % stdout)
        # the threshold matters for the grey-level video
        with open(os.path.join(work, "all.json")) as fp:
            at0 = {s["name"]: s for s in json.load(fp)["sequences"]}
        v = manifest["threshold_video"]
        if at0[v]["J"]["mean"] == {s["name"]: s for s in got["sequences"]}[v]["J"]["mean"]:
            fail("--threshold 100 did not change %s's score" % v)

    # 3. the train set, heat maps named explicitly, one decoding thread
    out = os.path.join(work, "train.json")
    rc, stdout, stderr = run_adnet(adnet, ["--results", masks + "/", "--davis", davis, "--set",
                                           "train", "--heatmaps", heatmaps, "--threads", "1",
                                           "--json", out])
    if rc != 0:
        fail("adnet eval --set train exited %d: %s" % (rc, stderr))
    else:
        with open(out) as fp:
            got = json.load(fp)
        ref = run_reference(os.path.join(work, "train.ref.json"), davis, masks,
                            manifest["train"], heatmaps)
        compare("train --threads 1", got, ref, True)

    # 4. names on the command line, in the order given
    names = [manifest["videos"][3], manifest["videos"][0]]
    out = os.path.join(work, "names.json")
    rc, stdout, stderr = run_adnet(adnet, ["--results", masks, "--davis", davis, "--set",
                                           ",".join(names), "--json", out, "--quiet"])
    if rc != 0:
        fail("adnet eval --set %s exited %d: %s" % (",".join(names), rc, stderr))
    else:
        with open(out) as fp:
            got = json.load(fp)
        ref = run_reference(os.path.join(work, "names.ref.json"), davis, masks, names, heatmaps)
        compare("names", got, ref, True)

    print("largest per-frame difference from the reference: %.3g" % worst[0])
    return finish("test_eval")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
