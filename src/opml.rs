//! OPML 2.0 in and out, with quick-xml. Reading is forgiving (real exports omit `version`, use
//! `xmlurl` or `XMLURL`, nest outlines in folders, leave out `text`); writing is strict.

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use crate::config::FeedConfig;

/// A feed subscription found in an OPML file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Outline {
    pub xml_url: String,
    pub title: Option<String>,
    pub html_url: Option<String>,
    /// Names of the folders the outline sits in, outermost first.
    pub tags: Vec<String>,
}

/// Why an OPML file could not be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum OpmlError {
    #[error("XML error at byte {position}: {message}")]
    Xml { position: u64, message: String },
    #[error("no <opml> root element")]
    NotOpml,
}

/// Every outline with an `xmlUrl`, in document order.
pub(crate) fn read(bytes: &[u8]) -> Result<Vec<Outline>, OpmlError> {
    let mut reader = quick_xml::Reader::from_reader(bytes);
    reader.config_mut().trim_text(true);
    let mut buf = Vec::new();
    let mut out = Vec::new();
    let mut saw_root = false;
    // Stack of open outlines: Some(folder name) for folders, None for feeds.
    let mut folders: Vec<Option<String>> = Vec::new();
    loop {
        let position = reader.buffer_position();
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| OpmlError::Xml { position, message: e.to_string() })?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let name = e.local_name().as_ref().to_ascii_lowercase();
                let name = name.as_str();
                let is_empty = matches!(event, Event::Empty(_));
                if name == "opml" {
                    saw_root = true;
                }
                if name == "outline" {
                    let attr = |key: &str| -> Option<String> {
                        e.attributes().flatten().find_map(|a| {
                            a.key.local_name().as_ref().eq_ignore_ascii_case(key).then(|| {
                                a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                    .map(|v| v.trim().to_string())
                                    .unwrap_or_default()
                            })
                        })
                    };
                    let title = attr("title")
                        .filter(|t| !t.is_empty())
                        .or_else(|| attr("text").filter(|t| !t.is_empty()));
                    match attr("xmlUrl").filter(|u| !u.is_empty()) {
                        Some(xml_url) => {
                            out.push(Outline {
                                xml_url,
                                title,
                                html_url: attr("htmlUrl").filter(|u| !u.is_empty()),
                                tags: tags(&folders, attr("category").as_deref()),
                            });
                            if !is_empty {
                                folders.push(None);
                            }
                        }
                        None if !is_empty => folders.push(title),
                        None => {}
                    }
                }
            }
            Event::End(ref e) if e.local_name().as_ref().eq_ignore_ascii_case("outline") => {
                folders.pop();
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !saw_root {
        return Err(OpmlError::NotOpml);
    }
    Ok(out)
}

/// An outline's tags: the folders it sits in, then its `category` attribute (comma-separated,
/// as `write` puts them; OPML 2.0's slash-delimited paths lose their outer slashes).
fn tags(folders: &[Option<String>], category: Option<&str>) -> Vec<String> {
    let mut tags: Vec<String> = folders.iter().flatten().cloned().collect();
    for c in category.unwrap_or("").split(',') {
        let c = c.trim().trim_matches('/').trim();
        if !c.is_empty() && !tags.iter().any(|t| t == c) {
            tags.push(c.to_string());
        }
    }
    tags
}

/// The feeds as an OPML 2.0 document, one outline each (tags become `category`).
pub(crate) fn write(feeds: &[FeedConfig], title: &str) -> String {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    let ok = "writing to a Vec cannot fail";
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None))).expect(ok);
    let mut opml = BytesStart::new("opml");
    opml.push_attribute(("version", "2.0"));
    w.write_event(Event::Start(opml)).expect(ok);
    w.write_event(Event::Start(BytesStart::new("head"))).expect(ok);
    w.write_event(Event::Start(BytesStart::new("title"))).expect(ok);
    w.write_event(Event::Text(BytesText::new(title))).expect(ok);
    w.write_event(Event::End(BytesEnd::new("title"))).expect(ok);
    w.write_event(Event::End(BytesEnd::new("head"))).expect(ok);
    w.write_event(Event::Start(BytesStart::new("body"))).expect(ok);
    for f in feeds {
        let name = f.name.clone().unwrap_or_else(|| f.id.to_string());
        let mut o = BytesStart::new("outline");
        o.push_attribute(("type", "rss"));
        o.push_attribute(("text", name.as_str()));
        o.push_attribute(("title", name.as_str()));
        o.push_attribute(("xmlUrl", f.url.as_str()));
        if !f.tags.is_empty() {
            o.push_attribute(("category", f.tags.join(",").as_str()));
        }
        w.write_event(Event::Empty(o)).expect(ok);
    }
    w.write_event(Event::End(BytesEnd::new("body"))).expect(ok);
    w.write_event(Event::End(BytesEnd::new("opml"))).expect(ok);
    let mut s = String::from_utf8(w.into_inner()).expect("we wrote UTF-8");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_nested_folders_odd_attribute_case_and_missing_version() {
        let doc = br#"<?xml version="1.0"?><opml><head/><body>
            <outline text="Councils">
              <outline text="Leeds &amp; Co" XMLURL="https://leeds.example/feed" htmlurl="https://leeds.example/"/>
            </outline>
            <outline title="LGIU" xmlUrl="https://lgiu.org/feed/"/>
            <outline text="no feed here"/>
        </body></opml>"#;
        let o = read(doc).unwrap();
        assert_eq!(o.len(), 2);
        assert_eq!(o[0].title.as_deref(), Some("Leeds & Co"));
        assert_eq!(o[0].xml_url, "https://leeds.example/feed");
        assert_eq!(o[0].tags, ["Councils"]);
        assert_eq!(o[1].tags, Vec::<String>::new());
    }

    #[test]
    fn errors_on_broken_xml_or_a_non_opml_root() {
        assert!(read(b"<opml><body><outline xmlUrl='x'></body>").is_err());
        assert!(matches!(read(b"<rss/>"), Err(OpmlError::NotOpml)));
    }

    #[test]
    fn writes_what_it_reads_back_with_escaping() {
        let feeds = vec![FeedConfig {
            id: "a".into(),
            url: url::Url::parse("https://a.example/feed?x=1&y=2").unwrap(),
            name: Some("A \"quoted\" <name> & co".into()),
            tags: vec!["council".into()],
            interval: None,
        }];
        let doc = write(&feeds, "t & t");
        assert!(doc.contains("version=\"2.0\""));
        let back = read(doc.as_bytes()).unwrap();
        assert_eq!(back[0].xml_url, "https://a.example/feed?x=1&y=2");
        assert_eq!(back[0].tags, ["council"], "tags come back from `category`");
        assert_eq!(back[0].title.as_deref(), Some("A \"quoted\" <name> & co"));
    }
}
