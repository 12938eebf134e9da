//! Scale (issue 11): what must stay linear in the size of the feeds file and the database.
//! Small enough for `cargo test`; the large sizes are in `cargo bench --bench scale`.

use std::fmt::Write as _;

use crate::support::TestEnv;

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
/// by a scan of every stored row, twice (the sync's "unchanged?" check and the listing). How
/// long it takes is measured by `cargo bench --bench scale` (the rule: speed in benches, never
/// in timed tests); this checks what a large file must still give: every feed, in the file's
/// order, on the first run (which syncs them all) and on the second (which syncs nothing).
#[test]
fn feeds_list_over_20000_feeds_keeps_the_files_order() {
    const FEEDS: usize = 20_000;
    let env = TestEnv::new(&many_feeds(FEEDS));
    for round in ["first (syncs every feed)", "second (nothing to sync)"] {
        let run = env.run(&["feeds", "list"]);
        run.success();
        let lines: Vec<&str> = run.stdout.lines().collect();
        assert_eq!(lines.len(), FEEDS + 1, "{round}: a header and a line per feed");
        assert!(lines[1].starts_with("blog-000000 "), "{round}: {}", lines[1]);
        assert!(lines[FEEDS].starts_with("blog-019999 "), "{round}: {}", lines[FEEDS]);
    }
}

/// Issue 11, item 3: `prune --older-than 2y` removes old entries but never a picked one, says
/// what it removed, counts only with `--dry-run`, and the database file shrinks.
#[test]
fn prune_removes_old_unpicked_entries_and_the_file_shrinks() {
    let env = TestEnv::new(&many_feeds(1));
    env.run(&["feeds", "list"]).success();
    let conn = env.sqlite();
    let mut seed = 1u64;
    let mut insert = |identity: String, published: &str| {
        // Random letters: 4 KB of text that takes its room.
        let text: String = (0..4000)
            .map(|_| {
                seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                char::from(b'a' + ((seed >> 40) % 26) as u8)
            })
            .collect();
        conn.execute(
            "INSERT INTO entries (feed_id, identity, url, title, published, dated_by,
                                  text_without_html, categories, content_hash, first_seen, changed_at)
             VALUES ('blog-000000', ?1, 'https://blog0.example/' || ?1, 'Post ' || ?1, ?2,
                     'published', ?3, '[]', ?1, ?2, ?2)",
            rusqlite::params![identity, published, text],
        )
        .unwrap();
    };
    for i in 0..2000 {
        insert(format!("old-{i}"), "2022-03-01T09:00:00Z");
    }
    for i in 0..5 {
        insert(format!("new-{i}"), &chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string());
    }
    drop(conn);
    env.run(&["pick", "1", "--week", "2022-W09", "--excerpt", "Kept."]).success();
    let size = || std::fs::metadata(&env.db).unwrap().len();

    let dry = env.run(&["prune", "--older-than", "2y", "--dry-run"]);
    dry.success();
    assert!(dry.stdout.contains("would remove 1999 entries"), "{dry}");
    assert!(dry.stdout.contains("1 kept: picked"), "{dry}");
    assert_eq!(env.count("SELECT count(*) FROM entries"), 2005, "--dry-run removes nothing");

    // Everything in the file itself, not its write-ahead log.
    env.sqlite().query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())).unwrap();
    let before = size();
    let run = env.run(&["prune", "--older-than", "2y"]);
    run.success();
    assert!(run.stdout.contains("removed 1999 entries dated before"), "{run}");
    assert_eq!(env.count("SELECT count(*) FROM entries"), 6);
    assert_eq!(env.count("SELECT count(*) FROM entries WHERE id = 1"), 1, "the pick's entry stays");
    let after = size();
    assert!(after * 4 < before, "the file went from {before} to {after} bytes");
    assert_eq!(env.integrity(), "ok");
}
