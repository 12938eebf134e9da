//! The ISO 8601 week a roundup covers (`2026-W48`): parsing, the week holding an instant, and
//! its bounds in the editor's time zone. Pure; its SQL form lives in `store`.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

/// An ISO 8601 week, e.g. `2026-W48`. Always a week that exists (checked on construction).
/// Ordered in time; its text form (`Display`, serde, SQL) is `YYYY-Www`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IsoWeek {
    /// The ISO week-numbering year.
    pub year: i32,
    /// 1 to 52 or 53.
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

    /// The week's Monday.
    pub fn monday(self) -> NaiveDate {
        NaiveDate::from_isoywd_opt(self.year, self.week, Weekday::Mon)
            .expect("IsoWeek is validated on construction")
    }

    /// The week before.
    pub fn previous(self) -> IsoWeek {
        IsoWeek::of_day(self.monday() - chrono::Duration::days(7))
    }

    /// The week after.
    pub fn next(self) -> IsoWeek {
        IsoWeek::of_day(self.monday() + chrono::Duration::days(7))
    }

    fn of_day(day: NaiveDate) -> IsoWeek {
        let w = day.iso_week();
        IsoWeek { year: w.year(), week: w.week() }
    }

    /// Monday 00:00 to the next Monday 00:00 in `tz`, as UTC instants `[start, end)`.
    pub fn bounds(self, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
        let monday = self.monday();
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

/// What belongs to a week: the entries filed in `[start, end)`, and its late arrivals: entries
/// first seen in it whose date is before `start` but not before `late_since` (the week's start
/// less the configured horizon). What a feed held at its first successful poll is its backlog,
/// never a late arrival (the store decides that, from the fetch history).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeekSpan {
    /// Monday 00:00 in the editor's time zone.
    pub start: DateTime<Utc>,
    /// The next Monday 00:00.
    pub end: DateTime<Utc>,
    /// The earliest date a late arrival may carry.
    pub late_since: DateTime<Utc>,
}

impl IsoWeek {
    /// The week's [`WeekSpan`] in `tz`, with late arrivals dated up to `late_horizon` before it.
    pub fn span(self, tz: Tz, late_horizon: std::time::Duration) -> WeekSpan {
        let (start, end) = self.bounds(tz);
        let horizon = chrono::Duration::from_std(late_horizon).unwrap_or(chrono::Duration::MAX);
        let late_since = start.checked_sub_signed(horizon).unwrap_or(DateTime::<Utc>::MIN_UTC);
        WeekSpan { start, end, late_since }
    }
}

impl FromStr for IsoWeek {
    type Err = String;

    fn from_str(s: &str) -> Result<IsoWeek, String> {
        IsoWeek::parse(s)
    }
}

impl serde::Serialize for IsoWeek {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for IsoWeek {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<IsoWeek, D::Error> {
        let text = String::deserialize(d)?;
        IsoWeek::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timefmt::{parse_rfc3339, rfc3339};

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

    #[test]
    fn iso_weeks_read_back_what_they_write() {
        let w = IsoWeek::parse("2026-W05").unwrap();
        let json = serde_json::to_string(&w).unwrap();
        assert_eq!(json, "\"2026-W05\"");
        assert_eq!(serde_json::from_str::<IsoWeek>(&json).unwrap(), w);
        assert!(serde_json::from_str::<IsoWeek>("\"2026-W60\"").is_err());
        assert!(IsoWeek::parse("2025-W52").unwrap() < w);
    }
}
