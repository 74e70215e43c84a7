#!/usr/bin/env python3
"""Learning curves of `stance label`: simulated annotation on NewsMTSC and PerSenT.

The loop's own picks (`stance label --simulate-from GOLD`, the same strategy code the page
uses) are answered with the gold labels when asked; after 50, 100, 200 and 400 labeled
articles a model is trained on what was labeled and scored (stance macro-F1) on the test
split. Each strategy runs with 5 seeds; the table gives the mean and the standard deviation
over seeds, and active minus random with the spread of that difference over seeds (paired
by seed).

    python3 bench/label/learning_curve.py [--datasets ../shared/datasets] [--work DIR]
        [--seeds 1,2,3,4,5] [--only newsmtsc|persent] [--strategies active,random]

Datasets are converted with bench/accuracy/convert.py into a temporary directory (never
into the repository). Each dataset uses its tuned settings from bench/accuracy (NewsMTSC
`--near-target 5 --lexicon`; PerSenT `--ngrams 1 --alpha 100 --window all`). Pools: NewsMTSC
train (8,739 targets), test-rw (803); PerSenT dev + fixed_test (1,405 documents; the dataset
ships no train split), test random_test (579). Not part of CI (about 15 minutes on 2 cores).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, "target", "release", "stance")


def convert(datasets, work):
    conv = os.path.join(ROOT, "bench", "accuracy", "convert.py")
    n = os.path.join(work, "newsmtsc-plain")
    p = os.path.join(work, "persent-masked")
    subprocess.run([sys.executable, conv, "newsmtsc", "--datasets", datasets, "--out", n,
                    "--no-coref", "--no-others"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([sys.executable, conv, "persent", "--datasets", datasets, "--out", p,
                    "--mode", "masked"], check=True, stdout=subprocess.DEVNULL)
    pool = os.path.join(p, "persent-masked-pool.jsonl")
    with open(pool, "w") as out:
        for split in ("dev", "fixed_test"):
            with open(os.path.join(p, f"persent-masked-{split}.jsonl")) as f:
                out.write(f.read())
    return {
        "newsmtsc": {
            "gold": [os.path.join(n, "newsmtsc-train.jsonl")],
            "test": [os.path.join(n, "newsmtsc-test-rw.jsonl")],
            "actors": os.path.join(n, "newsmtsc-actors.toml"),
            "flags": ["--near-target", "5", "--lexicon"],
        },
        "persent": {
            "gold": [pool],
            "test": [os.path.join(p, "persent-masked-random_test.jsonl")],
            "actors": os.path.join(p, "persent-actors.toml"),
            "flags": ["--ngrams", "1", "--alpha", "100", "--window", "all"],
        },
    }


def run(ds, strategy, seed, checkpoints, extra):
    cmd = [BIN, "label", "--simulate-from", *ds["gold"], "--test", *ds["test"],
           "--actors", ds["actors"], "--budget", str(max(checkpoints)),
           "--checkpoints", ",".join(map(str, checkpoints)), "--strategy", strategy,
           "--seed", str(seed), "--audit-cv", *ds["flags"], *extra]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return [json.loads(l) for l in out.splitlines() if l.strip()]


def sd(xs):
    return statistics.stdev(xs) if len(xs) > 1 else 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", default=os.path.join(ROOT, "..", "shared", "datasets"))
    ap.add_argument("--work", default=None, help="scratch folder (default: a temporary one)")
    ap.add_argument("--seeds", default="1,2,3,4,5")
    ap.add_argument("--checkpoints", default="50,100,200,400")
    ap.add_argument("--only", default=None)
    ap.add_argument("--strategies", default="active,random")
    ap.add_argument("--extra", default="", help="more flags for stance label, space-separated")
    ap.add_argument("--results", default=None, help="write every checkpoint as JSON Lines here")
    a = ap.parse_args()
    if not os.path.isdir(a.datasets):
        sys.exit(f"no datasets at {a.datasets}")
    if not os.path.exists(BIN):
        subprocess.run(["cargo", "build", "--release", "-q"], cwd=ROOT, check=True)
    work = a.work or tempfile.mkdtemp(prefix="stance-lc-")
    sets = convert(a.datasets, work)
    seeds = [int(s) for s in a.seeds.split(",")]
    cps = [int(c) for c in a.checkpoints.split(",")]
    strategies = a.strategies.split(",")
    extra = a.extra.split()
    rows = []
    for name, ds in sets.items():
        if a.only and name != a.only:
            continue
        for strategy in strategies:
            for seed in seeds:
                for cp in run(ds, strategy, seed, cps, extra):
                    cp["dataset"] = name
                    rows.append(cp)
                    print(f"{name} {strategy} seed {seed} labels {cp['labels']}: "
                          f"test macro-F1 {cp['test_macro_f1']:.3f}, audit CV "
                          f"{cp['audit_f1'] if cp['audit_f1'] is None else round(cp['audit_f1'], 3)}"
                          f" ({cp['seconds']:.0f} s)", file=sys.stderr, flush=True)
    if a.results:
        with open(a.results, "w") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")
    print("| dataset | labels | " + " | ".join(f"{s} (mean ± sd)" for s in strategies)
          + " | active − random (mean ± sd, paired by seed) | audit-CV estimate (active) |")
    print("|---|---:|" + "---:|" * len(strategies) + "---:|---:|")
    for name in sets:
        if a.only and name != a.only:
            continue
        for c in cps:
            cells = []
            by = {}
            for s in strategies:
                v = {r["seed"]: r["test_macro_f1"] for r in rows
                     if r["dataset"] == name and r["strategy"] == s and r["labels"] == c}
                by[s] = v
                xs = list(v.values())
                cells.append(f"{100 * statistics.mean(xs):.1f} ± {100 * sd(xs):.1f}" if xs else "–")
            diff = "–"
            if "active" in by and "random" in by:
                d = [by["active"][k] - by["random"][k] for k in by["active"] if k in by["random"]]
                if d:
                    diff = f"{100 * statistics.mean(d):+.1f} ± {100 * sd(d):.1f}"
            est = [r["audit_f1"] for r in rows if r["dataset"] == name and r["strategy"] == "active"
                   and r["labels"] == c and r["audit_f1"] is not None]
            est = f"{100 * statistics.mean(est):.1f}" if est else "–"
            print(f"| {name} | {c} | " + " | ".join(cells) + f" | {diff} | {est} |")


if __name__ == "__main__":
    main()
