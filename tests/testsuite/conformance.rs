//! Conformance: roundup's parser against Python feedparser's reading of a shared corpus.
//!
//! The corpus lives outside the repository (`../shared/corpus` from the crate root, or the
//! directory in `ROUNDUP_CORPUS`); when it is absent the test says so (`support::cannot_check`)
//! and passes, or fails under `ROUNDUP_REQUIRE_TOOLS=1`. Its
//! `expected.jsonl` holds feedparser 6.0.14's reading of every file (see its `PROVENANCE.md`),
//! made from the bare bytes: no document URL (so relative links stay relative unless `xml:base`
//! says otherwise, and we pass no base either) and no HTTP headers. We pass the `charset` of a
//! declared `Content-type` header as `http_charset` all the same, as the fetcher would; it only
//! matters when a document declares no encoding and is not UTF-8.
//! `ROUNDUP_CONFORMANCE_VERBOSE=1` prints every disagreement and every refused document.
//!
//! Comparison rules (what "agrees" means):
//! - a document roundup refuses (`Err`) counts as a feed with no title, link or entries;
//! - text is compared with runs of whitespace collapsed. roundup's titles are plain text, while
//!   feedparser keeps HTML titles as (sanitised) HTML, so an expected title with tags or entity
//!   references also agrees with its text (tags dropped, entities decoded);
//! - links are compared as URLs when both parse (so `http://a.org` equals `http://a.org/`),
//!   else as strings;
//! - dates are compared as instants to the second (feedparser keeps no fractions); feedparser's
//!   `published` is its `published_parsed` in UTC (`YYYY-MM-DDTHH:MM:SSZ`, or null);
//! - an entry field agrees for a file when the entry counts are equal and every entry agrees.
//!
//! Where we judge feedparser wrong (these files count as disagreements all the same):
//! - It makes an id the link when there is none, whatever the id is; roundup does so only for
//!   an http(s) address. Entries: `conformance/wellformed/node_precedence/atom10_id.xml`
//!   ("Correct Value"), `real/feed-rs/atom_entry_1.xml` and `real/feed-rs/atom_pub_spec_1.xml`
//!   (`urn:uuid:`), `real/feed-rs/atom_example_7.xml` and `real/rss-parser/missing-fields.atom`
//!   (`tag:`). Feeds: `real/feed-rs/atom_mediarss_newscred_1.xml` ("example"),
//!   `real/feed-rs/atom_mediarss_youtube_1.xml` (`yt:channel:`),
//!   `real/feedjira/google_alerts_atom.xml` (`tag:`) and
//!   `conformance/wellformed/base/http_feed_id_base_content_location.xml` (a relative id).
//! - RSS 1.0 items without `<link>`: roundup takes `rdf:about` as the link (RSS 1.0 says the
//!   two are the same URI; feed-rs would drop the item), feedparser gives none:
//!   `conformance/wellformed/rdf/rdf_item_description.xml`,
//!   `conformance/wellformed/rdf/rdf_item_rdf_about.xml`,
//!   `conformance/illformed/rdf_channel_empty_textinput.xml` (bozo).
//! - `real/node-feedparser/rss-with-item-scoped-html-base.xml`: the first item's `xml:base`
//!   leaks into the second item, whose link `second` it resolves against it.
//! - `conformance/wellformed/rss/item_category_image.xml`: the title of an `<image>` inside a
//!   `<category>` becomes the item's title.
//! - `conformance/wellformed/itunes/itunes_core_element_uppercase.xml`: `<TiTlE>` is read as
//!   `<title>`; XML names are case-sensitive.
//! - `real/feed-rs/rss_2.0_nbcny.xml`: `Sat, Dec 16 2023 02:02:33 PM` is read as 02:02:33.
//! - `real/feed-rs/rss_2.0_ilmessaggero.xml`: `mer, 16 nov 2022 00:38:15 +0100` is refused for
//!   its Italian weekday, which says nothing the rest does not.
//! - `real/feed-rs/jsonfeed_elastic_1.1.json`: the oracle's JSON Feed reader takes only RFC 3339
//!   dates; this one is an unambiguous RFC 2822 date.
//!
//! Where feedparser is right and roundup deliberately does not follow:
//! - CDF, Microsoft's 1997 channel format: `conformance/wellformed/cdf/*.xml` (2 files).
//! - Atom `<link>` with the address as content instead of `href` (not Atom):
//!   `conformance/wellformed/atom/entry_link_no_href.xml`,
//!   `conformance/wellformed/atom10/entry_link_no_href.xml`,
//!   `conformance/wellformed/atom10/entry_link_no_href_link_priority.xml`.
//! - `dcterms:issued` in RSS 1.0 (feed-rs reads only `dc:date` there; in RSS 2.0 roundup reads
//!   it): `real/rss-parser/craigslist-rdf.rss`.
//! - `conformance/illformed/chardet/shiftjis.xml` (bozo): undeclared Shift_JIS; without
//!   guessing, both parsers make mojibake of it, different mojibake.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, Utc};
use roundup::model::{ParsedEntry, ParsedFeed};
use serde_json::Value;

/// Agreement floors in percent, as (field, over bozo-false files, over all files). They only
/// ever go up: raise them when the parser gets better.
const FLOORS: &[(&str, f64, f64)] = &[
    ("feed title", 99.3, 99.3),
    ("feed link", 98.7, 98.8),
    ("entry count", 99.1, 99.1),
    ("entry title", 98.9, 98.8),
    ("entry link", 96.9, 96.9),
    ("entry published", 98.3, 98.4),
];

fn corpus_dir() -> PathBuf {
    match std::env::var_os("ROUNDUP_CORPUS") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"),
    }
}

/// The corpus and its oracle, or `None` (after saying so) when it is not there.
fn load_corpus() -> Option<(PathBuf, Vec<Value>)> {
    let dir = corpus_dir();
    let expected = dir.join("expected.jsonl");
    let Ok(text) = std::fs::read_to_string(&expected) else {
        crate::support::cannot_check(
            "the conformance corpus",
            &format!(
                "no {} (the shared corpus beside the repository, or set ROUNDUP_CORPUS)",
                expected.display()
            ),
        );
        return None;
    };
    let records = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("bad line in expected.jsonl: {e}"))
        })
        .collect();
    Some((dir, records))
}

/// The `charset` parameter of the record's declared `Content-type` header, unquoted.
fn http_charset(record: &Value) -> Option<String> {
    let headers = record.get("http_headers")?.as_object()?;
    let content_type =
        headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("content-type"))?.1.as_str()?;
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("charset") {
            return None;
        }
        let value = value.trim().trim_matches(['"', '\'']).trim();
        Some(value.to_string()).filter(|v| !v.is_empty())
    })
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Text of an HTML fragment, for comparing feedparser's HTML titles with roundup's plain ones.
fn markup_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' if !in_tag => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    collapse(&html_escape::decode_html_entities(&out))
}

/// Tags or entity references: feedparser's form of an HTML title.
fn looks_like_markup(s: &str) -> bool {
    let b = s.as_bytes();
    let tag = b
        .windows(2)
        .any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || w[1] == b'/' || w[1] == b'!'));
    tag || s.match_indices('&').any(|(i, _)| {
        let name: String =
            s[i + 1..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '#').collect();
        !name.is_empty() && s[i + 1 + name.len()..].starts_with(';')
    })
}

fn same_text(expected: Option<&str>, got: Option<&str>) -> bool {
    let expected = expected.map(collapse).filter(|s| !s.is_empty());
    let got = got.map(collapse).filter(|s| !s.is_empty());
    match (&expected, &got) {
        (None, None) => true,
        (Some(e), Some(g)) => {
            e == g
                || (looks_like_markup(e) && Some(markup_text(e)).filter(|t| !t.is_empty()) == got)
        }
        (Some(e), None) => looks_like_markup(e) && markup_text(e).is_empty(),
        (None, Some(_)) => false,
    }
}

fn same_link(expected: Option<&str>, got: Option<&str>) -> bool {
    let expected = expected.map(str::trim).filter(|s| !s.is_empty());
    let got = got.map(str::trim).filter(|s| !s.is_empty());
    match (expected, got) {
        (None, None) => true,
        (Some(e), Some(g)) => match (url::Url::parse(e), url::Url::parse(g)) {
            (Ok(e), Ok(g)) => e == g,
            _ => e == g,
        },
        _ => false,
    }
}

fn same_instant(expected: Option<&str>, got: Option<DateTime<Utc>>) -> bool {
    let expected = expected.map(|s| {
        DateTime::parse_from_rfc3339(s)
            .unwrap_or_else(|e| panic!("expected.jsonl date {s:?}: {e}"))
            .with_timezone(&Utc)
    });
    match (expected, got) {
        (None, None) => true,
        (Some(e), Some(g)) => e.timestamp() == g.timestamp(),
        _ => false,
    }
}

fn str_at<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// The per-field verdicts for one file: `None` when roundup agrees, else what differed.
fn compare(record: &Value, got: &ParsedFeed) -> Vec<(&'static str, Option<String>)> {
    let feed = &record["feed"];
    let expected_entries = record["entries"].as_array().map(Vec::as_slice).unwrap_or_default();
    let count = (expected_entries.len(), got.entries.len());
    let differ = |same: bool, e: &dyn std::fmt::Debug, g: &dyn std::fmt::Debug| {
        (!same).then(|| format!("{e:?} vs {g:?}"))
    };
    // The first entry that disagrees on a field, or the counts when they differ.
    let entries = |same: &dyn Fn(&Value, &ParsedEntry) -> Option<String>| {
        if count.0 != count.1 {
            return Some(format!("{} vs {} entries", count.0, count.1));
        }
        expected_entries
            .iter()
            .zip(&got.entries)
            .enumerate()
            .find_map(|(i, (e, g))| same(e, g).map(|d| format!("entry {i}: {d}")))
    };
    let title = str_at(feed, "title");
    let link = str_at(feed, "link");
    vec![
        ("feed title", differ(same_text(title, got.title.as_deref()), &title, &got.title)),
        ("feed link", differ(same_link(link, got.link.as_deref()), &link, &got.link)),
        ("entry count", differ(count.0 == count.1, &count.0, &count.1)),
        (
            "entry title",
            entries(&|e, g| {
                let t = str_at(e, "title");
                differ(same_text(t, g.title.as_deref()), &t, &g.title)
            }),
        ),
        (
            "entry link",
            entries(&|e, g| {
                let l = str_at(e, "link");
                differ(same_link(l, g.link.as_deref()), &l, &g.link)
            }),
        ),
        (
            "entry published",
            entries(&|e, g| {
                let p = str_at(e, "published");
                let ours = g.published.map(|d| d.to_rfc3339());
                differ(same_instant(p, g.published), &p, &ours)
            }),
        ),
    ]
}

thread_local! {
    /// Panics on this thread since [`count_panics`] was installed, caught or not.
    static PANICS: Cell<usize> = const { Cell::new(0) };
}

/// Counts every panic per thread, including those `parse_feed` catches inside itself (a
/// panicking feed-rs is turned into an error there), then reports it as before.
fn count_panics() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PANICS.with(|p| p.set(p.get() + 1));
        previous(info);
    }));
}

#[derive(Default)]
struct Tally {
    agree: usize,
    total: usize,
}

impl Tally {
    fn percent(&self) -> f64 {
        if self.total == 0 { 100.0 } else { 100.0 * self.agree as f64 / self.total as f64 }
    }
}

#[test]
fn parsing_agrees_with_feedparser_on_the_corpus() {
    let Some((dir, records)) = load_corpus() else { return };
    let verbose = std::env::var_os("ROUNDUP_CONFORMANCE_VERBOSE").is_some();
    let started = std::time::Instant::now();
    count_panics();
    let mut panics = Vec::new();
    let mut refused = 0;
    // field → (bozo-false tally, all tally).
    let mut tallies: BTreeMap<&str, (Tally, Tally)> = BTreeMap::new();
    let mut misses: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for record in &records {
        let file = record["file"].as_str().expect("every record names its file");
        let bytes = std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let charset = http_charset(record);
        let before = PANICS.with(Cell::get);
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            roundup::parse::parse_feed(&bytes, None, charset.as_deref())
        }));
        if PANICS.with(Cell::get) != before {
            panics.push(file.to_string());
        }
        let got = match outcome {
            // Counted as a refusal here; any panic fails the test below.
            Err(_) => ParsedFeed::default(),
            Ok(Ok(feed)) => feed,
            Ok(Err(e)) => {
                refused += 1;
                if verbose {
                    println!("refused {file}: {e}");
                }
                ParsedFeed::default()
            }
        };
        let bozo = record["bozo"].as_bool().unwrap_or(true);
        for (field, difference) in compare(record, &got) {
            let agrees = difference.is_none();
            let (clean, all) = tallies.entry(field).or_default();
            for t in if bozo { vec![all] } else { vec![clean, all] } {
                t.total += 1;
                t.agree += usize::from(agrees);
            }
            if let Some(d) = difference {
                let bozo = if bozo { " (bozo)" } else { "" };
                misses.entry(field).or_default().push(format!("{file}{bozo}: {d}"));
            }
        }
    }

    println!(
        "\nconformance: {} files, {refused} refused, {:.1?}",
        records.len(),
        started.elapsed()
    );
    println!("{:<16} {:>18} {:>18}", "field", "bozo=false", "all");
    let mut below = Vec::new();
    for (field, clean_floor, all_floor) in FLOORS {
        let (clean, all) = &tallies[field];
        println!(
            "{field:<16} {:>6.1}% ({:>3}/{:>3}) {:>6.1}% ({:>3}/{:>3})",
            clean.percent(),
            clean.agree,
            clean.total,
            all.percent(),
            all.agree,
            all.total
        );
        if clean.percent() < *clean_floor {
            below.push(format!(
                "{field} (bozo=false): {:.1}% < floor {clean_floor}%",
                clean.percent()
            ));
        }
        if all.percent() < *all_floor {
            below.push(format!("{field} (all): {:.1}% < floor {all_floor}%", all.percent()));
        }
    }
    if verbose {
        for (field, files) in &misses {
            println!("\n{field}: {} disagreements", files.len());
            for f in files {
                println!("  {f}");
            }
        }
    }
    assert!(panics.is_empty(), "parsing panicked (caught or not) on: {panics:#?}");
    assert!(below.is_empty(), "agreement fell below the floors: {below:#?}");
}

#[test]
fn parse_json_prints_every_field_with_null_where_the_feed_is_silent() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/feeds/shape.rss");
    let out = Command::new(env!("CARGO_BIN_EXE_roundup"))
        .arg("parse")
        .arg(&fixture)
        .arg("--json")
        .output()
        .expect("the roundup binary runs");
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let got: Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    let want = serde_json::json!({
        "feed": {
            "title": "Council & Co",
            "link": "https://council.example.org/",
            "updated": "2026-11-24T08:00:00Z"
        },
        "entries": [
            {
                "id": "budget-2026",
                "title": "Budget passed",
                "link": "https://council.example.org/2026/11/budget",
                "published": "2026-11-23T08:30:00Z",
                "updated": "2026-11-23T12:00:00Z",
                "author": "Ann Smith",
                "summary": "<p>Short</p>",
                "content": "<p>Long &amp; full</p>"
            },
            {
                "id": null,
                "title": "Bare",
                "link": null,
                "published": null,
                "updated": null,
                "author": null,
                "summary": null,
                "content": null
            }
        ]
    });
    assert_eq!(got, want);
}
