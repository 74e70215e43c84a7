//! `stance compare`: stance by source or month, from the output of `stance score`.

use super::{f3, table};
use clap::{Args, ValueEnum};
use stance::compare::{compare, CompareOptions, GroupBy};
use stance::pipeline::ArticleScore;
use std::io::{BufRead, Write};

#[derive(Args)]
#[command(
    about = "Compare stance across sources or months, with intervals, from `stance score` output",
    after_help = "Examples:\n  stance score data/articles.jsonl > scores.jsonl\n  stance compare scores.jsonl --by source --actor Iran\n  stance compare scores.jsonl --by month --format csv > by_month.csv\n\nscore is the mean of P(favor) - P(against) over the group's articles, with a 95% percentile\nbootstrap interval (articles resampled, --bootstrap times, seeded); the label shares count\neach article's predicted label."
)]
pub struct CompareCmd {
    /// Score files (JSONL from `stance score`), or - for standard input.
    #[arg(required = true)]
    pub scores: Vec<String>,
    /// What to group articles by.
    #[arg(long, value_enum, default_value = "source")]
    pub by: GroupBy,
    /// Only this actor. Repeatable.
    #[arg(long = "actor")]
    pub actors: Vec<String>,
    /// Bootstrap resamples for the intervals.
    #[arg(long, default_value_t = 2000)]
    pub bootstrap: usize,
    /// Seed for the bootstrap.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Warn about groups with fewer articles than this.
    #[arg(long, default_value_t = 10)]
    pub min_n: usize,
    #[arg(long, value_enum, default_value = "text")]
    pub format: CompareFormat,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompareFormat {
    Text,
    Json,
    Csv,
}

/// Reads score records; error records (from failed inputs) are counted, not compared.
pub fn read_scores(paths: &[String]) -> anyhow::Result<(Vec<ArticleScore>, usize)> {
    let mut out = Vec::new();
    let mut skipped = 0;
    for p in paths {
        let reader: Box<dyn BufRead> = if p == "-" {
            Box::new(std::io::stdin().lock())
        } else {
            Box::new(std::io::BufReader::new(
                std::fs::File::open(p).map_err(|e| stance::Error::io(p.as_ref(), e))?,
            ))
        };
        for (i, line) in reader.lines().enumerate() {
            let line = line.map_err(|e| stance::Error::io(p.as_ref(), e))?;
            if line.trim().is_empty() {
                continue;
            }
            let v: serde_json::Value = serde_json::from_str(&line).map_err(|e| {
                stance::Error::input(p, Some(i as u64 + 1), None, format!("malformed JSON: {e}"))
            })?;
            if v.get("error").is_some() {
                skipped += 1;
                continue;
            }
            let a: ArticleScore = serde_json::from_value(v).map_err(|e| {
                stance::Error::input(
                    p,
                    Some(i as u64 + 1),
                    None,
                    format!("not a score record of `stance score`: {e}"),
                )
            })?;
            out.push(a);
        }
    }
    Ok((out, skipped))
}

impl CompareCmd {
    pub fn run(self) -> anyhow::Result<i32> {
        let (articles, skipped) = read_scores(&self.scores)?;
        if skipped > 0 {
            eprintln!("stance: {skipped} error records in the scores were left out");
        }
        let opts = CompareOptions {
            by: self.by,
            actors: self.actors.clone(),
            bootstrap: self.bootstrap,
            seed: self.seed,
            level: 0.95,
        };
        let rows = compare(&articles, &opts);
        if rows.is_empty() {
            anyhow::bail!(
                "nothing to compare: no article in the scores has {}",
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
                "stance: warning: {thin} of {} groups have fewer than {} articles; their intervals are wide and their shares unstable",
                rows.len(),
                self.min_n
            );
        }
        let labels: Vec<String> = {
            let mut l: Vec<String> = rows
                .iter()
                .flat_map(|r| r.label_count.keys().cloned())
                .collect();
            l.sort();
            l.dedup();
            l
        };
        let mut out = std::io::stdout().lock();
        match self.format {
            CompareFormat::Json => {
                for r in &rows {
                    serde_json::to_writer(&mut out, r)?;
                    writeln!(out)?;
                }
            }
            CompareFormat::Csv => {
                let mut w = csv::Writer::from_writer(&mut out);
                let mut h = vec!["group", "actor", "n", "score", "score_low", "score_high"]
                    .into_iter()
                    .map(String::from)
                    .collect::<Vec<_>>();
                h.extend(labels.iter().map(|l| format!("share_{l}")));
                h.extend(labels.iter().map(|l| format!("n_{l}")));
                w.write_record(&h)?;
                for r in &rows {
                    let mut rec = vec![r.group.clone(), r.actor.clone(), r.n.to_string()];
                    match &r.score {
                        Some(e) => rec.extend([e.mean, e.low, e.high].map(|x| format!("{x:.6}"))),
                        None => rec.extend([String::new(), String::new(), String::new()]),
                    }
                    rec.extend(
                        labels.iter().map(|l| {
                            format!("{:.6}", r.label_share.get(l).copied().unwrap_or(0.0))
                        }),
                    );
                    rec.extend(
                        labels
                            .iter()
                            .map(|l| r.label_count.get(l).copied().unwrap_or(0).to_string()),
                    );
                    w.write_record(&rec)?;
                }
                w.flush()?;
            }
            CompareFormat::Text => {
                let by = format!("{:?}", self.by).to_lowercase();
                let mut t = vec![[by.as_str(), "actor", "n", "score", "95% interval"]
                    .into_iter()
                    .map(String::from)
                    .chain(labels.iter().map(|l| format!("% {l}")))
                    .collect::<Vec<_>>()];
                for r in &rows {
                    let (s, ci) = match &r.score {
                        Some(e) => (
                            format!("{:+.3}", e.mean),
                            format!("[{:+.3}, {:+.3}]", e.low, e.high),
                        ),
                        None => ("-".into(), "-".into()),
                    };
                    t.push(
                        [r.group.clone(), r.actor.clone(), r.n.to_string(), s, ci]
                            .into_iter()
                            .chain(labels.iter().map(|l| {
                                format!(
                                    "{:.0}",
                                    100.0 * r.label_share.get(l).copied().unwrap_or(0.0)
                                )
                            }))
                            .collect(),
                    );
                }
                table(&mut out, &t)?;
                writeln!(
                    out,
                    "\nscore: mean P(favor) - P(against); interval: 95% bootstrap over articles ({} resamples, seed {}); % label: share of articles with that predicted label (classify and count).",
                    self.bootstrap, self.seed
                )?;
                let _ = f3;
            }
        }
        Ok(0)
    }
}
