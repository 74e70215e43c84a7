//! The pool: the articles to label, their questions, and the seeded orders drawn from it.

use super::super::engine::{self, Error, LabeledArticle, Registry, Result};
use super::super::strategy;
use super::Settings;
use std::collections::HashMap;

/// One article of the pool.
#[derive(Debug, Clone)]
pub struct Item {
    /// The article and its other fields (labels of the input are not kept).
    pub record: LabeledArticle,
    /// The actors the text names, in order of first mention: one stance question each.
    pub rows: Vec<String>,
    /// Every mention of an actor in the text, in text order.
    pub mentions: Vec<engine::Mention>,
    /// Shown to two annotators (the overlap that measures agreement).
    pub double: bool,
}

/// The articles to label, fixed for the session.
pub struct Pool {
    /// The articles, in input order.
    pub items: Vec<Item>,
    /// Article id -> index into `items`.
    pub by_id: HashMap<String, usize>,
    /// The audit stream: a seeded random order of the pool.
    pub order: Vec<usize>,
    /// The articles scored after each retraining.
    pub candidates: Vec<usize>,
    /// A fixed sample whose predictions are compared between retrainings.
    pub monitor: Vec<usize>,
}

impl Pool {
    /// Builds the pool from articles; the registry decides the questions. Articles with no
    /// question (no actor named, no sentiment asked) are left out; returns how many.
    pub fn new(
        articles: Vec<LabeledArticle>,
        registry: &Registry,
        settings: &Settings,
    ) -> Result<(Pool, usize)> {
        let mut items = Vec::new();
        let mut by_id = HashMap::new();
        let mut dropped = 0;
        for mut a in articles {
            let mentions = engine::mentions(registry, &a.article.text);
            let mut rows: Vec<String> = Vec::new();
            for m in &mentions {
                if !rows.contains(&m.actor) {
                    rows.push(m.actor.clone());
                }
            }
            if rows.is_empty() && settings.sentiment_labels.is_empty() {
                dropped += 1;
                continue;
            }
            if by_id.contains_key(&a.article.id) {
                return Err(Error::input(
                    &a.origin.file,
                    Some(a.origin.line),
                    Some("id"),
                    format!(
                        "id \"{}\" occurs twice in the articles to label; ids must be unique",
                        a.article.id
                    ),
                ));
            }
            a.stance.clear();
            a.sentiment = None;
            let double = strategy::is_double(settings.seed, &a.article.id, settings.overlap);
            by_id.insert(a.article.id.clone(), items.len());
            items.push(Item {
                record: a,
                rows,
                mentions,
                double,
            });
        }
        let ids: Vec<&str> = items.iter().map(|i| i.record.article.id.as_str()).collect();
        let order = strategy::permutation(settings.seed, &ids);
        let mut sample = strategy::permutation(settings.seed ^ 0xCA4D, &ids);
        sample.truncate(settings.candidates.max(1));
        let mut monitor = strategy::permutation(settings.seed ^ 0x3017, &ids);
        monitor.truncate(1000);
        Ok((
            Pool {
                items,
                by_id,
                order,
                candidates: sample,
                monitor,
            },
            dropped,
        ))
    }
}
