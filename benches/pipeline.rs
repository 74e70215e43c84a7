//! Criterion benches of the scoring stages, per article of the starter corpus: words and
//! sentences, mentions, featurizing one context, and scoring a whole article (all actors,
//! sentiment, evidence) with the shipped model.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use stance::context::{context, Analysis, ContextConfig};
use stance::corpus::{read_labeled, ReadOptions};
use stance::features::{Doc, Scratch};
use stance::pipeline::ScoreOptions;
use stance::StanceModel;
use std::hint::black_box;
use std::path::Path;

fn articles() -> Vec<stance::Article> {
    let (a, _) = read_labeled(
        &["data/articles.jsonl".to_string()],
        &ReadOptions::default(),
    )
    .expect("data/articles.jsonl");
    a.into_iter().map(|l| l.article).collect()
}

fn benches(c: &mut Criterion) {
    let model = StanceModel::load(Path::new("models/default.json")).expect("models/default.json");
    let arts = articles();
    let bytes: usize = arts.iter().map(|a| a.text.len()).sum();
    let per_article = (bytes / arts.len()) as u64;
    let mut g = c.benchmark_group("per article");
    g.throughput(Throughput::Bytes(per_article));
    let mut i = 0;
    g.bench_function("tokenize (words + sentences)", |b| {
        b.iter(|| {
            i = (i + 1) % arts.len();
            let t = &arts[i].text;
            black_box((
                stance::text::words(t).len(),
                stance::text::sentences(t).len(),
            ))
        })
    });
    g.bench_function("analyse (words, sentences, mentions)", |b| {
        b.iter(|| {
            i = (i + 1) % arts.len();
            black_box(Analysis::new(&arts[i].text, &model.registry).mentions.len())
        })
    });
    let analyses: Vec<Analysis> = arts
        .iter()
        .map(|a| Analysis::new(&a.text, &model.registry))
        .collect();
    let mut scratch = Scratch::default();
    g.bench_function("featurize (whole text)", |b| {
        b.iter(|| {
            i = (i + 1) % arts.len();
            let ctx = context(&analyses[i], None, &ContextConfig::default());
            let doc = Doc {
                analysis: &analyses[i],
                pieces: &ctx.pieces,
                actor: None,
            };
            black_box(model.featurizer.transform(doc, &mut scratch).nnz())
        })
    });
    let mut scorer = model.scorer(ScoreOptions::default());
    g.bench_function("score (all actors, sentiment, evidence)", |b| {
        b.iter(|| {
            i = (i + 1) % arts.len();
            black_box(scorer.score(&arts[i]).actors.len())
        })
    });
    let mut scorer = model.scorer(ScoreOptions {
        evidence: 0,
        ..ScoreOptions::default()
    });
    g.bench_function("score (no evidence)", |b| {
        b.iter(|| {
            i = (i + 1) % arts.len();
            black_box(scorer.score(&arts[i]).actors.len())
        })
    });
    g.finish();
}

criterion_group!(pipeline, benches);
criterion_main!(pipeline);
