//! The command line, as typed: clap derive structs and nothing else. Values are checked and
//! turned into run options in `app`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::model::EntryId;

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

    /// What to do.
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
    /// Remove entries dated before a time ago (never one that was picked into a roundup), then
    /// compact the database.
    Prune(PruneArgs),
    /// Parse one feed document offline and show what roundup reads in it.
    Parse(ParseArgs),
    /// The weekly job: fetch, then pick, excerpt and comment in a full-screen picker, then
    /// render the draft (none when nothing is picked). Exits 1 when its fetch had failures.
    Week(WeekArgs),
    /// The week's candidates, with what was decided about each.
    Candidates(CandidatesArgs),
    /// Pick an entry into the week's roundup, or change its pick.
    Pick(PickArgs),
    /// Take an entry out of the week's roundup.
    Unpick(EntryArgs),
    /// Triage an entry out: it is not shown as a candidate again.
    Skip(EntryArgs),
    /// The week's picks, in order.
    Picks(PicksArgs),
    /// Numbered excerpt suggestions for an entry: the paragraphs of its text (or of its article
    /// page, when the feed carries only a summary).
    Excerpts(ExcerptsArgs),
    /// Set the roundup's own fields.
    Edit(EditArgs),
    /// Render the week's draft post.
    Draft(DraftArgs),
    /// Publish the week's roundup: freeze it, and regenerate the public folder (archive pages,
    /// index, and the Atom, RSS and JSON feeds readers subscribe to).
    Publish(PublishArgs),
    /// Push the week's post to the blog of the feeds file's `[blog]` table (WordPress or
    /// WordPress.com), as a draft unless asked otherwise; a second push updates the same post.
    /// Exit 1: refused (the post was changed or published on the blog) or WordPress removed
    /// markup; 2: the blog said no or could not be reached.
    Push(PushArgs),
    /// Serve the public folder to readers (ETag, Last-Modified, gzip), until Ctrl-C.
    Serve(ServeArgs),
    /// The editor's desk in the browser: candidates, quotes, the post, feeds and publishing,
    /// on the same database as the other commands, until Ctrl-C.
    Desk(DeskArgs),
    /// Extract an article page's main text (a file, `.html.gz` too, or a URL): the paragraphs,
    /// separated by one blank line; with --json, also the page's metadata.
    Extract(ExtractArgs),
}

#[derive(Debug, Args)]
pub struct PublishArgs {
    #[command(flatten)]
    pub week: WeekArg,
}

/// The status a pushed post gets on the blog: draft (saved, not visible to readers), pending
/// (waiting for review), future (published by the blog at --date), publish (now). The variants
/// have no doc comments: clap would list them in a long help that hides the options' summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PushStatus {
    Draft,
    Pending,
    Future,
    Publish,
}

#[derive(Debug, Args)]
pub struct PushArgs {
    #[command(flatten)]
    pub week: WeekArg,
    /// The post's status on the blog: draft (not visible to readers), pending (for review),
    /// future (published by the blog at --date), publish (now). Default: draft for a new post;
    /// an update keeps the status the post has on the blog.
    #[arg(long, value_enum)]
    pub status: Option<PushStatus>,
    /// The post's date: `2026-12-01 09:00` (in the configured time zone) or RFC 3339.
    #[arg(long, value_name = "WHEN")]
    pub date: Option<String>,
    /// Print the request that would be sent (credentials masked); change nothing on the blog.
    #[arg(long)]
    pub dry_run: bool,
    /// Replace the blog's copy even when it was changed or published there since the last push.
    #[arg(long)]
    pub overwrite: bool,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub addr: String,
    /// Seconds a connection may take to send a request's headers, counted from when the server
    /// waits for them (a new connection, or a kept-alive one between requests); then it is
    /// closed.
    #[arg(long, default_value_t = 10, value_name = "SECS")]
    pub header_timeout: u64,
    /// Connections open at once, at most (further ones wait); never more than the open-file
    /// limit allows.
    #[arg(long, default_value_t = 1000, value_name = "N")]
    pub max_connections: usize,
}

#[derive(Debug, Args)]
pub struct DeskArgs {
    /// Address to listen on. Any address but loopback needs a password (--set-password).
    #[arg(long, default_value = "127.0.0.1:8081", value_name = "ADDR")]
    pub addr: String,
    #[command(flatten)]
    pub week: WeekArg,
    /// The desk is reached through a TLS proxy: its session cookie is sent only over HTTPS.
    #[arg(long)]
    pub behind_tls: bool,
    /// Seconds a connection may take to send a request's headers, counted from when the desk
    /// waits for them (a new connection, or a kept-alive one between requests); then it is
    /// closed.
    #[arg(long, default_value_t = 10, value_name = "SECS")]
    pub header_timeout: u64,
    /// Connections open at once, at most (further ones wait); a browser opens about six.
    #[arg(long, default_value_t = 64, value_name = "N")]
    pub max_connections: usize,
    /// Ask for a password (twice) and write its Argon2 hash to the feeds file's `[desk]`
    /// table, then exit.
    #[arg(
        long,
        conflicts_with_all = ["addr", "behind_tls", "header_timeout", "max_connections"]
    )]
    pub set_password: bool,
}

/// Which week: an ISO week such as 2026-W48; the current week (in the configured time zone) when
/// omitted.
#[derive(Debug, Args, Clone, Default)]
pub struct WeekArg {
    /// The ISO week, e.g. 2026-W48 (default: this week).
    #[arg(long, value_name = "WEEK")]
    pub week: Option<String>,
}

#[derive(Debug, Args)]
pub struct WeekArgs {
    #[command(flatten)]
    pub week: WeekArg,
    /// Do not fetch first.
    #[arg(long)]
    pub no_fetch: bool,
    /// Fetch every feed first, due or not (as `fetch --force`).
    #[arg(long, conflicts_with = "no_fetch")]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct CandidatesArgs {
    #[command(flatten)]
    pub week: WeekArg,
    /// Include skipped entries.
    #[arg(long)]
    pub all: bool,
    /// Print a JSON array.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct PickArgs {
    /// The entry's id (as printed by `roundup entries --json` or `roundup candidates`).
    pub entry: EntryId,
    #[command(flatten)]
    pub week: WeekArg,
    /// The excerpt to quote.
    #[arg(long, value_name = "TEXT", conflicts_with = "excerpt_para")]
    pub excerpt: Option<String>,
    /// Quote suggestion N of `roundup excerpts ENTRY`; several as N-M or N,M (e.g. 4-5 or
    /// 2,5), each a paragraph of the quote, in article order.
    #[arg(long, value_name = "N")]
    pub excerpt_para: Option<crate::excerpt::ParagraphNumbers>,
    /// The lead-in before the excerpt. Markdown: [words](https://…) links, *emphasis*,
    /// **strong**, a line ending in two spaces breaks; [words]() links the words to this post.
    #[arg(long, value_name = "TEXT")]
    pub lead: Option<String>,
    /// The editor's comment after the excerpt (Markdown, as --lead).
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    /// The section of the post the item goes in.
    #[arg(long, value_name = "NAME")]
    pub section: Option<String>,
    /// Its place in the post (1 = first); the others move down.
    #[arg(long, value_name = "N")]
    pub position: Option<u32>,
}

#[derive(Debug, Args)]
pub struct EntryArgs {
    /// The entry's id.
    pub entry: EntryId,
    #[command(flatten)]
    pub week: WeekArg,
}

#[derive(Debug, Args)]
pub struct PicksArgs {
    #[command(flatten)]
    pub week: WeekArg,
    /// Print a JSON array.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ExcerptsArgs {
    /// The entry's id.
    pub entry: EntryId,
    /// Print a JSON array.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct EditArgs {
    #[command(flatten)]
    pub week: WeekArg,
    /// The post's title (default: `title` in the feeds file's `[roundup]` table).
    #[arg(long, value_name = "TEXT")]
    pub title: Option<String>,
    /// The opening paragraph(s). Markdown: [words](https://…) links, *emphasis*, **strong**,
    /// a line ending in two spaces breaks; a blank line starts a paragraph.
    #[arg(long, value_name = "TEXT")]
    pub intro: Option<String>,
    /// The closing paragraph(s) (Markdown, as --intro).
    #[arg(long, value_name = "TEXT")]
    pub outro: Option<String>,
    /// Comma-separated tags (an empty value clears them).
    #[arg(long, value_name = "A,B")]
    pub tags: Option<String>,
    /// Comma-separated categories (an empty value clears them).
    #[arg(long, value_name = "C,D")]
    pub categories: Option<String>,
}

/// The output format of a draft.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DraftFormat {
    Markdown,
    Html,
}

#[derive(Debug, Args)]
pub struct DraftArgs {
    #[command(flatten)]
    pub week: WeekArg,
    /// Markdown or HTML.
    #[arg(long, value_enum, default_value = "markdown")]
    pub format: DraftFormat,
    /// Where to write it (default: the drafts folder, named by the week; `-` for stdout).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Treat lint warnings as errors: print them as errors, write nothing, exit 1.
    #[arg(long)]
    pub strict: bool,
    /// Re-fetch each picked article and report any excerpt that no longer appears in it.
    #[arg(long)]
    pub check_quotes: bool,
}

#[derive(Debug, Args)]
pub struct FetchArgs {
    /// Poll every feed now, due or not.
    #[arg(long)]
    pub force: bool,
    /// Poll only this feed (by id), due or not.
    #[arg(long, value_name = "ID")]
    pub feed: Option<String>,
    /// Print only what needs attention: one line per failing feed and any error that stops
    /// the run (no progress, no summary).
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Print only what needs attention: one line per failing feed and any error that stops
    /// it (no progress, no summaries).
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
    /// Only entries dated within this long before now (e.g. 7d, 36h): by the date the feed
    /// gives, else when roundup first saw them.
    #[arg(long, value_name = "DURATION", conflicts_with = "week")]
    pub since: Option<String>,
    /// Only entries of this ISO week in the configured time zone (e.g. 2026-W48): those dated
    /// in it and its late arrivals, the same entries as `roundup candidates --all`.
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
pub struct PruneArgs {
    /// Remove entries dated more than this long before now (e.g. 2y, 26w, 90d).
    #[arg(long, value_name = "DURATION")]
    pub older_than: String,
    /// Say what would be removed, and remove nothing.
    #[arg(long)]
    pub dry_run: bool,
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

#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// The page: a file path (`.html` or `.html.gz`) or an http(s) URL to fetch.
    pub page: String,
    /// The URL a file came from, for relative links and the canonical URL.
    #[arg(long, value_name = "URL")]
    pub base: Option<String>,
    /// Print JSON: {"title", "byline", "site_name", "published_time", "canonical_url", "lang",
    /// "paragraphs": [...]}.
    #[arg(long)]
    pub json: bool,
}
