//! Every call from the Python package into the `stance` library goes through this module, so
//! that a change of the library's layout is met here and nowhere else. The rest of the crate
//! sees only the names below: the model, a record's outcome, the score types, and errors as
//! plain data ([`Failure`]).
//!
//! A record from Python (a dict, a text, or an Arrow row) is handed to the library as one JSON
//! object and read by the library's own JSON Lines record reader, so validation, defaults and
//! the fields carried into a score are exactly those of `stance score`.

use std::path::Path;
use std::sync::Arc;

pub use stance::features::Scratch;
pub use stance::pipeline::{ArticleScore, Evidence, ModelRef, ScoreOptions};
pub use stance::StanceModel as Model;

/// The name a record from Python is read under: the "file" of the library's records (a
/// record without an id gets the one its text gives, `stance::corpus::text_id`).
pub const ORIGIN: &str = "<python>";

/// A library error, taken apart for the Python side.
#[derive(Debug, Clone)]
pub enum Failure {
    /// A bad input record: the field (when one is to blame) and what is wrong.
    Record {
        field: Option<String>,
        message: String,
    },
    /// A file that could not be read or written.
    Io {
        kind: std::io::ErrorKind,
        message: String,
    },
    /// A model file that is not a usable model.
    Model { message: String },
    /// Settings, actors or training data that do not make sense.
    Config { message: String },
}

impl Failure {
    pub fn message(&self) -> String {
        match self {
            Failure::Record { field, message } => match field {
                Some(f) => format!("field \"{f}\": {message}"),
                None => message.clone(),
            },
            Failure::Io { message, .. }
            | Failure::Model { message }
            | Failure::Config { message } => message.clone(),
        }
    }
}

impl From<stance::Error> for Failure {
    fn from(e: stance::Error) -> Failure {
        match e {
            stance::Error::Input { at, message } => Failure::Record {
                field: at.field,
                message,
            },
            stance::Error::Io { path, cause } => Failure::Io {
                message: format!("{path}: {cause}"),
                kind: cause.kind(),
            },
            e @ stance::Error::Model { .. } => Failure::Model {
                message: e.to_string(),
            },
            e => Failure::Config {
                message: e.to_string(),
            },
        }
    }
}

/// Which fields of a record hold the id, text, source and date (JSON keys, Arrow columns).
#[derive(Debug, Clone)]
pub struct Fields {
    pub id: String,
    pub text: String,
    pub source: String,
    pub date: String,
}

/// How records are read: the library's reading options for the given field names.
#[derive(Debug, Clone)]
pub struct Reader {
    opts: Arc<stance::corpus::ReadOptions>,
}

impl Reader {
    pub fn new(fields: &Fields) -> Reader {
        let mut opts = stance::corpus::ReadOptions::default();
        opts.columns.id = fields.id.clone();
        opts.columns.text = fields.text.clone();
        opts.columns.source = fields.source.clone();
        opts.columns.date = fields.date.clone();
        Reader {
            opts: Arc::new(opts),
        }
    }

    /// A field the reader interprets itself (id, text, source, date, title, url, and the
    /// label fields); every other field of a record is carried into its score.
    pub fn is_known(&self, name: &str) -> bool {
        self.opts.columns.is_known(name)
    }

    /// Reads one record, given as the bytes of a JSON object, as `stance score` reads a line of
    /// JSON Lines: the article (with the record's other fields) or what is wrong with it, and
    /// the record's id whenever it can be read.
    pub fn read(&self, json: Vec<u8>, index: usize) -> (Option<String>, Result<Parsed, Failure>) {
        let rec = stance::corpus::Pending::json(
            ORIGIN.to_string(),
            index as u64,
            json,
            self.opts.clone(),
        )
        .parse();
        let item = rec.item.map(|a| Parsed {
            article: a.article,
            fields: a.extra,
        });
        (rec.id, item.map_err(Failure::from))
    }
}

/// A record read: the article and its other fields.
pub struct Parsed {
    pub article: stance::Article,
    pub fields: std::collections::BTreeMap<String, String>,
}

/// Scores one article; the record's other fields are carried into the score, as by
/// `stance score` (and the model named in it as the library names it there).
pub fn score(model: &Model, p: Parsed, opts: &ScoreOptions, scratch: &mut Scratch) -> ArticleScore {
    let mut scorer = model.scorer_with(opts.clone(), std::mem::take(scratch));
    let mut s = scorer.score(&p.article);
    *scratch = scorer.into_scratch();
    s.fields = p.fields;
    s
}

/// The model as its score records name it (`"model": {"name", "checksum"}`): the library's
/// identity of the model, which its scorer puts into every record (the first 16 digits of the
/// checksum, the long form's `model` column).
pub fn model_ref(model: &Model) -> ModelRef {
    let id = model.identity();
    ModelRef {
        name: id.name.clone(),
        checksum: id.short().to_string(),
        raw_probabilities: false,
    }
}

/// A score as `stance score` writes it: one JSON object.
pub fn to_json(s: &ArticleScore) -> String {
    serde_json::to_string(s).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

pub fn builtin() -> Model {
    Model::builtin()
}

/// The name the built-in model goes by.
pub fn builtin_name() -> &'static str {
    stance::pipeline::BUILTIN_NAME
}

pub fn load(path: &Path) -> Result<Model, Failure> {
    Ok(Model::load(path)?)
}

pub fn load_bytes(bytes: &[u8], name: &str) -> Result<Model, Failure> {
    Ok(Model::from_bytes(bytes, name)?)
}

pub fn save(model: &Model, path: &Path) -> Result<(), Failure> {
    Ok(model.save(path)?)
}

pub fn stance_classes(model: &Model) -> &[String] {
    model.stance.classes()
}

pub fn sentiment_classes(model: &Model) -> &[String] {
    model.sentiment.as_ref().map_or(&[], |s| s.classes())
}

pub fn actor_names(model: &Model) -> Vec<String> {
    model
        .registry
        .actors()
        .iter()
        .map(|a| a.name.clone())
        .collect()
}

pub fn knows_actor(model: &Model, name: &str) -> bool {
    model.registry.index(name).is_some()
}

/// The settings the model was trained with, as in its file.
pub fn config_json(model: &Model) -> String {
    serde_json::to_string(&model.config).unwrap_or_else(|_| "{}".into())
}

/// Facts about the model's training (data hash, counts, seed, the cross-validation summary),
/// as in its file, without the per-actor feature profiles.
pub fn info_json(model: &Model) -> String {
    let mut info = serde_json::to_value(&model.info).unwrap_or_default();
    if let Some(o) = info.as_object_mut() {
        o.remove("actor_profiles");
        o.remove("calibration");
        o.insert(
            "features".into(),
            serde_json::Value::from(model.featurizer.len()),
        );
    }
    info.to_string()
}

/// The training settings of `stance train` when none are given, as JSON (the `config` block of
/// a model file).
pub fn default_config_json() -> String {
    serde_json::to_string(&stance::TrainConfig::default()).unwrap_or_else(|_| "{}".into())
}

/// What `stance train` does: reads the labeled records (`data`: JSON Lines, one record a line,
/// read by the library's reader of labeled data, long-form rows merged), runs `folds`-fold
/// cross-validation (unless `folds` is None) whose out-of-fold predictions become the model's
/// calibration, fits on everything, and names the model `name` (written into its file, as
/// `stance train --name`; None: no name).
pub struct Training<'a> {
    pub data: &'a Path,
    pub fields: &'a Fields,
    pub actors: Option<Actors<'a>>,
    pub config_json: &'a str,
    pub folds: Option<usize>,
    pub seed: u64,
    pub group_by: Option<&'a str>,
    pub name: Option<&'a str>,
}

pub enum Actors<'a> {
    File(&'a Path),
    Toml(&'a str),
}

/// A bad record of the labeled data: its line in `data` and what is wrong.
pub struct BadRecord {
    pub line: Option<u64>,
    pub failure: Failure,
}

pub enum TrainError {
    Records(Vec<BadRecord>),
    Other(Failure),
}

impl From<stance::Error> for TrainError {
    fn from(e: stance::Error) -> TrainError {
        TrainError::Other(e.into())
    }
}

pub struct Trained {
    pub model: Model,
    pub warnings: Vec<String>,
}

pub fn train(t: &Training<'_>) -> Result<Trained, TrainError> {
    let cfg: stance::TrainConfig = serde_json::from_str(t.config_json).map_err(|e| {
        TrainError::Other(Failure::Config {
            message: format!("bad training settings: {e}"),
        })
    })?;
    let registry = match &t.actors {
        None => stance::Registry::empty(),
        Some(Actors::File(p)) => stance::Registry::from_toml_file(p)?,
        Some(Actors::Toml(s)) => stance::Registry::from_toml_str(s)?,
    };
    let mut opts = stance::corpus::ReadOptions::default();
    opts.columns.id = t.fields.id.clone();
    opts.columns.text = t.fields.text.clone();
    opts.columns.source = t.fields.source.clone();
    opts.columns.date = t.fields.date.clone();
    let data = t.data.display().to_string();
    let (articles, errors) = stance::corpus::read_labeled(std::slice::from_ref(&data), &opts)?;
    if !errors.is_empty() {
        return Err(TrainError::Records(
            errors
                .into_iter()
                .map(|e| {
                    let line = match &e {
                        stance::Error::Input { at, .. } => at.line,
                        _ => None,
                    };
                    BadRecord {
                        line,
                        failure: e.into(),
                    }
                })
                .collect(),
        ));
    }
    let set = stance::TrainingSet::new(articles, &registry)?;
    // The library's own training, as `stance train` runs it (cross-validation, the calibration
    // and the temperature scales it stores, then the fit on everything).
    let (mut model, cv) = match t.folds {
        Some(k) => {
            let opts = stance::pipeline::CvOptions {
                folds: k,
                seed: t.seed,
                group_by: t.group_by.map(str::to_string),
            };
            let (m, cv) = Model::train_with_cv(&set, &cfg, &opts)?;
            (m, Some(cv))
        }
        None => (Model::train(&set, &cfg, t.seed)?, None),
    };
    model.name = t.name.map(str::to_string);
    let mut warnings = set.warnings.clone();
    if let Some(cv) = &cv {
        if cv.unconverged > 0 {
            warnings.push(format!(
                "{} of the cross-validation fits stopped at max_iterations before converging",
                cv.unconverged
            ));
        }
    }
    Ok(Trained { model, warnings })
}
