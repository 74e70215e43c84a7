//! Text: words with byte offsets, sentences, and the normalisation (lower case, stem) that turns
//! a word into a term.
//!
//! Offsets are byte offsets into the original text and always lie on character boundaries;
//! [`char_offset`] converts one to a character offset for output (Python, R and JavaScript index
//! strings by character).

use rust_stemmers::{Algorithm, Stemmer};
use serde::{Deserialize, Serialize};

/// A byte range `[start, end)` in a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

/// A word of the text: a run of letters and digits, with apostrophes inside it kept
/// ("don't", "Russia’s").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Word {
    /// Where the word is.
    pub span: Span,
}

fn is_apostrophe(c: char) -> bool {
    c == '\'' || c == '’'
}

/// Splits `text` into words. Hand-written because it must keep offsets, treat curly and
/// straight apostrophes alike and run at tens of MB/s; no tokenizer crate does all three
/// without pulling in a model.
pub fn words(text: &str) -> Vec<Word> {
    let mut out = Vec::with_capacity(text.len() / 6);
    let bytes = text.as_bytes();
    let mut i = 0;
    let n = bytes.len();
    while i < n {
        let b = bytes[i];
        if b < 128 {
            if !ASCII_ALNUM[b as usize] {
                i += 1;
                continue;
            }
        } else {
            let c = text[i..].chars().next().unwrap_or(' ');
            if !c.is_alphanumeric() {
                i += c.len_utf8();
                continue;
            }
        }
        // A word starts at i.
        let start = i;
        let mut end = i;
        let mut j = i;
        while j < n {
            let b = bytes[j];
            if b < 128 {
                if ASCII_ALNUM[b as usize] {
                    j += 1;
                    end = j;
                    continue;
                }
                if b == b'\'' && next_is_alnum(text, j + 1) {
                    j += 1;
                    continue;
                }
                break;
            }
            let c = text[j..].chars().next().unwrap_or(' ');
            if c.is_alphanumeric() {
                j += c.len_utf8();
                end = j;
            } else if is_apostrophe(c) && next_is_alnum(text, j + c.len_utf8()) {
                j += c.len_utf8();
            } else {
                break;
            }
        }
        out.push(Word {
            span: Span { start, end },
        });
        i = end.max(start + 1);
        // `end` is always on a character boundary; step over a partial character never happens
        // because `end` is only ever set after a whole character.
    }
    out
}

fn next_is_alnum(text: &str, at: usize) -> bool {
    text.get(at..)
        .and_then(|s| s.chars().next())
        .is_some_and(|c| c.is_alphanumeric())
}

const fn byte_table(bytes: &[u8]) -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < bytes.len() {
        t[bytes[i] as usize] = true;
        i += 1;
    }
    t
}

/// The ASCII letters and digits (`u8::is_ascii_alphanumeric` as one load, in the word loop).
static ASCII_ALNUM: [bool; 256] =
    byte_table(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

/// Abbreviations after which a full stop does not end a sentence.
const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "gen", "col", "lt", "sgt", "capt", "gov", "sen", "rep", "st",
    "jr", "sr", "vs", "etc", "no", "inc", "ltd", "co", "corp", "jan", "feb", "mar", "apr", "jun",
    "jul", "aug", "sep", "sept", "oct", "nov", "dec", "approx", "est", "fig", "u.s", "u.n", "u.k",
    "e.g", "i.e",
];

/// Splits `text` into sentences: at `.`, `!` or `?` (with any closing quotes or brackets) followed
/// by white space and then a capital letter, digit or opening quote; and always at a blank line.
/// A full stop after a known abbreviation or a single capital letter ("J. Smith", "U.S.") does
/// not end a sentence. Returns trimmed, non-empty spans in order.
pub fn sentences(text: &str) -> Vec<Span> {
    let b = text.as_bytes();
    let n = b.len();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    // The next line end at or after `i` (n when there is none), found by memchr and kept
    // until `i` passes it: line ends are rarer than full stops.
    let mut line_end = memchr::memchr(b'\n', b).unwrap_or(n);
    // Scans bytes: every byte that matters here is ASCII, or the start of a multi-byte
    // character that is decoded where needed.
    while i < n {
        // Skip quickly to the next byte that can end a sentence.
        if line_end < i {
            line_end = memchr::memchr(b'\n', &b[i..]).map_or(n, |p| i + p);
        }
        i = memchr::memchr3(b'.', b'!', b'?', &b[i..line_end]).map_or(line_end, |p| i + p);
        if i >= n {
            break;
        }
        match b[i] {
            b'\n' => {
                let mut m = i + 1;
                while m < n && matches!(b[m], b' ' | b'\t' | b'\r') {
                    m += 1;
                }
                if m < n && b[m] == b'\n' {
                    push_trimmed(text, start, i, &mut out);
                    start = m + 1;
                    i = m + 1;
                    continue;
                }
                i += 1;
            }
            c @ (b'.' | b'!' | b'?') => {
                let mut m = i + 1;
                while m < n && matches!(b[m], b'.' | b'!' | b'?') {
                    m += 1;
                }
                loop {
                    if m < n && matches!(b[m], b'"' | b'\'' | b')' | b']') {
                        m += 1;
                    } else if text[m..].starts_with('”') || text[m..].starts_with('’') {
                        m += 3;
                    } else {
                        break;
                    }
                }
                let end = m;
                let mut w = m;
                while w < n && b[w].is_ascii_whitespace() {
                    w += 1;
                }
                let next_starts = w >= n
                    || (w > m
                        && text[w..].chars().next().is_some_and(|ch| {
                            ch.is_uppercase()
                                || ch.is_numeric()
                                || matches!(ch, '"' | '“' | '‘' | '\'' | '(' | '[' | '—')
                        }));
                if next_starts && !(c == b'.' && is_abbreviation(text, start, i)) {
                    push_trimmed(text, start, end, &mut out);
                    start = end;
                }
                i = m.max(i + 1);
            }
            _ => i += 1,
        }
    }
    push_trimmed(text, start, n, &mut out);
    out
}

fn is_abbreviation(text: &str, sentence_start: usize, dot: usize) -> bool {
    let before = &text[sentence_start..dot];
    let word_start = before
        .char_indices()
        .rev()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '.'))
        .map(|(i, c)| i + c.len_utf8())
        .unwrap_or(0);
    let word = &before[word_start..];
    if word.is_empty() {
        return false;
    }
    let mut cs = word.chars();
    let first = cs.next().unwrap_or(' ');
    if word.chars().count() == 1 && first.is_uppercase() {
        return true; // an initial: "J. Smith"
    }
    let lower = word.to_lowercase();
    ABBREVIATIONS.contains(&lower.as_str())
}

fn push_trimmed(text: &str, start: usize, end: usize, out: &mut Vec<Span>) {
    let s = &text[start..end];
    let lead = s.len() - s.trim_start().len();
    let trail = s.len() - s.trim_end().len();
    if lead + trail < s.len() {
        out.push(Span {
            start: start + lead,
            end: end - trail,
        });
    }
}

/// Lower-cases a word into `buf` (ASCII fast path), folds curly apostrophes to straight ones and
/// drops a possessive `'s`.
pub fn normalize_into(word: &str, buf: &mut String) {
    buf.clear();
    if word.is_ascii() {
        buf.push_str(word);
        buf.make_ascii_lowercase();
    } else {
        for c in word.chars() {
            if c == '’' {
                buf.push('\'');
            } else {
                buf.extend(c.to_lowercase());
            }
        }
    }
    if buf.ends_with("'s") {
        buf.truncate(buf.len() - 2);
    }
}

/// A stemmer for one language, chosen by name.
pub struct Stem {
    stemmer: Option<Stemmer>,
}

/// Languages the stemmer knows, by the names used in the model file and on the command line.
pub const LANGUAGES: &[&str] = &[
    "none",
    "english",
    "arabic",
    "danish",
    "dutch",
    "finnish",
    "french",
    "german",
    "greek",
    "hungarian",
    "italian",
    "norwegian",
    "portuguese",
    "romanian",
    "russian",
    "spanish",
    "swedish",
    "tamil",
    "turkish",
];

impl Stem {
    /// `language` is one of [`LANGUAGES`]; `"none"` keeps words as they are.
    pub fn new(language: &str) -> Option<Stem> {
        let algorithm = match language {
            "none" => return Some(Stem { stemmer: None }),
            "english" => Algorithm::English,
            "arabic" => Algorithm::Arabic,
            "danish" => Algorithm::Danish,
            "dutch" => Algorithm::Dutch,
            "finnish" => Algorithm::Finnish,
            "french" => Algorithm::French,
            "german" => Algorithm::German,
            "greek" => Algorithm::Greek,
            "hungarian" => Algorithm::Hungarian,
            "italian" => Algorithm::Italian,
            "norwegian" => Algorithm::Norwegian,
            "portuguese" => Algorithm::Portuguese,
            "romanian" => Algorithm::Romanian,
            "russian" => Algorithm::Russian,
            "spanish" => Algorithm::Spanish,
            "swedish" => Algorithm::Swedish,
            "tamil" => Algorithm::Tamil,
            "turkish" => Algorithm::Turkish,
            _ => return None,
        };
        Some(Stem {
            stemmer: Some(Stemmer::create(algorithm)),
        })
    }

    /// The stem of an already normalised word.
    pub fn stem<'a>(&self, normalized: &'a str) -> std::borrow::Cow<'a, str> {
        match &self.stemmer {
            Some(s) => s.stem(normalized),
            None => std::borrow::Cow::Borrowed(normalized),
        }
    }
}

/// Converts a byte offset of `text` to a character offset.
pub fn char_offset(text: &str, byte: usize) -> usize {
    text[..byte.min(text.len())].chars().count()
}

/// Edit distance (Levenshtein, by character) between `a` and `b`.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != *cb))
                .min(above + 1)
                .min(row[j] + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

/// The `k` names closest to `query`, closest first: case is ignored, and a name is as close as
/// its closest word ("netanyahu" finds "Benjamin Netanyahu"), a name that contains the query
/// closest of all. For "did you mean" hints.
pub fn closest<'a, I>(query: &str, names: I, k: usize) -> Vec<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let q = query.trim().to_lowercase();
    let mut scored: Vec<(usize, usize, &str)> = names
        .into_iter()
        .map(|name| {
            let n = name.to_lowercase();
            let whole = edit_distance(&q, &n);
            let word = n
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .map(|w| edit_distance(&q, w) + 1)
                .min()
                .unwrap_or(whole);
            let d = if !q.is_empty() && n.contains(q.as_str()) {
                0
            } else {
                whole.min(word)
            };
            (d, whole, name)
        })
        .collect();
    scored.sort();
    scored.into_iter().take(k).map(|(_, _, n)| n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word_strs(t: &str) -> Vec<&str> {
        words(t)
            .iter()
            .map(|w| &t[w.span.start..w.span.end])
            .collect()
    }

    #[test]
    fn words_keep_apostrophes_inside_and_offsets() {
        let t = "Russia’s “closest friend” isn't pro-Kremlin's 1,400.";
        assert_eq!(
            word_strs(t),
            vec![
                "Russia’s",
                "closest",
                "friend",
                "isn't",
                "pro",
                "Kremlin's",
                "1",
                "400"
            ]
        );
        let w = words(t);
        assert_eq!(w[0].span, Span { start: 0, end: 10 }); // ’ is 3 bytes
    }

    #[test]
    fn words_on_empty_and_punctuation_only() {
        assert!(words("").is_empty());
        assert!(words(" -- ’ ' ...").is_empty());
        assert_eq!(word_strs("'quoted'"), vec!["quoted"]);
    }

    #[test]
    fn sentences_split_on_stops_and_blank_lines_not_abbreviations() {
        let t = "The U.S. envoy met Dr. Smith in Cairo. Talks failed! \"Why?\" asked one.\n\nA new paragraph without a stop\nstill here";
        let s: Vec<&str> = sentences(t).iter().map(|s| &t[s.start..s.end]).collect();
        assert_eq!(
            s,
            vec![
                "The U.S. envoy met Dr. Smith in Cairo.",
                "Talks failed!",
                "\"Why?\" asked one.",
                "A new paragraph without a stop\nstill here"
            ]
        );
    }

    #[test]
    fn sentence_needs_capital_after_stop() {
        let t = "Prices rose 3.5 per cent. in March. Then fell.";
        let s: Vec<&str> = sentences(t).iter().map(|s| &t[s.start..s.end]).collect();
        assert_eq!(s, vec!["Prices rose 3.5 per cent. in March.", "Then fell."]);
    }

    #[test]
    fn normalize_lowercases_folds_apostrophes_and_drops_possessive() {
        let mut b = String::new();
        normalize_into("Russia’s", &mut b);
        assert_eq!(b, "russia");
        normalize_into("DON'T", &mut b);
        assert_eq!(b, "don't");
        normalize_into("Türkiye", &mut b);
        assert_eq!(b, "türkiye");
    }

    #[test]
    fn stemmer_by_language() {
        let s = Stem::new("english").unwrap();
        assert_eq!(s.stem("attacks"), "attack");
        assert_eq!(Stem::new("none").unwrap().stem("attacks"), "attacks");
        assert!(Stem::new("klingon").is_none());
    }

    #[test]
    fn char_offsets() {
        let t = "é a";
        assert_eq!(char_offset(t, 3), 2);
    }

    #[test]
    fn edit_distances_and_closest_names() {
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("Россия", "Россия"), 0);
        let names = [
            "Iran",
            "Iraq",
            "Israel",
            "Benjamin Netanyahu",
            "Russia",
            "Ukraine",
        ];
        assert_eq!(closest("irna", names, 2), ["Iran", "Iraq"]);
        assert_eq!(closest("netanyhu", names, 1), ["Benjamin Netanyahu"]);
        assert_eq!(closest("RUSSIA ", names, 1), ["Russia"]);
        assert_eq!(closest("ukr", names, 1), ["Ukraine"]);
        assert_eq!(closest("x", names, 10).len(), names.len());
    }
}
