//! The feed-rs adapter: feed bytes → [`ParsedFeed`]. feed-rs types never leave this module
//! tree, and within it only this file touches them.
//!
//! Owns: [`parse_feed`] and the order of its attempts (feed-rs's reading, then a lenient second
//! one), telling an HTML page from a feed, feed-rs's model turned into ours (the choice of each
//! entry's link, title, author and dates, and resolution of relative links), and the JSON shape
//! of `roundup parse --json`.
//! Its submodules own: character-set normalisation in front of feed-rs (BOM, XML declaration,
//! HTTP charset) in `charset`; the dialects feed-rs does not read as they are (RSS without a
//! version, RSS in a namespace, Atom 0.3, RSS 0.90) in `dialect`; the second, lenient attempt at
//! documents that are not well-formed in `repair`; how much of one document feed-rs is given
//! (the first [`MAX_ENTRIES`] entries, caps on elements and attributes) in `limits`; and dates
//! (our own lenient parser replaces feed-rs's) in `dates`; and plain RSS 2.0 and Atom read
//! directly, without feed-rs, in `rss2` and `atom`.
//! Does not own: network, storage, entry identity (see `update`), or sanitising HTML.
//!
//! Cost: a plain RSS 2.0 or Atom document is read once by `rss2` or `atom`, and a well-formed
//! RSS 1.0 or JSON Feed document (or RSS 2.0 and Atom that those leave alone) once by feed-rs,
//! after one UTF-8 check, one quick-xml pass that counts its entries and nodes (or a
//! scan of a JSON Feed's items) and a look at its prolog. Only documents feed-rs refuses, and
//! the rare dialects it cannot read, are rewritten (one more pass) and read a second time.

mod atom;
mod charset;
mod dates;
mod dialect;
mod limits;
mod repair;
mod rss2;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use feed_rs::model;
use url::Url;

pub use self::charset::normalise_encoding;
use self::charset::to_utf8;
use self::dates::parse_date;
use self::dialect::{Dialect, count_items, rename_rss_elements, sniff, wrap_raw_html_descriptions};
pub use self::limits::MAX_ENTRIES;
use self::limits::trim;
use self::repair::{NO_LINK, repair_json, repair_xml};
use crate::html_text::{decode, plain_title};
use crate::model::{ParsedEntry, ParsedFeed};

/// Why a document could not be read as a feed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The bytes look like an HTML page rather than a feed.
    #[error("this is an HTML page, not a feed")]
    Html,
    /// feed-rs found no feed in the bytes (or they were not well-formed enough to read).
    #[error("not a feed: {0}")]
    NotAFeed(String),
    /// Reading it took longer than the budget: given up rather than hold a core (issue 10).
    #[error("gave up reading it after {0:?} (a document built to be slow to read?)")]
    OverBudget(Duration),
}

/// How long one document may take to read before [`parse_feed`] gives up. Any feed up to the
/// 15 MiB body cap nested however deep reads in under a second (a release build); this is a
/// backstop with room for a debug build on a busy machine, and well inside the fetch timeout.
pub const PARSE_BUDGET: Duration = Duration::from_secs(10);

/// A deadline checked between the stages of a parse and inside the repair pass.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget {
    limit: Duration,
    deadline: Instant,
}

impl Budget {
    /// A budget of `limit` from now.
    pub(crate) fn of(limit: Duration) -> Budget {
        Budget { limit, deadline: Instant::now() + limit }
    }

    /// An error once the budget is spent.
    pub(crate) fn check(&self) -> Result<(), ParseError> {
        if Instant::now() > self.deadline {
            Err(ParseError::OverBudget(self.limit))
        } else {
            Ok(())
        }
    }
}

/// Parses one feed document. `base` is the URL it was fetched from (after redirects), used for
/// relative links; `http_charset` is the `charset` of the HTTP `Content-Type`, if any. Gives up
/// after [`PARSE_BUDGET`].
pub fn parse_feed(
    bytes: &[u8],
    base: Option<&Url>,
    http_charset: Option<&str>,
) -> Result<ParsedFeed, ParseError> {
    parse_feed_within(bytes, base, http_charset, Budget::of(PARSE_BUDGET))
}

/// [`parse_feed`] within `budget`.
fn parse_feed_within(
    bytes: &[u8],
    base: Option<&Url>,
    http_charset: Option<&str>,
    budget: Budget,
) -> Result<ParsedFeed, ParseError> {
    let text = to_utf8(bytes, http_charset);
    budget.check()?;
    // Cut to what feed-rs may be given before anything else reads it (see `limits`).
    let trimmed = trim(&text);
    let mut dropped = trimmed.dropped();
    let text = trimmed.text;
    budget.check()?;
    let dialect = sniff(&text);
    let text = if dialect == Dialect::Rss {
        wrap_raw_html_descriptions(rename_rss_elements(text))
    } else {
        text
    };
    budget.check()?;
    let with_dropped = |mut feed: ParsedFeed, dropped: usize| {
        feed.entries_dropped = dropped;
        feed
    };
    // Plain RSS 2.0 and Atom, the commonest feeds, are read directly when they can be (see
    // `rss2` and `atom`). Like feed-rs's reading, a panic in one (quick-xml on hostile input)
    // is not let out of here: the document goes to feed-rs instead.
    let direct = catch_unwind(AssertUnwindSafe(|| match dialect {
        Dialect::Rss => rss2::read(&text, base),
        Dialect::Xml => atom::read(&text, base),
        Dialect::Json | Dialect::Rewrite => None,
    }))
    .ok()
    .flatten();
    if let Some(feed) = direct {
        return Ok(with_dropped(feed, dropped));
    }
    let mut error = None;
    if dialect != Dialect::Rewrite {
        match read(&text, base) {
            // feed-rs drops RSS 1.0 items without a link: read those again, with one.
            Ok(feed)
                if feed.feed_type == model::FeedType::RSS1
                    && count_items(&text) > feed.entries.len() =>
            {
                budget.check()?;
                let repaired = repair_xml(&text, &budget)?;
                budget.check()?;
                let repaired = trim(&repaired);
                dropped = dropped.max(repaired.dropped());
                return Ok(with_dropped(
                    match read(&repaired.text, base) {
                        Ok(fuller) if fuller.entries.len() > feed.entries.len() => {
                            adapt(fuller, base, &repaired.text)
                        }
                        _ => adapt(feed, base, &text),
                    },
                    dropped,
                ));
            }
            Ok(feed) => return Ok(with_dropped(adapt(feed, base, &text), dropped)),
            Err(e) => error = Some(e),
        }
        if looks_like_html(text.as_bytes()) {
            return Err(ParseError::Html);
        }
    }
    // The second attempt, only for documents feed-rs refused or would misread.
    budget.check()?;
    let repaired = match dialect {
        Dialect::Json => repair_json(&text),
        Dialect::Xml | Dialect::Rss | Dialect::Rewrite => Some(repair_xml(&text, &budget)?),
    };
    budget.check()?;
    if let Some(repaired) = repaired {
        // The first cut stops where quick-xml stops reading an ill-formed document.
        let repaired = trim(&repaired);
        dropped = dropped.max(repaired.dropped());
        match read(&repaired.text, base) {
            Ok(feed) => return Ok(with_dropped(adapt(feed, base, &repaired.text), dropped)),
            Err(e) => {
                error.get_or_insert(e);
            }
        }
    }
    Err(ParseError::NotAFeed(error.unwrap_or_else(|| "no feed in the document".into())))
}

/// What to tell the editor about a feed whose document had `dropped` entries past the cap.
pub fn dropped_note(dropped: usize) -> String {
    format!(
        "dropped {dropped} entries past the first ones read (one feed gives at most {MAX_ENTRIES} \
         entries, fewer when they are huge)"
    )
}

/// True when the document starts like an HTML page.
pub fn looks_like_html(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(1024)];
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    let t = head.trim_start_matches('\u{feff}').trim_start();
    t.starts_with("<!doctype html")
        || t.starts_with("<html")
        || (t.contains("<html")
            && !t.contains("<rss")
            && !t.contains("<feed")
            && !t.contains("<rdf"))
}

/// One feed-rs reading of UTF-8 text. A panic inside feed-rs (hostile input) is an error.
fn read(text: &str, base: Option<&Url>) -> Result<model::Feed, String> {
    let parser = feed_rs::parser::Builder::new()
        .base_uri(base.map(Url::as_str))
        // An empty id marks "the feed gave none"; `update` decides the identity instead of
        // feed-rs's generated (sometimes random) one.
        .id_generator(|_links, _title, _uri| String::new())
        .timestamp_parser(parse_date)
        .build();
    match catch_unwind(AssertUnwindSafe(|| parser.parse(text.as_bytes()))) {
        Ok(result) => result.map_err(|e| e.to_string()),
        Err(_) => Err("the feed reader failed on this document".into()),
    }
}

// ---------------------------------------------------------------------------------------------
// feed-rs model → ours

/// `text` is the document feed-rs read, for the one thing feed-rs does not keep (whether
/// guids are permalinks).
fn adapt(feed: model::Feed, base: Option<&Url>, text: &str) -> ParsedFeed {
    let kind = Kind {
        // Atom and JSON Feed say when a title is plain text, and then `<` is just a character;
        // RSS titles are HTML as often as not.
        literal_titles: matches!(feed.feed_type, model::FeedType::Atom | model::FeedType::JSON),
        feed_type: feed.feed_type.clone(),
        guids_are_links: std::cell::OnceCell::new(),
        feed_authors: match feed.feed_type {
            model::FeedType::Atom => authors(&feed.authors),
            _ => None,
        },
        text,
    };
    let link = pick_link(&feed.links, Some(&feed.id), &kind).map(|l| absolute(&l, base));
    let literal = kind.literal_titles;
    let entries = feed.entries.into_iter().map(|e| adapt_entry(e, base, &kind)).collect();
    ParsedFeed {
        title: feed.title.map(|t| text_title(&t, literal)).filter(|t| !t.is_empty()),
        link,
        updated: match kind.feed_type {
            // A channel's `dc:date`, which feed-rs files as published (see `entry_dates`).
            model::FeedType::RSS1 => feed.updated.or(feed.published),
            _ => feed.updated,
        },
        ttl_minutes: feed.ttl,
        entries,
        entries_dropped: 0,
    }
}

/// What an entry's reading depends on in the document around it.
struct Kind<'a> {
    literal_titles: bool,
    feed_type: model::FeedType,
    /// False when the document marks its guids `isPermaLink="false"`; worked out on demand.
    guids_are_links: std::cell::OnceCell<bool>,
    /// The feed's authors, for its entries that name none (Atom only).
    feed_authors: Option<String>,
    text: &'a str,
}

impl Kind<'_> {
    fn guids_are_links(&self) -> bool {
        *self.guids_are_links.get_or_init(|| guids_are_links(self.text))
    }
}

/// False when the document `text` marks its guids `isPermaLink="false"`.
fn guids_are_links(text: &str) -> bool {
    !text.match_indices("isPermaLink").any(|(i, m)| {
        let rest = text[i + m.len()..].trim_start();
        let value = rest.strip_prefix('=').map(|v| v.trim_start().trim_start_matches(['"', '\'']));
        value.is_some_and(|v| v.get(..5).is_some_and(|f| f.eq_ignore_ascii_case("false")))
    })
}

fn adapt_entry(e: model::Entry, base: Option<&Url>, kind: &Kind<'_>) -> ParsedEntry {
    let literal = kind.literal_titles;
    let guid = Some(e.id.trim().to_string()).filter(|s| !s.is_empty());
    let link = pick_link(&e.links, guid.as_deref(), kind).map(|l| absolute(&l, base));
    let (published, updated) = entry_dates(&kind.feed_type, e.published, e.updated);
    // An Atom entry with no author has its feed's (RFC 4287 §4.2.1); feed-rs already does
    // this for JSON Feed.
    let author = authors(&e.authors).or_else(|| kind.feed_authors.clone());
    let summary_html = e.summary.map(text_as_html).filter(|s| !s.trim().is_empty());
    let content_html = e.content.and_then(content_as_html).filter(|s| !s.trim().is_empty());
    ParsedEntry {
        guid,
        title: e.title.map(|t| text_title(&t, literal)).filter(|t| !t.is_empty()),
        link,
        author,
        published,
        updated,
        summary_html,
        content_html,
        categories: e
            .categories
            .into_iter()
            .map(|c| c.label.unwrap_or(c.term).trim().to_string())
            .filter(|c| !c.is_empty())
            .collect(),
    }
}

/// An entry's published and updated dates as the document gives them.
fn entry_dates(
    feed_type: &model::FeedType,
    published: Option<DateTime<Utc>>,
    updated: Option<DateTime<Utc>>,
) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    match feed_type {
        // The only date of an RSS 1.0 item is `dc:date`, the date of its last change (see
        // `RSS_RENAMES`), which feed-rs files as published.
        model::FeedType::RSS1 => (None, updated.or(published)),
        // feed-rs copies an RSS item's published date into a missing updated one.
        model::FeedType::RSS2 => (published, updated.filter(|u| Some(*u) != published)),
        _ => (published, updated),
    }
}

/// The page of an entry or feed: the first alternate link (RSS `<link>`, an Atom link with
/// rel `alternate` or none, a JSON Feed `url`). Comment links, enclosures, `related`, `self`
/// and the like are not the page. With no such link, an id that is a web address is taken
/// as the page (an RSS guid is a permalink unless it says otherwise), as feedparser does.
fn pick_link(links: &[model::Link], id: Option<&str>, kind: &Kind<'_>) -> Option<String> {
    links
        .iter()
        .filter(|l| l.target.is_none() && !l.href.trim().is_empty() && l.href != NO_LINK)
        .find(|l| l.rel.as_deref().is_none_or(|r| r.trim().eq_ignore_ascii_case("alternate")))
        .map(|l| l.href.trim().to_string())
        .or_else(|| {
            let id = id.map(str::trim).filter(|id| is_web_address(id))?;
            kind.guids_are_links().then(|| id.to_string())
        })
}

fn is_web_address(s: &str) -> bool {
    crate::links::HttpUrl::parse(s).is_ok()
}

fn absolute(link: &str, base: Option<&Url>) -> String {
    match Url::parse(link) {
        Ok(u) => u.to_string(),
        Err(_) => {
            base.and_then(|b| b.join(link).ok()).map_or_else(|| link.to_string(), |u| u.to_string())
        }
    }
}

fn is_html(t: &model::Text) -> bool {
    let ct = t.content_type.to_string();
    ct.contains("html")
}

/// A title as plain text. HTML (and RSS, whose titles carry markup and entities unlabelled)
/// loses its tags and entities; a title its format declares plain keeps every character.
fn text_title(t: &model::Text, literal: bool) -> String {
    if is_html(t) || !literal {
        plain_title(&t.content)
    } else {
        t.content.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

/// A content body as HTML: plain text (JSON Feed's `content_text`, Atom's `type="text"`) is
/// escaped, so that `<b>` in it stays two characters and a tag; anything else is HTML already
/// (and moves, uncopied).
fn content_as_html(c: model::Content) -> Option<String> {
    let body = c.body?;
    let plain = c.content_type.to_string().starts_with("text/plain");
    Some(if plain { html_escape::encode_text(&body).into_owned() } else { body })
}

/// A summary as HTML: HTML stays as is (moved, uncopied), plain text is escaped.
fn text_as_html(t: model::Text) -> String {
    if is_html(&t) { t.content } else { html_escape::encode_text(&t.content).into_owned() }
}

fn authors(people: &[model::Person]) -> Option<String> {
    let names: Vec<String> = people
        .iter()
        .filter_map(|p| {
            let name = p.name.as_deref().map(clean_person_name).filter(|n| !n.is_empty());
            name.or_else(|| p.email.clone())
        })
        .collect();
    if names.is_empty() { None } else { Some(names.join(", ")) }
}

/// RSS `<author>editor@example.org (Ed Itor)</author>` reaches us as name `(Ed Itor)`.
fn clean_person_name(name: &str) -> String {
    let n = decode(name.trim());
    let n = n.trim();
    let n = n.strip_prefix('(').and_then(|s| s.strip_suffix(')')).unwrap_or(n);
    n.split_whitespace().collect::<Vec<_>>().join(" ")
}

// ---------------------------------------------------------------------------------------------
// `roundup parse --json`

/// JSON shape of `roundup parse --json`: the feed as the parser reads it.
#[derive(Debug, serde::Serialize)]
pub struct ParseReport {
    /// The feed's own fields.
    pub feed: FeedReport,
    /// The entries, in document order.
    pub entries: Vec<EntryReport>,
}

/// The feed's own fields in `roundup parse --json`.
#[derive(Debug, serde::Serialize)]
pub struct FeedReport {
    /// Title, plain text.
    pub title: Option<String>,
    /// The site's link.
    pub link: Option<String>,
    /// Last updated, RFC 3339.
    pub updated: Option<String>,
    /// Entries of the document not read: those after the first [`MAX_ENTRIES`] (absent when
    /// none were).
    #[serde(skip_serializing_if = "is_zero")]
    pub entries_dropped: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// One entry in `roundup parse --json`.
#[derive(Debug, serde::Serialize)]
pub struct EntryReport {
    /// The feed's guid or id.
    pub id: Option<String>,
    /// Title, plain text.
    pub title: Option<String>,
    /// The entry's link, absolute when a base was known.
    pub link: Option<String>,
    /// Published, RFC 3339.
    pub published: Option<String>,
    /// Updated, RFC 3339.
    pub updated: Option<String>,
    /// Author names.
    pub author: Option<String>,
    /// Summary, as HTML.
    pub summary: Option<String>,
    /// Content, as HTML.
    pub content: Option<String>,
}

impl ParseReport {
    /// The report of `feed`.
    pub fn new(feed: &ParsedFeed) -> ParseReport {
        let date = |d: Option<DateTime<Utc>>| d.map(crate::timefmt::rfc3339);
        ParseReport {
            feed: FeedReport {
                title: feed.title.clone(),
                link: feed.link.clone(),
                updated: date(feed.updated),
                entries_dropped: feed.entries_dropped,
            },
            entries: feed
                .entries
                .iter()
                .map(|e| EntryReport {
                    id: e.guid.clone(),
                    title: e.title.clone(),
                    link: e.link.clone(),
                    published: date(e.published),
                    updated: date(e.updated),
                    author: e.author.clone(),
                    summary: e.summary_html.clone(),
                    content: e.content_html.clone(),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parse_over_its_budget_gives_up_with_an_error_that_says_so() {
        let ill_formed = b"<rss><channel><title>t</title><item><title>x</item>";
        let err = parse_feed_within(ill_formed, None, None, Budget::of(Duration::ZERO));
        assert_eq!(err, Err(ParseError::OverBudget(Duration::ZERO)));
        assert!(err.unwrap_err().to_string().starts_with("gave up reading it after"));
    }

    fn parse(s: &[u8]) -> ParsedFeed {
        parse_feed(s, Some(&Url::parse("https://blog.example.org/feed/").unwrap()), None).unwrap()
    }

    const RSS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>Council &amp; Co</title><link>https://blog.example.org/</link>
<item><title>First</title><link>/2026/11/first</link><guid isPermaLink="false">p-1</guid>
<dc:creator>Ann Smith</dc:creator><pubDate>Mon, 23 Nov 2026 09:30:00 +0000</pubDate>
<description>&lt;p&gt;Hello&lt;/p&gt;</description></item>
<item><title>No guid</title><link>https://blog.example.org/2</link></item>
<item><title>Nothing</title><description>x</description></item>
</channel></rss>"#;

    #[test]
    fn plain_text_content_is_escaped_not_read_as_html() {
        let json = br#"{"version": "https://jsonfeed.org/version/1.1", "title": "T",
            "items": [{"id": "1", "content_text": "a < b & <b>not bold</b>"}]}"#;
        let atom = br#"<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><id>t</id>
            <entry><id>1</id><title>E</title><content type="text">a &lt; b</content></entry></feed>"#;
        assert_eq!(
            parse(json).entries[0].content_html.as_deref(),
            Some("a &lt; b &amp; &lt;b&gt;not bold&lt;/b&gt;")
        );
        assert_eq!(parse(atom).entries[0].content_html.as_deref(), Some("a &lt; b"));
    }

    #[test]
    fn an_atom_entry_without_an_author_has_its_feeds() {
        let f = parse(
            br#"<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><id>t</id>
            <author><name>The Lab</name></author>
            <entry><id>1</id><title>A</title><author><name>Ann</name></author></entry>
            <entry><id>2</id><title>B</title></entry></feed>"#,
        );
        assert_eq!(f.entries[0].author.as_deref(), Some("Ann"));
        assert_eq!(f.entries[1].author.as_deref(), Some("The Lab"));
    }

    #[test]
    fn rss_items_keep_guid_author_date_and_absolute_links() {
        let f = parse(RSS.as_bytes());
        assert_eq!(f.title.as_deref(), Some("Council & Co"));
        assert_eq!(f.entries.len(), 3);
        let e = &f.entries[0];
        assert_eq!(e.guid.as_deref(), Some("p-1"));
        assert_eq!(e.link.as_deref(), Some("https://blog.example.org/2026/11/first"));
        assert_eq!(e.author.as_deref(), Some("Ann Smith"));
        assert_eq!(crate::timefmt::rfc3339(e.published.unwrap()), "2026-11-23T09:30:00Z");
        assert_eq!(e.summary_html.as_deref(), Some("<p>Hello</p>"));
    }

    #[test]
    fn a_missing_guid_is_none_never_a_generated_id() {
        let f = parse(RSS.as_bytes());
        assert_eq!(f.entries[1].guid, None);
        assert_eq!(f.entries[2].guid, None);
    }

    #[test]
    fn an_html_page_is_reported_as_html() {
        let page = b"<!DOCTYPE html><html><head><title>x</title></head><body>hi</body></html>";
        assert!(matches!(parse_feed(page, None, None), Err(ParseError::Html)));
    }

    #[test]
    fn json_feed_relative_urls_are_resolved_against_the_base() {
        let doc = r#"{"version":"https://jsonfeed.org/version/1.1","title":"J","items":[{"id":"1","url":"/posts/1","title":"One","content_html":"<p>x</p>","date_published":"2026-11-20T10:00:00Z"}]}"#;
        let f = parse(doc.as_bytes());
        assert_eq!(f.entries[0].link.as_deref(), Some("https://blog.example.org/posts/1"));
        assert_eq!(f.entries[0].content_html.as_deref(), Some("<p>x</p>"));
    }

    pub(super) fn bare(doc: &str) -> ParsedFeed {
        parse_feed(doc.as_bytes(), None, None).unwrap()
    }

    #[test]
    fn an_updated_date_is_only_one_the_feed_gives() {
        let f = bare(
            r#"<rss version="2.0"><channel><item><pubDate>Mon, 16 Oct 2017 15:10:00 +0000</pubDate></item></channel></rss>"#,
        );
        assert!(f.entries[0].published.is_some());
        assert_eq!(f.entries[0].updated, None);
        let f = bare(
            r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
            <channel rdf:about="http://example.org/"><title>T</title><dc:date>2022-12-20T23:28:24Z</dc:date></channel>
            <item rdf:about="http://example.org/1"><link>http://example.org/1</link><dc:date>2022-12-17T00:00:00Z</dc:date></item></rdf:RDF>"#,
        );
        let rfc3339 = |d: Option<DateTime<Utc>>| d.map(crate::timefmt::rfc3339);
        assert_eq!(rfc3339(f.updated).as_deref(), Some("2022-12-20T23:28:24Z"));
        assert_eq!(f.entries[0].published, None);
        assert_eq!(rfc3339(f.entries[0].updated).as_deref(), Some("2022-12-17T00:00:00Z"));
    }

    #[test]
    fn comment_and_related_links_are_not_the_entry_page() {
        let f = bare(
            r#"<rss version="2.0"><channel><item><comments>http://example.org/c</comments></item></channel></rss>"#,
        );
        assert_eq!(f.entries[0].link, None);
        let f = bare(
            r#"<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>x</id><link rel="related" href="http://example.org/r"/><link href="http://example.org/page"/></entry><entry><id>y</id><link rel="related" href="http://example.org/r"/></entry></feed>"#,
        );
        assert_eq!(f.entries[0].link.as_deref(), Some("http://example.org/page"));
        assert_eq!(f.entries[1].link, None);
    }

    #[test]
    fn an_id_that_is_a_web_address_is_the_page_unless_marked_no_permalink() {
        let f = bare(
            r#"<rss version="2.0"><channel><item><guid>http://example.org/1</guid></item><item><guid>tag:x,2024:2</guid></item></channel></rss>"#,
        );
        assert_eq!(f.entries[0].link.as_deref(), Some("http://example.org/1"));
        assert_eq!(f.entries[1].link, None);
        let f = bare(
            r#"<rss version="2.0"><channel><item><guid isPermaLink="false">http://example.org/1</guid></item></channel></rss>"#,
        );
        assert_eq!(f.entries[0].link, None);
        let f = bare(
            r#"<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>urn:uuid:1225c695</id></entry></feed>"#,
        );
        assert_eq!(f.entries[0].link, None);
    }

    #[test]
    fn atom_plain_text_titles_keep_their_angle_brackets() {
        let f = bare(
            r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>Use &lt;b&gt; &amp;amp; co</title><entry><id>x</id><title type="html">&lt;b&gt;Bold&lt;/b&gt; &amp;amp; co</title></entry></feed>"#,
        );
        assert_eq!(f.title.as_deref(), Some("Use <b> &amp; co"));
        assert_eq!(f.entries[0].title.as_deref(), Some("Bold & co"));
    }
}
