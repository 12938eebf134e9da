//! The lenient second attempt: a document feed-rs refused (or would misread) rewritten into one
//! it reads.
//!
//! Owns: XML repair (HTML and undefined entities, bare `&`, unclosed and stray end tags, the
//! DOCTYPE, comments and declarations dropped, RSS given a version and a channel, Atom 0.3 and
//! RSS 0.90 written as Atom 1.0 and RSS 1.0, text constructs with a MIME type or base64 content
//! made readable, empty elements feed-rs refuses dropped, RSS 1.0 items given a link), and JSON
//! Feed repair.
//! Does not own: when to repair (`parse_feed`), which dialect a document is or the names its
//! elements should have (`dialect`), character sets (`charset`), or anything feed-rs reads.

use quick_xml::events::{BytesStart, Event};

use super::dialect::{ATOM_03, ATOM_10, RSS_10, RSS_090, Root, rename};
use super::{Budget, ParseError};
use crate::html_text::decode;

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

/// The elements open in [`repair_xml`]'s output, innermost last, with counts kept as they open
/// and close so that no tag has to scan them: how many hold markup, and how many of each name
/// are open.
#[derive(Default)]
struct Open {
    frames: Vec<Frame>,
    /// Open frames with `markup` set.
    markup: usize,
    /// Open frames by name.
    names: std::collections::HashMap<String, usize>,
}

impl Open {
    fn push(&mut self, frame: Frame) {
        self.markup += usize::from(frame.markup);
        *self.names.entry(frame.name.clone()).or_default() += 1;
        self.frames.push(frame);
    }

    fn pop(&mut self) -> Option<Frame> {
        let frame = self.frames.pop()?;
        self.markup -= usize::from(frame.markup);
        if let Some(n) = self.names.get_mut(&frame.name) {
            *n -= 1;
            if *n == 0 {
                self.names.remove(&frame.name);
            }
        }
        Some(frame)
    }

    /// Whether an element of this name is open.
    fn contains(&self, name: &str) -> bool {
        self.names.contains_key(name)
    }

    fn last_mut(&mut self) -> Option<&mut Frame> {
        self.frames.last_mut()
    }

    fn len(&self) -> usize {
        self.frames.len()
    }

    fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }
}

/// Elements nested deeper than this are flattened: their start and end tags go, their content
/// stays in the element around them. Feeds nest a few levels (XHTML content a few dozen); a
/// hostile document nests 100,000, which feed-rs would then have to read.
const MAX_DEPTH: usize = 256;

/// The link given to an RSS 1.0 item with neither `<link>` nor `rdf:about` so that feed-rs
/// keeps it; [`pick_link`](super::pick_link) never picks it.
pub(super) const NO_LINK: &str = "roundup:no-link";

/// The lenient second reading: re-writes the document as well-formed XML feed-rs can read.
///
/// Undefined entities become characters (HTML's) or text, bare `&` is escaped, unclosed and
/// stray end tags are mended, the DOCTYPE, comments and declarations go, RSS gets a version, a
/// channel and loses a foreign default namespace, Atom 0.3 and RSS 0.90 become Atom 1.0 and
/// RSS 1.0, text constructs with a MIME type or base64 content are made readable, and empty
/// elements feed-rs would refuse are dropped.
///
/// Linear in the document (issue 10: a scan of the open elements per tag made 100,000 unclosed
/// `<item><title>` take half a minute): what a tag needs to know of the open elements is kept
/// as counts ([`Open`]), and nesting deeper than [`MAX_DEPTH`] is flattened.
pub(super) fn repair_xml(text: &str, budget: &Budget) -> Result<String, ParseError> {
    let mut reader = quick_xml::Reader::from_str(text);
    let config = reader.config_mut();
    config.allow_dangling_amp = true;
    config.allow_unmatched_ends = true;
    config.check_end_names = false;
    config.check_comments = false;
    config.trim_text(false);
    let mut out = String::with_capacity(text.len() + 128);
    let mut open = Open::default();
    // Start tags flattened at MAX_DEPTH, by name: their end tags are dropped too.
    let mut flattened: std::collections::HashMap<String, usize> = Default::default();
    let mut root = Root::Other;
    let mut channel = false;
    // At damage the reading stops: what came before is kept, open elements are closed below.
    let mut events: u32 = 0;
    while let Ok(event) = reader.read_event() {
        events = events.wrapping_add(1);
        if events.is_multiple_of(4096) {
            budget.check()?;
        }
        match event {
            // A second root: the document has ended.
            Event::Start(_) | Event::Empty(_) if open.is_empty() && !out.is_empty() => break,
            Event::Start(ref e) if open.len() >= MAX_DEPTH => {
                *flattened.entry(rename(e.name().as_ref(), root)).or_default() += 1;
            }
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
                let in_markup = open.markup > 0;
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
                if let Some(n) = flattened.get_mut(&name).filter(|n| **n > 0) {
                    *n -= 1;
                    continue;
                }
                // A stray end tag costs nothing; a matching one is found scanning down the
                // elements it closes, so the scan is paid for by the closing.
                if !open.contains(&name) {
                    continue;
                }
                let Some(depth) = open.frames.iter().rposition(|f| f.name == name) else {
                    continue;
                };
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
    Ok(out)
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
fn close(out: &mut String, open: &mut Open, missing_channel: bool) {
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
            // The low byte: the bits above it were pushed already.
            out.push((acc >> bits).to_le_bytes()[0]);
        }
    }
    Some(out)
}

/// The second attempt at a JSON Feed: fixes the shapes feed-rs's strict reader refuses (an
/// `http:` version URL, numbers or junk where it wants text, a comma-separated `tags` string, a
/// missing title, items that are not objects).
pub(super) fn repair_json(text: &str) -> Option<String> {
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{MAX_DEPTH, repair_xml};
    use crate::parse::Budget;
    use crate::parse::tests::bare;

    #[test]
    fn nesting_past_the_limit_is_flattened_its_text_kept_and_its_end_tags_dropped() {
        let doc = format!(
            "<rss version=\"2.0\"><channel><item><title>a{}b{}</title><link>L</link>",
            "<i>".repeat(1000),
            "</i>".repeat(1000)
        );
        let out = repair_xml(&doc, &Budget::of(Duration::from_secs(60))).unwrap();
        let kept = MAX_DEPTH - 4; // rss, channel, item, title
        let want = format!(
            "<rss version=\"2.0\"><channel><item><title>a{}b{}</title><link>L</link></item>\
             </channel></rss>",
            "<i>".repeat(kept),
            "</i>".repeat(kept)
        );
        assert_eq!(out, want);
    }

    #[test]
    fn stray_end_tags_close_nothing() {
        let doc = "<feed><entry><title>x</nope></title></wrong></entry></feed>";
        let out = repair_xml(doc, &Budget::of(Duration::from_secs(60))).unwrap();
        assert_eq!(out, "<feed><entry><title>x</title></entry></feed>");
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
}
