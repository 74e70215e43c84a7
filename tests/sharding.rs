//! Sharding: `data/articles.jsonl` cut into k shards at arbitrary lines, each shard scored
//! through standard input by its own `stance score -` process (as a map task of Hadoop
//! Streaming, Spark's RDD.pipe or GNU parallel would), the outputs joined in shard order: the
//! result must equal one direct run on the whole file.
//!
//! Records with an id must come out byte for byte the same. Error records name the file and
//! line they came from (`<stdin>` and the line within the shard under a pipe), so those two
//! fields, and the `FILE:LINE: ` that opens their message, are left out of the comparison.
//!
//! Records without an id get one derived from their text (`sha256:` and 16 hex digits of the
//! text's SHA-256), the same in every shard: `idless_records_get_the_same_ids_in_shards`
//! requires the sharded ids equal the direct run's, worked out here from the text, shared by
//! two records with the same text and by nothing else.

use assert_cmd::Command;
use serde_json::Value;
use std::io::Write;
use std::path::Path;

const MODEL: &str = "models/default.json";

/// A small deterministic generator, so that the cuts are arbitrary but the same every run.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

/// k shards of `lines`: k - 1 cut points, arbitrary (repeats allowed, so a shard may be empty).
fn shards(lines: &[String], k: usize, rng: &mut Lcg) -> Vec<Vec<String>> {
    let mut cuts: Vec<usize> = (0..k - 1).map(|_| rng.below(lines.len() + 1)).collect();
    cuts.sort_unstable();
    let mut out = Vec::new();
    let mut start = 0;
    for c in cuts.into_iter().chain(std::iter::once(lines.len())) {
        out.push(lines[start..c].to_vec());
        start = c;
    }
    out
}

fn run(args: &[&str], stdin: Option<String>) -> (i32, String) {
    let mut cmd = Command::cargo_bin("stance").unwrap();
    cmd.arg("score")
        .args(args)
        .args(["--model", MODEL, "--quiet"]);
    if let Some(s) = stdin {
        cmd.write_stdin(s);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(1),
        "stance score {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
    )
}

/// Every shard through stdin, outputs joined in order. `header`: CSV, where each shard's output
/// opens with the header line (kept once).
fn sharded(parts: &[Vec<String>], args: &[&str], header: bool) -> (String, bool) {
    let mut joined = String::new();
    let mut any_failed = false;
    for (i, part) in parts.iter().enumerate() {
        let input: String = part.iter().map(|l| format!("{l}\n")).collect();
        let mut a = vec!["-"];
        a.extend_from_slice(args);
        let (code, out) = run(&a, Some(input));
        any_failed |= code == 1;
        let body = if header && i > 0 {
            out.split_once('\n')
                .map_or("", |(_, rest)| rest)
                .to_string()
        } else {
            out
        };
        joined.push_str(&body);
    }
    (joined, any_failed)
}

/// An error record without the fields that say where it was read.
fn normalise(line: &str) -> Value {
    let mut r: Value = serde_json::from_str(line).unwrap();
    if let Some(o) = r.as_object_mut() {
        if o.get("error").is_some_and(|e| !e.is_null()) {
            let file = o.remove("file");
            let line = o.remove("line");
            if let (Some(Value::String(f)), Some(l), Some(Value::String(e))) =
                (file, line, o.get("error").cloned())
            {
                let prefix = format!("{f}:{l}: ");
                if let Some(rest) = e.strip_prefix(&prefix) {
                    o.insert("error".into(), Value::String(rest.to_string()));
                }
            }
        }
    }
    r
}

fn data_lines() -> Vec<String> {
    std::fs::read_to_string("data/articles.jsonl")
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn write_tmp(dir: &Path, name: &str, lines: &[String]) -> String {
    let p = dir.join(name);
    let mut f = std::fs::File::create(&p).unwrap();
    for l in lines {
        writeln!(f, "{l}").unwrap();
    }
    p.display().to_string()
}

#[test]
fn shards_joined_equal_a_direct_run() {
    let lines = data_lines();
    let (code, direct) = run(&["data/articles.jsonl"], None);
    assert_eq!(code, 0);
    assert_eq!(direct.lines().count(), lines.len());
    let mut rng = Lcg(16);
    for k in [1, 2, 3, 5, 8, 13] {
        let parts = shards(&lines, k, &mut rng);
        let sizes: Vec<usize> = parts.iter().map(Vec::len).collect();
        let (joined, failed) = sharded(&parts, &[], false);
        assert!(!failed);
        assert!(
            joined == direct,
            "{k} shards (sizes {sizes:?}) joined differ from the direct run"
        );
    }
}

#[test]
fn csv_shards_joined_equal_a_direct_run() {
    let lines = data_lines();
    let args = ["--format", "csv", "--evidence", "0", "--threads", "1"];
    let mut a = vec!["data/articles.jsonl"];
    a.extend_from_slice(&args);
    let (_, direct) = run(&a, None);
    let mut rng = Lcg(61);
    for k in [2, 4, 7] {
        let parts = shards(&lines, k, &mut rng);
        let (joined, _) = sharded(&parts, &args, true);
        assert!(joined == direct, "{k} CSV shards joined differ");
    }
}

/// The data with bad lines spliced in (malformed JSON, a missing text, an empty text, a bad
/// date, a blank line), at fixed arbitrary places.
fn with_bad_lines(lines: &[String]) -> Vec<String> {
    let bad = [
        r#"{"id": "bad0", "text": "#.to_string(),
        r#"{"id": "bad1"}"#.to_string(),
        r#"{"id": "bad2", "text": "   "}"#.to_string(),
        r#"{"id": "bad3", "text": "Iran said so.", "date": "2023-13-45"}"#.to_string(),
        "not json at all".to_string(),
        String::new(),
    ];
    let mut out = lines.to_vec();
    let mut rng = Lcg(7);
    for b in bad {
        let at = rng.below(out.len() + 1);
        out.insert(at, b);
    }
    out
}

#[test]
fn bad_records_stay_in_place_across_shards() {
    let dir = tempfile::tempdir().unwrap();
    let lines = with_bad_lines(&data_lines());
    let path = write_tmp(dir.path(), "with_bad.jsonl", &lines);
    let (code, direct) = run(&[&path, "--evidence", "0"], None);
    assert_eq!(code, 1, "bad records make the exit status 1");
    let want: Vec<Value> = direct.lines().map(normalise).collect();
    assert_eq!(
        want.len(),
        lines.iter().filter(|l| !l.trim().is_empty()).count()
    );
    let mut rng = Lcg(3);
    for k in [2, 5, 9] {
        let parts = shards(&lines, k, &mut rng);
        let (joined, failed) = sharded(&parts, &["--evidence", "0"], false);
        assert!(failed, "some shard holds a bad record and exits 1");
        let got: Vec<Value> = joined.lines().map(normalise).collect();
        assert_eq!(got.len(), want.len(), "{k} shards: record count");
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_eq!(g, w, "{k} shards: record {i} differs");
        }
    }
}

/// The id a record without one gets, worked out here from the text as the README describes it.
fn sha256_id(text: &str) -> String {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(text.as_bytes());
    let hex: String = d.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{}", &hex[..16])
}

#[test]
fn idless_records_get_the_same_ids_in_shards() {
    let dir = tempfile::tempdir().unwrap();
    // Every third article without its id; two id-less records with the same text (in different
    // places), and an id-less record with a readable text but a bad date (an error record).
    let mut lines: Vec<String> = data_lines()
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            if i % 3 == 1 {
                let mut v: Value = serde_json::from_str(&l).unwrap();
                v.as_object_mut().unwrap().remove("id");
                v.to_string()
            } else {
                l
            }
        })
        .collect();
    let twin = r#"{"text": "Tehran condemned the strikes on Gaza."}"#;
    lines.insert(17, twin.into());
    lines.insert(150, twin.into());
    lines.insert(
        90,
        r#"{"text": "Kyiv answered.", "date": "2023-02-30"}"#.into(),
    );
    let inputs: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let path = write_tmp(dir.path(), "idless.jsonl", &lines);
    let (code, direct) = run(&[&path, "--evidence", "0"], None);
    assert_eq!(code, 1, "the bad date makes the exit status 1");
    let want: Vec<Value> = direct.lines().map(normalise).collect();
    assert_eq!(want.len(), lines.len());
    // The direct run's ids: the record's own, or the one its text gives.
    for (w, input) in want.iter().zip(&inputs) {
        let expected = match input.get("id") {
            Some(id) => id.as_str().unwrap().to_string(),
            None => sha256_id(input["text"].as_str().unwrap()),
        };
        assert_eq!(w["id"], expected.as_str(), "record {input}");
    }
    assert_eq!(
        want[17]["id"], want[151]["id"],
        "the same text, the same id"
    );
    assert!(want[90]["error"].as_str().unwrap().contains("date"));
    let mut rng = Lcg(11);
    for k in [2, 4, 6] {
        let parts = shards(&lines, k, &mut rng);
        let (joined, failed) = sharded(&parts, &["--evidence", "0"], false);
        assert!(failed);
        let got: Vec<Value> = joined.lines().map(normalise).collect();
        assert_eq!(got.len(), want.len());
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_eq!(g, w, "{k} shards: record {i} differs");
        }
    }
    // Different texts never share an id.
    let mut by_id: std::collections::BTreeMap<String, String> = Default::default();
    for (w, input) in want.iter().zip(&inputs) {
        let text = input["text"].to_string();
        let id = w["id"].as_str().unwrap().to_string();
        if let Some(prev) = by_id.insert(id.clone(), text.clone()) {
            assert_eq!(prev, text, "two different texts got the id {id}");
        }
    }
}
