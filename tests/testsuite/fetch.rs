//! `roundup fetch` against the fixture server: conditional GET, redirects, rate limits, gone and
//! failing feeds, timeouts, body caps, autodiscovery, in-place updates and the per-host limit.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::*;

fn titles(entries: &[Value]) -> Vec<String> {
    let mut t: Vec<String> =
        entries.iter().map(|e| e["title"].as_str().unwrap_or("").to_string()).collect();
    t.sort();
    t
}

fn feed_ids(entries: &[Value]) -> Vec<String> {
    let mut ids: Vec<String> =
        entries.iter().map(|e| e["feed"].as_str().unwrap().to_string()).collect();
    ids.sort();
    ids.dedup();
    ids
}

/// The three well-behaved fixture feeds.
fn three_feeds(server: &FixtureServer) -> Vec<(&'static str, String)> {
    vec![
        ("townhall", server.url("/rss.xml")),
        ("digital", server.url("/atom.xml")),
        ("housing", server.url("/feed.json")),
    ]
}

fn rfc3339_now_plus(minutes: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::minutes(minutes))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

#[test]
fn a_first_fetch_stores_every_entry_of_rss_atom_and_json_feeds() {
    let server = FixtureServer::start();
    let env = TestEnv::with_feeds("", &three_feeds(&server));
    let run = env.fetch(&[]);
    run.success();
    assert_eq!(run.stderr, "", "nothing on stderr when all is well\n{run}");
    let total = RSS_ENTRIES + ATOM_ENTRIES + JSON_ENTRIES;
    assert!(
        run.summary().starts_with("roundup: polled 3 feeds in "),
        "summary names the feeds polled\n{run}"
    );
    assert!(
        run.summary().contains(&format!("3 updated, 0 unchanged, 0 failed; {total} new entries")),
        "{run}"
    );
    let entries = env.entries(&[]);
    assert_eq!(entries.len(), total);
    assert_eq!(feed_ids(&entries), ["digital", "housing", "townhall"]);
    assert!(titles(&entries).contains(&"Fish & chips budget approved".to_string()));
    assert!(titles(&entries).contains(&"Shipping the new forms service".to_string()));
    assert!(titles(&entries).contains(&"Rents rise again".to_string()));
    assert_eq!(env.count("SELECT count(*) FROM entries"), total as i64);
    assert_eq!(env.count("SELECT count(*) FROM fetches WHERE status = 200"), 3);
    let ua = server.log()[0].user_agent.clone().unwrap_or_default();
    assert!(ua.starts_with("roundup/") && ua.contains("http"), "user agent {ua:?}");
}

#[test]
fn a_forced_second_fetch_sends_the_validators_exactly_as_received_and_adds_nothing() {
    let server = FixtureServer::start();
    let env = TestEnv::with_feeds("", &three_feeds(&server));
    env.fetch(&[]).success();
    let before = env.entries(&[]);

    let run = env.fetch(&["--force"]);
    run.success();
    let log = server.log();
    let second_rss = log.iter().filter(|s| s.path == "/rss.xml").nth(1).expect("polled again");
    assert_eq!(second_rss.if_none_match.as_deref(), Some(RSS_ETAG));
    assert_eq!(second_rss.if_modified_since.as_deref(), Some(RSS_LAST_MODIFIED));
    let second_atom = log.iter().filter(|s| s.path == "/atom.xml").nth(1).expect("polled again");
    assert_eq!(second_atom.if_none_match, None, "no ETag was received, none is sent");
    assert_eq!(second_atom.if_modified_since.as_deref(), Some(ATOM_LAST_MODIFIED));
    assert!(
        run.summary().contains("1 updated, 2 unchanged, 0 failed; 0 new entries, 0 changed"),
        "the RSS and Atom feeds answered 304, the JSON feed 200 with nothing new\n{run}"
    );
    assert_eq!(env.count("SELECT count(*) FROM fetches WHERE status = 304"), 2);
    assert_eq!(env.entries(&[]), before, "a 304 changes nothing");
}

#[test]
fn a_plain_second_fetch_polls_nothing_that_is_not_due() {
    let server = FixtureServer::start();
    let env = TestEnv::with_feeds("", &three_feeds(&server));
    env.fetch(&[]).success();
    let requests = server.log().len();
    let run = env.fetch(&[]);
    run.success();
    assert_eq!(server.log().len(), requests, "no request was made");
    assert!(run.summary().starts_with("roundup: polled 0 feeds"), "{run}");
    assert!(run.summary().ends_with("; 3 not due"), "{run}");
    let feeds = env.feeds();
    let later = rfc3339_now_plus(55);
    for (id, f) in &feeds {
        let due = f["next_due_at"].as_str().expect("next due");
        assert!(due > later.as_str(), "{id} is due after its interval (1h), not {due}");
    }
}

#[test]
fn fetch_with_quiet_prints_nothing_when_all_is_well() {
    let server = FixtureServer::start();
    let env = TestEnv::with_feeds("", &three_feeds(&server));
    let run = env.fetch(&["--quiet"]);
    run.success();
    assert_eq!((run.stdout.as_str(), run.stderr.as_str()), ("", ""), "{run}");
    assert_eq!(env.entries(&[]).len(), RSS_ENTRIES + ATOM_ENTRIES + JSON_ENTRIES);
}

#[test]
fn fetch_feed_polls_only_the_named_feed_and_an_unknown_id_is_fatal() {
    let server = FixtureServer::start();
    let env = TestEnv::with_feeds("", &three_feeds(&server));
    env.fetch(&["--feed", "digital"]).success();
    assert_eq!(server.paths(), ["/atom.xml"]);
    assert_eq!(feed_ids(&env.entries(&[])), ["digital"]);
    let run = env.fetch(&["--feed", "nope"]);
    run.expect_code(2);
    assert!(run.stderr.contains("no feed with id \"nope\""), "{run}");
}

#[test]
fn a_gzip_compressed_feed_is_accepted() {
    let server = FixtureServer::start();
    let env = TestEnv::with_feeds("", &[("zipped", server.url("/gzip.xml"))]);
    env.fetch(&[]).success();
    let accept = server.log()[0].accept_encoding.clone().unwrap_or_default();
    assert!(accept.contains("gzip") && accept.contains("br"), "Accept-Encoding {accept:?}");
    assert_eq!(env.entries(&[]).len(), RSS_ENTRIES);
}

fn redirected(code: u16) -> (FixtureServer, TestEnv) {
    let server = FixtureServer::start();
    let env = TestEnv::with_feeds("", &[("moving", server.url(&format!("/redirect/{code}/m")))]);
    let run = env.fetch(&[]);
    run.success();
    assert_eq!(server.paths(), [format!("/redirect/{code}/m"), "/gen/m".to_string()]);
    assert_eq!(env.entries(&[]).len(), GEN_ENTRIES);
    (server, env)
}

fn permanent_redirect_is_followed_from_then_on(code: u16) {
    let (server, env) = redirected(code);
    let target = server.url("/gen/m");
    let feeds = env.feeds();
    assert_eq!(feeds["moving"]["moved_to"].as_str(), Some(target.as_str()));
    let list = env.run(&["feeds", "list"]);
    list.success();
    assert!(list.stdout.contains(&format!("moved permanently to {target}")), "{list}");

    let run = env.fetch(&["--force"]);
    run.success();
    assert_eq!(server.hits(&format!("/redirect/{code}/m")), 1, "the old URL is not asked again");
    assert_eq!(server.hits("/gen/m"), 2, "later polls go to the new URL");
    assert_eq!(env.entries(&[]).len(), GEN_ENTRIES, "nothing duplicated");
    assert_eq!(env.read_config().matches("/redirect/").count(), 1, "feeds.toml is left alone");
}

fn temporary_redirect_is_not_recorded(code: u16) {
    let (server, env) = redirected(code);
    assert_eq!(env.feeds()["moving"]["moved_to"], Value::Null);
    env.fetch(&["--force"]).success();
    assert_eq!(server.hits(&format!("/redirect/{code}/m")), 2, "polls keep using the old URL");
    assert_eq!(server.hits("/gen/m"), 2);
    assert_eq!(env.entries(&[]).len(), GEN_ENTRIES);
}

/// Validators belong to the URL they came from: after a temporary redirect the target may be
/// another document, so a later hop must not ask it "not modified since?" (issue 8).
fn validators_stop_at_a_temporary_redirect(code: u16) {
    let server = FixtureServer::start();
    let env =
        TestEnv::with_feeds("", &[("hop", server.url(&format!("/redirect/{code}/x?to=/rss.xml")))]);
    env.fetch(&[]).success();
    let run = env.fetch(&["--force"]);
    run.success();
    let log = server.log();
    let first_hop = log.iter().filter(|s| s.path.starts_with("/redirect/")).nth(1).unwrap();
    assert_eq!(first_hop.if_none_match.as_deref(), Some(RSS_ETAG), "the feed's own URL");
    let target = log.iter().filter(|s| s.path == "/rss.xml").nth(1).expect("polled again");
    assert_eq!(
        (target.if_none_match.as_deref(), target.if_modified_since.as_deref()),
        (None, None),
        "no validators after an HTTP {code}"
    );
    assert!(run.summary().contains("1 updated, 0 unchanged"), "{run}");
}

#[test]
fn no_validators_are_sent_past_a_302() {
    validators_stop_at_a_temporary_redirect(302);
}

#[test]
fn no_validators_are_sent_past_a_307() {
    validators_stop_at_a_temporary_redirect(307);
}

#[test]
fn a_301_is_recorded_and_later_polls_go_to_the_new_url() {
    permanent_redirect_is_followed_from_then_on(301);
}

#[test]
fn a_308_is_recorded_and_later_polls_go_to_the_new_url() {
    permanent_redirect_is_followed_from_then_on(308);
}

#[test]
fn a_302_is_followed_but_not_recorded() {
    temporary_redirect_is_not_recorded(302);
}

#[test]
fn a_307_is_followed_but_not_recorded() {
    temporary_redirect_is_not_recorded(307);
}

fn rate_limited_feed_waits_for_retry_after(code: u16, at_least_minutes: i64) {
    let server = FixtureServer::start();
    let env = TestEnv::with_feeds(
        "interval = \"15m\"",
        &[("busy", server.url(&format!("/status/{code}"))), ("fine", server.url("/rss.xml"))],
    );
    let run = env.fetch(&[]);
    run.expect_code(1);
    let errors = run.stderr_lines();
    assert_eq!(errors.len(), 1, "one line for the one failing feed\n{run}");
    assert!(errors[0].starts_with("roundup: feed busy: "), "{run}");
    assert!(errors[0].contains(&format!("HTTP {code}")), "{run}");
    assert!(errors[0].contains("asked to wait until"), "{run}");
    assert_eq!(env.entries(&[]).len(), RSS_ENTRIES, "the other feed is stored");

    let busy = &env.feeds()["busy"];
    assert_eq!(busy["last_status"], code);
    let due = busy["next_due_at"].as_str().expect("next due");
    assert!(
        due > rfc3339_now_plus(at_least_minutes).as_str(),
        "Retry-After, not the 15m interval, sets the next poll: {due}"
    );
    let list = env.run(&["feeds", "list"]);
    assert!(list.stdout.contains(&format!("last error: HTTP {code}")), "{list}");

    let run = env.fetch(&[]);
    run.success();
    assert_eq!(server.hits(&format!("/status/{code}")), 1, "not polled again before Retry-After");
    assert!(run.summary().contains("1 not due; 1 waiting for Retry-After"), "{run}");

    // The server asked: not even --force or --feed polls it before then.
    for args in [&["--force"][..], &["--feed", "busy"][..]] {
        let run = env.fetch(args);
        run.success();
        assert!(run.stdout.contains("roundup: feed busy: not polled"), "{run}");
    }
    assert_eq!(server.hits(&format!("/status/{code}")), 1, "{run}");
}

#[test]
fn a_429_with_retry_after_seconds_is_not_polled_again_before_then() {
    rate_limited_feed_waits_for_retry_after(429, 115);
}

#[test]
fn a_503_with_a_retry_after_date_is_not_polled_again_before_then() {
    rate_limited_feed_waits_for_retry_after(503, 170);
}

#[test]
fn a_410_stops_polling_and_the_summary_and_feeds_list_say_so() {
    let server = FixtureServer::start();
    let env = TestEnv::with_feeds(
        "",
        &[("removed", server.url("/status/410")), ("fine", server.url("/rss.xml"))],
    );
    let run = env.fetch(&[]);
    run.expect_code(1);
    assert!(run.summary().contains(", 1 gone"), "{run}");
    let errors = run.stderr_lines();
    assert_eq!(errors.len(), 1, "{run}");
    assert!(errors[0].starts_with("roundup: feed removed: HTTP 410 Gone"), "{run}");
    assert!(errors[0].contains("polling stopped"), "{run}");

    let removed = &env.feeds()["removed"];
    assert_eq!(removed["gone"], true);
    assert_eq!(removed["next_due_at"], Value::Null);
    let list = env.run(&["feeds", "list"]);
    let line = list.stdout.lines().find(|l| l.starts_with("removed")).expect("a line");
    assert!(line.contains("GONE (410): polling stopped"), "{list}");
    assert!(line.contains("never"), "next due: never\n{list}");

    let run = env.fetch(&["--force"]);
    run.success();
    assert_eq!(server.hits("/status/410"), 1, "a gone feed is not polled, even with --force");
    assert!(
        run.summary().ends_with("; 0 new entries, 0 changed; 1 gone (polling stopped)"),
        "later summaries still say so\n{run}"
    );
}

#[test]
fn a_500_fails_that_feed_with_one_line_exit_1_and_the_others_stored() {
    let server = FixtureServer::start();
    let mut feeds = three_feeds(&server);
    feeds.push(("broken", server.url("/status/500")));
    let env = TestEnv::with_feeds("", &feeds);
    let run = env.fetch(&[]);
    run.expect_code(1);
    let errors = run.stderr_lines();
    assert_eq!(errors.len(), 1, "{run}");
    assert!(
        errors[0]
            .starts_with("roundup: feed broken: HTTP 500 Internal Server Error (first failure;"),
        "{run}"
    );
    assert!(run.summary().contains("3 updated, 0 unchanged, 1 failed"), "{run}");
    assert_eq!(env.entries(&[]).len(), RSS_ENTRIES + ATOM_ENTRIES + JSON_ENTRIES);
    let broken = &env.feeds()["broken"];
    assert_eq!(
        (broken["error_count"].as_u64(), broken["last_status"].as_u64()),
        (Some(1), Some(500))
    );
}

#[test]
fn repeated_failures_back_off_exponentially_and_say_so() {
    let server = FixtureServer::start();
    let env = TestEnv::with_feeds("interval = \"1h\"", &[("broken", server.url("/status/500"))]);
    let mut dues = Vec::new();
    for (i, expected) in
        ["first failure", "2 failures in a row", "3 failures in a row"].into_iter().enumerate()
    {
        let run = env.fetch(&["--force"]);
        run.expect_code(1);
        assert!(run.stderr.contains(&format!("({expected}; next try ")), "{run}");
        let f = &env.feeds()["broken"];
        assert_eq!(f["error_count"].as_u64(), Some(i as u64 + 1));
        dues.push(f["next_due_at"].as_str().unwrap().to_string());
    }
    // 1h, then 2h, then 4h from now (each run takes well under the 5-minute margins).
    assert!(dues[0] > rfc3339_now_plus(55) && dues[0] < rfc3339_now_plus(65), "{dues:?}");
    assert!(dues[1] > rfc3339_now_plus(115) && dues[1] < rfc3339_now_plus(125), "{dues:?}");
    assert!(dues[2] > rfc3339_now_plus(235) && dues[2] < rfc3339_now_plus(245), "{dues:?}");
    let list = env.run(&["feeds", "list"]);
    let line = list.stdout.lines().find(|l| l.starts_with("broken")).expect("a line");
    assert!(line.contains("last error: HTTP 500"), "{list}");
}

#[test]
fn a_server_that_is_down_is_a_connect_error_for_that_feed() {
    let server = FixtureServer::start();
    let env = TestEnv::with_feeds(
        "",
        &[("down", closed_port_url("/feed.xml")), ("fine", server.url("/rss.xml"))],
    );
    let run = env.fetch(&[]);
    run.expect_code(1);
    let errors = run.stderr_lines();
    assert_eq!(errors.len(), 1, "{run}");
    assert!(errors[0].starts_with("roundup: feed down: cannot connect"), "{run}");
    assert_eq!(env.entries(&[]).len(), RSS_ENTRIES);
}

#[test]
fn a_slow_answer_times_out_and_the_error_is_recorded() {
    let server = FixtureServer::start();
    let env = TestEnv::with_feeds(
        "timeout = \"1s\"",
        &[("slow", server.url("/slow.xml")), ("fine", server.url("/rss.xml"))],
    );
    let clock = Instant::now();
    let run = env.fetch(&[]);
    let took = clock.elapsed();
    run.expect_code(1);
    assert!(took < SLOW_ANSWER - Duration::from_secs(2), "gave up early, not after {took:?}");
    let errors = run.stderr_lines();
    assert_eq!(errors.len(), 1, "{run}");
    assert!(errors[0].starts_with("roundup: feed slow: timed out after 1s"), "{run}");
    assert!(env.feeds()["slow"]["last_error"].as_str().unwrap().contains("timed out"));
    assert_eq!(
        env.count(
            "SELECT count(*) FROM fetches WHERE feed_id = 'slow' AND error LIKE 'timed out%'"
        ),
        1
    );
    assert_eq!(env.entries(&[]).len(), RSS_ENTRIES);
}

#[test]
fn bodies_over_the_cap_fail_whether_sized_streamed_or_gzip_bombs_and_others_are_stored() {
    let server = FixtureServer::start();
    let env = TestEnv::with_feeds(
        "max_body = \"64 KiB\"",
        &[
            ("big", server.url("/big.xml")),
            ("bomb", server.url("/bomb.xml")),
            ("fine", server.url("/rss.xml")),
            ("stream", server.url("/big-stream.xml")),
            ("zipped", server.url("/gzip.xml")),
        ],
    );
    let run = env.fetch(&[]);
    run.expect_code(1);
    let errors = run.stderr_lines();
    assert_eq!(errors.len(), 3, "{run}");
    for (line, id) in errors.iter().zip(["big", "bomb", "stream"]) {
        assert!(
            line.starts_with(&format!("roundup: feed {id}: body larger than the 65536-byte cap")),
            "{run}"
        );
    }
    assert_eq!(feed_ids(&env.entries(&[])), ["fine", "zipped"]);
    assert_eq!(env.entries(&[]).len(), 2 * RSS_ENTRIES);
}

#[test]
fn an_html_page_leads_to_its_advertised_feed_which_later_polls_use() {
    let server = FixtureServer::start();
    let env = TestEnv::with_feeds("", &[("council", server.url("/page.html"))]);
    let run = env.fetch(&[]);
    run.success();
    let found = server.url("/gen/discovered");
    assert!(
        run.stdout.contains(&format!(
            "roundup: feed council: {} is an HTML page; found its feed at {found}",
            server.url("/page.html")
        )),
        "{run}"
    );
    assert_eq!(server.paths(), ["/page.html", "/gen/discovered"]);
    let entries = env.entries(&[]);
    assert_eq!(entries.len(), GEN_ENTRIES);
    assert_eq!(feed_ids(&entries), ["council"]);
    let council = &env.feeds()["council"];
    assert_eq!(council["discovered_url"].as_str(), Some(found.as_str()));
    let list = env.run(&["feeds", "list"]);
    assert!(list.stdout.contains(&format!("feed found on page: {found}")), "{list}");

    env.fetch(&["--force"]).success();
    assert_eq!(server.paths(), ["/page.html", "/gen/discovered", "/gen/discovered"]);
    assert_eq!(env.entries(&[]).len(), GEN_ENTRIES);
}

#[test]
fn an_html_page_without_a_feed_link_is_a_clear_error() {
    let server = FixtureServer::start();
    let env = TestEnv::with_feeds(
        "",
        &[("nofeed", server.url("/nofeed.html")), ("fine", server.url("/rss.xml"))],
    );
    let run = env.fetch(&[]);
    run.expect_code(1);
    let errors = run.stderr_lines();
    assert_eq!(errors.len(), 1, "{run}");
    assert!(
        errors[0].starts_with(&format!(
            "roundup: feed nofeed: {} is an HTML page, not a feed, and advertises no feed",
            server.url("/nofeed.html")
        )),
        "{run}"
    );
    assert_eq!(server.hits("/nofeed.html"), 1, "discovery is tried once");
    assert_eq!(env.entries(&[]).len(), RSS_ENTRIES);
}

fn changing_feed(items: &[(&str, &str, &str)]) -> String {
    let mut body = String::from(
        "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel><title>Changing</title>\n",
    );
    for (guid, title, date) in items {
        body.push_str(&format!(
            "<item><guid>{guid}</guid><title>{title}</title><pubDate>{date}</pubDate>\
             <description>About {title}.</description></item>\n"
        ));
    }
    body.push_str("</channel></rss>\n");
    body
}

#[test]
fn changed_content_updates_rows_in_place_and_new_entries_are_added_never_duplicated() {
    let server = FixtureServer::start();
    let rss = "application/rss+xml";
    server.set_doc(
        "changing",
        rss,
        &changing_feed(&[
            ("a", "First draft", "Mon, 25 Nov 2024 09:00:00 GMT"),
            ("b", "Second post", "Tue, 26 Nov 2024 09:00:00 GMT"),
        ]),
    );
    let env = TestEnv::with_feeds("", &[("changing", server.url("/doc/changing"))]);
    env.fetch(&[]).success();
    let first = env.entries(&[]);
    let id_of = |entries: &[Value], title: &str| {
        entries.iter().find(|e| e["title"] == title).map(|e| e["id"].as_i64().unwrap())
    };
    let draft_id = id_of(&first, "First draft").expect("stored");

    server.set_doc(
        "changing",
        rss,
        &changing_feed(&[
            ("c", "Third post", "Wed, 27 Nov 2024 09:00:00 GMT"),
            ("a", "First post, final", "Mon, 25 Nov 2024 09:00:00 GMT"),
            ("b", "Second post", "Tue, 26 Nov 2024 09:00:00 GMT"),
        ]),
    );
    let run = env.fetch(&["--force"]);
    run.success();
    assert!(run.summary().contains("; 1 new entries, 1 changed"), "{run}");
    let second = env.entries(&[]);
    assert_eq!(titles(&second), ["First post, final", "Second post", "Third post"]);
    assert_eq!(id_of(&second, "First post, final"), Some(draft_id), "updated in place");
    assert_eq!(env.count("SELECT count(*) FROM entries"), 3);
    assert_eq!(env.duplicates(), 0);
    assert_eq!(
        env.count(
            "SELECT count(*) FROM entries WHERE identity = 'a' AND title = 'First post, final'"
        ),
        1
    );
    let found = env.entries(&["--search", "final"]);
    assert_eq!(found.len(), 1, "the search index follows the update");
    assert!(env.entries(&["--search", "draft"]).is_empty());

    // Unchanged now: a 304 on its ETag, and nothing written.
    let run = env.fetch(&["--force"]);
    run.success();
    assert!(run.summary().contains("0 updated, 1 unchanged"), "{run}");
    assert_eq!(server.log().last().unwrap().if_none_match.as_deref(), Some("\"doc-2\""));
    assert_eq!(env.entries(&[]), second);
}

#[test]
fn no_host_ever_sees_more_than_two_requests_in_flight() {
    let server = FixtureServer::start();
    server.set_gen_delay(Duration::from_millis(250));
    let feeds: Vec<(String, String)> =
        (0..10).map(|i| (format!("f{i}"), server.url(&format!("/gen/f{i}")))).collect();
    let feeds: Vec<(&str, String)> = feeds.iter().map(|(id, u)| (id.as_str(), u.clone())).collect();
    let env = TestEnv::with_feeds("concurrency = 16", &feeds);
    env.fetch(&[]).success();
    assert_eq!(server.answered(), 10);
    assert_eq!(server.max_in_flight(), 2, "two at a time: the per-host default, and used");
    assert_eq!(env.entries(&[]).len(), 10 * GEN_ENTRIES);
}

#[test]
fn the_per_host_limit_follows_the_setting() {
    let server = FixtureServer::start();
    server.set_gen_delay(Duration::from_millis(100));
    let feeds: Vec<(String, String)> =
        (0..6).map(|i| (format!("f{i}"), server.url(&format!("/gen/f{i}")))).collect();
    let feeds: Vec<(&str, String)> = feeds.iter().map(|(id, u)| (id.as_str(), u.clone())).collect();
    let env = TestEnv::with_feeds("per_host = 1", &feeds);
    env.fetch(&[]).success();
    assert_eq!(server.max_in_flight(), 1);
    assert_eq!(env.entries(&[]).len(), 6 * GEN_ENTRIES);
}

/// Issue 11: feeds waiting for a busy host do not hold up the other hosts' feeds. Host `busy`
/// holds every request until released; with `concurrency = 4` the run has room for 12 feeds
/// between fetch and writer, and `busy`'s 10 queued feeds used to take it all, so the `free`
/// host's feeds stopped after a few until `busy` answered.
#[test]
fn feeds_waiting_for_a_busy_host_do_not_stop_the_other_hosts() {
    let busy = FixtureServer::start();
    let free = FixtureServer::start();
    busy.hold_after(0);
    let feeds: Vec<(String, String)> = (0..12)
        .map(|i| (format!("busy{i}"), busy.url(&format!("/gen/busy{i}"))))
        .chain((0..30).map(|i| (format!("free{i}"), free.url(&format!("/gen/free{i}")))))
        .collect();
    let feeds: Vec<(&str, String)> = feeds.iter().map(|(id, u)| (id.as_str(), u.clone())).collect();
    let env = TestEnv::with_feeds("concurrency = 4", &feeds);
    let mut run = env.spawn(&["fetch"]);
    wait_until("every feed of the free host fetched", Duration::from_secs(30), || {
        free.answered() == 30
    });
    assert_eq!(busy.log().len(), 2, "the busy host never had more than its two slots' requests");
    busy.release();
    run.finish(Duration::from_secs(30)).success();
    assert_eq!(env.entries(&[]).len(), 42 * GEN_ENTRIES);
    assert_eq!(busy.max_in_flight(), 2);
}

#[test]
fn a_store_failure_stops_the_run_at_once_and_says_why() {
    let server = FixtureServer::start();
    server.set_gen_delay(Duration::from_millis(50));
    const FEEDS: usize = 120;
    let feeds: Vec<(String, String)> =
        (0..FEEDS).map(|i| (format!("f{i}"), server.url(&format!("/gen/f{i}")))).collect();
    let feeds: Vec<(&str, String)> = feeds.iter().map(|(id, u)| (id.as_str(), u.clone())).collect();
    let env = TestEnv::with_feeds("concurrency = 2", &feeds);
    env.run(&["feeds", "list"]).success();
    // A full disk, as SQLite reports it, on the first write of a poll.
    env.sqlite()
        .execute_batch(
            "CREATE TRIGGER disk_full BEFORE INSERT ON fetches
             BEGIN SELECT RAISE(FAIL, 'database or disk is full'); END;",
        )
        .unwrap();
    let run = env.fetch(&[]);
    run.expect_code(2);
    assert!(
        run.stderr.contains("could not write to the database")
            && run.stderr.contains("database or disk is full"),
        "says why\n{run}"
    );
    // What was already in flight or queued when the write failed may finish; nothing more starts.
    let asked = server.log().len();
    assert!(asked < FEEDS / 3, "{asked} of {FEEDS} feeds were still fetched after the failure");
    assert_eq!(env.count("SELECT count(*) FROM entries"), 0, "the failed batch wrote nothing");
}

/// Issue 9, item 3: a run where feeds fail says so in one line, and feeds backing off after
/// failures are counted as failing, not as "not due".
#[test]
fn failing_feeds_are_said_in_one_line_and_still_count_as_failing_while_they_back_off() {
    let env = TestEnv::with_feeds(
        "",
        &[("a", closed_port_url("/a.xml")), ("b", closed_port_url("/b.xml"))],
    );
    let run = env.fetch(&[]);
    run.expect_code(1);
    assert!(
        run.stdout.contains("\nroundup: 2 of 2 feeds failing: no network? `roundup feeds list`\n"),
        "{run}"
    );
    let run = env.fetch(&[]);
    assert!(run.summary().ends_with("; 2 failing, waiting to retry"), "{run}");
    assert!(!run.summary().contains("not due"), "{run}");
    assert!(run.stdout.contains("roundup: 2 of 2 feeds failing: no network?"), "{run}");
}

#[test]
fn some_feeds_failing_point_to_feeds_list() {
    let server = FixtureServer::start();
    let env = TestEnv::with_feeds(
        "",
        &[("broken", server.url("/status/500")), ("fine", server.url("/rss.xml"))],
    );
    let run = env.fetch(&[]);
    run.expect_code(1);
    assert!(
        run.stdout.contains("roundup: 1 of 2 feeds failing: see `roundup feeds list`"),
        "{run}"
    );
    env.fetch(&["-q"]).success();
}
