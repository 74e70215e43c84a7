//! `stance report`: one self-contained HTML page comparing sources and months.

use super::args::{parse_positive, ModelArg};
use clap::Args;
use stance::compare::{compare, CompareOptions, GroupBy, GroupRow, ModelView};
use stance::pipeline::ArticleScore;
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
    /// Groups with fewer articles are drawn as thin (hatched grey, never coloured like an
    /// estimate) and never listed as standing out; months are pooled into quarters when the
    /// charted actors have a median of fewer articles a month (or a month's interval is wider
    /// than 0.5).
    #[arg(long, default_value_t = 10)]
    pub min_n: usize,
    /// Labeled articles drawn at random from those reported: the corrected estimators take
    /// their error rates from these (as `compare --labeled`).
    #[arg(long, value_name = "FILE")]
    pub labeled: Option<String>,
    /// With --labeled: what the model's out-of-fold predictions still count for beside them
    /// (as `compare --own-weight`).
    #[arg(
        long,
        value_name = "auto|N",
        default_value = "auto",
        requires = "labeled"
    )]
    pub own_weight: stance::quantify::pool::OwnWeight,
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
        let mut view = ModelView::of_model(&model);
        if let Some(file) = &self.labeled {
            view = super::compare::with_labeled(view, &model, file, self.own_weight)?;
        }
        let stance::scores::ReadScores { articles, skipped } =
            stance::scores::read(&self.scores, Some(view.labels.names()))?;
        if let Some(w) = view.check_scores(&articles).map_err(anyhow::Error::msg)? {
            eprintln!("stance: warning: {w}");
        }
        if articles.is_empty() {
            anyhow::bail!("no scored articles in {}", self.scores.join(", "));
        }
        let focus = self.focus(&articles)?;
        let expected = view.expected_errors(None).0.map(std::sync::Arc::new);
        let opts = |by| CompareOptions {
            by,
            actors: Vec::new(),
            bootstrap: self.bootstrap,
            seed: self.seed,
            level: 0.95,
            estimator: self.estimator,
            expected: expected.clone(),
            exact_limit: stance::compare::EXACT_LIMIT,
        };
        let by_source = compare(&articles, &opts(GroupBy::Source), &view);
        let overall = compare(&articles, &opts(GroupBy::All), &view);
        let (by_period, period, period_note) = self.over_time(&articles, &focus, &view, &opts);
        let estimator = by_source.first().map_or(self.estimator, |r| r.estimator);
        let page = html(
            &ReportInput {
                title: &self.title,
                lede: lede(&articles, estimator),
                by_source: &by_source,
                by_period: &by_period,
                period,
                period_note,
                overall: &overall,
                methods: self.methods(&articles, skipped, &model, estimator),
                focus,
            },
            self.min_n,
        );
        stance::output::write_atomic(&self.out, page.as_bytes(), target)?;
        eprintln!("stance: wrote {}", self.out.display());
        Ok(0)
    }

    /// The actors charted one by one: --actor (each must be named by some score), else the
    /// four named most often.
    fn focus(&self, articles: &[ArticleScore]) -> anyhow::Result<Vec<String>> {
        let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
        for a in articles {
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
        Ok(if self.actors.is_empty() {
            let mut v: Vec<(&str, usize)> = counts.into_iter().collect();
            v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            v.into_iter().take(4).map(|(a, _)| a.to_string()).collect()
        } else {
            self.actors.clone()
        })
    }

    /// Over time by month, or by quarter when a month's interval is too wide to read a change
    /// from one month to the next (the charted actors' median wider than MAX_WIDTH, or a
    /// median month thinner than --min-n): the rows, the period's name, and why quarters.
    fn over_time(
        &self,
        articles: &[ArticleScore],
        focus: &[String],
        view: &ModelView,
        opts: &dyn Fn(GroupBy) -> CompareOptions,
    ) -> (Vec<GroupRow>, &'static str, Option<String>) {
        let by_month = compare(articles, &opts(GroupBy::Month), view);
        let months = spread(&by_month, focus);
        if !months.is_some_and(|(n, width)| width > MAX_WIDTH || n < self.min_n) {
            return (by_month, "month", None);
        }
        let quartered: Vec<_> = articles
            .iter()
            .cloned()
            .map(|mut a| {
                let q = a
                    .date
                    .as_deref()
                    .and_then(quarter)
                    .unwrap_or_else(|| "(no date)".into());
                a.fields.insert(QUARTER.to_string(), q);
                a
            })
            .collect();
        let by_quarter = compare(&quartered, &opts(GroupBy::Field(QUARTER.into())), view);
        let (mn, mw) = months.unwrap_or_default();
        let (qn, qw) = spread(&by_quarter, focus).unwrap_or_default();
        let note = format!(
            "By quarter: a month of the charted actors has a median of {mn} articles and a 95% interval {mw:.2} wide (of the scale's 2), too wide to read a change from one month to the next, so the months are pooled into quarters (a median of {qn} articles, intervals {qw:.2} wide). The table by month: stance compare --by month."
        );
        (by_quarter, "quarter", Some(note))
    }

    /// The methods section: data, model, estimator, intervals, mean score.
    fn methods(
        &self,
        articles: &[ArticleScore],
        skipped: usize,
        model: &stance::StanceModel,
        estimator: Estimator,
    ) -> Vec<String> {
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
        vec![
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
                "Estimator: {} — label shares per group {}{}; net stance = share favor − share against.",
                estimator.name(),
                estimator.method(),
                match (&model.info.quantify, self.estimator) {
                    (Some(c), Estimator::Auto) =>
                        format!(", {}", stance::quantify::select::method_note(c)),
                    _ => String::new(),
                }
            ),
            format!(
                "Intervals: 95% percentile bootstrap, {} resamples of the group's articles (and of the model's out-of-fold examples for corrected estimators), seed {}.",
                self.bootstrap, self.seed
            ),
            "Mean score = mean of P(favor) − P(against) over the group's articles; n = articles that name the actor.".to_string(),
        ]
    }
}

/// The line under the title: articles, sources, months covered, estimator.
fn lede(articles: &[ArticleScore], estimator: Estimator) -> String {
    let sources: std::collections::BTreeSet<&str> = articles
        .iter()
        .filter_map(|a| a.source.as_deref())
        .collect();
    let dates: Vec<&str> = articles.iter().filter_map(|a| a.date.as_deref()).collect();
    format!(
        "{} articles from {} sources{}; net stance = share favor − share against, estimated by {} with 95% intervals.",
        articles.len(),
        sources.len(),
        match (dates.iter().min(), dates.iter().max()) {
            (Some(a), Some(b)) => format!(", {} to {}", a.get(..7).unwrap_or(a), b.get(..7).unwrap_or(b)),
            _ => String::new(),
        },
        estimator.name()
    )
}

/// The field the report groups by quarter under (not a field of any input: it has a colon).
const QUARTER: &str = "stance:quarter";

/// "2024-05-17" → "2024-Q2".
fn quarter(date: &str) -> Option<String> {
    let year = date.get(..4)?;
    let month: u32 = date.get(5..7)?.parse().ok()?;
    (1..=12)
        .contains(&month)
        .then(|| format!("{year}-Q{}", (month - 1) / 3 + 1))
}

/// Over time, a period whose median interval is wider than this (on the net stance's scale of
/// 2) is too noisy to read a change from one period to the next.
const MAX_WIDTH: f64 = 0.5;

/// The median n and the median interval width of the net stance of the `focus` actors' rows
/// (None when there are none).
fn spread(rows: &[stance::compare::GroupRow], focus: &[String]) -> Option<(usize, f64)> {
    let rows: Vec<_> = rows.iter().filter(|r| focus.contains(&r.actor)).collect();
    let mut n: Vec<usize> = rows.iter().map(|r| r.n).collect();
    let mut width: Vec<f64> = rows
        .iter()
        .filter_map(|r| r.chosen().net.map(|[_, lo, hi]| hi - lo))
        .collect();
    n.sort_unstable();
    width.sort_by(f64::total_cmp);
    Some((*n.get(n.len() / 2)?, *width.get(width.len() / 2)?))
}

#[cfg(test)]
mod tests {
    #[test]
    fn quarters_of_dates() {
        assert_eq!(super::quarter("2024-05-17").as_deref(), Some("2024-Q2"));
        assert_eq!(super::quarter("2023-12").as_deref(), Some("2023-Q4"));
        assert_eq!(super::quarter("2023-01-01").as_deref(), Some("2023-Q1"));
        assert_eq!(super::quarter("2023-13-01"), None);
        assert_eq!(super::quarter("soon"), None);
    }
}
