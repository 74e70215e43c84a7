//! One model per actor (`--separate-actors N`): where the shared model cannot tell two actors'
//! words apart, separate word weights can; an actor below N labels, or one added when scoring,
//! falls back to the shared weights; the setting survives the model file and its command line.

mod common;
use common::{stance, tmp};
use std::path::{Path, PathBuf};

/// 24 one-sentence texts, 12 per actor: "good" means favor for Alpha and against for Beta,
/// "bad" the reverse, each word the same number of times per label. Every feature a shared
/// model sees ("good", "look good", the marker) then occurs equally often with both labels.
fn flip_csv() -> String {
    let fill = [
        "today",
        "this week",
        "in the talks",
        "at the summit",
        "on Monday",
        "again",
    ];
    let mut csv = String::from("id,text,actor,stance\n");
    for (k, (actor, good, bad)) in [("Alpha", "favor", "against"), ("Beta", "against", "favor")]
        .into_iter()
        .enumerate()
    {
        for j in 0..12 {
            let (w, l) = if j % 2 == 0 {
                ("good", good)
            } else {
                ("bad", bad)
            };
            csv.push_str(&format!(
                "d{},\"{actor} looked {w} {}.\",{actor},{l}\n",
                k * 12 + j,
                fill[j % 6]
            ));
        }
    }
    csv
}

fn train(dir: &Path, name: &str, flags: &[&str]) -> PathBuf {
    let data = dir.join("flip.csv");
    std::fs::write(&data, flip_csv()).unwrap();
    let m = dir.join(name);
    stance()
        .args(["train", "--no-cv", "-q", "--data"])
        .arg(&data)
        .args(flags)
        .arg("--out")
        .arg(&m)
        .assert()
        .success();
    m
}

/// P(favor) of each actor of each text, as `stance score` gives it with `actors` known.
fn favor(dir: &Path, model: &Path, texts: &[&str]) -> Vec<(String, f64)> {
    let actors = dir.join("abg.toml");
    std::fs::write(
        &actors,
        "[[actor]]\nname = \"Alpha\"\n[[actor]]\nname = \"Beta\"\n[[actor]]\nname = \"Gamma\"\n",
    )
    .unwrap();
    let input = dir.join("t.jsonl");
    let lines: Vec<String> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| serde_json::json!({"id": format!("t{i}"), "text": t}).to_string())
        .collect();
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let out = stance()
        .args(["score", "--evidence", "0", "--model"])
        .arg(model)
        .arg("--actors")
        .arg(&actors)
        .arg(&input)
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    text.lines()
        .flat_map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["actors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| {
                    (
                        a["actor"].as_str().unwrap().to_string(),
                        a["probabilities"]["favor"].as_f64().unwrap(),
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn separate_weights_flip_a_word_by_actor_where_shared_weights_cannot() {
    let d = tmp();
    let texts = [
        "Alpha looked good.",
        "Beta looked good.",
        "Alpha looked bad.",
        "Gamma looked good.",
    ];
    // Shared weights: every feature is balanced between the labels, so the fit stays at zero
    // and every probability is exactly 1/2 (balanced class weights, a zero intercept).
    let shared = favor(d.path(), &train(d.path(), "shared.json", &[]), &texts);
    for (a, p) in &shared {
        assert_eq!(*p, 0.5, "{a}");
    }
    // One model per actor: "good" is Alpha's favor word and Beta's against word.
    let sep = train(d.path(), "sep.json", &["--separate-actors", "12"]);
    let p = favor(d.path(), &sep, &texts);
    let names: Vec<&str> = p.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(names, ["Alpha", "Beta", "Alpha", "Gamma"]);
    assert!(p[0].1 > 0.6, "{p:?}");
    assert!(p[1].1 < 0.4, "{p:?}");
    assert!(p[2].1 < 0.4, "{p:?}");
    // The two actors' problems are mirror images: Beta's "good" is Alpha's "bad".
    assert!((p[1].1 - p[2].1).abs() < 1e-9, "{p:?}");
    assert!((p[0].1 + p[1].1 - 1.0).abs() < 1e-9, "{p:?}");
    // Gamma, added when scoring, has no copies and no prior, and there are no shared
    // unigrams (both trained actors are separate): the shared rest (bigrams, marker) is
    // balanced, so it gets the intercept only.
    assert_eq!(p[3].1, 0.5, "{p:?}");
    // The file records the setting and the separate actors, and reads back to the same
    // scores; the winner's command line names it.
    let json = std::fs::read_to_string(&sep).unwrap();
    assert!(json.contains("\"separate_actors\":12"), "setting missing");
    assert!(
        json.contains("\"separate\":[\"Alpha\",\"Beta\"]"),
        "list missing"
    );
    assert!(json.contains("\"@__actor__Alpha|good\""));
    assert!(
        !json.contains("\"good\","),
        "a separate actor's words are not shared"
    );
    // Above the label count no actor is separate: the shared model again, with no copies.
    let none = train(d.path(), "none.json", &["--separate-actors", "13"]);
    assert_eq!(favor(d.path(), &none, &texts), shared);
    let json = std::fs::read_to_string(&none).unwrap();
    assert!(!json.contains("\"separate\":"), "an empty list is left out");
    assert!(!json.contains("@__actor__"), "pooled actors get no copies");
}

#[test]
fn the_shipped_models_file_and_old_flags_are_unchanged() {
    // The shipped model was trained without the setting: nothing of it is in its file.
    let shipped = std::fs::read_to_string("models/default.json").unwrap();
    assert!(!shipped.contains("separate"));
    let d = tmp();
    // `--per-actor` keeps its meaning: shared words and per-actor copies.
    let m = train(d.path(), "pa.json", &["--per-actor"]);
    let json = std::fs::read_to_string(&m).unwrap();
    assert!(json.contains("\"per_actor\":true") && !json.contains("separate"));
    assert!(json.contains("\"good\",") && json.contains("\"@__actor__Alpha|good\""));
    // Without a number the least count is 10 (both actors have 12).
    let m = train(d.path(), "ten.json", &["--separate-actors"]);
    let json = std::fs::read_to_string(&m).unwrap();
    assert!(json.contains("\"separate_actors\":10") && json.contains("\"per_actor\":true"));
    // 0 and --no-actor-prior are refused with the setting named.
    let data = d.path().join("flip.csv");
    for (flags, want) in [
        (
            vec!["--separate-actors", "0"],
            "at least 1 training document",
        ),
        (
            vec!["--separate-actors", "3", "--no-actor-prior"],
            "need the actor prior",
        ),
    ] {
        let out = stance()
            .args(["train", "--no-cv", "-q", "--data"])
            .arg(&data)
            .args(&flags)
            .arg("--out")
            .arg(d.path().join("x.json"))
            .assert()
            .failure();
        let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
        assert!(err.contains(want), "{flags:?}: {err}");
    }
}
