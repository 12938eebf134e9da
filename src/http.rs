//! HTTP semantics, both ways: reading the dates and caching hints servers send us (Retry-After,
//! Cache-Control, Expires), and answering conditional and gzip requests in `serve`.
//!
//! Owns the meaning of HTTP headers. Does not own any client or server (`fetch` and `serve`
//! do), nor what a header means for a feed's schedule (`schedule`). Pure: no clock reads (`now`
//! is passed in), no I/O. HTTP dates are read and written by the `httpdate` crate.

use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};

/// The reason phrase of an HTTP status ("Not Found"), or "" for an unknown one.
pub(crate) fn reason_phrase(status: u16) -> &'static str {
    reqwest::StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()).unwrap_or("")
}

/// Reads `Retry-After`: delay-seconds (capped at 30 days) or an HTTP date.
pub(crate) fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(now + chrono::Duration::seconds(secs.min(30 * 86_400) as i64));
    }
    parse_http_date(v)
}

/// Freshness lifetime from `Cache-Control` (`max-age`, `s-maxage`; `no-cache`/`no-store` mean
/// none) or else `Expires` against the server's `Date` (or `now`).
pub(crate) fn cache_lifetime(
    cache_control: Option<&str>,
    expires: Option<&str>,
    date: Option<&str>,
    now: DateTime<Utc>,
) -> Option<Duration> {
    if let Some(cc) = cache_control {
        let mut max_age = None;
        for directive in cc.split(',') {
            let d = directive.trim().to_ascii_lowercase();
            if d == "no-cache" || d == "no-store" {
                return None;
            }
            if let Some(v) = d.strip_prefix("max-age=").or_else(|| d.strip_prefix("s-maxage="))
                && let Ok(secs) = v.trim_matches('"').parse::<u64>()
            {
                max_age = Some(max_age.map_or(secs, |m: u64| m.max(secs)));
            }
        }
        if let Some(secs) = max_age {
            return Some(Duration::from_secs(secs));
        }
    }
    let expires = parse_http_date(expires?)?;
    let base = date.and_then(parse_http_date).unwrap_or(now);
    (expires - base).to_std().ok()
}

/// An HTTP date: the three forms of RFC 9110 (IMF-fixdate, RFC 850, asctime), read by
/// `httpdate`; and, leniently, an RFC 2822 date with a numeric zone, which some servers send.
pub(crate) fn parse_http_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    httpdate::parse_http_date(s)
        .ok()
        .map(DateTime::<Utc>::from)
        .or_else(|| DateTime::parse_from_rfc2822(s).ok().map(|d| d.with_timezone(&Utc)))
}

/// An HTTP date (IMF-fixdate) for a time, to the second.
pub(crate) fn http_date(t: SystemTime) -> String {
    httpdate::fmt_http_date(t)
}

/// Whether an Accept-Encoding header allows gzip (q > 0), by name, `x-gzip` or `*`.
pub(crate) fn accepts_gzip(accept_encoding: Option<&str>) -> bool {
    let Some(header) = accept_encoding else { return false };
    let mut star = None;
    for item in header.split(',') {
        let mut parts = item.split(';');
        let coding = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let mut q = 1.0_f32;
        for param in parts {
            if let Some((k, v)) = param.split_once('=')
                && k.trim().eq_ignore_ascii_case("q")
            {
                q = v.trim().parse().unwrap_or(0.0);
            }
        }
        match coding.as_str() {
            "gzip" | "x-gzip" => return q > 0.0,
            "*" => star = Some(q > 0.0),
            _ => {}
        }
    }
    star.unwrap_or(false)
}

/// Whether a conditional GET/HEAD gets 304. `etags` are the representation's tags (either
/// variant matches); If-None-Match, when present, wins over If-Modified-Since.
pub(crate) fn not_modified(
    if_none_match: Option<&str>,
    if_modified_since: Option<&str>,
    etags: &[&str],
    modified: SystemTime,
) -> bool {
    if let Some(inm) = if_none_match {
        let opaque = |t: &str| t.trim().trim_start_matches("W/").to_string();
        return inm
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .any(|t| t == "*" || etags.iter().any(|e| opaque(e) == opaque(t)));
    }
    if let Some(ims) = if_modified_since
        && let Some(since) = parse_http_date(ims)
    {
        // HTTP dates have whole seconds: compare the file's time truncated to them.
        let secs = DateTime::<Utc>::from(modified).timestamp();
        return secs <= since.timestamp();
    }
    false
}

/// Whether a request's preconditions fail (412 Precondition Failed, RFC 9110 §13.1.1-2):
/// `If-Match` lists none of the file's `etags` (strong comparison; `*` matches any file), or,
/// without `If-Match`, the file changed after `If-Unmodified-Since`.
pub(crate) fn precondition_failed(
    if_match: Option<&str>,
    if_unmodified_since: Option<&str>,
    etags: &[&str],
    modified: SystemTime,
) -> bool {
    if let Some(im) = if_match {
        let strong = |t: &str| !t.starts_with("W/");
        return !im
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .any(|t| t == "*" || (strong(t) && etags.contains(&t)));
    }
    if let Some(ius) = if_unmodified_since
        && let Some(since) = parse_http_date(ius)
    {
        return DateTime::<Utc>::from(modified).timestamp() > since.timestamp();
    }
    false
}

/// What a `Range` header asks of a representation of `len` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RangeAsk {
    /// No range, several ranges, or one this server does not take: the whole (200).
    Whole,
    /// One satisfiable range: bytes `start..=end` (206).
    Part { start: u64, end: u64 },
    /// One range that lies past the end (416).
    Unsatisfiable,
}

/// Reads a `Range` header as static servers do: one `bytes=` range (`a-b`, `a-` or `-n`);
/// anything else is ignored (the whole is sent), as RFC 9110 §14.2 allows.
pub(crate) fn range(header: Option<&str>, len: u64) -> RangeAsk {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return RangeAsk::Whole;
    };
    if spec.contains(',') {
        return RangeAsk::Whole;
    }
    let Some((a, b)) = spec.trim().split_once('-') else { return RangeAsk::Whole };
    let num = |s: &str| -> Option<u64> {
        let s = s.trim();
        (!s.is_empty() && s.bytes().all(|c| c.is_ascii_digit())).then(|| s.parse().ok())?
    };
    match (a.trim().is_empty(), num(a), num(b)) {
        // bytes=-n: the last n bytes.
        (true, _, Some(n)) => {
            if n == 0 || len == 0 {
                RangeAsk::Unsatisfiable
            } else {
                RangeAsk::Part { start: len.saturating_sub(n), end: len - 1 }
            }
        }
        (false, Some(start), end) if b.trim().is_empty() || end.is_some() => {
            if start >= len {
                return RangeAsk::Unsatisfiable;
            }
            match end {
                Some(end) if end < start => RangeAsk::Whole,
                Some(end) => RangeAsk::Part { start, end: end.min(len - 1) },
                None => RangeAsk::Part { start, end: len - 1 },
            }
        }
        _ => RangeAsk::Whole,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timefmt::parse_rfc3339;

    fn now() -> DateTime<Utc> {
        parse_rfc3339("2026-11-26T12:00:00Z").unwrap()
    }
    const HOUR: Duration = Duration::from_secs(3600);

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        assert_eq!(parse_retry_after("120", now()), Some(now() + chrono::Duration::seconds(120)));
        assert_eq!(
            parse_retry_after("Thu, 26 Nov 2026 13:00:00 GMT", now()),
            Some(now() + chrono::Duration::hours(1))
        );
        assert_eq!(parse_retry_after("soon", now()), None);
    }

    #[test]
    fn cache_lifetime_reads_max_age_then_expires() {
        assert_eq!(cache_lifetime(Some("public, max-age=7200"), None, None, now()), Some(HOUR * 2));
        assert_eq!(
            cache_lifetime(Some("no-cache"), Some("Thu, 26 Nov 2026 14:00:00 GMT"), None, now()),
            None
        );
        assert_eq!(
            cache_lifetime(
                None,
                Some("Thu, 26 Nov 2026 14:00:00 GMT"),
                Some("Thu, 26 Nov 2026 12:00:00 GMT"),
                now()
            ),
            Some(HOUR * 2)
        );
        assert_eq!(cache_lifetime(None, Some("0"), None, now()), None);
    }

    #[test]
    fn http_dates_are_read_in_all_three_forms_and_with_a_numeric_zone() {
        let want = parse_rfc3339("1994-11-06T08:49:37Z");
        for s in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "Sun, 06 Nov 1994 08:49:37 +0000",
        ] {
            assert_eq!(parse_http_date(s), want, "{s}");
        }
        assert_eq!(parse_http_date("yesterday"), None);
    }

    #[test]
    fn accept_encoding_negotiation() {
        assert!(accepts_gzip(Some("gzip")));
        assert!(accepts_gzip(Some("deflate, gzip;q=0.5, br")));
        assert!(accepts_gzip(Some("x-gzip")));
        assert!(accepts_gzip(Some("*")));
        assert!(accepts_gzip(Some("GZIP; Q=1")));
        assert!(!accepts_gzip(None));
        assert!(!accepts_gzip(Some("identity")));
        assert!(!accepts_gzip(Some("gzip;q=0")));
        assert!(!accepts_gzip(Some("gzip;q=0.0, *")));
        assert!(!accepts_gzip(Some("*;q=0")));
        assert!(!accepts_gzip(Some("br, deflate")));
    }

    #[test]
    fn conditional_requests() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_500);
        let date = http_date(t);
        assert_eq!(date, "Tue, 14 Nov 2023 22:13:20 GMT");
        let tags = ["\"abc\"", "\"abc-gz\""];
        let nm = |inm, ims| not_modified(inm, ims, &tags, t);
        assert!(nm(Some("\"abc\""), None));
        assert!(nm(Some("\"abc-gz\""), None));
        assert!(nm(Some("W/\"abc\""), None));
        assert!(nm(Some("\"x\", \"abc\""), None));
        assert!(nm(Some("*"), None));
        assert!(!nm(Some("\"x\""), None));
        assert!(!nm(Some("abc"), None));
        assert!(nm(None, Some(&date)));
        assert!(nm(None, Some("Wed, 15 Nov 2023 00:00:00 GMT")));
        assert!(!nm(None, Some("Tue, 14 Nov 2023 22:13:19 GMT")));
        assert!(!nm(None, Some("not a date")));
        assert!(!nm(None, None));
        // If-None-Match wins: a stale tag with a fresh date is a 200.
        assert!(!nm(Some("\"old\""), Some(&date)));
    }

    #[test]
    fn if_match_and_if_unmodified_since_fail_as_rfc_9110_says() {
        let t = parse_rfc3339("2026-11-26T12:00:00Z").unwrap().into();
        let tags = ["\"abc\"", "\"abc-gz\""];
        assert!(!precondition_failed(None, None, &tags, t));
        assert!(!precondition_failed(Some("\"abc\""), None, &tags, t));
        assert!(!precondition_failed(Some("\"x\", \"abc-gz\""), None, &tags, t));
        assert!(!precondition_failed(Some("*"), None, &tags, t));
        assert!(precondition_failed(Some("\"x\""), None, &tags, t));
        assert!(precondition_failed(Some("W/\"abc\""), None, &tags, t), "weak never matches");
        let before = "Thu, 26 Nov 2026 11:59:59 GMT";
        let at = "Thu, 26 Nov 2026 12:00:00 GMT";
        assert!(precondition_failed(None, Some(before), &tags, t));
        assert!(!precondition_failed(None, Some(at), &tags, t));
        assert!(!precondition_failed(None, Some("not a date"), &tags, t));
        // If-Match decides alone when both are sent.
        assert!(!precondition_failed(Some("\"abc\""), Some(before), &tags, t));
    }

    #[test]
    fn single_byte_ranges_are_read_and_others_give_the_whole() {
        use RangeAsk::*;
        assert_eq!(range(None, 10), Whole);
        assert_eq!(range(Some("bytes=0-3"), 10), Part { start: 0, end: 3 });
        assert_eq!(range(Some("bytes=4-"), 10), Part { start: 4, end: 9 });
        assert_eq!(range(Some("bytes=-3"), 10), Part { start: 7, end: 9 });
        assert_eq!(range(Some("bytes=-30"), 10), Part { start: 0, end: 9 });
        assert_eq!(range(Some("bytes=5-100"), 10), Part { start: 5, end: 9 });
        assert_eq!(range(Some("bytes=10-"), 10), Unsatisfiable);
        assert_eq!(range(Some("bytes=-0"), 10), Unsatisfiable);
        assert_eq!(range(Some("bytes=0-1,4-5"), 10), Whole);
        assert_eq!(range(Some("bytes=3-1"), 10), Whole);
        assert_eq!(range(Some("items=0-1"), 10), Whole);
        assert_eq!(range(Some("bytes=a-b"), 10), Whole);
        assert_eq!(range(Some("bytes=-"), 10), Whole);
    }
}
