//! The composition root: one function per command. The only module that holds the
//! configuration, the store and the HTTP client together, and the only one that prints.

mod excerpts;
mod publish;
mod serve;
mod week;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use chrono::Utc;
use url::Url;

use crate::cli::{Cli, Command, EntriesArgs, FeedsCommand, FetchArgs, ParseArgs, WatchArgs};
use crate::config::{Config, FeedConfig};
use crate::fetch::{FetchRequest, FetchSettings, Fetcher};
use crate::lock::RunLock;
use crate::poll::{self, FeedOutcome, OutcomeKind};
use crate::store::{EntryFilter, FeedState, Store};
use crate::timefmt::{IsoWeek, parse_duration, rfc3339};

/// How a run ended, as the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Everything asked for was done.
    Ok = 0,
    /// Some feeds failed; everything else was stored.
    SomeFailed = 1,
    /// Nothing could be done: bad config, unusable database, bad arguments, busy lock.
    Fatal = 2,
}

/// Runs one command.
pub fn run(cli: Cli) -> anyhow::Result<Exit> {
    match &cli.command {
        Command::Parse(args) => parse_file(args),
        Command::Fetch(args) => fetch(&cli, args),
        Command::Watch(args) => watch(&cli, args),
        Command::Feeds(cmd) => feeds(&cli, cmd),
        Command::Entries(args) => entries(&cli, args),
        Command::Week(args) => week::week(&cli, args),
        Command::Candidates(args) => week::candidates(&cli, args),
        Command::Pick(args) => week::pick(&cli, args),
        Command::Unpick(args) => week::unpick(&cli, args),
        Command::Skip(args) => week::skip(&cli, args),
        Command::Picks(args) => week::picks(&cli, args),
        Command::Excerpts(args) => week::excerpts(&cli, args),
        Command::Edit(args) => week::edit(&cli, args),
        Command::Draft(args) => week::draft(&cli, args),
        Command::Publish(args) => publish::publish(&cli, args),
        Command::Serve(args) => serve::serve(&cli, args),
    }
}

fn load_config(cli: &Cli) -> anyhow::Result<Config> {
    Ok(Config::load(&cli.config)?)
}

fn database_path(cli: &Cli, config: &Config) -> PathBuf {
    cli.db.clone().unwrap_or_else(|| config.settings.database.clone())
}

fn open_store(cli: &Cli, config: &Config) -> anyhow::Result<Store> {
    let mut store = Store::open(&database_path(cli, config))?;
    store.sync_feeds(&config.feeds, Utc::now())?;
    Ok(store)
}

fn fetcher(config: &Config) -> anyhow::Result<Fetcher> {
    let s = &config.settings;
    Ok(Fetcher::new(FetchSettings {
        user_agent: s.user_agent.clone(),
        connect_timeout: s.connect_timeout,
        timeout: s.timeout,
        max_body: s.max_body,
        concurrency: s.concurrency,
        per_host: s.per_host,
    })?)
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn configured(config: &Config) -> Vec<(String, Duration)> {
    config.feeds.iter().map(|f| (f.id.clone(), config.interval_of(f))).collect()
}

fn fetch(cli: &Cli, args: &FetchArgs) -> anyhow::Result<Exit> {
    let config = load_config(cli)?;
    if let Some(id) = &args.feed
        && !config.feeds.iter().any(|f| &f.id == id)
    {
        bail!("no feed with id {id:?} in {}", config.path.display());
    }
    let _lock = RunLock::acquire(&database_path(cli, &config))?;
    let store = open_store(cli, &config)?;
    let states = store.feed_states()?;
    let now = Utc::now();
    let only = args.feed.as_deref();
    let jobs = poll::due_jobs(&states, &configured(&config), now, args.force, only);
    let left_out = LeftOut {
        gone: gone_not_polled(&states, &config, &jobs),
        held: poll::held_back(&states, &configured(&config), now, only),
        // With --feed, the others were not asked for: they are neither due nor not due.
        considered: if only.is_some() { 1 } else { config.feeds.len() },
    };
    let rt = runtime()?;
    let fetcher = Arc::new(fetcher(&config)?);
    let clock = Instant::now();
    let total = jobs.len();
    let (_store, outcomes) =
        rt.block_on(poll_with_progress(fetcher, jobs, store, Arc::new(AtomicBool::new(false))))?;
    report(&outcomes, total, clock.elapsed(), &left_out, args.quiet);
    Ok(if outcomes.iter().any(FeedOutcome::failed) { Exit::SomeFailed } else { Exit::Ok })
}

/// The configured feeds a run did not poll, and why.
struct LeftOut {
    /// Feeds the run was about (all configured, or the one named).
    considered: usize,
    /// Stopped by an earlier 410 Gone.
    gone: usize,
    /// Waiting out their server's Retry-After, with its end.
    held: Vec<(String, chrono::DateTime<Utc>)>,
}

/// One polling run with a progress bar on a terminal (indicatif draws nothing otherwise).
async fn poll_with_progress(
    fetcher: Arc<Fetcher>,
    jobs: Vec<poll::PollJob>,
    store: Store,
    stop: Arc<AtomicBool>,
) -> anyhow::Result<(Store, Vec<FeedOutcome>)> {
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
    let (store, outcomes, error) = poll::run(fetcher, jobs, store, on_done, stop).await;
    bar.finish_and_clear();
    if let Some(e) = error {
        return Err(anyhow!(e).context("stopped: could not write to the database"));
    }
    Ok((store, outcomes))
}

/// Configured feeds not polled because an earlier 410 Gone stopped them.
fn gone_not_polled(states: &[FeedState], config: &Config, jobs: &[poll::PollJob]) -> usize {
    states
        .iter()
        .filter(|s| s.gone && config.feeds.iter().any(|f| f.id == s.id))
        .filter(|s| !jobs.iter().any(|j| j.state.id == s.id))
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
            OutcomeKind::Stored { new: n, updated: u } => {
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
        if matches!(o.note, Some(poll::Note::Moved(_))) {
            moved += 1;
        }
    }
    if quiet {
        return;
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for o in &sorted {
        if let Some(note @ poll::Note::Discovered { .. }) = &o.note {
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
    let not_due = left.considered.saturating_sub(polled + left.gone + left.held.len());
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
    if !left.held.is_empty() {
        line.push_str(&format!("; {} waiting for Retry-After", left.held.len()));
    }
    if left.gone > 0 {
        line.push_str(&format!("; {} gone (polling stopped)", left.gone));
    }
    let _ = writeln!(out, "{line}");
}

fn watch(cli: &Cli, args: &WatchArgs) -> anyhow::Result<Exit> {
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
    loop {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        // Pick up edits to the feeds file between rounds; a broken edit keeps the old list.
        match Config::load(&cli.config) {
            Ok(fresh) => {
                if fresh.feeds != config.feeds {
                    store.sync_feeds(&fresh.feeds, Utc::now())?;
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
        let jobs = poll::due_jobs(&states, &configured(&config), Utc::now(), false, None);
        let left_out = LeftOut {
            considered: config.feeds.len(),
            gone: gone_not_polled(&states, &config, &jobs),
            held: Vec::new(), // their next poll is after their Retry-After: "not due"
        };
        if !jobs.is_empty() {
            let clock = Instant::now();
            let total = jobs.len();
            let (s, outcomes) =
                rt.block_on(poll_with_progress(fetcher.clone(), jobs, store, stop.clone()))?;
            store = s;
            report(&outcomes, total, clock.elapsed(), &left_out, args.quiet);
        }
        // Idle time is when the search index catches up with what was just stored.
        store.update_search_index()?;
        let ids: Vec<String> = config.feeds.iter().map(|f| f.id.clone()).collect();
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

fn feeds(cli: &Cli, cmd: &FeedsCommand) -> anyhow::Result<Exit> {
    match cmd {
        FeedsCommand::List { json } => feeds_list(cli, *json),
        FeedsCommand::Add { url, id, name } => feeds_add(cli, url, id.as_deref(), name.as_deref()),
        FeedsCommand::Import { file } => feeds_import(cli, file),
        FeedsCommand::Export => {
            let config = load_config(cli)?;
            print!("{}", crate::opml::write(&config.feeds, "roundup feeds"));
            Ok(Exit::Ok)
        }
    }
}

fn feeds_list(cli: &Cli, json: bool) -> anyhow::Result<Exit> {
    let config = load_config(cli)?;
    let store = open_store(cli, &config)?;
    let all = store.feed_listing()?;
    let listing: Vec<_> =
        config.feeds.iter().filter_map(|f| all.iter().find(|l| l.id == f.id).cloned()).collect();
    if json {
        println!("{}", serde_json::to_string_pretty(&listing)?);
        return Ok(Exit::Ok);
    }
    let mut rows = vec![[
        "ID".to_string(),
        "LAST FETCH".into(),
        "STATUS".into(),
        "ERRORS".into(),
        "NEXT DUE".into(),
        "ENTRIES".into(),
        "NOTES".into(),
    ]];
    for l in &listing {
        let mut notes = Vec::new();
        if l.gone {
            notes.push("GONE (410): polling stopped".to_string());
        }
        if let Some(d) = &l.discovered_url {
            notes.push(format!("feed found on page: {d}"));
        } else if let Some(m) = &l.moved_to {
            notes.push(format!("moved permanently to {m}"));
        }
        if let Some(e) = &l.last_error {
            notes.push(format!("last error: {e}"));
        }
        rows.push([
            l.id.clone(),
            l.last_fetch_at.clone().unwrap_or_else(|| "never".into()),
            l.last_status.map_or("-".into(), |s| s.to_string()),
            l.error_count.to_string(),
            if l.gone {
                "never".into()
            } else {
                l.next_due_at.clone().unwrap_or_else(|| "now".into())
            },
            l.entries.to_string(),
            notes.join("; "),
        ]);
    }
    print_table(&rows);
    Ok(Exit::Ok)
}

fn print_table<const N: usize>(rows: &[[String; N]]) {
    let mut widths = [0usize; N];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == N {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<w$}  ", w = widths[i]));
            }
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
}

/// Fetches `url`; when it is an HTML page, finds the feed it advertises. Gives the feed's URL
/// and title.
fn resolve_feed_url(config: &Config, url: &Url) -> anyhow::Result<(Url, Option<String>)> {
    let rt = runtime()?;
    let fetcher = fetcher(config)?;
    rt.block_on(async {
        let first = fetcher
            .fetch(&FetchRequest { url: url.clone(), etag: None, last_modified: None })
            .await
            .with_context(|| format!("cannot fetch {url}"))?;
        if !(200..300).contains(&first.status) {
            bail!("{url} answered HTTP {}", first.status);
        }
        let base = first.moved_permanently_to.clone().unwrap_or_else(|| url.clone());
        match crate::parse::parse_feed(&first.body, Some(&first.final_url), first.charset().as_deref()) {
            Ok(feed) => Ok((base, feed.title)),
            Err(crate::parse::ParseError::Html) => {
                let html = String::from_utf8_lossy(&first.body).into_owned();
                let links = crate::discover::feed_links(&html, &first.final_url);
                let page_title = crate::discover::page_title(&html);
                let link = links.into_iter().next().ok_or_else(|| {
                    anyhow!("{url} is an HTML page that advertises no feed (no <link rel=\"alternate\"> to RSS, Atom or JSON Feed)")
                })?;
                let second = fetcher
                    .fetch(&FetchRequest { url: link.url.clone(), etag: None, last_modified: None })
                    .await
                    .with_context(|| format!("{url} advertises {}, which cannot be fetched", link.url))?;
                let feed = crate::parse::parse_feed(&second.body, Some(&second.final_url), second.charset().as_deref())
                    .with_context(|| format!("{url} advertises {}, which is not a readable feed", link.url))?;
                let found = second.moved_permanently_to.unwrap_or(link.url);
                Ok((found, feed.title.or(link.title).or(page_title)))
            }
            Err(e) => Err(anyhow!(e).context(format!("{url} is not a feed"))),
        }
    })
}

fn feeds_add(cli: &Cli, url: &str, id: Option<&str>, name: Option<&str>) -> anyhow::Result<Exit> {
    let config = load_config(cli)?;
    let url = crate::config::parse_feed_url(url).map_err(|m| anyhow!(m))?;
    let (feed_url, title) = resolve_feed_url(&config, &url)?;
    if let Some(existing) = config.feeds.iter().find(|f| f.url == feed_url || f.url == url) {
        bail!("{} is already in {} as {:?}", feed_url, config.path.display(), existing.id);
    }
    let taken: Vec<&str> = config.feeds.iter().map(|f| f.id.as_str()).collect();
    let id = match id {
        Some(id) => {
            crate::config::check_slug(id).map_err(|m| anyhow!(m))?;
            if taken.contains(&id) {
                bail!("id {id:?} is already used in {}", config.path.display());
            }
            id.to_string()
        }
        None => crate::feeds_file::unique_slug(title.as_deref().unwrap_or(""), &feed_url, &taken),
    };
    let name = name.map(str::to_string).or(title);
    let feed =
        FeedConfig { id: id.clone(), url: feed_url.clone(), name, tags: vec![], interval: None };
    crate::feeds_file::append_feeds(&config.path, std::slice::from_ref(&feed))?;
    if feed_url != url {
        println!("roundup: {url} is a page; its feed is {feed_url}");
    }
    println!("roundup: added {id:?} ({feed_url}) to {}", config.path.display());
    Ok(Exit::Ok)
}

fn feeds_import(cli: &Cli, file: &Path) -> anyhow::Result<Exit> {
    let config = load_config(cli)?;
    let text = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let outlines = crate::opml::read(&text)
        .with_context(|| format!("{} is not usable OPML", file.display()))?;
    let mut taken: Vec<String> = config.feeds.iter().map(|f| f.id.clone()).collect();
    let mut added = Vec::new();
    let mut skipped = 0;
    for o in outlines {
        let Ok(url) = crate::config::parse_feed_url(&o.xml_url) else {
            eprintln!(
                "roundup: {}: skipping outline with unusable xmlUrl {:?}",
                file.display(),
                o.xml_url
            );
            skipped += 1;
            continue;
        };
        if config.feeds.iter().any(|f| f.url == url)
            || added.iter().any(|f: &FeedConfig| f.url == url)
        {
            skipped += 1;
            continue;
        }
        let refs: Vec<&str> = taken.iter().map(String::as_str).collect();
        let id = crate::feeds_file::unique_slug(o.title.as_deref().unwrap_or(""), &url, &refs);
        taken.push(id.clone());
        added.push(FeedConfig { id, url, name: o.title, tags: o.tags, interval: None });
    }
    if !added.is_empty() {
        crate::feeds_file::append_feeds(&config.path, &added)?;
    }
    println!(
        "roundup: imported {} feed{} into {} ({skipped} already there or unusable)",
        added.len(),
        if added.len() == 1 { "" } else { "s" },
        config.path.display()
    );
    Ok(Exit::Ok)
}

fn entries(cli: &Cli, args: &EntriesArgs) -> anyhow::Result<Exit> {
    let config = load_config(cli)?;
    let mut store = open_store(cli, &config)?;
    let mut filter = EntryFilter {
        feed: args.feed.clone(),
        search: args.search.clone(),
        limit: args.limit,
        ..Default::default()
    };
    if let Some(since) = &args.since {
        let d = parse_duration(since).map_err(|m| anyhow!("--since: {m}"))?;
        filter.since =
            Some(Utc::now() - chrono::Duration::from_std(d).context("--since is too long")?);
    }
    if let Some(week) = &args.week {
        let w = IsoWeek::parse(week).map_err(|m| anyhow!("--week: {m}"))?;
        let (start, end) = w.bounds(config.settings.timezone);
        filter.since = Some(start);
        filter.until = Some(end);
    }
    if let Some(feed) = &args.feed
        && !config.feeds.iter().any(|f| &f.id == feed)
    {
        bail!("no feed with id {feed:?} in {}", config.path.display());
    }
    let rows = store.entries(&filter)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(Exit::Ok);
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for r in &rows {
        let _ = writeln!(
            out,
            "{:>6}  {}  {:<16}  {}{}",
            r.id,
            &r.published[..10.min(r.published.len())],
            r.feed,
            r.title.as_deref().unwrap_or("(untitled)"),
            r.author.as_deref().map(|a| format!(" — {a}")).unwrap_or_default()
        );
    }
    Ok(Exit::Ok)
}

fn parse_file(args: &ParseArgs) -> anyhow::Result<Exit> {
    let bytes = if args.file.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf)
            .context("cannot read standard input")?;
        buf
    } else {
        std::fs::read(&args.file).with_context(|| format!("cannot read {}", args.file.display()))?
    };
    let base = match &args.base {
        Some(b) => {
            Some(Url::parse(b).with_context(|| format!("--base {b:?} is not an absolute URL"))?)
        }
        None => None,
    };
    let feed = crate::parse::parse_feed(&bytes, base.as_ref(), None)
        .with_context(|| format!("{} is not a readable feed", args.file.display()))?;
    let report = crate::parse::ParseReport::new(&feed);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(Exit::Ok);
    }
    println!("{}", report.feed.title.as_deref().unwrap_or("(untitled feed)"));
    if let Some(link) = &report.feed.link {
        println!("{link}");
    }
    println!("{} entries", report.entries.len());
    for e in &report.entries {
        println!(
            "  {}  {}  {}",
            e.published.as_deref().or(e.updated.as_deref()).unwrap_or("(undated)           "),
            e.title.as_deref().unwrap_or("(untitled)"),
            e.link.as_deref().unwrap_or("")
        );
    }
    Ok(Exit::Ok)
}
