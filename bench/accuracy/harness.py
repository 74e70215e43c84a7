"""Shared pieces of the accuracy harness: where things are, the stance binary, running stance,
the datasets' splits and data variants, and the 5-way score of the directed set.

Paths: the repository is two levels above this file; the datasets are at
`../shared/datasets/` relative to the repository root (override with STANCE_DATASETS); the
binary is `target/release/stance` built by `cargo build --release` in the repository, or
STANCE_BIN. Converted files live in a temporary directory, never in the repository.
"""

import json
import os
import shlex
import subprocess
import sys
import time

import convert

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SETTINGS = os.path.join(HERE, "settings.json")


def datasets_dir():
    return os.environ.get("STANCE_DATASETS") or os.path.normpath(
        os.path.join(REPO, "..", "shared", "datasets"))


def stance_bin(build=True):
    """STANCE_BIN if set, else the repository's release binary (built first)."""
    b = os.environ.get("STANCE_BIN")
    if b:
        if not os.path.exists(b):
            sys.exit(f"STANCE_BIN={b} does not exist")
        return os.path.abspath(b)
    if build:
        print("building: cargo build --release (in the repository)", file=sys.stderr, flush=True)
        r = subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=REPO)
        if r.returncode != 0:
            sys.exit("cargo build --release failed")
    b = os.path.join(REPO, "target", "release", "stance")
    if not os.path.exists(b):
        sys.exit("no target/release/stance; run cargo build --release or set STANCE_BIN")
    return b


# ------------------------------------------------------------------ datasets

class Dataset:
    """One dataset: its folder, how to convert it, its splits, the CV grouping field."""

    def __init__(self, name, folder, variants, default_variant, train, tests, group_by,
                 published, need, cv_seeds=(42,)):
        self.name = name
        self.folder = folder
        self.variants = variants          # variant name -> kwargs for the converter
        self.default_variant = default_variant
        self.train = train                # split used for training (and for tuning by CV)
        self.tests = tests                # held-out splits
        self.group_by = group_by          # CV grouping field
        self.published = published        # split -> text
        self.need = need                  # files that must exist under the folder
        self.cv_seeds = cv_seeds          # tuning: CV repeated with these fold seeds, averaged

    def root(self):
        return os.path.join(datasets_dir(), self.folder)

    def missing(self):
        r = self.root()
        if not os.path.isdir(r):
            return f"{r} is absent"
        gone = [n for n in self.need if not os.path.exists(os.path.join(r, n))]
        return f"missing {', '.join(gone)} in {r}" if gone else None

    def convert(self, variant, out):
        """Converts into `out`; returns {split: path, 'actors': path}. Cached per variant."""
        d = os.path.join(out, f"{self.name}-{variant}")
        stamp = os.path.join(d, "files.json")
        if os.path.exists(stamp):
            with open(stamp) as f:
                return json.load(f)
        os.makedirs(d, exist_ok=True)
        kw = self.variants[variant]
        if self.name == "newsmtsc":
            files = convert.convert_newsmtsc(self.root(), d, **kw)
        elif self.name == "persent":
            files = convert.convert_persent(self.root(), d, **kw)
        else:
            files = convert.convert_directed(self.root(), d, **kw)
        with open(stamp, "w") as f:
            json.dump(files, f)
        return files

    def five_way(self, variant):
        """The directed set is scored on the 5-way label from the per-example predictions
        (rebuilt from the two per-entity predictions in "received" form)."""
        return self.name == "directed"


DATASETS = {
    "newsmtsc": Dataset(
        "newsmtsc", "newsmtsc",
        variants={
            "coref+others": dict(coref=True, others=True),
            "coref": dict(coref=True, others=False),
            "others": dict(coref=False, others=True),
            "plain": dict(coref=False, others=False),
        },
        default_variant="plain",
        train="train", tests=["test-rw", "test-mt"], group_by="sentence_key",
        published={"test-rw": "83.1 (RoBERTa GRU-TSC)", "test-mt": "82.5 (RoBERTa GRU-TSC)"},
        need=["newsmtsc-rw-hf/train.jsonl", "newsmtsc-rw-hf/test.jsonl",
              "newsmtsc-mt-hf/test.jsonl", "NewsMTSC-dataset/train.jsonl"]),
    "persent": Dataset(
        "persent", "persent",
        variants={"masked": dict(mode="masked"), "surface": dict(mode="surface")},
        default_variant="masked",
        train="dev", tests=["random_test", "fixed_test"], group_by="person_key",
        published={"random_test": "not readable here (BERT best in paper)",
                   "fixed_test": "not readable here (BERT best in paper)"},
        need=["dev.csv", "random_test.csv", "fixed_test.csv"],
        cv_seeds=(42, 43, 44)),  # 578 documents: one 5-fold CV is too noisy to choose by
    "directed": Dataset(
        "directed", "directed_sentiment_news",
        variants={"received": dict(mode="received"), "pair": dict(mode="pair")},
        default_variant="pair",
        train="train", tests=["test", "test_unseen"], group_by="sentence_key",
        published={"test": "not readable here (paper's transformers)"},
        need=["train.txt", "test.txt"]),
}


# ------------------------------------------------------------------ settings

# The flag dimensions searched by tune.py. The first value of each is stance's default.
DIMENSIONS = {
    "ngrams": ["1-2", "1-3", "1"],
    # "2-5w": n-grams of the word as written, word and character blocks normalised apart
    # (--char-source word --block-norm), the way the scikit-learn recipe hstacks its blocks
    "char-ngrams": [None, "2-5", "2-5w"],
    "alpha": ["1", "0.1", "0.3", "0.5", "2", "3", "10", "30", "100"],
    "markers": ["both", "target", "none"],
    "window": ["0", "1", "3", "all"],  # all: every sentence (the whole text, marked)
    "class-weight": ["balanced", "none"],
    "actor-prior": ["on", "off"],
    "min-df": ["2", "1"],
    "near-target": ["0", "1", "2", "3", "5"],
    "negation": ["off", "on"],
    "lexicon": ["off", "on"],
}

# Dimensions that cannot matter for a dataset, and are not searched there: the window on
# one-sentence examples; markers and the actor prior where the converter rewrites the target
# to a placeholder word (the placeholder is itself a unique word, and the only actor).
SKIP = {
    "newsmtsc": {"window", "markers", "actor-prior"},
    "directed": {"window", "markers", "actor-prior"},
    "persent": {"markers", "actor-prior"},
}


def flags_of(cfg):
    """stance command-line flags for a settings dict (only what differs from the defaults)."""
    out = []
    for k, values in DIMENSIONS.items():
        v = cfg.get(k, values[0])
        if v == values[0]:
            continue
        if k == "actor-prior":
            out.append("--no-actor-prior")
        elif k in ("negation", "lexicon"):
            out.append(f"--{k}")
        elif k == "char-ngrams" and v.endswith("w"):
            out += ["--char-ngrams", v[:-1], "--char-source", "word", "--block-norm"]
        else:
            out += [f"--{k}", v]
    return out


def load_settings():
    if not os.path.exists(SETTINGS):
        return {}
    with open(SETTINGS) as f:
        return json.load(f)


# ------------------------------------------------------------------ running stance

def run(cmd, capture=True):
    t = time.time()
    r = subprocess.run(cmd, capture_output=capture, text=True)
    dt = time.time() - t
    if r.returncode != 0:
        err = (r.stderr or "").strip().splitlines()
        sys.exit(f"failed ({r.returncode}): {shlex.join(cmd)}\n" + "\n".join(err[-20:]))
    return r.stdout, dt


def read_oof(path):
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]


def macro_f1(truth, pred):
    labels = sorted(set(truth))
    f1s = []
    for c in labels:
        tp = sum(1 for t, p in zip(truth, pred) if t == c and p == c)
        fp = sum(1 for t, p in zip(truth, pred) if t != c and p == c)
        fn = sum(1 for t, p in zip(truth, pred) if t == c and p != c)
        f1s.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return sum(f1s) / len(f1s)


def polarity_of(label5):
    """The directed label without its direction: neutral, pos or neg."""
    return "neutral" if label5 == "neutral" else label5[:3]


def directed_scores(oof_path, data_path):
    """The directed set scored from stance's per-example predictions (--oof): 5-way macro-F1
    and accuracy, and the same with the direction ignored (polarity: neutral/pos/neg). In
    "received" form each sentence has two predictions (one per entity), combined into the
    5-way label by convert.combine_received; in "pair" form the prediction is the label."""
    truth = {}
    with open(data_path) as f:
        for line in f:
            r = json.loads(line)
            truth[r["id"]] = r["label5"]
    preds = {}
    for p in read_oof(oof_path):
        if p.get("task") == "stance":
            preds.setdefault(p["id"], {})[p["actor"]] = p
    ids = sorted(truth)
    t = [truth[i] for i in ids]
    pr = []
    for i in ids:
        p = preds[i]
        if convert.ENT2 in p:
            pr.append(convert.combine_received(p[convert.ENT1]["probabilities"],
                                               p[convert.ENT2]["probabilities"]))
        else:
            pr.append(p[convert.ENT1]["predicted"])
    acc = lambda a, b: sum(x == y for x, y in zip(a, b)) / len(a)
    tp, pp = [polarity_of(x) for x in t], [polarity_of(x) for x in pr]
    return {"macro_f1": macro_f1(t, pr), "accuracy": acc(t, pr), "f_avg": None, "n": len(t),
            "polarity_macro_f1": macro_f1(tp, pp), "polarity_accuracy": acc(tp, pp)}


def stance_scores(report_json, task="stance"):
    s = json.loads(report_json)[task]
    out = {"macro_f1": s["macro_f1"], "accuracy": s["accuracy"], "f_avg": s.get("f_avg"),
           "n": s["n"], "majority_f1": s["baseline"]["macro_f1"],
           "majority_acc": s["baseline"]["accuracy"]}
    if s.get("folds"):
        out["macro_f1_sd"] = s["folds"].get("macro_f1", {}).get("sd")
    return out
