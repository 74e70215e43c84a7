//! Agreement between the two labeling passes of `data/`: Cohen's kappa for stance (per article
//! and actor) and sentiment (per article), the table of where they disagreed, and the
//! disagreements themselves as JSON Lines (for adjudication).
//!
//! cargo run --example agreement -- data/agreement/first_pass.jsonl data/agreement/second_pass.jsonl [disagreements.jsonl]

use serde_json::Value;
use stance::metrics::{cohen_kappa, Confusion};
use std::collections::BTreeMap;
use std::io::Write;

type Labels = BTreeMap<String, (BTreeMap<String, String>, Option<String>)>;

fn read(path: &str) -> Labels {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut out = Labels::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let v: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{path}:{}: {e}", i + 1));
        let id = v["id"].as_str().expect("id").to_string();
        let stance = v["stance"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, l)| (k.clone(), l.as_str().unwrap_or("").to_string()))
                    .collect()
            })
            .unwrap_or_default();
        let sentiment = v["sentiment"].as_str().map(str::to_string);
        out.insert(id, (stance, sentiment));
    }
    out
}

fn confusion(pairs: &[(&str, &str)]) -> Confusion {
    let mut classes: Vec<String> = pairs
        .iter()
        .flat_map(|(a, b)| [a.to_string(), b.to_string()])
        .collect();
    classes.sort();
    classes.dedup();
    let idx = |l: &str| classes.iter().position(|c| c == l).expect("label");
    let t: Vec<usize> = pairs.iter().map(|(a, _)| idx(a)).collect();
    let p: Vec<usize> = pairs.iter().map(|(_, b)| idx(b)).collect();
    Confusion::from_pairs(classes.clone(), &t, &p)
}

fn show(name: &str, pairs: &[(&str, &str)]) {
    let a: Vec<&str> = pairs.iter().map(|p| p.0).collect();
    let b: Vec<&str> = pairs.iter().map(|p| p.1).collect();
    let agree = pairs.iter().filter(|(x, y)| x == y).count();
    println!(
        "{name}: {} pairs, raw agreement {:.3}, Cohen's kappa {:.3}",
        pairs.len(),
        agree as f64 / pairs.len() as f64,
        cohen_kappa(&a, &b)
    );
    let c = confusion(pairs);
    println!("  rows: first pass, columns: second pass");
    print!("  {:>10}", "");
    for l in &c.classes {
        print!(" {l:>9}");
    }
    println!();
    for (i, l) in c.classes.iter().enumerate() {
        print!("  {l:>10}");
        for n in &c.counts[i] {
            print!(" {n:>9}");
        }
        println!();
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 {
        eprintln!("usage: agreement FIRST.jsonl SECOND.jsonl [DISAGREEMENTS.jsonl]");
        std::process::exit(2);
    }
    let first = read(&args[0]);
    let second = read(&args[1]);
    let mut stance_pairs = Vec::new();
    let mut sentiment_pairs = Vec::new();
    let mut disagreements = Vec::new();
    for (id, (s2, t2)) in &second {
        let Some((s1, t1)) = first.get(id) else {
            eprintln!("{id}: in the second pass but not the first");
            continue;
        };
        for (actor, l2) in s2 {
            match s1.get(actor) {
                Some(l1) => {
                    stance_pairs.push((l1.as_str(), l2.as_str()));
                    if l1 != l2 {
                        disagreements.push(serde_json::json!({"id": id, "actor": actor, "first": l1, "second": l2}));
                    }
                }
                None => eprintln!("{id}: actor {actor} labeled only in the second pass"),
            }
        }
        if let (Some(a), Some(b)) = (t1, t2) {
            sentiment_pairs.push((a.as_str(), b.as_str()));
            if a != b {
                disagreements
                    .push(serde_json::json!({"id": id, "actor": null, "first": a, "second": b}));
            }
        }
    }
    println!("articles labeled twice: {}", second.len());
    show("stance", &stance_pairs);
    show("sentiment", &sentiment_pairs);
    if let Some(path) = args.get(2) {
        let mut f = std::fs::File::create(path).expect("create disagreements file");
        for d in &disagreements {
            writeln!(f, "{d}").expect("write");
        }
        println!("{} disagreements written to {path}", disagreements.len());
    }
}
