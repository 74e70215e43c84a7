//! `stance train`: fit the featurizer and the stance and sentiment models on labeled data, and
//! save them as one model file.

use super::args::{
    check_files, labeled_inputs, warn_rare_labels, warn_unconverged, CvArgs, LabeledArgs,
    ModelArgs, OutputFormat, TimeLimitArgs,
};
use super::print;
use clap::Args;
use stance::output::Target;
use stance::StanceModel;
use std::io::Write;
use std::path::PathBuf;

#[derive(Args)]
#[command(
    about = "Train a model on labeled articles and save it (prints the cross-validation summary)",
    after_help = "Examples:\n  stance train --data data/articles.jsonl --actors data/actors.toml --out models/default.json\n  stance train --data labels.csv --text-col body --out m.json --alpha 0.5 --ngrams 1-3 --no-cv\n  stance train --data long_form.jsonl --positive-label pro --negative-label anti --out m.json\n  stance train --data train.jsonl --auto --budget 2m --metric f-avg --out m.json\n  stance train --data train.jsonl --auto --budget 40t --out m.json\n\nCross-validation runs first (unless --no-cv): its report and its out-of-fold predictions are\nsaved in the model, and `stance compare` needs the latter for its corrected estimators.\n\nWith --auto the settings are chosen on the data: starting from the flags given (or the\ndefaults), each setting in turn (per-actor weights, class weights, alpha, word n-grams, window,\nmarkers, near-target words, lexicon, negation, character n-grams, block norms, min-df, actor\nprior) tries its other values, scored by --folds-fold cross-validation on the same folds, and a\nchange is kept if it gains at least 0.3 points of --metric; passes repeat until nothing changes\n(the search converged) or --budget is spent: a time (5m), or a number of settings to score\n(40t), which makes the search and the model the same on any machine. Settings that cannot matter on the data (window and markers when no actor\nis named in the texts) are not searched. The selection score flatters; the estimate printed\nbeside it (one of the --folds folds held out by default, --estimate nested for nested cross-validation) is what to expect on new data.\n`stance tune` differs: it scores every combination of a grid you write\n(macro-F1 only) and reports nested cross-validation, but trains nothing unless --out."
)]
pub struct TrainCmd {
    /// Where to write the model (written to a temporary file, then renamed).
    #[arg(long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub cv: CvArgs,
    /// Skip cross-validation (the model then holds no error rates for `stance compare`).
    #[arg(long)]
    pub no_cv: bool,
    /// The model's name, saved in it and carried by every score record it makes (default: the
    /// --out file's name without its extension).
    #[arg(long)]
    pub name: Option<String>,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
    /// Summary as tables or as one JSON document.
    #[arg(long, default_value = "text", value_parser = OutputFormat::parser(&[OutputFormat::Text, OutputFormat::Json]))]
    pub format: OutputFormat,
    /// Show every actor in the per-actor table (by default the 15 with the most examples).
    #[arg(long)]
    pub all_actors: bool,
    #[command(flatten)]
    pub limit: TimeLimitArgs,
    #[command(flatten)]
    pub auto: super::auto::AutoArgs,
    #[command(flatten)]
    pub labeled: LabeledArgs,
    #[command(flatten)]
    pub model_args: ModelArgs,
}

impl TrainCmd {
    pub fn run(self) -> anyhow::Result<i32> {
        // Where the model goes is checked before the (long) training, not after.
        check_files(
            &labeled_inputs(&self.labeled),
            &[("--out", &self.out, Target::File)],
        )?;
        let deadline = self.limit.start("training");
        let set = self
            .labeled
            .read(&self.labeled.registry(&self.model_args.config())?)?;
        let mut cfg = self.model_args.config();
        let auto = if self.auto.auto {
            let (outcome, record) = self.auto.choose(&set, &cfg, &self.cv, self.quiet)?;
            cfg = outcome.search.config.clone();
            Some((outcome, record))
        } else {
            None
        };
        let (mut model, cv) = if self.no_cv {
            (StanceModel::train(&set, &cfg, self.cv.seed)?, None)
        } else {
            warn_rare_labels(&set, self.cv.folds);
            let (m, cv) = StanceModel::train_with_cv(&set, &cfg, &self.cv.options())?;
            warn_unconverged(cv.unconverged, self.cv.folds, cfg.logistic.max_iterations);
            (m, Some(cv))
        };
        model.name = Some(match &self.name {
            Some(n) => n.clone(),
            None => self
                .out
                .file_stem()
                .map_or("model".into(), |s| s.to_string_lossy().into_owned()),
        });
        model.info.auto = auto.as_ref().map(|(_, r)| r.clone());
        deadline.finish(|| model.save(&self.out))?;
        if self.quiet {
            return Ok(0);
        }
        let mut out = std::io::stdout().lock();
        if self.format == OutputFormat::Json {
            let summary = serde_json::json!({
                "model": self.out.display().to_string(),
                "articles": set.articles.len(),
                "stance_examples": set.examples.len(),
                "features": model.featurizer.len(),
                "stance_fit": stance::classifier::Classify::report(&model.stance.classifier),
                "sentiment_fit": model.sentiment.as_ref().map(|s| stance::classifier::Classify::report(&s.classifier)),
                "cv": cv.as_ref().map(|c| &c.report),
                "quantify": model.info.quantify,
                "auto": auto.as_ref().map(|(o, r)| serde_json::json!({
                    "record": r,
                    "seconds": o.seconds,
                    "trials": o.search.trials,
                    "command": super::args::train_command(&self.labeled, &o.search.config, &self.cv.options(), Some(&self.out)),
                })),
            });
            serde_json::to_writer_pretty(&mut out, &summary)?;
            writeln!(out)?;
            return Ok(0);
        }
        if let Some((outcome, record)) = &auto {
            super::auto::print(
                &mut out,
                outcome,
                record,
                &self.labeled,
                &self.cv.options(),
                &self.out,
            )?;
        }
        writeln!(
            out,
            "trained on {} articles, {} stance examples ({}), {} sentiment labels; {} features",
            set.articles.len(),
            set.examples.len(),
            stance::output::printable_line(&set.stance_classes.join("/")),
            model.info.sentiment_examples,
            model.featurizer.len()
        )?;
        for t in [Some(&model.stance), model.sentiment.as_ref()]
            .into_iter()
            .flatten()
        {
            let r = stance::classifier::Classify::report(&t.classifier);
            writeln!(out, "{} fit: {}", t.task, print::fit_line(r))?;
        }
        if let Some(c) = &model.info.quantify {
            writeln!(out, "{}", stance::quantify::select::summary(c))?;
        }
        writeln!(out, "saved {}", self.out.display())?;
        if let Some(cv) = &cv {
            writeln!(out)?;
            print::report(&mut out, &cv.report, self.all_actors)?;
        }
        Ok(0)
    }
}
