//! The command line: one file per verb, each a thin layer over the library.

pub mod compare;
pub mod eval;
pub mod explain;
pub mod label;
pub mod report;
pub mod score;
pub mod simulate;
pub mod train;
pub mod tune;

use clap::{Args, Parser, Subcommand};
use stance::corpus::{Columns, InputFormat, ReadOptions};
use stance::features::{CharSource, FeatureConfig};
use stance::model::{ClassWeight, LogisticConfig, Solver};
use stance::pipeline::{Polarity, TrainConfig};
use stance::{context::ContextConfig, Registry};
use std::io::Write;
use std::path::PathBuf;

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

impl Command {
    pub fn run(self) -> anyhow::Result<i32> {
        match self {
            Command::Train(c) => c.run(),
            Command::Eval(c) => c.run(),
            Command::Score(c) => c.run(),
            Command::Compare(c) => c.run(),
            Command::Explain(c) => c.run(),
            Command::Simulate(c) => c.run(),
            Command::Report(c) => c.run(),
            Command::Tune(c) => c.run(),
            Command::Label(c) => c.run(),
        }
    }
}

/// How input records are read.
#[derive(Args, Clone)]
pub struct ReadArgs {
    /// Input format; by default from the file name (.jsonl, .csv, .txt, a folder; .gz looked
    /// through), and JSON Lines for standard input.
    #[arg(long, value_enum)]
    pub input_format: Option<InputFormat>,
    /// Field (JSON key or CSV column) holding the article id.
    #[arg(long, default_value = "id")]
    pub id_col: String,
    /// Field holding the article text.
    #[arg(long, default_value = "text")]
    pub text_col: String,
    /// Field holding the source (outlet).
    #[arg(long, default_value = "source")]
    pub source_col: String,
    /// Field holding the date (YYYY-MM-DD).
    #[arg(long, default_value = "date")]
    pub date_col: String,
    /// Field holding the actor, in long-form labels (one row per article and actor).
    #[arg(long, default_value = "actor")]
    pub actor_col: String,
    /// Field holding the stance labels ({actor: label}, or one label in long form).
    #[arg(long, default_value = "stance")]
    pub stance_col: String,
    /// Field holding the sentiment label.
    #[arg(long, default_value = "sentiment")]
    pub sentiment_col: String,
    /// Source given to articles that have none (text files: the folder name by default).
    #[arg(long)]
    pub source: Option<String>,
    /// Longest accepted record in bytes; a longer one is reported as an error record.
    #[arg(long, default_value_t = 5 * 1024 * 1024)]
    pub max_bytes: usize,
}

impl ReadArgs {
    pub fn options(&self) -> ReadOptions {
        ReadOptions {
            format: self.input_format,
            columns: Columns {
                id: self.id_col.clone(),
                text: self.text_col.clone(),
                source: self.source_col.clone(),
                date: self.date_col.clone(),
                title: "title".into(),
                actor: self.actor_col.clone(),
                stance: self.stance_col.clone(),
                sentiment: self.sentiment_col.clone(),
            },
            source: self.source.clone(),
            max_bytes: self.max_bytes,
        }
    }
}

/// Folds: a whole number of at least 2.
pub fn parse_folds(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(k) if k >= 2 => Ok(k),
        _ => Err(format!(
            "expected a whole number of folds, at least 2, got \"{s}\""
        )),
    }
}

/// A positive whole number (bootstrap resamples, permutations, repetitions).
pub fn parse_positive(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(k) if k >= 1 => Ok(k),
        _ => Err(format!(
            "expected a whole number of at least 1, got \"{s}\""
        )),
    }
}

/// Parses "1-2" or "3" into an inclusive range.
pub fn parse_range(s: &str) -> Result<(usize, usize), String> {
    let (a, b) = s.split_once('-').unwrap_or((s, s));
    let a: usize = a
        .trim()
        .parse()
        .map_err(|_| format!("expected N or N-M, got \"{s}\""))?;
    let b: usize = b
        .trim()
        .parse()
        .map_err(|_| format!("expected N or N-M, got \"{s}\""))?;
    Ok((a, b))
}

/// Parses a window: a number of sentences, or "all" (every sentence of the article).
pub fn parse_window(s: &str) -> Result<usize, String> {
    if s.trim() == "all" {
        return Ok(usize::MAX);
    }
    s.trim()
        .parse::<usize>()
        .map_err(|_| format!("\"{s}\" is not a number of sentences or \"all\""))
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CharSourceArg {
    Stem,
    Word,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Markers {
    Both,
    Target,
    None,
}

/// Labeled data to learn from: the files, the actors, how to read them.
#[derive(Args, Clone)]
pub struct LabeledArgs {
    /// Labeled articles (JSONL, CSV or text; nested or long-form labels). Repeatable.
    #[arg(long, required = true, num_args = 1..)]
    pub data: Vec<String>,
    /// Actors file (TOML). Actors named in the labels but not here are matched by their name.
    #[arg(long)]
    pub actors: Option<PathBuf>,
    /// Train on the good records even if some are bad (they are listed on stderr).
    #[arg(long)]
    pub skip_bad: bool,
    #[command(flatten)]
    pub read: ReadArgs,
}

impl LabeledArgs {
    /// Reads the labeled data with `actors` (see [`read_training`]).
    pub fn read(&self, actors: &Registry) -> anyhow::Result<stance::TrainingSet> {
        read_training(&self.data, &self.read, actors, self.skip_bad)
    }
}

/// Model and featurizer settings for training.
#[derive(Args, Clone)]
pub struct ModelArgs {
    /// Word n-gram lengths, N or N-M.
    #[arg(long, default_value = "1-2", value_parser = parse_range)]
    pub ngrams: (usize, usize),
    /// Character n-gram lengths of each stem (or word, see --char-source), N-M (off by default).
    #[arg(long, value_parser = parse_range)]
    pub char_ngrams: Option<(usize, usize)>,
    /// Take character n-grams from the stem or from the word as written (lower-cased).
    #[arg(long, value_enum, default_value = "stem")]
    pub char_source: CharSourceArg,
    /// L2-normalise word features and character n-grams as two separate blocks.
    #[arg(long)]
    pub block_norm: bool,
    /// Words at most N words before or after the target also give a side-conjoined feature
    /// (0: off).
    #[arg(long, default_value_t = 0)]
    pub near_target: usize,
    /// Words in a negation's scope (not, never, …n't up to punctuation) also give a negated
    /// feature.
    #[arg(long)]
    pub negation: bool,
    /// Counts of words of the built-in sentiment lexicon (overall and near the target) as
    /// features.
    #[arg(long)]
    pub lexicon: bool,
    /// Feature augmentation: each word in an actor's context also gives a per-actor copy, so
    /// the model learns shared weights and per-actor corrections (needs the actor prior).
    #[arg(long)]
    pub per_actor: bool,
    /// Use raw term counts instead of 1 + ln(tf).
    #[arg(long)]
    pub no_sublinear: bool,
    /// Drop features seen in fewer training documents than this.
    #[arg(long, default_value_t = 2)]
    pub min_df: usize,
    /// Keep at most this many features.
    #[arg(long, default_value_t = 200_000)]
    pub max_features: usize,
    /// Stemmer language ("none" to keep words as they are).
    #[arg(long, default_value = "english")]
    pub language: String,
    /// Sentences taken on each side of a sentence that mentions the actor ("all": the whole
    /// text, with the actor marked).
    #[arg(long, default_value = "0", value_parser = parse_window)]
    pub window: usize,
    /// Which mentions are replaced by markers: the target's and other actors' (both), only the
    /// target's, or none (names stay words).
    #[arg(long, value_enum, default_value = "both")]
    pub markers: Markers,
    /// Do not give the model the actor's identity as a feature (no per-actor prior).
    #[arg(long)]
    pub no_actor_prior: bool,
    /// L2 penalty (linfa's alpha).
    #[arg(long, default_value_t = 1.0)]
    pub alpha: f64,
    /// Most solver iterations.
    #[arg(long, default_value_t = 1000)]
    pub max_iter: u64,
    /// Stop when the gradient norm is below this.
    #[arg(long, default_value_t = 1e-4)]
    pub tol: f64,
    /// Weight examples so each label counts equally in total.
    #[arg(long, value_enum, default_value = "balanced")]
    pub class_weight: ClassWeight,
    /// sparse: our L-BFGS on sparse rows; linfa: linfa-logistic's dense solver (small sets).
    #[arg(long, value_enum, default_value = "sparse")]
    pub solver: Solver,
    /// The stance label that counts as positive in the signed score (default: favor/pro/...).
    #[arg(long)]
    pub positive_label: Option<String>,
    /// The stance label that counts as negative (default: against/anti/...).
    #[arg(long)]
    pub negative_label: Option<String>,
}

impl ModelArgs {
    pub fn config(&self) -> TrainConfig {
        TrainConfig {
            features: FeatureConfig {
                word_ngrams: self.ngrams,
                char_ngrams: self.char_ngrams,
                sublinear_tf: !self.no_sublinear,
                min_df: self.min_df,
                max_features: Some(self.max_features),
                language: self.language.clone(),
                char_source: match self.char_source {
                    CharSourceArg::Stem => CharSource::Stem,
                    CharSourceArg::Word => CharSource::Word,
                },
                block_norm: self.block_norm,
                near_target: self.near_target,
                negation: self.negation,
                lexicon: self.lexicon,
                per_actor: self.per_actor,
            },
            context: ContextConfig {
                window: self.window,
                mark_target: self.markers != Markers::None,
                mark_others: self.markers == Markers::Both,
                actor_prior: !self.no_actor_prior,
            },
            logistic: LogisticConfig {
                alpha: self.alpha,
                max_iterations: self.max_iter,
                gradient_tolerance: self.tol,
                class_weight: self.class_weight,
                solver: self.solver,
            },
            polarity: Polarity {
                stance_positive: self.positive_label.clone(),
                stance_negative: self.negative_label.clone(),
                sentiment_positive: None,
                sentiment_negative: None,
            },
        }
    }
}

/// Warns when cross-validation fits stopped at the iteration limit before converging.
pub fn warn_unconverged(unconverged: usize, folds: usize, max_iter: u64) {
    if unconverged > 0 {
        eprintln!(
            "stance: warning: {unconverged} of the cross-validation fits ({folds} folds) stopped at --max-iter {max_iter} before converging; raise --max-iter"
        );
    }
}

/// Loads the actors file, or an empty registry.
pub fn load_actors(path: Option<&PathBuf>) -> anyhow::Result<Registry> {
    Ok(match path {
        Some(p) => Registry::from_toml_file(p)?,
        None => Registry::empty(),
    })
}

/// Reads labeled data; every bad record is reported (up to `cap`), and any makes it fail
/// unless `skip_bad`.
pub fn read_training(
    data: &[String],
    read: &ReadArgs,
    actors: &Registry,
    skip_bad: bool,
) -> anyhow::Result<stance::TrainingSet> {
    let (articles, errors) = stance::corpus::read_labeled(data, &read.options())?;
    if !errors.is_empty() {
        const CAP: usize = 50;
        let mut msg = String::new();
        for e in errors.iter().take(CAP) {
            msg.push_str(&format!("  {e}\n"));
        }
        if errors.len() > CAP {
            msg.push_str(&format!("  … and {} more\n", errors.len() - CAP));
        }
        if !skip_bad {
            anyhow::bail!(
                "{} bad record{} in the labeled data (nothing was trained; fix them or pass --skip-bad):\n{}",
                errors.len(),
                if errors.len() == 1 { "" } else { "s" },
                msg.trim_end()
            );
        }
        eprintln!(
            "stance: skipping {} bad record{}:\n{}",
            errors.len(),
            if errors.len() == 1 { "" } else { "s" },
            msg.trim_end()
        );
    }
    if articles.is_empty() && errors.is_empty() {
        anyhow::bail!(
            "no labeled articles: no records in {} (the input is empty or holds only blank lines)",
            data.join(", ")
        );
    }
    let set = stance::TrainingSet::new(articles, actors)?;
    for w in set.warnings.iter().take(20) {
        eprintln!("stance: warning: {w}");
    }
    if set.warnings.len() > 20 {
        eprintln!("stance: … and {} more warnings", set.warnings.len() - 20);
    }
    Ok(set)
}

/// Warns about labels with fewer examples than folds: some folds will hold none of them, and
/// their per-fold scores mean little.
pub fn warn_rare_labels(set: &stance::TrainingSet, folds: usize) {
    let mut count = vec![0usize; set.stance_classes.len()];
    set.examples.iter().for_each(|e| count[e.label] += 1);
    for (c, n) in set.stance_classes.iter().zip(count) {
        if n < folds {
            eprintln!(
                "stance: warning: stance label \"{c}\" has {n} example{}, fewer than the {folds} folds: some folds hold none of it",
                if n == 1 { "" } else { "s" }
            );
        }
    }
}

/// Prints an aligned table: the first row is the header; columns after the first are
/// right-aligned.
pub fn table(out: &mut dyn Write, rows: &[Vec<String>]) -> std::io::Result<()> {
    let Some(first) = rows.first() else {
        return Ok(());
    };
    let widths: Vec<usize> = (0..first.len())
        .map(|c| {
            rows.iter()
                .map(|r| r.get(c).map_or(0, |s| s.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    for r in rows {
        let mut line = String::new();
        for (c, cell) in r.iter().enumerate() {
            let pad = widths[c] - cell.chars().count();
            if c == 0 {
                line.push_str(cell);
                line.push_str(&" ".repeat(pad));
            } else {
                line.push_str("  ");
                line.push_str(&" ".repeat(pad));
                line.push_str(cell);
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

/// Opens `--out FILE` or standard output.
pub fn output(path: Option<&PathBuf>) -> anyhow::Result<Box<dyn Write + Send>> {
    Ok(match path {
        Some(p) if p.as_os_str() != "-" => Box::new(std::io::BufWriter::with_capacity(
            1 << 16,
            std::fs::File::create(p).map_err(|e| stance::Error::io(p, e))?,
        )),
        _ => Box::new(std::io::BufWriter::with_capacity(
            1 << 16,
            std::io::stdout(),
        )),
    })
}

pub fn f3(x: f64) -> String {
    format!("{x:.3}")
}
