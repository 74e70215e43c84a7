//! What the comparison keeps of the scored articles, per group and actor, as they stream in:
//! each article's probabilities and score while the group is small (up to
//! [`CompareOptions::exact_limit`] articles; the estimators then see exactly what they saw when
//! every article was held), and beyond that a summary: the articles pooled into bins of nearly
//! equal probabilities ([`RESOLUTION`] steps per unit of each probability, one bin per
//! predicted label), each with its count and the sums of its probabilities and scores.
//! Memory is then bounded by the bins, whatever the number of articles: at most
//! `(RESOLUTION + 1)^(k−1)` per group and actor for `k` labels, far fewer in practice.

use super::{field_of, CompareOptions, GroupBy};
use crate::model::argmax;
use crate::pipeline::ArticleScore;
use crate::quantify::binned::Bins;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

/// Steps per unit of probability of the bins of a large group: bins are 0.01 wide in each
/// label's probability.
pub const RESOLUTION: f64 = 100.0;

/// One bin: its articles' count and sums.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Bin {
    pub(super) count: u64,
    pub(super) sum: Vec<f64>,
    pub(super) score_sum: f64,
}

impl Bin {
    /// Adds the articles of `other`.
    pub(super) fn add(&mut self, other: &Bin) {
        self.count += other.count;
        self.score_sum += other.score_sum;
        for (s, t) in self.sum.iter_mut().zip(&other.sum) {
            *s += t;
        }
    }
}

/// A group's articles, one by one or as bins.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Store {
    /// Each article's probabilities (`k` per article, in the order of the labels) and score.
    Rows {
        probs: Vec<f64>,
        scores: Vec<Option<f64>>,
    },
    /// Bins keyed by each label's probability in steps of `1/RESOLUTION` and, last, the
    /// predicted label.
    Bins(BTreeMap<Vec<u16>, Bin>),
}

/// One group and actor.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub(super) n: usize,
    pub(super) scored: usize,
    /// Articles from sources the model's labeled articles lack.
    pub(super) unseen: usize,
    pub(super) k: usize,
    pub(super) store: Store,
}

/// What a group holds for the estimators: its rows, or its bins.
pub enum Held<'a> {
    /// Every article: its probabilities and its score.
    Rows(Vec<&'a [f64]>, Vec<Option<f64>>),
    /// The bins, and each bin's mean score when every article has a score.
    Bins(Bins, Option<Vec<f64>>),
}

pub(super) fn key(p: &[f64]) -> Vec<u16> {
    let mut k: Vec<u16> = p
        .iter()
        .map(|&x| (x.clamp(0.0, 1.0) * RESOLUTION).round() as u16)
        .collect();
    k.push(argmax(p) as u16);
    k
}

impl Group {
    fn new(k: usize) -> Group {
        Group {
            n: 0,
            scored: 0,
            unseen: 0,
            k,
            store: Store::Rows {
                probs: Vec::new(),
                scores: Vec::new(),
            },
        }
    }

    /// The number of articles.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Whether the group is held as bins.
    pub fn is_binned(&self) -> bool {
        matches!(self.store, Store::Bins(_))
    }

    /// Whether every article has a score.
    pub fn all_scored(&self) -> bool {
        self.scored == self.n
    }

    /// The share of its articles from sources the model's labeled articles lack.
    pub fn unseen_share(&self) -> f64 {
        self.unseen as f64 / self.n.max(1) as f64
    }

    fn add(&mut self, p: &[f64], score: Option<f64>, limit: usize, unseen: bool) {
        self.n += 1;
        self.unseen += usize::from(unseen);
        self.scored += usize::from(score.is_some());
        match &mut self.store {
            Store::Rows { probs, scores } => {
                probs.extend_from_slice(p);
                scores.push(score);
                if scores.len() > limit {
                    self.switch_to_bins();
                }
            }
            Store::Bins(bins) => add_bin(bins, p, score),
        }
    }

    /// Pools the group's articles into bins.
    pub(super) fn switch_to_bins(&mut self) {
        if let Cow::Owned(bins) = self.bins() {
            self.store = Store::Bins(bins);
        }
    }

    /// Adds the articles of `other` (the same group and actor, the same labels; read after
    /// this group's); the result is held as bins when either was or when there are more than
    /// `limit` articles.
    pub fn merge(&mut self, mut other: Group, limit: usize) {
        self.n += other.n;
        self.scored += other.scored;
        self.unseen += other.unseen;
        match (&mut self.store, &mut other.store) {
            (
                Store::Rows { probs, scores },
                Store::Rows {
                    probs: p2,
                    scores: s2,
                },
            ) => {
                probs.append(p2);
                scores.append(s2);
                if scores.len() > limit {
                    self.switch_to_bins();
                }
            }
            _ => {
                self.switch_to_bins();
                other.switch_to_bins();
                let (Store::Bins(a), Store::Bins(b)) = (&mut self.store, other.store) else {
                    unreachable!("both binned above")
                };
                for (key, bin) in b {
                    match a.get_mut(&key) {
                        Some(x) => x.add(&bin),
                        None => {
                            a.insert(key, bin);
                        }
                    }
                }
            }
        }
    }

    /// A label inserted at position `at` (a probability of 0 for every article so far).
    fn insert_label(&mut self, at: usize) {
        let k = self.k;
        self.k += 1;
        match &mut self.store {
            Store::Rows { probs, .. } => {
                let mut out = Vec::with_capacity(probs.len() / k.max(1) * (k + 1));
                for p in probs.chunks(k.max(1)) {
                    out.extend_from_slice(&p[..at]);
                    out.push(0.0);
                    out.extend_from_slice(&p[at..]);
                }
                *probs = out;
            }
            Store::Bins(bins) => {
                let old = std::mem::take(bins);
                for (mut key, mut bin) in old {
                    let class = key.pop().unwrap_or(0);
                    key.insert(at, 0);
                    key.push(if usize::from(class) >= at {
                        class + 1
                    } else {
                        class
                    });
                    bin.sum.insert(at, 0.0);
                    bins.insert(key, bin);
                }
            }
        }
    }

    /// What the estimators need of the group.
    pub fn held(&self) -> Held<'_> {
        match &self.store {
            Store::Rows { probs, scores } => {
                Held::Rows(probs.chunks(self.k.max(1)).collect(), scores.clone())
            }
            Store::Bins(map) => {
                let (bins, score) = as_bins(map.iter());
                Held::Bins(bins, self.all_scored().then_some(score))
            }
        }
    }

    /// The group as bins: its own, or its articles pooled into bins as
    /// [`Group::switch_to_bins`] would.
    pub(super) fn bins(&self) -> Cow<'_, BTreeMap<Vec<u16>, Bin>> {
        match &self.store {
            Store::Bins(map) => Cow::Borrowed(map),
            Store::Rows { probs, scores } => {
                let mut bins = BTreeMap::new();
                for (p, s) in probs.chunks(self.k.max(1)).zip(scores) {
                    add_bin(&mut bins, p, *s);
                }
                Cow::Owned(bins)
            }
        }
    }

    /// The mean score over all the articles (when every article has one).
    pub fn score_mean(&self) -> Option<f64> {
        (self.all_scored() && self.n > 0).then(|| match &self.store {
            Store::Rows { scores, .. } => scores.iter().flatten().sum::<f64>() / self.n as f64,
            Store::Bins(map) => map.values().map(|b| b.score_sum).sum::<f64>() / self.n as f64,
        })
    }
}

/// The bins `(key, bin)` as the estimators take them, with each bin's mean score (an article
/// without a score counting 0).
pub(super) fn as_bins<'b>(bins: impl Iterator<Item = (&'b Vec<u16>, &'b Bin)>) -> (Bins, Vec<f64>) {
    let mut out = Bins::default();
    let mut score = Vec::new();
    for (key, bin) in bins {
        let c = bin.count as f64;
        out.mean.push(bin.sum.iter().map(|s| s / c).collect());
        out.class.push(key.last().copied().unwrap_or(0) as usize);
        out.count.push(c);
        score.push(bin.score_sum / c);
    }
    (out, score)
}

fn add_bin(bins: &mut BTreeMap<Vec<u16>, Bin>, p: &[f64], score: Option<f64>) {
    let bin = bins.entry(key(p)).or_insert_with(|| Bin {
        count: 0,
        sum: vec![0.0; p.len()],
        score_sum: 0.0,
    });
    bin.count += 1;
    for (s, x) in bin.sum.iter_mut().zip(p) {
        *s += x;
    }
    bin.score_sum += score.unwrap_or(0.0);
}

/// Every group and actor of a comparison, filled one scored article at a time.
#[derive(Debug, Clone)]
pub struct Groups {
    pub(super) by: GroupBy,
    pub(super) actors: Vec<String>,
    pub(super) limit: usize,
    /// The labels, in the order of every row; grown (kept sorted) from the scores when no
    /// model gave them.
    pub(super) labels: Vec<String>,
    pub(super) fixed: bool,
    pub(super) cells: BTreeMap<(String, String), Group>,
    pub(super) field_found: bool,
    pub(super) fields_seen: BTreeSet<String>,
    pub(super) articles: usize,
    /// The sources of the model's labeled articles (sorted), when it keeps them: an article
    /// from another source (or none) counts as unseen ([`Group::unseen_share`]).
    pub(super) known_sources: Option<Vec<String>>,
    /// Only these groups are kept ([`Groups::only_groups`]), when set.
    pub(super) only: Option<BTreeSet<String>>,
    /// With `only`: the group of every article added, kept or not (the first
    /// [`SEEN_NAMES`]), and whether there were more.
    pub(super) seen: BTreeSet<String>,
    pub(super) seen_more: bool,
}

/// At most this many names of groups left out are kept ([`Groups::seen`]), so that grouping
/// by a field of many values (`--by id`) stays in bounded memory.
pub const SEEN_NAMES: usize = 1000;

impl Groups {
    /// Empty groups for a comparison with `opts`, of the model's `labels`, or (None) of the
    /// labels the scores name, sorted.
    pub fn new(opts: &CompareOptions, labels: Option<&[String]>) -> Groups {
        Groups {
            by: opts.by.clone(),
            actors: opts.actors.clone(),
            limit: opts.exact_limit,
            labels: labels.map_or(Vec::new(), <[String]>::to_vec),
            fixed: labels.is_some(),
            cells: BTreeMap::new(),
            field_found: false,
            fields_seen: BTreeSet::new(),
            articles: 0,
            known_sources: None,
            only: None,
            seen: BTreeSet::new(),
            seen_more: false,
        }
    }

    /// The same groups, keeping only the articles of the groups `groups` (`compare --diff`
    /// keeps the two it compares) and the name of every group seen ([`Groups::seen`]).
    pub fn only_groups(mut self, groups: &[String]) -> Groups {
        self.only = Some(groups.iter().cloned().collect());
        self
    }

    /// The same groups, counting the articles of sources outside `sources` (sorted), the
    /// model's labeled sources ([`crate::quantify::select::Unseen`]).
    pub fn with_known_sources(mut self, sources: Option<Vec<String>>) -> Groups {
        self.known_sources = sources;
        self
    }

    /// Adds one scored article.
    pub fn add(&mut self, a: &ArticleScore) {
        self.articles += 1;
        if let GroupBy::Field(name) = &self.by {
            if !self.field_found {
                if field_of(a, name).is_some() {
                    self.field_found = true;
                    self.fields_seen.clear();
                } else {
                    self.fields_seen.extend(a.fields.keys().cloned());
                }
            }
        }
        if !self.fixed {
            for s in &a.actors {
                for l in s.probabilities.keys() {
                    if let Err(at) = self.labels.binary_search(l) {
                        self.labels.insert(at, l.clone());
                        for g in self.cells.values_mut() {
                            g.insert_label(at);
                        }
                    }
                }
            }
        }
        let unseen = self.known_sources.as_ref().is_some_and(|known| {
            let source = a.source.as_deref().unwrap_or_default();
            known.binary_search_by(|k| k.as_str().cmp(source)).is_err()
        });
        let mut g = None;
        if let Some(only) = &self.only {
            let key = self.by.key(a);
            if !self.seen.contains(&key) {
                if self.seen.len() < SEEN_NAMES {
                    self.seen.insert(key.clone());
                } else {
                    self.seen_more = true;
                }
            }
            if !only.contains(&key) {
                return;
            }
            g = Some(key);
        }
        for s in &a.actors {
            if self.actors.is_empty() || self.actors.contains(&s.actor) {
                let group = g.get_or_insert_with(|| self.by.key(a)).clone();
                let p: Vec<f64> = self
                    .labels
                    .iter()
                    .map(|l| s.probabilities.get(l).copied().unwrap_or(0.0))
                    .collect();
                let k = self.labels.len();
                self.cells
                    .entry((group, s.actor.clone()))
                    .or_insert_with(|| Group::new(k))
                    .add(&p, s.score, self.limit, unseen);
            }
        }
    }

    /// Adds the groups of `other` (the same options and labels; read after these).
    pub fn merge(&mut self, other: Groups) {
        self.articles += other.articles;
        self.field_found |= other.field_found;
        self.fields_seen.extend(other.fields_seen);
        for (key, g) in other.cells {
            match self.cells.get_mut(&key) {
                Some(x) => x.merge(g, self.limit),
                None => {
                    self.cells.insert(key, g);
                }
            }
        }
    }

    /// The error of grouping by a field that no article has.
    pub fn check_by(&self) -> Result<(), String> {
        match &self.by {
            GroupBy::Field(name) if !self.field_found => {
                Err(super::missing_field(name, &self.fields_seen))
            }
            _ => Ok(()),
        }
    }

    /// The labels of every row.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// With [`Groups::only_groups`], the group of every article added (those left out
    /// too; the first [`SEEN_NAMES`] of them), and whether there were more; none otherwise.
    pub fn seen(&self) -> (&BTreeSet<String>, bool) {
        (&self.seen, self.seen_more)
    }

    /// The articles added.
    pub fn articles(&self) -> usize {
        self.articles
    }

    /// The groups and actors, in order.
    pub fn cells(&self) -> &BTreeMap<(String, String), Group> {
        &self.cells
    }

    /// The groups and actors, taken.
    pub fn into_cells(self) -> BTreeMap<(String, String), Group> {
        self.cells
    }
}
