//! Documents built to be slow to read (issue 10, item 3), generated here rather than committed:
//! each once held `roundup parse` (and a `fetch`) for half a minute to several minutes, in a
//! repair pass that scanned the open elements for every tag. Each is read through the real
//! binary under the harness's time limit, and the test asserts on what was read; timings belong
//! in a bench, not here.

use serde_json::Value;

use crate::support::TestEnv;

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
