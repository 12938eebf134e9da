//! One polling run, orchestrated: fetching the due feeds concurrently, parsing each answer off
//! the async threads, asking the decider what it means for the feed, and handing the result to
//! the single writer that owns the store. Only retrieval runs in parallel; writes are one feed
//! at a time.
//!
//! ```text
//! schedule::due_jobs ─► [task per feed: fetch ─► (blocking) parse, update::decide, pack]
//!                    ─► writer (batches, each written on a thread ahead of parsing) ─► store
//! ```
//!
//! The writer is the one part that cannot run in parallel, so work that can be done before it
//! is: a feed polled for the first time, whose entries are all new, has their bodies packed
//! (compressed) on the CPU pool with its parse ([`PackedPoll::packed`]).
//!
//! Owns the jobs, the semaphores and the writer. Does not decide who is due (`schedule`) nor
//! what an answer means (`update`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use url::Url;

mod dispatch;

use crate::discover;
use crate::fetch::{FetchError, FetchRequest, Fetched, Fetcher, HostSlot};
use crate::model::{AdvertisedFeedProblem, ParsedFeed, PollError, PollResult};
use crate::parse::{ParseError, parse_feed};
use crate::schedule::{Jobs, PollJob};
use crate::store::{PackedPoll, Packer, Store, StoreError};
use crate::update::{FeedOutcome, Retrieval, decide, outcome_of};

/// Polls one feed: fetches it (and, when its URL is an HTML page, the feed that page
/// advertises, once), reads it and decides what came of it. The CPU work of a document
/// (parsing it, then its entries' text and hashes in `decide`, and for a feed never polled
/// before its entries' stored bodies) is one job on the blocking pool; an answer with nothing
/// to read (304, an error) is decided where it arrives.
/// `reserved` is a slot already taken for its host, if any.
pub(crate) async fn poll_feed(
    fetcher: &Fetcher,
    job: PollJob,
    reserved: Option<HostSlot>,
    packer: Packer,
) -> PackedPoll {
    let started_at = Utc::now();
    let clock = Instant::now();
    // Never polled (or its URL changed in feeds.toml): every entry it gives is new to the
    // store, so the writer would pack them all. Otherwise most are known and unchanged, and
    // the writer packs only the few it writes.
    let first_poll = job.state.next_due_at.is_none();
    let done = move |job: &PollJob, retrieval| {
        let poll = decide(job, retrieval, started_at, clock.elapsed());
        if first_poll { PackedPoll::packed(poll, &packer) } else { PackedPoll::unpacked(poll) }
    };
    let requested = match Url::parse(job.state.poll_url()) {
        Ok(u) => u,
        Err(e) => {
            let fetched =
                Err(FetchError::InvalidUrl { url: job.state.poll_url().to_string(), reason: e });
            let requested = Url::parse("http://invalid.invalid/").expect("static URL");
            let retrieval =
                Retrieval { requested, fetched, parsed: None, discovered: None, bytes: 0 };
            return done(&job, retrieval);
        }
    };
    let req = FetchRequest {
        url: requested.clone(),
        etag: job.state.etag.clone(),
        last_modified: job.state.last_modified.clone(),
    };
    let first = match fetcher.fetch_reserved(&req, reserved).await {
        Ok(f) if (200..300).contains(&f.status) => f,
        other => {
            let bytes = other.as_ref().map_or(0, |f| f.body.len() as u64);
            let retrieval =
                Retrieval { requested, fetched: other, parsed: None, discovered: None, bytes };
            return done(&job, retrieval);
        }
    };
    let bytes = first.body.len() as u64;
    // `done` goes to the CPU pool, and is still needed here if the answer was a page.
    let done_on_cpu = done.clone();
    let read = on_cpu(move || match parse(&first) {
        Err(ParseError::Html) => {
            // An HTML page: look for the feed it advertises, once.
            let links =
                discover::feed_links(&String::from_utf8_lossy(&first.body), &first.final_url);
            Read::Page(Box::new(Page { job, requested, first, links }))
        }
        parsed => {
            let parsed = Some(parsed.map_err(PollError::Unreadable));
            let retrieval =
                Retrieval { requested, fetched: Ok(first), parsed, discovered: None, bytes };
            Read::Done(done_on_cpu(&job, retrieval))
        }
    })
    .await;
    let Page { job, requested, first, links } = match read {
        Read::Done(poll) => return poll,
        Read::Page(page) => *page,
    };
    let Some(link) = links.into_iter().next() else {
        let page = first.final_url.to_string();
        let parsed = Some(Err(PollError::NoFeedOnPage { page }));
        let retrieval =
            Retrieval { requested, fetched: Ok(first), parsed, discovered: None, bytes };
        return done(&job, retrieval);
    };
    let second = fetcher
        .fetch(&FetchRequest { url: link.url.clone(), etag: None, last_modified: None })
        .await;
    match second {
        Ok(f) if (200..300).contains(&f.status) => {
            let bytes = bytes + f.body.len() as u64;
            on_cpu(move || {
                let parsed = parse(&f).map_err(|e| PollError::AdvertisedFeed {
                    page: requested.to_string(),
                    feed: link.url.to_string(),
                    problem: AdvertisedFeedProblem::Unreadable(e),
                });
                let retrieval = Retrieval {
                    requested,
                    fetched: Ok(f),
                    parsed: Some(parsed),
                    discovered: Some(link.url),
                    bytes,
                };
                done(&job, retrieval)
            })
            .await
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
            let retrieval = Retrieval {
                requested,
                fetched: Ok(first),
                parsed: Some(Err(error)),
                discovered: None,
                bytes,
            };
            done(&job, retrieval)
        }
    }
}

/// What reading a 2xx answer came to: the poll decided, or an HTML page to look further from.
#[expect(clippy::large_enum_variant, reason = "one lives for a moment per feed, never in bulk")]
enum Read {
    Done(PackedPoll),
    Page(Box<Page>),
}

/// An HTML page at a feed's URL, with the feeds it advertises.
struct Page {
    job: PollJob,
    requested: Url,
    first: Fetched,
    links: Vec<discover::FeedLink>,
}

/// Reads an answer's body as a feed.
fn parse(f: &Fetched) -> Result<ParsedFeed, ParseError> {
    parse_feed(&f.body, Some(&f.final_url), f.charset().as_deref())
}

/// CPU-bound work (parsing, deciding) runs on the blocking pool, one job per core at a time:
/// more would only add threads and memory, not speed.
static CPU_SLOTS: std::sync::LazyLock<Arc<tokio::sync::Semaphore>> =
    std::sync::LazyLock::new(|| {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
        Arc::new(tokio::sync::Semaphore::new(cores))
    });

/// Runs `work` on the blocking pool once a CPU slot is free, at a lower priority than the
/// writer (see [`yield_to_the_writer`]).
async fn on_cpu<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    let slot = CPU_SLOTS.clone().acquire_owned().await.expect("never closed");
    tokio::task::spawn_blocking(move || {
        let _slot = slot;
        yield_to_the_writer();
        work()
    })
    .await
    .expect("CPU work does not panic")
}

/// How much nicer than the rest of the process a thread that parses is: 5 steps give a
/// runnable writer about three times the CPU share of each parsing thread.
const PARSING_NICENESS: i32 = 5;

/// Lowers the calling thread's scheduling priority, once per thread, so that the writer (on
/// threads of its own, [`start_on_writer_thread`]) runs whenever it has a batch. The writer is the
/// one stage that cannot run in parallel; with as many parsing jobs as cores it got a third of
/// a core at best, fell behind, the pipeline filled and fetching stopped while it caught up:
/// on a cold 10,000-feed fetch it was busy for 20.3 s of the run's 26.7 s. Linux gives each
/// thread its own nice value; raising it needs no privilege. Elsewhere this does nothing.
fn yield_to_the_writer() {
    #[cfg(target_os = "linux")]
    {
        thread_local! {
            static LOWERED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
        }
        if !LOWERED.replace(true) {
            // SAFETY: gettid and setpriority only read and set the calling thread's own
            // scheduling value; a failure leaves it as it was, which is harmless.
            unsafe {
                let thread = libc::id_t::try_from(libc::gettid()).unwrap_or(0);
                let now = libc::getpriority(libc::PRIO_PROCESS, thread);
                libc::setpriority(libc::PRIO_PROCESS, thread, (now + PARSING_NICENESS).min(19));
            }
        }
    }
}

/// Starts `work` on a new thread at the process's own priority, not on the blocking pool, whose
/// threads [`on_cpu`] makes nicer: a thread keeps its nice value, and an unprivileged process
/// cannot lower it again. One thread a batch: a few hundred thread starts a run, each tens of
/// microseconds against a batch's tens of milliseconds. The receiver gives `work`'s result.
fn start_on_writer_thread<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> tokio::sync::oneshot::Receiver<T> {
    let (done, result) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("roundup-writer".into())
        .spawn(move || {
            let _ = done.send(work());
        })
        .expect("a thread can be started");
    result
}

/// What a write gives back: the store, the batch written and the counts of each of its feeds.
type Written = (Store, Vec<PackedPoll>, Result<Vec<crate::model::WriteCounts>, StoreError>);

/// The batch the writer gathers for its next transaction.
#[derive(Default)]
struct Gathering {
    batch: Vec<PackedPoll>,
    /// Roughly the bytes of its rows ([`weight`]).
    bytes: usize,
    /// When the batch window of its first result ends.
    window: Option<tokio::time::Instant>,
    window_passed: bool,
}

impl Gathering {
    fn add(&mut self, poll: PackedPoll) {
        if self.batch.is_empty() {
            self.window = Some(tokio::time::Instant::now() + BATCH_WINDOW);
        }
        self.bytes += weight(&poll);
        self.batch.push(poll);
    }

    fn is_full(&self) -> bool {
        self.batch.len() >= MAX_BATCH || self.bytes >= MAX_BATCH_BYTES
    }

    /// Whether the batch should be written once the writer is free: it is full, its window
    /// has passed, or nothing more will come (`open` is false).
    fn is_due(&self, open: bool) -> bool {
        !self.batch.is_empty() && (self.is_full() || self.window_passed || !open)
    }
}

/// Results waiting for the writer beyond the batch it gathers. The gatherer takes results as
/// they come, so the queue fills only when the next batch is full before the write before it
/// ends; it was 16 when the writer gathered only between writes.
const WRITE_QUEUE: usize = 4;
/// Most feeds written in one transaction.
const MAX_BATCH: usize = 64;
/// Most bytes of entries (their texts, roughly what the rows take) gathered for one
/// transaction: what the writer holds (the batch being written and the next) is bounded by
/// this, not by the size of the feeds, and a transaction fits in the page cache
/// `Store::tune_for_polling` sets. 5 MiB (about 50 of the bench's feeds) rather than 8: with
/// two batches held at once, peak RSS of a cold 10,000-feed fetch stays within 3 MB of what it
/// was with one (79 to 84 MB at 8 MiB).
const MAX_BATCH_BYTES: usize = 5 << 20;
/// How long the writer gathers results before it commits them.
const BATCH_WINDOW: Duration = Duration::from_millis(150);
/// Room for feeds being parsed beyond the fetches and the queue.
const PARSE_THREADS: usize = 4;

/// What a run keeps of its outcomes: the writer hands over each feed's outcome once it is
/// written, and the run gives the tally back at its end. A run keeps no list of outcomes, so
/// what it holds for its report is what the report prints, not one record per feed polled
/// (100,000 outcomes were 44 MB of a 100,000-feed fetch's heap: heaptrack).
pub(crate) trait Tally: Send + 'static {
    /// One feed's outcome, written.
    fn add(&mut self, outcome: FeedOutcome);
}

/// Polls `jobs` concurrently and writes each result as it comes, through one writer thread
/// that owns `store`. `tally` is given each outcome once written (for progress and the
/// report). Setting `stop` lets in-flight feeds finish but starts no new ones. A failed write
/// ends the run at once: in-flight fetches are cancelled, and the error comes back with the
/// store and the tally of the outcomes written before it.
pub(crate) async fn run<T: Tally>(
    fetcher: Arc<Fetcher>,
    jobs: Jobs,
    mut store: Store,
    mut tally: T,
    stop: Arc<AtomicBool>,
) -> (Store, T, Option<StoreError>) {
    // Feeds between the start of their fetch and the writer are bounded: a fetch starts only
    // when its result will have room, so memory stays flat however many feeds there are.
    // (Jobs are interleaved over hosts, so the feeds holding room are rarely stuck behind one
    // busy host.) The writer closes it when the store fails: nothing fetched after that could
    // be kept.
    if let Err(e) = store.tune_for_polling() {
        return (store, tally, Some(e));
    }
    // The jobs pack first polls' bodies with the database's dictionary; one trained by the
    // writer during the run reaches them through the same handle.
    let packer = match store.packer() {
        Ok(packer) => packer,
        Err(e) => return (store, tally, Some(e)),
    };
    let in_pipeline =
        Arc::new(tokio::sync::Semaphore::new(fetcher.concurrency() + WRITE_QUEUE + PARSE_THREADS));
    let (tx, mut rx) = tokio::sync::mpsc::channel::<PackedPoll>(WRITE_QUEUE);
    // The writer gathers results on the async side and writes each batch on a thread of its
    // own, ahead of the parsing threads: a sender waits for room without holding a thread.
    // While one batch is written the next is gathered, so fetching and parsing go on: when
    // the writer gathered only between writes, the queue and the feeds in flight (36) could
    // not hold a batch (64), and each write stalled the pipeline until it ended. A cold
    // 10,000-feed fetch spent 5.2 s of its 17.7 s gathering, the parsing threads idle.
    let writer = {
        let in_pipeline = in_pipeline.clone();
        tokio::spawn(async move {
            // The store is away (`None`) while a batch is being written.
            let mut store = Some(store);
            let mut writing: Option<tokio::sync::oneshot::Receiver<Written>> = None;
            let mut next = Gathering::default();
            let mut open = true;
            loop {
                if writing.is_none() && next.is_due(open) {
                    let batch = std::mem::take(&mut next).batch;
                    let mut taken = store.take().expect("the store is back between writes");
                    writing = Some(start_on_writer_thread(move || {
                        let written = taken.record_packed_polls(&batch);
                        (taken, batch, written)
                    }));
                    continue;
                }
                if !open && next.batch.is_empty() && writing.is_none() {
                    break;
                }
                let window = next.window.unwrap_or_else(tokio::time::Instant::now);
                tokio::select! {
                    written = async {
                        match writing.as_mut() {
                            Some(w) => w.await.expect("writing does not panic"),
                            None => std::future::pending().await,
                        }
                    }, if writing.is_some() => {
                        writing = None;
                        let (back, batch, written) = written;
                        match written {
                            Ok(counts) => {
                                for (packed, counts) in batch.iter().zip(counts) {
                                    tally.add(outcome_of(&packed.poll, counts));
                                }
                                store = Some(back);
                            }
                            Err(e) => {
                                // A full disk or a broken database: stop the run now rather
                                // than fetch every remaining feed only to drop its result.
                                in_pipeline.close();
                                return (back, tally, Some(e));
                            }
                        }
                    }
                    more = rx.recv(), if open && !next.is_full() => match more {
                        Some(poll) => next.add(poll),
                        None => open = false,
                    },
                    () = tokio::time::sleep_until(window),
                        if writing.is_none() && next.window.is_some() => {
                        next.window_passed = true;
                    }
                }
            }
            (store.expect("no write is in flight at the end"), tally, None)
        })
    };

    // The loop that starts fetches runs as a task on the runtime's workers, not on the thread
    // that called `block_on`: there each freed room had to wake that thread (a futex wake and a
    // context switch per feed), and with answers that come back at once (every feed a 304) the
    // fetches waited on it. `perf sched timehist` on a warm 10,000-feed fetch showed the calling
    // thread switched in 4,775 times and 2 requests in flight at most, of 16. A `JoinSet` so that
    // dropping this future still cancels the fetches.
    let jobs = interleave_hosts(jobs);
    let mut dispatcher = tokio::task::JoinSet::new();
    dispatcher.spawn(async move {
        let mut tasks = tokio::task::JoinSet::new();
        let mut picker = dispatch::Picker::new(jobs.into_polls());
        loop {
            // Tasks are spawned only as room frees up, so a long feed list costs no memory.
            let Ok(room) = in_pipeline.clone().acquire_owned().await else {
                break; // the store failed
            };
            if stop.load(Ordering::SeqCst) {
                break;
            }
            let Some((job, reserved)) = picker.next(job_host, |key| fetcher.try_reserve(key))
            else {
                break;
            };
            let fetcher = fetcher.clone();
            let tx = tx.clone();
            let packer = packer.clone();
            tasks.spawn(async move {
                let _room = room;
                let poll = poll_feed(&fetcher, job, reserved, packer).await;
                // The writer only hangs up after a store failure; then there is nothing to do.
                let _ = tx.send(poll).await;
            });
            while tasks.try_join_next().is_some() {}
        }
        if in_pipeline.is_closed() {
            // Fetches in flight can no longer be stored: cut them short.
            tasks.abort_all();
        }
        drop(tx);
        while tasks.join_next().await.is_some() {}
    });
    while let Some(done) = dispatcher.join_next().await {
        done.expect("starting fetches does not panic");
    }
    writer.await.expect("the writer does not panic")
}

/// The host whose slots `job`'s first request takes ([`crate::fetch::host_key`]): what the
/// jobs are interleaved over and what the dispatcher holds a feed back for.
fn job_host(job: &PollJob) -> Option<String> {
    host_of(job.state.poll_url())
}

/// [`crate::fetch::host_key`] of `url`, when it is a URL.
fn host_of(url: &str) -> Option<String> {
    Url::parse(url).ok().map(|url| crate::fetch::host_key(&url))
}

/// Roughly the bytes a poll's rows take: its entries' texts.
fn weight(packed: &PackedPoll) -> usize {
    let PollResult::Stored { entries, .. } = &packed.poll.result else {
        return 0;
    };
    let opt = |s: &Option<String>| s.as_ref().map_or(0, String::len);
    entries
        .iter()
        .map(|e| {
            e.identity.len()
                + opt(&e.url)
                + opt(&e.title)
                + opt(&e.author)
                + opt(&e.summary_html)
                + opt(&e.content_html)
                + e.text.len()
                + e.categories.iter().map(String::len).sum::<usize>()
        })
        .sum()
}

/// Orders jobs round-robin over hosts so that the first requests spread over every host: the
/// first job of each host (hosts in order of first appearance), then the second of each, and
/// so on. Done by sorting on (rank within its host, host) and moving the jobs into that order
/// in place: building per-host queues and a second list held two copies of the jobs at once,
/// 19 MB of a 100,000-feed fetch's heap (heaptrack).
fn interleave_hosts(mut jobs: Jobs) -> Jobs {
    let keys = round_robin_keys(jobs.poll_urls());
    let mut order: Vec<usize> = (0..jobs.len()).collect();
    order.sort_by_key(|&i| keys[i]);
    drop(keys);
    place_in_order(jobs.order_mut(), &order);
    jobs
}

/// Each job's (rank among its host's jobs, host's rank by first appearance).
fn round_robin_keys<'a>(poll_urls: impl Iterator<Item = &'a str>) -> Vec<(usize, usize)> {
    // Hosts in order of first appearance, each with the jobs counted so far; the map finds a
    // host without a scan (feeds on 100,000 hosts are 100,000 hosts).
    let mut hosts: std::collections::HashMap<String, (usize, usize)> =
        std::collections::HashMap::new();
    poll_urls
        .map(|url| {
            let host = host_of(url).unwrap_or_default();
            let next = hosts.len();
            let (rank, seen) = hosts.entry(host).or_insert((next, 0));
            *seen += 1;
            (*seen - 1, *rank)
        })
        .collect()
}

/// Rearranges `items` so that position `i` holds what was at `order[i]`, by swaps along each
/// cycle of the permutation: no second copy of the items.
fn place_in_order<T>(items: &mut [T], order: &[usize]) {
    let mut placed = vec![false; items.len()];
    for start in 0..items.len() {
        if placed[start] {
            continue;
        }
        let mut at = start;
        loop {
            placed[at] = true;
            let from = order[at];
            if from == start {
                break;
            }
            items.swap(at, from);
            at = from;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::feed_state as state;
    use crate::store::FeedState;

    /// The calling thread's nice value.
    #[cfg(target_os = "linux")]
    fn niceness() -> i32 {
        // SAFETY: reads the calling thread's own scheduling value.
        unsafe {
            libc::getpriority(libc::PRIO_PROCESS, libc::id_t::try_from(libc::gettid()).unwrap())
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn parsing_runs_nicer_than_the_writer_and_the_writer_as_the_process() {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).build().unwrap();
        let process = niceness();
        let (parsing, writing, parsing_again) = rt.block_on(async {
            let parsing = on_cpu(niceness).await;
            let writing = start_on_writer_thread(niceness).await.unwrap();
            (parsing, writing, on_cpu(niceness).await)
        });
        assert_eq!(writing, process, "the writer keeps the process's priority");
        assert_eq!(parsing, (process + PARSING_NICENESS).min(19));
        assert_eq!(parsing_again, parsing, "a pool thread is made nicer once, not again");
    }

    /// A poll of one entry whose text is `bytes` long, as the writer receives it.
    fn poll_of(bytes: usize) -> PackedPoll {
        let started = crate::timefmt::parse_rfc3339("2026-11-26T10:00:00Z").unwrap();
        let entry = crate::model::EntryRecord {
            identity: "e".into(),
            url: None,
            title: None,
            author: None,
            published: started,
            dated_by: crate::model::DatedBy::Published,
            updated: None,
            summary_html: None,
            content_html: None,
            text: "x".repeat(bytes),
            categories: vec![],
            content_hash: "h".into(),
        };
        PackedPoll::unpacked(crate::model::FeedPoll::stored(
            "a",
            "https://x.example/",
            started,
            vec![entry],
        ))
    }

    #[test]
    fn a_batch_is_written_when_full_when_its_window_passed_or_when_nothing_more_comes() {
        let mut next = Gathering::default();
        assert!(!next.is_due(true) && !next.is_due(false), "an empty batch is never written");
        next.add(poll_of(10));
        assert!(next.window.is_some(), "the first result opens the window");
        assert!(!next.is_due(true), "a small batch waits for its window");
        assert!(next.is_due(false), "once the feeds are all in, what is gathered is written");
        next.window_passed = true;
        assert!(next.is_due(true));

        let mut by_count = Gathering::default();
        for _ in 0..MAX_BATCH {
            assert!(!by_count.is_full());
            by_count.add(poll_of(10));
        }
        assert!(by_count.is_full() && by_count.is_due(true));

        let mut by_bytes = Gathering::default();
        by_bytes.add(poll_of(MAX_BATCH_BYTES - 2)); // with its identity, one byte short
        assert!(!by_bytes.is_full());
        by_bytes.add(poll_of(1));
        assert!(by_bytes.is_full() && by_bytes.is_due(true));
    }

    #[test]
    fn jobs_are_interleaved_across_hosts() {
        let mk = |host: &str, id: &str| PollJob {
            state: FeedState { url: format!("http://{host}/{id}"), ..state(id) },
            interval: Duration::from_secs(3600),
        };
        let jobs = vec![mk("a", "1"), mk("a", "2"), mk("b", "3"), mk("b", "4")];
        let order: Vec<String> =
            interleave_hosts(as_jobs(jobs)).into_polls().map(|j| j.state.id.0).collect();
        assert_eq!(order, ["1", "3", "2", "4"]);
    }

    /// `jobs` as a run takes them: every state, all due, in this order.
    fn as_jobs(jobs: Vec<PollJob>) -> Jobs {
        let due = jobs.iter().enumerate().map(|(at, j)| (at, j.interval)).collect();
        Jobs::new(jobs.into_iter().map(|j| j.state).collect(), due)
    }

    /// The round robin as it was first written: a queue per host, one job from each per round.
    fn interleaved_by_queues(jobs: Vec<PollJob>) -> Vec<PollJob> {
        let mut by_host: Vec<(String, std::collections::VecDeque<PollJob>)> = Vec::new();
        for job in jobs {
            let host = job_host(&job).unwrap_or_default();
            match by_host.iter_mut().find(|(h, _)| *h == host) {
                Some((_, q)) => q.push_back(job),
                None => by_host.push((host, std::collections::VecDeque::from([job]))),
            }
        }
        let mut out = Vec::new();
        while !by_host.is_empty() {
            by_host.retain_mut(|(_, q)| {
                out.extend(q.pop_front());
                !q.is_empty()
            });
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn the_sorted_interleave_gives_the_round_robin_order(
            hosts in proptest::collection::vec(0u8..6, 0..60),
        ) {
            let jobs = || {
                hosts.iter().enumerate().map(|(i, h)| PollJob {
                    // Host 5 stands for a URL with no host: those share one queue.
                    state: FeedState {
                        url: if *h == 5 { format!("not a url {i}") } else { format!("http://h{h}/{i}") },
                        ..state(&i.to_string())
                    },
                    interval: Duration::from_secs(3600),
                }).collect::<Vec<_>>()
            };
            let ids = |jobs: Vec<PollJob>| jobs.into_iter().map(|j| j.state.id.0).collect::<Vec<_>>();
            let interleaved = interleave_hosts(as_jobs(jobs())).into_polls().collect();
            proptest::prop_assert_eq!(ids(interleaved), ids(interleaved_by_queues(jobs())));
        }
    }
}
