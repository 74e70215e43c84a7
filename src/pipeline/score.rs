//! Scoring: a [`Scorer`] (a model, what to score, and its own working memory) turns an
//! [`Article`] into an [`ArticleScore`]: the sentiment, and per actor the article names the
//! stance label, its probabilities, the signed score and the evidence sentences.

use super::{StanceModel, TaskModel};
use crate::classifier::Classify;
use crate::context::{context, Analysis, Context};
use crate::corpus::Article;
use crate::features::{Doc, Featurizer, Scratch, SparseVec};
use crate::model::argmax;
use crate::text::char_offset;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What to score in each article.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreOptions {
    /// Actors to score even when the article does not name them.
    pub actors: Vec<String>,
    /// Score only the actors in `actors`.
    pub only_listed: bool,
    /// Evidence sentences per actor (0 for none).
    pub evidence: usize,
    /// Print the classifier's own probabilities instead of the calibrated ones.
    pub raw_probabilities: bool,
    /// List each actor's mentions (offsets and the spelling matched), to audit the matching.
    pub matches: bool,
}

impl Default for ScoreOptions {
    fn default() -> Self {
        ScoreOptions {
            actors: Vec::new(),
            only_listed: false,
            evidence: 2,
            raw_probabilities: false,
            matches: false,
        }
    }
}

/// The scores of one article.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArticleScore {
    /// The article's id.
    pub id: String,
    /// Its source (outlet).
    #[serde(default)]
    pub source: Option<String>,
    /// Its date.
    #[serde(default)]
    pub date: Option<String>,
    /// Its sentiment, when the model has a sentiment classifier.
    #[serde(default)]
    pub sentiment: Option<LabelScore>,
    /// The stance toward each actor scored.
    #[serde(default)]
    pub actors: Vec<ActorScore>,
    /// The input record's other fields (outlet section, country, language, …), carried
    /// through so that `stance compare --by FIELD` can group by them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
    /// The model that made the scores, so that `stance compare` can check it uses that
    /// model's error rates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelRef>,
}

/// The model a score record was made by, as the record carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelRef {
    /// The model's name as its model file stores it (`stance train --name`, by default the
    /// stem of the file it was trained into; `"default"` for the built-in model), so a copy
    /// under another path is named the same; absent for a model file without a name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The first 16 hexadecimal digits of the model file's SHA-256 checksum.
    pub checksum: String,
    /// Whether the probabilities are the classifier's own rather than the calibrated ones
    /// (`stance score --raw-probabilities`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub raw_probabilities: bool,
}

/// A label with its probabilities and signed score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelScore {
    /// The most probable label.
    pub label: String,
    /// Each label's probability.
    pub probabilities: BTreeMap<String, f64>,
    /// P(positive) − P(negative), when both labels are known.
    #[serde(default)]
    pub score: Option<f64>,
}

/// The stance of an article toward one actor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActorScore {
    /// The actor's name.
    pub actor: String,
    /// How many times the article names it.
    pub mentions: usize,
    /// The most probable stance label.
    pub label: String,
    /// Each label's probability.
    pub probabilities: BTreeMap<String, f64>,
    /// P(favor) − P(against), in [-1, 1].
    #[serde(default)]
    pub score: Option<f64>,
    /// The sentences that weighed most toward the label.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<Evidence>,
    /// Each mention of the actor, when asked for ([`ScoreOptions::matches`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub matches: Vec<MentionMatch>,
}

/// One mention of an actor: where it stands and which spelling matched it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MentionMatch {
    /// Offset of its first character in the article's text (in characters).
    pub start: usize,
    /// Offset just past its last character.
    pub end: usize,
    /// The name, alias or automatic name form that matched, as the registry spells it.
    pub alias: String,
    /// Whether that spelling is an automatic name form ("Kremlin" for "the Kremlin", a
    /// person's surname) rather than a name or alias of the actors file.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub automatic: bool,
}

/// A sentence that carried weight toward the predicted label, with character offsets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// The sentence.
    pub text: String,
    /// Offset of its first character in the article's text (in characters).
    pub start: usize,
    /// Offset just past its last character.
    pub end: usize,
    /// How much it pushed toward the label.
    pub weight: f64,
}

/// Scores articles with one model; owns the working memory (a cache of word stems and
/// scratch vectors), so keep one per thread and reuse it.
pub struct Scorer<'m> {
    model: &'m StanceModel,
    model_ref: ModelRef,
    opts: ScoreOptions,
    scratch: Scratch,
    trace: Vec<(u32, u32)>,
}

impl StanceModel {
    /// A scorer of this model.
    pub fn scorer(&self, opts: ScoreOptions) -> Scorer<'_> {
        self.scorer_with(opts, Scratch::default())
    }

    /// A scorer that reuses working memory taken from another scorer
    /// ([`Scorer::into_scratch`]), of this model or another: a cache that belongs to another
    /// featurizer is emptied on first use.
    pub fn scorer_with(&self, opts: ScoreOptions, scratch: Scratch) -> Scorer<'_> {
        let id = self.identity();
        Scorer {
            model: self,
            model_ref: ModelRef {
                name: id.name.clone(),
                checksum: id.short().to_string(),
                raw_probabilities: opts.raw_probabilities,
            },
            opts,
            scratch,
            trace: Vec::new(),
        }
    }

    /// Scores one article with a fresh scorer (keep a [`Scorer`] to score many).
    pub fn score(&self, article: &Article, opts: &ScoreOptions) -> ArticleScore {
        self.scorer(opts.clone()).score(article)
    }
}

impl<'m> Scorer<'m> {
    /// The model it scores with.
    pub fn model(&self) -> &'m StanceModel {
        self.model
    }

    /// What it scores.
    pub fn options(&self) -> &ScoreOptions {
        &self.opts
    }

    /// Its working memory, to reuse in another scorer.
    pub fn into_scratch(self) -> Scratch {
        self.scratch
    }

    /// Scores one article.
    pub fn score(&mut self, article: &Article) -> ArticleScore {
        let model = self.model;
        let analysis =
            Analysis::with_tokens(&article.text, &model.registry, model.config.context.tokens);
        let actors = self.actors_to_score(&analysis);
        let mut words = model.featurizer.word_terms(&analysis, &mut self.scratch);
        let mut actor_scores = Vec::with_capacity(actors.len());
        for a in actors {
            let ctx = context(&analysis, Some(a), &model.config.context);
            let doc = Doc {
                analysis: &analysis,
                pieces: &ctx.pieces,
                actor: model.config.context.prior(model.registry.name(a)),
            };
            self.trace.clear();
            let want = self.opts.evidence > 0;
            let v = model.featurizer.transform_with(
                doc,
                &mut words,
                &mut self.scratch,
                want.then_some(&mut self.trace),
            );
            let p = self.probabilities(&model.stance, &v);
            let evidence = if want {
                evidence(
                    &model.featurizer,
                    &mut self.scratch,
                    &model.stance,
                    (&v, &self.trace),
                    &p,
                    (&ctx, &analysis),
                    self.opts.evidence,
                )
            } else {
                Vec::new()
            };
            actor_scores.push(ActorScore {
                actor: model.registry.name(a).to_string(),
                mentions: analysis.mention_count(a),
                label: model.stance.classes()[argmax(&p)].clone(),
                score: model.stance.labels.signed(&p),
                probabilities: named(model.stance.classes(), &p),
                evidence,
                matches: if self.opts.matches {
                    matches(&analysis, &model.registry, a)
                } else {
                    Vec::new()
                },
            });
        }
        let sentiment = model.sentiment.as_ref().map(|s| {
            let ctx = context(&analysis, None, &model.config.context);
            let doc = Doc {
                analysis: &analysis,
                pieces: &ctx.pieces,
                actor: None,
            };
            let v = model
                .featurizer
                .transform_with(doc, &mut words, &mut self.scratch, None);
            label_score(s, &self.probabilities(s, &v))
        });
        ArticleScore {
            id: article.id.clone(),
            source: article.source.clone(),
            date: article.date.clone(),
            sentiment,
            actors: actor_scores,
            fields: BTreeMap::new(),
            model: Some(self.model_ref.clone()),
        }
    }

    /// The actors to score in an analysed article: those it names, in order of first mention,
    /// then those asked for; or only those asked for.
    fn actors_to_score(&self, analysis: &Analysis<'_>) -> Vec<usize> {
        let registry = &self.model.registry;
        let mut actors: Vec<usize> = analysis.actors();
        for name in &self.opts.actors {
            if let Some(i) = registry.index(name) {
                if !actors.contains(&i) {
                    actors.push(i);
                }
            }
        }
        if self.opts.only_listed && !self.opts.actors.is_empty() {
            actors.retain(|&a| self.opts.actors.iter().any(|n| n == registry.name(a)));
        }
        actors
    }

    /// Probabilities of the stance labels toward `actor` (its name, and its index in the
    /// registry the article was analysed with, None if that registry does not know it) in an
    /// analysed article.
    pub fn stance_probabilities(
        &mut self,
        analysis: &Analysis<'_>,
        actor: (&str, Option<usize>),
    ) -> Vec<f64> {
        let model = self.model;
        let ctx = context(analysis, actor.1, &model.config.context);
        let v = model.featurizer.transform(
            Doc {
                analysis,
                pieces: &ctx.pieces,
                actor: model.config.context.prior(actor.0),
            },
            &mut self.scratch,
        );
        self.probabilities(&model.stance, &v)
    }

    /// A task's probabilities, calibrated unless the options ask for the raw ones.
    fn probabilities(&self, t: &TaskModel, v: &SparseVec) -> Vec<f64> {
        if self.opts.raw_probabilities {
            t.raw_probabilities(v)
        } else {
            t.probabilities(v)
        }
    }
}

/// The label, probabilities and signed score of a probability vector.
fn label_score(t: &TaskModel, p: &[f64]) -> LabelScore {
    LabelScore {
        label: t.classes()[argmax(p)].clone(),
        score: t.labels.signed(p),
        probabilities: named(t.classes(), p),
    }
}

fn named(classes: &[String], p: &[f64]) -> BTreeMap<String, f64> {
    classes.iter().cloned().zip(p.iter().copied()).collect()
}

/// The sentences of the context that pushed most toward the predicted label: each feature's
/// contribution `x_f · contribution(f, label)` is shared among its occurrences (`trace`: the
/// feature and segment of every occurrence), and summed per sentence.
fn evidence(
    featurizer: &Featurizer,
    scratch: &mut Scratch,
    task: &TaskModel,
    (v, trace): (&SparseVec, &[(u32, u32)]),
    p: &[f64],
    (ctx, analysis): (&Context, &Analysis<'_>),
    top: usize,
) -> Vec<Evidence> {
    let label = argmax(p);
    let per_segment = featurizer.segment_sums(
        v,
        trace,
        ctx.sentences.len(),
        |j| task.classifier.contribution(j, label),
        scratch,
    );
    top_segments(&per_segment, top)
        .into_iter()
        .map(|s| {
            let span = analysis.sentences[ctx.sentences[s]].span;
            let text = &analysis.text[span.start..span.end];
            // The end counted from the start: the text before the sentence is counted once.
            let start = char_offset(analysis.text, span.start);
            Evidence {
                text: text.to_string(),
                start,
                end: start + text.chars().count(),
                weight: per_segment[s],
            }
        })
        .collect()
}

/// The (at most `top`) segments of positive weight, heaviest first, the earlier first among
/// equal weights: the first `top` of them all sorted so, selected in one pass without sorting
/// them all (an article has many sentences, the evidence is one or two).
fn top_segments(weights: &[f64], top: usize) -> Vec<usize> {
    let mut best: Vec<usize> = Vec::with_capacity(top.min(weights.len()) + 1);
    for (s, &w) in weights.iter().enumerate() {
        if w.is_nan() || w <= 0.0 || top == 0 {
            continue;
        }
        // Before the first lighter one; after every one as heavy (they come earlier).
        let at = best
            .iter()
            .position(|&b| w.total_cmp(&weights[b]).is_gt())
            .unwrap_or(best.len());
        if at < top {
            best.insert(at, s);
            best.truncate(top);
        }
    }
    best
}

/// The mentions of `actor` in an analysed article, with character offsets and the spelling
/// each matched.
fn matches(
    analysis: &Analysis,
    registry: &crate::actors::Registry,
    actor: usize,
) -> Vec<MentionMatch> {
    analysis
        .mentions
        .iter()
        .filter(|m| m.actor == actor)
        .map(|m| {
            let (alias, automatic) = registry.alias(m.alias).unwrap_or(("", false));
            MentionMatch {
                start: char_offset(analysis.text, m.span.start),
                end: char_offset(analysis.text, m.span.end),
                alias: alias.to_string(),
                automatic,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::top_segments;

    /// What the selection replaces: every segment sorted, the positive ones, the first `top`.
    fn by_sorting(w: &[f64], top: usize) -> Vec<usize> {
        let mut order: Vec<usize> = (0..w.len()).collect();
        order.sort_by(|&a, &b| w[b].total_cmp(&w[a]).then(a.cmp(&b)));
        order
            .into_iter()
            .filter(|&s| w[s] > 0.0)
            .take(top)
            .collect()
    }

    #[test]
    fn top_segments_heaviest_first_earlier_among_equals() {
        let w = [0.1, 0.5, -1.0, 0.5, f64::NAN, 0.3, 0.0];
        assert_eq!(top_segments(&w, 2), vec![1, 3]);
        assert_eq!(top_segments(&w, 3), vec![1, 3, 5]);
        assert_eq!(top_segments(&w, 10), vec![1, 3, 5, 0]);
        assert_eq!(top_segments(&w, 0), Vec::<usize>::new());
        assert_eq!(top_segments(&[], 2), Vec::<usize>::new());
        assert_eq!(top_segments(&[-0.5, 0.0], 2), Vec::<usize>::new());
        // Against the sort, on weights with many ties and signs.
        let many: Vec<f64> = (0..200).map(|i| f64::from((i * 37) % 11) - 4.0).collect();
        for top in [1, 2, 3, 7, 50, 300] {
            assert_eq!(
                top_segments(&many, top),
                by_sorting(&many, top),
                "top {top}"
            );
        }
    }
}
