//! What the search may spend: wall-clock time (`--budget 5m`), or a number of settings scored
//! (`--budget 40t`), which makes the search the same on any machine.

use std::fmt;
use std::time::{Duration, Instant};

/// The most trials a budget may ask for (far more than any search space here holds).
pub const MAX_TRIALS: usize = 100_000;

/// How much the search may spend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    /// Wall-clock time: a trial that would overrun it is skipped, and none starts once it is
    /// spent. Which settings are scored depends on the machine's speed and load.
    Time(Duration),
    /// Settings scored, the starting ones included: deterministic (the same data and seed
    /// give the same trials, the same winner and the same model on any machine).
    Trials(usize),
}

impl Default for Budget {
    fn default() -> Self {
        Budget::Time(Duration::from_secs(300))
    }
}

impl fmt::Display for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Budget::Time(d) => write!(f, "{:.0} s", d.as_secs_f64()),
            Budget::Trials(1) => write!(f, "1 trial"),
            Budget::Trials(n) => write!(f, "{n} trials"),
        }
    }
}

impl Budget {
    /// The time budget in seconds, if it is one.
    pub fn seconds(self) -> Option<f64> {
        match self {
            Budget::Time(d) => Some(d.as_secs_f64()),
            Budget::Trials(_) => None,
        }
    }

    /// The trial budget, if it is one.
    pub fn trials(self) -> Option<usize> {
        match self {
            Budget::Time(_) => None,
            Budget::Trials(n) => Some(n),
        }
    }

    /// The budget of each of `parts` searches sharing this one: time is divided among them;
    /// a trial count is not (each search is the procedure the final one repeats, so each gets
    /// the same count).
    pub fn share(self, parts: u32) -> Budget {
        match self {
            Budget::Time(d) => Budget::Time(d / parts.max(1)),
            Budget::Trials(n) => Budget::Trials(n),
        }
    }
}

/// Parses a budget: seconds (`90`, `90s`), minutes (`5m`), hours (`1h`), or trials (`40t`: 40
/// settings scored, the starting ones included).
pub fn parse_budget(s: &str) -> std::result::Result<Budget, String> {
    let t = s.trim();
    let (num, unit) = match t.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((i, _)) => (t[..i].trim(), &t[i..]),
        None => (t, "s"),
    };
    let expected = || {
        format!(
            "expected a time such as 90s, 5m or 1h (at most a week), or a number of settings \
             to score such as 40t, got \"{s}\""
        )
    };
    if matches!(unit, "t" | "trial" | "trials") {
        return match num.parse::<usize>() {
            Ok(0) => Err(format!(
                "a trial budget counts the starting settings too, so it is at least 1t, got \"{s}\""
            )),
            Ok(n) if n <= MAX_TRIALS => Ok(Budget::Trials(n)),
            Ok(_) => Err(format!(
                "a trial budget is at most {MAX_TRIALS}t, got \"{s}\""
            )),
            Err(_) if num.parse::<f64>().is_ok_and(|x| x > 0.0) => Err(format!(
                "a trial budget is a whole number of settings, such as 40t, got \"{s}\""
            )),
            Err(_) => Err(expected()),
        };
    }
    let scale = match unit {
        "s" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        _ => return Err(expected()),
    };
    match num.parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 && x * scale <= 7.0 * 86400.0 => {
            Ok(Budget::Time(Duration::from_secs_f64(x * scale)))
        }
        _ => Err(expected()),
    }
}

/// What the budget says of a cross-validation run the search wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allow {
    /// Run it.
    Run,
    /// Skip it (a time budget it would overrun); a cheaper one may still fit.
    Skip,
    /// The budget is spent: stop the search.
    Stop,
}

/// Wall-clock seconds a cross-validation run is expected to take, from the runs so far:
/// seconds per fold, kept apart for settings without and with character n-grams (several
/// times slower; with none of a kind measured yet, six times the other kind's, as measured
/// 4–10×).
#[derive(Debug, Clone, Default)]
pub struct Costs {
    /// (seconds, folds run), without and with character n-grams.
    per_fold: [(f64, usize); 2],
}

impl Costs {
    /// Records a run of `folds` folds with (`chars`) or without character n-grams.
    pub fn add(&mut self, chars: bool, folds: usize, seconds: f64) {
        let c = &mut self.per_fold[usize::from(chars)];
        c.0 += seconds;
        c.1 += folds;
    }

    /// The expected seconds of a run of `folds` folds (0 before any run).
    pub fn estimate(&self, chars: bool, folds: usize) -> f64 {
        let mean = |c: (f64, usize)| (c.1 > 0).then(|| c.0 / c.1 as f64);
        let i = usize::from(chars);
        let per = mean(self.per_fold[i])
            .or(mean(self.per_fold[1 - i]).map(|c| if chars { c * 6.0 } else { c / 6.0 }))
            .unwrap_or(0.0);
        per * folds as f64
    }
}

/// What the search has spent, against its budget.
#[derive(Debug, Clone)]
pub struct Spending {
    budget: Budget,
    clock: Instant,
    trials: usize,
}

impl Spending {
    /// Starts the clock.
    pub fn start(budget: Budget) -> Spending {
        Spending {
            budget,
            clock: Instant::now(),
            trials: 0,
        }
    }

    /// Whether a run expected to take `est` seconds may start; `new_trial` when it scores a
    /// setting not scored before (a trial budget counts those only).
    pub fn allow(&self, new_trial: bool, est: f64) -> Allow {
        match self.budget {
            Budget::Trials(n) => {
                if new_trial && self.trials >= n {
                    Allow::Stop
                } else {
                    Allow::Run
                }
            }
            Budget::Time(d) => {
                let elapsed = self.seconds();
                if elapsed >= d.as_secs_f64() {
                    Allow::Stop
                } else if elapsed + est > d.as_secs_f64() {
                    Allow::Skip
                } else {
                    Allow::Run
                }
            }
        }
    }

    /// Counts a setting scored.
    pub fn count_trial(&mut self) {
        self.trials += 1;
    }

    /// Seconds since the start.
    pub fn seconds(&self) -> f64 {
        self.clock.elapsed().as_secs_f64()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_parse_with_units_and_reject_nonsense() {
        let secs = |n| Ok(Budget::Time(Duration::from_secs(n)));
        assert_eq!(parse_budget("90"), secs(90));
        assert_eq!(parse_budget("90s"), secs(90));
        assert_eq!(parse_budget("5m"), secs(300));
        assert_eq!(parse_budget(" 2 min "), secs(120));
        assert_eq!(parse_budget("1.5h"), secs(5400));
        for bad in [
            "", "0", "-3m", "5x", "m", "10d", "1e9h", "8d", "t5", "inf s",
        ] {
            let e = parse_budget(bad).unwrap_err();
            assert!(e.contains(&format!("\"{bad}\"")), "{bad}: {e}");
            assert!(e.starts_with("expected a time such as 90s"), "{bad}: {e}");
            assert!(e.contains("such as 40t"), "{bad}: {e}");
        }
    }

    #[test]
    fn trial_budgets_are_whole_positive_counts() {
        assert_eq!(parse_budget("40t"), Ok(Budget::Trials(40)));
        assert_eq!(parse_budget("1t"), Ok(Budget::Trials(1)));
        assert_eq!(parse_budget("15 trials"), Ok(Budget::Trials(15)));
        assert_eq!(parse_budget("1trial"), Ok(Budget::Trials(1)));
        assert_eq!(parse_budget("100000t"), Ok(Budget::Trials(MAX_TRIALS)));
        let e = parse_budget("0t").unwrap_err();
        assert!(e.contains("at least 1t") && e.contains("\"0t\""), "{e}");
        let e = parse_budget("2.5t").unwrap_err();
        assert!(e.contains("whole number") && e.contains("\"2.5t\""), "{e}");
        let e = parse_budget("100001t").unwrap_err();
        assert!(e.contains("at most 100000t"), "{e}");
        for bad in ["-4t", "t", "xt", "4tt"] {
            let e = parse_budget(bad).unwrap_err();
            assert!(e.starts_with("expected a time"), "{bad}: {e}");
        }
    }

    #[test]
    fn a_trial_budget_counts_new_settings_only_and_is_not_shared_out() {
        let mut s = Spending::start(Budget::Trials(2));
        assert_eq!(s.allow(true, 1e9), Allow::Run);
        s.count_trial();
        s.count_trial();
        assert_eq!(s.allow(true, 0.0), Allow::Stop);
        // Finishing a setting already counted (the confirmation of a screened one) is free.
        assert_eq!(s.allow(false, 1e9), Allow::Run);
        assert_eq!(Budget::Trials(40).share(5), Budget::Trials(40));
        assert_eq!(
            Budget::Time(Duration::from_secs(100)).share(5),
            Budget::Time(Duration::from_secs(20))
        );
        let t = Spending::start(Budget::Time(Duration::from_secs(3600)));
        assert_eq!(t.allow(true, 10.0), Allow::Run);
        assert_eq!(t.allow(false, 7200.0), Allow::Skip);
        assert_eq!(Budget::Trials(40).to_string(), "40 trials");
        assert_eq!(Budget::Time(Duration::from_secs(90)).to_string(), "90 s");
    }

    #[test]
    fn costs_are_per_fold_and_guess_the_other_kind() {
        let mut c = Costs::default();
        assert_eq!(c.estimate(false, 5), 0.0);
        c.add(false, 5, 10.0);
        assert!((c.estimate(false, 2) - 4.0).abs() < 1e-12);
        assert!((c.estimate(true, 5) - 60.0).abs() < 1e-12);
        c.add(true, 2, 8.0);
        assert!((c.estimate(true, 3) - 12.0).abs() < 1e-12);
    }
}
