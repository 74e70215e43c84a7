//! `stance simulate`: how accurate each share estimator is, on labeled data where the truth is
//! known.

use super::table;
use clap::Args;
use stance::quantify::{study, Calibration, Estimator};
use stance::StanceModel;
use std::io::Write;
use std::path::PathBuf;

#[derive(Args)]
#[command(
    about = "Simulate groups with known label shares and measure each share estimator's error and interval coverage",
    after_help = "Examples:\n  stance simulate --model models/default.json\n  stance eval --data labels.jsonl --oof oof.jsonl && stance simulate --oof oof.jsonl --shares 0.1,0.3,0.6\n\nThe out-of-fold predictions (stored in the model by `stance train`, or written by\n`stance eval --oof`) are split in half at random for each repetition: one half measures the\nerror rates, the other is a pool from which groups with the given label shares are drawn\n(labels in alphabetical order). Reported: each estimator's mean absolute error of the shares,\nand how often its 95% bootstrap interval held the true share."
)]
pub struct SimulateCmd {
    /// Model whose stored out-of-fold predictions to use.
    #[arg(long, default_value = "models/default.json", conflicts_with = "oof")]
    pub model: PathBuf,
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
    #[arg(long, default_value_t = 300, value_parser = super::parse_positive)]
    pub bootstrap: usize,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
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
        if p.task != "stance" {
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
            None => StanceModel::load(&self.model)?
                .info
                .calibration
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "{} holds no out-of-fold predictions (it was trained with --no-cv)",
                        self.model.display()
                    )
                })?,
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
        let mut all = Vec::new();
        let mut rows = vec![["shares", "estimator", "MAE", "coverage"]
            .map(String::from)
            .to_vec()];
        for s in &shares {
            let r = study(
                &cal,
                std::slice::from_ref(s),
                self.group_size,
                self.reps,
                self.bootstrap,
                self.seed,
            );
            for e in &r {
                rows.push(vec![
                    s.iter()
                        .map(|x| format!("{x:.2}"))
                        .collect::<Vec<_>>()
                        .join("/"),
                    e.estimator.name().into(),
                    format!("{:.4}", e.mae),
                    format!("{:.3}", e.coverage),
                ]);
            }
            all.push((s.clone(), r));
        }
        let overall = study(
            &cal,
            &shares,
            self.group_size,
            self.reps,
            self.bootstrap,
            self.seed,
        );
        for e in &overall {
            rows.push(vec![
                "all".into(),
                e.estimator.name().into(),
                format!("{:.4}", e.mae),
                format!("{:.3}", e.coverage),
            ]);
        }
        if self.json {
            serde_json::to_writer_pretty(
                &mut out,
                &serde_json::json!({"labels": cal.classes, "group_size": self.group_size, "reps": self.reps,
                    "per_shares": all.iter().map(|(s, r)| serde_json::json!({"shares": s, "rows": r})).collect::<Vec<_>>(),
                    "overall": overall}),
            )?;
            writeln!(out)?;
            return Ok(0);
        }
        writeln!(
            out,
            "{} out-of-fold examples ({}); groups of {} articles, {} repetitions each",
            cal.len(),
            cal.classes.join("/"),
            self.group_size,
            self.reps
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
