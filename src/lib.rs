//! `stance`: the stance of news articles toward the actors they name, and their sentiment.
//!
//! The pipeline, one module per stage in the order data flows:
//!
//! text ([`text`]) → actor mentions ([`actors`]) → actor contexts ([`context`]) → TF-IDF vectors
//! ([`features`]) → multinomial logistic model ([`model`]) → trained pipeline and scores
//! ([`pipeline`]) → evaluation ([`cv`], [`metrics`], [`evaluate`]) → comparison of sources and
//! periods ([`compare`]). [`corpus`] reads and writes articles in every input format.
//!
//! ```
//! use stance::{Article, LabeledArticle, Registry, StanceModel, TrainConfig, TrainingSet};
//! use stance::pipeline::ScoreOptions;
//!
//! let registry = Registry::from_toml_str(
//!     "[[actor]]\nname = \"Iran\"\naliases = [\"Tehran\"]\n",
//! ).unwrap();
//! let labeled = |id: &str, text: &str, label: &str| LabeledArticle {
//!     article: Article::new(id, text),
//!     stance: vec![("Iran".to_string(), label.to_string())],
//!     ..LabeledArticle::default()
//! };
//! let set = TrainingSet::new(vec![
//!     labeled("1", "Iran praised for a brave and welcome peace offer.", "favor"),
//!     labeled("2", "Tehran condemned for a reckless and brutal attack.", "against"),
//!     labeled("3", "Iran welcomed as a brave partner for peace.", "favor"),
//!     labeled("4", "Tehran blamed for brutal, reckless strikes.", "against"),
//! ], &registry).unwrap();
//! let mut cfg = TrainConfig::default();
//! cfg.features.min_df = 1;
//! let model = StanceModel::train(&set, &cfg, 42).unwrap();
//! let score = model.score(
//!     &Article::new("new", "Critics condemned Tehran for a brutal attack."),
//!     &ScoreOptions::default(),
//!     &mut Default::default(),
//! );
//! assert_eq!(score.actors[0].actor, "Iran");
//! assert_eq!(score.actors[0].label, "against");
//! ```

pub mod actors;
pub mod compare;
pub mod context;
pub mod corpus;
pub mod cv;
pub mod error;
pub mod evaluate;
pub mod features;
pub mod label;
pub mod metrics;
pub mod model;
pub mod pipeline;
pub mod plot;
pub mod quantify;
pub mod report;
pub mod text;
pub mod tune;

pub use actors::{Actor, Registry};
pub use corpus::{Article, LabeledArticle};
pub use error::{Error, Result};
pub use pipeline::{ArticleScore, StanceModel, TrainConfig, TrainingSet};
