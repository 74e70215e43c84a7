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
//!   examples whose true label is `t`.
//!
//! The error rates come from the out-of-fold predictions of cross-validation, stored in the
//! model at training time ([`Calibration`]). Intervals are percentile bootstraps that resample
//! both the group's articles and the calibration examples, so the uncertainty of the error
//! rates is in them too.

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
}

impl Estimator {
    pub const ALL: [Estimator; 4] = [
        Estimator::Cc,
        Estimator::Pcc,
        Estimator::Acc,
        Estimator::Pacc,
    ];

    pub fn name(&self) -> &'static str {
        match self {
            Estimator::Cc => "cc",
            Estimator::Pcc => "pcc",
            Estimator::Acc => "acc",
            Estimator::Pacc => "pacc",
        }
    }

    /// Whether it needs out-of-fold error rates.
    pub fn adjusted(&self) -> bool {
        matches!(self, Estimator::Acc | Estimator::Pacc)
    }
}

/// The default estimator: PACC, the most accurate in the simulation of the README (lowest mean
/// absolute error on `data/` and on NewsMTSC, with intervals that cover).
pub const DEFAULT: Estimator = Estimator::Pacc;

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

    /// The matrices A for ACC (hard) and PACC (soft) over the examples `idx`.
    pub fn rates(&self, idx: &[usize]) -> Rates {
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
        Rates { hard, soft }
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
        ErrorRates {
            point: self.rates(&(0..m).collect::<Vec<_>>()),
            replicates: (0..replicates)
                .map(|_| self.rates(&(0..m).map(|_| rng.gen_range(0..m)).collect::<Vec<_>>()))
                .collect(),
        }
    }
}

/// Error rates: `hard[t][c]` = P(predicted c | true t); `soft[t][c]` = mean P(c) given true t.
#[derive(Debug, Clone, PartialEq)]
pub struct Rates {
    pub hard: Vec<Vec<f64>>,
    pub soft: Vec<Vec<f64>>,
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

/// Observed CC and PCC shares of a set of rows.
fn observed(rows: &[&[f64]], pick: impl Iterator<Item = usize>, k: usize) -> (Vec<f64>, Vec<f64>) {
    let mut cc = vec![0.0; k];
    let mut pcc = vec![0.0; k];
    let mut n = 0.0;
    for i in pick {
        let p = rows[i];
        cc[crate::model::argmax(p)] += 1.0;
        for c in 0..k {
            pcc[c] += p[c];
        }
        n += 1.0;
    }
    if n > 0.0 {
        cc.iter_mut().for_each(|x| *x /= n);
        pcc.iter_mut().for_each(|x| *x /= n);
    }
    (cc, pcc)
}

/// Estimates of every estimator from observed shares and rates.
fn estimate_all(cc: &[f64], pcc: &[f64], rates: Option<&Rates>) -> Vec<(Estimator, Vec<f64>)> {
    let mut out = vec![(Estimator::Cc, cc.to_vec()), (Estimator::Pcc, pcc.to_vec())];
    if let Some(r) = rates {
        out.push((Estimator::Acc, adjust(&r.hard, cc)));
        out.push((Estimator::Pacc, adjust(&r.soft, pcc)));
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
    let (cc, pcc) = observed(rows, 0..n, k);
    let point = estimate_all(&cc, &pcc, rates.map(|r| &r.point));
    let mut draws: Vec<Vec<Vec<f64>>> = vec![Vec::with_capacity(bootstrap); point.len()];
    for b in 0..bootstrap {
        let pick = (0..n).map(|_| rng.gen_range(0..n));
        let (cc, pcc) = observed(rows, pick, k);
        let r = rates.and_then(|r| {
            (!r.replicates.is_empty()).then(|| &r.replicates[b % r.replicates.len()])
        });
        for (j, (_, s)) in estimate_all(&cc, &pcc, r).into_iter().enumerate() {
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
}

/// A simulation where the truth is known: out-of-fold predictions are split in half, one half
/// estimating the error rates, the other a pool from which groups of `group_size` articles are
/// drawn with set label shares; each estimator's error and interval coverage are measured over
/// `reps` draws per share vector.
pub fn study(
    cal: &Calibration,
    shares: &[Vec<f64>],
    group_size: usize,
    reps: usize,
    bootstrap: usize,
    seed: u64,
) -> Vec<StudyRow> {
    let k = cal.classes.len();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut err = [0.0; 4];
    let mut covered = [0.0; 4];
    let mut count = 0.0;
    for _ in 0..reps {
        // A fresh split each repetition, so no draw depends on one lucky halving.
        let mut order: Vec<usize> = (0..cal.len()).collect();
        rand::seq::SliceRandom::shuffle(order.as_mut_slice(), &mut rng);
        let (cal_half, pool) = order.split_at(cal.len() / 2);
        let sub = Calibration {
            classes: cal.classes.clone(),
            truth: cal_half.iter().map(|&i| cal.truth[i]).collect(),
            probabilities: cal_half
                .iter()
                .flat_map(|&i| cal.probs(i).to_vec())
                .collect(),
        };
        let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); k];
        for &i in pool {
            by_class[cal.truth[i] as usize].push(i);
        }
        for target in shares {
            // Exact counts per class (largest remainders), drawn with replacement.
            let counts = apportion(target, group_size);
            let truth: Vec<f64> = counts
                .iter()
                .map(|&c| c as f64 / group_size as f64)
                .collect();
            let mut rows: Vec<&[f64]> = Vec::with_capacity(group_size);
            for (c, &m) in counts.iter().enumerate() {
                if by_class[c].is_empty() {
                    continue;
                }
                for _ in 0..m {
                    let i = by_class[c][rng.gen_range(0..by_class[c].len())];
                    rows.push(cal.probs(i));
                }
            }
            let rates = sub.error_rates(bootstrap, &mut rng);
            let est = estimate(&rows, Some(&rates), (None, None), bootstrap, 0.95, &mut rng);
            for s in &est {
                let j = s.estimator as usize;
                for (c, &t) in truth.iter().enumerate() {
                    err[j] += (s.share[c] - t).abs() / k as f64;
                    if s.low[c] <= t + 1e-12 && t <= s.high[c] + 1e-12 {
                        covered[j] += 1.0 / k as f64;
                    }
                }
            }
            count += 1.0;
        }
    }
    Estimator::ALL
        .iter()
        .map(|&e| StudyRow {
            estimator: e,
            mae: err[e as usize] / count,
            coverage: covered[e as usize] / count,
        })
        .collect()
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
        let Rates { hard, soft } = cal.rates(&[0, 1, 2, 3]);
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
        assert_eq!(est.len(), 4);
        for s in &est {
            assert!((s.share[0] - 0.25).abs() < 1e-6, "{s:?}");
            assert!(s.low[0] <= 0.25 && 0.25 <= s.high[0]);
            assert!((s.net.unwrap()[0] + 0.5).abs() < 1e-6);
        }
    }
}
