#!/usr/bin/env bash
# Bounded memory and time on hostile inputs, with peak RSS from /usr/bin/time:
# a 1 GB single JSON line, a 10 MB article with no sentence break, JSON nested 100,000 deep,
# and an actors file with 100,000 aliases.
#   bash bench/bounds.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cargo build --release -q
B=target/release/stance
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
python3 - "$w" <<'PY'
import json, sys
d = sys.argv[1]
with open(f"{d}/1gb.jsonl", "w") as f:
    f.write('{"id":"huge","text":"'); chunk = "Iran said no. " * 1000
    for _ in range(int(1e9 / len(chunk))): f.write(chunk)
    f.write('"}\n{"id":"after","text":"Iran said yes."}\n')
w = "Iran Israel talks continued without pause and "
with open(f"{d}/10mb.jsonl", "w") as f:
    f.write(json.dumps({"id": "long", "text": w * (10_000_000 // len(w))}) + "\n")
with open(f"{d}/nested.jsonl", "w") as f:
    f.write('{"id":"n","text":"x","extra":' + "[" * 100000 + "]" * 100000 + '}\n{"id":"ok","text":"Iran spoke."}\n')
with open(f"{d}/actors.toml", "w") as f:
    for i in range(1000):
        f.write('[[actor]]\nname = "Actor%d"\naliases = [%s]\n' % (i, ",".join('"Alias%d_%d"' % (i, j) for j in range(100))))
with open(f"{d}/train.jsonl", "w") as f:
    for i in range(12):
        f.write(json.dumps({"id": f"t{i}", "text": f"Alias{i}_5 was praised. Actor{i+1} was blamed.",
                            "stance": {f"Actor{i}": "favor", f"Actor{i+1}": "against"}}) + "\n")
PY
t() { local name=$1; shift; /usr/bin/time -f "$name: %e s, peak RSS %M KB, exit %x" "$@" > "$w/out" 2> "$w/err" || true; tail -1 "$w/err"; head -c 160 "$w/out"; echo; }
t "1 GB single line (default --max-bytes)" $B score "$w/1gb.jsonl" --quiet --evidence 0
t "10 MB article, no sentence break (default --max-bytes)" $B score "$w/10mb.jsonl" --quiet
t "10 MB article, no sentence break, --max-bytes 20000000" $B score "$w/10mb.jsonl" --quiet --max-bytes 20000000
t "JSON nested 100,000 deep" $B score "$w/nested.jsonl" --quiet --evidence 0
t "train with 100,000 aliases" $B train --data "$w/train.jsonl" --actors "$w/actors.toml" --out "$w/m.json" --no-cv --min-df 1 -q
t "score with 100,000 aliases (10 MB article)" $B score --model "$w/m.json" "$w/10mb.jsonl" --quiet --max-bytes 20000000
