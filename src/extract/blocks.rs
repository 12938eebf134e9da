//! The chosen content (dom_smoothie's article HTML) as paragraphs: one per `<p>`, heading,
//! list item, quote or table row. Inline markup (`<a>`, `<em>`, `<span>`) never splits a
//! paragraph, and neither does a single `<br>` (a line break inside a paragraph; dom_smoothie
//! has already turned `<br><br>` runs into paragraphs).

use crate::html_text::{html_to_text, paragraphs as split_paragraphs};

/// The paragraphs of an article's content HTML, whitespace collapsed, empty ones dropped.
pub fn paragraphs(content_html: &str) -> Vec<String> {
    let text = html_to_text(&join_line_breaks(content_html));
    split_paragraphs(&text)
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect()
}

/// `html` with each single `<br>` replaced by a space; `<br>`s that follow one another (only
/// whitespace between) stay, as a paragraph break.
pub fn join_line_breaks(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = find_br(rest) {
        let (before, tag) = rest.split_at(at);
        let end = tag.find('>').map_or(tag.len(), |i| i + 1);
        let after = &tag[end..];
        let next_is_br = find_br(after).is_some_and(|i| after[..i].trim().is_empty());
        let prev_was_br = before.trim_end().ends_with('>') && {
            let t = before.trim_end();
            t.rfind('<').is_some_and(|lt| is_br(&t[lt..]))
        };
        out.push_str(before);
        out.push_str(if next_is_br || prev_was_br { &tag[..end] } else { " " });
        rest = after;
    }
    out.push_str(rest);
    out
}

/// Where the next `<br>` (any case, `<br/>`, `<br />`) starts.
fn find_br(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut from = 0;
    while let Some(i) = s[from..].find('<').map(|i| i + from) {
        if is_br(&s[i..]) {
            return Some(i);
        }
        from = i + 1;
        if from >= bytes.len() {
            break;
        }
    }
    None
}

fn is_br(tag: &str) -> bool {
    let b = tag.as_bytes();
    b.len() >= 4
        && b[1].eq_ignore_ascii_case(&b'b')
        && b[2].eq_ignore_ascii_case(&b'r')
        && matches!(b[3], b'>' | b'/' | b' ' | b'\t' | b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_single_line_break_does_not_split_a_paragraph() {
        assert_eq!(paragraphs("<p>First line,<br>second line.</p>"), ["First line, second line."]);
    }

    #[test]
    fn consecutive_line_breaks_split_paragraphs() {
        assert_eq!(paragraphs("<div>One.<br><br />Two.</div>"), ["One.", "Two."]);
    }

    #[test]
    fn inline_markup_does_not_split_a_paragraph() {
        assert_eq!(
            paragraphs("<p>The <a href=x>council</a> <em>agreed</em> the <span>plan</span>.</p>"),
            ["The council agreed the plan."]
        );
    }

    #[test]
    fn headings_and_list_items_are_paragraphs_of_their_own() {
        assert_eq!(
            paragraphs("<h2>What you need</h2><ul><li>a form</li><li>a photo</li></ul>"),
            ["What you need", "a form", "a photo"]
        );
    }

    #[test]
    fn a_tag_that_merely_starts_with_b_is_not_a_line_break() {
        assert_eq!(join_line_breaks("<b>x</b><br>y<bdi>z</bdi>"), "<b>x</b> y<bdi>z</bdi>");
    }
}
