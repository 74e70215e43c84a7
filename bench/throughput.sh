#!/usr/bin/env bash
# Whole-run throughput of `stance score` next to the scikit-learn and fastText recipes a user
# would otherwise write, on one large JSONL input (JSONL in -> JSONL out).
#
#   bash bench/throughput.sh                 # 100 MB of text, 3 repeats, median reported
#   bash bench/throughput.sh --big           # and a peak-RSS run of stance on ~1 GB of text
#   INPUT=big.jsonl bash bench/throughput.sh   # reuse an input (made by bench/make_large.py)
#
# Options (or the environment variables in brackets):
#   --mb N         megabytes of article text in the generated input [MB, default 100]
#   --input FILE   use this JSONL instead of generating one [INPUT]
#   --repeat N     runs of each command; the median is reported [REPEAT, default 3]
#   --workdir DIR  inputs, outputs and logs go here [WORKDIR, default: a new temp dir]
#   --big          also run stance once on ~1 GB of text (BIG_MB, default 1000) for peak RSS
#   --no-peers     skip the sklearn and fastText recipes
#   --bin FILE     the stance binary to time [BIN; default: built with cargo, found under
#                  $CARGO_TARGET_DIR (or target/) as release/stance]
#   --python EXE   the Python that runs the peers and has scikit-learn and fasttext [PYTHON,
#                  default python3]
#
# Besides the model's 18 actors, stance also runs (2 threads) with an actors file of 1,000
# and one of 100,000 more aliases (`--actors`), to show what the alias matcher costs.
#
# Every run is timed with /usr/bin/time -v (wall, user+sys, "Maximum resident set size");
# runs are interleaved (repeat 1 of every command, then repeat 2, ...) so that a burst of
# other work on the machine spreads over all of them, and the CPU time the rest of the machine
# used during each run (from /proc/stat) is reported as "other load", in cores: anything
# well above 0 means the timing was disturbed. "MB per CPU-s" (text MB over the run's user+sys
# seconds) is less sensitive to such load than wall time, though not immune (shared caches).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

MB=${MB:-100}
INPUT=${INPUT:-}
REPEAT=${REPEAT:-3}
WORKDIR=${WORKDIR:-}
BIG=${BIG:-0}
BIG_MB=${BIG_MB:-1000}
PEERS=1
BIN=${BIN:-}
PYTHON=${PYTHON:-python3}
while [ $# -gt 0 ]; do
    case "$1" in
        --mb) MB=$2; shift 2 ;;
        --input) INPUT=$2; shift 2 ;;
        --repeat) REPEAT=$2; shift 2 ;;
        --workdir) WORKDIR=$2; shift 2 ;;
        --big) BIG=1; shift ;;
        --no-peers) PEERS=0; shift ;;
        --bin) BIN=$2; shift 2 ;;
        --python) PYTHON=$2; shift 2 ;;
        -h|--help) sed -n '2,29p' "$0"; exit 0 ;;
        *) echo "throughput.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
[ -n "$WORKDIR" ] || WORKDIR=$(mktemp -d "${TMPDIR:-/tmp}/stance_bench.XXXXXX")
mkdir -p "$WORKDIR/runs"
RUNS=$WORKDIR/runs

log() { echo "== $*" >&2; }

if [ -z "$BIN" ]; then
    log "building the release binary"
    cargo build --release --quiet
    BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/stance
fi
[ -x "$BIN" ] || { echo "throughput.sh: no binary at $BIN" >&2; exit 1; }
MODEL=$ROOT/models/default.json

if [ "$PEERS" = 1 ]; then
    "$PYTHON" -c 'import sklearn, scipy, numpy' 2>/dev/null || "$PYTHON" -m pip install --quiet scikit-learn
    "$PYTHON" -c 'import fasttext' 2>/dev/null || "$PYTHON" -m pip install --quiet fasttext-numpy2
fi

if [ -z "$INPUT" ]; then
    INPUT=$WORKDIR/large_${MB}mb.jsonl
    if [ ! -s "$INPUT" ]; then
        log "making $INPUT ($MB MB of text)"
        python3 bench/make_large.py --mb "$MB" "$INPUT"
    fi
fi
[ -s "$INPUT" ] || { echo "throughput.sh: no input at $INPUT" >&2; exit 1; }

# Articles and MB of article text (UTF-8 bytes of the "text" fields, 10^6 bytes a MB: the
# measure `stance score` reports too), counted once.
read -r N_ART TEXT_MB < <(python3 - "$INPUT" <<'EOF'
import json, sys
n = b = 0
with open(sys.argv[1], encoding="utf-8") as f:
    for line in f:
        if line.strip():
            n += 1
            b += len((json.loads(line).get("text") or "").encode("utf-8"))
print(n, b / 1e6)
EOF
)
log "input: $INPUT: $N_ART articles, $TEXT_MB MB of text"

# The Python peers run with OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset: this machine sets them
# for old OpenBLAS builds and they slow a current numpy.
PYENV="env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE"
if [ "$PEERS" = 1 ]; then
    log "training the peer recipes on data/articles.jsonl (not timed)"
    $PYENV "$PYTHON" bench/peers/sklearn_score.py train --model "$WORKDIR/sklearn.pkl"
    $PYENV "$PYTHON" bench/peers/fasttext_score.py train --model "$WORKDIR/fasttext"
    $PYENV "$PYTHON" -c 'import threadpoolctl, numpy, scipy, sklearn; print("numpy", numpy.__version__, "scipy", scipy.__version__, "sklearn", sklearn.__version__); [print("  blas:", i.get("internal_api"), i.get("version"), i.get("architecture"), "threads", i.get("num_threads")) for i in threadpoolctl.threadpool_info()]' >&2 || true
fi

# Actors files that add 1,000 and 100,000 aliases (10 and 1,000 actors of 100 each): made-up
# names that the text never contains, so the scores stay those of the 18 actors and the cost
# measured is the matcher's.
for n in 10 1000; do
    python3 - "$WORKDIR/actors_$n.toml" "$n" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(int(sys.argv[2])):
        aliases = ",".join('"Zqx Alias%d_%d"' % (i, j) for j in range(100))
        f.write('[[actor]]\nname = "Zqx Actor%d"\naliases = [%s]\n' % (i, aliases))
EOF
done

# name|command (the command's stdout is the output file)
CASES=(
    "stance 1 thread|$BIN score --model $MODEL --threads 1 $INPUT"
    "stance 2 threads|$BIN score --model $MODEL --threads 2 $INPUT"
    "stance 1 thread, --evidence 0|$BIN score --model $MODEL --threads 1 --evidence 0 $INPUT"
    "stance 2 threads, --evidence 0|$BIN score --model $MODEL --threads 2 --evidence 0 $INPUT"
    "stance 2 threads, +1,000 aliases|$BIN score --model $MODEL --threads 2 --actors $WORKDIR/actors_10.toml $INPUT"
    "stance 2 threads, +100,000 aliases|$BIN score --model $MODEL --threads 2 --actors $WORKDIR/actors_1000.toml $INPUT"
)
if [ "$PEERS" = 1 ]; then
    CASES+=(
        "sklearn recipe|$PYENV $PYTHON $ROOT/bench/peers/sklearn_score.py score --model $WORKDIR/sklearn.pkl $INPUT"
        "fastText recipe|$PYENV $PYTHON $ROOT/bench/peers/fasttext_score.py score --model $WORKDIR/fasttext $INPUT"
    )
fi

busy_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9; exit}' /proc/stat; }

# run_one TAG COMMAND: one timed run; files RUNS/TAG.{time,err,stat}; output checked, then removed.
run_one() {
    local tag=$1 cmd=$2 out=$WORKDIR/out.jsonl rc=0 b0 b1
    sync
    b0=$(busy_ticks)
    /usr/bin/time -v -o "$RUNS/$tag.time" bash -c "$cmd" > "$out" 2> "$RUNS/$tag.err" || rc=$?
    b1=$(busy_ticks)
    echo "$b0 $b1 $(getconf CLK_TCK) $rc $(wc -l < "$out")" > "$RUNS/$tag.stat"
    rm -f "$out"
}

log "timing: ${#CASES[@]} commands x $REPEAT repeats, interleaved (load average now: $(cut -d' ' -f1-3 /proc/loadavg))"
for rep in $(seq 1 "$REPEAT"); do
    for i in "${!CASES[@]}"; do
        name=${CASES[$i]%%|*}
        cmd=${CASES[$i]#*|}
        log "repeat $rep: $name"
        run_one "c$i.r$rep" "$cmd"
        tail -n 1 "$RUNS/c$i.r$rep.err" >&2
    done
done

if [ "$BIG" = 1 ]; then
    BIG_INPUT=$WORKDIR/large_${BIG_MB}mb.jsonl
    [ -s "$BIG_INPUT" ] || { log "making $BIG_INPUT ($BIG_MB MB of text)"; python3 bench/make_large.py --mb "$BIG_MB" "$BIG_INPUT"; }
    BIG_CMD="$BIN score --model $MODEL --threads 2 $BIG_INPUT"
    log "peak-RSS run on $BIG_INPUT"
    run_one big "$BIG_CMD"
    tail -n 1 "$RUNS/big.err" >&2
    rm -f "$BIG_INPUT"
fi

printf '%s\n' "${CASES[@]}" > "$RUNS/cases"
python3 - "$RUNS" "$REPEAT" "$N_ART" "$TEXT_MB" "$BIG" "${BIG_CMD:-}" <<'EOF'
import os, re, statistics, sys
runs, repeat, n_art, text_mb, big, big_cmd = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5] == "1", sys.argv[6]
cases = [l.rstrip("\n").split("|", 1) for l in open(os.path.join(runs, "cases")) if l.strip()]

def parse(tag):
    t = open(os.path.join(runs, tag + ".time")).read()
    def field(name):
        return re.search(re.escape(name) + r":\s*(.+)", t).group(1).strip()
    parts = [float(x) for x in field("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":")]
    wall = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
    cpu = float(field("User time (seconds)")) + float(field("System time (seconds)"))
    rss = int(field("Maximum resident set size (kbytes)")) / 1024
    b0, b1, hz, rc, lines = open(os.path.join(runs, tag + ".stat")).read().split()
    other = max(0.0, (int(b1) - int(b0)) / int(hz) - cpu) / max(wall, 1e-9)
    return dict(wall=wall, cpu=cpu, rss=rss, other=other, rc=int(rc), lines=int(lines))

rows = []
for i, (name, cmd) in enumerate(cases):
    rs = [parse(f"c{i}.r{r}") for r in range(1, repeat + 1)]
    med = lambda k: statistics.median(r[k] for r in rs)
    wall = med("wall")
    rows.append(dict(name=name, cmd=cmd, wall=wall, walls=[r["wall"] for r in rs], mbs=text_mb / wall,
                     aps=n_art / wall, rss=med("rss"), cpu=med("cpu"), other=max(r["other"] for r in rs),
                     rc=sorted({r["rc"] for r in rs}), lines_ok=all(r["lines"] == n_art for r in rs)))

print(f"\n### Throughput: {n_art} articles, {text_mb:.1f} MB of article text, median of {repeat}\n")
print("| run | wall s (median) | walls s | MB/s | articles/s | peak RSS MB | CPU s | MB per CPU-s | other load (cores, max) | exit | lines = articles |")
print("|---|---:|---|---:|---:|---:|---:|---:|---:|---|---|")
for r in rows:
    print(f"| {r['name']} | {r['wall']:.2f} | {', '.join(f'{w:.2f}' for w in r['walls'])} | {r['mbs']:.2f} | {r['aps']:.0f} | "
          f"{r['rss']:.0f} | {r['cpu']:.2f} | {text_mb / max(r['cpu'], 1e-9):.2f} | {r['other']:.2f} | {','.join(map(str, r['rc']))} | {'yes' if r['lines_ok'] else 'NO'} |")

by = {r["name"]: r for r in rows}
def ratio(a, b):
    if a in by and b in by:
        print(f"- {a} / {b}: {by[a]['mbs'] / by[b]['mbs']:.2f}x in MB/s (wall); "
              f"{by[b]['cpu'] / max(by[a]['cpu'], 1e-9):.2f}x in MB per CPU-second")
print("\nRatios (throughput; the CPU-second ratio is the one to read when other load is high):\n")
ratio("stance 2 threads", "sklearn recipe")
ratio("stance 2 threads", "fastText recipe")
ratio("stance 2 threads", "stance 1 thread")
ratio("stance 1 thread", "sklearn recipe")
ratio("stance 1 thread", "fastText recipe")
ratio("stance 2 threads, --evidence 0", "sklearn recipe")
ratio("stance 2 threads, --evidence 0", "fastText recipe")
ratio("stance 2 threads, --evidence 0", "stance 1 thread, --evidence 0")
ratio("stance 2 threads, --evidence 0", "stance 2 threads")
ratio("stance 2 threads", "stance 2 threads, +1,000 aliases")
ratio("stance 2 threads", "stance 2 threads, +100,000 aliases")

print("\nCommands (stdout to a file in the work directory; each wrapped in /usr/bin/time -v):\n")
for r in rows:
    print(f"- {r['name']}: `{r['cmd']}`")

if big:
    b = parse("big")
    print(f"\n### Peak RSS on a large input\n\n`{big_cmd}`: wall {b['wall']:.1f} s, peak RSS {b['rss']:.0f} MB, "
          f"CPU {b['cpu']:.1f} s, other load {b['other']:.2f} cores, exit {b['rc']}, {b['lines']} output lines")

warn = [r["name"] for r in rows if r["other"] > 0.3]
if warn:
    print(f"\nNote: other work used more than 0.3 of a core during some runs of: {', '.join(warn)}; "
          "those timings are disturbed (this machine has 2 cores).")
bad = [r["name"] for r in rows if r["rc"] != [0] or not r["lines_ok"]]
if bad:
    print(f"\nWARNING: non-zero exit or wrong output line count for: {', '.join(bad)} (see {runs}/*.err)")
EOF
echo "(logs: $RUNS)"
