//! `stance train --auto`: the search's record in the model, its command line, its budget, the
//! dimensions it leaves out, and its errors.

mod common;
use common::stance;
use predicates::prelude::*;
use std::path::{Path, PathBuf};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// 24 short texts: half praise, half condemn; `named` decides whether the text names the actor.
fn praise_csv(named: bool, favor: &str, against: &str) -> String {
    let pos = [
        "welcomed",
        "praised",
        "applauded",
        "hailed",
        "commended",
        "lauded",
    ];
    let neg = [
        "condemned",
        "denounced",
        "blamed",
        "criticised",
        "attacked",
        "rebuked",
    ];
    let mut csv = String::from("id,text,actor,stance\n");
    for i in 0..24 {
        let (w, l) = if i % 2 == 0 {
            (pos[(i / 2) % 6], favor)
        } else {
            (neg[(i / 2) % 6], against)
        };
        let who = if named { "Qatar" } else { "the emirate" };
        csv.push_str(&format!(
            "d{i},\"Observers {w} {who} on day {i}. It was a long week.\",Qatar,{l}\n"
        ));
    }
    csv
}

#[test]
fn auto_records_its_search_and_prints_the_winner_as_a_command() {
    let d = tempfile::tempdir().unwrap();
    let m = d.path().join("auto.json");
    let out = stance()
        .args([
            "train",
            "--data",
            "data/articles.jsonl",
            "--actors",
            "data/actors.toml",
            "--auto",
            "--budget",
            "15s",
            "--no-cv",
            "--format",
            "json",
            "--out",
        ])
        .arg(&m)
        .assert()
        .success();
    let j: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let auto = &j["auto"];
    let record = &auto["record"];
    assert_eq!(record["metric"], "macro-f1");
    assert_eq!(record["budget_seconds"], 15.0);
    let trials = auto["trials"].as_array().unwrap();
    assert_eq!(trials[0]["dimension"], "start");
    // A change is kept only if it beats the settings current at the time by 0.003, and the
    // selection score is the last kept one.
    let mut cur = trials[0]["score"].as_f64().unwrap();
    for t in trials.iter().skip(1) {
        if t["kept"] == true {
            let s = t["score"].as_f64().unwrap();
            assert!(s >= cur + 0.003 - 1e-12, "kept {t} over {cur}");
            cur = s;
        }
    }
    assert_eq!(record["selection_score"].as_f64().unwrap(), cur);
    assert_eq!(
        record["trials"].as_u64().unwrap() as usize,
        trials.iter().filter(|t| !t["score"].is_null()).count()
    );
    // The budget bounds the search: it stops starting trials once the budget is spent, so it
    // overruns by at most about one trial plus the held-out estimate's two fits.
    let longest = trials
        .iter()
        .map(|t| t["seconds"].as_f64().unwrap())
        .fold(0.0, f64::max);
    let secs = record["seconds"].as_f64().unwrap();
    assert!(secs < 15.0 + 3.0 * longest + 5.0, "{secs} s");
    // The command is a complete `stance train` without --auto, and carries every kept flag.
    let command = auto["command"].as_str().unwrap();
    assert!(
        command.starts_with("stance train --data data/articles.jsonl --actors data/actors.toml")
    );
    assert!(!command.contains("--auto"), "{command}");
    for t in trials
        .iter()
        .filter(|t| t["kept"] == true && t["dimension"] != "start")
    {
        let change = t["change"].as_str().unwrap();
        if change.starts_with("--") {
            assert!(command.contains(change), "{change} not in {command}");
        }
    }
    let honest = &record["honest"];
    assert_eq!(honest["estimate"], "holdout");
    assert!(honest["n"].as_u64().unwrap() > 100);
    // The model file keeps the record; its settings are the winner's.
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&m).unwrap()).unwrap();
    let text = serde_json::to_string(&file).unwrap();
    assert!(
        text.contains("\"selection_score\""),
        "no auto record in the model"
    );
    // The model loads and scores.
    stance()
        .args(["score", "--model"])
        .arg(&m)
        .write_stdin("{\"text\": \"Qatar praised Iran.\"}\n")
        .assert()
        .success();
}

#[test]
fn a_model_trained_without_auto_has_no_record() {
    let text = std::fs::read_to_string(common::model()).unwrap();
    assert!(!text.contains("selection_score"));
    assert!(!text.contains("\"auto\""));
}

#[test]
fn dimensions_that_cannot_matter_are_not_searched() {
    let d = tempfile::tempdir().unwrap();
    let data = write(
        d.path(),
        "unnamed.csv",
        &praise_csv(false, "favor", "against"),
    );
    stance()
        .args(["train", "--data"])
        .arg(&data)
        .args([
            "--min-df", "1", "--folds", "3", "--auto", "--budget", "20s", "--estimate", "none",
            "--no-cv", "--out",
        ])
        .arg(d.path().join("m.json"))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "not searched: per-actor (one actor only), tokens ((almost) no text has a #hashtag or @mention), window (no actor is named in (almost) any text), markers (no actor is named in (almost) any text), near-target (no actor is named in (almost) any text), actor-prior (one actor only)",
        ))
        .stdout(predicate::str::contains("no honest estimate (--estimate none)"));
    // Named in every text, but each text has two sentences: the window is searched.
    let data = write(d.path(), "named.csv", &praise_csv(true, "favor", "against"));
    let out = stance()
        .args(["train", "--data"])
        .arg(&data)
        .args([
            "--min-df",
            "1",
            "--folds",
            "3",
            "--auto",
            "--budget",
            "20s",
            "--estimate",
            "none",
            "--no-cv",
            "--out",
        ])
        .arg(d.path().join("m2.json"))
        .assert()
        .success();
    let s = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(
        s.contains(
            "not searched: per-actor (one actor only), tokens ((almost) no text has a #hashtag or @mention), actor-prior (one actor only)"
        ),
        "{s}"
    );
}

#[test]
fn auto_errors_are_clear() {
    let d = tempfile::tempdir().unwrap();
    let data = write(d.path(), "ab.csv", &praise_csv(true, "yes", "no"));
    stance()
        .args(["train", "--data"])
        .arg(&data)
        .args(["--folds", "3", "--auto", "--metric", "f-avg", "--out"])
        .arg(d.path().join("m.json"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "--metric f-avg needs a positive and a negative stance label, and the labels (no, yes) have none by name",
        ));
    assert!(!d.path().join("m.json").exists());
    stance()
        .args(["train", "--data"])
        .arg(&data)
        .args(["--auto", "--budget", "5x", "--out", "m.json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "expected a time such as 90s, 5m or 1h (at most a week), or a number of settings to score such as 40t, got \"5x\"",
        ));
    stance()
        .args(["train", "--data"])
        .arg(&data)
        .args(["--budget", "5m", "--out", "m.json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--auto"));
}
