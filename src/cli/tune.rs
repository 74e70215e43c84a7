//! `stance tune`: choose settings by cross-validation on training data, and estimate the tuned
//! procedure's accuracy by nested cross-validation.

use super::{load_actors, parse_range, table, LabeledArgs, Markers, ModelArgs};
use clap::Args;
use stance::tune::{nested, search, Grid};
use stance::StanceModel;
use std::io::Write;
use std::path::PathBuf;

#[derive(Args)]
#[command(
    about = "Choose alpha, n-grams, window, markers… by cross-validation; report nested cross-validation",
    after_help = "Examples:\n  stance tune --data data/articles.jsonl --actors data/actors.toml\n  stance tune --data train.jsonl --alpha 0.1,0.3,1 --ngrams 1-1,1-2 --window 0,1 --out tuned.json\n\nEvery combination of the listed values is scored by --folds-fold cross-validation on the\ndata (stance macro-F1); the best is reported and, with --out, trained on all the data and\nsaved. Unless --no-nested, nested cross-validation repeats the whole search inside each outer\ntraining split (--inner-folds) and scores the winner on the held-out fold: that outer score,\nnot the best inner score, is what to expect on new data."
)]
pub struct TuneCmd {
    /// Train the best settings on all the data and save the model here.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Candidate L2 penalties.
    #[arg(
        long = "alpha-grid",
        value_delimiter = ',',
        default_value = "0.1,0.3,1,3,10,30,100"
    )]
    pub alpha_grid: Vec<f64>,
    /// Candidate word n-gram ranges.
    #[arg(long = "ngrams-grid", value_delimiter = ',', value_parser = parse_range, default_value = "1-1,1-2")]
    pub ngrams_grid: Vec<(usize, usize)>,
    /// Candidate character n-gram ranges ("off" for none).
    #[arg(
        long = "char-ngrams-grid",
        value_delimiter = ',',
        default_value = "off"
    )]
    pub char_grid: Vec<String>,
    /// Candidate windows (sentences around each mention).
    #[arg(long = "window-grid", value_delimiter = ',', value_parser = super::parse_window, default_value = "0,1")]
    pub window_grid: Vec<usize>,
    /// Candidate marker settings.
    #[arg(
        long = "markers-grid",
        value_delimiter = ',',
        value_enum,
        default_value = "both,none"
    )]
    pub markers_grid: Vec<Markers>,
    /// Candidate actor-prior settings.
    #[arg(
        long = "actor-prior-grid",
        value_delimiter = ',',
        default_value = "true"
    )]
    pub prior_grid: Vec<bool>,
    /// Folds of the search (and outer folds of the nested estimate).
    #[arg(long, default_value_t = 5, value_parser = super::parse_folds)]
    pub folds: usize,
    #[arg(long, default_value_t = 3, value_parser = super::parse_folds)]
    pub inner_folds: usize,
    /// Skip nested cross-validation (much faster; the best score is then optimistic).
    #[arg(long)]
    pub no_nested: bool,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    #[arg(long)]
    pub group_by: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub labeled: LabeledArgs,
    #[command(flatten)]
    pub model_args: ModelArgs,
}

impl TuneCmd {
    pub fn run(self) -> anyhow::Result<i32> {
        let actors = load_actors(self.labeled.actors.as_ref())?;
        let set = self.labeled.read(&actors)?;
        let chars = self
            .char_grid
            .iter()
            .map(|c| {
                if c == "off" {
                    Ok(None)
                } else {
                    parse_range(c).map(Some)
                }
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| anyhow::anyhow!("--char-ngrams-grid: {e}"))?;
        let grid = Grid {
            alpha: self.alpha_grid.clone(),
            ngrams: self.ngrams_grid.clone(),
            char_ngrams: chars,
            window: self.window_grid.clone(),
            markers: self
                .markers_grid
                .iter()
                .map(|m| (*m != Markers::None, *m == Markers::Both))
                .collect(),
            actor_prior: self.prior_grid.clone(),
        };
        let candidates = grid.candidates(&self.model_args.config());
        let group = self.group_by.as_deref();
        let ranked = search(&set, &candidates, self.folds, self.seed, group)?;
        let nested = if self.no_nested {
            None
        } else {
            Some(nested(
                &set,
                &candidates,
                self.folds,
                self.inner_folds,
                self.seed,
                group,
            )?)
        };
        let best = &candidates[ranked[0].1];
        if let Some(out) = &self.out {
            let model = StanceModel::train(&set, &best.config, self.seed)?;
            model.save(out)?;
            eprintln!(
                "stance: trained the best settings on all {} articles: {}",
                set.articles.len(),
                out.display()
            );
        }
        let mut o = std::io::stdout().lock();
        if self.json {
            serde_json::to_writer_pretty(
                &mut o,
                &serde_json::json!({
                    "candidates": ranked.iter().map(|(s, _)| s).collect::<Vec<_>>(),
                    "best": ranked[0].0,
                    "nested": nested,
                }),
            )?;
            writeln!(o)?;
            return Ok(0);
        }
        writeln!(
            o,
            "{} candidates, {}-fold cross-validation (stance macro-F1), best first:",
            candidates.len(),
            self.folds
        )?;
        let mut rows = vec![vec![
            "settings".to_string(),
            "macro-F1".into(),
            "± sd".into(),
        ]];
        for (s, _) in ranked.iter().take(12) {
            rows.push(vec![
                s.name.clone(),
                format!("{:.3}", s.macro_f1),
                format!("{:.3}", s.sd),
            ]);
        }
        table(&mut o, &rows)?;
        if let Some(n) = &nested {
            writeln!(
                o,
                "\nnested cross-validation ({} outer × {} inner folds): macro-F1 {:.3}, accuracy {:.3}{}",
                n.outer_folds,
                n.inner_folds,
                n.macro_f1,
                n.accuracy,
                n.f_avg.map_or(String::new(), |f| format!(", F_avg {f:.3}"))
            )?;
            let mut rows = vec![vec![
                "fold".to_string(),
                "chosen".into(),
                "inner".into(),
                "outer".into(),
                "n".into(),
            ]];
            for f in &n.folds {
                rows.push(vec![
                    f.fold.to_string(),
                    f.chosen.clone(),
                    format!("{:.3}", f.inner_macro_f1),
                    format!("{:.3}", f.outer_macro_f1),
                    f.outer_n.to_string(),
                ]);
            }
            table(&mut o, &rows)?;
            writeln!(o, "(the outer score is the honest one: the best inner score was chosen, so it flatters)")?;
        }
        Ok(0)
    }
}
