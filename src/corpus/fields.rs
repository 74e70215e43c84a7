//! The one mapping from a record's named fields to a [`LabeledArticle`], shared by every
//! format that has named fields (a JSON object, a CSV row): each format says what a field
//! holds ([`Fields`]), and [`labeled`] applies every rule once.
//!
//! The rules, in the order they are checked (the first that fails is the record's error):
//! the text must be there and be a string; the id, source, date, title, url, sentiment and
//! long-form actor are strings (a number is taken as its digits, except for a field named
//! `text`); the stance is an object `{actor: label}` or a single label with the actor in the
//! actor field; then the text must not be blank and the date must be `YYYY-MM-DD` (optionally
//! with a time). A record without an id gets `FILE:LINE`, one without a source gets
//! `--source`; every other string, number or boolean field is carried as `extra`.

use super::date::is_date_field;
use super::{Article, Columns, LabeledArticle, Origin, ReadOptions};
use crate::error::{Error, Result};
use serde_json::{Map, Number, Value};
use std::collections::BTreeMap;
use std::path::Path;

/// What one named field of a record holds.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Field<'a> {
    /// No such key or column.
    Absent,
    /// A JSON `null`: the same as absent.
    Null,
    /// An empty CSV cell: the same as absent, except for the text, where it is an empty text
    /// (a CSV row always has the text column, so its text is empty rather than missing).
    Empty,
    /// A string.
    Str(&'a str),
    /// A JSON number.
    Num(&'a Number),
    /// A JSON boolean.
    Bool(bool),
    /// A JSON object.
    Object(&'a Map<String, Value>),
    /// A JSON array.
    Array,
}

impl<'a> Field<'a> {
    /// The field a JSON value makes.
    pub(crate) fn of_json(v: &'a Value) -> Field<'a> {
        match v {
            Value::Null => Field::Null,
            Value::Bool(b) => Field::Bool(*b),
            Value::Number(n) => Field::Num(n),
            Value::String(s) => Field::Str(s),
            Value::Array(_) => Field::Array,
            Value::Object(m) => Field::Object(m),
        }
    }

    /// What the field holds, for messages ("expected a string, found a number").
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Field::Absent => "nothing",
            Field::Null => "null",
            Field::Empty => "an empty cell",
            Field::Bool(_) => "a boolean",
            Field::Num(_) => "a number",
            Field::Str(_) => "a string",
            Field::Array => "an array",
            Field::Object(_) => "an object",
        }
    }

    /// The value carried as one of the record's other fields, if it is one that can be.
    fn extra(&self) -> Option<String> {
        match self {
            Field::Str(s) => Some(s.to_string()),
            Field::Num(n) => Some(n.to_string()),
            Field::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
}

/// A record with named fields, as one input format gives it.
pub(crate) trait Fields {
    /// The field called `name` (the first one, if the record names it twice).
    fn get(&self, name: &str) -> Field<'_>;
    /// Calls `f` with every field of the record, in the record's order.
    fn each(&self, f: &mut dyn FnMut(&str, Field<'_>));
}

/// The record's id as written, for an error record as much as for an article: a string or a
/// number in the id field.
pub(crate) fn record_id(fields: &impl Fields, columns: &Columns) -> Option<String> {
    match fields.get(&columns.id) {
        Field::Str(s) => Some(s.to_string()),
        Field::Num(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The id of a record that has none: `FILE:LINE`, with the file's name without its folder.
pub(crate) fn default_id(file: &str, line: u64) -> String {
    let base = Path::new(file)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(file);
    format!("{base}:{line}")
}

/// The labeled article a record's fields make, or the first rule it breaks (named by file,
/// line and field).
pub(crate) fn labeled(
    fields: &impl Fields,
    origin: Origin,
    opts: &ReadOptions,
) -> Result<LabeledArticle> {
    let r = Rules {
        fields,
        at: &origin,
        columns: &opts.columns,
    };
    let c = &opts.columns;
    let text = r.text()?;
    let id = r.string(&c.id)?;
    let id = id.unwrap_or_else(|| default_id(&origin.file, origin.line));
    let source = r.string(&c.source)?.or_else(|| opts.source.clone());
    let date = r.string(&c.date)?;
    let title = r.string(&c.title)?;
    let url = r.string("url")?;
    let stance = r.stance()?;
    let sentiment = r.string(&c.sentiment)?;
    let extra = r.extra();
    let article = Article {
        id,
        source,
        date,
        title,
        text,
        url,
    };
    r.check(&article)?;
    Ok(LabeledArticle {
        article,
        stance,
        sentiment,
        extra,
        origin,
    })
}

/// The rules, applied to one record.
struct Rules<'a, F> {
    fields: &'a F,
    at: &'a Origin,
    columns: &'a Columns,
}

impl<F: Fields> Rules<'_, F> {
    fn error(&self, field: &str, message: impl Into<String>) -> Error {
        Error::input(&self.at.file, Some(self.at.line), Some(field), message)
    }

    /// A string field: absent, null and empty are none; a number is its digits, except in
    /// a field named `text` (the check has always compared the name with the default one).
    fn string(&self, name: &str) -> Result<Option<String>> {
        self.string_of(self.fields.get(name), name)
    }

    fn string_of(&self, field: Field<'_>, name: &str) -> Result<Option<String>> {
        match field {
            Field::Absent | Field::Null | Field::Empty => Ok(None),
            Field::Str(s) => Ok(Some(s.to_string())),
            Field::Num(n) if name != "text" => Ok(Some(n.to_string())),
            other => Err(self.error(name, format!("expected a string, found {}", other.kind()))),
        }
    }

    /// The text, which every record needs (blank is checked with the article).
    fn text(&self) -> Result<String> {
        let name = &self.columns.text;
        let text = match self.fields.get(name) {
            Field::Empty => Some(String::new()),
            field => self.string_of(field, name)?,
        };
        text.ok_or_else(|| self.error(name, "missing (every record needs a text)"))
    }

    /// The stance labels: an object `{actor: label}` (a null label is no label), or the long
    /// form, a single label for the actor in the actor field.
    fn stance(&self) -> Result<Vec<(String, String)>> {
        let c = self.columns;
        match self.fields.get(&c.stance) {
            Field::Absent | Field::Null | Field::Empty => Ok(Vec::new()),
            Field::Object(m) => {
                let mut stance = Vec::new();
                for (actor, label) in m {
                    match Field::of_json(label) {
                        Field::Str(l) => stance.push((actor.clone(), l.to_string())),
                        Field::Null => {}
                        other => {
                            return Err(self.error(
                                &format!("{}.{}", c.stance, actor),
                                format!("expected a label string, found {}", other.kind()),
                            ))
                        }
                    }
                }
                Ok(stance)
            }
            Field::Str(l) => {
                let actor = self.string(&c.actor)?.ok_or_else(|| {
                    self.error(
                        &c.actor,
                        format!(
                            "missing: a \"{}\" given as a single label needs the actor it is about",
                            c.stance
                        ),
                    )
                })?;
                Ok(vec![(actor, l.to_string())])
            }
            other => Err(self.error(
                &c.stance,
                format!(
                    "expected an object {{actor: label}} or a label string, found {}",
                    other.kind()
                ),
            )),
        }
    }

    /// Every field the reader does not interpret itself that holds a string, a number or a
    /// boolean.
    fn extra(&self) -> BTreeMap<String, String> {
        let mut extra = BTreeMap::new();
        self.fields.each(&mut |name, field| {
            if !self.columns.is_known(name) {
                if let Some(v) = field.extra() {
                    extra.insert(name.to_string(), v);
                }
            }
        });
        extra
    }

    /// The rules on the article's values: a text that is not blank, a date that is one.
    fn check(&self, a: &Article) -> Result<()> {
        if a.text.trim().is_empty() {
            return Err(self.error(&self.columns.text, "the text is empty"));
        }
        if let Some(d) = &a.date {
            if !is_date_field(d) {
                return Err(self.error(
                    &self.columns.date,
                    format!("expected a date YYYY-MM-DD (optionally with a time), found \"{d}\""),
                ));
            }
        }
        Ok(())
    }
}
