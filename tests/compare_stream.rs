//! `stance compare --diff` and `stance report` run from streamed summaries (README,
//! "Comparing at scale"): on the scores of `data/`, where every group is within the exact
//! limit, they print what the in-memory versions printed, byte for byte; their figures agree
//! with the same figures worked out here from the score records; and with a small
//! `--exact-limit` (groups held as bins) the difference stays within the Monte Carlo error of
//! the exact one.

mod common;
use common::{data_scores, stance, tmp};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;

const A: &str = "The Clarion Tribune";
const B: &str = "Meridian Wire";

/// SHA-256 digests of the output of the in-memory `--diff` and `report` (every scored
/// article held; the version before streaming, commit 95d40f3) on the scores of `data/`.
const RECORDED: [(&str, &str); 5] = [
    (
        "diff-text",
        "dcd3538022b832070534c7f246fac49d362e474895216421cb51b6114e9ba173",
    ),
    (
        "diff-bcc-json",
        "d0063acf9d1d72fc9082045ba47d2e26f45ab1a9ab9b69f536c30da80dea250c",
    ),
    (
        "diff-month-csv",
        "ef9299fd05942b909fc20a62fb6bc909764a5ae41c562d2ddfb242551a05da1f",
    ),
    (
        "report",
        "c7ad8b207e724ffa63ee0150fcf8c5988a67e1772699ca1d183ebc40c8b89db0",
    ),
    (
        "report-iran-pcc",
        "285370d3e204cb8c3392cc2f812fc6490bb4b5a5ebbe3433d88039564eb61d9e",
    ),
];

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn run(args: &[&str]) -> Vec<u8> {
    stance()
        .args(args)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone()
}

fn report(scores: &str, out: &Path, extra: &[&str]) -> Vec<u8> {
    let out_s = out.to_str().unwrap();
    run(&[&["report", scores, "--out", out_s], extra].concat());
    std::fs::read(out).unwrap()
}

#[test]
fn diff_and_report_print_what_the_in_memory_versions_printed() {
    let d = tmp();
    let scores = data_scores(d.path());
    let s = scores.to_str().unwrap();
    let diff = ["compare", s, "--diff", A, B];
    let mut got = BTreeMap::new();
    got.insert("diff-text", run(&diff));
    got.insert(
        "diff-bcc-json",
        run(&[
            &diff[..],
            &["--estimator", "bcc", "--actor", "Iran", "--actor", "Israel"],
            &[
                "--format",
                "json",
                "--bootstrap",
                "300",
                "--permutations",
                "300",
            ],
        ]
        .concat()),
    );
    got.insert(
        "diff-month-csv",
        run(&[
            "compare", s, "--by", "month", "--diff", "2023-10", "2023-11", "--format", "csv",
        ]),
    );
    let page = report(s, &d.path().join("r.html"), &[]);
    got.insert("report", page.clone());
    let iran = [
        "--actor",
        "Iran",
        "--estimator",
        "pcc",
        "--bootstrap",
        "200",
    ];
    got.insert(
        "report-iran-pcc",
        report(s, &d.path().join("r2.html"), &iran),
    );
    for (name, want) in RECORDED {
        assert_eq!(
            hex(&got[name]),
            want,
            "{name} differs from the in-memory output"
        );
    }
    // One pass over the scores: standard input gives the same page.
    let out = d.path().join("stdin.html");
    stance()
        .args(["report", "-", "--out", out.to_str().unwrap()])
        .write_stdin(std::fs::read(&scores).unwrap())
        .assert()
        .success();
    assert_eq!(std::fs::read(&out).unwrap(), page);
}

/// Per actor, group A's and B's articles: n, the mean score (0 for an article without one)
/// and the net by classify and count (share predicted favor − share predicted against).
fn by_hand(scores: &Path) -> BTreeMap<String, [(usize, f64, f64); 2]> {
    let mut sums: BTreeMap<String, [(usize, f64, f64); 2]> = BTreeMap::new();
    for line in std::fs::read_to_string(scores).unwrap().lines() {
        let rec: Value = serde_json::from_str(line).unwrap();
        let side = match rec["source"].as_str() {
            Some(A) => 0,
            Some(B) => 1,
            _ => continue,
        };
        for s in rec["actors"].as_array().unwrap() {
            let e = &mut sums.entry(s["actor"].as_str().unwrap().into()).or_default()[side];
            e.0 += 1;
            e.1 += s["score"].as_f64().unwrap_or(0.0);
            e.2 += match s["label"].as_str().unwrap() {
                "favor" => 1.0,
                "against" => -1.0,
                _ => 0.0,
            };
        }
    }
    for v in sums.values_mut() {
        for side in v.iter_mut() {
            let n = side.0.max(1) as f64;
            side.1 /= n;
            side.2 /= n;
        }
    }
    sums.retain(|_, v| v[0].0 > 0 && v[1].0 > 0);
    sums
}

fn differences(out: &[u8]) -> Vec<Value> {
    let doc: Value = serde_json::from_slice(out).unwrap();
    doc["differences"].as_array().unwrap().clone()
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap()
}

#[test]
fn diff_figures_agree_with_the_scores_worked_out_by_hand_exact_and_binned() {
    let d = tmp();
    let scores = data_scores(d.path());
    let want = by_hand(&scores);
    assert!(want.len() >= 10);
    // Every group exact, then every group of more than 2 articles as bins: n, the mean score
    // and classify and count are exact from the bins' counts and sums.
    for limit in ["1000", "2"] {
        let out = run(&[
            "compare",
            scores.to_str().unwrap(),
            "--diff",
            A,
            B,
            "--estimator",
            "cc",
            "--format",
            "json",
            "--bootstrap",
            "200",
            "--permutations",
            "200",
            "--exact-limit",
            limit,
        ]);
        let got = differences(&out);
        assert_eq!(got.len(), want.len(), "limit {limit}");
        for g in &got {
            let [a, b] = want[g["actor"].as_str().unwrap()];
            assert_eq!(g["n_a"], a.0);
            assert_eq!(g["n_b"], b.0);
            assert!((num(&g["score"]["mean"]) - (a.1 - b.1)).abs() < 1e-9, "{g}");
            assert!((num(&g["net"]["mean"]) - (a.2 - b.2)).abs() < 1e-9, "{g}");
            assert_eq!(g["estimator"], "cc");
        }
    }
}

/// Per actor, the largest gaps between two differences: of the score means, of the nets, of
/// the interval ends, of the p-values.
fn gaps(x: &[Value], y: &[Value]) -> Vec<[f64; 4]> {
    assert_eq!(x.len(), y.len());
    x.iter()
        .zip(y)
        .map(|(a, b)| {
            assert_eq!(a["actor"], b["actor"]);
            assert_eq!((&a["n_a"], &a["n_b"]), (&b["n_a"], &b["n_b"]));
            let gap = |f: &dyn Fn(&Value) -> f64| (f(a) - f(b)).abs();
            let mut worst = [
                gap(&|v| num(&v["score"]["mean"])),
                gap(&|v| num(&v["net"]["mean"])),
                0.0,
                0.0,
            ];
            for part in ["score", "net"] {
                for end in ["low", "high"] {
                    worst[2] = worst[2].max(gap(&|v| num(&v[part][end])));
                }
                let p = format!("{part}_p");
                worst[3] = worst[3].max(gap(&|v| num(&v[&p])));
            }
            worst
        })
        .collect()
}

#[test]
fn binned_diff_stays_within_the_monte_carlo_error_of_the_exact_one() {
    let d = tmp();
    let scores = data_scores(d.path());
    let s = scores.to_str().unwrap();
    // The default estimator (EMQ for the built-in model), all actors both name.
    let diff = |limit: &str, seed: &str| {
        differences(&run(&[
            "compare",
            s,
            "--diff",
            A,
            B,
            "--format",
            "json",
            "--exact-limit",
            limit,
            "--seed",
            seed,
        ]))
    };
    let exact = diff("1000", "42");
    let binned = diff("3", "42");
    let noise = gaps(&exact, &diff("1000", "43"));
    let g = gaps(&exact, &binned);
    for ((e, g), noise) in exact.iter().zip(&g).zip(&noise) {
        let actor = &e["actor"];
        // The score means are exact from the bins' sums; EMQ on the bins' mean probabilities
        // moves the net by less than a bin's width (0.01) per share.
        assert!(g[0] < 1e-9, "{actor}: {g:?}");
        assert!(g[1] < 0.02, "{actor}: {g:?}");
        // Intervals and p-values: other resamples and shuffles, of bins instead of articles,
        // within 1.5 times what another seed moves this actor's, plus 0.01.
        for k in [2, 3] {
            assert!(
                g[k] <= 1.5 * noise[k] + 0.01,
                "{actor}: {g:?} against another seed's {noise:?}"
            );
        }
    }
    // The bins did run: some p-value or interval moved.
    assert!(g.iter().any(|g| g[2] > 0.0 || g[3] > 0.0), "{g:?}");
    // What is clearly different stays so, and what is not stays not.
    for (e, b) in exact.iter().zip(&binned) {
        for p in ["score_p", "net_p"] {
            if num(&e[p]) < 0.01 {
                assert!(num(&b[p]) < 0.02, "{e}\n{b}");
            }
            if num(&e[p]) > 0.2 {
                assert!(num(&b[p]) > 0.1, "{e}\n{b}");
            }
        }
    }
}

#[test]
fn report_with_bins_describes_the_same_data_and_groups() {
    let d = tmp();
    let scores = data_scores(d.path());
    let s = scores.to_str().unwrap();
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
    let exact = text(report(s, &d.path().join("e.html"), &["--bootstrap", "200"]));
    let binned = text(report(
        s,
        &d.path().join("b.html"),
        &["--bootstrap", "200", "--exact-limit", "0"],
    ));
    assert_ne!(exact, binned);
    // The lede and the methods' data line, and the tables' rows, one per group and actor.
    let between = |page: &str, from: &str, to: &str| -> String {
        let at = page.find(from).unwrap();
        page[at..].split(to).next().unwrap().to_string()
    };
    for (from, to) in [("<p class=\"lede\">", "</p>"), ("<li>Data:", "</li>")] {
        assert_eq!(between(&exact, from, to), between(&binned, from, to));
    }
    assert!(
        exact.contains("<li>Data: 208 articles from 9 sources"),
        "{exact}"
    );
    assert_eq!(exact.matches("<tr").count(), binned.matches("<tr").count());
    assert!(exact.matches("<tr").count() > 100);
}
