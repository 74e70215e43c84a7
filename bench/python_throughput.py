#!/usr/bin/env python3
"""Throughput of the Python package's `score_arrow` next to the CLI's, on the same input.

Runs, interleaved (one of each, then again; the median of --repeat is reported):

- cli:          `stance score INPUT --model M --quiet --threads T --evidence E > /dev/null`
                (the whole process: reading and parsing JSONL, scoring, writing JSONL);
- score_arrow:  `model.score_arrow(batch)` over the batches of the input, already read into an
                Arrow table (by `pyarrow.json.read_json`, once, outside the timing): what a
                Spark `mapInArrow` task or a notebook holding a table pays;
- end to end:   `pyarrow.json.read_json(INPUT)`, `score_arrow` on every batch, and the long form
                written as Parquet: the Python counterpart of the CLI's whole run.

MB/s counts the UTF-8 bytes of the articles' text (10^6 bytes a MB), as `stance score` reports.
"other load" is the CPU the rest of the machine used during a run, in cores (from /proc/stat,
less this process and its children): well above 0 means the timing was disturbed.

Not part of CI. Needs the package installed (tests/python.rs leaves one in
target/python-venv) and pyarrow.

    python3 bench/make_large.py --mb 100 stance_large.jsonl
    target/python-venv/bin/python bench/python_throughput.py stance_large.jsonl
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def busy_jiffies():
    with open("/proc/stat") as f:
        parts = f.readline().split()[1:]
    v = [int(x) for x in parts]
    idle = v[3] + (v[4] if len(v) > 4 else 0)
    return sum(v[:8]) - idle


def timed(fn):
    """Runs fn; returns (wall seconds, own CPU seconds, other load in cores)."""
    hz = os.sysconf("SC_CLK_TCK")
    t0, j0, c0 = time.perf_counter(), busy_jiffies(), os.times()
    fn()
    t1, j1, c1 = time.perf_counter(), busy_jiffies(), os.times()
    wall = t1 - t0
    own = (c1.user - c0.user) + (c1.system - c0.system) + (c1.children_user - c0.children_user) + \
        (c1.children_system - c0.children_system)
    other = max(0.0, (j1 - j0) / hz - own) / wall
    return wall, own, other


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("input", help="JSONL articles (bench/make_large.py makes a large one)")
    ap.add_argument("--bin", default=os.path.join(REPO, "target", "release", "stance"))
    ap.add_argument("--model", default=os.path.join(REPO, "models", "default.json"))
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--evidence", type=int, default=0)
    ap.add_argument("--batch", type=int, default=8192, help="rows per score_arrow call (default 8192)")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    import pyarrow as pa
    import pyarrow.json as pj
    import pyarrow.parquet as pq

    import stance

    n = text_bytes = 0
    with open(args.input, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                n += 1
                text_bytes += len(json.loads(line)["text"].encode("utf-8"))
    mb = text_bytes / 1e6
    print(f"input: {args.input}: {n} articles, {mb:.1f} MB of text; threads {args.threads}, "
          f"evidence {args.evidence}, batch {args.batch}; stance {stance.__version__}", file=sys.stderr)

    m = stance.load(args.model, threads=args.threads)
    block = 1 << 24
    opts = pj.ReadOptions(block_size=block)
    table = pj.read_json(args.input, read_options=opts)
    batches = table.to_batches(max_chunksize=args.batch)
    rows_out = [0]

    def cli():
        with open(os.devnull, "wb") as null:
            subprocess.run([args.bin, "score", args.input, "--model", args.model, "--quiet",
                            "--threads", str(args.threads), "--evidence", str(args.evidence)],
                           stdout=null, check=True)

    def arrow():
        rows = 0
        for b in batches:
            rows += m.score_arrow(b, evidence=args.evidence).num_rows
        rows_out[0] = rows

    tmp = tempfile.mkdtemp(prefix="stance_pybench.")
    out_path = os.path.join(tmp, "scores.parquet")

    def end_to_end():
        t = pj.read_json(args.input, read_options=opts)
        writer = None
        for b in t.to_batches(max_chunksize=args.batch):
            out = m.score_arrow(b, evidence=args.evidence)
            if writer is None:
                writer = pq.ParquetWriter(out_path, out.schema)
            writer.write_batch(out)
        if writer is not None:
            writer.close()

    arrow()  # warm: the stem caches of the scratch spaces, the page cache
    runs = {"cli": [], "score_arrow": [], "end to end": []}
    for _ in range(args.repeat):
        runs["cli"].append(timed(cli))
        runs["score_arrow"].append(timed(arrow))
        runs["end to end"].append(timed(end_to_end))
    os.remove(out_path)
    os.rmdir(tmp)

    print(f"| run | wall s (median of {args.repeat}) | MB/s | articles/s | CPU s | other load (cores) |")
    print("|---|---:|---:|---:|---:|---:|")
    med = {}
    for name, rs in runs.items():
        wall = statistics.median(r[0] for r in rs)
        cpu = statistics.median(r[1] for r in rs)
        other = max(r[2] for r in rs)
        med[name] = wall
        print(f"| {name} | {wall:.2f} | {mb / wall:.1f} | {n / wall:,.0f} | {cpu:.2f} | {other:.2f} |")
    print(f"\nscore_arrow / cli wall time: {med['score_arrow'] / med['cli']:.3f}; "
          f"end to end / cli: {med['end to end'] / med['cli']:.3f} "
          f"({rows_out[0]} long-form rows; all walls: "
          + "; ".join(f"{k} " + ", ".join(f"{r[0]:.2f}" for r in v) for k, v in runs.items()) + ")")


if __name__ == "__main__":
    main()
