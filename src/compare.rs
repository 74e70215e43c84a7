//! Comparing sources and periods: per group (source, month, or both) and actor, the number of
//! articles, the mean signed score with a bootstrap interval, and the share of each label.

use crate::pipeline::ArticleScore;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What to group articles by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupBy {
    Source,
    Month,
    /// Source and month together.
    SourceMonth,
    /// All articles in one group.
    All,
}

impl GroupBy {
    pub fn key(&self, a: &ArticleScore) -> String {
        let source = || a.source.clone().unwrap_or_else(|| "(no source)".into());
        let month = || {
            a.date
                .as_deref()
                .and_then(|d| d.get(..7))
                .unwrap_or("(no date)")
                .to_string()
        };
        match self {
            GroupBy::Source => source(),
            GroupBy::Month => month(),
            GroupBy::SourceMonth => format!("{} {}", source(), month()),
            GroupBy::All => "all".into(),
        }
    }
}

/// A mean with its interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    pub mean: f64,
    pub low: f64,
    pub high: f64,
}

/// One row of a comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupRow {
    pub group: String,
    pub actor: String,
    /// Articles in the group that were scored for the actor.
    pub n: usize,
    /// Mean signed score (P(favor) − P(against)) with a 95% bootstrap interval.
    pub score: Option<Estimate>,
    /// Share of articles whose predicted label is each label (classify and count).
    pub label_share: BTreeMap<String, f64>,
    /// Count of articles per predicted label.
    pub label_count: BTreeMap<String, usize>,
    /// Mean predicted probability of each label.
    pub mean_probability: BTreeMap<String, f64>,
}

/// Settings of a comparison.
#[derive(Debug, Clone)]
pub struct CompareOptions {
    pub by: GroupBy,
    /// Only these actors (all when empty).
    pub actors: Vec<String>,
    pub bootstrap: usize,
    pub seed: u64,
    pub level: f64,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions {
            by: GroupBy::Source,
            actors: Vec::new(),
            bootstrap: 2000,
            seed: 42,
            level: 0.95,
        }
    }
}

/// Percentile bootstrap interval of the mean of `xs`.
pub fn bootstrap_mean(xs: &[f64], resamples: usize, level: f64, rng: &mut ChaCha8Rng) -> Estimate {
    let n = xs.len();
    let mean = xs.iter().sum::<f64>() / n as f64;
    if n < 2 || resamples == 0 {
        return Estimate {
            mean,
            low: mean,
            high: mean,
        };
    }
    let mut means: Vec<f64> = (0..resamples)
        .map(|_| (0..n).map(|_| xs[rng.gen_range(0..n)]).sum::<f64>() / n as f64)
        .collect();
    means.sort_by(f64::total_cmp);
    let q = |p: f64| {
        let pos = p * (resamples - 1) as f64;
        let lo = pos.floor() as usize;
        let hi = pos.ceil() as usize;
        means[lo] + (means[hi] - means[lo]) * (pos - lo as f64)
    };
    let alpha = (1.0 - level) / 2.0;
    Estimate {
        mean,
        low: q(alpha),
        high: q(1.0 - alpha),
    }
}

/// Compares groups of scored articles.
pub fn compare(articles: &[ArticleScore], opts: &CompareOptions) -> Vec<GroupRow> {
    let mut cells: BTreeMap<(String, String), Vec<&crate::pipeline::ActorScore>> = BTreeMap::new();
    for a in articles {
        let g = opts.by.key(a);
        for s in &a.actors {
            if opts.actors.is_empty() || opts.actors.contains(&s.actor) {
                cells
                    .entry((g.clone(), s.actor.clone()))
                    .or_default()
                    .push(s);
            }
        }
    }
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    cells
        .into_iter()
        .map(|((group, actor), scores)| {
            let n = scores.len();
            let signed: Vec<f64> = scores.iter().filter_map(|s| s.score).collect();
            let score = (signed.len() == n && n > 0)
                .then(|| bootstrap_mean(&signed, opts.bootstrap, opts.level, &mut rng));
            let mut label_count: BTreeMap<String, usize> = BTreeMap::new();
            let mut mean_probability: BTreeMap<String, f64> = BTreeMap::new();
            for s in &scores {
                for (l, p) in &s.probabilities {
                    label_count.entry(l.clone()).or_insert(0);
                    *mean_probability.entry(l.clone()).or_insert(0.0) += p / n as f64;
                }
                *label_count.entry(s.label.clone()).or_insert(0) += 1;
            }
            let label_share = label_count
                .iter()
                .map(|(l, c)| (l.clone(), *c as f64 / n as f64))
                .collect();
            GroupRow {
                group,
                actor,
                n,
                score,
                label_share,
                label_count,
                mean_probability,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::ActorScore;

    fn art(source: &str, date: &str, actor: &str, label: &str, score: f64) -> ArticleScore {
        let mut p = BTreeMap::new();
        p.insert("favor".to_string(), (1.0 + score) / 2.0);
        p.insert("against".to_string(), (1.0 - score) / 2.0);
        ArticleScore {
            id: "x".into(),
            source: Some(source.into()),
            date: Some(date.into()),
            sentiment: None,
            actors: vec![ActorScore {
                actor: actor.into(),
                mentions: 1,
                label: label.into(),
                probabilities: p,
                score: Some(score),
                evidence: vec![],
            }],
        }
    }

    #[test]
    fn groups_counts_shares_and_means() {
        let arts = vec![
            art("A", "2023-10-01", "Iran", "against", -0.5),
            art("A", "2023-11-01", "Iran", "favor", 0.5),
            art("A", "2023-11-02", "Iran", "against", -1.0),
            art("B", "2023-10-05", "Iran", "favor", 1.0),
        ];
        let rows = compare(&arts, &CompareOptions::default());
        assert_eq!(rows.len(), 2);
        let a = &rows[0];
        assert_eq!((a.group.as_str(), a.n), ("A", 3));
        assert!((a.score.as_ref().unwrap().mean - (-1.0 / 3.0)).abs() < 1e-12);
        assert!((a.label_share["against"] - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(a.label_count["favor"], 1);
        // mean P(favor) = (0.25 + 0.75 + 0) / 3
        assert!((a.mean_probability["favor"] - 1.0 / 3.0).abs() < 1e-12);
        let by_month = compare(
            &arts,
            &CompareOptions {
                by: GroupBy::Month,
                ..CompareOptions::default()
            },
        );
        assert_eq!(by_month[0].group, "2023-10");
        assert_eq!(by_month[0].n, 2);
    }

    #[test]
    fn bootstrap_interval_brackets_the_mean_and_is_seeded() {
        let xs: Vec<f64> = (0..50).map(|i| (i % 7) as f64 / 7.0).collect();
        let a = bootstrap_mean(&xs, 1000, 0.95, &mut ChaCha8Rng::seed_from_u64(1));
        let b = bootstrap_mean(&xs, 1000, 0.95, &mut ChaCha8Rng::seed_from_u64(1));
        assert_eq!(a, b);
        assert!(a.low < a.mean && a.mean < a.high);
        // The standard error of this mean is about 0.29/sqrt(50) = 0.041; the interval is about
        // ±1.96 of that.
        assert!((a.high - a.low) > 0.10 && (a.high - a.low) < 0.23, "{a:?}");
    }
}
