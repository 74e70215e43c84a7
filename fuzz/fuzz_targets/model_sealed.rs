//! A model file mutated *after* its checksum: the input is a model file's body (what comes
//! before `"checksum"`), and the target computes the checksum again before loading, so every
//! mutation reaches the loader's own checks, as a careful hand edit would. A model that loads
//! must then score, explain and compare without panicking (issue 17: "any model that loads
//! runs every verb").
#![no_main]

use libfuzzer_sys::fuzz_target;
use sha2::Digest;
use stance::classifier::Classify;
use stance::compare::{compare, CompareOptions, GroupBy, ModelView};
use stance::pipeline::ScoreOptions;
use stance::quantify::Estimator;
use stance::{Article, StanceModel};

const KEY: &[u8] = b",\"checksum\":\"";

/// The input as a sealed model file: any checksum it has dropped, then computed again.
fn sealed(data: &[u8]) -> Vec<u8> {
    let mut body = match data.windows(KEY.len()).rposition(|w| w == KEY) {
        Some(at) => data[..at].to_vec(),
        None => {
            let mut b = data.to_vec();
            while b.last().is_some_and(|c| c.is_ascii_whitespace()) {
                b.pop();
            }
            if b.last() == Some(&b'}') {
                b.pop();
            }
            b
        }
    };
    let sum: String = sha2::Sha256::digest(&body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    body.extend_from_slice(KEY);
    body.extend_from_slice(sum.as_bytes());
    body.extend_from_slice(b"\"}\n");
    body
}

const TEXTS: [&str; 4] = [
    "Iran was praised for a brave and welcome peace offer. Tehran said talks would go on.",
    "Moscow was blamed for brutal strikes on civilians; the Kremlin denied it.",
    "Markets rose on Friday after a calm week.",
    "Russia and Iran said officials met on Tuesday. \u{1b}[2J Iran!",
];

fn exercise(model: &StanceModel) {
    let actors: Vec<String> = model
        .registry
        .actors()
        .iter()
        .take(2)
        .map(|a| a.name.clone())
        .collect();
    let mut scorer = model.scorer(ScoreOptions {
        actors: actors.clone(),
        evidence: 2,
        ..ScoreOptions::default()
    });
    let mut scores = Vec::new();
    for (i, t) in TEXTS.iter().enumerate() {
        let mut a = Article::new(format!("f{i}"), *t);
        a.source = Some(["A", "B"][i % 2].into());
        a.date = Some(format!("2024-0{}-01", 1 + i % 3));
        scores.push(scorer.score(&a));
    }
    // What explain reads.
    for task in [Some(&model.stance), model.sentiment.as_ref()]
        .into_iter()
        .flatten()
    {
        let clf = &task.classifier;
        for j in 0..clf.n_features().min(64) {
            for c in 0..clf.classes().len() {
                let _ = clf.contribution(j, c);
            }
            let _ = model.featurizer.name(j);
        }
    }
    for profile in model.info.actor_profiles.values() {
        for &(j, _) in profile.iter().take(16) {
            if (j as usize) < model.stance.classifier.n_features() {
                let _ = model.stance.classifier.contribution(j as usize, 0);
            }
        }
    }
    // What compare and report read.
    let view = ModelView::of_model(model);
    for estimator in Estimator::ALL {
        for by in [GroupBy::Source, GroupBy::Month] {
            let opts = CompareOptions {
                by,
                bootstrap: 4,
                estimator,
                ..CompareOptions::default()
            };
            let _ = compare(&scores, &opts, &view);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(model) = StanceModel::from_bytes(&sealed(data), "fuzz.json") {
        exercise(&model);
    }
});
