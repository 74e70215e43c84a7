//! Which article next: the query strategies as pure functions, each deterministic given a seed.
//!
//! - **Cold start, diverse picks**: farthest-first traversal over TF-IDF vectors (cosine
//!   distance `1 − u·v` on L2-normalised rows): each pick is the article farthest from every
//!   article already picked or labeled; the first is the article with the smallest seeded hash.
//!   It runs until every label has a few examples ([`cold_start_done`]).
//! - **Margin sampling**: an article's score is the smallest gap between the two most probable
//!   labels over its stance questions (the actors it names): the article holds at least one
//!   question the model is unsure of. An article that names no actor is scored by its sentiment
//!   question. Smallest score first; equal scores (to 1e-9) are ordered by a seeded hash.
//! - **Random audit stream**: one pick in each block of `every` picks, at a seeded position in
//!   the block, is a uniform draw (a seeded permutation of the pool, taken in order) instead.
//! - **Double annotation**: an article is shown to two annotators when its seeded hash falls in
//!   the share asked for.

/// SplitMix64: a fast, well-mixed 64-bit hash step.
pub fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A seeded hash of a string (FNV-1a, then mixed with the seed).
pub fn hash_str(seed: u64, s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    mix(h ^ mix(seed))
}

/// A hash as a number in [0, 1).
pub fn unit(h: u64) -> f64 {
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// Is pick number `pick` (0-based) of `annotator` an audit pick? One in each block of `every`
/// picks, at a position drawn from the seed, the annotator and the block; never when `every`
/// is 0; every pick when it is 1.
pub fn is_audit_pick(seed: u64, annotator: &str, pick: u64, every: u64) -> bool {
    if every == 0 {
        return false;
    }
    let block = pick / every;
    let at = mix(hash_str(seed ^ 0xA0D1, annotator) ^ mix(block)) % every;
    pick % every == at
}

/// Is the article shown to two annotators?
pub fn is_double(seed: u64, id: &str, share: f64) -> bool {
    share > 0.0 && unit(hash_str(seed ^ 0xD0B1E, id)) < share
}

/// The pool's random order (the audit stream): indices sorted by a seeded hash of the id, so
/// the order does not depend on the order of the input.
pub fn permutation(seed: u64, ids: &[&str]) -> Vec<usize> {
    let mut order: Vec<(u64, usize)> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (hash_str(seed ^ 0x5EED, id), i))
        .collect();
    order.sort_unstable();
    order.into_iter().map(|(_, i)| i).collect()
}

/// The gap between the two largest probabilities (1 with a single label).
pub fn margin(p: &[f64]) -> f64 {
    let mut first = f64::NEG_INFINITY;
    let mut second = f64::NEG_INFINITY;
    for &x in p {
        if x > first {
            second = first;
            first = x;
        } else if x > second {
            second = x;
        }
    }
    if second == f64::NEG_INFINITY {
        1.0
    } else {
        first - second
    }
}

/// An article's margin: the smallest over its stance questions, or the sentiment's when it has
/// none; None when the model can answer none of them.
pub fn article_margin(stance: &[Vec<f64>], sentiment: Option<&[f64]>) -> Option<f64> {
    if !stance.is_empty() {
        return stance.iter().map(|p| margin(p)).reduce(f64::min);
    }
    sentiment.map(margin)
}

/// Orders candidates `(index, margin, tie key)` by margin (smallest first, equal to 1e-9), then
/// by the tie key.
pub fn rank_by_margin(mut candidates: Vec<(usize, f64, u64)>) -> Vec<(usize, f64)> {
    let q = |m: f64| (m * 1e9).round() as i64;
    candidates.sort_by(|a, b| q(a.1).cmp(&q(b.1)).then(a.2.cmp(&b.2)).then(a.0.cmp(&b.0)));
    candidates.into_iter().map(|(i, m, _)| (i, m)).collect()
}

/// Cold start is over when every label of `labels` has at least `min_per_label` examples in
/// `counts`, or after `cap` picks (of any strategy) once at least two labels have been seen (a label that stays
/// rare should not hold the model back for ever).
pub fn cold_start_done(
    counts: &std::collections::BTreeMap<String, usize>,
    labels: &[String],
    min_per_label: usize,
    picks: usize,
    cap: usize,
) -> bool {
    let have = |l: &String| counts.get(l).copied().unwrap_or(0);
    if labels.iter().all(|l| have(l) >= min_per_label) {
        return true;
    }
    picks >= cap && labels.iter().filter(|l| have(l) > 0).count() >= 2
}

/// A sparse row (indices unordered) for the farthest-first traversal.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Row {
    /// Feature indices.
    pub idx: Vec<u32>,
    /// The values at those indices.
    pub val: Vec<f64>,
}

/// Farthest-first traversal over L2-normalised sparse rows.
#[derive(Debug, Clone)]
pub struct FarthestFirst {
    rows: Vec<Row>,
    /// Distance of each row to the nearest row selected so far (infinite before any).
    nearest: Vec<f64>,
    dense: Vec<f64>,
    selected: usize,
}

impl FarthestFirst {
    /// A traversal over `rows` of `n_features` features, nothing selected yet.
    pub fn new(rows: Vec<Row>, n_features: usize) -> FarthestFirst {
        let n = rows.len();
        FarthestFirst {
            rows,
            nearest: vec![f64::INFINITY; n],
            dense: vec![0.0; n_features],
            selected: 0,
        }
    }

    /// Marks row `i` as picked (or labeled): every other row's distance to the picked set is
    /// updated.
    pub fn select(&mut self, i: usize) {
        let r = &self.rows[i];
        for (&j, &x) in r.idx.iter().zip(&r.val) {
            if let Some(d) = self.dense.get_mut(j as usize) {
                *d = x;
            }
        }
        for (k, other) in self.rows.iter().enumerate() {
            let dot: f64 = other
                .idx
                .iter()
                .zip(&other.val)
                .map(|(&j, &x)| self.dense.get(j as usize).map_or(0.0, |d| d * x))
                .sum();
            let dist = (1.0 - dot).max(0.0);
            if dist < self.nearest[k] {
                self.nearest[k] = dist;
            }
        }
        for &j in &r.idx {
            if let Some(d) = self.dense.get_mut(j as usize) {
                *d = 0.0;
            }
        }
        self.nearest[i] = 0.0;
        self.selected += 1;
    }

    /// The next pick among rows allowed by `ok`: the farthest from the picked set (ties: the
    /// smallest `key`); before any pick, the row with the smallest `key`. Returns the row and
    /// its distance (None before any pick).
    pub fn next(
        &self,
        ok: impl Fn(usize) -> bool,
        key: impl Fn(usize) -> u64,
    ) -> Option<(usize, Option<f64>)> {
        let mut best: Option<(usize, f64, u64)> = None;
        for i in 0..self.rows.len() {
            if !ok(i) {
                continue;
            }
            let d = if self.selected == 0 {
                0.0
            } else {
                self.nearest[i]
            };
            let k = key(i);
            let better = match best {
                None => true,
                Some((_, bd, bk)) => d > bd + 1e-12 || ((d - bd).abs() <= 1e-12 && k < bk),
            };
            if better {
                best = Some((i, d, k));
            }
        }
        best.map(|(i, d, _)| (i, (self.selected > 0).then_some(d)))
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn row(pairs: &[(u32, f64)]) -> Row {
        let norm = pairs.iter().map(|p| p.1 * p.1).sum::<f64>().sqrt();
        Row {
            idx: pairs.iter().map(|p| p.0).collect(),
            val: pairs.iter().map(|p| p.1 / norm).collect(),
        }
    }

    /// Four rows worked by hand: a = e0, b = e1, c = (e0 + e1)/√2, d = e2.
    /// Start with a (key 0). Distances to {a}: b 1, c 1 − 1/√2 ≈ 0.293, d 1: b and d tie at 1,
    /// the smaller key (b: 1) wins. Distances to {a, b}: c 0.293, d 1: d. Then c (0.293).
    #[test]
    fn farthest_first_order_on_a_tiny_set() {
        let rows = vec![
            row(&[(0, 1.0)]),
            row(&[(1, 1.0)]),
            row(&[(0, 1.0), (1, 1.0)]),
            row(&[(2, 1.0)]),
        ];
        let mut ff = FarthestFirst::new(rows, 3);
        let mut picked = Vec::new();
        let mut dists = Vec::new();
        for _ in 0..4 {
            let (i, d) = ff
                .next(|i| !picked.contains(&i), |i| i as u64)
                .expect("a row left");
            picked.push(i);
            dists.push(d);
            ff.select(i);
        }
        assert_eq!(picked, vec![0, 1, 3, 2]);
        assert_eq!(dists[0], None);
        assert!((dists[1].unwrap() - 1.0).abs() < 1e-12);
        assert!((dists[2].unwrap() - 1.0).abs() < 1e-12);
        assert!((dists[3].unwrap() - (1.0 - 1.0 / 2f64.sqrt())).abs() < 1e-12);
        assert!(ff.next(|i| !picked.contains(&i), |i| i as u64).is_none());
    }

    #[test]
    fn farthest_first_starts_from_labeled_rows() {
        // With a and d already labeled, the farthest remaining row is b (1 from a, 1 from d)
        // rather than c (0.293 from a).
        let rows = vec![
            row(&[(0, 1.0)]),
            row(&[(1, 1.0)]),
            row(&[(0, 1.0), (1, 1.0)]),
            row(&[(2, 1.0)]),
        ];
        let mut ff = FarthestFirst::new(rows, 3);
        ff.select(0);
        ff.select(3);
        let (i, d) = ff.next(|i| i == 1 || i == 2, |_| 0).unwrap();
        assert_eq!(i, 1);
        assert!((d.unwrap() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn margins_by_hand() {
        assert!((margin(&[0.5, 0.3, 0.2]) - 0.2).abs() < 1e-12);
        assert!((margin(&[0.2, 0.4, 0.4]) - 0.0).abs() < 1e-12);
        assert_eq!(margin(&[1.0]), 1.0);
        // Two actors: 0.6−0.3 = 0.3 and 0.45−0.35 = 0.1: the article scores 0.1.
        let m = article_margin(
            &[vec![0.6, 0.3, 0.1], vec![0.35, 0.45, 0.2]],
            Some(&[0.9, 0.1]),
        );
        assert!((m.unwrap() - 0.1).abs() < 1e-12);
        // No actor: the sentiment's margin.
        let m = article_margin(&[], Some(&[0.7, 0.2, 0.1]));
        assert!((m.unwrap() - 0.5).abs() < 1e-12);
        assert_eq!(article_margin(&[], None), None);
    }

    #[test]
    fn margin_ranking_with_ties() {
        // Margins 0.3, 0.1, 0.1, 0.05, 0.1 + 1e-12 (equal to 0.1 at 1e-9); tie keys decide
        // among the 0.1s: item 4 (key 1), item 2 (key 5), item 1 (key 9).
        let ranked = rank_by_margin(vec![
            (0, 0.3, 0),
            (1, 0.1, 9),
            (2, 0.1, 5),
            (3, 0.05, 7),
            (4, 0.1 + 1e-12, 1),
        ]);
        let order: Vec<usize> = ranked.iter().map(|r| r.0).collect();
        assert_eq!(order, vec![3, 4, 2, 1, 0]);
    }

    #[test]
    fn audit_share_over_100_picks() {
        // One in each block of five: exactly 20 of 100, one per block, wherever it falls.
        for seed in [0u64, 1, 42, 7_777] {
            let audits: Vec<u64> = (0..100)
                .filter(|&p| is_audit_pick(seed, "ana", p, 5))
                .collect();
            assert_eq!(audits.len(), 20, "seed {seed}");
            for b in 0..20 {
                assert_eq!(audits.iter().filter(|&&p| p / 5 == b).count(), 1);
            }
        }
        // The positions move with the seed (they are not every fifth pick).
        let a: Vec<u64> = (0..100)
            .filter(|&p| is_audit_pick(1, "ana", p, 5))
            .collect();
        let b: Vec<u64> = (0..100)
            .filter(|&p| is_audit_pick(2, "ana", p, 5))
            .collect();
        assert_ne!(a, b);
        assert_ne!(a, (0..20).map(|b| b * 5).collect::<Vec<_>>());
        // Fixed seed, fixed positions: the first block of seed 42 for "ana".
        let first = (0..5).find(|&p| is_audit_pick(42, "ana", p, 5)).unwrap();
        assert_eq!(
            first,
            mix(hash_str(42 ^ 0xA0D1, "ana") ^ mix(0)) % 5,
            "the schedule is the documented formula"
        );
        assert_eq!((0..100).filter(|&p| is_audit_pick(3, "x", p, 0)).count(), 0);
        assert_eq!(
            (0..100).filter(|&p| is_audit_pick(3, "x", p, 1)).count(),
            100
        );
    }

    #[test]
    fn double_share_and_permutation() {
        let ids: Vec<String> = (0..10_000).map(|i| format!("id{i}")).collect();
        let n = ids.iter().filter(|id| is_double(9, id, 0.1)).count();
        assert!((900..1100).contains(&n), "{n}");
        assert_eq!(ids.iter().filter(|id| is_double(9, id, 0.0)).count(), 0);
        let refs: Vec<&str> = ids.iter().map(|s| s.as_str()).take(50).collect();
        let p = permutation(3, &refs);
        let mut sorted = p.clone();
        sorted.sort();
        assert_eq!(sorted, (0..50).collect::<Vec<_>>());
        assert_eq!(p, permutation(3, &refs));
        assert_ne!(p, permutation(4, &refs));
        // The order follows the ids, not their positions.
        let rev: Vec<&str> = refs.iter().rev().copied().collect();
        let q = permutation(3, &rev);
        let by_id = |perm: &[usize], ids: &[&str]| -> Vec<String> {
            perm.iter().map(|&i| ids[i].to_string()).collect()
        };
        assert_eq!(by_id(&p, &refs), by_id(&q, &rev));
    }

    #[test]
    fn cold_start_criterion() {
        let labels: Vec<String> = ["against", "favor", "neutral"].map(String::from).to_vec();
        let mut c = BTreeMap::new();
        c.insert("against".to_string(), 3);
        c.insert("favor".to_string(), 2);
        c.insert("neutral".to_string(), 5);
        assert!(!cold_start_done(&c, &labels, 3, 10, 30));
        c.insert("favor".to_string(), 3);
        assert!(cold_start_done(&c, &labels, 3, 10, 30));
        let mut rare = BTreeMap::new();
        rare.insert("neutral".to_string(), 30);
        assert!(!cold_start_done(&rare, &labels, 3, 30, 30));
        rare.insert("against".to_string(), 1);
        assert!(!cold_start_done(&rare, &labels, 3, 29, 30));
        assert!(cold_start_done(&rare, &labels, 3, 30, 30));
    }
}
