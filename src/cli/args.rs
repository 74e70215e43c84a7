//! Flag groups shared by several verbs, each flag defined once with its help, and the small
//! helpers every verb uses (output files, tables, the model to read).
//!
//! The training settings' defaults are [`TrainConfig::default`]'s: the flags below read them
//! from there (a test checks that parsing no flag gives exactly `TrainConfig::default()`).

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, ValueEnum};
use stance::context::{ContextConfig, Markers, Window};
use stance::corpus::{Columns, InputFormat, ReadOptions};
use stance::features::{CharSource, FeatureConfig};
use stance::model::{ClassWeight, LogisticConfig, Solver};
use stance::output::{Output, Target};
use stance::pipeline::{CvOptions, Polarity, TrainConfig};
use stance::tokens::Tokens;
use stance::{Registry, StanceModel};
use std::io::Write;
use std::path::{Path, PathBuf};

fn defaults() -> TrainConfig {
    TrainConfig::default()
}

/// An inclusive range of lengths, `N` or `N-M` on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range(pub usize, pub usize);

impl std::fmt::Display for Range {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0 == self.1 {
            write!(f, "{}", self.0)
        } else {
            write!(f, "{}-{}", self.0, self.1)
        }
    }
}

impl std::str::FromStr for Range {
    type Err = String;

    fn from_str(s: &str) -> Result<Range, String> {
        let (a, b) = s.split_once('-').unwrap_or((s, s));
        let n = |x: &str| {
            x.trim()
                .parse::<usize>()
                .map_err(|_| format!("expected N or N-M, got \"{s}\""))
        };
        Ok(Range(n(a)?, n(b)?))
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

/// The output formats; each verb accepts the ones that make sense for it
/// ([`OutputFormat::parser`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Aligned tables for people.
    Text,
    /// One JSON document.
    Json,
    /// JSON Lines: one object per line.
    Jsonl,
    /// Comma-separated values with a header.
    Csv,
}

impl OutputFormat {
    /// A parser that accepts only `allowed`.
    pub fn parser(allowed: &'static [OutputFormat]) -> impl TypedValueParser<Value = OutputFormat> {
        PossibleValuesParser::new(
            allowed
                .iter()
                .map(|f| f.to_possible_value().expect("no hidden formats")),
        )
        .map(|s| OutputFormat::from_str(&s, false).expect("a possible value"))
    }
}

/// How input records are read.
#[derive(Args, Clone, Debug)]
#[command(next_help_heading = "Input")]
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
    /// Source given to articles that have none (text files: the folder name by default).
    #[arg(long)]
    pub source: Option<String>,
    /// Longest accepted record in bytes; a longer one is reported as an error record.
    #[arg(long, default_value_t = ReadOptions::default().max_bytes)]
    pub max_bytes: usize,
}

/// Where the labels are in labeled records.
#[derive(Args, Clone, Debug)]
#[command(next_help_heading = "Labels")]
pub struct LabelColumns {
    /// Field holding the actor, in long-form labels (one row per article and actor).
    #[arg(long, default_value = "actor")]
    pub actor_col: String,
    /// Field holding the stance labels ({actor: label}, or one label in long form).
    #[arg(long, default_value = "stance")]
    pub stance_col: String,
    /// Field holding the sentiment label.
    #[arg(long, default_value = "sentiment")]
    pub sentiment_col: String,
}

impl ReadArgs {
    /// The reader's options; `labels` names the label fields (None: the defaults, unused
    /// when scoring).
    pub fn options(&self, labels: Option<&LabelColumns>) -> ReadOptions {
        let d = Columns::default();
        ReadOptions {
            format: self.input_format,
            columns: Columns {
                id: self.id_col.clone(),
                text: self.text_col.clone(),
                source: self.source_col.clone(),
                date: self.date_col.clone(),
                title: d.title,
                actor: labels.map_or(d.actor, |l| l.actor_col.clone()),
                stance: labels.map_or(d.stance, |l| l.stance_col.clone()),
                sentiment: labels.map_or(d.sentiment, |l| l.sentiment_col.clone()),
            },
            source: self.source.clone(),
            max_bytes: self.max_bytes,
        }
    }
}

/// Labeled data to learn from: the files, the actors, how to read them.
#[derive(Args, Clone, Debug)]
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
    #[command(flatten)]
    pub labels: LabelColumns,
}

impl LabeledArgs {
    /// Reads the labeled data with `actors`; every bad record is reported (up to 50), and any
    /// makes it fail unless --skip-bad.
    pub fn read(&self, actors: &Registry) -> anyhow::Result<stance::TrainingSet> {
        let opts = self.read.options(Some(&self.labels));
        let (set, errors) = stance::TrainingSet::read(&self.data, &opts, actors)?;
        if !errors.is_empty() {
            const CAP: usize = 50;
            let mut msg = String::new();
            for e in errors.iter().take(CAP) {
                msg.push_str(&format!(
                    "  {}\n",
                    stance::output::printable(&e.to_string())
                ));
            }
            if errors.len() > CAP {
                msg.push_str(&format!("  … and {} more\n", errors.len() - CAP));
            }
            let s = if errors.len() == 1 { "" } else { "s" };
            if !self.skip_bad {
                anyhow::bail!(
                    "{} bad record{s} in the labeled data (nothing was trained; fix them or pass --skip-bad):\n{}",
                    errors.len(),
                    msg.trim_end()
                );
            }
            eprintln!(
                "stance: skipping {} bad record{s}:\n{}",
                errors.len(),
                msg.trim_end()
            );
        }
        let Some(set) = set else {
            anyhow::bail!(
                "no labeled articles: no records in {} (the input is empty or holds only blank lines)",
                self.data.join(", ")
            );
        };
        let mut languages: std::collections::BTreeMap<&str, usize> = Default::default();
        for a in &set.articles {
            if let Some(l) = stance::language::detect(&a.article.text) {
                *languages.entry(l).or_default() += 1;
            }
        }
        let own = actors.language().unwrap_or("en");
        if let Some((code, n)) = languages
            .iter()
            .filter(|(c, _)| **c != own)
            .max_by_key(|(_, n)| **n)
        {
            if n * 5 >= set.articles.len() {
                let name = stance::language::language_of(code).unwrap_or(code);
                eprintln!(
                    "stance: warning: {n} of {} labeled articles look written in {name} ({code}); train with --language {name} (and aliases for {code} in the actors file) for them",
                    set.articles.len()
                );
            }
        }
        for w in set.warnings.iter().take(20) {
            eprintln!("stance: warning: {}", stance::output::printable(w));
        }
        if set.warnings.len() > 20 {
            eprintln!("stance: … and {} more warnings", set.warnings.len() - 20);
        }
        Ok(set)
    }

    /// The actors file (or no actors: the labels name them), matching the aliases of the
    /// language of `cfg`'s stemmer.
    pub fn registry(&self, cfg: &TrainConfig) -> anyhow::Result<Registry> {
        let r = load_actors(self.actors.as_ref())?;
        Ok(
            r.with_language(stance::language::code_of(&cfg.features.language))?
                .with_name_forms(cfg.context.name_forms)?,
        )
    }
}

/// Model and featurizer settings for training. Every default is `TrainConfig::default()`'s.
#[derive(Args, Clone, Debug)]
#[group(id = "training", multiple = true)]
#[command(next_help_heading = "Training settings")]
pub struct ModelArgs {
    /// Word n-gram lengths, N or N-M.
    #[arg(long, default_value_t = { let (a, b) = defaults().features.word_ngrams; Range(a, b) })]
    pub ngrams: Range,
    /// Character n-gram lengths of each stem (or word, see --char-source), N-M (off by default).
    #[arg(long)]
    pub char_ngrams: Option<Range>,
    /// Take character n-grams from the stem, from the word as written (lower-cased), or from
    /// each context sentence's words joined by `_` (text: n-grams cross word boundaries).
    #[arg(long, value_enum, default_value_t = defaults().features.char_source)]
    pub char_source: CharSource,
    /// L2-normalise word features and character n-grams as two separate blocks.
    #[arg(long)]
    pub block_norm: bool,
    /// Words at most N words before or after the target also give a side-conjoined feature
    /// (0: off).
    #[arg(long, default_value_t = defaults().features.near_target)]
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
    /// One model per actor: an actor with at least N training labels (10 if N is left out)
    /// gets word weights of its own (its words give only their per-actor copies); the others,
    /// and actors added when scoring, share the word weights. Implies --per-actor.
    #[arg(long, value_name = "N", num_args = 0..=1, default_missing_value = "10")]
    pub separate_actors: Option<usize>,
    /// Use raw term counts instead of 1 + ln(tf).
    #[arg(long)]
    pub no_sublinear: bool,
    /// Drop features seen in fewer training documents than this.
    #[arg(long, default_value_t = defaults().features.min_df)]
    pub min_df: usize,
    /// Keep at most this many features.
    #[arg(long, default_value_t = defaults().features.max_features.unwrap_or(usize::MAX))]
    pub max_features: usize,
    /// Stemmer language ("none" to keep words as they are).
    #[arg(long, default_value_t = defaults().features.language)]
    pub language: String,
    /// Sentences taken on each side of a sentence that mentions the actor ("all": the whole
    /// text, with the actor marked).
    #[arg(long, default_value_t = defaults().context.window)]
    pub window: Window,
    /// Which mentions are replaced by markers: the target's and other actors' (both), only the
    /// target's, or none (names stay words).
    #[arg(long, value_enum, default_value_t = defaults().context.markers)]
    pub markers: Markers,
    /// The tokenizer: words (runs of letters and digits), or social: also #hashtags (whole and
    /// split into words), @mentions, URLs and emoji as tokens, for short social-media texts.
    /// Saved in the model.
    #[arg(long, value_enum, default_value_t = defaults().context.tokens)]
    pub tokens: Tokens,
    /// Do not give the model the actor's identity as a feature (no per-actor prior).
    #[arg(long)]
    pub no_actor_prior: bool,
    /// Match actors by their names and aliases as written only: no automatic name forms
    /// ("Kremlin" for "the Kremlin", a person's surname, "Mr. Surname"). Saved in the model,
    /// so scoring matches as training did.
    #[arg(long)]
    pub verbatim_names: bool,
    /// L2 penalty (linfa's alpha).
    #[arg(long, default_value_t = defaults().logistic.alpha)]
    pub alpha: f64,
    /// Most solver iterations.
    #[arg(long, default_value_t = defaults().logistic.max_iterations)]
    pub max_iter: u64,
    /// Stop when the gradient norm is below this per example (the mean loss's gradient).
    #[arg(long, default_value_t = defaults().logistic.gradient_tolerance)]
    pub tol: f64,
    /// Weight examples so each label counts equally in total.
    #[arg(long, value_enum, default_value_t = defaults().logistic.class_weight)]
    pub class_weight: ClassWeight,
    /// sparse: our L-BFGS on sparse rows; linfa: linfa-logistic's dense solver (small sets).
    #[arg(long, value_enum, default_value_t = defaults().logistic.solver)]
    pub solver: Solver,
    /// The stance label that counts as positive in the signed score (default: favor/pro/...).
    #[arg(long)]
    pub positive_label: Option<String>,
    /// The stance label that counts as negative (default: against/anti/...).
    #[arg(long)]
    pub negative_label: Option<String>,
}

impl ModelArgs {
    /// The settings these flags give.
    pub fn config(&self) -> TrainConfig {
        let d = defaults();
        TrainConfig {
            features: FeatureConfig {
                word_ngrams: (self.ngrams.0, self.ngrams.1),
                char_ngrams: self.char_ngrams.map(|r| (r.0, r.1)),
                sublinear_tf: !self.no_sublinear,
                min_df: self.min_df,
                max_features: Some(self.max_features),
                language: self.language.clone(),
                char_source: self.char_source,
                block_norm: self.block_norm,
                near_target: self.near_target,
                negation: self.negation,
                lexicon: self.lexicon,
                per_actor: self.per_actor || self.separate_actors.is_some(),
                separate_actors: self.separate_actors,
            },
            context: stance::context::ContextConfig {
                window: self.window,
                markers: self.markers,
                actor_prior: !self.no_actor_prior,
                name_forms: !self.verbatim_names,
                tokens: self.tokens,
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
                ..d.polarity
            },
        }
    }
}

/// How cross-validation is run.
#[derive(Args, Clone, Debug)]
#[command(next_help_heading = "Cross-validation")]
pub struct CvArgs {
    /// Number of folds.
    #[arg(long, default_value_t = CvOptions::default().folds, value_parser = parse_folds)]
    pub folds: usize,
    /// Seed of the shuffled folds.
    #[arg(long, default_value_t = CvOptions::default().seed)]
    pub seed: u64,
    /// Keep articles that share this field's value in one fold (default: the article id), e.g.
    /// a story id, so that one story told by three outlets never sits on both sides.
    #[arg(long)]
    pub group_by: Option<String>,
}

impl CvArgs {
    /// The options these flags give.
    pub fn options(&self) -> CvOptions {
        CvOptions {
            folds: self.folds,
            seed: self.seed,
            group_by: self.group_by.clone(),
        }
    }
}

/// The model a verb reads: a file, or the one built into the binary.
#[derive(Args, Clone, Debug)]
pub struct ModelArg {
    /// The model file (default: the model built into stance, trained on its own labeled
    /// articles).
    #[arg(long)]
    pub model: Option<PathBuf>,
}

impl ModelArg {
    /// Loads the model.
    pub fn load(&self) -> anyhow::Result<StanceModel> {
        Ok(match &self.model {
            Some(p) => StanceModel::load(p)?,
            None => StanceModel::builtin(),
        })
    }

    /// The model's name for messages.
    pub fn name(&self) -> String {
        match &self.model {
            Some(p) => p.display().to_string(),
            None => stance::pipeline::BUILTIN_NAME.to_string(),
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

/// Adds the actors and aliases of the actors file `path` to `model` (`score --actors`,
/// `eval --model … --actors`); an error names the file.
pub fn add_actors(model: &mut StanceModel, path: &std::path::Path) -> anyhow::Result<()> {
    let extra = Registry::from_toml_file(path)?;
    model.add_actors(&extra).map_err(|e| match e {
        stance::Error::Actors(m) => anyhow::anyhow!(
            "actors file: {}: cannot add its actors to the model's: {m}",
            path.display()
        ),
        other => other.into(),
    })
}

/// Loads the actors file, or an empty registry.
pub fn load_actors(path: Option<&PathBuf>) -> anyhow::Result<Registry> {
    Ok(match path {
        Some(p) => Registry::from_toml_file(p)?,
        None => Registry::empty(),
    })
}

/// Warns about labels with fewer examples than folds: some folds will hold none of them, and
/// their per-fold scores mean little.
pub fn warn_rare_labels(set: &stance::TrainingSet, folds: usize) {
    let count = set.label_counts(stance::Task::Stance);
    let rare: Vec<(&String, usize)> = set
        .stance_classes
        .iter()
        .zip(count)
        .filter(|(_, n)| *n < folds)
        .collect();
    for (c, n) in rare.iter().take(10) {
        eprintln!(
            "stance: warning: stance label \"{}\" has {n} example{}, fewer than the {folds} folds: some folds hold none of it",
            stance::output::printable_line(c),
            if *n == 1 { "" } else { "s" }
        );
    }
    if rare.len() > 10 {
        eprintln!(
            "stance: warning: … and {} more labels with fewer examples than folds",
            rare.len() - 10
        );
    }
}

/// A limit on a verb's running time.
#[derive(Args, Clone, Debug)]
pub struct TimeLimitArgs {
    /// Stop with an error (exit status 1, nothing saved) after this many seconds.
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub time_limit: Option<f64>,
}

fn parse_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 && x < 1e9 => Ok(x),
        _ => Err(format!(
            "expected a positive number of seconds, got \"{s}\""
        )),
    }
}

/// The time limit of a verb, once started: when it passes, the process stops with an error,
/// unless the verb is inside [`Deadline::finish`] (saving), which the limit waits for.
pub struct Deadline {
    state: std::sync::Arc<std::sync::Mutex<bool>>,
}

impl TimeLimitArgs {
    /// Starts the clock (`what`: what the verb is doing, for the message).
    pub fn start(&self, what: &'static str) -> Deadline {
        let state = std::sync::Arc::new(std::sync::Mutex::new(true));
        if let Some(secs) = self.time_limit {
            let armed = state.clone();
            std::thread::spawn(move || {
                std::thread::sleep(std::time::Duration::from_secs_f64(secs));
                let armed = armed.lock().unwrap_or_else(|e| e.into_inner());
                if *armed {
                    eprintln!(
                        "stance: error: --time-limit {secs} s reached while {what}; stopped, nothing was saved"
                    );
                    std::process::exit(1);
                }
            });
        }
        Deadline { state }
    }
}

impl Deadline {
    /// Runs `f` (the save) without the limit cutting into it, then disarms the limit.
    pub fn finish<T>(&self, f: impl FnOnce() -> T) -> T {
        let mut armed = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let out = f();
        *armed = false;
        out
    }
}

/// Prints an aligned table: the first row is the header; columns after the first are
/// right-aligned.
/// Cells are shown with [`stance::output::printable_line`]: a source or label from the data
/// never reaches the terminal as an escape sequence.
pub fn table(out: &mut dyn Write, rows: &[Vec<String>]) -> std::io::Result<()> {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|c| stance::output::printable_line(c).into_owned())
                .collect()
        })
        .collect();
    let rows = &rows[..];
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

/// Opens `--out FILE` (written whole on [`Output::commit`]), or standard output.
pub fn output(path: Option<&PathBuf>) -> anyhow::Result<Output> {
    Ok(match path {
        Some(p) => Output::create(p, Target::FileOrStream)?,
        None => Output::stdout(),
    })
}

/// Checks, before anything is read or written, that every output may be written where it
/// points ([`stance::output::check_target`]) and that none is an input or another output
/// ([`stance::output::check_distinct`]). Each path comes with the flag that named it.
pub fn check_files(
    inputs: &[(&str, &Path)],
    outputs: &[(&str, &Path, Target)],
) -> anyhow::Result<()> {
    for (role, p, target) in outputs {
        if p.as_os_str() != "-" {
            stance::output::check_target(p, *target).map_err(|e| anyhow::anyhow!("{role}: {e}"))?;
        }
    }
    let outs: Vec<(&str, &Path)> = outputs.iter().map(|(r, p, _)| (*r, *p)).collect();
    stance::output::check_distinct(inputs, &outs)?;
    Ok(())
}

/// The labeled data files and the actors file, as inputs for [`check_files`].
pub fn labeled_inputs(l: &LabeledArgs) -> Vec<(&'static str, &Path)> {
    let mut v: Vec<(&str, &Path)> = l.data.iter().map(|d| ("--data", Path::new(d))).collect();
    if let Some(a) = &l.actors {
        v.push(("--actors", a.as_path()));
    }
    v
}

/// A number with three decimals.
pub fn f3(x: f64) -> String {
    format!("{x:.3}")
}

/// Quotes a command-line word for a POSIX shell when it needs it.
fn shell_word(w: &str) -> String {
    let plain = !w.is_empty()
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@+%".contains(c));
    if plain {
        w.to_string()
    } else {
        format!("'{}'", w.replace('\'', "'\\''"))
    }
}

/// The `stance train` command line that trains `cfg` on the data of `labeled`: the data
/// flags as given, and every setting that differs from the defaults.
pub fn train_command(
    labeled: &LabeledArgs,
    cfg: &TrainConfig,
    cv: &CvOptions,
    out: Option<&std::path::Path>,
) -> String {
    let d = defaults();
    let mut w: Vec<String> = vec!["stance".into(), "train".into()];
    w.extend(data_flags(labeled));
    // The folds decide the cross-validation report, the calibration and the share estimator
    // the model chooses: a winner retrained on other folds would not be the model searched.
    let dcv = CvOptions::default();
    if cv.folds != dcv.folds {
        w.extend(["--folds".into(), cv.folds.to_string()]);
    }
    if cv.seed != dcv.seed {
        w.extend(["--seed".into(), cv.seed.to_string()]);
    }
    if let Some(g) = &cv.group_by {
        w.extend(["--group-by".into(), g.clone()]);
    }
    w.extend(feature_flags(&cfg.features, &d.features));
    w.extend(context_flags(&cfg.context, &d.context));
    w.extend(logistic_flags(&cfg.logistic, &d.logistic));
    if let Some(p) = &cfg.polarity.stance_positive {
        w.extend(["--positive-label".into(), p.clone()]);
    }
    if let Some(n) = &cfg.polarity.stance_negative {
        w.extend(["--negative-label".into(), n.clone()]);
    }
    w.extend([
        "--out".into(),
        out.map_or("model.json".to_string(), |p| p.display().to_string()),
    ]);
    w.iter()
        .map(|x| shell_word(x))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A flag list builder: a flag, with its value if it takes one.
#[derive(Default)]
struct Flags(Vec<String>);

impl Flags {
    fn set(&mut self, flag: &str, value: Option<String>) {
        self.0.push(flag.to_string());
        self.0.extend(value);
    }
}

/// The data flags: --data, --actors, and the column names that are not the defaults.
fn data_flags(labeled: &LabeledArgs) -> Vec<String> {
    let mut w: Vec<String> = vec!["--data".into()];
    w.extend(labeled.data.iter().cloned());
    if let Some(a) = &labeled.actors {
        w.extend(["--actors".into(), a.display().to_string()]);
    }
    let r = &labeled.read;
    let l = &labeled.labels;
    let c = stance::corpus::Columns::default();
    for (flag, v, def) in [
        ("--id-col", &r.id_col, &c.id),
        ("--text-col", &r.text_col, &c.text),
        ("--source-col", &r.source_col, &c.source),
        ("--date-col", &r.date_col, &c.date),
        ("--actor-col", &l.actor_col, &c.actor),
        ("--stance-col", &l.stance_col, &c.stance),
        ("--sentiment-col", &l.sentiment_col, &c.sentiment),
    ] {
        if v != def {
            w.extend([flag.to_string(), v.clone()]);
        }
    }
    w
}

/// The feature flags of the settings in `f` that differ from the defaults `df`.
fn feature_flags(f: &FeatureConfig, df: &FeatureConfig) -> Vec<String> {
    let mut w = Flags::default();
    if f.word_ngrams != df.word_ngrams {
        w.set(
            "--ngrams",
            Some(Range(f.word_ngrams.0, f.word_ngrams.1).to_string()),
        );
    }
    if let Some((a, b)) = f.char_ngrams {
        w.set("--char-ngrams", Some(Range(a, b).to_string()));
    }
    if f.char_source != df.char_source {
        w.set("--char-source", Some(f.char_source.name().into()));
    }
    if f.block_norm {
        w.set("--block-norm", None);
    }
    if f.near_target != df.near_target {
        w.set("--near-target", Some(f.near_target.to_string()));
    }
    if f.negation {
        w.set("--negation", None);
    }
    if f.lexicon {
        w.set("--lexicon", None);
    }
    if let Some(n) = f.separate_actors {
        w.set("--separate-actors", Some(n.to_string()));
    } else if f.per_actor {
        w.set("--per-actor", None);
    }
    if !f.sublinear_tf {
        w.set("--no-sublinear", None);
    }
    if f.min_df != df.min_df {
        w.set("--min-df", Some(f.min_df.to_string()));
    }
    if f.max_features != df.max_features {
        w.set("--max-features", f.max_features.map(|m| m.to_string()));
    }
    if f.language != df.language {
        w.set("--language", Some(f.language.clone()));
    }
    w.0
}

/// The context flags of the settings in `x` that differ from the defaults `dx`.
fn context_flags(x: &ContextConfig, dx: &ContextConfig) -> Vec<String> {
    let mut w = Flags::default();
    if x.window != dx.window {
        w.set("--window", Some(x.window.to_string()));
    }
    if x.markers != dx.markers {
        w.set("--markers", Some(x.markers.name().into()));
    }
    if !x.actor_prior {
        w.set("--no-actor-prior", None);
    }
    if x.name_forms != dx.name_forms {
        w.set("--verbatim-names", None);
    }
    if x.tokens != dx.tokens {
        w.set("--tokens", Some(x.tokens.name().into()));
    }
    w.0
}

/// The classifier flags of the settings in `g` that differ from the defaults `dg`.
fn logistic_flags(g: &LogisticConfig, dg: &LogisticConfig) -> Vec<String> {
    let mut w = Flags::default();
    if g.alpha != dg.alpha {
        w.set("--alpha", Some(g.alpha.to_string()));
    }
    if g.max_iterations != dg.max_iterations {
        w.set("--max-iter", Some(g.max_iterations.to_string()));
    }
    if g.gradient_tolerance != dg.gradient_tolerance {
        w.set("--tol", Some(g.gradient_tolerance.to_string()));
    }
    if g.class_weight != dg.class_weight {
        w.set(
            "--class-weight",
            Some(format!("{:?}", g.class_weight).to_lowercase()),
        );
    }
    if g.solver != dg.solver {
        w.set("--solver", Some(format!("{:?}", g.solver).to_lowercase()));
    }
    w.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_winners_training_command_by_hand() {
        let labeled = LabeledArgs {
            data: vec!["my data.jsonl".into()],
            actors: Some("data/actors.toml".into()),
            skip_bad: false,
            read: ReadArgs {
                input_format: None,
                id_col: "id".into(),
                text_col: "body".into(),
                source_col: "source".into(),
                date_col: "date".into(),
                source: None,
                max_bytes: 1,
            },
            labels: LabelColumns {
                actor_col: "actor".into(),
                stance_col: "stance".into(),
                sentiment_col: "sentiment".into(),
            },
        };
        let mut cfg = TrainConfig::default();
        assert_eq!(
            train_command(&labeled, &cfg, &CvOptions::default(), None),
            "stance train --data 'my data.jsonl' --actors data/actors.toml --text-col body --out model.json"
        );
        cfg.logistic.alpha = 0.3;
        cfg.features.word_ngrams = (1, 1);
        cfg.context.window = Window::All;
        cfg.context.markers = Markers::None;
        cfg.features.per_actor = true;
        assert_eq!(
            train_command(
                &labeled,
                &cfg,
                &CvOptions::default(),
                Some(std::path::Path::new("t.json"))
            ),
            "stance train --data 'my data.jsonl' --actors data/actors.toml --text-col body --ngrams 1 --per-actor --window all --markers none --alpha 0.3 --out t.json"
        );
    }

    #[test]
    fn ranges_read_and_print_alike() {
        assert_eq!("1-3".parse::<Range>(), Ok(Range(1, 3)));
        assert_eq!("2".parse::<Range>(), Ok(Range(2, 2)));
        assert_eq!(Range(2, 5).to_string(), "2-5");
        assert!("a-b".parse::<Range>().is_err());
    }
}
