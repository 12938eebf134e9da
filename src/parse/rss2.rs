//! Plain RSS 2.0, read directly: what feed-rs and [`adapt`](super::adapt) together make of
//! the commonest feed document, in one pass of quick-xml over the text, or nothing at all when
//! the document strays from what this reading covers (then feed-rs reads it as before).
//!
//! Owns: that reading, and the line it draws; and the way through a document that it shares
//! with [`atom`](super::atom): [`Doc`] (elements, their namespaces, an element's text as feed-rs
//! takes it) and links as feed-rs makes them. feed-rs builds an owned tree node (name,
//! attributes, base URL) for every element of a document and resolves every link twice; on the
//! fetch bench it was half of what a parsing thread spends on a feed (callgrind, `parse_farm`).
//! Here each element is a borrowed slice, names are put in their namespaces from the root's
//! declarations when only the root declares any (nearly always), and only the fields `adapt`
//! keeps are made.
//! Does not own: which documents reach it (RSS 2.0 as [`sniff`](super::dialect::sniff) finds it,
//! after the renames of [`rename_rss_elements`](super::dialect::rename_rss_elements)), dates
//! ([`parse_date`]), or the choice of a link over an id (shared with `adapt`).
//!
//! The line: this reading gives up (returns `None`) on anything it cannot promise to read as
//! feed-rs does: an ill-formed document or character reference, a DOCTYPE, a declared encoding
//! other than UTF-8, `xml:base` anywhere, a version other than `2.0` (or empty), Media RSS
//! elements in an item (feed-rs refuses some of them outright), and an author with an `@` (feed-rs
//! splits an address from a name). Unit tests hold it to feed-rs's reading over the shared
//! corpus, as it is and damaged at seeded places; feeds that take the other road lose nothing
//! but time.

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::{NsReader, Reader};
use url::Url;

use super::charset::is_utf8_label;
use super::dates::parse_date;
use super::repair::NO_LINK;
use super::{absolute, clean_person_name, guids_are_links, is_web_address};
use crate::html_text::plain_title;
use crate::model::{ParsedEntry, ParsedFeed};

/// `text` (UTF-8, as `parse_feed` has prepared it) read as RSS 2.0, or `None` to leave it to
/// feed-rs.
pub(super) fn read(text: &str, base: Option<&Url>) -> Option<ParsedFeed> {
    // feed-rs resolves links against each `xml:base`, and refuses a document whose `xml:base`
    // is no URL: not worth following here.
    if !fit_to_read_directly(text) || memchr::memmem::find(text.as_bytes(), b"xml:base").is_some() {
        return None;
    }
    let mut doc = Doc::new(text, Ns::Rss);
    let root = doc.root()?;
    if local_name(&root) != "rss"
        || !matches!(attribute(&root, "version")?.as_deref(), Some("2.0" | ""))
    {
        return None;
    }
    // The first child named `channel`, whatever its namespace (as feed-rs finds it).
    loop {
        let child = doc.next_child()?;
        let (_, start) = child?;
        if local_name(&start) == "channel" {
            break;
        }
        doc.skip()?;
    }
    let mut feed = ParsedFeed::default();
    let mut links = Links::default();
    let mut guids = GuidLinks::new(text);
    while let Some((ns, start)) = doc.next_child()? {
        match (ns, local_name(&start)) {
            (Ns::Rss, "title") => {
                feed.title = doc.text()?.and_then(|t| title(&t));
            }
            (Ns::Rss, "link") => {
                if let Some(t) = doc.text()? {
                    links.push(Href::new(&t, base), None);
                }
            }
            (Ns::Atom, "link") => {
                if let Some(href) = attribute(&start, "href")? {
                    let rel = attribute(&start, "rel")?.unwrap_or_else(|| "alternate".to_string());
                    links.push(Href::new(&href, base), Some(rel));
                }
                doc.skip()?;
            }
            (Ns::Rss, "lastBuildDate" | "updated") => {
                feed.updated = doc.text()?.and_then(|t| parse_date(&t));
            }
            (Ns::Rss, "ttl") => {
                if let Some(ttl) = doc.text()?.and_then(|t| t.parse::<u32>().ok()) {
                    feed.ttl_minutes = Some(ttl);
                }
            }
            (Ns::Rss, "item") => feed.entries.push(item(&mut doc, base, &mut guids)?),
            _ => doc.skip()?,
        }
    }
    feed.link = links.page(base);
    Some(feed)
}

/// False for a text feed-rs would not read as XML from its first byte on: one with a byte order
/// mark (which feed-rs drops), or with a `{` before any `<` in its first 8 KiB (feed-rs reads
/// that as JSON).
pub(super) fn fit_to_read_directly(text: &str) -> bool {
    let head = &text.as_bytes()[..text.len().min(8192)];
    !text.starts_with('\u{feff}')
        && memchr::memchr2(b'<', b'{', head).is_some_and(|i| head[i] == b'<')
}

/// One `<item>`, its start tag read.
fn item(doc: &mut Doc<'_>, base: Option<&Url>, guids: &mut GuidLinks<'_>) -> Option<ParsedEntry> {
    let mut entry = ParsedEntry::default();
    let mut links = Links::default();
    let mut id = String::new();
    let mut authors: Vec<String> = Vec::new();
    while let Some((ns, start)) = doc.next_child()? {
        match (ns, local_name(&start)) {
            (Ns::Rss, "title") => entry.title = doc.text()?.and_then(|t| title(&t)),
            (Ns::Rss, "link") => {
                if let Some(t) = doc.text()? {
                    links.push(Href::new(&t, base), None);
                }
            }
            (Ns::Rss, "description") => {
                entry.summary_html =
                    doc.text()?.map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
            }
            (Ns::Rss, "author") | (Ns::DublinCore, "creator") => {
                if let Some(t) = doc.text()? {
                    // feed-rs takes an address out of the text; without an `@` there is none.
                    if t.contains('@') {
                        return None;
                    }
                    authors.push(clean_person_name(t.trim()));
                }
            }
            (Ns::Rss, "category") => {
                if let Some(t) = doc.text()?.map(|t| t.trim().to_string()).filter(|t| !t.is_empty())
                {
                    entry.categories.push(t);
                }
            }
            (Ns::Rss, "guid") => {
                if let Some(t) = doc.text()? {
                    id = t.trim().to_string();
                }
            }
            (Ns::Rss, "pubDate") | (Ns::DublinCore, "date") => {
                entry.published = doc.text()?.and_then(|t| parse_date(&t));
            }
            (Ns::Rss | Ns::Atom, "updated") => {
                entry.updated = doc.text()?.and_then(|t| parse_date(&t));
            }
            (Ns::Content, "encoded") => {
                // Kept as it is (untrimmed) when there is anything in it, as feed-rs does.
                entry.content_html = doc.text()?.filter(|t| !t.trim().is_empty());
            }
            (Ns::MediaRss, _) => return None,
            _ => doc.skip()?,
        }
    }
    // feed-rs copies a published date into a missing updated one; `adapt` takes it out again.
    let updated = entry.updated.or(entry.published);
    entry.updated = updated.filter(|u| Some(*u) != entry.published);
    entry.guid = Some(id).filter(|id| !id.is_empty());
    entry.link = links.page(base).or_else(|| {
        let id = entry.guid.as_deref().filter(|id| is_web_address(id))?;
        guids.are_links().then(|| absolute(id, base))
    });
    let names: Vec<String> = authors.into_iter().filter(|n| !n.is_empty()).collect();
    entry.author = (!names.is_empty()).then(|| names.join(", "));
    Some(entry)
}

/// A title as `adapt` makes one of an RSS title (HTML or not, it is read as HTML).
fn title(t: &str) -> Option<String> {
    Some(plain_title(t.trim())).filter(|t| !t.is_empty())
}

/// Whether the document's guids are permalinks, worked out once and only when needed.
pub(super) struct GuidLinks<'a> {
    text: &'a str,
    are_links: Option<bool>,
}

impl<'a> GuidLinks<'a> {
    pub(super) fn new(text: &'a str) -> GuidLinks<'a> {
        GuidLinks { text, are_links: None }
    }

    pub(super) fn are_links(&mut self) -> bool {
        *self.are_links.get_or_insert_with(|| guids_are_links(self.text))
    }
}

/// The links of a channel or an item, in document order: each href as feed-rs makes it, and the
/// `rel` of an Atom link.
#[derive(Default)]
pub(super) struct Links(Vec<(Href, Option<String>)>);

/// An href as feed-rs keeps it.
pub(super) struct Href {
    text: String,
    /// True when `text` is an http(s) URL as the `url` crate writes one: it reads back as
    /// itself, so `absolute` need not parse it again (it was a third of this reading's time).
    normal: bool,
}

impl Href {
    /// Resolved against the base and normalised when it parses as a URL, else as written;
    /// trimmed.
    pub(super) fn new(href: &str, base: Option<&Url>) -> Href {
        let parsed = match Url::parse(href) {
            Ok(url) => Some(url),
            Err(url::ParseError::RelativeUrlWithoutBase) => base.and_then(|b| b.join(href).ok()),
            Err(_) => None,
        };
        match parsed {
            Some(url) => Href {
                normal: matches!(url.scheme(), "http" | "https"),
                text: url.as_str().trim().to_string(),
            },
            None => Href { text: href.trim().to_string(), normal: false },
        }
    }
}

impl Links {
    pub(super) fn push(&mut self, href: Href, rel: Option<String>) {
        self.0.push((href, rel));
    }

    /// The page: the first link that is an alternate one, made absolute.
    pub(super) fn page(self, base: Option<&Url>) -> Option<String> {
        self.0
            .into_iter()
            .filter(|(href, _)| !href.text.trim().is_empty() && href.text != NO_LINK)
            .find(|(_, rel)| {
                rel.as_deref().is_none_or(|r| r.trim().eq_ignore_ascii_case("alternate"))
            })
            .map(|(href, _)| if href.normal { href.text } else { absolute(href.text.trim(), base) })
    }
}

/// The namespaces feed-rs tells apart. A name in no namespace, or with a prefix no one declared,
/// is in the document's own (RSS's or Atom's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ns {
    Rss,
    Atom,
    Content,
    DublinCore,
    MediaRss,
    Other,
}

impl Ns {
    fn of(resolved: &ResolveResult<'_>, own: Ns) -> Ns {
        match resolved {
            ResolveResult::Bound(ns) => Ns::named(ns.as_ref()),
            ResolveResult::Unbound | ResolveResult::Unknown(_) => own,
        }
    }

    /// The namespace whose name is `uri`.
    fn named(uri: &str) -> Ns {
        match uri {
            "http://purl.org/rss/1.0/" => Ns::Rss,
            "http://www.w3.org/2005/Atom" => Ns::Atom,
            "http://purl.org/rss/1.0/modules/content/" => Ns::Content,
            "http://purl.org/dc/elements/1.1/" => Ns::DublinCore,
            "http://search.yahoo.com/mrss/" => Ns::MediaRss,
            _ => Ns::Other,
        }
    }
}

/// The reader settings feed-rs reads with.
fn configure(config: &mut quick_xml::reader::Config) {
    config.expand_empty_elements = true;
    config.trim_markup_names_in_closing_tags = true;
    config.trim_text(false);
}

/// The element's name without its prefix (after the last `:`, as feed-rs has it).
pub(super) fn local_name<'a>(start: &'a BytesStart<'_>) -> &'a str {
    let name: &'a str = start.name().into_inner();
    name.rsplit(':').next().unwrap_or(name)
}

/// The unescaped value of the attribute whose name is `name` (prefix and all). `None` (give up)
/// when an attribute is ill-formed: feed-rs would skip it and perhaps read another.
pub(super) fn attribute(start: &BytesStart<'_>, name: &str) -> Option<Option<String>> {
    let mut found = None;
    for attr in start.attributes() {
        let attr = attr.ok()?;
        if found.is_none() && attr.key.as_ref() == name {
            let value = quick_xml::escape::unescape(&attr.value)
                .map_or_else(|_| attr.value.to_string(), std::borrow::Cow::into_owned);
            found = Some(value);
        }
    }
    Some(found)
}

/// The document as a stream of elements. Every method returns `None` to give up.
pub(super) struct Doc<'a> {
    text: &'a str,
    source: Source<'a>,
    /// The namespace of names in none.
    own: Ns,
}

/// How names are put in their namespaces.
enum Source<'a> {
    /// By quick-xml's namespace reader, declarations scoped to their elements.
    Scoped(NsReader<&'a [u8]>),
    /// By the root element's declarations, when no other element declares any (as in nearly
    /// every feed): a plain reader, which does not keep a scope for each element (that was a
    /// quarter of the time of each event, callgrind). `None` until the root is read.
    Root(Reader<&'a [u8]>, Option<RootNamespaces>),
}

/// The namespace declarations of the root element.
struct RootNamespaces {
    default: Option<Ns>,
    prefixes: Vec<(String, Ns)>,
}

impl RootNamespaces {
    /// The declarations on `root`, when they are all that `text` holds and are plain (no
    /// empty or escaped name, no `xml` or `xmlns` prefix bound): else `None`, for the scoped
    /// reader.
    fn of(root: &BytesStart<'_>, text: &str) -> Option<RootNamespaces> {
        let finder = memchr::memmem::Finder::new(b"xmlns");
        if finder.find_iter(text.as_bytes()).count()
            != finder.find_iter(root.as_ref().as_bytes()).count()
        {
            return None;
        }
        let mut names = RootNamespaces { default: None, prefixes: Vec::new() };
        for attr in root.attributes() {
            let attr = attr.ok()?;
            let key: &str = attr.key.into_inner();
            let uri: &str = &attr.value;
            if !key.starts_with("xmlns") {
                continue;
            }
            if uri.is_empty() || uri.contains('&') {
                return None;
            }
            match key.strip_prefix("xmlns") {
                Some("") => names.default = Some(Ns::named(uri)),
                Some(prefixed) => match prefixed.strip_prefix(':') {
                    Some("xml" | "xmlns") | None => return None,
                    Some(prefix) => names.prefixes.push((prefix.to_string(), Ns::named(uri))),
                },
                None => {}
            }
        }
        Some(names)
    }

    /// The namespace of the element named `qname`, as quick-xml's namespace reader resolves
    /// it against these declarations; `None` for a name this does not follow (`xmlns:x`).
    fn resolve(&self, qname: quick_xml::name::QName<'_>, own: Ns) -> Option<Ns> {
        Some(match qname.prefix() {
            None => self.default.unwrap_or(own),
            Some(prefix) => match prefix.into_inner() {
                "xml" => Ns::Other,
                "xmlns" => return None,
                prefix => self
                    .prefixes
                    .iter()
                    .rev()
                    .find(|(p, _)| *p == prefix)
                    .map_or(own, |(_, ns)| *ns),
            },
        })
    }
}

/// What an element starts with, as far as its text goes.
pub(super) enum Opening {
    /// Text (text, CDATA sections and references run together, comments passed over).
    Text(String),
    /// Nothing: the element is empty.
    Empty,
    /// A child element.
    Child,
}

impl<'a> Doc<'a> {
    pub(super) fn new(text: &'a str, own: Ns) -> Doc<'a> {
        let mut reader = Reader::from_str(text);
        configure(reader.config_mut());
        Doc { text, source: Source::Root(reader, None), own }
    }

    /// The next event, `None` on an error.
    pub(super) fn event(&mut self) -> Option<(Ns, Event<'a>)> {
        let (ns, event) = match &mut self.source {
            Source::Scoped(reader) => {
                let (resolved, event) = reader.read_resolved_event().ok()?;
                (Ns::of(&resolved, self.own), event)
            }
            Source::Root(reader, names) => {
                let event = reader.read_event().ok()?;
                let ns = match (&event, names) {
                    (Event::Start(start), Some(names)) => names.resolve(start.name(), self.own)?,
                    _ => self.own,
                };
                (ns, event)
            }
        };
        // feed-rs resolves every character reference it passes, and fails on a bad one.
        if let Event::GeneralRef(r) = &event {
            r.resolve_char_ref().ok()?;
        }
        Some((ns, event))
    }

    /// The root element's start tag. The document is read again by the scoped reader when
    /// elements other than the root declare namespaces.
    pub(super) fn root(&mut self) -> Option<BytesStart<'a>> {
        let root = self.first_start()?;
        if let Source::Root(_, names) = &mut self.source {
            match RootNamespaces::of(&root, self.text) {
                Some(found) => *names = Some(found),
                None => {
                    let mut reader = NsReader::from_str(self.text);
                    configure(reader.config_mut());
                    self.source = Source::Scoped(reader);
                    return self.first_start();
                }
            }
        }
        Some(root)
    }

    /// The first start tag, the prolog before it checked.
    fn first_start(&mut self) -> Option<BytesStart<'a>> {
        loop {
            match self.event()? {
                (_, Event::Start(start)) => return Some(start),
                (_, Event::Decl(decl)) => {
                    if let Some(encoding) = decl.encoding()
                        && !is_utf8_label(&encoding.ok()?)
                    {
                        return None;
                    }
                }
                (_, Event::DocType(_) | Event::Eof) => return None,
                _ => {}
            }
        }
    }

    /// The next child element of the current one (its start tag read), or `Ok(None)`-like
    /// `Some(None)` at the current element's end.
    pub(super) fn next_child(&mut self) -> Option<Option<(Ns, BytesStart<'a>)>> {
        loop {
            match self.event()? {
                (ns, Event::Start(start)) => return Some(Some((ns, start))),
                (_, Event::End(_)) => return Some(None),
                (_, Event::Eof | Event::Decl(_) | Event::DocType(_)) => return None,
                _ => {}
            }
        }
    }

    /// The rest of the current element, passed over.
    pub(super) fn skip(&mut self) -> Option<()> {
        self.skip_levels(1)
    }

    fn skip_levels(&mut self, mut depth: usize) -> Option<()> {
        while depth > 0 {
            match self.event()? {
                (_, Event::Start(_)) => depth += 1,
                (_, Event::End(_)) => depth -= 1,
                (_, Event::Eof | Event::Decl(_) | Event::DocType(_)) => return None,
                _ => {}
            }
        }
        Some(())
    }

    /// The text at the start of the current element, and the rest of the element passed over,
    /// as feed-rs's `child_as_text` has it: `Some(None)` when the element starts with a child or
    /// is empty.
    pub(super) fn text(&mut self) -> Option<Option<String>> {
        Some(match self.opening()? {
            Opening::Text(text) => Some(text),
            Opening::Empty | Opening::Child => None,
        })
    }

    /// [`Doc::opening`] for the common case of an element that holds only text and
    /// references (escaped HTML, as most feeds carry it), read in one piece instead of an
    /// event per reference: a description's `&lt;p&gt;` was four events. `None`, with nothing
    /// read, when the element holds anything else (a child, a comment, CDATA), was written
    /// empty (`<title/>`, whose end quick-xml has still to give), or its text has a reference
    /// the events would treat otherwise (an unclosed or bad one): the events then read it as
    /// before. Only the plain reader is taken this way.
    fn text_only(&mut self) -> Option<Option<Opening>> {
        let Source::Root(reader, _) = &mut self.source else { return None };
        let rest: &'a [u8] = reader.get_ref();
        let read = self.text.len().checked_sub(rest.len())?;
        if self.text.as_bytes()[..read].ends_with(b"/>") {
            return None;
        }
        let lt = memchr::memchr(b'<', rest)?;
        if rest.get(lt + 1) != Some(&b'/') {
            return None;
        }
        // The reader stands after a `>` and `lt` at a `<`: both on character boundaries.
        let raw = self.text.get(read..read + lt)?;
        let text = if raw.is_empty() { None } else { Some(resolve_references(raw)?) };
        std::io::BufRead::consume(&mut reader.stream(), lt);
        Some(match self.event() {
            Some((_, Event::End(_))) => Some(text.map_or(Opening::Empty, Opening::Text)),
            _ => None,
        })
    }

    /// What the current element starts with; the rest of it is passed over.
    pub(super) fn opening(&mut self) -> Option<Opening> {
        if let Some(read) = self.text_only() {
            return read;
        }
        let mut text: Option<String> = None;
        loop {
            match self.event()? {
                // Empty runs are no text (an empty element has none).
                (_, Event::Text(t)) if !t.is_empty() => {
                    text.get_or_insert_with(String::new).push_str(&t);
                }
                (_, Event::CData(t)) if !t.is_empty() => {
                    text.get_or_insert_with(String::new).push_str(&t);
                }
                (_, Event::GeneralRef(r)) => {
                    let buffer = text.get_or_insert_with(String::new);
                    if let Some(ch) = r.resolve_char_ref().ok()? {
                        buffer.push(ch);
                    } else {
                        let name: &str = &r;
                        match quick_xml::escape::resolve_predefined_entity(name) {
                            Some(resolved) => buffer.push_str(resolved),
                            None => {
                                buffer.push('&');
                                buffer.push_str(name);
                                buffer.push(';');
                            }
                        }
                    }
                }
                (_, Event::End(_)) => return Some(text.map_or(Opening::Empty, Opening::Text)),
                (_, Event::Start(_)) => {
                    // A child: what follows it in this element is not read.
                    self.skip_levels(2)?;
                    return Some(text.map_or(Opening::Child, Opening::Text));
                }
                (_, Event::Eof | Event::Decl(_) | Event::DocType(_)) => return None,
                _ => {}
            }
        }
    }
}

/// `raw` with its references resolved as [`Doc::opening`] resolves quick-xml's events:
/// character references and the five predefined entities replaced, any other entity kept as
/// it is. `None` for a `&` that does not start a reference closed by `;` before the next `&`
/// (quick-xml's reader calls that an error), or a bad character reference.
fn resolve_references(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(amp) = memchr::memchr(b'&', rest.as_bytes()) {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let end = memchr::memchr2(b';', b'&', after.as_bytes())?;
        if after.as_bytes()[end] != b';' {
            return None;
        }
        let name = &after[..end];
        if let Some(ch) = quick_xml::events::BytesRef::new(name).resolve_char_ref().ok()? {
            out.push(ch);
        } else if let Some(resolved) = quick_xml::escape::resolve_predefined_entity(name) {
            out.push_str(resolved);
        } else {
            out.push('&');
            out.push_str(name);
            out.push(';');
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
pub(super) mod tests {
    use std::path::{Path, PathBuf};

    use super::super::dialect::{Dialect, rename_rss_elements, sniff, wrap_raw_html_descriptions};
    use super::super::limits::trim;
    use super::super::{adapt, charset::to_utf8, read as feed_rs_read};
    use super::*;

    /// A direct reading.
    pub(in crate::parse) type Reader = fn(&str, Option<&Url>) -> Option<ParsedFeed>;

    /// What `opening` makes of the first `<e>` in `doc`, and the events after it up to the
    /// end, read by `doc` as it is set up.
    fn opening_then_rest(mut doc: Doc<'_>) -> Option<(String, Vec<String>)> {
        loop {
            if let (_, Event::Start(start)) = doc.event()?
                && start.name().as_ref() == "e"
            {
                break;
            }
        }
        let opening = match doc.opening() {
            Some(Opening::Text(t)) => format!("text {t:?}"),
            Some(Opening::Empty) => "empty".to_string(),
            Some(Opening::Child) => "child".to_string(),
            None => "error".to_string(),
        };
        let mut rest = Vec::new();
        while let Some((_, event)) = doc.event() {
            if event == Event::Eof {
                break;
            }
            rest.push(format!("{event:?}"));
        }
        Some((opening, rest))
    }

    #[test]
    fn text_read_in_one_piece_is_read_as_the_events_read_it() {
        let contents = [
            "a &lt;b&gt; &amp;amp; c",
            "&#233;&#xE9;&#X41; caf&eacute;",
            "&nbsp;&bogus;&;",
            "AT&T rocks",
            "a & b",
            "&amp",
            "&#0;",
            "&#xD800;",
            "&#99999999;",
            "",
            "  ",
            "x<!-- c -->y",
            "<![CDATA[<z>]]>tail",
            "t<child>c</child>u",
            "a]]>b",
            "café &lt;p&gt; naïve",
            "x</f>",
        ];
        for content in contents {
            for doc in [
                format!("<r><e>{content}</e><next>n</next></r>"),
                format!("<r><e/>{content}<next>n</next></r>"),
                format!("<r><e />{content}</r>"),
            ] {
                let plain = Doc::new(&doc, Ns::Rss);
                let mut scoped = Doc::new(&doc, Ns::Rss);
                let mut reader = NsReader::from_str(&doc);
                configure(reader.config_mut());
                scoped.source = Source::Scoped(reader);
                assert_eq!(opening_then_rest(plain), opening_then_rest(scoped), "{doc}");
            }
        }
    }

    /// The text `parse_feed` gives the direct reading of documents in `dialect`, when `bytes`
    /// are in it.
    pub(in crate::parse) fn prepared_as(bytes: &[u8], dialect: Dialect) -> Option<String> {
        let text = to_utf8(bytes, None);
        let text = trim(&text).text;
        (sniff(&text) == dialect).then(|| match dialect {
            Dialect::Rss => wrap_raw_html_descriptions(rename_rss_elements(text)).into_owned(),
            _ => text.into_owned(),
        })
    }

    fn prepared(bytes: &[u8]) -> Option<String> {
        prepared_as(bytes, Dialect::Rss)
    }

    /// What feed-rs and `adapt` make of `text`.
    fn by_feed_rs(text: &str, base: Option<&Url>) -> Option<ParsedFeed> {
        feed_rs_read(text, base).ok().map(|feed| adapt(feed, base, text))
    }

    fn base() -> Url {
        Url::parse("https://blog.example.org/feed/").unwrap()
    }

    /// Read directly, `text` must give what feed-rs gives, with and without a base URL.
    /// Returns whether it was read directly.
    #[track_caller]
    fn agrees(text: &str, name: &str) -> bool {
        agrees_by(read, text, name)
    }

    /// [`agrees`] for the direct reading `reader`.
    #[track_caller]
    pub(in crate::parse) fn agrees_by(reader: Reader, text: &str, name: &str) -> bool {
        let mut direct = false;
        for base in [None, Some(base())] {
            let Some(ours) = reader(text, base.as_ref()) else { continue };
            direct = true;
            assert_eq!(Some(ours), by_feed_rs(text, base.as_ref()), "{name} (base {base:?})");
        }
        direct
    }

    const WORDPRESS: &str = r#"<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"
	xmlns:content="http://purl.org/rss/1.0/modules/content/"
	xmlns:wfw="http://wellformedweb.org/CommentAPI/"
	xmlns:dc="http://purl.org/dc/elements/1.1/"
	xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
	<title>Council &amp; Co &#8211; notes</title>
	<atom:link href="https://blog.example.org/feed/" rel="self" type="application/rss+xml" />
	<link>https://blog.example.org</link>
	<lastBuildDate>Mon, 23 Nov 2026 09:30:00 +0000</lastBuildDate>
	<ttl>60</ttl>
	<item>
		<title>First &lt;em&gt;post&lt;/em&gt;</title>
		<link>/2026/11/first/?utm_source=rss</link>
		<comments>https://blog.example.org/2026/11/first/#respond</comments>
		<dc:creator><![CDATA[Ann Smith]]></dc:creator>
		<pubDate>Mon, 23 Nov 2026 09:30:00 +0000</pubDate>
		<category><![CDATA[Housing]]></category>
		<category>  </category>
		<guid isPermaLink="false">https://blog.example.org/?p=1</guid>
		<description><![CDATA[<p>Hello [&#8230;]</p>]]></description>
		<content:encoded><![CDATA[<p>Hello <b>there</b></p>]]></content:encoded>
		<wfw:commentRss>https://blog.example.org/2026/11/first/feed/</wfw:commentRss>
	</item>
	<item><title/><guid>https://blog.example.org/?p=2</guid><updated>2026-11-24T10:00:00Z</updated>
		<pubDate>Tue, 24 Nov 2026 10:00:00 GMT</pubDate><author>Bob (the editor)</author>
		<dc:creator>  </dc:creator><description>   </description><content:encoded></content:encoded></item>
	<item><link>  </link><title>text<b>then a child</b> and more</title><link>http://Other.example.org/a b</link>
		<enclosure url="https://blog.example.org/a.mp3" length="1" type="audio/mpeg"/></item>
</channel>
</rss>"#;

    #[test]
    fn a_wordpress_feed_is_read_directly_as_feed_rs_reads_it() {
        let text = prepared(WORDPRESS.as_bytes()).unwrap();
        assert!(agrees(&text, "WORDPRESS"));
        let feed = read(&text, Some(&base())).unwrap();
        assert_eq!(feed.title.as_deref(), Some("Council & Co \u{2013} notes"));
        assert_eq!(feed.entries.len(), 3);
        assert_eq!(feed.entries[0].title.as_deref(), Some("First post"));
        assert_eq!(feed.entries[0].categories, ["Housing"]);
    }

    #[test]
    fn documents_outside_the_line_are_left_to_feed_rs() {
        let item = |inner: &str| {
            format!(
                r#"<rss version="2.0"><channel><title>T</title><item>{inner}</item></channel></rss>"#
            )
        };
        for (why, doc) in [
            ("an address in an author", item("<author>ed@example.org (Ed)</author>")),
            ("Media RSS", item(r#"<media:title xmlns:media="http://search.yahoo.com/mrss/"/>"#)),
            ("xml:base", item(r#"<link xml:base="http://a.example/">b</link>"#)),
            ("ill-formed", item("<title>x</titel>")),
            ("a bad character reference", item("<title>&#0;</title>")),
            (
                "another version",
                r#"<rss version="0.91"><channel><title>T</title></channel></rss>"#.into(),
            ),
            ("no channel", r#"<rss version="2.0"><title>T</title></rss>"#.into()),
            ("a DOCTYPE", format!("<!DOCTYPE rss>{}", item(""))),
        ] {
            assert_eq!(read(&doc, None), None, "{why}");
        }
    }

    #[test]
    fn variations_read_directly_agree_with_feed_rs() {
        let docs = [
            r#"<rss version=""><channel><link>relative/</link><atom:link xmlns:atom="http://www.w3.org/2005/Atom" href="/x"/><item><guid>HTTP://A.example</guid></item></channel></rss>"#,
            r#"<rss version="2.0"><channel><item><guid isPermaLink="false">http://a.example/1</guid><title>a<!-- c -->b&unknown;&#x41;</title></item></channel></rss>"#,
            r#"<rss version="2.0"><other><channel><title>no</title></channel></other><channel><title>yes</title><ttl> 5</ttl><item><updated>2020-01-01T00:00:00Z</updated><pubDate>2020-01-01T00:00:00Z</pubDate></item></channel></rss>"#,
            r#"<rss version="2.0" xmlns:x="http://example.org/x"><channel><x:title>not RSS</x:title><y:title>undeclared</y:title><item><x:link>no</x:link><link>mailto:a@b.c</link><dc:date>2021-02-03</dc:date></item></channel></rss>"#,
            r#"<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><item><dc:date>2021-02-03T04:05:06Z</dc:date><dc:creator>A</dc:creator><author>B</author></item></channel></rss>"#,
            // Namespaces declared below the root, and the word `xmlns` in text.
            r#"<rss version="2.0"><channel><item><c:encoded xmlns:c="http://purl.org/rss/1.0/modules/content/">body</c:encoded><title>a</title></item><item xmlns="http://example.org/"><title>not RSS</title></item><item xmlns:dc="http://example.org/"><dc:creator>not DC</dc:creator></item></channel></rss>"#,
            r#"<rss version="2.0" xmlns:c="http://purl.org/rss/1.0/modules/content/"><channel><title>xmlns here</title><item><c:encoded>x</c:encoded><xml:title>x</xml:title></item></channel></rss>"#,
        ];
        for (k, doc) in docs.iter().enumerate() {
            let text = prepared(doc.as_bytes()).unwrap();
            assert!(
                agrees(&text, &format!("variation {k}")),
                "variation {k} was not read directly"
            );
        }
    }

    fn corpus_dir() -> PathBuf {
        std::env::var_os("ROUNDUP_CORPUS").map_or_else(
            || Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"),
            PathBuf::from,
        )
    }

    fn files(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                files(&path, out);
            } else {
                out.push(path);
            }
        }
    }

    /// The differential check: every document of the shared corpus in `dialect` that `reader`
    /// takes, it reads as feed-rs and `adapt` do. Returns how many it took and how many there
    /// were, or `None` (after saying so) without the corpus.
    pub(in crate::parse) fn corpus_agrees(
        reader: Reader,
        dialect: Dialect,
    ) -> Option<(usize, usize)> {
        let dir = corpus_or_say_so(&format!(
            "the corpus differential of the direct {dialect:?} reading"
        ))?;
        let mut paths = Vec::new();
        files(&dir, &mut paths);
        let (mut all, mut direct) = (0, 0);
        for path in &paths {
            let bytes = std::fs::read(path).unwrap();
            let Some(text) = prepared_as(&bytes, dialect) else { continue };
            all += 1;
            if agrees_by(reader, &text, &path.display().to_string()) {
                direct += 1;
            }
        }
        eprintln!("{dialect:?} differential: {direct} of {all} documents read directly");
        Some((direct, all))
    }

    /// The corpus directory, or `None` after saying so (on stderr, which a plain `cargo test`
    /// shows) when it is not there; a failure instead under `ROUNDUP_REQUIRE_TOOLS=1`.
    fn corpus_or_say_so(check: &str) -> Option<PathBuf> {
        let dir = corpus_dir();
        if dir.join("expected.jsonl").is_file() {
            return Some(dir);
        }
        let line = format!(
            "SKIPPED CHECK: {check}: no {} (set ROUNDUP_REQUIRE_TOOLS=1 to make this fail)\n",
            dir.display()
        );
        // As the testsuite's `support::tools_required` reads it.
        let required =
            std::env::var_os("ROUNDUP_REQUIRE_TOOLS").is_some_and(|v| !v.is_empty() && v != "0");
        assert!(!required, "{line}");
        let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
        None
    }

    /// The corpus's documents of `dialect`, prepared (none, after saying so, without the
    /// corpus).
    fn corpus_texts(dialect: Dialect) -> Vec<(String, String)> {
        let Some(dir) = corpus_or_say_so(&format!("the damaged documents of {dialect:?}")) else {
            return Vec::new();
        };
        let mut paths = Vec::new();
        files(&dir, &mut paths);
        paths.sort();
        paths
            .iter()
            .filter_map(|path| {
                let text = prepared_as(&std::fs::read(path).ok()?, dialect)?;
                Some((path.display().to_string(), text))
            })
            .collect()
    }

    /// Damage of the kinds feeds have (cut short, a piece lost or doubled, stray markup and
    /// references), `n` times over, at places a fixed seed picks: wherever a direct reading
    /// still takes the damaged text, it reads it as feed-rs does.
    pub(in crate::parse) fn damaged_agree(reader: Reader, dialect: Dialect, n: usize) {
        const STRAY: &[&str] = &[
            "<",
            ">",
            "&",
            "&amp;",
            "&#38;",
            "&#x2013;",
            "&nbsp;",
            "&bogus;",
            "<![CDATA[x]]>",
            "<!-- c -->",
            "<b>",
            "</b>",
            "<title>",
            "</title>",
            "<link>",
            "</link>",
            "\u{a0}",
            "<guid>http://a.example/x</guid>",
            "<item>",
            "</item>",
            "<entry>",
            "</entry>",
            " rel=\"alternate\"",
            "<x:y xmlns:x=\"urn:x\"/>",
            "\"",
            "'",
            "]]>",
            "<?pi x?>",
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = |bound: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            usize::try_from(seed % (bound.max(1) as u64)).unwrap()
        };
        let (mut tried, mut direct) = (0, 0);
        for (name, text) in corpus_texts(dialect) {
            for k in 0..n {
                let mut t = text.clone();
                let mut at = |len: usize| {
                    let mut i = next(len + 1);
                    while !t.is_char_boundary(i) {
                        i -= 1;
                    }
                    i
                };
                let (i, j) = (at(t.len()), at(t.len()));
                let (i, mut j) = (i.min(j), i.max(j).min(i.min(j) + 64));
                while !t.is_char_boundary(j) {
                    j -= 1;
                }
                match next(4) {
                    0 => t.truncate(i),
                    1 => t.replace_range(i..j, ""),
                    2 => t.insert_str(i, &text[i..j]),
                    _ => t.insert_str(i, STRAY[next(STRAY.len())]),
                }
                tried += 1;
                if agrees_by(reader, &t, &format!("{name}, damage {k}")) {
                    direct += 1;
                }
            }
        }
        eprintln!("{dialect:?}: {direct} of {tried} damaged documents read directly");
    }

    #[test]
    fn damaged_documents_read_directly_agree_with_feed_rs() {
        damaged_agree(read, Dialect::Rss, 8);
    }

    #[test]
    fn the_corpus_reads_the_same_directly_as_through_feed_rs() {
        if let Some((direct, rss)) = corpus_agrees(read, Dialect::Rss) {
            assert!(
                direct * 10 >= rss * 6,
                "only {direct} of {rss} RSS documents were read directly"
            );
        }
    }
}
