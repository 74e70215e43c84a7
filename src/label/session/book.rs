//! The bookkeeping derived from the decisions: who was asked what, what is taken, the undo
//! stacks.

use super::super::log::{Action, Decision, Pick};
use super::Pool;
use std::collections::{HashMap, HashSet};

/// The bookkeeping derived from the decisions.
#[derive(Debug, Default)]
pub(super) struct Book {
    /// Items each annotator has decided (live or undone).
    pub(super) asked: HashMap<String, HashSet<usize>>,
    /// Items with a live label, review or skip decision by anyone.
    pub(super) taken: HashSet<usize>,
    /// Annotators with a live label decision, per item, in order.
    pub(super) labelers: HashMap<usize, Vec<String>>,
    /// Per annotator: live decisions, oldest first (the undo stack).
    pub(super) stack: HashMap<String, Vec<usize>>,
    /// Per annotator: items undone and not decided again, with the pick they came with.
    pub(super) pending: HashMap<String, Vec<(usize, Pick)>>,
    pub(super) picks: HashMap<String, u64>,
    /// The first live label decision of each item (its pick).
    pub(super) first_pick: HashMap<usize, Pick>,
}

impl Book {
    pub(super) fn new(decisions: &[Decision], pool: &Pool) -> Book {
        let mut b = Book::default();
        let undone: HashMap<u64, usize> = decisions
            .iter()
            .enumerate()
            .filter(|(_, d)| d.meta.action == Action::Undo)
            .filter_map(|(i, d)| d.meta.undoes.map(|s| (s, i)))
            .collect();
        let by_seq: HashMap<u64, usize> = decisions
            .iter()
            .enumerate()
            .map(|(i, d)| (d.meta.seq, i))
            .collect();
        for (i, d) in decisions.iter().enumerate() {
            let ann = &d.meta.annotator;
            let picks = b.picks.entry(ann.clone()).or_default();
            *picks = (*picks).max(d.meta.pick.pick + 1);
            let Some(&item) = pool.by_id.get(&d.record.article.id) else {
                continue;
            };
            match d.meta.action {
                Action::Undo => {
                    if let Some(&j) = d.meta.undoes.and_then(|s| by_seq.get(&s)) {
                        b.stack.entry(ann.clone()).or_default().retain(|&k| k != j);
                        b.pending
                            .entry(ann.clone())
                            .or_default()
                            .push((item, decisions[j].meta.pick.clone()));
                    }
                }
                _ => {
                    b.asked.entry(ann.clone()).or_default().insert(item);
                    if let Some(p) = b.pending.get_mut(ann) {
                        p.retain(|(x, _)| *x != item);
                    }
                    if undone.contains_key(&d.meta.seq) {
                        continue;
                    }
                    b.stack.entry(ann.clone()).or_default().push(i);
                    b.taken.insert(item);
                    if d.meta.action == Action::Label {
                        b.labelers.entry(item).or_default().push(ann.clone());
                        b.first_pick
                            .entry(item)
                            .or_insert_with(|| d.meta.pick.clone());
                    }
                }
            }
        }
        b
    }
}
