//! Fitting: the document frequency of every feature of the training documents, family by
//! family, then min_df, max_features, the order of the model file (by name) and smoothed IDF.

use super::extras::{clause_before, Tok};
use super::key::{actor_name, FeatureKey};
use super::lexicon::{is_negation_cue, lexicon_stems};
use super::ngrams::{self, Gram, PAD};
use super::{actor, chars, extras, CharSource, Doc, FeatureConfig, FeaturizerFile};
use crate::context::{Piece, OTHER_TERM, TARGET_TERM};
use crate::error::Result;
use crate::text::Stem;
use crate::tokens;
use rustc_hash::{FxHashMap, FxHashSet};
use std::hash::Hash;

/// A training document as the families see it when counting.
pub(super) struct FitDoc<'a> {
    /// The document itself: its article, context and actor.
    pub(super) source: Doc<'a>,
    /// The term of each piece (markers have theirs), [`PAD`] at sentence breaks.
    pub(super) seq: Vec<u32>,
    /// The pieces for the extra features (empty unless one is on).
    pub(super) toks: Vec<Tok>,
    /// The distinct words as written, lower-cased (empty unless character n-grams are taken
    /// from words).
    pub(super) words: FxHashSet<String>,
    /// Every term so far, by id.
    pub(super) terms: &'a [String],
    target: u32,
    other: u32,
}

impl FitDoc<'_> {
    /// The distinct terms of the document's words (no markers).
    pub(super) fn distinct_terms(&self) -> FxHashSet<u32> {
        self.seq
            .iter()
            .copied()
            .filter(|&t| t != PAD && t != self.target && t != self.other)
            .collect()
    }
}

/// Fits vocabulary and IDF on `docs`: what [`super::Featurizer::from_file`] builds from.
pub(super) fn fit(config: &FeatureConfig, docs: &[Doc<'_>]) -> Result<FeaturizerFile> {
    config.validate()?;
    let separate = separate_actors(config, docs);
    let mut reader = Reader::new(config);
    let mut grams: DocFreq<Gram> = DocFreq::default();
    let mut keys: DocFreq<FeatureKey> = DocFreq::default();
    for d in docs {
        let own = d
            .actor
            .is_some_and(|a| separate.binary_search(&actor_name(a)).is_ok());
        let doc = reader.read(*d);
        count_doc(config, &doc, own, &mut grams, &mut keys);
        grams.end_doc();
        keys.end_doc();
    }
    let terms = reader.terms;
    let kept: Vec<(String, u32)> = grams
        .kept(config.min_df)
        .map(|(g, df)| (ngrams::key(&g, &terms), df))
        .chain(keys.kept(config.min_df))
        .map(|(k, df)| (k.to_string(), df))
        .collect();
    let (features, idf) = select(config, kept, docs.len());
    Ok(FeaturizerFile {
        config: config.clone(),
        features,
        idf,
        separate,
    })
}

/// With `separate_actors`: the actors (as feature names hold them, sorted) with at least that
/// many documents in `docs`.
fn separate_actors(config: &FeatureConfig, docs: &[Doc<'_>]) -> Vec<String> {
    let Some(min) = config.separate_actors else {
        return Vec::new();
    };
    let mut n: FxHashMap<String, usize> = FxHashMap::default();
    for a in docs.iter().filter_map(|d| d.actor) {
        *n.entry(actor_name(a)).or_insert(0) += 1;
    }
    let mut out: Vec<String> = n
        .into_iter()
        .filter(|&(_, c)| c >= min)
        .map(|(a, _)| a)
        .collect();
    out.sort_unstable();
    out
}

/// The features of one document, family by family. Word n-grams, by far the most numerous,
/// are counted by their term ids; every other family gives its keys. A separate actor's
/// document (`own`) has no shared word unigrams: its words count as their copies.
fn count_doc(
    config: &FeatureConfig,
    doc: &FitDoc<'_>,
    own: bool,
    grams: &mut DocFreq<Gram>,
    keys: &mut DocFreq<FeatureKey>,
) {
    let (lo, hi) = config.word_ngrams;
    let copied = |g: &Gram| g[1] == PAD && g[0] != doc.target && g[0] != doc.other;
    ngrams::for_each_ngram(&doc.seq, lo, hi, |g| {
        if !(own && copied(&g)) {
            grams.see(g)
        }
    });
    actor::count(config, doc, own, |k| keys.see(k));
    chars::count(config, doc, |k| keys.see(k));
    extras::count(config, doc, |k| keys.see(k));
}

/// Applies max_features (the most frequent by document frequency, ties by name), puts the
/// features in the order of their names and gives each its smoothed IDF,
/// `ln((1 + n) / (1 + df)) + 1`.
fn select(
    config: &FeatureConfig,
    mut kept: Vec<(String, u32)>,
    n_docs: usize,
) -> (Vec<String>, Vec<f64>) {
    if let Some(max) = config.max_features {
        if kept.len() > max {
            kept.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            kept.truncate(max);
        }
    }
    kept.sort_by(|a, b| a.0.cmp(&b.0));
    let n = n_docs as f64;
    kept.into_iter()
        .map(|(name, df)| (name, ((1.0 + n) / (1.0 + df as f64)).ln() + 1.0))
        .unzip()
}

/// Document frequencies: in how many documents each key occurs.
struct DocFreq<K> {
    df: FxHashMap<K, u32>,
    /// The keys of the current document.
    seen: FxHashSet<K>,
}

impl<K> Default for DocFreq<K> {
    fn default() -> Self {
        DocFreq {
            df: FxHashMap::default(),
            seen: FxHashSet::default(),
        }
    }
}

impl<K: Hash + Eq> DocFreq<K> {
    /// `key` occurs in the current document (once or more).
    fn see(&mut self, key: K) {
        self.seen.insert(key);
    }

    /// The current document is done.
    fn end_doc(&mut self) {
        for k in self.seen.drain() {
            *self.df.entry(k).or_insert(0) += 1;
        }
    }

    /// The keys in at least `min_df` documents, with their document frequency.
    fn kept(self, min_df: usize) -> impl Iterator<Item = (K, u32)> {
        self.df
            .into_iter()
            .filter(move |(_, df)| *df as usize >= min_df)
    }
}

/// Turns training documents into terms, interning each term once.
struct Reader<'c> {
    config: &'c FeatureConfig,
    stem: Stem,
    /// Every term, by id.
    terms: Vec<String>,
    index: FxHashMap<String, u32>,
    /// Word as lower-cased → its term.
    surface: FxHashMap<String, u32>,
    /// The lexicon as stems (empty unless the lexicon is on).
    lexicon: FxHashMap<String, i8>,
    buf: String,
    target: u32,
    other: u32,
}

impl<'c> Reader<'c> {
    fn new(config: &'c FeatureConfig) -> Reader<'c> {
        let stem = Stem::new(&config.language).expect("validated");
        let lexicon = if config.lexicon {
            lexicon_stems(&stem)
        } else {
            FxHashMap::default()
        };
        let mut r = Reader {
            config,
            stem,
            terms: Vec::new(),
            index: FxHashMap::default(),
            surface: FxHashMap::default(),
            lexicon,
            buf: String::new(),
            target: 0,
            other: 0,
        };
        r.target = r.intern(TARGET_TERM);
        r.other = r.intern(OTHER_TERM);
        r
    }

    fn intern(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = self.terms.len() as u32;
        self.terms.push(s.to_string());
        self.index.insert(s.to_string(), i);
        i
    }

    /// The term of the word as lower-cased in `self.buf`, stemmed if `stem` (the social tokens
    /// are not, see [`tokens::term_into`]; their forms are no plain word's).
    fn word_term(&mut self, stem: bool) -> u32 {
        if let Some(&t) = self.surface.get(&self.buf) {
            return t;
        }
        let stem = match stem {
            true => self.stem.stem(&self.buf).into_owned(),
            false => self.buf.clone(),
        };
        let t = self.intern(&stem);
        self.surface.insert(self.buf.clone(), t);
        t
    }

    fn read<'d>(&'d mut self, d: Doc<'d>) -> FitDoc<'d> {
        let extras_on = self.config.has_extras();
        let words_on =
            self.config.char_ngrams.is_some() && self.config.char_source == CharSource::Word;
        let mut seq = Vec::with_capacity(d.pieces.len());
        let mut toks = Vec::new();
        let mut words = FxHashSet::default();
        for p in d.pieces {
            let (term, tok) = match *p {
                Piece::Word(w) => {
                    let stem = tokens::term_into(d.analysis.word_str(w as usize), &mut self.buf);
                    let t = self.word_term(stem);
                    if words_on && !words.contains(&self.buf) {
                        words.insert(self.buf.clone());
                    }
                    let tok = extras_on.then(|| Tok::Word {
                        term: t,
                        lex: self
                            .lexicon
                            .get(&self.terms[t as usize])
                            .copied()
                            .unwrap_or(0),
                        cue: is_negation_cue(&self.buf),
                        clause: self.buf == "but" || clause_before(d.analysis, w as usize),
                    });
                    (t, tok)
                }
                Piece::Target => (self.target, Some(Tok::Target)),
                Piece::Other => (self.other, Some(Tok::Other)),
                Piece::Break => (PAD, Some(Tok::Break)),
            };
            seq.push(term);
            if let Some(tok) = tok.filter(|_| extras_on) {
                toks.push(tok);
            }
        }
        FitDoc {
            source: d,
            seq,
            toks,
            words,
            terms: &self.terms,
            target: self.target,
            other: self.other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{fit_on, vec_of};
    use super::super::*;

    #[test]
    fn idf_and_l2_norm_worked_by_hand() {
        // 3 docs; "attack" in all 3 (idf = ln(4/4)+1 = 1), "drone" in 2 (idf = ln(4/3)+1).
        let cfg = FeatureConfig {
            word_ngrams: (1, 1),
            min_df: 1,
            sublinear_tf: false,
            ..FeatureConfig::default()
        };
        let f = fit_on(&["attack drone", "attack drone", "attack"], &cfg);
        assert_eq!(f.len(), 2);
        let v = vec_of(&f, "Attacks attack drones.");
        // counts: attack 2, drone 1 -> raw 2*1, 1*(ln(4/3)+1)
        let a = 2.0;
        let d = (4.0f64 / 3.0).ln() + 1.0;
        let n = (a * a + d * d).sqrt();
        assert_eq!(v[0].0, "attack");
        assert!((v[0].1 - a / n).abs() < 1e-12);
        assert!((v[1].1 - d / n).abs() < 1e-12);
    }

    #[test]
    fn max_features_keeps_the_most_frequent_ties_by_name() {
        let cfg = FeatureConfig {
            word_ngrams: (1, 1),
            min_df: 1,
            max_features: Some(3),
            ..FeatureConfig::default()
        };
        // df: a 3, b 2, c 2, d 1: keeps a, then b before c (by name); d goes.
        let f = fit_on(&["a b c d", "a b c", "a e"], &cfg);
        let names: Vec<&str> = (0..f.len()).map(|i| f.name(i)).collect();
        assert_eq!(names, vec!["a", "b", "c"]);
    }
}
