//! `stance simulate`: how accurate each share estimator is, on labeled data where the truth is
//! known.

use super::args::{parse_positive, table, OutputFormat};
use clap::Args;
use stance::quantify::{study, Calibration, Estimator, Protocol, Study};
use stance::StanceModel;
use std::io::Write;
use std::path::PathBuf;

#[derive(Args)]
#[command(
    about = "Simulate groups with known label shares and measure each share estimator's error and interval coverage",
    after_help = "Examples:\n  stance simulate --model models/default.json\n  stance eval --data labels.jsonl --oof oof.jsonl && stance simulate --oof oof.jsonl --shares 0.1,0.3,0.6\n\nProtocol (--protocol bootstrap, the default): the labeled out-of-fold predictions (stored in\nthe model by `stance train`, or written by `stance eval --oof`) stand for the population.\nEach repetition resamples all of them, with replacement, as the calibration set (error\nrates and recalibration, from as many examples as `stance compare` uses), and draws groups\nwith the given label shares (labels in alphabetical order) independently from the\npopulation, so the truth is known. --protocol crossfit instead rotates --folds folds: error\nrates from all folds but one, groups drawn with replacement from the held-out fold (which\nrepeats the held-out articles many times in large groups, so it overstates the error).\nReported per estimator: mean absolute error of the shares, how often the 95% bootstrap\ninterval held the true share, and the mean interval width."
)]
pub struct SimulateCmd {
    /// Model whose stored out-of-fold predictions to use (default: the built-in model).
    #[arg(long, conflicts_with = "oof")]
    pub model: Option<PathBuf>,
    /// Out-of-fold predictions from `stance eval --oof` instead of a model's.
    #[arg(long)]
    pub oof: Option<PathBuf>,
    /// True label shares of a simulated group, comma-separated, in the labels' alphabetical
    /// order. Repeatable; by default 0.1,0.3,0.6 and 0.33,0.33,0.34 and 0.6,0.3,0.1 (for three
    /// labels).
    #[arg(long = "shares", value_delimiter = ';')]
    pub shares: Vec<String>,
    /// Articles per simulated group.
    #[arg(long, default_value_t = 100)]
    pub group_size: usize,
    /// Repetitions.
    #[arg(long, default_value_t = 200)]
    pub reps: usize,
    /// Bootstrap resamples per interval.
    #[arg(long, default_value_t = 300, value_parser = parse_positive)]
    pub bootstrap: usize,
    /// Seed of the draws.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// How calibration examples and groups are drawn.
    #[arg(long, value_enum, default_value = "bootstrap")]
    pub protocol: Protocol,
    /// Folds of --protocol crossfit.
    #[arg(long, default_value_t = 5, value_parser = parse_positive)]
    pub folds: usize,
    /// Output: tables or one JSON document.
    #[arg(long, default_value = "text", value_parser = OutputFormat::parser(&[OutputFormat::Text, OutputFormat::Json]))]
    pub format: OutputFormat,
}

fn read_oof(path: &PathBuf) -> anyhow::Result<Calibration> {
    let text = std::fs::read_to_string(path).map_err(|e| stance::Error::io(path, e))?;
    let mut classes: Vec<String> = Vec::new();
    let mut rows = Vec::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let p: stance::evaluate::Prediction = serde_json::from_str(line).map_err(|e| {
            stance::Error::input(
                &path.display().to_string(),
                Some(i as u64 + 1),
                None,
                format!("not a prediction of `stance eval --oof`: {e}"),
            )
        })?;
        if p.task != stance::Task::Stance {
            continue;
        }
        for c in p.probabilities.keys() {
            if !classes.contains(c) {
                classes.push(c.clone());
            }
        }
        rows.push(p);
    }
    classes.sort();
    Ok(stance::evaluate::calibration(&rows, &classes))
}

impl SimulateCmd {
    pub fn run(self) -> anyhow::Result<i32> {
        let cal = match &self.oof {
            Some(p) => read_oof(p)?,
            None => {
                let (model, name) = match &self.model {
                    Some(p) => (StanceModel::load(p)?, p.display().to_string()),
                    None => (
                        StanceModel::builtin(),
                        stance::pipeline::BUILTIN_NAME.to_string(),
                    ),
                };
                model.info.calibration.ok_or_else(|| {
                    anyhow::anyhow!(
                        "{name} holds no out-of-fold predictions (it was trained with --no-cv)"
                    )
                })?
            }
        };
        let k = cal.classes.len();
        let shares: Vec<Vec<f64>> = if self.shares.is_empty() {
            if k != 3 {
                anyhow::bail!("give --shares for {k} labels ({})", cal.classes.join(", "));
            }
            vec![
                vec![0.1, 0.3, 0.6],
                vec![0.33, 0.33, 0.34],
                vec![0.6, 0.3, 0.1],
            ]
        } else {
            self.shares
                .iter()
                .map(|s| {
                    let v: Vec<f64> = s
                        .split(',')
                        .map(|x| x.trim().parse::<f64>())
                        .collect::<Result<_, _>>()
                        .map_err(|_| {
                            anyhow::anyhow!(
                                "--shares \"{s}\": expected numbers separated by commas"
                            )
                        })?;
                    if v.len() != k
                        || v.iter().any(|x| *x < 0.0)
                        || (v.iter().sum::<f64>() - 1.0).abs() > 0.01
                    {
                        anyhow::bail!(
                            "--shares \"{s}\": need {k} non-negative shares summing to 1 ({})",
                            cal.classes.join(", ")
                        );
                    }
                    Ok(v)
                })
                .collect::<anyhow::Result<_>>()?
        };
        let mut out = std::io::stdout().lock();
        let (per, overall) = study(
            &cal,
            &Study {
                shares: shares.clone(),
                group_size: self.group_size,
                reps: self.reps,
                bootstrap: self.bootstrap,
                seed: self.seed,
                protocol: self.protocol,
                folds: self.folds,
            },
        );
        let all: Vec<(Vec<f64>, Vec<stance::quantify::StudyRow>)> =
            shares.iter().cloned().zip(per).collect();
        let mut rows = vec![["shares", "estimator", "MAE", "coverage", "width"]
            .map(String::from)
            .to_vec()];
        let fmt = |label: String, e: &stance::quantify::StudyRow| {
            vec![
                label,
                e.estimator.name().into(),
                format!("{:.4}", e.mae),
                format!("{:.3}", e.coverage),
                format!("{:.3}", e.width),
            ]
        };
        for (s, r) in &all {
            let label = s
                .iter()
                .map(|x| format!("{x:.2}"))
                .collect::<Vec<_>>()
                .join("/");
            rows.extend(r.iter().map(|e| fmt(label.clone(), e)));
        }
        rows.extend(overall.iter().map(|e| fmt("all".into(), e)));
        if self.format == OutputFormat::Json {
            serde_json::to_writer_pretty(
                &mut out,
                &serde_json::json!({"labels": cal.classes, "group_size": self.group_size, "reps": self.reps,
                    "protocol": self.protocol, "examples": cal.len(),
                    "per_shares": all.iter().map(|(s, r)| serde_json::json!({"shares": s, "rows": r})).collect::<Vec<_>>(),
                    "overall": overall}),
            )?;
            writeln!(out)?;
            return Ok(0);
        }
        writeln!(
            out,
            "{} out-of-fold examples ({}); groups of {} articles, {} repetitions each; protocol {}",
            cal.len(),
            cal.classes.join("/"),
            self.group_size,
            self.reps,
            match self.protocol {
                Protocol::Bootstrap => "bootstrap".to_string(),
                Protocol::Crossfit => format!("crossfit ({} folds)", self.folds),
            }
        )?;
        table(&mut out, &rows)?;
        let cc = overall
            .iter()
            .find(|e| e.estimator == Estimator::Cc)
            .map_or(f64::NAN, |e| e.mae);
        for e in overall.iter().filter(|e| e.estimator != Estimator::Cc) {
            writeln!(
                out,
                "{}: {:+.0}% error against classify and count",
                e.estimator.name(),
                100.0 * (e.mae / cc - 1.0)
            )?;
        }
        Ok(0)
    }
}
