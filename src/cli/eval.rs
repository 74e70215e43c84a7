//! `stance eval`: cross-validation on labeled data, or a trained model on held-out data.

use super::{f3, load_actors, table, LabeledArgs, ModelArgs};
use clap::{Args, ValueEnum};
use stance::evaluate::{cross_validate, evaluate_model, EvalReport, Prediction, TaskReport};
use stance::StanceModel;
use std::io::Write;
use std::path::PathBuf;

#[derive(Args)]
#[command(
    about = "Evaluate: k-fold cross-validation on labeled data, or a trained model on held-out data",
    after_help = "Examples:\n  stance eval --data data/articles.jsonl --actors data/actors.toml\n  stance eval --data data/articles.jsonl --actors data/actors.toml --folds 10 --group-by source --oof oof.jsonl\n  stance eval --model models/default.json --data test.jsonl --format json\n\nFolds are shuffled (--seed), stratified by label and grouped by article (or --group-by FIELD),\nand the featurizer is fitted inside each fold; every example is validated exactly once."
)]
pub struct EvalCmd {
    /// Evaluate this trained model on --data instead of cross-validating.
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Number of folds.
    #[arg(long, default_value_t = 5, value_parser = super::parse_folds)]
    pub folds: usize,
    /// Seed for the shuffled folds.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Keep articles that share this field's value in one fold (default: the article id).
    #[arg(long)]
    pub group_by: Option<String>,
    /// Write every out-of-fold (or held-out) prediction to this JSONL file.
    #[arg(long)]
    pub oof: Option<PathBuf>,
    /// Output: a table for people or JSON for machines.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ReportFormat,
    #[command(flatten)]
    pub labeled: LabeledArgs,
    #[command(flatten)]
    pub model_args: ModelArgs,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
}

impl EvalCmd {
    pub fn run(self) -> anyhow::Result<i32> {
        let (report, preds) = match &self.model {
            Some(path) => {
                let model = StanceModel::load(path)?;
                let actors = match &self.labeled.actors {
                    Some(_) => load_actors(self.labeled.actors.as_ref())?,
                    None => model.registry.clone(),
                };
                let set = self.labeled.read(&actors)?;
                evaluate_model(&model, &set)?
            }
            None => {
                let actors = load_actors(self.labeled.actors.as_ref())?;
                let set = self.labeled.read(&actors)?;
                super::warn_rare_labels(&set, self.folds);
                let cv = cross_validate(
                    &set,
                    &self.model_args.config(),
                    self.folds,
                    self.seed,
                    self.group_by.as_deref(),
                )?;
                super::warn_unconverged(cv.unconverged, self.folds, self.model_args.max_iter);
                (cv.report, cv.predictions)
            }
        };
        if let Some(path) = &self.oof {
            write_predictions(path, &preds)?;
        }
        let mut out = std::io::stdout().lock();
        match self.format {
            ReportFormat::Json => {
                serde_json::to_writer_pretty(&mut out, &report)?;
                writeln!(out)?;
            }
            ReportFormat::Text => print_report(&mut out, &report)?,
        }
        Ok(0)
    }
}

pub fn write_predictions(path: &PathBuf, preds: &[Prediction]) -> anyhow::Result<()> {
    let mut w = std::io::BufWriter::new(
        std::fs::File::create(path).map_err(|e| stance::Error::io(path, e))?,
    );
    for p in preds {
        serde_json::to_writer(&mut w, p)?;
        writeln!(w)?;
    }
    w.flush()?;
    Ok(())
}

fn opt(x: Option<f64>) -> String {
    x.map_or("-".into(), f3)
}

/// The report as text tables.
pub fn print_report(out: &mut dyn Write, r: &EvalReport) -> std::io::Result<()> {
    let s = &r.settings;
    match s.method.as_str() {
        "cross-validation" => writeln!(
            out,
            "{}-fold cross-validation (seed {}, grouped by {}, stratified; featurizer fitted inside each fold)",
            s.folds.unwrap_or(0),
            s.seed.unwrap_or(0),
            s.group_by.as_deref().unwrap_or("id")
        )?,
        _ => writeln!(out, "held-out evaluation of a trained model")?,
    }
    print_task(out, &r.stance)?;
    if let Some(t) = &r.sentiment {
        print_task(out, t)?;
    }
    Ok(())
}

fn print_task(out: &mut dyn Write, t: &TaskReport) -> std::io::Result<()> {
    writeln!(out, "\n{} ({} examples)", t.task, t.n)?;
    let mut rows = vec![vec![
        "".to_string(),
        "macro-F1".into(),
        "F_avg".into(),
        "accuracy".into(),
    ]];
    let spread = |key: &str| {
        t.folds
            .as_ref()
            .and_then(|f| f.get(key))
            .map(|s| format!(" ± {:.3}", s.sd))
            .unwrap_or_default()
    };
    rows.push(vec![
        "model".into(),
        format!("{}{}", f3(t.macro_f1), spread("macro_f1")),
        format!("{}{}", opt(t.f_avg), spread("f_avg")),
        format!("{}{}", f3(t.accuracy), spread("accuracy")),
    ]);
    rows.push(vec![
        "majority baseline".into(),
        f3(t.baseline.macro_f1),
        opt(t.baseline.f_avg),
        f3(t.baseline.accuracy),
    ]);
    table(out, &rows)?;
    if t.folds.is_some() {
        writeln!(out, "(± is the standard deviation over folds)")?;
    }
    writeln!(out)?;
    let mut rows = vec![vec![
        "label".to_string(),
        "precision".into(),
        "recall".into(),
        "F1".into(),
        "support".into(),
    ]];
    for c in &t.per_class {
        rows.push(vec![
            c.class.clone(),
            f3(c.precision),
            f3(c.recall),
            f3(c.f1),
            c.support.to_string(),
        ]);
    }
    table(out, &rows)?;
    writeln!(out, "\nconfusion (rows: true label, columns: predicted)")?;
    let mut rows = vec![std::iter::once("".to_string())
        .chain(t.classes.iter().cloned())
        .collect::<Vec<_>>()];
    for (i, c) in t.classes.iter().enumerate() {
        rows.push(
            std::iter::once(c.clone())
                .chain(t.confusion.counts[i].iter().map(|n| n.to_string()))
                .collect(),
        );
    }
    table(out, &rows)?;
    if !t.per_actor.is_empty() {
        writeln!(out, "\nper actor")?;
        let mut rows = vec![std::iter::once("actor".to_string())
            .chain(["n", "accuracy", "macro-F1", "F_avg"].map(String::from))
            .chain(t.classes.iter().cloned())
            .collect::<Vec<_>>()];
        for a in &t.per_actor {
            rows.push(
                [
                    a.actor.clone(),
                    a.n.to_string(),
                    f3(a.accuracy),
                    f3(a.macro_f1),
                    opt(a.f_avg),
                ]
                .into_iter()
                .chain(
                    t.classes
                        .iter()
                        .map(|c| a.labels.get(c).copied().unwrap_or(0).to_string()),
                )
                .collect(),
            );
        }
        table(out, &rows)?;
    }
    Ok(())
}
