//! `stance train --auto`: settings chosen by cross-validation on the user's own data, within a
//! time budget.
//!
//! Where [`crate::tune`] scores every point of a grid the user writes, this searches the whole
//! space the featurizer offers by greedy coordinate ascent: from the starting settings (the
//! defaults, or the flags given), each dimension in turn (per-actor weights, class weights,
//! alpha, word n-grams, window, markers, character n-grams, …) tries its other values, and the
//! best is kept if it gains at least [`MIN_GAIN`] in the chosen metric (and the dimension is
//! tried again from its new value, so alpha walks its ladder). Passes repeat until one
//! changes nothing or the budget is spent. Every candidate is scored by the same folds (one
//! seed, grouped by article or `group_by`) and each distinct setting is scored once. Before a
//! trial the time it would take is estimated from the trials so far (separately for settings
//! with and without character n-grams, which are several times slower); a trial that would
//! overrun the budget is skipped, so the budget goes to the cheap dimensions first.
//!
//! Dimensions that cannot matter on the data are not searched: window, markers and
//! near-target words when (almost) no actor is named in the texts, the window when every text
//! is one sentence, the actor prior and per-actor weights when there is only one actor, the
//! tokenizer when fewer than 1 text in 20 has a #hashtag or @mention.
//!
//! The selection score flatters (it is the best of many); [`run`] therefore first holds out a
//! fold of the articles, a fifth with 5 folds (or, with [`Estimate::Nested`], repeats the search inside each outer
//! fold) and reports the chosen settings' score there beside the starting settings'.

use crate::context::{Analysis, Markers, Window};
use crate::error::{Error, Result};
use crate::evaluate::{article_folds, cross_validate_prepared, evaluate_model};
use crate::features::{CharSource, SEPARATE_ACTORS_MIN};
use crate::labels::Task;
use crate::metrics::Confusion;
use crate::model::ClassWeight;
use crate::pipeline::train::Prepared;
use crate::pipeline::{StanceModel, TrainConfig, TrainingSet};
use crate::tokens::{self, Tokens};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::time::{Duration, Instant};

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

/// Parses a time budget: seconds (`90`, `90s`), minutes (`5m`) or hours (`1h`).
pub fn parse_budget(s: &str) -> std::result::Result<Duration, String> {
    let t = s.trim();
    let (num, unit) = match t.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((i, _)) => (&t[..i], &t[i..]),
        None => (t, "s"),
    };
    let scale = match unit {
        "s" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        _ => f64::NAN,
    };
    match num.trim().parse::<f64>() {
        Ok(x) if scale.is_finite() && x.is_finite() && x > 0.0 && x * scale <= 7.0 * 86400.0 => {
            Ok(Duration::from_secs_f64(x * scale))
        }
        _ => Err(format!(
            "expected a time such as 90s, 5m or 1h (at most a week), got \"{s}\""
        )),
    }
}

/// The search's settings.
#[derive(Debug, Clone)]
pub struct AutoOptions {
    /// Time for the search (the final fit and its cross-validation come on top).
    pub budget: Duration,
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
}

impl Default for AutoOptions {
    fn default() -> Self {
        AutoOptions {
            budget: Duration::from_secs(300),
            metric: Metric::MacroF1,
            folds: 5,
            seed: 42,
            group_by: None,
            estimate: Estimate::Holdout,
            max_passes: 3,
        }
    }
}

/// The dimensions of the search, in the order each pass tries them (the ones that paid most
/// on the shared sets first, the slow character n-grams after the cheap ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Dim {
    /// `--per-actor`.
    PerActor,
    /// `--tokens words|social`.
    Tokens,
    /// `--class-weight`.
    ClassWeight,
    /// `--alpha`: the neighbours of the current value on a 0.03–100 ladder.
    Alpha,
    /// `--ngrams 1|1-2|1-3`.
    #[serde(rename = "ngrams")]
    WordNgrams,
    /// `--window 0|1|2|all`.
    Window,
    /// `--markers both|target|none`.
    Markers,
    /// `--near-target 0|3`.
    NearTarget,
    /// `--lexicon`.
    Lexicon,
    /// `--negation`.
    Negation,
    /// `--char-ngrams 2-5` of words (with `--block-norm`) or of stems, or off.
    CharNgrams,
    /// `--block-norm` (only with character n-grams).
    BlockNorm,
    /// `--min-df 1|2|3`.
    MinDf,
    /// `--no-actor-prior`.
    ActorPrior,
}

impl Dim {
    /// Every dimension, in search order.
    pub const ALL: [Dim; 14] = [
        Dim::PerActor,
        Dim::Tokens,
        Dim::ClassWeight,
        Dim::Alpha,
        Dim::WordNgrams,
        Dim::Window,
        Dim::Markers,
        Dim::NearTarget,
        Dim::Lexicon,
        Dim::Negation,
        Dim::CharNgrams,
        Dim::BlockNorm,
        Dim::MinDf,
        Dim::ActorPrior,
    ];

    /// The dimension's name.
    pub fn name(self) -> &'static str {
        match self {
            Dim::PerActor => "per-actor",
            Dim::Tokens => "tokens",
            Dim::ClassWeight => "class-weight",
            Dim::Alpha => "alpha",
            Dim::WordNgrams => "ngrams",
            Dim::Window => "window",
            Dim::Markers => "markers",
            Dim::NearTarget => "near-target",
            Dim::Lexicon => "lexicon",
            Dim::Negation => "negation",
            Dim::CharNgrams => "char-ngrams",
            Dim::BlockNorm => "block-norm",
            Dim::MinDf => "min-df",
            Dim::ActorPrior => "actor-prior",
        }
    }

    /// The other values of this dimension from `cur`, each with a label saying the change.
    pub fn alternatives(self, cur: &TrainConfig) -> Vec<(String, TrainConfig)> {
        let mut out = Vec::new();
        let mut push = |label: String, f: &dyn Fn(&mut TrainConfig)| {
            let mut c = cur.clone();
            f(&mut c);
            if c != *cur {
                out.push((label, c));
            }
        };
        match self {
            Dim::PerActor => {
                // Three values: shared weights, shared plus per-actor copies, one model per
                // actor (copies only, for actors with enough labels).
                let set = |c: &mut TrainConfig, on: bool, separate: Option<usize>| {
                    c.features.per_actor = on;
                    c.features.separate_actors = separate;
                    c.context.actor_prior |= on;
                };
                let sep = format!("--separate-actors {SEPARATE_ACTORS_MIN}");
                let (cur_on, cur_sep) = (cur.features.per_actor, cur.features.separate_actors);
                if cur_on {
                    push("per-actor off".into(), &|c| set(c, false, None));
                }
                if !cur_on || cur_sep.is_some() {
                    push("--per-actor".into(), &|c| set(c, true, None));
                }
                if cur_sep.is_none() {
                    push(sep, &|c| set(c, true, Some(SEPARATE_ACTORS_MIN)));
                }
            }
            Dim::Tokens => {
                let other = match cur.context.tokens {
                    Tokens::Words => Tokens::Social,
                    Tokens::Social => Tokens::Words,
                };
                push(format!("--tokens {}", other.name()), &|c| {
                    c.context.tokens = other
                });
            }
            Dim::ClassWeight => {
                let other = match cur.logistic.class_weight {
                    ClassWeight::Balanced => ClassWeight::None,
                    ClassWeight::None => ClassWeight::Balanced,
                };
                let name = match other {
                    ClassWeight::Balanced => "balanced",
                    ClassWeight::None => "none",
                };
                push(format!("--class-weight {name}"), &|c| {
                    c.logistic.class_weight = other
                });
            }
            Dim::Alpha => {
                const LADDER: [f64; 8] = [0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0];
                let a = cur.logistic.alpha;
                let below = LADDER.iter().rev().find(|&&x| x < a * 0.99);
                let above = LADDER.iter().find(|&&x| x > a * 1.01);
                for &x in below.into_iter().chain(above) {
                    push(format!("--alpha {x}"), &|c| c.logistic.alpha = x);
                }
            }
            Dim::WordNgrams => {
                for r in [(1, 1), (1, 2), (1, 3)] {
                    push(format!("--ngrams {}-{}", r.0, r.1), &|c| {
                        c.features.word_ngrams = r
                    });
                }
            }
            Dim::Window => {
                for w in [
                    Window::Sentences(0),
                    Window::Sentences(1),
                    Window::Sentences(2),
                    Window::All,
                ] {
                    push(format!("--window {w}"), &|c| c.context.window = w);
                }
            }
            Dim::Markers => {
                for m in [Markers::Both, Markers::Target, Markers::None] {
                    push(format!("--markers {}", m.name()), &|c| {
                        c.context.markers = m
                    });
                }
            }
            Dim::NearTarget => {
                let n = if cur.features.near_target == 0 { 3 } else { 0 };
                push(format!("--near-target {n}"), &|c| {
                    c.features.near_target = n
                });
            }
            Dim::Lexicon => {
                let on = !cur.features.lexicon;
                let label = if on { "--lexicon" } else { "lexicon off" };
                push(label.into(), &|c| c.features.lexicon = on);
            }
            Dim::Negation => {
                let on = !cur.features.negation;
                let label = if on { "--negation" } else { "negation off" };
                push(label.into(), &|c| c.features.negation = on);
            }
            Dim::CharNgrams => {
                if cur.features.char_ngrams.is_none() {
                    push(
                        "--char-ngrams 2-5 --char-source word --block-norm".into(),
                        &|c| {
                            c.features.char_ngrams = Some((2, 5));
                            c.features.char_source = CharSource::Word;
                            c.features.block_norm = true;
                        },
                    );
                    push("--char-ngrams 2-5".into(), &|c| {
                        c.features.char_ngrams = Some((2, 5));
                        c.features.char_source = CharSource::Stem;
                    });
                    push(
                        "--char-ngrams 2-5 --char-source text --block-norm".into(),
                        &|c| {
                            c.features.char_ngrams = Some((2, 5));
                            c.features.char_source = CharSource::Text;
                            c.features.block_norm = true;
                        },
                    );
                } else {
                    push("char n-grams off".into(), &|c| {
                        c.features.char_ngrams = None;
                        c.features.char_source = CharSource::Stem;
                        c.features.block_norm = false;
                    });
                    for other in [CharSource::Stem, CharSource::Word, CharSource::Text] {
                        push(format!("--char-source {}", other.name()), &|c| {
                            c.features.char_source = other
                        });
                    }
                }
            }
            Dim::BlockNorm => {
                if cur.features.char_ngrams.is_some() {
                    let on = !cur.features.block_norm;
                    let label = if on { "--block-norm" } else { "block-norm off" };
                    push(label.into(), &|c| c.features.block_norm = on);
                }
            }
            Dim::MinDf => {
                for m in [1, 2, 3] {
                    push(format!("--min-df {m}"), &|c| c.features.min_df = m);
                }
            }
            Dim::ActorPrior => {
                if !cur.features.per_actor {
                    let on = !cur.context.actor_prior;
                    let label = if on {
                        "actor prior on"
                    } else {
                        "--no-actor-prior"
                    };
                    push(label.into(), &|c| c.context.actor_prior = on);
                }
            }
        }
        out
    }
}

/// What the data say about which dimensions can matter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataShape {
    /// Stance examples whose actor the text names at least once.
    pub named: usize,
    /// Stance examples.
    pub examples: usize,
    /// Articles of more than one sentence.
    pub multi_sentence: usize,
    /// Distinct actors among the stance examples.
    pub actors: usize,
    /// Texts (articles).
    #[serde(default)]
    pub texts: usize,
    /// Texts with a #hashtag or an @mention.
    #[serde(default)]
    pub social: usize,
}

impl DataShape {
    /// Looks at the texts and labels.
    pub fn of(set: &TrainingSet) -> DataShape {
        let analyses: Vec<Analysis> = set
            .articles
            .iter()
            .map(|a| Analysis::new(&a.article.text, &set.registry))
            .collect();
        let named = set
            .examples
            .iter()
            .filter(|e| {
                let actor = set.registry.index(&e.actor);
                actor.is_some_and(|i| analyses[e.article].mentions.iter().any(|m| m.actor == i))
            })
            .count();
        let mut actors: Vec<&str> = set.examples.iter().map(|e| e.actor.as_str()).collect();
        actors.sort_unstable();
        actors.dedup();
        DataShape {
            named,
            examples: set.examples.len(),
            multi_sentence: analyses.iter().filter(|a| a.sentences.len() > 1).count(),
            actors: actors.len(),
            texts: set.articles.len(),
            social: set
                .articles
                .iter()
                .filter(|a| tokens::has_tag_or_mention(&a.article.text))
                .count(),
        }
    }

    /// Why `d` cannot matter on these data, if it cannot.
    pub fn moot(&self, d: Dim) -> Option<&'static str> {
        // Fewer than 5 % of the examples name their actor: the context is the whole text
        // without markers for the rest.
        let unnamed = self.named * 20 < self.examples;
        match d {
            Dim::Window | Dim::Markers | Dim::NearTarget if unnamed => {
                Some("no actor is named in (almost) any text")
            }
            Dim::Window if self.multi_sentence == 0 => Some("every text is one sentence"),
            Dim::PerActor | Dim::ActorPrior if self.actors < 2 => Some("one actor only"),
            // Fewer than 5 % of the texts have a hashtag or mention: the social tokenizer
            // differs from the default only by URLs and emoji.
            Dim::Tokens if self.social * 20 < self.texts => {
                Some("(almost) no text has a #hashtag or @mention")
            }
            _ => None,
        }
    }
}

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
}

/// The record a model trained with `--auto` keeps in its training info.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AutoRecord {
    /// The metric maximised.
    pub metric: Metric,
    /// The budget, in seconds.
    pub budget_seconds: f64,
    /// Seconds the search (and the estimate) took.
    pub seconds: f64,
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
            budget_seconds: o.budget.as_secs_f64(),
            seconds: self.seconds,
            trials: self
                .search
                .trials
                .iter()
                .filter(|t| t.score.is_some())
                .count(),
            selection_score: self.search.score,
            start_score: self.search.start_score,
            searched: self.search.searched.clone(),
            out_of_budget: self.search.out_of_budget,
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
        inner.budget = o.budget / parts;
        let mut auto_c = Confusion::new(set.stance_classes.clone());
        let mut start_c = Confusion::new(set.stance_classes.clone());
        let mut chosen = Vec::new();
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
            last = Some(s);
        }
        honest = Some(Honest {
            estimate: o.estimate,
            n: auto_c.total() as usize,
            auto: o.metric.of(&auto_c, polar_ref).unwrap_or(0.0),
            start: o.metric.of(&start_c, polar_ref).unwrap_or(0.0),
            chosen,
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
    fn budgets_parse_with_units_and_reject_nonsense() {
        assert_eq!(parse_budget("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_budget("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_budget("5m").unwrap(), Duration::from_secs(300));
        assert_eq!(parse_budget("1.5h").unwrap(), Duration::from_secs(5400));
        for bad in ["", "0", "-3m", "5x", "m", "10d", "1e9h"] {
            let e = parse_budget(bad).unwrap_err();
            assert!(e.contains(&format!("\"{bad}\"")), "{bad}: {e}");
        }
    }

    #[test]
    fn alternatives_change_one_dimension() {
        let d = TrainConfig::default();
        let alpha: Vec<f64> = Dim::Alpha
            .alternatives(&d)
            .iter()
            .map(|(_, c)| c.logistic.alpha)
            .collect();
        assert_eq!(alpha, vec![0.3, 3.0]);
        let ngrams: Vec<String> = Dim::WordNgrams
            .alternatives(&d)
            .into_iter()
            .map(|(l, _)| l)
            .collect();
        assert_eq!(ngrams, vec!["--ngrams 1-1", "--ngrams 1-3"]);
        // Per-actor weights switch the actor prior on (they need it).
        let mut no_prior = d.clone();
        no_prior.context.actor_prior = false;
        let alts = Dim::PerActor.alternatives(&no_prior);
        let labels: Vec<&str> = alts.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(labels, ["--per-actor", "--separate-actors 10"]);
        for (_, c) in &alts {
            assert!(c.features.per_actor && c.context.actor_prior);
            assert!(c.check().is_ok());
        }
        assert_eq!(alts[1].1.features.separate_actors, Some(10));
        // From one model per actor: off, or back to shared weights plus copies.
        let labels: Vec<String> = Dim::PerActor
            .alternatives(&alts[1].1)
            .into_iter()
            .map(|(l, c)| {
                assert!(c.features.separate_actors.is_none());
                l
            })
            .collect();
        assert_eq!(labels, ["per-actor off", "--per-actor"]);
        // Block norms only exist with character n-grams.
        assert!(Dim::BlockNorm.alternatives(&d).is_empty());
        let (_, with_chars) = &Dim::CharNgrams.alternatives(&d)[0];
        assert_eq!(with_chars.features.char_ngrams, Some((2, 5)));
        assert_eq!(with_chars.features.char_source, CharSource::Word);
        assert_eq!(
            Dim::BlockNorm.alternatives(with_chars)[0].0,
            "block-norm off"
        );
        // At the ladder's top only the step down is left.
        let mut top = d.clone();
        top.logistic.alpha = 100.0;
        assert_eq!(Dim::Alpha.alternatives(&top).len(), 1);
    }

    #[test]
    fn moot_dimensions_follow_the_data() {
        let shape = DataShape {
            named: 0,
            examples: 100,
            multi_sentence: 40,
            actors: 3,
            texts: 100,
            social: 4,
        };
        assert!(shape.moot(Dim::Window).is_some());
        // 4 texts of 100 with a hashtag or mention: below 5 %, the tokenizer is not searched.
        assert!(shape.moot(Dim::Tokens).unwrap().contains("#hashtag"));
        let tagged = DataShape {
            social: 5,
            ..shape.clone()
        };
        assert_eq!(tagged.moot(Dim::Tokens), None);
        assert!(shape.moot(Dim::Markers).is_some());
        assert!(shape.moot(Dim::PerActor).is_none());
        let one = DataShape {
            named: 100,
            examples: 100,
            multi_sentence: 0,
            actors: 1,
            texts: 100,
            social: 0,
        };
        assert_eq!(one.moot(Dim::Window), Some("every text is one sentence"));
        assert!(one.moot(Dim::Markers).is_none());
        assert_eq!(one.moot(Dim::PerActor), Some("one actor only"));
    }

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
                budget_seconds: 60.0,
                seconds: 58.5,
                trials: 9,
                selection_score: 0.61,
                start_score: 0.58,
                searched: vec![Dim::PerActor, Dim::Alpha],
                out_of_budget: true,
                honest: Some(Honest {
                    estimate: Estimate::Holdout,
                    n: 40,
                    auto: 0.6,
                    start: 0.55,
                    chosen: vec!["--per-actor".into()],
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
    }
}
