//! `--tokens social`: saved in the model, hashtag features under their escaped names, scoring
//! after a round trip through the file, and `train --auto` offering it only to tagged texts.

mod common;
use common::stance;
use std::path::Path;

fn train(dir: &Path, name: &str, extra: &[&str]) -> serde_json::Value {
    let m = dir.join(name);
    let mut args = vec![
        "train",
        "--data",
        "data/social/posts.jsonl",
        "--actors",
        "data/social/actors.toml",
        "--out",
        m.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    stance().args(&args).assert().success();
    serde_json::from_str(&std::fs::read_to_string(&m).unwrap()).unwrap()
}

/// Every feature name of the model's stance featurizer.
fn feature_names(model: &serde_json::Value) -> Vec<String> {
    let text = model.to_string();
    // The names are the only strings of the featurizer's "features" arrays; collect them all.
    let mut out = Vec::new();
    fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m {
                    if k == "features" {
                        if let Some(a) = x.as_array() {
                            out.extend(a.iter().filter_map(|s| s.as_str().map(String::from)));
                        }
                    }
                    walk(x, out);
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    walk(model, &mut out);
    assert!(
        !out.is_empty(),
        "no features in {}",
        &text[..200.min(text.len())]
    );
    out
}

#[test]
fn social_models_save_the_tokenizer_and_keep_hashtags_as_features() {
    let d = tempfile::tempdir().unwrap();
    let social = train(d.path(), "social.json", &["--tokens", "social"]);
    let plain = train(d.path(), "plain.json", &[]);
    assert!(social.to_string().contains(r#""tokens":"social""#));
    assert!(!plain.to_string().contains(r#""tokens""#));
    let names = feature_names(&social);
    // The whole tag (escaped: `#` starts a character n-gram's name), its pieces, the shared
    // tokens and an emoji; none of them in the default tokenizer's model.
    for n in [
        r"\#standwithukrain",
        r"\#freepalestin",
        r"\<url>",
        r"\<user>",
        "🇺🇦",
    ] {
        let found = names.iter().any(|x| x.starts_with(n));
        assert!(found, "{n} missing");
    }
    assert!(names.iter().any(|x| x == r"\#standwithukraine"));
    let plain_names = feature_names(&plain);
    assert!(plain_names.iter().any(|x| x == "standwithukrain"));
    assert!(!plain_names.iter().any(|x| x.starts_with('\\')));
}

#[test]
fn a_social_model_scores_the_tags_it_learned_after_loading() {
    let d = tempfile::tempdir().unwrap();
    train(d.path(), "social.json", &["--tokens", "social"]);
    let m = d.path().join("social.json");
    let input = d.path().join("in.jsonl");
    std::fs::write(
        &input,
        "{\"id\":\"x\",\"text\":\"#StandWithUkraine 💙💛\"}\n{\"id\":\"y\",\"text\":\"Endless cash for a corrupt government. #EndUkraineAid\"}\n",
    )
    .unwrap();
    let out = stance()
        .args([
            "score",
            "--model",
            m.to_str().unwrap(),
            "--actor",
            "Ukraine",
        ])
        .arg(&input)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let label = |v: &serde_json::Value| {
        v["actors"][0]["label"]
            .as_str()
            .unwrap_or_else(|| panic!("no label in {v}"))
            .to_string()
    };
    assert_eq!(label(&lines[0]), "favor");
    assert_eq!(label(&lines[1]), "against");
}
