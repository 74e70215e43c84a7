//! `stance simulate`: how accurate each share estimator is in real use, on labeled data split
//! into a part to train on and a part that plays the new articles.

use super::args::{parse_positive, table, CvArgs, LabeledArgs, ModelArgs, OutputFormat};
use clap::Args;
use stance::quantify::realuse::{self, Data, Kind, RealUse, Report};
use stance::quantify::{Estimator, DEFAULT};
use std::io::Write;

#[derive(Args)]
#[command(
    about = "Measure each share estimator in real use: train on part of the labeled data, score the rest, estimate its groups' shares against their true labels",
    after_help = "Examples:\n  stance simulate --data data/articles.jsonl --actors data/actors.toml\n  stance simulate --data labels.csv --split-by source --splits 5 --format json\n\nEach split trains a model on the labeled part exactly as `stance train` does (its own\ncross-validation gives the error rates and the recalibration), scores the new part as\n`stance score` does, and estimates the shares of groups whose truth is known: the real groups\n(--by field × actor, and each actor), APP samples at every point of a grid of shares and UPP\nsamples at uniformly drawn shares (sizes --sizes, drawn with replacement from the new part's\nexamples of each label). MAE: mean absolute error of the shares; RAE: relative absolute\nerror of shares smoothed with eps = 1/(2n); bias: mean signed error of the net score;\ncoverage and width of the intervals (every interval holds at least the Wilson interval of\nits group's size); flagged: estimates on the simplex's edge for groups under 50 articles."
)]
pub struct SimulateCmd {
    #[command(flatten)]
    pub labeled: LabeledArgs,
    #[command(flatten)]
    pub model_args: ModelArgs,
    #[command(flatten)]
    pub cv: CvArgs,
    /// Labeled articles that play the new articles (read as --data is), instead of splitting
    /// --data: train on all of --data, score these (e.g. a dataset's train and test splits).
    #[arg(long, num_args = 1..)]
    pub new: Vec<String>,
    /// How many times to split the data (each split trains a model).
    #[arg(long, default_value_t = RealUse::default().splits, value_parser = parse_positive)]
    pub splits: usize,
    /// Share of the articles that play the new articles.
    #[arg(long, default_value_t = RealUse::default().new_share)]
    pub new_share: f64,
    /// Hold out whole groups of this field (source, month, date or any field of the records)
    /// instead of random articles, so that the new articles come from unseen outlets or months.
    #[arg(long)]
    pub split_by: Option<String>,
    /// The field whose values, crossed with the actor, make the real groups.
    #[arg(long, default_value_t = RealUse::default().group_by)]
    pub by: String,
    /// Smallest real group evaluated.
    #[arg(long, default_value_t = RealUse::default().min_group, value_parser = parse_positive)]
    pub min_group: usize,
    /// Sample sizes of the APP and UPP protocols, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = RealUse::default().sizes)]
    pub sizes: Vec<usize>,
    /// Steps of the APP grid per unit share (10: shares 0, 0.1, …, 1).
    #[arg(long, default_value_t = RealUse::default().grid, value_parser = parse_positive)]
    pub grid: usize,
    /// UPP samples per size and split.
    #[arg(long, default_value_t = RealUse::default().upp)]
    pub upp: usize,
    /// Bootstrap resamples per interval.
    #[arg(long, default_value_t = RealUse::default().bootstrap, value_parser = parse_positive)]
    pub bootstrap: usize,
    /// Score the new articles for estimation with the cross-validation fold models (each
    /// article by one, chosen by its id) instead of the final model.
    #[arg(long)]
    pub crossfit: bool,
    /// Label this many examples of the new articles (at random) and correct with their error
    /// rates instead of the model's out-of-fold ones: what labeling a sample of the articles
    /// you compare buys. They are left out of the groups.
    #[arg(long, default_value_t = 0)]
    pub label_new: usize,
    /// With --label-new: what the model's out-of-fold predictions still count for beside the
    /// labeled new examples (as `compare --own-weight`).
    #[arg(long, value_name = "auto|N", default_value = "auto")]
    pub own_weight: stance::quantify::pool::OwnWeight,
    /// Label about this many examples of the new articles (whole articles, at random) and add
    /// them to the labeled part before training instead: the other way to spend the labels.
    #[arg(long, default_value_t = 0, conflicts_with = "label_new")]
    pub retrain_new: usize,
    /// Output: tables or one JSON document.
    #[arg(long, default_value = "text", value_parser = OutputFormat::parser(&[OutputFormat::Text, OutputFormat::Json]))]
    pub format: OutputFormat,
}

impl SimulateCmd {
    pub fn run(self) -> anyhow::Result<i32> {
        let cfg = self.model_args.config();
        let registry = self.labeled.registry(&cfg)?;
        let set = self.labeled.read(&registry)?;
        let new = if self.new.is_empty() {
            None
        } else {
            let args = LabeledArgs {
                data: self.new.clone(),
                ..self.labeled.clone()
            };
            Some(args.read(&registry)?)
        };
        let opts = RealUse {
            splits: self.splits,
            new_share: self.new_share,
            split_by: self.split_by.clone(),
            group_by: self.by.clone(),
            min_group: self.min_group,
            sizes: self.sizes.clone(),
            grid: self.grid,
            upp: self.upp,
            bootstrap: self.bootstrap,
            seed: self.cv.seed,
            crossfit: self.crossfit,
            label_new: self.label_new,
            own_weight: self.own_weight,
            retrain_new: self.retrain_new,
            ..RealUse::default()
        };
        let data = match &new {
            Some(new) => Data::Given { labeled: &set, new },
            None => Data::Split(&set),
        };
        let report = realuse::evaluate(data, &cfg, &self.cv.options(), &opts)?;
        let mut out = std::io::stdout().lock();
        if self.format == OutputFormat::Json {
            serde_json::to_writer_pretty(&mut out, &report)?;
            writeln!(out)?;
            return Ok(0);
        }
        print_text(&mut out, &report, &opts)?;
        Ok(0)
    }
}

fn print_text(out: &mut dyn Write, r: &Report, opts: &RealUse) -> std::io::Result<()> {
    for (i, s) in r.splits.iter().enumerate() {
        writeln!(
            out,
            "split {}: trained on {} articles, scored {} new articles ({} stance examples), accuracy {:.3}, calibration error {:.3} (mean top probability {:.3})",
            i + 1,
            s.labeled,
            s.new,
            s.new_examples,
            s.accuracy,
            s.reliability.ece,
            s.reliability.mean_confidence
        )?;
        if let Some(c) = &s.choice {
            writeln!(out, "  {}", stance::quantify::select::summary(c))?;
        }
    }
    let opt = |x: Option<f64>, d: usize| x.map_or("-".to_string(), |v| format!("{v:.d$}"));
    let mut rows = vec![[
        "protocol",
        "size",
        "estimator",
        "groups",
        "MAE",
        "RAE",
        "net MAE",
        "net bias",
        "coverage",
        "width",
        "flagged",
        "unexplained",
        "coverage if explained",
    ]
    .map(String::from)
    .to_vec()];
    for row in &r.rows {
        rows.push(vec![
            row.kind.name().into(),
            match row.kind {
                Kind::Real => format!("{}+ (~{:.0})", row.size, row.mean_size),
                _ => row.size.to_string(),
            },
            row.estimator.map_or("mlpe", |e| e.name()).into(),
            row.groups.to_string(),
            format!("{:.4}", row.mae),
            format!("{:.3}", row.rae),
            opt(row.net_mae, 3),
            opt(row.bias, 3),
            opt(row.coverage, 3),
            opt(row.width, 3),
            opt(row.flagged, 2),
            opt(row.unexplained, 2),
            opt(row.coverage_explained, 3),
        ]);
    }
    table(out, &rows)?;
    print_largest(out, r)?;
    let (lo, hi) = (50, 400);
    let cc_app = r.mean_mae(Kind::App, Some(Estimator::Cc), lo, hi);
    let cc_real = r.real_mae(Some(Estimator::Cc));
    writeln!(
        out,
        "\nMAE against classify and count (APP sizes {lo}–{hi}; real groups of at least {}):",
        opts.min_group
    )?;
    for e in std::iter::once(None).chain(Estimator::REPORTED.map(Some)) {
        writeln!(
            out,
            "  {:<5} app {:.3}× cc   real {:.3}× cc{}",
            e.map_or("mlpe", |e| e.name()),
            r.mean_mae(Kind::App, e, lo, hi) / cc_app,
            r.real_mae(e) / cc_real,
            if e == Some(DEFAULT) {
                "   (the default)"
            } else {
                ""
            }
        )?;
    }
    Ok(())
}

/// The largest real groups of each split: the truth and each estimator's net score.
fn print_largest(out: &mut dyn Write, r: &Report) -> std::io::Result<()> {
    for (i, s) in r.splits.iter().enumerate() {
        if s.largest.is_empty() || s.largest[0].truth_net.is_none() {
            continue;
        }
        writeln!(
            out,
            "\nsplit {}: the largest real groups, net score (true, then each estimator's estimate [95% interval]; * the interval misses the truth, ! on the simplex's edge, ? unreliable as `stance compare` flags it, by this evaluation's expected error at that size or unexplained predicted labels):",
            i + 1
        )?;
        let mut rows = vec![std::iter::once("group".to_string())
            .chain(["n", "true"].map(String::from))
            .chain(Estimator::REPORTED.iter().map(|e| e.name().to_string()))
            .collect::<Vec<_>>()];
        for g in &s.largest {
            let t = g.truth_net.unwrap_or(f64::NAN);
            let mut row = vec![g.name.clone(), g.articles.to_string(), format!("{t:+.2}")];
            for e in &g.estimates {
                row.push(match e.net {
                    Some([m, lo, hi]) => format!(
                        "{m:+.2} [{lo:+.2}, {hi:+.2}]{}{}{}",
                        if t < lo - 1e-9 || t > hi + 1e-9 {
                            "*"
                        } else {
                            ""
                        },
                        if e.at_edge { "!" } else { "" },
                        if e.unexplained
                            || r.expected_net_error(e.estimator, g.articles)
                                .is_some_and(|x| x >= stance::compare::UNRELIABLE_ERROR)
                        {
                            "?"
                        } else {
                            ""
                        }
                    ),
                    None => "-".into(),
                });
            }
            rows.push(row);
        }
        table(out, &rows)?;
    }
    Ok(())
}
