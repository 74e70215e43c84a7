//! What a real-use evaluation reports: per split, what the model chose and how well it
//! classified the new articles; per protocol, size and estimator, the errors and coverage.

use crate::quantify::{Estimator, Shares};
use serde::{Deserialize, Serialize};

/// The protocol a group comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Groups of the new part as they come (group field × actor, and actor).
    Real,
    /// Samples at every point of a grid of shares.
    App,
    /// Samples at shares drawn uniformly.
    Upp,
}

impl Kind {
    /// Its name in tables.
    pub fn name(&self) -> &'static str {
        match self {
            Kind::Real => "real",
            Kind::App => "app",
            Kind::Upp => "upp",
        }
    }
}

/// Real groups are reported by size class: their lower bounds.
pub const REAL_SIZES: [usize; 4] = [1, 10, 50, 200];

/// What one split held and how the model trained on its labeled part did on the new part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplitInfo {
    /// Labeled articles (trained on).
    pub labeled: usize,
    /// What the model trained on the labeled part chose for `auto`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub choice: Option<crate::quantify::select::Choice>,
    /// New articles (scored).
    pub new: usize,
    /// Stance examples of the new part.
    pub new_examples: usize,
    /// Accuracy of the model's stance labels on the new part.
    pub accuracy: f64,
    /// How well the (calibrated) probabilities of the new part match how often they are right.
    pub reliability: crate::metrics::Reliability,
    /// The training shares of the labels (MLPE's answer).
    pub training_shares: Vec<f64>,
    /// The error rates the estimators correct with (out of fold, from the labeled part):
    /// `hard[t][c]` = P(predicted c | true t), `soft[t][c]` = mean P(c) given true t.
    pub rates: RatePair,
    /// The largest real groups, each with its truth and every estimate.
    pub largest: Vec<GroupDetail>,
    /// The same rates measured on the new articles with the model that scored them: what the
    /// correction should have used. The gap between the two is the error no estimator that
    /// trusts the out-of-fold rates can remove.
    pub new_rates: RatePair,
    /// With [`super::RealUse::label_new`]: whether the labeled new examples' confusion rows differ
    /// from the out-of-fold ones ([`crate::quantify::shift::homogeneity`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labeled_shift: Option<crate::quantify::shift::Homogeneity>,
    /// With [`super::RealUse::label_new`]: what the out-of-fold examples counted for beside the
    /// labeled ones ([`crate::quantify::pool`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub own_weight: Option<f64>,
}

/// How many of the largest real groups a split reports in detail.
pub const LARGEST: usize = 8;

/// One real group in detail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupDetail {
    /// "value / actor", or the actor alone (all the new articles).
    pub name: String,
    /// Its (article, actor) examples.
    pub articles: usize,
    /// The true shares.
    pub truth: Vec<f64>,
    /// The true net score.
    pub truth_net: Option<f64>,
    /// Every estimator's estimate.
    pub estimates: Vec<Shares>,
}

/// Hard and soft error rates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RatePair {
    /// `hard[t][c]` = P(predicted c | true t).
    pub hard: Vec<Vec<f64>>,
    /// `soft[t][c]` = mean P(c) given true t.
    pub soft: Vec<Vec<f64>>,
}

/// One row of the table: a protocol, a size, an estimator (None: MLPE).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// The protocol.
    pub kind: Kind,
    /// The sample size (real groups: the lower bound of their size class).
    pub size: usize,
    /// The estimator; None for MLPE, the training shares.
    pub estimator: Option<Estimator>,
    /// Groups or samples evaluated.
    pub groups: usize,
    /// Mean group size.
    pub mean_size: f64,
    /// Mean absolute error of the shares.
    pub mae: f64,
    /// Mean relative absolute error of the smoothed shares.
    pub rae: f64,
    /// Mean signed error of the net score (positive − negative), when the labels have one.
    pub bias: Option<f64>,
    /// Mean absolute error of the net score.
    pub net_mae: Option<f64>,
    /// Share of label intervals that held the true share (None for MLPE).
    pub coverage: Option<f64>,
    /// Mean width of the label intervals.
    pub width: Option<f64>,
    /// Share of estimates flagged as on the simplex's edge for a small group.
    pub flagged: Option<f64>,
    /// Share of groups whose predicted labels the error rates cannot explain
    /// ([`crate::quantify::Shares::unexplained`]).
    #[serde(default)]
    pub unexplained: Option<f64>,
    /// Coverage of the intervals of the groups not so flagged.
    #[serde(default)]
    pub coverage_explained: Option<f64>,
}

/// The result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The labels, in share order.
    pub labels: Vec<String>,
    /// The hash of the labeled data whose training procedure was evaluated (the data a model
    /// trained on all of it would record), so that a comparison can tell whether these
    /// expected errors belong to its model.
    #[serde(default)]
    pub data_hash: Option<String>,
    /// Each split.
    pub splits: Vec<SplitInfo>,
    /// The table.
    pub rows: Vec<Row>,
}

impl Report {
    /// The expected absolute error of `estimator`'s net score on a group of `n` articles: the
    /// mean over UPP samples (shares drawn uniformly, as an outlet's might be), interpolated
    /// between the measured sizes on a log scale and held constant beyond them. None when
    /// the evaluation has no UPP rows or no net score.
    pub fn expected_net_error(&self, estimator: Estimator, n: usize) -> Option<f64> {
        let pts: Vec<(f64, f64)> = self
            .rows_of(Kind::Upp, Some(estimator))
            .iter()
            .filter_map(|r| Some(((r.size as f64).ln(), r.net_mae?)))
            .collect();
        crate::quantify::select::interpolate(&pts, (n.max(1) as f64).ln())
    }

    /// The real-use evaluation of the training procedure of the built-in model
    /// (`models/default.real-use.json`, written by the command in its README section).
    pub fn builtin() -> Report {
        serde_json::from_slice(crate::pipeline::file::BUILTIN_REAL_USE)
            .expect("the built-in real-use evaluation is checked by the tests")
    }

    /// The rows of one protocol and estimator.
    pub fn rows_of(&self, kind: Kind, estimator: Option<Estimator>) -> Vec<&Row> {
        self.rows
            .iter()
            .filter(|r| r.kind == kind && r.estimator == estimator)
            .collect()
    }

    /// The mean of the rows' MAE over sizes in `lo..=hi` (unweighted by size, as every size
    /// counts once).
    pub fn mean_mae(&self, kind: Kind, estimator: Option<Estimator>, lo: usize, hi: usize) -> f64 {
        let v: Vec<f64> = self
            .rows_of(kind, estimator)
            .iter()
            .filter(|r| r.size >= lo && r.size <= hi)
            .map(|r| r.mae)
            .collect();
        v.iter().sum::<f64>() / v.len().max(1) as f64
    }

    /// The MAE of real groups, weighted by the number of groups in each size class.
    pub fn real_mae(&self, estimator: Option<Estimator>) -> f64 {
        let rows = self.rows_of(Kind::Real, estimator);
        let n: usize = rows.iter().map(|r| r.groups).sum();
        rows.iter().map(|r| r.mae * r.groups as f64).sum::<f64>() / n.max(1) as f64
    }
}
