//! The seam between the pipeline and its classifiers: what a task's classifier must do
//! ([`Classify`]), and the classifiers there are ([`TaskClassifier`]).
//!
//! Today there is one, the multinomial logistic regression of [`crate::model`]. Another
//! classifier is a new variant of [`TaskClassifier`] with an implementation of [`Classify`]
//! and an arm in [`TaskClassifier::fit`] (with the setting that chooses it in
//! [`crate::pipeline::TrainConfig`]); the pipeline (training, scoring, evidence, `explain`)
//! sees only the trait and this file. In the model
//! file a task's classifier is stored as its variant's fields (the logistic model's fields,
//! as written since format 1); a second variant adds a `"kind"` field that
//! [`TaskClassifier`]'s deserializer reads first.

use crate::features::SparseVec;
use crate::model::{Classifier, Csr, FitReport, LogisticConfig};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What the pipeline needs of a classifier.
pub trait Classify {
    /// The labels, in the order of every probability vector.
    fn classes(&self) -> &[String];
    /// The number of features it expects (the featurizer's).
    fn n_features(&self) -> usize;
    /// Label probabilities of one feature vector.
    fn probabilities(&self, x: &SparseVec) -> Vec<f64>;
    /// How much a unit of feature `feature` pushes toward `label` rather than toward the
    /// labels on average: what evidence sentences and `explain` rank by.
    fn contribution(&self, feature: usize, label: usize) -> f64;
    /// How the fit went.
    fn report(&self) -> &FitReport;
    /// Checks that the parameters are consistent and finite.
    fn check(&self) -> Result<(), String>;
}

/// The classifiers a task can use.
#[derive(Debug, Clone, PartialEq)]
pub enum TaskClassifier {
    /// Multinomial logistic regression with L2 (linfa-logistic's loss).
    Logistic(Classifier),
}

impl TaskClassifier {
    /// Fits a task's classifier on the rows `x` with labels `y` (indices into `classes`).
    pub fn fit(
        x: &Csr,
        y: &[usize],
        classes: Vec<String>,
        cfg: &LogisticConfig,
    ) -> crate::error::Result<TaskClassifier> {
        Classifier::fit(x, y, classes, cfg).map(TaskClassifier::Logistic)
    }

    fn inner(&self) -> &dyn Classify {
        match self {
            TaskClassifier::Logistic(c) => c,
        }
    }
}

impl Classify for TaskClassifier {
    fn classes(&self) -> &[String] {
        self.inner().classes()
    }

    fn n_features(&self) -> usize {
        self.inner().n_features()
    }

    fn probabilities(&self, x: &SparseVec) -> Vec<f64> {
        self.inner().probabilities(x)
    }

    fn contribution(&self, feature: usize, label: usize) -> f64 {
        self.inner().contribution(feature, label)
    }

    fn report(&self) -> &FitReport {
        self.inner().report()
    }

    fn check(&self) -> Result<(), String> {
        self.inner().check()
    }
}

impl Serialize for TaskClassifier {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            TaskClassifier::Logistic(c) => c.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for TaskClassifier {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // One kind so far: its fields are the whole object.
        Classifier::deserialize(d).map(TaskClassifier::Logistic)
    }
}
