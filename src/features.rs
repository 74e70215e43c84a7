//! TF-IDF features: vocabulary and IDF fitted once and stored in the model, so that an article's
//! vector never depends on what else is in the batch; word n-grams over stems, optional
//! character n-grams of each stem, sublinear tf, min_df and max_features, L2-normalised sparse
//! rows.
//!
//! Written here rather than taken from linfa-preprocessing because its `TfIdfVectorizer`
//! recomputes IDF from every batch it transforms, does not normalise rows, orders columns by
//! hash-map iteration and cannot stem (see DESIGN.md).

use crate::context::{Analysis, Piece, OTHER_TERM, TARGET_TERM};
use crate::error::{Error, Result};
use crate::text::{self, Stem};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

/// Featurizer settings, saved in the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FeatureConfig {
    /// Word n-gram lengths, inclusive (1..=4).
    pub word_ngrams: (usize, usize),
    /// Character n-gram lengths of each stem (with `<` and `>` marking its ends), if any.
    pub char_ngrams: Option<(usize, usize)>,
    /// Use 1 + ln(tf) instead of tf.
    pub sublinear_tf: bool,
    /// Keep a feature only if it occurs in at least this many training documents.
    pub min_df: usize,
    /// Keep at most this many features (the most frequent by document frequency).
    pub max_features: Option<usize>,
    /// Stemmer language (see [`text::LANGUAGES`]).
    pub language: String,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        FeatureConfig {
            word_ngrams: (1, 2),
            char_ngrams: None,
            sublinear_tf: true,
            min_df: 2,
            max_features: Some(200_000),
            language: "english".into(),
        }
    }
}

impl FeatureConfig {
    pub fn validate(&self) -> Result<()> {
        let (lo, hi) = self.word_ngrams;
        if lo < 1 || hi < lo || hi > MAX_N {
            return Err(Error::Config(format!(
                "word n-grams must satisfy 1 <= min <= max <= {MAX_N}, got {lo}..{hi}"
            )));
        }
        if let Some((lo, hi)) = self.char_ngrams {
            if lo < 1 || hi < lo || hi > 8 {
                return Err(Error::Config(format!(
                    "character n-grams must satisfy 1 <= min <= max <= 8, got {lo}..{hi}"
                )));
            }
        }
        if self.min_df < 1 {
            return Err(Error::Config("min_df must be at least 1".into()));
        }
        if self.max_features == Some(0) {
            return Err(Error::Config("max_features must be at least 1".into()));
        }
        if Stem::new(&self.language).is_none() {
            return Err(Error::Config(format!(
                "unknown stemmer language \"{}\" (one of: {})",
                self.language,
                text::LANGUAGES.join(", ")
            )));
        }
        Ok(())
    }
}

const MAX_N: usize = 4;
type Key = [u32; MAX_N];
const UNKNOWN: u32 = u32::MAX;
const PAD: u32 = u32::MAX - 1;
const UNSET: u32 = u32::MAX - 2;
const CHAR_PREFIX: char = '#';

/// A sparse row: feature indices (each once, in no particular order) with their values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SparseVec {
    pub idx: Vec<u32>,
    pub val: Vec<f64>,
}

impl SparseVec {
    pub fn nnz(&self) -> usize {
        self.idx.len()
    }
}

/// A document to featurize: a context of an analysed article, and the actor it is about when
/// the actor's identity is a feature (the actor prior: `__actor__` and its name).
#[derive(Clone, Copy)]
pub struct Doc<'a> {
    pub analysis: &'a Analysis<'a>,
    pub pieces: &'a [Piece],
    pub actor: Option<&'a str>,
}

/// The term that stands for "this context is about actor `name`".
pub fn actor_term(name: &str) -> String {
    format!("__actor__{}", name.replace(char::is_whitespace, "_"))
}

/// The fitted featurizer.
pub struct Featurizer {
    /// Unique per featurizer in this process, so a [`Scratch`] knows whose terms it caches.
    id: u64,
    config: FeatureConfig,
    names: Vec<String>,
    idf: Vec<f64>,
    stem: Stem,
    terms: FxHashMap<String, u32>,
    /// Feature of each term as a unigram, or UNKNOWN.
    unigram: Vec<u32>,
    /// Word bigrams keyed by both terms in one u64 (the common case, hashed fast).
    bigrams: FxHashMap<u64, u32>,
    /// Word n-grams of three or more.
    ngrams: FxHashMap<Key, u32>,
    chars: FxHashMap<String, u32>,
}

impl std::fmt::Debug for Featurizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Featurizer")
            .field("config", &self.config)
            .field("features", &self.names.len())
            .finish()
    }
}

/// What a featurizer saves: its settings, feature names and IDF.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeaturizerFile {
    pub config: FeatureConfig,
    pub features: Vec<String>,
    #[serde(with = "crate::model::compact")]
    pub idf: Vec<f64>,
}

/// Per-thread working memory for [`Featurizer::transform`]: counts and a cache of the terms of
/// the words seen so far (lower-casing and stemming are the costly part of scoring). Keep one
/// per thread and reuse it: the cache is what makes scoring fast.
#[derive(Default)]
pub struct Scratch {
    owner: u64,
    /// Bumped whenever the cache is emptied, so stale [`WordTerms`] are noticed.
    generation: u64,
    counts: Vec<f64>,
    touched: Vec<u32>,
    /// Word as written → index into `entries`.
    cache: FxHashMap<String, u32>,
    entries: Vec<CachedTerm>,
    buf: String,
}

struct CachedTerm {
    term: u32,
    chars: Box<[u32]>,
}

/// The cached term of every word of one analysed article (indices into the scratch's entries),
/// computed once and shared by all the article's contexts.
#[derive(Debug, Clone, Default)]
pub struct WordTerms {
    entries: Vec<u32>,
    /// For each word, the feature of the word n-gram of each length that ends at it (`UNSET`
    /// until a context first needs it): an n-gram of plain, consecutive words has the same
    /// feature in every context of the article, so each is looked up once per article.
    grams: Vec<[u32; MAX_N]>,
    /// The featurizer and cache generation the entries belong to.
    stamp: (u64, u64),
}

static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// The most words the stem cache holds before it starts over.
const CACHE_LIMIT: usize = 500_000;

fn char_grams(term: &str, (lo, hi): (usize, usize), mut f: impl FnMut(&str)) {
    let mut s = String::with_capacity(term.len() + 2);
    s.push('<');
    s.push_str(term);
    s.push('>');
    let bounds: Vec<usize> = s
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(s.len()))
        .collect();
    let nchars = bounds.len() - 1;
    let mut g = String::new();
    for n in lo..=hi {
        for start in 0..nchars.saturating_sub(n - 1) {
            g.clear();
            g.push(CHAR_PREFIX);
            g.push_str(&s[bounds[start]..bounds[start + n]]);
            f(&g);
        }
    }
}

impl Featurizer {
    /// Fits vocabulary and IDF on `docs`.
    pub fn fit(config: &FeatureConfig, docs: &[Doc<'_>]) -> Result<Featurizer> {
        config.validate()?;
        let stem = Stem::new(&config.language).expect("validated");
        let mut table: Vec<String> = Vec::new();
        let mut index: FxHashMap<String, u32> = FxHashMap::default();
        let mut surface: FxHashMap<String, u32> = FxHashMap::default();
        let mut intern = |s: &str, table: &mut Vec<String>| -> u32 {
            if let Some(&i) = index.get(s) {
                return i;
            }
            let i = table.len() as u32;
            table.push(s.to_string());
            index.insert(s.to_string(), i);
            i
        };
        let target = intern(TARGET_TERM, &mut table);
        let other = intern(OTHER_TERM, &mut table);
        let mut df_words: FxHashMap<Key, u32> = FxHashMap::default();
        let mut df_chars: FxHashMap<String, u32> = FxHashMap::default();
        let mut buf = String::new();
        let (lo, hi) = config.word_ngrams;
        for d in docs {
            let mut seq: Vec<u32> = Vec::with_capacity(d.pieces.len());
            for p in d.pieces {
                seq.push(match *p {
                    Piece::Word(w) => {
                        text::normalize_into(d.analysis.word_str(w as usize), &mut buf);
                        if let Some(&t) = surface.get(&buf) {
                            t
                        } else {
                            let t = intern(&stem.stem(&buf), &mut table);
                            surface.insert(buf.clone(), t);
                            t
                        }
                    }
                    Piece::Target => target,
                    Piece::Other => other,
                    Piece::Break => PAD,
                });
            }
            let mut seen: FxHashSet<Key> = FxHashSet::default();
            for_each_ngram(&seq, lo, hi, |k| {
                seen.insert(k);
            });
            if let Some(a) = d.actor {
                let mut key = [PAD; MAX_N];
                key[0] = intern(&actor_term(a), &mut table);
                seen.insert(key);
            }
            for k in seen {
                *df_words.entry(k).or_insert(0) += 1;
            }
            if let Some(range) = config.char_ngrams {
                let mut seen: FxHashSet<String> = FxHashSet::default();
                let distinct: FxHashSet<u32> = seq
                    .iter()
                    .copied()
                    .filter(|&t| t != PAD && t != target && t != other)
                    .collect();
                for t in distinct {
                    char_grams(&table[t as usize], range, |g| {
                        if !seen.contains(g) {
                            seen.insert(g.to_string());
                        }
                    });
                }
                for g in seen {
                    *df_chars.entry(g).or_insert(0) += 1;
                }
            }
        }
        let name_of = |k: &Key| {
            k.iter()
                .take_while(|&&t| t != PAD)
                .map(|&t| table[t as usize].as_str())
                .collect::<Vec<_>>()
                .join(" ")
        };
        let mut kept: Vec<(String, u32)> = df_words
            .iter()
            .filter(|(_, &df)| df as usize >= config.min_df)
            .map(|(k, &df)| (name_of(k), df))
            .chain(
                df_chars
                    .into_iter()
                    .filter(|(_, df)| *df as usize >= config.min_df),
            )
            .collect();
        if let Some(max) = config.max_features {
            if kept.len() > max {
                kept.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                kept.truncate(max);
            }
        }
        kept.sort_by(|a, b| a.0.cmp(&b.0));
        let n = docs.len() as f64;
        let (names, idf): (Vec<String>, Vec<f64>) = kept
            .into_iter()
            .map(|(name, df)| (name, ((1.0 + n) / (1.0 + df as f64)).ln() + 1.0))
            .unzip();
        Featurizer::from_file(FeaturizerFile {
            config: config.clone(),
            features: names,
            idf,
        })
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
        let stem = Stem::new(&f.config.language).expect("validated");
        let mut terms: FxHashMap<String, u32> = FxHashMap::default();
        let mut unigram: Vec<u32> = Vec::new();
        let mut ngrams: FxHashMap<Key, u32> = FxHashMap::default();
        let mut bigrams: FxHashMap<u64, u32> = FxHashMap::default();
        let mut chars: FxHashMap<String, u32> = FxHashMap::default();
        for (i, name) in f.features.iter().enumerate() {
            let fid = i as u32;
            let fresh = if name.starts_with(CHAR_PREFIX) {
                chars.insert(name.clone(), fid).is_none()
            } else {
                let parts: Vec<&str> = name.split(' ').collect();
                if parts.is_empty() || parts.len() > MAX_N || parts.iter().any(|p| p.is_empty()) {
                    return Err(Error::Config(format!("bad feature name \"{name}\"")));
                }
                let mut key = [PAD; MAX_N];
                for (j, p) in parts.iter().enumerate() {
                    let next = terms.len() as u32;
                    key[j] = *terms.entry((*p).to_string()).or_insert(next);
                }
                if parts.len() == 1 {
                    let t = key[0] as usize;
                    if unigram.len() <= t {
                        unigram.resize(t + 1, UNKNOWN);
                    }
                    unigram[t] = fid;
                }
                match parts.len() {
                    2 => bigrams.insert(pair(key[0], key[1]), fid).is_none(),
                    _ => ngrams.insert(key, fid).is_none(),
                }
            };
            if !fresh {
                return Err(Error::Config(format!("feature \"{name}\" appears twice")));
            }
        }
        unigram.resize(terms.len(), UNKNOWN);
        Ok(Featurizer {
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            config: f.config,
            names: f.features,
            idf: f.idf,
            stem,
            terms,
            unigram,
            bigrams,
            ngrams,
            chars,
        })
    }

    pub fn to_file(&self) -> FeaturizerFile {
        FeaturizerFile {
            config: self.config.clone(),
            features: self.names.clone(),
            idf: self.idf.clone(),
        }
    }

    pub fn config(&self) -> &FeatureConfig {
        &self.config
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The name of a feature: its stems joined by spaces, or `#` and a character n-gram.
    pub fn name(&self, feature: usize) -> &str {
        &self.names[feature]
    }

    fn own(&self, scratch: &mut Scratch) {
        if scratch.owner != self.id || scratch.counts.len() != self.names.len() {
            scratch.owner = self.id;
            scratch.generation += 1;
            scratch.cache.clear();
            scratch.entries.clear();
            scratch.counts = vec![0.0; self.names.len()];
            scratch.touched.clear();
        }
    }

    /// Looks up (or computes and caches) the term of every word of the article.
    pub fn word_terms(&self, analysis: &Analysis<'_>, scratch: &mut Scratch) -> WordTerms {
        self.own(scratch);
        if scratch.cache.len() >= CACHE_LIMIT {
            scratch.generation += 1;
            scratch.cache.clear();
            scratch.entries.clear();
        }
        let mut out = Vec::with_capacity(analysis.words.len());
        for w in 0..analysis.words.len() {
            // Keyed by the word as written: a hit costs one hash, with no lower-casing or copy
            // ("Russia" and "russia" get two entries that point to the same term).
            let word = analysis.word_str(w);
            let idx = match scratch.cache.get(word) {
                Some(&i) => i,
                None => {
                    text::normalize_into(word, &mut scratch.buf);
                    let stem = self.stem.stem(&scratch.buf);
                    let term = self.terms.get(stem.as_ref()).copied().unwrap_or(UNKNOWN);
                    let mut cf = Vec::new();
                    if let Some(range) = self.config.char_ngrams {
                        char_grams(&stem, range, |g| {
                            if let Some(&f) = self.chars.get(g) {
                                cf.push(f);
                            }
                        });
                    }
                    let i = scratch.entries.len() as u32;
                    scratch.entries.push(CachedTerm {
                        term,
                        chars: cf.into_boxed_slice(),
                    });
                    scratch.cache.insert(word.to_string(), i);
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
        self.own(scratch);
        let c = &mut scratch.counts;
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
    pub fn transform_with(
        &self,
        doc: Doc<'_>,
        words: &mut WordTerms,
        scratch: &mut Scratch,
        mut trace: Option<&mut Vec<(u32, u32)>>,
    ) -> SparseVec {
        self.own(scratch);
        if words.stamp != (self.id, scratch.generation) {
            // Computed with another featurizer or before the cache was emptied.
            let mut fresh = self.word_terms(doc.analysis, scratch);
            return self.transform_with(doc, &mut fresh, scratch, trace);
        }
        scratch.touched.clear();
        let target = self.terms.get(TARGET_TERM).copied().unwrap_or(UNKNOWN);
        let other = self.terms.get(OTHER_TERM).copied().unwrap_or(UNKNOWN);
        let (lo, hi) = self.config.word_ngrams;
        if let Some(a) = doc.actor {
            let f = self
                .terms
                .get(&actor_term(a))
                .and_then(|&t| self.unigram.get(t as usize).copied())
                .unwrap_or(UNKNOWN);
            if f != UNKNOWN {
                scratch.counts[f as usize] = 1.0;
                scratch.touched.push(f);
            }
        }
        let mut hist = [PAD; MAX_N];
        let mut run = 0usize; // terms since the last break
        let mut words_run = 0usize; // consecutive words of the text since the last break or marker
        let mut last_word = u32::MAX;
        let mut segment = 0u32;
        let mut add = |f: u32, scratch: &mut Scratch, segment: u32| {
            let c = &mut scratch.counts[f as usize];
            if *c == 0.0 {
                scratch.touched.push(f);
            }
            *c += 1.0;
            if let Some(t) = trace.as_deref_mut() {
                t.push((f, segment));
            }
        };
        for p in doc.pieces {
            let term = match *p {
                Piece::Break => {
                    run = 0;
                    words_run = 0;
                    segment += 1;
                    continue;
                }
                Piece::Target => {
                    words_run = 0;
                    target
                }
                Piece::Other => {
                    words_run = 0;
                    other
                }
                Piece::Word(w) => {
                    words_run = if words_run > 0 && w == last_word.wrapping_add(1) {
                        words_run + 1
                    } else {
                        1
                    };
                    last_word = w;
                    let e = words.entries[w as usize] as usize;
                    for j in 0..scratch.entries[e].chars.len() {
                        let f = scratch.entries[e].chars[j];
                        add(f, scratch, segment);
                    }
                    scratch.entries[e].term
                }
            };
            hist.copy_within(1.., 0);
            hist[MAX_N - 1] = term;
            run += 1;
            for n in lo..=hi.min(run) {
                let window = &hist[MAX_N - n..];
                let cached = if n <= words_run {
                    let f = words.grams[last_word as usize][n - 1];
                    if f != UNSET {
                        if f != UNKNOWN {
                            add(f, scratch, segment);
                        }
                        continue;
                    }
                    Some(&mut words.grams[last_word as usize][n - 1])
                } else {
                    None
                };
                if window.contains(&UNKNOWN) {
                    if let Some(slot) = cached {
                        *slot = UNKNOWN;
                    }
                    continue;
                }
                let f = if n == 1 {
                    self.unigram.get(term as usize).copied().unwrap_or(UNKNOWN)
                } else if n == 2 {
                    let k = pair(window[0], window[1]);
                    self.bigrams.get(&k).copied().unwrap_or(UNKNOWN)
                } else {
                    let mut key = [PAD; MAX_N];
                    key[..n].copy_from_slice(window);
                    self.ngrams.get(&key).copied().unwrap_or(UNKNOWN)
                };
                if let Some(slot) = cached {
                    *slot = f;
                }
                if f != UNKNOWN {
                    add(f, scratch, segment);
                }
            }
        }
        // Indices stay in order of first occurrence: sorting costs more than anything that
        // reads the vector gains from it.
        let mut touched = std::mem::take(&mut scratch.touched);
        let mut val = Vec::with_capacity(touched.len());
        let mut norm = 0.0;
        for &f in &touched {
            let c = std::mem::replace(&mut scratch.counts[f as usize], 0.0);
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
            norm += v * v;
            val.push(v);
        }
        if norm > 0.0 {
            let inv = 1.0 / norm.sqrt();
            val.iter_mut().for_each(|v| *v *= inv);
        }
        let idx = touched.clone();
        touched.clear();
        scratch.touched = touched;
        SparseVec { idx, val }
    }
}

fn pair(a: u32, b: u32) -> u64 {
    ((a as u64) << 32) | b as u64
}

/// Calls `f` with the key of every n-gram (lo..=hi) of `seq` that does not cross a break.
fn for_each_ngram(seq: &[u32], lo: usize, hi: usize, mut f: impl FnMut(Key)) {
    let mut start = 0; // first index of the current run
    for i in 0..seq.len() {
        if seq[i] == PAD {
            start = i + 1;
            continue;
        }
        for n in lo..=hi {
            if i + 1 < start + n {
                break;
            }
            let mut key = [PAD; MAX_N];
            key[..n].copy_from_slice(&seq[i + 1 - n..=i]);
            f(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actors::Registry;
    use crate::context::{context, ContextConfig};

    fn fit_on(texts: &[&str], cfg: &FeatureConfig) -> Featurizer {
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

    fn vec_of(f: &Featurizer, t: &str) -> Vec<(String, f64)> {
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
    fn contexts_sharing_word_terms_match_fresh_ones() {
        let r =
            Registry::from_toml_str("[[actor]]\nname = \"Russia\"\n[[actor]]\nname = \"Iran\"\n")
                .unwrap();
        let texts = [
            "Russia attacked the port again. Iran condemned Russia at once.",
            "Iran attacked the port again. Russia condemned Iran at once.",
        ];
        let an: Vec<Analysis> = texts.iter().map(|t| Analysis::new(t, &r)).collect();
        let cfg = ContextConfig::default();
        let ctx: Vec<_> = an
            .iter()
            .flat_map(|a| [None, Some(0), Some(1)].map(|x| (a, context(a, x, &cfg))))
            .collect();
        let docs: Vec<Doc> = ctx
            .iter()
            .map(|(a, c)| Doc {
                analysis: a,
                pieces: &c.pieces,
                actor: None,
            })
            .collect();
        let fcfg = FeatureConfig {
            word_ngrams: (1, 3),
            min_df: 1,
            ..FeatureConfig::default()
        };
        let f = Featurizer::fit(&fcfg, &docs).unwrap();
        let names = |v: &SparseVec| -> Vec<(String, u64)> {
            let mut out: Vec<_> = v
                .idx
                .iter()
                .zip(&v.val)
                .map(|(&i, &x)| (f.name(i as usize).to_string(), x.to_bits()))
                .collect();
            out.sort();
            out
        };
        let a = &an[0];
        let mut scratch = Scratch::default();
        // The whole text first (unmarked), then each actor: the n-grams the first context
        // cached must not leak into contexts where a word became a marker.
        let mut shared = f.word_terms(a, &mut scratch);
        for actor in [None, Some(0), Some(1)] {
            let c = context(a, actor, &cfg);
            let doc = Doc {
                analysis: a,
                pieces: &c.pieces,
                actor: None,
            };
            let with_shared = f.transform_with(doc, &mut shared, &mut scratch, None);
            let fresh = f.transform(doc, &mut Scratch::default());
            assert_eq!(names(&with_shared), names(&fresh), "context of {actor:?}");
            let got: Vec<String> = names(&with_shared).into_iter().map(|(n, _)| n).collect();
            match actor {
                None => assert!(got.contains(&"russia attack the".to_string())),
                Some(0) => {
                    assert!(got.contains(&"__target__ attack the".to_string()));
                    assert!(!got.iter().any(|n| n.starts_with("russia")));
                }
                _ => assert!(got.contains(&"__target__ condemn __other__".to_string())),
            }
        }
    }

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
    fn bigrams_min_df_and_sublinear() {
        let cfg = FeatureConfig {
            word_ngrams: (1, 2),
            min_df: 2,
            ..FeatureConfig::default()
        };
        let f = fit_on(&["red car. blue car", "red car", "green"], &cfg);
        let names: Vec<&str> = (0..f.len()).map(|i| f.name(i)).collect();
        // "car blue" crosses a sentence break and must not exist; min_df drops blue and green.
        assert_eq!(names, vec!["car", "red", "red car"]);
        let v = vec_of(&f, "car car car");
        assert_eq!(v.len(), 1);
        assert!((v[0].1 - 1.0).abs() < 1e-12);
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
    fn char_ngrams_of_stems() {
        let cfg = FeatureConfig {
            word_ngrams: (1, 1),
            char_ngrams: Some((3, 3)),
            min_df: 1,
            ..FeatureConfig::default()
        };
        let f = fit_on(&["war"], &cfg);
        let names: Vec<&str> = (0..f.len()).map(|i| f.name(i)).collect();
        assert_eq!(names, vec!["#<wa", "#ar>", "#war", "war"]);
        // An unseen word still gets its known character n-grams.
        let v = vec_of(&f, "warlord");
        let got: Vec<&str> = v.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(got, vec!["#<wa", "#war"]);
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
}
