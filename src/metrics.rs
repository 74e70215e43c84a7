//! Classification metrics, written here because linfa's confusion matrix swaps precision and
//! recall, its multiclass F1 is not the mean of per-class F1, and a fold with two labels
//! silently switches to binary rules.
//!
//! Conventions: a class never predicted has precision 0, a class never true has recall 0, and
//! F1 is 0 when precision + recall is 0 (scikit-learn's `zero_division=0`). Macro-F1 averages
//! the per-class F1 of every class in the label set, F_avg is the SemEval-2016 stance measure,
//! the mean of F1(favor) and F1(against).

use serde::{Deserialize, Serialize};

/// A confusion matrix: `counts[true][predicted]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Confusion {
    /// The labels, in row and column order.
    pub classes: Vec<String>,
    /// `counts[true][predicted]`.
    pub counts: Vec<Vec<u64>>,
}

/// Precision, recall, F1 and support of one class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassScores {
    /// The label.
    pub class: String,
    /// Share of predictions of the label that were right.
    pub precision: f64,
    /// Share of examples of the label that were found.
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
    /// Examples of the label.
    pub support: u64,
}

impl Confusion {
    /// An empty matrix over `classes`.
    pub fn new(classes: Vec<String>) -> Confusion {
        let k = classes.len();
        Confusion {
            classes,
            counts: vec![vec![0; k]; k],
        }
    }

    /// The matrix of (true, predicted) pairs.
    pub fn from_pairs(classes: Vec<String>, truth: &[usize], predicted: &[usize]) -> Confusion {
        let mut c = Confusion::new(classes);
        for (&t, &p) in truth.iter().zip(predicted) {
            c.add(t, p);
        }
        c
    }

    /// Counts one (true, predicted) pair.
    pub fn add(&mut self, truth: usize, predicted: usize) {
        self.counts[truth][predicted] += 1;
    }

    /// Adds another matrix's counts.
    pub fn merge(&mut self, other: &Confusion) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
    }

    /// All counted pairs.
    pub fn total(&self) -> u64 {
        self.counts.iter().flatten().sum()
    }

    /// Share of pairs on the diagonal.
    pub fn accuracy(&self) -> f64 {
        let diag: u64 = (0..self.classes.len()).map(|i| self.counts[i][i]).sum();
        ratio(diag, self.total())
    }

    /// Precision, recall, F1 and support of each label.
    pub fn per_class(&self) -> Vec<ClassScores> {
        let k = self.classes.len();
        (0..k)
            .map(|c| {
                let tp = self.counts[c][c];
                let predicted: u64 = (0..k).map(|t| self.counts[t][c]).sum();
                let support: u64 = self.counts[c].iter().sum();
                let precision = ratio(tp, predicted);
                let recall = ratio(tp, support);
                let f1 = if precision + recall > 0.0 {
                    2.0 * precision * recall / (precision + recall)
                } else {
                    0.0
                };
                ClassScores {
                    class: self.classes[c].clone(),
                    precision,
                    recall,
                    f1,
                    support,
                }
            })
            .collect()
    }

    /// Mean of the per-class F1 over every class.
    pub fn macro_f1(&self) -> f64 {
        let s = self.per_class();
        if s.is_empty() {
            return 0.0;
        }
        s.iter().map(|c| c.f1).sum::<f64>() / s.len() as f64
    }

    /// Mean of the per-class F1 over the classes that occur in the truth or the predictions
    /// (scikit-learn's default label set); for subsets such as one actor's examples.
    pub fn macro_f1_present(&self) -> f64 {
        let k = self.classes.len();
        let s = self.per_class();
        let present: Vec<f64> = (0..k)
            .filter(|&c| s[c].support > 0 || (0..k).any(|t| self.counts[t][c] > 0))
            .map(|c| s[c].f1)
            .collect();
        if present.is_empty() {
            return 0.0;
        }
        present.iter().sum::<f64>() / present.len() as f64
    }

    /// Mean F1 of the named classes (F_avg with the favor and against labels); None if one of
    /// them is not a class.
    pub fn f_avg(&self, positive: &str, negative: &str) -> Option<f64> {
        let s = self.per_class();
        let f = |name: &str| s.iter().find(|c| c.class == name).map(|c| c.f1);
        Some((f(positive)? + f(negative)?) / 2.0)
    }

    /// Row-normalised rates: `rates[t][p]` = P(predicted p | true t); a class with no examples
    /// gets the identity row.
    pub fn rates(&self) -> Vec<Vec<f64>> {
        let k = self.classes.len();
        (0..k)
            .map(|t| {
                let n: u64 = self.counts[t].iter().sum();
                (0..k)
                    .map(|p| {
                        if n == 0 {
                            (t == p) as u8 as f64
                        } else {
                            self.counts[t][p] as f64 / n as f64
                        }
                    })
                    .collect()
            })
            .collect()
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// Cohen's kappa between two labelings of the same items (labels as strings).
pub fn cohen_kappa(a: &[&str], b: &[&str]) -> f64 {
    assert_eq!(a.len(), b.len(), "kappa needs paired labels");
    let n = a.len() as f64;
    if a.is_empty() {
        return f64::NAN;
    }
    let mut labels: Vec<&str> = a.iter().chain(b).copied().collect();
    labels.sort();
    labels.dedup();
    let agree = a.iter().zip(b).filter(|(x, y)| x == y).count() as f64 / n;
    let expected: f64 = labels
        .iter()
        .map(|l| {
            let pa = a.iter().filter(|x| *x == l).count() as f64 / n;
            let pb = b.iter().filter(|x| *x == l).count() as f64 / n;
            pa * pb
        })
        .sum();
    if (1.0 - expected).abs() < 1e-15 {
        return 1.0;
    }
    (agree - expected) / (1.0 - expected)
}

/// Mean and sample standard deviation.
pub fn mean_sd(xs: &[f64]) -> (f64, f64) {
    if xs.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    if xs.len() < 2 {
        return (m, 0.0);
    }
    let v = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0);
    (m, v.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classes() -> Vec<String> {
        vec!["against".into(), "favor".into(), "neutral".into()]
    }

    #[test]
    fn per_class_macro_and_f_avg_worked_by_hand() {
        // truth:     a a a a f f f n n n
        // predicted: a a f n f f a n n f
        let t = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2];
        let p = [0, 0, 1, 2, 1, 1, 0, 2, 2, 1];
        let c = Confusion::from_pairs(classes(), &t, &p);
        assert_eq!(c.counts, vec![vec![2, 1, 1], vec![1, 2, 0], vec![0, 1, 2]]);
        let s = c.per_class();
        // against: P = 2/3, R = 2/4, F1 = 2·(2/3·1/2)/(2/3+1/2) = 4/7
        assert!((s[0].precision - 2.0 / 3.0).abs() < 1e-12);
        assert!((s[0].recall - 0.5).abs() < 1e-12);
        assert!((s[0].f1 - 4.0 / 7.0).abs() < 1e-12);
        // favor: P = 2/4, R = 2/3, F1 = 4/7; neutral: P = 2/3, R = 2/3, F1 = 2/3
        assert!((s[1].f1 - 4.0 / 7.0).abs() < 1e-12);
        assert!((s[2].f1 - 2.0 / 3.0).abs() < 1e-12);
        assert!((c.macro_f1() - (4.0 / 7.0 + 4.0 / 7.0 + 2.0 / 3.0) / 3.0).abs() < 1e-12);
        assert!((c.f_avg("favor", "against").unwrap() - 4.0 / 7.0).abs() < 1e-12);
        assert!((c.accuracy() - 0.6).abs() < 1e-12);
        assert_eq!(c.f_avg("pro", "against"), None);
    }

    #[test]
    fn zero_division_gives_zero_not_nan() {
        // Nothing predicted as neutral, and no true favor.
        let c = Confusion::from_pairs(classes(), &[0, 2], &[0, 1]);
        let s = c.per_class();
        assert_eq!(s[1].precision, 0.0);
        assert_eq!(s[1].recall, 0.0);
        assert_eq!(s[2].f1, 0.0);
        assert!((c.macro_f1() - 1.0 / 3.0).abs() < 1e-12);
        // Present classes: against (F1 1), favor (predicted once, F1 0), neutral (true once,
        // F1 0): mean 1/3. With only against: 1.
        assert!((c.macro_f1_present() - 1.0 / 3.0).abs() < 1e-12);
        let only = Confusion::from_pairs(classes(), &[0, 0], &[0, 0]);
        assert_eq!(only.macro_f1_present(), 1.0);
        assert!((only.macro_f1() - 1.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn kappa_worked_by_hand() {
        // 10 items; agree on 7. a: x x x x x y y y y y; b: x x x x y y y y x x
        let a = ["x", "x", "x", "x", "x", "y", "y", "y", "y", "y"];
        let b = ["x", "x", "x", "x", "y", "y", "y", "y", "x", "x"];
        // po = 0.7; pe = 0.5·0.6 + 0.5·0.4 = 0.5; kappa = 0.2/0.5 = 0.4
        assert!((cohen_kappa(&a, &b) - 0.4).abs() < 1e-12);
        assert_eq!(cohen_kappa(&["x", "x"], &["x", "x"]), 1.0);
    }

    #[test]
    fn rates_rows_sum_to_one() {
        let c = Confusion::from_pairs(classes(), &[0, 0, 1, 1], &[0, 1, 1, 1]);
        let r = c.rates();
        assert_eq!(r[0], vec![0.5, 0.5, 0.0]);
        assert_eq!(r[2], vec![0.0, 0.0, 1.0]);
    }

    #[test]
    fn mean_sd_by_hand() {
        let (m, s) = mean_sd(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(m, 2.5);
        assert!((s - (5.0f64 / 3.0).sqrt()).abs() < 1e-12);
    }
}

/// A reliability table: examples binned by the probability of their most probable label,
/// each bin's mean probability beside its accuracy, and the expected calibration error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reliability {
    /// Expected calibration error: Σ over bins of (share of examples) × |accuracy − mean
    /// probability|.
    pub ece: f64,
    /// Mean probability of the most probable label.
    pub mean_confidence: f64,
    /// The non-empty bins, in order.
    pub bins: Vec<ReliabilityBin>,
}

/// One bin of a reliability table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReliabilityBin {
    /// Lower end of the bin (probability of the most probable label).
    pub low: f64,
    /// Upper end.
    pub high: f64,
    /// Examples in it.
    pub n: usize,
    /// Their mean probability of the most probable label.
    pub confidence: f64,
    /// The share of them whose most probable label is right.
    pub accuracy: f64,
}

/// The reliability table of probability rows `probs` with true labels `truth`, in `bins`
/// equal-width bins over [0, 1].
pub fn reliability(probs: &[Vec<f64>], truth: &[usize], bins: usize) -> Reliability {
    let bins = bins.max(1);
    let mut n = vec![0usize; bins];
    let mut conf = vec![0.0; bins];
    let mut right = vec![0.0; bins];
    for (p, &t) in probs.iter().zip(truth) {
        let top = crate::model::argmax(p);
        let c = p[top];
        let b = ((c * bins as f64) as usize).min(bins - 1);
        n[b] += 1;
        conf[b] += c;
        right[b] += f64::from(u8::from(top == t));
    }
    let total = probs.len().max(1) as f64;
    let mut out = Vec::new();
    let mut ece = 0.0;
    for b in 0..bins {
        if n[b] == 0 {
            continue;
        }
        let (c, a) = (conf[b] / n[b] as f64, right[b] / n[b] as f64);
        ece += n[b] as f64 / total * (a - c).abs();
        out.push(ReliabilityBin {
            low: b as f64 / bins as f64,
            high: (b + 1) as f64 / bins as f64,
            n: n[b],
            confidence: c,
            accuracy: a,
        });
    }
    Reliability {
        ece,
        mean_confidence: conf.iter().sum::<f64>() / total,
        bins: out,
    }
}

#[cfg(test)]
mod reliability_tests {
    #[test]
    fn ece_by_hand() {
        // Four rows at 0.9 (three right) and two at 0.6 (both wrong), in 10 bins:
        // bin 9: |0.75 − 0.9| = 0.15 × 4/6; bin 6: |0 − 0.6| = 0.6 × 2/6 → 0.1 + 0.2 = 0.3.
        let probs = vec![
            vec![0.9, 0.1],
            vec![0.9, 0.1],
            vec![0.9, 0.1],
            vec![0.9, 0.1],
            vec![0.6, 0.4],
            vec![0.6, 0.4],
        ];
        let r = super::reliability(&probs, &[0, 0, 0, 1, 1, 1], 10);
        assert!((r.ece - 0.3).abs() < 1e-12, "{r:?}");
        assert_eq!(r.bins.len(), 2);
        assert_eq!((r.bins[0].n, r.bins[1].n), (2, 4));
        assert!((r.mean_confidence - 0.8).abs() < 1e-12);
    }
}
