//! Simulation where the truth is known: groups with set label shares drawn from out-of-fold
//! predictions, each estimator's error, interval coverage and width measured.

use super::estimate::estimate;
use super::{Calibration, Estimator};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// The result of the simulation for one estimator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudyRow {
    /// The estimator.
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
    /// Articles per simulated group.
    pub group_size: usize,
    /// Repetitions.
    pub reps: usize,
    /// Bootstrap resamples per interval.
    pub bootstrap: usize,
    /// Seed of the draws.
    pub seed: u64,
    /// How calibration examples and groups are drawn.
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
                &crate::labels::LabelSet::default(),
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
