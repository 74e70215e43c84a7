//! `stance explain`: the terms that weigh most for each label.

use super::args::{f3, table, ModelArg};
use clap::Args;
use stance::classifier::Classify;
use stance::Task;
use std::io::Write;

#[derive(Args)]
#[command(
    about = "Show the terms with the largest weights for each label (overall, or for one actor)",
    after_help = "Examples:\n  stance explain\n  stance explain --model models/default.json --actor Iran --top 15\n  stance explain --task sentiment\n\nA term's weight for a label is its logistic weight for that label minus its mean weight over\nall labels. With --actor, terms are ranked by weight times their mean TF-IDF value in that\nactor's training contexts: what drove the model's decisions about that actor.\n__target__ stands for a mention of the actor being scored, __other__ for another actor."
)]
pub struct ExplainCmd {
    #[command(flatten)]
    pub model: ModelArg,
    /// Rank terms by their weight in this actor's training contexts.
    #[arg(long)]
    pub actor: Option<String>,
    /// Terms per label.
    #[arg(long, default_value_t = 12)]
    pub top: usize,
    /// Which classifier.
    #[arg(long, value_enum, default_value_t = Task::Stance)]
    pub task: Task,
}

impl ExplainCmd {
    pub fn run(self) -> anyhow::Result<i32> {
        let model = self.model.load()?;
        let task = self.task;
        let clf = &model
            .task(task)
            .ok_or_else(|| anyhow::anyhow!("this model has no sentiment classifier"))?
            .classifier;
        let centered = |j: usize, c: usize| clf.contribution(j, c);
        // Candidate features with a multiplier: 1 for all, or the actor's mean value.
        let candidates: Vec<(usize, f64)> = match &self.actor {
            None => (0..clf.n_features()).map(|j| (j, 1.0)).collect(),
            Some(a) => {
                if task == Task::Sentiment {
                    anyhow::bail!("--actor goes with --task stance");
                }
                let profile = model.info.actor_profiles.get(a).ok_or_else(|| {
                    let known = &model.info.actor_profiles;
                    let near = stance::text::closest(a, known.keys().map(String::as_str), 5);
                    anyhow::anyhow!(
                        "the model has no training examples for actor \"{a}\"; the closest of its {} actors: {}",
                        known.len(),
                        near.join(", ")
                    )
                })?;
                profile
                    .iter()
                    .map(|&(j, v)| (j as usize, v as f64))
                    .filter(|(j, _)| *j < clf.n_features())
                    .collect()
            }
        };
        let mut out = std::io::stdout().lock();
        if let Some(a) = &self.actor {
            let counts = model.info.actors.get(a).cloned().unwrap_or_default();
            writeln!(
                out,
                "{}: {} training examples ({})",
                stance::output::printable_line(a),
                counts.values().sum::<usize>(),
                stance::output::printable_line(
                    &counts
                        .iter()
                        .map(|(l, n)| format!("{l} {n}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            )?;
        }
        for (c, label) in clf.classes().iter().enumerate() {
            let mut ranked: Vec<(usize, f64)> = candidates
                .iter()
                .map(|&(j, m)| (j, centered(j, c) * m))
                .collect();
            ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            writeln!(out, "\n{}", stance::output::printable_line(label))?;
            let rows: Vec<Vec<String>> = std::iter::once(vec!["term".to_string(), "weight".into()])
                .chain(
                    ranked
                        .iter()
                        .take(self.top)
                        .filter(|(_, w)| *w > 0.0)
                        .map(|&(j, w)| vec![model.featurizer.name(j).to_string(), f3(w)]),
                )
                .collect();
            table(&mut out, &rows)?;
        }
        Ok(0)
    }
}
