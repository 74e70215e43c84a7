//! Any model that loads runs every verb without panicking (issue 17, gone past).
//!
//! A model is trained once with cross-validation (so it has every section: both classifiers,
//! the featurizer, the actors, the out-of-fold predictions, the actor profiles, the report).
//! Each case edits its JSON in one to four places — a number replaced by another (0, -1, huge,
//! tiny, fractional), a string, null, a boolean, an empty list or object, a list shortened,
//! lengthened or emptied, a key removed — and then computes the checksum again, as a careful
//! hand edit would, so that the loader's own checks are what stands between the edit and the
//! verbs. Loading may refuse the file (it must not panic doing so); a model it accepts must
//! then run `score` (JSON Lines and CSV, with evidence), `explain` (stance, sentiment, per
//! actor), `compare` (every estimator), `report` and `eval --model` to an exit status of 0 or
//! 1, never a panic.
//!
//! `PROPTEST_CASES=N` sets the number of cases (default 24).

use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("stance")
}

/// The labeled articles and actors of the repository, the first 60 articles.
struct Fixture {
    _dir: tempfile::TempDir,
    dir: PathBuf,
    model: Value,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
        let data: String = std::fs::read_to_string(root.join("articles.jsonl"))
            .unwrap()
            .lines()
            .take(60)
            .map(|l| format!("{l}\n"))
            .collect();
        std::fs::write(dir.path().join("train.jsonl"), data).unwrap();
        std::fs::copy(root.join("actors.toml"), dir.path().join("actors.toml")).unwrap();
        let out = std::process::Command::new(bin())
            .current_dir(dir.path())
            .args([
                "train",
                "--data",
                "train.jsonl",
                "--actors",
                "actors.toml",
                "-q",
            ])
            .args(["--folds", "3", "--out", "base.json"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Scores of the base model, without the model's mark, so that any edit may read them.
        let out = std::process::Command::new(bin())
            .current_dir(dir.path())
            .args(["score", "--model", "base.json", "train.jsonl", "-q"])
            .output()
            .unwrap();
        let scores: String = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| {
                let mut v: Value = serde_json::from_str(l).unwrap();
                v.as_object_mut().unwrap().remove("model");
                format!("{v}\n")
            })
            .collect();
        std::fs::write(dir.path().join("scores.jsonl"), scores).unwrap();
        let model =
            serde_json::from_slice(&std::fs::read(dir.path().join("base.json")).unwrap()).unwrap();
        Fixture {
            dir: dir.path().to_path_buf(),
            _dir: dir,
            model,
        }
    })
}

/// The model file of `v`, its checksum computed again.
fn sealed(v: &Value) -> Vec<u8> {
    use sha2::Digest;
    let mut v = v.clone();
    v.as_object_mut().unwrap().remove("checksum");
    let mut body = serde_json::to_vec(&v).unwrap();
    body.pop();
    let sum: String = sha2::Sha256::digest(&body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    body.extend_from_slice(b",\"checksum\":\"");
    body.extend_from_slice(sum.as_bytes());
    body.extend_from_slice(b"\"}\n");
    body
}

/// Every place in `v` (a JSON pointer), containers included, the checksum left out.
fn places(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if at.is_empty() && k == "checksum" {
                    continue;
                }
                let p = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                out.push(p.clone());
                places(x, p, out);
            }
        }
        Value::Array(a) => {
            // A few elements of long lists: the first, the last, one in the middle.
            let n = a.len();
            let mut picks = vec![0, n / 2, n.saturating_sub(1)];
            picks.dedup();
            for i in picks.into_iter().filter(|&i| i < n) {
                let p = format!("{at}/{i}");
                out.push(p.clone());
                places(&a[i], p, out);
            }
        }
        _ => {}
    }
}

const NUMBERS: [f64; 12] = [
    0.0,
    -1.0,
    1.0,
    2.0,
    0.5,
    3.0,
    1e308,
    -1e308,
    1e-320,
    4294967296.0,
    1e19,
    -0.0,
];

/// One edit: where (an index into the places), what, and a number to choose with.
fn edit(v: &mut Value, place: &str, kind: u8, pick: usize) {
    let Some(x) = v.pointer_mut(place) else {
        return;
    };
    let number = |i: usize| {
        serde_json::Number::from_f64(NUMBERS[i % NUMBERS.len()]).map_or(Value::Null, Value::Number)
    };
    match kind % 12 {
        // Numbers are the likeliest to load: most kinds of edit keep the shape.
        0..=3 => *x = number(pick),
        4 => *x = Value::from((pick % 7) as u64),
        5 => {
            *x = Value::String(["", "x", "favor", "\u{1b}[2J", "against", "Iran"][pick % 6].into())
        }
        6 => *x = Value::Null,
        7 => *x = Value::Bool(pick.is_multiple_of(2)),
        8 => match x {
            Value::Array(a) => {
                let keep = pick % (a.len() + 1);
                a.truncate(keep);
            }
            _ => *x = Value::Array(Vec::new()),
        },
        9 => match x {
            Value::Array(a) if !a.is_empty() => {
                let first = a[0].clone();
                a.push(first);
            }
            _ => *x = Value::Object(Default::default()),
        },
        10 => match x {
            Value::Object(m) if !m.is_empty() => {
                let k = m.keys().nth(pick % m.len()).cloned().unwrap();
                m.remove(&k);
            }
            Value::Array(a) => a.clear(),
            _ => *x = number(pick),
        },
        _ => match x {
            Value::Array(a) => {
                for (i, e) in a.iter_mut().enumerate() {
                    if e.is_number() {
                        *e = number(pick + i);
                    }
                }
            }
            _ => *x = number(pick + 1),
        },
    }
}

/// Runs stance in `dir`; what is wrong with how it ended (a panic, or another status than
/// 0 and 1), if anything.
fn verb(dir: &Path, args: &[&str]) -> Option<String> {
    let out = std::process::Command::new(bin())
        .current_dir(dir)
        .args(args)
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let ok = matches!(out.status.code(), Some(0 | 1)) && !stderr.contains("panicked");
    (!ok).then(|| {
        format!(
            "stance {}: exit {:?}: {}",
            args.join(" "),
            out.status.code(),
            stderr.lines().take(6).collect::<Vec<_>>().join(" | ")
        )
    })
}

/// Every verb that reads a model, on the model file `m.json` in `dir`.
fn every_verb(dir: &Path, model: &stance::StanceModel) -> Vec<String> {
    let mut runs: Vec<Vec<String>> = vec![
        vec!["score", "--model", "m.json", "train.jsonl", "-q"],
        vec![
            "score",
            "--model",
            "m.json",
            "train.jsonl",
            "-q",
            "--format",
            "csv",
        ],
        vec![
            "score",
            "--model",
            "m.json",
            "train.jsonl",
            "-q",
            "--evidence",
            "0",
            "--actor",
            "Iran",
        ],
        vec!["explain", "--model", "m.json"],
        vec!["explain", "--model", "m.json", "--task", "sentiment"],
        vec![
            "eval",
            "--model",
            "m.json",
            "--data",
            "train.jsonl",
            "--oof",
            "oof.jsonl",
        ],
        vec![
            "report",
            "scores.jsonl",
            "--model",
            "m.json",
            "--bootstrap",
            "20",
            "--out",
            "r.html",
        ],
        vec![
            "compare",
            "scores.jsonl",
            "--model",
            "m.json",
            "--bootstrap",
            "20",
            "--by",
            "month",
            "--plot",
            "c.svg",
        ],
    ]
    .into_iter()
    .map(|v| v.into_iter().map(String::from).collect())
    .collect();
    for e in ["cc", "pcc", "acc", "pacc", "emq", "bcc"] {
        runs.push(
            [
                "compare",
                "scores.jsonl",
                "--model",
                "m.json",
                "--bootstrap",
                "20",
                "--estimator",
                e,
            ]
            .into_iter()
            .map(String::from)
            .collect(),
        );
    }
    runs.push(
        [
            "compare",
            "scores.jsonl",
            "--model",
            "m.json",
            "--bootstrap",
            "20",
            "--diff",
            "Meridian Wire",
            "The Clarion Tribune",
        ]
        .into_iter()
        .map(String::from)
        .collect(),
    );
    for a in model.info.actor_profiles.keys().take(2) {
        runs.push(
            ["explain", "--model", "m.json", "--actor", a.as_str()]
                .into_iter()
                .map(String::from)
                .collect(),
        );
    }
    runs.iter()
        .filter_map(|r| verb(dir, &r.iter().map(String::as_str).collect::<Vec<_>>()))
        .collect()
}

proptest! {
    #![proptest_config(Config {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(24),
        failure_persistence: None,
        ..Config::default()
    })]

    #[test]
    fn any_model_that_loads_runs_every_verb_without_panicking(
        edits in prop::collection::vec((any::<u32>(), any::<u8>(), any::<u32>()), 1..5)
    ) {
        let f = fixture();
        let mut v = f.model.clone();
        for (place, kind, pick) in &edits {
            let mut all = Vec::new();
            places(&v, String::new(), &mut all);
            let p = all[*place as usize % all.len()].clone();
            edit(&mut v, &p, *kind, *pick as usize);
        }
        let bytes = sealed(&v);
        let loaded = std::panic::catch_unwind(|| stance::StanceModel::from_bytes(&bytes, "m.json"));
        prop_assert!(loaded.is_ok(), "loading panicked");
        if let Ok(Ok(model)) = loaded {
            let dir = tempfile::tempdir().unwrap();
            for name in ["train.jsonl", "actors.toml", "scores.jsonl"] {
                std::fs::copy(f.dir.join(name), dir.path().join(name)).unwrap();
            }
            std::fs::write(dir.path().join("m.json"), &bytes).unwrap();
            let problems = every_verb(dir.path(), &model);
            prop_assert!(problems.is_empty(), "edits {:?}:\n{}", edits, problems.join("\n"));
        }
    }
}

/// The edits load often enough for the property to mean something: of 200 random edit sets,
/// some load (and the unedited model always does).
#[test]
fn some_edited_models_load() {
    let f = fixture();
    assert!(stance::StanceModel::from_bytes(&sealed(&f.model), "m.json").is_ok());
    let mut loaded = 0;
    let mut rng = 0x9e3779b97f4a7c15u64;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    for _ in 0..200 {
        let mut v = f.model.clone();
        let mut all = Vec::new();
        places(&v, String::new(), &mut all);
        let p = all[next() as usize % all.len()].clone();
        edit(&mut v, &p, next() as u8, next() as usize);
        if stance::StanceModel::from_bytes(&sealed(&v), "m.json").is_ok() {
            loaded += 1;
        }
    }
    eprintln!("{loaded} of 200 edited models load");
    assert!(loaded >= 20, "only {loaded} of 200 edited models load");
}
