//! Scoring many records at once: the records are cut into chunks that run on a rayon thread
//! pool (the model's own when it was loaded with `threads=N`, else rayon's global pool), each
//! chunk with a scratch space taken from the model's pool of them (the stem cache in a scratch
//! is what makes scoring fast, so it is kept from call to call), and the chunks' results come
//! back in input order.

use crate::backend::{self, Failure, Model, Reader, ScoreOptions, Scratch};
use rayon::prelude::*;
use std::ops::Range;
use std::sync::Mutex;

/// One record's result.
pub enum Outcome {
    Scored(backend::ArticleScore),
    Failed {
        id: Option<String>,
        failure: Failure,
    },
}

pub struct Engine {
    pub model: Model,
    pub name: String,
    pool: Option<rayon::ThreadPool>,
    scratches: Mutex<Vec<Scratch>>,
}

impl Engine {
    pub fn new(model: Model, name: String, threads: Option<usize>) -> Result<Engine, String> {
        let pool = match threads {
            None => None,
            Some(0) => return Err("threads must be at least 1".into()),
            Some(n) => Some(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(n)
                    .thread_name(|i| format!("stance-{i}"))
                    .build()
                    .map_err(|e| format!("cannot start {n} threads: {e}"))?,
            ),
        };
        Ok(Engine {
            model,
            name,
            pool,
            scratches: Mutex::new(Vec::new()),
        })
    }

    pub fn threads(&self) -> usize {
        self.pool
            .as_ref()
            .map_or_else(rayon::current_num_threads, |p| p.current_num_threads())
    }

    fn take_scratch(&self) -> Scratch {
        self.scratches
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop()
            .unwrap_or_default()
    }

    fn give_back(&self, s: Scratch) {
        self.scratches
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(s);
    }

    /// Runs `work` on chunks of `0..n` in parallel, each with a scratch; the results in order.
    pub fn chunks<R, F>(&self, n: usize, work: F) -> Vec<R>
    where
        R: Send,
        F: Fn(Range<usize>, &mut Scratch) -> R + Sync,
    {
        let threads = self.threads().max(1);
        // Small enough for the threads to share the work evenly, large enough that taking a
        // scratch and building a chunk's arrays cost nothing next to scoring it.
        let size = (n / (threads * 8)).clamp(1, 256);
        let ranges: Vec<Range<usize>> =
            (0..n).step_by(size).map(|s| s..(s + size).min(n)).collect();
        let run = || {
            ranges
                .into_par_iter()
                .map(|r| {
                    let mut scratch = self.take_scratch();
                    let out = work(r, &mut scratch);
                    self.give_back(scratch);
                    out
                })
                .collect()
        };
        match &self.pool {
            Some(p) => p.install(run),
            None => run(),
        }
    }

    /// Reads and scores one record given as JSON bytes.
    pub fn outcome(
        &self,
        reader: &Reader,
        json: Vec<u8>,
        index: usize,
        opts: &ScoreOptions,
        scratch: &mut Scratch,
    ) -> Outcome {
        match reader.read(json, index) {
            (_, Ok(parsed)) => Outcome::Scored(backend::score(&self.model, parsed, opts, scratch)),
            (id, Err(failure)) => Outcome::Failed { id, failure },
        }
    }
}
