//! Per-group summaries of score records (`stance.summarize`): the library's
//! [`Summarizer`](stance::compare::Summarizer), fed with score records as JSON (what
//! `Model.score` returns) or with Arrow record batches in the long form (what `score_arrow`
//! returns), written as the JSON of `stance compare --save-summary`. A Spark or DuckDB job
//! makes one per partition; `stance compare --from-summary` merges them.

use crate::errors::ConfigError;
use arrow_array::RecordBatch;
use arrow_pyarrow::FromPyArrow;
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use stance::compare::{CompareOptions, GroupBy, ModelView, Summarizer};
use stance::scores::arrow::LongForm;

/// Summaries being filled; spent by `finish`.
#[pyclass(module = "stance._stance", name = "Summary")]
pub struct PySummary {
    sum: Option<Summarizer>,
    long: Option<LongForm>,
    records: u64,
    skipped: usize,
}

/// A library error as a Python one: a model mismatch is a ConfigError, a bad record a
/// ValueError (the message names the record, and for Arrow its row and column).
fn to_py(e: stance::Error) -> PyErr {
    match e {
        stance::Error::Config(m) => ConfigError::new_err(m),
        other => PyValueError::new_err(other.to_string()),
    }
}

impl PySummary {
    fn sum(&mut self) -> PyResult<&mut Summarizer> {
        self.sum.as_mut().ok_or_else(|| {
            PyRuntimeError::new_err("this summary was already written (finish ends it)")
        })
    }
}

#[pymethods]
impl PySummary {
    /// Summaries grouped `by` (source, month, source-month, all or a field), of `actors`
    /// (all when empty), groups above `exact_limit` articles binned; checked against `model`
    /// (its labels, known sources and checksum; None: no model, as `compare --no-model`).
    #[new]
    #[pyo3(signature = (*, by="source", actors=Vec::new(), exact_limit=None, model=None))]
    fn new(
        by: &str,
        actors: Vec<String>,
        exact_limit: Option<usize>,
        model: Option<PyRef<'_, crate::PyModel>>,
    ) -> PyResult<PySummary> {
        let by: GroupBy = by
            .parse()
            .map_err(|e: String| PyValueError::new_err(format!("by: {e}")))?;
        let defaults = CompareOptions::default();
        let opts = CompareOptions {
            by,
            actors,
            exact_limit: exact_limit.unwrap_or(defaults.exact_limit),
            ..defaults
        };
        let view = model.map(|m| ModelView::of_model(&m.engine.model));
        Ok(PySummary {
            sum: Some(Summarizer::new(&opts, view)),
            long: None,
            records: 0,
            skipped: 0,
        })
    }

    /// Adds score records, each one JSON object as `stance score` writes it (error records
    /// are counted, not summarised).
    fn add_records(&mut self, py: Python<'_>, records: Vec<String>) -> PyResult<()> {
        let first = self.records;
        let sum = self.sum()?;
        let labels = sum.labels().map(<[String]>::to_vec);
        let skipped = py.detach(|| -> stance::Result<usize> {
            let mut skipped = 0;
            for (i, line) in records.iter().enumerate() {
                let n = first + i as u64 + 1;
                match stance::scores::parse_record(line, "score record", n, labels.as_deref())? {
                    Some(a) => sum.add(&a).map_err(stance::Error::Config)?,
                    None => skipped += 1,
                }
            }
            Ok(skipped)
        });
        self.skipped += skipped.map_err(to_py)?;
        self.records += records.len() as u64;
        Ok(())
    }

    /// Adds a record batch in the long form (the rows of one article consecutive, also across
    /// batches); every batch must have the first one's schema.
    fn add_arrow(&mut self, py: Python<'_>, batch: &Bound<'_, PyAny>) -> PyResult<()> {
        let batch = RecordBatch::from_pyarrow_bound(batch).map_err(|e| {
            PyTypeError::new_err(format!("add_arrow() takes an Arrow record batch: {e}"))
        })?;
        let labels = self.sum()?.labels().map(<[String]>::to_vec);
        if self.long.is_none() {
            let long = LongForm::new(&batch.schema(), None, "the batch", labels.as_deref())
                .map_err(to_py)?;
            self.long = Some(long);
        }
        let (Some(sum), Some(long)) = (self.sum.as_mut(), self.long.as_mut()) else {
            unreachable!("both set above")
        };
        py.detach(|| long.push(&batch, &mut |a| sum.add(&a).map_err(stance::Error::Config)))
            .map_err(to_py)
    }

    /// The summaries as the JSON of `stance compare --save-summary`, a warning (or None)
    /// when records did not say which model made them, and the number of error records left
    /// out. Ends the summary.
    fn finish(&mut self) -> PyResult<(String, Option<String>, usize)> {
        let mut sum = self.sum.take().ok_or_else(|| {
            PyRuntimeError::new_err("this summary was already written (finish ends it)")
        })?;
        let mut skipped = self.skipped;
        if let Some(long) = self.long.as_mut() {
            long.finish(&mut |a| sum.add(&a).map_err(stance::Error::Config))
                .map_err(to_py)?;
            skipped += long.skipped();
        }
        let (groups, _, warn) = sum.finish();
        Ok((stance::compare::saved::to_json(&groups), warn, skipped))
    }
}
