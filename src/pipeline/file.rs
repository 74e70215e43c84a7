//! The model file: one versioned, self-describing JSON document holding the settings, the
//! actors, the featurizer (vocabulary and IDF), both classifiers and the training facts, with
//! a SHA-256 checksum of everything before it. Saving writes a temporary file and renames it
//! over the target ([`crate::output`]), so an interrupted save never leaves a half-written
//! model.

use super::{ModelIdentity, StanceModel, TaskModel, TrainConfig, TrainingInfo};
use crate::actors::{Actor, Registry};
use crate::classifier::{Classify, TaskClassifier};
use crate::error::{Error, Result};
use crate::features::{Featurizer, FeaturizerFile};
use crate::labels::Task;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The model file: versioned, self-describing JSON.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelFile {
    /// Always `"stance-model"`.
    pub format: String,
    /// The format version.
    pub version: u32,
    /// The version of stance that wrote it.
    pub tool_version: String,
    /// The model's name, given at training (by default the name of the file it was saved
    /// to): score records carry it, so it names the model wherever the file is copied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The training settings.
    pub config: TrainConfig,
    /// The actors.
    pub actors: Vec<Actor>,
    /// The featurizer: settings, feature names, IDF.
    pub featurizer: FeaturizerFile,
    /// The stance classifier.
    pub stance: TaskClassifier,
    /// The sentiment classifier.
    pub sentiment: Option<TaskClassifier>,
    /// Facts about the training.
    pub training: TrainingInfo,
    /// SHA-256 of the file's bytes before this field, written last by [`StanceModel::save`].
    #[serde(default, skip_serializing)]
    pub checksum: Option<String>,
}

const CHECKSUM_KEY: &[u8] = b",\"checksum\":\"";

/// Lower-case hexadecimal of bytes.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(2 * bytes.len());
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// The bytes of the shipped model.
pub const BUILTIN_MODEL: &[u8] = include_bytes!("../../models/default.json");
/// The real-use evaluation of the built-in model's training procedure
/// (`stance simulate --format json` on `data/`): the expected errors `stance compare` prints.
pub const BUILTIN_REAL_USE: &[u8] = include_bytes!("../../models/default.real-use.json");
/// How messages name the built-in model, where a model file's path would stand. Score records
/// do not carry it: they carry the name stored in the model itself (`"default"` for this one).
pub const BUILTIN_NAME: &str = "built-in model (models/default.json)";

/// The format name at the head of every model file.
pub const MODEL_FORMAT: &str = "stance-model";
/// The format version this tool writes and reads.
pub const MODEL_VERSION: u32 = 1;

impl StanceModel {
    /// The model as its file holds it.
    pub fn to_file(&self) -> ModelFile {
        ModelFile {
            format: MODEL_FORMAT.into(),
            version: MODEL_VERSION,
            tool_version: env!("CARGO_PKG_VERSION").into(),
            name: self.name.clone(),
            config: self.config.clone(),
            actors: self.registry.actors().to_vec(),
            featurizer: self.featurizer.to_file(),
            stance: self.stance.classifier.clone(),
            sentiment: self.sentiment.as_ref().map(|s| s.classifier.clone()),
            training: self.info.clone(),
            checksum: None,
        }
    }

    /// Writes the model as JSON to `path`, whole or not at all ([`crate::output`]): into a
    /// temporary file beside it, renamed over it when complete, so an interrupted save never
    /// leaves a half-written model. A symbolic link is written through; anything but a
    /// regular file (a device, a FIFO, a folder) is refused.
    pub fn save(&self, path: &std::path::Path) -> Result<()> {
        let (body, _) = self.file_bytes().map_err(|e| Error::io(path, e))?;
        crate::output::write_atomic(path, &body, crate::output::Target::File)
    }

    /// The bytes of the model file and their checksum: the JSON of [`StanceModel::to_file`]
    /// with, last, the SHA-256 of every byte before it, so any later change is noticed.
    pub fn file_bytes(&self) -> std::io::Result<(Vec<u8>, String)> {
        let mut body = serde_json::to_vec(&self.to_file())?;
        body.pop(); // the closing brace
        let sum = sha256_hex(&body);
        body.extend_from_slice(CHECKSUM_KEY);
        body.extend_from_slice(sum.as_bytes());
        body.extend_from_slice(b"\"}\n");
        Ok((body, sum))
    }

    /// Adds the actors of `extra` to those the model looks for, without retraining: an actor
    /// the model knows gets `extra`'s aliases beside its own, a new actor is matched by its
    /// name, aliases and (unless the model matches verbatim) automatic name forms. A new
    /// actor is scorable because its mentions become the target marker in its context; the
    /// model has no actor-prior (nor per-actor) weight for it, so its score comes from the
    /// context's words and markers alone, as for an actor with a neutral prior. The model's
    /// identity (its file's checksum, carried by score records) stays that of its file: the
    /// classifier is the same. Fails where an alias would name two actors.
    pub fn add_actors(&mut self, extra: &Registry) -> Result<()> {
        self.identity();
        self.registry = self.registry.merged(extra)?;
        Ok(())
    }

    /// Which model this is: the checksum of its file (computed once, for a model that was
    /// not read from a file) and the name written in it.
    pub fn identity(&self) -> &ModelIdentity {
        self.identity.get_or_init(|| ModelIdentity {
            name: self.name.clone(),
            checksum: self.file_bytes().map(|(_, sum)| sum).unwrap_or_default(),
        })
    }

    /// The shipped model (`models/default.json`, trained on `data/` by the command in the
    /// README), built into the library so that it is there wherever the binary runs.
    pub fn builtin() -> StanceModel {
        Self::from_bytes(BUILTIN_MODEL, BUILTIN_NAME)
            .expect("the built-in model is checked by the tests")
    }

    /// Reads and checks a model file. What cannot be a model is refused before it is read
    /// whole (a file that does not open with `{`, such as `/dev/zero` or a zip file), and no
    /// more than [`MAX_MODEL_BYTES`] are read.
    pub fn load(path: &std::path::Path) -> Result<StanceModel> {
        use std::io::Read;
        let name = path.display().to_string();
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let mut r = file.take(MAX_MODEL_BYTES + 1);
        let mut bytes = Vec::new();
        let mut head = [0u8; 4096];
        let n = read_full(&mut r, &mut head).map_err(|e| Error::io(path, e))?;
        bytes.extend_from_slice(&head[..n]);
        if let Some(&b) = bytes.iter().find(|b| !b.is_ascii_whitespace()) {
            if b != b'{' {
                return Err(Error::model(
                    &name,
                    format!(
                        "not a readable model file: it opens with byte 0x{b:02x}, not with '{{' (a model file is JSON written by `stance train`)"
                    ),
                ));
            }
        }
        r.read_to_end(&mut bytes).map_err(|e| Error::io(path, e))?;
        if bytes.len() as u64 > MAX_MODEL_BYTES {
            return Err(Error::model(
                &name,
                format!("larger than {MAX_MODEL_BYTES} bytes, the most a model file may be"),
            ));
        }
        Self::from_bytes(&bytes, &name)
    }

    /// Reads and checks a model from the bytes of a model file (`name` for messages).
    pub fn from_bytes(bytes: &[u8], name: &str) -> Result<StanceModel> {
        check_header(bytes, name)?;
        let f: ModelFile = serde_json::from_slice(bytes)
            .map_err(|e| Error::model(name, format!("bad model file: {e}")))?;
        let stored = f.checksum.clone();
        let model = Self::from_file(f).map_err(|e| match e {
            Error::Model { .. } => e,
            other => Error::model(name, other.to_string()),
        })?;
        // Last, the checksum: the shape checks above name a hand edit more precisely.
        check_checksum(bytes, name, stored, &model)?;
        Ok(model)
    }

    /// Builds a model from a parsed model file, checking every part against the others.
    pub fn from_file(f: ModelFile) -> Result<StanceModel> {
        let featurizer = Featurizer::from_file(f.featurizer)?;
        let check = |c: &TaskClassifier, what: Task| -> Result<()> {
            c.check()
                .map_err(|m| Error::Config(format!("{what} classifier: {m}")))?;
            if c.n_features() != featurizer.len() {
                return Err(Error::Config(format!(
                    "{what} classifier has {} features but the featurizer has {}",
                    c.n_features(),
                    featurizer.len()
                )));
            }
            Ok(())
        };
        check(&f.stance, Task::Stance)?;
        if let Some(s) = &f.sentiment {
            check(s, Task::Sentiment)?;
        }
        check_training(&f.training, f.stance.classes(), featurizer.len())?;
        let registry = Registry::with_options(
            f.actors,
            crate::language::code_of(&f.config.features.language),
            f.config.context.name_forms,
        )?;
        f.config.check()?;
        let stance = TaskModel::new(Task::Stance, f.stance, &f.config.polarity)?;
        let sentiment = f
            .sentiment
            .map(|s| TaskModel::new(Task::Sentiment, s, &f.config.polarity))
            .transpose()?;
        let scales = f.training.scales;
        let mut model = StanceModel {
            config: f.config,
            registry,
            featurizer,
            stance,
            sentiment,
            info: f.training,
            name: f.name,
            identity: std::sync::OnceLock::new(),
        };
        model.set_scales(scales);
        Ok(model)
    }
}

/// The most bytes a model file may have (a model of a million features and a dozen labels
/// is well under it).
pub const MAX_MODEL_BYTES: u64 = 1 << 30;

/// Reads until `buf` is full or the input ends; the number of bytes read.
fn read_full(r: &mut impl std::io::Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Checks the training facts against the rest of the model: the out-of-fold predictions
/// (which `compare` indexes by class and example) and the actor profiles (which `explain`
/// indexes by feature).
fn check_training(t: &TrainingInfo, classes: &[String], n_features: usize) -> Result<()> {
    if let Some(c) = &t.calibration {
        check_calibration(c, classes).map_err(|m| {
            Error::Config(format!(
                "calibration (training.calibration, the out-of-fold predictions): {m}"
            ))
        })?;
    }
    for (actor, profile) in &t.actor_profiles {
        for (i, &(j, v)) in profile.iter().enumerate() {
            if j as usize >= n_features || !v.is_finite() {
                return Err(Error::Config(format!(
                    "training.actor_profiles: entry {} of actor \"{actor}\" is ({j}, {v}): the feature must be below {n_features} and the value finite",
                    i + 1
                )));
            }
        }
    }
    Ok(())
}

/// The out-of-fold predictions must be of the stance classifier's classes, in its order,
/// with one true label (a class index) and one probability row (summing to 1) per example.
pub fn check_calibration(
    c: &crate::quantify::Calibration,
    classes: &[String],
) -> std::result::Result<(), String> {
    if c.classes != classes {
        return Err(format!(
            "its classes ({}) are not the stance classifier's ({})",
            c.classes.join(", "),
            classes.join(", ")
        ));
    }
    let k = c.classes.len();
    if c.truth.is_empty() {
        return Err("it holds no examples (leave it out for a model without them)".into());
    }
    if let Some((i, t)) = c.truth.iter().enumerate().find(|(_, &t)| t as usize >= k) {
        return Err(format!(
            "the true label of example {} is {t}, but there are {k} classes (0 to {})",
            i + 1,
            k - 1
        ));
    }
    let want = c.truth.len().checked_mul(k);
    if want != Some(c.probabilities.len()) {
        return Err(format!(
            "{} probabilities for {} examples of {k} classes (need {})",
            c.probabilities.len(),
            c.truth.len(),
            want.map_or("more than can be held".to_string(), |w| w.to_string())
        ));
    }
    for (i, row) in c.probabilities.chunks(k).enumerate() {
        let ok = row.iter().all(|p| p.is_finite() && (0.0..=1.0).contains(p))
            && (row.iter().sum::<f64>() - 1.0).abs() <= 1e-3;
        if !ok {
            return Err(format!(
                "the probabilities of example {} ({row:?}) are not between 0 and 1 summing to 1",
                i + 1
            ));
        }
    }
    Ok(())
}

/// Reads the header first, so a wrong or newer format is named as such rather than as a
/// missing field.
fn check_header(bytes: &[u8], name: &str) -> Result<()> {
    #[derive(Deserialize)]
    struct Header {
        format: Option<String>,
        version: Option<u32>,
        tool_version: Option<String>,
    }
    let header: Header = serde_json::from_slice(bytes).map_err(|e| {
        Error::model(
            name,
            format!(
                "not a readable model file (JSON error at line {}, column {}: {e}); was it truncated or edited?",
                e.line(),
                e.column()
            ),
        )
    })?;
    if header.format.as_deref() != Some(MODEL_FORMAT) {
        return Err(Error::model(
            name,
            format!(
                "not a stance model (format is {:?}, expected \"{MODEL_FORMAT}\")",
                header.format.unwrap_or_default()
            ),
        ));
    }
    match header.version {
        Some(MODEL_VERSION) => {}
        Some(v) if v > MODEL_VERSION => {
            return Err(Error::model(
                name,
                format!(
                    "format version {v} is newer than this tool reads ({MODEL_VERSION}); it was written by stance {}; upgrade stance",
                    header.tool_version.unwrap_or_else(|| "?".into())
                ),
            ))
        }
        Some(v) => {
            return Err(Error::model(
                name,
                format!(
                    "format version {v} is not one this tool reads (it reads {MODEL_VERSION})"
                ),
            ))
        }
        None => {
            return Err(Error::model(
                name,
                format!(
                    "no format version (\"version\" is missing; this tool reads version {MODEL_VERSION}): not a file written by `stance train`?"
                ),
            ))
        }
    }
    Ok(())
}

/// The stored checksum must cover every byte before it, with nothing after it but a line end,
/// and equal the SHA-256 of those bytes (which becomes the model's identity).
fn check_checksum(
    bytes: &[u8],
    name: &str,
    stored: Option<String>,
    model: &StanceModel,
) -> Result<()> {
    let end = bytes
        .windows(CHECKSUM_KEY.len())
        .rposition(|w| w == CHECKSUM_KEY);
    match (stored, end) {
        (Some(stored), Some(end))
            if bytes
                .len()
                .saturating_sub(end + CHECKSUM_KEY.len() + stored.len() + 2)
                > 2 =>
        {
            // The checksum covers every byte before it: whatever follows it (beyond a line
            // end) is not covered, so it is refused rather than trusted.
            let after = bytes.len() - (end + CHECKSUM_KEY.len() + stored.len() + 2);
            return Err(Error::model(
                name,
                format!(
                    "{after} bytes after the checksum, which covers only what comes before it; was something appended? retrain or restore the file"
                ),
            ));
        }
        (Some(stored), Some(end)) => {
            let actual = sha256_hex(&bytes[..end]);
            let _ = model.identity.set(ModelIdentity {
                name: model.name.clone(),
                checksum: actual.clone(),
            });
            if actual != stored {
                return Err(Error::model(
                    name,
                    format!(
                        "checksum mismatch: the file was changed or damaged after it was written (stored {}…, computed {}…); retrain or restore it",
                        &stored.get(..12).unwrap_or(&stored),
                        &actual[..12]
                    ),
                ));
            }
        }
        _ => {
            return Err(Error::model(
                name,
                "no checksum: the file was not written by `stance train` (or was cut short)",
            ))
        }
    }
    Ok(())
}
