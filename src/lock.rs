//! The locks next to the database, held with an OS file lock (`File::try_lock`), so a killed
//! run's lock is released by the OS and a stale file is simply taken over. Each file records its
//! holder's pid and start time for the message.
//!
//! - [`RunLock`] (`<db>.lock`): one fetching process per database; a second is refused at once.
//! - [`PublishLock`] (`<db>.publish.lock`): one `publish` at a time per database, so that two
//!   publishes at once cannot write the public folder from two different sets of snapshots
//!   (issue 10, item 4); a second waits for the first, for a bounded time.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Held while a fetch or watch runs; released on drop (and by the OS if the process dies).
#[derive(Debug)]
pub(crate) struct RunLock {
    _file: File,
}

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LockError {
    #[error("another roundup is already fetching into {db} ({holder}); not starting a second one")]
    Busy { db: PathBuf, holder: String },
    #[error("cannot use lock file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl RunLock {
    /// The lock file for a database: `<db>.lock`.
    pub(crate) fn path_for(db: &Path) -> PathBuf {
        let mut name = db.as_os_str().to_owned();
        name.push(".lock");
        PathBuf::from(name)
    }

    /// Takes the lock for `db` without waiting.
    pub(crate) fn acquire(db: &Path) -> Result<RunLock, LockError> {
        let path = Self::path_for(db);
        let file = take(&path, Duration::ZERO).map_err(|e| match e {
            Taken::Busy(holder) => LockError::Busy { db: db.to_path_buf(), holder },
            Taken::Io(source) => LockError::Io { path: path.clone(), source },
        })?;
        Ok(RunLock { _file: file })
    }
}

/// Held while a publish freezes a week and writes the public folder; released on drop (and by
/// the OS if the process dies).
#[derive(Debug)]
pub(crate) struct PublishLock {
    _file: File,
}

/// Why the publish lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PublishLockError {
    #[error(
        "another roundup publish into {db} ({holder}) was still running after {waited:?}; nothing was published, try again when it has finished"
    )]
    Busy { db: PathBuf, holder: String, waited: Duration },
    #[error("cannot use lock file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl PublishLock {
    /// The publish lock file for a database: `<db>.publish.lock`.
    pub(crate) fn path_for(db: &Path) -> PathBuf {
        let mut name = db.as_os_str().to_owned();
        name.push(".publish.lock");
        PathBuf::from(name)
    }

    /// Takes the publish lock for `db`, waiting at most `wait` for another publish to finish.
    pub(crate) fn acquire(db: &Path, wait: Duration) -> Result<PublishLock, PublishLockError> {
        let path = Self::path_for(db);
        let file = take(&path, wait).map_err(|e| match e {
            Taken::Busy(holder) => {
                PublishLockError::Busy { db: db.to_path_buf(), holder, waited: wait }
            }
            Taken::Io(source) => PublishLockError::Io { path: path.clone(), source },
        })?;
        Ok(PublishLock { _file: file })
    }
}

/// Why [`take`] failed.
enum Taken {
    /// Still held when the wait ran out: what the holder wrote.
    Busy(String),
    Io(std::io::Error),
}

/// Takes the OS lock on `path` (made if need be), retrying for at most `wait`, and writes the
/// holder line into it.
fn take(path: &Path, wait: Duration) -> Result<File, Taken> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(Taken::Io)?;
    }
    let io = Taken::Io;
    let deadline = Instant::now() + wait;
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(io)?;
    loop {
        match file.try_lock() {
            Ok(()) => break,
            Err(std::fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                let holder =
                    if holder.is_empty() { "lock held".to_string() } else { holder.to_string() };
                return Err(Taken::Busy(holder));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
        }
    }
    // Ours now: whatever a killed run left in the file is replaced.
    file.set_len(0).map_err(io)?;
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    writeln!(
        file,
        "pid {} since {}",
        std::process::id(),
        crate::timefmt::rfc3339(chrono::Utc::now())
    )
    .map_err(io)?;
    file.flush().map_err(io)?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_database_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("r.sqlite3");
        let first = RunLock::acquire(&db).unwrap();
        let err = RunLock::acquire(&db).unwrap_err();
        assert!(err.to_string().contains(&format!("pid {}", std::process::id())), "{err}");
        drop(first);
        RunLock::acquire(&db).expect("free again");
    }

    #[test]
    fn a_second_publish_lock_waits_for_the_first_and_gives_up_after_its_wait() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("r.sqlite3");
        let first = PublishLock::acquire(&db, Duration::ZERO).unwrap();
        let err = PublishLock::acquire(&db, Duration::from_millis(120)).unwrap_err();
        assert!(err.to_string().contains(&format!("pid {}", std::process::id())), "{err}");
        let waiter = std::thread::spawn({
            let db = db.clone();
            move || PublishLock::acquire(&db, Duration::from_secs(10)).map(drop)
        });
        std::thread::sleep(Duration::from_millis(100));
        drop(first);
        waiter.join().unwrap().expect("taken once the first is dropped");
        // The fetch lock is another file: a publish does not stop a fetch.
        let _publish = PublishLock::acquire(&db, Duration::ZERO).unwrap();
        RunLock::acquire(&db).expect("fetch lock is separate");
    }

    #[test]
    fn a_stale_lock_file_left_by_a_dead_process_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("r.sqlite3");
        std::fs::write(RunLock::path_for(&db), "pid 999999 since 2020-01-01T00:00:00Z\n").unwrap();
        let _lock = RunLock::acquire(&db).unwrap();
        let text = std::fs::read_to_string(RunLock::path_for(&db)).unwrap();
        assert!(text.starts_with(&format!("pid {}", std::process::id())), "{text}");
    }
}
