//! HTML → plain text, fast and pure: for titles, search and excerpt paragraphs.
//!
//! This is cosmetic, not a security boundary (miniflux's `strip_tags.go` says the same):
//! anything that reaches HTML output goes through an allowlist sanitiser instead.

/// Elements whose content is never text.
const SKIPPED: &[&str] = &["script", "style", "noscript", "template", "head", "iframe", "svg"];

/// Elements that end a paragraph.
#[rustfmt::skip]
const BLOCKS: &[&str] = &[
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre",
    "section", "article", "header", "footer", "table", "tr", "figure", "figcaption", "hr", "dd",
    "dt", "aside", "main", "nav",
];

/// Plain text of an HTML fragment: tags dropped, entities decoded, one blank line between
/// paragraphs, runs of spaces collapsed.
pub(crate) fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut rest = html;
    let mut skipping: Option<&'static str> = None;
    // memchr's SIMD search: `str::find` on a char searched a word at a time (perf).
    while let Some(lt) = memchr::memchr(b'<', rest.as_bytes()) {
        if skipping.is_none() {
            push_text(&mut out, &rest[..lt]);
        }
        let after = &rest[lt..];
        if let Some(body) = after.strip_prefix("<!--") {
            rest = body.find("-->").map_or("", |end| &body[end + 3..]);
            continue;
        }
        if let Some(body) = after.strip_prefix("<![CDATA[") {
            let end = body.find("]]>").unwrap_or(body.len());
            if skipping.is_none() {
                push_raw(&mut out, &body[..end]);
            }
            rest = body.get(end + 3..).unwrap_or("");
            continue;
        }
        let Some(gt) = tag_end(after) else {
            // A lone '<' is text.
            if skipping.is_none() {
                push_raw(&mut out, after);
            }
            rest = "";
            break;
        };
        let tag = &after[1..gt];
        let closing = tag.starts_with('/');
        let unslashed = tag.trim_start_matches('/');
        let name = &unslashed[..unslashed.bytes().take_while(u8::is_ascii_alphanumeric).count()];
        if name.is_empty() && !closing {
            // "a < b" style text, not a tag.
            if skipping.is_none() {
                push_raw(&mut out, "<");
            }
            rest = &after[1..];
            continue;
        }
        match skipping {
            Some(s) if closing && s.eq_ignore_ascii_case(name) => skipping = None,
            Some(_) => {}
            None if !closing && !tag.ends_with('/') && one_of(SKIPPED, name).is_some() => {
                skipping = one_of(SKIPPED, name)
            }
            None if one_of(BLOCKS, name).is_some() => paragraph_break(&mut out),
            None => {}
        }
        rest = &after[gt + 1..];
    }
    if skipping.is_none() {
        push_text(&mut out, rest);
    }
    out.trim().to_string()
}

/// The element of `names` that `name` is, in any case.
fn one_of(names: &[&'static str], name: &str) -> Option<&'static str> {
    names.iter().find(|n| n.eq_ignore_ascii_case(name)).copied()
}

/// Where the `>` that ends the tag at the start of `s` is. A `>` inside a quoted attribute
/// value (`<img alt="a > b">`) does not end it; an unbalanced quote falls back to the first `>`.
fn tag_end(s: &str) -> Option<usize> {
    let first = s.find('>')?;
    if !s[..first].contains(['"', '\'']) {
        return Some(first);
    }
    let mut quote: Option<u8> = None;
    let mut after_equals = false;
    for (i, b) in s.bytes().enumerate().skip(1) {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if (b == b'"' || b == b'\'') && after_equals => quote = Some(b),
            None if b == b'>' => return Some(i),
            None => {}
        }
        if quote.is_none() && !b.is_ascii_whitespace() {
            after_equals = b == b'=';
        }
    }
    Some(first)
}

/// A title as plain text: tags stripped, entities decoded, whitespace collapsed to one line.
pub(crate) fn plain_title(s: &str) -> String {
    let stripped = if s.contains('<') { html_to_text(s) } else { decode(s) };
    stripped.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Decodes HTML entities (named, decimal and hex).
pub(crate) fn decode(s: &str) -> String {
    if s.contains('&') { html_escape::decode_html_entities(s).into_owned() } else { s.to_string() }
}

/// The paragraphs of a text made by [`html_to_text`].
pub(crate) fn paragraphs(text: &str) -> impl Iterator<Item = &str> {
    text.split("\n\n").map(str::trim).filter(|p| !p.is_empty())
}

fn push_text(out: &mut String, raw: &str) {
    if raw.is_empty() {
        return;
    }
    // Borrowed unless there is an entity to decode.
    push_raw(out, &html_escape::decode_html_entities(raw));
}

/// Appends `text` with each run of whitespace (as [`char::is_whitespace`] has it) collapsed to
/// one space (none at the start of `out` or of a line). This runs over every byte of every
/// feed, so text between runs that need changing is copied in one piece: prose, whose words are
/// already one space apart, is one copy per paragraph.
fn push_raw(out: &mut String, text: &str) {
    let bytes = text.as_bytes();
    // Start of the text not yet copied.
    let mut span = 0;
    let mut i = 0;
    while i < bytes.len() {
        // Most bytes are letters: passed over on a table lookup.
        if !MAY_START_WHITESPACE[usize::from(bytes[i])] {
            i += 1;
            continue;
        }
        let Some(n) = whitespace_at(text, i) else {
            i += 1;
            continue;
        };
        let run = i;
        i += n;
        while let Some(n) = (i < bytes.len()).then(|| whitespace_at(text, i)).flatten() {
            i += n;
        }
        // One plain space between two words stays as it is, in the piece being copied.
        if i - run == 1 && bytes[run] == b' ' && run > span && i < bytes.len() {
            continue;
        }
        out.push_str(&text[span..run]);
        if !out.is_empty() && !out.ends_with([' ', '\n']) {
            out.push(' ');
        }
        span = i;
    }
    out.push_str(&text[span..]);
}

/// The bytes [`whitespace_at`] looks further at: ASCII whitespace and the lead bytes of the
/// non-ASCII whitespace characters.
static MAY_START_WHITESPACE: [bool; 256] = {
    let mut table = [false; 256];
    let starts = [b' ', b'\t', b'\n', b'\x0B', b'\x0C', b'\r', 0xC2, 0xE1, 0xE2, 0xE3];
    let mut k = 0;
    while k < starts.len() {
        table[starts[k] as usize] = true;
        k += 1;
    }
    table
};

/// The length of the whitespace character at byte `i` of `text`, if one starts there. `i` may
/// fall inside a character: only ASCII bytes and the first bytes of the non-ASCII whitespace
/// characters (U+0085, U+00A0, U+1680, U+2000 to U+205F, U+3000: lead bytes C2, E1, E2, E3) are
/// looked at, and those always start a character. Inlined: it is asked about every byte of
/// every feed's text (a call per byte was a quarter of `html_to_text`'s time, perf).
#[inline]
fn whitespace_at(text: &str, i: usize) -> Option<usize> {
    match text.as_bytes()[i] {
        b' ' | b'\t' | b'\n' | b'\x0B' | b'\x0C' | b'\r' => Some(1),
        0xC2 | 0xE1 | 0xE2 | 0xE3 => {
            text[i..].chars().next().filter(|c| c.is_whitespace()).map(char::len_utf8)
        }
        _ => None,
    }
}

fn paragraph_break(out: &mut String) {
    while out.ends_with(' ') {
        out.pop();
    }
    if !out.is_empty() && !out.ends_with("\n\n") {
        if out.ends_with('\n') {
            out.push('\n');
        } else {
            out.push_str("\n\n");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_runs_collapse_to_one_space_between_and_around_tags() {
        assert_eq!(html_to_text("a  b\t\nc<b> d </b>e<i>f</i> g"), "a b c d ef g");
        assert_eq!(html_to_text("<p>  lead </p><p>\n next</p>"), "lead\n\nnext");
    }

    #[test]
    fn paragraphs_are_kept_and_tags_dropped() {
        let t = html_to_text("<p>One <b>bold</b>\n move.</p><p>Two &amp; three</p>");
        assert_eq!(t, "One bold move.\n\nTwo & three");
        assert_eq!(paragraphs(&t).count(), 2);
    }

    #[test]
    fn scripts_styles_and_comments_are_not_text() {
        let t =
            html_to_text("<p>a<script>alert('x<p>')</script>b</p><style>p{}</style><!-- c -->d");
        assert_eq!(t, "ab\n\nd");
    }

    #[test]
    fn a_lone_less_than_sign_is_text() {
        assert_eq!(html_to_text("1 < 2 and 3 > 2"), "1 < 2 and 3 > 2");
    }

    #[test]
    fn a_greater_than_sign_in_a_quoted_attribute_does_not_end_the_tag() {
        assert_eq!(html_to_text(r#"<img alt="cat<br />dog" src="x.jpg" />Caption"#), "Caption");
        assert_eq!(html_to_text("<a title='a > b' href=x>link</a> text"), "link text");
        assert_eq!(html_to_text("<img alt=don't>after"), "after");
    }

    /// The word-by-word collapse [`push_raw`] replaced, as the reference it must agree with.
    fn push_words(out: &mut String, text: &str) {
        let mut space = text.starts_with(char::is_whitespace);
        for word in text.split_whitespace() {
            if space && !out.is_empty() && !out.ends_with([' ', '\n']) {
                out.push(' ');
            }
            out.push_str(word);
            space = true;
        }
        if text.ends_with(char::is_whitespace) && !out.is_empty() && !out.ends_with([' ', '\n']) {
            out.push(' ');
        }
    }

    proptest::proptest! {
        #[test]
        fn whitespace_collapses_as_word_by_word_does(
            before in "(a|\n| )?",
            text in "([ \t\n\r\x0B\x0C\u{85}\u{A0}\u{1680}\u{2003}\u{2019}\u{202F}\u{3000}é東xy]|  ){0,24}",
        ) {
            let (mut fast, mut reference) = (before.clone(), before);
            push_raw(&mut fast, &text);
            push_words(&mut reference, &text);
            proptest::prop_assert_eq!(fast, reference);
        }
    }

    #[test]
    fn tags_are_known_in_any_case() {
        assert_eq!(html_to_text("a<BR>b<Script>x</SCRIPT>c<P>d"), "a\n\nbc\n\nd");
        assert_eq!(html_to_text("a\u{A0}\u{A0}b\u{2003}c\u{85}d"), "a b c d");
    }

    #[test]
    fn titles_lose_markup_and_entities_once() {
        assert_eq!(plain_title("First <em>post</em> &amp;amp; more"), "First post &amp; more");
        assert_eq!(plain_title("Council&#8217;s  budget\n"), "Council\u{2019}s budget");
        assert_eq!(plain_title("Tom &amp; Jerry"), "Tom & Jerry");
    }
}
