//! Estimating label shares in a group of articles (quantification), correcting for the
//! classifier's errors.
//!
//! Counting predicted labels (classify and count, CC) is biased whenever the classifier errs: a
//! model that over-predicts "against" inflates every outlet's hostility. The estimators here:
//!
//! - **CC**: the share of articles whose predicted label is each label;
//! - **PCC**: the mean of the predicted probabilities;
//! - **ACC**: CC adjusted by the error rates measured out of fold: the observed shares are
//!   `q = Aᵀp` with `A[t][c] = P(predicted c | true t)`, solved for `p` on the simplex;
//! - **PACC**: the same with PCC and `A[t][c]` = the mean out-of-fold probability of `c` among
//!   examples whose true label is `t`;
//! - **EMQ**: the expectation-maximisation prior adjustment of Saerens, Latinne and
//!   Decaestecker (2002), run on probabilities first recalibrated on the out-of-fold examples by
//!   bias-corrected temperature scaling (Alexandari et al. 2020): the maximum-likelihood label
//!   shares of the group under prior shift.
//!
//! The error rates and the recalibration come from the out-of-fold predictions of
//! cross-validation, stored in the model at training time ([`Calibration`]), and are computed
//! when comparing: nothing of them is stored. Intervals are percentile bootstraps that resample
//! both the group's articles and the calibration examples (refitting the error rates and the
//! recalibration on each resample), so the uncertainty of the error rates is in them too.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Out-of-fold predictions kept in the model: each example's true class and predicted
/// probabilities (in the order of `classes`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    pub classes: Vec<String>,
    pub truth: Vec<u32>,
    /// Row-major `truth.len() × classes.len()`.
    #[serde(with = "crate::model::compact")]
    pub probabilities: Vec<f64>,
}

/// The estimators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Estimator {
    /// Classify and count.
    Cc,
    /// Probabilistic classify and count (mean probability).
    Pcc,
    /// Adjusted classify and count (CC corrected by out-of-fold error rates).
    Acc,
    /// Probabilistic adjusted classify and count (PCC corrected by out-of-fold mean probabilities).
    Pacc,
    /// Saerens–Latinne–Decaestecker EM prior adjustment on probabilities recalibrated out of
    /// fold (bias-corrected temperature scaling).
    Emq,
}

impl Estimator {
    pub const ALL: [Estimator; 5] = [
        Estimator::Cc,
        Estimator::Pcc,
        Estimator::Acc,
        Estimator::Pacc,
        Estimator::Emq,
    ];

    pub const fn name(&self) -> &'static str {
        match self {
            Estimator::Cc => "cc",
            Estimator::Pcc => "pcc",
            Estimator::Acc => "acc",
            Estimator::Pacc => "pacc",
            Estimator::Emq => "emq",
        }
    }

    /// Whether it needs out-of-fold error rates.
    pub fn adjusted(&self) -> bool {
        matches!(self, Estimator::Acc | Estimator::Pacc | Estimator::Emq)
    }
}

/// The default estimator: EMQ, the most accurate in the simulation of the README (lowest mean
/// absolute error over `data/` and NewsMTSC with groups of 100 and 400, by a small margin over
/// PACC, which is ahead on `data/` alone; both intervals cover about 95%).
pub const DEFAULT: Estimator = Estimator::Emq;

impl Calibration {
    pub fn len(&self) -> usize {
        self.truth.len()
    }

    pub fn is_empty(&self) -> bool {
        self.truth.is_empty()
    }

    fn probs(&self, i: usize) -> &[f64] {
        let k = self.classes.len();
        &self.probabilities[i * k..i * k + k]
    }

    /// The logarithms of the probabilities (row-major, floored at 1e-12), which the
    /// recalibration's fits share.
    pub fn log_probs(&self) -> Vec<f64> {
        self.probabilities
            .iter()
            .map(|p| p.max(1e-12).ln())
            .collect()
    }

    /// The matrices A for ACC (hard) and PACC (soft), and the recalibration and training prior
    /// for EMQ, over the examples `idx` (`start`: where to start the recalibration's fit;
    /// `lnp`: [`Calibration::log_probs`]).
    pub fn rates_from(&self, idx: &[usize], start: Option<&Recalibration>, lnp: &[f64]) -> Rates {
        let k = self.classes.len();
        let mut hard = vec![vec![0.0; k]; k];
        let mut soft = vec![vec![0.0; k]; k];
        let mut n = vec![0.0; k];
        for &i in idx {
            let t = self.truth[i] as usize;
            let p = self.probs(i);
            n[t] += 1.0;
            hard[t][crate::model::argmax(p)] += 1.0;
            for c in 0..k {
                soft[t][c] += p[c];
            }
        }
        for t in 0..k {
            for c in 0..k {
                if n[t] > 0.0 {
                    hard[t][c] /= n[t];
                    soft[t][c] /= n[t];
                } else {
                    // No example of this class: assume it is always recognised.
                    hard[t][c] = (t == c) as u8 as f64;
                    soft[t][c] = hard[t][c];
                }
            }
        }
        let mut weight = vec![0.0; self.len()];
        for &i in idx {
            weight[i] += 1.0 / idx.len() as f64;
        }
        let recal = Recalibration::fit(self, lnp, &weight, start);
        let mut prior = vec![0.0; k];
        for (i, &w) in weight.iter().enumerate() {
            if w > 0.0 {
                let p = recal.apply_log(&lnp[i * k..i * k + k]);
                for (m, x) in prior.iter_mut().zip(p) {
                    *m += w * x;
                }
            }
        }
        Rates {
            hard,
            soft,
            recal,
            prior,
        }
    }

    /// [`Calibration::rates_from`] with the fit started from no recalibration.
    pub fn rates(&self, idx: &[usize]) -> Rates {
        self.rates_from(idx, None, &self.log_probs())
    }
}

/// Error rates and bootstrap replicates of them (calibration examples resampled), computed
/// once and shared by every group of a comparison.
#[derive(Debug, Clone)]
pub struct ErrorRates {
    pub point: Rates,
    pub replicates: Vec<Rates>,
}

impl Calibration {
    /// The error rates with `replicates` bootstrap draws.
    pub fn error_rates(&self, replicates: usize, rng: &mut ChaCha8Rng) -> ErrorRates {
        let m = self.len();
        let lnp = self.log_probs();
        let point = self.rates_from(&(0..m).collect::<Vec<_>>(), None, &lnp);
        let replicates = (0..replicates)
            .map(|_| {
                self.rates_from(
                    &(0..m).map(|_| rng.gen_range(0..m)).collect::<Vec<_>>(),
                    Some(&point.recal),
                    &lnp,
                )
            })
            .collect();
        ErrorRates { point, replicates }
    }
}

/// Error rates: `hard[t][c]` = P(predicted c | true t); `soft[t][c]` = mean P(c) given true t;
/// and for EMQ the recalibration and the mean recalibrated probability (the training prior).
#[derive(Debug, Clone, PartialEq)]
pub struct Rates {
    pub hard: Vec<Vec<f64>>,
    pub soft: Vec<Vec<f64>>,
    pub recal: Recalibration,
    pub prior: Vec<f64>,
}

/// Bias-corrected temperature scaling: recalibrated probabilities
/// `softmax(scale · ln p + bias)` (`bias[0]` = 0), `scale` and `bias` fitted by maximum
/// likelihood on out-of-fold examples. The fitted biases make the mean recalibrated
/// probability equal the examples' label frequencies, which EMQ needs: its answer on a group
/// with the training shares is then the training shares.
#[derive(Debug, Clone, PartialEq)]
pub struct Recalibration {
    pub scale: f64,
    pub bias: Vec<f64>,
}

impl Recalibration {
    pub fn identity(k: usize) -> Recalibration {
        Recalibration {
            scale: 1.0,
            bias: vec![0.0; k],
        }
    }

    /// The recalibrated probabilities of one row.
    pub fn apply(&self, p: &[f64]) -> Vec<f64> {
        crate::model::softmax(
            p.iter()
                .zip(&self.bias)
                .map(|(&x, &b)| self.scale * x.max(1e-12).ln() + b)
                .collect(),
        )
    }

    /// [`Recalibration::apply`] from the logarithms of the probabilities.
    pub fn apply_log(&self, lnp: &[f64]) -> Vec<f64> {
        crate::model::softmax(
            lnp.iter()
                .zip(&self.bias)
                .map(|(&l, &b)| self.scale * l + b)
                .collect(),
        )
    }

    /// Negative log-likelihood of the examples weighted by `weight` (summing to 1), and with
    /// `grad` its gradient and Hessian in `(scale, bias[1..])`. A tiny ridge on the biases keeps
    /// them finite when a label is missing from the examples.
    fn nll(
        &self,
        cal: &Calibration,
        lnp: &[f64],
        weight: &[f64],
        grad: bool,
    ) -> (f64, Vec<f64>, Vec<Vec<f64>>) {
        const RIDGE: f64 = 1e-9;
        let k = self.bias.len();
        let d = k; // scale and bias[1..k]
        let mut f = 0.0;
        let mut g = vec![0.0; d];
        let mut h = vec![vec![0.0; d]; d];
        for (i, &w) in weight.iter().enumerate() {
            if w == 0.0 {
                continue;
            }
            let l = &lnp[i * k..i * k + k];
            let y = cal.truth[i] as usize;
            let z: Vec<f64> = (0..k).map(|c| self.scale * l[c] + self.bias[c]).collect();
            let max = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let sum: f64 = z.iter().map(|v| (v - max).exp()).sum();
            f += w * (max + sum.ln() - z[y]);
            if !grad {
                continue;
            }
            let s: Vec<f64> = z.iter().map(|v| (v - max).exp() / sum).collect();
            // dz_c/dθ: θ0 = scale → l[c]; θj = bias[j] → δ(c, j) for j ≥ 1.
            let jac = |c: usize, j: usize| -> f64 {
                if j == 0 {
                    l[c]
                } else {
                    (c == j) as u8 as f64
                }
            };
            // The expected feature under s, and the score.
            let mean: Vec<f64> = (0..d)
                .map(|j| (0..k).map(|c| s[c] * jac(c, j)).sum())
                .collect();
            for j in 0..d {
                g[j] += w * (mean[j] - jac(y, j));
                for m in 0..d {
                    let e: f64 = (0..k).map(|c| s[c] * jac(c, j) * jac(c, m)).sum();
                    h[j][m] += w * (e - mean[j] * mean[m]);
                }
            }
        }
        for j in 1..d {
            f += 0.5 * RIDGE * self.bias[j] * self.bias[j];
            g[j] += RIDGE * self.bias[j];
            h[j][j] += RIDGE;
        }
        (f, g, h)
    }

    /// Fits `scale` and `bias` on the examples weighted by `weight` (summing to 1; `lnp` =
    /// [`Calibration::log_probs`]) by Newton's method with a backtracking line search (the
    /// objective is convex).
    pub fn fit(
        cal: &Calibration,
        lnp: &[f64],
        weight: &[f64],
        start: Option<&Recalibration>,
    ) -> Recalibration {
        let k = cal.classes.len();
        let mut r = start.cloned().unwrap_or_else(|| Recalibration::identity(k));
        if weight.iter().all(|&w| w == 0.0) || k < 2 {
            return r;
        }
        for _ in 0..100 {
            let (f, g, mut h) = r.nll(cal, lnp, weight, true);
            if g.iter().map(|x| x.abs()).fold(0.0, f64::max) < 1e-10 {
                break;
            }
            for (j, row) in h.iter_mut().enumerate() {
                row[j] += 1e-12;
            }
            let Some(step) = solve_square(h, g.iter().map(|x| -x).collect()) else {
                break;
            };
            // Newton decrement: the predicted decrease; below 1e-12 the fit is done (further
            // steps are lost in rounding).
            let decrease: f64 = g.iter().zip(&step).map(|(a, b)| a * b).sum();
            if -decrease < 1e-12 {
                break;
            }
            let mut t = 1.0;
            let mut moved = false;
            for _ in 0..40 {
                let mut next = r.clone();
                next.scale += t * step[0];
                for (b, d) in next.bias.iter_mut().zip(&step).skip(1) {
                    *b += t * d;
                }
                if next.nll(cal, lnp, weight, false).0 <= f + 1e-4 * t * decrease {
                    r = next;
                    moved = true;
                    break;
                }
                t *= 0.5;
            }
            if !moved {
                break;
            }
        }
        r
    }
}

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

/// Projects `v` onto the probability simplex (Euclidean projection).
pub fn project_simplex(v: &[f64]) -> Vec<f64> {
    let mut u = v.to_vec();
    u.sort_by(|a, b| b.total_cmp(a));
    let mut css = 0.0;
    let mut theta = 0.0;
    for (j, &x) in u.iter().enumerate() {
        css += x;
        let t = (css - 1.0) / (j as f64 + 1.0);
        if x - t > 0.0 {
            theta = t;
        }
    }
    v.iter().map(|x| (x - theta).max(0.0)).collect()
}

/// Solves the square system `m x = rhs` (Gaussian elimination with partial pivoting); None
/// when `m` is singular.
fn solve_square(mut m: Vec<Vec<f64>>, mut rhs: Vec<f64>) -> Option<Vec<f64>> {
    let n = rhs.len();
    for col in 0..n {
        let pivot = (col..n).max_by(|&i, &j| m[i][col].abs().total_cmp(&m[j][col].abs()))?;
        if m[pivot][col].abs() < 1e-12 {
            return None;
        }
        m.swap(col, pivot);
        rhs.swap(col, pivot);
        for r in 0..n {
            if r != col {
                let f = m[r][col] / m[col][col];
                if f != 0.0 {
                    let pivot_row = m[col].clone();
                    for (x, p) in m[r][col..].iter_mut().zip(&pivot_row[col..]) {
                        *x -= f * p;
                    }
                    rhs[r] -= f * rhs[col];
                }
            }
        }
    }
    Some((0..n).map(|r| rhs[r] / m[r][r]).collect())
}

/// Least squares `min ‖Bᵀp − q‖²` subject to `Σp = 1`, over the classes in `support` (the
/// other classes held at 0), by its KKT system; None when singular.
fn constrained_ls(a: &[Vec<f64>], q: &[f64], support: &[usize]) -> Option<Vec<f64>> {
    let s = support.len();
    let k = q.len();
    // [2 B Bᵀ  1] [p]   [2 B q]
    // [1ᵀ      0] [λ] = [  1  ]
    let mut m = vec![vec![0.0; s + 1]; s + 1];
    let mut rhs = vec![0.0; s + 1];
    for (i, &ti) in support.iter().enumerate() {
        for (j, &tj) in support.iter().enumerate() {
            m[i][j] = 2.0 * (0..k).map(|c| a[ti][c] * a[tj][c]).sum::<f64>();
        }
        m[i][s] = 1.0;
        m[s][i] = 1.0;
        rhs[i] = 2.0 * (0..k).map(|c| a[ti][c] * q[c]).sum::<f64>();
    }
    rhs[s] = 1.0;
    let x = solve_square(m, rhs)?;
    let mut p = vec![0.0; k];
    for (i, &t) in support.iter().enumerate() {
        p[t] = x[i];
    }
    Some(p)
}

/// Solves `Aᵀp ≈ q` for `p` on the simplex: least squares with the shares summing to 1 and
/// none negative. With few labels (up to 8) exactly, by trying every support and keeping the
/// best feasible solution; with more, by projected gradient.
pub fn adjust(a: &[Vec<f64>], q: &[f64]) -> Vec<f64> {
    let k = q.len();
    let objective = |p: &[f64]| -> f64 {
        (0..k)
            .map(|c| {
                let r = (0..k).map(|t| a[t][c] * p[t]).sum::<f64>() - q[c];
                r * r
            })
            .sum()
    };
    if k <= 8 {
        // The full support first: when its solution is feasible it is the answer.
        let full: Vec<usize> = (0..k).collect();
        if let Some(p) = constrained_ls(a, q, &full) {
            if p.iter().all(|&x| x >= -1e-12) {
                return p.into_iter().map(|x| x.max(0.0)).collect();
            }
        }
        let mut best: Option<(f64, Vec<f64>)> = None;
        for mask in 1u32..(1 << k) - 1 {
            let support: Vec<usize> = (0..k).filter(|&t| mask & (1 << t) != 0).collect();
            if let Some(p) = constrained_ls(a, q, &support) {
                if p.iter().all(|&x| x >= -1e-12) {
                    let p: Vec<f64> = p.into_iter().map(|x| x.max(0.0)).collect();
                    let f = objective(&p);
                    if best.as_ref().is_none_or(|(b, _)| f < *b - 1e-15) {
                        best = Some((f, p));
                    }
                }
            }
        }
        if let Some((_, p)) = best {
            return p;
        }
    }
    let frob: f64 = a.iter().flatten().map(|x| x * x).sum();
    let step = 1.0 / frob.max(1e-12);
    let mut p = project_simplex(q);
    for _ in 0..5000 {
        // r = Aᵀp − q;  gradient = A r
        let r: Vec<f64> = (0..k)
            .map(|c| (0..k).map(|t| a[t][c] * p[t]).sum::<f64>() - q[c])
            .collect();
        let g: Vec<f64> = (0..k)
            .map(|t| (0..k).map(|c| a[t][c] * r[c]).sum::<f64>())
            .collect();
        let next = project_simplex(
            &p.iter()
                .zip(&g)
                .map(|(x, d)| x - step * d)
                .collect::<Vec<_>>(),
        );
        let moved: f64 = next.iter().zip(&p).map(|(a, b)| (a - b).abs()).sum();
        p = next;
        if moved < 1e-12 {
            break;
        }
    }
    p
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
    pub estimator: Estimator,
    pub share: Vec<f64>,
    pub low: Vec<f64>,
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
    polarity: (Option<usize>, Option<usize>),
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
            let net = match polarity {
                (Some(p), Some(q)) => {
                    let (lo, hi) = col(&|s| s[p] - s[q]);
                    Some([share[p] - share[q], lo, hi])
                }
                _ => None,
            };
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

/// The result of the simulation for one estimator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudyRow {
    pub estimator: Estimator,
    /// Mean absolute error of the shares (over labels, groups and repetitions).
    pub mae: f64,
    /// Share of (label, group, repetition) intervals that held the true share.
    pub coverage: f64,
    /// Mean width of the intervals.
    pub width: f64,
}

/// How a simulation draws its calibration examples and its groups from the out-of-fold
/// predictions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// The labeled examples stand for the population: each repetition resamples all of them
    /// (with replacement, same size) as the calibration set, and draws the groups from the
    /// population independently, so the error rates come from as many examples as in real use
    /// and the articles of a group are independent draws.
    Bootstrap,
    /// Rotating folds: error rates from all folds but one, groups drawn (with replacement)
    /// from the held-out fold.
    Crossfit,
}

/// Settings of a simulation.
#[derive(Debug, Clone)]
pub struct Study {
    /// True label shares of the groups (one vector per kind of group).
    pub shares: Vec<Vec<f64>>,
    pub group_size: usize,
    pub reps: usize,
    pub bootstrap: usize,
    pub seed: u64,
    pub protocol: Protocol,
    /// Folds of the cross-fitting protocol.
    pub folds: usize,
}

/// A simulation where the truth is known: groups of `group_size` articles with set label shares
/// are drawn from out-of-fold predictions as `protocol` says, and each estimator's error,
/// interval coverage and interval width are measured over `reps` repetitions. Returns one set of
/// rows per share vector, and the rows over all of them.
pub fn study(cal: &Calibration, s: &Study) -> (Vec<Vec<StudyRow>>, Vec<StudyRow>) {
    let k = cal.classes.len();
    let e_n = Estimator::ALL.len();
    let mut rng = ChaCha8Rng::seed_from_u64(s.seed);
    // [share vector][estimator] → (error, covered, width) sums
    let mut acc = vec![vec![[0.0f64; 3]; e_n]; s.shares.len()];
    let mut count = vec![0.0; s.shares.len()];
    let m = cal.len();
    let folds = s.folds.clamp(2, m.max(2));
    let mut order: Vec<usize> = (0..m).collect();
    for rep in 0..s.reps {
        let (cal_idx, pool): (Vec<usize>, Vec<usize>) = match s.protocol {
            Protocol::Bootstrap => (
                (0..m).map(|_| rng.gen_range(0..m)).collect(),
                (0..m).collect(),
            ),
            Protocol::Crossfit => {
                // A fresh shuffle at the start of each rotation through the folds.
                let f = rep % folds;
                if f == 0 {
                    rand::seq::SliceRandom::shuffle(order.as_mut_slice(), &mut rng);
                }
                let held = |i: usize| i * folds / m == f;
                (
                    (0..m).filter(|&i| !held(i)).map(|i| order[i]).collect(),
                    (0..m).filter(|&i| held(i)).map(|i| order[i]).collect(),
                )
            }
        };
        let sub = Calibration {
            classes: cal.classes.clone(),
            truth: cal_idx.iter().map(|&i| cal.truth[i]).collect(),
            probabilities: cal_idx
                .iter()
                .flat_map(|&i| cal.probs(i).to_vec())
                .collect(),
        };
        // The error rates (and their replicates) serve every share vector of the repetition.
        let rates = sub.error_rates(s.bootstrap, &mut rng);
        let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); k];
        for &i in &pool {
            by_class[cal.truth[i] as usize].push(i);
        }
        for (si, target) in s.shares.iter().enumerate() {
            // Exact counts per class (largest remainders), drawn with replacement.
            let counts = apportion(target, s.group_size);
            let truth: Vec<f64> = counts
                .iter()
                .map(|&c| c as f64 / s.group_size as f64)
                .collect();
            let mut rows: Vec<&[f64]> = Vec::with_capacity(s.group_size);
            for (c, &n) in counts.iter().enumerate() {
                if by_class[c].is_empty() {
                    continue;
                }
                for _ in 0..n {
                    let i = by_class[c][rng.gen_range(0..by_class[c].len())];
                    rows.push(cal.probs(i));
                }
            }
            let est = estimate(
                &rows,
                Some(&rates),
                (None, None),
                s.bootstrap,
                0.95,
                &mut rng,
            );
            for e in &est {
                let j = e.estimator as usize;
                for (c, &t) in truth.iter().enumerate() {
                    acc[si][j][0] += (e.share[c] - t).abs() / k as f64;
                    if e.low[c] <= t + 1e-12 && t <= e.high[c] + 1e-12 {
                        acc[si][j][1] += 1.0 / k as f64;
                    }
                    acc[si][j][2] += (e.high[c] - e.low[c]) / k as f64;
                }
            }
            count[si] += 1.0;
        }
    }
    let rows = |sums: &[[f64; 3]], n: f64| -> Vec<StudyRow> {
        Estimator::ALL
            .iter()
            .map(|&e| {
                let x = sums[e as usize];
                StudyRow {
                    estimator: e,
                    mae: x[0] / n,
                    coverage: x[1] / n,
                    width: x[2] / n,
                }
            })
            .collect()
    };
    let per: Vec<Vec<StudyRow>> = acc.iter().zip(&count).map(|(a, &n)| rows(a, n)).collect();
    let mut total = vec![[0.0f64; 3]; e_n];
    for a in &acc {
        for (t, x) in total.iter_mut().zip(a) {
            for q in 0..3 {
                t[q] += x[q];
            }
        }
    }
    let overall = rows(&total, count.iter().sum());
    (per, overall)
}

/// Whole counts summing to `n` in the proportions `shares` (largest remainders).
pub fn apportion(shares: &[f64], n: usize) -> Vec<usize> {
    let total: f64 = shares.iter().sum();
    let exact: Vec<f64> = shares.iter().map(|s| s / total * n as f64).collect();
    let mut counts: Vec<usize> = exact.iter().map(|x| x.floor() as usize).collect();
    let mut rest: Vec<usize> = (0..shares.len()).collect();
    rest.sort_by(|&a, &b| (exact[b] - exact[b].floor()).total_cmp(&(exact[a] - exact[a].floor())));
    let mut left = n - counts.iter().sum::<usize>();
    for i in rest {
        if left == 0 {
            break;
        }
        counts[i] += 1;
        left -= 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simplex_projection_by_hand() {
        assert_eq!(project_simplex(&[0.2, 0.3, 0.5]), vec![0.2, 0.3, 0.5]);
        // (1.2, 0.2, -0.4): theta = 0.2 → (1.0, 0.0, 0.0)
        let p = project_simplex(&[1.2, 0.2, -0.4]);
        assert!((p[0] - 1.0).abs() < 1e-12 && p[1].abs() < 1e-12 && p[2] == 0.0);
        // (0.5, 0.5, 0.5): theta = 1/6 → 1/3 each
        let p = project_simplex(&[0.5, 0.5, 0.5]);
        assert!(p.iter().all(|x| (x - 1.0 / 3.0).abs() < 1e-12));
    }

    #[test]
    fn adjustment_inverts_known_error_rates() {
        // Two classes; the classifier calls 20% of true "a" as "b" and 10% of "b" as "a".
        // True shares (0.3, 0.7) are observed as (0.3·0.8 + 0.7·0.1, 0.3·0.2 + 0.7·0.9)
        // = (0.31, 0.69); the adjustment must give back (0.3, 0.7).
        let a = vec![vec![0.8, 0.2], vec![0.1, 0.9]];
        let p = adjust(&a, &[0.31, 0.69]);
        assert!(
            (p[0] - 0.3).abs() < 1e-6 && (p[1] - 0.7).abs() < 1e-6,
            "{p:?}"
        );
        // An observation outside what the rates allow lands on the simplex's edge.
        let p = adjust(&a, &[0.0, 1.0]);
        assert!(p[0].abs() < 1e-9 && (p[1] - 1.0).abs() < 1e-9, "{p:?}");
        // Three labels, observed shares impossible without a negative share: the exact answer
        // on the simplex agrees with projected gradient descent run to convergence.
        let a3 = vec![
            vec![0.7, 0.2, 0.1],
            vec![0.2, 0.6, 0.2],
            vec![0.1, 0.3, 0.6],
        ];
        let q = [0.72, 0.2, 0.08];
        let exact = adjust(&a3, &q);
        assert!(exact.iter().all(|&x| x >= 0.0) && (exact.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        let mut p = project_simplex(&q);
        for _ in 0..200_000 {
            let r: Vec<f64> = (0..3)
                .map(|c| (0..3).map(|t| a3[t][c] * p[t]).sum::<f64>() - q[c])
                .collect();
            let g: Vec<f64> = (0..3)
                .map(|t| (0..3).map(|c| a3[t][c] * r[c]).sum::<f64>())
                .collect();
            p = project_simplex(
                &p.iter()
                    .zip(&g)
                    .map(|(x, d)| x - 0.3 * d)
                    .collect::<Vec<_>>(),
            );
        }
        for c in 0..3 {
            assert!((exact[c] - p[c]).abs() < 1e-6, "{exact:?} vs {p:?}");
        }
    }

    #[test]
    fn rates_from_calibration_by_hand() {
        let cal = Calibration {
            classes: vec!["a".into(), "b".into()],
            truth: vec![0, 0, 1, 1],
            probabilities: vec![0.9, 0.1, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8],
        };
        let Rates { hard, soft, .. } = cal.rates(&[0, 1, 2, 3]);
        assert_eq!(hard, vec![vec![0.5, 0.5], vec![0.0, 1.0]]);
        assert!((soft[0][0] - 0.65).abs() < 1e-12 && (soft[1][1] - 0.75).abs() < 1e-12);
    }

    #[test]
    fn apportion_sums_to_n() {
        assert_eq!(apportion(&[0.1, 0.3, 0.6], 50), vec![5, 15, 30]);
        assert_eq!(apportion(&[1.0, 1.0, 1.0], 10).iter().sum::<usize>(), 10);
    }

    #[test]
    fn estimates_and_intervals_on_a_perfect_classifier() {
        let rows: Vec<Vec<f64>> = (0..40)
            .map(|i| {
                if i < 10 {
                    vec![1.0, 0.0]
                } else {
                    vec![0.0, 1.0]
                }
            })
            .collect();
        let refs: Vec<&[f64]> = rows.iter().map(|r| r.as_slice()).collect();
        let cal = Calibration {
            classes: vec!["favor".into(), "against".into()],
            truth: vec![0, 1],
            probabilities: vec![1.0, 0.0, 0.0, 1.0],
        };
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let rates = cal.error_rates(200, &mut rng);
        let est = estimate(&refs, Some(&rates), (Some(0), Some(1)), 200, 0.95, &mut rng);
        assert_eq!(est.len(), 5);
        for s in &est {
            assert!((s.share[0] - 0.25).abs() < 1e-6, "{s:?}");
            assert!(s.low[0] <= 0.25 && 0.25 <= s.high[0]);
            assert!((s.net.unwrap()[0] + 0.5).abs() < 1e-6);
        }
    }

    #[test]
    fn emq_fixed_point_by_hand() {
        // Two labels, training prior (1/2, 1/2); half the rows say (0.9, 0.1), half (0.3, 0.7).
        // The likelihood ½ ln(0.1 + 0.8x) + ½ ln(0.7 − 0.4x) has its maximum where
        // 0.8 (0.7 − 0.4x) = 0.4 (0.1 + 0.8x), x = 0.52 / 0.64 = 0.8125; there the EM step
        // gives back ½ (0.73125 / 0.75) + ½ (0.24375 / 0.375) = ½ 0.975 + ½ 0.65 = 0.8125.
        let rows: Vec<Vec<f64>> = (0..10)
            .map(|i| {
                if i % 2 == 0 {
                    vec![0.9, 0.1]
                } else {
                    vec![0.3, 0.7]
                }
            })
            .collect();
        let q = emq(&rows, &[0.5, 0.5]);
        assert!(
            (q[0] - 0.8125).abs() < 1e-7 && (q[1] - 0.1875).abs() < 1e-7,
            "{q:?}"
        );
        // With the training shares, the answer is the prior (no shift, no move).
        let rows = vec![vec![0.8, 0.2], vec![0.2, 0.8]];
        let q = emq(&rows, &[0.5, 0.5]);
        assert!((q[0] - 0.5).abs() < 1e-9, "{q:?}");
    }

    #[test]
    fn emq_recovers_a_constructed_shift_that_counting_misses() {
        // Two kinds of article: X is 4× likelier under label a than b, Y the reverse; with the
        // training prior (1/2, 1/2) the calibrated posteriors are X (0.8, 0.2), Y (0.2, 0.8).
        // A group with true shares (0.7, 0.3) holds 0.7·0.8 + 0.3·0.2 = 62% X and 38% Y.
        // Counting gives (0.62, 0.38); EMQ must give the true (0.7, 0.3).
        let rows: Vec<Vec<f64>> = (0..50)
            .map(|i| {
                if i < 31 {
                    vec![0.8, 0.2]
                } else {
                    vec![0.2, 0.8]
                }
            })
            .collect();
        let q = emq(&rows, &[0.5, 0.5]);
        assert!((q[0] - 0.7).abs() < 1e-7, "{q:?}");
        let refs: Vec<&[f64]> = rows.iter().map(|r| r.as_slice()).collect();
        let all: Vec<usize> = (0..50).collect();
        let cc = shares_of(Estimator::Cc, &refs, &all, None);
        assert!((cc[0] - 0.62).abs() < 1e-12);
        // A group all of kind X: the maximum likelihood is on the simplex's edge, (1, 0).
        let q = emq(&vec![vec![0.8, 0.2]; 20], &[0.5, 0.5]);
        assert!((q[0] - 1.0).abs() < 1e-6, "{q:?}");
    }

    #[test]
    fn recalibration_fit_by_hand() {
        // Examples built so that softmax(2 ln p + (0, ln 3)) is exactly the label frequency of
        // each distinct row, so the maximum-likelihood fit is scale 2, bias (0, ln 3):
        //   p = (0.5, 0.5):   log-odds of a = −ln 3        → P(a) = 1/4:  1 a, 3 b
        //   p = (0.75, 0.25): 2 ln 3 − ln 3 = ln 3         → P(a) = 3/4:  3 a, 1 b
        //   p = (0.25, 0.75): −2 ln 3 − ln 3 = −3 ln 3     → P(a) = 1/28: 1 a, 27 b
        let mut truth = Vec::new();
        let mut probabilities = Vec::new();
        for (p, a, b) in [(0.5, 1, 3), (0.75, 3, 1), (0.25, 1, 27)] {
            for j in 0..a + b {
                truth.push(if j < a { 0 } else { 1 });
                probabilities.extend([p, 1.0 - p]);
            }
        }
        let cal = Calibration {
            classes: vec!["a".into(), "b".into()],
            truth,
            probabilities,
        };
        let all: Vec<usize> = (0..cal.len()).collect();
        let r = cal.rates(&all);
        assert!((r.recal.scale - 2.0).abs() < 1e-6, "{:?}", r.recal);
        assert!(r.recal.bias[0] == 0.0 && (r.recal.bias[1] - 3f64.ln()).abs() < 1e-6);
        // The fitted biases make the mean recalibrated probability the label frequency: 5/36.
        assert!((r.prior[0] - 5.0 / 36.0).abs() < 1e-6, "{:?}", r.prior);
        let p = r.recal.apply(&[0.75, 0.25]);
        assert!((p[0] - 0.75).abs() < 1e-6);
    }

    /// A synthetic classifier: underconfident probabilities, right about two times in three.
    fn synthetic(rng: &mut ChaCha8Rng, label: usize) -> Vec<f64> {
        let z: Vec<f64> = (0..3)
            .map(|c| {
                // Box–Muller normal noise.
                let (u, v): (f64, f64) = (rng.gen_range(1e-12..1.0), rng.gen_range(0.0..1.0));
                let e = (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos();
                0.45 * (0.55 * (c == label) as u8 as f64 + 0.5 * e)
            })
            .collect();
        crate::model::softmax(z)
    }

    #[test]
    fn corrected_estimators_beat_counting_on_a_synthetic_shift() {
        // Calibration: 900 examples with even labels; groups of 500 with shares (0.7, 0.2, 0.1).
        // Over seeds, EMQ and PACC must each be closer to the truth than classify and count.
        let mut err = [0.0; 5];
        for seed in 0..12 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let truth: Vec<u32> = (0..900).map(|i| (i % 3) as u32).collect();
            let probabilities: Vec<f64> = truth
                .iter()
                .flat_map(|&t| synthetic(&mut rng, t as usize))
                .collect();
            let cal = Calibration {
                classes: vec!["a".into(), "b".into(), "c".into()],
                truth,
                probabilities,
            };
            let rates = cal.rates(&(0..900).collect::<Vec<_>>());
            let counts = apportion(&[0.7, 0.2, 0.1], 500);
            let rows: Vec<Vec<f64>> = counts
                .iter()
                .enumerate()
                .flat_map(|(c, &n)| (0..n).map(|_| synthetic(&mut rng, c)).collect::<Vec<_>>())
                .collect();
            let refs: Vec<&[f64]> = rows.iter().map(|r| r.as_slice()).collect();
            let all: Vec<usize> = (0..refs.len()).collect();
            for e in Estimator::ALL {
                let s = shares_of(e, &refs, &all, Some(&rates));
                err[e as usize] += [0.7, 0.2, 0.1]
                    .iter()
                    .zip(&s)
                    .map(|(t, x)| (t - x).abs())
                    .sum::<f64>()
                    / 36.0;
            }
        }
        let (cc, pacc, emq) = (
            err[Estimator::Cc as usize],
            err[Estimator::Pacc as usize],
            err[Estimator::Emq as usize],
        );
        assert!(emq < 0.6 * cc, "emq {emq} vs cc {cc}");
        assert!(pacc < 0.6 * cc, "pacc {pacc} vs cc {cc}");
    }
}
