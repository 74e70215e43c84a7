#!/usr/bin/env python3
"""Public-data accuracy harness for stance.

For each dataset found under ../shared/datasets/ (relative to the repository root; a missing
one is skipped with a message), converts it into stance's labeled JSON Lines in a temporary
directory, then:

  * stance with its default settings, and with the settings chosen by tune.py (by
    cross-validation on the training split only; settings.json): `stance train --no-cv` on
    the training split, `stance eval --model M --data TEST --format json` on each test split;
  * PerSenT (no train split here): trained on dev, tested on random_test and fixed_test, and
    a grouped 5-fold CV over dev + both tests (`--group-by person_key`);
  * the scikit-learn recipe (sk_recipe.py) on the same splits, on the plain text and on the
    text with the target marked;
  * the majority-class baseline;

and prints one Markdown table with the commands that reproduce each row and the timings.

Usage: python3 run.py [--only newsmtsc,persent,directed] [--no-sklearn] [--no-tuned]
                      [--markdown FILE] [--json FILE] [--work DIR]
Environment: STANCE_BIN (use this binary instead of building), STANCE_DATASETS (dataset
folder instead of ../shared/datasets).
"""

import argparse
import json
import os
import shlex
import sys
import tempfile
import time

import harness as H

try:
    import sk_recipe as SK
except ImportError as e:  # scikit-learn not installed
    SK = None
    SK_ERROR = str(e)


def pct(x):
    return "–" if x is None else f"{100 * x:.1f}"


def variant_cli(ds, variant):
    kw = ds.variants[variant]
    args = []
    if ds.name == "newsmtsc":
        if not kw["coref"]:
            args.append("--no-coref")
        if not kw["others"]:
            args.append("--no-others")
    else:
        args += ["--mode", kw["mode"]]
    return args


class Recorder:
    """Commands as printed for people: $STANCE, $WORK and $DATASETS instead of this machine's
    paths."""

    def __init__(self, binary, work):
        self.subst = [(work, "$WORK"), (binary, "$STANCE"), (H.datasets_dir(), "$DATASETS")]

    def show(self, cmd):
        s = shlex.join(cmd)
        for a, b in self.subst:
            s = s.replace(shlex.quote(a), b).replace(a, b)
        return s


def convert_cmd(ds, variant):
    return ("python3 bench/accuracy/convert.py " + ds.name + " --datasets $DATASETS "
            f"--out $WORK/{ds.name}-{variant} " + " ".join(variant_cli(ds, variant))).strip()


def stance_holdout(binary, ds, cfg, files, work, rec, tag):
    """Train on the training split, evaluate each test split. Returns {split: scores}."""
    model = os.path.join(work, f"{ds.name}-{tag}.model.json")
    flags = H.flags_of(cfg)
    train = [binary, "train", "--data", files[ds.train], "--actors", files["actors"],
             "--out", model, "--no-cv", "--quiet"] + flags
    _, t_train = H.run(train)
    out = {}
    for split in ds.tests:
        oof = os.path.join(work, f"{ds.name}-{tag}-{split}.pred.jsonl")
        ev = [binary, "eval", "--model", model, "--data", files[split], "--format", "json"]
        if ds.five_way(cfg["data"]):
            ev += ["--oof", oof]
        rep, t_eval = H.run(ev)
        s = H.stance_scores(rep)
        if ds.five_way(cfg["data"]):
            maj = s
            s = H.five_way_scores(oof, files[split])
            s["per_entity_macro_f1"] = maj["macro_f1"]
        s["train_seconds"] = round(t_train, 1)
        s["eval_seconds"] = round(t_eval, 1)
        s["commands"] = [convert_cmd(ds, cfg["data"]), rec.show(train), rec.show(ev)]
        out[split] = s
    return out


def stance_cv_all(binary, ds, cfg, files, rec):
    """PerSenT: grouped 5-fold CV over dev + both tests."""
    cmd = [binary, "eval", "--data"] + [files[s] for s in [ds.train] + ds.tests] + [
        "--actors", files["actors"], "--folds", "5", "--seed", "42",
        "--group-by", ds.group_by, "--format", "json"] + H.flags_of(cfg)
    rep, dt = H.run(cmd)
    s = H.stance_scores(rep)
    s["sentiment"] = H.stance_scores(rep, "sentiment") if json.loads(rep).get("sentiment") else None
    s["seconds"] = round(dt, 1)
    s["commands"] = [convert_cmd(ds, cfg["data"]), rec.show(cmd)]
    return s


def read(path, field):
    with open(path, encoding="utf-8") as f:
        return [json.loads(l)[field] for l in f]


def label_field(ds):
    return "label5" if ds.name == "directed" else "stance"


def sklearn_holdout(ds, files, marked_files):
    out = {}
    lf = label_field(ds)
    ytr = read(files[ds.train], lf)
    for split in ds.tests:
        yte = read(files[split], lf)
        row = {"majority": SK.majority(ytr, yte)}
        for name, fs in (("plain", files), ("marked", marked_files)):
            field = "raw" if name == "plain" else "text"
            s, _ = SK.holdout(read(fs[ds.train], field), ytr, read(fs[split], field), yte)
            row[name] = s
        out[split] = row
    return out


def sklearn_cv_all(ds, files, marked_files):
    lf = label_field(ds)
    splits = [ds.train] + ds.tests
    y = sum((read(files[s], lf) for s in splits), [])
    g = sum((read(files[s], ds.group_by) for s in splits), [])
    row = {}
    for name, fs in (("plain", files), ("marked", marked_files)):
        field = "raw" if name == "plain" else "text"
        x = sum((read(fs[s], field) for s in splits), [])
        row[name], _ = SK.cross_validate(x, y, g, folds=5, seed=42)
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default="newsmtsc,persent,directed")
    ap.add_argument("--no-sklearn", action="store_true")
    ap.add_argument("--no-tuned", action="store_true", help="only stance's default settings")
    ap.add_argument("--markdown", help="also write the report to this file")
    ap.add_argument("--json", help="write every number to this JSON file")
    ap.add_argument("--work", help="keep converted files and models here (default: a temporary "
                                   "directory, removed at the end)")
    a = ap.parse_args()
    unknown = [n for n in a.only.split(",") if n not in H.DATASETS]
    if unknown:
        sys.exit(f"unknown dataset(s) {', '.join(unknown)}; known: {', '.join(H.DATASETS)}")

    if SK is None and not a.no_sklearn:
        print(f"scikit-learn not importable ({SK_ERROR}): sklearn columns left empty "
              "(pip install scikit-learn)", file=sys.stderr)
        a.no_sklearn = True
    binary = H.stance_bin()
    settings = H.load_settings()
    tmp = None
    if a.work:
        work = os.path.abspath(a.work)
        os.makedirs(work, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="stance-accuracy-")
        work = tmp.name
    rec = Recorder(binary, work)
    results = {}
    skipped = []
    t0 = time.time()
    for name in a.only.split(","):
        ds = H.DATASETS[name]
        why = ds.missing()
        if why:
            print(f"SKIP {name}: dataset not found ({why})", flush=True)
            skipped.append(f"{name}: not found ({why.replace(H.datasets_dir(), '$DATASETS')})")
            continue
        print(f"== {name}", file=sys.stderr, flush=True)
        r = results[name] = {"configs": {}}
        cfgs = {"defaults": {"data": ds.default_variant}}
        if not a.no_tuned:
            if name in settings:
                cfgs["tuned"] = settings[name]["settings"]
            else:
                print(f"  no tuned settings for {name} in settings.json (run tune.py)", file=sys.stderr)
        for tag, cfg in cfgs.items():
            files = ds.convert(cfg["data"], work)
            c = r["configs"][tag] = {"settings": cfg, "flags": H.flags_of(cfg)}
            c["holdout"] = stance_holdout(binary, ds, cfg, files, work, rec, tag)
            if name == "persent":
                c["cv_all"] = stance_cv_all(binary, ds, cfg, files, rec)
            print(f"  stance {tag}: done", file=sys.stderr, flush=True)
        if not a.no_sklearn:
            files = ds.convert(ds.default_variant, work)
            t = time.time()
            r["sklearn"] = {"holdout": sklearn_holdout(ds, files, files)}
            if name == "persent":
                r["sklearn"]["cv_all"] = sklearn_cv_all(ds, files, files)
            r["sklearn"]["seconds"] = round(time.time() - t, 1)
            print("  sklearn: done", file=sys.stderr, flush=True)
    total = time.time() - t0
    report = render(results, settings, total, skipped)
    print(report)
    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write(report + "\n")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1, sort_keys=True)
    if tmp:
        tmp.cleanup()


SPLIT_NAMES = {
    ("newsmtsc", "test-rw"): "NewsMTSC test-rw (train: train)",
    ("newsmtsc", "test-mt"): "NewsMTSC test-mt (train: train)",
    ("persent", "random_test"): "PerSenT random_test (train: dev)",
    ("persent", "fixed_test"): "PerSenT fixed_test (train: dev)",
    ("persent", "cv_all"): "PerSenT 5-fold CV over dev+random+fixed, grouped by person",
    ("directed", "test"): "Directed sentiment test, 5-way (train: train)",
}


def render(results, settings, total, skipped=()):
    head = ["dataset / split", "n",
            "stance defaults F1m", "acc", "F_avg",
            "stance tuned F1m", "acc", "F_avg",
            "sklearn F1m", "acc", "sklearn target-marked F1m", "acc",
            "majority F1m", "published best F1m"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    cmds = []
    timing = []
    for name, r in results.items():
        ds = H.DATASETS[name]
        splits = list(ds.tests) + (["cv_all"] if name == "persent" else [])
        for split in splits:
            cells = [SPLIT_NAMES[(name, split)]]
            n = None
            for tag in ("defaults", "tuned"):
                c = r["configs"].get(tag)
                if c is None:
                    cells += ["–"] * 3
                    continue
                s = c["cv_all"] if split == "cv_all" else c["holdout"][split]
                n = s["n"]
                cells += [pct(s["macro_f1"]), pct(s["accuracy"]), pct(s.get("f_avg"))]
                cmds.append((f"{SPLIT_NAMES[(name, split)]}, stance {tag}", s["commands"]))
                if split == "cv_all":
                    timing.append(f"{name} {split} stance {tag}: CV {s['seconds']} s")
                else:
                    timing.append(f"{name} {split} stance {tag}: train {s['train_seconds']} s, "
                                  f"eval {s['eval_seconds']} s")
            cells.insert(1, str(n))
            sk = r.get("sklearn")
            maj = None
            if sk:
                row = sk["cv_all"] if split == "cv_all" else sk["holdout"][split]
                cells += [pct(row["plain"]["macro_f1"]), pct(row["plain"]["accuracy"]),
                          pct(row["marked"]["macro_f1"]), pct(row["marked"]["accuracy"])]
                maj = row.get("majority")
            else:
                cells += ["–"] * 4
            if maj is None:
                c = r["configs"]["defaults"]
                s = c["cv_all"] if split == "cv_all" else c["holdout"][split]
                maj = {"macro_f1": s.get("majority_f1")} if name != "directed" else None
            cells.append(pct(maj["macro_f1"]) if maj else "–")
            cells.append(ds.published.get(split, "–"))
            lines.append("| " + " | ".join(cells) + " |")
        if r.get("sklearn"):
            timing.append(f"{name} sklearn (all rows, plain + marked): {r['sklearn']['seconds']} s")
        if name == "persent":
            for tag in ("defaults", "tuned"):
                c = r["configs"].get(tag)
                if c and c["cv_all"].get("sentiment"):
                    s = c["cv_all"]["sentiment"]
                    lines.append(f"| PerSenT CV, stance's whole-text *sentiment* model ({tag}) | "
                                 f"{s['n']} | " + (f"{pct(s['macro_f1'])} | {pct(s['accuracy'])} | "
                                                   f"{pct(s.get('f_avg'))} | – | – | – | "
                                                   if tag == "defaults" else
                                                   f"– | – | – | {pct(s['macro_f1'])} | "
                                                   f"{pct(s['accuracy'])} | {pct(s.get('f_avg'))} | ")
                                 + "– | – | – | – | " + f"{pct(s['majority_f1'])} | – |")
    out = ["## stance on public data", "", "\n".join(lines), ""]
    if skipped:
        out += ["Skipped: " + "; ".join(skipped), ""]
    out.append("F1m: macro-F1 over the classes, in %; acc: accuracy; F_avg: mean F1 of positive "
               "and negative. Tuned settings were chosen by 5-fold CV on the training split only "
               "(tune.py, settings.json):")
    out.append("")
    for name in results:
        if name in settings:
            s = settings[name]
            flags = " ".join(s["flags"]) or "(defaults)"
            out.append(f"- {name}: data variant `{s['data_variant']}`, flags `{flags}` "
                       f"(train-CV F1m {pct(s['cv_macro_f1'])} vs defaults "
                       f"{pct(s['default_cv_macro_f1'])})")
    out += ["", "### Commands", "",
            "`$DATASETS` = ../shared/datasets (from the repository root), `$WORK` = a scratch "
            "directory, `$STANCE` = target/release/stance.", ""]
    for title, cs in cmds:
        out.append(f"- {title}:")
        out.append("  ```sh")
        out += ["  " + c for c in cs]
        out.append("  ```")
    out += ["", "### Timings", ""] + [f"- {t}" for t in timing] + [
        f"- total {total:.0f} s", ""]
    return "\n".join(out)


if __name__ == "__main__":
    main()
