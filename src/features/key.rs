//! Feature keys: what a feature is, typed, and the name it has in the model file.
//!
//! A model file stores each feature by name, and the name says which family the feature belongs
//! to (its first character or prefix) and what it holds. [`FeatureKey`] is that name parsed:
//! `Display` writes exactly the name the featurizer has always written, `FromStr` reads it back
//! and rejects anything the featurizer could not have written, with a message that says why.

use super::MAX_N;
use std::fmt;
use std::str::FromStr;

/// The prefix of an actor's term: `__actor__` and the actor's name.
const ACTOR_PREFIX: &str = "__actor__";

/// The first characters of the other families' names (and of the escape): a word n-gram whose
/// first term starts with one (the social tokens `#tag`, `@handle`, `<url>`) is written with
/// a `\` before it.
const RESERVED: &[char] = &['#', '<', '>', '!', '$', '@', '\\'];

/// One feature, typed: its family and what it is about. `Display` gives the name the model
/// file stores, `FromStr` reads it back:
///
/// | key | name |
/// |---|---|
/// | [`FeatureKey::Words`] | its terms joined by single spaces: `attack`, `__target__ condemn` |
/// | [`FeatureKey::ActorPrior`] | `__actor__Iran`, `__actor__North_Korea` |
/// | [`FeatureKey::Char`] | `#` and the n-gram: `#<wa`, `#ar>` |
/// | [`FeatureKey::Before`] | `<` and the term: `<prais` |
/// | [`FeatureKey::After`] | `>` and the term: `>won` |
/// | [`FeatureKey::Negated`] | `!` and the term: `!prais` |
/// | [`FeatureKey::Lexicon`] | `$pos`, `$neg`, `$pos~`, `$neg~` |
/// | [`FeatureKey::PerActor`] | `@__actor__Iran\|condemn` |
///
/// Terms are what the featurizer makes of words (letters, digits and apostrophes, lower-cased
/// and stemmed), the markers `__target__` and `__other__`, and the social tokenizer's `#tag`,
/// `@handle`, `<user>`, `<url>` and emoji; none holds a space or `|`, and a word n-gram whose
/// first term starts with a family's prefix character is written with a `\` before it, which
/// is what keeps the names unambiguous.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FeatureKey {
    /// A word n-gram: 1 to 4 consecutive terms of one sentence (stems, or the markers
    /// `__target__` and `__other__`).
    Words(Vec<String>),
    /// The actor prior: "this context is about this actor". Holds the actor's name with each
    /// white-space character replaced by `_` ([`FeatureKey::actor_prior`] does that).
    ActorPrior(String),
    /// A character n-gram of a stem or word, with `<` and `>` marking the word's ends
    /// (`<wa`, `war`, `ar>` for "war").
    Char(String),
    /// A term at most `near_target` words before a target marker, in its sentence.
    Before(String),
    /// A term at most `near_target` words after a target marker, in its sentence.
    After(String),
    /// A term in the scope of a negation.
    Negated(String),
    /// A count of the built-in sentiment lexicon's words.
    Lexicon(LexiconSlot),
    /// The per-actor copy of a term: the term, in a context about the actor.
    PerActor {
        /// The actor's name as in [`FeatureKey::ActorPrior`] (no white space).
        actor: String,
        /// The term.
        word: String,
    },
}

/// Which count of lexicon words a [`FeatureKey::Lexicon`] feature is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LexiconSlot {
    /// Positive words (and negated negative ones) in the whole context: `$pos`.
    Positive,
    /// Negative words (and negated positive ones) in the whole context: `$neg`.
    Negative,
    /// Positive words within `near_target` words of the target: `$pos~`.
    PositiveNear,
    /// Negative words within `near_target` words of the target: `$neg~`.
    NegativeNear,
}

impl LexiconSlot {
    /// Every slot, in the order of [`LexiconSlot::index`].
    pub const ALL: [LexiconSlot; 4] = [
        LexiconSlot::Positive,
        LexiconSlot::Negative,
        LexiconSlot::PositiveNear,
        LexiconSlot::NegativeNear,
    ];

    /// The slot of a lexicon word that counts as positive or not, near the target or not.
    pub fn new(positive: bool, near: bool) -> LexiconSlot {
        match (positive, near) {
            (true, false) => LexiconSlot::Positive,
            (false, false) => LexiconSlot::Negative,
            (true, true) => LexiconSlot::PositiveNear,
            (false, true) => LexiconSlot::NegativeNear,
        }
    }

    /// The slot's position in [`LexiconSlot::ALL`] (0..4).
    pub fn index(self) -> usize {
        self as usize
    }

    /// The feature's name without the `$`.
    fn suffix(self) -> &'static str {
        match self {
            LexiconSlot::Positive => "pos",
            LexiconSlot::Negative => "neg",
            LexiconSlot::PositiveNear => "pos~",
            LexiconSlot::NegativeNear => "neg~",
        }
    }
}

impl FeatureKey {
    /// The actor prior of the actor called `name` (white space in the name becomes `_`).
    pub fn actor_prior(name: &str) -> FeatureKey {
        FeatureKey::ActorPrior(actor_name(name))
    }

    /// Whether the feature belongs to the character block (see `block_norm`).
    pub(super) fn is_char(&self) -> bool {
        matches!(self, FeatureKey::Char(_))
    }

    /// Whether it is a word unigram other than a marker: what a per-actor copy copies.
    pub(super) fn is_word_unigram(&self) -> bool {
        matches!(self, FeatureKey::Words(t)
            if t.len() == 1 && t[0] != crate::context::TARGET_TERM && t[0] != crate::context::OTHER_TERM)
    }
}

/// An actor's name as feature names hold it: each white-space character replaced by `_`.
pub(super) fn actor_name(name: &str) -> String {
    name.replace(char::is_whitespace, "_")
}

impl fmt::Display for FeatureKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FeatureKey::Words(terms) => {
                if terms.first().is_some_and(|t| t.starts_with(RESERVED)) {
                    f.write_str("\\")?;
                }
                for (i, t) in terms.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    f.write_str(t)?;
                }
                Ok(())
            }
            FeatureKey::ActorPrior(actor) => write!(f, "{ACTOR_PREFIX}{actor}"),
            FeatureKey::Char(gram) => write!(f, "#{gram}"),
            FeatureKey::Before(t) => write!(f, "<{t}"),
            FeatureKey::After(t) => write!(f, ">{t}"),
            FeatureKey::Negated(t) => write!(f, "!{t}"),
            FeatureKey::Lexicon(slot) => write!(f, "${}", slot.suffix()),
            FeatureKey::PerActor { actor, word } => write!(f, "@{ACTOR_PREFIX}{actor}|{word}"),
        }
    }
}

/// A feature name that no featurizer writes, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad feature name \"{name}\": {reason}")]
pub struct FeatureKeyError {
    name: String,
    reason: &'static str,
}

impl FeatureKeyError {
    /// What is wrong with the name.
    pub fn reason(&self) -> &str {
        self.reason
    }
}

impl FromStr for FeatureKey {
    type Err = FeatureKeyError;

    fn from_str(name: &str) -> Result<FeatureKey, FeatureKeyError> {
        parse(name).map_err(|reason| FeatureKeyError {
            name: name.to_string(),
            reason,
        })
    }
}

fn parse(name: &str) -> Result<FeatureKey, &'static str> {
    if name.is_empty() {
        return Err("a feature name cannot be empty");
    }
    if let Some(rest) = name.strip_prefix('\\') {
        return match words(rest)? {
            FeatureKey::Words(t) if t[0].starts_with(RESERVED) => Ok(FeatureKey::Words(t)),
            _ => Err(
                "`\\` escapes only a word n-gram whose first term starts with # < > ! $ @ or \\",
            ),
        };
    }
    if let Some(gram) = name.strip_prefix('#') {
        return Ok(FeatureKey::Char(solid(gram).ok_or(
            "a character n-gram is `#` and at least one character, no space",
        )?));
    }
    if let Some(t) = name.strip_prefix('<') {
        return Ok(FeatureKey::Before(
            term(t).ok_or("a before-target feature is `<` and one term")?,
        ));
    }
    if let Some(t) = name.strip_prefix('>') {
        return Ok(FeatureKey::After(
            term(t).ok_or("an after-target feature is `>` and one term")?,
        ));
    }
    if let Some(t) = name.strip_prefix('!') {
        return Ok(FeatureKey::Negated(
            term(t).ok_or("a negated feature is `!` and one term")?,
        ));
    }
    if let Some(s) = name.strip_prefix('$') {
        return LexiconSlot::ALL
            .into_iter()
            .find(|slot| slot.suffix() == s)
            .map(FeatureKey::Lexicon)
            .ok_or("the lexicon features are $pos, $neg, $pos~ and $neg~");
    }
    if let Some(rest) = name.strip_prefix('@') {
        const FORM: &str = "a per-actor feature is `@__actor__NAME|TERM`";
        let (actor, word) = rest.rsplit_once('|').ok_or(FORM)?;
        let actor = actor.strip_prefix(ACTOR_PREFIX).ok_or(FORM)?;
        return Ok(FeatureKey::PerActor {
            actor: solid(actor)
                .ok_or("a per-actor feature's actor name is missing or holds a space")?,
            word: term(word).ok_or("a per-actor feature's term is missing or holds a space")?,
        });
    }
    if let Some(actor) = name.strip_prefix(ACTOR_PREFIX) {
        return Ok(FeatureKey::ActorPrior(solid(actor).ok_or(
            "an actor prior is `__actor__` and the actor's name, no space",
        )?));
    }
    words(name)
}

/// A word n-gram: 1 to [`MAX_N`] terms separated by single spaces.
fn words(name: &str) -> Result<FeatureKey, &'static str> {
    let terms: Vec<String> = name
        .split(' ')
        .map(term)
        .collect::<Option<_>>()
        .ok_or("a word n-gram's terms are separated by single spaces")?;
    if terms.len() > MAX_N {
        return Err("a word n-gram has at most 4 terms");
    }
    Ok(FeatureKey::Words(terms))
}

/// `s` if it is non-empty and holds no white space.
fn solid(s: &str) -> Option<String> {
    checked(s, false)
}

/// `s` if it can be a term: non-empty, no white space, no `|`.
fn term(s: &str) -> Option<String> {
    checked(s, true)
}

/// `s` if it is non-empty and holds no white space (and no `|` if `no_bar`). One pass over
/// the bytes when `s` is ASCII, as nearly every name is: loading a model checks every name.
fn checked(s: &str, no_bar: bool) -> Option<String> {
    let ok = if s.is_ascii() {
        // The ASCII characters of `char::is_whitespace`: space and \t \n \x0B \x0C \r.
        !s.bytes()
            .any(|b| matches!(b, b' ' | b'\t'..=b'\r') || (no_bar && b == b'|'))
    } else {
        !s.chars().any(|c| c.is_whitespace() || (no_bar && c == '|'))
    };
    (ok && !s.is_empty()).then(|| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> String {
        x.to_string()
    }

    /// Every variant, with the name the featurizer writes for it.
    fn every_variant() -> Vec<(FeatureKey, &'static str)> {
        vec![
            (FeatureKey::Words(vec![s("attack")]), "attack"),
            (
                FeatureKey::Words(vec![s("__target__"), s("condemn"), s("__other__")]),
                "__target__ condemn __other__",
            ),
            (
                FeatureKey::Words(vec![s("a"), s("b"), s("c"), s("don't")]),
                "a b c don't",
            ),
            (FeatureKey::ActorPrior(s("Iran")), "__actor__Iran"),
            // The social tokens: escaped when first, as they are as written elsewhere.
            (
                FeatureKey::Words(vec![s("#stophillary2016")]),
                "\\#stophillary2016",
            ),
            (
                FeatureKey::Words(vec![s("<user>"), s("@joebiden")]),
                "\\<user> @joebiden",
            ),
            (FeatureKey::Words(vec![s("via"), s("<url>")]), "via <url>"),
            (FeatureKey::Words(vec![s("\\x")]), "\\\\x"),
            (FeatureKey::Before(s("#maga")), "<#maga"),
            (
                FeatureKey::actor_prior("North Korea"),
                "__actor__North_Korea",
            ),
            (FeatureKey::Char(s("<wa")), "#<wa"),
            (FeatureKey::Char(s("ar>")), "#ar>"),
            (FeatureKey::Char(s("я>")), "#я>"),
            (FeatureKey::Before(s("prais")), "<prais"),
            (FeatureKey::After(s("won")), ">won"),
            (FeatureKey::Negated(s("prais")), "!prais"),
            (FeatureKey::Lexicon(LexiconSlot::Positive), "$pos"),
            (FeatureKey::Lexicon(LexiconSlot::Negative), "$neg"),
            (FeatureKey::Lexicon(LexiconSlot::PositiveNear), "$pos~"),
            (FeatureKey::Lexicon(LexiconSlot::NegativeNear), "$neg~"),
            (
                FeatureKey::PerActor {
                    actor: s("North_Korea"),
                    word: s("condemn"),
                },
                "@__actor__North_Korea|condemn",
            ),
            (
                // An actor's name may hold `|`; the term never does.
                FeatureKey::PerActor {
                    actor: s("A|B"),
                    word: s("x"),
                },
                "@__actor__A|B|x",
            ),
        ]
    }

    #[test]
    fn every_variant_round_trips_through_its_name() {
        let keys = every_variant();
        for (key, name) in &keys {
            assert_eq!(key.to_string(), *name);
            assert_eq!(name.parse::<FeatureKey>().as_ref(), Ok(key), "{name}");
        }
        // Each variant is among the cases (a new one must be added here).
        let covered = |f: &dyn Fn(&FeatureKey) -> bool| keys.iter().any(|(k, _)| f(k));
        assert!(covered(&|k| matches!(k, FeatureKey::Words(_))));
        assert!(covered(&|k| matches!(k, FeatureKey::ActorPrior(_))));
        assert!(covered(&|k| matches!(k, FeatureKey::Char(_))));
        assert!(covered(&|k| matches!(k, FeatureKey::Before(_))));
        assert!(covered(&|k| matches!(k, FeatureKey::After(_))));
        assert!(covered(&|k| matches!(k, FeatureKey::Negated(_))));
        assert!(covered(&|k| matches!(k, FeatureKey::Lexicon(_))));
        assert!(covered(&|k| matches!(k, FeatureKey::PerActor { .. })));
        for slot in LexiconSlot::ALL {
            assert_eq!(LexiconSlot::ALL[slot.index()], slot);
            assert!(covered(&|k| *k == FeatureKey::Lexicon(slot)));
        }
        assert_eq!(LexiconSlot::new(true, true), LexiconSlot::PositiveNear);
        assert_eq!(LexiconSlot::new(false, false), LexiconSlot::Negative);
    }

    #[test]
    fn malformed_names_are_refused_with_the_reason() {
        let cases = [
            ("", "cannot be empty"),
            ("@|condemn", "`@__actor__NAME|TERM`"),
            ("@__actor__|condemn", "actor name is missing"),
            ("@__actor__Iran|", "term is missing"),
            ("@__actor__Iran|a b", "term is missing or holds a space"),
            (
                "@__actor__North Korea|x",
                "actor name is missing or holds a space",
            ),
            ("@Iran|condemn", "`@__actor__NAME|TERM`"),
            ("@condemn", "`@__actor__NAME|TERM`"),
            ("#", "at least one character"),
            ("#a b", "no space"),
            ("<", "one term"),
            (">a b", "one term"),
            ("!", "one term"),
            ("$", "$pos, $neg"),
            ("$joy", "$pos, $neg"),
            ("__actor__", "the actor's name"),
            ("__actor__North Korea", "no space"),
            ("a  b", "single spaces"),
            (" a", "single spaces"),
            ("a ", "single spaces"),
            ("a\tb", "single spaces"),
            ("a\u{a0}b", "single spaces"),
            ("<a\x0bb", "one term"),
            ("#a\u{2003}", "no space"),
            ("a b c d e", "at most 4 terms"),
            ("\\", "single spaces"),
            ("\\attack", "escapes only"),
            ("\\#a  b", "single spaces"),
        ];
        for (name, why) in cases {
            let err = name.parse::<FeatureKey>().unwrap_err();
            assert!(err.reason().contains(why), "{name:?}: {err}");
            assert!(
                err.to_string()
                    .starts_with(&format!("bad feature name \"{name}\": ")),
                "{err}"
            );
        }
    }
}
