#!/usr/bin/env python3
"""`stance score` as the map step of Spark: RDD.pipe in local mode, checked against a direct run.

Reads a JSONL file with `sc.textFile` (N partitions), pipes every partition through
`stance score - --model <repo>/models/default.json --quiet`, collects the output lines (in
partition order, each partition's lines in order) and checks them against
`stance score FILE` run directly: the same number of records, and record for record the same
JSON. Error records (`{"id", "file", "line", "error"}`) are compared without "file" and
"line" (and without the "FILE:LINE: " that opens the message): under the pipe those name
standard input and the line within the partition.

With --bad N, N malformed lines are spliced into a copy of the input first (written to a temp
dir), to check that a bad record becomes an error record in its place under the pipe too. The
pipe runs with checkCode=False: `stance score` exits 1 when a record failed, which with
checkCode=True would fail the Spark task.

Prints PASS or FAIL (exit status 0 or 1). Needs pyspark (pip install pyspark) and Java 17+.
Not part of CI.

    python3 bench/spark_pipe.py                       # data/articles.jsonl, 4 partitions
    python3 bench/spark_pipe.py /tmp/big.jsonl --partitions 8 --bad 3
"""

import argparse
import json
import os
import random
import shlex
import shutil
import subprocess
import sys
import tempfile

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def normalise(line):
    r = json.loads(line)
    if r.get("error") is not None:
        prefix = f"{r.pop('file', None)}:{r.pop('line', None)}: "
        if isinstance(r["error"], str) and r["error"].startswith(prefix):
            r["error"] = r["error"][len(prefix):]  # the message names the file and line too
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("input", nargs="?", default=os.path.join(REPO, "data", "articles.jsonl"))
    ap.add_argument("--partitions", type=int, default=4)
    ap.add_argument("--bad", type=int, default=0, help="splice this many malformed lines into a copy of the input")
    ap.add_argument("--bin", default=None, help="the stance binary (default: build and use the repository's target/release/stance)")
    ap.add_argument("--model", default=os.path.join(REPO, "models", "default.json"))
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--threads", type=int, default=1, help="--threads of each piped stance process (default 1: Spark runs one per core)")
    args = ap.parse_args()

    if args.bin is None:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=REPO, check=True)
        args.bin = os.path.join(REPO, "target", "release", "stance")
    binary, model = os.path.abspath(args.bin), os.path.abspath(args.model)

    tmp = tempfile.mkdtemp(prefix="stance_spark.")
    try:
        path = os.path.abspath(args.input)
        if args.bad:
            with open(path, encoding="utf-8") as f:
                lines = f.read().splitlines()
            rng = random.Random(7)
            for k in range(args.bad):
                bad = ['{"id": "bad%d", "text": ' % k, '{"id": "bad%d"}' % k, "not json at all"][k % 3]
                lines.insert(rng.randrange(len(lines) + 1), bad)
            path = os.path.join(tmp, "input.jsonl")
            with open(path, "w", encoding="utf-8") as f:
                f.write("\n".join(lines) + "\n")

        # The direct run.
        direct = subprocess.run([binary, "score", "--model", model, "--quiet", "--threads", str(args.threads), path],
                                capture_output=True, text=True, encoding="utf-8")
        if direct.returncode not in (0, 1) or direct.stderr.strip():
            print(direct.stderr, file=sys.stderr)
        want = direct.stdout.splitlines()

        # The same under Spark.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # local mode: stay on loopback
        from pyspark.sql import SparkSession
        spark = (SparkSession.builder.master(args.master).appName("stance-pipe-check")
                 .config("spark.ui.enabled", "false")
                 .config("spark.ui.showConsoleProgress", "false")
                 .config("spark.driver.host", "127.0.0.1")
                 .config("spark.driver.bindAddress", "127.0.0.1")
                 .config("spark.driver.memory", "2g")
                 .getOrCreate())
        spark.sparkContext.setLogLevel("ERROR")
        try:
            rdd = spark.sparkContext.textFile("file://" + path, minPartitions=args.partitions)
            n_parts = rdd.getNumPartitions()
            cmd = " ".join(shlex.quote(x) for x in
                           [binary, "score", "-", "--model", model, "--quiet", "--threads", str(args.threads)])
            got = rdd.pipe(cmd, checkCode=False).collect()
        finally:
            spark.stop()

        n_in = sum(1 for line in open(path, encoding="utf-8") if line.strip())
        problems = []
        if len(got) != len(want):
            problems.append(f"{len(got)} records under the pipe, {len(want)} directly")
        if len(want) != n_in:
            problems.append(f"{len(want)} records out of the direct run for {n_in} input records")
        mismatched = [i for i, (g, w) in enumerate(zip(got, want)) if normalise(g) != normalise(w)]
        if mismatched:
            i = mismatched[0]
            problems.append(f"{len(mismatched)} records differ; first at record {i + 1}:\n  pipe:   {got[i][:300]}\n  direct: {want[i][:300]}")
        # Also as multisets, which holds even if an engine reorders partitions.
        if sorted(json.dumps(normalise(x), sort_keys=True) for x in got) != \
                sorted(json.dumps(normalise(x), sort_keys=True) for x in want):
            problems.append("the two runs differ as multisets of records")
        n_err = sum(1 for x in want if json.loads(x).get("error") is not None)
        print(f"spark_pipe: {n_in} input records, {n_parts} partitions ({args.master}), {len(got)} piped records, "
              f"{len(want)} direct records ({n_err} error records; direct exit {direct.returncode})")
        if problems:
            for p in problems:
                print("  " + p)
            print("FAIL")
            return 1
        print("PASS")
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
