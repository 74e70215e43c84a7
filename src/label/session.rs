//! A labeling session: the pool, the decisions so far, which article each annotator sees next,
//! and the models retrained as labels come in. The server and the simulation drive the same
//! session; only who answers differs.

use super::engine::{self, Article, Error, LabeledArticle, Registry, Result, StanceModel};
use super::log::{self, Action, Decision, DecisionLog, Meta, Pick, Resolved};
use super::strategy::{self, FarthestFirst, Row};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

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
    pub seed: u64,
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
    pub train: engine::TrainConfig,
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

/// One article of the pool.
#[derive(Debug, Clone)]
pub struct Item {
    /// The article and its other fields (labels of the input are not kept).
    pub record: LabeledArticle,
    /// The actors the text names, in order of first mention: one stance question each.
    pub rows: Vec<String>,
    pub mentions: Vec<engine::Mention>,
    pub double: bool,
}

/// The articles to label, fixed for the session.
pub struct Pool {
    pub items: Vec<Item>,
    pub by_id: HashMap<String, usize>,
    /// The audit stream: a seeded random order of the pool.
    pub order: Vec<usize>,
    /// The articles scored after each retraining.
    pub candidates: Vec<usize>,
    /// A fixed sample whose predictions are compared between retrainings.
    pub monitor: Vec<usize>,
}

impl Pool {
    /// Builds the pool from articles; the registry decides the questions. Articles with no
    /// question (no actor named, no sentiment asked) are left out; returns how many.
    pub fn new(
        articles: Vec<LabeledArticle>,
        registry: &Registry,
        settings: &Settings,
    ) -> Result<(Pool, usize)> {
        let mut items = Vec::new();
        let mut by_id = HashMap::new();
        let mut dropped = 0;
        for mut a in articles {
            let mentions = engine::mentions(registry, &a.article.text);
            let mut rows: Vec<String> = Vec::new();
            for m in &mentions {
                if !rows.contains(&m.actor) {
                    rows.push(m.actor.clone());
                }
            }
            if rows.is_empty() && settings.sentiment_labels.is_empty() {
                dropped += 1;
                continue;
            }
            if by_id.contains_key(&a.article.id) {
                return Err(Error::input(
                    &a.origin.file,
                    Some(a.origin.line),
                    Some("id"),
                    format!(
                        "id \"{}\" occurs twice in the articles to label; ids must be unique",
                        a.article.id
                    ),
                ));
            }
            a.stance.clear();
            a.sentiment = None;
            let double = strategy::is_double(settings.seed, &a.article.id, settings.overlap);
            by_id.insert(a.article.id.clone(), items.len());
            items.push(Item {
                record: a,
                rows,
                mentions,
                double,
            });
        }
        let ids: Vec<&str> = items.iter().map(|i| i.record.article.id.as_str()).collect();
        let order = strategy::permutation(settings.seed, &ids);
        let mut sample = strategy::permutation(settings.seed ^ 0xCA4D, &ids);
        sample.truncate(settings.candidates.max(1));
        let mut monitor = strategy::permutation(settings.seed ^ 0x3017, &ids);
        monitor.truncate(1000);
        Ok((
            Pool {
                items,
                by_id,
                order,
                candidates: sample,
                monitor,
            },
            dropped,
        ))
    }
}

/// The cross-validated macro-F1 of the stance model on the audit labels.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AuditScore {
    pub f1: f64,
    /// Stance examples (article × actor) from audit picks.
    pub n: usize,
    /// 95% bootstrap interval over those examples.
    pub lo: f64,
    pub hi: f64,
}

/// A trained model and what was measured when it was trained.
pub struct Round {
    pub number: usize,
    pub model: Arc<StanceModel>,
    pub id: String,
    /// Labeled articles it was trained on.
    pub labels: usize,
    pub audit: Option<AuditScore>,
    /// Share of the monitored questions whose predicted label changed since the last model.
    pub changed: Option<f64>,
    /// Candidates by margin, smallest first.
    pub ranking: Vec<(usize, f64)>,
    pub monitor: Vec<Vec<String>>,
    pub seconds: f64,
    pub error: Option<String>,
}

/// Everything a retraining needs, owned, so it can run on another thread.
pub struct Job {
    pub number: usize,
    pub labeled: Vec<LabeledArticle>,
    pub audit_ids: HashSet<String>,
    pub registry: Registry,
    pub settings: Settings,
    pub pool: Arc<Pool>,
    pub exclude: HashSet<usize>,
    pub previous: Option<Vec<Vec<String>>>,
    /// Score with this model instead of training one (the model given with --model).
    pub given: Option<(Arc<StanceModel>, String)>,
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

/// The most probable label and its probability.
pub fn top(g: &engine::Guess) -> (String, f64) {
    let mut best = 0;
    for (i, p) in g.probabilities.iter().enumerate() {
        if *p > g.probabilities[best] {
            best = i;
        }
    }
    (
        g.labels.get(best).cloned().unwrap_or_default(),
        g.probabilities.get(best).copied().unwrap_or(0.0),
    )
}

/// An article on an annotator's screen.
#[derive(Debug, Clone)]
pub struct Presented {
    pub token: u64,
    pub item: usize,
    pub pick: Pick,
    pub model: Option<String>,
    /// The model's guess per stance question (None: no guess) and for the sentiment.
    pub stance_guess: Vec<Option<engine::Guess>>,
    pub sentiment_guess: Option<engine::Guess>,
    /// In review: each annotator's labels (question -> annotator -> label).
    pub prior: BTreeMap<String, BTreeMap<String, String>>,
}

/// What an annotator decided about the article on screen.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Answer {
    pub skip: bool,
    pub stance: BTreeMap<String, String>,
    pub sentiment: Option<String>,
    pub unsure: Vec<String>,
}

/// The bookkeeping derived from the decisions.
#[derive(Debug, Default)]
struct Book {
    /// Items each annotator has decided (live or undone).
    asked: HashMap<String, HashSet<usize>>,
    /// Items with a live label, review or skip decision by anyone.
    taken: HashSet<usize>,
    /// Annotators with a live label decision, per item, in order.
    labelers: HashMap<usize, Vec<String>>,
    /// Per annotator: live decisions, oldest first (the undo stack).
    stack: HashMap<String, Vec<usize>>,
    /// Per annotator: items undone and not decided again, with the pick they came with.
    pending: HashMap<String, Vec<(usize, Pick)>>,
    picks: HashMap<String, u64>,
    /// The first live label decision of each item (its pick).
    first_pick: HashMap<usize, Pick>,
}

impl Book {
    fn new(decisions: &[Decision], pool: &Pool) -> Book {
        let mut b = Book::default();
        let undone: HashMap<u64, usize> = decisions
            .iter()
            .enumerate()
            .filter(|(_, d)| d.meta.action == Action::Undo)
            .filter_map(|(i, d)| d.meta.undoes.map(|s| (s, i)))
            .collect();
        let by_seq: HashMap<u64, usize> = decisions
            .iter()
            .enumerate()
            .map(|(i, d)| (d.meta.seq, i))
            .collect();
        for (i, d) in decisions.iter().enumerate() {
            let ann = &d.meta.annotator;
            let picks = b.picks.entry(ann.clone()).or_default();
            *picks = (*picks).max(d.meta.pick.pick + 1);
            let Some(&item) = pool.by_id.get(&d.record.article.id) else {
                continue;
            };
            match d.meta.action {
                Action::Undo => {
                    if let Some(&j) = d.meta.undoes.and_then(|s| by_seq.get(&s)) {
                        b.stack.entry(ann.clone()).or_default().retain(|&k| k != j);
                        b.pending
                            .entry(ann.clone())
                            .or_default()
                            .push((item, decisions[j].meta.pick.clone()));
                    }
                }
                _ => {
                    b.asked.entry(ann.clone()).or_default().insert(item);
                    if let Some(p) = b.pending.get_mut(ann) {
                        p.retain(|(x, _)| *x != item);
                    }
                    if undone.contains_key(&d.meta.seq) {
                        continue;
                    }
                    b.stack.entry(ann.clone()).or_default().push(i);
                    b.taken.insert(item);
                    if d.meta.action == Action::Label {
                        b.labelers.entry(item).or_default().push(ann.clone());
                        b.first_pick
                            .entry(item)
                            .or_insert_with(|| d.meta.pick.clone());
                    }
                }
            }
        }
        b
    }
}

/// What the page shows about the session.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Stats {
    pub annotator: String,
    pub pool: usize,
    /// Articles with labels (all annotators).
    pub labeled: usize,
    /// Of those, from audit picks.
    pub audit: usize,
    /// This annotator's live decisions and skips.
    pub mine: usize,
    pub skipped: usize,
    pub remaining: usize,
    pub stage: String,
    pub label_counts: BTreeMap<String, usize>,
    pub min_per_label: usize,
    pub model: Option<String>,
    pub round: Option<usize>,
    pub model_labels: Option<usize>,
    pub training: bool,
    pub audit_f1: Option<AuditScore>,
    pub changed: Option<f64>,
    pub history: Vec<HistoryPoint>,
    pub retrain_every: usize,
    pub last_error: Option<String>,
    pub review: bool,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct HistoryPoint {
    pub round: usize,
    pub labels: usize,
    pub f1: Option<f64>,
    pub changed: Option<f64>,
}

/// The farthest-first traversal over a sample of the pool: the traversal, the sample (row ->
/// item), item -> row, and the rows already marked as picked.
type Diverse = (
    FarthestFirst,
    Vec<usize>,
    HashMap<usize, usize>,
    HashSet<usize>,
);

/// A labeling session.
pub struct Session {
    pub settings: Settings,
    pub pool: Arc<Pool>,
    pub registry: Registry,
    log: Option<DecisionLog>,
    pub decisions: Vec<Decision>,
    book: Book,
    given: Option<(Arc<StanceModel>, String)>,
    pub round: Option<Round>,
    pub history: Vec<HistoryPoint>,
    next_round: usize,
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

    fn present(&mut self, item: usize, pick: Pick) -> Presented {
        let token = self.next_token;
        self.next_token += 1;
        let it = &self.pool.items[item];
        let (stance_guess, sentiment_guess, model) = match self.current_model() {
            Some((m, id)) => {
                let (s, t) = engine::guess(&m, &it.record.article, &it.rows);
                let t = if self.settings.sentiment_labels.is_empty() {
                    None
                } else {
                    t
                };
                (s, t, Some(id))
            }
            None => (vec![None; it.rows.len()], None, None),
        };
        let mut prior: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        if pick.strategy == "review" {
            for d in log::live(&self.decisions) {
                if d.meta.action == Action::Label && d.record.article.id == it.record.article.id {
                    for (a, l) in &d.record.stance {
                        prior
                            .entry(a.clone())
                            .or_default()
                            .insert(d.meta.annotator.clone(), l.clone());
                    }
                    if let Some(s) = &d.record.sentiment {
                        prior
                            .entry("sentiment".into())
                            .or_default()
                            .insert(d.meta.annotator.clone(), s.clone());
                    }
                    for u in &d.meta.unsure {
                        prior
                            .entry(u.clone())
                            .or_default()
                            .insert(d.meta.annotator.clone(), "unsure".into());
                    }
                }
            }
        }
        Presented {
            token,
            item,
            pick,
            model,
            stance_guess,
            sentiment_guess,
            prior,
        }
    }

    /// Which article next for `annotator`, and how it was picked.
    fn choose(&mut self, annotator: &str) -> Result<Option<(usize, Pick)>> {
        if let Some(p) = self.book.pending.get(annotator).and_then(|p| p.last()) {
            return Ok(Some(p.clone()));
        }
        let claimed = self.claimed();
        let n = self.book.picks.get(annotator).copied().unwrap_or(0);
        let resolved = self.resolved();
        if self.settings.review {
            let reviewed: HashSet<&str> = resolved
                .iter()
                .filter(|r| r.adjudicated)
                .map(|r| r.record.article.id.as_str())
                .collect();
            for r in &resolved {
                let id = r.record.article.id.as_str();
                let Some(&item) = self.pool.by_id.get(id) else {
                    continue;
                };
                if r.annotators.len() < 2 || reviewed.contains(id) || claimed.contains(&item) {
                    continue;
                }
                if self.disagree(id) {
                    return Ok(Some((
                        item,
                        Pick {
                            strategy: "review".into(),
                            score: None,
                            audit: r.audit,
                            pick: n,
                            double: true,
                        },
                    )));
                }
            }
            return Ok(None);
        }
        // A second opinion on an article another annotator labeled.
        let mut seconds: Vec<(usize, usize)> = Vec::new();
        for (pos, d) in self.decisions.iter().enumerate() {
            if d.meta.action != Action::Label {
                continue;
            }
            let Some(&item) = self.pool.by_id.get(&d.record.article.id) else {
                continue;
            };
            if !self.pool.items[item].double || claimed.contains(&item) {
                continue;
            }
            let labelers = self.book.labelers.get(&item);
            if labelers.is_some_and(|l| l.len() == 1 && l[0] != annotator)
                && !self
                    .book
                    .asked
                    .get(annotator)
                    .is_some_and(|s| s.contains(&item))
            {
                seconds.push((pos, item));
            }
        }
        if let Some(&(_, item)) = seconds.first() {
            let first = self.book.first_pick.get(&item).cloned().unwrap_or_default();
            return Ok(Some((
                item,
                Pick {
                    pick: n,
                    double: true,
                    ..first
                },
            )));
        }
        let double = |s: &Session, i: usize| s.pool.items[i].double;
        let audit_now = self.settings.strategy == Strategy::Random
            || strategy::is_audit_pick(self.settings.seed, annotator, n, self.settings.audit_every);
        if audit_now {
            if let Some(i) = self.random_pick(annotator, &claimed) {
                return Ok(Some((
                    i,
                    Pick {
                        strategy: if self.settings.strategy == Strategy::Random {
                            "random".into()
                        } else {
                            "audit".into()
                        },
                        score: None,
                        audit: true,
                        pick: n,
                        double: double(self, i),
                    },
                )));
            }
            return Ok(None);
        }
        let cold = !self.cold_start_over(&resolved);
        if !cold {
            if let Some(round) = self.round.as_ref().filter(|r| r.error.is_none()) {
                let strategy_name = if self.given.is_some() && round.number == 0 {
                    "model"
                } else {
                    "margin"
                };
                let found = round
                    .ranking
                    .iter()
                    .find(|(i, _)| self.available(annotator, *i, &claimed))
                    .copied();
                if let Some((i, m)) = found {
                    return Ok(Some((
                        i,
                        Pick {
                            strategy: strategy_name.into(),
                            score: Some(m),
                            audit: false,
                            pick: n,
                            double: double(self, i),
                        },
                    )));
                }
            }
        }
        // Cold start (or no ranking yet): the article farthest from everything picked.
        if let Some((i, d)) = self.diverse_pick(annotator, &claimed)? {
            return Ok(Some((
                i,
                Pick {
                    strategy: "diverse".into(),
                    score: d,
                    audit: false,
                    pick: n,
                    double: double(self, i),
                },
            )));
        }
        Ok(self.random_pick(annotator, &claimed).map(|i| {
            (
                i,
                Pick {
                    strategy: "random".into(),
                    score: None,
                    audit: false,
                    pick: n,
                    double: double(self, i),
                },
            )
        }))
    }

    fn random_pick(&self, annotator: &str, claimed: &HashSet<usize>) -> Option<usize> {
        self.pool
            .order
            .iter()
            .copied()
            .find(|&i| self.available(annotator, i, claimed))
    }

    fn diverse_pick(
        &mut self,
        annotator: &str,
        claimed: &HashSet<usize>,
    ) -> Result<Option<(usize, Option<f64>)>> {
        if self.diverse.is_none() {
            let mut sample = self.pool.candidates.clone();
            sample.truncate(5000);
            let texts: Vec<&str> = sample
                .iter()
                .map(|&i| self.pool.items[i].record.article.text.as_str())
                .collect();
            let fit: Vec<usize> = (0..texts.len()).collect();
            let (vectors, n) = engine::text_vectors(&texts, &fit)?;
            let rows = vectors
                .into_iter()
                .map(|v| Row {
                    idx: v.idx,
                    val: v.val,
                })
                .collect();
            let pos = sample.iter().enumerate().map(|(r, &i)| (i, r)).collect();
            self.diverse = Some((FarthestFirst::new(rows, n), sample, pos, HashSet::new()));
        }
        let seed = self.settings.seed;
        let taken: Vec<usize> = self
            .book
            .taken
            .iter()
            .chain(claimed.iter())
            .copied()
            .collect();
        let pool = self.pool.clone();
        let asked = self.book.asked.get(annotator).cloned().unwrap_or_default();
        let (ff, sample, pos, selected) = self.diverse.as_mut().expect("built above");
        let mut newly: Vec<usize> = taken
            .iter()
            .filter_map(|i| pos.get(i).copied())
            .filter(|r| !selected.contains(r))
            .collect();
        newly.sort_unstable();
        for r in newly {
            ff.select(r);
            selected.insert(r);
        }
        let blocked: HashSet<usize> = taken.into_iter().chain(asked).collect();
        let next = ff.next(
            |r| !blocked.contains(&sample[r]),
            |r| strategy::hash_str(seed, &pool.items[sample[r]].record.article.id),
        );
        Ok(next.map(|(r, d)| (sample[r], d)))
    }

    fn disagree(&self, id: &str) -> bool {
        let mut answers: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for d in log::live(&self.decisions) {
            if d.meta.action != Action::Label || d.record.article.id != id {
                continue;
            }
            for (a, l) in &d.record.stance {
                answers.entry(a.clone()).or_default().push(l.clone());
            }
            if let Some(s) = &d.record.sentiment {
                answers
                    .entry("\0sentiment".into())
                    .or_default()
                    .push(s.clone());
            }
        }
        answers.values().any(|v| v.iter().any(|l| l != &v[0]))
    }

    /// Checks an answer against the article's questions.
    fn check(&self, p: &Presented, answer: &Answer) -> Result<()> {
        let item = &self.pool.items[p.item];
        for (actor, label) in &answer.stance {
            if !item.rows.contains(actor) {
                return Err(Error::Config(format!(
                    "\"{actor}\" is not one of the actors this article names ({})",
                    item.rows.join(", ")
                )));
            }
            if !self.settings.stance_labels.contains(label) {
                return Err(Error::Config(format!(
                    "\"{label}\" is not a stance label ({})",
                    self.settings.stance_labels.join(", ")
                )));
            }
        }
        if let Some(s) = &answer.sentiment {
            if !self.settings.sentiment_labels.contains(s) {
                return Err(Error::Config(format!(
                    "\"{s}\" is not a sentiment label ({})",
                    self.settings.sentiment_labels.join(", ")
                )));
            }
        }
        for u in &answer.unsure {
            if u != "sentiment" && !item.rows.contains(u) {
                return Err(Error::Config(format!(
                    "\"{u}\" (unsure) is not one of this article's questions"
                )));
            }
        }
        Ok(())
    }

    fn append(&mut self, d: Decision) -> Result<Decision> {
        let d = match &mut self.log {
            Some(log) => log.append(d)?,
            None => {
                let mut d = d;
                d.meta.seq = self.in_memory_seq;
                d.line = self.decisions.len() as u64 + 1;
                self.in_memory_seq += 1;
                d
            }
        };
        self.decisions.push(d.clone());
        self.book = Book::new(&self.decisions, &self.pool);
        Ok(d)
    }

    /// Records the annotator's answer about the article with `token`; returns the decision's
    /// sequence number. A token that is not the one on screen (a double submit, an old tab) is
    /// refused.
    pub fn decide(&mut self, annotator: &str, token: u64, answer: Answer) -> Result<u64> {
        let Some(p) = self
            .screens
            .get(annotator)
            .and_then(|s| s.last())
            .filter(|p| p.token == token)
            .cloned()
        else {
            return Err(Error::Config(
                "that article is no longer on screen (answered in another tab?); reload".into(),
            ));
        };
        self.check(&p, &answer)?;
        let item = &self.pool.items[p.item];
        let mut record = item.record.clone();
        let action = if answer.skip {
            Action::Skip
        } else if p.pick.strategy == "review" {
            Action::Review
        } else {
            Action::Label
        };
        if !answer.skip {
            record.stance = item
                .rows
                .iter()
                .filter_map(|a| answer.stance.get(a).map(|l| (a.clone(), l.clone())))
                .collect();
            record.sentiment = answer.sentiment.clone();
        }
        let mut guess = BTreeMap::new();
        for (row, g) in item.rows.iter().zip(&p.stance_guess) {
            if let Some(g) = g {
                guess.insert(row.clone(), top(g).0);
            }
        }
        if let Some(g) = &p.sentiment_guess {
            guess.insert("sentiment".to_string(), top(g).0);
        }
        let d = Decision {
            meta: Meta {
                seq: 0,
                action,
                annotator: annotator.to_string(),
                time: log::now_utc(),
                model: p.model.clone(),
                pick: p.pick.clone(),
                unsure: if answer.skip {
                    Vec::new()
                } else {
                    answer.unsure.clone()
                },
                undoes: None,
                guess,
            },
            record,
            line: 0,
        };
        let d = self.append(d)?;
        if let Some(s) = self.screens.get_mut(annotator) {
            s.pop();
        }
        Ok(d.meta.seq)
    }

    /// Retracts the annotator's latest decision still in force; its article comes back on
    /// screen. Returns the retracted sequence number, None when there is nothing to undo.
    pub fn undo(&mut self, annotator: &str) -> Result<Option<u64>> {
        let Some(&j) = self.book.stack.get(annotator).and_then(|s| s.last()) else {
            return Ok(None);
        };
        let target = self.decisions[j].clone();
        let mut record = target.record.clone();
        record.stance.clear();
        record.sentiment = None;
        let d = Decision {
            meta: Meta {
                seq: 0,
                action: Action::Undo,
                annotator: annotator.to_string(),
                time: log::now_utc(),
                model: None,
                pick: target.meta.pick.clone(),
                unsure: Vec::new(),
                undoes: Some(target.meta.seq),
                guess: BTreeMap::new(),
            },
            record,
            line: 0,
        };
        self.append(d)?;
        // The undone article goes on top of what was on screen, which comes back after it.
        if let Some(&item) = self.pool.by_id.get(&target.record.article.id) {
            let p = self.present(item, target.meta.pick.clone());
            self.screens
                .entry(annotator.to_string())
                .or_default()
                .push(p);
        }
        Ok(Some(target.meta.seq))
    }

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
    fn trainable(&self, labeled: &[LabeledArticle]) -> bool {
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

    pub fn item(&self, i: usize) -> &Item {
        &self.pool.items[i]
    }

    pub fn article(&self, i: usize) -> &Article {
        &self.pool.items[i].record.article
    }
}
