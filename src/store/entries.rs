//! Entry rows: the deduplicating upsert (insert new identities, rewrite changed ones in place)
//! and the listing queries behind `roundup entries`.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, named_params, params};

use super::body;
use super::dictionary::{Decoders, PackDictionary};
use super::sql::time;
use super::{Store, StoreError};
use crate::html_text::html_to_text;
use crate::model::{DatedBy, EntryDetail, EntryId, EntryRecord, FeedId, WriteCounts};
use crate::timefmt::rfc3339;
use crate::week::WeekSpan;

/// Writes `entries` of `feed_id`: a new identity is inserted, a known one is rewritten only
/// when its content hash changed. Each entry's body is `packed`'s when it has one
/// ([`body::PackedPoll::body`]), else packed here, with `dictionary` when given.
pub(super) fn upsert_entries(
    tx: &Transaction<'_>,
    feed_id: &str,
    entries: &[EntryRecord],
    packed: Option<&body::PackedPoll>,
    dictionary: Option<&PackDictionary>,
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
                              text_without_html, categories, content_hash, first_seen,
                              changed_at)
         VALUES (:feed_id, :identity, :url, :title, :author, :published, :dated_by, :updated,
                 :text_without_html, :categories, :content_hash, :now, :now)",
    )?;
    // The body in its own table (migration 8), written with the entry.
    let mut store_body = tx.prepare_cached(
        "INSERT INTO entry_bodies (entry_id, body) VALUES (?1, ?2)
         ON CONFLICT (entry_id) DO UPDATE SET body = excluded.body",
    )?;
    let mut drop_body = tx.prepare_cached("DELETE FROM entry_bodies WHERE entry_id = ?1")?;
    // The search index is written with the entry, in the same transaction: a search never
    // waits for it to catch up (issue 11: 9.4 s after a 235,651-entry fetch).
    let mut index = tx.prepare_cached(
        "INSERT INTO entries_fts (rowid, title, author, text) VALUES (?1, ?2, ?3, ?4)",
    )?;
    let mut unindex = tx.prepare_cached("DELETE FROM entries_fts WHERE rowid = ?1")?;
    // An undated entry keeps the date it was first filed under.
    let mut update = tx.prepare_cached(
        "UPDATE entries SET url = :url, title = :title, author = :author,
                published = iif(:dated_by = 'first_seen' AND dated_by = 'first_seen',
                                published, :published),
                dated_by = :dated_by, updated = :updated,
                text_without_html = :text_without_html, categories = :categories, content_hash = :content_hash, changed_at = :now
         WHERE id = :id",
    )?;
    // A feed with no entries stored (polled for the first time) has nothing to find: its
    // entries are inserted without being looked up first, one statement an entry fewer on the
    // single writer. Only an identity met twice in `entries` (`update` gives each once) is
    // looked up, so the second is an update as before.
    let mut any_stored =
        tx.prepare_cached("SELECT EXISTS (SELECT 1 FROM entries WHERE feed_id = ?1)")?;
    let mut unseen: Option<std::collections::HashSet<&str>> =
        if any_stored.query_row([feed_id], |r| r.get(0))? {
            None
        } else {
            Some(std::collections::HashSet::with_capacity(entries.len()))
        };
    for (i, e) in entries.iter().enumerate() {
        let surely_new = unseen.as_mut().is_some_and(|seen| seen.insert(e.identity.as_str()));
        let existing: Option<(i64, String)> = if surely_new {
            None
        } else {
            find.query_row(named_params! { ":feed_id": feed_id, ":identity": e.identity }, |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?
        };
        let categories = serde_json::to_string(&e.categories).expect("strings serialise");
        let published = rfc3339(e.published);
        let updated = e.updated.map(rfc3339);
        let prepacked = packed.and_then(|p| p.body(i));
        let mut scratch = None;
        // The text is made again from the HTML when read; kept only when there is none.
        let text_without_html =
            (e.summary_html.is_none() && e.content_html.is_none() && !e.text.is_empty())
                .then_some(e.text.as_str());
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
                    ":text_without_html": text_without_html,
                    ":categories": categories,
                    ":content_hash": e.content_hash,
                    ":now": now,
                })?;
                let id = tx.last_insert_rowid();
                if let Some(body) = body::stored(prepacked, e, dictionary, &mut scratch) {
                    store_body.execute(params![id, body])?;
                }
                index.execute(params![id, e.title, e.author, e.text])?;
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
                    ":text_without_html": text_without_html,
                    ":categories": categories,
                    ":content_hash": e.content_hash,
                    ":now": now,
                })?;
                match body::stored(prepacked, e, dictionary, &mut scratch) {
                    Some(body) => store_body.execute(params![id, body])?,
                    None => drop_body.execute([id])?,
                };
                unindex.execute([id])?;
                index.execute(params![id, e.title, e.author, e.text])?;
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
        e.first_seen, b.body, e.text_without_html
     FROM entries e JOIN feeds f ON f.id = e.feed_id LEFT JOIN pages p ON p.url = e.url
     LEFT JOIN entry_bodies b ON b.entry_id = e.id";

/// Reads the [`ENTRY_DETAIL_SELECT`] columns starting at column `at`; the body's dictionary,
/// if it names one, from `decoders`.
pub(super) fn entry_detail(
    r: &rusqlite::Row<'_>,
    at: usize,
    decoders: &Decoders<'_>,
) -> rusqlite::Result<EntryDetail> {
    let id: EntryId = r.get(at)?;
    let (summary_html, content_html) =
        body::unpack(r.get_ref(at + 10)?.as_blob_or_null()?, &|d| decoders.get(d))
            .map_err(|e| unreadable_body(id, at + 10, e))?;
    // The plain text as `update` made it when the entry was stored (it is not stored twice).
    Ok(EntryDetail {
        id,
        feed: r.get(at + 1)?,
        outlet: r.get(at + 2)?,
        outlet_url: r.get(at + 3)?,
        title: r.get(at + 4)?,
        url: r.get(at + 5)?,
        author: r.get(at + 6)?,
        published: time(r, at + 7)?,
        dated_by: r.get(at + 8)?,
        first_seen: time(r, at + 9)?,
        text: match r.get::<_, Option<String>>(at + 11)? {
            Some(text) => text,
            None => html_to_text(content_html.as_deref().or(summary_html.as_deref()).unwrap_or("")),
        },
        summary_html,
        content_html,
    })
}

/// The error for entry `id`'s body (column `at`) that does not read back: it names the entry.
fn unreadable_body(id: EntryId, at: usize, problem: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        at,
        rusqlite::types::Type::Blob,
        format!("entry {id}: {problem}").into(),
    )
}

/// The plain text of the start of entry `id`, whose `body` is column `at`, for its first
/// `chars` characters (whitespace collapsed, cut at a word): made from no more HTML than that
/// takes, unpacked from no more of the body than its format allows (the candidates page shows
/// 2,000 of these; reading whole posts was most of its time). The body's dictionary, if it
/// names one, comes from `decoders`.
pub(super) fn opening_text(
    r: &rusqlite::Row<'_>,
    id: EntryId,
    at: usize,
    chars: usize,
    decoders: &Decoders<'_>,
) -> rusqlite::Result<String> {
    let blob = r.get_ref(at)?.as_blob_or_null()?;
    let unpack = |bytes: usize| {
        body::unpack_opening(blob, bytes, &|d| decoders.get(d))
            .map_err(|e| unreadable_body(id, at, e))
    };
    // Prose takes about two bytes of HTML a character of text: that much first.
    let (html, whole) = unpack(chars.saturating_mul(2) + 64)?;
    if whole {
        return Ok(html_to_text(&html));
    }
    if let Some(text) = text_of_a_cut(&html, chars) {
        return Ok(text);
    }
    // Markup and entities take room: eight bytes of HTML per character of text is plenty.
    Ok(html_to_text(&unpack(chars.saturating_mul(8) + 256)?.0))
}

/// The text of `html`, the start of a longer post, when it is enough for a preview of its
/// first `chars` characters. Cut before its last tag (so no half tag becomes text), its text
/// has the same first words as the whole post's when it is longer than `chars` with its
/// whitespace collapsed: a half word or entity can only be its last word, which such a preview
/// never reaches.
pub(super) fn text_of_a_cut(html: &str, chars: usize) -> Option<String> {
    let before_tag = html.rfind('<').unwrap_or(html.len());
    let text = html_to_text(&html[..before_tag]);
    let collapsed: usize = text.split_whitespace().map(|w| w.chars().count() + 1).sum();
    (collapsed > chars + 1).then_some(text)
}

/// One stored entry with its attribution.
pub(super) fn read_entry(conn: &Connection, id: EntryId) -> rusqlite::Result<Option<EntryDetail>> {
    let decoders = Decoders::of(conn);
    conn.prepare_cached(&format!("{ENTRY_DETAIL_SELECT} WHERE e.id = ?1"))?
        .query_row([id], |r| entry_detail(r, 0, &decoders))
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
        let (conditions, args) = filter_conditions(filter);
        let search = filter.search.as_deref().map(fts_query).filter(|q| !q.is_empty());
        self.read(|c| match (search, filter.limit) {
            (Some(q), limit) if filter.week.is_some() => {
                matches_in_week(c, &conditions, args, &q, limit, (RARE, ID_GAP))
            }
            (Some(q), Some(limit)) => newest_matches(c, &conditions, args, &q, limit, RARE),
            (search, limit) => {
                let mut args = args;
                let mut sql = conditions;
                if let Some(q) = search {
                    args.push(q.into());
                    sql.push_str(&format!(" AND e.id IN ({MATCHING} ?{})", args.len()));
                }
                select_rows(c, &sql, args, limit)
            }
        })
    }
}

/// The ids of the entries matching the FTS5 query bound after it.
const MATCHING: &str = "SELECT rowid FROM entries_fts WHERE entries_fts MATCH";

/// The entries' columns an [`EntryRow`] reads.
const ROW_SELECT: &str = "SELECT e.id, e.feed_id, e.title, e.url, e.author, e.published, e.dated_by
     FROM entries e";

/// `filter`'s conditions but the search, as SQL over `e` (`1 AND …`), and their arguments.
fn filter_conditions(filter: &EntryFilter) -> (String, Vec<rusqlite::types::Value>) {
    let mut sql = String::from("1");
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
    (sql, args)
}

/// The entries where `conditions` hold, newest first, at most `limit`.
fn select_rows(
    c: &Connection,
    conditions: &str,
    args: Vec<rusqlite::types::Value>,
    limit: Option<u64>,
) -> rusqlite::Result<Vec<EntryRow>> {
    let mut sql = format!("{ROW_SELECT} WHERE {conditions} ORDER BY e.published DESC, e.id DESC");
    if let Some(limit) = limit {
        sql.push_str(&format!(" LIMIT {limit}"));
    }
    let mut stmt = c.prepare(&sql)?;
    let rows = stmt
        .query_map(rusqlite::params_from_iter(args), |r| {
            Ok(EntryRow {
                id: r.get(0)?,
                feed: r.get(1)?,
                title: r.get(2)?,
                url: r.get(3)?,
                author: r.get(4)?,
                published: time(r, 5)?,
                dated_by: r.get(6)?,
            })
        })?
        .collect();
    #[cfg(test)]
    tests::count_steps(&stmt);
    rows
}

/// How many of a search's matches, newest stored first, [`newest_matches`] reads before it
/// stops treating the words as rare.
const RARE: usize = 2000;

/// The newest `limit` entries where `conditions` hold that match the FTS5 query `q`: what
/// `entries --search WORDS --limit N` lists, without reading every match of a common word.
///
/// The index lists matches by id, and the answer is by date. Over a million entries a common
/// word has hundreds of thousands of matches, and gathering and sorting them all took up to a
/// second (issue 11). Ids follow the order entries were stored in, so the newest stored
/// matches hold nearly all of the newest dated ones:
///
/// 1. Read the first `rare` ([`RARE`]) matches by id, newest first. Fewer than that: they are all the
///    matches, and the answer is among them.
/// 2. Otherwise the best `limit` of those give a date to beat. Any match not yet read has a
///    lower id; those that beat the date are looked for through the date index, from the
///    newest back to that date (an entry stored long ago and dated since: few), each checked
///    against the index on its own.
/// 3. When those read give fewer than `limit` rows (other conditions leave few), every match
///    is read as before.
fn newest_matches(
    c: &Connection,
    conditions: &str,
    args: Vec<rusqlite::types::Value>,
    q: &str,
    limit: u64,
    rare: usize,
) -> rusqlite::Result<Vec<EntryRow>> {
    let mut stmt = c.prepare_cached(&format!("{MATCHING} ?1 ORDER BY rowid DESC LIMIT ?2"))?;
    let newest: Vec<i64> = stmt
        .query_map(params![q, i64::try_from(rare).unwrap_or(i64::MAX)], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let among = |ids: &[i64], args: &[rusqlite::types::Value]| {
        let mut args = args.to_vec();
        args.push(serde_json::to_string(ids).expect("numbers serialise").into());
        let sql =
            format!("{conditions} AND e.id IN (SELECT value FROM json_each(?{}))", args.len());
        select_rows(c, &sql, args, Some(limit))
    };
    let first = among(&newest, &args)?;
    if newest.len() < rare {
        return Ok(first);
    }
    let (Some(last), Some(&oldest_read)) = (first.last(), newest.last()) else {
        return select_all_matches(c, conditions, args, q, limit);
    };
    if u64::try_from(first.len()).unwrap_or(0) < limit {
        return select_all_matches(c, conditions, args, q, limit);
    }
    // Matches not read yet that sort before the last row found: older ids dated later.
    let mut later_args = args.clone();
    later_args.push(rfc3339(last.published).into());
    let at = later_args.len();
    later_args.push(last.id.0.into());
    later_args.push(oldest_read.into());
    later_args.push(q.to_string().into());
    let later_sql = format!(
        "{conditions} AND (e.published, e.id) > (?{at}, ?{}) AND +e.id < ?{}
         AND EXISTS ({MATCHING} ?{} AND rowid = e.id)",
        at + 1,
        at + 2,
        at + 3
    );
    let later = select_rows(c, &later_sql, later_args, Some(limit))?;
    if later.is_empty() {
        return Ok(first);
    }
    let ids: Vec<i64> = first.iter().chain(&later).map(|r| r.id.0).collect();
    among(&ids, &args)
}

/// The entries where `conditions` hold that match the FTS5 query `q`, newest first, at most
/// `limit`, when `conditions` keep one week's entries (a few thousand at most): what the desk's
/// search (`GET /api/search`) and `entries --week W --search WORDS` list, in time that follows
/// the week, not the database.
///
/// Reading every match and keeping the week's ([`select_all_matches`]) read and looked up all
/// of a common word's matches, a million over a million entries, to keep a few thousand (280
/// ms, issue 11). Looking each of the week's entries up in the index instead costs more (40 µs
/// each: the index opens its lists again for every lookup). So:
///
/// 1. At most `rare` ([`RARE`]) + 1 matches are read. No more than `rare`: the word is rare,
///    and those are looked up by id.
/// 2. Otherwise the week's ids are read (by the date index), and only the stretches of the
///    index's lists that hold them: an id range for each run of the week's ids with gaps of at
///    most `gap` ([`ID_GAP`]) ids, read in one pass each. Entries are stored as they are
///    fetched, so a week's ids are a few long runs (one of 22,600 ids for a 9,815-entry week
///    of the scale bench's million).
fn matches_in_week(
    c: &Connection,
    conditions: &str,
    mut args: Vec<rusqlite::types::Value>,
    q: &str,
    limit: Option<u64>,
    (rare, gap): (usize, i64),
) -> rusqlite::Result<Vec<EntryRow>> {
    let first = i64::try_from(rare.saturating_add(1)).unwrap_or(i64::MAX);
    let mut stmt = c.prepare_cached(&format!("{MATCHING} ?1 LIMIT ?2"))?;
    let mut matches: Vec<i64> =
        stmt.query_map(params![q, first], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    #[cfg(test)]
    tests::count_steps(&stmt);
    if matches.len() > rare {
        let mut stmt = c.prepare(&format!("SELECT e.id FROM entries e WHERE {conditions}"))?;
        let mut week: Vec<i64> = stmt
            .query_map(rusqlite::params_from_iter(&args), |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        #[cfg(test)]
        tests::count_steps(&stmt);
        week.sort_unstable();
        let mut in_range =
            c.prepare_cached(&format!("{MATCHING} ?1 AND rowid BETWEEN ?2 AND ?3"))?;
        matches.clear();
        for (low, high) in id_runs(&week, gap) {
            let found = in_range.query_map(params![q, low, high], |r| r.get::<_, i64>(0))?;
            for id in found {
                let id = id?;
                if week.binary_search(&id).is_ok() {
                    matches.push(id);
                }
            }
        }
        #[cfg(test)]
        tests::count_steps(&in_range);
    }
    args.push(serde_json::to_string(&matches).expect("numbers serialise").into());
    let sql = format!("{conditions} AND e.id IN (SELECT value FROM json_each(?{}))", args.len());
    select_rows(c, &sql, args, limit)
}

/// The widest gap between two of a week's ids that [`matches_in_week`] reads through rather
/// than reading the index again after it: reading a word's list goes at about 30 ns an id,
/// and a new read of it costs about 40 µs, so about a thousand ids.
const ID_GAP: i64 = 1024;

/// The runs of `ids` (sorted), each `(first, last)`, with no gap of more than `gap` between
/// two ids within one.
fn id_runs(ids: &[i64], gap: i64) -> Vec<(i64, i64)> {
    let mut runs: Vec<(i64, i64)> = Vec::new();
    for &id in ids {
        match runs.last_mut() {
            Some((_, last)) if id - *last <= gap => *last = id,
            _ => runs.push((id, id)),
        }
    }
    runs
}

/// The newest `limit` entries where `conditions` hold that match `q`, from every match.
fn select_all_matches(
    c: &Connection,
    conditions: &str,
    mut args: Vec<rusqlite::types::Value>,
    q: &str,
    limit: u64,
) -> rusqlite::Result<Vec<EntryRow>> {
    args.push(q.to_string().into());
    let sql = format!("{conditions} AND e.id IN ({MATCHING} ?{})", args.len());
    select_rows(c, &sql, args, Some(limit))
}

/// What `Store::prune` removed (or would remove).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PruneReport {
    /// Entries removed.
    pub removed: u64,
    /// Entries old enough but kept, because a roundup picked them.
    pub kept_picked: u64,
}

impl Store {
    /// Removes the entries dated before `cutoff` that no roundup picked (a pick, published or
    /// not, keeps its entry; their skip decisions go with them), then compacts: the search
    /// index merged (`optimize`), `PRAGMA optimize`, and `VACUUM`, so the file shrinks. With
    /// `dry_run`, only counts.
    pub(crate) fn prune(
        &mut self,
        cutoff: DateTime<Utc>,
        dry_run: bool,
    ) -> Result<PruneReport, StoreError> {
        const OLD: &str = "e.published < ?1";
        const PICKED: &str = "EXISTS (SELECT 1 FROM picks p WHERE p.entry_id = e.id)";
        let cutoff = rfc3339(cutoff);
        let count = |c: &Connection, picked: &str| -> rusqlite::Result<u64> {
            c.query_row(
                &format!("SELECT count(*) FROM entries e WHERE {OLD} AND {picked}"),
                [&cutoff],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| u64::try_from(n).unwrap_or(0))
        };
        let kept_picked = self.read(|c| count(c, PICKED))?;
        if dry_run {
            let removed = self.read(|c| count(c, &format!("NOT {PICKED}")))?;
            return Ok(PruneReport { removed, kept_picked });
        }
        let removed = self.write(|tx| {
            let n = tx.execute(
                &format!("DELETE FROM entries AS e WHERE {OLD} AND NOT {PICKED}"),
                [&cutoff],
            )?;
            Ok::<_, super::Abort<StoreError>>(u64::try_from(n).unwrap_or(0))
        })?;
        self.housekeeping()?;
        Ok(PruneReport { removed, kept_picked })
    }

    /// Compacts the database: merges the search index's segments, lets SQLite refresh its
    /// statistics, and rewrites the file without its free pages (`VACUUM`, which needs the
    /// database to itself for a moment).
    pub(crate) fn housekeeping(&mut self) -> Result<(), StoreError> {
        self.read(|c| {
            c.execute_batch(
                "INSERT INTO entries_fts (entries_fts) VALUES ('optimize');
                 PRAGMA optimize;
                 VACUUM;
                 PRAGMA wal_checkpoint(TRUNCATE);",
            )
        })
    }

    /// `watch`'s daily housekeeping: the search index merged and `PRAGMA optimize`, and a
    /// `VACUUM` only when a quarter of the file is free pages (after a prune, say): it rewrites
    /// the whole file, and an editor's command would wait for it.
    pub(crate) fn tidy(&mut self) -> Result<(), StoreError> {
        let (free, pages): (i64, i64) = self.read(|c| {
            c.execute_batch(
                "INSERT INTO entries_fts (entries_fts) VALUES ('optimize'); PRAGMA optimize;",
            )?;
            c.query_row(
                "SELECT freelist_count, page_count FROM pragma_freelist_count(), pragma_page_count()",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
        })?;
        if free * 4 > pages {
            self.housekeeping()?;
        }
        Ok(())
    }

    /// The size of the database file (its write-ahead log aside).
    pub(crate) fn file_bytes(&self) -> Result<u64, StoreError> {
        self.read(|c| {
            c.query_row(
                "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
                [],
                |r| r.get::<_, i64>(0),
            )
        })
        .map(|n| u64::try_from(n).unwrap_or(0))
    }
}

/// Turns what a user typed into an FTS5 query that cannot be a syntax error: every word is
/// quoted, and all must match. The index keeps which entries hold a word, not where
/// (`detail=none`, a fraction of the size), so a word the tokenizer splits (`e-mail`) becomes
/// its parts, each of which must match, rather than a phrase.
fn fts_query(input: &str) -> String {
    input
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{w}\""))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    thread_local! {
        /// The virtual machine steps of the listing statements run on this thread: the work a
        /// listing did, rows read and looked up, whatever the machine's speed.
        static STEPS: Cell<u64> = const { Cell::new(0) };
    }

    /// Adds `stmt`'s steps since it was last counted to [`STEPS`].
    pub(super) fn count_steps(stmt: &rusqlite::Statement<'_>) {
        let n = u64::try_from(stmt.reset_status(rusqlite::StatementStatus::VmStep)).unwrap_or(0);
        STEPS.with(|s| s.set(s.get() + n));
    }

    /// The steps `run` took, through [`count_steps`].
    fn steps_of<T>(run: impl FnOnce() -> T) -> (T, u64) {
        let before = STEPS.with(Cell::get);
        let out = run();
        (out, STEPS.with(Cell::get) - before)
    }
    use crate::config::FeedConfig;
    use crate::model::{DatedBy, EntryId, FeedPoll};
    use crate::store::PackedPoll;
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

    /// A feed's first poll inserts without looking each entry up; an identity given twice in it
    /// is still one entry, the later one winning, as in any later poll.
    #[test]
    fn a_first_poll_repeating_an_identity_stores_it_once_and_later_polls_still_find_it() {
        let (_dir, mut s) = store();
        let a = record("1", "Budget cuts", "h1", "2026-11-24T09:00:00Z");
        let again = record("1", "Budget cuts, corrected", "h2", "2026-11-24T09:00:00Z");
        let b = record("2", "Housing plan", "h3", "2026-11-25T09:00:00Z");
        let c = s.record_poll(&update(vec![a.clone(), again, b.clone()])).unwrap();
        assert_eq!((c.new, c.updated), (2, 1));
        let rows = s.entries(&EntryFilter::default()).unwrap();
        let titles: Vec<_> = rows.iter().map(|r| r.title.as_deref().unwrap()).collect();
        assert_eq!(titles, ["Housing plan", "Budget cuts, corrected"]);
        let c = s.record_poll(&update(vec![a, b])).unwrap();
        assert_eq!((c.new, c.updated), (0, 1));
        assert_eq!(s.entries(&EntryFilter::default()).unwrap().len(), 2);
    }

    /// Issue 11: packing bodies on the writer made a cold fetch's single writer its bottleneck;
    /// `fetch` now packs a first poll's bodies before it. What is stored, and what reads back,
    /// is the same either way, for new and for changed entries.
    #[test]
    fn bodies_packed_before_the_writer_store_what_the_writer_would_pack() {
        let mut a = record("1", "Budget cuts", "h1", "2026-11-24T09:00:00Z");
        a.summary_html = Some("<p>Cuts, é ✓.</p>".into());
        a.content_html = Some("<p>Council budgets are cut again.</p>".repeat(40));
        let b = record("2", "Housing plan", "h2", "2026-11-25T09:00:00Z");
        let mut neither = record("3", "Only a title", "h3", "2026-11-25T10:00:00Z");
        neither.content_html = None;
        let changed = record("2", "Housing plan, revised", "h4", "2026-11-25T09:00:00Z");
        let stored = |s: &Store| -> Vec<(String, Option<Vec<u8>>)> {
            let mut q = s
                .conn
                .prepare(
                    "SELECT e.identity, b.body FROM entries e
                     LEFT JOIN entry_bodies b ON b.entry_id = e.id ORDER BY e.identity",
                )
                .unwrap();
            q.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
        };
        let (_d1, mut by_writer) = store();
        let (_d2, mut before) = store();
        for poll in [update(vec![a.clone(), b.clone(), neither.clone()]), update(vec![changed])] {
            by_writer.record_poll(&poll).unwrap();
            let packed = PackedPoll::packed(poll, &before.packer().unwrap());
            before.record_packed_polls(std::slice::from_ref(&packed)).unwrap();
        }
        assert_eq!(stored(&before), stored(&by_writer));
        assert!(stored(&before)[2].1.is_none(), "an entry without HTML has no body");
        let first = before.entry(EntryId(1)).unwrap().unwrap();
        assert_eq!(first.summary_html, a.summary_html);
        assert_eq!(first.content_html, a.content_html);
        let revised = before.entry(EntryId(2)).unwrap().unwrap();
        assert_eq!(revised.content_html.as_deref(), Some("<p>Housing plan, revised</p>"));
    }

    /// Issue 11: the index was brought up to date by the first search after a fetch (9.4 s
    /// after 235,651 entries), and a read-only reader never saw what had not been indexed.
    #[test]
    fn an_entry_is_in_the_search_index_as_soon_as_it_is_stored() {
        let (dir, mut s) = store();
        s.record_poll(&update(vec![record("1", "Budget cuts", "h1", "2026-11-24T09:00:00Z")]))
            .unwrap();
        let indexed: i64 = s
            .conn
            .query_row(
                "SELECT count(*) FROM entries_fts WHERE entries_fts MATCH 'budget'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(indexed, 1, "indexed in the transaction that stored it");
        drop(s);
        let mut ro = Store::open_read_only(&dir.path().join("r.sqlite3"), "test").unwrap();
        let found =
            ro.entries(&EntryFilter { search: Some("cuts".into()), ..Default::default() }).unwrap();
        assert_eq!(found.len(), 1, "a read-only reader finds it too");
    }

    /// Issue 11: each entry's text was stored three times (HTML, plain text, and the search
    /// index's own copy): 1.4x the bytes of the feeds. Prose that deflates like real posts
    /// (words drawn a few often, most rarely) must now take well under its HTML's size.
    #[test]
    fn the_database_holds_less_than_the_html_it_stores() {
        let (_dir, mut s) = store();
        let mut seed = 7u64;
        let mut word = || {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let n = (seed >> 33) % 2000;
            // Zipf-like: a few words often, most rarely, as in prose.
            format!("w{}", n * n * n / 4_000_000)
        };
        let mut html_bytes = 0;
        let records: Vec<EntryRecord> = (0..300)
            .map(|i| {
                let paragraphs: Vec<String> =
                    (0..8).map(|_| (0..60).map(|_| word()).collect::<Vec<_>>().join(" ")).collect();
                let html = paragraphs.iter().map(|p| format!("<p>{p}</p>")).collect::<String>();
                html_bytes += html.len();
                EntryRecord {
                    content_html: Some(html),
                    text: paragraphs.join("\n\n"),
                    ..record(
                        &i.to_string(),
                        &format!("Post {i}"),
                        &i.to_string(),
                        "2026-11-24T09:00:00Z",
                    )
                }
            })
            .collect();
        s.record_poll(&update(records)).unwrap();
        // What the entries take: their table, its indexes and the search index's tables.
        let size: i64 = s
            .conn
            .query_row("SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'entries%'", [], |r| {
                r.get(0)
            })
            .unwrap();
        let ratio = size as f64 / html_bytes as f64;
        assert!(ratio < 0.9, "{size} bytes of entries for {html_bytes} of HTML: {ratio:.2}x");
        let e = s.entry(EntryId(1)).unwrap().unwrap();
        assert!(e.content_html.unwrap().starts_with("<p>w"));
        assert!(e.text.starts_with('w') && e.text.contains("\n\n"), "{}", e.text);
    }

    /// Issue 11, item 3: `watch`'s housekeeping gives back the room of removed entries.
    #[test]
    fn tidying_after_a_big_delete_shrinks_the_file() {
        let (dir, mut s) = store();
        let mut seed = 3u64;
        let mut letters = |n: usize| -> String {
            (0..n)
                .map(|_| {
                    seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                    char::from(b'a' + u8::try_from((seed >> 40) % 26).unwrap())
                })
                .collect()
        };
        let records: Vec<EntryRecord> = (0..400)
            .map(|i| EntryRecord {
                content_html: Some(format!("<p>{}</p>", letters(3000))),
                ..record(&i.to_string(), "Old", &i.to_string(), "2020-01-01T00:00:00Z")
            })
            .collect();
        s.record_poll(&update(records)).unwrap();
        s.tidy().unwrap();
        let full = s.file_bytes().unwrap();
        s.conn.execute("DELETE FROM entries WHERE id > 10", []).unwrap();
        s.tidy().unwrap();
        let after = s.file_bytes().unwrap();
        assert!(after * 2 < full, "{full} bytes before, {after} after");
        drop(dir);
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
        assert_eq!(found("café-budget"), 1, "a word the tokenizer splits finds its parts");
        assert_eq!(found("(budget): *"), 1, "operators are words, not syntax");
        // An entry indexed, then changed: the index follows the change.
        s.record_poll(&update(vec![record("1", "Housing budget", "h2", "2026-11-24T09:00:00Z")]))
            .unwrap();
        let mut found = |q: &str| {
            s.entries(&EntryFilter { search: Some(q.into()), ..Default::default() }).unwrap().len()
        };
        assert_eq!(found("housing"), 1);
        assert_eq!(found("cafe"), 0);
    }

    /// A search with a limit reads the newest stored matches first and the rest only when
    /// they could be newer (`newest_matches`): the same rows as reading every match, with ids
    /// out of date order (an old entry stored late, a new one stored early), other filters,
    /// and any threshold for a rare word.
    #[test]
    fn a_limited_search_lists_what_reading_every_match_lists() {
        let (_dir, mut s) = store();
        let feed_b = FeedConfig {
            id: "b".into(),
            url: url::Url::parse("https://y.example/feed").unwrap(),
            name: None,
            tags: vec![],
            interval: None,
        };
        let feed_a = FeedConfig { id: "a".into(), ..feed_b.clone() };
        let feed_a =
            FeedConfig { url: url::Url::parse("https://x.example/feed").unwrap(), ..feed_a };
        s.sync_feeds(&[feed_a, feed_b], Utc::now()).unwrap();
        let base = parse_rfc3339("2026-10-01T00:00:00Z").unwrap();
        for i in 0..90i64 {
            // Dates scattered against the order of storing, with ties; the first stored is
            // dated after all the others.
            let hours = if i == 0 { 100 } else { (i * 37) % 61 };
            let mut words = vec!["common"];
            if i % 2 == 0 {
                words.push("half");
            }
            if i % 9 == 0 {
                words.push("rare");
            }
            let published = rfc3339(base + chrono::Duration::hours(hours));
            let r = record(&i.to_string(), &words.join(" "), &i.to_string(), &published);
            let feed = if i % 3 == 0 { "b" } else { "a" };
            let poll = FeedPoll::stored(feed, "https://x.example/feed", base, vec![r]);
            s.record_poll(&poll).unwrap();
        }
        let since = parse_rfc3339("2026-10-02T00:00:00Z");
        let filters = [
            EntryFilter::default(),
            EntryFilter { since, ..Default::default() },
            EntryFilter { feed: Some("b".into()), ..Default::default() },
        ];
        for filter in &filters {
            let (conditions, args) = filter_conditions(filter);
            for q in ["\"common\"", "\"half\"", "\"rare\"", "\"rare\" \"half\"", "\"none\""] {
                for limit in [1, 5, 20, 200] {
                    let all =
                        select_all_matches(&s.conn, &conditions, args.clone(), q, limit).unwrap();
                    for rare in [1, 3, 10, 2000] {
                        let newest =
                            newest_matches(&s.conn, &conditions, args.clone(), q, limit, rare)
                                .unwrap();
                        assert_eq!(newest, all, "{q} limit {limit} rare {rare} {filter:?}");
                    }
                }
            }
        }
        // An entry stored first but dated after all: found though the newest stored are read
        // first.
        let q = "\"common\"";
        let top = newest_matches(&s.conn, "1", vec![], q, 2, 3).unwrap();
        assert_eq!(top.iter().map(|r| r.id.0).collect::<Vec<_>>()[0], 1);
    }

    #[test]
    fn a_weeks_ids_are_read_as_runs_with_small_gaps() {
        assert_eq!(id_runs(&[], 10), []);
        assert_eq!(id_runs(&[5], 10), [(5, 5)]);
        assert_eq!(id_runs(&[1, 2, 12, 23, 40, 41], 10), [(1, 12), (23, 23), (40, 41)]);
        assert_eq!(id_runs(&[1, 2, 3], 0), [(1, 1), (2, 2), (3, 3)]);
        assert_eq!(id_runs(&[1, 2, 3, 5], 1), [(1, 3), (5, 5)]);
    }

    /// A poll of feed `a` started at `seen` holding `(identity, words, published)` entries.
    fn poll_at(seen: &str, entries: &[(String, String, String)]) -> FeedPoll {
        let records = entries
            .iter()
            .map(|(identity, words, published)| record(identity, words, identity, published))
            .collect();
        let started = parse_rfc3339(seen).unwrap();
        FeedPoll::stored("a", "https://x.example/feed", started, records)
    }

    fn week_span(week: u32) -> WeekSpan {
        crate::week::IsoWeek { year: 2026, week }
            .span(chrono_tz::UTC, std::time::Duration::from_secs(14 * 86_400))
    }

    /// The rows of a week's search as they were listed before it was bounded by the week
    /// (every match of the words read, then the week's kept).
    fn through_every_match(s: &Store, filter: &EntryFilter) -> Vec<EntryRow> {
        let (conditions, mut args) = filter_conditions(filter);
        args.push(fts_query(filter.search.as_deref().unwrap()).into());
        let sql = format!("{conditions} AND e.id IN ({MATCHING} ?{})", args.len());
        select_rows(&s.conn, &sql, args, filter.limit).unwrap()
    }

    /// Issue 11: the desk's search (`GET /api/search`) and `entries --week W --search WORDS`
    /// read every match of the words in the database to keep the week's. However the week's
    /// matches are found now, they are the same rows: a common word in the week and around it,
    /// late arrivals, entries filed in the week but fetched after it, a feed's backlog, rare
    /// words and words in no entry, with and without a limit, and any threshold for a rare word.
    #[test]
    fn a_weeks_search_lists_what_reading_every_match_lists() {
        let (_dir, mut s) = store();
        let entry = |i: usize, published: &str| {
            let mut words = vec!["council"];
            if i.is_multiple_of(2) {
                words.push("half");
            }
            if i.is_multiple_of(7) {
                words.push("rare");
            }
            (format!("e{i}"), words.join(" "), published.to_string())
        };
        // (first seen, published): a backlog, the weeks 47, 48 and 49, late arrivals, entries
        // of week 48 fetched in week 49, ids out of date order.
        let polls = [
            ("2026-11-01T10:00:00Z", "2026-11-18T09:00:00Z"),
            ("2026-11-01T10:00:00Z", "2026-10-20T09:00:00Z"),
            ("2026-11-18T10:00:00Z", "2026-11-17T09:00:00Z"),
            ("2026-11-24T10:00:00Z", "2026-11-24T09:00:00Z"),
            ("2026-11-25T10:00:00Z", "2026-11-15T09:00:00Z"),
            ("2026-11-25T10:00:00Z", "2026-10-01T09:00:00Z"),
            ("2026-11-27T10:00:00Z", "2026-11-26T08:00:00Z"),
            ("2026-12-01T10:00:00Z", "2026-11-29T23:00:00Z"),
            ("2026-12-02T10:00:00Z", "2026-12-02T09:00:00Z"),
            ("2026-12-03T10:00:00Z", "2026-11-24T09:00:00Z"),
        ];
        let mut i = 0;
        for (seen, published) in polls {
            let entries: Vec<_> = (0..7)
                .map(|_| {
                    i += 1;
                    entry(i, published)
                })
                .collect();
            s.record_poll(&poll_at(seen, &entries)).unwrap();
        }
        let mut compared = 0;
        for week in [47, 48, 49] {
            for words in ["council", "half", "rare", "rare half", "council nowhere", "nowhere"] {
                for limit in [None, Some(1), Some(4), Some(200)] {
                    let filter = EntryFilter {
                        week: Some(week_span(week)),
                        search: Some(words.into()),
                        limit,
                        ..Default::default()
                    };
                    let before = through_every_match(&s, &filter);
                    assert_eq!(s.entries(&filter).unwrap(), before, "{filter:?}");
                    let (conditions, args) = filter_conditions(&filter);
                    for (rare, gap) in
                        [(0, 0), (0, 1), (0, 3), (0, 1024), (1, 2), (5, 1), (2000, 0)]
                    {
                        let q = fts_query(words);
                        let found = matches_in_week(
                            &s.conn,
                            &conditions,
                            args.clone(),
                            &q,
                            limit,
                            (rare, gap),
                        )
                        .unwrap();
                        assert_eq!(found, before, "rare {rare}, gap {gap}, {filter:?}");
                    }
                    compared += usize::from(!before.is_empty());
                }
            }
        }
        assert!(compared > 30, "{compared} searches found something");
        let mut in_48 = |words: &str| {
            let filter = EntryFilter {
                week: Some(week_span(48)),
                search: Some(words.into()),
                ..Default::default()
            };
            s.entries(&filter).unwrap().len()
        };
        // The week's own (two polls), its late arrivals, and its entries fetched after it.
        assert_eq!(in_48("council"), 5 * 7);
    }

    /// Issue 11: over a million entries, a common word's search in a week read every one of
    /// its hundreds of thousands of matches to keep the week's few thousand. The work it does
    /// now is the same whether the rest of the database holds 2,500 or 10,000 matches.
    #[test]
    fn a_weeks_search_does_not_grow_with_the_rest_of_the_database() {
        let (_dir, mut s) = store();
        let week: Vec<_> = (0..20)
            .map(|i| (format!("w{i}"), "council budget".to_string(), "2026-11-24T09:00:00Z".into()))
            .collect();
        s.record_poll(&poll_at("2026-11-24T10:00:00Z", &week)).unwrap();
        let mut other = 0;
        let mut add_others = |s: &mut Store, n: usize| {
            let entries: Vec<_> = (0..n)
                .map(|_| {
                    other += 1;
                    (
                        format!("o{other}"),
                        "council housing".to_string(),
                        "2026-10-05T09:00:00Z".into(),
                    )
                })
                .collect();
            s.record_poll(&poll_at("2026-10-05T10:00:00Z", &entries)).unwrap();
        };
        let filter = EntryFilter {
            week: Some(week_span(48)),
            search: Some("council".into()),
            ..Default::default()
        };
        add_others(&mut s, 2_500);
        let (found, fewer) = steps_of(|| s.entries(&filter).unwrap());
        assert_eq!(found.len(), 20);
        add_others(&mut s, 7_500);
        let (found, more) = steps_of(|| s.entries(&filter).unwrap());
        assert_eq!(found.len(), 20);
        assert!(
            more * 2 < fewer * 3,
            "{fewer} steps with 2,500 matches outside the week, {more} with 10,000"
        );
    }

    /// Issue 11: an entry's deflated body shared its row with the fields that lists read, so a
    /// week's candidates read every body's page. It lives in `entry_bodies` now, goes with its
    /// entry, and reads back the same.
    #[test]
    fn an_entrys_body_is_kept_apart_from_its_row_and_removed_with_it() {
        let (_dir, mut s) = store();
        let mut with_summary = record("1", "Budget cuts", "h1", "2020-01-01T00:00:00Z");
        with_summary.summary_html = Some("<p>Short.</p>".into());
        let no_html = EntryRecord {
            summary_html: None,
            content_html: None,
            text: "Just text.".into(),
            ..record("2", "Plain", "h2", "2026-11-24T09:00:00Z")
        };
        s.record_poll(&update(vec![with_summary, no_html])).unwrap();
        let columns: Vec<String> = s
            .conn
            .prepare("SELECT name FROM pragma_table_info('entries')")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert!(!columns.iter().any(|c| c == "body"), "{columns:?}");
        let bodies = |s: &Store| -> Vec<i64> {
            s.conn
                .prepare("SELECT entry_id FROM entry_bodies ORDER BY entry_id")
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap()
        };
        assert_eq!(bodies(&s), [1], "an entry without HTML has no body");
        let one = s.entry(EntryId(1)).unwrap().unwrap();
        assert_eq!(one.summary_html.as_deref(), Some("<p>Short.</p>"));
        assert_eq!(one.content_html.as_deref(), Some("<p>Budget cuts</p>"));
        assert_eq!(one.text, "Budget cuts");
        assert_eq!(s.entry(EntryId(2)).unwrap().unwrap().text, "Just text.");
        // A changed entry's body is replaced; one that loses its HTML loses its body.
        let mut changed = record("1", "Budget cuts, revised", "h3", "2020-01-01T00:00:00Z");
        changed.content_html = Some("<p>Revised.</p>".into());
        s.record_poll(&update(vec![changed])).unwrap();
        assert_eq!(
            s.entry(EntryId(1)).unwrap().unwrap().content_html.as_deref(),
            Some("<p>Revised.</p>")
        );
        let prune_cutoff = parse_rfc3339("2021-01-01T00:00:00Z").unwrap();
        assert_eq!(s.prune(prune_cutoff, false).unwrap().removed, 1);
        assert!(bodies(&s).is_empty(), "the pruned entry's body went with it");
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
