//! Pure scheduling decisions: which feeds are due, when a feed is next polled after a success or
//! a failure, how Retry-After, Cache-Control, Expires and RSS ttl weigh in, and how failures back
//! off. No clock reads and no I/O: `now` is always passed in. What the headers say is read by
//! `crate::http`.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::config::MIN_INTERVAL;
use crate::model::FeedId;
use crate::store::FeedState;

/// A feed to poll in this run.
#[derive(Debug, Clone)]
pub struct PollJob {
    pub state: FeedState,
    pub interval: Duration,
}

/// Which feeds to poll: those due (never polled, or their time has come), all with `force`, or
/// just `only`. Gone feeds are skipped unless named with `only`. A feed whose server asked for
/// a pause (Retry-After) is never polled before it ends, forced or not: see [`held_back`].
pub(crate) fn due_jobs(
    states: Vec<FeedState>,
    configured: &[(FeedId, Duration)],
    now: DateTime<Utc>,
    force: bool,
    only: Option<&str>,
) -> Jobs {
    let due = due(&states, configured, now, force, only);
    Jobs::new(states, due)
}

/// The feeds [`due_jobs`] polls, in `configured`'s order: each one's place in `states` and its
/// interval.
pub(crate) fn due(
    states: &[FeedState],
    configured: &[(FeedId, Duration)],
    now: DateTime<Utc>,
    force: bool,
    only: Option<&str>,
) -> Vec<(usize, Duration)> {
    let places: HashMap<&str, usize> =
        states.iter().enumerate().map(|(at, s)| (s.id.as_str(), at)).collect();
    configured
        .iter()
        .filter_map(|(id, interval)| {
            let at = *places.get(id.as_str())?;
            let state = &states[at];
            if state.retry_after_until.is_some_and(|t| t > now) {
                return None;
            }
            let wanted = match only {
                Some(one) => id.as_str() == one,
                None => !state.gone && (force || state.next_due_at.is_none_or(|t| t <= now)),
            };
            wanted.then_some((at, *interval))
        })
        .collect()
}

/// The feeds a run polls, in the order they are polled, each with its state and interval
/// ([`Queued`]). Each state is moved out when its poll starts, never copied: a list of jobs
/// with a copy of each due state held every state twice at the start of a run (at 100,000
/// feeds, 23 MB of states and 25 MB of jobs: heaptrack).
#[derive(Debug, Default)]
pub(crate) struct Jobs {
    queued: Vec<Queued>,
}

impl Jobs {
    /// The jobs for `due` (from [`due`] over the same `states`, which names each place once),
    /// in `due`'s order; the states not due are let go.
    pub(crate) fn new(mut states: Vec<FeedState>, due: Vec<(usize, Duration)>) -> Jobs {
        let queued = due
            .into_iter()
            .map(|(at, interval)| Queued::new(std::mem::take(&mut states[at]), interval))
            .collect();
        Jobs { queued }
    }

    /// How many feeds are polled.
    pub(crate) fn len(&self) -> usize {
        self.queued.len()
    }

    /// Whether no feed is polled.
    pub(crate) fn is_empty(&self) -> bool {
        self.queued.is_empty()
    }

    /// Where each feed polled is polled ([`FeedState::poll_url`]), in order.
    pub(crate) fn poll_urls(&self) -> impl Iterator<Item = &str> {
        self.queued.iter().map(Queued::poll_url)
    }

    /// The jobs, to rearrange.
    pub(crate) fn order_mut(&mut self) -> &mut [Queued] {
        &mut self.queued
    }

    /// The jobs, in order, each state moved out as its job is taken.
    pub(crate) fn into_polls(self) -> impl Iterator<Item = PollJob> + Send {
        self.queued.into_iter().map(Queued::into_job)
    }
}

/// A due feed as a run holds it until its poll starts: its id, URL and interval, and the rest
/// of its state only when any of it is set. A feed polled for the first time (every feed of a
/// cold fetch) has none of the rest, and takes 56 bytes instead of a [`FeedState`]'s 176 and
/// its place and interval's 24: at 100,000 feeds, 6 MB instead of 21 MB, held from the start
/// of a run (heaptrack: the states' list alone was 17.6 MB of a cold fetch's peak heap).
#[derive(Debug)]
pub(crate) struct Queued {
    id: Box<str>,
    url: Box<str>,
    interval: Duration,
    rest: Option<Box<RestOfState>>,
}

/// The fields of a [`FeedState`] besides its id and URL.
#[derive(Debug, Default, PartialEq)]
struct RestOfState {
    moved_to: Option<String>,
    discovered_url: Option<String>,
    etag: Option<String>,
    last_modified: Option<String>,
    next_due_at: Option<DateTime<Utc>>,
    retry_after_until: Option<DateTime<Utc>>,
    error_count: u32,
    gone: bool,
}

impl Queued {
    fn new(state: FeedState, interval: Duration) -> Queued {
        let FeedState {
            id,
            url,
            moved_to,
            discovered_url,
            etag,
            last_modified,
            next_due_at,
            retry_after_until,
            error_count,
            gone,
        } = state;
        let rest = RestOfState {
            moved_to,
            discovered_url,
            etag,
            last_modified,
            next_due_at,
            retry_after_until,
            error_count,
            gone,
        };
        let rest = (rest != RestOfState::default()).then(|| Box::new(rest));
        Queued { id: id.0.into_boxed_str(), url: url.into_boxed_str(), interval, rest }
    }

    fn poll_url(&self) -> &str {
        self.rest.as_ref().and_then(|r| r.moved_to.as_deref()).unwrap_or(&self.url)
    }

    fn into_job(self) -> PollJob {
        let Queued { id, url, interval, rest } = self;
        let RestOfState {
            moved_to,
            discovered_url,
            etag,
            last_modified,
            next_due_at,
            retry_after_until,
            error_count,
            gone,
        } = rest.map(|r| *r).unwrap_or_default();
        let state = FeedState {
            id: FeedId(id.into_string()),
            url: url.into_string(),
            moved_to,
            discovered_url,
            etag,
            last_modified,
            next_due_at,
            retry_after_until,
            error_count,
            gone,
        };
        PollJob { state, interval }
    }
}

/// Feeds (among `configured`, or just `only`) whose server's Retry-After has not yet passed,
/// with the time it ends.
pub(crate) fn held_back(
    states: &[FeedState],
    configured: &[(FeedId, Duration)],
    now: DateTime<Utc>,
    only: Option<&str>,
) -> Vec<(FeedId, DateTime<Utc>)> {
    let states = by_id(states);
    configured
        .iter()
        .filter(|(id, _)| only.is_none_or(|one| id.as_str() == one))
        .filter_map(|(id, _)| {
            let state = *states.get(id.as_str())?;
            let until = state.retry_after_until.filter(|t| *t > now)?;
            Some((id.clone(), until))
        })
        .collect()
}

/// The states keyed by feed id: each configured feed is looked up once, not by a scan of every
/// state (a scan each made 100,000 feeds take minutes).
pub(crate) fn by_id(states: &[FeedState]) -> HashMap<&str, &FeedState> {
    states.iter().map(|s| (s.id.as_str(), s)).collect()
}

/// Backoff after failures, and any server hint, never waits longer than this.
pub(crate) const MAX_WAIT: Duration = Duration::from_secs(24 * 3600);

/// Freshness hints from one successful answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Freshness {
    /// `Cache-Control: max-age` (or the time to `Expires`).
    pub max_age: Option<Duration>,
    /// The feed's RSS `<ttl>`.
    pub ttl: Option<Duration>,
}

/// When to poll again after a success (200 or 304): the interval, stretched by the server's
/// max-age and the feed's ttl, clamped to [15 min, 24 h], plus up to 5 % jitter so that feeds
/// added together spread out. `jitter` is a number in [0, 1).
pub(crate) fn next_after_success(
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
pub(crate) fn next_after_failure(
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
pub(crate) fn backoff(interval: Duration, failures: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(16);
    interval.max(MIN_INTERVAL).saturating_mul(1 << doublings).min(MAX_WAIT)
}

/// A number in [0, 1) derived from a feed id and the time: jitter that needs no RNG and is the
/// same for the same inputs.
pub(crate) fn jitter_for(feed_id: &str, now: DateTime<Utc>) -> f64 {
    // FNV-1a over the id and the minute.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in feed_id.bytes().chain(now.timestamp().div_euclid(60).to_le_bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// A feed never polled, at `http://127.0.0.1/{id}.xml` (for tests).
#[cfg(test)]
pub(crate) fn feed_state(id: &str) -> FeedState {
    FeedState {
        id: id.into(),
        url: format!("http://127.0.0.1/{id}.xml"),
        moved_to: None,
        discovered_url: None,
        etag: None,
        last_modified: None,
        next_due_at: None,
        retry_after_until: None,
        error_count: 0,
        gone: false,
    }
}

#[cfg(test)]
mod tests {
    use super::feed_state as state;
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
    fn jitter_is_in_range_and_deterministic() {
        let a = jitter_for("lgiu", now());
        assert!((0.0..1.0).contains(&a));
        assert_eq!(a, jitter_for("lgiu", now()));
        assert_ne!(a, jitter_for("gds", now()));
    }

    #[test]
    fn due_jobs_skip_feeds_not_yet_due_and_gone_feeds_unless_named() {
        let mut later = state("later");
        later.next_due_at = Some(now() + chrono::Duration::hours(1));
        let mut gone = state("gone");
        gone.gone = true;
        let states = vec![state("new"), later, gone];
        let cfg: Vec<(FeedId, Duration)> = ["new", "later", "gone"]
            .iter()
            .map(|s| (FeedId::from(*s), Duration::from_secs(3600)))
            .collect();
        let ids = |jobs: Jobs| jobs.into_polls().map(|j| j.state.id).collect::<Vec<_>>();
        assert_eq!(ids(due_jobs(states.clone(), &cfg, now(), false, None)), ["new"]);
        assert_eq!(ids(due_jobs(states.clone(), &cfg, now(), true, None)), ["new", "later"]);
        assert_eq!(ids(due_jobs(states, &cfg, now(), false, Some("gone"))), ["gone"]);
    }

    #[test]
    fn a_job_gives_back_the_state_it_was_made_from() {
        let first = state("first");
        let mut known = state("known");
        known.moved_to = Some("https://moved.example/feed".into());
        known.etag = Some("\"v1\"".into());
        known.next_due_at = Some(now());
        known.error_count = 2;
        let mut gone = state("gone");
        gone.gone = true;
        let states = vec![first, known, gone];
        let due =
            vec![(2, Duration::from_secs(60)), (0, Duration::from_secs(7)), (1, Duration::ZERO)];
        let jobs = Jobs::new(states.clone(), due.clone());
        let urls: Vec<String> = jobs.poll_urls().map(String::from).collect();
        assert_eq!(urls, due.iter().map(|&(at, _)| states[at].poll_url()).collect::<Vec<_>>());
        let polled: Vec<(FeedState, Duration)> =
            jobs.into_polls().map(|j| (j.state, j.interval)).collect();
        let wanted: Vec<(FeedState, Duration)> =
            due.iter().map(|&(at, interval)| (states[at].clone(), interval)).collect();
        assert_eq!(polled, wanted);
    }

    #[test]
    fn retry_after_holds_a_feed_back_even_when_forced_or_named() {
        let mut held = state("held");
        held.retry_after_until = Some(now() + chrono::Duration::minutes(5));
        let mut passed = state("passed");
        passed.retry_after_until = Some(now() - chrono::Duration::minutes(5));
        let states = vec![held, passed];
        let cfg: Vec<(FeedId, Duration)> = ["held", "passed"]
            .iter()
            .map(|s| (FeedId::from(*s), Duration::from_secs(3600)))
            .collect();
        let ids = |jobs: Jobs| jobs.into_polls().map(|j| j.state.id).collect::<Vec<_>>();
        assert_eq!(ids(due_jobs(states.clone(), &cfg, now(), true, None)), ["passed"]);
        assert!(due_jobs(states.clone(), &cfg, now(), false, Some("held")).is_empty());
        let held = held_back(&states, &cfg, now(), None);
        assert_eq!(held, [(FeedId::from("held"), now() + chrono::Duration::minutes(5))]);
    }
}
