//! The trained pipeline: from labeled articles to a [`StanceModel`] (featurizer + one
//! [`TaskModel`] per task + the actors), and from a model and an article to an
//! [`ArticleScore`].
//!
//! One featurizer serves both tasks: stance is learned from each actor's context, sentiment
//! from the whole text.
//!
//! - [`config`]: the settings, checked once ([`TrainConfig::check`]);
//! - [`dataset`]: the labeled data ([`TrainingSet`]);
//! - [`train`]: fitting ([`StanceModel::train`], [`StanceModel::train_with_cv`]);
//! - [`score`]: scoring ([`Scorer`]) and the score records;
//! - [`mod@file`]: the model file (save, load, the built-in model).

pub mod config;
pub mod dataset;
pub mod file;
pub mod score;
pub mod train;

pub use config::{CheckedConfig, Polarity, TrainConfig};
pub use dataset::{Example, TaskExample, TrainingSet};
pub use file::{ModelFile, BUILTIN_MODEL, BUILTIN_NAME, MODEL_FORMAT, MODEL_VERSION};
pub use score::{
    ActorScore, ArticleScore, Evidence, LabelScore, MentionMatch, ModelRef, ScoreOptions, Scorer,
};
pub use train::CvOptions;

use crate::actors::Registry;
use crate::classifier::{Classify, TaskClassifier};
use crate::evaluate::EvalReport;
use crate::features::{Featurizer, SparseVec};
use crate::labels::{LabelSet, Task};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A trained model: what `stance train` writes and `stance score` reads.
#[derive(Debug)]
pub struct StanceModel {
    /// The settings it was trained with.
    pub config: TrainConfig,
    /// The actors it looks for.
    pub registry: Registry,
    /// The fitted featurizer (vocabulary and IDF).
    pub featurizer: Featurizer,
    /// The stance classifier.
    pub stance: TaskModel,
    /// The sentiment classifier, when the training data had sentiment labels.
    pub sentiment: Option<TaskModel>,
    /// Facts about the training.
    pub info: TrainingInfo,
    /// The model's name, saved in its file (by `stance train`: the name of the file it was
    /// first saved to, or `--name`).
    pub name: Option<String>,
    /// Which model this is (see [`StanceModel::identity`]); computed once.
    identity: std::sync::OnceLock<ModelIdentity>,
}

/// Which model made a score: the SHA-256 checksum of the model file, and the file's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelIdentity {
    /// The model's name ("default" for the built-in model), when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The SHA-256 checksum of the model file (64 hexadecimal digits).
    pub checksum: String,
}

impl ModelIdentity {
    /// The first 16 digits of the checksum: what score records carry.
    pub fn short(&self) -> &str {
        self.checksum.get(..16).unwrap_or(&self.checksum)
    }
}

/// One task's classifier with its labels (polarity resolved).
#[derive(Debug, Clone, PartialEq)]
pub struct TaskModel {
    /// Which task.
    pub task: Task,
    /// The labels, in the classifier's order, with the positive and negative one.
    pub labels: LabelSet,
    /// The classifier.
    pub classifier: TaskClassifier,
    /// Temperature scaling of the probabilities: calibrated = softmax(scale · ln p), fitted on
    /// the out-of-fold predictions of cross-validation (1 = the classifier's own
    /// probabilities). It never changes which label is most probable.
    pub scale: f64,
}

impl TaskModel {
    /// The task model of `classifier`, its labels' polarity taken from `polarity`.
    pub fn new(task: Task, classifier: TaskClassifier, polarity: &Polarity) -> crate::Result<Self> {
        let labels = polarity.labels(task, classifier.classes().to_vec())?;
        Ok(TaskModel {
            task,
            labels,
            classifier,
            scale: 1.0,
        })
    }

    /// The label names.
    pub fn classes(&self) -> &[String] {
        self.labels.names()
    }

    /// Calibrated label probabilities of a feature vector.
    pub fn probabilities(&self, x: &SparseVec) -> Vec<f64> {
        scaled(self.classifier.probabilities(x), self.scale)
    }

    /// The classifier's own (uncalibrated) label probabilities of a feature vector.
    pub fn raw_probabilities(&self, x: &SparseVec) -> Vec<f64> {
        self.classifier.probabilities(x)
    }
}

/// Probabilities `p` recalibrated by temperature: softmax(scale · ln p).
pub fn scaled(p: Vec<f64>, scale: f64) -> Vec<f64> {
    if scale == 1.0 {
        return p;
    }
    crate::model::softmax(p.iter().map(|x| scale * x.max(1e-300).ln()).collect())
}

/// The temperature scales of the two tasks' probabilities, fitted at training.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Scales {
    /// The stance probabilities' scale.
    pub stance: f64,
    /// The sentiment probabilities' scale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentiment: Option<f64>,
}

impl StanceModel {
    /// Sets the temperature scales of both tasks (and records them in the training facts).
    pub fn set_scales(&mut self, scales: Option<Scales>) {
        self.stance.scale = scales.map_or(1.0, |s| s.stance);
        if let Some(m) = self.sentiment.as_mut() {
            m.scale = scales.and_then(|s| s.sentiment).unwrap_or(1.0);
        }
        self.info.scales = scales;
    }
}

impl StanceModel {
    /// The model of `task`, if the model has one.
    pub fn task(&self, task: Task) -> Option<&TaskModel> {
        match task {
            Task::Stance => Some(&self.stance),
            Task::Sentiment => self.sentiment.as_ref(),
        }
    }
}

/// Facts about how a model was trained, saved with it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TrainingInfo {
    /// SHA-256 of the labeled content (ids, texts, labels).
    pub data_hash: String,
    /// Labeled articles.
    pub articles: usize,
    /// Stance examples (article × actor).
    pub stance_examples: usize,
    /// Articles with a sentiment label.
    pub sentiment_examples: usize,
    /// The seed of the folds.
    pub seed: u64,
    /// Per actor: label counts of its training examples.
    pub actors: BTreeMap<String, BTreeMap<String, usize>>,
    /// Per actor, the features with the largest mean value in its training contexts.
    #[serde(default)]
    pub actor_profiles: BTreeMap<String, Vec<(u32, f32)>>,
    /// The out-of-fold stance predictions of cross-validation: the error rates that
    /// `stance compare` corrects shares with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration: Option<crate::quantify::Calibration>,
    /// The temperature scales that calibrate the probabilities (fitted on the out-of-fold
    /// predictions; absent in a model trained without cross-validation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scales: Option<Scales>,
    /// The share estimator chosen on the out-of-fold predictions, with its interval widening
    /// (`--estimator auto`); absent in a model trained without cross-validation or before
    /// models chose.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantify: Option<crate::quantify::select::Choice>,
    /// The cross-validation report, when training ran it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "sorted_keys"
    )]
    pub cv: Option<EvalReport>,
    /// How `stance train --auto` chose the settings (absent when they were given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto: Option<crate::auto::AutoRecord>,
}

/// Writes a value with the keys of every object in alphabetical order, as the model files of
/// format 1 hold the cross-validation report.
fn sorted_keys<S: serde::Serializer, T: Serialize>(v: &Option<T>, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::Error;
    match v {
        Some(x) => serde_json::to_value(x)
            .map_err(S::Error::custom)?
            .serialize(s),
        None => s.serialize_none(),
    }
}
