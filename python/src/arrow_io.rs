//! Arrow in, Arrow out: a record batch of articles becomes a record batch in the long form of
//! `stance score --format csv` (one row per article and actor, the CSV's columns in its order
//! and by its names), then the evidence when asked for, and the input's other columns carried
//! with their own types (where the CSV has them as JSON text in its `fields` column, which the
//! Arrow output therefore leaves out).
//!
//! The input is read in place (the batch comes over the Arrow C data interface without a
//! copy); each row's id, text, source and date are handed to the library as one small JSON
//! object, so a row is read exactly as a line of JSON Lines would be. Carried columns are
//! gathered with Arrow's `take` (one output row per actor repeats its article's values).

use crate::backend::{self, Failure, Fields, Reader, ScoreOptions};
use crate::engine::{Engine, Outcome};
use crate::errors::record_name;
use arrow_array::builder::{Float64Builder, Int64Builder, StringBuilder};
use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, ArrayRef, ListArray, RecordBatch, StructArray, UInt32Array};
use arrow_buffer::{NullBuffer, OffsetBuffer};
use arrow_schema::{DataType, Field, FieldRef, Schema, SchemaRef, TimeUnit};
use std::sync::Arc;

/// What is wrong with a call, before or after scoring.
pub enum BatchError {
    /// A column of the wrong type, a missing text column, clashing names: a TypeError or
    /// ValueError on the Python side.
    Type(String),
    Value(String),
    /// A bad record, with errors="raise".
    Record {
        index: usize,
        id: Option<String>,
        failure: Failure,
        more: usize,
    },
}

/// The output columns of `stance score --format csv`, in its order: these, the sentiment
/// probabilities `p_sentiment_<label>`, [`CSV_ACTOR`], the stance probabilities `p_<label>`,
/// [`CSV_TAIL`]; then the extras (evidence, the row column, carried columns).
const CSV_HEAD: [&str; 5] = ["id", "source", "date", "sentiment", "sentiment_score"];
const CSV_ACTOR: [&str; 3] = ["actor", "mentions", "label"];
/// The CSV's tail without `fields` (the record's other fields as a JSON object): here they are
/// the carried columns, each with its own type. `model` is the model's checksum (16 hex
/// digits); `status` is `ok`, or `error: ` and the message, never null.
const CSV_TAIL: [&str; 3] = ["score", "model", "status"];
/// The `status` of a row that was scored.
const OK: &str = "ok";

/// Everything that shapes the output besides the model.
pub struct Shape {
    pub evidence: bool,
    /// Carried input columns (name, input position).
    pub carried: Vec<(String, usize)>,
    /// The name of an extra column with each output row's input row (0-based), if wanted.
    pub row_col: Option<String>,
    /// The position of the batch's first row in a longer input (a table of several batches):
    /// added to the row numbers of messages, default ids and the row column.
    pub offset: usize,
}

fn evidence_item() -> DataType {
    DataType::Struct(
        vec![
            Field::new("text", DataType::Utf8, true),
            Field::new("start", DataType::Int64, true),
            Field::new("end", DataType::Int64, true),
            Field::new("weight", DataType::Float64, true),
        ]
        .into(),
    )
}

fn evidence_type() -> DataType {
    DataType::List(Arc::new(Field::new("item", evidence_item(), true)))
}

/// The output schema for an input schema.
pub fn output_schema(
    model: &backend::Model,
    input: &Schema,
    shape: &Shape,
) -> Result<SchemaRef, BatchError> {
    let column = |name: &str| {
        let (t, nullable) = match name {
            "sentiment_score" | "score" => (DataType::Float64, true),
            "mentions" => (DataType::Int64, true),
            "status" => (DataType::Utf8, false),
            _ => (DataType::Utf8, true),
        };
        Field::new(name, t, nullable)
    };
    let probability = |name: String| Field::new(name, DataType::Float64, true);
    let mut fields: Vec<Field> = CSV_HEAD.iter().map(|n| column(n)).collect();
    for c in backend::sentiment_classes(model) {
        fields.push(probability(format!("p_sentiment_{c}")));
    }
    fields.extend(CSV_ACTOR.iter().map(|n| column(n)));
    for c in backend::stance_classes(model) {
        fields.push(probability(format!("p_{c}")));
    }
    fields.extend(CSV_TAIL.iter().map(|n| column(n)));
    if shape.evidence {
        fields.push(Field::new("evidence", evidence_type(), true));
    }
    if let Some(r) = &shape.row_col {
        fields.push(Field::new(r, DataType::Int64, false));
    }
    let own = fields.len();
    for (name, i) in &shape.carried {
        let f = input.field(*i);
        fields.push(
            Field::new(name, f.data_type().clone(), true).with_metadata(f.metadata().clone()),
        );
    }
    let mut seen = std::collections::BTreeSet::new();
    for (k, f) in fields.iter().enumerate() {
        if !seen.insert(f.name().clone()) {
            return Err(BatchError::Value(if k >= own {
                format!(
                    "the input column \"{}\" has the name of an output column; rename it, or leave it out with carry=[...]",
                    f.name()
                )
            } else {
                format!(
                    "the output column \"{}\" would appear twice (a stance label and a sentiment label of the model make the same name)",
                    f.name()
                )
            }));
        }
    }
    Ok(Arc::new(Schema::new(fields)))
}

/// Which input columns are carried: `carry` when given (every name must exist), else every
/// column the library does not read itself (not id, text, source, date, title, url, or the
/// label fields).
pub fn carried(
    input: &Schema,
    reader: &Reader,
    carry: Option<&[String]>,
) -> Result<Vec<(String, usize)>, BatchError> {
    match carry {
        Some(names) => names
            .iter()
            .map(|n| {
                input.index_of(n).map(|i| (n.clone(), i)).map_err(|_| {
                    BatchError::Value(format!(
                        "carry: the input has no column \"{n}\" (columns: {})",
                        column_list(input)
                    ))
                })
            })
            .collect(),
        None => Ok(input
            .fields()
            .iter()
            .enumerate()
            .filter(|(_, f)| !reader.is_known(f.name()))
            .map(|(i, f)| (f.name().clone(), i))
            .collect()),
    }
}

fn column_list(s: &Schema) -> String {
    s.fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// One cell of a column the library reads, ready to be written as a JSON value.
enum Cell<'a> {
    Null,
    Str(&'a str),
    Owned(String),
    Int(i64),
    UInt(u64),
    Float(f64),
    Bool(bool),
}

type CellFn<'a> = Box<dyn Fn(usize) -> Cell<'a> + Send + Sync + 'a>;

macro_rules! prim {
    ($a:expr, $t:ty, $variant:ident, $conv:ty) => {{
        let p = $a.as_primitive::<$t>();
        Box::new(move |i| {
            if p.is_null(i) {
                Cell::Null
            } else {
                Cell::$variant(p.value(i) as $conv)
            }
        })
    }};
}

/// The reader of one input column's cells, or why the column cannot hold the field.
fn cells<'a>(a: &'a ArrayRef, name: &str) -> Result<CellFn<'a>, BatchError> {
    use DataType as D;
    Ok(match a.data_type() {
        D::Utf8 => {
            let s = a.as_string::<i32>();
            Box::new(move |i| if s.is_null(i) { Cell::Null } else { Cell::Str(s.value(i)) })
        }
        D::LargeUtf8 => {
            let s = a.as_string::<i64>();
            Box::new(move |i| if s.is_null(i) { Cell::Null } else { Cell::Str(s.value(i)) })
        }
        D::Utf8View => {
            let s = a.as_string_view();
            Box::new(move |i| if s.is_null(i) { Cell::Null } else { Cell::Str(s.value(i)) })
        }
        D::Null => Box::new(|_| Cell::Null),
        D::Boolean => {
            let b = a.as_boolean();
            Box::new(move |i| if b.is_null(i) { Cell::Null } else { Cell::Bool(b.value(i)) })
        }
        D::Int8 => prim!(a, Int8Type, Int, i64),
        D::Int16 => prim!(a, Int16Type, Int, i64),
        D::Int32 => prim!(a, Int32Type, Int, i64),
        D::Int64 => prim!(a, Int64Type, Int, i64),
        D::UInt8 => prim!(a, UInt8Type, UInt, u64),
        D::UInt16 => prim!(a, UInt16Type, UInt, u64),
        D::UInt32 => prim!(a, UInt32Type, UInt, u64),
        D::UInt64 => prim!(a, UInt64Type, UInt, u64),
        D::Float32 => prim!(a, Float32Type, Float, f64),
        D::Float64 => prim!(a, Float64Type, Float, f64),
        D::Date32 => {
            let p = a.as_primitive::<Date32Type>();
            Box::new(move |i| {
                if p.is_null(i) {
                    Cell::Null
                } else {
                    Cell::Owned(ymd(i64::from(p.value(i))))
                }
            })
        }
        D::Date64 => {
            let p = a.as_primitive::<Date64Type>();
            Box::new(move |i| {
                if p.is_null(i) {
                    Cell::Null
                } else {
                    Cell::Owned(ymd(p.value(i).div_euclid(86_400_000)))
                }
            })
        }
        D::Timestamp(unit, tz) => {
            let per_second: i64 = match unit {
                TimeUnit::Second => 1,
                TimeUnit::Millisecond => 1_000,
                TimeUnit::Microsecond => 1_000_000,
                TimeUnit::Nanosecond => 1_000_000_000,
            };
            let zone = tz.is_some();
            let p = match unit {
                TimeUnit::Second => a.as_primitive::<TimestampSecondType>().values().clone(),
                TimeUnit::Millisecond => a.as_primitive::<TimestampMillisecondType>().values().clone(),
                TimeUnit::Microsecond => a.as_primitive::<TimestampMicrosecondType>().values().clone(),
                TimeUnit::Nanosecond => a.as_primitive::<TimestampNanosecondType>().values().clone(),
            };
            let nulls = a.logical_nulls();
            Box::new(move |i| {
                if nulls.as_ref().is_some_and(|n| n.is_null(i)) {
                    Cell::Null
                } else {
                    Cell::Owned(timestamp(p[i], per_second, zone))
                }
            })
        }
        D::Dictionary(_, _) => {
            let d = a
                .as_any_dictionary_opt()
                .ok_or_else(|| BatchError::Type(format!("column \"{name}\": unreadable dictionary")))?;
            let values = d.values();
            if values.is_empty() {
                Box::new(|_| Cell::Null)
            } else {
                let inner = cells(values, name)?;
                let keys = d.normalized_keys();
                let nulls = a.logical_nulls();
                Box::new(move |i| {
                    if nulls.as_ref().is_some_and(|n| n.is_null(i)) {
                        Cell::Null
                    } else {
                        inner(keys[i])
                    }
                })
            }
        }
        other => {
            return Err(BatchError::Type(format!(
                "column \"{name}\" is of type {other}, which cannot hold this field; cast it to a string column"
            )))
        }
    })
}

/// Days since 1970-01-01 as YYYY-MM-DD (the proleptic Gregorian calendar).
fn ymd(days: i64) -> String {
    // Civil-from-days, after H. Hinnant's public-domain algorithm.
    let z = days.saturating_add(719_468);
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe.saturating_add(era.saturating_mul(400)) + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// A timestamp as YYYY-MM-DDTHH:MM:SS[.fraction][Z] (Z for a zoned one, which Arrow stores
/// as UTC); a naive timestamp at midnight as its date alone (how pandas reads a column of
/// dates: `pd.read_json` and `pd.to_datetime` give datetime64 at midnight).
fn timestamp(v: i64, per_second: i64, zone: bool) -> String {
    let secs = v.div_euclid(per_second);
    let frac = v.rem_euclid(per_second);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    if !zone && sod == 0 && frac == 0 {
        return ymd(days);
    }
    let mut s = format!(
        "{}T{:02}:{:02}:{:02}",
        ymd(days),
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    );
    if frac != 0 {
        let digits = per_second.ilog10() as usize;
        s.push_str(&format!(".{frac:0digits$}"));
    }
    if zone {
        s.push('Z');
    }
    s
}

/// The columns the library reads, for each row.
pub struct Input<'a> {
    text: (&'a str, CellFn<'a>),
    others: Vec<(&'a str, CellFn<'a>)>,
}

impl<'a> Input<'a> {
    pub fn new(batch: &'a RecordBatch, fields: &'a Fields) -> Result<Input<'a>, BatchError> {
        let schema = batch.schema_ref();
        let col = |n: &str| schema.index_of(n).ok().map(|i| batch.column(i));
        let Some(text) = col(&fields.text) else {
            return Err(BatchError::Value(format!(
                "the input has no text column \"{}\" (columns: {}); name it with text_col=",
                fields.text,
                column_list(schema)
            )));
        };
        let mut others = Vec::new();
        for name in [&fields.id, &fields.source, &fields.date] {
            if let Some(c) = col(name) {
                others.push((name.as_str(), cells(c, name)?));
            }
        }
        Ok(Input {
            text: (fields.text.as_str(), cells(text, &fields.text)?),
            others,
        })
    }

    /// Row `i` as the JSON object the library reads (null cells left out, as missing).
    pub fn json(&self, i: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        out.push(b'{');
        let mut first = true;
        for (name, f) in std::iter::once(&self.text).chain(&self.others) {
            let cell = f(i);
            if matches!(cell, Cell::Null) {
                continue;
            }
            if !first {
                out.push(b',');
            }
            first = false;
            write_json(&mut out, name);
            out.push(b':');
            match cell {
                Cell::Null => {}
                Cell::Str(s) => write_json(&mut out, s),
                Cell::Owned(s) => write_json(&mut out, &s),
                Cell::Int(v) => write_json(&mut out, &v),
                Cell::UInt(v) => write_json(&mut out, &v),
                Cell::Float(v) => write_json(&mut out, &v),
                Cell::Bool(v) => write_json(&mut out, &v),
            }
        }
        out.push(b'}');
        out
    }
}

fn write_json<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, v: &T) {
    // Writing a str, number or bool to memory cannot fail.
    let _ = serde_json::to_writer(&mut *out, v);
}

/// The long-form columns of a run of output rows.
struct LongForm {
    id: StringBuilder,
    source: StringBuilder,
    date: StringBuilder,
    sentiment: StringBuilder,
    sentiment_score: Float64Builder,
    sentiment_p: Vec<Float64Builder>,
    actor: StringBuilder,
    mentions: Int64Builder,
    label: StringBuilder,
    p: Vec<Float64Builder>,
    score: Float64Builder,
    model: StringBuilder,
    status: StringBuilder,
    evidence: Option<Evidence>,
    rows: Vec<u32>,
}

struct Evidence {
    text: StringBuilder,
    start: Int64Builder,
    end: Int64Builder,
    weight: Float64Builder,
    offsets: Vec<i32>,
    valid: Vec<bool>,
}

impl Evidence {
    fn push(&mut self, items: Option<&[backend::Evidence]>) {
        if let Some(items) = items {
            for e in items {
                self.text.append_value(&e.text);
                self.start.append_value(e.start as i64);
                self.end.append_value(e.end as i64);
                self.weight.append_value(e.weight);
            }
        }
        let last = *self.offsets.last().unwrap_or(&0);
        let n = items.map_or(0, |i| i.len()) as i32;
        self.offsets.push(last + n);
        self.valid.push(items.is_some());
    }

    fn finish(mut self) -> ArrayRef {
        let item = Arc::new(StructArray::new(
            match evidence_item() {
                DataType::Struct(f) => f,
                _ => unreachable!("evidence items are structs"),
            },
            vec![
                Arc::new(self.text.finish()) as ArrayRef,
                Arc::new(self.start.finish()),
                Arc::new(self.end.finish()),
                Arc::new(self.weight.finish()),
            ],
            None,
        ));
        let field: FieldRef = Arc::new(Field::new("item", evidence_item(), true));
        Arc::new(ListArray::new(
            field,
            OffsetBuffer::new(self.offsets.into()),
            item,
            Some(NullBuffer::from(self.valid)),
        ))
    }
}

impl LongForm {
    fn new(k: usize, ks: usize, evidence: bool) -> LongForm {
        LongForm {
            id: StringBuilder::new(),
            source: StringBuilder::new(),
            date: StringBuilder::new(),
            sentiment: StringBuilder::new(),
            sentiment_score: Float64Builder::new(),
            sentiment_p: (0..ks).map(|_| Float64Builder::new()).collect(),
            actor: StringBuilder::new(),
            mentions: Int64Builder::new(),
            label: StringBuilder::new(),
            p: (0..k).map(|_| Float64Builder::new()).collect(),
            score: Float64Builder::new(),
            model: StringBuilder::new(),
            status: StringBuilder::new(),
            evidence: evidence.then(|| Evidence {
                text: StringBuilder::new(),
                start: Int64Builder::new(),
                end: Int64Builder::new(),
                weight: Float64Builder::new(),
                offsets: vec![0],
                valid: Vec::new(),
            }),
            rows: Vec::new(),
        }
    }

    fn push_scored(
        &mut self,
        row: u32,
        s: &backend::ArticleScore,
        classes: &[String],
        sclasses: &[String],
    ) {
        let n = s.actors.len().max(1);
        let model = s.model.as_ref().map(|m| m.checksum.as_str());
        for k in 0..n {
            self.rows.push(row);
            self.id.append_value(&s.id);
            self.source.append_option(s.source.as_deref());
            self.date.append_option(s.date.as_deref());
            match &s.sentiment {
                Some(x) => {
                    self.sentiment.append_value(&x.label);
                    self.sentiment_score.append_option(x.score);
                    for (b, c) in self.sentiment_p.iter_mut().zip(sclasses) {
                        b.append_option(x.probabilities.get(c).copied());
                    }
                }
                None => {
                    self.sentiment.append_null();
                    self.sentiment_score.append_null();
                    self.sentiment_p.iter_mut().for_each(|b| b.append_null());
                }
            }
            match s.actors.get(k) {
                Some(a) => {
                    self.actor.append_value(&a.actor);
                    self.mentions.append_value(a.mentions as i64);
                    self.label.append_value(&a.label);
                    for (b, c) in self.p.iter_mut().zip(classes) {
                        b.append_option(a.probabilities.get(c).copied());
                    }
                    self.score.append_option(a.score);
                    if let Some(e) = &mut self.evidence {
                        e.push(Some(&a.evidence));
                    }
                }
                None => {
                    self.actor.append_null();
                    self.mentions.append_null();
                    self.label.append_null();
                    self.p.iter_mut().for_each(|b| b.append_null());
                    self.score.append_null();
                    if let Some(e) = &mut self.evidence {
                        e.push(None);
                    }
                }
            }
            self.model.append_option(model);
            self.status.append_value(OK);
        }
    }

    /// A row of a record that failed: its id (when readable) and `status`, the rest null, as
    /// in the CLI's CSV (where the model column is empty on an error row too).
    fn push_failed(&mut self, row: u32, id: Option<&str>, message: &str) {
        self.rows.push(row);
        self.id.append_option(id);
        for b in [
            &mut self.source,
            &mut self.date,
            &mut self.sentiment,
            &mut self.actor,
            &mut self.label,
            &mut self.model,
        ] {
            b.append_null();
        }
        self.sentiment_score.append_null();
        self.mentions.append_null();
        self.p.iter_mut().for_each(|b| b.append_null());
        self.score.append_null();
        self.sentiment_p.iter_mut().for_each(|b| b.append_null());
        if let Some(e) = &mut self.evidence {
            e.push(None);
        }
        self.status.append_value(format!("error: {message}"));
    }

    /// The columns in output order (without the row and carried columns), and the input row
    /// of each output row.
    fn finish(mut self) -> (Vec<ArrayRef>, Vec<u32>) {
        let mut cols: Vec<ArrayRef> = vec![
            Arc::new(self.id.finish()),
            Arc::new(self.source.finish()),
            Arc::new(self.date.finish()),
            Arc::new(self.sentiment.finish()),
            Arc::new(self.sentiment_score.finish()),
        ];
        cols.extend(
            self.sentiment_p
                .iter_mut()
                .map(|b| Arc::new(b.finish()) as ArrayRef),
        );
        cols.push(Arc::new(self.actor.finish()));
        cols.push(Arc::new(self.mentions.finish()));
        cols.push(Arc::new(self.label.finish()));
        cols.extend(self.p.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
        cols.push(Arc::new(self.score.finish()));
        cols.push(Arc::new(self.model.finish()));
        cols.push(Arc::new(self.status.finish()));
        if let Some(e) = self.evidence {
            cols.push(e.finish());
        }
        (cols, self.rows)
    }
}

/// The message of an error row (after `error: ` in its `status`) and of an error record: the
/// record named by its position and id, then the field.
pub fn error_message(index: usize, id: Option<&str>, f: &Failure) -> String {
    format!("{}: {}", record_name(index, id), f.message())
}

/// What one chunk of rows gave: its columns, its rows, and its first bad record.
struct Part {
    cols: Vec<ArrayRef>,
    rows: Vec<u32>,
    first_bad: Option<(usize, Option<String>, Failure)>,
    bad: usize,
}

/// Scores a record batch.
pub fn score_batch(
    engine: &Engine,
    batch: &RecordBatch,
    fields: &Fields,
    opts: &ScoreOptions,
    shape: &Shape,
    raise: bool,
) -> Result<RecordBatch, BatchError> {
    let reader = Reader::new(fields);
    let schema = output_schema(&engine.model, batch.schema_ref(), shape)?;
    let n = batch.num_rows();
    if u32::try_from(n).is_err() {
        return Err(BatchError::Value(format!(
            "a batch of {n} rows is too large; score it in slices"
        )));
    }
    let input = Input::new(batch, fields)?;
    let classes = backend::stance_classes(&engine.model);
    let sclasses = backend::sentiment_classes(&engine.model);
    let parts: Vec<Part> = engine.chunks(n, |range, scratch| {
        let mut lf = LongForm::new(classes.len(), sclasses.len(), shape.evidence);
        let mut first_bad = None;
        let mut bad = 0;
        for i in range {
            let at = shape.offset + i;
            match engine.outcome(&reader, input.json(i), at, opts, scratch) {
                Outcome::Scored(s) => lf.push_scored(i as u32, &s, classes, sclasses),
                Outcome::Failed { id, failure } => {
                    bad += 1;
                    if !raise {
                        lf.push_failed(
                            i as u32,
                            id.as_deref(),
                            &error_message(at, id.as_deref(), &failure),
                        );
                    } else if first_bad.is_none() {
                        first_bad = Some((at, id, failure));
                    }
                }
            }
        }
        let (cols, rows) = lf.finish();
        Part {
            cols,
            rows,
            first_bad,
            bad,
        }
    });
    if raise {
        let total: usize = parts.iter().map(|p| p.bad).sum();
        if let Some((index, id, failure)) = parts.iter().find_map(|p| p.first_bad.clone()) {
            return Err(BatchError::Record {
                index,
                id,
                failure,
                more: total - 1,
            });
        }
    }
    let own = parts.first().map_or(0, |p| p.cols.len());
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
    if parts.is_empty() {
        // No rows: empty columns of the right types.
        for f in schema.fields().iter().take(own_columns(engine, shape)) {
            columns.push(arrow_array::new_empty_array(f.data_type()));
        }
    } else {
        for c in 0..own {
            let pieces: Vec<&dyn Array> = parts.iter().map(|p| p.cols[c].as_ref()).collect();
            columns.push(
                arrow_select::concat::concat(&pieces)
                    .map_err(|e| BatchError::Value(format!("building the output: {e}")))?,
            );
        }
    }
    let rows: Vec<u32> = parts.into_iter().flat_map(|p| p.rows).collect();
    if shape.row_col.is_some() {
        columns.push(Arc::new(arrow_array::Int64Array::from_iter_values(
            rows.iter().map(|&r| i64::from(r) + shape.offset as i64),
        )));
    }
    if !shape.carried.is_empty() {
        let idx = UInt32Array::from(rows);
        for (_, i) in &shape.carried {
            columns.push(
                arrow_select::take::take(batch.column(*i).as_ref(), &idx, None)
                    .map_err(|e| BatchError::Value(format!("carrying a column: {e}")))?,
            );
        }
    }
    RecordBatch::try_new(schema, columns)
        .map_err(|e| BatchError::Value(format!("building the output: {e}")))
}

/// The number of output columns the long form itself has (without row and carried columns).
fn own_columns(engine: &Engine, shape: &Shape) -> usize {
    CSV_HEAD.len()
        + backend::sentiment_classes(&engine.model).len()
        + CSV_ACTOR.len()
        + backend::stance_classes(&engine.model).len()
        + CSV_TAIL.len()
        + usize::from(shape.evidence)
}
