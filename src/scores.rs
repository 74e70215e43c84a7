//! Score records, the output of `stance score` and the input of `stance compare` and
//! `stance report`: JSON Lines (one [`ArticleScore`] per line, or an error record
//! `{"id", "file", "line", "error"}`), or CSV in long form (one row per article and actor,
//! which pandas, R and DuckDB read directly).

use crate::corpus::Record;
use crate::error::{Error, Result};
use crate::pipeline::ArticleScore;
use std::io::BufRead;

/// How score records are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScoreFormat {
    /// One JSON object per article.
    Jsonl,
    /// One row per article and actor; the probability columns are those of `labels`.
    Csv {
        /// The model's stance labels (one `p_LABEL` column each).
        labels: Vec<String>,
    },
}

impl ScoreFormat {
    /// The header line, for formats that have one.
    pub fn header(&self) -> Option<String> {
        match self {
            ScoreFormat::Jsonl => None,
            ScoreFormat::Csv { labels } => {
                let mut h: Vec<String> = [
                    "id",
                    "source",
                    "date",
                    "sentiment",
                    "sentiment_score",
                    "actor",
                    "mentions",
                    "label",
                ]
                .iter()
                .map(|s| s.to_string())
                .collect();
                h.extend(labels.iter().map(|c| format!("p_{c}")));
                h.push("score".into());
                h.push("error".into());
                Some(csv_line(&h))
            }
        }
    }

    /// The line(s) of one article's scores (CSV: one row per actor, joined by newlines).
    pub fn record(&self, s: &ArticleScore) -> String {
        match self {
            ScoreFormat::Jsonl => serde_json::to_string(s).expect("scores serialise"),
            ScoreFormat::Csv { labels } => csv_rows(s, labels),
        }
    }

    /// The line of a record that could not be read or scored.
    pub fn error(&self, rec: &Record, e: &Error) -> String {
        match self {
            ScoreFormat::Jsonl => error_json(rec, e),
            ScoreFormat::Csv { labels } => csv_error(rec, e, labels.len()),
        }
    }
}

/// The JSON error record of a record that failed.
pub fn error_json(rec: &Record, e: &Error) -> String {
    serde_json::json!({
        "id": rec.id,
        "file": rec.file,
        "line": rec.line,
        "error": e.to_string(),
    })
    .to_string()
}

fn csv_line(fields: &[String]) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    w.write_record(fields).expect("writing to memory");
    let mut s = String::from_utf8(w.into_inner().expect("flush to memory")).expect("utf-8");
    s.pop();
    s
}

fn num(x: Option<f64>) -> String {
    x.map_or(String::new(), |v| format!("{v:.6}"))
}

/// The CSV rows of one article: one per actor, or one with no actor when it names none.
fn csv_rows(s: &ArticleScore, classes: &[String]) -> String {
    let base = [
        s.id.clone(),
        s.source.clone().unwrap_or_default(),
        s.date.clone().unwrap_or_default(),
        s.sentiment
            .as_ref()
            .map(|x| x.label.clone())
            .unwrap_or_default(),
        num(s.sentiment.as_ref().and_then(|x| x.score)),
    ];
    if s.actors.is_empty() {
        let mut r: Vec<String> = base.to_vec();
        r.extend(std::iter::repeat_n(String::new(), 3 + classes.len() + 2));
        return csv_line(&r);
    }
    s.actors
        .iter()
        .map(|a| {
            let mut r: Vec<String> = base.to_vec();
            r.push(a.actor.clone());
            r.push(a.mentions.to_string());
            r.push(a.label.clone());
            r.extend(classes.iter().map(|c| num(a.probabilities.get(c).copied())));
            r.push(num(a.score));
            r.push(String::new());
            csv_line(&r)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn csv_error(rec: &Record, e: &Error, k: usize) -> String {
    let mut r = vec![String::new(); 8 + k + 1];
    r[0] = rec.id.clone().unwrap_or_default();
    // The message names the file and line, so the row locates itself even without an id.
    let msg = e.to_string();
    r.push(if msg.starts_with(&rec.file) {
        msg
    } else {
        format!("{}:{}: {msg}", rec.file, rec.line)
    });
    csv_line(&r)
}

/// Score records read back: the articles, and how many error records were left out.
#[derive(Debug, Default)]
pub struct ReadScores {
    /// The scored articles, in input order.
    pub articles: Vec<ArticleScore>,
    /// Error records (inputs that failed) in the files: counted, not compared.
    pub skipped: usize,
}

/// Reads score records (JSON Lines from `stance score`; `-` for standard input). With
/// `labels`, every probability must be of one of them (the model's labels): scores of another
/// model are refused, naming the file, line and label.
pub fn read(paths: &[String], labels: Option<&[String]>) -> Result<ReadScores> {
    let mut out = ReadScores::default();
    for p in paths {
        let reader: Box<dyn BufRead> = if p == "-" {
            Box::new(std::io::stdin().lock())
        } else {
            Box::new(std::io::BufReader::new(
                std::fs::File::open(p).map_err(|e| Error::io(p.as_ref(), e))?,
            ))
        };
        for (i, line) in reader.lines().enumerate() {
            let line = line.map_err(|e| Error::io(p.as_ref(), e))?;
            if line.trim().is_empty() {
                continue;
            }
            match parse_line(&line, p, i as u64 + 1, labels)? {
                Some(a) => out.articles.push(a),
                None => out.skipped += 1,
            }
        }
    }
    if out.articles.is_empty() && out.skipped == 0 {
        return Err(Error::Config(format!(
            "no score records in {}",
            paths.join(", ")
        )));
    }
    Ok(out)
}

/// One score line: an article's scores, or None for an error record.
fn parse_line(
    line: &str,
    file: &str,
    n: u64,
    labels: Option<&[String]>,
) -> Result<Option<ArticleScore>> {
    let at = |field: Option<&str>, msg: String| Error::input(file, Some(n), field, msg);
    let v: serde_json::Value =
        serde_json::from_str(line).map_err(|e| at(None, format!("malformed JSON: {e}")))?;
    if v.get("error").is_some() {
        return Ok(None);
    }
    if !(v.is_object() && v.get("id").is_some() && v.get("actors").is_some_and(|a| a.is_array())) {
        return Err(at(
            None,
            "not a score record of `stance score` (expected an object with \"id\" and \"actors\")"
                .into(),
        ));
    }
    let a: ArticleScore = serde_json::from_value(v)
        .map_err(|e| at(None, format!("not a score record of `stance score`: {e}")))?;
    if let Some(labels) = labels {
        for s in &a.actors {
            if let Some(l) = s.probabilities.keys().find(|l| !labels.contains(l)) {
                return Err(at(
                    Some("probabilities"),
                    format!(
                        "label \"{l}\" (actor \"{}\") is not one of the model's labels ({}); were these scores made by another model?",
                        s.actor,
                        labels.join(", ")
                    ),
                ));
            }
        }
    }
    Ok(Some(a))
}
