//! The decision file: append-only JSON Lines, one line per decision, each line synced to disk
//! before the page is told it is saved.
//!
//! Every line is a full article record in the format `stance train` reads (`id`, `source`,
//! `date`, `title`, `text`, `url`, the input's other fields, and for a label decision
//! `"stance": {actor: label}` and `"sentiment"`), plus one object `"label"` with what the
//! decision was:
//!
//! ```json
//! {"id":"a17","text":"…","stance":{"Iran":"against"},"sentiment":"negative",
//!  "label":{"seq":12,"action":"label","annotator":"ana","time":"2026-12-01T21:30:02Z",
//!           "model":"r3-1a2b3c4d5e6f","strategy":"margin","score":0.043,"audit":false,
//!           "pick":12,"unsure":["Hamas"],"double":false}}
//! ```
//!
//! `action` is `label` (the labels given; `unsure` lists the questions left open), `skip` (no
//! labels), `review` (an adjudication of a disagreement: its labels are final) or `undo`
//! (`"undoes": SEQ` retracts the decision with that sequence number; the article comes back).
//! Skip and undo lines carry no labels, so a reader that ignores the `label` object (as
//! `stance train` does today) reads them as unlabeled records, which add nothing to training.
//! [`resolve`] gives the final state: one record per article, undone decisions dropped,
//! several annotators' labels merged (a strict majority per question, or the adjudication).
//!
//! A crash can cut only the last line short (each line is written with one call and synced);
//! [`DecisionLog::open`] drops such a torn tail, which the page had never been told was saved.

use super::engine::{Article, Error, LabeledArticle, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// What a decision was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// The annotator labeled the article.
    Label,
    /// The annotator skipped the article.
    Skip,
    /// A disagreement reviewed: the labels that settle it.
    Review,
    /// An earlier decision retracted (see `Meta::undoes`).
    Undo,
}

/// How an article came to be asked: the query strategy, its score and the pick number.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Pick {
    /// `diverse`, `margin`, `random`, `audit`, `review` or `model` (margin from a given model).
    pub strategy: String,
    /// The strategy's score: the margin (smaller is less certain), the distance to the nearest
    /// article already picked (diverse), or null.
    #[serde(default)]
    pub score: Option<f64>,
    /// Drawn from the random audit stream: a uniform draw from the articles not yet labeled,
    /// and so representative of the pool, unlike the actively chosen ones.
    #[serde(default)]
    pub audit: bool,
    /// The annotator's pick number (0-based), which decides the audit schedule.
    #[serde(default)]
    pub pick: u64,
    /// One of the articles shown to two annotators.
    #[serde(default)]
    pub double: bool,
}

/// The `label` object of a line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    /// Sequence number in the file, from 1, unique.
    pub seq: u64,
    /// What the decision was.
    pub action: Action,
    /// Who made it.
    pub annotator: String,
    /// When (UTC, RFC 3339).
    pub time: String,
    /// The model that made the guesses shown (null before the first model).
    #[serde(default)]
    pub model: Option<String>,
    /// How the article came to be asked.
    #[serde(flatten)]
    pub pick: Pick,
    /// Questions (actor names, or "sentiment") the annotator marked unsure.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unsure: Vec<String>,
    /// For an undo: the sequence number of the decision it retracts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undoes: Option<u64>,
    /// The model's guess per question when the decision was made (to measure how often the
    /// guess was accepted).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub guess: BTreeMap<String, String>,
}

/// One line of the decision file.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// The `label` object: who, when, how picked, what was guessed.
    pub meta: Meta,
    /// The article and, for label and review decisions, its labels.
    pub record: LabeledArticle,
    /// The 1-based line in the file.
    pub line: u64,
}

/// The name of the metadata object.
pub const META_KEY: &str = "label";

#[derive(Serialize)]
struct Line<'a> {
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: &'a Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date: &'a Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: &'a Option<String>,
    text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: &'a Option<String>,
    #[serde(flatten)]
    extra: &'a BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stance: Option<BTreeMap<&'a str, &'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sentiment: &'a Option<String>,
    label: &'a Meta,
}

/// The JSON line of a decision (with its line end).
pub fn to_line(d: &Decision) -> String {
    let r = &d.record;
    let labels = matches!(d.meta.action, Action::Label | Action::Review);
    let mut extra = r.extra.clone();
    for k in ["stance", "sentiment", META_KEY, "actor"] {
        extra.remove(k);
    }
    let none = None;
    let line = Line {
        id: &r.article.id,
        source: &r.article.source,
        date: &r.article.date,
        title: &r.article.title,
        text: &r.article.text,
        url: &r.article.url,
        extra: &extra,
        stance: labels.then(|| {
            r.stance
                .iter()
                .map(|(a, l)| (a.as_str(), l.as_str()))
                .collect()
        }),
        sentiment: if labels { &r.sentiment } else { &none },
        label: &d.meta,
    };
    let mut s = serde_json::to_string(&line).expect("strings and numbers serialise");
    s.push('\n');
    s
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Where an error of a decision line is: its field, and the message.
type At<'a> = &'a dyn Fn(Option<&str>, String) -> Error;

/// Parses one line of a decision file.
pub fn parse_line(text: &str, file: &str, line: u64) -> Result<Decision> {
    let at = |field: Option<&str>, msg: String| Error::input(file, Some(line), field, msg);
    let value: Value = serde_json::from_str(text).map_err(|e| {
        at(
            None,
            format!("malformed JSON at column {}: {e}", e.column()),
        )
    })?;
    let Value::Object(mut obj) = value else {
        return Err(at(
            None,
            format!("expected a JSON object, found {}", kind_of(&value)),
        ));
    };
    let meta = parse_meta(obj.remove(META_KEY), &at)?;
    let string = |key: &str| string_field(&obj, key, &at);
    let id = string("id")?.ok_or_else(|| at(Some("id"), "missing".into()))?;
    let text = string("text")?.ok_or_else(|| at(Some("text"), "missing".into()))?;
    let stance = parse_stance(obj.get("stance"), &at)?;
    if meta.action == Action::Undo && meta.undoes.is_none() {
        return Err(at(
            Some("label.undoes"),
            "missing: an undo names the decision it retracts".into(),
        ));
    }
    let record = LabeledArticle {
        article: Article {
            id,
            source: string("source")?,
            date: string("date")?,
            title: string("title")?,
            text,
            url: string("url")?,
        },
        stance,
        sentiment: string("sentiment")?,
        extra: extra_fields(&obj),
        origin: crate::corpus::Origin {
            file: file.to_string(),
            line,
        },
    };
    Ok(Decision { meta, record, line })
}

/// The `label` object of a line.
fn parse_meta(value: Option<Value>, at: At) -> Result<Meta> {
    let meta_value = value.ok_or_else(|| {
        at(
            Some(META_KEY),
            "missing: this is not a line written by `stance label` (each line has a \"label\" object); is this a labels file for `stance train`?".into(),
        )
    })?;
    if !meta_value.is_object() {
        return Err(at(
            Some(META_KEY),
            format!("expected an object, found {}", kind_of(&meta_value)),
        ));
    }
    serde_json::from_value(meta_value)
        .map_err(|e| at(Some(META_KEY), format!("bad decision metadata: {e}")))
}

/// A text field of the line: a string, a number (except for the text), or absent/null.
fn string_field(obj: &serde_json::Map<String, Value>, key: &str, at: At) -> Result<Option<String>> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) if key != "text" => Ok(Some(n.to_string())),
        Some(other) => Err(at(
            Some(key),
            format!("expected a string, found {}", kind_of(other)),
        )),
    }
}

/// The `stance` object {actor: label} (null labels left out).
fn parse_stance(value: Option<&Value>, at: At) -> Result<Vec<(String, String)>> {
    let mut stance = Vec::new();
    match value {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => {
            for (actor, l) in m {
                match l {
                    Value::String(l) => stance.push((actor.clone(), l.clone())),
                    Value::Null => {}
                    other => {
                        return Err(at(
                            Some(&format!("stance.{actor}")),
                            format!("expected a label string, found {}", kind_of(other)),
                        ))
                    }
                }
            }
        }
        Some(other) => {
            return Err(at(
                Some("stance"),
                format!(
                    "expected an object {{actor: label}}, found {}",
                    kind_of(other)
                ),
            ))
        }
    }
    Ok(stance)
}

/// The line's other scalar fields, carried as text.
fn extra_fields(obj: &serde_json::Map<String, Value>) -> BTreeMap<String, String> {
    let mut extra = BTreeMap::new();
    for (k, v) in obj {
        if matches!(
            k.as_str(),
            "id" | "text" | "source" | "date" | "title" | "url" | "stance" | "sentiment"
        ) {
            continue;
        }
        match v {
            Value::String(s) => extra.insert(k.clone(), s.clone()),
            Value::Number(n) => extra.insert(k.clone(), n.to_string()),
            Value::Bool(b) => extra.insert(k.clone(), b.to_string()),
            _ => None,
        };
    }
    extra
}

/// Reads a whole decision file. A last line cut short by a crash (no line end, not valid JSON)
/// is returned apart, as its byte offset, for [`DecisionLog::open`] to drop; anywhere else a bad
/// line is an error naming the file, line and field.
pub fn read(path: &Path) -> Result<(Vec<Decision>, Option<u64>)> {
    let name = path.display().to_string();
    let mut bytes = Vec::new();
    match File::open(path) {
        Ok(mut f) => {
            f.read_to_end(&mut bytes).map_err(|e| Error::io(path, e))?;
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), None)),
        Err(e) => return Err(Error::io(path, e)),
    }
    let mut out = Vec::new();
    let mut torn = None;
    let mut offset = 0usize;
    let mut line_no = 0u64;
    let mut errors = Vec::new();
    while offset < bytes.len() {
        line_no += 1;
        let end = bytes[offset..]
            .iter()
            .position(|&b| b == b'\n')
            .map(|i| offset + i);
        let raw = &bytes[offset..end.unwrap_or(bytes.len())];
        let start = offset;
        offset = end.map_or(bytes.len(), |e| e + 1);
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.iter().all(|b| b.is_ascii_whitespace()) {
            continue;
        }
        let parsed = std::str::from_utf8(raw)
            .map_err(|e| {
                Error::input(
                    &name,
                    Some(line_no),
                    None,
                    format!("invalid UTF-8 at byte {} of the line", e.valid_up_to()),
                )
            })
            .and_then(|t| parse_line(t, &name, line_no));
        match parsed {
            Ok(d) => out.push(d),
            Err(_) if end.is_none() => torn = Some(start as u64),
            Err(e) => errors.push(e),
        }
    }
    match errors.len() {
        0 => Ok((out, torn)),
        1 => Err(errors.pop().expect("one")),
        _ => Err(Error::Inputs(errors)),
    }
}

/// The decision file, open for appending, locked against a second `stance label` on it.
pub struct DecisionLog {
    path: PathBuf,
    file: File,
    next_seq: u64,
    next_line: u64,
}

impl DecisionLog {
    /// Opens (or creates) the file and reads what it holds. A torn last line is cut off, and
    /// reported in the second value.
    pub fn open(path: &Path) -> Result<(DecisionLog, Vec<Decision>, Option<String>)> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        let file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        // A lock held for an instant by a child process between its fork and exec (a thread
        // of this process starting a program) is not another `stance label`: try for a
        // little while before saying so.
        let mut locked = file.try_lock();
        for _ in 0..20 {
            if !matches!(locked, Err(std::fs::TryLockError::WouldBlock)) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(25));
            locked = file.try_lock();
        }
        match locked {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(Error::Config(format!(
                    "{} is in use by another `stance label` (one process per decision file; several annotators share one server: open its URL with ?annotator=NAME)",
                    path.display()
                )))
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(Error::io(path, e)),
        }
        let (decisions, torn) = read(path)?;
        let mut note = None;
        if let Some(at) = torn {
            file.set_len(at).map_err(|e| Error::io(path, e))?;
            file.sync_all().map_err(|e| Error::io(path, e))?;
            note = Some(format!(
                "{}: dropped an incomplete last line at byte {at} (a write cut short by a crash; it was never confirmed as saved)",
                path.display()
            ));
        }
        // The file may end without a line end after a hand edit: start on a fresh line.
        let mut f = &file;
        let len = f.seek(SeekFrom::End(0)).map_err(|e| Error::io(path, e))?;
        if len > 0 {
            let mut last = [0u8];
            let mut r = File::open(path).map_err(|e| Error::io(path, e))?;
            r.seek(SeekFrom::Start(len - 1))
                .map_err(|e| Error::io(path, e))?;
            r.read_exact(&mut last).map_err(|e| Error::io(path, e))?;
            if last[0] != b'\n' {
                f.write_all(b"\n").map_err(|e| Error::io(path, e))?;
            }
        }
        let next_seq = decisions.iter().map(|d| d.meta.seq + 1).max().unwrap_or(1);
        let next_line = decisions.last().map_or(0, |d| d.line) + 1;
        let lines = count_lines(path)?;
        Ok((
            DecisionLog {
                path: path.to_path_buf(),
                file,
                next_seq,
                next_line: next_line.max(lines + 1),
            },
            decisions,
            note,
        ))
    }

    /// The decision file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The sequence number the next decision gets.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Appends a decision (its `meta.seq` is set here) and syncs it to disk.
    pub fn append(&mut self, mut d: Decision) -> Result<Decision> {
        d.meta.seq = self.next_seq;
        d.line = self.next_line;
        d.record.origin = crate::corpus::Origin {
            file: self.path.display().to_string(),
            line: d.line,
        };
        let line = to_line(&d);
        self.file
            .write_all(line.as_bytes())
            .map_err(|e| Error::io(&self.path, e))?;
        self.file
            .sync_data()
            .map_err(|e| Error::io(&self.path, e))?;
        self.next_seq += 1;
        self.next_line += 1;
        Ok(d)
    }
}

fn count_lines(path: &Path) -> Result<u64> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    Ok(bytes.iter().filter(|&&b| b == b'\n').count() as u64)
}

/// The decisions still in force: label, skip and review decisions not retracted by an undo.
pub fn live(decisions: &[Decision]) -> Vec<&Decision> {
    let undone: std::collections::HashSet<u64> = decisions
        .iter()
        .filter(|d| d.meta.action == Action::Undo)
        .filter_map(|d| d.meta.undoes)
        .collect();
    decisions
        .iter()
        .filter(|d| d.meta.action != Action::Undo && !undone.contains(&d.meta.seq))
        .collect()
}

/// One article's final state.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    /// The article with its final labels (the origin is the last decision that made them).
    pub record: LabeledArticle,
    /// Drawn from the random audit stream (representative of the pool).
    pub audit: bool,
    /// The strategy that first picked it.
    pub strategy: String,
    /// The annotators whose live decisions made the labels, in order.
    pub annotators: Vec<String>,
    /// The sequence numbers of those decisions.
    pub decisions: Vec<u64>,
    /// An adjudication (`review`) decided the labels.
    pub adjudicated: bool,
    /// Questions (actors, or "sentiment") on which annotators disagree with no strict
    /// majority and no adjudication: left out of the labels.
    pub unresolved: Vec<String>,
}

/// The final labeled records of a decision file, one per article that holds at least one label,
/// in the order articles were first decided.
pub fn resolve(path: &Path) -> Result<Vec<Resolved>> {
    let (decisions, _) = read(path)?;
    Ok(resolve_decisions(&decisions))
}

/// [`resolve`] over decisions already read.
pub fn resolve_decisions(decisions: &[Decision]) -> Vec<Resolved> {
    let mut order: Vec<&str> = Vec::new();
    let mut by_id: HashMap<&str, Vec<&Decision>> = HashMap::new();
    for d in live(decisions) {
        if !matches!(d.meta.action, Action::Label | Action::Review) {
            continue;
        }
        let id = d.record.article.id.as_str();
        let e = by_id.entry(id).or_default();
        if e.is_empty() {
            order.push(id);
        }
        e.push(d);
    }
    order
        .into_iter()
        .filter_map(|id| resolve_article(&by_id[id]))
        .collect()
}

/// The final labels of one article from its live label and review decisions (in order): the
/// last review's, else a strict majority per question. None when nothing is left.
fn resolve_article(ds: &[&Decision]) -> Option<Resolved> {
    let audit = ds.iter().any(|d| d.meta.pick.audit);
    let strategy = ds[0].meta.pick.strategy.clone();
    if let Some(review) = ds.iter().rev().find(|d| d.meta.action == Action::Review) {
        let labels = &review.record;
        if labels.stance.is_empty() && labels.sentiment.is_none() {
            return None;
        }
        return Some(Resolved {
            record: labels.clone(),
            audit,
            strategy,
            annotators: vec![review.meta.annotator.clone()],
            decisions: vec![review.meta.seq],
            adjudicated: true,
            unresolved: Vec::new(),
        });
    }
    // Per question, the labels of the annotators who answered it; a strict majority wins.
    let mut questions: Vec<String> = Vec::new();
    let mut votes: HashMap<String, Vec<&str>> = HashMap::new();
    for d in ds {
        for (actor, label) in &d.record.stance {
            if !votes.contains_key(actor) {
                questions.push(actor.clone());
            }
            votes.entry(actor.clone()).or_default().push(label);
        }
    }
    let mut unresolved = Vec::new();
    let mut stance = Vec::new();
    for q in &questions {
        match majority(&votes[q]) {
            Some(l) => stance.push((q.clone(), l)),
            None => unresolved.push(q.clone()),
        }
    }
    let sent: Vec<&str> = ds
        .iter()
        .filter_map(|d| d.record.sentiment.as_deref())
        .collect();
    let sentiment = if sent.is_empty() {
        None
    } else {
        let m = majority(&sent);
        if m.is_none() {
            unresolved.push("sentiment".into());
        }
        m
    };
    if stance.is_empty() && sentiment.is_none() && unresolved.is_empty() {
        return None;
    }
    let mut record = ds.last().expect("non-empty").record.clone();
    record.stance = stance;
    record.sentiment = sentiment;
    let mut annotators: Vec<String> = Vec::new();
    for d in ds {
        if !annotators.contains(&d.meta.annotator) {
            annotators.push(d.meta.annotator.clone());
        }
    }
    Some(Resolved {
        record,
        audit,
        strategy,
        annotators,
        decisions: ds.iter().map(|d| d.meta.seq).collect(),
        adjudicated: false,
        unresolved,
    })
}

/// The label more than half of `votes` give, if there is one.
fn majority(votes: &[&str]) -> Option<String> {
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    votes.iter().for_each(|l| *count.entry(l).or_default() += 1);
    count
        .into_iter()
        .find(|(_, c)| 2 * c > votes.len())
        .map(|(l, _)| l.to_string())
}

/// Which resolved records come from the random audit stream: a uniform draw from the pool, so
/// the records to compute cross-validation reports, calibration and error rates from (actively
/// chosen articles are the hard ones, and over-represent them).
pub fn is_random_audit(r: &Resolved) -> bool {
    r.audit
}

/// The random-audit subset of resolved records, as labeled articles (for `stance eval`,
/// calibration, and the error rates `compare` corrects with).
pub fn audit_subset(resolved: &[Resolved]) -> Vec<LabeledArticle> {
    resolved
        .iter()
        .filter(|r| is_random_audit(r))
        .map(|r| r.record.clone())
        .collect()
}

/// The ids of the random-audit articles: to keep, of a cross-validation over every resolved
/// record, only the out-of-fold predictions of these (the models of the folds still learn from
/// the active picks; the score is read on the representative ones).
pub fn audit_ids(resolved: &[Resolved]) -> std::collections::HashSet<String> {
    resolved
        .iter()
        .filter(|r| is_random_audit(r))
        .map(|r| r.record.article.id.clone())
        .collect()
}

/// Is this file a decision file of `stance label` (its first record has a `label` object)?
/// For `stance train` / `eval` to call [`resolve`] instead of reading the lines one by one.
pub fn is_decision_log(path: &Path) -> bool {
    let Ok(f) = File::open(path) else {
        return false;
    };
    use std::io::BufRead;
    std::io::BufReader::new(f)
        .lines()
        .map_while(|l| l.ok())
        .find(|l| !l.trim().is_empty())
        .and_then(|l| serde_json::from_str::<Value>(&l).ok())
        .is_some_and(|v| v.get(META_KEY).is_some_and(Value::is_object))
}

/// Every resolved record as a labeled article (for training: active picks are fine to learn
/// from).
pub fn training_records(resolved: &[Resolved]) -> Vec<LabeledArticle> {
    resolved
        .iter()
        .filter(|r| !r.record.stance.is_empty() || r.record.sentiment.is_some())
        .map(|r| r.record.clone())
        .collect()
}

/// The resolved records in the format `stance train` reads, with a `label` summary object
/// (`annotators`, `audit`, `strategy`, `adjudicated`, `unresolved`).
pub fn export_line(r: &Resolved) -> String {
    let rec = &r.record;
    let mut obj = serde_json::Map::new();
    obj.insert("id".into(), rec.article.id.clone().into());
    let opt = |obj: &mut serde_json::Map<String, Value>, k: &str, v: &Option<String>| {
        if let Some(v) = v {
            obj.insert(k.into(), v.clone().into());
        }
    };
    opt(&mut obj, "source", &rec.article.source);
    opt(&mut obj, "date", &rec.article.date);
    opt(&mut obj, "title", &rec.article.title);
    obj.insert("text".into(), rec.article.text.clone().into());
    opt(&mut obj, "url", &rec.article.url);
    for (k, v) in &rec.extra {
        if !matches!(k.as_str(), "stance" | "sentiment" | META_KEY | "actor") {
            obj.insert(k.clone(), v.clone().into());
        }
    }
    let stance: serde_json::Map<String, Value> = rec
        .stance
        .iter()
        .map(|(a, l)| (a.clone(), Value::String(l.clone())))
        .collect();
    obj.insert("stance".into(), Value::Object(stance));
    opt(&mut obj, "sentiment", &rec.sentiment);
    obj.insert(
        META_KEY.into(),
        serde_json::json!({
            "annotators": r.annotators,
            "audit": r.audit,
            "strategy": r.strategy,
            "adjudicated": r.adjudicated,
            "unresolved": r.unresolved,
            "decisions": r.decisions,
        }),
    );
    let mut s = Value::Object(obj).to_string();
    s.push('\n');
    s
}

/// The time now, as `YYYY-MM-DDTHH:MM:SSZ` (UTC).
pub fn now_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    utc_of(secs)
}

/// Seconds since 1970 as an RFC 3339 UTC time (the civil-from-days algorithm).
pub fn utc_of(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_times() {
        assert_eq!(utc_of(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_of(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc_of(1_700_000_000), "2023-11-14T22:13:20Z");
    }
}
