//! Contexts: which part of an article stands for "this article about this actor".
//!
//! An article is analysed once ([`Analysis`]: words, sentences, mentions). The context of an
//! actor is the sentences that mention it, widened by `window` sentences on each side, with the
//! actor's own mentions replaced by a target marker and other actors' mentions by another
//! marker, so that the model learns how articles speak of *a* target rather than memorising
//! names, and two actors in one article can get different stances. An actor the article never
//! names gets the whole text (all mentions marked as other actors). The article-level context
//! (for sentiment) is the whole text, unmarked.

use crate::actors::{Mention, Registry};
use crate::text::{self, Span, Word};
use crate::tokens::Tokens;
use serde::{Deserialize, Serialize};

/// A sentence and the range of words it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sentence {
    /// Where the sentence is in the text.
    pub span: Span,
    /// Its first word (index into the words).
    pub first_word: usize,
    /// One past its last word.
    pub end_word: usize,
}

/// An article's text, analysed once: words, sentences and actor mentions.
#[derive(Debug, Clone)]
pub struct Analysis<'a> {
    /// The text.
    pub text: &'a str,
    /// Its words, with offsets.
    pub words: Vec<Word>,
    /// Its sentences.
    pub sentences: Vec<Sentence>,
    /// Every actor mention, in text order.
    pub mentions: Vec<Mention>,
    /// For each word, the index of the mention that covers it, if any.
    word_mention: Vec<Option<u32>>,
}

impl<'a> Analysis<'a> {
    /// Analyses `text`: words ([`text::words`]), sentences, and the mentions of `registry`'s
    /// actors.
    pub fn new(text: &'a str, registry: &Registry) -> Analysis<'a> {
        Analysis::with_tokens(text, registry, Tokens::Words)
    }

    /// [`Analysis::new`] with the words of the tokenizer `tokens`.
    pub fn with_tokens(text: &'a str, registry: &Registry, tokens: Tokens) -> Analysis<'a> {
        let words = tokens.words(text);
        let spans = text::sentences(text);
        let mut sentences = Vec::with_capacity(spans.len());
        let mut w = 0;
        for s in spans {
            while w < words.len() && words[w].span.start < s.start {
                w += 1; // words outside any sentence cannot happen, but never loop forever
            }
            let first = w;
            while w < words.len() && words[w].span.end <= s.end {
                w += 1;
            }
            sentences.push(Sentence {
                span: s,
                first_word: first,
                end_word: w,
            });
        }
        let mentions = registry.mentions(text);
        let mut word_mention = vec![None; words.len()];
        let mut m = 0;
        for (i, word) in words.iter().enumerate() {
            while m < mentions.len() && mentions[m].span.end <= word.span.start {
                m += 1;
            }
            if m < mentions.len()
                && mentions[m].span.start < word.span.end
                && word.span.start < mentions[m].span.end
            {
                word_mention[i] = Some(m as u32);
            }
        }
        Analysis {
            text,
            words,
            sentences,
            mentions,
            word_mention,
        }
    }

    /// The number of mentions of `actor`.
    pub fn mention_count(&self, actor: usize) -> usize {
        self.mentions.iter().filter(|m| m.actor == actor).count()
    }

    /// The actors mentioned, in order of first mention, each once.
    pub fn actors(&self) -> Vec<usize> {
        let mut seen = Vec::new();
        for m in &self.mentions {
            if !seen.contains(&m.actor) {
                seen.push(m.actor);
            }
        }
        seen
    }

    /// Word `w` as written.
    pub fn word_str(&self, w: usize) -> &'a str {
        let s = self.words[w].span;
        &self.text[s.start..s.end]
    }
}

/// How many sentences around each sentence that mentions the actor the context takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// This many sentences on each side (0: only the sentences that mention the actor).
    Sentences(usize),
    /// Every sentence of the article (with the actor still marked).
    All,
}

impl Default for Window {
    fn default() -> Self {
        Window::Sentences(0)
    }
}

impl Window {
    /// The number of sentences on each side, for an article of `n` sentences.
    fn span(self, n: usize) -> usize {
        match self {
            Window::Sentences(k) => k,
            Window::All => n,
        }
    }
}

impl std::fmt::Display for Window {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Window::Sentences(k) => write!(f, "{k}"),
            Window::All => f.write_str("all"),
        }
    }
}

impl std::str::FromStr for Window {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Window, String> {
        match s.trim() {
            "all" => Ok(Window::All),
            t => t
                .parse::<usize>()
                .map(Window::Sentences)
                .map_err(|_| format!("\"{s}\" is not a number of sentences or \"all\"")),
        }
    }
}

/// In the model file a window is a number of sentences, or "all" (files of earlier versions
/// wrote "all" as the largest 64-bit number, which still reads as "all").
impl Serialize for Window {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            Window::Sentences(k) => s.serialize_u64(*k as u64),
            Window::All => s.serialize_str("all"),
        }
    }
}

impl<'de> Deserialize<'de> for Window {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Window, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(u64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Number(u64::MAX) => Ok(Window::All),
            Raw::Number(k) => usize::try_from(k)
                .map(Window::Sentences)
                .map_err(|_| serde::de::Error::custom(format!("window {k} is too large"))),
            Raw::Text(t) => t.parse().map_err(serde::de::Error::custom),
        }
    }
}

/// Which mentions in a context are replaced by markers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Markers {
    /// The target's mentions by the target marker, other actors' by the other marker.
    #[default]
    Both,
    /// Only the target's mentions; other actors' names stay words.
    Target,
    /// None: every name stays a word.
    None,
}

impl Markers {
    /// Whether the target's mentions are marked.
    pub fn target(self) -> bool {
        self != Markers::None
    }

    /// Whether other actors' mentions are marked.
    pub fn others(self) -> bool {
        self == Markers::Both
    }

    /// The setting that marks the target when `target`, and other actors when `others` (other
    /// actors are marked only together with the target).
    pub fn from_flags(target: bool, others: bool) -> Markers {
        match (target, others) {
            (true, true) => Markers::Both,
            (true, false) => Markers::Target,
            (false, _) => Markers::None,
        }
    }

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Markers::Both => "both",
            Markers::Target => "target",
            Markers::None => "none",
        }
    }
}

/// How contexts are built.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "ContextFile", into = "ContextFile")]
pub struct ContextConfig {
    /// Sentences taken on each side of a sentence that mentions the actor.
    pub window: Window,
    /// Which mentions are replaced by markers.
    pub markers: Markers,
    /// Give the model the actor's identity as a feature, so it can learn a prior per actor
    /// (most outlets' stance toward Hezbollah is not the same as toward Qatar).
    pub actor_prior: bool,
    /// Match the actors' automatic name forms too ("Kremlin" for "the Kremlin", a person's
    /// surname; see [`crate::actors`]), not only their names and aliases as written.
    pub name_forms: bool,
    /// The tokenizer that makes the words (see [`crate::tokens`]).
    pub tokens: Tokens,
}

/// [`ContextConfig`] as the model file stores it.
#[derive(Serialize, Deserialize)]
#[serde(default)]
struct ContextFile {
    window: Window,
    mark_target: bool,
    mark_others: bool,
    actor_prior: bool,
    /// Absent from the files of versions that matched names as written only.
    #[serde(default)]
    name_forms: bool,
    /// Left out when it is the default: files without it tokenize as they always did.
    #[serde(default, skip_serializing_if = "is_default_tokens")]
    tokens: Tokens,
}

fn is_default_tokens(t: &Tokens) -> bool {
    *t == Tokens::default()
}

impl Default for ContextFile {
    fn default() -> Self {
        ContextConfig::default().into()
    }
}

impl From<ContextFile> for ContextConfig {
    fn from(f: ContextFile) -> Self {
        ContextConfig {
            window: f.window,
            markers: Markers::from_flags(f.mark_target, f.mark_others),
            actor_prior: f.actor_prior,
            name_forms: f.name_forms,
            tokens: f.tokens,
        }
    }
}

impl From<ContextConfig> for ContextFile {
    fn from(c: ContextConfig) -> Self {
        ContextFile {
            window: c.window,
            mark_target: c.markers.target(),
            mark_others: c.markers.others(),
            actor_prior: c.actor_prior,
            name_forms: c.name_forms,
            tokens: c.tokens,
        }
    }
}

impl ContextConfig {
    /// The actor name to give the featurizer as a feature, if the actor prior is on.
    pub fn prior<'a>(&self, actor: &'a str) -> Option<&'a str> {
        self.actor_prior.then_some(actor)
    }
}

impl Default for ContextConfig {
    fn default() -> Self {
        ContextConfig {
            window: Window::Sentences(0),
            markers: Markers::Both,
            actor_prior: true,
            name_forms: true,
            tokens: Tokens::Words,
        }
    }
}

/// One element of a context, in reading order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece {
    /// A word of the text, by index into [`Analysis::words`].
    Word(u32),
    /// A mention of the actor whose context this is.
    Target,
    /// A mention of another actor.
    Other,
    /// The end of a sentence: n-grams do not cross it.
    Break,
}

/// The marker terms, as the featurizer sees them (no word can produce them: words hold no `_`).
pub const TARGET_TERM: &str = "__target__";
/// The marker term of another actor's mention.
pub const OTHER_TERM: &str = "__other__";

/// A context: the sentences it takes, and the pieces to featurize.
#[derive(Debug, Clone, PartialEq)]
pub struct Context {
    /// Indices into [`Analysis::sentences`], in order; the i-th sentence is the i-th segment of
    /// `pieces` (segments end with [`Piece::Break`]).
    pub sentences: Vec<usize>,
    /// The words and markers to featurize, sentences ended by breaks.
    pub pieces: Vec<Piece>,
}

/// The context of `actor` in the article, or the whole article when `actor` is None.
pub fn context(a: &Analysis<'_>, actor: Option<usize>, cfg: &ContextConfig) -> Context {
    let n = a.sentences.len();
    let mut take = vec![actor.is_none(); n];
    if let Some(actor) = actor {
        for (i, s) in a.sentences.iter().enumerate() {
            let mentions_it = (s.first_word..s.end_word)
                .any(|w| a.word_mention[w].is_some_and(|m| a.mentions[m as usize].actor == actor));
            if mentions_it {
                let w = cfg.window.span(n);
                let lo = i.saturating_sub(w);
                let hi = i.saturating_add(w).min(n - 1);
                take[lo..=hi].iter_mut().for_each(|t| *t = true);
            }
        }
        if !take.iter().any(|&t| t) {
            take.iter_mut().for_each(|t| *t = true);
        }
    }
    let mut sentences = Vec::new();
    // One piece per word at most, and a break per sentence: allocated once.
    let mut pieces = Vec::with_capacity(
        a.sentences
            .iter()
            .zip(&take)
            .filter(|(_, &t)| t)
            .map(|(s, _)| s.end_word - s.first_word + 1)
            .sum(),
    );
    for (i, s) in a.sentences.iter().enumerate() {
        if !take[i] {
            continue;
        }
        sentences.push(i);
        let mut last_mention: Option<u32> = None;
        for w in s.first_word..s.end_word {
            match (a.word_mention[w], actor) {
                (Some(m), Some(actor)) => {
                    if last_mention == Some(m) {
                        continue; // one marker per mention, however many words it has
                    }
                    last_mention = Some(m);
                    let is_target = a.mentions[m as usize].actor == actor;
                    let marked = if is_target {
                        cfg.markers.target()
                    } else {
                        cfg.markers.others()
                    };
                    if !marked {
                        pieces.push(Piece::Word(w as u32));
                        last_mention = None;
                    } else if is_target {
                        pieces.push(Piece::Target);
                    } else {
                        pieces.push(Piece::Other);
                    }
                }
                _ => {
                    last_mention = None;
                    pieces.push(Piece::Word(w as u32));
                }
            }
        }
        pieces.push(Piece::Break);
    }
    Context { sentences, pieces }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reg() -> Registry {
        Registry::from_toml_str(
            "[[actor]]\nname = \"Russia\"\naliases = [\"the Kremlin\"]\n[[actor]]\nname = \"Hamas\"\n[[actor]]\nname = \"Iran\"\n",
        )
        .unwrap()
    }

    fn show(a: &Analysis<'_>, c: &Context) -> String {
        c.pieces
            .iter()
            .map(|p| match p {
                Piece::Word(w) => a.word_str(*w as usize).to_string(),
                Piece::Target => "T".into(),
                Piece::Other => "O".into(),
                Piece::Break => "|".into(),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn context_takes_mentioning_sentences_and_marks() {
        let r = reg();
        let t = "The Kremlin praised Hamas. Markets fell. Hamas thanked Russia.";
        let a = Analysis::new(t, &r);
        let c = context(&a, Some(0), &ContextConfig::default());
        assert_eq!(c.sentences, vec![0, 2]);
        assert_eq!(show(&a, &c), "T praised O | O thanked T |");
        let h = context(&a, Some(1), &ContextConfig::default());
        assert_eq!(show(&a, &h), "O praised T | T thanked O |");
    }

    #[test]
    fn window_and_markers_read_as_the_model_file_writes_them() {
        let all = ContextConfig {
            window: Window::All,
            markers: Markers::Target,
            actor_prior: false,
            name_forms: false,
            tokens: Tokens::Words,
        };
        let json = serde_json::to_string(&all).unwrap();
        assert_eq!(
            json,
            r#"{"window":"all","mark_target":true,"mark_others":false,"actor_prior":false,"name_forms":false}"#
        );
        assert_eq!(serde_json::from_str::<ContextConfig>(&json).unwrap(), all);
        // Earlier versions wrote "all" as the largest 64-bit number.
        let old = r#"{"window":18446744073709551615,"mark_target":false,"mark_others":false,"actor_prior":true}"#;
        let c: ContextConfig = serde_json::from_str(old).unwrap();
        assert_eq!((c.window, c.markers), (Window::All, Markers::None));
        // They matched names as written: without the field, no automatic name forms.
        assert!(!c.name_forms);
        assert_eq!(
            serde_json::to_string(&ContextConfig::default()).unwrap(),
            r#"{"window":0,"mark_target":true,"mark_others":true,"actor_prior":true,"name_forms":true}"#
        );
        // The social tokenizer is saved; without the field a file tokenizes as before.
        let social = ContextConfig {
            tokens: Tokens::Social,
            ..ContextConfig::default()
        };
        let json = serde_json::to_string(&social).unwrap();
        assert!(
            json.ends_with(r#""name_forms":true,"tokens":"social"}"#),
            "{json}"
        );
        assert_eq!(
            serde_json::from_str::<ContextConfig>(&json).unwrap(),
            social
        );
        assert_eq!(c.tokens, Tokens::Words);
        assert_eq!("all".parse::<Window>(), Ok(Window::All));
        assert_eq!(" 2".parse::<Window>(), Ok(Window::Sentences(2)));
        assert!("two".parse::<Window>().is_err());
    }

    #[test]
    fn window_widens_and_absent_actor_gets_whole_text() {
        let r = reg();
        let t = "Hamas spoke. Markets fell. Rain came.";
        let a = Analysis::new(t, &r);
        let cfg = ContextConfig {
            window: Window::Sentences(1),
            ..ContextConfig::default()
        };
        assert_eq!(context(&a, Some(1), &cfg).sentences, vec![0, 1]);
        let iran = context(&a, Some(2), &ContextConfig::default());
        assert_eq!(iran.sentences, vec![0, 1, 2]);
        assert_eq!(show(&a, &iran), "O spoke | Markets fell | Rain came |");
        let whole = context(&a, None, &ContextConfig::default());
        assert_eq!(show(&a, &whole), "Hamas spoke | Markets fell | Rain came |");
    }
}
