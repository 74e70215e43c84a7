"""stance.train: what `stance train` does, from Python records."""

import json

import pytest

import stance
from conftest import MODEL


def test_train_with_the_defaults_gives_the_shipped_model(records, repo, tmp_path):
    """What the README's `stance train --data data/articles.jsonl --actors data/actors.toml
    --out models/default.json` writes; that names the model after the file's stem, "default",
    which train() is told (it has no file to name it after)."""
    warns = []
    m = stance.train(records, actors=repo / "data" / "actors.toml", name="default", warnings=warns)
    p = tmp_path / "m.json"
    m.save(p)
    assert p.read_bytes() == MODEL.read_bytes(), "train() + save() differ from models/default.json"
    assert m.info["cv"]["stance"]["n"] == 844
    # Trained in memory: the identity its file has, and named as records of it name it.
    assert m.identity == stance.load(MODEL).identity == {"name": "default", "checksum": m.checksum}
    assert m.score_one("Tehran spoke.")["model"] == m.identity


def test_the_name_is_written_into_the_model(records, cli, tmp_path):
    """A name given to train() is in the model file and in every record of it, the CLI's too;
    without one the model has none, and saving it under a file name does not give it one."""
    small = records[:60]
    named = stance.train(small, folds=None, min_df=1, name="small-one")
    unnamed = stance.train(small, folds=None, min_df=1)
    assert named.identity["name"] == "small-one" and "name" not in unnamed.identity
    assert named.checksum != unnamed.checksum  # the name is part of the file's bytes
    assert named.score_one("Tehran spoke.")["model"] == {"name": "small-one", "checksum": named.checksum}
    assert unnamed.score_one("Tehran spoke.")["model"] == {"checksum": unnamed.checksum}
    for m, file in [(named, "n.json"), (unnamed, "u.json")]:
        p = tmp_path / file
        m.save(p)
        again = stance.load(p)
        assert again.identity == m.identity
        want, _ = cli(["score", "-", "--quiet", "--model", str(p)],
                      stdin="".join(json.dumps(r) + "\n" for r in small[:10]))
        assert again.score_json(small[:10]) == want.splitlines()
        assert all(json.loads(x)["model"] == m.identity for x in want.splitlines())


def test_settings_by_name_and_section(records):
    small = records[:60]
    m = stance.train(small, folds=None, min_df=1, word_ngrams=(1, 1), alpha=2.0, window=1)
    cfg = m.config
    assert cfg["features"]["min_df"] == 1 and cfg["features"]["word_ngrams"] == [1, 1]
    assert cfg["logistic"]["alpha"] == 2.0 and cfg["context"]["window"] == 1
    assert "cv" not in m.info
    again = stance.train(small, folds=None, features={"min_df": 1, "word_ngrams": [1, 1]},
                         logistic={"alpha": 2.0}, context={"window": 1})
    assert again.score_json(small[:5]) == m.score_json(small[:5])
    # Actors from TOML text; one not in the labels is still matched.
    toml = '[[actor]]\nname = "Iran"\naliases = ["Tehran"]\n'
    m2 = stance.train(small, folds=None, actors_toml=toml, min_df=1)
    assert "Iran" in m2.actors


def test_training_errors(records):
    with pytest.raises(TypeError, match="unknown setting 'min_dff'"):
        stance.train(records[:10], min_dff=1)
    with pytest.raises(stance.ConfigError, match="word n-grams"):
        stance.train(records[:30], folds=None, word_ngrams=(3, 1))
    bad = [dict(r) for r in records[:20]]
    bad[4] = {"id": "x", "stance": {"Iran": "against"}}
    bad[9] = {"id": "y", "text": "Iran.", "stance": {"Iran": 5}}
    with pytest.raises(stance.RecordError) as e:
        stance.train(bad, folds=None)
    assert (e.value.index, e.value.field) == (4, "text") and "1 more bad record" in str(e.value)
    with pytest.raises(stance.ConfigError, match="no labeled records"):
        stance.train([])
    with pytest.raises(stance.ConfigError, match="no stance labels"):
        stance.train([{"id": "a", "text": "Iran."}], folds=None)
    with pytest.raises(TypeError):
        stance.train("not records")
    assert json.loads(json.dumps(stance.default_settings()))["features"]["min_df"] == 2
