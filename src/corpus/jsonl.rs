//! JSON Lines: one object per line, read with a cap on the bytes a line may take, and parsed
//! (on the caller's thread, see [`Pending`]) through the shared field mapping.

use super::fields::{self, Field, Fields};
use super::{Origin, Pending, ReadOptions, Record};
use crate::error::{Error, Result};
use serde_json::{Map, Value};
use std::io::BufRead;
use std::sync::Arc;

/// The records of a JSON Lines input, each left unparsed ([`Pending`]). Blank lines are not
/// records; a byte order mark opening the first line is skipped.
pub(crate) struct JsonlReader {
    file: String,
    reader: Box<dyn BufRead + Send>,
    line: u64,
    opts: Arc<ReadOptions>,
    buf: Vec<u8>,
}

impl JsonlReader {
    /// Reads `reader`, named `file` in messages.
    pub(crate) fn new(file: String, reader: Box<dyn BufRead + Send>, opts: &ReadOptions) -> Self {
        JsonlReader {
            file,
            reader,
            line: 0,
            opts: Arc::new(opts.clone()),
            buf: Vec::new(),
        }
    }

    fn failed(&self, error: Error) -> Pending {
        Pending::ready(Record {
            file: self.file.clone(),
            line: self.line,
            id: None,
            item: Err(error),
        })
    }
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
                    // An unreadable stream ends the input after this record, named by its
                    // line.
                    let at = Error::input(
                        &self.file,
                        Some(self.line),
                        None,
                        format!("read error: {e}"),
                    );
                    let rec = self.failed(at);
                    self.reader = Box::new(std::io::empty());
                    return Some(rec);
                }
            };
            let line = self.line;
            if len > self.opts.max_bytes {
                let message = format!(
                    "the record is {len} bytes, longer than --max-bytes ({})",
                    self.opts.max_bytes
                );
                return Some(self.failed(Error::input(&self.file, Some(line), None, message)));
            }
            let mut bytes: &[u8] = &self.buf;
            if line == 1 && bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
                bytes = &bytes[3..];
            }
            if bytes.iter().all(|b| b.is_ascii_whitespace()) {
                continue;
            }
            return Some(Pending::json(
                self.file.clone(),
                line,
                bytes.to_vec(),
                self.opts.clone(),
            ));
        }
    }
}

/// Reads one line into `buf` (without its line end), keeping at most `max` bytes; returns the
/// full length of the line, or None at the end of input. A longer line is consumed but not
/// stored, so a 1 GB line costs `max` bytes of memory.
pub(crate) fn read_line_capped(
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
        let (part, done) = match memchr::memchr2(b'\n', b'\r', chunk) {
            Some(i) => (&chunk[..i], Some((i + 1, chunk[i] == b'\r'))),
            None => (chunk, None),
        };
        // (max + 1 saturates: --max-bytes may be the largest number there is.)
        if buf.len() < max.saturating_add(1) {
            let room = max.saturating_add(1) - buf.len();
            buf.extend_from_slice(&part[..part.len().min(room)]);
        }
        total += part.len();
        let used = done.map_or(chunk.len(), |d| d.0);
        r.consume(used);
        if let Some((_, cr)) = done {
            if cr {
                skip_lf(r)?;
            }
            break;
        }
    }
    if !any {
        return Ok(None);
    }
    Ok(Some(total))
}

/// Swallows the `\n` of a `\r\n` pair, even across a buffer boundary.
fn skip_lf(r: &mut dyn BufRead) -> std::io::Result<()> {
    loop {
        match r.fill_buf() {
            Ok(next) => {
                if next.first() == Some(&b'\n') {
                    r.consume(1);
                }
                return Ok(());
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Parses one JSON Lines record: `bytes` is line `line` of `file`, without its line end.
pub(crate) fn parse(file: String, line: u64, bytes: &[u8], opts: &ReadOptions) -> Record {
    let mut id = None;
    let item = parse_object(bytes, &file, line).and_then(|obj| {
        let obj = JsonObject(&obj);
        id = fields::record_id(&obj, &opts.columns);
        fields::labeled(&obj, Origin::new(file.as_str(), line), opts)
    });
    Record {
        file,
        line,
        id,
        item,
    }
}

/// The JSON object a line holds.
fn parse_object(bytes: &[u8], file: &str, line: u64) -> Result<Map<String, Value>> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        Error::input(
            file,
            Some(line),
            None,
            format!(
                "invalid UTF-8 at byte {} of the line (the file must be UTF-8)",
                e.valid_up_to()
            ),
        )
    })?;
    let duplicate = std::cell::RefCell::new(None);
    let value = strict_json(text, &duplicate).map_err(|e| match duplicate.take() {
        Some((field, key)) => Error::input(
            file,
            Some(line),
            field.as_deref(),
            format!(
                "duplicate key \"{key}\" (a key may appear once in an object: which one counts would be a guess)"
            ),
        ),
        None => Error::input(
            file,
            Some(line),
            None,
            format!("malformed JSON at column {}: {e}", e.column()),
        ),
    })?;
    match value {
        Value::Object(obj) => Ok(obj),
        other => Err(Error::input(
            file,
            Some(line),
            None,
            format!(
                "expected a JSON object, found {}",
                Field::of_json(&other).kind()
            ),
        )),
    }
}

/// Where a duplicate key was found: the field (the dotted path of the object holding it,
/// None at the top level) and the key.
type Duplicate = std::cell::RefCell<Option<(Option<String>, String)>>;

/// Parses JSON like `serde_json::from_str::<Value>`, except that a key given twice in one
/// object is an error (serde_json keeps the last silently), recorded in `duplicate`.
fn strict_json(text: &str, duplicate: &Duplicate) -> serde_json::Result<Value> {
    use serde::de::DeserializeSeed;
    let mut de = serde_json::Deserializer::from_str(text);
    let v = Strict {
        path: None,
        duplicate,
    }
    .deserialize(&mut de)?;
    de.end()?;
    Ok(v)
}

/// A JSON value, refusing duplicate keys at every depth.
struct Strict<'a> {
    path: Option<String>,
    duplicate: &'a Duplicate,
}

impl<'de> serde::de::DeserializeSeed<'de> for Strict<'_> {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Strict<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> std::result::Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> std::result::Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> std::result::Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> std::result::Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> std::result::Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> std::result::Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(Strict {
            path: self.path.clone(),
            duplicate: self.duplicate,
        })? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                *self.duplicate.borrow_mut() = Some((self.path.clone(), key.clone()));
                return Err(serde::de::Error::custom(format!("duplicate key \"{key}\"")));
            }
            let path = Some(match &self.path {
                Some(p) => format!("{p}.{key}"),
                None => key.clone(),
            });
            let v = map.next_value_seed(Strict {
                path,
                duplicate: self.duplicate,
            })?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

/// A JSON object's keys as a record's fields.
pub(super) struct JsonObject<'a>(pub(super) &'a Map<String, Value>);

impl Fields for JsonObject<'_> {
    fn get(&self, name: &str) -> Field<'_> {
        self.0.get(name).map_or(Field::Absent, Field::of_json)
    }

    fn each(&self, f: &mut dyn FnMut(&str, Field<'_>)) {
        for (k, v) in self.0 {
            f(k, Field::of_json(v));
        }
    }
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
}
