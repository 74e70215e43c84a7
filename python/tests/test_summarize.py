"""stance.summarize: the per-group summary of `stance compare --save-summary`, made from Python
records or the long form in Arrow, equal to the CLI's, and merged by `stance compare
--from-summary` into the comparison of the whole."""

import json

import pytest

import stance
from conftest import DATA


def _whole(cli, scores_path, *args):
    out, code = cli(["compare", str(scores_path), "--format", "json", "--bootstrap", "200", *args])
    assert code == 0
    return out


@pytest.fixture(scope="module")
def scored(cli, tmp_path_factory):
    out, code = cli(["score", str(DATA), "--quiet", "--evidence", "0"])
    assert code == 0
    path = tmp_path_factory.mktemp("scores") / "s.jsonl"
    path.write_text(out, encoding="utf-8")
    return path, [json.loads(x) for x in out.splitlines()]


def test_summary_of_records_equals_the_clis(cli, scored, tmp_path):
    path, recs = scored
    saved = tmp_path / "cli.json"
    _, code = cli(["compare", str(path), "--by", "month", "--save-summary", str(saved)])
    assert code == 0
    assert json.loads(stance.summarize(recs, by="month")) == json.loads(saved.read_text())
    # JSON text records too; an error record is counted, not summarised.
    lines = [json.dumps(r) for r in recs] + ['{"id": "x", "file": "f", "line": 3, "error": "empty"}']
    assert json.loads(stance.summarize(lines, by="month")) == json.loads(saved.read_text())


def test_summaries_of_arrow_parts_merge_into_the_whole(cli, scored, model, tmp_path):
    import pyarrow as pa

    path, recs = scored
    table = model.score_arrow(pa.Table.from_pylist([json.loads(x) for x in DATA.read_text().splitlines()]))
    cut = 301  # mid-article: a part holds its rows, as a partition of score_arrow's output does
    ids = table.column("id").to_pylist()
    while ids[cut] == ids[cut - 1]:
        cut += 1
    files = []
    for i, part in enumerate([table.slice(0, cut), table.slice(cut)]):
        f = tmp_path / f"part{i}.json"
        f.write_text(stance.summarize(part, by="source"), encoding="utf-8")
        files.append(str(f))
    merged, code = cli(["compare", "--from-summary", *files, "--format", "json", "--bootstrap", "200"])
    assert code == 0
    assert merged == _whole(cli, path)
    # A pandas DataFrame and an iterable of small batches give the same summary.
    one = stance.summarize(table, by="source")
    assert stance.summarize(table.to_pandas(), by="source") == one
    assert stance.summarize(iter(table.to_batches(max_chunksize=7)), by="source") == one


def test_bad_scores_and_options_raise(scored, model):
    import pyarrow as pa

    _, recs = scored
    with pytest.raises(ValueError, match="by: empty"):
        stance.summarize(recs, by=" ")
    bad = json.loads(json.dumps(recs[0]))
    bad["actors"][0]["probabilities"]["favor"] = 5.0
    with pytest.raises(ValueError, match=r"score record:1: field \"probabilities\""):
        stance.summarize([bad])
    other = json.loads(json.dumps(recs[0]))
    other["model"]["checksum"] = "0123456789abcdef"
    with pytest.raises(stance.ConfigError, match="not by"):
        stance.summarize([other])
    assert json.loads(stance.summarize([other], model=False))["articles"] == 1
    t = pa.table({"id": ["a"], "actor": ["Iran"], "label": ["favor"], "status": ["ok"], "score": ["high"]})
    with pytest.raises(ValueError, match='column "score": expected floating-point numbers'):
        stance.summarize(t)
