//! One polling run: which feeds are due, fetching them concurrently, parsing each answer off the
//! async threads, deciding what it means for the feed, and handing the result to the single
//! writer that owns the store. Only retrieval runs in parallel; writes are one feed at a time.
//!
//! ```text
//! due_jobs ─► [task per feed: fetch ─► (blocking) parse / discover ─► decide] ─► writer thread
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use url::Url;

use crate::discover;
use crate::fetch::{FetchError, FetchRequest, Fetched, Fetcher};
use crate::model::{FeedUpdate, ParsedFeed, Validators};
use crate::parse::{ParseError, parse_feed};
use crate::schedule::{self, Freshness};
use crate::store::{FeedState, Store, StoreError};

/// A feed to poll in this run.
#[derive(Debug, Clone)]
pub struct PollJob {
    pub state: FeedState,
    pub interval: Duration,
}

/// Which feeds to poll: those due (never polled, or their time has come), all with `force`, or
/// just `only`. Gone feeds are skipped unless named with `only`. A feed whose server asked for
/// a pause (Retry-After) is never polled before it ends, forced or not: see [`held_back`].
pub fn due_jobs(
    states: &[FeedState],
    configured: &[(String, Duration)],
    now: DateTime<Utc>,
    force: bool,
    only: Option<&str>,
) -> Vec<PollJob> {
    configured
        .iter()
        .filter_map(|(id, interval)| {
            let state = states.iter().find(|s| &s.id == id)?;
            if state.retry_after_until.is_some_and(|t| t > now) {
                return None;
            }
            let wanted = match only {
                Some(one) => one == id,
                None => !state.gone && (force || state.next_due_at.is_none_or(|t| t <= now)),
            };
            wanted.then(|| PollJob { state: state.clone(), interval: *interval })
        })
        .collect()
}

/// Feeds (among `configured`, or just `only`) whose server's Retry-After has not yet passed,
/// with the time it ends.
pub fn held_back(
    states: &[FeedState],
    configured: &[(String, Duration)],
    now: DateTime<Utc>,
    only: Option<&str>,
) -> Vec<(String, DateTime<Utc>)> {
    configured
        .iter()
        .filter(|(id, _)| only.is_none_or(|one| one == id))
        .filter_map(|(id, _)| {
            let state = states.iter().find(|s| &s.id == id)?;
            let until = state.retry_after_until.filter(|t| *t > now)?;
            Some((id.clone(), until))
        })
        .collect()
}

/// What happened to one feed, for the summary and the progress bar.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedOutcome {
    pub feed_id: String,
    pub kind: OutcomeKind,
    /// Something worth telling even on success (a move, a discovered feed).
    pub note: Option<Note>,
    pub next_due_at: Option<DateTime<Utc>>,
}

/// A change of address learnt during a poll; later polls go to the new one.
#[derive(Debug, Clone, PartialEq)]
pub enum Note {
    /// A 301/308 pointed here.
    Moved(String),
    /// The configured URL is an HTML page that advertises this feed.
    Discovered { page: String, feed: String },
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

#[derive(Debug, Clone, PartialEq)]
pub enum OutcomeKind {
    Stored { new: usize, updated: usize },
    NotModified,
    Failed { error: String, failures: u32 },
    Gone,
}

impl FeedOutcome {
    pub fn failed(&self) -> bool {
        matches!(self.kind, OutcomeKind::Failed { .. } | OutcomeKind::Gone)
    }
}

/// What one fetch attempt produced, before any decision.
#[derive(Debug)]
pub struct Attempt {
    pub requested: Url,
    pub fetched: Result<Fetched, FetchError>,
    pub parsed: Option<Result<ParsedFeed, String>>,
    /// The feed found on an HTML page, when the configured URL was one.
    pub discovered: Option<Url>,
    /// Bytes received in all requests of this attempt.
    pub bytes: u64,
}

/// The pure decision: what an attempt means for the feed's row, entries and schedule.
pub fn decide(
    job: &PollJob,
    attempt: Attempt,
    started_at: DateTime<Utc>,
    elapsed: Duration,
) -> FeedUpdate {
    let mut u = FeedUpdate {
        duration_ms: elapsed.as_millis() as u64,
        bytes: attempt.bytes,
        discovered_url: attempt.discovered.as_ref().map(Url::to_string),
        ..FeedUpdate::new(&job.state.id, attempt.requested.as_str(), started_at)
    };
    let failures = job.state.error_count.saturating_add(1);
    let fail = |u: &mut FeedUpdate, error: String, retry_after: Option<DateTime<Utc>>| {
        u.error = Some(error);
        u.error_count = failures;
        u.next_due_at =
            Some(schedule::next_after_failure(started_at, job.interval, failures, retry_after));
    };
    let fetched = match attempt.fetched {
        Ok(f) => f,
        Err(e) => {
            fail(&mut u, e.to_string(), None);
            return u;
        }
    };
    u.status = Some(fetched.status);
    u.moved_to = fetched
        .moved_permanently_to
        .as_ref()
        .map(Url::to_string)
        .or_else(|| attempt.discovered.as_ref().map(|d| d.to_string()));
    let freshness = |f: &Fetched, ttl: Option<u32>| Freshness {
        max_age: schedule::cache_lifetime(
            f.cache_control.as_deref(),
            f.expires.as_deref(),
            f.date.as_deref(),
            started_at,
        ),
        ttl: ttl.map(|m| Duration::from_secs(u64::from(m) * 60)),
    };
    let jitter = schedule::jitter_for(&job.state.id, started_at);
    match fetched.status {
        304 => {
            u.next_due_at = Some(schedule::next_after_success(
                started_at,
                job.interval,
                freshness(&fetched, None),
                jitter,
            ));
        }
        410 => {
            u.gone = true;
            u.error_count = failures;
            u.error =
                Some("HTTP 410 Gone: the publisher has removed this feed; polling stopped".into());
        }
        s @ (429 | 503) => {
            let retry = fetched
                .retry_after
                .as_deref()
                .and_then(|r| schedule::parse_retry_after(r, started_at));
            let msg = match retry {
                Some(t) => format!(
                    "HTTP {s} {}: asked to wait until {}",
                    reason(s),
                    crate::timefmt::rfc3339(t)
                ),
                None => format!("HTTP {s} {}", reason(s)),
            };
            fail(&mut u, msg, retry);
            // Never later than the next poll (which caps an absurd Retry-After).
            u.retry_after_until = retry.map(|r| r.min(u.next_due_at.unwrap_or(r)));
        }
        s if (200..300).contains(&s) => match attempt.parsed {
            Some(Ok(feed)) => {
                u.validators = Some(Validators {
                    etag: fetched.etag.clone(),
                    last_modified: fetched.last_modified.clone(),
                });
                u.next_due_at = Some(schedule::next_after_success(
                    started_at,
                    job.interval,
                    freshness(&fetched, feed.ttl_minutes),
                    jitter,
                ));
                u.entries = crate::update::entry_records(&feed, started_at);
                u.title = feed.title;
                u.site_url = feed.link;
            }
            Some(Err(e)) => fail(&mut u, e, None),
            None => fail(&mut u, "empty answer".into(), None),
        },
        s => fail(&mut u, format!("HTTP {s} {}", reason(s)), None),
    }
    u
}

fn reason(status: u16) -> &'static str {
    reqwest::StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()).unwrap_or("")
}

/// Fetches one feed (and, when its URL is an HTML page, the feed that page advertises, once).
pub async fn attempt(fetcher: &Fetcher, job: &PollJob) -> Attempt {
    let requested = match Url::parse(job.state.poll_url()) {
        Ok(u) => u,
        Err(e) => {
            return Attempt {
                requested: Url::parse("http://invalid.invalid/").expect("static URL"),
                fetched: Err(FetchError::Other(format!(
                    "stored URL {:?} is invalid: {e}",
                    job.state.poll_url()
                ))),
                parsed: None,
                discovered: None,
                bytes: 0,
            };
        }
    };
    let req = FetchRequest {
        url: requested.clone(),
        etag: job.state.etag.clone(),
        last_modified: job.state.last_modified.clone(),
    };
    let fetched = fetcher.fetch(&req).await;
    let Ok(first) = fetched else {
        return Attempt { requested, fetched, parsed: None, discovered: None, bytes: 0 };
    };
    let bytes = first.body.len() as u64;
    if !(200..300).contains(&first.status) {
        return Attempt { requested, fetched: Ok(first), parsed: None, discovered: None, bytes };
    }
    let (first, parsed) = parse_off_thread(first).await;
    match parsed {
        Err(ParseError::Html) => {}
        other => {
            return Attempt {
                requested,
                fetched: Ok(first),
                parsed: Some(other.map_err(|e| e.to_string())),
                discovered: None,
                bytes,
            };
        }
    }
    // An HTML page: look for the feed it advertises, once.
    let (first, links) = on_cpu(move || {
        let html = String::from_utf8_lossy(&first.body).into_owned();
        let links = discover::feed_links(&html, &first.final_url);
        (first, links)
    })
    .await;
    let Some(link) = links.into_iter().next() else {
        let msg = format!(
            "{} is an HTML page, not a feed, and advertises no feed (<link rel=\"alternate\">)",
            first.final_url
        );
        return Attempt {
            requested,
            fetched: Ok(first),
            parsed: Some(Err(msg)),
            discovered: None,
            bytes,
        };
    };
    let second = fetcher
        .fetch(&FetchRequest { url: link.url.clone(), etag: None, last_modified: None })
        .await;
    match second {
        Ok(f) if (200..300).contains(&f.status) => {
            let bytes = bytes + f.body.len() as u64;
            let found = link.url.clone();
            let (f, parsed) = parse_off_thread(f).await;
            let parsed = parsed.map_err(|e| {
                format!(
                    "{} is an HTML page; the feed it advertises, {found}, is unreadable: {e}",
                    requested
                )
            });
            Attempt {
                requested,
                fetched: Ok(f),
                parsed: Some(parsed),
                discovered: Some(link.url),
                bytes,
            }
        }
        other => {
            let why = match other {
                Ok(f) => format!("answered HTTP {}", f.status),
                Err(e) => format!("failed: {e}"),
            };
            let msg =
                format!("{requested} is an HTML page; the feed it advertises, {}, {why}", link.url);
            Attempt {
                requested,
                fetched: Ok(first),
                parsed: Some(Err(msg)),
                discovered: None,
                bytes,
            }
        }
    }
}

/// CPU-bound work (parsing, deciding) runs on the blocking pool, one job per core at a time:
/// more would only add threads and memory, not speed.
static CPU_SLOTS: std::sync::LazyLock<Arc<tokio::sync::Semaphore>> =
    std::sync::LazyLock::new(|| {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
        Arc::new(tokio::sync::Semaphore::new(cores))
    });

/// Runs `work` on the blocking pool once a CPU slot is free.
async fn on_cpu<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    let slot = CPU_SLOTS.clone().acquire_owned().await.expect("never closed");
    tokio::task::spawn_blocking(move || {
        let _slot = slot;
        work()
    })
    .await
    .expect("CPU work does not panic")
}

async fn parse_off_thread(f: Fetched) -> (Fetched, Result<ParsedFeed, ParseError>) {
    on_cpu(move || {
        let charset = f.charset();
        let parsed = parse_feed(&f.body, Some(&f.final_url), charset.as_deref());
        (f, parsed)
    })
    .await
}

/// Results waiting for the writer.
const WRITE_QUEUE: usize = 16;
/// Most feeds written in one transaction.
const MAX_BATCH: usize = 64;
/// How long the writer gathers results before it commits them.
const BATCH_WINDOW: Duration = Duration::from_millis(150);
/// Room for feeds being parsed beyond the fetches and the queue.
const PARSE_THREADS: usize = 4;

/// Polls `jobs` concurrently and writes each result as it comes, through one writer thread
/// that owns `store`. `on_done` sees each outcome once written (for progress). Setting `stop`
/// lets in-flight feeds finish but starts no new ones. Gives the store back with the outcomes.
pub async fn run(
    fetcher: Arc<Fetcher>,
    jobs: Vec<PollJob>,
    mut store: Store,
    on_done: Arc<dyn Fn(&FeedOutcome) + Send + Sync>,
    stop: Arc<AtomicBool>,
) -> (Store, Vec<FeedOutcome>, Option<StoreError>) {
    let (tx, rx) = std::sync::mpsc::sync_channel::<FeedUpdate>(WRITE_QUEUE);
    let writer = std::thread::spawn(move || {
        let mut outcomes = Vec::new();
        let mut failure = None;
        while let Ok(first) = rx.recv() {
            if failure.is_some() {
                continue;
            }
            // What arrives within a short window goes into the same transaction: fewer commits
            // and fewer full-text segments to merge.
            let mut batch = vec![first];
            let window = Instant::now() + BATCH_WINDOW;
            while batch.len() < MAX_BATCH {
                let left = window.saturating_duration_since(Instant::now());
                match rx.recv_timeout(left) {
                    Ok(more) => batch.push(more),
                    Err(_) => break,
                }
            }
            match store.record_polls(&batch) {
                Ok(counts) => {
                    for (update, counts) in batch.iter().zip(counts) {
                        let outcome = outcome_of(update, counts);
                        on_done(&outcome);
                        outcomes.push(outcome);
                    }
                }
                Err(e) => failure = Some(e),
            }
        }
        (store, outcomes, failure)
    });
    // Feeds between the start of their fetch and the writer are bounded: a fetch starts only
    // when its result will have room, so memory stays flat however many feeds there are.
    // (Jobs are interleaved over hosts, so the feeds holding room are rarely stuck behind one
    // busy host.)
    let in_pipeline =
        Arc::new(tokio::sync::Semaphore::new(fetcher.concurrency() + WRITE_QUEUE + PARSE_THREADS));

    let mut tasks = tokio::task::JoinSet::new();
    for job in interleave_hosts(jobs) {
        // Tasks are spawned only as room frees up, so a long feed list costs no memory.
        let room = in_pipeline.clone().acquire_owned().await.expect("never closed");
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let fetcher = fetcher.clone();
        let tx = tx.clone();
        tasks.spawn(async move {
            let _room = room;
            let started_at = Utc::now();
            let clock = Instant::now();
            let result = attempt(&fetcher, &job).await;
            let elapsed = clock.elapsed();
            let update = on_cpu(move || decide(&job, result, started_at, elapsed)).await;
            // The writer only hangs up after a store failure; then there is nothing to do.
            let _ = tokio::task::spawn_blocking(move || tx.send(update).is_ok()).await;
        });
        while tasks.try_join_next().is_some() {}
    }
    drop(tx);
    while tasks.join_next().await.is_some() {}
    tokio::task::spawn_blocking(move || writer.join().expect("the writer thread does not panic"))
        .await
        .expect("joining the writer")
}

/// Orders jobs round-robin over hosts so that the first requests spread over every host.
fn interleave_hosts(jobs: Vec<PollJob>) -> Vec<PollJob> {
    let mut by_host: Vec<(String, std::collections::VecDeque<PollJob>)> = Vec::new();
    for job in jobs {
        let host = Url::parse(job.state.poll_url())
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_default();
        match by_host.iter_mut().find(|(h, _)| *h == host) {
            Some((_, q)) => q.push_back(job),
            None => by_host.push((host, std::collections::VecDeque::from([job]))),
        }
    }
    let mut out = Vec::new();
    loop {
        let mut any = false;
        for (_, q) in by_host.iter_mut() {
            if let Some(j) = q.pop_front() {
                out.push(j);
                any = true;
            }
        }
        if !any {
            return out;
        }
    }
}

fn outcome_of(u: &FeedUpdate, counts: crate::model::WriteCounts) -> FeedOutcome {
    let kind = if u.gone {
        OutcomeKind::Gone
    } else if let Some(e) = &u.error {
        OutcomeKind::Failed { error: e.clone(), failures: u.error_count }
    } else if u.status == Some(304) {
        OutcomeKind::NotModified
    } else {
        OutcomeKind::Stored { new: counts.new, updated: counts.updated }
    };
    let note = match (&u.discovered_url, &u.moved_to) {
        (Some(d), _) => Some(Note::Discovered { page: u.url.clone(), feed: d.clone() }),
        (None, Some(m)) => Some(Note::Moved(m.clone())),
        _ => None,
    };
    FeedOutcome { feed_id: u.feed_id.clone(), kind, note, next_due_at: u.next_due_at }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timefmt::parse_rfc3339;

    fn state(id: &str) -> FeedState {
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

    fn attempt_with(
        fetched: Result<Fetched, FetchError>,
        parsed: Option<Result<ParsedFeed, String>>,
    ) -> Attempt {
        Attempt {
            requested: Url::parse("http://127.0.0.1/a.xml").unwrap(),
            fetched,
            parsed,
            discovered: None,
            bytes: 0,
        }
    }

    #[test]
    fn due_jobs_skip_feeds_not_yet_due_and_gone_feeds_unless_named() {
        let mut later = state("later");
        later.next_due_at = Some(now() + chrono::Duration::hours(1));
        let mut gone = state("gone");
        gone.gone = true;
        let states = vec![state("new"), later, gone];
        let cfg: Vec<(String, Duration)> = ["new", "later", "gone"]
            .iter()
            .map(|s| (s.to_string(), Duration::from_secs(3600)))
            .collect();
        let ids = |jobs: Vec<PollJob>| jobs.into_iter().map(|j| j.state.id).collect::<Vec<_>>();
        assert_eq!(ids(due_jobs(&states, &cfg, now(), false, None)), ["new"]);
        assert_eq!(ids(due_jobs(&states, &cfg, now(), true, None)), ["new", "later"]);
        assert_eq!(ids(due_jobs(&states, &cfg, now(), false, Some("gone"))), ["gone"]);
    }

    #[test]
    fn retry_after_holds_a_feed_back_even_when_forced_or_named() {
        let mut held = state("held");
        held.retry_after_until = Some(now() + chrono::Duration::minutes(5));
        let mut passed = state("passed");
        passed.retry_after_until = Some(now() - chrono::Duration::minutes(5));
        let states = vec![held, passed];
        let cfg: Vec<(String, Duration)> =
            ["held", "passed"].iter().map(|s| (s.to_string(), Duration::from_secs(3600))).collect();
        let ids = |jobs: Vec<PollJob>| jobs.into_iter().map(|j| j.state.id).collect::<Vec<_>>();
        assert_eq!(ids(due_jobs(&states, &cfg, now(), true, None)), ["passed"]);
        assert!(due_jobs(&states, &cfg, now(), false, Some("held")).is_empty());
        let held = held_back(&states, &cfg, now(), None);
        assert_eq!(held, [("held".to_string(), now() + chrono::Duration::minutes(5))]);
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
        let u =
            decide(&job(3), attempt_with(Ok(answer(200)), Some(Ok(feed))), now(), Duration::ZERO);
        assert_eq!(u.error_count, 0);
        assert_eq!(u.entries.len(), 1);
        assert_eq!(u.validators.unwrap().etag.as_deref(), Some("\"v1\""));
        assert!(u.next_due_at.unwrap() >= now() + chrono::Duration::hours(1));
    }

    #[test]
    fn a_304_is_success_with_nothing_to_store() {
        let u = decide(&job(2), attempt_with(Ok(answer(304)), None), now(), Duration::ZERO);
        assert_eq!((u.error.clone(), u.error_count, u.entries.len()), (None, 0, 0));
        assert!(u.validators.is_none(), "a 304 keeps the stored validators");
    }

    #[test]
    fn a_429_waits_for_retry_after_and_counts_a_failure() {
        let mut a = answer(429);
        a.retry_after = Some("7200".into());
        let u = decide(&job(0), attempt_with(Ok(a), None), now(), Duration::ZERO);
        assert_eq!(u.error_count, 1);
        assert_eq!(u.next_due_at, Some(now() + chrono::Duration::hours(2)));
        assert_eq!(u.retry_after_until, Some(now() + chrono::Duration::hours(2)));
        assert!(u.error.unwrap().contains("429"));
    }

    #[test]
    fn a_410_stops_polling() {
        let u = decide(&job(0), attempt_with(Ok(answer(410)), None), now(), Duration::ZERO);
        assert!(u.gone);
        assert_eq!(u.next_due_at, None);
    }

    #[test]
    fn repeated_failures_back_off() {
        let u = decide(&job(3), attempt_with(Ok(answer(500)), None), now(), Duration::ZERO);
        assert_eq!(u.error_count, 4);
        assert_eq!(u.next_due_at, Some(now() + chrono::Duration::hours(8)));
        let u = decide(
            &job(0),
            attempt_with(Err(FetchError::Timeout(Duration::from_secs(30))), None),
            now(),
            Duration::ZERO,
        );
        assert!(u.error.unwrap().contains("timed out"));
    }

    #[test]
    fn a_permanent_redirect_is_recorded() {
        let mut a = answer(200);
        a.moved_permanently_to = Some(Url::parse("http://127.0.0.1/new.xml").unwrap());
        let u = decide(
            &job(0),
            attempt_with(Ok(a), Some(Ok(ParsedFeed::default()))),
            now(),
            Duration::ZERO,
        );
        assert_eq!(u.moved_to.as_deref(), Some("http://127.0.0.1/new.xml"));
    }

    #[test]
    fn jobs_are_interleaved_across_hosts() {
        let mk = |host: &str, id: &str| PollJob {
            state: FeedState { url: format!("http://{host}/{id}"), ..state(id) },
            interval: Duration::from_secs(3600),
        };
        let jobs = vec![mk("a", "1"), mk("a", "2"), mk("b", "3"), mk("b", "4")];
        let order: Vec<String> = interleave_hosts(jobs).into_iter().map(|j| j.state.id).collect();
        assert_eq!(order, ["1", "3", "2", "4"]);
    }
}
