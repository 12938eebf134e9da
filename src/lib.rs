//! roundup: poll a sector's blogs into SQLite, pick the week's best, draft the roundup post.
//!
//! The fetch pipeline, one stage per module, each with its own types:
//!
//! ```text
//! config ──► schedule (who is due) ──► fetch (HTTP bytes) ──► parse (feed-rs adapter)
//!        ──► update (the pure decider: what the answer means; entry identity, hashes, dates)
//!        ──► store (one SQLite transaction per feed)
//! ```
//!
//! `poll` orchestrates one run of it (tasks, semaphores, the single writer); `http` holds what
//! HTTP's headers mean, for `fetch`, `schedule` and `serve` alike.
//!
//! `app` is the composition root: the only module that holds the configuration, the store
//! and the HTTP client together. `cli` holds the clap structs and nothing else.

pub(crate) mod app;
pub(crate) mod articles;
pub(crate) mod atomic_write;
pub(crate) mod cli;
pub(crate) mod config;
pub(crate) mod discover;
pub(crate) mod error_chain;
pub(crate) mod excerpt;
pub mod extract;
pub(crate) mod feeds_file;
pub(crate) mod fetch;
pub(crate) mod html_text;
pub(crate) mod http;
pub(crate) mod links;
pub(crate) mod lock;
pub mod model;
pub(crate) mod opml;
pub mod parse;
pub(crate) mod picker;
pub(crate) mod poll;
pub(crate) mod publish;
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
