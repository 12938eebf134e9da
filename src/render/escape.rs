//! Plain text → safe Markdown or HTML. Everything a draft shows from a feed, a web page or the
//! editor is plain text, and passes through here (or through [`super::sanitize`] when it is
//! HTML) before a template sees it. Pure functions, no I/O.
//!
//! Markdown escaping targets CommonMark / GitHub-flavoured Markdown: ASCII punctuation that could
//! start emphasis, links, code, tables or strikethrough is backslash-escaped, and `<`, `>` (and
//! a `&` that could start an entity) become entities, which every Markdown dialect shows as text
//! (original Markdown.pl does not honour `\<`). Each paragraph is folded onto one line, so only
//! the start of a line can open a block (heading, list, quote, thematic break): those starts are
//! escaped too.

use std::borrow::Cow;

use percent_encoding::{AsciiSet, utf8_percent_encode};

/// The paragraphs of a plain text: split on blank lines, whitespace (and control characters)
/// inside each folded to single spaces, empty ones dropped.
pub(crate) fn paragraphs(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            continue;
        }
        for word in line.split(|c: char| c.is_whitespace() || c.is_control()) {
            if word.is_empty() {
                continue;
            }
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(word);
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// One line of plain text: all whitespace and control characters folded to single spaces.
pub(crate) fn one_line(text: &str) -> Cow<'_, str> {
    let clean = !text.starts_with(char::is_whitespace)
        && !text.ends_with(char::is_whitespace)
        && !text.contains(|c: char| c.is_control() || (c.is_whitespace() && c != ' '))
        && !text.contains("  ");
    if clean {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.split(|c: char| c.is_whitespace() || c.is_control())
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// ASCII punctuation that Markdown could read as syntax anywhere in a line.
fn md_special(c: char) -> bool {
    matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~')
}

/// Plain text as inline Markdown that renders as exactly that text: one line, syntax escaped.
pub(crate) fn md_inline(text: &str) -> Cow<'_, str> {
    let line = one_line(text);
    let needs = line.contains(|c: char| md_special(c) || matches!(c, '<' | '>' | '&' | '#'))
        || line.starts_with(['-', '+', '='])
        || line.starts_with(|c: char| c.is_ascii_digit());
    if !needs {
        return line;
    }
    let mut out = String::with_capacity(line.len() + 8);
    let chars: Vec<char> = line.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let next = chars.get(i + 1).copied();
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            // Only a `&` that could begin an entity (`&amp;`, `&#60;`) needs escaping.
            '&' if next.is_some_and(|n| n.is_ascii_alphanumeric() || n == '#') => {
                out.push_str("&amp;")
            }
            // A heading at the start of a line, or a closing sequence at its end.
            '#' if i == 0 || i + 1 == chars.len() => out.push_str("\\#"),
            // A list item, a setext underline or a thematic break at the start of a line.
            '-' | '+' | '=' if i == 0 => {
                out.push('\\');
                out.push(c);
            }
            c if md_special(c) => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    // An ordered-list marker at the start of a line: `2024. A year` → `2024\. A year`.
    let digits = out.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 && digits <= 9 && matches!(out[digits..].chars().next(), Some('.' | ')')) {
        out.insert(digits, '\\');
    }
    Cow::Owned(out)
}

/// Plain text as Markdown paragraphs: each paragraph one escaped line, a blank line between.
pub(crate) fn md_block(text: &str) -> String {
    paragraphs(text).iter().map(|p| md_inline(p).into_owned()).collect::<Vec<_>>().join("\n\n")
}

/// An http(s) URL made safe as a Markdown link destination: the `url` crate already
/// percent-encodes spaces and angle brackets; parentheses would end `(…)` early, and a
/// backslash (left alone in a query) would escape the closing one.
pub(crate) fn md_url(url: &str) -> String {
    utf8_percent_encode(url, MD_DESTINATION).to_string()
}

/// What [`md_url`] escapes in a URL the `url` crate made (already ASCII).
const MD_DESTINATION: &AsciiSet = &AsciiSet::EMPTY.add(b'\\').add(b'(').add(b')');

/// Text escaped for HTML element content.
pub(crate) fn html_text(text: &str) -> Cow<'_, str> {
    html_escape::encode_text(text)
}

/// Plain text as HTML paragraphs (`<p>…</p>`, one per line), escaped.
pub(crate) fn html_block(text: &str) -> String {
    paragraphs(text)
        .iter()
        .map(|p| format!("<p>{}</p>", html_text(p)))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a CommonMark renderer makes of `md`.
    fn to_html(md: &str) -> String {
        // Every extension (tables, strikethrough, …) but typographic quotes and dashes.
        let options =
            pulldown_cmark::Options::all() - pulldown_cmark::Options::ENABLE_SMART_PUNCTUATION;
        let mut html = String::new();
        pulldown_cmark::html::push_html(&mut html, pulldown_cmark::Parser::new_ext(md, options));
        html
    }

    /// `text` as a CommonMark renderer shows it when it is the whole paragraph.
    fn shown(text: &str) -> String {
        let html = to_html(&md_inline(text));
        let inner = html
            .trim_end()
            .strip_prefix("<p>")
            .and_then(|h| h.strip_suffix("</p>"))
            .unwrap_or_else(|| panic!("{text:?} did not stay one paragraph: {html:?}"));
        html_escape::decode_html_entities(inner).into_owned()
    }

    #[test]
    fn markdown_syntax_in_feed_text_renders_as_the_text_itself() {
        for text in [
            "Plain words stay plain",
            "*not bold* and _not italic_ and __nor this__",
            "[not a link](javascript:alert(1)) and ![no image](x.png)",
            "`no code` and ``more``",
            "# Not a heading",
            "Ends with a hash #",
            "- not a list",
            "+ not a list",
            "2024. Not an ordered list",
            "3) nor this",
            "> not a quote",
            "---",
            "===",
            "| a | b |",
            "~~not struck~~",
            "<script>alert(1)</script>",
            "</blockquote><p onclick=\"x()\">",
            "<https://autolink.example>",
            "AT&T &amp; &#60; &lt;kept&gt;",
            "back\\slash\\*star",
            "1 < 2 > 0",
        ] {
            assert_eq!(shown(text), text, "escaped as {:?}", md_inline(text));
        }
    }

    #[test]
    fn html_in_feed_text_never_reaches_markdown_as_html() {
        let md = md_inline("Budget </blockquote><script>alert(1)</script> <img src=x onerror=y>");
        assert!(!md.contains('<') && !md.contains('>'), "{md}");
        let html = to_html(&format!("> {md}"));
        assert!(!html.contains("<script") && !html.contains("<img"), "{html}");
        assert_eq!(html.matches("</blockquote>").count(), 1, "{html}");
    }

    #[test]
    fn line_breaks_inside_text_cannot_open_a_block() {
        let md = md_inline("First line\n# heading?\n- list?\n\n> quote?");
        assert_eq!(md, "First line # heading? - list? &gt; quote?");
        assert!(!md.contains('\n'));
    }

    #[test]
    fn text_without_syntax_is_borrowed_unchanged() {
        assert!(matches!(md_inline("Council budgets under pressure"), Cow::Borrowed(_)));
        assert_eq!(md_inline("Tom & Jerry's"), "Tom & Jerry's");
    }

    #[test]
    fn blocks_keep_paragraphs_and_fold_lines() {
        let text = "One\nline  two.\n\n\n  # Second\tparagraph  \n\n";
        assert_eq!(paragraphs(text), ["One line two.", "# Second paragraph"]);
        assert_eq!(md_block(text), "One line two.\n\n\\# Second paragraph");
        assert_eq!(html_block(text), "<p>One line two.</p>\n<p># Second paragraph</p>");
    }

    #[test]
    fn html_blocks_escape_markup() {
        assert_eq!(
            html_block("a <script>x</script> & </blockquote>"),
            "<p>a &lt;script&gt;x&lt;/script&gt; &amp; &lt;/blockquote&gt;</p>"
        );
    }

    #[test]
    fn markdown_urls_keep_their_parentheses_from_closing_the_link() {
        let url = md_url("https://en.example/wiki/Budget_(UK)?q=a\\");
        assert_eq!(url, "https://en.example/wiki/Budget_%28UK%29?q=a%5C");
        let html = to_html(&format!("[t]({url}) after"));
        assert!(html.contains("href=\"https://en.example/wiki/Budget_%28UK%29?q=a%5C\""), "{html}");
        assert!(html.ends_with("</a> after</p>\n"), "{html}");
    }
}
