//! End to end in a real browser: `stance label` on a free port, the page driven by keyboard in
//! headless Chromium (Debian's package, installed when missing) through playwright-core (from
//! npm, into a cache under target/), three articles labeled, one undone and labeled again, a
//! fourth labeled by initials; then the decision file on disk is checked and a screenshot is
//! left at target/label-page.png. Skipped, with the reason, only when Chromium or
//! playwright-core cannot be had.

#[path = "browser/common.rs"]
mod common;

use common::{chromium, playwright};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn label_page_by_keyboard_in_headless_chromium() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let chrome = match chromium() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("SKIPPED label_browser: no Chromium and it cannot be installed here: {e}");
            return;
        }
    };
    let modules = match playwright(&tmp.join("browser-npm")) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("SKIPPED label_browser: playwright-core cannot be installed here: {e}");
            return;
        }
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("labels.jsonl");
    let mut child = Command::new(env!("CARGO_BIN_EXE_stance"))
        .args(["label", "--data"])
        .arg(root.join("data/articles.jsonl"))
        .arg("--actors")
        .arg(root.join("data/actors.toml"))
        .arg("--model")
        .arg(root.join("models/default.json"))
        .arg("--out")
        .arg(&out)
        .args(["--port", "0", "--annotator", "browser"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("stance label starts");
    let stdout = child.stdout.take().unwrap();
    let server = Server(child);
    let mut url = String::new();
    BufReader::new(stdout).read_line(&mut url).unwrap();
    let url = url.trim().to_string();
    assert!(
        url.starts_with("http://127.0.0.1:") && !url.ends_with(":0/"),
        "the real port is printed: {url}"
    );
    let shot = root.join("target").join("label-page.png");
    let start = Instant::now();
    let o = Command::new("node")
        .arg(root.join("tests/browser/label.cjs"))
        .env("NODE_PATH", &modules)
        .env("STANCE_URL", &url)
        .env("CHROMIUM", &chrome)
        .env("SCREENSHOT", &shot)
        .output()
        .expect("node runs");
    assert!(
        o.status.success(),
        "the browser script failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(start.elapsed() < Duration::from_secs(120));
    let report: serde_json::Value = serde_json::from_str(
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .last()
            .expect("a report line"),
    )
    .unwrap();
    assert_eq!(report["problems"], serde_json::json!([]), "{report}");
    assert_eq!(
        report["foreign"],
        serde_json::json!([]),
        "no request left 127.0.0.1"
    );
    assert_eq!(
        report["undoneOk"], true,
        "undo brought the last article back: {report}"
    );
    assert!(report["help"].as_str().unwrap().contains("undo"));
    assert!(
        report["marks"].as_u64().unwrap() > 0,
        "mentions are highlighted"
    );
    assert!(report["focusMarks"].as_u64().unwrap() > 0 || report["stage"].is_string());
    assert!(std::fs::metadata(&shot)
        .map(|m| m.len() > 10_000)
        .unwrap_or(false));
    drop(server);

    // The decision file: five label decisions and one undo, one line each, and the final state.
    let text = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let actions: Vec<&str> = lines
        .iter()
        .map(|l| l["label"]["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["label", "label", "label", "undo", "label", "label"]
    );
    assert_eq!(lines[3]["label"]["undoes"], lines[2]["label"]["seq"]);
    assert!(lines.iter().all(|l| l["label"]["annotator"] == "browser"));
    let done = report["done"].as_array().unwrap();
    let resolved = stance::label::log::resolve(&out).unwrap();
    assert_eq!(resolved.len(), 4);
    let stance_of = |key: &str| match key {
        "1" => ("against", "negative"),
        "2" => ("favor", "neutral"),
        _ => ("neutral", "positive"),
    };
    for d in done {
        let id = d["id"].as_str().unwrap();
        let r = resolved
            .iter()
            .find(|r| r.record.article.id == id)
            .unwrap_or_else(|| panic!("{id} labeled"));
        if d["key"] == "n+enter" {
            // The first question neutral by its initial; the rest are the model's guesses, as
            // the line's metadata recorded them.
            let line = lines.last().unwrap();
            assert_eq!(line["id"], id);
            let guess = &line["label"]["guess"];
            let first = d["first"].as_str().unwrap();
            for (actor, label) in &r.record.stance {
                if actor == first {
                    assert_eq!(label, "neutral");
                } else {
                    assert_eq!(guess[actor], label.as_str(), "{actor}");
                }
            }
            assert_eq!(guess["sentiment"], r.record.sentiment.as_deref().unwrap());
            assert!(line["label"]["model"]
                .as_str()
                .unwrap()
                .starts_with("file-"));
            continue;
        }
        let (st, se) = stance_of(d["key"].as_str().unwrap());
        assert!(!r.record.stance.is_empty());
        assert!(r.record.stance.iter().all(|(_, l)| l == st), "{id}: {r:?}");
        assert_eq!(r.record.sentiment.as_deref(), Some(se), "{id}");
    }
    eprintln!("label_browser: screenshot at {}", shot.display());
}
