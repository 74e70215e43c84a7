//! BayesianCC (Ziegler and Czyż 2023): the label shares of a group as the posterior of a
//! model in which each article's true label is drawn from the shares and its predicted label
//! from the classifier's confusion row for that true label. The confusion rows are learned
//! jointly from the out-of-fold counts (labeled) and the group's predicted-label counts
//! (unlabeled), so a confusion matrix estimated from few examples widens the posterior, and a
//! small group gives a wide one: the interval can never claim a certainty the counts do not
//! hold. Sampled by Gibbs sampling with conjugate Dirichlet draws.
//!
//! Hand-written: no maintained Rust crate implements this estimator; it is forty lines over
//! `rand_distr`'s Gamma and Binomial.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Binomial, Distribution, Gamma, Hypergeometric};

/// Settings of the sampler.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sampler {
    /// Draws kept after the burn-in.
    pub draws: usize,
    /// Draws discarded first.
    pub burn_in: usize,
    /// Dirichlet concentration of the prior on the shares (per label).
    pub prior: f64,
}

impl Default for Sampler {
    fn default() -> Self {
        Sampler {
            draws: 1000,
            burn_in: 300,
            prior: 1.0,
        }
    }
}

/// Posterior draws of the label shares. `confusion[t][c]`: out-of-fold examples of true label
/// `t` predicted as `c`; `observed[c]`: the group's articles predicted as `c`.
pub fn posterior(
    confusion: &[Vec<f64>],
    observed: &[f64],
    s: &Sampler,
    rng: &mut ChaCha8Rng,
) -> Vec<Vec<f64>> {
    let k = observed.len();
    let mut shares = vec![1.0 / k as f64; k];
    let mut theta: Vec<Vec<f64>> = confusion
        .iter()
        .map(|row| normalise(row.iter().map(|x| x + 1.0).collect()))
        .collect();
    let mut out = Vec::with_capacity(s.draws);
    // Latent counts: z[t][c] = group articles of true label t predicted as c.
    let mut z = vec![vec![0.0; k]; k];
    for it in 0..s.burn_in + s.draws {
        for c in 0..k {
            let w: Vec<f64> = (0..k).map(|t| shares[t] * theta[t][c]).collect();
            let counts = multinomial(observed[c].round() as u64, &w, rng);
            for t in 0..k {
                z[t][c] = counts[t] as f64;
            }
        }
        shares = dirichlet(
            &(0..k)
                .map(|t| s.prior + z[t].iter().sum::<f64>())
                .collect::<Vec<_>>(),
            rng,
        );
        for t in 0..k {
            theta[t] = dirichlet(
                &(0..k)
                    .map(|c| 1.0 + confusion[t][c] + z[t][c])
                    .collect::<Vec<_>>(),
                rng,
            );
        }
        if it >= s.burn_in {
            out.push(shares.clone());
        }
    }
    out
}

fn normalise(v: Vec<f64>) -> Vec<f64> {
    let total: f64 = v.iter().sum();
    v.into_iter().map(|x| x / total).collect()
}

/// A draw from the Dirichlet distribution with concentrations `alpha` (all positive).
pub(crate) fn dirichlet(alpha: &[f64], rng: &mut ChaCha8Rng) -> Vec<f64> {
    let g: Vec<f64> = alpha
        .iter()
        .map(|&a| {
            Gamma::new(a, 1.0)
                .expect("concentrations are positive")
                .sample(rng)
        })
        .collect();
    let total: f64 = g.iter().sum();
    if total > 0.0 {
        g.into_iter().map(|x| x / total).collect()
    } else {
        // Every gamma draw underflowed (tiny concentrations): a vertex, chosen by weight.
        let pick = rng.gen_range(0..alpha.len());
        (0..alpha.len()).map(|i| (i == pick) as u8 as f64).collect()
    }
}

/// `n` trials spread over categories of weights `w` (not necessarily normalised), by a chain
/// of binomial draws.
pub(crate) fn multinomial(n: u64, w: &[f64], rng: &mut ChaCha8Rng) -> Vec<u64> {
    let mut left = n;
    let mut rest: f64 = w.iter().sum();
    let mut out = vec![0; w.len()];
    for (i, &wi) in w.iter().enumerate() {
        if left == 0 {
            break;
        }
        if i + 1 == w.len() || rest <= 0.0 {
            out[i] = left;
            break;
        }
        let p = (wi / rest).clamp(0.0, 1.0);
        let x = Binomial::new(left, p).expect("p is in [0, 1]").sample(rng);
        out[i] = x;
        left -= x;
        rest -= wi;
    }
    out
}

/// `n` draws without replacement from categories of `counts` items each (all of them when
/// `n` is more): how many of each category are drawn, by a chain of hypergeometric draws.
pub(crate) fn hypergeometric(n: u64, counts: &[u64], rng: &mut ChaCha8Rng) -> Vec<u64> {
    let mut total: u64 = counts.iter().sum();
    let mut left = n.min(total);
    let mut out = vec![0; counts.len()];
    for (i, &c) in counts.iter().enumerate() {
        if left == 0 {
            break;
        }
        if c == total {
            out[i] = left;
            break;
        }
        if c == 0 {
            continue;
        }
        let x = hypergeometric1(total, c, left, rng);
        out[i] = x;
        left -= x;
        total -= c;
    }
    out
}

/// Of `total` items, `marked` of them marked, how many of `draws` drawn without replacement
/// are marked (`marked` and `draws` at most `total`). One draw at a time when either is
/// small (exact; rand_distr's sampler also refuses large populations with few marked items,
/// whose starting probability underflows), else rand_distr's.
fn hypergeometric1(total: u64, marked: u64, draws: u64, rng: &mut ChaCha8Rng) -> u64 {
    const ONE_BY_ONE: u64 = 32;
    let sampler = match marked.min(draws) {
        small if small <= ONE_BY_ONE => None,
        _ => Hypergeometric::new(total, marked, draws).ok(),
    };
    if let Some(h) = sampler {
        return h.sample(rng);
    }
    // The count is symmetric in the marked items and the draws (marked items drawn = draws
    // of marked items), so go through the fewer of the two: each is one of the others with
    // the chance others left / items left.
    let (few, mut many) = (marked.min(draws), marked.max(draws));
    let (mut left, mut hits) = (total, 0);
    for _ in 0..few {
        if many > 0 && rng.gen_range(0..left) < many {
            hits += 1;
            many -= 1;
        }
        left -= 1;
    }
    hits
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn mean(draws: &[Vec<f64>], c: usize) -> f64 {
        draws.iter().map(|d| d[c]).sum::<f64>() / draws.len() as f64
    }

    #[test]
    fn a_perfect_classifier_gives_the_beta_posterior_of_the_counts() {
        // No confusion in 1,000 labeled examples: the predicted counts are the true counts, and
        // the posterior of the shares is Dirichlet(1 + counts): for 30 of 100 articles in the
        // first label, Beta(31, 71), mean 31/102 = 0.3039, sd sqrt(31·71 / (102²·103)) = 0.0453.
        let confusion = vec![vec![500.0, 0.0], vec![0.0, 500.0]];
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let draws = posterior(
            &confusion,
            &[30.0, 70.0],
            &Sampler {
                draws: 20_000,
                ..Sampler::default()
            },
            &mut rng,
        );
        let m = mean(&draws, 0);
        let sd =
            (draws.iter().map(|d| (d[0] - m).powi(2)).sum::<f64>() / draws.len() as f64).sqrt();
        assert!((m - 31.0 / 102.0).abs() < 0.003, "{m}");
        assert!((sd - 0.0453).abs() < 0.003, "{sd}");
    }

    #[test]
    fn known_confusion_is_inverted() {
        // The classifier calls 20% of true "a" as "b" and 10% of "b" as "a", learned from 10,000
        // examples of each; a group of 10,000 observed as (0.31, 0.69) had true shares
        // (0.3, 0.7) (as in the adjustment's hand-worked test).
        let confusion = vec![vec![8000.0, 2000.0], vec![1000.0, 9000.0]];
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let draws = posterior(&confusion, &[3100.0, 6900.0], &Sampler::default(), &mut rng);
        assert!((mean(&draws, 0) - 0.3).abs() < 0.01, "{}", mean(&draws, 0));
    }

    #[test]
    fn six_articles_never_give_a_zero_width_interval() {
        // Six articles all predicted "favor": the posterior must still leave room for a sizeable
        // share of other labels (the uniform prior alone gives P(other) a mean of 2/9).
        let confusion = vec![
            vec![40.0, 5.0, 5.0],
            vec![10.0, 30.0, 10.0],
            vec![5.0, 5.0, 40.0],
        ];
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut draws: Vec<f64> =
            posterior(&confusion, &[6.0, 0.0, 0.0], &Sampler::default(), &mut rng)
                .iter()
                .map(|d| d[0])
                .collect();
        draws.sort_by(f64::total_cmp);
        let lo = crate::quantify::quantile(&draws, 0.025);
        let hi = crate::quantify::quantile(&draws, 0.975);
        assert!(hi - lo > 0.3, "{lo} … {hi}");
    }

    #[test]
    fn hypergeometric_draws_stay_within_the_counts_with_the_expected_means() {
        // 40 of 100 items: category means n·c/N = 4, 0, 12, 24; never more than a category
        // holds; drawing everything or more draws every item.
        let counts = [10u64, 0, 30, 60];
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let mut sum = [0.0; 4];
        let reps = 20_000;
        for _ in 0..reps {
            let x = hypergeometric(40, &counts, &mut rng);
            assert_eq!(x.iter().sum::<u64>(), 40);
            assert!(x.iter().zip(&counts).all(|(a, c)| a <= c), "{x:?}");
            for (s, a) in sum.iter_mut().zip(&x) {
                *s += *a as f64 / reps as f64;
            }
        }
        for (s, want) in sum.iter().zip([4.0, 0.0, 12.0, 24.0]) {
            assert!((s - want).abs() < 0.05, "{sum:?}");
        }
        assert_eq!(hypergeometric(100, &counts, &mut rng), counts.to_vec());
        assert_eq!(hypergeometric(500, &counts, &mut rng), counts.to_vec());
        assert_eq!(hypergeometric(0, &counts, &mut rng), vec![0; 4]);
        // Large populations with a few items in a category (where rand_distr's sampler
        // refuses), and with many: the means stay n·c/N, the draws within the counts.
        let counts = [1u64, 3, 40, 5000, 12956];
        let mut sum = [0.0; 5];
        for _ in 0..2000 {
            let x = hypergeometric(9000, &counts, &mut rng);
            assert_eq!(x.iter().sum::<u64>(), 9000);
            assert!(x.iter().zip(&counts).all(|(a, c)| a <= c), "{x:?}");
            for (s, a) in sum.iter_mut().zip(&x) {
                *s += *a as f64 / 2000.0;
            }
        }
        for (s, c) in sum.iter().zip(counts) {
            let want = 9000.0 * c as f64 / 18000.0;
            assert!((s - want).abs() < 0.05 * want.max(1.0), "{sum:?}");
        }
    }
}
