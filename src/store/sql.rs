//! The SQL forms of the domain's types: how an ISO week, a roundup's status, an entry's
//! dating and a timestamp are stored, and how they read back. A stored value that does not
//! read back is a conversion error naming the column, not a silent default.
//!
//! Timestamps are stored as RFC 3339 text (`timefmt::rfc3339`: UTC, whole seconds, fixed
//! width, so text order is time order); chrono's types are foreign to rusqlite and to us, so
//! they are read through [`time`] rather than a `FromSql` impl.

use chrono::{DateTime, Utc};
use rusqlite::Row;
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

use crate::model::{DatedBy, EntryId, FeedId, RoundupStatus};
use crate::timefmt::parse_rfc3339;
use crate::week::IsoWeek;

fn text<'a>(value: ValueRef<'a>) -> FromSqlResult<&'a str> {
    value.as_str()
}

fn unreadable(what: &str, found: &str) -> FromSqlError {
    FromSqlError::Other(format!("{found:?} is not {what}").into())
}

impl ToSql for IsoWeek {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.to_string()))
    }
}

impl FromSql for IsoWeek {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let s = text(value)?;
        IsoWeek::parse(s).map_err(|_| unreadable("an ISO week", s))
    }
}

impl ToSql for RoundupStatus {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl FromSql for RoundupStatus {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        match text(value)? {
            "draft" => Ok(RoundupStatus::Draft),
            "published" => Ok(RoundupStatus::Published),
            other => Err(unreadable("a roundup status", other)),
        }
    }
}

impl ToSql for DatedBy {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl FromSql for DatedBy {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        match text(value)? {
            "published" => Ok(DatedBy::Published),
            "updated" => Ok(DatedBy::Updated),
            "first_seen" => Ok(DatedBy::FirstSeen),
            other => Err(unreadable("an entry's dating", other)),
        }
    }
}

impl ToSql for EntryId {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.0))
    }
}

impl FromSql for EntryId {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        i64::column_result(value).map(EntryId)
    }
}

impl ToSql for FeedId {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl FromSql for FeedId {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        String::column_result(value).map(FeedId)
    }
}

/// Column `idx` as a timestamp.
pub(super) fn time(r: &Row<'_>, idx: usize) -> rusqlite::Result<DateTime<Utc>> {
    let s: String = r.get(idx)?;
    parse_rfc3339(&s).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            idx,
            rusqlite::types::Type::Text,
            unreadable("an RFC 3339 time", &s).into(),
        )
    })
}

/// Column `idx` as a timestamp, or `None` when NULL.
pub(super) fn optional_time(r: &Row<'_>, idx: usize) -> rusqlite::Result<Option<DateTime<Utc>>> {
    match r.get_ref(idx)? {
        ValueRef::Null => Ok(None),
        _ => time(r, idx).map(Some),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    #[test]
    fn domain_values_read_back_what_they_write() {
        let c = Connection::open_in_memory().unwrap();
        let week = IsoWeek::parse("2026-W05").unwrap();
        let (w, s, d): (IsoWeek, RoundupStatus, DatedBy) = c
            .query_row(
                "SELECT ?1, ?2, ?3",
                rusqlite::params![week, RoundupStatus::Published, DatedBy::FirstSeen],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!((w, s, d), (week, RoundupStatus::Published, DatedBy::FirstSeen));
        let t = c.query_row("SELECT '2026-11-24T09:00:00Z'", [], |r| time(r, 0)).unwrap();
        assert_eq!(crate::timefmt::rfc3339(t), "2026-11-24T09:00:00Z");
    }

    #[test]
    fn entry_ids_are_stored_as_integers() {
        let c = Connection::open_in_memory().unwrap();
        let (id, kind): (EntryId, String) = c
            .query_row("SELECT ?1, typeof(?1)", [EntryId(42)], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap();
        assert_eq!((id, kind.as_str()), (EntryId(42), "integer"));
    }

    #[test]
    fn feed_ids_are_stored_as_text() {
        let c = Connection::open_in_memory().unwrap();
        let (id, kind): (FeedId, String) = c
            .query_row("SELECT ?1, typeof(?1)", [FeedId::from("lgiu")], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!((id.as_str(), kind.as_str()), ("lgiu", "text"));
    }

    #[test]
    fn unreadable_values_are_errors_naming_what_was_expected() {
        let c = Connection::open_in_memory().unwrap();
        let e = c.query_row("SELECT '2026-W60'", [], |r| r.get::<_, IsoWeek>(0)).unwrap_err();
        assert!(e.to_string().contains("not an ISO week"), "{e}");
        let e = c.query_row("SELECT 'yesterday'", [], |r| time(r, 0)).unwrap_err();
        assert!(e.to_string().contains("not an RFC 3339 time"), "{e}");
        assert_eq!(c.query_row("SELECT NULL", [], |r| optional_time(r, 0)).unwrap(), None);
    }
}
