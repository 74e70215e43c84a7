//! Articles and labels, and the readers for every input format: JSON Lines, CSV with a header,
//! plain-text files or folders of them (the seed format), each optionally gzip-compressed, and
//! `-` for standard input.
//!
//! Reading is streaming: [`open`] returns an iterator of [`Record`]s, one per input record, each
//! either an article or an error that names the file, line and field. Nothing is dropped
//! silently; blank lines in JSON Lines are not records.
//!
//! Where things are: this file holds the types and picks the reader; `fields.rs` is the one
//! mapping from a record's named fields to an article, shared by JSON Lines (`jsonl.rs`: the
//! capped line reader, the JSON parse) and CSV (`csv.rs`: the byte layer beneath the csv
//! crate, the rows); `text.rs` reads plain-text files and folders; `date.rs` says what a date
//! is.

mod csv;
mod date;
mod fields;
mod jsonl;
mod text;

pub use date::{is_date, is_date_field};
pub use fields::text_id;
pub use text::split_date_opening;

pub(crate) use self::csv::CsvInput;
pub(crate) use jsonl::read_line_capped;

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;

/// A news article.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Article {
    /// The article's id (derived from the text when the record has none, [`text_id`]; a text
    /// file's name).
    pub id: String,
    /// The outlet that published it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The publication date, `YYYY-MM-DD` optionally followed by a time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// The headline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The body text (never blank in an article a reader gives out).
    pub text: String,
    /// Where the article was published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl Article {
    /// An article with only an id and a text.
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
    /// The article.
    pub article: Article,
    /// (actor, label) pairs in the order they were read.
    pub stance: Vec<(String, String)>,
    /// The sentiment label, if the record has one.
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
    /// JSON Lines: one object per line.
    Jsonl,
    /// CSV with a header row (tab-separated for `.tsv` files).
    Csv,
    /// A plain-text article per file, optionally opening with `date YYYY-MM-DD`.
    Text,
}

/// Names of the fields (JSON keys or CSV columns) to read.
#[derive(Debug, Clone)]
pub struct Columns {
    /// The article id (`id`).
    pub id: String,
    /// The text, the one field every record needs (`text`).
    pub text: String,
    /// The outlet (`source`).
    pub source: String,
    /// The publication date (`date`).
    pub date: String,
    /// The headline (`title`).
    pub title: String,
    /// The actor a long-form stance label is about (`actor`).
    pub actor: String,
    /// The stance: an object `{actor: label}`, or one label in the long form (`stance`).
    pub stance: String,
    /// The sentiment label (`sentiment`).
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
    /// The names of the fields to read.
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
    /// The file it was read from (`<stdin>` for standard input).
    pub file: String,
    /// 1-based line of the record (for text files, 1).
    pub line: u64,
    /// The record's id when it can be read, even from a record that failed (a JSON object
    /// with a bad `text`, a CSV row with a bad field, a text file that cannot be read).
    pub id: Option<String>,
    /// The labeled article, or what is wrong with the record.
    pub item: Result<LabeledArticle>,
}

/// A record read but not yet parsed, so that parsing (JSON is the costly part) can run on
/// worker threads while the reader goes on; [`Pending::parse`] turns it into a [`Record`].
#[derive(Debug)]
pub struct Pending(Unparsed);

#[derive(Debug)]
enum Unparsed {
    /// Parsed already (CSV rows, text files, records that failed while being read).
    Ready(Box<Record>),
    /// A JSON Lines record: the line's bytes.
    Json {
        file: String,
        line: u64,
        bytes: Vec<u8>,
        opts: Arc<ReadOptions>,
    },
}

impl Pending {
    pub(crate) fn ready(record: Record) -> Pending {
        Pending(Unparsed::Ready(Box::new(record)))
    }

    /// A record given as the bytes of one JSON object (as a line of JSON Lines would hold it),
    /// to be read with `opts` when [`Pending::parse`] is called; `file` and `line` name it in
    /// errors. How the Python package hands records to the reader.
    pub fn json(file: String, line: u64, bytes: Vec<u8>, opts: Arc<ReadOptions>) -> Pending {
        Pending(Unparsed::Json {
            file,
            line,
            bytes,
            opts,
        })
    }

    /// The size of the raw record in bytes (0 when already parsed).
    pub fn raw_len(&self) -> usize {
        match &self.0 {
            Unparsed::Ready(_) => 0,
            Unparsed::Json { bytes, .. } => bytes.len(),
        }
    }

    /// Parses the record.
    pub fn parse(self) -> Record {
        match self.0 {
            Unparsed::Ready(r) => *r,
            Unparsed::Json {
                file,
                line,
                bytes,
                opts,
            } => jsonl::parse(file, line, &bytes, &opts),
        }
    }
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
        return Ok(Box::new(text::open_dir(p, opts)?.map(Pending::ready)));
    }
    let format = opts.format.unwrap_or_else(|| format_of(path));
    let reader = open_reader(path)?;
    let name = if path == "-" {
        "<stdin>".to_string()
    } else {
        path.to_string()
    };
    Ok(open_stream(&name, reader, format, opts))
}

/// The records of `format` read from any stream (a socket, a decompressor, a generator),
/// named `name` in messages (and, for a text file, giving its id), with the same bounds as a
/// file: no record takes more than `opts.max_bytes` of memory, however long the stream's are.
pub fn open_stream(
    name: &str,
    reader: Box<dyn BufRead + Send>,
    format: InputFormat,
    opts: &ReadOptions,
) -> PendingIter {
    let name = name.to_string();
    match format {
        InputFormat::Jsonl => Box::new(jsonl::JsonlReader::new(name, reader, opts)),
        InputFormat::Csv => Box::new(self::csv::open(name, reader, opts).map(Pending::ready)),
        InputFormat::Text => {
            let p = Path::new(&name).to_path_buf();
            Box::new(std::iter::once(Pending::ready(text::open_file(
                &p, name, reader, opts,
            ))))
        }
    }
}

/// The format a file name implies (`.gz` looked through): `.csv` and `.tsv` are CSV, `.txt`
/// and `.text` plain text, anything else JSON Lines.
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

/// The bytes of `path` (`-`: standard input), decompressed if the name ends in `.gz`.
fn open_reader(path: &str) -> Result<Box<dyn BufRead + Send>> {
    let raw: Box<dyn Read + Send> = if path == "-" {
        Box::new(std::io::stdin())
    } else {
        Box::new(File::open(path).map_err(|e| Error::io(Path::new(path), e))?)
    };
    if path.ends_with(".gz") {
        Ok(Box::new(BufReader::with_capacity(
            1 << 16,
            Gunzip(flate2::read::MultiGzDecoder::new(raw)),
        )))
    } else {
        Ok(Box::new(BufReader::with_capacity(1 << 16, raw)))
    }
}

/// A gzip decoder whose errors say what they mean: the decoder's own ("incomplete deflate
/// stream", "unexpected end of file") do not say that the file is cut short.
struct Gunzip<R>(flate2::read::MultiGzDecoder<R>);

impl<R: Read> Read for Gunzip<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(buf).map_err(|e| {
            let msg = e.to_string();
            let what = if e.kind() == std::io::ErrorKind::UnexpectedEof
                || msg.contains("incomplete")
                || msg.contains("end of file")
            {
                "truncated gzip data: the compressed stream ends before its end marker (was the file cut short?)"
            } else {
                "damaged gzip data (not gzip, or corrupted)"
            };
            std::io::Error::new(e.kind(), format!("{what}: {msg}"))
        })
    }
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
                    Some(&i) => merge(&mut out[i], a, &rec.file, rec.line, opts, &mut errors),
                },
            }
        }
    }
    Ok((out, errors))
}

/// Merges the labels of `a`, read at `file:line`, into `prev`, the article first read with the
/// same id; a different text, or a different label for an actor, is an error.
fn merge(
    prev: &mut LabeledArticle,
    a: LabeledArticle,
    file: &str,
    line: u64,
    opts: &ReadOptions,
    errors: &mut Vec<Error>,
) {
    if prev.article.text != a.article.text {
        errors.push(Error::input(
            file,
            Some(line),
            Some(&opts.columns.id),
            format!(
                "id \"{}\" was already used at {} for a different text",
                a.article.id, prev.origin
            ),
        ));
        return;
    }
    for (actor, label) in a.stance {
        if let Some((_, l)) = prev.stance.iter().find(|(x, _)| *x == actor) {
            if *l != label {
                errors.push(Error::input(
                    file,
                    Some(line),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_from_extension() {
        assert_eq!(format_of("a.csv.gz"), InputFormat::Csv);
        assert_eq!(format_of("a.jsonl"), InputFormat::Jsonl);
        assert_eq!(format_of("a.txt"), InputFormat::Text);
        assert_eq!(format_of("-"), InputFormat::Jsonl);
    }

    #[test]
    fn origin_shows_as_file_colon_line() {
        assert_eq!(Origin::new("a.jsonl", 7).to_string(), "a.jsonl:7");
    }
}
