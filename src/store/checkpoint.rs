//! Checkpoints of the write-ahead log on a thread of their own, for a polling run's writer.
//!
//! SQLite's automatic checkpoint runs inside the commit that fills the log: the writer copies
//! the log back into the database file and waits for two fsyncs before it can start the next
//! batch, and the whole fetch pipeline waits behind it. Sampling a cold 10,000-feed fetch's
//! threads showed one core idle in 15 % of the samples, the writer alone at work or blocked in
//! `fsync` and every fetching and parsing thread waiting for it. So while polling, the writer's
//! connection does not checkpoint; a [`Checkpointer`] does, on a second connection, after each
//! [`CHECKPOINT_STEP_BYTES`] of log, while the writer goes on (a `PASSIVE` checkpoint never
//! blocks a writer). A cold 10,000-feed fetch took 0.5–0.7 s less (5 alternated runs each,
//! 11.4–12.5 s against 11.9–13.8 s); its CPU time did not change.
//!
//! The log is only rewound (written again from its start) when a transaction begins with
//! every frame copied back; a writer that always has the next batch ready would never see
//! that, and the log would grow by everything the run writes (a gigabyte at 10,000 feeds).
//! So once the log holds [`WAL_LIMIT_BYTES`], the writer waits before its next transaction for
//! a checkpoint that began after its last commit ([`must_wait`]): that checkpoint copies every
//! frame, and the transaction rewinds the log. When another process's reader keeps frames from
//! being copied, the writer waits for one pass only, and the log grows as it would under
//! SQLite's own checkpoints.

use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

use rusqlite::Connection;

/// How big the log may grow before the writer waits for the checkpointer to catch up.
pub(crate) const WAL_LIMIT_BYTES: i64 = 64 * 1024 * 1024;

/// How much the writer appends to the log between two checkpoints: each copies what changed
/// since the last and waits for two fsyncs, and a page changed by several batches in between
/// is copied once. 32 MiB was slower on the 10,000-feed fetch (12.2 s against 11.8 s, the
/// means of 4 alternated runs): the writer waited longer at the limit.
pub(crate) const CHECKPOINT_STEP_BYTES: i64 = 16 * 1024 * 1024;

/// What the writer and the checkpointing thread know of each other.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Progress {
    /// Transactions the writer has committed.
    committed: u64,
    /// Frames in the log after the last commit.
    log_frames: i64,
    /// Frames appended since a checkpoint was last asked for.
    appended: i64,
    /// The commit after which a checkpoint was last asked for.
    requested: u64,
    /// The commits the last finished checkpoint began after (and so copied).
    copied: u64,
    /// The store is closing: checkpoint what is left, then end.
    closing: bool,
}

/// Sizes in frames (pages) of the log.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sizes {
    step: i64,
    limit: i64,
}

impl Sizes {
    fn for_page_size(page_size: i64) -> Sizes {
        let page = page_size.max(512);
        Sizes { step: CHECKPOINT_STEP_BYTES / page, limit: WAL_LIMIT_BYTES / page }
    }
}

/// What a commit that leaves `log_frames` frames in the log changes: a checkpoint is asked for
/// once [`CHECKPOINT_STEP_BYTES`] have been appended since the last was. A log smaller than
/// before was rewound, and all of it is new.
pub(crate) fn after_commit(p: &mut Progress, log_frames: i64, sizes: Sizes) {
    p.committed += 1;
    p.appended += if log_frames >= p.log_frames { log_frames - p.log_frames } else { log_frames };
    p.log_frames = log_frames;
    if p.appended >= sizes.step {
        p.requested = p.committed;
        p.appended = 0;
    }
}

/// Whether the writer must wait before its next transaction: the log has reached its limit
/// and the last commit has not yet been copied by a finished checkpoint.
pub(crate) fn must_wait(p: &Progress, sizes: Sizes) -> bool {
    p.log_frames >= sizes.limit && p.copied < p.committed
}

/// The checkpointing thread and what it shares with the writer. Dropping it checkpoints what
/// the writer committed last and ends the thread.
pub(crate) struct Checkpointer {
    shared: Arc<Shared>,
    sizes: Sizes,
    thread: Option<JoinHandle<()>>,
}

type Shared = (Mutex<Progress>, Condvar);

impl Checkpointer {
    /// Opens a second connection to the database at `path` and starts checkpointing on it for
    /// `writer`, whose commits it learns of through SQLite's WAL hook (which also turns the
    /// writer's own checkpoints off). `None` when the connection, the thread or the hook cannot
    /// be had: then the writer keeps SQLite's checkpoints.
    pub(crate) fn start(path: &Path, writer: &mut Connection) -> Option<Checkpointer> {
        let page_size: i64 = writer.query_row("PRAGMA page_size", [], |r| r.get(0)).ok()?;
        Checkpointer::start_sized(path, writer, Sizes::for_page_size(page_size))
    }

    fn start_sized(path: &Path, writer: &mut Connection, sizes: Sizes) -> Option<Checkpointer> {
        let flags =
            rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).ok()?;
        let shared: Arc<Shared> = Arc::new((Mutex::new(Progress::default()), Condvar::new()));
        let thread = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("roundup-checkpoint".into())
                .spawn(move || checkpoint_while_open(&conn, &shared))
                .ok()?
        };
        // From here on, dropping `checkpointer` ends the thread.
        let checkpointer = Checkpointer { shared: shared.clone(), sizes, thread: Some(thread) };
        writer
            .wal_hook(Some(move |_: &mut rusqlite::hooks::Wal, frames| {
                let (progress, changed) = &*shared;
                let mut p = lock(progress);
                after_commit(&mut p, i64::from(frames), sizes);
                if p.requested > p.copied {
                    changed.notify_all();
                }
                Ok(())
            }))
            .ok()?;
        Some(checkpointer)
    }

    /// Called before each transaction: while [`must_wait`], asks for a checkpoint of every
    /// commit and waits for it.
    pub(crate) fn before_write(&self) {
        let (progress, changed) = &*self.shared;
        let mut p = lock(progress);
        while must_wait(&p, self.sizes) {
            if p.requested < p.committed {
                p.requested = p.committed;
                p.appended = 0;
                changed.notify_all();
            }
            p = changed.wait(p).unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        let (progress, changed) = &*self.shared;
        lock(progress).closing = true;
        changed.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn lock(progress: &Mutex<Progress>) -> MutexGuard<'_, Progress> {
    // Nothing that holds the lock can panic half-way through a change.
    progress.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The thread's loop: a passive checkpoint each time one is asked for (it copies every commit
/// made before it began), and one of what is left when the store closes.
fn checkpoint_while_open(conn: &Connection, shared: &Shared) {
    let (progress, changed) = shared;
    loop {
        let began_after = {
            let mut p = lock(progress);
            while p.requested <= p.copied && !p.closing {
                p = changed.wait(p).unwrap_or_else(std::sync::PoisonError::into_inner);
            }
            if p.closing && p.committed == p.copied {
                return;
            }
            p.committed
        };
        // (busy, frames in the log, frames copied). A failure (another process checkpointing,
        // a full disk) leaves the log to the next checkpoint, or to SQLite's on close.
        let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get::<_, i64>(1));
        let mut p = lock(progress);
        p.copied = began_after;
        changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIZES: Sizes = Sizes { step: 10, limit: 100 };

    #[test]
    fn a_checkpoint_is_asked_for_each_step_of_the_log_counting_from_a_rewind() {
        let mut p = Progress::default();
        after_commit(&mut p, 6, SIZES);
        assert_eq!((p.requested, p.appended), (0, 6), "less than a step");
        after_commit(&mut p, 12, SIZES);
        assert_eq!((p.requested, p.appended), (2, 0), "a step appended over two commits");
        after_commit(&mut p, 4, SIZES);
        assert_eq!((p.appended, p.log_frames), (4, 4), "a rewound log: all 4 frames are new");
        after_commit(&mut p, 20, SIZES);
        assert_eq!((p.requested, p.committed), (4, 4));
    }

    #[test]
    fn the_writer_waits_only_for_a_full_log_not_yet_checkpointed() {
        let p = |committed, copied, log_frames| Progress {
            committed,
            copied,
            log_frames,
            ..Progress::default()
        };
        assert!(!must_wait(&p(5, 4, 99), SIZES), "the log is below its limit");
        assert!(must_wait(&p(5, 4, 100), SIZES), "a full log with a commit not yet copied");
        assert!(!must_wait(&p(5, 5, 400), SIZES), "a checkpoint began after the last commit");
    }

    /// A store in `dir` with a table of blobs, its log checkpointed at [`SIZES`], and its
    /// page size.
    fn store_with_a_small_log(dir: &Path) -> (crate::store::Store, i64) {
        let path = dir.join("t.sqlite3");
        let mut store = crate::store::Store::open(&path).unwrap();
        store.read(|c| c.execute_batch("CREATE TABLE blobs (b BLOB)")).unwrap();
        let page: i64 = store.read(|c| c.query_row("PRAGMA page_size", [], |r| r.get(0))).unwrap();
        store.checkpoints = Checkpointer::start_sized(&path, &mut store.conn, SIZES);
        assert!(store.checkpoints.is_some());
        (store, page)
    }

    /// One transaction that appends about 5 frames: 3 overflow pages, the leaf, the header page.
    fn write_a_blob(store: &mut crate::store::Store, page: i64) {
        use crate::store::{Abort, StoreError};
        store
            .write(|tx| {
                tx.execute("INSERT INTO blobs VALUES (zeroblob(?1))", [3 * page])?;
                Ok::<_, Abort<StoreError>>(())
            })
            .unwrap();
    }

    #[test]
    fn the_log_stays_bounded_and_is_copied_back_while_the_writer_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, page) = store_with_a_small_log(dir.path());
        let wal = dir.path().join("t.sqlite3-wal");
        let mut largest_log = 0;
        for _ in 0..100 {
            write_a_blob(&mut store, page);
            largest_log = largest_log.max(std::fs::metadata(&wal).unwrap().len());
        }
        // 500 frames were written; the log holds its limit and one transaction at most.
        let frame = u64::try_from(page).unwrap() + 24;
        assert!(largest_log <= 32 + (SIZES.limit as u64 + 12) * frame, "{largest_log} B of log");
        let database = std::fs::metadata(dir.path().join("t.sqlite3")).unwrap().len();
        assert!(database >= 90 * 3 * frame, "copied back while open: {database} B");
        drop(store);
        assert!(!wal.exists(), "the last connection to close removes the log");
    }

    #[test]
    fn a_reader_holding_the_log_back_slows_the_writer_but_never_stops_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.sqlite3");
        let (mut store, page) = store_with_a_small_log(dir.path());
        // Another process's reader: its snapshot keeps every later frame in the log.
        let reader = Connection::open(&path).unwrap();
        reader.execute_batch("BEGIN; SELECT count(*) FROM blobs;").unwrap();
        let (done, finished) = std::sync::mpsc::channel();
        let writer = std::thread::spawn(move || {
            for _ in 0..60 {
                write_a_blob(&mut store, page);
            }
            done.send(()).unwrap();
            store
        });
        let waited = finished.recv_timeout(std::time::Duration::from_secs(60));
        assert!(waited.is_ok(), "the writer is stuck behind the reader");
        let store = writer.join().unwrap();
        let count = |c: &Connection| -> i64 {
            c.query_row("SELECT count(*) FROM blobs", [], |r| r.get(0)).unwrap()
        };
        assert_eq!(store.read(|c| Ok(count(c))).unwrap(), 60);
        reader.execute_batch("COMMIT").unwrap();
        drop(reader);
        drop(store);
        assert!(!dir.path().join("t.sqlite3-wal").exists(), "closing copies the rest back");
        assert_eq!(count(&Connection::open(&path).unwrap()), 60, "every row is in the file");
    }
}
