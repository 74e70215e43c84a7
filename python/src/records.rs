//! Python records (a text, or a mapping of fields) as the JSON objects the library reads.
//!
//! Values map as JSON does: str, int, float, bool, None, lists and tuples, mappings with string
//! keys. A float NaN (how pandas marks a missing value) is null, so a missing field. Dates and
//! times (anything with `isoformat()`: `datetime.date`, `datetime.datetime`,
//! `pandas.Timestamp`) become their ISO text; numpy integers and floats their value. Anything
//! else is an error that names the field.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyMapping, PyString, PyTuple};
use serde_json::{Map, Number, Value};

/// Why a Python value cannot be a JSON record: the field (dotted path) and what it is.
pub struct Unreadable {
    pub field: Option<String>,
    pub message: String,
}

/// One record as JSON bytes: a str is `{text_field: the text}`, a mapping its fields.
pub fn record_json(obj: &Bound<'_, PyAny>, text_field: &str) -> Result<Vec<u8>, Unreadable> {
    let value = if let Ok(s) = obj.cast::<PyString>() {
        let text = s.to_cow().map_err(|e| Unreadable {
            field: Some(text_field.to_string()),
            message: format!("not valid text: {e}"),
        })?;
        let mut m = Map::new();
        m.insert(text_field.to_string(), Value::String(text.to_string()));
        Value::Object(m)
    } else if obj.cast::<PyDict>().is_ok() || obj.cast::<PyMapping>().is_ok() {
        to_value(obj, None, 0)?
    } else {
        return Err(Unreadable {
            field: None,
            message: format!(
                "expected a text (str) or a record (a dict of fields), found {}",
                type_name(obj)
            ),
        });
    };
    serde_json::to_vec(&value).map_err(|e| Unreadable {
        field: None,
        message: format!("cannot be written as JSON: {e}"),
    })
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

fn to_value(obj: &Bound<'_, PyAny>, path: Option<&str>, depth: usize) -> Result<Value, Unreadable> {
    let bad = |message: String| Unreadable {
        field: path.map(str::to_string),
        message,
    };
    if depth > MAX_DEPTH {
        return Err(bad(format!("nested more than {MAX_DEPTH} deep")));
    }
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return s
            .to_cow()
            .map(|s| Value::String(s.to_string()))
            .map_err(|e| bad(format!("not valid text: {e}")));
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.cast::<PyInt>().is_ok() {
        return int_value(obj).ok_or_else(|| bad("an integer too large for JSON".into()));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Ok(Number::from_f64(f.value()).map_or(Value::Null, Value::Number));
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut m = Map::new();
        for (k, v) in d.iter() {
            let key = key_of(&k).map_err(bad)?;
            let sub = to_value(&v, Some(&join(path, &key)), depth + 1)?;
            m.insert(key, sub);
        }
        return Ok(Value::Object(m));
    }
    if obj.cast::<PyList>().is_ok() || obj.cast::<PyTuple>().is_ok() {
        let mut out = Vec::new();
        let iter = obj.try_iter().map_err(|e| bad(e.to_string()))?;
        for (i, item) in iter.enumerate() {
            let item = item.map_err(|e| bad(e.to_string()))?;
            out.push(to_value(&item, Some(&join(path, &i.to_string())), depth + 1)?);
        }
        return Ok(Value::Array(out));
    }
    if let Ok(m) = obj.cast::<PyMapping>() {
        let mut out = Map::new();
        let items = m.items().map_err(|e| bad(e.to_string()))?;
        for kv in items.iter() {
            let (k, v): (Bound<'_, PyAny>, Bound<'_, PyAny>) =
                kv.extract().map_err(|e: PyErr| bad(e.to_string()))?;
            let key = key_of(&k).map_err(bad)?;
            let sub = to_value(&v, Some(&join(path, &key)), depth + 1)?;
            out.insert(key, sub);
        }
        return Ok(Value::Object(out));
    }
    // Dates and times, pandas timestamps.
    if let Ok(iso) = obj.call_method0("isoformat") {
        if let Ok(s) = iso.extract::<String>() {
            return Ok(Value::String(s));
        }
    }
    // numpy scalars: integers have __index__, floats __float__ (numpy bools neither matter
    // much nor convert cleanly; they are named below).
    if obj.hasattr("__index__").unwrap_or(false) {
        if let Ok(i) = obj.call_method0("__index__") {
            return int_value(&i).ok_or_else(|| bad("an integer too large for JSON".into()));
        }
    }
    if obj.hasattr("__float__").unwrap_or(false) && !obj.hasattr("__len__").unwrap_or(false) {
        if let Ok(f) = obj.call_method0("__float__").and_then(|f| f.extract::<f64>()) {
            return Ok(Number::from_f64(f).map_or(Value::Null, Value::Number));
        }
    }
    Err(bad(format!(
        "a {} cannot be read as a JSON value (use str, int, float, bool, None, a list or a dict)",
        type_name(obj)
    )))
}

fn int_value(obj: &Bound<'_, PyAny>) -> Option<Value> {
    if let Ok(i) = obj.extract::<i64>() {
        return Some(Value::Number(i.into()));
    }
    obj.extract::<u64>().ok().map(|u| Value::Number(u.into()))
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
