//! `stance score`: score articles in batch, streaming, in parallel, every input record accounted
//! for in input order.

use super::ReadArgs;
use clap::{Args, ValueEnum};
use stance::corpus::{self, Record};
use stance::features::Scratch;
use stance::pipeline::{ArticleScore, ScoreOptions};
use stance::StanceModel;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Args)]
#[command(
    about = "Score articles: sentiment, and stance toward every actor each one names",
    after_help = "Examples:\n  stance score data/articles.jsonl > scores.jsonl\n  stance score --model models/default.json ../shared/seeds/ --format csv\n  cat articles.jsonl | stance score - --actor Iran --evidence 0 > iran.jsonl\n\nOne output record per input record, in input order: a score, or an error record\n{\"id\", \"file\", \"line\", \"error\"} (or to --errors FILE). Exit status 1 if any record failed."
)]
pub struct ScoreCmd {
    /// Articles: JSONL, CSV, text files or folders of them, .gz, or - for standard input.
    #[arg(default_value = "-")]
    pub inputs: Vec<String>,
    /// The model file.
    #[arg(long, default_value = "models/default.json")]
    pub model: PathBuf,
    /// Output format (default: from --out's extension, else jsonl).
    #[arg(long, value_enum)]
    pub format: Option<OutFormat>,
    /// Write to this file instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Also score this actor when an article does not name it (whole text as context). Repeatable.
    #[arg(long = "actor")]
    pub actors: Vec<String>,
    /// Score only the actors given with --actor.
    #[arg(long)]
    pub only_actors: bool,
    /// Evidence sentences per actor (0 for none, which is faster).
    #[arg(long, default_value_t = 2)]
    pub evidence: usize,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Write error records to this file (JSONL) instead of into the output.
    #[arg(long)]
    pub errors: Option<PathBuf>,
    /// Stop with exit status 1 after this many bad records.
    #[arg(long)]
    pub max_errors: Option<usize>,
    /// Records per batch (memory is bounded by this, not by the input size).
    #[arg(long, default_value_t = 1024)]
    pub batch: usize,
    /// No summary line on stderr.
    #[arg(long, short)]
    pub quiet: bool,
    /// Exit 0 even when some records failed (each is still reported in the output or
    /// --errors): for engines that fail a whole task on a non-zero status.
    #[arg(long)]
    pub ok_on_bad_records: bool,
    #[command(flatten)]
    pub read: ReadArgs,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutFormat {
    /// One JSON object per article.
    Jsonl,
    /// Long form: one row per article and actor.
    Csv,
}

impl ScoreCmd {
    pub fn run(self) -> anyhow::Result<i32> {
        let model = StanceModel::load(&self.model)?;
        for a in &self.actors {
            if model.registry.index(a).is_none() {
                anyhow::bail!(
                    "--actor \"{a}\" is not an actor of the model (its actors: {})",
                    model
                        .registry
                        .actors()
                        .iter()
                        .map(|a| a.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
        }
        let format = self.format.unwrap_or(match &self.out {
            Some(p) if p.extension().is_some_and(|e| e == "csv") => OutFormat::Csv,
            _ => OutFormat::Jsonl,
        });
        let opts = ScoreOptions {
            actors: self.actors.clone(),
            only_listed: self.only_actors,
            evidence: self.evidence,
        };
        let threads = self
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            .max(1);
        let mut out = super::output(self.out.as_ref())?;
        let mut errors_out = match &self.errors {
            Some(p) => Some(std::io::BufWriter::new(
                std::fs::File::create(p).map_err(|e| stance::Error::io(p, e))?,
            )),
            None => None,
        };
        let stance_classes = model.stance.classes.clone();
        if format == OutFormat::Csv {
            writeln!(out, "{}", csv_header(&stance_classes))?;
        }
        let start = Instant::now();
        let read = self.read.options();
        let mut streams = Vec::new();
        for input in &self.inputs {
            streams.push(corpus::open_pending(input, &read)?);
        }
        let progress = progress_bar(&self.inputs, self.quiet);
        let records = streams.into_iter().flatten();
        let batch_size = self.batch.max(1);
        let max_errors = self.max_errors;
        // Three stages that overlap: a reader thread cuts the input into numbered batches,
        // `threads` workers each take whole batches and parse, score and serialise them with
        // their own scratch (no barrier between batches, so no worker waits for another), and
        // the writer puts the batches back in input order. Memory is bounded by the gate: the
        // reader waits while `window` batches are read but not yet written.
        let window = 2 * threads + 2;
        let gate = Gate::default();
        let (batch_tx, batch_rx) =
            std::sync::mpsc::sync_channel::<(usize, Vec<corpus::Pending>)>(window);
        let batch_rx = std::sync::Mutex::new(batch_rx);
        let (out_tx, out_rx) =
            std::sync::mpsc::sync_channel::<(usize, usize, Vec<Outcome>)>(window);
        let (counts, write_result) = std::thread::scope(|scope| {
            let gate = &gate;
            scope.spawn(move || {
                let mut records = records;
                for seq in 0.. {
                    let batch: Vec<corpus::Pending> = records.by_ref().take(batch_size).collect();
                    if batch.is_empty()
                        || !gate.wait_for(seq, window)
                        || batch_tx.send((seq, batch)).is_err()
                    {
                        break;
                    }
                }
            });
            for _ in 0..threads {
                let out_tx = out_tx.clone();
                let (batch_rx, model, opts, classes) = (&batch_rx, &model, &opts, &stance_classes);
                scope.spawn(move || {
                    let mut scratch = Scratch::default();
                    loop {
                        let next = batch_rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                        let Ok((seq, pending)) = next else { break };
                        let raw: usize = pending.iter().map(|p| p.raw_len()).sum();
                        let outcomes = pending
                            .into_iter()
                            .map(|p| outcome(p.parse(), model, opts, classes, format, &mut scratch))
                            .collect();
                        if out_tx.send((seq, raw, outcomes)).is_err() {
                            break; // the writer stopped: a closed pipe, or --max-errors
                        }
                    }
                });
            }
            drop(out_tx);
            let mut c = Counts::default();
            let r = (|| -> std::io::Result<()> {
                let mut waiting = std::collections::BTreeMap::new();
                let mut next = 0;
                for (seq, raw, outcomes) in &out_rx {
                    waiting.insert(seq, (raw, outcomes));
                    while let Some((raw, outcomes)) = waiting.remove(&next) {
                        next += 1;
                        gate.written(next);
                        let text: usize = outcomes.iter().map(|o: &Outcome| o.text_bytes).sum();
                        progress.inc(if raw > 0 { raw } else { text } as u64);
                        for o in outcomes {
                            if o.error_json.is_none() {
                                c.ok += 1;
                                c.actors += o.actors;
                                c.bytes += o.text_bytes;
                                if c.ok % 1024 == 0 {
                                    progress.set_message(format!(
                                        "{} articles, {} errors",
                                        c.ok, c.errors
                                    ));
                                }
                                out.write_all(o.line.as_bytes())?;
                                out.write_all(b"\n")?;
                                continue;
                            }
                            c.errors += 1;
                            match (&mut errors_out, &o.error_json) {
                                (Some(w), Some(j)) => writeln!(w, "{j}")?,
                                _ => {
                                    out.write_all(o.line.as_bytes())?;
                                    out.write_all(b"\n")?;
                                }
                            }
                            progress.set_message(format!("{} articles, {} errors", c.ok, c.errors));
                            if max_errors.is_some_and(|m| c.errors >= m) {
                                c.aborted = true;
                                return Ok(());
                            }
                        }
                    }
                }
                Ok(())
            })();
            // Whatever ended the writing, let the reader and the workers go.
            gate.stop();
            drop(out_rx);
            let r = r
                .and_then(|()| out.flush())
                .and_then(|()| match &mut errors_out {
                    Some(w) => w.flush(),
                    None => Ok(()),
                });
            (c, r)
        });
        progress.finish_and_clear();
        write_result?;
        let Counts {
            ok: n_ok,
            errors: n_err,
            actors: n_actor,
            bytes,
            aborted,
        } = counts;
        let secs = start.elapsed().as_secs_f64();
        if aborted {
            eprintln!(
                "stance: stopped after {n_err} bad records (--max-errors); {n_ok} articles were scored before that"
            );
            return Ok(1);
        }
        if !self.quiet {
            eprintln!(
                "stance: {n_ok} articles scored, {n_actor} actor scores, {n_err} errors; {:.1} MB of text in {:.2} s ({:.1} MB/s)",
                bytes as f64 / 1e6,
                secs,
                bytes as f64 / 1e6 / secs.max(1e-9)
            );
        }
        Ok(if n_err > 0 && !self.ok_on_bad_records {
            1
        } else {
            0
        })
    }
}

/// Parses and scores one record, and serialises the result (or the error) in the output format.
fn outcome(
    rec: Record,
    model: &StanceModel,
    opts: &ScoreOptions,
    classes: &[String],
    format: OutFormat,
    scratch: &mut Scratch,
) -> Outcome {
    match &rec.item {
        Ok(a) => {
            let mut s = model.score(&a.article, opts, scratch);
            s.fields = a.extra.clone();
            Outcome {
                line: match format {
                    OutFormat::Jsonl => serde_json::to_string(&s).expect("scores serialise"),
                    OutFormat::Csv => csv_rows(&s, classes),
                },
                error_json: None,
                actors: s.actors.len(),
                text_bytes: a.article.text.len(),
            }
        }
        Err(e) => Outcome {
            line: match format {
                OutFormat::Jsonl => error_json(&rec, e),
                OutFormat::Csv => csv_error(&rec, e, classes.len()),
            },
            error_json: Some(error_json(&rec, e)),
            actors: 0,
            text_bytes: 0,
        },
    }
}

/// How many batches the writer has written, for the reader to wait on; or that it stopped.
#[derive(Default)]
struct Gate {
    state: std::sync::Mutex<(usize, bool)>,
    changed: std::sync::Condvar,
}

impl Gate {
    /// Waits until batch `seq` may be read (fewer than `window` batches in flight); false when
    /// the writer has stopped.
    fn wait_for(&self, seq: usize, window: usize) -> bool {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        while !s.1 && seq >= s.0 + window {
            s = self.changed.wait(s).unwrap_or_else(|e| e.into_inner());
        }
        !s.1
    }

    fn written(&self, n: usize) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).0 = n;
        self.changed.notify_all();
    }

    fn stop(&self) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).1 = true;
        self.changed.notify_all();
    }
}

/// One scored (or failed) record, ready to write.
struct Outcome {
    line: String,
    /// The error record as JSON, for a record that failed.
    error_json: Option<String>,
    actors: usize,
    text_bytes: usize,
}

#[derive(Default)]
struct Counts {
    ok: usize,
    errors: usize,
    actors: usize,
    bytes: usize,
    aborted: bool,
}

/// A progress bar on stderr (hidden when stderr is not a terminal, or with --quiet): bytes
/// read, MB/s, articles and errors so far, and the time left when the input size is known.
fn progress_bar(inputs: &[String], quiet: bool) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if quiet || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let size = |p: &str| -> Option<u64> {
        let path = std::path::Path::new(p);
        if p == "-" || p.ends_with(".gz") {
            return None;
        }
        if path.is_dir() {
            let entries = std::fs::read_dir(path).ok()?;
            return Some(
                entries
                    .filter_map(|e| e.ok()?.metadata().ok())
                    .map(|m| m.len())
                    .sum(),
            );
        }
        std::fs::metadata(path).ok().map(|m| m.len())
    };
    let total: Option<u64> = inputs.iter().map(|p| size(p)).sum();
    let bar = match total {
        Some(t) => indicatif::ProgressBar::new(t).with_style(
            indicatif::ProgressStyle::with_template(
                "{bar:30} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} eta {eta}  {msg}",
            )
            .expect("valid template"),
        ),
        None => indicatif::ProgressBar::new_spinner().with_style(
            indicatif::ProgressStyle::with_template("{spinner} {binary_bytes} {binary_bytes_per_sec}  {msg}")
                .expect("valid template"),
        ),
    };
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

fn error_json(rec: &Record, e: &stance::Error) -> String {
    serde_json::json!({
        "id": rec.id,
        "file": rec.file,
        "line": rec.line,
        "error": e.to_string(),
    })
    .to_string()
}

fn csv_header(classes: &[String]) -> String {
    let mut h: Vec<String> = [
        "id",
        "source",
        "date",
        "sentiment",
        "sentiment_score",
        "actor",
        "mentions",
        "label",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    h.extend(classes.iter().map(|c| format!("p_{c}")));
    h.push("score".into());
    h.push("error".into());
    csv_line(&h)
}

fn csv_line(fields: &[String]) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    w.write_record(fields).expect("writing to memory");
    let mut s = String::from_utf8(w.into_inner().expect("flush to memory")).expect("utf-8");
    s.pop();
    s
}

fn num(x: Option<f64>) -> String {
    x.map_or(String::new(), |v| format!("{v:.6}"))
}

/// The CSV rows of one article: one per actor, or one with no actor when it names none.
fn csv_rows(s: &ArticleScore, classes: &[String]) -> String {
    let base = [
        s.id.clone(),
        s.source.clone().unwrap_or_default(),
        s.date.clone().unwrap_or_default(),
        s.sentiment
            .as_ref()
            .map(|x| x.label.clone())
            .unwrap_or_default(),
        num(s.sentiment.as_ref().and_then(|x| x.score)),
    ];
    if s.actors.is_empty() {
        let mut r: Vec<String> = base.to_vec();
        r.extend(std::iter::repeat_n(String::new(), 3 + classes.len() + 2));
        return csv_line(&r);
    }
    s.actors
        .iter()
        .map(|a| {
            let mut r: Vec<String> = base.to_vec();
            r.push(a.actor.clone());
            r.push(a.mentions.to_string());
            r.push(a.label.clone());
            r.extend(classes.iter().map(|c| num(a.probabilities.get(c).copied())));
            r.push(num(a.score));
            r.push(String::new());
            csv_line(&r)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn csv_error(rec: &Record, e: &stance::Error, k: usize) -> String {
    let mut r = vec![String::new(); 8 + k + 1];
    r[0] = rec.id.clone().unwrap_or_default();
    // The message names the file and line, so the row locates itself even without an id.
    let msg = e.to_string();
    r.push(if msg.starts_with(&rec.file) {
        msg
    } else {
        format!("{}:{}: {msg}", rec.file, rec.line)
    });
    csv_line(&r)
}
