#!/usr/bin/env python3
"""Build a large JSON Lines input for whole-run benchmarks of `stance score`.

Resamples the articles of the project's `data/articles.jsonl` and, when present, the
documents of PerSenT (`../shared/datasets/persent/*.csv`, relative to the repository root),
varying them (paragraphs shuffled, a second document's paragraphs appended) until the output
holds at least `--mb` megabytes (10^6 bytes, UTF-8) of article text. Deterministic: the same
`--seed` and `--mb` give the same file, byte for byte.

Each output line: {"id", "source", "date", "text"}.

The dataset text is written only to OUTPUT (put it outside the repository, e.g. in a scratch directory).

    python3 bench/make_large.py stance_large.jsonl            # 100 MB of text
    python3 bench/make_large.py --mb 1000 stance_1g.jsonl     # ~1 GB
"""

import argparse
import csv
import datetime
import glob
import json
import os
import random
import sys

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def starter_pool(path):
    pool = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            r = json.loads(line)
            paras = [p.strip() for p in r["text"].split("\n\n") if p.strip()]
            pool.append((r.get("source") or "starter", r.get("date"), paras))
    return pool


def persent_pool(folder):
    files = sorted(glob.glob(os.path.join(folder, "*.csv")))
    if not files:
        return None
    csv.field_size_limit(1 << 30)
    pool = []
    for path in files:
        with open(path, encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                doc = row.get("DOCUMENT") or ""
                # Paragraphs are separated by a bare LF; PerSenT has lost its commas to
                # double spaces, which is left as it is (it is still news text).
                paras = [p.strip() for p in doc.split("\n") if p.strip()]
                if paras:
                    pool.append(("PerSenT", None, paras))
    return pool


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("output", help="where to write the JSONL (not inside the repository)")
    ap.add_argument("--mb", type=float, default=100.0,
                    help="megabytes (10^6 bytes) of article text to write, at least (default 100)")
    ap.add_argument("--seed", type=int, default=20240101)
    ap.add_argument("--articles", default=os.path.join(REPO, "data", "articles.jsonl"),
                    help="the starter corpus (default: the repository's data/articles.jsonl)")
    ap.add_argument("--persent", default=os.path.join(REPO, "..", "shared", "datasets", "persent"),
                    help="PerSenT folder (default: ../shared/datasets/persent from the repository root)")
    args = ap.parse_args()

    rng = random.Random(args.seed)
    starter = starter_pool(args.articles)
    persent = persent_pool(args.persent) if os.path.isdir(args.persent) else None
    if not persent:
        print(f"make_large: PerSenT not found under {os.path.relpath(args.persent)}; "
              "using the starter corpus only", file=sys.stderr)
    pools = [starter] + ([persent] if persent else [])

    target = int(args.mb * 1e6)
    day0 = datetime.date(2023, 7, 1)
    n = text_bytes = 0
    tmp = args.output + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as out:
        while text_bytes < target:
            pool = pools[rng.randrange(len(pools))]
            source, date, paras = pool[rng.randrange(len(pool))]
            paras = list(paras)
            r = rng.random()
            if r < 0.4:
                rng.shuffle(paras)                      # same story, paragraphs reordered
            elif r < 0.6:
                _, _, more = pool[rng.randrange(len(pool))]
                paras = paras + list(more)              # two stories run together
            elif r < 0.7:
                paras = paras[: max(1, len(paras) // 2)]  # a short item
            if date is None:
                date = (day0 + datetime.timedelta(days=rng.randrange(305))).isoformat()
            text = "\n\n".join(paras)
            rec = {"id": f"L{n:09d}", "source": source, "date": date, "text": text}
            out.write(json.dumps(rec, ensure_ascii=False))
            out.write("\n")
            n += 1
            text_bytes += len(text.encode("utf-8"))
    os.replace(tmp, args.output)
    file_bytes = os.path.getsize(args.output)
    print(f"make_large: wrote {n} articles, {text_bytes / 1e6:.1f} MB of text "
          f"({file_bytes / 1e6:.1f} MB file) to {args.output}; pools: starter {len(starter)}"
          + (f", PerSenT {len(persent)}" if persent else ""), file=sys.stderr)


if __name__ == "__main__":
    main()
