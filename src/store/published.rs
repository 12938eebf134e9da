//! Published roundups: publishing freezes a roundup (status `published`) and stores a snapshot of
//! exactly what was published (its fields and its picks with their entries' data), so that later
//! fetches that change an entry do not change a published page or feed entry. Re-publishing (a
//! correction) takes a new snapshot, keeps the first publication time and moves the last one on
//! only when the snapshot changed (issue 10, item 4: re-publishing an unchanged week must not
//! make feed readers see it as updated).

use chrono::{DateTime, Duration, Utc};
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::picks::read_picks;
use super::roundups::read_roundup;
use super::{Abort, Store, StoreError};
use crate::model::RoundupStatus;
use crate::model::{DatedBy, EntryDetail, EntryId, FeedId, PickedItem, Roundup};
use crate::timefmt::{parse_rfc3339, rfc3339};
use crate::week::IsoWeek;

/// Why a roundup could not be published.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PublishError {
    /// Nothing is picked in the week (or the week's roundup was never started).
    #[error(
        "the {0} roundup has no picks; pick at least one entry (`roundup pick ENTRY --week {0}`) before publishing"
    )]
    NoPicks(IsoWeek),
    /// A stored snapshot does not read back.
    #[error("the stored snapshot of the {week} roundup is unreadable: {source}")]
    Corrupt {
        week: IsoWeek,
        #[source]
        source: serde_json::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A roundup as it was published: its own fields and its picks, in post order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Snapshot {
    /// The ISO week, e.g. `2026-W48`.
    pub week: IsoWeek,
    pub title: String,
    pub intro: Option<String>,
    pub outro: Option<String>,
    pub tags: Vec<String>,
    pub categories: Vec<String>,
    pub items: Vec<SnapshotItem>,
}

/// One pick as published.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotItem {
    pub position: u32,
    pub section: Option<String>,
    pub lead: Option<String>,
    pub excerpt: Option<String>,
    pub note: Option<String>,
    pub entry: SnapshotEntry,
}

/// The entry data a published pick shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotEntry {
    /// The entry's id in this database (stable: picked entries are never deleted).
    pub id: i64,
    pub feed: String,
    /// The original blog's name.
    pub outlet: String,
    /// The original blog's site.
    pub outlet_url: Option<String>,
    pub title: Option<String>,
    pub url: Option<String>,
    pub author: Option<String>,
    /// The date the entry is filed under (RFC 3339 in the persisted form).
    pub published: DateTime<Utc>,
    pub summary_html: Option<String>,
}

impl From<&PickedItem> for SnapshotItem {
    fn from(p: &PickedItem) -> SnapshotItem {
        let e = &p.entry;
        SnapshotItem {
            position: p.position,
            section: p.section.clone(),
            lead: p.lead.clone(),
            excerpt: p.excerpt.clone(),
            note: p.note.clone(),
            entry: SnapshotEntry {
                id: e.id.0,
                feed: e.feed.to_string(),
                outlet: e.outlet.clone(),
                outlet_url: e.outlet_url.clone(),
                title: e.title.clone(),
                url: e.url.clone(),
                author: e.author.clone(),
                published: e.published,
                summary_html: e.summary_html.clone(),
            },
        }
    }
}

impl From<&SnapshotItem> for PickedItem {
    /// The renderer's item: what was not frozen is empty (no content, no text), and the entry
    /// counts as dated and first seen when it was published.
    fn from(i: &SnapshotItem) -> PickedItem {
        let e = &i.entry;
        PickedItem {
            position: i.position,
            section: i.section.clone(),
            lead: i.lead.clone(),
            excerpt: i.excerpt.clone(),
            note: i.note.clone(),
            entry: EntryDetail {
                id: EntryId(e.id),
                feed: FeedId(e.feed.clone()),
                outlet: e.outlet.clone(),
                outlet_url: e.outlet_url.clone(),
                title: e.title.clone(),
                url: e.url.clone(),
                author: e.author.clone(),
                published: e.published,
                dated_by: DatedBy::Published,
                first_seen: e.published,
                summary_html: e.summary_html.clone(),
                content_html: None,
                text: String::new(),
            },
        }
    }
}

impl Snapshot {
    /// The snapshot of `roundup` with `items`.
    pub(crate) fn of(roundup: &Roundup, items: &[PickedItem]) -> Snapshot {
        Snapshot {
            week: roundup.week,
            title: roundup.title.clone(),
            intro: roundup.intro.clone(),
            outro: roundup.outro.clone(),
            tags: roundup.tags.clone(),
            categories: roundup.categories.clone(),
            items: items.iter().map(SnapshotItem::from).collect(),
        }
    }

    /// The snapshot as the renderer's roundup (status `published`).
    pub(crate) fn roundup(&self, published_at: DateTime<Utc>) -> Roundup {
        Roundup {
            id: 0,
            week: self.week,
            title: self.title.clone(),
            intro: self.intro.clone(),
            outro: self.outro.clone(),
            tags: self.tags.clone(),
            categories: self.categories.clone(),
            status: RoundupStatus::Published,
            published_at: Some(published_at),
        }
    }

    /// The snapshot's picks as the renderer's items.
    pub(crate) fn items(&self) -> Vec<PickedItem> {
        self.items.iter().map(PickedItem::from).collect()
    }

    /// Every text field passed through `f` (e.g. to strip characters a format forbids). Walks
    /// the persisted form, so a field added to the snapshot is never missed.
    pub(crate) fn map_text(&self, f: &dyn Fn(&str) -> String) -> Snapshot {
        fn walk(v: &mut serde_json::Value, f: &dyn Fn(&str) -> String) {
            match v {
                serde_json::Value::String(s) => *s = f(s),
                serde_json::Value::Array(a) => a.iter_mut().for_each(|v| walk(v, f)),
                serde_json::Value::Object(o) => o.values_mut().for_each(|v| walk(v, f)),
                _ => {}
            }
        }
        let mut value = serde_json::to_value(self).expect("a snapshot serialises");
        walk(&mut value, f);
        serde_json::from_value(value).expect("only strings changed, each to a string")
    }
}

/// A published roundup.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Published {
    pub week: IsoWeek,
    /// First publication (kept when a correction is re-published).
    pub published_at: DateTime<Utc>,
    /// Last publication: the feeds' `updated`.
    pub updated_at: DateTime<Utc>,
    pub snapshot: Snapshot,
}

/// What `publish` did.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PublishOutcome {
    pub published: Published,
    /// It had been published before: this was a correction.
    pub republished: bool,
    /// What readers see changed: a first publication, or a correction whose snapshot differs
    /// from the last one (`false`: `updated_at` was kept).
    pub changed: bool,
}

fn time(s: String) -> DateTime<Utc> {
    parse_rfc3339(&s).unwrap_or(DateTime::UNIX_EPOCH)
}

impl Store {
    /// Publishes the roundup of `week` at `now`: status `published`, first publication time kept,
    /// last publication time set when the snapshot changed (always later than the previous one,
    /// by a second at least, so feed readers see a correction as newer) and kept when it did
    /// not, and a snapshot of its fields and picks stored.
    pub(crate) fn publish(
        &mut self,
        week: IsoWeek,
        now: DateTime<Utc>,
    ) -> Result<PublishOutcome, PublishError> {
        self.write(|tx| {
            let no_picks = || Abort::Reason(PublishError::NoPicks(week));
            let roundup = read_roundup(tx, week)?.ok_or_else(no_picks)?;
            let items = read_picks(tx, week)?;
            if items.is_empty() {
                return Err(no_picks());
            }
            let snapshot = Snapshot::of(&roundup, &items);
            let json = serde_json::to_string(&snapshot).expect("a snapshot serialises");
            let before: Option<(String, String, String)> = tx
                .query_row(
                    "SELECT published_at, updated_at, snapshot FROM published
                     WHERE roundup_id = ?1",
                    [roundup.id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            let (published_at, updated_at, changed) = match &before {
                Some((first, last, old)) => {
                    let last = time(last.clone());
                    let same = serde_json::from_str::<Snapshot>(old).is_ok_and(|o| o == snapshot);
                    let updated = if same { last } else { now.max(last + Duration::seconds(1)) };
                    (time(first.clone()), updated, !same)
                }
                None => (now, now, true),
            };
            tx.execute(
                "INSERT INTO published (roundup_id, week, published_at, updated_at, snapshot)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (roundup_id) DO UPDATE SET updated_at = ?4, snapshot = ?5",
                params![roundup.id, week, rfc3339(published_at), rfc3339(updated_at), json],
            )?;
            tx.execute(
                "UPDATE roundups SET status = 'published',
                     published_at = coalesce(published_at, ?2), updated_at = ?3
                 WHERE id = ?1",
                params![roundup.id, rfc3339(published_at), rfc3339(now)],
            )?;
            Ok(PublishOutcome {
                published: Published { week, published_at, updated_at, snapshot },
                republished: before.is_some(),
                changed,
            })
        })
    }

    /// Every published roundup, newest first (first publication time, then week, descending).
    pub(crate) fn published(&self) -> Result<Vec<Published>, PublishError> {
        let rows: Vec<(IsoWeek, String, String, String)> = self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT p.week, p.published_at, p.updated_at, p.snapshot
                 FROM published p JOIN roundups r ON r.id = p.roundup_id
                 WHERE r.status = 'published'
                 ORDER BY p.published_at DESC, p.week DESC",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
            rows.collect()
        })?;
        let mut out = Vec::new();
        for (week, first, last, json) in rows {
            let snapshot = serde_json::from_str(&json)
                .map_err(|source| PublishError::Corrupt { week, source })?;
            out.push(Published {
                week,
                published_at: time(first),
                updated_at: time(last),
                snapshot,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DatedBy, EntryRecord, FeedPoll, PickChange, PollResult};

    const W48: IsoWeek = IsoWeek { year: 2024, week: 48 };

    fn at(s: &str) -> DateTime<Utc> {
        parse_rfc3339(s).unwrap()
    }

    fn store() -> (tempfile::TempDir, Store) {
        let (dir, mut s) = crate::store::test_store(at("2024-11-25T00:00:00Z"));
        let entry = EntryRecord {
            identity: "a".into(),
            url: Some("https://lgiu.example/a".into()),
            title: Some("Budgets".into()),
            author: None,
            published: at("2024-11-26T09:00:00Z"),
            dated_by: DatedBy::Published,
            updated: None,
            summary_html: None,
            content_html: None,
            text: "Some text.".into(),
            categories: vec![],
            content_hash: "h".into(),
        };
        let mut poll = FeedPoll::stored(
            "lgiu",
            "https://lgiu.example/feed",
            at("2024-11-26T10:00:00Z"),
            vec![entry],
        );
        if let PollResult::Stored { title, site_url, .. } = &mut poll.result {
            *title = Some("LGIU blog".into());
            *site_url = Some("https://lgiu.example/".into());
        }
        s.record_poll(&poll).unwrap();
        (dir, s)
    }

    #[test]
    fn a_week_without_picks_is_not_published() {
        let (_dir, mut s) = store();
        let e = s.publish(W48, at("2024-12-01T10:00:00Z")).unwrap_err();
        assert!(matches!(e, PublishError::NoPicks(_)), "{e}");
        s.roundup(W48, "T", at("2024-12-01T10:00:00Z")).unwrap();
        assert!(matches!(
            s.publish(W48, at("2024-12-01T10:00:00Z")),
            Err(PublishError::NoPicks(_))
        ));
        assert!(s.published().unwrap().is_empty());
    }

    #[test]
    fn republishing_keeps_the_first_time_and_moves_the_last_one_on() {
        let (_dir, mut s) = store();
        let id = s.entries(&Default::default()).unwrap()[0].id;
        s.pick(W48, "T", id, &PickChange::default(), at("2024-12-01T09:00:00Z")).unwrap();
        let first = s.publish(W48, at("2024-12-01T10:00:00Z")).unwrap();
        assert!(!first.republished);
        assert_eq!(s.find_roundup(W48).unwrap().unwrap().status, RoundupStatus::Published);
        // Nothing changed: the last time stays.
        let same = s.publish(W48, at("2024-12-01T11:00:00Z")).unwrap();
        assert!(same.republished && !same.changed);
        assert_eq!(same.published.updated_at, at("2024-12-01T10:00:00Z"));
        // Same second: still strictly later.
        let edit = crate::model::RoundupEdit { title: Some("T2".into()), ..Default::default() };
        s.edit_roundup(W48, "T", &edit, at("2024-12-01T10:30:00Z")).unwrap();
        let again = s.publish(W48, at("2024-12-01T10:00:00Z")).unwrap();
        assert!(again.republished && again.changed);
        assert_eq!(again.published.published_at, at("2024-12-01T10:00:00Z"));
        assert_eq!(again.published.updated_at, at("2024-12-01T10:00:01Z"));
        let all = s.published().unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].snapshot.items[0].entry.title.as_deref(), Some("Budgets"));
        assert_eq!(all[0].snapshot.items[0].entry.outlet, "LGIU");
    }
}
