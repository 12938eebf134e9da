//! The binary: parse the command line, run it, print an error with its causes once, exit.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    tune_malloc();
    let cli = match roundup::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // Help and version are not errors; bad arguments are fatal (2), as clap's own.
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match roundup::run(cli) {
        Ok(exit) => ExitCode::from(exit as u8),
        // A reader that went away (`roundup entries | head`) is not an error.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprint!("{}", roundup::error_report(e.as_ref()));
            ExitCode::from(roundup::Exit::Fatal as u8)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// glibc's allocator, tuned for a long fetch on a small machine; measured on a cold fetch of
/// 100,000 feeds from the scale bench's farm (`SCALE_SERVE`), peak RSS read from VmHWM.
///
/// - Arenas: glibc gives threads arenas of their own (up to eight per core) and keeps what is
///   freed in each: a 10,000-feed fetch, whose parsing moves between the blocking pool's
///   threads, held about 45 MB of RSS in 16 arenas for 28 MB of live heap (heaptrack,
///   /proc/PID/smaps). [`ARENAS`] of them, fewer than the threads a fetch keeps busy (two
///   async workers, two parsing, the writer), so RSS stays low, but not so few that those
///   threads queue for an arena's lock: with two, a cold 10,000-feed fetch took 13.5–14.1 s
///   and 22.1–23.1 s of CPU; with four, 12.9–13.2 s and 21.3–21.9 s (four alternating runs
///   each), for 5 MB more RSS (80 MB; with eight arenas 84–89 MB). At 100,000 feeds the peak is
///   96 MB (88 MB with two).
/// - Large blocks: glibc serves a block of [`MMAP_THRESHOLD`] or more with a mapping of its
///   own, returned to the system when freed; by default it raises that threshold to the size
///   of each such block freed (up to 32 MB), and the first large buffers let go (loading a
///   100,000-feed feeds.toml) raised it so far that every later large buffer (the dictionary
///   training's, a batch's) came from the arenas, whose freed space stays in the process:
///   81 MB of live heap at the peak (heaptrack) was 103 MB of anonymous memory (smaps) and
///   118 MB of RSS. A fixed threshold keeps them out of the arenas: the peak falls to 106 MB.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tune_malloc() {
    // SAFETY: mallopt only sets tunables of the allocator; no thread has been started yet.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, ARENAS);
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
    }
}

/// How many arenas glibc's allocator may make (see [`tune_malloc`]).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const ARENAS: libc::c_int = 4;

/// The smallest block glibc maps on its own (see [`tune_malloc`]): above a feed's body, so a
/// poll's buffers stay in the arenas; 128 KiB to 4 MiB all gave the same peak.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: libc::c_int = 256 << 10;

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_malloc() {}
