//! The difference between two groups for each actor both name: the score and net-stance
//! differences with bootstrap intervals, permutation p-values and Holm's adjustment.

use super::{cells, effective, CompareOptions, Estimate, ModelView};
use crate::pipeline::ArticleScore;
use crate::quantify::{self, Estimator};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The difference between two groups for one actor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Difference {
    /// The actor.
    pub actor: String,
    /// Group A.
    pub a: String,
    /// Group B.
    pub b: String,
    /// Group A's articles.
    pub n_a: usize,
    /// Group B's articles.
    pub n_b: usize,
    /// Mean signed score of A minus that of B, with a bootstrap interval.
    pub score: Estimate,
    /// Permutation-test p-value of the score difference (two-sided).
    pub score_p: f64,
    /// Net stance (share of the positive label minus share of the negative one, by the
    /// estimator) of A minus that of B, with a bootstrap interval.
    pub net: Option<Estimate>,
    /// Permutation-test p-value of the net-stance difference.
    pub net_p: Option<f64>,
    /// The estimator of the net stance.
    pub estimator: Estimator,
    /// Holm-adjusted p-values when several actors are compared at once.
    pub score_p_holm: Option<f64>,
    /// Holm-adjusted p-value of the net-stance difference.
    pub net_p_holm: Option<f64>,
}

fn net_of(
    rows: &[&[f64]],
    view: &ModelView,
    estimator: Estimator,
    rates: Option<&quantify::Rates>,
) -> Option<f64> {
    view.labels.positive()?;
    view.labels.negative()?;
    let all: Vec<usize> = (0..rows.len()).collect();
    view.labels
        .signed(&quantify::shares_of(estimator, rows, &all, rates))
}

/// One actor's articles in the two groups: signed scores and label probabilities.
struct Pair<'a> {
    sa: Vec<f64>,
    sb: Vec<f64>,
    ra: Vec<&'a [f64]>,
    rb: Vec<&'a [f64]>,
}

/// How the net stance of a set of rows is measured: the labels' polarity and the estimator.
#[derive(Clone, Copy)]
struct Net<'a> {
    view: &'a ModelView,
    estimator: Estimator,
}

impl Net<'_> {
    /// Net stance of `xa` minus that of `xb` with `rates`; None without polarity.
    fn diff(&self, xa: &[&[f64]], xb: &[&[f64]], rates: Option<&quantify::Rates>) -> Option<f64> {
        net_of(xa, self.view, self.estimator, rates)
            .zip(net_of(xb, self.view, self.estimator, rates))
            .map(|(x, y)| x - y)
    }
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// Bootstrap replicates of the score difference and (with `net`) of the net-stance difference:
/// each group resampled, and the calibration examples for adjusted estimators (replicate `b`
/// of `error_rates`). Both sorted.
fn bootstrap_diffs(
    pair: &Pair,
    net: Option<Net>,
    error_rates: Option<&quantify::ErrorRates>,
    resamples: usize,
    rng: &mut ChaCha8Rng,
) -> (Vec<f64>, Vec<f64>) {
    let (sa, sb) = (&pair.sa, &pair.sb);
    let mut ds = Vec::with_capacity(resamples);
    let mut dn = Vec::with_capacity(resamples);
    for b in 0..resamples {
        let pa: Vec<usize> = (0..sa.len()).map(|_| rng.gen_range(0..sa.len())).collect();
        let pb: Vec<usize> = (0..sb.len()).map(|_| rng.gen_range(0..sb.len())).collect();
        ds.push(
            pa.iter().map(|&i| sa[i]).sum::<f64>() / sa.len() as f64
                - pb.iter().map(|&i| sb[i]).sum::<f64>() / sb.len() as f64,
        );
        if let Some(net) = net {
            let r = error_rates.map(|e| e.replicates[b % e.replicates.len().max(1)].clone());
            let xa: Vec<&[f64]> = pa.iter().map(|&i| pair.ra[i]).collect();
            let xb: Vec<&[f64]> = pb.iter().map(|&i| pair.rb[i]).collect();
            if let Some(d) = net.diff(&xa, &xb, r.as_ref()) {
                dn.push(d);
            }
        }
    }
    ds.sort_by(f64::total_cmp);
    dn.sort_by(f64::total_cmp);
    (ds, dn)
}

/// Permutation test: how many of `permutations` shuffles of which articles belong to A and
/// which to B give a score difference (and, with `net`, a net-stance difference) at least as
/// large as the observed `d_score` (`d_net`).
fn permutation_hits(
    pair: &Pair,
    d_score: f64,
    net: Option<(Net, f64)>,
    rates: Option<&quantify::Rates>,
    permutations: usize,
    rng: &mut ChaCha8Rng,
) -> (usize, usize) {
    let pooled_s: Vec<f64> = pair.sa.iter().chain(&pair.sb).copied().collect();
    let pooled_r: Vec<&[f64]> = pair.ra.iter().chain(&pair.rb).copied().collect();
    let mut idx: Vec<usize> = (0..pooled_s.len()).collect();
    let (mut hits_s, mut hits_n) = (0usize, 0usize);
    for _ in 0..permutations {
        idx.shuffle(rng);
        let (ia, ib) = idx.split_at(pair.sa.len());
        let ps = ia.iter().map(|&i| pooled_s[i]).sum::<f64>() / ia.len() as f64
            - ib.iter().map(|&i| pooled_s[i]).sum::<f64>() / ib.len() as f64;
        if ps.abs() >= d_score.abs() - 1e-12 {
            hits_s += 1;
        }
        if let Some((net, d)) = net {
            let xa: Vec<&[f64]> = ia.iter().map(|&i| pooled_r[i]).collect();
            let xb: Vec<&[f64]> = ib.iter().map(|&i| pooled_r[i]).collect();
            if net
                .diff(&xa, &xb, rates)
                .is_some_and(|x| x.abs() >= d.abs() - 1e-12)
            {
                hits_n += 1;
            }
        }
    }
    (hits_s, hits_n)
}

/// `mean` with the `alpha` and 1 - `alpha` quantiles of the sorted replicates `v` (the mean
/// itself when there are none).
fn interval(v: &[f64], mean: f64, alpha: f64) -> Estimate {
    if v.is_empty() {
        return Estimate {
            mean,
            low: mean,
            high: mean,
        };
    }
    Estimate {
        mean,
        low: quantify::quantile(v, alpha),
        high: quantify::quantile(v, 1.0 - alpha),
    }
}

/// Holm's step-down adjustment of the p-values `ps` (in their order).
fn holm(ps: &[f64]) -> Vec<f64> {
    let m = ps.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&i, &j| ps[i].total_cmp(&ps[j]));
    let mut adj = vec![0.0; m];
    let mut running: f64 = 0.0;
    for (rank, &i) in order.iter().enumerate() {
        running = running.max(((m - rank) as f64 * ps[i]).min(1.0));
        adj[i] = running;
    }
    adj
}

/// Sets the Holm-adjusted p-values of every difference (the net ones when all have one).
fn adjust_holm(out: &mut [Difference]) {
    let s = holm(&out.iter().map(|d| d.score_p).collect::<Vec<_>>());
    for (d, p) in out.iter_mut().zip(s) {
        d.score_p_holm = Some(p);
    }
    if out.iter().all(|d| d.net_p.is_some()) {
        let n = holm(
            &out.iter()
                .map(|d| d.net_p.unwrap_or(1.0))
                .collect::<Vec<_>>(),
        );
        for (d, p) in out.iter_mut().zip(n) {
            d.net_p_holm = Some(p);
        }
    }
}

/// Group A minus group B for each actor both name: the score and net-stance differences with
/// bootstrap intervals and permutation p-values (`permutations` shuffles of group membership),
/// and Holm-adjusted p-values when more than one actor is compared.
pub fn diff(
    articles: &[ArticleScore],
    a: &str,
    b: &str,
    opts: &CompareOptions,
    view: &ModelView,
    permutations: usize,
) -> Vec<Difference> {
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let estimator = effective(opts.estimator, view);
    let all = cells(articles, opts, view);
    let actors: BTreeSet<&String> = all.keys().map(|(_, actor)| actor).collect();
    let error_rates = view
        .calibration
        .as_ref()
        .map(|c| c.error_rates(opts.bootstrap, &mut rng));
    let rates = error_rates.as_ref().map(|r| r.point.clone());
    let alpha = (1.0 - opts.level) / 2.0;
    let net = Net { view, estimator };
    let mut out = Vec::new();
    for actor in actors {
        let (Some(ca), Some(cb)) = (
            all.get(&(a.to_string(), actor.clone())),
            all.get(&(b.to_string(), actor.clone())),
        ) else {
            continue;
        };
        let pair = Pair {
            sa: ca.iter().map(|c| c.score.unwrap_or(0.0)).collect(),
            sb: cb.iter().map(|c| c.score.unwrap_or(0.0)).collect(),
            ra: ca.iter().map(|c| c.probs.as_slice()).collect(),
            rb: cb.iter().map(|c| c.probs.as_slice()).collect(),
        };
        let d_score = mean(&pair.sa) - mean(&pair.sb);
        let d_net = net.diff(&pair.ra, &pair.rb, rates.as_ref());
        let (ds, dn) = bootstrap_diffs(
            &pair,
            d_net.map(|_| net),
            error_rates.as_ref(),
            opts.bootstrap,
            &mut rng,
        );
        let (hits_s, hits_n) = permutation_hits(
            &pair,
            d_score,
            d_net.map(|d| (net, d)),
            rates.as_ref(),
            permutations,
            &mut rng,
        );
        let p = |hits: usize| (hits as f64 + 1.0) / (permutations as f64 + 1.0);
        out.push(Difference {
            actor: actor.clone(),
            a: a.to_string(),
            b: b.to_string(),
            n_a: pair.sa.len(),
            n_b: pair.sb.len(),
            score: interval(&ds, d_score, alpha),
            score_p: p(hits_s),
            net: d_net.map(|d| interval(&dn, d, alpha)),
            net_p: d_net.map(|_| p(hits_n)),
            estimator,
            score_p_holm: None,
            net_p_holm: None,
        });
    }
    if out.len() > 1 {
        adjust_holm(&mut out);
    }
    out
}
