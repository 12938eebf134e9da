//! The editor's own words (an item's lead and note, the roundup's intro and outro) in a small
//! Markdown subset, made safe for a draft (issue 9, item 4). Pure functions, no I/O.
//!
//! The subset: paragraphs (a blank line between), `*emphasis*` (or `_…_`), `**strong**`,
//! links `[words](https://…)` (http and https only), a line break (a line ending in two spaces
//! or a backslash), and `[words]()`: a link with no address, which links the words to the picked
//! post (in a lead or note; in the intro and outro, which belong to no post, the words stay
//! plain). Everything else is shown as the text it is: raw HTML (`<script>`), images, code
//! spans, headings, lists and quotes never become markup, and a link to any other scheme (or a
//! relative one) keeps its words and loses its address.
//!
//! ```text
//! text ──► paragraphs and lines (block syntax escaped) ──► pulldown-cmark ──► [Inline]
//!      [Inline] ──► Markdown (feed-text escaping, canonical * and **)
//!               └─► HTML ──► the ammonia allowlist the drafts use (sanitize)
//! ```
//!
//! Owns: what of the editor's text is markup. Does not own: text from feeds, which stays plain
//! and escaped (`escape`), nor which URLs may be links (`links::safe_url`).

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

use super::escape::{html_text, md_inline, md_url};
use super::links::safe_url;
use super::sanitize::clean_html;

/// A piece of a paragraph of the editor's text.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Inline {
    /// Plain text, shown as it is.
    Text(String),
    /// A line break inside the paragraph.
    Break,
    Emphasis(Vec<Inline>),
    Strong(Vec<Inline>),
    /// A link: an absolute http(s) URL, or `None` when the address was not one (the words are
    /// kept, unlinked).
    Link(Option<String>, Vec<Inline>),
}

/// One paragraph's lines: a line ending in two spaces or a backslash breaks; other lines are
/// folded into one with a space. Each part is one line of text, surrounding whitespace trimmed.
fn lines_of(paragraph: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in paragraph {
        let breaks = line.ends_with("  ") || line.trim_end().ends_with('\\');
        let mut text = line.trim();
        if breaks && text.ends_with('\\') {
            text = &text[..text.len() - 1];
        }
        let words: Vec<&str> = text
            .split(|c: char| c.is_whitespace() || c.is_control())
            .filter(|w| !w.is_empty())
            .collect();
        if !words.is_empty() {
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(&words.join(" "));
        }
        if breaks && !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// `line` with what could open a block at its start escaped (a heading, quote, list, thematic
/// break, setext underline, fence, HTML block or link reference definition), so that the line is
/// read as the inline text of a paragraph. A backslash before ASCII punctuation is CommonMark's
/// escape: it shows the character itself.
fn inline_only(line: &str) -> String {
    let first = line.chars().next().unwrap_or(' ');
    let rest = &line[first.len_utf8().min(line.len())..];
    let only_of = |c: char| line.chars().all(|x| x == c || x == ' ');
    let escape_first = match first {
        '#' | '>' | '-' | '+' | '=' | '`' | '~' | '<' => true,
        '*' | '_' => rest.starts_with(' ') || rest.is_empty() || only_of(first),
        '[' => line.find("]:").is_some_and(|at| !line[..at].contains(']')),
        _ => false,
    };
    if escape_first {
        return format!("\\{line}");
    }
    // An ordered-list marker: `2024. A year`, `3) Three`.
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    if (1..=9).contains(&digits) && matches!(line[digits..].chars().next(), Some('.' | ')')) {
        return format!("{}\\{}", &line[..digits], &line[digits..]);
    }
    line.to_string()
}

/// The editor's text, parsed into paragraphs of [`Inline`]s; `post` is the address a
/// `[words]()` link takes (the picked post), if any.
fn parse(text: &str, post: Option<&str>) -> Vec<Vec<Inline>> {
    let mut paragraphs = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    for block in lines.split(|l| l.trim().is_empty()) {
        let parts = lines_of(block);
        if parts.is_empty() {
            continue;
        }
        let source = parts.iter().map(|l| inline_only(l)).collect::<Vec<_>>().join("\\\n");
        let inlines = parse_paragraph(&source, post);
        if !inlines.is_empty() {
            paragraphs.push(inlines);
        }
    }
    paragraphs
}

/// What pulldown-cmark reads in one paragraph's `source`, kept to the subset.
fn parse_paragraph(source: &str, post: Option<&str>) -> Vec<Inline> {
    // Open containers: (the link's address for a link, the tag, the children so far).
    enum Open {
        Emphasis,
        Strong,
        Link(Option<String>),
    }
    let mut stack: Vec<(Open, Vec<Inline>)> = Vec::new();
    let mut top: Vec<Inline> = Vec::new();
    let mut skip_until_image_end = 0usize;
    fn push(stack: &mut [(Open, Vec<Inline>)], top: &mut Vec<Inline>, inline: Inline) {
        let list = match stack.last_mut() {
            Some((_, children)) => children,
            None => top,
        };
        match (list.last_mut(), inline) {
            (Some(Inline::Text(prev)), Inline::Text(next)) => prev.push_str(&next),
            (_, inline) => list.push(inline),
        }
    }
    for (event, range) in Parser::new_ext(source, Options::empty()).into_offset_iter() {
        let literal = || Inline::Text(source[range.clone()].to_string());
        if skip_until_image_end > 0 {
            match event {
                Event::Start(Tag::Image { .. }) => skip_until_image_end += 1,
                Event::End(TagEnd::Image) => skip_until_image_end -= 1,
                _ => {}
            }
            continue;
        }
        match event {
            Event::Text(t) => push(&mut stack, &mut top, Inline::Text(t.into_string())),
            Event::SoftBreak => push(&mut stack, &mut top, Inline::Text(" ".into())),
            Event::HardBreak => push(&mut stack, &mut top, Inline::Break),
            // Not in the subset: shown as the editor typed it.
            Event::Code(_) | Event::InlineHtml(_) | Event::Html(_) => {
                push(&mut stack, &mut top, literal())
            }
            Event::Start(Tag::Image { .. }) => {
                push(&mut stack, &mut top, literal());
                skip_until_image_end = 1;
            }
            Event::Start(Tag::Emphasis) => stack.push((Open::Emphasis, Vec::new())),
            Event::Start(Tag::Strong) => stack.push((Open::Strong, Vec::new())),
            Event::Start(Tag::Link { dest_url, .. }) => {
                let url = if dest_url.trim().is_empty() {
                    post.and_then(safe_url)
                } else {
                    safe_url(&dest_url)
                };
                stack.push((Open::Link(url), Vec::new()));
            }
            Event::End(TagEnd::Emphasis | TagEnd::Strong | TagEnd::Link) => {
                if let Some((open, children)) = stack.pop() {
                    let inline = match open {
                        Open::Emphasis => Inline::Emphasis(children),
                        Open::Strong => Inline::Strong(children),
                        Open::Link(url) => Inline::Link(url, children),
                    };
                    push(&mut stack, &mut top, inline);
                }
            }
            // Paragraph boundaries and anything else: their text arrives as Text events.
            _ => {}
        }
    }
    top
}

/// Text as inline Markdown that shows exactly that text, keeping one space at either end (the
/// space between it and the markup beside it).
fn md_text(text: &str) -> String {
    if text.trim().is_empty() {
        return if text.is_empty() { String::new() } else { " ".into() };
    }
    let lead = if text.starts_with(char::is_whitespace) { " " } else { "" };
    let trail = if text.ends_with(char::is_whitespace) { " " } else { "" };
    format!("{lead}{}{trail}", md_inline(text))
}

fn write_md(out: &mut String, inlines: &[Inline]) {
    for inline in inlines {
        match inline {
            Inline::Text(t) => out.push_str(&md_text(t)),
            Inline::Break => out.push_str("\\\n"),
            Inline::Emphasis(c) => {
                out.push('*');
                write_md(out, c);
                out.push('*');
            }
            Inline::Strong(c) => {
                out.push_str("**");
                write_md(out, c);
                out.push_str("**");
            }
            Inline::Link(Some(url), c) => {
                out.push('[');
                write_md(out, c);
                out.push_str("](");
                out.push_str(&md_url(url));
                out.push(')');
            }
            Inline::Link(None, c) => write_md(out, c),
        }
    }
}

fn write_html(out: &mut String, inlines: &[Inline]) {
    for inline in inlines {
        match inline {
            Inline::Text(t) => out.push_str(&html_text(t)),
            Inline::Break => out.push_str("<br>\n"),
            Inline::Emphasis(c) => {
                out.push_str("<em>");
                write_html(out, c);
                out.push_str("</em>");
            }
            Inline::Strong(c) => {
                out.push_str("<strong>");
                write_html(out, c);
                out.push_str("</strong>");
            }
            Inline::Link(Some(url), c) => {
                out.push_str("<a href=\"");
                out.push_str(&html_escape::encode_double_quoted_attribute(url));
                out.push_str("\">");
                write_html(out, c);
                out.push_str("</a>");
            }
            Inline::Link(None, c) => write_html(out, c),
        }
    }
}

/// The editor's `text` as Markdown paragraphs (a blank line between), in the subset only;
/// `post` is where `[words]()` links.
pub(crate) fn editor_markdown(text: &str, post: Option<&str>) -> String {
    parse(text, post)
        .iter()
        .map(|p| {
            let mut out = String::new();
            write_md(&mut out, p);
            out.trim().to_string()
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// The editor's `text` as HTML paragraphs (`<p>…</p>`, one a line), passed through the drafts'
/// allowlist; `post` is where `[words]()` links.
pub(crate) fn editor_html(text: &str, post: Option<&str>) -> String {
    let html = parse(text, post)
        .iter()
        .map(|p| {
            let mut out = String::from("<p>");
            write_html(&mut out, p);
            out.push_str("</p>");
            out
        })
        .collect::<Vec<_>>()
        .join("\n");
    clean_html(&html, None)
}

fn write_plain(out: &mut String, inlines: &[Inline]) {
    for inline in inlines {
        match inline {
            Inline::Text(t) => out.push_str(t),
            Inline::Break => out.push(' '),
            Inline::Emphasis(c) | Inline::Strong(c) | Inline::Link(_, c) => write_plain(out, c),
        }
    }
}

/// The editor's `text` as one line of plain text, markup dropped (for a page's description and
/// link previews; the caller escapes it for where it goes).
pub(crate) fn editor_plain(text: &str) -> String {
    let mut out = String::new();
    for p in parse(text, None) {
        if !out.is_empty() {
            out.push(' ');
        }
        write_plain(&mut out, &p);
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const POST: Option<&str> = Some("https://unsplash.example/blog/plan");

    /// What a CommonMark renderer makes of `md` (every extension but smart punctuation).
    fn commonmark(md: &str) -> String {
        let options =
            pulldown_cmark::Options::all() - pulldown_cmark::Options::ENABLE_SMART_PUNCTUATION;
        let mut html = String::new();
        pulldown_cmark::html::push_html(&mut html, pulldown_cmark::Parser::new_ext(md, options));
        html
    }

    #[test]
    fn links_emphasis_and_strong_are_kept_as_markdown_and_made_html() {
        let lead = "Over at the [Unsplash blog](https://unsplash.example/) a *plan*, **bold**.";
        assert_eq!(editor_markdown(lead, POST), lead);
        assert_eq!(
            editor_html(lead, POST),
            "<p>Over at the <a href=\"https://unsplash.example/\" rel=\"noopener noreferrer\">\
             Unsplash blog</a> a <em>plan</em>, <strong>bold</strong>.</p>"
        );
        assert_eq!(editor_markdown("_one_ and __two__", None), "*one* and **two**");
    }

    #[test]
    fn empty_link_goes_to_the_picked_post() {
        let lead = "Read [this thought provoking post]() from Ben Welby.";
        assert_eq!(
            editor_markdown(lead, POST),
            "Read [this thought provoking post](https://unsplash.example/blog/plan) from Ben Welby."
        );
        assert!(
            editor_html("[this](<>)", POST)
                .contains("<a href=\"https://unsplash.example/blog/plan\"")
        );
        // Without a post (the intro), the words stay plain.
        assert_eq!(editor_markdown(lead, None), "Read this thought provoking post from Ben Welby.");
    }

    #[test]
    fn unsafe_links_keep_their_words_and_lose_the_address() {
        for text in [
            "[x](javascript:alert(1))",
            "[x](JaVaScRiPt:alert(1))",
            "[x](data:text/html,hi)",
            "[x](/relative)",
            "[x](vbscript:y)",
            "<javascript:alert(1)>",
        ] {
            let md = editor_markdown(text, POST);
            let html = editor_html(text, POST);
            assert!(!md.contains("](") && !html.contains("href"), "{text}: {md} / {html}");
            assert!(!commonmark(&md).contains("href"), "{text}: {md}");
        }
    }

    /// The input the editor_text fuzz target first stopped on (its check, not roundup, was
    /// wrong): attribute-like words in the text stay words, and only the real link is a tag.
    #[test]
    fn attribute_like_text_stays_text_next_to_a_real_link() {
        let text = "Firs href=\"javascript: k\n\nA [les flink]() and _under_";
        let html = editor_html(text, POST);
        assert_eq!(
            html,
            "<p>Firs href=\"javascript: k</p>\n<p>A <a href=\"https://unsplash.example/blog/plan\" \
             rel=\"noopener noreferrer\">les flink</a> and <em>under</em></p>"
        );
        assert_eq!(html.matches("<a ").count(), 1);
    }

    #[test]
    fn raw_html_images_and_code_are_shown_as_text() {
        let text = "<script>alert(1)</script> <img src=x onerror=alert(2)> ![i](https://x.example/i.png) `code`";
        let html = editor_html(text, POST);
        assert_eq!(
            html,
            "<p>&lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=alert(2)&gt; \
             ![i](https://x.example/i.png) `code`</p>"
        );
        let md = editor_markdown(text, POST);
        assert!(!md.contains('<'), "{md}");
        let rendered = commonmark(&md);
        assert!(!rendered.contains("<script") && !rendered.contains("<img"), "{rendered}");
        assert!(rendered.contains("&lt;img src=x onerror=alert(2)&gt;"), "{rendered}");
    }

    #[test]
    fn block_syntax_stays_text_in_one_paragraph() {
        for text in ["# Not a heading", "> not a quote", "- not a list", "1. not a list", "---"] {
            let md = editor_markdown(text, None);
            let rendered = commonmark(&md);
            assert!(
                rendered.starts_with("<p>") && rendered.ends_with("</p>\n"),
                "{md}: {rendered}"
            );
            assert_eq!(editor_html(text, None), format!("<p>{}</p>", html_text(text)));
        }
        assert_eq!(
            editor_markdown("[ref]: https://x.example/ kept", None),
            "\\[ref\\]: https://x.example/ kept"
        );
    }

    #[test]
    fn paragraphs_fold_lines_and_keep_line_breaks() {
        let text = "One\nline.  \n# Two\\\nthree\n\n\nNext *para*.";
        assert_eq!(editor_markdown(text, None), "One line.\\\n\\# Two\\\nthree\n\nNext *para*.");
        assert_eq!(
            editor_html(text, None),
            "<p>One line.<br>\n# Two<br>\nthree</p>\n<p>Next <em>para</em>.</p>"
        );
        let rendered = commonmark(&editor_markdown(text, None));
        assert_eq!(
            rendered,
            "<p>One line.<br />\n# Two<br />\nthree</p>\n<p>Next <em>para</em>.</p>\n"
        );
    }

    #[test]
    fn plain_text_renders_as_before() {
        let text = "A week of budgets, bins and devolution deals.\n\nHere is what caught our eye.";
        assert_eq!(editor_markdown(text, None), super::super::escape::md_block(text));
        assert_eq!(
            editor_html(text, None),
            clean_html(&super::super::escape::html_block(text), None)
        );
    }

    #[test]
    fn plain_text_drops_the_markup() {
        assert_eq!(
            editor_plain("A *plan*, [a link](https://x.example/).  \nNext.\n\n<b>Two</b>"),
            "A plan, a link. Next. <b>Two</b>"
        );
    }

    #[test]
    fn escaped_markup_stays_literal() {
        let md = editor_markdown("\\*not emphasis\\* and 5 * 3 and a\\_b", None);
        assert_eq!(commonmark(&md), "<p>*not emphasis* and 5 * 3 and a_b</p>\n");
    }
}
