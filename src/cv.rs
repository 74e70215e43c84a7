//! Folds for cross-validation: shuffled with a seed, stratified by label, grouped so that one
//! group (an article, or a user-chosen field such as a story) never sits on both sides, and
//! every example in exactly one validation fold.
//!
//! Written here because linfa's `fold` and `cross_validate` neither shuffle nor stratify, and
//! never validate the last n mod k rows.

use crate::error::{Error, Result};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::collections::HashMap;

/// The examples of each group, groups in order of first appearance.
fn group_members<G: AsRef<str>>(groups: &[G]) -> Vec<Vec<usize>> {
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut members: Vec<Vec<usize>> = Vec::new();
    for (i, g) in groups.iter().enumerate() {
        let next = members.len();
        let gi = *index.entry(g.as_ref()).or_insert(next);
        if gi == next {
            members.push(Vec::new());
        }
        members[gi].push(i);
    }
    members
}

/// Mean over classes of the spread (sd) across folds of each class's share (`fold_counts`
/// per fold and class, `total` per class).
fn share_spread(fold_counts: &[Vec<f64>], total: &[f64]) -> f64 {
    let (k, n_classes) = (fold_counts.len(), total.len());
    (0..n_classes)
        .map(|c| {
            let shares: Vec<f64> = (0..k).map(|j| fold_counts[j][c] / total[c]).collect();
            let m = shares.iter().sum::<f64>() / k as f64;
            (shares.iter().map(|s| (s - m) * (s - m)).sum::<f64>() / k as f64).sqrt()
        })
        .sum::<f64>()
        / n_classes as f64
}

/// Assigns each example to one of `k` folds. `labels[i]` is example i's class (in `0..n_classes`),
/// `groups[i]` its group key. Greedy, like scikit-learn's `StratifiedGroupKFold`: groups are
/// shuffled, taken the most label-skewed first, and each goes to the fold where the label
/// shares across folds stay most even (ties: the smaller fold).
pub fn assign_folds<G: AsRef<str>>(
    labels: &[usize],
    groups: &[G],
    n_classes: usize,
    k: usize,
    seed: u64,
) -> Result<Vec<usize>> {
    if labels.len() != groups.len() {
        return Err(Error::Config("one group per example is needed".into()));
    }
    if k < 2 {
        return Err(Error::Config(format!("need at least 2 folds, got {k}")));
    }
    let members = group_members(groups);
    if members.len() < k {
        return Err(Error::Config(format!(
            "only {} groups (articles) for {} folds: use fewer folds",
            members.len(),
            k
        )));
    }
    let counts: Vec<Vec<f64>> = members
        .iter()
        .map(|m| {
            let mut c = vec![0.0; n_classes];
            m.iter().for_each(|&i| c[labels[i]] += 1.0);
            c
        })
        .collect();
    let mut order: Vec<usize> = (0..members.len()).collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    let skew = |c: &[f64]| {
        let n = c.len() as f64;
        let m = c.iter().sum::<f64>() / n;
        c.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n
    };
    order.sort_by(|&a, &b| skew(&counts[b]).total_cmp(&skew(&counts[a])));
    let total: Vec<f64> = (0..n_classes)
        .map(|c| counts.iter().map(|g| g[c]).sum::<f64>().max(1.0))
        .collect();
    let mut fold_counts = vec![vec![0.0; n_classes]; k];
    let mut fold_size = vec![0usize; k];
    let mut fold_of_group = vec![0usize; members.len()];
    for &g in &order {
        let mut best = (f64::INFINITY, usize::MAX, 0usize);
        for f in 0..k {
            fold_counts[f]
                .iter_mut()
                .zip(&counts[g])
                .for_each(|(a, b)| *a += b);
            let spread = share_spread(&fold_counts, &total);
            fold_counts[f]
                .iter_mut()
                .zip(&counts[g])
                .for_each(|(a, b)| *a -= b);
            let cand = (spread, fold_size[f], f);
            if cand.0 < best.0 - 1e-12 || ((cand.0 - best.0).abs() <= 1e-12 && cand.1 < best.1) {
                best = cand;
            }
        }
        let f = best.2;
        fold_counts[f]
            .iter_mut()
            .zip(&counts[g])
            .for_each(|(a, b)| *a += b);
        fold_size[f] += members[g].len();
        fold_of_group[g] = f;
    }
    let mut fold = vec![0usize; labels.len()];
    for (g, m) in members.iter().enumerate() {
        for &i in m {
            fold[i] = fold_of_group[g];
        }
    }
    // A fold left without examples cannot happen (groups >= k and each fold starts empty, so
    // the smallest-fold tie-break fills each), but check: an empty fold would validate nothing.
    for f in 0..k {
        if !fold.contains(&f) {
            return Err(Error::Config(format!("fold {} got no examples", f + 1)));
        }
    }
    Ok(fold)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> (Vec<usize>, Vec<String>) {
        // 60 groups (articles) of 1-3 examples; labels skewed 50/30/20.
        let mut labels = Vec::new();
        let mut groups = Vec::new();
        for g in 0..60 {
            for j in 0..(1 + g % 3) {
                let x = (g * 7 + j * 3) % 10;
                labels.push(if x < 5 {
                    0
                } else if x < 8 {
                    1
                } else {
                    2
                });
                groups.push(format!("a{g}"));
            }
        }
        (labels, groups)
    }

    #[test]
    fn every_example_once_groups_never_split() {
        let (labels, groups) = data();
        let fold = assign_folds(&labels, &groups, 3, 5, 7).unwrap();
        assert_eq!(fold.len(), labels.len());
        let mut of_group: HashMap<&str, usize> = HashMap::new();
        for (g, &f) in groups.iter().zip(&fold) {
            assert!(f < 5);
            assert_eq!(
                *of_group.entry(g).or_insert(f),
                f,
                "group {g} split across folds"
            );
        }
        let mut sizes = [0; 5];
        fold.iter().for_each(|&f| sizes[f] += 1);
        assert_eq!(sizes.iter().sum::<usize>(), labels.len());
        assert!(sizes.iter().all(|&s| s > 0));
    }

    #[test]
    fn stratified_within_a_few_examples() {
        let (labels, groups) = data();
        let fold = assign_folds(&labels, &groups, 3, 5, 1).unwrap();
        for c in 0..3 {
            let total = labels.iter().filter(|&&l| l == c).count() as f64;
            for f in 0..5 {
                let n = labels
                    .iter()
                    .zip(&fold)
                    .filter(|(&l, &ff)| l == c && ff == f)
                    .count() as f64;
                assert!(
                    (n - total / 5.0).abs() <= 3.0,
                    "class {c} fold {f}: {n} of {total}"
                );
            }
        }
    }

    #[test]
    fn seeded_and_shuffled() {
        let (labels, groups) = data();
        let a = assign_folds(&labels, &groups, 3, 5, 1).unwrap();
        let b = assign_folds(&labels, &groups, 3, 5, 1).unwrap();
        let c = assign_folds(&labels, &groups, 3, 5, 2).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn too_few_groups_is_a_clear_error() {
        let e = assign_folds(&[0, 1, 0], &["a", "a", "b"], 2, 5, 1).unwrap_err();
        assert_eq!(
            e.to_string(),
            "only 2 groups (articles) for 5 folds: use fewer folds"
        );
    }
}
