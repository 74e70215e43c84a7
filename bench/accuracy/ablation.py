#!/usr/bin/env python3
"""Ablation: each featurization / training idea's effect on cross-validated macro-F1, measured
on training data only (no test split is read):

  * NewsMTSC: 5-fold CV of the train split, grouped by sentence_key, seed 42 (tune.py's
    objective), each idea added to stance's defaults, and each idea of the tuned settings
    (settings.json) taken away again;
  * data/ (the repository's own labeled articles, real actor names, several sentences each):
    `stance eval` 5-fold CV, each idea added to (or taken from) the defaults.

Usage: python3 ablation.py [--markdown FILE] [--only newsmtsc,data]
Environment: STANCE_BIN, STANCE_DATASETS as for run.py.
"""

import argparse
import json
import os
import sys
import tempfile

import harness as H

# idea -> (settings key, value that turns it on); the value that turns it off is the
# dimension's default (its first value in H.DIMENSIONS)
IDEAS = [
    ("words near the target, conjoined with their side (--near-target 3)", "near-target", "3"),
    ("negation scope (--negation)", "negation", "on"),
    ("hand-written sentiment lexicon (--lexicon)", "lexicon", "on"),
    ("character 2-5-grams of stems, one norm (--char-ngrams 2-5)", "char-ngrams", "2-5"),
    ("character 2-5-grams of words, blocks normalised apart (--char-ngrams 2-5 "
     "--char-source word --block-norm)", "char-ngrams", "2-5w"),
    ("word 1-3-grams instead of 1-2 (--ngrams 1-3)", "ngrams", "1-3"),
    ("no class weights (--class-weight none; balanced is the default)", "class-weight", "none"),
    ("target and other markers off (--markers none; both is the default)", "markers", "none"),
    ("context window 1 sentence (--window 1; 0 is the default)", "window", "1"),
    ("whole text as context, target marked (--window all)", "window", "all"),
    ("no actor prior (--no-actor-prior)", "actor-prior", "off"),
    ("others marked in the data (NewsMTSC converter variant `others`)", "data", "others"),
]


def default_of(dim):
    return H.DIMENSIONS[dim][0]


def cv_newsmtsc(binary, cfg, work):
    ds = H.DATASETS["newsmtsc"]
    files = ds.convert(cfg["data"], work)
    cmd = [binary, "eval", "--data", files[ds.train], "--actors", files["actors"], "--folds",
           "5", "--seed", "42", "--group-by", ds.group_by, "--format", "json"] + H.flags_of(cfg)
    out, _ = H.run(cmd)
    return H.stance_scores(out)["macro_f1"]


def cv_data(binary, cfg):
    cmd = [binary, "eval", "--data", os.path.join(H.REPO, "data", "articles.jsonl"), "--actors",
           os.path.join(H.REPO, "data", "actors.toml"), "--format", "json"] + H.flags_of(cfg)
    out, _ = H.run(cmd)
    return H.stance_scores(out)["macro_f1"]


def with_idea(cfg, dim, value):
    c = dict(cfg)
    if value == (default_of(dim) if dim != "data" else None):
        c.pop(dim, None)
    else:
        c[dim] = value
    return c


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--markdown")
    ap.add_argument("--only", default="newsmtsc,data")
    a = ap.parse_args()
    only = a.only.split(",")
    binary = H.stance_bin()
    settings = H.load_settings()
    pct = lambda x: "–" if x is None else f"{100 * x:.1f}"
    delta = lambda x, b: "–" if x is None or b is None else f"{100 * (x - b):+.1f}"
    rows = []
    with tempfile.TemporaryDirectory(prefix="stance-ablation-") as work:
        news = "newsmtsc" in only and not H.DATASETS["newsmtsc"].missing()
        base_n = {"data": "plain"}
        tuned_n = settings.get("newsmtsc", {}).get("settings", base_n)
        b_n = cv_newsmtsc(binary, base_n, work) if news else None
        t_n = cv_newsmtsc(binary, tuned_n, work) if news and tuned_n != base_n else b_n
        b_d = cv_data(binary, {}) if "data" in only else None
        rows.append(("stance defaults", pct(b_n), "", pct(t_n) + " (tuned)", "", pct(b_d), ""))
        for idea, dim, value in IDEAS:
            print(f"  {idea}", file=sys.stderr, flush=True)
            add_n = take_n = d = None
            moot_n = dim in H.SKIP["newsmtsc"]
            if news and not moot_n:
                add_n = cv_newsmtsc(binary, with_idea(base_n, dim, value), work)
                # taken away once per dimension the tuned settings use (at whatever value)
                if dim in tuned_n and dim != "data" and not any(
                        d == dim for _, d, _ in IDEAS[:IDEAS.index((idea, dim, value))]):
                    off = None if dim == "data" else default_of(dim)
                    take_n = cv_newsmtsc(binary, with_idea(tuned_n, dim, off), work)
            if "data" in only and dim != "data":
                d = cv_data(binary, with_idea({}, dim, value))
            rows.append((idea,
                         "moot (placeholder target)" if moot_n else pct(add_n),
                         "" if moot_n else delta(add_n, b_n),
                         pct(take_n), delta(t_n, take_n) if take_n is not None else "",
                         pct(d), delta(d, b_d)))
    head = ["idea", "NewsMTSC train-CV F1m, defaults + idea", "Δ",
            "tuned − idea", "idea's share of tuned", "data/ CV F1m, defaults + idea", "Δ"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    report = "\n".join(lines)
    print(report)
    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write(report + "\n")


if __name__ == "__main__":
    main()
