//! Unit tests of the comparison: estimates, intervals and differences on small score sets.

use super::*;
use crate::pipeline::ActorScore;

impl ModelView {
    /// Without a model: the labels seen in the scores, favor/against recognised by name.
    fn from_scores(articles: &[ArticleScore]) -> ModelView {
        let mut labels: Vec<String> = articles
            .iter()
            .flat_map(|a| {
                a.actors
                    .iter()
                    .flat_map(|s| s.probabilities.keys().cloned())
            })
            .collect();
        labels.sort();
        labels.dedup();
        ModelView {
            labels: LabelSet::recognised(labels),
            ..ModelView::default()
        }
    }
}

/// The summaries of `articles` by `opts`, with `view`'s labels.
fn groups(articles: &[ArticleScore], opts: &CompareOptions, view: &ModelView) -> Groups {
    let mut g = Groups::new(opts, Some(view.labels.names()));
    for a in articles {
        g.add(a);
    }
    g
}

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
            matches: Vec::new(),
            actor: actor.into(),
            mentions: 1,
            label: label.into(),
            probabilities: p,
            score: Some(score),
            evidence: vec![],
        }],
        fields: BTreeMap::from([("desk".to_string(), format!("{source}-desk"))]),
        model: None,
    }
}

#[test]
fn articles_of_unseen_sources_get_the_unseen_widening() {
    // Source "A" is known, "B" is not. The base widening is none (w 1, τ 0), the unseen
    // one a floor of 0.3 on the shares and 0.6 on the net, with expected errors 0.1 and 0.5.
    let arts = vec![
        art("A", "2023-10-01", "Iran", "against", -0.5),
        art("A", "2023-11-01", "Iran", "favor", 0.5),
        art("B", "2023-11-02", "Iran", "against", -1.0),
        art("B", "2023-11-03", "Iran", "favor", 0.6),
    ];
    let mut view = ModelView::from_scores(&arts);
    let size = |net_mae| vec![quantify::select::SizeError { size: 10, net_mae }];
    view.choice = Some(quantify::select::Choice {
        estimator: Estimator::Pcc,
        widen: 1.0,
        floor: 0.0,
        net_widen: 1.0,
        net_floor: 0.0,
        coverage: 0.95,
        expected: size(0.1),
        candidates: Vec::new(),
        app_groups: 0,
        real_groups: 0,
        unseen: Some(quantify::select::Unseen {
            sources: vec!["A".into()],
            folds: 2,
            widening: quantify::select::Widening {
                widen: 1.0,
                floor: 0.3,
                net_widen: 1.0,
                net_floor: 0.6,
                coverage: 0.95,
            },
            expected: size(0.5),
        }),
    });
    let pcc = CompareOptions {
        estimator: Estimator::Pcc,
        ..CompareOptions::default()
    };
    let half = |s: &Shares, c: usize| (s.share[c] - s.low[c], s.high[c] - s.share[c]);
    for by in [GroupBy::Source, GroupBy::All] {
        let opts = CompareOptions {
            by: by.clone(),
            ..CompareOptions::default()
        };
        let auto = compare(&arts, &opts, &view);
        let plain = compare(&arts, &CompareOptions { by, ..pcc.clone() }, &view);
        for (p, a) in plain.iter().zip(&auto) {
            // Share of unseen articles: A 0, B 1, all 0.5; τ mixed in proportion.
            let f = match a.group.as_str() {
                "A" => 0.0,
                "B" => 1.0,
                _ => 0.5,
            };
            let tau: f64 = 0.3 * f;
            let (p, a_s) = (p.chosen(), a.chosen());
            for c in 0..2 {
                let (lo, hi) = half(p, c);
                let want_lo = (p.share[c] - (lo * lo + tau * tau).sqrt()).max(0.0);
                let want_hi = (p.share[c] + (hi * hi + tau * tau).sqrt()).min(1.0);
                assert!((a_s.low[c] - want_lo).abs() < 1e-12, "{} low", a.group);
                assert!((a_s.high[c] - want_hi).abs() < 1e-12, "{} high", a.group);
            }
            let want = 0.1 + f * (0.5 - 0.1);
            assert!(
                (a.expected_error.unwrap() - want).abs() < 1e-12,
                "{}",
                a.group
            );
        }
        assert!(!plain.is_empty());
    }
}

#[test]
fn only_groups_keeps_two_groups_and_a_bounded_list_of_the_others() {
    let mut arts: Vec<ArticleScore> = (0..summary::SEEN_NAMES + 5)
        .map(|i| {
            let mut a = art("S", "2023-10-01", "Iran", "favor", 0.5);
            a.id = format!("a{i:05}");
            a
        })
        .collect();
    arts.push(art("T", "2023-10-01", "Iran", "favor", 0.5));
    let view = ModelView::from_scores(&arts);
    let opts = |by: GroupBy| CompareOptions {
        by,
        ..CompareOptions::default()
    };
    let keep = ["a00003".to_string(), "x".to_string()];
    let mut g = Groups::new(
        &opts(GroupBy::Field("id".into())),
        Some(view.labels.names()),
    )
    .only_groups(&keep);
    for a in &arts {
        g.add(a);
    }
    // The two groups kept ("x", T's id, after the list of names is full), every article
    // counted, the first SEEN_NAMES names listed.
    let kept: Vec<&String> = g.cells().keys().map(|(group, _)| group).collect();
    assert_eq!(kept, ["a00003", "x"]);
    assert_eq!(g.articles(), arts.len());
    let (seen, more) = g.seen();
    assert_eq!((seen.len(), more), (summary::SEEN_NAMES, true));
    let mut g = Groups::new(&opts(GroupBy::Source), Some(view.labels.names()))
        .only_groups(&["T".to_string()]);
    for a in &arts {
        g.add(a);
    }
    assert_eq!(g.cells().len(), 1);
    assert_eq!(
        g.seen(),
        (&["S".to_string(), "T".to_string()].into(), false)
    );
}

#[test]
fn signed_never_prints_minus_zero() {
    assert_eq!(signed(-0.001, 2), "+0.00");
    assert_eq!(signed(-0.0, 3), "+0.000");
    assert_eq!(signed(-0.005001, 2), "-0.01");
    assert_eq!(signed(0.25, 2), "+0.25");
    assert_eq!(signed(-1.0, 2), "-1.00");
}

#[test]
fn group_keys_parse_and_name_missing_fields() {
    let a = art("A", "2023-10-01", "Iran", "against", -0.5);
    let key = |s: &str| s.parse::<GroupBy>().unwrap().key(&a);
    assert_eq!(key("source"), "A");
    assert_eq!(key("month"), "2023-10");
    assert_eq!(key("source-month"), "A 2023-10");
    assert_eq!(key("all"), "all");
    assert_eq!(key("desk"), "A-desk");
    assert_eq!(key("country"), "(no country)");
    assert_eq!("desk".parse::<GroupBy>().unwrap().to_string(), "desk");
    assert!(" ".parse::<GroupBy>().is_err());
    let arts = [a];
    let check = |by: &str| {
        let opts = CompareOptions {
            by: by.parse().unwrap(),
            ..CompareOptions::default()
        };
        groups(&arts, &opts, &ModelView::from_scores(&arts)).check_by()
    };
    assert!(check("desk").is_ok());
    let e = check("country").unwrap_err();
    assert!(
        e.contains("\"country\"") && e.ends_with("carry: desk)"),
        "{e}"
    );
}

#[test]
fn auto_uses_the_models_choice_with_its_widened_intervals() {
    let arts = vec![
        art("A", "2023-10-01", "Iran", "against", -0.5),
        art("A", "2023-11-01", "Iran", "favor", 0.5),
        art("A", "2023-11-02", "Iran", "against", -1.0),
    ];
    let mut view = ModelView::from_scores(&arts);
    view.choice = Some(quantify::select::Choice {
        estimator: Estimator::Pcc,
        widen: 2.0,
        floor: 0.0,
        net_widen: 1.0,
        net_floor: 0.5,
        coverage: 0.95,
        expected: vec![
            quantify::select::SizeError {
                size: 10,
                net_mae: 0.4,
            },
            quantify::select::SizeError {
                size: 100,
                net_mae: 0.2,
            },
        ],
        candidates: Vec::new(),
        app_groups: 0,
        real_groups: 0,
        unseen: None,
    });
    let pcc = compare(
        &arts,
        &CompareOptions {
            estimator: Estimator::Pcc,
            ..CompareOptions::default()
        },
        &view,
    );
    let auto = compare(&arts, &CompareOptions::default(), &view);
    assert_eq!(auto[0].estimator, Estimator::Pcc);
    let (p, a) = (pcc[0].chosen(), auto[0].chosen());
    assert_eq!(p.share, a.share);
    for c in 0..2 {
        // Share half-widths doubled (no floor), clipped to [0, 1].
        let lo = (p.share[c] - 2.0 * (p.share[c] - p.low[c])).max(0.0);
        let hi = (p.share[c] + 2.0 * (p.high[c] - p.share[c])).min(1.0);
        assert!((a.low[c] - lo).abs() < 1e-12 && (a.high[c] - hi).abs() < 1e-12);
    }
    // Net half-widths h become √(h² + 0.5²).
    let ([m, plo, phi], [_, alo, ahi]) = (p.net.unwrap(), a.net.unwrap());
    let lo = (m - ((m - plo).powi(2) + 0.25).sqrt()).max(-1.0);
    let hi = (m + ((phi - m).powi(2) + 0.25).sqrt()).min(1.0);
    assert!((alo - lo).abs() < 1e-12 && (ahi - hi).abs() < 1e-12);
    // No real-use report: the expected error is the inner one at 3 articles (below the
    // smallest inner size, its value there); an explicitly chosen estimator has none.
    assert_eq!(auto[0].expected_error, Some(0.4));
    assert_eq!(pcc[0].expected_error, None);
}

#[test]
fn groups_counts_shares_and_means() {
    let arts = vec![
        art("A", "2023-10-01", "Iran", "against", -0.5),
        art("A", "2023-11-01", "Iran", "favor", 0.5),
        art("A", "2023-11-02", "Iran", "against", -1.0),
        art("B", "2023-10-05", "Iran", "favor", 1.0),
    ];
    let view = ModelView::from_scores(&arts);
    let rows = compare(&arts, &CompareOptions::default(), &view);
    assert_eq!(rows.len(), 2);
    let a = &rows[0];
    assert_eq!((a.group.as_str(), a.n), ("A", 3));
    assert!((a.score.as_ref().unwrap().mean - (-1.0 / 3.0)).abs() < 1e-12);
    assert_eq!(a.labels, vec!["against", "favor"]);
    assert_eq!(a.label_count, vec![2, 1]);
    // Without error rates the headline estimator falls back to PCC: mean P(favor) =
    // (0.25 + 0.75 + 0) / 3; CC gives 1/3 too (one of three predicted favor).
    assert_eq!(a.estimator, Estimator::Pcc);
    assert!((a.chosen().share[1] - 1.0 / 3.0).abs() < 1e-12);
    assert_eq!(a.estimates.len(), 2);
    let net = a.chosen().net.unwrap();
    assert!((net[0] - (1.0 / 3.0 - 2.0 / 3.0)).abs() < 1e-12);
    let by_month = compare(
        &arts,
        &CompareOptions {
            by: GroupBy::Month,
            ..CompareOptions::default()
        },
        &view,
    );
    assert_eq!(by_month[0].group, "2023-10");
    assert_eq!(by_month[0].n, 2);
}

#[test]
fn diff_finds_a_real_difference_and_not_a_null_one() {
    let mut arts = Vec::new();
    for i in 0..30 {
        arts.push(art(
            "A",
            "2023-10-01",
            "Iran",
            "against",
            -0.6 + (i % 3) as f64 * 0.05,
        ));
        arts.push(art(
            "B",
            "2023-10-01",
            "Iran",
            "favor",
            0.4 + (i % 3) as f64 * 0.05,
        ));
        arts.push(art(
            "C",
            "2023-10-01",
            "Iran",
            "favor",
            0.4 + ((i + 1) % 3) as f64 * 0.05,
        ));
    }
    let view = ModelView::from_scores(&arts);
    // Article by article, and as bins (the limit below the groups' 30 articles).
    for exact_limit in [1000, 10] {
        let opts = CompareOptions {
            bootstrap: 300,
            exact_limit,
            ..CompareOptions::default()
        };
        let g = groups(&arts, &opts, &view);
        let d = &diff(&g, "A", "B", &opts, &view, 500)[0];
        assert_eq!((d.n_a, d.n_b), (30, 30));
        assert!((d.score.mean + 1.0).abs() < 1e-9);
        assert!(d.score.high < 0.0);
        assert!(d.score_p < 0.01, "{}", d.score_p);
        let same = &diff(&g, "B", "C", &opts, &view, 500)[0];
        assert!(same.score.low < 0.0 && same.score.high > 0.0);
        assert!(same.score_p > 0.2, "{}", same.score_p);
    }
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
