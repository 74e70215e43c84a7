//! The honest estimate around the search (one fold held out, or nested), and the record a
//! model trained with `--auto` keeps.

use super::search::{search_with, Search, Stop, Trial};
use super::space::Dim;
use super::{check_metric, polar, AutoOptions, Estimate, Metric};
use crate::error::Result;
use crate::evaluate::{article_folds, evaluate_model};
use crate::labels::Task;
use crate::metrics::Confusion;
use crate::pipeline::{StanceModel, TrainConfig, TrainingSet};
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// The estimate of the whole procedure on data the search did not see.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Honest {
    /// How it was made.
    pub estimate: Estimate,
    /// Examples scored.
    pub n: usize,
    /// The chosen settings' score on the held-out data (the honest figure).
    pub auto: f64,
    /// The starting settings' score on the same held-out data, trained on the same part.
    pub start: f64,
    /// Per outer part: the settings chosen there (as changes from the start).
    pub chosen: Vec<String>,
    /// Per outer part: why its search stopped (absent in models from before it was kept).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stopped: Vec<Stop>,
}

/// The record a model trained with `--auto` keeps in its training info.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AutoRecord {
    /// The metric maximised.
    pub metric: Metric,
    /// The time budget, in seconds (absent with a trial budget).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_seconds: Option<f64>,
    /// The trial budget: settings each search may score (absent with a time budget).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_trials: Option<usize>,
    /// Seconds the search (and the estimate) took; absent with a trial budget, so that the
    /// model file is the same on every machine and every run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds: Option<f64>,
    /// Candidates scored.
    pub trials: usize,
    /// The chosen settings' cross-validated score in the search (optimistic).
    pub selection_score: f64,
    /// The starting settings' score in the same search.
    pub start_score: f64,
    /// The dimensions searched.
    pub searched: Vec<Dim>,
    /// Whether the budget ran out before the search converged.
    pub out_of_budget: bool,
    /// Why the search stopped (absent in models from before it was kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<Stop>,
    /// The folds each candidate was screened on before the promising ones got all of them
    /// (absent: no screening).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screen_folds: Option<usize>,
    /// The honest estimate, if one was made.
    pub honest: Option<Honest>,
}

/// The whole `--auto` procedure.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The search that chose the final settings.
    pub search: Search,
    /// The honest estimate.
    pub honest: Option<Honest>,
    /// Seconds, estimate included.
    pub seconds: f64,
}

impl Outcome {
    /// The record for the model file.
    pub fn record(&self, o: &AutoOptions) -> AutoRecord {
        AutoRecord {
            metric: o.metric,
            budget_seconds: o.budget.seconds(),
            budget_trials: o.budget.trials(),
            seconds: o.budget.seconds().map(|_| self.seconds),
            trials: self.search.scored(),
            selection_score: self.search.score,
            start_score: self.search.start_score,
            searched: self.search.searched.clone(),
            out_of_budget: self.search.out_of_budget(),
            stop: Some(self.search.stop),
            screen_folds: self.search.screen_folds,
            honest: self.honest.clone(),
        }
    }
}

/// The changes from `start` that make `cfg`, as the kept trials' labels.
fn kept_changes(s: &Search) -> String {
    let kept: Vec<&str> = s
        .trials
        .iter()
        .filter(|t| t.kept && t.pass > 0)
        .map(|t| t.change.as_str())
        .collect();
    if kept.is_empty() {
        "(the starting settings)".into()
    } else {
        kept.join(" ")
    }
}

/// Runs the search with the honest estimate `o.estimate` (see [`Estimate`]).
pub fn run(
    set: &TrainingSet,
    start: &TrainConfig,
    o: &AutoOptions,
    progress: &mut dyn FnMut(&str, &Trial),
) -> Result<Outcome> {
    start.check()?;
    check_metric(set, start, o.metric)?;
    let clock = Instant::now();
    let polar_names = polar(set, start);
    let polar_ref = polar_names.as_ref().map(|(p, n)| (p.as_str(), n.as_str()));
    let outer = match o.estimate {
        Estimate::None => Vec::new(),
        Estimate::Holdout => vec![0],
        Estimate::Nested => (0..o.folds).collect(),
    };
    let mut honest = None;
    let mut last = None;
    if !outer.is_empty() {
        let fold = article_folds(set, o.folds, o.seed, o.group_by.as_deref())?;
        let parts = outer.len() as u32;
        let mut inner = o.clone();
        inner.budget = o.budget.share(parts);
        let mut auto_c = Confusion::new(set.stance_classes.clone());
        let mut start_c = Confusion::new(set.stance_classes.clone());
        let mut chosen = Vec::new();
        let mut stopped = Vec::new();
        for &f in &outer {
            let train: Vec<usize> = (0..set.articles.len()).filter(|&i| fold[i] != f).collect();
            let test: Vec<usize> = (0..set.articles.len()).filter(|&i| fold[i] == f).collect();
            let (train, test) = (set.subset(&train), set.subset(&test));
            let label = format!("outer part {} of {}", f + 1, o.folds);
            let s = search_with(&train, start, &inner, &mut |t| progress(&label, t))?;
            for (cfg, c) in [(&s.config, &mut auto_c), (start, &mut start_c)] {
                let model = StanceModel::train(&train, cfg, o.seed)?;
                let (_, preds) = evaluate_model(&model, &test)?;
                for p in preds.iter().filter(|p| p.task == Task::Stance) {
                    let t = set.stance_classes.iter().position(|x| *x == p.truth);
                    let q = set.stance_classes.iter().position(|x| *x == p.predicted);
                    if let (Some(t), Some(q)) = (t, q) {
                        c.add(t, q);
                    }
                }
            }
            chosen.push(kept_changes(&s));
            stopped.push(s.stop);
            last = Some(s);
        }
        honest = Some(Honest {
            estimate: o.estimate,
            n: auto_c.total() as usize,
            auto: o.metric.of(&auto_c, polar_ref).unwrap_or(0.0),
            start: o.metric.of(&start_c, polar_ref).unwrap_or(0.0),
            chosen,
            stopped,
        });
    }
    let search = match (o.estimate, last) {
        // The held-out search's settings are the final ones.
        (Estimate::Holdout, Some(s)) => s,
        _ => search_with(set, start, o, &mut |t| progress("all the data", t))?,
    };
    Ok(Outcome {
        search,
        honest,
        seconds: clock.elapsed().as_secs_f64(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_record_is_optional_in_the_training_info() {
        use crate::pipeline::TrainingInfo;
        let plain = TrainingInfo::default();
        let text = serde_json::to_string(&plain).unwrap();
        assert!(!text.contains("auto"), "{text}");
        let back: TrainingInfo = serde_json::from_str(&text).unwrap();
        assert_eq!(back.auto, None);
        let with = TrainingInfo {
            auto: Some(AutoRecord {
                metric: Metric::FAvg,
                budget_seconds: Some(60.0),
                budget_trials: None,
                seconds: Some(58.5),
                trials: 9,
                selection_score: 0.61,
                start_score: 0.58,
                searched: vec![Dim::PerActor, Dim::Alpha],
                out_of_budget: true,
                stop: Some(Stop::Budget),
                screen_folds: Some(2),
                honest: Some(Honest {
                    estimate: Estimate::Holdout,
                    n: 40,
                    auto: 0.6,
                    start: 0.55,
                    chosen: vec!["--per-actor".into()],
                    stopped: vec![Stop::Budget],
                }),
            }),
            ..TrainingInfo::default()
        };
        let text = serde_json::to_string(&with).unwrap();
        assert!(text.contains("\"metric\":\"f-avg\""), "{text}");
        assert!(
            text.contains("\"searched\":[\"per-actor\",\"alpha\"]"),
            "{text}"
        );
        let back: TrainingInfo = serde_json::from_str(&text).unwrap();
        assert_eq!(back, with);
        // A record written before trial budgets (no stop, no budget_trials) still reads.
        let old = r#"{"metric":"macro-f1","budget_seconds":30.0,"seconds":31.2,"trials":4,
            "selection_score":0.7,"start_score":0.6,"searched":["alpha"],"out_of_budget":false,
            "honest":{"estimate":"holdout","n":9,"auto":0.5,"start":0.4,"chosen":["--alpha 3"]}}"#;
        let r: AutoRecord = serde_json::from_str(old).unwrap();
        assert_eq!(
            (r.budget_seconds, r.seconds, r.stop),
            (Some(30.0), Some(31.2), None)
        );
        assert!(r.honest.unwrap().stopped.is_empty());
        // With a trial budget the record holds no clock time.
        let trials = AutoRecord {
            budget_seconds: None,
            budget_trials: Some(15),
            seconds: None,
            ..with.auto.clone().unwrap()
        };
        let text = serde_json::to_string(&trials).unwrap();
        assert!(text.contains("\"budget_trials\":15"), "{text}");
        assert!(!text.contains("seconds"), "{text}");
    }
}
