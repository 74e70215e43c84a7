//! `stance label`: label articles in a local web page with the model in the loop; or
//! `--agreement`, `--export`, `--simulate-from` over decision files and labeled sets.

use super::args::{output, parse_folds, parse_positive, ModelArgs, ReadArgs};
use clap::{Args, ValueEnum};
use stance::label::{self, session::Settings, session::Strategy};
use std::io::Write;
use std::path::PathBuf;

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StrategyArg {
    /// Diverse cold start, then margin sampling, with the random audit stream.
    Active,
    /// Uniform random picks only.
    Random,
}

#[derive(Args)]
#[command(
    about = "Label articles in a local web page, with the model in the loop (active learning, undo, several annotators)",
    after_help = "Keys in the page: 1/2/3 (or a label's initial) label the focused question, Enter accepts the model's guess for every question left and saves, s skips, u undoes, ? marks the focused question unsure, Tab/arrows move.\n\nExamples:\n  stance label --data unlabeled.jsonl --actors data/actors.toml --out labels.jsonl\n  stance label --data unlabeled.jsonl --model models/default.json --out labels.jsonl --annotator ana --port 0\n  stance train --data labels.jsonl --actors data/actors.toml --out my.json     # the decision file trains as it is\n  stance label --agreement labels.jsonl                                         # kappa on articles labeled twice\n  stance label --review --out labels.jsonl --actors data/actors.toml            # adjudicate the disagreements\n  stance label --export labels.jsonl --out final.jsonl                          # final state, one record per article\n  stance label --simulate-from train.jsonl --test test.jsonl --budget 400       # learning curve, gold labels revealed"
)]
pub struct LabelCmd {
    /// Articles to label (JSON Lines, CSV, text files or a folder; .gz looked through). Repeatable.
    #[arg(long, num_args = 1..)]
    pub data: Vec<String>,
    /// The decision file (append-only JSON Lines; resumed when it exists). With --export: where
    /// to write the final records (standard output by default).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// A trained model: its guesses are shown from the start and margin sampling starts at once.
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Actors file (TOML): one stance question per actor an article names.
    #[arg(long)]
    pub actors: Option<PathBuf>,
    /// Port on 127.0.0.1 (0: a free port; the URL is printed).
    #[arg(long, default_value_t = 8765)]
    pub port: u16,
    /// The annotator of the page opened at the printed URL (others add ?annotator=NAME).
    #[arg(long)]
    pub annotator: Option<String>,
    /// Seed for the picks (diverse start, ties, the audit stream, double annotation).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// random: uniform picks (the default: it matched or beat active picks in the learning-curve
    /// benchmark); active: diverse cold start, then margin sampling, with the audit stream.
    #[arg(long, value_enum, default_value = "random")]
    pub strategy: StrategyArg,
    /// One pick in each block of N is a random audit pick (0: none).
    #[arg(long, default_value_t = 5)]
    pub audit_every: u64,
    /// Share of articles shown to two annotators (for agreement).
    #[arg(long, default_value_t = 0.1, value_parser = parse_share)]
    pub overlap: f64,
    /// Retrain in the background after this many new labeled articles.
    #[arg(long, default_value_t = 10, value_parser = parse_positive)]
    pub retrain_every: usize,
    /// Cold start ends when every stance label has this many examples.
    #[arg(long, default_value_t = 3)]
    pub min_per_label: usize,
    /// ... or after this many picks (once two labels have been seen).
    #[arg(long, default_value_t = 30)]
    pub cold_start_cap: usize,
    /// Articles scored for margin sampling after each retraining (a seeded sample of a larger pool).
    #[arg(long, default_value_t = 20_000, value_parser = parse_positive)]
    pub candidates: usize,
    /// Folds of the cross-validation scored on the audit labels.
    #[arg(long, default_value_t = 5, value_parser = parse_folds)]
    pub folds: usize,
    /// Stance labels, comma-separated (default: the model's, else against,favor,neutral).
    #[arg(long, value_delimiter = ',')]
    pub stance_labels: Option<Vec<String>>,
    /// Sentiment labels, comma-separated, or "none" for no sentiment question.
    #[arg(long, value_delimiter = ',')]
    pub sentiment_labels: Option<Vec<String>>,
    /// Label the good records of --data even if some are bad.
    #[arg(long)]
    pub skip_bad: bool,
    /// Print Cohen's / Fleiss' kappa of these decision files (articles labeled twice) and exit.
    #[arg(long, num_args = 1.., value_name = "FILE")]
    pub agreement: Vec<PathBuf>,
    /// Walk the disagreements of --out for adjudication in the page.
    #[arg(long)]
    pub review: bool,
    /// Write the final records of this decision file (one per article, the format train reads).
    #[arg(long, value_name = "FILE")]
    pub export: Option<PathBuf>,
    /// With --export: only the random-audit records (representative of the pool, for eval).
    #[arg(long)]
    pub audit_only: bool,
    /// Simulated annotation: pick from this labeled set and reveal its labels when asked.
    #[arg(long, value_name = "GOLD", num_args = 1..)]
    pub simulate_from: Vec<String>,
    /// Labeled test data for --simulate-from, scored at each checkpoint.
    #[arg(long, num_args = 1..)]
    pub test: Vec<String>,
    /// Labeled articles to collect in --simulate-from.
    #[arg(long, default_value_t = 400)]
    pub budget: usize,
    /// Checkpoints (labeled articles) of --simulate-from, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "50,100,200,400")]
    pub checkpoints: Vec<usize>,
    /// In --simulate-from, also cross-validate on the audit labels at each checkpoint.
    #[arg(long)]
    pub audit_cv: bool,
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub model_args: ModelArgs,
}

impl LabelCmd {
    /// The decision file (or the export) is none of the files read. (The decision file is
    /// read too, to resume, and appended to: that is its design.)
    fn check_files(&self) -> anyhow::Result<()> {
        use std::path::Path;
        let mut inputs: Vec<(&str, &Path)> =
            self.data.iter().map(|d| ("--data", Path::new(d))).collect();
        inputs.extend(self.model.iter().map(|m| ("--model", m.as_path())));
        inputs.extend(self.actors.iter().map(|a| ("--actors", a.as_path())));
        inputs.extend(self.export.iter().map(|e| ("--export", e.as_path())));
        inputs.extend(self.agreement.iter().map(|a| ("--agreement", a.as_path())));
        inputs.extend(
            self.simulate_from
                .iter()
                .map(|g| ("--simulate-from", Path::new(g))),
        );
        inputs.extend(self.test.iter().map(|t| ("--test", Path::new(t))));
        let outputs: Vec<(&str, &Path)> = self.out.iter().map(|o| ("--out", o.as_path())).collect();
        stance::output::check_distinct(&inputs, &outputs)?;
        Ok(())
    }
}

fn parse_share(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if (0.0..=1.0).contains(&x) => Ok(x),
        _ => Err(format!("expected a share between 0 and 1, got \"{s}\"")),
    }
}

impl LabelCmd {
    fn settings(&self) -> Settings {
        Settings {
            seed: self.seed,
            strategy: match self.strategy {
                StrategyArg::Active => Strategy::Active,
                StrategyArg::Random => Strategy::Random,
            },
            audit_every: self.audit_every,
            overlap: self.overlap,
            min_per_label: self.min_per_label,
            cold_start_cap: self.cold_start_cap,
            retrain_every: self.retrain_every,
            candidates: self.candidates,
            folds: self.folds,
            train: self.model_args.config(),
            review: self.review,
            ..Settings::default()
        }
    }

    pub fn run(self) -> anyhow::Result<i32> {
        self.check_files()?;
        if !self.agreement.is_empty() {
            let report = label::agreement(&self.agreement)?;
            print_agreement(&mut std::io::stdout().lock(), &report)?;
        } else if let Some(path) = &self.export {
            self.run_export(path)?;
        } else if !self.simulate_from.is_empty() {
            self.run_simulation()?;
        } else {
            self.run_server()?;
        }
        Ok(0)
    }

    /// --export: the final records of the decision file, as `stance train` reads them.
    fn run_export(&self, path: &std::path::Path) -> anyhow::Result<()> {
        let (lines, unresolved) = label::export(path, self.audit_only)?;
        let mut out = output(self.out.as_ref())?;
        for l in &lines {
            out.write_all(l.as_bytes())?;
        }
        out.commit()?;
        eprintln!(
            "stance: wrote {} record{}{}",
            lines.len(),
            if lines.len() == 1 { "" } else { "s" },
            if unresolved > 0 {
                format!("; {unresolved} with disagreements left out of their labels (adjudicate with --review)")
            } else {
                String::new()
            }
        );
        Ok(())
    }

    /// --simulate-from: the learning curve of simulated annotation, one JSON line per
    /// checkpoint.
    fn run_simulation(&self) -> anyhow::Result<()> {
        if self.test.is_empty() {
            anyhow::bail!("--simulate-from needs --test FILE (labeled data to score the model on)");
        }
        let opts = label::SimOptions {
            gold: self.simulate_from.clone(),
            test: self.test.clone(),
            read: self.read.options(None),
            actors: self.actors.clone(),
            budget: self.budget,
            checkpoints: self.checkpoints.clone(),
            audit_cv: self.audit_cv,
            settings: self.settings(),
        };
        let mut out = std::io::stdout().lock();
        label::simulate(&opts, |cp| {
            let _ = writeln!(out, "{}", serde_json::to_string(cp).expect("serialisable"));
            let _ = out.flush();
        })?;
        Ok(())
    }

    /// The labeling session in the browser, until Ctrl-C.
    fn run_server(&self) -> anyhow::Result<()> {
        let Some(out) = self.out.clone() else {
            anyhow::bail!(
                "--out FILE is needed: the decision file (created, or resumed when it exists)"
            );
        };
        let annotator = match &self.annotator {
            Some(a) => label::server::check_annotator(a).map_err(anyhow::Error::msg)?,
            None => std::env::var("USER")
                .ok()
                .and_then(|u| label::server::check_annotator(&u).ok())
                .unwrap_or_else(|| "annotator".into()),
        };
        let sentiment_labels = self.sentiment_labels.clone().map(|v| {
            if v.len() == 1 && v[0] == "none" {
                Vec::new()
            } else {
                v
            }
        });
        let opts = label::Options {
            data: self.data.clone(),
            read: self.read.options(None),
            out: out.clone(),
            model: self.model.clone(),
            actors: self.actors.clone(),
            annotator: annotator.clone(),
            stance_labels: self.stance_labels.clone(),
            sentiment_labels,
            skip_bad: self.skip_bad,
            settings: self.settings(),
        };
        let (session, notes) = label::open(&opts)?;
        for n in notes {
            eprintln!("stance: {n}");
        }
        let pool = session.pool.items.len();
        let review = self.review;
        label::server::serve(
            session,
            annotator.clone(),
            self.port,
            |url| {
                println!("{url}");
                let _ = std::io::stdout().flush();
                eprintln!(
                "stance: {} {pool} articles at {url} as \"{annotator}\" (others: {url}?annotator=NAME); decisions go to {} as they are made; Ctrl-C to stop",
                if review { "reviewing" } else { "labeling" },
                out.display()
            );
            },
            || false,
        )?;
        Ok(())
    }
}

fn kappa_cell(k: Option<f64>) -> String {
    k.map_or("–".into(), |k| format!("{k:.3}"))
}

/// Prints the agreement report as aligned tables.
pub fn print_agreement(out: &mut dyn Write, r: &label::agreement::Report) -> std::io::Result<()> {
    if r.rows.is_empty() {
        writeln!(
            out,
            "no article was labeled by two or more annotators; nothing to compare"
        )?;
        return Ok(());
    }
    writeln!(
        out,
        "{} annotators ({}); {} articles labeled by two or more",
        r.annotators.len(),
        r.annotators.join(", "),
        r.articles
    )?;
    for task in ["stance", "sentiment"] {
        let rows: Vec<&label::agreement::Row> = r.rows.iter().filter(|x| x.task == task).collect();
        if rows.is_empty() {
            continue;
        }
        let method = if rows[0].agreement.method == "cohen" {
            "Cohen's kappa"
        } else {
            "Fleiss' kappa"
        };
        writeln!(out)?;
        writeln!(
            out,
            "{task} ({method}; {} questions, {} ratings)",
            rows[0].agreement.n, rows[0].agreement.ratings
        )?;
        let mut table = vec![vec![
            "".to_string(),
            "n".into(),
            "agreement".into(),
            "kappa".into(),
        ]];
        for row in rows {
            let name = match row.by.as_str() {
                "all" => "all".to_string(),
                "label" => format!("label {}", row.key),
                "actor" => format!("actor {}", row.key),
                _ => format!("pair {} (Cohen)", row.key),
            };
            table.push(vec![
                name,
                row.agreement.n.to_string(),
                format!("{:.3}", row.agreement.observed),
                kappa_cell(row.agreement.kappa),
            ]);
        }
        super::args::table(out, &table)?;
    }
    writeln!(out)?;
    writeln!(out, "agreement: share of pairs of ratings of one question that agree; kappa corrects it for chance (– where undefined: one label only). Per label: that label against the rest.")?;
    Ok(())
}
