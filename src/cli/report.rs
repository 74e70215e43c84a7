//! `stance report`: one self-contained HTML page comparing sources and months.

use super::args::{parse_positive, ModelArg};
use clap::Args;
use stance::compare::{compare_groups, CompareOptions, GroupBy, GroupRow, ModelView};
use stance::quantify::Estimator;
use stance::report::{collect::QUARTER, html, Collected, Collector, ReportInput, Stats};
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
    /// Groups (per actor) of up to this many articles are estimated exactly, article by
    /// article; larger ones from a summary (bins of probabilities 0.01 wide), as in `compare`.
    #[arg(long, default_value_t = CompareOptions::default().exact_limit)]
    pub exact_limit: usize,
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
        let opts = |by| CompareOptions {
            by,
            actors: Vec::new(),
            bootstrap: self.bootstrap,
            seed: self.seed,
            level: 0.95,
            estimator: self.estimator,
            expected: None,
            exact_limit: self.exact_limit,
        };
        // One pass over the scores, which may be standard input.
        let mut collector = Collector::new(&opts(GroupBy::Source), view);
        let labels = collector.labels().to_vec();
        let skipped = stance::scores::each(&self.scores, Some(&labels), &mut |a| {
            collector.add(a).map_err(stance::Error::Config)
        })?;
        let (data, view, warn) = collector.finish();
        if let Some(w) = warn {
            eprintln!("stance: warning: {w}");
        }
        if data.stats.articles == 0 {
            anyhow::bail!("no scored articles in {}", self.scores.join(", "));
        }
        let focus = self.focus(&data.stats)?;
        let expected = view.expected_errors(None).0.map(std::sync::Arc::new);
        let opts = |by| CompareOptions {
            expected: expected.clone(),
            ..opts(by)
        };
        let by_source = compare_groups(&data.by_source, &opts(GroupBy::Source), &view);
        let overall = compare_groups(&data.overall, &opts(GroupBy::All), &view);
        let (by_period, period, period_note) = self.over_time(&data, &focus, &view, &opts);
        let estimator = by_source.first().map_or(self.estimator, |r| r.estimator);
        let page = html(
            &ReportInput {
                title: &self.title,
                lede: lede(&data.stats, estimator),
                by_source: &by_source,
                by_period: &by_period,
                period,
                period_note,
                overall: &overall,
                methods: self.methods(&data.stats, skipped, &model, estimator),
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
    fn focus(&self, stats: &Stats) -> anyhow::Result<Vec<String>> {
        let counts = &stats.actors;
        if let Some(a) = self.actors.iter().find(|a| !counts.contains_key(*a)) {
            let known: Vec<&str> = counts.keys().map(String::as_str).collect();
            anyhow::bail!(
                "--actor \"{a}\": no score names this actor (the scores name: {})",
                known.join(", ")
            );
        }
        Ok(if self.actors.is_empty() {
            let mut v: Vec<(&String, &usize)> = counts.iter().collect();
            v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            v.into_iter().take(4).map(|(a, _)| a.clone()).collect()
        } else {
            self.actors.clone()
        })
    }

    /// Over time by month, or by quarter when a month's interval is too wide to read a change
    /// from one month to the next (the charted actors' median wider than MAX_WIDTH, or a
    /// median month thinner than --min-n): the rows, the period's name, and why quarters.
    fn over_time(
        &self,
        data: &Collected,
        focus: &[String],
        view: &ModelView,
        opts: &dyn Fn(GroupBy) -> CompareOptions,
    ) -> (Vec<GroupRow>, &'static str, Option<String>) {
        let by_month = compare_groups(&data.by_month, &opts(GroupBy::Month), view);
        let months = spread(&by_month, focus);
        if !months.is_some_and(|(n, width)| width > MAX_WIDTH || n < self.min_n) {
            return (by_month, "month", None);
        }
        let by = GroupBy::Field(QUARTER.into());
        let by_quarter = compare_groups(&data.by_quarter, &opts(by), view);
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
        stats: &Stats,
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
        vec![
            format!(
                "Data: {} articles from {} sources{}{}; {} actor scores.",
                stats.articles,
                stats.sources.len(),
                match &stats.dates {
                    Some((a, b)) => format!(", {a} to {b}"),
                    None => String::new(),
                },
                if skipped > 0 { format!(" ({skipped} error records left out)") } else { String::new() },
                stats.actor_scores
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
fn lede(stats: &Stats, estimator: Estimator) -> String {
    format!(
        "{} articles from {} sources{}; net stance = share favor − share against, estimated by {} with 95% intervals.",
        stats.articles,
        stats.sources.len(),
        match &stats.dates {
            Some((a, b)) => format!(", {} to {}", a.get(..7).unwrap_or(a), b.get(..7).unwrap_or(b)),
            None => String::new(),
        },
        estimator.name()
    )
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
