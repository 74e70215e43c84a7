#!/usr/bin/env python3
"""The real-use table of the share estimators: `stance simulate` on data/ and on the public
datasets, as the README shows it.

Each run trains with the CLI on labeled articles, scores other labeled articles and estimates
the shares of their groups (real groups, APP and UPP samples) against the true labels; see
`stance simulate --help`. Runs:

  data/ random     data/articles.jsonl, 3 random splits (40% of articles play the new ones)
  data/ by source  the same, whole outlets held out (the new articles' outlets are unseen)
  NewsMTSC         train -> test-rw (converted by bench/accuracy/convert.py)
  PerSenT          dev -> random_test, dev -> fixed_test (surface mode: actors by name)

Usage: python3 bench/real_use.py [--only data,newsmtsc,persent] [--work DIR] [--bin PATH]
                                [--label-new N [--own-weight auto|N] | --retrain-new N]
The public datasets are read from ../shared/datasets (or $STANCE_DATASETS); a missing one is
skipped with a message. Standard library only.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ESTIMATORS = ["cc", "pcc", "acc", "pacc", "emq", "bcc", "auto"]


def stance_bin(given):
    if given:
        return given
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    return os.path.join(ROOT, "target", "release", "stance")


def convert(name, datasets, work, mode=None):
    out = os.path.join(work, name)
    cmd = [sys.executable, os.path.join(ROOT, "bench", "accuracy", "convert.py"), name,
           "--datasets", datasets, "--out", out]
    if mode:
        cmd += ["--mode", mode]
    r = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(r.stdout[r.stdout.index("{"):])


def runs(only, datasets, work):
    """(name, arguments of `stance simulate`) of every run whose data is here."""
    out = []
    if "data" in only:
        base = ["--data", "data/articles.jsonl", "--actors", "data/actors.toml"]
        out.append(("data/ random", base))
        out.append(("data/ by source", base + ["--split-by", "source"]))
    if "newsmtsc" in only:
        if os.path.isdir(os.path.join(datasets, "newsmtsc")):
            f = convert("newsmtsc", datasets, work)
            out.append(("NewsMTSC train → test-rw",
                        ["--data", f["train"], "--actors", f["actors"], "--new", f["test-rw"]]))
        else:
            print("skipping NewsMTSC: not found under", datasets, file=sys.stderr)
    if "persent" in only:
        if os.path.isdir(os.path.join(datasets, "persent")):
            f = convert("persent", datasets, work, mode="surface")
            for test in ["random_test", "fixed_test"]:
                out.append((f"PerSenT dev → {test}",
                            ["--data", f["dev"], "--actors", f["actors"], "--new", f[test]]))
        else:
            print("skipping PerSenT: not found under", datasets, file=sys.stderr)
    return out


def mean(xs):
    xs = list(xs)
    return sum(xs) / len(xs) if xs else float("nan")


def net_triple(net):
    """A net score as (estimate, low, high), from the object or the older array."""
    if isinstance(net, dict):
        return (net["estimate"], net["low"], net["high"])
    return net


def summarise(report):
    rows = report["rows"]

    def sel(kind, e, lo=0, hi=10**9):
        return [r for r in rows if r["kind"] == kind and r["estimator"] == e and lo <= r["size"] <= hi]

    def real(e, key="mae"):
        rs = sel("real", e)
        n = sum(r["groups"] for r in rs)
        return sum(r[key] * r["groups"] for r in rs) / n if n else float("nan")

    cc_app = mean(r["mae"] for r in sel("app", "cc", 50, 400))
    cc_upp = mean(r["mae"] for r in sel("upp", "cc", 50, 400))
    cc_real = real("cc")
    out = {}
    for e in [None] + ESTIMATORS:
        cov = [r["coverage"] for r in rows if r["estimator"] == e and r["coverage"] is not None
               and r["groups"] >= 5]
        out[e or "mlpe"] = {
            "app": mean(r["mae"] for r in sel("app", e, 50, 400)) / cc_app,
            "upp": mean(r["mae"] for r in sel("upp", e, 50, 400)) / cc_upp,
            "real": real(e) / cc_real,
            "real_mae": real(e),
            "cov_min": min(cov) if cov else None,
            "cov_max": max(cov) if cov else None,
            "width": mean(r["width"] for r in sel("app", e, 50, 400)) if e else None,
        }
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", default="data,newsmtsc,persent")
    ap.add_argument("--work", help="keep converted files and JSON reports here")
    ap.add_argument("--bin", help="the stance binary (default: build it)")
    ap.add_argument("--label-new", type=int, default=0,
                    help="label this many of each run's new examples and correct with their "
                         "error rates (stance simulate --label-new)")
    ap.add_argument("--retrain-new", type=int, default=0,
                    help="label this many of each run's new examples and retrain with them "
                         "(stance simulate --retrain-new)")
    ap.add_argument("--own-weight", default="auto",
                    help="with --label-new: what the out-of-fold predictions still count for "
                         "beside the labeled examples (stance simulate --own-weight)")
    a = ap.parse_args()
    datasets = os.environ.get("STANCE_DATASETS", os.path.join(ROOT, "..", "shared", "datasets"))
    work = a.work or tempfile.mkdtemp(prefix="stance-real-use-")
    os.makedirs(work, exist_ok=True)
    binary = stance_bin(a.bin)
    lines = ["| run | estimator | APP 50–400 MAE ×CC | UPP 50–400 ×CC | real groups MAE ×CC | "
             "coverage (min–max over rows) | APP width |",
             "|---|---|---:|---:|---:|---:|---:|"]
    details = []
    for name, args in runs(a.only.split(","), datasets, work):
        t = time.time()
        if a.label_new:
            args = [*args, "--label-new", str(a.label_new), "--own-weight", a.own_weight]
        if a.retrain_new:
            args = [*args, "--retrain-new", str(a.retrain_new)]
        r = subprocess.run([binary, "simulate", *args, "--format", "json"], cwd=ROOT,
                           capture_output=True, text=True)
        if r.returncode != 0:
            print(f"{name}: stance simulate failed:\n{r.stderr}", file=sys.stderr)
            continue
        report = json.loads(r.stdout)
        slug = name.split()[0].strip("/").lower() + "-" + str(len(details))
        with open(os.path.join(work, f"{slug}.json"), "w") as f:
            f.write(r.stdout)
        acc = mean(s["accuracy"] for s in report["splits"])
        ece = mean(s["reliability"]["ece"] for s in report["splits"])
        print(f"{name}: {time.time() - t:.0f} s, accuracy on the new articles {acc:.3f}, "
              f"calibration error {ece:.3f}", file=sys.stderr)
        s = summarise(report)
        for e, v in s.items():
            cov = "–" if v["cov_min"] is None else f"{v['cov_min']:.2f}–{v['cov_max']:.2f}"
            width = "–" if v["width"] is None else f"{v['width']:.2f}"
            lines.append(f"| {name} | {e} | {v['app']:.2f} | {v['upp']:.2f} | {v['real']:.2f} "
                         f"({v['real_mae']:.3f}) | {cov} | {width} |")
        for i, sp in enumerate(report["splits"]):
            c = sp.get("choice")
            if c:
                details.append(f"{name}, split {i + 1}: auto chose {c['estimator']}, intervals "
                               f"×{c['widen']} floor {c['floor']} (net ×{c['net_widen']} floor "
                               f"{c['net_floor']}), inner coverage {c['coverage']:.3f}")
            h = sp.get("labeled_shift")
            if h:
                w = sp.get("own_weight")
                details.append(f"{name}, split {i + 1}: labeled examples' rows against the "
                               f"out-of-fold ones chi-square {h['statistic']:.1f}, p "
                               f"{h['p_value']:.4f}; out-of-fold weight "
                               f"{'–' if w is None else f'{w:.0f}'}")
            for g in sp["largest"][:3]:
                est = {x["estimator"]: net_triple(x["net"]) for x in g["estimates"]}
                details.append(f"{name}: {g['name']} (n={g['articles']}): true net "
                               f"{g['truth_net']:+.2f}; " + ", ".join(
                                   f"{e} {v[0]:+.2f} [{v[1]:+.2f}, {v[2]:+.2f}]"
                                   for e, v in est.items() if v))
    print("\n".join(lines))
    print()
    print("\n".join(details))
    print(f"\n(JSON reports in {work})", file=sys.stderr)


if __name__ == "__main__":
    main()
