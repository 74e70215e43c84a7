//! `stance score`: score articles in batch, streaming, in parallel, every input record accounted
//! for in input order.

use super::args::{ModelArg, OutputFormat, ReadArgs};
use clap::Args;
use stance::corpus;
use stance::output::{Output, Target};
use stance::pipeline::{ScoreOptions, StanceModel};
use stance::scores::ScoreFormat;
use stance::stream::{score_stream, Sinks, StreamCounts, StreamOptions};
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Args)]
#[command(
    about = "Score articles: sentiment, and stance toward every actor each one names",
    after_help = "Examples:\n  stance score data/articles.jsonl > scores.jsonl\n  stance score --model models/default.json ../shared/seeds/ --format csv\n  cat articles.jsonl | stance score - --actor Iran --evidence 0 > iran.jsonl\n\nOne output record per input record, in input order: a score, or an error record\n{\"id\", \"file\", \"line\", \"error\"} (or to --errors FILE). Exit status 1 if any record failed."
)]
pub struct ScoreCmd {
    /// Articles: JSONL, CSV, text files or folders of them, .gz, or - for standard input.
    #[arg(default_value = "-")]
    pub inputs: Vec<String>,
    #[command(flatten)]
    pub model: ModelArg,
    /// Output format (default: from --out's extension, else jsonl).
    #[arg(long, value_parser = OutputFormat::parser(&[OutputFormat::Jsonl, OutputFormat::Csv]))]
    pub format: Option<OutputFormat>,
    /// Write to this file instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Also score this actor when an article does not name it (whole text as context). Repeatable.
    #[arg(long = "actor")]
    pub actors: Vec<String>,
    /// Score only the actors given with --actor.
    #[arg(long)]
    pub only_actors: bool,
    /// An actors file whose actors and aliases are added to the model's, without retraining
    /// (a new actor is scored from its context, with no prior of its own).
    #[arg(long = "actors", value_name = "FILE")]
    pub actors_file: Option<PathBuf>,
    /// List each actor's mentions in the JSON records ("matches": character offsets, the
    /// alias or automatic name form that matched, "automatic": true for the latter), to audit
    /// the matching.
    #[arg(long)]
    pub matches: bool,
    /// Evidence sentences per actor (0 for none, which is faster).
    #[arg(long, default_value_t = ScoreOptions::default().evidence)]
    pub evidence: usize,
    /// Print the classifier's own probabilities, not the calibrated ones (temperature scaling
    /// fitted on the out-of-fold predictions at training; the labels are the same either
    /// way). `stance compare` refuses such records.
    #[arg(long)]
    pub raw_probabilities: bool,
    /// Worker threads (default: all cores; at most 1024).
    #[arg(long, value_parser = parse_threads)]
    pub threads: Option<usize>,
    /// Write error records to this file (JSONL) instead of into the output.
    #[arg(long)]
    pub errors: Option<PathBuf>,
    /// Stop with exit status 1 after this many bad records.
    #[arg(long)]
    pub max_errors: Option<usize>,
    /// Records per batch (memory is bounded by this, not by the input size).
    #[arg(long, default_value_t = 1024, value_parser = super::args::parse_positive)]
    pub batch: usize,
    /// No summary line on stderr.
    #[arg(long, short)]
    pub quiet: bool,
    /// Exit 0 even when some records failed (each is still reported in the output or
    /// --errors): for engines that fail a whole task on a non-zero status.
    #[arg(long)]
    pub ok_on_bad_records: bool,
    #[command(flatten)]
    pub read: ReadArgs,
}

impl ScoreCmd {
    pub fn run(self) -> anyhow::Result<i32> {
        self.check_paths()?;
        let mut model = self.model.load()?;
        if let Some(p) = &self.actors_file {
            super::args::add_actors(&mut model, p)?;
        }
        self.check_actors(&model)?;
        let opts = self.stream_options(self.output_format(&model));
        let mut out = super::args::output(self.out.as_ref())?;
        let mut errors_out = match &self.errors {
            Some(p) => Some(Output::create(p, Target::FileOrStream)?),
            None => None,
        };
        if let Some(h) = opts.format.header() {
            writeln!(out, "{h}")?;
        }
        let start = Instant::now();
        let read = self.read.options(None);
        let mut streams = Vec::new();
        for input in &self.inputs {
            streams.push(corpus::open_pending(input, &read)?);
        }
        let bar = progress_bar(&self.inputs, self.quiet);
        let progress = |c: &StreamCounts| {
            bar.set_position(c.input_bytes);
            bar.set_message(format!("{} articles, {} errors", c.ok, c.errors));
        };
        let counts = score_stream(
            &model,
            streams.into_iter().flatten(),
            Sinks {
                out: &mut out,
                errors: errors_out
                    .as_mut()
                    .map(|w| w as &mut (dyn std::io::Write + Send)),
            },
            &opts,
            &progress,
        );
        bar.finish_and_clear();
        let c = counts?;
        let secs = start.elapsed().as_secs_f64();
        if let Some(e) = errors_out {
            e.commit()?;
        }
        if c.aborted {
            // The output is not whole: nothing goes under its name (standard output has had
            // the records up to the stop).
            drop(out);
            self.report_abort(&c);
            return Ok(1);
        }
        out.commit()?;
        if let Some(w) = c.language_warning(&model.config.features.language) {
            eprintln!("stance: warning: {w}");
        }
        if !self.quiet {
            report_summary(&c, secs);
        }
        Ok(if c.errors > 0 && !self.ok_on_bad_records {
            1
        } else {
            0
        })
    }

    /// No output may be one of the inputs (the model included).
    fn check_paths(&self) -> anyhow::Result<()> {
        let mut inputs: Vec<(&str, &Path)> = self
            .inputs
            .iter()
            .map(|i| ("the input", Path::new(i)))
            .collect();
        if let Some(m) = &self.model.model {
            inputs.push(("--model", m.as_path()));
        }
        if let Some(a) = &self.actors_file {
            inputs.push(("--actors", a.as_path()));
        }
        let mut outputs = vec![(
            "--out",
            self.out.as_deref().unwrap_or(Path::new("-")),
            Target::FileOrStream,
        )];
        if let Some(e) = &self.errors {
            outputs.push(("--errors", e.as_path(), Target::FileOrStream));
        }
        super::args::check_files(&inputs, &outputs)?;
        Ok(())
    }

    /// Every --actor is an actor of the model.
    fn check_actors(&self, model: &StanceModel) -> anyhow::Result<()> {
        for a in &self.actors {
            if model.registry.index(a).is_none() {
                anyhow::bail!(
                    "--actor \"{a}\" is not an actor of the model (its actors: {})",
                    model
                        .registry
                        .actors()
                        .iter()
                        .map(|a| a.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
        }
        Ok(())
    }

    /// CSV when --format csv, or without --format when --out ends in .csv; else JSON Lines.
    fn output_format(&self, model: &StanceModel) -> ScoreFormat {
        let csv = match self.format {
            Some(f) => f == OutputFormat::Csv,
            None => self
                .out
                .as_ref()
                .is_some_and(|p| p.extension().is_some_and(|e| e == "csv")),
        };
        if csv {
            ScoreFormat::csv_for(model)
        } else {
            ScoreFormat::Jsonl
        }
    }

    /// The streaming engine's options from the flags.
    fn stream_options(&self, format: ScoreFormat) -> StreamOptions {
        let threads = self
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            .max(1);
        StreamOptions {
            score: ScoreOptions {
                actors: self.actors.clone(),
                only_listed: self.only_actors,
                evidence: self.evidence,
                raw_probabilities: self.raw_probabilities,
                matches: self.matches,
            },
            format,
            threads,
            batch: self.batch,
            max_errors: self.max_errors,
        }
    }

    /// Says that --max-errors stopped the run, and what was (not) written.
    fn report_abort(&self, c: &StreamCounts) {
        let left = match &self.out {
            Some(p) if p.as_os_str() != "-" => {
                format!("; nothing was written to {}", p.display())
            }
            _ => String::new(),
        };
        eprintln!(
            "stance: stopped after {} bad records (--max-errors); {} articles were scored before that{left}",
            c.errors, c.ok
        );
    }
}

/// The summary line on stderr: counts, megabytes of text, time and throughput.
fn report_summary(c: &StreamCounts, secs: f64) {
    eprintln!(
        "stance: {} articles scored, {} actor scores, {} errors; {:.1} MB of text in {:.2} s ({:.1} MB/s)",
        c.ok,
        c.actors,
        c.errors,
        c.bytes as f64 / 1e6,
        secs,
        c.bytes as f64 / 1e6 / secs.max(1e-9)
    );
}

use std::io::Write as _;

/// Worker threads: 1 to 1024 (more threads than that only cost memory and switches).
fn parse_threads(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if (1..=1024).contains(&n) => Ok(n),
        _ => Err(format!(
            "expected a number of threads from 1 to 1024, got \"{s}\""
        )),
    }
}

/// A progress bar on stderr (hidden when stderr is not a terminal, or with --quiet): bytes
/// read, MB/s, articles and errors so far, and the time left when the input size is known.
fn progress_bar(inputs: &[String], quiet: bool) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if quiet || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let size = |p: &str| -> Option<u64> {
        let path = std::path::Path::new(p);
        if p == "-" || p.ends_with(".gz") {
            return None;
        }
        if path.is_dir() {
            let entries = std::fs::read_dir(path).ok()?;
            return Some(
                entries
                    .filter_map(|e| e.ok()?.metadata().ok())
                    .map(|m| m.len())
                    .sum(),
            );
        }
        std::fs::metadata(path).ok().map(|m| m.len())
    };
    let total: Option<u64> = inputs.iter().map(|p| size(p)).sum();
    // Decimal megabytes, as the summary line prints them.
    let bar = match total {
        Some(t) => indicatif::ProgressBar::new(t).with_style(
            indicatif::ProgressStyle::with_template(
                "{bar:30} {decimal_bytes}/{decimal_total_bytes} {decimal_bytes_per_sec} eta {eta}  {msg}",
            )
            .expect("valid template"),
        ),
        None => indicatif::ProgressBar::new_spinner().with_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {decimal_bytes} {decimal_bytes_per_sec}  {msg}",
            )
            .expect("valid template"),
        ),
    };
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}
