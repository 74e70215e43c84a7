//! Our sparse trainer against linfa-logistic's `MultiLogisticRegression` on the same problems:
//! the same loss and solver must reach the same weights.
//!
//! Tolerance: weights within 1e-6 and probabilities within 1e-7 (measured: about 1e-11).

use linfa::prelude::*;
use ndarray::{Array1, Array2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use stance::context::{context, Analysis, ContextConfig};
use stance::corpus::{read_labeled, ReadOptions};
use stance::features::{Doc, FeatureConfig, Featurizer, Scratch};
use stance::model::{ClassWeight, Classifier, Csr, LogisticConfig, Solver};
use stance::{Registry, TrainingSet};

/// Max |a - b| over weights and intercepts, and over predicted probabilities of `x`.
fn compare(x: &Array2<f64>, y: &Array1<usize>, alpha: f64) -> (f64, f64, Classifier) {
    let k = y.iter().max().unwrap() + 1;
    let classes: Vec<String> = (0..k).map(|c| c.to_string()).collect();
    let csr = Csr::from_dense(x);
    let cfg = LogisticConfig {
        alpha,
        class_weight: ClassWeight::None,
        max_iterations: 100,
        // linfa's default tolerance (1e-4 on the summed loss's gradient) in our units, which
        // are per example.
        gradient_tolerance: 1e-4 / x.nrows() as f64,
        ..LogisticConfig::default()
    };
    let ours = Classifier::fit(&csr, &y.to_vec(), classes.clone(), &cfg).unwrap();
    let theirs = linfa_logistic::MultiLogisticRegression::default()
        .alpha(alpha)
        .max_iterations(100)
        .fit(&Dataset::new(x.clone(), y.clone()))
        .unwrap();
    let mut wdiff: f64 = 0.0;
    for (col, &c) in theirs.classes().iter().enumerate() {
        for j in 0..x.ncols() {
            wdiff = wdiff.max((ours.weight(j, c) - theirs.params()[[j, col]]).abs());
        }
        wdiff = wdiff.max((ours.intercept[c] - theirs.intercept()[col]).abs());
    }
    let probs = theirs.predict_probabilities(x);
    let mut pdiff: f64 = 0.0;
    for i in 0..x.nrows() {
        let row = stance::features::SparseVec {
            idx: (0..x.ncols() as u32).collect(),
            val: x.row(i).to_vec(),
        };
        let p = ours.probabilities(&row);
        for (col, &c) in theirs.classes().iter().enumerate() {
            pdiff = pdiff.max((p[c] - probs[[i, col]]).abs());
        }
    }
    // Our own linfa path (Solver::Linfa) must give linfa's weights exactly.
    let via = Classifier::fit(
        &csr,
        &y.to_vec(),
        classes,
        &LogisticConfig {
            solver: Solver::Linfa,
            ..cfg
        },
    )
    .unwrap();
    for (col, &c) in theirs.classes().iter().enumerate() {
        for j in 0..x.ncols() {
            assert_eq!(via.weight(j, c), theirs.params()[[j, col]]);
        }
    }
    (wdiff, pdiff, ours)
}

#[test]
fn agrees_with_linfa_on_random_sparse_problems() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    for (n, d, k, alpha) in [(60, 20, 3, 1.0), (120, 40, 4, 0.3), (80, 15, 2, 0.1)] {
        let mut x = Array2::<f64>::zeros((n, d));
        let mut y = Array1::<usize>::zeros(n);
        for i in 0..n {
            y[i] = i % k;
            for j in 0..d {
                if rng.gen_bool(0.2) || j % k == y[i] && rng.gen_bool(0.5) {
                    x[[i, j]] = rng.gen_range(0.1..1.0);
                }
            }
            let norm = x.row(i).dot(&x.row(i)).sqrt().max(1e-12);
            x.row_mut(i).mapv_inplace(|v| v / norm);
        }
        let (w, p, ours) = compare(&x, &y, alpha);
        assert!(ours.report.converged, "did not converge: {:?}", ours.report);
        assert!(w < 1e-6, "n={n} d={d} k={k}: weights differ by {w}");
        assert!(p < 1e-7, "n={n} d={d} k={k}: probabilities differ by {p}");
    }
}

#[test]
fn agrees_with_linfa_on_tfidf_contexts_of_the_starter_corpus() {
    let (articles, _) =
        read_labeled(&["data/articles.jsonl".into()], &ReadOptions::default()).unwrap();
    let reg = Registry::from_toml_file(std::path::Path::new("data/actors.toml")).unwrap();
    let set = TrainingSet::new(articles.into_iter().take(60).collect(), &reg).unwrap();
    let cfg = ContextConfig::default();
    let analyses: Vec<Analysis> = set
        .articles
        .iter()
        .map(|a| Analysis::new(&a.article.text, &set.registry))
        .collect();
    let contexts: Vec<_> = set
        .examples
        .iter()
        .map(|e| context(&analyses[e.article], set.registry.index(&e.actor), &cfg))
        .collect();
    let docs: Vec<Doc> = set
        .examples
        .iter()
        .zip(&contexts)
        .map(|(e, c)| Doc {
            analysis: &analyses[e.article],
            pieces: &c.pieces,
            actor: None,
        })
        .collect();
    let fcfg = FeatureConfig {
        max_features: Some(1500),
        ..FeatureConfig::default()
    };
    let f = Featurizer::fit(&fcfg, &docs).unwrap();
    let mut s = Scratch::default();
    let mut x = Array2::<f64>::zeros((docs.len(), f.len()));
    for (i, d) in docs.iter().enumerate() {
        let v = f.transform(*d, &mut s);
        for (&j, &val) in v.idx.iter().zip(&v.val) {
            x[[i, j as usize]] = val;
        }
    }
    let y = Array1::from(set.examples.iter().map(|e| e.label).collect::<Vec<_>>());
    let (w, p, _) = compare(&x, &y, 1.0);
    eprintln!(
        "{} examples x {} features: max weight diff {w:.2e}, max probability diff {p:.2e}",
        x.nrows(),
        x.ncols()
    );
    assert!(w < 1e-6, "weights differ by {w}");
    assert!(p < 1e-7, "probabilities differ by {p}");
}
