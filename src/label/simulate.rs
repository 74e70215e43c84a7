//! Simulated annotation for learning curves: the session's own picks, answered from the gold
//! labels of a labeled set, the model scored on test data at checkpoints.

use super::engine::{self, Error, LabeledArticle, ReadOptions, Result};
use super::log;
use super::session::{self, Answer, Pool, Session, Settings};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

/// What a simulated annotation needs.
#[derive(Debug, Clone, Default)]
pub struct SimOptions {
    /// The labeled pool: its labels are revealed when the loop asks.
    pub gold: Vec<String>,
    /// Labeled test data, scored at each checkpoint.
    pub test: Vec<String>,
    /// How the gold and test files are read.
    pub read: ReadOptions,
    /// The actors file (actors labeled in the gold or test data are added).
    pub actors: Option<PathBuf>,
    /// Labeled articles to collect.
    pub budget: usize,
    /// Numbers of labeled articles at which to score the model on the test data.
    pub checkpoints: Vec<usize>,
    /// Also cross-validate on the audit labels at each checkpoint.
    pub audit_cv: bool,
    /// The session settings (label sets are taken from the gold data).
    pub settings: Settings,
}

/// The model at one checkpoint of a simulation.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Checkpoint {
    /// Labeled articles so far.
    pub labels: usize,
    /// "active" or "random".
    pub strategy: String,
    /// The session's seed.
    pub seed: u64,
    /// Stance macro-F1 on the test data.
    pub test_macro_f1: f64,
    /// Stance examples (article × actor) in the test data.
    pub test_examples: usize,
    /// Labeled articles from audit (random) picks.
    pub audit: usize,
    /// The cross-validated macro-F1 on the audit labels (the page's stopping figure).
    pub audit_f1: Option<f64>,
    /// How the labeled articles were picked.
    pub picks: BTreeMap<String, usize>,
    /// The stance labels collected, by label.
    pub label_counts: BTreeMap<String, usize>,
    /// Seconds since the simulation started.
    pub seconds: f64,
}

/// The gold labels of an article: stance per actor, and the sentiment.
type GoldLabels = (BTreeMap<String, String>, Option<String>);

/// Simulated annotation: the session's own picks, answered from the gold labels.
pub fn simulate(
    opts: &SimOptions,
    mut progress: impl FnMut(&Checkpoint),
) -> Result<Vec<Checkpoint>> {
    let start = std::time::Instant::now();
    let gold = read_all(&opts.gold, &opts.read)?;
    let test = read_all(&opts.test, &opts.read)?;
    if gold.is_empty() || test.is_empty() {
        return Err(Error::Config(
            "the simulation needs labeled gold and test articles".into(),
        ));
    }
    let registry = engine::load_registry(opts.actors.as_deref())?;
    let names: Vec<String> = gold
        .iter()
        .chain(&test)
        .flat_map(|a| a.stance.iter().map(|(x, _)| x.clone()))
        .collect();
    let registry = engine::with_names(&registry, names.iter().map(String::as_str))?;
    let mut settings = opts.settings.clone();
    let labels_of = |f: &dyn Fn(&LabeledArticle) -> Vec<String>| {
        let mut v: Vec<String> = gold.iter().flat_map(f).collect();
        v.sort();
        v.dedup();
        v
    };
    settings.stance_labels = labels_of(&|a| a.stance.iter().map(|(_, l)| l.clone()).collect());
    settings.sentiment_labels = labels_of(&|a| a.sentiment.iter().cloned().collect());
    let answers = gold_answers(&gold);
    let (pool, _) = Pool::new(gold, &registry, &settings)?;
    let seed = settings.seed;
    let strategy_name = match settings.strategy {
        session::Strategy::Active => "active",
        session::Strategy::Random => "random",
    };
    let mut session = Session::new(
        settings.clone(),
        pool,
        registry.clone(),
        None,
        Vec::new(),
        None,
    );
    let classes = test_classes(&settings.stance_labels, &test);
    let mut checkpoints: Vec<usize> = opts.checkpoints.clone();
    checkpoints.sort_unstable();
    checkpoints.dedup();
    let mut out = Vec::new();
    let mut next_cp = 0;
    let who = "oracle";
    loop {
        let labeled = log::training_records(&session.resolved()).len();
        while next_cp < checkpoints.len() && labeled >= checkpoints[next_cp] {
            let cp = checkpoint(
                &session,
                &test,
                &classes,
                &registry,
                opts.audit_cv,
                strategy_name,
                seed,
                start,
            )?;
            progress(&cp);
            out.push(cp);
            next_cp += 1;
        }
        if labeled >= opts.budget {
            break;
        }
        let Some(p) = session.current(who)? else {
            break;
        };
        let item = session.item(p.item);
        let gold = answers.get(&item.record.article.id);
        let answer = oracle_answer(&session, item, gold);
        session.decide(who, p.token, answer)?;
        if let Some(job) = session.due(false) {
            let n = job.labeled.len();
            let r = session::retrain(job);
            session.finish(r, n);
        }
    }
    Ok(out)
}

/// The gold labels of each article, by id.
fn gold_answers(gold: &[LabeledArticle]) -> HashMap<String, GoldLabels> {
    gold.iter()
        .map(|a| {
            (
                a.article.id.clone(),
                (a.stance.iter().cloned().collect(), a.sentiment.clone()),
            )
        })
        .collect()
}

/// The stance classes the test data is scored over: the session's labels, then any other
/// label of the test data.
fn test_classes(labels: &[String], test: &[LabeledArticle]) -> Vec<String> {
    let mut classes: Vec<String> = labels.to_vec();
    for a in test {
        for (_, l) in &a.stance {
            if !classes.contains(l) {
                classes.push(l.clone());
            }
        }
    }
    classes
}

/// Every article of `paths`; the first bad record is the error.
fn read_all(paths: &[String], read: &ReadOptions) -> Result<Vec<LabeledArticle>> {
    let (articles, errors) = engine::read_articles(paths, read)?;
    match errors.into_iter().next() {
        Some(e) => Err(e),
        None => Ok(articles),
    }
}

/// The answer of an annotator who knows the gold labels: each question they label, unsure of
/// those they do not.
fn oracle_answer(session: &Session, item: &session::Item, gold: Option<&GoldLabels>) -> Answer {
    let (stance, sentiment) = gold.cloned().unwrap_or_default();
    let mut answer = Answer::default();
    for row in &item.rows {
        match stance.get(row) {
            Some(l) => {
                answer.stance.insert(row.clone(), l.clone());
            }
            None => answer.unsure.push(row.clone()),
        }
    }
    if !session.settings.sentiment_labels.is_empty() {
        match sentiment {
            Some(s) => answer.sentiment = Some(s),
            None => answer.unsure.push("sentiment".into()),
        }
    }
    answer
}

#[allow(clippy::too_many_arguments)]
fn checkpoint(
    session: &Session,
    test: &[LabeledArticle],
    classes: &[String],
    registry: &engine::Registry,
    audit_cv: bool,
    strategy: &str,
    seed: u64,
    start: std::time::Instant,
) -> Result<Checkpoint> {
    let resolved = session.resolved();
    let labeled = log::training_records(&resolved);
    let model = engine::train(labeled.clone(), registry, &session.settings.train, seed)?;
    let mut truth = Vec::new();
    let mut predicted = Vec::new();
    for a in test {
        let actors: Vec<String> = a.stance.iter().map(|(x, _)| x.clone()).collect();
        let (g, _) = engine::guess(&model, &a.article, &actors);
        for ((_, l), g) in a.stance.iter().zip(g) {
            truth.push(l.as_str());
            predicted.push(g.map(|g| session::top(&g).0).unwrap_or_default());
        }
    }
    let pred: Vec<&str> = predicted.iter().map(String::as_str).collect();
    let f1 = engine::macro_f1(classes, &truth, &pred);
    let audit_f1 = if audit_cv {
        let audit_ids = resolved
            .iter()
            .filter(|r| log::is_random_audit(r))
            .map(|r| r.record.article.id.clone())
            .collect();
        let job = session::Job {
            number: 0,
            labeled,
            audit_ids,
            registry: registry.clone(),
            settings: session.settings.clone(),
            pool: session.pool.clone(),
            exclude: (0..session.pool.items.len()).collect(),
            previous: None,
            given: Some((std::sync::Arc::new(model), String::new())),
            cv: true,
        };
        session::retrain(job)
            .ok()
            .and_then(|r| r.audit.map(|a| a.f1))
    } else {
        None
    };
    let mut picks = BTreeMap::new();
    let mut label_counts = BTreeMap::new();
    for r in &resolved {
        *picks.entry(r.strategy.clone()).or_default() += 1;
        for (_, l) in &r.record.stance {
            *label_counts.entry(l.clone()).or_default() += 1;
        }
    }
    Ok(Checkpoint {
        labels: resolved.len(),
        strategy: strategy.to_string(),
        seed,
        test_macro_f1: f1,
        test_examples: truth.len(),
        audit: resolved.iter().filter(|r| r.audit).count(),
        audit_f1,
        picks,
        label_counts,
        seconds: start.elapsed().as_secs_f64(),
    })
}
