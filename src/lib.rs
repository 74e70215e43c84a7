//! `stance`: the stance of news articles toward the actors they name, and their sentiment.
//!
//! The pipeline, one module per stage in the order data flows:
//!
//! ```text
//! text ─► words, sentences ─► actor mentions ─► actor contexts ─► TF-IDF vectors ─► classifier ─► scores ─► comparison
//!         text                actors            context           features          classifier,   pipeline   compare,
//!                                                                                   model                    quantify
//! ```
//!
//! [`corpus`] reads articles in every input format; [`labels`] names the two tasks and their
//! label sets; [`pipeline`] trains, scores and saves models; [`evaluate`] (with [`cv`] and
//! [`metrics`]) cross-validates; [`stream`] scores a stream of records in parallel and in
//! order, writing [`scores`]; [`quantify`] estimates label shares per group and [`compare`]
//! compares sources and months; [`report`] writes the HTML page; [`tune`] chooses settings.
//!
//! Score an article with the model built into the library:
//!
//! ```
//! use stance::{Article, ScoreOptions, StanceModel};
//!
//! let model = StanceModel::builtin();
//! let article = Article::new(
//!     "a1",
//!     "The Kremlin was condemned for a brutal strike on Kyiv. Ukraine's defenders were praised.",
//! );
//! let score = model.score(&article, &ScoreOptions::default());
//! let actors: Vec<&str> = score.actors.iter().map(|a| a.actor.as_str()).collect();
//! assert_eq!(actors, ["Russia", "Ukraine"]);
//! let russia = &score.actors[0];
//! assert_eq!(russia.mentions, 1);
//! assert!((russia.probabilities.values().sum::<f64>() - 1.0).abs() < 1e-9);
//! ```
//!
//! Train a model of your own (here on four articles, without cross-validation):
//!
//! ```
//! use stance::{Article, LabeledArticle, Registry, StanceModel, TrainConfig, TrainingSet};
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
//! let mut scorer = model.scorer(Default::default());
//! let score = scorer.score(&Article::new("new", "Critics condemned Tehran for a brutal attack."));
//! assert_eq!(score.actors[0].actor, "Iran");
//! assert_eq!(score.actors[0].label, "against");
//! ```

#![warn(missing_docs)]

pub mod actors;
pub mod auto;
pub mod classifier;
pub mod compare;
pub mod context;
pub mod corpus;
pub mod cv;
pub mod error;
pub mod evaluate;
pub mod features;
pub mod label;
pub mod labels;
pub mod language;
pub mod lbfgs;
pub mod metrics;
pub mod model;
pub mod output;
pub mod pipeline;
#[cfg(feature = "charts")]
pub mod plot;
pub mod quantify;
pub mod report;
pub mod scores;
pub mod stream;
pub mod text;
pub mod tokens;
pub mod tune;

pub use actors::{Actor, Registry};
pub use corpus::{Article, LabeledArticle};
pub use error::{Error, Result};
pub use labels::{LabelSet, Task};
pub use pipeline::{ArticleScore, ScoreOptions, Scorer, StanceModel, TrainConfig, TrainingSet};
