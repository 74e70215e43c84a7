//! Bias-corrected temperature scaling (Alexandari et al. 2020), fitted on out-of-fold
//! examples by Newton's method: the recalibration EMQ needs so that its answer on a group with
//! the training shares is the training shares.

use super::solve::solve_square;
use super::Calibration;

/// Bias-corrected temperature scaling: recalibrated probabilities
/// `softmax(scale · ln p + bias)` (`bias[0]` = 0), `scale` and `bias` fitted by maximum
/// likelihood on out-of-fold examples. The fitted biases make the mean recalibrated
/// probability equal the examples' label frequencies, which EMQ needs: its answer on a group
/// with the training shares is then the training shares.
#[derive(Debug, Clone, PartialEq)]
pub struct Recalibration {
    /// Multiplies the log-probabilities.
    pub scale: f64,
    /// Added to the scaled log-probabilities (`bias[0]` = 0).
    pub bias: Vec<f64>,
}

impl Recalibration {
    /// The recalibration that changes nothing.
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

/// Temperature scaling (Guo et al. 2017): the scale `s` maximising the likelihood of the true
/// labels under softmax(s · ln p), by Newton's method on the one parameter (the negative
/// log-likelihood is convex in `s`). `rows` are probability vectors, `truth` their labels.
/// Returns 1 when there is nothing to fit.
pub fn fit_scale(rows: &[Vec<f64>], truth: &[usize]) -> f64 {
    let lnp: Vec<Vec<f64>> = rows
        .iter()
        .map(|r| r.iter().map(|p| p.max(1e-12).ln()).collect())
        .collect();
    let nll_grad = |s: f64| -> (f64, f64, f64) {
        let (mut f, mut g, mut h) = (0.0, 0.0, 0.0);
        for (l, &y) in lnp.iter().zip(truth) {
            let z: Vec<f64> = l.iter().map(|x| s * x).collect();
            let max = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let sum: f64 = z.iter().map(|v| (v - max).exp()).sum();
            let q: Vec<f64> = z.iter().map(|v| (v - max).exp() / sum).collect();
            let mean: f64 = q.iter().zip(l).map(|(a, b)| a * b).sum();
            let second: f64 = q.iter().zip(l).map(|(a, b)| a * b * b).sum();
            f += max + sum.ln() - z[y];
            g += mean - l[y];
            h += second - mean * mean;
        }
        (f, g, h)
    };
    if rows.is_empty() || rows[0].len() < 2 {
        return 1.0;
    }
    let mut s = 1.0;
    for _ in 0..100 {
        let (f, g, h) = nll_grad(s);
        if g.abs() < 1e-9 * rows.len() as f64 || h <= 0.0 {
            break;
        }
        let step = -g / h;
        let mut t = 1.0;
        // Backtracking keeps the scale positive and the objective falling.
        while t > 1e-6 && (s + t * step <= 1e-3 || nll_grad(s + t * step).0 > f) {
            t *= 0.5;
        }
        if t <= 1e-6 {
            break;
        }
        s += t * step;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temperature_scaling_by_hand() {
        // Two labels; every row says (0.75, 0.25) and label 0 is right 9 times in 10. The
        // scaled probability of label 0 is 3^s / (3^s + 1); the likelihood is maximal when it
        // equals 0.9, 3^s = 9, s = 2.
        let rows = vec![vec![0.75, 0.25]; 10];
        let truth: Vec<usize> = (0..10).map(|i| usize::from(i == 9)).collect();
        let s = fit_scale(&rows, &truth);
        assert!((s - 2.0).abs() < 1e-6, "{s}");
        // Already calibrated (right 3 times in 4): the scale stays 1.
        let truth: Vec<usize> = (0..12).map(|i| usize::from(i % 4 == 3)).collect();
        let s = fit_scale(&vec![vec![0.75, 0.25]; 12], &truth);
        assert!((s - 1.0).abs() < 1e-6, "{s}");
    }
}
