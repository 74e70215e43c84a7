//! `stance label`: a labeling loop with the model in it, in a local web page.
//!
//! - [`log`]: the append-only decision file (one JSON line per decision, in the format
//!   `stance train` reads), resume, undo, and [`log::resolve`] for the final labels;
//! - [`strategy`]: which article next (diverse cold start, margin sampling, the random audit
//!   stream, double annotation), as pure seeded functions;
//! - [`session`]: the pool, the bookkeeping and the background retraining;
//! - [`server`]: the local web server and the page;
//! - [`mod@agreement`]: Cohen's and Fleiss' kappa on articles labeled twice;
//! - [`engine`]: the one file that calls the rest of the library.
//!
//! [`open()`] starts a session from files (`start.rs`); [`simulate()`] runs the same loop
//! with the gold labels of a labeled set revealed when asked, for learning curves
//! (`simulate.rs`).

pub mod agreement;
pub mod engine;
pub mod log;
pub mod server;
pub mod session;
mod simulate;
mod start;
pub mod strategy;

pub use simulate::{simulate, Checkpoint, SimOptions};
pub use start::{open, Options};

use engine::{Error, Result};
use std::path::PathBuf;

/// The agreement report over one or more decision files.
pub fn agreement(paths: &[PathBuf]) -> Result<agreement::Report> {
    let mut files = Vec::new();
    for p in paths {
        if !p.exists() {
            return Err(Error::io(
                p,
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
            ));
        }
        files.push(log::read(p)?.0);
    }
    let live = agreement::live_of(&files);
    Ok(agreement::report(&live))
}

/// The final records of a decision file as lines `stance train` reads (only the audit ones
/// with `audit_only`), and how many articles had unresolved disagreements.
pub fn export(path: &std::path::Path, audit_only: bool) -> Result<(Vec<String>, usize)> {
    if !path.exists() {
        return Err(Error::io(
            path,
            std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
        ));
    }
    let resolved = log::resolve(path)?;
    let unresolved = resolved.iter().filter(|r| !r.unresolved.is_empty()).count();
    let lines = resolved
        .iter()
        .filter(|r| !audit_only || log::is_random_audit(r))
        .filter(|r| !r.record.stance.is_empty() || r.record.sentiment.is_some())
        .map(log::export_line)
        .collect();
    Ok((lines, unresolved))
}
