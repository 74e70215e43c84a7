#!/usr/bin/env python3
"""Training cost against the number of examples: `stance train` beside the scikit-learn recipe.

Sets of 1k, 3k, 10k and 30k examples are drawn from NewsMTSC's training split (converted by
accuracy/convert.py into a temporary directory; nothing is written into the repository).
Up to the split's 8,739 examples they are a random subset; beyond it records are drawn again
with a new id and one random word dropped, so no two texts are identical. Each set is trained
by `stance train` (its defaults: 5-fold cross-validation, calibration, the inner real-use
evaluation and the final fit; optionally with character n-grams; with --no-cv the final fit
alone) and by the scikit-learn
recipe of accuracy/sk_recipe.py (one fit of word 1-3 + char_wb 2-5 TF-IDF and
LogisticRegression; `--sk-words` for word 1-2 only), each whole process, CPU seconds
(user + system) and wall seconds from /usr/bin/time, median of --repeat runs.

    python3 bench/train_scale.py --bin target/release/stance [--sizes 1000,3000,10000,30000]
        [--char] [--no-cv] [--sk-words] [--repeat 1] [--python PYTHON]

Needs ../shared/datasets (skips with a message when it is absent) and scikit-learn in the
Python given by --python (default: this one).
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DATASETS = os.path.join(ROOT, "..", "shared", "datasets")

SK = r"""
import json, sys
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
words_only = sys.argv[2] == "words"
x, y = [], []
for line in open(sys.argv[1]):
    r = json.loads(line)
    labels = r["stance"] if isinstance(r["stance"], dict) else {r.get("actor"): r["stance"]}
    for label in labels.values():
        x.append(r["text"]); y.append(label)
vecs = [TfidfVectorizer(analyzer="word", ngram_range=(1, 2 if words_only else 3), sublinear_tf=True)]
if not words_only:
    vecs.append(TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True))
m = hstack([v.fit_transform(x) for v in vecs]).tocsr()
LogisticRegression(max_iter=1000).fit(m, y)
"""


def make_sets(train, sizes, work):
    recs = [json.loads(line) for line in open(train)]
    rng = random.Random(7)
    paths = {}
    for n in sizes:
        out = []
        pool = recs[:]
        rng.shuffle(pool)
        for i in range(n):
            r = dict(pool[i % len(pool)])
            if i >= len(pool):
                words = r["text"].split(" ")
                if len(words) > 3:
                    del words[rng.randrange(len(words))]
                r["text"] = " ".join(words)
            r["id"] = f"s{i}"
            out.append(r)
        path = os.path.join(work, f"train-{n}.jsonl")
        with open(path, "w") as f:
            for r in out:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        paths[n] = path
    return paths


def timed(cmd, work):
    t = os.path.join(work, "time")
    subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M", "-o", t] + cmd,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall, user, sys_, rss = open(t).read().split()
    return float(wall), float(user) + float(sys_), float(sys_), int(rss) // 1024


def median_run(cmd, work, repeat):
    runs = [timed(cmd, work) for _ in range(repeat)]
    return tuple(statistics.median(r[i] for r in runs) for i in range(4))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "stance"))
    ap.add_argument("--sizes", default="1000,3000,10000,30000")
    ap.add_argument("--char", action="store_true", help="stance with --char-ngrams 2-5 --char-source word")
    ap.add_argument("--sk-words", action="store_true", help="the recipe without character n-grams")
    ap.add_argument("--no-sk", action="store_true", help="stance only")
    ap.add_argument("--no-cv", action="store_true",
                    help="stance train --no-cv: the final fit alone, the one fit the recipe makes")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--python", default=sys.executable)
    a = ap.parse_args()
    if not os.path.isdir(os.path.join(DATASETS, "newsmtsc")):
        print("skipped: ../shared/datasets/newsmtsc is absent", file=sys.stderr)
        return
    sizes = [int(s) for s in a.sizes.split(",")]
    with tempfile.TemporaryDirectory() as work:
        conv = os.path.join(work, "conv")
        subprocess.run([sys.executable, os.path.join(HERE, "accuracy", "convert.py"), "newsmtsc",
                        "--datasets", DATASETS, "--out", conv], check=True, stdout=subprocess.DEVNULL)
        sets = make_sets(os.path.join(conv, "newsmtsc-train.jsonl"), sizes, work)
        actors = os.path.join(conv, "newsmtsc-actors.toml")
        extra = ["--char-ngrams", "2-5", "--char-source", "word"] if a.char else []
        extra += ["--no-cv"] if a.no_cv else []
        sk_kind = "words" if a.sk_words else "words+chars"
        flags = (" --char-ngrams 2-5" if a.char else "") + (" --no-cv" if a.no_cv else "")
        print(f"| examples | stance train{flags} CPU s | wall s | "
              f"system s | peak MB | scikit-learn ({sk_kind}) CPU s | wall s | peak MB | ratio (CPU) |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for n in sizes:
            model = os.path.join(work, "m.json")
            st = median_run([a.bin, "train", "--data", sets[n], "--actors", actors, "--out", model]
                            + extra, work, a.repeat)
            if a.no_sk:
                sk = (float("nan"),) * 4
            else:
                script = os.path.join(work, "sk.py")
                with open(script, "w") as f:
                    f.write(SK)
                sk = median_run([a.python, script, sets[n], "words" if a.sk_words else "all"], work, a.repeat)
            print(f"| {n:,} | {st[1]:.1f} | {st[0]:.1f} | {st[2]:.1f} | {st[3]} | {sk[1]:.1f} | {sk[0]:.1f} | "
                  f"{sk[3]} | {st[1] / sk[1]:.2f} |", flush=True)


if __name__ == "__main__":
    main()
