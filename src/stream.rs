//! Ordered parallel scoring of a stream of records: every input record gives exactly one
//! output record (its scores, or an error record), in input order, in bounded memory.
//!
//! Three stages overlap: a reader thread cuts the input into numbered batches; worker threads
//! each take whole batches and parse, score and serialise them with their own
//! [`Scorer`](crate::Scorer) (no barrier between batches, so no worker waits for another); the
//! writer puts the batches back in input order. Memory is bounded by a gate: the reader waits
//! while `2 × threads + 2` batches are read but not yet written. A closed pipe, or reaching
//! `max_errors`, stops every stage.

use crate::corpus::{Pending, Record};
use crate::pipeline::{ScoreOptions, StanceModel};
use crate::scores::{error_json, ScoreFormat};
use std::io::Write;

/// How a stream is scored.
#[derive(Debug, Clone)]
pub struct StreamOptions {
    /// What to score in each article.
    pub score: ScoreOptions,
    /// How records are written.
    pub format: ScoreFormat,
    /// Worker threads (at least 1).
    pub threads: usize,
    /// Records per batch (at least 1).
    pub batch: usize,
    /// Stop after this many bad records.
    pub max_errors: Option<usize>,
}

/// What a stream did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamCounts {
    /// Articles scored.
    pub ok: usize,
    /// Records that failed (written as error records).
    pub errors: usize,
    /// Actor scores written.
    pub actors: usize,
    /// Bytes of article text scored.
    pub bytes: usize,
    /// Bytes of input consumed (raw records; text for records read whole).
    pub input_bytes: u64,
    /// Stopped at `max_errors`.
    pub aborted: bool,
    /// Articles by the language they look written in ([`crate::language::detect`]), where it
    /// could tell.
    pub languages: std::collections::BTreeMap<&'static str, usize>,
}

impl StreamCounts {
    /// A warning when many articles look written in another language than `model_language`
    /// (a stemmer language such as "english"): actors go unmatched and words unknown.
    pub fn language_warning(&self, model_language: &str) -> Option<String> {
        let own = crate::language::code_of(model_language)?;
        let (code, n) = self
            .languages
            .iter()
            .filter(|(c, _)| **c != own)
            .max_by_key(|(_, n)| **n)?;
        if *n * 20 < self.ok.max(1) {
            return None; // fewer than one article in twenty
        }
        let name = crate::language::language_of(code).unwrap_or(code);
        Some(format!(
            "{n} of {} articles look written in {name} ({code}), but the model is {model_language}: their words are mostly unknown to it, and actors are found only by aliases the actors file gives for {code} and only with a model trained with --language {name}",
            self.ok
        ))
    }
}

/// Where a stream's records go: the output, and optionally a separate file for error records.
pub struct Sinks<'a> {
    /// Score records (and error records, when `errors` is None).
    pub out: &'a mut (dyn Write + Send),
    /// Error records as JSON Lines.
    pub errors: Option<&'a mut (dyn Write + Send)>,
}

/// One scored (or failed) record, ready to write.
struct Outcome {
    line: String,
    /// The language the article looks written in.
    language: Option<&'static str>,
    /// The error record as JSON, for a record that failed.
    error_json: Option<String>,
    actors: usize,
    text_bytes: usize,
}

/// Scores `records` with `model`, writing each result in input order; `progress` is called
/// after every batch with the counts so far. Returns the counts, or the first write error
/// (a closed pipe among them).
pub fn score_stream(
    model: &StanceModel,
    records: impl Iterator<Item = Pending> + Send,
    sinks: Sinks<'_>,
    opts: &StreamOptions,
    progress: &(dyn Fn(&StreamCounts) + Sync),
) -> std::io::Result<StreamCounts> {
    let threads = opts.threads.max(1);
    let batch_size = opts.batch.max(1);
    let mut score_opts = opts.score.clone();
    if matches!(opts.format, ScoreFormat::Csv { .. }) {
        score_opts.evidence = 0; // a CSV row has no evidence column: do not compute it
    }
    let score_opts = &score_opts;
    let window = 2 * threads + 2;
    let gate = Gate::default();
    let (batch_tx, batch_rx) = std::sync::mpsc::sync_channel::<(usize, Vec<Pending>)>(window);
    let batch_rx = std::sync::Mutex::new(batch_rx);
    let (out_tx, out_rx) = std::sync::mpsc::sync_channel::<(usize, usize, Vec<Outcome>)>(window);
    std::thread::scope(|scope| {
        let gate = &gate;
        scope.spawn(move || {
            let mut records = records;
            for seq in 0.. {
                let batch: Vec<Pending> = records.by_ref().take(batch_size).collect();
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
            let batch_rx = &batch_rx;
            scope.spawn(move || {
                let mut scorer = model.scorer(score_opts.clone());
                loop {
                    let next = batch_rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                    let Ok((seq, pending)) = next else { break };
                    let raw: usize = pending.iter().map(|p| p.raw_len()).sum();
                    let outcomes = pending
                        .into_iter()
                        .map(|p| outcome(p.parse(), &mut scorer, &opts.format))
                        .collect();
                    if out_tx.send((seq, raw, outcomes)).is_err() {
                        break; // the writer stopped: a closed pipe, or max_errors
                    }
                }
            });
        }
        drop(out_tx);
        let result = write_in_order(&out_rx, gate, sinks, opts.max_errors, progress);
        // Whatever ended the writing, let the reader and the workers go.
        gate.stop();
        drop(out_rx);
        result
    })
}

/// The writer: puts batches back in input order and writes them.
fn write_in_order(
    out_rx: &std::sync::mpsc::Receiver<(usize, usize, Vec<Outcome>)>,
    gate: &Gate,
    sinks: Sinks<'_>,
    max_errors: Option<usize>,
    progress: &(dyn Fn(&StreamCounts) + Sync),
) -> std::io::Result<StreamCounts> {
    let Sinks { out, mut errors } = sinks;
    let mut c = StreamCounts::default();
    let mut waiting = std::collections::BTreeMap::new();
    let mut next = 0;
    'batches: for (seq, raw, outcomes) in out_rx {
        waiting.insert(seq, (raw, outcomes));
        while let Some((raw, outcomes)) = waiting.remove(&next) {
            next += 1;
            gate.written(next);
            let text: usize = outcomes.iter().map(|o| o.text_bytes).sum();
            c.input_bytes += if raw > 0 { raw } else { text } as u64;
            for o in outcomes {
                if let Some(l) = o.language {
                    *c.languages.entry(l).or_default() += 1;
                }
                if o.error_json.is_none() {
                    c.ok += 1;
                    c.actors += o.actors;
                    c.bytes += o.text_bytes;
                    out.write_all(o.line.as_bytes())?;
                    out.write_all(b"\n")?;
                    continue;
                }
                c.errors += 1;
                match (&mut errors, &o.error_json) {
                    (Some(w), Some(j)) => writeln!(w, "{j}")?,
                    _ => {
                        out.write_all(o.line.as_bytes())?;
                        out.write_all(b"\n")?;
                    }
                }
                if max_errors.is_some_and(|m| c.errors >= m) {
                    c.aborted = true;
                    break 'batches;
                }
            }
            progress(&c);
        }
    }
    out.flush()?;
    if let Some(w) = errors.as_mut() {
        w.flush()?;
    }
    Ok(c)
}

/// Parses and scores one record, and serialises the result (or the error).
fn outcome(rec: Record, scorer: &mut crate::pipeline::Scorer<'_>, format: &ScoreFormat) -> Outcome {
    match &rec.item {
        Ok(a) => {
            let mut s = scorer.score(&a.article);
            s.fields = a.extra.clone();
            Outcome {
                line: format.record(&s),
                language: crate::language::detect(&a.article.text),
                error_json: None,
                actors: s.actors.len(),
                text_bytes: a.article.text.len(),
            }
        }
        Err(e) => Outcome {
            line: format.error(&rec, e),
            language: None,
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
