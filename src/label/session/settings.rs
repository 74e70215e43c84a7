//! The settings of a session: how articles are chosen, when to retrain, the label sets.

use super::super::engine;

/// How articles are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// Diverse cold start, then margin sampling, with the random audit stream.
    Active,
    /// Every pick a uniform draw from the pool (all marked as audit picks).
    Random,
}

/// The settings of a session.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Seed of every random choice (audit stream, overlap, samples).
    pub seed: u64,
    /// How articles are chosen.
    pub strategy: Strategy,
    /// One audit pick in each block of this many picks (0: none).
    pub audit_every: u64,
    /// Share of articles shown to two annotators.
    pub overlap: f64,
    /// Cold start lasts until every label has this many examples...
    pub min_per_label: usize,
    /// ...or this many picks were made (once two labels have been seen).
    pub cold_start_cap: usize,
    /// Retrain after this many new labeled articles.
    pub retrain_every: usize,
    /// At most this many articles of the pool are scored for margin sampling after each
    /// retraining (a seeded sample when the pool is larger); diverse picks use at most 5,000.
    pub candidates: usize,
    /// Folds of the cross-validation that scores the model on the audit labels.
    pub folds: usize,
    /// The training settings of each retraining.
    pub train: engine::TrainConfig,
    /// The stance labels offered.
    pub stance_labels: Vec<String>,
    /// Empty: no sentiment question.
    pub sentiment_labels: Vec<String>,
    /// Walk the disagreements between annotators instead of new articles.
    pub review: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            seed: 42,
            // Random wins the learning-curve benchmark (bench/label): see docs/label.md.
            strategy: Strategy::Random,
            audit_every: 5,
            overlap: 0.1,
            min_per_label: 3,
            cold_start_cap: 30,
            retrain_every: 10,
            candidates: 20_000,
            folds: 5,
            train: engine::TrainConfig::default(),
            stance_labels: ["against", "favor", "neutral"].map(String::from).to_vec(),
            sentiment_labels: ["negative", "neutral", "positive"]
                .map(String::from)
                .to_vec(),
            review: false,
        }
    }
}
