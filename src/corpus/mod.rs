//! Articles and labels, and the readers for every input format: JSON Lines, CSV with a header,
//! plain-text files or folders of them (the seed format), each optionally gzip-compressed, and
//! `-` for standard input.
//!
//! Reading is streaming: [`open`] returns an iterator of [`Record`]s, one per input record, each
//! either an article or an error that names the file, line and field. Nothing is dropped
//! silently; blank lines in JSON Lines are not records.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// A news article.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Article {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl Article {
    pub fn new(id: impl Into<String>, text: impl Into<String>) -> Article {
        Article {
            id: id.into(),
            text: text.into(),
            ..Article::default()
        }
    }

    /// The `YYYY-MM` part of the date, when there is one.
    pub fn month(&self) -> Option<&str> {
        self.date.as_deref().and_then(|d| d.get(..7))
    }
}

/// An article with its hand labels: a stance label per actor, and optionally a sentiment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LabeledArticle {
    pub article: Article,
    /// (actor, label) pairs in the order they were read.
    pub stance: Vec<(String, String)>,
    pub sentiment: Option<String>,
    /// Any other fields of the record (for `--group-by`).
    pub extra: BTreeMap<String, String>,
    /// Where the record was read from: file and line.
    pub origin: Origin,
}

/// Where a record was read from: its file and 1-based line; shown as `file:line`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Origin {
    /// The file as it was named (`<stdin>` for standard input).
    pub file: String,
    /// The 1-based line where the record starts (1 for a text file).
    pub line: u64,
}

impl Origin {
    /// The origin `file:line`.
    pub fn new(file: impl Into<String>, line: u64) -> Origin {
        Origin {
            file: file.into(),
            line,
        }
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// The input formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InputFormat {
    Jsonl,
    Csv,
    Text,
}

/// Names of the fields (JSON keys or CSV columns) to read.
#[derive(Debug, Clone)]
pub struct Columns {
    pub id: String,
    pub text: String,
    pub source: String,
    pub date: String,
    pub title: String,
    pub actor: String,
    pub stance: String,
    pub sentiment: String,
}

impl Columns {
    /// A column this reader interprets itself (not one of the record's other fields).
    pub fn is_known(&self, name: &str) -> bool {
        name == "url"
            || [
                &self.id,
                &self.text,
                &self.source,
                &self.date,
                &self.title,
                &self.actor,
                &self.stance,
                &self.sentiment,
            ]
            .iter()
            .any(|c| c.as_str() == name)
    }
}

impl Default for Columns {
    fn default() -> Self {
        Columns {
            id: "id".into(),
            text: "text".into(),
            source: "source".into(),
            date: "date".into(),
            title: "title".into(),
            actor: "actor".into(),
            stance: "stance".into(),
            sentiment: "sentiment".into(),
        }
    }
}

/// How to read input.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// The format; by default chosen from the file name (`.jsonl`, `.csv`, `.txt`, a folder),
    /// and JSON Lines for standard input.
    pub format: Option<InputFormat>,
    pub columns: Columns,
    /// The source to give articles that have none (for text files: the folder name otherwise).
    pub source: Option<String>,
    /// Longest accepted record, in bytes; a longer one is an error record.
    pub max_bytes: usize,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            format: None,
            columns: Columns::default(),
            source: None,
            max_bytes: 5 * 1024 * 1024,
        }
    }
}

/// One input record: an article with any labels, or what is wrong with it.
#[derive(Debug)]
pub struct Record {
    pub file: String,
    /// 1-based line of the record (for text files, 1).
    pub line: u64,
    /// The record's id when it can be read, even from a record that failed (a JSON object
    /// with a bad `text`, a CSV row with a bad field, a text file that cannot be read).
    pub id: Option<String>,
    pub item: Result<LabeledArticle>,
}

type RecordIter = Box<dyn Iterator<Item = Record> + Send>;
type PendingIter = Box<dyn Iterator<Item = Pending> + Send>;

/// Opens one input (a file, a folder of text files, or `-`) as a stream of records.
pub fn open(path: &str, opts: &ReadOptions) -> Result<RecordIter> {
    Ok(Box::new(open_pending(path, opts)?.map(Pending::parse)))
}

/// Like [`open`], leaving the parsing of each record to the caller ([`Pending::parse`]).
pub fn open_pending(path: &str, opts: &ReadOptions) -> Result<PendingIter> {
    let p = Path::new(path);
    if path != "-" && p.is_dir() {
        return Ok(Box::new(
            open_text_dir(p, opts)?.map(|r| Pending::Ready(Box::new(r))),
        ));
    }
    let format = opts.format.unwrap_or_else(|| format_of(path));
    let reader = open_reader(path)?;
    let name = if path == "-" {
        "<stdin>".to_string()
    } else {
        path.to_string()
    };
    Ok(match format {
        InputFormat::Jsonl => Box::new(JsonlReader {
            file: name,
            reader,
            line: 0,
            opts: std::sync::Arc::new(opts.clone()),
            buf: Vec::new(),
        }),
        InputFormat::Csv => {
            Box::new(open_csv(name, reader, opts).map(|r| Pending::Ready(Box::new(r))))
        }
        InputFormat::Text => {
            let source = opts.source.clone().or_else(|| folder_name(p));
            let id = text_id(p);
            Box::new(std::iter::once(Pending::Ready(Box::new(read_text_record(
                name,
                reader,
                id,
                source,
                opts.max_bytes,
            )))))
        }
    })
}

/// The format a file name implies (`.gz` looked through).
pub fn format_of(path: &str) -> InputFormat {
    let base = path.strip_suffix(".gz").unwrap_or(path);
    let ext = Path::new(base)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "csv" | "tsv" => InputFormat::Csv,
        "txt" | "text" => InputFormat::Text,
        _ => InputFormat::Jsonl,
    }
}

fn open_reader(path: &str) -> Result<Box<dyn BufRead + Send>> {
    let raw: Box<dyn Read + Send> = if path == "-" {
        Box::new(std::io::stdin())
    } else {
        Box::new(File::open(path).map_err(|e| Error::io(Path::new(path), e))?)
    };
    if path.ends_with(".gz") {
        Ok(Box::new(BufReader::with_capacity(
            1 << 16,
            flate2::read::MultiGzDecoder::new(raw),
        )))
    } else {
        Ok(Box::new(BufReader::with_capacity(1 << 16, raw)))
    }
}

fn folder_name(p: &Path) -> Option<String> {
    p.parent()
        .and_then(|d| d.file_name())
        .and_then(|n| n.to_str())
        .map(str::to_string)
}

fn text_id(p: &Path) -> String {
    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("stdin");
    let name = name.strip_suffix(".gz").unwrap_or(name);
    Path::new(name)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or(name)
        .to_string()
}

fn open_text_dir(dir: &Path, opts: &ReadOptions) -> Result<RecordIter> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .filter(|p| {
            !p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'))
        })
        .collect();
    files.sort();
    let source = opts.source.clone().or_else(|| {
        dir.canonicalize()
            .ok()
            .and_then(|d| d.file_name().and_then(|n| n.to_str()).map(str::to_string))
    });
    let max = opts.max_bytes;
    Ok(Box::new(files.into_iter().map(move |p| {
        let name = p.display().to_string();
        match open_reader(&name) {
            Ok(r) => read_text_record(name, r, text_id(&p), source.clone(), max),
            Err(e) => Record {
                file: name,
                line: 1,
                id: Some(text_id(&p)),
                item: Err(e),
            },
        }
    })))
}

/// Reads a text file in the seed format: optional leading white space, an optional
/// `date YYYY-MM-DD` opening, then the body.
fn read_text_record(
    file: String,
    mut reader: Box<dyn BufRead + Send>,
    id: String,
    source: Option<String>,
    max_bytes: usize,
) -> Record {
    let mut bytes = Vec::new();
    let limit = max_bytes as u64 + 1;
    let item = match reader.by_ref().take(limit).read_to_end(&mut bytes) {
        Err(e) => Err(Error::io(Path::new(&file), e)),
        Ok(_) if bytes.len() > max_bytes => Err(Error::input(
            &file,
            Some(1),
            Some("text"),
            format!("the article is longer than --max-bytes ({max_bytes} bytes)"),
        )),
        Ok(_) => match String::from_utf8(strip_bom(bytes)) {
            Err(e) => Err(Error::input(
                &file,
                Some(1 + line_of(e.as_bytes(), e.utf8_error().valid_up_to())),
                Some("text"),
                format!("invalid UTF-8 at byte {}", e.utf8_error().valid_up_to()),
            )),
            Ok(s) => {
                let (date, body) = split_date_opening(&s);
                if body.trim().is_empty() {
                    Err(Error::input(
                        &file,
                        Some(1),
                        Some("text"),
                        "the text is empty",
                    ))
                } else {
                    Ok(LabeledArticle {
                        article: Article {
                            id: id.clone(),
                            source,
                            date,
                            title: None,
                            text: body.to_string(),
                            url: None,
                        },
                        origin: Origin::new(file.clone(), 1),
                        ..LabeledArticle::default()
                    })
                }
            }
        },
    };
    Record {
        file,
        line: 1,
        id: Some(id),
        item,
    }
}

fn line_of(bytes: &[u8], at: usize) -> u64 {
    bytes[..at].iter().filter(|&&b| b == b'\n').count() as u64
}

fn strip_bom(mut b: Vec<u8>) -> Vec<u8> {
    if b.starts_with(&[0xEF, 0xBB, 0xBF]) {
        b.drain(..3);
    }
    b
}

/// Splits the `date YYYY-MM-DD` opening of the seed format from the body.
pub fn split_date_opening(s: &str) -> (Option<String>, &str) {
    let t = s.trim_start();
    if let Some(rest) = t.strip_prefix("date ") {
        let rest = rest.trim_start();
        if let Some(d) = rest.get(..10).filter(|d| is_date(d)) {
            return (Some(d.to_string()), rest[10..].trim_start());
        }
    }
    (None, t)
}

/// `YYYY-MM-DD` with plausible month and day.
pub fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(|c| c.is_ascii_digit());
    if !(digits(0..4) && digits(5..7) && digits(8..10)) {
        return false;
    }
    let year: u32 = s[..4].parse().unwrap_or(0);
    let month: u32 = s[5..7].parse().unwrap_or(0);
    let day: u32 = s[8..10].parse().unwrap_or(0);
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

/// A date field: `YYYY-MM-DD`, optionally followed by a time (`T` or a space, then digits,
/// `:`, `.`, a zone `Z` or `±hh:mm`), as news APIs give it.
pub fn is_date_field(s: &str) -> bool {
    let Some(day) = s.get(..10) else {
        return false;
    };
    if !is_date(day) {
        return false;
    }
    let rest = &s[10..];
    match rest.as_bytes().first() {
        None => true,
        Some(b'T') | Some(b' ') => {
            rest.len() > 1
                && rest[1..]
                    .bytes()
                    .all(|b| b.is_ascii_digit() || matches!(b, b':' | b'.' | b'Z' | b'+' | b'-'))
        }
        _ => false,
    }
}

struct JsonlReader {
    file: String,
    reader: Box<dyn BufRead + Send>,
    line: u64,
    opts: std::sync::Arc<ReadOptions>,
    buf: Vec<u8>,
}

/// Reads one line into `buf` (without its line end), keeping at most `max` bytes; returns the
/// full length of the line, or None at the end of input. A longer line is consumed but not
/// stored, so a 1 GB line costs `max` bytes of memory.
fn read_line_capped(
    r: &mut dyn BufRead,
    buf: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<Option<usize>> {
    buf.clear();
    let mut total = 0usize;
    let mut any = false;
    loop {
        let chunk = match r.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            break;
        }
        any = true;
        // A line ends at \n, \r\n or a bare \r (old Mac files).
        let (part, done) = match chunk.iter().position(|&b| b == b'\n' || b == b'\r') {
            Some(i) => (&chunk[..i], Some((i + 1, chunk[i] == b'\r'))),
            None => (chunk, None),
        };
        if buf.len() < max + 1 {
            let room = max + 1 - buf.len();
            buf.extend_from_slice(&part[..part.len().min(room)]);
        }
        total += part.len();
        let used = done.map_or(chunk.len(), |d| d.0);
        r.consume(used);
        if let Some((_, cr)) = done {
            if cr {
                // Swallow the \n of a \r\n pair, even across a buffer boundary.
                loop {
                    match r.fill_buf() {
                        Ok(next) => {
                            if next.first() == Some(&b'\n') {
                                r.consume(1);
                            }
                            break;
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(e),
                    }
                }
            }
            break;
        }
    }
    if !any {
        return Ok(None);
    }
    Ok(Some(total))
}

impl Iterator for JsonlReader {
    type Item = Pending;

    fn next(&mut self) -> Option<Pending> {
        loop {
            self.line += 1;
            let len = match read_line_capped(&mut self.reader, &mut self.buf, self.opts.max_bytes) {
                Ok(None) => return None,
                Ok(Some(n)) => n,
                Err(e) => {
                    // An unreadable stream ends the input after this record.
                    let rec = Record {
                        file: self.file.clone(),
                        line: self.line,
                        id: None,
                        item: Err(Error::io(Path::new(&self.file), e)),
                    };
                    self.reader = Box::new(std::io::empty());
                    return Some(Pending::Ready(Box::new(rec)));
                }
            };
            let line = self.line;
            if len > self.opts.max_bytes {
                let message = format!(
                    "the record is {len} bytes, longer than --max-bytes ({})",
                    self.opts.max_bytes
                );
                return Some(Pending::Ready(Box::new(Record {
                    file: self.file.clone(),
                    line,
                    id: None,
                    item: Err(Error::input(&self.file, Some(line), None, message)),
                })));
            }
            let mut bytes: &[u8] = &self.buf;
            if line == 1 && bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
                bytes = &bytes[3..];
            }
            if bytes.iter().all(|b| b.is_ascii_whitespace()) {
                continue;
            }
            return Some(Pending::Json {
                file: self.file.clone(),
                line,
                bytes: bytes.to_vec(),
                opts: self.opts.clone(),
            });
        }
    }
}

/// A record read but not yet parsed, so that parsing (JSON is the costly part) can run on
/// worker threads while the reader goes on; [`Pending::parse`] turns it into a [`Record`].
pub enum Pending {
    Ready(Box<Record>),
    Json {
        file: String,
        line: u64,
        bytes: Vec<u8>,
        opts: std::sync::Arc<ReadOptions>,
    },
}

impl Pending {
    /// The size of the raw record in bytes (0 when already parsed).
    pub fn raw_len(&self) -> usize {
        match self {
            Pending::Ready(_) => 0,
            Pending::Json { bytes, .. } => bytes.len(),
        }
    }

    pub fn parse(self) -> Record {
        let (file, line, bytes, opts) = match self {
            Pending::Ready(r) => return *r,
            Pending::Json {
                file,
                line,
                bytes,
                opts,
            } => (file, line, bytes, opts),
        };
        let mut id = None;
        let item = match std::str::from_utf8(&bytes) {
            Err(e) => Err(Error::input(
                &file,
                Some(line),
                None,
                format!(
                    "invalid UTF-8 at byte {} of the line (the file must be UTF-8)",
                    e.valid_up_to()
                ),
            )),
            Ok(text) => match serde_json::from_str::<Value>(text) {
                Err(e) => Err(Error::input(
                    &file,
                    Some(line),
                    None,
                    format!("malformed JSON at column {}: {e}", e.column()),
                )),
                Ok(value) => {
                    id = match value.get(&opts.columns.id) {
                        Some(Value::String(s)) => Some(s.clone()),
                        Some(Value::Number(n)) => Some(n.to_string()),
                        _ => None,
                    };
                    labeled_from_json(value, &file, line, &opts)
                }
            },
        };
        Record {
            file,
            line,
            id,
            item,
        }
    }
}

fn json_str(
    obj: &serde_json::Map<String, Value>,
    key: &str,
    file: &str,
    line: u64,
) -> Result<Option<String>> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) if key != "text" => Ok(Some(n.to_string())),
        Some(other) => Err(Error::input(
            file,
            Some(line),
            Some(key),
            format!("expected a string, found {}", kind_of(other)),
        )),
    }
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

fn labeled_from_json(
    value: Value,
    file: &str,
    line: u64,
    opts: &ReadOptions,
) -> Result<LabeledArticle> {
    let c = &opts.columns;
    let Value::Object(obj) = value else {
        return Err(Error::input(
            file,
            Some(line),
            None,
            format!("expected a JSON object, found {}", kind_of(&value)),
        ));
    };
    let text = json_str(&obj, &c.text, file, line)?.ok_or_else(|| {
        Error::input(
            file,
            Some(line),
            Some(&c.text),
            "missing (every record needs a text)",
        )
    })?;
    let id = json_str(&obj, &c.id, file, line)?.unwrap_or_else(|| default_id(file, line));
    let source = json_str(&obj, &c.source, file, line)?.or_else(|| opts.source.clone());
    let date = json_str(&obj, &c.date, file, line)?;
    let title = json_str(&obj, &c.title, file, line)?;
    let url = json_str(&obj, "url", file, line)?;
    let mut stance = Vec::new();
    match obj.get(&c.stance) {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => {
            for (actor, label) in m {
                match label {
                    Value::String(l) => stance.push((actor.clone(), l.clone())),
                    Value::Null => {}
                    other => {
                        return Err(Error::input(
                            file,
                            Some(line),
                            Some(&format!("{}.{}", c.stance, actor)),
                            format!("expected a label string, found {}", kind_of(other)),
                        ))
                    }
                }
            }
        }
        Some(Value::String(l)) => {
            // Long form: one row per article and actor.
            let actor = json_str(&obj, &c.actor, file, line)?.ok_or_else(|| {
                Error::input(
                    file,
                    Some(line),
                    Some(&c.actor),
                    format!(
                        "missing: a \"{}\" given as a single label needs the actor it is about",
                        c.stance
                    ),
                )
            })?;
            stance.push((actor, l.clone()));
        }
        Some(other) => {
            return Err(Error::input(
                file,
                Some(line),
                Some(&c.stance),
                format!(
                    "expected an object {{actor: label}} or a label string, found {}",
                    kind_of(other)
                ),
            ))
        }
    }
    let sentiment = json_str(&obj, &c.sentiment, file, line)?;
    let mut extra = BTreeMap::new();
    for (k, v) in &obj {
        if c.is_known(k) {
            continue;
        }
        match v {
            Value::String(s) => extra.insert(k.clone(), s.clone()),
            Value::Number(n) => extra.insert(k.clone(), n.to_string()),
            Value::Bool(b) => extra.insert(k.clone(), b.to_string()),
            _ => None,
        };
    }
    let article = Article {
        id,
        source,
        date,
        title,
        text,
        url,
    };
    check_article(&article, file, line, c)?;
    Ok(LabeledArticle {
        article,
        stance,
        sentiment,
        extra,
        origin: Origin::new(file, line),
    })
}

fn default_id(file: &str, line: u64) -> String {
    let base = Path::new(file)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(file);
    format!("{base}:{line}")
}

fn check_article(a: &Article, file: &str, line: u64, c: &Columns) -> Result<()> {
    if a.text.trim().is_empty() {
        return Err(Error::input(
            file,
            Some(line),
            Some(&c.text),
            "the text is empty",
        ));
    }
    if let Some(d) = &a.date {
        if !is_date_field(d) {
            return Err(Error::input(
                file,
                Some(line),
                Some(&c.date),
                format!("expected a date YYYY-MM-DD (optionally with a time), found \"{d}\""),
            ));
        }
    }
    Ok(())
}

fn open_csv(file: String, reader: Box<dyn BufRead + Send>, opts: &ReadOptions) -> RecordIter {
    let delimiter = if file.trim_end_matches(".gz").ends_with(".tsv") {
        b'\t'
    } else {
        b','
    };
    let quotes = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(false)
        .from_reader(QuoteCount {
            inner: reader,
            quotes: quotes.clone(),
            after_cr: false,
            in_quotes: false,
        });
    let headers = match rdr.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            return Box::new(std::iter::once(Record {
                file: file.clone(),
                line: 1,
                id: None,
                item: Err(Error::input(
                    &file,
                    Some(1),
                    None,
                    format!("bad CSV header: {e}"),
                )),
            }))
        }
    };
    let mut names: Vec<String> = headers.iter().map(str::to_string).collect();
    if let Some(first) = names.first_mut() {
        if let Some(s) = first.strip_prefix('\u{feff}') {
            *first = s.to_string();
        }
    }
    let col = |n: &str| names.iter().position(|h| h == n);
    let c = &opts.columns;
    let Some(text_col) = col(&c.text) else {
        return Box::new(std::iter::once(Record {
            file: file.clone(),
            line: 1,
            id: None,
            item: Err(Error::input(
                &file,
                Some(1),
                Some(&c.text),
                format!(
                    "the header has no \"{}\" column (columns: {}); name the text column with --text-col",
                    c.text,
                    names.join(", ")
                ),
            )),
        }));
    };
    let cols = CsvCols {
        id: col(&c.id),
        text: text_col,
        source: col(&c.source),
        date: col(&c.date),
        title: col(&c.title),
        actor: col(&c.actor),
        stance: col(&c.stance),
        sentiment: col(&c.sentiment),
    };
    let opts = opts.clone();
    let mut last_line = 1u64;
    let mut done = false;
    // One record of lookahead: only when the next read finds the end can a quote left open in
    // the last record be told apart.
    let mut ahead: Option<(csv::Result<bool>, csv::StringRecord, u64)> = None;
    Box::new(std::iter::from_fn(move || {
        if done {
            return None;
        }
        let (res, record, line) = match ahead.take() {
            Some(a) => a,
            None => {
                let mut r = csv::StringRecord::new();
                let res = rdr.read_record(&mut r);
                (res, r, rdr.position().line())
            }
        };
        let line = line.max(last_line + 1);
        let at_end = if matches!(res, Ok(true)) {
            let mut r = csv::StringRecord::new();
            let next = rdr.read_record(&mut r);
            let end = matches!(next, Ok(false));
            ahead = Some((next, r, rdr.position().line()));
            end
        } else {
            false
        };
        match res {
            Ok(false) => {
                done = true;
                None
            }
            Ok(true) => {
                let line = record.position().map_or(line, |p| p.line());
                last_line = line;
                // The csv crate ends a quoted field left open at the end of the file there; an
                // odd number of quote characters in the whole input says that is what happened.
                let unclosed = at_end && quotes.load(std::sync::atomic::Ordering::Relaxed) % 2 == 1;
                let item = if unclosed {
                    Err(Error::input(
                        &file,
                        Some(line),
                        None,
                        "a quoted field opened in this row is never closed (unbalanced quote)",
                    ))
                } else {
                    labeled_from_csv(&record, &cols, &names, &file, line, &opts)
                };
                let id = cols
                    .id
                    .and_then(|i| record.get(i))
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string);
                Some(Record {
                    file: file.clone(),
                    line,
                    id,
                    item,
                })
            }
            Err(e) => {
                let line = match e.kind() {
                    csv::ErrorKind::UnequalLengths { pos: Some(p), .. } => p.line(),
                    csv::ErrorKind::Utf8 { pos: Some(p), .. } => p.line(),
                    _ => line,
                };
                last_line = line;
                let mut field = None;
                let msg = match e.kind() {
                    csv::ErrorKind::UnequalLengths {
                        expected_len, len, ..
                    } => format!("the row has {len} fields, the header has {expected_len}"),
                    csv::ErrorKind::Utf8 { err, .. } => {
                        field = names.get(err.field()).cloned();
                        format!(
                            "invalid UTF-8 in column {} (the file must be UTF-8)",
                            err.field() + 1
                        )
                    }
                    csv::ErrorKind::Io(_) => {
                        done = true;
                        format!("read error: {e}")
                    }
                    _ => format!("bad CSV: {e}"),
                };
                Some(Record {
                    file: file.clone(),
                    line,
                    id: None,
                    item: Err(Error::input(&file, Some(line), field.as_deref(), msg)),
                })
            }
        }
    }))
}

/// What the CSV parser reads: line ends between records folded to `\n` (`\r\n` and a bare
/// `\r` alike, so the parser's line numbers match the file's; quoted fields are left as they
/// are), and the quote characters counted.
struct QuoteCount {
    inner: Box<dyn BufRead + Send>,
    quotes: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// A `\r` ended the previous read; a `\n` at the start of this one belongs to it.
    after_cr: bool,
    /// Inside a quoted field (an odd number of quotes so far; `""` toggles twice).
    in_quotes: bool,
}

impl Read for QuoteCount {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let n = self.inner.read(buf)?;
            let mut w = 0;
            let mut q = 0;
            for r in 0..n {
                let b = buf[r];
                if std::mem::take(&mut self.after_cr) && b == b'\n' {
                    continue;
                }
                if b == b'\r' && !self.in_quotes {
                    self.after_cr = true;
                    buf[w] = b'\n';
                } else {
                    if b == b'"' {
                        q += 1;
                        self.in_quotes = !self.in_quotes;
                    }
                    buf[w] = b;
                }
                w += 1;
            }
            self.quotes
                .fetch_add(q, std::sync::atomic::Ordering::Relaxed);
            // A read of only the \n of a \r\n pair gives nothing: read on, since 0 means the end.
            if w > 0 || n == 0 {
                return Ok(w);
            }
        }
    }
}

struct CsvCols {
    id: Option<usize>,
    text: usize,
    source: Option<usize>,
    date: Option<usize>,
    title: Option<usize>,
    actor: Option<usize>,
    stance: Option<usize>,
    sentiment: Option<usize>,
}

fn labeled_from_csv(
    r: &csv::StringRecord,
    cols: &CsvCols,
    names: &[String],
    file: &str,
    line: u64,
    opts: &ReadOptions,
) -> Result<LabeledArticle> {
    let get = |i: Option<usize>| {
        i.and_then(|i| r.get(i))
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    if r.as_byte_record().as_slice().len() > opts.max_bytes {
        return Err(Error::input(
            file,
            Some(line),
            None,
            format!("the record is longer than --max-bytes ({})", opts.max_bytes),
        ));
    }
    let article = Article {
        id: get(cols.id).unwrap_or_else(|| default_id(file, line)),
        source: get(cols.source).or_else(|| opts.source.clone()),
        date: get(cols.date),
        title: get(cols.title),
        text: r.get(cols.text).unwrap_or("").to_string(),
        url: None,
    };
    check_article(&article, file, line, &opts.columns)?;
    let mut stance = Vec::new();
    if let (Some(label), Some(_)) = (get(cols.stance), cols.stance) {
        let actor = get(cols.actor).ok_or_else(|| {
            Error::input(
                file,
                Some(line),
                Some(&opts.columns.actor),
                "missing: a stance label needs the actor it is about",
            )
        })?;
        stance.push((actor, label));
    }
    let mut extra = BTreeMap::new();
    for (i, n) in names.iter().enumerate() {
        if opts.columns.is_known(n) {
            continue;
        }
        if let Some(v) = r.get(i).filter(|v| !v.is_empty()) {
            extra.insert(n.clone(), v.to_string());
        }
    }
    Ok(LabeledArticle {
        article,
        stance,
        sentiment: get(cols.sentiment),
        extra,
        origin: Origin::new(file, line),
    })
}

/// Reads every input fully and merges long-form rows (one per article and actor) into one
/// labeled article per id. Returns the articles in first-seen order and every bad record.
/// Rows of one id must agree on the text.
pub fn read_labeled(
    paths: &[String],
    opts: &ReadOptions,
) -> Result<(Vec<LabeledArticle>, Vec<Error>)> {
    let mut out: Vec<LabeledArticle> = Vec::new();
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut errors = Vec::new();
    for p in paths {
        for rec in open(p, opts)? {
            match rec.item {
                Err(e) => errors.push(e),
                Ok(a) => match index.get(&a.article.id) {
                    None => {
                        index.insert(a.article.id.clone(), out.len());
                        out.push(a);
                    }
                    Some(&i) => {
                        let prev = &mut out[i];
                        if prev.article.text != a.article.text {
                            errors.push(Error::input(
                                &rec.file,
                                Some(rec.line),
                                Some(&opts.columns.id),
                                format!(
                                    "id \"{}\" was already used at {}:{} for a different text",
                                    a.article.id, prev.origin.file, prev.origin.line
                                ),
                            ));
                            continue;
                        }
                        for (actor, label) in a.stance {
                            if let Some((_, l)) = prev.stance.iter().find(|(x, _)| *x == actor) {
                                if *l != label {
                                    errors.push(Error::input(
                                        &rec.file,
                                        Some(rec.line),
                                        Some(&opts.columns.stance),
                                        format!(
                                            "article \"{}\" labels \"{actor}\" both \"{l}\" and \"{label}\"",
                                            a.article.id
                                        ),
                                    ));
                                }
                            } else {
                                prev.stance.push((actor, label));
                            }
                        }
                        if prev.sentiment.is_none() {
                            prev.sentiment = a.sentiment;
                        }
                    }
                },
            }
        }
    }
    Ok((out, errors))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn capped_line_reader_keeps_memory_bounded_and_reports_length() {
        let data = format!("{}\nshort\r\nold\rmac\r\rlast", "x".repeat(100));
        let mut r = Cursor::new(data.into_bytes());
        let mut buf = Vec::new();
        assert_eq!(read_line_capped(&mut r, &mut buf, 10).unwrap(), Some(100));
        assert_eq!(buf.len(), 11);
        assert_eq!(read_line_capped(&mut r, &mut buf, 10).unwrap(), Some(5));
        assert_eq!(buf, b"short");
        assert_eq!(read_line_capped(&mut r, &mut buf, 10).unwrap(), Some(3));
        assert_eq!(buf, b"old");
        assert_eq!(read_line_capped(&mut r, &mut buf, 10).unwrap(), Some(3));
        assert_eq!(read_line_capped(&mut r, &mut buf, 10).unwrap(), Some(0));
        assert_eq!(read_line_capped(&mut r, &mut buf, 10).unwrap(), Some(4));
        assert_eq!(read_line_capped(&mut r, &mut buf, 10).unwrap(), None);
    }

    #[test]
    fn date_opening_of_the_seed_format() {
        let (d, body) = split_date_opening(" date 2023-10-29 Hamas called Russia");
        assert_eq!(d.as_deref(), Some("2023-10-29"));
        assert_eq!(body, "Hamas called Russia");
        let (d, body) = split_date_opening("dated text");
        assert_eq!(d, None);
        assert_eq!(body, "dated text");
        // A multi-byte character where the date would end is no date, and no panic.
        let (d, _) = split_date_opening("date 2023-10-2é rest");
        assert_eq!(d, None);
        assert!(!is_date("2023-13-01"));
        assert!(!is_date("2023-02-29") && is_date("2024-02-29") && !is_date("2100-02-29"));
        assert!(!is_date("2024-04-31") && is_date("2024-12-31"));
        assert!(is_date_field("2024-01-01") && is_date_field("2024-01-01T10:00:00Z"));
        assert!(is_date_field("2024-01-01 10:00:00+02:00"));
        assert!(!is_date_field("2024-01-01xyz") && !is_date_field("2024-01-0é"));
    }

    #[test]
    fn format_from_extension() {
        assert_eq!(format_of("a.csv.gz"), InputFormat::Csv);
        assert_eq!(format_of("a.jsonl"), InputFormat::Jsonl);
        assert_eq!(format_of("a.txt"), InputFormat::Text);
        assert_eq!(format_of("-"), InputFormat::Jsonl);
    }
}
