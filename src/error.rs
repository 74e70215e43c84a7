//! The library's error type. Every error that comes from user input names where it came from:
//! the file, the line (or record) and the field.

use std::fmt;
use std::path::Path;

/// Where in the input a problem sits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    /// 1-based line (or record number for formats without lines).
    pub line: Option<u64>,
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

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The io error is shown in the message and not chained as a source, so it is printed
    /// once.
    #[error("{path}: {cause}")]
    Io { path: String, cause: std::io::Error },
    /// A bad input record.
    #[error("{at}: {message}")]
    Input { at: Location, message: String },
    /// Several bad input records, reported together.
    #[error("{} problems in the input:\n{}", .0.len(), list(.0))]
    Inputs(Vec<Error>),
    #[error("actors file: {0}")]
    Actors(String),
    #[error("model file {path}: {message}")]
    Model { path: String, message: String },
    /// Settings that do not make sense (bad flag values, too few examples for the folds).
    #[error("{0}")]
    Config(String),
    #[error("training failed: {0}")]
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
    pub fn io(path: &Path, source: std::io::Error) -> Error {
        Error::Io {
            path: path.display().to_string(),
            cause: source,
        }
    }

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

    pub fn model(path: &str, message: impl Into<String>) -> Error {
        Error::Model {
            path: path.to_string(),
            message: message.into(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
