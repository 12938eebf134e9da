//! The pure decider between fetching and storage: what one poll's [`Retrieval`] means for the
//! feed's row, entries and schedule ([`decide`]), and for the run's report ([`outcome_of`]);
//! within that, the [`EntryRecord`]s a [`ParsedFeed`] gives ([`entry_records`]): each entry's
//! identity, the date it is filed under, its plain text and its content hash.
//!
//! No I/O and no clock reads: the start time and duration of the attempt are passed in.

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use url::Url;

use crate::fetch::{FetchError, Fetched};
use crate::hex::hex;
use crate::html_text::html_to_text;
use crate::http;
use crate::model::{
    DatedBy, EntryRecord, FeedId, FeedPoll, ParsedEntry, ParsedFeed, PollAttempt, PollError,
    PollResult, Validators, WriteCounts,
};
use crate::schedule::{self, Freshness, PollJob};

/// What happened to one feed, for the summary and the progress bar.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedOutcome {
    /// The feed polled.
    pub feed_id: FeedId,
    /// What came of it.
    pub kind: OutcomeKind,
    /// Something worth telling even on success (a move, a discovered feed).
    pub note: Option<Note>,
    /// When it is polled next; `None` once gone.
    pub next_due_at: Option<DateTime<Utc>>,
}

/// A change of address learnt during a poll; later polls go to the new one.
#[derive(Debug, Clone, PartialEq)]
pub enum Note {
    /// A 301/308 pointed here.
    Moved(String),
    /// The configured URL is an HTML page that advertises this feed.
    Discovered {
        /// The configured URL.
        page: String,
        /// The feed it advertises.
        feed: String,
    },
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Note::Moved(to) => write!(f, "moved permanently to {to}; later polls go there"),
            Note::Discovered { page, feed } => {
                write!(f, "{page} is an HTML page; found its feed at {feed} and polled that")
            }
        }
    }
}

/// What came of one feed's poll.
#[derive(Debug, Clone, PartialEq)]
pub enum OutcomeKind {
    /// The feed was read and stored.
    Stored {
        /// Entries stored for the first time.
        new: usize,
        /// Stored entries rewritten because they changed.
        updated: usize,
        /// Entries of the document past what one feed may give, not read.
        dropped: usize,
    },
    /// HTTP 304: nothing new.
    NotModified,
    /// No feed came.
    Failed {
        /// What went wrong.
        error: PollError,
        /// Consecutive failures, this one included.
        failures: u32,
    },
    /// HTTP 410 Gone: polling stopped.
    Gone,
}

impl FeedOutcome {
    /// Whether the feed failed (or is gone).
    pub fn failed(&self) -> bool {
        matches!(self.kind, OutcomeKind::Failed { .. } | OutcomeKind::Gone)
    }
}

/// What one fetch attempt produced, before any decision.
#[derive(Debug)]
pub struct Retrieval {
    /// The URL requested.
    pub requested: Url,
    /// The HTTP answer, or why none came.
    pub fetched: Result<Fetched, FetchError>,
    /// The feed read from a 2xx answer, or why none could be.
    pub parsed: Option<Result<ParsedFeed, PollError>>,
    /// The feed found on an HTML page, when the configured URL was one.
    pub discovered: Option<Url>,
    /// Bytes received in all requests of this attempt.
    pub bytes: u64,
}

/// The pure decision: what a retrieval means for the feed's row, entries and schedule.
pub fn decide(
    job: &PollJob,
    retrieval: Retrieval,
    started_at: DateTime<Utc>,
    elapsed: Duration,
) -> FeedPoll {
    let mut attempt = PollAttempt {
        feed_id: job.state.id.clone(),
        started_at,
        url: retrieval.requested.to_string(),
        status: None,
        duration_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
        bytes: retrieval.bytes,
        moved_to: None,
        discovered_url: retrieval.discovered.as_ref().map(Url::to_string),
    };
    let failures = job.state.error_count.saturating_add(1);
    let failed = |error: PollError, retry_after: Option<DateTime<Utc>>| {
        let next_due_at =
            schedule::next_after_failure(started_at, job.interval, failures, retry_after);
        PollResult::Failed {
            error,
            failures,
            next_due_at,
            // Never later than the next poll (which caps an absurd Retry-After).
            retry_after_until: retry_after.map(|r| r.min(next_due_at)),
        }
    };
    let fetched = match retrieval.fetched {
        Ok(f) => f,
        Err(e) => return FeedPoll { attempt, result: failed(PollError::Fetch(e), None) },
    };
    attempt.status = Some(fetched.status);
    attempt.moved_to = fetched
        .moved_permanently_to
        .as_ref()
        .map(Url::to_string)
        .or_else(|| retrieval.discovered.as_ref().map(|d| d.to_string()));
    let freshness = |f: &Fetched, ttl: Option<u32>| Freshness {
        max_age: http::cache_lifetime(
            f.cache_control.as_deref(),
            f.expires.as_deref(),
            f.date.as_deref(),
            started_at,
        ),
        ttl: ttl.map(|m| Duration::from_secs(u64::from(m) * 60)),
    };
    let jitter = schedule::jitter_for(&job.state.id, started_at);
    let result = match fetched.status {
        304 => PollResult::NotModified {
            next_due_at: schedule::next_after_success(
                started_at,
                job.interval,
                freshness(&fetched, None),
                jitter,
            ),
        },
        410 => PollResult::Gone { failures },
        status @ (429 | 503) => {
            let until =
                fetched.retry_after.as_deref().and_then(|r| http::parse_retry_after(r, started_at));
            failed(PollError::Throttled { status, until }, until)
        }
        s if (200..300).contains(&s) => match retrieval.parsed {
            Some(Ok(feed)) => PollResult::Stored {
                validators: Validators {
                    etag: fetched.etag.clone(),
                    last_modified: fetched.last_modified.clone(),
                },
                next_due_at: schedule::next_after_success(
                    started_at,
                    job.interval,
                    freshness(&fetched, feed.ttl_minutes),
                    jitter,
                ),
                entries: entry_records(feed.entries, started_at),
                entries_dropped: feed.entries_dropped,
                title: feed.title,
                site_url: feed.link,
            },
            Some(Err(e)) => failed(e, None),
            None => failed(PollError::Empty, None),
        },
        status => failed(PollError::Status { status }, None),
    };
    FeedPoll { attempt, result }
}

/// The report's view of a written poll: `counts` are what the store did with its entries.
pub fn outcome_of(poll: &FeedPoll, counts: WriteCounts) -> FeedOutcome {
    let kind = match &poll.result {
        PollResult::Stored { entries_dropped, .. } => OutcomeKind::Stored {
            new: counts.new,
            updated: counts.updated,
            dropped: *entries_dropped,
        },
        PollResult::NotModified { .. } => OutcomeKind::NotModified,
        PollResult::Failed { error, failures, .. } => {
            OutcomeKind::Failed { error: error.clone(), failures: *failures }
        }
        PollResult::Gone { .. } => OutcomeKind::Gone,
    };
    let a = &poll.attempt;
    let note = match (&a.discovered_url, &a.moved_to) {
        (Some(d), _) => Some(Note::Discovered { page: a.url.clone(), feed: d.clone() }),
        (None, Some(m)) => Some(Note::Moved(m.clone())),
        _ => None,
    };
    FeedOutcome { feed_id: a.feed_id.clone(), kind, note, next_due_at: poll.result.next_due_at() }
}

/// The records for a feed's `entries`, in document order, one per identity (the first
/// occurrence wins when a feed repeats an identity). `now` is the first-seen time for undated
/// entries. The entries' texts move into the records, uncopied.
pub fn entry_records(entries: Vec<ParsedEntry>, now: DateTime<Utc>) -> Vec<EntryRecord> {
    let mut seen = HashSet::with_capacity(entries.len());
    entries
        .into_iter()
        .map(|e| record(e, now))
        .filter(|r| seen.insert(r.identity.clone()))
        .collect()
}

/// Identity of an entry within its feed: the feed's guid/id; else its canonical link; else a
/// stable hash of its title and date (and, failing those, its text).
pub fn identity(e: &ParsedEntry) -> String {
    if let Some(guid) = e.guid.as_deref().map(str::trim).filter(|g| !g.is_empty()) {
        return guid.to_string();
    }
    if let Some(link) = e.link.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
        return link.to_string();
    }
    let mut h = Sha256::new();
    h.update(e.title.as_deref().unwrap_or("").as_bytes());
    h.update([0]);
    if let Some(d) = e.published.or(e.updated) {
        h.update(crate::timefmt::rfc3339(d).as_bytes());
    }
    if e.title.is_none() {
        h.update([0]);
        h.update(e.summary_html.as_deref().or(e.content_html.as_deref()).unwrap_or("").as_bytes());
    }
    format!("sha256:{}", hex(&h.finalize()[..16]))
}

fn record(e: ParsedEntry, now: DateTime<Utc>) -> EntryRecord {
    let (published, dated_by) = match (e.published, e.updated) {
        (Some(p), _) => (p, DatedBy::Published),
        (None, Some(u)) => (u, DatedBy::Updated),
        (None, None) => (now, DatedBy::FirstSeen),
    };
    let body = e.content_html.as_deref().or(e.summary_html.as_deref()).unwrap_or("");
    let text = html_to_text(body);
    let mut h = Sha256::new();
    for part in [
        e.title.as_deref(),
        e.link.as_deref(),
        e.author.as_deref(),
        e.summary_html.as_deref(),
        e.content_html.as_deref(),
    ] {
        h.update(part.unwrap_or("").as_bytes());
        h.update([0]);
    }
    // An undated entry's filing date is roundup's own, not content: keep it out of the hash.
    for d in [e.published, e.updated] {
        h.update(d.map(crate::timefmt::rfc3339).unwrap_or_default().as_bytes());
        h.update([0]);
    }
    for c in &e.categories {
        h.update(c.as_bytes());
        h.update([1]);
    }
    EntryRecord {
        identity: identity(&e),
        // Links are stored, and so shown to readers, without tracking parameters.
        url: e.link.as_deref().map(crate::links::without_tracking),
        title: e.title,
        author: e.author,
        published,
        dated_by,
        updated: e.updated,
        summary_html: e.summary_html,
        content_html: e.content_html,
        text,
        categories: e.categories,
        content_hash: hex(&h.finalize()[..16]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::feed_state as state;
    use crate::store::FeedState;
    use crate::timefmt::parse_rfc3339;

    fn job(error_count: u32) -> PollJob {
        PollJob {
            state: FeedState { error_count, ..state("a") },
            interval: Duration::from_secs(3600),
        }
    }

    fn now() -> DateTime<Utc> {
        parse_rfc3339("2026-11-26T12:00:00Z").unwrap()
    }

    fn answer(status: u16) -> Fetched {
        Fetched {
            status,
            final_url: Url::parse("http://127.0.0.1/a.xml").unwrap(),
            moved_permanently_to: None,
            etag: Some("\"v1\"".into()),
            last_modified: None,
            content_type: None,
            cache_control: None,
            expires: None,
            date: None,
            retry_after: None,
            body: vec![],
        }
    }

    fn retrieved(
        fetched: Result<Fetched, FetchError>,
        parsed: Option<Result<ParsedFeed, PollError>>,
    ) -> Retrieval {
        Retrieval {
            requested: Url::parse("http://127.0.0.1/a.xml").unwrap(),
            fetched,
            parsed,
            discovered: None,
            bytes: 0,
        }
    }

    fn entry(guid: Option<&str>, link: Option<&str>, title: &str) -> ParsedEntry {
        ParsedEntry {
            guid: guid.map(Into::into),
            link: link.map(Into::into),
            title: Some(title.into()),
            ..Default::default()
        }
    }

    #[test]
    fn identity_prefers_guid_then_link_then_a_stable_hash() {
        assert_eq!(identity(&entry(Some("g1"), Some("https://x/1"), "t")), "g1");
        assert_eq!(identity(&entry(None, Some("https://x/1"), "t")), "https://x/1");
        let a = identity(&entry(None, None, "t"));
        assert!(a.starts_with("sha256:"));
        assert_eq!(a, identity(&entry(None, None, "t")), "the hash is stable across parses");
        assert_ne!(a, identity(&entry(None, None, "u")));
    }

    #[test]
    fn links_are_recorded_without_tracking_parameters_and_keep_their_identity() {
        let e = entry(None, Some("https://x.example/1?utm_source=rss&id=2"), "t");
        let feed = ParsedFeed { entries: vec![e], ..Default::default() };
        let r = &entry_records(feed.entries, Utc::now())[0];
        assert_eq!(r.url.as_deref(), Some("https://x.example/1?id=2"));
        assert_eq!(r.identity, "https://x.example/1?utm_source=rss&id=2", "identity unchanged");
    }

    #[test]
    fn undated_entries_are_filed_under_first_seen_and_marked() {
        let now = parse_rfc3339("2026-11-26T12:00:00Z").unwrap();
        let mut e = entry(Some("g"), None, "t");
        let r = &entry_records(vec![e.clone()], now)[0];
        assert_eq!((r.published, r.dated_by), (now, DatedBy::FirstSeen));
        e.updated = parse_rfc3339("2026-11-01T00:00:00Z");
        let r = &entry_records(vec![e], now)[0];
        assert_eq!(r.dated_by, DatedBy::Updated);
    }

    #[test]
    fn the_content_hash_ignores_the_first_seen_time_but_not_the_content() {
        let f = vec![entry(Some("g"), None, "t")];
        let a = entry_records(f.clone(), parse_rfc3339("2026-11-01T00:00:00Z").unwrap());
        let b = entry_records(f, parse_rfc3339("2026-11-02T00:00:00Z").unwrap());
        assert_eq!(a[0].content_hash, b[0].content_hash);
        let g = vec![entry(Some("g"), None, "t2")];
        assert_ne!(a[0].content_hash, entry_records(g, Utc::now())[0].content_hash);
    }

    #[test]
    fn stored_hashes_keep_their_meaning() {
        // The databases out there hold these: a change here rewrites every stored entry once.
        let e = ParsedEntry {
            guid: None,
            link: Some("https://x.example/p?utm_source=rss&id=2".into()),
            title: Some("T\u{2019}s".into()),
            author: Some("Ann, Bo".into()),
            published: parse_rfc3339("2026-11-01T10:00:00Z"),
            updated: parse_rfc3339("2026-11-02T10:00:00Z"),
            summary_html: Some("<p>S &amp; s</p>".into()),
            content_html: Some("<p>C</p>".into()),
            categories: vec!["a".into(), "b".into()],
        };
        let untitled = ParsedEntry { title: None, link: None, ..e.clone() };
        let r = entry_records(vec![e, untitled], Utc::now());
        assert_eq!(r[0].content_hash, "270e9764ad2a140bf210ebd4b70f58bd");
        assert_eq!(r[1].identity, "sha256:e3fc0930bd75be11d02e6e5b4bdf83c6");
        assert_eq!(r[1].content_hash, "9d1f5a9dbcc58273f2baaede24c65a7e");
    }

    #[test]
    fn a_repeated_identity_in_one_document_is_kept_once() {
        let f = vec![entry(Some("g"), None, "first"), entry(Some("g"), None, "second")];
        let r = entry_records(f, Utc::now());
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].title.as_deref(), Some("first"));
    }

    #[test]
    fn a_200_stores_entries_and_validators_and_resets_errors() {
        let feed = ParsedFeed {
            entries: vec![crate::model::ParsedEntry {
                guid: Some("1".into()),
                ..Default::default()
            }],
            ..Default::default()
        };
        let u = decide(&job(3), retrieved(Ok(answer(200)), Some(Ok(feed))), now(), Duration::ZERO);
        assert_eq!(u.result.failures(), 0);
        let PollResult::Stored { entries, validators, next_due_at, .. } = u.result else {
            panic!("not stored: {:?}", u.result)
        };
        assert_eq!(entries.len(), 1);
        assert_eq!(validators.etag.as_deref(), Some("\"v1\""));
        assert!(next_due_at >= now() + chrono::Duration::hours(1));
    }

    #[test]
    fn a_304_is_success_with_nothing_to_store() {
        let u = decide(&job(2), retrieved(Ok(answer(304)), None), now(), Duration::ZERO);
        assert!(matches!(u.result, PollResult::NotModified { .. }), "{:?}", u.result);
        assert_eq!((u.result.error_text(), u.result.failures()), (None, 0));
    }

    #[test]
    fn a_429_waits_for_retry_after_and_counts_a_failure() {
        let mut a = answer(429);
        a.retry_after = Some("7200".into());
        let u = decide(&job(0), retrieved(Ok(a), None), now(), Duration::ZERO);
        let two_hours = now() + chrono::Duration::hours(2);
        assert_eq!(
            u.result,
            PollResult::Failed {
                error: PollError::Throttled { status: 429, until: Some(two_hours) },
                failures: 1,
                next_due_at: two_hours,
                retry_after_until: Some(two_hours),
            }
        );
        assert_eq!(
            u.result.error_text().unwrap(),
            "HTTP 429 Too Many Requests: asked to wait until 2026-11-26T14:00:00Z"
        );
    }

    #[test]
    fn a_410_stops_polling() {
        let u = decide(&job(0), retrieved(Ok(answer(410)), None), now(), Duration::ZERO);
        assert_eq!(u.result, PollResult::Gone { failures: 1 });
        assert_eq!(u.result.next_due_at(), None);
    }

    #[test]
    fn repeated_failures_back_off() {
        let u = decide(&job(3), retrieved(Ok(answer(500)), None), now(), Duration::ZERO);
        assert_eq!(u.result.failures(), 4);
        assert_eq!(u.result.next_due_at(), Some(now() + chrono::Duration::hours(8)));
        assert_eq!(u.result.error_text().unwrap(), "HTTP 500 Internal Server Error");
        let u = decide(
            &job(0),
            retrieved(Err(FetchError::Timeout(Duration::from_secs(30))), None),
            now(),
            Duration::ZERO,
        );
        let PollResult::Failed { error: PollError::Fetch(FetchError::Timeout(_)), .. } = u.result
        else {
            panic!("the kind of error is lost: {:?}", u.result)
        };
        assert!(u.result.error_text().unwrap().contains("timed out"));
    }

    #[test]
    fn a_permanent_redirect_is_recorded() {
        let mut a = answer(200);
        a.moved_permanently_to = Some(Url::parse("http://127.0.0.1/new.xml").unwrap());
        let u = decide(
            &job(0),
            retrieved(Ok(a), Some(Ok(ParsedFeed::default()))),
            now(),
            Duration::ZERO,
        );
        assert_eq!(u.attempt.moved_to.as_deref(), Some("http://127.0.0.1/new.xml"));
        assert_eq!(
            outcome_of(&u, WriteCounts::default()).note,
            Some(Note::Moved("http://127.0.0.1/new.xml".into()))
        );
    }
}
