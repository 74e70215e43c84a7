//! What the model predicts: two tasks ([`Task`]), each with its own set of labels
//! ([`LabelSet`]) learned from the data, and which of those labels count as positive and
//! negative in a signed score (resolved once, when the label set is made).

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// A prediction task: the stance of an article toward an actor, or the article's sentiment.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    /// Stance toward one actor, read from the actor's context.
    Stance,
    /// The article's overall sentiment, read from the whole text.
    Sentiment,
}

impl Task {
    /// Both tasks, stance first.
    pub const ALL: [Task; 2] = [Task::Stance, Task::Sentiment];

    /// The task's name as it appears in files and reports.
    pub const fn name(self) -> &'static str {
        match self {
            Task::Stance => "stance",
            Task::Sentiment => "sentiment",
        }
    }
}

impl std::fmt::Display for Task {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Label names recognised as positive when the user names none.
const POSITIVE_NAMES: &[&str] = &[
    "favor", "favour", "pro", "support", "for", "positive", "pos",
];
/// Label names recognised as negative when the user names none.
const NEGATIVE_NAMES: &[&str] = &["against", "anti", "oppose", "con", "negative", "neg"];

/// A task's labels (in a fixed order: the order of every probability vector), and which label
/// is positive and which negative for the signed score P(positive) − P(negative).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LabelSet {
    names: Vec<String>,
    positive: Option<usize>,
    negative: Option<usize>,
}

impl LabelSet {
    /// The label set `names` with the positive and negative label given by name, or, where
    /// none is given, recognised among favor/pro/support/positive and against/anti/negative.
    /// Naming a label that is not in the set, or the same label for both, is an error.
    pub fn resolve(
        names: Vec<String>,
        positive: Option<&str>,
        negative: Option<&str>,
    ) -> Result<LabelSet> {
        let find = |given: Option<&str>, known: &[&str], what: &str| -> Result<Option<usize>> {
            match given {
                Some(g) => names.iter().position(|c| c == g).map(Some).ok_or_else(|| {
                    Error::Config(format!(
                        "the {what} label \"{g}\" is not one of the labels: {}",
                        names.join(", ")
                    ))
                }),
                None => Ok(names
                    .iter()
                    .position(|c| known.contains(&c.to_lowercase().as_str()))),
            }
        };
        let positive = find(positive, POSITIVE_NAMES, "positive")?;
        let negative = find(negative, NEGATIVE_NAMES, "negative")?;
        if positive.is_some() && positive == negative {
            return Err(Error::Config(format!(
                "the label \"{}\" cannot be both the positive and the negative label",
                names[positive.unwrap_or_default()]
            )));
        }
        Ok(LabelSet {
            names,
            positive,
            negative,
        })
    }

    /// The label set with the recognised positive and negative labels (never fails).
    pub fn recognised(names: Vec<String>) -> LabelSet {
        Self::resolve(names, None, None).unwrap_or_default()
    }

    /// The labels, in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The number of labels.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether there are no labels.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The position of a label.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// The positive label's position.
    pub fn positive(&self) -> Option<usize> {
        self.positive
    }

    /// The negative label's position.
    pub fn negative(&self) -> Option<usize> {
        self.negative
    }

    /// The positive and negative labels' names, when both are known.
    pub fn polar_names(&self) -> Option<(&str, &str)> {
        Some((
            self.names[self.positive?].as_str(),
            self.names[self.negative?].as_str(),
        ))
    }

    /// `x[positive] − x[negative]` of a vector in label order (probabilities or shares), when
    /// both labels are known.
    pub fn signed(&self, x: &[f64]) -> Option<f64> {
        Some(x[self.positive?] - x[self.negative?])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn polarity_defaults_and_overrides() {
        let l = LabelSet::recognised(names(&["against", "favor", "neutral"]));
        assert_eq!((l.positive(), l.negative()), (Some(1), Some(0)));
        assert_eq!(l.polar_names(), Some(("favor", "against")));
        assert_eq!(l.signed(&[0.2, 0.5, 0.3]), Some(0.3));
        let l = LabelSet::recognised(names(&["neg", "neu", "pos"]));
        assert_eq!((l.positive(), l.negative()), (Some(2), Some(0)));
        let hawk = names(&["hawk", "dove"]);
        let l = LabelSet::recognised(hawk.clone());
        assert_eq!(
            (l.positive(), l.negative(), l.signed(&[0.5, 0.5])),
            (None, None, None)
        );
        let l = LabelSet::resolve(hawk.clone(), Some("dove"), Some("hawk")).unwrap();
        assert_eq!((l.positive(), l.negative()), (Some(1), Some(0)));
        let e = LabelSet::resolve(hawk, Some("pro"), None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the positive label \"pro\" is not one of the labels: hawk, dove"
        );
    }

    #[test]
    fn one_label_cannot_be_both_ends() {
        let e = LabelSet::resolve(names(&["favor", "against"]), Some("favor"), Some("favor"))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "the label \"favor\" cannot be both the positive and the negative label"
        );
    }

    #[test]
    fn task_names_round_trip() {
        for t in Task::ALL {
            let json = serde_json::to_string(&t).unwrap();
            assert_eq!(json, format!("\"{t}\""));
            assert_eq!(serde_json::from_str::<Task>(&json).unwrap(), t);
        }
    }
}
