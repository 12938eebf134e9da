//! Pure parsing and formatting of times, durations, sizes and ISO weeks. No I/O.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

/// The one text form of timestamps in the database and in JSON: RFC 3339, UTC, whole seconds.
/// Fixed width, so text order is time order.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Reads back what [`rfc3339`] wrote (and any other RFC 3339 text).
pub fn parse_rfc3339(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc))
}

/// Parses a human duration: `90s`, `15m`, `1h`, `1h30m`, `2d`, `1w`. Whole units only.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
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
            _ => {
                return Err(format!(
                    "bad duration {s:?}: unknown unit {c:?} (use s, m, h, d or w, e.g. \"1h30m\")"
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
        return Err(format!("bad duration {s:?}: every number needs a unit (s, m, h, d or w)"));
    }
    Ok(Duration::from_secs(total))
}

/// Formats a duration the way [`parse_duration`] reads it, largest units first.
pub fn format_duration(d: Duration) -> String {
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

/// Parses a byte size: `15 MiB`, `512KiB`, `2MB`, `1048576`.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let text = s.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let n: u64 =
        digits.parse().map_err(|_| format!("bad size {s:?} (expected e.g. \"15 MiB\")"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1000,
        "kib" => 1024,
        "m" | "mb" => 1000 * 1000,
        "mib" => 1024 * 1024,
        "g" | "gb" => 1000 * 1000 * 1000,
        "gib" => 1024 * 1024 * 1024,
        other => return Err(format!("bad size {s:?}: unknown unit {other:?} (use KiB, MiB, GiB)")),
    };
    Ok(n.saturating_mul(mult))
}

/// An ISO 8601 week, e.g. `2026-W48`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IsoWeek {
    pub year: i32,
    pub week: u32,
}

impl IsoWeek {
    /// Parses `2026-W48` (also `2026-w48`, `2026W48`).
    pub fn parse(s: &str) -> Result<IsoWeek, String> {
        let t = s.trim().to_ascii_uppercase();
        let bad = || format!("bad week {s:?} (expected an ISO week like 2026-W48)");
        let (y, w) = t.split_once('W').ok_or_else(bad)?;
        let year: i32 = y.trim_end_matches('-').parse().map_err(|_| bad())?;
        let week: u32 = w.parse().map_err(|_| bad())?;
        NaiveDate::from_isoywd_opt(year, week, Weekday::Mon)
            .ok_or_else(|| format!("{s:?}: year {year} has no week {week}"))?;
        Ok(IsoWeek { year, week })
    }

    /// The week that holds `t` in time zone `tz`.
    pub fn containing(t: DateTime<Utc>, tz: Tz) -> IsoWeek {
        let w = t.with_timezone(&tz).date_naive().iso_week();
        IsoWeek { year: w.year(), week: w.week() }
    }

    /// Monday 00:00 to the next Monday 00:00 in `tz`, as UTC instants `[start, end)`.
    pub fn bounds(self, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
        let monday = NaiveDate::from_isoywd_opt(self.year, self.week, Weekday::Mon)
            .expect("IsoWeek is validated on construction");
        let next = monday + chrono::Duration::days(7);
        (local_midnight(monday, tz), local_midnight(next, tz))
    }
}

fn local_midnight(day: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let naive = day.and_hms_opt(0, 0, 0).expect("midnight exists");
    match tz.from_local_datetime(&naive) {
        chrono::LocalResult::Single(t) => t.with_timezone(&Utc),
        chrono::LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        // A zone that skips midnight: the day starts an hour later.
        chrono::LocalResult::None => tz
            .from_local_datetime(&(naive + chrono::Duration::hours(1)))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| naive.and_utc()),
    }
}

impl fmt::Display for IsoWeek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-W{:02}", self.year, self.week)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn sizes_parse_binary_and_decimal_units() {
        assert_eq!(parse_size("15 MiB").unwrap(), 15 * 1024 * 1024);
        assert_eq!(parse_size("512KiB").unwrap(), 512 * 1024);
        assert_eq!(parse_size("2MB").unwrap(), 2_000_000);
        assert_eq!(parse_size("100").unwrap(), 100);
        assert!(parse_size("ten MiB").is_err());
        assert!(parse_size("1 PB").is_err());
    }

    #[test]
    fn iso_weeks_parse_and_reject_impossible_weeks() {
        assert_eq!(IsoWeek::parse("2026-W48").unwrap(), IsoWeek { year: 2026, week: 48 });
        assert_eq!(IsoWeek::parse("2026w05").unwrap().to_string(), "2026-W05");
        assert!(IsoWeek::parse("2026-W54").is_err());
        assert!(IsoWeek::parse("last week").is_err());
    }

    #[test]
    fn week_bounds_follow_the_time_zone_across_daylight_saving() {
        let tz: Tz = "Europe/London".parse().unwrap();
        // 2026-W13 holds the change to BST (Sunday 29 March 2026).
        let (start, end) = IsoWeek { year: 2026, week: 13 }.bounds(tz);
        assert_eq!(rfc3339(start), "2026-03-23T00:00:00Z");
        assert_eq!(rfc3339(end), "2026-03-29T23:00:00Z");
        let t = parse_rfc3339("2026-03-29T23:30:00Z").unwrap();
        assert_eq!(IsoWeek::containing(t, tz).to_string(), "2026-W14");
    }
}
