"""score_arrow / score_frame / output_schema: the long form of `stance score --format csv`."""

import csv
import datetime
import io
import json

import pytest

import stance

pa = pytest.importorskip("pyarrow")
pd = pytest.importorskip("pandas")

# The header of `stance score --format csv` with the shipped model (written out, not derived).
CSV_COLUMNS = ["id", "source", "date", "sentiment", "sentiment_score",
               "p_sentiment_negative", "p_sentiment_neutral", "p_sentiment_positive",
               "actor", "mentions", "label", "p_against", "p_favor", "p_neutral",
               "score", "fields", "model", "status"]
# The long form of score_arrow / score_frame: the CSV's columns but `fields`, whose record fields
# are the carried input columns (after these, with their own types).
LONG_COLUMNS = [c for c in CSV_COLUMNS if c != "fields"]


def long_form(json_records, stance_labels, sentiment_labels):
    """The long form worked out from `stance score`'s JSON records, by hand: the expected rows."""
    rows = []
    for r in json_records:
        s = r.get("sentiment") or {}
        base = {"id": r["id"], "source": r.get("source"), "date": r.get("date"),
                "sentiment": s.get("label"), "sentiment_score": s.get("score")}
        for lab in sentiment_labels:
            base[f"p_sentiment_{lab}"] = (s.get("probabilities") or {}).get(lab)
        actors = r.get("actors") or [None]
        for a in actors:
            row = dict(base)
            row["actor"] = a and a["actor"]
            row["mentions"] = a and a["mentions"]
            row["label"] = a and a["label"]
            for lab in stance_labels:
                row[f"p_{lab}"] = a and a["probabilities"].get(lab)
            row["score"] = a and a["score"]
            row["model"] = r["model"]["checksum"]
            row["status"] = "ok"
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
    assert out.schema.names == LONG_COLUMNS + ["evidence", "hard"]
    got = out.to_pylist()
    assert len(got) == len(expected)
    for g, w in zip(got, expected):
        assert isinstance(g["hard"], list)  # carried, with its own type (a list of strings)
        assert set(g) - {"hard", "evidence"} == set(w) - {"evidence"}
        for k, v in w.items():
            assert g[k] == v, (g["id"], k)
    assert {r["model"] for r in got} == {model.checksum}


def csv_cells(frame, columns):
    """A frame's columns as the CLI's CSV writes them (6 decimals, empty for missing)."""
    cols = frame[columns].astype(object).where(frame[columns].notna(), None)
    ints = [c == "mentions" for c in columns]  # a float column in pandas when it has nulls
    return [[fmt(int(v) if i and v is not None else v) for v, i in zip(row, ints)]
            for row in cols.itertuples(index=False)]


def test_frame_equals_the_cli_csv(model, cli, repo):
    want, _ = cli(["score", "data/articles.jsonl", "--quiet", "--format", "csv"])
    want_rows = list(csv.reader(io.StringIO(want)))
    assert want_rows[0] == CSV_COLUMNS
    # pandas' own reader, with its defaults: the date column becomes datetime64 at midnight.
    df = pd.read_json(repo / "data" / "articles.jsonl", lines=True)
    assert str(df["date"].dtype).startswith("datetime64")
    out = model.score_frame(df)
    # The CLI's columns by the same names, in the same order, with the same cells; `fields` is
    # empty in the CSV here (the only other field, "hard", is a list, which the CLI does not
    # carry) and is the carried columns in the frame.
    assert list(out.columns) == LONG_COLUMNS + ["hard"]
    keep = [i for i, c in enumerate(CSV_COLUMNS) if c != "fields"]
    assert {r[CSV_COLUMNS.index("fields")] for r in want_rows[1:]} == {""}
    assert csv_cells(out, LONG_COLUMNS) == [[r[i] for i in keep] for r in want_rows[1:]]
    # pandas reads the CLI's CSV into the same columns with the same kinds of dtype.
    from_csv = pd.read_csv(io.StringIO(want)).drop(columns=["fields"])
    assert list(from_csv.columns) == LONG_COLUMNS
    assert {c: from_csv[c].dtype.kind for c in LONG_COLUMNS} == {c: out[c].dtype.kind for c in LONG_COLUMNS}
    assert (from_csv["status"] == "ok").all() and (out["status"] == "ok").all()
    assert (out["model"] == model.checksum).all()
    # The index repeats the input's, so input columns join back.
    joined = out.join(df[["title"]])
    assert (joined["title"] == df.loc[out.index, "title"].to_numpy()).all()


def test_other_fields_are_the_csv_fields_as_typed_columns(model, cli):
    """What the CSV's `fields` holds as JSON text, the long form has as columns of their own."""
    recs = [{"id": "f1", "text": "Moscow warned Kyiv.", "section": "World", "n": 3},
            {"id": "f2", "text": "Nothing here.", "section": "Local", "n": 4}]
    want, _ = cli(["score", "-", "--quiet", "--format", "csv"],
                  stdin="".join(json.dumps(r) + "\n" for r in recs))
    rows = list(csv.DictReader(io.StringIO(want)))
    out = model.score_frame(pd.DataFrame(recs))
    assert list(out.columns) == LONG_COLUMNS + ["section", "n"]
    assert str(out["n"].dtype) == "int64"
    assert [json.loads(r["fields"]) for r in rows] == [
        {"section": s, "n": str(n)} for s, n in zip(out["section"], out["n"])]
    assert csv_cells(out, LONG_COLUMNS) == [[r[c] for c in LONG_COLUMNS] for r in rows]


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
    errs = [(r["id"], r["status"]) for r in out if r["status"] != "ok"]
    assert errs == [
        ("b", 'error: record 1 (id "b"): field "text": missing (every record needs a text)'),
        ("c", 'error: record 2 (id "c"): field "text": the text is empty'),
        ("d", 'error: record 3 (id "d"): field "date": expected a date YYYY-MM-DD (optionally with a time), found "2023-02-30"'),
    ]
    # An error row is its id and status, the rest null (as the CLI's CSV leaves them empty).
    for r in out:
        if r["status"] != "ok":
            assert {k for k, v in r.items() if v is not None} == {"id", "status"}
    assert [(r["actor"], r["status"]) for r in out if r["id"] == "a"] == [("Iran", "ok")]
    # A number in the text column is a bad record, as in JSON Lines.
    n = model.score_arrow(pa.record_batch({"text": [1, 2]}), errors="record").column("status").to_pylist()
    assert all(x.startswith("error: ") and "expected a string, found a number" in x for x in n)


def test_error_rows_say_what_the_cli_csv_says(model, cli):
    """The same bad records give the same `status` as in the CLI's CSV, but for how the record
    is named (its position and id here, the file and line there)."""
    rows = [{"id": "a", "text": "Tehran spoke."}, {"id": "b"}, {"id": "c", "text": "  "},
            {"id": "d", "text": "Kyiv.", "date": "2023-02-30"}]
    want, code = cli(["score", "-", "--quiet", "--format", "csv"],
                     stdin="".join(json.dumps(r) + "\n" for r in rows))
    assert code == 1
    cli_rows = list(csv.DictReader(io.StringIO(want)))
    out = model.score_frame(pd.DataFrame(rows), errors="record")
    assert list(out["id"]) == [r["id"] for r in cli_rows]
    for i, (got, w) in enumerate(zip(out["status"], (r["status"] for r in cli_rows))):
        if w == "ok":
            assert got == "ok"
            continue
        cli_prefix = f"error: <stdin>:{i + 1}: "
        ours = f'error: record {i} (id "{rows[i]["id"]}"): '
        assert w.startswith(cli_prefix) and got.startswith(ours), (w, got)
        assert got[len(ours):] == w[len(cli_prefix):]
    assert out["model"].isna().tolist() == [r["model"] == "" for r in cli_rows]


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
    assert model.score_arrow(b, carry=[]).schema.names == LONG_COLUMNS
    empty = model.score_arrow(b.slice(0, 0))
    assert empty.num_rows == 0 and empty.schema == model.output_schema(b.schema)
    schema = model.output_schema(b.schema)
    assert schema.names == LONG_COLUMNS + ["n", "tag"]
    assert schema.field("status").type == pa.string() and not schema.field("status").nullable
    assert schema.field("model").type == pa.string() and schema.field("mentions").type == pa.int64()
    assert schema.field("p_sentiment_negative").type == pa.float64()
    # An input column by the name of an output column is refused, unless left out.
    for name in ["model", "status", "p_sentiment_neutral"]:
        with pytest.raises(ValueError, match=f'input column "{name}" has the name of an output column'):
            model.output_schema(pa.schema([("text", pa.string()), (name, pa.string())]))
    assert model.output_schema(pa.schema([("text", pa.string()), ("status", pa.string())]), carry=[]).names == (
        LONG_COLUMNS)
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
    assert out["status"].iloc[2].startswith('error: record 2 (id "12"): field "body": the text is empty')
    assert list(out["status"].iloc[:2]) == ["ok", "ok"]
    with pytest.raises(stance.RecordError):
        model.score_frame(df, text_col="body")
    iran = model.score_frame(df.iloc[:2], text_col="body", actors=["Iran"], only_actors=True)
    assert list(iran["actor"]) == ["Iran", "Iran"]
    ev = model.score_frame(df.iloc[:1], text_col="body", evidence=1)
    assert ev["evidence"].iloc[0][0]["text"] == "Tehran spoke."
    assert list(ev.columns) == LONG_COLUMNS + ["evidence", "k"]  # k is not the id here: carried


def test_arrow_throughput_matches_score_json(model, records):
    """The Arrow route and the dict route score the same articles the same."""
    b = pa.Table.from_pylist(records).combine_chunks().to_batches()[0]
    rows = model.score_arrow(b, evidence=0).to_pylist()
    recs = model.score(records, evidence=0)
    by = {(r["id"], a["actor"]): a["score"] for r in recs for a in r["actors"]}
    assert {(r["id"], r["actor"]): r["score"] for r in rows if r["actor"]} == by
