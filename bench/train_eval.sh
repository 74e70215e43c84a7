#!/usr/bin/env bash
# Whole-process timings of training and cross-validation (issue: core pipeline targets):
#   1. `stance eval` with 5 folds on data/ (target: under 2 s);
#   2. `stance train` + `stance eval` on a 3,000-example set made by resampling data/ articles
#      (paragraphs shuffled, new ids; target: under 5 s together).
# Each is run 5 times; the median wall time and peak RSS are printed.
#   bash bench/train_eval.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cargo build --release -q
bin=target/release/stance
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$work/3k.jsonl" <<'PY'
import json, random, sys
random.seed(7)
recs = [json.loads(l) for l in open("data/articles.jsonl")]
out, n, i = [], 0, 0
while n < 3000:
    r = dict(random.choice(recs))
    paras = r["text"].split("\n\n")
    random.shuffle(paras)
    r["text"] = "\n\n".join(paras)
    r["id"] = f"r{i}"
    i += 1
    n += len(r["stance"])
    out.append(r)
with open(sys.argv[1], "w") as f:
    for r in out:
        f.write(json.dumps(r, ensure_ascii=False) + "\n")
print(f"3k set: {len(out)} articles, {n} stance examples", file=sys.stderr)
PY
run() { # name, command...
  local name=$1; shift
  local walls=() rss=()
  for _ in 1 2 3 4 5; do
    /usr/bin/time -f "%e %M" -o "$work/t" "$@" > /dev/null 2>&1
    read -r w m < "$work/t"; walls+=("$w"); rss+=("$m")
  done
  local med; med=$(printf '%s\n' "${walls[@]}" | sort -n | sed -n 3p)
  local mrss; mrss=$(printf '%s\n' "${rss[@]}" | sort -n | tail -1)
  printf '| %s | %s | %s | %s MB |\n' "$name" "$med" "${walls[*]}" "$((mrss / 1024))"
}
echo "| run | median wall s | walls s | peak RSS |"
echo "|---|---:|---|---:|"
run "eval, 5 folds, data/ (844 examples)" $bin eval --data data/articles.jsonl --actors data/actors.toml --folds 5
run "train (with its 5-fold CV), 3k set" $bin train --data "$work/3k.jsonl" --actors data/actors.toml --out "$work/m.json"
run "train --no-cv, 3k set" $bin train --data "$work/3k.jsonl" --actors data/actors.toml --out "$work/m.json" --no-cv
run "eval, 5 folds, 3k set" $bin eval --data "$work/3k.jsonl" --actors data/actors.toml --folds 5
run "train --no-cv + eval, 3k set" bash -c "$bin train --data $work/3k.jsonl --actors data/actors.toml --out $work/m.json --no-cv -q && $bin eval --data $work/3k.jsonl --actors data/actors.toml --folds 5"
echo "(machine load while running: $(cut -d' ' -f1-3 /proc/loadavg))"
