//! The real-use evaluation of the share estimators: the test a user's own comparison meets.
//!
//! The labeled data is split into a labeled part and a part that plays the new articles
//! (random articles, or whole groups of a field such as the outlet or the month, so that the
//! new articles come from outlets or months the model never saw). The full training procedure
//! of `stance train` runs on the labeled part alone (its cross-validation, hence its error
//! rates and recalibration); the new part is scored by the trained model as `stance score`
//! scores; and groups of the new part, whose true shares are known, are estimated by every
//! estimator:
//!
//! - **real** groups: each (group field, actor) and each actor of the new part, by size;
//! - **APP** samples (artificial prevalence protocol, as in QuaPy): for each sample size, one
//!   sample at every point of a grid over the simplex of label shares, drawn with replacement
//!   from the new part's examples of each label;
//! - **UPP** samples (uniform prevalence protocol): shares drawn uniformly from the simplex.
//!
//! Reported per protocol, size and estimator: mean absolute error of the shares (MAE), relative
//! absolute error smoothed as QuaPy smooths it (each share `p` replaced by
//! `(p + ε) / (1 + kε)` with `ε = 1 / (2n)`), the bias of the net score, and the coverage and
//! mean width of the intervals. MLPE (the training shares, whatever the group) and CC are the
//! baselines.

use super::estimate::estimate;
use super::{Estimator, Shares};
use crate::error::{Error, Result};
use crate::evaluate::evaluate_model;
use crate::labels::{LabelSet, Task};
use crate::pipeline::{CvOptions, StanceModel, TrainConfig, TrainingSet};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use std::collections::BTreeMap;

mod report;
pub use report::{GroupDetail, Kind, RatePair, Report, Row, SplitInfo, LARGEST, REAL_SIZES};

/// Settings of a real-use evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct RealUse {
    /// How many times the data is split (each split trains a model).
    pub splits: usize,
    /// The share of articles that play the new articles.
    pub new_share: f64,
    /// Hold out whole groups of this field (`source`, `month`, `date` or any field) rather than
    /// random articles.
    pub split_by: Option<String>,
    /// The field whose values, crossed with the actor, make the real groups.
    pub group_by: String,
    /// Smallest real group evaluated.
    pub min_group: usize,
    /// Sample sizes of the APP and UPP protocols.
    pub sizes: Vec<usize>,
    /// Steps of the APP grid per unit share (10: shares 0, 0.1, …, 1).
    pub grid: usize,
    /// UPP samples per size and split.
    pub upp: usize,
    /// Bootstrap resamples per interval.
    pub bootstrap: usize,
    /// Interval level.
    pub level: f64,
    /// Seed of the splits and draws.
    pub seed: u64,
    /// Score the new articles for estimation with the cross-validation fold models (each
    /// article by one fold model, chosen by its id) rather than the final model, so that the
    /// probabilities are those of the models the error rates describe.
    pub crossfit: bool,
    /// Label this many of the new articles' examples (drawn at random, as a user would label a
    /// sample of what they compare) and take the corrected estimators' error rates and
    /// recalibration from them instead of the model's out-of-fold predictions; they leave the
    /// groups. 0: the model's own rates.
    pub label_new: usize,
    /// With [`RealUse::label_new`]: what the model's out-of-fold examples still count for
    /// beside the labeled ones ([`super::pool`]).
    pub own_weight: super::pool::OwnWeight,
    /// Label about this many of the new articles' examples (whole articles drawn at random
    /// until the count is reached) and add them to the labeled part before training, instead
    /// of using them for the rates ([`RealUse::label_new`]): the other way to spend labels.
    pub retrain_new: usize,
}

impl Default for RealUse {
    fn default() -> Self {
        RealUse {
            splits: 3,
            new_share: 0.4,
            split_by: None,
            group_by: "source".into(),
            min_group: 3,
            sizes: vec![10, 50, 100, 200, 400, 1000],
            grid: 10,
            upp: 50,
            bootstrap: 200,
            level: 0.95,
            seed: 42,
            crossfit: false,
            label_new: 0,
            own_weight: super::pool::OwnWeight::Auto,
            retrain_new: 0,
        }
    }
}

/// One group to estimate: its rows (indices into the scored new part), its true shares, its
/// protocol and size class.
struct Group {
    /// A real group's name: "value / actor", or the actor alone.
    name: Option<String>,
    kind: Kind,
    size: usize,
    rows: Vec<usize>,
    truth: Vec<f64>,
}

/// The new part, scored: per stance example, the model's probabilities and the true label.
struct Scored {
    probs: Vec<Vec<f64>>,
    truth: Vec<usize>,
    /// Per example: (group field value, actor).
    keys: Vec<(String, String)>,
    /// Per example: whether its source is one the model's labeled articles lack.
    unseen: Vec<bool>,
}

impl Scored {
    /// Draws `n` examples at random and removes them, returning them as calibration examples
    /// (their scored probabilities and true labels; the labels are `like`'s).
    fn take_labeled(
        &mut self,
        n: usize,
        like: &super::Calibration,
        rng: &mut ChaCha8Rng,
    ) -> Result<super::Calibration> {
        let m = self.truth.len();
        if n >= m {
            return Err(Error::Config(format!(
                "--label-new {n}: the new articles have only {m} examples; at least one must remain to estimate"
            )));
        }
        let mut order: Vec<usize> = (0..m).collect();
        order.shuffle(rng);
        let mut take = vec![false; m];
        for &i in &order[..n] {
            take[i] = true;
        }
        let cal = super::Calibration {
            classes: like.classes.clone(),
            truth: (0..m)
                .filter(|&i| take[i])
                .map(|i| self.truth[i] as u32)
                .collect(),
            probabilities: (0..m)
                .filter(|&i| take[i])
                .flat_map(|i| self.probs[i].iter().copied())
                .collect(),
            weights: Vec::new(),
        };
        retain_untaken(&mut self.probs, &take);
        retain_untaken(&mut self.truth, &take);
        retain_untaken(&mut self.keys, &take);
        retain_untaken(&mut self.unseen, &take);
        Ok(cal)
    }
}

/// Keeps the elements of `v` whose `taken` flag is false.
fn retain_untaken<T>(v: &mut Vec<T>, taken: &[bool]) {
    let mut i = 0;
    v.retain(|_| {
        i += 1;
        !taken[i - 1]
    });
}

/// Where the new articles come from.
#[derive(Debug, Clone, Copy)]
pub enum Data<'a> {
    /// One labeled set, split [`RealUse::splits`] times into a labeled part and new articles.
    Split(&'a TrainingSet),
    /// A labeled set to train on and another that plays the new articles (one split).
    Given {
        /// Trained on.
        labeled: &'a TrainingSet,
        /// Scored and estimated.
        new: &'a TrainingSet,
    },
}

/// Per (protocol, size, estimator slot): sums, where slot 0 is MLPE and 1.. the estimators.
type Table = BTreeMap<(Kind, usize, usize), Sums>;

/// Runs the evaluation on `data` with the training settings `cfg` and `cv`, as `stance
/// train` takes them.
pub fn evaluate(
    data: Data<'_>,
    cfg: &TrainConfig,
    cv: &CvOptions,
    opts: &RealUse,
) -> Result<Report> {
    if !(0.05..=0.95).contains(&opts.new_share) {
        return Err(Error::Config(format!(
            "the share of new articles must be between 0.05 and 0.95, not {}",
            opts.new_share
        )));
    }
    let (first, new_part) = match data {
        Data::Split(set) => (set, set),
        Data::Given { labeled, new } => (labeled, new),
    };
    new_part.check_field("--by", Some(&opts.group_by))?;
    if let Some(field) = &opts.split_by {
        first.check_field("--split-by", Some(field))?;
        let values: std::collections::BTreeSet<String> = (0..first.articles.len())
            .map(|i| first.group_of(i, Some(field)))
            .collect();
        if values.len() < 2 {
            return Err(Error::Config(format!(
                "--split-by \"{field}\": the labeled articles have {} value{} of it, so no whole group can be held out",
                values.len(),
                if values.len() == 1 { "" } else { "s" }
            )));
        }
    }
    let mut splits = Vec::new();
    let mut table = Table::new();
    let (labels, data_hash) = match data {
        Data::Split(set) => {
            for s in 0..opts.splits {
                let mut rng = ChaCha8Rng::seed_from_u64(opts.seed.wrapping_add(s as u64));
                let (labeled, new) = split(set, opts, &mut rng);
                let (train, test) = (set.subset(&labeled), set.subset(&new));
                splits.push(one_split(
                    &train, &test, cfg, cv, opts, &mut rng, &mut table,
                )?);
            }
            (set.stance_classes.clone(), set.hash())
        }
        Data::Given { labeled, new } => {
            let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
            splits.push(one_split(
                labeled, new, cfg, cv, opts, &mut rng, &mut table,
            )?);
            (labeled.stance_classes.clone(), labeled.hash())
        }
    };
    let rows = table
        .into_iter()
        .map(|((kind, size, slot), s)| s.row(kind, size, slot))
        .collect();
    Ok(Report {
        labels,
        data_hash: Some(data_hash),
        splits,
        rows,
    })
}

/// Trains on `train`, scores `test`, estimates its groups and adds the outcomes to `table`.
fn one_split(
    train: &TrainingSet,
    test: &TrainingSet,
    cfg: &TrainConfig,
    cv: &CvOptions,
    opts: &RealUse,
    rng: &mut ChaCha8Rng,
    table: &mut Table,
) -> Result<SplitInfo> {
    let moved;
    let (train, test) = match opts.retrain_new {
        0 => (train, test),
        n => {
            moved = move_labeled(train, test, n, rng)?;
            (&moved.0, &moved.1)
        }
    };
    let (model, folds) = StanceModel::train_with_cv(train, cfg, cv)?;
    let mut scored = score(&model, test, &opts.group_by)?;
    if opts.crossfit {
        let k = folds.fold_models.len();
        let by_fold: Vec<Scored> = folds
            .fold_models
            .into_iter()
            .map(|f| score(&model.of_fold(f), test, &opts.group_by))
            .collect::<Result<_>>()?;
        for (i, e) in test.examples.iter().enumerate() {
            let j = fold_of_id(&test.articles[e.article].article.id, k);
            scored.probs[i] = by_fold[j].probs[i].clone();
        }
    }
    let own = model.info.calibration.as_ref().ok_or_else(|| {
        Error::Training("cross-validation left no out-of-fold predictions".into())
    })?;
    let labeled_new = match opts.label_new {
        0 => None,
        n => Some(scored.take_labeled(n, own, rng)?),
    };
    let pooled = labeled_new
        .as_ref()
        .map(|l| super::pool::pool(own, l, opts.own_weight));
    let cal = pooled.as_ref().map_or(own, |p| &p.calibration);
    let rates = cal.error_rates(opts.bootstrap, rng);
    // `auto` as `compare --labeled` uses it: the unseen-outlet widening moved toward the base.
    let choice = model
        .info
        .quantify
        .as_ref()
        .map(|c| match (&pooled, &labeled_new) {
            (Some(p), Some(l)) => c.with_labeled_rates(p.own_weight, l.len()),
            _ => c.clone(),
        });
    let counts = train.label_counts(Task::Stance);
    let total: usize = counts.iter().sum();
    let mlpe: Vec<f64> = counts
        .iter()
        .map(|&c| c as f64 / total.max(1) as f64)
        .collect();
    let correct = (0..scored.truth.len())
        .filter(|&i| crate::model::argmax(&scored.probs[i]) == scored.truth[i])
        .count();
    let k = model.stance.classes().len();
    let groups = groups(&scored, k, opts, rng);
    let labels = &model.stance.labels;
    let seed = rng.gen::<u64>();
    let results: Vec<(Vec<Outcome>, Vec<Shares>)> = groups
        .par_iter()
        .enumerate()
        .map(|(gi, g)| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed ^ (gi as u64).wrapping_mul(0x9e37));
            let rows: Vec<&[f64]> = g.rows.iter().map(|&i| scored.probs[i].as_slice()).collect();
            let est = estimate(
                &rows,
                Some(&rates),
                labels,
                opts.bootstrap,
                opts.level,
                &mut rng,
            );
            let n = g.rows.len();
            let mut out = vec![Outcome::of_point(&mlpe, &g.truth, labels, n)];
            out.extend(est.iter().map(|e| Outcome::of(e, &g.truth, labels, n)));
            // `auto`: the model's own choice, as `stance compare` uses it.
            let unseen = g.rows.iter().filter(|&&i| scored.unseen[i]).count() as f64;
            let unseen = unseen / n.max(1) as f64;
            let auto = auto_of(choice.as_ref(), &est, unseen);
            out.extend(auto.iter().map(|e| Outcome::of(e, &g.truth, labels, n)));
            let mut est = est;
            est.extend(auto);
            (out, est)
        })
        .collect();
    let mut largest: Vec<GroupDetail> = groups
        .iter()
        .zip(&results)
        .filter_map(|(g, (_, est))| {
            Some(GroupDetail {
                name: g.name.clone()?,
                articles: g.rows.len(),
                truth: g.truth.clone(),
                truth_net: labels.signed(&g.truth),
                estimates: est.clone(),
            })
        })
        .collect();
    largest.sort_by(|a, b| b.articles.cmp(&a.articles).then(a.name.cmp(&b.name)));
    largest.truncate(LARGEST);
    for (g, (outcomes, _)) in groups.iter().zip(results) {
        for (slot, o) in outcomes.into_iter().enumerate() {
            table
                .entry((g.kind, g.size, slot))
                .or_default()
                .add(&o, g.rows.len());
        }
    }
    Ok(SplitInfo {
        choice: model.info.quantify.clone(),
        labeled: train.articles.len(),
        new: test.articles.len(),
        new_examples: scored.truth.len(),
        accuracy: correct as f64 / scored.truth.len().max(1) as f64,
        reliability: crate::metrics::reliability(
            &scored.probs,
            &scored.truth,
            crate::evaluate::RELIABILITY_BINS,
        ),
        training_shares: mlpe,
        largest,
        rates: RatePair {
            hard: rates.point.hard.clone(),
            soft: rates.point.soft.clone(),
        },
        labeled_shift: labeled_new
            .as_ref()
            .map(|c| super::shift::homogeneity(own, c)),
        own_weight: pooled.as_ref().map(|p| p.own_weight),
        new_rates: {
            let r = super::Calibration {
                classes: model.stance.classes().to_vec(),
                truth: scored.truth.iter().map(|&t| t as u32).collect(),
                probabilities: scored.probs.concat(),
                weights: Vec::new(),
            }
            .rates(&(0..scored.truth.len()).collect::<Vec<_>>());
            RatePair {
                hard: r.hard,
                soft: r.soft,
            }
        },
    })
}

/// The estimate `auto` gives: the chosen estimator's, widened (BayesianCC's when the model
/// chose none).
fn auto_of(choice: Option<&super::select::Choice>, est: &[Shares], unseen: f64) -> Option<Shares> {
    let e = choice.map_or(Estimator::Bcc, |c| c.estimator);
    let s = est.iter().find(|s| s.estimator == e)?;
    let mut auto = choice.map_or_else(|| s.clone(), |c| c.widened(s, unseen));
    auto.estimator = Estimator::Auto;
    Some(auto)
}

/// The fold model that scores an article: a hash of its id (FNV-1a), modulo the folds.
pub fn fold_of_id(id: &str, folds: usize) -> usize {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in id.bytes() {
        h = (h ^ b as u64).wrapping_mul(0x100000001b3);
    }
    (h % folds.max(1) as u64) as usize
}

/// Article indices of the labeled part and of the new part.
fn split(set: &TrainingSet, opts: &RealUse, rng: &mut ChaCha8Rng) -> (Vec<usize>, Vec<usize>) {
    let n = set.articles.len();
    let want = (opts.new_share * n as f64).round() as usize;
    let mut new = vec![false; n];
    match &opts.split_by {
        None => {
            let mut order: Vec<usize> = (0..n).collect();
            order.shuffle(rng);
            for &i in &order[..want] {
                new[i] = true;
            }
        }
        Some(field) => {
            let mut by: BTreeMap<String, Vec<usize>> = BTreeMap::new();
            for i in 0..n {
                by.entry(set.group_of(i, Some(field))).or_default().push(i);
            }
            let mut groups: Vec<Vec<usize>> = by.into_values().collect();
            groups.shuffle(rng);
            let mut taken = 0;
            // Whole groups until the share is reached, always leaving one group to train on.
            for g in &groups[..groups.len().saturating_sub(1)] {
                if taken >= want {
                    break;
                }
                for &i in g {
                    new[i] = true;
                }
                taken += g.len();
            }
        }
    }
    (
        (0..n).filter(|&i| !new[i]).collect(),
        (0..n).filter(|&i| new[i]).collect(),
    )
}

/// `train` with whole articles of `test`, drawn at random until they hold at least `n` stance
/// examples, added to it; and the rest of `test`.
fn move_labeled(
    train: &TrainingSet,
    test: &TrainingSet,
    n: usize,
    rng: &mut ChaCha8Rng,
) -> Result<(TrainingSet, TrainingSet)> {
    let mut per_article = vec![0usize; test.articles.len()];
    for e in &test.examples {
        per_article[e.article] += 1;
    }
    let mut order: Vec<usize> = (0..test.articles.len()).collect();
    order.shuffle(rng);
    let (mut taken, mut count) = (Vec::new(), 0);
    for &a in &order {
        if count >= n {
            break;
        }
        count += per_article[a];
        taken.push(a);
    }
    if count >= test.examples.len() {
        return Err(Error::Config(format!(
            "--retrain-new {n}: the new articles have only {} examples; at least one must remain to estimate",
            test.examples.len()
        )));
    }
    taken.sort_unstable();
    let rest: Vec<usize> = (0..test.articles.len())
        .filter(|a| taken.binary_search(a).is_err())
        .collect();
    Ok((train.concat(&test.subset(&taken)), test.subset(&rest)))
}

/// Calibration examples from labeled articles of the set being compared: each example scored
/// by `model` as `stance score` scores it, with its true label. Error rates and recalibration
/// taken from these describe the compared articles themselves, where the model's out-of-fold
/// predictions describe its training articles ([`RealUse::label_new`] measures what that buys).
pub fn labeled_calibration(model: &StanceModel, set: &TrainingSet) -> Result<super::Calibration> {
    let scored = score(model, set, "source")?;
    if scored.truth.is_empty() {
        return Err(Error::Config(
            "the labeled articles have no stance labels the model can use".into(),
        ));
    }
    Ok(super::Calibration {
        classes: model.stance.classes().to_vec(),
        truth: scored.truth.iter().map(|&t| t as u32).collect(),
        probabilities: scored.probs.concat(),
        weights: Vec::new(),
    })
}

/// Scores the new part with the model, as `stance score` does.
fn score(model: &StanceModel, test: &TrainingSet, group_by: &str) -> Result<Scored> {
    let (_, preds) = evaluate_model(model, test)?;
    let classes = model.stance.classes();
    let mut out = Scored {
        probs: Vec::new(),
        truth: Vec::new(),
        keys: Vec::new(),
        unseen: Vec::new(),
    };
    let choice = model.info.quantify.as_ref();
    let stance = preds.iter().filter(|p| p.task == Task::Stance);
    for (e, p) in test.examples.iter().zip(stance) {
        out.probs
            .push(classes.iter().map(|c| p.probabilities[c]).collect());
        let Some(t) = classes.iter().position(|c| *c == p.truth) else {
            return Err(Error::Config(format!(
                "the new articles have the stance label \"{}\", which the labeled articles never have (the model knows {})",
                p.truth,
                classes.join(", ")
            )));
        };
        out.truth.push(t);
        out.keys
            .push((test.group_of(e.article, Some(group_by)), e.actor.clone()));
        let source = test.group_of(e.article, Some("source"));
        out.unseen
            .push(choice.is_some_and(|c| !c.knows_source(&source)));
    }
    Ok(out)
}

/// The groups of one split: the real ones, then APP and UPP samples.
fn groups(s: &Scored, k: usize, opts: &RealUse, rng: &mut ChaCha8Rng) -> Vec<Group> {
    let shares_of = |rows: &[usize]| -> Vec<f64> {
        let mut v = vec![0.0; k];
        for &i in rows {
            v[s.truth[i]] += 1.0 / rows.len() as f64;
        }
        v
    };
    let mut out = Vec::new();
    let mut real: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    // "\u{0}" sorts the all-articles groups first and cannot be a field's value.
    for (i, (g, actor)) in s.keys.iter().enumerate() {
        // Records without the field would make each actor's group twice.
        if !g.is_empty() {
            real.entry((g.clone(), actor.clone())).or_default().push(i);
        }
        real.entry(("\u{0}all".into(), actor.clone()))
            .or_default()
            .push(i);
    }
    // "\u{0}" sorts the all-articles groups first and cannot be a field's value.
    for ((g, actor), rows) in real.into_iter().filter(|(_, r)| r.len() >= opts.min_group) {
        let size = *REAL_SIZES
            .iter()
            .rev()
            .find(|&&b| rows.len() >= b)
            .unwrap_or(&1);
        out.push(Group {
            name: Some(if g.starts_with('\u{0}') {
                actor
            } else {
                format!("{g} / {actor}")
            }),
            kind: Kind::Real,
            size,
            truth: shares_of(&rows),
            rows,
        });
    }
    let mut by_label: Vec<Vec<usize>> = vec![Vec::new(); k];
    for (i, &t) in s.truth.iter().enumerate() {
        by_label[t].push(i);
    }
    let grid = simplex_grid(k, opts.grid);
    for &n in &opts.sizes {
        let mut draw = |shares: &[f64], kind: Kind, rng: &mut ChaCha8Rng| {
            let Some((rows, counts)) = draw_sample(&by_label, shares, n, rng) else {
                return;
            };
            out.push(Group {
                name: None,
                kind,
                size: n,
                truth: counts.iter().map(|&c| c as f64 / n as f64).collect(),
                rows,
            });
        };
        for p in &grid {
            draw(p, Kind::App, rng);
        }
        for _ in 0..opts.upp {
            let p = super::bayes::dirichlet(&vec![1.0; k], rng);
            draw(&p, Kind::Upp, rng);
        }
    }
    out
}

/// A sample of `n` examples at `shares` (whole counts by largest remainders), drawn with
/// replacement from each label's examples `by_label`, with its counts per label; None when a
/// label it needs has no examples.
pub(crate) fn draw_sample(
    by_label: &[Vec<usize>],
    shares: &[f64],
    n: usize,
    rng: &mut ChaCha8Rng,
) -> Option<(Vec<usize>, Vec<usize>)> {
    let counts = super::apportion(shares, n);
    if counts
        .iter()
        .zip(by_label)
        .any(|(&c, pool)| c > 0 && pool.is_empty())
    {
        return None;
    }
    let mut rows = Vec::with_capacity(n);
    for (c, &m) in counts.iter().enumerate() {
        for _ in 0..m {
            rows.push(by_label[c][rng.gen_range(0..by_label[c].len())]);
        }
    }
    Some((rows, counts))
}

/// Every point of the simplex of `k` shares in steps of `1 / steps`.
pub fn simplex_grid(k: usize, steps: usize) -> Vec<Vec<f64>> {
    fn rec(k: usize, left: usize, steps: usize, cur: &mut Vec<usize>, out: &mut Vec<Vec<f64>>) {
        if cur.len() + 1 == k {
            cur.push(left);
            out.push(cur.iter().map(|&c| c as f64 / steps as f64).collect());
            cur.pop();
            return;
        }
        for c in 0..=left {
            cur.push(c);
            rec(k, left - c, steps, cur, out);
            cur.pop();
        }
    }
    let mut out = Vec::new();
    if k > 0 {
        rec(k, steps, steps, &mut Vec::new(), &mut out);
    }
    out
}

/// One estimate against the truth.
struct Outcome {
    abs: f64,
    /// |estimated net − true net|, when the labels have a net score.
    net_abs: Option<f64>,
    rel: f64,
    net: Option<f64>,
    interval: Option<(f64, f64)>,
    flagged: bool,
    unexplained: bool,
}

impl Outcome {
    fn of_point(share: &[f64], truth: &[f64], labels: &LabelSet, n: usize) -> Outcome {
        let net = labels
            .signed(share)
            .zip(labels.signed(truth))
            .map(|(a, b)| a - b);
        Outcome {
            abs: mean_abs(share, truth),
            net_abs: net.map(f64::abs),
            rel: rae_eps(share, truth, 0.5 / n.max(1) as f64),
            net,
            interval: None,
            flagged: false,
            unexplained: false,
        }
    }

    fn of(e: &Shares, truth: &[f64], labels: &LabelSet, n: usize) -> Outcome {
        let k = truth.len() as f64;
        let covered = truth
            .iter()
            .enumerate()
            .filter(|&(c, &t)| e.low[c] <= t + 1e-9 && t <= e.high[c] + 1e-9)
            .count() as f64
            / k;
        let width = (0..truth.len()).map(|c| e.high[c] - e.low[c]).sum::<f64>() / k;
        Outcome {
            interval: Some((covered, width)),
            flagged: e.at_edge,
            unexplained: e.unexplained,
            ..Outcome::of_point(&e.share, truth, labels, n)
        }
    }
}

pub(crate) fn mean_abs(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f64>() / a.len().max(1) as f64
}

/// Relative absolute error of shares smoothed by `eps` (QuaPy's `rae`; it takes
/// `ε = 1 / (2n)` for a group of `n`).
pub fn rae_eps(est: &[f64], truth: &[f64], eps: f64) -> f64 {
    let k = truth.len() as f64;
    let smooth = |x: f64| (x + eps) / (1.0 + k * eps);
    est.iter()
        .zip(truth)
        .map(|(&e, &t)| (smooth(e) - smooth(t)).abs() / smooth(t))
        .sum::<f64>()
        / k
}

#[derive(Default)]
struct Sums {
    n: usize,
    size: f64,
    abs: f64,
    rel: f64,
    net: f64,
    net_abs: f64,
    nets: usize,
    covered: f64,
    width: f64,
    intervals: usize,
    flagged: usize,
    unexplained: usize,
    covered_explained: f64,
}

impl Sums {
    fn add(&mut self, o: &Outcome, size: usize) {
        self.n += 1;
        self.size += size as f64;
        self.abs += o.abs;
        self.rel += o.rel;
        if let (Some(x), Some(a)) = (o.net, o.net_abs) {
            self.net += x;
            self.net_abs += a;
            self.nets += 1;
        }
        if let Some((c, w)) = o.interval {
            self.covered += c;
            self.width += w;
            self.intervals += 1;
            if !o.unexplained {
                self.covered_explained += c;
            }
        }
        self.flagged += o.flagged as usize;
        self.unexplained += o.unexplained as usize;
    }

    fn row(&self, kind: Kind, size: usize, slot: usize) -> Row {
        let n = self.n.max(1) as f64;
        let iv = self.intervals.max(1) as f64;
        Row {
            kind,
            size,
            estimator: slot.checked_sub(1).map(|i| Estimator::REPORTED[i]),
            groups: self.n,
            mean_size: self.size / n,
            mae: self.abs / n,
            rae: self.rel / n,
            bias: (self.nets > 0).then(|| self.net / self.nets as f64),
            net_mae: (self.nets > 0).then(|| self.net_abs / self.nets as f64),
            coverage: (self.intervals > 0).then(|| self.covered / iv),
            width: (self.intervals > 0).then(|| self.width / iv),
            flagged: (self.intervals > 0).then(|| self.flagged as f64 / iv),
            unexplained: (self.intervals > 0).then(|| self.unexplained as f64 / iv),
            coverage_explained: (self.intervals > self.unexplained)
                .then(|| self.covered_explained / (self.intervals - self.unexplained) as f64),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grid_covers_the_simplex() {
        // Three labels in steps of 1/10: C(12, 2) = 66 points, each summing to 1.
        let g = simplex_grid(3, 10);
        assert_eq!(g.len(), 66);
        assert!(g
            .iter()
            .all(|p| (p.iter().sum::<f64>() - 1.0).abs() < 1e-12));
        assert!(g.contains(&vec![1.0, 0.0, 0.0]) && g.contains(&vec![0.0, 0.3, 0.7]));
        assert_eq!(simplex_grid(2, 4).len(), 5);
    }

    #[test]
    fn relative_error_by_hand() {
        // ε = 0.5 on two labels: smooth(x) = (x + 0.5) / 2. Truth (1, 0) → (0.75, 0.25);
        // estimate (0.5, 0.5) → (0.5, 0.5): |0.25| / 0.75 and |0.25| / 0.25 → mean (1/3 + 1) / 2.
        let r = rae_eps(&[0.5, 0.5], &[1.0, 0.0], 0.5);
        assert!((r - 2.0 / 3.0).abs() < 1e-12, "{r}");
    }
}
