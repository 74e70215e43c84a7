//! `stance eval`: cross-validation on labeled data, or a trained model on held-out data.

use super::args::{
    add_actors, check_files, labeled_inputs, warn_rare_labels, warn_unconverged, CvArgs,
    LabeledArgs, ModelArgs, OutputFormat,
};
use super::print;
use clap::Args;
use stance::evaluate::{cross_validate, evaluate_model, Prediction};
use stance::output::{Output, Target};
use stance::StanceModel;
use std::io::Write;
use std::path::PathBuf;

#[derive(Args)]
#[command(
    about = "Evaluate: k-fold cross-validation on labeled data, or a trained model on held-out data",
    after_help = "Examples:\n  stance eval --data data/articles.jsonl --actors data/actors.toml\n  stance eval --data data/articles.jsonl --actors data/actors.toml --folds 10 --group-by source --oof oof.jsonl\n  stance eval --model models/default.json --data test.jsonl --format json\n\nFolds are shuffled (--seed), stratified by label and grouped by article (or --group-by FIELD),\nand the featurizer is fitted inside each fold; every example is validated exactly once.\nWith --model, the model's own settings apply: training and fold flags are refused."
)]
pub struct EvalCmd {
    /// Evaluate this trained model on --data instead of cross-validating.
    #[arg(long, conflicts_with_all = ["training", "folds", "seed", "group_by"])]
    pub model: Option<PathBuf>,
    #[command(flatten)]
    pub cv: CvArgs,
    /// Write every out-of-fold (or held-out) prediction to this JSONL file.
    #[arg(long)]
    pub oof: Option<PathBuf>,
    /// Output: tables for people or one JSON document for machines.
    #[arg(long, default_value = "text", value_parser = OutputFormat::parser(&[OutputFormat::Text, OutputFormat::Json]))]
    pub format: OutputFormat,
    /// Show every actor in the per-actor table (by default the 15 with the most examples).
    #[arg(long)]
    pub all_actors: bool,
    #[command(flatten)]
    pub limit: super::args::TimeLimitArgs,
    #[command(flatten)]
    pub labeled: LabeledArgs,
    #[command(flatten)]
    pub model_args: ModelArgs,
}

impl EvalCmd {
    pub fn run(self) -> anyhow::Result<i32> {
        let mut inputs = labeled_inputs(&self.labeled);
        if let Some(m) = &self.model {
            inputs.push(("--model", m.as_path()));
        }
        if let Some(o) = &self.oof {
            check_files(&inputs, &[("--oof", o, Target::FileOrStream)])?;
        } else {
            check_files(&inputs, &[])?;
        }
        let deadline = self.limit.start("evaluating");
        let (report, preds) = match &self.model {
            Some(path) => {
                let mut model = StanceModel::load(path)?;
                if let Some(a) = &self.labeled.actors {
                    add_actors(&mut model, a)?;
                }
                let set = self.labeled.read(&model.registry)?;
                evaluate_model(&model, &set)?
            }
            None => {
                let set = self
                    .labeled
                    .read(&self.labeled.registry(&self.model_args.config())?)?;
                warn_rare_labels(&set, self.cv.folds);
                let cfg = self.model_args.config();
                let o = self.cv.options();
                let cv = cross_validate(&set, &cfg, o.folds, o.seed, o.group_by.as_deref())?;
                warn_unconverged(cv.unconverged, o.folds, cfg.logistic.max_iterations);
                (cv.report, cv.predictions)
            }
        };
        if let Some(path) = &self.oof {
            deadline.finish(|| write_predictions(path, &preds))?;
        } else {
            deadline.finish(|| ());
        }
        let mut out = std::io::stdout().lock();
        match self.format {
            OutputFormat::Json => {
                serde_json::to_writer_pretty(&mut out, &report)?;
                writeln!(out)?;
            }
            _ => print::report(&mut out, &report, self.all_actors)?,
        }
        Ok(0)
    }
}

/// Writes the predictions as JSON Lines, whole or not at all.
fn write_predictions(path: &std::path::Path, preds: &[Prediction]) -> anyhow::Result<()> {
    let mut w = Output::create(path, Target::FileOrStream)?;
    for p in preds {
        serde_json::to_writer(&mut w, p)?;
        writeln!(w)?;
    }
    w.commit()?;
    Ok(())
}
