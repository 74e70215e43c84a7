//! `stance compare` from the per-group summary (bins, what groups above `--exact-limit` get)
//! against the exact computation, article by article, on the scores of `data/`.
//!
//! Tolerances, and why:
//! - the counts, CC, PCC, ACC, PACC and the mean score are exact from the bins' counts and
//!   sums (1e-9: only the order of the floating-point sums differs);
//! - EMQ runs on the bins' mean probabilities instead of each article's: 0.01 of a share (bins
//!   are 0.01 wide; the EM answer moves by less than a bin's width);
//! - the intervals come from other resamples (multinomial over bins instead of indices over
//!   articles) of the same bootstrap, and BayesianCC's posterior with another stream of the
//!   generator: Monte Carlo error, which is measured here by running the exact computation
//!   with another seed; the summary may differ from the exact result by at most 1.5 times
//!   that, plus 0.01.

mod common;
use common::{stance, tmp};
use serde_json::Value;

fn rows(out: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The largest gaps between two comparisons: of EMQ's shares, of the shares and mean scores
/// that bins give exactly (CC, PCC, ACC, PACC), of interval ends, of BayesianCC's shares.
fn gaps(exact: &[Value], other: &[Value]) -> [f64; 4] {
    assert_eq!(exact.len(), other.len());
    let num = |v: &Value| v.as_f64().unwrap();
    let mut worst = [0.0f64; 4];
    for (e, b) in exact.iter().zip(other) {
        assert_eq!(e["actor"], b["actor"]);
        assert_eq!(e["n"], b["n"]);
        assert_eq!(e["label_count"], b["label_count"]);
        worst[1] = worst[1].max((num(&e["score"]["mean"]) - num(&b["score"]["mean"])).abs());
        for end in ["low", "high"] {
            worst[2] = worst[2].max((num(&e["score"][end]) - num(&b["score"][end])).abs());
        }
        let (ee, be) = (
            e["estimates"].as_array().unwrap(),
            b["estimates"].as_array().unwrap(),
        );
        assert_eq!(ee.len(), be.len());
        for (se, sb) in ee.iter().zip(be) {
            assert_eq!(se["estimator"], sb["estimator"]);
            let point = match se["estimator"].as_str().unwrap() {
                "emq" => 0,
                "bcc" => 3,
                _ => 1,
            };
            for c in 0..se["share"].as_array().unwrap().len() {
                let gap = (num(&se["share"][c]) - num(&sb["share"][c])).abs();
                worst[point] = worst[point].max(gap);
                for end in ["low", "high"] {
                    worst[2] = worst[2].max((num(&se[end][c]) - num(&sb[end][c])).abs());
                }
            }
        }
    }
    worst
}

#[test]
fn the_summary_agrees_with_the_exact_computation() {
    let d = tmp();
    let scores = d.path().join("s.jsonl");
    let out = stance()
        .args(["score", "data/articles.jsonl", "--evidence", "0"])
        .assert()
        .success();
    std::fs::write(&scores, &out.get_output().stdout).unwrap();
    let run = |limit: &str, seed: &str| {
        let out = stance()
            .arg("compare")
            .arg(&scores)
            .args(["--by", "all", "--format", "jsonl", "--exact-limit", limit])
            .args(["--seed", seed])
            .assert()
            .success();
        rows(&out.get_output().stdout)
    };
    let exact = run("1000", "42");
    assert!(exact.len() >= 10);
    let summary = gaps(&exact, &run("0", "42"));
    let reseeded = gaps(&exact, &run("1000", "7"));
    eprintln!("largest gaps (emq, exact points, interval ends, bcc): summary {summary:?}, exact with another seed {reseeded:?}");
    assert!(summary[1] < 1e-9, "{summary:?}");
    assert!(summary[0] < 0.01, "{summary:?}");
    // Monte Carlo: no larger than what another seed of the exact computation moves them, with
    // 0.01 (a printed digit) of slack.
    assert!(
        summary[2] <= 1.5 * reseeded[2] + 0.01,
        "{summary:?} {reseeded:?}"
    );
    assert!(
        summary[3] <= 1.5 * reseeded[3] + 0.01,
        "{summary:?} {reseeded:?}"
    );
}
