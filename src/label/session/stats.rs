//! What the page shows about the session.

use super::super::log::Action;
use super::{AuditScore, Session, Strategy};
use std::collections::BTreeMap;

/// What the page shows about the session.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Stats {
    /// Whose view this is.
    pub annotator: String,
    /// Articles in the pool.
    pub pool: usize,
    /// Articles with labels (all annotators).
    pub labeled: usize,
    /// Of those, from audit picks.
    pub audit: usize,
    /// This annotator's live decisions and skips.
    pub mine: usize,
    /// This annotator's skips among them.
    pub skipped: usize,
    /// Articles nobody has decided yet.
    pub remaining: usize,
    /// The stage of the session, in words.
    pub stage: String,
    /// Stance labels collected, by label.
    pub label_counts: BTreeMap<String, usize>,
    /// The cold start's target per label.
    pub min_per_label: usize,
    /// The id of the model whose guesses are shown.
    pub model: Option<String>,
    /// The number of the latest round.
    pub round: Option<usize>,
    /// Labeled articles the latest model was trained on.
    pub model_labels: Option<usize>,
    /// Whether a retraining is under way.
    pub training: bool,
    /// The latest model's cross-validated macro-F1 on the audit labels.
    pub audit_f1: Option<AuditScore>,
    /// Share of monitored predictions that changed with the latest model.
    pub changed: Option<f64>,
    /// Every round so far.
    pub history: Vec<HistoryPoint>,
    /// Retrain after this many new labels.
    pub retrain_every: usize,
    /// Why the last retraining failed, if it did.
    pub last_error: Option<String>,
    /// Whether the session reviews disagreements.
    pub review: bool,
}

/// One retraining, as the page's learning curve shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HistoryPoint {
    /// The round number.
    pub round: usize,
    /// Labeled articles it was trained on.
    pub labels: usize,
    /// Its macro-F1 on the audit labels, when measured.
    pub f1: Option<f64>,
    /// Share of monitored predictions that changed.
    pub changed: Option<f64>,
}

impl Session {
    /// What the page shows `annotator` about the session.
    pub fn stats(&self, annotator: &str) -> Stats {
        let resolved = self.resolved();
        let mine = self.book.stack.get(annotator).map_or(0, |s| s.len());
        let skipped = self.book.stack.get(annotator).map_or(0, |s| {
            s.iter()
                .filter(|&&j| self.decisions[j].meta.action == Action::Skip)
                .count()
        });
        let cold = !self.cold_start_over(&resolved);
        let stage = if self.settings.review {
            "review: disagreements between annotators".to_string()
        } else if self.settings.strategy == Strategy::Random {
            "random picks".to_string()
        } else if cold {
            "cold start: diverse picks".to_string()
        } else if self.round.is_some() {
            "margin sampling".to_string()
        } else {
            "diverse picks until the first model is ready".to_string()
        };
        Stats {
            annotator: annotator.to_string(),
            pool: self.pool.items.len(),
            labeled: resolved.len(),
            audit: resolved.iter().filter(|r| r.audit).count(),
            mine,
            skipped,
            remaining: self.pool.items.len().saturating_sub(self.book.taken.len()),
            stage,
            label_counts: self.label_counts(&resolved),
            min_per_label: self.settings.min_per_label,
            model: self.current_model().map(|m| m.1),
            round: self.round.as_ref().map(|r| r.number),
            model_labels: self.round.as_ref().map(|r| r.labels),
            training: self.training,
            audit_f1: self.round.as_ref().and_then(|r| r.audit.clone()),
            changed: self.round.as_ref().and_then(|r| r.changed),
            history: self.history.clone(),
            retrain_every: self.settings.retrain_every,
            last_error: self.last_error.clone(),
            review: self.settings.review,
        }
    }
}
