//! Multinomial logistic regression with L2, trained on sparse rows.
//!
//! The loss is linfa-logistic's `MultiLogisticRegression` loss, example-weighted:
//! `-Σ_i s_i log softmax(x_i W + b)_{y_i} + α/2 ‖W‖²` (the intercept is not penalised), minimised
//! with the same solver (argmin's L-BFGS, memory 10, Moré–Thuente line search, the same gradient
//! tolerance, zeros to start; [`crate::lbfgs`] runs that algorithm step for step without
//! allocating). With all weights `s_i = 1` the two reach the same weights (a test
//! shows it); ours runs on CSR rows, which is what makes thousands of examples with tens of
//! thousands of features fit in seconds. `Solver::Linfa` runs linfa's own dense solver instead.
//!
//! The fitted [`Classifier`] implements linfa's `PredictInplace`, and [`LogisticConfig`]
//! implements linfa's `Fit`, so a Rust user can use it like any linfa model.

use crate::error::{Error, Result};
use crate::features::SparseVec;
use crate::lbfgs::{self, Objective, Settings, Stop};
use linfa::dataset::{DatasetBase, Records};
use linfa::traits::{Fit, PredictInplace};
use ndarray::{Array1, Array2, ArrayBase, Data, Ix2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Which solver trains the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Solver {
    /// L-BFGS on sparse rows (ours).
    Sparse,
    /// linfa-logistic's `MultiLogisticRegression` on a dense matrix (small sets only).
    Linfa,
}

/// How examples of each class are weighted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum ClassWeight {
    /// Every example counts once.
    None,
    /// Each class counts as much in total: weight n / (k · n_class).
    Balanced,
}

/// Training settings for the classifier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogisticConfig {
    /// L2 penalty on the weights (linfa's `alpha`); must be positive.
    pub alpha: f64,
    /// Most solver iterations.
    pub max_iterations: u64,
    /// Stop when the gradient's norm is below this times the total example weight (the
    /// number of examples when every example counts once): a tolerance on the mean loss's
    /// gradient, as scikit-learn's, so that the number of iterations does not grow with the
    /// number of examples. (On the summed loss a fixed tolerance tightens as the data grows:
    /// at 30,000 examples the fits ran three to four times the iterations for the same
    /// predictions.)
    pub gradient_tolerance: f64,
    /// How examples of each class are weighted.
    pub class_weight: ClassWeight,
    /// Which solver fits.
    pub solver: Solver,
}

impl Default for LogisticConfig {
    fn default() -> Self {
        LogisticConfig {
            alpha: 1.0,
            max_iterations: 1000,
            gradient_tolerance: 1e-5,
            class_weight: ClassWeight::Balanced,
            solver: Solver::Sparse,
        }
    }
}

impl LogisticConfig {
    /// Checks the settings.
    pub fn validate(&self) -> Result<()> {
        if !(self.alpha.is_finite() && self.alpha > 0.0) {
            return Err(Error::Config(format!(
                "alpha must be a positive number (got {}); with alpha 0 the solver can run without end",
                self.alpha
            )));
        }
        if !(self.gradient_tolerance.is_finite() && self.gradient_tolerance > 0.0) {
            return Err(Error::Config(
                "the gradient tolerance must be a positive number".into(),
            ));
        }
        if self.max_iterations == 0 {
            return Err(Error::Config("max_iterations must be at least 1".into()));
        }
        if self.solver == Solver::Linfa && self.class_weight != ClassWeight::None {
            return Err(Error::Config(
                "linfa's solver has no class weights: use --class-weight none with --solver linfa"
                    .into(),
            ));
        }
        Ok(())
    }
}

/// How the fit went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitReport {
    /// Iterations the solver ran.
    pub iterations: u64,
    /// Whether it stopped because the gradient tolerance was met.
    pub converged: bool,
    /// Why the solver stopped, in argmin's words (the solver is argmin's algorithm).
    pub stopped: String,
    /// The loss at the end.
    pub loss: f64,
}

/// A fitted multinomial logistic model over `n_features` features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Classifier {
    /// The labels, in the order of the weight columns.
    pub classes: Vec<String>,
    /// The number of features.
    pub n_features: usize,
    /// Row-major `n_features × classes`.
    #[serde(with = "compact")]
    pub weights: Vec<f64>,
    #[serde(with = "compact")]
    /// One intercept per label.
    pub intercept: Vec<f64>,
    /// How the fit went.
    pub report: FitReport,
}

/// Rows in compressed sparse row form.
pub struct Csr {
    indptr: Vec<usize>,
    indices: Vec<u32>,
    values: Vec<f64>,
    n_cols: usize,
}

impl Csr {
    /// Rows from sparse vectors.
    pub fn from_rows(rows: &[SparseVec], n_cols: usize) -> Csr {
        let mut indptr = Vec::with_capacity(rows.len() + 1);
        indptr.push(0);
        let nnz = rows.iter().map(SparseVec::nnz).sum();
        let mut indices = Vec::with_capacity(nnz);
        let mut values = Vec::with_capacity(nnz);
        for r in rows {
            indices.extend_from_slice(&r.idx);
            values.extend_from_slice(&r.val);
            indptr.push(indices.len());
        }
        Csr {
            indptr,
            indices,
            values,
            n_cols,
        }
    }

    /// Rows from a dense matrix (zeros left out).
    pub fn from_dense<D: Data<Elem = f64>>(x: &ArrayBase<D, Ix2>) -> Csr {
        let rows: Vec<SparseVec> = x
            .rows()
            .into_iter()
            .map(|r| {
                let mut v = SparseVec::default();
                for (j, &x) in r.iter().enumerate() {
                    if x != 0.0 {
                        v.idx.push(j as u32);
                        v.val.push(x);
                    }
                }
                v
            })
            .collect();
        Csr::from_rows(&rows, x.ncols())
    }

    /// The transposed matrix (columns become rows), each new row listing its entries in the
    /// order of the old rows.
    pub fn transpose(&self) -> Csr {
        let mut count = vec![0usize; self.n_cols + 1];
        for &j in &self.indices {
            count[j as usize + 1] += 1;
        }
        for j in 0..self.n_cols {
            count[j + 1] += count[j];
        }
        let indptr = count.clone();
        let mut next = count;
        let mut indices = vec![0u32; self.indices.len()];
        let mut values = vec![0.0; self.values.len()];
        for i in 0..self.n_rows() {
            let (idx, val) = self.row(i);
            for (&j, &v) in idx.iter().zip(val) {
                let at = next[j as usize];
                indices[at] = i as u32;
                values[at] = v;
                next[j as usize] += 1;
            }
        }
        Csr {
            indptr,
            indices,
            values,
            n_cols: self.n_rows(),
        }
    }

    /// The number of rows.
    pub fn n_rows(&self) -> usize {
        self.indptr.len() - 1
    }

    fn row(&self, i: usize) -> (&[u32], &[f64]) {
        let (a, b) = (self.indptr[i], self.indptr[i + 1]);
        (&self.indices[a..b], &self.values[a..b])
    }
}

struct Problem<'a> {
    x: &'a Csr,
    /// `x` transposed: one row per feature, listing the examples that have it.
    xt: Csr,
    y: &'a [usize],
    weight: &'a [f64],
    k: usize,
    alpha: f64,
    /// Each row's residuals (predicted minus true probabilities, times the example weight),
    /// reused from one evaluation to the next.
    residual: Vec<f64>,
}

impl<'a> Problem<'a> {
    fn new(x: &'a Csr, y: &'a [usize], weight: &'a [f64], k: usize, alpha: f64) -> Problem<'a> {
        Problem {
            x,
            xt: x.transpose(),
            y,
            weight,
            k,
            alpha,
            residual: vec![0.0; x.n_rows() * k],
        }
    }

    /// Loss and (when asked) gradient at `p`, into fresh vectors: for tests and the one-off
    /// loss of linfa's fit.
    fn eval(&mut self, p: &Array1<f64>, want_grad: bool) -> (f64, Option<Vec<f64>>) {
        let w = p.as_slice().expect("contiguous parameters");
        let loss = self.loss(w);
        let grad = want_grad.then(|| {
            let mut g = vec![0.0; w.len()];
            self.gradient(w, &mut g);
            g
        });
        (loss, grad)
    }
}

impl Problem<'_> {
    /// The loss at `w`, leaving each row's residuals in `self.residual`. Rows are processed in
    /// parallel chunks, each writing its rows' residuals. One residual matrix for the whole
    /// fit, whatever the number of rows: the fit's memory and time grow with the data, not
    /// with the data times the number of features, as they did when each chunk of rows summed
    /// into a gradient of its own.
    fn loss(&mut self, w: &[f64]) -> f64 {
        let k = self.k;
        let nf = self.x.n_cols;
        let b = &w[nf * k..];
        // Fixed chunks summed in order, and each feature's gradient summed over its rows in
        // row order, so the result does not depend on how many threads ran or how work was
        // stolen: training is bit-for-bit reproducible.
        const CHUNK: usize = 1024;
        let (x, y, weight) = (self.x, self.y, self.weight);
        let partials: Vec<f64> = self
            .residual
            .par_chunks_mut(CHUNK * k)
            .enumerate()
            .map(|(chunk, res)| {
                let mut loss = 0.0f64;
                let mut h = vec![0.0; k];
                for (i, r) in (chunk * CHUNK..).zip(res.chunks_exact_mut(k)) {
                    let (idx, val) = x.row(i);
                    h.copy_from_slice(b);
                    for (&j, &x) in idx.iter().zip(val) {
                        let row = &w[j as usize * k..j as usize * k + k];
                        for (hc, r) in h.iter_mut().zip(row) {
                            *hc += x * r;
                        }
                    }
                    let max = h.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                    let lse = max + h.iter().map(|v| (v - max).exp()).sum::<f64>().ln();
                    let s = weight[i];
                    loss -= s * (h[y[i]] - lse);
                    for (c, (rc, hc)) in r.iter_mut().zip(&h).enumerate() {
                        let y = if c == y[i] { 1.0 } else { 0.0 };
                        *rc = s * ((*hc - lse).exp() - y);
                    }
                }
                loss
            })
            .collect();
        let mut loss = 0.0;
        for l in partials {
            loss += l;
        }
        let reg: f64 = w[..nf * k].iter().map(|v| v * v).sum();
        loss + 0.5 * self.alpha * reg
    }

    /// The gradient at `w` into `g`, from the residuals [`Problem::loss`] left at the same
    /// `w`: the transposed data times the residuals, feature by feature in parallel.
    fn gradient(&self, w: &[f64], g: &mut [f64]) {
        let k = self.k;
        let nf = self.x.n_cols;
        let residual = &self.residual;
        g.fill(0.0);
        const FEATURES: usize = 4096;
        g[..nf * k]
            .par_chunks_mut(FEATURES * k)
            .enumerate()
            .for_each(|(block, gb)| {
                for (j, gj) in (block * FEATURES..).zip(gb.chunks_exact_mut(k)) {
                    let (rows, val) = self.xt.row(j);
                    for (&i, &x) in rows.iter().zip(val) {
                        let r = &residual[i as usize * k..i as usize * k + k];
                        for (gc, rc) in gj.iter_mut().zip(r) {
                            *gc += x * rc;
                        }
                    }
                }
            });
        for r in residual.chunks_exact(k) {
            for (gb, rc) in g[nf * k..].iter_mut().zip(r) {
                *gb += rc;
            }
        }
        for (gi, wi) in g[..nf * k].iter_mut().zip(&w[..nf * k]) {
            *gi += self.alpha * wi;
        }
    }
}

impl Objective for Problem<'_> {
    fn eval(&mut self, x: &[f64], grad: &mut [f64]) -> f64 {
        let loss = self.loss(x);
        self.gradient(x, grad);
        loss
    }
}

/// Example weights for `y` (class indices in `0..k`).
pub fn class_weights(y: &[usize], k: usize, mode: ClassWeight) -> Vec<f64> {
    match mode {
        ClassWeight::None => vec![1.0; y.len()],
        ClassWeight::Balanced => {
            let mut count = vec![0usize; k];
            y.iter().for_each(|&c| count[c] += 1);
            let n = y.len() as f64;
            y.iter()
                .map(|&c| n / (k as f64 * count[c] as f64))
                .collect()
        }
    }
}

impl Classifier {
    /// Fits the model on rows `x` with class indices `y` into `classes`.
    pub fn fit(
        x: &Csr,
        y: &[usize],
        classes: Vec<String>,
        cfg: &LogisticConfig,
    ) -> Result<Classifier> {
        cfg.validate()?;
        let k = classes.len();
        if k < 2 {
            return Err(Error::Training(format!(
                "need at least two classes to learn from, found {}: {}",
                k,
                classes.join(", ")
            )));
        }
        if x.n_rows() != y.len() {
            return Err(Error::Training(format!(
                "{} rows but {} labels",
                x.n_rows(),
                y.len()
            )));
        }
        if let Some(&bad) = y.iter().find(|&&c| c >= k) {
            return Err(Error::Training(format!("class index {bad} out of range")));
        }
        if x.values.iter().any(|v| !v.is_finite()) {
            return Err(Error::Training(
                "the features hold a non-finite value".into(),
            ));
        }
        match cfg.solver {
            Solver::Sparse => Self::fit_sparse(x, y, classes, cfg),
            Solver::Linfa => Self::fit_linfa(x, y, classes, cfg),
        }
    }

    fn fit_sparse(
        x: &Csr,
        y: &[usize],
        classes: Vec<String>,
        cfg: &LogisticConfig,
    ) -> Result<Classifier> {
        let k = classes.len();
        let nf = x.n_cols;
        let weight = class_weights(y, k, cfg.class_weight);
        let total: f64 = weight.iter().sum();
        let mut problem = Problem::new(x, y, &weight, k, cfg.alpha);
        let settings = Settings {
            memory: 10,
            tol_grad: cfg.gradient_tolerance * total,
            tol_cost: f64::EPSILON,
            max_iters: cfg.max_iterations,
        };
        let out = lbfgs::minimize(&mut problem, vec![0.0; (nf + 1) * k], &settings);
        let iterations = out.iterations;
        let converged = out.stop == Stop::Converged;
        let stopped = out.stop.text();
        let loss = out.best_cost;
        let p = out.best;
        Ok(Classifier {
            classes,
            n_features: nf,
            weights: p[..nf * k].to_vec(),
            intercept: p[nf * k..].to_vec(),
            report: FitReport {
                iterations,
                converged,
                stopped,
                loss,
            },
        })
    }

    fn fit_linfa(
        x: &Csr,
        y: &[usize],
        classes: Vec<String>,
        cfg: &LogisticConfig,
    ) -> Result<Classifier> {
        let nf = x.n_cols;
        let k = classes.len();
        let mut dense = Array2::<f64>::zeros((x.n_rows(), nf));
        for i in 0..x.n_rows() {
            let (idx, val) = x.row(i);
            for (&j, &v) in idx.iter().zip(val) {
                dense[[i, j as usize]] = v;
            }
        }
        let targets = Array1::from(y.to_vec());
        let ds = DatasetBase::new(dense, targets);
        let fitted = linfa_logistic::MultiLogisticRegression::default()
            .alpha(cfg.alpha)
            .max_iterations(cfg.max_iterations)
            .gradient_tolerance(cfg.gradient_tolerance * x.n_rows() as f64)
            .fit(&ds)
            .map_err(|e| Error::Training(format!("linfa: {e}")))?;
        // linfa orders its classes by value; map them back to ours.
        let mut weights = vec![0.0; nf * k];
        let mut intercept = vec![0.0; k];
        for (col, &c) in fitted.classes().iter().enumerate() {
            for j in 0..nf {
                weights[j * k + c] = fitted.params()[[j, col]];
            }
            intercept[c] = fitted.intercept()[col];
        }
        let mut model = Classifier {
            classes,
            n_features: nf,
            weights,
            intercept,
            report: FitReport {
                iterations: 0,
                converged: false,
                stopped: "linfa does not report iterations or convergence".into(),
                loss: f64::NAN,
            },
        };
        let weight = vec![1.0; y.len()];
        let mut problem = Problem::new(x, y, &weight, k, cfg.alpha);
        let mut p = model.weights.clone();
        p.extend_from_slice(&model.intercept);
        model.report.loss = problem.eval(&Array1::from(p), false).0;
        Ok(model)
    }

    /// Checks that the shapes agree and every number is finite.
    fn check_shapes(&self) -> std::result::Result<(), String> {
        let k = self.classes.len();
        if k < 2 {
            return Err(format!("{k} classes; a classifier needs at least two"));
        }
        match self.n_features.checked_mul(k) {
            None => {
                return Err(format!(
                    "{} features × {} classes is more weights than any file can hold",
                    self.n_features, k
                ))
            }
            Some(need) if need != self.weights.len() => {
                return Err(format!(
                    "{} weights, but {} features × {} classes need {need}",
                    self.weights.len(),
                    self.n_features,
                    k
                ))
            }
            Some(_) => {}
        }
        if self.intercept.len() != k {
            return Err(format!(
                "{} intercepts for {} classes",
                self.intercept.len(),
                k
            ));
        }
        if self
            .weights
            .iter()
            .chain(&self.intercept)
            .any(|v| !v.is_finite())
        {
            return Err("a weight is not a finite number".into());
        }
        Ok(())
    }

    /// The class scores (logits) of a row.
    pub fn logits(&self, x: &SparseVec) -> Vec<f64> {
        let k = self.classes.len();
        if k == 3 && self.intercept.len() == 3 {
            // The stance task's three labels: the class sums in registers (the same sums, in
            // the same order, as the general loop below).
            let mut h = [self.intercept[0], self.intercept[1], self.intercept[2]];
            for (&j, &v) in x.idx.iter().zip(&x.val) {
                if let Some(row) = self.weights.get(j as usize * 3..j as usize * 3 + 3) {
                    if (j as usize) < self.n_features {
                        h[0] += v * row[0];
                        h[1] += v * row[1];
                        h[2] += v * row[2];
                    }
                }
            }
            return h.to_vec();
        }
        let mut h = self.intercept.clone();
        for (&j, &v) in x.idx.iter().zip(&x.val) {
            let j = j as usize;
            if j < self.n_features {
                let row = &self.weights[j * k..j * k + k];
                for (hc, &w) in h.iter_mut().zip(row) {
                    *hc += v * w;
                }
            }
        }
        h
    }

    /// Class probabilities of a row (softmax of the logits), in the order of `classes`.
    pub fn probabilities(&self, x: &SparseVec) -> Vec<f64> {
        softmax(self.logits(x))
    }

    /// The weight of feature `j` for class `c`.
    pub fn weight(&self, j: usize, c: usize) -> f64 {
        self.weights[j * self.classes.len() + c]
    }
}

impl crate::classifier::Classify for Classifier {
    fn classes(&self) -> &[String] {
        &self.classes
    }

    fn n_features(&self) -> usize {
        self.n_features
    }

    fn probabilities(&self, x: &SparseVec) -> Vec<f64> {
        Classifier::probabilities(self, x)
    }

    /// The weight of the feature for the label minus its mean weight over all labels.
    fn contribution(&self, feature: usize, label: usize) -> f64 {
        let k = self.classes.len();
        let row = &self.weights[feature * k..feature * k + k];
        row[label] - row.iter().sum::<f64>() / k as f64
    }

    fn report(&self) -> &FitReport {
        &self.report
    }

    fn check(&self) -> std::result::Result<(), String> {
        self.check_shapes()
    }
}

/// Saves numbers rounded to 6 significant digits (relative error below 1e-6, far below what
/// changes a probability that matters) to keep model files small; reads them back as f64.
pub mod compact {
    use serde::{Deserialize, Deserializer, Serializer};

    /// `x` rounded to 6 significant digits.
    pub fn round(x: f64) -> f64 {
        if x == 0.0 || !x.is_finite() {
            return x;
        }
        format!("{x:.5e}").parse().unwrap_or(x)
    }

    /// Writes the numbers rounded.
    pub fn serialize<S: Serializer>(v: &[f64], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|&x| round(x)))
    }

    /// Reads the numbers.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        Vec::<f64>::deserialize(d)
    }
}

/// Softmax of scores (numerically stable).
pub fn softmax(mut h: Vec<f64>) -> Vec<f64> {
    let max = h.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let mut sum = 0.0;
    for v in h.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    h.iter_mut().for_each(|v| *v /= sum);
    h
}

/// The index of the largest value (the first on ties).
pub fn argmax(p: &[f64]) -> usize {
    let mut best = 0;
    for (i, &v) in p.iter().enumerate() {
        if v > p[best] {
            best = i;
        }
    }
    best
}

impl<D: Data<Elem = f64>> Fit<ArrayBase<D, Ix2>, Array1<usize>, Error> for LogisticConfig {
    type Object = Classifier;

    /// Fits on a dense feature matrix with class indices as targets; classes are named by
    /// their index ("0", "1", …).
    fn fit(&self, ds: &DatasetBase<ArrayBase<D, Ix2>, Array1<usize>>) -> Result<Classifier> {
        let y = ds.targets().to_vec();
        let k = y.iter().max().map_or(0, |m| m + 1);
        let classes = (0..k).map(|c| c.to_string()).collect();
        Classifier::fit(&Csr::from_dense(ds.records()), &y, classes, self)
    }
}

impl<D: Data<Elem = f64>> PredictInplace<ArrayBase<D, Ix2>, Array1<usize>> for Classifier {
    fn predict_inplace(&self, x: &ArrayBase<D, Ix2>, y: &mut Array1<usize>) {
        assert_eq!(x.nrows(), y.len(), "one prediction per row");
        let csr = Csr::from_dense(x);
        for i in 0..csr.n_rows() {
            let (idx, val) = csr.row(i);
            let row = SparseVec {
                idx: idx.to_vec(),
                val: val.to_vec(),
            };
            y[i] = argmax(&self.logits(&row));
        }
    }

    fn default_target(&self, x: &ArrayBase<D, Ix2>) -> Array1<usize> {
        Array1::zeros(x.nsamples())
    }
}

impl From<linfa::Error> for Error {
    fn from(e: linfa::Error) -> Self {
        Error::Training(format!("linfa: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The logits by hand: intercept plus the sum of value × weight, for two and three labels
    /// (three has its own loop), a feature past the model's ignored.
    #[test]
    fn logits_by_hand_for_two_and_three_labels() {
        let x = SparseVec {
            idx: vec![1, 0, 7],
            val: vec![0.5, 2.0, 100.0],
        };
        for k in [2usize, 3] {
            let m = Classifier {
                classes: (0..k).map(|c| c.to_string()).collect(),
                n_features: 2,
                weights: (0..2 * k).map(|i| i as f64 + 1.0).collect(),
                intercept: (0..k).map(|c| -(c as f64)).collect(),
                report: FitReport {
                    iterations: 0,
                    converged: true,
                    stopped: String::new(),
                    loss: 0.0,
                },
            };
            let want: Vec<f64> = (0..k)
                .map(|c| -(c as f64) + 0.5 * (k + c + 1) as f64 + 2.0 * (c + 1) as f64)
                .collect();
            assert_eq!(m.logits(&x), want, "{k} labels");
        }
    }

    /// [[0.6, 0, 0.8], [0, 1, 0], [0.5, -0.5, 0]] as sparse rows.
    fn three_rows() -> Vec<SparseVec> {
        vec![
            SparseVec {
                idx: vec![0, 2],
                val: vec![0.6, 0.8],
            },
            SparseVec {
                idx: vec![1],
                val: vec![1.0],
            },
            SparseVec {
                idx: vec![0, 1],
                val: vec![0.5, -0.5],
            },
        ]
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let rows = three_rows();
        let x = Csr::from_rows(&rows, 3);
        let y = [0, 1, 2];
        let w = [1.0, 2.0, 0.5];
        let mut p = Problem::new(&x, &y, &w, 3, 0.3);
        let params = Array1::from_iter((0..12).map(|i| (i as f64 * 0.37).sin()));
        let (_, g) = p.eval(&params, true);
        let g = g.unwrap();
        for i in 0..12 {
            let mut a = params.clone();
            let mut b = params.clone();
            a[i] += 1e-6;
            b[i] -= 1e-6;
            let num = (p.eval(&a, false).0 - p.eval(&b, false).0) / 2e-6;
            assert!((num - g[i]).abs() < 1e-6, "param {i}: {num} vs {}", g[i]);
        }
    }

    #[test]
    fn transpose_by_hand() {
        // [[0.6, 0, 0.8], [0, 1, 0], [0.5, -0.5, 0]] transposed.
        let rows = three_rows();
        let t = Csr::from_rows(&rows, 3).transpose();
        assert_eq!(t.n_rows(), 3);
        assert_eq!(t.n_cols, 3);
        assert_eq!(t.row(0), (&[0u32, 2][..], &[0.6, 0.5][..]));
        assert_eq!(t.row(1), (&[1u32, 2][..], &[1.0, -0.5][..]));
        assert_eq!(t.row(2), (&[0u32][..], &[0.8][..]));
    }

    /// Past one chunk of rows and one block of features, the gradient still equals the plain
    /// sum over examples of x_i (p_i - y_i) weighted, plus the penalty.
    #[test]
    fn gradient_over_many_chunks_is_the_plain_sum() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let (n, nf, k) = (2500, 5000, 3);
        let rows: Vec<SparseVec> = (0..n)
            .map(|_| {
                let mut idx: Vec<u32> = (0..8).map(|_| rng.gen_range(0..nf as u32)).collect();
                idx.sort_unstable();
                idx.dedup();
                let val = idx.iter().map(|_| rng.gen_range(-1.0..1.0)).collect();
                SparseVec { idx, val }
            })
            .collect();
        let y: Vec<usize> = (0..n).map(|_| rng.gen_range(0..k)).collect();
        let weight: Vec<f64> = (0..n).map(|_| rng.gen_range(0.5..2.0)).collect();
        let x = Csr::from_rows(&rows, nf);
        let mut p = Problem::new(&x, &y, &weight, k, 0.7);
        let params = Array1::from_iter((0..(nf + 1) * k).map(|i| (i as f64 * 0.011).sin()));
        let (loss, g) = p.eval(&params, true);
        let g = g.unwrap();
        let w = params.as_slice().unwrap();
        let mut want = vec![0.0; w.len()];
        let mut want_loss = 0.0;
        for (i, r) in rows.iter().enumerate() {
            let mut h = w[nf * k..].to_vec();
            for (&j, &v) in r.idx.iter().zip(&r.val) {
                for c in 0..k {
                    h[c] += v * w[j as usize * k + c];
                }
            }
            let pr = softmax(h.clone());
            want_loss -= weight[i] * pr[y[i]].ln();
            for c in 0..k {
                let d = weight[i] * (pr[c] - if c == y[i] { 1.0 } else { 0.0 });
                for (&j, &v) in r.idx.iter().zip(&r.val) {
                    want[j as usize * k + c] += v * d;
                }
                want[nf * k + c] += d;
            }
        }
        for j in 0..nf * k {
            want[j] += 0.7 * w[j];
            want_loss += 0.5 * 0.7 * w[j] * w[j];
        }
        assert!(
            (loss - want_loss).abs() < 1e-8 * want_loss.abs(),
            "{loss} vs {want_loss}"
        );
        for (j, (a, b)) in g.iter().zip(&want).enumerate() {
            assert!((a - b).abs() < 1e-9, "param {j}: {a} vs {b}");
        }
    }

    #[test]
    fn loss_at_zero_is_n_log_k() {
        let rows = vec![
            SparseVec {
                idx: vec![0],
                val: vec![1.0]
            };
            4
        ];
        let x = Csr::from_rows(&rows, 1);
        let y = [0, 1, 2, 0];
        let w = [1.0; 4];
        let mut p = Problem::new(&x, &y, &w, 3, 1.0);
        let (l, _) = p.eval(&Array1::zeros(6), false);
        assert!((l - 4.0 * 3f64.ln()).abs() < 1e-12);
    }

    #[test]
    fn balanced_weights_by_hand() {
        // n = 4, k = 2: class 0 has 3 → 4/(2·3); class 1 has 1 → 4/(2·1).
        assert_eq!(
            class_weights(&[0, 0, 0, 1], 2, ClassWeight::Balanced),
            vec![2.0 / 3.0, 2.0 / 3.0, 2.0 / 3.0, 2.0]
        );
    }

    #[test]
    fn rejects_one_class_and_bad_alpha() {
        let x = Csr::from_rows(&[SparseVec::default()], 1);
        let e = Classifier::fit(&x, &[0], vec!["favor".into()], &LogisticConfig::default());
        assert!(e.unwrap_err().to_string().contains("at least two classes"));
        let cfg = LogisticConfig {
            alpha: 0.0,
            ..LogisticConfig::default()
        };
        assert!(cfg.validate().is_err());
    }
}
