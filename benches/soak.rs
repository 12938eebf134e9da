//! `cargo bench --bench soak`: `roundup watch` polling while an editor works (issue 10, item 1).
//!
//! For `SOAK_SECONDS` (default 60) the bench keeps `roundup watch` polling a set of changing
//! feeds it serves itself on 127.0.0.1, while `SOAK_EDITORS` (default 2) other processes run
//! the editor's commands in a loop: `pick`, `skip`, `edit`, `draft`, `publish` and
//! `entries --search`, each a real run of the binary cargo built, on the same database. Then it
//! prints, per command, the runs, the failures and the slowest run; watch's rounds, failed
//! rounds and busy retries (a round `watch` said it would try again: allowed, not a failure);
//! and `PRAGMA integrity_check`. It exits 1 on any failed command or round, or a damaged
//! database; 2 when the bench itself could not run.
//!
//! Feeds are polled at most every 15 minutes, so one `watch` process would poll once in a
//! minute. Each round is therefore a `watch` process of its own: the bench marks every feed due
//! (one small write of its own, through SQLite's busy wait), starts `roundup watch`, waits for
//! it to finish the round ("next poll at"), and stops it with SIGTERM, which must end it with
//! exit 0. The feeds change under it: every few seconds each gains an entry and its newest
//! entry's title changes, so every round writes.
//!
//! Everything is bounded: each command is killed after `SOAK_COMMAND_LIMIT_S` (default 60 s,
//! counted as a failure), a round after 90 s, and the bench ends after the soak plus those
//! limits.

#![expect(
    clippy::cast_possible_truncation,
    reason = "bench arithmetic on small counts and durations that fit"
)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

const BIN: &str = env!("CARGO_BIN_EXE_roundup");
/// The feeds served and polled.
const FEEDS: usize = 8;
/// Entries each feed starts with; one more every [`GROWTH`].
const START_ENTRIES: u64 = 12;
const GROWTH: Duration = Duration::from_secs(3);
/// Entries a feed document holds (its newest).
const WINDOW: u64 = 15;
/// A round of `watch` (its process, from start to SIGTERM) may take this long.
const ROUND_LIMIT: Duration = Duration::from_secs(90);

fn main() -> ExitCode {
    // `cargo test --all-targets` runs bench targets too, without `--bench`: do nothing then.
    if !std::env::args().any(|a| a == "--bench") {
        println!("soak bench: skipped (run it with `cargo bench --bench soak`)");
        return ExitCode::SUCCESS;
    }
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("soak bench: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn env_number(
    name: &str,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
) -> anyhow::Result<u64> {
    let value = match std::env::var(name) {
        Ok(v) => v.trim().parse().map_err(|_| anyhow::anyhow!("{name}={v:?} is not a number"))?,
        Err(_) => default,
    };
    if !range.contains(&value) {
        bail!("{name} must be in {range:?}, not {value}");
    }
    Ok(value)
}

// ------------------------------------------------------------------------------------------
// the feed server
// ------------------------------------------------------------------------------------------

/// Serves `/feeds/fN.xml` (RSS whose entries grow and change with time) and `/posts/...` (a
/// small article page) on 127.0.0.1, one thread per connection, `Connection: close`.
struct FeedServer {
    port: u16,
    stop: Arc<AtomicBool>,
    requests: Arc<AtomicU64>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FeedServer {
    fn start() -> anyhow::Result<FeedServer> {
        let listener = TcpListener::bind("127.0.0.1:0").context("cannot bind 127.0.0.1")?;
        listener.set_nonblocking(true)?;
        let port = listener.local_addr()?.port();
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(AtomicU64::new(0));
        let started = Instant::now();
        let thread = {
            let (stop, requests) = (stop.clone(), requests.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    match listener.accept() {
                        Ok((conn, _)) => {
                            requests.fetch_add(1, Ordering::Relaxed);
                            std::thread::spawn(move || answer(conn, port, started));
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            std::thread::sleep(Duration::from_millis(5));
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(5)),
                    }
                }
            })
        };
        Ok(FeedServer { port, stop, requests, thread: Some(thread) })
    }

    fn feed_url(&self, feed: usize) -> String {
        format!("http://127.0.0.1:{}/feeds/f{feed}.xml", self.port)
    }
}

impl Drop for FeedServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn answer(mut conn: TcpStream, port: u16, started: Instant) {
    let _ = conn.set_nonblocking(false);
    let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = conn.set_write_timeout(Some(Duration::from_secs(5)));
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 64 * 1024 {
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head);
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
    let (status, content_type, body) = if let Some(feed) = path
        .strip_prefix("/feeds/f")
        .and_then(|p| p.strip_suffix(".xml"))
        .and_then(|n| n.parse().ok())
    {
        (
            "200 OK",
            "application/rss+xml; charset=utf-8",
            feed_document(feed, port, started.elapsed()),
        )
    } else if path.starts_with("/posts/") {
        ("200 OK", "text/html; charset=utf-8", article(&path))
    } else {
        ("404 Not Found", "text/plain", "not found\n".to_string())
    };
    let _ = write!(
        conn,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

/// Feed `feed` as it stands `elapsed` after the server started: `START_ENTRIES` entries plus one
/// per [`GROWTH`], the newest [`WINDOW`] of them, the newest one's title revised as it grows.
fn feed_document(feed: usize, port: u16, elapsed: Duration) -> String {
    let ticks = elapsed.as_secs() / GROWTH.as_secs();
    let count = START_ENTRIES + ticks;
    let now = chrono::Utc::now();
    let mut items = String::new();
    for k in (count.saturating_sub(WINDOW)..count).rev() {
        let age = chrono::Duration::minutes(i64::try_from(count - k).unwrap_or(0) * 7);
        let revision = if k + 1 == count {
            format!(" (revision {})", elapsed.as_secs())
        } else {
            String::new()
        };
        let _ = write!(
            items,
            "<item><title>Council budget note {k} from feed {feed}{revision}</title>\
             <link>http://127.0.0.1:{port}/posts/f{feed}-{k}</link>\
             <guid isPermaLink=\"false\">soak-f{feed}-{k}</guid>\
             <dc:creator>Author {feed}</dc:creator>\
             <pubDate>{}</pubDate>\
             <description>&lt;p&gt;Paragraph one of entry {k}: budgets, bins and buses.&lt;/p&gt;\
             &lt;p&gt;Paragraph two of entry {k}: housing and social care.&lt;/p&gt;</description>\
             </item>",
            (now - age).format("%a, %d %b %Y %H:%M:%S +0000")
        );
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\" \
         xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel><title>Soak feed {feed}</title>\
         <link>http://127.0.0.1:{port}/</link><description>Changing feed {feed}</description>\
         {items}</channel></rss>\n"
    )
}

fn article(path: &str) -> String {
    let name = html_escape::encode_text(path);
    format!(
        "<!doctype html><html><head><title>{name}</title></head><body><article><h1>{name}</h1>\
         <p>The council's budget for the year was agreed after a long debate about bins.</p>\
         <p>Housing and social care take most of the money, and the rest goes on roads.</p>\
         </article></body></html>"
    )
}

// ------------------------------------------------------------------------------------------
// running roundup
// ------------------------------------------------------------------------------------------

struct Desk {
    dir: PathBuf,
    config: PathBuf,
    db: PathBuf,
}

impl Desk {
    fn command(&self, args: &[String]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.arg("--config")
            .arg(&self.config)
            .arg("--db")
            .arg(&self.db)
            .args(args)
            .current_dir(&self.dir)
            .env_remove("ROUNDUP_CONFIG")
            .env_remove("ROUNDUP_DB")
            // Loopback only: never through a proxy.
            .env_remove("http_proxy")
            .env_remove("HTTP_PROXY")
            .env_remove("all_proxy")
            .env_remove("ALL_PROXY")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        cmd
    }
}

/// One finished command: its exit code (None: killed), time and output.
struct Finished {
    code: Option<i32>,
    took: Duration,
    stdout: String,
    stderr: String,
}

/// Runs `roundup ARGS` to the end, killing it after `limit`; its output goes through files
/// named after `tag`, so a full pipe can never hold it.
fn run_to_end(
    desk: &Desk,
    args: &[String],
    tag: &str,
    limit: Duration,
) -> anyhow::Result<Finished> {
    let out = desk.dir.join(format!("{tag}.stdout"));
    let err = desk.dir.join(format!("{tag}.stderr"));
    let started = Instant::now();
    let mut child = desk
        .command(args)
        .stdout(std::fs::File::create(&out)?)
        .stderr(std::fs::File::create(&err)?)
        .spawn()
        .context("cannot start roundup")?;
    let code = loop {
        if let Some(status) = child.try_wait()? {
            break status.code();
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    Ok(Finished {
        code,
        took: started.elapsed(),
        stdout: std::fs::read_to_string(&out).unwrap_or_default(),
        stderr: std::fs::read_to_string(&err).unwrap_or_default(),
    })
}

/// What was seen of one command (or of watch's rounds).
#[derive(Default)]
struct Tally {
    runs: u64,
    failures: u64,
    slowest: Duration,
    total: Duration,
    /// The first few failures, said in one line each.
    examples: Vec<String>,
}

impl Tally {
    fn record(&mut self, took: Duration, failure: Option<String>) {
        self.runs += 1;
        self.total += took;
        self.slowest = self.slowest.max(took);
        if let Some(f) = failure {
            self.failures += 1;
            if self.examples.len() < 3 {
                self.examples.push(f);
            }
        }
    }
}

type Tallies = Arc<Mutex<BTreeMap<&'static str, Tally>>>;

fn one_line(s: &str) -> String {
    let s: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() > 300 {
        format!("{}…", s.chars().take(300).collect::<String>())
    } else {
        s
    }
}

/// Editor `editor`'s loop: every command in turn (each editor starting at a different one)
/// until `deadline`.
fn editor_loop(
    desk: &Desk,
    editor: usize,
    to_pick: &[i64],
    to_skip: &[i64],
    deadline: Instant,
    limit: Duration,
    tallies: &Tallies,
) -> anyhow::Result<()> {
    const COMMANDS: [&str; 6] = ["pick", "skip", "edit", "draft", "publish", "entries --search"];
    const WORDS: [&str; 4] = ["budget", "housing", "bins", "council"];
    let mut n = 0usize;
    while Instant::now() < deadline {
        let name = COMMANDS[(n + editor * 3) % COMMANDS.len()];
        let round = n / COMMANDS.len();
        let args: Vec<String> = match name {
            "pick" => vec![
                "pick".into(),
                to_pick[(round * 2 + editor) % to_pick.len()].to_string(),
                "--note".into(),
                format!("Soak note {n} from editor {editor}, with a [link](https://example.org/)."),
            ],
            "skip" => {
                vec!["skip".into(), to_skip[(round * 2 + editor) % to_skip.len()].to_string()]
            }
            "edit" => vec![
                "edit".into(),
                "--intro".into(),
                format!("A soak week: editor {editor}, pass {n}."),
                "--tags".into(),
                "soak, budgets".into(),
            ],
            "draft" => vec!["draft".into()],
            "publish" => vec!["publish".into()],
            _ => vec![
                "entries".into(),
                "--search".into(),
                WORDS[n % WORDS.len()].into(),
                "--limit".into(),
                "20".into(),
            ],
        };
        let done = run_to_end(desk, &args, &format!("editor{editor}"), limit)?;
        let failure = match done.code {
            Some(0) => None,
            Some(c) => {
                Some(format!("`roundup {}` exited {c}: {}", args.join(" "), one_line(&done.stderr)))
            }
            None => Some(format!("`roundup {}` killed after {limit:?}", args.join(" "))),
        };
        tallies
            .lock()
            .expect("no panics holding it")
            .entry(name)
            .or_default()
            .record(done.took, failure);
        n += 1;
    }
    Ok(())
}

/// Watch's rounds, until `deadline`.
#[derive(Default)]
struct Rounds {
    tally: Tally,
    /// Rounds `watch` said it would try again because the database was busy.
    busy_retries: u64,
    /// Feed polls `watch` reported as failed.
    failed_feeds: u64,
    /// Times the bench could not mark the feeds due (its own write; not roundup's failure).
    bench_write_failures: u64,
}

fn watch_loop(desk: &Desk, deadline: Instant) -> anyhow::Result<Rounds> {
    let mut rounds = Rounds::default();
    let mut round = 0u64;
    while Instant::now() < deadline {
        round += 1;
        if let Err(e) = mark_all_due(&desk.db) {
            rounds.bench_write_failures += 1;
            eprintln!("soak bench: could not mark the feeds due: {e:#}");
        }
        let started = Instant::now();
        let stderr_path = desk.dir.join("watch.stderr");
        let mut child = desk
            .command(&["watch".into()])
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr_path)?)
            .spawn()
            .context("cannot start roundup watch")?;
        let lines = read_lines(&mut child);
        let mut failure = None;
        let mut finished_round = false;
        let mut stdout = String::new();
        while started.elapsed() < ROUND_LIMIT {
            match lines.recv_timeout(Duration::from_millis(20)) {
                Ok(line) => {
                    if line.contains("the database is busy") {
                        rounds.busy_retries += 1;
                    }
                    let done = line.starts_with("roundup: next poll at");
                    stdout.push_str(&line);
                    stdout.push('\n');
                    if done {
                        finished_round = true;
                        break;
                    }
                }
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        // Stop it as systemd would, and give it 15 s to end.
        // SAFETY: a plain syscall on our own child, not yet reaped.
        unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
        let stop_started = Instant::now();
        let code = loop {
            if let Some(status) = child.try_wait()? {
                break status.code();
            }
            if stop_started.elapsed() > Duration::from_secs(15) {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let took = started.elapsed();
        let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
        let feed_failures =
            stderr.lines().filter(|l| l.starts_with("roundup: feed ")).count() as u64;
        rounds.failed_feeds += feed_failures;
        if !finished_round {
            failure = Some(format!(
                "round {round}: watch did not finish a round ({}): {}",
                if started.elapsed() >= ROUND_LIMIT { "timed out" } else { "ended" },
                one_line(&format!("{stdout}{stderr}"))
            ));
        } else if code != Some(0) {
            failure = Some(format!(
                "round {round}: watch exited {code:?} on SIGTERM: {}",
                one_line(&stderr)
            ));
        } else if feed_failures > 0 {
            failure = Some(format!("round {round}: {}", one_line(&stderr)));
        }
        rounds.tally.record(took, failure);
    }
    Ok(rounds)
}

fn read_lines(child: &mut Child) -> std::sync::mpsc::Receiver<String> {
    let stdout = child.stdout.take().expect("piped");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

/// Makes every feed due now, as 15 minutes passing would.
fn mark_all_due(db: &Path) -> anyhow::Result<()> {
    let conn = rusqlite::Connection::open(db)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.execute_batch("BEGIN IMMEDIATE; UPDATE feeds SET next_due_at = NULL; COMMIT;")?;
    Ok(())
}

fn integrity(db: &Path) -> anyhow::Result<String> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    let mut stmt = conn.prepare("PRAGMA integrity_check")?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
    Ok(rows.join("; "))
}

fn entry_ids(desk: &Desk) -> anyhow::Result<Vec<i64>> {
    let done =
        run_to_end(desk, &["entries".into(), "--json".into()], "setup", Duration::from_secs(60))?;
    if done.code != Some(0) {
        bail!("`roundup entries --json` failed: {}", one_line(&done.stderr));
    }
    let v: serde_json::Value = serde_json::from_str(&done.stdout).context("entries --json")?;
    let ids: Vec<i64> = v
        .as_array()
        .context("entries --json is not an array")?
        .iter()
        .filter_map(|e| e["id"].as_i64())
        .collect();
    if ids.len() < 4 {
        bail!("only {} entries stored after the first fetch", ids.len());
    }
    Ok(ids)
}

fn run() -> anyhow::Result<bool> {
    let seconds = env_number("SOAK_SECONDS", 60, 1..=3600)?;
    let editors = env_number("SOAK_EDITORS", 2, 1..=8)? as usize;
    let limit = Duration::from_secs(env_number("SOAK_COMMAND_LIMIT_S", 60, 1..=600)?);
    let server = FeedServer::start()?;
    let dir = tempfile::Builder::new().prefix("roundup-soak-").tempdir()?;
    let config = dir.path().join("feeds.toml");
    let mut toml = String::from(
        "# roundup soak bench\n[settings]\ntimezone = \"Europe/London\"\n\n[roundup]\n\
         title = \"Soak week\"\nauthor = \"Soak Editor\"\nbase_url = \"https://soak.example/\"\n\
         public = \"public\"\ndrafts = \"drafts\"\ntemplates = \"templates\"\n",
    );
    for feed in 0..FEEDS {
        let _ =
            write!(toml, "\n[[feeds]]\nid = \"f{feed}\"\nurl = \"{}\"\n", server.feed_url(feed));
    }
    std::fs::write(&config, toml)?;
    let desk = Desk { dir: dir.path().to_path_buf(), db: dir.path().join("soak.sqlite3"), config };

    println!(
        "roundup soak bench: {seconds}s of `watch` against {editors} editor process(es), {FEEDS} changing feeds on 127.0.0.1:{}",
        server.port
    );
    println!("  roundup: {BIN}");
    let first = run_to_end(&desk, &["fetch".into()], "setup", limit)?;
    if first.code != Some(0) {
        bail!("the first `roundup fetch` failed: {}", one_line(&first.stderr));
    }
    let ids = entry_ids(&desk)?;
    let to_pick: Vec<i64> = ids.iter().copied().step_by(2).take(24).collect();
    let to_skip: Vec<i64> = ids.iter().copied().skip(1).step_by(2).take(24).collect();
    // publish needs a pick from the start.
    let seed = run_to_end(&desk, &["pick".into(), to_pick[0].to_string()], "setup", limit)?;
    if seed.code != Some(0) {
        bail!("the first `roundup pick` failed: {}", one_line(&seed.stderr));
    }

    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let tallies: Tallies = Arc::default();
    let (rounds, editor_results) = std::thread::scope(|s| {
        let editors: Vec<_> = (0..editors)
            .map(|e| {
                let (desk, to_pick, to_skip, tallies) = (&desk, &to_pick, &to_skip, &tallies);
                s.spawn(move || editor_loop(desk, e, to_pick, to_skip, deadline, limit, tallies))
            })
            .collect();
        let rounds = watch_loop(&desk, deadline);
        let results: Vec<anyhow::Result<()>> =
            editors.into_iter().map(|h| h.join().expect("editor thread")).collect();
        (rounds, results)
    });
    let rounds = rounds?;
    for r in editor_results {
        r?;
    }
    let wall = started.elapsed();
    let check = integrity(&desk.db)?;

    let tallies = tallies.lock().expect("no panics holding it");
    println!(
        "  {:.1}s; feed server answered {} requests",
        wall.as_secs_f64(),
        server.requests.load(Ordering::Relaxed)
    );
    println!(
        "  {:<18} {:>6} {:>9} {:>12} {:>12}",
        "command", "runs", "failures", "mean (ms)", "slowest (ms)"
    );
    let row = |name: &str, t: &Tally| {
        println!(
            "  {:<18} {:>6} {:>9} {:>12.0} {:>12.0}",
            name,
            t.runs,
            t.failures,
            t.total.as_secs_f64() * 1000.0 / t.runs.max(1) as f64,
            t.slowest.as_secs_f64() * 1000.0
        );
    };
    for (name, t) in tallies.iter() {
        row(name, t);
    }
    row("watch (rounds)", &rounds.tally);
    println!(
        "  watch: {} rounds, {} failed, {} busy retries (said and retried, not failures), {} failed feed polls",
        rounds.tally.runs, rounds.tally.failures, rounds.busy_retries, rounds.failed_feeds
    );
    if rounds.bench_write_failures > 0 {
        println!(
            "  the bench could not mark the feeds due {} time(s)",
            rounds.bench_write_failures
        );
    }
    println!("  PRAGMA integrity_check: {check}");
    let mut ok = check == "ok" && rounds.tally.failures == 0 && rounds.tally.runs > 0;
    for (name, t) in tallies.iter().map(|(n, t)| (*n, t)).chain([("watch", &rounds.tally)]) {
        ok &= t.failures == 0;
        for example in &t.examples {
            println!("  FAILED {name}: {example}");
        }
    }
    for name in ["pick", "skip", "edit", "draft", "publish", "entries --search"] {
        if tallies.get(name).is_none_or(|t| t.runs == 0) {
            println!("  FAILED {name}: never ran");
            ok = false;
        }
    }
    println!("  {}", if ok { "soak: no command and no round failed" } else { "soak: FAILED" });
    Ok(ok)
}
