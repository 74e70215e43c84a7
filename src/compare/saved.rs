//! The per-group summaries of a comparison ([`Groups`]) as a JSON file, so that partitions of
//! the scores can be summarised apart (by `stance compare --save-summary`, or by any job that
//! writes the same format) and merged to finish the comparison (`--from-summary`).
//!
//! The format, version 1 (README, "Comparing at scale"):
//!
//! ```json
//! {"format": "stance-compare-summary", "version": 1,
//!  "by": "source", "actors": [], "exact_limit": 1000,
//!  "labels": ["against", "favor", "neutral"], "labels_from_model": true,
//!  "articles": 208, "field_found": true, "fields_seen": [],
//!  "groups": [
//!   {"group": "Meridian Wire", "actor": "Iran", "n": 2, "scored": 2,
//!    "articles": [{"p": [0.7, 0.1, 0.2], "score": -0.6}, {"p": [0.2, 0.2, 0.6], "score": 0.0}]},
//!   {"group": "Daily Example", "actor": "Russia", "n": 5000, "scored": 5000,
//!    "bins": [{"at": [70, 10, 20, 0], "count": 3, "sum": [2.1, 0.3, 0.6], "score_sum": -1.8}]}
//!  ]}
//! ```
//!
//! A group is held article by article (`articles`: each article's probabilities in the order
//! of `labels`, and its score or null) or as bins (`bins`: `at` is each label's probability
//! times 100, rounded, then the index of the predicted label, the first largest
//! probability; `count` articles, the sums of their probabilities and of their scores).
//! Groups are merged in the order the files are given: articles are appended (so a group
//! that stays within `exact_limit` is exactly what one run over the whole input holds), bins
//! with the same `at` added. A group may also hold `unseen`: how many of its articles come
//! from sources the model given when saving does not know (absent means 0); merged by sum.

use super::summary::{Bin, Group, Groups, Store};
use super::CompareOptions;
use super::GroupBy;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The `format` field of a summary file.
pub const FORMAT: &str = "stance-compare-summary";
/// The version this build writes and reads.
pub const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    format: String,
    version: u32,
    by: String,
    actors: Vec<String>,
    exact_limit: usize,
    labels: Vec<String>,
    labels_from_model: bool,
    articles: usize,
    field_found: bool,
    fields_seen: Vec<String>,
    groups: Vec<SavedGroup>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedGroup {
    group: String,
    actor: String,
    n: usize,
    scored: usize,
    /// Articles from sources the model given when saving does not know.
    #[serde(default, skip_serializing_if = "is_zero")]
    unseen: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    articles: Option<Vec<SavedArticle>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    bins: Option<Vec<SavedBin>>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedArticle {
    p: Vec<f64>,
    score: Option<f64>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedBin {
    at: Vec<u16>,
    count: u64,
    sum: Vec<f64>,
    score_sum: f64,
}

/// The summary file of `groups`, as JSON.
pub fn to_json(groups: &Groups) -> String {
    let k = groups.labels.len().max(1);
    let cells = groups.cells.iter().map(|((g, a), c)| {
        let (articles, bins) = match &c.store {
            Store::Rows { probs, scores } => (
                Some(
                    probs
                        .chunks(k)
                        .zip(scores)
                        .map(|(p, s)| SavedArticle {
                            p: p.to_vec(),
                            score: *s,
                        })
                        .collect(),
                ),
                None,
            ),
            Store::Bins(map) => (
                None,
                Some(
                    map.iter()
                        .map(|(at, b)| SavedBin {
                            at: at.clone(),
                            count: b.count,
                            sum: b.sum.clone(),
                            score_sum: b.score_sum,
                        })
                        .collect(),
                ),
            ),
        };
        SavedGroup {
            group: g.clone(),
            actor: a.clone(),
            n: c.n,
            scored: c.scored,
            unseen: c.unseen,
            articles,
            bins,
        }
    });
    let file = File {
        format: FORMAT.into(),
        version: VERSION,
        by: groups.by.to_string(),
        actors: groups.actors.clone(),
        exact_limit: groups.limit,
        labels: groups.labels.clone(),
        labels_from_model: groups.fixed,
        articles: groups.articles,
        field_found: groups.field_found,
        fields_seen: groups.fields_seen.iter().cloned().collect(),
        groups: cells.collect(),
    };
    let mut s = serde_json::to_string(&file).expect("a summary serialises");
    s.push('\n');
    s
}

/// The groups of one summary file's text; errors name the file and the group.
pub fn from_json(path: &Path, text: &str) -> Result<Groups, String> {
    let name = path.display();
    let file: File = serde_json::from_str(text).map_err(|e| {
        format!(
            "{name}: line {}, column {}: not a summary of `stance compare --save-summary`: {e}",
            e.line(),
            e.column()
        )
    })?;
    if file.format != FORMAT || file.version != VERSION {
        return Err(format!(
            "{name}: field \"format\"/\"version\": \"{}\" version {}, but this build reads \"{FORMAT}\" version {VERSION}",
            file.format, file.version
        ));
    }
    let k = file.labels.len();
    if k == 0 && !file.groups.is_empty() {
        return Err(format!(
            "{name}: field \"labels\": empty, but there are groups"
        ));
    }
    let by: GroupBy = file
        .by
        .parse()
        .map_err(|e| format!("{name}: field \"by\": {e}"))?;
    let mut cells = BTreeMap::new();
    for (i, g) in file.groups.into_iter().enumerate() {
        let at = format!(
            "{name}: groups[{i}] (\"{}\", actor \"{}\")",
            g.group, g.actor
        );
        let key = (g.group.clone(), g.actor.clone());
        let group = group_of(g, k, file.exact_limit).map_err(|e| format!("{at}: {e}"))?;
        if cells.insert(key, group).is_some() {
            return Err(format!("{at}: the same group and actor twice"));
        }
    }
    Ok(Groups {
        by,
        actors: file.actors,
        limit: file.exact_limit,
        labels: file.labels,
        fixed: file.labels_from_model,
        cells,
        field_found: file.field_found,
        fields_seen: file.fields_seen.into_iter().collect::<BTreeSet<_>>(),
        articles: file.articles,
        // Unseen articles were counted when the summary was saved.
        known_sources: None,
        only: None,
        seen: BTreeSet::new(),
        seen_more: false,
    })
}

/// One group, checked: its counts agree with what it holds, every row has `k` values.
fn group_of(g: SavedGroup, k: usize, limit: usize) -> Result<Group, String> {
    let store = match (g.articles, g.bins) {
        (Some(rows), None) => {
            let mut probs = Vec::with_capacity(rows.len() * k);
            let mut scores = Vec::with_capacity(rows.len());
            for (j, r) in rows.into_iter().enumerate() {
                check_probs(&r.p, k).map_err(|e| format!("field \"articles[{j}].p\": {e}"))?;
                probs.extend_from_slice(&r.p);
                scores.push(r.score);
            }
            let scored = scores.iter().flatten().count();
            if scores.len() != g.n || scored != g.scored {
                return Err(format!(
                    "fields \"n\" {} and \"scored\" {}, but it holds {} articles, {scored} with a score",
                    g.n,
                    g.scored,
                    scores.len()
                ));
            }
            Store::Rows { probs, scores }
        }
        (None, Some(bins)) => {
            let mut map = BTreeMap::new();
            let mut n = 0u64;
            for (j, b) in bins.into_iter().enumerate() {
                check_bin(&b, k).map_err(|e| format!("field \"bins[{j}]\": {e}"))?;
                n += b.count;
                let bin = Bin {
                    count: b.count,
                    sum: b.sum,
                    score_sum: b.score_sum,
                };
                if map.insert(b.at, bin).is_some() {
                    return Err(format!("field \"bins[{j}].at\": a bin given twice"));
                }
            }
            if n != g.n as u64 || g.scored > g.n {
                return Err(format!(
                    "fields \"n\" {} and \"scored\" {}, but its bins hold {n} articles",
                    g.n, g.scored
                ));
            }
            Store::Bins(map)
        }
        _ => return Err("needs either \"articles\" or \"bins\", not both or neither".into()),
    };
    if g.unseen > g.n {
        return Err(format!(
            "field \"unseen\" {} is more than its {} articles",
            g.unseen, g.n
        ));
    }
    let mut group = Group {
        n: g.n,
        scored: g.scored,
        unseen: g.unseen,
        k,
        store,
    };
    if group.n > limit {
        group.switch_to_bins();
    }
    Ok(group)
}

fn check_probs(p: &[f64], k: usize) -> Result<(), String> {
    if p.len() != k {
        return Err(format!("{} probabilities for {k} labels", p.len()));
    }
    if let Some(x) = p.iter().find(|x| !(0.0..=1.0).contains(*x)) {
        return Err(format!("a probability of {x}, outside [0, 1]"));
    }
    Ok(())
}

fn check_bin(b: &SavedBin, k: usize) -> Result<(), String> {
    if b.at.len() != k + 1 || b.sum.len() != k {
        return Err(format!(
            "\"at\" has {} values and \"sum\" {}, for {k} labels ({} and {k} expected)",
            b.at.len(),
            b.sum.len(),
            k + 1
        ));
    }
    if b.count == 0 {
        return Err("\"count\" is 0".into());
    }
    if usize::from(b.at[k]) >= k || b.at[..k].iter().any(|&x| x > 100) {
        return Err(format!(
            "\"at\" {:?}: each probability step must be 0..=100 and the label index below {k}",
            b.at
        ));
    }
    if !b.score_sum.is_finite() || b.sum.iter().any(|x| !x.is_finite() || *x < 0.0) {
        return Err("\"sum\" or \"score_sum\" is not a finite number (a sum of probabilities is never negative)".into());
    }
    Ok(())
}

/// Merges the summaries of `parts` (in order) into the first, checking that they were made
/// with the same options and labels.
pub fn merge_all(parts: Vec<(String, Groups)>) -> Result<Groups, String> {
    let mut it = parts.into_iter();
    let Some((first_name, mut all)) = it.next() else {
        return Err("no summary to merge".into());
    };
    for (name, g) in it {
        if g.cells.is_empty() && g.labels.is_empty() {
            // An empty partition read without a model: it has no labels to agree with.
            all.articles += g.articles;
            continue;
        }
        if all.cells.is_empty() && all.labels.is_empty() {
            all.labels = g.labels.clone();
            all.fixed = g.fixed;
        }
        let differ = |what: &str, a: String, b: String| {
            format!("{name}: field \"{what}\" is {b}, but {first_name} has {a}: summaries of one comparison must agree")
        };
        if g.by != all.by {
            return Err(differ("by", all.by.to_string(), g.by.to_string()));
        }
        if g.actors != all.actors {
            return Err(differ(
                "actors",
                format!("{:?}", all.actors),
                format!("{:?}", g.actors),
            ));
        }
        if g.limit != all.limit {
            return Err(differ(
                "exact_limit",
                all.limit.to_string(),
                g.limit.to_string(),
            ));
        }
        if g.labels != all.labels {
            return Err(differ(
                "labels",
                format!("{:?}", all.labels),
                format!("{:?}", g.labels),
            ));
        }
        all.fixed &= g.fixed;
        all.merge(g);
    }
    Ok(all)
}

/// The summary files `paths`, read and merged in order, checked against the options of the
/// comparison they finish (the same `--by`, `--actor` and `--exact-limit` they were made
/// with) and against the model's labels (`labels`, None without a model).
pub fn read_all(
    paths: &[String],
    opts: &CompareOptions,
    labels: Option<&[String]>,
) -> crate::Result<Groups> {
    let mut parts = Vec::with_capacity(paths.len());
    for p in paths {
        let path = Path::new(p);
        let text = std::fs::read_to_string(path).map_err(|e| crate::Error::io(path, e))?;
        parts.push((
            p.clone(),
            from_json(path, &text).map_err(crate::Error::Config)?,
        ));
    }
    let first = paths.first().map_or("", String::as_str).to_string();
    let all = merge_all(parts).map_err(crate::Error::Config)?;
    let mismatch = |what: &str, saved: String, given: String| {
        crate::Error::Config(format!(
            "{first}: the summaries were made with {what} {saved}, this comparison has {what} {given}: pass the same {what}"
        ))
    };
    if all.by != opts.by {
        return Err(mismatch("--by", all.by.to_string(), opts.by.to_string()));
    }
    if all.actors != opts.actors {
        return Err(mismatch(
            "--actor",
            format!("{:?}", all.actors),
            format!("{:?}", opts.actors),
        ));
    }
    if all.limit != opts.exact_limit {
        return Err(mismatch(
            "--exact-limit",
            all.limit.to_string(),
            opts.exact_limit.to_string(),
        ));
    }
    if let Some(l) = labels {
        if !all.labels.is_empty() && all.labels != l {
            return Err(crate::Error::Config(format!(
                "{first}: the summaries have the labels {:?}, the model {:?}: summarise with the model that made the scores",
                all.labels, l
            )));
        }
    }
    Ok(all)
}
