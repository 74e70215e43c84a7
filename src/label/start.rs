//! Starting a session from files: the decision file (resumed), the articles, the actors, the
//! given model, and the label sets each question offers.

use super::engine::{self, Error, LabeledArticle, ReadOptions, Result, StanceModel};
use super::log;
use super::session::{Pool, Session, Settings};
use std::collections::HashMap;
use std::path::PathBuf;

/// What `stance label` needs to start a session.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Articles to label (any input format `stance score` reads). In review mode, optional:
    /// the decision file holds the articles.
    pub data: Vec<String>,
    /// How the --data files are read.
    pub read: ReadOptions,
    /// The decision file.
    pub out: PathBuf,
    /// A model whose guesses are shown from the start (--model); its actors are asked about unless --actors is given.
    pub model: Option<PathBuf>,
    /// The actors file (--actors).
    pub actors: Option<PathBuf>,
    /// The annotator of this browser (--annotator).
    pub annotator: String,
    /// The stance labels (default: the model's, else those in the decision file, else
    /// against/favor/neutral).
    pub stance_labels: Option<Vec<String>>,
    /// The sentiment labels; Some(empty) for no sentiment question.
    pub sentiment_labels: Option<Vec<String>>,
    /// Label the good records of --data even if some are bad.
    pub skip_bad: bool,
    /// Strategy, schedule and training settings.
    pub settings: Settings,
}

/// Opens the decision file, reads the articles, the actors and the model, and builds the
/// session. Returns notes worth printing (resume, torn line dropped, articles left out).
pub fn open(opts: &Options) -> Result<(Session, Vec<String>)> {
    let mut notes = Vec::new();
    let (log_file, decisions, torn) = log::DecisionLog::open(&opts.out)?;
    notes.extend(torn);
    let model = given_model(opts)?;
    let registry = session_registry(opts, model.as_ref().map(|m| &m.0), &decisions)?;
    let articles = articles_to_label(opts, &decisions, &mut notes)?;
    let settings = label_sets(opts, model.as_ref().map(|m| &m.0), &decisions, &mut notes)?;
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

/// The model given with --model and its id (`file-` and the start of its file's SHA-256).
fn given_model(opts: &Options) -> Result<Option<(StanceModel, String)>> {
    let Some(p) = &opts.model else {
        return Ok(None);
    };
    let bytes = std::fs::read(p).map_err(|e| Error::io(p, e))?;
    let m = engine::load_model(p)?;
    let id = format!("file-{}", &sha_prefix(&bytes));
    Ok(Some((m, id)))
}

/// The actors asked about: the actors file, else the model's, and in any case every actor the
/// decision file labeled (even if the actors file lost it).
fn session_registry(
    opts: &Options,
    model: Option<&StanceModel>,
    decisions: &[log::Decision],
) -> Result<engine::Registry> {
    let registry = match (&opts.actors, model) {
        (Some(a), _) => engine::load_registry(Some(a))?,
        (None, Some(m)) => engine::model_registry(m).clone(),
        (None, None) if opts.settings.review => engine::load_registry(None)?,
        (None, None) => {
            return Err(Error::Config(
                "which actors to ask about? give --actors FILE (an actors TOML) or --model MODEL (its actors)".into(),
            ))
        }
    };
    let labeled_actors: Vec<String> = decisions
        .iter()
        .flat_map(|d| d.record.stance.iter().map(|(a, _)| a.clone()))
        .collect();
    engine::with_names(&registry, labeled_actors.iter().map(String::as_str))
}

/// The articles of --data (bad records refused, or skipped with a note under --skip-bad), or
/// in review without --data those of the decision file, each once.
fn articles_to_label(
    opts: &Options,
    decisions: &[log::Decision],
    notes: &mut Vec<String>,
) -> Result<Vec<LabeledArticle>> {
    let mut articles: Vec<LabeledArticle> = Vec::new();
    if opts.data.is_empty() {
        if !opts.settings.review {
            return Err(Error::Config(
                "no articles to label: give --data FILE (JSON Lines, CSV, text files or a folder)"
                    .into(),
            ));
        }
        let mut seen: HashMap<String, usize> = HashMap::new();
        for d in decisions {
            if !seen.contains_key(&d.record.article.id) {
                seen.insert(d.record.article.id.clone(), articles.len());
                articles.push(d.record.clone());
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
    Ok(articles)
}

/// The labels of one question found in the decision file, sorted.
fn file_labels(decisions: &[log::Decision], stance: bool) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    for d in decisions {
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
}

/// The settings with the label sets of both questions: as given, else the model's, else those
/// of the decision file, else the defaults; labels of the decision file are always added.
fn label_sets(
    opts: &Options,
    model: Option<&StanceModel>,
    decisions: &[log::Decision],
    notes: &mut Vec<String>,
) -> Result<Settings> {
    let mut settings = opts.settings.clone();
    let model_stance = model.map(|m| engine::stance_classes(m).to_vec());
    let model_sentiment = model.and_then(|m| engine::sentiment_classes(m).map(<[String]>::to_vec));
    let in_file = file_labels(decisions, true);
    settings.stance_labels = opts
        .stance_labels
        .clone()
        .or(model_stance)
        .or_else(|| (!in_file.is_empty()).then(|| in_file.clone()))
        .unwrap_or_else(|| settings.stance_labels.clone());
    let in_file_sent = file_labels(decisions, false);
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
    Ok(settings)
}

fn sha_prefix(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect()
}
