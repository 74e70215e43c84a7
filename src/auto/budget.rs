//! What the search may spend.

use std::time::Duration;

/// Parses a time budget: seconds (`90`, `90s`), minutes (`5m`) or hours (`1h`).
pub fn parse_budget(s: &str) -> std::result::Result<Duration, String> {
    let t = s.trim();
    let (num, unit) = match t.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((i, _)) => (&t[..i], &t[i..]),
        None => (t, "s"),
    };
    let scale = match unit {
        "s" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        _ => f64::NAN,
    };
    match num.trim().parse::<f64>() {
        Ok(x) if scale.is_finite() && x.is_finite() && x > 0.0 && x * scale <= 7.0 * 86400.0 => {
            Ok(Duration::from_secs_f64(x * scale))
        }
        _ => Err(format!(
            "expected a time such as 90s, 5m or 1h (at most a week), got \"{s}\""
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_parse_with_units_and_reject_nonsense() {
        assert_eq!(parse_budget("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_budget("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_budget("5m").unwrap(), Duration::from_secs(300));
        assert_eq!(parse_budget("1.5h").unwrap(), Duration::from_secs(5400));
        for bad in ["", "0", "-3m", "5x", "m", "10d", "1e9h"] {
            let e = parse_budget(bad).unwrap_err();
            assert!(e.contains(&format!("\"{bad}\"")), "{bad}: {e}");
        }
    }
}
