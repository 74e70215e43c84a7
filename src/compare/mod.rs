//! Comparing sources and periods: per group (source, month, or both) and actor, the number of
//! articles, the mean signed score with a bootstrap interval, and the share of each label by
//! classify-and-count and by the estimators of [`crate::quantify`] that correct for the
//! classifier's errors; and the difference between two groups with a permutation test.

use crate::labels::LabelSet;
use crate::model::argmax;
use crate::pipeline::{ArticleScore, ModelIdentity, StanceModel};
use crate::quantify::{self, Calibration, Estimator, Shares};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

mod diff;
pub mod saved;
mod summarize;
pub mod summary;

pub use diff::{diff, Difference};
pub use summarize::Summarizer;
pub use summary::{Group, Groups, Held};

/// What to group articles by: the source, the month of the date, both, nothing, or any other
/// field of the input records (carried into the scores by `stance score`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupBy {
    /// The source (outlet).
    Source,
    /// The month of the date (YYYY-MM).
    Month,
    /// Source and month together.
    SourceMonth,
    /// All articles in one group.
    All,
    /// A field of the input record, as kept in [`ArticleScore::fields`].
    Field(String),
}

impl std::str::FromStr for GroupBy {
    type Err = String;

    fn from_str(s: &str) -> Result<GroupBy, String> {
        Ok(match s.trim() {
            "source" => GroupBy::Source,
            "month" => GroupBy::Month,
            "source-month" => GroupBy::SourceMonth,
            "all" => GroupBy::All,
            "" => {
                return Err("empty: give source, month, source-month, all or a field name".into())
            }
            f => GroupBy::Field(f.to_string()),
        })
    }
}

impl std::fmt::Display for GroupBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            GroupBy::Source => "source",
            GroupBy::Month => "month",
            GroupBy::SourceMonth => "source-month",
            GroupBy::All => "all",
            GroupBy::Field(name) => name,
        })
    }
}

impl GroupBy {
    /// An article's group key.
    pub fn key(&self, a: &ArticleScore) -> String {
        let source = || a.source.clone().unwrap_or_else(|| "(no source)".into());
        let month = || {
            a.date
                .as_deref()
                .and_then(|d| d.get(..7))
                .unwrap_or("(no date)")
                .to_string()
        };
        match self {
            GroupBy::Source => source(),
            GroupBy::Month => month(),
            GroupBy::SourceMonth => format!("{} {}", source(), month()),
            GroupBy::All => "all".into(),
            GroupBy::Field(name) => field_of(a, name).unwrap_or_else(|| format!("(no {name})")),
        }
    }
}

/// The error of grouping by a field `name` that no article has, naming the fields `seen`.
fn missing_field(name: &str, seen: &std::collections::BTreeSet<String>) -> String {
    format!(
        "no scored article has a field \"{name}\" to group by (use source, month, source-month, all{}{})",
        if seen.is_empty() { "" } else { ", or a field the scores carry: " },
        seen.iter().map(String::as_str).collect::<Vec<_>>().join(", ")
    )
}

/// The value of field `name` of a scored article: a field of the input record carried into
/// the scores, or the score record's own date or id (`--by date`).
fn field_of(a: &ArticleScore, name: &str) -> Option<String> {
    match a.fields.get(name) {
        Some(v) => Some(v.clone()),
        None => match name {
            "date" => a.date.clone(),
            "id" => Some(a.id.clone()),
            _ => None,
        },
    }
}

/// `x` with its sign and `decimals` decimals; what rounds to zero prints as "+0.00", never
/// "-0.00".
pub fn signed(x: f64, decimals: usize) -> String {
    let s = format!("{x:+.decimals$}");
    match s.strip_prefix('-') {
        Some(rest) if rest.chars().all(|c| c == '0' || c == '.') => format!("+{rest}"),
        _ => s,
    }
}

/// A mean with its interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// The point estimate.
    pub mean: f64,
    /// The lower end of the interval.
    pub low: f64,
    /// The upper end of the interval.
    pub high: f64,
}

/// One row of a comparison: a group and an actor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupRow {
    /// The group (a source, a month, …).
    pub group: String,
    /// The actor.
    pub actor: String,
    /// Articles in the group that were scored for the actor.
    pub n: usize,
    /// Mean signed score (P(favor) − P(against)) with a bootstrap interval.
    pub score: Option<Estimate>,
    /// The labels, in the order of every share vector below.
    pub labels: Vec<String>,
    /// Count of articles per predicted label (the counts behind classify and count).
    pub label_count: Vec<usize>,
    /// The estimator the headline figures use.
    pub estimator: Estimator,
    /// Label shares by every available estimator, with intervals.
    pub estimates: Vec<Shares>,
    /// The expected absolute error of the headline net score at this group's size, from the
    /// real-use evaluation of the model's training procedure (`stance simulate`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_error: Option<f64>,
    /// Whether this row's net score is closer to the actor's average over the groups than
    /// the expected error: a difference that the estimator's error could make on its own.
    #[serde(default)]
    pub within_error: bool,
    /// Whether the headline estimate is unreliable: its expected error at this size is at
    /// least [`UNRELIABLE_ERROR`], or the group's predicted labels are more than the error
    /// rates can explain ([`Shares::unexplained`]).
    #[serde(default)]
    pub unreliable: bool,
}

/// An expected error of the net score at least this large (an eighth of the net score's
/// range, −1 to +1) makes a row unreliable: the estimator could not tell an even-handed group
/// from a clearly one-sided one.
pub const UNRELIABLE_ERROR: f64 = 0.25;

#[cfg(test)]
impl GroupRow {
    /// A row for tests of what reads rows (charts, the report): `n` articles all predicted
    /// favor, PCC's `share` of against/favor/neutral with intervals over the whole range, and
    /// its net with an interval (`[estimate, low, high]`).
    pub(crate) fn fixture(
        group: &str,
        actor: &str,
        n: usize,
        share: [f64; 3],
        net: [f64; 3],
    ) -> Self {
        GroupRow {
            group: group.into(),
            actor: actor.into(),
            n,
            score: None,
            labels: vec!["against".into(), "favor".into(), "neutral".into()],
            label_count: vec![0, n, 0],
            estimator: Estimator::Pcc,
            estimates: vec![Shares {
                estimator: Estimator::Pcc,
                share: share.to_vec(),
                low: vec![0.0; 3],
                high: vec![1.0; 3],
                net: Some(net),
                at_edge: false,
                unexplained: false,
            }],
            expected_error: None,
            within_error: false,
            unreliable: false,
        }
    }
}

impl GroupRow {
    /// The shares of the headline estimator.
    pub fn chosen(&self) -> &Shares {
        self.estimates
            .iter()
            .find(|s| s.estimator == self.estimator)
            .unwrap_or(&self.estimates[0])
    }
}

/// Settings of a comparison.
#[derive(Debug, Clone)]
pub struct CompareOptions {
    /// What to group articles by.
    pub by: GroupBy,
    /// Only these actors (all when empty).
    pub actors: Vec<String>,
    /// Bootstrap resamples for the intervals.
    pub bootstrap: usize,
    /// Seed of the resamples.
    pub seed: u64,
    /// Confidence level of the intervals (0.95 for 95%).
    pub level: f64,
    /// The headline estimator (falls back to PCC when it needs error rates that are missing).
    pub estimator: Estimator,
    /// The real-use evaluation that gives each row its expected error, when known.
    pub expected: Option<std::sync::Arc<quantify::realuse::Report>>,
    /// Groups of up to this many articles (per actor) are held article by article and
    /// estimated exactly; larger ones as bins ([`summary`]), with approximate EMQ and
    /// intervals.
    pub exact_limit: usize,
}

/// The default [`CompareOptions::exact_limit`].
pub const EXACT_LIMIT: usize = 1000;

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions {
            by: GroupBy::Source,
            actors: Vec::new(),
            bootstrap: 2000,
            seed: 42,
            level: 0.95,
            estimator: quantify::DEFAULT,
            expected: None,
            exact_limit: EXACT_LIMIT,
        }
    }
}

/// Percentile bootstrap interval of the mean of `xs`.
pub fn bootstrap_mean(xs: &[f64], resamples: usize, level: f64, rng: &mut ChaCha8Rng) -> Estimate {
    let n = xs.len();
    let mean = xs.iter().sum::<f64>() / n as f64;
    if n < 2 || resamples == 0 {
        return Estimate {
            mean,
            low: mean,
            high: mean,
        };
    }
    let mut means: Vec<f64> = (0..resamples)
        .map(|_| (0..n).map(|_| xs[rng.gen_range(0..n)]).sum::<f64>() / n as f64)
        .collect();
    means.sort_by(f64::total_cmp);
    let alpha = (1.0 - level) / 2.0;
    Estimate {
        mean,
        low: quantify::quantile(&means, alpha),
        high: quantify::quantile(&means, 1.0 - alpha),
    }
}

/// The seed of the cross-fitting that measures `--labeled`'s expected errors.
const LABELED_SEED: u64 = 0x1abe1ed;

/// What the comparison needs of the model: its labels, which are positive and negative, and
/// the out-of-fold predictions that give the error rates.
#[derive(Debug, Clone, Default)]
pub struct ModelView {
    /// The stance labels, with the positive and negative one.
    pub labels: LabelSet,
    /// The out-of-fold predictions stored in the model, when it has them.
    pub calibration: Option<Calibration>,
    /// Which model it is, when the view is of a model.
    pub identity: Option<ModelIdentity>,
    /// The hash of the data the model was trained on.
    pub data_hash: Option<String>,
    /// The estimator the model chose on its labeled data ([`quantify::select`]).
    pub choice: Option<quantify::select::Choice>,
    /// When the error rates come from labeled articles of the compared set rather than the
    /// model's out-of-fold predictions ([`ModelView::with_labeled_rates`]).
    pub labeled_rates: Option<LabeledRates>,
}

/// Error rates taken from labeled articles of the compared set.
#[derive(Debug, Clone, PartialEq)]
pub struct LabeledRates {
    /// Their stance examples.
    pub examples: usize,
    /// What the model's out-of-fold examples still count for beside them, in labeled examples
    /// ([`quantify::pool`]); 0 when the model has none or they were given no weight.
    pub own_weight: f64,
    /// The model's out-of-fold examples.
    pub own_examples: usize,
    /// Per estimator, its expected net error by group size with these rates, measured on the
    /// labeled articles by cross-fitting ([`quantify::pool::expected_errors`]).
    pub expected: Vec<(Estimator, Vec<quantify::select::SizeError>)>,
    /// Whether their confusion rows differ from the model's out-of-fold ones (when the model
    /// has those).
    pub shift: Option<quantify::shift::Homogeneity>,
}

impl ModelView {
    /// The sources of the model's labeled articles, when it keeps them for the widening of
    /// unseen sources ([`quantify::select::Unseen`]).
    pub fn known_sources(&self) -> Option<Vec<String>> {
        Some(self.choice.as_ref()?.unseen.as_ref()?.sources.clone())
    }

    /// The stance labels, polarity and stored error rates of a trained model.
    pub fn of_model(model: &StanceModel) -> ModelView {
        ModelView {
            labels: model.stance.labels.clone(),
            calibration: model.info.calibration.clone(),
            identity: Some(model.identity().clone()),
            data_hash: Some(model.info.data_hash.clone()),
            choice: model.info.quantify.clone(),
            labeled_rates: None,
        }
    }

    /// The view with its error rates and recalibration taken from labeled articles of the
    /// compared set (`labeled`, scored by `model`), pooled with the model's out-of-fold
    /// predictions, which count as `own_weight` labeled examples ([`quantify::pool`]; `auto`:
    /// by empirical Bayes, all of them where the two agree, few where they differ). `auto`'s
    /// widening for outlets the training data lacks moves toward its base one by the labeled
    /// share of the rates ([`quantify::select::Choice::with_labeled_rates`]).
    pub fn with_labeled_rates(
        mut self,
        model: &StanceModel,
        labeled: &crate::TrainingSet,
        own_weight: quantify::pool::OwnWeight,
    ) -> crate::error::Result<ModelView> {
        let cal = quantify::realuse::labeled_calibration(model, labeled)?;
        let none = quantify::Calibration {
            classes: cal.classes.clone(),
            truth: Vec::new(),
            probabilities: Vec::new(),
            weights: Vec::new(),
        };
        let own = self.calibration.as_ref().unwrap_or(&none);
        let p = quantify::pool::pool(own, &cal, own_weight);
        let mut rng = ChaCha8Rng::seed_from_u64(LABELED_SEED);
        let expected = Estimator::ALL
            .iter()
            .filter(|e| e.adjusted())
            .map(|&e| {
                let errors = quantify::pool::expected_errors(
                    own,
                    &cal,
                    own_weight,
                    e,
                    &self.labels,
                    &mut rng,
                );
                (e, errors)
            })
            .collect();
        let rates = LabeledRates {
            examples: cal.len(),
            own_weight: p.own_weight,
            own_examples: own.len(),
            shift: self
                .calibration
                .as_ref()
                .map(|own| quantify::shift::homogeneity(own, &cal)),
            expected,
        };
        let pooled = p.calibration;
        self.labeled_rates = Some(rates);
        self.calibration = Some(pooled);
        self.choice = self
            .choice
            .map(|c| c.with_labeled_rates(p.own_weight, cal.len()));
        Ok(self)
    }

    /// The real-use evaluation that gives the rows their expected error: `given` (read from
    /// a file), else the built-in one when the model was trained on the built-in model's data.
    /// A message says when `given` evaluated another training set.
    pub fn expected_errors(
        &self,
        given: Option<quantify::realuse::Report>,
    ) -> (Option<quantify::realuse::Report>, Option<String>) {
        match given {
            Some(r) => {
                let warn = (r.data_hash.is_some() && r.data_hash != self.data_hash).then(|| {
                    "the real-use evaluation given with --expected-error evaluated training on other data than this model's; its expected errors describe that training".to_string()
                });
                (Some(r), warn)
            }
            None => {
                let builtin = quantify::realuse::Report::builtin();
                let ours = self.data_hash.is_some() && builtin.data_hash == self.data_hash;
                (ours.then_some(builtin), None)
            }
        }
    }

    /// Checks that an article was scored by this view's model, whose error rates are about
    /// to correct it: an error for scores of another model or of raw probabilities; false
    /// when the article does not say which model made it (written by an earlier version).
    pub fn check_score(&self, a: &ArticleScore) -> Result<bool, String> {
        let Some(id) = &self.identity else {
            return Ok(true);
        };
        {
            match &a.model {
                None => return Ok(false),
                Some(m) if m.raw_probabilities => {
                    return Err(format!(
                        "article \"{}\" was scored with --raw-probabilities: the error rates describe the calibrated probabilities, so score again without it",
                        a.id
                    ))
                }
                Some(m) if id.checksum.starts_with(&m.checksum) && !m.checksum.is_empty() => {}
                Some(m) => {
                    return Err(format!(
                        "article \"{}\" was scored by model {}(checksum {}), not by {} (checksum {}): its error rates would correct another model's errors; pass the model that made the scores with --model",
                        a.id,
                        m.name.as_ref().map_or(String::new(), |n| format!("{n} ")),
                        m.checksum,
                        id.name.as_deref().unwrap_or("the given model"),
                        id.short()
                    ))
                }
            }
        }
        Ok(true)
    }

    /// The warning for `unmarked` of `total` score records that do not say which model made
    /// them.
    pub fn unmarked_warning(&self, unmarked: usize, total: usize) -> Option<String> {
        let id = self.identity.as_ref()?;
        (unmarked > 0).then(|| {
            format!(
                "{unmarked} of {total} score records do not say which model made them (scored by an earlier version of stance); cannot check they were made by {}",
                id.name.as_deref().unwrap_or("the given model")
            )
        })
    }
}

/// Compares groups of scored articles.
pub fn compare(
    articles: &[ArticleScore],
    opts: &CompareOptions,
    view: &ModelView,
) -> Vec<GroupRow> {
    let mut groups =
        Groups::new(opts, Some(view.labels.names())).with_known_sources(view.known_sources());
    for a in articles {
        groups.add(a);
    }
    compare_groups(&groups, opts, view)
}

/// Compares the groups filled from a stream of scored articles ([`Groups::add`]); the
/// labels of `view` must be those of the groups.
pub fn compare_groups(groups: &Groups, opts: &CompareOptions, view: &ModelView) -> Vec<GroupRow> {
    let estimator = effective(opts.estimator, view);
    let rates = view
        .calibration
        .as_ref()
        .map(|c| c.error_rates(opts.bootstrap, &mut ChaCha8Rng::seed_from_u64(opts.seed)));
    let cells: Vec<(&(String, String), &Group)> = groups.cells().iter().collect();
    // Cells run in parallel, each with its own generator seeded from the seed and the cell's
    // position, so results do not depend on the number of threads.
    let mut rows = cells
        .into_par_iter()
        .enumerate()
        .map(|(i, ((group, actor), cell))| {
            let mut rng = ChaCha8Rng::seed_from_u64(opts.seed.wrapping_add(1 + i as u64));
            let n = cell.n();
            let mut label_count = vec![0usize; view.labels.len()];
            let (score, mut estimates) = match cell.held() {
                Held::Rows(rows, scores) => {
                    let signed: Vec<f64> = scores.iter().filter_map(|s| *s).collect();
                    let score = (signed.len() == n && n > 0)
                        .then(|| bootstrap_mean(&signed, opts.bootstrap, opts.level, &mut rng));
                    for r in &rows {
                        label_count[argmax(r)] += 1;
                    }
                    let estimates = quantify::estimate(
                        &rows,
                        rates.as_ref(),
                        &view.labels,
                        opts.bootstrap,
                        opts.level,
                        &mut rng,
                    );
                    (score, estimates)
                }
                Held::Bins(bins, bin_scores) => {
                    for (&c, &w) in bins.class.iter().zip(&bins.count) {
                        label_count[c] += w as usize;
                    }
                    let (estimates, draws) = quantify::binned::estimate(
                        &bins,
                        bin_scores.as_deref(),
                        rates.as_ref(),
                        &view.labels,
                        opts.bootstrap,
                        opts.level,
                        &mut rng,
                    );
                    let score = cell.score_mean().map(|mean| {
                        let alpha = (1.0 - opts.level) / 2.0;
                        if draws.is_empty() || n < 2 {
                            Estimate {
                                mean,
                                low: mean,
                                high: mean,
                            }
                        } else {
                            Estimate {
                                mean,
                                low: quantify::quantile(&draws, alpha),
                                high: quantify::quantile(&draws, 1.0 - alpha),
                            }
                        }
                    });
                    (score, estimates)
                }
            };
            if let (Estimator::Auto, Some(c)) = (opts.estimator, &view.choice) {
                for e in &mut estimates {
                    *e = c.widened(e, cell.unseen_share());
                }
            }
            GroupRow {
                group: group.clone(),
                actor: actor.clone(),
                n,
                score,
                labels: view.labels.names().to_vec(),
                label_count,
                estimator,
                estimates,
                expected_error: expected_error(opts, view, estimator, n, cell.unseen_share()),
                within_error: false,
                unreliable: false,
            }
        })
        .collect::<Vec<_>>();
    mark_within_error(&mut rows);
    rows
}

/// Marks the rows whose net score is within the expected error of the actor's mean over the
/// groups ([`GroupRow::within_error`]).
fn mark_within_error(rows: &mut [GroupRow]) {
    let mut sums: BTreeMap<String, (f64, usize)> = BTreeMap::new();
    for r in rows.iter() {
        if let Some([m, _, _]) = r.chosen().net {
            let e = sums.entry(r.actor.clone()).or_default();
            e.0 += m;
            e.1 += 1;
        }
    }
    for r in rows.iter_mut() {
        r.unreliable =
            r.chosen().unexplained || r.expected_error.is_some_and(|e| e >= UNRELIABLE_ERROR);
        let (Some([m, _, _]), Some(err)) = (r.chosen().net, r.expected_error) else {
            continue;
        };
        let (sum, k) = sums[&r.actor];
        r.within_error = k > 1 && (m - sum / k as f64).abs() < err;
    }
}

/// The expected net error of a row of `n` articles: from the real-use evaluation when one is
/// known (its rows of the requested estimator, else of the one used), else from the inner
/// evaluation that chose the model's estimator.
fn expected_error(
    opts: &CompareOptions,
    view: &ModelView,
    estimator: Estimator,
    n: usize,
    unseen: f64,
) -> Option<f64> {
    let auto = view
        .choice
        .as_ref()
        .filter(|c| c.estimator == estimator && opts.estimator == Estimator::Auto);
    let labeled = view.labeled_rates.as_ref().and_then(|l| {
        let (_, errors) = l.expected.iter().find(|(e, _)| *e == estimator)?;
        quantify::select::by_size(errors, n)
    });
    // Measured on the labeled articles of the compared set themselves, outlets included.
    if labeled.is_some() {
        return labeled;
    }
    let base = match &opts.expected {
        Some(r) => r
            .expected_net_error(opts.estimator, n)
            .or_else(|| r.expected_net_error(estimator, n)),
        None => auto.and_then(|c| c.expected_net_error(n)),
    };
    // Articles of unseen sources move it toward the error measured with whole sources held
    // out.
    match auto {
        Some(c) if unseen > 0.0 => c.expected_net_error_for(n, unseen, base),
        _ => base,
    }
}

/// The estimator actually used: the model's choice for `auto` (BayesianCC when it made none);
/// an adjusted one needs error rates, else PCC.
fn effective(e: Estimator, view: &ModelView) -> Estimator {
    let e = match (e, &view.choice) {
        (Estimator::Auto, Some(c)) => c.estimator,
        (Estimator::Auto, None) => Estimator::Bcc,
        (e, _) => e,
    };
    if e.adjusted() && view.calibration.is_none() {
        Estimator::Pcc
    } else {
        e
    }
}

#[cfg(test)]
mod tests;
