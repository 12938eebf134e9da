//! The one integration-test binary: the real `roundup` binary against a real HTTP server on
//! 127.0.0.1 and a real SQLite file in a temp dir. One module per feature.

#![expect(
    clippy::cast_possible_truncation,
    reason = "test arithmetic on small counts, sizes and durations that fit"
)]

mod browser;
mod cli;
mod conformance;
mod desk;
mod desk_browser;
mod docs;
mod draft;
mod extract;
mod fetch;
mod hostile;
mod netguard;
mod parse;
mod publish;
mod push;
mod scale;
mod select;
mod serve;
mod support;
mod week;
mod wordpress;
mod wordpress_com;
