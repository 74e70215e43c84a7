//! Bytes as UTF-8 text → words, sentences and the mentions of a fixed registry; offsets must
//! lie on character boundaries, in order, without overlap.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stance::text::Span;
use stance::Registry;
use std::sync::OnceLock;

fn registry() -> &'static Registry {
    static R: OnceLock<Registry> = OnceLock::new();
    R.get_or_init(|| {
        Registry::from_toml_str(
            "[[actor]]\nname = \"Russia\"\naliases = [\"Russian\", \"the Kremlin\", \"Moscow\", \"Russia’s\"]\n\
             [[actor]]\nname = \"United States\"\naliases = [\"US\", \"U.S.\", \"Washington\"]\n\
             [[actor]]\nname = \"Türkiye\"\naliases = [\"Ankara\", \"Turkish\", \"Erdoğan\"]\n\
             [[actor]]\nname = \"Palestinians\"\naliases = [\"Palestinian\", \"Palestinian Authority\"]\n",
        )
        .expect("a valid registry")
    })
}

fn check(text: &str, spans: impl Iterator<Item = Span>, what: &str) {
    let mut prev = 0;
    for s in spans {
        assert!(
            s.start < s.end && s.end <= text.len(),
            "{what} {s:?} out of the text"
        );
        assert!(
            text.is_char_boundary(s.start) && text.is_char_boundary(s.end),
            "{what} {s:?} not on character boundaries"
        );
        assert!(s.start >= prev, "{what} {s:?} overlaps the previous one");
        prev = s.end;
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    check(
        text,
        stance::text::words(text).iter().map(|w| w.span),
        "word",
    );
    check(text, stance::text::sentences(text).into_iter(), "sentence");
    check(
        text,
        registry().mentions(text).iter().map(|m| m.span),
        "mention",
    );
});
