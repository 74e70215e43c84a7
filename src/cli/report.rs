//! `stance report`: one self-contained HTML page comparing sources and months.

use super::args::{parse_positive, ModelArg};
use clap::Args;
use stance::compare::{compare, CompareOptions, GroupBy, ModelView};
use stance::quantify::Estimator;
use stance::report::{html, ReportInput};
use std::path::PathBuf;

#[derive(Args)]
#[command(
    about = "Write a self-contained HTML report (tables, charts, methods) from `stance score` output",
    after_help = "Examples:\n  stance score data/articles.jsonl > scores.jsonl\n  stance report scores.jsonl --out report.html\n  stance report scores.jsonl --actor Iran --actor Israel --out iran_israel.html\n\nThe page has no external resources: open it anywhere, mail it, archive it."
)]
pub struct ReportCmd {
    /// Score files (JSONL from `stance score`).
    #[arg(required = true)]
    pub scores: Vec<String>,
    /// The HTML file to write.
    #[arg(long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub model: ModelArg,
    /// Actors to chart one by one (default: the four named most often).
    #[arg(long = "actor")]
    pub actors: Vec<String>,
    /// The estimator of the headline shares.
    #[arg(long, value_enum, default_value_t = CompareOptions::default().estimator)]
    pub estimator: Estimator,
    /// Bootstrap resamples for the intervals.
    #[arg(long, default_value_t = 1000, value_parser = parse_positive)]
    pub bootstrap: usize,
    /// Seed of the bootstrap resamples.
    #[arg(long, default_value_t = CompareOptions::default().seed)]
    pub seed: u64,
    /// Groups with fewer articles are greyed out.
    #[arg(long, default_value_t = 10)]
    pub min_n: usize,
    /// Page title.
    #[arg(long, default_value = "Stance by source and month")]
    pub title: String,
}

impl ReportCmd {
    pub fn run(self) -> anyhow::Result<i32> {
        let mut inputs: Vec<(&str, &std::path::Path)> = (self.scores.iter())
            .map(|s| ("the score file", std::path::Path::new(s)))
            .collect();
        inputs.extend(self.model.model.iter().map(|m| ("--model", m.as_path())));
        let target = stance::output::Target::FileOrStream;
        super::args::check_files(&inputs, &[("--out", &self.out, target)])?;
        let model = self.model.load()?;
        let view = ModelView::of_model(&model);
        let stance::scores::ReadScores { articles, skipped } =
            stance::scores::read(&self.scores, Some(view.labels.names()))?;
        if let Some(w) = view.check_scores(&articles).map_err(anyhow::Error::msg)? {
            eprintln!("stance: warning: {w}");
        }
        if articles.is_empty() {
            anyhow::bail!("no scored articles in {}", self.scores.join(", "));
        }
        let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
        for a in &articles {
            for s in &a.actors {
                *counts.entry(s.actor.as_str()).or_default() += 1;
            }
        }
        if let Some(a) = self
            .actors
            .iter()
            .find(|a| !counts.contains_key(a.as_str()))
        {
            let known: Vec<&str> = counts.keys().copied().collect();
            anyhow::bail!(
                "--actor \"{a}\": no score names this actor (the scores name: {})",
                known.join(", ")
            );
        }
        let focus: Vec<String> = if self.actors.is_empty() {
            let mut v: Vec<(&str, usize)> = counts.into_iter().collect();
            v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            v.into_iter().take(4).map(|(a, _)| a.to_string()).collect()
        } else {
            self.actors.clone()
        };
        let opts = |by| CompareOptions {
            by,
            actors: Vec::new(),
            bootstrap: self.bootstrap,
            seed: self.seed,
            level: 0.95,
            estimator: self.estimator,
        };
        let by_source = compare(&articles, &opts(GroupBy::Source), &view);
        let by_month = compare(&articles, &opts(GroupBy::Month), &view);
        let estimator = by_source.first().map_or(self.estimator, |r| r.estimator);
        let cv_f1 = model
            .info
            .cv
            .as_ref()
            .map_or("not measured".to_string(), |cv| {
                format!("{:.3}", cv.stance.macro_f1)
            });
        let sources: std::collections::BTreeSet<&str> = articles
            .iter()
            .filter_map(|a| a.source.as_deref())
            .collect();
        let dates: Vec<&str> = articles.iter().filter_map(|a| a.date.as_deref()).collect();
        let methods = vec![
            format!(
                "Data: {} articles from {} sources{}{}; {} actor scores.",
                articles.len(),
                sources.len(),
                match (dates.iter().min(), dates.iter().max()) {
                    (Some(a), Some(b)) => format!(", {a} to {b}"),
                    _ => String::new(),
                },
                if skipped > 0 { format!(" ({skipped} error records left out)") } else { String::new() },
                articles.iter().map(|a| a.actors.len()).sum::<usize>()
            ),
            format!(
                "Model: {} (stance {}), TF-IDF + multinomial logistic regression trained on {} articles / {} stance labels; cross-validated stance macro-F1 {}.",
                self.model.name(),
                model.stance.classes().join("/"),
                model.info.articles,
                model.info.stance_examples,
                cv_f1
            ),
            format!(
                "Estimator: {} — label shares per group {}; net stance = share favor − share against.",
                estimator.name(),
                estimator.method()
            ),
            format!(
                "Intervals: 95% percentile bootstrap, {} resamples of the group's articles (and of the model's out-of-fold examples for corrected estimators), seed {}.",
                self.bootstrap, self.seed
            ),
            "Mean score = mean of P(favor) − P(against) over the group's articles; n = articles that name the actor.".to_string(),
        ];
        let page = html(
            &ReportInput {
                title: &self.title,
                by_source: &by_source,
                by_month: &by_month,
                methods,
                focus,
            },
            self.min_n,
        );
        stance::output::write_atomic(&self.out, page.as_bytes(), target)?;
        eprintln!("stance: wrote {}", self.out.display());
        Ok(0)
    }
}
