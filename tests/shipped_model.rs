//! The shipped model `models/default.json` is what the README's training command produces from
//! `data/`, byte for byte (training is deterministic: seeded folds, zero start, fixed-order sums).

use assert_cmd::Command;

/// The training command of the README, without the binary name.
const TRAIN: &str =
    "train --data data/articles.jsonl --actors data/actors.toml --out models/default.json";

#[test]
fn readme_shows_the_training_command() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    assert!(
        readme.contains(&format!("stance {TRAIN}")),
        "README.md must show `stance {TRAIN}`"
    );
}

#[test]
fn shipped_model_is_reproduced_by_the_training_command() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("default.json");
    let args: Vec<String> = TRAIN
        .split(' ')
        .map(|a| {
            if a == "models/default.json" {
                out.display().to_string()
            } else {
                a.to_string()
            }
        })
        .collect();
    Command::cargo_bin("stance")
        .unwrap()
        .args(&args)
        .arg("-q")
        .assert()
        .success();
    let fresh = std::fs::read(&out).unwrap();
    let shipped = std::fs::read("models/default.json").unwrap();
    assert!(
        fresh == shipped,
        "models/default.json differs from what `stance {TRAIN}` produces now: retrain it with that command"
    );
}

#[test]
fn shipped_model_loads_and_describes_its_training() {
    let m = stance::StanceModel::load(std::path::Path::new("models/default.json")).unwrap();
    assert_eq!(m.stance.classes(), vec!["against", "favor", "neutral"]);
    assert!(stance::classifier::Classify::report(&m.stance.classifier).converged);
    assert!(
        m.info.cv.is_some(),
        "the shipped model carries its cross-validation summary"
    );
    assert_eq!(m.info.data_hash.len(), 64);
}

#[test]
fn built_in_model_is_the_shipped_file() {
    let shipped = std::fs::read("models/default.json").unwrap();
    assert!(
        stance::pipeline::BUILTIN_MODEL == shipped.as_slice(),
        "the model built into the library is not models/default.json: rebuild"
    );
    let m = stance::StanceModel::builtin();
    assert_eq!(m.stance.classes(), vec!["against", "favor", "neutral"]);
}
