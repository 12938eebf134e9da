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

pub mod app;
pub mod articles;
pub mod atomic_write;
pub mod cli;
pub mod config;
pub mod discover;
pub mod error_chain;
pub mod excerpt;
pub mod extract;
pub mod feeds_file;
pub mod fetch;
pub mod html_text;
pub mod http;
pub mod links;
pub mod lock;
pub mod model;
pub mod opml;
pub mod parse;
pub mod picker;
pub mod poll;
pub mod publish;
pub mod quotes;
pub mod render;
pub mod schedule;
pub mod serve;
pub mod store;
pub mod timefmt;
pub mod update;
pub mod week;
