//! Which article next: pending undos, review of disagreements, second opinions, the audit
//! stream, margin sampling, and the diverse cold start.

use super::super::engine::{self, Result};
use super::super::log::{self, Action, Pick, Resolved};
use super::super::strategy::{self, FarthestFirst, Row};
use super::{Session, Strategy};
use std::collections::{BTreeMap, HashMap, HashSet};

/// The farthest-first traversal over a sample of the pool: the traversal, the sample (row ->
/// item), item -> row, and the rows already marked as picked.
pub(super) type Diverse = (
    FarthestFirst,
    Vec<usize>,
    HashMap<usize, usize>,
    HashSet<usize>,
);

impl Session {
    /// Which article next for `annotator`, and how it was picked: an undone article first, then
    /// (in review) a disagreement, a second opinion, an audit pick when one is due, the margin
    /// ranking after cold start, the diverse cold start, and a random pick when all else is
    /// exhausted.
    pub(super) fn choose(&mut self, annotator: &str) -> Result<Option<(usize, Pick)>> {
        if let Some(p) = self.book.pending.get(annotator).and_then(|p| p.last()) {
            return Ok(Some(p.clone()));
        }
        let claimed = self.claimed();
        let n = self.book.picks.get(annotator).copied().unwrap_or(0);
        let resolved = self.resolved();
        if self.settings.review {
            return Ok(self.review_pick(&resolved, &claimed, n));
        }
        if let Some(p) = self.second_opinion(annotator, &claimed, n) {
            return Ok(Some(p));
        }
        let audit_now = self.settings.strategy == Strategy::Random
            || strategy::is_audit_pick(self.settings.seed, annotator, n, self.settings.audit_every);
        if audit_now {
            return Ok(self.audit_pick(annotator, &claimed, n));
        }
        if self.cold_start_over(&resolved) {
            if let Some(p) = self.margin_pick(annotator, &claimed, n) {
                return Ok(Some(p));
            }
        }
        // Cold start (or no ranking yet): the article farthest from everything picked.
        if let Some((i, d)) = self.diverse_pick(annotator, &claimed)? {
            return Ok(Some((i, self.pick("diverse", d, false, n, i))));
        }
        Ok(self
            .random_pick(annotator, &claimed)
            .map(|i| (i, self.pick("random", None, false, n, i))))
    }

    /// A pick of item `i` as the `n`th of its annotator.
    fn pick(&self, strategy: &str, score: Option<f64>, audit: bool, n: u64, i: usize) -> Pick {
        Pick {
            strategy: strategy.into(),
            score,
            audit,
            pick: n,
            double: self.pool.items[i].double,
        }
    }

    /// In review: the first article two annotators labeled differently that nobody has
    /// adjudicated or has on screen.
    fn review_pick(
        &self,
        resolved: &[Resolved],
        claimed: &HashSet<usize>,
        n: u64,
    ) -> Option<(usize, Pick)> {
        let reviewed: HashSet<&str> = resolved
            .iter()
            .filter(|r| r.adjudicated)
            .map(|r| r.record.article.id.as_str())
            .collect();
        for r in resolved {
            let id = r.record.article.id.as_str();
            let Some(&item) = self.pool.by_id.get(id) else {
                continue;
            };
            if r.annotators.len() < 2 || reviewed.contains(id) || claimed.contains(&item) {
                continue;
            }
            if self.disagree(id) {
                let pick = Pick {
                    strategy: "review".into(),
                    score: None,
                    audit: r.audit,
                    pick: n,
                    double: true,
                };
                return Some((item, pick));
            }
        }
        None
    }

    /// A second opinion on an article of the overlap another annotator labeled (the earliest),
    /// with the pick it first came with.
    fn second_opinion(
        &self,
        annotator: &str,
        claimed: &HashSet<usize>,
        n: u64,
    ) -> Option<(usize, Pick)> {
        let asked = self.book.asked.get(annotator);
        let item = self
            .decisions
            .iter()
            .filter(|d| d.meta.action == Action::Label)
            .filter_map(|d| self.pool.by_id.get(&d.record.article.id).copied())
            .find(|&item| {
                self.pool.items[item].double
                    && !claimed.contains(&item)
                    && self
                        .book
                        .labelers
                        .get(&item)
                        .is_some_and(|l| l.len() == 1 && l[0] != annotator)
                    && !asked.is_some_and(|s| s.contains(&item))
            })?;
        let first = self.book.first_pick.get(&item).cloned().unwrap_or_default();
        let pick = Pick {
            pick: n,
            double: true,
            ..first
        };
        Some((item, pick))
    }

    /// The next article of the audit stream (every pick, with the random strategy).
    fn audit_pick(
        &self,
        annotator: &str,
        claimed: &HashSet<usize>,
        n: u64,
    ) -> Option<(usize, Pick)> {
        let name = if self.settings.strategy == Strategy::Random {
            "random"
        } else {
            "audit"
        };
        self.random_pick(annotator, claimed)
            .map(|i| (i, self.pick(name, None, true, n, i)))
    }

    /// The available article of smallest margin under the current model, if one is ranked.
    fn margin_pick(
        &self,
        annotator: &str,
        claimed: &HashSet<usize>,
        n: u64,
    ) -> Option<(usize, Pick)> {
        let round = self.round.as_ref().filter(|r| r.error.is_none())?;
        let name = if self.given.is_some() && round.number == 0 {
            "model"
        } else {
            "margin"
        };
        let (i, m) = round
            .ranking
            .iter()
            .find(|(i, _)| self.available(annotator, *i, claimed))
            .copied()?;
        Some((i, self.pick(name, Some(m), false, n, i)))
    }

    pub(super) fn random_pick(&self, annotator: &str, claimed: &HashSet<usize>) -> Option<usize> {
        self.pool
            .order
            .iter()
            .copied()
            .find(|&i| self.available(annotator, i, claimed))
    }

    pub(super) fn diverse_pick(
        &mut self,
        annotator: &str,
        claimed: &HashSet<usize>,
    ) -> Result<Option<(usize, Option<f64>)>> {
        if self.diverse.is_none() {
            let mut sample = self.pool.candidates.clone();
            sample.truncate(5000);
            let texts: Vec<&str> = sample
                .iter()
                .map(|&i| self.pool.items[i].record.article.text.as_str())
                .collect();
            let fit: Vec<usize> = (0..texts.len()).collect();
            let (vectors, n) = engine::text_vectors(&texts, &fit)?;
            let rows = vectors
                .into_iter()
                .map(|v| Row {
                    idx: v.idx,
                    val: v.val,
                })
                .collect();
            let pos = sample.iter().enumerate().map(|(r, &i)| (i, r)).collect();
            self.diverse = Some((FarthestFirst::new(rows, n), sample, pos, HashSet::new()));
        }
        let seed = self.settings.seed;
        let taken: Vec<usize> = self
            .book
            .taken
            .iter()
            .chain(claimed.iter())
            .copied()
            .collect();
        let pool = self.pool.clone();
        let asked = self.book.asked.get(annotator).cloned().unwrap_or_default();
        let (ff, sample, pos, selected) = self.diverse.as_mut().expect("built above");
        let mut newly: Vec<usize> = taken
            .iter()
            .filter_map(|i| pos.get(i).copied())
            .filter(|r| !selected.contains(r))
            .collect();
        newly.sort_unstable();
        for r in newly {
            ff.select(r);
            selected.insert(r);
        }
        let blocked: HashSet<usize> = taken.into_iter().chain(asked).collect();
        let next = ff.next(
            |r| !blocked.contains(&sample[r]),
            |r| strategy::hash_str(seed, &pool.items[sample[r]].record.article.id),
        );
        Ok(next.map(|(r, d)| (sample[r], d)))
    }

    pub(super) fn disagree(&self, id: &str) -> bool {
        let mut answers: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for d in log::live(&self.decisions) {
            if d.meta.action != Action::Label || d.record.article.id != id {
                continue;
            }
            for (a, l) in &d.record.stance {
                answers.entry(a.clone()).or_default().push(l.clone());
            }
            if let Some(s) = &d.record.sentiment {
                answers
                    .entry("\0sentiment".into())
                    .or_default()
                    .push(s.clone());
            }
        }
        answers.values().any(|v| v.iter().any(|l| l != &v[0]))
    }
}
