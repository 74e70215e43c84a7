//! Parity of the share estimators with QuaPy, the reference implementation (issue 11):
//! `bench/quantify/quapy_parity.py` run against this build's `stance` binary.
//!
//! The script makes a virtual environment under `target/quapy-venv` (kept between runs, remade
//! when its pinned QuaPy changes), installs QuaPy with pip, scores `data/heldout/articles.jsonl`,
//! runs `stance compare --format json`, feeds QuaPy the same posteriors, out-of-fold
//! predictions and recalibration, and prints a table of the differences. It exits 0 when CC,
//! PCC, ACC, PACC and EMQ agree to 1e-6 or differ for a reason it checks exactly, 1 when one
//! does not, and 3 when QuaPy cannot be had (no `python3` with `venv`, or pip cannot reach the
//! package index): then this test skips, saying why. `STANCE_REQUIRE_PYTHON=1` makes the skip a
//! failure; `STANCE_PYTHON` names the interpreter (default `python3`), as in `tests/python.rs`.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

/// Written straight to the process's stderr, past the test harness's capture, so that the
/// table shows in `cargo test`'s output even when the test passes.
fn say(msg: &str) {
    let mut e = std::io::stderr();
    let _ = writeln!(e, "quapy_parity: {msg}");
}

fn require() -> bool {
    std::env::var("STANCE_REQUIRE_PYTHON").is_ok_and(|v| v == "1")
}

/// Skips the test (or fails it under STANCE_REQUIRE_PYTHON=1).
fn skip(why: &str) {
    assert!(!require(), "STANCE_REQUIRE_PYTHON=1, but {why}");
    say(&format!("SKIPPED: {why}"));
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn estimators_agree_with_quapy() {
    let python = std::env::var("STANCE_PYTHON").unwrap_or_else(|_| "python3".into());
    let target = root().join("target");
    let t = Instant::now();
    let out = Command::new(&python)
        .arg(root().join("bench/quantify/quapy_parity.py"))
        .arg("--stance")
        .arg(env!("CARGO_BIN_EXE_stance"))
        .arg("--venv")
        .arg(target.join("quapy-venv"))
        .arg("--work")
        .arg(target.join("quapy-parity"))
        .current_dir(root())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .output();
    let out = match out {
        Ok(o) => o,
        Err(e) => return skip(&format!("no Python interpreter `{python}`: {e}")),
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.code() == Some(3) {
        return skip(&format!("QuaPy could not be installed:\n{stderr}"));
    }
    say(&format!(
        "bench/quantify/quapy_parity.py exited with {} in {:.1} s:\n{stdout}{stderr}",
        out.status,
        t.elapsed().as_secs_f64()
    ));
    assert!(
        out.status.success(),
        "stance's estimators disagree with QuaPy beyond the tolerance without an explanation, or the script failed (exit status {}); its table is above",
        out.status
    );
    assert!(
        stdout.contains("all agree or are explained"),
        "the script exited 0 without its verdict"
    );
}
