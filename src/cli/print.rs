//! How reports are shown to people: the evaluation report (train and eval print it), as
//! aligned tables.

use super::args::{f3, table};
use stance::evaluate::{EvalMethod, EvalReport, TaskReport};
use stance::model::FitReport;
use std::io::Write;

/// Actors shown in the per-actor table unless the full table is asked for.
pub const TOP_ACTORS: usize = 15;

fn opt(x: Option<f64>) -> String {
    x.map_or("-".into(), f3)
}

/// A fit's iterations and whether it converged.
pub fn fit_line(r: &FitReport) -> String {
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
}

/// The report as text tables. The per-actor table shows the [`TOP_ACTORS`] actors with the
/// most examples unless `all_actors`.
pub fn report(out: &mut dyn Write, r: &EvalReport, all_actors: bool) -> std::io::Result<()> {
    let s = &r.settings;
    match s.method {
        EvalMethod::CrossValidation => writeln!(
            out,
            "{}-fold cross-validation (seed {}, grouped by {}, stratified; featurizer fitted inside each fold)",
            s.folds.unwrap_or(0),
            s.seed.unwrap_or(0),
            s.group_by.as_deref().unwrap_or("id")
        )?,
        EvalMethod::HeldOut => writeln!(out, "held-out evaluation of a trained model")?,
    }
    task(out, &r.stance, all_actors)?;
    if let Some(t) = &r.sentiment {
        task(out, t, all_actors)?;
    }
    Ok(())
}

/// A warning line when a task's model does no better than the majority baseline.
pub fn baseline_warning(t: &TaskReport) -> Option<String> {
    t.below_baseline().then(|| {
        format!(
            "warning: the {} model is below the majority baseline (accuracy {} vs {}, macro-F1 {} vs {}): it has not learned more than the label counts; more labels, or other settings (`stance tune`), are needed",
            t.task,
            f3(t.accuracy),
            f3(t.baseline.accuracy),
            f3(t.macro_f1),
            f3(t.baseline.macro_f1)
        )
    })
}

fn task(out: &mut dyn Write, t: &TaskReport, all_actors: bool) -> std::io::Result<()> {
    writeln!(out, "\n{} ({} examples)", t.task, t.n)?;
    let spread = |s: Option<f64>| s.map(|sd| format!(" ± {sd:.3}")).unwrap_or_default();
    let folds = t.folds.as_ref();
    let rows = vec![
        ["", "macro-F1", "F_avg", "accuracy"]
            .map(String::from)
            .to_vec(),
        vec![
            "model".into(),
            format!("{}{}", f3(t.macro_f1), spread(folds.map(|f| f.macro_f1.sd))),
            format!(
                "{}{}",
                opt(t.f_avg),
                spread(folds.and_then(|f| f.f_avg.as_ref()).map(|s| s.sd))
            ),
            format!("{}{}", f3(t.accuracy), spread(folds.map(|f| f.accuracy.sd))),
        ],
        vec![
            "majority baseline".into(),
            f3(t.baseline.macro_f1),
            opt(t.baseline.f_avg),
            f3(t.baseline.accuracy),
        ],
    ];
    table(out, &rows)?;
    if folds.is_some() {
        writeln!(out, "(± is the standard deviation over folds)")?;
    }
    if let Some(w) = baseline_warning(t) {
        writeln!(out, "{w}")?;
    }
    writeln!(out)?;
    let mut rows = vec![["label", "precision", "recall", "F1", "support"]
        .map(String::from)
        .to_vec()];
    for c in &t.per_class {
        rows.push(vec![
            c.class.clone(),
            f3(c.precision),
            f3(c.recall),
            f3(c.f1),
            c.support.to_string(),
        ]);
    }
    let (macro_avg, weighted) = t.averages();
    let n: u64 = t.per_class.iter().map(|c| c.support).sum();
    for (name, a) in [("macro avg", macro_avg), ("weighted avg", weighted)] {
        rows.push(vec![
            name.into(),
            f3(a.precision),
            f3(a.recall),
            f3(a.f1),
            n.to_string(),
        ]);
    }
    table(out, &rows)?;
    writeln!(out, "\nconfusion (rows: true label, columns: predicted)")?;
    let mut rows = vec![std::iter::once(String::new())
        .chain(t.classes.iter().cloned())
        .collect::<Vec<_>>()];
    for (i, c) in t.classes.iter().enumerate() {
        rows.push(
            std::iter::once(c.clone())
                .chain(t.confusion.counts[i].iter().map(|n| n.to_string()))
                .collect(),
        );
    }
    table(out, &rows)?;
    reliability(out, t)?;
    per_actor(out, t, all_actors)
}

/// The reliability table: for bins of the top label's probability, how often that label is
/// right; with cross-validation, beside the same after cross-fitted temperature scaling.
fn reliability(out: &mut dyn Write, t: &TaskReport) -> std::io::Result<()> {
    let Some(r) = &t.reliability else {
        return Ok(());
    };
    let what = if t.calibrated.is_some() {
        "out-of-fold probabilities"
    } else {
        "the model's probabilities"
    };
    write!(
        out,
        "\ncalibration of {what}: expected calibration error {:.3} (mean top probability {:.3}, accuracy {})",
        r.ece,
        r.mean_confidence,
        f3(t.accuracy)
    )?;
    match &t.calibrated {
        Some(c) => writeln!(
            out,
            "; after temperature scaling fitted on the other folds {:.3} (mean top probability {:.3}), as the trained model scales its probabilities",
            c.ece, c.mean_confidence
        )?,
        None => writeln!(out)?,
    }
    let shown = t.calibrated.as_ref().unwrap_or(r);
    let mut rows = vec![[
        "top probability",
        "examples",
        "mean probability",
        "accuracy",
    ]
    .map(String::from)
    .to_vec()];
    for b in &shown.bins {
        rows.push(vec![
            format!("{:.1}–{:.1}", b.low, b.high),
            b.n.to_string(),
            f3(b.confidence),
            f3(b.accuracy),
        ]);
    }
    if t.calibrated.is_some() {
        writeln!(out, "reliability after scaling:")?;
    }
    table(out, &rows)
}

fn per_actor(out: &mut dyn Write, t: &TaskReport, all_actors: bool) -> std::io::Result<()> {
    if t.per_actor.is_empty() {
        return Ok(());
    }
    let shown = if all_actors {
        t.per_actor.len()
    } else {
        t.per_actor.len().min(TOP_ACTORS)
    };
    if shown < t.per_actor.len() {
        writeln!(
            out,
            "\nper actor (the {shown} with the most examples, of {})",
            t.per_actor.len()
        )?;
    } else {
        writeln!(out, "\nper actor")?;
    }
    let mut rows = vec![std::iter::once("actor".to_string())
        .chain(["n", "accuracy", "macro-F1", "F_avg"].map(String::from))
        .chain(t.classes.iter().cloned())
        .collect::<Vec<_>>()];
    for a in &t.per_actor[..shown] {
        rows.push(
            [
                a.actor.clone(),
                a.n.to_string(),
                f3(a.accuracy),
                f3(a.macro_f1),
                opt(a.f_avg),
            ]
            .into_iter()
            .chain(
                t.classes
                    .iter()
                    .map(|c| a.labels.get(c).copied().unwrap_or(0).to_string()),
            )
            .collect(),
        );
    }
    table(out, &rows)?;
    let rest = &t.per_actor[shown..];
    if !rest.is_empty() {
        let n: usize = rest.iter().map(|a| a.n).sum();
        writeln!(
            out,
            "… and {} more actors with {n} examples in all (--all-actors shows every row)",
            rest.len()
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use stance::evaluate::{Baseline, EvalSettings};
    use stance::metrics::Confusion;

    fn report(counts: Vec<Vec<u64>>) -> EvalReport {
        let classes: Vec<String> = ["against", "favor"].map(String::from).to_vec();
        let confusion = Confusion {
            classes: classes.clone(),
            counts,
        };
        let base = Confusion {
            classes: classes.clone(),
            counts: vec![vec![0, 1], vec![0, 3]],
        };
        EvalReport {
            settings: EvalSettings {
                method: EvalMethod::HeldOut,
                folds: None,
                seed: None,
                group_by: None,
            },
            stance: TaskReport {
                task: stance::Task::Stance,
                n: 4,
                classes,
                macro_f1: confusion.macro_f1(),
                f_avg: None,
                accuracy: confusion.accuracy(),
                per_class: confusion.per_class(),
                confusion,
                baseline: Baseline {
                    macro_f1: base.macro_f1(),
                    accuracy: base.accuracy(),
                    f_avg: None,
                },
                folds: None,
                per_actor: Vec::new(),
                reliability: None,
                calibrated: None,
            },
            sentiment: None,
        }
    }

    #[test]
    fn averages_rows_and_the_baseline_warning() {
        // 1 against, 3 favor; predicted: against right, favor 2 of 3 (one called against).
        // against: P 1/2, R 1, F1 2/3; favor: P 1, R 2/3, F1 4/5.
        let mut out = Vec::new();
        super::report(&mut out, &report(vec![vec![1, 0], vec![1, 2]]), false).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("macro avg         0.750   0.833  0.733        4"),
            "{text}"
        );
        assert!(
            text.contains("weighted avg      0.875   0.750  0.767        4"),
            "{text}"
        );
        // Accuracy 0.75, the same as always saying favor (3 of 4): not below.
        assert!(!text.contains("below the majority baseline"), "{text}");
        // Everything called against: accuracy 0.25.
        let mut out = Vec::new();
        super::report(&mut out, &report(vec![vec![1, 0], vec![3, 0]]), false).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains(
                "warning: the stance model is below the majority baseline (accuracy 0.250 vs 0.750"
            ),
            "{text}"
        );
    }
}
