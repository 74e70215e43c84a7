//! `stance train --auto`: the flags, and the printing of what the search ([`stance::auto`])
//! tried and chose.

use super::args::{table, train_command, CvArgs, LabeledArgs};
use clap::Args;
use stance::auto::{
    parse_budget, AutoOptions, AutoRecord, Budget, Estimate, Metric, Outcome, Stop,
};
use stance::pipeline::{TrainConfig, TrainingSet};
use std::io::Write;

/// The flags of `stance train --auto`.
#[derive(Args, Debug, Clone)]
pub struct AutoArgs {
    /// Choose the settings by cross-validation on the data (greedy search over every
    /// featurizer and classifier setting, starting from the flags given).
    #[arg(long)]
    pub auto: bool,
    /// What the search may spend: time (90s, 5m, 1h; which settings get scored then depends
    /// on the machine) or a number of settings to score (40t: the same search, winner and
    /// model on any machine). The final fit comes on top; with --estimate nested each outer
    /// search gets a share of a time budget, or the whole of a trial budget.
    #[arg(long, value_parser = parse_budget, default_value = "5m", value_name = "TIME|Nt", requires = "auto")]
    pub budget: Budget,
    /// What the search maximises.
    #[arg(long, value_enum, default_value_t = Metric::MacroF1, requires = "auto")]
    pub metric: Metric,
    /// How the whole procedure is scored: on one fold held out (the search sees the rest),
    /// by nested cross-validation (about twice the budget), or not at all.
    #[arg(long, value_enum, default_value_t = Estimate::Holdout, requires = "auto")]
    pub estimate: Estimate,
}

impl AutoArgs {
    /// The search's options.
    pub fn options(&self, cv: &CvArgs) -> AutoOptions {
        AutoOptions {
            budget: self.budget,
            metric: self.metric,
            folds: cv.folds,
            seed: cv.seed,
            group_by: cv.group_by.clone(),
            estimate: self.estimate,
            ..AutoOptions::default()
        }
    }

    /// Runs the search, printing each trial on stderr unless `quiet`.
    pub fn choose(
        &self,
        set: &TrainingSet,
        start: &TrainConfig,
        cv: &CvArgs,
        quiet: bool,
    ) -> anyhow::Result<(Outcome, AutoRecord)> {
        let o = self.options(cv);
        if !quiet {
            eprintln!(
                "stance: --auto: searching for up to {}, {} by {}-fold cross-validation",
                o.budget,
                o.metric.name(),
                o.folds
            );
        }
        let outcome = stance::auto::run(set, start, &o, &mut |part, t| {
            if quiet {
                return;
            }
            let head = format!(
                "stance: --auto ({part}): {:<14} {:<52}",
                t.dimension, t.change
            );
            match (t.score, t.screen) {
                (Some(s), None) => eprintln!("{head} {s:.4}  {:.1} s", t.seconds),
                (Some(s), Some(x)) => {
                    eprintln!("{head} {s:.4}  (screen {x:.4})  {:.1} s", t.seconds)
                }
                (None, Some(x)) => eprintln!("{head} screen {x:.4}  {:.1} s", t.seconds),
                (None, None) => eprintln!("{head} skipped: over the budget"),
            }
        })?;
        let record = outcome.record(&o);
        Ok((outcome, record))
    }
}

/// Prints what the search tried, the winner as a command and the honest estimate.
pub fn print(
    out: &mut dyn Write,
    outcome: &Outcome,
    record: &AutoRecord,
    labeled: &LabeledArgs,
    cv: &stance::pipeline::CvOptions,
    model_out: &std::path::Path,
) -> anyhow::Result<()> {
    let s = &outcome.search;
    let metric = record.metric.name();
    let budget = match (record.budget_trials, record.budget_seconds) {
        (Some(n), _) => Budget::Trials(n).to_string(),
        (None, Some(secs)) => format!("{secs:.0} s"),
        (None, None) => "unknown".into(),
    };
    writeln!(
        out,
        "--auto: {} settings scored in {:.0} s (budget {budget}), {metric} by cross-validation; {}:",
        record.trials,
        s.seconds,
        stop_sentence(
            s.stop,
            s.trials
                .iter()
                .any(|t| t.score.is_none() && t.screen.is_none())
        )
    )?;
    if let Some(k) = s.screen_folds {
        writeln!(
            out,
            "each new setting screened on {k} of the folds first; only the best of a setting's \
             values, if it beat the current ones there, scored on all of them"
        )?;
    }
    let screen_head = s.screen_folds.map(|k| format!("{k} folds"));
    let pct = |x: Option<f64>| x.map_or("-".into(), |x| format!("{:.1}", 100.0 * x));
    let mut head = vec!["pass", "setting", "change", metric];
    if let Some(h) = &screen_head {
        head.push(h);
    }
    head.extend(["s", ""]);
    let mut rows = vec![head.into_iter().map(String::from).collect::<Vec<_>>()];
    for t in s
        .trials
        .iter()
        .filter(|t| t.score.is_some() || t.screen.is_some())
    {
        let mut row = vec![
            t.pass.to_string(),
            t.dimension.clone(),
            t.change.clone(),
            pct(t.score),
        ];
        if screen_head.is_some() {
            row.push(pct(t.screen));
        }
        row.push(format!("{:.1}", t.seconds));
        row.push(if t.kept && t.pass > 0 {
            "kept".into()
        } else {
            String::new()
        });
        rows.push(row);
    }
    table(out, &rows)?;
    let skipped: Vec<&str> = s
        .trials
        .iter()
        .filter(|t| t.score.is_none() && t.screen.is_none())
        .map(|t| t.change.as_str())
        .collect();
    if !skipped.is_empty() {
        writeln!(
            out,
            "skipped, each would have overrun the budget: {}",
            skipped.join(", ")
        )?;
    }
    if !s.moot.is_empty() {
        let moot: Vec<String> = s
            .moot
            .iter()
            .map(|(d, why)| format!("{} ({why})", d.name()))
            .collect();
        writeln!(out, "not searched: {}", moot.join(", "))?;
    }
    writeln!(
        out,
        "chosen: {metric} {:.1} in the search against {:.1} for the starting settings (optimistic: the best of many)",
        100.0 * s.score,
        100.0 * s.start_score
    )?;
    writeln!(
        out,
        "as a command:\n  {}",
        train_command(labeled, &s.config, cv, Some(model_out))
    )?;
    match &outcome.honest {
        Some(h) if h.stopped.len() > 1 => {
            let converged = h.stopped.iter().filter(|&&x| x == Stop::Converged).count();
            writeln!(
                out,
                "the outer searches: {converged} of {} converged",
                h.stopped.len()
            )?
        }
        _ => {}
    }
    match &outcome.honest {
        Some(h) => writeln!(
            out,
            "honest estimate ({}, {} examples the search did not see): {metric} {:.1} with the chosen settings, {:.1} with the starting ones",
            match h.estimate {
                Estimate::Nested => "nested cross-validation",
                _ => "one fold held out",
            },
            h.n,
            100.0 * h.auto,
            100.0 * h.start
        )?,
        None => writeln!(out, "no honest estimate (--estimate none)")?,
    }
    if outcome.honest.as_ref().is_some_and(|h| h.auto < h.start) {
        writeln!(
            out,
            "the starting settings did better on the examples the search did not see: its gain did not carry over; consider training with them"
        )?;
    }
    writeln!(out)?;
    Ok(())
}

/// What the summary says of why the search stopped.
fn stop_sentence(stop: Stop, skipped: bool) -> &'static str {
    match (stop, skipped) {
        (Stop::Converged, _) => "the search converged (its last pass changed nothing)",
        (Stop::Budget, true) => {
            "it ran out of budget before it converged (some changes skipped, below)"
        }
        (Stop::Budget, false) => "it ran out of budget before it converged",
        (Stop::Passes, _) => {
            "it stopped at the last pass allowed, which still changed something: not converged"
        }
    }
}
