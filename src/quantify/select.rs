//! The share estimator chosen on the user's own labeled data, and its intervals calibrated
//! there: what `--estimator auto` (the default) uses.
//!
//! No estimator wins on every corpus (the real-use table in the README): corrections pay when a
//! group's label shares are far from the training shares and the classifier's error rates
//! transfer, and cost when they do not. So the model chooses at training time, from the
//! cross-validation it has already run and nothing else, by an inner version of the real-use
//! evaluation ([`super::realuse`]):
//!
//! - each fold's out-of-fold predictions play the new articles, and the error rates and
//!   recalibration come from the *other* folds' out-of-fold predictions only, so no example
//!   corrects its own prediction (the flaw of the old out-of-fold simulation);
//! - the groups are the fold's real groups (group field × actor, and actor, of at least
//!   [`MIN_GROUP`] examples) and APP samples drawn from the fold at every point of a grid over
//!   the simplex ([`SIZES`] articles each);
//! - each estimator's error is taken relative to counting's, on APP samples and on real groups
//!   (the mean of the two ratios when the folds hold at least [`MIN_REAL_GROUPS`] real groups);
//!   the lowest wins;
//! - the winner's intervals are then widened, `half' = √((w · half)² + τ²)`, with the
//!   smallest `(w, τ)` of a grid whose coverage of the true shares is at least the nominal level
//!   in every size class of the inner groups: `w` for intervals too narrow by a factor, `τ` for
//!   a bias that does not shrink with the group's size;
//! - the winner's mean error of the net score per size class is kept, as the expected error of
//!   a row of that size when no real-use evaluation of the model is given.
//!
//! All of it depends on the folds only, so `stance train` gives the same choice for the same
//! data and seed.

use super::estimate::{estimate_only, points, Shares};
use super::realuse::{draw_sample, mean_abs, simplex_grid};
use super::{Calibration, Estimator};
use crate::labels::LabelSet;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Sizes of the inner APP samples.
pub const SIZES: [usize; 3] = [10, 50, 200];
/// Smallest APP sample size that counts in the choice.
const CHOICE_SIZE: usize = 50;
/// How far below the level a single size class's coverage may fall, when the pooled coverage
/// reaches the level.
const CLASS_SLACK: f64 = 0.05;
/// Steps per unit share of the inner APP grid.
const GRID: usize = 10;
/// Smallest real group evaluated.
pub const MIN_GROUP: usize = 3;
/// Real groups needed before they count in the choice.
pub const MIN_REAL_GROUPS: usize = 10;
/// Bootstrap resamples of the inner intervals.
const BOOTSTRAP: usize = 50;
/// Candidate interval factors `w` and floors `τ` (the net's floor is twice the share's: its
/// range is twice as long).
const WIDEN: [f64; 7] = [1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0];
/// The largest floors matter where whole sources are held out (see [`Unseen`]): a classifier
/// near chance on an unseen outlet leaves shares known only to ±0.3 or worse, at any size.
const FLOORS: [f64; 15] = [
    0.0, 0.01, 0.02, 0.03, 0.04, 0.05, 0.07, 0.1, 0.13, 0.17, 0.22, 0.28, 0.35, 0.42, 0.5,
];

/// One estimator's inner errors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// The estimator.
    pub estimator: Estimator,
    /// Mean absolute error of the shares over the APP samples.
    pub app_mae: f64,
    /// The same over the real groups, when there were any.
    pub real_mae: Option<f64>,
    /// The criterion (error relative to counting's; lower is better).
    pub score: f64,
}

/// The expected error of the net score at one size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SizeError {
    /// Articles in the group.
    pub size: usize,
    /// Mean absolute error of the chosen estimator's net score on inner APP samples.
    pub net_mae: f64,
}

/// The estimator and interval widening chosen on the labeled data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    /// The chosen estimator.
    pub estimator: Estimator,
    /// Factor on the half-widths of its share intervals.
    pub widen: f64,
    /// Floor added in quadrature to the half-widths of its share intervals.
    pub floor: f64,
    /// Factor on the half-widths of its net intervals.
    pub net_widen: f64,
    /// Floor of its net intervals.
    pub net_floor: f64,
    /// Inner coverage of the widened share intervals (all inner groups).
    pub coverage: f64,
    /// Expected net error by size (inner APP samples).
    pub expected: Vec<SizeError>,
    /// Every candidate's inner errors.
    pub candidates: Vec<Candidate>,
    /// Inner groups evaluated: APP samples and real groups.
    pub app_groups: usize,
    /// Real groups among them.
    pub real_groups: usize,
    /// The widening for articles from sources the labeled data does not hold (absent when it
    /// names fewer than three sources, in models from before it, or when the folds already
    /// held out whole sources).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unseen: Option<Unseen>,
}

/// An interval widening: each half-width `h` becomes `√((w h)² + τ²)`, on the shares and on the
/// net score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Widening {
    /// `w` of the shares.
    pub widen: f64,
    /// `τ` of the shares.
    pub floor: f64,
    /// `w` of the net score.
    pub net_widen: f64,
    /// `τ` of the net score.
    pub net_floor: f64,
    /// Inner coverage of the widened share intervals.
    pub coverage: f64,
}

impl Widening {
    /// This widening moved toward `other` by `f` (0: this one, 1: `other`), each part linearly.
    pub fn toward(&self, other: &Widening, f: f64) -> Widening {
        let f = f.clamp(0.0, 1.0);
        let mix = |a: f64, b: f64| a + f * (b - a);
        Widening {
            widen: mix(self.widen, other.widen),
            floor: mix(self.floor, other.floor),
            net_widen: mix(self.net_widen, other.net_widen),
            net_floor: mix(self.net_floor, other.net_floor),
            coverage: mix(self.coverage, other.coverage),
        }
    }
}

/// The widening that holds for articles of an outlet the model never saw.
///
/// Folds of random articles put every outlet on both sides, so the error rates they measure
/// are those of outlets the model knows. Articles of a new outlet meet a shift in how the
/// labels are written (`p(text | label)`) that no such fold sees: measured on `data/` with
/// whole outlets held out, stance accuracy fell from about 0.6 to 0.3–0.5 and the widened
/// intervals covered 0.6–0.9 of the true shares. So training runs a second cross-validation
/// whose folds hold out whole sources and calibrates the same estimator's widening there;
/// a group is widened by the two, mixed in proportion to its articles from unseen sources.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unseen {
    /// The sources of the labeled articles (sorted).
    pub sources: Vec<String>,
    /// Folds of the source-held-out cross-validation.
    pub folds: usize,
    /// The widening calibrated on its folds.
    pub widening: Widening,
    /// The estimator's mean net error by size on its folds' APP samples.
    #[serde(default)]
    pub expected: Vec<SizeError>,
}

impl Choice {
    /// The widening fitted on folds of random articles.
    pub fn base(&self) -> Widening {
        Widening {
            widen: self.widen,
            floor: self.floor,
            net_widen: self.net_widen,
            net_floor: self.net_floor,
            coverage: self.coverage,
        }
    }

    /// The widening of a group whose share `unseen` of articles (0 to 1) comes from sources
    /// the labeled data does not hold: the base one and [`Unseen`]'s, mixed linearly.
    pub fn widening_for(&self, unseen: f64) -> Widening {
        let base = self.base();
        match &self.unseen {
            Some(u) => base.toward(&u.widening, unseen),
            None => base,
        }
    }

    /// The choice for error rates taken from `examples` labeled articles of the compared set
    /// pooled with the out-of-fold predictions counting as `own_weight` ([`super::pool`]). The
    /// rates then describe the compared articles, their outlets included, by the labeled share
    /// `examples / (examples + own_weight)`; so the widening of articles from outlets the
    /// training data lacks moves toward the base one by that share (labeled rates alone: the
    /// base widening everywhere; pooled with all out-of-fold examples: nearly unchanged).
    pub fn with_labeled_rates(&self, own_weight: f64, examples: usize) -> Choice {
        let mut out = self.clone();
        let labeled = examples as f64 / (examples as f64 + own_weight).max(1.0);
        let base = self.base();
        if let Some(u) = out.unseen.as_mut() {
            u.widening = u.widening.toward(&base, labeled);
        }
        out
    }

    /// Whether `source` is one the labeled data holds (always, when the model keeps no list).
    pub fn knows_source(&self, source: &str) -> bool {
        self.unseen.as_ref().is_none_or(|u| {
            u.sources
                .binary_search_by(|s| s.as_str().cmp(source))
                .is_ok()
        })
    }

    /// The estimate with its intervals widened (only when it is the chosen estimator's), for a
    /// group whose share `unseen` of articles comes from sources the labeled data does not hold.
    pub fn widened(&self, s: &Shares, unseen: f64) -> Shares {
        let mut out = s.clone();
        if s.estimator != self.estimator {
            return out;
        }
        let w = self.widening_for(unseen);
        for c in 0..s.share.len() {
            let (lo, hi) = widen(
                s.share[c],
                s.low[c],
                s.high[c],
                w.widen,
                w.floor,
                (0.0, 1.0),
            );
            out.low[c] = lo;
            out.high[c] = hi;
        }
        if let Some([m, lo, hi]) = s.net {
            let (lo, hi) = widen(m, lo, hi, w.net_widen, w.net_floor, (-1.0, 1.0));
            out.net = Some([m, lo, hi]);
        }
        out
    }

    /// The expected net error of a group of `n` articles (interpolated in log size between the
    /// inner sizes, the nearest one outside them).
    pub fn expected_net_error(&self, n: usize) -> Option<f64> {
        by_size(&self.expected, n)
    }

    /// [`Choice::expected_net_error`] of a group whose share `unseen` of articles comes from
    /// sources the labeled data lacks: `base` (the error expected of seen sources, this
    /// choice's own when `None`) mixed linearly with [`Unseen`]'s.
    pub fn expected_net_error_for(&self, n: usize, unseen: f64, base: Option<f64>) -> Option<f64> {
        let base = base.or_else(|| self.expected_net_error(n));
        let shifted = self.unseen.as_ref().and_then(|u| by_size(&u.expected, n));
        match (base, shifted) {
            (Some(b), Some(s)) => Some(b + unseen.clamp(0.0, 1.0) * (s - b)),
            (b, _) => b,
        }
    }
}

/// An error by size, interpolated in log size (the nearest size outside them).
pub(crate) fn by_size(errors: &[SizeError], n: usize) -> Option<f64> {
    let pts: Vec<(f64, f64)> = errors
        .iter()
        .map(|e| ((e.size as f64).ln(), e.net_mae))
        .collect();
    interpolate(&pts, (n.max(1) as f64).ln())
}

/// How `auto` chose, as a clause of a methods section.
pub fn method_note(c: &Choice) -> String {
    format!(
        "chosen by the model on its own labeled articles' held-out folds (error {:.2}× counting's), its intervals widened ×{} with a floor of {} (net ×{}, floor {}) until they covered {:.0}% of the true shares there",
        c.candidates
            .iter()
            .find(|k| k.estimator == c.estimator)
            .map_or(f64::NAN, |k| k.score),
        c.widen,
        c.floor,
        c.net_widen,
        c.net_floor,
        100.0 * c.coverage
    ) + &c.unseen.as_ref().map_or(String::new(), |u| {
        let w = &u.widening;
        format!(
            ", and, for articles of outlets the labeled articles do not include, ×{} with a floor of {} (net ×{}, floor {}), calibrated the same way on folds that held out whole outlets and mixed in proportion to a group's articles from such outlets",
            w.widen, w.floor, w.net_widen, w.net_floor
        )
    })
}

/// One line saying what was chosen and why (for `train`, `eval` and `simulate`).
pub fn summary(c: &Choice) -> String {
    let scores: Vec<String> = c
        .candidates
        .iter()
        .map(|k| format!("{} {:.2}", k.estimator.name(), k.score))
        .collect();
    format!(
        "auto estimator: {} (inner error ×cc over {} APP samples{}: {}); intervals widened ×{} with floor {} (net ×{}, floor {}): inner coverage {:.3}",
        c.estimator.name(),
        c.app_groups,
        if c.candidates.iter().any(|k| k.real_mae.is_some()) {
            format!(" and {} real groups", c.real_groups)
        } else {
            String::new()
        },
        scores.join(", "),
        c.widen,
        c.floor,
        c.net_widen,
        c.net_floor,
        c.coverage
    ) + &unseen_clause(c)
}

/// The summary's clause on the widening for unseen sources (empty without one).
fn unseen_clause(c: &Choice) -> String {
    c.unseen.as_ref().map_or(String::new(), |u| {
        let w = &u.widening;
        format!(
            "; for articles of sources the labeled data lacks (calibrated on {} folds that hold out whole sources of {}) ×{} with floor {} (net ×{}, floor {}): inner coverage {:.3}",
            u.folds,
            u.sources.len(),
            w.widen,
            w.floor,
            w.net_widen,
            w.net_floor,
            w.coverage
        )
    })
}

/// Piecewise-linear interpolation through `pts` (sorted by x), flat outside them.
pub(crate) fn interpolate(pts: &[(f64, f64)], x: f64) -> Option<f64> {
    let first = pts.first()?;
    let last = pts.last()?;
    if x <= first.0 {
        return Some(first.1);
    }
    if x >= last.0 {
        return Some(last.1);
    }
    pts.windows(2).find(|w| x <= w[1].0).map(|w| {
        let t = (x - w[0].0) / (w[1].0 - w[0].0);
        w[0].1 + t * (w[1].1 - w[0].1)
    })
}

/// `[lo, hi]` around `m` with each half-width `h` made `√((w h)² + τ²)`, clipped to `range`.
fn widen(m: f64, lo: f64, hi: f64, w: f64, tau: f64, range: (f64, f64)) -> (f64, f64) {
    let grow = |h: f64| ((w * h.max(0.0)).powi(2) + tau * tau).sqrt();
    (
        (m - grow(m - lo)).max(range.0),
        (m + grow(hi - m)).min(range.1),
    )
}

/// What the inner evaluation knows of each out-of-fold example.
#[derive(Debug, Clone)]
pub struct Inner<'a> {
    /// The out-of-fold predictions (scaled as the model scales).
    pub calibration: &'a Calibration,
    /// Each example's fold.
    pub folds: Vec<usize>,
    /// Each example's real groups (e.g. "source / actor" and "actor"); empty for none.
    pub groups: Vec<Vec<String>>,
    /// The stance labels.
    pub labels: &'a LabelSet,
    /// Interval level.
    pub level: f64,
    /// Seed of the draws.
    pub seed: u64,
}

/// One inner group: its fold, size class (`None` for a real group), rows and true shares.
struct Group {
    fold: usize,
    size: Option<usize>,
    rows: Vec<usize>,
    truth: Vec<f64>,
}

/// Each fold's error rates (measured on the other folds) and its inner groups.
struct Setup {
    rates: Vec<super::ErrorRates>,
    groups: Vec<Group>,
}

/// The folds' error rates and inner groups; `None` when there are fewer than two folds or a
/// fold's complement lacks a label.
fn setup(inner: &Inner<'_>) -> Option<Setup> {
    let cal = inner.calibration;
    let k = cal.classes.len();
    let fold_ids: Vec<usize> = {
        let mut f = inner.folds.clone();
        f.sort_unstable();
        f.dedup();
        f
    };
    if fold_ids.len() < 2 || k < 2 {
        return None;
    }
    let mut rates = Vec::new();
    let mut groups = Vec::new();
    for (fi, &fold) in fold_ids.iter().enumerate() {
        let (test, rest): (Vec<usize>, Vec<usize>) =
            (0..cal.len()).partition(|&i| inner.folds[i] == fold);
        let sub = cal.subset(&rest);
        if (0..k).any(|c| !sub.truth.contains(&(c as u32))) {
            return None;
        }
        let mut rng = ChaCha8Rng::seed_from_u64(inner.seed.wrapping_add(fi as u64));
        rates.push(sub.error_rates(BOOTSTRAP, &mut rng));
        for (size, rows) in inner_groups(inner, &test, k, &mut rng) {
            let mut truth = vec![0.0; k];
            for &i in &rows {
                truth[cal.truth[i] as usize] += 1.0 / rows.len() as f64;
            }
            groups.push(Group {
                fold: fi,
                size,
                rows,
                truth,
            });
        }
    }
    Some(Setup { rates, groups })
}

/// The probabilities of a group's rows.
fn probs_of<'a>(cal: &'a Calibration, g: &Group) -> Vec<&'a [f64]> {
    g.rows.iter().map(|&i| cal.probs(i)).collect()
}

/// The generator of inner group `gi`.
fn rng_of(seed: u64, gi: usize) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed ^ (gi as u64).wrapping_mul(0x9e37))
}

/// Chooses the estimator and its interval widening; `None` when there are fewer than two
/// folds or a fold's complement lacks a label.
pub fn choose(inner: &Inner<'_>) -> Option<Choice> {
    let cal = inner.calibration;
    let Setup { rates, groups } = setup(inner)?;
    // Every estimator's point estimate of every group, then the winner's intervals only.
    let points: Vec<Vec<(Estimator, Vec<f64>)>> = groups
        .par_iter()
        .enumerate()
        .map(|(gi, g)| {
            points(
                &probs_of(cal, g),
                &rates[g.fold].point,
                &mut rng_of(inner.seed, gi),
            )
        })
        .collect();
    // The choice weighs samples of at least 50 articles (below, every estimator's error is
    // mostly the sample's own noise); all sizes count for the intervals and expected errors.
    let counted = |g: &Group, real: bool| match g.size {
        Some(n) => !real && n >= CHOICE_SIZE,
        None => real,
    };
    let mae = |real: bool, e: Estimator| -> (f64, usize) {
        let (mut total, mut n) = (0.0, 0);
        for (g, p) in groups.iter().zip(&points) {
            if counted(g, real) {
                if let Some((_, s)) = p.iter().find(|(x, _)| *x == e) {
                    total += mean_abs(s, &g.truth);
                    n += 1;
                }
            }
        }
        (total / n.max(1) as f64, n)
    };
    let (cc_app, app_groups) = mae(false, Estimator::Cc);
    let (cc_real, real_groups) = mae(true, Estimator::Cc);
    let use_real = real_groups >= MIN_REAL_GROUPS;
    let ratio = |x: f64, base: f64| if base > 0.0 { x / base } else { x / 1e-9 };
    let candidates: Vec<Candidate> = Estimator::ALL
        .iter()
        .map(|&e| {
            let app_mae = mae(false, e).0;
            let real_mae = use_real.then(|| mae(true, e).0);
            let score = match real_mae {
                Some(r) => (ratio(app_mae, cc_app) + ratio(r, cc_real)) / 2.0,
                None => ratio(app_mae, cc_app),
            };
            Candidate {
                estimator: e,
                app_mae,
                real_mae,
                score,
            }
        })
        .collect();
    let best = candidates
        .iter()
        .min_by(|a, b| a.score.total_cmp(&b.score))?
        .estimator;
    let (w, expected) = fit_widening(inner, &Setup { rates, groups }, best, use_real);
    Some(Choice {
        estimator: best,
        widen: w.widen,
        floor: w.floor,
        net_widen: w.net_widen,
        net_floor: w.net_floor,
        coverage: w.coverage,
        expected,
        candidates,
        app_groups,
        real_groups,
        unseen: None,
    })
}

/// The widening of `estimator` calibrated on `inner`'s folds (for [`Unseen`]: folds that hold
/// out whole sources); `None` as for [`choose`].
pub fn unseen_widening(
    inner: &Inner<'_>,
    estimator: Estimator,
) -> Option<(Widening, Vec<SizeError>)> {
    let setup = setup(inner)?;
    let real = setup.groups.iter().filter(|g| g.size.is_none()).count();
    Some(fit_widening(
        inner,
        &setup,
        estimator,
        real >= MIN_REAL_GROUPS,
    ))
}

/// The narrowest widening of `best`'s intervals that covers the inner groups (the real ones
/// only when `use_real`), and its mean net error per APP size.
fn fit_widening(
    inner: &Inner<'_>,
    setup: &Setup,
    best: Estimator,
    use_real: bool,
) -> (Widening, Vec<SizeError>) {
    let cal = inner.calibration;
    let kept: Vec<&Group> = setup
        .groups
        .iter()
        .filter(|g| use_real || g.size.is_some())
        .collect();
    let shares: Vec<Shares> = kept
        .par_iter()
        .enumerate()
        .filter_map(|(gi, g)| {
            estimate_only(
                &probs_of(cal, g),
                Some(&setup.rates[g.fold]),
                inner.labels,
                BOOTSTRAP,
                inner.level,
                &mut rng_of(inner.seed, gi),
                Some(best),
            )
            .pop()
        })
        .collect();
    let chosen: Vec<(Option<usize>, &[f64], &Shares)> = kept
        .iter()
        .zip(&shares)
        .map(|(g, s)| (g.size, g.truth.as_slice(), s))
        .collect();
    let (widen_s, floor_s, coverage) = calibrate(&chosen, inner.level, 1.0, |s, t| {
        (0..t.len())
            .map(|c| Checked {
                point: s.share[c],
                low: s.low[c],
                high: s.high[c],
                truth: t[c],
            })
            .collect()
    });
    let (net_widen, net_floor, _) = calibrate(&chosen, inner.level, 2.0, |s, t| {
        match (s.net, inner.labels.signed(t)) {
            (Some([point, low, high]), Some(truth)) => vec![Checked {
                point,
                low,
                high,
                truth,
            }],
            _ => Vec::new(),
        }
    });
    let expected = SIZES
        .iter()
        .map(|&n| {
            let errs: Vec<f64> = chosen
                .iter()
                .filter(|(size, _, _)| *size == Some(n))
                .filter_map(|(_, t, s)| Some((s.net?[0] - inner.labels.signed(t)?).abs()))
                .collect();
            SizeError {
                size: n,
                net_mae: errs.iter().sum::<f64>() / errs.len().max(1) as f64,
            }
        })
        .collect();
    let widening = Widening {
        widen: widen_s,
        floor: floor_s,
        net_widen,
        net_floor,
        coverage,
    };
    (widening, expected)
}

/// One interval of an inner estimate, beside the true value.
#[derive(Debug, Clone, Copy)]
struct Checked {
    point: f64,
    low: f64,
    high: f64,
    truth: f64,
}

/// The smallest `(w, τ)` (by mean width) whose coverage is at least `level` over all the
/// groups and at least `level − CLASS_SLACK` in every size class (the largest pair when none
/// reaches it), with its pooled coverage. `parts` gives
/// each interval of an estimate; `scale` multiplies the floors.
fn calibrate<F>(
    chosen: &[(Option<usize>, &[f64], &Shares)],
    level: f64,
    scale: f64,
    parts: F,
) -> (f64, f64, f64)
where
    F: Fn(&Shares, &[f64]) -> Vec<Checked>,
{
    let range = if scale > 1.0 { (-1.0, 1.0) } else { (0.0, 1.0) };
    let mut classes: BTreeMap<Option<usize>, Vec<Checked>> = BTreeMap::new();
    for (size, t, s) in chosen {
        classes.entry(*size).or_default().extend(parts(s, t));
    }
    let judge = |w: f64, tau: f64| -> (bool, f64, f64) {
        let (mut covered, mut total, mut width) = (0.0, 0.0, 0.0);
        let mut every = true;
        for ivs in classes.values() {
            let mut c = 0.0;
            for iv in ivs {
                let (lo, hi) = widen(iv.point, iv.low, iv.high, w, tau, range);
                let inside = (lo - 1e-9..=hi + 1e-9).contains(&iv.truth);
                c += inside as u8 as f64;
                width += hi - lo;
            }
            every &= ivs.is_empty() || c / ivs.len() as f64 >= level - CLASS_SLACK;
            covered += c;
            total += ivs.len() as f64;
        }
        let pooled = covered / total.max(1.0);
        (every && pooled >= level, pooled, width / total.max(1.0))
    };
    let mut best: Option<(f64, f64, f64, f64)> = None;
    for &w in &WIDEN {
        for &f in &FLOORS {
            let tau = f * scale;
            let (ok, cov, width) = judge(w, tau);
            if ok && best.is_none_or(|b| width < b.3) {
                best = Some((w, tau, cov, width));
            }
        }
    }
    let (w, tau) = best.map_or(
        (WIDEN[WIDEN.len() - 1], FLOORS[FLOORS.len() - 1] * scale),
        |b| (b.0, b.1),
    );
    (w, tau, judge(w, tau).1)
}

/// The inner groups of one fold's examples `test`: real groups (size `None`), then APP samples.
fn inner_groups(
    inner: &Inner<'_>,
    test: &[usize],
    k: usize,
    rng: &mut ChaCha8Rng,
) -> Vec<(Option<usize>, Vec<usize>)> {
    let cal = inner.calibration;
    let mut real: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for &i in test {
        for g in &inner.groups[i] {
            real.entry(g.as_str()).or_default().push(i);
        }
    }
    let mut out: Vec<(Option<usize>, Vec<usize>)> = real
        .into_values()
        .filter(|r| r.len() >= MIN_GROUP)
        .map(|r| (None, r))
        .collect();
    let mut by_label: Vec<Vec<usize>> = vec![Vec::new(); k];
    for &i in test {
        by_label[cal.truth[i] as usize].push(i);
    }
    for &n in &SIZES {
        for p in simplex_grid(k, GRID) {
            if let Some((rows, _)) = draw_sample(&by_label, &p, n, rng) {
                out.push((Some(n), rows));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widening_by_hand() {
        // Half-widths 0.1 below and 0.2 above 0.5; w = 2, τ = 0.15:
        // √(0.2² + 0.15²) = 0.25 below, √(0.4² + 0.15²) ≈ 0.4272 above → [0.25, 0.9272].
        let (lo, hi) = widen(0.5, 0.4, 0.7, 2.0, 0.15, (0.0, 1.0));
        assert!((lo - 0.25).abs() < 1e-12);
        assert!((hi - (0.5 + 0.1825f64.sqrt())).abs() < 1e-12);
        // Clipped to the range; w = 1, τ = 0 leaves the interval as it was.
        let close = |a: (f64, f64), b: (f64, f64)| (a.0 - b.0).abs() < 1e-12 && a.1 == b.1;
        assert!(close(
            widen(0.9, 0.8, 0.95, 4.0, 0.0, (0.0, 1.0)),
            (0.5, 1.0)
        ));
        assert!(close(
            widen(0.3, 0.2, 0.5, 1.0, 0.0, (0.0, 1.0)),
            (0.2, 0.5)
        ));
    }

    /// A choice of CC with the base widening (1, 0.1; net 1, 0.2) and, when `unseen`, the
    /// widening (3, 0.3; net 2, 0.4) for the sources outside "A" and "B".
    fn cc_choice(unseen: bool) -> Choice {
        Choice {
            estimator: Estimator::Cc,
            widen: 1.0,
            floor: 0.1,
            net_widen: 1.0,
            net_floor: 0.2,
            coverage: 0.95,
            expected: Vec::new(),
            candidates: Vec::new(),
            app_groups: 0,
            real_groups: 0,
            unseen: unseen.then(|| Unseen {
                sources: vec!["A".into(), "B".into()],
                folds: 2,
                widening: Widening {
                    widen: 3.0,
                    floor: 0.3,
                    net_widen: 2.0,
                    net_floor: 0.4,
                    coverage: 0.9,
                },
                expected: vec![SizeError {
                    size: 10,
                    net_mae: 0.6,
                }],
            }),
        }
    }

    #[test]
    fn unseen_sources_widen_in_proportion() {
        let c = cc_choice(true);
        assert!(c.knows_source("A") && c.knows_source("B"));
        assert!(!c.knows_source("C") && !c.knows_source(""));
        // Half the articles unseen: every term halfway between the two widenings.
        let w = c.widening_for(0.5);
        assert_eq!((w.widen, w.floor, w.net_widen), (2.0, 0.2, 1.5));
        assert!((w.net_floor - 0.3).abs() < 1e-12);
        assert_eq!(c.widening_for(0.0), c.base());
        assert_eq!(c.widening_for(7.0).widen, 3.0);
        // All unseen, share 0.5 in [0.4, 0.6]: √((3 · 0.1)² + 0.3²) = √0.18 each side.
        let s = one_share();
        let out = c.widened(&s, 1.0);
        let h = 0.18f64.sqrt();
        assert!((out.low[0] - (0.5 - h)).abs() < 1e-12);
        assert!((out.high[0] - (0.5 + h)).abs() < 1e-12);
        // All seen: √(0.1² + 0.1²) = √0.02.
        let out = c.widened(&s, 0.0);
        assert!((out.high[0] - (0.5 + 0.02f64.sqrt())).abs() < 1e-12);
        // A model without the list knows every source and widens by its base pair alone.
        let old = cc_choice(false);
        assert!(old.knows_source("C"));
        assert_eq!(old.widened(&s, 1.0), c.widened(&s, 0.0));
        // Expected errors: the base (here given as 0.2) and the unseen one (0.6) mixed.
        assert_eq!(c.expected_net_error_for(10, 0.0, Some(0.2)), Some(0.2));
        assert!((c.expected_net_error_for(40, 0.25, Some(0.2)).unwrap() - 0.3).abs() < 1e-12);
        assert_eq!(old.expected_net_error_for(10, 1.0, Some(0.2)), Some(0.2));
        assert_eq!(old.expected_net_error_for(10, 1.0, None), None);
    }

    #[test]
    fn interpolation_in_log_size() {
        let pts = [(10f64.ln(), 0.4), (100f64.ln(), 0.2)];
        assert_eq!(interpolate(&pts, 5f64.ln()), Some(0.4));
        assert_eq!(interpolate(&pts, 1000f64.ln()), Some(0.2));
        // √10 · 10 ≈ 31.6 is halfway in log size.
        let mid = interpolate(&pts, (1000f64.sqrt()).ln()).unwrap();
        assert!((mid - 0.3).abs() < 1e-12);
        assert_eq!(interpolate(&[], 1.0), None);
    }

    /// The interval of the first share, beside the first true share.
    fn first_share(s: &Shares, t: &[f64]) -> Vec<Checked> {
        vec![Checked {
            point: s.share[0],
            low: s.low[0],
            high: s.high[0],
            truth: t[0],
        }]
    }

    /// One share 0.5 with the interval [0.4, 0.6].
    fn one_share() -> Shares {
        Shares {
            estimator: Estimator::Cc,
            share: vec![0.5],
            low: vec![0.4],
            high: vec![0.6],
            net: None,
            at_edge: false,
            unexplained: false,
        }
    }

    #[test]
    fn calibration_allows_one_class_a_little_below_the_level() {
        // Twenty intervals of half-width 0.1 on a class of size 10, one missing the truth by
        // 0.12 (class coverage 0.95 at w = 1, τ = 0 would need 19/20 ≥ 0.95: met); a class of
        // size 50 with 9 of 10 covered (0.90 = 0.95 − 0.05) and the pool 28/30 < 0.95: not
        // met at (1, 0); the narrowest pair that covers the pooled level is chosen instead.
        let s = one_share();
        let mut cases: Vec<(Option<usize>, [f64; 1])> = vec![(Some(10), [0.5]); 19];
        cases.push((Some(10), [0.62]));
        cases.extend(vec![(Some(50), [0.5]); 9]);
        cases.push((Some(50), [0.62]));
        let chosen: Vec<(Option<usize>, &[f64], &Shares)> =
            cases.iter().map(|(n, t)| (*n, t.as_slice(), &s)).collect();
        let (w, tau, cov) = calibrate(&chosen, 0.95, 1.0, first_share);
        assert_eq!((w, tau), (1.0, 0.07));
        assert_eq!(cov, 1.0);
        // At level 0.9 the pool (28/30 ≈ 0.933) and the classes (0.95, 0.90 ≥ 0.85) pass as
        // they are.
        let (w, tau, cov) = calibrate(&chosen, 0.9, 1.0, first_share);
        assert_eq!((w, tau), (1.0, 0.0));
        assert!((cov - 28.0 / 30.0).abs() < 1e-12);
    }

    #[test]
    fn calibration_picks_the_narrowest_pair_that_covers() {
        // Intervals of half-width 0.1 around points that miss the truth by 0.12 in one of
        // four cases: w = 1.25 (half-width 0.125) covers all four and is the narrowest.
        let s = one_share();
        let truths = [[0.5], [0.55], [0.62], [0.45]];
        let chosen: Vec<(Option<usize>, &[f64], &Shares)> = truths
            .iter()
            .map(|t| (Some(10), t.as_slice(), &s))
            .collect();
        let (w, tau, cov) = calibrate(&chosen, 0.95, 1.0, first_share);
        // (1.0, 0.07): √(0.1² + 0.07²) ≈ 0.122 also covers 0.12, and is narrower than 0.125.
        assert_eq!((w, tau), (1.0, 0.07));
        assert_eq!(cov, 1.0);
        // With the truth 0.5 away, only a floor of about 0.5 covers: w = 1 needs
        // √(0.1² + τ²) ≥ 0.5, so τ = 0.5 (0.42 gives 0.43); every covering pair is clipped to
        // [0, 1], and the first of equal width is kept.
        let far = [[1.0]];
        let chosen: Vec<(Option<usize>, &[f64], &Shares)> =
            far.iter().map(|t| (Some(10), t.as_slice(), &s)).collect();
        let (w, tau, cov) = calibrate(&chosen, 0.95, 1.0, first_share);
        assert_eq!((w, tau), (1.0, 0.5));
        assert_eq!(cov, 1.0);
        // A point at 0 with no width cannot reach a truth of 1 (at most 0.5 away): nothing
        // covers, and the widest pair is returned.
        let mut zero = one_share();
        zero.share = vec![0.0];
        zero.low = vec![0.0];
        zero.high = vec![0.0];
        let chosen: Vec<(Option<usize>, &[f64], &Shares)> = far
            .iter()
            .map(|t| (Some(10), t.as_slice(), &zero))
            .collect();
        let (w, tau, cov) = calibrate(&chosen, 0.95, 1.0, first_share);
        assert_eq!((w, tau), (4.0, 0.5));
        assert_eq!(cov, 0.0);
    }
}
