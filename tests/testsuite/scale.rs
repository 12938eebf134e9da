//! Scale (issue 11): what must stay linear in the size of the feeds file and the database.
//! Small enough for `cargo test`; the large sizes are in `cargo bench --bench scale`.

use std::fmt::Write as _;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::{Run, TestEnv};

/// Runs `cmd` to the end; what it printed, and the CPU time (user + system) it used, from
/// `wait4`: unlike wall time, not stretched by other tests sharing the machine.
fn run_with_cpu_time(mut cmd: Command) -> (Run, Duration) {
    let dir = tempfile::tempdir().unwrap();
    let (out, err) = (dir.path().join("out"), dir.path().join("err"));
    #[expect(clippy::zombie_processes, reason = "waited for below, with wait4, for its rusage")]
    let child = cmd
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .unwrap();
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our child, not yet waited for; both pointers are valid for writes.
    assert_eq!(unsafe { libc::wait4(pid, &mut status, 0, &mut usage) }, pid);
    let time = |t: libc::timeval| {
        Duration::from_secs(u64::try_from(t.tv_sec).unwrap())
            + Duration::from_micros(u64::try_from(t.tv_usec).unwrap())
    };
    let run = Run {
        code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
        stdout: std::fs::read_to_string(out).unwrap(),
        stderr: std::fs::read_to_string(err).unwrap(),
    };
    (run, time(usage.ru_utime) + time(usage.ru_stime))
}

/// A feeds.toml of `n` feeds.
fn many_feeds(n: usize) -> String {
    let mut text = String::from("[settings]\ntimezone = \"UTC\"\n\n");
    for i in 0..n {
        let _ = write!(
            text,
            "[[feeds]]\nid = \"blog-{i:06}\"\nname = \"Blog {i}\"\nurl = \"https://blog{i}.example/feed\"\n\n"
        );
    }
    text
}

/// `feeds list` over a 100,000-feed feeds.toml took 39.5 s: each configured feed was looked up
/// by a scan of every stored row, twice (the sync's "unchanged?" check and the listing). At
/// 20,000 feeds that was about 10 s of CPU in a debug build; by id it is about one.
#[test]
fn feeds_list_over_20000_feeds_is_linear_and_keeps_the_files_order() {
    const FEEDS: usize = 20_000;
    let env = TestEnv::new(&many_feeds(FEEDS));
    let mut cpu = Duration::ZERO;
    for round in ["first (syncs every feed)", "second (nothing to sync)"] {
        let (run, used) = run_with_cpu_time(env.command(&["feeds", "list"]));
        run.success();
        let lines: Vec<&str> = run.stdout.lines().collect();
        assert_eq!(lines.len(), FEEDS + 1, "{round}: a header and a line per feed");
        assert!(lines[1].starts_with("blog-000000 "), "{round}: {}", lines[1]);
        assert!(lines[FEEDS].starts_with("blog-019999 "), "{round}: {}", lines[FEEDS]);
        cpu += used;
    }
    assert!(cpu < Duration::from_secs(4), "two `feeds list` runs took {cpu:?} of CPU");
}
