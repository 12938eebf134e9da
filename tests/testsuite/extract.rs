//! `roundup extract`: the main text of realistic article pages written for these tests
//! (`tests/fixtures/extract/*.html`, each with the paragraphs an editor should be offered in
//! `*.expected.txt`), their metadata with `--json`, gzip'd files, URLs fetched from the fixture
//! server, and pages with no article (home page, 404, empty, broken, 20 MB), which must give an
//! empty result or a clear error, quickly and without a panic.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::*;

/// The article fixtures, by name.
const ARTICLES: &[&str] = &["council-blog", "news-captions", "guide-headings-list"];

/// A page with no article must be answered within this.
const NO_ARTICLE_LIMIT: Duration = Duration::from_secs(10);

fn page(name: &str) -> PathBuf {
    fixture(&format!("extract/{name}.html"))
}

/// The paragraphs written next to a fixture, one per blank-line-separated block.
fn expected(name: &str) -> Vec<String> {
    let path = fixture(&format!("extract/{name}.expected.txt"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    blocks(&text)
}

fn blocks(text: &str) -> Vec<String> {
    text.split("\n\n")
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect()
}

/// `roundup extract ARGS` in a temp dir with no feeds.toml.
fn extract(env: &TestEnv, args: &[&str]) -> Run {
    let mut all = vec!["extract"];
    all.extend_from_slice(args);
    env.run(&all)
}

fn no_config() -> TestEnv {
    let env = TestEnv::new("");
    std::fs::remove_file(&env.config).expect("remove feeds.toml");
    env
}

fn arg(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn each_extracted_paragraph_is_one_whole_paragraph_of_the_article() {
    let env = no_config();
    for name in ARTICLES {
        let run = extract(&env, &[arg(&page(name))]);
        run.success();
        let got = blocks(&run.stdout);
        let want = expected(name);
        for p in &got {
            assert!(
                want.contains(p),
                "{name}: {p:?} is not one whole paragraph of the article\n{run}"
            );
        }
        assert_eq!(got, want, "{name}: paragraphs differ\n{run}");
    }
}

#[test]
fn paragraphs_are_separated_by_exactly_one_blank_line() {
    let env = no_config();
    let run = extract(&env, &[arg(&page("council-blog"))]);
    run.success();
    assert!(!run.stdout.contains("\n\n\n"), "{run}");
    assert_eq!(
        run.stdout.trim_end().split("\n\n").count(),
        expected("council-blog").len(),
        "{run}"
    );
}

#[test]
fn menus_share_bars_newsletter_boxes_related_links_and_comments_are_left_out() {
    let env = no_config();
    let run = extract(&env, &[arg(&page("council-blog"))]);
    run.success();
    for junk in [
        "Bins and recycling",
        "Share this",
        "LinkedIn",
        "fortnightly newsletter",
        "Related posts",
        "Station Way decked car park</a>",
        "Work starts on the Station Way",
        "pitch black in winter",
        "Popular pages",
        "All rights reserved",
        "We use cookies",
        "Tags:",
    ] {
        assert!(!run.stdout.contains(junk), "{junk:?} leaked into the text\n{run}");
    }
}

#[test]
fn captions_credits_datelines_and_advertisement_labels_are_left_out() {
    let env = no_config();
    let run = extract(&env, &[arg(&page("news-captions"))]);
    run.success();
    for junk in [
        "Waves broke over",
        "Photo: Jo Bell",
        "Advertisement",
        "Published:",
        "By Tom Hale",
        "Read more",
        "Most read",
    ] {
        assert!(!run.stdout.contains(junk), "{junk:?} leaked into the text\n{run}");
    }
}

#[test]
fn json_has_the_paragraphs_and_the_pages_metadata() {
    let env = no_config();
    let run = extract(&env, &["--json", arg(&page("council-blog"))]);
    run.success();
    let v = run.json();
    assert_eq!(v["title"], "Why we are rethinking the Harbour Road car park");
    assert_eq!(v["byline"], "Priya Nair");
    assert_eq!(v["site_name"], "Harbour Town Council");
    assert_eq!(v["published_time"], "2026-11-19T09:30:00+00:00");
    assert_eq!(
        v["canonical_url"], "https://www.harbourtown.gov.example/blog/harbour-road-car-park",
        "tracking parameters are stripped from the canonical URL"
    );
    assert_eq!(v["lang"], "en-GB");
    let paragraphs: Vec<String> = v["paragraphs"]
        .as_array()
        .expect("paragraphs array")
        .iter()
        .map(|p| p.as_str().expect("string").to_string())
        .collect();
    assert_eq!(paragraphs, expected("council-blog"));
}

#[test]
fn a_relative_canonical_url_is_resolved_against_base_and_cleaned() {
    let env = no_config();
    let run = extract(
        &env,
        &[
            "--json",
            "--base",
            "https://www.westbridge.gov.example/x/y",
            arg(&page("guide-headings-list")),
        ],
    );
    run.success();
    let v = run.json();
    assert_eq!(
        v["canonical_url"],
        "https://www.westbridge.gov.example/guides/residents-parking-permit?page=1"
    );
    assert_eq!(v["site_name"], "Westbridge Borough Council");
    assert_eq!(v["byline"], "Parking Services team");
}

#[test]
fn a_gzipped_page_reads_like_the_plain_one() {
    let env = no_config();
    let html = std::fs::read(page("news-captions")).expect("fixture");
    let gz = env.dir().join("news.html.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&html).expect("gzip");
    std::fs::write(&gz, enc.finish().expect("gzip")).expect("write");
    let plain = extract(&env, &[arg(&page("news-captions"))]);
    let zipped = extract(&env, &[arg(&gz)]);
    zipped.success();
    assert_eq!(zipped.stdout, plain.stdout);
    assert_eq!(blocks(&zipped.stdout), expected("news-captions"));
}

#[test]
fn a_url_is_fetched_with_the_feeds_client_even_without_a_feeds_file() {
    let server = FixtureServer::start();
    let html = std::fs::read_to_string(page("guide-headings-list")).expect("fixture");
    server.set_doc("guide.html", "text/html; charset=utf-8", &html);
    let env = no_config();
    let run = extract(&env, &["--json", &server.url("/doc/guide.html")]);
    run.success();
    let v = run.json();
    let base = server.url("/");
    assert_eq!(
        v["canonical_url"].as_str().expect("canonical"),
        format!("{}guides/residents-parking-permit?page=1", base),
        "the relative canonical URL resolves against the fetched URL"
    );
    assert_eq!(
        v["paragraphs"].as_array().map(Vec::len),
        Some(expected("guide-headings-list").len())
    );
    assert_eq!(server.hits("/doc/guide.html"), 1);
}

#[test]
fn a_url_that_answers_404_is_a_clear_error() {
    let server = FixtureServer::start();
    let env = no_config();
    let run = extract(&env, &[&server.url("/doc/missing.html")]);
    run.expect_code(2);
    assert!(run.stderr.contains("404"), "{run}");
    assert!(!run.stderr.contains("panicked"), "{run}");
}

/// Runs `extract` on `html` written to a file; it must not panic and must finish quickly.
#[track_caller]
fn no_article(env: &TestEnv, name: &str, html: &[u8]) -> Run {
    let path = env.dir().join(name);
    std::fs::write(&path, html).expect("write page");
    let start = Instant::now();
    let run = extract(env, &["--json", arg(&path)]);
    assert!(start.elapsed() < NO_ARTICLE_LIMIT, "{name} took {:?}\n{run}", start.elapsed());
    assert!(!run.stderr.contains("panicked"), "{name}\n{run}");
    run
}

#[test]
fn pages_without_an_article_give_no_paragraphs_and_no_panic() {
    let env = no_config();
    let home = r#"<!doctype html><html lang="en"><head><title>Harbour Town Council</title></head><body>
        <header><nav><a href="/">Home</a> <a href="/bins">Bins</a> <a href="/parking">Parking</a></nav></header>
        <main><h1>Welcome to Harbour Town Council</h1>
        <ul class="services"><li><a href="/bins">Bin collection days</a></li><li><a href="/tax">Pay council tax</a></li>
        <li><a href="/planning">Planning applications</a></li><li><a href="/jobs">Jobs</a></li></ul>
        <section class="news"><h2>Latest news</h2><ul><li><a href="/n/1">Car park plans</a></li><li><a href="/n/2">Pier reopens</a></li></ul></section>
        </main><footer>© 2026 Harbour Town Council</footer></body></html>"#;
    let not_found = r#"<!doctype html><html><head><title>Page not found</title></head><body>
        <nav><a href="/">Home</a></nav><h1>Page not found</h1><p>Sorry, we cannot find that page.</p>
        <p><a href="/search">Search the site</a></p></body></html>"#;
    for (name, html) in [
        ("home.html", home.as_bytes()),
        ("404.html", not_found.as_bytes()),
        ("empty.html", b"".as_slice()),
        ("empty-body.html", b"<html><head></head><body></body></html>".as_slice()),
        (
            "broken.html",
            b"<html><body><div><p>Half <b>a <i>page</div></span></table><<<>>>&#xD800;&bogus;<p"
                .as_slice(),
        ),
        ("binary.html", &[0u8, 159, 146, 150, 0xff, 0xfe, b'<', 0x1f][..]),
    ] {
        let run = no_article(&env, name, html);
        run.success();
        let v = run.json();
        assert!(
            v["paragraphs"].as_array().is_none_or(|p| p
                .iter()
                .all(|p| !p.as_str().unwrap_or("").contains("Bin collection"))),
            "{name}\n{run}"
        );
        if name != "home.html" && name != "404.html" {
            assert_eq!(v["paragraphs"], Value::Array(vec![]), "{name}\n{run}");
        }
    }
    // The plain form prints nothing on stdout and says so on stderr.
    let path = env.dir().join("empty.html");
    let run = extract(&env, &[arg(&path)]);
    run.success();
    assert_eq!(run.stdout, "", "{run}");
    assert!(run.stderr.contains("no article text"), "{run}");
}

#[test]
fn a_20_mb_page_is_refused_quickly_with_a_clear_error() {
    let env = no_config();
    let para = "<p>Lorem ipsum dolor sit amet, the council met again and again and again.</p>\n";
    let html = format!(
        "<html><body><article>{}</article></body></html>",
        para.repeat(20 * 1024 * 1024 / para.len())
    );
    assert!(html.len() > 20_000_000);
    let run = no_article(&env, "huge.html", html.as_bytes());
    run.expect_code(2);
    assert!(run.stderr.contains("larger than"), "{run}");
}

#[test]
fn a_page_nested_thousands_of_elements_deep_is_refused_quickly_with_a_clear_error() {
    let env = no_config();
    for depth in [3_000, 150_000] {
        let html = format!("<html><body>{}</body></html>", "<div class=\"c\">x ".repeat(depth));
        let run = no_article(&env, "deep.html", html.as_bytes());
        run.expect_code(2);
        assert!(run.stderr.contains("deep"), "{depth}\n{run}");
    }
}

#[test]
fn a_20_mb_gzip_bomb_is_refused_quickly_with_a_clear_error() {
    let env = no_config();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(b"<html><body>").expect("gzip");
    enc.write_all(&vec![b'a'; 20 * 1024 * 1024]).expect("gzip");
    let run = no_article(&env, "bomb.html.gz", &enc.finish().expect("gzip"));
    run.expect_code(2);
    assert!(run.stderr.contains("larger than"), "{run}");
}
