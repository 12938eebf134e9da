//! Picks and triage: which entries the editor picked into a week's roundup, in what order and
//! with what words, and what the editor decided about each entry (picked or skipped). Picks keep
//! a dense 1-based order.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::entries::{ENTRY_DETAIL_SELECT, entry_detail, read_entry};
use super::roundups::{ensure_roundup, read_roundup};
use super::{Abort, Store, StoreError};
use crate::model::{EntryId, PickChange, PickedItem};
use crate::timefmt::rfc3339;
use crate::week::IsoWeek;

/// Why a pick or triage could not be made.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PickError {
    #[error("there is no entry {0} (see `roundup entries --json` or `roundup candidates`)")]
    NoEntry(EntryId),
    #[error("entry {entry} is not picked in {week}")]
    NotPicked { entry: EntryId, week: IsoWeek },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The entries picked into a roundup, in post order.
fn pick_order(conn: &Connection, roundup_id: i64) -> rusqlite::Result<Vec<EntryId>> {
    let mut stmt = conn.prepare_cached(
        "SELECT entry_id FROM picks WHERE roundup_id = ?1
         ORDER BY position, created_at, entry_id",
    )?;
    let ids = stmt.query_map([roundup_id], |r| r.get(0))?;
    ids.collect()
}

/// Numbers the picks of a roundup 1..n in the order of `order` (every picked entry, once).
///
/// The order is decided here, in Rust, and written whole: renumbering in one SQL UPDATE whose
/// subquery reads the positions it is rewriting made duplicate and missing numbers, and moving
/// a pick down landed it one place short (issue 9, item 1).
fn set_pick_order(conn: &Connection, roundup_id: i64, order: &[EntryId]) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare_cached(
        "UPDATE picks SET position = ?3 WHERE roundup_id = ?1 AND entry_id = ?2
         AND position IS NOT ?3",
    )?;
    for (i, entry) in order.iter().enumerate() {
        stmt.execute(params![roundup_id, entry, i as i64 + 1])?;
    }
    Ok(())
}

/// `order` with `entry` moved to 1-based place `wanted` (clamped to the list; appended first
/// when absent).
fn moved(mut order: Vec<EntryId>, entry: EntryId, wanted: u32) -> Vec<EntryId> {
    order.retain(|e| *e != entry);
    let at = (wanted.max(1) as usize - 1).min(order.len());
    order.insert(at, entry);
    order
}

pub(super) fn read_picks(conn: &Connection, week: IsoWeek) -> rusqlite::Result<Vec<PickedItem>> {
    let decoders = super::dictionary::Decoders::of(conn);
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT p.position, p.section, p.lead, p.excerpt, p.note, d.*
         FROM picks p JOIN roundups r ON r.id = p.roundup_id
         JOIN ({ENTRY_DETAIL_SELECT}) d ON d.id = p.entry_id
         WHERE r.week = ?1 ORDER BY p.position"
    ))?;
    let rows = stmt.query_map([week], |r| {
        Ok(PickedItem {
            position: r.get(0)?,
            section: r.get(1)?,
            lead: r.get(2)?,
            excerpt: r.get(3)?,
            note: r.get(4)?,
            entry: entry_detail(r, 5, &decoders)?,
        })
    })?;
    rows.collect()
}

/// Takes `entry` out of `week`'s roundup, renumbering the rest; false when it was not picked
/// there.
fn remove_pick(
    tx: &Connection,
    week: IsoWeek,
    entry: EntryId,
    now: DateTime<Utc>,
) -> rusqlite::Result<bool> {
    let Some(r) = read_roundup(tx, week)? else {
        return Ok(false);
    };
    let removed = tx.execute(
        "DELETE FROM picks WHERE roundup_id = ?1 AND entry_id = ?2",
        params![r.id, entry],
    )?;
    if removed == 0 {
        return Ok(false);
    }
    set_pick_order(tx, r.id, &pick_order(tx, r.id)?)?;
    tx.execute("DELETE FROM triage WHERE entry_id = ?1 AND state = 'picked'", [entry])?;
    tx.execute("UPDATE roundups SET updated_at = ?2 WHERE id = ?1", params![r.id, rfc3339(now)])?;
    Ok(true)
}

impl Store {
    /// Picks `entry` into the roundup of `week` (or changes its pick there). Any stored entry may
    /// be picked into any week. Returns the pick as it now stands.
    pub(crate) fn pick(
        &mut self,
        week: IsoWeek,
        default_title: &str,
        entry: EntryId,
        change: &PickChange,
        now: DateTime<Utc>,
    ) -> Result<PickedItem, PickError> {
        let text = |s: &Option<String>| s.as_ref().map(|v| v.trim().to_string());
        self.write(|tx| {
            if read_entry(tx, entry)?.is_none() {
                return Err(Abort::Reason(PickError::NoEntry(entry)));
            }
            let r = ensure_roundup(tx, week, default_title, now)?;
            if let Some(expected) = change.expected_revision {
                let found: i64 = tx
                    .query_row(
                        "SELECT revision FROM picks WHERE roundup_id = ?1 AND entry_id = ?2",
                        params![r.id, entry],
                        |row| row.get(0),
                    )
                    .optional()?
                    // Taken out since: no revision matches.
                    .unwrap_or(0);
                if found != expected {
                    let what = format!("the pick of entry {entry} in {week}");
                    return Err(Abort::Reason(PickError::Store(StoreError::Stale {
                        what,
                        expected,
                        found,
                    })));
                }
            }
            // The words of a pick move its revision on; its place does not (a move elsewhere
            // must not refuse an edit of the lead-in).
            let words_changed = [&change.section, &change.lead, &change.excerpt, &change.note]
                .iter()
                .any(|f| f.is_some());
            let now_text = rfc3339(now);
            let count: u32 =
                tx.query_row("SELECT count(*) FROM picks WHERE roundup_id = ?1", [r.id], |row| {
                    row.get(0)
                })?;
            // A new pick goes last; a known one keeps its place. A field left out (NULL) keeps
            // its value; an empty one clears it.
            tx.execute(
                "INSERT INTO picks (roundup_id, entry_id, position, section, lead, excerpt, note,
                                    created_at, updated_at)
                 VALUES (?1, ?2, ?3, nullif(?4, ''), nullif(?5, ''), nullif(?6, ''),
                         nullif(?7, ''), ?8, ?8)
                 ON CONFLICT (roundup_id, entry_id) DO UPDATE SET
                    section = iif(?4 IS NULL, section, nullif(?4, '')),
                    lead = iif(?5 IS NULL, lead, nullif(?5, '')),
                    excerpt = iif(?6 IS NULL, excerpt, nullif(?6, '')),
                    note = iif(?7 IS NULL, note, nullif(?7, '')),
                    revision = revision + ?9,
                    updated_at = ?8",
                params![
                    r.id,
                    entry,
                    count + 1,
                    text(&change.section),
                    text(&change.lead),
                    text(&change.excerpt),
                    text(&change.note),
                    now_text,
                    i64::from(words_changed)
                ],
            )?;
            let order = pick_order(tx, r.id)?;
            let order = match change.position {
                // The others keep their order around it.
                Some(wanted) => moved(order, entry, wanted),
                None => order,
            };
            set_pick_order(tx, r.id, &order)?;
            tx.execute(
                "INSERT INTO triage (entry_id, state, week, decided_at)
                 VALUES (?1, 'picked', ?2, ?3)
                 ON CONFLICT (entry_id) DO UPDATE SET state = 'picked', week = ?2, decided_at = ?3",
                params![entry, week, now_text],
            )?;
            tx.execute(
                "UPDATE roundups SET updated_at = ?2 WHERE id = ?1",
                params![r.id, now_text],
            )?;
            let picked = read_picks(tx, week)?.into_iter().find(|p| p.entry.id == entry);
            Ok(picked.expect("the pick was just written"))
        })
    }

    /// Takes `entry` out of the roundup of `week`; it becomes a candidate again.
    pub(crate) fn unpick(
        &mut self,
        week: IsoWeek,
        entry: EntryId,
        now: DateTime<Utc>,
    ) -> Result<(), PickError> {
        self.write(|tx| {
            if remove_pick(tx, week, entry, now)? {
                Ok(())
            } else {
                Err(Abort::Reason(PickError::NotPicked { entry, week }))
            }
        })
    }

    /// Triages `entry` out: it is not shown as a candidate again (unpicked if it was picked).
    /// One transaction.
    pub(crate) fn skip(
        &mut self,
        week: IsoWeek,
        entry: EntryId,
        now: DateTime<Utc>,
    ) -> Result<(), PickError> {
        self.write(|tx| {
            if read_entry(tx, entry)?.is_none() {
                return Err(Abort::Reason(PickError::NoEntry(entry)));
            }
            remove_pick(tx, week, entry, now)?;
            tx.execute(
                "INSERT INTO triage (entry_id, state, week, decided_at)
                 VALUES (?1, 'skipped', ?2, ?3)
                 ON CONFLICT (entry_id) DO UPDATE SET state = 'skipped', week = ?2, decided_at = ?3",
                params![entry, week, rfc3339(now)],
            )?;
            Ok(())
        })
    }

    /// The revision of each pick of `week` (see [`PickChange::expected_revision`]).
    pub(crate) fn pick_revisions(&self, week: IsoWeek) -> Result<Vec<(EntryId, i64)>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT p.entry_id, p.revision FROM picks p JOIN roundups r ON r.id = p.roundup_id
                 WHERE r.week = ?1 ORDER BY p.position",
            )?;
            let rows = stmt.query_map([week], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect()
        })
    }

    /// The picks of `week`'s roundup, in order.
    pub(crate) fn picks(&self, week: IsoWeek) -> Result<Vec<PickedItem>, StoreError> {
        self.read(|c| read_picks(c, week))
    }

    /// The links picked in the (up to) `n` roundups before `week`, with their week: each pick's
    /// link as its feed gave it and, when its article page was read, the page's canonical link
    /// (the one the draft showed). Compare them with [`crate::links::post_key`].
    pub(crate) fn recently_featured(
        &self,
        week: IsoWeek,
        n: u32,
    ) -> Result<Vec<(IsoWeek, String)>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT r.week, e.url, nullif(pg.canonical_url, '') FROM picks p
                 JOIN roundups r ON r.id = p.roundup_id JOIN entries e ON e.id = p.entry_id
                 LEFT JOIN pages pg ON pg.url = e.url
                 WHERE e.url IS NOT NULL AND r.id IN
                     (SELECT id FROM roundups WHERE week < ?1 ORDER BY week DESC LIMIT ?2)
                 ORDER BY r.week DESC, p.position",
            )?;
            let rows = stmt.query_map(params![week, n], |r| {
                Ok((
                    r.get::<_, IsoWeek>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                ))
            })?;
            let mut links = Vec::new();
            for row in rows {
                let (week, url, canonical) = row?;
                if let Some(canonical) = canonical {
                    links.push((week, canonical));
                }
                links.push((week, url));
            }
            Ok(links)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_store_with;
    use crate::timefmt::parse_rfc3339;

    fn at(s: &str) -> DateTime<Utc> {
        parse_rfc3339(s).unwrap()
    }

    const WEEK: IsoWeek = IsoWeek { year: 2026, week: 48 };
    const W46: IsoWeek = IsoWeek { year: 2026, week: 46 };

    #[test]
    fn picks_keep_a_dense_order_and_positions_make_room() {
        let (_d, mut s) = test_store_with(&[
            ("a", "2026-11-24T09:00:00Z", "2026-11-24T10:00:00Z"),
            ("b", "2026-11-24T09:00:00Z", "2026-11-24T10:00:00Z"),
            ("c", "2026-11-24T09:00:00Z", "2026-11-24T10:00:00Z"),
        ]);
        let now = at("2026-11-26T12:00:00Z");
        for id in [1, 2, 3] {
            s.pick(WEEK, "T", EntryId(id), &PickChange::default(), now).unwrap();
        }
        let order =
            |s: &Store| s.picks(WEEK).unwrap().iter().map(|p| p.entry.id.0).collect::<Vec<_>>();
        assert_eq!(order(&s), [1, 2, 3]);
        let moved = PickChange {
            position: Some(1),
            note: Some("Worth a read.".into()),
            ..Default::default()
        };
        let p = s.pick(WEEK, "T", EntryId(3), &moved, now).unwrap();
        assert_eq!((p.position, p.note.as_deref()), (1, Some("Worth a read.")));
        assert_eq!(order(&s), [3, 1, 2]);
        s.unpick(WEEK, EntryId(1), now).unwrap();
        let picks = s.picks(WEEK).unwrap();
        assert_eq!(picks.iter().map(|p| p.position).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(order(&s), [3, 2]);
        // Changing one field leaves the others.
        s.pick(
            WEEK,
            "T",
            EntryId(3),
            &PickChange { lead: Some("Lead".into()), ..Default::default() },
            now,
        )
        .unwrap();
        let p = &s.picks(WEEK).unwrap()[0];
        assert_eq!((p.lead.as_deref(), p.note.as_deref()), (Some("Lead"), Some("Worth a read.")));
        assert!(matches!(s.unpick(WEEK, EntryId(1), now), Err(PickError::NotPicked { .. })));
        assert!(matches!(
            s.pick(WEEK, "T", EntryId(99), &PickChange::default(), now),
            Err(PickError::NoEntry(EntryId(99)))
        ));
    }

    /// Issue 12: an edit made from a stale page is refused and changes nothing; a move is not
    /// an edit of the words and does not make a page stale.
    #[test]
    fn an_edit_from_a_stale_revision_is_refused_and_changes_nothing() {
        let (_d, mut s) = test_store_with(&[
            ("a", "2026-11-24T09:00:00Z", "2026-11-24T10:00:00Z"),
            ("b", "2026-11-24T09:00:00Z", "2026-11-24T10:00:00Z"),
        ]);
        let now = at("2026-11-26T12:00:00Z");
        s.pick(WEEK, "T", EntryId(1), &PickChange::default(), now).unwrap();
        s.pick(WEEK, "T", EntryId(2), &PickChange::default(), now).unwrap();
        let rev = |s: &Store| {
            s.pick_revisions(WEEK).unwrap().into_iter().find(|r| r.0 == EntryId(1)).unwrap().1
        };
        let seen = rev(&s);
        let lead = |text: &str, expected| PickChange {
            lead: Some(text.into()),
            expected_revision: Some(expected),
            ..Default::default()
        };
        s.pick(WEEK, "T", EntryId(1), &at_position(2), now).unwrap();
        assert_eq!(rev(&s), seen, "a move keeps the revision");
        s.pick(WEEK, "T", EntryId(1), &lead("First tab.", seen), now).unwrap();
        let err = s.pick(WEEK, "T", EntryId(1), &lead("Second tab.", seen), now).unwrap_err();
        assert!(matches!(&err, PickError::Store(e) if e.is_stale()), "{err}");
        assert_eq!(s.picks(WEEK).unwrap()[1].lead.as_deref(), Some("First tab."));
        s.unpick(WEEK, EntryId(1), now).unwrap();
        let err = s.pick(WEEK, "T", EntryId(1), &lead("Gone.", seen + 1), now).unwrap_err();
        assert!(matches!(&err, PickError::Store(e) if e.is_stale()), "taken out: {err}");
        assert_eq!(order(&s), [2], "nothing was picked back");
    }

    #[test]
    fn links_featured_in_the_last_roundups_are_found() {
        let (_d, mut s) = test_store_with(&[
            ("a", "2026-11-10T09:00:00Z", "2026-11-10T10:00:00Z"),
            ("b", "2026-11-24T09:00:00Z", "2026-11-24T10:00:00Z"),
        ]);
        s.pick(W46, "T", EntryId(1), &PickChange::default(), Utc::now()).unwrap();
        s.pick(WEEK, "T", EntryId(2), &PickChange::default(), Utc::now()).unwrap();
        let seen = s.recently_featured(WEEK, 10).unwrap();
        assert_eq!(seen, [(W46, "https://lgiu.example/a".to_string())]);
        assert!(s.recently_featured(W46, 10).unwrap().is_empty());
    }

    fn order(s: &Store) -> Vec<i64> {
        s.picks(WEEK).unwrap().iter().map(|p| p.entry.id.0).collect()
    }

    fn positions(s: &Store) -> Vec<u32> {
        s.picks(WEEK).unwrap().iter().map(|p| p.position).collect()
    }

    fn at_position(position: u32) -> PickChange {
        PickChange { position: Some(position), ..Default::default() }
    }

    /// Issue 9, item 1: with 7 picks, `pick 1 --position 4` gave `1. 2 / 3. 1 / 3. 3 / 4. …`.
    #[test]
    fn moving_a_pick_down_puts_it_exactly_there() {
        let entries: Vec<String> = (1..=7).map(|i| format!("e{i}")).collect();
        let rows: Vec<(&str, &str, &str)> = entries
            .iter()
            .map(|e| (e.as_str(), "2026-11-24T09:00:00Z", "2026-11-24T10:00:00Z"))
            .collect();
        let (_d, mut s) = test_store_with(&rows);
        let now = at("2026-11-26T12:00:00Z");
        for id in 1..=7 {
            s.pick(WEEK, "T", EntryId(id), &PickChange::default(), now).unwrap();
        }
        let p = s.pick(WEEK, "T", EntryId(1), &at_position(4), now).unwrap();
        assert_eq!(p.position, 4);
        assert_eq!(order(&s), [2, 3, 4, 1, 5, 6, 7]);
        assert_eq!(positions(&s), [1, 2, 3, 4, 5, 6, 7]);
        s.pick(WEEK, "T", EntryId(2), &at_position(2), now).unwrap();
        assert_eq!(order(&s), [3, 2, 4, 1, 5, 6, 7], "one place down");
        s.pick(WEEK, "T", EntryId(7), &at_position(99), now).unwrap();
        assert_eq!(order(&s), [3, 2, 4, 1, 5, 6, 7], "past the end is last");
        s.pick(WEEK, "T", EntryId(7), &at_position(0), now).unwrap();
        assert_eq!(order(&s), [7, 3, 2, 4, 1, 5, 6], "0 is first");
        assert_eq!(positions(&s), [1, 2, 3, 4, 5, 6, 7]);
    }

    /// One editor action, as the CLI and the picker send them.
    #[derive(Debug, Clone)]
    enum Op {
        Pick(i64),
        PickAt(i64, u32),
        Unpick(i64),
        Skip(i64),
    }

    fn op() -> impl proptest::strategy::Strategy<Value = Op> {
        use proptest::prelude::*;
        prop_oneof![
            (1..=8i64).prop_map(Op::Pick),
            (1..=8i64, 0..=10u32).prop_map(|(e, p)| Op::PickAt(e, p)),
            (1..=8i64).prop_map(Op::Unpick),
            (1..=8i64).prop_map(Op::Skip),
        ]
    }

    /// What the post order should be after `op`: a plain list.
    fn model(mut order: Vec<i64>, op: &Op) -> Vec<i64> {
        match *op {
            Op::Pick(e) => {
                if !order.contains(&e) {
                    order.push(e);
                }
            }
            Op::PickAt(e, wanted) => {
                order.retain(|x| *x != e);
                let at = (wanted.max(1) as usize - 1).min(order.len());
                order.insert(at, e);
            }
            Op::Unpick(e) | Op::Skip(e) => order.retain(|x| *x != e),
        }
        order
    }

    #[test]
    fn positions_stay_1_to_n_in_the_models_order_after_any_sequence() {
        use proptest::prelude::*;
        use proptest::test_runner::{Config, TestRunner};
        let rows: Vec<(String, &str, &str)> = (1..=8)
            .map(|i| (format!("e{i}"), "2026-11-24T09:00:00Z", "2026-11-24T10:00:00Z"))
            .collect();
        let rows: Vec<(&str, &str, &str)> =
            rows.iter().map(|(e, p, f)| (e.as_str(), *p, *f)).collect();
        // One database for every case; each case works in a week of its own.
        let (_d, store) = test_store_with(&rows);
        let store = std::cell::RefCell::new(store);
        let next_week = std::cell::Cell::new(0u32);
        let mut runner =
            TestRunner::new(Config { cases: 1000, failure_persistence: None, ..Config::default() });
        runner
            .run(&proptest::collection::vec(op(), 1..25), |ops| {
                let n = next_week.get();
                next_week.set(n + 1);
                let week = IsoWeek { year: 2000 + (n / 52) as i32, week: n % 52 + 1 };
                let mut s = store.borrow_mut();
                let now = at("2026-11-26T12:00:00Z");
                let mut expected: Vec<i64> = Vec::new();
                for op in &ops {
                    match *op {
                        Op::Pick(e) => {
                            drop(s.pick(week, "T", EntryId(e), &PickChange::default(), now))
                        }
                        Op::PickAt(e, p) => {
                            drop(s.pick(week, "T", EntryId(e), &at_position(p), now))
                        }
                        Op::Unpick(e) => drop(s.unpick(week, EntryId(e), now)),
                        Op::Skip(e) => s.skip(week, EntryId(e), now).unwrap(),
                    }
                    expected = model(expected, op);
                    let picks = s.picks(week).unwrap();
                    let got: Vec<i64> = picks.iter().map(|p| p.entry.id.0).collect();
                    let numbers: Vec<u32> = picks.iter().map(|p| p.position).collect();
                    let dense: Vec<u32> = (1..=u32::try_from(picks.len()).unwrap()).collect();
                    prop_assert_eq!(&numbers, &dense, "after {:?}", op);
                    prop_assert_eq!(&got, &expected, "after {:?}", op);
                }
                Ok(())
            })
            .unwrap();
        assert!(next_week.get() >= 1000, "ran {} sequences", next_week.get());
    }
}
