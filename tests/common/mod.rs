//! What the command-line test binaries share: the binary, temporary folders, and a model
//! trained once on `data/` without cross-validation.
#![allow(dead_code)] // each test binary uses its own part

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The `stance` binary of this build.
pub fn stance() -> Command {
    Command::cargo_bin("stance").unwrap()
}

/// A temporary folder, removed when dropped.
pub fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// A model trained once on the starter corpus, without cross-validation, shared by the tests
/// of one binary.
pub fn model() -> &'static Path {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DIR.get_or_init(|| {
        let d = tmp();
        let m = d.path().join("m.json");
        stance()
            .args([
                "train",
                "--data",
                "data/articles.jsonl",
                "--actors",
                "data/actors.toml",
                "--no-cv",
                "-q",
                "--out",
            ])
            .arg(&m)
            .assert()
            .success();
        (d, m)
    })
    .1
}

/// `data/articles.jsonl` scored by the built-in model without evidence (which carries
/// out-of-fold predictions, so every estimator of `compare` is available), written to
/// `dir/s.jsonl`.
pub fn data_scores(dir: &Path) -> PathBuf {
    let scores = dir.join("s.jsonl");
    let out = stance()
        .args(["score", "data/articles.jsonl", "--evidence", "0"])
        .assert()
        .success();
    std::fs::write(&scores, &out.get_output().stdout).unwrap();
    scores
}

/// JSON Lines output (or a file's bytes) as one JSON value per line.
pub fn lines(out: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8(out.to_vec())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}
