"""Scoring a Spark DataFrame with ``mapInArrow``: Parquet (or JSON, or any table) in, the long
form out, with the package installed on the executors (a wheel: ``pip install``, or
``spark-submit --py-files stance-*.whl`` is *not* enough for a native module; see the scale
docs) and the model shipped with the job.

>>> from stance.spark import score_dataframe
>>> scores = score_dataframe(spark.read.parquet("articles/"))          # doctest: +SKIP
>>> scores.write.parquet("scores/")                                      # doctest: +SKIP

No SparkContext is used (the model travels inside the function Spark ships to the executors,
as bytes), so the route does not depend on what Spark Connect leaves out; the tests run it in
classic local mode.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any, Dict, Iterator, Optional, Sequence, Tuple, Union

import stance

__all__ = ["score_dataframe", "output_schema", "summarize_dataframe"]

# One loaded model per Python worker process (Spark reuses its workers), keyed by the model's
# digest and the thread count.
_MODELS: Dict[Tuple[Optional[str], Optional[str], int], "stance.Model"] = {}


def _model_on_executor(data: Optional[bytes], digest: Optional[str], model_file: Optional[str], threads: int):
    key = (digest, model_file, threads)
    m = _MODELS.get(key)
    if m is None:
        if data is not None:
            m = stance.loads(data, name=f"model {digest[:12] if digest else ''}", threads=threads)
        elif model_file is not None:
            path = model_file
            if not os.path.isabs(path):
                from pyspark import SparkFiles

                path = SparkFiles.get(path)
            m = stance.load(path, threads=threads)
        else:
            m = stance.load(threads=threads)
        _MODELS[key] = m
    return m


def _spark_schema(arrow_schema: Any) -> Any:
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(arrow_schema)


def _arrow_schema(spark_schema: Any) -> Any:
    from pyspark.sql.pandas.types import to_arrow_schema

    return to_arrow_schema(spark_schema)


def output_schema(
    df: Any,
    model: Union[None, str, "os.PathLike[str]", bytes] = None,
    *,
    text_col: str = "text",
    id_col: str = "id",
    source_col: str = "source",
    date_col: str = "date",
    evidence: int = 0,
    carry: Optional[Sequence[str]] = None,
) -> Any:
    """The Spark schema :func:`score_dataframe` gives for ``df``."""
    m = _driver_model(model)
    return _spark_schema(
        m.output_schema(
            _arrow_schema(df.schema),
            evidence=evidence,
            text_col=text_col,
            id_col=id_col,
            source_col=source_col,
            date_col=date_col,
            carry=carry,
        )
    )


def _driver_path(model_file: str) -> Optional[str]:
    """The model file as the driver sees it, when it does."""
    if os.path.isabs(model_file):
        return model_file if os.path.exists(model_file) else None
    try:
        from pyspark import SparkFiles

        path = SparkFiles.get(model_file)
    except Exception:  # no SparkContext here (Spark Connect): only the executors know
        return None
    return path if os.path.exists(path) else None


def _model_bytes(model: Union[None, str, "os.PathLike[str]", bytes]) -> Optional[bytes]:
    if model is None:
        return None
    if isinstance(model, (bytes, bytearray, memoryview)):
        return bytes(model)
    with open(os.fspath(model), "rb") as f:
        return f.read()


def _driver_model(model: Union[None, str, "os.PathLike[str]", bytes]) -> "stance.Model":
    data = _model_bytes(model)
    return stance.load(threads=1) if data is None else stance.loads(data, threads=1)


def score_dataframe(
    df: Any,
    model: Union[None, str, "os.PathLike[str]", bytes] = None,
    *,
    model_file: Optional[str] = None,
    text_col: str = "text",
    id_col: str = "id",
    source_col: str = "source",
    date_col: str = "date",
    actors: Union[str, Sequence[str], None] = None,
    only_actors: bool = False,
    evidence: int = 0,
    errors: str = "record",
    carry: Optional[Sequence[str]] = None,
    threads: int = 1,
) -> Any:
    """Score a Spark DataFrame of articles into the long form (one row per article and actor;
    the columns of :meth:`stance.Model.score_arrow`), with ``mapInArrow``.

    ``model``: None for the built-in model, or a model file (a path on the driver) or its
    bytes: read once on the driver, checked, and shipped with the job (fine for models of a few
    MB; the shipped one is 1.8 MB). ``model_file`` instead: a file every executor has, by an
    absolute path in the executors' image or a name added with ``spark-submit --files`` /
    ``SparkContext.addFile`` (resolved with ``SparkFiles.get``).

    ``errors``: ``"record"`` (default here: a bad record becomes a row whose ``status`` is
    ``"error: "`` and what is wrong, and the job goes on; count them with
    ``scores.where("status != 'ok'")``) or ``"raise"`` (the task fails with the RecordError,
    and so the job).

    ``threads``: threads per Spark task (default 1: Spark already runs one task per core).
    """
    data = _model_bytes(model)
    if data is not None and model_file is not None:
        raise ValueError("give either model (shipped from the driver) or model_file (on the executors), not both")
    digest = hashlib.sha256(data).hexdigest() if data is not None else None
    # Checked on the driver, so that a bad model or option fails here and not in every task.
    if model_file is None:
        m = _model_on_executor(data, digest, None, 1)
    else:
        local = _driver_path(model_file)
        # A file only the executors have: its labels are checked against the schema there.
        m = stance.load(local, threads=1) if local is not None else stance.load(threads=1)
    arrow_in = _arrow_schema(df.schema)
    out_arrow = m.output_schema(
        arrow_in,
        evidence=evidence,
        text_col=text_col,
        id_col=id_col,
        source_col=source_col,
        date_col=date_col,
        carry=carry,
    )
    schema = _spark_schema(out_arrow)
    options = dict(
        actors=actors,
        only_actors=only_actors,
        evidence=evidence,
        errors=errors,
        text_col=text_col,
        id_col=id_col,
        source_col=source_col,
        date_col=date_col,
        carry=None if carry is None else list(carry),
    )
    import pyarrow as pa

    m.score_arrow(pa.RecordBatch.from_pylist([], schema=arrow_in), **options)  # the options, checked
    labels = (m.stance_labels, m.sentiment_labels)

    def score(batches: Iterator[Any]) -> Iterator[Any]:
        em = _model_on_executor(data, digest, model_file, threads)
        if (em.stance_labels, em.sentiment_labels) != labels:
            raise stance.ConfigError(
                f"the model on the executors ({em.name}) has the labels {em.stance_labels} / "
                f"{em.sentiment_labels}, the schema was made for {labels[0]} / {labels[1]}"
            )
        for batch in batches:
            out = em.score_arrow(batch, **options)
            yield out if out.schema.equals(out_arrow) else out.cast(out_arrow)

    return df.mapInArrow(score, schema)


def summarize_dataframe(
    scores: Any,
    model: Union[None, str, "os.PathLike[str]", bytes, bool] = None,
    *,
    by: str = "source",
    actors: Union[str, Sequence[str], None] = None,
    exact_limit: Optional[int] = None,
) -> Any:
    """One per-group summary per partition of a scored DataFrame (the long form of
    :func:`score_dataframe`), with ``mapInArrow``: a DataFrame of rows ``(partition, summary)``,
    ``summary`` the JSON text of ``stance compare --save-summary`` (:func:`stance.summarize`).
    Write each to a file and finish with ``stance compare --from-summary FILES`` (with the same
    ``--by``, ``--actor`` and ``--exact-limit``, and the model that made the scores).

    ``model``: the model that made the scores, as for :func:`score_dataframe` (None: the
    built-in one; ``False``: none). A partition holds whole articles when the scores come
    straight from :func:`score_dataframe` or from its Parquet read back; do not repartition
    the long form in between (an article's rows would be split).
    """
    from pyspark.sql.types import LongType, StringType, StructField, StructType

    data = None if model is False else _model_bytes(model)
    digest = hashlib.sha256(data).hexdigest() if data is not None else None
    stance.summarize([], by=by, actors=actors, exact_limit=exact_limit,
                     model=False if model is False else _model_on_executor(data, digest, None, 1))  # checked here
    schema = StructType([StructField("partition", LongType(), False), StructField("summary", StringType(), False)])

    def summarize(batches: Iterator[Any]) -> Iterator[Any]:
        import pyarrow as pa
        from pyspark import TaskContext

        em = False if model is False else _model_on_executor(data, digest, None, 1)
        text = stance.summarize(batches, by=by, actors=actors, exact_limit=exact_limit, model=em)
        part = TaskContext.get().partitionId()
        yield pa.RecordBatch.from_pydict(
            {"partition": [part], "summary": [text]},
            schema=pa.schema([pa.field("partition", pa.int64(), False), pa.field("summary", pa.string(), False)]),
        )

    return scores.mapInArrow(summarize, schema)
