//! `stance train`: fit the featurizer and the stance and sentiment models on labeled data, and
//! save them as one model file.

use super::eval::{print_report, ReportFormat};
use super::{load_actors, LabeledArgs, ModelArgs};
use clap::Args;
use stance::evaluate::cross_validate;
use stance::StanceModel;
use std::io::Write;
use std::path::PathBuf;

#[derive(Args)]
#[command(
    about = "Train a model on labeled articles and save it (prints the cross-validation summary)",
    after_help = "Examples:\n  stance train --data data/articles.jsonl --actors data/actors.toml --out models/default.json\n  stance train --data labels.csv --text-col body --out m.json --alpha 0.5 --ngrams 1-3 --no-cv\n  stance train --data long_form.jsonl --positive-label pro --negative-label anti --out m.json"
)]
pub struct TrainCmd {
    /// Where to write the model (written to a temporary file, then renamed).
    #[arg(long)]
    pub out: PathBuf,
    /// Folds of the cross-validation run before training (its summary is saved in the model).
    #[arg(long, default_value_t = 5, value_parser = super::parse_folds)]
    pub folds: usize,
    /// Seed for the folds.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Keep articles that share this field's value in one fold (default: the article id).
    #[arg(long)]
    pub group_by: Option<String>,
    /// Skip cross-validation.
    #[arg(long)]
    pub no_cv: bool,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
    /// Summary as a table or JSON.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ReportFormat,
    #[command(flatten)]
    pub labeled: LabeledArgs,
    #[command(flatten)]
    pub model_args: ModelArgs,
}

impl TrainCmd {
    pub fn run(self) -> anyhow::Result<i32> {
        let actors = load_actors(self.labeled.actors.as_ref())?;
        let set = self.labeled.read(&actors)?;
        if !self.no_cv {
            super::warn_rare_labels(&set, self.folds);
        }
        let cfg = self.model_args.config();
        let cv = if self.no_cv {
            None
        } else {
            Some(cross_validate(
                &set,
                &cfg,
                self.folds,
                self.seed,
                self.group_by.as_deref(),
            )?)
        };
        if let Some(cv) = &cv {
            super::warn_unconverged(cv.unconverged, self.folds, self.model_args.max_iter);
        }
        let mut model = StanceModel::train(&set, &cfg, self.seed)?;
        if let Some(cv) = &cv {
            model.info.cv = Some(serde_json::to_value(&cv.report)?);
            model.info.calibration = Some(stance::evaluate::calibration(
                &cv.predictions,
                &model.stance.classes,
            ));
        }
        model.save(&self.out)?;
        if self.quiet {
            return Ok(0);
        }
        let mut out = std::io::stdout().lock();
        match self.format {
            ReportFormat::Json => {
                let summary = serde_json::json!({
                    "model": self.out.display().to_string(),
                    "articles": set.articles.len(),
                    "stance_examples": set.examples.len(),
                    "features": model.featurizer.len(),
                    "stance_fit": model.stance.report,
                    "sentiment_fit": model.sentiment.as_ref().map(|s| &s.report),
                    "cv": cv.as_ref().map(|c| &c.report),
                });
                serde_json::to_writer_pretty(&mut out, &summary)?;
                writeln!(out)?;
            }
            ReportFormat::Text => {
                writeln!(
                    out,
                    "trained on {} articles, {} stance examples ({}), {} sentiment labels; {} features",
                    set.articles.len(),
                    set.examples.len(),
                    set.stance_classes.join("/"),
                    model.info.sentiment_examples,
                    model.featurizer.len()
                )?;
                let fit = |r: &stance::model::FitReport| {
                    format!(
                        "{} iterations, {} ({})",
                        r.iterations,
                        if r.converged {
                            "converged"
                        } else {
                            "NOT converged"
                        },
                        r.stopped
                    )
                };
                writeln!(out, "stance fit: {}", fit(&model.stance.report))?;
                if let Some(s) = &model.sentiment {
                    writeln!(out, "sentiment fit: {}", fit(&s.report))?;
                }
                writeln!(out, "saved {}", self.out.display())?;
                if let Some(cv) = &cv {
                    writeln!(out)?;
                    print_report(&mut out, &cv.report)?;
                }
            }
        }
        Ok(0)
    }
}
