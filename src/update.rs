//! The pure decider between parsing and storage: turns a [`ParsedFeed`] into the
//! [`EntryRecord`]s to write. Decides each entry's identity, the date it is filed under, its
//! plain text and its content hash. No I/O.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::model::{DatedBy, EntryRecord, ParsedEntry, ParsedFeed};
use crate::text::html_to_text;

/// The records for every entry of `feed`, in document order, one per identity (the first
/// occurrence wins when a feed repeats an identity). `now` is the first-seen time for undated
/// entries.
pub fn entry_records(feed: &ParsedFeed, now: DateTime<Utc>) -> Vec<EntryRecord> {
    let mut seen = HashSet::with_capacity(feed.entries.len());
    feed.entries
        .iter()
        .map(|e| record(e, now))
        .filter(|r| seen.insert(r.identity.clone()))
        .collect()
}

/// Identity of an entry within its feed: the feed's guid/id; else its canonical link; else a
/// stable hash of its title and date (and, failing those, its text).
pub fn identity(e: &ParsedEntry) -> String {
    if let Some(guid) = e.guid.as_deref().map(str::trim).filter(|g| !g.is_empty()) {
        return guid.to_string();
    }
    if let Some(link) = e.link.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
        return link.to_string();
    }
    let mut h = Sha256::new();
    h.update(e.title.as_deref().unwrap_or("").as_bytes());
    h.update([0]);
    if let Some(d) = e.published.or(e.updated) {
        h.update(crate::timefmt::rfc3339(d).as_bytes());
    }
    if e.title.is_none() {
        h.update([0]);
        h.update(e.summary_html.as_deref().or(e.content_html.as_deref()).unwrap_or("").as_bytes());
    }
    format!("sha256:{}", hex(&h.finalize()[..16]))
}

fn record(e: &ParsedEntry, now: DateTime<Utc>) -> EntryRecord {
    let (published, dated_by) = match (e.published, e.updated) {
        (Some(p), _) => (p, DatedBy::Published),
        (None, Some(u)) => (u, DatedBy::Updated),
        (None, None) => (now, DatedBy::FirstSeen),
    };
    let body = e.content_html.as_deref().or(e.summary_html.as_deref()).unwrap_or("");
    let text = html_to_text(body);
    let mut h = Sha256::new();
    for part in [
        e.title.as_deref(),
        e.link.as_deref(),
        e.author.as_deref(),
        e.summary_html.as_deref(),
        e.content_html.as_deref(),
    ] {
        h.update(part.unwrap_or("").as_bytes());
        h.update([0]);
    }
    // An undated entry's filing date is roundup's own, not content: keep it out of the hash.
    for d in [e.published, e.updated] {
        h.update(d.map(crate::timefmt::rfc3339).unwrap_or_default().as_bytes());
        h.update([0]);
    }
    for c in &e.categories {
        h.update(c.as_bytes());
        h.update([1]);
    }
    EntryRecord {
        identity: identity(e),
        url: e.link.clone(),
        title: e.title.clone(),
        author: e.author.clone(),
        published,
        dated_by,
        updated: e.updated,
        summary_html: e.summary_html.clone(),
        content_html: e.content_html.clone(),
        text,
        categories: e.categories.clone(),
        content_hash: hex(&h.finalize()[..16]),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timefmt::parse_rfc3339;

    fn entry(guid: Option<&str>, link: Option<&str>, title: &str) -> ParsedEntry {
        ParsedEntry {
            guid: guid.map(Into::into),
            link: link.map(Into::into),
            title: Some(title.into()),
            ..Default::default()
        }
    }

    #[test]
    fn identity_prefers_guid_then_link_then_a_stable_hash() {
        assert_eq!(identity(&entry(Some("g1"), Some("https://x/1"), "t")), "g1");
        assert_eq!(identity(&entry(None, Some("https://x/1"), "t")), "https://x/1");
        let a = identity(&entry(None, None, "t"));
        assert!(a.starts_with("sha256:"));
        assert_eq!(a, identity(&entry(None, None, "t")), "the hash is stable across parses");
        assert_ne!(a, identity(&entry(None, None, "u")));
    }

    #[test]
    fn undated_entries_are_filed_under_first_seen_and_marked() {
        let now = parse_rfc3339("2026-11-26T12:00:00Z").unwrap();
        let mut e = entry(Some("g"), None, "t");
        let r =
            &entry_records(&ParsedFeed { entries: vec![e.clone()], ..Default::default() }, now)[0];
        assert_eq!((r.published, r.dated_by), (now, DatedBy::FirstSeen));
        e.updated = parse_rfc3339("2026-11-01T00:00:00Z");
        let r = &entry_records(&ParsedFeed { entries: vec![e], ..Default::default() }, now)[0];
        assert_eq!(r.dated_by, DatedBy::Updated);
    }

    #[test]
    fn the_content_hash_ignores_the_first_seen_time_but_not_the_content() {
        let f = ParsedFeed { entries: vec![entry(Some("g"), None, "t")], ..Default::default() };
        let a = entry_records(&f, parse_rfc3339("2026-11-01T00:00:00Z").unwrap());
        let b = entry_records(&f, parse_rfc3339("2026-11-02T00:00:00Z").unwrap());
        assert_eq!(a[0].content_hash, b[0].content_hash);
        let g = ParsedFeed { entries: vec![entry(Some("g"), None, "t2")], ..Default::default() };
        assert_ne!(a[0].content_hash, entry_records(&g, Utc::now())[0].content_hash);
    }

    #[test]
    fn a_repeated_identity_in_one_document_is_kept_once() {
        let f = ParsedFeed {
            entries: vec![entry(Some("g"), None, "first"), entry(Some("g"), None, "second")],
            ..Default::default()
        };
        let r = entry_records(&f, Utc::now());
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].title.as_deref(), Some("first"));
    }
}
