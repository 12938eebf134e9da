//! Plain Atom 1.0, read directly: what feed-rs and [`adapt`](super::adapt) together make of an
//! Atom feed (GOV.UK's kind), in one pass of quick-xml over the text, or nothing at all when the
//! document strays from what this reading covers (then feed-rs reads it as before).
//!
//! Owns: that reading, and the line it draws; it shares its way through the document with
//! [`rss2`](super::rss2), whose header says why it exists.
//! Does not own: which documents reach it (XML whose root is `feed`), dates, or the choice of a
//! link over an id (shared with `adapt`).
//!
//! The line: this reading gives up (returns `None`) on anything it cannot promise to read as
//! feed-rs does: an ill-formed document or character reference, a DOCTYPE, a declared encoding
//! other than UTF-8, `xml:base` anywhere but on `<content>` (where nothing this reading keeps
//! depends on it), XHTML, out-of-line or unknown content types (feed-rs refuses unknown ones
//! outright), a text construct that starts with an element, and Media RSS in an entry. A unit
//! test holds it to feed-rs's reading over the shared corpus.

use url::Url;

use super::rss2::{Doc, GuidLinks, Href, Links, Ns, Opening, attribute, local_name};
use super::{absolute, dates::parse_date};
use super::{clean_person_name, is_web_address};
use crate::html_text::plain_title;
use crate::model::{ParsedEntry, ParsedFeed};

/// `text` (UTF-8, as `parse_feed` has prepared it) read as Atom 1.0, or `None` to leave it to
/// feed-rs.
pub(super) fn read(text: &str, base: Option<&Url>) -> Option<ParsedFeed> {
    if !super::rss2::fit_to_read_directly(text) {
        return None;
    }
    let mut doc = Doc::new(text, Ns::Atom);
    let root = doc.root()?;
    if local_name(&root) != "feed" || attribute(&root, "xml:base")?.is_some() {
        return None;
    }
    let mut reading = Reading { bases_on_content: 0, guids: GuidLinks::new(text) };
    let mut feed = ParsedFeed::default();
    let mut links = Links::default();
    let mut id = None;
    let mut authors = Vec::new();
    let mut entries = Vec::new();
    while let Some((ns, start)) = doc.next_child()? {
        match (ns, local_name(&start)) {
            (Ns::Atom, "id") => {
                if let Some(t) = doc.text()? {
                    id = Some(t);
                }
            }
            (Ns::Atom, "title") => feed.title = text_construct(&mut doc, &start)?.title(),
            (Ns::Atom, "updated") => {
                if let Some(t) = doc.text()? {
                    feed.updated = parse_date(&t);
                }
            }
            (Ns::Atom, "author") => authors.extend(person(&mut doc)?),
            (Ns::Atom, "link") => link(&mut doc, &start, base, &mut links)?,
            (Ns::Atom, "subtitle" | "rights") => unread_text_construct(&mut doc, &start)?,
            (Ns::Atom, "entry") => entries.push(entry(&mut doc, base, &mut reading)?),
            _ => doc.skip()?,
        }
    }
    // Every `xml:base` in the text was one on a `<content>`.
    let bases = memchr::memmem::find_iter(text.as_bytes(), b"xml:base").count();
    if bases != reading.bases_on_content {
        return None;
    }
    let feed_authors = joined(authors);
    feed.entries = entries
        .into_iter()
        .map(|mut e| {
            if e.author.is_none() {
                e.author.clone_from(&feed_authors);
            }
            e
        })
        .collect();
    let id = id.as_deref().map(str::trim).filter(|id| is_web_address(id));
    feed.link = links.page(base).or_else(|| {
        let id = id?;
        reading.guids.are_links().then(|| absolute(id, base))
    });
    Some(feed)
}

/// What the reading of one document carries from element to element.
struct Reading<'a> {
    /// `xml:base` attributes read on `<content>` elements.
    bases_on_content: usize,
    guids: GuidLinks<'a>,
}

/// One `<entry>`, its start tag read.
fn entry(doc: &mut Doc<'_>, base: Option<&Url>, reading: &mut Reading<'_>) -> Option<ParsedEntry> {
    let mut entry = ParsedEntry::default();
    let mut links = Links::default();
    let mut id = String::new();
    let mut authors = Vec::new();
    while let Some((ns, start)) = doc.next_child()? {
        match (ns, local_name(&start)) {
            (Ns::Atom, "id") => {
                if let Some(t) = doc.text()? {
                    id = t;
                }
            }
            (Ns::Atom, "title") => entry.title = text_construct(doc, &start)?.title(),
            (Ns::Atom, "updated") => {
                if let Some(t) = doc.text()? {
                    entry.updated = parse_date(&t);
                }
            }
            (Ns::Atom, "published" | "pubDate") => {
                if let Some(t) = doc.text()? {
                    entry.published = parse_date(&t);
                }
            }
            (Ns::Atom, "author") => authors.extend(person(doc)?),
            (Ns::Atom, "content") => {
                if let Some(xml_base) = attribute(&start, "xml:base")? {
                    // feed-rs refuses a document with an `xml:base` that is no URL at all.
                    match Url::parse(&xml_base) {
                        Ok(_) | Err(url::ParseError::RelativeUrlWithoutBase) => {}
                        Err(_) => return None,
                    }
                    reading.bases_on_content += 1;
                }
                if attribute(&start, "src")?.is_some() {
                    return None;
                }
                entry.content_html = text_construct(doc, &start)?.into_html();
            }
            (Ns::Atom, "link") => link(doc, &start, base, &mut links)?,
            (Ns::Atom, "summary") => entry.summary_html = text_construct(doc, &start)?.into_html(),
            (Ns::Atom, "category") => {
                if let Some(term) = attribute(&start, "term")? {
                    let label = attribute(&start, "label")?;
                    let c = label.as_deref().unwrap_or(term.trim()).trim().to_string();
                    if !c.is_empty() {
                        entry.categories.push(c);
                    }
                }
                doc.skip()?;
            }
            (Ns::Atom, "rights") => unread_text_construct(doc, &start)?,
            (Ns::MediaRss, _) => return None,
            _ => doc.skip()?,
        }
    }
    entry.guid = Some(id.trim().to_string()).filter(|id| !id.is_empty());
    entry.link = links.page(base).or_else(|| {
        let id = entry.guid.as_deref().filter(|id| is_web_address(id))?;
        reading.guids.are_links().then(|| absolute(id, base))
    });
    entry.author = joined(authors);
    Some(entry)
}

/// An Atom `<link>`: kept when it has an `href`, its `rel` `alternate` unless it says otherwise.
fn link(
    doc: &mut Doc<'_>,
    start: &quick_xml::events::BytesStart<'_>,
    base: Option<&Url>,
    links: &mut Links,
) -> Option<()> {
    if let Some(href) = attribute(start, "href")? {
        let rel = attribute(start, "rel")?.unwrap_or_else(|| "alternate".to_string());
        links.push(Href::new(&href, base), Some(rel));
    }
    doc.skip()
}

/// An Atom person (`<author>`): the name it gives, or else its address, as `adapt` names
/// people; `Some(None)` for one with neither.
fn person(doc: &mut Doc<'_>) -> Option<Option<String>> {
    let (mut name, mut email) = (None, None);
    while let Some((_, start)) = doc.next_child()? {
        let text = doc.text()?;
        match local_name(&start) {
            "name" if text.is_some() => name = text,
            "email" => email = text,
            _ => {}
        }
    }
    Some(name.map(|n| clean_person_name(&n)).filter(|n| !n.is_empty()).or(email))
}

/// Names joined as `adapt` joins them.
fn joined(names: Vec<String>) -> Option<String> {
    (!names.is_empty()).then(|| names.join(", "))
}

/// An Atom text construct as feed-rs reads one: its text, trimmed, and whether it is HTML.
struct TextConstruct {
    text: String,
    html: bool,
}

impl TextConstruct {
    /// A title, as `adapt` makes one of an Atom title: plain text keeps every character.
    fn title(self) -> Option<String> {
        let title = if self.html {
            plain_title(&self.text)
        } else {
            self.text.split_whitespace().collect::<Vec<_>>().join(" ")
        };
        Some(title).filter(|t| !t.is_empty())
    }

    /// A summary or content as HTML: plain text is escaped.
    fn into_html(self) -> Option<String> {
        let html =
            if self.html { self.text } else { html_escape::encode_text(&self.text).into_owned() };
        Some(html).filter(|h| !h.trim().is_empty())
    }
}

/// The text construct whose start tag is `start`: `None` (give up) for XHTML, an unknown type,
/// or one that starts with an element (feed-rs writes its elements out again).
fn text_construct(
    doc: &mut Doc<'_>,
    start: &quick_xml::events::BytesStart<'_>,
) -> Option<TextConstruct> {
    let html = match attribute(start, "type")?.as_deref() {
        None | Some("text") => false,
        Some("html" | "text/html") => true,
        Some(_) => return None,
    };
    let text = match doc.opening()? {
        Opening::Text(text) => text.trim().to_string(),
        Opening::Empty => String::new(),
        Opening::Child => return None,
    };
    Some(TextConstruct { text, html })
}

/// A text construct this reading does not keep (`subtitle`, `rights`), passed over unless its
/// type would make feed-rs refuse the document.
fn unread_text_construct(
    doc: &mut Doc<'_>,
    start: &quick_xml::events::BytesStart<'_>,
) -> Option<()> {
    match attribute(start, "type")?.as_deref() {
        None | Some("text" | "html" | "text/html" | "xhtml") => doc.skip(),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::dialect::Dialect;
    use super::super::rss2::tests::{agrees_by, corpus_agrees, damaged_agree, prepared_as};
    use super::*;

    #[track_caller]
    fn agrees(doc: &str, name: &str) -> bool {
        let text = prepared_as(doc.as_bytes(), Dialect::Xml).unwrap();
        agrees_by(read, &text, name)
    }

    const GOV: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">
  <id>https://www.gov.uk/search/news-and-communications.atom</id>
  <link rel="self" type="application/atom+xml" href="https://www.gov.uk/search/news.atom"/>
  <link rel="alternate" type="text/html" href="/search/news"/>
  <title>News &amp; communications</title>
  <updated>2026-11-27T17:05:02+00:00</updated>
  <author><name>GOV.UK</name></author>
  <entry>
    <id>https://www.gov.uk/government/news/one</id>
    <updated>2026-11-27T17:05:02+00:00</updated>
    <link rel="alternate" type="text/html" href="https://www.gov.uk/government/news/one"/>
    <title>Councils get &lt;more&gt;   money</title>
    <summary type="html">&lt;p&gt;The plan&lt;/p&gt;</summary>
    <category term=" local-gov " label="Local government"/>
    <category term="x"/>
  </entry>
  <entry>
    <id>tag:gov.uk,2026:two</id><title type="html">&lt;b&gt;Bold&lt;/b&gt; &amp;amp; co</title>
    <author><name>  Ann  </name><email>ann@example.org</email></author>
    <author><email>bob@example.org</email></author>
    <content type="html" xml:base="https://www.gov.uk/two"><![CDATA[<p>Body</p>]]></content>
    <published>2026-11-26T10:00:00Z</published><summary>a &lt; b</summary>
  </entry>
  <entry><id>  http://example.org/3  </id><title/><content>plain &amp; text</content><content type="text/html"></content></entry>
</feed>"#;

    #[test]
    fn a_gov_uk_feed_is_read_directly_as_feed_rs_reads_it() {
        assert!(agrees(GOV, "GOV"));
        let text = prepared_as(GOV.as_bytes(), Dialect::Xml).unwrap();
        let feed = read(&text, None).unwrap();
        assert_eq!(feed.title.as_deref(), Some("News & communications"));
        assert_eq!(feed.entries.len(), 3);
        assert_eq!(feed.entries[0].title.as_deref(), Some("Councils get <more> money"));
        assert_eq!(feed.entries[0].author.as_deref(), Some("GOV.UK"));
        assert_eq!(feed.entries[1].author.as_deref(), Some("Ann, bob@example.org"));
        assert_eq!(feed.entries[0].categories, ["Local government", "x"]);
    }

    #[test]
    fn atom_outside_the_line_is_left_to_feed_rs() {
        let entry = |inner: &str| {
            format!(
                r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><entry>{inner}</entry></feed>"#
            )
        };
        for (why, doc) in [
            ("XHTML", entry(r#"<title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">x</div></title>"#)),
            ("an unknown type", entry(r#"<summary type="image/png">x</summary>"#)),
            ("out-of-line content", entry(r#"<content src="http://a.example/x"/>"#)),
            ("a title starting with an element", entry(r#"<title type="html"><b>x</b></title>"#)),
            ("xml:base on a link", entry(r#"<link xml:base="http://a.example/" href="x"/>"#)),
            ("a bad xml:base", entry(r#"<content xml:base="http://[::1" type="html">x</content>"#)),
            ("Media RSS", entry(r#"<media:title xmlns:media="http://search.yahoo.com/mrss/">x</media:title>"#)),
            ("a subtitle of an unknown type", r#"<feed xmlns="http://www.w3.org/2005/Atom"><subtitle type="x">s</subtitle></feed>"#.into()),
            ("ill-formed", entry("<title>x</titel>")),
        ] {
            assert_eq!(read(&doc, None), None, "{why}");
        }
    }

    #[test]
    fn atom_variations_read_directly_agree_with_feed_rs() {
        let docs = [
            r#"<feed xmlns="http://www.w3.org/2005/Atom"><id>HTTP://A.example</id><entry><id>http://A.example/1</id><link href="/rel" rel="ALTERNATE "/></entry><author><name>Late</name></author></feed>"#,
            r#"<feed xmlns="http://www.w3.org/2005/Atom"><entry><link rel="related" href="http://a.example/r"/><link href=" "/><title>  a
  b </title><updated>bad date</updated><published>2020-01-01T00:00:00Z</published></entry></feed>"#,
            r#"<a:feed xmlns:a="http://www.w3.org/2005/Atom"><a:title type="text">&lt;T&gt;</a:title><a:entry><a:summary type="html"></a:summary><a:content type="text">x &amp; y</a:content><other xmlns="http://example.org/"><title>no</title></other></a:entry></a:feed>"#,
            r#"<feed xmlns="http://example.org/x"><title>not Atom</title><entry><id>1</id></entry></feed>"#,
            r#"<feed xmlns="http://www.w3.org/2005/Atom"><entry xmlns="http://example.org/x"><title>not Atom</title></entry><a:entry xmlns:a="http://www.w3.org/2005/Atom"><a:title>Atom</a:title></a:entry></feed>"#,
            r#"<feed><title>no namespace</title><entry><id>1</id><author><name></name></author><author><uri>u</uri></author><author><email>e@x.org</email><email/></author></entry></feed>"#,
        ];
        for (k, doc) in docs.iter().enumerate() {
            assert!(agrees(doc, &format!("variation {k}")), "variation {k} was not read directly");
        }
    }

    #[test]
    fn damaged_documents_read_directly_agree_with_feed_rs() {
        damaged_agree(read, Dialect::Xml, 8);
    }

    #[test]
    fn the_corpus_reads_the_same_directly_as_through_feed_rs() {
        if let Some((direct, xml)) = corpus_agrees(read, Dialect::Xml) {
            // Dialect::Xml holds RSS 1.0 too, which this reading leaves alone.
            assert!(
                direct * 10 >= xml * 4,
                "only {direct} of {xml} XML documents were read directly"
            );
        }
    }
}
