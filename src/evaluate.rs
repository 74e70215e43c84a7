//! Evaluation: k-fold cross-validation with the featurizer fitted inside each fold, and
//! evaluation of a trained model on held-out labeled data. Both produce an [`EvalReport`]:
//! per-class precision/recall/F1, macro-F1, F_avg, accuracy, the confusion matrix, a per-actor
//! table, the majority-class baseline, and (for cross-validation) the spread over folds.

use crate::context::Analysis;
use crate::cv::assign_folds;
use crate::error::Result;
use crate::features::Scratch;
use crate::metrics::{mean_sd, ClassScores, Confusion};
use crate::model::argmax;
use crate::pipeline::{fit_on, Prepared, StanceModel, TrainConfig, TrainingSet};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One held-out prediction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    pub id: String,
    pub task: String,
    /// The actor, for stance; None for sentiment.
    pub actor: Option<String>,
    /// The fold (1-based) that held the example out; None when a trained model was evaluated.
    pub fold: Option<usize>,
    pub truth: String,
    pub predicted: String,
    pub probabilities: BTreeMap<String, f64>,
}

/// Mean and standard deviation over folds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    pub mean: f64,
    pub sd: f64,
    pub values: Vec<f64>,
}

/// A per-actor row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActorRow {
    pub actor: String,
    pub n: usize,
    pub accuracy: f64,
    /// Over the labels present in this actor's truth or predictions.
    pub macro_f1: f64,
    pub f_avg: Option<f64>,
    /// True labels: count of each.
    pub labels: BTreeMap<String, usize>,
}

/// The majority-class baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    pub macro_f1: f64,
    pub accuracy: f64,
    pub f_avg: Option<f64>,
}

/// The evaluation of one task (stance or sentiment).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskReport {
    pub task: String,
    pub n: usize,
    pub classes: Vec<String>,
    pub macro_f1: f64,
    /// Mean F1 of the positive and negative labels (SemEval-2016's F_avg), when both exist.
    pub f_avg: Option<f64>,
    pub accuracy: f64,
    pub per_class: Vec<ClassScores>,
    pub confusion: Confusion,
    pub baseline: Baseline,
    /// Per fold: macro-F1, accuracy and F_avg (cross-validation only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folds: Option<BTreeMap<String, Spread>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub per_actor: Vec<ActorRow>,
}

/// How the evaluation was run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalSettings {
    /// "cross-validation" or "held-out".
    pub method: String,
    pub folds: Option<usize>,
    pub seed: Option<u64>,
    pub group_by: Option<String>,
}

/// The full evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalReport {
    pub settings: EvalSettings,
    pub stance: TaskReport,
    pub sentiment: Option<TaskReport>,
}

fn labels_of(pol: (Option<usize>, Option<usize>), classes: &[String]) -> Option<(String, String)> {
    Some((classes[pol.0?].clone(), classes[pol.1?].clone()))
}

/// Builds a task report from predictions. `majority[i]` is the baseline's guess for
/// prediction i (the majority class of the data the model was trained on).
fn task_report(
    task: &str,
    classes: &[String],
    preds: &[Prediction],
    majority: &[usize],
    polarity: Option<(String, String)>,
    folds: Option<usize>,
) -> TaskReport {
    let idx = |l: &str| classes.iter().position(|c| c == l).expect("known label");
    let truth: Vec<usize> = preds.iter().map(|p| idx(&p.truth)).collect();
    let predicted: Vec<usize> = preds.iter().map(|p| idx(&p.predicted)).collect();
    let confusion = Confusion::from_pairs(classes.to_vec(), &truth, &predicted);
    let f_avg_of = |c: &Confusion| polarity.as_ref().and_then(|(p, n)| c.f_avg(p, n));
    let base = Confusion::from_pairs(classes.to_vec(), &truth, majority);
    let fold_spread = folds.map(|k| {
        let mut m = Vec::new();
        let mut a = Vec::new();
        let mut f = Vec::new();
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
        let mut out = BTreeMap::new();
        out.insert("macro_f1".to_string(), spread(m));
        out.insert("accuracy".to_string(), spread(a));
        if !f.is_empty() {
            out.insert("f_avg".to_string(), spread(f));
        }
        out
    });
    let mut per_actor = Vec::new();
    if task == "stance" {
        let mut by_actor: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, p) in preds.iter().enumerate() {
            by_actor
                .entry(p.actor.as_deref().unwrap_or(""))
                .or_default()
                .push(i);
        }
        for (actor, rows) in by_actor {
            let t: Vec<usize> = rows.iter().map(|&i| truth[i]).collect();
            let p: Vec<usize> = rows.iter().map(|&i| predicted[i]).collect();
            let c = Confusion::from_pairs(classes.to_vec(), &t, &p);
            let mut labels = BTreeMap::new();
            for &x in &t {
                *labels.entry(classes[x].clone()).or_insert(0) += 1;
            }
            per_actor.push(ActorRow {
                actor: actor.to_string(),
                n: rows.len(),
                accuracy: c.accuracy(),
                macro_f1: c.macro_f1_present(),
                f_avg: f_avg_of(&c),
                labels,
            });
        }
        per_actor.sort_by(|a, b| b.n.cmp(&a.n).then(a.actor.cmp(&b.actor)));
    }
    TaskReport {
        task: task.to_string(),
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
    }
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
    pub report: EvalReport,
    pub predictions: Vec<Prediction>,
    /// Fits (stance and sentiment, over the folds) that stopped at the iteration limit
    /// before the gradient tolerance was met.
    pub unconverged: usize,
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
    let ks = set.stance_classes.len();
    // Stratify on stance labels and, for articles with a sentiment label, on it too, so both
    // tasks get even folds; grouping by article keeps each article on one side.
    let mut strat_labels: Vec<usize> = set.examples.iter().map(|e| e.label).collect();
    let mut groups = set.groups(group_by);
    for (a, s) in set.sentiment.iter().enumerate() {
        if let Some(s) = s {
            strat_labels.push(ks + s);
            groups.push(set.group_of(a, group_by));
        }
    }
    let n_strat = ks + set.sentiment_classes.len();
    let fold_of = assign_folds(&strat_labels, &groups, n_strat, k, seed)?;
    let ex_fold = &fold_of[..set.examples.len()];
    // The fold of each article: that of its group.
    let mut article_fold = vec![usize::MAX; set.articles.len()];
    for (e, &f) in set.examples.iter().zip(ex_fold) {
        article_fold[e.article] = f;
    }
    let mut j = set.examples.len();
    for (a, s) in set.sentiment.iter().enumerate() {
        if s.is_some() {
            article_fold[a] = fold_of[j];
            j += 1;
        }
    }
    let prep = Prepared::new(set, &cfg.context);
    // Per fold: each prediction with the fold's majority class, and the unconverged fits.
    type Fold = (Vec<(Prediction, usize)>, usize);
    let results: Vec<Result<Fold>> = (0..k)
        .into_par_iter()
        .map(|f| {
            let train: Vec<usize> = (0..set.examples.len())
                .filter(|&i| ex_fold[i] != f)
                .collect();
            let test: Vec<usize> = (0..set.examples.len())
                .filter(|&i| ex_fold[i] == f)
                .collect();
            let train_articles: Vec<usize> = (0..set.articles.len())
                .filter(|&a| article_fold[a] != f)
                .collect();
            let (featurizer, stance, sentiment) = fit_on(set, &prep, &train, &train_articles, cfg)?;
            let unconverged = usize::from(!stance.report.converged)
                + sentiment
                    .as_ref()
                    .map_or(0, |s| usize::from(!s.report.converged));
            let stance_major = majority_class(train.iter().map(|&i| set.examples[i].label), ks);
            let mut scratch = Scratch::default();
            let mut out = Vec::new();
            for &i in &test {
                let e = &set.examples[i];
                let v = featurizer.transform(
                    crate::features::Doc {
                        analysis: &prep.analyses[e.article],
                        pieces: &prep.contexts[i].pieces,
                        actor: cfg.context.prior(&e.actor),
                    },
                    &mut scratch,
                );
                let p = stance.probabilities(&v);
                out.push((
                    Prediction {
                        id: set.articles[e.article].article.id.clone(),
                        task: "stance".into(),
                        actor: Some(e.actor.clone()),
                        fold: Some(f + 1),
                        truth: set.stance_classes[e.label].clone(),
                        predicted: stance.classes[argmax(&p)].clone(),
                        probabilities: stance.classes.iter().cloned().zip(p).collect(),
                    },
                    stance_major,
                ));
            }
            if let Some(sent) = sentiment {
                let major = majority_class(
                    train_articles.iter().filter_map(|&a| set.sentiment[a]),
                    set.sentiment_classes.len(),
                );
                for a in (0..set.articles.len()).filter(|&a| article_fold[a] == f) {
                    let Some(t) = set.sentiment[a] else { continue };
                    let v = featurizer.transform(
                        crate::features::Doc {
                            analysis: &prep.analyses[a],
                            pieces: &prep.whole[a].pieces,
                            actor: None,
                        },
                        &mut scratch,
                    );
                    let p = sent.probabilities(&v);
                    out.push((
                        Prediction {
                            id: set.articles[a].article.id.clone(),
                            task: "sentiment".into(),
                            actor: None,
                            fold: Some(f + 1),
                            truth: set.sentiment_classes[t].clone(),
                            predicted: sent.classes[argmax(&p)].clone(),
                            probabilities: sent.classes.iter().cloned().zip(p).collect(),
                        },
                        major,
                    ));
                }
            }
            Ok((out, unconverged))
        })
        .collect();
    let mut all = Vec::new();
    let mut unconverged = 0;
    for r in results {
        let (out, u) = r?;
        all.extend(out);
        unconverged += u;
    }
    let (stance_p, sent_p): (Vec<_>, Vec<_>) =
        all.into_iter().partition(|(p, _)| p.task == "stance");
    let stance_pol = crate::pipeline::resolve_polarity(
        &set.stance_classes,
        cfg.polarity.stance_positive.as_deref(),
        cfg.polarity.stance_negative.as_deref(),
    )?;
    let (sp, sm): (Vec<Prediction>, Vec<usize>) = stance_p.into_iter().unzip();
    let stance = task_report(
        "stance",
        &set.stance_classes,
        &sp,
        &sm,
        labels_of(stance_pol, &set.stance_classes),
        Some(k),
    );
    let sentiment = if sent_p.is_empty() {
        None
    } else {
        let pol = crate::pipeline::resolve_polarity(
            &set.sentiment_classes,
            cfg.polarity.sentiment_positive.as_deref(),
            cfg.polarity.sentiment_negative.as_deref(),
        )?;
        let (p, m): (Vec<Prediction>, Vec<usize>) = sent_p.iter().cloned().unzip();
        Some(task_report(
            "sentiment",
            &set.sentiment_classes,
            &p,
            &m,
            labels_of(pol, &set.sentiment_classes),
            Some(k),
        ))
    };
    let mut predictions = sp;
    predictions.extend(sent_p.into_iter().map(|(p, _)| p));
    Ok(CrossValidation {
        report: EvalReport {
            settings: EvalSettings {
                method: "cross-validation".into(),
                folds: Some(k),
                seed: Some(seed),
                group_by: Some(group_by.unwrap_or("id").to_string()),
            },
            stance,
            sentiment,
        },
        predictions,
        unconverged,
    })
}

/// The stance predictions as calibration data for the quantification estimators.
pub fn calibration(preds: &[Prediction], classes: &[String]) -> crate::quantify::Calibration {
    let stance: Vec<&Prediction> = preds.iter().filter(|p| p.task == "stance").collect();
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
    }
}

/// Evaluates a trained model on labeled data it was not trained on.
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
    for a in &set.articles {
        for (actor, l) in &a.stance {
            if !model.stance.classes.contains(l) && seen.insert(("stance", l.clone())) {
                errors.push(crate::Error::input(
                    &a.origin.0,
                    Some(a.origin.1),
                    Some(&format!("stance.{actor}")),
                    format!(
                        "label \"{l}\" is not one of the model's stance labels ({}){}",
                        model.stance.classes.join(", "),
                        hint(l, &model.stance.classes)
                    ),
                ));
            }
        }
        if let (Some(l), Some(sm)) = (&a.sentiment, &model.sentiment) {
            if !sm.classes.contains(l) && seen.insert(("sentiment", l.clone())) {
                errors.push(crate::Error::input(
                    &a.origin.0,
                    Some(a.origin.1),
                    Some("sentiment"),
                    format!(
                        "label \"{l}\" is not one of the model's sentiment labels ({}){}",
                        sm.classes.join(", "),
                        hint(l, &sm.classes)
                    ),
                ));
            }
        }
    }
    match errors.len() {
        0 => Ok(()),
        1 => Err(errors.pop().expect("one")),
        _ => Err(crate::Error::Inputs(errors)),
    }
}

pub fn evaluate_model(
    model: &StanceModel,
    set: &TrainingSet,
) -> Result<(EvalReport, Vec<Prediction>)> {
    check_labels(model, set)?;
    let mut scratch = Scratch::default();
    let classes = &model.stance.classes;
    // The baseline predicts the majority class of the model's training labels.
    let mut train_counts: BTreeMap<&str, usize> = BTreeMap::new();
    for counts in model.info.actors.values() {
        for (l, n) in counts {
            *train_counts.entry(l.as_str()).or_default() += n;
        }
    }
    let major = classes
        .iter()
        .enumerate()
        .max_by(|a, b| {
            let ca = train_counts.get(a.1.as_str()).copied().unwrap_or(0);
            let cb = train_counts.get(b.1.as_str()).copied().unwrap_or(0);
            ca.cmp(&cb).then(b.0.cmp(&a.0))
        })
        .map_or(0, |(i, _)| i);
    let mut report_classes = classes.clone();
    for c in &set.stance_classes {
        if !report_classes.contains(c) {
            report_classes.push(c.clone());
        }
    }
    let registry = model
        .registry
        .with_names(set.examples.iter().map(|e| e.actor.as_str()))?;
    let analyses: Vec<Analysis> = set
        .articles
        .iter()
        .map(|a| Analysis::new(&a.article.text, &registry))
        .collect();
    let mut preds = Vec::new();
    for e in &set.examples {
        let analysis = &analyses[e.article];
        let p = model.stance_probabilities(
            analysis,
            (&e.actor, registry.index(&e.actor)),
            &mut scratch,
        );
        preds.push(Prediction {
            id: set.articles[e.article].article.id.clone(),
            task: "stance".into(),
            actor: Some(e.actor.clone()),
            fold: None,
            truth: set.stance_classes[e.label].clone(),
            predicted: classes[argmax(&p)].clone(),
            probabilities: classes.iter().cloned().zip(p).collect(),
        });
    }
    let majority = vec![major; preds.len()];
    let stance = task_report(
        "stance",
        &report_classes,
        &preds,
        &majority,
        labels_of(model.stance_polarity, classes),
        None,
    );
    let mut sentiment = None;
    if let Some(sm) = &model.sentiment {
        let mut sp = Vec::new();
        for (a, s) in set.sentiment.iter().enumerate() {
            let Some(t) = s else { continue };
            let score = model.score(
                &set.articles[a].article,
                &crate::pipeline::ScoreOptions {
                    evidence: 0,
                    only_listed: true,
                    ..Default::default()
                },
                &mut scratch,
            );
            let ls = score.sentiment.expect("model has a sentiment classifier");
            sp.push(Prediction {
                id: set.articles[a].article.id.clone(),
                task: "sentiment".into(),
                actor: None,
                fold: None,
                truth: set.sentiment_classes[*t].clone(),
                predicted: ls.label,
                probabilities: ls.probabilities,
            });
        }
        if !sp.is_empty() {
            let mut classes = sm.classes.clone();
            for c in &set.sentiment_classes {
                if !classes.contains(c) {
                    classes.push(c.clone());
                }
            }
            let n = sp.len();
            sentiment = Some(task_report(
                "sentiment",
                &classes,
                &sp,
                &vec![0; n],
                labels_of(model.sentiment_polarity, &sm.classes),
                None,
            ));
        }
        preds.extend(sp);
    }
    Ok((
        EvalReport {
            settings: EvalSettings {
                method: "held-out".into(),
                folds: None,
                seed: None,
                group_by: None,
            },
            stance,
            sentiment,
        },
        preds,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn majority_takes_first_of_ties() {
        assert_eq!(majority_class([1, 2, 2, 1].into_iter(), 3), 1);
        assert_eq!(majority_class([0, 2, 2].into_iter(), 3), 2);
    }
}
