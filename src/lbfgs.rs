//! L-BFGS with the Moré–Thuente line search over preallocated buffers.
//!
//! Hand-written on purpose: argmin's `LBFGS` and `MoreThuenteLineSearch` (which the fit used
//! before) take and return owned parameter vectors, so every vector operation of the two-loop
//! recursion and of the line search allocates a new vector, and the executor clones the
//! parameters and the gradient for each line search. With character n-grams the parameters
//! run to millions of numbers: those fresh allocations (page faults, a third of the time as
//! system time) and copies were most of the solver's cost, and argmin has no in-place API.
//!
//! This is the same algorithm step for step, with the same arithmetic in the same order
//! (argmin 0.11's `LBFGS` with memory `m`, its `MoreThuenteLineSearch` with its defaults, and
//! its executor's stopping and best-point rules), so a fit reaches bit-for-bit the weights
//! argmin reached. `cstep` is a port of argmin's (Apache-2.0 OR MIT), itself a port of
//! MINPACK-2's `dcstep`. After the first `m` iterations nothing is allocated.

use ndarray::ArrayView1;

/// A function to minimise: the value at `x`, with the gradient written into `grad`.
pub trait Objective {
    /// The value at `x`; writes the gradient at `x` into `grad` (same length as `x`).
    fn eval(&mut self, x: &[f64], grad: &mut [f64]) -> f64;
}

/// Solver settings.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// How many correction pairs are kept.
    pub memory: usize,
    /// Stop when the gradient's L2 norm is below this.
    pub tol_grad: f64,
    /// Stop when the loss changes by less than this between iterations.
    pub tol_cost: f64,
    /// Most iterations.
    pub max_iters: u64,
}

/// Why the solver stopped.
#[derive(Debug, Clone, PartialEq)]
pub enum Stop {
    /// The gradient or cost tolerance was met.
    Converged,
    /// The iteration limit was reached.
    MaxIters,
    /// The line search could not go on (the message says why).
    LineSearch(String),
}

impl Stop {
    /// argmin's words for the same reasons.
    pub fn text(&self) -> String {
        match self {
            Stop::Converged => "Solver converged".into(),
            Stop::MaxIters => "Maximum number of iterations reached".into(),
            Stop::LineSearch(why) => format!("Line search terminated with: '{why}'"),
        }
    }
}

/// The result of a minimisation.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The point with the lowest value seen.
    pub best: Vec<f64>,
    /// Its value.
    pub best_cost: f64,
    /// Iterations run.
    pub iterations: u64,
    /// Why it stopped.
    pub stop: Stop,
}

/// The dot product as argmin computed it (ndarray's unrolled sum), so results are identical.
fn dot(a: &[f64], b: &[f64]) -> f64 {
    ArrayView1::from(a).dot(&ArrayView1::from(b))
}

/// The L2 norm as argmin computed it (a plain running sum of squares).
fn l2_norm(a: &[f64]) -> f64 {
    a.iter().map(|v| v.powi(2)).sum::<f64>().sqrt()
}

/// Correction pairs `s = x_{k+1} - x_k`, `y = g_{k+1} - g_k`, oldest first, in a ring whose
/// vectors are reused once it is full.
struct Memory {
    s: Vec<Vec<f64>>,
    y: Vec<Vec<f64>>,
    /// Index of the oldest pair.
    start: usize,
    len: usize,
    cap: usize,
}

impl Memory {
    fn new(cap: usize) -> Memory {
        Memory {
            s: Vec::with_capacity(cap),
            y: Vec::with_capacity(cap),
            start: 0,
            len: 0,
            cap,
        }
    }

    /// The slot of the `i`-th oldest pair.
    fn slot(&self, i: usize) -> usize {
        (self.start + i) % self.cap
    }

    /// Stores a new pair, dropping the oldest when full; `fill` writes `s` and `y`.
    fn push(&mut self, n: usize, fill: impl FnOnce(&mut [f64], &mut [f64])) {
        let at = if self.len < self.cap {
            if self.s.len() < self.cap {
                self.s.push(vec![0.0; n]);
                self.y.push(vec![0.0; n]);
            }
            self.len += 1;
            self.slot(self.len - 1)
        } else {
            let at = self.start;
            self.start = (self.start + 1) % self.cap;
            at
        };
        fill(&mut self.s[at], &mut self.y[at]);
    }

    /// `d = -H g`: the two-loop recursion, in place in `d`.
    fn direction(&self, g: &[f64], d: &mut [f64], alpha: &mut [f64], rho: &mut [f64]) {
        d.copy_from_slice(g);
        let gamma = if self.len > 0 {
            let last = self.slot(self.len - 1);
            dot(&self.s[last], &self.y[last]) / dot(&self.y[last], &self.y[last])
        } else {
            1.0
        };
        for i in (0..self.len).rev() {
            let (sk, yk) = (&self.s[self.slot(i)], &self.y[self.slot(i)]);
            let rho_t = 1.0 / dot(yk, sk);
            let alpha_t = dot(sk, d) * rho_t;
            for (q, y) in d.iter_mut().zip(yk) {
                *q -= y * alpha_t;
            }
            rho[i] = rho_t;
            alpha[i] = alpha_t;
        }
        for q in d.iter_mut() {
            *q *= gamma;
        }
        for i in 0..self.len {
            let (sk, yk) = (&self.s[self.slot(i)], &self.y[self.slot(i)]);
            let beta = dot(yk, d) * rho[i];
            let c = alpha[i] - beta;
            for (r, s) in d.iter_mut().zip(sk) {
                *r += s * c;
            }
        }
        for r in d.iter_mut() {
            *r *= -1.0;
        }
    }
}

/// Minimises `f` from `x0`.
pub fn minimize(f: &mut impl Objective, x0: Vec<f64>, cfg: &Settings) -> Outcome {
    let n = x0.len();
    let mut x = x0;
    let mut g = vec![0.0; n];
    let mut cost = f.eval(&x, &mut g);
    let mut prev_cost = f64::INFINITY;
    let mut best = x.clone();
    let mut best_cost = cost;
    let mut memory = Memory::new(cfg.memory.max(1));
    let (mut alpha, mut rho) = (vec![0.0; cfg.memory.max(1)], vec![0.0; cfg.memory.max(1)]);
    let mut d = vec![0.0; n];
    let mut xt = vec![0.0; n];
    let mut gt = vec![0.0; n];
    let mut iterations = 0u64;
    let stop = loop {
        if l2_norm(&g) < cfg.tol_grad || (prev_cost - cost).abs() < cfg.tol_cost {
            break Stop::Converged;
        }
        if iterations >= cfg.max_iters {
            break Stop::MaxIters;
        }
        memory.direction(&g, &mut d, &mut alpha, &mut rho);
        let search = LineSearch {
            x: &x,
            d: &d,
            cost,
            g: &g,
        };
        iterations += 1;
        let next = match search.run(f, &mut xt, &mut gt) {
            Ok(c) => c,
            Err(why) => break Stop::LineSearch(why),
        };
        memory.push(n, |s, y| {
            for (((s, y), (a, b)), (ga, gb)) in s
                .iter_mut()
                .zip(y.iter_mut())
                .zip(xt.iter().zip(&x))
                .zip(gt.iter().zip(&g))
            {
                *s = a - b;
                *y = ga - gb;
            }
        });
        std::mem::swap(&mut x, &mut xt);
        std::mem::swap(&mut g, &mut gt);
        prev_cost = cost;
        cost = next;
        if cost < best_cost {
            best.copy_from_slice(&x);
            best_cost = cost;
        }
    };
    Outcome {
        best,
        best_cost,
        iterations,
        stop,
    }
}

/// One Moré–Thuente line search from `x` along `d`.
struct LineSearch<'a> {
    x: &'a [f64],
    d: &'a [f64],
    cost: f64,
    g: &'a [f64],
}

/// A trial step with its value and directional derivative.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Step {
    x: f64,
    fx: f64,
    gx: f64,
}

impl Step {
    fn new(x: f64, fx: f64, gx: f64) -> Step {
        Step { x, fx, gx }
    }
}

/// argmin's defaults for the line search.
const FTOL: f64 = 1e-4;
const GTOL: f64 = 0.9;
const XTRAPF: f64 = 4.0;
const XTOL: f64 = 1e-10;

impl LineSearch<'_> {
    /// Finds a step; leaves the new point in `xt` and its gradient in `gt`, returns its value.
    fn run(&self, f: &mut impl Objective, xt: &mut [f64], gt: &mut [f64]) -> Result<f64, String> {
        let stpmin = f64::EPSILON.sqrt();
        let stpmax = f64::INFINITY;
        let finit = self.cost;
        let dginit = dot(self.g, self.d);
        if dginit >= 0.0 {
            return Err(
                "Condition violated: \"`MoreThuenteLineSearch`: Search direction must be a descent direction.\""
                    .into(),
            );
        }
        let mut stage1 = true;
        let mut brackt = false;
        let dgtest = FTOL * dginit;
        let mut width = stpmax - stpmin;
        let mut width1 = 2.0 * width;
        let mut stp = Step::new(1.0, f64::NAN, f64::NAN);
        let mut stx = Step::new(0.0, finit, dginit);
        let mut sty = Step::new(0.0, finit, dginit);
        let mut infoc = 1usize;
        loop {
            let (stmin, stmax) = if brackt {
                (stx.x.min(sty.x), stx.x.max(sty.x))
            } else {
                (stx.x, stp.x + XTRAPF * (stp.x - stx.x))
            };
            stp.x = stp.x.max(stpmin).min(stpmax);
            if (brackt && (stp.x <= stmin || stp.x >= stmax || (stmax - stmin) <= XTOL * stmax))
                || infoc == 0
            {
                stp.x = stx.x;
            }
            for ((t, x), d) in xt.iter_mut().zip(self.x).zip(self.d) {
                *t = x + stp.x * d;
            }
            let fval = f.eval(xt, gt);
            let dg = dot(self.d, gt);
            let ftest1 = finit + stp.x * dgtest;
            let done = ((brackt && (stp.x <= stmin || stp.x >= stmax)) || infoc == 0)
                || ((stp.x - stpmax).abs() < f64::EPSILON && fval <= ftest1 && dg <= dgtest)
                || ((stp.x - stpmin).abs() < f64::EPSILON && (fval > ftest1 || dg >= dgtest))
                || (brackt && stmax - stmin <= XTOL * stmax)
                || (fval <= ftest1 && dg.abs() <= GTOL * (-dginit));
            if done {
                return Ok(fval);
            }
            if stage1 && fval <= ftest1 && dg >= FTOL.min(GTOL) * dginit {
                stage1 = false;
            }
            let next = if stage1 && fval <= stp.fx && fval > ftest1 {
                // The modified function (value minus the sufficient-decrease line).
                let (x1, y1, p1, b1, i1) = cstep(
                    Step::new(stx.x, stx.fx - stx.x * dgtest, stx.gx - dgtest),
                    Step::new(sty.x, sty.fx - sty.x * dgtest, sty.gx - dgtest),
                    Step::new(stp.x, fval - stp.x * dgtest, dg - dgtest),
                    brackt,
                    stmin,
                    stmax,
                )?;
                stx.x = x1.x;
                sty.x = y1.x;
                stx.fx += x1.x * dgtest;
                sty.fx += y1.x * dgtest;
                stx.gx += dgtest;
                sty.gx += dgtest;
                (p1, b1, i1)
            } else {
                let (x1, y1, p1, b1, i1) =
                    cstep(stx, sty, Step::new(stp.x, fval, dg), brackt, stmin, stmax)?;
                stx = x1;
                sty = y1;
                (p1, b1, i1)
            };
            (stp, brackt, infoc) = next;
            if brackt {
                if (sty.x - stx.x).abs() >= 0.66 * width1 {
                    stp.x = stx.x + 0.5 * (sty.x - stx.x);
                }
                width1 = width;
                width = (sty.x - stx.x).abs();
            }
        }
    }
}

/// `cstep`'s result: the new interval ends, the new step, whether the minimum is bracketed,
/// and the case taken (0 when the inputs were rejected and nothing changed).
type Cstep = (Step, Step, Step, bool, usize);

const NAN_INF: &str =
    "Condition violated: \"MoreThuenteLineSearch: NaN or Inf encountered during iteration\"";

/// `s · sqrt((θ/s)² - (a/s)(b/s))` with `s` the largest of θ, a, b (argmin's scaling).
fn gamma_of(theta: f64, a: f64, b: f64, clamp: bool) -> Result<f64, String> {
    let tmp = [theta, a, b];
    if tmp.iter().any(|n| n.is_nan() || n.is_infinite()) {
        return Err(NAN_INF.into());
    }
    let s = tmp.iter().cloned().fold(f64::NEG_INFINITY, |m, v| {
        if v.partial_cmp(&m) == Some(std::cmp::Ordering::Less) {
            m
        } else {
            v
        }
    });
    let inner = (theta / s).powi(2) - (a / s) * (b / s);
    Ok(s * if clamp { 0.0f64.max(inner) } else { inner }.sqrt())
}

/// One safeguarded step of Moré–Thuente: a new trial step from the interval `stx`–`sty` and
/// the current step `stp` (argmin's `cstep`, which follows MINPACK-2's `dcstep`).
fn cstep(
    stx: Step,
    sty: Step,
    stp: Step,
    brackt: bool,
    stpmin: f64,
    stpmax: f64,
) -> Result<Cstep, String> {
    let mut brackt = brackt;
    if (brackt && (stp.x <= stx.x.min(sty.x) || stp.x >= stx.x.max(sty.x)))
        || stx.gx * (stp.x - stx.x) >= 0.0
        || stpmax < stpmin
    {
        return Ok((stx, sty, stp, brackt, 0));
    }
    let sgnd = stp.gx * (stx.gx / stx.gx.abs());
    let (info, bound, mut stpf);
    if stp.fx > stx.fx {
        // A higher value: the minimum is bracketed.
        info = 1;
        bound = true;
        let theta = 3.0 * (stx.fx - stp.fx) / (stp.x - stx.x) + stx.gx + stp.gx;
        let mut gamma = gamma_of(theta, stx.gx, stp.gx, false)?;
        if stp.x < stx.x {
            gamma = -gamma;
        }
        let p = (gamma - stx.gx) + theta;
        let q = ((gamma - stx.gx) + gamma) + stp.gx;
        let stpc = stx.x + p / q * (stp.x - stx.x);
        let stpq = stx.x
            + ((stx.gx / ((stx.fx - stp.fx) / (stp.x - stx.x) + stx.gx)) / 2.0) * (stp.x - stx.x);
        stpf = if (stpc - stx.x).abs() < (stpq - stx.x).abs() {
            stpc
        } else {
            stpc + (stpq - stpc) / 2.0
        };
        brackt = true;
    } else if sgnd < 0.0 {
        // Derivatives of opposite sign: the minimum is bracketed.
        info = 2;
        bound = false;
        let theta = 3.0 * (stx.fx - stp.fx) / (stp.x - stx.x) + stx.gx + stp.gx;
        let mut gamma = gamma_of(theta, stx.gx, stp.gx, false)?;
        if stp.x > stx.x {
            gamma = -gamma;
        }
        let p = (gamma - stp.gx) + theta;
        let q = ((gamma - stp.gx) + gamma) + stx.gx;
        let stpc = stp.x + p / q * (stx.x - stp.x);
        let stpq = stp.x + (stp.gx / (stp.gx - stx.gx)) * (stx.x - stp.x);
        stpf = if (stpc - stp.x).abs() > (stpq - stp.x).abs() {
            stpc
        } else {
            stpq
        };
        brackt = true;
    } else if stp.gx.abs() < stx.gx.abs() {
        // Same sign, the derivative's magnitude decreasing.
        info = 3;
        bound = true;
        let theta = 3.0 * (stx.fx - stp.fx) / (stp.x - stx.x) + stx.gx + stp.gx;
        let mut gamma = gamma_of(theta, stx.gx, stp.gx, true)?;
        if stp.x > stx.x {
            gamma = -gamma;
        }
        let p = (gamma - stp.gx) + theta;
        let q = (gamma + (stx.gx - stp.gx)) + gamma;
        let r = p / q;
        let stpc = if r < 0.0 && gamma != 0.0 {
            stp.x + r * (stx.x - stp.x)
        } else if stp.x > stx.x {
            stpmax
        } else {
            stpmin
        };
        let stpq = stp.x + (stp.gx / (stp.gx - stx.gx)) * (stx.x - stp.x);
        let c_closer = (stp.x - stpc).abs() < (stp.x - stpq).abs();
        let c_farther = (stp.x - stpc).abs() > (stp.x - stpq).abs();
        stpf = if (brackt && c_closer) || (!brackt && c_farther) {
            stpc
        } else {
            stpq
        };
    } else {
        // Same sign, the derivative's magnitude not decreasing.
        info = 4;
        bound = false;
        stpf = if brackt {
            let theta = 3.0 * (stp.fx - sty.fx) / (sty.x - stp.x) + sty.gx + stp.gx;
            let mut gamma = gamma_of(theta, sty.gx, stp.gx, false)?;
            if stp.x > sty.x {
                gamma = -gamma;
            }
            let p = (gamma - stp.gx) + theta;
            let q = ((gamma - stp.gx) + gamma) + sty.gx;
            stp.x + p / q * (sty.x - stp.x)
        } else if stp.x > stx.x {
            stpmax
        } else {
            stpmin
        };
    }
    let (mut stx_o, mut sty_o, mut stp_o) = (stx, sty, stp);
    if stp_o.fx > stx_o.fx {
        sty_o = stp_o;
    } else {
        if sgnd < 0.0 {
            sty_o = stx_o;
        }
        stx_o = stp_o;
    }
    stpf = stpmax.min(stpf);
    stpf = stpmin.max(stpf);
    stp_o.x = stpf;
    if brackt && bound {
        let edge = stx_o.x + 0.66 * (sty_o.x - stx_o.x);
        stp_o.x = if sty_o.x > stx_o.x {
            stp_o.x.min(edge)
        } else {
            stp_o.x.max(edge)
        };
    }
    Ok((stx_o, sty_o, stp_o, brackt, info))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Σ c_i (x_i - i)²`: the minimum is at `x_i = i` with value 0.
    struct Quadratic(Vec<f64>);

    impl Objective for Quadratic {
        fn eval(&mut self, x: &[f64], grad: &mut [f64]) -> f64 {
            let mut f = 0.0;
            for (i, ((x, g), c)) in x.iter().zip(grad.iter_mut()).zip(&self.0).enumerate() {
                let e = x - i as f64;
                f += c * e * e;
                *g = 2.0 * c * e;
            }
            f
        }
    }

    /// Rosenbrock's function, minimum 0 at (1, 1).
    struct Rosenbrock;

    impl Objective for Rosenbrock {
        fn eval(&mut self, x: &[f64], g: &mut [f64]) -> f64 {
            let (a, b) = (x[0], x[1]);
            g[0] = -2.0 * (1.0 - a) - 400.0 * a * (b - a * a);
            g[1] = 200.0 * (b - a * a);
            (1.0 - a).powi(2) + 100.0 * (b - a * a).powi(2)
        }
    }

    fn settings(max_iters: u64) -> Settings {
        Settings {
            memory: 3,
            tol_grad: 1e-8,
            tol_cost: f64::EPSILON,
            max_iters,
        }
    }

    #[test]
    fn finds_the_minimum_of_a_scaled_quadratic() {
        let mut f = Quadratic(vec![1.0, 10.0, 0.5, 3.0, 7.0]);
        let out = minimize(&mut f, vec![0.0; 5], &settings(100));
        assert_eq!(out.stop, Stop::Converged);
        for (i, v) in out.best.iter().enumerate() {
            assert!((v - i as f64).abs() < 1e-8, "x[{i}] = {v}");
        }
        assert!(out.best_cost < 1e-15);
        // More pairs than the memory holds: the ring wrapped.
        assert!(out.iterations > 3, "{} iterations", out.iterations);
    }

    #[test]
    fn finds_rosenbrocks_minimum_through_many_line_search_steps() {
        let out = minimize(&mut Rosenbrock, vec![-1.2, 1.0], &settings(200));
        assert_eq!(out.stop, Stop::Converged);
        assert!((out.best[0] - 1.0).abs() < 1e-6 && (out.best[1] - 1.0).abs() < 1e-6);
    }

    #[test]
    fn stops_at_the_iteration_limit_with_the_best_point() {
        let out = minimize(&mut Rosenbrock, vec![-1.2, 1.0], &settings(2));
        assert_eq!(out.stop, Stop::MaxIters);
        assert_eq!(out.iterations, 2);
        let mut g = [0.0; 2];
        assert_eq!(Rosenbrock.eval(&out.best, &mut g), out.best_cost);
        assert!(
            out.best_cost < 24.2,
            "from 24.2 at the start: {}",
            out.best_cost
        );
    }

    #[test]
    fn at_the_minimum_already_it_stops_without_iterating() {
        let mut f = Quadratic(vec![1.0, 2.0]);
        let out = minimize(&mut f, vec![0.0, 1.0], &settings(10));
        assert_eq!(
            (out.stop, out.iterations, out.best_cost),
            (Stop::Converged, 0, 0.0)
        );
    }
}
