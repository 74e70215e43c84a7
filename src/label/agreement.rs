//! Inter-annotator agreement on the articles labeled by two or more annotators: Cohen's kappa
//! when exactly two annotators took part, Fleiss' kappa when more did (each question may have
//! been answered by a different number of annotators: P_i = Σ_j n_ij(n_ij − 1) / (n_i(n_i − 1)),
//! p_j = Σ_i n_ij / Σ_i n_i). Per task (stance over every article × actor question, sentiment over
//! articles), per actor, per label (that label against the rest), and per pair of annotators.

use super::log::{live, Action, Decision};
use std::collections::{BTreeMap, BTreeSet};

/// One question answered by several annotators: (annotator, label) pairs.
#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    /// The article's id.
    pub id: String,
    /// The actor, or None for sentiment.
    pub actor: Option<String>,
    /// (annotator, label) pairs, one per annotator.
    pub ratings: Vec<(String, String)>,
}

/// Cohen's kappa of paired labels; None when there is nothing to compare. When both
/// annotators used one and the same label throughout, the chance agreement is 1 and kappa is
/// undefined: None too.
pub fn cohen(pairs: &[(&str, &str)]) -> Option<f64> {
    if pairs.is_empty() {
        return None;
    }
    let n = pairs.len() as f64;
    let mut a: BTreeMap<&str, f64> = BTreeMap::new();
    let mut b: BTreeMap<&str, f64> = BTreeMap::new();
    let mut agree = 0.0;
    for (x, y) in pairs {
        *a.entry(x).or_default() += 1.0;
        *b.entry(y).or_default() += 1.0;
        if x == y {
            agree += 1.0;
        }
    }
    let po = agree / n;
    let pe: f64 = a
        .iter()
        .map(|(l, ca)| ca / n * b.get(l).copied().unwrap_or(0.0) / n)
        .sum();
    if (1.0 - pe).abs() < 1e-12 {
        return None;
    }
    Some((po - pe) / (1.0 - pe))
}

/// Fleiss' kappa over units given as label counts (each unit: count per label); units with
/// fewer than two ratings are ignored. None when undefined.
pub fn fleiss(units: &[Vec<usize>]) -> Option<f64> {
    let units: Vec<&Vec<usize>> = units
        .iter()
        .filter(|u| u.iter().sum::<usize>() >= 2)
        .collect();
    if units.is_empty() {
        return None;
    }
    let k = units.iter().map(|u| u.len()).max().unwrap_or(0);
    let mut total = vec![0.0; k];
    let mut all = 0.0;
    let mut p_bar = 0.0;
    for u in &units {
        let n: usize = u.iter().sum();
        let agree: usize = u.iter().map(|&c| c * c.saturating_sub(1)).sum();
        p_bar += agree as f64 / (n * (n - 1)) as f64;
        for (j, &c) in u.iter().enumerate() {
            total[j] += c as f64;
        }
        all += n as f64;
    }
    p_bar /= units.len() as f64;
    let pe: f64 = total.iter().map(|t| (t / all) * (t / all)).sum();
    if (1.0 - pe).abs() < 1e-12 {
        return None;
    }
    Some((p_bar - pe) / (1.0 - pe))
}

/// The decisions of each file still in force (undo sequence numbers are per file).
pub fn live_of(files: &[Vec<Decision>]) -> Vec<&Decision> {
    files.iter().flat_map(|f| live(f)).collect()
}

/// The units of a task: the questions answered (not left unsure) by at least two annotators,
/// from label decisions still in force (`live`; adjudications are not ratings).
pub fn units(live: &[&Decision]) -> (Vec<Unit>, Vec<Unit>) {
    // id -> annotator -> the annotator's last live label decision.
    let mut by_id: BTreeMap<String, BTreeMap<String, &Decision>> = BTreeMap::new();
    for &d in live {
        if d.meta.action == Action::Label {
            by_id
                .entry(d.record.article.id.clone())
                .or_default()
                .insert(d.meta.annotator.clone(), d);
        }
    }
    let mut stance = Vec::new();
    let mut sentiment = Vec::new();
    for (id, by_ann) in by_id {
        if by_ann.len() < 2 {
            continue;
        }
        let mut actors: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
        let mut sent = Vec::new();
        for (ann, d) in &by_ann {
            for (actor, label) in &d.record.stance {
                actors
                    .entry(actor.clone())
                    .or_default()
                    .push((ann.clone(), label.clone()));
            }
            if let Some(s) = &d.record.sentiment {
                sent.push((ann.clone(), s.clone()));
            }
        }
        for (actor, ratings) in actors {
            if ratings.len() >= 2 {
                stance.push(Unit {
                    id: id.clone(),
                    actor: Some(actor),
                    ratings,
                });
            }
        }
        if sent.len() >= 2 {
            sentiment.push(Unit {
                id: id.clone(),
                actor: None,
                ratings: sent,
            });
        }
    }
    (stance, sentiment)
}

/// Agreement over a set of units.
#[derive(Debug, Clone, PartialEq)]
pub struct Agreement {
    /// Questions compared.
    pub n: usize,
    /// Ratings in them.
    pub ratings: usize,
    /// Share of pairs of ratings of one question that agree.
    pub observed: f64,
    /// "cohen" or "fleiss".
    pub method: &'static str,
    /// Cohen's or Fleiss' kappa; None when there is nothing to compare or chance agreement is 1.
    pub kappa: Option<f64>,
}

/// Agreement of `units`: Cohen's kappa when exactly two annotators rated them all, Fleiss'
/// otherwise.
pub fn agreement(units: &[&Unit]) -> Agreement {
    let annotators: BTreeSet<&str> = units
        .iter()
        .flat_map(|u| u.ratings.iter().map(|r| r.0.as_str()))
        .collect();
    let ratings: usize = units.iter().map(|u| u.ratings.len()).sum();
    let (mut agree_pairs, mut pairs) = (0usize, 0usize);
    for u in units {
        for i in 0..u.ratings.len() {
            for j in i + 1..u.ratings.len() {
                pairs += 1;
                if u.ratings[i].1 == u.ratings[j].1 {
                    agree_pairs += 1;
                }
            }
        }
    }
    let observed = if pairs == 0 {
        0.0
    } else {
        agree_pairs as f64 / pairs as f64
    };
    if annotators.len() == 2 {
        let first = *annotators.iter().next().expect("two");
        let paired: Vec<(&str, &str)> = units
            .iter()
            .filter(|u| u.ratings.len() == 2)
            .map(|u| {
                let (a, b) = (&u.ratings[0], &u.ratings[1]);
                if a.0 == first {
                    (a.1.as_str(), b.1.as_str())
                } else {
                    (b.1.as_str(), a.1.as_str())
                }
            })
            .collect();
        return Agreement {
            n: units.len(),
            ratings,
            observed,
            method: "cohen",
            kappa: cohen(&paired),
        };
    }
    let labels: BTreeSet<&str> = units
        .iter()
        .flat_map(|u| u.ratings.iter().map(|r| r.1.as_str()))
        .collect();
    let labels: Vec<&str> = labels.into_iter().collect();
    let counts: Vec<Vec<usize>> = units
        .iter()
        .map(|u| {
            labels
                .iter()
                .map(|l| u.ratings.iter().filter(|r| r.1 == *l).count())
                .collect()
        })
        .collect();
    Agreement {
        n: units.len(),
        ratings,
        observed,
        method: "fleiss",
        kappa: fleiss(&counts),
    }
}

/// The units with every label other than `label` folded into one ("rest").
pub fn one_vs_rest(units: &[&Unit], label: &str) -> Vec<Unit> {
    units
        .iter()
        .map(|u| Unit {
            id: u.id.clone(),
            actor: u.actor.clone(),
            ratings: u
                .ratings
                .iter()
                .map(|(a, l)| {
                    (
                        a.clone(),
                        if l == label {
                            l.clone()
                        } else {
                            "\0rest".into()
                        },
                    )
                })
                .collect(),
        })
        .collect()
}

/// One row of the agreement report.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// "stance" or "sentiment".
    pub task: String,
    /// "all", "actor", "label" or "pair".
    pub by: String,
    /// The actor, label or annotator pair of the row (empty for "all").
    pub key: String,
    /// The agreement of the row's questions.
    pub agreement: Agreement,
}

/// The whole agreement report over the decisions of one or more files.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Every annotator found, sorted.
    pub annotators: Vec<String>,
    /// Articles labeled by two or more annotators.
    pub articles: usize,
    /// Per task: one row over all questions, then rows by label, by actor and by annotator pair.
    pub rows: Vec<Row>,
}

/// The agreement report over decisions in force (see [`live_of`]).
pub fn report(live: &[&Decision]) -> Report {
    let (stance, sentiment) = units(live);
    let mut annotators: BTreeSet<String> = BTreeSet::new();
    let mut articles: BTreeSet<&str> = BTreeSet::new();
    for u in stance.iter().chain(&sentiment) {
        articles.insert(&u.id);
        for r in &u.ratings {
            annotators.insert(r.0.clone());
        }
    }
    let mut rows = Vec::new();
    for (task, units) in [("stance", &stance), ("sentiment", &sentiment)] {
        if units.is_empty() {
            continue;
        }
        let all: Vec<&Unit> = units.iter().collect();
        rows.push(Row {
            task: task.into(),
            by: "all".into(),
            key: String::new(),
            agreement: agreement(&all),
        });
        let labels: BTreeSet<&str> = all
            .iter()
            .flat_map(|u| u.ratings.iter().map(|r| r.1.as_str()))
            .collect();
        for l in labels {
            let folded = one_vs_rest(&all, l);
            let refs: Vec<&Unit> = folded.iter().collect();
            rows.push(Row {
                task: task.into(),
                by: "label".into(),
                key: l.to_string(),
                agreement: agreement(&refs),
            });
        }
        if task == "stance" {
            let actors: BTreeSet<&str> = all.iter().filter_map(|u| u.actor.as_deref()).collect();
            for a in actors {
                let of: Vec<&Unit> = all
                    .iter()
                    .copied()
                    .filter(|u| u.actor.as_deref() == Some(a))
                    .collect();
                rows.push(Row {
                    task: task.into(),
                    by: "actor".into(),
                    key: a.to_string(),
                    agreement: agreement(&of),
                });
            }
        }
        if annotators.len() > 2 {
            let list: Vec<&String> = annotators.iter().collect();
            for i in 0..list.len() {
                for j in i + 1..list.len() {
                    let pair: Vec<Unit> = all
                        .iter()
                        .filter_map(|u| {
                            let a = u.ratings.iter().find(|r| &r.0 == list[i])?;
                            let b = u.ratings.iter().find(|r| &r.0 == list[j])?;
                            Some(Unit {
                                id: u.id.clone(),
                                actor: u.actor.clone(),
                                ratings: vec![a.clone(), b.clone()],
                            })
                        })
                        .collect();
                    if pair.is_empty() {
                        continue;
                    }
                    let refs: Vec<&Unit> = pair.iter().collect();
                    rows.push(Row {
                        task: task.into(),
                        by: "pair".into(),
                        key: format!("{} + {}", list[i], list[j]),
                        agreement: agreement(&refs),
                    });
                }
            }
        }
    }
    Report {
        annotators: annotators.into_iter().collect(),
        articles: articles.len(),
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The textbook 2×2 case: 50 items, yes/yes 20, yes/no 5, no/yes 10, no/no 15.
    /// p_o = 35/50 = 0.7; A says yes 25/50, B 30/50: p_e = 0.5·0.6 + 0.5·0.4 = 0.5;
    /// kappa = (0.7 − 0.5)/(1 − 0.5) = 0.4.
    #[test]
    fn cohen_by_hand() {
        let mut pairs = Vec::new();
        pairs.extend(std::iter::repeat_n(("yes", "yes"), 20));
        pairs.extend(std::iter::repeat_n(("yes", "no"), 5));
        pairs.extend(std::iter::repeat_n(("no", "yes"), 10));
        pairs.extend(std::iter::repeat_n(("no", "no"), 15));
        assert!((cohen(&pairs).unwrap() - 0.4).abs() < 1e-12);
        // Three labels, 6 items: a/a, a/a, f/f, f/n, n/n, n/a.
        // p_o = 4/6; A: a 2, f 2, n 2; B: a 3, f 1, n 2; p_e = (2·3 + 2·1 + 2·2)/36 = 12/36;
        // kappa = (4/6 − 1/3)/(1 − 1/3) = 0.5.
        let p = [
            ("a", "a"),
            ("a", "a"),
            ("f", "f"),
            ("f", "n"),
            ("n", "n"),
            ("n", "a"),
        ];
        assert!((cohen(&p).unwrap() - 0.5).abs() < 1e-12);
        assert_eq!(cohen(&[("a", "a"), ("a", "a")]), None);
        assert_eq!(cohen(&[]), None);
    }

    /// Fleiss' (1971) style example: 10 subjects, 14 raters, 5 categories; P̄ = 0.378,
    /// P̄e = 0.213, kappa = 0.210.
    #[test]
    fn fleiss_textbook_example() {
        let table = vec![
            vec![0, 0, 0, 0, 14],
            vec![0, 2, 6, 4, 2],
            vec![0, 0, 3, 5, 6],
            vec![0, 3, 9, 2, 0],
            vec![2, 2, 8, 1, 1],
            vec![7, 7, 0, 0, 0],
            vec![3, 2, 6, 3, 0],
            vec![2, 5, 3, 2, 2],
            vec![6, 5, 2, 1, 0],
            vec![0, 2, 2, 3, 7],
        ];
        let k = fleiss(&table).unwrap();
        assert!((k - 0.20993).abs() < 5e-5, "{k}");
    }

    /// By hand, three raters on three items: (3,0), (2,1), (0,3) of labels x, y.
    /// P_i = 1, 1/3, 1: P̄ = 7/9; p_x = 5/9, p_y = 4/9: P̄e = 41/81;
    /// kappa = (7/9 − 41/81)/(1 − 41/81) = (63 − 41)/(81 − 41) = 22/40 = 0.55.
    #[test]
    fn fleiss_by_hand_and_with_two_raters_like_cohen() {
        let k = fleiss(&[vec![3, 0], vec![2, 1], vec![0, 3]]).unwrap();
        assert!((k - 0.55).abs() < 1e-12, "{k}");
        // A unit with one rating is ignored.
        let k2 = fleiss(&[vec![3, 0], vec![2, 1], vec![0, 3], vec![1, 0]]).unwrap();
        assert!((k2 - 0.55).abs() < 1e-12);
        assert_eq!(fleiss(&[vec![1, 0]]), None);
    }

    #[test]
    fn agreement_picks_the_method() {
        let u = |id: &str, r: &[(&str, &str)]| Unit {
            id: id.into(),
            actor: Some("Iran".into()),
            ratings: r
                .iter()
                .map(|(a, l)| (a.to_string(), l.to_string()))
                .collect(),
        };
        let two = [
            u("1", &[("ana", "a"), ("bo", "a")]),
            u("2", &[("bo", "f"), ("ana", "f")]),
            u("3", &[("ana", "f"), ("bo", "n")]),
            u("4", &[("ana", "n"), ("bo", "n")]),
        ];
        let refs: Vec<&Unit> = two.iter().collect();
        let a = agreement(&refs);
        assert_eq!(a.method, "cohen");
        // ana: a, f, f, n; bo: a, f, n, n. p_o = 3/4; p_e = (1·1 + 2·1 + 1·2)/16 = 5/16;
        // kappa = (12/16 − 5/16)/(11/16) = 7/11.
        assert!((a.kappa.unwrap() - 7.0 / 11.0).abs() < 1e-12);
        assert!((a.observed - 0.75).abs() < 1e-12);
        let three = [
            u("1", &[("ana", "x"), ("bo", "x"), ("cy", "x")]),
            u("2", &[("ana", "x"), ("bo", "x"), ("cy", "y")]),
            u("3", &[("ana", "y"), ("bo", "y"), ("cy", "y")]),
        ];
        let refs: Vec<&Unit> = three.iter().collect();
        let a = agreement(&refs);
        assert_eq!(a.method, "fleiss");
        assert!((a.kappa.unwrap() - 0.55).abs() < 1e-12);
    }
}
