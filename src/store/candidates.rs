//! The week's candidates: the entries an editor chooses from, with what was decided about
//! each. What counts as the week's is decided here, in one query.

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::sql::time;
use super::{Store, StoreError};
use crate::model::{Candidate, Triage};
use crate::timefmt::rfc3339;

impl Store {
    /// The candidates of the week `[start, end)`: entries filed in it, plus entries dated earlier
    /// that were first seen in it (they arrived late) and were never triaged. Skipped entries are
    /// left out unless `include_skipped`. Newest first.
    pub fn candidates(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        include_skipped: bool,
    ) -> Result<Vec<Candidate>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare(
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
            )?;
            let rows =
                stmt.query_map(params![rfc3339(start), rfc3339(end), include_skipped], |r| {
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
                        published: time(r, 6)?,
                        dated_by: r.get(7)?,
                        triage,
                        triage_week: r.get(9)?,
                        late: r.get(10)?,
                    })
                })?;
            rows.collect()
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

    const WEEK: crate::week::IsoWeek = crate::week::IsoWeek { year: 2026, week: 48 };
    fn bounds() -> (DateTime<Utc>, DateTime<Utc>) {
        (at("2026-11-23T00:00:00Z"), at("2026-11-30T00:00:00Z"))
    }

    fn ids(c: &[Candidate]) -> Vec<i64> {
        c.iter().map(|c| c.id).collect()
    }

    #[test]
    fn candidates_are_the_weeks_entries_plus_late_arrivals_never_triaged() {
        let (_d, mut s) = test_store_with(&[
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
}
