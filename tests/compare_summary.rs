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
use common::{data_scores, stance, tmp};
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
    let scores = data_scores(d.path());
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

/// Every number of two JSON values within `tol` of each other, everything else equal; the
/// largest gap.
fn max_gap(a: &Value, b: &Value, at: &str) -> f64 {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            assert_eq!(x.len(), y.len(), "{at}: keys");
            x.iter()
                .map(|(k, v)| max_gap(v, &y[k], &format!("{at}.{k}")))
                .fold(0.0, f64::max)
        }
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(x.len(), y.len(), "{at}: length");
            x.iter()
                .zip(y)
                .map(|(v, w)| max_gap(v, w, at))
                .fold(0.0, f64::max)
        }
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            (x.as_f64().unwrap() - y.as_f64().unwrap()).abs()
        }
        _ => {
            assert_eq!(a, b, "{at}");
            0.0
        }
    }
}

/// The score file cut into parts at `cuts` (line numbers; a repeated cut makes an empty
/// part), each summarised with `--save-summary`; the summary files.
fn summarise_parts(
    dir: &std::path::Path,
    lines: &[&str],
    cuts: &[usize],
    args: &[&str],
) -> Vec<String> {
    let mut bounds = vec![0];
    bounds.extend_from_slice(cuts);
    bounds.push(lines.len());
    let mut out = Vec::new();
    for (i, w) in bounds.windows(2).enumerate() {
        let part = dir.join(format!("part{i}.jsonl"));
        let text: String = lines[w[0]..w[1]].iter().map(|l| format!("{l}\n")).collect();
        std::fs::write(&part, text).unwrap();
        let sum = dir.join(format!("part{i}.summary.json"));
        stance()
            .arg("compare")
            .arg(&part)
            .args(args)
            .arg("--save-summary")
            .arg(&sum)
            .assert()
            .success();
        out.push(sum.display().to_string());
    }
    out
}

#[test]
fn summaries_of_parts_merged_equal_the_whole() {
    let d = tmp();
    let scores = data_scores(d.path());
    let text = std::fs::read_to_string(&scores).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 208);
    // Exact groups (the default limit; no group reaches it) and bins (limit 5: most groups
    // are binned in the whole run, some only once merged, some stay exact).
    for limit in ["1000", "5"] {
        let args = ["--by", "all", "--exact-limit", limit];
        let whole = stance()
            .arg("compare")
            .arg(&scores)
            .args(args)
            .args(["--format", "jsonl"])
            .assert()
            .success();
        let whole = rows(&whole.get_output().stdout);
        assert!(whole.len() >= 10);
        for cuts in [vec![104], vec![3, 77, 77, 150], vec![1, 2, 3, 4, 5, 200]] {
            let parts = summarise_parts(d.path(), &lines, &cuts, &args);
            let merged = stance()
                .arg("compare")
                .arg("--from-summary")
                .args(&parts)
                .args(args)
                .args(["--format", "jsonl"])
                .assert()
                .success();
            let merged_out = merged.get_output().stdout.clone();
            let merged = rows(&merged_out);
            assert_eq!(merged.len(), whole.len());
            let gap = merged
                .iter()
                .zip(&whole)
                .map(|(m, w)| max_gap(m, w, "row"))
                .fold(0.0, f64::max);
            if limit == "1000" {
                // Articles appended in order: exactly the rows one run holds, the same
                // resamples, so the same bytes.
                assert_eq!(gap, 0.0, "cuts {cuts:?}");
            } else {
                // Bins' sums added in another order: floating-point rounding only.
                assert!(gap < 1e-9, "cuts {cuts:?}: largest gap {gap}");
            }
            // Merging summaries into one summary first (a tree of merges) changes nothing.
            let two = d.path().join("two.summary.json");
            stance()
                .arg("compare")
                .arg("--from-summary")
                .args(&parts[..2])
                .args(args)
                .arg("--save-summary")
                .arg(&two)
                .assert()
                .success();
            let again = stance()
                .arg("compare")
                .arg("--from-summary")
                .arg(&two)
                .args(&parts[2..])
                .args(args)
                .args(["--format", "jsonl"])
                .assert()
                .success();
            let again = rows(&again.get_output().stdout);
            assert_eq!(again.len(), merged.len());
            let gap = again
                .iter()
                .zip(&merged)
                .map(|(a, m)| max_gap(a, m, "row"))
                .fold(0.0, f64::max);
            // Exact groups: the same. Bins: their sums pass through the JSON of the summary
            // once more, and serde_json's default float parser may be a unit in the last
            // place off.
            let tol = if limit == "1000" { 0.0 } else { 1e-12 };
            assert!(
                gap <= tol,
                "cuts {cuts:?}: merged in two steps, largest gap {gap}"
            );
        }
    }
}

#[test]
fn summaries_that_do_not_fit_are_refused_by_name() {
    let d = tmp();
    let scores = data_scores(d.path());
    let sum = d.path().join("a.json");
    stance()
        .arg("compare")
        .arg(&scores)
        .args(["--by", "month", "--save-summary"])
        .arg(&sum)
        .assert()
        .success();
    let err = |args: &[&str], file: &std::path::Path| {
        let out = stance()
            .args(["compare", "--from-summary"])
            .arg(file)
            .args(args)
            .assert()
            .code(1);
        String::from_utf8_lossy(&out.get_output().stderr).to_string()
    };
    let e = err(&["--by", "source"], &sum);
    assert!(e.contains("--by month") && e.contains("a.json"), "{e}");
    let text = std::fs::read_to_string(&sum).unwrap();
    let v2 = d.path().join("v2.json");
    std::fs::write(&v2, text.replacen("\"version\":1", "\"version\":2", 1)).unwrap();
    let e = err(&["--by", "month"], &v2);
    assert!(e.contains("v2.json") && e.contains("version 2"), "{e}");
    let short = d.path().join("short.json");
    std::fs::write(&short, text.replacen("\"n\":", "\"n\":1", 1)).unwrap();
    let e = err(&["--by", "month"], &short);
    assert!(
        e.contains("short.json: groups[0]") && e.contains("\"n\""),
        "{e}"
    );
    let cut = d.path().join("cut.json");
    std::fs::write(&cut, &text[..text.len() / 2]).unwrap();
    let e = err(&["--by", "month"], &cut);
    assert!(e.contains("cut.json: line 1"), "{e}");
}
