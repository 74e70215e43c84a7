//! Bad input, table-driven: every case is the behaviour a demanding user should get from
//! `stance train`, `eval`, `score` and `compare` when the data, the actors file (`--actors`) or
//! the model file (`--model`) is wrong.
//!
//! Each case names the verb and its arguments, the files to create in a fresh temporary
//! directory (the command runs there, so messages name the files as given), the expected exit
//! status (0 ok, 1 runtime error or failed records, 2 usage) and substrings that standard error
//! or standard output must (or must not) hold: the file, the line, the field, and what was
//! expected. No case may end in a Rust panic.
//!
//! `BAD_INPUT_CASE=name cargo test --test bad_input` runs only the cases whose name contains
//! `name`. At the end of this file: regression tests for the crashes the fuzzers found.

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

/// Twelve short labeled articles about two actors, three stance labels, three sentiments.
const TRAIN: &str = r#"{"id": "t01", "source": "Alpha", "date": "2024-01-03", "text": "Iran was praised for a brave and welcome peace offer.", "stance": {"Iran": "favor"}, "sentiment": "positive"}
{"id": "t02", "source": "Alpha", "date": "2024-01-04", "text": "Tehran was condemned for a reckless and brutal attack.", "stance": {"Iran": "against"}, "sentiment": "negative"}
{"id": "t03", "source": "Beta", "date": "2024-01-05", "text": "Iran met officials and said talks would continue.", "stance": {"Iran": "neutral"}, "sentiment": "neutral"}
{"id": "t04", "source": "Beta", "date": "2024-02-01", "text": "Russia was hailed as a generous partner in the deal.", "stance": {"Russia": "favor"}, "sentiment": "positive"}
{"id": "t05", "source": "Alpha", "date": "2024-02-02", "text": "Moscow was blamed for brutal strikes on civilians.", "stance": {"Russia": "against"}, "sentiment": "negative"}
{"id": "t06", "source": "Beta", "date": "2024-02-03", "text": "Russia said the meeting would take place on Monday.", "stance": {"Russia": "neutral"}, "sentiment": "neutral"}
{"id": "t07", "source": "Alpha", "date": "2024-03-01", "text": "Iran welcomed as a brave partner for peace and aid.", "stance": {"Iran": "favor"}, "sentiment": "positive"}
{"id": "t08", "source": "Beta", "date": "2024-03-02", "text": "Tehran blamed for brutal, reckless strikes and threats.", "stance": {"Iran": "against"}, "sentiment": "negative"}
{"id": "t09", "source": "Alpha", "date": "2024-03-03", "text": "Iran announced a schedule for the next round of talks.", "stance": {"Iran": "neutral"}, "sentiment": "neutral"}
{"id": "t10", "source": "Beta", "date": "2024-04-01", "text": "Russia praised for brave aid to flood victims, a welcome move.", "stance": {"Russia": "favor"}, "sentiment": "positive"}
{"id": "t11", "source": "Alpha", "date": "2024-04-02", "text": "The Kremlin condemned for a reckless, brutal campaign.", "stance": {"Russia": "against"}, "sentiment": "negative"}
{"id": "t12", "source": "Beta", "date": "2024-04-03", "text": "Russia and Iran said officials met on Tuesday.", "stance": {"Russia": "neutral", "Iran": "neutral"}, "sentiment": "neutral"}
"#;

const ACTORS: &str = r#"[[actor]]
name = "Iran"
aliases = ["Tehran", "Iranian"]

[[actor]]
name = "Russia"
aliases = ["Moscow", "the Kremlin", "Russian"]
"#;

/// Arguments that keep training on the tiny fixture fast and possible.
const FAST: [&str; 3] = ["--no-cv", "--min-df", "1"];

fn stance() -> Command {
    let mut c = Command::cargo_bin("stance").unwrap();
    c.env("RUST_BACKTRACE", "0")
        .timeout(Duration::from_secs(120));
    c
}

/// The training fixture with `line` appended (as line 13).
fn train_plus(line: &str) -> Vec<u8> {
    format!("{TRAIN}{line}\n").into_bytes()
}

/// A model trained once on the fixture (`--no-cv --min-df 1`), its bytes, and the scores of the
/// fixture's articles (JSON Lines from `stance score`).
struct Trained {
    _dir: tempfile::TempDir,
    model: PathBuf,
    bytes: Vec<u8>,
    scores: String,
}

fn trained() -> &'static Trained {
    static T: OnceLock<Trained> = OnceLock::new();
    T.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("train.jsonl"), TRAIN).unwrap();
        std::fs::write(dir.path().join("actors.toml"), ACTORS).unwrap();
        stance()
            .current_dir(dir.path())
            .args([
                "train",
                "--data",
                "train.jsonl",
                "--actors",
                "actors.toml",
                "-q",
            ])
            .args(FAST)
            .args(["--out", "model.json"])
            .assert()
            .success();
        let model = dir.path().join("model.json");
        let out = stance()
            .current_dir(dir.path())
            .args(["score", "train.jsonl", "--evidence", "0", "-q", "--model"])
            .arg(&model)
            .assert()
            .success();
        let scores = String::from_utf8(out.get_output().stdout.clone()).unwrap();
        assert_eq!(scores.lines().count(), 12);
        Trained {
            bytes: std::fs::read(&model).unwrap(),
            model,
            scores,
            _dir: dir,
        }
    })
}

fn model_json() -> serde_json::Value {
    serde_json::from_slice(&trained().bytes).unwrap()
}

fn to_bytes(v: &serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap()
}

/// The model file with one digit of the first stance weight changed: still valid JSON, still
/// the right shapes, but not the bytes that were saved.
fn model_with_flipped_weight_digit() -> Vec<u8> {
    let mut b = trained().bytes.clone();
    let key = b"\"weights\":[";
    let at = b
        .windows(key.len())
        .position(|w| w == key)
        .expect("the model file holds weights")
        + key.len();
    let digit = (at..b.len())
        .find(|&i| (b'1'..=b'8').contains(&b[i]))
        .unwrap();
    b[digit] += 1;
    b
}

/// The model file with its first `"` after the header turned into `#`: no longer JSON.
fn model_with_flipped_structural_byte() -> Vec<u8> {
    let mut b = trained().bytes.clone();
    let mid = b.len() / 2;
    let q = (mid..b.len()).find(|&i| b[i] == b'"').unwrap();
    b[q] = b'#';
    b
}

// ---------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------

struct Case {
    name: &'static str,
    /// Arguments after `stance`; `{model}` is replaced by the path of the trained fixture model.
    args: Vec<String>,
    files: Vec<(String, Vec<u8>)>,
    stdin: Option<Vec<u8>>,
    code: i32,
    stderr: Vec<String>,
    stdout: Vec<String>,
    not_stderr: Vec<String>,
    not_stdout: Vec<String>,
    /// The exact number of lines on standard output (one per input record for `score`).
    stdout_lines: Option<usize>,
    /// Substrings standard error must hold exactly once (a file named once, not twice).
    stderr_once: Vec<String>,
    /// Files of the case that must hold the same bytes after the run (inputs never written).
    unchanged: Vec<String>,
    /// Run in the case's directory before the command (symbolic links, FIFOs, hard links).
    setup: Option<fn(&Path)>,
    /// Run in the case's directory after the command: what is wrong with what it left.
    after: Option<fn(&Path) -> Vec<String>>,
    /// A shorter time limit than the default, for cases that used to run without end.
    timeout: Option<Duration>,
}

fn case(name: &'static str, args: &[&str]) -> Case {
    Case {
        name,
        args: args.iter().map(|s| s.to_string()).collect(),
        files: Vec::new(),
        stdin: None,
        code: 0,
        stderr: Vec::new(),
        stdout: Vec::new(),
        not_stderr: Vec::new(),
        not_stdout: Vec::new(),
        stdout_lines: None,
        stderr_once: Vec::new(),
        unchanged: Vec::new(),
        setup: None,
        after: None,
        timeout: None,
    }
}

impl Case {
    fn file(mut self, name: &str, bytes: impl AsRef<[u8]>) -> Case {
        self.files.push((name.to_string(), bytes.as_ref().to_vec()));
        self
    }
    fn stdin(mut self, bytes: impl AsRef<[u8]>) -> Case {
        self.stdin = Some(bytes.as_ref().to_vec());
        self
    }
    fn code(mut self, code: i32) -> Case {
        self.code = code;
        self
    }
    fn err(mut self, s: impl Into<String>) -> Case {
        self.stderr.push(s.into());
        self
    }
    fn out(mut self, s: impl Into<String>) -> Case {
        self.stdout.push(s.into());
        self
    }
    fn not_err(mut self, s: impl Into<String>) -> Case {
        self.not_stderr.push(s.into());
        self
    }
    fn not_out(mut self, s: impl Into<String>) -> Case {
        self.not_stdout.push(s.into());
        self
    }
    fn lines(mut self, n: usize) -> Case {
        self.stdout_lines = Some(n);
        self
    }
    fn err_once(mut self, s: impl Into<String>) -> Case {
        self.stderr_once.push(s.into());
        self
    }
    /// The file `name` of the case must be left as it was written.
    fn unchanged(mut self, name: &str) -> Case {
        self.unchanged.push(name.to_string());
        self
    }
    fn setup(mut self, f: fn(&Path)) -> Case {
        self.setup = Some(f);
        self
    }
    fn after(mut self, f: fn(&Path) -> Vec<String>) -> Case {
        self.after = Some(f);
        self
    }
    fn timeout(mut self, secs: u64) -> Case {
        self.timeout = Some(Duration::from_secs(secs));
        self
    }
    /// The fixture's training data as `train.jsonl` and actors as `actors.toml`.
    fn fixture(self) -> Case {
        self.file("train.jsonl", TRAIN).file("actors.toml", ACTORS)
    }
}

fn train(data: &str) -> Vec<&str> {
    let mut a = vec!["train", "--data", data, "--out", "out.json"];
    a.extend(FAST);
    a
}

fn cases() -> Vec<Case> {
    let t = trained();
    let m = model_json();
    let n_features = m["stance"]["n_features"].as_u64().unwrap();
    let n_weights = m["stance"]["weights"].as_array().unwrap().len();
    let score_one =
        |file: &'static str| vec!["score", "--model", "{model}", "--evidence", "0", file];
    // Scores with the model file the case writes as `model.json`.
    let score_m = vec![
        "score",
        "--model",
        "model.json",
        "--evidence",
        "0",
        "in.jsonl",
    ];
    let compare = |file: &'static str| vec!["compare", file, "--no-model", "--bootstrap", "50"];
    let scores_head: String = t.scores.lines().take(3).map(|l| format!("{l}\n")).collect();
    let mixed = "{\"id\":\"s1\",\"text\":\"Iran was praised.\"}\nnot json\n{\"id\":\"s3\"}\n{\"id\":\"s4\",\"text\":\"Russia was blamed.\"}\n{\"id\":\"s5\",\"text\":5}\n";

    vec![
        // ---- train: the data file --------------------------------------------------------
        case("train: the fixture trains (sanity)", &{
            let mut a = train("train.jsonl");
            a.extend(["--actors", "actors.toml"]);
            a
        })
        .fixture()
        .out("trained on 12 articles")
        .not_err("warning"),
        case("train: malformed JSON names file, line and what is wrong", &train("bad.jsonl"))
            .file("bad.jsonl", train_plus(r#"{"id": "bad", "text": "#))
            .code(1)
            .err("bad.jsonl:13")
            .err("malformed JSON")
            .err("nothing was trained"),
        case("train: a truncated last line is a bad record at its line", &train("cut.jsonl"))
            .file("cut.jsonl", &TRAIN.as_bytes()[..TRAIN.len() - 30])
            .code(1)
            .err("cut.jsonl:12")
            .err("EOF while parsing"),
        case("train: a UTF-8 BOM is ignored", &train("bom.jsonl"))
            .file("bom.jsonl", [&b"\xEF\xBB\xBF"[..], TRAIN.as_bytes()].concat())
            .out("trained on 12 articles"),
        case("train: CRLF line ends are read", &train("crlf.jsonl"))
            .file("crlf.jsonl", TRAIN.replace('\n', "\r\n"))
            .out("trained on 12 articles"),
        case("train: bare-CR line ends are read as line ends", &train("cr.jsonl"))
            .file("cr.jsonl", TRAIN.replace('\n', "\r"))
            .out("trained on 12 articles"),
        case("train: a Latin-1 byte is invalid UTF-8 at its line", &train("latin1.jsonl"))
            .file(
                "latin1.jsonl",
                [
                    TRAIN.as_bytes(),
                    b"{\"id\": \"l1\", \"text\": \"Caf\xe9 talk in Tehran.\", \"stance\": {\"Iran\": \"neutral\"}}\n",
                ]
                .concat(),
            )
            .code(1)
            .err("latin1.jsonl:13")
            .err("invalid UTF-8")
            .err("must be UTF-8"),
        case("train: a record without text names the field", &train("notext.jsonl"))
            .file("notext.jsonl", train_plus(r#"{"id": "n1", "body": "Iran.", "stance": {"Iran": "favor"}}"#))
            .code(1)
            .err("notext.jsonl:13")
            .err("field \"text\"")
            .err("missing"),
        case("train: a non-string text says what was expected", &train("numtext.jsonl"))
            .file("numtext.jsonl", train_plus(r#"{"id": "n1", "text": 42, "stance": {"Iran": "favor"}}"#))
            .code(1)
            .err("numtext.jsonl:13")
            .err("field \"text\"")
            .err("expected a string, found a number"),
        case("train: a non-string label names actor and field", &train("numlabel.jsonl"))
            .file("numlabel.jsonl", train_plus(r#"{"id": "n1", "text": "Iran spoke.", "stance": {"Iran": 3}}"#))
            .code(1)
            .err("numlabel.jsonl:13")
            .err("field \"stance.Iran\"")
            .err("expected a label string"),
        case("train: near-duplicate labels point at the record that brings the odd spelling", &train("neardup.jsonl"))
            .file("neardup.jsonl", train_plus(r#"{"id": "n1", "text": "Iran was praised.", "stance": {"Iran": "Favor"}}"#))
            .code(1)
            .err("neardup.jsonl:13")
            .err("\"Favor\" and \"favor\""),
        case("train: labels that differ by a space are near-duplicates too", &train("space.jsonl"))
            .file("space.jsonl", train_plus(r#"{"id": "n1", "text": "Iran was praised.", "stance": {"Iran": "favor "}}"#))
            .code(1)
            .err("space.jsonl:13")
            .err("\"favor \""),
        case("train: an empty file is named as empty", &train("empty.jsonl"))
            .file("empty.jsonl", "")
            .code(1)
            .err("empty.jsonl")
            .err("no labeled articles"),
        case("train: a file of blank lines is named as holding no records", &train("blank.jsonl"))
            .file("blank.jsonl", "\n  \n\n")
            .code(1)
            .err("blank.jsonl")
            .err("no labeled articles"),
        case("train: a label for an actor the text never names trains, with a warning", &{
            let mut a = train("unnamed.jsonl");
            a.extend(["--actors", "actors.toml"]);
            a
        })
        .file("actors.toml", ACTORS)
        .file("unnamed.jsonl", train_plus(r#"{"id": "u1", "text": "Markets rose on Friday after a calm week.", "stance": {"Iran": "neutral"}}"#))
        .out("trained on 13 articles")
        .err("warning")
        .err("unnamed.jsonl:13")
        .err("\"u1\"")
        .err("\"Iran\"")
        .err("never names"),
        case("train: a label set with one class says which and that two are needed", &train("one.jsonl"))
            .file("one.jsonl", TRAIN.replace("\"against\"", "\"favor\"").replace("\"neutral\"", "\"favor\""))
            .code(1)
            .err("\"favor\"")
            .err("at least two labels"),
        case("train: an id reused for a different text names both places", &train("dupid.jsonl"))
            .file("dupid.jsonl", train_plus(r#"{"id": "t01", "text": "Something else entirely.", "stance": {"Iran": "favor"}}"#))
            .code(1)
            .err("dupid.jsonl:13")
            .err("field \"id\"")
            .err("already used at dupid.jsonl:1"),
        case("train: folds > articles says how many of each", &{
            let mut a = vec!["train", "--data", "train.jsonl", "--out", "out.json", "--min-df", "1"];
            a.extend(["--folds", "20"]);
            a
        })
        .fixture()
        .code(1)
        .err("only 12 groups")
        .err("20 folds"),
        case("eval: folds > articles says how many of each", &["eval", "--data", "train.jsonl", "--min-df", "1", "--folds", "20"])
            .fixture()
            .code(1)
            .err("only 12 groups")
            .err("20 folds"),
        case("eval: --folds 1 is a usage error naming the flag", &["eval", "--data", "train.jsonl", "--min-df", "1", "--folds", "1"])
            .fixture()
            .code(2)
            .err("--folds"),
        case("eval: a label too rare to reach every fold is warned about", &["eval", "--data", "rare.jsonl", "--min-df", "1", "--folds", "3"])
            .file("rare.jsonl", train_plus(r#"{"id": "r1", "text": "Iran was lauded.", "stance": {"Iran": "support"}}"#))
            .out("3-fold cross-validation")
            .err("warning")
            .err("\"support\""),
        case("train: a --positive-label that is no label lists the labels", &{
            let mut a = train("train.jsonl");
            a.extend(["--positive-label", "pro"]);
            a
        })
        .fixture()
        .code(1)
        .err("\"pro\"")
        .err("against, favor, neutral"),
        // ---- train: CSV ------------------------------------------------------------------
        case("train: a CSV row with the wrong number of fields names its line", &train("wrong.csv"))
            .file("wrong.csv", "id,text,actor,stance\nc1,\"Iran was praised.\",Iran,favor\nc2,\"Tehran was blamed.\",Iran,against,extra\nc3,\"Iran met.\",Iran,neutral\n")
            .code(1)
            .err("wrong.csv:3")
            .err("5 fields")
            .err("header has 4"),
        case("train: a CSV without the text column lists the columns and the flag", &train("nocol.csv"))
            .file("nocol.csv", "id,body,actor,stance\nc1,\"Iran was praised.\",Iran,favor\n")
            .code(1)
            .err("nocol.csv:1")
            .err("no \"text\" column")
            .err("id, body, actor, stance")
            .err("--text-col"),
        case("score: a CSV quote left open at the end is an error at its line", &score_one("open.csv"))
            .file("open.csv", "id,text\nc1,\"Iran was praised.\"\nc2,\"Tehran was blamed\n")
            .code(1)
            .out("open.csv:3")
            .out("quote"),
        case("score: Latin-1 in a CSV names file, line and column", &score_one("latin1.csv"))
            .file("latin1.csv", &b"id,text\nc1,\"Caf\xe9 in Tehran\"\n"[..])
            .code(1)
            .lines(1)
            .out("latin1.csv:2")
            .out("field \\\"text\\\"")
            .out("UTF-8"),
        case(
            "score: a CSV with CRLF line ends names the right line",
            &score_one("crlf.csv"),
        )
        .file("crlf.csv", "id,text\r\nc1,Iran was praised.\r\nc2,\r\nc3,Tehran was blamed.\r\n")
        .code(1)
        .lines(3)
        .out("crlf.csv:3: field \\\"text\\\": the text is empty"),
        // ---- the actors file -------------------------------------------------------------
        case("actors: a duplicate alias names the file, both actors and the line", &{
            let mut a = train("train.jsonl");
            a.extend(["--actors", "dup.toml"]);
            a
        })
        .fixture()
        .file("dup.toml", "[[actor]]\nname = \"Iran\"\naliases = [\"Tehran\"]\n[[actor]]\nname = \"Persia\"\naliases = [\"Tehran\"]\n")
        .code(1)
        .err("dup.toml")
        .err("\"Tehran\"")
        .err("\"Iran\"")
        .err("\"Persia\"")
        .err("line 6")
        .err("field \"aliases\""),
        case("score --actors: a bad actors file names the file, the line and the field", &["score", "--model", "{model}", "--evidence", "0", "--actors", "bad.toml", "x.jsonl"])
            .file("x.jsonl", "{\"id\":\"x1\",\"text\":\"Iran was praised.\"}\n")
            .file("bad.toml", "[[actor]]\nname = \"Lebanon\"\n\n[[actor]]\nname = \"Lebanon\"\n")
            .code(1)
            .err("bad.toml")
            .err("line 5")
            .err("field \"name\"")
            .err("defined twice"),
        case("eval --model --actors: an alias of another model actor is refused, naming the file", &["eval", "--model", "{model}", "--data", "e.jsonl", "--actors", "clash.toml"])
            .file("e.jsonl", "{\"id\":\"e1\",\"text\":\"Iran was praised.\",\"stance\":{\"Iran\":\"favor\"}}\n")
            .file("clash.toml", "[[actor]]\nname = \"Persia\"\naliases = [\"Iran\"]\n")
            .code(1)
            .err("clash.toml")
            .err("\"Iran\"")
            .err("\"Persia\""),
        case("actors: a TOML syntax error names file and line", &{
            let mut a = train("train.jsonl");
            a.extend(["--actors", "syntax.toml"]);
            a
        })
        .fixture()
        .file("syntax.toml", "[[actor]]\nname = \"Iran\"\naliases = [\"Tehran\"]\n[[actor]]\nname = \"Russia\naliases = [\"Moscow\"]\n")
        .code(1)
        .err("syntax.toml")
        .err("line 5"),
        case("actors: a misspelt key (alias for aliases) is an error, not ignored", &{
            let mut a = train("train.jsonl");
            a.extend(["--actors", "typo.toml"]);
            a
        })
        .fixture()
        .file("typo.toml", "[[actor]]\nname = \"Iran\"\nalias = [\"Tehran\"]\n")
        .code(1)
        .err("typo.toml")
        .err("line 3")
        .err("alias"),
        case("actors: an empty alias is named", &{
            let mut a = train("train.jsonl");
            a.extend(["--actors", "empty_alias.toml"]);
            a
        })
        .fixture()
        .file("empty_alias.toml", "[[actor]]\nname = \"Iran\"\naliases = [\"\"]\n")
        .code(1)
        .err("empty_alias.toml")
        .err("empty alias"),
        case("actors: a missing file is named once, without the OS message twice", &{
            let mut a = train("train.jsonl");
            a.extend(["--actors", "nope.toml"]);
            a
        })
        .fixture()
        .code(1)
        .err("nope.toml")
        .not_err("(os error 2): No such file or directory (os error 2)"),
        // ---- eval --model: labels the model does not know --------------------------------
        case("eval --model: a label the model does not know is an error", &["eval", "--model", "{model}", "--data", "unk.jsonl"])
            .file("unk.jsonl", "{\"id\":\"e1\",\"text\":\"Iran was praised.\",\"stance\":{\"Iran\":\"favor\"}}\n{\"id\":\"e2\",\"text\":\"Tehran was blamed.\",\"stance\":{\"Iran\":\"support\"}}\n")
            .code(1)
            .err("unk.jsonl:2")
            .err("\"support\"")
            .err("against, favor, neutral"),
        case("eval --model: a near-duplicate of a model label is an error", &["eval", "--model", "{model}", "--data", "case.jsonl"])
            .file("case.jsonl", "{\"id\":\"e1\",\"text\":\"Iran was praised.\",\"stance\":{\"Iran\":\"favor\"}}\n{\"id\":\"e2\",\"text\":\"Tehran was blamed.\",\"stance\":{\"Iran\":\"Against\"}}\n")
            .code(1)
            .err("case.jsonl:2")
            .err("\"Against\"")
            .err("\"against\""),
        case("eval --model: a sentiment label the model does not know is an error", &["eval", "--model", "{model}", "--data", "sent.jsonl"])
            .file("sent.jsonl", "{\"id\":\"e1\",\"text\":\"Iran was praised.\",\"stance\":{\"Iran\":\"favor\"},\"sentiment\":\"upbeat\"}\n")
            .code(1)
            .err("sent.jsonl:1")
            .err("\"upbeat\"")
            .err("negative, neutral, positive"),
        // ---- score -------------------------------------------------------------------------
        case("score: every bad record is an error record in its place", &score_one("mixed.jsonl"))
            .file("mixed.jsonl", mixed)
            .code(1)
            .lines(5)
            .out("mixed.jsonl:2")
            .out("malformed JSON")
            .out("mixed.jsonl:3: field \\\"text\\\": missing")
            .out("mixed.jsonl:5: field \\\"text\\\": expected a string"),
        case("score: --max-errors stops after that many bad records", &{
            let mut a = score_one("mixed.jsonl");
            a.extend(["--max-errors", "2"]);
            a
        })
        .file("mixed.jsonl", mixed)
        .code(1)
        .lines(3)
        .err("--max-errors"),
        case("score: an article over --max-bytes is an error record, the rest are scored", &{
            let mut a = score_one("big.jsonl");
            a.extend(["--max-bytes", "500"]);
            a
        })
        .file(
            "big.jsonl",
            format!(
                "{{\"id\":\"b1\",\"text\":\"Iran was praised.\"}}\n{{\"id\":\"b2\",\"text\":\"{}\"}}\n{{\"id\":\"b3\",\"text\":\"Russia was blamed.\"}}\n",
                "Iran was praised. ".repeat(100)
            ),
        )
        .code(1)
        .lines(3)
        .out("big.jsonl:2")
        .out("--max-bytes (500)")
        .out("\"id\":\"b3\""),
        case("score: an article over --max-bytes in a text file", &{
            let mut a = score_one("long.txt");
            a.extend(["--max-bytes", "100"]);
            a
        })
        .file("long.txt", "Iran was praised. ".repeat(20))
        .code(1)
        .lines(1)
        .out("long.txt")
        .out("--max-bytes"),
        case("score: an invalid date names the field and the expected form", &score_one("date.jsonl"))
            .file("date.jsonl", "{\"id\":\"d1\",\"text\":\"Iran was praised.\",\"date\":\"2024-13-45\"}\n{\"id\":\"d2\",\"text\":\"Iran was praised.\",\"date\":\"yesterday\"}\n")
            .code(1)
            .lines(2)
            .out("date.jsonl:1: field \\\"date\\\"")
            .out("date.jsonl:2: field \\\"date\\\"")
            .out("YYYY-MM-DD"),
        case("score: an impossible calendar date (Feb 30) is invalid", &score_one("feb30.jsonl"))
            .file("feb30.jsonl", "{\"id\":\"d1\",\"text\":\"Iran was praised.\",\"date\":\"2024-02-30\"}\n")
            .code(1)
            .lines(1)
            .out("feb30.jsonl:1: field \\\"date\\\""),
        case("score: a date with junk after the day is invalid", &score_one("junk.jsonl"))
            .file("junk.jsonl", "{\"id\":\"d1\",\"text\":\"Iran was praised.\",\"date\":\"2024-01-01xyz\"}\n")
            .code(1)
            .lines(1)
            .out("junk.jsonl:1: field \\\"date\\\""),
        case("score: a date with a multi-byte character at byte 10 is invalid (not a panic)", &score_one("mb.jsonl"))
            .file("mb.jsonl", "{\"id\":\"d1\",\"text\":\"Iran was praised.\",\"date\":\"2024-10-0é\"}\n")
            .code(1)
            .lines(1)
            .out("mb.jsonl:1: field \\\"date\\\""),
        case("score: a text file opening with a near-date is scored as body (not a panic)", &score_one("d.txt"))
            .file("d.txt", "date 2024-01-0é Iran was praised.\n")
            .lines(1)
            .out("\"id\":\"d\""),
        case("score: malformed JSON on standard input names <stdin> and the line", &["score", "--model", "{model}", "--evidence", "0", "-"])
            .stdin("{\"text\":\"Iran was praised.\"}\n{\"text\": oops}\n")
            .code(1)
            .lines(2)
            .out("<stdin>:2")
            .out("malformed JSON"),
        case("score: an empty file scores nothing and succeeds", &score_one("empty.jsonl"))
            .file("empty.jsonl", "")
            .lines(0)
            .err("0 articles scored"),
        case("score: an unknown output format is a usage error", &["score", "--model", "{model}", "--format", "xml", "x.jsonl"])
            .code(2)
            .err("xml"),
        // ---- the model file ---------------------------------------------------------------
        case("model: a truncated file is named as such", &score_m)
            .file("in.jsonl", "{\"text\":\"Iran was praised.\"}\n")
            .file("model.json", &t.bytes[..t.bytes.len() / 3])
            .code(1)
            .err("model file")
            .err("truncated"),
        case("model: a flipped byte that breaks the JSON is named", &score_m)
            .file("in.jsonl", "{\"text\":\"Iran was praised.\"}\n")
            .file("model.json", model_with_flipped_structural_byte())
            .code(1)
            .err("model file")
            .err("model.json")
            .err("not a readable model file"),
        case("model: a flipped digit in the weights is detected (checksum)", &score_m)
            .file("in.jsonl", "{\"text\":\"Iran was praised.\"}\n")
            .file("model.json", model_with_flipped_weight_digit())
            .code(1)
            .err("model file")
            .err("model.json")
            .lines(0),
        case("model: a wrong format name", &score_m)
            .file("in.jsonl", "{\"text\":\"Iran was praised.\"}\n")
            .file("model.json", {
                let mut v = model_json();
                v["format"] = "sklearn-pipeline".into();
                to_bytes(&v)
            })
            .code(1)
            .err("model.json")
            .err("\"sklearn-pipeline\"")
            .err("expected \"stance-model\""),
        case("model: a newer format version asks for an upgrade", &score_m)
            .file("in.jsonl", "{\"text\":\"Iran was praised.\"}\n")
            .file("model.json", {
                let mut v = model_json();
                v["version"] = 2.into();
                to_bytes(&v)
            })
            .code(1)
            .err("model.json")
            .err("version 2 is newer")
            .err("upgrade"),
        case("model: weights of the wrong length", &score_m)
            .file("in.jsonl", "{\"text\":\"Iran was praised.\"}\n")
            .file("model.json", {
                let mut v = model_json();
                v["stance"]["weights"].as_array_mut().unwrap().truncate(n_weights - 3);
                to_bytes(&v)
            })
            .code(1)
            .err("model.json")
            .err(format!("{} weights", n_weights - 3))
            .err(format!("need {n_weights}")),
        case("model: n_features that disagrees with the featurizer", &score_m)
            .file("in.jsonl", "{\"text\":\"Iran was praised.\"}\n")
            .file("model.json", {
                let mut v = model_json();
                v["stance"]["n_features"] = (n_features + 1).into();
                v["stance"]["weights"].as_array_mut().unwrap().extend([0.0.into(), 0.0.into(), 0.0.into()]);
                to_bytes(&v)
            })
            .code(1)
            .err("model.json")
            .err(format!("{} features but the featurizer has {n_features}", n_features + 1)),
        case("model: IDF values that disagree with the features", &score_m)
            .file("in.jsonl", "{\"text\":\"Iran was praised.\"}\n")
            .file("model.json", {
                let mut v = model_json();
                v["featurizer"]["idf"].as_array_mut().unwrap().pop();
                to_bytes(&v)
            })
            .code(1)
            .err("model.json")
            .err(format!("{n_features} features but {} IDF values", n_features - 1)),
        case("model: a header claiming 10^12 features", &score_m)
            .file("in.jsonl", "{\"text\":\"Iran was praised.\"}\n")
            .file("model.json", {
                let mut v = model_json();
                v["stance"]["n_features"] = 1_000_000_000_000u64.into();
                to_bytes(&v)
            })
            .code(1)
            .err("model.json")
            .err("1000000000000 features"),
        case("model: n_features near u64::MAX (the product overflows)", &score_m)
            .file("in.jsonl", "{\"text\":\"Iran was praised.\"}\n")
            .file("model.json", {
                let mut v = model_json();
                v["stance"]["n_features"] = u64::MAX.into();
                to_bytes(&v)
            })
            .code(1)
            .err("model.json")
            .err("18446744073709551615 features"),
        case("model: n_features 2^63 with two classes (the product wraps to 0)", &score_m)
            .file("in.jsonl", "{\"text\":\"Iran was praised.\"}\n")
            .file("model.json", {
                let mut v = model_json();
                v["stance"]["n_features"] = (1u64 << 63).into();
                v["stance"]["classes"] = serde_json::json!(["against", "favor"]);
                v["stance"]["intercept"] = serde_json::json!([0.0, 0.0]);
                v["stance"]["weights"] = serde_json::json!([]);
                to_bytes(&v)
            })
            .code(1)
            .err("model.json")
            .err("9223372036854775808 features")
            .not_err("need 0"),
        case("model: a file that is not JSON at all", &score_m)
            .file("in.jsonl", "{\"text\":\"Iran was praised.\"}\n")
            .file("model.json", &b"PK\x03\x04\x14\x00\x00\x00\x08\x00 not a model"[..])
            .code(1)
            .err("model file model.json")
            .err("not a readable model file"),
        case("model: an empty file", &score_m)
            .file("in.jsonl", "{\"text\":\"Iran was praised.\"}\n")
            .file("model.json", "")
            .code(1)
            .err("model file model.json"),
        case("model: a missing file is named once, without the OS message twice", &["score", "--model", "nosuch.json", "in.jsonl"])
            .file("in.jsonl", "{\"text\":\"Iran was praised.\"}\n")
            .code(1)
            .err("nosuch.json")
            .not_err("(os error 2): No such file or directory (os error 2)"),
        // ---- compare -------------------------------------------------------------------------
        case("compare: the fixture's scores compare (sanity)", &compare("scores.jsonl"))
            .file("scores.jsonl", &t.scores)
            .out("Alpha")
            .out("Iran"),
        case("compare: a JSON line that is not a score record is an error at its line", &compare("nonscore.jsonl"))
            .file("nonscore.jsonl", format!("{scores_head}{{\"id\":\"x\",\"foo\":1}}\n"))
            .code(1)
            .err("nonscore.jsonl:4")
            .err("not a score record"),
        case("compare: a JSON array line is an error at its line", &compare("array.jsonl"))
            .file("array.jsonl", format!("{scores_head}[1,2,3]\n"))
            .code(1)
            .err("array.jsonl:4")
            .err("not a score record"),
        case("compare: malformed JSON is an error at its line", &compare("bad.jsonl"))
            .file("bad.jsonl", format!("{scores_head}{{\"id\":\"t01\", \"actors\": \"none\"\n"))
            .code(1)
            .err("bad.jsonl:4")
            .err("malformed JSON"),
        case("compare: a label the model does not know is an error at its line", &["compare", "hawk.jsonl", "--model", "{model}", "--bootstrap", "50"])
            .file("hawk.jsonl", format!("{scores_head}{{\"id\":\"h1\",\"actors\":[{{\"actor\":\"Iran\",\"mentions\":1,\"label\":\"hawk\",\"probabilities\":{{\"hawk\":1.0}}}}]}}\n"))
            .code(1)
            .err("hawk.jsonl:4")
            .err("\"hawk\""),
        case("compare: an empty score file is named", &compare("empty.jsonl"))
            .file("empty.jsonl", "")
            .code(1)
            .err("empty.jsonl"),
        case("compare: --bootstrap 0 is a usage error", &["compare", "scores.jsonl", "--no-model", "--bootstrap", "0"])
            .file("scores.jsonl", &t.scores)
            .code(2)
            .err("--bootstrap")
            .not_out("NaN"),
        case("compare: a truncated model names the model file and --no-model", &["compare", "scores.jsonl", "--model", "model.json", "--bootstrap", "50"])
            .file("scores.jsonl", &t.scores)
            .file("model.json", &t.bytes[..t.bytes.len() / 2])
            .code(1)
            .err("model file model.json")
            .err("--no-model"),
        // ---- usage -------------------------------------------------------------------------
        case("train: --out missing is a usage error", &["train", "--data", "train.jsonl"])
            .fixture()
            .code(2)
            .err("--out"),
    ]
    .into_iter()
    .chain(round_two())
    .collect()
}

// ---------------------------------------------------------------------------------------------
// Round two (issue 17): what an adversarial probe found. Each case names its item.
// ---------------------------------------------------------------------------------------------

/// A model trained once on the fixture with 3-fold cross-validation, so it holds the
/// out-of-fold predictions (`training.calibration`) that `compare` uses.
fn trained_cv() -> &'static Vec<u8> {
    static T: OnceLock<Vec<u8>> = OnceLock::new();
    T.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("train.jsonl"), TRAIN).unwrap();
        std::fs::write(dir.path().join("actors.toml"), ACTORS).unwrap();
        stance()
            .current_dir(dir.path())
            .args([
                "train",
                "--data",
                "train.jsonl",
                "--actors",
                "actors.toml",
                "-q",
            ])
            .args(["--folds", "3", "--min-df", "1", "--out", "cv.json"])
            .assert()
            .success();
        std::fs::read(dir.path().join("cv.json")).unwrap()
    })
}

/// The model file of `v` with its checksum computed again, as a careful hand edit would leave
/// it: the loader's checks, not the checksum, must find what is wrong.
fn sealed(v: &serde_json::Value) -> Vec<u8> {
    use sha2::Digest;
    let mut v = v.clone();
    v.as_object_mut().unwrap().remove("checksum");
    let mut body = serde_json::to_vec(&v).unwrap();
    body.pop();
    let sum: String = sha2::Sha256::digest(&body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    body.extend_from_slice(b",\"checksum\":\"");
    body.extend_from_slice(sum.as_bytes());
    body.extend_from_slice(b"\"}\n");
    body
}

/// The cross-validated model with `edit` applied to its calibration section, sealed.
fn cv_model_with(edit: fn(&mut serde_json::Value)) -> Vec<u8> {
    let mut v: serde_json::Value = serde_json::from_slice(trained_cv()).unwrap();
    edit(&mut v["training"]["calibration"]);
    sealed(&v)
}

/// The fixture's scores without the model that made them (so any model may read them).
fn unmarked_scores() -> String {
    trained()
        .scores
        .lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            v.as_object_mut().unwrap().remove("model");
            format!("{v}\n")
        })
        .collect()
}

fn mkfifo(p: &Path) {
    let ok = std::process::Command::new("mkfifo")
        .arg(p)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "mkfifo {}", p.display());
}

/// A character device like /dev/null inside the case's directory (as root); a FIFO otherwise.
fn null_device(p: &Path) {
    let made = std::process::Command::new("mknod")
        .arg(p)
        .args(["c", "1", "3"])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !made {
        mkfifo(p);
    }
}

fn not_regular(d: &Path, name: &str) -> Vec<String> {
    match std::fs::symlink_metadata(d.join(name)) {
        Ok(m) if m.file_type().is_file() => vec![format!("{name} was replaced by a regular file")],
        Ok(_) => Vec::new(),
        Err(e) => vec![format!("{name} is gone: {e}")],
    }
}

fn absent(d: &Path, name: &str) -> Vec<String> {
    if d.join(name).exists() {
        vec![format!("{name} was written")]
    } else {
        Vec::new()
    }
}

fn is_model(d: &Path, name: &str) -> Vec<String> {
    match stance::StanceModel::load(&d.join(name)) {
        Ok(_) => Vec::new(),
        Err(e) => vec![format!("{name} is not a model: {e}")],
    }
}

fn train_out(data: &'static str, out: &'static str) -> Vec<&'static str> {
    let mut a = vec!["train", "--data", data, "--out", out];
    a.extend(FAST);
    a
}

/// JSON Lines of `n` articles, each with a stance label of its own.
fn distinct_labels(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!("{{\"id\":\"d{i}\",\"text\":\"Iran was praised for offer number {i}.\",\"stance\":{{\"Iran\":\"label{i}\"}}}}\n")
        })
        .collect()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn round_two() -> Vec<Case> {
    let t = trained();
    let score_one =
        |file: &'static str| vec!["score", "--model", "{model}", "--evidence", "0", file];
    let with = |mut a: Vec<&'static str>, more: &[&'static str]| {
        a.extend_from_slice(more);
        a
    };
    let one = "{\"id\":\"s1\",\"text\":\"Iran was praised.\"}\n{\"id\":\"s2\",\"text\":\"Russia was blamed.\"}\n";
    let mixed = "{\"id\":\"s1\",\"text\":\"Iran was praised.\"}\nnot json\n{\"id\":\"s3\",\"text\":\"Russia was blamed.\"}\n";
    let scores_head: String = t.scores.lines().take(3).map(|l| format!("{l}\n")).collect();
    let compare_cv = |estimator: &'static str| {
        vec![
            "compare",
            "scores.jsonl",
            "--model",
            "model.json",
            "--bootstrap",
            "20",
            "--estimator",
            estimator,
        ]
    };
    let report = vec![
        "report",
        "scores.jsonl",
        "--model",
        "{model}",
        "--bootstrap",
        "20",
        "--out",
        "r.html",
    ];
    vec![
        // ---- 1: train --out replaces whatever the path is -----------------------------------
        case("[1] train --out a character device is refused, the device stays", &train_out("train.jsonl", "null"))
            .fixture()
            .setup(|d| null_device(&d.join("null")))
            .after(|d| not_regular(d, "null"))
            .code(1)
            .err("null")
            .err("not a regular file"),
        case("[1] train --out a FIFO is refused, the FIFO stays", &train_out("train.jsonl", "fifo"))
            .fixture()
            .setup(|d| mkfifo(&d.join("fifo")))
            .after(|d| not_regular(d, "fifo"))
            .code(1)
            .err("fifo")
            .err("FIFO"),
        case("[1] train --out a symbolic link writes the model through it", &train_out("train.jsonl", "link.json"))
            .fixture()
            .file("target.json", "{}")
            .setup(|d| std::os::unix::fs::symlink("target.json", d.join("link.json")).unwrap())
            .after(|d| {
                let mut p = is_model(d, "target.json");
                if !std::fs::symlink_metadata(d.join("link.json")).is_ok_and(|m| m.file_type().is_symlink()) {
                    p.push("link.json is no longer a symbolic link".into());
                }
                p
            })
            .out("trained on 12 articles"),
        case("[1] train --out a dangling symbolic link creates its target", &train_out("train.jsonl", "dangling.json"))
            .fixture()
            .setup(|d| std::os::unix::fs::symlink("made.json", d.join("dangling.json")).unwrap())
            .after(|d| is_model(d, "made.json"))
            .out("trained on 12 articles"),
        case("[1] train --out a folder is refused before training", &train_out("train.jsonl", "sub"))
            .fixture()
            .setup(|d| std::fs::create_dir(d.join("sub")).unwrap())
            .code(1)
            .err("sub")
            .err("a folder")
            .not_out("trained on"),
        // ---- 2: an output path that is also an input ----------------------------------------
        case("[2] score --out the input is refused, the input stays", &with(score_one("in.jsonl"), &["--out", "in.jsonl"]))
            .file("in.jsonl", one)
            .unchanged("in.jsonl")
            .code(1)
            .err("in.jsonl")
            .err("same file"),
        case("[2] score --errors the input is refused, the input stays", &with(score_one("in.jsonl"), &["--errors", "in.jsonl"]))
            .file("in.jsonl", mixed)
            .unchanged("in.jsonl")
            .code(1)
            .err("same file"),
        case("[2] score --out and --errors one file is refused", &with(score_one("in.jsonl"), &["--out", "both.jsonl", "--errors", "both.jsonl"]))
            .file("in.jsonl", mixed)
            .after(|d| absent(d, "both.jsonl"))
            .code(1)
            .err("--errors")
            .err("same file"),
        case("[2] score --out a hard link of the input is refused", &with(score_one("in.jsonl"), &["--out", "alias.jsonl"]))
            .file("in.jsonl", one)
            .setup(|d| std::fs::hard_link(d.join("in.jsonl"), d.join("alias.jsonl")).unwrap())
            .unchanged("in.jsonl")
            .code(1)
            .err("alias.jsonl")
            .err("same file"),
        case("[2] score --out a symbolic link to the input is refused", &with(score_one("in.jsonl"), &["--out", "link.jsonl"]))
            .file("in.jsonl", one)
            .setup(|d| std::os::unix::fs::symlink("in.jsonl", d.join("link.jsonl")).unwrap())
            .unchanged("in.jsonl")
            .code(1)
            .err("same file"),
        case("[2] score --out the model is refused", &["score", "--model", "model.json", "in.jsonl", "--out", "model.json"])
            .file("in.jsonl", one)
            .file("model.json", &t.bytes)
            .unchanged("model.json")
            .code(1)
            .err("--model")
            .err("same file"),
        case("[2] train --out the data is refused, the data stays", &train_out("train.jsonl", "train.jsonl"))
            .fixture()
            .unchanged("train.jsonl")
            .code(1)
            .err("--data")
            .err("same file"),
        case("[2] train --out the actors file is refused", &with(train_out("train.jsonl", "actors.toml"), &["--actors", "actors.toml"]))
            .fixture()
            .unchanged("actors.toml")
            .code(1)
            .err("--actors")
            .err("same file"),
        case("[2] eval --oof the data is refused, the data stays", &["eval", "--data", "train.jsonl", "--min-df", "1", "--folds", "3", "--oof", "train.jsonl"])
            .fixture()
            .unchanged("train.jsonl")
            .code(1)
            .err("--oof")
            .err("same file"),
        case("[2] compare --plot the scores is refused", &["compare", "scores.jsonl", "--no-model", "--bootstrap", "20", "--plot", "scores.jsonl"])
            .file("scores.jsonl", &t.scores)
            .unchanged("scores.jsonl")
            .code(1)
            .err("--plot")
            .err("same file"),
        case("[2] report --out the scores is refused", &["report", "scores.jsonl", "--model", "{model}", "--bootstrap", "20", "--out", "scores.jsonl"])
            .file("scores.jsonl", &t.scores)
            .unchanged("scores.jsonl")
            .code(1)
            .err("same file"),
        case("[2] tune --out the data is refused", &["tune", "--data", "train.jsonl", "--min-df", "1", "--folds", "3", "--no-nested", "--alpha", "1", "--ngrams", "1", "--window", "0", "--markers", "both", "--out", "train.jsonl"])
            .fixture()
            .unchanged("train.jsonl")
            .code(1)
            .err("same file"),
        case("[2] label --out the data is refused (before any server starts)", &["label", "--data", "in.jsonl", "--out", "in.jsonl", "--port", "0"])
            .file("in.jsonl", one)
            .unchanged("in.jsonl")
            .timeout(20)
            .code(1)
            .err("same file"),
        // ---- 3: CSV memory --------------------------------------------------------------------
        case("[3] score: a CSV quoted field over --max-bytes is one error record, the next row is scored", &with(score_one("big.csv"), &["--max-bytes", "1000"]))
            .file("big.csv", format!("id,text\n1,\"{}\"\n2,Iran spoke.\n", "a".repeat(300_000)))
            .code(1)
            .lines(2)
            .out("big.csv:2")
            .out("--max-bytes (1000)")
            .out("\"id\":\"2\""),
        case("[3] score: a CSV quote opened and never closed past --max-bytes is one error", &with(score_one("open.csv"), &["--max-bytes", "1000"]))
            .file("open.csv", format!("id,text\n0,Iran spoke.\n1,\"{}", "a".repeat(300_000)))
            .code(1)
            .lines(2)
            .out("open.csv:3")
            .out("--max-bytes (1000)"),
        case("[3] score --input-format csv /dev/zero ends with an error on the header", &["score", "--model", "{model}", "--input-format", "csv", "/dev/zero", "--max-bytes", "100000"])
            .timeout(30)
            .code(1)
            .out("/dev/zero:1")
            .out("header")
            .out("--max-bytes (100000)"),
        case("[3] score: a CSV header over --max-bytes is an error naming the header", &with(score_one("wide.csv"), &["--max-bytes", "1000"]))
            .file("wide.csv", format!("id,text,{}\n1,Iran spoke.,x\n", "c".repeat(5000)))
            .code(1)
            .out("wide.csv:1")
            .out("header"),
        // ---- 4: inconsistent calibration sections ------------------------------------------
        case("[4] compare: a cross-validated model compares (sanity)", &compare_cv("emq"))
            .file("scores.jsonl", unmarked_scores())
            .file("model.json", cv_model_with(|_| {}))
            .out("Iran"),
        case("[4] model: a calibration truth index past the classes is named", &compare_cv("emq"))
            .file("scores.jsonl", unmarked_scores())
            .file("model.json", cv_model_with(|c| c["truth"][0] = 99.into()))
            .code(1)
            .err("model.json")
            .err("calibration")
            .err("99"),
        case("[4] model: calibration probabilities shorter than classes x examples are named", &compare_cv("acc"))
            .file("scores.jsonl", unmarked_scores())
            .file("model.json", cv_model_with(|c| c["probabilities"].as_array_mut().unwrap().truncate(5)))
            .code(1)
            .err("model.json")
            .err("calibration")
            .err("probabilities"),
        case("[4] model: an empty calibration is named", &compare_cv("pacc"))
            .file("scores.jsonl", unmarked_scores())
            .file("model.json", cv_model_with(|c| {
                c["truth"] = serde_json::json!([]);
                c["probabilities"] = serde_json::json!([]);
            }))
            .code(1)
            .err("model.json")
            .err("calibration"),
        case("[4] model: calibration classes unlike the model's are named", &compare_cv("bcc"))
            .file("scores.jsonl", unmarked_scores())
            .file("model.json", cv_model_with(|c| c["classes"] = serde_json::json!(["a", "b"])))
            .code(1)
            .err("model.json")
            .err("calibration")
            .err("classes"),
        case("[4] model: a calibration probability of -5 is named", &compare_cv("emq"))
            .file("scores.jsonl", unmarked_scores())
            .file("model.json", cv_model_with(|c| c["probabilities"][0] = (-5.0).into()))
            .code(1)
            .err("calibration"),
        case("[4] model: an actor profile past the features is named", &["explain", "--model", "model.json", "--actor", "Iran"])
            .file("model.json", {
                let mut v = model_json();
                v["training"]["actor_profiles"]["Iran"][0][0] = 4_000_000_000u64.into();
                sealed(&v)
            })
            .code(1)
            .err("model.json")
            .err("actor_profiles"),
        // ---- 5: --max-bytes near the top of the range -------------------------------------
        case("[5] score --max-bytes u64::MAX reads every JSON Lines record", &with(score_one("in.jsonl"), &["--max-bytes", "18446744073709551615"]))
            .file("in.jsonl", one)
            .lines(2)
            .out("\"id\":\"s1\"")
            .out("\"id\":\"s2\""),
        case("[5] score --max-bytes u64::MAX reads a text file", &with(score_one("a.txt"), &["--max-bytes", "18446744073709551615"]))
            .file("a.txt", "Iran was praised.")
            .lines(1)
            .out("\"id\":\"a\""),
        case("[5] score --max-bytes u64::MAX reads every CSV row", &with(score_one("in.csv"), &["--max-bytes", "18446744073709551615"]))
            .file("in.csv", "id,text\n1,Iran spoke.\n2,Russia spoke.\n")
            .lines(2)
            .out("\"id\":\"2\""),
        // ---- 6: a literal quote in an unquoted CSV field ------------------------------------
        case("[6] score: a literal quote in an unquoted CSV field is no unbalanced quote", &score_one("q.csv"))
            .file("q.csv", "id,text\n1,He is 6\" tall.\n2,Iran spoke.\n")
            .lines(2)
            .not_out("unbalanced")
            .out("\"id\":\"2\""),
        case("[6] score: literal quotes and CRLF line ends, every row read", &score_one("q.csv"))
            .file("q.csv", "id,text\r\n1,He is 6\" tall.\r\n2,Iran said \"no\" twice.\r\n3,\"Quoted, \"\"really\"\".\"\r\n4,Tehran spoke.\r\n")
            .lines(4)
            .not_out("error")
            .out("\"id\":\"4\""),
        // ---- 7: long aliases ---------------------------------------------------------------
        case("[7] actors: a 5 KB alias is refused at once, naming its line", &{
            let mut a = train("train.jsonl");
            a.extend(["--actors", "long.toml"]);
            a
        })
        .fixture()
        .file("long.toml", format!("[[actor]]\nname = \"Iran\"\naliases = [\"{}\"]\n", "x".repeat(5000)))
        .timeout(20)
        .code(1)
        .err("long.toml")
        .err("line 3")
        .err("5000 bytes"),
        case("[7] train: a 10 KB actor name in the labels is refused at once, naming the record", &train("name.jsonl"))
            .file("name.jsonl", train_plus(&format!("{{\"id\": \"n1\", \"text\": \"Iran spoke.\", \"stance\": {{\"{}\": \"favor\"}}}}", "N".repeat(10_000))))
            .timeout(20)
            .code(1)
            .err("name.jsonl:13")
            .err("10000 bytes"),
        // ---- 8: unbounded reads ------------------------------------------------------------
        case("[8] score --model /dev/zero is refused at once", &["score", "--model", "/dev/zero", "in.jsonl"])
            .file("in.jsonl", one)
            .timeout(20)
            .code(1)
            .err("model file /dev/zero")
            .err("not a readable model file")
            .err("0x00"),
        case("[8] model: bytes after the checksum are refused", &score_m_owned())
            .file("in.jsonl", one)
            .file("model.json", [&t.bytes[..], &b" ".repeat(100_000)[..]].concat())
            .code(1)
            .err("model.json")
            .err("after the checksum"),
        case("[8] compare: a score line over the line limit is an error at its line", &["compare", "big.jsonl", "--no-model", "--bootstrap", "20"])
            .file("big.jsonl", format!("{scores_head}{{\"id\":\"x\",\"actors\":[],\"pad\":\"{}\"}}\n", "p".repeat(20 << 20)))
            .code(1)
            .err("big.jsonl:4")
            .err("longer than"),
        // ---- 9: training that never ends ---------------------------------------------------
        case("[9] train: a thousand distinct labels are refused at once, with the reason", &train("many.jsonl"))
            .file("many.jsonl", distinct_labels(1000))
            .timeout(30)
            .code(1)
            .err("1000 distinct stance labels")
            .err("--stance-col"),
        case("[9] train --time-limit stops a long training and saves nothing", &["train", "--data", "slow.jsonl", "--out", "out.json", "--folds", "5", "--min-df", "1", "--time-limit", "1"])
            .file("slow.jsonl", slow_data())
            .after(|d| absent(d, "out.json"))
            .timeout(30)
            .code(1)
            .err("--time-limit")
            .err("nothing was saved"),
        // ---- 10: output safety -------------------------------------------------------------
        case("[10] score --format csv: formula-like cells are neutralised", &["score", "--model", "{model}", "--evidence", "0", "--format", "csv", "f.jsonl"])
            .file("f.jsonl", "{\"id\":\"=1+1\",\"source\":\"+cmd|' /C calc'!A0\",\"text\":\"Iran was praised.\",\"note\":\"@SUM(1+1)\"}\n")
            .out("'=1+1")
            .out("'+cmd")
            .not_out("\n=1+1")
            .not_out(",+cmd"),
        case("[10] compare --format csv: a formula-like group is neutralised", &["compare", "f.jsonl", "--no-model", "--bootstrap", "20", "--format", "csv"])
            .file("f.jsonl", t.scores.replace("\"Alpha\"", "\"=HYPERLINK(1)\""))
            .out("'=HYPERLINK(1)")
            .not_out("\n=HYPERLINK"),
        case("[10] compare: terminal control sequences in a source are not printed raw", &["compare", "e.jsonl", "--no-model", "--bootstrap", "20"])
            .file("e.jsonl", t.scores.replace("\"Alpha\"", "\"\\u001b[31mAlpha\\u001b]0;pwned\\u0007\""))
            .out("Alpha")
            .not_out("\x1b")
            .not_out("\x07"),
        case("[10] error messages: control characters from the command line are not printed raw", &["score", "--model", "{model}", "--actor", "\x1b[2JX", "in.jsonl"])
            .file("in.jsonl", one)
            .code(1)
            .err("[2JX")
            .not_err("\x1b"),
        case("[10] train summary and explain: a label with an escape sequence is not printed raw", &["explain", "--model", "esc.json"])
            .fixture()
            .file("esc.jsonl", TRAIN.replace("\"favor\"", "\"fa\\u001b[2Jvor\""))
            .setup(|d| {
                let out = stance()
                    .current_dir(d)
                    .args(["train", "--data", "esc.jsonl", "--out", "esc.json", "--no-cv", "--min-df", "1"])
                    .output()
                    .unwrap();
                std::fs::write(d.join("summary.txt"), [out.stdout, out.stderr].concat()).unwrap();
            })
            .after(|d| {
                let summary = std::fs::read(d.join("summary.txt")).unwrap_or_default();
                if summary.contains(&0x1b) {
                    vec!["the train summary prints the escape raw".into()]
                } else {
                    Vec::new()
                }
            })
            .out("[2Jvor")
            .not_out("\x1b"),
        case("[10] compare --plot: a control character in a source gives a valid SVG", &["compare", "c.jsonl", "--no-model", "--bootstrap", "20", "--plot", "c.svg"])
            .file("c.jsonl", t.scores.replace("\"Alpha\"", "\"Al\\u0001pha\""))
            .after(|d| match std::fs::read(d.join("c.svg")) {
                Ok(b) if b.iter().any(|&c| c < 0x20 && !b"\n\r\t".contains(&c)) => {
                    vec!["c.svg holds a control character (invalid XML)".into()]
                }
                Ok(_) => Vec::new(),
                Err(e) => vec![format!("c.svg: {e}")],
            }),
        // ---- 11: silent acceptance ---------------------------------------------------------
        case("[11] train: a duplicate key in a label object is an error, not last-wins", &train("dup.jsonl"))
            .file("dup.jsonl", train_plus(r#"{"id": "d1", "text": "Iran spoke.", "stance": {"Iran": "favor", "Iran": "against"}}"#))
            .code(1)
            .err("dup.jsonl:13")
            .err("duplicate key \"Iran\""),
        case("[11] score: a duplicate top-level key is an error record", &score_one("dup.jsonl"))
            .file("dup.jsonl", "{\"id\":\"a\",\"text\":\"Iran was praised.\",\"text\":\"Russia was blamed.\"}\n")
            .code(1)
            .lines(1)
            .out("dup.jsonl:1")
            .out("duplicate key \\\"text\\\""),
        case("[11] eval --group-by a field no record has is an error", &["eval", "--data", "train.jsonl", "--min-df", "1", "--folds", "3", "--group-by", "nosuchfield"])
            .fixture()
            .code(1)
            .err("nosuchfield"),
        case("[11] train: one label both positive and negative is an error", &with(train("train.jsonl"), &["--positive-label", "favor", "--negative-label", "favor"]))
            .fixture()
            .code(1)
            .err("both the positive and the negative"),
        case("[11] report --actor that no score names is an error, nothing written", &with(report.clone(), &["--actor", "Nope"]))
            .file("scores.jsonl", &t.scores)
            .after(|d| absent(d, "r.html"))
            .code(1)
            .err("\"Nope\""),
        case("[11] compare: a probability of -5 is an error at its line", &["compare", "p.jsonl", "--no-model", "--bootstrap", "20"])
            .file("p.jsonl", format!("{scores_head}{{\"id\":\"x\",\"actors\":[{{\"actor\":\"Iran\",\"mentions\":1,\"label\":\"favor\",\"probabilities\":{{\"against\":-5,\"favor\":3,\"neutral\":3}}}}]}}\n"))
            .code(1)
            .err("p.jsonl:4")
            .err("probabilities"),
        case("[11] compare: a probability of 1e308 is an error at its line", &["compare", "p.jsonl", "--no-model", "--bootstrap", "20"])
            .file("p.jsonl", format!("{scores_head}{{\"id\":\"x\",\"actors\":[{{\"actor\":\"Iran\",\"mentions\":1,\"label\":\"favor\",\"probabilities\":{{\"against\":0,\"favor\":1e308,\"neutral\":0}}}}]}}\n"))
            .code(1)
            .err("p.jsonl:4")
            .err("probabilities"),
        case("[11] score: a folder's subfolder, FIFO and broken link are named, not skipped", &score_one("arts"))
            .setup(|d| {
                let a = d.join("arts");
                std::fs::create_dir_all(a.join("sub")).unwrap();
                std::fs::write(a.join("a.txt"), "Iran was praised.").unwrap();
                mkfifo(&a.join("fifo.txt"));
                std::os::unix::fs::symlink("nowhere.txt", a.join("gone.txt")).unwrap();
            })
            .timeout(20)
            .code(1)
            .lines(4)
            .out("\"id\":\"a\"")
            .out("sub")
            .out("fifo.txt")
            .out("gone.txt"),
        case("[11] score --threads 100000 is a usage error", &with(score_one("in.jsonl"), &["--threads", "100000"]))
            .file("in.jsonl", one)
            .code(2)
            .err("--threads"),
        // ---- 12: messages and pipes --------------------------------------------------------
        case("[12] score: a truncated gzip file says it is truncated, at its line", &score_one("t.jsonl.gz"))
            .file("t.jsonl.gz", {
                let g = gzip(TRAIN.repeat(20).as_bytes());
                g[..g.len() / 2].to_vec()
            })
            .code(1)
            .out("t.jsonl.gz:")
            .out("truncated"),
        case("[12] model: no format version is said in words", &score_m_owned())
            .file("in.jsonl", one)
            .file("model.json", {
                let mut v = model_json();
                v.as_object_mut().unwrap().remove("version");
                to_bytes(&v)
            })
            .code(1)
            .err("no format version")
            .not_err("None"),
        case("[12] model: format version 0 is said without debug formatting", &score_m_owned())
            .file("in.jsonl", one)
            .file("model.json", {
                let mut v = model_json();
                v["version"] = 0.into();
                to_bytes(&v)
            })
            .code(1)
            .err("format version 0")
            .not_err("Some("),
        case("[12] score --out a full disk names the file once", &with(score_one("in.jsonl"), &["--out", "/dev/full"]))
            .file("in.jsonl", one)
            .code(1)
            .err_once("/dev/full")
            .err("No space left"),
        case("[12] compare --plot into a path under a file names the path in words", &["compare", "scores.jsonl", "--no-model", "--bootstrap", "20", "--plot", "notadir/c.png"])
            .file("scores.jsonl", &t.scores)
            .file("notadir", "a file")
            .code(1)
            .err("notadir")
            .not_err("Kind")
            .not_err("Error("),
        case("[12] compare --by date groups by the date", &["compare", "scores.jsonl", "--no-model", "--bootstrap", "20", "--by", "date"])
            .file("scores.jsonl", &t.scores)
            .out("2024-01-03"),
        case("[12] compare: invalid UTF-8 in a score file names the line", &["compare", "bu.jsonl", "--no-model", "--bootstrap", "20"])
            .file("bu.jsonl", [scores_head.as_bytes(), b"{\"id\":\"\xff\"}\n"].concat())
            .code(1)
            .err("bu.jsonl:4")
            .err("UTF-8"),
        case("[12] actors: invalid UTF-8 names the file and line", &{
            let mut a = train("train.jsonl");
            a.extend(["--actors", "bad.toml"]);
            a
        })
        .fixture()
        .file("bad.toml", &b"[[actor]]\nname = \"Iran\"\naliases = [\"Teh\xffran\"]\n"[..])
        .code(1)
        .err("bad.toml")
        .err("line 3")
        .err("UTF-8"),
        case("[12] score --out: a run stopped by --max-errors leaves no file under the final name", &with(score_one("in.jsonl"), &["--out", "out.jsonl", "--max-errors", "1"]))
            .file("in.jsonl", mixed)
            .after(|d| absent(d, "out.jsonl"))
            .code(1)
            .err("--max-errors"),
        case("[12] score --out: a finished run writes the file whole", &with(score_one("in.jsonl"), &["--out", "out.jsonl"]))
            .file("in.jsonl", mixed)
            .after(|d| match std::fs::read_to_string(d.join("out.jsonl")) {
                Ok(s) if s.lines().count() == 3 => Vec::new(),
                Ok(s) => vec![format!("out.jsonl has {} lines, expected 3", s.lines().count())],
                Err(e) => vec![format!("out.jsonl: {e}")],
            })
            .code(1),
    ]
}

/// `score` with the model file the case writes as `model.json`, on `in.jsonl`.
fn score_m_owned() -> Vec<&'static str> {
    vec![
        "score",
        "--model",
        "model.json",
        "--evidence",
        "0",
        "in.jsonl",
    ]
}

/// Enough labeled data that a 5-fold training takes several seconds.
fn slow_data() -> String {
    let base: Vec<&str> = TRAIN.lines().collect();
    (0..60_000)
        .map(|i| {
            let l = base[i % base.len()];
            l.replacen("\"id\": \"t", &format!("\"id\": \"c{i}-t"), 1)
                .replacen("\"text\": \"", &format!("\"text\": \"Report {i}: "), 1)
                + "\n"
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Running the table
// ---------------------------------------------------------------------------------------------

struct Outcome {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    /// What the case's `unchanged` and `after` checks found, and temporary files left behind.
    left: Vec<String>,
}

fn run(c: &Case) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in &c.files {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    let model = trained().model.display().to_string();
    let args: Vec<String> = c
        .args
        .iter()
        .map(|a| a.replace("{model}", &model))
        .collect();
    if let Some(f) = c.setup {
        f(dir.path());
    }
    let mut cmd = stance();
    cmd.current_dir(dir.path()).args(&args);
    if let Some(t) = c.timeout {
        cmd.timeout(t);
    }
    if let Some(s) = &c.stdin {
        cmd.write_stdin(s.clone());
    }
    let out = cmd.output().unwrap();
    let mut left = Vec::new();
    for name in &c.unchanged {
        let want = &c
            .files
            .iter()
            .find(|(n, _)| n == name)
            .expect("a file of the case")
            .1;
        match std::fs::read(dir.path().join(name)) {
            Ok(got) if &got == want => {}
            Ok(got) => left.push(format!(
                "{name} was changed ({} bytes, was {})",
                got.len(),
                want.len()
            )),
            Err(e) => left.push(format!("{name} is gone: {e}")),
        }
    }
    if let Some(f) = c.after {
        left.extend(f(dir.path()));
    }
    left.extend(temp_files_left(dir.path()));
    Outcome {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        left,
    }
}

/// Temporary files of an interrupted or failed write (`.stance-*`) left in `dir`.
fn temp_files_left(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".stance-"))
        .map(|n| format!("temporary file {n} left behind"))
        .collect()
}

/// Every case run once (in parallel), shared by the tests below.
fn outcomes() -> &'static Vec<(Case, Outcome)> {
    static O: OnceLock<Vec<(Case, Outcome)>> = OnceLock::new();
    O.get_or_init(|| {
        let only = std::env::var("BAD_INPUT_CASE").ok();
        let cases: Vec<Case> = cases()
            .into_iter()
            .filter(|c| only.as_deref().is_none_or(|o| c.name.contains(o)))
            .collect();
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get().min(8));
        let chunk = cases.len().div_ceil(threads).max(1);
        let mut results: Vec<Option<Outcome>> = (0..cases.len()).map(|_| None).collect();
        std::thread::scope(|s| {
            for (cs, rs) in cases.chunks(chunk).zip(results.chunks_mut(chunk)) {
                s.spawn(move || {
                    for (c, r) in cs.iter().zip(rs.iter_mut()) {
                        *r = Some(run(c));
                    }
                });
            }
        });
        cases
            .into_iter()
            .zip(results.into_iter().map(Option::unwrap))
            .collect()
    })
}

fn problems(c: &Case, o: &Outcome) -> Vec<String> {
    let mut p = Vec::new();
    if o.code != Some(c.code) {
        p.push(format!("exit status {:?}, expected {}", o.code, c.code));
    }
    for s in &c.stderr {
        if !predicate::str::contains(s.as_str()).eval(&o.stderr) {
            p.push(format!("stderr lacks {s:?}"));
        }
    }
    for s in &c.stdout {
        if !predicate::str::contains(s.as_str()).eval(&o.stdout) {
            p.push(format!("stdout lacks {s:?}"));
        }
    }
    for s in &c.not_stderr {
        if predicate::str::contains(s.as_str()).eval(&o.stderr) {
            p.push(format!("stderr holds {s:?}"));
        }
    }
    for s in &c.not_stdout {
        if predicate::str::contains(s.as_str()).eval(&o.stdout) {
            p.push(format!("stdout holds {s:?}"));
        }
    }
    if let Some(n) = c.stdout_lines {
        let got = o.stdout.lines().count();
        if got != n {
            p.push(format!(
                "{got} lines on stdout, expected {n} (one per input record)"
            ));
        }
    }
    for s in &c.stderr_once {
        let n = o.stderr.matches(s.as_str()).count();
        if n != 1 {
            p.push(format!("stderr holds {s:?} {n} times, expected once"));
        }
    }
    p.extend(o.left.iter().cloned());
    if o.stderr.contains("panicked at") {
        p.push("PANIC".into());
    }
    p
}

fn clip(s: &str) -> String {
    let s = s.trim_end();
    let lines: Vec<&str> = s.lines().take(8).collect();
    let mut t: String = lines.join("\n        ");
    if t.len() > 1200 {
        let mut cut = 1200;
        while !t.is_char_boundary(cut) {
            cut -= 1;
        }
        t.truncate(cut);
        t.push('…');
    }
    t
}

#[test]
fn table_has_at_least_thirty_cases_with_unique_names() {
    let cs = cases();
    assert!(cs.len() >= 30, "{} cases", cs.len());
    let mut names: Vec<&str> = cs.iter().map(|c| c.name).collect();
    names.sort();
    let n = names.len();
    names.dedup();
    assert_eq!(n, names.len(), "duplicate case names");
}

#[test]
fn every_bad_input_case_behaves_as_a_demanding_user_expects() {
    let mut failed = Vec::new();
    for (c, o) in outcomes() {
        let p = problems(c, o);
        if !p.is_empty() {
            failed.push(format!(
                "✗ {}\n    stance {}\n    {}\n    exit: {:?}\n    stderr: {}\n    stdout: {}",
                c.name,
                c.args.join(" "),
                p.join("; "),
                o.code,
                clip(&o.stderr),
                clip(&o.stdout)
            ));
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failed.len(),
        outcomes().len(),
        failed.join("\n\n")
    );
}

#[test]
fn no_bad_input_case_panics() {
    let panics: Vec<String> = outcomes()
        .iter()
        .filter(|(_, o)| o.stderr.contains("panicked at") || o.code == Some(101))
        .map(|(c, o)| format!("✗ {}\n    {}", c.name, clip(&o.stderr)))
        .collect();
    assert!(
        panics.is_empty(),
        "{} cases panicked:\n\n{}",
        panics.len(),
        panics.join("\n\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Regressions: inputs the fuzzers (fuzz/) found that crashed the library. Each feeds the saved
// input (fuzz/regressions/<target>/) the way its fuzz target does, and must not panic.
// ---------------------------------------------------------------------------------------------

fn regression_inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz")
        .join("regressions")
        .join(target);
    let mut out: Vec<(PathBuf, Vec<u8>)> = match std::fs::read_dir(&dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .map(|p| {
                let b = std::fs::read(&p).unwrap();
                (p, b)
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    out.sort();
    out
}

/// What the `readers` fuzz target does: the bytes as a .jsonl, a .csv and a .txt file, each
/// opened with `stance::corpus::open` and drained.
fn feed_readers(bytes: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    for name in ["in.jsonl", "in.csv", "in.txt"] {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        let opts = stance::corpus::ReadOptions {
            max_bytes: 1 << 16,
            ..Default::default()
        };
        if let Ok(records) = stance::corpus::open(p.to_str().unwrap(), &opts) {
            for r in records {
                let _ = r.item.map(|a| a.article.text.len());
            }
        }
    }
}

fn fuzz_registry() -> stance::Registry {
    stance::Registry::from_toml_str(
        "[[actor]]\nname = \"Russia\"\naliases = [\"Russian\", \"the Kremlin\", \"Moscow\"]\n\
         [[actor]]\nname = \"United States\"\naliases = [\"US\", \"U.S.\"]\n\
         [[actor]]\nname = \"Türkiye\"\naliases = [\"Ankara\", \"Turkish\"]\n",
    )
    .unwrap()
}

/// What the `text` fuzz target does.
fn feed_text(bytes: &[u8]) {
    if let Ok(s) = std::str::from_utf8(bytes) {
        let _ = stance::text::words(s);
        let _ = stance::text::sentences(s);
        let _ = fuzz_registry().mentions(s);
    }
}

/// What the `model_loader` fuzz target does.
fn feed_model(bytes: &[u8]) {
    let _ = stance::StanceModel::from_bytes(bytes, "fuzz.json");
}

fn replay(target: &str, feed: fn(&[u8])) {
    let mut crashed = Vec::new();
    for (path, bytes) in regression_inputs(target) {
        if std::panic::catch_unwind(|| feed(&bytes)).is_err() {
            crashed.push(path.display().to_string());
        }
    }
    assert!(
        crashed.is_empty(),
        "these saved inputs still panic: {crashed:#?}"
    );
}

#[test]
fn fuzz_regressions_readers() {
    replay("readers", feed_readers);
}

#[test]
fn fuzz_regressions_text() {
    replay("text", feed_text);
}

#[test]
fn fuzz_regressions_model_loader() {
    replay("model_loader", feed_model);
}

/// What the `model_sealed` fuzz target does: the bytes as a model file's body, sealed with a
/// checksum computed again, loaded, and a model that loads used to score.
fn feed_model_sealed(bytes: &[u8]) {
    use sha2::Digest;
    const KEY: &[u8] = b",\"checksum\":\"";
    let mut body = match bytes.windows(KEY.len()).rposition(|w| w == KEY) {
        Some(at) => bytes[..at].to_vec(),
        None => {
            let t = bytes.trim_ascii_end();
            t.strip_suffix(b"}").unwrap_or(t).to_vec()
        }
    };
    let sum: String = sha2::Sha256::digest(&body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    body.extend_from_slice(KEY);
    body.extend_from_slice(sum.as_bytes());
    body.extend_from_slice(b"\"}\n");
    if let Ok(m) = stance::StanceModel::from_bytes(&body, "fuzz.json") {
        let mut scorer = m.scorer(Default::default());
        let _ = scorer.score(&stance::Article::new(
            "f",
            "Iran was praised; Moscow was blamed.",
        ));
    }
}

/// What the `csv_stream` fuzz target does: a header, a pattern repeated, a tail, read as CSV.
fn feed_csv_stream(bytes: &[u8]) {
    if bytes.len() < 3 {
        return;
    }
    let max_bytes = 16usize << (bytes[0] % 12);
    let reps = u16::from_be_bytes([bytes[1], bytes[2]]) as usize;
    let mut pieces = bytes[3..].splitn(3, |&b| b == 0xFF);
    let (head, pattern, tail) = (
        pieces.next().unwrap_or_default(),
        pieces.next().unwrap_or_default(),
        pieces.next().unwrap_or_default(),
    );
    let times = reps.clamp(1, (4 << 20) / pattern.len().max(1));
    let stream = [head.to_vec(), pattern.repeat(times), tail.to_vec()].concat();
    let opts = stance::corpus::ReadOptions {
        max_bytes,
        ..Default::default()
    };
    let records = stance::corpus::open_stream(
        "fuzz.csv",
        Box::new(std::io::Cursor::new(stream)),
        stance::corpus::InputFormat::Csv,
        &opts,
    );
    for r in records {
        let _ = r.parse().item.map(|a| a.article.text.len());
    }
}

#[test]
fn fuzz_regressions_model_sealed() {
    replay("model_sealed", feed_model_sealed);
}

#[test]
fn fuzz_regressions_csv_stream() {
    replay("csv_stream", feed_csv_stream);
}

/// The first reader crash, written out: a JSON Lines date whose 10th byte falls inside a
/// multi-byte character (`check_article` slices `d[..10]`).
#[test]
fn regression_date_with_multibyte_char_at_byte_10_is_an_error_not_a_panic() {
    feed_readers("{\"text\":\"Iran.\",\"date\":\"2024-10-0é\"}\n".as_bytes());
}

/// The same in a text file's `date YYYY-MM-DD` opening (`split_date_opening` slices
/// `rest[..10]`).
#[test]
fn regression_text_file_date_opening_with_multibyte_char_is_not_a_panic() {
    feed_readers("date 2024-01-0é Iran was praised.\n".as_bytes());
}

// ---------------------------------------------------------------------------------------------
// Bounded memory (issue 17, item 3): the bytes the readers allocate, counted on the reading
// thread by a counting allocator.
// ---------------------------------------------------------------------------------------------

struct Counting;

thread_local! {
    static LIVE: std::cell::Cell<isize> = const { std::cell::Cell::new(0) };
    static PEAK: std::cell::Cell<isize> = const { std::cell::Cell::new(0) };
}

fn count(delta: isize) {
    let _ = LIVE.try_with(|l| {
        let now = l.get() + delta;
        l.set(now);
        let _ = PEAK.try_with(|p| p.set(p.get().max(now)));
    });
}

// SAFETY: every call is passed to the system allocator unchanged; only counted.
unsafe impl std::alloc::GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        count(layout.size() as isize);
        unsafe { std::alloc::System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        count(-(layout.size() as isize));
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new: usize) -> *mut u8 {
        count(new as isize - layout.size() as isize);
        unsafe { std::alloc::System.realloc(ptr, layout, new) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The most bytes live on this thread while `f` runs, above what was live before.
fn peak_bytes(f: impl FnOnce()) -> isize {
    let base = LIVE.with(|l| l.get());
    PEAK.with(|p| p.set(base));
    f();
    PEAK.with(|p| p.get()) - base
}

/// A gzip-compressed file holding `head`, then `n` bytes `a`, then `tail`.
fn gzip_bomb(path: &Path, head: &str, n: usize, tail: &str) {
    use std::io::Write;
    let f = std::fs::File::create(path).unwrap();
    let mut e = flate2::write::GzEncoder::new(f, flate2::Compression::fast());
    e.write_all(head.as_bytes()).unwrap();
    let block = vec![b'a'; 1 << 20];
    for _ in 0..n >> 20 {
        e.write_all(&block).unwrap();
    }
    e.write_all(tail.as_bytes()).unwrap();
    e.finish().unwrap();
}

#[test]
fn csv_and_jsonl_readers_hold_at_most_a_few_records_of_max_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let opts = stance::corpus::ReadOptions::default();
    let max = opts.max_bytes as isize;
    let field = 64 << 20;
    for (name, head, tail) in [
        // A quoted field of 64 MB, then a good row.
        ("quoted.csv.gz", "id,text\n1,\"", "\"\n2,Iran spoke.\n"),
        // A quote opened and never closed.
        ("open.csv.gz", "id,text\n1,\"", ""),
        // An unquoted field.
        ("plain.csv.gz", "id,text\n1,", "\n2,Iran spoke.\n"),
        // A header of 64 MB.
        ("header.csv.gz", "id,", "\n1,Iran spoke.\n"),
        // The JSON Lines reader, for comparison.
        (
            "line.jsonl.gz",
            "{\"id\":\"1\",\"text\":\"",
            "\"}\n{\"id\":\"2\",\"text\":\"Iran spoke.\"}\n",
        ),
    ] {
        let p = dir.path().join(name);
        gzip_bomb(&p, head, field, tail);
        let mut records = 0;
        let mut errors = Vec::new();
        let peak = peak_bytes(|| {
            for r in stance::corpus::open(p.to_str().unwrap(), &opts).unwrap() {
                records += 1;
                if let Err(e) = r.item {
                    errors.push(e.to_string());
                }
            }
        });
        // A record is held a few times over (the parser's buffer, its text, the header's
        // copies), never more: without the cap, the peak grows with the record.
        assert!(
            peak < 6 * max,
            "{name}: the reader held {peak} bytes at its peak for a {field}-byte record (--max-bytes {max})"
        );
        assert!(
            errors.iter().any(|e| e.contains("--max-bytes")),
            "{name}: {errors:?}"
        );
        assert!(records >= 1, "{name}");
    }
}

// ---------------------------------------------------------------------------------------------
// No verb ever writes to a path that is one of its inputs (issue 17, item 2, gone past): every
// verb, every output flag, every input, named as it is, through a hard link and through a
// symbolic link.
// ---------------------------------------------------------------------------------------------

/// The files every verb below reads.
fn verb_inputs() -> Vec<(&'static str, Vec<u8>)> {
    let t = trained();
    vec![
        (
            "in.jsonl",
            b"{\"id\":\"s1\",\"text\":\"Iran was praised.\"}\n".to_vec(),
        ),
        ("train.jsonl", TRAIN.as_bytes().to_vec()),
        ("actors.toml", ACTORS.as_bytes().to_vec()),
        ("model.json", t.bytes.clone()),
        ("scores.jsonl", t.scores.as_bytes().to_vec()),
        ("dec.jsonl", b"{\"not\":\"a decision file\"}\n".to_vec()),
    ]
}

/// A verb's command line, the output flags it has, and the inputs it reads.
fn verbs() -> Vec<(Vec<&'static str>, Vec<&'static str>, Vec<&'static str>)> {
    let train = || {
        vec![
            "--data",
            "train.jsonl",
            "--actors",
            "actors.toml",
            "--min-df",
            "1",
        ]
    };
    let mut v = vec![
        (
            vec![
                "score",
                "--model",
                "model.json",
                "--evidence",
                "0",
                "in.jsonl",
            ],
            vec!["--out", "--errors"],
            vec!["in.jsonl", "model.json"],
        ),
        (
            [vec!["train", "--no-cv"], train()].concat(),
            vec!["--out"],
            vec!["train.jsonl", "actors.toml"],
        ),
        (
            [vec!["eval", "--folds", "3"], train()].concat(),
            vec!["--oof"],
            vec!["train.jsonl", "actors.toml"],
        ),
        (
            vec!["eval", "--model", "model.json", "--data", "train.jsonl"],
            vec!["--oof"],
            vec!["train.jsonl", "model.json"],
        ),
        (
            [
                vec!["tune", "--folds", "3", "--no-nested", "--alpha", "1"],
                vec!["--ngrams", "1", "--window", "0", "--markers", "both"],
                train(),
            ]
            .concat(),
            vec!["--out"],
            vec!["train.jsonl", "actors.toml"],
        ),
        (
            vec![
                "compare",
                "scores.jsonl",
                "--model",
                "model.json",
                "--bootstrap",
                "20",
            ],
            vec!["--plot"],
            vec!["scores.jsonl", "model.json"],
        ),
        (
            vec![
                "report",
                "scores.jsonl",
                "--model",
                "model.json",
                "--bootstrap",
                "20",
            ],
            vec!["--out"],
            vec!["scores.jsonl", "model.json"],
        ),
        (
            vec![
                "label",
                "--data",
                "in.jsonl",
                "--model",
                "model.json",
                "--actors",
                "actors.toml",
                "--port",
                "0",
            ],
            vec!["--out"],
            vec!["in.jsonl", "model.json", "actors.toml"],
        ),
        (
            vec!["label", "--export", "dec.jsonl"],
            vec!["--out"],
            vec!["dec.jsonl"],
        ),
    ];
    // Every verb that reads a model reads it through --model: covered above.
    v.shrink_to_fit();
    v
}

#[test]
fn no_verb_ever_writes_to_a_path_that_is_one_of_its_inputs() {
    let mut runs = Vec::new();
    for (args, outputs, inputs) in verbs() {
        for out_flag in &outputs {
            for input in &inputs {
                for how in ["as named", "hard link", "symbolic link"] {
                    runs.push((args.clone(), *out_flag, *input, how));
                }
            }
        }
    }
    let failures: Vec<String> = std::thread::scope(|s| {
        let chunks: Vec<_> = runs.chunks(runs.len().div_ceil(4)).collect();
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                s.spawn(move || {
                    let mut failed = Vec::new();
                    for (args, flag, input, how) in chunk {
                        let dir = tempfile::tempdir().unwrap();
                        let files = verb_inputs();
                        for (name, bytes) in &files {
                            std::fs::write(dir.path().join(name), bytes).unwrap();
                        }
                        let target = match *how {
                            "as named" => input.to_string(),
                            "hard link" => {
                                std::fs::hard_link(
                                    dir.path().join(input),
                                    dir.path().join("alias"),
                                )
                                .unwrap();
                                "alias".to_string()
                            }
                            _ => {
                                std::os::unix::fs::symlink(input, dir.path().join("alias"))
                                    .unwrap();
                                "alias".to_string()
                            }
                        };
                        let out = stance()
                            .current_dir(dir.path())
                            .timeout(Duration::from_secs(30))
                            .args(args)
                            .args([flag, &target.as_str()])
                            .output()
                            .unwrap();
                        let what =
                            format!("stance {} {flag} {target} ({input}, {how})", args.join(" "));
                        let stderr = String::from_utf8_lossy(&out.stderr);
                        if out.status.success() || !stderr.contains("same file") {
                            failed.push(format!(
                                "{what}: exit {:?}, stderr: {}",
                                out.status.code(),
                                clip(&stderr)
                            ));
                        }
                        for (name, bytes) in &files {
                            if std::fs::read(dir.path().join(name)).ok().as_ref() != Some(bytes) {
                                failed.push(format!("{what}: {name} was written"));
                            }
                        }
                        failed.extend(
                            temp_files_left(dir.path())
                                .into_iter()
                                .map(|t| format!("{what}: {t}")),
                        );
                    }
                    failed
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    assert!(runs.len() >= 50, "{} runs", runs.len());
    assert!(
        failures.is_empty(),
        "{} of {} runs:\n{}",
        failures.len(),
        runs.len(),
        failures.join("\n")
    );
}

#[test]
fn score_refuses_a_standard_output_that_is_its_input() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    let text = "{\"id\":\"s1\",\"text\":\"Iran was praised.\"}\n";
    std::fs::write(&input, text).unwrap();
    std::fs::write(dir.path().join("model.json"), &trained().bytes).unwrap();
    // `stance score in.jsonl >> in.jsonl` would read its own output without end.
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("stance"))
        .current_dir(dir.path())
        .args(["score", "--model", "model.json", "in.jsonl"])
        .stdout(
            std::fs::OpenOptions::new()
                .append(true)
                .open(&input)
                .unwrap(),
        )
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("standard output is the same file as the input in.jsonl"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&input).unwrap(), text);
}

// ---------------------------------------------------------------------------------------------
// Pipes and kills (issue 17, item 12).
// ---------------------------------------------------------------------------------------------

#[test]
fn a_closed_pipe_ends_every_verb_quietly() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in verb_inputs() {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    // Enough scores that every output is larger than a pipe's buffer.
    let many: String = (0..400)
        .flat_map(|i| {
            trained().scores.lines().map(move |l| {
                format!(
                    "{}\n",
                    l.replacen("\"id\":\"t", &format!("\"id\":\"r{i}-t"), 1)
                )
            })
        })
        .collect();
    std::fs::write(dir.path().join("many.jsonl"), &many).unwrap();
    let big: String = (0..2000)
        .map(|i| format!("{{\"id\":\"b{i}\",\"text\":\"Iran was praised, Russia blamed.\"}}\n"))
        .collect();
    std::fs::write(dir.path().join("big.jsonl"), &big).unwrap();
    let compare = [
        "compare",
        "many.jsonl",
        "--model",
        "model.json",
        "--bootstrap",
        "20",
        "--by",
        "all",
    ];
    let cases: Vec<Vec<&str>> = vec![
        vec!["score", "--model", "model.json", "big.jsonl"],
        vec![
            "score",
            "--model",
            "model.json",
            "--format",
            "csv",
            "big.jsonl",
        ],
        [&compare[..], &["--format", "json"]].concat(),
        [&compare[..], &["--format", "csv"]].concat(),
        [&compare[..], &["--format", "jsonl"]].concat(),
        [&compare[..], &["--format", "text"]].concat(),
        vec![
            "eval",
            "--model",
            "model.json",
            "--data",
            "train.jsonl",
            "--oof",
            "/dev/stdout",
        ],
        vec!["explain", "--model", "model.json", "--top", "1000"],
    ];
    let mut failed = Vec::new();
    for args in &cases {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("stance"))
            .current_dir(dir.path())
            .args(args)
            .env("RUST_BACKTRACE", "0")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // The reader goes away before anything is written: `stance … | head -c 0`.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        if out.status.code() != Some(0)
            || stderr.contains("Broken pipe")
            || stderr.contains("os error 32")
        {
            failed.push(format!(
                "stance {}: exit {:?}, stderr: {}",
                args.join(" "),
                out.status.code(),
                clip(&stderr)
            ));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

#[test]
fn a_killed_training_leaves_no_temporary_file_and_the_previous_model_loads() {
    let dir = tempfile::tempdir().unwrap();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    let model = dir.path().join("m.json");
    std::fs::write(&model, &trained().bytes).unwrap();
    let mut kills = 0;
    for delay_ms in [5u64, 20, 50, 80, 120, 160, 200, 260, 330, 400, 500, 650] {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("stance"))
            .current_dir(dir.path())
            .args(["train", "--no-cv", "-q", "--out", "m.json", "--data"])
            .arg(data.join("articles.jsonl"))
            .arg("--actors")
            .arg(data.join("actors.toml"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            kills += 1;
        }
        let _ = child.wait();
        assert_eq!(
            temp_files_left(dir.path()),
            Vec::<String>::new(),
            "after {delay_ms} ms"
        );
        assert!(
            is_model(dir.path(), "m.json").is_empty(),
            "after {delay_ms} ms"
        );
    }
    assert!(
        kills >= 3,
        "only {kills} runs were still training when killed"
    );
}
