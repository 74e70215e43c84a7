"""stance.train: what `stance train` does, from Python records."""

import json

import pytest

import stance
from conftest import MODEL


def test_train_with_the_defaults_gives_the_shipped_model(records, repo, tmp_path):
    warns = []
    m = stance.train(records, actors=repo / "data" / "actors.toml", warnings=warns)
    p = tmp_path / "m.json"
    m.save(p)
    assert p.read_bytes() == MODEL.read_bytes(), "train() + save() differ from models/default.json"
    assert m.info["cv"]["stance"]["n"] == 844
    # Trained in memory: the checksum its file has, and named as records of it name it.
    assert m.checksum == stance.load(MODEL).checksum
    assert m.score_one("Tehran spoke.")["model"] == m.identity


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
