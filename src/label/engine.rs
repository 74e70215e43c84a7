//! The one door from `stance label` into the rest of the library: reading articles, actors and
//! models, finding mentions, featurizing texts for diversity, training, cross-validating and
//! scoring. Every other file of `src/label/` calls only this file (and the error type it
//! re-exports), so when the library's modules move, only this file changes.

use std::collections::BTreeMap;
use std::path::Path;

pub use crate::corpus::{Article, LabeledArticle, ReadOptions};
pub use crate::error::{Error, Result};
pub use crate::pipeline::{StanceModel, TrainConfig};
pub use crate::Registry;

/// Reads every record of `paths`; returns the articles (long-form rows merged per id) and every
/// bad record.
pub fn read_articles(
    paths: &[String],
    opts: &ReadOptions,
) -> Result<(Vec<LabeledArticle>, Vec<Error>)> {
    crate::corpus::read_labeled(paths, opts)
}

/// The actors file, or an empty registry.
pub fn load_registry(path: Option<&Path>) -> Result<Registry> {
    match path {
        Some(p) => Registry::from_toml_file(p),
        None => Ok(Registry::empty()),
    }
}

/// A registry that also knows `names` (matched by their own name).
pub fn with_names<'a>(
    registry: &Registry,
    names: impl IntoIterator<Item = &'a str>,
) -> Result<Registry> {
    registry.with_names(names)
}

/// Reads a model file.
pub fn load_model(path: &Path) -> Result<StanceModel> {
    StanceModel::load(path)
}

/// The registry a model was trained with.
pub fn model_registry(model: &StanceModel) -> &Registry {
    &model.registry
}

/// The stance labels of a model, in its class order.
pub fn stance_classes(model: &StanceModel) -> &[String] {
    model.stance.classes()
}

/// The sentiment labels of a model, in its class order (None: no sentiment classifier).
pub fn sentiment_classes(model: &StanceModel) -> Option<&[String]> {
    model.sentiment.as_ref().map(|s| s.classes())
}

/// A short identifier of a model: the first 12 hex digits of its training data's hash.
pub fn data_hash(model: &StanceModel) -> String {
    model.info.data_hash.chars().take(12).collect()
}

/// One mention: the actor's name and its byte span in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    /// The actor's name.
    pub actor: String,
    /// Byte offset of the mention's start.
    pub start: usize,
    /// Byte offset just past the mention's end.
    pub end: usize,
}

/// Every mention of every actor of `registry` in `text`, in text order, not overlapping.
pub fn mentions(registry: &Registry, text: &str) -> Vec<Mention> {
    registry
        .mentions(text)
        .into_iter()
        .map(|m| Mention {
            actor: registry.name(m.actor).to_string(),
            start: m.span.start,
            end: m.span.end,
        })
        .collect()
}

/// A sparse, L2-normalised TF-IDF row (indices unordered).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Vector {
    /// Feature indices.
    pub idx: Vec<u32>,
    /// The values at those indices.
    pub val: Vec<f64>,
}

/// TF-IDF vectors of whole texts (word unigrams, stemmed, sublinear, min_df 2), for the
/// diversity of cold-start picks. Vocabulary and IDF are fitted on the texts `fit_on` (a sample
/// keeps this cheap for a large pool), then every text is transformed; returns the vectors and
/// the number of features.
pub fn text_vectors(texts: &[&str], fit_on: &[usize]) -> Result<(Vec<Vector>, usize)> {
    use crate::context::{context, Analysis, ContextConfig};
    use crate::features::{Doc, FeatureConfig, Featurizer, Scratch};
    let registry = Registry::empty();
    let ctx_cfg = ContextConfig::default();
    let cfg = FeatureConfig {
        word_ngrams: (1, 1),
        min_df: if fit_on.len() >= 20 { 2 } else { 1 },
        ..FeatureConfig::default()
    };
    let fit_analyses: Vec<Analysis> = fit_on
        .iter()
        .map(|&i| Analysis::new(texts[i], &registry))
        .collect();
    let fit_ctx: Vec<_> = fit_analyses
        .iter()
        .map(|a| context(a, None, &ctx_cfg))
        .collect();
    let docs: Vec<Doc> = fit_analyses
        .iter()
        .zip(&fit_ctx)
        .map(|(a, c)| Doc {
            analysis: a,
            pieces: &c.pieces,
            actor: None,
        })
        .collect();
    let featurizer = Featurizer::fit(&cfg, &docs)?;
    let mut scratch = Scratch::default();
    let vectors = texts
        .iter()
        .map(|t| {
            let a = Analysis::new(t, &registry);
            let c = context(&a, None, &ctx_cfg);
            let v = featurizer.transform(
                Doc {
                    analysis: &a,
                    pieces: &c.pieces,
                    actor: None,
                },
                &mut scratch,
            );
            Vector {
                idx: v.idx,
                val: v.val,
            }
        })
        .collect();
    Ok((vectors, featurizer.len()))
}

/// Trains a model on labeled articles (actors missing from `registry` are matched by name).
pub fn train(
    labeled: Vec<LabeledArticle>,
    registry: &Registry,
    cfg: &TrainConfig,
    seed: u64,
) -> Result<StanceModel> {
    let set = crate::TrainingSet::new(labeled, registry)?;
    StanceModel::train(&set, cfg, seed)
}

/// One out-of-fold stance prediction of cross-validation.
#[derive(Debug, Clone, PartialEq)]
pub struct OutOfFold {
    /// The article's id.
    pub id: String,
    /// The actor of the example.
    pub actor: String,
    /// The gold label.
    pub truth: String,
    /// The label predicted by the model of the fold that held the example out.
    pub predicted: String,
}

/// k-fold cross-validation (grouped by article, stratified, seeded) of the labeled set:
/// every stance example's out-of-fold prediction, and the stance label set.
pub fn cross_validate(
    labeled: Vec<LabeledArticle>,
    registry: &Registry,
    cfg: &TrainConfig,
    folds: usize,
    seed: u64,
) -> Result<(Vec<OutOfFold>, Vec<String>)> {
    let set = crate::TrainingSet::new(labeled, registry)?;
    let cv = crate::evaluate::cross_validate(&set, cfg, folds, seed, None)?;
    let oof = cv
        .predictions
        .into_iter()
        .filter(|p| p.task == crate::labels::Task::Stance)
        .map(|p| OutOfFold {
            id: p.id,
            actor: p.actor.unwrap_or_default(),
            truth: p.truth,
            predicted: p.predicted,
        })
        .collect();
    Ok((oof, set.stance_classes))
}

/// A model's probabilities for one question: labels in the model's order.
#[derive(Debug, Clone, PartialEq)]
pub struct Guess {
    /// The model's labels, in class order.
    pub labels: Vec<String>,
    /// The probability of each label, in the same order.
    pub probabilities: Vec<f64>,
}

/// The model's guesses for `actors` (each, whether or not the model's registry finds it in the
/// text; None for an actor the model does not know) and for the sentiment (None without a
/// sentiment model).
pub fn guess(
    model: &StanceModel,
    article: &Article,
    actors: &[String],
) -> (Vec<Option<Guess>>, Option<Guess>) {
    use crate::pipeline::ScoreOptions;
    let opts = ScoreOptions {
        actors: actors.to_vec(),
        only_listed: true,
        evidence: 0,
        raw_probabilities: false,
        matches: false,
    };
    let score = model.score(article, &opts);
    let to_guess = |probs: &BTreeMap<String, f64>, classes: &[String]| Guess {
        labels: classes.to_vec(),
        probabilities: classes
            .iter()
            .map(|c| probs.get(c).copied().unwrap_or(0.0))
            .collect(),
    };
    let stance = actors
        .iter()
        .map(|a| {
            score
                .actors
                .iter()
                .find(|s| &s.actor == a)
                .map(|s| to_guess(&s.probabilities, model.stance.classes()))
        })
        .collect();
    let sentiment = match (&score.sentiment, &model.sentiment) {
        (Some(s), Some(m)) => Some(to_guess(&s.probabilities, m.classes())),
        _ => None,
    };
    (stance, sentiment)
}

/// Macro-F1 over `classes` (the mean of each class's F1; a class never predicted nor true
/// counts 0), from paired labels; a predicted label outside `classes` is simply wrong.
pub fn macro_f1(classes: &[String], truth: &[&str], predicted: &[&str]) -> f64 {
    let mut all: Vec<String> = classes.to_vec();
    for p in predicted {
        if !all.iter().any(|c| c == p) {
            all.push(p.to_string());
        }
    }
    let idx = |l: &str| all.iter().position(|c| c == l).unwrap_or(0);
    let t: Vec<usize> = truth.iter().map(|l| idx(l)).collect();
    let p: Vec<usize> = predicted.iter().map(|l| idx(l)).collect();
    let c = crate::metrics::Confusion::from_pairs(all.clone(), &t, &p);
    let per = c.per_class();
    let f1: Vec<f64> = per
        .iter()
        .filter(|s| classes.contains(&s.class))
        .map(|s| s.f1)
        .collect();
    if f1.is_empty() {
        0.0
    } else {
        f1.iter().sum::<f64>() / f1.len() as f64
    }
}
