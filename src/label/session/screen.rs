//! What an annotator sees and answers: the article on screen with the model's guesses, the
//! answer checked against its questions, the decision appended, and undo.

use super::super::engine::{self, Error, Result};
use super::super::log::{self, Action, Decision, Meta, Pick};
use super::{Book, Session};
use std::collections::BTreeMap;

/// The most probable label and its probability.
pub fn top(g: &engine::Guess) -> (String, f64) {
    let mut best = 0;
    for (i, p) in g.probabilities.iter().enumerate() {
        if *p > g.probabilities[best] {
            best = i;
        }
    }
    (
        g.labels.get(best).cloned().unwrap_or_default(),
        g.probabilities.get(best).copied().unwrap_or(0.0),
    )
}

/// An article on an annotator's screen.
#[derive(Debug, Clone)]
pub struct Presented {
    /// Identifies this showing; an answer must carry it.
    pub token: u64,
    /// The item of the pool.
    pub item: usize,
    /// How it was picked.
    pub pick: Pick,
    /// The id of the model whose guesses are shown.
    pub model: Option<String>,
    /// The model's guess per stance question (None: no guess) and for the sentiment.
    pub stance_guess: Vec<Option<engine::Guess>>,
    /// The model's guess of the sentiment (None: no guess or no sentiment question).
    pub sentiment_guess: Option<engine::Guess>,
    /// In review: each annotator's labels (question -> annotator -> label).
    pub prior: BTreeMap<String, BTreeMap<String, String>>,
}

/// What an annotator decided about the article on screen.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Answer {
    /// Skip the article (no labels).
    pub skip: bool,
    /// Stance per actor.
    pub stance: BTreeMap<String, String>,
    /// The sentiment, if asked and answered.
    pub sentiment: Option<String>,
    /// Questions (actor names, or "sentiment") marked unsure.
    pub unsure: Vec<String>,
}

impl Session {
    pub(super) fn present(&mut self, item: usize, pick: Pick) -> Presented {
        let token = self.next_token;
        self.next_token += 1;
        let it = &self.pool.items[item];
        let (stance_guess, sentiment_guess, model) = match self.current_model() {
            Some((m, id)) => {
                let (s, t) = engine::guess(&m, &it.record.article, &it.rows);
                let t = if self.settings.sentiment_labels.is_empty() {
                    None
                } else {
                    t
                };
                (s, t, Some(id))
            }
            None => (vec![None; it.rows.len()], None, None),
        };
        let mut prior: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        if pick.strategy == "review" {
            for d in log::live(&self.decisions) {
                if d.meta.action == Action::Label && d.record.article.id == it.record.article.id {
                    for (a, l) in &d.record.stance {
                        prior
                            .entry(a.clone())
                            .or_default()
                            .insert(d.meta.annotator.clone(), l.clone());
                    }
                    if let Some(s) = &d.record.sentiment {
                        prior
                            .entry("sentiment".into())
                            .or_default()
                            .insert(d.meta.annotator.clone(), s.clone());
                    }
                    for u in &d.meta.unsure {
                        prior
                            .entry(u.clone())
                            .or_default()
                            .insert(d.meta.annotator.clone(), "unsure".into());
                    }
                }
            }
        }
        Presented {
            token,
            item,
            pick,
            model,
            stance_guess,
            sentiment_guess,
            prior,
        }
    }

    /// Checks an answer against the article's questions.
    pub(super) fn check(&self, p: &Presented, answer: &Answer) -> Result<()> {
        let item = &self.pool.items[p.item];
        for (actor, label) in &answer.stance {
            if !item.rows.contains(actor) {
                return Err(Error::Config(format!(
                    "\"{actor}\" is not one of the actors this article names ({})",
                    item.rows.join(", ")
                )));
            }
            if !self.settings.stance_labels.contains(label) {
                return Err(Error::Config(format!(
                    "\"{label}\" is not a stance label ({})",
                    self.settings.stance_labels.join(", ")
                )));
            }
        }
        if let Some(s) = &answer.sentiment {
            if !self.settings.sentiment_labels.contains(s) {
                return Err(Error::Config(format!(
                    "\"{s}\" is not a sentiment label ({})",
                    self.settings.sentiment_labels.join(", ")
                )));
            }
        }
        for u in &answer.unsure {
            if u != "sentiment" && !item.rows.contains(u) {
                return Err(Error::Config(format!(
                    "\"{u}\" (unsure) is not one of this article's questions"
                )));
            }
        }
        Ok(())
    }

    pub(super) fn append(&mut self, d: Decision) -> Result<Decision> {
        let d = match &mut self.log {
            Some(log) => log.append(d)?,
            None => {
                let mut d = d;
                d.meta.seq = self.in_memory_seq;
                d.line = self.decisions.len() as u64 + 1;
                self.in_memory_seq += 1;
                d
            }
        };
        self.decisions.push(d.clone());
        self.book = Book::new(&self.decisions, &self.pool);
        Ok(d)
    }

    /// Records the annotator's answer about the article with `token`; returns the decision's
    /// sequence number. A token that is not the one on screen (a double submit, an old tab) is
    /// refused.
    pub fn decide(&mut self, annotator: &str, token: u64, answer: Answer) -> Result<u64> {
        let Some(p) = self
            .screens
            .get(annotator)
            .and_then(|s| s.last())
            .filter(|p| p.token == token)
            .cloned()
        else {
            return Err(Error::Config(
                "that article is no longer on screen (answered in another tab?); reload".into(),
            ));
        };
        self.check(&p, &answer)?;
        let item = &self.pool.items[p.item];
        let mut record = item.record.clone();
        let action = if answer.skip {
            Action::Skip
        } else if p.pick.strategy == "review" {
            Action::Review
        } else {
            Action::Label
        };
        if !answer.skip {
            record.stance = item
                .rows
                .iter()
                .filter_map(|a| answer.stance.get(a).map(|l| (a.clone(), l.clone())))
                .collect();
            record.sentiment = answer.sentiment.clone();
        }
        let mut guess = BTreeMap::new();
        for (row, g) in item.rows.iter().zip(&p.stance_guess) {
            if let Some(g) = g {
                guess.insert(row.clone(), top(g).0);
            }
        }
        if let Some(g) = &p.sentiment_guess {
            guess.insert("sentiment".to_string(), top(g).0);
        }
        let d = Decision {
            meta: Meta {
                seq: 0,
                action,
                annotator: annotator.to_string(),
                time: log::now_utc(),
                model: p.model.clone(),
                pick: p.pick.clone(),
                unsure: if answer.skip {
                    Vec::new()
                } else {
                    answer.unsure.clone()
                },
                undoes: None,
                guess,
            },
            record,
            line: 0,
        };
        let d = self.append(d)?;
        if let Some(s) = self.screens.get_mut(annotator) {
            s.pop();
        }
        Ok(d.meta.seq)
    }

    /// Retracts the annotator's latest decision still in force; its article comes back on
    /// screen. Returns the retracted sequence number, None when there is nothing to undo.
    pub fn undo(&mut self, annotator: &str) -> Result<Option<u64>> {
        let Some(&j) = self.book.stack.get(annotator).and_then(|s| s.last()) else {
            return Ok(None);
        };
        let target = self.decisions[j].clone();
        let mut record = target.record.clone();
        record.stance.clear();
        record.sentiment = None;
        let d = Decision {
            meta: Meta {
                seq: 0,
                action: Action::Undo,
                annotator: annotator.to_string(),
                time: log::now_utc(),
                model: None,
                pick: target.meta.pick.clone(),
                unsure: Vec::new(),
                undoes: Some(target.meta.seq),
                guess: BTreeMap::new(),
            },
            record,
            line: 0,
        };
        self.append(d)?;
        // The undone article goes on top of what was on screen, which comes back after it.
        if let Some(&item) = self.pool.by_id.get(&target.record.article.id) {
            let p = self.present(item, target.meta.pick.clone());
            self.screens
                .entry(annotator.to_string())
                .or_default()
                .push(p);
        }
        Ok(Some(target.meta.seq))
    }
}
