//! Per-thread working memory of scoring: the counts of one transform, and the cache of what each
//! word as written becomes (lower-casing and stemming are the costly part of scoring).

use super::ngrams::{Gram, MAX_N, UNSET};
use super::{Analysis, Featurizer, UNKNOWN};
use crate::tokens;
use rustc_hash::FxHashMap;

/// Per-thread working memory for [`Featurizer::transform`]: counts and a cache of the terms of
/// the words seen so far (lower-casing and stemming are the costly part of scoring). Keep one
/// per thread and reuse it: the cache is what makes scoring fast.
#[derive(Default)]
pub struct Scratch {
    /// The featurizer whose terms the cache holds.
    owner: u64,
    /// Bumped whenever the cache is emptied, so stale [`WordTerms`] are noticed.
    pub(super) generation: u64,
    pub(super) tally: Tally,
    pub(super) cache: WordCache,
}

/// The counts of the features of one document, zero outside `touched`.
#[derive(Default)]
pub(super) struct Tally {
    /// Per feature: its count (between `add` and `finish`), zero otherwise.
    pub(super) counts: Vec<f64>,
    /// The features with a count, in order of first occurrence.
    pub(super) touched: Vec<u32>,
}

/// The words seen so far, as written, with what the featurizer makes of each.
#[derive(Default)]
pub(super) struct WordCache {
    /// Word as written, of at most 8 bytes, packed into a number ([`pack`]) → index into
    /// `entries`: most words are that short, and a number hashes and compares in one step
    /// where a string key costs a hash over its bytes and a `memcmp`.
    short: FxHashMap<u64, u32>,
    /// Longer words as written → index into `entries`.
    index: FxHashMap<String, u32>,
    pub(super) entries: Vec<CachedTerm>,
    buf: String,
}

/// What a word as written becomes: its term and everything the families read from the word.
pub(super) struct CachedTerm {
    /// Its term (the stem's id), or UNKNOWN.
    pub(super) term: u32,
    /// The features of its character n-grams.
    pub(super) chars: Box<[u32]>,
    /// In the lexicon: +1 positive, -1 negative, 0 not.
    pub(super) lex: i8,
    /// Opens a negation scope.
    pub(super) cue: bool,
    /// Is "but" (ends a negation scope).
    pub(super) but: bool,
}

/// The cached term of every word of one analysed article (indices into the scratch's entries),
/// computed once and shared by all the article's contexts.
#[derive(Debug, Clone, Default)]
pub struct WordTerms {
    pub(super) entries: Vec<u32>,
    /// For each word, the feature of the word n-gram of each length that ends at it (`UNSET`
    /// until a context first needs it): an n-gram of plain, consecutive words has the same
    /// feature in every context of the article, so each is looked up once per article.
    pub(super) grams: Vec<Gram>,
    /// The featurizer and cache generation the entries belong to.
    pub(super) stamp: (u64, u64),
}

/// The most words the stem cache holds before it starts over.
const CACHE_LIMIT: usize = 500_000;

impl Scratch {
    /// Makes the scratch featurizer `owner`'s, with `n_features` counts: a scratch last used
    /// by another featurizer forgets what it cached.
    pub(super) fn own(&mut self, owner: u64, n_features: usize) {
        if self.owner != owner || self.tally.counts.len() != n_features {
            self.owner = owner;
            self.clear_cache();
            self.tally.counts = vec![0.0; n_features];
            self.tally.touched.clear();
        }
    }

    fn clear_cache(&mut self) {
        self.generation += 1;
        self.cache.short.clear();
        self.cache.index.clear();
        self.cache.entries.clear();
    }
}

/// A word of at most 8 bytes as one number: its bytes, zero-padded. A word has no zero byte
/// (it is made of letters, digits and apostrophes), so two words are equal exactly when their
/// numbers are.
#[inline]
fn pack(word: &str) -> Option<u64> {
    let mut a = [0u8; 8];
    a.get_mut(..word.len())?.copy_from_slice(word.as_bytes());
    Some(u64::from_le_bytes(a))
}

impl WordCache {
    fn len(&self) -> usize {
        self.short.len() + self.index.len()
    }

    fn get(&self, word: &str, packed: Option<u64>) -> Option<u32> {
        match packed {
            Some(k) => self.short.get(&k).copied(),
            None => self.index.get(word).copied(),
        }
    }

    fn insert(&mut self, word: &str, packed: Option<u64>, i: u32) {
        match packed {
            Some(k) => self.short.insert(k, i),
            None => self.index.insert(word.to_string(), i),
        };
    }
}

/// Counts feature occurrences into a [`Tally`] and, when asked, records the segment (sentence
/// of the context) of each.
pub(super) struct Sink<'a> {
    tally: &'a mut Tally,
    trace: Option<&'a mut Vec<(u32, u32)>>,
    /// The segment the next occurrences are in.
    pub(super) segment: u32,
}

impl<'a> Sink<'a> {
    pub(super) fn new(tally: &'a mut Tally, trace: Option<&'a mut Vec<(u32, u32)>>) -> Sink<'a> {
        tally.touched.clear();
        Sink {
            tally,
            trace,
            segment: 0,
        }
    }

    /// One occurrence of feature `f` outside every segment, never traced (the actor prior:
    /// it stands in no sentence, so no sentence gets its weight as evidence).
    pub(super) fn add_untraced(&mut self, f: u32) {
        let c = &mut self.tally.counts[f as usize];
        if *c == 0.0 {
            self.tally.touched.push(f);
        }
        *c += 1.0;
    }

    /// One occurrence of feature `f`, in the current segment.
    #[inline]
    pub(super) fn add(&mut self, f: u32) {
        let c = &mut self.tally.counts[f as usize];
        if *c == 0.0 {
            self.tally.touched.push(f);
        }
        *c += 1.0;
        if let Some(t) = self.trace.as_deref_mut() {
            t.push((f, self.segment));
        }
    }
}

impl Featurizer {
    /// Looks up (or computes and caches) the term of every word of the article.
    pub fn word_terms(&self, analysis: &Analysis<'_>, scratch: &mut Scratch) -> WordTerms {
        scratch.own(self.id, self.names.len());
        if scratch.cache.len() >= CACHE_LIMIT {
            scratch.clear_cache();
        }
        let cache = &mut scratch.cache;
        let mut out = Vec::with_capacity(analysis.words.len());
        for w in 0..analysis.words.len() {
            // Keyed by the word as written: a hit costs one hash, with no lower-casing or copy
            // ("Russia" and "russia" get two entries that point to the same term).
            let word = analysis.word_str(w);
            let packed = pack(word);
            let idx = match cache.get(word, packed) {
                Some(i) => i,
                None => {
                    let stem = tokens::term_into(word, &mut cache.buf);
                    let entry = self.cached_term(&cache.buf, stem);
                    let i = cache.entries.len() as u32;
                    cache.entries.push(entry);
                    cache.insert(word, packed, i);
                    i
                }
            };
            out.push(idx);
        }
        WordTerms {
            grams: vec![[UNSET; MAX_N]; out.len()],
            entries: out,
            stamp: (self.id, scratch.generation),
        }
    }

    /// What the word `normalized` (lower-cased) becomes; `stem`: whether it is stemmed (the
    /// social tokens are not, see [`tokens::term_into`]).
    fn cached_term(&self, normalized: &str, stem: bool) -> CachedTerm {
        let stem = if stem {
            self.stem.stem(normalized)
        } else {
            std::borrow::Cow::Borrowed(normalized)
        };
        let chars = match self.config.char_ngrams {
            Some(range) => self.tables.chars.features_of(
                match self.config.char_source {
                    super::CharSource::Stem => &stem,
                    super::CharSource::Word => normalized,
                    // Taken from the whole context instead (`chars::text_grams`).
                    super::CharSource::Text => "",
                },
                range,
            ),
            None => Box::default(),
        };
        CachedTerm {
            term: self
                .tables
                .terms
                .get(stem.as_ref())
                .copied()
                .unwrap_or(UNKNOWN),
            chars,
            lex: self.lexicon.get(stem.as_ref()).copied().unwrap_or(0),
            cue: super::lexicon::is_negation_cue(normalized),
            but: normalized == "but",
        }
    }
}
