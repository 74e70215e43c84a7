//! `stance tune`: choose settings by cross-validation on training data, and estimate the tuned
//! procedure's accuracy by nested cross-validation.

use super::args::{
    parse_folds, table, train_command, CvArgs, LabeledArgs, ModelArgs, OutputFormat, Range,
};
use super::Given;
use clap::Args;
use stance::context::{Markers, Window};
use stance::tune::{nested, search, Grid, Nested, Scored};
use stance::StanceModel;
use std::io::Write;
use std::path::PathBuf;

#[derive(Args)]
#[command(
    about = "Choose alpha, n-grams, window, markers… by cross-validation; report nested cross-validation",
    after_help = "Examples:\n  stance tune --data data/articles.jsonl --actors data/actors.toml\n  stance tune --data train.jsonl --alpha-grid 0.1,0.3,1 --ngrams-grid 1-1,1-2 --window-grid 0,1 --out tuned.json\n\nEvery combination of the listed values is scored by --folds-fold cross-validation on the\ndata (stance macro-F1); the best is reported with the `stance train` command that makes it\nand, with --out, trained on all the data and saved. A setting given as a single flag\n(--alpha 3) is held fixed instead of searched. Unless --no-nested, nested cross-validation\nrepeats the whole search inside each outer training split (--inner-folds) and scores the\nwinner on the held-out fold: that outer score, not the best inner score, is what to expect\non new data."
)]
pub struct TuneCmd {
    /// Train the best settings on all the data and save the model here.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Candidate L2 penalties [default: 0.1,0.3,1,3,10,30,100].
    #[arg(long = "alpha-grid", value_delimiter = ',', conflicts_with = "alpha")]
    pub alpha_grid: Option<Vec<f64>>,
    /// Candidate word n-gram ranges [default: 1-1,1-2].
    #[arg(long = "ngrams-grid", value_delimiter = ',', conflicts_with = "ngrams")]
    pub ngrams_grid: Option<Vec<Range>>,
    /// Candidate character n-gram ranges, "off" for none [default: off].
    #[arg(
        long = "char-ngrams-grid",
        value_delimiter = ',',
        conflicts_with = "char_ngrams"
    )]
    pub char_grid: Option<Vec<String>>,
    /// Candidate windows: sentences around each mention, or "all" [default: 0,1].
    #[arg(long = "window-grid", value_delimiter = ',', conflicts_with = "window")]
    pub window_grid: Option<Vec<Window>>,
    /// Candidate marker settings [default: both,none].
    #[arg(
        long = "markers-grid",
        value_delimiter = ',',
        value_enum,
        conflicts_with = "markers"
    )]
    pub markers_grid: Option<Vec<Markers>>,
    /// Candidate actor-prior settings [default: true].
    #[arg(
        long = "actor-prior-grid",
        value_delimiter = ',',
        conflicts_with = "no_actor_prior"
    )]
    pub prior_grid: Option<Vec<bool>>,
    #[command(flatten)]
    pub cv: CvArgs,
    /// Folds of the search inside each outer training split (nested cross-validation).
    #[arg(long, default_value_t = 3, value_parser = parse_folds)]
    pub inner_folds: usize,
    /// Skip nested cross-validation (much faster; the best score is then optimistic).
    #[arg(long)]
    pub no_nested: bool,
    /// Output: tables or one JSON document.
    #[arg(long, default_value = "text", value_parser = OutputFormat::parser(&[OutputFormat::Text, OutputFormat::Json]))]
    pub format: OutputFormat,
    #[command(flatten)]
    pub limit: super::args::TimeLimitArgs,
    #[command(flatten)]
    pub labeled: LabeledArgs,
    #[command(flatten)]
    pub model_args: ModelArgs,
}

impl TuneCmd {
    /// The grid: each dimension from its grid flag; else, when the single flag was given, that
    /// value alone; else the default candidates.
    pub fn grid(&self, given: &Given) -> anyhow::Result<Grid> {
        let m = &self.model_args;
        fn pick<T: Clone>(grid: &Option<Vec<T>>, fixed: Option<T>, default: Vec<T>) -> Vec<T> {
            match (grid, fixed) {
                (Some(g), _) => g.clone(),
                (None, Some(v)) => vec![v],
                (None, None) => default,
            }
        }
        let chars = match &self.char_grid {
            Some(g) => g
                .iter()
                .map(|c| {
                    if c == "off" {
                        Ok(None)
                    } else {
                        c.parse::<Range>().map(|r| Some((r.0, r.1)))
                    }
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| anyhow::anyhow!("--char-ngrams-grid: {e}"))?,
            None if given.contains("char_ngrams") => vec![m.char_ngrams.map(|r| (r.0, r.1))],
            None => vec![None],
        };
        Ok(Grid {
            alpha: pick(
                &self.alpha_grid,
                given.contains("alpha").then_some(m.alpha),
                vec![0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0],
            ),
            ngrams: pick(
                &self.ngrams_grid,
                given.contains("ngrams").then_some(m.ngrams),
                vec![Range(1, 1), Range(1, 2)],
            )
            .into_iter()
            .map(|r| (r.0, r.1))
            .collect(),
            char_ngrams: chars,
            window: pick(
                &self.window_grid,
                given.contains("window").then_some(m.window),
                vec![Window::Sentences(0), Window::Sentences(1)],
            ),
            markers: pick(
                &self.markers_grid,
                given.contains("markers").then_some(m.markers),
                vec![Markers::Both, Markers::None],
            ),
            actor_prior: pick(
                &self.prior_grid,
                given
                    .contains("no_actor_prior")
                    .then_some(!m.no_actor_prior),
                vec![true],
            ),
        })
    }

    pub fn run(self, given: &Given) -> anyhow::Result<i32> {
        let outputs: Vec<(&str, &std::path::Path, stance::output::Target)> = self
            .out
            .iter()
            .map(|o| ("--out", o.as_path(), stance::output::Target::File))
            .collect();
        super::args::check_files(&super::args::labeled_inputs(&self.labeled), &outputs)?;
        let deadline = self.limit.start("tuning");
        let set = self
            .labeled
            .read(&self.labeled.registry(&self.model_args.config())?)?;
        let grid = self.grid(given)?;
        let candidates = grid.candidates(&self.model_args.config());
        let cv = self.cv.options();
        let group = cv.group_by.as_deref();
        let ranked = search(&set, &candidates, cv.folds, cv.seed, group)?;
        let nested = if self.no_nested {
            None
        } else {
            Some(nested(
                &set,
                &candidates,
                cv.folds,
                self.inner_folds,
                cv.seed,
                group,
            )?)
        };
        let best = &candidates[ranked[0].1];
        let command = train_command(&self.labeled, &best.config, &cv, self.out.as_deref());
        if let Some(out) = &self.out {
            let mut model = StanceModel::train(&set, &best.config, cv.seed)?;
            model.name = out.file_stem().map(|s| s.to_string_lossy().into_owned());
            deadline.finish(|| model.save(out))?;
            eprintln!(
                "stance: trained the best settings on all {} articles: {}",
                set.articles.len(),
                out.display()
            );
        }
        let mut o = std::io::stdout().lock();
        if self.format == OutputFormat::Json {
            serde_json::to_writer_pretty(
                &mut o,
                &serde_json::json!({
                    "candidates": ranked.iter().map(|(s, _)| s).collect::<Vec<_>>(),
                    "best": ranked[0].0,
                    "command": command,
                    "nested": nested,
                }),
            )?;
            writeln!(o)?;
            return Ok(0);
        }
        print_text(
            &mut o,
            candidates.len(),
            cv.folds,
            &ranked,
            &command,
            nested.as_ref(),
        )?;
        Ok(0)
    }
}

/// The ranking (the best 12), the winner's training command, and the nested estimate with its
/// folds.
fn print_text(
    o: &mut dyn Write,
    candidates: usize,
    folds: usize,
    ranked: &[(Scored, usize)],
    command: &str,
    nested: Option<&Nested>,
) -> anyhow::Result<()> {
    writeln!(
        o,
        "{} candidates, {}-fold cross-validation (stance macro-F1), best first:",
        candidates, folds
    )?;
    let mut rows = vec![["settings", "macro-F1", "± sd"].map(String::from).to_vec()];
    for (s, _) in ranked.iter().take(12) {
        rows.push(vec![
            s.name.clone(),
            format!("{:.3}", s.macro_f1),
            format!("{:.3}", s.sd),
        ]);
    }
    table(o, &rows)?;
    writeln!(
        o,
        "
the best settings, as a training command:
  {command}"
    )?;
    if let Some(n) = nested {
        writeln!(
            o,
            "
nested cross-validation ({} outer × {} inner folds): macro-F1 {:.3}, accuracy {:.3}{}",
            n.outer_folds,
            n.inner_folds,
            n.macro_f1,
            n.accuracy,
            n.f_avg.map_or(String::new(), |f| format!(", F_avg {f:.3}"))
        )?;
        let mut rows = vec![["fold", "chosen", "inner", "outer", "n"]
            .map(String::from)
            .to_vec()];
        for f in &n.folds {
            rows.push(vec![
                f.fold.to_string(),
                f.chosen.clone(),
                format!("{:.3}", f.inner_macro_f1),
                format!("{:.3}", f.outer_macro_f1),
                f.outer_n.to_string(),
            ]);
        }
        table(o, &rows)?;
        writeln!(
            o,
            "(the outer score is the honest one: the best inner score was chosen, so it flatters)"
        )?;
    }
    Ok(())
}
