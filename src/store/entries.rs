//! Entry rows: the deduplicating upsert (insert new identities, rewrite changed ones in place)
//! and the listing queries behind `roundup entries`.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, named_params};

use super::sql::time;
use super::{Store, StoreError};
use crate::model::{DatedBy, EntryDetail, EntryId, EntryRecord, FeedId, WriteCounts};
use crate::timefmt::rfc3339;
use crate::week::WeekSpan;

/// Writes `entries` of `feed_id`: a new identity is inserted, a known one is rewritten only
/// when its content hash changed.
pub(super) fn upsert_entries(
    tx: &Transaction<'_>,
    feed_id: &str,
    entries: &[EntryRecord],
    now: DateTime<Utc>,
) -> rusqlite::Result<WriteCounts> {
    let mut counts = WriteCounts::default();
    if entries.is_empty() {
        return Ok(counts);
    }
    let now = rfc3339(now);
    let mut find = tx.prepare_cached(
        "SELECT id, content_hash FROM entries WHERE feed_id = :feed_id AND identity = :identity",
    )?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO entries (feed_id, identity, url, title, author, published, dated_by, updated,
                              summary_html, content_html, text, categories, content_hash,
                              first_seen, changed_at)
         VALUES (:feed_id, :identity, :url, :title, :author, :published, :dated_by, :updated,
                 :summary_html, :content_html, :text, :categories, :content_hash, :now, :now)",
    )?;
    // An undated entry keeps the date it was first filed under.
    let mut update = tx.prepare_cached(
        "UPDATE entries SET url = :url, title = :title, author = :author,
                published = iif(:dated_by = 'first_seen' AND dated_by = 'first_seen',
                                published, :published),
                dated_by = :dated_by, updated = :updated, summary_html = :summary_html,
                content_html = :content_html, text = :text, categories = :categories,
                content_hash = :content_hash, changed_at = :now
         WHERE id = :id",
    )?;
    for e in entries {
        let existing: Option<(i64, String)> = find
            .query_row(named_params! { ":feed_id": feed_id, ":identity": e.identity }, |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        let categories = serde_json::to_string(&e.categories).expect("strings serialise");
        let published = rfc3339(e.published);
        let updated = e.updated.map(rfc3339);
        match existing {
            None => {
                insert.execute(named_params! {
                    ":feed_id": feed_id,
                    ":identity": e.identity,
                    ":url": e.url,
                    ":title": e.title,
                    ":author": e.author,
                    ":published": published,
                    ":dated_by": e.dated_by,
                    ":updated": updated,
                    ":summary_html": e.summary_html,
                    ":content_html": e.content_html,
                    ":text": e.text,
                    ":categories": categories,
                    ":content_hash": e.content_hash,
                    ":now": now,
                })?;
                counts.new += 1;
            }
            Some((_, hash)) if hash == e.content_hash => {}
            Some((id, _)) => {
                update.execute(named_params! {
                    ":id": id,
                    ":url": e.url,
                    ":title": e.title,
                    ":author": e.author,
                    ":published": published,
                    ":dated_by": e.dated_by,
                    ":updated": updated,
                    ":summary_html": e.summary_html,
                    ":content_html": e.content_html,
                    ":text": e.text,
                    ":categories": categories,
                    ":content_hash": e.content_hash,
                    ":now": now,
                })?;
                counts.updated += 1;
            }
        }
    }
    Ok(counts)
}

/// An entry with its attribution: what the feed says, filled in from its article page when it
/// was fetched (the byline when the feed names no author, the site name when the feed has no
/// name or title, the canonical URL instead of the feed's link).
pub(super) const ENTRY_DETAIL_SELECT: &str = "SELECT e.id, e.feed_id,
        coalesce(nullif(f.name, ''), nullif(f.title, ''), nullif(p.site_name, ''), f.id),
        f.site_url, e.title, coalesce(nullif(p.canonical_url, ''), e.url),
        coalesce(nullif(e.author, ''), nullif(p.byline, '')), e.published, e.dated_by,
        e.first_seen, e.summary_html, e.content_html, e.text
     FROM entries e JOIN feeds f ON f.id = e.feed_id LEFT JOIN pages p ON p.url = e.url";

/// Reads the [`ENTRY_DETAIL_SELECT`] columns starting at column `at`.
pub(super) fn entry_detail(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<EntryDetail> {
    Ok(EntryDetail {
        id: r.get(at)?,
        feed: r.get(at + 1)?,
        outlet: r.get(at + 2)?,
        outlet_url: r.get(at + 3)?,
        title: r.get(at + 4)?,
        url: r.get(at + 5)?,
        author: r.get(at + 6)?,
        published: time(r, at + 7)?,
        dated_by: r.get(at + 8)?,
        first_seen: time(r, at + 9)?,
        summary_html: r.get(at + 10)?,
        content_html: r.get(at + 11)?,
        text: r.get(at + 12)?,
    })
}

/// One stored entry with its attribution.
pub(super) fn read_entry(conn: &Connection, id: EntryId) -> rusqlite::Result<Option<EntryDetail>> {
    conn.prepare_cached(&format!("{ENTRY_DETAIL_SELECT} WHERE e.id = ?1"))?
        .query_row([id], |r| entry_detail(r, 0))
        .optional()
}

/// A selection of entries (all filters optional; they combine with AND).
#[derive(Debug, Clone, Default)]
pub(crate) struct EntryFilter {
    /// Filed at or after this instant.
    pub since: Option<DateTime<Utc>>,
    /// Filed before this instant.
    pub until: Option<DateTime<Utc>>,
    /// Belongs to this week, as its candidates do (filed in it, or a late arrival).
    pub week: Option<WeekSpan>,
    pub feed: Option<String>,
    /// Words that must all appear (title, author or text).
    pub search: Option<String>,
    pub limit: Option<u64>,
}

/// One entry as listed by `roundup entries`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub(crate) struct EntryRow {
    pub id: EntryId,
    pub feed: FeedId,
    pub title: Option<String>,
    pub url: Option<String>,
    pub author: Option<String>,
    /// The date the entry is filed under.
    pub published: DateTime<Utc>,
    pub dated_by: DatedBy,
}

impl Store {
    /// Brings the full-text index up to date: indexes every entry stored since the last call.
    /// Returns how many were indexed.
    pub(crate) fn update_search_index(&mut self) -> Result<u64, StoreError> {
        self.write(|tx| {
            let indexed = tx.execute(
                "INSERT INTO entries_fts (rowid, title, author, text)
                 SELECT id, title, author, text FROM entries
                 WHERE id > (SELECT indexed_upto FROM search_state) ORDER BY id",
                [],
            )?;
            tx.execute(
                "UPDATE search_state SET indexed_upto = (SELECT coalesce(max(id), 0) FROM entries)",
                [],
            )?;
            Ok(indexed as u64)
        })
    }

    /// One stored entry.
    pub(crate) fn entry(&self, id: EntryId) -> Result<Option<EntryDetail>, StoreError> {
        self.read(|c| read_entry(c, id))
    }

    /// The link of an entry exactly as its feed gives it: the key its article page is cached
    /// under (an `EntryDetail`'s `url` is the cleaned, canonical one).
    pub(crate) fn entry_link(&self, id: EntryId) -> Result<Option<String>, StoreError> {
        self.read(|c| {
            c.query_row("SELECT url FROM entries WHERE id = ?1", [id], |r| r.get(0))
                .optional()
                .map(Option::flatten)
        })
    }

    /// Entries matching `filter`, newest first (ties by id, newest first).
    pub(crate) fn entries(&mut self, filter: &EntryFilter) -> Result<Vec<EntryRow>, StoreError> {
        // Read-only: search what is indexed (a writing command indexes the rest).
        if filter.search.is_some() && !self.read_only {
            self.update_search_index()?;
        }
        let mut sql = String::from(
            "SELECT e.id, e.feed_id, e.title, e.url, e.author, e.published, e.dated_by
             FROM entries e WHERE 1",
        );
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
        if let Some(since) = filter.since {
            args.push(rfc3339(since).into());
            sql.push_str(&format!(" AND e.published >= ?{}", args.len()));
        }
        if let Some(until) = filter.until {
            args.push(rfc3339(until).into());
            sql.push_str(&format!(" AND e.published < ?{}", args.len()));
        }
        if let Some(w) = &filter.week {
            let mut belongs = super::candidates::in_week();
            for (name, t) in [(":late_since", w.late_since), (":start", w.start), (":end", w.end)] {
                args.push(rfc3339(t).into());
                belongs = belongs.replace(name, &format!("?{}", args.len()));
            }
            sql.push_str(&format!(" AND {belongs}"));
        }
        if let Some(feed) = &filter.feed {
            args.push(feed.clone().into());
            sql.push_str(&format!(" AND e.feed_id = ?{}", args.len()));
        }
        if let Some(q) = filter.search.as_deref().map(fts_query).filter(|q| !q.is_empty()) {
            args.push(q.into());
            sql.push_str(&format!(
                " AND e.id IN (SELECT rowid FROM entries_fts WHERE entries_fts MATCH ?{})",
                args.len()
            ));
        }
        sql.push_str(" ORDER BY e.published DESC, e.id DESC");
        if let Some(limit) = filter.limit {
            sql.push_str(&format!(" LIMIT {limit}"));
        }
        self.read(|c| {
            let mut stmt = c.prepare(&sql)?;
            let rows = stmt.query_map(rusqlite::params_from_iter(args), |r| {
                Ok(EntryRow {
                    id: r.get(0)?,
                    feed: r.get(1)?,
                    title: r.get(2)?,
                    url: r.get(3)?,
                    author: r.get(4)?,
                    published: time(r, 5)?,
                    dated_by: r.get(6)?,
                })
            })?;
            rows.collect()
        })
    }
}

/// Turns what a user typed into an FTS5 query that cannot be a syntax error: every word is
/// quoted, and all must match.
fn fts_query(input: &str) -> String {
    input
        .split_whitespace()
        .map(|w| w.replace('"', ""))
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{w}\""))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::FeedConfig;
    use crate::model::{DatedBy, FeedPoll};
    use crate::timefmt::parse_rfc3339;

    fn record(identity: &str, title: &str, hash: &str, published: &str) -> EntryRecord {
        EntryRecord {
            identity: identity.into(),
            url: Some(format!("https://x.example/{identity}")),
            title: Some(title.into()),
            author: Some("Ann".into()),
            published: parse_rfc3339(published).unwrap(),
            dated_by: DatedBy::Published,
            updated: None,
            summary_html: None,
            content_html: Some(format!("<p>{title}</p>")),
            text: title.into(),
            categories: vec!["policy".into()],
            content_hash: hash.into(),
        }
    }

    fn update(entries: Vec<EntryRecord>) -> FeedPoll {
        let started = parse_rfc3339("2026-11-26T10:00:00Z").unwrap();
        FeedPoll::stored("a", "https://x.example/feed", started, entries)
    }

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("r.sqlite3")).unwrap();
        let feed = FeedConfig {
            id: "a".into(),
            url: url::Url::parse("https://x.example/feed").unwrap(),
            name: None,
            tags: vec![],
            interval: None,
        };
        s.sync_feeds(&[feed], Utc::now()).unwrap();
        (dir, s)
    }

    #[test]
    fn re_recording_the_same_entries_adds_nothing_and_changes_update_in_place() {
        let (_dir, mut s) = store();
        let a = record("1", "Budget cuts", "h1", "2026-11-24T09:00:00Z");
        let b = record("2", "Housing plan", "h2", "2026-11-25T09:00:00Z");
        let c = s.record_poll(&update(vec![a.clone(), b.clone()])).unwrap();
        assert_eq!((c.new, c.updated), (2, 0));
        let c = s.record_poll(&update(vec![a.clone(), b.clone()])).unwrap();
        assert_eq!((c.new, c.updated), (0, 0));
        let changed = record("2", "Housing plan, revised", "h3", "2026-11-25T09:00:00Z");
        let c = s.record_poll(&update(vec![a, changed])).unwrap();
        assert_eq!((c.new, c.updated), (0, 1));
        let rows = s.entries(&EntryFilter::default()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].title.as_deref(), Some("Housing plan, revised"));
    }

    #[test]
    fn search_uses_the_full_text_index_and_follows_updates() {
        let (_dir, mut s) = store();
        s.record_poll(&update(vec![record("1", "Café budget", "h1", "2026-11-24T09:00:00Z")]))
            .unwrap();
        let mut found = |q: &str| {
            s.entries(&EntryFilter { search: Some(q.into()), ..Default::default() }).unwrap().len()
        };
        assert_eq!(found("cafe"), 1, "diacritics are folded");
        assert_eq!(found("budget cafe"), 1);
        assert_eq!(found("housing"), 0);
        assert_eq!(found("\"unbalanced"), 0, "quotes in a query are not a syntax error");
        // An entry indexed, then changed: the index follows the change.
        s.record_poll(&update(vec![record("1", "Housing budget", "h2", "2026-11-24T09:00:00Z")]))
            .unwrap();
        let mut found = |q: &str| {
            s.entries(&EntryFilter { search: Some(q.into()), ..Default::default() }).unwrap().len()
        };
        assert_eq!(found("housing"), 1);
        assert_eq!(found("cafe"), 0);
    }

    #[test]
    fn filters_by_time_feed_and_limit_newest_first() {
        let (_dir, mut s) = store();
        s.record_poll(&update(vec![
            record("1", "old", "h1", "2026-11-01T09:00:00Z"),
            record("2", "new", "h2", "2026-11-25T09:00:00Z"),
            record("3", "newer", "h3", "2026-11-26T09:00:00Z"),
        ]))
        .unwrap();
        let since = parse_rfc3339("2026-11-20T00:00:00Z");
        let rows = s.entries(&EntryFilter { since, ..Default::default() }).unwrap();
        assert_eq!(
            rows.iter().map(|r| r.title.clone().unwrap()).collect::<Vec<_>>(),
            ["newer", "new"]
        );
        let rows = s.entries(&EntryFilter { limit: Some(1), ..Default::default() }).unwrap();
        assert_eq!(rows[0].title.as_deref(), Some("newer"));
        let rows =
            s.entries(&EntryFilter { feed: Some("zzz".into()), ..Default::default() }).unwrap();
        assert!(rows.is_empty());
    }
}
