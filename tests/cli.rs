//! End-to-end tests of the `stance` command line.

use predicates::prelude::*;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

mod common;
use common::{data_scores, lines, model, stance, tmp};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn score_jsonl_has_sentiment_actors_probabilities_and_evidence() {
    let d = tmp();
    let input = write(
        d.path(),
        "in.jsonl",
        r#"{"id": "x1", "source": "Test Daily", "date": "2024-01-02", "text": "The Kremlin was condemned for a brutal strike on Kyiv. Ukraine's defenders were praised for their courage."}
{"id": "x2", "text": "Markets were calm."}
"#,
    );
    let out = stance()
        .args(["score", "--model"])
        .arg(model())
        .arg(&input)
        .assert()
        .success();
    let recs = lines(&out.get_output().stdout);
    assert_eq!(recs.len(), 2);
    let r = &recs[0];
    assert_eq!(r["id"], "x1");
    assert_eq!(r["source"], "Test Daily");
    let actors: Vec<&str> = r["actors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["actor"].as_str().unwrap())
        .collect();
    assert_eq!(actors, vec!["Russia", "Ukraine"]);
    for a in r["actors"].as_array().unwrap() {
        let p = a["probabilities"].as_object().unwrap();
        let sum: f64 = p.values().map(|v| v.as_f64().unwrap()).sum();
        assert!((sum - 1.0).abs() < 1e-9);
        let score = a["score"].as_f64().unwrap();
        assert!(
            (score - (p["favor"].as_f64().unwrap() - p["against"].as_f64().unwrap())).abs() < 1e-12
        );
        // Evidence points into the text by character offsets.
        let text = "The Kremlin was condemned for a brutal strike on Kyiv. Ukraine's defenders were praised for their courage.";
        for e in a["evidence"].as_array().unwrap() {
            let (s, t) = (
                e["start"].as_u64().unwrap() as usize,
                e["end"].as_u64().unwrap() as usize,
            );
            let piece: String = text.chars().skip(s).take(t - s).collect();
            assert_eq!(piece, e["text"].as_str().unwrap());
        }
    }
    assert_eq!(recs[0]["actors"][0]["mentions"], 1); // "The Kremlin"
    assert_eq!(recs[0]["actors"][1]["mentions"], 2); // "Kyiv" and "Ukraine's"
    assert!(recs[1]["actors"].as_array().unwrap().is_empty());
    assert!(recs[1]["sentiment"]["label"].is_string());
}

#[test]
fn score_reads_the_seeds_as_they_are() {
    let seeds = Path::new("../shared/seeds");
    if !seeds.is_dir() {
        eprintln!("skipped: ../shared/seeds is absent");
        return;
    }
    let out = stance()
        .args(["score", "--model"])
        .arg(model())
        .arg(seeds)
        .assert()
        .success();
    let recs = lines(&out.get_output().stdout);
    assert_eq!(recs.len(), 3);
    assert_eq!(recs[0]["date"], "2023-10-29");
    assert_eq!(recs[0]["source"], "seeds");
    assert_eq!(recs[0]["id"], "000_616298ac849fa70a");
    let names: Vec<&str> = recs[0]["actors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["actor"].as_str().unwrap())
        .collect();
    for a in ["Russia", "Hamas", "Israel"] {
        assert!(names.contains(&a), "{names:?}");
    }
}

#[test]
fn every_record_accounted_for_in_order_and_exit_1_on_errors() {
    let d = tmp();
    let input = write(
        d.path(),
        "in.jsonl",
        "{\"id\": \"a\", \"text\": \"Iran spoke.\"}\n{not json\n{\"id\": \"c\"}\n{\"id\": \"d\", \"text\": 7}\n\n{\"id\": \"e\", \"text\": \"Hamas spoke.\"}\n",
    );
    let out = stance()
        .args(["score", "--evidence", "0", "--model"])
        .arg(model())
        .arg(&input)
        .assert()
        .code(1);
    let recs = lines(&out.get_output().stdout);
    assert_eq!(recs.len(), 5);
    assert_eq!(recs[0]["id"], "a");
    assert_eq!(recs[1]["line"], 2);
    assert!(recs[1]["error"]
        .as_str()
        .unwrap()
        .contains("malformed JSON"));
    assert_eq!(recs[2]["line"], 3);
    assert!(
        recs[2]["error"]
            .as_str()
            .unwrap()
            .contains("field \"text\": missing"),
        "{}",
        recs[2]
    );
    assert!(recs[3]["error"]
        .as_str()
        .unwrap()
        .contains("expected a string, found a number"));
    assert_eq!(recs[4]["id"], "e");
    // With --errors, errors go to their own file and the output keeps only scores.
    let errs = d.path().join("errors.jsonl");
    let out = stance()
        .args(["score", "--evidence", "0", "--model"])
        .arg(model())
        .arg(&input)
        .arg("--errors")
        .arg(&errs)
        .assert()
        .code(1);
    assert_eq!(lines(&out.get_output().stdout).len(), 2);
    assert_eq!(lines(&std::fs::read(&errs).unwrap()).len(), 3);
    // --max-errors stops early.
    stance()
        .args(["score", "--max-errors", "1", "--model"])
        .arg(model())
        .arg(&input)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("stopped after 1 bad records"));
}

#[test]
fn csv_output_is_long_form_and_stdin_works() {
    let out = stance()
        .args(["score", "--format", "csv", "--evidence", "0", "--model"])
        .arg(model())
        .arg("-")
        .write_stdin(
            "{\"id\": \"s1\", \"text\": \"Israel and Hamas agreed to a pause, Qatar said.\"}\n",
        )
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let h = rdr.headers().unwrap().clone();
    assert_eq!(&h[0], "id");
    assert!(h.iter().any(|c| c == "p_favor"));
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    let col = |name: &str| h.iter().position(|c| c == name).unwrap();
    let actors: Vec<&str> = rows.iter().map(|r| &r[col("actor")]).collect();
    assert_eq!(actors, vec!["Israel", "Hamas", "Qatar"]);
    // Sentiment probabilities, the model, and a status column that is never empty.
    let sent: f64 = ["negative", "neutral", "positive"]
        .iter()
        .map(|l| {
            rows[0][col(&format!("p_sentiment_{l}"))]
                .parse::<f64>()
                .unwrap()
        })
        .sum();
    assert!((sent - 1.0).abs() < 1e-5, "{sent}");
    assert_eq!(rows[0][col("model")].len(), 16);
    assert!(rows.iter().all(|r| &r[col("status")] == "ok"));
}

/// A CSV row has no evidence column, so the scorer skips evidence for CSV: the rows are the
/// same, byte for byte, whatever --evidence says.
#[test]
fn csv_rows_do_not_depend_on_evidence() {
    let input = "{\"id\": \"a\", \"text\": \"Iran condemned Israel. Israel rejected the claim. Qatar praised both.\"}\n{\"id\": \"b\", \"text\": \"Markets were calm. Russia said little.\"}\n";
    let run = |evidence: &str| {
        let out = stance()
            .args([
                "score",
                "--format",
                "csv",
                "--evidence",
                evidence,
                "--model",
            ])
            .arg(model())
            .arg("-")
            .write_stdin(input)
            .assert()
            .success();
        out.get_output().stdout.clone()
    };
    let (none, three) = (run("0"), run("3"));
    let text = String::from_utf8_lossy(&none);
    assert_eq!(text.lines().count(), 1 + 4, "{text}"); // the header, four actors
    assert_eq!(none, three);
}

#[test]
fn csv_scores_round_trip_with_their_fields_and_compare_reads_them() {
    let d = tmp();
    let input = write(
        d.path(),
        "in.jsonl",
        "{\"id\": \"a\", \"source\": \"S\", \"desk\": \"world, europe\", \"text\": \"Iran condemned Israel. Iran praised Qatar.\"}\n{\"id\": \"b\", \"text\": \"Markets were calm.\"}\n{\"id\": \"c\", \"text\": \"\"}\n",
    );
    let run = |fmt: &str, out: &Path| {
        stance()
            .args([
                "score",
                "--evidence",
                "0",
                "--ok-on-bad-records",
                "--format",
                fmt,
                "--model",
            ])
            .arg(model())
            .arg(&input)
            .arg("--out")
            .arg(out)
            .assert()
            .success();
    };
    let (jsonl, csv) = (d.path().join("s.jsonl"), d.path().join("s.csv"));
    run("jsonl", &jsonl);
    run("csv", &csv);
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.lines().last().unwrap().contains("error: "), "{text}");
    // Read back, the CSV gives the same articles as the JSON Lines (evidence aside).
    let from_csv = stance::scores::read(&[csv.display().to_string()], None).unwrap();
    let from_jsonl = stance::scores::read(&[jsonl.display().to_string()], None).unwrap();
    assert_eq!((from_csv.skipped, from_jsonl.skipped), (1, 1));
    assert_eq!(from_csv.articles.len(), 2);
    for (c, j) in from_csv.articles.iter().zip(&from_jsonl.articles) {
        assert_eq!(c.id, j.id);
        assert_eq!(c.fields, j.fields);
        assert_eq!(c.actors.len(), j.actors.len());
        for (x, y) in c.actors.iter().zip(&j.actors) {
            assert_eq!(
                (&x.actor, &x.label, x.mentions),
                (&y.actor, &y.label, y.mentions)
            );
            for (l, p) in &y.probabilities {
                assert!((x.probabilities[l] - p).abs() < 1e-6);
            }
        }
        assert_eq!(
            c.model.as_ref().unwrap().checksum,
            j.model.as_ref().unwrap().checksum
        );
    }
    assert_eq!(from_csv.articles[0].fields["desk"], "world, europe");
    // compare groups the CSV by a carried field.
    stance()
        .args(["compare", "--by", "desk", "--model"])
        .arg(model())
        .arg(&csv)
        .assert()
        .success()
        .stdout(predicate::str::contains("world, europe"));
}

#[test]
fn compare_refuses_scores_of_another_model() {
    let d = tmp();
    let input = write(
        d.path(),
        "in.jsonl",
        "{\"id\": \"a\", \"text\": \"Iran condemned Israel.\"}\n",
    );
    let scores = d.path().join("s.jsonl");
    // Scored by the built-in model, compared with the test's model: refused, both named.
    stance()
        .args(["score", "--evidence", "0", "--out"])
        .arg(&scores)
        .arg(&input)
        .assert()
        .success();
    stance()
        .args(["compare", "--model"])
        .arg(model())
        .arg(&scores)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "was scored by model default (checksum",
        ))
        .stderr(predicate::str::contains("not by m (checksum"));
    // With the model that made them (the built-in one, by default), it runs.
    stance().arg("compare").arg(&scores).assert().success();
}

#[test]
fn csv_input_with_mapped_columns_and_long_form_labels_trains() {
    let d = tmp();
    let mut csv = String::from("doc,body,who,label\n");
    let favor = [
        "welcomed",
        "praised",
        "applauded",
        "hailed",
        "commended",
        "lauded",
    ];
    let against = [
        "condemned",
        "denounced",
        "blamed",
        "criticised",
        "attacked",
        "rebuked",
    ];
    for i in 0..12 {
        let (w, l) = if i % 2 == 0 {
            (favor[i / 2], "pro")
        } else {
            (against[i / 2], "anti")
        };
        csv.push_str(&format!(
            "d{i},\"Observers {w} Iran on day {i}, and Iran {w} Egypt.\",Iran,{l}\n"
        ));
        csv.push_str(&format!(
            "d{i},\"Observers {w} Iran on day {i}, and Iran {w} Egypt.\",Egypt,{l}\n"
        ));
    }
    let data = write(d.path(), "labels.csv", &csv);
    let m = d.path().join("m.json");
    stance()
        .args([
            "train",
            "--id-col",
            "doc",
            "--text-col",
            "body",
            "--actor-col",
            "who",
            "--stance-col",
            "label",
            "--min-df",
            "1",
            "--folds",
            "3",
            "--out",
        ])
        .arg(&m)
        .arg("--data")
        .arg(&data)
        .assert()
        .success()
        .stdout(predicate::str::contains("24 stance examples (anti/pro)"));
    // The signed score uses pro and anti, recognised by name.
    let out = stance()
        .args(["score", "--model"])
        .arg(&m)
        .write_stdin("{\"text\": \"Observers praised Iran.\"}\n")
        .assert()
        .success();
    let r = &lines(&out.get_output().stdout)[0];
    // No id: the one its text gives (`printf 'Observers praised Iran.' | sha256sum`).
    assert_eq!(r["id"], "sha256:db2296d32b0f916b");
    let p = &r["actors"][0]["probabilities"];
    let s = r["actors"][0]["score"].as_f64().unwrap();
    assert!((s - (p["pro"].as_f64().unwrap() - p["anti"].as_f64().unwrap())).abs() < 1e-12);
}

#[test]
fn eval_validates_every_example_once_and_reports_json() {
    let d = tmp();
    let oof = d.path().join("oof.jsonl");
    let out = stance()
        .args([
            "eval",
            "--data",
            "data/articles.jsonl",
            "--actors",
            "data/actors.toml",
            "--folds",
            "4",
            "--format",
            "json",
            "--oof",
        ])
        .arg(&oof)
        .assert()
        .success();
    let r: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let n = r["stance"]["n"].as_u64().unwrap();
    let preds = lines(&std::fs::read(&oof).unwrap());
    let stance: Vec<_> = preds.iter().filter(|p| p["task"] == "stance").collect();
    assert_eq!(stance.len() as u64, n);
    // Each (article, actor) once; each article in one fold only.
    let mut seen = std::collections::HashSet::new();
    let mut fold_of = std::collections::HashMap::new();
    for p in &stance {
        assert!(seen.insert((p["id"].to_string(), p["actor"].to_string())));
        let f = p["fold"].as_u64().unwrap();
        assert_eq!(*fold_of.entry(p["id"].to_string()).or_insert(f), f);
    }
    assert_eq!(
        r["stance"]["folds"]["macro_f1"]["values"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    let macro_f1 = r["stance"]["macro_f1"].as_f64().unwrap();
    assert!(macro_f1 > r["stance"]["baseline"]["macro_f1"].as_f64().unwrap());
    // The confusion matrix counts every example.
    let total: u64 = r["stance"]["confusion"]["counts"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|row| row.as_array().unwrap().iter().map(|v| v.as_u64().unwrap()))
        .sum();
    assert_eq!(total, n);
}

#[test]
fn eval_of_a_trained_model_on_held_out_data() {
    let out = stance()
        .args([
            "eval",
            "--format",
            "json",
            "--data",
            "data/articles.jsonl",
            "--model",
        ])
        .arg(model())
        .assert()
        .success();
    let r: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(r["settings"]["method"], "held-out");
    // On its own training data the model must do far better than chance.
    assert!(r["stance"]["accuracy"].as_f64().unwrap() > 0.8);
}

#[test]
fn compare_by_source_and_month() {
    let d = tmp();
    let scores = data_scores(d.path());
    let out = stance()
        .arg("compare")
        .arg(&scores)
        .args([
            "--by",
            "source",
            "--actor",
            "Iran",
            "--format",
            "jsonl",
            "--bootstrap",
            "300",
        ])
        .assert()
        .success();
    let rows = lines(&out.get_output().stdout);
    assert!(rows.len() >= 5);
    for r in &rows {
        assert_eq!(r["actor"], "Iran");
        assert_eq!(r["estimator"], shipped_choice());
        let s = &r["score"];
        assert!(s["low"].as_f64().unwrap() <= s["mean"].as_f64().unwrap());
        assert!(s["mean"].as_f64().unwrap() <= s["high"].as_f64().unwrap());
        let counted: u64 = r["label_count"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .sum();
        assert_eq!(counted, r["n"].as_u64().unwrap());
        let names: Vec<&str> = r["estimates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["estimator"].as_str().unwrap())
            .collect();
        assert_eq!(names, vec!["cc", "pcc", "acc", "pacc", "emq", "bcc"]);
        for e in r["estimates"].as_array().unwrap() {
            let share: Vec<f64> = e["share"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect();
            assert!((share.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{e}");
            for (c, x) in share.iter().enumerate() {
                assert!(
                    e["low"][c].as_f64().unwrap() <= x + 1e-9
                        && *x <= e["high"][c].as_f64().unwrap() + 1e-9
                );
            }
        }
        // Classify and count is the share of predicted labels.
        let cc = &r["estimates"][0]["share"];
        for c in 0..3 {
            let expect = r["label_count"][c].as_f64().unwrap() / r["n"].as_f64().unwrap();
            assert!((cc[c].as_f64().unwrap() - expect).abs() < 1e-12);
        }
    }
    // A model without cross-validation predictions falls back to PCC, and says so.
    let own = d.path().join("own.jsonl");
    let out = stance()
        .args(["score", "data/articles.jsonl", "--evidence", "0", "--model"])
        .arg(model())
        .assert()
        .success();
    std::fs::write(&own, &out.get_output().stdout).unwrap();
    stance()
        .arg("compare")
        .arg(&own)
        .args(["--actor", "Iran", "--bootstrap", "100", "--model"])
        .arg(model())
        .assert()
        .success()
        .stderr(predicate::str::contains("falls back to pcc"))
        .stdout(predicate::str::contains("estimator: pcc"));
    // The difference of two outlets, with a permutation test.
    stance()
        .arg("compare")
        .arg(&scores)
        .args([
            "--diff",
            "The Clarion Tribune",
            "Meridian Wire",
            "--actor",
            "Iran",
            "--bootstrap",
            "200",
            "--permutations",
            "200",
        ])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("A = The Clarion Tribune, B = Meridian Wire")
                .and(predicate::str::contains("permutation test")),
        );
    stance()
        .arg("compare")
        .arg(&scores)
        .args(["--by", "month"])
        .assert()
        .success()
        .stdout(predicate::str::contains("2023-10").and(predicate::str::contains("95% interval")));
    // --format json is one JSON document (not JSON Lines): the grouping, the labels, the rows.
    let out = stance()
        .arg("compare")
        .arg(&scores)
        .args(["--by", "source", "--bootstrap", "50", "--format", "json"])
        .assert()
        .success();
    let doc: serde_json::Value = serde_json::from_slice(&out.get_output().stdout)
        .expect("compare --format json writes a single JSON document");
    assert_eq!(doc["by"], "source");
    assert!(doc["labels"].as_array().unwrap().len() >= 2);
    let rows = doc["rows"].as_array().unwrap();
    assert!(rows.len() > 1, "{doc}");
    assert!(rows.iter().all(|r| r["n"].as_u64().unwrap() > 0));
    // The same for --diff, and its CSV: a header and one row per actor both outlets name.
    let diff = [
        "--diff",
        "The Clarion Tribune",
        "Meridian Wire",
        "--bootstrap",
        "50",
        "--permutations",
        "50",
        "--format",
    ];
    let out = stance()
        .arg("compare")
        .arg(&scores)
        .args(diff)
        .arg("json")
        .assert()
        .success();
    let doc: serde_json::Value = serde_json::from_slice(&out.get_output().stdout)
        .expect("compare --diff --format json writes a single JSON document");
    assert_eq!(doc["a"], "The Clarion Tribune");
    assert_eq!(doc["b"], "Meridian Wire");
    let differences = doc["differences"].as_array().unwrap();
    assert!(!differences.is_empty());
    for d in differences {
        let s = &d["score"];
        assert!(s["low"].as_f64().unwrap() <= s["mean"].as_f64().unwrap());
        assert!(s["mean"].as_f64().unwrap() <= s["high"].as_f64().unwrap());
        let p = d["score_p"].as_f64().unwrap();
        assert!(p > 0.0 && p <= 1.0);
    }
    let out = stance()
        .arg("compare")
        .arg(&scores)
        .args(diff)
        .arg("csv")
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let mut csv_lines = text.lines();
    assert!(csv_lines
        .next()
        .unwrap()
        .starts_with("actor,a,b,n_a,n_b,score,score_low,score_high,score_p,score_p_holm,net,"));
    assert_eq!(csv_lines.count(), differences.len());
}

#[test]
fn explain_lists_terms_per_label() {
    stance()
        .args(["explain", "--top", "5", "--model"])
        .arg(model())
        .assert()
        .success()
        .stdout(predicate::str::contains("against").and(predicate::str::contains("favor")));
    stance()
        .args(["explain", "--actor", "Nobody", "--model"])
        .arg(model())
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "no training examples for actor \"Nobody\"",
        ));
    // A misspelt actor: the closest few names, not every actor the model knows.
    let out = stance()
        .args(["explain", "--actor", "netanyhu", "--model"])
        .arg(model())
        .assert()
        .code(1);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    let names = err.rsplit(": ").next().unwrap().trim();
    assert!(names.starts_with("Benjamin Netanyahu"), "{err}");
    assert_eq!(names.split(", ").count(), 5, "{err}");
    assert!(err.lines().count() <= 2, "{err}");
}

#[test]
fn usage_errors_exit_2_and_help_has_examples() {
    stance().args(["score", "--threads", "x"]).assert().code(2);
    stance().arg("frobnicate").assert().code(2);
    for verb in ["train", "eval", "score", "compare", "explain"] {
        stance()
            .args([verb, "--help"])
            .assert()
            .success()
            .stdout(predicate::str::contains("Examples:"));
    }
}

#[test]
fn bad_model_file_is_named_clearly() {
    let d = tmp();
    let bad = write(
        d.path(),
        "bad.json",
        "{\"format\": \"stance-model\", \"version\": 99, \"tool_version\": \"9.0\"}",
    );
    stance()
        .args(["score", "--model"])
        .arg(&bad)
        .write_stdin("")
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("bad.json")
                .and(predicate::str::contains("newer than this tool reads")),
        );
    let text = std::fs::read_to_string(model()).unwrap();
    let cut = write(d.path(), "cut.json", &text[..text.len() / 2]);
    stance()
        .args(["score", "--model"])
        .arg(&cut)
        .write_stdin("")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("cut.json").and(predicate::str::contains("truncated")));
}

#[test]
fn training_errors_are_reported_together() {
    let d = tmp();
    let data = write(
        d.path(),
        "t.jsonl",
        "{\"id\": \"1\", \"text\": \"Iran.\", \"stance\": {\"Iran\": \"favor\"}}\n{broken\n{\"id\": \"3\", \"stance\": {\"Iran\": \"favor\"}}\n{\"id\": \"4\", \"text\": \"x\", \"date\": \"yesterday\"}\n",
    );
    // (Not --out /dev/null: a model goes only to a regular file, and the check comes first.)
    stance()
        .args(["train", "--out"])
        .arg(d.path().join("m.json"))
        .arg("--data")
        .arg(&data)
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("3 bad records")
                .and(predicate::str::contains("t.jsonl:2"))
                .and(predicate::str::contains("t.jsonl:3: field \"text\""))
                .and(predicate::str::contains(
                    "t.jsonl:4: field \"date\": expected a date YYYY-MM-DD",
                )),
        );
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let d = tmp();
    let mut big = String::new();
    for i in 0..3000 {
        big.push_str(&format!(
            "{{\"id\": \"{i}\", \"text\": \"Iran and Israel traded threats on day {i}.\"}}\n"
        ));
    }
    let input = write(d.path(), "big.jsonl", &big);
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("stance"))
        .args(["score", "--batch", "16", "--model"])
        .arg(model())
        .arg(&input)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 100];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("error"));
    let _ = std::io::stderr().flush();
}

#[test]
fn charts_and_report_are_written_and_self_contained() {
    let d = tmp();
    let scores = d.path().join("s.jsonl");
    stance()
        .args([
            "score",
            "data/articles.jsonl",
            "--evidence",
            "0",
            "--quiet",
            "--out",
        ])
        .arg(&scores)
        .assert()
        .success();
    let svg = d.path().join("iran.svg");
    stance()
        .arg("compare")
        .arg(&scores)
        .args(["--actor", "Iran", "--bootstrap", "100", "--plot"])
        .arg(&svg)
        .assert()
        .success();
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg"));
    assert!(text.contains(&format!(
        "Net stance toward Iran by source (estimator: {})",
        shipped_choice()
    )));
    assert!(text.contains("The Clarion Tribune (n="));
    let png = d.path().join("heat.png");
    let drawn = stance()
        .arg("compare")
        .arg(&scores)
        .args(["--bootstrap", "100", "--plot"])
        .arg(&png)
        .assert();
    if cfg!(feature = "png") {
        drawn.success();
        assert_eq!(&std::fs::read(&png).unwrap()[..8], b"\x89PNG\r\n\x1a\n");
    } else {
        // SVG only by default: PNG needs the png feature, and the error says so.
        drawn
            .failure()
            .stderr(predicate::str::contains("png feature"));
    }
    let html = d.path().join("r.html");
    stance()
        .arg("report")
        .arg(&scores)
        .args(["--bootstrap", "100", "--out"])
        .arg(&html)
        .assert()
        .success();
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.matches("<svg").count() >= 3, "charts inline");
    assert!(page.contains("Methods"));
    assert!(page.contains(&format!("Estimator: {}", shipped_choice())));
    assert!(page.contains("chosen by the model on its own labeled articles"));
    // Nothing is fetched: no scripts, stylesheets or images from elsewhere.
    for bad in ["src=\"http", "href=\"http", "<script", "<link"] {
        assert!(!page.contains(bad), "{bad}");
    }
}

#[test]
fn real_use_evaluation_trains_scores_and_estimates_held_out_groups() {
    // One split of data/: 40% of the articles play the new articles; APP samples of 100 at
    // every point of a 0.1 grid (66), no UPP; real groups of at least 3.
    let out = stance()
        .args([
            "simulate",
            "--data",
            "data/articles.jsonl",
            "--actors",
            "data/actors.toml",
            "--splits",
            "1",
            "--sizes",
            "100",
            "--upp",
            "0",
            "--bootstrap",
            "100",
            "--format",
            "json",
        ])
        .assert()
        .success();
    let r: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let split = &r["splits"][0];
    // 208 articles: round(0.4 × 208) = 83 new, 125 to train on.
    assert_eq!(split["new"], 83);
    assert_eq!(split["labeled"], 125);
    assert!(split["accuracy"].as_f64().unwrap() > 0.4, "{split}");
    let rows = r["rows"].as_array().unwrap();
    let row = |kind: &str, e: Option<&str>| {
        rows.iter()
            .find(|x| x["kind"] == kind && x["size"] == 100 && x["estimator"].as_str() == e)
            .unwrap_or_else(|| panic!("no {kind} {e:?} row"))
            .clone()
    };
    let mae = |x: &serde_json::Value| x["mae"].as_f64().unwrap();
    let cc = row("app", Some("cc"));
    assert_eq!(cc["groups"], 66);
    // Across the simplex, counting is pulled toward the training shares; the corrected
    // estimators are not, and the training shares (MLPE) are worse than counting.
    assert!(mae(&row("app", Some("acc"))) < 0.8 * mae(&cc));
    assert!(mae(&row("app", None)) > mae(&cc));
    assert!(row("app", None)["coverage"].is_null());
    for x in rows.iter().filter(|x| !x["estimator"].is_null()) {
        let c = x["coverage"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&c), "{x}");
    }
    assert!(rows.iter().any(|x| x["kind"] == "real"));
    // The split's model chose its estimator; `auto` rows report that choice, widened.
    let chosen = split["choice"]["estimator"].as_str().unwrap();
    assert_ne!(chosen, "auto");
    let auto = row("app", Some("auto"));
    assert_eq!(auto["groups"], 66);
    assert_eq!(mae(&auto), mae(&row("app", Some(chosen))));
    assert!(auto["width"].as_f64().unwrap() >= row("app", Some(chosen))["width"].as_f64().unwrap());
}

#[test]
fn real_use_evaluation_refuses_a_field_the_records_do_not_have() {
    for (flag, field) in [("--split-by", "desk"), ("--by", "desk")] {
        stance()
            .args([
                "simulate",
                "--data",
                "data/articles.jsonl",
                "--actors",
                "data/actors.toml",
            ])
            .args([flag, field])
            .assert()
            .failure()
            .stderr(predicate::str::contains(format!(
                "{flag} \"desk\": no labeled article has this field"
            )));
    }
    // A field every article shares one value of cannot hold out whole groups.
    let d = tmp();
    let text = std::fs::read_to_string("data/articles.jsonl").unwrap();
    let one: String = text
        .lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["desk"] = "world".into();
            format!("{v}\n")
        })
        .collect();
    let data = write(d.path(), "one.jsonl", &one);
    stance()
        .args(["simulate", "--data"])
        .arg(&data)
        .args(["--actors", "data/actors.toml", "--split-by", "desk"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "--split-by \"desk\": the labeled articles have 1 value of it, so no whole group can be held out",
        ));
}

#[test]
fn gzip_input_reads_like_plain() {
    use flate2::write::GzEncoder;
    let d = tmp();
    let text = "{\"id\": \"g1\", \"text\": \"Iran and Israel traded threats.\"}\n{\"id\": \"g2\", \"text\": \"Qatar hosted talks.\"}\n";
    let plain = write(d.path(), "a.jsonl", text);
    let gz = d.path().join("a.jsonl.gz");
    let mut enc = GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::default(),
    );
    enc.write_all(text.as_bytes()).unwrap();
    enc.finish().unwrap();
    let run = |p: &Path| {
        let out = stance()
            .args(["score", "--evidence", "0", "--quiet", "--model"])
            .arg(model())
            .arg(p)
            .assert()
            .success();
        out.get_output().stdout.clone()
    };
    assert_eq!(run(&plain), run(&gz));
    assert_eq!(lines(&run(&gz)).len(), 2);
}

#[test]
fn many_workers_and_tiny_batches_keep_input_order() {
    let d = tmp();
    let mut input = String::new();
    for i in 0..400 {
        if i % 7 == 3 {
            input.push_str(&format!("{{\"id\": \"{i}\", \"text\": 5}}\n"));
        } else {
            input.push_str(&format!(
                "{{\"id\": \"{i}\", \"text\": \"Iran and Israel traded threats on day {i}.\"}}\n"
            ));
        }
    }
    let path = write(d.path(), "mixed.jsonl", &input);
    let out = stance()
        .args([
            "score",
            "-q",
            "--evidence",
            "0",
            "--threads",
            "4",
            "--batch",
            "3",
            "--model",
        ])
        .arg(model())
        .arg(&path)
        .assert()
        .code(1);
    let recs = lines(&out.get_output().stdout);
    assert_eq!(recs.len(), 400);
    for (i, r) in recs.iter().enumerate() {
        assert_eq!(r["id"], i.to_string());
        assert_eq!(r.get("error").is_some(), i % 7 == 3, "record {i}: {r}");
        if i % 7 == 3 {
            assert_eq!(r["line"], i as u64 + 1);
        }
    }
    // --max-errors with several workers: exactly the records before the third error are
    // written, then the run stops.
    let out = stance()
        .args([
            "score",
            "--evidence",
            "0",
            "--threads",
            "4",
            "--batch",
            "1",
            "--max-errors",
            "3",
            "--model",
        ])
        .arg(model())
        .arg(&path)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("stopped after 3 bad records"));
    let recs = lines(&out.get_output().stdout);
    assert_eq!(
        recs.len(),
        18,
        "ids 0..=17: the third bad record is line 18"
    );
    assert_eq!(recs[17]["id"], "17");
}

#[test]
fn other_input_fields_are_carried_into_scores_and_can_be_grouped_by() {
    let d = tmp();
    let input = write(
        d.path(),
        "f.jsonl",
        "{\"id\": \"a1\", \"source\": \"X\", \"country\": \"FR\", \"text\": \"Iran threatened Israel again.\"}\n\
         {\"id\": \"a2\", \"source\": \"X\", \"country\": \"DE\", \"rank\": 3, \"text\": \"Iran praised the talks.\"}\n\
         {\"id\": \"a3\", \"source\": \"Y\", \"country\": \"FR\", \"text\": \"Israel struck Iran.\"}\n",
    );
    let scores = d.path().join("s.jsonl");
    stance()
        .args(["score", "-q", "--evidence", "0", "--model"])
        .arg(model())
        .arg(&input)
        .arg("--out")
        .arg(&scores)
        .assert()
        .success();
    let recs = lines(&std::fs::read(&scores).unwrap());
    assert_eq!(recs[0]["fields"], serde_json::json!({"country": "FR"}));
    // Numbers come through as text; the known columns (id, source, text) do not repeat.
    assert_eq!(
        recs[1]["fields"],
        serde_json::json!({"country": "DE", "rank": "3"})
    );
    let out = stance()
        .args([
            "compare", "--by", "country", "--actor", "Iran", "--format", "jsonl", "--model",
        ])
        .arg(model())
        .arg(&scores)
        .assert()
        .success();
    let rows = lines(&out.get_output().stdout);
    let groups: Vec<(&str, u64)> = rows
        .iter()
        .map(|r| (r["group"].as_str().unwrap(), r["n"].as_u64().unwrap()))
        .collect();
    assert_eq!(groups, [("DE", 1), ("FR", 2)]);
    stance()
        .args(["compare", "--by", "contry", "--model"])
        .arg(model())
        .arg(&scores)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "no scored article has a field \"contry\" to group by",
        ))
        .stderr(predicate::str::contains("country, rank"));
}

#[test]
fn eval_warns_when_cross_validation_fits_stop_unconverged() {
    // Two iterations cannot reach the gradient tolerance: 5 folds × (stance + sentiment).
    stance()
        .args([
            "eval",
            "--data",
            "data/articles.jsonl",
            "--actors",
            "data/actors.toml",
            "--max-iter",
            "2",
        ])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "10 of the cross-validation fits (5 folds) stopped at --max-iter 2 before converging",
        ));
    // The defaults converge on the starter corpus: no warning.
    stance()
        .args([
            "eval",
            "--data",
            "data/articles.jsonl",
            "--actors",
            "data/actors.toml",
        ])
        .assert()
        .success()
        .stderr(predicate::str::contains("before converging").not());
}

#[test]
fn german_articles_match_german_aliases_and_the_english_model_warns() {
    let d = tmp();
    let all = std::fs::read_to_string("data/multilingual/articles.jsonl").unwrap();
    let german: String = all
        .lines()
        .filter(|l| l.contains("\"language\": \"de\""))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(german.lines().count(), 20);
    let data = write(d.path(), "de.jsonl", &german);
    let m = d.path().join("de.json");
    stance()
        .args([
            "train",
            "--actors",
            "data/multilingual/actors.toml",
            "--language",
            "german",
            "--no-cv",
            "-q",
            "--data",
        ])
        .arg(&data)
        .arg("--out")
        .arg(&m)
        .assert()
        .success()
        // Every labeled actor is named through the German aliases.
        .stderr(predicate::str::contains("never names").not());
    let text = "{\"id\": \"x\", \"text\": \"Der Kreml wies die Vorwürfe zurück. Moskau erklärte, die russische Armee habe keine zivilen Ziele angegriffen, während Kiew und die Vereinten Nationen eine unabhängige Untersuchung forderten und die Bundesregierung zur Zurückhaltung mahnte.\"}\n";
    let out = stance()
        .args(["score", "--evidence", "0", "-q", "--model"])
        .arg(&m)
        .write_stdin(text)
        .assert()
        .success();
    let r = &lines(&out.get_output().stdout)[0];
    let got: Vec<(&str, u64)> = r["actors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["actor"].as_str().unwrap(),
                a["mentions"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![("Russia", 3), ("Ukraine", 1), ("United Nations", 1)]
    );
    // The English model finds nothing in German text, and says why.
    stance()
        .args(["score", "--evidence", "0", "-"])
        .write_stdin(text.repeat(3))
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "3 of 3 articles look written in german (de), but the model is english",
        ));
}

#[test]
fn tune_prints_the_winners_training_command_and_it_trains_the_winner() {
    let d = tmp();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = stance()
        .arg("tune")
        .arg("--data")
        .arg(root.join("data/articles.jsonl"))
        .arg("--actors")
        .arg(root.join("data/actors.toml"))
        .args([
            "--alpha-grid",
            "0.05,20",
            "--ngrams",
            "1",
            "--window",
            "0",
            "--markers",
            "both",
            "--folds",
            "3",
            "--no-nested",
            "--format",
            "json",
        ])
        .assert()
        .success();
    let doc: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let best = doc["best"]["name"].as_str().unwrap();
    let alpha: f64 = best
        .split(' ')
        .find_map(|w| w.strip_prefix("alpha="))
        .unwrap()
        .parse()
        .unwrap();
    let command = doc["command"].as_str().expect("the winner's command");
    assert!(command.starts_with("stance train --data "), "{command}");
    // The command, run as printed (its --out model.json lands in the working directory),
    // trains the winner's settings.
    let words: Vec<&str> = command.split(' ').collect();
    assert!(
        words.iter().all(|w| !w.starts_with('\'')),
        "plain paths need no quotes: {command}"
    );
    stance()
        .current_dir(d.path())
        .args(&words[1..])
        .args(["--no-cv", "-q"])
        .assert()
        .success();
    let model: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.path().join("model.json")).unwrap()).unwrap();
    let config = &model["config"];
    assert_eq!(
        config["logistic"]["alpha"].as_f64(),
        Some(alpha),
        "{command}"
    );
    assert_eq!(config["features"]["word_ngrams"], serde_json::json!([1, 1]));
    assert_eq!(config["context"]["window"], 0);
}

/// The estimator the shipped model chose on its labeled data (what `--estimator auto`, the
/// default, uses).
fn shipped_choice() -> &'static str {
    let m = stance::StanceModel::load(std::path::Path::new("models/default.json")).unwrap();
    m.info
        .quantify
        .expect("the shipped model chose its estimator at training")
        .estimator
        .name()
}

#[test]
fn score_and_eval_take_an_actors_file_without_retraining() {
    let d = tmp();
    let extra = write(
        d.path(),
        "extra.toml",
        "[[actor]]\nname = \"Lebanon\"\naliases = [\"Beirut\"]\n\n[[actor]]\nname = \"Russia\"\naliases = [\"Muscovy\"]\n",
    );
    let input = write(
        d.path(),
        "a.jsonl",
        "{\"id\":\"a1\",\"text\":\"Beirut was praised for a brave peace offer. Muscovy was condemned for a brutal strike.\"}\n",
    );
    let actors = |args: &[&str]| -> Vec<(String, u64)> {
        let out = stance()
            .args(["score", "--evidence", "0", "-q", "--model"])
            .arg(model())
            .args(args)
            .arg(&input)
            .assert()
            .success();
        lines(&out.get_output().stdout)[0]["actors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["actor"].as_str().unwrap().to_string(),
                    a["mentions"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    assert!(actors(&[]).is_empty());
    let extra_s = extra.to_str().unwrap();
    assert_eq!(
        actors(&["--actors", extra_s]),
        [("Lebanon".to_string(), 1), ("Russia".to_string(), 1)]
    );
    // An alias of the file that is a model actor's alias: refused, naming the file.
    let clash = write(
        d.path(),
        "clash.toml",
        "[[actor]]\nname = \"Lebanon\"\naliases = [\"Moscow\"]\n",
    );
    stance()
        .args(["score", "--model"])
        .arg(model())
        .arg("--actors")
        .arg(&clash)
        .arg(&input)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("clash.toml").and(predicate::str::contains("\"Moscow\"")));
    // eval --model matches the file's actors too: the label's actor is named in the text.
    let labeled = write(
        d.path(),
        "l.jsonl",
        "{\"id\":\"l1\",\"text\":\"Beirut was praised for a brave peace offer.\",\"stance\":{\"Lebanon\":\"favor\"}}\n",
    );
    let eval = |with: bool| {
        let mut c = stance();
        c.args(["eval", "--format", "json", "--model"]).arg(model());
        if with {
            c.arg("--actors").arg(&extra);
        }
        let out = c.arg("--data").arg(&labeled).assert().success();
        String::from_utf8(out.get_output().stderr.clone()).unwrap()
    };
    assert!(eval(false).contains("never names"));
    assert!(!eval(true).contains("never names"));
}

#[test]
fn score_matches_lists_each_mention_with_its_offsets_and_alias() {
    let d = tmp();
    let input = write(
        d.path(),
        "a.jsonl",
        "{\"id\":\"a1\",\"text\":\"Mr. Netanyahu met a Kremlin envoy; Netanyahu and the Kremlin talked.\"}\n",
    );
    let score = |extra: &[&str]| {
        let out = stance()
            .args(["score", "--evidence", "0", "-q", "--model"])
            .arg(model())
            .args(extra)
            .arg(&input)
            .assert()
            .success();
        lines(&out.get_output().stdout).remove(0)
    };
    // Not asked for: no field (the records stay as they were).
    assert!(score(&[])["actors"][0].get("matches").is_none());
    let r = score(&["--matches"]);
    let by_actor = |name: &str| {
        r["actors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["actor"] == name)
            .unwrap()["matches"]
            .clone()
    };
    assert_eq!(
        by_actor("Benjamin Netanyahu"),
        serde_json::json!([
            {"start": 0, "end": 13, "alias": "Mr. Netanyahu", "automatic": true},
            {"start": 35, "end": 44, "alias": "Netanyahu"}
        ])
    );
    assert_eq!(
        by_actor("Russia"),
        serde_json::json!([
            {"start": 20, "end": 27, "alias": "Kremlin", "automatic": true},
            {"start": 49, "end": 60, "alias": "the Kremlin"}
        ])
    );
}
