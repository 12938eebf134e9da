//! How much of one document feed-rs is given: the first [`MAX_ENTRIES`] entries, at most
//! [`MAX_NODES`] elements and attributes, at most [`MAX_ATTRIBUTES`] attributes on an element.
//!
//! Why: feed-rs builds its whole model before we see any of it, at a few hundred nanoseconds
//! and a few allocations for every element and attribute, and a model entry of about a
//! kilobyte. A 15 MiB document of small items (440,000 of them) took two seconds and, as RSS
//! 1.0, a gigabyte (issue 10, item 3); so does one item of 3.9 million `<x/>`. No blog's feed
//! holds more than a few thousand entries or a hundred thousand elements, so the rest of such a
//! document is cut here, in one linear pass, before feed-rs reads it, and the count of entries
//! dropped is reported with the feed.
//!
//! Owns: cutting an XML document after its `MAX_ENTRIES`th `<item>` or `<entry>` (or where the
//! node cap falls) and closing the elements left open; dropping attributes over the cap;
//! cutting a JSON Feed's `items` array after `MAX_ENTRIES`; and the cheap proof that a document
//! is within the caps ([`within_caps`]), which spares nearly every real feed the cutting pass.
//! Does not own: reading the document (feed-rs), mending it (`repair`), or telling the editor
//! (`parse_feed` puts the count in `ParsedFeed::entries_dropped`).

use std::borrow::Cow;
use std::sync::LazyLock;

use memchr::memmem::Finder;
use quick_xml::events::{BytesStart, Event};

/// Most entries read from one document; the first ones in document order are kept (feeds list
/// newest first).
pub const MAX_ENTRIES: usize = 2_000;

/// Most elements and attributes given to feed-rs from one document: several times what a feed
/// of `MAX_ENTRIES` entries with XHTML content holds.
pub(super) const MAX_NODES: usize = 250_000;

/// Most attributes kept on one element: real ones have a handful (namespaces included).
pub(super) const MAX_ATTRIBUTES: usize = 64;

/// Open elements whose names are kept for closing at a cut: deeper than this, a cut document
/// stays unclosed, and the repair (which flattens deep nesting) mends it.
const MAX_CLOSED_DEPTH: usize = 256;

/// A document as feed-rs will be given it.
#[derive(Debug)]
pub(super) struct Trimmed<'a> {
    /// The text, borrowed when nothing was cut or dropped.
    pub(super) text: Cow<'a, str>,
    /// Entries seen in the whole document (as far as it could be read); 0 when [`trim`] proved
    /// without counting them that nothing is cut ([`within_caps`]).
    pub(super) entries: usize,
    /// Entries (whole or begun) in `text`.
    pub(super) kept: usize,
}

impl Trimmed<'_> {
    /// Entries of the document not in `text`.
    pub(super) fn dropped(&self) -> usize {
        self.entries - self.kept
    }
}

/// `text` within the caps: a JSON document's items, an XML document's entries and nodes.
pub(super) fn trim(text: &str) -> Trimmed<'_> {
    if text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}').starts_with('{') {
        trim_json(text, MAX_ENTRIES)
    } else if within_caps(text, MAX_ENTRIES, MAX_NODES, MAX_ATTRIBUTES) {
        Trimmed { text: Cow::Borrowed(text), entries: 0, kept: 0 }
    } else {
        trim_xml(text, MAX_ENTRIES, MAX_NODES, MAX_ATTRIBUTES)
    }
}

/// True only when [`trim_xml`] with these caps would return `text` as it is, with nothing
/// dropped: a quick scan (of markup only: text is skipped by `memchr`) that bounds from above
/// what `trim_xml` counts. False means "not proven", and the document is read through.
///
/// It follows quick-xml's own lexing (0.42, as `trim_xml` configures it), so that it sees the
/// same tags: text runs to the next `<`; `<![` runs to the first `]]>` after it, `<!-` to the
/// first `-->` that starts after `<!--`, `<?` to the first `?>` after it; any other `<` starts
/// a tag (start, empty or end) that runs to the first `>` outside quotes (`"` and `'` toggle,
/// as quick-xml's `ElementParser` has it). DOCTYPEs and other `<!` markup are not followed:
/// false. Where quick-xml would stop at an error the scan may go on, which only counts more.
///
/// For each start or empty tag it then bounds what `trim_xml` counts. The tag is an entry only
/// if its name's local part (after the first `:`) is `item` or `entry` (depth is not checked:
/// more entries, never fewer). Its attributes are at most half its length, and at most its
/// whitespace and `=` bytes: quick-xml's attribute iterator starts each attribute on a
/// non-whitespace byte after a whitespace or `=` byte that follows the previous one's start
/// (the first follows the whitespace that ends the name). The second, tighter bound is counted
/// only where the first is not enough: for a long tag, or in a document long enough that half
/// its length could pass the node cap.
fn within_caps(text: &str, max_entries: usize, max_nodes: usize, max_attributes: usize) -> bool {
    static CDATA_END: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("]]>"));
    static COMMENT_END: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("-->"));
    static PI_END: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("?>"));
    let b = text.as_bytes();
    // Each tag of n bytes counts at most n / 2 nodes (its attributes and itself).
    let count_separators = b.len() / 2 > max_nodes;
    let (mut entries, mut nodes) = (0usize, 0usize);
    let mut at = 0;
    while let Some(i) = memchr::memchr(b'<', &b[at..]) {
        let lt = at + i;
        // Just past the end of the markup that starts at `lt`.
        let past = |finder: &Finder<'_>, from: usize, len: usize| {
            b.get(from..).and_then(|rest| finder.find(rest)).map(|j| from + j + len)
        };
        let end = match b.get(lt + 1) {
            Some(b'!') => match b.get(lt + 2) {
                Some(b'[') => past(&CDATA_END, lt + 3, 3),
                Some(b'-') => past(&COMMENT_END, lt + 4, 3),
                _ => None,
            },
            Some(b'?') => past(&PI_END, lt + 1, 2),
            Some(first) => {
                let Some(gt) = tag_end(b, lt + 1) else { return false };
                if *first != b'/' {
                    let content = &b[lt + 1..gt];
                    let content = content.strip_suffix(b"/").unwrap_or(content);
                    let name = &content[..content
                        .iter()
                        .position(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
                        .unwrap_or(content.len())];
                    let local = name
                        .iter()
                        .position(|c| *c == b':')
                        .map_or(name, |colon| &name[colon + 1..]);
                    entries += usize::from(matches!(local, b"item" | b"entry"));
                    let mut attributes = content.len() / 2;
                    if count_separators || attributes > max_attributes {
                        let separators = content
                            .iter()
                            .filter(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n' | b'='))
                            .count();
                        attributes = attributes.min(separators);
                    }
                    nodes += 1 + attributes;
                    if attributes > max_attributes || entries > max_entries || nodes > max_nodes {
                        return false;
                    }
                }
                Some(gt + 1)
            }
            None => None,
        };
        let Some(end) = end else { return false };
        at = end;
    }
    true
}

/// The `>` that ends the tag whose content starts at `from`: the first one outside quotes, as
/// quick-xml's `ElementParser` finds it.
fn tag_end(b: &[u8], from: usize) -> Option<usize> {
    let mut quote = None;
    for i in memchr::memchr3_iter(b'>', b'"', b'\'', &b[from..]) {
        let c = b[from + i];
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == b'>' => return Some(from + i),
            None => quote = Some(c),
        }
    }
    None
}

/// Whether an element is an entry: an `item` or `entry` (any prefix) no deeper than an RSS
/// 2.0 item (`rss/channel/item`; RSS 1.0 and Atom ones sit a level higher). `depth` counts the
/// root as 1.
fn is_entry(local_name: &str, depth: usize) -> bool {
    depth <= 3 && matches!(local_name, "item" | "entry")
}

/// The XML cut: see the module header. Ill-formed XML is cut as far as quick-xml reads it and
/// left as it is after that (feed-rs refuses it, and the repaired document is trimmed again).
fn trim_xml(
    text: &str,
    max_entries: usize,
    max_nodes: usize,
    max_attributes: usize,
) -> Trimmed<'_> {
    let mut reader = quick_xml::Reader::from_str(text);
    let config = reader.config_mut();
    config.allow_dangling_amp = true;
    config.allow_unmatched_ends = true;
    config.check_end_names = false;
    config.check_comments = false;
    config.trim_text(false);
    // What the output holds so far: `text[..copied]` with rewrites, once anything changes.
    let mut out: Option<String> = None;
    let mut copied = 0;
    // Names of the open elements (as byte ranges of `text`), up to MAX_CLOSED_DEPTH.
    let mut open: Vec<(usize, usize)> = Vec::new();
    let mut depth = 0usize;
    let (mut entries, mut kept, mut nodes) = (0usize, 0usize, 0usize);
    // Where the document is cut, and how deep it is there.
    let mut cut: Option<(usize, usize)> = None;
    loop {
        let at = position(&reader);
        let event = match reader.read_event() {
            Ok(Event::Eof) | Err(_) => break,
            Ok(event) => event,
        };
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let start = matches!(event, Event::Start(_));
                let entry = is_entry(e.local_name().as_ref(), depth + 1);
                entries += usize::from(entry);
                if cut.is_none() {
                    let attributes = e.attributes().with_checks(false).count();
                    nodes += 1 + attributes.min(max_attributes);
                    if (entry && entries > max_entries) || nodes > max_nodes {
                        cut = Some((at, depth));
                    } else {
                        kept += usize::from(entry);
                        if attributes > max_attributes {
                            let end = position(&reader);
                            let o = out.get_or_insert_with(|| String::with_capacity(text.len()));
                            o.push_str(&text[copied..at]);
                            write_start_tag(o, e, !start, max_attributes);
                            copied = end;
                        }
                        if start && depth < MAX_CLOSED_DEPTH {
                            open.push((at + 1, e.name().as_ref().len()));
                        }
                    }
                }
                depth += usize::from(start);
            }
            Event::End(_) => {
                // Unmatched end tags are let through (feed-rs judges them); depth only counts.
                depth = depth.saturating_sub(1);
                if cut.is_none() && open.len() > depth {
                    open.truncate(depth);
                }
            }
            _ => {}
        }
    }
    let Some((cut, depth_at_cut)) = cut else {
        let text = match out {
            Some(mut o) => {
                o.push_str(&text[copied..]);
                Cow::Owned(o)
            }
            None => Cow::Borrowed(text),
        };
        return Trimmed { text, entries, kept };
    };
    let mut o = out.unwrap_or_else(|| String::with_capacity(cut + 1024));
    o.push_str(&text[copied..cut]);
    // Names are kept for the outermost MAX_CLOSED_DEPTH elements only: a deeper cut stays open.
    if depth_at_cut <= open.len() {
        for (start, len) in open.iter().rev() {
            o.push_str("</");
            o.push_str(&text[*start..start + len]);
            o.push('>');
        }
    }
    Trimmed { text: Cow::Owned(o), entries, kept }
}

/// The reader's position as an index into the text.
fn position(reader: &quick_xml::Reader<&[u8]>) -> usize {
    usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX)
}

/// A start tag with its first `max_attributes` attributes, as written (values stay escaped).
fn write_start_tag(out: &mut String, e: &BytesStart<'_>, empty: bool, max_attributes: usize) {
    out.push('<');
    out.push_str(e.name().as_ref());
    for a in e.attributes().with_checks(false).flatten().take(max_attributes) {
        let quote = if a.value.contains('"') { '\'' } else { '"' };
        out.push(' ');
        out.push_str(a.key.as_ref());
        out.push('=');
        out.push(quote);
        out.push_str(&a.value);
        out.push(quote);
    }
    out.push_str(if empty { "/>" } else { ">" });
}

/// The JSON cut: the top-level `items` array keeps its first `max_entries` elements. A
/// document that is not a JSON object with such an array is left as it is.
fn trim_json(text: &str, max_entries: usize) -> Trimmed<'_> {
    let untouched = |entries| Trimmed { text: Cow::Borrowed(text), entries, kept: entries };
    let Some(items) = top_level_array(text, "items") else { return untouched(0) };
    let b = text.as_bytes();
    // Walk the array's elements: commas at its own depth separate them.
    let (mut depth, mut i, mut count, mut cut) = (0usize, items + 1, 0usize, None);
    let mut empty = true;
    while i < b.len() {
        match b[i] {
            b'"' => {
                empty = false;
                i = string_end(b, i);
                continue;
            }
            b'[' | b'{' => {
                empty = false;
                depth += 1;
            }
            b']' | b'}' if depth > 0 => depth -= 1,
            b']' => {
                count += usize::from(!empty);
                let text = match cut {
                    Some(c) => Cow::Owned(format!("{}{}", &text[..c], &text[i..])),
                    None => Cow::Borrowed(text),
                };
                return Trimmed { text, entries: count, kept: count.min(max_entries) };
            }
            b',' if depth == 0 => {
                count += 1;
                if count == max_entries && cut.is_none() {
                    cut = Some(i);
                }
            }
            c if !c.is_ascii_whitespace() => empty = false,
            _ => {}
        }
        i += 1;
    }
    // The array never closes: feed-rs refuses the document whatever is cut.
    untouched(count)
}

/// Where the `[` of the array under `key` in the top-level object is, if there is one.
fn top_level_array(text: &str, key: &str) -> Option<usize> {
    let b = text.as_bytes();
    let mut i = b.iter().position(|c| *c == b'{')? + 1;
    let mut depth = 0usize;
    while i < b.len() {
        match b[i] {
            b'"' => {
                let end = string_end(b, i);
                if depth == 0 {
                    let name = &text[i + 1..end.saturating_sub(1).max(i + 1)];
                    let after = text[end.min(b.len())..].trim_start();
                    if let Some(value) = after.strip_prefix(':') {
                        let value = value.trim_start();
                        if name == key && value.starts_with('[') {
                            return Some(b.len() - value.len());
                        }
                    }
                }
                i = end;
                continue;
            }
            b'[' | b'{' => depth += 1,
            b']' | b'}' if depth == 0 => return None,
            b']' | b'}' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    None
}

/// The index just past the string starting with the quote at `start`.
fn string_end(b: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rss_items(n: usize) -> String {
        let items: String = (0..n).map(|i| format!("<item><title>t{i}</title></item>")).collect();
        format!("<rss version=\"2.0\"><channel><title>T</title>{items}</channel></rss>")
    }

    #[test]
    fn an_xml_document_within_the_caps_is_left_as_it_is() {
        let doc = rss_items(3);
        let t = trim_xml(&doc, 3, 100, MAX_ATTRIBUTES);
        assert!(matches!(t.text, Cow::Borrowed(_)));
        assert_eq!((t.entries, t.kept, t.dropped()), (3, 3, 0));
    }

    #[test]
    fn an_xml_document_is_cut_after_its_nth_entry_and_closed() {
        let doc = rss_items(5);
        let t = trim_xml(&doc, 2, 100, MAX_ATTRIBUTES);
        assert_eq!(
            t.text,
            "<rss version=\"2.0\"><channel><title>T</title><item><title>t0</title></item>\
             <item><title>t1</title></item></channel></rss>"
        );
        assert_eq!((t.entries, t.kept, t.dropped()), (5, 2, 3));
    }

    #[test]
    fn rss_1_and_atom_entries_are_counted_and_nested_items_are_not() {
        let rdf = "<rdf:RDF><channel><items><rdf:Seq><rdf:li/></rdf:Seq></items></channel>\
                   <item><title>a</title></item><item><title>b</title></item></rdf:RDF>";
        let t = trim_xml(rdf, 1, 100, MAX_ATTRIBUTES);
        assert_eq!(
            t.text,
            "<rdf:RDF><channel><items><rdf:Seq><rdf:li/></rdf:Seq></items></channel><item><title>a</title></item></rdf:RDF>"
        );
        let atom = "<feed><entry><content><x><y><item/></y></x></content></entry><entry/></feed>";
        assert_eq!((trim_xml(atom, 5, 100, MAX_ATTRIBUTES).entries), 2);
    }

    #[test]
    fn the_node_cap_cuts_inside_an_entry_and_closes_it() {
        let doc = format!(
            "<rss><channel><item><title>T</title>{}</item></channel></rss>",
            "<x/>".repeat(50)
        );
        let t = trim_xml(&doc, 10, 6, MAX_ATTRIBUTES);
        assert_eq!(t.text, "<rss><channel><item><title>T</title><x/><x/></item></channel></rss>");
        assert_eq!((t.entries, t.kept), (1, 1));
    }

    #[test]
    fn attributes_over_the_cap_are_dropped() {
        let attrs: String = (0..MAX_ATTRIBUTES + 5).map(|i| format!(" a{i}='v\"{i}'")).collect();
        let doc = format!(
            "<rss><channel><item{attrs}><title>T</title></item><x{attrs}/></channel></rss>"
        );
        let t = trim_xml(&doc, 10, 10_000, MAX_ATTRIBUTES);
        let kept: String = (0..MAX_ATTRIBUTES).map(|i| format!(" a{i}='v\"{i}'")).collect();
        assert_eq!(
            t.text,
            format!("<rss><channel><item{kept}><title>T</title></item><x{kept}/></channel></rss>")
        );
    }

    #[test]
    fn ill_formed_xml_is_cut_as_far_as_it_reads() {
        let doc = format!("{}<a <<", rss_items(4).trim_end_matches("</channel></rss>"));
        let t = trim_xml(&doc, 2, 100, MAX_ATTRIBUTES);
        assert!(t.text.ends_with("<item><title>t1</title></item></channel></rss>"), "{}", t.text);
        assert_eq!(t.dropped(), 2);
    }

    #[test]
    fn a_document_is_proven_within_the_caps_only_when_it_is() {
        let within =
            |doc: &str, entries, nodes, attributes| within_caps(doc, entries, nodes, attributes);
        let doc = rss_items(3);
        assert!(within(&doc, 3, 100, 64));
        assert!(!within(&doc, 2, 100, 64), "one entry too many");
        assert!(!within(&doc, 3, 10, 64), "too many nodes");
        // Markup inside CDATA, comments and processing instructions is not counted.
        let doc = "<?xml version=\"1.0\"?><rss><!-- <item> --><channel><item><description>\
                   <![CDATA[<item><entry><x a=1 b=2 c=3>]]></description></item></channel></rss>";
        assert!(within(doc, 1, 100, 2));
        assert_eq!(trim_xml(doc, 1, 100, 2).dropped(), 0);
        // A `>` inside quotes does not end a tag; its attributes are bounded all the same.
        let attrs: String = (0..MAX_ATTRIBUTES + 1).map(|i| format!(" a{i}='>'")).collect();
        let doc = format!("<rss><channel{attrs}><item/></channel></rss>");
        assert!(!within(&doc, 10, 10_000, MAX_ATTRIBUTES));
        assert!(matches!(trim_xml(&doc, 10, 10_000, MAX_ATTRIBUTES).text, Cow::Owned(_)));
        // Markup it does not follow is not proven.
        assert!(!within("<!DOCTYPE rss><rss/>", 10, 100, 64));
        assert!(!within("<rss><!-", 10, 100, 64));
        // `<!-->` and `<!--->` do not end the comments they begin, as quick-xml reads them.
        for doc in ["<r><!--><![CDATA[--><item/>]]></r>", "<r><!---><![CDATA[--><item/>]]></r>"] {
            assert_eq!(trim_xml(doc, 0, 100, 64).dropped(), 1);
            assert!(!within(doc, 0, 100, 64), "{doc}");
        }
        // The test module's own RSS documents, and so nearly every real feed, are proven.
        assert!(within(&rss_items(MAX_ENTRIES), MAX_ENTRIES, MAX_NODES, MAX_ATTRIBUTES));
    }

    /// Pieces of XML the documents of the property below are mostly made of: tags that count
    /// towards the caps (or look as if they might), and markup whose content does not count.
    const PIECES: &[&str] = &[
        "<item>",
        "</item>",
        "<entry/>",
        "<x:item a='1'>",
        "<a:b:item>",
        "<a/b:entry>",
        "<item/ >",
        "<a b=\"1\" c='2'>",
        "<a b='>' c d e f>",
        "<a b=\">\" c=' d e>",
        "</a>",
        "<a\tb\n=\r'1'/>",
        "<a b c d>",
        "text",
        " ",
        "&amp;",
        "<![CDATA[<item>]]>",
        "<!-- <item> -->",
        "<!--->",
        "<?pi <item> ?>",
        "<rss>",
        "</rss>",
        "<channel>",
    ];

    /// Odd bytes and broken markup, sprinkled in.
    const ODD: &[&str] = &[
        "<",
        ">",
        "/>",
        "/",
        "\"",
        "'",
        "=",
        ":",
        "item",
        "entry",
        "<![CDATA[",
        "]]>",
        "<!--",
        "<!-",
        "-",
        "-->",
        "<?",
        "?>",
        "&",
        "<!DOCTYPE x>",
        "<!x>",
        "<a",
    ];

    proptest::proptest! {
        #[test]
        fn a_document_proven_within_the_caps_is_never_cut(
            pieces in proptest::collection::vec(
                proptest::prop_oneof![
                    6 => proptest::sample::select(PIECES),
                    1 => proptest::sample::select(ODD),
                ],
                0..40,
            ),
            entries in 0usize..5,
            nodes in 0usize..40,
            attributes in 0usize..6,
        ) {
            let doc = pieces.concat();
            if within_caps(&doc, entries, nodes, attributes) {
                let t = trim_xml(&doc, entries, nodes, attributes);
                proptest::prop_assert!(matches!(t.text, Cow::Borrowed(_)), "{doc:?}: {:?}", t.text);
                proptest::prop_assert_eq!(t.dropped(), 0, "{}", doc);
            }
        }
    }

    #[test]
    fn a_json_feed_keeps_its_first_items() {
        let doc = r#"{"version":"https://jsonfeed.org/version/1.1","title":"T, [x]",
            "items":[{"id":"1","tags":["a","b"]}, {"id":"2,\"]"} ,{"id":"3"}],"next_url":"n"}"#;
        let t = trim_json(doc, 2);
        assert_eq!(
            t.text,
            r#"{"version":"https://jsonfeed.org/version/1.1","title":"T, [x]",
            "items":[{"id":"1","tags":["a","b"]}, {"id":"2,\"]"} ],"next_url":"n"}"#
        );
        assert_eq!((t.entries, t.kept, t.dropped()), (3, 2, 1));
        let t = trim_json(doc, 3);
        assert!(matches!(t.text, Cow::Borrowed(_)));
        assert_eq!((t.entries, t.kept), (3, 3));
    }

    #[test]
    fn json_items_only_count_at_the_top_level() {
        let doc = r#"{"author":{"items":[1,2,3]},"items":[]}"#;
        assert_eq!(trim_json(doc, 1).entries, 0);
        let doc = r#"{"items":[{"items":[1,2,3]}]}"#;
        assert_eq!(trim_json(doc, 1).entries, 1);
    }
}
