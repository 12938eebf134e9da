//! `roundup push`'s parts: the week's post sent to the editor's blog, kept in step with it
//! without ever overwriting what was changed there. The push itself (store, render, client
//! together) is `app::push`; here are the parts it drives:
//!
//! - [`decide`]: the pure decisions: the post sent, create / update / refuse, what changed on
//!   the blog, what WordPress removed from the HTML, dates.
//! - [`wordpress`]: the WordPress REST API client (`/wp/v2/…`), with the errors in words.
//! - [`wordpress_com`]: WordPress.com's routes (site in the path) under its public API.
//! - [`credentials`]: the password or token, from the environment or an owner-only file,
//!   never printed.
//!
//! The blog is the editor's own choice, trusted like the feeds of feeds.toml: its client has
//! no private-address guard (`netguard`), and the feeds' timeouts.

pub(crate) mod credentials;
pub(crate) mod decide;
pub(crate) mod wordpress;
pub(crate) mod wordpress_com;
