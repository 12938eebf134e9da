//! Roundup rows: the week's post and its own fields (title, intro, outro, tags, categories). A
//! roundup row is made on first use. Picks live in `picks`, the week's candidates in
//! `candidates`.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::sql::optional_time;
use super::{Abort, Store, StoreError};
use crate::model::{Roundup, RoundupEdit};
use crate::timefmt::rfc3339;
use crate::week::IsoWeek;

fn json_list(s: String) -> Vec<String> {
    serde_json::from_str(&s).unwrap_or_default()
}

pub(super) fn read_roundup(conn: &Connection, week: IsoWeek) -> rusqlite::Result<Option<Roundup>> {
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
                published_at: optional_time(r, 8)?,
            })
        },
    )
    .optional()
}

/// The roundup of `week`, made (as a draft titled `title`) if it does not exist yet.
pub(super) fn ensure_roundup(
    conn: &Connection,
    week: IsoWeek,
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

fn read_revision(conn: &Connection, roundup_id: i64) -> rusqlite::Result<i64> {
    conn.query_row("SELECT revision FROM roundups WHERE id = ?1", [roundup_id], |r| r.get(0))
}

impl Store {
    /// The revision of `week`'s roundup (see [`RoundupEdit::expected_revision`]); `None` when
    /// it has not been started.
    pub(crate) fn roundup_revision(&self, week: IsoWeek) -> Result<Option<i64>, StoreError> {
        self.read(|c| {
            c.query_row("SELECT revision FROM roundups WHERE week = ?1", [week], |r| r.get(0))
                .optional()
        })
    }

    /// The roundup of `week`, if it has been started.
    pub(crate) fn find_roundup(&self, week: IsoWeek) -> Result<Option<Roundup>, StoreError> {
        self.read(|c| read_roundup(c, week))
    }

    /// The roundup of `week`, started as a draft titled `default_title` if need be.
    pub(crate) fn roundup(
        &mut self,
        week: IsoWeek,
        default_title: &str,
        now: DateTime<Utc>,
    ) -> Result<Roundup, StoreError> {
        self.write(|tx| Ok(ensure_roundup(tx, week, default_title, now)?))
    }

    /// Changes the roundup's own fields.
    pub(crate) fn edit_roundup(
        &mut self,
        week: IsoWeek,
        default_title: &str,
        edit: &RoundupEdit,
        now: DateTime<Utc>,
    ) -> Result<Roundup, StoreError> {
        let blank = |s: &Option<String>| s.as_ref().map(|v| v.trim().to_string());
        let list = |l: &Option<Vec<String>>| {
            l.as_ref().map(|v| serde_json::to_string(v).expect("strings serialise"))
        };
        self.write(|tx| {
            let r = ensure_roundup(tx, week, default_title, now)?;
            if let Some(expected) = edit.expected_revision {
                let found = read_revision(tx, r.id)?;
                if found != expected {
                    let what = format!("the roundup of {week}");
                    return Err(Abort::Reason(StoreError::Stale { what, expected, found }));
                }
            }
            tx.execute(
                "UPDATE roundups SET
                    title = coalesce(nullif(?2, ''), title),
                    intro = iif(?3 IS NULL, intro, nullif(?3, '')),
                    outro = iif(?4 IS NULL, outro, nullif(?4, '')),
                    tags = coalesce(?5, tags),
                    categories = coalesce(?6, categories),
                    revision = revision + 1,
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
            )?;
            Ok(read_roundup(tx, week)?.expect("exists"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_store_with;

    const WEEK: IsoWeek = IsoWeek { year: 2026, week: 48 };

    #[test]
    fn editing_a_roundup_sets_and_clears_fields() {
        let (_d, mut s) = test_store_with(&[]);
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
    fn a_roundup_edit_from_a_stale_revision_is_refused() {
        let (_d, mut s) = test_store_with(&[]);
        let now = Utc::now();
        s.roundup(WEEK, "T", now).unwrap();
        let seen = s.roundup_revision(WEEK).unwrap().unwrap();
        let intro = |text: &str| RoundupEdit {
            intro: Some(text.into()),
            expected_revision: Some(seen),
            ..Default::default()
        };
        s.edit_roundup(WEEK, "T", &intro("Mine."), now).unwrap();
        let err = s.edit_roundup(WEEK, "T", &intro("Theirs."), now).unwrap_err();
        assert!(err.is_stale(), "{err}");
        assert_eq!(s.find_roundup(WEEK).unwrap().unwrap().intro.as_deref(), Some("Mine."));
        assert_eq!(s.roundup_revision(WEEK).unwrap(), Some(seen + 1));
    }
}
