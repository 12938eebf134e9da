//! Removes, before dom_smoothie scores the page, the elements that are never article text:
//! captions, share bars, newsletter boxes, related links, bylines and datelines. One walk over
//! the elements; a match that holds article-sized text (a wrapper whose class merely mentions
//! "share") or is `<html>`, `<body>`, `<main>` or `<article>` is kept.

use dom_query::{Document, NodeData, NodeRef};

/// Removed by tag: captions and figures.
const TAGS: &[&str] = &["figcaption", "figure"];

/// Class or id substrings (matched ignoring ASCII case) that mark page furniture.
#[rustfmt::skip]
const FURNITURE: &[&str] = &[
    "caption", "credit", "share", "social", "newsletter", "subscribe", "signup", "related",
    "byline", "dateline", "breadcrumb", "recommend", "promo", "more-stories", "read-more",
    "readmore", "tags", "author", "timestamp", "gallery",
];

/// Never removed, whatever their class says.
const KEPT: &[&str] = &["html", "body", "main", "article"];

/// A match with at least this many bytes of text is kept; a figure may hold more (its caption
/// counts too).
const MAX_FURNITURE_TEXT: usize = 400;
const MAX_FIGURE_TEXT: usize = 1000;

/// Whether a `class`/`id` value names page furniture.
pub fn is_furniture_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    FURNITURE.iter().any(|f| bytes.windows(f.len()).any(|w| w.eq_ignore_ascii_case(f.as_bytes())))
}

/// Removes page furniture from `doc`.
pub fn prune(doc: &Document) {
    let mut doomed = Vec::new();
    let mut stack: Vec<NodeRef> = doc.root().first_element_child().into_iter().collect();
    while let Some(el) = stack.pop() {
        if let Some(next) = el.next_element_sibling() {
            stack.push(next);
        }
        let limit = match furniture(&el) {
            Furniture::Not => 0,
            Furniture::Figure => MAX_FIGURE_TEXT,
            Furniture::Named => MAX_FURNITURE_TEXT,
        };
        if limit > 0 && text_len_below(&el, limit) {
            doomed.push(el);
        } else if let Some(child) = el.first_element_child() {
            stack.push(child);
        }
    }
    for el in doomed {
        el.remove_from_parent();
    }
}

enum Furniture {
    Not,
    /// A caption or figure.
    Figure,
    /// Hidden, or named like page furniture.
    Named,
}

/// What kind of furniture an element is.
fn furniture(el: &NodeRef) -> Furniture {
    let Some(name) = el.qual_name_ref().map(|q| q.local.to_ascii_lowercase()) else {
        return Furniture::Not;
    };
    if KEPT.contains(&name.as_str()) {
        return Furniture::Not;
    }
    if TAGS.contains(&name.as_str()) {
        return Furniture::Figure;
    }
    let named = el.attr("aria-hidden").is_some_and(|v| v.trim() == "true")
        || el.attr("itemprop").is_some_and(|v| v.trim().eq_ignore_ascii_case("caption"))
        || el.attr("class").is_some_and(|v| is_furniture_name(&v))
        || el.attr("id").is_some_and(|v| is_furniture_name(&v));
    if named { Furniture::Named } else { Furniture::Not }
}

/// Whether the text inside `el` is shorter than `max` bytes (stops counting there).
fn text_len_below(el: &NodeRef, max: usize) -> bool {
    let mut len = 0;
    for node in el.descendants_it() {
        len += node
            .query(|t| match &t.data {
                NodeData::Text { contents } => contents.len(),
                _ => 0,
            })
            .unwrap_or(0);
        if len >= max {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn share_newsletter_and_related_boxes_are_furniture() {
        for name in
            ["share-bar", "c-newsletter-signup", "related-posts", "SocialIcons", "wp-caption"]
        {
            assert!(is_furniture_name(name), "{name}");
        }
    }

    #[test]
    fn content_classes_are_not_furniture() {
        for name in ["entry-content", "article-body", "post", "story-text"] {
            assert!(!is_furniture_name(name), "{name}");
        }
    }

    #[test]
    fn a_share_bar_goes_but_a_big_wrapper_named_share_stays() {
        let long = "Council budget text that is long enough to be an article. ".repeat(10);
        let doc = Document::from(format!(
            r#"<body><div class="share-wrap"><p>{long}</p><ul class="share-bar"><li>Facebook</li></ul></div></body>"#
        ));
        prune(&doc);
        let text = doc.select("body").text();
        assert!(text.contains("Council budget"));
        assert!(!text.contains("Facebook"));
    }
}
