//! The hand-labeled starter corpus in `data/`: loaded with the project's own reader, and checked
//! against what data/README.md promises (counts, shares, hard cases, agreement).

use stance::corpus::{read_labeled, ReadOptions};
use stance::metrics::cohen_kappa;
use stance::Registry;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;

const ARTICLES: &str = "data/articles.jsonl";

fn load() -> Vec<stance::LabeledArticle> {
    let (articles, errors) =
        read_labeled(&[ARTICLES.to_string()], &ReadOptions::default()).unwrap();
    assert!(errors.is_empty(), "bad records: {errors:?}");
    articles
}

fn raw() -> Vec<serde_json::Value> {
    std::fs::read_to_string(ARTICLES)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn counts_and_label_shares() {
    let articles = load();
    assert!(articles.len() >= 200, "{} articles", articles.len());
    for a in &articles {
        let words = a.article.text.split_whitespace().count();
        assert!(
            (80..=500).contains(&words),
            "{}: {words} words",
            a.article.id
        );
        assert!(
            a.article.title.is_some() && a.article.date.is_some() && a.article.source.is_some()
        );
        assert!(a.sentiment.is_some(), "{} has no sentiment", a.article.id);
    }
    let ids: HashSet<&str> = articles.iter().map(|a| a.article.id.as_str()).collect();
    assert_eq!(ids.len(), articles.len(), "ids must be unique");
    let mut stance: BTreeMap<&str, usize> = BTreeMap::new();
    for a in &articles {
        for (_, l) in &a.stance {
            *stance.entry(l.as_str()).or_default() += 1;
        }
    }
    let total: usize = stance.values().sum();
    assert!(total >= 700, "{total} stance labels");
    assert_eq!(
        stance.keys().copied().collect::<Vec<_>>(),
        vec!["against", "favor", "neutral"]
    );
    for (l, n) in &stance {
        assert!(*n as f64 >= 0.2 * total as f64, "{l}: {n} of {total}");
    }
    let sentiments: BTreeSet<&str> = articles
        .iter()
        .filter_map(|a| a.sentiment.as_deref())
        .collect();
    assert_eq!(
        sentiments.into_iter().collect::<Vec<_>>(),
        vec!["negative", "neutral", "positive"]
    );
}

#[test]
fn sources_and_months() {
    let articles = load();
    let sources: BTreeSet<&str> = articles
        .iter()
        .filter_map(|a| a.article.source.as_deref())
        .collect();
    assert!(sources.len() >= 8, "{sources:?}");
    let months: BTreeSet<&str> = articles.iter().filter_map(|a| a.article.month()).collect();
    assert!(months.len() >= 6, "{months:?}");
}

#[test]
fn hard_cases_each_in_a_tenth_of_articles_and_tags_agree_with_labels() {
    let recs = raw();
    let n = recs.len();
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    for r in &recs {
        let tags: Vec<&str> = r["hard"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        for t in &tags {
            *count.entry(t.to_string()).or_default() += 1;
        }
        let labels: BTreeSet<&str> = r["stance"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_str().unwrap())
            .collect();
        if tags.contains(&"mixed") {
            assert!(
                labels.len() >= 2,
                "{} tagged mixed with labels {labels:?}",
                r["id"]
            );
        }
        if tags.contains(&"wire_violence") {
            assert_eq!(r["sentiment"], "negative", "{}", r["id"]);
        }
    }
    for tag in [
        "mixed",
        "reported_speech",
        "negation_hedging",
        "alias_only",
        "wire_violence",
    ] {
        let c = count.get(tag).copied().unwrap_or(0);
        assert!(c * 10 >= n, "{tag}: {c} of {n} articles");
    }
}

#[test]
fn every_labeled_actor_is_named_and_every_named_actor_labeled() {
    let reg = Registry::from_toml_file(Path::new("data/actors.toml")).unwrap();
    assert!(reg.len() >= 12);
    for a in load() {
        let named: BTreeSet<&str> = reg
            .mentions(&a.article.text)
            .iter()
            .map(|m| reg.name(m.actor))
            .collect();
        let labeled: BTreeSet<&str> = a.stance.iter().map(|(x, _)| x.as_str()).collect();
        assert_eq!(labeled, named, "article {}", a.article.id);
    }
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn pass(path: &str) -> BTreeMap<String, serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (v["id"].as_str().unwrap().to_string(), v)
        })
        .collect()
}

#[test]
fn agreement_figures_in_the_readme_are_the_ones_the_files_give() {
    let first = pass("data/agreement/first_pass.jsonl");
    let second = pass("data/agreement/second_pass.jsonl");
    assert!(second.len() >= 60);
    let (mut a, mut b, mut sa, mut sb) = (vec![], vec![], vec![], vec![]);
    for (id, s) in &second {
        let f = &first[id];
        for (actor, l) in s["stance"].as_object().unwrap() {
            a.push(f["stance"][actor].as_str().unwrap().to_string());
            b.push(l.as_str().unwrap().to_string());
        }
        sa.push(f["sentiment"].as_str().unwrap().to_string());
        sb.push(s["sentiment"].as_str().unwrap().to_string());
    }
    let k_stance = cohen_kappa(&strs(&a), &strs(&b));
    let k_sent = cohen_kappa(&strs(&sa), &strs(&sb));
    let readme = std::fs::read_to_string("data/README.md").unwrap();
    assert!(
        readme.contains(&format!("stance kappa {k_stance:.3}")),
        "stance kappa {k_stance:.3} not in data/README.md"
    );
    assert!(
        readme.contains(&format!("sentiment kappa {k_sent:.3}")),
        "sentiment kappa {k_sent:.3} not in data/README.md"
    );
}

#[test]
fn no_text_copied_from_the_seeds() {
    let seeds = Path::new("../shared/seeds");
    if !seeds.is_dir() {
        eprintln!("skipped: ../shared/seeds is absent");
        return;
    }
    let shingles = |t: &str| -> HashSet<String> {
        let w: Vec<String> = t.split_whitespace().map(|w| w.to_lowercase()).collect();
        w.windows(8).map(|x| x.join(" ")).collect()
    };
    let mut seed_sh = HashSet::new();
    for e in std::fs::read_dir(seeds).unwrap() {
        seed_sh.extend(shingles(
            &std::fs::read_to_string(e.unwrap().path()).unwrap(),
        ));
    }
    for a in load() {
        let common: Vec<_> = shingles(&a.article.text)
            .intersection(&seed_sh)
            .cloned()
            .collect();
        assert!(
            common.is_empty(),
            "{} shares text with a seed: {common:?}",
            a.article.id
        );
    }
}
