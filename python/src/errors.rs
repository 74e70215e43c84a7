//! The exceptions of the package and how library failures become them.

use crate::backend::Failure;
use pyo3::exceptions::{PyException, PyFileNotFoundError, PyOSError, PyPermissionError};
use pyo3::prelude::*;

pyo3::create_exception!(
    _stance,
    StanceError,
    PyException,
    "Base class of the errors of stance."
);
pyo3::create_exception!(
    _stance,
    RecordError,
    StanceError,
    "A bad input record. Attributes: index (position in the input), id (None when it cannot be read), field (None when no one field is to blame), reason (what is wrong)."
);
pyo3::create_exception!(
    _stance,
    ModelError,
    StanceError,
    "A model file that is not a usable stance model (truncated, edited, of a newer format)."
);
pyo3::create_exception!(
    _stance,
    ConfigError,
    StanceError,
    "Settings, actors or training data that do not make sense."
);

/// "record 3 (id \"a17\")": how a record is named in messages.
pub fn record_name(index: usize, id: Option<&str>) -> String {
    match id {
        Some(id) => format!("record {index} (id {id:?})"),
        None => format!("record {index}"),
    }
}

/// A bad record as a `RecordError` with its index, id and field as attributes. `more` bad
/// records after it are mentioned in the message.
pub fn record_error(
    py: Python<'_>,
    index: usize,
    id: Option<&str>,
    field: Option<&str>,
    reason: &str,
    more: usize,
) -> PyErr {
    let mut msg = format!("{}: ", record_name(index, id));
    if let Some(f) = field {
        msg.push_str(&format!("field \"{f}\": "));
    }
    msg.push_str(reason);
    if more > 0 {
        msg.push_str(&format!(
            " ({more} more bad record{} after it; errors=\"record\" keeps every bad record as an error row instead)",
            if more == 1 { "" } else { "s" }
        ));
    }
    let err = RecordError::new_err(msg);
    let v = err.value(py);
    let _ = v.setattr("index", index);
    let _ = v.setattr("id", id);
    let _ = v.setattr("field", field);
    let _ = v.setattr("reason", reason);
    err
}

/// A library failure outside any one record.
pub fn to_py(f: Failure) -> PyErr {
    match f {
        Failure::Io { kind, message, .. } => match kind {
            std::io::ErrorKind::NotFound => PyFileNotFoundError::new_err(message),
            std::io::ErrorKind::PermissionDenied => PyPermissionError::new_err(message),
            _ => PyOSError::new_err(message),
        },
        Failure::Model { message } => ModelError::new_err(message),
        Failure::Config { message } => ConfigError::new_err(message),
        f @ Failure::Record { .. } => ConfigError::new_err(f.message()),
    }
}
