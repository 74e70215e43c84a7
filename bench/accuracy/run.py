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
  * the majority-class baseline (the training split's most common label);

and prints one Markdown table, the commands that reproduce each row, and the timings.

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
    if ds.name == "newsmtsc":
        return (["--no-coref"] if not kw["coref"] else []) + (
            ["--no-others"] if not kw["others"] else [])
    return ["--mode", kw["mode"]]


class Shown:
    """Commands as printed for people: $STANCE, $WORK and $DATASETS stand for this machine's
    paths, so the report can be pasted anywhere."""

    def __init__(self, binary, work):
        self.subst = [(work, "$WORK"), (binary, "$STANCE"), (H.datasets_dir(), "$DATASETS")]

    def __call__(self, cmd):
        s = shlex.join(cmd)
        for a, b in self.subst:
            s = s.replace(shlex.quote(a), b).replace(a, b)
        return s


def convert_cmd(ds, variant):
    return " ".join(["python3 bench/accuracy/convert.py", ds.name, "--datasets $DATASETS",
                     f"--out $WORK/{ds.name}-{variant}"] + variant_cli(ds, variant))


def read(path, field):
    with open(path, encoding="utf-8") as f:
        return [json.loads(l)[field] for l in f]


# ------------------------------------------------------------------ stance

def stance_holdout(binary, ds, cfg, files, work, show, tag):
    """Train on the training split, evaluate on each test split: {split: scores}."""
    model = os.path.join(work, f"{ds.name}-{tag}.model.json")
    train = [binary, "train", "--data", files[ds.train], "--actors", files["actors"],
             "--out", model, "--no-cv", "--quiet"] + H.flags_of(cfg)
    _, t_train = H.run(train)
    out = {}
    for split in ds.tests:
        ev = [binary, "eval", "--model", model, "--data", files[split], "--format", "json"]
        if ds.five_way(cfg["data"]):
            pred = os.path.join(work, f"{ds.name}-{tag}-{split}.pred.jsonl")
            ev += ["--oof", pred]
        rep, t_eval = H.run(ev)
        s = H.stance_scores(rep)
        if ds.five_way(cfg["data"]):
            rep_s = s
            s = dict(H.directed_scores(pred, files[split]), stance_report_macro_f1=s["macro_f1"])
            if ds.variants[cfg["data"]].get("mode") == "pair":  # stance's baseline is 5-way then
                s["majority_f1"] = rep_s["majority_f1"]
        s["train_seconds"] = round(t_train, 1)
        s["eval_seconds"] = round(t_eval, 1)
        s["commands"] = [convert_cmd(ds, cfg["data"]), show(train), show(ev)]
        out[split] = s
    return out


def stance_cv_all(binary, ds, cfg, files, show):
    """PerSenT: grouped 5-fold CV over dev + both tests."""
    cmd = [binary, "eval", "--data"] + [files[s] for s in [ds.train] + ds.tests] + [
        "--actors", files["actors"], "--folds", "5", "--seed", "42",
        "--group-by", ds.group_by, "--format", "json"] + H.flags_of(cfg)
    rep, dt = H.run(cmd)
    s = H.stance_scores(rep)
    s["sentiment"] = H.stance_scores(rep, "sentiment") if json.loads(rep).get("sentiment") else None
    s["seconds"] = round(dt, 1)
    s["commands"] = [convert_cmd(ds, cfg["data"]), show(cmd)]
    return s


# ------------------------------------------------------------------ scikit-learn

def sk_label_field(ds):
    return "label5" if ds.name == "directed" else "stance"


def with_polarity(s, truth, pred):
    """Adds the direction-free scores of the directed set."""
    t = [H.polarity_of(x) for x in truth]
    p = [H.polarity_of(x) for x in pred]
    ps = SK.scores(t, p)
    s["polarity_macro_f1"], s["polarity_accuracy"] = ps["macro_f1"], ps["accuracy"]
    return s


def sklearn_holdout(ds, files):
    """plain: the original text; marked: the converted text (target rewritten to XTARGETX,
    or the directed set's two entities to XENTONEX / XENTTWOX). One fit per variant, used for
    every test split. The directed set also gets the recipe trained on the direction-free
    label (neutral / pos / neg), scored on that label."""
    lf = sk_label_field(ds)
    ytr = read(files[ds.train], lf)
    out = {}
    yte = {split: read(files[split], lf) for split in ds.tests}
    for split in ds.tests:
        out[split] = {"majority": SK.majority(ytr, yte[split])}
        if ds.name == "directed":
            top = max(sorted(set(ytr)), key=ytr.count)
            with_polarity(out[split]["majority"], yte[split], [top] * len(yte[split]))
    variants = [("plain", "raw", None, lf), ("marked", "text", None, lf),
                ("plain_balanced", "raw", "balanced", lf)]
    if ds.name == "directed":
        variants.append(("plain_3way", "raw", None, "polarity"))
    for name, field, cw, label in variants:
        t = time.time()
        y = ytr if label == lf else [H.polarity_of(v) for v in ytr]
        preds = SK.fit_predict_many(read(files[ds.train], field), y,
                                    [read(files[split], field) for split in ds.tests],
                                    class_weight=cw)
        for split, pred in zip(ds.tests, preds):
            truth = yte[split]
            if label != lf:
                truth = [H.polarity_of(v) for v in truth]
            s = SK.scores(truth, pred)
            s["seconds"] = round(time.time() - t, 1)
            if ds.name == "directed" and label == lf:
                with_polarity(s, truth, pred)
            out[split][name] = s
    return out


def sklearn_cv_all(ds, files):
    lf = sk_label_field(ds)
    splits = [ds.train] + ds.tests
    y = sum((read(files[s], lf) for s in splits), [])
    g = sum((read(files[s], ds.group_by) for s in splits), [])
    row = {}
    for name, field in (("plain", "raw"), ("marked", "text")):
        x = sum((read(files[s], field) for s in splits), [])
        row[name], _ = SK.cross_validate(x, y, g, folds=5, seed=42)
    return row


# ------------------------------------------------------------------ report

TITLES = {
    ("newsmtsc", "test-rw"): "NewsMTSC test-rw (train: train)",
    ("newsmtsc", "test-mt"): "NewsMTSC test-mt (train: train)",
    ("persent", "random_test"): "PerSenT random_test (train: dev)",
    ("persent", "fixed_test"): "PerSenT fixed_test (train: dev)",
    ("persent", "cv_all"): "PerSenT 5-fold CV over dev+random+fixed, grouped by person",
    ("directed", "test"): "Directed test, 5-way (train: train)",
    ("directed", "test_unseen"): "Directed test minus sentences seen in train, 5-way",
}


def ds_tests_first(name):
    return H.DATASETS[name].tests[0]


def rows_of(name, r):
    """Table rows of one dataset: dicts with the cells' numbers."""
    ds = H.DATASETS[name]
    rows = []
    splits = list(ds.tests) + (["cv_all"] if name == "persent" else [])
    for split in splits:
        row = {"title": TITLES[(name, split)], "published": ds.published.get(split, "–"),
               "stance": {}, "commands": {}}
        for tag, c in r["configs"].items():
            s = c["cv_all"] if split == "cv_all" else c["holdout"][split]
            row["n"] = s["n"]
            row["stance"][tag] = (s["macro_f1"], s["accuracy"], s.get("f_avg"))
            row["commands"][tag] = s["commands"]
            row.setdefault("majority", s.get("majority_f1"))
        sk = r.get("sklearn")
        if sk:
            k = sk["cv_all"] if split == "cv_all" else sk["holdout"][split]
            row["sklearn"] = (k["plain"]["macro_f1"], k["plain"]["accuracy"])
            row["sklearn_marked"] = (k["marked"]["macro_f1"], k["marked"]["accuracy"])
            if "plain_balanced" in k:
                row["sklearn_balanced"] = (k["plain_balanced"]["macro_f1"],)
            if "majority" in k:
                row["majority"] = k["majority"]["macro_f1"]
        rows.append(row)
        if name == "directed":
            # the same predictions scored without the direction (neutral / pos / neg)
            p = {"title": row["title"].replace("5-way", "polarity only (direction ignored)"),
                 "n": row["n"],
                 "published": "–", "stance": {}, "commands": {}}
            for tag, c in r["configs"].items():
                s = c["holdout"][split]
                p["stance"][tag] = (s["polarity_macro_f1"], s["polarity_accuracy"], None)
                p["commands"][tag] = ["(the predictions of the 5-way row, pos_* -> pos, neg_* -> neg)"]
            if sk:
                k = sk["holdout"][split]
                p["sklearn"] = (k["plain"]["polarity_macro_f1"], k["plain"]["polarity_accuracy"])
                p["sklearn_marked"] = (k["marked"]["polarity_macro_f1"],
                                       k["marked"]["polarity_accuracy"])
                p["sklearn_balanced"] = (k["plain_balanced"]["polarity_macro_f1"],)
                p["sklearn_3way"] = (k["plain_3way"]["macro_f1"],)
                p["majority"] = k["majority"]["polarity_macro_f1"]
            rows.append(p)
    if name == "persent":
        # stance's whole-text sentiment model, trained on the same document labels
        p = {"title": "PerSenT CV as above, stance's whole-text *sentiment* model",
             "published": "–", "stance": {}, "commands": {}}
        for tag, c in r["configs"].items():
            s = c["cv_all"].get("sentiment")
            if s:
                p["n"] = s["n"]
                p["stance"][tag] = (s["macro_f1"], s["accuracy"], s.get("f_avg"))
                p["majority"] = s["majority_f1"]
                p["commands"][tag] = ["(the same command as the CV row: its \"sentiment\" part)"]
        if p["stance"]:
            rows.append(p)
    return rows


def render(results, settings, total, skipped):
    head = ["dataset / split", "n",
            "stance defaults F1m", "acc", "F_avg",
            "stance tuned F1m", "acc", "F_avg",
            "sklearn F1m", "acc", "sklearn target-marked F1m", "acc",
            "sklearn balanced F1m", "sklearn trained 3-way F1m", "majority F1m",
            "published best F1m"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    cmds, timing = [], []
    for name, r in results.items():
        for row in rows_of(name, r):
            cells = [row["title"], str(row.get("n", "–"))]
            for tag in ("defaults", "tuned"):
                v = row["stance"].get(tag)
                cells += [pct(x) for x in v] if v else ["–"] * 3
            for k, width in (("sklearn", 2), ("sklearn_marked", 2), ("sklearn_balanced", 1),
                             ("sklearn_3way", 1)):
                v = row.get(k)
                cells += [pct(x) for x in v] if v else ["–"] * width
            cells += [pct(row.get("majority")), row["published"]]
            lines.append("| " + " | ".join(cells) + " |")
            for tag, cs in row["commands"].items():
                if tag == "tuned" and r["configs"].get("tuned") is r["configs"]["defaults"]:
                    continue
                cmds.append((f"{row['title']}, stance {tag}", cs))
        for tag, c in r["configs"].items():
            if tag == "tuned" and c is r["configs"].get("defaults"):
                timing.append(f"{name}, stance tuned: the defaults won, same run as above")
                continue
            for split, s in c["holdout"].items():
                if split == ds_tests_first(name):
                    timing.append(f"{name}, stance {tag}: train {s['train_seconds']} s")
                timing.append(f"{name} {split}, stance {tag}: eval {s['eval_seconds']} s")
            if "cv_all" in c:
                timing.append(f"{name} 5-fold CV over all splits, stance {tag}: "
                              f"{c['cv_all']['seconds']} s")
        if r.get("sklearn"):
            timing.append(f"{name}, scikit-learn (every row, all variants): "
                          f"{r['sklearn']['seconds']} s")
        if name in settings and "tuning_seconds" in settings[name]:
            timing.append(f"{name}, choosing the settings (tune.py, not rerun here): "
                          f"{settings[name].get('trials', '?')} train-split CV runs, "
                          f"{settings[name]['tuning_seconds']} s of stance")
    out = ["## stance on public data", "", "\n".join(lines), ""]
    if skipped:
        out += ["Skipped: " + "; ".join(skipped), ""]
    out.append("F1m: macro-F1 over the classes, in %; acc: accuracy; F_avg: mean F1 of "
               "positive and negative; majority: the training split's most common label; sklearn "
               "balanced: the recipe with class_weight=\"balanced\" (stance weights classes "
               "that way by default), plain text; sklearn trained 3-way: the directed set's "
               "recipe trained on the direction-free label (neutral/pos/neg) instead of the "
               "five-way one, plain text. "
               "Tuned settings were chosen by 5-fold cross-validation on the training split "
               "only (tune.py, settings.json), never on a test split:")
    out.append("")
    for name in results:
        if name in settings and "tuned" in results[name]["configs"]:
            s = settings[name]
            flags = " ".join(s["flags"]) or "(none: the defaults won)"
            out.append(f"- {name}: data variant `{s['data_variant']}`, flags `{flags}` "
                       f"(train-CV F1m {pct(s['cv_macro_f1'])} vs {pct(s['default_cv_macro_f1'])} "
                       "with the defaults)")
    out += ["", "### Commands", "",
            "`$DATASETS` = ../shared/datasets (from the repository root), `$WORK` = a scratch "
            "directory, `$STANCE` = target/release/stance. Run from the repository root.", ""]
    conv = sorted({c for _, cs in cmds for c in cs if c.startswith("python3 bench/accuracy/convert.py")})
    out += ["Conversions (each row's files come from one of these):", "", "```sh"] + conv + ["```", ""]
    for title, cs in cmds:
        cs = [c for c in cs if c not in conv]
        out.append(f"- {title}:")
        out.append("  ```sh")
        out += ["  " + c for c in cs]
        out.append("  ```")
    out += ["", "### Timings", ""] + [f"- {t}" for t in timing] + [f"- total {total:.0f} s", ""]
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default="newsmtsc,persent,directed")
    ap.add_argument("--no-sklearn", action="store_true")
    ap.add_argument("--no-tuned", action="store_true", help="only stance's default settings")
    ap.add_argument("--markdown", help="also write the report to this file")
    ap.add_argument("--json", help="write every number to this JSON file")
    ap.add_argument("--work", help="keep converted files and models here (default: a temporary "
                                   "directory, removed at the end); converted files already "
                                   "there are reused")
    a = ap.parse_args()
    names = a.only.split(",")
    unknown = [n for n in names if n not in H.DATASETS]
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
    show = Shown(binary, work)
    results, skipped = {}, []
    t0 = time.time()
    for name in names:
        ds = H.DATASETS[name]
        why = ds.missing()
        if why:
            print(f"SKIP {name}: dataset not found ({why})", flush=True)
            skipped.append(f"{name} (not found: {why.replace(H.datasets_dir(), '$DATASETS')})")
            continue
        print(f"== {name}", file=sys.stderr, flush=True)
        r = results[name] = {"configs": {}}
        cfgs = {"defaults": {"data": ds.default_variant}}
        if not a.no_tuned:
            if name in settings:
                cfgs["tuned"] = settings[name]["settings"]
            else:
                print(f"  no tuned settings for {name} in settings.json (run tune.py)",
                      file=sys.stderr)
        for tag, cfg in cfgs.items():
            if tag == "tuned" and cfg == cfgs["defaults"]:
                # the defaults won the train-split CV: the same run, not repeated
                r["configs"]["tuned"] = r["configs"]["defaults"]
                continue
            files = ds.convert(cfg["data"], work)
            c = r["configs"][tag] = {"settings": cfg, "flags": H.flags_of(cfg)}
            c["holdout"] = stance_holdout(binary, ds, cfg, files, work, show, tag)
            if name == "persent":
                c["cv_all"] = stance_cv_all(binary, ds, cfg, files, show)
            print(f"  stance {tag}: done", file=sys.stderr, flush=True)
        if not a.no_sklearn:
            files = ds.convert(ds.default_variant, work)
            t = time.time()
            r["sklearn"] = {"holdout": sklearn_holdout(ds, files)}
            if name == "persent":
                r["sklearn"]["cv_all"] = sklearn_cv_all(ds, files)
            r["sklearn"]["seconds"] = round(time.time() - t, 1)
            print("  scikit-learn: done", file=sys.stderr, flush=True)
    report = render(results, settings, time.time() - t0, skipped)
    print(report)
    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write(report + "\n")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1, sort_keys=True)
    if tmp:
        tmp.cleanup()


if __name__ == "__main__":
    main()
