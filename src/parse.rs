//! The feed-rs adapter: feed bytes → [`ParsedFeed`]. feed-rs types never leave this module.
//!
//! Owns: character-set normalisation in front of feed-rs (BOM, XML declaration, HTTP charset),
//! the choice of each entry's link, title, author and dates, and resolution of relative links.
//! Does not own: network, storage, entry identity (see `update`), or sanitising HTML.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use feed_rs::model;
use url::Url;

use crate::model::{ParsedEntry, ParsedFeed};
use crate::text::{decode, plain_title};

/// Why a document could not be read as a feed.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// The bytes look like an HTML page rather than a feed.
    #[error("this is an HTML page, not a feed")]
    Html,
    /// feed-rs found no feed in the bytes (or they were not well-formed enough to read).
    #[error("not a feed: {0}")]
    NotAFeed(String),
}

/// Parses one feed document. `base` is the URL it was fetched from (after redirects), used for
/// relative links; `http_charset` is the `charset` of the HTTP `Content-Type`, if any.
pub fn parse_feed(
    bytes: &[u8],
    base: Option<&Url>,
    http_charset: Option<&str>,
) -> Result<ParsedFeed, ParseError> {
    let normalised = normalise_encoding(bytes, http_charset);
    let parser = feed_rs::parser::Builder::new()
        .base_uri(base.map(Url::as_str))
        // An empty id marks "the feed gave none"; `update` decides the identity instead of
        // feed-rs's generated (sometimes random) one.
        .id_generator(|_links, _title, _uri| String::new())
        .build();
    match parser.parse(&normalised[..]) {
        Ok(feed) => Ok(adapt(feed, base)),
        Err(e) => {
            if looks_like_html(&normalised) {
                Err(ParseError::Html)
            } else {
                Err(ParseError::NotAFeed(e.to_string()))
            }
        }
    }
}

/// True when the document starts like an HTML page.
pub fn looks_like_html(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(1024)];
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    let t = head.trim_start_matches('\u{feff}').trim_start();
    t.starts_with("<!doctype html") || t.starts_with("<html") || (t.contains("<html") && !t.contains("<rss") && !t.contains("<feed") && !t.contains("<rdf"))
}

fn adapt(feed: model::Feed, base: Option<&Url>) -> ParsedFeed {
    let feed_base = base.cloned();
    let link = pick_link(&feed.links).map(|l| absolute(&l, feed_base.as_ref()));
    let entries = feed
        .entries
        .into_iter()
        .map(|e| {
            let entry_base = feed_base.clone();
            adapt_entry(e, entry_base.as_ref())
        })
        .collect();
    ParsedFeed {
        title: feed.title.map(|t| text_title(&t)).filter(|t| !t.is_empty()),
        link,
        updated: feed.updated,
        ttl_minutes: feed.ttl,
        entries,
    }
}

fn adapt_entry(e: model::Entry, base: Option<&Url>) -> ParsedEntry {
    let guid = Some(e.id.trim().to_string()).filter(|s| !s.is_empty());
    let link = pick_link(&e.links).map(|l| absolute(&l, base));
    let author = authors(&e.authors);
    let summary_html = e.summary.as_ref().map(text_as_html).filter(|s| !s.trim().is_empty());
    let content_html = e
        .content
        .as_ref()
        .and_then(|c| c.body.as_deref())
        .map(str::to_string)
        .filter(|s| !s.trim().is_empty());
    ParsedEntry {
        guid,
        title: e.title.map(|t| text_title(&t)).filter(|t| !t.is_empty()),
        link,
        author,
        published: e.published,
        updated: e.updated,
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

/// The entry's or feed's page: the first link that is an alternate (or has no rel), else the
/// first link that is not self/enclosure/replies.
fn pick_link(links: &[model::Link]) -> Option<String> {
    let usable = |l: &&model::Link| !l.href.trim().is_empty();
    links
        .iter()
        .filter(usable)
        .find(|l| l.rel.as_deref().is_none_or(|r| r.eq_ignore_ascii_case("alternate")))
        .or_else(|| {
            links.iter().filter(usable).find(|l| {
                !matches!(
                    l.rel.as_deref().map(str::to_ascii_lowercase).as_deref(),
                    Some("self" | "enclosure" | "replies" | "edit" | "hub" | "license")
                )
            })
        })
        .map(|l| l.href.trim().to_string())
}

fn absolute(link: &str, base: Option<&Url>) -> String {
    match Url::parse(link) {
        Ok(u) => u.to_string(),
        Err(_) => base.and_then(|b| b.join(link).ok()).map_or_else(|| link.to_string(), |u| u.to_string()),
    }
}

fn is_html(t: &model::Text) -> bool {
    let ct = t.content_type.to_string();
    ct.contains("html")
}

fn text_title(t: &model::Text) -> String {
    if is_html(t) || t.content.contains('<') {
        plain_title(&t.content)
    } else {
        t.content.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

/// A summary as HTML: HTML stays as is, plain text is escaped.
fn text_as_html(t: &model::Text) -> String {
    if is_html(t) {
        t.content.clone()
    } else {
        html_escape::encode_text(&t.content).into_owned()
    }
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

/// Makes the bytes something feed-rs decodes correctly (CRATES.md §4.3):
/// 1. a BOM is trusted; 2. a declaration is trusted unless the bytes are valid UTF-8 with
/// non-ASCII in them while it names another encoding (it lies); 3. undeclared valid UTF-8 passes;
/// 4. otherwise decode with the HTTP charset, else windows-1252, and hand over UTF-8.
pub fn normalise_encoding<'a>(bytes: &'a [u8], http_charset: Option<&str>) -> Cow<'a, [u8]> {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        let rest = &bytes[3..];
        return match std::str::from_utf8(rest) {
            Ok(_) => Cow::Borrowed(rest),
            Err(_) => Cow::Owned(String::from_utf8_lossy(rest).into_owned().into_bytes()),
        };
    }
    if bytes.starts_with(b"\xFE\xFF") || bytes.starts_with(b"\xFF\xFE") {
        let (enc, _) = encoding_rs::Encoding::for_bom(bytes).expect("a UTF-16 BOM");
        return Cow::Owned(strip_declared_encoding(&enc.decode_with_bom_removal(bytes).0).into_bytes());
    }
    let declared = declared_encoding(bytes);
    let utf8_ok = std::str::from_utf8(bytes).is_ok();
    match declared {
        Some(ref e) if is_utf8_label(e) => {
            if utf8_ok {
                Cow::Borrowed(bytes)
            } else {
                Cow::Owned(String::from_utf8_lossy(bytes).into_owned().into_bytes())
            }
        }
        Some(ref e) => {
            let non_ascii = bytes.iter().any(|b| *b >= 0x80);
            match encoding_rs::Encoding::for_label(e.as_bytes()) {
                _ if utf8_ok && non_ascii => {
                    Cow::Owned(strip_declared_encoding(&String::from_utf8_lossy(bytes)).into_bytes())
                }
                Some(enc) => Cow::Owned(strip_declared_encoding(&enc.decode(bytes).0).into_bytes()),
                // An encoding nobody knows: HTTP charset or windows-1252.
                None => decode_with(bytes, http_charset),
            }
        }
        None if utf8_ok => Cow::Borrowed(bytes),
        None => decode_with(bytes, http_charset),
    }
}

fn decode_with<'a>(bytes: &'a [u8], http_charset: Option<&str>) -> Cow<'a, [u8]> {
    let enc = http_charset
        .and_then(|c| encoding_rs::Encoding::for_label(c.trim().as_bytes()))
        .unwrap_or(encoding_rs::WINDOWS_1252);
    Cow::Owned(strip_declared_encoding(&enc.decode(bytes).0).into_bytes())
}

fn is_utf8_label(e: &str) -> bool {
    let e = e.to_ascii_lowercase();
    e == "utf-8" || e == "utf8"
}

/// The `encoding` of the XML declaration, if any.
fn declared_encoding(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(512)];
    let head = String::from_utf8_lossy(head);
    let start = head.find("<?xml")?;
    let decl = &head[start..start + head[start..].find("?>")?];
    let j = decl.find("encoding")? + "encoding".len();
    let rest = decl[j..].trim_start().strip_prefix('=')?.trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &rest[1..];
    Some(value[..value.find(quote)?].trim().to_string())
}

/// Once the text is UTF-8, the declaration must say so (or nothing) for feed-rs to agree.
fn strip_declared_encoding(text: &str) -> String {
    let Some(start) = text.find("<?xml") else { return text.to_string() };
    let Some(end) = text[start..].find("?>").map(|e| start + e) else { return text.to_string() };
    let decl = &text[start..end];
    let Some(j) = decl.find("encoding") else { return text.to_string() };
    let after = &decl[j..];
    let Some(q1) = after.find(['"', '\'']) else { return text.to_string() };
    let quote = after.as_bytes()[q1] as char;
    let Some(q2) = after[q1 + 1..].find(quote) else { return text.to_string() };
    let new_decl = format!("{}encoding=\"UTF-8\"{}", &decl[..j], &after[q1 + 1 + q2 + 1..]);
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..start]);
    out.push_str(&new_decl);
    out.push_str(&text[end..]);
    out
}

/// JSON shape of `roundup parse --json`: the feed as the parser reads it.
#[derive(Debug, serde::Serialize)]
pub struct ParseReport {
    pub feed: FeedReport,
    pub entries: Vec<EntryReport>,
}

#[derive(Debug, serde::Serialize)]
pub struct FeedReport {
    pub title: Option<String>,
    pub link: Option<String>,
    pub updated: Option<String>,
}

#[derive(Debug, serde::Serialize)]
pub struct EntryReport {
    pub id: Option<String>,
    pub title: Option<String>,
    pub link: Option<String>,
    pub published: Option<String>,
    pub updated: Option<String>,
    pub author: Option<String>,
    pub summary: Option<String>,
    pub content: Option<String>,
}

impl ParseReport {
    pub fn new(feed: &ParsedFeed) -> ParseReport {
        let date = |d: Option<DateTime<Utc>>| d.map(crate::timefmt::rfc3339);
        ParseReport {
            feed: FeedReport {
                title: feed.title.clone(),
                link: feed.link.clone(),
                updated: date(feed.updated),
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
    fn latin1_without_a_declaration_is_read_with_the_http_charset() {
        let mut bytes = b"<rss version=\"2.0\"><channel><title>Sch".to_vec();
        bytes.push(0xF6);
        bytes.extend_from_slice(b"ne</title></channel></rss>");
        let f = parse_feed(&bytes, None, Some("iso-8859-1")).unwrap();
        assert_eq!(f.title.as_deref(), Some("Sch\u{f6}ne"));
        let f = parse_feed(&bytes, None, None).unwrap();
        assert_eq!(f.title.as_deref(), Some("Sch\u{f6}ne"));
    }

    #[test]
    fn a_declaration_that_lies_about_utf8_bytes_is_overruled() {
        let doc = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss version=\"2.0\"><channel><title>Caf\u{e9}</title></channel></rss>";
        let f = parse_feed(doc.as_bytes(), None, None).unwrap();
        assert_eq!(f.title.as_deref(), Some("Caf\u{e9}"));
    }

    #[test]
    fn invalid_utf8_bytes_do_not_lose_the_feed() {
        let mut bytes = b"<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>A".to_vec();
        bytes.push(0xFF);
        bytes.extend_from_slice(b"B</title><item><title>kept</title></item></channel></rss>");
        let f = parse_feed(&bytes, None, None).unwrap();
        assert_eq!(f.entries.len(), 1);
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
}
