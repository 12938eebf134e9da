//! Domain types shared by the stages. No reqwest, rusqlite or feed-rs type appears here:
//! each stage translates its library's types into these at its own edge.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// A feed document after parsing, before anything is stored.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ParsedFeed {
    /// The feed's own title, plain text.
    pub title: Option<String>,
    /// The site the feed belongs to (its alternate link), absolute when a base was known.
    pub link: Option<String>,
    /// When the feed says it was last updated.
    pub updated: Option<DateTime<Utc>>,
    /// RSS `<ttl>`, in minutes, when present.
    pub ttl_minutes: Option<u32>,
    /// Entries in document order.
    pub entries: Vec<ParsedEntry>,
}

/// One entry as the feed gives it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ParsedEntry {
    /// The feed's own guid / id; `None` when the feed gives none.
    pub guid: Option<String>,
    /// Title, plain text (entities decoded, tags stripped).
    pub title: Option<String>,
    /// The entry's canonical link, absolute when a base was known.
    pub link: Option<String>,
    /// Author names joined with ", ".
    pub author: Option<String>,
    pub published: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    /// Summary / description, as HTML (unsanitised: feeds are hostile).
    pub summary_html: Option<String>,
    /// Full content, as HTML (unsanitised).
    pub content_html: Option<String>,
    /// Category terms.
    pub categories: Vec<String>,
}

/// Which date an entry is filed under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DatedBy {
    Published,
    Updated,
    /// The feed gave no date: the entry is filed under the time roundup first saw it.
    FirstSeen,
}

impl DatedBy {
    pub fn as_str(self) -> &'static str {
        match self {
            DatedBy::Published => "published",
            DatedBy::Updated => "updated",
            DatedBy::FirstSeen => "first_seen",
        }
    }
}

/// An entry ready to be written: identity, hash and dates decided (see `update`).
#[derive(Debug, Clone, PartialEq)]
pub struct EntryRecord {
    /// Stable identity within its feed: guid, else canonical link, else a hash of title and date.
    pub identity: String,
    pub url: Option<String>,
    pub title: Option<String>,
    pub author: Option<String>,
    /// The date the entry is filed under (published, else updated, else first seen).
    pub published: DateTime<Utc>,
    pub dated_by: DatedBy,
    pub updated: Option<DateTime<Utc>>,
    pub summary_html: Option<String>,
    pub content_html: Option<String>,
    /// Plain text of the content (or summary), for search and excerpts.
    pub text: String,
    pub categories: Vec<String>,
    /// Hash over everything above but the identity: a change means the row is rewritten.
    pub content_hash: String,
}

/// Counts of what one feed's write did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteCounts {
    pub new: usize,
    pub updated: usize,
}

/// Everything one poll of one feed writes, in one transaction (the hop from `poll` to `store`).
#[derive(Debug, Clone, PartialEq)]
pub struct FeedUpdate {
    pub feed_id: String,
    pub started_at: DateTime<Utc>,
    /// The URL that was requested.
    pub url: String,
    /// Final HTTP status; `None` when no answer came.
    pub status: Option<u16>,
    pub duration_ms: u64,
    pub bytes: u64,
    /// What went wrong, for the feed row and the history; `None` on success.
    pub error: Option<String>,
    /// Consecutive failures after this poll (0 on success).
    pub error_count: u32,
    /// When to poll next; `None` once the feed is gone.
    pub next_due_at: Option<DateTime<Utc>>,
    /// The server's Retry-After (429/503): no poll before it, even when forced.
    pub retry_after_until: Option<DateTime<Utc>>,
    /// The server answered 410 Gone: polling stops.
    pub gone: bool,
    /// Where the feed now lives, polled from now on: a permanent-redirect target, or the feed
    /// found on the HTML page at the configured URL. `None` leaves the stored value.
    pub moved_to: Option<String>,
    /// The feed URL found on the HTML page at the configured URL (for `feeds list`).
    pub discovered_url: Option<String>,
    /// `Some` after a 200: the validators exactly as received (replacing the old ones).
    pub validators: Option<Validators>,
    pub title: Option<String>,
    pub site_url: Option<String>,
    pub entries: Vec<EntryRecord>,
}

impl FeedUpdate {
    /// A poll of `feed_id` at `url` begun at `started_at`, with nothing decided yet: no answer,
    /// no error, nothing to store.
    pub fn new(feed_id: &str, url: &str, started_at: DateTime<Utc>) -> FeedUpdate {
        FeedUpdate {
            feed_id: feed_id.to_string(),
            started_at,
            url: url.to_string(),
            status: None,
            duration_ms: 0,
            bytes: 0,
            error: None,
            error_count: 0,
            next_due_at: None,
            retry_after_until: None,
            gone: false,
            moved_to: None,
            discovered_url: None,
            validators: None,
            title: None,
            site_url: None,
            entries: Vec::new(),
        }
    }

    /// A successful poll (HTTP 200) that stores `entries`.
    pub fn stored(
        feed_id: &str,
        url: &str,
        started_at: DateTime<Utc>,
        entries: Vec<EntryRecord>,
    ) -> FeedUpdate {
        FeedUpdate { status: Some(200), entries, ..FeedUpdate::new(feed_id, url, started_at) }
    }
}

/// HTTP cache validators, kept exactly as the server sent them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// A week's roundup post: the editor's own fields.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Roundup {
    pub id: i64,
    /// The ISO week, e.g. `2026-W48`.
    pub week: String,
    pub title: String,
    pub intro: Option<String>,
    pub outro: Option<String>,
    pub tags: Vec<String>,
    pub categories: Vec<String>,
    /// `draft` or `published`.
    pub status: String,
    pub published_at: Option<String>,
}

/// Changes to a roundup's fields; `None` leaves a field as it is, `Some("")` clears it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RoundupEdit {
    pub title: Option<String>,
    pub intro: Option<String>,
    pub outro: Option<String>,
    pub tags: Option<Vec<String>>,
    pub categories: Option<Vec<String>>,
}

/// A stored entry with what a pick or an excerpt needs of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntryDetail {
    pub id: i64,
    pub feed: String,
    /// The outlet: the feed's configured name, else its own title, else its id.
    pub outlet: String,
    /// The outlet's site, when the feed gives one.
    pub outlet_url: Option<String>,
    pub title: Option<String>,
    pub url: Option<String>,
    pub author: Option<String>,
    pub published: String,
    pub dated_by: String,
    pub first_seen: String,
    pub summary_html: Option<String>,
    pub content_html: Option<String>,
    /// Plain text of the content (or summary), paragraphs separated by a blank line.
    pub text: String,
}

/// Changes to a pick; `None` leaves a field as it is (or, for a new pick, empty / at the end).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PickChange {
    pub excerpt: Option<String>,
    pub lead: Option<String>,
    pub note: Option<String>,
    pub section: Option<String>,
    /// 1-based place in the post; the others move down to make room.
    pub position: Option<u32>,
}

/// One picked item with its entry, in post order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PickedItem {
    pub position: u32,
    pub section: Option<String>,
    pub lead: Option<String>,
    pub excerpt: Option<String>,
    pub note: Option<String>,
    pub entry: EntryDetail,
}

/// The editor's decision on an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Triage {
    /// Not yet decided.
    New,
    Picked,
    /// Triaged out: not shown again.
    Skipped,
}

/// A candidate for a week's roundup.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    pub id: i64,
    pub feed: String,
    pub outlet: String,
    pub title: Option<String>,
    pub url: Option<String>,
    pub author: Option<String>,
    pub published: String,
    pub dated_by: String,
    pub triage: Triage,
    /// The week the triage decision was made in, if any.
    pub triage_week: Option<String>,
    /// Dated before the week but first seen in it: it arrived late.
    pub late: bool,
}
