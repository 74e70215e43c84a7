//! The features read from a word's place in its sentence: near the target (`<stem` before it,
//! `>stem` after it, within `near_target` words), in a negation's scope (`!stem`, from a cue such
//! as "not" to the next clause mark), and the counts of the sentiment lexicon's words (`$pos`,
//! `$neg`, flipped under negation, and `$pos~`, `$neg~` near the target).
//!
//! Fitting and scoring see a context the same way, as a sequence of [`Tok`]; [`for_each_extra`]
//! finds the features in it for both.

use super::fit::FitDoc;
use super::key::{FeatureKey, LexiconSlot};
use super::scratch::{CachedTerm, WordTerms};
use super::{Doc, FeatureConfig, UNKNOWN};
use crate::context::{Analysis, Piece};
use rustc_hash::{FxHashMap, FxHashSet};

/// One element of a context as the extra features (near-target, negation, lexicon) see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tok {
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

/// An extra feature of one word, by term id: the compact form of its [`FeatureKey`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Extra {
    Before(u32),
    After(u32),
    Negated(u32),
    Lex(LexiconSlot),
}

impl Extra {
    /// The key, with term ids read in `terms`.
    fn key(self, terms: &[String]) -> FeatureKey {
        match self {
            Extra::Before(t) => FeatureKey::Before(terms[t as usize].clone()),
            Extra::After(t) => FeatureKey::After(terms[t as usize].clone()),
            Extra::Negated(t) => FeatureKey::Negated(terms[t as usize].clone()),
            Extra::Lex(slot) => FeatureKey::Lexicon(slot),
        }
    }
}

/// The extra features, by [`Extra`].
pub(super) type ExtraTable = FxHashMap<Extra, u32>;

/// Calls `f(extra, segment)` for every extra feature of a context (see [`FeatureConfig`]).
pub(super) fn for_each_extra(cfg: &FeatureConfig, toks: &[Tok], mut f: impl FnMut(Extra, u32)) {
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
                f(Extra::Lex(LexiconSlot::new(positive, false)), segment);
                if before || after {
                    f(Extra::Lex(LexiconSlot::new(positive, true)), segment);
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

/// The extra features of a document for fitting: each distinct one once.
pub(super) fn count(cfg: &FeatureConfig, doc: &FitDoc<'_>, mut see: impl FnMut(FeatureKey)) {
    if !cfg.has_extras() {
        return;
    }
    let mut seen: FxHashSet<Extra> = FxHashSet::default();
    for_each_extra(cfg, &doc.toks, |e, _| {
        seen.insert(e);
    });
    seen.into_iter().for_each(|e| see(e.key(doc.terms)));
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

/// Whether a clause mark stands between word `w` and the word before it.
pub(super) fn clause_before(a: &Analysis<'_>, w: usize) -> bool {
    // The social tokenizer's words overlap (a hashtag, then its pieces): nothing between them.
    w > 0 && {
        let start = a.words[w].span.start;
        clause_mark_between(&a.text[a.words[w - 1].span.end.min(start)..start])
    }
}

/// The context as the extra features see it, from the article's cached word terms.
pub(super) fn toks(doc: Doc<'_>, words: &WordTerms, entries: &[CachedTerm]) -> Vec<Tok> {
    doc.pieces
        .iter()
        .map(|p| match *p {
            Piece::Word(w) => {
                let e = &entries[words.entries[w as usize] as usize];
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

#[cfg(test)]
mod tests {
    use super::super::*;
    use super::*;
    use crate::actors::Registry;
    use crate::context::{context, ContextConfig};

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
            if let Extra::Lex(slot) = e {
                got.push(FeatureKey::Lexicon(slot).to_string());
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
}
