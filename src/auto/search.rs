//! The greedy coordinate ascent over [`super::space`], within the budget.

use super::budget::{Allow, Costs, Spending};
use super::space::{DataShape, Dim};
use super::{check_metric, polar, AutoOptions, MIN_GAIN, SCREEN_FOLDS};
use crate::error::Result;
use crate::evaluate::{article_folds, held_out_predictions};
use crate::labels::Task;
use crate::metrics::Confusion;
use crate::pipeline::train::Prepared;
use crate::pipeline::{TrainConfig, TrainingSet};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, VecDeque};
use std::time::Instant;

/// One scored candidate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trial {
    /// The pass (1-based; 0 for the starting settings).
    pub pass: usize,
    /// The dimension changed.
    pub dimension: String,
    /// The change from the settings current at the time.
    pub change: String,
    /// Its cross-validated score (None: skipped, it would have overrun the budget, or
    /// screened out).
    pub score: Option<f64>,
    /// Its score on the screening folds only, when the search screens (see the module doc).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screen: Option<f64>,
    /// Seconds it took.
    pub seconds: f64,
    /// Whether the search kept it.
    pub kept: bool,
}

/// Why a search stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stop {
    /// A whole pass over the dimensions scored every change it wanted and none gained: the
    /// settings are a local optimum of the search.
    Converged,
    /// The budget ran out (or made the search skip a change) before it converged.
    Budget,
    /// The last pass allowed still changed something.
    Passes,
}

/// The result of one search.
#[derive(Debug, Clone)]
pub struct Search {
    /// The chosen settings.
    pub config: TrainConfig,
    /// Their cross-validated score (optimistic: the best of many).
    pub score: f64,
    /// The starting settings' score.
    pub start_score: f64,
    /// Every trial, in order.
    pub trials: Vec<Trial>,
    /// The dimensions searched.
    pub searched: Vec<Dim>,
    /// The dimensions left out, and why.
    pub moot: Vec<(Dim, &'static str)>,
    /// Why the search stopped.
    pub stop: Stop,
    /// The folds candidates were screened on first (None: every candidate got every fold).
    pub screen_folds: Option<usize>,
    /// Seconds taken.
    pub seconds: f64,
}

impl Search {
    /// Whether the budget ran out before the search converged.
    pub fn out_of_budget(&self) -> bool {
        self.stop == Stop::Budget
    }

    /// Settings scored, on every fold or screened (the starting ones included; skipped ones
    /// not).
    pub fn scored(&self) -> usize {
        self.trials
            .iter()
            .filter(|t| t.score.is_some() || t.screen.is_some())
            .count()
    }
}

/// A distinct setting's identity.
fn key(c: &TrainConfig) -> String {
    serde_json::to_string(c).unwrap_or_default()
}

/// One fold's held-out stance examples: (truth, predicted) label indices.
type Pairs = Vec<(usize, usize)>;

/// Scores settings by the folds of one split, fold by fold: each setting's held-out stance
/// (truth, prediction) pairs are kept per fold, so a setting scored on some folds can be
/// finished on the others later. The texts' analyses and contexts are kept for the next
/// setting with the same context settings.
struct Scorer<'a> {
    set: &'a TrainingSet,
    o: &'a AutoOptions,
    /// The fold of every article (the same for every setting).
    fold: Vec<usize>,
    /// The stance labels, in the order the metric counts them.
    classes: Vec<String>,
    polar: Option<(String, String)>,
    cache: Vec<Prepared<'a>>,
    /// Per setting, per fold: the held-out (truth, predicted) label indices.
    runs: HashMap<String, Vec<Option<Pairs>>>,
}

impl<'a> Scorer<'a> {
    fn new(set: &'a TrainingSet, start: &TrainConfig, o: &'a AutoOptions) -> Result<Scorer<'a>> {
        let labels = start
            .polarity
            .labels(Task::Stance, set.stance_classes.clone())?;
        Ok(Scorer {
            set,
            o,
            fold: article_folds(set, o.folds, o.seed, o.group_by.as_deref())?,
            classes: labels.names().to_vec(),
            polar: polar(set, start),
            cache: Vec::new(),
            runs: HashMap::new(),
        })
    }

    /// Runs the folds of `folds` that `cfg` has not been run on yet.
    fn run(&mut self, cfg: &TrainConfig, folds: &[usize]) -> Result<()> {
        let k = key(cfg);
        let entry = self
            .runs
            .entry(k)
            .or_insert_with(|| vec![None; self.o.folds]);
        let todo: Vec<usize> = folds
            .iter()
            .copied()
            .filter(|&f| entry.get(f).is_some_and(Option::is_none))
            .collect();
        if todo.is_empty() {
            return Ok(());
        }
        let i = match self.cache.iter().position(|p| *p.context() == cfg.context) {
            Some(i) => i,
            None => {
                self.cache.push(Prepared::new(self.set, &cfg.context));
                self.cache.len() - 1
            }
        };
        let preds = held_out_predictions(self.set, &self.cache[i], cfg, &self.fold, &todo)?;
        let idx = |l: &str| self.classes.iter().position(|c| c == l);
        for (&f, p) in todo.iter().zip(preds) {
            let pairs = p
                .iter()
                .filter(|p| p.task == Task::Stance)
                .filter_map(|p| Some((idx(&p.truth)?, idx(&p.predicted)?)))
                .collect();
            entry[f] = Some(pairs);
        }
        Ok(())
    }

    /// The metric of `cfg` on the folds `folds`, if it has been run on all of them.
    fn score(&self, cfg: &TrainConfig, folds: &[usize]) -> Option<f64> {
        let runs = self.runs.get(&key(cfg))?;
        let mut c = Confusion::new(self.classes.clone());
        for &f in folds {
            for &(t, p) in runs.get(f)?.as_ref()? {
                c.add(t, p);
            }
        }
        let polar = self.polar.as_ref().map(|(p, n)| (p.as_str(), n.as_str()));
        Some(self.o.metric.of(&c, polar).unwrap_or(0.0))
    }
}

/// Greedy coordinate ascent from `start` within `o.budget` (see the module's doc).
pub fn search(set: &TrainingSet, start: &TrainConfig, o: &AutoOptions) -> Result<Search> {
    search_with(set, start, o, &mut |_| {})
}

/// What trying one dimension came to.
enum Tried {
    /// Every change it wanted was scored or skipped.
    Done,
    /// The budget is spent.
    Spent,
}

/// What became of a new setting.
enum New {
    /// Scored (on the screening folds or on every fold).
    Scored(Box<Candidate>),
    /// Skipped: it would have overrun the time budget.
    Skipped,
    /// The budget is spent.
    Spent,
}

/// A dimension's alternative, as far as it has been scored.
struct Candidate {
    cfg: TrainConfig,
    /// The score on every fold, once known.
    score: Option<f64>,
    /// The score on the screening folds (when screening).
    screen: Option<f64>,
    /// Its trial, if it was scored in this search (not the way back to a former setting).
    trial: Option<usize>,
}

/// The state of one search.
struct Ascent<'a, 'p> {
    o: &'a AutoOptions,
    scorer: Scorer<'a>,
    spend: Spending,
    costs: Costs,
    /// The screening folds (empty: no screening).
    screen: Vec<usize>,
    /// Settings scored on every fold, and their scores (each distinct setting is scored once;
    /// a later pass may come back to it).
    seen: HashMap<String, f64>,
    /// Settings screened out so far: their screening score and trial.
    screened: HashMap<String, (f64, usize)>,
    trials: Vec<Trial>,
    cur: TrainConfig,
    cur_score: f64,
    /// Whether the current pass skipped a change (a time budget it would have overrun).
    skipped: bool,
    progress: &'p mut dyn FnMut(&Trial),
}

impl<'a, 'p> Ascent<'a, 'p> {
    /// Runs `cfg` on the folds `folds` (those not run yet); the seconds.
    fn run(&mut self, cfg: &TrainConfig, folds: &[usize]) -> Result<f64> {
        let t = Instant::now();
        self.scorer.run(cfg, folds)?;
        let secs = t.elapsed().as_secs_f64();
        self.costs
            .add(cfg.features.char_ngrams.is_some(), folds.len(), secs);
        Ok(secs)
    }

    /// The folds not in the screen.
    fn rest(&self) -> Vec<usize> {
        (0..self.o.folds)
            .filter(|f| !self.screen.contains(f))
            .collect()
    }

    fn push(&mut self, t: Trial) -> usize {
        self.trials.push(t);
        (self.progress)(self.trials.last().expect("just pushed"));
        self.trials.len() - 1
    }

    /// Scores a new setting: on the screening folds when screening, else on every fold.
    fn score_new(&mut self, cfg: &TrainConfig, mut trial: Trial) -> Result<New> {
        let folds = if self.screen.is_empty() {
            (0..self.o.folds).collect()
        } else {
            self.screen.clone()
        };
        let est = self
            .costs
            .estimate(cfg.features.char_ngrams.is_some(), folds.len());
        match self.spend.allow(true, est) {
            Allow::Stop => return Ok(New::Spent),
            Allow::Skip => {
                self.skipped = true;
                self.push(trial);
                return Ok(New::Skipped);
            }
            Allow::Run => {}
        }
        trial.seconds = self.run(cfg, &folds)?;
        self.spend.count_trial();
        let s = self.scorer.score(cfg, &folds).unwrap_or(0.0);
        let mut c = Candidate {
            cfg: cfg.clone(),
            score: None,
            screen: None,
            trial: None,
        };
        if self.screen.is_empty() {
            (trial.score, c.score) = (Some(s), Some(s));
            self.seen.insert(key(cfg), s);
            c.trial = Some(self.push(trial));
        } else {
            (trial.screen, c.screen) = (Some(s), Some(s));
            let i = self.push(trial);
            self.screened.insert(key(cfg), (s, i));
            c.trial = Some(i);
        }
        Ok(New::Scored(Box::new(c)))
    }

    /// Finishes the screened candidate `c` on the other folds if the budget allows; whether
    /// the budget is spent.
    fn confirm(&mut self, c: &mut Candidate) -> Result<bool> {
        let rest = self.rest();
        let est = self
            .costs
            .estimate(c.cfg.features.char_ngrams.is_some(), rest.len());
        match self.spend.allow(false, est) {
            Allow::Stop => return Ok(true),
            Allow::Skip => {
                self.skipped = true;
                return Ok(false);
            }
            Allow::Run => {}
        }
        let secs = self.run(&c.cfg, &rest)?;
        let all: Vec<usize> = (0..self.o.folds).collect();
        let s = self.scorer.score(&c.cfg, &all).unwrap_or(0.0);
        let k = key(&c.cfg);
        self.screened.remove(&k);
        self.seen.insert(k, s);
        c.score = Some(s);
        if let Some(t) = c.trial.and_then(|i| self.trials.get_mut(i)) {
            t.score = Some(s);
            t.seconds += secs;
            (self.progress)(t);
        }
        Ok(false)
    }

    /// Tries the other values of `d` from the current settings and keeps the best if it gains
    /// [`MIN_GAIN`]; whether it moved.
    fn dimension(&mut self, d: Dim, pass: usize) -> Result<(bool, Tried)> {
        let mut cands: Vec<Candidate> = Vec::new();
        let mut tried = Tried::Done;
        for (change, cfg) in d.alternatives(&self.cur) {
            if cfg.check().is_err() {
                continue;
            }
            let k = key(&cfg);
            if let Some(&s) = self.seen.get(&k) {
                cands.push(Candidate {
                    cfg,
                    score: Some(s),
                    screen: None,
                    trial: None,
                });
                continue;
            }
            if let Some(&(s, i)) = self.screened.get(&k) {
                cands.push(Candidate {
                    cfg,
                    score: None,
                    screen: Some(s),
                    trial: Some(i),
                });
                continue;
            }
            let trial = Trial {
                pass,
                dimension: d.name().into(),
                change,
                score: None,
                screen: None,
                seconds: 0.0,
                kept: false,
            };
            match self.score_new(&cfg, trial)? {
                New::Spent => {
                    tried = Tried::Spent;
                    break;
                }
                New::Scored(c) => cands.push(*c),
                New::Skipped => {}
            }
        }
        // Successive halving: of the screened alternatives only the best goes on, and only if
        // it beats the current settings on the same folds.
        let cur_screen = self.scorer.score(&self.cur, &self.screen);
        let best_screened = cands
            .iter_mut()
            .filter(|c| c.score.is_none())
            .filter_map(|c| c.screen.map(|s| (s, c)))
            .fold(None::<(f64, &mut Candidate)>, |b, (s, c)| match b {
                Some((bs, _)) if bs >= s => b,
                _ => Some((s, c)),
            });
        if let (Some((s, c)), Some(cur)) = (best_screened, cur_screen) {
            if s > cur && self.confirm(c)? {
                tried = Tried::Spent;
            }
        }
        let mut best: Option<&Candidate> = None;
        for c in &cands {
            if let Some(s) = c.score {
                if best.is_none_or(|b| s > b.score.unwrap_or(f64::MIN)) {
                    best = Some(c);
                }
            }
        }
        let mut moved = false;
        if let Some(c) = best {
            let s = c.score.unwrap_or(f64::MIN);
            if s >= self.cur_score + MIN_GAIN {
                self.cur = c.cfg.clone();
                self.cur_score = s;
                moved = true;
                if let Some(t) = c.trial.and_then(|i| self.trials.get_mut(i)) {
                    t.kept = true;
                }
            }
        }
        Ok((moved, tried))
    }
}

/// [`search`], calling `progress` after every trial.
pub fn search_with(
    set: &TrainingSet,
    start: &TrainConfig,
    o: &AutoOptions,
    progress: &mut dyn FnMut(&Trial),
) -> Result<Search> {
    start.check()?;
    check_metric(set, start, o.metric)?;
    let spend = Spending::start(o.budget);
    let shape = DataShape::of(set);
    let mut searched = Vec::new();
    let mut moot = Vec::new();
    for d in Dim::ALL {
        match shape.moot(d) {
            Some(why) => moot.push((d, why)),
            None => searched.push(d),
        }
    }
    let screen: Vec<usize> = if set.examples.len() >= o.screen_from && o.folds > SCREEN_FOLDS {
        (0..SCREEN_FOLDS).collect()
    } else {
        Vec::new()
    };
    let mut a = Ascent {
        o,
        scorer: Scorer::new(set, start, o)?,
        spend,
        costs: Costs::default(),
        screen,
        seen: HashMap::new(),
        screened: HashMap::new(),
        trials: Vec::new(),
        cur: start.clone(),
        cur_score: 0.0,
        skipped: false,
        progress,
    };
    // The starting settings are scored on every fold whatever the budget (they are the
    // fallback, and what each candidate is screened against).
    let all: Vec<usize> = (0..o.folds).collect();
    let secs = a.run(start, &all)?;
    a.spend.count_trial();
    let start_score = a.scorer.score(start, &all).unwrap_or(0.0);
    a.seen.insert(key(start), start_score);
    a.cur_score = start_score;
    let start_screen = a
        .scorer
        .score(start, &a.screen.clone())
        .filter(|_| !a.screen.is_empty());
    a.push(Trial {
        pass: 0,
        dimension: "start".into(),
        change: "the starting settings".into(),
        score: Some(start_score),
        screen: start_screen,
        seconds: secs,
        kept: true,
    });
    let mut stop = Stop::Passes;
    'passes: for pass in 1..=o.max_passes.max(1) {
        let mut changed = false;
        a.skipped = false;
        // A dimension is tried again from the value it just moved to, while that pays (so alpha
        // walks its ladder in one pass; a toggle's way back is already scored).
        let mut queue: VecDeque<Dim> = searched.iter().copied().collect();
        while let Some(d) = queue.pop_front() {
            let (moved, tried) = a.dimension(d, pass)?;
            if moved {
                changed = true;
                queue.push_front(d);
            }
            if let Tried::Spent = tried {
                stop = Stop::Budget;
                break 'passes;
            }
        }
        if !changed || a.skipped {
            // A pass that skipped a change did not see all of its neighbourhood.
            stop = if a.skipped {
                Stop::Budget
            } else {
                Stop::Converged
            };
        }
        if !changed {
            break;
        }
    }
    let screen_folds = (!a.screen.is_empty()).then_some(a.screen.len());
    Ok(Search {
        config: a.cur,
        score: a.cur_score,
        start_score,
        trials: a.trials,
        searched,
        moot,
        stop,
        screen_folds,
        seconds: a.spend.seconds(),
    })
}
