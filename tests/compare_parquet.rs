//! `stance compare` reading Parquet: the scores of `data/` written here in the long form (one
//! row per article and actor, as `score_arrow` and the Spark recipe write it) with the parquet
//! crate's own writer, in small row groups, must give the same comparison, byte for byte, as
//! the same records in JSON Lines; as one file, as a directory of part files, and through a
//! saved summary. Bad files give errors naming the file, row and column.
#![cfg(feature = "parquet")]

mod common;
use arrow_array::{ArrayRef, Date32Array, Float64Array, Int64Array, RecordBatch, StringArray};
use common::{data_scores, stance, tmp};
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;

/// Days since 1970-01-01 of a YYYY-MM-DD date (the proleptic Gregorian calendar), for a
/// Parquet DATE column: Howard Hinnant's days_from_civil.
fn days(date: &str) -> i32 {
    let p: Vec<i64> = date.split('-').map(|x| x.parse().unwrap()).collect();
    let (y, m, d) = (if p[1] <= 2 { p[0] - 1 } else { p[0] }, p[1], p[2]);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe - 719_468) as i32
}

#[test]
fn days_from_civil_is_right() {
    assert_eq!(days("1970-01-01"), 0);
    assert_eq!(days("2000-03-01"), 11_017);
    assert_eq!(days("2023-07-04"), 19_542);
}

/// The score records of `data/` with two more fields, a desk (text) and a wave (a number,
/// written to Parquet as an integer column), and one error record; written as JSON Lines to
/// `dir/s.jsonl`. Returns the records (without the error record).
fn records(dir: &Path) -> Vec<Value> {
    let plain = std::fs::read_to_string(data_scores(dir)).unwrap();
    let mut recs: Vec<Value> = plain
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for (i, r) in recs.iter_mut().enumerate() {
        let desk = format!("{}-desk", r["source"].as_str().unwrap());
        r["fields"] = serde_json::json!({"desk": desk, "wave": (i % 3).to_string()});
    }
    let mut text: String = recs.iter().map(|r| format!("{r}\n")).collect();
    text.push_str("{\"id\":\"bad\",\"file\":\"in.jsonl\",\"line\":9,\"error\":\"empty text\"}\n");
    std::fs::write(dir.join("s.jsonl"), text).unwrap();
    recs
}

/// The long form of `recs` as one record batch, with the error row
/// at the end when `error`.
fn long_form(recs: &[Value], error: bool) -> RecordBatch {
    let labels = ["against", "favor", "neutral"];
    let senti = ["negative", "neutral", "positive"];
    let mut rows: Vec<(&Value, Option<&Value>)> = Vec::new();
    for r in recs {
        let actors = r["actors"].as_array().unwrap();
        if actors.is_empty() {
            rows.push((r, None));
        }
        rows.extend(actors.iter().map(|a| (r, Some(a))));
    }
    let text = |f: &dyn Fn(&Value, Option<&Value>) -> Option<String>| -> ArrayRef {
        let mut v: Vec<Option<String>> = rows.iter().map(|(r, a)| f(r, *a)).collect();
        if error {
            v.push(None);
        }
        Arc::new(StringArray::from(v))
    };
    let num = |f: &dyn Fn(&Value, Option<&Value>) -> Option<f64>| -> ArrayRef {
        let mut v: Vec<Option<f64>> = rows.iter().map(|(r, a)| f(r, *a)).collect();
        if error {
            v.push(None);
        }
        Arc::new(Float64Array::from(v))
    };
    let s = |v: &Value| v.as_str().map(str::to_string);
    let mut cols: Vec<(String, ArrayRef)> = vec![
        ("id".into(), text(&|r, _| s(&r["id"]))),
        ("source".into(), text(&|r, _| s(&r["source"]))),
    ];
    let mut dates: Vec<Option<i32>> = rows
        .iter()
        .map(|(r, _)| r["date"].as_str().map(days))
        .collect();
    if error {
        dates.push(None);
    }
    cols.push(("date".into(), Arc::new(Date32Array::from(dates))));
    cols.push((
        "sentiment".into(),
        text(&|r, _| s(&r["sentiment"]["label"])),
    ));
    cols.push((
        "sentiment_score".into(),
        num(&|r, _| r["sentiment"]["score"].as_f64()),
    ));
    for l in senti {
        cols.push((
            format!("p_sentiment_{l}"),
            num(&|r, _| r["sentiment"]["probabilities"][l].as_f64()),
        ));
    }
    cols.push(("actor".into(), text(&|_, a| a.and_then(|a| s(&a["actor"])))));
    let mut mentions: Vec<Option<i64>> = rows
        .iter()
        .map(|(_, a)| a.and_then(|a| a["mentions"].as_i64()))
        .collect();
    if error {
        mentions.push(None);
    }
    cols.push(("mentions".into(), Arc::new(Int64Array::from(mentions))));
    cols.push(("label".into(), text(&|_, a| a.and_then(|a| s(&a["label"])))));
    for l in labels {
        cols.push((
            format!("p_{l}"),
            num(&|_, a| a.and_then(|a| a["probabilities"][l].as_f64())),
        ));
    }
    cols.push((
        "score".into(),
        num(&|_, a| a.and_then(|a| a["score"].as_f64())),
    ));
    cols.push(("model".into(), text(&|r, _| s(&r["model"]["checksum"]))));
    let mut status: Vec<&str> = vec!["ok"; rows.len()];
    if error {
        status.push("error: in.jsonl:9: empty text");
    }
    cols.push(("status".into(), Arc::new(StringArray::from(status))));
    cols.push(("desk".into(), text(&|r, _| s(&r["fields"]["desk"]))));
    let mut wave: Vec<Option<i64>> = rows
        .iter()
        .map(|(r, _)| r["fields"]["wave"].as_str().map(|w| w.parse().unwrap()))
        .collect();
    if error {
        wave.push(None);
    }
    cols.push(("wave".into(), Arc::new(Int64Array::from(wave))));
    RecordBatch::try_from_iter(cols).unwrap()
}

/// Writes `batch` to a Parquet file in row groups of `group` rows.
fn write(path: &Path, batch: &RecordBatch, group: usize) {
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(group))
        .build();
    let file = std::fs::File::create(path).unwrap();
    let mut w = ArrowWriter::try_new(file, batch.schema(), Some(props)).unwrap();
    w.write(batch).unwrap();
    w.close().unwrap();
}

/// `stance compare ARGS --format json --bootstrap 200`: stdout and stderr.
fn compare(args: &[&str]) -> (String, String) {
    let out = stance()
        .arg("compare")
        .args(args)
        .args(["--format", "json", "--bootstrap", "200"])
        .assert()
        .success();
    let o = out.get_output();
    (
        String::from_utf8(o.stdout.clone()).unwrap(),
        String::from_utf8(o.stderr.clone()).unwrap(),
    )
}

#[test]
fn parquet_gives_the_same_comparison_as_json_lines() {
    let d = tmp();
    let recs = records(d.path());
    let jsonl = d.path().join("s.jsonl");
    let pq = d.path().join("s.parquet");
    write(&pq, &long_form(&recs, true), 50);
    // The same file under a name without the extension: found by its magic bytes.
    let unnamed = d.path().join("scores.data");
    std::fs::copy(&pq, &unnamed).unwrap();
    // A dataset as Spark writes one: part files cut mid-article, and bookkeeping files.
    let ds = d.path().join("scores-dataset");
    std::fs::create_dir(&ds).unwrap();
    let cut = 101;
    write(
        &ds.join("part-00000.parquet"),
        &long_form(&recs[..cut], false),
        64,
    );
    write(
        &ds.join("part-00001.parquet"),
        &long_form(&recs[cut..], true),
        64,
    );
    std::fs::write(ds.join("_SUCCESS"), "").unwrap();
    std::fs::write(ds.join(".part-00000.parquet.crc"), "x").unwrap();
    let paths = [&jsonl, &pq, &unnamed, &ds].map(|p| p.to_str().unwrap().to_string());
    for by in ["source", "month", "desk", "wave"] {
        let (want, want_err) = compare(&[&paths[0], "--by", by]);
        assert!(want.contains("\"rows\""), "{want}");
        assert!(
            want_err.contains("1 error records in the scores were left out"),
            "{want_err}"
        );
        for p in &paths[1..] {
            let (got, got_err) = compare(&[p, "--by", by]);
            assert_eq!(got, want, "--by {by}: {p}");
            assert_eq!(got_err, want_err, "--by {by}: {p}");
        }
    }
    // Groups above --exact-limit (binned).
    let (want, _) = compare(&[&paths[0], "--exact-limit", "5"]);
    let (got, _) = compare(&[&paths[1], "--exact-limit", "5"]);
    assert_eq!(got, want);
    // A saved summary of each part file, merged: the same bytes as the whole (exact groups
    // appended in order; with bins only the order of the sums would differ).
    let (want, _) = compare(&[&paths[0]]);
    let parts = [ds.join("part-00000.parquet"), ds.join("part-00001.parquet")];
    let mut sums = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        let s = d.path().join(format!("sum{i}.json"));
        stance()
            .args(["compare", "--save-summary"])
            .arg(&s)
            .arg(part)
            .assert()
            .success();
        sums.push(s.to_str().unwrap().to_string());
    }
    let (merged, _) = compare(&["--from-summary", &sums[0], &sums[1]]);
    assert_eq!(merged, want);
}

/// `stance compare FILE` fails; its stderr.
fn fails(file: &Path) -> String {
    let out = stance().arg("compare").arg(file).assert().failure();
    String::from_utf8(out.get_output().stderr.clone()).unwrap()
}

#[test]
fn bad_parquet_files_are_errors_naming_file_row_and_column() {
    let d = tmp();
    let recs = records(d.path());
    let good = long_form(&recs[..10], false);
    let f = d.path().join("bad.parquet");
    let name = f.display().to_string();
    let with = |col: &str, array: ArrayRef| {
        let mut cols: Vec<(String, ArrayRef)> = good
            .schema()
            .fields()
            .iter()
            .zip(good.columns())
            .map(|(fl, c)| (fl.name().clone(), c.clone()))
            .collect();
        match cols.iter_mut().find(|(n, _)| n == col) {
            Some(c) => c.1 = array,
            None => cols.push((col.to_string(), array)),
        }
        RecordBatch::try_from_iter(cols).unwrap()
    };
    let n = good.num_rows();

    // Probabilities that are no distribution, in row 7.
    let col = good.column_by_name("p_favor").unwrap();
    let mut p: Vec<Option<f64>> =
        arrow_array::cast::AsArray::as_primitive::<arrow_array::types::Float64Type>(col.as_ref())
            .iter()
            .collect();
    p[6] = p[6].map(|x| x + 0.5);
    write(&f, &with("p_favor", Arc::new(Float64Array::from(p))), 4);
    let e = fails(&f);
    assert!(
        e.contains(&format!(
            "{name}: row 7, column \"p_*\": the probabilities of actor"
        )),
        "{e}"
    );

    // A score column of text.
    let texts: Vec<&str> = vec!["0.5"; n];
    write(&f, &with("score", Arc::new(StringArray::from(texts))), 4);
    let e = fails(&f);
    assert!(
        e.contains(&format!(
            "{name}: column \"score\": expected floating-point numbers, found Utf8"
        )),
        "{e}"
    );

    // A null id in row 3.
    let mut ids: Vec<Option<String>> = (0..n).map(|i| Some(format!("x{i}"))).collect();
    ids[2] = None;
    write(&f, &with("id", Arc::new(StringArray::from(ids))), 4);
    let e = fails(&f);
    assert!(
        e.contains(&format!("{name}: row 3, column \"id\": null")),
        "{e}"
    );

    // A score out of range.
    let mut sc: Vec<Option<f64>> = vec![Some(0.1); n];
    sc[4] = Some(3.0);
    write(&f, &with("score", Arc::new(Float64Array::from(sc))), 4);
    let e = fails(&f);
    assert!(
        e.contains(&format!(
            "{name}: row 5, column \"score\": the score of actor"
        )),
        "{e}"
    );

    // No actor column: the nested layout of JSON Lines read into Spark, say.
    let nested =
        RecordBatch::try_from_iter([("id", Arc::new(StringArray::from(vec!["a"])) as ArrayRef)])
            .unwrap();
    write(&f, &nested, 4);
    let e = fails(&f);
    assert!(
        e.contains(&format!("{name}: column \"actor\" missing")) && e.contains("(columns: id)"),
        "{e}"
    );

    // A file cut short, and a directory without Parquet files.
    write(&f, &good, 4);
    let bytes = std::fs::read(&f).unwrap();
    std::fs::write(&f, &bytes[..bytes.len() / 2]).unwrap();
    let e = fails(&f);
    assert!(
        e.contains(&format!("{name}: not a readable Parquet file")),
        "{e}"
    );
    let empty = d.path().join("empty-dataset");
    std::fs::create_dir(&empty).unwrap();
    std::fs::write(empty.join("_SUCCESS"), "").unwrap();
    let e = fails(&empty);
    assert!(e.contains("a directory without Parquet files"), "{e}");
}
