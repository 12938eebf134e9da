//! The command line as a user meets it: config errors, unusable databases, the run lock, a kill
//! in the middle of a fetch, `watch` and signals, `feeds add/import/export/list`, `entries`
//! filters and `parse`.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::support::*;

// ------------------------------------------------------------------------------------------
// Configuration errors: exit 2, naming file, line and key
// ------------------------------------------------------------------------------------------

/// Runs `fetch` on `config_text`, expecting exit 2 with a message naming `file:line` and `key`.
#[track_caller]
fn config_error(config_text: &str, line: usize, key: &str) -> Run {
    let env = TestEnv::new(config_text);
    let run = env.fetch(&[]);
    run.expect_code(2);
    let errors = run.stderr_lines();
    assert!(!errors.is_empty(), "{run}");
    let located = format!("roundup: error: {}:{line}", env.config.display());
    assert!(errors[0].starts_with(&located), "expected {located:?}\n{run}");
    assert!(errors[0].contains(key), "expected the key {key:?}\n{run}");
    assert_eq!(run.stdout, "", "{run}");
    assert!(!env.db.exists(), "no database is made from a broken config");
    run
}

#[test]
fn an_unknown_key_is_an_error_naming_file_line_and_key() {
    config_error("# settings\n[settings]\ninterval = \"1h\"\nintervall = \"2h\"\n", 4, "intervall");
    config_error(
        "[[feeds]]\nid = \"a\"\nurl = \"https://a.example/feed\"\nurll = \"https://a.example/\"\n",
        4,
        "urll",
    );
}

#[test]
fn a_duplicate_id_is_an_error_naming_both_lines() {
    let run = config_error(
        "[[feeds]]\nid = \"lgiu\"\nurl = \"https://a.example/feed\"\n\n\
         [[feeds]]\nid = \"lgiu\"\nurl = \"https://b.example/feed\"\n",
        6,
        "feeds[1].id",
    );
    assert!(run.stderr.contains("duplicate feed id \"lgiu\" (first used on line 2)"), "{run}");
}

#[test]
fn a_url_that_is_not_http_is_an_error_naming_its_key() {
    let run = config_error(
        "[[feeds]]\nid = \"a\"\nurl = \"https://a.example/feed\"\n\n\
         [[feeds]]\nid = \"b\"\nurl = \"ftp://b.example/feed.xml\"\n",
        7,
        "feeds[1].url",
    );
    assert!(run.stderr.contains("is not an http(s) URL"), "{run}");
}

#[test]
fn a_bad_duration_is_an_error_naming_its_key() {
    let run = config_error("[settings]\ntimeout = \"soon\"\n", 2, "settings.timeout");
    assert!(run.stderr.contains("bad duration \"soon\""), "{run}");
    config_error("[settings]\nconnect_timeout = \"10\"\n", 2, "settings.connect_timeout");
}

#[test]
fn an_interval_below_fifteen_minutes_is_refused() {
    let run = config_error(
        "[[feeds]]\nid = \"a\"\nurl = \"https://a.example/feed\"\ninterval = \"5m\"\n",
        4,
        "feeds[0].interval",
    );
    assert!(run.stderr.contains("at most every 15m"), "{run}");
    config_error("[settings]\n\ninterval = \"10m\"\n", 3, "settings.interval");
}

#[test]
fn a_missing_config_file_is_fatal_with_a_clear_message() {
    let env = TestEnv::new("");
    std::fs::remove_file(&env.config).unwrap();
    for args in [&["fetch"][..], &["entries"], &["feeds", "list"], &["watch"]] {
        let run = env.run(args);
        run.expect_code(2);
        assert!(
            run.stderr.starts_with(&format!(
                "roundup: error: {}: cannot read the config file",
                env.config.display()
            )),
            "{args:?}\n{run}"
        );
        assert!(
            run.stderr.contains("--config FILE") && run.stderr.contains("ROUNDUP_CONFIG"),
            "the error says how to name the file\n{run}"
        );
    }
}

#[test]
fn a_file_of_only_ids_names_and_urls_works_with_every_default() {
    let server = FixtureServer::start();
    let env = TestEnv::new(&format!(
        "[[feeds]]\nid = \"townhall\"\nname = \"Town Hall\"\nurl = \"{}\"\n",
        server.url("/rss.xml")
    ));
    env.fetch(&[]).success();
    assert_eq!(env.entries(&[]).len(), RSS_ENTRIES);
    assert_eq!(env.feeds()["townhall"]["name"], "Town Hall");
}

#[test]
fn the_database_path_is_taken_from_the_config_folder_and_env_vars_work_like_flags() {
    let server = FixtureServer::start();
    let env = TestEnv::new(&format!(
        "[settings]\ndatabase = \"state/news.sqlite3\"\n\n[[feeds]]\nid = \"a\"\nurl = \"{}\"\n",
        server.url("/rss.xml")
    ));
    let elsewhere = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(BIN);
    cmd.args(["fetch", "--quiet"])
        .current_dir(elsewhere.path())
        .env("ROUNDUP_CONFIG", &env.config)
        .env_remove("ROUNDUP_DB");
    run_command(cmd).success();
    assert!(env.dir().join("state/news.sqlite3").exists(), "relative to feeds.toml's folder");
    assert!(!elsewhere.path().join("state").exists());

    let mut cmd = Command::new(BIN);
    cmd.args(["entries", "--json"])
        .current_dir(elsewhere.path())
        .env("ROUNDUP_CONFIG", &env.config)
        .env("ROUNDUP_DB", env.dir().join("state/news.sqlite3"));
    let run = run_command(cmd);
    run.success();
    assert_eq!(run.json().as_array().unwrap().len(), RSS_ENTRIES);
}

// ------------------------------------------------------------------------------------------
// Unusable databases
// ------------------------------------------------------------------------------------------

#[test]
fn a_database_newer_than_the_binary_is_refused_and_left_untouched() {
    let server = FixtureServer::start();
    let env = TestEnv::with_feeds("", &[("townhall", server.url("/rss.xml"))]);
    env.fetch(&[]).success();
    env.sqlite().execute_batch("PRAGMA user_version = 999").unwrap();
    let before = std::fs::read(&env.db).unwrap();
    let requests = server.log().len();
    for args in [&["fetch", "--force"][..], &["entries"], &["feeds", "list"]] {
        let run = env.run(args);
        run.expect_code(2);
        assert!(
            run.stderr.contains("schema version 999, newer than this roundup understands"),
            "{run}"
        );
        assert!(run.stderr.contains("upgrade roundup"), "{run}");
        assert!(run.stderr.contains(&env.db.display().to_string()), "names the database\n{run}");
    }
    assert_eq!(server.log().len(), requests, "nothing was polled");
    assert!(
        std::fs::read(&env.db).unwrap() == before,
        "the database file is byte for byte the same"
    );
    let version: i64 = env.count("PRAGMA user_version");
    assert_eq!(version, 999);
}

/// A database made by another program (or another roundup), in SQLite's default
/// rollback-journal mode, with these statements.
fn foreign_database(env: &TestEnv, sql: &str) -> Vec<u8> {
    let conn = rusqlite::Connection::open(&env.db).unwrap();
    conn.execute_batch(sql).unwrap();
    drop(conn);
    std::fs::read(&env.db).unwrap()
}

#[test]
fn a_newer_database_in_rollback_journal_mode_is_refused_without_switching_it_to_wal() {
    let env = TestEnv::with_feeds("", &[("a", "https://a.example/feed".into())]);
    let before = foreign_database(
        &env,
        "PRAGMA application_id = 1380861008; CREATE TABLE feeds (id TEXT); PRAGMA user_version = 999;",
    );
    let run = env.run(&["entries"]);
    run.expect_code(2);
    assert!(run.stderr.contains("schema version 999, newer than this roundup"), "{run}");
    assert!(
        std::fs::read(&env.db).unwrap() == before,
        "the database file is byte for byte the same"
    );
}

#[test]
fn another_programs_database_is_refused_and_left_untouched() {
    let env = TestEnv::with_feeds("", &[("a", "https://a.example/feed".into())]);
    let before = foreign_database(
        &env,
        "CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('mine');",
    );
    let run = env.fetch(&[]);
    run.expect_code(2);
    assert!(run.stderr.contains("is not a roundup database"), "{run}");
    assert!(
        std::fs::read(&env.db).unwrap() == before,
        "the database file is byte for byte the same"
    );
}

#[test]
fn a_file_that_is_not_a_database_is_fatal() {
    let env = TestEnv::with_feeds("", &[("a", "https://a.example/feed".into())]);
    std::fs::write(&env.db, "this is not SQLite, just some text that is long enough").unwrap();
    let run = env.fetch(&[]);
    run.expect_code(2);
    assert!(run.stderr.contains(&format!("database {}", env.db.display())), "{run}");
    assert!(run.stderr.contains("not a database"), "{run}");
}

// ------------------------------------------------------------------------------------------
// The run lock and crashes
// ------------------------------------------------------------------------------------------

#[test]
fn a_second_fetch_while_one_runs_exits_at_once_and_the_first_completes() {
    let server = FixtureServer::start();
    server.hold_after(0);
    let env = TestEnv::with_feeds("", &[("held", server.url("/gen/held"))]);
    let mut first = env.spawn(&["fetch"]);
    wait_until("the first fetch's request", Duration::from_secs(30), || {
        server.hits("/gen/held") == 1
    });

    let second = env.fetch(&[]);
    second.expect_code(2);
    assert!(first.is_running(), "the second returned while the first still runs");
    let errors = second.stderr_lines();
    assert_eq!(errors.len(), 1, "{second}");
    assert!(
        errors[0].starts_with(&format!(
            "roundup: error: another roundup is already fetching into {} (pid {} since ",
            env.db.display(),
            first.pid()
        )),
        "{second}"
    );
    let watch = env.run(&["watch"]);
    watch.expect_code(2);
    assert!(watch.stderr.contains("another roundup is already fetching"), "{watch}");
    assert_eq!(server.hits("/gen/held"), 1, "neither polled anything");

    server.release();
    first.finish(Duration::from_secs(30)).success();
    assert_eq!(env.integrity(), "ok");
    assert_eq!(env.entries(&[]).len(), GEN_ENTRIES);
    assert_eq!(server.hits("/gen/held"), 1);
}

#[test]
fn a_stale_lock_file_full_of_garbage_is_taken_over() {
    let server = FixtureServer::start();
    let env = TestEnv::with_feeds("", &[("townhall", server.url("/rss.xml"))]);
    let lock = Path::new(&format!("{}.lock", env.db.display())).to_path_buf();
    std::fs::write(&lock, b"\x00\xffgarbage from a run that was killed\n\n\n").unwrap();
    let run = env.fetch(&[]);
    run.success();
    assert_eq!(env.entries(&[]).len(), RSS_ENTRIES);
    let text = std::fs::read_to_string(&lock).unwrap();
    assert!(text.starts_with("pid "), "the lock file now names its last holder: {text:?}");
    assert!(!text.contains("garbage"), "{text:?}");
}

#[test]
fn a_kill_9_in_the_middle_of_a_fetch_leaves_a_sound_database_and_the_next_fetch_completes() {
    const FEEDS: usize = 300;
    const PER_FEED: usize = 20;
    const BEFORE_KILL: usize = 120;
    let server = FixtureServer::start();
    server.hold_after(BEFORE_KILL);
    let ids: Vec<String> = (0..FEEDS).map(|i| format!("feed-{i:03}")).collect();
    let feeds: Vec<(&str, String)> = ids
        .iter()
        .map(|id| (id.as_str(), server.url(&format!("/gen/{id}?n={PER_FEED}"))))
        .collect();
    let env = TestEnv::with_feeds("concurrency = 32\nper_host = 32", &feeds);

    let mut first = env.spawn(&["fetch"]);
    wait_until("answers to the first feeds", Duration::from_secs(30), || {
        server.answered() >= BEFORE_KILL
    });
    first.child.kill().expect("SIGKILL"); // std's kill() is SIGKILL on Unix: kill -9.
    let killed = first.finish(Duration::from_secs(10));
    assert_eq!(killed.code, None, "ended by the signal, not by finishing\n{killed}");
    server.release();

    assert_eq!(env.integrity(), "ok");
    assert_eq!(env.duplicates(), 0);
    let stored = env.count("SELECT count(*) FROM entries") as usize;
    assert!(stored < FEEDS * PER_FEED, "the run was cut short");
    assert_eq!(
        env.count(&format!(
            "SELECT count(*) FROM (SELECT 1 FROM entries GROUP BY feed_id HAVING count(*) != {PER_FEED})"
        )),
        0,
        "each feed was written whole or not at all"
    );

    let run = env.fetch(&["--force"]);
    run.success();
    assert!(run.summary().starts_with(&format!("roundup: polled {FEEDS} feeds")), "{run}");
    assert!(
        run.summary().contains(&format!("; {} new entries, 0 changed", FEEDS * PER_FEED - stored)),
        "{run}"
    );
    assert_eq!(env.count("SELECT count(*) FROM entries") as usize, FEEDS * PER_FEED);
    assert_eq!(env.duplicates(), 0);
    assert_eq!(env.integrity(), "ok");
    assert_eq!(env.entries(&["--search", "feed-150"]).len(), PER_FEED, "search finds them all");
}

// ------------------------------------------------------------------------------------------
// watch
// ------------------------------------------------------------------------------------------

fn watch_stops_cleanly_on(signal: &str) {
    let server = FixtureServer::start();
    let env = TestEnv::with_feeds(
        "",
        &[("townhall", server.url("/rss.xml")), ("broken", server.url("/status/500"))],
    );
    let mut watch = env.spawn(&["watch"]);
    watch.wait_for_line("roundup: next poll at", Duration::from_secs(30));
    assert!(watch.is_running(), "a failing feed does not stop watch");
    watch.signal(signal);
    let run = watch.finish(Duration::from_secs(15));
    run.success();
    assert!(run.stdout.starts_with("roundup: watching 2 feeds into "), "{run}");
    assert!(run.stdout.trim_end().ends_with("roundup: stopped"), "{run}");
    assert!(run.stderr.contains("roundup: feed broken: HTTP 500"), "{run}");
    assert_eq!(env.entries(&[]).len(), RSS_ENTRIES);
    assert_eq!(env.integrity(), "ok");
    env.fetch(&["--quiet"]).success(); // The lock went with it.
}

#[test]
fn watch_polls_then_stops_cleanly_on_sigterm() {
    watch_stops_cleanly_on("TERM");
}

#[test]
fn watch_polls_then_stops_cleanly_on_ctrl_c() {
    watch_stops_cleanly_on("INT");
}

// ------------------------------------------------------------------------------------------
// feeds add / import / export / list
// ------------------------------------------------------------------------------------------

const COMMENTED: &str = "\
# The feeds roundup polls. Comments like this one must survive `feeds add`.
[settings]
interval = \"1h\" # hourly is plenty

# The town hall's own blog.
[[feeds]]
id = \"townhall\"
url = \"URL\" # keep this comment
";

#[test]
fn feeds_add_finds_the_feed_of_an_html_page_and_keeps_every_comment() {
    let server = FixtureServer::start();
    let env = TestEnv::new(&COMMENTED.replace("URL", &server.url("/rss.xml")));
    let before = env.read_config();
    let page = server.url("/page.html");
    let found = server.url("/gen/discovered");
    let run = env.run(&["feeds", "add", &page]);
    run.success();
    assert!(
        run.stdout.contains(&format!("roundup: {page} is a page; its feed is {found}")),
        "{run}"
    );
    assert!(run.stdout.contains("roundup: added \"generated-feed-discovered\""), "{run}");

    let after = env.read_config();
    assert!(after.starts_with(&before), "everything before is kept as it was:\n{after}");
    let doc: toml::Table = toml::from_str(&after).expect("still TOML");
    let added = &doc["feeds"].as_array().unwrap()[1];
    assert_eq!(added["id"].as_str(), Some("generated-feed-discovered"));
    assert_eq!(added["name"].as_str(), Some("Generated feed discovered"));
    assert_eq!(added["url"].as_str(), Some(found.as_str()));

    env.fetch(&[]).success();
    let entries = env.entries(&["--feed", "generated-feed-discovered"]);
    assert_eq!(entries.len(), GEN_ENTRIES);

    let again = env.run(&["feeds", "add", &page]);
    again.expect_code(2);
    assert!(again.stderr.contains("is already in"), "{again}");
    assert_eq!(env.read_config(), after);
}

#[test]
fn feeds_add_takes_an_id_and_name_and_refuses_pages_without_feeds() {
    let server = FixtureServer::start();
    let env = TestEnv::new(&COMMENTED.replace("URL", &server.url("/rss.xml")));
    let before = env.read_config();

    let run = env.run(&["feeds", "add", &server.url("/nofeed.html")]);
    run.expect_code(2);
    assert!(run.stderr.contains("is an HTML page that advertises no feed"), "{run}");
    let run = env.run(&["feeds", "add", "ftp://files.example/feed.xml"]);
    run.expect_code(2);
    assert!(run.stderr.contains("not an http(s) URL"), "{run}");
    let run = env.run(&["feeds", "add", &server.url("/atom.xml"), "--id", "townhall"]);
    run.expect_code(2);
    assert!(run.stderr.contains("id \"townhall\" is already used"), "{run}");
    assert_eq!(env.read_config(), before, "nothing is written when adding fails");

    env.run(&["feeds", "add", &server.url("/atom.xml"), "--id", "dsb", "--name", "DSB"]).success();
    let config: toml::Table = toml::from_str(&env.read_config()).unwrap();
    let added = &config["feeds"].as_array().unwrap()[1];
    assert_eq!((added["id"].as_str(), added["name"].as_str()), (Some("dsb"), Some("DSB")));
}

#[test]
fn feeds_import_then_export_round_trips_through_opml() {
    let a = TestEnv::new("# Imported feeds go below.\n");
    let run = a.run(&["feeds", "import", fixture("opml/subscriptions.opml").to_str().unwrap()]);
    run.success();
    assert!(run.stdout.starts_with("roundup: imported 4 feeds into "), "{run}");
    assert!(run.stderr.contains("skipping outline with unusable xmlUrl \"ftp://"), "{run}");
    let config = a.read_config();
    assert!(config.starts_with("# Imported feeds go below.\n"), "{config}");
    let doc: toml::Table = toml::from_str(&config).unwrap();
    let feeds = doc["feeds"].as_array().unwrap();
    let ids: Vec<&str> = feeds.iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "leeds-district-news",
            "bristol-council-blog",
            "local-government-digest",
            "civic-tech-weekly"
        ]
    );
    let tags = |i: usize| -> Vec<&str> {
        feeds[i]
            .get("tags")
            .map_or(vec![], |t| t.as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect())
    };
    assert_eq!(tags(0), ["Councils"], "folders become tags");
    assert_eq!(tags(2), Vec::<&str>::new());
    assert_eq!(tags(3), ["tech", "weekly"], "so do categories");

    let again = a.run(&["feeds", "import", fixture("opml/subscriptions.opml").to_str().unwrap()]);
    again.success();
    assert!(again.stdout.starts_with("roundup: imported 0 feeds"), "{again}");

    let exported = a.run(&["feeds", "export"]);
    exported.success();
    let opml = &exported.stdout;
    assert!(opml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"), "{opml}");
    assert!(opml.contains("<opml version=\"2.0\">"), "{opml}");
    assert!(opml.contains("xmlUrl=\"https://leeds.example/news/feed/\""), "{opml}");
    assert!(opml.contains("text=\"Leeds &amp; District News\""), "{opml}");
    assert_eq!(opml.matches("<outline ").count(), 4, "{opml}");

    let b = TestEnv::new("");
    let file = b.dir().join("exported.opml");
    std::fs::write(&file, opml).unwrap();
    b.run(&["feeds", "import", file.to_str().unwrap()]).success();
    let exported_again = b.run(&["feeds", "export"]);
    exported_again.success();
    assert_eq!(exported_again.stdout, *opml, "export → import → export is the identity");
}

#[test]
fn feeds_list_shows_each_feeds_state_in_a_table_and_as_json() {
    let server = FixtureServer::start();
    let env = TestEnv::with_feeds(
        "",
        &[("townhall", server.url("/rss.xml")), ("broken", server.url("/status/500"))],
    );
    let list = env.run(&["feeds", "list"]);
    list.success();
    assert!(
        list.stdout.lines().any(|l| l.starts_with("townhall") && l.contains("never")),
        "{list}"
    );

    env.fetch(&[]).expect_code(1);
    let list = env.run(&["feeds", "list"]);
    list.success();
    let lines: Vec<&str> = list.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "a header and one line per feed\n{list}");
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(
        header,
        ["ID", "LAST", "FETCH", "STATUS", "ERRORS", "NEXT", "DUE", "ENTRIES", "NOTES"]
    );
    let townhall: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!((townhall[0], townhall[2], townhall[3], townhall[5]), ("townhall", "200", "0", "3"));
    let broken: Vec<&str> = lines[2].split_whitespace().collect();
    assert_eq!((broken[0], broken[2], broken[3], broken[5]), ("broken", "500", "1", "0"));
    assert!(lines[2].contains("last error: HTTP 500 Internal Server Error"), "{list}");

    let feeds = env.feeds();
    assert_eq!(feeds["townhall"]["entries"], 3);
    assert_eq!(feeds["townhall"]["title"], "Town Hall Notes");
    assert_eq!(feeds["broken"]["error_count"], 1);
}

// ------------------------------------------------------------------------------------------
// entries
// ------------------------------------------------------------------------------------------

fn rss_doc(items: &[(&str, &str, &str, Option<&str>)]) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\"?>\n<rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\
         <channel><title>Doc</title>\n",
    );
    for (guid, title, date, author) in items {
        let author = author.map(|a| format!("<dc:creator>{a}</dc:creator>")).unwrap_or_default();
        s.push_str(&format!(
            "<item><guid>{guid}</guid><title>{title}</title>\
             <link>https://news.example/{guid}</link><pubDate>{date}</pubDate>{author}\
             <description>Text of {title}.</description></item>\n"
        ));
    }
    s.push_str("</channel></rss>\n");
    s
}

fn rfc2822_days_ago(days: i64) -> String {
    (chrono::Utc::now() - chrono::Duration::days(days)).to_rfc2822()
}

/// Two feeds: `weeks` around ISO week 2024-W48, and `recent` relative to now.
fn entries_env(timezone: &str) -> (FixtureServer, TestEnv) {
    let server = FixtureServer::start();
    let rss = "application/rss+xml";
    server.set_doc(
        "weeks",
        rss,
        &rss_doc(&[
            ("w47", "Sunday night before", "Sun, 24 Nov 2024 23:59:00 GMT", None),
            (
                "w48a",
                "Council budget approved",
                "Tue, 26 Nov 2024 10:00:00 +0100",
                Some("Ann Smith"),
            ),
            ("w48b", "Late Sunday post", "Sun, 01 Dec 2024 23:30:00 GMT", None),
            ("w49", "Monday housing news", "Mon, 02 Dec 2024 00:30:00 GMT", None),
        ]),
    );
    server.set_doc(
        "recent",
        rss,
        &rss_doc(&[
            ("r1", "Fresh housing report", &rfc2822_days_ago(1), Some("Bob Jones")),
            ("r3", "Three days old", &rfc2822_days_ago(3), None),
            ("r20", "Twenty days old", &rfc2822_days_ago(20), None),
        ]),
    );
    let env = TestEnv::with_feeds(
        &format!("timezone = \"{timezone}\""),
        &[("weeks", server.url("/doc/weeks")), ("recent", server.url("/doc/recent"))],
    );
    env.fetch(&[]).success();
    (server, env)
}

fn listed(env: &TestEnv, args: &[&str]) -> Vec<String> {
    env.entries(args).iter().map(|e| e["title"].as_str().unwrap().to_string()).collect()
}

#[test]
fn entries_json_gives_id_feed_title_url_author_and_utc_published_newest_first() {
    let (_server, env) = entries_env("Europe/London");
    let entries = env.entries(&[]);
    assert_eq!(entries.len(), 7);
    let budget = entries.iter().find(|e| e["title"] == "Council budget approved").unwrap();
    assert!(budget["id"].is_i64(), "{budget}");
    assert_eq!(budget["feed"], "weeks");
    assert_eq!(budget["url"], "https://news.example/w48a");
    assert_eq!(budget["author"], "Ann Smith");
    assert_eq!(budget["published"], "2024-11-26T09:00:00Z", "converted to UTC");
    let no_author = entries.iter().find(|e| e["title"] == "Late Sunday post").unwrap();
    assert_eq!(no_author["author"], Value::Null);
    let published: Vec<&str> = entries.iter().map(|e| e["published"].as_str().unwrap()).collect();
    let mut sorted = published.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(published, sorted, "newest first");
    for p in &published {
        assert!(
            p.len() == 20 && p.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(p).is_ok(),
            "RFC 3339 UTC: {p}"
        );
    }
    let ids: std::collections::HashSet<i64> =
        entries.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert_eq!(ids.len(), 7, "ids are distinct");

    let text = env.run(&["entries"]);
    text.success();
    assert_eq!(text.stdout.lines().count(), 7);
    let line = text.stdout.lines().find(|l| l.contains("Council budget approved")).unwrap();
    assert!(
        line.contains("2024-11-26") && line.contains("weeks") && line.ends_with("— Ann Smith"),
        "{line}"
    );
}

#[test]
fn entries_filter_by_iso_week_in_the_configured_time_zone() {
    let (_server, env) = entries_env("Europe/London");
    assert_eq!(
        listed(&env, &["--week", "2024-W48"]),
        ["Late Sunday post", "Council budget approved"]
    );
    assert_eq!(listed(&env, &["--week", "2024-W47"]), ["Sunday night before"]);
    let (_server, env) = entries_env("America/New_York");
    assert_eq!(
        listed(&env, &["--week", "2024-W48"]),
        ["Monday housing news", "Late Sunday post", "Council budget approved"],
        "Monday 00:30 UTC is still Sunday in New York"
    );
}

#[test]
fn entries_filter_by_since_feed_search_and_limit() {
    let (_server, env) = entries_env("Europe/London");
    assert_eq!(listed(&env, &["--since", "7d"]), ["Fresh housing report", "Three days old"]);
    assert_eq!(listed(&env, &["--since", "36h"]), ["Fresh housing report"]);
    assert_eq!(listed(&env, &["--feed", "weeks"]).len(), 4);
    assert_eq!(listed(&env, &["--feed", "recent", "--limit", "1"]), ["Fresh housing report"]);
    assert_eq!(listed(&env, &["--limit", "2"]), ["Fresh housing report", "Three days old"]);
    let mut housing = listed(&env, &["--search", "housing"]);
    housing.sort();
    assert_eq!(housing, ["Fresh housing report", "Monday housing news"]);
    assert_eq!(listed(&env, &["--search", "housing report"]), ["Fresh housing report"]);
    assert_eq!(listed(&env, &["--search", "ann smith"]), ["Council budget approved"]);
    assert_eq!(listed(&env, &["--search", "housing", "--feed", "weeks"]), ["Monday housing news"]);
    assert!(listed(&env, &["--search", "nothing-like-this"]).is_empty());
}

#[test]
fn entries_refuses_bad_filters_with_exit_2() {
    let (_server, env) = entries_env("Europe/London");
    for (args, message) in [
        (&["entries", "--feed", "nope"][..], "no feed with id \"nope\""),
        (&["entries", "--week", "2024-W54"], "has no week 54"),
        (&["entries", "--week", "last week"], "bad week"),
        (&["entries", "--since", "7x"], "--since"),
        (&["entries", "--since", "7d", "--week", "2024-W48"], "cannot be used with"),
        (&["entries", "--limit", "many"], "invalid value"),
    ] {
        let run = env.run(args);
        run.expect_code(2);
        assert!(run.stderr.contains(message), "{args:?}: expected {message:?}\n{run}");
    }
}

// ------------------------------------------------------------------------------------------
// parse
// ------------------------------------------------------------------------------------------

#[test]
fn parse_json_shows_the_feed_and_every_entry_with_nulls_where_absent() {
    let env = TestEnv::new("");
    let rss = fixture("http/rss.xml");
    let run = env.run(&["parse", rss.to_str().unwrap(), "--json"]);
    run.success();
    let v = run.json();
    let keys = |o: &Value| {
        let mut k: Vec<String> = o.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(keys(&v), ["entries", "feed"]);
    assert_eq!(keys(&v["feed"]), ["link", "title", "updated"]);
    assert_eq!(v["feed"]["title"], "Town Hall Notes");
    assert_eq!(v["feed"]["link"], "https://townhall.example/");
    assert_eq!(v["feed"]["updated"], Value::Null);
    let entries = v["entries"].as_array().unwrap();
    assert_eq!(entries.len(), RSS_ENTRIES);
    for e in entries {
        assert_eq!(
            keys(e),
            ["author", "content", "id", "link", "published", "summary", "title", "updated"]
        );
    }
    let first = &entries[0];
    assert_eq!(first["id"], "townhall-3");
    assert_eq!(first["title"], "Fish & chips budget approved", "entities decoded");
    assert_eq!(first["link"], "https://townhall.example/2024/11/fish-and-chips");
    assert_eq!(first["published"], "2024-11-26T09:00:00Z");
    assert_eq!(first["author"], "Ann Smith");
    assert_eq!(first["summary"], "<p>The committee approved the budget.</p>");
    assert_eq!(first["content"], Value::Null);
    assert_eq!(entries[2]["author"], Value::Null);

    let atom = run_json(&env, &["parse", fixture("http/atom.xml").to_str().unwrap(), "--json"]);
    assert_eq!(atom["feed"]["updated"], "2024-11-27T12:00:00Z");
    assert_eq!(atom["entries"][1]["content"], "<p>Talk to users.</p>");
    let json = run_json(&env, &["parse", fixture("http/feed.json").to_str().unwrap(), "--json"]);
    assert_eq!(json["feed"]["title"], "Housing Weekly");
    assert_eq!(json["entries"][0]["author"], "Eve Black");
}

fn run_json(env: &TestEnv, args: &[&str]) -> Value {
    let run = env.run(args);
    run.success();
    run.json()
}

#[test]
fn parse_resolves_relative_links_against_base_strips_title_tags_and_refuses_html() {
    let env = TestEnv::new("");
    let file = env.dir().join("relative.xml");
    std::fs::write(
        &file,
        "<rss version=\"2.0\"><channel><title>R</title><link>/blog/</link>\
         <item><title>&lt;b&gt;Bold&lt;/b&gt; move</title><link>posts/1</link></item>\
         </channel></rss>",
    )
    .unwrap();
    let v = run_json(
        &env,
        &["parse", file.to_str().unwrap(), "--base", "https://r.example/blog/feed.xml", "--json"],
    );
    assert_eq!(v["feed"]["link"], "https://r.example/blog/");
    assert_eq!(v["entries"][0]["link"], "https://r.example/blog/posts/1");
    assert_eq!(v["entries"][0]["title"], "Bold move", "titles are plain text");

    let run = env.run(&["parse", fixture("http/page.html").to_str().unwrap()]);
    run.expect_code(2);
    assert!(run.stderr.contains("is not a readable feed"), "{run}");
}

/// Issue 10, item 1: a command that only reads writes nothing when it opens the store (the
/// feeds file has not changed), so a writer holding the database, such as a running `watch`,
/// neither delays nor fails it. Before, the feeds-file sync waited out the busy timeout and
/// failed with "database is locked".
#[test]
fn reading_commands_write_nothing_and_do_not_wait_for_a_writer() {
    let server = FixtureServer::start();
    let env = TestEnv::with_feeds("", &[("rss", server.url("/rss.xml"))]);
    env.fetch(&[]).success();
    let writer = env.sqlite();
    writer.execute_batch("BEGIN IMMEDIATE").unwrap();
    for args in [&["entries", "--json"][..], &["feeds", "list"], &["candidates", "--all"]] {
        env.run(args).success();
    }
    writer.execute_batch("ROLLBACK").unwrap();
}

/// Issue 10, item 1: `watch` waits out a busy database (an editor's command writing) instead of
/// dying: it says so, tries the round again, and stores what it polled once the database is
/// free.
#[test]
fn watch_retries_a_round_on_a_busy_database_and_says_so() {
    let server = FixtureServer::start();
    let env = TestEnv::with_feeds("", &[("rss", server.url("/rss.xml"))]);
    env.run(&["feeds", "list"]).success();
    let writer = env.sqlite();
    writer.execute_batch("BEGIN IMMEDIATE").unwrap();
    let mut watch = env.spawn(&["watch"]);
    // The write waits out the 10 s busy timeout, then the round is tried again.
    watch.wait_for_line("roundup: the database is busy", Duration::from_secs(30));
    writer.execute_batch("ROLLBACK").unwrap();
    watch.wait_for_line("roundup: next poll at", Duration::from_secs(30));
    watch.signal("TERM");
    let run = watch.finish(Duration::from_secs(10));
    run.success();
    assert!(run.stdout.contains("trying this round again in 5s"), "{run}");
    assert_eq!(env.entries(&[]).len(), RSS_ENTRIES, "stored once the database was free");
}
