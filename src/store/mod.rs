//! The SQLite store: one file, opened with WAL, foreign keys and a busy timeout; migrated on
//! `user_version`; refused when newer than this binary. Split by domain: `feeds`, `entries`.
//!
//! Owns rusqlite. There is one way to write: [`Store::write`], an IMMEDIATE transaction (the
//! write lock is taken at BEGIN, so a busy database is waited for with the busy timeout instead
//! of failing when a read must upgrade), with any SQLite error mapped once, naming the file.
//! Reads go through [`Store::read`], which maps errors the same way.

mod candidates;
mod entries;
mod feeds;
pub mod migrations;
mod pages;
mod picks;
pub mod published;
mod roundups;
mod sql;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, Transaction, TransactionBehavior};

pub use entries::{EntryFilter, EntryRow};
pub use feeds::{FeedListing, FeedState};
pub use pages::PageRow;
pub use picks::PickError;

/// `PRAGMA application_id` of a roundup database ("RNDP").
pub const APPLICATION_ID: i64 = 0x524E_4450;

/// A storage failure, naming the database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database {path}: {source}")]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error(
        "database {path} has schema version {found}, newer than this roundup understands ({known}); \
         upgrade roundup (the database is left untouched)"
    )]
    TooNew { path: PathBuf, found: i64, known: i64 },
    #[error("{path} is not a roundup database (it holds other tables); pass another with --db")]
    Foreign { path: PathBuf },
    #[error(
        "database {path}: migration to schema version {step} failed: {problem} (the database \
         is left at the version before)"
    )]
    Migration { path: PathBuf, step: i64, problem: String },
    #[error("cannot create the folder for database {path}: {source}")]
    Folder {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Why a write transaction ended without committing: SQLite failed, or the caller found a
/// reason of its own (`E`) to roll back.
pub(crate) enum Abort<E> {
    Sqlite(rusqlite::Error),
    Reason(E),
}

impl<E> From<rusqlite::Error> for Abort<E> {
    fn from(e: rusqlite::Error) -> Self {
        Abort::Sqlite(e)
    }
}

/// The open database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) and migrates the database at `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|source| StoreError::Folder { path: path.to_path_buf(), source })?;
        }
        let conn = Connection::open(path)
            .map_err(|source| StoreError::Sqlite { path: path.to_path_buf(), source })?;
        let mut store = Store { conn, path: path.to_path_buf() };
        store.read(|c| c.busy_timeout(Duration::from_secs(10)))?;
        // Refuse a database that is not ours to change before anything (even the journal
        // mode) is written to it.
        let version = store.refuse_unusable()?;
        store.configure()?;
        store.migrate(version)?;
        Ok(store)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        |source| StoreError::Sqlite { path: self.path.clone(), source }
    }

    /// Runs `read` on the connection, naming the database in its error.
    pub(crate) fn read<T>(
        &self,
        read: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        read(&self.conn).map_err(self.err())
    }

    /// Runs `write` in one IMMEDIATE transaction: committed when it returns `Ok`, rolled back
    /// when it returns an error. SQLite's errors come back as [`StoreError`] naming the
    /// database (through `E: From<StoreError>`); a [`Abort::Reason`] comes back as it is.
    pub(crate) fn write<T, E: From<StoreError>>(
        &mut self,
        write: impl FnOnce(&Transaction<'_>) -> Result<T, Abort<E>>,
    ) -> Result<T, E> {
        let path = &self.path;
        let sqlite = |source| E::from(StoreError::Sqlite { path: path.clone(), source });
        let tx =
            self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sqlite)?;
        match write(&tx) {
            Ok(value) => {
                tx.commit().map_err(sqlite)?;
                Ok(value)
            }
            // Dropping the transaction rolls it back.
            Err(Abort::Sqlite(source)) => Err(sqlite(source)),
            Err(Abort::Reason(reason)) => Err(reason),
        }
    }

    fn configure(&mut self) -> Result<(), StoreError> {
        let mode: String = self.read(|c| {
            c.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;")?;
            c.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        })?;
        debug_assert!(mode.eq_ignore_ascii_case("wal") || mode.eq_ignore_ascii_case("memory"));
        Ok(())
    }

    /// The database's schema version, or an error when it is newer than this binary or belongs
    /// to another program. Reads only.
    fn refuse_unusable(&self) -> Result<i64, StoreError> {
        let (version, app_id, tables): (i64, i64, i64) = self.read(|c| {
            let pragma = |name: &str| c.query_row(&format!("PRAGMA {name}"), [], |r| r.get(0));
            let tables =
                c.query_row("SELECT count(*) FROM sqlite_schema WHERE type = 'table'", [], |r| {
                    r.get(0)
                })?;
            Ok((pragma("user_version")?, pragma("application_id")?, tables))
        })?;
        let known = migrations::SCHEMA_VERSION;
        if version > known {
            return Err(StoreError::TooNew { path: self.path.clone(), found: version, known });
        }
        if version == 0 && tables > 0 && app_id != APPLICATION_ID {
            return Err(StoreError::Foreign { path: self.path.clone() });
        }
        Ok(version)
    }

    /// Applies the migrations past `version`, each in its own transaction, checking after each
    /// step that no row points at a missing parent (`PRAGMA foreign_key_check`; foreign keys
    /// are not enforced while a step rewrites tables).
    fn migrate(&mut self, version: i64) -> Result<(), StoreError> {
        for (i, step) in migrations::MIGRATIONS.iter().enumerate().skip(version as usize) {
            let target = i as i64 + 1;
            let path = self.path.clone();
            self.write(|tx| {
                // Another process may have migrated while we waited for the write lock.
                let now: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
                if now >= target {
                    return Ok(());
                }
                tx.execute_batch(step)?;
                if let Some(table) = migrations::foreign_key_violation(tx)? {
                    return Err(Abort::Reason(StoreError::Migration {
                        path,
                        step: target,
                        problem: format!("a row of {table} points at a missing parent"),
                    }));
                }
                tx.execute_batch(&format!("PRAGMA application_id = {APPLICATION_ID}"))?;
                tx.execute_batch(&format!("PRAGMA user_version = {target}"))?;
                Ok(())
            })?;
        }
        Ok(())
    }

    /// `PRAGMA integrity_check`, `"ok"` when sound.
    pub fn integrity_check(&self) -> Result<String, StoreError> {
        self.read(|c| c.query_row("PRAGMA integrity_check", [], |r| r.get(0)))
    }
}

/// For other modules' unit tests: a store in a temp dir with one feed, `lgiu` ("LGIU"),
/// synced at `now`.
#[cfg(test)]
pub(crate) fn test_store(now: chrono::DateTime<chrono::Utc>) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(&dir.path().join("r.sqlite3")).unwrap();
    let feed = crate::config::FeedConfig {
        id: "lgiu".into(),
        url: url::Url::parse("https://lgiu.example/feed").unwrap(),
        name: Some("LGIU".into()),
        tags: vec![],
        interval: None,
    };
    s.sync_feeds(&[feed], now).unwrap();
    (dir, s)
}

/// For other modules' unit tests: [`test_store`] holding one entry of `lgiu` per
/// `(identity, published, first seen)`, each recorded by its own poll at its first-seen time.
#[cfg(test)]
pub(crate) fn test_store_with(entries: &[(&str, &str, &str)]) -> (tempfile::TempDir, Store) {
    use crate::model::{DatedBy, EntryRecord, FeedPoll};
    let at = |s: &str| crate::timefmt::parse_rfc3339(s).unwrap();
    let (dir, mut s) = test_store(chrono::Utc::now());
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
        s.record_poll(&FeedPoll::stored(
            "lgiu",
            "https://lgiu.example/feed",
            at(seen),
            vec![record],
        ))
        .unwrap();
    }
    (dir, s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_migration_applies_to_an_empty_database() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("r.sqlite3")).unwrap();
        let v: i64 = store.conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(v, migrations::SCHEMA_VERSION);
        let fk: i64 = store.conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0)).unwrap();
        assert_eq!(fk, 1);
        let mode: String = store.conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
        assert_eq!(mode, "wal");
        assert_eq!(store.integrity_check().unwrap(), "ok");
        drop(store);
        Store::open(&dir.path().join("r.sqlite3")).expect("reopening is a no-op migration");
    }

    #[test]
    fn a_database_newer_than_the_binary_is_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.sqlite3");
        drop(Store::open(&path).unwrap());
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("PRAGMA user_version = 999").unwrap();
        drop(conn);
        let err = Store::open(&path).err().unwrap();
        assert!(matches!(err, StoreError::TooNew { found: 999, .. }), "{err}");
        assert!(err.to_string().contains("newer"));
    }

    #[test]
    fn a_foreign_database_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("other.db");
        Connection::open(&path).unwrap().execute_batch("CREATE TABLE t (x)").unwrap();
        assert!(matches!(Store::open(&path), Err(StoreError::Foreign { .. })));
    }
}
