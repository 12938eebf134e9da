//! Dialects: what a document's prolog and root element say about how feed-rs may read it.
//!
//! Owns: sniffing the root (JSON; XML feed-rs reads as it is; RSS it reads once some elements
//! are renamed; and the dialects it refuses or misreads: RSS without a version or in a foreign
//! default namespace, Atom 0.3, RSS 0.90, and documents with a later XML declaration naming
//! another encoding), the namespaces of those dialects, and the element renames feed-rs needs
//! (RSS's Dublin Core dates and titles, Atom 0.3's names).
//! Does not own: the rewriting of refused documents, which uses these renames (`repair`),
//! character sets (`charset`), or anything feed-rs reads.

use std::borrow::Cow;
use std::sync::LazyLock;

use memchr::memmem::Finder;

use super::charset::{declared_encoding, is_utf8_label};

/// What the prolog and root element say about how to read a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Dialect {
    /// XML that feed-rs may read as it is.
    Xml,
    /// RSS that feed-rs may read once some elements are renamed (see [`RSS_RENAMES`]).
    Rss,
    /// A JSON document.
    Json,
    /// XML that feed-rs would refuse or misread as it is: go straight to [`repair_xml`](super::repair::repair_xml).
    Rewrite,
}

pub(super) const ATOM_03: &str = "http://purl.org/atom/ns#";
pub(super) const ATOM_10: &str = "http://www.w3.org/2005/Atom";
pub(super) const RSS_090: &str = "http://my.netscape.com/rdf/simple/0.9/";
pub(super) const RSS_10: &str = "http://purl.org/rss/1.0/";

/// Looks at the root element only (and, cheaply, for a second XML declaration).
pub(super) fn sniff(text: &str) -> Dialect {
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
pub(super) fn rename_rss_elements(text: Cow<'_, str>) -> Cow<'_, str> {
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

/// An RSS `<description>` holding raw HTML (unescaped tags, as in `one<br/>two`) wrapped in a
/// CDATA section, so that feed-rs reads all of it: it keeps only the first text node of an
/// element with children (`one`). The raw bytes are already the HTML that a CDATA section or
/// escaping would have carried, so nothing changes meaning. A copy only when one is there.
pub(super) fn wrap_raw_html_descriptions(text: Cow<'_, str>) -> Cow<'_, str> {
    const OPEN: &str = "<description>";
    const CLOSE: &str = "</description>";
    // SIMD substring search (memchr's): `str::find` walked every byte of every RSS feed twice
    // here, 1 % of a cold fetch's CPU (perf). Both tags are ASCII, so any match is on a
    // character boundary.
    static OPENS: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(OPEN));
    static CLOSES: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(CLOSE));
    let find_open = |s: &str| OPENS.find(s.as_bytes());
    let find_close = |s: &str| CLOSES.find(s.as_bytes());
    let raw =
        |body: &str| body.contains('<') && !body.contains("<![CDATA[") && !body.contains("]]>");
    // Each body runs from an open tag to the next end tag, and the next one is looked for after
    // that: one walk through the text (looking for an end tag from every open tag was quadratic
    // in a document of unclosed descriptions, issue 10).
    let bodies = std::iter::successors(Some((&*text, None)), |(rest, _)| {
        let start = find_open(rest)? + OPEN.len();
        let len = find_close(&rest[start..])?;
        Some((&rest[start + len..], Some(&rest[start..start + len])))
    })
    .filter_map(|(_, body)| body);
    if !bodies.clone().any(raw) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 64);
    let mut rest = &*text;
    while let Some(i) = find_open(rest) {
        let start = i + OPEN.len();
        let Some(len) = find_close(&rest[start..]) else { break };
        let body = &rest[start..start + len];
        out.push_str(&rest[..start]);
        if raw(body) {
            out.push_str("<![CDATA[");
            out.push_str(body);
            out.push_str("]]>");
        } else {
            out.push_str(body);
        }
        rest = &rest[start + len..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// How many RSS 1.0 items a document has, by their start tags.
pub(super) fn count_items(text: &str) -> usize {
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

/// The kind of document [`repair_xml`](super::repair::repair_xml) is mending, by its root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Root {
    Rss,
    Rdf,
    Atom03,
    Other,
}

/// Element names feed-rs does not know and the names it does: Atom 0.3's Atom 1.0 ones, and
/// the RSS ones in [`RSS_RENAMES`].
pub(super) fn rename(name: &str, root: Root) -> String {
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

#[cfg(test)]
mod tests {
    use crate::parse::{parse_feed, tests::bare};

    #[test]
    fn a_description_with_raw_html_is_read_whole() {
        let f = bare(
            "<rss version=\"2.0\"><channel><title>T</title>\
             <item><title>A</title><description>one<br/>two &amp; <b>three</b></description></item>\
             <item><title>B</title><description>plain &lt;b&gt;</description></item>\
             </channel></rss>",
        );
        assert_eq!(f.entries[0].summary_html.as_deref(), Some("one<br/>two &amp; <b>three</b>"));
        assert_eq!(f.entries[1].summary_html.as_deref(), Some("plain <b>"));
    }

    #[test]
    fn unclosed_descriptions_are_read_in_one_walk() {
        // 200,000 `<description>` without an end tag: each looked for one to the end.
        let doc = format!(
            "<rss version=\"2.0\"><channel><title>T</title><item><title>A</title>\
             <description>x<b>y</b></description></item>{}</channel></rss>",
            "<description>".repeat(200_000)
        );
        let wrapped = super::wrap_raw_html_descriptions(doc.as_str().into());
        assert!(wrapped.starts_with(
            "<rss version=\"2.0\"><channel><title>T</title><item><title>A</title>\
             <description><![CDATA[x<b>y</b>]]></description></item><description><description>"
        ));
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
}
