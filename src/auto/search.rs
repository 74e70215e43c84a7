//! The greedy coordinate ascent over [`super::space`], within the budget.

use super::budget::{Allow, Costs, Spending};
use super::space::{DataShape, Dim};
use super::{check_metric, polar, AutoOptions, MIN_GAIN};
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
    /// Its cross-validated score (None: skipped, it would have overrun the budget).
    pub score: Option<f64>,
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
    /// Seconds taken.
    pub seconds: f64,
}

impl Search {
    /// Whether the budget ran out before the search converged.
    pub fn out_of_budget(&self) -> bool {
        self.stop == Stop::Budget
    }

    /// Settings scored (the starting ones included; skipped ones not).
    pub fn scored(&self) -> usize {
        self.trials.iter().filter(|t| t.score.is_some()).count()
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

/// The state of one search.
struct Ascent<'a, 'p> {
    o: &'a AutoOptions,
    scorer: Scorer<'a>,
    spend: Spending,
    costs: Costs,
    /// The settings scored, and their scores (each distinct setting is scored once; a later
    /// pass may come back to it).
    seen: HashMap<String, f64>,
    trials: Vec<Trial>,
    cur: TrainConfig,
    cur_score: f64,
    /// Whether the current pass skipped a change (a time budget it would have overrun).
    skipped: bool,
    progress: &'p mut dyn FnMut(&Trial),
}

impl<'a, 'p> Ascent<'a, 'p> {
    /// Scores `cfg` on every fold, counting it as a trial; its seconds.
    fn full(&mut self, cfg: &TrainConfig) -> Result<(f64, f64)> {
        let all: Vec<usize> = (0..self.o.folds).collect();
        let t = Instant::now();
        self.scorer.run(cfg, &all)?;
        let secs = t.elapsed().as_secs_f64();
        self.costs
            .add(cfg.features.char_ngrams.is_some(), all.len(), secs);
        self.spend.count_trial();
        let s = self.scorer.score(cfg, &all).unwrap_or(0.0);
        self.seen.insert(key(cfg), s);
        Ok((s, secs))
    }

    fn push(&mut self, t: Trial) -> usize {
        self.trials.push(t);
        (self.progress)(self.trials.last().expect("just pushed"));
        self.trials.len() - 1
    }

    /// Tries the other values of `d` from the current settings and keeps the best if it gains
    /// [`MIN_GAIN`]; whether it moved.
    fn dimension(&mut self, d: Dim, pass: usize) -> Result<(bool, Tried)> {
        let mut best: Option<(f64, Option<usize>, TrainConfig)> = None;
        let mut tried = Tried::Done;
        for (change, cfg) in d.alternatives(&self.cur) {
            if cfg.check().is_err() {
                continue;
            }
            if let Some(&s) = self.seen.get(&key(&cfg)) {
                if best.as_ref().is_none_or(|b| s > b.0) {
                    best = Some((s, None, cfg));
                }
                continue;
            }
            let est = self
                .costs
                .estimate(cfg.features.char_ngrams.is_some(), self.o.folds);
            let mut trial = Trial {
                pass,
                dimension: d.name().into(),
                change,
                score: None,
                seconds: 0.0,
                kept: false,
            };
            match self.spend.allow(true, est) {
                Allow::Stop => {
                    tried = Tried::Spent;
                    break;
                }
                Allow::Skip => {
                    self.skipped = true;
                    self.push(trial);
                    continue;
                }
                Allow::Run => {}
            }
            let (s, secs) = self.full(&cfg)?;
            trial.score = Some(s);
            trial.seconds = secs;
            let i = self.push(trial);
            if best.as_ref().is_none_or(|b| s > b.0) {
                best = Some((s, Some(i), cfg));
            }
        }
        let mut moved = false;
        if let Some((s, i, cfg)) = best {
            if s >= self.cur_score + MIN_GAIN {
                self.cur = cfg;
                self.cur_score = s;
                moved = true;
                if let Some(t) = i.and_then(|i| self.trials.get_mut(i)) {
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
    let mut a = Ascent {
        o,
        scorer: Scorer::new(set, start, o)?,
        spend,
        costs: Costs::default(),
        seen: HashMap::new(),
        trials: Vec::new(),
        cur: start.clone(),
        cur_score: 0.0,
        skipped: false,
        progress,
    };
    // The starting settings are scored whatever the budget (they are the fallback).
    let (start_score, secs) = a.full(start)?;
    a.cur_score = start_score;
    a.push(Trial {
        pass: 0,
        dimension: "start".into(),
        change: "the starting settings".into(),
        score: Some(start_score),
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
    Ok(Search {
        config: a.cur,
        score: a.cur_score,
        start_score,
        trials: a.trials,
        searched,
        moot,
        stop,
        seconds: a.spend.seconds(),
    })
}
