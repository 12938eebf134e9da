//! The SQLite store: one file, opened with WAL, foreign keys and a busy timeout; migrated on
//! `user_version`; refused when newer than this binary. Split by domain: `feeds`, `entries`.
//!
//! Owns rusqlite. There is one way to write: `Store::write`, an IMMEDIATE transaction (the
//! write lock is taken at BEGIN, so a busy database is waited for with the busy timeout instead
//! of failing when a read must upgrade), with any SQLite error mapped once, naming the file.
//! Reads go through `Store::read`, which maps errors the same way.

pub(crate) mod blog;
mod body;
mod candidates;
mod checkpoint;
mod dictionary;
mod entries;
mod feeds;
pub(crate) mod migrations;
mod pages;
mod picks;
pub(crate) mod published;
mod roundups;
mod sql;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, Transaction, TransactionBehavior};

pub(crate) use body::PackedPoll;
pub(crate) use dictionary::Packer;
pub(crate) use entries::EntryFilter;
pub(crate) use feeds::{FeedListing, FeedState};
pub(crate) use pages::PageRow;
pub(crate) use picks::PickError;

/// `PRAGMA application_id` of a roundup database ("RNDP").
pub(crate) const APPLICATION_ID: i64 = 0x524E_4450;

/// The page size of a new database. An entry's row (its deflated body, about 1.5 KB, and its
/// fields) is a third to a half of SQLite's default 4 KiB page, so a quarter of each page was
/// left empty: `dbstat` on a 100,000-entry database showed 64 MB unused in the entries
/// table's 256 MB. With 16 KiB pages the same rows take 203 MB (12 MB unused), the whole file
/// 269 MB instead of 328 MB (8 KiB: 283 MB).
pub(crate) const PAGE_SIZE: u32 = 16_384;

/// A storage failure, naming the database.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StoreError {
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
    #[error(
        "database {path} has schema version {found} and this roundup needs {known}; the upgrade \
         writes to it, and it is opened read-only ({why}): run any writing command (e.g. \
         `roundup fetch`) once with write access"
    )]
    NeedsUpgrade { path: PathBuf, found: i64, known: i64, why: String },
    /// An edit made from a stale view: what it would change was changed since it was read
    /// (the desk's optimistic concurrency). Nothing was written.
    #[error(
        "{what} was changed elsewhere since it was read (revision {expected}, now {found}); nothing was saved"
    )]
    Stale { what: String, expected: i64, found: i64 },
    #[error("cannot create the folder for database {path}: {source}")]
    Folder {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl StoreError {
    /// An edit refused because it was made from a stale view ([`StoreError::Stale`]).
    pub(crate) fn is_stale(&self) -> bool {
        matches!(self, StoreError::Stale { .. })
    }

    /// Another connection holds the database (SQLITE_BUSY or SQLITE_LOCKED, after the busy
    /// timeout): worth trying again later, not a broken database.
    pub(crate) fn is_busy(&self) -> bool {
        matches!(
            self,
            StoreError::Sqlite { source: rusqlite::Error::SqliteFailure(e, _), .. }
                if matches!(e.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        )
    }
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
pub(crate) struct Store {
    /// The log's checkpoints on a thread of their own, once a polling run has started them
    /// ([`Store::tune_for_polling`]). Declared before `conn` so that it is dropped first: its
    /// last checkpoint is made while the writer's connection is still open.
    checkpoints: Option<checkpoint::Checkpointer>,
    conn: Connection,
    path: PathBuf,
    /// Opened with [`Store::open_read_only`]: nothing is written, not even the search index.
    read_only: bool,
    /// The dictionary new entry bodies are packed with (store/dictionary.rs).
    packer: Packer,
    /// Whether that dictionary was read, is due to be trained, or is settled.
    training: dictionary::Training,
}

impl Store {
    /// Opens (creating if needed) and migrates the database at `path`.
    pub(crate) fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|source| StoreError::Folder { path: path.to_path_buf(), source })?;
        }
        let conn = Connection::open(path)
            .map_err(|source| StoreError::Sqlite { path: path.to_path_buf(), source })?;
        let mut store = Store {
            checkpoints: None,
            conn,
            path: path.to_path_buf(),
            read_only: false,
            packer: Packer::default(),
            training: dictionary::Training::NotLooked,
        };
        store.read(|c| c.busy_timeout(Duration::from_secs(10)))?;
        // Refuse a database that is not ours to change before anything (even the journal
        // mode) is written to it.
        let version = store.refuse_unusable()?;
        store.configure()?;
        store.migrate(version)?;
        Ok(store)
    }

    /// Opens the existing database at `path` for reading only, for a reading command when the
    /// file or its folder is not writable (issue 10, item 7): no pragma, migration or search
    /// index update is written. `why` says what is read-only, for the error when the database
    /// needs an upgrade (which writes). SQLite's `mode=ro` needs the `-shm` file to exist or be
    /// creatable under WAL; in a read-only folder without one the file is opened `immutable`
    /// (no other process can be writing to it then: there is nowhere to put its journal).
    pub(crate) fn open_read_only(path: &Path, why: &str) -> Result<Store, StoreError> {
        use rusqlite::OpenFlags;
        let sqlite = |source| StoreError::Sqlite { path: path.to_path_buf(), source };
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        const PATH: &percent_encoding::AsciiSet =
            &percent_encoding::NON_ALPHANUMERIC.remove(b'/').remove(b'.').remove(b'-').remove(b'_');
        let encoded =
            percent_encoding::utf8_percent_encode(&path.to_string_lossy(), PATH).to_string();
        let probe = |conn: Connection| -> rusqlite::Result<Connection> {
            conn.busy_timeout(Duration::from_secs(10))?;
            conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get::<_, i64>(0))?;
            Ok(conn)
        };
        let conn = Connection::open_with_flags(format!("file:{encoded}?mode=ro"), flags)
            .and_then(probe)
            .or_else(|_| {
                Connection::open_with_flags(format!("file:{encoded}?immutable=1"), flags)
                    .and_then(probe)
            })
            .map_err(sqlite)?;
        let store = Store {
            checkpoints: None,
            conn,
            path: path.to_path_buf(),
            read_only: true,
            packer: Packer::default(),
            training: dictionary::Training::NotLooked,
        };
        let version = store.refuse_unusable()?;
        let known = migrations::SCHEMA_VERSION;
        if version < known {
            return Err(StoreError::NeedsUpgrade {
                path: path.to_path_buf(),
                found: version,
                known,
                why: why.to_string(),
            });
        }
        store.read(|c| c.execute_batch("PRAGMA foreign_keys = ON"))?;
        Ok(store)
    }

    /// Whether the store was opened with [`Store::open_read_only`].
    pub(crate) fn is_read_only(&self) -> bool {
        self.read_only
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
        if let Some(checkpoints) = &self.checkpoints {
            checkpoints.before_write();
        }
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
            // Before anything is written: the page size of a new database ([`PAGE_SIZE`]).
            // An existing one keeps its own (under WAL it cannot change).
            c.execute_batch(&format!("PRAGMA page_size = {PAGE_SIZE};"))?;
            c.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;")?;
            c.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        })?;
        debug_assert!(mode.eq_ignore_ascii_case("wal") || mode.eq_ignore_ascii_case("memory"));
        Ok(())
    }

    /// Sets the connection up for a polling run's writer, which writes megabytes of entries a
    /// transaction: a page cache that holds a whole batch (so no page is spilled to the WAL and
    /// written again before the commit), and the log's checkpoints on a thread of their own
    /// (store/checkpoint.rs), so that the writer never waits for one inside a commit. When that
    /// thread cannot be had, the writer checkpoints every 32 MiB of WAL instead of SQLite's
    /// 4 MiB (fewer fsyncs, and a page changed by several batches is copied back once).
    /// Profiling a 10,000-feed fetch showed the spills and checkpoints as a third of its system
    /// time. Sizes are counted in pages, so they are worked out from this file's page size (an
    /// older database keeps 4 KiB pages, a new one has [`PAGE_SIZE`]).
    pub(crate) fn tune_for_polling(&mut self) -> Result<(), StoreError> {
        const CHECKPOINT_BYTES: i64 = 32 * 1024 * 1024;
        let (page_size, mode): (i64, String) = self.read(|c| {
            c.execute_batch("PRAGMA cache_size = -16384;")?;
            let page_size = c.query_row("PRAGMA page_size", [], |r| r.get(0))?;
            Ok((page_size, c.query_row("PRAGMA journal_mode", [], |r| r.get(0))?))
        })?;
        if self.checkpoints.is_none() && mode.eq_ignore_ascii_case("wal") {
            self.checkpoints = checkpoint::Checkpointer::start(&self.path, &mut self.conn);
        }
        if self.checkpoints.is_none() {
            let pages = CHECKPOINT_BYTES / page_size.max(512);
            self.read(|c| c.execute_batch(&format!("PRAGMA wal_autocheckpoint = {pages};")))?;
        }
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
        for (i, step) in
            migrations::MIGRATIONS.iter().enumerate().skip(usize::try_from(version).unwrap_or(0))
        {
            let target = i as i64 + 1;
            let path = self.path.clone();
            self.write(|tx| {
                // Another process may have migrated while we waited for the write lock.
                let now: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
                if now >= target {
                    return Ok(());
                }
                step.apply(tx)?;
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
    #[cfg(test)]
    pub(crate) fn integrity_check(&self) -> Result<String, StoreError> {
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
/// `(identity, published, first seen)`. Consecutive entries first seen at the same time come
/// with one poll at that time; an empty `published` is an undated entry.
#[cfg(test)]
pub(crate) fn test_store_with(entries: &[(&str, &str, &str)]) -> (tempfile::TempDir, Store) {
    use crate::model::{DatedBy, EntryRecord, FeedPoll};
    let at = |s: &str| crate::timefmt::parse_rfc3339(s).unwrap();
    let (dir, mut s) = test_store(chrono::Utc::now());
    for poll in entries.chunk_by(|a, b| a.2 == b.2) {
        let records = poll
            .iter()
            .map(|(identity, published, seen)| EntryRecord {
                identity: identity.to_string(),
                url: Some(format!("https://lgiu.example/{identity}")),
                title: Some(format!("Post {identity}")),
                author: Some("Ann".into()),
                published: at(if published.is_empty() { seen } else { published }),
                dated_by: if published.is_empty() {
                    DatedBy::FirstSeen
                } else {
                    DatedBy::Published
                },
                updated: None,
                summary_html: None,
                content_html: Some("<p>One.</p><p>Two.</p>".into()),
                text: "One.\n\nTwo.".into(),
                categories: vec![],
                content_hash: identity.to_string(),
            })
            .collect();
        s.record_poll(&FeedPoll::stored(
            "lgiu",
            "https://lgiu.example/feed",
            at(poll[0].2),
            records,
        ))
        .unwrap();
    }
    (dir, s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::EntryId;

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
    fn the_search_index_gathers_8_mib_of_terms_before_writing_a_segment() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("r.sqlite3")).unwrap();
        let hashsize: i64 = store
            .conn
            .query_row("SELECT v FROM entries_fts_config WHERE k = 'hashsize'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(hashsize, 8 << 20);
    }

    #[test]
    fn the_search_index_merges_eight_segments_at_a_level() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("r.sqlite3")).unwrap();
        let automerge: i64 = store
            .conn
            .query_row("SELECT v FROM entries_fts_config WHERE k = 'automerge'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(automerge, 8);
    }

    /// A database at schema version 1 holding two feeds, three entries and their fetch history,
    /// as roundup 1 wrote it; returns its path.
    fn version_1_database(dir: &Path, orphan: bool) -> PathBuf {
        let path = dir.join("v1.sqlite3");
        let conn = Connection::open(&path).unwrap();
        migrations::MIGRATIONS[0].apply(&conn).unwrap();
        conn.execute_batch(&format!(
            "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = 1;
             INSERT INTO feeds (id, url, name, title, site_url, moved_to, etag, last_modified,
                                last_fetch_at, last_status, last_error, error_count, next_due_at,
                                created_at)
             VALUES ('lgiu', 'https://lgiu.example/feed', 'LGIU', 'LGIU blog',
                     'https://lgiu.example/', 'https://lgiu.example/rss', '\"abc\"',
                     'Tue, 24 Nov 2026 09:00:00 GMT', '2026-11-24T10:00:00Z', 200, NULL, 0,
                     '2026-11-24T11:00:00Z', '2026-11-01T00:00:00Z'),
                    ('nlgn', 'https://nlgn.example/feed', NULL, NULL, NULL, NULL, NULL, NULL,
                     '2026-11-24T10:00:00Z', 503, 'HTTP 503', 2, '2026-11-24T12:00:00Z',
                     '2026-11-01T00:00:00Z');
             INSERT INTO entries (feed_id, identity, url, title, author, published, dated_by,
                                  updated, summary_html, content_html, text, categories,
                                  content_hash, first_seen, changed_at)
             VALUES ('lgiu', 'g1', 'https://lgiu.example/a', 'Budgets', 'Ann',
                     '2026-11-23T09:00:00Z', 'published', NULL, '<p>S</p>', '<p>C</p>', 'C',
                     '[\"policy\"]', 'h1', '2026-11-24T10:00:00Z', '2026-11-24T10:00:00Z'),
                    ('lgiu', 'g2', 'https://lgiu.example/b', 'Housing', NULL,
                     '2026-11-24T10:00:00Z', 'first_seen', NULL, NULL, NULL, '', '[]', 'h2',
                     '2026-11-24T10:00:00Z', '2026-11-24T10:00:00Z'),
                    ('nlgn', 'g3', 'https://nlgn.example/c', 'Care', 'Bo',
                     '2026-11-20T09:00:00Z', 'updated', '2026-11-20T09:00:00Z', NULL, NULL,
                     'Care.', '[]', 'h3', '2026-11-20T10:00:00Z', '2026-11-21T10:00:00Z');
             INSERT INTO fetches (feed_id, started_at, url, status, duration_ms, bytes,
                                  new_entries, updated_entries, error)
             VALUES ('lgiu', '2026-11-24T10:00:00Z', 'https://lgiu.example/feed', 200, 120,
                     4096, 2, 0, NULL),
                    ('nlgn', '2026-11-20T10:00:00Z', 'https://nlgn.example/feed', 200, 80,
                     2048, 1, 0, NULL),
                    ('nlgn', '2026-11-24T10:00:00Z', 'https://nlgn.example/feed', 503, 30, 0,
                     0, 0, 'HTTP 503');"
        ))
        .unwrap();
        if orphan {
            // With foreign keys off (as an old or damaged file may have been written), nothing
            // stops this row.
            conn.execute_batch(
                "PRAGMA foreign_keys = OFF;
                 INSERT INTO fetches (feed_id, started_at, url, status, duration_ms, bytes,
                                      new_entries, updated_entries)
                 VALUES ('gone-feed', '2026-11-24T10:00:00Z', 'https://x.example/', 200, 1, 1,
                         0, 0)",
            )
            .unwrap();
        }
        path
    }

    /// Every row of the version-1 tables, as text, in a stable order (of entries, the columns
    /// that step 7 did not convert: [`details`] reads the others back).
    fn rows(conn: &Connection) -> Vec<String> {
        let mut all = Vec::new();
        for table in ["feeds", "entries", "fetches"] {
            let columns = match table {
                "entries" => {
                    "id, feed_id, identity, url, title, author, published, dated_by, updated, \
                     categories, content_hash, first_seen, changed_at"
                }
                _ => "*",
            };
            let mut stmt =
                conn.prepare(&format!("SELECT {columns} FROM {table} ORDER BY rowid")).unwrap();
            let columns = stmt.column_count();
            let mut rows = stmt.query([]).unwrap();
            while let Some(row) = rows.next().unwrap() {
                let values: Vec<String> =
                    (0..columns).map(|i| format!("{:?}", row.get_ref(i).unwrap())).collect();
                all.push(format!("{table}: {}", values.join(" | ")));
            }
        }
        all
    }

    /// Each entry's summary, content and text as stored by version 1.
    fn stored_texts(conn: &Connection) -> Vec<(Option<String>, Option<String>, String)> {
        let mut stmt = conn
            .prepare("SELECT summary_html, content_html, text FROM entries ORDER BY id")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    /// Each entry's summary, content and text as the store reads them now.
    fn details(store: &Store) -> Vec<(Option<String>, Option<String>, String)> {
        (1..=3)
            .map(|id| {
                let e = store.entry(EntryId(id)).unwrap().unwrap();
                (e.summary_html, e.content_html, e.text)
            })
            .collect()
    }

    #[test]
    fn a_populated_version_1_database_upgrades_with_every_row() {
        let dir = tempfile::tempdir().unwrap();
        let path = version_1_database(dir.path(), false);
        let before = rows(&Connection::open(&path).unwrap());
        let texts = stored_texts(&Connection::open(&path).unwrap());
        assert_eq!(before.len(), 2 + 3 + 3);
        let mut store = Store::open(&path).unwrap();
        let v: i64 = store.conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(v, migrations::SCHEMA_VERSION);
        assert_eq!(rows(&store.conn), before, "every feed, entry and fetch row survives");
        assert_eq!(details(&store), texts, "every summary, content and text reads back");
        assert_eq!(migrations::foreign_key_violation(&store.conn).unwrap(), None);
        assert_eq!(store.integrity_check().unwrap(), "ok");
        // The upgraded rows work with what later steps added: search, picks, pages.
        let found = store
            .entries(&EntryFilter { search: Some("budgets".into()), ..Default::default() })
            .unwrap();
        assert_eq!(found.iter().map(|e| e.id.0).collect::<Vec<_>>(), [1]);
        let week = crate::week::IsoWeek::parse("2026-W48").unwrap();
        store.pick(week, "T", EntryId(3), &Default::default(), chrono::Utc::now()).unwrap();
        assert_eq!(store.picks(week).unwrap()[0].entry.outlet, "nlgn");
    }

    #[test]
    fn a_migration_is_refused_while_a_row_points_at_a_missing_parent() {
        let dir = tempfile::tempdir().unwrap();
        let path = version_1_database(dir.path(), true);
        let err = Store::open(&path).err().expect("refused");
        assert!(matches!(err, StoreError::Migration { step: 2, .. }), "{err}");
        assert!(err.to_string().contains("a row of fetches points at a missing parent"), "{err}");
        let conn = Connection::open(&path).unwrap();
        let v: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(v, 1, "the step was rolled back");
        assert_eq!(rows(&conn).len(), 2 + 3 + 4, "nothing was lost");
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

    /// Issue 11: rows of a third to a half of a 4 KiB page left a quarter of the file empty.
    #[test]
    fn a_new_database_has_large_pages_and_an_existing_one_keeps_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.sqlite3");
        let store = Store::open(&path).unwrap();
        let size: i64 = store.conn.query_row("PRAGMA page_size", [], |r| r.get(0)).unwrap();
        assert_eq!(size, i64::from(PAGE_SIZE));
        let old = dir.path().join("old.sqlite3");
        drop(version_1_database(dir.path(), false));
        std::fs::rename(dir.path().join("v1.sqlite3"), &old).unwrap();
        let store = Store::open(&old).unwrap();
        let size: i64 = store.conn.query_row("PRAGMA page_size", [], |r| r.get(0)).unwrap();
        assert_eq!(size, 4096, "an existing database is not rewritten");
        assert_eq!(store.integrity_check().unwrap(), "ok");
    }

    #[test]
    fn a_foreign_database_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("other.db");
        Connection::open(&path).unwrap().execute_batch("CREATE TABLE t (x)").unwrap();
        assert!(matches!(Store::open(&path), Err(StoreError::Foreign { .. })));
    }
}
