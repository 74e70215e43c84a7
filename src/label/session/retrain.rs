//! Retraining: when a new model is due, training it (on another thread if the caller likes),
//! scoring it on the audit labels, ranking the candidates, and taking the result in.

use super::super::engine::{self, LabeledArticle, Registry, Result, StanceModel};
use super::super::log;
use super::super::strategy;
use super::{top, HistoryPoint, Pool, Session, Settings};
use std::collections::HashSet;
use std::sync::Arc;

/// The cross-validated macro-F1 of the stance model on the audit labels.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AuditScore {
    /// Macro-F1.
    pub f1: f64,
    /// Stance examples (article × actor) from audit picks.
    pub n: usize,
    /// 95% bootstrap interval over those examples.
    pub lo: f64,
    /// Upper end of the interval (`lo` is the lower).
    pub hi: f64,
}

/// A trained model and what was measured when it was trained.
pub struct Round {
    /// The round number (0: the given model, scored before any retraining).
    pub number: usize,
    /// The model.
    pub model: Arc<StanceModel>,
    /// Its id, recorded with each decision made while it was shown.
    pub id: String,
    /// Labeled articles it was trained on.
    pub labels: usize,
    /// The cross-validated macro-F1 on the audit labels, when measured.
    pub audit: Option<AuditScore>,
    /// Share of the monitored questions whose predicted label changed since the last model.
    pub changed: Option<f64>,
    /// Candidates by margin, smallest first.
    pub ranking: Vec<(usize, f64)>,
    /// The predicted label of each monitored question ("" when there is no guess).
    pub monitor: Vec<Vec<String>>,
    /// Seconds the round took.
    pub seconds: f64,
    /// Why the round failed, if it did.
    pub error: Option<String>,
}

/// Everything a retraining needs, owned, so it can run on another thread.
pub struct Job {
    /// The round number.
    pub number: usize,
    /// The labeled articles to train on.
    pub labeled: Vec<LabeledArticle>,
    /// Ids of the articles from random audit picks.
    pub audit_ids: HashSet<String>,
    /// The actors.
    pub registry: Registry,
    /// The session settings.
    pub settings: Settings,
    /// The pool, to rank candidates.
    pub pool: Arc<Pool>,
    /// Items not to rank (labeled or taken).
    pub exclude: HashSet<usize>,
    /// The previous round's monitored predictions.
    pub previous: Option<Vec<Vec<String>>>,
    /// Score with this model instead of training one (the model given with --model).
    pub given: Option<(Arc<StanceModel>, String)>,
    /// Whether to cross-validate on the audit labels.
    pub cv: bool,
}

/// Trains (or takes the given model), scores it on the audit labels, ranks the candidates and
/// measures how much the predictions moved.
pub fn retrain(job: Job) -> Result<Round> {
    let start = std::time::Instant::now();
    let labels = job.labeled.len();
    let (model, id) = match job.given.clone() {
        Some((m, id)) => (m, id),
        None => {
            let m = engine::train(
                job.labeled.clone(),
                &job.registry,
                &job.settings.train,
                job.settings.seed,
            )?;
            let id = format!("r{}-{}", job.number, engine::data_hash(&m));
            (Arc::new(m), id)
        }
    };
    let audit = if job.cv {
        audit_score(&job).unwrap_or(None)
    } else {
        None
    };
    let mut scored = Vec::new();
    for &i in &job.pool.candidates {
        if job.exclude.contains(&i) {
            continue;
        }
        let item = &job.pool.items[i];
        let (st, se) = engine::guess(&model, &item.record.article, &item.rows);
        let stance: Vec<Vec<f64>> = st.into_iter().flatten().map(|g| g.probabilities).collect();
        let sent = se.as_ref().map(|g| g.probabilities.as_slice());
        if let Some(m) = strategy::article_margin(&stance, sent) {
            let key = strategy::hash_str(
                job.settings.seed ^ strategy::mix(job.number as u64),
                &item.record.article.id,
            );
            scored.push((i, m, key));
        }
    }
    let ranking = strategy::rank_by_margin(scored);
    let monitor: Vec<Vec<String>> = job
        .pool
        .monitor
        .iter()
        .map(|&i| {
            let item = &job.pool.items[i];
            let (st, se) = engine::guess(&model, &item.record.article, &item.rows);
            st.into_iter()
                .chain(std::iter::once(se))
                .map(|g| g.map_or(String::new(), |g| top(&g).0))
                .collect()
        })
        .collect();
    let changed = job.previous.as_ref().map(|prev| {
        let (mut n, mut c) = (0usize, 0usize);
        for (a, b) in prev.iter().zip(&monitor) {
            for (x, y) in a.iter().zip(b) {
                if x.is_empty() && y.is_empty() {
                    continue;
                }
                n += 1;
                if x != y {
                    c += 1;
                }
            }
        }
        if n == 0 {
            0.0
        } else {
            c as f64 / n as f64
        }
    });
    Ok(Round {
        number: job.number,
        model,
        id,
        labels,
        audit,
        changed,
        ranking,
        monitor,
        seconds: start.elapsed().as_secs_f64(),
        error: None,
    })
}

/// Macro-F1 of the out-of-fold predictions on the audit examples, with a 95% bootstrap
/// interval; None with fewer than 5 audit examples or when the folds cannot be made.
fn audit_score(job: &Job) -> Result<Option<AuditScore>> {
    let audit_examples: usize = job
        .labeled
        .iter()
        .filter(|a| job.audit_ids.contains(&a.article.id))
        .map(|a| a.stance.len())
        .sum();
    if audit_examples < 5 || job.labeled.len() < 2 * job.settings.folds {
        return Ok(None);
    }
    let (oof, classes) = engine::cross_validate(
        job.labeled.clone(),
        &job.registry,
        &job.settings.train,
        job.settings.folds,
        job.settings.seed,
    )?;
    let audit: Vec<&engine::OutOfFold> = oof
        .iter()
        .filter(|p| job.audit_ids.contains(&p.id))
        .collect();
    if audit.len() < 5 {
        return Ok(None);
    }
    let f1_of = |rows: &[&engine::OutOfFold]| {
        let t: Vec<&str> = rows.iter().map(|p| p.truth.as_str()).collect();
        let p: Vec<&str> = rows.iter().map(|p| p.predicted.as_str()).collect();
        engine::macro_f1(&classes, &t, &p)
    };
    let f1 = f1_of(&audit);
    let mut state = job.settings.seed ^ 0xB007;
    let mut boots = Vec::with_capacity(200);
    for _ in 0..200 {
        let sample: Vec<&engine::OutOfFold> = (0..audit.len())
            .map(|_| {
                state = strategy::mix(state);
                audit[(state % audit.len() as u64) as usize]
            })
            .collect();
        boots.push(f1_of(&sample));
    }
    boots.sort_by(f64::total_cmp);
    Ok(Some(AuditScore {
        f1,
        n: audit.len(),
        lo: boots[4],
        hi: boots[194],
    }))
}

impl Session {
    /// The retraining due now, if any: when no model is being trained, cold start is over and
    /// `retrain_every` articles were labeled since the last model (at once after cold start).
    /// The given model is scored first as round 0.
    pub fn due(&mut self, cv: bool) -> Option<Job> {
        if self.training {
            return None;
        }
        let resolved = self.resolved();
        let labeled = log::training_records(&resolved);
        let since = self.round.as_ref().map(|r| r.labels);
        let due_given = self.given.is_some() && self.round.is_none();
        let enough = match since {
            None => self.cold_start_over(&resolved),
            Some(l) => labeled.len() >= l + self.settings.retrain_every,
        };
        if !due_given && (!enough || !self.trainable(&labeled)) {
            return None;
        }
        let number = if due_given { 0 } else { self.next_round };
        let exclude: HashSet<usize> = resolved
            .iter()
            .filter_map(|r| self.pool.by_id.get(&r.record.article.id).copied())
            .chain(self.book.taken.iter().copied())
            .collect();
        let audit_ids = resolved
            .iter()
            .filter(|r| log::is_random_audit(r))
            .map(|r| r.record.article.id.clone())
            .collect();
        self.training = true;
        Some(Job {
            number,
            labeled,
            audit_ids,
            registry: self.registry.clone(),
            settings: self.settings.clone(),
            pool: self.pool.clone(),
            exclude,
            previous: self.round.as_ref().map(|r| r.monitor.clone()),
            given: if due_given { self.given.clone() } else { None },
            cv,
        })
    }

    /// At least two stance labels among the labeled articles (the trainer needs two).
    pub(super) fn trainable(&self, labeled: &[LabeledArticle]) -> bool {
        let labels: HashSet<&str> = labeled
            .iter()
            .flat_map(|a| a.stance.iter().map(|(_, l)| l.as_str()))
            .collect();
        labels.len() >= 2
    }

    /// Takes in a finished retraining.
    pub fn finish(&mut self, result: Result<Round>, labels: usize) {
        self.training = false;
        match result {
            Ok(round) => {
                self.last_error = None;
                if round.number > 0 {
                    self.next_round = round.number + 1;
                }
                self.history.push(HistoryPoint {
                    round: round.number,
                    labels: round.labels,
                    f1: round.audit.as_ref().map(|a| a.f1),
                    changed: round.changed,
                });
                self.round = Some(round);
            }
            Err(e) => {
                // Keep the last good model; try again after the next batch of labels.
                self.last_error = Some(format!(
                    "retraining on {labels} labeled articles failed: {e}"
                ));
                if let Some(r) = &mut self.round {
                    r.labels = labels;
                }
            }
        }
    }
}
