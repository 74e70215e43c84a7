//! Every estimator's shares for a group held as bins (articles of nearly equal probabilities
//! pooled, each bin its mean probabilities, its predicted label and its count), with a
//! multinomial bootstrap over the bins: what a group too large to keep article by article
//! needs. The cost of a resample is the number of bins, not of articles.
//!
//! Exact from the counts and sums alone: CC, PCC, ACC, PACC and BayesianCC's point estimates
//! and posterior (they need only the predicted-label counts and the mean probabilities).
//! Approximate: EMQ (run on the bins' mean probabilities instead of each article's) and every
//! bootstrap interval (a bin's articles resampled as copies of its mean, so the spread within
//! a bin is lost; with bins 1/[`crate::compare`]'s resolution wide that spread is a small part
//! of the spread between articles).

use super::bayes::multinomial;
use super::estimate::{bcc_counts, bcc_mean, emq_weighted, finish, from_counts, Shares};
use super::{ErrorRates, Estimator, Rates};
use crate::labels::LabelSet;
use rand_chacha::ChaCha8Rng;

/// A group as bins.
#[derive(Debug, Clone, Default)]
pub struct Bins {
    /// Each bin's mean probabilities (in the order of the labels).
    pub mean: Vec<Vec<f64>>,
    /// Each bin's predicted label (the argmax of each of its articles).
    pub class: Vec<usize>,
    /// Articles in each bin.
    pub count: Vec<f64>,
}

impl Bins {
    /// The number of articles.
    pub fn n(&self) -> usize {
        self.count.iter().sum::<f64>().round() as usize
    }

    /// The logarithms of the bins' mean probabilities, as the recalibration takes them.
    pub fn log_mean(&self) -> Vec<Vec<f64>> {
        self.mean
            .iter()
            .map(|m| m.iter().map(|&x| x.max(1e-12).ln()).collect())
            .collect()
    }
}

/// Every estimator (or only `only`) with the bins weighted by `w` (articles per bin, summing
/// to `n`).
fn estimate_weighted(
    bins: &Bins,
    lnp: &[Vec<f64>],
    w: &[f64],
    rates: Option<&Rates>,
    only: Option<Estimator>,
) -> Vec<(Estimator, Vec<f64>)> {
    let k = bins.mean.first().map_or(0, |r| r.len());
    let n = w.iter().sum::<f64>().max(1.0);
    let mut cc = vec![0.0; k];
    let mut pcc = vec![0.0; k];
    for (i, &wi) in w.iter().enumerate() {
        if wi == 0.0 {
            continue;
        }
        cc[bins.class[i]] += wi / n;
        for (p, m) in pcc.iter_mut().zip(&bins.mean[i]) {
            *p += wi * m / n;
        }
    }
    from_counts(&cc, &pcc, rates, only, |r| {
        let recal: Vec<Vec<f64>> = lnp.iter().map(|l| r.recal.apply_log(l)).collect();
        emq_weighted(&recal, Some(w), &r.prior)
    })
}

/// The shares of one estimator for the bins weighted by `w` (articles per bin; `lnp` their
/// [`Bins::log_mean`]): what [`super::shares_of`] gives for rows, BayesianCC's posterior mean
/// from the weighted predicted-label counts as there.
pub fn shares_of(
    estimator: Estimator,
    bins: &Bins,
    lnp: &[Vec<f64>],
    w: &[f64],
    rates: Option<&Rates>,
) -> Vec<f64> {
    if let (Estimator::Bcc, Some(r)) = (estimator, rates) {
        let mut observed = vec![0.0; r.hard_counts.len()];
        for (&c, &x) in bins.class.iter().zip(w) {
            observed[c] += x;
        }
        return bcc_mean(&observed, r);
    }
    estimate_weighted(bins, lnp, w, rates, Some(estimator))
        .pop()
        .map(|(_, s)| s)
        .unwrap_or_default()
}

/// [`super::estimate()`] for a group held as bins: point estimates from all the bins, intervals
/// from `bootstrap` multinomial resamples of the group's articles over the bins (and the
/// calibration examples' replicates for the corrected estimators, as for a group held article
/// by article). With `score` (each bin's mean signed score), also the sorted resampled means
/// of the score, from the same resamples.
pub fn estimate(
    bins: &Bins,
    score: Option<&[f64]>,
    rates: Option<&ErrorRates>,
    labels: &LabelSet,
    bootstrap: usize,
    level: f64,
    rng: &mut ChaCha8Rng,
) -> (Vec<Shares>, Vec<f64>) {
    let k = bins.mean.first().map_or(0, |r| r.len());
    let n = bins.n();
    let lnp = bins.log_mean();
    let point = estimate_weighted(bins, &lnp, &bins.count, rates.map(|r| &r.point), None);
    let mut draws: Vec<Vec<Vec<f64>>> = vec![Vec::with_capacity(bootstrap); point.len()];
    let mut scores = Vec::with_capacity(if score.is_some() { bootstrap } else { 0 });
    for b in 0..bootstrap * usize::from(!point.is_empty()) {
        let w: Vec<f64> = multinomial(n as u64, &bins.count, rng)
            .into_iter()
            .map(|x| x as f64)
            .collect();
        if let Some(s) = score {
            scores.push(w.iter().zip(s).map(|(a, b)| a * b).sum::<f64>() / n as f64);
        }
        let r = rates.map(|r| {
            if r.replicates.is_empty() {
                &r.point
            } else {
                &r.replicates[b % r.replicates.len()]
            }
        });
        for (j, (_, s)) in estimate_weighted(bins, &lnp, &w, r, None)
            .into_iter()
            .enumerate()
        {
            draws[j].push(s);
        }
    }
    let mut point = point;
    let mut observed = vec![0.0; k];
    for (i, &c) in bins.class.iter().enumerate() {
        observed[c] += bins.count[i];
    }
    if let Some(r) = rates {
        let (mean, d) = bcc_counts(&observed, &r.point, rng);
        point.push((Estimator::Bcc, mean));
        draws.push(d);
    }
    let q: Vec<f64> = observed.iter().map(|x| x / n.max(1) as f64).collect();
    scores.sort_by(f64::total_cmp);
    (finish(point, draws, &q, n, rates, labels, level), scores)
}
