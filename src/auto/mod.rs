//! `stance train --auto`: settings chosen by cross-validation on the user's own data, within a
//! budget of time or of settings scored.
//!
//! Where [`crate::tune`] scores every point of a grid the user writes, this searches the whole
//! space the featurizer offers by greedy coordinate ascent: from the starting settings (the
//! defaults, or the flags given), each dimension in turn (per-actor weights, class weights,
//! alpha, word n-grams, window, markers, character n-grams, …) tries its other values, and the
//! best is kept if it gains at least [`MIN_GAIN`] in the chosen metric (and the dimension is
//! tried again from its new value, so alpha walks its ladder). Passes repeat until one
//! changes nothing (the search converged) or the budget is spent. Every candidate is scored by
//! the same folds (one seed, grouped by article or `group_by`) and each distinct setting is
//! scored once.
//!
//! The budget ([`Budget`]) is wall-clock time or a number of settings scored. With time,
//! before a trial the time it would take is estimated from the trials so far (separately for
//! settings with and without character n-grams, which are several times slower); a trial that
//! would overrun the budget is skipped, so the budget goes to the cheap dimensions first, and
//! which settings are scored depends on the machine. With a count of trials nothing depends
//! on the clock: the same data, settings and seed give the same trials and the same winner
//! everywhere.
//!
//! On large sets (from [`SCREEN_FROM`] stance examples) each 5-fold cross-validation is
//! expensive, so candidates are screened in the manner of successive halving: a new setting
//! is scored on the first [`SCREEN_FOLDS`] folds only, and of a dimension's alternatives only
//! the best, and only if it beats the current settings on those same folds, is finished on the
//! other folds. Its final score is then exactly its full cross-validation's (the screen's
//! folds are part of it); the others cost two fifths of one. A trial budget counts a setting
//! once, when it is screened.
//!
//! Dimensions that cannot matter on the data are not searched: window, markers and
//! near-target words when (almost) no actor is named in the texts, the window when every text
//! is one sentence, the actor prior and per-actor weights when there is only one actor, the
//! tokenizer when fewer than 1 text in 20 has a #hashtag or @mention.
//!
//! The selection score flatters (it is the best of many); [`run`] therefore first holds out a
//! fold of the articles, a fifth with 5 folds (or, with [`Estimate::Nested`], repeats the search inside each outer
//! fold) and reports the chosen settings' score there beside the starting settings'.
//!
//! The parts: [`space`] (the dimensions and their values, and which of them the data make
//! moot), [`budget`] (what the search may spend), [`mod@search`] (the coordinate ascent) and
//! [`estimate`] (the honest estimate around it, and the record the model keeps).

pub mod budget;
pub mod estimate;
pub mod search;
pub mod space;

pub use budget::{parse_budget, Budget};
pub use estimate::{run, AutoRecord, Honest, Outcome};
pub use search::{search, search_with, Search, Stop, Trial};
pub use space::{DataShape, Dim};

use crate::error::{Error, Result};
use crate::labels::Task;
use crate::metrics::Confusion;
use crate::pipeline::{TrainConfig, TrainingSet};
use serde::{Deserialize, Serialize};

/// The least gain (in the metric, 0–1) that makes the search keep a change: below it, a
/// difference between two settings is mostly the folds' noise.
pub const MIN_GAIN: f64 = 0.003;

/// What the search maximises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Metric {
    /// Stance macro-F1 over all classes.
    #[default]
    #[value(name = "macro-f1")]
    MacroF1,
    /// Mean F1 of the positive and the negative class (SemEval's measure).
    #[value(name = "f-avg")]
    FAvg,
    /// Accuracy.
    Accuracy,
}

impl Metric {
    /// The name as the command line spells it.
    pub fn name(self) -> &'static str {
        match self {
            Metric::MacroF1 => "macro-f1",
            Metric::FAvg => "f-avg",
            Metric::Accuracy => "accuracy",
        }
    }

    /// The metric of a confusion matrix; `polar` names the positive and negative labels.
    pub fn of(self, c: &Confusion, polar: Option<(&str, &str)>) -> Option<f64> {
        match self {
            Metric::MacroF1 => Some(c.macro_f1()),
            Metric::Accuracy => Some(c.accuracy()),
            Metric::FAvg => polar.and_then(|(p, n)| c.f_avg(p, n)),
        }
    }
}

/// How the whole procedure (search included) is scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Estimate {
    /// Search on all the folds but one (four fifths with 5 folds), score the winner on the
    /// fold held out; the
    /// final model has the winner's settings, trained on everything.
    #[default]
    Holdout,
    /// Nested: the search repeated inside each outer fold's training part (the budget shared
    /// among them), then once more on all the data for the final settings (about twice the
    /// budget in all).
    Nested,
    /// No estimate: search on all the data.
    None,
}

/// The search's settings.
#[derive(Debug, Clone)]
pub struct AutoOptions {
    /// What the search may spend: time, or settings scored (the final fit and its
    /// cross-validation come on top).
    pub budget: Budget,
    /// What is maximised.
    pub metric: Metric,
    /// Folds of the cross-validation that scores each candidate.
    pub folds: usize,
    /// Seed of the folds (the same folds for every candidate).
    pub seed: u64,
    /// Keep articles sharing this field's value in one fold.
    pub group_by: Option<String>,
    /// How the procedure is scored.
    pub estimate: Estimate,
    /// Most passes over the dimensions.
    pub max_passes: usize,
    /// From this many stance examples on, a candidate is first scored on [`SCREEN_FOLDS`] of
    /// the folds and finished on the others only if it beats the current settings there
    /// (`usize::MAX`: never).
    pub screen_from: usize,
}

/// The stance examples from which candidates are screened on a few folds first
/// ([`AutoOptions::screen_from`]'s default).
pub const SCREEN_FROM: usize = 2000;

/// The folds a candidate is screened on (the first of the split's folds).
pub const SCREEN_FOLDS: usize = 2;

impl Default for AutoOptions {
    fn default() -> Self {
        AutoOptions {
            budget: Budget::default(),
            metric: Metric::MacroF1,
            folds: 5,
            seed: 42,
            group_by: None,
            estimate: Estimate::Holdout,
            max_passes: 3,
            screen_from: SCREEN_FROM,
        }
    }
}

/// The positive and negative stance label names, if the labels have them.
fn polar(set: &TrainingSet, cfg: &TrainConfig) -> Option<(String, String)> {
    let labels = cfg
        .polarity
        .labels(Task::Stance, set.stance_classes.clone())
        .ok()?;
    labels
        .polar_names()
        .map(|(p, n)| (p.to_string(), n.to_string()))
}

/// Checks that the metric can be computed on these labels.
pub fn check_metric(set: &TrainingSet, cfg: &TrainConfig, metric: Metric) -> Result<()> {
    if metric == Metric::FAvg && polar(set, cfg).is_none() {
        return Err(Error::Config(format!(
            "--metric f-avg needs a positive and a negative stance label, and the labels ({}) \
             have none by name: give --positive-label and --negative-label",
            set.stance_classes.join(", ")
        )));
    }
    Ok(())
}
