//! CSV without the 64 KB input cap: the input describes a stream — a header, then a pattern
//! repeated up to 4 MB — that is generated as it is read and streamed through the CSV reader
//! (`stance::corpus::open_stream`) with a small `--max-bytes`. Every record must come out as
//! an article or an error, in line order, and the reader's memory must stay bounded by
//! `--max-bytes`, not by the stream (counted by a counting allocator).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::io::{BufReader, Read};
use std::sync::atomic::{AtomicIsize, Ordering};

struct Counting;
static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call goes to the system allocator unchanged; only counted.
unsafe impl std::alloc::GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: std::alloc::Layout) -> *mut u8 {
        let now = LIVE.fetch_add(l.size() as isize, Ordering::Relaxed) + l.size() as isize;
        PEAK.fetch_max(now, Ordering::Relaxed);
        unsafe { std::alloc::System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: std::alloc::Layout) {
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        unsafe { std::alloc::System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: std::alloc::Layout, new: usize) -> *mut u8 {
        let now = LIVE.fetch_add(new as isize - l.size() as isize, Ordering::Relaxed)
            + new as isize
            - l.size() as isize;
        PEAK.fetch_max(now, Ordering::Relaxed);
        unsafe { std::alloc::System.realloc(p, l, new) }
    }
}

#[global_allocator]
static A: Counting = Counting;

/// `head`, then `pattern` `times` times, then `tail`, made as it is read.
struct Stream {
    parts: [Vec<u8>; 3],
    times: usize,
    part: usize,
    at: usize,
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            if self.part > 2 {
                return Ok(0);
            }
            let p = &self.parts[self.part];
            if self.at < p.len() {
                let n = buf.len().min(p.len() - self.at);
                buf[..n].copy_from_slice(&p[self.at..self.at + n]);
                self.at += n;
                return Ok(n);
            }
            self.at = 0;
            if self.part == 1 && self.times > 1 {
                self.times -= 1;
            } else {
                self.part += 1;
            }
        }
    }
}

const LIMIT: usize = 4 << 20;

fuzz_target!(|data: &[u8]| {
    // [cap, reps hi, reps lo, header…, 0xFF, pattern…, 0xFF, tail…]
    if data.len() < 3 {
        return;
    }
    let max_bytes = 16usize << (data[0] % 12); // 16 B to 32 KB
    let reps = u16::from_be_bytes([data[1], data[2]]) as usize;
    let mut pieces = data[3..].splitn(3, |&b| b == 0xFF);
    let head = pieces.next().unwrap_or_default().to_vec();
    let pattern = pieces.next().unwrap_or_default().to_vec();
    let tail = pieces.next().unwrap_or_default().to_vec();
    let times = if pattern.is_empty() {
        1
    } else {
        reps.clamp(1, LIMIT / pattern.len().max(1))
    };
    let stream = Stream {
        parts: [head, pattern, tail],
        times,
        part: 0,
        at: 0,
    };
    let opts = stance::corpus::ReadOptions {
        max_bytes,
        format: Some(stance::corpus::InputFormat::Csv),
        ..Default::default()
    };
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let records = stance::corpus::open_stream(
        "fuzz.csv",
        Box::new(BufReader::with_capacity(1 << 16, stream)),
        stance::corpus::InputFormat::Csv,
        &opts,
    );
    let mut last_line = 0;
    for r in records {
        let r = r.parse();
        assert!(r.line > last_line, "line {} after line {last_line}", r.line);
        last_line = r.line;
        if let Ok(a) = r.item {
            assert!(
                !a.article.text.trim().is_empty(),
                "an empty text was accepted"
            );
            assert!(a.article.text.len() <= max_bytes, "a text over --max-bytes");
        }
    }
    // The parser's buffers, a record and its copies: a few times --max-bytes, plus the
    // 64 KB stream buffer and the parser's 8 KB one; never the stream's length.
    let peak = PEAK.load(Ordering::Relaxed) - base;
    assert!(
        peak < (12 * max_bytes + (1 << 20)) as isize,
        "{peak} bytes held for --max-bytes {max_bytes}"
    );
});
