//! Pure scheduling decisions: when a feed is next polled after a success or a failure, how
//! Retry-After, Cache-Control, Expires and RSS ttl weigh in, and how failures back off.
//! No clock reads and no I/O: `now` is always passed in.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::config::MIN_INTERVAL;

/// Backoff after failures, and any server hint, never waits longer than this.
pub const MAX_WAIT: Duration = Duration::from_secs(24 * 3600);

/// Freshness hints from one successful answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Freshness {
    /// `Cache-Control: max-age` (or the time to `Expires`).
    pub max_age: Option<Duration>,
    /// The feed's RSS `<ttl>`.
    pub ttl: Option<Duration>,
}

/// When to poll again after a success (200 or 304): the interval, stretched by the server's
/// max-age and the feed's ttl, clamped to [15 min, 24 h], plus up to 5 % jitter so that feeds
/// added together spread out. `jitter` is a number in [0, 1).
pub fn next_after_success(
    now: DateTime<Utc>,
    interval: Duration,
    fresh: Freshness,
    jitter: f64,
) -> DateTime<Utc> {
    let wait = [Some(interval), fresh.max_age, fresh.ttl]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(interval)
        .clamp(MIN_INTERVAL, MAX_WAIT);
    let spread = wait.mul_f64(0.05 * jitter.clamp(0.0, 1.0));
    now + chrono::Duration::from_std(wait + spread).unwrap_or(chrono::Duration::days(1))
}

/// When to poll again after the `failures`-th failure in a row: the interval doubled per
/// further failure (interval, 2×, 4×, …), capped at a day; a later Retry-After wins.
pub fn next_after_failure(
    now: DateTime<Utc>,
    interval: Duration,
    failures: u32,
    retry_after: Option<DateTime<Utc>>,
) -> DateTime<Utc> {
    let wait = backoff(interval, failures);
    let backed_off = now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::days(1));
    match retry_after {
        Some(r) if r > backed_off => r.min(now + chrono::Duration::days(7)),
        _ => backed_off,
    }
}

/// The wait after `failures` failures in a row.
pub fn backoff(interval: Duration, failures: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(16);
    interval.max(MIN_INTERVAL).saturating_mul(1 << doublings).min(MAX_WAIT)
}

/// Reads `Retry-After`: delay-seconds or an HTTP date.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(now + chrono::Duration::seconds(secs.min(30 * 86_400) as i64));
    }
    parse_http_date(v)
}

/// Freshness lifetime from `Cache-Control` (`max-age`, `s-maxage`; `no-cache`/`no-store` mean
/// none) or else `Expires` against the server's `Date` (or `now`).
pub fn cache_lifetime(
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

/// An HTTP date (RFC 7231 IMF-fixdate, also RFC 850 / asctime via RFC 2822 leniency).
pub fn parse_http_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    DateTime::parse_from_rfc2822(s)
        .map(|d| d.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            chrono::NaiveDateTime::parse_from_str(s, "%A, %d-%b-%y %H:%M:%S GMT")
                .ok()
                .map(|n| n.and_utc())
        })
        .or_else(|| {
            chrono::NaiveDateTime::parse_from_str(s, "%a %b %e %H:%M:%S %Y")
                .ok()
                .map(|n| n.and_utc())
        })
}

/// A number in [0, 1) derived from a feed id and the time: jitter that needs no RNG and is the
/// same for the same inputs.
pub fn jitter_for(feed_id: &str, now: DateTime<Utc>) -> f64 {
    // FNV-1a over the id and the minute.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in feed_id.bytes().chain(now.timestamp().div_euclid(60).to_le_bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h >> 11) as f64 / (1u64 << 53) as f64
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
    fn success_waits_the_interval_plus_at_most_five_percent() {
        let t = next_after_success(now(), HOUR, Freshness::default(), 0.0);
        assert_eq!(t, now() + chrono::Duration::hours(1));
        let t = next_after_success(now(), HOUR, Freshness::default(), 0.999);
        assert!(
            t < now() + chrono::Duration::minutes(63) && t > now() + chrono::Duration::minutes(62)
        );
    }

    #[test]
    fn max_age_and_ttl_stretch_the_wait_but_never_past_a_day() {
        let f = Freshness { max_age: Some(HOUR * 3), ttl: Some(HOUR * 2) };
        assert_eq!(next_after_success(now(), HOUR, f, 0.0), now() + chrono::Duration::hours(3));
        let f = Freshness { max_age: Some(HOUR * 100), ttl: None };
        assert_eq!(next_after_success(now(), HOUR, f, 0.0), now() + chrono::Duration::hours(24));
        let f = Freshness { max_age: Some(Duration::from_secs(60)), ttl: None };
        assert_eq!(next_after_success(now(), HOUR, f, 0.0), now() + chrono::Duration::hours(1));
    }

    #[test]
    fn failures_back_off_exponentially_capped_at_a_day() {
        assert_eq!(backoff(HOUR, 1), HOUR);
        assert_eq!(backoff(HOUR, 2), HOUR * 2);
        assert_eq!(backoff(HOUR, 4), HOUR * 8);
        assert_eq!(backoff(HOUR, 6), HOUR * 24);
        assert_eq!(backoff(HOUR, 60), HOUR * 24);
    }

    #[test]
    fn retry_after_wins_when_later_than_the_backoff() {
        let later = now() + chrono::Duration::hours(5);
        assert_eq!(next_after_failure(now(), HOUR, 1, Some(later)), later);
        let sooner = now() + chrono::Duration::minutes(2);
        assert_eq!(
            next_after_failure(now(), HOUR, 1, Some(sooner)),
            now() + chrono::Duration::hours(1)
        );
    }

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
    fn jitter_is_in_range_and_deterministic() {
        let a = jitter_for("lgiu", now());
        assert!((0.0..1.0).contains(&a));
        assert_eq!(a, jitter_for("lgiu", now()));
        assert_ne!(a, jitter_for("gds", now()));
    }
}
