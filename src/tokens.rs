//! Tokenizers: which runs of a text become words. [`Tokens::Words`] is [`text::words`] (runs of
//! letters and digits), the default and what every model that names no tokenizer uses.
//! [`Tokens::Social`] is for short social-media texts: it keeps what those texts carry their
//! stance in as tokens of their own, and tokenizes the plain stretches between them exactly as
//! [`text::words`] does.
//!
//! | in the text | words (as written) | terms |
//! |---|---|---|
//! | `#StopHillary2016` | `#StopHillary2016`, `Stop`, `Hillary`, `2016` | `#stophillary2016`, `stop`, `hillari`, `2016` |
//! | `@JoeBiden` | `@`, `@JoeBiden` | `<user>`, `@joebiden` |
//! | `https://t.co/x1` | `https://t.co/x1` | `<url>` |
//! | `👍🏽`, `🇺🇦` | `👍` (skin tone and variation selector left out), `🇺🇦` | the same |
//!
//! A hashtag is split at `_`, at a lower-case letter followed by a capital, before the last
//! capital of a run followed by a lower-case letter (`IStandWith` → `I`, `Stand`, `With`) and
//! between letters and digits; its pieces are ordinary words (lower-cased and stemmed), so
//! `#StandWithUkraine` shares `ukrain` with the plain word. `#` and `@` start a tag or handle
//! only after a character that is not a letter, digit, `_` or `&` (not in `C#`, `a@b.org` or
//! `&#39;`), and only if a letter, digit or `_` follows.
//!
//! The words of a hashtag overlap (the tag, then its pieces); they are in order of their first
//! byte, which is all the context code needs.

use crate::text::{self, Span, Word};
use serde::{Deserialize, Serialize};
use unicode_properties::UnicodeEmoji;

/// Which tokenizer turns a text into words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Tokens {
    /// Runs of letters and digits ([`text::words`]).
    #[default]
    Words,
    /// As `words`, plus hashtags (whole and split into words), @mentions (the handle and a
    /// shared `<user>`), URLs (one shared `<url>`) and emoji as tokens.
    Social,
}

impl Tokens {
    /// The name used on the command line and in the model file.
    pub fn name(self) -> &'static str {
        match self {
            Tokens::Words => "words",
            Tokens::Social => "social",
        }
    }

    /// The words of `text`.
    pub fn words(self, text: &str) -> Vec<Word> {
        match self {
            Tokens::Words => text::words(text),
            Tokens::Social => social_words(text),
        }
    }
}

/// Whether `text` has a #hashtag or an @mention as [`Tokens::Social`] finds them (what
/// `train --auto` looks at to decide whether to try that tokenizer).
pub fn has_tag_or_mention(text: &str) -> bool {
    let b = text.as_bytes();
    tag_signs(b).any(|i| {
        let before = text[..i].chars().next_back();
        !before.is_some_and(|p| p.is_alphanumeric() || p == '_' || p == '&')
            && tag_end(text, i + 1).is_some()
    })
}

/// The offsets of every `#` and `@`.
fn tag_signs(b: &[u8]) -> impl Iterator<Item = usize> + '_ {
    b.iter()
        .enumerate()
        .filter(|(_, &c)| c == b'#' || c == b'@')
        .map(|(i, _)| i)
}

/// The term every URL becomes.
pub const URL_TERM: &str = "<url>";
/// The term every @mention gives besides its handle.
pub const USER_TERM: &str = "<user>";

/// Normalises a word as written into `buf` and says whether the result is to be stemmed.
/// Words of [`text::words`] start with a letter or digit and go to [`text::normalize_into`]
/// (then stemmed); the social tokens keep their form: a tag or handle lower-cased, a lone `@`
/// as [`USER_TERM`], a URL as [`URL_TERM`].
pub fn term_into(word: &str, buf: &mut String) -> bool {
    match word.as_bytes().first() {
        Some(b'#' | b'@') => {
            buf.clear();
            if word == "@" {
                buf.push_str(USER_TERM);
            } else {
                buf.extend(word.chars().flat_map(char::to_lowercase));
            }
            false
        }
        Some(b'h' | b'H' | b'w' | b'W') if url_scheme_len(word).is_some() => {
            buf.clear();
            buf.push_str(URL_TERM);
            false
        }
        _ => {
            text::normalize_into(word, buf);
            true
        }
    }
}

/// The length of the URL's start (`http://`, `https://`, `www.`, any case) if `s` starts with
/// one. No word of [`text::words`] holds `:` or `.`, so none matches.
fn url_scheme_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    ["https://", "http://", "www."].iter().find_map(|p| {
        (b.len() > p.len() && b[..p.len()].eq_ignore_ascii_case(p.as_bytes())).then_some(p.len())
    })
}

/// The social tokenizer (see the module's doc). Hand-written for the same reasons as
/// [`text::words`] (offsets, speed), around it: the stretches between social tokens go to it.
pub fn social_words(text: &str) -> Vec<Word> {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(text.len() / 5);
    let mut plain = 0;
    let mut prev: Option<char> = None;
    let mut i = 0;
    while i < b.len() {
        let c = text[i..].chars().next().unwrap_or(' ');
        let at_boundary = !prev.is_some_and(|p| p.is_alphanumeric() || p == '_' || p == '&');
        let found = match c {
            '#' if at_boundary => tag_end(text, i + 1).map(Special::Tag),
            '@' if at_boundary => tag_end(text, i + 1).map(Special::Mention),
            'h' | 'H' | 'w' | 'W' if at_boundary => url_end(text, i).map(Special::Url),
            _ if !c.is_ascii() && is_emoji_start(c) => Some(Special::Emoji),
            _ => None,
        };
        let Some(found) = found else {
            prev = Some(c);
            i += c.len_utf8();
            continue;
        };
        push_plain(text, plain, i, &mut out);
        let end = match found {
            Special::Tag(end) => {
                out.push(word(i, end));
                split_tag(text, i + 1, end, &mut out);
                end
            }
            Special::Mention(end) => {
                out.push(word(i, i + 1));
                out.push(word(i, end));
                end
            }
            Special::Url(end) => {
                out.push(word(i, end));
                end
            }
            Special::Emoji => {
                let e = emoji(text, i);
                out.push(word(i, e.shown));
                e.end
            }
        };
        prev = text[..end].chars().next_back();
        plain = end;
        i = end;
    }
    push_plain(text, plain, b.len(), &mut out);
    out
}

/// A social token found at some offset, with where it ends.
enum Special {
    Tag(usize),
    Mention(usize),
    Url(usize),
    /// Its end is found by [`emoji`].
    Emoji,
}

fn word(start: usize, end: usize) -> Word {
    Word {
        span: Span { start, end },
    }
}

/// The words of the plain stretch `text[start..end]`, as [`text::words`] makes them.
fn push_plain(text: &str, start: usize, end: usize, out: &mut Vec<Word>) {
    if start < end {
        out.extend(
            text::words(&text[start..end])
                .into_iter()
                .map(|w| word(w.span.start + start, w.span.end + start)),
        );
    }
}

fn is_tag_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The end of a hashtag's or handle's body starting at `from`, if it has a letter or digit.
fn tag_end(text: &str, from: usize) -> Option<usize> {
    let body = &text[from..];
    let len = body.find(|c: char| !is_tag_char(c)).unwrap_or(body.len());
    body[..len]
        .chars()
        .any(char::is_alphanumeric)
        .then_some(from + len)
}

/// The end of a URL starting at `at`: up to white space, less closing punctuation.
fn url_end(text: &str, at: usize) -> Option<usize> {
    let rest = &text[at..];
    let scheme = url_scheme_len(rest)?;
    let len = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let url = rest[..len].trim_end_matches(|c: char| {
        matches!(
            c,
            '.' | ',' | ';' | ':' | '!' | '?' | ')' | ']' | '}' | '"' | '\'' | '”' | '’' | '…'
        )
    });
    (url.len() > scheme).then_some(at + url.len())
}

/// How a hashtag's body splits: the class of each character.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Upper,
    Lower,
    Digit,
}

fn class(c: char) -> Class {
    if c.is_numeric() {
        Class::Digit
    } else if c.is_uppercase() {
        Class::Upper
    } else {
        // Lower case, and letters without case (CJK, Arabic): no boundary among them.
        Class::Lower
    }
}

/// Pushes the pieces of the hashtag body `text[start..end]` (see the module's doc).
fn split_tag(text: &str, start: usize, end: usize, out: &mut Vec<Word>) {
    for part in text[start..end].split('_') {
        if part.is_empty() {
            continue;
        }
        let base = part.as_ptr() as usize - text.as_ptr() as usize;
        let chars: Vec<(usize, char)> = part.char_indices().collect();
        let mut piece = 0;
        for k in 1..chars.len() {
            let (a, b) = (class(chars[k - 1].1), class(chars[k].1));
            let next_lower = chars.get(k + 1).is_some_and(|n| class(n.1) == Class::Lower);
            let cut = match (a, b) {
                (Class::Lower, Class::Upper) => true,
                (Class::Upper, Class::Upper) => next_lower,
                (Class::Digit, Class::Digit) => false,
                (Class::Digit, _) | (_, Class::Digit) => true,
                _ => false,
            };
            if cut {
                out.push(word(base + piece, base + chars[k].0));
                piece = chars[k].0;
            }
        }
        out.push(word(base + piece, base + part.len()));
    }
}

/// A character that starts an emoji: Emoji=Yes in Unicode's emoji data, outside the ASCII
/// and Latin-1 characters that also have it (digits, `#`, `*`, ©, ®).
fn is_emoji_start(c: char) -> bool {
    c as u32 >= 0x2000 && c.is_emoji_char() && !is_modifier(c)
}

/// Characters that modify the emoji before them: the variation selector, skin tones, the
/// keycap and the tag characters of subdivision flags.
fn is_modifier(c: char) -> bool {
    matches!(c as u32, 0xFE0F | 0x1F3FB..=0x1F3FF | 0x20E3 | 0xE0020..=0xE007F)
}

fn is_regional(c: char) -> bool {
    matches!(c as u32, 0x1F1E6..=0x1F1FF)
}

/// An emoji sequence: where the token ends (skin tones and variation selectors after its last
/// emoji left out, so `👍🏽` is `👍`) and where the sequence ends.
struct EmojiSpan {
    shown: usize,
    end: usize,
}

fn emoji(text: &str, at: usize) -> EmojiSpan {
    let mut cs = text[at..].char_indices().peekable();
    let (_, first) = cs.next().unwrap_or((0, ' '));
    let mut shown = first.len_utf8();
    if is_regional(first) {
        // A flag is two regional indicators.
        if let Some(&(k, c)) = cs.peek() {
            if is_regional(c) {
                shown = k + c.len_utf8();
            }
        }
        return EmojiSpan {
            shown: at + shown,
            end: at + shown,
        };
    }
    let mut end = shown;
    while let Some((k, c)) = cs.next() {
        if is_modifier(c) {
            end = k + c.len_utf8();
        } else if c == '\u{200D}' {
            match cs.peek() {
                Some(&(k2, e)) if e.is_emoji_char() && !e.is_ascii() => {
                    cs.next();
                    end = k2 + e.len_utf8();
                    shown = end;
                }
                _ => break,
            }
        } else {
            break;
        }
    }
    EmojiSpan {
        shown: at + shown,
        end: at + end,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strs(t: &str) -> Vec<&str> {
        social_words(t)
            .iter()
            .map(|w| &t[w.span.start..w.span.end])
            .collect()
    }

    fn terms(t: &str) -> Vec<String> {
        let stem = text::Stem::new("english").unwrap();
        let mut buf = String::new();
        strs(t)
            .into_iter()
            .map(|w| {
                let s = term_into(w, &mut buf);
                if s {
                    stem.stem(&buf).into_owned()
                } else {
                    buf.clone()
                }
            })
            .collect()
    }

    #[test]
    fn hashtags_stay_whole_and_split_into_words() {
        assert_eq!(
            strs("#StopHillary2016 now"),
            ["#StopHillary2016", "Stop", "Hillary", "2016", "now"]
        );
        assert_eq!(
            terms("#StopHillary2016"),
            ["#stophillary2016", "stop", "hillari", "2016"]
        );
        assert_eq!(
            strs("#IStandWithIsrael"),
            ["#IStandWithIsrael", "I", "Stand", "With", "Israel"]
        );
        assert_eq!(strs("#NoDAPL"), ["#NoDAPL", "No", "DAPL"]);
        assert_eq!(strs("#COVID19"), ["#COVID19", "COVID", "19"]);
        assert_eq!(
            strs("#free_palestine"),
            ["#free_palestine", "free", "palestine"]
        );
        assert_eq!(strs("#trump"), ["#trump", "trump"]);
        assert_eq!(
            terms("#StandWithUkraine"),
            ["#standwithukraine", "stand", "with", "ukrain"]
        );
    }

    #[test]
    fn mentions_give_the_handle_and_a_shared_user_token() {
        assert_eq!(strs("hey @JoeBiden!"), ["hey", "@", "@JoeBiden"]);
        assert_eq!(terms("hey @JoeBiden!"), ["hey", "<user>", "@joebiden"]);
        let t = "hey @JoeBiden!";
        let w = social_words(t);
        assert_eq!(w[1].span, Span { start: 4, end: 5 });
        assert_eq!(w[2].span, Span { start: 4, end: 13 });
    }

    #[test]
    fn not_a_tag_or_mention_inside_words_or_alone() {
        assert_eq!(
            strs("C# and mail a@b.org"),
            ["C", "and", "mail", "a", "b", "org"]
        );
        assert_eq!(strs("# @ #_ &#39;"), ["39"]);
        assert_eq!(strs("it's#fine"), ["it's", "fine"]);
    }

    #[test]
    fn tags_and_mentions_are_noticed_as_the_tokenizer_finds_them() {
        assert!(has_tag_or_mention("so true #MAGA"));
        assert!(has_tag_or_mention("@potus listen"));
        assert!(!has_tag_or_mention("C# and a@b.org, &#39; # @"));
        assert!(!has_tag_or_mention("plain news text"));
    }

    #[test]
    fn urls_become_one_shared_token() {
        let t = "read this: https://t.co/AbC12?x=1. (www.example.org/a) http:// done";
        assert_eq!(
            strs(t),
            [
                "read",
                "this",
                "https://t.co/AbC12?x=1",
                "www.example.org/a",
                "http",
                "done"
            ]
        );
        assert_eq!(terms("see https://t.co/x"), ["see", "<url>"]);
    }

    #[test]
    fn emoji_are_tokens_without_skin_tone_or_selector() {
        assert_eq!(strs("great👍🏽 🔥🔥"), ["great", "👍", "🔥", "🔥"]);
        assert_eq!(strs("❤️ love"), ["❤", "love"]);
        assert_eq!(strs("🇺🇦🇮🇱"), ["🇺🇦", "🇮🇱"]);
        // A ZWJ sequence is one token.
        assert_eq!(strs("👨‍👩‍👧 x"), ["👨‍👩‍👧", "x"]);
        // ©, digits and * are not emoji here.
        assert_eq!(strs("© 2024 *"), ["2024"]);
    }

    #[test]
    fn plain_text_tokenizes_as_the_default() {
        for t in [
            "Russia’s “closest friend” isn't pro-Kremlin's 1,400.",
            "",
            " -- ’ ' ...",
            "Ünïcode wörds and 3.5 per cent",
        ] {
            assert_eq!(social_words(t), text::words(t), "{t}");
            assert_eq!(Tokens::Words.words(t), text::words(t));
        }
    }

    #[test]
    fn default_words_keep_their_normalisation() {
        let mut buf = String::new();
        assert!(term_into("Russia’s", &mut buf));
        assert_eq!(buf, "russia");
        assert!(term_into("http", &mut buf));
        assert_eq!(buf, "http");
        assert!(term_into("www", &mut buf));
        assert!(!term_into("#Tag", &mut buf));
        assert_eq!(buf, "#tag");
    }

    proptest::proptest! {
        #[test]
        fn any_text_gives_ordered_spans_on_boundaries(t in "[a-zA-Z0-9 #@_&:/.'’é🇺🇦👍🏽\u{200d}\u{fe0f}-]{0,40}") {
            let w = social_words(&t);
            for p in w.windows(2) {
                proptest::prop_assert!(p[0].span.start <= p[1].span.start);
            }
            for x in &w {
                proptest::prop_assert!(x.span.start < x.span.end && x.span.end <= t.len());
                proptest::prop_assert!(t.is_char_boundary(x.span.start) && t.is_char_boundary(x.span.end));
            }
            // Without #, @, URLs and emoji it is the default tokenizer.
            if !t.contains(['#', '@', 'h', 'H', 'w', 'W', '🇺', '🇦', '👍']) {
                proptest::prop_assert_eq!(w, text::words(&t));
            }
        }
    }

    #[test]
    fn offsets_lie_on_character_boundaries_and_in_order() {
        let t = "Ça va #ÉtéChaud @zoë 🇫🇷 https://x.fr/é ok";
        let w = social_words(t);
        for p in w.windows(2) {
            assert!(p[0].span.start <= p[1].span.start);
        }
        for x in &w {
            assert!(t.is_char_boundary(x.span.start) && t.is_char_boundary(x.span.end));
        }
        assert_eq!(
            strs(t),
            [
                "Ça",
                "va",
                "#ÉtéChaud",
                "Été",
                "Chaud",
                "@",
                "@zoë",
                "🇫🇷",
                "https://x.fr/é",
                "ok"
            ]
        );
    }
}
