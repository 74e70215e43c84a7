//! Scores do not change by accident: the output of `stance score` on `data/` and on the seeds
//! (JSONL with evidence, and CSV) is compared, byte for byte, with SHA-256 digests recorded in
//! `tests/golden/digests.txt`.
//!
//! A change that is meant to alter scores regenerates the digests with
//! `STANCE_BLESS=1 cargo test --release --test golden` and says why in its commit message. The
//! seeds' text is not ours to copy, so only digests are kept, never the outputs themselves;
//! on a mismatch the new output is written under `target/golden/` for inspection.

use assert_cmd::Command;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;

const DIGESTS: &str = "tests/golden/digests.txt";
const SEEDS: &str = "../shared/seeds";

/// The cases: a name and the arguments of `stance score` (the shipped model, its default
/// options unless given).
fn cases() -> Vec<(&'static str, Vec<&'static str>)> {
    vec![
        ("data-jsonl", vec!["data/articles.jsonl"]),
        ("data-csv", vec!["data/articles.jsonl", "--format", "csv"]),
        (
            "data-jsonl-no-evidence",
            vec!["data/articles.jsonl", "--evidence", "0", "--threads", "1"],
        ),
        ("seeds-jsonl", vec![SEEDS]),
        ("seeds-csv", vec![SEEDS, "--format", "csv"]),
    ]
}

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn recorded() -> BTreeMap<String, String> {
    std::fs::read_to_string(DIGESTS)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(k, v)| (k.to_string(), v.trim().to_string()))
        .collect()
}

#[test]
fn scores_match_the_recorded_digests() {
    let bless = std::env::var_os("STANCE_BLESS").is_some();
    let want = recorded();
    let mut got = BTreeMap::new();
    let mut failures = Vec::new();
    for (name, args) in cases() {
        if args.contains(&SEEDS) && !Path::new(SEEDS).is_dir() {
            eprintln!("skipping {name}: {SEEDS} is not here");
            if let Some(v) = want.get(name) {
                got.insert(name.to_string(), v.clone());
            }
            continue;
        }
        let out = Command::cargo_bin("stance")
            .unwrap()
            .arg("score")
            .args(&args)
            .arg("--quiet")
            .output()
            .unwrap();
        assert!(out.status.success(), "{name}: {:?}", out);
        let digest = hex(&out.stdout);
        if !bless && want.get(name) != Some(&digest) {
            let dir = Path::new("target/golden");
            std::fs::create_dir_all(dir).unwrap();
            let path = dir.join(format!("{name}.out"));
            std::fs::write(&path, &out.stdout).unwrap();
            failures.push(format!(
                "{name}: digest {digest} is not the recorded {} (output in {})",
                want.get(name).map_or("(none)", String::as_str),
                path.display()
            ));
        }
        got.insert(name.to_string(), digest);
    }
    if bless {
        let text: String = got.iter().map(|(k, v)| format!("{k} {v}\n")).collect();
        std::fs::write(DIGESTS, text).unwrap();
        return;
    }
    assert!(
        failures.is_empty(),
        "scores changed:\n{}\nif the change is meant, rerun with STANCE_BLESS=1 and say why in the commit",
        failures.join("\n")
    );
}
