//! Documents built to be slow to read (issue 10, item 3), generated here rather than committed:
//! each once held `roundup parse` (and a `fetch`) for half a minute to several minutes, in a
//! repair pass that scanned the open elements for every tag. Each is read through the real
//! binary under the harness's time limit, and the test asserts on what was read; timings belong
//! in a bench (`benches/parse_hostile.rs`), not here.
//!
//! A document may give at most 2,000 entries (the first, in document order): a 15 MiB feed of
//! small items took two seconds and a gigabyte to read whole. What is dropped is said by
//! `parse`, `fetch` and `feeds list`.

use serde_json::Value;

use crate::support::{FixtureServer, TestEnv};

/// What one document may give (`roundup::parse::MAX_ENTRIES`).
const MAX_ENTRIES: usize = 2_000;

/// `roundup parse FILE --json` on `doc`, which must succeed; its JSON.
fn parse(doc: &str) -> Value {
    let env = TestEnv::new("[settings]\n");
    let path = env.dir().join("hostile.xml");
    std::fs::write(&path, doc).expect("write the document");
    let run = env.run(&["parse", path.to_str().unwrap(), "--json"]);
    run.success();
    run.json()
}

fn titles(feed: &Value) -> Vec<String> {
    feed["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["title"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// 100,000 unclosed `<item><title>` (1.4 MB): 31 s before.
#[test]
fn a_hundred_thousand_unclosed_items_are_read_at_once() {
    let doc = format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Deep</title>{}",
        "<item><title>x".repeat(100_000)
    );
    let feed = parse(&doc);
    assert_eq!(feed["feed"]["title"], "Deep");
    let titles = titles(&feed);
    assert!(!titles.is_empty() && titles[0].starts_with('x'), "{titles:?}");
}

/// 200,000 unclosed elements of markup inside a description.
#[test]
fn deeply_nested_markup_in_a_description_is_read_at_once() {
    let doc = format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Markup</title>\
         <item><title>Only</title><description>{}",
        "<div>".repeat(200_000)
    );
    let feed = parse(&doc);
    assert_eq!(titles(&feed), ["Only"]);
}

/// 100,000 unclosed Atom entries followed by 100,000 end tags that match nothing (2.2 MB).
#[test]
fn stray_end_tags_under_deep_nesting_are_read_at_once() {
    let doc = format!(
        "<?xml version=\"1.0\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"><title>Stray</title>\
         {}{}",
        "<entry><title>x".repeat(100_000),
        "</nope>".repeat(100_000)
    );
    let feed = parse(&doc);
    assert_eq!(feed["feed"]["title"], "Stray");
    assert!(!titles(&feed).is_empty(), "{feed}");
}

/// `roundup parse FILE --json` on `doc`, which must succeed: its JSON and its stderr.
fn parse_with_stderr(name: &str, doc: &str) -> (Value, String) {
    let env = TestEnv::new("[settings]\n");
    let path = env.dir().join(name);
    std::fs::write(&path, doc).expect("write the document");
    let run = env.run(&["parse", path.to_str().unwrap(), "--json"]);
    run.success();
    (run.json(), run.stderr.clone())
}

fn numbered(count: usize) -> Vec<String> {
    (0..count).map(|i| format!("t{i}")).collect()
}

#[test]
fn a_feed_gives_its_first_two_thousand_entries_in_order_and_says_how_many_were_dropped() {
    let items: String =
        (0..MAX_ENTRIES + 345).map(|i| format!("<item><title>t{i}</title></item>\n")).collect();
    let rss = format!("<rss version=\"2.0\"><channel><title>Big</title>{items}</channel></rss>");
    let rdf = format!(
        "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" \
         xmlns=\"http://purl.org/rss/1.0/\"><channel><title>Big</title></channel>{items}</rdf:RDF>"
    );
    let entries: String = (0..MAX_ENTRIES + 345)
        .map(|i| format!("<entry><id>{i}</id><title>t{i}</title></entry>"))
        .collect();
    let atom =
        format!("<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>Big</title>{entries}</feed>");
    let items: Vec<String> =
        (0..MAX_ENTRIES + 345).map(|i| format!("{{\"id\":\"{i}\",\"title\":\"t{i}\"}}")).collect();
    let json = format!(
        "{{\"version\":\"https://jsonfeed.org/version/1.1\",\"title\":\"Big\",\"items\":[{}]}}",
        items.join(",")
    );
    // An ill-formed one: read on the second attempt, and cut all the same.
    let ill_formed = rss.replace("<title>Big</title>", "<title>Big &nbsp; & co</title>");
    for (name, doc) in [
        ("rss2.xml", rss),
        ("rss1.xml", rdf),
        ("atom.xml", atom),
        ("feed.json", json),
        ("ill-formed.xml", ill_formed),
    ] {
        let (feed, stderr) = parse_with_stderr(name, &doc);
        assert_eq!(titles(&feed), numbered(MAX_ENTRIES), "{name}");
        assert_eq!(feed["feed"]["entries_dropped"], 345, "{name}");
        assert!(stderr.contains(&format!("{name}: dropped 345 entries")), "{name}: {stderr}");
    }
}

#[test]
fn a_feed_of_exactly_two_thousand_entries_loses_none() {
    let items: String =
        (0..MAX_ENTRIES).map(|i| format!("<item><title>t{i}</title></item>")).collect();
    let (feed, stderr) = parse_with_stderr(
        "full.xml",
        &format!("<rss version=\"2.0\"><channel><title>Full</title>{items}</channel></rss>"),
    );
    assert_eq!(titles(&feed).len(), MAX_ENTRIES);
    assert_eq!(feed["feed"].get("entries_dropped"), None, "absent when none were dropped");
    assert!(!stderr.contains("dropped"), "{stderr}");
}

/// One item of 500,000 empty elements, one of 100,000 attributes: cut, not read whole.
#[test]
fn one_entry_of_countless_elements_or_attributes_keeps_its_first_ones() {
    let doc = format!(
        "<rss version=\"2.0\"><channel><title>Wide</title><item><title>Only</title>{}</item>\
         <item><title>Second</title></item></channel></rss>",
        "<x/>".repeat(500_000)
    );
    let (feed, stderr) = parse_with_stderr("wide.xml", &doc);
    assert_eq!(titles(&feed), ["Only"]);
    assert_eq!(feed["feed"]["entries_dropped"], 1);
    assert!(stderr.contains("dropped 1 entries"), "{stderr}");
    let attributes: String = (0..100_000).map(|i| format!(" a{i}=\"v\"")).collect();
    let doc = format!(
        "<rss version=\"2.0\"><channel><title>Attrs</title><item{attributes}><title>A</title>\
         <link>https://example.org/a</link></item></channel></rss>"
    );
    let (feed, _) = parse_with_stderr("attrs.xml", &doc);
    assert_eq!(titles(&feed), ["A"]);
    assert_eq!(feed["entries"][0]["link"], "https://example.org/a");
}

#[test]
fn fetch_stores_the_first_two_thousand_entries_and_the_editor_is_told_of_the_rest() {
    let server = FixtureServer::start();
    let env = TestEnv::with_feeds(
        "",
        &[("huge", server.url(&format!("/gen/huge?n={}", MAX_ENTRIES + 100)))],
    );
    let run = env.fetch(&[]);
    run.success();
    assert!(
        run.stderr.contains("roundup: feed huge: dropped 100 entries past the first ones read"),
        "{run}"
    );
    assert_eq!(env.count("SELECT count(*) FROM entries"), MAX_ENTRIES as i64);
    // The generated feed lists newest first: items 2100 down to 101 are the first 2,000.
    assert_eq!(env.count("SELECT count(*) FROM entries WHERE title = 'Item 101 of huge'"), 1);
    assert_eq!(env.count("SELECT count(*) FROM entries WHERE title = 'Item 100 of huge'"), 0);
    // The fetch history keeps errors only: this fetch succeeded.
    assert_eq!(env.count("SELECT count(*) FROM fetches WHERE error IS NULL AND status = 200"), 1);
    let feeds = env.feeds();
    assert_eq!(feeds["huge"]["error_count"], 0, "{:?}", feeds["huge"]);
    assert!(
        feeds["huge"]["last_error"].as_str().is_some_and(|e| e.starts_with("dropped 100 entries")),
        "{:?}",
        feeds["huge"]
    );
    let list = env.run(&["feeds", "list"]);
    list.success();
    assert!(
        list.stdout.lines().any(|l| l.starts_with("huge") && l.contains("last poll: dropped 100")),
        "{list}"
    );
}
