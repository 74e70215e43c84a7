"""score_arrow / score_frame / output_schema: the long form of `stance score --format csv`."""

import csv
import datetime
import io
import json

import pytest

import stance

pa = pytest.importorskip("pyarrow")
pd = pytest.importorskip("pandas")

CSV_COLUMNS = ["id", "source", "date", "sentiment", "sentiment_score", "actor", "mentions", "label",
               "p_against", "p_favor", "p_neutral", "score", "error"]


def long_form(json_records, stance_labels, sentiment_labels):
    """The long form worked out from `stance score`'s JSON records, by hand: the expected rows."""
    rows = []
    for r in json_records:
        s = r.get("sentiment") or {}
        base = {"id": r["id"], "source": r.get("source"), "date": r.get("date"),
                "sentiment": s.get("label"), "sentiment_score": s.get("score")}
        for lab in sentiment_labels:
            base[f"sentiment_p_{lab}"] = (s.get("probabilities") or {}).get(lab)
        actors = r.get("actors") or [None]
        for a in actors:
            row = dict(base)
            row["actor"] = a and a["actor"]
            row["mentions"] = a and a["mentions"]
            row["label"] = a and a["label"]
            for lab in stance_labels:
                row[f"p_{lab}"] = a and a["probabilities"].get(lab)
            row["score"] = a and a["score"]
            row["error"] = None
            if a is not None and "evidence" in a:
                row["evidence"] = a["evidence"]
            rows.append(row)
    return rows


def fmt(x):
    if x is None or (isinstance(x, float) and x != x):
        return ""
    if isinstance(x, float):
        return f"{x:.6f}"
    return str(x)


@pytest.fixture(scope="module")
def table(records):
    return pa.Table.from_pylist(records)


def test_arrow_equals_the_cli_json_exactly(model, table, cli):
    want, _ = cli(["score", "data/articles.jsonl", "--quiet", "--evidence", "1"])
    expected = long_form([json.loads(x) for x in want.splitlines()], model.stance_labels, model.sentiment_labels)
    batch = table.combine_chunks().to_batches()[0]
    out = model.score_arrow(batch, evidence=1)
    assert isinstance(out, pa.RecordBatch)
    got = out.to_pylist()
    assert len(got) == len(expected)
    for g, w in zip(got, expected):
        assert isinstance(g["hard"], list)  # carried, with its own type (a list of strings)
        for k, v in w.items():
            assert g[k] == v, (g["id"], k)


def test_frame_equals_the_cli_csv(model, cli, repo):
    want, _ = cli(["score", "data/articles.jsonl", "--quiet", "--format", "csv"])
    want_rows = list(csv.reader(io.StringIO(want)))
    assert want_rows[0] == CSV_COLUMNS
    # pandas' own reader, with its defaults: the date column becomes datetime64 at midnight.
    df = pd.read_json(repo / "data" / "articles.jsonl", lines=True)
    assert str(df["date"].dtype).startswith("datetime64")
    out = model.score_frame(df)
    assert list(out.columns[: len(CSV_COLUMNS)]) == CSV_COLUMNS
    got_rows = [[fmt(v) for v in row] for row in out[CSV_COLUMNS].astype(object).where(out[CSV_COLUMNS].notna(), None).itertuples(index=False)]
    assert got_rows == [[c for c in r] for r in want_rows[1:]]
    # The index repeats the input's, so input columns join back.
    joined = out.join(df[["title"]])
    assert (joined["title"] == df.loc[out.index, "title"].to_numpy()).all()
    assert list(out.columns[len(CSV_COLUMNS):]) == [
        "sentiment_p_negative", "sentiment_p_neutral", "sentiment_p_positive", "hard"]


def test_column_names_and_types_of_the_input(model):
    texts = ["Tehran condemned the strikes.", "Moscow praised Kyiv.", "No actor at all here."]
    expected = model.score_arrow(pa.record_batch({"id": ["a", "b", "c"], "text": texts}))
    variants = {
        "large_string": pa.record_batch({"id": ["a", "b", "c"], "text": pa.array(texts, pa.large_string())}),
        "string_view": pa.record_batch({"id": ["a", "b", "c"], "text": pa.array(texts, pa.string_view())}),
        "dictionary": pa.record_batch({"id": pa.array(["a", "b", "c"]).dictionary_encode(),
                                       "text": pa.array(texts).dictionary_encode()}),
    }
    for name, b in variants.items():
        assert model.score_arrow(b).to_pylist() == expected.to_pylist(), name
    ints = model.score_arrow(pa.record_batch({"key": pa.array([1, 2, 3], pa.int32()), "body": texts}),
                             id_col="key", text_col="body")
    assert ints.column("id").to_pylist()[0] == "1"


def test_date_columns_become_iso_text(model):
    texts = ["Tehran spoke."] * 5
    dates = [datetime.date(2023, 10, 29), datetime.date(2000, 2, 29), datetime.date(1969, 12, 31), None,
             datetime.date(2024, 1, 1)]
    want = ["2023-10-29", "2000-02-29", "1969-12-31", None, "2024-01-01"]
    for t in [pa.date32(), pa.date64()]:
        b = pa.record_batch({"text": texts, "date": pa.array(dates, t)})
        assert model.score_arrow(b).column("date").to_pylist() == want
    ts = pa.array([datetime.datetime(2023, 10, 29), datetime.datetime(2023, 10, 29, 13, 5, 7, 250000)],
                  pa.timestamp("us"))
    b = pa.record_batch({"text": texts[:2], "date": ts})
    assert model.score_arrow(b).column("date").to_pylist() == ["2023-10-29", "2023-10-29T13:05:07.250000"]
    tz = pa.array([datetime.datetime(2023, 10, 29, 22, 0)], pa.timestamp("s", tz="UTC"))
    assert model.score_arrow(pa.record_batch({"text": texts[:1], "date": tz})).column("date").to_pylist() == [
        "2023-10-29T22:00:00Z"]


def test_bad_records_in_arrow(model):
    b = pa.record_batch({"id": ["a", "b", "c", "d"],
                         "text": ["Tehran spoke.", None, "  ", "Kyiv."],
                         "date": ["2023-01-01", None, None, "2023-02-30"]})
    with pytest.raises(stance.RecordError) as e:
        model.score_arrow(b)
    assert (e.value.index, e.value.id, e.value.field) == (1, "b", "text")
    assert "2 more bad records" in str(e.value)
    out = model.score_arrow(b, errors="record").to_pylist()
    errs = [(r["id"], r["error"]) for r in out if r["error"]]
    assert errs == [
        ("b", 'record 1 (id "b"): field "text": missing (every record needs a text)'),
        ("c", 'record 2 (id "c"): field "text": the text is empty'),
        ("d", 'record 3 (id "d"): field "date": expected a date YYYY-MM-DD (optionally with a time), found "2023-02-30"'),
    ]
    assert [r["actor"] for r in out if r["id"] == "a"] == ["Iran"]
    # A number in the text column is a bad record, as in JSON Lines.
    n = model.score_arrow(pa.record_batch({"text": [1, 2]}), errors="record").column("error").to_pylist()
    assert all("expected a string, found a number" in x for x in n)


def test_schema_problems_raise_before_scoring(model):
    with pytest.raises(ValueError, match='no text column "text"'):
        model.score_arrow(pa.record_batch({"body": ["x"]}))
    with pytest.raises(TypeError, match='column "text" is of type List'):
        model.score_arrow(pa.record_batch({"text": [["x"]]}))
    with pytest.raises(ValueError, match='input column "label" has the name of an output column'):
        model.score_arrow(pa.record_batch({"text": ["x"], "label": ["y"]}))
    with pytest.raises(ValueError, match='carry: the input has no column "nope"'):
        model.score_arrow(pa.record_batch({"text": ["x"]}), carry=["nope"])
    with pytest.raises(TypeError, match="record batch"):
        model.score_arrow([1, 2, 3])


def test_carry_row_col_and_empty_input(model):
    b = pa.record_batch({"id": ["a", "b"], "text": ["Tehran and Moscow spoke.", "Nothing."],
                         "n": pa.array([1, 2], pa.int16()), "tag": ["x", "y"]})
    out = model.score_arrow(b, carry=["tag"], row_col="row")
    assert out.schema.names[-2:] == ["row", "tag"]
    assert out.column("row").to_pylist() == [0, 0, 1]
    assert out.column("tag").to_pylist() == ["x", "x", "y"]
    full = model.score_arrow(b)
    assert full.schema.field("n").type == pa.int16()
    assert model.score_arrow(b, carry=[]).schema.names[-1] == "sentiment_p_positive"
    empty = model.score_arrow(b.slice(0, 0))
    assert empty.num_rows == 0 and empty.schema == model.output_schema(b.schema)
    assert model.output_schema(b.schema, evidence=2).field("evidence").type.value_type.names == [
        "text", "start", "end", "weight"]


def test_a_table_of_several_batches(model, records):
    t = pa.Table.from_pylist(records[:30])
    t = pa.Table.from_batches(t.to_batches(max_chunksize=7))
    out = model.score_arrow(t, row_col="row")
    assert isinstance(out, pa.Table)
    one = model.score_arrow(t.combine_chunks().to_batches()[0], row_col="row")
    assert out.to_pylist() == one.to_pylist()
    bad = pa.Table.from_batches(
        [pa.record_batch({"id": ["a"], "text": ["x"]}), pa.record_batch({"id": ["b"], "text": [""]})])
    with pytest.raises(stance.RecordError) as e:
        model.score_arrow(bad)
    assert e.value.index == 1  # counted over the table, not within its batch
    assert model.score_arrow(pa.table({"text": pa.array([], pa.string())})).num_rows == 0


def test_frame_options(model):
    df = pd.DataFrame({"body": ["Tehran spoke.", "Kyiv spoke.", ""], "k": [10, 11, 12]},
                      index=["r0", "r1", "r2"])
    out = model.score_frame(df, text_col="body", id_col="k", errors="record")
    assert list(out.index) == ["r0", "r1", "r2"]
    assert list(out["id"]) == ["10", "11", "12"]
    assert out["error"].iloc[2].startswith('record 2 (id "12"): field "body": the text is empty')
    with pytest.raises(stance.RecordError):
        model.score_frame(df, text_col="body")
    iran = model.score_frame(df.iloc[:2], text_col="body", actors=["Iran"], only_actors=True)
    assert list(iran["actor"]) == ["Iran", "Iran"]
    ev = model.score_frame(df.iloc[:1], text_col="body", evidence=1)
    assert ev["evidence"].iloc[0][0]["text"] == "Tehran spoke."


def test_arrow_throughput_matches_score_json(model, records):
    """The Arrow route and the dict route score the same articles the same."""
    b = pa.Table.from_pylist(records).combine_chunks().to_batches()[0]
    rows = model.score_arrow(b, evidence=0).to_pylist()
    recs = model.score(records, evidence=0)
    by = {(r["id"], a["actor"]): a["score"] for r in recs for a in r["actors"]}
    assert {(r["id"], r["actor"]): r["score"] for r in rows if r["actor"]} == by
