//! The composition root: one function per command. The only module that holds the
//! configuration, the store and the HTTP client together, and the only one that prints.

mod entries;
mod extract;
mod feeds;
mod poll;
mod publish;
mod serve;
mod week;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;

use crate::cli::{Cli, Command};
use crate::config::Config;
use crate::fetch::{FetchSettings, Fetcher};
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
        Command::Extract(args) => extract::extract(&cli, args),
    }
}

/// Prints `value` as pretty JSON on stdout. Unlike `println!`, a reader that went away
/// (`roundup entries --json | head`) is an error the caller can return, not a panic.
fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    use std::io::Write;
    let text = serde_json::to_string_pretty(value)?;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.write_all(b"\n")?;
    Ok(())
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

fn configured(config: &Config) -> Vec<(String, Duration)> {
    config.feeds.iter().map(|f| (f.id.clone(), config.interval_of(f))).collect()
}
