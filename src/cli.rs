//! The command line, as typed: clap derive structs and nothing else. Values are checked and
//! turned into run options in `app`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// roundup: poll your sector's blogs, pick the week's best, draft the roundup post.
#[derive(Debug, Parser)]
#[command(name = "roundup", version, about, long_about = None)]
pub struct Cli {
    /// The feeds file.
    #[arg(
        long,
        global = true,
        env = "ROUNDUP_CONFIG",
        default_value = "feeds.toml",
        value_name = "FILE"
    )]
    pub config: PathBuf,

    /// The SQLite database (default: `settings.database` in the feeds file).
    #[arg(long, global = true, env = "ROUNDUP_DB", value_name = "FILE")]
    pub db: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Poll the feeds that are due, once (for cron). Exit 0: all polled; 1: some failed; 2: fatal.
    Fetch(FetchArgs),
    /// Keep polling: each feed when it is due, until Ctrl-C or SIGTERM.
    Watch(WatchArgs),
    /// List, add, import or export the feeds.
    #[command(subcommand)]
    Feeds(FeedsCommand),
    /// List stored entries, newest first.
    Entries(EntriesArgs),
    /// Parse one feed document offline and show what roundup reads in it.
    Parse(ParseArgs),
}

#[derive(Debug, Args)]
pub struct FetchArgs {
    /// Poll every feed now, due or not.
    #[arg(long)]
    pub force: bool,
    /// Poll only this feed (by id), due or not.
    #[arg(long, value_name = "ID")]
    pub feed: Option<String>,
    /// Print nothing but errors that stop the run.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum FeedsCommand {
    /// Every feed with its last fetch, status, errors, next poll and entry count.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Add a feed to the feeds file (an HTML page's advertised feed is found for you).
    Add {
        /// The feed's URL, or a page that advertises it.
        url: String,
        /// The id (slug) to give it; made from its title when omitted.
        #[arg(long)]
        id: Option<String>,
        /// Its display name; the feed's title when omitted.
        #[arg(long)]
        name: Option<String>,
    },
    /// Add the feeds of an OPML file that are not already in the feeds file.
    Import {
        /// The OPML file.
        file: PathBuf,
    },
    /// Print the feeds as OPML 2.0.
    Export,
}

#[derive(Debug, Args)]
pub struct EntriesArgs {
    /// Only entries filed within this long before now (e.g. 7d, 36h).
    #[arg(long, value_name = "DURATION", conflicts_with = "week")]
    pub since: Option<String>,
    /// Only entries of this ISO week in the configured time zone (e.g. 2026-W48).
    #[arg(long, value_name = "WEEK")]
    pub week: Option<String>,
    /// Only entries of this feed (by id).
    #[arg(long, value_name = "ID")]
    pub feed: Option<String>,
    /// Only entries containing all these words.
    #[arg(long, value_name = "QUERY")]
    pub search: Option<String>,
    /// At most this many.
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,
    /// Print a JSON array.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ParseArgs {
    /// The feed document (`-` for standard input).
    pub file: PathBuf,
    /// The URL it came from, for relative links.
    #[arg(long, value_name = "URL")]
    pub base: Option<String>,
    /// Print JSON: {"feed": {...}, "entries": [...]}.
    #[arg(long)]
    pub json: bool,
}
