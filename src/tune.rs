//! Choosing settings honestly: a grid of settings scored by cross-validation on training data,
//! and nested cross-validation (the grid searched again inside each outer training split) for
//! an unbiased estimate of how well the whole procedure, search included, does on new data.

use crate::context::{Markers, Window};
use crate::error::Result;
use crate::evaluate::{cross_validate, evaluate_model, EvalReport};
use crate::labels::Task;
use crate::metrics::Confusion;
use crate::pipeline::{StanceModel, TrainConfig, TrainingSet};
use serde::{Deserialize, Serialize};

/// One point of the grid: a name for people and the settings.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// The settings, as people read them.
    pub name: String,
    /// The settings.
    pub config: TrainConfig,
}

/// Candidate settings: every combination of the values given for each setting.
#[derive(Debug, Clone)]
pub struct Grid {
    /// Candidate L2 penalties.
    pub alpha: Vec<f64>,
    /// Candidate word n-gram ranges.
    pub ngrams: Vec<(usize, usize)>,
    /// Candidate character n-gram ranges (None: off).
    pub char_ngrams: Vec<Option<(usize, usize)>>,
    /// Candidate windows.
    pub window: Vec<Window>,
    /// Candidate marker settings.
    pub markers: Vec<Markers>,
    /// Candidate actor-prior settings.
    pub actor_prior: Vec<bool>,
}

impl Grid {
    /// Every combination, on top of `base`.
    pub fn candidates(&self, base: &TrainConfig) -> Vec<Candidate> {
        let mut out = Vec::new();
        for &alpha in &self.alpha {
            for &ngrams in &self.ngrams {
                for &chars in &self.char_ngrams {
                    for &window in &self.window {
                        for &markers in &self.markers {
                            for &prior in &self.actor_prior {
                                let mut c = base.clone();
                                c.logistic.alpha = alpha;
                                c.features.word_ngrams = ngrams;
                                c.features.char_ngrams = chars;
                                c.context.window = window;
                                c.context.markers = markers;
                                c.context.actor_prior = prior;
                                let markers = markers.name();
                                let name = format!(
                                    "alpha={alpha} ngrams={}-{} chars={} window={window} markers={markers} prior={prior}",
                                    ngrams.0,
                                    ngrams.1,
                                    chars.map_or("off".to_string(), |(a, b)| format!("{a}-{b}")),
                                );
                                out.push(Candidate { name, config: c });
                            }
                        }
                    }
                }
            }
        }
        out
    }
}

/// A candidate's cross-validated stance macro-F1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scored {
    /// The candidate's settings.
    pub name: String,
    /// Its cross-validated stance macro-F1.
    pub macro_f1: f64,
    /// Standard deviation over folds.
    pub sd: f64,
}

/// Scores every candidate by k-fold cross-validation on `set`, best first.
pub fn search(
    set: &TrainingSet,
    candidates: &[Candidate],
    k: usize,
    seed: u64,
    group_by: Option<&str>,
) -> Result<Vec<(Scored, usize)>> {
    let mut scored = Vec::new();
    for (i, c) in candidates.iter().enumerate() {
        let cv = cross_validate(set, &c.config, k, seed, group_by)?;
        let spread = cv.report.stance.folds.as_ref().map(|f| f.macro_f1.clone());
        scored.push((
            Scored {
                name: c.name.clone(),
                macro_f1: cv.report.stance.macro_f1,
                sd: spread.map_or(0.0, |s| s.sd),
            },
            i,
        ));
    }
    // Best first; ties go to the earlier (simpler, as listed) candidate.
    scored.sort_by(|a, b| b.0.macro_f1.total_cmp(&a.0.macro_f1).then(a.1.cmp(&b.1)));
    Ok(scored)
}

/// One outer fold of nested cross-validation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OuterFold {
    /// The outer fold (1-based).
    pub fold: usize,
    /// The settings the inner search chose.
    pub chosen: String,
    /// The chosen candidate's inner cross-validated macro-F1.
    pub inner_macro_f1: f64,
    /// Its macro-F1 on the outer held-out fold.
    pub outer_macro_f1: f64,
    /// Examples in the outer fold.
    pub outer_n: usize,
}

/// The result of nested cross-validation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Nested {
    /// Outer folds.
    pub outer_folds: usize,
    /// Inner folds.
    pub inner_folds: usize,
    /// Each outer fold.
    pub folds: Vec<OuterFold>,
    /// Pooled over the outer folds: the honest estimate of the tuned procedure.
    pub macro_f1: f64,
    /// Pooled accuracy.
    pub accuracy: f64,
    /// Pooled F_avg.
    pub f_avg: Option<f64>,
    /// Pooled confusion matrix.
    pub confusion: Confusion,
}

/// Nested cross-validation: outer folds grouped by article; in each, the grid is searched by
/// `inner`-fold cross-validation on the outer training part only, and the winner is trained
/// there and scored on the held-out part.
pub fn nested(
    set: &TrainingSet,
    candidates: &[Candidate],
    outer: usize,
    inner: usize,
    seed: u64,
    group_by: Option<&str>,
) -> Result<Nested> {
    // The outer folds are those of an ordinary cross-validation with the same seed: reuse its
    // assignment through the out-of-fold predictions' fold numbers.
    let base = cross_validate(set, &candidates[0].config, outer, seed, group_by)?;
    let mut article_fold = std::collections::HashMap::new();
    for p in &base.predictions {
        if let Some(f) = p.fold {
            article_fold.insert(p.id.clone(), f);
        }
    }
    let mut folds = Vec::new();
    let mut confusion = Confusion::new(set.stance_classes.clone());
    let mut report: Option<EvalReport> = None;
    for f in 1..=outer {
        let in_fold = |i: usize| article_fold.get(&set.articles[i].article.id) == Some(&f);
        let train_idx: Vec<usize> = (0..set.articles.len()).filter(|&i| !in_fold(i)).collect();
        let test_idx: Vec<usize> = (0..set.articles.len()).filter(|&i| in_fold(i)).collect();
        let train = set.subset(&train_idx);
        let test = set.subset(&test_idx);
        let ranked = search(&train, candidates, inner, seed, group_by)?;
        let (best, bi) = &ranked[0];
        let model = StanceModel::train(&train, &candidates[*bi].config, seed)?;
        let (r, preds) = evaluate_model(&model, &test)?;
        for p in preds.iter().filter(|p| p.task == Task::Stance) {
            let t = set.stance_classes.iter().position(|c| *c == p.truth);
            let q = set.stance_classes.iter().position(|c| *c == p.predicted);
            if let (Some(t), Some(q)) = (t, q) {
                confusion.add(t, q);
            }
        }
        folds.push(OuterFold {
            fold: f,
            chosen: best.name.clone(),
            inner_macro_f1: best.macro_f1,
            outer_macro_f1: r.stance.macro_f1,
            outer_n: r.stance.n,
        });
        report = Some(r);
    }
    let f_avg = report.and_then(|_| {
        let labels = candidates[0]
            .config
            .polarity
            .labels(Task::Stance, set.stance_classes.clone())
            .ok()?;
        let (p, n) = labels.polar_names()?;
        confusion.f_avg(p, n)
    });
    Ok(Nested {
        outer_folds: outer,
        inner_folds: inner,
        folds,
        macro_f1: confusion.macro_f1(),
        accuracy: confusion.accuracy(),
        f_avg,
        confusion,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_is_the_cartesian_product() {
        let g = Grid {
            alpha: vec![0.1, 1.0],
            ngrams: vec![(1, 1), (1, 2)],
            char_ngrams: vec![None],
            window: vec![Window::Sentences(0), Window::Sentences(1)],
            markers: vec![Markers::Both],
            actor_prior: vec![true],
        };
        let c = g.candidates(&TrainConfig::default());
        assert_eq!(c.len(), 8);
        assert_eq!(
            c[0].name,
            "alpha=0.1 ngrams=1-1 chars=off window=0 markers=both prior=true"
        );
        assert_eq!(c[7].config.logistic.alpha, 1.0);
        assert_eq!(c[7].config.context.window, Window::Sentences(1));
        assert_eq!(c[7].config.features.word_ngrams, (1, 2));
    }
}
