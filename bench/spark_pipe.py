#!/usr/bin/env python3
"""`stance score` as the map step of Spark: RDD.pipe in local mode, checked against a direct run.

The no-Python route: the executors need only the `stance` binary and a model file, no Python
package (`spark-submit --files stance,default.json`, or both in the executors' image).

Reads a JSONL file with `sc.textFile` (N partitions), pipes every partition through
`stance score - --model MODEL --quiet --ok-on-bad-records`, writes the piped records with
`saveAsTextFile` and compares them, streaming, file by file in partition order, with
`stance score FILE` run directly (written to a file too): the same number of records, and
record for record the same JSON. Nothing is collected into the driver, so the check runs on
inputs of any size. Error records (`{"id", "file", "line", "error"}`) are compared without
"file" and "line" (and without the "FILE:LINE: " that opens the message): under the pipe those
name standard input and the line within the partition.

The pipe runs with checkCode=True and `--ok-on-bad-records`: a bad record becomes an error
record in its place and the task goes on (exit 0), while a task whose `stance` fails outright
(a missing binary or model) fails the job. (With checkCode=False, as before, a missing model
gave 0 records and a successful job.)

With --bad N, N malformed lines are spliced into a copy of the input first.

Prints PASS or FAIL (exit status 0 or 1). Needs pyspark and Java 17+. The same check runs in
CI as python/tests/test_spark.py (through tests/python.rs).

    python3 bench/spark_pipe.py                       # data/articles.jsonl, 4 partitions
    python3 bench/spark_pipe.py big.jsonl --partitions 8 --bad 3
"""

import argparse
import itertools
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


def splice_bad(path, n, out_path, seed=7):
    """A copy of `path` with `n` malformed lines at random places."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    rng = random.Random(seed)
    for k in range(n):
        bad = ['{"id": "bad%d", "text": ' % k, '{"id": "bad%d"}' % k, "not json at all"][k % 3]
        lines.insert(rng.randrange(len(lines) + 1), bad)
    with open(out_path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return out_path


def pipe_command(binary, model, threads=1):
    return " ".join(shlex.quote(x) for x in [binary, "score", "-", "--model", model, "--quiet",
                                            "--ok-on-bad-records", "--threads", str(threads)])


def check(spark, path, binary, model, workdir, partitions=4, threads=1):
    """Pipes `path` through `stance score` under Spark and compares with a direct run.

    Returns a dict: n_in (input records), n_direct, n_piped, n_errors (error records),
    partitions, problems (a list of strings; empty when the runs agree).
    """
    direct_path = os.path.join(workdir, "direct.jsonl")
    with open(direct_path, "w", encoding="utf-8") as out:
        direct = subprocess.run([binary, "score", "--model", model, "--quiet", "--threads", str(threads), path],
                                stdout=out, stderr=subprocess.PIPE, text=True)
    problems = []
    if direct.returncode not in (0, 1) or direct.stderr.strip():
        problems.append(f"direct run: exit {direct.returncode}: {direct.stderr.strip()[:500]}")

    rdd = spark.sparkContext.textFile("file://" + os.path.abspath(path), minPartitions=partitions)
    n_parts = rdd.getNumPartitions()
    piped_dir = os.path.join(workdir, "piped")
    rdd.pipe(pipe_command(binary, model, threads), checkCode=True).saveAsTextFile("file://" + piped_dir)
    parts = sorted(p for p in os.listdir(piped_dir) if p.startswith("part-"))

    def piped_lines():
        for p in parts:
            with open(os.path.join(piped_dir, p), encoding="utf-8") as f:
                for line in f:
                    yield line.rstrip("\n")

    n_in = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            n_in += bool(line.strip())
    n_direct = n_piped = n_err = mismatched = 0
    first = None
    with open(direct_path, encoding="utf-8") as f:
        for i, (g, w) in enumerate(itertools.zip_longest(piped_lines(), (x.rstrip("\n") for x in f))):
            n_piped += g is not None
            n_direct += w is not None
            if w is not None and '"error"' in w and json.loads(w).get("error") is not None:
                n_err += 1
            if g is None or w is None or normalise(g) != normalise(w):
                mismatched += 1
                if first is None:
                    first = (i, g, w)
    if n_piped != n_direct:
        problems.append(f"{n_piped} records under the pipe, {n_direct} directly")
    if n_direct != n_in:
        problems.append(f"{n_direct} records out of the direct run for {n_in} input records")
    if mismatched:
        i, g, w = first
        problems.append(f"{mismatched} records differ; first at record {i + 1}:\n  pipe:   {(g or '')[:300]}\n"
                        f"  direct: {(w or '')[:300]}")
    return {"n_in": n_in, "n_direct": n_direct, "n_piped": n_piped, "n_errors": n_err,
            "partitions": n_parts, "problems": problems}


def local_spark(master="local[2]", app="stance-pipe-check"):
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # local mode: stay on loopback
    from pyspark.sql import SparkSession
    spark = (SparkSession.builder.master(master).appName(app)
             .config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.driver.host", "127.0.0.1")
             .config("spark.driver.bindAddress", "127.0.0.1")
             .config("spark.driver.memory", "2g")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    return spark


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
            path = splice_bad(path, args.bad, os.path.join(tmp, "input.jsonl"))
        spark = local_spark(args.master)
        try:
            r = check(spark, path, binary, model, tmp, args.partitions, args.threads)
        finally:
            spark.stop()
        print(f"spark_pipe: {r['n_in']} input records, {r['partitions']} partitions ({args.master}), "
              f"{r['n_piped']} piped records, {r['n_direct']} direct records ({r['n_errors']} error records)")
        if r["problems"]:
            for p in r["problems"]:
                print("  " + p)
            print("FAIL")
            return 1
        print("PASS")
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
