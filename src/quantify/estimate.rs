//! Every estimator's label shares for one group, with percentile bootstrap intervals.

use super::bayes::{posterior, Sampler};
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
    emq_weighted(rows, None, prior)
}

/// [`emq`] of rows that stand for `weight[i]` articles each (all 1 without weights; a weight
/// of 1 gives the same arithmetic, bit for bit, as no weight).
pub fn emq_weighted(rows: &[Vec<f64>], weight: Option<&[f64]>, prior: &[f64]) -> Vec<f64> {
    let k = prior.len();
    if rows.is_empty() {
        return prior.to_vec();
    }
    let w = |i: usize| weight.map_or(1.0, |w| w[i]);
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
        for (i, row) in r.iter().enumerate() {
            let wi = w(i);
            if wi == 0.0 {
                continue;
            }
            let z: f64 = row.iter().zip(q).map(|(a, b)| a * b).sum();
            if z > 0.0 {
                for c in 0..k {
                    next[c] += wi * (row[c] * q[c] / z);
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
                if loglik(&r, weight, &x) >= loglik(&r, weight, &q2) {
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

/// The log-likelihood `Σ w ln(row · q)` that EMQ maximises (rows already divided by the
/// prior; every weight 1 without weights).
fn loglik(r: &[Vec<f64>], weight: Option<&[f64]>, q: &[f64]) -> f64 {
    r.iter()
        .enumerate()
        .map(|(i, row)| {
            let l = row
                .iter()
                .zip(q)
                .map(|(a, b)| a * b)
                .sum::<f64>()
                .max(1e-300)
                .ln();
            match weight {
                Some(w) if w[i] == 0.0 => 0.0,
                Some(w) => w[i] * l,
                None => l,
            }
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
    if let (Estimator::Bcc, Some(r)) = (estimator, rates) {
        let mut observed = vec![0.0; r.hard_counts.len()];
        for &i in pick {
            observed[crate::model::argmax(rows[i])] += 1.0;
        }
        return bcc_mean(&observed, r);
    }
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
    from_counts(&cc, &pcc, rates, only, |r| {
        let recal: Vec<Vec<f64>> = pick.iter().map(|&i| r.recal.apply(rows[i])).collect();
        emq(&recal, &r.prior)
    })
}

/// The estimates of every estimator (or only `only`) from a group's counting shares `cc`, its
/// mean probabilities `pcc` and, for EMQ, `emq` of the rates: in the order CC, PCC, ACC, PACC,
/// EMQ; PCC also stands in when an adjusted estimator is asked for without rates. Shared by
/// groups held article by article and as bins, which differ only in how EMQ reads them.
pub(crate) fn from_counts(
    cc: &[f64],
    pcc: &[f64],
    rates: Option<&Rates>,
    only: Option<Estimator>,
    emq: impl FnOnce(&Rates) -> Vec<f64>,
) -> Vec<(Estimator, Vec<f64>)> {
    let want = |e: Estimator| only.is_none_or(|o| o == e);
    let mut out = Vec::new();
    if want(Estimator::Cc) {
        out.push((Estimator::Cc, cc.to_vec()));
    }
    let pcc_wanted =
        want(Estimator::Pcc) || (rates.is_none() && only.is_some_and(|o| o.adjusted()));
    if pcc_wanted {
        out.push((Estimator::Pcc, pcc.to_vec()));
    }
    if let Some(r) = rates {
        if want(Estimator::Acc) {
            out.push((Estimator::Acc, adjust(&r.hard, cc)));
        }
        if want(Estimator::Pacc) {
            out.push((Estimator::Pacc, adjust(&r.soft, pcc)));
        }
        if want(Estimator::Emq) {
            out.push((Estimator::Emq, emq(r)));
        }
    }
    out
}

/// BayesianCC's posterior mean and draws for `rows`.
fn bcc(rows: &[&[f64]], rates: &Rates, rng: &mut ChaCha8Rng) -> (Vec<f64>, Vec<Vec<f64>>) {
    let k = rates.hard_counts.len();
    let mut observed = vec![0.0; k];
    for r in rows {
        observed[crate::model::argmax(r)] += 1.0;
    }
    bcc_counts(&observed, rates, rng)
}

/// BayesianCC's posterior mean and draws for a group of `observed[c]` articles predicted as
/// `c` (all it needs of the group).
pub(crate) fn bcc_counts(
    observed: &[f64],
    rates: &Rates,
    rng: &mut ChaCha8Rng,
) -> (Vec<f64>, Vec<Vec<f64>>) {
    let k = rates.hard_counts.len();
    let draws = posterior(&rates.hard_counts, observed, &Sampler::default(), rng);
    let mean = (0..k)
        .map(|c| draws.iter().map(|d| d[c]).sum::<f64>() / draws.len() as f64)
        .collect();
    (mean, draws)
}

/// BayesianCC's posterior mean for `observed[c]` articles predicted as `c`, drawn with a
/// generator seeded 0: the point estimate of one estimator's shares ([`shares_of`]).
pub(crate) fn bcc_mean(observed: &[f64], rates: &Rates) -> Vec<f64> {
    let mut rng = <ChaCha8Rng as rand::SeedableRng>::seed_from_u64(0);
    bcc_counts(observed, rates, &mut rng).0
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
    /// Share of the positive label minus share of the negative label, with its interval:
    /// `[estimate, low, high]` (written as an object with those keys).
    #[serde(with = "net_keys", default)]
    pub net: Option<[f64; 3]>,
    /// Whether the estimate lies on the simplex's edge (a share of 0 or 1) for a group of
    /// fewer than [`EDGE_GROUP`] articles: an extreme answer from few articles, to be read
    /// with care.
    #[serde(default)]
    pub at_edge: bool,
    /// For the corrected estimators: whether the group's predicted labels are more than the
    /// out-of-fold error rates can produce from any label shares ([`misfit`] above
    /// [`MISFIT_LIMIT`]): the articles differ from the labeled ones in more than their label
    /// shares, and every corrected estimate of the group is unreliable.
    #[serde(default)]
    pub unexplained: bool,
}

/// The statistic above which a group's predicted labels count as unexplained by the error
/// rates: the 99th percentile of χ² with 2 degrees of freedom (`−2 ln 0.01`).
pub const MISFIT_LIMIT: f64 = 9.21;

/// How far a group's predicted-label shares `q` (of `n` articles) lie from every share vector
/// the error rates can produce (`Aᵀp` for label shares `p` on the simplex): the sum over labels
/// of the squared gap to the closest such vector, each over its variance (the sampling of the
/// group's articles and of the out-of-fold examples behind the rates). Zero when some label
/// shares explain the group exactly; under the prior-shift assumption it is small (about χ²
/// with up to k − 1 degrees of freedom).
pub fn misfit(rates: &Rates, q: &[f64], n: usize) -> f64 {
    let k = q.len();
    let p = adjust(&rates.hard, q);
    let support: Vec<f64> = rates.hard_counts.iter().map(|r| r.iter().sum()).collect();
    (0..k)
        .map(|c| {
            let fit: f64 = (0..k).map(|t| rates.hard[t][c] * p[t]).sum();
            let from_group = fit * (1.0 - fit) / n.max(1) as f64;
            let from_rates: f64 = (0..k)
                .filter(|&t| support[t] > 0.0)
                .map(|t| p[t] * p[t] * rates.hard[t][c] * (1.0 - rates.hard[t][c]) / support[t])
                .sum();
            let var = (from_group + from_rates).max(1e-12);
            (q[c] - fit).powi(2) / var
        })
        .sum()
}

/// Below this many articles, an estimate on the simplex's edge is flagged ([`Shares::at_edge`]).
pub const EDGE_GROUP: usize = 50;

/// The standard normal quantile (Acklam's rational approximation, relative error below
/// 1.2e-9; hand-written because it is the only special function needed).
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.383_577_518_672_69e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e1,
        1.615858368580409e2,
        -1.556989798598866e2,
        6.680131188771972e1,
        -1.328068155288572e1,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-3,
        3.224671290700398e-1,
        2.445134137142996,
        3.754408661907416,
    ];
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// The narrowest interval a group of `n` articles allows for a share estimated at `p`: the
/// Wilson score interval, what even a perfect classifier would leave from sampling `n`
/// articles. Every interval is widened to hold it.
pub fn size_floor(p: f64, n: usize, z: f64) -> (f64, f64) {
    let n = n.max(1) as f64;
    let p = p.clamp(0.0, 1.0);
    let z2 = z * z;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = z / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// The same floor for the net score `p⁺ − p⁻` of `k` labels: a normal interval on the shares
/// shrunk toward even by `z²` pseudo-articles (as Wilson's interval is).
pub fn net_floor(pos: f64, neg: f64, k: usize, n: usize, z: f64) -> (f64, f64) {
    let (n, z2) = (n.max(1) as f64, z * z);
    let shrink = |x: f64| (n * x + z2 / k as f64) / (n + z2);
    let (a, b) = (shrink(pos), shrink(neg));
    let half = z * ((a + b - (a - b).powi(2)).max(0.0) / (n + z2)).sqrt();
    let net = pos - neg;
    ((net - half).max(-1.0), (net + half).min(1.0))
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
    estimate_only(rows, rates, labels, bootstrap, level, rng, None)
}

/// The point estimates of every estimator (BayesianCC's posterior mean last), without
/// intervals: what choosing among them needs.
pub(crate) fn points(
    rows: &[&[f64]],
    rates: &Rates,
    rng: &mut ChaCha8Rng,
) -> Vec<(Estimator, Vec<f64>)> {
    let all: Vec<usize> = (0..rows.len()).collect();
    let mut out = estimate_all(rows, &all, Some(rates), None);
    out.push((Estimator::Bcc, bcc(rows, rates, rng).0));
    out
}

/// The point estimate of one estimator (not `auto`) from the point rates.
pub(crate) fn point_of(
    rows: &[&[f64]],
    rates: &Rates,
    estimator: Estimator,
    rng: &mut ChaCha8Rng,
) -> Option<Vec<f64>> {
    if estimator == Estimator::Bcc {
        return Some(bcc(rows, rates, rng).0);
    }
    let all: Vec<usize> = (0..rows.len()).collect();
    estimate_all(rows, &all, Some(rates), Some(estimator))
        .into_iter()
        .find(|(e, _)| *e == estimator)
        .map(|(_, s)| s)
}

/// [`estimate`] of one estimator only (`Some`), or of all (`None`).
pub(crate) fn estimate_only(
    rows: &[&[f64]],
    rates: Option<&ErrorRates>,
    labels: &LabelSet,
    bootstrap: usize,
    level: f64,
    rng: &mut ChaCha8Rng,
    only: Option<Estimator>,
) -> Vec<Shares> {
    let k = rows.first().map_or(0, |r| r.len());
    let n = rows.len();
    let all: Vec<usize> = (0..n).collect();
    // BayesianCC has no bootstrap: its intervals come from its posterior draws.
    let resampled = only.filter(|&e| e != Estimator::Bcc);
    let point = match only {
        Some(Estimator::Bcc) => Vec::new(),
        _ => estimate_all(rows, &all, rates.map(|r| &r.point), resampled),
    };
    let mut draws: Vec<Vec<Vec<f64>>> = vec![Vec::with_capacity(bootstrap); point.len()];
    for b in 0..bootstrap * usize::from(!point.is_empty()) {
        let pick: Vec<usize> = (0..n).map(|_| rng.gen_range(0..n)).collect();
        // Without replicates of the error rates, the point rates (only the articles resampled).
        let r = rates.map(|r| {
            if r.replicates.is_empty() {
                &r.point
            } else {
                &r.replicates[b % r.replicates.len()]
            }
        });
        for (j, (_, s)) in estimate_all(rows, &pick, r, resampled)
            .into_iter()
            .enumerate()
        {
            draws[j].push(s);
        }
    }
    let mut point = point;
    if let (Some(r), None | Some(Estimator::Bcc)) = (rates, only) {
        let (mean, d) = bcc(rows, &r.point, rng);
        point.push((Estimator::Bcc, mean));
        draws.push(d);
    }
    let mut q = vec![0.0; k];
    for row in rows {
        q[crate::model::argmax(row)] += 1.0 / n.max(1) as f64;
    }
    finish(point, draws, &q, n, rates, labels, level)
}

/// The shares with their intervals, from each estimator's point estimate and its bootstrap
/// (or posterior) draws, for a group of `n` articles whose predicted-label shares are `q`.
pub(crate) fn finish(
    point: Vec<(Estimator, Vec<f64>)>,
    draws: Vec<Vec<Vec<f64>>>,
    q: &[f64],
    n: usize,
    rates: Option<&ErrorRates>,
    labels: &LabelSet,
    level: f64,
) -> Vec<Shares> {
    let k = q.len();
    let alpha = (1.0 - level) / 2.0;
    let z = normal_quantile(1.0 - alpha);
    let unexplained = rates.is_some_and(|r| misfit(&r.point, q, n) > MISFIT_LIMIT);
    point
        .into_iter()
        .zip(draws)
        .map(|((estimator, share), d)| {
            // Bootstrap draws give percentile intervals; BayesianCC's posterior draws the
            // shortest interval holding `level` of them, which reaches the edge of the range
            // when the density is highest there (a label no article was predicted as).
            let col = |f: &dyn Fn(&Vec<f64>) -> f64, range: (f64, f64)| -> (f64, f64) {
                let mut v: Vec<f64> = d.iter().map(f).collect();
                v.sort_by(f64::total_cmp);
                if v.is_empty() {
                    return (f64::NAN, f64::NAN);
                }
                if estimator == Estimator::Bcc {
                    shortest(&v, level, range)
                } else {
                    (quantile(&v, alpha), quantile(&v, 1.0 - alpha))
                }
            };
            let (low, high): (Vec<f64>, Vec<f64>) = (0..k)
                .map(|c| {
                    let (lo, hi) = col(&|s| s[c], (0.0, 1.0));
                    let (flo, fhi) = size_floor(share[c], n, z);
                    (lo.min(flo), hi.max(fhi))
                })
                .unzip();
            let net = labels.signed(&share).map(|m| {
                let (lo, hi) = col(&|s| labels.signed(s).unwrap_or(f64::NAN), (-1.0, 1.0));
                let (pos, neg) = (labels.positive(), labels.negative());
                let (flo, fhi) = match (pos, neg) {
                    (Some(p), Some(q)) => net_floor(share[p], share[q], k, n, z),
                    _ => (m, m),
                };
                [m, lo.min(flo), hi.max(fhi)]
            });
            let at_edge =
                n < EDGE_GROUP && share.iter().any(|&x| !(1e-6..=1.0 - 1e-6).contains(&x));
            Shares {
                estimator,
                share,
                low,
                high,
                net,
                at_edge,
                unexplained: unexplained && estimator.adjusted(),
            }
        })
        .collect()
}

/// The shortest interval holding `level` of the sorted draws `v`; an end at the first or last
/// draw is taken to the end of `range` (the highest density is at the edge).
pub fn shortest(v: &[f64], level: f64, range: (f64, f64)) -> (f64, f64) {
    let n = v.len();
    let m = ((level * n as f64).ceil() as usize).clamp(1, n) - 1;
    let best = (0..n - m)
        .min_by(|&a, &b| (v[a + m] - v[a]).total_cmp(&(v[b + m] - v[b])))
        .unwrap_or(0);
    let lo = if best == 0 { range.0 } else { v[best] };
    let hi = if best + m == n - 1 {
        range.1
    } else {
        v[best + m]
    };
    (lo, hi)
}

/// The q-quantile of sorted values (linear interpolation).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// The net score with its interval as `{"estimate", "low", "high"}` in JSON; reads that and
/// the earlier positional `[estimate, low, high]`.
mod net_keys {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    struct Net {
        estimate: f64,
        low: f64,
        high: f64,
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Keys(Net),
        Array([f64; 3]),
    }

    pub fn serialize<S: Serializer>(v: &Option<[f64; 3]>, s: S) -> Result<S::Ok, S::Error> {
        v.map(|[estimate, low, high]| Net {
            estimate,
            low,
            high,
        })
        .serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<[f64; 3]>, D::Error> {
        Ok(Option::<Either>::deserialize(d)?.map(|e| match e {
            Either::Keys(n) => [n.estimate, n.low, n.high],
            Either::Array(a) => a,
        }))
    }
}

#[cfg(test)]
mod net_key_tests {
    use super::*;

    #[test]
    fn net_is_written_with_named_keys_and_read_either_way() {
        let s = Shares {
            estimator: Estimator::Cc,
            share: vec![0.5, 0.5],
            low: vec![0.0, 0.0],
            high: vec![1.0, 1.0],
            net: Some([0.25, -0.5, 0.75]),
            at_edge: false,
            unexplained: false,
        };
        let j = serde_json::to_value(&s).unwrap();
        assert_eq!(
            j["net"],
            serde_json::json!({"estimate": 0.25, "low": -0.5, "high": 0.75})
        );
        let back: Shares = serde_json::from_value(j.clone()).unwrap();
        assert_eq!(back, s);
        let mut old = j;
        old["net"] = serde_json::json!([0.25, -0.5, 0.75]);
        assert_eq!(serde_json::from_value::<Shares>(old).unwrap(), s);
    }
}
