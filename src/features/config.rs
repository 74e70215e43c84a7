//! The featurizer's settings, saved in the model file, and their check.

use super::ngrams::MAX_N;
use crate::error::{Error, Result};
use crate::text::{self, Stem};
use serde::{Deserialize, Serialize};

/// Featurizer settings, saved in the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FeatureConfig {
    /// Word n-gram lengths, inclusive (1..=4).
    pub word_ngrams: (usize, usize),
    /// Character n-gram lengths of each stem (with `<` and `>` marking its ends), if any.
    pub char_ngrams: Option<(usize, usize)>,
    /// Use 1 + ln(tf) instead of tf.
    pub sublinear_tf: bool,
    /// Keep a feature only if it occurs in at least this many training documents.
    pub min_df: usize,
    /// Keep at most this many features (the most frequent by document frequency).
    pub max_features: Option<usize>,
    /// Stemmer language (see [`text::LANGUAGES`]).
    pub language: String,
    /// What character n-grams are taken from: the stem (default) or the word as written,
    /// lower-cased.
    #[serde(skip_serializing_if = "is_default")]
    pub char_source: CharSource,
    /// L2-normalise the word features and the character n-grams separately, as if two TF-IDF
    /// matrices were put side by side (each block has norm 1, the row sqrt 2).
    #[serde(skip_serializing_if = "is_default")]
    pub block_norm: bool,
    /// Words at most this many words before or after a target marker, in its sentence, also
    /// give a feature conjoined with their side: `<stem` (before) and `>stem` (after). 0: off.
    #[serde(skip_serializing_if = "is_default")]
    pub near_target: usize,
    /// Words in the scope of a negation (after not, no, never, …n't, without… up to the next
    /// punctuation mark, "but" or the end of the sentence) also give `!stem`.
    #[serde(skip_serializing_if = "is_default")]
    pub negation: bool,
    /// Counts of words of a small built-in sentiment lexicon
    /// ([`LEXICON_POSITIVE`](super::LEXICON_POSITIVE),
    /// [`LEXICON_NEGATIVE`](super::LEXICON_NEGATIVE)) as features `$pos` and `$neg` (a negated
    /// word counts for the other side), and `$pos~` / `$neg~` for those within `near_target`
    /// words of the target.
    #[serde(skip_serializing_if = "is_default")]
    pub lexicon: bool,
    /// Feature augmentation: in a context about an actor (with the actor prior on), every
    /// word also gives `@actor|stem`, so the model learns a shared weight for each word and a
    /// per-actor correction ("frustratingly easy" domain adaptation, one domain per actor).
    #[serde(skip_serializing_if = "is_default")]
    pub per_actor: bool,
    /// One model per actor (needs `per_actor`): an actor with at least this many training
    /// documents gets its per-actor copies of the words *instead of* the shared word unigrams,
    /// so its word weights are its own (under L2 the fit decomposes by actor, except for what
    /// stays shared: the intercept, the markers, word n-grams of two or more, character
    /// n-grams, the extra features, the IDF and the class weights). Actors with fewer
    /// documents, and actors added at scoring time, keep the shared unigrams and no copies:
    /// they share one pooled model. Which actors are separate is saved with the features.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub separate_actors: Option<usize>,
}

/// The least number of training documents for an actor to get its own word weights when
/// `--separate-actors` is given without a number.
pub const SEPARATE_ACTORS_MIN: usize = 10;

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

/// Where character n-grams come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum CharSource {
    /// The stem ("attack" for "Attacked").
    #[default]
    Stem,
    /// The word as written, lower-cased ("attacked").
    Word,
    /// Each sentence of the context, its words as written (lower-cased) joined by `_`, the
    /// target marker as `T` and another actor's as `O`: n-grams that cross word boundaries,
    /// like scikit-learn's `analyzer="char"` over the text (punctuation left out).
    Text,
}

impl CharSource {
    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            CharSource::Stem => "stem",
            CharSource::Word => "word",
            CharSource::Text => "text",
        }
    }
}

impl Default for FeatureConfig {
    fn default() -> Self {
        FeatureConfig {
            word_ngrams: (1, 2),
            char_ngrams: None,
            sublinear_tf: true,
            min_df: 2,
            max_features: Some(200_000),
            language: "english".into(),
            char_source: CharSource::Stem,
            block_norm: false,
            near_target: 0,
            negation: false,
            lexicon: false,
            per_actor: false,
            separate_actors: None,
        }
    }
}

impl FeatureConfig {
    /// Checks the settings: n-gram lengths, `near_target`, `min_df`, `max_features`, language.
    pub fn validate(&self) -> Result<()> {
        let (lo, hi) = self.word_ngrams;
        if lo < 1 || hi < lo || hi > MAX_N {
            return Err(Error::Config(format!(
                "word n-grams must satisfy 1 <= min <= max <= {MAX_N}, got {lo}..{hi}"
            )));
        }
        if let Some((lo, hi)) = self.char_ngrams {
            if lo < 1 || hi < lo || hi > 8 {
                return Err(Error::Config(format!(
                    "character n-grams must satisfy 1 <= min <= max <= 8, got {lo}..{hi}"
                )));
            }
        }
        if self.near_target > 100 {
            return Err(Error::Config(format!(
                "near_target must be at most 100 words, got {}",
                self.near_target
            )));
        }
        match self.separate_actors {
            Some(0) => {
                return Err(Error::Config(
                    "separate actors need at least 1 training document each, got 0".into(),
                ))
            }
            Some(_) if !self.per_actor => {
                return Err(Error::Config(
                    "separate actors (one model per actor) need the per-actor copies (per_actor)"
                        .into(),
                ))
            }
            _ => {}
        }
        if self.min_df < 1 {
            return Err(Error::Config("min_df must be at least 1".into()));
        }
        if self.max_features == Some(0) {
            return Err(Error::Config("max_features must be at least 1".into()));
        }
        if Stem::new(&self.language).is_none() {
            return Err(Error::Config(format!(
                "unknown stemmer language \"{}\" (one of: {})",
                self.language,
                text::LANGUAGES.join(", ")
            )));
        }
        Ok(())
    }

    /// Whether any of the near-target, negation or lexicon features is on.
    pub(super) fn has_extras(&self) -> bool {
        self.near_target > 0 || self.negation || self.lexicon
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_settings_are_left_out_of_the_model_file_when_off() {
        let json = serde_json::to_string(&FeatureConfig::default()).unwrap();
        for k in [
            "char_source",
            "block_norm",
            "near_target",
            "negation",
            "lexicon",
            "per_actor",
            "separate_actors",
        ] {
            assert!(!json.contains(k), "{json}");
        }
        let on = FeatureConfig {
            near_target: 3,
            ..FeatureConfig::default()
        };
        let back: FeatureConfig =
            serde_json::from_str(&serde_json::to_string(&on).unwrap()).unwrap();
        assert_eq!(back, on);
    }
}
