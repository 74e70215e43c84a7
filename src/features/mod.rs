//! TF-IDF features: vocabulary and IDF fitted once and stored in the model, so that an article's
//! vector never depends on what else is in the batch; word n-grams over stems, optional
//! character n-grams of each stem, sublinear tf, min_df and max_features, L2-normalised sparse
//! rows.
//!
//! Written here rather than taken from linfa-preprocessing because its `TfIdfVectorizer`
//! recomputes IDF from every batch it transforms (the same word in the same article scores
//! differently alone and in a batch), does not normalise rows, orders columns by hash-map
//! iteration and cannot stem in its tokenizer hook.
//!
//! # Feature families
//!
//! Every feature belongs to a family, and its [`FeatureKey`] says which and holds what it is
//! about; the key's name (its `Display`) is what the model file stores, and `FromStr` reads it
//! back when a model is loaded. One file per family:
//!
//! | family | key, name | file | setting |
//! |---|---|---|---|
//! | word n-grams | [`FeatureKey::Words`], `attack`, `__target__ condemn` | `ngrams.rs` | `word_ngrams` |
//! | actor prior | [`FeatureKey::ActorPrior`], `__actor__Iran` | `actor.rs` | a [`Doc`] with an actor |
//! | per-actor copies | [`FeatureKey::PerActor`], `@__actor__Iran\|condemn` | `actor.rs` | `per_actor` |
//! | character n-grams | [`FeatureKey::Char`], `#<wa` | `chars.rs` | `char_ngrams` |
//! | near the target | [`FeatureKey::Before`] `<prais`, [`FeatureKey::After`] `>won` | `extras.rs` | `near_target` |
//! | negated | [`FeatureKey::Negated`], `!prais` | `extras.rs` | `negation` |
//! | lexicon counts | [`FeatureKey::Lexicon`], `$pos`, `$neg~` | `extras.rs`, `lexicon.rs` | `lexicon` |
//!
//! `config.rs` holds the settings; `fit.rs` counts document frequencies and picks the
//! features; this file holds loading and saving, and [`Featurizer::transform_with`], which runs
//! the families over a context; `scratch.rs` holds the per-thread counts and the cache of what
//! each word becomes.
//!
//! # How to add a feature family
//!
//! Say, words inside quotation marks as `"stem`:
//!
//! 1. `key.rs`: a variant `FeatureKey::Quoted(String)`, its arm in `Display` (`"{stem}`) and in
//!    `FromStr` (strip the `"`, check the term), and a case in the round-trip test.
//! 2. A file `quoted.rs` with all of the family's own code: `count`, which gives a training
//!    document's keys (from a `fit::FitDoc`: the document, its terms, tokens and words) and is
//!    called from `fit.rs`'s `count_doc`; its lookup table (here a map from term id to
//!    feature) with `insert`; and the step that finds the features in a context when scoring,
//!    called from [`Featurizer::transform_with`] after the steps that are there (the order in
//!    which features are counted decides the order of a vector's entries, and so the last bits
//!    of every score: appending keeps existing models' scores byte for byte).
//! 3. Here: the table as a field of `Tables` and one arm in `Tables::insert`, which routes each
//!    loaded key to its table. In `config.rs`: the family's setting in [`FeatureConfig`] (left
//!    out of the model file when off, so older files read as they did), checked in
//!    [`FeatureConfig::validate`]; outside the featurizer, the flag that sets it (the CLI's
//!    model arguments name every setting).
//!
//! Nothing else parses names: fitting writes them with `Display`, loading reads them with
//! `FromStr`, so a family's name format lives in `key.rs` alone.

mod actor;
mod chars;
mod config;
mod extras;
mod fit;
mod key;
mod lexicon;
mod ngrams;
mod scratch;

pub use actor::actor_term;
pub use config::{CharSource, FeatureConfig, SEPARATE_ACTORS_MIN};
pub use key::{FeatureKey, FeatureKeyError, LexiconSlot};
pub use lexicon::{LEXICON_NEGATIVE, LEXICON_POSITIVE};
pub use scratch::{Scratch, WordTerms};

use crate::context::{Analysis, Piece, OTHER_TERM, TARGET_TERM};
use crate::error::{Error, Result};
use crate::text::Stem;
use actor::ActorTable;
use chars::CharTable;
use extras::{Extra, ExtraTable};
use ngrams::{WordTable, MAX_N};
use rustc_hash::FxHashMap;
use scratch::{Sink, Tally};
use serde::{Deserialize, Serialize};

/// Not a term or feature of the featurizer (an unknown word, a feature not kept).
const UNKNOWN: u32 = u32::MAX;

/// Two ids in one `u64`, a fast hash key.
#[inline]
fn pair(a: u32, b: u32) -> u64 {
    ((a as u64) << 32) | b as u64
}

/// A sparse row: feature indices (each once, in no particular order) with their values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SparseVec {
    /// Feature indices, each once (from [`Featurizer::transform`]: in order of first
    /// occurrence in the document).
    pub idx: Vec<u32>,
    /// The value of each feature in `idx`.
    pub val: Vec<f64>,
}

impl SparseVec {
    /// The number of stored entries.
    pub fn nnz(&self) -> usize {
        self.idx.len()
    }
}

/// A document to featurize: a context of an analysed article, and the actor it is about when
/// the actor's identity is a feature (the actor prior: `__actor__` and its name).
#[derive(Clone, Copy)]
pub struct Doc<'a> {
    /// The article the context is taken from.
    pub analysis: &'a Analysis<'a>,
    /// The context: words of the article, markers and sentence breaks.
    pub pieces: &'a [Piece],
    /// The actor the context is about, when its identity is a feature.
    pub actor: Option<&'a str>,
}

/// What a featurizer saves: its settings, feature names and IDF.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeaturizerFile {
    /// The settings it was fitted with.
    pub config: FeatureConfig,
    /// Each feature's name ([`FeatureKey`]'s `Display`), in column order (sorted).
    pub features: Vec<String>,
    /// Each feature's IDF.
    #[serde(with = "crate::model::compact")]
    pub idf: Vec<f64>,
    /// With `separate_actors`: the actors (as feature names hold them, sorted) that had
    /// enough training documents for word weights of their own. Left out when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub separate: Vec<String>,
}

/// The lookup tables of a fitted featurizer, one per family, filled from the feature names.
#[derive(Default)]
struct Tables {
    /// Every term some feature holds → its id, the id the other tables are keyed by.
    terms: FxHashMap<String, u32>,
    words: WordTable,
    actors: ActorTable,
    chars: CharTable,
    extras: ExtraTable,
}

impl Tables {
    fn term(&mut self, t: &str) -> u32 {
        if let Some(&id) = self.terms.get(t) {
            return id;
        }
        let id = self.terms.len() as u32;
        self.terms.insert(t.to_string(), id);
        id
    }

    /// Enters feature `f` in its family's table; false if the table has it already.
    fn insert(&mut self, key: &FeatureKey, f: u32) -> bool {
        match key {
            FeatureKey::Words(terms) => {
                let mut ids = [0; MAX_N];
                for (id, t) in ids.iter_mut().zip(terms) {
                    *id = self.term(t);
                }
                self.words.insert(&ids[..terms.len()], f)
            }
            FeatureKey::ActorPrior(actor) => self.actors.insert_prior(actor, f),
            FeatureKey::PerActor { actor, word } => {
                let w = self.term(word);
                self.actors.insert_copy(actor, w, f)
            }
            FeatureKey::Char(gram) => self.chars.insert(gram, f),
            FeatureKey::Before(t) => {
                let e = Extra::Before(self.term(t));
                self.extras.insert(e, f).is_none()
            }
            FeatureKey::After(t) => {
                let e = Extra::After(self.term(t));
                self.extras.insert(e, f).is_none()
            }
            FeatureKey::Negated(t) => {
                let e = Extra::Negated(self.term(t));
                self.extras.insert(e, f).is_none()
            }
            FeatureKey::Lexicon(slot) => self.extras.insert(Extra::Lex(*slot), f).is_none(),
        }
    }
}

/// The fitted featurizer: settings, feature names, IDF and one lookup table per feature family.
/// [`Featurizer::fit`] fits it, [`Featurizer::from_file`] loads it, [`Featurizer::transform`]
/// turns a context into a TF-IDF row.
pub struct Featurizer {
    /// Unique per featurizer in this process, so a [`Scratch`] knows whose terms it caches.
    id: u64,
    config: FeatureConfig,
    names: Vec<String>,
    idf: Vec<f64>,
    stem: Stem,
    tables: Tables,
    /// The terms of the markers, or UNKNOWN.
    target: u32,
    other: u32,
    /// The lexicon as stems (empty unless the lexicon is on).
    lexicon: FxHashMap<String, i8>,
    /// Per feature: a character n-gram (the second block of `block_norm`).
    char_block: Vec<bool>,
    /// Per feature: a word unigram other than a marker, which a separate actor's context
    /// leaves out (empty unless `separate_actors` is set).
    shared_word: Vec<bool>,
    /// The separate actors, as saved.
    separate: Vec<String>,
}

impl std::fmt::Debug for Featurizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Featurizer")
            .field("config", &self.config)
            .field("features", &self.names.len())
            .finish()
    }
}

static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

impl Featurizer {
    /// Fits vocabulary and IDF on `docs`.
    pub fn fit(config: &FeatureConfig, docs: &[Doc<'_>]) -> Result<Featurizer> {
        Featurizer::from_file(fit::fit(config, docs)?)
    }

    /// Rebuilds a featurizer from what [`Featurizer::to_file`] saved, checking it.
    pub fn from_file(f: FeaturizerFile) -> Result<Featurizer> {
        f.config.validate()?;
        if f.features.len() != f.idf.len() {
            return Err(Error::Config(format!(
                "the featurizer has {} features but {} IDF values",
                f.features.len(),
                f.idf.len()
            )));
        }
        if let Some(i) = f.idf.iter().position(|v| !v.is_finite() || *v <= 0.0) {
            return Err(Error::Config(format!(
                "IDF value {} of feature \"{}\" is not a positive number",
                f.idf[i], f.features[i]
            )));
        }
        if !f.separate.is_empty() && f.config.separate_actors.is_none() {
            return Err(Error::Config(
                "the featurizer lists separate actors but its settings have none".into(),
            ));
        }
        let mut tables = Tables::default();
        let mut char_block = Vec::with_capacity(f.features.len());
        let separate_on = f.config.separate_actors.is_some();
        let mut shared_word = Vec::new();
        for (i, name) in f.features.iter().enumerate() {
            let key: FeatureKey = name
                .parse()
                .map_err(|e: FeatureKeyError| Error::Config(e.to_string()))?;
            if !tables.insert(&key, i as u32) {
                return Err(Error::Config(format!("feature \"{name}\" appears twice")));
            }
            char_block.push(key.is_char());
            if separate_on {
                shared_word.push(key.is_word_unigram());
            }
        }
        for a in &f.separate {
            if !tables.actors.mark_separate(a) {
                return Err(Error::Config(format!(
                    "separate actor \"{a}\" is listed twice"
                )));
            }
        }
        tables.words.finish(tables.terms.len());
        let stem = Stem::new(&f.config.language).expect("validated");
        let lexicon = if f.config.lexicon {
            lexicon::lexicon_stems(&stem)
        } else {
            FxHashMap::default()
        };
        let term = |t: &str| tables.terms.get(t).copied().unwrap_or(UNKNOWN);
        Ok(Featurizer {
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            target: term(TARGET_TERM),
            other: term(OTHER_TERM),
            config: f.config,
            names: f.features,
            idf: f.idf,
            stem,
            tables,
            lexicon,
            char_block,
            shared_word,
            separate: f.separate,
        })
    }

    /// What the model file keeps of the featurizer: settings, feature names, IDF.
    pub fn to_file(&self) -> FeaturizerFile {
        FeaturizerFile {
            config: self.config.clone(),
            features: self.names.clone(),
            idf: self.idf.clone(),
            separate: self.separate.clone(),
        }
    }

    /// The settings it was fitted with.
    pub fn config(&self) -> &FeatureConfig {
        &self.config
    }

    /// The number of features.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether it has no features at all.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The name of a feature (see [`FeatureKey`]): its stems joined by spaces, or a family's
    /// prefix and what the feature is about.
    pub fn name(&self, feature: usize) -> &str {
        &self.names[feature]
    }

    /// The key of a feature: its name, parsed.
    pub fn key(&self, feature: usize) -> FeatureKey {
        self.names[feature]
            .parse()
            .expect("feature names are checked when the featurizer is built")
    }

    /// Shares each feature's `weight(feature) · value` among its traced occurrences and sums the
    /// shares per segment: how much each sentence of a context pushed toward a label. `v` and
    /// `trace` come from one [`Featurizer::transform_with`] call.
    pub fn segment_sums(
        &self,
        v: &SparseVec,
        trace: &[(u32, u32)],
        n_segments: usize,
        weight: impl Fn(usize) -> f64,
        scratch: &mut Scratch,
    ) -> Vec<f64> {
        scratch.own(self.id, self.names.len());
        let c = &mut scratch.tally.counts;
        for &(f, _) in trace {
            c[f as usize] += 1.0;
        }
        for (&f, &x) in v.idx.iter().zip(&v.val) {
            let occ = c[f as usize];
            c[f as usize] = if occ > 0.0 {
                weight(f as usize) * x / occ
            } else {
                0.0
            };
        }
        let mut sums = vec![0.0; n_segments];
        for &(f, seg) in trace {
            if let Some(s) = sums.get_mut(seg as usize) {
                *s += c[f as usize];
            }
        }
        for &f in &v.idx {
            c[f as usize] = 0.0;
        }
        sums
    }

    /// The TF-IDF vector of a document.
    pub fn transform(&self, doc: Doc<'_>, scratch: &mut Scratch) -> SparseVec {
        let mut words = self.word_terms(doc.analysis, scratch);
        self.transform_with(doc, &mut words, scratch, None)
    }

    /// Like [`Featurizer::transform`], with the article's word terms computed beforehand, and
    /// optionally recording, for every occurrence of a feature, the segment (sentence of the
    /// context, counted from 0) it occurred in.
    ///
    /// The families run in a fixed order, which is the order of the vector's entries: the
    /// actor prior (left out of the trace: it stands in no sentence); then, piece by piece, a
    /// word's per-actor copy and character n-grams, and the word n-grams that end at the
    /// piece; then the extra features.
    pub fn transform_with(
        &self,
        doc: Doc<'_>,
        words: &mut WordTerms,
        scratch: &mut Scratch,
        trace: Option<&mut Vec<(u32, u32)>>,
    ) -> SparseVec {
        scratch.own(self.id, self.names.len());
        if words.stamp != (self.id, scratch.generation) {
            // Computed with another featurizer or before the cache was emptied.
            let mut fresh = self.word_terms(doc.analysis, scratch);
            return self.transform_with(doc, &mut fresh, scratch, trace);
        }
        let entries = &scratch.cache.entries;
        let mut sink = Sink::new(&mut scratch.tally, trace);
        let actor = doc.actor.and_then(|a| self.tables.actors.get(a));
        if let Some(f) = actor.map(|a| a.prior).filter(|&f| f != UNKNOWN) {
            sink.add_untraced(f);
        }
        let copies = actor.filter(|_| self.config.per_actor);
        // A separate actor's words count only as its copies (see `separate_actors`).
        let own = actor.is_some_and(|a| a.separate);
        let shared = |f: u32| !own || !self.shared_word[f as usize];
        let mut win = ngrams::Window::default();
        for p in doc.pieces {
            match *p {
                Piece::Break => {
                    win.brk();
                    sink.segment += 1;
                    continue;
                }
                Piece::Target => win.marker(self.target),
                Piece::Other => win.marker(self.other),
                Piece::Word(w) => {
                    let e = &entries[words.entries[w as usize] as usize];
                    if let Some(f) = copies.and_then(|a| self.tables.actors.copy(a, e.term)) {
                        sink.add(f);
                    }
                    for &f in e.chars.iter() {
                        sink.add(f);
                    }
                    win.word(w, e.term);
                }
            }
            let range = self.config.word_ngrams;
            self.tables.words.emit(&win, range, words, |f| {
                if shared(f) {
                    sink.add(f)
                }
            });
        }
        if let (Some(range), CharSource::Text) = (self.config.char_ngrams, self.config.char_source)
        {
            let mut buf = String::new();
            chars::for_each_sentence(doc, &mut buf, |s, segment| {
                sink.segment = segment;
                chars::char_grams(s, range, |g| {
                    if let Some(f) = self.tables.chars.get(g) {
                        sink.add(f);
                    }
                });
            });
        }
        if self.config.has_extras() {
            let toks = extras::toks(doc, words, entries);
            extras::for_each_extra(&self.config, &toks, |e, segment| {
                if let Some(&f) = self.tables.extras.get(&e) {
                    sink.segment = segment;
                    sink.add(f);
                }
            });
        }
        self.finish(&mut scratch.tally)
    }

    /// The TF-IDF vector of the counts in `tally`, which it leaves empty. Entries stay in order
    /// of first occurrence: sorting costs more than anything that reads the vector gains.
    fn finish(&self, tally: &mut Tally) -> SparseVec {
        let mut val = Vec::with_capacity(tally.touched.len());
        let mut norm = 0.0;
        let mut char_norm = 0.0;
        for &f in &tally.touched {
            let c = std::mem::replace(&mut tally.counts[f as usize], 0.0);
            let tf = if self.config.sublinear_tf {
                // Most terms occur once: skip the logarithm then.
                if c == 1.0 {
                    1.0
                } else {
                    1.0 + c.ln()
                }
            } else {
                c
            };
            let v = tf * self.idf[f as usize];
            if self.config.block_norm && self.char_block[f as usize] {
                char_norm += v * v;
            } else {
                norm += v * v;
            }
            val.push(v);
        }
        if self.config.block_norm {
            let inv = |n: f64| if n > 0.0 { 1.0 / n.sqrt() } else { 0.0 };
            let (w, c) = (inv(norm), inv(char_norm));
            for (v, &f) in val.iter_mut().zip(&tally.touched) {
                *v *= if self.char_block[f as usize] { c } else { w };
            }
        } else if norm > 0.0 {
            let inv = 1.0 / norm.sqrt();
            val.iter_mut().for_each(|v| *v *= inv);
        }
        let idx = tally.touched.clone();
        tally.touched.clear();
        SparseVec { idx, val }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::actors::Registry;
    use crate::context::{context, ContextConfig};

    /// A featurizer fitted on the whole texts (no actors).
    pub(super) fn fit_on(texts: &[&str], cfg: &FeatureConfig) -> Featurizer {
        let r = Registry::empty();
        let an: Vec<Analysis> = texts.iter().map(|t| Analysis::new(t, &r)).collect();
        let ctx: Vec<_> = an
            .iter()
            .map(|a| context(a, None, &ContextConfig::default()))
            .collect();
        let docs: Vec<Doc> = an
            .iter()
            .zip(&ctx)
            .map(|(a, c)| Doc {
                analysis: a,
                pieces: &c.pieces,
                actor: None,
            })
            .collect();
        Featurizer::fit(cfg, &docs).unwrap()
    }

    /// The vector of a whole text, by feature name, sorted.
    pub(super) fn vec_of(f: &Featurizer, t: &str) -> Vec<(String, f64)> {
        let r = Registry::empty();
        let a = Analysis::new(t, &r);
        let c = context(&a, None, &ContextConfig::default());
        let v = f.transform(
            Doc {
                analysis: &a,
                pieces: &c.pieces,
                actor: None,
            },
            &mut Scratch::default(),
        );
        let mut out: Vec<(String, f64)> = v
            .idx
            .iter()
            .zip(&v.val)
            .map(|(&i, &x)| (f.name(i as usize).to_string(), x))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    #[test]
    fn batch_independence_and_unknown_words() {
        let f = fit_on(&["a b c", "a b d"], &FeatureConfig::default());
        let one = vec_of(&f, "a b zzz");
        let again = vec_of(&f, "a b zzz");
        assert_eq!(one, again);
        assert!(vec_of(&f, "zzz qqq").is_empty());
    }

    #[test]
    fn round_trip_through_file() {
        let f = fit_on(
            &["alpha beta", "beta gamma", "alpha gamma"],
            &FeatureConfig::default(),
        );
        let g = Featurizer::from_file(f.to_file()).unwrap();
        assert_eq!(
            vec_of(&f, "alpha beta gamma"),
            vec_of(&g, "alpha beta gamma")
        );
        let mut bad = f.to_file();
        bad.idf.pop();
        assert!(Featurizer::from_file(bad).is_err());
    }

    /// The family of a feature, word n-grams by their length.
    fn family(k: &FeatureKey) -> &'static str {
        match k {
            FeatureKey::Words(t) => ["unigram", "bigram", "trigram", "4-gram"][t.len() - 1],
            FeatureKey::ActorPrior(_) => "prior",
            FeatureKey::PerActor { .. } => "per-actor",
            FeatureKey::Char(_) => "char",
            FeatureKey::Before(_) => "before",
            FeatureKey::After(_) => "after",
            FeatureKey::Negated(_) => "negated",
            FeatureKey::Lexicon(_) => "lexicon",
        }
    }

    #[test]
    fn every_family_survives_the_model_file_vector_for_vector() {
        let r = Registry::from_toml_str(
            "[[actor]]\nname = \"Iran\"\n[[actor]]\nname = \"North Korea\"\n",
        )
        .unwrap();
        let texts = [
            "Iran condemned North Korea, they said. North Korea did not praise Iran at all.",
            "North Korea praised Iran for its brave and welcome offer. Critics blamed Iran.",
            "Iran was never criticized by North Korea; the talks were a great success.",
        ];
        let an: Vec<Analysis> = texts.iter().map(|t| Analysis::new(t, &r)).collect();
        let cfg = ContextConfig::default();
        let names = ["Iran", "North Korea"];
        let ctx: Vec<_> = an
            .iter()
            .flat_map(|a| (0..2).map(move |x| (a, x)))
            .map(|(a, x)| (a, names[x], context(a, Some(x), &cfg)))
            .collect();
        let docs: Vec<Doc> = ctx
            .iter()
            .map(|(a, name, c)| Doc {
                analysis: a,
                pieces: &c.pieces,
                actor: Some(name),
            })
            .collect();
        let fcfg = FeatureConfig {
            word_ngrams: (1, 4),
            char_ngrams: Some((2, 4)),
            char_source: CharSource::Word,
            block_norm: true,
            near_target: 2,
            negation: true,
            lexicon: true,
            per_actor: true,
            min_df: 1,
            ..FeatureConfig::default()
        };
        let f = Featurizer::fit(&fcfg, &docs).unwrap();
        // Every family is there (a new family fails to compile in `family` until named).
        let keys: Vec<FeatureKey> = (0..f.len()).map(|i| f.key(i)).collect();
        let found: std::collections::BTreeSet<&str> = keys.iter().map(family).collect();
        let every = [
            "unigram",
            "bigram",
            "trigram",
            "4-gram",
            "prior",
            "per-actor",
            "char",
            "before",
            "after",
            "negated",
            "lexicon",
        ];
        assert_eq!(
            found,
            every.into_iter().collect(),
            "{:?}",
            f.to_file().features
        );
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(k.to_string(), f.name(i));
        }
        let g = Featurizer::from_file(f.to_file()).unwrap();
        assert_eq!(g.to_file(), f.to_file());
        // Identical vectors, entry for entry and bit for bit, and identical traces.
        let (mut sf, mut sg) = (Scratch::default(), Scratch::default());
        for d in &docs {
            let (mut tf, mut tg) = (Vec::new(), Vec::new());
            let mut wf = f.word_terms(d.analysis, &mut sf);
            let mut wg = g.word_terms(d.analysis, &mut sg);
            let vf = f.transform_with(*d, &mut wf, &mut sf, Some(&mut tf));
            let vg = g.transform_with(*d, &mut wg, &mut sg, Some(&mut tg));
            assert_eq!(vf, vg);
            assert_eq!(tf, tg);
            assert!(vf.nnz() > 0);
            // The actor prior is in the vector but in no sentence: never traced.
            let prior = vf
                .idx
                .iter()
                .find(|&&i| f.key(i as usize).to_string().starts_with("__actor__"));
            let prior = *prior.expect("the prior is in every vector");
            assert!(tf.iter().all(|&(i, _)| i != prior));
        }
    }

    #[test]
    fn bad_feature_lists_are_refused() {
        let cfg = FeatureConfig {
            min_df: 1,
            ..FeatureConfig::default()
        };
        let f = fit_on(&["alpha beta", "beta gamma"], &cfg);
        let mut twice = f.to_file();
        twice.features[1] = twice.features[0].clone();
        let err = Featurizer::from_file(twice).unwrap_err().to_string();
        assert!(err.contains("appears twice"), "{err}");
        let mut empty = f.to_file();
        empty.features[0] = String::new();
        let err = Featurizer::from_file(empty).unwrap_err().to_string();
        assert_eq!(err, "bad feature name \"\": a feature name cannot be empty");
    }
}
