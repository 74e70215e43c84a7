//! Score records from Arrow record batches in the long form (the layout the `parquet` module
//! describes: `stance score --format csv`'s columns, as the Python package's `score_arrow`
//! writes them): the columns found by name and checked by type once, from the schema, then
//! each batch turned into articles. The Parquet reader and the Python package's summaries
//! (`stance.summarize`) both read through [`LongForm`].

use crate::error::{Error, Result};
use crate::pipeline::{ActorScore, ArticleScore, LabelScore, ModelRef};
use crate::scores::check_actor;
use arrow_array::cast::AsArray;
use arrow_array::types::{Float32Type, Float64Type};
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, Schema};
use std::collections::BTreeMap;

/// What a column holds, as the reader needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Text (the id, source, labels, …); a date column may also be of a date type.
    Text,
    /// A probability or score.
    Number,
    /// A count (mentions).
    Count,
    /// One of the record's other fields: text, a number, a boolean or a date.
    Carried,
}

/// The columns that are not carried, and what each must hold.
fn kind_of(name: &str) -> Option<Kind> {
    match name {
        "id" | "source" | "date" | "sentiment" | "actor" | "label" | "model" | "status"
        | "fields" => Some(Kind::Text),
        "sentiment_score" | "score" => Some(Kind::Number),
        "mentions" => Some(Kind::Count),
        _ if name.starts_with("p_") => Some(Kind::Number),
        _ => None,
    }
}

fn is_text(t: &DataType) -> bool {
    matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
}

fn is_date(t: &DataType) -> bool {
    matches!(t, DataType::Date32 | DataType::Date64)
}

fn is_int(t: &DataType) -> bool {
    t.is_integer()
}

/// Whether a column of type `t` can hold what `kind` needs (`date` may be a date).
fn fits(name: &str, kind: Kind, t: &DataType) -> bool {
    match kind {
        Kind::Text => is_text(t) || (name == "date" && is_date(t)),
        Kind::Number => matches!(t, DataType::Float64 | DataType::Float32),
        Kind::Count => is_int(t),
        Kind::Carried => {
            is_text(t)
                || is_date(t)
                || is_int(t)
                || matches!(t, DataType::Float64 | DataType::Float32 | DataType::Boolean)
        }
    }
}

/// The columns of a file: where each known one is in the (projected) batches.
struct Columns {
    id: usize,
    actor: usize,
    label: usize,
    status: usize,
    source: Option<usize>,
    date: Option<usize>,
    sentiment: Option<usize>,
    sentiment_score: Option<usize>,
    mentions: Option<usize>,
    score: Option<usize>,
    model: Option<usize>,
    fields: Option<usize>,
    stance_p: Vec<(usize, String)>,
    sentiment_p: Vec<(usize, String)>,
    carried: Vec<(usize, String)>,
}

/// The columns that are read (by position in the schema), after checking their types; a
/// known column of the wrong type is an error naming it.
pub(crate) fn wanted(schema: &Schema, path: &str) -> Result<Vec<usize>> {
    let mut keep = Vec::new();
    for (i, f) in schema.fields().iter().enumerate() {
        let t = f.data_type();
        match kind_of(f.name()) {
            Some(kind) if fits(f.name(), kind, t) => keep.push(i),
            Some(kind) => {
                let want = match kind {
                    Kind::Text if f.name() == "date" => "text or a date",
                    Kind::Text => "text",
                    Kind::Number => "floating-point numbers",
                    _ => "integers",
                };
                return Err(Error::input(
                    path,
                    None,
                    None,
                    format!("column \"{}\": expected {want}, found {t}", f.name()),
                ));
            }
            None if fits(f.name(), Kind::Carried, t) => keep.push(i),
            None => {} // lists, structs (the evidence), binary: not a field to group by
        }
    }
    Ok(keep)
}

impl Columns {
    /// Finds the columns in `schema` (of the batches, perhaps a projection of `all`, the
    /// input's); a missing required column is an error listing the columns there are.
    fn of(schema: &Schema, all: &Schema, path: &str) -> Result<Columns> {
        let find = |n: &str| schema.index_of(n).ok();
        let need = |n: &str| {
            find(n).ok_or_else(|| {
                let names: Vec<&str> = all.fields().iter().map(|f| f.name().as_str()).collect();
                Error::input(
                    path,
                    None,
                    None,
                    format!(
                        "column \"{n}\" missing: not score records in the long form of `stance score --format csv` or the Python package's score_arrow (columns: {})",
                        names.join(", ")
                    ),
                )
            })
        };
        let mut stance_p = Vec::new();
        let mut sentiment_p = Vec::new();
        let mut carried = Vec::new();
        for (i, f) in schema.fields().iter().enumerate() {
            let name = f.name();
            if let Some(l) = name.strip_prefix("p_sentiment_") {
                sentiment_p.push((i, l.to_string()));
            } else if let Some(l) = name.strip_prefix("p_") {
                stance_p.push((i, l.to_string()));
            } else if kind_of(name).is_none() && fits(name, Kind::Carried, f.data_type()) {
                carried.push((i, name.clone()));
            }
        }
        Ok(Columns {
            id: need("id")?,
            actor: need("actor")?,
            label: need("label")?,
            status: need("status")?,
            source: find("source"),
            date: find("date"),
            sentiment: find("sentiment"),
            sentiment_score: find("sentiment_score"),
            mentions: find("mentions"),
            score: find("score"),
            model: find("model"),
            fields: find("fields"),
            stance_p,
            sentiment_p,
            carried,
        })
    }
}

/// The value of row `i` of a column of text or dates, None when null.
fn text(a: &dyn Array, i: usize) -> Option<String> {
    if a.is_null(i) {
        return None;
    }
    Some(match a.data_type() {
        DataType::Utf8 => a.as_string::<i32>().value(i).to_string(),
        DataType::LargeUtf8 => a.as_string::<i64>().value(i).to_string(),
        DataType::Utf8View => a.as_string_view().value(i).to_string(),
        DataType::Date32 => {
            let days = a.as_primitive::<arrow_array::types::Date32Type>().value(i);
            arrow_array::temporal_conversions::date32_to_datetime(days)?
                .date()
                .to_string()
        }
        DataType::Date64 => {
            let ms = a.as_primitive::<arrow_array::types::Date64Type>().value(i);
            arrow_array::temporal_conversions::date64_to_datetime(ms)?
                .date()
                .to_string()
        }
        _ => return None,
    })
}

/// The value of row `i` of a floating-point column, None when null.
fn number(a: &dyn Array, i: usize) -> Option<f64> {
    if a.is_null(i) {
        return None;
    }
    match a.data_type() {
        DataType::Float64 => Some(a.as_primitive::<Float64Type>().value(i)),
        DataType::Float32 => Some(f64::from(a.as_primitive::<Float32Type>().value(i))),
        _ => None,
    }
}

/// The value of row `i` of an integer column, None when null.
fn count(a: &dyn Array, i: usize) -> Option<i128> {
    use arrow_array::types::*;
    if a.is_null(i) {
        return None;
    }
    Some(match a.data_type() {
        DataType::Int8 => a.as_primitive::<Int8Type>().value(i).into(),
        DataType::Int16 => a.as_primitive::<Int16Type>().value(i).into(),
        DataType::Int32 => a.as_primitive::<Int32Type>().value(i).into(),
        DataType::Int64 => a.as_primitive::<Int64Type>().value(i).into(),
        DataType::UInt8 => a.as_primitive::<UInt8Type>().value(i).into(),
        DataType::UInt16 => a.as_primitive::<UInt16Type>().value(i).into(),
        DataType::UInt32 => a.as_primitive::<UInt32Type>().value(i).into(),
        DataType::UInt64 => a.as_primitive::<UInt64Type>().value(i).into(),
        _ => return None,
    })
}

/// Row `i` of a carried column as the JSON Lines path carries a field: text as is, numbers
/// and booleans as JSON writes them; None when null.
fn carried(a: &dyn Array, i: usize) -> Option<String> {
    if a.is_null(i) {
        return None;
    }
    match a.data_type() {
        DataType::Boolean => Some(a.as_boolean().value(i).to_string()),
        DataType::Float64 | DataType::Float32 => {
            serde_json::Number::from_f64(number(a, i)?).map(|n| n.to_string())
        }
        t if t.is_integer() => count(a, i).map(|n| n.to_string()),
        _ => text(a, i),
    }
}

/// One row's place, for messages: the file, the 1-based row over the whole file.
struct At<'a> {
    path: &'a str,
    row: u64,
}

impl At<'_> {
    fn err(&self, column: &str, msg: impl std::fmt::Display) -> Error {
        Error::input(
            self.path,
            None,
            None,
            format!("row {}, column \"{column}\": {msg}", self.row),
        )
    }
}

impl Columns {
    /// The probabilities in the non-null cells of `cols`, by label.
    fn probabilities(b: &RecordBatch, i: usize, cols: &[(usize, String)]) -> BTreeMap<String, f64> {
        cols.iter()
            .filter_map(|(c, l)| number(b.column(*c), i).map(|p| (l.clone(), p)))
            .collect()
    }

    /// A new article from the first row of its id (no actors yet).
    fn article(&self, b: &RecordBatch, i: usize, id: String, at: &At) -> Result<ArticleScore> {
        let opt = |c: Option<usize>| c.and_then(|c| text(b.column(c), i));
        let mut fields = match opt(self.fields) {
            Some(f) => serde_json::from_str(&f)
                .map_err(|e| at.err("fields", format!("expected a JSON object: {e}")))?,
            None => BTreeMap::new(),
        };
        for (c, name) in &self.carried {
            if let Some(v) = carried(b.column(*c), i) {
                fields.insert(name.clone(), v);
            }
        }
        let sentiment = opt(self.sentiment).map(|label| LabelScore {
            label,
            probabilities: Self::probabilities(b, i, &self.sentiment_p),
            score: self.sentiment_score.and_then(|c| number(b.column(c), i)),
        });
        let a = ArticleScore {
            id,
            source: opt(self.source),
            date: opt(self.date),
            sentiment,
            actors: Vec::new(),
            fields,
            model: opt(self.model).map(|checksum| ModelRef {
                name: None,
                checksum,
                raw_probabilities: false,
            }),
        };
        if let Some(m) = a.sentiment.as_ref().and_then(|s| {
            (!s.probabilities.is_empty())
                .then(|| crate::scores::bad_probabilities(s.probabilities.iter()))
                .flatten()
        }) {
            return Err(at.err("p_sentiment_*", format!("the sentiment probabilities {m}")));
        }
        Ok(a)
    }

    /// The actor's score in row `i` (None for the row of an article that names no actor),
    /// checked: a distribution over the model's `labels`, a score in [-1, 1].
    fn actor(
        &self,
        b: &RecordBatch,
        i: usize,
        labels: Option<&[String]>,
        at: &At,
    ) -> Result<Option<ActorScore>> {
        let Some(actor) = text(b.column(self.actor), i).filter(|a| !a.is_empty()) else {
            return Ok(None);
        };
        let s = ActorScore {
            actor,
            mentions: self
                .mentions
                .and_then(|c| count(b.column(c), i))
                .and_then(|m| usize::try_from(m).ok())
                .unwrap_or(0),
            label: text(b.column(self.label), i).unwrap_or_default(),
            probabilities: Self::probabilities(b, i, &self.stance_p),
            score: self.score.and_then(|c| number(b.column(c), i)),
            evidence: Vec::new(),
            matches: Vec::new(),
        };
        check_actor(&s, labels).map_err(|(field, m)| {
            let column = match field.as_str() {
                "probabilities" => "p_*",
                other => other,
            };
            at.err(column, m)
        })?;
        Ok(Some(s))
    }
}

/// A reader of long-form record batches: rows of one id that follow each other are one
/// article, also across batches; rows whose status starts with `error` are counted.
pub struct LongForm {
    cols: Columns,
    name: String,
    labels: Option<Vec<String>>,
    current: Option<ArticleScore>,
    row: u64,
    skipped: usize,
}

impl LongForm {
    /// A reader of batches of `schema` (`all`: the input's whole schema, for messages, when
    /// the batches are a projection of it), named `name` in messages; with `labels`, every
    /// probability must be of one of them (the model's).
    pub fn new(
        schema: &Schema,
        all: Option<&Schema>,
        name: &str,
        labels: Option<&[String]>,
    ) -> Result<LongForm> {
        let all = all.unwrap_or(schema);
        wanted(all, name)?;
        Ok(LongForm {
            cols: Columns::of(schema, all, name)?,
            name: name.to_string(),
            labels: labels.map(<[String]>::to_vec),
            current: None,
            row: 0,
            skipped: 0,
        })
    }

    /// Reads the rows of `b` (of the reader's schema): `f` gets each article whose rows are
    /// all read. A batch of another schema is an error.
    pub fn push(
        &mut self,
        b: &RecordBatch,
        f: &mut dyn FnMut(ArticleScore) -> Result<()>,
    ) -> Result<()> {
        let cols = &self.cols;
        for i in 0..b.num_rows() {
            self.row += 1;
            let at = At {
                path: &self.name,
                row: self.row,
            };
            let status = text(b.column(cols.status), i)
                .ok_or_else(|| at.err("status", "null: every row says \"ok\" or the error"))?;
            if status.starts_with("error") {
                self.skipped += 1;
                continue;
            }
            let id = text(b.column(cols.id), i)
                .ok_or_else(|| at.err("id", "null: every row needs its article's id"))?;
            if self.current.as_ref().is_none_or(|c| c.id != id) {
                if let Some(done) = self.current.take() {
                    f(done)?;
                }
                self.current = Some(cols.article(b, i, id, &at)?);
            }
            if let Some(actor) = cols.actor(b, i, self.labels.as_deref(), &at)? {
                self.current.as_mut().expect("set above").actors.push(actor);
            }
        }
        Ok(())
    }

    /// The last article, once every batch is read.
    pub fn finish(&mut self, f: &mut dyn FnMut(ArticleScore) -> Result<()>) -> Result<()> {
        match self.current.take() {
            Some(done) => f(done),
            None => Ok(()),
        }
    }

    /// The rows read so far.
    pub fn rows(&self) -> u64 {
        self.row
    }

    /// The error rows read so far (error records: counted, not compared).
    pub fn skipped(&self) -> usize {
        self.skipped
    }
}
