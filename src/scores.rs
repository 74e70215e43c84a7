//! Score records, the output of `stance score` and the input of `stance compare` and
//! `stance report`: JSON Lines (one [`ArticleScore`] per line, or an error record
//! `{"id", "file", "line", "error"}`), or CSV in long form (one row per article and actor,
//! which pandas, R and DuckDB read directly).

use crate::corpus::Record;
use crate::error::{Error, Result};
use crate::output::{csv_text, from_csv_text};
use crate::pipeline::ArticleScore;
use std::io::BufRead;

#[cfg(feature = "arrow")]
pub mod arrow;
mod parquet;

/// How score records are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScoreFormat {
    /// One JSON object per article.
    Jsonl,
    /// One row per article and actor; one probability column per label (`p_LABEL` for stance,
    /// `p_sentiment_LABEL` for sentiment).
    Csv {
        /// The model's stance labels.
        labels: Vec<String>,
        /// The model's sentiment labels (empty when it has no sentiment classifier).
        sentiment_labels: Vec<String>,
    },
}

/// The CSV columns before the probabilities.
const CSV_HEAD: [&str; 5] = ["id", "source", "date", "sentiment", "sentiment_score"];
/// The CSV columns after the sentiment probabilities, before the stance probabilities.
const CSV_ACTOR: [&str; 3] = ["actor", "mentions", "label"];
/// The CSV columns after the stance probabilities. `fields` holds the record's other fields
/// as a JSON object; `model` the model's checksum; `status` is `ok`, or `error: ` and the
/// message (a column that is never empty, so data-frame readers type it as text).
const CSV_TAIL: [&str; 4] = ["score", "fields", "model", "status"];

impl ScoreFormat {
    /// The CSV format for a model's labels.
    pub fn csv_for(model: &crate::StanceModel) -> ScoreFormat {
        ScoreFormat::Csv {
            labels: model.stance.classes().to_vec(),
            sentiment_labels: model
                .sentiment
                .as_ref()
                .map_or(Vec::new(), |s| s.classes().to_vec()),
        }
    }

    /// The header line, for formats that have one.
    pub fn header(&self) -> Option<String> {
        match self {
            ScoreFormat::Jsonl => None,
            ScoreFormat::Csv {
                labels,
                sentiment_labels,
            } => {
                let mut h: Vec<String> = CSV_HEAD.iter().map(|s| s.to_string()).collect();
                h.extend(sentiment_labels.iter().map(|c| format!("p_sentiment_{c}")));
                h.extend(CSV_ACTOR.iter().map(|s| s.to_string()));
                h.extend(labels.iter().map(|c| format!("p_{c}")));
                h.extend(CSV_TAIL.iter().map(|s| s.to_string()));
                Some(csv_line(&h))
            }
        }
    }

    /// The line(s) of one article's scores (CSV: one row per actor, joined by newlines).
    pub fn record(&self, s: &ArticleScore) -> String {
        match self {
            ScoreFormat::Jsonl => serde_json::to_string(s).expect("scores serialise"),
            ScoreFormat::Csv {
                labels,
                sentiment_labels,
            } => csv_rows(s, labels, sentiment_labels),
        }
    }

    /// The line of a record that could not be read or scored.
    pub fn error(&self, rec: &Record, e: &Error) -> String {
        match self {
            ScoreFormat::Jsonl => error_json(rec, e),
            ScoreFormat::Csv {
                labels,
                sentiment_labels,
            } => csv_error(rec, e, labels.len() + sentiment_labels.len()),
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
fn csv_rows(s: &ArticleScore, classes: &[String], sentiment_classes: &[String]) -> String {
    let text = |x: &str| csv_text(x).into_owned();
    let mut base = vec![
        text(&s.id),
        text(s.source.as_deref().unwrap_or_default()),
        text(s.date.as_deref().unwrap_or_default()),
        text(s.sentiment.as_ref().map_or("", |x| x.label.as_str())),
        num(s.sentiment.as_ref().and_then(|x| x.score)),
    ];
    base.extend(sentiment_classes.iter().map(|c| {
        num(s
            .sentiment
            .as_ref()
            .and_then(|x| x.probabilities.get(c).copied()))
    }));
    let fields = if s.fields.is_empty() {
        String::new()
    } else {
        serde_json::to_string(&s.fields).expect("fields serialise")
    };
    let model = s
        .model
        .as_ref()
        .map_or(String::new(), |m| m.checksum.clone());
    let tail = |score: String| [score, fields.clone(), model.clone(), "ok".to_string()];
    if s.actors.is_empty() {
        let mut r = base;
        r.extend(std::iter::repeat_n(
            String::new(),
            CSV_ACTOR.len() + classes.len(),
        ));
        r.extend(tail(String::new()));
        return csv_line(&r);
    }
    s.actors
        .iter()
        .map(|a| {
            let mut r = base.clone();
            r.push(text(&a.actor));
            r.push(a.mentions.to_string());
            r.push(text(&a.label));
            r.extend(classes.iter().map(|c| num(a.probabilities.get(c).copied())));
            r.extend(tail(num(a.score)));
            csv_line(&r)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn csv_error(rec: &Record, e: &Error, probabilities: usize) -> String {
    let width = CSV_HEAD.len() + CSV_ACTOR.len() + probabilities + CSV_TAIL.len();
    let mut r = vec![String::new(); width - 1];
    r[0] = csv_text(rec.id.as_deref().unwrap_or_default()).into_owned();
    // The message names the file and line, so the row locates itself even without an id.
    let msg = e.to_string();
    r.push(if msg.starts_with(&rec.file) {
        format!("error: {msg}")
    } else {
        format!("error: {}:{}: {msg}", rec.file, rec.line)
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

/// Reads score records (JSON Lines or the long-form CSV of `stance score`, by the file's
/// extension; Parquet in the long form, by the extension `.parquet`, the file's first bytes or
/// a directory of Parquet files, as Spark writes them (the `parquet` module); `-` for standard input,
/// JSON Lines). With `labels`, every probability must be of
/// one of them (the model's labels): scores of another model are refused, naming the file,
/// line and label.
pub fn read(paths: &[String], labels: Option<&[String]>) -> Result<ReadScores> {
    let mut articles = Vec::new();
    let skipped = each(paths, labels, &mut |a| {
        articles.push(a);
        Ok(())
    })?;
    Ok(ReadScores { articles, skipped })
}

/// [`read`] one article at a time: `f` gets each scored article in input order, as it is
/// read, so nothing but the current record is held; returns the number of error records
/// left out. An error of `f` stops the reading; so does an input without any record.
pub fn each(
    paths: &[String],
    labels: Option<&[String]>,
    f: &mut dyn FnMut(ArticleScore) -> Result<()>,
) -> Result<usize> {
    let mut seen = 0usize;
    let skipped = each_or_none(paths, labels, &mut |a| {
        seen += 1;
        f(a)
    })?;
    if seen == 0 && skipped == 0 {
        return Err(Error::Config(format!(
            "no score records in {}",
            paths.join(", ")
        )));
    }
    Ok(skipped)
}

/// [`each`], where an input without any record is no error (a partition of the scores may
/// be empty: `compare --save-summary`).
pub fn each_or_none(
    paths: &[String],
    labels: Option<&[String]>,
    f: &mut dyn FnMut(ArticleScore) -> Result<()>,
) -> Result<usize> {
    let mut skipped = 0usize;
    for p in paths {
        if parquet::is_parquet(p) {
            parquet::read(p, labels, f, &mut skipped)?;
            continue;
        }
        if p.ends_with(".csv") {
            read_csv(p, labels, f, &mut skipped)?;
            continue;
        }
        let mut reader: Box<dyn BufRead> = if p == "-" {
            Box::new(std::io::stdin().lock())
        } else {
            Box::new(std::io::BufReader::new(
                std::fs::File::open(p).map_err(|e| Error::io(p.as_ref(), e))?,
            ))
        };
        let mut buf = Vec::new();
        for n in 1.. {
            let at = |msg: String| Error::input(p, Some(n), None, msg);
            let len = match crate::corpus::read_line_capped(&mut reader, &mut buf, MAX_LINE) {
                Ok(None) => break,
                Ok(Some(len)) => len,
                Err(e) => return Err(at(format!("read error: {e}"))),
            };
            if len > MAX_LINE {
                return Err(at(format!(
                    "the line is {len} bytes, longer than a score record may be ({MAX_LINE})"
                )));
            }
            let line = std::str::from_utf8(&buf).map_err(|e| {
                at(format!(
                    "invalid UTF-8 at byte {} of the line (score files are UTF-8)",
                    e.valid_up_to()
                ))
            })?;
            if line.trim().is_empty() {
                continue;
            }
            match parse_line(line, p, n, labels)? {
                Some(a) => f(a)?,
                None => skipped += 1,
            }
        }
    }
    Ok(skipped)
}

/// The longest score line (or CSV row) read back: far more than `stance score` writes.
pub const MAX_LINE: usize = 16 << 20;

/// Probabilities that are not a distribution (each in [0, 1], summing to 1 within rounding).
fn bad_probabilities<'a>(
    mut ps: impl Iterator<Item = (&'a String, &'a f64)> + Clone,
) -> Option<String> {
    let ok = ps
        .clone()
        .all(|(_, p)| p.is_finite() && (-1e-6..=1.0 + 1e-6).contains(p))
        && (ps.clone().map(|(_, p)| p).sum::<f64>() - 1.0).abs() <= 1e-3;
    (!ok).then(|| {
        let list: Vec<String> = ps.by_ref().map(|(l, p)| format!("{l} {p}")).collect();
        format!(
            "({}) are not probabilities between 0 and 1 summing to 1",
            list.join(", ")
        )
    })
}

/// Checks the numbers of a score record read back: probabilities are distributions, scores
/// lie in [-1, 1], and (with `labels`) every probability is of one of the model's labels.
fn check_numbers(
    a: &ArticleScore,
    labels: Option<&[String]>,
) -> std::result::Result<(), (String, String)> {
    for s in &a.actors {
        check_actor(s, labels)?;
    }
    if let Some(l) = &a.sentiment {
        if !l.probabilities.is_empty() {
            if let Some(m) = bad_probabilities(l.probabilities.iter()) {
                return Err((
                    "sentiment".into(),
                    format!("the sentiment probabilities {m}"),
                ));
            }
        }
    }
    Ok(())
}

/// Checks one actor's score read back: its probabilities are a distribution (over the model's
/// `labels`, when given) and its score lies in [-1, 1]. The error names the field and says
/// what is wrong.
fn check_actor(
    s: &crate::pipeline::ActorScore,
    labels: Option<&[String]>,
) -> std::result::Result<(), (String, String)> {
    if let Some(m) = bad_probabilities(s.probabilities.iter()) {
        return Err((
            "probabilities".into(),
            format!("the probabilities of actor \"{}\" {m}", s.actor),
        ));
    }
    if let Some(x) = s
        .score
        .filter(|x| !(x.is_finite() && (-1.0 - 1e-6..=1.0 + 1e-6).contains(x)))
    {
        return Err((
            "score".into(),
            format!(
                "the score of actor \"{}\" is {x}, not between -1 and 1",
                s.actor
            ),
        ));
    }
    if let Some(labels) = labels {
        if let Some(l) = s.probabilities.keys().find(|l| !labels.contains(l)) {
            return Err((
                "probabilities".into(),
                format!(
                    "label \"{l}\" (actor \"{}\") is not one of the model's labels ({}); were these scores made by another model?",
                    s.actor,
                    labels.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

/// One score record of JSON Lines (`line`, line `n` of `file`, for messages): the article's
/// scores, checked as [`read`] checks them, or None for an error record.
pub fn parse_record(
    line: &str,
    file: &str,
    n: u64,
    labels: Option<&[String]>,
) -> Result<Option<ArticleScore>> {
    parse_line(line, file, n, labels)
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
    check_numbers(&a, labels).map_err(|(field, m)| at(Some(&field), m))?;
    Ok(Some(a))
}

/// The columns of a score CSV: the header, where the required ones are, and the probability
/// columns of each task with their labels.
struct ScoreColumns {
    header: Vec<String>,
    id: usize,
    actor: usize,
    label: usize,
    status: usize,
    stance_p: Vec<(usize, String)>,
    sentiment_p: Vec<(usize, String)>,
}

impl ScoreColumns {
    /// Finds the columns of `header`; a missing required column is an error of line 1.
    fn of(header: Vec<String>, path: &str) -> Result<ScoreColumns> {
        let need = |n: &str| {
            header.iter().position(|h| h == n).ok_or_else(|| {
                Error::input(
                    path,
                    Some(1),
                    Some(n),
                    format!(
                        "missing: not the CSV of `stance score` (columns: {})",
                        header.join(", ")
                    ),
                )
            })
        };
        let (id, actor, label, status) =
            (need("id")?, need("actor")?, need("label")?, need("status")?);
        let stance_p: Vec<(usize, String)> = header
            .iter()
            .enumerate()
            .filter(|(_, h)| h.starts_with("p_") && !h.starts_with("p_sentiment_"))
            .map(|(i, h)| (i, h["p_".len()..].to_string()))
            .collect();
        let sentiment_p: Vec<(usize, String)> = header
            .iter()
            .enumerate()
            .filter_map(|(i, h)| h.strip_prefix("p_sentiment_").map(|l| (i, l.to_string())))
            .collect();
        Ok(ScoreColumns {
            header,
            id,
            actor,
            label,
            status,
            stance_p,
            sentiment_p,
        })
    }

    /// The text of column `n` in `r`, if the column exists and the cell is not empty. Text
    /// cells were written by `csv_text` (a formula-like cell has a ' in front).
    fn opt(&self, r: &csv::StringRecord, n: &str) -> Option<String> {
        self.header
            .iter()
            .position(|h| h == n)
            .and_then(|i| r.get(i))
            .filter(|v| !v.is_empty())
            .map(|v| from_csv_text(v).to_string())
    }

    /// The probabilities in the non-empty cells of `cols`, by label.
    fn probabilities(
        &self,
        r: &csv::StringRecord,
        cols: &[(usize, String)],
        at: &dyn Fn(&str, String) -> Error,
    ) -> Result<std::collections::BTreeMap<String, f64>> {
        cols.iter()
            .filter(|(i, _)| r.get(*i).is_some_and(|v| !v.is_empty()))
            .map(|(i, l)| {
                r[*i].parse::<f64>().map(|x| (l.clone(), x)).map_err(|_| {
                    at(
                        &self.header[*i],
                        format!("expected a number, found \"{}\"", &r[*i]),
                    )
                })
            })
            .collect()
    }

    /// A new article from the first row of its id (no actors yet).
    fn article(
        &self,
        r: &csv::StringRecord,
        id: String,
        at: &dyn Fn(&str, String) -> Error,
    ) -> Result<ArticleScore> {
        use crate::pipeline::{LabelScore, ModelRef};
        let sp = self.probabilities(r, &self.sentiment_p, at)?;
        let fields = match self.opt(r, "fields") {
            Some(f) => serde_json::from_str(&f)
                .map_err(|e| at("fields", format!("expected a JSON object: {e}")))?,
            None => std::collections::BTreeMap::new(),
        };
        Ok(ArticleScore {
            id,
            source: self.opt(r, "source"),
            date: self.opt(r, "date"),
            sentiment: self.opt(r, "sentiment").map(|l| LabelScore {
                label: l,
                probabilities: sp,
                score: self.opt(r, "sentiment_score").and_then(|x| x.parse().ok()),
            }),
            actors: Vec::new(),
            fields,
            model: self.opt(r, "model").map(|checksum| ModelRef {
                name: None,
                checksum,
                raw_probabilities: false,
            }),
        })
    }

    /// The actor's score in the row (None for a row of an article that names no actor); its
    /// probabilities must be a distribution over the model's `labels`.
    fn actor(
        &self,
        r: &csv::StringRecord,
        labels: Option<&[String]>,
        at: &dyn Fn(&str, String) -> Error,
    ) -> Result<Option<crate::pipeline::ActorScore>> {
        let Some(a) = r
            .get(self.actor)
            .filter(|a| !a.is_empty())
            .map(from_csv_text)
        else {
            return Ok(None);
        };
        let probabilities = self.probabilities(r, &self.stance_p, at)?;
        if let Some(m) = bad_probabilities(probabilities.iter()) {
            return Err(at(
                "probabilities",
                format!("the probabilities of actor \"{a}\" {m}"),
            ));
        }
        if let Some(labels) = labels {
            if let Some(l) = probabilities.keys().find(|l| !labels.contains(l)) {
                return Err(at(
                    &format!("p_{l}"),
                    format!(
                        "label \"{l}\" is not one of the model's labels ({}); were these scores made by another model?",
                        labels.join(", ")
                    ),
                ));
            }
        }
        Ok(Some(crate::pipeline::ActorScore {
            actor: a.to_string(),
            mentions: self
                .opt(r, "mentions")
                .and_then(|m| m.parse().ok())
                .unwrap_or(0),
            label: from_csv_text(r.get(self.label).unwrap_or_default()).to_string(),
            probabilities,
            score: self.opt(r, "score").and_then(|x| x.parse().ok()),
            evidence: Vec::new(),
            matches: Vec::new(),
        }))
    }
}

/// Reads the long-form CSV of `stance score` back into articles: consecutive rows of one id
/// are one article.
fn read_csv(
    path: &str,
    labels: Option<&[String]>,
    f: &mut dyn FnMut(ArticleScore) -> Result<()>,
    skipped: &mut usize,
) -> Result<()> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path.as_ref(), e))?;
    let mut rdr = csv::Reader::from_reader(crate::corpus::CsvInput::new(
        Box::new(std::io::BufReader::new(file)),
        b',',
        MAX_LINE,
    ));
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| Error::input(path, Some(1), None, format!("bad CSV header: {e}")))?
        .iter()
        .map(str::to_string)
        .collect();
    if rdr.get_mut().was_cut(0) {
        return Err(Error::input(
            path,
            Some(1),
            None,
            format!("the header is longer than a score file's may be ({MAX_LINE} bytes)"),
        ));
    }
    let cols = ScoreColumns::of(header, path)?;
    let mut current: Option<ArticleScore> = None;
    let mut r = csv::StringRecord::new();
    for i in 0.. {
        let read = rdr.read_record(&mut r);
        let line = r.position().map_or(i + 2, |p| p.line());
        if rdr.get_mut().was_cut(i + 1) {
            return Err(Error::input(
                path,
                Some(line),
                None,
                format!("the row is longer than a score record may be ({MAX_LINE} bytes)"),
            ));
        }
        match read {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                return Err(Error::input(
                    path,
                    Some(line),
                    None,
                    format!("bad CSV: {e}"),
                ))
            }
        }
        let at = |field: &str, msg: String| Error::input(path, Some(line), Some(field), msg);
        if r.get(cols.status).is_some_and(|s| s.starts_with("error")) {
            *skipped += 1;
            continue;
        }
        let rid = from_csv_text(r.get(cols.id).unwrap_or_default()).to_string();
        if current.as_ref().is_none_or(|c| c.id != rid) {
            if let Some(done) = current.take() {
                f(done)?;
            }
            current = Some(cols.article(&r, rid, &at)?);
        }
        if let Some(actor) = cols.actor(&r, labels, &at)? {
            current.as_mut().expect("set above").actors.push(actor);
        }
    }
    if let Some(done) = current.take() {
        f(done)?;
    }
    Ok(())
}
