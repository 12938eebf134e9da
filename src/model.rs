//! Domain types shared by the stages. No reqwest, rusqlite or feed-rs type appears here:
//! each stage translates its library's types into these at its own edge.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::fetch::FetchError;
use crate::parse::ParseError;
use crate::week::IsoWeek;

/// A feed's id: its key in feeds.toml and in the store (`feeds.id`). Serialised as the bare
/// string; reads as a `&str` where text is wanted.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FeedId(pub String);

impl FeedId {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for FeedId {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for FeedId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

/// As the bare string's, so `{:?}` in messages reads `"lgiu"`, as before the type.
impl std::fmt::Debug for FeedId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::fmt::Display for FeedId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<String> for FeedId {
    fn from(id: String) -> FeedId {
        FeedId(id)
    }
}

impl From<&str> for FeedId {
    fn from(id: &str) -> FeedId {
        FeedId(id.to_string())
    }
}

impl PartialEq<str> for FeedId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for FeedId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// A stored entry's id (the `entries.id` row id). Serialised as the bare number.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EntryId(pub i64);

/// As the bare number's, so `{:?}` in messages reads as before the type.
impl std::fmt::Debug for EntryId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::fmt::Display for EntryId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::str::FromStr for EntryId {
    type Err = std::num::ParseIntError;

    fn from_str(s: &str) -> Result<EntryId, Self::Err> {
        s.parse().map(EntryId)
    }
}

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
    /// Entries the document held past what one document may give (the first
    /// [`MAX_ENTRIES`](crate::parse::MAX_ENTRIES), or fewer when they are huge): not read.
    pub entries_dropped: usize,
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
    /// When the entry says it was published.
    pub published: Option<DateTime<Utc>>,
    /// When the entry says it was last updated.
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
    /// Its published date.
    Published,
    /// Its updated date (the feed gave no published date).
    Updated,
    /// The feed gave no date: the entry is filed under the time roundup first saw it.
    FirstSeen,
}

impl DatedBy {
    /// The stored text form.
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
    /// The entry's link, tracking parameters removed.
    pub url: Option<String>,
    /// Title, plain text.
    pub title: Option<String>,
    /// Author names joined with ", ".
    pub author: Option<String>,
    /// The date the entry is filed under (published, else updated, else first seen).
    pub published: DateTime<Utc>,
    /// Which date `published` is.
    pub dated_by: DatedBy,
    /// When the entry says it was last updated.
    pub updated: Option<DateTime<Utc>>,
    /// Summary, as HTML (unsanitised).
    pub summary_html: Option<String>,
    /// Full content, as HTML (unsanitised).
    pub content_html: Option<String>,
    /// Plain text of the content (or summary), for search and excerpts.
    pub text: String,
    /// Category terms.
    pub categories: Vec<String>,
    /// Hash over everything above but the identity: a change means the row is rewritten.
    pub content_hash: String,
}

/// Counts of what one feed's write did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteCounts {
    /// Entries stored for the first time.
    pub new: usize,
    /// Stored entries whose content changed and were rewritten.
    pub updated: usize,
}

/// Everything one poll of one feed writes, in one transaction (the hop from `update` to
/// `store`, as reader's `FeedUpdateIntent`): what every attempt records, and what it came to.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedPoll {
    /// What the attempt itself records.
    pub attempt: PollAttempt,
    /// What it came to.
    pub result: PollResult,
}

/// What every poll records, whatever came of it: the feed's last-fetch fields and one row of
/// its fetch history.
#[derive(Debug, Clone, PartialEq)]
pub struct PollAttempt {
    /// The feed polled.
    pub feed_id: FeedId,
    /// When the poll began.
    pub started_at: DateTime<Utc>,
    /// The URL that was requested.
    pub url: String,
    /// Final HTTP status; `None` when no answer came.
    pub status: Option<u16>,
    /// How long it took, in milliseconds.
    pub duration_ms: u64,
    /// Bytes received in all of its requests.
    pub bytes: u64,
    /// Where the feed now lives, polled from now on: a permanent-redirect target, or the feed
    /// found on the HTML page at the configured URL. `None` leaves the stored value.
    pub moved_to: Option<String>,
    /// The feed URL found on the HTML page at the configured URL (for `feeds list`).
    pub discovered_url: Option<String>,
}

/// What a poll came to.
#[derive(Debug, Clone, PartialEq)]
pub enum PollResult {
    /// A feed was read (HTTP 2xx): its entries and metadata are stored, its errors reset.
    Stored {
        /// The validators exactly as received (replacing the old ones).
        validators: Validators,
        /// The feed's own title.
        title: Option<String>,
        /// The site the feed belongs to.
        site_url: Option<String>,
        /// The entries to write.
        entries: Vec<EntryRecord>,
        /// Entries of the document past what one feed may give, not read (see
        /// [`ParsedFeed::entries_dropped`]).
        entries_dropped: usize,
        /// When to poll next.
        next_due_at: DateTime<Utc>,
    },
    /// HTTP 304: nothing to store; a success (errors reset, the validators kept).
    NotModified {
        /// When to poll next.
        next_due_at: DateTime<Utc>,
    },
    /// No feed came: the error is counted and the next poll backs off.
    Failed {
        /// What went wrong.
        error: PollError,
        /// Consecutive failures, this one included.
        failures: u32,
        /// When to poll next, backed off.
        next_due_at: DateTime<Utc>,
        /// The server's Retry-After (429/503): no poll before it, even when forced.
        retry_after_until: Option<DateTime<Utc>>,
    },
    /// HTTP 410 Gone: polling stops.
    Gone {
        /// Consecutive failures, this one included.
        failures: u32,
    },
}

impl PollResult {
    /// The error to record on the feed row and in its history, `None` on success.
    pub fn error_text(&self) -> Option<String> {
        match self {
            PollResult::Stored { .. } | PollResult::NotModified { .. } => None,
            PollResult::Failed { error, .. } => Some(error.to_string()),
            PollResult::Gone { .. } => Some(GONE.to_string()),
        }
    }

    /// What a success left out, to record on the feed row in place of an error: `None` when
    /// nothing was.
    pub fn warning_text(&self) -> Option<String> {
        match self {
            PollResult::Stored { entries_dropped, .. } if *entries_dropped > 0 => {
                Some(crate::parse::dropped_note(*entries_dropped))
            }
            _ => None,
        }
    }

    /// Consecutive failures after this poll (0 on success).
    pub fn failures(&self) -> u32 {
        match self {
            PollResult::Stored { .. } | PollResult::NotModified { .. } => 0,
            PollResult::Failed { failures, .. } | PollResult::Gone { failures } => *failures,
        }
    }

    /// When to poll next; `None` once the feed is gone.
    pub fn next_due_at(&self) -> Option<DateTime<Utc>> {
        match self {
            PollResult::Stored { next_due_at, .. }
            | PollResult::NotModified { next_due_at }
            | PollResult::Failed { next_due_at, .. } => Some(*next_due_at),
            PollResult::Gone { .. } => None,
        }
    }
}

/// What a 410 Gone is recorded as.
pub const GONE: &str = "HTTP 410 Gone: the publisher has removed this feed; polling stopped";

/// Why a poll gave no feed, kept as a type until it is shown (`feeds list`, the fetch report).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PollError {
    /// No HTTP answer at all.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// An HTTP status that gives no feed.
    #[error("HTTP {status} {}", crate::http::reason_phrase(*status))]
    Status {
        /// The HTTP status.
        status: u16,
    },
    /// 429 or 503, with the time the server asked us to wait until, if it said.
    #[error("HTTP {status} {}{}", crate::http::reason_phrase(*status),
        until.map(|t| format!(": asked to wait until {}", crate::timefmt::rfc3339(t))).unwrap_or_default())]
    Throttled {
        /// The HTTP status, 429 or 503.
        status: u16,
        /// The end of the pause the server asked for, if it said.
        until: Option<DateTime<Utc>>,
    },
    /// A 2xx answer that is not a readable feed.
    #[error(transparent)]
    Unreadable(ParseError),
    /// A 2xx answer without a body to read.
    #[error("empty answer")]
    Empty,
    /// The configured URL is an HTML page that advertises no feed.
    #[error(
        "{page} is an HTML page, not a feed, and advertises no feed (<link rel=\"alternate\">)"
    )]
    NoFeedOnPage {
        /// The configured URL, an HTML page.
        page: String,
    },
    /// The feed an HTML page advertises could not be had.
    #[error("{page} is an HTML page; the feed it advertises, {feed}, {problem}")]
    AdvertisedFeed {
        /// The configured URL, an HTML page.
        page: String,
        /// The feed URL the page advertises.
        feed: String,
        /// What went wrong with it.
        problem: AdvertisedFeedProblem,
    },
}

impl PollError {
    /// No connection could be made or kept (or it timed out): the network, not the feed, may be
    /// at fault.
    pub fn is_network(&self) -> bool {
        matches!(self, PollError::Fetch(FetchError::Connect(_) | FetchError::Timeout(_)))
    }
}

/// What went wrong with the feed an HTML page advertises.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AdvertisedFeedProblem {
    /// It answered, but not with a readable feed.
    #[error("is unreadable: {0}")]
    Unreadable(ParseError),
    /// It answered with an HTTP status that gives no feed.
    #[error("answered HTTP {0}")]
    Status(u16),
    /// No HTTP answer at all.
    #[error("failed: {0}")]
    Fetch(FetchError),
}

impl FeedPoll {
    /// A successful poll (HTTP 200) of `feed_id` at `url`, begun at `started_at`, that stores
    /// `entries` (and no feed metadata or validators).
    pub fn stored(
        feed_id: impl Into<FeedId>,
        url: &str,
        started_at: DateTime<Utc>,
        entries: Vec<EntryRecord>,
    ) -> FeedPoll {
        FeedPoll {
            attempt: PollAttempt {
                feed_id: feed_id.into(),
                started_at,
                url: url.to_string(),
                status: Some(200),
                duration_ms: 0,
                bytes: 0,
                moved_to: None,
                discovered_url: None,
            },
            result: PollResult::Stored {
                validators: Validators::default(),
                title: None,
                site_url: None,
                entries,
                entries_dropped: 0,
                next_due_at: started_at,
            },
        }
    }
}

/// HTTP cache validators, kept exactly as the server sent them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    /// The `ETag` header.
    pub etag: Option<String>,
    /// The `Last-Modified` header.
    pub last_modified: Option<String>,
}

/// Whether a roundup is still being edited or has been published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundupStatus {
    /// Being edited; not on the public site.
    Draft,
    /// Published (a snapshot is frozen; it may be corrected and re-published).
    Published,
}

impl RoundupStatus {
    /// The stored text form.
    pub fn as_str(self) -> &'static str {
        match self {
            RoundupStatus::Draft => "draft",
            RoundupStatus::Published => "published",
        }
    }
}

/// A week's roundup post: the editor's own fields.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Roundup {
    /// Row id.
    pub id: i64,
    /// The ISO week, e.g. `2026-W48`.
    pub week: IsoWeek,
    /// The post's title.
    pub title: String,
    /// The editor's introduction (Markdown subset).
    pub intro: Option<String>,
    /// The editor's closing words (Markdown subset).
    pub outro: Option<String>,
    /// The post's tags.
    pub tags: Vec<String>,
    /// The post's categories.
    pub categories: Vec<String>,
    /// Draft or published.
    pub status: RoundupStatus,
    /// First publication, once published.
    pub published_at: Option<DateTime<Utc>>,
}

/// Changes to a roundup's fields; `None` leaves a field as it is, `Some("")` clears it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RoundupEdit {
    /// A new title.
    pub title: Option<String>,
    /// A new introduction.
    pub intro: Option<String>,
    /// New closing words.
    pub outro: Option<String>,
    /// New tags, replacing the old.
    pub tags: Option<Vec<String>>,
    /// New categories, replacing the old.
    pub categories: Option<Vec<String>>,
    /// Refuse the edit unless the roundup is still at this revision (the desk's optimistic
    /// concurrency); `None` edits whatever is stored, as the CLI does.
    pub expected_revision: Option<i64>,
}

/// Tags or categories as the editor types them: comma-separated, blanks dropped.
pub fn comma_list(s: &str) -> Vec<String> {
    s.split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_string).collect()
}

/// A stored entry with what a pick or an excerpt needs of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntryDetail {
    /// Row id, as `roundup pick` takes it.
    pub id: EntryId,
    /// The feed it was filed under.
    pub feed: FeedId,
    /// The outlet: the feed's configured name, else its own title, else its id.
    pub outlet: String,
    /// The outlet's site, when the feed gives one.
    pub outlet_url: Option<String>,
    /// Title, plain text, as the feed gave it.
    pub title: Option<String>,
    /// The entry's link.
    pub url: Option<String>,
    /// Author names, as the feed gave them.
    pub author: Option<String>,
    /// The date the entry is filed under (see [`DatedBy`]).
    pub published: DateTime<Utc>,
    /// Which date `published` is.
    pub dated_by: DatedBy,
    /// When roundup first stored it.
    pub first_seen: DateTime<Utc>,
    /// Summary, as HTML (unsanitised).
    pub summary_html: Option<String>,
    /// Full content, as HTML (unsanitised).
    pub content_html: Option<String>,
    /// Plain text of the content (or summary), paragraphs separated by a blank line.
    pub text: String,
}

/// Changes to a pick; `None` leaves a field as it is (or, for a new pick, empty / at the end).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PickChange {
    /// The quote.
    pub excerpt: Option<String>,
    /// The editor's lead-in (Markdown subset).
    pub lead: Option<String>,
    /// The editor's comment (Markdown subset).
    pub note: Option<String>,
    /// The section of the post it goes in.
    pub section: Option<String>,
    /// 1-based place in the post; the others move down to make room.
    pub position: Option<u32>,
    /// Refuse the change unless the pick is still at this revision (the desk's optimistic
    /// concurrency); `None` changes whatever is stored, as the CLI does.
    pub expected_revision: Option<i64>,
}

/// One picked item with its entry, in post order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PickedItem {
    /// 1-based place in the post.
    pub position: u32,
    /// The section of the post it is in.
    pub section: Option<String>,
    /// The editor's lead-in (Markdown subset).
    pub lead: Option<String>,
    /// The quote.
    pub excerpt: Option<String>,
    /// The editor's comment (Markdown subset).
    pub note: Option<String>,
    /// The picked entry.
    pub entry: EntryDetail,
}

/// The editor's decision on an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Triage {
    /// Not yet decided.
    New,
    /// In this week's post.
    Picked,
    /// Triaged out: not shown again.
    Skipped,
}

/// A candidate for a week's roundup.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    /// Row id, as `roundup pick` takes it.
    pub id: EntryId,
    /// The feed it was filed under.
    pub feed: FeedId,
    /// The outlet: the feed's configured name, else its own title, else its id.
    pub outlet: String,
    /// Title, plain text.
    pub title: Option<String>,
    /// The entry's link.
    pub url: Option<String>,
    /// Author names.
    pub author: Option<String>,
    /// The date the entry is filed under (see [`DatedBy`]).
    pub published: DateTime<Utc>,
    /// Which date `published` is.
    pub dated_by: DatedBy,
    /// The editor's decision so far.
    pub triage: Triage,
    /// The week the triage decision was made in, if any.
    pub triage_week: Option<IsoWeek>,
    /// Dated before the week but first seen in it: it arrived late.
    pub late: bool,
}
