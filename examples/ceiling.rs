//! The ceiling of scoring throughput on one core (issue 15): how fast this machine can read a
//! JSONL file and split its texts into lower-cased words; then also stem each word through a
//! cache; then also look up each word's term and each pair of consecutive terms (a bigram) in
//! the model's vocabulary. `stance score` does all of this and more (sentences, actor
//! mentions, contexts, TF-IDF, the dot products, evidence, JSON output), so its MB/s per core
//! is measured against the last stage's.
//!
//! cargo run --release --example ceiling -- INPUT.jsonl [MODEL.json] [REPEATS] [STAGE]
//!
//! STAGE (`words`, `stems` or `lookups`) runs that stage alone, so that an instruction count
//! of the whole process (`valgrind --tool=callgrind`, REPEATS 1) is that stage's yardstick.
//!
//! Every stage reads the whole file from memory again (the file is read once, before timing,
//! so disk speed is not part of it) and parses each line's JSON; the best of REPEATS (default
//! 3) runs is reported, in MB of article text (10^6 bytes of the `text` fields) per second.

use rustc_hash::FxHashMap;
use serde::Deserialize;
use stance::features::FeatureKey;
use stance::text::{normalize_into, words, Stem};
use std::borrow::Cow;
use std::time::Instant;

#[derive(Deserialize)]
struct Rec<'a> {
    #[serde(borrow)]
    text: Cow<'a, str>,
}

/// The vocabulary of the model: every unigram's term → id, every bigram (two ids) → feature.
struct Vocab {
    terms: FxHashMap<String, u32>,
    bigrams: FxHashMap<u64, u32>,
}

fn vocab(model: &stance::StanceModel) -> Vocab {
    let f = &model.featurizer;
    let mut terms = FxHashMap::default();
    let mut bigrams = FxHashMap::default();
    let id = |t: &str, terms: &mut FxHashMap<String, u32>| {
        let n = terms.len() as u32;
        *terms.entry(t.to_string()).or_insert(n)
    };
    for i in 0..f.len() {
        if let FeatureKey::Words(ts) = f.key(i) {
            match ts.as_slice() {
                [a] => {
                    id(a, &mut terms);
                }
                [a, b] => {
                    let (a, b) = (id(a, &mut terms), id(b, &mut terms));
                    bigrams.insert((u64::from(a) << 32) | u64::from(b), i as u32);
                }
                _ => {}
            }
        }
    }
    Vocab { terms, bigrams }
}

#[derive(Clone, Copy, PartialEq)]
enum Stage {
    Words,
    Stems,
    Lookups,
}

/// One pass over the file; returns (bytes of text, a checksum the optimiser cannot drop).
fn pass(input: &[u8], stage: Stage, stem: &Stem, vocab: &Vocab) -> (usize, u64) {
    // Word as written → term id (u32::MAX unknown), or stem index in the Stems stage.
    let mut cache: FxHashMap<String, u32> = FxHashMap::default();
    let mut stems: FxHashMap<String, u32> = FxHashMap::default();
    let mut buf = String::new();
    let (mut bytes, mut sum) = (0usize, 0u64);
    for line in input.split(|&b| b == b'\n') {
        if line.is_empty() {
            continue;
        }
        let Ok(rec) = serde_json::from_slice::<Rec<'_>>(line) else {
            continue;
        };
        let text = rec.text.as_ref();
        bytes += text.len();
        let mut prev = u32::MAX;
        for w in words(text) {
            let word = &text[w.span.start..w.span.end];
            match stage {
                Stage::Words => {
                    normalize_into(word, &mut buf);
                    sum = sum.wrapping_add(buf.len() as u64);
                }
                Stage::Stems | Stage::Lookups => {
                    let id = match cache.get(word) {
                        Some(&id) => id,
                        None => {
                            normalize_into(word, &mut buf);
                            let s = stem.stem(&buf);
                            let id = if stage == Stage::Stems {
                                let n = stems.len() as u32;
                                *stems.entry(s.into_owned()).or_insert(n)
                            } else {
                                vocab.terms.get(s.as_ref()).copied().unwrap_or(u32::MAX)
                            };
                            cache.insert(word.to_string(), id);
                            id
                        }
                    };
                    sum = sum.wrapping_add(u64::from(id));
                    if stage == Stage::Lookups {
                        if prev != u32::MAX && id != u32::MAX {
                            let key = (u64::from(prev) << 32) | u64::from(id);
                            if let Some(&f) = vocab.bigrams.get(&key) {
                                sum = sum.wrapping_add(u64::from(f));
                            }
                        }
                        prev = id;
                    }
                }
            }
        }
    }
    (bytes, sum)
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        anyhow::bail!("usage: ceiling INPUT.jsonl [MODEL.json] [REPEATS]");
    };
    let model = match args.get(1) {
        Some(m) => stance::StanceModel::load(std::path::Path::new(m))?,
        None => stance::StanceModel::builtin(),
    };
    let repeats: usize = args.get(2).map_or(Ok(3), |r| r.parse())?;
    let only = match args.get(3).map(String::as_str) {
        None => None,
        Some("words") => Some(Stage::Words),
        Some("stems") => Some(Stage::Stems),
        Some("lookups") => Some(Stage::Lookups),
        Some(other) => anyhow::bail!("unknown stage \"{other}\" (words, stems or lookups)"),
    };
    let input = std::fs::read(path)?;
    let stem = Stem::new(&model.featurizer.config().language)
        .ok_or_else(|| anyhow::anyhow!("unknown stemmer language"))?;
    let vocab = vocab(&model);
    println!(
        "{path}: {:.1} MB file; model vocabulary {} terms, {} bigrams; best of {repeats}, one thread",
        input.len() as f64 / 1e6,
        vocab.terms.len(),
        vocab.bigrams.len()
    );
    for (stage, name) in [
        (Stage::Words, "JSON + words + lower case"),
        (Stage::Stems, "+ stem through a cache"),
        (Stage::Lookups, "+ term and bigram lookups"),
    ] {
        if only.is_some_and(|o| o != stage) {
            continue;
        }
        let mut best = f64::INFINITY;
        let mut mb = 0.0;
        for _ in 0..repeats.max(1) {
            let t = Instant::now();
            let (bytes, sum) = pass(&input, stage, &stem, &vocab);
            let s = t.elapsed().as_secs_f64();
            std::hint::black_box(sum);
            best = best.min(s);
            mb = bytes as f64 / 1e6;
        }
        println!(
            "{name:<28} {best:7.3} s  {:7.1} MB/s of text",
            mb / best.max(1e-9)
        );
    }
    Ok(())
}
