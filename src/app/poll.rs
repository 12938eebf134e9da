//! `roundup fetch` and `roundup watch`: polling runs with a progress bar, and their report
//! (one line per failing feed, one summary line).

use std::collections::HashSet;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail};
use chrono::Utc;

use super::{
    Exit, configured, database_path, fetcher, into_configured, load_config, open_store, runtime,
};
use crate::cli::{Cli, FetchArgs, WatchArgs};
use crate::config::Config;
use crate::fetch::Fetcher;
use crate::lock::RunLock;
use crate::model::FeedId;
use crate::poll;
use crate::schedule::{self, Jobs};
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
    let rt = runtime()?;
    let fetcher = Arc::new(fetcher(&config)?);
    // From here on, each feed's id and interval are all of the feeds list the run needs, and
    // the run itself needs only its jobs: the feeds list and the feeds' states are let go
    // before it starts (at 100,000 feeds they were 41 MB of the heap at its end: heaptrack).
    let configured = into_configured(config);
    let (jobs, left_out) = {
        let states = store.feed_states()?;
        let now = Utc::now();
        let only = args.feed.as_deref();
        let due = schedule::due(&states, &configured, now, args.force, only);
        let polled: HashSet<&str> = due.iter().map(|&(at, _)| states[at].id.as_str()).collect();
        let held = schedule::held_back(&states, &configured, now, only);
        let considered: Vec<&str> = configured
            .iter()
            .map(|(id, _)| id.as_str())
            .filter(|id| only.is_none_or(|one| one == *id))
            .collect();
        let left_out = LeftOut {
            gone: gone_not_polled(&states, &configured, &polled),
            backing_off: backing_off(&states, &considered, &polled, &held),
            failing: failing_not_polled(&states, &considered, &polled),
            held,
            // With --feed, the others were not asked for: they are neither due nor not due.
            considered: considered.len(),
        };
        drop((polled, considered));
        (schedule::Jobs::new(states, due), left_out)
    };
    drop(configured);
    let clock = Instant::now();
    let total = jobs.len();
    let (_store, mut run, error) =
        rt.block_on(poll_with_progress(fetcher, jobs, store, Arc::new(AtomicBool::new(false))));
    if let Some(e) = error {
        return Err(write_failed(e));
    }
    report(&mut run, total, clock.elapsed(), &left_out, args.quiet);
    let failing = Failing::after(&run, &left_out);
    if let Some(f) = &failing
        && !args.quiet
    {
        println!("roundup: {f}");
    }
    let exit = if run.any_failed() { Exit::SomeFailed } else { Exit::Ok };
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
    /// Every feed a run polls is one it was about, so the two counts add up.
    fn after(run: &RunReport, left: &LeftOut) -> Option<Failing> {
        Failing::of(run.failed + left.failing, left.considered, run.failed_off_network == 0)
    }

    /// From the stored state alone (nothing polled now): failing feeds are those whose last
    /// poll failed.
    pub(crate) fn stored(states: &[FeedState], config: &Config) -> Option<Failing> {
        let ids: Vec<&str> = config.feeds.iter().map(|f| f.id.as_str()).collect();
        Failing::of(failing_not_polled(states, &ids, &HashSet::new()), ids.len(), true)
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
    polled: &HashSet<&str>,
    held: &[(FeedId, chrono::DateTime<Utc>)],
) -> usize {
    let considered: HashSet<&str> = considered.iter().copied().collect();
    let held: HashSet<&str> = held.iter().map(|(id, _)| id.as_str()).collect();
    states
        .iter()
        .filter(|s| considered.contains(s.id.as_str()) && s.error_count > 0 && !s.gone)
        .filter(|s| !polled.contains(s.id.as_str()))
        .filter(|s| !held.contains(s.id.as_str()))
        .count()
}

/// Feeds among `considered` not polled now (not in `polled`) whose last poll failed, gone
/// feeds apart: still failing after the run.
fn failing_not_polled(states: &[FeedState], considered: &[&str], polled: &HashSet<&str>) -> usize {
    let considered: HashSet<&str> = considered.iter().copied().collect();
    states
        .iter()
        .filter(|s| considered.contains(s.id.as_str()) && s.error_count > 0 && !s.gone)
        .filter(|s| !polled.contains(s.id.as_str()))
        .count()
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
    /// Failing since their last poll, not polled now (backing off, or waiting for
    /// Retry-After).
    failing: usize,
}

/// A run's outcomes as its report needs them, folded one by one as the writer writes them:
/// the summary line's counts and the lines about single feeds, not the outcomes themselves.
#[derive(Debug, Default)]
struct RunReport {
    stored: usize,
    unchanged: usize,
    /// Failed polls (gone feeds apart).
    failed: usize,
    /// Failed polls whose error is not the network's (a connection or a timeout).
    failed_off_network: usize,
    gone: usize,
    new: usize,
    updated: usize,
    moved: usize,
    /// For stderr: a line per feed that failed, is gone, or gave more entries than are read.
    problems: FeedLines,
    /// For stdout: a line per feed found through its HTML page.
    discovered: FeedLines,
}

impl RunReport {
    /// Folds in one feed's outcome: its counts, and the line the report prints for it.
    fn add(&mut self, o: FeedOutcome) {
        match &o.kind {
            OutcomeKind::Stored { new, updated, dropped } => {
                if *dropped > 0 {
                    self.problems
                        .push(&o.feed_id, format_args!("{}", crate::parse::dropped_note(*dropped)));
                }
                self.stored += 1;
                self.new += new;
                self.updated += updated;
            }
            OutcomeKind::NotModified => self.unchanged += 1,
            OutcomeKind::Failed { error, failures } => {
                self.failed += 1;
                self.failed_off_network += usize::from(!error.is_network());
                let next = o.next_due_at.map(rfc3339).unwrap_or_else(|| "-".into());
                let times = if *failures == 1 {
                    "first failure".to_string()
                } else {
                    format!("{failures} failures in a row")
                };
                self.problems.push(&o.feed_id, format_args!("{error} ({times}; next try {next})"));
            }
            OutcomeKind::Gone => {
                self.gone += 1;
                self.problems.push(
                    &o.feed_id,
                    format_args!(
                        "HTTP 410 Gone: the publisher has removed this feed; polling stopped (remove it from feeds.toml)"
                    ),
                );
            }
        }
        match &o.note {
            Some(Note::Moved(_)) => self.moved += 1,
            Some(note @ Note::Discovered { .. }) => {
                self.discovered.push(&o.feed_id, format_args!("{note}"));
            }
            None => {}
        }
    }

    /// Whether any feed failed or is gone.
    fn any_failed(&self) -> bool {
        self.failed + self.gone > 0
    }
}

/// Lines about single feeds, each its feed's id and the rest of the line, as text. Each in
/// an allocation of its own: in one growing buffer, the copy made when it grew was the run's
/// peak at 100,000 failing feeds (20 MB more for a moment).
#[derive(Debug, Default)]
struct FeedLines {
    /// Each line, and where its feed's id ends in it.
    lines: Vec<(Box<str>, usize)>,
    /// Where the next line is written before it is kept.
    scratch: String,
}

impl FeedLines {
    fn push(&mut self, id: &FeedId, rest: std::fmt::Arguments<'_>) {
        self.scratch.clear();
        self.scratch.push_str(id.as_str());
        // Writing to a String does not fail.
        let _ = std::fmt::Write::write_fmt(&mut self.scratch, rest);
        self.lines.push((self.scratch.as_str().into(), id.as_str().len()));
    }

    /// Each line's feed id and the rest of the line, in feed-id order (feeds polled together
    /// finish in any order).
    fn in_feed_order(&mut self) -> impl Iterator<Item = (&str, &str)> {
        self.lines.sort_by(|(a, a_id), (b, b_id)| a[..*a_id].cmp(&b[..*b_id]));
        self.lines.iter().map(|(line, id_end)| line.split_at(*id_end))
    }
}

impl poll::Tally for RunReport {
    fn add(&mut self, outcome: FeedOutcome) {
        RunReport::add(self, outcome);
    }
}

/// One polling run with a progress bar on a terminal (indicatif draws nothing otherwise).
async fn poll_with_progress(
    fetcher: Arc<Fetcher>,
    jobs: Jobs,
    store: Store,
    stop: Arc<AtomicBool>,
) -> (Store, RunReport, Option<StoreError>) {
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
    let progress = Progress { bar: bar.clone(), failed: 0, report: RunReport::default() };
    let (store, progress, error) = poll::run(fetcher, jobs, store, progress, stop).await;
    bar.finish_and_clear();
    (store, progress.report, error)
}

/// A run's report as it is folded, and the progress bar that shows it.
struct Progress {
    bar: indicatif::ProgressBar,
    failed: usize,
    report: RunReport,
}

impl poll::Tally for Progress {
    fn add(&mut self, outcome: FeedOutcome) {
        if outcome.failed() {
            self.failed += 1;
            self.bar.set_message(format!("· {} failed", self.failed));
        }
        self.bar.inc(1);
        self.report.add(outcome);
    }
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
fn gone_not_polled(
    states: &[FeedState],
    configured: &[(FeedId, Duration)],
    polled: &HashSet<&str>,
) -> usize {
    let configured: HashSet<&str> = configured.iter().map(|(id, _)| id.as_str()).collect();
    states
        .iter()
        .filter(|s| s.gone && configured.contains(s.id.as_str()))
        .filter(|s| !polled.contains(s.id.as_str()))
        .count()
}

/// One line per failing feed on stderr; on stdout, a line per feed found through its HTML page
/// and one summary line (nothing with `quiet`).
fn report(run: &mut RunReport, polled: usize, elapsed: Duration, left: &LeftOut, quiet: bool) {
    let (stderr, stdout) = (std::io::stderr(), std::io::stdout());
    // Nothing to do when the terminal has gone.
    let _ = write_report(&mut stderr.lock(), &mut stdout.lock(), run, polled, elapsed, left, quiet);
}

/// [`report`] into `err` and `out`.
fn write_report(
    err: &mut impl Write,
    out: &mut impl Write,
    run: &mut RunReport,
    polled: usize,
    elapsed: Duration,
    left: &LeftOut,
    quiet: bool,
) -> std::io::Result<()> {
    for (id, rest) in run.problems.in_feed_order() {
        writeln!(err, "roundup: feed {id}: {rest}")?;
    }
    if quiet {
        return Ok(());
    }
    for (id, note) in run.discovered.in_feed_order() {
        writeln!(out, "roundup: feed {id}: {note}")?;
    }
    for (id, until) in &left.held {
        writeln!(
            out,
            "roundup: feed {id}: not polled: its server asked for no requests before {} (Retry-After)",
            rfc3339(*until)
        )?;
    }
    let RunReport { stored, unchanged, failed, gone, new, updated, moved, .. } = *run;
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
    writeln!(out, "{line}")
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
        let configured = configured(&config);
        let due = schedule::due(&states, &configured, Utc::now(), false, None);
        let left_out = {
            let polled: HashSet<&str> = due.iter().map(|&(at, _)| states[at].id.as_str()).collect();
            let ids: Vec<&str> = configured.iter().map(|(id, _)| id.as_str()).collect();
            LeftOut {
                considered: ids.len(),
                gone: gone_not_polled(&states, &configured, &polled),
                // Their next poll is after their Retry-After: backing off, like other failures.
                held: Vec::new(),
                backing_off: backing_off(&states, &ids, &polled, &[]),
                failing: failing_not_polled(&states, &ids, &polled),
            }
        };
        drop(configured);
        let jobs = schedule::Jobs::new(states, due);
        if !jobs.is_empty() {
            let clock = Instant::now();
            let total = jobs.len();
            let (s, mut run, error) =
                rt.block_on(poll_with_progress(fetcher.clone(), jobs, store, stop.clone()));
            store = s;
            report(&mut run, total, clock.elapsed(), &left_out, args.quiet);
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

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use chrono::TimeZone;
    use proptest::prelude::*;

    use super::*;
    use crate::fetch::FetchError;
    use crate::model::PollError;
    use crate::schedule::{PollJob, feed_state};

    /// The report as it was first written: from the whole list of outcomes, sorted by feed id
    /// (only its output goes to `err` and `out` here rather than stderr and stdout).
    fn report_from_outcomes(
        err: &mut Vec<u8>,
        out: &mut Vec<u8>,
        outcomes: &[FeedOutcome],
        polled: usize,
        elapsed: Duration,
        left: &LeftOut,
        quiet: bool,
    ) {
        let mut sorted: Vec<&FeedOutcome> = outcomes.iter().collect();
        sorted.sort_by(|a, b| a.feed_id.cmp(&b.feed_id));
        let (mut stored, mut unchanged, mut failed, mut gone, mut new, mut updated, mut moved) =
            (0, 0, 0, 0, 0, 0, 0);
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

    /// `Failing::after` as it was first written: from every feed's stored state and every
    /// outcome.
    fn failing_from_outcomes(
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

    fn at(minute: u32) -> chrono::DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 30, 4, minute, 0).unwrap()
    }

    /// One outcome of each shape `choice` picks, for feed `id`.
    fn outcome(id: &str, choice: u8, note: u8, n: usize) -> FeedOutcome {
        let kind = match choice % 7 {
            0 => OutcomeKind::Stored { new: n, updated: n / 2, dropped: 0 },
            1 => OutcomeKind::Stored { new: 0, updated: 1, dropped: n + 1 },
            2 => OutcomeKind::NotModified,
            3 => OutcomeKind::Failed {
                error: PollError::Fetch(FetchError::Connect(format!(
                    "tcp connect error: Connection refused ({id})"
                ))),
                failures: 1,
            },
            4 => OutcomeKind::Failed {
                error: PollError::Fetch(FetchError::Timeout(Duration::from_secs(30))),
                failures: u32::try_from(n).unwrap_or(2).max(2),
            },
            5 => OutcomeKind::Failed { error: PollError::Status { status: 404 }, failures: 3 },
            _ => OutcomeKind::Gone,
        };
        let note = match note % 3 {
            0 => None,
            1 => Some(Note::Moved(format!("http://127.0.0.1/moved/{id}.xml"))),
            _ => Some(Note::Discovered {
                page: format!("http://127.0.0.1/{id}/"),
                feed: format!("http://127.0.0.1/{id}/feed.xml"),
            }),
        };
        let next_due_at = (!matches!(kind, OutcomeKind::Gone)).then(|| at(u32::from(choice) % 60));
        FeedOutcome { feed_id: id.into(), kind, note, next_due_at }
    }

    #[test]
    fn the_folded_report_prints_failing_dropped_and_gone_feeds_in_feed_id_order() {
        let outcomes = [
            outcome("feed-10", 6, 0, 0),
            outcome("feed-2", 3, 0, 0),
            outcome("feed-1", 1, 0, 4),
            outcome("feed-9", 0, 2, 3),
            outcome("feed-3", 5, 1, 0),
        ];
        let mut run = RunReport::default();
        for o in outcomes {
            run.add(o);
        }
        let left = LeftOut { considered: 7, gone: 1, held: Vec::new(), backing_off: 0, failing: 0 };
        let (mut err, mut out) = (Vec::new(), Vec::new());
        write_report(&mut err, &mut out, &mut run, 5, Duration::from_millis(1250), &left, false)
            .unwrap();
        let err = String::from_utf8(err).unwrap();
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 4, "{err}");
        assert!(lines[0].starts_with("roundup: feed feed-1: "), "{err}");
        assert_eq!(
            lines[1],
            "roundup: feed feed-10: HTTP 410 Gone: the publisher has removed this feed; polling stopped (remove it from feeds.toml)"
        );
        assert_eq!(
            lines[2],
            "roundup: feed feed-2: cannot connect: tcp connect error: Connection refused (feed-2) (first failure; next try 2026-11-30T04:03:00Z)"
        );
        assert_eq!(
            lines[3],
            "roundup: feed feed-3: HTTP 404 Not Found (3 failures in a row; next try 2026-11-30T04:05:00Z)"
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "roundup: feed feed-9: http://127.0.0.1/feed-9/ is an HTML page; found its feed at http://127.0.0.1/feed-9/feed.xml and polled that\n\
             roundup: polled 5 feeds in 1.2s: 2 updated, 0 unchanged, 2 failed, 1 gone; 3 new entries, 2 changed; 1 moved permanently (see feeds list); 1 not due; 1 gone (polling stopped)\n"
        );
    }

    proptest! {
        #[test]
        fn the_folded_report_prints_what_the_report_from_every_outcome_printed(
            shapes in proptest::collection::vec((0u8..7, 0u8..3, 0usize..5), 0..40),
            held in 0usize..3,
            gone in 0usize..3,
            backing_off in 0usize..3,
            extra in 0usize..4,
            quiet in proptest::bool::ANY,
        ) {
            // Ids that arrive out of order, as feeds polled together finish.
            let outcomes: Vec<FeedOutcome> = shapes
                .iter()
                .enumerate()
                .map(|(i, &(choice, note, n))| outcome(&format!("feed-{}", (i * 7919) % 1000), choice, note, n))
                .collect();
            let left = LeftOut {
                considered: outcomes.len() + held + gone + backing_off + extra,
                gone,
                held: (0..held).map(|i| (FeedId::from(format!("held-{i}").as_str()), at(50))).collect(),
                backing_off,
                failing: 0,
            };
            let elapsed = Duration::from_millis(2345);
            let (mut err_before, mut out_before) = (Vec::new(), Vec::new());
            report_from_outcomes(&mut err_before, &mut out_before, &outcomes, outcomes.len(), elapsed, &left, quiet);
            let mut run = RunReport::default();
            for o in outcomes.iter().cloned() {
                run.add(o);
            }
            let (mut err, mut out) = (Vec::new(), Vec::new());
            write_report(&mut err, &mut out, &mut run, outcomes.len(), elapsed, &left, quiet).unwrap();
            prop_assert_eq!(String::from_utf8(err).unwrap(), String::from_utf8(err_before).unwrap());
            prop_assert_eq!(String::from_utf8(out).unwrap(), String::from_utf8(out_before).unwrap());
            prop_assert_eq!(run.any_failed(), outcomes.iter().any(FeedOutcome::failed));
        }

        #[test]
        fn failing_after_a_run_counts_what_it_counted_from_every_state_and_outcome(
            feeds in proptest::collection::vec((0u32..3, proptest::bool::ANY, proptest::option::of((0u8..7, 0u8..3))), 0..40),
            only_some in proptest::bool::ANY,
        ) {
            let states: Vec<FeedState> = feeds
                .iter()
                .enumerate()
                .map(|(i, &(error_count, gone, _))| FeedState {
                    error_count,
                    gone,
                    ..feed_state(&format!("feed-{i}"))
                })
                .collect();
            // With --feed, the run is about one feed; else about every feed.
            let considered: Vec<&str> = states
                .iter()
                .map(|s| s.id.as_str())
                .take(if only_some { 1 } else { usize::MAX })
                .collect();
            let (jobs, outcomes): (Vec<PollJob>, Vec<FeedOutcome>) = states
                .iter()
                .zip(&feeds)
                .filter(|(s, _)| considered.contains(&s.id.as_str()))
                .filter_map(|(s, (_, _, polled))| {
                    let (choice, note) = (*polled)?;
                    let job = PollJob { state: s.clone(), interval: Duration::from_secs(3600) };
                    Some((job, outcome(s.id.as_str(), choice, note, 1)))
                })
                .unzip();
            let left = LeftOut {
                considered: considered.len(),
                gone: 0,
                held: Vec::new(),
                backing_off: 0,
                failing: failing_not_polled(
                    &states,
                    &considered,
                    &jobs.iter().map(|j| j.state.id.as_str()).collect(),
                ),
            };
            let mut run = RunReport::default();
            for o in outcomes.iter().cloned() {
                run.add(o);
            }
            prop_assert_eq!(Failing::after(&run, &left), failing_from_outcomes(&states, &considered, &outcomes));
        }
    }
}
