//! Bytes → a .jsonl, a .csv and a .txt file → `stance::corpus::open`, drained. Every record
//! must come out as an article or an error; nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;

/// One directory for all runs; the files carry the process id and are removed after each
/// input, so nothing is left behind.
fn dir() -> &'static PathBuf {
    static D: OnceLock<PathBuf> = OnceLock::new();
    D.get_or_init(|| {
        let d = std::env::temp_dir().join("stance-fuzz-readers");
        std::fs::create_dir_all(&d).expect("a temporary directory");
        d
    })
}

fuzz_target!(|data: &[u8]| {
    let opts = stance::corpus::ReadOptions {
        max_bytes: 1 << 16,
        ..Default::default()
    };
    for ext in ["jsonl", "csv", "txt"] {
        let p = dir().join(format!("in-{}.{ext}", std::process::id()));
        std::fs::write(&p, data).expect("write the input");
        let path = p.to_str().expect("a UTF-8 temporary path");
        if let Ok(records) = stance::corpus::open(path, &opts) {
            for r in records {
                if let Ok(a) = r.item {
                    // What the pipeline does next with an article's fields.
                    let _ = a.article.month();
                    assert!(
                        !a.article.text.trim().is_empty(),
                        "an empty text was accepted"
                    );
                }
            }
        }
        let _ = std::fs::remove_file(&p);
    }
});
