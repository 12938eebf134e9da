//! `roundup desk`: the real binary. Refuses a non-loopback address without a password, writes
//! a password's hash with `--set-password`, and serves its pages on loopback, where a pick made
//! through it is the one `roundup picks` lists; it cuts off a half-sent request and caps its
//! connections as `roundup serve` does. (Every route and refusal is tested in
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

/// Whether the desk has closed `s` within `limit`: end of stream (hyper may send a 408 first)
/// or a reset; still open when the read times out.
fn closed_within(s: &mut TcpStream, limit: Duration) -> bool {
    s.set_read_timeout(Some(limit)).unwrap();
    let mut buf = [0u8; 256];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) => {
                return !matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                );
            }
        }
    }
}

/// The desk has `roundup serve`'s limits (the same connection loop): a client that sends half a
/// request's headers is cut off after `--header-timeout`, and with `--max-connections 2` two
/// idle connections hold a third one's request back until the timeout closes them.
#[test]
fn the_desk_cuts_off_half_sent_headers_and_caps_its_connections() {
    let env = TestEnv::new(CONFIG);
    let mut desk = env.spawn(&[
        "desk",
        "--addr",
        "127.0.0.1:0",
        "--week",
        "2026-W48",
        "--header-timeout",
        "1",
        "--max-connections",
        "2",
    ]);
    let addr = desk.wait_for_address("roundup: desk for", Duration::from_secs(30));

    // Half a header, then silence: cut off after the timeout.
    let mut half = TcpStream::connect(addr).unwrap();
    half.write_all(format!("GET / HTTP/1.1\r\nHost: {addr}\r\nAccept: text/").as_bytes()).unwrap();
    let clock = std::time::Instant::now();
    assert!(closed_within(&mut half, Duration::from_secs(5)), "half a header stays open");
    let took = clock.elapsed();
    assert!(took >= Duration::from_millis(700), "closed too soon: {took:?}");

    // Two idle connections fill the cap; a third one's request waits for a free slot.
    let idle: Vec<TcpStream> = (0..2).map(|_| TcpStream::connect(addr).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(200));
    let clock = std::time::Instant::now();
    let mut third = TcpStream::connect(addr).unwrap();
    third
        .write_all(
            format!("GET / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .unwrap();
    third.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut answer = String::new();
    third.read_to_string(&mut answer).unwrap();
    let waited = clock.elapsed();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        waited >= Duration::from_millis(500),
        "answered in {waited:?} while two idle connections held both slots"
    );
    for mut s in idle {
        assert!(closed_within(&mut s, Duration::from_secs(2)), "an idle connection stays open");
    }
    desk.signal("TERM");
    desk.finish(Duration::from_secs(10)).success();
}
