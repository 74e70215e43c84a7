//! The library's error type. Every error that comes from user input names where it came from:
//! the file, the line (or record) and the field.

use std::fmt;
use std::path::Path;

/// Where in the input a problem sits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file (or `<stdin>`).
    pub file: String,
    /// 1-based line (or record number for formats without lines).
    pub line: Option<u64>,
    /// The field, when one is at fault.
    pub field: Option<String>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ": field \"{field}\"")?;
        }
        Ok(())
    }
}

/// What can go wrong; every variant that comes from user input names where.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file that could not be read or written. The io error is shown in the message and not
    /// chained as a source, so it is printed once.
    #[error("{path}: {cause}")]
    Io {
        /// The file.
        path: String,
        /// What went wrong.
        cause: std::io::Error,
    },
    /// A bad input record.
    #[error("{at}: {message}")]
    Input {
        /// Where.
        at: Location,
        /// What is wrong.
        message: String,
    },
    /// Several bad input records, reported together.
    #[error("{} problems in the input:\n{}", .0.len(), list(.0))]
    Inputs(Vec<Error>),
    #[error("actors file: {0}")]
    /// A bad actors file.
    Actors(String),
    /// A bad model file.
    #[error("model file {path}: {message}")]
    Model {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// Settings that do not make sense (bad flag values, too few examples for the folds).
    #[error("{0}")]
    Config(String),
    #[error("training failed: {0}")]
    /// Training that could not run (e.g. one label only).
    Training(String),
}

fn list(errors: &[Error]) -> String {
    errors
        .iter()
        .map(|e| format!("  {e}"))
        .collect::<Vec<_>>()
        .join("\n")
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: &Path, source: std::io::Error) -> Error {
        Error::Io {
            path: path.display().to_string(),
            cause: source,
        }
    }

    /// A bad input record at `file`, `line`, `field`.
    pub fn input(
        file: &str,
        line: Option<u64>,
        field: Option<&str>,
        message: impl Into<String>,
    ) -> Error {
        Error::Input {
            at: Location {
                file: file.to_string(),
                line,
                field: field.map(str::to_string),
            },
            message: message.into(),
        }
    }

    /// A bad model file.
    pub fn model(path: &str, message: impl Into<String>) -> Error {
        Error::Model {
            path: path.to_string(),
            message: message.into(),
        }
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
