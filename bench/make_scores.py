#!/usr/bin/env python3
"""Build a large file of score records for benchmarks of `stance compare`.

Repeats the real score output of the project's data (`stance score data/articles.jsonl`,
given as BASE) until the output holds N records. Each copy gets its own id (`ID-COPY`) and
one of `--outlets` variants of its source (`SOURCE #j`, j = copy mod outlets), so the groups
of `--by source` are the data's outlets times the variants. With `--jitter S` (default 0.1)
each copy's stance probabilities are perturbed (each multiplied by exp(S * N(0, 1)),
renormalised; the label, the argmax, and the score, P(favor) - P(against), follow), so the
groups do not repeat a few hundred distinct rows; `--jitter 0` repeats them exactly.
Deterministic: the same arguments give the same file, byte for byte.

    stance score data/articles.jsonl --out base.jsonl
    python3 bench/make_scores.py base.jsonl 1000000 scores_1m.jsonl
    python3 bench/make_scores.py base.jsonl 10000000 - | stance compare -

A pool of `--pool` perturbed copies of every base record is serialised once; the output
cycles through it, only the id and source spliced in, so 10 million records take minutes.
"""

import argparse
import json
import math
import random
import sys


def perturbed(rec, rng, jitter):
    """A copy of the score record `rec` with its stance probabilities perturbed."""
    out = json.loads(json.dumps(rec))
    if jitter <= 0:
        return out
    for a in out.get("actors", []):
        p = a.get("probabilities", {})
        if not p:
            continue
        w = {k: v * math.exp(jitter * rng.gauss(0.0, 1.0)) for k, v in p.items()}
        z = sum(w.values())
        a["probabilities"] = {k: v / z for k, v in w.items()}
        a["label"] = max(a["probabilities"], key=a["probabilities"].get)
        if "favor" in p and "against" in p:
            a["score"] = a["probabilities"]["favor"] - a["probabilities"]["against"]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("base", help="score records of `stance score` (JSONL)")
    ap.add_argument("n", type=int, help="records to write")
    ap.add_argument("out", help="output file, or - for standard output")
    ap.add_argument("--outlets", type=int, default=5, help="variants of each source")
    ap.add_argument("--jitter", type=float, default=0.1)
    ap.add_argument("--pool", type=int, default=50, help="perturbed copies per base record")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    base = []
    with open(args.base, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                if "error" not in r:
                    base.append(r)
    if not base:
        sys.exit(f"{args.base}: no score records")
    # Templates: the record serialised with its id and source cut out.
    pool = []
    for copy in range(args.pool):
        for r in base:
            p = perturbed(r, rng, args.jitter)
            p["id"] = "@@ID@@"
            p["source"] = "@@SRC@@"
            text = json.dumps(p, ensure_ascii=False, separators=(",", ":"))
            head, rest = text.split('"@@ID@@"', 1)
            mid, tail = rest.split('"@@SRC@@"', 1)
            pool.append((head, mid, tail, json.dumps(r["id"])[1:-1], r.get("source") or ""))
    out = sys.stdout if args.out == "-" else open(args.out, "w", encoding="utf-8")
    k = len(pool)
    buf = []
    for i in range(args.n):
        head, mid, tail, rid, src = pool[i % k]
        copy = i // len(base)
        source = json.dumps(f"{src} #{copy % args.outlets}", ensure_ascii=False)
        buf.append(f'{head}"{rid}-{copy}"{mid}{source}{tail}\n')
        if len(buf) >= 10000:
            out.write("".join(buf))
            buf.clear()
    out.write("".join(buf))
    if out is not sys.stdout:
        out.close()


if __name__ == "__main__":
    main()
