//! The one way roundup writes a file (published pages and feeds, drafts, feeds.toml): to a temp
//! file in the same folder, synced, then renamed over the old one, so a reader (or
//! `roundup serve`, or a crash) sees the old file or the new one, never half of one. A file
//! whose bytes have not changed is left alone, keeping its modification time (and so its
//! Last-Modified).
//!
//! [`write_output`] is for a path the user names (`draft -o`): only a regular file (or a new
//! path) is replaced that way; a symlink is followed, a FIFO or a character device (`/dev/null`,
//! `/dev/stdout`) is written into, and anything else is refused, so the command never turns
//! what the user pointed it at into a plain file (issue 10, item 5).

use std::io::Write;
use std::path::Path;

/// What happened to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wrote {
    /// The file was made or replaced.
    Written,
    /// The file already held these bytes.
    Unchanged,
}

/// Writes `bytes` to `path` atomically, making its folder if need be.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<Wrote> {
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(Wrote::Unchanged);
    }
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(temp_name(&name));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map(|()| Wrote::Written)
}

/// Writes `bytes` to a path the user named: a new path or a regular file (also through a
/// symlink, whose target is replaced and the link kept) atomically with [`write_atomic`]; a FIFO
/// or a character device by writing into it; anything else (a folder, a socket, a block device,
/// a symlink to nothing) is refused with an error that says what the path is.
pub(crate) fn write_output(path: &Path, bytes: &[u8]) -> std::io::Result<Wrote> {
    use std::os::unix::fs::FileTypeExt;
    let refuse = |what: &str| {
        Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!(
                "{what}; roundup writes only to a regular file (replaced whole), a FIFO or a character device"
            ),
        ))
    };
    let link = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return write_atomic(path, bytes),
        Err(e) => return Err(e),
    };
    let target = if link.file_type().is_symlink() {
        match std::fs::metadata(path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return refuse("it is a symbolic link to nothing");
            }
            Err(e) => return Err(e),
        }
    } else {
        link
    };
    let kind = target.file_type();
    if kind.is_file() {
        // Replace what the link points to, not the link.
        return write_atomic(&std::fs::canonicalize(path)?, bytes);
    }
    if kind.is_fifo() || kind.is_char_device() {
        let mut f = std::fs::OpenOptions::new().write(true).open(path)?;
        f.write_all(bytes)?;
        f.flush()?;
        return Ok(Wrote::Written);
    }
    if kind.is_dir() {
        refuse("it is a folder")
    } else if kind.is_socket() {
        refuse("it is a socket")
    } else if kind.is_block_device() {
        refuse("it is a block device")
    } else {
        refuse("it is not a regular file")
    }
}

/// The temp file [`write_atomic`] writes `name` to first: `.NAME.PID.tmp`.
fn temp_name(name: &str) -> String {
    format!(".{name}.{}.tmp", std::process::id())
}

/// Whether `name` is one of [`write_atomic`]'s temp files (`.NAME.PID.tmp`).
fn is_temp_name(name: &str) -> bool {
    let Some(inner) = name.strip_prefix('.').and_then(|n| n.strip_suffix(".tmp")) else {
        return false;
    };
    inner.rsplit_once('.').is_some_and(|(file, pid)| {
        !file.is_empty() && !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit())
    })
}

/// Removes the temp files a killed [`write_atomic`] left in `dir` and its subfolders (issue 10,
/// item 4: a `kill -9` during publish left them for ever); gives the paths removed. Only safe
/// while no other process writes into `dir` (the caller holds the lock that ensures it).
pub(crate) fn remove_leftovers(dir: &Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    let mut removed = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(removed),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let kind = entry.file_type()?;
        let path = entry.path();
        if kind.is_dir() {
            removed.extend(remove_leftovers(&path)?);
        } else if kind.is_file() && is_temp_name(&entry.file_name().to_string_lossy()) {
            std::fs::remove_file(&path)?;
            removed.push(path);
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_replaced_whole_and_unchanged_bytes_are_not_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/feed.atom");
        assert_eq!(write_atomic(&path, b"one").unwrap(), Wrote::Written);
        assert_eq!(write_atomic(&path, b"one").unwrap(), Wrote::Unchanged);
        assert_eq!(write_atomic(&path, b"two").unwrap(), Wrote::Written);
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        let left: Vec<_> = std::fs::read_dir(dir.path().join("sub")).unwrap().collect();
        assert_eq!(left.len(), 1, "no temp file left behind");
    }

    #[test]
    fn an_output_through_a_symlink_replaces_its_target_and_keeps_the_link() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.md");
        let link = dir.path().join("link.md");
        std::fs::write(&real, "old").unwrap();
        std::os::unix::fs::symlink("real.md", &link).unwrap();
        assert_eq!(write_output(&link, b"new").unwrap(), Wrote::Written);
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read(&real).unwrap(), b"new");
        let folder = write_output(dir.path(), b"x").unwrap_err();
        assert!(folder.to_string().contains("it is a folder"), "{folder}");
        std::os::unix::fs::symlink("nowhere.md", dir.path().join("dangling.md")).unwrap();
        let dangling = write_output(&dir.path().join("dangling.md"), b"x").unwrap_err();
        assert!(dangling.to_string().contains("symbolic link to nothing"), "{dangling}");
    }

    #[test]
    fn only_temp_files_of_write_atomic_count_as_leftovers() {
        assert!(is_temp_name(".feed.atom.123.tmp"));
        assert!(is_temp_name(&temp_name("index.html")));
        assert!(!is_temp_name("feed.atom"));
        assert!(!is_temp_name(".feed.atom.tmp"));
        assert!(!is_temp_name(".x.12a.tmp"));
        assert!(!is_temp_name("..1.tmp"));
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("2024-W48")).unwrap();
        let left = dir.path().join("2024-W48/.index.html.999999.tmp");
        std::fs::write(&left, "half").unwrap();
        std::fs::write(dir.path().join("keep.tmp"), "mine").unwrap();
        assert_eq!(remove_leftovers(dir.path()).unwrap(), vec![left.clone()]);
        assert!(!left.exists());
        assert!(dir.path().join("keep.tmp").exists());
    }
}
