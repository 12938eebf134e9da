//! `roundup fetch` and `roundup watch`: polling runs with a progress bar, and their report
//! (one line per failing feed, one summary line).

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail};
use chrono::Utc;

use super::{Exit, configured, database_path, fetcher, load_config, open_store, runtime};
use crate::cli::{Cli, FetchArgs, WatchArgs};
use crate::config::Config;
use crate::fetch::Fetcher;
use crate::lock::RunLock;
use crate::model::FeedId;
use crate::poll;
use crate::schedule::{self, PollJob};
use crate::store::{FeedState, Store, StoreError};
use crate::timefmt::rfc3339;
use crate::update::{FeedOutcome, Note, OutcomeKind};

pub(crate) fn fetch(cli: &Cli, args: &FetchArgs) -> anyhow::Result<Exit> {
    Ok(fetch_run(cli, args)?.exit)
}

/// What a `fetch` run came to, for `week` as well.
pub(crate) struct Fetched {
    pub(crate) exit: Exit,
    /// Feeds failing after the run, when any are.
    pub(crate) failing: Option<Failing>,
}

/// Runs `fetch` and prints its report; what it came to.
pub(crate) fn fetch_run(cli: &Cli, args: &FetchArgs) -> anyhow::Result<Fetched> {
    let config = load_config(cli)?;
    if let Some(id) = &args.feed
        && !config.feeds.iter().any(|f| f.id == id.as_str())
    {
        bail!("no feed with id {id:?} in {}", config.path.display());
    }
    let _lock = RunLock::acquire(&database_path(cli, &config))?;
    let store = open_store(cli, &config)?;
    let states = store.feed_states()?;
    let now = Utc::now();
    let only = args.feed.as_deref();
    let jobs = schedule::due_jobs(&states, &configured(&config), now, args.force, only);
    let held = schedule::held_back(&states, &configured(&config), now, only);
    let considered: Vec<&str> = config
        .feeds
        .iter()
        .map(|f| f.id.as_str())
        .filter(|id| only.is_none_or(|one| one == *id))
        .collect();
    let left_out = LeftOut {
        gone: gone_not_polled(&states, &config, &jobs),
        backing_off: backing_off(&states, &considered, &jobs, &held),
        held,
        // With --feed, the others were not asked for: they are neither due nor not due.
        considered: considered.len(),
    };
    let rt = runtime()?;
    let fetcher = Arc::new(fetcher(&config)?);
    let clock = Instant::now();
    let total = jobs.len();
    let (_store, outcomes, error) =
        rt.block_on(poll_with_progress(fetcher, jobs, store, Arc::new(AtomicBool::new(false))));
    if let Some(e) = error {
        return Err(write_failed(e));
    }
    report(&outcomes, total, clock.elapsed(), &left_out, args.quiet);
    let failing = Failing::after(&states, &considered, &outcomes);
    if let Some(f) = &failing
        && !args.quiet
    {
        println!("roundup: {f}");
    }
    let exit = if outcomes.iter().any(FeedOutcome::failed) { Exit::SomeFailed } else { Exit::Ok };
    Ok(Fetched { exit, failing })
}

/// How many of the feeds a run was about are failing: the one line that says so, in the fetch
/// report and the picker's header ("11 of 11 feeds failing: no network? `roundup feeds list`").
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failing {
    pub(crate) failing: usize,
    pub(crate) of: usize,
    /// Every feed fails, and every failure seen is a connection or a timeout: most likely the
    /// network, not the feeds.
    pub(crate) offline: bool,
}

impl Failing {
    /// After a run: a feed polled is failing when its poll failed; one not polled (backing off,
    /// or waiting for Retry-After) when its last poll failed. Gone feeds have their own count.
    fn after(
        states: &[FeedState],
        considered: &[&str],
        outcomes: &[FeedOutcome],
    ) -> Option<Failing> {
        let outcomes: HashMap<&str, &FeedOutcome> =
            outcomes.iter().map(|o| (o.feed_id.as_str(), o)).collect();
        let states = schedule::by_id(states);
        let mut failing = 0;
        let mut network_only = true;
        for id in considered {
            match outcomes.get(id) {
                Some(o) => {
                    if let OutcomeKind::Failed { error, .. } = &o.kind {
                        failing += 1;
                        network_only &= error.is_network();
                    }
                }
                None => {
                    failing +=
                        usize::from(states.get(id).is_some_and(|s| s.error_count > 0 && !s.gone))
                }
            }
        }
        Failing::of(failing, considered.len(), network_only)
    }

    /// From the stored state alone (nothing polled now): failing feeds are those whose last
    /// poll failed.
    pub(crate) fn stored(states: &[FeedState], config: &Config) -> Option<Failing> {
        let ids: Vec<&str> = config.feeds.iter().map(|f| f.id.as_str()).collect();
        Failing::after(states, &ids, &[])
    }

    fn of(failing: usize, of: usize, network_only: bool) -> Option<Failing> {
        (failing > 0).then_some(Failing { failing, of, offline: network_only && failing == of })
    }
}

impl std::fmt::Display for Failing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Failing { failing, of, offline } = self;
        let feeds = if *of == 1 { "feed" } else { "feeds" };
        let hint = if *offline { "no network? " } else { "see " };
        write!(f, "{failing} of {of} {feeds} failing: {hint}`roundup feeds list`")
    }
}

/// Feeds among `considered` not polled now because their last polls failed (their backoff has
/// not run out): failing, not merely "not due".
fn backing_off(
    states: &[FeedState],
    considered: &[&str],
    jobs: &[PollJob],
    held: &[(FeedId, chrono::DateTime<Utc>)],
) -> usize {
    let considered: HashSet<&str> = considered.iter().copied().collect();
    let polled = polled_ids(jobs);
    let held: HashSet<&str> = held.iter().map(|(id, _)| id.as_str()).collect();
    states
        .iter()
        .filter(|s| considered.contains(s.id.as_str()) && s.error_count > 0 && !s.gone)
        .filter(|s| !polled.contains(s.id.as_str()))
        .filter(|s| !held.contains(s.id.as_str()))
        .count()
}

/// The ids of the feeds a run polls, to look them up without a scan.
fn polled_ids(jobs: &[PollJob]) -> HashSet<&str> {
    jobs.iter().map(|j| j.state.id.as_str()).collect()
}

/// The configured feeds a run did not poll, and why.
struct LeftOut {
    /// Feeds the run was about (all configured, or the one named).
    considered: usize,
    /// Stopped by an earlier 410 Gone.
    gone: usize,
    /// Waiting out their server's Retry-After, with its end.
    held: Vec<(FeedId, chrono::DateTime<Utc>)>,
    /// Failing, and waiting for their next try.
    backing_off: usize,
}

/// One polling run with a progress bar on a terminal (indicatif draws nothing otherwise).
async fn poll_with_progress(
    fetcher: Arc<Fetcher>,
    jobs: Vec<PollJob>,
    store: Store,
    stop: Arc<AtomicBool>,
) -> (Store, Vec<FeedOutcome>, Option<StoreError>) {
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(jobs.len() as u64),
        indicatif::ProgressDrawTarget::stderr(),
    );
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} [{bar:30}] {pos}/{len} feeds {msg} ({elapsed})",
        )
        .expect("static template")
        .progress_chars("=> "),
    );
    let failed = Arc::new(AtomicUsize::new(0));
    let on_done = {
        let bar = bar.clone();
        let failed = failed.clone();
        Arc::new(move |o: &FeedOutcome| {
            if o.failed() {
                let n = failed.fetch_add(1, Ordering::Relaxed) + 1;
                bar.set_message(format!("· {n} failed"));
            }
            bar.inc(1);
        })
    };
    let result = poll::run(fetcher, jobs, store, on_done, stop).await;
    bar.finish_and_clear();
    result
}

/// The error that ends a run whose write failed.
fn write_failed(e: StoreError) -> anyhow::Error {
    anyhow!(e).context("stopped: could not write to the database")
}

/// How long `watch` waits before trying a round again on a busy database.
const BUSY_RETRY: Duration = Duration::from_secs(5);

/// How often `watch` compacts the database between rounds (`Store::tidy`: the search index
/// merged, `PRAGMA optimize`, and `VACUUM` when a quarter of the file is free pages).
const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(24 * 3600);

/// Configured feeds not polled because an earlier 410 Gone stopped them.
fn gone_not_polled(states: &[FeedState], config: &Config, jobs: &[PollJob]) -> usize {
    let configured: HashSet<&str> = config.feeds.iter().map(|f| f.id.as_str()).collect();
    let polled = polled_ids(jobs);
    states
        .iter()
        .filter(|s| s.gone && configured.contains(s.id.as_str()))
        .filter(|s| !polled.contains(s.id.as_str()))
        .count()
}

/// Failure lines on stderr (one per failing feed), notes and one summary line on stdout.
/// One line per failing feed on stderr; on stdout, a line per feed found through its HTML page
/// and one summary line (nothing with `quiet`).
fn report(outcomes: &[FeedOutcome], polled: usize, elapsed: Duration, left: &LeftOut, quiet: bool) {
    let mut sorted: Vec<&FeedOutcome> = outcomes.iter().collect();
    sorted.sort_by(|a, b| a.feed_id.cmp(&b.feed_id));
    let (mut stored, mut unchanged, mut failed, mut gone, mut new, mut updated, mut moved) =
        (0, 0, 0, 0, 0, 0, 0);
    let stderr = std::io::stderr();
    let mut err = stderr.lock();
    for o in &sorted {
        match &o.kind {
            OutcomeKind::Stored { new: n, updated: u, dropped } => {
                if *dropped > 0 {
                    let _ = writeln!(
                        err,
                        "roundup: feed {}: {}",
                        o.feed_id,
                        crate::parse::dropped_note(*dropped)
                    );
                }
                stored += 1;
                new += n;
                updated += u;
            }
            OutcomeKind::NotModified => unchanged += 1,
            OutcomeKind::Failed { error, failures } => {
                failed += 1;
                let next = o.next_due_at.map(rfc3339).unwrap_or_else(|| "-".into());
                let times = if *failures == 1 {
                    "first failure".to_string()
                } else {
                    format!("{failures} failures in a row")
                };
                let _ = writeln!(
                    err,
                    "roundup: feed {}: {error} ({times}; next try {next})",
                    o.feed_id
                );
            }
            OutcomeKind::Gone => {
                gone += 1;
                let _ = writeln!(
                    err,
                    "roundup: feed {}: HTTP 410 Gone: the publisher has removed this feed; polling stopped (remove it from feeds.toml)",
                    o.feed_id
                );
            }
        }
        if matches!(o.note, Some(Note::Moved(_))) {
            moved += 1;
        }
    }
    if quiet {
        return;
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for o in &sorted {
        if let Some(note @ Note::Discovered { .. }) = &o.note {
            let _ = writeln!(out, "roundup: feed {}: {note}", o.feed_id);
        }
    }
    for (id, until) in &left.held {
        let _ = writeln!(
            out,
            "roundup: feed {id}: not polled: its server asked for no requests before {} (Retry-After)",
            rfc3339(*until)
        );
    }
    let not_due =
        left.considered.saturating_sub(polled + left.gone + left.held.len() + left.backing_off);
    let mut line = format!(
        "roundup: polled {polled} feed{} in {:.1}s: {stored} updated, {unchanged} unchanged, {failed} failed",
        if polled == 1 { "" } else { "s" },
        elapsed.as_secs_f64()
    );
    if gone > 0 {
        line.push_str(&format!(", {gone} gone"));
    }
    line.push_str(&format!("; {new} new entries, {updated} changed"));
    if moved > 0 {
        line.push_str(&format!("; {moved} moved permanently (see feeds list)"));
    }
    if not_due > 0 {
        line.push_str(&format!("; {not_due} not due"));
    }
    if left.backing_off > 0 {
        line.push_str(&format!("; {} failing, waiting to retry", left.backing_off));
    }
    if !left.held.is_empty() {
        line.push_str(&format!("; {} waiting for Retry-After", left.held.len()));
    }
    if left.gone > 0 {
        line.push_str(&format!("; {} gone (polling stopped)", left.gone));
    }
    let _ = writeln!(out, "{line}");
}

pub(crate) fn watch(cli: &Cli, args: &WatchArgs) -> anyhow::Result<Exit> {
    let mut config = load_config(cli)?;
    let db = database_path(cli, &config);
    let _lock = RunLock::acquire(&db)?;
    let mut store = open_store(cli, &config)?;
    let rt = runtime()?;
    let stop = Arc::new(AtomicBool::new(false));
    let wake = Arc::new(tokio::sync::Notify::new());
    rt.spawn(wait_for_signal(stop.clone(), wake.clone()));
    if !args.quiet {
        println!(
            "roundup: watching {} feeds into {} (Ctrl-C to stop)",
            config.feeds.len(),
            db.display()
        );
    }
    let mut fetcher = Arc::new(fetcher(&config)?);
    let mut last_housekeeping = Instant::now();
    loop {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        // Pick up edits to the feeds file between rounds; a broken edit keeps the old list.
        match Config::load(&cli.config) {
            Ok(fresh) => {
                if fresh.feeds != config.feeds {
                    match store.sync_feeds(&fresh.feeds, Utc::now()) {
                        Ok(()) => {}
                        Err(e) if e.is_busy() => {
                            // The old list stays, so the next round syncs again.
                            busy_pause(&rt, &e, &wake, args.quiet);
                            continue;
                        }
                        Err(e) => return Err(e.into()),
                    }
                    if !args.quiet {
                        println!(
                            "roundup: {} changed; now watching {} feeds",
                            cli.config.display(),
                            fresh.feeds.len()
                        );
                    }
                }
                fetcher = Arc::new(self::fetcher(&fresh)?);
                config = fresh;
            }
            Err(e) => eprintln!("roundup: {e} (keeping the previous feed list)"),
        }
        let states = store.feed_states()?;
        let jobs = schedule::due_jobs(&states, &configured(&config), Utc::now(), false, None);
        let ids: Vec<&str> = config.feeds.iter().map(|f| f.id.as_str()).collect();
        let left_out = LeftOut {
            considered: config.feeds.len(),
            gone: gone_not_polled(&states, &config, &jobs),
            // Their next poll is after their Retry-After: backing off, like other failures.
            held: Vec::new(),
            backing_off: backing_off(&states, &ids, &jobs, &[]),
        };
        if !jobs.is_empty() {
            let clock = Instant::now();
            let total = jobs.len();
            let (s, outcomes, error) =
                rt.block_on(poll_with_progress(fetcher.clone(), jobs, store, stop.clone()));
            store = s;
            report(&outcomes, total, clock.elapsed(), &left_out, args.quiet);
            match error {
                None => {}
                // An editor's command holds the database: what was not written is polled
                // again next round (issue 10, item 1).
                Some(e) if e.is_busy() => {
                    busy_pause(&rt, &e, &wake, args.quiet);
                    continue;
                }
                Some(e) => return Err(write_failed(e)),
            }
        }
        // Idle time is for housekeeping, once a day; a busy database waits for the next round.
        if last_housekeeping.elapsed() >= HOUSEKEEPING_EVERY {
            match store.tidy() {
                Ok(()) => last_housekeeping = Instant::now(),
                Err(e) if e.is_busy() => {}
                Err(e) => return Err(e.into()),
            }
        }
        let ids: Vec<FeedId> = config.feeds.iter().map(|f| f.id.clone()).collect();
        let next = store.next_due(&ids)?;
        let wait = next
            .map(|t| (t - Utc::now()).to_std().unwrap_or(Duration::ZERO))
            .unwrap_or(Duration::from_secs(3600))
            .max(Duration::from_secs(1));
        if stop.load(Ordering::SeqCst) {
            break;
        }
        if !args.quiet
            && let Some(t) = next
        {
            println!("roundup: next poll at {}", rfc3339(t));
        }
        rt.block_on(async {
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = wake.notified() => {}
            }
        });
    }
    if !args.quiet {
        println!("roundup: stopped");
    }
    Ok(Exit::Ok)
}

/// Says that the database is busy and waits [`BUSY_RETRY`] (or until stopped) before the
/// round is tried again.
fn busy_pause(
    rt: &tokio::runtime::Runtime,
    e: &StoreError,
    wake: &tokio::sync::Notify,
    quiet: bool,
) {
    if !quiet {
        println!(
            "roundup: the database is busy ({}); trying this round again in {}s",
            crate::error_chain::one_line(e),
            BUSY_RETRY.as_secs()
        );
    }
    rt.block_on(async {
        tokio::select! {
            _ = tokio::time::sleep(BUSY_RETRY) => {}
            _ = wake.notified() => {}
        }
    });
}

async fn wait_for_signal(stop: Arc<AtomicBool>, wake: Arc<tokio::sync::Notify>) {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
    stop.store(true, Ordering::SeqCst);
    wake.notify_one();
}
