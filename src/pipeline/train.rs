//! Fitting: the featurizer on the training contexts of both tasks, then one classifier per
//! task; and training with cross-validation, which stores the cross-validation report and the
//! out-of-fold predictions (the calibration `stance compare` corrects shares with) in the
//! model.

use super::dataset::TaskExample;
use super::{CheckedConfig, StanceModel, TaskModel, TrainConfig, TrainingInfo, TrainingSet};
use crate::classifier::TaskClassifier;
use crate::context::{context, Analysis, Context, ContextConfig};
use crate::error::{Error, Result};
use crate::evaluate::{cross_validate, CrossValidation};
use crate::features::{Doc, Featurizer, Scratch, SparseVec};
use crate::labels::Task;
use crate::model::Csr;
use std::collections::BTreeMap;

/// The analysed articles of a training set with each example's context, built once and shared
/// by every fit (the folds of cross-validation, the final model).
pub struct Prepared<'a> {
    /// Per article, its analysis.
    pub analyses: Vec<Analysis<'a>>,
    /// Per stance example, the actor's context.
    pub contexts: Vec<Context>,
    /// Per article, the whole text (the sentiment context).
    pub whole: Vec<Context>,
    context: ContextConfig,
}

impl<'a> Prepared<'a> {
    /// Analyses every article and cuts every example's context.
    pub fn new(set: &'a TrainingSet, cfg: &ContextConfig) -> Prepared<'a> {
        // The actors are matched as the settings say (the model file rebuilds its registry
        // from them), whatever the training set's registry was built with.
        let own;
        let registry = match set.registry.name_forms() == cfg.name_forms {
            true => &set.registry,
            false => match set.registry.with_name_forms(cfg.name_forms) {
                Ok(r) => {
                    own = r;
                    &own
                }
                // Cannot happen (the same actors built once already); match as the set does.
                Err(_) => &set.registry,
            },
        };
        let analyses: Vec<Analysis> = set
            .articles
            .iter()
            .map(|a| Analysis::with_tokens(&a.article.text, registry, cfg.tokens))
            .collect();
        let contexts = set
            .examples
            .iter()
            .map(|e| {
                let actor = registry.index(&e.actor);
                context(&analyses[e.article], actor, cfg)
            })
            .collect();
        let whole = analyses.iter().map(|a| context(a, None, cfg)).collect();
        Prepared {
            analyses,
            contexts,
            whole,
            context: cfg.clone(),
        }
    }

    /// The context settings the contexts were cut with.
    pub fn context(&self) -> &ContextConfig {
        &self.context
    }

    /// The document the featurizer sees for an example of `task`.
    pub fn doc<'p>(&'p self, task: Task, e: &TaskExample<'p>) -> Doc<'p> {
        let pieces = match task {
            Task::Stance => &self.contexts[e.slot].pieces,
            Task::Sentiment => &self.whole[e.slot].pieces,
        };
        Doc {
            analysis: &self.analyses[e.article],
            pieces,
            actor: e.actor.and_then(|a| self.context.prior(a)),
        }
    }
}

/// A featurizer and the task models fitted together.
pub struct Fitted {
    /// The featurizer, fitted on the training documents of both tasks.
    pub featurizer: Featurizer,
    /// The stance model.
    pub stance: TaskModel,
    /// The sentiment model, when there were sentiment labels of at least two kinds.
    pub sentiment: Option<TaskModel>,
}

/// Which task models [`fit_on`] fits. The featurizer is fitted on the documents of both tasks
/// either way, so the stance model is the same in both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Models {
    /// Stance and (when there are sentiment labels) sentiment.
    Both,
    /// Stance alone: for searches that score only stance predictions.
    StanceOnly,
}

/// Fits featurizer and classifiers on the articles `in_train` says are training articles (with
/// every example and sentiment label they hold).
pub fn fit_on(
    set: &TrainingSet,
    prep: &Prepared<'_>,
    in_train: &dyn Fn(usize) -> bool,
    cfg: &CheckedConfig,
    fit: Models,
) -> Result<Fitted> {
    // Per task: the training examples, in order (stance first: the featurizer's vocabulary is
    // fitted on stance documents, then sentiment documents).
    let parts: Vec<(Task, Vec<TaskExample>)> = Task::ALL
        .iter()
        .map(|&t| {
            let ex = set.task_examples(t);
            (t, ex.into_iter().filter(|e| in_train(e.article)).collect())
        })
        .collect();
    let all: Vec<Doc> = parts
        .iter()
        .flat_map(|(t, ex)| ex.iter().map(|e| prep.doc(*t, e)))
        .collect();
    let featurizer = Featurizer::fit(&cfg.features, &all)?;
    let mut scratch = Scratch::default();
    let mut models = Vec::new();
    for (task, examples) in &parts {
        let classes = set.classes(*task);
        let y: Vec<usize> = examples.iter().map(|e| e.label).collect();
        if *task == Task::Stance {
            require_two_labels(&y, classes)?;
        } else if examples.is_empty() || classes.len() < 2 || fit == Models::StanceOnly {
            models.push(None);
            continue;
        }
        let rows: Vec<SparseVec> = examples
            .iter()
            .map(|e| featurizer.transform(prep.doc(*task, e), &mut scratch))
            .collect();
        let classifier = TaskClassifier::fit(
            &Csr::from_rows(&rows, featurizer.len()),
            &y,
            classes.to_vec(),
            &cfg.logistic,
        )?;
        models.push(Some(TaskModel::new(*task, classifier, &cfg.polarity)?));
    }
    let mut models = models.into_iter();
    let stance = models.next().flatten().expect("stance is always fitted");
    let sentiment = models.next().flatten();
    Ok(Fitted {
        featurizer,
        stance,
        sentiment,
    })
}

/// Stance needs at least two labels among the training examples.
fn require_two_labels(y: &[usize], classes: &[String]) -> Result<()> {
    let present: std::collections::BTreeSet<usize> = y.iter().copied().collect();
    if present.len() >= 2 {
        return Ok(());
    }
    Err(Error::Training(format!(
        "the training examples hold only the stance label{} {}; at least two labels are needed",
        if present.len() == 1 { "" } else { "s" },
        present
            .iter()
            .map(|&c| format!("\"{}\"", classes[c]))
            .collect::<Vec<_>>()
            .join(", ")
    )))
}

/// How cross-validation is run.
#[derive(Debug, Clone, PartialEq)]
pub struct CvOptions {
    /// Number of folds.
    pub folds: usize,
    /// Seed of the shuffled folds.
    pub seed: u64,
    /// Keep articles that share this field's value in one fold (default: the article id).
    pub group_by: Option<String>,
}

impl Default for CvOptions {
    fn default() -> Self {
        CvOptions {
            folds: 5,
            seed: 42,
            group_by: None,
        }
    }
}

impl StanceModel {
    /// Trains on the whole training set (no cross-validation: the model holds no report and
    /// no calibration; see [`StanceModel::train_with_cv`]).
    pub fn train(set: &TrainingSet, cfg: &TrainConfig, seed: u64) -> Result<StanceModel> {
        let cfg = cfg.check()?;
        let prep = Prepared::new(set, &cfg.context);
        Self::train_prepared(set, &prep, &cfg, seed)
    }

    /// Cross-validates the settings on the training set, then trains on all of it; the model
    /// keeps the cross-validation report and the out-of-fold stance predictions, which
    /// `stance compare` needs for its corrected estimators.
    pub fn train_with_cv(
        set: &TrainingSet,
        cfg: &TrainConfig,
        cv: &CvOptions,
    ) -> Result<(StanceModel, CrossValidation)> {
        let checked = cfg.check()?;
        let result = cross_validate(set, cfg, cv.folds, cv.seed, cv.group_by.as_deref())?;
        let prep = Prepared::new(set, &checked.context);
        let mut model = Self::train_prepared(set, &prep, &checked, cv.seed)?;
        model.info.cv = Some(result.report.clone());
        // Temperature scaling of each task, fitted on its out-of-fold predictions; the stored
        // out-of-fold predictions are scaled the same way, so that the corrected estimators
        // of `stance compare` see the probabilities `stance score` prints.
        let scale_of = |task: Task, classes: &[String]| -> Option<f64> {
            let (rows, truth): (Vec<Vec<f64>>, Vec<usize>) = result
                .predictions
                .iter()
                .filter(|p| p.task == task)
                .filter_map(|p| {
                    let t = classes.iter().position(|c| *c == p.truth)?;
                    Some((classes.iter().map(|c| p.probabilities[c]).collect(), t))
                })
                .unzip();
            (!rows.is_empty()).then(|| crate::quantify::recalibration::fit_scale(&rows, &truth))
        };
        let stance_scale = scale_of(Task::Stance, model.stance.classes()).unwrap_or(1.0);
        let sentiment_scale = model
            .sentiment
            .as_ref()
            .and_then(|m| scale_of(Task::Sentiment, m.classes()));
        model.set_scales(Some(super::Scales {
            stance: stance_scale,
            sentiment: sentiment_scale,
        }));
        let mut calibration =
            crate::evaluate::calibration(&result.predictions, model.stance.classes());
        let k = calibration.classes.len();
        for row in calibration.probabilities.chunks_mut(k.max(1)) {
            let p = super::scaled(row.to_vec(), stance_scale);
            row.copy_from_slice(&p);
        }
        let labels = model.stance.labels.clone();
        let classes = model.stance.classes().to_vec();
        let field = cv.group_by.as_deref().unwrap_or("source");
        let inner = Inner::of(set, &result.predictions, &labels, field, cv.seed);
        model.info.quantify = crate::quantify::select::choose(&inner.view(&calibration));
        if let Some(choice) = model.info.quantify.as_mut() {
            let (est, scale) = (choice.estimator, stance_scale);
            choice.unseen = unseen_sources(set, cfg, cv, est, scale, &classes, &labels)?;
        }
        model.info.calibration = Some(calibration);
        Ok((model, result))
    }

    fn train_prepared(
        set: &TrainingSet,
        prep: &Prepared<'_>,
        cfg: &CheckedConfig,
        seed: u64,
    ) -> Result<StanceModel> {
        let fitted = fit_on(set, prep, &|_| true, cfg, Models::Both)?;
        let (actors, actor_profiles) = actor_profiles(set, prep, &fitted.featurizer);
        let info = TrainingInfo {
            data_hash: set.hash(),
            articles: set.articles.len(),
            stance_examples: set.examples.len(),
            sentiment_examples: set.sentiment.iter().filter(|s| s.is_some()).count(),
            seed,
            actors,
            actor_profiles,
            calibration: None,
            scales: None,
            quantify: None,
            cv: None,
            auto: None,
        };
        Ok(StanceModel {
            config: cfg.config().clone(),
            registry: set.registry.with_name_forms(cfg.context.name_forms)?,
            featurizer: fitted.featurizer,
            stance: fitted.stance,
            sentiment: fitted.sentiment,
            info,
            name: None,
            identity: std::sync::OnceLock::new(),
        })
    }
}

/// What the inner evaluation of the share estimators ([`crate::quantify::select`]) needs of
/// a cross-validation: each stance prediction's fold and real groups (by the group field,
/// crossed with the actor, and by actor).
struct Inner {
    folds: Vec<usize>,
    groups: Vec<Vec<String>>,
    seed: u64,
    labels: crate::labels::LabelSet,
}

impl Inner {
    fn of(
        set: &TrainingSet,
        predictions: &[crate::evaluate::Prediction],
        labels: &crate::labels::LabelSet,
        field: &str,
        seed: u64,
    ) -> Inner {
        let index: std::collections::HashMap<&str, usize> = set
            .articles
            .iter()
            .enumerate()
            .map(|(i, a)| (a.article.id.as_str(), i))
            .collect();
        let stance: Vec<_> = predictions
            .iter()
            .filter(|p| p.task == Task::Stance)
            .collect();
        let groups = stance
            .iter()
            .map(|p| {
                let actor = p.actor.clone().unwrap_or_default();
                let mut g = Vec::new();
                if let Some(&i) = index.get(p.id.as_str()) {
                    let value = set.group_of(i, Some(field));
                    if !value.is_empty() && value != p.id {
                        g.push(format!("{value} / {actor}"));
                    }
                }
                g.push(actor);
                g
            })
            .collect();
        Inner {
            folds: stance.iter().map(|p| p.fold.unwrap_or(0)).collect(),
            groups,
            seed,
            labels: labels.clone(),
        }
    }

    fn view<'a>(
        &'a self,
        calibration: &'a crate::quantify::Calibration,
    ) -> crate::quantify::select::Inner<'a> {
        crate::quantify::select::Inner {
            calibration,
            folds: self.folds.clone(),
            groups: self.groups.clone(),
            labels: &self.labels,
            level: 0.95,
            seed: self.seed,
        }
    }
}

/// Fewest distinct sources for the source-held-out cross-validation of [`unseen_sources`].
const MIN_SOURCES: usize = 3;

/// The widening of `estimator` for articles of unseen sources
/// ([`crate::quantify::select::Unseen`]): a second cross-validation whose folds hold out
/// whole sources (as many folds as `cv` asks, at most one per source), its out-of-fold
/// predictions scaled as the model scales. `None` when the labeled articles name fewer than
/// [`MIN_SOURCES`] sources, when `cv` already groups by source, or when a fold lacks a label.
fn unseen_sources(
    set: &TrainingSet,
    cfg: &TrainConfig,
    cv: &CvOptions,
    estimator: crate::quantify::Estimator,
    scale: f64,
    classes: &[String],
    labels: &crate::labels::LabelSet,
) -> Result<Option<crate::quantify::select::Unseen>> {
    let sources: std::collections::BTreeSet<String> = set
        .articles
        .iter()
        .filter_map(|a| a.article.source.clone())
        .filter(|s| !s.is_empty())
        .collect();
    if sources.len() < MIN_SOURCES || cv.group_by.as_deref() == Some("source") {
        return Ok(None);
    }
    let folds = cv.folds.min(sources.len());
    let result = cross_validate(set, cfg, folds, cv.seed, Some("source"))?;
    let mut calibration = crate::evaluate::calibration(&result.predictions, classes);
    let k = calibration.classes.len();
    for row in calibration.probabilities.chunks_mut(k.max(1)) {
        let p = super::scaled(row.to_vec(), scale);
        row.copy_from_slice(&p);
    }
    let inner = Inner::of(set, &result.predictions, labels, "source", cv.seed);
    Ok(
        crate::quantify::select::unseen_widening(&inner.view(&calibration), estimator).map(
            |(widening, expected)| crate::quantify::select::Unseen {
                sources: sources.into_iter().collect(),
                folds,
                widening,
                expected,
            },
        ),
    )
}

/// Per actor: the label counts of its examples, and its profile (the 300 features with the
/// largest mean value in its training contexts), which `stance explain --actor` ranks by.
type Profiles = (
    BTreeMap<String, BTreeMap<String, usize>>,
    BTreeMap<String, Vec<(u32, f32)>>,
);

fn actor_profiles(set: &TrainingSet, prep: &Prepared<'_>, featurizer: &Featurizer) -> Profiles {
    let mut actors: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    let mut sums: BTreeMap<String, (usize, BTreeMap<u32, f64>)> = BTreeMap::new();
    let mut scratch = Scratch::default();
    for e in set.task_examples(Task::Stance) {
        let actor = e.actor.expect("stance examples name their actor");
        *actors
            .entry(actor.to_string())
            .or_default()
            .entry(set.stance_classes[e.label].clone())
            .or_default() += 1;
        let v = featurizer.transform(prep.doc(Task::Stance, &e), &mut scratch);
        let s = sums.entry(actor.to_string()).or_default();
        s.0 += 1;
        for (&j, &x) in v.idx.iter().zip(&v.val) {
            *s.1.entry(j).or_default() += x;
        }
    }
    let profiles = sums
        .into_iter()
        .map(|(actor, (n, sum))| {
            let mut v: Vec<(u32, f32)> = sum
                .into_iter()
                .map(|(j, s)| (j, (s / n as f64) as f32))
                .collect();
            v.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            v.truncate(300);
            (actor, v)
        })
        .collect();
    (actors, profiles)
}

impl StanceModel {
    /// A model of one cross-validation fold (its featurizer and classifiers, this model's
    /// settings and actors), for scoring as that fold model would.
    pub fn of_fold(&self, fitted: Fitted) -> StanceModel {
        StanceModel {
            config: self.config.clone(),
            registry: self.registry.clone(),
            featurizer: fitted.featurizer,
            stance: fitted.stance,
            sentiment: fitted.sentiment,
            info: TrainingInfo::default(),
            name: self.name.clone(),
            identity: std::sync::OnceLock::new(),
        }
    }
}
