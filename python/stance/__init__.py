"""stance: the stance of news articles toward the actors they name, and their sentiment.

The Rust library `stance` from Python: the same model files, the same scores, the same records
as the ``stance`` command line, with pandas, Arrow and Spark on top.

>>> import stance
>>> m = stance.load()                       # the built-in model (models/default.json)
>>> r = m.score(["Critics condemned Tehran for a brutal attack."])[0]
>>> r["actors"][0]["actor"], r["actors"][0]["label"]
('Iran', 'against')

- ``m.score(texts_or_records)``: a list of dicts, each the JSON record ``stance score`` writes.
- ``m.score_frame(df)``: a pandas DataFrame in the long form of ``stance score --format csv``
  (one row per article and actor, the CSV's columns by its names and in its order), then the
  input's other columns with their own types.
- ``m.score_arrow(batch)``: the same long form as an Arrow record batch (or table).
- ``stance.spark.score_dataframe(df)``: a Spark DataFrame scored with ``mapInArrow``.
- ``stance.train(records, ...)``: what ``stance train`` does, from Python records.
- ``stance.summarize(scores, by="source")``: the per-group summary of score records that
  ``stance compare --save-summary`` writes, for ``stance compare --from-summary`` to merge
  (one per Spark or DuckDB partition: ``stance.spark.summarize_dataframe``).

Scoring runs in Rust with the GIL released, on a thread pool (all cores by default;
``stance.load(threads=N)`` for a pool of N threads), and results come in input order. A bad
record raises :class:`RecordError` naming its position, id and field (``errors="raise"``, the
default), or becomes an error record or row in its place (``errors="record"``).
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Union

from . import _stance
from ._stance import ConfigError, ModelError, RecordError, StanceError

__version__: str = _stance.__version__

__all__ = [
    "Model",
    "load",
    "loads",
    "train",
    "summarize",
    "default_settings",
    "StanceError",
    "RecordError",
    "ModelError",
    "ConfigError",
    "__version__",
]

PathLike = Union[str, "os.PathLike[str]"]
Record = Union[str, Mapping[str, Any]]


def load(path: Optional[PathLike] = None, *, threads: Optional[int] = None) -> "Model":
    """Load a model: the built-in one (``path=None``), or a model file written by ``stance train``.

    ``threads``: the size of the model's own thread pool (default: rayon's global pool, one
    thread per core, or ``RAYON_NUM_THREADS``). In a Spark task use 1.

    Raises FileNotFoundError / OSError for a file that cannot be read and :class:`ModelError`
    for one that is not a usable model (truncated, edited, of a newer format).
    """
    if path is None:
        return Model(_stance.Model.builtin(threads=threads))
    return Model(_stance.Model.load(os.fspath(path), threads=threads))


def loads(data: bytes, *, name: str = "<bytes>", threads: Optional[int] = None) -> "Model":
    """Load a model from the bytes of a model file (for instance shipped to Spark executors).

    ``name`` names it in messages only: score records name the model by the name written in
    its file and the checksum of its bytes (see :attr:`Model.identity`), so the same bytes give
    the same records however they were loaded.
    """
    return Model(_stance.Model.from_bytes(bytes(data), name=name, threads=threads))


def default_settings() -> Dict[str, Dict[str, Any]]:
    """The training settings of ``stance train`` when none are given, by section, as stored in a
    model file's ``config``: ``features``, ``context``, ``logistic``, ``polarity``."""
    return json.loads(_stance.default_config_json())


def _settings_json(settings: Mapping[str, Any]) -> str:
    cfg = default_settings()
    where = {key: section for section, values in cfg.items() for key in values}
    for key, value in settings.items():
        if key in cfg and isinstance(value, Mapping):
            cfg[key].update(value)  # a whole section: features={"min_df": 1}
        elif key in where:
            cfg[where[key]][key] = list(value) if isinstance(value, tuple) else value
        else:
            known = ", ".join(sorted(where))
            raise TypeError(f"train() got an unknown setting {key!r}; the settings are: {known}")
    return json.dumps(cfg)


def train(
    records: Iterable[Mapping[str, Any]],
    *,
    actors: Optional[PathLike] = None,
    actors_toml: Optional[str] = None,
    folds: Optional[int] = 5,
    seed: int = 42,
    group_by: Optional[str] = None,
    name: Optional[str] = None,
    text_col: str = "text",
    id_col: str = "id",
    source_col: str = "source",
    date_col: str = "date",
    threads: Optional[int] = None,
    warnings: Optional[List[str]] = None,
    **settings: Any,
) -> "Model":
    """Train a model on labeled records, as ``stance train`` does.

    ``records``: dicts like the lines of a labeled JSONL file: ``{"id", "text", "stance":
    {"Iran": "against", ...}, "sentiment": "negative"}``, or long-form rows (``"actor"`` and a
    single ``"stance"`` label) that are merged by id. ``actors``: an actors file (TOML), or
    ``actors_toml`` its text; actors named in labels but not there are matched by name.

    ``folds``: cross-validation before training (its out-of-fold predictions become the
    calibration ``stance compare`` corrects shares with, and its summary goes into
    ``model.info["cv"]``); ``None`` skips it. ``seed``, ``group_by``: as ``stance train``.

    ``name``: the model's name, written into its file and carried by every score record it
    makes (``"model": {"name", "checksum"}``), as ``stance train --name``. ``stance train``
    names a model after its ``--out`` file when not told otherwise; there is no file here, so
    without ``name`` the model has none (its records carry the checksum alone). Saving does not
    name it: the name is part of the file's bytes, and so of its checksum.

    ``**settings``: any training setting by its name in the model file's ``config`` (see
    :func:`default_settings`): ``min_df=1``, ``word_ngrams=(1, 3)``, ``alpha=0.5``,
    ``window=1``, ``class_weight="none"``, ..., or a whole section (``features={...}``).
    Unknown names raise TypeError; bad values :class:`ConfigError`.

    With the defaults, ``train(records of data/articles.jsonl, actors="data/actors.toml",
    name="default")`` gives the shipped model, byte for byte, once saved (what ``stance train
    --data data/articles.jsonl --actors data/actors.toml --out models/default.json`` writes).

    ``warnings``: a list to which training's warnings are appended (e.g. a label for an actor
    the text never names).
    """
    native, warns = _stance.train(
        records,
        config_json=_settings_json(settings),
        actors_path=os.fspath(actors) if actors is not None else None,
        actors_toml=actors_toml,
        folds=folds,
        seed=seed,
        group_by=group_by,
        name=name,
        text_col=text_col,
        id_col=id_col,
        source_col=source_col,
        date_col=date_col,
        threads=threads,
    )
    if warnings is not None:
        warnings.extend(warns)
    return Model(native)


def summarize(
    scores: Any,
    *,
    by: str = "source",
    actors: Union[str, Sequence[str], None] = None,
    exact_limit: Optional[int] = None,
    model: Union["Model", None, bool] = None,
) -> str:
    """The per-group summary of score records, as the JSON text ``stance compare
    --save-summary`` writes (format ``stance-compare-summary``), made by the same Rust code.

    ``scores``: score records (dicts or JSON text, as :meth:`Model.score` returns them), or the
    long form (:meth:`Model.score_arrow`'s columns) as a pyarrow RecordBatch or Table, an
    iterable of record batches, or a pandas DataFrame; the rows of one article must follow each
    other, as ``score_arrow`` writes them. Error records and rows are left out (counted).

    ``by``, ``actors`` and ``exact_limit`` (groups above it are binned; default the CLI's)
    must be those ``stance compare --from-summary`` is then given. ``model``: the model that
    made the scores (default the built-in one; ``False`` for none, as ``--no-model``), whose
    labels, checksum and known sources the records are checked against, as ``stance compare
    --model`` does. Write one per partition, then ``stance compare --from-summary part-*.json``.
    """
    import warnings

    if model is None:
        model = load(threads=1)
    native = None if model is False else model._m
    names = [actors] if isinstance(actors, str) else list(actors or [])
    s = _stance.Summary(by=by, actors=names, exact_limit=exact_limit, model=native)
    if isinstance(scores, (list, tuple)) and all(isinstance(r, (str, Mapping)) for r in scores):
        s.add_records([r if isinstance(r, str) else json.dumps(r) for r in scores])
    else:
        if hasattr(scores, "to_batches"):  # a pyarrow Table
            batches = scores.to_batches()
        elif hasattr(scores, "__arrow_c_array__"):  # one record batch
            batches = [scores]
        elif hasattr(scores, "columns") and hasattr(scores, "iloc"):  # pandas
            import pyarrow as pa

            batches = pa.Table.from_pandas(scores, preserve_index=False).to_batches()
        else:
            batches = scores
        for b in batches:
            s.add_arrow(b)
    text, warn, _skipped = s.finish()
    if warn:
        warnings.warn(warn, stacklevel=2)
    return text


class Model:
    """A loaded model. Get one with :func:`load`, :func:`loads` or :func:`train`.

    Thread-safe: one model can score from several Python threads at once.
    """

    __slots__ = ("_m",)

    def __init__(self, native: "_stance.Model") -> None:
        self._m = native

    def __repr__(self) -> str:
        return (
            f"<stance.Model {self.name!r}: stance {'/'.join(self.stance_labels)}, "
            f"{len(self.actors)} actors, {self.threads} threads>"
        )

    @property
    def name(self) -> str:
        """How messages name the model: its file's path, the built-in model, or ``name=`` of
        :func:`loads` / :func:`train`. Score records name it by :attr:`identity` instead."""
        return self._m.name

    @property
    def identity(self) -> Dict[str, str]:
        """The model as its score records name it, their ``"model"``: ``{"name", "checksum"}``.

        The library's naming, so the CLI's for the same model: ``name`` is the name written in
        the model file (``"default"`` for the built-in model; ``stance train --name``, by
        default the ``--out`` file's stem), not the path it was loaded from, so a copy of a
        model file under another path, or its bytes, is the same model; left out when the
        model has none (one trained by :func:`train` without ``name``). ``checksum``: the
        first 16 hex digits of the SHA-256 of the model file's bytes, the long form's ``model``
        column.
        """
        return json.loads(self._m.identity_json())

    @property
    def checksum(self) -> str:
        """The first 16 hex digits of the model file's SHA-256 (the long form's ``model``)."""
        return self.identity["checksum"]

    @property
    def threads(self) -> int:
        """Threads scoring uses."""
        return self._m.threads

    @property
    def stance_labels(self) -> List[str]:
        """The stance labels, in the order of the ``p_<label>`` columns."""
        return self._m.stance_labels

    @property
    def sentiment_labels(self) -> List[str]:
        """The sentiment labels (empty when the model has no sentiment classifier)."""
        return self._m.sentiment_labels

    @property
    def actors(self) -> List[str]:
        """The actors the model finds in a text."""
        return self._m.actors

    @property
    def config(self) -> Dict[str, Any]:
        """The settings the model was trained with (the model file's ``config``)."""
        return json.loads(self._m.config_json())

    @property
    def info(self) -> Dict[str, Any]:
        """How the model was trained: data hash, counts, seed, features, the CV summary."""
        return json.loads(self._m.info_json())

    def save(self, path: PathLike) -> None:
        """Write the model file (to a temporary file first, then renamed over ``path``)."""
        self._m.save(os.fspath(path))

    def score_json(
        self,
        records: Iterable[Record],
        *,
        actors: Union[str, Sequence[str], None] = None,
        only_actors: bool = False,
        evidence: int = 2,
        errors: str = "raise",
        text_col: str = "text",
        id_col: str = "id",
        source_col: str = "source",
        date_col: str = "date",
    ) -> List[str]:
        """Like :meth:`score`, but each result as the JSON text ``stance score`` writes."""
        return self._m.score_json(
            records,
            actors=actors,
            only_actors=only_actors,
            evidence=evidence,
            errors=errors,
            text_col=text_col,
            id_col=id_col,
            source_col=source_col,
            date_col=date_col,
        )

    def score(
        self,
        records: Iterable[Record],
        *,
        actors: Union[str, Sequence[str], None] = None,
        only_actors: bool = False,
        evidence: int = 2,
        errors: str = "raise",
        text_col: str = "text",
        id_col: str = "id",
        source_col: str = "source",
        date_col: str = "date",
    ) -> List[Dict[str, Any]]:
        """Score texts or records: one dict per input, in input order.

        Each input is a text (str) or a record (a dict like a line of JSON Lines: ``text``
        required; ``id``, ``source``, ``date`` (YYYY-MM-DD) and any other fields optional).
        Each result is the record ``stance score`` writes: ``id``, ``source``, ``date``,
        ``sentiment`` {label, probabilities, score}, ``actors`` [{actor, mentions, label,
        probabilities, score, evidence}], ``fields`` (the record's other fields, as strings;
        left out when none) and ``model`` (:attr:`identity`). A record without an id gets
        one derived from its text, as the CLI gives it:
        ``"sha256:" + hashlib.sha256(text.encode()).hexdigest()[:16]``.

        ``actors``: also score these actors where an article does not name them;
        ``only_actors``: score only those. ``evidence``: sentences per actor (0: none, faster).
        ``errors="raise"``: a bad record raises :class:`RecordError` (its ``index``, ``id``,
        ``field``); ``"record"``: it becomes ``{"id", "index", "field", "error"}`` in place.
        ``text_col`` etc.: the field names when they differ.
        """
        return [
            json.loads(s)
            for s in self.score_json(
                records,
                actors=actors,
                only_actors=only_actors,
                evidence=evidence,
                errors=errors,
                text_col=text_col,
                id_col=id_col,
                source_col=source_col,
                date_col=date_col,
            )
        ]

    def score_one(self, record: Record, **options: Any) -> Dict[str, Any]:
        """Score one text or record (see :meth:`score` for the options)."""
        return self.score([record], **options)[0]

    def output_schema(
        self,
        schema: Any,
        *,
        evidence: int = 0,
        text_col: str = "text",
        id_col: str = "id",
        source_col: str = "source",
        date_col: str = "date",
        carry: Optional[Sequence[str]] = None,
    ) -> "pyarrow.Schema":  # noqa: F821
        """The Arrow schema :meth:`score_arrow` gives for input of this (Arrow) schema."""
        return self._m.output_schema(
            schema,
            evidence=evidence,
            text_col=text_col,
            id_col=id_col,
            source_col=source_col,
            date_col=date_col,
            carry=None if carry is None else list(carry),
        )

    def score_arrow(
        self,
        data: Any,
        *,
        actors: Union[str, Sequence[str], None] = None,
        only_actors: bool = False,
        evidence: int = 0,
        errors: str = "raise",
        text_col: str = "text",
        id_col: str = "id",
        source_col: str = "source",
        date_col: str = "date",
        carry: Optional[Sequence[str]] = None,
        row_col: Optional[str] = None,
    ) -> Any:
        """Score an Arrow record batch (or table) into the long form, as a record batch (table).

        One output row per article and actor (one row with no actor for an article that names
        none), with the columns of ``stance score --format csv``, by its names and in its
        order: ``id, source, date, sentiment, sentiment_score, p_sentiment_<label>...`` (one
        per sentiment label), ``actor, mentions, label, p_<label>...`` (one per stance label),
        ``score, model, status``. ``model`` is the model's checksum (:attr:`checksum`);
        ``status`` is ``"ok"``, or ``"error: "`` and the message on an error row, never null.
        Then ``evidence`` (a list of {text, start, end, weight}) when ``evidence > 0``;
        ``row_col`` (the input row of each output row) when named; then the input's other
        columns (``carry``: which; default every column but the id, text, source, date, title,
        url and label fields), with their own Arrow types: they are what the CSV's ``fields``
        column holds as JSON text, so there is no ``fields`` column. Missing values are nulls.

        The input is read in place over the Arrow C data interface (no copy). The text column
        may be string, large_string or string_view (or dictionary-encoded); id, source and date
        also integer, date32/date64 and timestamp (written as ISO text: a zoned timestamp in
        UTC with ``Z``, a naive one at midnight as its date alone). A column of a
        type that cannot hold its field raises TypeError; a bad record raises
        :class:`RecordError` (``errors="raise"``) or becomes a row whose ``status`` names it
        (``error: record 3 (id "a17"): field "text": the text is empty``; its id when readable,
        every other column null).
        """
        opts = dict(
            actors=actors,
            only_actors=only_actors,
            evidence=evidence,
            errors=errors,
            text_col=text_col,
            id_col=id_col,
            source_col=source_col,
            date_col=date_col,
            carry=None if carry is None else list(carry),
            row_col=row_col,
        )
        if hasattr(data, "to_batches") and hasattr(data, "schema") and not hasattr(data, "__arrow_c_array__"):
            import pyarrow as pa

            out, offset = [], 0
            for batch in data.to_batches():
                out.append(self._m.score_arrow(batch, offset=offset, **opts))
                offset += batch.num_rows
            schema = self._m.output_schema(
                data.schema,
                evidence=evidence,
                text_col=text_col,
                id_col=id_col,
                source_col=source_col,
                date_col=date_col,
                carry=opts["carry"],
                row_col=row_col,
            )
            return pa.Table.from_batches(out, schema=schema)
        return self._m.score_arrow(data, **opts)

    def score_frame(
        self,
        df: "pandas.DataFrame",  # noqa: F821
        text_col: str = "text",
        id_col: str = "id",
        source_col: str = "source",
        date_col: str = "date",
        *,
        actors: Union[str, Sequence[str], None] = None,
        only_actors: bool = False,
        evidence: int = 0,
        errors: str = "raise",
        carry: Optional[Sequence[str]] = None,
        batch_size: int = 65_536,
    ) -> "pandas.DataFrame":  # noqa: F821
        """Score a pandas DataFrame into the long form (see :meth:`score_arrow` for the columns).

        The result's index repeats the input's index for each of an article's rows, so
        ``scores.join(df[["title"]])`` brings back any input column. The frame goes to Arrow
        in slices of ``batch_size`` rows.
        """
        import pyarrow as pa

        row = "__stance_row__"
        while row in df.columns:
            row += "_"
        table = pa.Table.from_pandas(df, preserve_index=False)
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        table = pa.Table.from_batches(table.to_batches(max_chunksize=batch_size), schema=table.schema)
        out = self.score_arrow(
            table,
            actors=actors,
            only_actors=only_actors,
            evidence=evidence,
            errors=errors,
            text_col=text_col,
            id_col=id_col,
            source_col=source_col,
            date_col=date_col,
            carry=carry,
            row_col=row,
        )
        frame = out.to_pandas()
        rows = frame.pop(row).to_numpy()
        frame.index = df.index.take(rows)
        return frame
