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
        .from_reader(CsvInput::new(reader, delimiter, opts.max_bytes));
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
            index: 1,
            line_shift: 0,
        }),
    }
}

/// The column names of the header (a byte order mark before the first left out), which must
/// name the text column.
fn header(rdr: &mut Reader<CsvInput>, file: &str, opts: &ReadOptions) -> Result<Vec<String>> {
    let headers = rdr.headers().cloned();
    if rdr.get_mut().records.take_cut(0).is_some() {
        return Err(Error::input(
            file,
            Some(1),
            None,
            format!(
                "the header is longer than --max-bytes ({}); is this a CSV file?",
                opts.max_bytes
            ),
        ));
    }
    let headers =
        headers.map_err(|e| Error::input(file, Some(1), None, format!("bad CSV header: {e}")))?;
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

/// What the CSV parser reads, and what it is allowed to buffer: the input's bytes passed
/// through a [`Records`] tracker, which follows the csv crate's quoting rules exactly and so
/// knows where each record ends (see there).
pub(crate) struct CsvInput {
    inner: Box<dyn BufRead + Send>,
    records: Records,
}

/// Where the records of a CSV input begin and end, by the csv crate's rules with its default
/// settings (a quote opens a quoted field only at the start of a field; `""` inside one is a
/// quote; a quote anywhere else is a literal character). With that it
///
/// - folds line ends between records to `\n` (`\r\n` and a bare `\r` alike, so the parser's
///   line numbers match the file's; line ends inside quoted fields are left as they are);
/// - lets a record give the parser at most `--max-bytes` + 1 bytes: past that the rest of it
///   is read and dropped (a quoted field is closed for the parser, and the field separators
///   are kept so that the row keeps its width), and the record is marked as cut; a cut header
///   ends the input. So the parser never holds more than one capped record, however long the
///   input's records are;
/// - knows whether a quoted field is still open when the input ends (the csv crate ends it
///   there without a word).
struct Records {
    delimiter: u8,
    /// A `\r` was the previous byte; a `\n` now belongs to it.
    after_cr: bool,
    state: Quoting,
    /// Bytes a record may give the parser.
    limit: usize,
    /// Bytes of the current record given so far.
    record_bytes: usize,
    /// The current record (0: the header), counted as the parser counts them.
    record: u64,
    /// Fields of the current record so far.
    fields: usize,
    /// The header's number of fields, once read.
    header_fields: Option<usize>,
    /// The current record is over the limit: its bytes are dropped.
    skipping: bool,
    /// Line ends dropped inside quoted fields of cut records, so far.
    dropped_lines: u64,
    /// The records cut, in order, each with the line ends dropped up to its end.
    cut: std::collections::VecDeque<(u64, u64)>,
    /// A byte made up for the parser (the quote that closes a cut field) not yet given.
    pending: Option<u8>,
    /// The header was cut: the input ends there.
    ended: bool,
}

/// Where the parser is in a record (the csv crate's states).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quoting {
    /// Before a record (a line end here is a blank line, not a record).
    StartRecord,
    /// After a field separator.
    StartField,
    /// In an unquoted field.
    InField,
    /// In a quoted field.
    InQuoted,
    /// A quote in a quoted field: its end, or the first of `""`.
    QuoteInQuoted,
}

/// What a byte is to its record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Byte {
    /// A line end before any record.
    Blank,
    /// The line end that ends a record.
    End,
    /// A field separator.
    Separator,
    /// Part of a field.
    Field,
}

impl CsvInput {
    /// The bytes of `inner` as the csv crate should read them, each record capped at
    /// `max_bytes` (see [`Records`]).
    pub(crate) fn new(inner: Box<dyn BufRead + Send>, delimiter: u8, max_bytes: usize) -> CsvInput {
        CsvInput {
            inner,
            records: Records::new(delimiter, max_bytes),
        }
    }

    /// Whether record `index` (the header is 0) was cut at the cap; earlier records are
    /// forgotten.
    pub(crate) fn was_cut(&mut self, index: u64) -> bool {
        self.records.take_cut(index).is_some()
    }
}

impl Records {
    fn new(delimiter: u8, max_bytes: usize) -> Records {
        Records {
            delimiter,
            after_cr: false,
            state: Quoting::StartRecord,
            limit: max_bytes.saturating_add(1),
            record_bytes: 0,
            record: 0,
            fields: 1,
            header_fields: None,
            skipping: false,
            dropped_lines: 0,
            cut: Default::default(),
            pending: None,
            ended: false,
        }
    }

    /// Whether a quoted field was left open when the input ended.
    fn quote_left_open(&self) -> bool {
        self.state == Quoting::InQuoted
    }

    /// Whether record `index` was cut at the limit, and if so the line ends dropped up to
    /// its end. Records before `index` are forgotten (the parser is past them).
    fn take_cut(&mut self, index: u64) -> Option<u64> {
        while self.cut.front().is_some_and(|&(i, _)| i < index) {
            self.cut.pop_front();
        }
        match self.cut.front() {
            Some(&(i, lines)) if i == index => {
                self.cut.pop_front();
                Some(lines)
            }
            _ => None,
        }
    }

    /// One input byte: where it stands, and what the parser gets of it (`emit`).
    fn feed(&mut self, raw: u8, emit: &mut impl FnMut(u8)) {
        if std::mem::take(&mut self.after_cr) && raw == b'\n' {
            return;
        }
        let b = if raw == b'\r' && self.state != Quoting::InQuoted {
            self.after_cr = true;
            b'\n'
        } else {
            raw
        };
        use Quoting::*;
        let (next, kind) = match (self.state, b) {
            (StartRecord, b'\n') => (StartRecord, Byte::Blank),
            (StartRecord | StartField, b'"') => (InQuoted, Byte::Field),
            (InQuoted, b'"') => (QuoteInQuoted, Byte::Field),
            (InQuoted, _) => (InQuoted, Byte::Field),
            (QuoteInQuoted, b'"') => (InQuoted, Byte::Field),
            (_, d) if d == self.delimiter => (StartField, Byte::Separator),
            (_, b'\n') => (StartRecord, Byte::End),
            _ => (InField, Byte::Field),
        };
        match kind {
            Byte::Blank => emit(b),
            Byte::End => {
                emit(b);
                if self.skipping {
                    if let Some(last) = self.cut.back_mut() {
                        last.1 = self.dropped_lines;
                    }
                }
                if self.record == 0 {
                    self.header_fields = Some(self.fields);
                }
                self.record += 1;
                self.record_bytes = 0;
                self.fields = 1;
                self.skipping = false;
            }
            Byte::Separator | Byte::Field => {
                if !self.skipping && self.record_bytes >= self.limit {
                    self.skipping = true;
                    self.cut.push_back((self.record, self.dropped_lines));
                    if self.state == InQuoted {
                        emit(b'"');
                    }
                    self.ended = self.record == 0;
                }
                if !self.skipping {
                    emit(b);
                    self.record_bytes += 1;
                    if kind == Byte::Separator {
                        self.fields += 1;
                    }
                } else if kind == Byte::Separator
                    && !self.ended
                    && self.header_fields.is_none_or(|h| self.fields < h)
                {
                    emit(b);
                    self.fields += 1;
                } else if b == b'\n' {
                    self.dropped_lines += 1;
                }
            }
        }
        self.state = next;
    }
}

impl Read for CsvInput {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let r = &mut self.records;
        let mut w = 0;
        if let Some(b) = r.pending.take() {
            match buf.first_mut() {
                Some(x) => *x = b,
                None => {
                    r.pending = Some(b);
                    return Ok(0);
                }
            }
            w = 1;
        }
        loop {
            if w == buf.len() || r.ended {
                return Ok(w);
            }
            let chunk = match self.inner.fill_buf() {
                Ok(c) => c,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if chunk.is_empty() {
                return Ok(w);
            }
            let mut used = 0;
            for &b in chunk {
                if w == buf.len() || r.pending.is_some() || r.ended {
                    break;
                }
                let mut extra = None;
                r.feed(b, &mut |x| {
                    if w < buf.len() {
                        buf[w] = x;
                        w += 1;
                    } else {
                        extra = Some(x);
                    }
                });
                r.pending = extra;
                used += 1;
            }
            self.inner.consume(used);
            // A read that gave nothing (the \n of a \r\n pair, a dropped stretch) reads on,
            // since 0 means the end.
            if w > 0 {
                return Ok(w);
            }
        }
    }
}

/// One row read by the csv crate: whether there was one, the row, the parser's line after it,
/// and the row's record number (the header is 0).
type RowRead = (::csv::Result<bool>, StringRecord, u64, u64);

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
    /// The record number of the next row read (the header is 0).
    index: u64,
    /// Line ends inside the dropped parts of cut records so far, which the parser never saw:
    /// added to its line numbers.
    line_shift: u64,
}

impl Iterator for CsvRecords {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        if self.done {
            return None;
        }
        let (res, record, line, index) = self.ahead.take().unwrap_or_else(|| self.read_row());
        let line = (line + self.line_shift).max(self.last_line + 1);
        match res {
            Ok(false) => {
                self.done = true;
                None
            }
            Ok(true) => {
                let next = self.read_row();
                let at_end = matches!(next.0, Ok(false));
                self.ahead = Some(next);
                Some(self.row(&record, line, index, at_end))
            }
            Err(e) => Some(self.bad_row(&e, line, index)),
        }
    }
}

impl CsvRecords {
    fn read_row(&mut self) -> RowRead {
        let mut r = StringRecord::new();
        let res = self.rdr.read_record(&mut r);
        let index = self.index;
        if !matches!(res, Ok(false)) {
            self.index += 1;
        }
        (res, r, self.rdr.position().line(), index)
    }

    /// Whether record `index` was cut at --max-bytes (the parser saw only its start); the
    /// line ends dropped with it shift the lines of the rows after it.
    fn was_cut(&mut self, index: u64) -> bool {
        match self.rdr.get_mut().records.take_cut(index) {
            Some(lines) => {
                self.line_shift = lines;
                true
            }
            None => false,
        }
    }

    fn too_long(&self) -> String {
        format!(
            "the record is longer than --max-bytes ({})",
            self.opts.max_bytes
        )
    }

    /// The record of a row the csv crate read, record number `index`; `at_end` when it is
    /// the input's last.
    fn row(&mut self, record: &StringRecord, line: u64, index: u64, at_end: bool) -> Record {
        let line = record
            .position()
            .map_or(line, |p| p.line() + self.line_shift);
        self.last_line = line;
        let cut = self.was_cut(index);
        let row = Row {
            names: &self.names,
            record,
        };
        let item = if cut {
            Err(Error::input(&self.file, Some(line), None, self.too_long()))
        } else if at_end && self.rdr.get_ref().records.quote_left_open() {
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
    fn bad_row(&mut self, e: &::csv::Error, line: u64, index: u64) -> Record {
        let line = match e.kind() {
            ErrorKind::UnequalLengths { pos: Some(p), .. } => p.line() + self.line_shift,
            ErrorKind::Utf8 { pos: Some(p), .. } => p.line() + self.line_shift,
            _ => line,
        };
        self.last_line = line;
        let mut field = None;
        let cut = !matches!(e.kind(), ErrorKind::Io(_)) && self.was_cut(index);
        let msg = match e.kind() {
            // A cut record may end mid-character or with fewer fields: it is too long.
            _ if cut => self.too_long(),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every record the csv crate reads from `bytes`, read directly and through [`CsvInput`]
    /// (no header, flexible widths), and the tracker after the whole input.
    fn both(bytes: &[u8], max: usize) -> (Vec<::csv::ByteRecord>, Vec<::csv::ByteRecord>, Records) {
        let read = |r: Box<dyn Read>| {
            let mut rdr = ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(r);
            let mut out = Vec::new();
            let mut rec = ::csv::ByteRecord::new();
            while rdr.read_byte_record(&mut rec).unwrap() {
                out.push(rec.clone());
            }
            out
        };
        let direct = read(Box::new(std::io::Cursor::new(bytes.to_vec())));
        let input = CsvInput::new(Box::new(std::io::Cursor::new(bytes.to_vec())), b',', max);
        let mut rdr = ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(input);
        let mut through = Vec::new();
        let mut rec = ::csv::ByteRecord::new();
        while rdr.read_byte_record(&mut rec).unwrap() {
            through.push(rec.clone());
        }
        let records = rdr.into_inner().records;
        (direct, through, records)
    }

    #[test]
    fn the_tracker_sees_the_records_the_csv_crate_sees() {
        // Every input of up to 7 bytes over the characters that matter.
        let alphabet = b"a,\"\n\r";
        let mut checked = 0;
        for len in 0..=7u32 {
            for mut code in 0..5usize.pow(len) {
                let mut bytes = Vec::new();
                for _ in 0..len {
                    bytes.push(alphabet[code % 5]);
                    code /= 5;
                }
                let (direct, through, r) = both(&bytes, 1 << 20);
                assert_eq!(direct, through, "{:?}", String::from_utf8_lossy(&bytes));
                let counted = r.record + u64::from(r.state != Quoting::StartRecord);
                assert_eq!(
                    counted,
                    direct.len() as u64,
                    "{:?}",
                    String::from_utf8_lossy(&bytes)
                );
                checked += 1;
            }
        }
        assert!(checked > 90_000);
    }

    #[test]
    fn records_over_the_limit_are_cut_keeping_their_width_and_the_rest_is_read() {
        let big = "x".repeat(1000);
        let input = format!("a,b,c\n1,\"{big}\n{big}\",3\n2,{big},3\n3,\"q\",3\n");
        let (_, through, mut r) = both(input.as_bytes(), 100);
        assert_eq!(through.len(), 4);
        assert!(through.iter().all(|rec| rec.len() == 3), "{through:?}");
        assert_eq!(through[3].get(1), Some(&b"q"[..]));
        assert!(through.iter().all(|rec| rec.as_slice().len() <= 101));
        assert_eq!(r.take_cut(0), None);
        // Record 1 dropped one line end inside its quoted field.
        assert_eq!(r.take_cut(1), Some(1));
        assert_eq!(r.take_cut(2), Some(1));
        assert_eq!(r.take_cut(3), None);
    }

    #[test]
    fn a_cut_header_ends_the_input() {
        let input = format!("{}\n1,2\n", "h".repeat(500));
        let (_, through, mut r) = both(input.as_bytes(), 100);
        assert_eq!(through.len(), 1);
        assert_eq!(r.take_cut(0), Some(0));
    }
}
