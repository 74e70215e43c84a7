//! Properties that must hold for any text, checked with proptest on generated input:
//!
//! - word, sentence and mention offsets lie on character boundaries inside the text, in order,
//!   without overlap;
//! - featurizing and scoring arbitrary Unicode text never panics;
//! - probabilities are finite, in [0, 1], and sum to 1; signed scores lie in [-1, 1];
//! - an article's score does not depend on what else is scored: alone with a fresh `Scratch`
//!   or after others with a reused one, and through the CLI with `--threads 1` or `2`;
//! - the readers give back what was written (JSON Lines with LF or CRLF, a BOM, blank lines;
//!   CSV with LF or CRLF), record for record, in order, at the right line.
//!
//! Failures are not persisted to files (`failure_persistence: None`); proptest prints the
//! minimal failing input.

use proptest::prelude::*;
use proptest::test_runner::Config;
use stance::pipeline::ScoreOptions;
use stance::text::{sentences, words, Span};
use stance::{Article, LabeledArticle, Registry, StanceModel, TrainConfig, TrainingSet};
use std::sync::OnceLock;

const ACTORS: &str = r#"
[[actor]]
name = "Russia"
aliases = ["Russian", "the Kremlin", "Moscow", "Russia’s"]
[[actor]]
name = "United States"
aliases = ["US", "U.S.", "Washington"]
[[actor]]
name = "Türkiye"
aliases = ["Ankara", "Turkish", "Erdoğan"]
[[actor]]
name = "Palestinians"
aliases = ["Palestinian", "Palestinian Authority"]
"#;

fn registry() -> &'static Registry {
    static R: OnceLock<Registry> = OnceLock::new();
    R.get_or_init(|| Registry::from_toml_str(ACTORS).unwrap())
}

fn config(cases: u32) -> Config {
    Config {
        failure_persistence: None,
        ..Config::with_cases(cases)
    }
}

// ---------------------------------------------------------------------------------------------
// Generated text: arbitrary Unicode mixed with the pieces the tokenizer, the sentence splitter
// and the matcher care about.
// ---------------------------------------------------------------------------------------------

fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => any::<char>().prop_map(String::from),
        2 => "\\PC{0,6}",
        2 => prop::sample::select(vec![
            "Russia", "Russian", "Russia's", "Russia’s", "the Kremlin", "The Kremlin", "Moscow",
            "US", "U.S.", "us", "Washington", "Türkiye", "Ankara", "Erdoğan", "Turkish",
            "Palestinian", "Palestinian Authority", "pro-Russian", "USAID", "Moscows",
        ])
        .prop_map(String::from),
        3 => prop::sample::select(vec![
            " ", "  ", ". ", "! ", "? ", ".", "...", "\n", "\n\n", "\r\n", "\r", "\t", "’", "'",
            "\"", "“", "”", "‘", "(", ")", "[", "]", "—", "-", ",", "Dr. ", "J. ", "e.g. ",
            "3.5", "1,400", "é", "e\u{301}", "ß", "İ", "ǅ", "ﬁ", "🇺🇦", "👍🏽", "\u{200d}",
            "\u{feff}", "\u{0}", "\u{85}", "\u{2028}", "\u{a0}", "ʼ", "٣", "漢字", "Ⅻ",
        ])
        .prop_map(String::from),
        3 => prop::sample::select(vec![
            "praised", "condemned", "brave", "brutal", "said", "talks", "peace", "attack",
            "welcome", "reckless", "The", "A", "officials", "Monday",
        ])
        .prop_map(String::from),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(piece(), 0..60).prop_map(|v| v.concat())
}

fn check_spans(text: &str, spans: &[Span], what: &str) -> Result<(), TestCaseError> {
    let mut prev_end = 0usize;
    for (i, s) in spans.iter().enumerate() {
        prop_assert!(s.start < s.end, "{what} {i}: empty or reversed span {s:?}");
        prop_assert!(
            s.end <= text.len(),
            "{what} {i}: {s:?} ends past the text ({})",
            text.len()
        );
        prop_assert!(
            text.is_char_boundary(s.start) && text.is_char_boundary(s.end),
            "{what} {i}: {s:?} is not on character boundaries"
        );
        prop_assert!(
            s.start >= prev_end,
            "{what} {i}: {s:?} overlaps or precedes the previous one (ended at {prev_end})"
        );
        prev_end = s.end;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Offsets
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(5000))]

    #[test]
    fn word_offsets_are_char_boundaries_in_order_without_overlap(t in text()) {
        let spans: Vec<Span> = words(&t).iter().map(|w| w.span).collect();
        check_spans(&t, &spans, "word")?;
        for s in &spans {
            let w = &t[s.start..s.end];
            // A word is a run of letters and digits (apostrophes only inside).
            prop_assert!(w.chars().next().is_some_and(char::is_alphanumeric), "word {w:?} starts with a non-alphanumeric");
            prop_assert!(w.chars().next_back().is_some_and(char::is_alphanumeric), "word {w:?} ends with a non-alphanumeric");
        }
    }

    #[test]
    fn sentence_offsets_are_char_boundaries_in_order_trimmed(t in text()) {
        let spans = sentences(&t);
        check_spans(&t, &spans, "sentence")?;
        for s in &spans {
            let piece = &t[s.start..s.end];
            prop_assert_eq!(piece.trim(), piece, "sentence {:?} is not trimmed", piece);
        }
        // Every word lies inside one sentence (contexts rely on it).
        for w in words(&t) {
            prop_assert!(
                spans.iter().any(|s| s.start <= w.span.start && w.span.end <= s.end),
                "word {:?} at {:?} lies in no sentence of {:?}",
                &t[w.span.start..w.span.end], w.span, spans
            );
        }
    }

    #[test]
    fn mention_offsets_are_char_boundaries_in_order_and_name_an_alias(t in text()) {
        let r = registry();
        let ms = r.mentions(&t);
        let spans: Vec<Span> = ms.iter().map(|m| m.span).collect();
        check_spans(&t, &spans, "mention")?;
        for m in &ms {
            let found = &t[m.span.start..m.span.end];
            let a = &r.actors()[m.actor];
            let names: Vec<String> = std::iter::once(a.name.clone())
                .chain(a.aliases.iter().cloned())
                .flat_map(|n| {
                    let the = n.strip_prefix("the ").map(|rest| format!("The {rest}"));
                    std::iter::once(n).chain(the)
                })
                // The automatic name forms ("Kremlin" of "the Kremlin") are names too.
                .chain(r.automatic_forms().filter(|&(_, actor)| actor == m.actor).map(|(f, _)| f.to_string()))
                .collect();
            prop_assert!(names.iter().any(|n| n == found), "mention {found:?} is no name of {}", a.name);
            let before = t[..m.span.start].chars().next_back();
            let after = t[m.span.end..].chars().next();
            prop_assert!(!before.is_some_and(char::is_alphanumeric), "mention {found:?} glued to {before:?}");
            prop_assert!(!after.is_some_and(char::is_alphanumeric), "mention {found:?} glued to {after:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Models built in process on a tiny training set
// ---------------------------------------------------------------------------------------------

fn training_set() -> TrainingSet {
    #[allow(clippy::type_complexity)] // a literal table: id, text, labels, sentiment
    let rows: [(&str, &str, &[(&str, &str)], &str); 12] = [
        (
            "t01",
            "Moscow was praised for a brave and welcome peace offer.",
            &[("Russia", "favor")],
            "positive",
        ),
        (
            "t02",
            "The Kremlin was condemned for a reckless and brutal attack.",
            &[("Russia", "against")],
            "negative",
        ),
        (
            "t03",
            "Russia met officials and said talks would continue.",
            &[("Russia", "neutral")],
            "neutral",
        ),
        (
            "t04",
            "Ankara was hailed as a generous partner in the deal.",
            &[("Türkiye", "favor")],
            "positive",
        ),
        (
            "t05",
            "Erdoğan was blamed for brutal strikes on civilians.",
            &[("Türkiye", "against")],
            "negative",
        ),
        (
            "t06",
            "Türkiye said the meeting would take place on Monday.",
            &[("Türkiye", "neutral")],
            "neutral",
        ),
        (
            "t07",
            "Washington welcomed as a brave partner for peace and aid.",
            &[("United States", "favor")],
            "positive",
        ),
        (
            "t08",
            "The U.S. blamed for brutal, reckless strikes and threats.",
            &[("United States", "against")],
            "negative",
        ),
        (
            "t09",
            "US officials announced a schedule for the next round of talks.",
            &[("United States", "neutral")],
            "neutral",
        ),
        (
            "t10",
            "Palestinian aid praised as brave, a welcome move.",
            &[("Palestinians", "favor")],
            "positive",
        ),
        (
            "t11",
            "Russian forces condemned by Ankara for a reckless, brutal campaign.",
            &[("Russia", "against"), ("Türkiye", "neutral")],
            "negative",
        ),
        (
            "t12",
            "Moscow and Washington said officials met on Tuesday.",
            &[("Russia", "neutral"), ("United States", "neutral")],
            "neutral",
        ),
    ];
    let articles = rows
        .iter()
        .enumerate()
        .map(|(i, (id, text, labels, sentiment))| LabeledArticle {
            article: Article::new(*id, *text),
            stance: labels
                .iter()
                .map(|(a, l)| (a.to_string(), l.to_string()))
                .collect(),
            sentiment: Some(sentiment.to_string()),
            origin: stance::corpus::Origin::new("fixture.jsonl", i as u64 + 1),
            ..LabeledArticle::default()
        })
        .collect();
    TrainingSet::new(articles, registry()).unwrap()
}

/// Two models: the default settings (word 1-2 grams), and word 1-3 grams with character
/// 2-5 grams of each stem, a window of one sentence and target markers only.
fn models() -> &'static [StanceModel; 2] {
    static M: OnceLock<[StanceModel; 2]> = OnceLock::new();
    M.get_or_init(|| {
        let set = training_set();
        let mut a = TrainConfig::default();
        a.features.min_df = 1;
        let mut b = a.clone();
        b.features.word_ngrams = (1, 3);
        b.features.char_ngrams = Some((2, 5));
        b.context.window = stance::context::Window::Sentences(1);
        b.context.markers = stance::context::Markers::Target;
        [
            StanceModel::train(&set, &a, 7).unwrap(),
            StanceModel::train(&set, &b, 7).unwrap(),
        ]
    })
}

fn all_actors() -> ScoreOptions {
    ScoreOptions {
        actors: registry().actors().iter().map(|a| a.name.clone()).collect(),
        only_listed: false,
        evidence: 3,
        ..ScoreOptions::default()
    }
}

fn check_probabilities(
    p: &std::collections::BTreeMap<String, f64>,
    what: &str,
) -> Result<(), TestCaseError> {
    let sum: f64 = p.values().sum();
    for (l, v) in p {
        prop_assert!(
            v.is_finite() && (0.0..=1.0).contains(v),
            "{what}: P({l}) = {v}"
        );
    }
    prop_assert!(
        (sum - 1.0).abs() < 1e-9,
        "{what}: probabilities sum to {sum}"
    );
    Ok(())
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn scoring_arbitrary_text_never_panics_and_gives_probabilities(t in text(), which in 0usize..2) {
        let model = &models()[which];
        let s = model.score(&Article::new("x", t.clone()), &all_actors());
        // Every actor was asked for, named or not.
        prop_assert_eq!(s.actors.len(), registry().len());
        for a in &s.actors {
            check_probabilities(&a.probabilities, &a.actor)?;
            prop_assert!(a.probabilities.contains_key(&a.label));
            if let Some(x) = a.score {
                prop_assert!(x.is_finite() && (-1.0..=1.0).contains(&x), "{}: score {x}", a.actor);
            }
            for e in &a.evidence {
                // Evidence offsets are character offsets into the text.
                prop_assert!(e.start <= e.end && e.end <= t.chars().count());
                let piece: String = t.chars().skip(e.start).take(e.end - e.start).collect();
                prop_assert_eq!(&piece, &e.text);
                prop_assert!(e.weight.is_finite());
            }
        }
        let sent = s.sentiment.as_ref().expect("the model has a sentiment classifier");
        check_probabilities(&sent.probabilities, "sentiment")?;
        if let Some(x) = sent.score {
            prop_assert!(x.is_finite() && (-1.0..=1.0).contains(&x));
        }
    }

    #[test]
    fn score_alone_equals_score_in_a_batch_with_a_reused_scratch(
        batch in prop::collection::vec(text(), 1..8),
        pick in any::<prop::sample::Index>(),
        which in 0usize..2,
    ) {
        let model = &models()[which];
        let opts = all_actors();
        let target = pick.index(batch.len());
        let alone = model.score(&Article::new("a", batch[target].clone()), &opts);
        // One scorer for the whole batch, as a worker thread keeps it.
        let mut scorer = model.scorer(opts.clone());
        let mut in_batch = None;
        for (i, t) in batch.iter().enumerate() {
            let s = scorer.score(&Article::new("a", t.clone()));
            if i == target {
                in_batch = Some(s);
            }
        }
        // And once more at the end, after its cache has seen everything.
        let again = scorer.score(&Article::new("a", batch[target].clone()));
        prop_assert_eq!(&alone, in_batch.as_ref().unwrap());
        prop_assert_eq!(&alone, &again);
        // Working memory used by the other model first (its cache belongs to another
        // featurizer).
        let mut other = models()[1 - which].scorer(opts.clone());
        let _ = other.score(&Article::new("b", batch[0].clone()));
        let mut reused = model.scorer_with(opts.clone(), other.into_scratch());
        let after_foreign = reused.score(&Article::new("a", batch[target].clone()));
        prop_assert_eq!(&alone, &after_foreign);
    }
}

// ---------------------------------------------------------------------------------------------
// Through the command line: --threads 1 and --threads 2 give the same records
// ---------------------------------------------------------------------------------------------

/// The first model saved to a file, and that file loaded back (the file rounds the weights, so
/// the CLI's scores are compared with the loaded model's).
fn model_file() -> &'static (tempfile::TempDir, std::path::PathBuf, StanceModel) {
    static F: OnceLock<(tempfile::TempDir, std::path::PathBuf, StanceModel)> = OnceLock::new();
    F.get_or_init(|| {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("model.json");
        models()[0].save(&p).unwrap();
        let loaded = StanceModel::load(&p).unwrap();
        (d, p, loaded)
    })
}

proptest! {
    #![proptest_config(config(32))]

    #[test]
    fn cli_scores_are_the_same_with_one_or_two_threads(
        batch in prop::collection::vec(text(), 1..25),
        batch_size in 1usize..6,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.jsonl");
        let mut lines = String::new();
        for (i, t) in batch.iter().enumerate() {
            let rec = serde_json::json!({"id": format!("g{i}"), "source": "gen", "text": t});
            lines.push_str(&rec.to_string());
            lines.push('\n');
        }
        std::fs::write(&input, &lines).unwrap();
        let run = |threads: &str| {
            let out = assert_cmd::Command::cargo_bin("stance")
                .unwrap()
                .env("RUST_BACKTRACE", "0")
                .args(["score", "-q", "--evidence", "2", "--threads", threads, "--batch"])
                .arg(batch_size.to_string())
                .arg("--model")
                .arg(&model_file().1)
                .arg(&input)
                .output()
                .unwrap();
            (out.status.code(), String::from_utf8(out.stdout).unwrap(), String::from_utf8_lossy(&out.stderr).into_owned())
        };
        let one = run("1");
        let two = run("2");
        prop_assert!(!one.2.contains("panicked at"), "{}", one.2);
        prop_assert!(!two.2.contains("panicked at"), "{}", two.2);
        // Whitespace-only texts are error records ("the text is empty"): status 1 then.
        let expect_fail = batch.iter().any(|t| t.trim().is_empty());
        prop_assert_eq!(one.0, Some(if expect_fail { 1 } else { 0 }), "stderr: {}", one.2);
        prop_assert_eq!(one.0, two.0);
        prop_assert_eq!(one.1.lines().count(), batch.len(), "one output record per input record");
        prop_assert_eq!(&one.1, &two.1);
        // And each record equals the in-process score of that article alone.
        let opts = ScoreOptions { evidence: 2, ..ScoreOptions::default() };
        for (i, (line, t)) in one.1.lines().zip(&batch).enumerate() {
            if t.trim().is_empty() {
                let v: serde_json::Value = serde_json::from_str(line).unwrap();
                prop_assert!(v.get("error").is_some(), "record {i}: {line}");
                continue;
            }
            let mut a = Article::new(format!("g{i}"), t.clone());
            a.source = Some("gen".into());
            let s = model_file().2.score(&a, &opts);
            // Compared as the JSON the CLI writes (parsing floats back may round).
            prop_assert_eq!(line, serde_json::to_string(&s).unwrap(), "record {}", i);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Readers: what is written is read back, record for record, in order, at its line
// ---------------------------------------------------------------------------------------------

fn article() -> impl Strategy<Value = (String, Option<String>, Option<String>)> {
    (
        text().prop_filter("a text with something in it", |t| !t.trim().is_empty()),
        proptest::option::of("\\PC{1,12}"),
        proptest::option::of(
            (2000u32..2030, 1u32..13, 1u32..29).prop_map(|(y, m, d)| format!("{y}-{m:02}-{d:02}")),
        ),
    )
}

proptest! {
    #![proptest_config(config(400))]

    #[test]
    fn jsonl_written_is_read_back_in_order_at_its_line(
        arts in prop::collection::vec(article(), 1..12),
        crlf in any::<bool>(),
        bom in any::<bool>(),
        blank_after in prop::collection::vec(any::<bool>(), 12),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.jsonl");
        let end = if crlf { "\r\n" } else { "\n" };
        let mut s = String::new();
        if bom {
            s.push('\u{feff}');
        }
        let mut lines = Vec::new();
        let mut line = 1u64;
        for (i, (t, src, date)) in arts.iter().enumerate() {
            let rec = serde_json::json!({"id": format!("a{i}"), "text": t, "source": src, "date": date});
            s.push_str(&rec.to_string());
            s.push_str(end);
            lines.push(line);
            line += 1;
            if blank_after[i] {
                s.push_str("  ");
                s.push_str(end);
                line += 1;
            }
        }
        std::fs::write(&path, &s).unwrap();
        let recs: Vec<_> = stance::corpus::open(path.to_str().unwrap(), &Default::default()).unwrap().collect();
        prop_assert_eq!(recs.len(), arts.len());
        for (i, (r, (t, src, date))) in recs.into_iter().zip(&arts).enumerate() {
            prop_assert_eq!(r.line, lines[i]);
            let a = r.item.map_err(|e| TestCaseError::fail(e.to_string()))?.article;
            prop_assert_eq!(&a.id, &format!("a{i}"));
            prop_assert_eq!(&a.text, t);
            prop_assert_eq!(&a.source, src);
            prop_assert_eq!(&a.date, date);
        }
    }

    #[test]
    fn csv_written_is_read_back_in_order(
        arts in prop::collection::vec(article(), 1..12),
        crlf in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.csv");
        let mut w = csv::WriterBuilder::new()
            .terminator(if crlf { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') })
            .from_writer(Vec::new());
        w.write_record(["id", "source", "date", "text"]).unwrap();
        for (i, (t, src, date)) in arts.iter().enumerate() {
            w.write_record([
                format!("a{i}"),
                src.clone().unwrap_or_default(),
                date.clone().unwrap_or_default(),
                t.clone(),
            ])
            .unwrap();
        }
        std::fs::write(&path, w.into_inner().unwrap()).unwrap();
        let recs: Vec<_> = stance::corpus::open(path.to_str().unwrap(), &Default::default()).unwrap().collect();
        prop_assert_eq!(recs.len(), arts.len());
        let mut prev_line = 1;
        for (i, (r, (t, src, date))) in recs.into_iter().zip(&arts).enumerate() {
            prop_assert!(r.line > prev_line, "record {} at line {} after line {}", i, r.line, prev_line);
            prev_line = r.line;
            let a = r.item.map_err(|e| TestCaseError::fail(e.to_string()))?.article;
            prop_assert_eq!(&a.id, &format!("a{i}"));
            prop_assert_eq!(&a.text, t);
            // An empty CSV field reads as absent.
            prop_assert_eq!(&a.source, &src.clone().filter(|s| !s.is_empty()));
            prop_assert_eq!(&a.date, date);
        }
    }
}
