#!/usr/bin/env python3
"""The scikit-learn recipe a user would write instead of `stance score`.

Training (`train`), on the project's labels (data/articles.jsonl):
  - one TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True), fitted on the article texts;
  - sentiment: LogisticRegression on the article's TF-IDF row, one example per article;
  - stance: LogisticRegression on [TF-IDF row of the whole article | one-hot of the actor], one
    example per (article, actor) label. So the stance model sees the article text and who is
    being scored (like stance's actor prior) but, unlike `stance`, not the sentences around the
    actor's mentions: the simple recipe, not a re-implementation of stance's contexts.
  The fitted objects are pickled to --model.

Scoring (`score`), the part that is timed: read the JSONL line by line (json.loads), in chunks
of 1,000 articles: TF-IDF once per article, sentiment predict_proba, find the actors each
article names (regex over data/actors.toml, see common.py), stance predict_proba on one row per
(article, actor), write one JSON object per article. Reports MB/s of article text and
articles/s on stderr, with a breakdown by phase.

    python3 bench/peers/sklearn_score.py train --model sk.pkl
    python3 bench/peers/sklearn_score.py score --model sk.pkl big.jsonl --out sk_out.jsonl
"""

import argparse
import json
import os
import pickle
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

CHUNK = 1000


def actor_onehot(actor_idx, n_actors):
    n = len(actor_idx)
    return sp.csr_matrix((np.ones(n), (np.arange(n), actor_idx)), shape=(n, n_actors))


def train(args):
    data = common.load_labels(args.labels)
    matcher = common.ActorMatcher(args.actors)
    texts = [t for t, _, _ in data]
    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    X = vec.fit_transform(texts)
    sent_rows = [i for i, (_, s, _) in enumerate(data) if s]
    sent = LogisticRegression(max_iter=1000).fit(X[sent_rows], [data[i][1] for i in sent_rows])
    actor_names = list(matcher.names)
    for _, _, st in data:  # an actor labelled but not in actors.toml still gets a column
        for a in st:
            if a not in actor_names:
                actor_names.append(a)
    aidx = {a: i for i, a in enumerate(actor_names)}
    rows, acts, ys = [], [], []
    for i, (_, _, st) in enumerate(data):
        for a, y in st.items():
            rows.append(i)
            acts.append(aidx[a])
            ys.append(y)
    Xs = sp.hstack([X[rows], actor_onehot(acts, len(actor_names))], format="csr")
    stance = LogisticRegression(max_iter=1000).fit(Xs, ys)
    with open(args.model, "wb") as f:
        pickle.dump({"vec": vec, "sent": sent, "stance": stance, "actors": actor_names}, f)
    print(f"sklearn_score: trained on {len(data)} articles, {len(ys)} stance examples, "
          f"{X.shape[1]} features; saved {args.model}", file=sys.stderr)


def score(args):
    clock = common.Clock()
    with open(args.model, "rb") as f:
        m = pickle.load(f)
    vec, sent, stance, actor_names = m["vec"], m["sent"], m["stance"], m["actors"]
    aidx = {a: i for i, a in enumerate(actor_names)}
    matcher = common.ActorMatcher(args.actors)
    out = common.open_out(args.out)
    clock.lap("load")
    n = n_actor = text_bytes = 0
    for chunk in common.chunks(common.read_jsonl(args.input), CHUNK):
        texts = [r.get("text") or "" for _, r in chunk]
        clock.lap("read+parse")
        X = vec.transform(texts)
        clock.lap("tfidf")
        ps = sent.predict_proba(X)
        clock.lap("predict")
        named = [matcher.mentions(t) for t in texts]
        rows, acts = [], []
        for i, counts in enumerate(named):
            for a in counts:
                rows.append(i)
                acts.append(aidx[a])
        clock.lap("actors")
        if rows:
            Xs = sp.hstack([X[rows], actor_onehot(acts, len(actor_names))], format="csr")
            pst = stance.predict_proba(Xs)
        else:
            pst = np.zeros((0, len(stance.classes_)))
        clock.lap("predict")
        k = 0
        lines = []
        for i, (_, r) in enumerate(chunk):
            actors = []
            for a, c in named[i].items():
                p = pst[k]
                k += 1
                actors.append({"actor": a, "mentions": c, "label": stance.classes_[p.argmax()],
                               "probabilities": dict(zip(stance.classes_, p.tolist()))})
            lines.append(json.dumps({
                "id": r.get("id"), "source": r.get("source"), "date": r.get("date"),
                "sentiment": {"label": sent.classes_[ps[i].argmax()],
                              "probabilities": dict(zip(sent.classes_, ps[i].tolist()))},
                "actors": actors}))
            text_bytes += len(texts[i].encode("utf-8"))
        lines.append("")
        out.write("\n".join(lines))
        n += len(chunk)
        n_actor += k
        clock.lap("write")
    out.flush()
    clock.report("sklearn_score", n, n_actor, text_bytes)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train")
    t.add_argument("--model", required=True, help="where to pickle the fitted recipe")
    t.add_argument("--labels", default=common.DEFAULT_LABELS)
    t.add_argument("--actors", default=common.DEFAULT_ACTORS)
    s = sub.add_parser("score")
    s.add_argument("input", help="JSONL articles, or - for standard input")
    s.add_argument("--model", required=True)
    s.add_argument("--out", default="-")
    s.add_argument("--actors", default=common.DEFAULT_ACTORS)
    args = ap.parse_args()
    (train if args.cmd == "train" else score)(args)


if __name__ == "__main__":
    main()
