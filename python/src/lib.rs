//! The native part of the Python package `stance` (`stance._stance`). The package's Python
//! layer (`stance/__init__.py`) wraps it; the calls into the `stance` library all go through
//! [`backend`].

mod arrow_io;
mod backend;
mod engine;
mod errors;
mod records;
mod summary;

use arrow_array::RecordBatch;
use arrow_pyarrow::{FromPyArrow, ToPyArrow};
use arrow_schema::Schema;
use backend::{Failure, Fields, Reader, ScoreOptions};
use engine::{Engine, Outcome};
use errors::{record_error, to_py, ConfigError, ModelError, RecordError, StanceError};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

/// A record Python could not give as JSON: its id (when readable) and why.
type Unread = (Option<String>, Failure);
/// A bad record: its position, its id (when readable) and what is wrong.
type Bad = (usize, Option<String>, Failure);

/// A loaded model. Thread-safe; scoring releases the GIL.
#[pyclass(module = "stance._stance", name = "Model", frozen)]
struct PyModel {
    engine: Arc<Engine>,
}

fn fields(text_col: &str, id_col: &str, source_col: &str, date_col: &str) -> Fields {
    Fields {
        id: id_col.to_string(),
        text: text_col.to_string(),
        source: source_col.to_string(),
        date: date_col.to_string(),
    }
}

/// `actors`: None, one name, or a list of names.
fn actor_list(actors: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<String>> {
    match actors {
        None => Ok(Vec::new()),
        Some(a) if a.is_none() => Ok(Vec::new()),
        Some(a) => match a.cast::<PyString>() {
            Ok(s) => Ok(vec![s.to_cow()?.to_string()]),
            Err(_) => a.extract::<Vec<String>>().map_err(|_| {
                PyTypeError::new_err("actors must be a name or a list of names (str)")
            }),
        },
    }
}

fn raise_mode(errors: &str) -> PyResult<bool> {
    match errors {
        "raise" => Ok(true),
        "record" => Ok(false),
        other => Err(PyValueError::new_err(format!(
            "errors must be \"raise\" (a bad record raises RecordError) or \"record\" (it becomes an error record in its place), not {other:?}"
        ))),
    }
}

impl PyModel {
    fn options(
        &self,
        actors: Option<&Bound<'_, PyAny>>,
        only_actors: bool,
        evidence: usize,
    ) -> PyResult<ScoreOptions> {
        let actors = actor_list(actors)?;
        let model = &self.engine.model;
        for a in &actors {
            if !backend::knows_actor(model, a) {
                return Err(ConfigError::new_err(format!(
                    "actor \"{a}\" is not an actor of the model (its actors: {})",
                    backend::actor_names(model).join(", ")
                )));
            }
        }
        if only_actors && actors.is_empty() {
            return Err(PyValueError::new_err(
                "only_actors=True needs the actors to score (actors=[...])",
            ));
        }
        Ok(ScoreOptions {
            actors,
            only_listed: only_actors,
            evidence,
            ..ScoreOptions::default()
        })
    }

    fn shape(
        &self,
        input: &Schema,
        reader: &Reader,
        evidence: usize,
        carry: Option<Vec<String>>,
        row_col: Option<String>,
        offset: usize,
    ) -> PyResult<arrow_io::Shape> {
        let carried =
            arrow_io::carried(input, reader, carry.as_deref()).map_err(batch_err_plain)?;
        Ok(arrow_io::Shape {
            evidence: evidence > 0,
            carried,
            row_col,
            offset,
        })
    }
}

fn batch_err_plain(e: arrow_io::BatchError) -> PyErr {
    match e {
        arrow_io::BatchError::Type(m) => PyTypeError::new_err(m),
        arrow_io::BatchError::Value(m) => PyValueError::new_err(m),
        arrow_io::BatchError::Record { failure, .. } => to_py(failure),
    }
}

fn new_model(
    py: Python<'_>,
    model: backend::Model,
    name: String,
    threads: Option<usize>,
) -> PyResult<PyModel> {
    let engine = py
        .detach(|| Engine::new(model, name, threads))
        .map_err(PyValueError::new_err)?;
    Ok(PyModel {
        engine: Arc::new(engine),
    })
}

#[pymethods]
impl PyModel {
    /// The built-in model (the shipped `models/default.json`).
    #[staticmethod]
    #[pyo3(signature = (*, threads=None))]
    fn builtin(py: Python<'_>, threads: Option<usize>) -> PyResult<PyModel> {
        let model = py.detach(backend::builtin);
        new_model(py, model, backend::builtin_name().to_string(), threads)
    }

    /// Reads and checks a model file.
    #[staticmethod]
    #[pyo3(signature = (path, *, threads=None))]
    fn load(py: Python<'_>, path: PathBuf, threads: Option<usize>) -> PyResult<PyModel> {
        let model = py.detach(|| backend::load(&path)).map_err(to_py)?;
        new_model(py, model, path.display().to_string(), threads)
    }

    /// Reads and checks a model from the bytes of a model file.
    #[staticmethod]
    #[pyo3(signature = (data, *, name="<bytes>", threads=None))]
    fn from_bytes(
        py: Python<'_>,
        data: Vec<u8>,
        name: &str,
        threads: Option<usize>,
    ) -> PyResult<PyModel> {
        let model = py
            .detach(|| backend::load_bytes(&data, name))
            .map_err(to_py)?;
        new_model(py, model, name.to_string(), threads)
    }

    #[getter]
    fn name(&self) -> String {
        self.engine.name.clone()
    }

    /// The model as its score records name it, as JSON: `{"name", "checksum"}` (the library's
    /// own naming, so the CLI's for the same model).
    fn identity_json(&self) -> String {
        serde_json::to_string(&backend::model_ref(&self.engine.model))
            .unwrap_or_else(|_| "{}".into())
    }

    #[getter]
    fn threads(&self) -> usize {
        self.engine.threads()
    }

    #[getter]
    fn stance_labels(&self) -> Vec<String> {
        backend::stance_classes(&self.engine.model).to_vec()
    }

    #[getter]
    fn sentiment_labels(&self) -> Vec<String> {
        backend::sentiment_classes(&self.engine.model).to_vec()
    }

    #[getter]
    fn actors(&self) -> Vec<String> {
        backend::actor_names(&self.engine.model)
    }

    fn config_json(&self) -> String {
        backend::config_json(&self.engine.model)
    }

    fn info_json(&self) -> String {
        backend::info_json(&self.engine.model)
    }

    /// Writes the model file (a temporary file renamed over `path`).
    fn save(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        py.detach(|| backend::save(&self.engine.model, &path))
            .map_err(to_py)
    }

    /// Scores texts or records; one JSON text per input, as `stance score` writes it.
    #[pyo3(signature = (records, *, actors=None, only_actors=false, evidence=2, errors="raise",
                        text_col="text", id_col="id", source_col="source", date_col="date"))]
    #[allow(clippy::too_many_arguments)]
    fn score_json(
        &self,
        py: Python<'_>,
        records: &Bound<'_, PyAny>,
        actors: Option<&Bound<'_, PyAny>>,
        only_actors: bool,
        evidence: usize,
        errors: &str,
        text_col: &str,
        id_col: &str,
        source_col: &str,
        date_col: &str,
    ) -> PyResult<Vec<String>> {
        let raise = raise_mode(errors)?;
        let opts = self.options(actors, only_actors, evidence)?;
        if records.cast::<PyString>().is_ok() || records.cast::<PyDict>().is_ok() {
            return Err(PyTypeError::new_err(
                "score() takes a list of texts or records; for a single one use score_one()",
            ));
        }
        let iter = records.try_iter().map_err(|_| {
            PyTypeError::new_err(format!(
                "score() takes a list (or any iterable) of texts or records, not a {}",
                records
                    .get_type()
                    .name()
                    .map(|n| n.to_string())
                    .unwrap_or_default()
            ))
        })?;
        // Read the Python objects while holding the GIL...
        let mut inputs: Vec<Result<Vec<u8>, Unread>> = Vec::new();
        for item in iter {
            let item = item?;
            inputs.push(records::record_json(&item, text_col).map_err(|u| {
                let id = item
                    .cast::<PyDict>()
                    .ok()
                    .and_then(|d| d.get_item(id_col).ok().flatten())
                    .and_then(|v| v.extract::<String>().ok());
                (
                    id,
                    Failure::Record {
                        field: u.field,
                        message: u.message,
                    },
                )
            }));
        }
        // ...and score without it.
        let reader = Reader::new(&fields(text_col, id_col, source_col, date_col));
        let engine = &self.engine;
        let results: Vec<Vec<Result<String, Bad>>> = py.detach(|| {
            engine.chunks(inputs.len(), |range, scratch| {
                range
                    .map(|i| {
                        let outcome = match &inputs[i] {
                            Ok(bytes) => engine.outcome(&reader, bytes.clone(), i, &opts, scratch),
                            Err((id, f)) => Outcome::Failed {
                                id: id.clone(),
                                failure: f.clone(),
                            },
                        };
                        match outcome {
                            Outcome::Scored(s) => Ok(backend::to_json(&s)),
                            Outcome::Failed { id, failure } => Err((i, id, failure)),
                        }
                    })
                    .collect()
            })
        });
        let total_bad = results.iter().flatten().filter(|r| r.is_err()).count();
        let mut out = Vec::with_capacity(inputs.len());
        for r in results.into_iter().flatten() {
            match r {
                Ok(s) => out.push(s),
                Err((i, id, failure)) => {
                    if raise {
                        let (field, reason) = match &failure {
                            Failure::Record { field, message } => (field.clone(), message.clone()),
                            other => (None, other.message()),
                        };
                        return Err(record_error(
                            py,
                            i,
                            id.as_deref(),
                            field.as_deref(),
                            &reason,
                            total_bad - 1,
                        ));
                    }
                    let field = match &failure {
                        Failure::Record { field, .. } => field.clone(),
                        _ => None,
                    };
                    out.push(
                        serde_json::json!({
                            "id": id,
                            "index": i,
                            "field": field,
                            "error": arrow_io::error_message(i, id.as_deref(), &failure),
                        })
                        .to_string(),
                    );
                }
            }
        }
        Ok(out)
    }

    /// Scores an Arrow record batch into the long form (one row per article and actor).
    #[pyo3(signature = (batch, *, actors=None, only_actors=false, evidence=0, errors="raise",
                        text_col="text", id_col="id", source_col="source", date_col="date",
                        carry=None, row_col=None, offset=0))]
    #[allow(clippy::too_many_arguments)]
    fn score_arrow<'py>(
        &self,
        py: Python<'py>,
        batch: &Bound<'py, PyAny>,
        actors: Option<&Bound<'py, PyAny>>,
        only_actors: bool,
        evidence: usize,
        errors: &str,
        text_col: &str,
        id_col: &str,
        source_col: &str,
        date_col: &str,
        carry: Option<Vec<String>>,
        row_col: Option<String>,
        offset: usize,
    ) -> PyResult<Bound<'py, PyAny>> {
        let raise = raise_mode(errors)?;
        let opts = self.options(actors, only_actors, evidence)?;
        let batch = RecordBatch::from_pyarrow_bound(batch).map_err(|e| {
            PyTypeError::new_err(format!(
                "score_arrow() takes an Arrow record batch (pyarrow.RecordBatch, or anything with __arrow_c_array__): {e}"
            ))
        })?;
        let f = fields(text_col, id_col, source_col, date_col);
        let reader = Reader::new(&f);
        let shape = self.shape(
            batch.schema_ref(),
            &reader,
            evidence,
            carry,
            row_col,
            offset,
        )?;
        let engine = &self.engine;
        let out = py.detach(|| arrow_io::score_batch(engine, &batch, &f, &opts, &shape, raise));
        match out {
            Ok(b) => b.to_pyarrow(py),
            Err(arrow_io::BatchError::Record {
                index,
                id,
                failure,
                more,
            }) => {
                let (field, reason) = match &failure {
                    Failure::Record { field, message } => (field.clone(), message.clone()),
                    other => (None, other.message()),
                };
                Err(record_error(
                    py,
                    index,
                    id.as_deref(),
                    field.as_deref(),
                    &reason,
                    more,
                ))
            }
            Err(e) => Err(batch_err_plain(e)),
        }
    }

    /// The schema `score_arrow` gives for input of this schema.
    #[pyo3(signature = (schema, *, evidence=0, text_col="text", id_col="id", source_col="source",
                        date_col="date", carry=None, row_col=None))]
    #[allow(clippy::too_many_arguments)]
    fn output_schema<'py>(
        &self,
        py: Python<'py>,
        schema: &Bound<'py, PyAny>,
        evidence: usize,
        text_col: &str,
        id_col: &str,
        source_col: &str,
        date_col: &str,
        carry: Option<Vec<String>>,
        row_col: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let schema = Schema::from_pyarrow_bound(schema).map_err(|e| {
            PyTypeError::new_err(format!("output_schema() takes an Arrow schema: {e}"))
        })?;
        let f = fields(text_col, id_col, source_col, date_col);
        if schema.index_of(&f.text).is_err() {
            return Err(PyValueError::new_err(format!(
                "the schema has no text column \"{}\"; name it with text_col=",
                f.text
            )));
        }
        let reader = Reader::new(&f);
        let shape = self.shape(&schema, &reader, evidence, carry, row_col, 0)?;
        let out = arrow_io::output_schema(&self.engine.model, &schema, &shape)
            .map_err(batch_err_plain)?;
        out.as_ref().to_pyarrow(py)
    }
}

/// Trains a model as `stance train` does: the records (JSON-like, labeled) are written as JSON
/// Lines to a temporary file and read by the library's reader of labeled data.
#[pyfunction]
#[pyo3(signature = (records, *, config_json, actors_path=None, actors_toml=None, folds=Some(5),
                    seed=42, group_by=None, name=None, text_col="text", id_col="id",
                    source_col="source", date_col="date", threads=None))]
#[allow(clippy::too_many_arguments)]
fn train(
    py: Python<'_>,
    records: &Bound<'_, PyAny>,
    config_json: &str,
    actors_path: Option<PathBuf>,
    actors_toml: Option<String>,
    folds: Option<usize>,
    seed: u64,
    group_by: Option<String>,
    name: Option<String>,
    text_col: &str,
    id_col: &str,
    source_col: &str,
    date_col: &str,
    threads: Option<usize>,
) -> PyResult<(PyModel, Vec<String>)> {
    if records.cast::<PyString>().is_ok() || records.cast::<PyDict>().is_ok() {
        return Err(PyTypeError::new_err(
            "train() takes a list (or any iterable) of labeled records",
        ));
    }
    let mut file = tempfile_in_temp()?;
    let mut n = 0usize;
    for (i, item) in records.try_iter()?.enumerate() {
        let item = item?;
        let json = records::record_json(&item, text_col)
            .map_err(|u| record_error(py, i, None, u.field.as_deref(), &u.message, 0))?;
        file.write_all(&json)
            .and_then(|()| file.write_all(b"\n"))
            .map_err(PyErr::from)?;
        n += 1;
    }
    if n == 0 {
        return Err(ConfigError::new_err("no labeled records to learn from"));
    }
    file.flush()?;
    let f = fields(text_col, id_col, source_col, date_col);
    let actors = match (&actors_path, &actors_toml) {
        (Some(p), _) => Some(backend::Actors::File(p)),
        (None, Some(t)) => Some(backend::Actors::Toml(t)),
        (None, None) => None,
    };
    let t = backend::Training {
        data: file.path(),
        fields: &f,
        actors,
        config_json,
        folds,
        seed,
        group_by: group_by.as_deref(),
        name: name.as_deref(),
    };
    let trained = py.detach(|| backend::train(&t));
    match trained {
        Ok(tr) => Ok((
            new_model(
                py,
                tr.model,
                name.unwrap_or_else(|| "<trained>".to_string()),
                threads,
            )?,
            tr.warnings,
        )),
        Err(backend::TrainError::Other(f)) => Err(to_py(f)),
        Err(backend::TrainError::Records(bad)) => {
            let more = bad.len().saturating_sub(1);
            let first = &bad[0];
            let index = first.line.map_or(0, |l| l.saturating_sub(1) as usize);
            let (field, reason) = match &first.failure {
                Failure::Record { field, message } => (field.clone(), message.clone()),
                other => (None, other.message()),
            };
            Err(record_error(
                py,
                index,
                None,
                field.as_deref(),
                &reason,
                more,
            ))
        }
    }
}

fn tempfile_in_temp() -> PyResult<tempfile::NamedTempFile> {
    tempfile::Builder::new()
        .prefix("stance-train-")
        .suffix(".jsonl")
        .tempfile()
        .map_err(PyErr::from)
}

/// The training settings of `stance train` when none are given (the `config` block of a model
/// file), as JSON.
#[pyfunction]
fn default_config_json() -> String {
    backend::default_config_json()
}

#[pymodule]
fn _stance(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyModel>()?;
    m.add_class::<summary::PySummary>()?;
    m.add_function(wrap_pyfunction!(train, m)?)?;
    m.add_function(wrap_pyfunction!(default_config_json, m)?)?;
    let py = m.py();
    m.add("StanceError", py.get_type::<StanceError>())?;
    m.add("RecordError", py.get_type::<RecordError>())?;
    m.add("ModelError", py.get_type::<ModelError>())?;
    m.add("ConfigError", py.get_type::<ConfigError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
