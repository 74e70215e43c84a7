//! CSV (or, for `.tsv` files, tab-separated values) with a header row: each row a record,
//! mapped to an article by the shared field mapping (an empty cell is no value).
//!
//! Three layers, from the bytes up: [`CsvInput`] sits beneath the csv crate and sees every
//! byte before it does (line ends, quote characters); the csv crate parses rows; [`CsvRecords`]
//! turns each row, or what is wrong with it, into a [`Record`].

use super::fields::{self, Field, Fields};
use super::{LabeledArticle, Origin, ReadOptions, Record, RecordIter};
use crate::error::{Error, Result};
use ::csv::{ErrorKind, Reader, ReaderBuilder, StringRecord};
use std::io::{BufRead, Read};

/// The records of a CSV input read from `reader`, named `file` in messages. A header that
/// cannot be read, or that lacks the text column, is one error record.
pub(crate) fn open(
    file: String,
    reader: Box<dyn BufRead + Send>,
    opts: &ReadOptions,
) -> RecordIter {
    let delimiter = if file.trim_end_matches(".gz").ends_with(".tsv") {
        b'\t'
    } else {
        b','
    };
    let mut rdr = ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(false)
        .from_reader(CsvInput::new(reader));
    match header(&mut rdr, &file, opts) {
        Err(e) => Box::new(std::iter::once(Record {
            file,
            line: 1,
            id: None,
            item: Err(e),
        })),
        Ok(names) => Box::new(CsvRecords {
            rdr,
            file,
            names,
            opts: opts.clone(),
            last_line: 1,
            done: false,
            ahead: None,
        }),
    }
}

/// The column names of the header (a byte order mark before the first left out), which must
/// name the text column.
fn header(rdr: &mut Reader<CsvInput>, file: &str, opts: &ReadOptions) -> Result<Vec<String>> {
    let headers = rdr
        .headers()
        .map_err(|e| Error::input(file, Some(1), None, format!("bad CSV header: {e}")))?;
    let mut names: Vec<String> = headers.iter().map(str::to_string).collect();
    if let Some(first) = names.first_mut() {
        if let Some(s) = first.strip_prefix('\u{feff}') {
            *first = s.to_string();
        }
    }
    let text = &opts.columns.text;
    if !names.iter().any(|n| n == text) {
        return Err(Error::input(
            file,
            Some(1),
            Some(text),
            format!(
                "the header has no \"{text}\" column (columns: {}); name the text column with --text-col",
                names.join(", ")
            ),
        ));
    }
    Ok(names)
}

/// What the CSV parser reads: line ends between records folded to `\n` (`\r\n` and a bare
/// `\r` alike, so the parser's line numbers match the file's; quoted fields are left as they
/// are), and the quote characters counted.
struct CsvInput {
    inner: Box<dyn BufRead + Send>,
    /// The quote characters read so far.
    quotes: u64,
    /// A `\r` ended the previous read; a `\n` at the start of this one belongs to it.
    after_cr: bool,
    /// Inside a quoted field (an odd number of quotes so far; `""` toggles twice).
    in_quotes: bool,
}

impl CsvInput {
    fn new(inner: Box<dyn BufRead + Send>) -> CsvInput {
        CsvInput {
            inner,
            quotes: 0,
            after_cr: false,
            in_quotes: false,
        }
    }

    /// Whether a quoted field was left open when the input ended. The csv crate ends such a
    /// field at the end of the file without a word; an odd number of quote characters in the
    /// whole input says that is what happened.
    fn quote_left_open(&self) -> bool {
        self.quotes % 2 == 1
    }
}

impl Read for CsvInput {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let n = self.inner.read(buf)?;
            let mut w = 0;
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
                        self.quotes += 1;
                        self.in_quotes = !self.in_quotes;
                    }
                    buf[w] = b;
                }
                w += 1;
            }
            // A read of only the \n of a \r\n pair gives nothing: read on, since 0 means the end.
            if w > 0 || n == 0 {
                return Ok(w);
            }
        }
    }
}

/// One row read by the csv crate: whether there was one, the row, the parser's line after it.
type RowRead = (::csv::Result<bool>, StringRecord, u64);

/// The rows of a CSV input after its header, as records.
struct CsvRecords {
    rdr: Reader<CsvInput>,
    file: String,
    names: Vec<String>,
    opts: ReadOptions,
    /// The line of the last record given out (a record's line is always past it).
    last_line: u64,
    done: bool,
    /// One row of lookahead: only when the next read finds the end can a quote left open in
    /// the last row be told apart.
    ahead: Option<RowRead>,
}

impl Iterator for CsvRecords {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        if self.done {
            return None;
        }
        let (res, record, line) = self.ahead.take().unwrap_or_else(|| self.read_row());
        let line = line.max(self.last_line + 1);
        match res {
            Ok(false) => {
                self.done = true;
                None
            }
            Ok(true) => {
                let next = self.read_row();
                let at_end = matches!(next.0, Ok(false));
                self.ahead = Some(next);
                Some(self.row(&record, line, at_end))
            }
            Err(e) => Some(self.bad_row(&e, line)),
        }
    }
}

impl CsvRecords {
    fn read_row(&mut self) -> RowRead {
        let mut r = StringRecord::new();
        let res = self.rdr.read_record(&mut r);
        (res, r, self.rdr.position().line())
    }

    /// The record of a row the csv crate read; `at_end` when it is the input's last.
    fn row(&mut self, record: &StringRecord, line: u64, at_end: bool) -> Record {
        let line = record.position().map_or(line, |p| p.line());
        self.last_line = line;
        let row = Row {
            names: &self.names,
            record,
        };
        let item = if at_end && self.rdr.get_ref().quote_left_open() {
            Err(Error::input(
                &self.file,
                Some(line),
                None,
                "a quoted field opened in this row is never closed (unbalanced quote)",
            ))
        } else {
            self.article(&row, line)
        };
        let id = fields::record_id(&row, &self.opts.columns)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
        Record {
            file: self.file.clone(),
            line,
            id,
            item,
        }
    }

    fn article(&self, row: &Row<'_>, line: u64) -> Result<LabeledArticle> {
        let max = self.opts.max_bytes;
        if row.record.as_byte_record().as_slice().len() > max {
            return Err(Error::input(
                &self.file,
                Some(line),
                None,
                format!("the record is longer than --max-bytes ({max})"),
            ));
        }
        fields::labeled(row, Origin::new(self.file.as_str(), line), &self.opts)
    }

    /// The error record of a row the csv crate could not read (a read error ends the input).
    fn bad_row(&mut self, e: &::csv::Error, line: u64) -> Record {
        let line = match e.kind() {
            ErrorKind::UnequalLengths { pos: Some(p), .. } => p.line(),
            ErrorKind::Utf8 { pos: Some(p), .. } => p.line(),
            _ => line,
        };
        self.last_line = line;
        let mut field = None;
        let msg = match e.kind() {
            ErrorKind::UnequalLengths {
                expected_len, len, ..
            } => format!("the row has {len} fields, the header has {expected_len}"),
            ErrorKind::Utf8 { err, .. } => {
                field = self.names.get(err.field()).cloned();
                format!(
                    "invalid UTF-8 in column {} (the file must be UTF-8)",
                    err.field() + 1
                )
            }
            ErrorKind::Io(_) => {
                self.done = true;
                format!("read error: {e}")
            }
            _ => format!("bad CSV: {e}"),
        };
        Record {
            file: self.file.clone(),
            line,
            id: None,
            item: Err(Error::input(&self.file, Some(line), field.as_deref(), msg)),
        }
    }
}

/// A CSV row's cells as a record's fields, named by the header.
pub(super) struct Row<'a> {
    /// The header's column names.
    pub(super) names: &'a [String],
    /// The row's cells.
    pub(super) record: &'a StringRecord,
}

fn cell(value: Option<&str>) -> Field<'_> {
    match value {
        None => Field::Absent,
        Some("") => Field::Empty,
        Some(s) => Field::Str(s),
    }
}

impl Fields for Row<'_> {
    fn get(&self, name: &str) -> Field<'_> {
        match self.names.iter().position(|n| n == name) {
            None => Field::Absent,
            Some(i) => cell(self.record.get(i)),
        }
    }

    fn each(&self, f: &mut dyn FnMut(&str, Field<'_>)) {
        for (i, name) in self.names.iter().enumerate() {
            f(name, cell(self.record.get(i)));
        }
    }
}
