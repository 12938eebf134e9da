//! The scriptable editor commands: candidates, pick / unpick / skip, picks, excerpts (from the
//! entry's own text or its article page, fetched once and cached), edit, and `week` off a
//! terminal.

use serde_json::Value;

use crate::support::{FixtureServer, TestEnv};

const WEEK: &str = "2024-W48";

/// A feed with one full-content entry in the week, one summary-only entry in the week whose
/// article page is on the server, and one entry of an earlier week.
fn summary_feed(server: &FixtureServer) -> String {
    let article = server.url("/doc/article.html");
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>Council Digest</title><link>https://digest.example/</link>
<item><title>Full text post</title><link>https://digest.example/full</link><guid>d-1</guid>
<dc:creator>Priya Shah</dc:creator><pubDate>Wed, 27 Nov 2024 09:00:00 GMT</pubDate>
<description>Short summary.</description>
<content:encoded><![CDATA[<p>First paragraph of the full text, long enough to quote here.</p><p>Second paragraph, also long enough to be offered.</p><p>Tiny.</p>]]></content:encoded></item>
<item><title>Summary only</title><link>{article}</link><guid>d-2</guid>
<dc:creator>Tom Reed</dc:creator><pubDate>Thu, 28 Nov 2024 09:00:00 GMT</pubDate>
<description>Just a teaser of the article.</description></item>
<item><title>Old news</title><link>https://digest.example/old</link><guid>d-0</guid>
<pubDate>Mon, 11 Nov 2024 09:00:00 GMT</pubDate><description>From two weeks ago.</description></item>
</channel></rss>"#
    )
}

const ARTICLE: &str = r#"<!DOCTYPE html><html><head><title>Summary only | Council Digest</title></head>
<body><nav><a href="/">Home</a> <a href="/about">About</a> <a href="/contact">Contact us</a></nav>
<article><h1>Summary only</h1>
<p>The article page holds the real text, which the feed only teased, and it runs to several
sentences so that a readability pass sees it as the main content of the page.</p>
<p>A second paragraph explains what the council decided and why residents should care about
the change to bin collections that starts in the new year.</p>
<p>A third paragraph closes the piece with a quote from the cabinet member responsible, who
said the savings would protect frontline services.</p>
</article><footer>Cookie settings. Privacy. Accessibility statement.</footer></body></html>"#;

fn env_with_digest() -> (FixtureServer, TestEnv) {
    let server = FixtureServer::start();
    server.set_doc("digest.xml", "application/rss+xml", &summary_feed(&server));
    server.set_doc("article.html", "text/html; charset=utf-8", ARTICLE);
    let env = TestEnv::with_feeds(
        "",
        &[("digest", server.url("/doc/digest.xml")), ("townhall", server.url("/rss.xml"))],
    );
    env.fetch(&[]).success();
    (server, env)
}

fn id_of(env: &TestEnv, title: &str) -> i64 {
    env.entries(&[])
        .iter()
        .find(|e| e["title"] == title)
        .unwrap_or_else(|| panic!("no entry titled {title:?}"))["id"]
        .as_i64()
        .expect("numeric id")
}

fn json(env: &TestEnv, args: &[&str]) -> Value {
    let run = env.run(args);
    run.success();
    run.json()
}

#[test]
fn candidates_are_the_weeks_entries_with_their_triage_state() {
    let (_server, env) = env_with_digest();
    let list = json(&env, &["candidates", "--week", WEEK, "--json"]);
    let titles: Vec<&str> =
        list.as_array().unwrap().iter().map(|c| c["title"].as_str().unwrap()).collect();
    // Newest first; the 11 Nov entry and the 22 Nov one belong to earlier weeks.
    assert_eq!(
        titles,
        [
            "Summary only",
            "Full text post",
            "Fish & chips budget approved",
            "Libraries stay open on Sundays"
        ]
    );
    assert!(list.as_array().unwrap().iter().all(|c| c["triage"] == "new"));
    assert_eq!(list[0]["outlet"], "Council Digest");

    let skip = id_of(&env, "Libraries stay open on Sundays");
    env.run(&["skip", &skip.to_string(), "--week", WEEK]).success();
    let pick = id_of(&env, "Full text post");
    env.run(&["pick", &pick.to_string(), "--week", WEEK]).success();
    let list = json(&env, &["candidates", "--week", WEEK, "--json"]);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 3, "a skipped entry is not shown again");
    let full = list.iter().find(|c| c["id"] == pick).unwrap();
    assert_eq!(
        (full["triage"].as_str(), full["triage_week"].as_str()),
        (Some("picked"), Some(WEEK))
    );
    let all = json(&env, &["candidates", "--week", WEEK, "--json", "--all"]);
    assert_eq!(all.as_array().unwrap().len(), 4, "--all shows skipped entries too");

    let text = env.run(&["candidates", "--week", WEEK]);
    text.success();
    assert!(text.stdout.starts_with(&format!("{WEEK}: 3 candidates")), "{text}");
}

#[test]
fn picks_are_kept_in_order_and_can_be_moved_changed_and_taken_out() {
    let (_server, env) = env_with_digest();
    let ids: Vec<String> = ["Full text post", "Summary only", "Fish & chips budget approved"]
        .iter()
        .map(|t| id_of(&env, t).to_string())
        .collect();
    for id in &ids {
        env.run(&["pick", id, "--week", WEEK, "--note", "Worth reading."]).success();
    }
    env.run(&["pick", &ids[2], "--week", WEEK, "--position", "1", "--section", "Money"]).success();
    let picks = json(&env, &["picks", "--week", WEEK, "--json"]);
    let order: Vec<String> =
        picks.as_array().unwrap().iter().map(|p| p["entry"]["id"].to_string()).collect();
    assert_eq!(order, [ids[2].clone(), ids[0].clone(), ids[1].clone()]);
    assert_eq!(picks[0]["position"], 1);
    assert_eq!(picks[0]["section"], "Money");
    assert_eq!(picks[0]["note"], "Worth reading.", "changing one field keeps the others");
    assert_eq!(picks[0]["entry"]["outlet"], "Town Hall Notes");
    assert_eq!(picks[1]["entry"]["author"], "Priya Shah");

    env.run(&["unpick", &ids[0], "--week", WEEK]).success();
    let picks = json(&env, &["picks", "--week", WEEK, "--json"]);
    let positions: Vec<i64> =
        picks.as_array().unwrap().iter().map(|p| p["position"].as_i64().unwrap()).collect();
    assert_eq!(positions, [1, 2], "positions stay dense");

    let again = env.run(&["unpick", &ids[0], "--week", WEEK]);
    again.expect_code(2);
    assert!(again.stderr.contains("is not picked in 2024-W48"), "{again}");
    let missing = env.run(&["pick", "99999", "--week", WEEK]);
    missing.expect_code(2);
    assert!(missing.stderr.contains("there is no entry 99999"), "{missing}");
}

#[test]
fn any_stored_entry_can_be_picked_into_any_week() {
    let (_server, env) = env_with_digest();
    let old = id_of(&env, "Old news").to_string();
    env.run(&["pick", &old, "--week", WEEK]).success();
    let picks = json(&env, &["picks", "--week", WEEK, "--json"]);
    assert_eq!(picks[0]["entry"]["title"], "Old news");
}

#[test]
fn excerpts_of_a_full_text_entry_are_its_paragraphs() {
    let (server, env) = env_with_digest();
    let id = id_of(&env, "Full text post").to_string();
    let list = json(&env, &["excerpts", &id, "--json"]);
    let texts: Vec<&str> =
        list.as_array().unwrap().iter().map(|p| p["text"].as_str().unwrap()).collect();
    assert_eq!(
        texts,
        [
            "First paragraph of the full text, long enough to quote here.",
            "Second paragraph, also long enough to be offered."
        ]
    );
    assert_eq!(list[1]["n"], 2);
    assert_eq!(server.hits("/doc/article.html"), 0, "no page fetch when the feed has the text");

    env.run(&["pick", &id, "--week", WEEK, "--excerpt-para", "2"]).success();
    let picks = json(&env, &["picks", "--week", WEEK, "--json"]);
    assert_eq!(picks[0]["excerpt"], "Second paragraph, also long enough to be offered.");

    let bad = env.run(&["pick", &id, "--week", WEEK, "--excerpt-para", "7"]);
    bad.expect_code(2);
    assert!(bad.stderr.contains("has 2 excerpt suggestions"), "{bad}");
}

#[test]
fn excerpts_of_a_summary_only_entry_come_from_its_article_page_fetched_once() {
    let (server, env) = env_with_digest();
    let id = id_of(&env, "Summary only").to_string();
    let list = json(&env, &["excerpts", &id, "--json"]);
    let texts: Vec<&str> =
        list.as_array().unwrap().iter().map(|p| p["text"].as_str().unwrap()).collect();
    assert_eq!(texts.len(), 3, "{texts:#?}");
    assert!(texts[0].starts_with("The article page holds the real text"), "{texts:#?}");
    assert!(texts.iter().all(|t| !t.contains("Cookie")), "no page furniture: {texts:#?}");
    assert_eq!(server.hits("/doc/article.html"), 1);

    // Cached in the database: asking again fetches nothing.
    json(&env, &["excerpts", &id, "--json"]);
    assert_eq!(server.hits("/doc/article.html"), 1);
    assert_eq!(env.count("SELECT count(*) FROM pages WHERE text IS NOT NULL"), 1);

    let text = env.run(&["excerpts", &id]);
    text.success();
    assert!(text.stdout.starts_with("[1] The article page holds the real text"), "{text}");
}

#[test]
fn an_unreachable_article_page_falls_back_to_the_feeds_summary() {
    let server = FixtureServer::start();
    let feed =
        summary_feed(&server).replace(&server.url("/doc/article.html"), &server.url("/status/500"));
    server.set_doc("digest.xml", "application/rss+xml", &feed);
    let env = TestEnv::with_feeds("", &[("digest", server.url("/doc/digest.xml"))]);
    env.fetch(&[]).success();
    let id = id_of(&env, "Summary only").to_string();
    let run = env.run(&["excerpts", &id, "--json"]);
    run.success();
    assert!(run.stderr.contains("could not fetch the article"), "{run}");
    assert_eq!(run.json()[0]["text"], "Just a teaser of the article.");
}

#[test]
fn edit_sets_the_roundups_fields_with_the_configured_default_title() {
    let (_server, env) = env_with_digest();
    std::fs::write(
        &env.config,
        format!(
            "[roundup]\ntitle = \"That was the local government week that was\"\n\n{}",
            env.read_config()
        ),
    )
    .unwrap();
    let run =
        env.run(&["edit", "--week", WEEK, "--intro", "A busy week.", "--tags", "housing, budgets"]);
    run.success();
    assert!(run.stdout.contains("That was the local government week that was"), "{run}");
    let db = env.sqlite();
    let (title, intro, tags): (String, String, String) = db
        .query_row("SELECT title, intro, tags FROM roundups WHERE week = ?1", [WEEK], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    assert_eq!(title, "That was the local government week that was");
    assert_eq!(intro, "A busy week.");
    assert_eq!(tags, r#"["housing","budgets"]"#);
    let bad = env.run(&["edit", "--week", "2024-W99", "--intro", "x"]);
    bad.expect_code(2);
    assert!(bad.stderr.contains("--week"), "{bad}");
}

#[test]
fn week_off_a_terminal_points_to_the_scriptable_commands() {
    let (_server, env) = env_with_digest();
    let run = env.run(&["week", "--no-fetch"]);
    run.expect_code(2);
    assert!(run.stderr.contains("needs a terminal"), "{run}");
    assert!(run.stderr.contains("roundup pick"), "{run}");
}

#[test]
fn draft_check_quotes_reports_an_excerpt_the_article_no_longer_holds() {
    let (server, env) = env_with_digest();
    let id = id_of(&env, "Summary only").to_string();
    env.run(&["pick", &id, "--week", WEEK, "--excerpt-para", "2"]).success();
    let out = env.dir().join("draft.md");
    let out = out.to_str().unwrap();
    let run = env.run(&["draft", "--week", WEEK, "-o", out, "--check-quotes"]);
    run.success();
    assert!(!run.stderr.contains("no longer appears"), "the quote is there: {run}");
    let before = server.hits("/doc/article.html");

    // The publisher rewrites the paragraph that was quoted.
    server.set_doc(
        "article.html",
        "text/html; charset=utf-8",
        &ARTICLE.replace("what the council decided", "what the cabinet proposed"),
    );
    let run = env.run(&["draft", "--week", WEEK, "-o", out, "--check-quotes", "--strict"]);
    run.expect_code(1);
    assert!(
        run.stderr.contains("item 1 \"Summary only\": the excerpt no longer appears in"),
        "{run}"
    );
    assert_eq!(server.hits("/doc/article.html"), before + 1, "re-fetched, not read from the cache");
}

#[test]
fn a_pick_without_author_or_outlet_takes_them_from_its_article_page_and_drops_tracking() {
    let server = FixtureServer::start();
    let tracked = format!("{}?utm_source=rss&utm_medium=feed&id=7", server.url("/doc/byline.html"));
    let canonical = server.url("/doc/byline.html");
    // A feed with no title of its own and an item that names no author.
    let feed = format!(
        r#"<?xml version="1.0"?><rss version="2.0"><channel><link>https://borough.example/</link>
<item><title>Parks consultation opens</title><link>{}</link><guid>b-1</guid>
<pubDate>Wed, 27 Nov 2024 09:00:00 GMT</pubDate><description>Have your say.</description></item>
</channel></rss>"#,
        tracked.replace('&', "&amp;")
    );
    server.set_doc("borough.xml", "application/rss+xml", &feed);
    let page = format!(
        r#"<!DOCTYPE html><html lang="en"><head><title>Parks consultation opens</title>
<link rel="canonical" href="{canonical}"><meta name="author" content="Rosa Diaz">
<meta property="og:site_name" content="Borough Voices"></head>
<body><article><h1>Parks consultation opens</h1><p>The borough wants to hear from residents about
the future of its parks, from opening hours to the cafes and the new playgrounds planned.</p>
<p>The consultation runs for eight weeks and there will be drop-in sessions in every ward,
as well as an online survey that takes about ten minutes to complete.</p></article></body></html>"#
    );
    server.set_doc("byline.html", "text/html; charset=utf-8", &page);
    let env = TestEnv::with_feeds("", &[("borough", server.url("/doc/borough.xml"))]);
    env.fetch(&[]).success();
    let id = id_of(&env, "Parks consultation opens").to_string();
    let run = env.run(&["pick", &id, "--week", WEEK]);
    run.success();
    assert!(run.stdout.contains("the article page says \"Rosa Diaz\""), "{run}");
    let picks = json(&env, &["picks", "--week", WEEK, "--json"]);
    let entry = &picks[0]["entry"];
    assert_eq!(entry["author"], "Rosa Diaz");
    assert_eq!(entry["outlet"], "Borough Voices");
    assert_eq!(entry["url"], canonical.as_str(), "the canonical link, no utm_* parameters");
}

/// Issue 9, item 9: a link replaced by its page's canonical URL was still compared, next week,
/// in the form the feed gave it, so re-picking the same post gave no "already featured".
#[test]
fn a_post_featured_under_its_canonical_link_is_already_featured_in_any_form() {
    let server = FixtureServer::start();
    let moved = format!("{}?utm_source=rss", server.url("/doc/old-home.html"));
    let canonical = "https://www.council.example/news/budget-set/";
    let feed = format!(
        r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Council news</title>
<link>https://council.example/</link>
<item><title>Budget set</title><link>{}</link><guid>c-1</guid>
<pubDate>Wed, 20 Nov 2024 09:00:00 GMT</pubDate><description>The budget.</description></item>
</channel></rss>"#,
        moved.replace('&', "&amp;")
    );
    server.set_doc("council.xml", "application/rss+xml", &feed);
    // The same post, linked by an aggregator in another form: http, no www, no trailing slash.
    let aggregator = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Sector wire</title>
<link>https://wire.example/</link>
<item><title>Council sets its budget</title><link>http://council.example/news/budget-set</link>
<guid>w-1</guid><author>ed@wire.example (Ed Wire)</author>
<pubDate>Thu, 28 Nov 2024 09:00:00 GMT</pubDate><description>Seen elsewhere.</description></item>
</channel></rss>"#;
    server.set_doc("wire.xml", "application/rss+xml", aggregator);
    let page = format!(
        r#"<!DOCTYPE html><html lang="en"><head><title>Budget set</title>
<link rel="canonical" href="{canonical}"><meta name="author" content="Rosa Diaz"></head>
<body><article><h1>Budget set</h1><p>The council set its budget for next year on Tuesday,
after a long debate about reserves, council tax and the cost of adult social care.</p>
</article></body></html>"#
    );
    server.set_doc("old-home.html", "text/html; charset=utf-8", &page);
    let env = TestEnv::with_feeds(
        "",
        &[("council", server.url("/doc/council.xml")), ("wire", server.url("/doc/wire.xml"))],
    );
    env.fetch(&[]).success();
    let post = id_of(&env, "Budget set").to_string();
    // Picked in W47: the page is fetched (the feed names no author) and its canonical link used.
    env.run(&["pick", &post, "--week", "2024-W47"]).success();
    let picks = json(&env, &["picks", "--week", "2024-W47", "--json"]);
    assert_eq!(picks[0]["entry"]["url"], canonical);

    // The next week: the same entry again, and the aggregator's link to the same post.
    env.run(&["pick", &post, "--week", WEEK]).success();
    let wire = id_of(&env, "Council sets its budget").to_string();
    env.run(&["pick", &wire, "--week", WEEK]).success();
    let run = env.run(&["draft", "--week", WEEK, "-o", "-"]);
    run.success();
    assert!(
        run.stderr.contains("item 1 \"Budget set\": already featured in 2024-W47"),
        "the same entry, featured under its canonical link: {run}"
    );
    assert!(
        run.stderr.contains("item 2 \"Council sets its budget\": already featured in 2024-W47"),
        "another feed's link to the same post: {run}"
    );
}

/// Issue 9, item 5: a quote of several paragraphs, chosen by number.
#[test]
fn excerpt_para_takes_ranges_and_lists_kept_in_article_order() {
    let (_server, env) = env_with_digest();
    let id = id_of(&env, "Summary only").to_string();
    let list = json(&env, &["excerpts", &id, "--json"]);
    let para = |n: usize| list[n - 1]["text"].as_str().unwrap().to_string();

    env.run(&["pick", &id, "--week", WEEK, "--excerpt-para", "2-3"]).success();
    let picks = json(&env, &["picks", "--week", WEEK, "--json"]);
    assert_eq!(picks[0]["excerpt"], format!("{}\n\n{}", para(2), para(3)));

    env.run(&["pick", &id, "--week", WEEK, "--excerpt-para", "3,1"]).success();
    let picks = json(&env, &["picks", "--week", WEEK, "--json"]);
    assert_eq!(picks[0]["excerpt"], format!("{}\n\n{}", para(1), para(3)), "article order");

    // Each paragraph of the quote is a paragraph of the draft's blockquote.
    let draft = env.run(&["draft", "--week", WEEK, "-o", "-"]);
    draft.success();
    assert!(draft.stdout.contains(&format!("> {}\n>\n> {}", para(1), para(3))), "{draft}");

    let bad = env.run(&["pick", &id, "--week", WEEK, "--excerpt-para", "2-4"]);
    bad.expect_code(2);
    assert!(bad.stderr.contains("--excerpt-para 2-4 (paragraph 4): entry"), "{bad}");
    assert!(bad.stderr.contains("has 3 excerpt suggestions"), "{bad}");
    let bad = env.run(&["pick", &id, "--week", WEEK, "--excerpt-para", "4,x"]);
    bad.expect_code(2);
    assert!(bad.stderr.contains("\"x\" is not a paragraph number"), "{bad}");
}

/// Issue 9, item 5: the fair-dealing limit measures the whole quote, not one paragraph of it.
#[test]
fn the_fair_dealing_check_measures_every_paragraph_of_the_quote() {
    let server = FixtureServer::start();
    server.set_doc("digest.xml", "application/rss+xml", &summary_feed(&server));
    server.set_doc("article.html", "text/html; charset=utf-8", ARTICLE);
    let env = TestEnv::with_feeds(
        "[roundup]\nexcerpt_max_words = 40\n",
        &[("digest", server.url("/doc/digest.xml"))],
    );
    env.fetch(&[]).success();
    let id = id_of(&env, "Summary only").to_string();
    let list = json(&env, &["excerpts", &id, "--json"]);
    let words = |n: usize| list[n - 1]["words"].as_u64().unwrap();
    assert!(words(1) <= 40 && words(2) <= 40, "each paragraph alone is within the limit");

    env.run(&["pick", &id, "--week", WEEK, "--excerpt-para", "1-2"]).success();
    let draft = env.run(&["draft", "--week", WEEK, "-o", "-"]);
    draft.success();
    let total = words(1) + words(2);
    assert!(
        draft.stderr.contains(&format!(
            "the excerpt has {total} words, more than the fair-dealing limit of 40"
        )),
        "{draft}"
    );
}

/// An RSS feed of `(guid, title, date)` items.
fn dated_feed(items: &[(&str, &str, chrono::DateTime<chrono::Utc>)]) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Old Blog</title>\
         <link>https://old.example/</link>",
    );
    for (guid, title, date) in items {
        s.push_str(&format!(
            "<item><guid>{guid}</guid><title>{title}</title>\
             <link>https://old.example/{guid}</link><pubDate>{}</pubDate></item>",
            date.to_rfc2822()
        ));
    }
    s.push_str("</channel></rss>");
    s
}

/// The titles of a JSON list of entries or candidates.
fn titles(list: &Value) -> Vec<String> {
    let Value::Array(list) = list else { panic!("not a list: {list}") };
    let mut t: Vec<String> = list.iter().map(|e| e["title"].as_str().unwrap().into()).collect();
    t.sort();
    t
}

/// Issue 9, item 2: a blog's first poll put its whole archive into this week as late arrivals
/// (309 of 333 candidates), while `entries --week` showed 24.
#[test]
fn a_new_feeds_archive_stays_out_of_the_week_and_candidates_agree_with_entries() {
    let now = chrono::Utc::now();
    let days = chrono::Duration::days;
    let old = |y: i32| chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, y, 3, 2, 9, 0, 0).unwrap();
    let server = FixtureServer::start();
    let rss = "application/rss+xml";
    let mut items = vec![
        ("a-2009", "Archive 2009", old(2009)),
        ("a-2022", "Archive 2022", old(2022)),
        ("a-recent", "Backlog from last month", now - days(40)),
        ("fresh", "Posted now", now),
    ];
    server.set_doc("old", rss, &dated_feed(&items));
    let env = TestEnv::with_feeds("", &[("old", server.url("/doc/old"))]);
    env.fetch(&[]).success();
    let week = json(&env, &["candidates", "--json", "--all"]);
    assert_eq!(titles(&week), ["Posted now"], "the archive is backlog, not late: {week}");
    assert_eq!(titles(&json(&env, &["entries", "--week", &this_week(), "--json"])), titles(&week));

    // Later polls bring new posts dated before the week: late arrivals when recent enough.
    items.push(("late", "Arrived late", now - days(12)));
    items.push(("too-old", "Found late but old", now - days(40)));
    server.set_doc("old", rss, &dated_feed(&items));
    // Times are stored to the second: the next poll must be a later one than the first.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    env.fetch(&["--force"]).success();
    let week = json(&env, &["candidates", "--json", "--all"]);
    assert_eq!(titles(&week), ["Arrived late", "Posted now"], "{week}");
    let late: Vec<bool> = match &week {
        Value::Array(l) => l.iter().map(|c| c["late"].as_bool().unwrap()).collect(),
        _ => unreachable!(),
    };
    assert_eq!(late, [false, true], "newest first: the late one is marked");
    assert_eq!(titles(&json(&env, &["entries", "--week", &this_week(), "--json"])), titles(&week));
}

/// The current ISO week, as `roundup` names it (in UTC, the tests' time zone).
fn this_week() -> String {
    let w = chrono::Datelike::iso_week(&chrono::Utc::now());
    format!("{}-W{:02}", w.year(), w.week())
}
