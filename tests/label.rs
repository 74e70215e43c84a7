//! `stance label`: the decision file (append, resume, undo, torn lines, bad lines), the
//! bookkeeping (no article asked twice, undo after restart, double annotation, audit marks),
//! the JSON API without a network, agreement and export through the command line, and that
//! `stance train` reads a decision file as it is.

use assert_cmd::Command;
use stance::label::{self, log, server, session};
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

const ACTORS: &str = "[[actor]]\nname = \"Iran\"\naliases = [\"Tehran\"]\n\n[[actor]]\nname = \"Iraq\"\naliases = [\"Baghdad\"]\n";

fn stance_bin() -> Command {
    Command::cargo_bin("stance").unwrap()
}

/// A pool of `n` articles, each naming Iran, every third also Iraq.
fn pool(dir: &Path, n: usize) -> (PathBuf, PathBuf) {
    let data = dir.join("pool.jsonl");
    let mut s = String::new();
    let words = [
        "praised",
        "condemned",
        "talks",
        "strikes",
        "aid",
        "sanctions",
        "peace",
        "drones",
    ];
    for i in 0..n {
        let w1 = words[i % words.len()];
        let w2 = words[(i * 3 + 1) % words.len()];
        let iraq = if i % 3 == 0 {
            " Baghdad watched closely."
        } else {
            ""
        };
        s.push_str(&serde_json::to_string(&serde_json::json!({
            "id": format!("n{i:03}"),
            "source": if i % 2 == 0 { "Wire" } else { "Gazette" },
            "date": "2024-01-02",
            "title": format!("Story {i}"),
            "text": format!("Tehran was {w1} after the {w2} of day {i}.{iraq} Officials said little about {w2}."),
            "section": "world",
        })).unwrap());
        s.push('\n');
    }
    std::fs::write(&data, s).unwrap();
    let actors = dir.join("actors.toml");
    std::fs::write(&actors, ACTORS).unwrap();
    (data, actors)
}

fn options(data: &Path, actors: &Path, out: &Path) -> label::Options {
    label::Options {
        data: vec![data.display().to_string()],
        out: out.to_path_buf(),
        actors: Some(actors.to_path_buf()),
        annotator: "ana".into(),
        settings: session::Settings {
            retrain_every: 1000,
            strategy: session::Strategy::Active,
            ..session::Settings::default()
        },
        ..label::Options::default()
    }
}

/// Answers the article on `who`'s screen: every actor `label`, sentiment `negative`.
fn answer(s: &mut session::Session, who: &str, label: &str) -> (String, u64) {
    let p = s.current(who).unwrap().expect("an article to label");
    let item = s.item(p.item).clone();
    let mut a = session::Answer::default();
    for r in &item.rows {
        a.stance.insert(r.clone(), label.to_string());
    }
    a.sentiment = Some("negative".into());
    let seq = s.decide(who, p.token, a).unwrap();
    (item.record.article.id.clone(), seq)
}

#[test]
fn decisions_are_appended_resumed_and_undone_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (data, actors) = pool(dir.path(), 30);
    let out = dir.path().join("labels.jsonl");
    let opts = options(&data, &actors, &out);
    let (mut s, _) = label::open(&opts).unwrap();
    let (a1, _) = answer(&mut s, "ana", "against");
    let (a2, _) = answer(&mut s, "ana", "favor");
    let p = s.current("ana").unwrap().unwrap();
    let skipped = s.item(p.item).record.article.id.clone();
    s.decide(
        "ana",
        p.token,
        session::Answer {
            skip: true,
            ..Default::default()
        },
    )
    .unwrap();
    let (a4, seq4) = answer(&mut s, "ana", "neutral");
    let lines = std::fs::read_to_string(&out).unwrap();
    assert_eq!(
        lines.lines().count(),
        4,
        "one line per decision, on disk at once"
    );
    drop(s);

    // Restart: nothing is asked again, and undo reaches back before the restart.
    let (mut s, notes) = label::open(&opts).unwrap();
    assert!(notes.iter().any(|n| n.contains("resuming")), "{notes:?}");
    let undone = s.undo("ana").unwrap();
    assert_eq!(undone, Some(seq4));
    let p = s.current("ana").unwrap().unwrap();
    assert_eq!(
        s.item(p.item).record.article.id,
        a4,
        "the undone article comes back first"
    );
    drop(s);

    // Restart again while the undone article is unanswered: it is still the one on screen.
    let (mut s, _) = label::open(&opts).unwrap();
    let p = s.current("ana").unwrap().unwrap();
    assert_eq!(s.item(p.item).record.article.id, a4);
    let (again, _) = answer(&mut s, "ana", "against");
    assert_eq!(again, a4);
    let mut seen = HashSet::new();
    for id in [&a1, &a2, &skipped, &a4] {
        seen.insert(id.clone());
    }
    for _ in 0..10 {
        let (id, _) = answer(&mut s, "ana", "favor");
        assert!(seen.insert(id.clone()), "{id} asked twice");
    }
    drop(s);

    // The final state: a4 relabeled, the skipped one absent, 13 labeled articles.
    let resolved = log::resolve(&out).unwrap();
    assert_eq!(resolved.len(), 13);
    let r4 = resolved.iter().find(|r| r.record.article.id == a4).unwrap();
    assert_eq!(r4.record.stance[0], ("Iran".into(), "against".into()));
    assert!(resolved.iter().all(|r| r.record.article.id != skipped));
    // The input's other fields are carried.
    assert_eq!(
        r4.record.extra.get("section").map(String::as_str),
        Some("world")
    );
    // Every line says what it was.
    let (decisions, torn) = log::read(&out).unwrap();
    assert_eq!(torn, None);
    let actions: Vec<log::Action> = decisions.iter().map(|d| d.meta.action).collect();
    assert_eq!(actions[2], log::Action::Skip);
    assert_eq!(actions[4], log::Action::Undo);
    assert_eq!(decisions[4].meta.undoes, Some(seq4));
    assert!(decisions.iter().all(|d| d.meta.annotator == "ana"));
    assert!(decisions
        .iter()
        .all(|d| d.meta.time.len() == 20 && d.meta.time.ends_with('Z')));
}

#[test]
fn a_torn_last_line_is_dropped_and_a_bad_line_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let (data, actors) = pool(dir.path(), 10);
    let out = dir.path().join("labels.jsonl");
    let opts = options(&data, &actors, &out);
    let (mut s, _) = label::open(&opts).unwrap();
    answer(&mut s, "ana", "against");
    answer(&mut s, "ana", "favor");
    drop(s);
    // A crash in the middle of the third write.
    let mut bytes = std::fs::read(&out).unwrap();
    let good = bytes.len();
    bytes.extend_from_slice(br#"{"id":"n005","text":"Tehran was","label":{"seq":3,"act"#);
    std::fs::write(&out, &bytes).unwrap();
    let (s, notes) = label::open(&opts).unwrap();
    assert!(
        notes.iter().any(|n| n.contains("incomplete last line")),
        "{notes:?}"
    );
    assert_eq!(std::fs::metadata(&out).unwrap().len() as usize, good);
    assert_eq!(s.decisions.len(), 2);
    drop(s);

    // A bad line inside the file is an error with file, line and field.
    let text = std::fs::read_to_string(&out).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    lines[0] = lines[0].replace("\"action\":\"label\"", "\"action\":\"maybe\"");
    std::fs::write(&out, lines.join("\n") + "\n").unwrap();
    let err = label::open(&opts).err().expect("a bad line").to_string();
    assert!(
        err.contains("labels.jsonl:1") && err.contains("field \"label\""),
        "{err}"
    );

    // A labels file that stance label did not write says so.
    std::fs::write(&out, "{\"id\":\"x\",\"text\":\"t\",\"stance\":{}}\n").unwrap();
    let err = label::open(&opts)
        .err()
        .expect("not a decision file")
        .to_string();
    assert!(
        err.contains(":1") && err.contains("not a line written by `stance label`"),
        "{err}"
    );
}

#[test]
fn a_second_process_on_the_same_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (data, actors) = pool(dir.path(), 5);
    let out = dir.path().join("labels.jsonl");
    let opts = options(&data, &actors, &out);
    let (_s, _) = label::open(&opts).unwrap();
    let err = label::open(&opts).err().expect("locked").to_string();
    assert!(err.contains("in use by another `stance label`"), "{err}");
}

#[test]
fn double_annotation_audit_marks_and_resolution() {
    let dir = tempfile::tempdir().unwrap();
    let (data, actors) = pool(dir.path(), 40);
    let out = dir.path().join("labels.jsonl");
    let mut opts = options(&data, &actors, &out);
    opts.settings.overlap = 1.0; // every article to two annotators
    opts.settings.audit_every = 5;
    let (mut s, _) = label::open(&opts).unwrap();
    let mut ana = Vec::new();
    for _ in 0..10 {
        ana.push(answer(&mut s, "ana", "against").0);
    }
    // Bo gets ana's articles first, in the order she labeled them, disagreeing on the first two.
    let mut bo = Vec::new();
    for i in 0..10 {
        let label = if i < 2 { "favor" } else { "against" };
        bo.push(answer(&mut s, "bo", label).0);
    }
    assert_eq!(ana, bo);
    // A third annotator gets fresh articles: every article has had its two annotators.
    let (fresh, _) = answer(&mut s, "cy", "neutral");
    assert!(!ana.contains(&fresh));
    let audit_picks = s
        .decisions
        .iter()
        .filter(|d| d.meta.annotator == "ana" && d.meta.pick.audit)
        .count();
    assert_eq!(audit_picks, 2, "one audit pick in each block of five");
    let stats = s.stats("ana");
    drop(s);

    let resolved = log::resolve(&out).unwrap();
    assert_eq!(resolved.len(), 11);
    assert_eq!(stats.labeled, 11);
    let first = resolved
        .iter()
        .find(|r| r.record.article.id == ana[0])
        .unwrap();
    assert_eq!(first.annotators, vec!["ana".to_string(), "bo".to_string()]);
    assert!(first.record.stance.is_empty(), "a tie is left out");
    assert!(first.unresolved.contains(&"Iran".to_string()));
    let third = resolved
        .iter()
        .find(|r| r.record.article.id == ana[2])
        .unwrap();
    assert_eq!(third.record.stance[0].1, "against");
    assert!(third.unresolved.is_empty());
    // The audit subset is exactly the articles picked from the audit stream.
    let audit = log::audit_subset(&resolved);
    let audit_ids: Vec<&str> = audit.iter().map(|a| a.article.id.as_str()).collect();
    let (decisions, _) = log::read(&out).unwrap();
    let marked: HashSet<&str> = decisions
        .iter()
        .filter(|d| d.meta.pick.audit)
        .map(|d| d.record.article.id.as_str())
        .collect();
    assert_eq!(audit_ids.len(), marked.len());
    assert!(audit_ids.iter().all(|id| marked.contains(id)));
    assert!(resolved
        .iter()
        .all(|r| log::is_random_audit(r) == marked.contains(r.record.article.id.as_str())));
    assert_eq!(log::audit_ids(&resolved).len(), marked.len());
    assert!(log::is_decision_log(&out));
    assert!(!log::is_decision_log(&data));

    // Agreement from the command line: 10 Iran questions, ana all against, bo 8 against and 2
    // favor: p_o = 0.8, p_e = 1·0.8 = 0.8: kappa undefined (ana used one label); sentiment all
    // negative: undefined too. The observed agreement is printed.
    let o = stance_bin()
        .args(["label", "--agreement"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success());
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(
        text.contains("3 annotators") || text.contains("2 annotators"),
        "{text}"
    );
    assert!(text.contains("Cohen's kappa"), "{text}");
    assert!(text.contains("0.800"), "{text}");

    // Review walks the two disagreements; an adjudication settles one.
    let mut ropts = opts.clone();
    ropts.settings.review = true;
    ropts.data.clear();
    let (mut r, _) = label::open(&ropts).unwrap();
    let p = r.current("judge").unwrap().expect("a disagreement");
    assert_eq!(p.pick.strategy, "review");
    assert_eq!(p.prior["Iran"]["ana"], "against");
    assert_eq!(p.prior["Iran"]["bo"], "favor");
    let id = r.item(p.item).record.article.id.clone();
    let mut a = session::Answer::default();
    for row in &r.item(p.item).rows.clone() {
        a.stance.insert(row.clone(), "favor".into());
    }
    r.decide("judge", p.token, a).unwrap();
    let p2 = r
        .current("judge")
        .unwrap()
        .expect("the second disagreement");
    assert_ne!(r.item(p2.item).record.article.id, id);
    drop(r);
    let resolved = log::resolve(&out).unwrap();
    let settled = resolved.iter().find(|x| x.record.article.id == id).unwrap();
    assert!(settled.adjudicated);
    assert_eq!(settled.record.stance[0].1, "favor");
}

#[test]
fn agreement_matches_hand_computation() {
    // Two annotators, six Iran questions: ana a, a, f, f, n, n; bo a, a, f, n, n, a.
    // p_o = 4/6, p_e = (2·3 + 2·1 + 2·2)/36 = 1/3, kappa = 0.5 (as in the unit test).
    let dir = tempfile::tempdir().unwrap();
    let (data, actors) = pool(dir.path(), 6);
    let out = dir.path().join("labels.jsonl");
    let mut opts = options(&data, &actors, &out);
    opts.settings.overlap = 1.0;
    opts.settings.audit_every = 0;
    opts.sentiment_labels = Some(Vec::new());
    let (mut s, _) = label::open(&opts).unwrap();
    let ana = ["against", "against", "favor", "favor", "neutral", "neutral"];
    let bo = [
        "against", "against", "favor", "neutral", "neutral", "against",
    ];
    for (who, labels) in [("ana", ana), ("bo", bo)] {
        for l in labels {
            let p = s.current(who).unwrap().unwrap();
            let item = s.item(p.item).clone();
            let mut a = session::Answer::default();
            a.stance.insert("Iran".into(), l.into());
            if item.rows.len() > 1 {
                a.unsure.push("Iraq".into());
            }
            s.decide(who, p.token, a).unwrap();
        }
    }
    drop(s);
    let report = label::agreement(std::slice::from_ref(&out)).unwrap();
    let all = report
        .rows
        .iter()
        .find(|r| r.task == "stance" && r.by == "all")
        .unwrap();
    assert_eq!(all.agreement.n, 6);
    assert_eq!(all.agreement.method, "cohen");
    assert!((all.agreement.kappa.unwrap() - 0.5).abs() < 1e-12);
    let o = stance_bin()
        .args(["label", "--agreement"])
        .arg(&out)
        .output()
        .unwrap();
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("0.500"), "{text}");
    assert!(text.contains("actor Iran"), "{text}");
    assert!(text.contains("label favor"), "{text}");
}

#[test]
fn the_json_api_without_a_network() {
    let dir = tempfile::tempdir().unwrap();
    let (data, actors) = pool(dir.path(), 12);
    let out = dir.path().join("labels.jsonl");
    let opts = options(&data, &actors, &out);
    let (mut s, _) = label::open(&opts).unwrap();
    let page = server::handle(&mut s, "ana", "GET", "/", "");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<script>") && !page.body.contains("/*SCRIPT*/"));
    // Nothing is loaded from elsewhere (the SVG namespace is a name, not a request).
    for bad in [
        "src=\"http",
        "href=\"http",
        "url(http",
        "@import",
        "fetch(\"http",
    ] {
        assert!(!page.body.contains(bad), "{bad}");
    }
    let st = server::handle(&mut s, "ana", "GET", "/api/state", "");
    assert_eq!(st.status, 200);
    let v: serde_json::Value = serde_json::from_str(&st.body).unwrap();
    let token = v["item"]["token"].as_u64().unwrap();
    let rows = v["item"]["rows"].as_array().unwrap();
    assert_eq!(rows[0]["question"], "Iran");
    assert_eq!(rows.last().unwrap()["kind"], "sentiment");
    // The text comes back whole, in segments, with the mentions marked.
    let text: String = v["item"]["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["t"].as_str().unwrap())
        .collect();
    assert!(text.starts_with("Tehran was"));
    assert_eq!(v["item"]["segments"][0]["a"], 0);
    // A reload shows the same article.
    let again: serde_json::Value =
        serde_json::from_str(&server::handle(&mut s, "ana", "GET", "/api/state", "").body).unwrap();
    assert_eq!(again["item"]["token"], token);
    // Bad requests are refused with a reason, and nothing is written.
    let bad = server::handle(&mut s, "ana", "POST", "/api/decide", "{not json");
    assert_eq!(bad.status, 400);
    let bad = server::handle(
        &mut s,
        "ana",
        "POST",
        "/api/decide",
        &format!(r#"{{"token":{token},"stance":{{"Iran":"hostile"}}}}"#),
    );
    assert_eq!(bad.status, 409);
    assert!(bad.body.contains("not a stance label"), "{}", bad.body);
    let bad = server::handle(
        &mut s,
        "ana",
        "POST",
        "/api/decide",
        &format!(r#"{{"token":{token},"stance":{{"Hamas":"favor"}}}}"#),
    );
    assert_eq!(bad.status, 409);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "");
    let body = format!(
        r#"{{"token":{token},"stance":{{"Iran":"against"}},"sentiment":"negative","unsure":[]}}"#
    );
    let ok = server::handle(&mut s, "ana", "POST", "/api/decide", &body);
    assert_eq!(ok.status, 200, "{}", ok.body);
    let v: serde_json::Value = serde_json::from_str(&ok.body).unwrap();
    assert_eq!(v["saved"], 1);
    assert_eq!(v["stats"]["labeled"], 1);
    // The same token again (a double key press) is refused.
    let twice = server::handle(&mut s, "ana", "POST", "/api/decide", &body);
    assert_eq!(twice.status, 409);
    let undo = server::handle(&mut s, "ana", "POST", "/api/undo", "");
    let v: serde_json::Value = serde_json::from_str(&undo.body).unwrap();
    assert_eq!(v["undone"], 1);
    assert_eq!(v["stats"]["labeled"], 0);
    let other = server::handle(&mut s, "ana", "GET", "/api/state?annotator=bo%20b", "");
    let v: serde_json::Value = serde_json::from_str(&other.body).unwrap();
    assert_eq!(v["stats"]["annotator"], "bo b");
    assert_eq!(
        server::handle(&mut s, "ana", "GET", "/api/state?annotator=", "").status,
        400
    );
    assert_eq!(
        server::handle(&mut s, "ana", "GET", "/nope", "").status,
        404
    );
    assert_eq!(
        server::handle(&mut s, "ana", "DELETE", "/api/undo", "").status,
        405
    );
}

/// Labels `n` articles of data/ with their own labels (the gold standard) in a session.
fn label_from_gold(out: &Path, n: usize, every: u64) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let gold: BTreeMap<String, serde_json::Value> =
        std::fs::read_to_string(root.join("data/articles.jsonl"))
            .unwrap()
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                (v["id"].as_str().unwrap().to_string(), v)
            })
            .collect();
    let opts = label::Options {
        data: vec![root.join("data/articles.jsonl").display().to_string()],
        out: out.to_path_buf(),
        actors: Some(root.join("data/actors.toml")),
        annotator: "ana".into(),
        settings: session::Settings {
            retrain_every: every as usize,
            strategy: session::Strategy::Active,
            ..session::Settings::default()
        },
        ..label::Options::default()
    };
    let (mut s, _) = label::open(&opts).unwrap();
    for _ in 0..n {
        let p = s.current("ana").unwrap().unwrap();
        let item = s.item(p.item).clone();
        let g = &gold[&item.record.article.id];
        let mut a = session::Answer::default();
        for r in &item.rows {
            match g["stance"][r].as_str() {
                Some(l) => {
                    a.stance.insert(r.clone(), l.into());
                }
                None => a.unsure.push(r.clone()),
            }
        }
        a.sentiment = g["sentiment"].as_str().map(String::from);
        s.decide("ana", p.token, a).unwrap();
        if let Some(job) = s.due(true) {
            let l = job.labeled.len();
            let r = session::retrain(job);
            s.finish(r, l);
        }
    }
    let st = s.stats("ana");
    assert!(st.round.is_some(), "a model was trained on the way");
    assert!(st.audit_f1.is_some(), "the audit labels were scored");
    assert!(
        st.changed.is_some(),
        "the change between models was measured"
    );
    assert!(
        s.decisions.iter().any(|d| d.meta.pick.strategy == "margin"),
        "margin sampling took over after the cold start"
    );
    assert!(s
        .decisions
        .iter()
        .any(|d| d.meta.pick.strategy == "diverse"));
    assert!(s.decisions.iter().any(|d| d.meta.model.is_some()));
}

#[test]
fn stance_train_reads_a_decision_file_as_it_is_and_export_gives_the_final_state() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("labels.jsonl");
    label_from_gold(&out, 60, 10);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let model = dir.path().join("m.json");
    let o = stance_bin()
        .args(["train", "--data"])
        .arg(&out)
        .arg("--actors")
        .arg(root.join("data/actors.toml"))
        .args(["--folds", "3", "--out"])
        .arg(&model)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.starts_with("trained on 60 articles"), "{text}");
    // Export: one record per article; --audit-only the random ones.
    let o = stance_bin()
        .args(["label", "--export"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success());
    let all = String::from_utf8(o.stdout).unwrap();
    assert_eq!(all.lines().count(), 60);
    let o = stance_bin()
        .args(["label", "--audit-only", "--export"])
        .arg(&out)
        .output()
        .unwrap();
    let audit = String::from_utf8(o.stdout).unwrap();
    assert_eq!(audit.lines().count(), 12, "one in five of 60");
    for l in audit.lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        assert_eq!(v["label"]["audit"], true);
    }
    // The exported file trains too.
    let exported = dir.path().join("final.jsonl");
    std::fs::write(&exported, &all).unwrap();
    let o = stance_bin()
        .args(["train", "--no-cv", "--data"])
        .arg(&exported)
        .arg("--actors")
        .arg(root.join("data/actors.toml"))
        .arg("--out")
        .arg(dir.path().join("m2.json"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn simulation_is_deterministic_and_scores_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("data/articles.jsonl")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let gold = dir.path().join("gold.jsonl");
    let test = dir.path().join("test.jsonl");
    std::fs::write(&gold, lines[..150].join("\n") + "\n").unwrap();
    std::fs::write(&test, lines[150..].join("\n") + "\n").unwrap();
    let run = |strategy: &str| {
        let o = stance_bin()
            .args(["label", "--simulate-from"])
            .arg(&gold)
            .arg("--test")
            .arg(&test)
            .arg("--actors")
            .arg(root.join("data/actors.toml"))
            .args([
                "--budget",
                "40",
                "--checkpoints",
                "20,40",
                "--strategy",
                strategy,
            ])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).unwrap()
    };
    let a = run("active");
    let cps: Vec<serde_json::Value> = a
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(cps.len(), 2);
    assert_eq!(cps[0]["labels"], 20);
    assert_eq!(cps[1]["labels"], 40);
    assert_eq!(cps[1]["audit"], 8);
    let f1 = cps[1]["test_macro_f1"].as_f64().unwrap();
    assert!(f1 > 0.2 && f1 <= 1.0, "{f1}");
    let strip = |s: &str| -> Vec<serde_json::Value> {
        s.lines()
            .map(|l| {
                let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
                v.as_object_mut().unwrap().remove("seconds");
                v
            })
            .collect()
    };
    assert_eq!(strip(&a), strip(&run("active")), "same seed, same run");
    let r = run("random");
    let cps: Vec<serde_json::Value> = r
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(cps[1]["audit"], 40, "random picks are all representative");
}

#[test]
fn usage_errors_name_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let (data, _) = pool(dir.path(), 3);
    let o = stance_bin()
        .args(["label", "--data"])
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--out FILE is needed"));
    let o = stance_bin()
        .args(["label", "--data"])
        .arg(&data)
        .arg("--out")
        .arg(dir.path().join("l.jsonl"))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&o.stderr).contains("--actors FILE"));
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"id\":\"a\",\"text\":\"Tehran\"}\n{\"id\":\"b\",\"text\":3}\n",
    )
    .unwrap();
    let o = stance_bin()
        .args(["label", "--data"])
        .arg(&bad)
        .arg("--actors")
        .arg(dir.path().join("actors.toml"))
        .arg("--out")
        .arg(dir.path().join("l2.jsonl"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("bad.jsonl:2") && err.contains("field \"text\""),
        "{err}"
    );
    let o = stance_bin()
        .args(["label", "--overlap", "2", "--out", "x"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let o = stance_bin()
        .args(["label", "--agreement"])
        .arg(dir.path().join("missing.jsonl"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("missing.jsonl"));
}
