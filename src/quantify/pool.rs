//! A labeled sample of the compared articles pooled with the model's out-of-fold predictions:
//! how much the out-of-fold examples should still count (empirical Bayes).
//!
//! The error rates on the compared articles are unknown; the labeled sample measures them
//! without bias but with the noise of a hundred or so examples, the out-of-fold predictions
//! measure them precisely but on other articles. Each true label's row of the confusion matrix
//! on the compared articles, θ_t, gets a Dirichlet prior centred on the out-of-fold row m_t with
//! concentration κ·π_t (π_t: the out-of-fold share of label t), so that the out-of-fold examples
//! count as κ labeled ones in all. The sample's confusion counts then follow a
//! Dirichlet-multinomial law, and κ is the value under which they are most likely (type-II
//! maximum likelihood on a grid). Where the sample's rows look like the out-of-fold ones, κ
//! reaches its top, all the out-of-fold examples (the two sets are pooled); where they differ
//! beyond what sampling explains, κ falls and the sample's rows dominate.
//!
//! The pooled [`Calibration`] is the two sets side by side with the out-of-fold examples weighted
//! κ / n each, so every rate taken from it (the hard and soft rows of ACC and PACC, EMQ's
//! recalibration and prior, BayesianCC's counts) is the posterior-mean mix.

use super::Calibration;
use std::fmt;
use std::str::FromStr;

/// How much the model's out-of-fold examples count beside a labeled sample of the compared
/// articles, in labeled examples.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum OwnWeight {
    /// Chosen from the sample by empirical Bayes ([`own_weight`]).
    #[default]
    Auto,
    /// Fixed; 0 takes the rates from the sample alone, a value at or above the number of
    /// out-of-fold examples pools the two sets.
    Fixed(f64),
}

impl FromStr for OwnWeight {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "auto" {
            return Ok(OwnWeight::Auto);
        }
        match s.parse::<f64>() {
            Ok(w) if w.is_finite() && w >= 0.0 => Ok(OwnWeight::Fixed(w)),
            _ => Err(format!(
                "\"{s}\" is not a weight: give auto or a number of labeled examples (0 or more)"
            )),
        }
    }
}

impl fmt::Display for OwnWeight {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OwnWeight::Auto => f.write_str("auto"),
            OwnWeight::Fixed(w) => write!(f, "{w}"),
        }
    }
}

/// A labeled sample pooled with the out-of-fold examples.
#[derive(Debug, Clone)]
pub struct Pooled {
    /// The sample's examples (weight 1), then the out-of-fold ones (weight κ / n).
    pub calibration: Calibration,
    /// κ: what the out-of-fold examples count for in all, in labeled examples.
    pub own_weight: f64,
}

/// The sample pooled with `own` (the model's out-of-fold examples), the latter counting as
/// `weight` labeled examples in all.
pub fn pool(own: &Calibration, labeled: &Calibration, weight: OwnWeight) -> Pooled {
    let n = own.len() as f64;
    let kappa = match weight {
        OwnWeight::Auto => own_weight(own, labeled),
        OwnWeight::Fixed(w) => w.min(n),
    };
    if kappa == 0.0 || own.is_empty() {
        return Pooled {
            calibration: labeled.clone(),
            own_weight: 0.0,
        };
    }
    let mut cal = labeled.clone();
    cal.truth.extend_from_slice(&own.truth);
    cal.probabilities.extend_from_slice(&own.probabilities);
    cal.weights = (0..labeled.len()).map(|i| labeled.weight(i)).collect();
    cal.weights
        .extend((0..own.len()).map(|i| own.weight(i) * kappa / n));
    Pooled {
        calibration: cal,
        own_weight: kappa,
    }
}

/// κ by empirical Bayes: the weight on a grid from 1 to all the out-of-fold examples (steps of
/// √2) under which the sample's confusion counts are most likely; the largest such on ties.
pub fn own_weight(own: &Calibration, labeled: &Calibration) -> f64 {
    let n = own.len() as f64;
    if n == 0.0 {
        return 0.0;
    }
    let own_rows = confusion(own);
    let sample = confusion(labeled);
    let k = own.classes.len();
    let prior: Vec<(f64, Vec<f64>)> = own_rows
        .iter()
        .map(|row| {
            let total: f64 = row.iter().sum();
            // Half a count per cell keeps a cell the out-of-fold examples never saw possible.
            let mean = row
                .iter()
                .map(|c| (c + 0.5) / (total + 0.5 * k as f64))
                .collect();
            (total / n, mean)
        })
        .collect();
    let mut grid = vec![n];
    while let Some(&last) = grid.last() {
        let next = last / std::f64::consts::SQRT_2;
        if next < 1.0 {
            break;
        }
        grid.push(next);
    }
    let mut best = (f64::NEG_INFINITY, n);
    for &kappa in &grid {
        let ll = log_likelihood(&sample, &prior, kappa);
        // The grid runs downward: a smaller weight must be strictly more likely.
        if ll > best.0 + 1e-9 {
            best = (ll, kappa);
        }
    }
    best.1
}

/// Folds of the labeled sample in [`expected_errors`].
const FOLDS: usize = 5;
/// Group sizes whose expected error [`expected_errors`] measures (those of the inner
/// evaluation at training).
const SIZES: [usize; 3] = [10, 50, 200];
/// Samples per fold and size, their label shares drawn uniformly over the simplex (UPP).
const SAMPLES: usize = 20;

/// The expected net error of `estimator` by group size when its rates come from the labeled
/// sample pooled with `own` as [`pool`] pools them, measured on the sample itself without
/// letting an example correct its own group: the sample is cut into 5 folds, each fold's
/// examples are drawn into groups of 10, 50 and 200 at label shares drawn uniformly (with
/// replacement within each label, as the real-use evaluation draws), and each group is
/// estimated with the rates of the other four folds pooled with `own` (κ chosen again on
/// those). Empty when the sample is too small to cut (fewer than 25 examples).
pub fn expected_errors(
    own: &Calibration,
    labeled: &Calibration,
    weight: OwnWeight,
    estimator: super::Estimator,
    labels: &crate::labels::LabelSet,
    rng: &mut rand_chacha::ChaCha8Rng,
) -> Vec<super::select::SizeError> {
    use rand::seq::SliceRandom;
    let m = labeled.len();
    if m < 5 * FOLDS || labels.signed(&vec![0.0; labeled.classes.len()]).is_none() {
        return Vec::new();
    }
    let k = labeled.classes.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.shuffle(rng);
    let mut sums = [0.0; SIZES.len()];
    let mut counts = [0usize; SIZES.len()];
    for f in 0..FOLDS {
        let (held, rest): (Vec<usize>, Vec<usize>) = (0..m).partition(|&j| j % FOLDS == f);
        let held: Vec<usize> = held.into_iter().map(|j| order[j]).collect();
        let rest: Vec<usize> = rest.into_iter().map(|j| order[j]).collect();
        let rates = pool(own, &labeled.subset(&rest), weight)
            .calibration
            .rates_from_all();
        let mut by_label: Vec<Vec<usize>> = vec![Vec::new(); k];
        for &i in &held {
            by_label[labeled.truth[i] as usize].push(i);
        }
        for (s, &size) in SIZES.iter().enumerate() {
            for _ in 0..SAMPLES {
                let shares = super::bayes::dirichlet(&vec![1.0; k], rng);
                let Some((rows, drawn)) =
                    super::realuse::draw_sample(&by_label, &shares, size, rng)
                else {
                    continue;
                };
                let probs: Vec<&[f64]> = rows.iter().map(|&i| labeled.probs(i)).collect();
                let truth: Vec<f64> = drawn.iter().map(|&c| c as f64 / size as f64).collect();
                let Some(est) = super::estimate::point_of(&probs, &rates, estimator, rng) else {
                    continue;
                };
                if let (Some(a), Some(b)) = (labels.signed(&est), labels.signed(&truth)) {
                    sums[s] += (a - b).abs();
                    counts[s] += 1;
                }
            }
        }
    }
    SIZES
        .iter()
        .zip(sums.iter().zip(counts))
        .filter(|(_, (_, c))| *c > 0)
        .map(|(&size, (&sum, c))| super::select::SizeError {
            size,
            net_mae: sum / c as f64,
        })
        .collect()
}

/// The log Dirichlet-multinomial likelihood of the sample's rows (up to the multinomial
/// coefficients, which κ does not change) under priors of concentration κ·π_t and means m_t.
fn log_likelihood(sample: &[Vec<f64>], prior: &[(f64, Vec<f64>)], kappa: f64) -> f64 {
    let mut ll = 0.0;
    for (row, (share, mean)) in sample.iter().zip(prior) {
        let total: f64 = row.iter().sum();
        // A label the out-of-fold examples lack carries no prior to weigh.
        if total == 0.0 || *share == 0.0 {
            continue;
        }
        let a = kappa * share;
        ll += libm::lgamma(a) - libm::lgamma(a + total);
        for (c, m) in row.iter().zip(mean) {
            ll += libm::lgamma(a * m + c) - libm::lgamma(a * m);
        }
    }
    ll
}

/// Weighted counts: `[t][c]` = examples of true label t predicted as c.
fn confusion(cal: &Calibration) -> Vec<Vec<f64>> {
    let k = cal.classes.len();
    let mut out = vec![vec![0.0; k]; k];
    for i in 0..cal.len() {
        out[cal.truth[i] as usize][crate::model::argmax(cal.probs(i))] += cal.weight(i);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Examples given as (true label, predicted label, how many), probability 0.8 on the
    /// predicted one.
    fn cal(rows: &[(u32, usize, usize)]) -> Calibration {
        let mut truth = Vec::new();
        let mut probabilities = Vec::new();
        for &(t, p, times) in rows {
            for _ in 0..times {
                truth.push(t);
                probabilities.extend((0..3).map(|c| if c == p { 0.8 } else { 0.1 }));
            }
        }
        Calibration {
            classes: vec!["a".into(), "b".into(), "c".into()],
            truth,
            probabilities,
            weights: Vec::new(),
        }
    }

    /// 900 out-of-fold examples, each label right 80% of the time.
    fn own() -> Calibration {
        cal(&[
            (0, 0, 240),
            (0, 1, 30),
            (0, 2, 30),
            (1, 1, 240),
            (1, 0, 30),
            (1, 2, 30),
            (2, 2, 240),
            (2, 0, 30),
            (2, 1, 30),
        ])
    }

    #[test]
    fn a_sample_like_the_out_of_fold_rows_is_pooled_with_them() {
        // The same rates exactly, 30 examples per label.
        let sample = cal(&[
            (0, 0, 24),
            (0, 1, 3),
            (0, 2, 3),
            (1, 1, 24),
            (1, 0, 3),
            (1, 2, 3),
            (2, 2, 24),
            (2, 0, 3),
            (2, 1, 3),
        ]);
        assert_eq!(own_weight(&own(), &sample), 900.0);
    }

    #[test]
    fn a_sample_whose_rows_differ_outweighs_them() {
        // Label b is taken for c and c for b: nothing like the out-of-fold rows.
        let sample = cal(&[
            (0, 0, 24),
            (0, 1, 3),
            (0, 2, 3),
            (1, 2, 24),
            (1, 0, 3),
            (1, 1, 3),
            (2, 1, 24),
            (2, 0, 3),
            (2, 2, 3),
        ]);
        let k = own_weight(&own(), &sample);
        assert!(k < 30.0, "κ = {k}");
    }

    #[test]
    fn pooled_rates_are_the_posterior_mean_mix() {
        // κ = 90: the 900 out-of-fold examples count 0.1 each. Label a's row: out of fold
        // (240, 30, 30), in the sample (10, 0, 0): pooled (24 + 10, 3, 3) / 40.
        let sample = cal(&[(0, 0, 10), (1, 1, 10), (2, 2, 10)]);
        let p = pool(&own(), &sample, OwnWeight::Fixed(90.0));
        assert_eq!(p.own_weight, 90.0);
        assert_eq!(p.calibration.len(), 930);
        let rates = p.calibration.rates(&(0..930).collect::<Vec<_>>());
        for (got, want) in rates.hard[0]
            .iter()
            .zip([34.0 / 40.0, 3.0 / 40.0, 3.0 / 40.0])
        {
            assert!((got - want).abs() < 1e-12, "{got} vs {want}");
        }
        assert!((rates.hard_counts[0][0] - 34.0).abs() < 1e-9);
        // Soft rows mix the same way: 0.8 on the predicted label, 0.1 elsewhere.
        let soft_a = (34.0 * 0.8 + 6.0 * 0.1) / 40.0;
        assert!((rates.soft[0][0] - soft_a).abs() < 1e-12);
    }

    #[test]
    fn weight_zero_is_the_sample_alone_and_large_weights_are_capped() {
        let sample = cal(&[(0, 0, 10), (1, 1, 10), (2, 2, 10)]);
        let alone = pool(&own(), &sample, OwnWeight::Fixed(0.0));
        assert_eq!(alone.calibration, sample);
        let all = pool(&own(), &sample, OwnWeight::Fixed(1e9));
        assert_eq!(all.own_weight, 900.0);
        assert!(all.calibration.weights[30..].iter().all(|&w| w == 1.0));
    }

    #[test]
    fn the_bootstrap_keeps_each_part_its_size() {
        use rand::SeedableRng;
        let sample = cal(&[(0, 0, 10), (1, 1, 10), (2, 2, 10)]);
        let p = pool(&own(), &sample, OwnWeight::Fixed(90.0));
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let rates = p.calibration.error_rates(50, &mut rng);
        for r in &rates.replicates {
            // Every resample holds 30 sample examples (weight 1) and 900 × 0.1: 120 in all.
            let total: f64 = r.hard_counts.iter().flatten().sum();
            assert!((total - 120.0).abs() < 1e-9, "{total}");
        }
    }

    /// Stance labels with a polarity: against (a), neutral (b), favor (c).
    fn stance_labels() -> crate::labels::LabelSet {
        crate::labels::LabelSet::recognised(vec![
            "against".into(),
            "neutral".into(),
            "favor".into(),
        ])
    }

    fn relabelled(mut c: Calibration) -> Calibration {
        c.classes = vec!["against".into(), "neutral".into(), "favor".into()];
        c
    }

    #[test]
    fn a_classifier_that_never_errs_is_expected_to_make_no_error() {
        use rand::SeedableRng;
        // Every example predicted as its true label: ACC and PACC recover each group's
        // shares exactly, whatever the fold, so the expected net error is 0 at every size.
        let perfect = relabelled(cal(&[(0, 0, 40), (1, 1, 40), (2, 2, 40)]));
        let sure = relabelled(cal(&[(0, 0, 300), (1, 1, 300), (2, 2, 300)]));
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        for e in [super::super::Estimator::Acc, super::super::Estimator::Pacc] {
            let errors = expected_errors(
                &sure,
                &perfect,
                OwnWeight::Auto,
                e,
                &stance_labels(),
                &mut rng,
            );
            assert_eq!(errors.iter().map(|s| s.size).collect::<Vec<_>>(), SIZES);
            for s in &errors {
                assert!(s.net_mae < 1e-9, "{e:?} at {}: {}", s.size, s.net_mae);
            }
        }
        // Counting a classifier that is right 80% of the time errs: its net error is not 0.
        let noisy = relabelled(own_like_sample());
        let errors = expected_errors(
            &relabelled(own()),
            &noisy,
            OwnWeight::Auto,
            super::super::Estimator::Pcc,
            &stance_labels(),
            &mut rng,
        );
        assert!(errors.iter().all(|s| s.net_mae > 0.01), "{errors:?}");
    }

    #[test]
    fn too_small_a_sample_or_labels_without_polarity_give_no_expected_error() {
        use rand::SeedableRng;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let small = relabelled(cal(&[(0, 0, 8), (1, 1, 8), (2, 2, 8)]));
        let e = super::super::Estimator::Acc;
        assert!(expected_errors(
            &relabelled(own()),
            &small,
            OwnWeight::Auto,
            e,
            &stance_labels(),
            &mut rng
        )
        .is_empty());
        let unpolar = crate::labels::LabelSet::recognised(vec!["a".into(), "b".into(), "c".into()]);
        assert!(expected_errors(
            &own(),
            &own_like_sample(),
            OwnWeight::Auto,
            e,
            &unpolar,
            &mut rng
        )
        .is_empty());
    }

    /// 90 examples with the out-of-fold rates exactly.
    fn own_like_sample() -> Calibration {
        cal(&[
            (0, 0, 24),
            (0, 1, 3),
            (0, 2, 3),
            (1, 1, 24),
            (1, 0, 3),
            (1, 2, 3),
            (2, 2, 24),
            (2, 0, 3),
            (2, 1, 3),
        ])
    }

    #[test]
    fn weights_parse_and_bad_ones_are_named() {
        assert_eq!("auto".parse::<OwnWeight>(), Ok(OwnWeight::Auto));
        assert_eq!("250".parse::<OwnWeight>(), Ok(OwnWeight::Fixed(250.0)));
        let e = "-1".parse::<OwnWeight>().unwrap_err();
        assert!(e.contains("\"-1\" is not a weight"), "{e}");
    }
}
