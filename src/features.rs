//! TF-IDF features: vocabulary and IDF fitted once and stored in the model, so that an article's
//! vector never depends on what else is in the batch; word n-grams over stems, optional
//! character n-grams of each stem, sublinear tf, min_df and max_features, L2-normalised sparse
//! rows.
//!
//! Written here rather than taken from linfa-preprocessing because its `TfIdfVectorizer`
//! recomputes IDF from every batch it transforms, does not normalise rows, orders columns by
//! hash-map iteration and cannot stem.

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
    /// What character n-grams are taken from: the stem (default) or the word as written,
    /// lower-cased.
    #[serde(skip_serializing_if = "is_default")]
    pub char_source: CharSource,
    /// L2-normalise the word features and the character n-grams separately, as if two TF-IDF
    /// matrices were put side by side (each block has norm 1, the row sqrt 2).
    #[serde(skip_serializing_if = "is_default")]
    pub block_norm: bool,
    /// Words at most this many words before or after a target marker, in its sentence, also
    /// give a feature conjoined with their side: `<stem` (before) and `>stem` (after). 0: off.
    #[serde(skip_serializing_if = "is_default")]
    pub near_target: usize,
    /// Words in the scope of a negation (after not, no, never, …n't, without… up to the next
    /// punctuation mark, "but" or the end of the sentence) also give `!stem`.
    #[serde(skip_serializing_if = "is_default")]
    pub negation: bool,
    /// Counts of words of a small built-in sentiment lexicon ([`LEXICON_POSITIVE`],
    /// [`LEXICON_NEGATIVE`]) as features `$pos` and `$neg` (a negated word counts for the
    /// other side), and `$pos~` / `$neg~` for those within `near_target` words of the target.
    #[serde(skip_serializing_if = "is_default")]
    pub lexicon: bool,
    /// Feature augmentation: in a context about an actor (with the actor prior on), every
    /// word also gives `@actor|stem`, so the model learns a shared weight for each word and a
    /// per-actor correction ("frustratingly easy" domain adaptation, one domain per actor).
    #[serde(skip_serializing_if = "is_default")]
    pub per_actor: bool,
}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

/// Where character n-grams come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum CharSource {
    /// The stem ("attack" for "Attacked").
    #[default]
    Stem,
    /// The word as written, lower-cased ("attacked").
    Word,
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
            char_source: CharSource::Stem,
            block_norm: false,
            near_target: 0,
            negation: false,
            lexicon: false,
            per_actor: false,
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
        if self.near_target > 100 {
            return Err(Error::Config(format!(
                "near_target must be at most 100 words, got {}",
                self.near_target
            )));
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
const BEFORE_PREFIX: char = '<';
const AFTER_PREFIX: char = '>';
const NEGATED_PREFIX: char = '!';
const LEXICON_PREFIX: char = '$';
const PER_ACTOR_PREFIX: char = '@';
/// The lexicon features, in slot order: whole context, then near the target.
const LEXICON_NAMES: [&str; 4] = ["$pos", "$neg", "$pos~", "$neg~"];

/// The built-in positive words (matched by stem, so "praised" and "praises" count too).
/// Written for news about people and institutions; deliberately small.
pub const LEXICON_POSITIVE: &[&str] = &[
    "praise",
    "support",
    "welcome",
    "applaud",
    "commend",
    "endorse",
    "celebrate",
    "honor",
    "admire",
    "thank",
    "congratulate",
    "defend",
    "champion",
    "success",
    "successful",
    "win",
    "victory",
    "achieve",
    "achievement",
    "good",
    "great",
    "best",
    "better",
    "excellent",
    "strong",
    "popular",
    "respected",
    "trusted",
    "honest",
    "brave",
    "courageous",
    "hero",
    "leader",
    "leadership",
    "effective",
    "smart",
    "wise",
    "fair",
    "generous",
    "kind",
    "hope",
    "promise",
    "progress",
    "improve",
    "benefit",
    "help",
    "protect",
    "agree",
    "ally",
    "friend",
    "love",
    "like",
    "credit",
    "boost",
    "gain",
    "lead",
    "historic",
    "landmark",
    "bipartisan",
    "reform",
    "popularity",
    "optimistic",
    "positive",
];

/// The built-in negative words (matched by stem).
pub const LEXICON_NEGATIVE: &[&str] = &[
    "attack",
    "criticize",
    "criticise",
    "criticism",
    "critic",
    "blame",
    "accuse",
    "accusation",
    "condemn",
    "denounce",
    "slam",
    "blast",
    "mock",
    "insult",
    "threaten",
    "threat",
    "fail",
    "failure",
    "lie",
    "liar",
    "false",
    "fraud",
    "corrupt",
    "corruption",
    "scandal",
    "crime",
    "criminal",
    "illegal",
    "abuse",
    "violate",
    "violation",
    "investigate",
    "investigation",
    "indict",
    "charge",
    "convict",
    "impeach",
    "impeachment",
    "resign",
    "fire",
    "oppose",
    "opposition",
    "reject",
    "refuse",
    "deny",
    "against",
    "bad",
    "worst",
    "worse",
    "wrong",
    "weak",
    "dangerous",
    "racist",
    "sexist",
    "hate",
    "angry",
    "anger",
    "outrage",
    "furious",
    "controversial",
    "controversy",
    "chaos",
    "crisis",
    "disaster",
    "problem",
    "concern",
    "worry",
    "fear",
    "warn",
    "protest",
    "lawsuit",
    "sue",
    "harass",
    "harassment",
    "assault",
    "misconduct",
    "incompetent",
    "disgrace",
    "shame",
    "embarrass",
    "hypocrisy",
    "hypocrite",
    "extremist",
    "radical",
    "unfit",
    "negative",
];

/// Words that open a negation scope (besides every word ending in n't).
const NEGATION_CUES: &[&str] = &[
    "not", "no", "never", "nor", "neither", "nobody", "nothing", "none", "nowhere", "cannot",
    "without", "hardly", "barely",
];

fn is_negation_cue(normalized: &str) -> bool {
    NEGATION_CUES.contains(&normalized) || normalized.ends_with("n't")
}

/// Whether the text between two words holds a mark that ends a clause (and a negation scope).
fn clause_mark_between(gap: &str) -> bool {
    gap.chars().any(|c| {
        matches!(
            c,
            ',' | ';' | ':' | '!' | '?' | '(' | ')' | '[' | ']' | '"' | '“' | '”' | '—' | '–'
        )
    })
}

/// The lexicon as stems: stem → +1 (positive) or -1 (negative).
fn lexicon_stems(stem: &Stem) -> FxHashMap<String, i8> {
    let mut m = FxHashMap::default();
    for (words, sign) in [(LEXICON_POSITIVE, 1i8), (LEXICON_NEGATIVE, -1i8)] {
        for w in words {
            m.insert(stem.stem(w).into_owned(), sign);
        }
    }
    m
}

/// One element of a context as the extra features (near-target, negation, lexicon) see it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Tok {
    Word {
        term: u32,
        /// +1 / -1: the word is in the positive / negative lexicon.
        lex: i8,
        /// The word opens a negation scope.
        cue: bool,
        /// A clause ends before this word (a punctuation mark, or the word is "but").
        clause: bool,
    },
    Target,
    Other,
    Break,
}

/// An extra feature of one word.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Extra {
    Before(u32),
    After(u32),
    Negated(u32),
    /// Index into [`LEXICON_NAMES`].
    Lex(usize),
}

/// Calls `f(extra, segment)` for every extra feature of a context (see [`FeatureConfig`]).
fn for_each_extra(cfg: &FeatureConfig, toks: &[Tok], mut f: impl FnMut(Extra, u32)) {
    let k = cfg.near_target;
    let mut segment = 0u32;
    let mut start = 0;
    while start < toks.len() {
        let end = toks[start..]
            .iter()
            .position(|t| *t == Tok::Break)
            .map_or(toks.len(), |p| start + p);
        let seg = &toks[start..end];
        let targets: Vec<usize> = seg
            .iter()
            .enumerate()
            .filter(|(_, t)| **t == Tok::Target)
            .map(|(i, _)| i)
            .collect();
        let mut negated = false;
        for (i, t) in seg.iter().enumerate() {
            let Tok::Word {
                term,
                lex,
                cue,
                clause,
            } = *t
            else {
                continue;
            };
            if clause {
                negated = false;
            }
            // A target within k words after this word: the word stands before it, and so on.
            let before = k > 0 && targets.iter().any(|&j| j > i && j - i <= k);
            let after = k > 0 && targets.iter().any(|&j| j < i && i - j <= k);
            if term != UNKNOWN {
                if before {
                    f(Extra::Before(term), segment);
                }
                if after {
                    f(Extra::After(term), segment);
                }
                if cfg.negation && negated {
                    f(Extra::Negated(term), segment);
                }
            }
            if cfg.lexicon && lex != 0 {
                let positive = (lex > 0) != negated;
                let slot = if positive { 0 } else { 1 };
                f(Extra::Lex(slot), segment);
                if before || after {
                    f(Extra::Lex(slot + 2), segment);
                }
            }
            if cue {
                negated = true;
            }
        }
        segment += 1;
        start = end + 1;
    }
}

/// The name of the per-actor copy of a word: `@` actor term `|` stem (stems never hold `|`).
fn per_actor_name(actor_term: &str, stem: &str) -> String {
    format!("{PER_ACTOR_PREFIX}{actor_term}|{stem}")
}

fn extra_key(kind: char, term: u32) -> u64 {
    ((kind as u64) << 32) | term as u64
}

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
    /// Near-target and negated words, keyed by [`extra_key`].
    extras: FxHashMap<u64, u32>,
    /// (actor term, word term) → the word's per-actor feature.
    per_actor: FxHashMap<u64, u32>,
    /// The features of [`LEXICON_NAMES`], or UNKNOWN.
    lex_features: [u32; 4],
    /// The lexicon as stems (empty unless the lexicon is on).
    lexicon: FxHashMap<String, i8>,
    /// Per feature: a character n-gram (the second block of `block_norm`).
    char_block: Vec<bool>,
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
    /// In the lexicon: +1 positive, -1 negative, 0 not.
    lex: i8,
    /// Opens a negation scope.
    cue: bool,
    /// Is "but" (ends a negation scope).
    but: bool,
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
        let mut df_extra: FxHashMap<String, u32> = FxHashMap::default();
        let lexicon = if config.lexicon {
            lexicon_stems(&stem)
        } else {
            FxHashMap::default()
        };
        let extras_on = config.has_extras();
        let mut buf = String::new();
        let (lo, hi) = config.word_ngrams;
        for d in docs {
            let mut seq: Vec<u32> = Vec::with_capacity(d.pieces.len());
            let mut toks: Vec<Tok> = Vec::new();
            let mut words_seen: FxHashSet<String> = FxHashSet::default();
            for p in d.pieces {
                seq.push(match *p {
                    Piece::Word(w) => {
                        text::normalize_into(d.analysis.word_str(w as usize), &mut buf);
                        let t = if let Some(&t) = surface.get(&buf) {
                            t
                        } else {
                            let t = intern(&stem.stem(&buf), &mut table);
                            surface.insert(buf.clone(), t);
                            t
                        };
                        if config.char_ngrams.is_some()
                            && config.char_source == CharSource::Word
                            && !words_seen.contains(&buf)
                        {
                            words_seen.insert(buf.clone());
                        }
                        if extras_on {
                            toks.push(Tok::Word {
                                term: t,
                                lex: lexicon.get(&table[t as usize]).copied().unwrap_or(0),
                                cue: is_negation_cue(&buf),
                                clause: buf == "but" || clause_before(d.analysis, w as usize),
                            });
                        }
                        t
                    }
                    Piece::Target => target,
                    Piece::Other => other,
                    Piece::Break => PAD,
                });
                if extras_on && !matches!(p, Piece::Word(_)) {
                    toks.push(match p {
                        Piece::Target => Tok::Target,
                        Piece::Other => Tok::Other,
                        _ => Tok::Break,
                    });
                }
            }
            if extras_on {
                let mut seen: FxHashSet<String> = FxHashSet::default();
                for_each_extra(config, &toks, |e, _| {
                    seen.insert(match e {
                        Extra::Before(t) => format!("{BEFORE_PREFIX}{}", table[t as usize]),
                        Extra::After(t) => format!("{AFTER_PREFIX}{}", table[t as usize]),
                        Extra::Negated(t) => format!("{NEGATED_PREFIX}{}", table[t as usize]),
                        Extra::Lex(i) => LEXICON_NAMES[i].to_string(),
                    });
                });
                for g in seen {
                    *df_extra.entry(g).or_insert(0) += 1;
                }
            }
            let mut seen: FxHashSet<Key> = FxHashSet::default();
            for_each_ngram(&seq, lo, hi, |k| {
                seen.insert(k);
            });
            if let Some(a) = d.actor {
                let mut key = [PAD; MAX_N];
                key[0] = intern(&actor_term(a), &mut table);
                seen.insert(key);
                if config.per_actor {
                    let words: FxHashSet<u32> = seq
                        .iter()
                        .copied()
                        .filter(|&t| t != PAD && t != target && t != other)
                        .collect();
                    for t in words {
                        *df_extra
                            .entry(per_actor_name(&table[key[0] as usize], &table[t as usize]))
                            .or_insert(0) += 1;
                    }
                }
            }
            for k in seen {
                *df_words.entry(k).or_insert(0) += 1;
            }
            if let Some(range) = config.char_ngrams {
                let mut seen: FxHashSet<String> = FxHashSet::default();
                let mut add = |w: &str| {
                    char_grams(w, range, |g| {
                        if !seen.contains(g) {
                            seen.insert(g.to_string());
                        }
                    })
                };
                if config.char_source == CharSource::Word {
                    words_seen.iter().for_each(|w| add(w));
                } else {
                    let distinct: FxHashSet<u32> = seq
                        .iter()
                        .copied()
                        .filter(|&t| t != PAD && t != target && t != other)
                        .collect();
                    for t in distinct {
                        add(&table[t as usize]);
                    }
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
                    .chain(df_extra)
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
        let mut extras: FxHashMap<u64, u32> = FxHashMap::default();
        let mut per_actor: FxHashMap<u64, u32> = FxHashMap::default();
        let mut lex_features = [UNKNOWN; 4];
        let mut char_block = vec![false; f.features.len()];
        for (i, name) in f.features.iter().enumerate() {
            let fid = i as u32;
            let first = name.chars().next().unwrap_or(' ');
            let fresh = if first == CHAR_PREFIX {
                char_block[i] = true;
                chars.insert(name.clone(), fid).is_none()
            } else if first == LEXICON_PREFIX {
                let slot = LEXICON_NAMES
                    .iter()
                    .position(|n| n == name)
                    .ok_or_else(|| Error::Config(format!("bad feature name \"{name}\"")))?;
                std::mem::replace(&mut lex_features[slot], fid) == UNKNOWN
            } else if first == PER_ACTOR_PREFIX {
                let Some((a, w)) = name[1..].rsplit_once('|').filter(|(a, w)| {
                    !a.is_empty() && !w.is_empty() && !w.contains(' ') && !a.contains(' ')
                }) else {
                    return Err(Error::Config(format!("bad feature name \"{name}\"")));
                };
                let mut term = |s: &str| {
                    let next = terms.len() as u32;
                    *terms.entry(s.to_string()).or_insert(next)
                };
                let key = pair(term(a), term(w));
                per_actor.insert(key, fid).is_none()
            } else if matches!(first, BEFORE_PREFIX | AFTER_PREFIX | NEGATED_PREFIX) {
                let rest = &name[1..];
                if rest.is_empty() || rest.contains(' ') {
                    return Err(Error::Config(format!("bad feature name \"{name}\"")));
                }
                let next = terms.len() as u32;
                let t = *terms.entry(rest.to_string()).or_insert(next);
                extras.insert(extra_key(first, t), fid).is_none()
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
        let lexicon = if f.config.lexicon {
            lexicon_stems(&stem)
        } else {
            FxHashMap::default()
        };
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
            extras,
            per_actor,
            lex_features,
            lexicon,
            char_block,
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
                        let from: &str = match self.config.char_source {
                            CharSource::Stem => &stem,
                            CharSource::Word => &scratch.buf,
                        };
                        char_grams(from, range, |g| {
                            if let Some(&f) = self.chars.get(g) {
                                cf.push(f);
                            }
                        });
                    }
                    let lex = self.lexicon.get(stem.as_ref()).copied().unwrap_or(0);
                    let cue = is_negation_cue(&scratch.buf);
                    let but = scratch.buf == "but";
                    let i = scratch.entries.len() as u32;
                    scratch.entries.push(CachedTerm {
                        term,
                        chars: cf.into_boxed_slice(),
                        lex,
                        cue,
                        but,
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
        let actor_t = match doc.actor {
            Some(a) if self.config.per_actor => self.terms.get(&actor_term(a)).copied(),
            _ => None,
        };
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
                    if let Some(at) = actor_t {
                        let t = scratch.entries[e].term;
                        if let Some(&f) = self.per_actor.get(&pair(at, t)) {
                            add(f, scratch, segment);
                        }
                    }
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
        if self.config.has_extras() {
            let toks = self.toks(doc, words, scratch);
            for_each_extra(&self.config, &toks, |e, segment| {
                let f = match e {
                    Extra::Before(t) => self.extras.get(&extra_key(BEFORE_PREFIX, t)),
                    Extra::After(t) => self.extras.get(&extra_key(AFTER_PREFIX, t)),
                    Extra::Negated(t) => self.extras.get(&extra_key(NEGATED_PREFIX, t)),
                    Extra::Lex(i) => Some(&self.lex_features[i]),
                }
                .copied()
                .unwrap_or(UNKNOWN);
                if f != UNKNOWN {
                    add(f, scratch, segment);
                }
            });
        }
        // Indices stay in order of first occurrence: sorting costs more than anything that
        // reads the vector gains from it.
        let mut touched = std::mem::take(&mut scratch.touched);
        let mut val = Vec::with_capacity(touched.len());
        let mut norm = 0.0;
        let mut char_norm = 0.0;
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
            for (v, &f) in val.iter_mut().zip(&touched) {
                *v *= if self.char_block[f as usize] { c } else { w };
            }
        } else if norm > 0.0 {
            let inv = 1.0 / norm.sqrt();
            val.iter_mut().for_each(|v| *v *= inv);
        }
        let idx = touched.clone();
        touched.clear();
        scratch.touched = touched;
        SparseVec { idx, val }
    }
}

impl Featurizer {
    /// The context as the extra features see it.
    fn toks(&self, doc: Doc<'_>, words: &WordTerms, scratch: &Scratch) -> Vec<Tok> {
        doc.pieces
            .iter()
            .map(|p| match *p {
                Piece::Word(w) => {
                    let e = &scratch.entries[words.entries[w as usize] as usize];
                    Tok::Word {
                        term: e.term,
                        lex: e.lex,
                        cue: e.cue,
                        clause: e.but || clause_before(doc.analysis, w as usize),
                    }
                }
                Piece::Target => Tok::Target,
                Piece::Other => Tok::Other,
                Piece::Break => Tok::Break,
            })
            .collect()
    }
}

impl FeatureConfig {
    /// Whether any of the near-target, negation or lexicon features is on.
    pub fn has_extras(&self) -> bool {
        self.near_target > 0 || self.negation || self.lexicon
    }
}

/// Whether a clause mark stands between word `w` and the word before it.
fn clause_before(a: &Analysis<'_>, w: usize) -> bool {
    w > 0 && clause_mark_between(&a.text[a.words[w - 1].span.end..a.words[w].span.start])
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
            "Russia attacked the port again. Iran condemned Russia at once. Russia was not praised, they said.",
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
        let plain = FeatureConfig {
            word_ngrams: (1, 3),
            min_df: 1,
            ..FeatureConfig::default()
        };
        // Every option that adds features around the word n-grams, too.
        let rich = FeatureConfig {
            char_ngrams: Some((2, 4)),
            char_source: CharSource::Word,
            block_norm: true,
            near_target: 2,
            negation: true,
            lexicon: true,
            ..plain.clone()
        };
        for fcfg in [plain, rich] {
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
                        if f.config().negation {
                            assert!(got.iter().any(|n| n.starts_with('!')), "{got:?}");
                            assert!(got.iter().any(|n| n.starts_with('<') || n.starts_with('>')));
                        }
                    }
                    _ => assert!(got.contains(&"__target__ condemn __other__".to_string())),
                }
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

    fn w(term: u32) -> Tok {
        Tok::Word {
            term,
            lex: 0,
            cue: false,
            clause: false,
        }
    }

    #[test]
    fn extras_near_target_and_negation_scope_by_hand() {
        // a=1 (a negation cue), b=2, TARGET, c=3 (after a comma), d=4 | e=5
        let toks = [
            Tok::Word {
                term: 1,
                lex: 0,
                cue: true,
                clause: false,
            },
            w(2),
            Tok::Target,
            Tok::Word {
                term: 3,
                lex: 0,
                cue: false,
                clause: true,
            },
            w(4),
            Tok::Break,
            w(5),
        ];
        let cfg = FeatureConfig {
            near_target: 1,
            negation: true,
            ..FeatureConfig::default()
        };
        let mut got = Vec::new();
        for_each_extra(&cfg, &toks, |e, s| got.push((e, s)));
        // b is one word before the target and inside the scope of a; the comma ends the scope
        // before c, which is one word after the target; d is two words after: nothing; e is in
        // a sentence without the target.
        assert_eq!(
            got,
            vec![
                (Extra::Before(2), 0),
                (Extra::Negated(2), 0),
                (Extra::After(3), 0)
            ]
        );
        // Off by default.
        let mut none = 0;
        for_each_extra(&FeatureConfig::default(), &toks, |_, _| none += 1);
        assert_eq!(none, 0);
    }

    #[test]
    fn lexicon_counts_flip_under_negation_and_near_target() {
        let lex = |term, lex, cue| Tok::Word {
            term,
            lex,
            cue,
            clause: false,
        };
        // good(+) TARGET not(cue) good(+) bad(-)
        let toks = [
            lex(1, 1, false),
            Tok::Target,
            lex(2, 0, true),
            lex(1, 1, false),
            lex(3, -1, false),
        ];
        let cfg = FeatureConfig {
            near_target: 1,
            lexicon: true,
            ..FeatureConfig::default()
        };
        let mut got = Vec::new();
        for_each_extra(&cfg, &toks, |e, _| {
            if let Extra::Lex(i) = e {
                got.push(LEXICON_NAMES[i]);
            }
        });
        // The first "good" is next to the target: $pos and $pos~; the second is negated:
        // $neg; "bad" is negated too (the scope runs to the end of the sentence): $pos.
        assert_eq!(got, vec!["$pos", "$pos~", "$neg", "$pos"]);
    }

    #[test]
    fn extra_features_through_the_featurizer() {
        let r = Registry::from_toml_str("[[actor]]\nname = \"Kim\"\n").unwrap();
        let text = "Voters do not praise Kim. Kim won.";
        let a = Analysis::new(text, &r);
        let c = context(&a, Some(0), &ContextConfig::default());
        let doc = Doc {
            analysis: &a,
            pieces: &c.pieces,
            actor: None,
        };
        let cfg = FeatureConfig {
            word_ngrams: (1, 1),
            min_df: 1,
            near_target: 1,
            negation: true,
            lexicon: true,
            ..FeatureConfig::default()
        };
        let f = Featurizer::fit(&cfg, &[doc]).unwrap();
        let names: Vec<&str> = (0..f.len()).map(|i| f.name(i)).collect();
        // "praise" (stem "prais") stands right before the target and after "not"; "won" right
        // after it; "praise" is a positive lexicon word, negated: $neg, and near: $neg~.
        assert_eq!(
            names,
            vec![
                "!prais",
                "$neg",
                "$neg~",
                "<prais",
                ">won",
                "__target__",
                "do",
                "not",
                "prais",
                "voter",
                "won"
            ]
        );
        // One document: every idf is ln(2/2) + 1 = 1; the target occurs twice (1 + ln 2),
        // the ten others once.
        let v = f.transform(doc, &mut Scratch::default());
        let t = 1.0 + 2f64.ln();
        let norm = (10.0 + t * t).sqrt();
        for (&i, &x) in v.idx.iter().zip(&v.val) {
            let want = if f.name(i as usize) == "__target__" {
                t
            } else {
                1.0
            } / norm;
            assert!((x - want).abs() < 1e-12, "{}", f.name(i as usize));
        }
        assert_eq!(v.nnz(), 11);
        // The names survive the model file.
        let g = Featurizer::from_file(f.to_file()).unwrap();
        assert_eq!(g.transform(doc, &mut Scratch::default()), v);
    }

    #[test]
    fn char_ngrams_of_words_with_block_norm() {
        let cfg = FeatureConfig {
            word_ngrams: (1, 1),
            char_ngrams: Some((3, 3)),
            char_source: CharSource::Word,
            block_norm: true,
            min_df: 1,
            ..FeatureConfig::default()
        };
        let f = fit_on(&["wars"], &cfg);
        let names: Vec<&str> = (0..f.len()).map(|i| f.name(i)).collect();
        // From "<wars>", not from the stem "war".
        assert_eq!(names, vec!["#<wa", "#ars", "#rs>", "#war", "war"]);
        // Word block: one feature, value 1. Character block: four features of equal weight,
        // 1/sqrt(4) each; the row's norm is sqrt(2).
        for (name, x) in vec_of(&f, "wars") {
            let want = if name == "war" { 1.0 } else { 0.5 };
            assert!((x - want).abs() < 1e-12, "{name} {x}");
        }
        // The old setting reads as it did: stems, one norm.
        let old = FeatureConfig {
            char_source: CharSource::Stem,
            block_norm: false,
            ..cfg
        };
        let g = fit_on(&["wars"], &old);
        let v = vec_of(&g, "wars");
        assert_eq!(v.len(), 4); // #<wa #ar> #war war
        assert!(v.iter().all(|(_, x)| (x - 0.5).abs() < 1e-12));
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
        assert!(Featurizer::from_file(file).is_err());
    }

    #[test]
    fn new_settings_are_left_out_of_the_model_file_when_off() {
        let json = serde_json::to_string(&FeatureConfig::default()).unwrap();
        for k in [
            "char_source",
            "block_norm",
            "near_target",
            "negation",
            "lexicon",
            "per_actor",
        ] {
            assert!(!json.contains(k), "{json}");
        }
        let on = FeatureConfig {
            near_target: 3,
            ..FeatureConfig::default()
        };
        let back: FeatureConfig =
            serde_json::from_str(&serde_json::to_string(&on).unwrap()).unwrap();
        assert_eq!(back, on);
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
