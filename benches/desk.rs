//! `cargo bench --bench desk`: the numbers issue 12 asks of `roundup desk`, on a week of 2,000
//! entries (40 feeds, 50 entries each, a few hundred words of text apiece, spread over Monday to
//! Saturday).
//!
//! The real binary serves a database this bench fills through the store's own writer
//! (`roundup::benching`); requests go over loopback with a plain HTTP/1.1 client. "Server time"
//! is the desk's own `Server-Timing` (from the request reaching the desk to the answer leaving
//! it, gzip included); the round trip as the client saw it is printed beside it. Peak RSS is the
//! desk process's `VmHWM` after every request. The candidates page's first load is shown
//! apart: it makes every entry's opening, which later loads reuse. Budgets: the candidates page
//! ≤ 50 ms and ≤ 300 KB as sent (gzip, as browsers ask for it); each action (pick, reorder, save
//! a lead-in) ≤ 20 ms; peak RSS ≤ 60 MB. Exits 1 when one is missed.
//!
//! `DESK_ENTRIES` changes the number of entries (default 2000).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use roundup::model::{DatedBy, EntryRecord, FeedPoll};

const WEEK: &str = "2026-W48";
const FEEDS: usize = 40;
const PAGE_RUNS: usize = 30;
const ACTIONS: usize = 40;

const WORDS: &[&str] = &[
    "council",
    "budget",
    "housing",
    "social",
    "care",
    "residents",
    "services",
    "pressure",
    "funding",
    "planning",
    "transport",
    "schools",
    "digital",
    "library",
    "consultation",
    "waste",
    "the",
    "of",
    "and",
    "a",
    "to",
    "in",
    "is",
    "for",
    "that",
    "on",
    "with",
    "as",
    "this",
    "by",
];

/// A little pseudo-random prose (a fixed LCG: the same bench every run).
struct Prose(u64);

impl Prose {
    fn word(&mut self) -> &'static str {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        WORDS[usize::try_from(self.0 >> 33).unwrap_or(0) % WORDS.len()]
    }

    fn words(&mut self, n: usize) -> String {
        (0..n).map(|_| self.word()).collect::<Vec<_>>().join(" ")
    }
}

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    wall: Duration,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The desk's own time, from `Server-Timing: app;dur=MS`.
    fn server_ms(&self) -> f64 {
        self.header("server-timing")
            .and_then(|v| v.split("dur=").nth(1))
            .and_then(|d| d.parse().ok())
            .unwrap_or(f64::NAN)
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One request over a new connection (`Connection: close`), read to the end.
fn request(addr: &str, head: &str, body: &str) -> Answer {
    let started = Instant::now();
    let mut s = TcpStream::connect(addr).expect("connect to the desk");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(
        format!(
            "{head}Host: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let wall = started.elapsed();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a header block");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status =
        lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|c| c.parse().ok()).unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Answer { status, headers, body: raw[split + 4..].to_vec(), wall }
}

fn get(addr: &str, path: &str, gzip: bool) -> Answer {
    let accept = if gzip { "Accept-Encoding: gzip\r\n" } else { "" };
    request(addr, &format!("GET {path} HTTP/1.1\r\n{accept}"), "")
}

fn post(addr: &str, path: &str, csrf: &str, form: &str) -> Answer {
    let a = request(
        addr,
        &format!(
            "POST {path} HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nX-CSRF-Token: {csrf}\r\nOrigin: http://{addr}\r\n"
        ),
        form,
    );
    assert_eq!(a.status, 200, "POST {path} {form}: {}", a.text());
    a
}

/// Median, 95th percentile and maximum.
fn stats(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    // The value at `pct` per cent of the sorted list (nearest rank below).
    let at = |pct: usize| v[(v.len() - 1) * pct / 100];
    (at(50), at(95), v[v.len() - 1])
}

/// VmHWM of `pid`, in KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

struct Desk(Child);

impl Drop for Desk {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn main() -> ExitCode {
    let entries: usize =
        std::env::var("DESK_ENTRIES").ok().and_then(|n| n.parse().ok()).unwrap_or(2000);
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut config = String::from(
        "[settings]\ntimezone = \"UTC\"\ndatabase = \"desk.sqlite3\"\n[roundup]\ntitle = \"The week\"\n",
    );
    for f in 0..FEEDS {
        config.push_str(&format!(
            "\n[[feeds]]\nid = \"feed{f}\"\nname = \"Outlet number {f}\"\nurl = \"https://feed{f}.example/feed\"\ntags = [\"{}\"]\n",
            if f % 2 == 0 { "policy" } else { "news" }
        ));
    }
    let config_path = dir.path().join("feeds.toml");
    std::fs::write(&config_path, &config).unwrap();
    roundup::benching::load_config_and_sync(&config_path).expect("config");

    let fill = Instant::now();
    let mut db = roundup::benching::Database::open(&dir.path().join("desk.sqlite3")).unwrap();
    let monday = chrono::DateTime::parse_from_rfc3339("2026-11-23T08:00:00Z").unwrap().to_utc();
    let seen = chrono::DateTime::parse_from_rfc3339("2026-11-29T20:00:00Z").unwrap().to_utc();
    let mut prose = Prose(42);
    let per_feed = entries.div_ceil(FEEDS);
    let mut polls = Vec::new();
    let mut made = 0;
    for f in 0..FEEDS {
        let mut records = Vec::new();
        for i in 0..per_feed {
            if made == entries {
                break;
            }
            made += 1;
            let paragraphs: Vec<String> = (0..6).map(|_| prose.words(45)).collect();
            let published =
                monday + chrono::Duration::minutes(i64::try_from(made * 4).unwrap_or(0));
            records.push(EntryRecord {
                identity: format!("feed{f}-{i}"),
                url: Some(format!("https://feed{f}.example/posts/{i}")),
                title: Some(format!(
                    "The {} and the {}: what {} means",
                    prose.words(3),
                    prose.words(2),
                    prose.words(2)
                )),
                author: Some(format!("Author {}", made % 97)),
                published,
                dated_by: DatedBy::Published,
                updated: None,
                summary_html: None,
                content_html: Some(format!("<p>{}</p>", paragraphs.join("</p><p>"))),
                text: paragraphs.join("\n\n"),
                categories: vec![],
                content_hash: format!("h{made}"),
            });
        }
        polls.push(FeedPoll::stored(
            format!("feed{f}"),
            &format!("https://feed{f}.example/feed"),
            seen,
            records,
        ));
    }
    db.record_polls(&polls).expect("stored");
    drop(db);
    println!(
        "roundup desk bench: {made} entries in {WEEK} from {FEEDS} feeds (stored in {:.1}s)",
        fill.elapsed().as_secs_f64()
    );

    let child = Command::new(env!("CARGO_BIN_EXE_roundup"))
        .args([
            "--config",
            config_path.to_str().unwrap(),
            "desk",
            "--addr",
            "127.0.0.1:0",
            "--week",
            WEEK,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start roundup desk");
    let mut desk = Desk(child);
    let pid = desk.0.id();
    let mut out = BufReader::new(desk.0.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();

    // One other page first, so the first candidates page is not also the desk's first
    // request (opening the database).
    assert_eq!(get(&addr, "/feeds", true).status, 200);
    // The candidates page: first as sent to a browser (gzip), then plain for its raw size.
    let mut server = Vec::new();
    let mut wall = Vec::new();
    let mut sent = 0;
    for _ in 0..PAGE_RUNS {
        let a = get(&addr, "/", true);
        assert_eq!(a.status, 200);
        server.push(a.server_ms());
        wall.push(a.wall.as_secs_f64() * 1000.0);
        sent = a.body.len();
    }
    let plain = get(&addr, "/", false);
    let page = plain.text();
    let rows = page.matches("class=\"candidate\"").count();
    assert_eq!(rows, made, "every entry listed");
    let at = page.find("name=\"csrf-token\" content=\"").unwrap() + 27;
    let csrf = page[at..at + 64].to_string();
    // The first load makes every entry's opening; later ones reuse those of unchanged entries.
    let first_ms = server[0];
    let (page_med, page_p95, page_max) = stats(server);
    let (wall_med, _, _) = stats(wall);

    // Actions, each through the store as the CLI does.
    let ids: Vec<i64> = (1..=i64::try_from(ACTIONS).unwrap())
        .map(|i| i * 37 % i64::try_from(made).unwrap() + 1)
        .collect();
    let mut pick = Vec::new();
    for id in &ids {
        pick.push(post(&addr, "/api/pick", &csrf, &format!("week={WEEK}&entry={id}")).server_ms());
    }
    let mut reorder = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let to = (i * 7) % ACTIONS + 1;
        reorder.push(
            post(&addr, "/api/move", &csrf, &format!("week={WEEK}&entry={id}&position={to}"))
                .server_ms(),
        );
    }
    let mut lead = Vec::new();
    for id in &ids {
        let form = format!(
            "week={WEEK}&entry={id}&revision=1&lead=Worth+a+read%3A+%5Bthe+council%5D%28https%3A%2F%2Fexample.org%2F%29+on+budgets.&note=&section=&excerpt=&excerpt_para=1"
        );
        lead.push(post(&addr, "/api/edit-pick", &csrf, &form).server_ms());
    }
    let item = get(&addr, &format!("/item/{}", ids[0]), true).server_ms();
    let paragraphs = get(&addr, &format!("/api/paragraphs/{}", ids[0]), true).server_ms();
    let post_page = get(&addr, "/post", true);
    assert_eq!(post_page.status, 200);
    let rss_kib = peak_rss_kib(pid);

    let (pick_med, pick_p95, pick_max) = stats(pick);
    let (move_med, move_p95, move_max) = stats(reorder);
    let (lead_med, lead_p95, lead_max) = stats(lead);
    let rss_mb = rss_kib as f64 / 1024.0;
    let kb = |b: usize| b as f64 / 1000.0;
    let mut failed = Vec::new();
    let mut row = |what: &str, value: String, budget: &str, ok: bool| {
        println!(
            "| {what:<44} | {value:>30} | {budget:>10} | {:>4} |",
            if ok { "ok" } else { "OVER" }
        );
        if !ok {
            failed.push(what.to_string());
        }
    };
    println!("\n| measure | value | budget | |\n|---|---:|---:|---|");
    row(
        &format!("candidates page, server time ({made} rows)"),
        format!("med {page_med:.1} · p95 {page_p95:.1} · max {page_max:.1} ms"),
        "≤ 50 ms",
        page_p95 <= 50.0,
    );
    row(
        "candidates page, first load, server time",
        format!("{first_ms:.1} ms"),
        "≤ 50 ms",
        first_ms <= 50.0,
    );
    row("candidates page, round trip on loopback", format!("med {wall_med:.1} ms"), "", true);
    row(
        "candidates page weight, as sent (gzip)",
        format!("{:.0} KB", kb(sent)),
        "≤ 300 KB",
        kb(sent) <= 300.0,
    );
    row("candidates page, uncompressed", format!("{:.0} KB", kb(plain.body.len())), "", true);
    row(
        "pick (POST /api/pick)",
        format!("med {pick_med:.1} · p95 {pick_p95:.1} · max {pick_max:.1} ms"),
        "≤ 20 ms",
        pick_p95 <= 20.0,
    );
    row(
        "reorder (POST /api/move)",
        format!("med {move_med:.1} · p95 {move_p95:.1} · max {move_max:.1} ms"),
        "≤ 20 ms",
        move_p95 <= 20.0,
    );
    row(
        "save a lead-in + quote (POST /api/edit-pick)",
        format!("med {lead_med:.1} · p95 {lead_p95:.1} · max {lead_max:.1} ms"),
        "≤ 20 ms",
        lead_p95 <= 20.0,
    );
    row("item page / its paragraphs", format!("{item:.1} / {paragraphs:.1} ms"), "", true);
    row(
        &format!("post page ({ACTIONS} picks, draft + lint)"),
        format!("{:.1} ms, {:.0} KB", post_page.server_ms(), kb(post_page.body.len())),
        "",
        true,
    );
    row("peak RSS of the desk (VmHWM)", format!("{rss_mb:.1} MB"), "≤ 60 MB", rss_mb <= 60.0);
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        eprintln!("over budget: {}", failed.join(", "));
        ExitCode::from(1)
    }
}
