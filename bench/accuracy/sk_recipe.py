#!/usr/bin/env python3
"""The scikit-learn reference recipe: TF-IDF word 1-3 grams + char_wb 2-5 grams, both with
sublinear tf, concatenated, then LogisticRegression(max_iter=1000) with its defaults
(L2, C=1, lbfgs, multinomial). Nothing tuned. run.py also reports the same recipe with
class_weight="balanced" (stance's default weighting) as a side variant.

Used by run.py; can also be run alone on two JSON Lines files:
    python3 sk_recipe.py TRAIN.jsonl TEST.jsonl --text-field raw --label-field stance
"""

import argparse
import json
import time

from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedGroupKFold


def make_features():
    return [
        TfidfVectorizer(analyzer="word", ngram_range=(1, 3), sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
    ]


def fit_predict(train_x, train_y, test_x, class_weight=None):
    return fit_predict_many(train_x, train_y, [test_x], class_weight)[0]


def fit_predict_many(train_x, train_y, tests, class_weight=None):
    """One fit, predictions for each of several test sets."""
    vecs = make_features()
    xtr = hstack([v.fit_transform(train_x) for v in vecs]).tocsr()
    clf = LogisticRegression(max_iter=1000, class_weight=class_weight)
    clf.fit(xtr, train_y)
    return [list(clf.predict(hstack([v.transform(t) for v in vecs]).tocsr())) for t in tests]


def scores(truth, pred, positive="positive", negative="negative"):
    labels = sorted(set(truth))
    out = {
        "macro_f1": f1_score(truth, pred, labels=labels, average="macro", zero_division=0),
        "accuracy": accuracy_score(truth, pred),
        "n": len(truth),
    }
    if positive in labels and negative in labels:
        out["f_avg"] = f1_score(truth, pred, labels=[positive, negative], average="macro", zero_division=0)
    return out


def majority(train_y, test_y):
    counts = {}
    for y in train_y:
        counts[y] = counts.get(y, 0) + 1
    top = max(sorted(counts), key=lambda k: counts[k])
    return scores(test_y, [top] * len(test_y))


def holdout(train_x, train_y, test_x, test_y, class_weight=None):
    t = time.time()
    pred = fit_predict(train_x, train_y, test_x, class_weight)
    s = scores(test_y, pred)
    s["seconds"] = round(time.time() - t, 1)
    return s, pred


def cross_validate(x, y, groups, folds=5, seed=42):
    """Out-of-fold predictions with StratifiedGroupKFold; scores over all of them."""
    t = time.time()
    pred = [None] * len(y)
    cv = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    for tr, te in cv.split(x, y, groups):
        p = fit_predict([x[i] for i in tr], [y[i] for i in tr], [x[i] for i in te])
        for i, v in zip(te, p):
            pred[i] = v
    s = scores(y, pred)
    s["seconds"] = round(time.time() - t, 1)
    return s, pred


def load(path, text_field, label_field):
    xs, ys = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            xs.append(r[text_field])
            ys.append(r[label_field])
    return xs, ys


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("train")
    ap.add_argument("test")
    ap.add_argument("--text-field", default="text")
    ap.add_argument("--label-field", default="stance")
    a = ap.parse_args()
    trx, try_ = load(a.train, a.text_field, a.label_field)
    tex, tey = load(a.test, a.text_field, a.label_field)
    s, _ = holdout(trx, try_, tex, tey)
    print(json.dumps(s))


if __name__ == "__main__":
    main()
