//! The command line: one file per verb, each a thin layer over the library (parse the flags,
//! make one library call, print). Verbs never import each other; what several share is in
//! [`args`] (flag groups) and [`print`] (how reports are shown).

pub mod args;
pub mod auto;
pub mod compare;
pub mod eval;
pub mod explain;
pub mod label;
pub mod print;
pub mod report;
pub mod score;
pub mod simulate;
pub mod train;
pub mod tune;

use clap::parser::ValueSource;
use clap::{ArgMatches, Parser, Subcommand};
use std::collections::BTreeSet;

#[derive(Parser)]
#[command(
    name = "stance",
    version,
    about = "Stance toward the actors news articles name, and their sentiment: train, evaluate, score, compare.",
    long_about = "Stance toward the actors news articles name (countries, groups, people), and each article's sentiment.\n\nA TF-IDF featurizer and a multinomial logistic model, trained on a small hand-labeled set and judged by cross-validation.\n\nExit status: 0 success, 1 runtime error (or a record that failed), 2 usage error."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    Train(train::TrainCmd),
    Eval(eval::EvalCmd),
    Score(score::ScoreCmd),
    Compare(compare::CompareCmd),
    Explain(explain::ExplainCmd),
    Simulate(simulate::SimulateCmd),
    Report(report::ReportCmd),
    Tune(tune::TuneCmd),
    Label(label::LabelCmd),
}

/// The flags given on the command line (not defaulted), by their ids: for verbs whose
/// meaning depends on whether a flag was given.
#[derive(Debug, Default, Clone)]
pub struct Given(BTreeSet<String>);

impl Given {
    /// The flags given to the verb of `matches`.
    pub fn of(matches: &ArgMatches) -> Given {
        let Some((_, m)) = matches.subcommand() else {
            return Given::default();
        };
        Given(
            m.ids()
                .filter(|id| m.value_source(id.as_str()) == Some(ValueSource::CommandLine))
                .map(|id| id.to_string())
                .collect(),
        )
    }

    /// Whether the flag with id `id` was given.
    pub fn contains(&self, id: &str) -> bool {
        self.0.contains(id)
    }
}

impl Command {
    pub fn run(self, given: &Given) -> anyhow::Result<i32> {
        match self {
            Command::Train(c) => c.run(),
            Command::Eval(c) => c.run(),
            Command::Score(c) => c.run(),
            Command::Compare(c) => c.run(),
            Command::Explain(c) => c.run(),
            Command::Simulate(c) => c.run(),
            Command::Report(c) => c.run(),
            Command::Tune(c) => c.run(given),

            Command::Label(c) => c.run(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stance::pipeline::TrainConfig;

    fn parse(args: &[&str]) -> Command {
        Cli::try_parse_from(std::iter::once("stance").chain(args.iter().copied()))
            .unwrap_or_else(|e| panic!("{e}"))
            .command
    }

    #[test]
    fn no_flags_give_the_library_defaults() {
        let Command::Train(t) = parse(&["train", "--data", "x.jsonl", "--out", "m.json"]) else {
            panic!("not train");
        };
        assert_eq!(t.model_args.config(), TrainConfig::default());
        let Command::Eval(e) = parse(&["eval", "--data", "x.jsonl"]) else {
            panic!("not eval");
        };
        assert_eq!(e.model_args.config(), TrainConfig::default());
        assert_eq!(e.cv.options(), stance::pipeline::CvOptions::default());
    }

    #[test]
    fn flags_reach_the_settings() {
        let Command::Train(t) = parse(&[
            "train",
            "--data",
            "x",
            "--out",
            "m",
            "--window",
            "all",
            "--markers",
            "target",
            "--ngrams",
            "1-3",
            "--char-ngrams",
            "2-5",
            "--alpha",
            "0.5",
        ]) else {
            panic!("not train");
        };
        let c = t.model_args.config();
        assert_eq!(c.context.window, stance::context::Window::All);
        assert_eq!(c.context.markers, stance::context::Markers::Target);
        assert_eq!(c.features.word_ngrams, (1, 3));
        assert_eq!(c.features.char_ngrams, Some((2, 5)));
        assert_eq!(c.logistic.alpha, 0.5);
    }

    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    /// Splits an example line into words (single and double quotes group).
    fn words(line: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut cur = String::new();
        let mut quote: Option<char> = None;
        let mut any = false;
        for c in line.chars() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), c) => cur.push(c),
                (None, '\'' | '"') => {
                    quote = Some(c);
                    any = true;
                }
                (None, ' ') => {
                    if any || !cur.is_empty() {
                        out.push(std::mem::take(&mut cur));
                    }
                    any = false;
                }
                (None, c) => cur.push(c),
            }
        }
        if any || !cur.is_empty() {
            out.push(cur);
        }
        out
    }

    #[test]
    fn every_example_in_the_help_parses() {
        use clap::CommandFactory;
        let mut cmd = Cli::command();
        let mut checked = 0;
        for sub in cmd.get_subcommands_mut() {
            let help = sub.render_long_help().to_string();
            for line in help
                .lines()
                .map(str::trim)
                .filter(|l| l.starts_with("stance "))
            {
                // Only the first command of a pipeline or sequence; no comments.
                let first = line.split(['|', '>']).next().unwrap_or(line);
                let first = first.split("&&").next().unwrap_or(first);
                let first = first.split("  (").next().unwrap_or(first);
                let first = first.split(" #").next().unwrap_or(first);
                let w = words(first.trim());
                if let Err(e) = Cli::try_parse_from(&w) {
                    panic!(
                        "the example `{line}` of `stance {}` does not parse:\n{e}",
                        sub.get_name()
                    );
                }
                checked += 1;
            }
        }
        assert!(checked >= 15, "only {checked} examples found");
    }

    #[test]
    fn every_flag_has_help() {
        use clap::CommandFactory;
        let cmd = Cli::command();
        let mut missing = Vec::new();
        for sub in cmd.get_subcommands() {
            for a in sub.get_arguments() {
                let empty = a.get_help().is_none_or(|h| h.to_string().trim().is_empty());
                if empty && a.get_id() != "help" && a.get_id() != "version" {
                    missing.push(format!("{} --{}", sub.get_name(), a.get_id()));
                }
            }
        }
        assert!(missing.is_empty(), "flags without help: {missing:?}");
    }

    #[test]
    fn score_does_not_offer_label_flags() {
        use clap::CommandFactory;
        let cmd = Cli::command();
        let score = cmd.find_subcommand("score").unwrap();
        let ids: Vec<&str> = score.get_arguments().map(|a| a.get_id().as_str()).collect();
        for label_flag in ["actor_col", "stance_col", "sentiment_col"] {
            assert!(!ids.contains(&label_flag), "score has --{label_flag}");
        }
        let train = cmd.find_subcommand("train").unwrap();
        assert!(train.get_arguments().any(|a| a.get_id() == "stance_col"));
    }

    #[test]
    fn the_winners_training_command_reads_back_to_the_same_settings() {
        // Every setting train_command can write, away from its default.
        let given = [
            "train",
            "--data",
            "my data.jsonl",
            "--actors",
            "a.toml",
            "--text-col",
            "body",
            "--stance-col",
            "position",
            "--out",
            "m.json",
            "--ngrams",
            "1-3",
            "--char-ngrams",
            "2-4",
            "--char-source",
            "word",
            "--block-norm",
            "--near-target",
            "5",
            "--negation",
            "--lexicon",
            "--per-actor",
            "--no-sublinear",
            "--min-df",
            "3",
            "--max-features",
            "5000",
            "--language",
            "german",
            "--window",
            "all",
            "--markers",
            "target",
            "--no-actor-prior",
            "--alpha",
            "0.3",
            "--max-iter",
            "77",
            "--tol",
            "0.001",
            "--class-weight",
            "none",
            "--solver",
            "linfa",
            "--positive-label",
            "pro",
            "--negative-label",
            "anti",
            "--folds",
            "3",
            "--seed",
            "7",
            "--group-by",
            "story",
        ];
        let Command::Train(t) = parse(&given) else {
            panic!("not train");
        };
        let cfg = t.model_args.config();
        assert_ne!(cfg, TrainConfig::default());
        let command = args::train_command(
            &t.labeled,
            &cfg,
            &t.cv.options(),
            Some(std::path::Path::new("m.json")),
        );
        let w = words(&command);
        assert_eq!(&w[..2], ["stance", "train"], "{command}");
        let Command::Train(back) = parse(&w[1..].iter().map(String::as_str).collect::<Vec<_>>())
        else {
            panic!("not train");
        };
        assert_eq!(back.model_args.config(), cfg, "{command}");
        // The folds travel too: they decide the report, the calibration and auto's estimator.
        assert_eq!(back.cv.options(), t.cv.options(), "{command}");
        assert_eq!(back.labeled.data, ["my data.jsonl"]);
        assert_eq!(back.labeled.read.text_col, "body");
        assert_eq!(back.labeled.labels.stance_col, "position");
        assert_eq!(back.out, std::path::Path::new("m.json"));
        // With the defaults, only the data flags and --out.
        assert_eq!(
            args::train_command(
                &t.labeled,
                &TrainConfig::default(),
                &stance::pipeline::CvOptions::default(),
                None
            ),
            "stance train --data 'my data.jsonl' --actors a.toml --text-col body --stance-col position --out model.json"
        );
    }

    #[test]
    fn eval_of_a_model_refuses_flags_that_cannot_apply() {
        for extra in [
            &["--alpha", "7"][..],
            &["--folds", "9"],
            &["--ngrams", "3-4"],
            &["--seed", "1"],
        ] {
            let mut args = vec!["stance", "eval", "--model", "m.json", "--data", "d.jsonl"];
            args.extend_from_slice(extra);
            let e = Cli::try_parse_from(&args)
                .err()
                .unwrap_or_else(|| panic!("{args:?} parsed"));
            assert_eq!(
                e.kind(),
                clap::error::ErrorKind::ArgumentConflict,
                "{args:?}"
            );
        }
        // Without --model they are cross-validation settings.
        assert!(Cli::try_parse_from([
            "stance", "eval", "--data", "d", "--alpha", "7", "--folds", "9"
        ])
        .is_ok());
    }

    #[test]
    fn formats_are_one_set_each_verb_accepting_its_own() {
        for (ok, args) in [
            (true, &["score", "x", "--format", "csv"][..]),
            (false, &["score", "x", "--format", "text"]),
            (true, &["compare", "s", "--format", "jsonl"]),
            (true, &["compare", "s", "--format", "json"]),
            (false, &["eval", "--data", "d", "--format", "csv"]),
            (true, &["simulate", "--data", "d", "--format", "json"]),
            (false, &["simulate", "--json"]),
            (true, &["tune", "--data", "d", "--format", "json"]),
        ] {
            let r = Cli::try_parse_from(std::iter::once("stance").chain(args.iter().copied()));
            assert_eq!(r.is_ok(), ok, "{args:?}");
        }
    }

    fn tune_grid(args: &[&str]) -> stance::tune::Grid {
        use clap::{CommandFactory, FromArgMatches};
        let full: Vec<&str> = ["stance", "tune", "--data", "d.jsonl"]
            .into_iter()
            .chain(args.iter().copied())
            .collect();
        let m = Cli::command().try_get_matches_from(&full).unwrap();
        let Command::Tune(t) = Cli::from_arg_matches(&m).unwrap().command else {
            panic!("not tune");
        };
        t.grid(&Given::of(&m)).unwrap()
    }

    #[test]
    fn tune_holds_a_single_flag_fixed_and_searches_the_rest() {
        use stance::context::{Markers, Window};
        let g = tune_grid(&["--ngrams", "1-3", "--alpha", "2"]);
        assert_eq!(g.ngrams, vec![(1, 3)]);
        assert_eq!(g.alpha, vec![2.0]);
        assert_eq!(g.window, vec![Window::Sentences(0), Window::Sentences(1)]);
        assert_eq!(g.markers, vec![Markers::Both, Markers::None]);
        let g = tune_grid(&["--alpha-grid", "0.1,1", "--window-grid", "0,all"]);
        assert_eq!(g.alpha, vec![0.1, 1.0]);
        assert_eq!(g.window, vec![Window::Sentences(0), Window::All]);
        assert_eq!(
            g.alpha.len() * g.ngrams.len() * g.window.len() * g.markers.len(),
            16
        );
        // A single flag and its grid together are a usage error.
        assert!(Cli::try_parse_from([
            "stance",
            "tune",
            "--data",
            "d",
            "--alpha",
            "1",
            "--alpha-grid",
            "1,2"
        ])
        .is_err());
    }
}
