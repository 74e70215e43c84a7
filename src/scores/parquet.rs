//! Score records from Parquet, for `stance compare`: the long form that `stance score --format
//! csv` writes and the Python package's `score_arrow` (and so the Spark recipe) writes, one row
//! per article and actor, with the CSV's columns by name: `id`, `actor`, `label` and `status`
//! required; `source`, `date`, `sentiment`, `sentiment_score`, `p_sentiment_<label>`,
//! `mentions`, `p_<label>`, `score`, `model` and `fields` (the CSV's JSON object of the other
//! fields) when present. Every other column of text, numbers, booleans or dates is one of the
//! record's other fields (`compare --by COLUMN`), as `score_arrow` carries the input's columns
//! with their own types; columns of other types (the evidence lists) are not read.
//!
//! As in the CSV, consecutive rows of one id are one article, and rows whose status starts
//! with `error` are error records (counted, not compared). A file is read one record batch at
//! a time (bounded memory, whatever its size), and only the columns above are decoded. A
//! directory is a dataset (as Spark and DuckDB write one): its `*.parquet` files, in the
//! order of their paths, subdirectories included. Errors name the file, the row (1-based,
//! counted over the whole file) and the column.

use crate::error::{Error, Result};
use crate::pipeline::ArticleScore;
use std::path::Path;

/// Whether `path` names Parquet: a directory, a name ending `.parquet`, or a file that starts
/// with Parquet's magic bytes `PAR1` (`-`, standard input, is never Parquet).
pub(crate) fn is_parquet(path: &str) -> bool {
    if path == "-" {
        return false;
    }
    let p = Path::new(path);
    if p.is_dir() || path.ends_with(".parquet") {
        return true;
    }
    let mut magic = [0u8; 4];
    std::fs::File::open(p)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic))
        .is_ok()
        && &magic == b"PAR1"
}

/// The Parquet files of `path`: itself, or a directory's `*.parquet` files (not those whose
/// name starts with `.` or `_`, Spark's and Hadoop's bookkeeping), sorted by path.
fn files(path: &str) -> Result<Vec<std::path::PathBuf>> {
    let p = Path::new(path);
    if !p.is_dir() {
        return Ok(vec![p.to_path_buf()]);
    }
    let mut found = Vec::new();
    let mut dirs = vec![p.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(&d).map_err(|e| Error::io(&d, e))? {
            let entry = entry.map_err(|e| Error::io(&d, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || name.starts_with('_') {
                continue;
            }
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if name.ends_with(".parquet") {
                found.push(path);
            }
        }
    }
    found.sort();
    if found.is_empty() {
        return Err(Error::input(
            path,
            None,
            None,
            "a directory without Parquet files (*.parquet); give score files or a directory of Parquet score files",
        ));
    }
    Ok(found)
}

/// Reads the score records of a Parquet file or directory: `f` gets each article in order;
/// error records add to `skipped`.
#[cfg(feature = "parquet")]
pub(crate) fn read(
    path: &str,
    labels: Option<&[String]>,
    f: &mut dyn FnMut(ArticleScore) -> Result<()>,
    skipped: &mut usize,
) -> Result<()> {
    for file in files(path)? {
        read_file(&file.to_string_lossy(), labels, f, skipped)?;
    }
    Ok(())
}

/// Without the `parquet` feature: an error saying so.
#[cfg(not(feature = "parquet"))]
pub(crate) fn read(
    path: &str,
    _labels: Option<&[String]>,
    _f: &mut dyn FnMut(ArticleScore) -> Result<()>,
    _skipped: &mut usize,
) -> Result<()> {
    files(path)?;
    Err(Error::input(
        path,
        None,
        None,
        "Parquet, but this build of stance reads no Parquet (it was built without the `parquet` feature); convert the scores to JSON Lines or CSV, or use a build with the feature",
    ))
}

/// Rows decoded at a time: memory stays at a few batches whatever the file's size.
#[cfg(feature = "parquet")]
const BATCH_ROWS: usize = 8192;

/// Reads one Parquet file of score records: only the columns [`super::arrow`] reads are
/// decoded, a batch at a time.
#[cfg(feature = "parquet")]
fn read_file(
    path: &str,
    labels: Option<&[String]>,
    f: &mut dyn FnMut(ArticleScore) -> Result<()>,
    skipped: &mut usize,
) -> Result<()> {
    use ::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use ::parquet::arrow::ProjectionMask;
    let file = std::fs::File::open(path).map_err(|e| Error::io(path.as_ref(), e))?;
    let not_parquet = |e: ::parquet::errors::ParquetError| {
        Error::input(
            path,
            None,
            None,
            format!("not a readable Parquet file: {e}"),
        )
    };
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(not_parquet)?;
    let all = builder.schema().clone();
    let keep = super::arrow::wanted(&all, path)?;
    let mask = ProjectionMask::roots(builder.parquet_schema(), keep);
    let batches = builder
        .with_projection(mask)
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(not_parquet)?;
    let schema = arrow_array::RecordBatchReader::schema(&batches);
    let mut long = super::arrow::LongForm::new(&schema, Some(&all), path, labels)?;
    for batch in batches {
        let b = batch.map_err(|e| {
            Error::input(
                path,
                None,
                None,
                format!("row {}: cannot read the Parquet data: {e}", long.rows() + 1),
            )
        })?;
        long.push(&b, f)?;
    }
    long.finish(f)?;
    *skipped += long.skipped();
    Ok(())
}
