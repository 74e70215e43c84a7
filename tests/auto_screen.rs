//! The search's screening of candidates on large sets (successive halving): forced on the
//! small `data/` set here, it must score every setting it finishes exactly as a full
//! cross-validation does, screen each new setting on the first two folds, and finish only the
//! promising ones.

use stance::auto::{search, AutoOptions, Budget, Estimate, MIN_GAIN, SCREEN_FOLDS};
use stance::corpus::{read_labeled, ReadOptions};
use stance::evaluate::cross_validate;
use stance::labels::Task;
use stance::metrics::Confusion;
use stance::{Registry, TrainConfig, TrainingSet};

fn data() -> TrainingSet {
    let (articles, _) =
        read_labeled(&["data/articles.jsonl".into()], &ReadOptions::default()).unwrap();
    let reg = Registry::from_toml_file(std::path::Path::new("data/actors.toml")).unwrap();
    TrainingSet::new(articles, &reg).unwrap()
}

fn options(screen_from: usize) -> AutoOptions {
    AutoOptions {
        budget: Budget::Trials(10),
        estimate: Estimate::None,
        screen_from,
        ..AutoOptions::default()
    }
}

#[test]
fn screened_settings_are_finished_with_their_full_cross_validation_score() {
    let set = data();
    let start = TrainConfig::default();
    let o = options(0);
    let s = search(&set, &start, &o).unwrap();
    assert_eq!(s.screen_folds, Some(SCREEN_FOLDS));
    assert_eq!(s.scored(), 10);
    // The starting settings: the full 5-fold CV's macro-F1, and on the screen, the macro-F1
    // of the same CV's predictions of folds 1 and 2.
    let cv = cross_validate(&set, &start, o.folds, o.seed, None).unwrap();
    assert_eq!(s.start_score, cv.report.stance.macro_f1);
    let classes = cv.report.stance.classes.clone();
    let idx = |l: &str| classes.iter().position(|c| c == l).unwrap();
    let mut c = Confusion::new(classes.clone());
    for p in cv.predictions.iter().filter(|p| p.task == Task::Stance) {
        if p.fold.is_some_and(|f| f <= SCREEN_FOLDS) {
            c.add(idx(&p.truth), idx(&p.predicted));
        }
    }
    assert_eq!(s.trials[0].screen, Some(c.macro_f1()));
    // The winner, finished after its screen, has exactly its full CV score.
    assert_ne!(
        s.config, start,
        "the search kept nothing; the check below would be empty"
    );
    let won = cross_validate(&set, &s.config, o.folds, o.seed, None).unwrap();
    assert_eq!(s.score, won.report.stance.macro_f1);
    // Every new setting was screened; some were finished, some were not.
    assert!(s.trials.iter().all(|t| t.screen.is_some()));
    let finished = s.trials[1..].iter().filter(|t| t.score.is_some()).count();
    assert!(
        finished > 0 && finished < s.trials.len() - 1,
        "{:?}",
        s.trials
    );
    // A finished setting was promising on the screen: above the starting settings' screen
    // if it was tried from them (the first dimension's values are).
    let first = &s.trials[1].dimension;
    let start_screen = s.trials[0].screen.unwrap();
    for t in s.trials[1..].iter().take_while(|t| &t.dimension == first) {
        if t.score.is_some() {
            assert!(t.screen.unwrap() > start_screen, "{t:?}");
        }
    }
    // Kept changes are finished ones, each gaining MIN_GAIN on the one before.
    let mut cur = s.start_score;
    for t in s.trials[1..].iter().filter(|t| t.kept) {
        let score = t.score.expect("a kept change has its full score");
        assert!(score >= cur + MIN_GAIN, "{t:?} over {cur}");
        cur = score;
    }
    assert_eq!(cur, s.score);
}

#[test]
fn below_the_threshold_nothing_is_screened() {
    let set = data();
    assert!(set.examples.len() < stance::auto::SCREEN_FROM);
    let s = search(&set, &TrainConfig::default(), &options(usize::MAX)).unwrap();
    assert_eq!(s.screen_folds, None);
    assert!(s
        .trials
        .iter()
        .all(|t| t.screen.is_none() && t.score.is_some()));
    // The default threshold leaves data/ (844 examples) unscreened too: the same search.
    let d = search(
        &set,
        &TrainConfig::default(),
        &options(stance::auto::SCREEN_FROM),
    )
    .unwrap();
    let view = |s: &stance::auto::Search| -> Vec<(String, Option<f64>, bool)> {
        s.trials
            .iter()
            .map(|t| (t.change.clone(), t.score, t.kept))
            .collect()
    };
    assert_eq!(view(&d), view(&s));
    assert_eq!(d.config, s.config);
}
