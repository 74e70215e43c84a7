//! Whether two sets of labeled predictions share their error rates: the test that tells a
//! user whether the labeled articles of the set they compare are misclassified the way the
//! model's own out-of-fold examples are.
//!
//! Unlabeled articles cannot show it: on NewsMTSC's test-rw split the posteriors fit a mixture
//! of the out-of-fold class-conditional distributions well (a χ² of 1.8 on 6 bins), yet the
//! mixture weights are 0.2 off on the neutral share, because the classifier meets the new
//! articles' labels differently. Labeled new articles can.

use super::Calibration;
use serde::{Deserialize, Serialize};

/// A χ² test of homogeneity of the confusion rows (P(predicted | true)) of two labeled sets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Homogeneity {
    /// Pearson's χ², summed over the true labels both sets have.
    pub statistic: f64,
    /// Degrees of freedom: k − 1 per true label both sets have (rounded up to even, see
    /// [`chi2_survival_even`]).
    pub df: usize,
    /// P(χ²_df ≥ statistic).
    pub p_value: f64,
}

impl Homogeneity {
    /// The level below which the rates count as different.
    pub const LEVEL: f64 = 0.05;

    /// Whether the two sets' error rates differ at [`Homogeneity::LEVEL`].
    pub fn differ(&self) -> bool {
        self.p_value < Self::LEVEL
    }
}

/// Counts of (true label, predicted label) of a calibration set.
fn confusion(c: &Calibration) -> Vec<Vec<f64>> {
    let k = c.classes.len();
    let mut m = vec![vec![0.0; k]; k];
    for (i, &t) in c.truth.iter().enumerate() {
        let p = &c.probabilities[i * k..(i + 1) * k];
        m[t as usize][crate::model::argmax(p)] += 1.0;
    }
    m
}

/// Tests whether `a` and `b` (the same labels in the same order) have the same confusion rows:
/// for each true label present in both, the 2 × k table of predicted labels, Pearson's χ²
/// summed over the labels.
pub fn homogeneity(a: &Calibration, b: &Calibration) -> Homogeneity {
    let (ca, cb) = (confusion(a), confusion(b));
    let k = a.classes.len();
    let mut statistic = 0.0;
    let mut df = 0;
    for t in 0..k {
        let (na, nb): (f64, f64) = (ca[t].iter().sum(), cb[t].iter().sum());
        if na == 0.0 || nb == 0.0 {
            continue;
        }
        df += k - 1;
        for c in 0..k {
            let total = ca[t][c] + cb[t][c];
            for (observed, n) in [(ca[t][c], na), (cb[t][c], nb)] {
                let expected = total * n / (na + nb);
                if expected > 0.0 {
                    statistic += (observed - expected).powi(2) / expected;
                }
            }
        }
    }
    let df = df + df % 2;
    Homogeneity {
        statistic,
        df,
        p_value: chi2_survival_even(statistic, df),
    }
}

/// P(χ²_df ≥ x) for an even `df`, in closed form: `e^(−x/2) Σ_{j<df/2} (x/2)^j / j!`.
/// Hand-written: it is the only distribution function needed, and k(k − 1) degrees of freedom
/// are even for every k; an odd count is rounded up by the caller, which only makes the test
/// more cautious about calling rates different.
pub fn chi2_survival_even(x: f64, df: usize) -> f64 {
    if df == 0 {
        return 1.0;
    }
    let half = x.max(0.0) / 2.0;
    let mut term = 1.0;
    let mut sum = 1.0;
    for j in 1..df / 2 {
        term *= half / j as f64;
        sum += term;
    }
    (sum * (-half).exp()).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cal(rows: &[(u32, usize)]) -> Calibration {
        // Each example: true label and predicted label (probability 0.8 on it).
        let k = 3;
        let mut probabilities = Vec::new();
        for &(_, p) in rows {
            for c in 0..k {
                probabilities.push(if c == p { 0.8 } else { 0.1 });
            }
        }
        Calibration {
            classes: vec!["a".into(), "b".into(), "c".into()],
            truth: rows.iter().map(|r| r.0).collect(),
            probabilities,
            weights: Vec::new(),
        }
    }

    #[test]
    fn chi2_survival_by_hand() {
        // df 2: e^(−x/2). df 6 at x = 12.5916 (the 95th percentile): 0.05.
        assert!((chi2_survival_even(2.0, 2) - (-1.0f64).exp()).abs() < 1e-12);
        assert!((chi2_survival_even(12.5916, 6) - 0.05).abs() < 1e-5);
        assert_eq!(chi2_survival_even(0.0, 4), 1.0);
    }

    #[test]
    fn homogeneity_by_hand() {
        // Label 0 only. a: 10 examples predicted 0, 10 predicted 1; b: 20 predicted 0.
        // Table [[10, 10, 0], [20, 0, 0]], column totals 30, 10, 0, rows 20 each:
        // expected 15, 5 in each row; χ² = 2 (25/15 + 25/5) = 13.333…, df 2.
        let mut a = vec![(0, 0); 10];
        a.extend(vec![(0, 1); 10]);
        let b = vec![(0, 0); 20];
        let h = homogeneity(&cal(&a), &cal(&b));
        assert!((h.statistic - 40.0 / 3.0).abs() < 1e-12, "{h:?}");
        assert_eq!(h.df, 2);
        assert!((h.p_value - (-20.0f64 / 3.0).exp()).abs() < 1e-12);
        assert!(h.differ());
        // The same rows in both: χ² = 0, p = 1.
        let same = homogeneity(&cal(&a), &cal(&a));
        assert_eq!((same.statistic, same.p_value), (0.0, 1.0));
        assert!(!same.differ());
    }
}
