//! `roundup serve`: the real binary serving a public folder the test writes, asked with a raw
//! HTTP/1.1 client over `TcpStream` (so that paths like `/../x` reach the server as written),
//! and by newsboat when it is installed.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::support::{Running, TestEnv, cannot_check, run_command};

/// Content of the file outside the public folder that no request may see.
const SECRET: &str = "SECRET-FEEDS-TOML-DO-NOT-SERVE";

const INDEX_HTML: &str = "<!doctype html><title>Roundups</title><h1>Roundups</h1>\n";
const WEEK_HTML: &str = "<!doctype html><title>2024-W48</title><h1>Week 48</h1>\n";

const FEED_ATOM: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Test roundups</title>
  <id>urn:roundup:test</id>
  <updated>2024-12-02T09:00:00Z</updated>
  <link rel="self" href="http://127.0.0.1/feed.atom"/>
  <author><name>The Editor</name></author>
  <entry>
    <title>Roundup 2024-W48</title>
    <id>urn:roundup:test:2024-W48</id>
    <link href="http://127.0.0.1/2024-W48/"/>
    <updated>2024-12-02T09:00:00Z</updated>
    <summary>The week that was, 48.</summary>
  </entry>
  <entry>
    <title>Roundup 2024-W47</title>
    <id>urn:roundup:test:2024-W47</id>
    <link href="http://127.0.0.1/2024-W47/"/>
    <updated>2024-11-25T09:00:00Z</updated>
    <summary>The week that was, 47.</summary>
  </entry>
</feed>
"#;

/// A test environment whose public folder holds an index, a feed and one week's page, with
/// feeds.toml (holding [`SECRET`]) next to it, outside.
fn public_env() -> (TestEnv, PathBuf) {
    let env = TestEnv::new("");
    let public = env.dir().join("site/public");
    std::fs::create_dir_all(public.join("2024-W48")).unwrap();
    std::fs::write(public.join("index.html"), INDEX_HTML).unwrap();
    std::fs::write(public.join("feed.atom"), FEED_ATOM).unwrap();
    std::fs::write(public.join("feed.json"), "{\"version\":\"https://jsonfeed.org/version/1.1\"}")
        .unwrap();
    std::fs::write(public.join("2024-W48/index.html"), WEEK_HTML).unwrap();
    std::fs::write(public.join("logo.png"), b"\x89PNG\r\n\x1a\nnot really").unwrap();
    std::fs::write(env.dir().join("site/feeds.toml"), SECRET).unwrap();
    std::fs::write(&env.config, format!("# {SECRET}\n[roundup]\npublic = \"site/public\"\n"))
        .unwrap();
    (env, public)
}

/// `roundup serve` on a port the system picks; returns it with its address.
fn start(env: &TestEnv) -> (Running, SocketAddr) {
    let mut server = env.spawn(&["serve", "--addr", "127.0.0.1:0"]);
    let addr = server.wait_for_address("roundup: serving", Duration::from_secs(20));
    (server, addr)
}

/// One HTTP/1.1 answer.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    #[track_caller]
    fn must(&self, name: &str) -> &str {
        self.header(name).unwrap_or_else(|| panic!("no {name} header in {self:?}"))
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends `METHOD TARGET` with `headers` exactly as written and reads the answer to its end.
fn request(addr: SocketAddr, method: &str, target: &str, headers: &[(&str, &str)]) -> Answer {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut req = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).expect("send");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read the answer to its end");
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a header block");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let body = raw[split + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let status = status_line.split(' ').nth(1).and_then(|c| c.parse().ok()).expect("a status");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Answer { status, headers, body }
}

fn get(addr: SocketAddr, target: &str) -> Answer {
    request(addr, "GET", target, &[])
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes).read_to_end(&mut out).expect("valid gzip");
    out
}

/// Stops the server with SIGTERM; it must exit 0 within a few seconds. Returns its stderr.
fn stop(mut server: Running) -> String {
    server.signal("TERM");
    let run = server.finish(Duration::from_secs(10));
    run.success();
    assert!(run.stdout.contains("roundup: stopped"), "{run}");
    run.stderr
}

#[test]
fn serves_files_with_types_validators_and_gzip() {
    let (env, public) = public_env();
    let (server, addr) = start(&env);

    let index = get(addr, "/");
    assert_eq!(index.status, 200, "{index:?}");
    assert_eq!(index.must("content-type"), "text/html; charset=utf-8");
    assert_eq!(index.must("x-content-type-options"), "nosniff");
    assert_eq!(index.text(), INDEX_HTML);
    assert_eq!(get(addr, "/index.html").body, index.body);

    let feed = get(addr, "/feed.atom");
    assert_eq!(feed.status, 200);
    assert_eq!(feed.must("content-type"), "application/atom+xml; charset=utf-8");
    assert_eq!(feed.text(), FEED_ATOM);
    assert_eq!(feed.must("content-length"), FEED_ATOM.len().to_string());
    assert!(feed.must("cache-control").contains("max-age="));
    assert!(feed.header("content-encoding").is_none());
    let etag = feed.must("etag").to_string();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "strong ETag: {etag}");
    let last_modified = feed.must("last-modified").to_string();
    assert!(last_modified.ends_with(" GMT"), "{last_modified}");

    assert_eq!(
        get(addr, "/feed.json").must("content-type"),
        "application/feed+json; charset=utf-8"
    );
    assert_eq!(get(addr, "/logo.png").must("content-type"), "image/png");

    let week = get(addr, "/2024-W48/");
    assert_eq!((week.status, week.text().as_str()), (200, WEEK_HTML));
    let redirect = get(addr, "/2024-W48");
    assert_eq!(redirect.status, 301);
    assert_eq!(redirect.must("location"), "/2024-W48/");
    // A missing page is an HTML page, not text/plain: the built-in one without a 404.html,
    // the public folder's own (as `publish` writes it) with one.
    let missing = get(addr, "/nothing-here.html");
    assert_eq!(missing.status, 404);
    assert_eq!(missing.must("content-type"), "text/html; charset=utf-8");
    assert!(missing.text().starts_with("<!DOCTYPE html>"), "{}", missing.text());
    assert!(missing.text().contains("<a href=\"/\">the front page</a>"), "{}", missing.text());
    std::fs::write(public.join("404.html"), "<!DOCTYPE html><title>Not found · LG Week</title>")
        .unwrap();
    for path in ["/nothing-here.html", "/2024-W47/", "/.hidden"] {
        let missing = get(addr, path);
        assert_eq!(missing.status, 404, "{path}");
        assert_eq!(missing.must("content-type"), "text/html; charset=utf-8", "{path}");
        assert_eq!(missing.text(), "<!DOCTYPE html><title>Not found · LG Week</title>", "{path}");
    }
    std::fs::remove_file(public.join("404.html")).unwrap();

    // Conditional requests: If-None-Match (also weak, also in a list), If-Modified-Since.
    for inm in [etag.clone(), format!("W/{etag}"), format!("\"other\", {etag}"), "*".into()] {
        let a = request(addr, "GET", "/feed.atom", &[("If-None-Match", &inm)]);
        assert_eq!(a.status, 304, "If-None-Match: {inm}");
        assert!(a.body.is_empty());
        assert_eq!(a.must("etag"), etag);
        assert_eq!(a.must("last-modified"), last_modified);
        assert!(a.header("cache-control").is_some());
    }
    let a = request(addr, "GET", "/feed.atom", &[("If-Modified-Since", &last_modified)]);
    assert_eq!((a.status, a.body.len()), (304, 0));
    let old = "Mon, 01 Jan 2001 00:00:00 GMT";
    assert_eq!(request(addr, "GET", "/feed.atom", &[("If-Modified-Since", old)]).status, 200);
    // If-None-Match wins over a fresh If-Modified-Since.
    let a = request(
        addr,
        "GET",
        "/feed.atom",
        &[("If-None-Match", "\"stale\""), ("If-Modified-Since", &last_modified)],
    );
    assert_eq!(a.status, 200);

    // gzip when asked, with its own ETag; identity otherwise.
    let gz = request(addr, "GET", "/feed.atom", &[("Accept-Encoding", "gzip, deflate")]);
    assert_eq!(gz.status, 200);
    assert_eq!(gz.must("content-encoding"), "gzip");
    assert!(gz.must("vary").to_ascii_lowercase().contains("accept-encoding"));
    assert_eq!(gz.must("content-length"), gz.body.len().to_string());
    assert_eq!(gunzip(&gz.body), FEED_ATOM.as_bytes());
    let gz_etag = gz.must("etag").to_string();
    assert_ne!(gz_etag, etag);
    let a = request(
        addr,
        "GET",
        "/feed.atom",
        &[("Accept-Encoding", "gzip"), ("If-None-Match", &gz_etag)],
    );
    assert_eq!(a.status, 304);
    let plain = request(addr, "GET", "/feed.atom", &[("Accept-Encoding", "gzip;q=0, br")]);
    assert!(plain.header("content-encoding").is_none());
    assert_eq!(plain.text(), FEED_ATOM);
    let png = request(addr, "GET", "/logo.png", &[("Accept-Encoding", "gzip")]);
    assert!(png.header("content-encoding").is_none(), "images are not recompressed");

    // HEAD: the same headers, no body.
    for ae in ["identity", "gzip"] {
        let g = request(addr, "GET", "/feed.atom", &[("Accept-Encoding", ae)]);
        let h = request(addr, "HEAD", "/feed.atom", &[("Accept-Encoding", ae)]);
        assert_eq!(h.status, 200);
        assert!(h.body.is_empty(), "HEAD has no body: {h:?}");
        for name in ["content-length", "content-type", "etag", "last-modified"] {
            assert_eq!(h.header(name), g.header(name), "{name} for {ae}");
        }
    }

    // Only GET and HEAD.
    for method in ["POST", "PUT", "DELETE"] {
        let a = request(addr, method, "/feed.atom", &[("Content-Length", "0")]);
        assert_eq!(a.status, 405, "{method}");
        assert_eq!(a.must("allow"), "GET, HEAD");
    }

    let log = stop(server);
    // One access-log line per request: 18 of them asked for /feed.atom.
    let lines: Vec<&str> = log.lines().filter(|l| l.contains(" /feed.atom ")).collect();
    assert_eq!(lines.len(), 18, "an access-log line per request:\n{log}");
    assert!(
        log.lines().any(|l| l.starts_with("127.0.0.1:")
            && l.contains(" GET /feed.atom 304 0 ")
            && l.ends_with("ms")),
        "{log}"
    );
    assert!(log.contains(" POST /feed.atom 405 "), "{log}");
}

#[test]
fn no_path_escapes_the_public_folder() {
    let (env, public) = public_env();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(env.dir().join("site/feeds.toml"), public.join("leak.txt"))
            .unwrap();
        std::os::unix::fs::symlink(env.dir(), public.join("up")).unwrap();
    }
    let (server, addr) = start(&env);
    let hostile = [
        "/../feeds.toml",
        "/../../feeds.toml",
        "/%2e%2e/feeds.toml",
        "/%2E%2E%2Ffeeds.toml",
        "/..%2ffeeds.toml",
        "/2024-W48/../../feeds.toml",
        "/2024-W48/%2e%2e/%2e%2e/feeds.toml",
        "/%252e%252e/feeds.toml",
        "/%252e%252e%252ffeeds.toml",
        "/%00",
        "/feed.atom%00.png",
        "/..%5cfeeds.toml",
        "/%5c..%5cfeeds.toml",
        "/.%2e/feeds.toml",
        "/leak.txt",
        "/up/feeds.toml",
        "/up/site/feeds.toml",
        "/up/",
    ];
    for path in hostile {
        for method in ["GET", "HEAD"] {
            let a = request(addr, method, path, &[]);
            assert!(matches!(a.status, 400 | 404), "{method} {path}: {a:?}");
            assert!(!a.text().contains(SECRET), "{method} {path} leaked the file");
        }
    }
    // The same file through the front door still works.
    assert_eq!(get(addr, "/feed.atom").status, 200);
    let log = stop(server);
    assert!(log.contains(" GET /../feeds.toml 400 "), "{log}");
}

#[test]
fn stops_on_sigterm_and_refuses_bad_starts() {
    let (env, public) = public_env();
    let (server, addr) = start(&env);
    assert_eq!(get(addr, "/").status, 200);
    // The address is taken while it runs.
    let taken = env.run(&["serve", "--addr", &addr.to_string()]);
    taken.expect_code(2);
    assert!(taken.stderr.contains("cannot listen on"), "{taken}");
    stop(server);

    // Ctrl-C stops it too, even with an idle keep-alive connection and a client stuck halfway
    // through its request still open.
    let (server, addr) = start(&env);
    assert_eq!(get(addr, "/").status, 200);
    let mut idle = TcpStream::connect(addr).unwrap();
    idle.write_all(format!("GET / HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes()).unwrap();
    let mut stuck = TcpStream::connect(addr).unwrap();
    stuck.write_all(b"GET /feed.atom HTTP/1.1\r\nHost: x\r\n").unwrap();
    std::thread::sleep(Duration::from_millis(200));
    server.signal("INT");
    let mut server = server;
    server.finish(Duration::from_secs(10)).success();
    drop((idle, stuck));

    std::fs::remove_dir_all(&public).unwrap();
    let run = env.run(&["serve", "--addr", "127.0.0.1:0"]);
    run.expect_code(2);
    assert!(run.stderr.contains("roundup publish"), "{run}");
}

fn newsboat() -> Option<PathBuf> {
    let ok = Command::new("newsboat").arg("--version").output().is_ok_and(|o| o.status.success());
    ok.then(|| PathBuf::from("newsboat"))
}

/// Runs newsboat headless in `dir` with its own home, cache and config.
fn newsboat_run(bin: &Path, dir: &Path, action: &str) -> crate::support::Run {
    let mut cmd = Command::new(bin);
    cmd.arg("-u")
        .arg(dir.join("urls"))
        .arg("-c")
        .arg(dir.join("cache.db"))
        .arg("-C")
        .arg(dir.join("config"))
        .arg("-x")
        .arg(action)
        .current_dir(dir)
        .env("HOME", dir)
        .env("XDG_CONFIG_HOME", dir.join("xdg-config"))
        .env("XDG_DATA_HOME", dir.join("xdg-data"))
        .env_remove("http_proxy")
        .env_remove("HTTP_PROXY")
        .env_remove("all_proxy")
        .env_remove("ALL_PROXY");
    run_command(cmd)
}

#[test]
fn newsboat_lists_the_roundups_and_its_conditional_reloads_get_304() {
    let Some(bin) = newsboat() else {
        cannot_check(
            "newsboat's reading of the feed",
            "newsboat is not installed (apt-get install newsboat)",
        );
        return;
    };
    let (env, _public) = public_env();
    let (server, addr) = start(&env);
    let dir = env.dir().join("newsboat");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("urls"), format!("http://{addr}/feed.atom\n")).unwrap();
    std::fs::write(dir.join("config"), "reload-threads 1\nuse-proxy no\n").unwrap();

    // Newsboat sends If-None-Match / If-Modified-Since once its cache holds the validators of
    // an earlier answer. Newsboat 2.21 (Debian/Ubuntu) does not store them on a feed's very
    // first fetch (newsboat/newsboat#2734, fixed later), so its second reload is unconditional
    // and only its third can be a 304; later versions send them on the second reload. Either
    // way, every reload made with validators in the cache must get a 304.
    let mut conditional = Vec::new();
    for _ in 0..3 {
        conditional.push(newsboat_validators(&dir.join("cache.db")));
        newsboat_run(&bin, &dir, "reload").success();
    }
    assert!(
        newsboat_validators(&dir.join("cache.db")),
        "newsboat stored no ETag or Last-Modified from roundup serve"
    );
    let unread = newsboat_run(&bin, &dir, "print-unread");
    unread.success();
    assert!(unread.stdout.contains("2 unread"), "{unread}");

    let cache = rusqlite::Connection::open(dir.join("cache.db")).unwrap();
    let mut titles: Vec<String> = cache
        .prepare("SELECT title FROM rss_item ORDER BY title")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    titles.sort();
    assert_eq!(titles, ["Roundup 2024-W47", "Roundup 2024-W48"]);
    drop(cache);

    let log = stop(server);
    let statuses: Vec<&str> = log
        .lines()
        .filter(|l| l.contains(" GET /feed.atom "))
        .filter_map(|l| l.split(" /feed.atom ").nth(1)?.split(' ').next())
        .collect();
    let expected: Vec<&str> = conditional.iter().map(|c| if *c { "304" } else { "200" }).collect();
    assert_eq!(statuses, expected, "newsboat's reloads (conditional: {conditional:?}):\n{log}");
    assert_eq!(statuses[0], "200");
    assert_eq!(statuses.last(), Some(&"304"), "{log}");
    if conditional[1] {
        assert_eq!(statuses[1], "304", "the second reload was conditional: {log}");
    } else {
        eprintln!("note: this newsboat sends no validators on its second reload (newsboat#2734)");
    }
}

/// Whether newsboat's cache holds an ETag or Last-Modified for the feed (what it sends on its
/// next reload).
fn newsboat_validators(cache: &Path) -> bool {
    if !cache.exists() {
        return false;
    }
    let conn = rusqlite::Connection::open(cache).unwrap();
    conn.query_row("SELECT count(*) FROM rss_feed WHERE etag != '' OR lastmodified > 0", [], |r| {
        r.get::<_, i64>(0)
    })
    .unwrap_or(0)
        > 0
}

/// Issue 10, item 6: 1,100 idle half-open connections starved the server, and none was ever
/// closed. Now 300 of them (TCP connected, nothing sent) leave a normal request answered within
/// a second, and each is closed once the header timeout (1 s here) has passed.
#[test]
fn half_open_connections_neither_starve_the_server_nor_stay_open() {
    let (env, _public) = public_env();
    let mut server = env.spawn(&["serve", "--addr", "127.0.0.1:0", "--header-timeout", "1"]);
    let addr = server.wait_for_address("roundup: serving", Duration::from_secs(20));

    let held: Vec<TcpStream> = (0..300)
        .map(|_| TcpStream::connect_timeout(&addr, Duration::from_secs(5)).expect("connect"))
        .collect();
    let clock = std::time::Instant::now();
    let answer = get(addr, "/feed.atom");
    let took = clock.elapsed();
    assert_eq!(answer.status, 200);
    assert!(took < Duration::from_secs(1), "answered in {took:?} beside 300 idle connections");

    std::thread::sleep(Duration::from_millis(2500));
    let mut closed = 0;
    for mut s in held {
        s.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
        let mut buf = [0u8; 256];
        // Closed: end of stream (hyper may say 408 first) or a reset; open: a read timeout.
        let gone = loop {
            match s.read(&mut buf) {
                Ok(0) => break true,
                Ok(_) => continue,
                Err(e) => {
                    break !matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    );
                }
            }
        };
        closed += usize::from(gone);
    }
    assert_eq!(closed, 300, "every idle connection is closed after the header timeout");
    assert_eq!(get(addr, "/").status, 200);
    stop(server);
}

/// Issue 10, item 6: `If-Match` / `If-Unmodified-Since` (412) and single `Range` requests
/// (206, 416), as static servers answer them.
#[test]
fn preconditions_give_412_and_single_ranges_206() {
    let (env, _public) = public_env();
    let (server, addr) = start(&env);
    let whole = get(addr, "/feed.atom");
    let tag = whole.must("ETag").to_string();
    let modified = whole.must("Last-Modified").to_string();
    assert_eq!(whole.must("Accept-Ranges"), "bytes");

    let h = |k: &'static str, v: &str| request(addr, "GET", "/feed.atom", &[(k, v)]);
    assert_eq!(h("If-Match", &tag).status, 200);
    assert_eq!(h("If-Match", "*").status, 200);
    assert_eq!(h("If-Match", "\"other\"").status, 412);
    assert_eq!(h("If-Unmodified-Since", &modified).status, 200);
    assert_eq!(h("If-Unmodified-Since", "Mon, 01 Jan 2001 00:00:00 GMT").status, 412);

    let part = h("Range", "bytes=0-37");
    assert_eq!(part.status, 206);
    assert_eq!(part.body, FEED_ATOM.as_bytes()[..38].to_vec());
    assert_eq!(part.must("Content-Range"), format!("bytes 0-37/{}", FEED_ATOM.len()));
    let tail = h("Range", "bytes=-8");
    assert_eq!(
        (tail.status, tail.body.as_slice()),
        (206, &FEED_ATOM.as_bytes()[FEED_ATOM.len() - 8..])
    );
    let past = h("Range", &format!("bytes={}-", FEED_ATOM.len()));
    assert_eq!(past.status, 416);
    assert_eq!(past.must("Content-Range"), format!("bytes */{}", FEED_ATOM.len()));
    assert_eq!(h("Range", "bytes=0-1,4-5").status, 200, "several ranges: the whole");
    let stale =
        request(addr, "GET", "/feed.atom", &[("Range", "bytes=0-3"), ("If-Range", "\"old\"")]);
    assert_eq!((stale.status, stale.body.len()), (200, FEED_ATOM.len()));
    stop(server);
}
