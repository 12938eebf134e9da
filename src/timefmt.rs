//! Pure parsing and formatting of times and durations. No I/O. (ISO weeks are `week`; byte
//! sizes are parsed where they are configured, in `config`.)

use std::time::Duration;

use chrono::{DateTime, Datelike, Timelike, Utc};

/// The one text form of timestamps in the database and in JSON: RFC 3339, UTC, whole seconds.
/// Fixed width, so text order is time order.
///
/// Written digit by digit: chrono's `format` parses its pattern on every call, and this runs
/// several times for every entry of every feed read (perf). Years outside 0..=9999 and leap
/// seconds, which chrono writes its own way, go through chrono.
pub(crate) fn rfc3339(t: DateTime<Utc>) -> String {
    let year = t.year();
    if !(0..=9999).contains(&year) || t.nanosecond() >= 1_000_000_000 {
        return t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    }
    let mut out = String::with_capacity(20);
    let mut digits = |n: u32, width: u32, then: char| {
        for place in (0..width).rev() {
            out.push(char::from_digit(n / 10u32.pow(place) % 10, 10).unwrap_or('0'));
        }
        out.push(then);
    };
    digits(year.unsigned_abs(), 4, '-');
    digits(t.month(), 2, '-');
    digits(t.day(), 2, 'T');
    digits(t.hour(), 2, ':');
    digits(t.minute(), 2, ':');
    digits(t.second(), 2, 'Z');
    out
}

/// Reads back what [`rfc3339`] wrote (and any other RFC 3339 text).
pub(crate) fn parse_rfc3339(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc))
}

/// Parses a human duration: `90s`, `15m`, `1h`, `1h30m`, `2d`, `1w`. Whole units only.
pub(crate) fn parse_duration(s: &str) -> Result<Duration, String> {
    let text = s.trim();
    if text.is_empty() {
        return Err("empty duration (expected e.g. \"30m\", \"1h\", \"2d\")".into());
    }
    let mut total: u64 = 0;
    let mut number = String::new();
    let mut saw_unit = false;
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        if c.is_whitespace() {
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 7 * 86_400,
            // A year of 365 days: retention (`prune --older-than 2y`) needs no more precision.
            'y' => 365 * 86_400,
            _ => {
                return Err(format!(
                    "bad duration {s:?}: unknown unit {c:?} (use s, m, h, d, w or y, e.g. \"1h30m\")"
                ));
            }
        };
        let n: u64 = number
            .parse()
            .map_err(|_| format!("bad duration {s:?}: a number must come before {c:?}"))?;
        number.clear();
        total = total.saturating_add(n.saturating_mul(unit));
        saw_unit = true;
    }
    if !number.is_empty() || !saw_unit {
        return Err(format!("bad duration {s:?}: every number needs a unit (s, m, h, d, w or y)"));
    }
    Ok(Duration::from_secs(total))
}

/// Formats a duration the way [`parse_duration`] reads it, largest units first.
pub(crate) fn format_duration(d: Duration) -> String {
    let mut secs = d.as_secs();
    if secs == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    for (unit, name) in [(86_400, 'd'), (3600, 'h'), (60, 'm'), (1, 's')] {
        if secs >= unit {
            out.push_str(&format!("{}{}", secs / unit, name));
            secs %= unit;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn rfc3339_writes_what_chrono_writes(
            seconds in -70_000_000_000i64..300_000_000_000,
            nanos in 0u32..2_000_000_000,
        ) {
            // Leap seconds (nanoseconds past 10^9) exist only at a minute's 59th second.
            let seconds = if nanos >= 1_000_000_000 { seconds - seconds.rem_euclid(60) + 59 } else { seconds };
            let t = DateTime::from_timestamp(seconds, nanos).unwrap();
            proptest::prop_assert_eq!(rfc3339(t), t.format("%Y-%m-%dT%H:%M:%SZ").to_string());
        }
    }

    #[test]
    fn durations_parse_in_every_unit_and_combination() {
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("15m").unwrap(), Duration::from_secs(900));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("2d").unwrap(), Duration::from_secs(172_800));
        assert_eq!(parse_duration("1w").unwrap(), Duration::from_secs(604_800));
    }

    #[test]
    fn durations_without_units_or_with_unknown_units_are_errors() {
        assert!(parse_duration("15").unwrap_err().contains("unit"));
        assert!(parse_duration("1x").unwrap_err().contains("unknown unit"));
        assert!(parse_duration("").is_err());
        assert!(parse_duration("h").is_err());
    }

    #[test]
    fn duration_formatting_round_trips() {
        for s in ["1h30m", "15m", "1d", "45s"] {
            assert_eq!(format_duration(parse_duration(s).unwrap()), s);
        }
    }
}
