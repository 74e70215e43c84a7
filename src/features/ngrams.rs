//! Word n-grams: 1 to [`MAX_N`] consecutive terms of one sentence, the family every featurizer
//! has (`attack`, `__target__ condemn`). Unigrams are looked up in a vector indexed by term,
//! bigrams by both terms packed into one `u64` (the common case, hashed fast), longer n-grams by
//! the whole array of terms.

use super::key::FeatureKey;
use super::scratch::WordTerms;
use super::{pair, UNKNOWN};
use rustc_hash::FxHashMap;

/// The longest word n-gram.
pub(super) const MAX_N: usize = 4;
/// The terms of an n-gram, padded with [`PAD`].
pub(super) type Gram = [u32; MAX_N];
/// A sentence break in a sequence of terms; the padding of a [`Gram`].
pub(super) const PAD: u32 = u32::MAX - 1;
/// Not looked up yet (in [`WordTerms::grams`]).
pub(super) const UNSET: u32 = u32::MAX - 2;

/// Calls `f` with the key of every n-gram (lo..=hi) of `seq` that does not cross a break.
pub(super) fn for_each_ngram(seq: &[u32], lo: usize, hi: usize, mut f: impl FnMut(Gram)) {
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

/// The key of an n-gram of the term ids of `terms`.
pub(super) fn key(gram: &Gram, terms: &[String]) -> FeatureKey {
    FeatureKey::Words(
        gram.iter()
            .take_while(|&&t| t != PAD)
            .map(|&t| terms[t as usize].clone())
            .collect(),
    )
}

/// The word n-gram features, by their terms.
#[derive(Default)]
pub(super) struct WordTable {
    /// Feature of each term as a unigram, or UNKNOWN.
    unigram: Vec<u32>,
    /// Bigrams keyed by [`pair`] of their terms.
    bigrams: FxHashMap<u64, u32>,
    /// N-grams of three or more.
    longer: FxHashMap<Gram, u32>,
}

impl WordTable {
    /// Enters feature `f`, the n-gram of `terms`; false if it is there already.
    pub(super) fn insert(&mut self, terms: &[u32], f: u32) -> bool {
        match *terms {
            [t] => {
                let t = t as usize;
                if self.unigram.len() <= t {
                    self.unigram.resize(t + 1, UNKNOWN);
                }
                std::mem::replace(&mut self.unigram[t], f) == UNKNOWN
            }
            [a, b] => self.bigrams.insert(pair(a, b), f).is_none(),
            _ => {
                let mut key = [PAD; MAX_N];
                key[..terms.len()].copy_from_slice(terms);
                self.longer.insert(key, f).is_none()
            }
        }
    }

    /// Sizes the unigram vector for `n_terms` terms once every feature is in.
    pub(super) fn finish(&mut self, n_terms: usize) {
        self.unigram
            .resize(n_terms.max(self.unigram.len()), UNKNOWN);
    }

    /// The feature of the n-gram `window` (no term UNKNOWN), or UNKNOWN.
    #[inline]
    fn get(&self, window: &[u32]) -> u32 {
        match *window {
            [t] => self.unigram.get(t as usize).copied().unwrap_or(UNKNOWN),
            [a, b] => self.bigrams.get(&pair(a, b)).copied().unwrap_or(UNKNOWN),
            _ => {
                let mut key = [PAD; MAX_N];
                key[..window.len()].copy_from_slice(window);
                self.longer.get(&key).copied().unwrap_or(UNKNOWN)
            }
        }
    }

    /// Calls `add` with the feature of every n-gram (lengths `lo..=hi`) that ends at the last
    /// piece pushed into `win`, in order of length. N-grams of consecutive words of the text
    /// are the same in every context of the article: they are looked up once and kept in
    /// `words.grams`.
    #[inline]
    pub(super) fn emit(
        &self,
        win: &Window,
        (lo, hi): (usize, usize),
        words: &mut WordTerms,
        mut add: impl FnMut(u32),
    ) {
        // An exclusive range: `lo..=top` costs measurably more in this loop.
        for n in lo..hi.min(win.run) + 1 {
            let window = &win.hist[MAX_N - n..];
            let cached = if n <= win.words_run {
                let slot = &mut words.grams[win.last_word as usize][n - 1];
                if *slot != UNSET {
                    if *slot != UNKNOWN {
                        add(*slot);
                    }
                    continue;
                }
                Some(slot)
            } else {
                None
            };
            let f = if window.contains(&UNKNOWN) {
                UNKNOWN
            } else {
                self.get(window)
            };
            if let Some(slot) = cached {
                *slot = f;
            }
            if f != UNKNOWN {
                add(f);
            }
        }
    }
}

/// The last terms of a context as its pieces go by: what the n-grams ending here are made of.
pub(super) struct Window {
    hist: Gram,
    /// Terms since the last break.
    run: usize,
    /// Consecutive words of the text since the last break or marker.
    words_run: usize,
    /// The last word of the text pushed (an index into the analysis' words).
    last_word: u32,
}

impl Default for Window {
    fn default() -> Window {
        Window {
            hist: [PAD; MAX_N],
            run: 0,
            words_run: 0,
            last_word: u32::MAX,
        }
    }
}

impl Window {
    /// A sentence break: no n-gram crosses it.
    #[inline]
    pub(super) fn brk(&mut self) {
        self.run = 0;
        self.words_run = 0;
    }

    /// A marker (target or other actor) with its term.
    #[inline]
    pub(super) fn marker(&mut self, term: u32) {
        self.words_run = 0;
        self.push(term);
    }

    /// Word `w` of the text, with its term.
    #[inline]
    pub(super) fn word(&mut self, w: u32, term: u32) {
        self.words_run = if self.words_run > 0 && w == self.last_word.wrapping_add(1) {
            self.words_run + 1
        } else {
            1
        };
        self.last_word = w;
        self.push(term);
    }

    #[inline]
    fn push(&mut self, term: u32) {
        self.hist.copy_within(1.., 0);
        self.hist[MAX_N - 1] = term;
        self.run += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{fit_on, vec_of};
    use super::super::*;
    use crate::actors::Registry;
    use crate::context::{context, ContextConfig};

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
}
