//! `stance label`: a labeling loop with the model in it, in a local web page.
//!
//! - [`log`]: the append-only decision file (one JSON line per decision, in the format
//!   `stance train` reads), resume, undo, and [`log::resolve`] for the final labels;
//! - [`strategy`]: which article next (diverse cold start, margin sampling, the random audit
//!   stream, double annotation), as pure seeded functions;
//! - [`session`]: the pool, the bookkeeping and the background retraining;
//! - [`server`]: the local web server and the page;
//! - [`agreement`]: Cohen's and Fleiss' kappa on articles labeled twice;
//! - [`engine`]: the one file that calls the rest of the library.
//!
//! [`simulate`] runs the same loop with the gold labels of a labeled set revealed when asked,
//! for learning curves.

pub mod agreement;
pub mod engine;
pub mod log;
pub mod server;
pub mod session;
pub mod strategy;

use engine::{Error, LabeledArticle, ReadOptions, Result, StanceModel};
use session::{Answer, Pool, Session, Settings};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

/// What `stance label` needs to start a session.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Articles to label (any input format `stance score` reads). In review mode, optional:
    /// the decision file holds the articles.
    pub data: Vec<String>,
    pub read: ReadOptions,
    /// The decision file.
    pub out: PathBuf,
    pub model: Option<PathBuf>,
    pub actors: Option<PathBuf>,
    pub annotator: String,
    /// The stance labels (default: the model's, else those in the decision file, else
    /// against/favor/neutral).
    pub stance_labels: Option<Vec<String>>,
    /// The sentiment labels; Some(empty) for no sentiment question.
    pub sentiment_labels: Option<Vec<String>>,
    /// Label the good records of --data even if some are bad.
    pub skip_bad: bool,
    pub settings: Settings,
}

/// Opens the decision file, reads the articles, the actors and the model, and builds the
/// session. Returns notes worth printing (resume, torn line dropped, articles left out).
pub fn open(opts: &Options) -> Result<(Session, Vec<String>)> {
    let mut notes = Vec::new();
    let (log_file, decisions, torn) = log::DecisionLog::open(&opts.out)?;
    notes.extend(torn);
    let model: Option<(StanceModel, String)> = match &opts.model {
        Some(p) => {
            let bytes = std::fs::read(p).map_err(|e| Error::io(p, e))?;
            let m = engine::load_model(p)?;
            let id = format!("file-{}", &sha_prefix(&bytes));
            Some((m, id))
        }
        None => None,
    };
    let mut registry = match (&opts.actors, &model) {
        (Some(a), _) => engine::load_registry(Some(a))?,
        (None, Some((m, _))) => engine::model_registry(m).clone(),
        (None, None) if opts.settings.review => engine::load_registry(None)?,
        (None, None) => {
            return Err(Error::Config(
                "which actors to ask about? give --actors FILE (an actors TOML) or --model MODEL (its actors)".into(),
            ))
        }
    };
    // Actors labeled in the decision file are known, even if the actors file lost them.
    let labeled_actors: Vec<String> = decisions
        .iter()
        .flat_map(|d| d.record.stance.iter().map(|(a, _)| a.clone()))
        .collect();
    registry = engine::with_names(&registry, labeled_actors.iter().map(String::as_str))?;

    let mut articles: Vec<LabeledArticle> = Vec::new();
    if opts.data.is_empty() {
        if !opts.settings.review {
            return Err(Error::Config(
                "no articles to label: give --data FILE (JSON Lines, CSV, text files or a folder)"
                    .into(),
            ));
        }
        let mut seen: HashMap<String, usize> = HashMap::new();
        for d in &decisions {
            match seen.get(&d.record.article.id) {
                Some(_) => {}
                None => {
                    seen.insert(d.record.article.id.clone(), articles.len());
                    articles.push(d.record.clone());
                }
            }
        }
    } else {
        let (read, errors) = engine::read_articles(&opts.data, &opts.read)?;
        if !errors.is_empty() {
            let list: Vec<String> = errors.iter().take(20).map(|e| format!("  {e}")).collect();
            let more = if errors.len() > 20 {
                format!("\n  … and {} more", errors.len() - 20)
            } else {
                String::new()
            };
            if !opts.skip_bad {
                return Err(Error::Config(format!(
                    "{} bad record{} in the articles to label (fix them or pass --skip-bad):\n{}{more}",
                    errors.len(),
                    if errors.len() == 1 { "" } else { "s" },
                    list.join("\n")
                )));
            }
            notes.push(format!(
                "skipping {} bad record{}:\n{}{more}",
                errors.len(),
                if errors.len() == 1 { "" } else { "s" },
                list.join("\n")
            ));
        }
        if read
            .iter()
            .any(|a| !a.stance.is_empty() || a.sentiment.is_some())
        {
            notes
                .push("the articles' own labels are ignored: every article is asked afresh".into());
        }
        articles = read;
    }
    if articles.is_empty() {
        return Err(Error::Config(format!(
            "no articles to label in {}",
            if opts.data.is_empty() {
                opts.out.display().to_string()
            } else {
                opts.data.join(", ")
            }
        )));
    }

    let mut settings = opts.settings.clone();
    let file_labels = |stance: bool| -> Vec<String> {
        let mut v: Vec<String> = Vec::new();
        for d in &decisions {
            let ls: Vec<&String> = if stance {
                d.record.stance.iter().map(|(_, l)| l).collect()
            } else {
                d.record.sentiment.iter().collect()
            };
            for l in ls {
                if !v.contains(l) {
                    v.push(l.clone());
                }
            }
        }
        v.sort();
        v
    };
    let model_stance = model
        .as_ref()
        .map(|(m, _)| engine::stance_classes(m).to_vec());
    let model_sentiment = model
        .as_ref()
        .and_then(|(m, _)| engine::sentiment_classes(m).map(<[String]>::to_vec));
    let in_file = file_labels(true);
    settings.stance_labels = opts
        .stance_labels
        .clone()
        .or(model_stance)
        .or_else(|| (!in_file.is_empty()).then(|| in_file.clone()))
        .unwrap_or_else(|| settings.stance_labels.clone());
    let in_file_sent = file_labels(false);
    settings.sentiment_labels = opts
        .sentiment_labels
        .clone()
        .or(model_sentiment)
        .or_else(|| (!in_file_sent.is_empty()).then(|| in_file_sent.clone()))
        .unwrap_or_else(|| settings.sentiment_labels.clone());
    for (set, found, what) in [
        (&mut settings.stance_labels, &in_file, "stance"),
        (&mut settings.sentiment_labels, &in_file_sent, "sentiment"),
    ] {
        let extra: Vec<&String> = found.iter().filter(|l| !set.contains(l)).collect();
        if !extra.is_empty() {
            notes.push(format!(
                "{what} labels found in {} and added to the buttons: {}",
                opts.out.display(),
                extra
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            set.extend(extra.into_iter().cloned());
        }
    }
    if settings.stance_labels.len() < 2 {
        return Err(Error::Config(format!(
            "at least two stance labels are needed, got {}",
            settings.stance_labels.join(", ")
        )));
    }
    if settings.stance_labels.len() > 9 || settings.sentiment_labels.len() > 9 {
        return Err(Error::Config(
            "at most nine labels per question (keys 1 to 9)".into(),
        ));
    }
    let (pool, dropped) = Pool::new(articles, &registry, &settings)?;
    if dropped > 0 {
        notes.push(format!(
            "{dropped} article{} name no actor and no sentiment is asked: left out",
            if dropped == 1 { "" } else { "s" }
        ));
    }
    if !decisions.is_empty() {
        let resolved = log::resolve_decisions(&decisions);
        notes.push(format!(
            "resuming {}: {} decisions, {} labeled articles",
            opts.out.display(),
            decisions.len(),
            resolved.len()
        ));
    }
    let session = Session::new(settings, pool, registry, Some(log_file), decisions, model);
    Ok((session, notes))
}

fn sha_prefix(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What a simulated annotation needs.
#[derive(Debug, Clone, Default)]
pub struct SimOptions {
    /// The labeled pool: its labels are revealed when the loop asks.
    pub gold: Vec<String>,
    /// Labeled test data, scored at each checkpoint.
    pub test: Vec<String>,
    pub read: ReadOptions,
    pub actors: Option<PathBuf>,
    /// Labeled articles to collect.
    pub budget: usize,
    /// Numbers of labeled articles at which to score the model on the test data.
    pub checkpoints: Vec<usize>,
    /// Also cross-validate on the audit labels at each checkpoint.
    pub audit_cv: bool,
    pub settings: Settings,
}

/// The model at one checkpoint of a simulation.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Checkpoint {
    pub labels: usize,
    pub strategy: String,
    pub seed: u64,
    /// Stance macro-F1 on the test data.
    pub test_macro_f1: f64,
    pub test_examples: usize,
    /// Labeled articles from audit (random) picks.
    pub audit: usize,
    /// The cross-validated macro-F1 on the audit labels (the page's stopping figure).
    pub audit_f1: Option<f64>,
    /// How the labeled articles were picked.
    pub picks: BTreeMap<String, usize>,
    /// The stance labels collected, by label.
    pub label_counts: BTreeMap<String, usize>,
    pub seconds: f64,
}

/// Simulated annotation: the session's own picks, answered from the gold labels.
pub fn simulate(
    opts: &SimOptions,
    mut progress: impl FnMut(&Checkpoint),
) -> Result<Vec<Checkpoint>> {
    let start = std::time::Instant::now();
    let (gold, errors) = engine::read_articles(&opts.gold, &opts.read)?;
    if let Some(e) = errors.into_iter().next() {
        return Err(e);
    }
    let (test, errors) = engine::read_articles(&opts.test, &opts.read)?;
    if let Some(e) = errors.into_iter().next() {
        return Err(e);
    }
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
    let answers: HashMap<String, (BTreeMap<String, String>, Option<String>)> = gold
        .iter()
        .map(|a| {
            (
                a.article.id.clone(),
                (a.stance.iter().cloned().collect(), a.sentiment.clone()),
            )
        })
        .collect();
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
    let mut classes: Vec<String> = settings.stance_labels.clone();
    for a in &test {
        for (_, l) in &a.stance {
            if !classes.contains(l) {
                classes.push(l.clone());
            }
        }
    }
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
        let (stance, sentiment) = answers
            .get(&item.record.article.id)
            .cloned()
            .unwrap_or_default();
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
        session.decide(who, p.token, answer)?;
        if let Some(job) = session.due(false) {
            let n = job.labeled.len();
            let r = session::retrain(job);
            session.finish(r, n);
        }
    }
    Ok(out)
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

/// The agreement report over one or more decision files.
pub fn agreement(paths: &[PathBuf]) -> Result<agreement::Report> {
    let mut files = Vec::new();
    for p in paths {
        if !p.exists() {
            return Err(Error::io(
                p,
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
            ));
        }
        files.push(log::read(p)?.0);
    }
    let live = agreement::live_of(&files);
    Ok(agreement::report(&live))
}

/// The final records of a decision file as lines `stance train` reads (only the audit ones
/// with `audit_only`), and how many articles had unresolved disagreements.
pub fn export(path: &std::path::Path, audit_only: bool) -> Result<(Vec<String>, usize)> {
    if !path.exists() {
        return Err(Error::io(
            path,
            std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
        ));
    }
    let resolved = log::resolve(path)?;
    let unresolved = resolved.iter().filter(|r| !r.unresolved.is_empty()).count();
    let lines = resolved
        .iter()
        .filter(|r| !audit_only || log::is_random_audit(r))
        .filter(|r| !r.record.stance.is_empty() || r.record.sentiment.is_some())
        .map(log::export_line)
        .collect();
    Ok((lines, unresolved))
}
