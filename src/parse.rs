//! The feed-rs adapter: feed bytes → [`ParsedFeed`]. feed-rs types never leave this module.
//!
//! Owns: character-set normalisation in front of feed-rs (BOM, XML declaration, HTTP charset),
//! dates (our own lenient parser replaces feed-rs's), the dialects feed-rs does not read (RSS
//! without a version, RSS in a namespace, Atom 0.3, RSS 0.90), a second, lenient attempt at
//! documents that are not well-formed, the choice of each entry's link, title and author, and
//! resolution of relative links.
//! Does not own: network, storage, entry identity (see `update`), or sanitising HTML.
//!
//! Cost: a well-formed RSS 2.0, RSS 1.0, Atom 1.0 or JSON Feed document is read once by
//! feed-rs, after one UTF-8 check and a look at its prolog. Only documents feed-rs refuses, and
//! the rare dialects it cannot read, are rewritten (one more pass) and read a second time.

use std::borrow::Cow;
use std::panic::{AssertUnwindSafe, catch_unwind};

use chrono::{DateTime, NaiveDate, Utc};
use feed_rs::model;
use quick_xml::events::{BytesStart, Event};
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
    let text = to_utf8(bytes, http_charset);
    let dialect = sniff(&text);
    let text = if dialect == Dialect::Rss { rename_rss_elements(text) } else { text };
    let mut error = None;
    if dialect != Dialect::Rewrite {
        match read(&text, base) {
            // feed-rs drops RSS 1.0 items without a link: read those again, with one.
            Ok(feed)
                if feed.feed_type == model::FeedType::RSS1
                    && count_items(&text) > feed.entries.len() =>
            {
                let repaired = repair_xml(&text);
                return Ok(match read(&repaired, base) {
                    Ok(fuller) if fuller.entries.len() > feed.entries.len() => {
                        adapt(fuller, base, &repaired)
                    }
                    _ => adapt(feed, base, &text),
                });
            }
            Ok(feed) => return Ok(adapt(feed, base, &text)),
            Err(e) => error = Some(e),
        }
        if looks_like_html(text.as_bytes()) {
            return Err(ParseError::Html);
        }
    }
    // The second attempt, only for documents feed-rs refused or would misread.
    let repaired = match dialect {
        Dialect::Json => repair_json(&text),
        Dialect::Xml | Dialect::Rss | Dialect::Rewrite => Some(repair_xml(&text)),
    };
    if let Some(repaired) = repaired {
        match read(&repaired, base) {
            Ok(feed) => return Ok(adapt(feed, base, &repaired)),
            Err(e) => {
                error.get_or_insert(e);
            }
        }
    }
    Err(ParseError::NotAFeed(error.unwrap_or_else(|| "no feed in the document".into())))
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
// Dialects and repair

/// What the prolog and root element say about how to read a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    /// XML that feed-rs may read as it is.
    Xml,
    /// RSS that feed-rs may read once some elements are renamed (see [`RSS_RENAMES`]).
    Rss,
    /// A JSON document.
    Json,
    /// XML that feed-rs would refuse or misread as it is: go straight to [`repair_xml`].
    Rewrite,
}

const ATOM_03: &str = "http://purl.org/atom/ns#";
const ATOM_10: &str = "http://www.w3.org/2005/Atom";
const RSS_090: &str = "http://my.netscape.com/rdf/simple/0.9/";
const RSS_10: &str = "http://purl.org/rss/1.0/";

/// Looks at the root element only (and, cheaply, for a second XML declaration).
fn sniff(text: &str) -> Dialect {
    let t = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if t.starts_with('{') {
        return Dialect::Json;
    }
    let Some((name, tag)) = root_start_tag(t) else { return Dialect::Xml };
    let local = name.rsplit(':').next().unwrap_or(name);
    let rewrite = match local {
        "rss" => {
            !matches!(attribute(tag, "version").as_deref(), Some("2.0" | "0.91" | "0.92" | ""))
                || attribute(tag, "xmlns").is_some_and(|ns| ns != RSS_10)
        }
        "feed" => {
            tag.contains(ATOM_03) || attribute(tag, "version").is_some_and(|v| v.starts_with("0."))
        }
        "RDF" => tag.contains(RSS_090),
        _ => false,
    };
    // quick-xml can switch encodings only at the very start: a declaration that names another
    // encoding than UTF-8 anywhere else makes feed-rs panic, so such documents are rewritten
    // without declarations.
    // (`contains` is the fast search; the first declaration already says UTF-8, see `to_utf8`.)
    let after_first = t.strip_prefix("<?xml").unwrap_or(t);
    let foreign_declaration = after_first.contains("<?xml")
        && t.match_indices("<?xml").any(|(i, _)| {
            declared_encoding(&t.as_bytes()[i..]).is_some_and(|e| !is_utf8_label(&e))
        });
    if rewrite || foreign_declaration {
        Dialect::Rewrite
    } else if local == "rss" {
        Dialect::Rss
    } else {
        Dialect::Xml
    }
}

/// RSS 2.0 elements feed-rs misfiles or ignores, and the names it files them rightly under.
/// feed-rs files `dc:date` as published, over the `pubDate` of the same item (even when it
/// cannot read it); it is the date of the last change, as feedparser reads it. It ignores
/// Dublin Core terms and `dc:title`.
const RSS_RENAMES: &[(&str, &str)] = &[
    ("dc:date", "updated"),
    ("dcterms:modified", "updated"),
    ("dcterms:issued", "pubDate"),
    ("dc:title", "title"),
];

/// [`RSS_RENAMES`] applied to an RSS document; a copy only when one of them is there.
fn rename_rss_elements(text: Cow<'_, str>) -> Cow<'_, str> {
    // (`contains` is the fast search.)
    if !(text.contains("<dc:date>") || text.contains("<dcterms:") || text.contains("<dc:title>")) {
        return text;
    }
    let mut renamed = text.into_owned();
    for (from, to) in RSS_RENAMES {
        let open = format!("<{from}>");
        if renamed.contains(&open) {
            renamed = renamed.replace(&open, &format!("<{to}>"));
            renamed = renamed.replace(&format!("</{from}>"), &format!("</{to}>"));
        }
    }
    Cow::Owned(renamed)
}

/// How many RSS 1.0 items a document has, by their start tags.
fn count_items(text: &str) -> usize {
    text.match_indices("<item")
        .filter(|(i, m)| text[i + m.len()..].starts_with(|c: char| c == '>' || c.is_whitespace()))
        .count()
}

/// The root element's qualified name and start tag (without `<` and `>`), skipping the prolog.
fn root_start_tag(text: &str) -> Option<(&str, &str)> {
    let mut rest = text;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
        if let Some(r) = rest.strip_prefix("<?") {
            rest = &r[r.find("?>")? + 2..];
        } else if let Some(r) = rest.strip_prefix("<!--") {
            rest = &r[r.find("-->")? + 3..];
        } else if let Some(r) = rest.strip_prefix("<!") {
            // A DOCTYPE, perhaps with an internal subset.
            let end = match (r.find('['), r.find('>')) {
                (Some(open), Some(gt)) if open < gt => open + r[open..].find("]")? + 1,
                _ => 0,
            };
            rest = &r[end + r[end..].find('>')? + 1..];
        } else if let Some(r) = rest.strip_prefix('<') {
            let end = tag_end(r)?;
            let tag = &r[..end];
            let name_len = tag.find(|c: char| c.is_whitespace() || c == '/').unwrap_or(tag.len());
            return Some((&tag[..name_len], tag));
        } else {
            // Junk before the root: skip to the next tag.
            rest = &rest[rest.find('<')?..];
        }
    }
}

/// Where the `>` closing a start tag is, quotes respected.
fn tag_end(s: &str) -> Option<usize> {
    let mut quote = None;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, '>') => return Some(i),
            _ => {}
        }
    }
    None
}

/// The value of an attribute in a start tag (raw, entities not decoded).
fn attribute(tag: &str, name: &str) -> Option<String> {
    let mut rest = tag;
    while let Some(i) = rest.find(name) {
        let before = rest[..i].chars().next_back();
        let after = rest[i + name.len()..].trim_start();
        rest = &rest[i + name.len()..];
        if !before.is_some_and(char::is_whitespace) {
            continue;
        }
        let Some(value) = after.strip_prefix('=') else { continue };
        let value = value.trim_start();
        let quote = value.chars().next().filter(|c| *c == '"' || *c == '\'')?;
        let value = &value[1..];
        return Some(value[..value.find(quote)?].trim().to_string());
    }
    None
}

/// Elements whose content is an Atom text construct (feed-rs refuses unknown types and empty
/// ones), with their Atom 0.3 names.
const TEXT_CONSTRUCTS: &[&str] =
    &["title", "subtitle", "summary", "rights", "content", "tagline", "copyright", "info"];

/// Elements never dropped for being empty: an empty item is still an item.
const STRUCTURAL: &[&str] = &["rss", "channel", "item", "feed", "entry", "RDF"];

/// An element open in [`repair_xml`]'s output.
struct Frame {
    /// The name as written.
    name: String,
    /// Where its start tag begins in the output.
    start: usize,
    /// Text or child elements seen.
    filled: bool,
    /// Dropped when it closes empty (feed-rs refuses some empty elements).
    droppable: bool,
    /// Base64 content, decoded when it closes.
    base64: Option<String>,
    /// An RSS 1.0 item's `rdf:about`, given to it as its link when it has none.
    about: Option<String>,
    /// A `<link>` child seen.
    linked: bool,
    /// Holds markup (XHTML, or HTML an RSS description should have escaped): its elements
    /// are content, never dropped or rewritten as constructs.
    markup: bool,
}

/// The link given to an RSS 1.0 item with neither `<link>` nor `rdf:about` so that feed-rs
/// keeps it; [`pick_link`] never picks it.
const NO_LINK: &str = "roundup:no-link";

/// The lenient second reading: re-writes the document as well-formed XML feed-rs can read.
///
/// Undefined entities become characters (HTML's) or text, bare `&` is escaped, unclosed and
/// stray end tags are mended, the DOCTYPE, comments and declarations go, RSS gets a version, a
/// channel and loses a foreign default namespace, Atom 0.3 and RSS 0.90 become Atom 1.0 and
/// RSS 1.0, text constructs with a MIME type or base64 content are made readable, and empty
/// elements feed-rs would refuse are dropped.
fn repair_xml(text: &str) -> String {
    let mut reader = quick_xml::Reader::from_str(text);
    let config = reader.config_mut();
    config.allow_dangling_amp = true;
    config.allow_unmatched_ends = true;
    config.check_end_names = false;
    config.check_comments = false;
    config.trim_text(false);
    let mut out = String::with_capacity(text.len() + 128);
    let mut open: Vec<Frame> = Vec::new();
    let mut root = Root::Other;
    let mut channel = false;
    // At damage the reading stops: what came before is kept, open elements are closed below.
    while let Ok(event) = reader.read_event() {
        match event {
            // A second root: the document has ended.
            Event::Start(_) | Event::Empty(_) if open.is_empty() && !out.is_empty() => break,
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                if open.is_empty() {
                    root = match e.local_name().as_ref() {
                        "rss" => Root::Rss,
                        "RDF" => Root::Rdf,
                        "feed"
                            if e.contains(ATOM_03)
                                || start_attr(e, "version")
                                    .is_some_and(|v| v.starts_with("0.")) =>
                        {
                            Root::Atom03
                        }
                        _ => Root::Other,
                    };
                }
                // Inside XHTML or RSS descriptions, elements are content, kept as they are.
                let in_markup = open.iter().any(|f| f.markup);
                let construct =
                    if in_markup { None } else { construct(&rename(e.name().as_ref(), root), e) };
                let (name, tag, xhtml) = rewrite_start(e, open.is_empty(), root, construct);
                let local = name.rsplit(':').next().unwrap_or(&name).to_string();
                if root == Root::Rss && open.len() == 1 && !channel {
                    channel = local == "channel";
                    if matches!(local.as_str(), "item" | "title" | "link" | "description") {
                        // Items straight under <rss>: give them their channel.
                        channel = true;
                        open.push(Frame {
                            name: "channel".into(),
                            start: out.len(),
                            filled: true,
                            droppable: false,
                            base64: None,
                            about: None,
                            linked: false,
                            markup: false,
                        });
                        out.push_str("<channel>");
                    }
                }
                if let Some(parent) = open.last_mut() {
                    parent.filled = true;
                    parent.linked |= local == "link";
                }
                let bare = e.attributes_raw().trim().trim_end_matches('/').trim().is_empty();
                let droppable = !in_markup
                    && (construct.is_some() || (bare && !STRUCTURAL.contains(&local.as_str())));
                if empty && droppable {
                    continue;
                }
                let about = (root == Root::Rdf && local == "item")
                    .then(|| start_attr(e, "rdf:about").unwrap_or_default());
                let frame = Frame {
                    start: out.len(),
                    filled: false,
                    droppable,
                    base64: (construct == Some(Construct::Atom) && is_base64(e)).then(String::new),
                    about,
                    linked: false,
                    markup: xhtml || matches!(local.as_str(), "description" | "encoded"),
                    name,
                };
                out.push('<');
                out.push_str(&tag);
                if empty {
                    out.push_str("/>");
                } else {
                    out.push('>');
                    open.push(frame);
                }
            }
            Event::End(e) => {
                let name = rename(e.as_ref(), root);
                let Some(depth) = open.iter().rposition(|f| f.name == name) else { continue };
                while open.len() > depth {
                    close(&mut out, &mut open, root == Root::Rss && !channel);
                }
            }
            Event::Text(_) | Event::CData(_) if open.is_empty() => {}
            Event::Text(t) => {
                let frame = open.last_mut().expect("an open element");
                frame.filled |= !t.trim().is_empty();
                match frame.base64.as_mut() {
                    Some(b) => b.push_str(&t),
                    None => escape_into(&mut out, &t),
                }
            }
            Event::CData(t) => {
                let frame = open.last_mut().expect("an open element");
                frame.filled |= !t.trim().is_empty();
                match frame.base64.as_mut() {
                    Some(b) => b.push_str(&t),
                    None => {
                        out.push_str("<![CDATA[");
                        out.push_str(&t);
                        out.push_str("]]>");
                    }
                }
            }
            Event::GeneralRef(r) => {
                let Some(frame) = open.last_mut() else { continue };
                frame.filled = true;
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => Some(c.to_string()),
                    Ok(None) => quick_xml::escape::resolve_predefined_entity(&r)
                        .map(str::to_string)
                        .or_else(|| html_entity(&r)),
                    Err(_) => Some(String::new()),
                };
                // An entity nobody defines stays as the text it is.
                let text = resolved.unwrap_or_else(|| format!("&{};", &*r));
                match frame.base64.as_mut() {
                    Some(b) => b.push_str(&text),
                    None => escape_into(&mut out, &text),
                }
            }
            Event::Eof => break,
            // Declarations, DOCTYPE, comments and processing instructions are dropped.
            _ => {}
        }
    }
    while !open.is_empty() {
        close(&mut out, &mut open, root == Root::Rss && !channel);
    }
    out
}

/// Whether an Atom text construct's content is base64: Atom 0.3 says so with `mode`, Atom 1.0
/// with a MIME type that is neither text nor XML (for a `<content>`, that may well be an image,
/// which feed-rs keeps as it is).
fn is_base64(e: &BytesStart<'_>) -> bool {
    if start_attr(e, "mode").is_some_and(|m| m.eq_ignore_ascii_case("base64")) {
        return true;
    }
    e.local_name().as_ref() != "content"
        && start_attr(e, "type").is_some_and(|t| {
            let t = t.to_ascii_lowercase();
            t.contains('/') && !t.starts_with("text/") && !t.ends_with("xml")
        })
}

/// Writes the end tag of the innermost open element: one that stayed empty and may be dropped
/// is taken out again, base64 content is written decoded, and an `<rss>` that never had a
/// channel gets an empty one.
fn close(out: &mut String, open: &mut Vec<Frame>, missing_channel: bool) {
    let Some(frame) = open.pop() else { return };
    if let Some(b64) = &frame.base64 {
        // Not base64 after all: the text as it is.
        let decoded = decode_base64(b64).map(|d| String::from_utf8_lossy(&d).into_owned());
        match decoded.filter(|d| !d.trim().is_empty()).or_else(|| Some(b64.trim().to_string())) {
            Some(text) if !text.is_empty() => escape_into(out, &text),
            _ => {
                out.truncate(frame.start);
                return;
            }
        }
    } else if !frame.filled && frame.droppable {
        out.truncate(frame.start);
        return;
    }
    if let Some(about) = frame.about.as_deref().filter(|_| !frame.linked) {
        out.push_str("<link>");
        escape_into(out, if about.is_empty() { NO_LINK } else { about });
        out.push_str("</link>");
    }
    if open.is_empty() && missing_channel {
        out.push_str("<channel></channel>");
    }
    out.push_str("</");
    out.push_str(&frame.name);
    out.push('>');
}

/// An attribute of a start tag, decoded leniently.
fn start_attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.html_attributes()
        .with_checks(false)
        .flatten()
        .find(|a| a.key.as_ref() == name)
        .map(|a| decode(&a.value).trim().to_string())
}

/// The kind of document [`repair_xml`] is mending, by its root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Root {
    Rss,
    Rdf,
    Atom03,
    Other,
}

/// Element names feed-rs does not know and the names it does: Atom 0.3's Atom 1.0 ones, and
/// the RSS ones in [`RSS_RENAMES`].
fn rename(name: &str, root: Root) -> String {
    match root {
        Root::Rss => {
            let renamed = RSS_RENAMES.iter().find(|(from, _)| *from == name);
            return renamed.map_or(name, |(_, to)| to).to_string();
        }
        Root::Atom03 => {}
        _ => return name.to_string(),
    }
    let (prefix, local) = match name.rsplit_once(':') {
        Some((p, l)) => (Some(p), l),
        None => (None, name),
    };
    let new = match local {
        "issued" => "published",
        "modified" => "updated",
        "tagline" => "subtitle",
        "copyright" => "rights",
        "url" => "uri",
        "item" => "entry",
        _ => return name.to_string(),
    };
    match prefix {
        // Only the Atom names: `dcterms:modified` stays what it is.
        Some(p) if p != "atom" => name.to_string(),
        Some(p) => format!("{p}:{new}"),
        None => new.to_string(),
    }
}

/// Elements feed-rs reads as text and refuses when empty or of a type it does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Construct {
    /// An Atom text construct (`title`, `summary`, `content`, ...).
    Atom,
    /// `media:title` and `media:description`.
    Media,
}

/// Which construct an element (by its name as written) is, if any.
fn construct(name: &str, e: &BytesStart<'_>) -> Option<Construct> {
    let (prefix, local) = match name.split_once(':') {
        Some((p, l)) => (Some(p), l),
        None => (None, name),
    };
    match (prefix, local) {
        (Some("media"), "title" | "description") => Some(Construct::Media),
        (None | Some("atom"), l) if TEXT_CONSTRUCTS.contains(&l) => {
            start_attr(e, "src").is_none().then_some(Construct::Atom)
        }
        _ => None,
    }
}

/// A start tag (without `<` `>`) rewritten: name per [`rename`], attributes re-quoted and
/// escaped, and the root and text-construct fixes applied. Also says whether the element holds
/// XHTML.
fn rewrite_start(
    e: &BytesStart<'_>,
    is_root: bool,
    root: Root,
    construct: Option<Construct>,
) -> (String, String, bool) {
    let name = rename(e.name().as_ref(), root);
    let local = name.rsplit(':').next().unwrap_or(&name).to_string();
    let mut attrs: Vec<(String, String)> = e
        .html_attributes()
        .with_checks(false)
        .flatten()
        .map(|a| (a.key.as_ref().to_string(), decode(&a.value)))
        .filter(|(k, _)| {
            !k.is_empty() && k.chars().all(|c| !c.is_whitespace() && c != '<' && c != '>')
        })
        .collect();
    let mut seen = std::collections::HashSet::new();
    attrs.retain(|(k, _)| seen.insert(k.clone()));
    for (_, v) in attrs.iter_mut() {
        if v == ATOM_03 {
            *v = ATOM_10.into();
        } else if v == RSS_090 {
            *v = RSS_10.into();
        }
    }
    if is_root && local == "rss" {
        attrs.retain(|(k, v)| k != "version" && (k != "xmlns" || v == RSS_10));
        attrs.insert(0, ("version".into(), "2.0".into()));
    }
    if is_root && local == "feed" && root == Root::Atom03 {
        attrs.retain(|(k, _)| k != "version");
        if !attrs.iter().any(|(k, _)| k == "xmlns") {
            attrs.push(("xmlns".into(), ATOM_10.into()));
        }
    }
    if construct == Some(Construct::Media)
        && let Some((_, t)) = attrs.iter_mut().find(|(k, _)| k == "type")
    {
        let html = matches!(t.to_ascii_lowercase().as_str(), "html" | "text/html");
        *t = if html { "html" } else { "plain" }.into();
    }
    if construct == Some(Construct::Atom) {
        let escaped = attrs.iter().any(|(k, v)| k == "mode" && v.eq_ignore_ascii_case("escaped"));
        if is_base64(e) {
            // Decoded when the element closes: what it held is usually HTML.
            attrs.retain(|(k, _)| k != "type");
            let plain = start_attr(e, "type").is_some_and(|t| t.eq_ignore_ascii_case("text/plain"));
            attrs.push(("type".into(), if plain { "text" } else { "html" }.into()));
        }
        if let Some((_, t)) = attrs.iter_mut().find(|(k, _)| k == "type") {
            let lower = t.to_ascii_lowercase();
            *t = match lower.as_str() {
                "text" | "text/plain" => "text",
                "html" | "text/html" => "html",
                "xhtml" | "application/xhtml+xml" if escaped => "html",
                "xhtml" | "application/xhtml+xml" => "xhtml",
                _ if local == "content" && lower.contains('/') => t.as_str(),
                _ => "text",
            }
            .to_string();
        }
        attrs.retain(|(k, _)| k != "mode");
    }
    let xhtml = construct == Some(Construct::Atom)
        && attrs.iter().any(|(k, v)| k == "type" && v == "xhtml");
    let mut tag = name.clone();
    for (k, v) in &attrs {
        tag.push(' ');
        tag.push_str(k);
        tag.push_str("=\"");
        escape_into(&mut tag, v);
        tag.push('"');
    }
    (name, tag, xhtml)
}

/// Escapes text for XML content or a double-quoted attribute; a bare `&` becomes `&amp;`.
fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
}

/// An HTML named entity (`nbsp`, `hellip`, ...), as feeds use them without declaring them.
fn html_entity(name: &str) -> Option<String> {
    let reference = format!("&{name};");
    let decoded = html_escape::decode_html_entities(&reference);
    (decoded != reference).then(|| decoded.into_owned())
}

fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            c if c.is_ascii_whitespace() => continue,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

/// The second attempt at a JSON Feed: fixes the shapes feed-rs's strict reader refuses (an
/// `http:` version URL, numbers or junk where it wants text, a comma-separated `tags` string, a
/// missing title, items that are not objects).
fn repair_json(text: &str) -> Option<String> {
    use serde_json::Value;
    /// Numbers become text; anything else that is not text goes.
    fn strings(obj: &mut serde_json::Map<String, Value>, keys: &[&str]) {
        for key in keys {
            match obj.get(*key) {
                Some(Value::Number(n)) => {
                    let s = n.to_string();
                    obj.insert((*key).into(), s.into());
                }
                Some(Value::String(_)) | None => {}
                Some(_) => {
                    obj.remove(*key);
                }
            }
        }
    }
    /// `author` must be an object and `authors` a list of them.
    fn people(obj: &mut serde_json::Map<String, Value>) {
        if !obj.get("author").is_none_or(Value::is_object) {
            obj.remove("author");
        }
        if let Some(Value::Array(list)) = obj.get_mut("authors") {
            list.retain(Value::is_object);
        } else {
            obj.remove("authors");
        }
        if let Some(person) = obj.get_mut("author").and_then(Value::as_object_mut) {
            strings(person, &["name", "url"]);
        }
        let authors = obj.get_mut("authors").and_then(Value::as_array_mut).into_iter().flatten();
        for person in authors.filter_map(Value::as_object_mut) {
            strings(person, &["name", "url"]);
        }
    }
    let mut feed: Value = serde_json::from_str(text.trim_start_matches('\u{feff}')).ok()?;
    let obj = feed.as_object_mut()?;
    let version = obj.get("version").and_then(Value::as_str).unwrap_or_default();
    if !version.contains("jsonfeed.org/version/") {
        return None;
    }
    obj.insert("version".into(), "https://jsonfeed.org/version/1.1".into());
    strings(
        obj,
        &["title", "home_page_url", "feed_url", "language", "description", "icon", "favicon"],
    );
    obj.entry("title").or_insert_with(|| "".into());
    people(obj);
    match obj.get_mut("items") {
        Some(Value::Array(items)) => items.retain(Value::is_object),
        _ => {
            obj.insert("items".into(), Value::Array(Vec::new()));
        }
    }
    for item in obj.get_mut("items")?.as_array_mut()? {
        let Some(item) = item.as_object_mut() else { continue };
        let keys =
            ["id", "url", "external_url", "title", "content_html", "content_text", "summary"];
        strings(item, &keys);
        strings(item, &["date_published", "date_modified"]);
        people(item);
        match item.get_mut("tags") {
            Some(Value::String(tags)) => {
                let list: Vec<Value> = tags
                    .split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(Into::into)
                    .collect();
                item.insert("tags".into(), list.into());
            }
            Some(Value::Array(tags)) => tags.retain(Value::is_string),
            Some(_) => {
                item.remove("tags");
            }
            None => {}
        }
        if let Some(Value::Array(attachments)) = item.get_mut("attachments") {
            attachments.retain(|a| a.get("url").is_some_and(Value::is_string));
            for a in attachments.iter_mut().filter_map(Value::as_object_mut) {
                if !a.get("mime_type").is_some_and(Value::is_string) {
                    a.insert("mime_type".into(), "application/octet-stream".into());
                }
                strings(a, &["title"]);
                if !a.get("size_in_bytes").is_none_or(Value::is_u64) {
                    a.remove("size_in_bytes");
                }
            }
        } else {
            item.remove("attachments");
        }
    }
    serde_json::to_string(&feed).ok()
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
    }
}

/// What an entry's reading depends on in the document around it.
struct Kind<'a> {
    literal_titles: bool,
    feed_type: model::FeedType,
    /// False when the document marks its guids `isPermaLink="false"`; worked out on demand.
    guids_are_links: std::cell::OnceCell<bool>,
    text: &'a str,
}

impl Kind<'_> {
    fn guids_are_links(&self) -> bool {
        *self.guids_are_links.get_or_init(|| {
            !self.text.match_indices("isPermaLink").any(|(i, m)| {
                let rest = self.text[i + m.len()..].trim_start();
                let value =
                    rest.strip_prefix('=').map(|v| v.trim_start().trim_start_matches(['"', '\'']));
                value.is_some_and(|v| v.get(..5).is_some_and(|f| f.eq_ignore_ascii_case("false")))
            })
        })
    }
}

fn adapt_entry(e: model::Entry, base: Option<&Url>, kind: &Kind<'_>) -> ParsedEntry {
    let literal = kind.literal_titles;
    let guid = Some(e.id.trim().to_string()).filter(|s| !s.is_empty());
    let link = pick_link(&e.links, guid.as_deref(), kind).map(|l| absolute(&l, base));
    let (published, updated) = entry_dates(&kind.feed_type, e.published, e.updated);
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
    Url::parse(s).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
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

/// A summary as HTML: HTML stays as is, plain text is escaped.
fn text_as_html(t: &model::Text) -> String {
    if is_html(t) { t.content.clone() } else { html_escape::encode_text(&t.content).into_owned() }
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
// Dates

/// Reads a feed date the lenient way feeds need. RFC 3339 / ISO 8601 (W3C-DTF, with or without
/// seconds, zone or time; a missing zone is UTC), RFC 822 / 2822 and its common corruptions:
/// any weekday (in any language) or none, full month names, two-digit years, `Dec 16 2023`
/// order, 12-hour times, named zones and asctime order. `None` rather than a guess when a
/// year, month or day is missing.
fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.to_utc());
    }
    if s.as_bytes()[0].is_ascii_digit()
        && let Some(t) = iso_date(s)
    {
        return Some(t);
    }
    if let Ok(t) = DateTime::parse_from_rfc2822(s) {
        return Some(t.to_utc());
    }
    loose_date(s)
}

/// A cursor over ASCII digits.
struct Digits<'a> {
    s: &'a [u8],
    at: usize,
}

impl Digits<'_> {
    /// Exactly `n` digits.
    fn take(&mut self, n: usize) -> Option<u32> {
        let part = self.s.get(self.at..self.at + n)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.at += n;
        Some(part.iter().fold(0, |acc, d| acc * 10 + u32::from(d - b'0')))
    }

    fn eat(&mut self, c: u8) -> bool {
        let hit = self.s.get(self.at) == Some(&c);
        self.at += usize::from(hit);
        hit
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.at).copied()
    }

    fn rest(&self) -> &str {
        std::str::from_utf8(&self.s[self.at..]).unwrap_or("")
    }
}

/// ISO 8601 as feeds write it: `2003-12-31`, `2003-12-31T10:14`, `2003-12-31 10:14:55.5 +0100`,
/// `20031231T101455Z`, `2003-12`, `2003`.
fn iso_date(s: &str) -> Option<DateTime<Utc>> {
    let mut d = Digits { s: s.as_bytes(), at: 0 };
    let year = d.take(4)? as i32;
    let (mut month, mut day) = (1, 1);
    let dashed = d.eat(b'-');
    if dashed || d.peek().is_some_and(|c| c.is_ascii_digit()) {
        month = d.take(2)?;
        if (!dashed || d.eat(b'-')) && d.peek().is_some_and(|c| c.is_ascii_digit()) {
            day = d.take(2)?;
        }
    }
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    let (mut h, mut m, mut sec) = (0, 0, 0);
    if matches!(d.peek(), Some(b'T' | b't' | b' ')) {
        d.at += 1;
        while d.eat(b' ') {}
        if d.peek().is_some_and(|c| c.is_ascii_digit()) {
            h = d.take(2)?;
            let colon = d.eat(b':');
            m = d.take(2)?;
            if (!colon || d.eat(b':')) && d.peek().is_some_and(|c| c.is_ascii_digit()) {
                sec = d.take(2)?;
            }
            if d.eat(b'.') || d.eat(b',') {
                while d.peek().is_some_and(|c| c.is_ascii_digit()) {
                    d.at += 1;
                }
            }
        }
    }
    let offset = match d.rest().trim() {
        "" => 0,
        zone => zone_offset(zone)?,
    };
    let time = date.and_hms_opt(h, m, sec.min(59))?;
    Some(time.and_utc() - chrono::Duration::seconds(i64::from(offset)))
}

/// Seconds east of UTC for `Z`, `+01:00`, `-0500`, `+01`, `GMT`, `EST`, `GMT+1`, ...
fn zone_offset(zone: &str) -> Option<i32> {
    let zone = zone.trim();
    if let Some(sign) = zone.chars().next().filter(|c| *c == '+' || *c == '-') {
        let digits: String = zone[1..].chars().filter(|c| *c != ':').collect();
        if digits.is_empty() || digits.len() > 4 || !digits.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let (h, m) = if digits.len() <= 2 {
            (digits.parse::<i32>().ok()?, 0)
        } else {
            let split = digits.len() - 2;
            (digits[..split].parse::<i32>().ok()?, digits[split..].parse::<i32>().ok()?)
        };
        if h > 14 || m > 59 {
            return None;
        }
        let secs = h * 3600 + m * 60;
        return Some(if sign == '-' { -secs } else { secs });
    }
    let upper = zone.to_ascii_uppercase();
    if let Some(i) = upper.find(['+', '-']).filter(|i| *i > 0) {
        // `GMT+1`, `UTC-05:00`
        return if named_zone(&upper[..i]) == Some(0) { zone_offset(&upper[i..]) } else { None };
    }
    named_zone(&upper).map(|h| h * 3600)
}

/// Hours east of UTC of a zone abbreviation (the RFC 822 ones, and a few common others).
fn named_zone(name: &str) -> Option<i32> {
    Some(match name {
        "Z" | "UT" | "UTC" | "GMT" | "WET" => 0,
        "EST" | "ET" | "CDT" => -5,
        "EDT" | "AST" => -4,
        "ADT" => -3,
        "CST" | "CT" | "MDT" => -6,
        "MST" | "MT" | "PDT" => -7,
        "PST" | "PT" | "AKDT" => -8,
        "AKST" => -9,
        "HST" => -10,
        "BST" | "CET" | "WEST" => 1,
        "CEST" | "EET" => 2,
        "EEST" | "MSK" => 3,
        "IST" => 5,
        "JST" | "KST" => 9,
        "AEST" => 10,
        "AEDT" => 11,
        "NZST" => 12,
        "NZDT" => 13,
        _ => return None,
    })
}

fn month_number(word: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    if word.len() < 3 {
        return None;
    }
    let word = if word == "sept" { "sep" } else { word };
    MONTHS.iter().position(|m| m.starts_with(word)).map(|i| i as u32 + 1)
}

/// RFC 822 and what feeds make of it: the words in any order a human would write them.
fn loose_date(s: &str) -> Option<DateTime<Utc>> {
    let (mut year, mut month, mut day) = (None, None, None);
    let mut time: Option<(u32, u32, u32)> = None;
    let mut pm: Option<bool> = None;
    let mut offset: Option<i32> = None;
    let lower = s.to_ascii_lowercase();
    let words = lower
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .flat_map(|w| {
            // `16-Oct-2017`
            let dashed_date = w.contains('-')
                && w.chars().any(|c| c.is_ascii_alphabetic())
                && !w.starts_with(['+', '-']);
            let parts: Vec<&str> =
                if dashed_date && !w.contains(':') { w.split('-').collect() } else { vec![w] };
            parts
        });
    for word in words {
        let first = word.chars().next()?;
        if first.is_ascii_digit() && word.contains(':') {
            // A time, perhaps with a meridiem or zone stuck to it.
            let end = word
                .find(|c: char| !(c.is_ascii_digit() || c == ':' || c == '.'))
                .unwrap_or(word.len());
            let mut parts = word[..end].split(':');
            let h = parts.next()?.parse().ok()?;
            let m = parts.next()?.parse().ok()?;
            let sec = parts.next().map_or(Some(0.0), |s| s.parse::<f64>().ok())? as u32;
            time = Some((h, m, sec));
            match &word[end..] {
                "" => {}
                "am" | "a.m." => pm = Some(false),
                "pm" | "p.m." => pm = Some(true),
                zone => offset = Some(zone_offset(zone)?),
            }
        } else if first.is_ascii_digit() {
            let digits = word.trim_end_matches(|c: char| c.is_ascii_alphabetic() || c == '.');
            if !digits.chars().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let n: u32 = digits.parse().ok()?;
            match digits.len() {
                4 if year.is_none() => year = Some(n as i32),
                1 | 2 if day.is_none() && (1..=31).contains(&n) => day = Some(n),
                2 if year.is_none() => {
                    year = Some(if n < 50 { 2000 + n as i32 } else { 1900 + n as i32 })
                }
                _ => return None,
            }
        } else if first == '+' || first == '-' {
            offset = Some(zone_offset(word)?);
        } else if matches!(word, "am" | "a.m." | "pm" | "p.m.") {
            pm = Some(word.starts_with('p'));
        } else if let Some(m) = month_number(word.trim_end_matches('.')).filter(|_| month.is_none())
        {
            month = Some(m);
        } else if let Some(o) = zone_offset(&word.to_ascii_uppercase()) {
            offset = Some(o);
        }
        // Anything else (a weekday in any language, "at", "of") is not part of the date.
    }
    let date = NaiveDate::from_ymd_opt(year?, month?, day?)?;
    let (mut h, m, sec) = time.unwrap_or((0, 0, 0));
    match pm {
        Some(true) if h < 12 => h += 12,
        Some(false) if h == 12 => h = 0,
        _ => {}
    }
    let t = date.and_hms_opt(h, m, sec.min(59))?;
    Some(t.and_utc() - chrono::Duration::seconds(i64::from(offset.unwrap_or(0))))
}

// ---------------------------------------------------------------------------------------------
// Character sets

/// Makes the bytes something feed-rs decodes correctly (CRATES.md §4.3): UTF-8, with any
/// XML declaration saying so.
/// 1. a BOM is trusted (UTF-8, UTF-16, UTF-32), then the byte pattern of `<` in UTF-16/32;
/// 2. a declaration is trusted unless the bytes are valid UTF-8 with non-ASCII in them while it
///    names another encoding (it lies), or it names UTF-16/32 for bytes that are not;
/// 3. undeclared (or UTF-8-declared) valid UTF-8 passes as it is;
/// 4. otherwise UTF-8 with a few bad bytes is kept as UTF-8 (bad bytes replaced), and anything
///    else is decoded with the HTTP charset, else windows-1252.
pub fn normalise_encoding<'a>(bytes: &'a [u8], http_charset: Option<&str>) -> Cow<'a, [u8]> {
    match to_utf8(bytes, http_charset) {
        Cow::Borrowed(s) => Cow::Borrowed(s.as_bytes()),
        Cow::Owned(s) => Cow::Owned(s.into_bytes()),
    }
}

/// [`normalise_encoding`], as text.
fn to_utf8<'a>(bytes: &'a [u8], http_charset: Option<&str>) -> Cow<'a, str> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return match std::str::from_utf8(rest) {
            Ok(s) => with_utf8_declaration(Cow::Borrowed(s)),
            Err(_) => with_utf8_declaration(Cow::Owned(legacy_or_lossy(rest, http_charset))),
        };
    }
    if let Some(wide) = wide_encoding(bytes) {
        return Cow::Owned(strip_declared_encoding(&wide));
    }
    let declared = declared_encoding(bytes);
    let utf8 = std::str::from_utf8(bytes).ok();
    let text: Cow<'a, str> = match (declared.as_deref(), utf8) {
        (None, Some(s)) => return Cow::Borrowed(s),
        (Some(e), Some(s)) if is_utf8_label(e) => return Cow::Borrowed(s),
        (None, None) => Cow::Owned(legacy_or_lossy(bytes, http_charset)),
        (Some(e), None) if is_utf8_label(e) || is_wide_label(e) => {
            Cow::Owned(legacy_or_lossy(bytes, http_charset))
        }
        // Valid UTF-8: either the declaration lies (non-ASCII that is valid UTF-8 is very
        // rarely anything else), or the text is ASCII, which every declared encoding reads alike.
        (Some(_), Some(s)) => Cow::Borrowed(s),
        (Some(e), None) => match encoding_rs::Encoding::for_label(e.as_bytes()) {
            Some(enc) => Cow::Owned(enc.decode(bytes).0.into_owned()),
            // An encoding nobody knows: the HTTP charset or windows-1252.
            None => Cow::Owned(legacy_or_lossy(bytes, http_charset)),
        },
    };
    with_utf8_declaration(text)
}

/// Bytes that are not valid UTF-8: mostly-UTF-8 with a few bad bytes stays UTF-8 (the bad
/// bytes replaced), anything else is read in the HTTP charset, else windows-1252.
fn legacy_or_lossy(bytes: &[u8], http_charset: Option<&str>) -> String {
    let http = http_charset.and_then(|c| encoding_rs::Encoding::for_label(c.trim().as_bytes()));
    if http.is_none_or(|e| e == encoding_rs::UTF_8) && mostly_utf8(bytes) {
        return String::from_utf8_lossy(bytes).into_owned();
    }
    let enc = http.filter(|e| *e != encoding_rs::UTF_8).unwrap_or(encoding_rs::WINDOWS_1252);
    enc.decode_without_bom_handling(bytes).0.into_owned()
}

/// More valid multi-byte UTF-8 sequences than invalid bytes.
fn mostly_utf8(bytes: &[u8]) -> bool {
    let (mut good, mut bad) = (0usize, 0usize);
    let mut rest = bytes;
    loop {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                good += s.bytes().filter(|b| *b >= 0xC0).count();
                break;
            }
            Err(e) => {
                let (valid, after) = rest.split_at(e.valid_up_to());
                good += valid.iter().filter(|b| **b >= 0xC0).count();
                bad += 1;
                rest = &after[e.error_len().unwrap_or(after.len()).min(after.len())..];
            }
        }
    }
    good > bad
}

/// UTF-16 and UTF-32 documents, by BOM or by the bytes of their first `<`, decoded.
fn wide_encoding(bytes: &[u8]) -> Option<String> {
    let utf32 = |data: &[u8], big: bool| -> String {
        data.chunks_exact(4)
            .map(|c| {
                let n = if big {
                    u32::from_be_bytes([c[0], c[1], c[2], c[3]])
                } else {
                    u32::from_le_bytes([c[0], c[1], c[2], c[3]])
                };
                char::from_u32(n).unwrap_or('\u{fffd}')
            })
            .collect()
    };
    let utf16 = |data: &[u8], enc: &'static encoding_rs::Encoding| -> String {
        enc.decode_without_bom_handling(data).0.into_owned()
    };
    Some(match bytes {
        [0x00, 0x00, 0xFE, 0xFF, rest @ ..] => utf32(rest, true),
        [0xFF, 0xFE, 0x00, 0x00, rest @ ..] => utf32(rest, false),
        [0x00, 0x00, 0x00, b'<', ..] => utf32(bytes, true),
        [b'<', 0x00, 0x00, 0x00, ..] => utf32(bytes, false),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, encoding_rs::UTF_16BE),
        [0xFF, 0xFE, rest @ ..] => utf16(rest, encoding_rs::UTF_16LE),
        [0x00, b'<', ..] | [0x00, b'\n' | b'\r' | b' ' | b'\t', 0x00, _, ..] => {
            utf16(bytes, encoding_rs::UTF_16BE)
        }
        [b'<', 0x00, ..] | [b'\n' | b'\r' | b' ' | b'\t', 0x00, _, 0x00, ..] => {
            utf16(bytes, encoding_rs::UTF_16LE)
        }
        _ => return None,
    })
}

fn is_utf8_label(e: &str) -> bool {
    e.eq_ignore_ascii_case("utf-8") || e.eq_ignore_ascii_case("utf8")
}

fn is_wide_label(e: &str) -> bool {
    let e = e.to_ascii_lowercase();
    e.starts_with("utf-16") || e.starts_with("utf-32") || e.starts_with("ucs") || e == "unicode"
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

/// UTF-8 text whose declaration, if it names an encoding, names UTF-8: quick-xml would
/// otherwise decode it a second time.
fn with_utf8_declaration(text: Cow<'_, str>) -> Cow<'_, str> {
    match declared_encoding(text.as_bytes()) {
        Some(e) if !is_utf8_label(&e) => Cow::Owned(strip_declared_encoding(&text)),
        _ => text,
    }
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

// ---------------------------------------------------------------------------------------------
// `roundup parse --json`

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
        let mut bytes =
            b"<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>A"
                .to_vec();
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

    fn bare(doc: &str) -> ParsedFeed {
        parse_feed(doc.as_bytes(), None, None).unwrap()
    }

    fn date(s: &str) -> Option<String> {
        parse_date(s).map(crate::timefmt::rfc3339)
    }

    #[test]
    fn rss_without_a_known_version_is_read_as_rss_2() {
        for root in
            ["<rss>", "<rss version=\"0.94\">", "<rss version=\"2.01\">", "<rss version=\"0.90\">"]
        {
            let f = bare(&format!(
                "{root}<channel><title>T</title><item><title>I</title></item></channel></rss>"
            ));
            assert_eq!(f.title.as_deref(), Some("T"), "{root}");
            assert_eq!(f.entries.len(), 1, "{root}");
        }
    }

    #[test]
    fn rss_in_a_foreign_default_namespace_is_read() {
        let f = bare(
            r#"<rss version="2.0" xmlns="http://backend.userland.com/rss2"><channel><title>T</title></channel></rss>"#,
        );
        assert_eq!(f.title.as_deref(), Some("T"));
    }

    #[test]
    fn atom_0_3_is_read_as_atom_1_0() {
        let f = bare(
            r#"<?xml version="1.0"?><feed version="0.3" xmlns="http://purl.org/atom/ns#">
            <title type="text/plain" mode="escaped">Old &amp; good</title>
            <link rel="alternate" type="text/html" href="http://example.org/"/>
            <modified>2004-01-01T19:48:21Z</modified>
            <entry><title type="text/html" mode="escaped">&lt;b&gt;Bold&lt;/b&gt; move</title>
            <link rel="alternate" href="http://example.org/1"/><issued>2003-12-31T10:14:55Z</issued>
            <modified>2004-01-02T00:00:00Z</modified><created>2003-01-01T00:00:00Z</created></entry></feed>"#,
        );
        assert_eq!(f.title.as_deref(), Some("Old & good"));
        assert_eq!(f.link.as_deref(), Some("http://example.org/"));
        assert_eq!(f.updated.map(crate::timefmt::rfc3339).as_deref(), Some("2004-01-01T19:48:21Z"));
        let e = &f.entries[0];
        assert_eq!(e.title.as_deref(), Some("Bold move"));
        assert_eq!(
            e.published.map(crate::timefmt::rfc3339).as_deref(),
            Some("2003-12-31T10:14:55Z")
        );
        assert_eq!(e.updated.map(crate::timefmt::rfc3339).as_deref(), Some("2004-01-02T00:00:00Z"));
    }

    #[test]
    fn rss_0_90_is_read_as_rss_1_0() {
        let f = bare(
            r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://my.netscape.com/rdf/simple/0.9/">
            <channel><title>T</title></channel><item><title>I</title><link>http://example.org/i</link></item></rdf:RDF>"#,
        );
        assert_eq!(f.title.as_deref(), Some("T"));
        assert_eq!(f.entries[0].link.as_deref(), Some("http://example.org/i"));
    }

    #[test]
    fn rss_1_0_items_without_a_link_are_kept_with_their_rdf_about() {
        let f = bare(
            r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
            <channel rdf:about="http://example.org/"><title>T</title></channel>
            <item rdf:about="http://example.org/1"><title>One</title></item>
            <item><title>Two</title></item>
            <item rdf:about="http://example.org/3"><title>Three</title><link>http://example.org/three</link></item>
            </rdf:RDF>"#,
        );
        let links: Vec<_> = f.entries.iter().map(|e| e.link.as_deref()).collect();
        assert_eq!(links, [Some("http://example.org/1"), None, Some("http://example.org/three")]);
    }

    #[test]
    fn undefined_entities_and_bare_ampersands_do_not_lose_the_feed() {
        let f = bare(
            "<rss version=\"2.0\"><channel><title>AT&T &hellip; &cap; &bogus;</title>\
             <item><title>Q&amp;A</title><link>http://example.org/?a=1&b=2</link></item></channel></rss>",
        );
        assert_eq!(f.title.as_deref(), Some("AT&T \u{2026} \u{2229} &bogus;"));
        assert_eq!(f.entries[0].title.as_deref(), Some("Q&A"));
        assert_eq!(f.entries[0].link.as_deref(), Some("http://example.org/?a=1&b=2"));
    }

    #[test]
    fn a_truncated_document_keeps_what_came_before_the_damage() {
        let f = bare(
            "<rss version=\"2.0\"><channel><title>T</title><item><title>One</title></item>\
             <item><title>Two</title></item><item><title>Thr",
        );
        assert_eq!(f.entries.len(), 3);
        assert_eq!(f.entries[1].title.as_deref(), Some("Two"));
    }

    #[test]
    fn empty_elements_feed_rs_refuses_are_dropped_not_the_feed() {
        let f = bare(
            r#"<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>T</title>
            <item><title>One</title><media:content url="http://example.org/a.jpg"><media:title><![CDATA[]]></media:title>
            <media:credit/></media:content></item></channel></rss>"#,
        );
        assert_eq!(f.entries[0].title.as_deref(), Some("One"));
        let f = bare(
            r#"<feed xmlns="http://www.w3.org/2005/Atom"><title/><entry><title></title><summary type="html"></summary><id>x</id></entry></feed>"#,
        );
        assert_eq!(f.entries.len(), 1);
    }

    #[test]
    fn the_second_attempt_keeps_xhtml_and_media_elements_feed_rs_reads() {
        // The bare `&` sends the document to the second attempt.
        let f = bare(
            r#"<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/">
            <title>A & B</title><entry><id>x</id><title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">One</div></title>
            <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>a<br/>b</p><p></p></div></content>
            <media:group><media:title type="text">Pic</media:title><media:description type="html"></media:description>
            <media:content url="http://example.org/a.jpg"/></media:group></entry></feed>"#,
        );
        assert_eq!(f.title.as_deref(), Some("A & B"));
        let e = &f.entries[0];
        assert_eq!(e.title.as_deref(), Some("One"));
        let content = e.content_html.as_deref().unwrap();
        assert!(content.contains("<br") && content.contains("<p></p>"), "{content}");
    }

    #[test]
    fn base64_atom_titles_are_decoded() {
        let f = bare(
            r#"<feed xmlns="http://www.w3.org/2005/Atom"><title type="application/octet-stream">
            PHA+SGlzdG9yeSBvZiB0aGUgJmx0O2JsaW5rJmd0OyB0YWc8L3A+</title></feed>"#,
        );
        assert_eq!(f.title.as_deref(), Some("History of the <blink> tag"));
    }

    #[test]
    fn items_straight_under_rss_get_a_channel() {
        let f = bare("<rss><item><title>Lost</title></item></rss>");
        assert_eq!(f.entries[0].title.as_deref(), Some("Lost"));
        let f = bare(
            "<rss><bogus xmlns=\"http://www.w3.org/1999/xlink\"/><channel><title>T</title></channel></rss>",
        );
        assert_eq!(f.title.as_deref(), Some("T"));
    }

    #[test]
    fn dc_date_is_the_updated_date_and_never_overwrites_pub_date() {
        let f = bare(
            r#"<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>
            <item><pubDate>Mon, 16 Oct 2017 15:10:00 +0000</pubDate><dc:date>1518478934</dc:date></item>
            <item><dc:date>2017-10-17T22:17:00Z</dc:date></item></channel></rss>"#,
        );
        assert_eq!(
            f.entries[0].published.map(crate::timefmt::rfc3339).as_deref(),
            Some("2017-10-16T15:10:00Z")
        );
        assert_eq!(f.entries[1].published, None);
        assert_eq!(
            f.entries[1].updated.map(crate::timefmt::rfc3339).as_deref(),
            Some("2017-10-17T22:17:00Z")
        );
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
    fn dublin_core_terms_and_titles_are_read_in_rss() {
        let f = bare(
            r#"<rss version="2.0" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dc="http://purl.org/dc/elements/1.1/">
            <channel><dc:title>T</dc:title><item><dcterms:issued>2003-12-31T10:14:55Z</dcterms:issued>
            <dcterms:modified>2004-01-01T00:00:00Z</dcterms:modified></item></channel></rss>"#,
        );
        assert_eq!(f.title.as_deref(), Some("T"));
        assert_eq!(
            f.entries[0].published.map(crate::timefmt::rfc3339).as_deref(),
            Some("2003-12-31T10:14:55Z")
        );
        assert_eq!(
            f.entries[0].updated.map(crate::timefmt::rfc3339).as_deref(),
            Some("2004-01-01T00:00:00Z")
        );
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

    fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
        text.encode_utf16()
            .flat_map(|u| if big_endian { u.to_be_bytes() } else { u.to_le_bytes() })
            .collect()
    }

    #[test]
    fn utf16_and_utf32_documents_are_decoded_with_or_without_a_bom() {
        let doc = "<?xml version=\"1.0\" encoding=\"utf-16\"?><rss version=\"2.0\"><channel><title>Gr\u{fc}\u{df}e \u{2603}</title></channel></rss>";
        let mut with_bom = vec![0xFF, 0xFE];
        with_bom.extend(utf16(doc, false));
        let utf32: Vec<u8> = doc.chars().flat_map(|c| (c as u32).to_be_bytes()).collect();
        for bytes in [utf16(doc, true), utf16(doc, false), with_bom, utf32] {
            let f = parse_feed(&bytes, None, None).unwrap();
            assert_eq!(f.title.as_deref(), Some("Gr\u{fc}\u{df}e \u{2603}"));
        }
    }

    #[test]
    fn a_declaration_naming_utf16_for_ascii_bytes_is_ignored() {
        let f = bare(
            "<?xml version=\"1.0\" encoding=\"utf-16\"?><rss version=\"2.0\"><channel><title>T</title></channel></rss>",
        );
        assert_eq!(f.title.as_deref(), Some("T"));
    }

    #[test]
    fn a_late_declaration_naming_another_encoding_does_not_panic() {
        // quick-xml may switch encodings only in a document's first 64 bytes.
        let mut bytes = " ".repeat(100).into_bytes();
        bytes.extend_from_slice(b"<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><rss version=\"2.0\"><channel><title>Caf");
        bytes.push(0xE9);
        bytes.extend_from_slice(b"</title><item><title>x<?xml version=\"1.0\" encoding=\"koi8-r\"?></title></item></channel></rss>");
        let f = parse_feed(&bytes, None, None).unwrap();
        assert_eq!(f.title.as_deref(), Some("Caf\u{e9}"));
        assert_eq!(f.entries.len(), 1);
    }

    #[test]
    fn declared_utf8_that_is_latin1_is_read_as_windows_1252_but_a_stray_bad_byte_is_not() {
        let mut bytes =
            b"<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>Caf"
                .to_vec();
        bytes.push(0xE9);
        bytes.extend_from_slice(b"</title></channel></rss>");
        assert_eq!(parse_feed(&bytes, None, None).unwrap().title.as_deref(), Some("Caf\u{e9}"));
        let mut bytes = "<rss version=\"2.0\"><channel><title>\u{e9}t\u{e9} ".as_bytes().to_vec();
        bytes.push(0xFF);
        bytes.extend_from_slice(b"</title></channel></rss>");
        assert_eq!(
            parse_feed(&bytes, None, None).unwrap().title.as_deref(),
            Some("\u{e9}t\u{e9} \u{fffd}")
        );
    }

    #[test]
    fn json_feeds_feed_rs_finds_too_loose_are_read_on_the_second_attempt() {
        let doc = r#"{"version":"http://jsonfeed.org/version/1","title":"J","home_page_url":"https://example.org/",
            "author":{"name":7},"items":["junk",{"id":42,"url":"https://example.org/1","title":"One","tags":"a,b",
            "content_text":"x","date_published":"2018-01-06T08:00","attachments":[{"url":"https://example.org/a.mp3"}]},
            {"id":"2","tags":["c",3],"date_modified":false}]}"#;
        let f = bare(doc);
        assert_eq!(f.link.as_deref(), Some("https://example.org/"));
        assert_eq!(f.entries.len(), 2);
        let e = &f.entries[0];
        assert_eq!(e.guid.as_deref(), Some("42"));
        assert_eq!(e.categories, ["a", "b"]);
        assert_eq!(e.author.as_deref(), Some("7"));
        let published = e.published.map(crate::timefmt::rfc3339);
        assert_eq!(published.as_deref(), Some("2018-01-06T08:00:00Z"));
        assert_eq!(f.entries[1].categories, ["c"]);
    }

    #[test]
    fn feed_dates_are_read_in_the_forms_feeds_write_them() {
        let cases = [
            ("2003-12-31T10:14:55Z", "2003-12-31T10:14:55Z"),
            ("2003-12-31T10:14:55.123-08:00", "2003-12-31T18:14:55Z"),
            ("2003-12-31T10:14:55+0100", "2003-12-31T09:14:55Z"),
            ("2018-01-06T08:00", "2018-01-06T08:00:00Z"),
            ("2003-12-31 10:14:55 +01:00", "2003-12-31T09:14:55Z"),
            ("20031231T101455Z", "2003-12-31T10:14:55Z"),
            ("2003-12-31", "2003-12-31T00:00:00Z"),
            ("2003-12", "2003-12-01T00:00:00Z"),
            ("Tue, 10 Jun 2003 04:00:00 GMT", "2003-06-10T04:00:00Z"),
            ("Wed, 3 Jun 2020 15:20:44 PST", "2020-06-03T23:20:44Z"),
            ("Mon, 03 Mar 2014 09:30 EDT", "2014-03-03T13:30:00Z"),
            ("Thu, 01 Jan 04 19:48:21 GMT", "2004-01-01T19:48:21Z"),
            ("mer, 16 nov 2022 00:38:15 +0100", "2022-11-15T23:38:15Z"),
            ("Sat, Dec 16 2023 02:02:33 PM", "2023-12-16T14:02:33Z"),
            ("Sun, 15 Dec 2024 12:15 PM", "2024-12-15T12:15:00Z"),
            ("Sun Jan  4 16:29:06 PST 2004", "2004-01-05T00:29:06Z"),
            ("16 October 2017 15:10 GMT+1", "2017-10-16T14:10:00Z"),
            ("Mon, 16-Oct-2017 15:10:00 +0000", "2017-10-16T15:10:00Z"),
        ];
        for (text, want) in cases {
            assert_eq!(date(text).as_deref(), Some(want), "{text}");
        }
        for junk in [
            "",
            "1518478934",
            "soon",
            "Seg, 12 Set 2016 10:00:00 -0300",
            "2003-13-45",
            "Mon, 31 Feb 2003",
        ] {
            assert_eq!(date(junk), None, "{junk}");
        }
    }
}
