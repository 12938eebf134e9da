//! The one way roundup writes a file (published pages and feeds, drafts, feeds.toml): to a temp
//! file in the same folder, synced, then renamed over the old one, so a reader (or
//! `roundup serve`, or a crash) sees the old file or the new one, never half of one. A file
//! whose bytes have not changed is left alone, keeping its modification time (and so its
//! Last-Modified).

use std::io::Write;
use std::path::Path;

/// What happened to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wrote {
    /// The file was made or replaced.
    Written,
    /// The file already held these bytes.
    Unchanged,
}

/// Writes `bytes` to `path` atomically, making its folder if need be.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<Wrote> {
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(Wrote::Unchanged);
    }
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
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
}
