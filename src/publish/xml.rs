//! The XML writer the feeds are written with (quick-xml's `Writer`, never string templates): the
//! writer escapes `&`, `<`, `>` (so `]]>` too), quotes and `\r`; [`clean`] first drops the
//! characters XML 1.0 forbids (C0 controls other than tab, newline and carriage return, and
//! U+FFFE / U+FFFF; Rust strings hold no lone surrogates), so whatever a title holds, the
//! document is well-formed.

use std::borrow::Cow;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

/// Whether XML 1.0 allows `c` in a document.
pub(crate) fn allowed(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// `text` without the characters XML 1.0 forbids.
pub(crate) fn clean(text: &str) -> Cow<'_, str> {
    if text.chars().all(allowed) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.chars().filter(|c| allowed(*c)).collect())
    }
}

/// An XML document being written, indented by two spaces.
pub(crate) struct Xml {
    w: Writer<Vec<u8>>,
}

// Writing to a Vec cannot fail.
const VEC_WRITE: &str = "writing XML to memory";

impl Xml {
    /// A document with its `<?xml version="1.0" encoding="utf-8"?>` declaration.
    pub(crate) fn new() -> Xml {
        let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None))).expect(VEC_WRITE);
        Xml { w }
    }

    fn element<'a>(name: &'a str, attrs: &[(&str, &str)]) -> BytesStart<'a> {
        let mut start = BytesStart::new(name);
        for (k, v) in attrs {
            start.push_attribute((*k, clean(v).as_ref()));
        }
        start
    }

    /// `<name attrs>`.
    pub(crate) fn open(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.w.write_event(Event::Start(Xml::element(name, attrs))).expect(VEC_WRITE);
    }

    /// `</name>`.
    pub(crate) fn close(&mut self, name: &str) {
        self.w.write_event(Event::End(BytesEnd::new(name))).expect(VEC_WRITE);
    }

    /// `<name attrs/>`.
    pub(crate) fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.w.write_event(Event::Empty(Xml::element(name, attrs))).expect(VEC_WRITE);
    }

    /// `<name attrs>text</name>`, the text escaped.
    pub(crate) fn text(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) {
        self.w.write_event(Event::Start(Xml::element(name, attrs))).expect(VEC_WRITE);
        self.w.write_event(Event::Text(BytesText::new(&clean(text)))).expect(VEC_WRITE);
        self.w.write_event(Event::End(BytesEnd::new(name))).expect(VEC_WRITE);
    }

    /// `<name attrs>text</name>` for RSS's plain-text elements (title, category): `&` and `<`
    /// written as the character references `&#x26;` and `&#x3C;`, as the RSS Advisory Board's
    /// profile asks (the W3C validator warns on `&amp;` there): RSS readers disagree on whether
    /// such text is HTML, and a reference reads as the character either way. An XML parser
    /// reads the same text as from [`Xml::text`].
    pub(crate) fn plain_text(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) {
        let escaped =
            clean(text).replace('&', "&#x26;").replace('<', "&#x3C;").replace('>', "&gt;");
        self.w.write_event(Event::Start(Xml::element(name, attrs))).expect(VEC_WRITE);
        self.w.write_event(Event::Text(BytesText::from_escaped(escaped))).expect(VEC_WRITE);
        self.w.write_event(Event::End(BytesEnd::new(name))).expect(VEC_WRITE);
    }

    /// The document's bytes, ending with a newline.
    pub(crate) fn finish(self) -> Vec<u8> {
        let mut bytes = self.w.into_inner();
        bytes.push(b'\n');
        bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forbidden_characters_are_dropped_and_the_rest_kept() {
        assert_eq!(clean("a\u{1}b\u{7}c\td\ne\u{FFFE}f\u{FFFF}🦀\u{7F}"), "abc\td\nef🦀\u{7F}");
        assert!(matches!(clean("plain & simple"), Cow::Borrowed(_)));
    }

    #[test]
    fn rss_plain_text_uses_character_references_for_ampersand_and_less_than() {
        let mut x = Xml::new();
        x.plain_text("title", &[], "a & b < c ]]> d");
        let out = String::from_utf8(x.finish()).unwrap();
        assert!(out.ends_with("<title>a &#x26; b &#x3C; c ]]&gt; d</title>\n"), "{out}");
    }

    #[test]
    fn markup_in_text_and_attributes_is_escaped() {
        let mut x = Xml::new();
        x.open("feed", &[("xmlns", "http://www.w3.org/2005/Atom")]);
        x.text("title", &[("type", "text")], "a & b < c ]]> d \u{1}🦀");
        x.empty("link", &[("href", "https://x.example/?a=1&b=\"2\"")]);
        x.close("feed");
        let s = String::from_utf8(x.finish()).unwrap();
        assert_eq!(
            s,
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
             <feed xmlns=\"http://www.w3.org/2005/Atom\">\n  \
             <title type=\"text\">a &amp; b &lt; c ]]&gt; d 🦀</title>\n  \
             <link href=\"https://x.example/?a=1&amp;b=&quot;2&quot;\"/>\n</feed>\n"
        );
    }
}
