//! The SQLite store: one file, opened with WAL, foreign keys and a busy timeout; migrated on
//! `user_version`; refused when newer than this binary. Split by domain: `feeds`, `entries`.
//!
//! Owns rusqlite. Every write of one feed's poll is one transaction.

mod entries;
mod feeds;
pub mod migrations;
mod pages;
pub mod published;
mod roundups;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::Connection;

pub use entries::{EntryFilter, EntryRow};
pub use feeds::{FeedListing, FeedState};
pub use pages::PageRow;
pub use roundups::PickError;

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
    #[error("cannot create the folder for database {path}: {source}")]
    Folder {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
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
        store.conn.busy_timeout(Duration::from_secs(10)).map_err(store.err())?;
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

    fn configure(&mut self) -> Result<(), StoreError> {
        self.conn
            .execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;")
            .map_err(self.err())?;
        let mode: String = self
            .conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(self.err())?;
        debug_assert!(mode.eq_ignore_ascii_case("wal") || mode.eq_ignore_ascii_case("memory"));
        Ok(())
    }

    /// The database's schema version, or an error when it is newer than this binary or belongs
    /// to another program. Reads only.
    fn refuse_unusable(&self) -> Result<i64, StoreError> {
        let version: i64 =
            self.conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(self.err())?;
        let known = migrations::SCHEMA_VERSION;
        if version > known {
            return Err(StoreError::TooNew { path: self.path.clone(), found: version, known });
        }
        if version == 0 {
            let app_id: i64 = self
                .conn
                .query_row("PRAGMA application_id", [], |r| r.get(0))
                .map_err(self.err())?;
            let tables: i64 = self
                .conn
                .query_row("SELECT count(*) FROM sqlite_schema WHERE type = 'table'", [], |r| {
                    r.get(0)
                })
                .map_err(self.err())?;
            if tables > 0 && app_id != APPLICATION_ID {
                return Err(StoreError::Foreign { path: self.path.clone() });
            }
        }
        Ok(version)
    }

    /// Applies the migrations past `version`.
    fn migrate(&mut self, version: i64) -> Result<(), StoreError> {
        for (i, step) in migrations::MIGRATIONS.iter().enumerate().skip(version as usize) {
            let target = i as i64 + 1;
            let path = self.path.clone();
            let tx = self
                .conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(|source| StoreError::Sqlite { path: path.clone(), source })?;
            // Another process may have migrated while we waited for the write lock.
            let now: i64 = tx
                .query_row("PRAGMA user_version", [], |r| r.get(0))
                .map_err(|source| StoreError::Sqlite { path: path.clone(), source })?;
            if now >= target {
                continue;
            }
            tx.execute_batch(step)
                .and_then(|_| {
                    tx.execute_batch(&format!("PRAGMA application_id = {APPLICATION_ID}"))
                })
                .and_then(|_| tx.execute_batch(&format!("PRAGMA user_version = {target}")))
                .and_then(|_| tx.commit())
                .map_err(|source| StoreError::Sqlite { path, source })?;
        }
        Ok(())
    }

    /// `PRAGMA integrity_check`, `"ok"` when sound.
    pub fn integrity_check(&self) -> Result<String, StoreError> {
        self.conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).map_err(self.err())
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
