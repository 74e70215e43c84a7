#!/usr/bin/env python3
"""Checks data/multilingual/ and prints the figures its README states.

    python3 data/multilingual/check.py          # exit status 1 if anything is wrong

Standard library only (Python 3.11+, for tomllib). What it checks:

- articles.jsonl: every record has the fields, a known language whose id prefix it carries
  ("de001"), unique ids, known stance, sentiment and hard-case labels, a date in
  2023-07 .. 2024-04, 120-250 words, three outlets per language and no outlet in two languages;
- "mixed" is tagged exactly when an article has two or more different stance labels,
  "wire_violence" only on negative articles, "alias_only" exactly when some labeled actor is
  named only by an alias (demonym, capital, institution; see NAME_FORMS), not by its name in
  the article's language;
- actors.toml: the same actors, kinds and English aliases as data/actors.toml, a list for each
  language, no alias belonging to two actors;
- the labels and the mentions agree (the invariant data/README.md states for the English
  corpus): every labeled actor is found in the text by its name or an alias, and every actor
  found is labeled. The aliases matched are the name, the English aliases and those of the
  article's language; then, again, with the aliases of every language at once (what a matcher
  that does not know the article's language would see), which must agree too;
- README.md states the figures printed here (each printed line must appear in it verbatim).

The matcher is a small reimplementation of src/actors.rs: case-sensitive, whole word (no letter
or digit on either side), an alias starting with "the " also matches with "The ", every
occurrence of every alias is found, then the leftmost and longest is kept and whatever overlaps
it is dropped. Only the text is matched, not the title.
"""

import json
import re
import sys
import tomllib
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
ARTICLES = HERE / "articles.jsonl"
ACTORS = HERE / "actors.toml"
ENGLISH_ACTORS = HERE.parent / "actors.toml"

LANGUAGES = {"de": "German", "fr": "French", "es": "Spanish"}
FIELDS = ["id", "source", "date", "title", "text", "language", "stance", "sentiment", "hard"]
STANCES = ["favor", "against", "neutral"]
SENTIMENTS = ["negative", "positive", "neutral"]
HARD = ["mixed", "alias_only", "reported_speech", "negation_hedging", "wire_violence"]
WORDS = (120, 250)
MONTHS = ("2023-07", "2024-04")

# The actor's own name in each language (with its inflected forms and usual abbreviations):
# a mention by any other alias (a demonym, a capital, an institution) is a mention "only by an
# alias" for the alias_only tag. The English name always counts as a name. Persons are named by
# every alias they have.
NAME_FORMS = {
    "Russia": {
        "de": ["Russland", "Russlands", "Russische Föderation", "Russischen Föderation"],
        "fr": ["Russie", "Fédération de Russie"],
        "es": ["Rusia", "Federación Rusa", "Federación de Rusia"],
    },
    "Ukraine": {"de": ["Ukraine"], "fr": ["Ukraine"], "es": ["Ucrania"]},
    "Israel": {"de": ["Israel", "Israels"], "fr": ["Israël", "Israel"], "es": ["Israel"]},
    "Hamas": {"de": ["Hamas"], "fr": ["Hamas"], "es": ["Hamás", "Hamas"]},
    "Palestinians": {
        "de": ["Palästinenser", "Palästinensern", "Palästinenserinnen"],
        "fr": ["Palestiniens", "Palestiniennes"],
        "es": ["palestinos", "palestinas"],
    },
    "Iran": {"de": ["Iran", "Irans"], "fr": ["Iran"], "es": ["Irán", "Iran"]},
    "United States": {
        "de": ["USA", "Vereinigte Staaten", "Vereinigten Staaten"],
        "fr": ["États-Unis", "Etats-Unis"],
        "es": ["Estados Unidos", "EE. UU.", "EE.UU.", "EEUU"],
    },
    "European Union": {
        "de": ["EU", "Europäische Union", "Europäischen Union"],
        "fr": ["UE", "Union européenne"],
        "es": ["UE", "Unión Europea"],
    },
    "Hezbollah": {"*": True},
    "Chechnya": {"de": ["Tschetschenien", "Tschetscheniens"], "fr": ["Tchétchénie"], "es": ["Chechenia"]},
    "China": {"de": ["China", "Chinas", "Volksrepublik China"], "fr": ["Chine"], "es": ["China"]},
    "Turkey": {"de": ["Türkei", "Türkiye"], "fr": ["Turquie", "Türkiye"], "es": ["Turquía", "Türkiye"]},
    "United Nations": {
        "de": ["Vereinte Nationen", "Vereinten Nationen", "UN", "UNO", "Uno"],
        "fr": ["ONU", "Nations unies", "Nations Unies"],
        "es": ["ONU", "Naciones Unidas"],
    },
    "NATO": {"de": ["Nato", "NATO"], "fr": ["OTAN", "Otan"], "es": ["OTAN"]},
    "Qatar": {"de": ["Katar", "Katars", "Qatar"], "fr": ["Qatar"], "es": ["Catar", "Qatar"]},
    "Egypt": {"de": ["Ägypten", "Ägyptens"], "fr": ["Égypte", "Egypte"], "es": ["Egipto"]},
    "Vladimir Putin": {"*": True},
    "Benjamin Netanyahu": {"*": True},
}

errors = []


def error(msg):
    errors.append(msg)


# --- the matcher -------------------------------------------------------------------------


class Matcher:
    def __init__(self, actors, langs):
        """Aliases of `actors` (parsed actors.toml): name, English aliases, and those of `langs`."""
        self.patterns = {}
        for a in actors:
            names = [a["name"], *a.get("aliases", [])]
            for lang in langs:
                names += a.get("languages", {}).get(lang, [])
            for alias in names:
                alias = alias.strip()
                variants = [alias]
                if alias.startswith("the "):
                    variants.append("The " + alias[4:])
                for v in variants:
                    owner = self.patterns.get(v)
                    if owner is not None and owner != a["name"]:
                        error(f"actors.toml ({'+'.join(langs)}): alias {v!r} belongs to both "
                              f"{owner!r} and {a['name']!r}")
                    self.patterns[v] = a["name"]

    def mentions(self, text):
        """(start, end, actor, matched text) of every mention, in text order, not overlapping."""
        found = []
        for p, actor in self.patterns.items():
            i = text.find(p)
            while i >= 0:
                j = i + len(p)
                before = text[i - 1] if i > 0 else ""
                after = text[j] if j < len(text) else ""
                if not before.isalnum() and not after.isalnum():
                    found.append((i, j, actor, p))
                i = text.find(p, i + 1)
        found.sort(key=lambda m: (m[0], -m[1]))
        out = []
        for m in found:
            if not out or m[0] >= out[-1][1]:
                out.append(m)
        return out


def is_name(actor, lang, matched):
    forms = NAME_FORMS[actor]
    return forms.get("*", False) or matched == actor or matched in forms.get(lang, [])


# --- loading and checking ----------------------------------------------------------------


def load_actors():
    with open(ACTORS, "rb") as f:
        actors = tomllib.load(f)["actor"]
    names = [a["name"] for a in actors]
    if len(set(names)) != len(names):
        error("actors.toml: an actor is defined twice")
    if ENGLISH_ACTORS.exists():
        with open(ENGLISH_ACTORS, "rb") as f:
            english = {a["name"]: a for a in tomllib.load(f)["actor"]}
        if set(english) != set(names):
            error(f"actors.toml: actors differ from data/actors.toml: {set(english) ^ set(names)}")
        for a in actors:
            e = english.get(a["name"])
            if e and (e.get("kind") != a.get("kind") or e.get("aliases") != a.get("aliases")):
                error(f"actors.toml: {a['name']}: kind or English aliases differ from data/actors.toml")
    for a in actors:
        if set(a) - {"name", "kind", "aliases", "languages"}:
            error(f"actors.toml: {a['name']}: unknown keys {set(a) - {'name', 'kind', 'aliases', 'languages'}}")
        for lang in LANGUAGES:
            if not a.get("languages", {}).get(lang):
                error(f"actors.toml: {a['name']} has no {lang} aliases")
            aliases = a.get("languages", {}).get(lang, [])
            if len(set(aliases)) != len(aliases):
                error(f"actors.toml: {a['name']}: a {lang} alias is listed twice")
        if a["name"] not in NAME_FORMS:
            error(f"check.py: NAME_FORMS has no entry for {a['name']}")
    return actors


def load_articles():
    recs = []
    for n, line in enumerate(ARTICLES.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            error(f"articles.jsonl line {n}: empty line")
            continue
        try:
            recs.append(json.loads(line))
        except json.JSONDecodeError as e:
            error(f"articles.jsonl line {n}: {e}")
    return recs


def check_record(r, actor_names):
    rid = r.get("id", "?")
    if list(r) != FIELDS:
        error(f"{rid}: fields {list(r)}, expected {FIELDS}")
    if any(not isinstance(r.get(k), str) or not r.get(k).strip()
           for k in ["id", "source", "date", "title", "text", "language", "sentiment"]):
        error(f"{rid}: a text field is missing or empty")
        return False
    if r["language"] not in LANGUAGES:
        error(f"{rid}: unknown language {r['language']!r}")
        return False
    if not re.fullmatch(re.escape(r["language"]) + r"\d{3}", rid):
        error(f"{rid}: id does not carry the language {r['language']!r}")
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", r["date"]) or not MONTHS[0] <= r["date"][:7] <= MONTHS[1]:
        error(f"{rid}: date {r['date']} outside {MONTHS[0]} .. {MONTHS[1]}")
    words = len(r["text"].split())
    if not WORDS[0] <= words <= WORDS[1]:
        error(f"{rid}: {words} words")
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
    if not isinstance(hard, list) or len(set(hard)) != len(hard) or set(hard) - set(HARD):
        error(f"{rid}: hard {hard!r}")
        return False
    if ("mixed" in hard) != (len(set(r["stance"].values())) >= 2):
        error(f"{rid}: 'mixed' tag {'mixed' in hard} but labels {sorted(set(r['stance'].values()))}")
    if "wire_violence" in hard and r["sentiment"] != "negative":
        error(f"{rid}: wire_violence with sentiment {r['sentiment']}")
    return True


def pct(a, b):
    return f"{100 * a / b:.0f}%" if b else "-"


def main():
    actors = load_actors()
    actor_names = [a["name"] for a in actors]
    recs = load_articles()
    ids = Counter(r.get("id") for r in recs)
    for i, c in ids.items():
        if c > 1:
            error(f"id {i} used {c} times")
    good = [r for r in recs if check_record(r, actor_names)]

    per_lang = {lang: Matcher(actors, [lang]) for lang in LANGUAGES}
    every = Matcher(actors, list(LANGUAGES))
    for r in good:
        lang, rid = r["language"], r["id"]
        labeled = set(r["stance"])
        ms = per_lang[lang].mentions(r["text"])
        found = {m[2] for m in ms}
        if found != labeled:
            error(f"{rid}: labeled but not found: {sorted(labeled - found)}; "
                  f"found but not labeled: {sorted(found - labeled)} "
                  f"(by {sorted({m[3] for m in ms if m[2] in found - labeled})})")
        found_all = {m[2] for m in every.mentions(r["text"])}
        if found_all != found:
            extra = sorted({m[3] for m in every.mentions(r["text"]) if m[2] not in found})
            error(f"{rid}: with every language's aliases the actors found differ: "
                  f"{sorted(found_all ^ found)} (by {extra})")
        alias_only = sorted(a for a in found
                            if not any(is_name(a, lang, m[3]) for m in ms if m[2] == a))
        if ("alias_only" in r["hard"]) != bool(alias_only):
            error(f"{rid}: 'alias_only' tag {'alias_only' in r['hard']} but actors named only "
                  f"by an alias: {alias_only}")

    # Sources: three per language, none in two languages.
    src_lang = defaultdict(set)
    for r in good:
        src_lang[r["source"]].add(r["language"])
    for s, ls in src_lang.items():
        if len(ls) > 1:
            error(f"outlet {s!r} in several languages: {sorted(ls)}")
    for lang in LANGUAGES:
        n = sum(1 for s, ls in src_lang.items() if lang in ls)
        if n != 3:
            error(f"{lang}: {n} outlets, expected 3")

    report(good)
    if errors:
        print(f"\n{len(errors)} problem(s):", file=sys.stderr)
        for e in errors:
            print("  " + e, file=sys.stderr)
        return 1
    print("\nOK: every labeled actor is named in its article and every named actor is labeled "
          "(per language and with every language at once).")
    return 0


def stated(recs):
    """The figures README.md states, each as the exact text it must contain."""
    n = len(recs)
    out = []
    out.append(f"{n} articles (" + ", ".join(
        f"{LANGUAGES[l]} {sum(r['language'] == l for r in recs)}" for l in LANGUAGES) + ")")
    words = [len(r["text"].split()) for r in recs]
    out.append(f"{min(words)}–{max(words)} words each (mean {sum(words) / n:.0f})")
    months = Counter(r["date"][:7] for r in recs)
    out.append(f"{len(months)} months ({min(months)} … {max(months)}, "
               f"{min(months.values())}–{max(months.values())} articles a month)")
    labels = Counter(l for r in recs for l in r["stance"].values())
    total = sum(labels.values())
    out.append(f"{total} (article, actor) stance labels, {total / n:.2f} per article: " + ", ".join(
        f"{l} {labels[l]} ({100 * labels[l] / total:.1f}%)" for l in ["neutral", "favor", "against"]))
    for lang in LANGUAGES:
        c = Counter(l for r in recs if r["language"] == lang for l in r["stance"].values())
        out.append(f"{LANGUAGES[lang]} {sum(c.values())} (" + ", ".join(
            f"{l} {c[l]}" for l in ["neutral", "favor", "against"]) + ")")
    sent = Counter(r["sentiment"] for r in recs)
    out.append("Sentiment: " + ", ".join(f"{s} {sent[s]}" for s in SENTIMENTS))
    by_actor = defaultdict(Counter)
    for r in recs:
        for a, l in r["stance"].items():
            by_actor[a][l] += 1
    for a, c in sorted(by_actor.items(), key=lambda x: (-sum(x[1].values()), x[0])):
        out.append(f"| {a} | {sum(c.values())} | {c['favor']} | {c['against']} | {c['neutral']} |")
    hard = Counter(t for r in recs for t in r["hard"])
    for t in HARD:
        out.append(f"`{t}` {hard[t]} ({pct(hard[t], n)})")
    by_src = defaultdict(list)
    for r in recs:
        by_src[(r["language"], r["source"])].append(r)
    for (lang, s), rs in sorted(by_src.items(), key=lambda x: (list(LANGUAGES).index(x[0][0]), x[0][1])):
        c = Counter(l for r in rs for l in r["stance"].values())
        t = sum(c.values())
        out.append(f"| {lang} | {s} | {len(rs)} | {t} | {pct(c['favor'], t)} | "
                   f"{pct(c['against'], t)} | {pct(c['neutral'], t)} |")
    return out


def report(recs):
    """Prints the figures README.md states and checks that README.md states them."""
    if not recs:
        return
    lines = stated(recs)
    for line in lines:
        print(line)
    readme = HERE / "README.md"
    if readme.exists():
        text = readme.read_text(encoding="utf-8")
        for line in lines:
            if line not in text:
                error(f"README.md does not state: {line}")
    else:
        error("README.md is missing")


if __name__ == "__main__":
    sys.exit(main())
