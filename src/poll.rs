//! One polling run, orchestrated: fetching the due feeds concurrently, parsing each answer off
//! the async threads, asking the decider what it means for the feed, and handing the result to
//! the single writer that owns the store. Only retrieval runs in parallel; writes are one feed
//! at a time.
//!
//! ```text
//! schedule::due_jobs ─► [task per feed: fetch ─► (blocking) parse / discover ─► update::decide]
//!                    ─► writer thread (store)
//! ```
//!
//! Owns the jobs, the semaphores and the writer. Does not decide who is due (`schedule`) nor
//! what an answer means (`update`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use url::Url;

use crate::discover;
use crate::fetch::{FetchError, FetchRequest, Fetched, Fetcher};
use crate::model::{AdvertisedFeedProblem, FeedPoll, ParsedFeed, PollError};
use crate::parse::{ParseError, parse_feed};
use crate::schedule::PollJob;
use crate::store::{Store, StoreError};
use crate::update::{FeedOutcome, Retrieval, decide, outcome_of};

/// Fetches one feed (and, when its URL is an HTML page, the feed that page advertises, once).
pub(crate) async fn attempt(fetcher: &Fetcher, job: &PollJob) -> Retrieval {
    let requested = match Url::parse(job.state.poll_url()) {
        Ok(u) => u,
        Err(e) => {
            return Retrieval {
                requested: Url::parse("http://invalid.invalid/").expect("static URL"),
                fetched: Err(FetchError::InvalidUrl {
                    url: job.state.poll_url().to_string(),
                    reason: e,
                }),
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
        return Retrieval { requested, fetched, parsed: None, discovered: None, bytes: 0 };
    };
    let bytes = first.body.len() as u64;
    if !(200..300).contains(&first.status) {
        return Retrieval { requested, fetched: Ok(first), parsed: None, discovered: None, bytes };
    }
    let (first, parsed) = parse_off_thread(first).await;
    match parsed {
        Err(ParseError::Html) => {}
        other => {
            return Retrieval {
                requested,
                fetched: Ok(first),
                parsed: Some(other.map_err(PollError::Unreadable)),
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
        let page = first.final_url.to_string();
        return Retrieval {
            requested,
            fetched: Ok(first),
            parsed: Some(Err(PollError::NoFeedOnPage { page })),
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
            let parsed = parsed.map_err(|e| PollError::AdvertisedFeed {
                page: requested.to_string(),
                feed: found.to_string(),
                problem: AdvertisedFeedProblem::Unreadable(e),
            });
            Retrieval {
                requested,
                fetched: Ok(f),
                parsed: Some(parsed),
                discovered: Some(link.url),
                bytes,
            }
        }
        other => {
            let problem = match other {
                Ok(f) => AdvertisedFeedProblem::Status(f.status),
                Err(e) => AdvertisedFeedProblem::Fetch(e),
            };
            let error = PollError::AdvertisedFeed {
                page: requested.to_string(),
                feed: link.url.to_string(),
                problem,
            };
            Retrieval {
                requested,
                fetched: Ok(first),
                parsed: Some(Err(error)),
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
/// lets in-flight feeds finish but starts no new ones. A failed write ends the run at once:
/// in-flight fetches are cancelled, and the error comes back with the store and the outcomes
/// written before it.
pub(crate) async fn run(
    fetcher: Arc<Fetcher>,
    jobs: Vec<PollJob>,
    mut store: Store,
    on_done: Arc<dyn Fn(&FeedOutcome) + Send + Sync>,
    stop: Arc<AtomicBool>,
) -> (Store, Vec<FeedOutcome>, Option<StoreError>) {
    // Feeds between the start of their fetch and the writer are bounded: a fetch starts only
    // when its result will have room, so memory stays flat however many feeds there are.
    // (Jobs are interleaved over hosts, so the feeds holding room are rarely stuck behind one
    // busy host.) The writer closes it when the store fails: nothing fetched after that could
    // be kept.
    let in_pipeline =
        Arc::new(tokio::sync::Semaphore::new(fetcher.concurrency() + WRITE_QUEUE + PARSE_THREADS));
    let (tx, rx) = std::sync::mpsc::sync_channel::<FeedPoll>(WRITE_QUEUE);
    let writer = {
        let in_pipeline = in_pipeline.clone();
        std::thread::spawn(move || {
            let mut outcomes = Vec::new();
            while let Ok(first) = rx.recv() {
                // What arrives within a short window goes into the same transaction: fewer
                // commits and fewer full-text segments to merge.
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
                        for (poll, counts) in batch.iter().zip(counts) {
                            let outcome = outcome_of(poll, counts);
                            on_done(&outcome);
                            outcomes.push(outcome);
                        }
                    }
                    Err(e) => {
                        // A full disk or a broken database: stop the run now rather than fetch
                        // every remaining feed only to drop its result (issue 8).
                        in_pipeline.close();
                        return (store, outcomes, Some(e));
                    }
                }
            }
            (store, outcomes, None)
        })
    };

    let mut tasks = tokio::task::JoinSet::new();
    for job in interleave_hosts(jobs) {
        // Tasks are spawned only as room frees up, so a long feed list costs no memory.
        let Ok(room) = in_pipeline.clone().acquire_owned().await else {
            break; // the store failed
        };
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
            let poll = on_cpu(move || decide(&job, result, started_at, elapsed)).await;
            // The writer only hangs up after a store failure; then there is nothing to do.
            let _ = tokio::task::spawn_blocking(move || tx.send(poll).is_ok()).await;
        });
        while tasks.try_join_next().is_some() {}
    }
    if in_pipeline.is_closed() {
        // Fetches in flight can no longer be stored: cut them short.
        tasks.abort_all();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::feed_state as state;
    use crate::store::FeedState;

    #[test]
    fn jobs_are_interleaved_across_hosts() {
        let mk = |host: &str, id: &str| PollJob {
            state: FeedState { url: format!("http://{host}/{id}"), ..state(id) },
            interval: Duration::from_secs(3600),
        };
        let jobs = vec![mk("a", "1"), mk("a", "2"), mk("b", "3"), mk("b", "4")];
        let order: Vec<String> = interleave_hosts(jobs).into_iter().map(|j| j.state.id.0).collect();
        assert_eq!(order, ["1", "3", "2", "4"]);
    }
}
