//! `stance compare`: stance by source or month, from the output of `stance score`.

use super::args::{parse_positive, table, ModelArg, OutputFormat};
use clap::Args;
use stance::compare::{
    compare_groups, diff, signed, CompareOptions, Difference, GroupBy, GroupRow, Groups, ModelView,
};
use stance::quantify::Estimator;
use std::io::Write;
use std::path::PathBuf;

#[derive(Args)]
#[command(
    about = "Compare stance across sources or months, with error-corrected shares, intervals and tests",
    after_help = "Examples:\n  stance score data/articles.jsonl > scores.jsonl\n  stance compare scores.jsonl --by source --actor Iran\n  stance compare scores.jsonl --by month --estimator cc --format csv > by_month.csv\n  stance compare scores.jsonl --by country --actor Iran   (a field of the input records)\n  stance compare scores.jsonl --diff \"The Clarion Tribune\" \"Meridian Wire\" --actor Iran\n\nShares are estimated per group, not counted: classify and count (cc) is biased whenever the\nclassifier errs. The corrected estimators use the out-of-fold predictions stored in the\nmodel that made the scores (--model; by default the built-in model). net = share(favor) -\nshare(against); score = mean P(favor) - P(against). Intervals: 95% percentile bootstrap\nresampling articles (and the model's out-of-fold examples, for the corrected estimators)."
)]
pub struct CompareCmd {
    /// Score files: JSONL from `stance score`, its CSV (`.csv`), or Parquet in the same long
    /// form (`.parquet`, or found by its first bytes; a directory is a dataset of Parquet
    /// files, as Spark writes one); - for standard input (JSONL).
    #[arg(required = true)]
    pub scores: Vec<String>,
    #[command(flatten)]
    pub model: ModelArg,
    /// Do not read a model: only the estimators that need no error rates (cc, pcc).
    #[arg(long, conflicts_with = "model")]
    pub no_model: bool,
    /// Labeled articles drawn at random from those compared (read as `train --data` reads,
    /// actors as the model knows them): the corrected estimators take their error rates and
    /// recalibration from these, scored by the model, instead of from the model's out-of-fold
    /// predictions. Worth a hundred or so labels when the compared articles may differ from
    /// the training ones (README, "How accurate are the estimators in real use?").
    #[arg(long, value_name = "FILE", conflicts_with = "no_model")]
    pub labeled: Option<String>,
    /// With --labeled: what the model's out-of-fold predictions still count for beside the
    /// labeled articles, in labeled examples. auto: chosen by empirical Bayes from how far the
    /// labeled articles' error rates are from the out-of-fold ones (all of them where the two
    /// agree, few where they differ); 0: the labeled articles' rates alone.
    #[arg(
        long,
        value_name = "auto|N",
        default_value = "auto",
        requires = "labeled"
    )]
    pub own_weight: stance::quantify::pool::OwnWeight,
    /// What to group articles by: source, month, source-month, all, or any other field of
    /// the input records (`stance score` carries them into the scores), e.g. `--by country`.
    #[arg(long, default_value = "source")]
    pub by: GroupBy,
    /// Only this actor. Repeatable.
    #[arg(long = "actor")]
    pub actors: Vec<String>,
    /// The estimator of the headline shares.
    #[arg(long, value_enum, default_value_t = CompareOptions::default().estimator)]
    pub estimator: Estimator,
    /// Compare two groups: A minus B, with intervals and permutation p-values (only these two
    /// groups are kept as the scores stream in).
    #[arg(long, num_args = 2, value_names = ["A", "B"])]
    pub diff: Option<Vec<String>>,
    /// Shuffles of the permutation test (with --diff).
    #[arg(long, default_value_t = 2000, value_parser = parse_positive)]
    pub permutations: usize,
    /// Bootstrap resamples for the intervals.
    #[arg(long, default_value_t = CompareOptions::default().bootstrap, value_parser = parse_positive)]
    pub bootstrap: usize,
    /// Groups (per actor) of up to this many articles are estimated exactly, article by
    /// article; larger ones from a summary (bins of probabilities 0.01 wide) in bounded memory
    /// and time, EMQ and the intervals then approximate (with --diff, the bootstrap and the
    /// permutation test then draw over the bins).
    #[arg(long, default_value_t = CompareOptions::default().exact_limit)]
    pub exact_limit: usize,
    /// Seed of the bootstrap resamples and the permutations.
    #[arg(long, default_value_t = CompareOptions::default().seed)]
    pub seed: u64,
    /// Warn about groups with fewer articles than this.
    #[arg(long, default_value_t = 10)]
    pub min_n: usize,
    /// Output: a table, one JSON document, JSON Lines (one row per line) or CSV.
    #[arg(long, default_value = "text", value_parser = OutputFormat::parser(&[OutputFormat::Text, OutputFormat::Json, OutputFormat::Jsonl, OutputFormat::Csv]))]
    pub format: OutputFormat,
    /// The real-use evaluation of the model's training procedure (`stance simulate --format
    /// json`), whose errors by group size each row states (default: the built-in one, for a
    /// model trained on the built-in model's data).
    #[arg(long)]
    pub expected_error: Option<PathBuf>,
    /// Also draw a chart (SVG, or PNG by extension): a time series with --by month, a
    /// dot-and-whisker chart for one actor, a heatmap of groups × actors otherwise.
    #[arg(long)]
    pub plot: Option<PathBuf>,
    /// Write the per-group summaries to FILE (JSON; README, "Comparing at scale") instead of
    /// the comparison: one per partition of the scores, merged later with --from-summary.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["diff", "plot"])]
    pub save_summary: Option<PathBuf>,
    /// The inputs are summaries written by --save-summary, merged in the order given; with
    /// the same --by, --actor and --exact-limit they were made with.
    #[arg(long, conflicts_with = "diff")]
    pub from_summary: bool,
}

impl CompareCmd {
    /// What the comparison needs of the model (None with --no-model).
    fn view(&self) -> anyhow::Result<Option<ModelView>> {
        if self.no_model {
            return Ok(None);
        }
        let model = self.model.load().map_err(|e| {
            anyhow::anyhow!("{e}\n(compare reads the model for its error rates; name it with --model, or pass --no-model)")
        })?;
        let mut v = ModelView::of_model(&model);
        if let Some(file) = &self.labeled {
            v = with_labeled(v, &model, file, self.own_weight)?;
        }
        if v.calibration.is_none() && self.estimator.adjusted() {
            eprintln!(
                "stance: warning: {} holds no cross-validation predictions (trained with --no-cv), so {} falls back to pcc",
                self.model.name(),
                self.estimator.name()
            );
        }
        Ok(Some(v))
    }

    fn skipped(skipped: usize) {
        if skipped > 0 {
            eprintln!("stance: {skipped} error records in the scores were left out");
        }
    }

    /// The scores streamed into per-group summaries ([`Groups`]): one record held at a time;
    /// with `only`, the summaries of those groups alone.
    pub fn stream(
        &self,
        opts: &CompareOptions,
        only: Option<&[String]>,
    ) -> anyhow::Result<(Groups, ModelView)> {
        let mut sum = stance::compare::Summarizer::new(opts, self.view()?);
        if let Some(groups) = only {
            sum = sum.only_groups(groups);
        }
        let labels = sum.labels().map(<[String]>::to_vec);
        // A partition summarised for a later merge may be empty; a comparison may not.
        let each = if self.save_summary.is_some() {
            stance::scores::each_or_none
        } else {
            stance::scores::each
        };
        let skipped = each(&self.scores, labels.as_deref(), &mut |a| {
            sum.add(&a).map_err(stance::Error::Config)
        })?;
        let (groups, view, warn) = sum.finish();
        if let Some(w) = warn {
            eprintln!("stance: warning: {w}");
        }
        Self::skipped(skipped);
        Ok((groups, view))
    }

    /// The summaries given as inputs (`--from-summary`), merged.
    fn merged(&self, opts: &CompareOptions) -> anyhow::Result<(Groups, ModelView)> {
        let view = self.view()?;
        let labels = view.as_ref().map(|v| v.labels.names().to_vec());
        let groups = stance::compare::saved::read_all(&self.scores, opts, labels.as_deref())?;
        let view = view.unwrap_or_else(|| ModelView {
            labels: stance::labels::LabelSet::recognised(groups.labels().to_vec()),
            ..ModelView::default()
        });
        Ok((groups, view))
    }

    pub fn options(&self) -> CompareOptions {
        CompareOptions {
            by: self.by.clone(),
            actors: self.actors.clone(),
            bootstrap: self.bootstrap,
            seed: self.seed,
            level: 0.95,
            estimator: self.estimator,
            expected: None,
            exact_limit: self.exact_limit,
        }
    }

    /// Sets the real-use evaluation that gives the rows their expected error.
    fn expected(&self, opts: &mut CompareOptions, view: &ModelView) -> anyhow::Result<()> {
        let given = match &self.expected_error {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|e| stance::Error::io(p, e))?;
                Some(serde_json::from_str(&text).map_err(|e| {
                    anyhow::anyhow!(
                        "{}: not the JSON of `stance simulate --format json`: {e}",
                        p.display()
                    )
                })?)
            }
            None => None,
        };
        let (expected, warn) = view.expected_errors(given);
        if let Some(w) = warn {
            eprintln!("stance: warning: {w}");
        }
        opts.expected = expected.map(std::sync::Arc::new);
        Ok(())
    }

    pub fn run(self) -> anyhow::Result<i32> {
        self.check_files()?;
        let mut opts = self.options();
        if let Some(pair) = &self.diff {
            let (groups, view) = self.stream(&opts, Some(pair))?;
            groups
                .check_by()
                .map_err(|e| anyhow::anyhow!("--by: {e}"))?;
            self.expected(&mut opts, &view)?;
            return self.run_diff(&groups, &pair[0], &pair[1], &opts, &view);
        }
        let (groups, view) = if self.from_summary {
            self.merged(&opts)?
        } else {
            self.stream(&opts, None)?
        };
        if let Some(path) = &self.save_summary {
            let json = stance::compare::saved::to_json(&groups);
            stance::output::write_atomic(
                path,
                json.as_bytes(),
                stance::output::Target::FileOrStream,
            )?;
            eprintln!(
                "stance: summary of {} articles in {} groups written to {}",
                groups.articles(),
                groups.cells().len(),
                path.display()
            );
            return Ok(0);
        }
        groups
            .check_by()
            .map_err(|e| anyhow::anyhow!("--by: {e}"))?;
        self.expected(&mut opts, &view)?;
        let rows = compare_groups(&groups, &opts, &view);
        if rows.is_empty() {
            anyhow::bail!(
                "nothing to compare: no article in {} has {}",
                self.scores.join(", "),
                if self.actors.is_empty() {
                    "an actor score".to_string()
                } else {
                    format!("a score for {}", self.actors.join(", "))
                }
            );
        }
        let thin = rows.iter().filter(|r| r.n < self.min_n).count();
        if thin > 0 {
            eprintln!(
                "stance: warning: {thin} of {} groups have fewer than {} articles (--min-n); their intervals are wide",
                rows.len(),
                self.min_n
            );
        }
        if let Some(path) = &self.plot {
            self.draw(&rows, path)?;
        }
        let labels = view.labels.names().to_vec();
        let mut out = std::io::stdout().lock();
        match self.format {
            OutputFormat::Json => {
                // EMQ's inputs from all the out-of-fold examples (the point estimates' rates):
                // its recalibration softmax(scale · ln p + bias) and the training prior, so that
                // another implementation can be fed the same (bench/quantify/quapy_parity.py).
                let rates = view.calibration.as_ref().map(|c| {
                    let r = c.rates(&(0..c.len()).collect::<Vec<_>>());
                    serde_json::json!({"emq": {"scale": r.recal.scale, "bias": r.recal.bias, "prior": r.prior}})
                });
                serde_json::to_writer_pretty(
                    &mut out,
                    &serde_json::json!({"by": self.by.to_string(), "labels": labels, "rows": rows, "rates": rates}),
                )?;
                writeln!(out)?;
            }
            OutputFormat::Jsonl => {
                for r in &rows {
                    serde_json::to_writer(&mut out, r)?;
                    writeln!(out)?;
                }
            }
            OutputFormat::Csv => write_csv(&mut out, &rows, &labels)?,
            _ => self.print_text(&mut out, &rows, &labels, &view)?,
        }
        Ok(0)
    }

    /// The rows as a table, with the estimator and the intervals explained below it.
    fn print_text(
        &self,
        out: &mut dyn Write,
        rows: &[GroupRow],
        labels: &[String],
        view: &ModelView,
    ) -> anyhow::Result<()> {
        let by = self.by.to_string();
        let expected = rows.iter().any(|r| r.expected_error.is_some());
        let mut t = vec![[by.as_str(), "actor", "n", "net", "95% interval"]
            .into_iter()
            .map(String::from)
            .chain(expected.then(|| "expected error".to_string()))
            .chain(labels.iter().map(|l| format!("% {l}")))
            .chain([
                "predicted".to_string(),
                "score".to_string(),
                "95% interval".to_string(),
            ])
            .collect::<Vec<_>>()];
        for r in rows {
            let s = r.chosen();
            let flags = format!(
                "{}{}{}",
                if r.within_error { "~" } else { "" },
                if s.at_edge { "!" } else { "" },
                if r.unreliable { "?" } else { "" }
            );
            let (net, ci) = match s.net {
                Some([m, lo, hi]) => (
                    format!("{}{flags}", signed(m, 2)),
                    format!("[{}, {}]", signed(lo, 2), signed(hi, 2)),
                ),
                None => ("-".into(), "-".into()),
            };
            let (sc, sci) = match &r.score {
                Some(e) => (
                    signed(e.mean, 3),
                    format!("[{}, {}]", signed(e.low, 3), signed(e.high, 3)),
                ),
                None => ("-".into(), "-".into()),
            };
            t.push(
                [r.group.clone(), r.actor.clone(), r.n.to_string(), net, ci]
                    .into_iter()
                    .chain(expected.then(|| {
                        r.expected_error
                            .map_or("-".to_string(), |e| format!("±{e:.2}"))
                    }))
                    .chain(s.share.iter().map(|x| format!("{:.0}", 100.0 * x)))
                    .chain([
                        r.label_count
                            .iter()
                            .map(|c| c.to_string())
                            .collect::<Vec<_>>()
                            .join("/"),
                        sc,
                        sci,
                    ])
                    .collect(),
            );
        }
        table(out, &t)?;
        self.print_legend(out, rows, labels, view)
    }

    /// What the table's columns, marks and intervals mean.
    fn print_legend(
        &self,
        out: &mut dyn Write,
        rows: &[GroupRow],
        labels: &[String],
        view: &ModelView,
    ) -> anyhow::Result<()> {
        let est = rows[0].estimator;
        let expected = rows.iter().any(|r| r.expected_error.is_some());
        if let (Estimator::Auto, Some(c)) = (self.estimator, &view.choice) {
            writeln!(
                out,
                "\nauto: {}, {}.",
                c.estimator.name(),
                stance::quantify::select::method_note(c)
            )?;
        }
        writeln!(
            out,
            "\nestimator: {} ({}); net = share({}) - share({}); predicted = counts of predicted {} (classify and count);\nscore = mean P(favor) - P(against); intervals: {}95% bootstrap ({} resamples, seed {}).",
            est.name(),
            est.describe(),
            stance::output::printable_line(view.labels.polar_names().map_or("?", |p| p.0)),
            stance::output::printable_line(view.labels.polar_names().map_or("?", |p| p.1)),
            stance::output::printable_line(&labels.join("/")),
            if est == Estimator::Bcc {
                "net and shares the shortest 95% of bcc's posterior draws, score "
            } else {
                ""
            },
            self.bootstrap,
            self.seed
        )?;
        if expected {
            writeln!(
                out,
                "expected error: the mean absolute error of this estimator's net score at the group's size, measured by `stance simulate`\n(train on part of the labeled data, score the rest, estimate groups of known shares); ~ marks a row whose net is\ncloser to the actor's average over the groups than that: a difference the estimator's error could make by itself."
            )?;
        }
        if rows.iter().any(|r| r.unreliable) {
            writeln!(
                out,
                "? unreliable: the expected error at this size is at least {} (the estimator cannot tell an even-handed group from a\none-sided one), or the group's predicted labels are more than the model's out-of-fold error rates can produce from any\nlabel shares (these articles differ from the labeled ones in more than their shares).",
                stance::compare::UNRELIABLE_ERROR
            )?;
        }
        if rows.iter().any(|r| r.chosen().at_edge) {
            writeln!(
                out,
                "! the estimate is at the edge (a share of 0 or 1) from fewer than 50 articles: an extreme answer from few articles."
            )?;
        }
        Ok(())
    }

    fn run_diff(
        &self,
        groups: &Groups,
        a: &str,
        b: &str,
        opts: &CompareOptions,
        view: &ModelView,
    ) -> anyhow::Result<i32> {
        let rows = diff(groups, a, b, opts, view, self.permutations);
        if rows.is_empty() {
            let (seen, more) = groups.seen();
            let mut names: Vec<&str> = seen.iter().map(String::as_str).collect();
            if more {
                names.push("…");
            }
            anyhow::bail!(
                "no actor is scored in both \"{a}\" and \"{b}\" (groups by {}: {})",
                self.by,
                names.join(", ")
            );
        }
        let mut out = std::io::stdout().lock();
        match self.format {
            OutputFormat::Json => {
                serde_json::to_writer_pretty(
                    &mut out,
                    &serde_json::json!({"a": a, "b": b, "by": self.by.to_string(), "differences": rows}),
                )?;
                writeln!(out)?;
            }
            OutputFormat::Jsonl => {
                for r in &rows {
                    serde_json::to_writer(&mut out, r)?;
                    writeln!(out)?;
                }
            }
            OutputFormat::Csv => write_diff_csv(out, &rows)?,
            OutputFormat::Text => self.print_diff_text(&mut out, &rows, a, b)?,
        }
        Ok(0)
    }

    /// The differences as a table, with the test explained below it.
    fn print_diff_text(
        &self,
        out: &mut dyn Write,
        rows: &[Difference],
        a: &str,
        b: &str,
    ) -> anyhow::Result<()> {
        let mut t = vec![[
            "actor",
            "n A",
            "n B",
            "score A-B",
            "95% interval",
            "p",
            "net A-B",
            "95% interval",
            "p",
        ]
        .map(String::from)
        .to_vec()];
        let several = rows.len() > 1;
        for r in rows {
            let p = |raw: f64, holm: Option<f64>| match holm {
                Some(h) if several => format!("{raw:.4} (Holm {h:.4})"),
                _ => format!("{raw:.4}"),
            };
            let (net, nci, np) = match (&r.net, r.net_p) {
                (Some(e), Some(pv)) => (
                    signed(e.mean, 3),
                    format!("[{}, {}]", signed(e.low, 3), signed(e.high, 3)),
                    p(pv, r.net_p_holm),
                ),
                _ => ("-".into(), "-".into(), "-".into()),
            };
            t.push(vec![
                r.actor.clone(),
                r.n_a.to_string(),
                r.n_b.to_string(),
                signed(r.score.mean, 3),
                format!("[{}, {}]", signed(r.score.low, 3), signed(r.score.high, 3)),
                p(r.score_p, r.score_p_holm),
                net,
                nci,
                np,
            ]);
        }
        let p = stance::output::printable_line;
        writeln!(out, "A = {}, B = {}", p(a), p(b))?;
        table(out, &t)?;
        writeln!(
            out,
            "\np: two-sided permutation test ({} shuffles of group membership); net by {} ({}).",
            self.permutations,
            rows[0].estimator.name(),
            rows[0].estimator.describe()
        )?;
        if several {
            writeln!(
                out,
                "{} actors were compared at once: read the Holm-adjusted p-values; with many comparisons, some raw p-values below 0.05 are expected by chance.",
                rows.len()
            )?;
        }
        Ok(())
    }
}

/// The differences as CSV, one row per actor.
fn write_diff_csv(out: impl Write, rows: &[Difference]) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "actor",
        "a",
        "b",
        "n_a",
        "n_b",
        "score",
        "score_low",
        "score_high",
        "score_p",
        "score_p_holm",
        "net",
        "net_low",
        "net_high",
        "net_p",
        "net_p_holm",
        "estimator",
    ])?;
    let num = |x: Option<f64>| x.map_or(String::new(), |v| format!("{v:.6}"));
    let text = |s: &str| stance::output::csv_text(s).into_owned();
    for r in rows {
        w.write_record([
            text(&r.actor),
            text(&r.a),
            text(&r.b),
            r.n_a.to_string(),
            r.n_b.to_string(),
            num(Some(r.score.mean)),
            num(Some(r.score.low)),
            num(Some(r.score.high)),
            num(Some(r.score_p)),
            num(r.score_p_holm),
            num(r.net.as_ref().map(|e| e.mean)),
            num(r.net.as_ref().map(|e| e.low)),
            num(r.net.as_ref().map(|e| e.high)),
            num(r.net_p),
            num(r.net_p_holm),
            r.estimator.name().to_string(),
        ])?;
    }
    w.flush()?;
    Ok(())
}

impl CompareCmd {
    #[cfg(not(feature = "charts"))]
    fn draw(
        &self,
        _rows: &[stance::compare::GroupRow],
        path: &std::path::Path,
    ) -> anyhow::Result<()> {
        anyhow::bail!(
            "--plot {}: this build of stance has no charts (it was built without the charts feature)",
            path.display()
        )
    }

    #[cfg(feature = "charts")]
    fn draw(
        &self,
        rows: &[stance::compare::GroupRow],
        path: &std::path::Path,
    ) -> anyhow::Result<()> {
        use stance::plot::{size_for, to_file, Chart};
        let actors: std::collections::BTreeSet<&str> =
            rows.iter().map(|r| r.actor.as_str()).collect();
        let est = rows[0].estimator.name();
        let (chart, title) = if self.by == GroupBy::Month {
            (
                Chart::Months,
                format!("Net stance by month with 95% bands (estimator: {est})"),
            )
        } else if actors.len() == 1 {
            let a = actors.iter().next().copied().unwrap_or("");
            let by = self.by.to_string();
            (
                Chart::Dots,
                format!("Net stance toward {a} by {by} (estimator: {est})"),
            )
        } else {
            (
                Chart::Heatmap,
                format!("Net stance ({est}), groups × actors (n in each cell)"),
            )
        };
        stance::output::write_with(path, stance::output::Target::FileOrStream, |tmp| {
            to_file(chart, rows, &title, size_for(chart, rows), tmp)
        })?;
        eprintln!("stance: chart written to {}", path.display());
        Ok(())
    }
}

impl CompareCmd {
    /// The chart file is none of the inputs.
    fn check_files(&self) -> anyhow::Result<()> {
        let mut inputs: Vec<(&str, &std::path::Path)> = self
            .scores
            .iter()
            .map(|s| ("the score file", std::path::Path::new(s)))
            .collect();
        if let Some(m) = &self.model.model {
            inputs.push(("--model", m.as_path()));
        }
        let outputs: Vec<_> = self
            .plot
            .iter()
            .map(|p| ("--plot", p.as_path(), stance::output::Target::FileOrStream))
            .chain(self.save_summary.iter().map(|p| {
                (
                    "--save-summary",
                    p.as_path(),
                    stance::output::Target::FileOrStream,
                )
            }))
            .collect();
        super::args::check_files(&inputs, &outputs)
    }
}

/// The rows as CSV: every estimator's shares and net score with their intervals.
fn write_csv(out: &mut dyn Write, rows: &[GroupRow], labels: &[String]) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let mut h: Vec<String> = ["group", "actor", "n", "score", "score_low", "score_high"]
        .map(String::from)
        .to_vec();
    h.extend(labels.iter().map(|l| format!("n_predicted_{l}")));
    for e in Estimator::ALL {
        for l in labels {
            for part in ["", "_low", "_high"] {
                h.push(format!("{}_{l}{part}", e.name()));
            }
        }
        for part in ["", "_low", "_high"] {
            h.push(format!("{}_net{part}", e.name()));
        }
    }
    h.extend(["expected_error", "within_error"].map(String::from));
    w.write_record(&h)?;
    for r in rows {
        let num = |x: f64| format!("{x:.6}");
        let text = |s: &str| stance::output::csv_text(s).into_owned();
        let mut rec = vec![text(&r.group), text(&r.actor), r.n.to_string()];
        match &r.score {
            Some(e) => rec.extend([e.mean, e.low, e.high].map(num)),
            None => rec.extend([String::new(), String::new(), String::new()]),
        }
        rec.extend(r.label_count.iter().map(|c| c.to_string()));
        for e in Estimator::ALL {
            match r.estimates.iter().find(|s| s.estimator == e) {
                Some(s) => {
                    for c in 0..labels.len() {
                        rec.extend([s.share[c], s.low[c], s.high[c]].map(num));
                    }
                    match s.net {
                        Some(n) => rec.extend(n.map(num)),
                        None => rec.extend([String::new(), String::new(), String::new()]),
                    }
                }
                None => rec.extend(std::iter::repeat_n(String::new(), 3 * labels.len() + 3)),
            }
        }
        rec.push(r.expected_error.map_or(String::new(), num));
        rec.push(r.within_error.to_string());
        w.write_record(&rec)?;
    }
    w.flush()?;
    Ok(())
}

/// `--labeled FILE` of `compare` and `report`: the view with its error rates from the labeled
/// articles of `file`, and what that means said on standard error.
pub(crate) fn with_labeled(
    v: ModelView,
    model: &stance::StanceModel,
    file: &str,
    own_weight: stance::quantify::pool::OwnWeight,
) -> anyhow::Result<ModelView> {
    let opts = stance::corpus::ReadOptions::default();
    let (set, errors) = stance::TrainingSet::read(&[file.to_string()], &opts, &model.registry)?;
    if let Some(e) = errors.first() {
        anyhow::bail!(
            "--labeled: {} bad record{} (first: {})",
            errors.len(),
            if errors.len() == 1 { "" } else { "s" },
            stance::output::printable(&e.to_string())
        );
    }
    let set = set.ok_or_else(|| anyhow::anyhow!("--labeled {file}: no labeled articles"))?;
    let v = v
        .with_labeled_rates(model, &set, own_weight)
        .map_err(|e| anyhow::anyhow!("--labeled {file}: {e}"))?;
    if let Some(l) = &v.labeled_rates {
        eprintln!("stance: {}", labeled_message(l, file));
        if let Some(h) = &l.shift {
            eprintln!(
                "stance: their confusion rows {} the out-of-fold ones (chi-square {:.1} on {} df, p = {:.3})",
                if h.differ() { "differ from" } else { "are not shown to differ from" },
                h.statistic,
                h.df,
                h.p_value,
            );
        }
    }
    Ok(v)
}

/// Where `--labeled`'s error rates come from, in one sentence.
fn labeled_message(l: &stance::compare::LabeledRates, file: &str) -> String {
    let own = if l.own_examples == 0 || l.own_weight == 0.0 {
        "alone, not the model's out-of-fold predictions".to_string()
    } else if l.own_weight >= l.own_examples as f64 {
        format!(
            "pooled with the model's {} out-of-fold predictions, which count fully",
            l.own_examples
        )
    } else {
        format!(
            "pooled with the model's {} out-of-fold predictions, which count as {:.0} labeled examples (--own-weight)",
            l.own_examples, l.own_weight
        )
    };
    format!(
        "error rates from {} labeled examples of {file}, {own}",
        l.examples
    )
}
