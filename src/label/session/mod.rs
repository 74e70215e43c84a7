//! A labeling session: the pool, the decisions so far, which article each annotator sees next,
//! and the models retrained as labels come in. The server and the simulation drive the same
//! session; only who answers differs.

mod book;
mod picks;
mod pool;
mod retrain;
mod screen;
mod settings;
mod stats;

use book::Book;
pub use pool::{Item, Pool};
pub use retrain::{retrain, AuditScore, Job, Round};
pub use screen::{top, Answer, Presented};
pub use settings::{Settings, Strategy};
pub use stats::{HistoryPoint, Stats};

use super::engine::{Article, Registry, Result, StanceModel};
use super::log::{self, Action, Decision, DecisionLog, Resolved};
use super::strategy;
use picks::Diverse;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// A labeling session.
pub struct Session {
    /// The settings (label sets resolved).
    pub settings: Settings,
    /// The articles to label, shared with retraining jobs.
    pub pool: Arc<Pool>,
    /// The actors asked about.
    pub registry: Registry,
    log: Option<DecisionLog>,
    /// Every decision so far, in file order.
    pub decisions: Vec<Decision>,
    book: Book,
    given: Option<(Arc<StanceModel>, String)>,
    /// The latest model and what was measured when it was trained.
    pub round: Option<Round>,
    /// Each retraining so far.
    pub history: Vec<HistoryPoint>,
    next_round: usize,
    /// Whether a retraining is under way.
    pub training: bool,
    last_error: Option<String>,
    diverse: Option<Diverse>,
    screens: HashMap<String, Vec<Presented>>,
    next_token: u64,
    in_memory_seq: u64,
}

impl Session {
    /// A session over `pool`, appending to `log` (None: decisions kept in memory only, as the
    /// simulation does) with the decisions it already holds.
    pub fn new(
        settings: Settings,
        pool: Pool,
        registry: Registry,
        log: Option<DecisionLog>,
        decisions: Vec<Decision>,
        given: Option<(StanceModel, String)>,
    ) -> Session {
        let book = Book::new(&decisions, &pool);
        let in_memory_seq = decisions.iter().map(|d| d.meta.seq + 1).max().unwrap_or(1);
        Session {
            settings,
            pool: Arc::new(pool),
            registry,
            log,
            decisions,
            book,
            given: given.map(|(m, id)| (Arc::new(m), id)),
            round: None,
            history: Vec::new(),
            next_round: 1,
            training: false,
            last_error: None,
            diverse: None,
            screens: HashMap::new(),
            next_token: 1,
            in_memory_seq,
        }
    }

    /// The labels in force per article (undone decisions dropped, reviews applied).
    pub fn resolved(&self) -> Vec<Resolved> {
        log::resolve_decisions(&self.decisions)
    }

    /// Labeled articles that are in the pool (or were labeled in review).
    fn label_counts(&self, resolved: &[Resolved]) -> BTreeMap<String, usize> {
        let mut c: BTreeMap<String, usize> = BTreeMap::new();
        for r in resolved {
            for (_, l) in &r.record.stance {
                *c.entry(l.clone()).or_default() += 1;
            }
        }
        c
    }

    fn cold_start_over(&self, resolved: &[Resolved]) -> bool {
        if self.given.is_some() {
            return true;
        }
        // Picks made so far, whatever the strategy (the cap must also end a random session's
        // wait for a rare label).
        let picks = self
            .decisions
            .iter()
            .filter(|d| d.meta.action != Action::Undo)
            .count();
        strategy::cold_start_done(
            &self.label_counts(resolved),
            &self.settings.stance_labels,
            self.settings.min_per_label,
            picks,
            self.settings.cold_start_cap,
        )
    }

    /// The model whose guesses are shown: the latest retrained one, or the given one.
    fn current_model(&self) -> Option<(Arc<StanceModel>, String)> {
        match (&self.round, &self.given) {
            (Some(r), _) if r.error.is_none() => Some((r.model.clone(), r.id.clone())),
            (_, Some(g)) => Some(g.clone()),
            _ => None,
        }
    }

    fn claimed(&self) -> HashSet<usize> {
        self.screens
            .values()
            .flat_map(|s| s.iter().map(|p| p.item))
            .collect()
    }

    fn available(&self, annotator: &str, item: usize, claimed: &HashSet<usize>) -> bool {
        !self.book.taken.contains(&item)
            && !claimed.contains(&item)
            && !self
                .book
                .asked
                .get(annotator)
                .is_some_and(|s| s.contains(&item))
    }

    /// The article on the annotator's screen, choosing one if there is none; None when nothing
    /// is left to ask.
    pub fn current(&mut self, annotator: &str) -> Result<Option<Presented>> {
        if let Some(p) = self.screens.get(annotator).and_then(|s| s.last()) {
            return Ok(Some(p.clone()));
        }
        let Some((item, pick)) = self.choose(annotator)? else {
            return Ok(None);
        };
        let p = self.present(item, pick);
        self.screens
            .entry(annotator.to_string())
            .or_default()
            .push(p.clone());
        Ok(Some(p))
    }

    /// Item `i` of the pool.
    pub fn item(&self, i: usize) -> &Item {
        &self.pool.items[i]
    }

    /// The article of item `i` of the pool.
    pub fn article(&self, i: usize) -> &Article {
        &self.pool.items[i].record.article
    }
}
