//! `roundup parse FILE --json` on the hand-written feeds in `tests/fixtures/feeds/`: each
//! `NAME.EXT` sits beside `NAME.expected.json`, what a correct parser reads in it (as reader
//! keeps `full.atom` beside `full.atom.py`). These keep the parser's regression safety in the
//! repository; the shared corpus (`conformance`) is a wider check beside them.
//!
//! `ROUNDUP_BLESS=1 cargo test --test testsuite parse::` rewrites the expected files from the
//! binary's output: review every change by eye before committing it.
//!
//! The pairs: `rss2_full.rss` (RSS 2.0 with every common element), `atom_full.atom` (Atom 1.0:
//! html, xhtml and text constructs, several links and authors, an author inherited from the
//! feed), `rss1.rdf` (RSS 1.0 with Dublin Core), `jsonfeed.json` (JSON Feed 1.1, plain-text
//! content), `no_guids.rss`, `relative_links.atom` (`xml:base` on the feed and on entries),
//! `latin1.rss` (ISO-8859-1 bytes), `ill_formed.rss` (a bare `&`, HTML entities, an unclosed
//! `<br>` and a missing `</item>`), `date_clash.rss` (`pubDate` and `dc:date` disagreeing) and
//! `shape.rss` (every field of the JSON, or null).
//!
//! Summaries and contents are HTML as the feed wrote it: links inside them are made absolute
//! later, when a draft or page is rendered (against the entry's link), not by the parser.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::{BIN, fixture, run_command};

/// The fixtures every build must keep (the list in issue 8).
const REQUIRED: &[&str] = &[
    "rss2_full.rss",
    "atom_full.atom",
    "rss1.rdf",
    "jsonfeed.json",
    "no_guids.rss",
    "relative_links.atom",
    "latin1.rss",
    "ill_formed.rss",
    "date_clash.rss",
];

const EXPECTED: &str = ".expected.json";

/// `NAME.EXT` → `NAME.expected.json` beside it.
fn expected_path(feed: &Path) -> PathBuf {
    let stem = feed.file_stem().and_then(|s| s.to_str()).expect("a UTF-8 file name");
    feed.with_file_name(format!("{stem}{EXPECTED}"))
}

/// Every feed fixture (each file that is not an expected file), sorted.
fn feed_fixtures() -> Vec<PathBuf> {
    let dir = fixture("feeds");
    let mut feeds: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("read the fixture folder").path())
        .filter(|p| !p.to_string_lossy().ends_with(EXPECTED))
        .collect();
    feeds.sort();
    feeds
}

#[test]
fn every_feed_fixture_parses_to_its_expected_json() {
    let bless = std::env::var_os("ROUNDUP_BLESS").is_some();
    let feeds = feed_fixtures();
    for name in REQUIRED {
        assert!(
            feeds.iter().any(|f| f.file_name().is_some_and(|n| n == *name)),
            "tests/fixtures/feeds/{name} is missing"
        );
    }
    let mut wrong = Vec::new();
    for feed in &feeds {
        let mut cmd = Command::new(BIN);
        cmd.arg("parse").arg(feed).arg("--json");
        let run = run_command(cmd);
        run.success();
        let got: Value = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("{}: stdout is not JSON: {e}\n{run}", feed.display()));
        let path = expected_path(feed);
        if bless {
            std::fs::write(&path, &run.stdout).expect("write the expected file");
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e}; run with ROUNDUP_BLESS=1 and review it\n{}",
                path.display(),
                run.stdout
            )
        });
        let want: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: not JSON: {e}", path.display()));
        if got != want {
            wrong.push(format!(
                "{}: the parser's reading differs from {}\n--- expected\n{text}\n--- got\n{}",
                feed.display(),
                path.display(),
                run.stdout
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn every_expected_file_has_its_feed() {
    let feeds = feed_fixtures();
    let dir = fixture("feeds");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(EXPECTED) else { continue };
        let owners: Vec<&PathBuf> =
            feeds.iter().filter(|f| f.file_stem().is_some_and(|s| s == stem)).collect();
        assert_eq!(owners.len(), 1, "{name}: expected exactly one feed named {stem}.*");
    }
}
