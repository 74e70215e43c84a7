//! The greedy coordinate ascent over [`super::space`], within the budget.

use super::space::{DataShape, Dim};
use super::{check_metric, AutoOptions, Metric, MIN_GAIN};
use crate::error::Result;
use crate::evaluate::cross_validate_prepared;
use crate::pipeline::train::Prepared;
use crate::pipeline::{TrainConfig, TrainingSet};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
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
    /// Whether the budget ran out before the search converged.
    pub out_of_budget: bool,
    /// Seconds taken.
    pub seconds: f64,
}

/// The metric's cross-validated value for `cfg` on `set`; the texts' analyses and contexts
/// are kept in `cache` for the next candidate with the same context settings.
fn cv_score<'a>(
    set: &'a TrainingSet,
    cfg: &TrainConfig,
    o: &AutoOptions,
    cache: &mut Vec<Prepared<'a>>,
) -> Result<f64> {
    let i = match cache.iter().position(|p| *p.context() == cfg.context) {
        Some(i) => i,
        None => {
            cache.push(Prepared::new(set, &cfg.context));
            cache.len() - 1
        }
    };
    let cv = cross_validate_prepared(set, &cache[i], cfg, o.folds, o.seed, o.group_by.as_deref())?;
    let r = &cv.report.stance;
    Ok(match o.metric {
        Metric::MacroF1 => r.macro_f1,
        Metric::Accuracy => r.accuracy,
        Metric::FAvg => r.f_avg.unwrap_or(0.0),
    })
}

/// Greedy coordinate ascent from `start` within `o.budget` (see the module's doc).
pub fn search(set: &TrainingSet, start: &TrainConfig, o: &AutoOptions) -> Result<Search> {
    search_with(set, start, o, &mut |_| {})
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
    let clock = Instant::now();
    let shape = DataShape::of(set);
    let mut searched = Vec::new();
    let mut moot = Vec::new();
    for d in Dim::ALL {
        match shape.moot(d) {
            Some(why) => moot.push((d, why)),
            None => searched.push(d),
        }
    }
    // Each distinct setting is scored once (a later pass may come back to it).
    let key = |c: &TrainConfig| serde_json::to_string(c).unwrap_or_default();
    let mut seen: HashMap<String, f64> = HashMap::new();
    // Seconds taken by the trials without and with character n-grams (sum, count).
    let mut cost = [(0.0f64, 0usize); 2];
    let mean = |c: (f64, usize)| (c.1 > 0).then(|| c.0 / c.1 as f64);
    let t = Instant::now();
    let mut cache = Vec::new();
    let mut cur_score = cv_score(set, start, o, &mut cache)?;
    let base_secs = t.elapsed().as_secs_f64();
    cost[usize::from(start.features.char_ngrams.is_some())] = (base_secs, 1);
    seen.insert(key(start), cur_score);
    let mut trials = vec![Trial {
        pass: 0,
        dimension: "start".into(),
        change: "the starting settings".into(),
        score: Some(cur_score),
        seconds: base_secs,
        kept: true,
    }];
    progress(&trials[0]);
    let start_score = cur_score;
    let mut cur = start.clone();
    let mut out_of_budget = false;
    'passes: for pass in 1..=o.max_passes.max(1) {
        let mut changed = false;
        // A dimension is tried again from the value it just moved to, while that pays (so alpha
        // walks its ladder in one pass; a toggle's way back is already scored).
        let mut queue: std::collections::VecDeque<Dim> = searched.iter().copied().collect();
        while let Some(d) = queue.pop_front() {
            let mut best: Option<(f64, usize, TrainConfig)> = None;
            let mut stop = false;
            for (change, cfg) in d.alternatives(&cur) {
                if cfg.check().is_err() {
                    continue;
                }
                let k = key(&cfg);
                if let Some(&s) = seen.get(&k) {
                    if best.as_ref().is_none_or(|b| s > b.0) {
                        best = Some((s, usize::MAX, cfg));
                    }
                    continue;
                }
                let chars = usize::from(cfg.features.char_ngrams.is_some());
                // Mean cost so far; unknown for character n-grams: six times the plain cost (4–10× measured).
                let est = mean(cost[chars])
                    .or(mean(cost[1 - chars]).map(|c| if chars == 1 { c * 6.0 } else { c / 6.0 }))
                    .unwrap_or(0.0);
                let elapsed = clock.elapsed().as_secs_f64();
                if elapsed >= o.budget.as_secs_f64() {
                    out_of_budget = true;
                    stop = true;
                    break;
                }
                if elapsed + est > o.budget.as_secs_f64() {
                    out_of_budget = true;
                    trials.push(Trial {
                        pass,
                        dimension: d.name().into(),
                        change,
                        score: None,
                        seconds: 0.0,
                        kept: false,
                    });
                    progress(trials.last().expect("just pushed"));
                    continue;
                }
                let t = Instant::now();
                let s = cv_score(set, &cfg, o, &mut cache)?;
                let secs = t.elapsed().as_secs_f64();
                cost[chars].0 += secs;
                cost[chars].1 += 1;
                seen.insert(k, s);
                trials.push(Trial {
                    pass,
                    dimension: d.name().into(),
                    change,
                    score: Some(s),
                    seconds: secs,
                    kept: false,
                });
                progress(trials.last().expect("just pushed"));
                if best.as_ref().is_none_or(|b| s > b.0) {
                    best = Some((s, trials.len() - 1, cfg));
                }
            }
            if let Some((s, i, cfg)) = best {
                if s >= cur_score + MIN_GAIN {
                    cur = cfg;
                    cur_score = s;
                    changed = true;
                    if let Some(t) = trials.get_mut(i) {
                        t.kept = true;
                    }
                    queue.push_front(d);
                }
            }
            if stop {
                break 'passes;
            }
        }
        if !changed {
            break;
        }
    }
    Ok(Search {
        config: cur,
        score: cur_score,
        start_score,
        trials,
        searched,
        moot,
        out_of_budget,
        seconds: clock.elapsed().as_secs_f64(),
    })
}
