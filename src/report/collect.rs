//! What `stance report` needs of the scores, gathered in one pass over them: the summaries
//! ([`Groups`]) by source, over all articles, by month and by quarter, and the counts that
//! the page's lede, methods and charts name ([`Stats`]). Nothing but the current record is
//! held beside the summaries, so a report of any number of scores runs in bounded memory, and
//! reads standard input as it reads files.

use crate::compare::{CompareOptions, GroupBy, Groups, ModelView, Summarizer};
use crate::pipeline::ArticleScore;
use std::collections::{BTreeMap, BTreeSet};

/// The field the report groups by quarter under (not a field of any input: it has a colon).
pub const QUARTER: &str = "stance:quarter";

/// "2024-05-17" → "2024-Q2".
pub fn quarter(date: &str) -> Option<String> {
    let year = date.get(..4)?;
    let month: u32 = date.get(5..7)?.parse().ok()?;
    (1..=12)
        .contains(&month)
        .then(|| format!("{year}-Q{}", (month - 1) / 3 + 1))
}

/// What the page says of the scored articles.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    /// Scored articles.
    pub articles: usize,
    /// Actor scores, over all articles.
    pub actor_scores: usize,
    /// The sources the articles name.
    pub sources: BTreeSet<String>,
    /// The earliest and the latest date, as written (compared as text).
    pub dates: Option<(String, String)>,
    /// Actor scores per actor.
    pub actors: BTreeMap<String, usize>,
}

impl Stats {
    fn add(&mut self, a: &ArticleScore) {
        self.articles += 1;
        self.actor_scores += a.actors.len();
        if let Some(s) = &a.source {
            if !self.sources.contains(s) {
                self.sources.insert(s.clone());
            }
        }
        if let Some(d) = &a.date {
            match &mut self.dates {
                None => self.dates = Some((d.clone(), d.clone())),
                Some((first, last)) => {
                    if d < first {
                        first.clone_from(d);
                    }
                    if d > last {
                        last.clone_from(d);
                    }
                }
            }
        }
        for s in &a.actors {
            match self.actors.get_mut(&s.actor) {
                Some(n) => *n += 1,
                None => {
                    self.actors.insert(s.actor.clone(), 1);
                }
            }
        }
    }
}

/// The report's summaries and counts, filled one scored article at a time.
pub struct Collector {
    by_source: Summarizer,
    overall: Groups,
    by_month: Groups,
    by_quarter: Groups,
    stats: Stats,
}

/// What [`Collector::finish`] gives.
pub struct Collected {
    /// By source.
    pub by_source: Groups,
    /// All articles in one group.
    pub overall: Groups,
    /// By month.
    pub by_month: Groups,
    /// By quarter (grouped by the field [`QUARTER`]; "(no date)" for articles without one).
    pub by_quarter: Groups,
    /// The counts.
    pub stats: Stats,
}

impl Collector {
    /// Empty summaries with the actors and exact limit of `opts` (each its own grouping), of
    /// the labels and known sources of `view`'s model, whose scores every article must be
    /// ([`ModelView::check_score`]).
    pub fn new(opts: &CompareOptions, view: ModelView) -> Collector {
        let labels = view.labels.names().to_vec();
        let known = view.known_sources();
        let with = |by| CompareOptions { by, ..opts.clone() };
        let groups = |by| Groups::new(&with(by), Some(&labels)).with_known_sources(known.clone());
        Collector {
            overall: groups(GroupBy::All),
            by_month: groups(GroupBy::Month),
            by_quarter: groups(GroupBy::Field(QUARTER.into())),
            by_source: Summarizer::new(&with(GroupBy::Source), Some(view)),
            stats: Stats::default(),
        }
    }

    /// The model's labels, which every probability read must be of.
    pub fn labels(&self) -> &[String] {
        self.by_source.labels().unwrap_or_default()
    }

    /// Adds a scored article; an error when another model made it.
    pub fn add(&mut self, mut a: ArticleScore) -> Result<(), String> {
        self.by_source.add(&a)?;
        self.stats.add(&a);
        self.overall.add(&a);
        self.by_month.add(&a);
        let q = a.date.as_deref().and_then(quarter);
        a.fields
            .insert(QUARTER.to_string(), q.unwrap_or_else(|| "(no date)".into()));
        self.by_quarter.add(&a);
        Ok(())
    }

    /// The summaries and counts, the view of the model, and a warning when some records did
    /// not say which model made them.
    pub fn finish(self) -> (Collected, ModelView, Option<String>) {
        let (by_source, view, warn) = self.by_source.finish();
        let collected = Collected {
            by_source,
            overall: self.overall,
            by_month: self.by_month,
            by_quarter: self.by_quarter,
            stats: self.stats,
        };
        (collected, view, warn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::ActorScore;

    fn art(source: Option<&str>, date: Option<&str>, actors: &[&str]) -> ArticleScore {
        let p = BTreeMap::from([("against".to_string(), 0.3), ("favor".to_string(), 0.7)]);
        ArticleScore {
            id: "x".into(),
            source: source.map(String::from),
            date: date.map(String::from),
            sentiment: None,
            actors: (actors.iter())
                .map(|a| ActorScore {
                    matches: Vec::new(),
                    actor: a.to_string(),
                    mentions: 1,
                    label: "favor".into(),
                    probabilities: p.clone(),
                    score: Some(0.4),
                    evidence: vec![],
                })
                .collect(),
            fields: BTreeMap::new(),
            model: None,
        }
    }

    #[test]
    fn quarters_of_dates() {
        assert_eq!(quarter("2024-05-17").as_deref(), Some("2024-Q2"));
        assert_eq!(quarter("2023-12").as_deref(), Some("2023-Q4"));
        assert_eq!(quarter("2023-01-01").as_deref(), Some("2023-Q1"));
        assert_eq!(quarter("2023-13-01"), None);
        assert_eq!(quarter("soon"), None);
    }

    #[test]
    fn one_pass_fills_every_grouping_and_the_counts() {
        let view = ModelView {
            labels: crate::labels::LabelSet::recognised(vec!["against".into(), "favor".into()]),
            ..ModelView::default()
        };
        let mut c = Collector::new(&CompareOptions::default(), view);
        for a in [
            art(Some("B"), Some("2023-11-02"), &["Iran", "Israel"]),
            art(Some("A"), Some("2023-02-10"), &["Iran"]),
            art(None, None, &["Iran"]),
            art(Some("A"), Some("2024-01-05"), &[]),
        ] {
            c.add(a).unwrap();
        }
        let (got, _, warn) = c.finish();
        assert_eq!(warn, None);
        let s = &got.stats;
        assert_eq!((s.articles, s.actor_scores), (4, 4));
        assert_eq!(s.sources, BTreeSet::from(["A".into(), "B".into()]));
        assert_eq!(s.dates, Some(("2023-02-10".into(), "2024-01-05".into())));
        assert_eq!(
            s.actors,
            BTreeMap::from([("Iran".into(), 3), ("Israel".into(), 1)])
        );
        let keys = |g: &Groups| -> Vec<(String, String, usize)> {
            (g.cells().iter())
                .map(|((g, a), c)| (g.clone(), a.clone(), c.n()))
                .collect()
        };
        let k = |g: &str, a: &str, n| (g.to_string(), a.to_string(), n);
        assert_eq!(
            keys(&got.by_quarter),
            [
                k("(no date)", "Iran", 1),
                k("2023-Q1", "Iran", 1),
                k("2023-Q4", "Iran", 1),
                k("2023-Q4", "Israel", 1)
            ]
        );
        assert_eq!(
            keys(&got.overall),
            [k("all", "Iran", 3), k("all", "Israel", 1)]
        );
        assert_eq!(keys(&got.by_month)[0], k("(no date)", "Iran", 1));
        assert_eq!(keys(&got.by_source)[0], k("(no source)", "Iran", 1));
        assert_eq!(got.by_source.articles(), 4);
    }
}
