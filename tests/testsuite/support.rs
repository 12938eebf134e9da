//! What every integration test stands on: a [`TestEnv`] (a temp dir with a feeds.toml the test
//! writes, a database path, and a way to run the real `roundup` binary against them) and a
//! [`FixtureServer`] (a real HTTP server on 127.0.0.1, serving fixture feeds and misbehaving on
//! purpose, that records what it was asked).
//!
//! Everything here is bounded: a run of the binary is killed after [`RUN_LIMIT`], every wait
//! polls against a deadline, and the server stops (dropping whatever it still holds) when the
//! test drops it. Nothing touches the internet.

use std::collections::HashMap;
use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{Path as UrlPath, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::Value;

/// The binary under test.
pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_roundup");

/// No run of the binary may take longer than this; past it the run is killed and the test fails.
pub(crate) const RUN_LIMIT: Duration = Duration::from_secs(60);

/// A fixture file's path (under `tests/fixtures/`).
pub(crate) fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(rel)
}

// ------------------------------------------------------------------------------------------
// Checks that need a tool or data from outside the repository
// ------------------------------------------------------------------------------------------

/// The environment variable that turns a skipped check into a failure. `.ci/run` sets it (and
/// installs every tool first), so CI can never pass a check that did not run.
pub(crate) const REQUIRE_TOOLS: &str = "ROUNDUP_REQUIRE_TOOLS";

/// Whether [`REQUIRE_TOOLS`] is set to anything but empty or `0`.
pub(crate) fn tools_required() -> bool {
    std::env::var_os(REQUIRE_TOOLS).is_some_and(|v| !v.is_empty() && v != "0")
}

/// Says that this test cannot run `check` because of `reason` (a missing tool or data set, and
/// how to get it). With [`REQUIRE_TOOLS`] set this panics, failing the test; otherwise the test
/// goes on (usually to return early) after one line on the process's real stderr:
///
/// ```text
/// SKIPPED CHECK in publish::feeds_validate: the W3C feed validator: Python's lxml is not installed (…)
/// ```
///
/// The line is written with `std::io::stderr()` rather than `eprintln!`, because libtest
/// captures the `print!` family only: so it shows in a plain `cargo test`, among the `ok`
/// lines, for a test that passes.
#[track_caller]
pub(crate) fn cannot_check(check: &str, reason: &str) {
    use std::io::Write;
    let test = std::thread::current().name().unwrap_or("?").to_string();
    if tools_required() {
        panic!("{check} cannot run: {reason} ({REQUIRE_TOOLS} is set, so a skipped check fails)");
    }
    let line = format!(
        "SKIPPED CHECK in {test}: {check}: {reason} (set {REQUIRE_TOOLS}=1 to make this fail)\n"
    );
    // Ignoring a failed write is right here: there is nowhere else to say it.
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// Whether `python3` is on the PATH and can import every one of `modules`.
pub(crate) fn python_has(modules: &[&str]) -> bool {
    Command::new("python3")
        .args(["-c", &format!("import {}", modules.join(", "))])
        .output()
        .is_ok_and(|o| o.status.success())
}

// ------------------------------------------------------------------------------------------
// Running the binary
// ------------------------------------------------------------------------------------------

/// What one run of the binary printed and how it ended.
#[derive(Debug)]
pub(crate) struct Run {
    /// The exit code; `None` when a signal ended the process.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Panics, showing everything printed, unless the run exited with `code`.
    #[track_caller]
    pub(crate) fn expect_code(&self, code: i32) -> &Run {
        assert_eq!(self.code, Some(code), "expected exit {code}\n{self}");
        self
    }

    /// Panics unless the run exited 0.
    #[track_caller]
    pub(crate) fn success(&self) -> &Run {
        self.expect_code(0)
    }

    /// The lines of stderr.
    pub(crate) fn stderr_lines(&self) -> Vec<&str> {
        self.stderr.lines().filter(|l| !l.trim().is_empty()).collect()
    }

    /// The one line of stdout starting with `roundup: polled` (the summary of a fetch).
    #[track_caller]
    pub(crate) fn summary(&self) -> &str {
        let lines: Vec<&str> =
            self.stdout.lines().filter(|l| l.starts_with("roundup: polled")).collect();
        assert_eq!(lines.len(), 1, "expected one summary line\n{self}");
        lines[0]
    }

    /// Stdout as JSON.
    #[track_caller]
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON: {e}\n{self}"))
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit: {:?}\n--- stdout ---\n{}--- stderr ---\n{}--------------",
            self.code, self.stdout, self.stderr
        )
    }
}

/// A child process whose output is collected on threads, so that it never blocks on a full pipe.
pub(crate) struct Running {
    pub child: Child,
    stdout: Option<std::thread::JoinHandle<String>>,
    stderr: Option<std::thread::JoinHandle<String>>,
    /// Lines of stdout as they come (for waiting on a line of `roundup watch`).
    pub lines: std::sync::mpsc::Receiver<String>,
}

impl Running {
    fn start(mut cmd: Command) -> Running {
        cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("the roundup binary starts");
        let (tx, lines) = std::sync::mpsc::channel();
        let mut out = child.stdout.take().expect("piped");
        let stdout = std::thread::spawn(move || {
            let mut all = String::new();
            let mut buf = [0u8; 4096];
            let mut pending = Vec::new();
            loop {
                match out.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        pending.extend_from_slice(&buf[..n]);
                        while let Some(i) = pending.iter().position(|b| *b == b'\n') {
                            let line: Vec<u8> = pending.drain(..=i).collect();
                            let line = String::from_utf8_lossy(&line).into_owned();
                            all.push_str(&line);
                            let _ = tx.send(line.trim_end().to_string());
                        }
                    }
                }
            }
            all.push_str(&String::from_utf8_lossy(&pending));
            all
        });
        let mut err = child.stderr.take().expect("piped");
        let stderr = std::thread::spawn(move || {
            let mut s = Vec::new();
            let _ = err.read_to_end(&mut s);
            String::from_utf8_lossy(&s).into_owned()
        });
        Running { child, stdout: Some(stdout), stderr: Some(stderr), lines }
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process is still running.
    pub(crate) fn is_running(&mut self) -> bool {
        self.child.try_wait().expect("try_wait").is_none()
    }

    /// Waits for a stdout line starting with `prefix`, for at most `limit`.
    #[track_caller]
    pub(crate) fn wait_for_line(&mut self, prefix: &str, limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.starts_with(prefix) => return line,
                Ok(_) => {}
                Err(_) => {
                    let _ = self.child.kill();
                    let run = self.finish(Duration::from_secs(5));
                    panic!("no line starting with {prefix:?} within {limit:?}\n{run}");
                }
            }
        }
    }

    /// Waits for the stdout line starting with `prefix` that names where the process listens
    /// (`… http://127.0.0.1:PORT/…`, as `serve` and `desk` say), and returns that address.
    #[track_caller]
    pub(crate) fn wait_for_address(&mut self, prefix: &str, limit: Duration) -> SocketAddr {
        let line = self.wait_for_line(prefix, limit);
        line.split("http://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("no address in {line:?}"))
    }

    /// Sends a signal with `kill -SIGNAL pid` (no libc needed).
    pub(crate) fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.pid().to_string())
            .status()
            .expect("kill(1) runs");
        assert!(status.success(), "kill -{signal} {} failed", self.pid());
    }

    /// Waits for the process to end, for at most `limit` (then kills it and panics).
    #[track_caller]
    pub(crate) fn finish(&mut self, limit: Duration) -> Run {
        let deadline = Instant::now() + limit;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                let out = self.stdout.take().map(|h| h.join().unwrap_or_default());
                let err = self.stderr.take().map(|h| h.join().unwrap_or_default());
                panic!(
                    "roundup did not finish within {limit:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
                    out.unwrap_or_default(),
                    err.unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        Run {
            code: status.code(),
            stdout: self.stdout.take().map(|h| h.join().unwrap_or_default()).unwrap_or_default(),
            stderr: self.stderr.take().map(|h| h.join().unwrap_or_default()).unwrap_or_default(),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // A test that panicked midway must not leave a roundup running.
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A temp dir with a feeds.toml and a database path, and the binary pointed at them.
pub(crate) struct TestEnv {
    dir: tempfile::TempDir,
    pub config: PathBuf,
    pub db: PathBuf,
}

impl TestEnv {
    /// A new environment whose feeds.toml holds `config_text`.
    pub(crate) fn new(config_text: &str) -> TestEnv {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = dir.path().join("feeds.toml");
        let db = dir.path().join("roundup.sqlite3");
        std::fs::write(&config, config_text).expect("write feeds.toml");
        TestEnv { dir, config, db }
    }

    /// A new environment polling `feeds` (id, url) with the given `[settings]` lines.
    pub(crate) fn with_feeds(settings: &str, feeds: &[(&str, String)]) -> TestEnv {
        TestEnv::new(&feeds_toml(settings, feeds))
    }

    pub(crate) fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub(crate) fn read_config(&self) -> String {
        std::fs::read_to_string(&self.config).expect("read feeds.toml")
    }

    /// The command `roundup --config <feeds.toml> --db <db> ARGS`, in the temp dir, with the
    /// environment variables that would override them removed.
    pub(crate) fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.arg("--config")
            .arg(&self.config)
            .arg("--db")
            .arg(&self.db)
            .args(args)
            .current_dir(self.dir.path())
            .env_remove("ROUNDUP_CONFIG")
            .env_remove("ROUNDUP_DB")
            .env("NO_COLOR", "1");
        cmd
    }

    /// Runs `roundup ARGS` to the end (at most [`RUN_LIMIT`]).
    pub(crate) fn run(&self, args: &[&str]) -> Run {
        run_command(self.command(args))
    }

    /// Starts `roundup ARGS` and returns at once.
    pub(crate) fn spawn(&self, args: &[&str]) -> Running {
        Running::start(self.command(args))
    }

    /// `roundup fetch ARGS`.
    pub(crate) fn fetch(&self, args: &[&str]) -> Run {
        let mut all = vec!["fetch"];
        all.extend_from_slice(args);
        self.run(&all)
    }

    /// `roundup entries --json ARGS`, which must succeed, as its array.
    #[track_caller]
    pub(crate) fn entries(&self, args: &[&str]) -> Vec<Value> {
        let mut all = vec!["entries", "--json"];
        all.extend_from_slice(args);
        let run = self.run(&all);
        run.success();
        match run.json() {
            Value::Array(a) => a,
            other => panic!("entries --json is not an array: {other}"),
        }
    }

    /// The one stored entry whose title starts with `title`.
    #[track_caller]
    pub(crate) fn entry_titled(&self, title: &str) -> Value {
        let entries = self.entries(&[]);
        let found: Vec<&Value> = entries
            .iter()
            .filter(|e| e["title"].as_str().is_some_and(|t| t.starts_with(title)))
            .collect();
        assert_eq!(found.len(), 1, "one entry titled {title:?} in {entries:#?}");
        found[0].clone()
    }

    /// `roundup feeds list --json`, which must succeed, keyed by feed id.
    #[track_caller]
    pub(crate) fn feeds(&self) -> HashMap<String, Value> {
        let run = self.run(&["feeds", "list", "--json"]);
        run.success();
        let Value::Array(list) = run.json() else { panic!("feeds list --json is not an array") };
        list.into_iter().map(|f| (f["id"].as_str().expect("id").to_string(), f)).collect()
    }

    /// The database, opened directly.
    pub(crate) fn sqlite(&self) -> rusqlite::Connection {
        let conn = rusqlite::Connection::open(&self.db).expect("open the database");
        conn.busy_timeout(Duration::from_secs(10)).expect("busy timeout");
        conn
    }

    /// One integer from `sql`.
    pub(crate) fn count(&self, sql: &str) -> i64 {
        self.sqlite().query_row(sql, [], |r| r.get(0)).unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// `PRAGMA integrity_check`: `"ok"` when the database is sound.
    pub(crate) fn integrity(&self) -> String {
        self.sqlite()
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .expect("integrity_check")
    }

    /// Rows sharing a (feed_id, identity) with another row.
    pub(crate) fn duplicates(&self) -> i64 {
        self.count(
            "SELECT count(*) FROM (SELECT 1 FROM entries GROUP BY feed_id, identity HAVING count(*) > 1)",
        )
    }
}

/// Runs `cmd` to the end (at most [`RUN_LIMIT`]).
pub(crate) fn run_command(cmd: Command) -> Run {
    Running::start(cmd).finish(RUN_LIMIT)
}

/// A feeds.toml: a `[settings]` table with `settings` (lines), then one `[[feeds]]` per (id, url).
pub(crate) fn feeds_toml(settings: &str, feeds: &[(&str, String)]) -> String {
    let mut s = String::from("# written by the test\n[settings]\n");
    s.push_str(settings);
    if !settings.is_empty() && !settings.ends_with('\n') {
        s.push('\n');
    }
    for (id, url) in feeds {
        s.push_str(&format!("\n[[feeds]]\nid = \"{id}\"\nurl = \"{url}\"\n"));
    }
    s
}

/// A fixture feed served by [`FixtureServer`]: (feed id, file under tests/fixtures,
/// content type, optional configured name).
pub(crate) type FeedFixture = (&'static str, &'static str, &'static str, Option<&'static str>);

/// Serves each of `feeds` at `/doc/{id}` and returns a feeds.toml that starts with `head` and
/// polls them.
pub(crate) fn serve_fixture_feeds(
    server: &FixtureServer,
    head: &str,
    feeds: &[FeedFixture],
) -> String {
    let mut config = head.to_string();
    for (id, file, content_type, name) in feeds {
        let body = std::fs::read_to_string(fixture(file)).expect("fixture");
        server.set_doc(id, content_type, &body);
        config.push_str(&format!(
            "\n[[feeds]]\nid = \"{id}\"\nurl = \"{}\"\n",
            server.url(&format!("/doc/{id}"))
        ));
        if let Some(name) = name {
            config.push_str(&format!("name = \"{name}\"\n"));
        }
    }
    config
}

/// Waits until `cond` holds, checking every 10 ms for at most `limit`.
#[track_caller]
pub(crate) fn wait_until(what: &str, limit: Duration, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !cond() {
        assert!(Instant::now() < deadline, "gave up after {limit:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

// ------------------------------------------------------------------------------------------
// The fixture server
// ------------------------------------------------------------------------------------------

/// The ETag and Last-Modified of `/rss.xml`.
pub(crate) const RSS_ETAG: &str = "W/\"townhall-2024-11-26\"";
pub(crate) const RSS_LAST_MODIFIED: &str = "Tue, 26 Nov 2024 09:00:00 GMT";
/// The Last-Modified of `/atom.xml` (which has no ETag).
pub(crate) const ATOM_LAST_MODIFIED: &str = "Wed, 27 Nov 2024 12:00:00 GMT";
/// Entries in the fixture feeds.
pub(crate) const RSS_ENTRIES: usize = 3;
pub(crate) const ATOM_ENTRIES: usize = 2;
pub(crate) const JSON_ENTRIES: usize = 2;
/// Entries in a `/gen/{name}` feed unless `?n=` says otherwise.
pub(crate) const GEN_ENTRIES: usize = 3;
/// How long `/slow.xml` takes to answer.
pub(crate) const SLOW_ANSWER: Duration = Duration::from_secs(10);
/// Size of `/big.xml` and `/big-stream.xml`.
pub(crate) const BIG_BODY: usize = 256 * 1024;
/// Decompressed size of `/bomb.xml`.
pub(crate) const BOMB_SIZE: usize = 4 * 1024 * 1024;
/// The longest `/doc/{name}?delay_ms=` waits.
pub(crate) const DOC_DELAY_LIMIT: Duration = Duration::from_secs(5);
/// The longest a held request waits for [`FixtureServer::release`].
pub(crate) const HOLD_LIMIT: Duration = Duration::from_secs(30);

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    /// Path and query.
    pub path: String,
    pub if_none_match: Option<String>,
    pub if_modified_since: Option<String>,
    pub accept_encoding: Option<String>,
    pub user_agent: Option<String>,
}

/// A document a test serves at `/doc/{name}` and may change between polls.
#[derive(Debug, Clone)]
struct Doc {
    body: String,
    content_type: String,
    version: u64,
}

struct ServerState {
    log: Mutex<Vec<Seen>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    answered: AtomicUsize,
    docs: Mutex<HashMap<String, Doc>>,
    versions: AtomicU64,
    /// Delay before every `/gen/...` answer, in milliseconds.
    gen_delay_ms: AtomicU64,
    /// `/gen/...` requests past this many are held until released.
    hold_after: AtomicUsize,
    gen_requests: AtomicUsize,
    released: tokio::sync::watch::Sender<bool>,
}

/// A real HTTP server on 127.0.0.1:<free port>, on its own thread and runtime, stopped on drop.
///
/// Routes:
/// - `/rss.xml`: RSS, with ETag [`RSS_ETAG`] and Last-Modified [`RSS_LAST_MODIFIED`]; 304 when
///   If-None-Match matches, or (without If-None-Match) If-Modified-Since matches exactly.
/// - `/atom.xml`: Atom, Last-Modified only (304 on a matching If-Modified-Since).
/// - `/feed.json`: a JSON Feed, no validators.
/// - `/gzip.xml`: the RSS feed gzip-compressed (Content-Encoding: gzip).
/// - `/gen/{name}[?n=N]`: a generated RSS feed with N (default 3) entries `{name}-1`..; subject
///   to [`FixtureServer::set_gen_delay`] and [`FixtureServer::hold_after`].
/// - `/redirect/{code}/{name}[?to=PATH]`: answers `code` (301, 302, 307, 308) to `/gen/{name}`
///   (or to PATH).
/// - `/status/{code}`: an empty answer with that status; 429 with `Retry-After: 7200`, 503
///   with a Retry-After HTTP date three hours ahead.
/// - `/slow.xml`: the RSS feed after [`SLOW_ANSWER`].
/// - `/big.xml` (with Content-Length) and `/big-stream.xml` (chunked): a valid feed of
///   [`BIG_BODY`] bytes.
/// - `/bomb.xml`: a few KiB of gzip that inflate to [`BOMB_SIZE`] bytes.
/// - `/page.html`: an HTML page advertising `/gen/discovered`; `/nofeed.html`: one advertising
///   nothing.
/// - `/doc/{name}[?delay_ms=MS]`: whatever the test set with [`FixtureServer::set_doc`], with
///   an ETag that changes with it; 404 until set. With `delay_ms`, answered that much later (at
///   most [`DOC_DELAY_LIMIT`]).
pub(crate) struct FixtureServer {
    addr: SocketAddr,
    state: Arc<ServerState>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FixtureServer {
    pub(crate) fn start() -> FixtureServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("local addr");
        let (released, _) = tokio::sync::watch::channel(false);
        let state = Arc::new(ServerState {
            log: Mutex::new(Vec::new()),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            answered: AtomicUsize::new(0),
            docs: Mutex::new(HashMap::new()),
            versions: AtomicU64::new(0),
            gen_delay_ms: AtomicU64::new(0),
            hold_after: AtomicUsize::new(usize::MAX),
            gen_requests: AtomicUsize::new(0),
            released,
        });
        let app = router(state.clone());
        let (shutdown, stop) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("server runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                let serve = std::future::IntoFuture::into_future(axum::serve(listener, app));
                tokio::select! {
                    _ = serve => {}
                    _ = stop => {}
                }
            });
            // Requests still held or sleeping are dropped, not waited for.
            rt.shutdown_timeout(Duration::from_millis(100));
        });
        FixtureServer { addr, state, shutdown: Some(shutdown), thread: Some(thread) }
    }

    /// `http://127.0.0.1:PORT` + `path`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Every request so far, in arrival order.
    pub(crate) fn log(&self) -> Vec<Seen> {
        self.state.log.lock().unwrap().clone()
    }

    /// Paths (with queries) of every request so far.
    pub(crate) fn paths(&self) -> Vec<String> {
        self.log().into_iter().map(|s| s.path).collect()
    }

    /// How many requests asked for exactly `path`.
    pub(crate) fn hits(&self, path: &str) -> usize {
        self.log().iter().filter(|s| s.path == path).count()
    }

    /// Requests answered so far.
    pub(crate) fn answered(&self) -> usize {
        self.state.answered.load(Ordering::SeqCst)
    }

    /// The most requests that were ever in flight at once.
    pub(crate) fn max_in_flight(&self) -> usize {
        self.state.max_in_flight.load(Ordering::SeqCst)
    }

    /// Makes every `/gen/...` answer wait `delay` first.
    pub(crate) fn set_gen_delay(&self, delay: Duration) {
        self.state.gen_delay_ms.store(delay.as_millis() as u64, Ordering::SeqCst);
    }

    /// Answers the first `n` `/gen/...` requests as usual and holds every later one until
    /// [`release`](Self::release) (or [`HOLD_LIMIT`]).
    pub(crate) fn hold_after(&self, n: usize) {
        self.state.hold_after.store(n, Ordering::SeqCst);
    }

    /// Lets held requests (and all later ones) through.
    pub(crate) fn release(&self) {
        self.state.hold_after.store(usize::MAX, Ordering::SeqCst);
        self.state.released.send_replace(true);
    }

    /// Serves `body` at `/doc/{name}` as `content_type`, with a new ETag.
    pub(crate) fn set_doc(&self, name: &str, content_type: &str, body: &str) {
        let version = self.state.versions.fetch_add(1, Ordering::SeqCst) + 1;
        self.state.docs.lock().unwrap().insert(
            name.to_string(),
            Doc { body: body.to_string(), content_type: content_type.to_string(), version },
        );
    }
}

impl Drop for FixtureServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A port on 127.0.0.1 where nothing listens (bound, then let go).
pub(crate) fn closed_port_url(path: &str) -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = l.local_addr().expect("addr");
    drop(l);
    format!("http://{addr}{path}")
}

fn router(state: Arc<ServerState>) -> Router {
    Router::new()
        .route("/rss.xml", get(rss))
        .route("/atom.xml", get(atom))
        .route("/feed.json", get(json_feed))
        .route("/gzip.xml", get(gzip_feed))
        .route("/gen/{name}", get(generated))
        .route("/redirect/{code}/{name}", get(redirect))
        .route("/status/{code}", get(status))
        .route("/slow.xml", get(slow))
        .route("/big.xml", get(big))
        .route("/big-stream.xml", get(big_stream))
        .route("/bomb.xml", get(bomb))
        .route("/page.html", get(|| async { html(PAGE_HTML) }))
        .route("/nofeed.html", get(|| async { html(NOFEED_HTML) }))
        .route("/doc/{name}", get(doc))
        .layer(axum::middleware::from_fn_with_state(state.clone(), track))
        .with_state(state)
}

/// Counts a request out of flight when dropped (also when its handler is cancelled).
struct InFlight(Arc<ServerState>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Records each request and counts requests in flight.
async fn track(State(state): State<Arc<ServerState>>, req: Request, next: Next) -> Response {
    let h = req.headers();
    let text = |name: header::HeaderName| {
        h.get(name).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    };
    let seen = Seen {
        path: req.uri().path_and_query().map(|p| p.to_string()).unwrap_or_default(),
        if_none_match: text(header::IF_NONE_MATCH),
        if_modified_since: text(header::IF_MODIFIED_SINCE),
        accept_encoding: text(header::ACCEPT_ENCODING),
        user_agent: text(header::USER_AGENT),
    };
    state.log.lock().unwrap().push(seen);
    let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    state.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let guard = InFlight(state.clone());
    let response = next.run(req).await;
    drop(guard);
    state.answered.fetch_add(1, Ordering::SeqCst);
    response
}

const RSS_XML: &str = include_str!("../fixtures/http/rss.xml");
const ATOM_XML: &str = include_str!("../fixtures/http/atom.xml");
const FEED_JSON: &str = include_str!("../fixtures/http/feed.json");
const PAGE_HTML: &str = include_str!("../fixtures/http/page.html");
const NOFEED_HTML: &str = include_str!("../fixtures/http/nofeed.html");

const RSS_TYPE: &str = "application/rss+xml; charset=utf-8";

fn with_type(content_type: &str, body: impl Into<Body>) -> Response {
    ([(header::CONTENT_TYPE, HeaderValue::from_str(content_type).unwrap())], body.into())
        .into_response()
}

fn html(body: &'static str) -> Response {
    with_type("text/html; charset=utf-8", body)
}

fn header_is(headers: &HeaderMap, name: header::HeaderName, value: &str) -> bool {
    headers.get(name).is_some_and(|v| v.as_bytes() == value.as_bytes())
}

async fn rss(headers: HeaderMap) -> Response {
    let validators = [(header::ETAG, RSS_ETAG), (header::LAST_MODIFIED, RSS_LAST_MODIFIED)];
    let fresh = if headers.contains_key(header::IF_NONE_MATCH) {
        header_is(&headers, header::IF_NONE_MATCH, RSS_ETAG)
    } else {
        header_is(&headers, header::IF_MODIFIED_SINCE, RSS_LAST_MODIFIED)
    };
    if fresh {
        return (StatusCode::NOT_MODIFIED, validators).into_response();
    }
    (validators, with_type(RSS_TYPE, RSS_XML)).into_response()
}

async fn atom(headers: HeaderMap) -> Response {
    let validators = [(header::LAST_MODIFIED, ATOM_LAST_MODIFIED)];
    if header_is(&headers, header::IF_MODIFIED_SINCE, ATOM_LAST_MODIFIED) {
        return (StatusCode::NOT_MODIFIED, validators).into_response();
    }
    (validators, with_type("application/atom+xml", ATOM_XML)).into_response()
}

async fn json_feed() -> Response {
    with_type("application/feed+json", FEED_JSON)
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(bytes).expect("gzip to memory");
    enc.finish().expect("gzip to memory")
}

async fn gzip_feed() -> Response {
    static BODY: LazyLock<Vec<u8>> = LazyLock::new(|| gzip(RSS_XML.as_bytes()));
    ([(header::CONTENT_ENCODING, "gzip")], with_type(RSS_TYPE, BODY.clone())).into_response()
}

/// A valid RSS document of exactly `size` bytes or more: padded with a comment.
fn padded_feed(size: usize) -> String {
    let head = "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel><title>Padded</title>\
                <item><guid>padded-1</guid><title>Padded</title></item><!-- ";
    let tail = " --></channel></rss>\n";
    let pad = size.saturating_sub(head.len() + tail.len());
    format!("{head}{}{tail}", "x".repeat(pad))
}

async fn big() -> Response {
    with_type(RSS_TYPE, padded_feed(BIG_BODY))
}

async fn big_stream() -> Response {
    let body = padded_feed(BIG_BODY).into_bytes();
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        body.chunks(8 * 1024).map(|c| Ok(c.to_vec())).collect();
    with_type(RSS_TYPE, Body::from_stream(futures_util::stream::iter(chunks)))
}

async fn bomb() -> Response {
    static BODY: LazyLock<Vec<u8>> = LazyLock::new(|| gzip(padded_feed(BOMB_SIZE).as_bytes()));
    ([(header::CONTENT_ENCODING, "gzip")], with_type(RSS_TYPE, BODY.clone())).into_response()
}

async fn slow() -> Response {
    tokio::time::sleep(SLOW_ANSWER).await;
    with_type(RSS_TYPE, RSS_XML)
}

/// The RSS document `/gen/{name}?n=N` serves.
pub(crate) fn generated_feed(name: &str, n: usize) -> String {
    let mut items = String::new();
    for i in (1..=n).rev() {
        // Entry i is i hours after 2024-11-20T00:00:00Z.
        let day = 20 + i / 24;
        let hour = i % 24;
        items.push_str(&format!(
            "<item><title>Item {i} of {name}</title><link>https://gen.example/{name}/{i}</link>\
             <guid isPermaLink=\"false\">{name}-{i}</guid>\
             <pubDate>{day:02} Nov 2024 {hour:02}:00:00 GMT</pubDate>\
             <description>Entry number {i} of the generated feed {name}.</description></item>\n"
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel>\
         <title>Generated feed {name}</title><link>https://gen.example/{name}/</link>\n{items}\
         </channel></rss>\n"
    )
}

async fn generated(
    State(state): State<Arc<ServerState>>,
    UrlPath(name): UrlPath<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let nth = state.gen_requests.fetch_add(1, Ordering::SeqCst);
    if nth >= state.hold_after.load(Ordering::SeqCst) {
        let mut released = state.released.subscribe();
        let _ = tokio::time::timeout(HOLD_LIMIT, released.wait_for(|r| *r)).await;
    }
    let delay = state.gen_delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let n = query.get("n").and_then(|n| n.parse().ok()).unwrap_or(GEN_ENTRIES);
    with_type(RSS_TYPE, generated_feed(&name, n))
}

async fn redirect(
    UrlPath((code, name)): UrlPath<(u16, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let status = StatusCode::from_u16(code).expect("a status code");
    let to = query.get("to").cloned().unwrap_or_else(|| format!("/gen/{name}"));
    (status, [(header::LOCATION, to)]).into_response()
}

async fn status(UrlPath(code): UrlPath<u16>) -> Response {
    let status = StatusCode::from_u16(code).expect("a status code");
    match code {
        429 => (status, [(header::RETRY_AFTER, "7200".to_string())]).into_response(),
        503 => {
            let at = chrono::Utc::now() + chrono::Duration::hours(3);
            let date = at.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
            (status, [(header::RETRY_AFTER, date)]).into_response()
        }
        _ => (status, format!("status {code}\n")).into_response(),
    }
}

async fn doc(
    State(state): State<Arc<ServerState>>,
    UrlPath(name): UrlPath<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if let Some(ms) = query.get("delay_ms").and_then(|ms| ms.parse::<u64>().ok()) {
        tokio::time::sleep(Duration::from_millis(ms).min(DOC_DELAY_LIMIT)).await;
    }
    let Some(doc) = state.docs.lock().unwrap().get(&name).cloned() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let etag = format!("\"doc-{}\"", doc.version);
    if header_is(&headers, header::IF_NONE_MATCH, &etag) {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    ([(header::ETAG, etag)], with_type(&doc.content_type, doc.body)).into_response()
}
