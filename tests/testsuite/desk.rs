//! `roundup desk`: the real binary. Refuses a non-loopback address without a password, writes
//! a password's hash with `--set-password`, and serves its pages on loopback, where a pick made
//! through it is the one `roundup picks` lists. (Every route and refusal is tested in
//! `src/desk/tests.rs`; the browser tests drive it in Chromium.)

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Stdio;
use std::time::Duration;

use crate::support::{FeedFixture, FixtureServer, TestEnv, serve_fixture_feeds};

const CONFIG: &str = "[settings]\ndatabase = \"r.sqlite3\"\n";

/// One HTTP/1.1 request to `addr` (`127.0.0.1:PORT`); the whole answer.
fn http(addr: &str, request: &str) -> String {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn the_desk_refuses_an_address_off_loopback_without_a_password() {
    let env = TestEnv::new(CONFIG);
    let run = env.run(&["desk", "--addr", "0.0.0.0:0"]);
    run.expect_code(2);
    assert!(run.stderr.contains("needs a password"), "{}", run.stderr);
    assert!(run.stderr.contains("--set-password"), "{}", run.stderr);
}

#[test]
fn set_password_writes_an_argon2_hash_to_the_feeds_file() {
    let env = TestEnv::new(CONFIG);
    let mut cmd = env.command(&["desk", "--set-password"]);
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    child.stdin.take().unwrap().write_all(b"a long password\na long password\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let config = env.read_config();
    assert!(config.starts_with(CONFIG), "the rest is kept: {config}");
    assert!(config.contains("[desk]\npassword_hash = \"$argon2id$"), "{config}");
    assert!(!config.contains("a long password"));
    // Two different passwords change nothing.
    let mut cmd = env.command(&["desk", "--set-password"]);
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    child.stdin.take().unwrap().write_all(b"one password\nanother one\n").unwrap();
    let run = run_command_output(child.wait_with_output().unwrap());
    assert!(run.contains("differ"), "{run}");
    assert_eq!(env.read_config(), config);
}

fn run_command_output(out: std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn the_desk_serves_its_pages_on_loopback_with_its_security_headers() {
    let env = TestEnv::new(CONFIG);
    let mut desk = env.spawn(&["desk", "--addr", "127.0.0.1:0", "--week", "2026-W48"]);
    let addr = desk
        .wait_for_address("roundup: desk for 2026-W48 at http://", Duration::from_secs(30))
        .to_string();
    let page = http(&addr, &format!("GET / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"));
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(page.contains("content-security-policy: default-src 'none'; script-src 'self'"));
    assert!(page.contains("data-page=\"candidates\" data-week=\"2026-W48\""));
    assert!(page.contains("id=\"no-candidates\""), "an empty week says what to do");
    let post = http(
        &addr,
        &format!(
            "POST /api/pick HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 7\r\nConnection: close\r\n\r\nentry=1"
        ),
    );
    assert!(post.starts_with("HTTP/1.1 403"), "no token: {post}");
    desk.signal("TERM");
    desk.finish(Duration::from_secs(10)).success();
    // Nothing the refused request asked for happened.
    let picks = env.run(&["picks", "--week", "2026-W48"]);
    picks.success();
    assert!(picks.stdout.contains("0 picks"), "{}", picks.stdout);
}

/// The body of an HTTP answer (no chunking: the desk sends a length).
fn body(answer: &str) -> &str {
    answer.split_once("\r\n\r\n").map_or("", |(_, b)| b)
}

#[test]
fn fetch_now_polls_the_feeds_in_the_background_and_reports_progress() {
    const LGIU: FeedFixture = ("lgiu", "draft/lgiu.xml", "application/rss+xml", Some("LGIU"));
    let server = FixtureServer::start();
    let env =
        TestEnv::new(&serve_fixture_feeds(&server, "[settings]\ntimezone = \"UTC\"\n", &[LGIU]));
    let mut desk = env.spawn(&["desk", "--addr", "127.0.0.1:0", "--week", "2024-W48"]);
    let addr = desk.wait_for_address("roundup: desk for", Duration::from_secs(30)).to_string();
    let page =
        http(&addr, &format!("GET /feeds HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"));
    assert!(page.contains("id=\"feed-lgiu\""), "{page}");
    let at = page.find("name=\"csrf-token\" content=\"").unwrap() + 27;
    let token = &page[at..at + 64];
    let started = http(
        &addr,
        &format!(
            "POST /api/fetch HTTP/1.1\r\nHost: {addr}\r\nX-CSRF-Token: {token}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        ),
    );
    assert!(started.starts_with("HTTP/1.1 200"), "{started}");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let status = loop {
        let a = http(
            &addr,
            &format!("GET /api/fetch HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
        );
        let j: serde_json::Value = serde_json::from_str(body(&a)).expect("JSON");
        if j["running"] == false {
            break j;
        }
        assert!(std::time::Instant::now() < deadline, "still running: {j}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(
        (status["done"].as_u64(), status["total"].as_u64(), status["failed"].as_u64()),
        (Some(1), Some(1), Some(0)),
        "{status}"
    );
    assert!(status["message"].as_str().unwrap().starts_with("Polled 1 feed"), "{status}");
    let page = http(
        &addr,
        &format!("GET /?week=2024-W48 HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
    );
    assert!(page.contains("Council budgets under pressure"), "the fetched entries are candidates");
    desk.signal("TERM");
    desk.finish(Duration::from_secs(10)).success();
}
