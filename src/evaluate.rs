//! Evaluation: k-fold cross-validation with the featurizer fitted inside each fold, and
//! evaluation of a trained model on held-out labeled data. Both produce an [`EvalReport`]:
//! per-class precision/recall/F1 with macro and weighted averages, macro-F1, F_avg, accuracy,
//! the confusion matrix, a per-actor table, the majority-class baseline, and (for
//! cross-validation) the spread over folds.

use crate::context::Analysis;
use crate::cv::assign_folds;
use crate::error::Result;
use crate::labels::{LabelSet, Task};
use crate::metrics::{mean_sd, reliability, ClassScores, Confusion, Reliability};
use crate::model::argmax;
use crate::pipeline::train::{fit_on, Models, Prepared};
use crate::pipeline::{ScoreOptions, StanceModel, TrainConfig, TrainingSet};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One held-out prediction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// The article's id.
    pub id: String,
    /// Which task.
    pub task: Task,
    /// The actor, for stance; None for sentiment.
    pub actor: Option<String>,
    /// The fold (1-based) that held the example out; None when a trained model was evaluated.
    pub fold: Option<usize>,
    /// The true label.
    pub truth: String,
    /// The predicted (most probable) label.
    pub predicted: String,
    /// Each label's probability.
    pub probabilities: BTreeMap<String, f64>,
}

/// Mean and standard deviation over folds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    /// Mean over folds.
    pub mean: f64,
    /// Standard deviation over folds.
    pub sd: f64,
    /// The value of each fold.
    pub values: Vec<f64>,
}

/// The spread over folds of each headline measure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoldSpread {
    /// Accuracy.
    pub accuracy: Spread,
    /// F_avg, when the positive and negative labels are known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub f_avg: Option<Spread>,
    /// Macro-F1.
    pub macro_f1: Spread,
}

/// A per-actor row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActorRow {
    /// The actor.
    pub actor: String,
    /// Its examples.
    pub n: usize,
    /// Accuracy on them.
    pub accuracy: f64,
    /// Over the labels present in this actor's truth or predictions.
    pub macro_f1: f64,
    /// F_avg on them.
    pub f_avg: Option<f64>,
    /// True labels: count of each.
    pub labels: BTreeMap<String, usize>,
}

/// The majority-class baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    /// Its macro-F1.
    pub macro_f1: f64,
    /// Its accuracy.
    pub accuracy: f64,
    /// Its F_avg.
    pub f_avg: Option<f64>,
}

/// Precision, recall and F1 averaged over labels: unweighted (macro) or weighted by support
/// (scikit-learn's "macro avg" and "weighted avg" rows).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Averages {
    /// Mean precision.
    pub precision: f64,
    /// Mean recall.
    pub recall: f64,
    /// Mean F1.
    pub f1: f64,
}

impl Averages {
    /// The unweighted and the support-weighted averages of per-class scores.
    pub fn of(per_class: &[ClassScores]) -> (Averages, Averages) {
        let k = per_class.len().max(1) as f64;
        let total: u64 = per_class.iter().map(|c| c.support).sum();
        let w = |c: &ClassScores| {
            if total == 0 {
                0.0
            } else {
                c.support as f64 / total as f64
            }
        };
        let sum = |f: &dyn Fn(&ClassScores) -> f64| per_class.iter().map(f).sum::<f64>();
        (
            Averages {
                precision: sum(&|c| c.precision) / k,
                recall: sum(&|c| c.recall) / k,
                f1: sum(&|c| c.f1) / k,
            },
            Averages {
                precision: sum(&|c| w(c) * c.precision),
                recall: sum(&|c| w(c) * c.recall),
                f1: sum(&|c| w(c) * c.f1),
            },
        )
    }
}

/// The evaluation of one task (stance or sentiment).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskReport {
    /// Which task.
    pub task: Task,
    /// Examples evaluated.
    pub n: usize,
    /// The labels, in the order of the confusion matrix.
    pub classes: Vec<String>,
    /// Mean F1 over every label.
    pub macro_f1: f64,
    /// Mean F1 of the positive and negative labels (SemEval-2016's F_avg), when both exist.
    pub f_avg: Option<f64>,
    /// Share of examples predicted right.
    pub accuracy: f64,
    /// Per label: precision, recall, F1, support.
    pub per_class: Vec<ClassScores>,
    /// Counts of (true, predicted) labels.
    pub confusion: Confusion,
    /// The majority-class baseline on the same examples.
    pub baseline: Baseline,
    /// Spread over folds (cross-validation only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folds: Option<FoldSpread>,
    /// Per actor (stance only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub per_actor: Vec<ActorRow>,
    /// How well the probabilities evaluated match how often they are right (the
    /// out-of-fold probabilities in cross-validation; the model's own in a held-out
    /// evaluation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reliability: Option<Reliability>,
    /// Cross-validation only: the same after temperature scaling fitted on the other folds'
    /// predictions (cross-fitted, so it is honest), which is how a trained model calibrates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibrated: Option<Reliability>,
}

/// Bins of the reliability tables.
pub const RELIABILITY_BINS: usize = 10;

/// Each prediction's probabilities (in the order of its labels) and the index of its true
/// label among them (`usize::MAX` when the model does not know it).
fn prob_rows(preds: &[Prediction]) -> (Vec<Vec<f64>>, Vec<usize>) {
    preds
        .iter()
        .map(|p| {
            let t = p
                .probabilities
                .keys()
                .position(|k| *k == p.truth)
                .unwrap_or(usize::MAX);
            (p.probabilities.values().copied().collect(), t)
        })
        .unzip()
}

/// The reliability of out-of-fold predictions after temperature scaling, each fold scaled by
/// the temperature fitted on the other folds.
fn cross_fitted_reliability(preds: &[Prediction], k: usize) -> Reliability {
    let (rows, truth) = prob_rows(preds);
    let mut scaled = rows.clone();
    for fold in 1..=k {
        let (fit_rows, fit_truth): (Vec<Vec<f64>>, Vec<usize>) = preds
            .iter()
            .zip(rows.iter().zip(&truth))
            .filter(|(p, (_, &t))| p.fold != Some(fold) && t != usize::MAX)
            .map(|(_, (r, &t))| (r.clone(), t))
            .unzip();
        let s = crate::quantify::recalibration::fit_scale(&fit_rows, &fit_truth);
        for (i, p) in preds.iter().enumerate() {
            if p.fold == Some(fold) {
                scaled[i] = crate::pipeline::scaled(rows[i].clone(), s);
            }
        }
    }
    reliability(&scaled, &truth, RELIABILITY_BINS)
}

impl TaskReport {
    /// The macro and weighted averages of precision, recall and F1.
    pub fn averages(&self) -> (Averages, Averages) {
        Averages::of(&self.per_class)
    }

    /// Whether the model does no better than always predicting the majority label: lower
    /// accuracy, or lower macro-F1, than the baseline.
    pub fn below_baseline(&self) -> bool {
        self.accuracy < self.baseline.accuracy || self.macro_f1 < self.baseline.macro_f1
    }
}

/// How an evaluation was run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EvalMethod {
    /// k-fold cross-validation on labeled data.
    CrossValidation,
    /// A trained model on labeled data it was not trained on.
    HeldOut,
}

/// How the evaluation was run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalSettings {
    /// Cross-validation or held-out.
    pub method: EvalMethod,
    /// Folds (cross-validation).
    pub folds: Option<usize>,
    /// Seed of the folds (cross-validation).
    pub seed: Option<u64>,
    /// What the folds were grouped by (cross-validation).
    pub group_by: Option<String>,
}

/// The full evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalReport {
    /// How it was run.
    pub settings: EvalSettings,
    /// Stance.
    pub stance: TaskReport,
    /// Sentiment, when the data had sentiment labels.
    pub sentiment: Option<TaskReport>,
}

impl EvalReport {
    /// The report of `task`, if there is one.
    pub fn task(&self, task: Task) -> Option<&TaskReport> {
        match task {
            Task::Stance => Some(&self.stance),
            Task::Sentiment => self.sentiment.as_ref(),
        }
    }
}

/// Builds a task report from predictions. `majority[i]` is the baseline's guess for
/// prediction i (the majority class of the data the model was trained on).
fn task_report(
    task: Task,
    labels: &LabelSet,
    preds: &[Prediction],
    majority: &[usize],
    folds: Option<usize>,
) -> TaskReport {
    let classes = labels.names();
    let idx = |l: &str| classes.iter().position(|c| c == l).expect("known label");
    let truth: Vec<usize> = preds.iter().map(|p| idx(&p.truth)).collect();
    let predicted: Vec<usize> = preds.iter().map(|p| idx(&p.predicted)).collect();
    let confusion = Confusion::from_pairs(classes.to_vec(), &truth, &predicted);
    let f_avg_of = |c: &Confusion| labels.polar_names().and_then(|(p, n)| c.f_avg(p, n));
    let base = Confusion::from_pairs(classes.to_vec(), &truth, majority);
    let fold_spread = folds.map(|k| {
        let (mut m, mut a, mut f) = (Vec::new(), Vec::new(), Vec::new());
        for fold in 1..=k {
            let (t, p): (Vec<usize>, Vec<usize>) = preds
                .iter()
                .zip(truth.iter().zip(&predicted))
                .filter(|(pr, _)| pr.fold == Some(fold))
                .map(|(_, (&t, &p))| (t, p))
                .unzip();
            let c = Confusion::from_pairs(classes.to_vec(), &t, &p);
            m.push(c.macro_f1());
            a.push(c.accuracy());
            if let Some(x) = f_avg_of(&c) {
                f.push(x);
            }
        }
        let spread = |v: Vec<f64>| {
            let (mean, sd) = mean_sd(&v);
            Spread {
                mean,
                sd,
                values: v,
            }
        };
        FoldSpread {
            macro_f1: spread(m),
            accuracy: spread(a),
            f_avg: (!f.is_empty()).then(|| spread(f)),
        }
    });
    let per_actor = if task == Task::Stance {
        per_actor_rows(preds, &truth, &predicted, classes, &f_avg_of)
    } else {
        Vec::new()
    };
    TaskReport {
        task,
        n: preds.len(),
        classes: classes.to_vec(),
        macro_f1: confusion.macro_f1(),
        f_avg: f_avg_of(&confusion),
        accuracy: confusion.accuracy(),
        per_class: confusion.per_class(),
        baseline: Baseline {
            macro_f1: base.macro_f1(),
            accuracy: base.accuracy(),
            f_avg: f_avg_of(&base),
        },
        confusion,
        folds: fold_spread,
        per_actor,
        reliability: {
            let (rows, truth) = prob_rows(preds);
            Some(reliability(&rows, &truth, RELIABILITY_BINS))
        },
        calibrated: folds.map(|k| cross_fitted_reliability(preds, k)),
    }
}

fn per_actor_rows(
    preds: &[Prediction],
    truth: &[usize],
    predicted: &[usize],
    classes: &[String],
    f_avg_of: &dyn Fn(&Confusion) -> Option<f64>,
) -> Vec<ActorRow> {
    let mut by_actor: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, p) in preds.iter().enumerate() {
        by_actor
            .entry(p.actor.as_deref().unwrap_or(""))
            .or_default()
            .push(i);
    }
    let mut rows: Vec<ActorRow> = by_actor
        .into_iter()
        .map(|(actor, rows)| {
            let t: Vec<usize> = rows.iter().map(|&i| truth[i]).collect();
            let p: Vec<usize> = rows.iter().map(|&i| predicted[i]).collect();
            let c = Confusion::from_pairs(classes.to_vec(), &t, &p);
            let mut labels = BTreeMap::new();
            for &x in &t {
                *labels.entry(classes[x].clone()).or_insert(0) += 1;
            }
            ActorRow {
                actor: actor.to_string(),
                n: rows.len(),
                accuracy: c.accuracy(),
                macro_f1: c.macro_f1_present(),
                f_avg: f_avg_of(&c),
                labels,
            }
        })
        .collect();
    rows.sort_by(|a, b| b.n.cmp(&a.n).then(a.actor.cmp(&b.actor)));
    rows
}

fn majority_class(labels: impl Iterator<Item = usize>, k: usize) -> usize {
    let mut count = vec![0usize; k];
    labels.for_each(|l| count[l] += 1);
    // The first of the most frequent.
    let mut best = 0;
    for (i, &c) in count.iter().enumerate() {
        if c > count[best] {
            best = i;
        }
    }
    best
}

/// The result of cross-validation: the report and every out-of-fold prediction.
pub struct CrossValidation {
    /// The report.
    pub report: EvalReport,
    /// Every out-of-fold prediction, stance first.
    pub predictions: Vec<Prediction>,
    /// Fits (stance and sentiment, over the folds) that stopped at the iteration limit
    /// before the gradient tolerance was met.
    pub unconverged: usize,
    /// The fold models (featurizer and classifiers fitted without the fold), in fold order.
    pub fold_models: Vec<crate::pipeline::train::Fitted>,
    /// The fold (0-based) of every article; `usize::MAX` for an article without labels.
    pub article_fold: Vec<usize>,
}

/// The fold of every article: folds shuffled with `seed`, stratified on the stance labels and,
/// for articles with a sentiment label, on it too (so both tasks get even folds), grouped by
/// article or by `group_by` so that each group sits on one side.
pub fn article_folds(
    set: &TrainingSet,
    k: usize,
    seed: u64,
    group_by: Option<&str>,
) -> Result<Vec<usize>> {
    set.check_group_field(group_by)?;
    let ks = set.stance_classes.len();
    let mut strat = Vec::new();
    let mut groups = Vec::new();
    let mut article = Vec::new();
    for (offset, task) in [(0, Task::Stance), (ks, Task::Sentiment)] {
        for e in set.task_examples(task) {
            strat.push(offset + e.label);
            groups.push(set.group_of(e.article, group_by));
            article.push(e.article);
        }
    }
    let n_strat = ks + set.sentiment_classes.len();
    let fold_of = assign_folds(&strat, &groups, n_strat, k, seed)?;
    // Articles with no label at all are never validated (and never matter in training).
    let mut out = vec![usize::MAX; set.articles.len()];
    for (&a, &f) in article.iter().zip(&fold_of) {
        out[a] = f;
    }
    Ok(out)
}

/// k-fold cross-validation: folds shuffled with `seed`, stratified by label, grouped by article
/// (or by `group_by`), the whole pipeline (featurizer included) fitted inside each fold, every
/// example validated exactly once.
pub fn cross_validate(
    set: &TrainingSet,
    cfg: &TrainConfig,
    k: usize,
    seed: u64,
    group_by: Option<&str>,
) -> Result<CrossValidation> {
    let checked = cfg.check()?;
    let prep = Prepared::new(set, &checked.context);
    cross_validate_prepared(set, &prep, cfg, k, seed, group_by)
}

/// [`cross_validate`] on contexts already cut (`prep`, which must have been made with
/// `cfg.context`): a search over settings that leave the contexts alone analyses the texts once.
pub fn cross_validate_prepared(
    set: &TrainingSet,
    prep: &Prepared<'_>,
    cfg: &TrainConfig,
    k: usize,
    seed: u64,
    group_by: Option<&str>,
) -> Result<CrossValidation> {
    let checked = cfg.check()?;
    if *prep.context() != checked.context {
        return Err(crate::error::Error::Config(
            "cross-validation was given contexts cut with other settings".into(),
        ));
    }
    let article_fold = article_folds(set, k, seed, group_by)?;

    let results: Vec<Result<Fold>> = (0..k)
        .into_par_iter()
        .map(|f| held_out_fold(set, prep, &article_fold, f, &checked, Models::Both))
        .collect();
    let mut all = Vec::new();
    let mut unconverged = 0;
    let mut fold_models = Vec::new();
    for r in results {
        let (out, u, fitted) = r?;
        all.extend(out);
        unconverged += u;
        fold_models.push(fitted);
    }
    let mut reports = Vec::new();
    let mut predictions = Vec::new();
    for task in Task::ALL {
        let (p, m): (Vec<Prediction>, Vec<usize>) =
            all.iter().filter(|(p, _)| p.task == task).cloned().unzip();
        if task == Task::Sentiment && p.is_empty() {
            reports.push(None);
            continue;
        }
        let labels = cfg.polarity.labels(task, set.classes(task).to_vec())?;
        reports.push(Some(task_report(task, &labels, &p, &m, Some(k))));
        predictions.extend(p);
    }
    let mut reports = reports.into_iter();
    Ok(CrossValidation {
        report: EvalReport {
            settings: EvalSettings {
                method: EvalMethod::CrossValidation,
                folds: Some(k),
                seed: Some(seed),
                group_by: Some(group_by.unwrap_or("id").to_string()),
            },
            stance: reports
                .next()
                .flatten()
                .expect("stance is always evaluated"),
            sentiment: reports.next().flatten(),
        },
        predictions,
        unconverged,
        fold_models,
        article_fold,
    })
}

/// The held-out predictions of some folds of a cross-validation only: for each fold `f` of
/// `folds` (0-based, in that order), the predictions of its examples by the pipeline trained
/// on every other fold of `article_fold`, as [`cross_validate_prepared`] makes them (all the
/// folds' predictions together are its stance predictions). A search can so score a setting
/// on a few folds first and finish the others only if it looks worth it. Only the stance
/// models are fitted (their featurizer still sees the sentiment documents, as in
/// cross-validation), so the predictions are of stance alone.
pub fn held_out_predictions(
    set: &TrainingSet,
    prep: &Prepared<'_>,
    cfg: &TrainConfig,
    article_fold: &[usize],
    folds: &[usize],
) -> Result<Vec<Vec<Prediction>>> {
    let checked = cfg.check()?;
    if *prep.context() != checked.context {
        return Err(crate::error::Error::Config(
            "cross-validation was given contexts cut with other settings".into(),
        ));
    }
    folds
        .par_iter()
        .map(|&f| {
            held_out_fold(set, prep, article_fold, f, &checked, Models::StanceOnly)
                .map(|(out, _, _)| out.into_iter().map(|(p, _)| p).collect())
        })
        .collect()
}

/// One fold's outcome: each prediction with the fold's majority class, the unconverged fits,
/// and the fold's model.
type Fold = (
    Vec<(Prediction, usize)>,
    usize,
    crate::pipeline::train::Fitted,
);

/// Trains on every fold but `f` and predicts the examples of fold `f`, for each task.
fn held_out_fold(
    set: &TrainingSet,
    prep: &Prepared<'_>,
    article_fold: &[usize],
    f: usize,
    checked: &crate::pipeline::CheckedConfig,
    fit: Models,
) -> Result<Fold> {
    let fitted = fit_on(set, prep, &|a| article_fold[a] != f, checked, fit)?;
    let mut unconverged = 0;
    let mut out = Vec::new();
    let mut scratch = crate::features::Scratch::default();
    for task in Task::ALL {
        let Some(model) = (match task {
            Task::Stance => Some(&fitted.stance),
            Task::Sentiment => fitted.sentiment.as_ref(),
        }) else {
            continue;
        };
        use crate::classifier::Classify;
        unconverged += usize::from(!model.classifier.report().converged);
        let examples = set.task_examples(task);
        let major = majority_class(
            examples
                .iter()
                .filter(|e| article_fold[e.article] != f)
                .map(|e| e.label),
            set.classes(task).len(),
        );
        for e in examples.iter().filter(|e| article_fold[e.article] == f) {
            let v = fitted.featurizer.transform(prep.doc(task, e), &mut scratch);
            let p = model.probabilities(&v);
            out.push((
                Prediction {
                    id: set.articles[e.article].article.id.clone(),
                    task,
                    actor: e.actor.map(str::to_string),
                    fold: Some(f + 1),
                    truth: set.classes(task)[e.label].clone(),
                    predicted: model.classes()[argmax(&p)].clone(),
                    probabilities: model.classes().iter().cloned().zip(p).collect(),
                },
                major,
            ));
        }
    }
    Ok((out, unconverged, fitted))
}

/// The stance predictions as calibration data for the quantification estimators.
pub fn calibration(preds: &[Prediction], classes: &[String]) -> crate::quantify::Calibration {
    let stance: Vec<&Prediction> = preds.iter().filter(|p| p.task == Task::Stance).collect();
    crate::quantify::Calibration {
        classes: classes.to_vec(),
        truth: stance
            .iter()
            .map(|p| classes.iter().position(|c| *c == p.truth).unwrap_or(0) as u32)
            .collect(),
        probabilities: stance
            .iter()
            .flat_map(|p| {
                classes
                    .iter()
                    .map(|c| p.probabilities.get(c).copied().unwrap_or(0.0))
            })
            .collect(),
        weights: Vec::new(),
    }
}

/// Every label of the data must be one the model knows; each one that is not is reported at
/// the first record that uses it.
fn check_labels(model: &StanceModel, set: &TrainingSet) -> Result<()> {
    let mut errors = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let hint = |l: &str, known: &[String]| {
        known
            .iter()
            .find(|k| k.to_lowercase() == l.trim().to_lowercase())
            .map_or(String::new(), |k| format!("; did you mean \"{k}\"?"))
    };
    let mut check = |task: Task, l: &str, field: &str, a: &crate::corpus::LabeledArticle| {
        let Some(m) = model.task(task) else { return };
        if !m.classes().iter().any(|c| c == l) && seen.insert((task, l.to_string())) {
            errors.push(crate::Error::input(
                &a.origin.file,
                Some(a.origin.line),
                Some(field),
                format!(
                    "label \"{l}\" is not one of the model's {task} labels ({}){}",
                    m.classes().join(", "),
                    hint(l, m.classes())
                ),
            ));
        }
    };
    for a in &set.articles {
        for (actor, l) in &a.stance {
            check(Task::Stance, l, &format!("stance.{actor}"), a);
        }
        if let Some(l) = &a.sentiment {
            check(Task::Sentiment, l, "sentiment", a);
        }
    }
    match errors.len() {
        0 => Ok(()),
        1 => Err(errors.pop().expect("one")),
        _ => Err(crate::Error::Inputs(errors)),
    }
}

/// The labels a held-out report shows: the model's, then any others the data holds.
fn report_labels(model_labels: &LabelSet, data: &[String]) -> LabelSet {
    let mut names = model_labels.names().to_vec();
    for c in data {
        if !names.contains(c) {
            names.push(c.clone());
        }
    }
    let positive = model_labels
        .positive()
        .map(|i| model_labels.names()[i].as_str());
    let negative = model_labels
        .negative()
        .map(|i| model_labels.names()[i].as_str());
    LabelSet::resolve(names, positive, negative).unwrap_or_default()
}

/// Evaluates a trained model on labeled data it was not trained on.
pub fn evaluate_model(
    model: &StanceModel,
    set: &TrainingSet,
) -> Result<(EvalReport, Vec<Prediction>)> {
    check_labels(model, set)?;
    let mut scorer = model.scorer(ScoreOptions {
        evidence: 0,
        only_listed: true,
        ..ScoreOptions::default()
    });
    let registry = model
        .registry
        .with_names(set.examples.iter().map(|e| e.actor.as_str()))?;
    let analyses: Vec<Analysis> = set
        .articles
        .iter()
        .map(|a| Analysis::with_tokens(&a.article.text, &registry, model.config.context.tokens))
        .collect();
    let mut reports = Vec::new();
    let mut all = Vec::new();
    for task in Task::ALL {
        let Some(m) = model.task(task) else {
            reports.push(None);
            continue;
        };
        let preds: Vec<Prediction> = set
            .task_examples(task)
            .iter()
            .map(|e| {
                let p = match e.actor {
                    Some(actor) => scorer
                        .stance_probabilities(&analyses[e.article], (actor, registry.index(actor))),
                    None => {
                        let s = scorer.score(&set.articles[e.article].article);
                        let s = s.sentiment.expect("the model has a sentiment classifier");
                        m.classes().iter().map(|c| s.probabilities[c]).collect()
                    }
                };
                Prediction {
                    id: set.articles[e.article].article.id.clone(),
                    task,
                    actor: e.actor.map(str::to_string),
                    fold: None,
                    truth: set.classes(task)[e.label].clone(),
                    predicted: m.classes()[argmax(&p)].clone(),
                    probabilities: m.classes().iter().cloned().zip(p).collect(),
                }
            })
            .collect();
        if task == Task::Sentiment && preds.is_empty() {
            reports.push(None);
            continue;
        }
        let labels = report_labels(&m.labels, set.classes(task));
        let major = match task {
            Task::Stance => training_majority(model, m.classes()),
            // The model file keeps no sentiment label counts: the first label stands in.
            Task::Sentiment => 0,
        };
        let majority = vec![major; preds.len()];
        reports.push(Some(task_report(task, &labels, &preds, &majority, None)));
        all.extend(preds);
    }
    let mut reports = reports.into_iter();
    Ok((
        EvalReport {
            settings: EvalSettings {
                method: EvalMethod::HeldOut,
                folds: None,
                seed: None,
                group_by: None,
            },
            stance: reports
                .next()
                .flatten()
                .expect("stance is always evaluated"),
            sentiment: reports.next().flatten(),
        },
        all,
    ))
}

/// The majority stance label of the model's training data (the baseline's guess).
fn training_majority(model: &StanceModel, classes: &[String]) -> usize {
    let mut train_counts: BTreeMap<&str, usize> = BTreeMap::new();
    for counts in model.info.actors.values() {
        for (l, n) in counts {
            *train_counts.entry(l.as_str()).or_default() += n;
        }
    }
    classes
        .iter()
        .enumerate()
        .max_by(|a, b| {
            let ca = train_counts.get(a.1.as_str()).copied().unwrap_or(0);
            let cb = train_counts.get(b.1.as_str()).copied().unwrap_or(0);
            ca.cmp(&cb).then(b.0.cmp(&a.0))
        })
        .map_or(0, |(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn majority_takes_first_of_ties() {
        assert_eq!(majority_class([1, 2, 2, 1].into_iter(), 3), 1);
        assert_eq!(majority_class([0, 2, 2].into_iter(), 3), 2);
    }

    #[test]
    fn macro_and_weighted_averages_by_hand() {
        let c = |p: f64, r: f64, f1: f64, support: u64| ClassScores {
            class: "x".into(),
            precision: p,
            recall: r,
            f1,
            support,
        };
        // Supports 1 and 3: weights 1/4 and 3/4.
        let (m, w) = Averages::of(&[c(1.0, 0.5, 0.6, 1), c(0.5, 1.0, 0.8, 3)]);
        assert!((m.precision - 0.75).abs() < 1e-12 && (m.f1 - 0.7).abs() < 1e-12);
        assert!((w.precision - 0.625).abs() < 1e-12);
        assert!((w.recall - 0.875).abs() < 1e-12);
        assert!((w.f1 - 0.75).abs() < 1e-12);
    }

    #[test]
    fn eval_method_names_are_stable() {
        assert_eq!(
            serde_json::to_string(&EvalMethod::CrossValidation).unwrap(),
            "\"cross-validation\""
        );
        assert_eq!(
            serde_json::to_string(&EvalMethod::HeldOut).unwrap(),
            "\"held-out\""
        );
    }
}
