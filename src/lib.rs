//! roundup: poll a sector's blogs into SQLite, pick the week's best, draft the roundup post,
//! publish its feeds. Two pipelines, one stage per file, each with its own types:
//!
//! ```text
//! reading   config ─► schedule ─► fetch ─► parse ─► update ─► store
//! editing   store ─► (candidates) ─► picker / app::week ─► articles ─► excerpt ─► render ─► publish ─► serve
//!                                                                                    └─► push
//! ```
//!
//! | stage | file | owns |
//! |---|---|---|
//! | config | `config.rs` | feeds.toml → `Config`, every check with file, line and key |
//! | schedule | `schedule.rs` | who is due, when next (pure; `now` passed in) |
//! | fetch | `fetch.rs` | HTTP bytes: conditional GET, redirects, caps (`http.rs`: what headers mean) |
//! | parse | `parse/mod.rs` | the feed-rs adapter: bytes → `model::ParsedFeed` |
//! | update | `update.rs` | the pure decider: what an answer means for the feed and its entries |
//! | store | `store/mod.rs` | SQLite: one way to write (`Store::write`), migrations, queries by domain |
//! | poll | `poll.rs` | one polling run: tasks, semaphores, the single writer |
//! | select | `store/candidates.rs` | the week's candidates and late arrivals |
//! | pick | `picker/mod.rs` | the full-screen picker (`picker/state.rs` decides, without a terminal) |
//! | articles | `articles.rs` | article pages: fetched once, cached, refetched by policy |
//! | excerpt | `excerpt.rs` | quotable paragraphs (`extract/`: an article page's main text) |
//! | render | `render/mod.rs` | the draft from handlebars templates over view structs, and its lint |
//! | publish | `publish/mod.rs` | the public folder and its feeds, from frozen snapshots (pure) |
//! | serve | `serve.rs` | the public folder over HTTP for readers |
//! | push | `push/mod.rs` | the week's post to the blog: WordPress's REST API, WordPress.com |
//! | desk | `desk/mod.rs` | the editor's desk in the browser: the same store functions over HTTP |
//!
//! One home each: `links.rs` (absolute http(s) URLs, the normal form of a link), `week.rs`
//! (ISO weeks), `html_text.rs` (HTML → text), `quotes.rs` (where a quote was cut),
//! `atomic_write.rs` (every file written), `error_chain.rs` (how an error is shown), `lock.rs`
//! (the run and publish locks), `hex.rs` (bytes as hexadecimal).
//!
//! `app` is the composition root: the only module that holds the configuration, the store
//! and the HTTP client together. `cli` holds the clap structs and nothing else. Only the
//! stages the integration tests and benches drive (`parse`, `extract`, `update`, `model`) are
//! public; [`run`], [`Exit`] and [`Cli`] are what the binary needs.

pub(crate) mod app;
pub(crate) mod articles;
pub(crate) mod atomic_write;
pub(crate) mod cli;
pub(crate) mod config;
pub(crate) mod desk;
pub(crate) mod discover;
pub(crate) mod error_chain;
pub(crate) mod excerpt;
pub mod extract;
pub(crate) mod feeds_file;
pub(crate) mod fetch;
pub(crate) mod hex;
pub(crate) mod html_text;
pub(crate) mod http;
pub(crate) mod links;
pub(crate) mod lock;
pub mod model;
pub(crate) mod netguard;
pub(crate) mod opml;
pub mod parse;
pub(crate) mod picker;
pub(crate) mod poll;
pub(crate) mod publish;
pub(crate) mod push;
pub(crate) mod quotes;
pub(crate) mod render;
pub(crate) mod schedule;
pub(crate) mod serve;
pub(crate) mod store;
pub(crate) mod timefmt;
pub mod update;
pub(crate) mod week;

pub use app::{Exit, run};
pub use cli::Cli;
pub use error_chain::report as error_report;

/// Thin entry points into crate-private stages, for the cargo-fuzz targets in `fuzz/` only: not
/// part of roundup's interface, and free to change with the stages they wrap.
#[doc(hidden)]
pub mod fuzzing {
    use std::path::Path;

    /// Checks `text` as a feeds.toml (relative paths resolved against `/nonexistent`); the error
    /// as it would be shown, if any.
    pub fn config(text: &str) -> Result<(), String> {
        crate::config::Config::parse(text, Path::new("feeds.toml"), Path::new("/nonexistent"))
            .map(drop)
            .map_err(|e| e.to_string())
    }

    /// HTML (a feed's summary or content) as the plain text roundup keeps of it.
    pub fn html_to_text(html: &str) -> String {
        crate::html_text::html_to_text(html)
    }

    /// The editor's `text` in its three renderings: Markdown, HTML (after the drafts'
    /// allowlist) and plain text; `post` is where `[words]()` links.
    pub fn editor_text(text: &str, post: Option<&str>) -> [String; 3] {
        [
            crate::render::editor::editor_markdown(text, post),
            crate::render::editor::editor_html(text, post),
            crate::render::editor::editor_plain(text),
        ]
    }

    /// The feed links an HTML page advertises (feed discovery), as absolute URLs.
    pub fn feed_links(html: &str, page_url: &url::Url) -> Vec<String> {
        crate::discover::feed_links(html, page_url).into_iter().map(|l| l.url.to_string()).collect()
    }

    /// `serve`'s reading of a request path: the segments it would look up under the public
    /// folder, or `None` when it refuses the path (400 or 404).
    pub fn serve_path(raw: &str) -> Option<Vec<String>> {
        crate::serve::parse_request_path(raw).ok().map(|p| p.segments)
    }
}

/// Thin entry points into the store, for `benches/scale.rs` only: the same functions the
/// commands use (config load and sync, the poll writer, search), timed in-process. Not part of
/// roundup's interface, and free to change with the store.
#[doc(hidden)]
pub mod benching {
    use std::path::Path;

    use crate::model::FeedPoll;
    use crate::store::{EntryFilter, Store};

    /// An open database.
    pub struct Database(Store);

    impl Database {
        /// Opens (creating and migrating if needed) the database at `path`.
        pub fn open(path: &Path) -> Result<Database, String> {
            Store::open(path).map(Database).map_err(|e| e.to_string())
        }

        /// Writes polls as `fetch`'s writer does: in one transaction, through
        /// `Store::record_polls`.
        pub fn record_polls(&mut self, polls: &[FeedPoll]) -> Result<(), String> {
            self.0.record_polls(polls).map(drop).map_err(|e| e.to_string())
        }

        /// What `roundup entries --search WORDS --limit LIMIT` runs: how many rows it lists.
        pub fn search(&mut self, words: &str, limit: Option<u64>) -> Result<usize, String> {
            let filter = EntryFilter { search: Some(words.into()), limit, ..Default::default() };
            self.0.entries(&filter).map(|rows| rows.len()).map_err(|e| e.to_string())
        }
    }

    /// Loads and checks the feeds file, as every command does first: the number of feeds.
    pub fn load_config(config: &Path) -> Result<usize, String> {
        crate::config::Config::load(config).map(|c| c.feeds.len()).map_err(|e| e.to_string())
    }

    /// What every command does before its work (`app::open_store`): load and check the feeds
    /// file, open the database it names, and sync the feed rows with the file. The number of
    /// feeds.
    pub fn load_config_and_sync(config: &Path) -> Result<usize, String> {
        let config = crate::config::Config::load(config).map_err(|e| e.to_string())?;
        let mut store = Store::open(&config.settings.database).map_err(|e| e.to_string())?;
        store.sync_feeds(&config.feeds, chrono::Utc::now()).map_err(|e| e.to_string())?;
        Ok(config.feeds.len())
    }
}
