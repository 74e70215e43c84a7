#!/usr/bin/env python3
"""The fastText recipe a user would write instead of `stance score` (package fasttext-numpy2).

Training (`train`), on the project's labels (data/articles.jsonl), two supervised models:
  - sentiment: one line per article, `__label__<sentiment> <text>`;
  - stance: one line per (article, actor) label, `__label__<stance> __actor__<Actor> <text>`
    (the actor as a token, so the model knows who is being scored; the whole article text as
    context).
  wordNgrams=2, epoch=25, lr=0.5, dim=50, thread=1, seed fixed; saved as two .bin files
  (--model PREFIX gives PREFIX.sentiment.bin and PREFIX.stance.bin).

Scoring (`score`), the part that is timed: read the JSONL line by line (json.loads), in chunks
of 1,000 articles: newlines folded to spaces (fastText predicts one line), sentiment
`predict(texts, k=-1)`, the actors each article names (regex over data/actors.toml, see
common.py), stance `predict(["__actor__A " + text, ...], k=-1)`, one JSON object per article
out. Reports MB/s of article text and articles/s on stderr, with a breakdown by phase.

    python3 bench/peers/fasttext_score.py train --model ft
    python3 bench/peers/fasttext_score.py score --model ft big.jsonl --out ft_out.jsonl
"""

import argparse
import json
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

import fasttext  # noqa: E402

CHUNK = 1000
WS = re.compile(r"\s+")
PARAMS = dict(wordNgrams=2, epoch=25, lr=0.5, dim=50, thread=1, seed=1, verbose=0)


def one_line(text):
    return WS.sub(" ", text).strip()


def actor_token(a):
    return "__actor__" + a.replace(" ", "_")


def train(args):
    data = common.load_labels(args.labels)
    with tempfile.TemporaryDirectory() as d:
        sp, st = os.path.join(d, "sent.txt"), os.path.join(d, "stance.txt")
        n_st = 0
        with open(sp, "w", encoding="utf-8") as fs, open(st, "w", encoding="utf-8") as ft:
            for text, s, stances in data:
                t = one_line(text)
                if s:
                    fs.write(f"__label__{s} {t}\n")
                for a, y in stances.items():
                    ft.write(f"__label__{y} {actor_token(a)} {t}\n")
                    n_st += 1
        fasttext.train_supervised(input=sp, **PARAMS).save_model(args.model + ".sentiment.bin")
        fasttext.train_supervised(input=st, **PARAMS).save_model(args.model + ".stance.bin")
    print(f"fasttext_score: trained on {len(data)} articles, {n_st} stance examples; "
          f"saved {args.model}.sentiment.bin, {args.model}.stance.bin", file=sys.stderr)


def probs(labels, ps):
    return {lab[len("__label__"):]: float(p) for lab, p in zip(labels, ps)}


def score(args):
    clock = common.Clock()
    sent = fasttext.load_model(args.model + ".sentiment.bin")
    stance = fasttext.load_model(args.model + ".stance.bin")
    matcher = common.ActorMatcher(args.actors)
    out = common.open_out(args.out)
    clock.lap("load")
    n = n_actor = text_bytes = 0
    for chunk in common.chunks(common.read_jsonl(args.input), CHUNK):
        texts = [r.get("text") or "" for _, r in chunk]
        clock.lap("read+parse")
        lines1 = [one_line(t) for t in texts]
        clock.lap("prepare")
        sl, sp = sent.predict(lines1, k=-1)
        clock.lap("predict")
        named = [matcher.mentions(t) for t in texts]
        clock.lap("actors")
        pairs = [actor_token(a) + " " + lines1[i] for i, c in enumerate(named) for a in c]
        clock.lap("prepare")
        tl, tp = stance.predict(pairs, k=-1) if pairs else ([], [])
        clock.lap("predict")
        k = 0
        lines = []
        for i, (_, r) in enumerate(chunk):
            actors = []
            for a, c in named[i].items():
                p = probs(tl[k], tp[k])
                k += 1
                actors.append({"actor": a, "mentions": c, "label": max(p, key=p.get), "probabilities": p})
            p = probs(sl[i], sp[i])
            lines.append(json.dumps({
                "id": r.get("id"), "source": r.get("source"), "date": r.get("date"),
                "sentiment": {"label": max(p, key=p.get), "probabilities": p},
                "actors": actors}))
            text_bytes += len(texts[i].encode("utf-8"))
        lines.append("")
        out.write("\n".join(lines))
        n += len(chunk)
        n_actor += k
        clock.lap("write")
    out.flush()
    clock.report("fasttext_score", n, n_actor, text_bytes)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train")
    t.add_argument("--model", required=True, help="path prefix for the two .bin files")
    t.add_argument("--labels", default=common.DEFAULT_LABELS)
    s = sub.add_parser("score")
    s.add_argument("input", help="JSONL articles, or - for standard input")
    s.add_argument("--model", required=True)
    s.add_argument("--out", default="-")
    s.add_argument("--actors", default=common.DEFAULT_ACTORS)
    args = ap.parse_args()
    (train if args.cmd == "train" else score)(args)


if __name__ == "__main__":
    main()
