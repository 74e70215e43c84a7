//! The actor's identity as features: the actor prior (`__actor__Iran`: one feature per actor,
//! so the model can learn a prior stance per actor) and, with `per_actor`, a per-actor copy of
//! every word of the context (`@__actor__Iran|condemn`: shared weights plus per-actor
//! corrections, "frustratingly easy" domain adaptation with one domain per actor).

use super::fit::FitDoc;
use super::key::{actor_name, FeatureKey};
use super::{pair, FeatureConfig, UNKNOWN};
use rustc_hash::FxHashMap;
use std::borrow::Cow;

/// The term that stands for "this context is about actor `name`": the name of its actor prior
/// feature, `__actor__` and the name with white space replaced by `_`.
pub fn actor_term(name: &str) -> String {
    FeatureKey::actor_prior(name).to_string()
}

/// The actor features of a document for fitting: its prior, and the copies of its words (with
/// `separate_actors`, only for a separate actor: `separate` says whether the document's is).
pub(super) fn count(
    cfg: &FeatureConfig,
    doc: &FitDoc<'_>,
    separate: bool,
    mut see: impl FnMut(FeatureKey),
) {
    let Some(a) = doc.source.actor else {
        return;
    };
    let actor = actor_name(a);
    if cfg.per_actor && (separate || cfg.separate_actors.is_none()) {
        for t in doc.distinct_terms() {
            see(FeatureKey::PerActor {
                actor: actor.clone(),
                word: doc.terms[t as usize].clone(),
            });
        }
    }
    see(FeatureKey::ActorPrior(actor));
}

/// What a featurizer knows of one actor.
#[derive(Debug, Clone, Copy)]
pub(super) struct ActorEntry {
    /// The feature of its prior, or UNKNOWN.
    pub(super) prior: u32,
    /// Its number in the keys of [`ActorTable::copy`].
    id: u32,
    /// It has word weights of its own: its words give only their copies (see
    /// `FeatureConfig::separate_actors`).
    pub(super) separate: bool,
}

/// The actor features, by actor name (as feature names hold it) and term.
#[derive(Default)]
pub(super) struct ActorTable {
    actors: FxHashMap<String, ActorEntry>,
    /// (actor id, word term) → the word's per-actor feature.
    copies: FxHashMap<u64, u32>,
}

impl ActorTable {
    fn entry(&mut self, actor: &str) -> &mut ActorEntry {
        let id = self.actors.len() as u32;
        self.actors.entry(actor.to_string()).or_insert(ActorEntry {
            prior: UNKNOWN,
            id,
            separate: false,
        })
    }

    /// Marks `actor` (as feature names hold it) separate; false if it was already.
    pub(super) fn mark_separate(&mut self, actor: &str) -> bool {
        !std::mem::replace(&mut self.entry(actor).separate, true)
    }

    /// Enters feature `f`, the prior of `actor`; false if it is there already.
    pub(super) fn insert_prior(&mut self, actor: &str, f: u32) -> bool {
        std::mem::replace(&mut self.entry(actor).prior, f) == UNKNOWN
    }

    /// Enters feature `f`, the copy of term `word` for `actor`; false if it is there already.
    pub(super) fn insert_copy(&mut self, actor: &str, word: u32, f: u32) -> bool {
        let id = self.entry(actor).id;
        self.copies.insert(pair(id, word), f).is_none()
    }

    /// The actor called `name` (as the registry spells it), if any feature names it.
    pub(super) fn get(&self, name: &str) -> Option<ActorEntry> {
        let key = if name.contains(char::is_whitespace) {
            Cow::Owned(actor_name(name))
        } else {
            Cow::Borrowed(name)
        };
        self.actors.get(key.as_ref()).copied()
    }

    /// The feature of the copy of term `word` for `actor`, if any.
    #[inline]
    pub(super) fn copy(&self, actor: ActorEntry, word: u32) -> Option<u32> {
        self.copies.get(&pair(actor.id, word)).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::super::*;
    use crate::actors::Registry;
    use crate::context::{context, ContextConfig};

    #[test]
    fn actor_term_replaces_white_space() {
        assert_eq!(actor_term("Iran"), "__actor__Iran");
        assert_eq!(actor_term("North Korea"), "__actor__North_Korea");
        assert_eq!(actor_term("A\tB  C"), "__actor__A_B__C");
    }

    #[test]
    fn per_actor_copies_of_words_by_hand_and_through_the_file() {
        let r = Registry::from_toml_str(
            "[[actor]]\nname = \"Iran\"\n[[actor]]\nname = \"North Korea\"\n",
        )
        .unwrap();
        let text = "Iran condemned North Korea. North Korea praised Iran.";
        let a = Analysis::new(text, &r);
        let cfg = ContextConfig::default();
        let (ci, ck) = (context(&a, Some(0), &cfg), context(&a, Some(1), &cfg));
        fn doc<'a>(a: &'a Analysis<'a>, c: &'a crate::context::Context, name: &'a str) -> Doc<'a> {
            Doc {
                analysis: a,
                pieces: &c.pieces,
                actor: Some(name),
            }
        }
        let fcfg = FeatureConfig {
            word_ngrams: (1, 1),
            min_df: 1,
            per_actor: true,
            ..FeatureConfig::default()
        };
        let f =
            Featurizer::fit(&fcfg, &[doc(&a, &ci, "Iran"), doc(&a, &ck, "North Korea")]).unwrap();
        let names = |f: &Featurizer, v: &SparseVec| -> Vec<(String, f64)> {
            let mut out: Vec<_> = v
                .idx
                .iter()
                .zip(&v.val)
                .map(|(&i, &x)| (f.name(i as usize).to_string(), x))
                .collect();
            out.sort_by(|x, y| x.0.cmp(&y.0));
            out
        };
        let v = names(
            &f,
            &f.transform(doc(&a, &ci, "Iran"), &mut Scratch::default()),
        );
        let got: Vec<&str> = v.iter().map(|(n, _)| n.as_str()).collect();
        // Iran's context (both sentences): the words, their copies for Iran, the markers and
        // the prior; nothing for North Korea. Smoothed IDF is ln(3/3) + 1 = 1 for what both
        // documents hold (the words and markers) and ln(3/2) + 1 for the per-actor copies and
        // the prior (one document); the markers occur twice: tf 1 + ln 2.
        assert_eq!(
            got,
            [
                "@__actor__Iran|condemn",
                "@__actor__Iran|prais",
                "__actor__Iran",
                "__other__",
                "__target__",
                "condemn",
                "prais"
            ]
        );
        let high = (1.5f64).ln() + 1.0;
        let twice = 1.0 + (2.0f64).ln();
        let norm = (2.0 + 2.0 * twice * twice + 3.0 * high * high).sqrt();
        for (n, x) in &v {
            let want = if n.starts_with('@') || n.starts_with("__actor__") {
                high
            } else if n.starts_with("__") {
                twice
            } else {
                1.0
            };
            assert!(
                (x - want / norm).abs() < 1e-12,
                "{n}: {x} vs {}",
                want / norm
            );
        }
        // North Korea's name becomes one term with an underscore; the file round trip keeps
        // the copies.
        let back = Featurizer::from_file(f.to_file()).unwrap();
        let vk = f.transform(doc(&a, &ck, "North Korea"), &mut Scratch::default());
        let bk = back.transform(doc(&a, &ck, "North Korea"), &mut Scratch::default());
        assert_eq!(names(&f, &vk), names(&back, &bk));
        assert!(names(&f, &vk)
            .iter()
            .any(|(n, _)| n == "@__actor__North_Korea|prais"));
        let mut file = f.to_file();
        file.features[0] = "@|condemn".into();
        let err = Featurizer::from_file(file).unwrap_err().to_string();
        assert!(err.contains("bad feature name \"@|condemn\""), "{err}");
    }
}
