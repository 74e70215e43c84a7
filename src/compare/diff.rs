//! The difference between two groups for each actor both name: the score and net-stance
//! differences with bootstrap intervals, permutation p-values and Holm's adjustment.

use super::summary::{as_bins, Bin, Group, Groups, Store};
use super::{effective, CompareOptions, Estimate, ModelView};
use crate::quantify::bayes::{hypergeometric, multinomial};
use crate::quantify::binned::{self, Bins};
use crate::quantify::{self, Estimator, Rates};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

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

/// How the net stance of a set of articles is measured: the labels' polarity and the
/// estimator.
#[derive(Clone, Copy)]
struct Net<'a> {
    view: &'a ModelView,
    estimator: Estimator,
}

impl Net<'_> {
    /// The net stance of `rows` with `rates`; None without polarity.
    fn of_rows(&self, rows: &[&[f64]], rates: Option<&Rates>) -> Option<f64> {
        self.view.labels.positive()?;
        self.view.labels.negative()?;
        let all: Vec<usize> = (0..rows.len()).collect();
        (self.view.labels).signed(&quantify::shares_of(self.estimator, rows, &all, rates))
    }

    /// The net stance of `bins` with `w` articles in each.
    fn of_bins(&self, bins: &Binned, w: &[f64], rates: Option<&Rates>) -> Option<f64> {
        self.view.labels.positive()?;
        self.view.labels.negative()?;
        let shares = binned::shares_of(self.estimator, &bins.bins, &bins.lnp, w, rates);
        self.view.labels.signed(&shares)
    }
}

/// Bins of articles, as the difference uses them.
struct Binned {
    bins: Bins,
    /// The logarithms of the bins' mean probabilities ([`Bins::log_mean`]).
    lnp: Vec<Vec<f64>>,
    /// Each bin's mean score (an article without one counting 0).
    score: Vec<f64>,
}

impl Binned {
    /// The bins `(key, bin)`.
    fn of<'b>(bins: impl Iterator<Item = (&'b Vec<u16>, &'b Bin)>) -> Binned {
        let (bins, score) = as_bins(bins);
        Binned {
            lnp: bins.log_mean(),
            bins,
            score,
        }
    }

    /// The mean score and (with `net`) the net stance of `w[i]` articles of each bin `i`.
    fn stats(&self, w: &[f64], net: Option<Net>, rates: Option<&Rates>) -> (f64, Option<f64>) {
        let n: f64 = w.iter().sum();
        let score = w.iter().zip(&self.score).map(|(a, b)| a * b).sum::<f64>() / n;
        (score, net.and_then(|net| net.of_bins(self, w, rates)))
    }
}

/// One group's articles for one actor: one by one (each one's score, 0 without one, and its
/// probabilities), or as bins when the group is larger than the exact limit.
enum Side<'a> {
    Rows {
        scores: Vec<f64>,
        rows: Vec<&'a [f64]>,
    },
    Bins(Binned),
}

impl<'a> Side<'a> {
    fn of(g: &'a Group) -> Side<'a> {
        match &g.store {
            Store::Rows { probs, scores } => Side::Rows {
                scores: scores.iter().map(|s| s.unwrap_or(0.0)).collect(),
                rows: probs.chunks(g.k.max(1)).collect(),
            },
            Store::Bins(map) => Side::Bins(Binned::of(map.iter())),
        }
    }

    /// The mean score and the net stance (with `net`) of the group.
    fn observed(&self, net: Option<Net>, rates: Option<&Rates>) -> (f64, Option<f64>) {
        match self {
            Side::Rows { scores, rows } => (
                scores.iter().sum::<f64>() / scores.len() as f64,
                net.and_then(|net| net.of_rows(rows, rates)),
            ),
            Side::Bins(b) => b.stats(&b.bins.count, net, rates),
        }
    }

    /// [`Side::observed`] of a bootstrap resample: articles drawn with replacement (as
    /// copies of their bin's mean, multinomially over the bins, for a binned group).
    fn resample(
        &self,
        net: Option<Net>,
        rates: Option<&Rates>,
        rng: &mut ChaCha8Rng,
    ) -> (f64, Option<f64>) {
        match self {
            Side::Rows { scores, rows } => {
                let n = scores.len();
                let pick: Vec<usize> = (0..n).map(|_| rng.gen_range(0..n)).collect();
                let score = pick.iter().map(|&i| scores[i]).sum::<f64>() / n as f64;
                let net = net.and_then(|net| {
                    let x: Vec<&[f64]> = pick.iter().map(|&i| rows[i]).collect();
                    net.of_rows(&x, rates)
                });
                (score, net)
            }
            Side::Bins(b) => {
                let w: Vec<f64> = multinomial(b.bins.n() as u64, &b.bins.count, rng)
                    .into_iter()
                    .map(|x| x as f64)
                    .collect();
                b.stats(&w, net, rates)
            }
        }
    }
}

fn minus((a, na): (f64, Option<f64>), (b, nb): (f64, Option<f64>)) -> (f64, Option<f64>) {
    (a - b, na.zip(nb).map(|(x, y)| x - y))
}

/// Bootstrap replicates of the score difference and (with `net`) of the net-stance difference:
/// each group resampled, and the calibration examples for adjusted estimators (replicate `b`
/// of `error_rates`). Both sorted.
fn bootstrap_diffs(
    a: &Side,
    b: &Side,
    net: Option<Net>,
    error_rates: Option<&quantify::ErrorRates>,
    resamples: usize,
    rng: &mut ChaCha8Rng,
) -> (Vec<f64>, Vec<f64>) {
    let mut ds = Vec::with_capacity(resamples);
    let mut dn = Vec::with_capacity(resamples);
    for i in 0..resamples {
        let r = error_rates.map(|e| &e.replicates[i % e.replicates.len().max(1)]);
        let xa = a.resample(net, r, rng);
        let (d_score, d_net) = minus(xa, b.resample(net, r, rng));
        ds.push(d_score);
        dn.extend(d_net);
    }
    ds.sort_by(f64::total_cmp);
    dn.sort_by(f64::total_cmp);
    (ds, dn)
}

/// What the permutation test shuffles: both groups' articles one by one, or, when either
/// group is held as bins, both groups' articles pooled into the same bins (the pooled mean
/// of each), with how many articles of each bin are A's.
enum Pooled<'a> {
    Rows {
        scores: Vec<f64>,
        rows: Vec<&'a [f64]>,
        n_a: usize,
    },
    Bins {
        bins: Binned,
        count: Vec<u64>,
        in_a: Vec<u64>,
    },
}

impl<'a> Pooled<'a> {
    fn of(ga: &Group, gb: &Group, a: &Side<'a>, b: &Side<'a>) -> Pooled<'a> {
        if let (
            Side::Rows { scores, rows },
            Side::Rows {
                scores: sb,
                rows: rb,
            },
        ) = (a, b)
        {
            return Pooled::Rows {
                scores: scores.iter().chain(sb).copied().collect(),
                rows: rows.iter().chain(rb).copied().collect(),
                n_a: scores.len(),
            };
        }
        let mut pooled: BTreeMap<Vec<u16>, (Bin, u64)> = BTreeMap::new();
        for (key, bin) in ga.bins().iter() {
            pooled.insert(key.clone(), (bin.clone(), bin.count));
        }
        for (key, bin) in gb.bins().iter() {
            match pooled.get_mut(key) {
                Some((x, _)) => x.add(bin),
                None => {
                    pooled.insert(key.clone(), (bin.clone(), 0));
                }
            }
        }
        Pooled::Bins {
            bins: Binned::of(pooled.iter().map(|(k, (bin, _))| (k, bin))),
            count: pooled.values().map(|(bin, _)| bin.count).collect(),
            in_a: pooled.values().map(|(_, a)| *a).collect(),
        }
    }

    /// The score and net-stance differences of A's articles minus B's: `of_groups` (the
    /// groups' own) for articles one by one, else those of the pooled bins.
    fn observed(
        &self,
        of_groups: (f64, Option<f64>),
        net: Option<Net>,
        rates: Option<&Rates>,
    ) -> (f64, Option<f64>) {
        match self {
            Pooled::Rows { .. } => of_groups,
            Pooled::Bins { bins, count, in_a } => split(bins, count, in_a, net, rates),
        }
    }

    /// The differences of one shuffle of which articles are A's.
    fn shuffled(
        &self,
        idx: &mut [usize],
        net: Option<Net>,
        rates: Option<&Rates>,
        rng: &mut ChaCha8Rng,
    ) -> (f64, Option<f64>) {
        match self {
            Pooled::Rows { scores, rows, n_a } => {
                idx.shuffle(rng);
                let (ia, ib) = idx.split_at(*n_a);
                let ps = ia.iter().map(|&i| scores[i]).sum::<f64>() / ia.len() as f64
                    - ib.iter().map(|&i| scores[i]).sum::<f64>() / ib.len() as f64;
                let pn = net.and_then(|net| {
                    let xa: Vec<&[f64]> = ia.iter().map(|&i| rows[i]).collect();
                    let xb: Vec<&[f64]> = ib.iter().map(|&i| rows[i]).collect();
                    net.of_rows(&xa, rates)
                        .zip(net.of_rows(&xb, rates))
                        .map(|(x, y)| x - y)
                });
                (ps, pn)
            }
            Pooled::Bins { bins, count, in_a } => {
                let n_a = in_a.iter().sum::<u64>();
                let draw = hypergeometric(n_a, count, rng);
                split(bins, count, &draw, net, rates)
            }
        }
    }
}

/// The differences of the pooled bins' articles `in_a` (of each bin's `count`) minus the
/// rest.
fn split(
    bins: &Binned,
    count: &[u64],
    in_a: &[u64],
    net: Option<Net>,
    rates: Option<&Rates>,
) -> (f64, Option<f64>) {
    let wa: Vec<f64> = in_a.iter().map(|&x| x as f64).collect();
    let wb: Vec<f64> = count
        .iter()
        .zip(in_a)
        .map(|(c, a)| (c - a) as f64)
        .collect();
    minus(bins.stats(&wa, net, rates), bins.stats(&wb, net, rates))
}

/// Permutation test: how many of `permutations` shuffles of which articles belong to A and
/// which to B give a score difference (and, with `net`, a net-stance difference) at least as
/// large as the observed one (`d`).
fn permutation_hits(
    pool: &Pooled,
    d: (f64, Option<f64>),
    net: Option<Net>,
    rates: Option<&Rates>,
    permutations: usize,
    rng: &mut ChaCha8Rng,
) -> (usize, usize) {
    let len = match pool {
        Pooled::Rows { scores, .. } => scores.len(),
        Pooled::Bins { .. } => 0,
    };
    let mut idx: Vec<usize> = (0..len).collect();
    let (mut hits_s, mut hits_n) = (0usize, 0usize);
    let net = net.filter(|_| d.1.is_some());
    for _ in 0..permutations {
        let (ps, pn) = pool.shuffled(&mut idx, net, rates, rng);
        if ps.abs() >= d.0.abs() - 1e-12 {
            hits_s += 1;
        }
        if let (Some(x), Some(d)) = (pn, d.1) {
            if x.abs() >= d.abs() - 1e-12 {
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

/// Group A minus group B for each actor both name, from the groups' summaries: the score and
/// net-stance differences with bootstrap intervals and permutation p-values (`permutations`
/// shuffles of group membership), and Holm-adjusted p-values when more than one actor is
/// compared. Groups held article by article are resampled and shuffled article by article;
/// when either is held as bins, its resamples are multinomial over its bins and the shuffles
/// deal the articles of both groups' pooled bins out at random (hypergeometric draws), the
/// observed split measured on the same pooled bins.
pub fn diff(
    groups: &Groups,
    a: &str,
    b: &str,
    opts: &CompareOptions,
    view: &ModelView,
    permutations: usize,
) -> Vec<Difference> {
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let estimator = effective(opts.estimator, view);
    let all = groups.cells();
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
        let (Some(ga), Some(gb)) = (
            all.get(&(a.to_string(), actor.clone())),
            all.get(&(b.to_string(), actor.clone())),
        ) else {
            continue;
        };
        let (sa, sb) = (Side::of(ga), Side::of(gb));
        let (d_score, d_net) = minus(
            sa.observed(Some(net), rates.as_ref()),
            sb.observed(Some(net), rates.as_ref()),
        );
        let with_net = d_net.map(|_| net);
        let (ds, dn) = bootstrap_diffs(
            &sa,
            &sb,
            with_net,
            error_rates.as_ref(),
            opts.bootstrap,
            &mut rng,
        );
        let pool = Pooled::of(ga, gb, &sa, &sb);
        let d = pool.observed((d_score, d_net), with_net, rates.as_ref());
        let (hits_s, hits_n) =
            permutation_hits(&pool, d, with_net, rates.as_ref(), permutations, &mut rng);
        let p = |hits: usize| (hits as f64 + 1.0) / (permutations as f64 + 1.0);
        out.push(Difference {
            actor: actor.clone(),
            a: a.to_string(),
            b: b.to_string(),
            n_a: ga.n(),
            n_b: gb.n(),
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
