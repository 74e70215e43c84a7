#!/usr/bin/env python3
"""Choose stance settings per dataset by cross-validation on the TRAINING split only.

Protocol (never looks at a test split):
  * objective: macro-F1 (F1m) of `stance eval --data TRAIN --folds 5 --seed 42
    --group-by FIELD` (identical sentences / the same person kept in one fold; PerSenT,
    578 documents, averages the seeds 42, 43 and 44 to damp fold noise); for the
    directed set in "received" form, the 5-way macro-F1 rebuilt from the out-of-fold
    per-entity predictions (--oof), so both directed forms are judged on the same target;
  * search: greedy forward selection from stance's defaults. Each round tries every single
    change of one dimension (a flag value, or the converter's data variant) from the current
    best, takes the best of them, and keeps it only if it beats the current CV F1m by at least
    MIN_GAIN (0.003); at most MAX_ROUNDS rounds;
  * output: settings.json (chosen settings and their CV score) and tuning-log.json (every
    trial: settings, CV F1m, its SD over folds, accuracy, seconds) in this folder.

Usage: python3 tune.py [--only newsmtsc,persent,directed] [--rounds N]
"""

import argparse
import json
import os
import sys
import tempfile

import harness as H

MIN_GAIN = 0.003
DIMS = None  # --dims: search only these dimensions
MAX_ROUNDS = 6
# STANCE_TUNE_OUT=DIR writes the log and the settings there instead (two datasets tuned at
# once, merged by hand afterwards)
LOG = os.path.join(os.environ.get("STANCE_TUNE_OUT") or H.HERE, "tuning-log.json")
SETTINGS = os.path.join(os.environ.get("STANCE_TUNE_OUT") or H.HERE, "settings.json")


def key(cfg):
    return json.dumps(cfg, sort_keys=True)


def cv_once(binary, ds, cfg, work, seed):
    files = ds.convert(cfg["data"], work)
    oof = os.path.join(work, "tune-oof.jsonl")
    cmd = [binary, "eval", "--data", files[ds.train], "--actors", files["actors"],
           "--folds", "5", "--seed", str(seed), "--group-by", ds.group_by, "--format", "json",
           "--oof", oof] + H.flags_of(cfg)
    out, dt = H.run(cmd)
    s = H.stance_scores(out)
    if ds.five_way(cfg["data"]):
        s5 = H.directed_scores(oof, files[ds.train])
        s5["macro_f1_sd"] = None
        s5["stance_report_macro_f1"] = s["macro_f1"]
        s = s5
    s["seconds"] = round(dt, 1)
    return s


def cv_score(binary, ds, cfg, work):
    """CV scores, averaged over the dataset's fold seeds."""
    runs = [cv_once(binary, ds, cfg, work, seed) for seed in ds.cv_seeds]
    if len(runs) == 1:
        return runs[0]
    s = {k: sum(r[k] for r in runs) / len(runs) for k in ("macro_f1", "accuracy")}
    s["per_seed_macro_f1"] = [r["macro_f1"] for r in runs]
    s["macro_f1_sd"] = runs[0].get("macro_f1_sd")
    s["seconds"] = round(sum(r["seconds"] for r in runs), 1)
    s["seeds"] = list(ds.cv_seeds)
    return s


def neighbours(ds, cfg):
    out = []
    for v in ds.variants:
        if v != cfg["data"]:
            out.append(dict(cfg, data=v))
    for dim, values in H.DIMENSIONS.items():
        if dim in H.SKIP.get(ds.name, ()) or (DIMS and dim not in DIMS):
            continue
        for v in values:
            if cfg.get(dim, values[0]) != v:
                n = dict(cfg)
                n[dim] = v
                if v == values[0]:
                    del n[dim]
                out.append(n)
    return out


def describe(cfg):
    f = H.flags_of(cfg)
    return f"data={cfg['data']} " + (" ".join(f) if f else "(stance defaults)")


def tune(binary, ds, work, log, rounds, start=None):
    trials = log.setdefault(ds.name, {})

    def score(cfg):
        k = key(cfg)
        if k not in trials:
            s = cv_score(binary, ds, cfg, work)
            trials[k] = dict(settings=cfg, flags=H.flags_of(cfg), **s)
            with open(LOG, "w") as f:
                json.dump(log, f, indent=1, sort_keys=True)
            print(f"  {s['macro_f1']:.4f}  {s['seconds']:7.1f}s  {describe(cfg)}", flush=True)
        return trials[k]["macro_f1"]

    default = {"data": ds.default_variant}
    default_f1 = score(default)
    best = dict(start) if start else default
    best_f1 = score(best)
    for r in range(rounds):
        print(f"{ds.name}: round {r + 1}, current {best_f1:.4f} {describe(best)}", flush=True)
        cands = [(score(n), i, n) for i, n in enumerate(neighbours(ds, best))]
        f1, _, cand = max(cands, key=lambda c: (c[0], -c[1]))
        if f1 < best_f1 + MIN_GAIN:
            print(f"{ds.name}: no single change gains {MIN_GAIN}; stop", flush=True)
            break
        best, best_f1 = cand, f1
    return {"settings": best, "flags": H.flags_of(best), "data_variant": best["data"],
            "cv_macro_f1": best_f1, "default_cv_macro_f1": default_f1,
            "protocol": f"greedy forward selection on 5-fold CV of the '{ds.train}' split, "
                        f"grouped by {ds.group_by}, fold seed(s) {', '.join(map(str, ds.cv_seeds))} "
                        f"(averaged); min gain {MIN_GAIN}"}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default="newsmtsc,persent,directed")
    ap.add_argument("--rounds", type=int, default=MAX_ROUNDS)
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--dims", help="search only these comma-separated dimensions (and the "
                                   "data variant)")
    ap.add_argument("--from-current", action="store_true",
                    help="start the greedy search from the settings in settings.json (chosen "
                         "by an earlier train-split search) instead of the defaults")
    ap.add_argument("--fresh-log", action="store_true",
                    help="forget the logged trials of the datasets tuned now (after a change "
                         "to stance that moves the scores)")
    a = ap.parse_args()
    global DIMS
    DIMS = set(a.dims.split(",")) if a.dims else None
    binary = H.stance_bin(build=not a.no_build)
    log = {}
    if os.path.exists(LOG):
        with open(LOG) as f:
            log = json.load(f)
    settings = H.load_settings()
    with tempfile.TemporaryDirectory(prefix="stance-tune-") as work:
        for name in a.only.split(","):
            ds = H.DATASETS[name]
            why = ds.missing()
            if why:
                print(f"SKIP {name}: dataset not found ({why})", flush=True)
                continue
            if a.fresh_log:
                log.pop(name, None)
            start = settings.get(name, {}).get("settings") if a.from_current else None
            settings[name] = tune(binary, ds, work, log, a.rounds, start)
            # stance time of every trial in the log (cached trials were timed when they ran)
            settings[name]["tuning_seconds"] = round(sum(t["seconds"] for t in log[name].values()))
            settings[name]["trials"] = len(log[name])
            with open(SETTINGS, "w") as f:
                json.dump(settings, f, indent=1, sort_keys=True)
            print(f"{name}: chose {describe(settings[name]['settings'])} "
                  f"(CV F1m {settings[name]['cv_macro_f1']:.4f}, defaults "
                  f"{settings[name]['default_cv_macro_f1']:.4f})", flush=True)


if __name__ == "__main__":
    main()
