//! Everything that decides how a model is trained ([`TrainConfig`], saved in the model file),
//! checked once into a [`CheckedConfig`] before anything is fitted: each part's own rules
//! (n-gram ranges, a positive alpha, a known stemmer language) and the rules that tie parts
//! together (per-actor features need the actor prior).

use crate::context::ContextConfig;
use crate::error::{Error, Result};
use crate::features::FeatureConfig;
use crate::labels::{LabelSet, Task};
use crate::model::LogisticConfig;
use serde::{Deserialize, Serialize};

/// Everything that decides how a model is trained; saved in the model file. The one source
/// of the defaults: the command line's defaults are these.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainConfig {
    /// The featurizer's settings.
    pub features: FeatureConfig,
    /// How an actor's context is cut from an article.
    pub context: ContextConfig,
    /// The classifier's settings.
    pub logistic: LogisticConfig,
    /// Which labels count as positive and negative in the signed scores.
    pub polarity: Polarity,
}

/// Which labels count as positive and negative for a signed score; None means "recognise by
/// name" (favor/pro/support/positive and against/anti/negative).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Polarity {
    /// The positive stance label.
    pub stance_positive: Option<String>,
    /// The negative stance label.
    pub stance_negative: Option<String>,
    /// The positive sentiment label.
    pub sentiment_positive: Option<String>,
    /// The negative sentiment label.
    pub sentiment_negative: Option<String>,
}

impl Polarity {
    /// The positive and negative label names given for `task`.
    pub fn of(&self, task: Task) -> (Option<&str>, Option<&str>) {
        match task {
            Task::Stance => (
                self.stance_positive.as_deref(),
                self.stance_negative.as_deref(),
            ),
            Task::Sentiment => (
                self.sentiment_positive.as_deref(),
                self.sentiment_negative.as_deref(),
            ),
        }
    }

    /// The label set `names` of `task` with this polarity.
    pub fn labels(&self, task: Task, names: Vec<String>) -> Result<LabelSet> {
        let (positive, negative) = self.of(task);
        LabelSet::resolve(names, positive, negative)
    }
}

/// A [`TrainConfig`] that passed [`TrainConfig::check`]: what the fitting code takes, so the
/// rules are checked once and not at every fold.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedConfig(TrainConfig);

impl std::ops::Deref for CheckedConfig {
    type Target = TrainConfig;

    fn deref(&self) -> &TrainConfig {
        &self.0
    }
}

impl CheckedConfig {
    /// The settings.
    pub fn config(&self) -> &TrainConfig {
        &self.0
    }
}

impl TrainConfig {
    /// Checks every setting and the rules between them.
    pub fn check(&self) -> Result<CheckedConfig> {
        self.features.validate()?;
        self.logistic.validate()?;
        if self.features.per_actor && !self.context.actor_prior {
            return Err(Error::Config(
                "per-actor features (--per-actor) need the actor prior; drop --no-actor-prior"
                    .into(),
            ));
        }
        let (p, n) = self.polarity.of(Task::Stance);
        if p.is_some() && p == n {
            return Err(Error::Config(format!(
                "the label \"{}\" cannot be both the positive and the negative label",
                p.unwrap_or_default()
            )));
        }
        Ok(CheckedConfig(self.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cross_field_rules_are_checked_once_up_front() {
        assert!(TrainConfig::default().check().is_ok());
        let mut c = TrainConfig::default();
        c.features.per_actor = true;
        c.context.actor_prior = false;
        assert!(c.check().unwrap_err().to_string().contains("--per-actor"));
        let mut c = TrainConfig::default();
        c.logistic.alpha = 0.0;
        assert!(c.check().unwrap_err().to_string().contains("alpha"));
        let mut c = TrainConfig::default();
        c.polarity.stance_positive = Some("favor".into());
        c.polarity.stance_negative = Some("favor".into());
        assert!(c.check().unwrap_err().to_string().contains("both"));
    }
}
