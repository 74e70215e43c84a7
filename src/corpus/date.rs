//! Dates as the readers accept them: `YYYY-MM-DD`, optionally with a time.

/// Whether `s` is a date `YYYY-MM-DD` with a month and day that exist (leap years included).
pub fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(|c| c.is_ascii_digit());
    if !(digits(0..4) && digits(5..7) && digits(8..10)) {
        return false;
    }
    let year: u32 = s[..4].parse().unwrap_or(0);
    let month: u32 = s[5..7].parse().unwrap_or(0);
    let day: u32 = s[8..10].parse().unwrap_or(0);
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

/// Whether `s` is a date field: `YYYY-MM-DD`, optionally followed by a time (`T` or a space,
/// then digits, `:`, `.`, a zone `Z` or `±hh:mm`), as news APIs give it.
pub fn is_date_field(s: &str) -> bool {
    let Some(day) = s.get(..10) else {
        return false;
    };
    if !is_date(day) {
        return false;
    }
    let rest = &s[10..];
    match rest.as_bytes().first() {
        None => true,
        Some(b'T') | Some(b' ') => {
            rest.len() > 1
                && rest[1..]
                    .bytes()
                    .all(|b| b.is_ascii_digit() || matches!(b, b':' | b'.' | b'Z' | b'+' | b'-'))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_date_fields() {
        assert!(!is_date("2023-13-01"));
        assert!(!is_date("2023-02-29") && is_date("2024-02-29") && !is_date("2100-02-29"));
        assert!(!is_date("2024-04-31") && is_date("2024-12-31"));
        assert!(is_date_field("2024-01-01") && is_date_field("2024-01-01T10:00:00Z"));
        assert!(is_date_field("2024-01-01 10:00:00+02:00"));
        assert!(!is_date_field("2024-01-01xyz") && !is_date_field("2024-01-0é"));
    }
}
