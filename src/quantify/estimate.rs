//! Every estimator's label shares for one group, with percentile bootstrap intervals.

use super::solve::adjust;
use super::{ErrorRates, Estimator, Rates};
use crate::labels::LabelSet;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// The EMQ (Saerens–Latinne–Decaestecker) estimate: the label shares `q` that maximise the
/// likelihood of the group's rows under a prior shift from `prior`, found by the EM fixed point
/// `q ← mean over rows of normalise(row ⊙ q / prior)` started at `prior`. `rows` are
/// calibrated probabilities under the training prior.
pub fn emq(rows: &[Vec<f64>], prior: &[f64]) -> Vec<f64> {
    let k = prior.len();
    if rows.is_empty() {
        return prior.to_vec();
    }
    // Rows divided by the prior once: each step is then a weighted normalisation.
    let r: Vec<Vec<f64>> = rows
        .iter()
        .map(|row| {
            row.iter()
                .zip(prior)
                .map(|(x, p)| if *p > 0.0 { x / p } else { 0.0 })
                .collect()
        })
        .collect();
    let mut q = prior.to_vec();
    let step = |q: &[f64]| -> Vec<f64> {
        let mut next = vec![0.0; k];
        for row in &r {
            let z: f64 = row.iter().zip(q).map(|(a, b)| a * b).sum();
            if z > 0.0 {
                for c in 0..k {
                    next[c] += row[c] * q[c] / z;
                }
            }
        }
        let total: f64 = next.iter().sum();
        next.iter()
            .map(|x| x / total.max(1e-300))
            .collect::<Vec<_>>()
    };
    // Plain EM converges linearly, slowly when the probabilities are flat; SQUAREM
    // (Varadhan and Roland 2008) extrapolates two EM steps and falls back to plain EM steps
    // whenever the extrapolation leaves the simplex.
    for _ in 0..2000 {
        let q1 = step(&q);
        let q2 = step(&q1);
        let r1: Vec<f64> = q1.iter().zip(&q).map(|(a, b)| a - b).collect();
        let v: Vec<f64> = (0..k).map(|c| q2[c] - 2.0 * q1[c] + q[c]).collect();
        let nr = r1.iter().map(|x| x * x).sum::<f64>().sqrt();
        let nv = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        let mut next = q2.clone();
        if nv > 0.0 {
            let alpha = (-nr / nv).min(-1.0);
            let x: Vec<f64> = (0..k)
                .map(|c| q[c] - 2.0 * alpha * r1[c] + alpha * alpha * v[c])
                .collect();
            if x.iter().all(|&y| y >= 0.0) {
                let x = step(&x);
                if loglik(&r, &x) >= loglik(&r, &q2) {
                    next = x;
                }
            }
        }
        let moved: f64 = next.iter().zip(&q).map(|(a, b)| (a - b).abs()).sum();
        q = next;
        if moved < 1e-10 {
            break;
        }
    }
    q
}

/// The log-likelihood `Σ ln(row · q)` that EMQ maximises (rows already divided by the prior).
fn loglik(r: &[Vec<f64>], q: &[f64]) -> f64 {
    r.iter()
        .map(|row| {
            row.iter()
                .zip(q)
                .map(|(a, b)| a * b)
                .sum::<f64>()
                .max(1e-300)
                .ln()
        })
        .sum()
}

/// The shares of one estimator for the rows `pick` of `rows` (`rates` needed by the adjusted
/// ones; without them they give PCC's shares).
pub fn shares_of(
    estimator: Estimator,
    rows: &[&[f64]],
    pick: &[usize],
    rates: Option<&Rates>,
) -> Vec<f64> {
    estimate_all(rows, pick, rates, Some(estimator))
        .pop()
        .map(|(_, s)| s)
        .unwrap_or_default()
}

/// Estimates of every estimator (or only `only`) for the rows `pick` of `rows`.
fn estimate_all(
    rows: &[&[f64]],
    pick: &[usize],
    rates: Option<&Rates>,
    only: Option<Estimator>,
) -> Vec<(Estimator, Vec<f64>)> {
    let k = rows.first().map_or(0, |r| r.len());
    let mut cc = vec![0.0; k];
    let mut pcc = vec![0.0; k];
    let n = pick.len().max(1) as f64;
    for &i in pick {
        let p = rows[i];
        cc[crate::model::argmax(p)] += 1.0 / n;
        for c in 0..k {
            pcc[c] += p[c] / n;
        }
    }
    let want = |e: Estimator| only.is_none_or(|o| o == e);
    let mut out = Vec::new();
    if want(Estimator::Cc) {
        out.push((Estimator::Cc, cc.clone()));
    }
    let pcc_wanted =
        want(Estimator::Pcc) || (rates.is_none() && only.is_some_and(|o| o.adjusted()));
    if pcc_wanted {
        out.push((Estimator::Pcc, pcc.clone()));
    }
    if let Some(r) = rates {
        if want(Estimator::Acc) {
            out.push((Estimator::Acc, adjust(&r.hard, &cc)));
        }
        if want(Estimator::Pacc) {
            out.push((Estimator::Pacc, adjust(&r.soft, &pcc)));
        }
        if want(Estimator::Emq) {
            let recal: Vec<Vec<f64>> = pick.iter().map(|&i| r.recal.apply(rows[i])).collect();
            out.push((Estimator::Emq, emq(&recal, &r.prior)));
        }
    }
    out
}

/// Shares with their interval, per label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shares {
    /// The estimator.
    pub estimator: Estimator,
    /// Each label's share.
    pub share: Vec<f64>,
    /// Lower ends of the intervals.
    pub low: Vec<f64>,
    /// Upper ends of the intervals.
    pub high: Vec<f64>,
    /// Share of the positive label minus share of the negative label, with its interval.
    pub net: Option<[f64; 3]>,
}

/// Estimates the label shares of one group with every available estimator, with percentile
/// bootstrap intervals (`level`, e.g. 0.95) that resample the group's rows and, for the adjusted
/// estimators, the calibration examples.
pub fn estimate(
    rows: &[&[f64]],
    rates: Option<&ErrorRates>,
    labels: &LabelSet,
    bootstrap: usize,
    level: f64,
    rng: &mut ChaCha8Rng,
) -> Vec<Shares> {
    let k = rows.first().map_or(0, |r| r.len());
    let n = rows.len();
    let all: Vec<usize> = (0..n).collect();
    let point = estimate_all(rows, &all, rates.map(|r| &r.point), None);
    let mut draws: Vec<Vec<Vec<f64>>> = vec![Vec::with_capacity(bootstrap); point.len()];
    for b in 0..bootstrap {
        let pick: Vec<usize> = (0..n).map(|_| rng.gen_range(0..n)).collect();
        // Without replicates of the error rates, the point rates (only the articles resampled).
        let r = rates.map(|r| {
            if r.replicates.is_empty() {
                &r.point
            } else {
                &r.replicates[b % r.replicates.len()]
            }
        });
        for (j, (_, s)) in estimate_all(rows, &pick, r, None).into_iter().enumerate() {
            draws[j].push(s);
        }
    }
    let alpha = (1.0 - level) / 2.0;
    point
        .into_iter()
        .zip(draws)
        .map(|((estimator, share), d)| {
            let col = |f: &dyn Fn(&Vec<f64>) -> f64| -> (f64, f64) {
                let mut v: Vec<f64> = d.iter().map(f).collect();
                v.sort_by(f64::total_cmp);
                if v.is_empty() {
                    return (f64::NAN, f64::NAN);
                }
                (quantile(&v, alpha), quantile(&v, 1.0 - alpha))
            };
            let (low, high): (Vec<f64>, Vec<f64>) = (0..k).map(|c| col(&|s| s[c])).unzip();
            let net = labels.signed(&share).map(|m| {
                let (lo, hi) = col(&|s| labels.signed(s).unwrap_or(f64::NAN));
                [m, lo, hi]
            });
            Shares {
                estimator,
                share,
                low,
                high,
                net,
            }
        })
        .collect()
}

/// The q-quantile of sorted values (linear interpolation).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}
