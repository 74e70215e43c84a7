"""What the two peer recipes share: the training labels, the actor matcher, the JSONL reader
and the closing summary line.

The actor matcher is what a user would write in Python to get the same unit of work as
`stance score` (a stance per actor the article names): one regular expression over every name
and alias of `data/actors.toml`, case-sensitive, whole word, longest alternative first, "the X"
also as "The X". It is close to, not identical with, src/actors.rs (no Unicode-aware word
boundary subtleties), which is fine for a throughput comparison.
"""

import json
import os
import re
import sys
import time
import tomllib

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DEFAULT_LABELS = os.path.join(REPO, "data", "articles.jsonl")
DEFAULT_ACTORS = os.path.join(REPO, "data", "actors.toml")


def load_labels(path=DEFAULT_LABELS):
    """The labelled articles: [(text, sentiment or None, {actor: stance})]."""
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                out.append((r["text"], r.get("sentiment"), r.get("stance") or {}))
    return out


class ActorMatcher:
    def __init__(self, path=DEFAULT_ACTORS):
        with open(path, "rb") as f:
            actors = tomllib.load(f)["actor"]
        self.owner = {}
        for a in actors:
            for alias in [a["name"]] + a.get("aliases", []):
                self.owner[alias] = a["name"]
                if alias.startswith("the "):
                    self.owner["The " + alias[4:]] = a["name"]
        alts = sorted(self.owner, key=len, reverse=True)
        self.names = [a["name"] for a in actors]
        self.rx = re.compile(r"(?<![\w])(" + "|".join(re.escape(a) for a in alts) + r")(?![\w])")

    def mentions(self, text):
        """{actor: number of mentions}, in order of first mention."""
        counts = {}
        for m in self.rx.finditer(text):
            a = self.owner[m.group(1)]
            counts[a] = counts.get(a, 0) + 1
        return counts


def read_jsonl(path):
    """Yields (line number, record) for every non-blank line; JSON parsing is part of the run."""
    f = sys.stdin if path == "-" else open(path, encoding="utf-8")
    with f:
        for n, line in enumerate(f, 1):
            if line.strip():
                yield n, json.loads(line)


def chunks(iterable, size):
    buf = []
    for x in iterable:
        buf.append(x)
        if len(buf) == size:
            yield buf
            buf = []
    if buf:
        yield buf


def open_out(path):
    if path in (None, "-"):
        return sys.stdout
    return open(path, "w", encoding="utf-8", newline="\n")


class Clock:
    """Accumulates wall time per phase, for the breakdown on stderr."""

    def __init__(self):
        self.t = {}
        self.start = time.perf_counter()
        self._last = self.start

    def lap(self, name):
        now = time.perf_counter()
        self.t[name] = self.t.get(name, 0.0) + now - self._last
        self._last = now

    def report(self, tool, n, n_actor, text_bytes):
        secs = time.perf_counter() - self.start
        parts = ", ".join(f"{k} {v:.1f} s" for k, v in self.t.items())
        print(f"{tool}: {n} articles scored, {n_actor} actor scores; {text_bytes / 1e6:.1f} MB of text "
              f"in {secs:.2f} s ({text_bytes / 1e6 / max(secs, 1e-9):.1f} MB/s, "
              f"{n / max(secs, 1e-9):.0f} articles/s) [{parts}]", file=sys.stderr)
