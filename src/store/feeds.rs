//! Feed rows: syncing them with feeds.toml, reading their poll state, writing one poll's result
//! (feed row, entries and history) in one transaction, and listing them.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::body::PackedPoll;
use super::{Store, StoreError};
use crate::config::FeedConfig;
use crate::model::{EntryRecord, FeedId, FeedPoll, PollResult, WriteCounts};
use crate::timefmt::{parse_rfc3339, rfc3339};

/// What polling needs to know about a feed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeedState {
    pub id: FeedId,
    /// As configured.
    pub url: String,
    pub moved_to: Option<String>,
    pub discovered_url: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub next_due_at: Option<DateTime<Utc>>,
    /// The server asked not to be polled before this (Retry-After).
    pub retry_after_until: Option<DateTime<Utc>>,
    pub error_count: u32,
    pub gone: bool,
}

impl FeedState {
    /// Where to poll: where the feed moved (a permanent redirect's target, or the feed found on
    /// the configured HTML page), else the configured URL.
    pub fn poll_url(&self) -> &str {
        self.moved_to.as_deref().unwrap_or(&self.url)
    }
}

/// One line of `roundup feeds list`.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct FeedListing {
    pub id: FeedId,
    pub name: Option<String>,
    pub title: Option<String>,
    pub url: String,
    pub moved_to: Option<String>,
    pub discovered_url: Option<String>,
    pub last_fetch_at: Option<String>,
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    pub error_count: u32,
    pub next_due_at: Option<String>,
    pub gone: bool,
    pub entries: u64,
}

impl Store {
    /// Makes the feed rows match the config: new feeds are added, names follow the file, and a
    /// feed whose URL changed in the file forgets its redirect, discovery, validators and errors.
    /// Rows of feeds no longer in the file are kept (their entries may be in roundups).
    pub(crate) fn sync_feeds(
        &mut self,
        feeds: &[FeedConfig],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        // Every command opens the store through here: when the file has not changed, nothing is
        // written, so a reading command never waits for (or fails on) a writer such as a
        // running `watch` (issue 10, item 1).
        if self.read(|c| feeds_out_of_step(c, feeds))?.is_empty() {
            return Ok(());
        }
        let created_at = rfc3339(now);
        self.write(|tx| {
            // Read again inside the transaction: another process may have synced meanwhile.
            let changed = feeds_out_of_step(tx, feeds)?;
            let mut stmt = tx.prepare(
                "INSERT INTO feeds (id, url, name, created_at) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (id) DO UPDATE SET
                        name = excluded.name,
                        moved_to = iif(feeds.url = excluded.url, feeds.moved_to, NULL),
                        discovered_url = iif(feeds.url = excluded.url, feeds.discovered_url, NULL),
                        etag = iif(feeds.url = excluded.url, feeds.etag, NULL),
                        last_modified = iif(feeds.url = excluded.url, feeds.last_modified, NULL),
                        last_error = iif(feeds.url = excluded.url, feeds.last_error, NULL),
                        error_count = iif(feeds.url = excluded.url, feeds.error_count, 0),
                        gone = iif(feeds.url = excluded.url, feeds.gone, 0),
                        next_due_at = iif(feeds.url = excluded.url, feeds.next_due_at, NULL),
                        retry_after_until =
                            iif(feeds.url = excluded.url, feeds.retry_after_until, NULL),
                        url = excluded.url
                     WHERE feeds.url IS NOT excluded.url OR feeds.name IS NOT excluded.name",
            )?;
            for f in changed {
                stmt.execute(params![f.id, f.url.as_str(), f.name, created_at])?;
            }
            Ok(())
        })
    }

    /// Poll state of every feed, keyed by id.
    pub(crate) fn feed_states(&self) -> Result<Vec<FeedState>, StoreError> {
        self.read(|c| {
            // Room for every row at once: grown by doubling, the list took a third more than
            // its rows at 100,000 feeds.
            let count: i64 = c.query_row("SELECT count(*) FROM feeds", [], |r| r.get(0))?;
            let mut states = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
            let mut stmt = c.prepare(
                "SELECT id, url, moved_to, discovered_url, etag, last_modified, next_due_at,
                        error_count, gone, retry_after_until FROM feeds",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok(FeedState {
                    id: r.get(0)?,
                    url: r.get(1)?,
                    moved_to: r.get(2)?,
                    discovered_url: r.get(3)?,
                    etag: r.get(4)?,
                    last_modified: r.get(5)?,
                    next_due_at: r.get::<_, Option<String>>(6)?.as_deref().and_then(parse_rfc3339),
                    error_count: r.get(7)?,
                    gone: r.get(8)?,
                    retry_after_until: r
                        .get::<_, Option<String>>(9)?
                        .as_deref()
                        .and_then(parse_rfc3339),
                })
            })?;
            for row in rows {
                states.push(row?);
            }
            Ok(states)
        })
    }

    /// Writes one poll: entries inserted or updated in place, the feed row, one history row.
    /// All or nothing.
    #[cfg(test)]
    pub(crate) fn record_poll(&mut self, u: &FeedPoll) -> Result<WriteCounts, StoreError> {
        Ok(self.record_polls(std::slice::from_ref(u))?[0])
    }

    /// Writes several polls in one transaction (fewer commits and full-text segments than one
    /// each): all of them or none, so every feed's result is still written atomically.
    pub(crate) fn record_polls(
        &mut self,
        updates: &[FeedPoll],
    ) -> Result<Vec<WriteCounts>, StoreError> {
        let dictionary = self.pack_dictionary()?;
        let counts = self.write(|tx| {
            let mut all = Vec::with_capacity(updates.len());
            for u in updates {
                all.push(write_poll(tx, u, None, dictionary.as_deref())?);
            }
            Ok(all)
        })?;
        self.bodies_written(counts.iter().map(|c| c.new).sum::<usize>() as u64);
        Ok(counts)
    }

    /// [`Store::record_polls`] for polls whose bodies may be packed already (`fetch`'s writer).
    pub(crate) fn record_packed_polls(
        &mut self,
        updates: &[PackedPoll],
    ) -> Result<Vec<WriteCounts>, StoreError> {
        let dictionary = self.pack_dictionary()?;
        let counts = self.write(|tx| {
            let mut all = Vec::with_capacity(updates.len());
            for u in updates {
                all.push(write_poll(tx, &u.poll, Some(u), dictionary.as_deref())?);
            }
            Ok(all)
        })?;
        self.bodies_written(counts.iter().map(|c| c.new).sum::<usize>() as u64);
        Ok(counts)
    }

    /// Every feed with its state and entry count, by id (the tests' view of
    /// [`Store::each_feed_listing`]).
    #[cfg(test)]
    pub(crate) fn feed_listing(&self) -> Result<Vec<FeedListing>, StoreError> {
        let mut all = Vec::new();
        self.each_feed_listing(|l| all.push(l))?;
        Ok(all)
    }

    /// Every feed with its state and entry count, by id, a row at a time, so a caller that
    /// keeps some or puts them in another order holds no second copy (a 100,000-feed `feeds
    /// list`, issue 11).
    pub(crate) fn each_feed_listing(
        &self,
        each: impl FnMut(FeedListing),
    ) -> Result<(), StoreError> {
        self.read(|c| listing_rows(c, true, each))
    }

    /// [`Store::each_feed_listing`] with every `entries` left 0: counting the entries of every
    /// feed reads the whole entries index, and a page that shows a few feeds of 100,000 counts
    /// only theirs ([`Store::entry_counts`]).
    pub(crate) fn each_feed_listing_uncounted(
        &self,
        each: impl FnMut(FeedListing),
    ) -> Result<(), StoreError> {
        self.read(|c| listing_rows(c, false, each))
    }

    /// How many entries each of `feeds` holds, in their order.
    pub(crate) fn entry_counts(&self, feeds: &[&str]) -> Result<Vec<u64>, StoreError> {
        self.read(|c| {
            let mut count = c.prepare_cached("SELECT count(*) FROM entries WHERE feed_id = ?1")?;
            feeds
                .iter()
                .map(|id| count.query_row([id], |r| r.get::<_, i64>(0)))
                .map(|n| n.map(|n| u64::try_from(n).unwrap_or(0)))
                .collect()
        })
    }

    /// The earliest `next_due_at` among the given feeds that are not gone.
    pub(crate) fn next_due(&self, ids: &[FeedId]) -> Result<Option<DateTime<Utc>>, StoreError> {
        let states = self.feed_states()?;
        let ids: HashSet<&str> = ids.iter().map(FeedId::as_str).collect();
        Ok(states
            .iter()
            .filter(|s| !s.gone && ids.contains(s.id.as_str()))
            .filter_map(|s| s.next_due_at)
            .min())
    }
}

/// Every feed row with its state, by id, to `each`; with its entry count when `counted`, else 0.
fn listing_rows(
    c: &rusqlite::Connection,
    counted: bool,
    mut each: impl FnMut(FeedListing),
) -> rusqlite::Result<()> {
    let count =
        if counted { "(SELECT count(*) FROM entries e WHERE e.feed_id = f.id)" } else { "0" };
    let mut stmt = c.prepare(&format!(
        "SELECT f.id, f.name, f.title, f.url, f.moved_to, f.discovered_url, f.last_fetch_at,
                f.last_status, f.last_error, f.error_count, f.next_due_at, f.gone, {count}
         FROM feeds f ORDER BY f.id"
    ))?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        each(FeedListing {
            id: r.get(0)?,
            name: r.get(1)?,
            title: r.get(2)?,
            url: r.get(3)?,
            moved_to: r.get(4)?,
            discovered_url: r.get(5)?,
            last_fetch_at: r.get(6)?,
            last_status: r.get(7)?,
            last_error: r.get(8)?,
            error_count: r.get(9)?,
            next_due_at: r.get(10)?,
            gone: r.get(11)?,
            entries: u64::try_from(r.get::<_, i64>(12)?).unwrap_or(0),
        });
    }
    Ok(())
}

/// The feeds of `feeds` whose row is missing or holds another URL or name, in their order.
/// One pass over the rows, compared in place: a 100,000-feed file copied every row into owned
/// strings first (issue 11).
fn feeds_out_of_step<'f>(
    c: &rusqlite::Connection,
    feeds: &'f [FeedConfig],
) -> rusqlite::Result<Vec<&'f FeedConfig>> {
    let mut missing: HashMap<&str, &FeedConfig> =
        feeds.iter().map(|f| (f.id.as_str(), f)).collect();
    let mut stmt = c.prepare("SELECT id, url, name FROM feeds")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let Some(id) = text_at(row, 0)? else { continue };
        if let Some(f) = missing.get(id)
            && text_at(row, 1)? == Some(f.url.as_str())
            && text_at(row, 2)? == f.name.as_deref()
        {
            missing.remove(id);
        }
    }
    Ok(feeds.iter().filter(|f| missing.contains_key(f.id.as_str())).collect())
}

/// Column `i` of `row` as text borrowed from the row (`None` for NULL).
fn text_at<'r>(row: &'r rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Option<&'r str>> {
    row.get_ref(i)?.as_str_or_null().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// Writes one poll; `packed` holds its entries' bodies when they were packed before, and
/// the others are packed with `dictionary` when given.
fn write_poll(
    tx: &rusqlite::Transaction<'_>,
    poll: &FeedPoll,
    packed: Option<&PackedPoll>,
    dictionary: Option<&super::dictionary::PackDictionary>,
) -> rusqlite::Result<WriteCounts> {
    let a = &poll.attempt;
    let (metadata, validators, entries): (_, _, &[EntryRecord]) = match &poll.result {
        PollResult::Stored { validators, title, site_url, entries, .. } => {
            ((title.as_deref(), site_url.as_deref()), Some(validators), entries)
        }
        _ => ((None, None), None, &[]),
    };
    let counts =
        super::entries::upsert_entries(tx, &a.feed_id, entries, packed, dictionary, a.started_at)?;
    let (replace_validators, etag, last_modified) = match validators {
        Some(v) => (true, v.etag.as_deref(), v.last_modified.as_deref()),
        None => (false, None, None),
    };
    let retry_after_until = match &poll.result {
        PollResult::Failed { retry_after_until, .. } => *retry_after_until,
        _ => None,
    };
    let error = poll.result.error_text();
    // After a success the feed's `last_error` holds what it left out, if anything, with
    // `error_count` 0: a warning the editor sees in `feeds list` without a column of its own.
    // The fetch history keeps errors only (a success is a fetch without one).
    let error_or_warning = error.clone().or_else(|| poll.result.warning_text());
    tx.prepare_cached(
        "UPDATE feeds SET
            title = coalesce(?2, title),
            site_url = coalesce(?3, site_url),
            moved_to = coalesce(?4, moved_to),
            discovered_url = coalesce(?5, discovered_url),
            etag = iif(?6, ?7, etag),
            last_modified = iif(?6, ?8, last_modified),
            last_fetch_at = ?9,
            last_status = ?10,
            last_error = ?11,
            error_count = ?12,
            next_due_at = ?13,
            gone = ?14,
            retry_after_until = ?15
         WHERE id = ?1",
    )?
    .execute(params![
        a.feed_id,
        metadata.0,
        metadata.1,
        a.moved_to,
        a.discovered_url,
        replace_validators,
        etag,
        last_modified,
        rfc3339(a.started_at),
        a.status,
        error_or_warning,
        poll.result.failures(),
        poll.result.next_due_at().map(rfc3339),
        matches!(poll.result, PollResult::Gone { .. }),
        retry_after_until.map(rfc3339),
    ])?;
    tx.prepare_cached(
        "INSERT INTO fetches (feed_id, started_at, url, status, duration_ms, bytes, new_entries,
                              updated_entries, error)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        a.feed_id,
        rfc3339(a.started_at),
        a.url,
        a.status,
        a.duration_ms as i64,
        a.bytes as i64,
        counts.new as i64,
        counts.updated as i64,
        error,
    ])?;
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timefmt::parse_rfc3339;

    fn feed(url: &str, name: &str) -> FeedConfig {
        FeedConfig {
            id: "lgiu".into(),
            url: url::Url::parse(url).unwrap(),
            name: Some(name.into()),
            tags: vec![],
            interval: None,
        }
    }

    /// The poll state a feed has after a redirect, a discovery, a 200 with validators and a
    /// run of failures.
    fn with_history(s: &Store) {
        s.conn
            .execute_batch(
                "UPDATE feeds SET moved_to = 'https://new.example/feed',
                    discovered_url = 'https://lgiu.example/rss', etag = '\"v1\"',
                    last_modified = 'Tue, 24 Nov 2026 09:00:00 GMT', last_error = 'HTTP 500',
                    error_count = 3, gone = 1, next_due_at = '2026-12-01T00:00:00Z',
                    retry_after_until = '2026-11-30T00:00:00Z'",
            )
            .unwrap();
    }

    #[test]
    fn a_renamed_feed_keeps_its_poll_state() {
        let (_d, mut s) =
            crate::store::test_store_with(&[("a", "2026-11-24T09:00:00Z", "2026-11-24T10:00:00Z")]);
        with_history(&s);
        let before = s.feed_states().unwrap();
        s.sync_feeds(&[feed("https://lgiu.example/feed", "LGIU blog")], Utc::now()).unwrap();
        assert_eq!(s.feed_states().unwrap(), before);
        assert_eq!(s.feed_listing().unwrap()[0].name.as_deref(), Some("LGIU blog"));
    }

    #[test]
    fn a_feed_whose_url_changed_in_feeds_toml_forgets_its_poll_state_but_keeps_its_entries() {
        let (_d, mut s) =
            crate::store::test_store_with(&[("a", "2026-11-24T09:00:00Z", "2026-11-24T10:00:00Z")]);
        with_history(&s);
        s.sync_feeds(&[feed("https://lgiu.example/new-feed", "LGIU")], Utc::now()).unwrap();
        let state = s.feed_states().unwrap().remove(0);
        assert_eq!(
            state,
            FeedState {
                id: "lgiu".into(),
                url: "https://lgiu.example/new-feed".into(),
                moved_to: None,
                discovered_url: None,
                etag: None,
                last_modified: None,
                next_due_at: None,
                retry_after_until: None,
                error_count: 0,
                gone: false,
            }
        );
        assert_eq!(state.poll_url(), "https://lgiu.example/new-feed", "the new URL is polled");
        let listed = s.feed_listing().unwrap().remove(0);
        assert_eq!((listed.last_error, listed.entries), (None, 1), "entries stay");
        // The history of the old URL stays too.
        let at = parse_rfc3339("2026-11-24T10:00:00Z").unwrap();
        let fetches: i64 = s
            .conn
            .query_row("SELECT count(*) FROM fetches WHERE started_at = ?1", [rfc3339(at)], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(fetches, 1);
    }

    #[test]
    fn only_feeds_missing_or_changed_in_the_file_are_out_of_step_and_removed_ones_are_kept() {
        let (_d, mut s) = crate::store::test_store(Utc::now());
        let named = |id: &str, url: &str, name: Option<&str>| FeedConfig {
            id: id.into(),
            url: url::Url::parse(url).unwrap(),
            name: name.map(str::to_string),
            tags: vec![],
            interval: None,
        };
        let file = [
            named("a", "https://a.example/", Some("A")),
            named("b", "https://b.example/", None),
            named("c", "https://c.example/", Some("C")),
        ];
        s.sync_feeds(&file, Utc::now()).unwrap();
        let out_of_step = |s: &Store, feeds: &[FeedConfig]| -> Vec<String> {
            s.read(|c| feeds_out_of_step(c, feeds))
                .unwrap()
                .iter()
                .map(|f| f.id.to_string())
                .collect()
        };
        assert!(out_of_step(&s, &file).is_empty(), "all in step after a sync");
        let edited = [
            named("c", "https://c.example/", None),
            named("b", "https://b.example/", Some("B")),
            named("a", "https://a.example/moved", Some("A")),
            named("d", "https://d.example/", None),
            named("e", "https://e.example/", Some("E")),
        ];
        assert_eq!(out_of_step(&s, &edited), ["c", "b", "a", "d", "e"], "in the file's order");
        s.sync_feeds(&edited, Utc::now()).unwrap();
        assert!(out_of_step(&s, &edited).is_empty());
        let ids: Vec<String> = s.feed_listing().unwrap().iter().map(|l| l.id.to_string()).collect();
        assert_eq!(ids, ["a", "b", "c", "d", "e", "lgiu"], "a feed left out of the file stays");
    }
}
