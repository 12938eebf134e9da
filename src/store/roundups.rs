//! Roundups, picks and triage: the editor's week. A roundup row is made on first use; picks
//! keep a dense 1-based order; triage records what the editor decided about each entry.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::{Store, StoreError};
use crate::model::{Candidate, EntryDetail, PickChange, PickedItem, Roundup, RoundupEdit, Triage};
use crate::timefmt::rfc3339;

/// Why a pick or triage could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PickError {
    #[error("there is no entry {0} (see `roundup entries --json` or `roundup candidates`)")]
    NoEntry(i64),
    #[error("entry {entry} is not picked in {week}")]
    NotPicked { entry: i64, week: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An entry with its attribution: what the feed says, filled in from its article page when it
/// was fetched (the byline when the feed names no author, the site name when the feed has no
/// name or title, the canonical URL instead of the feed's link).
const ENTRY_DETAIL_SELECT: &str = "SELECT e.id, e.feed_id,
        coalesce(nullif(f.name, ''), nullif(f.title, ''), nullif(p.site_name, ''), f.id),
        f.site_url, e.title, coalesce(nullif(p.canonical_url, ''), e.url),
        coalesce(nullif(e.author, ''), nullif(p.byline, '')), e.published, e.dated_by,
        e.first_seen, e.summary_html, e.content_html, e.text
     FROM entries e JOIN feeds f ON f.id = e.feed_id LEFT JOIN pages p ON p.url = e.url";

fn entry_detail(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<EntryDetail> {
    Ok(EntryDetail {
        id: r.get(at)?,
        feed: r.get(at + 1)?,
        outlet: r.get(at + 2)?,
        outlet_url: r.get(at + 3)?,
        title: r.get(at + 4)?,
        url: r.get(at + 5)?,
        author: r.get(at + 6)?,
        published: r.get(at + 7)?,
        dated_by: r.get(at + 8)?,
        first_seen: r.get(at + 9)?,
        summary_html: r.get(at + 10)?,
        content_html: r.get(at + 11)?,
        text: r.get(at + 12)?,
    })
}

fn json_list(s: String) -> Vec<String> {
    serde_json::from_str(&s).unwrap_or_default()
}

fn read_roundup(conn: &Connection, week: &str) -> rusqlite::Result<Option<Roundup>> {
    conn.query_row(
        "SELECT id, week, title, intro, outro, tags, categories, status, published_at
         FROM roundups WHERE week = ?1",
        [week],
        |r| {
            Ok(Roundup {
                id: r.get(0)?,
                week: r.get(1)?,
                title: r.get(2)?,
                intro: r.get(3)?,
                outro: r.get(4)?,
                tags: json_list(r.get(5)?),
                categories: json_list(r.get(6)?),
                status: r.get(7)?,
                published_at: r.get(8)?,
            })
        },
    )
    .optional()
}

/// The roundup of `week`, made (as a draft titled `title`) if it does not exist yet.
fn ensure_roundup(
    conn: &Connection,
    week: &str,
    title: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<Roundup> {
    conn.execute(
        "INSERT INTO roundups (week, title, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)
         ON CONFLICT (week) DO NOTHING",
        params![week, title, rfc3339(now)],
    )?;
    Ok(read_roundup(conn, week)?.expect("just made"))
}

/// Renumbers the picks of a roundup 1..n, keeping their order (ties: earlier pick first).
fn renumber(conn: &Connection, roundup_id: i64) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE picks SET position = (
             SELECT count(*) FROM picks p2
             WHERE p2.roundup_id = picks.roundup_id
               AND (p2.position < picks.position
                    OR (p2.position = picks.position AND p2.created_at < picks.created_at)
                    OR (p2.position = picks.position AND p2.created_at = picks.created_at
                        AND p2.entry_id <= picks.entry_id)))
         WHERE roundup_id = ?1",
        [roundup_id],
    )?;
    Ok(())
}

impl Store {
    /// The roundup of `week`, if it has been started.
    pub fn find_roundup(&self, week: &str) -> Result<Option<Roundup>, StoreError> {
        read_roundup(&self.conn, week).map_err(self.err())
    }

    /// The roundup of `week`, started as a draft titled `default_title` if need be.
    pub fn roundup(
        &mut self,
        week: &str,
        default_title: &str,
        now: DateTime<Utc>,
    ) -> Result<Roundup, StoreError> {
        ensure_roundup(&self.conn, week, default_title, now).map_err(self.err())
    }

    /// Changes the roundup's own fields.
    pub fn edit_roundup(
        &mut self,
        week: &str,
        default_title: &str,
        edit: &RoundupEdit,
        now: DateTime<Utc>,
    ) -> Result<Roundup, StoreError> {
        let path = self.path.clone();
        let err = |source| StoreError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction().map_err(err)?;
        let r = ensure_roundup(&tx, week, default_title, now).map_err(err)?;
        let blank = |s: &Option<String>| s.as_ref().map(|v| v.trim().to_string());
        let list = |l: &Option<Vec<String>>| {
            l.as_ref().map(|v| serde_json::to_string(v).expect("strings serialise"))
        };
        tx.execute(
            "UPDATE roundups SET
                title = coalesce(nullif(?2, ''), title),
                intro = iif(?3 IS NULL, intro, nullif(?3, '')),
                outro = iif(?4 IS NULL, outro, nullif(?4, '')),
                tags = coalesce(?5, tags),
                categories = coalesce(?6, categories),
                updated_at = ?7
             WHERE id = ?1",
            params![
                r.id,
                blank(&edit.title),
                blank(&edit.intro),
                blank(&edit.outro),
                list(&edit.tags),
                list(&edit.categories),
                rfc3339(now)
            ],
        )
        .map_err(err)?;
        let r = read_roundup(&tx, week).map_err(err)?.expect("exists");
        tx.commit().map_err(err)?;
        Ok(r)
    }

    /// One stored entry.
    pub fn entry(&self, id: i64) -> Result<Option<EntryDetail>, StoreError> {
        self.conn
            .query_row(&format!("{ENTRY_DETAIL_SELECT} WHERE e.id = ?1"), [id], |r| {
                entry_detail(r, 0)
            })
            .optional()
            .map_err(self.err())
    }

    /// The link of an entry exactly as its feed gives it: the key its article page is cached
    /// under (an `EntryDetail`'s `url` is the cleaned, canonical one).
    pub fn entry_link(&self, id: i64) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row("SELECT url FROM entries WHERE id = ?1", [id], |r| r.get(0))
            .optional()
            .map(Option::flatten)
            .map_err(self.err())
    }

    /// Picks `entry` into the roundup of `week` (or changes its pick there). Any stored entry may
    /// be picked into any week. Returns the pick as it now stands.
    pub fn pick(
        &mut self,
        week: &str,
        default_title: &str,
        entry: i64,
        change: &PickChange,
        now: DateTime<Utc>,
    ) -> Result<PickedItem, PickError> {
        if self.entry(entry)?.is_none() {
            return Err(PickError::NoEntry(entry));
        }
        let path = self.path.clone();
        let err = |source| StoreError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction().map_err(err)?;
        let r = ensure_roundup(&tx, week, default_title, now).map_err(err)?;
        let now_text = rfc3339(now);
        let count: u32 = tx
            .query_row("SELECT count(*) FROM picks WHERE roundup_id = ?1", [r.id], |row| row.get(0))
            .map_err(err)?;
        let text = |s: &Option<String>| s.as_ref().map(|v| v.trim().to_string());
        // A new pick goes last; a known one keeps its place. A field left out (NULL) keeps its
        // value; an empty one clears it.
        tx.execute(
            "INSERT INTO picks (roundup_id, entry_id, position, section, lead, excerpt, note,
                                created_at, updated_at)
             VALUES (?1, ?2, ?3, nullif(?4, ''), nullif(?5, ''), nullif(?6, ''), nullif(?7, ''),
                     ?8, ?8)
             ON CONFLICT (roundup_id, entry_id) DO UPDATE SET
                section = iif(?4 IS NULL, section, nullif(?4, '')),
                lead = iif(?5 IS NULL, lead, nullif(?5, '')),
                excerpt = iif(?6 IS NULL, excerpt, nullif(?6, '')),
                note = iif(?7 IS NULL, note, nullif(?7, '')),
                updated_at = ?8",
            params![
                r.id,
                entry,
                count + 1,
                text(&change.section),
                text(&change.lead),
                text(&change.excerpt),
                text(&change.note),
                now_text
            ],
        )
        .map_err(err)?;
        if let Some(wanted) = change.position {
            // Make room at `wanted` (positions are dense), then put the pick there.
            let wanted = wanted.max(1);
            tx.execute(
                "UPDATE picks SET position = position + 1
                 WHERE roundup_id = ?1 AND position >= ?2 AND entry_id != ?3",
                params![r.id, wanted, entry],
            )
            .map_err(err)?;
            tx.execute(
                "UPDATE picks SET position = ?3 WHERE roundup_id = ?1 AND entry_id = ?2",
                params![r.id, entry, wanted],
            )
            .map_err(err)?;
        }
        renumber(&tx, r.id).map_err(err)?;
        tx.execute(
            "INSERT INTO triage (entry_id, state, week, decided_at) VALUES (?1, 'picked', ?2, ?3)
             ON CONFLICT (entry_id) DO UPDATE SET state = 'picked', week = ?2, decided_at = ?3",
            params![entry, week, now_text],
        )
        .map_err(err)?;
        tx.execute("UPDATE roundups SET updated_at = ?2 WHERE id = ?1", params![r.id, now_text])
            .map_err(err)?;
        tx.commit().map_err(err)?;
        let picked = self.picks(week)?.into_iter().find(|p| p.entry.id == entry);
        Ok(picked.expect("the pick was just written"))
    }

    /// Takes `entry` out of the roundup of `week`; it becomes a candidate again.
    pub fn unpick(&mut self, week: &str, entry: i64, now: DateTime<Utc>) -> Result<(), PickError> {
        let path = self.path.clone();
        let err = |source| StoreError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction().map_err(err)?;
        let Some(r) = read_roundup(&tx, week).map_err(err)? else {
            return Err(PickError::NotPicked { entry, week: week.to_string() });
        };
        let removed = tx
            .execute(
                "DELETE FROM picks WHERE roundup_id = ?1 AND entry_id = ?2",
                params![r.id, entry],
            )
            .map_err(err)?;
        if removed == 0 {
            return Err(PickError::NotPicked { entry, week: week.to_string() });
        }
        renumber(&tx, r.id).map_err(err)?;
        tx.execute("DELETE FROM triage WHERE entry_id = ?1 AND state = 'picked'", [entry])
            .map_err(err)?;
        tx.execute(
            "UPDATE roundups SET updated_at = ?2 WHERE id = ?1",
            params![r.id, rfc3339(now)],
        )
        .map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(())
    }

    /// Triages `entry` out: it is not shown as a candidate again (unpicked if it was picked).
    pub fn skip(&mut self, week: &str, entry: i64, now: DateTime<Utc>) -> Result<(), PickError> {
        if self.entry(entry)?.is_none() {
            return Err(PickError::NoEntry(entry));
        }
        if self.picks(week)?.iter().any(|p| p.entry.id == entry) {
            self.unpick(week, entry, now)?;
        }
        self.conn
            .execute(
                "INSERT INTO triage (entry_id, state, week, decided_at)
                 VALUES (?1, 'skipped', ?2, ?3)
                 ON CONFLICT (entry_id) DO UPDATE SET state = 'skipped', week = ?2, decided_at = ?3",
                params![entry, week, rfc3339(now)],
            )
            .map_err(self.err())?;
        Ok(())
    }

    /// The picks of `week`'s roundup, in order.
    pub fn picks(&self, week: &str) -> Result<Vec<PickedItem>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT p.position, p.section, p.lead, p.excerpt, p.note, d.*
                 FROM picks p JOIN roundups r ON r.id = p.roundup_id
                 JOIN ({ENTRY_DETAIL_SELECT}) d ON d.id = p.entry_id
                 WHERE r.week = ?1 ORDER BY p.position"
            ))
            .map_err(self.err())?;
        let rows = stmt
            .query_map([week], |r| {
                Ok(PickedItem {
                    position: r.get(0)?,
                    section: r.get(1)?,
                    lead: r.get(2)?,
                    excerpt: r.get(3)?,
                    note: r.get(4)?,
                    entry: entry_detail(r, 5)?,
                })
            })
            .map_err(self.err())?;
        rows.collect::<Result<_, _>>().map_err(self.err())
    }

    /// The candidates of the week `[start, end)`: entries filed in it, plus entries dated earlier
    /// that were first seen in it (they arrived late) and were never triaged. Skipped entries are
    /// left out unless `include_skipped`. Newest first.
    pub fn candidates(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        include_skipped: bool,
    ) -> Result<Vec<Candidate>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT e.id, e.feed_id, coalesce(nullif(f.name, ''), nullif(f.title, ''), f.id),
                        e.title, e.url, e.author, e.published, e.dated_by, t.state, t.week,
                        e.published < ?1
                 FROM entries e JOIN feeds f ON f.id = e.feed_id
                 LEFT JOIN triage t ON t.entry_id = e.id
                 WHERE ((e.published >= ?1 AND e.published < ?2)
                        OR (e.published < ?1 AND e.first_seen >= ?1 AND e.first_seen < ?2
                            AND t.entry_id IS NULL))
                   AND (?3 OR t.state IS NOT 'skipped')
                 ORDER BY e.published DESC, e.id DESC",
            )
            .map_err(self.err())?;
        let rows = stmt
            .query_map(params![rfc3339(start), rfc3339(end), include_skipped], |r| {
                let triage = match r.get::<_, Option<String>>(8)?.as_deref() {
                    Some("picked") => Triage::Picked,
                    Some("skipped") => Triage::Skipped,
                    _ => Triage::New,
                };
                Ok(Candidate {
                    id: r.get(0)?,
                    feed: r.get(1)?,
                    outlet: r.get(2)?,
                    title: r.get(3)?,
                    url: r.get(4)?,
                    author: r.get(5)?,
                    published: r.get(6)?,
                    dated_by: r.get(7)?,
                    triage,
                    triage_week: r.get(9)?,
                    late: r.get(10)?,
                })
            })
            .map_err(self.err())?;
        rows.collect::<Result<_, _>>().map_err(self.err())
    }

    /// The links picked in the (up to) `n` roundups before `week`, with their week.
    pub fn recently_featured(
        &self,
        week: &str,
        n: u32,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT r.week, e.url FROM picks p
                 JOIN roundups r ON r.id = p.roundup_id JOIN entries e ON e.id = p.entry_id
                 WHERE e.url IS NOT NULL AND r.id IN
                     (SELECT id FROM roundups WHERE week < ?1 ORDER BY week DESC LIMIT ?2)
                 ORDER BY r.week DESC, p.position",
            )
            .map_err(self.err())?;
        let rows =
            stmt.query_map(params![week, n], |r| Ok((r.get(0)?, r.get(1)?))).map_err(self.err())?;
        rows.collect::<Result<_, _>>().map_err(self.err())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DatedBy, EntryRecord, FeedUpdate};
    use crate::timefmt::parse_rfc3339;

    fn at(s: &str) -> DateTime<Utc> {
        parse_rfc3339(s).unwrap()
    }

    fn store_with(entries: &[(&str, &str, &str)]) -> (tempfile::TempDir, Store) {
        // (identity, published, first seen)
        let (dir, mut s) = crate::store::test_store(Utc::now());
        for (identity, published, seen) in entries {
            let record = EntryRecord {
                identity: identity.to_string(),
                url: Some(format!("https://lgiu.example/{identity}")),
                title: Some(format!("Post {identity}")),
                author: Some("Ann".into()),
                published: at(published),
                dated_by: DatedBy::Published,
                updated: None,
                summary_html: None,
                content_html: Some("<p>One.</p><p>Two.</p>".into()),
                text: "One.\n\nTwo.".into(),
                categories: vec![],
                content_hash: identity.to_string(),
            };
            s.record_poll(&FeedUpdate::stored(
                "lgiu",
                "https://lgiu.example/feed",
                at(seen),
                vec![record],
            ))
            .unwrap();
        }
        (dir, s)
    }

    const WEEK: &str = "2026-W48";
    fn bounds() -> (DateTime<Utc>, DateTime<Utc>) {
        (at("2026-11-23T00:00:00Z"), at("2026-11-30T00:00:00Z"))
    }

    fn ids(c: &[Candidate]) -> Vec<i64> {
        c.iter().map(|c| c.id).collect()
    }

    #[test]
    fn candidates_are_the_weeks_entries_plus_late_arrivals_never_triaged() {
        let (_d, mut s) = store_with(&[
            ("in-week", "2026-11-24T09:00:00Z", "2026-11-24T10:00:00Z"),
            ("late", "2026-11-10T09:00:00Z", "2026-11-25T10:00:00Z"),
            ("old", "2026-11-10T09:00:00Z", "2026-11-10T10:00:00Z"),
            ("next-week", "2026-12-01T09:00:00Z", "2026-12-01T10:00:00Z"),
        ]);
        let (start, end) = bounds();
        let c = s.candidates(start, end, false).unwrap();
        assert_eq!(ids(&c), [1, 2]);
        assert!(!c[0].late && c[1].late);
        assert_eq!(c[0].outlet, "LGIU");
        s.skip(WEEK, 2, Utc::now()).unwrap();
        s.skip(WEEK, 1, Utc::now()).unwrap();
        assert!(s.candidates(start, end, false).unwrap().is_empty(), "skipped: not shown again");
        let all = s.candidates(start, end, true).unwrap();
        assert_eq!(ids(&all), [1], "a skipped late arrival is triaged, so no longer a candidate");
        assert_eq!(all[0].triage, Triage::Skipped);
    }

    #[test]
    fn picks_keep_a_dense_order_and_positions_make_room() {
        let (_d, mut s) = store_with(&[
            ("a", "2026-11-24T09:00:00Z", "2026-11-24T10:00:00Z"),
            ("b", "2026-11-24T09:00:00Z", "2026-11-24T10:00:00Z"),
            ("c", "2026-11-24T09:00:00Z", "2026-11-24T10:00:00Z"),
        ]);
        let now = at("2026-11-26T12:00:00Z");
        for id in [1, 2, 3] {
            s.pick(WEEK, "T", id, &PickChange::default(), now).unwrap();
        }
        let order =
            |s: &Store| s.picks(WEEK).unwrap().iter().map(|p| p.entry.id).collect::<Vec<_>>();
        assert_eq!(order(&s), [1, 2, 3]);
        let moved = PickChange {
            position: Some(1),
            note: Some("Worth a read.".into()),
            ..Default::default()
        };
        let p = s.pick(WEEK, "T", 3, &moved, now).unwrap();
        assert_eq!((p.position, p.note.as_deref()), (1, Some("Worth a read.")));
        assert_eq!(order(&s), [3, 1, 2]);
        s.unpick(WEEK, 1, now).unwrap();
        let picks = s.picks(WEEK).unwrap();
        assert_eq!(picks.iter().map(|p| p.position).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(order(&s), [3, 2]);
        // Changing one field leaves the others.
        s.pick(WEEK, "T", 3, &PickChange { lead: Some("Lead".into()), ..Default::default() }, now)
            .unwrap();
        let p = &s.picks(WEEK).unwrap()[0];
        assert_eq!((p.lead.as_deref(), p.note.as_deref()), (Some("Lead"), Some("Worth a read.")));
        assert!(matches!(s.unpick(WEEK, 1, now), Err(PickError::NotPicked { .. })));
        assert!(matches!(
            s.pick(WEEK, "T", 99, &PickChange::default(), now),
            Err(PickError::NoEntry(99))
        ));
    }

    #[test]
    fn editing_a_roundup_sets_and_clears_fields() {
        let (_d, mut s) = store_with(&[]);
        let now = Utc::now();
        let r = s.roundup(WEEK, "That was the week that was", now).unwrap();
        assert_eq!((r.title.as_str(), r.intro.clone()), ("That was the week that was", None));
        let edit = RoundupEdit {
            intro: Some("Hello.".into()),
            tags: Some(vec!["housing".into(), "budgets".into()]),
            ..Default::default()
        };
        let r = s.edit_roundup(WEEK, "x", &edit, now).unwrap();
        assert_eq!(r.intro.as_deref(), Some("Hello."));
        assert_eq!(r.tags, ["housing", "budgets"]);
        let r = s
            .edit_roundup(
                WEEK,
                "x",
                &RoundupEdit { intro: Some(String::new()), ..Default::default() },
                now,
            )
            .unwrap();
        assert_eq!(r.intro, None);
        assert_eq!(r.tags, ["housing", "budgets"], "untouched fields stay");
    }

    #[test]
    fn links_featured_in_the_last_roundups_are_found() {
        let (_d, mut s) = store_with(&[
            ("a", "2026-11-10T09:00:00Z", "2026-11-10T10:00:00Z"),
            ("b", "2026-11-24T09:00:00Z", "2026-11-24T10:00:00Z"),
        ]);
        s.pick("2026-W46", "T", 1, &PickChange::default(), Utc::now()).unwrap();
        s.pick(WEEK, "T", 2, &PickChange::default(), Utc::now()).unwrap();
        let seen = s.recently_featured(WEEK, 10).unwrap();
        assert_eq!(seen, [("2026-W46".to_string(), "https://lgiu.example/a".to_string())]);
        assert!(s.recently_featured("2026-W46", 10).unwrap().is_empty());
    }
}
