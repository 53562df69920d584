//! Durations on the command line (`1h`, `90s`, `-5m`, `1d12h`) and times for people
//! (`2026-12-01 20:15:00 UTC`, "expires in 42 min").

use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::Result;
use crate::fail;

/// Seconds since the epoch, now.
pub fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// `90`, `90s`, `15m`, `1h30m`, `7d`, `2w`; a leading `-` means "ago". Seconds.
pub fn parse_duration(text: &str) -> Result<i64> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if body.is_empty() {
        fail!("invalid duration \"{text}\": expected e.g. 90s, 15m, 1h, 7d");
    }
    let mut total: i64 = 0;
    let mut digits = String::new();
    let mut units_seen = 0;
    for c in body.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 604_800,
            _ => fail!("invalid duration \"{text}\": unknown unit '{c}' (use s, m, h, d or w)"),
        };
        if digits.is_empty() {
            fail!("invalid duration \"{text}\": a number must come before '{c}'");
        }
        total = add_part(total, &digits, unit, text)?;
        digits.clear();
        units_seen += 1;
    }
    if !digits.is_empty() {
        // A bare number is seconds, but only on its own: "1h30" is ambiguous.
        if units_seen > 0 {
            fail!("invalid duration \"{text}\": the last number has no unit");
        }
        total = add_part(total, &digits, 1, text)?;
    }
    Ok(if negative { -total } else { total })
}

fn add_part(total: i64, digits: &str, unit: i64, text: &str) -> Result<i64> {
    let too_long = || crate::error::CliError(format!("invalid duration \"{text}\": too long"));
    let n: i64 = digits.parse().map_err(|_| too_long())?;
    n.checked_mul(unit).and_then(|s| total.checked_add(s)).ok_or_else(too_long)
}

/// A duration that must not be negative (leeway, ages).
pub fn parse_non_negative(text: &str) -> Result<u64> {
    let secs = parse_duration(text)?;
    u64::try_from(secs).or_else(|_| fail!("invalid duration \"{text}\": must not be negative"))
}

/// `2026-12-01 20:15:00 UTC`.
pub fn format_date(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC", secs / 3600, secs % 3600 / 60, secs % 60)
}

/// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// `in 42 min`, `3 h ago`, `now`: `at` relative to `now`, rounded down to the largest unit.
pub fn relative(at: i64, now: i64) -> String {
    let delta = at.saturating_sub(now);
    if delta == 0 {
        return "now".to_owned();
    }
    let amount = human_span(delta.unsigned_abs());
    if delta > 0 {
        format!("in {amount}")
    } else {
        format!("{amount} ago")
    }
}

/// `42 s`, `5 min`, `3 h`, `12 days`.
pub fn human_span(secs: u64) -> String {
    match secs {
        0..=119 => format!("{secs} s"),
        120..=7199 => format!("{} min", secs / 60),
        7200..=172_799 => format!("{} h", secs / 3600),
        _ => format!("{} days", secs / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90").unwrap(), 90);
        assert_eq!(parse_duration("90s").unwrap(), 90);
        assert_eq!(parse_duration("15m").unwrap(), 900);
        assert_eq!(parse_duration("1h30m").unwrap(), 5400);
        assert_eq!(parse_duration("-5m").unwrap(), -300);
        assert_eq!(parse_duration("+2d").unwrap(), 172_800);
        assert_eq!(parse_duration("1w").unwrap(), 604_800);
    }

    #[test]
    fn bad_durations_are_one_line_errors() {
        for bad in ["", "-", "h", "1x", "1h30", "99999999999999999999s", "1.5h", " 1h"] {
            let err = parse_duration(bad).unwrap_err();
            assert!(err.0.starts_with("invalid duration"), "{bad:?}: {err}");
            assert!(!err.0.contains('\n'));
        }
        assert!(parse_non_negative("-1s").unwrap_err().0.contains("must not be negative"));
    }

    #[test]
    fn dates() {
        assert_eq!(format_date(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(format_date(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(format_date(1_700_000_000), "2023-11-14 22:13:20 UTC");
        assert_eq!(format_date(-1), "1969-12-31 23:59:59 UTC");
    }

    #[test]
    fn relative_times() {
        assert_eq!(relative(1000 + 42 * 60, 1000), "in 42 min");
        assert_eq!(relative(1000 - 30, 1000), "30 s ago");
        assert_eq!(relative(1000, 1000), "now");
        assert_eq!(relative(1000 + 3 * 86_400, 1000), "in 3 days");
    }
}
