//! The lenient date parser feed-rs is given in place of its own.
//!
//! Owns: reading a date as feeds write it: RFC 3339 / ISO 8601 (W3C-DTF), RFC 822 / 2822 and
//! its common corruptions, named zones and numeric offsets.
//! Does not own: which of an entry's dates is the published one and which the updated one (the
//! adapter, `entry_dates`), or formatting dates (`timefmt`).

use chrono::{DateTime, NaiveDate, Utc};

/// Reads a feed date the lenient way feeds need. RFC 3339 / ISO 8601 (W3C-DTF, with or without
/// seconds, zone or time; a missing zone is UTC), RFC 822 / 2822 and its common corruptions:
/// any weekday (in any language) or none, full month names, two-digit years, `Dec 16 2023`
/// order, 12-hour times, named zones and asctime order. `None` rather than a guess when a
/// year, month or day is missing.
pub(super) fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.to_utc());
    }
    if s.as_bytes()[0].is_ascii_digit()
        && let Some(t) = iso_date(s)
    {
        return Some(t);
    }
    if let Ok(t) = DateTime::parse_from_rfc2822(s) {
        return Some(t.to_utc());
    }
    loose_date(s)
}

/// A cursor over ASCII digits.
struct Digits<'a> {
    s: &'a [u8],
    at: usize,
}

impl Digits<'_> {
    /// Exactly `n` digits.
    fn take(&mut self, n: usize) -> Option<u32> {
        let part = self.s.get(self.at..self.at + n)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.at += n;
        Some(part.iter().fold(0, |acc, d| acc * 10 + u32::from(d - b'0')))
    }

    fn eat(&mut self, c: u8) -> bool {
        let hit = self.s.get(self.at) == Some(&c);
        self.at += usize::from(hit);
        hit
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.at).copied()
    }

    fn rest(&self) -> &str {
        std::str::from_utf8(&self.s[self.at..]).unwrap_or("")
    }
}

/// ISO 8601 as feeds write it: `2003-12-31`, `2003-12-31T10:14`, `2003-12-31 10:14:55.5 +0100`,
/// `20031231T101455Z`, `2003-12`, `2003`.
fn iso_date(s: &str) -> Option<DateTime<Utc>> {
    let mut d = Digits { s: s.as_bytes(), at: 0 };
    let year = d.take(4)? as i32;
    let (mut month, mut day) = (1, 1);
    let dashed = d.eat(b'-');
    if dashed || d.peek().is_some_and(|c| c.is_ascii_digit()) {
        month = d.take(2)?;
        if (!dashed || d.eat(b'-')) && d.peek().is_some_and(|c| c.is_ascii_digit()) {
            day = d.take(2)?;
        }
    }
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    let (mut h, mut m, mut sec) = (0, 0, 0);
    if matches!(d.peek(), Some(b'T' | b't' | b' ')) {
        d.at += 1;
        while d.eat(b' ') {}
        if d.peek().is_some_and(|c| c.is_ascii_digit()) {
            h = d.take(2)?;
            let colon = d.eat(b':');
            m = d.take(2)?;
            if (!colon || d.eat(b':')) && d.peek().is_some_and(|c| c.is_ascii_digit()) {
                sec = d.take(2)?;
            }
            if d.eat(b'.') || d.eat(b',') {
                while d.peek().is_some_and(|c| c.is_ascii_digit()) {
                    d.at += 1;
                }
            }
        }
    }
    let offset = match d.rest().trim() {
        "" => 0,
        zone => zone_offset(zone)?,
    };
    let time = date.and_hms_opt(h, m, sec.min(59))?;
    Some(time.and_utc() - chrono::Duration::seconds(i64::from(offset)))
}

/// Seconds east of UTC for `Z`, `+01:00`, `-0500`, `+01`, `GMT`, `EST`, `GMT+1`, ...
fn zone_offset(zone: &str) -> Option<i32> {
    let zone = zone.trim();
    if let Some(sign) = zone.chars().next().filter(|c| *c == '+' || *c == '-') {
        let digits: String = zone[1..].chars().filter(|c| *c != ':').collect();
        if digits.is_empty() || digits.len() > 4 || !digits.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let (h, m) = if digits.len() <= 2 {
            (digits.parse::<i32>().ok()?, 0)
        } else {
            let split = digits.len() - 2;
            (digits[..split].parse::<i32>().ok()?, digits[split..].parse::<i32>().ok()?)
        };
        if h > 14 || m > 59 {
            return None;
        }
        let secs = h * 3600 + m * 60;
        return Some(if sign == '-' { -secs } else { secs });
    }
    let upper = zone.to_ascii_uppercase();
    if let Some(i) = upper.find(['+', '-']).filter(|i| *i > 0) {
        // `GMT+1`, `UTC-05:00`
        return if named_zone(&upper[..i]) == Some(0) { zone_offset(&upper[i..]) } else { None };
    }
    named_zone(&upper).map(|h| h * 3600)
}

/// Hours east of UTC of a zone abbreviation (the RFC 822 ones, and a few common others).
fn named_zone(name: &str) -> Option<i32> {
    Some(match name {
        "Z" | "UT" | "UTC" | "GMT" | "WET" => 0,
        "EST" | "ET" | "CDT" => -5,
        "EDT" | "AST" => -4,
        "ADT" => -3,
        "CST" | "CT" | "MDT" => -6,
        "MST" | "MT" | "PDT" => -7,
        "PST" | "PT" | "AKDT" => -8,
        "AKST" => -9,
        "HST" => -10,
        "BST" | "CET" | "WEST" => 1,
        "CEST" | "EET" => 2,
        "EEST" | "MSK" => 3,
        "IST" => 5,
        "JST" | "KST" => 9,
        "AEST" => 10,
        "AEDT" => 11,
        "NZST" => 12,
        "NZDT" => 13,
        _ => return None,
    })
}

fn month_number(word: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    if word.len() < 3 {
        return None;
    }
    let word = if word == "sept" { "sep" } else { word };
    MONTHS.iter().position(|m| m.starts_with(word)).and_then(|i| u32::try_from(i + 1).ok())
}

/// RFC 822 and what feeds make of it: the words in any order a human would write them.
fn loose_date(s: &str) -> Option<DateTime<Utc>> {
    let (mut year, mut month, mut day) = (None, None, None);
    let mut time: Option<(u32, u32, u32)> = None;
    let mut pm: Option<bool> = None;
    let mut offset: Option<i32> = None;
    let lower = s.to_ascii_lowercase();
    let words = lower
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .flat_map(|w| {
            // `16-Oct-2017`
            let dashed_date = w.contains('-')
                && w.chars().any(|c| c.is_ascii_alphabetic())
                && !w.starts_with(['+', '-']);
            let parts: Vec<&str> =
                if dashed_date && !w.contains(':') { w.split('-').collect() } else { vec![w] };
            parts
        });
    for word in words {
        let first = word.chars().next()?;
        if first.is_ascii_digit() && word.contains(':') {
            // A time, perhaps with a meridiem or zone stuck to it.
            let end = word
                .find(|c: char| !(c.is_ascii_digit() || c == ':' || c == '.'))
                .unwrap_or(word.len());
            let mut parts = word[..end].split(':');
            let h = parts.next()?.parse().ok()?;
            let m = parts.next()?.parse().ok()?;
            #[expect(
                clippy::cast_possible_truncation,
                reason = "whole seconds of a time of day: the float cast saturates, and chrono \
                          refuses a second past 60"
            )]
            let sec = parts.next().map_or(Some(0.0), |s| s.parse::<f64>().ok())? as u32;
            time = Some((h, m, sec));
            match &word[end..] {
                "" => {}
                "am" | "a.m." => pm = Some(false),
                "pm" | "p.m." => pm = Some(true),
                zone => offset = Some(zone_offset(zone)?),
            }
        } else if first.is_ascii_digit() {
            let digits = word.trim_end_matches(|c: char| c.is_ascii_alphabetic() || c == '.');
            if !digits.chars().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let n: u32 = digits.parse().ok()?;
            match digits.len() {
                4 if year.is_none() => year = Some(n as i32),
                1 | 2 if day.is_none() && (1..=31).contains(&n) => day = Some(n),
                2 if year.is_none() => {
                    year = Some(if n < 50 { 2000 + n as i32 } else { 1900 + n as i32 })
                }
                _ => return None,
            }
        } else if first == '+' || first == '-' {
            offset = Some(zone_offset(word)?);
        } else if matches!(word, "am" | "a.m." | "pm" | "p.m.") {
            pm = Some(word.starts_with('p'));
        } else if let Some(m) = month_number(word.trim_end_matches('.')).filter(|_| month.is_none())
        {
            month = Some(m);
        } else if let Some(o) = zone_offset(&word.to_ascii_uppercase()) {
            offset = Some(o);
        }
        // Anything else (a weekday in any language, "at", "of") is not part of the date.
    }
    let date = NaiveDate::from_ymd_opt(year?, month?, day?)?;
    let (mut h, m, sec) = time.unwrap_or((0, 0, 0));
    match pm {
        Some(true) if h < 12 => h += 12,
        Some(false) if h == 12 => h = 0,
        _ => {}
    }
    let t = date.and_hms_opt(h, m, sec.min(59))?;
    Some(t.and_utc() - chrono::Duration::seconds(i64::from(offset.unwrap_or(0))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> Option<String> {
        parse_date(s).map(crate::timefmt::rfc3339)
    }

    #[test]
    fn feed_dates_are_read_in_the_forms_feeds_write_them() {
        let cases = [
            ("2003-12-31T10:14:55Z", "2003-12-31T10:14:55Z"),
            ("2003-12-31T10:14:55.123-08:00", "2003-12-31T18:14:55Z"),
            ("2003-12-31T10:14:55+0100", "2003-12-31T09:14:55Z"),
            ("2018-01-06T08:00", "2018-01-06T08:00:00Z"),
            ("2003-12-31 10:14:55 +01:00", "2003-12-31T09:14:55Z"),
            ("20031231T101455Z", "2003-12-31T10:14:55Z"),
            ("2003-12-31", "2003-12-31T00:00:00Z"),
            ("2003-12", "2003-12-01T00:00:00Z"),
            ("Tue, 10 Jun 2003 04:00:00 GMT", "2003-06-10T04:00:00Z"),
            ("Wed, 3 Jun 2020 15:20:44 PST", "2020-06-03T23:20:44Z"),
            ("Mon, 03 Mar 2014 09:30 EDT", "2014-03-03T13:30:00Z"),
            ("Thu, 01 Jan 04 19:48:21 GMT", "2004-01-01T19:48:21Z"),
            ("mer, 16 nov 2022 00:38:15 +0100", "2022-11-15T23:38:15Z"),
            ("Sat, Dec 16 2023 02:02:33 PM", "2023-12-16T14:02:33Z"),
            ("Sun, 15 Dec 2024 12:15 PM", "2024-12-15T12:15:00Z"),
            ("Sun Jan  4 16:29:06 PST 2004", "2004-01-05T00:29:06Z"),
            ("16 October 2017 15:10 GMT+1", "2017-10-16T14:10:00Z"),
            ("Mon, 16-Oct-2017 15:10:00 +0000", "2017-10-16T15:10:00Z"),
        ];
        for (text, want) in cases {
            assert_eq!(date(text).as_deref(), Some(want), "{text}");
        }
        for junk in [
            "",
            "1518478934",
            "soon",
            "Seg, 12 Set 2016 10:00:00 -0300",
            "2003-13-45",
            "Mon, 31 Feb 2003",
        ] {
            assert_eq!(date(junk), None, "{junk}");
        }
    }
}
