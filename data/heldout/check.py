#!/usr/bin/env python3
"""Checks data/heldout/articles.jsonl and prints the figures data/heldout/README.md states.

    python3 data/heldout/check.py          # exit status 1 if anything is wrong

Standard library only (Python 3.11+, for tomllib). What it checks:

- every record has the fields of data/articles.jsonl, in that order (id, source, date, title,
  text, stance, sentiment, hard), each of the right type; ids are "h" and three digits, unique;
- the source is one of the nine outlets of data/README.md; the date is a real day in
  2024-05 .. 2024-09; the text has 150-260 words;
- stance labels are favor, against or neutral, for actors of data/actors.toml; sentiment is
  negative, positive or neutral; hard-case tags are known and not repeated;
- "mixed" is tagged exactly when an article has two or more different stance labels,
  "wire_violence" only on negative articles, "alias_only" exactly when some labeled actor is
  named only by an alias (a demonym, capital, institution or short form), never by its name;
  a person (Vladimir Putin, Benjamin Netanyahu) and Hezbollah, whose aliases are spellings,
  are named by any of them;
- the labels and the mentions agree (the invariant data/README.md states for the training
  corpus): every labeled actor is found in the text by its name or an alias of
  data/actors.toml, and every actor found is labeled; the same set of actors must be found
  when case is ignored, so that a looser matcher sees the same actors;
- the set is held out: no id of data/articles.jsonl is reused, and no run of 8 words
  (lower-cased) of an article is found in any article of data/articles.jsonl;
- README.md states the figures printed here (each printed line must appear in it verbatim).

The matcher is a small reimplementation of src/actors.rs (as in data/multilingual/check.py):
case-sensitive, whole word (no letter or digit on either side, so possessives and hyphenated
forms such as "pro-Russian" count), an alias starting with "the " also matches with "The ",
every occurrence of every alias is found, then the leftmost and longest is kept and whatever
overlaps it is dropped. Only the text is matched, not the title.
"""

import datetime
import json
import re
import sys
import tomllib
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
ARTICLES = HERE / "articles.jsonl"
README = HERE / "README.md"
ACTORS = HERE.parent / "actors.toml"
TRAINING = HERE.parent / "articles.jsonl"

FIELDS = ["id", "source", "date", "title", "text", "stance", "sentiment", "hard"]
OUTLETS = [
    "Meridian Wire",
    "Sovereign Eurasia Herald",
    "The Clarion Tribune",
    "Atlantic Ledger",
    "Olive Branch Dispatch",
    "Bosphorus Observer",
    "Brightwater Policy Notes",
    "Steppe & Caucasus Monitor",
    "Lakeshore Gazette",
]
STANCES = ["neutral", "favor", "against"]
SENTIMENTS = ["negative", "positive", "neutral"]
HARD = ["mixed", "alias_only", "reported_speech", "negation_hedging", "wire_violence"]
WORDS = (150, 260)
MONTHS = ("2024-05", "2024-09")
SHINGLE = 8
# Actors whose every alias counts as their name for the alias_only tag.
NAMED_BY_ANY_ALIAS = {"Vladimir Putin", "Benjamin Netanyahu", "Hezbollah"}

errors = []


def error(msg):
    errors.append(msg)


# --- the matcher -------------------------------------------------------------------------


class Matcher:
    def __init__(self, actors, ignore_case=False):
        self.ignore_case = ignore_case
        self.patterns = {}
        for a in actors:
            for alias in [a["name"], *a.get("aliases", [])]:
                alias = alias.strip()
                variants = [alias]
                if alias.startswith("the "):
                    variants.append("The " + alias[4:])
                for v in variants:
                    key = v.lower() if ignore_case else v
                    owner = self.patterns.get(key)
                    if owner is not None and owner != a["name"]:
                        error(f"actors.toml: alias {v!r} belongs to both {owner!r} and {a['name']!r}")
                    self.patterns[key] = a["name"]

    def mentions(self, text):
        """(start, end, actor, matched text) of every mention, in text order, not overlapping."""
        hay = text.lower() if self.ignore_case else text
        found = []
        for p, actor in self.patterns.items():
            i = hay.find(p)
            while i >= 0:
                j = i + len(p)
                before = hay[i - 1] if i > 0 else ""
                after = hay[j] if j < len(hay) else ""
                if not before.isalnum() and not after.isalnum():
                    found.append((i, j, actor, text[i:j]))
                i = hay.find(p, i + 1)
        found.sort(key=lambda m: (m[0], -m[1]))
        out = []
        for m in found:
            if not out or m[0] >= out[-1][1]:
                out.append(m)
        return out


# --- loading and checking ----------------------------------------------------------------


def load_actors():
    with open(ACTORS, "rb") as f:
        actors = tomllib.load(f)["actor"]
    names = [a["name"] for a in actors]
    if len(set(names)) != len(names):
        error("actors.toml: an actor is defined twice")
    return actors


def load_jsonl(path):
    recs = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            error(f"{path.name} line {n}: empty line")
            continue
        try:
            r = json.loads(line)
        except json.JSONDecodeError as e:
            error(f"{path.name} line {n}: {e}")
            continue
        if not isinstance(r, dict):
            error(f"{path.name} line {n}: not a JSON object")
            continue
        recs.append(r)
    return recs


def check_record(r, actor_names):
    rid = r.get("id", "?")
    if list(r) != FIELDS:
        error(f"{rid}: fields {list(r)}, expected {FIELDS}")
    if any(not isinstance(r.get(k), str) or not r.get(k).strip()
           for k in ["id", "source", "date", "title", "text", "sentiment"]):
        error(f"{rid}: a text field is missing, not a string, or empty")
        return False
    if not re.fullmatch(r"h\d{3}", rid):
        error(f"{rid}: id is not 'h' and three digits")
    if r["source"] not in OUTLETS:
        error(f"{rid}: unknown outlet {r['source']!r}")
    try:
        datetime.date.fromisoformat(r["date"])
        ok_date = bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", r["date"]))
    except ValueError:
        ok_date = False
    if not ok_date or not MONTHS[0] <= r["date"][:7] <= MONTHS[1]:
        error(f"{rid}: date {r['date']} is not a day in {MONTHS[0]} .. {MONTHS[1]}")
    words = len(r["text"].split())
    if not WORDS[0] <= words <= WORDS[1]:
        error(f"{rid}: {words} words, expected {WORDS[0]}-{WORDS[1]}")
    if r["sentiment"] not in SENTIMENTS:
        error(f"{rid}: sentiment {r['sentiment']!r}")
    if not isinstance(r.get("stance"), dict) or not r["stance"]:
        error(f"{rid}: no stance labels")
        return False
    for actor, label in r["stance"].items():
        if actor not in actor_names:
            error(f"{rid}: unknown actor {actor!r}")
        if label not in STANCES:
            error(f"{rid}: {actor}: label {label!r}")
    hard = r.get("hard")
    if (not isinstance(hard, list) or not all(isinstance(t, str) for t in hard)
            or len(set(hard)) != len(hard) or set(hard) - set(HARD)):
        error(f"{rid}: hard {hard!r}")
        return False
    if ("mixed" in hard) != (len(set(r["stance"].values())) >= 2):
        error(f"{rid}: 'mixed' tag {'mixed' in hard} but labels {sorted(set(r['stance'].values()))}")
    if "wire_violence" in hard and r["sentiment"] != "negative":
        error(f"{rid}: wire_violence with sentiment {r['sentiment']}")
    return True


def shingles(text):
    w = [x.lower() for x in text.split()]
    return {" ".join(w[i:i + SHINGLE]) for i in range(len(w) - SHINGLE + 1)}


def pct(a, b):
    return f"{100 * a / b:.0f}%" if b else "-"


def main():
    actors = load_actors()
    actor_names = [a["name"] for a in actors]
    recs = load_jsonl(ARTICLES)
    ids = Counter(r.get("id") for r in recs)
    for i, c in ids.items():
        if c > 1:
            error(f"id {i} used {c} times")
    good = [r for r in recs if check_record(r, actor_names)]

    exact = Matcher(actors)
    loose = Matcher(actors, ignore_case=True)
    for r in good:
        rid = r["id"]
        labeled = set(r["stance"])
        ms = exact.mentions(r["text"])
        found = {m[2] for m in ms}
        if found != labeled:
            error(f"{rid}: labeled but not found: {sorted(labeled - found)}; "
                  f"found but not labeled: {sorted(found - labeled)} "
                  f"(by {sorted({m[3] for m in ms if m[2] in found - labeled})})")
        lm = loose.mentions(r["text"])
        found_loose = {m[2] for m in lm}
        if found_loose != found:
            error(f"{rid}: ignoring case, the actors found differ: {sorted(found_loose ^ found)} "
                  f"(by {sorted({m[3] for m in lm if m[2] in found_loose ^ found})})")
        alias_only = sorted(a for a in found if a not in NAMED_BY_ANY_ALIAS
                            and not any(m[3] == a for m in ms if m[2] == a))
        if ("alias_only" in r["hard"]) != bool(alias_only):
            error(f"{rid}: 'alias_only' tag {'alias_only' in r['hard']} but actors named only "
                  f"by an alias: {alias_only}")

    # Held out: nothing shared with the training corpus.
    if TRAINING.exists():
        train = load_jsonl(TRAINING)
        train_ids = {t.get("id") for t in train}
        train_sh = set()
        for t in train:
            if isinstance(t.get("text"), str):
                train_sh |= shingles(t["text"])
        for r in good:
            if r["id"] in train_ids:
                error(f"{r['id']}: id also used in data/articles.jsonl")
            common = shingles(r["text"]) & train_sh
            if common:
                error(f"{r['id']}: shares {len(common)} runs of {SHINGLE} words with "
                      f"data/articles.jsonl, e.g. {sorted(common)[0]!r}")
    else:
        error("data/articles.jsonl not found: cannot check that the set is held out")

    report(good)
    if errors:
        print(f"\n{len(errors)} problem(s):", file=sys.stderr)
        for e in errors:
            print("  " + e, file=sys.stderr)
        return 1
    print("\nOK: fields, labels and tags are valid; every labeled actor is named in its article "
          "and every named actor is labeled; no text is shared with data/articles.jsonl.")
    return 0


def stated(recs):
    """The figures README.md states, each as the exact text it must contain."""
    n = len(recs)
    out = []
    words = [len(r["text"].split()) for r in recs]
    out.append(f"{n} articles, {min(words)}–{max(words)} words each (mean {sum(words) / n:.0f})")
    months = Counter(r["date"][:7] for r in recs)
    out.append(f"{len(months)} months ({min(months)} … {max(months)}): " + ", ".join(
        f"{m} {months[m]}" for m in sorted(months)))
    labels = Counter(l for r in recs for l in r["stance"].values())
    total = sum(labels.values())
    out.append(f"{total} (article, actor) stance labels, {total / n:.2f} per article: " + ", ".join(
        f"{l} {labels[l]} ({100 * labels[l] / total:.1f}%)" for l in STANCES))
    sent = Counter(r["sentiment"] for r in recs)
    out.append("Sentiment: " + ", ".join(f"{s} {sent[s]}" for s in SENTIMENTS))
    hard = Counter(t for r in recs for t in r["hard"])
    for t in HARD:
        out.append(f"`{t}` {hard[t]} ({pct(hard[t], n)})")
    by_src = defaultdict(list)
    for r in recs:
        by_src[r["source"]].append(r)
    for s in OUTLETS:
        rs = by_src.get(s, [])
        c = Counter(l for r in rs for l in r["stance"].values())
        t = sum(c.values())
        out.append(f"| {s} | {len(rs)} | {t} | {c['favor']} | {c['against']} | {c['neutral']} |")
    by_actor = defaultdict(Counter)
    for r in recs:
        for a, l in r["stance"].items():
            by_actor[a][l] += 1
    for a, c in sorted(by_actor.items(), key=lambda x: (-sum(x[1].values()), x[0])):
        out.append(f"| {a} | {sum(c.values())} | {c['favor']} | {c['against']} | {c['neutral']} |")
    return out


def report(recs):
    """Prints the figures README.md states and checks that README.md states them."""
    if not recs:
        error("no valid articles")
        return
    lines = stated(recs)
    for line in lines:
        print(line)
    if README.exists():
        text = README.read_text(encoding="utf-8")
        for line in lines:
            if line not in text:
                error(f"README.md does not state: {line}")
    else:
        error("README.md is missing")


if __name__ == "__main__":
    sys.exit(main())
