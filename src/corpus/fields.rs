//! The one mapping from a record's named fields to a [`LabeledArticle`], shared by every
//! format that has named fields (a JSON object, a CSV row): each format says what a field
//! holds ([`Fields`]), and [`labeled`] applies every rule once.
//!
//! The rules, in the order they are checked (the first that fails is the record's error):
//! the text must be there and be a string; the id, source, date, title, url, sentiment and
//! long-form actor are strings (a number is taken as its digits, except for a field named
//! `text`); the stance is an object `{actor: label}` or a single label with the actor in the
//! actor field; then the text must not be blank and the date must be `YYYY-MM-DD` (optionally
//! with a time). A record without an id gets one derived from its text ([`text_id`]), one
//! without a source gets `--source`; every other string, number or boolean field is carried
//! as `extra`.

use super::date::is_date_field;
use super::{Article, Columns, LabeledArticle, Origin, ReadOptions};
use crate::error::{Error, Result};
use serde_json::{Map, Number, Value};
use std::collections::BTreeMap;

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

/// The record's id, for an error record as much as for an article: a string or a number in
/// the id field; failing that, the id derived from a string in the text field ([`text_id`]),
/// so that an error record whose text can be read names it the same way in every shard.
pub(crate) fn record_id(fields: &impl Fields, columns: &Columns) -> Option<String> {
    match fields.get(&columns.id) {
        Field::Str(s) => Some(s.to_string()),
        Field::Num(n) => Some(n.to_string()),
        // An empty text is an error of its own, and an empty CSV cell is no text at all.
        _ => match fields.get(&columns.text) {
            Field::Str(t) if !t.is_empty() => Some(text_id(t)),
            _ => None,
        },
    }
}

/// The id of a record that has none: `sha256:` and the first 16 hex digits of the SHA-256
/// of its text (the UTF-8 bytes as read, nothing trimmed or normalised). It depends on the
/// text alone, not on the file or the line, so a record keeps its id however the input is
/// cut into shards; two records with the same text get the same id (a suffix counting
/// repeats would differ between shards: a repeat in another shard would be a first there).
/// 64 bits: among 10 million different texts, the chance that any two share an id is about
/// 3 in a million. In Python: `"sha256:" + hashlib.sha256(text.encode()).hexdigest()[:16]`.
pub fn text_id(text: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(text.as_bytes());
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
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
    let id = id.unwrap_or_else(|| text_id(&text));
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
        let stance = self.stance_pairs()?;
        // An actor named in the labels becomes a pattern of the alias matcher: bounded as
        // the aliases of an actors file are, and named here, where its record is known.
        let max = crate::actors::MAX_ALIAS_BYTES;
        if let Some((actor, _)) = stance.iter().find(|(a, _)| a.trim().len() > max) {
            return Err(self.error(
                &self.columns.stance,
                format!(
                    "an actor name of {} bytes (\"{}…\"), longer than the {max} an actor name may have",
                    actor.trim().len(),
                    actor.chars().take(40).collect::<String>()
                ),
            ));
        }
        Ok(stance)
    }

    fn stance_pairs(&self) -> Result<Vec<(String, String)>> {
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

#[cfg(test)]
mod tests {
    //! The same logical record read from a JSON object and from a CSV row gives the same
    //! article, or the same error: file, line, field and message.

    use super::super::{csv, jsonl, Columns, Record};
    use super::*;
    use std::io::Cursor;

    fn opts() -> ReadOptions {
        ReadOptions {
            source: Some("fallback".into()),
            ..ReadOptions::default()
        }
    }

    /// `json` as line 2 of a file `in`.
    fn json(line: &str, opts: &ReadOptions) -> Record {
        jsonl::parse("in".into(), 2, line.as_bytes(), opts)
    }

    /// The first row of a CSV file `in` (its line 2).
    fn csv(header: &str, row: &str, opts: &ReadOptions) -> Record {
        let data = format!("{header}\n{row}\n");
        let mut records = csv::open("in".into(), Box::new(Cursor::new(data)), opts);
        let first = records.next().expect("a record");
        assert!(records.next().is_none(), "one row, one record");
        first
    }

    fn article(r: Record) -> LabeledArticle {
        let (file, line) = (r.file.clone(), r.line);
        let a = r.item.expect("an article");
        assert_eq!(a.origin, Origin::new(file, line));
        a
    }

    /// File, line, field and message of an error record.
    fn error(r: Record) -> (String, Option<u64>, Option<String>, String) {
        match r.item {
            Err(Error::Input { at, message }) => (at.file, at.line, at.field, message),
            other => panic!("expected an input error, got {other:?}"),
        }
    }

    fn same_article(j: &str, header: &str, row: &str) -> LabeledArticle {
        let (j, c) = (json(j, &opts()), csv(header, row, &opts()));
        assert_eq!((&j.file, j.line, &j.id), (&c.file, c.line, &c.id));
        let (j, c) = (article(j), article(c));
        assert_eq!(j, c);
        j
    }

    fn same_error(
        j: &str,
        header: &str,
        row: &str,
    ) -> (String, Option<u64>, Option<String>, String) {
        let (j, c) = (json(j, &opts()), csv(header, row, &opts()));
        assert_eq!(j.id, c.id, "the id of the failed record");
        let (j, c) = (error(j), error(c));
        assert_eq!(j, c);
        j
    }

    #[test]
    fn every_field_maps_the_same() {
        let a = same_article(
            r#"{"id":"a1","text":"Iran spoke.","source":"X","date":"2023-10-29T10:00:00Z","title":"T","url":"http://u","sentiment":"negative","section":"world"}"#,
            "id,text,source,date,title,url,sentiment,section",
            "a1,Iran spoke.,X,2023-10-29T10:00:00Z,T,http://u,negative,world",
        );
        assert_eq!(a.article.id, "a1");
        assert_eq!(a.article.source.as_deref(), Some("X"));
        assert_eq!(a.article.date.as_deref(), Some("2023-10-29T10:00:00Z"));
        assert_eq!(a.article.title.as_deref(), Some("T"));
        assert_eq!(a.article.url.as_deref(), Some("http://u"));
        assert_eq!(a.sentiment.as_deref(), Some("negative"));
        assert_eq!(a.extra.get("section").map(String::as_str), Some("world"));
        assert_eq!(a.extra.len(), 1);
        assert_eq!(a.origin.to_string(), "in:2");
    }

    #[test]
    fn long_form_stance_maps_the_same() {
        let a = same_article(
            r#"{"id":"a","text":"Iran spoke.","actor":"Iran","stance":"favor"}"#,
            "id,text,actor,stance",
            "a,Iran spoke.,Iran,favor",
        );
        assert_eq!(a.stance, [("Iran".to_string(), "favor".to_string())]);
    }

    #[test]
    fn numeric_id_missing_id_and_source_fallback_map_the_same() {
        let a = same_article(r#"{"id":17,"text":"x"}"#, "id,text", "17,x");
        assert_eq!(a.article.id, "17");
        assert_eq!(a.article.source.as_deref(), Some("fallback"));
        // No id: the text's (`printf x | sha256sum`). (An empty CSV cell is no value; in JSON
        // that is a missing key.)
        let a = same_article(r#"{"text":"x","n":3,"b":true}"#, "id,text,n,b", ",x,3,true");
        assert_eq!(a.article.id, "sha256:2d711642b726b044");
        assert_eq!(text_id("x"), a.article.id);
        assert_eq!(a.extra.get("n").map(String::as_str), Some("3"));
        assert_eq!(a.extra.get("b").map(String::as_str), Some("true"));
    }

    #[test]
    fn renamed_columns_map_the_same() {
        let opts = ReadOptions {
            columns: Columns {
                id: "key".into(),
                text: "body".into(),
                ..Columns::default()
            },
            ..ReadOptions::default()
        };
        let j = article(json(r#"{"key":"k","body":"x","text":"other"}"#, &opts));
        let c = article(csv("key,body,text", "k,x,other", &opts));
        assert_eq!(j, c);
        assert_eq!(j.article.text, "x");
        assert_eq!(j.extra.get("text").map(String::as_str), Some("other"));
    }

    #[test]
    fn empty_text_is_the_same_error() {
        let e = same_error(r#"{"id":"a","text":""}"#, "id,text", "a,");
        assert_eq!(
            e,
            (
                "in".to_string(),
                Some(2),
                Some("text".to_string()),
                "the text is empty".to_string()
            )
        );
        same_error(r#"{"id":"a","text":"  "}"#, "id,text", "a,  ");
    }

    #[test]
    fn bad_date_is_the_same_error() {
        let e = same_error(
            r#"{"text":"x","date":"2023-02-30"}"#,
            "text,date",
            "x,2023-02-30",
        );
        assert_eq!(e.2.as_deref(), Some("date"));
        assert_eq!(
            e.3,
            "expected a date YYYY-MM-DD (optionally with a time), found \"2023-02-30\""
        );
    }

    #[test]
    fn long_form_stance_without_actor_is_the_same_error() {
        let e = same_error(
            r#"{"id":"a","text":"x","stance":"favor"}"#,
            "id,text,actor,stance",
            "a,x,,favor",
        );
        assert_eq!(e.2.as_deref(), Some("actor"));
        assert_eq!(
            e.3,
            "missing: a \"stance\" given as a single label needs the actor it is about"
        );
        // The stance is read before the text and date are checked, in both formats.
        let e = same_error(
            r#"{"text":"","date":"bad","stance":"favor"}"#,
            "text,date,stance",
            ",bad,favor",
        );
        assert_eq!(e.2.as_deref(), Some("actor"));
    }

    #[test]
    fn missing_text_is_the_same_error() {
        // A CSV file without the text column is refused at its header; a row of such a file
        // would map to the same error as a JSON object without the key.
        let obj = serde_json::json!({"id": "a"});
        let obj = obj.as_object().expect("an object");
        let names = ["id".to_string()];
        let record = ::csv::StringRecord::from(vec!["a"]);
        let row = csv::Row {
            names: &names,
            record: &record,
        };
        let j = labeled(&jsonl::JsonObject(obj), Origin::new("in", 2), &opts());
        let c = labeled(&row, Origin::new("in", 2), &opts());
        let (j, c) = (j.unwrap_err().to_string(), c.unwrap_err().to_string());
        assert_eq!(j, c);
        assert_eq!(
            j,
            "in:2: field \"text\": missing (every record needs a text)"
        );
    }

    #[test]
    fn json_only_kinds_are_errors_named_by_field() {
        let e = error(json(r#"{"text":5}"#, &opts()));
        assert_eq!(e.3, "expected a string, found a number");
        let e = error(json(r#"{"text":"x","stance":{"Iran":5}}"#, &opts()));
        assert_eq!(e.2.as_deref(), Some("stance.Iran"));
        assert_eq!(e.3, "expected a label string, found a number");
        let e = error(json(r#"{"text":"x","stance":[]}"#, &opts()));
        assert_eq!(
            e.3,
            "expected an object {actor: label} or a label string, found an array"
        );
        let a = article(json(
            r#"{"text":"x","stance":{"Iran":"favor","Israel":null}}"#,
            &opts(),
        ));
        assert_eq!(a.stance, [("Iran".to_string(), "favor".to_string())]);
    }
}
