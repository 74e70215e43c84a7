//! Labeled data ready for training: the articles, their stance examples (one per article and
//! labeled actor) and sentiment labels, the label sets learned from the data, and the actors.

use crate::actors::Registry;
use crate::corpus::{LabeledArticle, Origin, ReadOptions};
use crate::error::{Error, Result};
use crate::labels::Task;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// One stance example: an article, an actor and the label.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    /// Index of the article in [`TrainingSet::articles`].
    pub article: usize,
    /// The actor's name.
    pub actor: String,
    /// Index of the label in [`TrainingSet::stance_classes`].
    pub label: usize,
}

/// One labeled example of either task, as the fitting code sees it: the article, the actor
/// (stance only), the label, and where its context is kept (the stance example's index, or the
/// article's index for sentiment).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TaskExample<'s> {
    /// Index of the article.
    pub article: usize,
    /// The actor, for stance.
    pub actor: Option<&'s str>,
    /// Index of the label in the task's label names.
    pub label: usize,
    /// Index of the context: into the stance examples, or into the articles for sentiment.
    pub slot: usize,
}

/// Labeled data ready for training: articles, the stance examples, the sentiment labels, the
/// label sets, and the actors.
#[derive(Debug, Clone)]
pub struct TrainingSet {
    /// The labeled articles, in the order they were read.
    pub articles: Vec<LabeledArticle>,
    /// The stance examples, article by article.
    pub examples: Vec<Example>,
    /// The stance labels seen in the data, sorted.
    pub stance_classes: Vec<String>,
    /// Per article, the sentiment class if labeled.
    pub sentiment: Vec<Option<usize>>,
    /// The sentiment labels seen in the data, sorted.
    pub sentiment_classes: Vec<String>,
    /// The actors: those of the actors file and those named only in the labels.
    pub registry: Registry,
    /// Things worth knowing that do not stop training (e.g. a label for an actor the text
    /// never names).
    pub warnings: Vec<String>,
}

/// Checks a label set: near-duplicates ("Favor" beside "favor") are an error.
/// The most labels a task may have.
pub const MAX_LABELS: usize = 50;

fn label_set<'a>(
    labels: impl Iterator<Item = (&'a str, &'a Origin)>,
    what: &str,
) -> Result<Vec<String>> {
    let mut first_seen: BTreeMap<String, Origin> = BTreeMap::new();
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    for (l, origin) in labels {
        first_seen
            .entry(l.to_string())
            .or_insert_with(|| origin.clone());
        *count.entry(l.to_string()).or_default() += 1;
    }
    if first_seen.len() > MAX_LABELS {
        // One weight vector per label, and cross-validation that cannot stratify: a label
        // column with a value per record (an id, a free-text note) would train for hours.
        let some: Vec<&str> = first_seen.keys().take(5).map(String::as_str).collect();
        return Err(Error::Config(format!(
            "{} distinct {what} labels ({}, …), more than the {MAX_LABELS} a label set may have: is --{what}-col naming the label field? (labels are a handful of classes such as favor/against/neutral)",
            first_seen.len(),
            some.join(", ")
        )));
    }
    let mut by_folded: BTreeMap<String, Vec<&String>> = BTreeMap::new();
    for l in first_seen.keys() {
        by_folded
            .entry(l.trim().to_lowercase())
            .or_default()
            .push(l);
    }
    let mut errors = Vec::new();
    for (_, group) in by_folded.iter().filter(|(_, g)| g.len() > 1) {
        // Point at the first record with the rarer spelling: that is the one to fix.
        let odd = group
            .iter()
            .min_by_key(|g| (count[g.as_str()], first_seen[g.as_str()].line))
            .expect("a group of two or more");
        let Origin { file, line } = &first_seen[odd.as_str()];
        errors.push(Error::input(
            file,
            Some(*line),
            Some(what),
            format!(
                "{what} labels {} differ only in case or spaces; use one spelling",
                group
                    .iter()
                    .map(|g| format!("\"{g}\""))
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
        ));
    }
    match errors.len() {
        0 => Ok(first_seen.into_keys().collect()),
        1 => Err(errors.pop().expect("one error")),
        _ => Err(Error::Inputs(errors)),
    }
}

impl TrainingSet {
    /// Builds a training set. Actors named in the labels but not in `registry` are added,
    /// matched by their own name.
    pub fn new(articles: Vec<LabeledArticle>, registry: &Registry) -> Result<TrainingSet> {
        if articles.is_empty() {
            return Err(Error::Config("no labeled articles to learn from".into()));
        }
        let stance_classes = label_set(
            articles
                .iter()
                .flat_map(|a| a.stance.iter().map(move |(_, l)| (l.as_str(), &a.origin))),
            "stance",
        )?;
        let sentiment_classes = label_set(
            articles
                .iter()
                .filter_map(|a| a.sentiment.as_deref().map(|s| (s, &a.origin))),
            "sentiment",
        )?;
        if stance_classes.is_empty() {
            return Err(Error::Config(
                "no stance labels in the data: each record needs \"stance\": {actor: label} (or long-form actor and stance fields)".into(),
            ));
        }
        let registry = registry.with_names(
            articles
                .iter()
                .flat_map(|a| a.stance.iter().map(|(x, _)| x.as_str())),
        )?;
        let mut examples = Vec::new();
        let mut unnamed: Vec<String> = Vec::new();
        for (i, a) in articles.iter().enumerate() {
            let mentioned: Vec<usize> = registry
                .mentions(&a.article.text)
                .iter()
                .map(|m| m.actor)
                .collect();
            for (actor, label) in &a.stance {
                let idx = registry.index(actor).expect("added above");
                if !mentioned.contains(&idx) {
                    unnamed.push(format!(
                        "{}:{} (article \"{}\", actor \"{actor}\")",
                        a.origin.file, a.origin.line, a.article.id
                    ));
                }
                examples.push(Example {
                    article: i,
                    actor: actor.clone(),
                    label: stance_classes
                        .iter()
                        .position(|c| c == label)
                        .expect("in the set"),
                });
            }
        }
        let warnings = if unnamed.is_empty() {
            Vec::new()
        } else {
            vec![unnamed_warning(&unnamed)]
        };
        let sentiment = articles
            .iter()
            .map(|a| {
                a.sentiment
                    .as_ref()
                    .and_then(|s| sentiment_classes.iter().position(|c| c == s))
            })
            .collect();
        Ok(TrainingSet {
            articles,
            examples,
            stance_classes,
            sentiment,
            sentiment_classes,
            registry,
            warnings,
        })
    }

    /// Reads labeled articles from `paths` (every format [`crate::corpus::open`] reads;
    /// long-form rows merged per article) and builds a training set. Bad records are returned
    /// beside the set, not dropped: the caller decides whether to train without them.
    pub fn read(
        paths: &[String],
        opts: &ReadOptions,
        registry: &Registry,
    ) -> Result<(Option<TrainingSet>, Vec<Error>)> {
        let (articles, errors) = crate::corpus::read_labeled(paths, opts)?;
        if articles.is_empty() {
            return Ok((None, errors));
        }
        Ok((Some(TrainingSet::new(articles, registry)?), errors))
    }

    /// The names of the labels of `task`, sorted.
    pub fn classes(&self, task: Task) -> &[String] {
        match task {
            Task::Stance => &self.stance_classes,
            Task::Sentiment => &self.sentiment_classes,
        }
    }

    /// The labeled examples of `task`: every stance example, or every article with a
    /// sentiment label, in order.
    pub fn task_examples(&self, task: Task) -> Vec<TaskExample<'_>> {
        match task {
            Task::Stance => self
                .examples
                .iter()
                .enumerate()
                .map(|(i, e)| TaskExample {
                    article: e.article,
                    actor: Some(&e.actor),
                    label: e.label,
                    slot: i,
                })
                .collect(),
            Task::Sentiment => self
                .sentiment
                .iter()
                .enumerate()
                .filter_map(|(a, s)| {
                    s.map(|label| TaskExample {
                        article: a,
                        actor: None,
                        label,
                        slot: a,
                    })
                })
                .collect(),
        }
    }

    /// The articles `articles` (indices) with their examples and labels; the label sets and the
    /// actors stay those of the whole set.
    pub fn subset(&self, articles: &[usize]) -> TrainingSet {
        let mut map = vec![None; self.articles.len()];
        for (new, &old) in articles.iter().enumerate() {
            map[old] = Some(new);
        }
        TrainingSet {
            articles: articles.iter().map(|&i| self.articles[i].clone()).collect(),
            examples: self
                .examples
                .iter()
                .filter_map(|e| {
                    map[e.article].map(|a| Example {
                        article: a,
                        ..e.clone()
                    })
                })
                .collect(),
            stance_classes: self.stance_classes.clone(),
            sentiment: articles.iter().map(|&i| self.sentiment[i]).collect(),
            sentiment_classes: self.sentiment_classes.clone(),
            registry: self.registry.clone(),
            warnings: Vec::new(),
        }
    }

    /// This set's articles followed by `other`'s (read with the same actors), their label sets
    /// joined (sorted, as read) and every label mapped onto them.
    pub fn concat(&self, other: &TrainingSet) -> TrainingSet {
        let union = |a: &[String], b: &[String]| -> Vec<String> {
            let mut v: Vec<String> = a.iter().chain(b).cloned().collect();
            v.sort();
            v.dedup();
            v
        };
        let stance_classes = union(&self.stance_classes, &other.stance_classes);
        let sentiment_classes = union(&self.sentiment_classes, &other.sentiment_classes);
        let at = |classes: &[String], name: &String| {
            classes.binary_search(name).expect("a label of the union")
        };
        let mut examples = Vec::with_capacity(self.examples.len() + other.examples.len());
        for (set, offset) in [(self, 0), (other, self.articles.len())] {
            examples.extend(set.examples.iter().map(|e| Example {
                article: e.article + offset,
                actor: e.actor.clone(),
                label: at(&stance_classes, &set.stance_classes[e.label]),
            }));
        }
        let sentiment = [self, other]
            .iter()
            .flat_map(|set| {
                set.sentiment
                    .iter()
                    .map(|s| s.map(|i| at(&sentiment_classes, &set.sentiment_classes[i])))
            })
            .collect();
        TrainingSet {
            articles: self
                .articles
                .iter()
                .chain(&other.articles)
                .cloned()
                .collect(),
            examples,
            stance_classes,
            sentiment,
            sentiment_classes,
            registry: self.registry.clone(),
            warnings: Vec::new(),
        }
    }

    /// A hash of the labeled content (ids, texts, labels), whatever format it came in.
    pub fn hash(&self) -> String {
        let mut h = Sha256::new();
        for a in &self.articles {
            h.update(a.article.id.as_bytes());
            h.update([0]);
            h.update(a.article.text.as_bytes());
            h.update([0]);
            for (actor, label) in &a.stance {
                h.update(actor.as_bytes());
                h.update([1]);
                h.update(label.as_bytes());
                h.update([0]);
            }
            if let Some(s) = &a.sentiment {
                h.update(s.as_bytes());
            }
            h.update([2]);
        }
        crate::pipeline::file::hex(&h.finalize())
    }

    /// The group key of article `article`: its id, or the value of `field` (`month`: the
    /// date's `YYYY-MM`; falling back to the id where the field is absent).
    pub fn group_of(&self, article: usize, field: Option<&str>) -> String {
        let a = &self.articles[article];
        match field {
            None | Some("id") => a.article.id.clone(),
            Some("source") => a.article.source.clone().unwrap_or_default(),
            Some("date") => a.article.date.clone().unwrap_or_default(),
            Some("month") => a
                .article
                .date
                .as_deref()
                .map_or(String::new(), |d| d.chars().take(7).collect()),
            Some(f) => a
                .extra
                .get(f)
                .cloned()
                .unwrap_or_else(|| a.article.id.clone()),
        }
    }

    /// An error when grouping by `field` (`--group-by`) would group every article on its own
    /// without saying so: a field that no article has (misspelt, or not in this data). The
    /// built-in fields (id, source, date, month) are always there.
    pub fn check_group_field(&self, field: Option<&str>) -> Result<()> {
        self.check_field("--group-by", field)
    }

    /// [`TrainingSet::check_group_field`] for the option `flag` (named in the message).
    pub fn check_field(&self, flag: &str, field: Option<&str>) -> Result<()> {
        let Some(f) = field.filter(|f| !matches!(*f, "id" | "source" | "date" | "month")) else {
            return Ok(());
        };
        if self.articles.iter().any(|a| a.extra.contains_key(f)) {
            return Ok(());
        }
        let seen: std::collections::BTreeSet<&str> = self
            .articles
            .iter()
            .flat_map(|a| a.extra.keys().map(String::as_str))
            .collect();
        Err(Error::Config(format!(
            "{flag} \"{f}\": no labeled article has this field, so every article would be a group of its own (group by id, source, date, month{}{})",
            if seen.is_empty() { "" } else { ", or a field the records have: " },
            seen.into_iter().collect::<Vec<_>>().join(", ")
        )))
    }

    /// Label counts of `task` over the examples: how many of each label.
    pub fn label_counts(&self, task: Task) -> Vec<usize> {
        let mut count = vec![0usize; self.classes(task).len()];
        for e in self.task_examples(task) {
            count[e.label] += 1;
        }
        count
    }
}

/// One warning for every label whose article never names the actor: the count and the first
/// three places.
fn unnamed_warning(places: &[String]) -> String {
    const SHOWN: usize = 3;
    let n = places.len();
    let first = places[..n.min(SHOWN)].join(", ");
    format!(
        "{n} label{} name{} an actor the article's text never names; the whole text is used as the context ({}{first}{})",
        if n == 1 { "" } else { "s" },
        if n == 1 { "s" } else { "" },
        if n > SHOWN { "first: " } else { "" },
        if n > SHOWN { ", …" } else { "" },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_summary_warning_for_unnamed_actors() {
        let one = unnamed_warning(&["a.jsonl:3 (article \"x\", actor \"Iran\")".into()]);
        assert_eq!(
            one,
            "1 label names an actor the article's text never names; the whole text is used as the context (a.jsonl:3 (article \"x\", actor \"Iran\"))"
        );
        let places: Vec<String> = (1..=5).map(|i| format!("f:{i}")).collect();
        assert_eq!(
            unnamed_warning(&places),
            "5 labels name an actor the article's text never names; the whole text is used as the context (first: f:1, f:2, f:3, …)"
        );
    }

    #[test]
    fn near_duplicate_labels_are_an_error() {
        let o = Origin::new("f.jsonl", 3);
        let labels = [("favor", &o), ("Favor", &o), ("against", &o)];
        let e = label_set(labels.into_iter(), "stance").unwrap_err();
        assert!(e.to_string().contains("\"Favor\" and \"favor\""), "{e}");
    }

    #[test]
    fn concatenated_sets_map_their_labels_onto_the_joined_label_sets() {
        let art = |id: &str, stance: (&str, &str), sent: Option<&str>| LabeledArticle {
            article: crate::corpus::Article::new(id, "Iran and Iraq."),
            stance: [(stance.0.to_string(), stance.1.to_string())].into(),
            sentiment: sent.map(str::to_string),
            ..LabeledArticle::default()
        };
        let reg = Registry::empty();
        let a =
            TrainingSet::new(vec![art("1", ("Iran", "favor"), Some("positive"))], &reg).unwrap();
        let b = TrainingSet::new(
            vec![
                art("2", ("Iraq", "against"), None),
                art("3", ("Iran", "neutral"), Some("negative")),
            ],
            &reg,
        )
        .unwrap();
        let c = a.concat(&b);
        assert_eq!(c.stance_classes, ["against", "favor", "neutral"]);
        assert_eq!(c.sentiment_classes, ["negative", "positive"]);
        let ex: Vec<(usize, &str, &str)> = c
            .examples
            .iter()
            .map(|e| {
                (
                    e.article,
                    e.actor.as_str(),
                    c.stance_classes[e.label].as_str(),
                )
            })
            .collect();
        assert_eq!(
            ex,
            [
                (0, "Iran", "favor"),
                (1, "Iraq", "against"),
                (2, "Iran", "neutral")
            ]
        );
        assert_eq!(c.sentiment, [Some(1), None, Some(0)]);
        let ids: Vec<&str> = c.articles.iter().map(|a| a.article.id.as_str()).collect();
        assert_eq!(ids, ["1", "2", "3"]);
    }

    #[test]
    fn task_examples_of_both_tasks() {
        let art =
            |id: &str, text: &str, stance: &[(&str, &str)], sent: Option<&str>| LabeledArticle {
                article: crate::corpus::Article::new(id, text),
                stance: stance
                    .iter()
                    .map(|(a, l)| (a.to_string(), l.to_string()))
                    .collect(),
                sentiment: sent.map(str::to_string),
                ..LabeledArticle::default()
            };
        let set = TrainingSet::new(
            vec![
                art(
                    "1",
                    "Iran and Iraq.",
                    &[("Iran", "favor"), ("Iraq", "against")],
                    None,
                ),
                art("2", "Iran.", &[("Iran", "against")], Some("negative")),
            ],
            &Registry::empty(),
        )
        .unwrap();
        let s = set.task_examples(Task::Stance);
        assert_eq!(s.len(), 3);
        assert_eq!(
            (s[1].article, s[1].actor, s[1].label, s[1].slot),
            (0, Some("Iraq"), 0, 1)
        );
        let t = set.task_examples(Task::Sentiment);
        assert_eq!(t.len(), 1);
        assert_eq!(
            (t[0].article, t[0].actor, t[0].label, t[0].slot),
            (1, None, 0, 1)
        );
        assert_eq!(set.label_counts(Task::Stance), vec![2, 1]);
    }
}
