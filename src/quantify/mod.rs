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
//!
//! The parts: [`solve`] (the adjustment on the simplex), [`recalibration`] (bias-corrected
//! temperature scaling), [`estimate`](mod@estimate) (every estimator for one group, with
//! bootstrap intervals), [`bayes`] (BayesianCC), [`realuse`] (the real-use evaluation),
//! [`select`] (the estimator each model chooses on its own labeled data: `auto`, the default).

pub mod bayes;
pub mod binned;
pub mod estimate;
pub mod pool;
pub mod realuse;
pub mod recalibration;
pub mod select;
pub mod shift;
pub mod solve;

pub use estimate::{emq, estimate, quantile, shares_of, Shares};
pub use recalibration::Recalibration;
pub use solve::{adjust, project_simplex};

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Out-of-fold predictions kept in the model: each example's true class and predicted
/// probabilities (in the order of `classes`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// The labels.
    pub classes: Vec<String>,
    /// Each example's true label (index into `classes`).
    pub truth: Vec<u32>,
    /// Row-major `truth.len() × classes.len()`.
    #[serde(with = "crate::model::compact")]
    pub probabilities: Vec<f64>,
    /// How much each example counts; empty: once each. A pool of labeled articles of the
    /// compared set and the model's out-of-fold predictions ([`pool`]) weighs the two apart.
    /// Examples of equal weight are resampled together by the bootstrap, so each part keeps
    /// its size.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub weights: Vec<f64>,
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
    /// BayesianCC (Ziegler and Czyż 2023): the posterior of the shares given the group's
    /// predicted-label counts and the out-of-fold confusion counts.
    Bcc,
    /// The estimator the model chose on its own labeled data at training time (held-out
    /// folds), with its intervals widened until they covered there; BayesianCC for a model
    /// trained before models chose.
    Auto,
}

impl Estimator {
    /// Every estimator that computes shares by itself (all but [`Estimator::Auto`]).
    pub const ALL: [Estimator; 6] = [
        Estimator::Cc,
        Estimator::Pcc,
        Estimator::Acc,
        Estimator::Pacc,
        Estimator::Emq,
        Estimator::Bcc,
    ];

    /// Every estimator, then `auto` (the rows of a real-use table).
    pub const REPORTED: [Estimator; 7] = [
        Estimator::Cc,
        Estimator::Pcc,
        Estimator::Acc,
        Estimator::Pacc,
        Estimator::Emq,
        Estimator::Bcc,
        Estimator::Auto,
    ];

    /// The estimator's name on the command line.
    pub const fn name(&self) -> &'static str {
        match self {
            Estimator::Cc => "cc",
            Estimator::Pcc => "pcc",
            Estimator::Acc => "acc",
            Estimator::Pacc => "pacc",
            Estimator::Emq => "emq",
            Estimator::Bcc => "bcc",
            Estimator::Auto => "auto",
        }
    }

    /// What it does, in a few words (for table footers).
    pub const fn describe(&self) -> &'static str {
        match self {
            Estimator::Cc => "classify and count",
            Estimator::Pcc => "mean predicted probability",
            Estimator::Acc => "classify and count, corrected by out-of-fold error rates",
            Estimator::Pacc => "mean probability, corrected by out-of-fold mean probabilities",
            Estimator::Emq => {
                "EM prior adjustment of probabilities recalibrated on the out-of-fold examples"
            }
            Estimator::Bcc => {
                "Bayesian posterior of the shares given predicted counts and out-of-fold confusion counts"
            }
            Estimator::Auto => {
                "the estimator chosen on the labeled data, with intervals widened to cover there"
            }
        }
    }

    /// How it finds a group's label shares, as a clause of a methods section.
    pub const fn method(&self) -> &'static str {
        match self {
            Estimator::Cc => "by counting predicted labels (biased when the classifier errs)",
            Estimator::Pcc => "as the mean predicted probability",
            Estimator::Acc => {
                "from predicted-label counts corrected with the out-of-fold error rates"
            }
            Estimator::Pacc => {
                "from mean probabilities corrected with the out-of-fold mean probabilities per true label"
            }
            Estimator::Emq => {
                "by the EM prior adjustment (Saerens et al.) of probabilities recalibrated on the out-of-fold examples"
            }
            Estimator::Bcc => {
                "as the posterior mean of BayesianCC (Ziegler and Czyż), which learns the classifier's confusion matrix from the out-of-fold predictions and the group together"
            }
            Estimator::Auto => {
                "by the estimator that had the lowest error on the labeled articles' own held-out folds, its intervals widened until they covered the true shares there"
            }
        }
    }

    /// Whether it needs out-of-fold error rates.
    pub fn adjusted(&self) -> bool {
        matches!(
            self,
            Estimator::Acc | Estimator::Pacc | Estimator::Emq | Estimator::Bcc | Estimator::Auto
        )
    }
}

/// The default estimator: the model's own choice ([`select`]), made at training by an inner
/// real-use evaluation on its labeled data. Chosen by the real-use evaluation (`stance
/// simulate`; `bench/real_use.py`, the README's table): no fixed estimator had an APP error
/// (sizes 50–400) under 0.8× counting's in all five runs (`data/` random and by unseen outlet,
/// NewsMTSC train → test-rw, PerSenT dev → random_test and fixed_test; BayesianCC in three,
/// EMQ in four with 1.46× on PerSenT fixed_test), while `auto` was in all five (0.75, 0.75,
/// 0.69, 0.61, 0.79) and no worse than counting on the real groups in four. A model trained
/// before models chose gets BayesianCC.
pub const DEFAULT: Estimator = Estimator::Auto;

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

impl Calibration {
    /// The number of examples.
    pub fn len(&self) -> usize {
        self.truth.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.truth.is_empty()
    }

    /// The examples `idx` alone.
    pub fn subset(&self, idx: &[usize]) -> Calibration {
        Calibration {
            classes: self.classes.clone(),
            truth: idx.iter().map(|&i| self.truth[i]).collect(),
            probabilities: idx.iter().flat_map(|&i| self.probs(i).to_vec()).collect(),
            weights: if self.weights.is_empty() {
                Vec::new()
            } else {
                idx.iter().map(|&i| self.weights[i]).collect()
            },
        }
    }

    /// How much example `i` counts.
    pub fn weight(&self, i: usize) -> f64 {
        self.weights.get(i).copied().unwrap_or(1.0)
    }

    /// The examples grouped by weight (one group when unweighted), in order of first
    /// appearance: the bootstrap resamples within each.
    fn strata(&self) -> Vec<Vec<usize>> {
        let mut out: Vec<(u64, Vec<usize>)> = Vec::new();
        for i in 0..self.len() {
            let w = self.weight(i).to_bits();
            match out.iter_mut().find(|(k, _)| *k == w) {
                Some((_, v)) => v.push(i),
                None => out.push((w, vec![i])),
            }
        }
        out.into_iter().map(|(_, v)| v).collect()
    }

    pub(crate) fn probs(&self, i: usize) -> &[f64] {
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
            let w = self.weight(i);
            n[t] += w;
            hard[t][crate::model::argmax(p)] += w;
            for c in 0..k {
                soft[t][c] += w * p[c];
            }
        }
        let hard_counts = hard.clone();
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
        let total: f64 = idx.iter().map(|&i| self.weight(i)).sum();
        let mut weight = vec![0.0; self.len()];
        for &i in idx {
            weight[i] += self.weight(i) / total;
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
            hard_counts,
            soft,
            recal,
            prior,
        }
    }

    /// The rates of all the examples.
    pub fn rates_from_all(&self) -> Rates {
        self.rates(&(0..self.len()).collect::<Vec<_>>())
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
    /// The rates from all calibration examples.
    pub point: Rates,
    /// The rates from bootstrap resamples of them.
    pub replicates: Vec<Rates>,
}

impl Calibration {
    /// The error rates with `replicates` bootstrap draws.
    pub fn error_rates(&self, replicates: usize, rng: &mut ChaCha8Rng) -> ErrorRates {
        let m = self.len();
        let lnp = self.log_probs();
        let point = self.rates_from(&(0..m).collect::<Vec<_>>(), None, &lnp);
        let strata = self.strata();
        let replicates = (0..replicates)
            .map(|_| {
                let mut draw = Vec::with_capacity(m);
                for s in &strata {
                    draw.extend((0..s.len()).map(|_| s[rng.gen_range(0..s.len())]));
                }
                self.rates_from(&draw, Some(&point.recal), &lnp)
            })
            .collect();
        ErrorRates { point, replicates }
    }
}

/// Error rates: `hard[t][c]` = P(predicted c | true t); `soft[t][c]` = mean P(c) given true t;
/// and for EMQ the recalibration and the mean recalibrated probability (the training prior).
#[derive(Debug, Clone, PartialEq)]
pub struct Rates {
    /// `hard[t][c]` = P(predicted c | true t).
    pub hard: Vec<Vec<f64>>,
    /// The counts behind `hard`: examples of true label t predicted as c.
    pub hard_counts: Vec<Vec<f64>>,
    /// `soft[t][c]` = mean P(c) over examples of true label t.
    pub soft: Vec<Vec<f64>>,
    /// EMQ's recalibration.
    pub recal: Recalibration,
    /// The mean recalibrated probability of each label (the training prior).
    pub prior: Vec<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

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
            weights: Vec::new(),
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
            weights: Vec::new(),
        };
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let rates = cal.error_rates(200, &mut rng);
        let est = estimate(
            &refs,
            Some(&rates),
            &crate::labels::LabelSet::recognised(cal.classes.clone()),
            200,
            0.95,
            &mut rng,
        );
        assert_eq!(est.len(), 6);
        for s in &est {
            assert!(s.low[0] <= 0.25 && 0.25 <= s.high[0], "{s:?}");
            if s.estimator == Estimator::Bcc {
                // Two calibration examples cannot tell BayesianCC that the classifier is
                // perfect (its confusion rows stay Dirichlet(2, 1)): its interval is all but
                // the whole range, as it should be; its point is not 0.25.
                assert!(s.high[0] - s.low[0] > 0.8, "{s:?}");
                continue;
            }
            assert!((s.share[0] - 0.25).abs() < 1e-6, "{s:?}");
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
            weights: Vec::new(),
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
    fn auto_chooses_a_correction_when_the_error_rates_transfer() {
        // 600 out-of-fold examples of the synthetic classifier in 5 folds, no real groups:
        // every APP sample is drawn from the same classifier, so the error rates of the other
        // folds describe it and a corrected estimator must beat counting there.
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let truth: Vec<u32> = (0..600).map(|i| (i % 3) as u32).collect();
        let probabilities: Vec<f64> = truth
            .iter()
            .flat_map(|&t| synthetic(&mut rng, t as usize))
            .collect();
        let classes: Vec<String> = ["against", "favor", "neutral"].map(String::from).into();
        let cal = Calibration {
            classes: classes.clone(),
            truth,
            probabilities,
            weights: Vec::new(),
        };
        let labels = crate::labels::LabelSet::recognised(classes);
        let inner = select::Inner {
            calibration: &cal,
            folds: (0..600).map(|i| i % 5).collect(),
            groups: vec![Vec::new(); 600],
            labels: &labels,
            level: 0.95,
            seed: 1,
        };
        let c = select::choose(&inner).unwrap();
        assert!(c.estimator.adjusted(), "{}", select::summary(&c));
        let cc = &c.candidates[0];
        assert_eq!(cc.estimator, Estimator::Cc);
        assert_eq!(cc.score, 1.0);
        assert!(c.candidates.iter().all(|k| k.real_mae.is_none()));
        assert_eq!(c.real_groups, 0);
        // 5 folds × 66 grid points at sizes 50 and 200 count in the choice.
        assert_eq!(c.app_groups, 5 * 66 * 2);
        assert!(c.coverage >= 0.95, "{}", select::summary(&c));
        assert_eq!(
            c.expected.iter().map(|e| e.size).collect::<Vec<_>>(),
            select::SIZES.to_vec()
        );
        // Larger samples, smaller expected error.
        assert!(c.expected[0].net_mae > c.expected[2].net_mae);
        // One fold only: nothing to choose on.
        let one = select::Inner {
            folds: vec![0; 600],
            ..inner
        };
        assert!(select::choose(&one).is_none());
    }

    #[test]
    fn corrected_estimators_beat_counting_on_a_synthetic_shift() {
        // Calibration: 900 examples with even labels; groups of 500 with shares (0.7, 0.2, 0.1).
        // Over seeds, EMQ and PACC must each be closer to the truth than classify and count.
        let mut err = [0.0; Estimator::ALL.len()];
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
                weights: Vec::new(),
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
