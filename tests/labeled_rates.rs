//! Error rates from labeled articles of the compared set (`compare --labeled`,
//! `simulate --label-new`).

mod common;
use common::{lines, stance, tmp};
use serde_json::Value;
use std::collections::BTreeMap;

const HELDOUT: &str = "data/heldout/articles.jsonl";

fn records(path: &str) -> Vec<Value> {
    lines(&std::fs::read(path).unwrap())
}

/// When the labeled articles are the compared group itself, ACC and PACC are exact: the
/// group's predicted shares are `q_c = Σ_t count(t, c) / n`, the rates are
/// `A[t][c] = count(t, c) / count(t)`, so `p_t = count(t) / n` solves `Aᵀp = q` and lies on the
/// simplex. The estimate must be the group's true label shares (with `--own-weight 0`: the
/// labeled articles' rates alone, not pooled with the model's out-of-fold ones).
#[test]
fn labeled_rates_of_the_group_itself_make_acc_and_pacc_exact() {
    let d = tmp();
    // The held-out articles labeled on Russia, with only that label.
    let mut truth: BTreeMap<String, usize> = BTreeMap::new();
    let mut lines = String::new();
    let mut ids = std::collections::BTreeSet::new();
    for mut r in records(HELDOUT) {
        let Some(label) = r["stance"]["Russia"].as_str().map(str::to_string) else {
            continue;
        };
        *truth.entry(label.clone()).or_default() += 1;
        ids.insert(r["id"].as_str().unwrap().to_string());
        r["stance"] = serde_json::json!({ "Russia": label });
        lines.push_str(&format!("{r}\n"));
    }
    let labeled = d.path().join("labeled.jsonl");
    std::fs::write(&labeled, lines).unwrap();
    let out = stance()
        .args(["score", "--evidence", "0"])
        .arg(&labeled)
        .assert()
        .success();
    let scores = d.path().join("s.jsonl");
    std::fs::write(&scores, &out.get_output().stdout).unwrap();
    let run = |extra: &[&str]| -> Value {
        let out = stance()
            .arg("compare")
            .arg(&scores)
            .args(["--by", "all", "--actor", "Russia", "--format", "jsonl"])
            .args(["--bootstrap", "50"])
            .args(extra)
            .assert()
            .success();
        let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
        serde_json::from_str(text.lines().next().unwrap()).unwrap()
    };
    let with = run(&["--labeled", labeled.to_str().unwrap(), "--own-weight", "0"]);
    let without = run(&[]);
    let n = ids.len();
    assert_eq!(with["n"].as_u64().unwrap() as usize, n, "{with}");
    let estimate = |row: &Value, name: &str| -> Vec<f64> {
        row["estimates"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["estimator"] == name)
            .unwrap()["share"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect()
    };
    let labels: Vec<String> = with["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    let true_shares: Vec<f64> = labels
        .iter()
        .map(|l| *truth.get(l).unwrap_or(&0) as f64 / n as f64)
        .collect();
    for name in ["acc", "pacc"] {
        let got = estimate(&with, name);
        for (g, t) in got.iter().zip(&true_shares) {
            assert!(
                (g - t).abs() < 1e-6,
                "{name}: {got:?} against {true_shares:?}"
            );
        }
    }
    // Counting and mean probability use no rates: unchanged.
    for name in ["cc", "pcc"] {
        assert_eq!(estimate(&with, name), estimate(&without, name), "{name}");
    }
}

#[test]
fn labeled_rates_say_how_many_and_bad_files_are_named() {
    let d = tmp();
    let out = stance()
        .args(["score", "--evidence", "0", HELDOUT])
        .assert()
        .success();
    let scores = d.path().join("s.jsonl");
    std::fs::write(&scores, &out.get_output().stdout).unwrap();
    let labels: usize = records(HELDOUT)
        .iter()
        .map(|r| r["stance"].as_object().map_or(0, |m| m.len()))
        .sum();
    let out = stance()
        .arg("compare")
        .arg(&scores)
        .args(["--by", "all", "--bootstrap", "20", "--labeled", HELDOUT])
        .assert()
        .success();
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        err.contains(&format!(
            "error rates from {labels} labeled examples of {HELDOUT}"
        )),
        "{err}"
    );
    // The held-out articles were written later than the training ones and are misclassified
    // differently (the README's first command): the test says so.
    assert!(
        err.contains("their confusion rows differ from the out-of-fold ones"),
        "{err}"
    );
    // So empirical Bayes gives the model's out-of-fold predictions less weight than their
    // number: "pooled with the model's M out-of-fold predictions, which count as K labeled
    // examples", K < M.
    let (m, k) = pooled_weight(&err).unwrap_or_else(|| panic!("no pooling message: {err}"));
    assert!(k >= 1.0 && k < m, "κ = {k} of {m}: {err}");
    // A weight given by hand is used as given; a bad one is named.
    let out = stance()
        .arg("compare")
        .arg(&scores)
        .args(["--by", "all", "--bootstrap", "20", "--labeled", HELDOUT])
        .args(["--own-weight", "50"])
        .assert()
        .success();
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert_eq!(pooled_weight(&err).map(|w| w.1), Some(50.0), "{err}");
    let out = stance()
        .arg("compare")
        .arg(&scores)
        .args(["--labeled", HELDOUT, "--own-weight", "lots"])
        .assert()
        .failure();
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("\"lots\" is not a weight"), "{err}");
    // The rows' expected errors come from the labeled articles (measured at 10, 50 and 200
    // articles, the nearest size outside them): every row of at most 10 articles has the one
    // of size 10, and they are not the model's own.
    let expected = |extra: &[&str]| -> Vec<(u64, f64)> {
        let out = stance()
            .arg("compare")
            .arg(&scores)
            .args(["--by", "all", "--bootstrap", "20", "--format", "jsonl"])
            .args(extra)
            .assert()
            .success();
        lines(&out.get_output().stdout)
            .iter()
            .map(|r| {
                (
                    r["n"].as_u64().unwrap(),
                    r["expected_error"].as_f64().unwrap(),
                )
            })
            .collect()
    };
    let with = expected(&["--labeled", HELDOUT]);
    let without = expected(&[]);
    let small: Vec<f64> = with.iter().filter(|r| r.0 <= 10).map(|r| r.1).collect();
    assert!(small.len() >= 2, "{with:?}");
    assert!(
        small.iter().all(|&e| e == small[0] && e > 0.0 && e < 2.0),
        "{with:?}"
    );
    assert_ne!(with, without);
    let page = d.path().join("r.html");
    let out = stance()
        .arg("report")
        .arg(&scores)
        .args(["--bootstrap", "20", "--labeled", HELDOUT, "--out"])
        .arg(&page)
        .assert()
        .success();
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        err.contains(&format!("error rates from {labels} labeled examples")),
        "{err}"
    );
    assert!(std::fs::read_to_string(&page).unwrap().contains("<html"));

    let bad = d.path().join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"id\": \"a\", \"text\": \"Russia said so.\", \"stance\": {\"Russia\": \"against\"}}\n{not json\n",
    )
    .unwrap();
    let out = stance()
        .arg("compare")
        .arg(&scores)
        .args(["--by", "all", "--labeled"])
        .arg(&bad)
        .assert()
        .failure();
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        err.contains("--labeled") && err.contains("bad.jsonl") && err.contains(":2"),
        "{err}"
    );
}

/// `simulate --label-new k` takes k of the new articles' examples for the rates: they leave
/// the estimated part, and asking for all of them is refused.
#[test]
fn label_new_takes_examples_out_of_the_new_articles() {
    // A small simulation of the held-out articles as the new ones, with `labels` (a flag and
    // its count) saying what to do with some of them.
    let run = |labels: [&str; 2]| {
        stance()
            .args([
                "simulate",
                "--data",
                "data/articles.jsonl",
                "--actors",
                "data/actors.toml",
            ])
            .args([
                "--new",
                HELDOUT,
                "--sizes",
                "10",
                "--upp",
                "2",
                "--bootstrap",
                "10",
            ])
            .args(["--format", "json"])
            .args(labels)
            .assert()
    };
    let report = |labels: [&str; 2]| -> Value {
        serde_json::from_slice(&run(labels).success().get_output().stdout).unwrap()
    };
    let base = report(["--label-new", "0"]);
    let all = base["splits"][0]["new_examples"].as_u64().unwrap();
    let rest = report(["--label-new", "40"])["splits"][0]["new_examples"]
        .as_u64()
        .unwrap();
    assert_eq!(rest + 40, all);
    // --retrain-new moves whole articles holding at least 40 examples into the training part.
    let moved = report(["--retrain-new", "40"]);
    let (b, m) = (&base["splits"][0], &moved["splits"][0]);
    let count = |v: &Value, k: &str| v[k].as_u64().unwrap();
    let articles = count(m, "labeled") - count(b, "labeled");
    assert!(articles > 0);
    assert_eq!(count(b, "new") - count(m, "new"), articles);
    assert!(count(b, "new_examples") - count(m, "new_examples") >= 40);
    let out = run(["--label-new", &all.to_string()]).failure();
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        err.contains(&format!("the new articles have only {all} examples")),
        "{err}"
    );
}

/// (out-of-fold predictions, their weight) from `--labeled`'s message on standard error.
fn pooled_weight(err: &str) -> Option<(f64, f64)> {
    let rest = err.split("pooled with the model's ").nth(1)?;
    let m: f64 = rest.split(' ').next()?.parse().ok()?;
    let k: f64 = rest
        .split("which count as ")
        .nth(1)?
        .split(' ')
        .next()?
        .parse()
        .ok()?;
    Some((m, k))
}
