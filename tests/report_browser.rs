//! The report as a reader sees it: `stance report` on the shipped model's scores of
//! data/articles.jsonl, opened in headless Chromium (Debian's package, installed when missing)
//! through playwright-core (from npm, into a cache under target/). What is measured on the
//! rendered page: it asks for nothing from anywhere; what stands out comes first, on the first
//! screen; every heatmap cell of a group under --min-n articles lies on the thin grey (never a
//! colour of the scale) and every other one on a colour; the thin table rows are hatched; the
//! charts have their legends; no interval cell wraps; the page does not scroll sideways.
//! Screenshots are left at target/report-page.png (the first screen) and
//! target/report-full.png. Skipped, with the reason, only when Chromium or playwright-core
//! cannot be had.

#[path = "browser/common.rs"]
mod common;

use common::{chromium, playwright};
use std::path::Path;
use std::process::Command;

#[test]
fn report_reads_in_headless_chromium() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let chrome = match chromium() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("SKIPPED report_browser: no Chromium and it cannot be installed here: {e}");
            return;
        }
    };
    let modules = match playwright(&tmp.join("browser-npm")) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("SKIPPED report_browser: playwright-core cannot be installed here: {e}");
            return;
        }
    };
    let dir = tempfile::tempdir().unwrap();
    let scores = dir.path().join("s.jsonl");
    let html = dir.path().join("report.html");
    let run = |args: &[&std::ffi::OsStr]| {
        let o = Command::new(env!("CARGO_BIN_EXE_stance"))
            .args(args)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    let data = root.join("data/articles.jsonl");
    run(&[
        "score".as_ref(),
        data.as_os_str(),
        "--evidence".as_ref(),
        "0".as_ref(),
        "--quiet".as_ref(),
        "--out".as_ref(),
        scores.as_os_str(),
    ]);
    run(&[
        "report".as_ref(),
        scores.as_os_str(),
        "--bootstrap".as_ref(),
        "200".as_ref(),
        "--out".as_ref(),
        html.as_os_str(),
    ]);
    let shot = root.join("target").join("report-page.png");
    let full = root.join("target").join("report-full.png");
    let o = Command::new("node")
        .arg(root.join("tests/browser/report.cjs"))
        .env("NODE_PATH", &modules)
        .env("REPORT", &html)
        .env("CHROMIUM", &chrome)
        .env("SCREENSHOT", &shot)
        .env("FULLSHOT", &full)
        .output()
        .expect("node runs");
    assert!(
        o.status.success(),
        "the browser script failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let seen: serde_json::Value = serde_json::from_str(
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .last()
            .expect("a report line"),
    )
    .unwrap();
    let text = seen.to_string();
    assert_eq!(seen["problems"], serde_json::json!([]), "{text}");
    assert_eq!(
        seen["foreign"],
        serde_json::json!([]),
        "nothing fetched: {text}"
    );

    // What stands out comes first, and fits on the first screen with rows in it.
    assert_eq!(seen["h2"][0], "What stands out", "{text}");
    assert_eq!(seen["firstScreen"][0], "What stands out", "{text}");
    assert!(seen["standoutRows"].as_u64().unwrap() >= 1, "{text}");

    // The heatmap: thin cells on the thin grey, the others on a colour of the scale.
    const THIN_FILL: &str = "#F2F2F2";
    let cells = seen["cells"].as_array().unwrap();
    assert!(cells.len() > 50, "{text}");
    let mut ones = 0;
    for c in cells {
        let n = c["n"].as_u64().unwrap();
        let fill = c["fill"].as_str().unwrap_or("none");
        if n < 10 {
            assert_eq!(fill, THIN_FILL, "a cell of n = {n} is coloured: {c}");
            ones += usize::from(n == 1);
        } else {
            assert!(
                fill.starts_with('#') && fill != THIN_FILL,
                "a cell of n = {n} is not coloured: {c}"
            );
        }
    }
    assert!(ones > 0, "the data have groups of one article: {text}");
    assert_eq!(seen["heatLegend"], true, "the colour key: {text}");
    assert_eq!(seen["thinLegend"], true, "the thin key: {text}");
    assert!(seen["dotLegends"].as_u64().unwrap() >= 1, "{text}");

    // Thin rows are hatched; intervals stay on one line; nothing scrolls sideways.
    let thin = seen["thinRows"].as_u64().unwrap();
    assert!(thin > 0 && seen["hatched"] == thin, "{text}");
    assert_eq!(seen["wrapped"], serde_json::json!([]), "{text}");
    assert!(seen["pageWidth"].as_u64().unwrap() <= 1280, "{text}");
    // The months of data/ are too thin to chart one by one: quarters, and the page says why.
    assert!(
        seen["h2"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h == "Over time, by quarter"),
        "{text}"
    );
    assert!(seen["periodNote"]
        .as_str()
        .is_some_and(|n| n.starts_with("By quarter")));
    for s in [&shot, &full] {
        assert!(std::fs::metadata(s).is_ok_and(|m| m.len() > 10_000));
    }
    eprintln!(
        "report_browser: screenshots at {} and {}",
        shot.display(),
        full.display()
    );
}
