"""Spark in local mode: the DataFrame route (mapInArrow through the package; JSON Lines and
Parquet in, Parquet out) and the RDD.pipe route (the binary alone), each checked against a
direct `stance score`.

Skipped when pyspark or Java is missing, unless STANCE_REQUIRE_SPARK=1 (tests/python.rs sets it
under STANCE_REQUIRE_PYTHON=1 once Java is there).
"""

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

import stance
from conftest import BIN, DATA, MODEL, REPO
from test_arrow import LONG_COLUMNS, long_form

sys.path.insert(0, str(REPO / "bench"))


def _need(what):
    if os.environ.get("STANCE_REQUIRE_SPARK") == "1":
        pytest.fail(f"STANCE_REQUIRE_SPARK=1 but {what}")
    pytest.skip(what)


@pytest.fixture(scope="module")
def spark():
    try:
        import pyspark  # noqa: F401
    except ImportError:
        _need("pyspark is not installed")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        _need("no Java (apt-get install openjdk-17-jre-headless)")
    import spark_pipe

    s = spark_pipe.local_spark("local[2]", "stance-tests")
    s.conf.set("spark.sql.shuffle.partitions", "4")
    yield s
    s.stop()


# Every column of the long form (the CLI's CSV columns but `fields`), compared row by row.
COMPARED = LONG_COLUMNS


@pytest.fixture(scope="module")
def expected(spark, cli, tmp_path_factory):
    """The long form of a direct `stance score --evidence 0` (the built-in model), as a Spark
    DataFrame."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out, code = cli(["score", str(DATA), "--quiet", "--evidence", "0"])
    assert code == 0
    m = stance.load()
    rows = long_form([json.loads(x) for x in out.splitlines()], m.stance_labels, m.sentiment_labels)
    path = tmp_path_factory.mktemp("expected") / "expected.parquet"
    pq.write_table(pa.Table.from_pylist(rows).select(COMPARED), path)
    return spark.read.parquet(str(path))


def same_rows(got, want):
    """Multiset equality of two DataFrames, computed by Spark (nothing collected)."""
    got = got.select(*COMPARED)
    return got.exceptAll(want).count() == 0 and want.exceptAll(got).count() == 0 and got.count() == want.count()


def test_jsonl_to_parquet_through_map_in_arrow(spark, expected, tmp_path):
    from stance.spark import score_dataframe

    df = spark.read.json(str(DATA)).repartition(3)
    scores = score_dataframe(df)
    assert scores.columns == COMPARED + ["hard"]  # the input's other column, carried
    assert dict(scores.dtypes)["status"] == "string" and dict(scores.dtypes)["model"] == "string"
    out = tmp_path / "scores.parquet"
    scores.write.parquet(str(out))
    back = spark.read.parquet(str(out))
    assert back.count() == expected.count()
    assert same_rows(back, expected)


def test_parquet_in_with_typed_columns(spark, expected, tmp_path):
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.json as pj
    import pyarrow.parquet as pq

    t = pj.read_json(str(DATA))
    t = t.set_column(t.schema.get_field_index("date"), "date", pc.cast(t["date"], pa.date32()))
    t = t.set_column(t.schema.get_field_index("text"), "text", pc.cast(t["text"], pa.large_string()))
    src = tmp_path / "articles.parquet"
    pq.write_table(t, src, row_group_size=50)
    df = spark.read.parquet(str(src))
    assert dict(df.dtypes)["date"] == "date"
    from stance.spark import score_dataframe

    scores = score_dataframe(df, model=MODEL)  # the model read on the driver and shipped as bytes
    dst = tmp_path / "scores.parquet"
    scores.write.parquet(str(dst))
    assert same_rows(spark.read.parquet(str(dst)), expected)


def test_model_file_from_spark_files(spark, expected, tmp_path):
    from stance.spark import score_dataframe

    copy = tmp_path / "shipped-model.json"
    shutil.copy(MODEL, copy)
    spark.sparkContext.addFile(str(copy))
    df = spark.read.json(str(DATA))
    assert same_rows(score_dataframe(df, model_file="shipped-model.json", threads=2), expected)


def test_bad_records_become_error_rows(spark, tmp_path):
    from stance.spark import score_dataframe

    rows = [{"id": "ok", "text": "Tehran condemned the strikes."}, {"id": "empty", "text": ""},
            {"id": "nodate", "text": "Kyiv.", "date": "2023-02-30"}, {"id": "null", "text": None}]
    path = tmp_path / "bad.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    df = spark.read.json(str(path))
    scores = score_dataframe(df)
    errs = {r["id"]: r["status"] for r in scores.where("status != 'ok'").select("id", "status").collect()}
    assert set(errs) == {"empty", "nodate", "null"}
    assert all(e.startswith("error: record ") for e in errs.values())
    assert 'field "text": the text is empty' in errs["empty"]
    assert 'field "date"' in errs["nodate"]
    ok = scores.where("status = 'ok'").select("model").collect()
    assert [r["model"] for r in ok] == [stance.load().checksum]
    assert scores.where("status != 'ok' AND model IS NULL").count() == 3
    with pytest.raises(Exception, match="RecordError"):
        score_dataframe(df, errors="raise").count()


def test_rdd_pipe_equals_a_direct_run(spark, tmp_path):
    import spark_pipe

    path = spark_pipe.splice_bad(str(DATA), 4, str(tmp_path / "input.jsonl"))
    r = spark_pipe.check(spark, path, BIN, str(MODEL), str(tmp_path), partitions=4)
    assert r["problems"] == [], r
    assert r["n_in"] == r["n_piped"] == 212 and r["n_errors"] == 4 and r["partitions"] >= 4


def test_rdd_pipe_fails_the_job_when_stance_cannot_run(spark, tmp_path):
    import spark_pipe

    rdd = spark.sparkContext.textFile("file://" + str(DATA), minPartitions=2)
    cmd = spark_pipe.pipe_command(BIN, str(tmp_path / "no-such-model.json"))
    with pytest.raises(Exception, match="exit status 1|returned non-zero|stance"):
        rdd.pipe(cmd, checkCode=True).count()


def test_bad_options_fail_on_the_driver(spark):
    from stance.spark import score_dataframe

    df = spark.read.json(str(DATA))
    with pytest.raises(stance.ConfigError, match="Atlantis"):
        score_dataframe(df, actors=["Atlantis"])
    with pytest.raises(ValueError, match='no text column "body"'):
        score_dataframe(df, text_col="body")
    with pytest.raises(ValueError, match="errors must be"):
        score_dataframe(df, errors="skip")
    with pytest.raises(stance.ModelError):
        score_dataframe(df, model=b'{"format": "other"}')


def test_summaries_per_partition_finish_in_compare(spark, cli, tmp_path):
    """Score in Spark, write Parquet; `stance compare` reads that dataset directly, and the
    summaries one per partition (stance.spark.summarize_dataframe) merged by `compare
    --from-summary` give the same comparison. Partitions come in no set order, so every group
    is binned (--exact-limit 0, whose merge does not depend on the order) and numbers agree to
    floating-point rounding."""
    from stance.spark import score_dataframe, summarize_dataframe

    out, code = cli(["score", str(DATA), "--quiet", "--evidence", "0"])
    direct = tmp_path / "direct.jsonl"
    direct.write_text(out, encoding="utf-8")
    scored = tmp_path / "scores.parquet"
    score_dataframe(spark.read.json(str(DATA)).repartition(3)).write.parquet(str(scored))
    args = ["--format", "jsonl", "--bootstrap", "200", "--exact-limit", "0"]
    want, code = cli(["compare", str(direct), *args])
    assert code == 0
    from_parquet, code = cli(["compare", str(scored), *args])
    assert code == 0
    sums = summarize_dataframe(spark.read.parquet(str(scored)), exact_limit=0).collect()
    assert len(sums) >= 2
    files = []
    for r in sums:
        f = tmp_path / f"summary-{r['partition']}.json"
        f.write_text(r["summary"], encoding="utf-8")
        files.append(str(f))
    merged, code = cli(["compare", "--from-summary", *files, *args])
    assert code == 0

    def close(a, b, where):
        if isinstance(a, dict):
            assert a.keys() == b.keys(), where
            for k in a:
                close(a[k], b[k], f"{where}.{k}")
        elif isinstance(a, list):
            assert len(a) == len(b), where
            for i, (x, y) in enumerate(zip(a, b)):
                close(x, y, f"{where}[{i}]")
        elif isinstance(a, float) or isinstance(b, float):
            assert abs(a - b) < 1e-9, f"{where}: {a} vs {b}"
        else:
            assert a == b, where

    rows = [json.loads(x) for x in want.splitlines()]
    assert len(rows) > 20
    for name, got in [("parquet", from_parquet), ("summaries", merged)]:
        got_rows = [json.loads(x) for x in got.splitlines()]
        assert len(got_rows) == len(rows), name
        for i, (g, w) in enumerate(zip(got_rows, rows)):
            close(g, w, f"{name} row {i}")
