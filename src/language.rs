//! Languages: the ISO 639-1 code of each stemmer language (how actors files name their
//! per-language aliases), and a small detector that tells which of a handful of European
//! languages a text is most likely in, so that an article in another language than the
//! model's is noticed instead of silently matching no actor.
//!
//! The detector counts the most common function words of each language among the first
//! [`SAMPLE`] words (written here because the well-kept detection crates carry large n-gram
//! tables for a hundred languages; telling apart the languages our stemmers cover needs none).

/// The stemmer language (as in [`crate::text::LANGUAGES`]) of an ISO 639-1 code, and back.
const CODES: &[(&str, &str)] = &[
    ("english", "en"),
    ("arabic", "ar"),
    ("danish", "da"),
    ("dutch", "nl"),
    ("finnish", "fi"),
    ("french", "fr"),
    ("german", "de"),
    ("greek", "el"),
    ("hungarian", "hu"),
    ("italian", "it"),
    ("norwegian", "no"),
    ("portuguese", "pt"),
    ("romanian", "ro"),
    ("russian", "ru"),
    ("spanish", "es"),
    ("swedish", "sv"),
    ("tamil", "ta"),
    ("turkish", "tr"),
];

/// The ISO 639-1 code of a stemmer language ("german" → "de"); None for "none".
pub fn code_of(language: &str) -> Option<&'static str> {
    CODES.iter().find(|(l, _)| *l == language).map(|(_, c)| *c)
}

/// The stemmer language of an ISO 639-1 code ("de" → "german").
pub fn language_of(code: &str) -> Option<&'static str> {
    CODES.iter().find(|(_, c)| *c == code).map(|(l, _)| *l)
}

/// Words looked at per text.
pub const SAMPLE: usize = 200;

/// The commonest function words of the languages the detector tells apart. A word that is
/// common in two of them (e.g. "de" in French and Spanish) counts for both.
const FUNCTION_WORDS: &[(&str, &[&str])] = &[
    (
        "en",
        &[
            "the", "of", "and", "to", "in", "is", "that", "for", "it", "with", "as", "was", "on",
            "are", "by", "this", "be", "from", "at", "which", "have", "has", "not", "but", "its",
            "were", "said",
        ],
    ),
    (
        "de",
        &[
            "der", "die", "und", "das", "ist", "nicht", "mit", "den", "sich", "des", "auf", "für",
            "dem", "ein", "eine", "auch", "es", "an", "als", "wird", "bei", "nach", "sie", "hat",
            "wie", "einer", "aus",
        ],
    ),
    (
        "fr",
        &[
            "le", "la", "les", "et", "des", "du", "est", "une", "que", "qui", "dans", "pour",
            "pas", "sur", "au", "aux", "avec", "ce", "il", "elle", "sont", "ont", "mais", "par",
            "été", "cette", "plus",
        ],
    ),
    (
        "es",
        &[
            "el", "la", "los", "las", "y", "del", "que", "en", "por", "con", "una", "para", "es",
            "se", "lo", "como", "más", "pero", "sus", "su", "fue", "ha", "han", "este", "esta",
            "al", "sobre",
        ],
    ),
    (
        "it",
        &[
            "il", "di", "che", "e", "della", "per", "un", "una", "non", "con", "del", "gli",
            "alla", "nel", "sono", "le", "da", "ha", "anche", "più", "dei", "questo", "delle",
            "nella", "si", "come", "stato",
        ],
    ),
    (
        "nl",
        &[
            "de", "het", "een", "en", "van", "is", "dat", "niet", "op", "met", "voor", "zijn",
            "ook", "er", "aan", "maar", "om", "bij", "werd", "door", "naar", "heeft", "deze",
            "wordt", "nog", "dan", "hun",
        ],
    ),
    (
        "pt",
        &[
            "o", "os", "as", "e", "do", "da", "dos", "das", "que", "em", "um", "uma", "para",
            "com", "não", "no", "na", "por", "mais", "foi", "ao", "se", "como", "mas", "são",
            "pelo", "pela",
        ],
    ),
];

/// The longest function word, in characters: a longer word is none of them (lower-casing never
/// gives fewer characters than it was given).
const LONGEST: usize = 6;

/// A word of at most 8 bytes as one number (its bytes, zero-padded): no word contains a zero
/// byte, so two words are equal exactly when their numbers are.
#[inline]
fn pack(word: &[u8]) -> Option<u64> {
    let mut a = [0u8; 8];
    a.get_mut(..word.len())?.copy_from_slice(word);
    Some(u64::from_le_bytes(a))
}

/// Every function word (packed) → the languages (bits: indices into [`FUNCTION_WORDS`]) it
/// counts for. Built once: one hash of a number per word instead of a scan of every list.
fn table() -> &'static rustc_hash::FxHashMap<u64, u8> {
    static TABLE: std::sync::OnceLock<rustc_hash::FxHashMap<u64, u8>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = rustc_hash::FxHashMap::default();
        for (i, (_, list)) in FUNCTION_WORDS.iter().enumerate() {
            for w in *list {
                // Every function word has at most 8 bytes (the tests check it).
                if let Some(k) = pack(w.as_bytes()) {
                    *t.entry(k).or_insert(0u8) |= 1 << i;
                }
            }
        }
        t
    })
}

/// The language of `text` (ISO 639-1 code) when its function words make it clear: at least
/// eight of them among the first [`SAMPLE`] words, and one language ahead of the next by a
/// third. None for short or mixed texts and for languages the detector does not know.
pub fn detect(text: &str) -> Option<&'static str> {
    let table = table();
    let mut counts = [0usize; FUNCTION_WORDS.len()];
    let mut word = String::new();
    let mut seen = 0;
    // The words of `text.split(|c: char| !c.is_alphanumeric())` that are not empty, found
    // byte by byte (a character is decoded only where a byte is not ASCII).
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() && seen < SAMPLE {
        let b = bytes[i];
        if b < 128 {
            if ASCII_LOWER[b as usize] == 0 {
                i += 1;
                continue;
            }
        } else {
            let (alnum, len) = alnum_at(text, i);
            if !alnum {
                i += len;
                continue;
            }
        }
        // The word: runs of ASCII letters and digits (a tight loop over a table), joined by
        // any alphanumeric characters beyond ASCII (decoded).
        let start = i;
        let mut is_ascii = true;
        loop {
            while i < bytes.len() && ASCII_LOWER[bytes[i] as usize] != 0 {
                i += 1;
            }
            if i < bytes.len() && bytes[i] >= 128 {
                let (alnum, len) = alnum_at(text, i);
                if alnum {
                    is_ascii = false;
                    i += len;
                    continue;
                }
            }
            break;
        }
        let w = &text[start..i];
        seen += 1;
        let key = if is_ascii && w.len() <= LONGEST {
            // Only the words short enough to be a function word are lower-cased and packed.
            w.bytes().enumerate().fold(0u64, |k, (at, b)| {
                k | u64::from(ASCII_LOWER[b as usize]) << (8 * at)
            })
        } else if is_ascii || w.chars().nth(LONGEST).is_some() {
            continue; // longer than every function word
        } else {
            word.clear();
            word.extend(w.chars().flat_map(char::to_lowercase));
            match pack(word.as_bytes()) {
                Some(k) => k,
                None => continue,
            }
        };
        if let Some(&langs) = table.get(&key) {
            let mut bits = langs;
            while bits != 0 {
                counts[bits.trailing_zeros() as usize] += 1;
                bits &= bits - 1;
            }
        }
    }
    verdict(&counts, seen)
}

/// The language of `counts` (function words of each list among `seen` words): the most
/// frequent list, when at least 20 words were seen, it holds at least 8 of them and a third
/// more than the next.
fn verdict(counts: &[usize; FUNCTION_WORDS.len()], seen: usize) -> Option<&'static str> {
    if seen < 20 {
        return None;
    }
    let mut order: Vec<usize> = (0..counts.len()).collect();
    order.sort_by(|&a, &b| counts[b].cmp(&counts[a]));
    let (best, second) = (counts[order[0]], counts[order[1]]);
    (best >= 8 && best * 3 >= second * 4).then_some(FUNCTION_WORDS[order[0]].0)
}

/// Per byte: an ASCII letter or digit lower-cased, 0 for any other byte (other ASCII bytes
/// and the bytes of multi-byte characters, which are decoded).
static ASCII_LOWER: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = if c.is_ascii_alphanumeric() {
            c.to_ascii_lowercase()
        } else {
            0
        };
        b += 1;
    }
    t
};

/// Whether the character at byte `i` of `text` is alphanumeric, and its length in bytes.
#[inline]
fn alnum_at(text: &str, i: usize) -> (bool, usize) {
    let b = text.as_bytes()[i];
    if b < 128 {
        return (b.is_ascii_alphanumeric(), 1);
    }
    match text.get(i..).and_then(|s| s.chars().next()) {
        Some(c) => (c.is_alphanumeric(), c.len_utf8()),
        None => (false, 1), // not a character boundary: cannot happen, but never loop forever
    }
}

/// The detector as it was first written (a scan of every list per word), kept for the test
/// that the table gives the same answers.
#[cfg(test)]
fn detect_by_scan(text: &str) -> Option<&'static str> {
    let mut counts = [0usize; FUNCTION_WORDS.len()];
    let mut seen = 0;
    for w in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(SAMPLE)
    {
        seen += 1;
        let word: String = w.chars().flat_map(char::to_lowercase).collect();
        for (i, (_, list)) in FUNCTION_WORDS.iter().enumerate() {
            if list.contains(&word.as_str()) {
                counts[i] += 1;
            }
        }
    }
    verdict(&counts, seen)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_both_ways() {
        assert_eq!(code_of("german"), Some("de"));
        assert_eq!(language_of("es"), Some("spanish"));
        assert_eq!(code_of("none"), None);
        for (l, c) in CODES {
            assert!(crate::text::LANGUAGES.contains(l), "{l}");
            assert_eq!(language_of(c), Some(*l));
        }
    }

    #[test]
    fn detects_the_languages_of_hand_written_sentences() {
        let en = "The government said on Tuesday that the talks with the rebels were not over, and that a new round would be held in the capital at the end of the month, as both sides had agreed.";
        let de = "Die Regierung teilte am Dienstag mit, dass die Gespräche mit den Rebellen nicht beendet seien und dass eine neue Runde am Ende des Monats in der Hauptstadt stattfinden werde, wie es beide Seiten vereinbart hätten.";
        let fr = "Le gouvernement a déclaré mardi que les discussions avec les rebelles ne sont pas terminées et qu'une nouvelle série aura lieu dans la capitale à la fin du mois, comme les deux camps en ont convenu.";
        let es = "El gobierno dijo el martes que las conversaciones con los rebeldes no han terminado y que una nueva ronda se celebrará en la capital a finales del mes, como acordaron las dos partes por escrito.";
        assert_eq!(detect(en), Some("en"));
        assert_eq!(detect(de), Some("de"));
        assert_eq!(detect(fr), Some("fr"));
        assert_eq!(detect(es), Some("es"));
        // Too short to tell.
        assert_eq!(detect("Russland und die Ukraine."), None);
    }

    #[test]
    fn the_table_answers_as_the_scan_did() {
        assert!(FUNCTION_WORDS.len() <= 8, "the table's bit masks are u8");
        for (_, list) in FUNCTION_WORDS {
            for w in *list {
                assert!(w.chars().count() <= LONGEST, "{w}");
                assert!(w.len() <= 8 && !w.contains('\0'), "{w}");
            }
        }
        let mut texts: Vec<String> = Vec::new();
        for file in ["data/articles.jsonl", "data/multilingual/articles.jsonl"] {
            for l in std::fs::read_to_string(file).unwrap().lines() {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                if let Some(t) = v["text"].as_str() {
                    texts.push(t.to_string());
                }
            }
        }
        assert!(texts.len() > 200);
        texts.push("DER DIE UND DAS İST NİCHT MIT DEN SICH DES AUF FÜR DEM EIN EINE AUCH ES AN ALS WIRD BEI NACH SIE HAT WIE".into());
        texts.push("ÉTÉ Été été LA LE LES ET DES DU EST UNE QUE QUI DANS POUR PAS SUR AU AUX AVEC CE IL ELLE SONT".into());
        texts
            .push("l'été où la ville, qu'il a dit: « Straße » 1,400 et 3.5% — Ⅻ ²³ ǅ ﬁ".repeat(30));
        texts.push("K\u{212A}ELVIN the of and to in is that for it with as was on are".repeat(3));
        for t in &texts {
            assert_eq!(detect(t), detect_by_scan(t), "{}", &t[..t.len().min(80)]);
        }
    }
}
