//! The command line: one file per verb, each a thin layer over the library (parse the flags,
//! make one library call, print). Verbs never import each other; what several share is in
//! [`args`] (flag groups) and [`print`] (how reports are shown).

pub mod args;
pub mod compare;
pub mod eval;
pub mod explain;
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
}
