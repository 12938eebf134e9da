//! The composition root: one function per command. The only module that holds the
//! configuration, the store and the HTTP client together, and the only one that prints.

mod desk;
mod entries;
mod extract;
mod feeds;
mod poll;
pub(crate) mod publish;
pub(crate) mod push;
mod serve;
pub(crate) mod week;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;

use crate::cli::{Cli, Command};
use crate::config::Config;
use crate::fetch::{FetchSettings, Fetcher};
use crate::model::FeedId;
use crate::store::Store;

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
        Command::Parse(args) => entries::parse_file(args),
        Command::Fetch(args) => poll::fetch(&cli, args),
        Command::Watch(args) => poll::watch(&cli, args),
        Command::Feeds(cmd) => feeds::feeds(&cli, cmd),
        Command::Entries(args) => entries::entries(&cli, args),
        Command::Prune(args) => entries::prune(&cli, args),
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
        Command::Push(args) => push::push(&cli, args),
        Command::Serve(args) => serve::serve(&cli, args),
        Command::Desk(args) => desk::desk(&cli, args),
        Command::Extract(args) => extract::extract(&cli, args),
    }
}

/// Prints `value` as pretty JSON on stdout. Unlike `println!`, a reader that went away
/// (`roundup entries --json | head`) is an error the caller can return, not a panic.
fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    use std::io::Write;
    // Written as it is made: `feeds list --json` of 100,000 feeds is 40 MB of text (issue 11).
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    serde_json::to_writer_pretty(&mut out, value)?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(())
}

fn load_config(cli: &Cli) -> anyhow::Result<Config> {
    Ok(Config::load(&cli.config)?)
}

fn database_path(cli: &Cli, config: &Config) -> PathBuf {
    cli.db.clone().unwrap_or_else(|| config.settings.database.clone())
}

fn open_store(cli: &Cli, config: &Config) -> anyhow::Result<Store> {
    let path = database_path(cli, config);
    if let Some(why) = read_only_because(&path) {
        anyhow::bail!("cannot write to the database {}: {why}", path.display());
    }
    let mut store = Store::open(&path)?;
    store.sync_feeds(&config.feeds, Utc::now())?;
    Ok(store)
}

/// The store for a command that only reads (`feeds list`, `entries`, `candidates`, `picks`,
/// `draft` to stdout). When the database or its folder cannot be written (issue 10, item 7) it
/// is opened read-only, and neither feeds.toml is synced nor a migration run: the listing is
/// as the last writing command left it, and that is said once on stderr.
fn open_store_to_read(cli: &Cli, config: &Config) -> anyhow::Result<Store> {
    let path = database_path(cli, config);
    match read_only_because(&path) {
        None => open_store(cli, config),
        Some(why) => {
            let store = Store::open_read_only(&path, &why)?;
            eprintln!(
                "roundup: note: reading {} read-only ({why}); changes to {} are not synced",
                path.display(),
                config.path.display()
            );
            Ok(store)
        }
    }
}

/// Why the existing database at `path` cannot be written, if it cannot: the file itself, or
/// its folder (where SQLite makes its `-wal`, `-shm` and `-journal` files). `None` for a
/// writable one or a missing file (opening makes it, or names the cause).
fn read_only_because(path: &std::path::Path) -> Option<String> {
    if !path.exists() {
        return None;
    }
    if let Some(e) = not_writable(path) {
        return Some(format!("the file is read-only: {e}"));
    }
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(".".as_ref());
    not_writable(dir).map(|e| format!("its folder {} is read-only: {e}", dir.display()))
}

/// Why this process may not write `path`, if it may not: access(2) with `W_OK`, which is what
/// the kernel will say (permissions, read-only mounts, immutable files; root included).
fn not_writable(path: &std::path::Path) -> Option<std::io::Error> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    // SAFETY: `c` is a valid NUL-terminated string that outlives the call; access(2) only
    // reads it.
    let rc = unsafe { libc::access(c.as_ptr(), libc::W_OK) };
    (rc != 0).then(std::io::Error::last_os_error)
}

pub(crate) fn fetcher(config: &Config) -> anyhow::Result<Fetcher> {
    let s = &config.settings;
    let trusted = config.feeds.iter().map(|f| &f.url);
    Ok(Fetcher::new(
        FetchSettings {
            user_agent: s.user_agent.clone(),
            connect_timeout: s.connect_timeout,
            timeout: s.timeout,
            max_body: s.max_body,
            concurrency: s.concurrency,
            per_host: s.per_host,
            private_networks: s.private_networks,
        },
        trusted,
    )?)
}

/// The feeds' client and a runtime to drive it, made once for a command that reads article
/// pages ([`crate::articles::ArticlePages`] borrows them).
struct Web {
    fetcher: Fetcher,
    runtime: tokio::runtime::Runtime,
}

impl Web {
    fn new(config: &Config) -> anyhow::Result<Web> {
        Ok(Web { fetcher: fetcher(config)?, runtime: runtime()? })
    }

    fn articles(&self) -> crate::articles::ArticlePages<'_> {
        crate::articles::ArticlePages::new(&self.fetcher, &self.runtime)
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

pub(crate) fn configured(config: &Config) -> Vec<(FeedId, Duration)> {
    config.feeds.iter().map(|f| (f.id.clone(), config.interval_of(f))).collect()
}

/// [`configured`], taking the ids out of `config` rather than copying them, and letting the
/// rest of it go: each feed's URL, name and tags are not needed to poll it (the store has its
/// URL), and at 100,000 feeds the list was 23 MB (heaptrack).
pub(crate) fn into_configured(mut config: Config) -> Vec<(FeedId, Duration)> {
    let feeds = std::mem::take(&mut config.feeds);
    let mut configured = Vec::with_capacity(feeds.len());
    for feed in feeds {
        let interval = config.interval_of(&feed);
        configured.push((feed.id, interval));
    }
    configured
}
