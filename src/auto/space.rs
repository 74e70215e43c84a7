//! The search space: the dimensions, the values each tries from the current settings, and
//! which of them the data make moot.

use crate::context::{Analysis, Markers, Window};
use crate::features::{CharSource, SEPARATE_ACTORS_MIN};
use crate::model::ClassWeight;
use crate::pipeline::{TrainConfig, TrainingSet};
use crate::tokens::{self, Tokens};
use serde::{Deserialize, Serialize};

/// The dimensions of the search, in the order each pass tries them (the ones that paid most
/// on the shared sets first, the slow character n-grams after the cheap ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Dim {
    /// `--per-actor`.
    PerActor,
    /// `--tokens words|social`.
    Tokens,
    /// `--class-weight`.
    ClassWeight,
    /// `--alpha`: the neighbours of the current value on a 0.03–100 ladder.
    Alpha,
    /// `--ngrams 1|1-2|1-3`.
    #[serde(rename = "ngrams")]
    WordNgrams,
    /// `--window 0|1|2|all`.
    Window,
    /// `--markers both|target|none`.
    Markers,
    /// `--near-target 0|3`.
    NearTarget,
    /// `--lexicon`.
    Lexicon,
    /// `--negation`.
    Negation,
    /// `--char-ngrams 2-5` of words (with `--block-norm`) or of stems, or off.
    CharNgrams,
    /// `--block-norm` (only with character n-grams).
    BlockNorm,
    /// `--min-df 1|2|3`.
    MinDf,
    /// `--no-actor-prior`.
    ActorPrior,
}

impl Dim {
    /// Every dimension, in search order.
    pub const ALL: [Dim; 14] = [
        Dim::PerActor,
        Dim::Tokens,
        Dim::ClassWeight,
        Dim::Alpha,
        Dim::WordNgrams,
        Dim::Window,
        Dim::Markers,
        Dim::NearTarget,
        Dim::Lexicon,
        Dim::Negation,
        Dim::CharNgrams,
        Dim::BlockNorm,
        Dim::MinDf,
        Dim::ActorPrior,
    ];

    /// The dimension's name.
    pub fn name(self) -> &'static str {
        match self {
            Dim::PerActor => "per-actor",
            Dim::Tokens => "tokens",
            Dim::ClassWeight => "class-weight",
            Dim::Alpha => "alpha",
            Dim::WordNgrams => "ngrams",
            Dim::Window => "window",
            Dim::Markers => "markers",
            Dim::NearTarget => "near-target",
            Dim::Lexicon => "lexicon",
            Dim::Negation => "negation",
            Dim::CharNgrams => "char-ngrams",
            Dim::BlockNorm => "block-norm",
            Dim::MinDf => "min-df",
            Dim::ActorPrior => "actor-prior",
        }
    }

    /// The other values of this dimension from `cur`, each with a label saying the change.
    pub fn alternatives(self, cur: &TrainConfig) -> Vec<(String, TrainConfig)> {
        let mut out = Vec::new();
        let mut push = |label: String, f: &dyn Fn(&mut TrainConfig)| {
            let mut c = cur.clone();
            f(&mut c);
            if c != *cur {
                out.push((label, c));
            }
        };
        match self {
            Dim::PerActor => {
                // Three values: shared weights, shared plus per-actor copies, one model per
                // actor (copies only, for actors with enough labels).
                let set = |c: &mut TrainConfig, on: bool, separate: Option<usize>| {
                    c.features.per_actor = on;
                    c.features.separate_actors = separate;
                    c.context.actor_prior |= on;
                };
                let sep = format!("--separate-actors {SEPARATE_ACTORS_MIN}");
                let (cur_on, cur_sep) = (cur.features.per_actor, cur.features.separate_actors);
                if cur_on {
                    push("per-actor off".into(), &|c| set(c, false, None));
                }
                if !cur_on || cur_sep.is_some() {
                    push("--per-actor".into(), &|c| set(c, true, None));
                }
                if cur_sep.is_none() {
                    push(sep, &|c| set(c, true, Some(SEPARATE_ACTORS_MIN)));
                }
            }
            Dim::Tokens => {
                let other = match cur.context.tokens {
                    Tokens::Words => Tokens::Social,
                    Tokens::Social => Tokens::Words,
                };
                push(format!("--tokens {}", other.name()), &|c| {
                    c.context.tokens = other
                });
            }
            Dim::ClassWeight => {
                let other = match cur.logistic.class_weight {
                    ClassWeight::Balanced => ClassWeight::None,
                    ClassWeight::None => ClassWeight::Balanced,
                };
                let name = match other {
                    ClassWeight::Balanced => "balanced",
                    ClassWeight::None => "none",
                };
                push(format!("--class-weight {name}"), &|c| {
                    c.logistic.class_weight = other
                });
            }
            Dim::Alpha => {
                const LADDER: [f64; 8] = [0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0];
                let a = cur.logistic.alpha;
                let below = LADDER.iter().rev().find(|&&x| x < a * 0.99);
                let above = LADDER.iter().find(|&&x| x > a * 1.01);
                for &x in below.into_iter().chain(above) {
                    push(format!("--alpha {x}"), &|c| c.logistic.alpha = x);
                }
            }
            Dim::WordNgrams => {
                for r in [(1, 1), (1, 2), (1, 3)] {
                    push(format!("--ngrams {}-{}", r.0, r.1), &|c| {
                        c.features.word_ngrams = r
                    });
                }
            }
            Dim::Window => {
                for w in [
                    Window::Sentences(0),
                    Window::Sentences(1),
                    Window::Sentences(2),
                    Window::All,
                ] {
                    push(format!("--window {w}"), &|c| c.context.window = w);
                }
            }
            Dim::Markers => {
                for m in [Markers::Both, Markers::Target, Markers::None] {
                    push(format!("--markers {}", m.name()), &|c| {
                        c.context.markers = m
                    });
                }
            }
            Dim::NearTarget => {
                let n = if cur.features.near_target == 0 { 3 } else { 0 };
                push(format!("--near-target {n}"), &|c| {
                    c.features.near_target = n
                });
            }
            Dim::Lexicon => {
                let on = !cur.features.lexicon;
                let label = if on { "--lexicon" } else { "lexicon off" };
                push(label.into(), &|c| c.features.lexicon = on);
            }
            Dim::Negation => {
                let on = !cur.features.negation;
                let label = if on { "--negation" } else { "negation off" };
                push(label.into(), &|c| c.features.negation = on);
            }
            Dim::CharNgrams => {
                if cur.features.char_ngrams.is_none() {
                    push(
                        "--char-ngrams 2-5 --char-source word --block-norm".into(),
                        &|c| {
                            c.features.char_ngrams = Some((2, 5));
                            c.features.char_source = CharSource::Word;
                            c.features.block_norm = true;
                        },
                    );
                    push("--char-ngrams 2-5".into(), &|c| {
                        c.features.char_ngrams = Some((2, 5));
                        c.features.char_source = CharSource::Stem;
                    });
                    push(
                        "--char-ngrams 2-5 --char-source text --block-norm".into(),
                        &|c| {
                            c.features.char_ngrams = Some((2, 5));
                            c.features.char_source = CharSource::Text;
                            c.features.block_norm = true;
                        },
                    );
                } else {
                    push("char n-grams off".into(), &|c| {
                        c.features.char_ngrams = None;
                        c.features.char_source = CharSource::Stem;
                        c.features.block_norm = false;
                    });
                    for other in [CharSource::Stem, CharSource::Word, CharSource::Text] {
                        push(format!("--char-source {}", other.name()), &|c| {
                            c.features.char_source = other
                        });
                    }
                }
            }
            Dim::BlockNorm => {
                if cur.features.char_ngrams.is_some() {
                    let on = !cur.features.block_norm;
                    let label = if on { "--block-norm" } else { "block-norm off" };
                    push(label.into(), &|c| c.features.block_norm = on);
                }
            }
            Dim::MinDf => {
                for m in [1, 2, 3] {
                    push(format!("--min-df {m}"), &|c| c.features.min_df = m);
                }
            }
            Dim::ActorPrior => {
                if !cur.features.per_actor {
                    let on = !cur.context.actor_prior;
                    let label = if on {
                        "actor prior on"
                    } else {
                        "--no-actor-prior"
                    };
                    push(label.into(), &|c| c.context.actor_prior = on);
                }
            }
        }
        out
    }
}

/// What the data say about which dimensions can matter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataShape {
    /// Stance examples whose actor the text names at least once.
    pub named: usize,
    /// Stance examples.
    pub examples: usize,
    /// Articles of more than one sentence.
    pub multi_sentence: usize,
    /// Distinct actors among the stance examples.
    pub actors: usize,
    /// Texts (articles).
    #[serde(default)]
    pub texts: usize,
    /// Texts with a #hashtag or an @mention.
    #[serde(default)]
    pub social: usize,
}

impl DataShape {
    /// Looks at the texts and labels.
    pub fn of(set: &TrainingSet) -> DataShape {
        let analyses: Vec<Analysis> = set
            .articles
            .iter()
            .map(|a| Analysis::new(&a.article.text, &set.registry))
            .collect();
        let named = set
            .examples
            .iter()
            .filter(|e| {
                let actor = set.registry.index(&e.actor);
                actor.is_some_and(|i| analyses[e.article].mentions.iter().any(|m| m.actor == i))
            })
            .count();
        let mut actors: Vec<&str> = set.examples.iter().map(|e| e.actor.as_str()).collect();
        actors.sort_unstable();
        actors.dedup();
        DataShape {
            named,
            examples: set.examples.len(),
            multi_sentence: analyses.iter().filter(|a| a.sentences.len() > 1).count(),
            actors: actors.len(),
            texts: set.articles.len(),
            social: set
                .articles
                .iter()
                .filter(|a| tokens::has_tag_or_mention(&a.article.text))
                .count(),
        }
    }

    /// Why `d` cannot matter on these data, if it cannot.
    pub fn moot(&self, d: Dim) -> Option<&'static str> {
        // Fewer than 5 % of the examples name their actor: the context is the whole text
        // without markers for the rest.
        let unnamed = self.named * 20 < self.examples;
        match d {
            Dim::Window | Dim::Markers | Dim::NearTarget if unnamed => {
                Some("no actor is named in (almost) any text")
            }
            Dim::Window if self.multi_sentence == 0 => Some("every text is one sentence"),
            Dim::PerActor | Dim::ActorPrior if self.actors < 2 => Some("one actor only"),
            // Fewer than 5 % of the texts have a hashtag or mention: the social tokenizer
            // differs from the default only by URLs and emoji.
            Dim::Tokens if self.social * 20 < self.texts => {
                Some("(almost) no text has a #hashtag or @mention")
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alternatives_change_one_dimension() {
        let d = TrainConfig::default();
        let alpha: Vec<f64> = Dim::Alpha
            .alternatives(&d)
            .iter()
            .map(|(_, c)| c.logistic.alpha)
            .collect();
        assert_eq!(alpha, vec![0.3, 3.0]);
        let ngrams: Vec<String> = Dim::WordNgrams
            .alternatives(&d)
            .into_iter()
            .map(|(l, _)| l)
            .collect();
        assert_eq!(ngrams, vec!["--ngrams 1-1", "--ngrams 1-3"]);
        // Per-actor weights switch the actor prior on (they need it).
        let mut no_prior = d.clone();
        no_prior.context.actor_prior = false;
        let alts = Dim::PerActor.alternatives(&no_prior);
        let labels: Vec<&str> = alts.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(labels, ["--per-actor", "--separate-actors 10"]);
        for (_, c) in &alts {
            assert!(c.features.per_actor && c.context.actor_prior);
            assert!(c.check().is_ok());
        }
        assert_eq!(alts[1].1.features.separate_actors, Some(10));
        // From one model per actor: off, or back to shared weights plus copies.
        let labels: Vec<String> = Dim::PerActor
            .alternatives(&alts[1].1)
            .into_iter()
            .map(|(l, c)| {
                assert!(c.features.separate_actors.is_none());
                l
            })
            .collect();
        assert_eq!(labels, ["per-actor off", "--per-actor"]);
        // Block norms only exist with character n-grams.
        assert!(Dim::BlockNorm.alternatives(&d).is_empty());
        let (_, with_chars) = &Dim::CharNgrams.alternatives(&d)[0];
        assert_eq!(with_chars.features.char_ngrams, Some((2, 5)));
        assert_eq!(with_chars.features.char_source, CharSource::Word);
        assert_eq!(
            Dim::BlockNorm.alternatives(with_chars)[0].0,
            "block-norm off"
        );
        // At the ladder's top only the step down is left.
        let mut top = d.clone();
        top.logistic.alpha = 100.0;
        assert_eq!(Dim::Alpha.alternatives(&top).len(), 1);
    }

    #[test]
    fn moot_dimensions_follow_the_data() {
        let shape = DataShape {
            named: 0,
            examples: 100,
            multi_sentence: 40,
            actors: 3,
            texts: 100,
            social: 4,
        };
        assert!(shape.moot(Dim::Window).is_some());
        // 4 texts of 100 with a hashtag or mention: below 5 %, the tokenizer is not searched.
        assert!(shape.moot(Dim::Tokens).unwrap().contains("#hashtag"));
        let tagged = DataShape {
            social: 5,
            ..shape.clone()
        };
        assert_eq!(tagged.moot(Dim::Tokens), None);
        assert!(shape.moot(Dim::Markers).is_some());
        assert!(shape.moot(Dim::PerActor).is_none());
        let one = DataShape {
            named: 100,
            examples: 100,
            multi_sentence: 0,
            actors: 1,
            texts: 100,
            social: 0,
        };
        assert_eq!(one.moot(Dim::Window), Some("every text is one sentence"));
        assert!(one.moot(Dim::Markers).is_none());
        assert_eq!(one.moot(Dim::PerActor), Some("one actor only"));
    }
}
