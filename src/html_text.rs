//! HTML → plain text, fast and pure: for titles, search and excerpt paragraphs.
//!
//! This is cosmetic, not a security boundary (miniflux's `strip_tags.go` says the same):
//! anything that reaches HTML output goes through an allowlist sanitiser instead.

/// What an element means for the text: its content is never text (`script`, `style`,
/// `noscript`, `template`, `head`, `iframe`, `svg`: the name, to find its end tag by), it ends
/// a paragraph (`p`, `div`, `br`, lists, headings, `blockquote`, `pre`, sections, tables,
/// figures, `hr`, definitions), or neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Element {
    Skipped(&'static str),
    Block,
    Inline,
}

/// The [`Element`] of a tag named `name` (ASCII letters and digits), in any case: one `match`
/// on the lower-cased name instead of a case-insensitive comparison with each name in turn.
fn element(name: &str) -> Element {
    let mut lower = [0u8; 10];
    let Some(lower) = lower.get_mut(..name.len()) else { return Element::Inline };
    lower.copy_from_slice(name.as_bytes());
    lower.make_ascii_lowercase();
    match &*lower {
        b"script" => Element::Skipped("script"),
        b"style" => Element::Skipped("style"),
        b"noscript" => Element::Skipped("noscript"),
        b"template" => Element::Skipped("template"),
        b"head" => Element::Skipped("head"),
        b"iframe" => Element::Skipped("iframe"),
        b"svg" => Element::Skipped("svg"),
        b"p" | b"div" | b"br" | b"li" | b"ul" | b"ol" | b"h1" | b"h2" | b"h3" | b"h4" | b"h5"
        | b"h6" | b"blockquote" | b"pre" | b"section" | b"article" | b"header" | b"footer"
        | b"table" | b"tr" | b"figure" | b"figcaption" | b"hr" | b"dd" | b"dt" | b"aside"
        | b"main" | b"nav" => Element::Block,
        _ => Element::Inline,
    }
}

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
        match (skipping, element(name)) {
            (Some(s), _) if closing && s.eq_ignore_ascii_case(name) => skipping = None,
            (Some(_), _) => {}
            (None, Element::Skipped(s)) if !closing && !tag.ends_with('/') => skipping = Some(s),
            (None, Element::Block) => paragraph_break(&mut out),
            (None, _) => {}
        }
        rest = &after[gt + 1..];
    }
    if skipping.is_none() {
        push_text(&mut out, rest);
    }
    trim_in_place(out)
}

/// `s` trimmed without copying it into a new string (`html_to_text` made a second copy of
/// every entry's text that way). The space a text made mostly of markup did not use is given
/// back, as the copy did: the text waits in memory for the writer.
fn trim_in_place(mut s: String) -> String {
    s.truncate(s.trim_end().len());
    let leading = s.len() - s.trim_start().len();
    s.drain(..leading);
    if s.capacity() > 2 * s.len() {
        s.shrink_to_fit();
    }
    s
}

/// Where the `>` that ends the tag at the start of `s` is. A `>` inside a quoted attribute
/// value (`<img alt="a > b">`) does not end it; an unbalanced quote falls back to the first `>`.
fn tag_end(s: &str) -> Option<usize> {
    let first = memchr::memchr(b'>', s.as_bytes())?;
    if memchr::memchr2(b'"', b'\'', &s.as_bytes()[..first]).is_none() {
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
    decode_entities(s).into_owned()
}

/// `text` with its character references decoded exactly as html-escape's
/// `decode_html_entities` decodes them (a unit test holds the two together): only references
/// closed by `;` before the next `&`, named ones by HTML's table, numeric ones unless they name
/// no character or a C0 control other than whitespace. That function looks at the text a byte
/// at a time and each name up in a table of two thousand; it was 1.7 % of a cold fetch. Here
/// `memchr` finds the `&`s and `;`s, and the names WordPress and most feeds write are matched
/// first; any other goes to html-escape alone.
fn decode_entities(text: &str) -> std::borrow::Cow<'_, str> {
    let Some(first) = memchr::memchr(b'&', text.as_bytes()) else {
        return std::borrow::Cow::Borrowed(text);
    };
    let mut out = String::with_capacity(text.len());
    // Copied up to `done`; the next reference to look at starts at `amp`.
    let (mut done, mut amp) = (0, first);
    loop {
        let name_start = amp + 1;
        // html-escape gives up on every later reference once one runs to the end of the text.
        let Some(end) = memchr::memchr2(b';', b'&', &text.as_bytes()[name_start..]) else { break };
        let end = name_start + end;
        if text.as_bytes()[end] == b';' {
            if let Some(decoded) = reference(&text[name_start..end]) {
                out.push_str(&text[done..amp]);
                decoded.push_to(&mut out, &text[amp..=end]);
                done = end + 1;
            }
            match memchr::memchr(b'&', &text.as_bytes()[end + 1..]) {
                Some(next) => amp = end + 1 + next,
                None => break,
            }
        } else {
            amp = end;
        }
    }
    out.push_str(&text[done..]);
    std::borrow::Cow::Owned(out)
}

/// What a reference decodes to.
enum Decoded {
    Text(&'static str),
    Char(char),
    /// A name not among the common ones: html-escape decodes the whole reference, or leaves it.
    Other,
}

impl Decoded {
    fn push_to(&self, out: &mut String, whole: &str) {
        match self {
            Decoded::Text(s) => out.push_str(s),
            Decoded::Char(c) => out.push(*c),
            Decoded::Other => out.push_str(&html_escape::decode_html_entities(whole)),
        }
    }
}

/// The reference named `name` (between `&` and `;`), or `None` when it is left as it is.
fn reference(name: &str) -> Option<Decoded> {
    let number = |digits: &str, radix: u32| {
        let c = char::from_u32(u32::from_str_radix(digits, radix).ok()?)?;
        let allowed =
            !c.is_ascii_control() || matches!(c, '\t' | '\n' | '\u{0C}' | '\r' | '\u{7F}');
        allowed.then_some(Decoded::Char(c))
    };
    match name.as_bytes() {
        [b'#', b'x' | b'X', first, ..] if first.is_ascii_hexdigit() => number(&name[2..], 16),
        [b'#', first, ..] if first.is_ascii_digit() => number(&name[1..], 10),
        [b'#', ..] | [] => None,
        b"amp" => Some(Decoded::Text("&")),
        b"lt" => Some(Decoded::Text("<")),
        b"gt" => Some(Decoded::Text(">")),
        b"quot" => Some(Decoded::Text("\"")),
        b"apos" => Some(Decoded::Text("'")),
        b"nbsp" => Some(Decoded::Text("\u{A0}")),
        b"rsquo" => Some(Decoded::Text("\u{2019}")),
        b"lsquo" => Some(Decoded::Text("\u{2018}")),
        b"rdquo" => Some(Decoded::Text("\u{201D}")),
        b"ldquo" => Some(Decoded::Text("\u{201C}")),
        b"ndash" => Some(Decoded::Text("\u{2013}")),
        b"mdash" => Some(Decoded::Text("\u{2014}")),
        b"hellip" => Some(Decoded::Text("\u{2026}")),
        _ => Some(Decoded::Other),
    }
}

/// The paragraphs of a text made by [`html_to_text`].
pub(crate) fn paragraphs(text: &str) -> impl Iterator<Item = &str> {
    text.split("\n\n").map(str::trim).filter(|p| !p.is_empty())
}

fn push_text(out: &mut String, raw: &str) {
    push_raw(out, &decode_entities(raw));
}

/// Appends `text` with each run of whitespace (as [`char::is_whitespace`] has it) collapsed to
/// one space (none at the start of `out` or of a line). This runs over every byte of every
/// feed, so text between runs that need changing is copied in one piece: prose, whose words are
/// already one space apart, is one copy per paragraph; and letters are passed over eight at a
/// time ([`next_candidate`]).
fn push_raw(out: &mut String, text: &str) {
    let bytes = text.as_bytes();
    // Start of the text not yet copied.
    let mut span = 0;
    let mut i = 0;
    while i < bytes.len() {
        if !MAY_START_WHITESPACE[usize::from(bytes[i])] {
            i = next_candidate(bytes, i + 1);
            continue;
        }
        // The most common whitespace: one space between two words, kept where it is.
        if bytes[i] == b' '
            && i > span
            && bytes.get(i + 1).is_some_and(|b| !MAY_START_WHITESPACE[usize::from(*b)])
        {
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

/// The first index from `i` on whose byte is in [`MAY_START_WHITESPACE`] or may be: an ASCII
/// control or space (below 0x21) or the lead byte of a character of 2 or more bytes (0xC0 and
/// above). Eight bytes are looked at in one step: bit tricks on a `u64` flag the bytes below
/// 0x21 (the lowest flag is always right, as borrows only run upwards) and those with their two
/// top bits set.
#[inline]
fn next_candidate(bytes: &[u8], mut i: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const TOP_BITS: u64 = 0x8080_8080_8080_8080;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let w = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        let hits = (w.wrapping_sub(ONES * 0x21) & !w & TOP_BITS) | (w & (w << 1) & TOP_BITS);
        if hits != 0 {
            return i + usize::try_from(hits.trailing_zeros() / 8).unwrap_or(0);
        }
        i += 8;
    }
    while bytes.get(i).is_some_and(|b| (0x21..0xC0).contains(b)) {
        i += 1;
    }
    i
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

    /// The implementation before the `Element` match, the `&` and quote checks by `memchr` and
    /// [`next_candidate`]: the reference the current one must agree with.
    mod reference {
        use super::super::{MAY_START_WHITESPACE, paragraph_break, whitespace_at};

        const SKIPPED: &[&str] =
            &["script", "style", "noscript", "template", "head", "iframe", "svg"];
        #[rustfmt::skip]
        const BLOCKS: &[&str] = &[
            "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
            "pre", "section", "article", "header", "footer", "table", "tr", "figure",
            "figcaption", "hr", "dd", "dt", "aside", "main", "nav",
        ];

        pub(super) fn html_to_text(html: &str) -> String {
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
                let name =
                    &unslashed[..unslashed.bytes().take_while(u8::is_ascii_alphanumeric).count()];
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
        fn one_of(names: &[&'static str], name: &str) -> Option<&'static str> {
            names.iter().find(|n| n.eq_ignore_ascii_case(name)).copied()
        }
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
        fn push_text(out: &mut String, raw: &str) {
            if raw.is_empty() {
                return;
            }
            // Borrowed unless there is an entity to decode.
            push_raw(out, &html_escape::decode_html_entities(raw));
        }
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
    }

    proptest::proptest! {
        #[test]
        fn html_to_text_agrees_with_the_reference(
            html in "(<p>|</p>|<BR/>|<b>|</b>|<Script>|</script>|<style>|</STYLE>|<svg/>|<figcaption>|<blockquote >|<a href=\"x > y\">|<img alt='it>s'>|<!-- c -->|<![CDATA[x < y]]>|<|>|&amp;|&#8217;|&|\"|'|a|b|é|\u{2019}|\u{A0}|\u{2003}|\u{85}| |  |\n|\t|\r|\x0B|\x01){0,40}",
        ) {
            proptest::prop_assert_eq!(html_to_text(&html), reference::html_to_text(&html));
        }

        #[test]
        fn references_decode_as_html_escape_decodes_them(
            text in "(&|;|#|x|X|a|0|9|F|amp|lt|nbsp|rsquo|hellip|eacute|notin|not|#39|#x2019|#8217|#0|#9|#x1F|#127|#x7f|#128|#xD800|#1114112|#99999999999|#+1|#x-1| |é){0,24}",
        ) {
            proptest::prop_assert_eq!(decode_entities(&text), html_escape::decode_html_entities(&text));
        }

        #[test]
        fn next_candidate_finds_what_a_byte_by_byte_search_finds(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40),
            from in 0usize..40,
        ) {
            let from = from.min(bytes.len());
            let naive = (from..bytes.len())
                .find(|&i| bytes[i] < 0x21 || bytes[i] >= 0xC0)
                .unwrap_or(bytes.len());
            proptest::prop_assert_eq!(next_candidate(&bytes, from), naive);
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
