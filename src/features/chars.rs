//! Character n-grams (`#<wa`, `#war`, `#ar>`): the n-grams of each stem, or of each word as
//! written (lower-cased), with `<` and `>` marking its ends. They are the second block of
//! `block_norm`. A word's character n-gram features are computed once, when the word enters
//! the scratch's cache. With [`CharSource::Text`] they are the n-grams of each sentence of
//! the context instead ([`for_each_sentence`]), computed per context.

use super::fit::FitDoc;
use super::key::FeatureKey;
use super::{CharSource, Doc, FeatureConfig};
use crate::context::Piece;
use crate::tokens;
use rustc_hash::{FxHashMap, FxHashSet};

/// Calls `f` with every character n-gram (lengths `lo..=hi`) of `<term>`, shortest first.
pub(super) fn char_grams(term: &str, (lo, hi): (usize, usize), mut f: impl FnMut(&str)) {
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
    for n in lo..=hi {
        for start in 0..nchars.saturating_sub(n - 1) {
            f(&s[bounds[start]..bounds[start + n]]);
        }
    }
}

/// The character n-grams of a document for fitting: each distinct one once.
pub(super) fn count(cfg: &FeatureConfig, doc: &FitDoc<'_>, mut see: impl FnMut(FeatureKey)) {
    let Some(range) = cfg.char_ngrams else {
        return;
    };
    let mut seen: FxHashSet<String> = FxHashSet::default();
    let mut add = |w: &str| {
        char_grams(w, range, |g| {
            if !seen.contains(g) {
                seen.insert(g.to_string());
            }
        })
    };
    match cfg.char_source {
        CharSource::Word => doc.words.iter().for_each(|w| add(w)),
        CharSource::Text => {
            let mut buf = String::new();
            for_each_sentence(doc.source, &mut buf, |s, _| add(s));
        }
        CharSource::Stem => {
            for t in doc.distinct_terms() {
                add(&doc.terms[t as usize]);
            }
        }
    }
    seen.into_iter().for_each(|g| see(FeatureKey::Char(g)));
}

/// Calls `f` with each sentence of the document as [`CharSource::Text`] spells it (words as
/// written, lower-cased, joined by `_`; the markers `T` and `O`), and its segment (the
/// sentence's index in the context).
pub(super) fn for_each_sentence(doc: Doc<'_>, buf: &mut String, mut f: impl FnMut(&str, u32)) {
    let mut s = String::new();
    let mut segment = 0;
    for p in doc.pieces {
        match *p {
            Piece::Break => {
                if !s.is_empty() {
                    f(&s, segment);
                }
                s.clear();
                segment += 1;
                continue;
            }
            _ if !s.is_empty() => s.push('_'),
            _ => {}
        }
        match *p {
            Piece::Word(w) => {
                tokens::term_into(doc.analysis.word_str(w as usize), buf);
                s.push_str(buf);
            }
            Piece::Target => s.push('T'),
            Piece::Other => s.push('O'),
            Piece::Break => {}
        }
    }
    if !s.is_empty() {
        f(&s, segment);
    }
}

/// The character n-gram features, by n-gram (without the `#`).
#[derive(Default)]
pub(super) struct CharTable(FxHashMap<String, u32>);

impl CharTable {
    /// Enters feature `f`, the n-gram `gram`; false if it is there already.
    pub(super) fn insert(&mut self, gram: &str, f: u32) -> bool {
        self.0.insert(gram.to_string(), f).is_none()
    }

    /// The feature of the n-gram `gram`, if it is one.
    pub(super) fn get(&self, gram: &str) -> Option<u32> {
        self.0.get(gram).copied()
    }

    /// The features of the character n-grams of `from`, in the order of [`char_grams`].
    pub(super) fn features_of(&self, from: &str, range: (usize, usize)) -> Box<[u32]> {
        let mut out = Vec::new();
        char_grams(from, range, |g| {
            if let Some(&f) = self.0.get(g) {
                out.push(f);
            }
        });
        out.into_boxed_slice()
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{fit_on, vec_of};
    use super::super::*;
    use super::char_grams;

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
    fn char_ngrams_of_the_text_cross_words_and_not_sentences() {
        let cfg = FeatureConfig {
            word_ngrams: (1, 1),
            char_ngrams: Some((3, 3)),
            char_source: CharSource::Text,
            min_df: 1,
            ..FeatureConfig::default()
        };
        // "<no_war>" and "<ok>": trigrams across the word boundary, none across the sentence.
        let f = fit_on(&["No war. Ok."], &cfg);
        let names: Vec<&str> = (0..f.len()).map(|i| f.name(i)).collect();
        assert_eq!(
            names,
            vec!["#<no", "#<ok", "#_wa", "#ar>", "#no_", "#o_w", "#ok>", "#war", "no", "ok", "war"]
        );
        // Scoring reads the context the same way: "<war_no>" has <wa war ar_ r_n _no no>, of
        // which only "war" was seen ("<no" starts a sentence, "no>" never ended one).
        let v = vec_of(&f, "War no");
        let got: Vec<&str> = v.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(got, vec!["#war", "no", "war"]);
    }

    #[test]
    fn char_grams_of_multibyte_words_by_hand() {
        let mut got = Vec::new();
        char_grams("яд", (1, 3), |g| got.push(g.to_string()));
        assert_eq!(got, ["<", "я", "д", ">", "<я", "яд", "д>", "<яд", "яд>"]);
        // Longer than the word: nothing.
        let mut none = 0;
        char_grams("a", (4, 5), |_| none += 1);
        assert_eq!(none, 0);
    }
}
