#!/usr/bin/env python3
"""Converters from the public datasets into stance's labeled JSON Lines.

Every converted file goes to a directory the caller names (the harness uses a temporary
directory); nothing is written into the repository. Standard library only.

How targets become actors (see README.md in this folder for the reasoning):

* NewsMTSC and the directed-sentiment set give the target by position (character offsets,
  or square brackets), and a target is often a pronoun ("he", "She", "his") or a partial name.
  stance finds an actor that is not in an actors file by its own name, verbatim, everywhere
  in the text. So the converter rewrites the labelled mention (and nothing else) into a
  placeholder word that cannot occur in news text, XTARGETX, and labels the actor XTARGETX.
  stance's matcher then finds exactly the labelled span, and its target marker, context
  selection and `--markers` work as designed. Other persons the dataset marks in the same
  sentence (NewsMTSC's other targets; the directed set's second entity) become XOTHERX (or
  XENTONEX / XENTTWOX), declared in an actors file, so they get the "other actor" marker.
* PerSenT gives a person's name and a masked copy of the document where every mention of the
  person, pronouns included, is "[TGT]". Mode "masked" rewrites that placeholder into XTARGETX (the
  dataset's own coreference, given as input); mode "surface" keeps the original text and names
  the actor by TARGET_ENTITY, which stance matches verbatim (no pronouns, and "Donald Trump"
  does not match a later "Trump").
"""

import argparse
import csv
import hashlib
import json
import os
import re
import sys

TARGET = "XTARGETX"
OTHER = "XOTHERX"
ENT1 = "XENTONEX"
ENT2 = "XENTTWOX"
PLACEHOLDERS = (TARGET, OTHER, ENT1, ENT2)

NEWSMTSC_LABEL = {-1: "negative", 0: "neutral", 1: "positive"}
NEWSMTSC_ORIG_LABEL = {2.0: "negative", 4.0: "neutral", 6.0: "positive"}

csv.field_size_limit(1 << 30)


def key_of(text):
    """A short stable key for a text (used to keep identical sentences in one CV fold)."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def check_clean(text, where):
    for p in PLACEHOLDERS:
        if p in text:
            raise SystemExit(f"{where}: the text already holds the placeholder {p}; pick another")


def widen_to_word(text, start, end):
    """Widen [start, end) over letters/digits glued to either side, so the placeholder stands
    as a whole word ("[Breitbart New]s" -> the whole "Breitbart News")."""
    while start > 0 and text[start - 1].isalnum():
        start -= 1
    while end < len(text) and text[end].isalnum():
        end += 1
    return start, end


def rewrite(text, spans):
    """Replace character spans [(start, end, replacement)], first come first served on
    overlaps (callers list the target's spans first). Returns the new text."""
    taken = []
    for s, e, rep in spans:
        if s >= e or s < 0 or e > len(text):
            continue
        if any(s < te and ts < e for ts, te, _ in taken):
            continue
        taken.append((s, e, rep))
    taken.sort()
    out, pos = [], 0
    for s, e, rep in taken:
        out.append(text[pos:s])
        # keep the placeholder a separate word even if the span was glued to a letter
        if out[-1] and out[-1][-1].isalnum():
            out.append(" ")
        out.append(rep)
        if e < len(text) and text[e].isalnum():
            out.append(" ")
        pos = e
    out.append(text[pos:])
    return "".join(out)


def write_jsonl(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return len(rows)


def write_actors(path, names):
    with open(path, "w", encoding="utf-8") as f:
        for n in names:
            f.write(f'[[actor]]\nname = "{n}"\n\n')


# --------------------------------------------------------------------------- NewsMTSC


def newsmtsc_original_index(root):
    """Input.gid -> (sentence, all targets of that sentence, this target), from the released
    files, which carry the co-reference mentions and the sentence's other targets."""
    idx = {}
    d = os.path.join(root, "NewsMTSC-dataset")
    for name in ("train.jsonl", "devtest_rw.jsonl", "devtest_mt.jsonl"):
        with open(os.path.join(d, name), encoding="utf-8") as f:
            for line in f:
                r = json.loads(line)
                for t in r["targets"]:
                    idx[t["Input.gid"]] = (r["sentence_normalized"], r["targets"], t)
    return idx


def newsmtsc_rows(root, split_file, coref=True, others=True, orig=None):
    """One long-form row per target of `split_file` (the authors' -hf split files)."""
    orig = orig if orig is not None else newsmtsc_original_index(root)
    rows = []
    with open(os.path.join(root, split_file), encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            r = json.loads(line)
            sent = r["sentence"]
            check_clean(sent, f"{split_file}:{n}")
            if sent[r["from"]:r["to"]] != r["mention"]:
                raise SystemExit(f"{split_file}:{n}: offsets do not give the mention")
            spans = [(r["from"], r["to"], TARGET)]
            o = orig.get(r["id"])
            if o is not None and o[0] == sent:
                _, targets, me = o
                if coref:
                    spans += [(m["from"], m["to"], TARGET) for m in me.get("further_mentions", [])]
                if others:
                    for t in targets:
                        if t is me:
                            continue
                        spans.append((t["from"], t["to"], OTHER))
                        if coref:
                            spans += [(m["from"], m["to"], OTHER)
                                      for m in t.get("further_mentions", [])]
            text = rewrite(sent, spans)
            rows.append({
                "id": r["id"],
                "text": text,
                "actor": TARGET,
                "stance": NEWSMTSC_LABEL[int(r["polarity"])],
                "source": r["id"].split("_", 1)[0],
                "sentence_key": key_of(sent),
                # for the scikit-learn recipe (not read by stance)
                "raw": sent,
                "mention": r["mention"],
                "from": r["from"],
                "to": r["to"],
            })
    return rows


NEWSMTSC_SPLITS = {
    "train": "newsmtsc-rw-hf/train.jsonl",
    "dev-rw": "newsmtsc-rw-hf/dev.jsonl",
    "test-rw": "newsmtsc-rw-hf/test.jsonl",
    "dev-mt": "newsmtsc-mt-hf/dev.jsonl",
    "test-mt": "newsmtsc-mt-hf/test.jsonl",
}


def convert_newsmtsc(root, out, coref=True, others=True):
    orig = newsmtsc_original_index(root)
    files = {}
    for split, rel in NEWSMTSC_SPLITS.items():
        p = os.path.join(out, f"newsmtsc-{split}.jsonl")
        write_jsonl(p, newsmtsc_rows(root, rel, coref, others, orig))
        files[split] = p
    a = os.path.join(out, "newsmtsc-actors.toml")
    write_actors(a, [TARGET, OTHER])
    files["actors"] = a
    return files


# --------------------------------------------------------------------------- PerSenT

PERSENT_SPLITS = ("dev", "random_test", "fixed_test")


def person_key(name):
    """A person key that puts "Donald Trump", "Trump" and "Mr. Trump" in one group: the last
    word, lower-cased."""
    words = re.findall(r"[\w'’-]+", name.lower())
    return words[-1] if words else name.lower()


def persent_rows(root, split, mode="masked"):
    rows = []
    with open(os.path.join(root, f"{split}.csv"), encoding="utf-8", newline="") as f:
        for n, r in enumerate(csv.DictReader(f), 2):
            doc = r["DOCUMENT"]
            check_clean(doc, f"{split}.csv:{n}")
            if mode == "masked":
                text = r["MASKED_DOCUMENT"].replace("[TGT]", f" {TARGET} ")
                actor = TARGET
            else:
                text = doc
                actor = r["TARGET_ENTITY"].strip()
            label = r["TRUE_SENTIMENT"].strip().lower()
            rows.append({
                "id": f"persent-{r['DOCUMENT_INDEX']}",
                "title": r["TITLE"],
                "text": text,
                "actor": actor,
                "stance": label,
                # the document label is about the person, but it is also read as the
                # article's sentiment, so stance's whole-text sentiment model is scored too
                "sentiment": label,
                "person": r["TARGET_ENTITY"].strip(),
                "person_key": person_key(r["TARGET_ENTITY"]),
                "split": split,
                "raw": doc,
            })
    return rows


def convert_persent(root, out, mode="masked"):
    files = {}
    for split in PERSENT_SPLITS:
        p = os.path.join(out, f"persent-{mode}-{split}.jsonl")
        write_jsonl(p, persent_rows(root, split, mode))
        files[split] = p
    a = os.path.join(out, "persent-actors.toml")
    write_actors(a, [TARGET])
    files["actors"] = a
    if mode == "surface":
        # Every labelled person of every split, declared as a person, so that stance's
        # automatic name forms (the surname alone, "Mr. Surname") apply to them.
        persons = sorted({r["actor"] for split in PERSENT_SPLITS
                          for r in persent_rows(root, split, mode)})
        p = os.path.join(out, "persent-persons.toml")
        with open(p, "w", encoding="utf-8") as f:
            for n in persons:
                f.write(f'[[actor]]\nname = {json.dumps(n, ensure_ascii=False)}\nkind = "person"\n\n')
        files["persons"] = p
    return files


# --------------------------------------------------------------------------- directed

DIRECTED_SPLITS = {"train": "train.txt", "valid": "valid.txt", "test": "test.txt"}
# label -> (label toward entity1, label toward entity2): the sentiment each entity receives
DIRECTED_RECEIVED = {
    "0": ("neutral", "neutral"),
    "1": ("neutral", "positive"),   # entity1 positive toward entity2
    "2": ("positive", "neutral"),   # entity2 positive toward entity1
    "3": ("neutral", "negative"),   # entity1 negative toward entity2
    "4": ("negative", "neutral"),   # entity2 negative toward entity1
}
DIRECTED_NAMES = {"0": "neutral", "1": "pos_1to2", "2": "pos_2to1", "3": "neg_1to2", "4": "neg_2to1"}
BRACKET = re.compile(r"\[([^\[\]]*)\]")


def directed_text(sentence):
    """The sentence with the first bracketed entity rewritten to ENT1, the second to ENT2
    (positionally; in every file the brackets come in entity1, entity2 order), and with the
    brackets gone."""
    spans = [(m.start(), m.end()) for m in BRACKET.finditer(sentence)]
    if len(spans) != 2:
        return None
    spans = [widen_to_word(sentence, s, e) for s, e in spans]
    return rewrite(sentence, [(spans[0][0], spans[0][1], ENT1), (spans[1][0], spans[1][1], ENT2)])


def directed_rows(root, split, mode="received"):
    rows = []
    path = os.path.join(root, DIRECTED_SPLITS[split])
    with open(path, encoding="utf-8", newline="") as f:
        for n, rec in enumerate(csv.reader(f, delimiter="\t"), 1):
            sentence, e1, e2, label = rec
            check_clean(sentence, f"{DIRECTED_SPLITS[split]}:{n}")
            text = directed_text(sentence)
            if text is None:
                raise SystemExit(f"{DIRECTED_SPLITS[split]}:{n}: not exactly two bracketed entities")
            row = {
                "id": f"dsn-{split}-{n}",
                "text": text,
                "sentence_key": key_of(BRACKET.sub(r"\1", sentence)),
                "label5": DIRECTED_NAMES[label],
                "raw": sentence,
                "entity1": e1,
                "entity2": e2,
            }
            if mode == "received":
                to1, to2 = DIRECTED_RECEIVED[label]
                row["stance"] = {ENT1: to1, ENT2: to2}
            else:  # pair: the 5-way label as the stance toward entity1, entity2 marked "other"
                row["stance"] = {ENT1: DIRECTED_NAMES[label]}
            rows.append(row)
    return rows


def combine_received(p1, p2):
    """5-way directed label from the two 3-way predictions (probabilities of negative,
    neutral, positive received by entity1 and entity2). Exactly one direction holds per
    sentence, so the five outcomes are: both neutral, or one entity receives pos/neg while the
    other is neutral. Scored as the product of the two independent predictions."""
    g = lambda p, k: p.get(k, 0.0)
    cand = {
        "neutral": g(p1, "neutral") * g(p2, "neutral"),
        "pos_1to2": g(p1, "neutral") * g(p2, "positive"),
        "pos_2to1": g(p1, "positive") * g(p2, "neutral"),
        "neg_1to2": g(p1, "neutral") * g(p2, "negative"),
        "neg_2to1": g(p1, "negative") * g(p2, "neutral"),
    }
    return max(sorted(cand), key=lambda k: cand[k])


def convert_directed(root, out, mode="received"):
    """Also writes test_unseen: the test rows whose sentence is not in train. A quarter of
    test.txt (400 of 1623 rows) repeats a training row exactly (sentence, entities, label),
    so the full test set rewards memorising training sentences."""
    files = {}
    rows = {}
    for split in DIRECTED_SPLITS:
        rows[split] = directed_rows(root, split, mode)
        p = os.path.join(out, f"directed-{mode}-{split}.jsonl")
        write_jsonl(p, rows[split])
        files[split] = p
    seen = {r["sentence_key"] for r in rows["train"]}
    p = os.path.join(out, f"directed-{mode}-test_unseen.jsonl")
    write_jsonl(p, [r for r in rows["test"] if r["sentence_key"] not in seen])
    files["test_unseen"] = p
    a = os.path.join(out, "directed-actors.toml")
    write_actors(a, [ENT1, ENT2])
    files["actors"] = a
    return files


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dataset", choices=["newsmtsc", "persent", "directed"])
    ap.add_argument("--datasets", required=True, help="the folder holding newsmtsc/, persent/, ...")
    ap.add_argument("--out", required=True, help="output folder (not inside the repository)")
    ap.add_argument("--no-coref", action="store_true", help="NewsMTSC: leave further_mentions as they are")
    ap.add_argument("--no-others", action="store_true", help="NewsMTSC: leave the sentence's other targets as they are")
    ap.add_argument("--mode", default=None, help="persent: masked|surface; directed: received|pair")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    root = os.path.join(a.datasets, {"directed": "directed_sentiment_news"}.get(a.dataset, a.dataset))
    if a.dataset == "newsmtsc":
        files = convert_newsmtsc(root, a.out, not a.no_coref, not a.no_others)
    elif a.dataset == "persent":
        files = convert_persent(root, a.out, a.mode or "masked")
    else:
        files = convert_directed(root, a.out, a.mode or "received")
    json.dump(files, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
