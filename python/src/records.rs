//! Python records (a text, or a mapping of fields) as the JSON objects the library reads.
//!
//! Values map as JSON does: str, int, float, bool, None, lists and tuples, mappings with string
//! keys. A float NaN (how pandas marks a missing value) is null, so a missing field. Dates and
//! times (anything with `isoformat()`: `datetime.date`, `datetime.datetime`,
//! `pandas.Timestamp`) become their ISO text; numpy integers and floats their value. Anything
//! else is an error that names the field.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyMapping, PyString, PyTuple};

/// Why a Python value cannot be a JSON record: the field (dotted path) and what it is.
pub struct Unreadable {
    pub field: Option<String>,
    pub message: String,
}

/// One record as JSON bytes: a str is `{text_field: the text}`, a mapping its fields, in
/// their order (the order of a record's stance labels is the order training sees them in).
pub fn record_json(obj: &Bound<'_, PyAny>, text_field: &str) -> Result<Vec<u8>, Unreadable> {
    let mut out = Vec::with_capacity(256);
    if let Ok(s) = obj.cast::<PyString>() {
        let text = s.to_cow().map_err(|e| Unreadable {
            field: Some(text_field.to_string()),
            message: format!("not valid text: {e}"),
        })?;
        out.push(b'{');
        put(&mut out, text_field);
        out.push(b':');
        put(&mut out, text.as_ref());
        out.push(b'}');
    } else if obj.cast::<PyDict>().is_ok() || obj.cast::<PyMapping>().is_ok() {
        write(obj, None, 0, &mut out)?;
    } else {
        return Err(Unreadable {
            field: None,
            message: format!(
                "expected a text (str) or a record (a dict of fields), found {}",
                type_name(obj)
            ),
        });
    }
    Ok(out)
}

/// Writes a string, number or bool as JSON (to memory, which cannot fail).
fn put<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, v: &T) {
    let _ = serde_json::to_writer(&mut *out, v);
}

fn put_f64(out: &mut Vec<u8>, f: f64) {
    if f.is_finite() {
        put(out, &f);
    } else {
        out.extend_from_slice(b"null");
    }
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "an object".into())
}

fn join(path: Option<&str>, key: &str) -> String {
    match path {
        Some(p) => format!("{p}.{key}"),
        None => key.to_string(),
    }
}

const MAX_DEPTH: usize = 64;

fn write(
    obj: &Bound<'_, PyAny>,
    path: Option<&str>,
    depth: usize,
    out: &mut Vec<u8>,
) -> Result<(), Unreadable> {
    let bad = |message: String| Unreadable {
        field: path.map(str::to_string),
        message,
    };
    if depth > MAX_DEPTH {
        return Err(bad(format!("nested more than {MAX_DEPTH} deep")));
    }
    if obj.is_none() {
        out.extend_from_slice(b"null");
        return Ok(());
    }
    if let Ok(s) = obj.cast::<PyString>() {
        let s = s
            .to_cow()
            .map_err(|e| bad(format!("not valid text: {e}")))?;
        put(out, s.as_ref());
        return Ok(());
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        put(out, &b.is_true());
        return Ok(());
    }
    if obj.cast::<PyInt>().is_ok() {
        return put_int(obj, out).ok_or_else(|| bad("an integer too large for JSON".into()));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        put_f64(out, f.value());
        return Ok(());
    }
    let entries = |items: Vec<(Bound<'_, PyAny>, Bound<'_, PyAny>)>,
                   out: &mut Vec<u8>|
     -> Result<(), Unreadable> {
        out.push(b'{');
        for (n, (k, v)) in items.iter().enumerate() {
            let key = key_of(k).map_err(bad)?;
            if n > 0 {
                out.push(b',');
            }
            put(out, key.as_str());
            out.push(b':');
            write(v, Some(&join(path, &key)), depth + 1, out)?;
        }
        out.push(b'}');
        Ok(())
    };
    if let Ok(d) = obj.cast::<PyDict>() {
        return entries(d.iter().collect(), out);
    }
    if obj.cast::<PyList>().is_ok() || obj.cast::<PyTuple>().is_ok() {
        out.push(b'[');
        let iter = obj.try_iter().map_err(|e| bad(e.to_string()))?;
        for (i, item) in iter.enumerate() {
            let item = item.map_err(|e| bad(e.to_string()))?;
            if i > 0 {
                out.push(b',');
            }
            write(&item, Some(&join(path, &i.to_string())), depth + 1, out)?;
        }
        out.push(b']');
        return Ok(());
    }
    if let Ok(m) = obj.cast::<PyMapping>() {
        let items = m.items().map_err(|e| bad(e.to_string()))?;
        let mut kvs = Vec::new();
        for kv in items.iter() {
            let pair: (Bound<'_, PyAny>, Bound<'_, PyAny>) =
                kv.extract().map_err(|e: PyErr| bad(e.to_string()))?;
            kvs.push(pair);
        }
        return entries(kvs, out);
    }
    // Dates and times, pandas timestamps.
    if let Ok(iso) = obj.call_method0("isoformat") {
        if let Ok(s) = iso.extract::<String>() {
            put(out, s.as_str());
            return Ok(());
        }
    }
    // numpy scalars: integers have __index__, floats __float__.
    if obj.hasattr("__index__").unwrap_or(false) {
        if let Ok(i) = obj.call_method0("__index__") {
            return put_int(&i, out).ok_or_else(|| bad("an integer too large for JSON".into()));
        }
    }
    if obj.hasattr("__float__").unwrap_or(false) && !obj.hasattr("__len__").unwrap_or(false) {
        if let Ok(f) = obj
            .call_method0("__float__")
            .and_then(|f| f.extract::<f64>())
        {
            put_f64(out, f);
            return Ok(());
        }
    }
    Err(bad(format!(
        "a {} cannot be read as a JSON value (use str, int, float, bool, None, a list or a dict)",
        type_name(obj)
    )))
}

fn put_int(obj: &Bound<'_, PyAny>, out: &mut Vec<u8>) -> Option<()> {
    if let Ok(i) = obj.extract::<i64>() {
        put(out, &i);
        return Some(());
    }
    obj.extract::<u64>().ok().map(|u| put(out, &u))
}

fn key_of(k: &Bound<'_, PyAny>) -> Result<String, String> {
    match k.cast::<PyString>() {
        Ok(s) => s
            .to_cow()
            .map(|c| c.into_owned())
            .map_err(|e| format!("a field name that is not valid text: {e}")),
        Err(_) => Err(format!(
            "field names must be strings, found a {} key",
            type_name(k)
        )),
    }
}
