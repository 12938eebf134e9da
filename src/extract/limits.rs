//! Bounds on the work one page may cost: element count and nesting depth.

use dom_query::Document;

/// Refuse before parsing when [`estimated_depth`] exceeds this. The estimate over-counts
/// (unclosed tags other than the usual ones), so it is well above `MAX_DEPTH`.
pub const MAX_ESTIMATED_DEPTH: usize = 5_000;

/// Elements whose end tag is optional or absent, left out of the estimate.
#[rustfmt::skip]
const UNCOUNTED: &[&str] = &[
    "p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup", "thead", "tbody", "tfoot",
    "colgroup", "caption", "rb", "rt", "rp", "area", "base", "br", "col", "embed", "hr", "img",
    "input", "link", "meta", "param", "source", "track", "wbr", "html", "head", "body",
];

/// An upper-bound estimate of how deep the elements of `html` nest: open tags minus end tags,
/// at the most, in one linear scan of the text (comments and `<script>` bodies included, which
/// only over-counts).
pub fn estimated_depth(html: &str) -> usize {
    let b = html.as_bytes();
    let (mut depth, mut max) = (0usize, 0usize);
    let mut i = 0;
    while let Some(off) = b[i..].iter().position(|&c| c == b'<') {
        i += off + 1;
        let closing = b.get(i) == Some(&b'/');
        let start = if closing { i + 1 } else { i };
        let len = b[start..].iter().take_while(|c| c.is_ascii_alphanumeric()).count();
        if len == 0 {
            continue;
        }
        let name = &html[start..start + len];
        if UNCOUNTED.iter().any(|u| u.eq_ignore_ascii_case(name)) {
            continue;
        }
        if closing {
            depth = depth.saturating_sub(1);
        } else {
            let self_closing = b[start + len..]
                .iter()
                .position(|&c| c == b'>')
                .is_some_and(|gt| gt > 0 && b[start + len + gt - 1] == b'/');
            if !self_closing {
                depth += 1;
                max = max.max(depth);
            }
        }
    }
    max
}

/// The number of elements in `doc` and how deep they nest, in one walk (no recursion).
pub fn size_and_depth(doc: &Document) -> (usize, usize) {
    let (mut count, mut max) = (0, 0);
    let mut stack = vec![(doc.root(), 0usize)];
    while let Some((node, depth)) = stack.pop() {
        if let Some(next) = node.next_element_sibling() {
            stack.push((next, depth));
        }
        if node.is_element() {
            count += 1;
            max = max.max(depth);
        }
        if let Some(child) = node.first_element_child() {
            stack.push((child, depth + 1));
        }
    }
    (count, max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_estimate_counts_nesting_not_siblings() {
        assert_eq!(estimated_depth("<div><span>a</span><span>b</span></div>"), 2);
        assert_eq!(estimated_depth(&"<div>x</div>".repeat(1000)), 1);
    }

    #[test]
    fn unclosed_paragraphs_and_void_elements_do_not_count() {
        assert_eq!(estimated_depth(&"<p>para<br><img src=x>".repeat(1000)), 0);
        assert_eq!(estimated_depth("<div/><div/><svg><path/></svg>"), 1);
    }

    #[test]
    fn deep_nesting_is_measured_exactly_on_the_parsed_document() {
        let html = format!("<html><body>{}</body></html>", "<div>".repeat(50));
        let (count, depth) = size_and_depth(&Document::from(html));
        assert_eq!(count, 53);
        assert!((50..=53).contains(&depth), "{depth}");
    }
}
