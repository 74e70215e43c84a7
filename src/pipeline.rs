//! The trained pipeline: from labeled articles to a [`StanceModel`] (featurizer + stance and
//! sentiment classifiers + the actors), and from a model and an article to an [`ArticleScore`].
//!
//! One featurizer serves both tasks: stance is learned from each actor's context, sentiment from
//! the whole text.

use crate::actors::{Actor, Registry};
use crate::context::{context, Analysis, Context, ContextConfig};
use crate::corpus::{Article, LabeledArticle};
use crate::error::{Error, Result};
use crate::features::{Doc, FeatureConfig, Featurizer, FeaturizerFile, Scratch, SparseVec};
use crate::model::{argmax, Classifier, Csr, LogisticConfig};
use crate::text::char_offset;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// Everything that decides how a model is trained; saved in the model file.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainConfig {
    pub features: FeatureConfig,
    pub context: ContextConfig,
    pub logistic: LogisticConfig,
    pub polarity: Polarity,
}

/// Which labels count as positive and negative for a signed score.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Polarity {
    /// The positive stance label; by default the class named favor, pro, support, for or positive.
    pub stance_positive: Option<String>,
    /// The negative stance label; by default against, anti, oppose, con or negative.
    pub stance_negative: Option<String>,
    pub sentiment_positive: Option<String>,
    pub sentiment_negative: Option<String>,
}

const POSITIVE_NAMES: &[&str] = &[
    "favor", "favour", "pro", "support", "for", "positive", "pos",
];
const NEGATIVE_NAMES: &[&str] = &["against", "anti", "oppose", "con", "negative", "neg"];

/// The positive and negative class among `classes`: the given names, or the recognised ones.
pub fn resolve_polarity(
    classes: &[String],
    positive: Option<&str>,
    negative: Option<&str>,
) -> Result<(Option<usize>, Option<usize>)> {
    let find = |given: Option<&str>, names: &[&str], what: &str| -> Result<Option<usize>> {
        match given {
            Some(g) => classes
                .iter()
                .position(|c| c == g)
                .map(Some)
                .ok_or_else(|| {
                    Error::Config(format!(
                        "the {what} label \"{g}\" is not one of the labels: {}",
                        classes.join(", ")
                    ))
                }),
            None => Ok(classes
                .iter()
                .position(|c| names.contains(&c.to_lowercase().as_str()))),
        }
    };
    Ok((
        find(positive, POSITIVE_NAMES, "positive")?,
        find(negative, NEGATIVE_NAMES, "negative")?,
    ))
}

/// One stance example: an article, an actor and the label.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    pub article: usize,
    pub actor: String,
    pub label: usize,
}

/// Labeled data ready for training: articles, the stance examples, the sentiment labels, the
/// label sets, and the actors.
#[derive(Debug, Clone)]
pub struct TrainingSet {
    pub articles: Vec<LabeledArticle>,
    pub examples: Vec<Example>,
    pub stance_classes: Vec<String>,
    /// Per article, the sentiment class if labeled.
    pub sentiment: Vec<Option<usize>>,
    pub sentiment_classes: Vec<String>,
    pub registry: Registry,
    /// Things worth knowing that do not stop training (e.g. a label for an actor the text
    /// never names).
    pub warnings: Vec<String>,
}

/// Checks a label set: near-duplicates ("Favor" beside "favor") are an error.
fn label_set<'a>(
    labels: impl Iterator<Item = (&'a str, &'a (String, u64))>,
    what: &str,
) -> Result<Vec<String>> {
    let mut first_seen: BTreeMap<String, (String, u64)> = BTreeMap::new();
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    for (l, origin) in labels {
        first_seen
            .entry(l.to_string())
            .or_insert_with(|| origin.clone());
        *count.entry(l.to_string()).or_default() += 1;
    }
    let mut by_folded: BTreeMap<String, Vec<&String>> = BTreeMap::new();
    for l in first_seen.keys() {
        by_folded
            .entry(l.trim().to_lowercase())
            .or_default()
            .push(l);
    }
    let mut errors = Vec::new();
    for (_, group) in by_folded.iter().filter(|(_, g)| g.len() > 1) {
        // Point at the first record with the rarer spelling: that is the one to fix.
        let odd = group
            .iter()
            .min_by_key(|g| (count[g.as_str()], first_seen[g.as_str()].1))
            .expect("a group of two or more");
        let (file, line) = &first_seen[odd.as_str()];
        errors.push(Error::input(
            file,
            Some(*line),
            Some(what),
            format!(
                "{what} labels {} differ only in case or spaces; use one spelling",
                group
                    .iter()
                    .map(|g| format!("\"{g}\""))
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
        ));
    }
    match errors.len() {
        0 => Ok(first_seen.into_keys().collect()),
        1 => Err(errors.pop().expect("one error")),
        _ => Err(Error::Inputs(errors)),
    }
}

impl TrainingSet {
    /// Builds a training set. Actors named in the labels but not in `registry` are added,
    /// matched by their own name.
    pub fn new(articles: Vec<LabeledArticle>, registry: &Registry) -> Result<TrainingSet> {
        if articles.is_empty() {
            return Err(Error::Config("no labeled articles to learn from".into()));
        }
        let stance_classes = label_set(
            articles
                .iter()
                .flat_map(|a| a.stance.iter().map(move |(_, l)| (l.as_str(), &a.origin))),
            "stance",
        )?;
        let sentiment_classes = label_set(
            articles
                .iter()
                .filter_map(|a| a.sentiment.as_deref().map(|s| (s, &a.origin))),
            "sentiment",
        )?;
        if stance_classes.is_empty() {
            return Err(Error::Config(
                "no stance labels in the data: each record needs \"stance\": {actor: label} (or long-form actor and stance fields)".into(),
            ));
        }
        let registry = registry.with_names(
            articles
                .iter()
                .flat_map(|a| a.stance.iter().map(|(x, _)| x.as_str())),
        )?;
        let mut examples = Vec::new();
        let mut warnings = Vec::new();
        let mut unnamed: Vec<String> = Vec::new();
        for (i, a) in articles.iter().enumerate() {
            let mentioned: Vec<usize> = registry
                .mentions(&a.article.text)
                .iter()
                .map(|m| m.actor)
                .collect();
            for (actor, label) in &a.stance {
                let idx = registry.index(actor).expect("added above");
                if !mentioned.contains(&idx) {
                    unnamed.push(format!(
                        "{}:{} (article \"{}\", actor \"{actor}\")",
                        a.origin.0, a.origin.1, a.article.id
                    ));
                }
                examples.push(Example {
                    article: i,
                    actor: actor.clone(),
                    label: stance_classes
                        .iter()
                        .position(|c| c == label)
                        .expect("in the set"),
                });
            }
        }
        if !unnamed.is_empty() {
            warnings.push(unnamed_warning(&unnamed));
        }
        let sentiment = articles
            .iter()
            .map(|a| {
                a.sentiment
                    .as_ref()
                    .and_then(|s| sentiment_classes.iter().position(|c| c == s))
            })
            .collect();
        Ok(TrainingSet {
            articles,
            examples,
            stance_classes,
            sentiment,
            sentiment_classes,
            registry,
            warnings,
        })
    }

    /// The articles `articles` (indices) with their examples and labels; the label sets and the
    /// actors stay those of the whole set.
    pub fn subset(&self, articles: &[usize]) -> TrainingSet {
        let mut map = vec![None; self.articles.len()];
        for (new, &old) in articles.iter().enumerate() {
            map[old] = Some(new);
        }
        TrainingSet {
            articles: articles.iter().map(|&i| self.articles[i].clone()).collect(),
            examples: self
                .examples
                .iter()
                .filter_map(|e| {
                    map[e.article].map(|a| Example {
                        article: a,
                        ..e.clone()
                    })
                })
                .collect(),
            stance_classes: self.stance_classes.clone(),
            sentiment: articles.iter().map(|&i| self.sentiment[i]).collect(),
            sentiment_classes: self.sentiment_classes.clone(),
            registry: self.registry.clone(),
            warnings: Vec::new(),
        }
    }

    /// A hash of the labeled content (ids, texts, labels), whatever format it came in.
    pub fn hash(&self) -> String {
        let mut h = Sha256::new();
        for a in &self.articles {
            h.update(a.article.id.as_bytes());
            h.update([0]);
            h.update(a.article.text.as_bytes());
            h.update([0]);
            for (actor, label) in &a.stance {
                h.update(actor.as_bytes());
                h.update([1]);
                h.update(label.as_bytes());
                h.update([0]);
            }
            if let Some(s) = &a.sentiment {
                h.update(s.as_bytes());
            }
            h.update([2]);
        }
        let d = h.finalize();
        d.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The group key of each example: its article id, or the value of `field` (falling back to
    /// the article id where the field is absent).
    pub fn groups(&self, field: Option<&str>) -> Vec<String> {
        self.examples
            .iter()
            .map(|e| self.group_of(e.article, field))
            .collect()
    }

    pub fn group_of(&self, article: usize, field: Option<&str>) -> String {
        let a = &self.articles[article];
        match field {
            None | Some("id") => a.article.id.clone(),
            Some("source") => a.article.source.clone().unwrap_or_default(),
            Some("date") => a.article.date.clone().unwrap_or_default(),
            Some(f) => a
                .extra
                .get(f)
                .cloned()
                .unwrap_or_else(|| a.article.id.clone()),
        }
    }
}

/// One warning for every label whose article never names the actor: the count and the first
/// three places.
fn unnamed_warning(places: &[String]) -> String {
    const SHOWN: usize = 3;
    let n = places.len();
    let first = places[..n.min(SHOWN)].join(", ");
    format!(
        "{n} label{} name{} an actor the article's text never names; the whole text is used as the context ({}{first}{})",
        if n == 1 { "" } else { "s" },
        if n == 1 { "s" } else { "" },
        if n > SHOWN { "first: " } else { "" },
        if n > SHOWN { ", …" } else { "" },
    )
}

/// A trained model: what `stance train` writes and `stance score` reads.
#[derive(Debug)]
pub struct StanceModel {
    pub config: TrainConfig,
    pub registry: Registry,
    pub featurizer: Featurizer,
    pub stance: Classifier,
    pub sentiment: Option<Classifier>,
    /// Positive and negative stance class, for the signed score.
    pub stance_polarity: (Option<usize>, Option<usize>),
    pub sentiment_polarity: (Option<usize>, Option<usize>),
    pub info: TrainingInfo,
}

/// Facts about how a model was trained, saved with it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TrainingInfo {
    pub data_hash: String,
    pub articles: usize,
    pub stance_examples: usize,
    pub sentiment_examples: usize,
    pub seed: u64,
    /// Per actor: number of training examples and label counts.
    pub actors: BTreeMap<String, BTreeMap<String, usize>>,
    /// Per actor, the features with the largest mean value in its training contexts.
    #[serde(default)]
    pub actor_profiles: BTreeMap<String, Vec<(u32, f32)>>,
    /// The out-of-fold stance predictions of cross-validation: the error rates that
    /// `stance compare` corrects shares with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration: Option<crate::quantify::Calibration>,
    /// The cross-validation summary, when training ran it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cv: Option<serde_json::Value>,
}

/// The analysed articles of a training set with each example's context, built once.
pub struct Prepared<'a> {
    pub analyses: Vec<Analysis<'a>>,
    pub contexts: Vec<Context>,
    pub whole: Vec<Context>,
}

impl<'a> Prepared<'a> {
    pub fn new(set: &'a TrainingSet, cfg: &ContextConfig) -> Prepared<'a> {
        let analyses: Vec<Analysis> = set
            .articles
            .iter()
            .map(|a| Analysis::new(&a.article.text, &set.registry))
            .collect();
        let contexts = set
            .examples
            .iter()
            .map(|e| {
                let actor = set.registry.index(&e.actor);
                context(&analyses[e.article], actor, cfg)
            })
            .collect();
        let whole = analyses.iter().map(|a| context(a, None, cfg)).collect();
        Prepared {
            analyses,
            contexts,
            whole,
        }
    }
}

/// Fits featurizer and classifiers on the examples `train` (indices into `set.examples`) and the
/// articles `train_articles` (for sentiment).
pub fn fit_on(
    set: &TrainingSet,
    prep: &Prepared<'_>,
    train: &[usize],
    train_articles: &[usize],
    cfg: &TrainConfig,
) -> Result<(Featurizer, Classifier, Option<Classifier>)> {
    if cfg.features.per_actor && !cfg.context.actor_prior {
        return Err(Error::Config(
            "per-actor features (--per-actor) need the actor prior; drop --no-actor-prior".into(),
        ));
    }
    let stance_docs: Vec<Doc> = train
        .iter()
        .map(|&i| Doc {
            analysis: &prep.analyses[set.examples[i].article],
            pieces: &prep.contexts[i].pieces,
            actor: cfg.context.prior(&set.examples[i].actor),
        })
        .collect();
    let sent_articles: Vec<usize> = train_articles
        .iter()
        .copied()
        .filter(|&a| set.sentiment[a].is_some())
        .collect();
    let sent_docs: Vec<Doc> = sent_articles
        .iter()
        .map(|&a| Doc {
            analysis: &prep.analyses[a],
            pieces: &prep.whole[a].pieces,
            actor: None,
        })
        .collect();
    let all: Vec<Doc> = stance_docs.iter().chain(&sent_docs).copied().collect();
    let featurizer = Featurizer::fit(&cfg.features, &all)?;
    let mut scratch = Scratch::default();
    let rows: Vec<SparseVec> = stance_docs
        .iter()
        .map(|d| featurizer.transform(*d, &mut scratch))
        .collect();
    let y: Vec<usize> = train.iter().map(|&i| set.examples[i].label).collect();
    let present: std::collections::BTreeSet<usize> = y.iter().copied().collect();
    if present.len() < 2 {
        return Err(Error::Training(format!(
            "the training examples hold only the stance label{} {}; at least two labels are needed",
            if present.len() == 1 { "" } else { "s" },
            present
                .iter()
                .map(|&c| format!("\"{}\"", set.stance_classes[c]))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let stance = Classifier::fit(
        &Csr::from_rows(&rows, featurizer.len()),
        &y,
        set.stance_classes.clone(),
        &cfg.logistic,
    )?;
    let sentiment = if sent_docs.is_empty() || set.sentiment_classes.len() < 2 {
        None
    } else {
        let rows: Vec<SparseVec> = sent_docs
            .iter()
            .map(|d| featurizer.transform(*d, &mut scratch))
            .collect();
        let y: Vec<usize> = sent_articles
            .iter()
            .map(|&a| set.sentiment[a].expect("filtered"))
            .collect();
        Some(Classifier::fit(
            &Csr::from_rows(&rows, featurizer.len()),
            &y,
            set.sentiment_classes.clone(),
            &cfg.logistic,
        )?)
    };
    Ok((featurizer, stance, sentiment))
}

impl StanceModel {
    /// Trains on the whole training set.
    pub fn train(set: &TrainingSet, cfg: &TrainConfig, seed: u64) -> Result<StanceModel> {
        let prep = Prepared::new(set, &cfg.context);
        let all: Vec<usize> = (0..set.examples.len()).collect();
        let articles: Vec<usize> = (0..set.articles.len()).collect();
        let (featurizer, stance, sentiment) = fit_on(set, &prep, &all, &articles, cfg)?;
        let stance_polarity = resolve_polarity(
            &stance.classes,
            cfg.polarity.stance_positive.as_deref(),
            cfg.polarity.stance_negative.as_deref(),
        )?;
        let sentiment_polarity = match &sentiment {
            Some(s) => resolve_polarity(
                &s.classes,
                cfg.polarity.sentiment_positive.as_deref(),
                cfg.polarity.sentiment_negative.as_deref(),
            )?,
            None => (None, None),
        };
        // Per-actor label counts and profiles (mean context vector, top features).
        let mut actors: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
        let mut sums: BTreeMap<String, (usize, BTreeMap<u32, f64>)> = BTreeMap::new();
        let mut scratch = Scratch::default();
        for (i, e) in set.examples.iter().enumerate() {
            *actors
                .entry(e.actor.clone())
                .or_default()
                .entry(set.stance_classes[e.label].clone())
                .or_default() += 1;
            let v = featurizer.transform(
                Doc {
                    analysis: &prep.analyses[e.article],
                    pieces: &prep.contexts[i].pieces,
                    actor: cfg.context.prior(&e.actor),
                },
                &mut scratch,
            );
            let s = sums.entry(e.actor.clone()).or_default();
            s.0 += 1;
            for (&j, &x) in v.idx.iter().zip(&v.val) {
                *s.1.entry(j).or_default() += x;
            }
        }
        let actor_profiles = sums
            .into_iter()
            .map(|(actor, (n, sum))| {
                let mut v: Vec<(u32, f32)> = sum
                    .into_iter()
                    .map(|(j, s)| (j, (s / n as f64) as f32))
                    .collect();
                v.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                v.truncate(300);
                (actor, v)
            })
            .collect();
        let info = TrainingInfo {
            data_hash: set.hash(),
            articles: set.articles.len(),
            stance_examples: set.examples.len(),
            sentiment_examples: set.sentiment.iter().filter(|s| s.is_some()).count(),
            seed,
            actors,
            actor_profiles,
            calibration: None,
            cv: None,
        };
        Ok(StanceModel {
            config: cfg.clone(),
            registry: set.registry.clone(),
            featurizer,
            stance,
            sentiment,
            stance_polarity,
            sentiment_polarity,
            info,
        })
    }

    /// Scores one article.
    pub fn score(
        &self,
        article: &Article,
        opts: &ScoreOptions,
        scratch: &mut Scratch,
    ) -> ArticleScore {
        let analysis = Analysis::new(&article.text, &self.registry);
        let mut actors: Vec<usize> = analysis.actors();
        for name in &opts.actors {
            if let Some(i) = self.registry.index(name) {
                if !actors.contains(&i) {
                    actors.push(i);
                }
            }
        }
        if opts.only_listed && !opts.actors.is_empty() {
            actors.retain(|&a| opts.actors.iter().any(|n| n == self.registry.name(a)));
        }
        let mut trace = Vec::new();
        let mut words = self.featurizer.word_terms(&analysis, scratch);
        let actor_scores = actors
            .into_iter()
            .map(|a| {
                let ctx = context(&analysis, Some(a), &self.config.context);
                let doc = Doc {
                    analysis: &analysis,
                    pieces: &ctx.pieces,
                    actor: self.config.context.prior(self.registry.name(a)),
                };
                trace.clear();
                let v = self.featurizer.transform_with(
                    doc,
                    &mut words,
                    scratch,
                    (opts.evidence > 0).then_some(&mut trace),
                );
                let p = self.stance.probabilities(&v);
                let evidence = if opts.evidence > 0 {
                    evidence(
                        &self.featurizer,
                        scratch,
                        &self.stance,
                        &v,
                        &trace,
                        &p,
                        &ctx,
                        &analysis,
                        opts.evidence,
                    )
                } else {
                    Vec::new()
                };
                ActorScore {
                    actor: self.registry.name(a).to_string(),
                    mentions: analysis.mention_count(a),
                    label: self.stance.classes[argmax(&p)].clone(),
                    score: signed(&p, self.stance_polarity),
                    probabilities: named(&self.stance.classes, &p),
                    evidence,
                }
            })
            .collect();
        let sentiment = self.sentiment.as_ref().map(|s| {
            let ctx = context(&analysis, None, &self.config.context);
            let v = self.featurizer.transform_with(
                Doc {
                    analysis: &analysis,
                    pieces: &ctx.pieces,
                    actor: None,
                },
                &mut words,
                scratch,
                None,
            );
            let p = s.probabilities(&v);
            LabelScore {
                label: s.classes[argmax(&p)].clone(),
                score: signed(&p, self.sentiment_polarity),
                probabilities: named(&s.classes, &p),
            }
        });
        ArticleScore {
            id: article.id.clone(),
            source: article.source.clone(),
            date: article.date.clone(),
            sentiment,
            actors: actor_scores,
            fields: BTreeMap::new(),
        }
    }

    /// Probabilities of the stance classes toward `actor` (its name, and its index in the
    /// registry the article was analysed with, None if that registry does not know it) in an
    /// analysed article.
    pub fn stance_probabilities(
        &self,
        analysis: &Analysis<'_>,
        actor: (&str, Option<usize>),
        scratch: &mut Scratch,
    ) -> Vec<f64> {
        let ctx = context(analysis, actor.1, &self.config.context);
        let v = self.featurizer.transform(
            Doc {
                analysis,
                pieces: &ctx.pieces,
                actor: self.config.context.prior(actor.0),
            },
            scratch,
        );
        self.stance.probabilities(&v)
    }
}

fn named(classes: &[String], p: &[f64]) -> BTreeMap<String, f64> {
    classes.iter().cloned().zip(p.iter().copied()).collect()
}

fn signed(p: &[f64], (pos, neg): (Option<usize>, Option<usize>)) -> Option<f64> {
    Some(p[pos?] - p[neg?])
}

/// The sentences of the context that pushed most toward the predicted label: each feature's
/// contribution `x_f · (w_f,label − mean_c w_f,c)` is shared among its occurrences, and
/// summed per sentence.
#[allow(clippy::too_many_arguments)]
fn evidence(
    featurizer: &Featurizer,
    scratch: &mut Scratch,
    clf: &Classifier,
    v: &SparseVec,
    trace: &[(u32, u32)],
    p: &[f64],
    ctx: &Context,
    analysis: &Analysis<'_>,
    top: usize,
) -> Vec<Evidence> {
    let label = argmax(p);
    let k = clf.classes.len();
    let per_segment = featurizer.segment_sums(
        v,
        trace,
        ctx.sentences.len(),
        |j| {
            let mean = (0..k).map(|c| clf.weight(j, c)).sum::<f64>() / k as f64;
            clf.weight(j, label) - mean
        },
        scratch,
    );
    let mut order: Vec<usize> = (0..per_segment.len()).collect();
    order.sort_by(|&a, &b| per_segment[b].total_cmp(&per_segment[a]).then(a.cmp(&b)));
    order
        .into_iter()
        .filter(|&s| per_segment[s] > 0.0)
        .take(top)
        .map(|s| {
            let span = analysis.sentences[ctx.sentences[s]].span;
            Evidence {
                text: analysis.text[span.start..span.end].to_string(),
                start: char_offset(analysis.text, span.start),
                end: char_offset(analysis.text, span.end),
                weight: per_segment[s],
            }
        })
        .collect()
}

/// What to score in each article.
#[derive(Debug, Clone)]
pub struct ScoreOptions {
    /// Actors to score even when the article does not name them.
    pub actors: Vec<String>,
    /// Score only the actors in `actors`.
    pub only_listed: bool,
    /// Evidence sentences per actor (0 for none).
    pub evidence: usize,
}

impl Default for ScoreOptions {
    fn default() -> Self {
        ScoreOptions {
            actors: Vec::new(),
            only_listed: false,
            evidence: 2,
        }
    }
}

/// The scores of one article.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArticleScore {
    pub id: String,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub date: Option<String>,
    #[serde(default)]
    pub sentiment: Option<LabelScore>,
    #[serde(default)]
    pub actors: Vec<ActorScore>,
    /// The input record's other fields (outlet section, country, language, …), carried
    /// through so that `stance compare --by FIELD` can group by them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
}

/// A label with its probabilities and signed score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelScore {
    pub label: String,
    pub probabilities: BTreeMap<String, f64>,
    /// P(positive) − P(negative), when both labels are known.
    #[serde(default)]
    pub score: Option<f64>,
}

/// The stance of an article toward one actor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActorScore {
    pub actor: String,
    pub mentions: usize,
    pub label: String,
    pub probabilities: BTreeMap<String, f64>,
    /// P(favor) − P(against), in [-1, 1].
    #[serde(default)]
    pub score: Option<f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<Evidence>,
}

/// A sentence that carried weight toward the predicted label, with character offsets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub text: String,
    pub start: usize,
    pub end: usize,
    pub weight: f64,
}

/// The model file: versioned, self-describing JSON.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelFile {
    pub format: String,
    pub version: u32,
    pub tool_version: String,
    pub config: TrainConfig,
    pub actors: Vec<Actor>,
    pub featurizer: FeaturizerFile,
    pub stance: Classifier,
    pub sentiment: Option<Classifier>,
    pub training: TrainingInfo,
    /// SHA-256 of the file's bytes before this field, written last by [`StanceModel::save`].
    #[serde(default, skip_serializing)]
    pub checksum: Option<String>,
}

const CHECKSUM_KEY: &[u8] = b",\"checksum\":\"";

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The bytes of the shipped model.
pub const BUILTIN_MODEL: &[u8] = include_bytes!("../models/default.json");
/// How the built-in model is named in messages and in score records.
pub const BUILTIN_NAME: &str = "built-in model (models/default.json)";

pub const MODEL_FORMAT: &str = "stance-model";
pub const MODEL_VERSION: u32 = 1;

impl StanceModel {
    pub fn to_file(&self) -> ModelFile {
        ModelFile {
            format: MODEL_FORMAT.into(),
            version: MODEL_VERSION,
            tool_version: env!("CARGO_PKG_VERSION").into(),
            config: self.config.clone(),
            actors: self.registry.actors().to_vec(),
            featurizer: self.featurizer.to_file(),
            stance: self.stance.clone(),
            sentiment: self.sentiment.clone(),
            training: self.info.clone(),
            checksum: None,
        }
    }

    /// Writes the model as JSON to a temporary file beside `path`, then renames it over `path`,
    /// so an interrupted save never leaves a half-written model.
    pub fn save(&self, path: &std::path::Path) -> Result<()> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => std::path::PathBuf::from("."),
        };
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let mut tmp = tempfile::Builder::new()
            .prefix(".stance-model-")
            .tempfile_in(&dir)
            .map_err(|e| Error::io(&dir, e))?;
        {
            // The checksum covers every byte before it, so any later change is noticed.
            let mut body =
                serde_json::to_vec(&self.to_file()).map_err(|e| Error::io(path, e.into()))?;
            body.pop(); // the closing brace
            let sum = sha256_hex(&body);
            body.extend_from_slice(CHECKSUM_KEY);
            body.extend_from_slice(sum.as_bytes());
            body.extend_from_slice(b"\"}\n");
            use std::io::Write;
            tmp.as_file_mut()
                .write_all(&body)
                .map_err(|e| Error::io(path, e))?;
        }
        tmp.as_file().sync_all().map_err(|e| Error::io(path, e))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let perms = std::fs::Permissions::from_mode(0o644);
            std::fs::set_permissions(tmp.path(), perms).map_err(|e| Error::io(path, e))?;
        }
        tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
        Ok(())
    }

    /// The shipped model (`models/default.json`, trained on `data/` by the command in the
    /// README), built into the library so that it is there wherever the binary runs.
    pub fn builtin() -> StanceModel {
        Self::from_bytes(BUILTIN_MODEL, BUILTIN_NAME)
            .expect("the built-in model is checked by the tests")
    }

    /// Reads and checks a model file.
    pub fn load(path: &std::path::Path) -> Result<StanceModel> {
        let name = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Self::from_bytes(&bytes, &name)
    }

    pub fn from_bytes(bytes: &[u8], name: &str) -> Result<StanceModel> {
        // Read the header first, so a wrong or newer format is named as such rather than as
        // a missing field.
        #[derive(Deserialize)]
        struct Header {
            format: Option<String>,
            version: Option<u32>,
            tool_version: Option<String>,
        }
        let header: Header = serde_json::from_slice(bytes).map_err(|e| {
            Error::model(
                name,
                format!(
                    "not a readable model file (JSON error at line {}, column {}: {e}); was it truncated or edited?",
                    e.line(),
                    e.column()
                ),
            )
        })?;
        if header.format.as_deref() != Some(MODEL_FORMAT) {
            return Err(Error::model(
                name,
                format!(
                    "not a stance model (format is {:?}, expected \"{MODEL_FORMAT}\")",
                    header.format.unwrap_or_default()
                ),
            ));
        }
        match header.version {
            Some(MODEL_VERSION) => {}
            Some(v) if v > MODEL_VERSION => {
                return Err(Error::model(
                    name,
                    format!(
                        "format version {v} is newer than this tool reads ({MODEL_VERSION}); it was written by stance {}; upgrade stance",
                        header.tool_version.unwrap_or_else(|| "?".into())
                    ),
                ))
            }
            v => {
                return Err(Error::model(
                    name,
                    format!("unsupported format version {v:?} (this tool reads {MODEL_VERSION})"),
                ))
            }
        }
        let f: ModelFile = serde_json::from_slice(bytes)
            .map_err(|e| Error::model(name, format!("bad model file: {e}")))?;
        let stored = f.checksum.clone();
        let model = Self::from_file(f).map_err(|e| match e {
            Error::Model { .. } => e,
            other => Error::model(name, other.to_string()),
        })?;
        // Last, the checksum: the shape checks above name a hand edit more precisely.
        let end = bytes
            .windows(CHECKSUM_KEY.len())
            .rposition(|w| w == CHECKSUM_KEY);
        match (stored, end) {
            (Some(stored), Some(end)) => {
                let actual = sha256_hex(&bytes[..end]);
                if actual != stored {
                    return Err(Error::model(
                        name,
                        format!(
                            "checksum mismatch: the file was changed or damaged after it was written (stored {}…, computed {}…); retrain or restore it",
                            &stored.get(..12).unwrap_or(&stored),
                            &actual[..12]
                        ),
                    ));
                }
            }
            _ => {
                return Err(Error::model(
                    name,
                    "no checksum: the file was not written by `stance train` (or was cut short)",
                ))
            }
        }
        Ok(model)
    }

    pub fn from_file(f: ModelFile) -> Result<StanceModel> {
        let featurizer = Featurizer::from_file(f.featurizer)?;
        let check = |c: &Classifier, what: &str| -> Result<()> {
            c.check()
                .map_err(|m| Error::Config(format!("{what} classifier: {m}")))?;
            if c.n_features != featurizer.len() {
                return Err(Error::Config(format!(
                    "{what} classifier has {} features but the featurizer has {}",
                    c.n_features,
                    featurizer.len()
                )));
            }
            Ok(())
        };
        check(&f.stance, "stance")?;
        if let Some(s) = &f.sentiment {
            check(s, "sentiment")?;
        }
        let registry = Registry::new(f.actors)?;
        let stance_polarity = resolve_polarity(
            &f.stance.classes,
            f.config.polarity.stance_positive.as_deref(),
            f.config.polarity.stance_negative.as_deref(),
        )?;
        let sentiment_polarity = match &f.sentiment {
            Some(s) => resolve_polarity(
                &s.classes,
                f.config.polarity.sentiment_positive.as_deref(),
                f.config.polarity.sentiment_negative.as_deref(),
            )?,
            None => (None, None),
        };
        f.config.logistic.validate()?;
        Ok(StanceModel {
            config: f.config,
            registry,
            featurizer,
            stance: f.stance,
            sentiment: f.sentiment,
            stance_polarity,
            sentiment_polarity,
            info: f.training,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_summary_warning_for_unnamed_actors() {
        let one = unnamed_warning(&["a.jsonl:3 (article \"x\", actor \"Iran\")".into()]);
        assert_eq!(
            one,
            "1 label names an actor the article's text never names; the whole text is used as the context (a.jsonl:3 (article \"x\", actor \"Iran\"))"
        );
        let places: Vec<String> = (1..=5).map(|i| format!("f:{i}")).collect();
        assert_eq!(
            unnamed_warning(&places),
            "5 labels name an actor the article's text never names; the whole text is used as the context (first: f:1, f:2, f:3, …)"
        );
    }

    #[test]
    fn polarity_defaults_and_overrides() {
        let c: Vec<String> = ["against", "favor", "neutral"].map(String::from).to_vec();
        assert_eq!(
            resolve_polarity(&c, None, None).unwrap(),
            (Some(1), Some(0))
        );
        let c2: Vec<String> = ["neg", "neu", "pos"].map(String::from).to_vec();
        assert_eq!(
            resolve_polarity(&c2, None, None).unwrap(),
            (Some(2), Some(0))
        );
        let c3: Vec<String> = ["hawk", "dove"].map(String::from).to_vec();
        assert_eq!(resolve_polarity(&c3, None, None).unwrap(), (None, None));
        assert_eq!(
            resolve_polarity(&c3, Some("dove"), Some("hawk")).unwrap(),
            (Some(1), Some(0))
        );
        assert!(resolve_polarity(&c3, Some("pro"), None).is_err());
    }

    #[test]
    fn near_duplicate_labels_are_an_error() {
        let o = ("f.jsonl".to_string(), 3u64);
        let labels = [("favor", &o), ("Favor", &o), ("against", &o)];
        let e = label_set(labels.into_iter(), "stance").unwrap_err();
        assert!(e.to_string().contains("\"Favor\" and \"favor\""), "{e}");
    }
}
