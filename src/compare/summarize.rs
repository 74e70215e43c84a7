//! Score records streamed into per-group summaries ([`Groups`]), each checked against the
//! model whose error rates will correct them: what `stance compare` does with its input, and
//! what the Python package's `stance.summarize` does with a partition of the scores.

use super::{CompareOptions, Groups, ModelView};
use crate::labels::LabelSet;
use crate::pipeline::ArticleScore;

/// Summaries being filled, one score record at a time.
pub struct Summarizer {
    view: Option<ModelView>,
    labels: Option<Vec<String>>,
    groups: Groups,
    unmarked: usize,
}

impl Summarizer {
    /// Summaries by `opts` (its grouping, actors and exact limit), with the labels, known
    /// sources and identity of `view`'s model (None: no model; the labels come from the
    /// scores).
    pub fn new(opts: &CompareOptions, view: Option<ModelView>) -> Summarizer {
        let labels = view.as_ref().map(|v| v.labels.names().to_vec());
        let known = view.as_ref().and_then(|v| v.known_sources());
        let groups = Groups::new(opts, labels.as_deref()).with_known_sources(known);
        Summarizer {
            view,
            labels,
            groups,
            unmarked: 0,
        }
    }

    /// The same summaries, of the groups `groups` alone ([`Groups::only_groups`]).
    pub fn only_groups(mut self, groups: &[String]) -> Summarizer {
        self.groups = self.groups.only_groups(groups);
        self
    }

    /// The model's labels, which every probability read must be of (None without a model).
    pub fn labels(&self) -> Option<&[String]> {
        self.labels.as_deref()
    }

    /// Adds a scored article; an error when another model made it ([`ModelView::check_score`]).
    pub fn add(&mut self, a: &ArticleScore) -> Result<(), String> {
        if let Some(v) = &self.view {
            self.unmarked += usize::from(!v.check_score(a)?);
        }
        self.groups.add(a);
        Ok(())
    }

    /// The summaries, the view of the model (without one, of the labels seen), and a warning
    /// when some records did not say which model made them.
    pub fn finish(self) -> (Groups, ModelView, Option<String>) {
        match self.view {
            Some(v) => {
                let warn = v.unmarked_warning(self.unmarked, self.groups.articles());
                (self.groups, v, warn)
            }
            None => {
                let v = ModelView {
                    labels: LabelSet::recognised(self.groups.labels().to_vec()),
                    ..ModelView::default()
                };
                (self.groups, v, None)
            }
        }
    }
}
