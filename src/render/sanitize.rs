//! The allowlist every piece of HTML passes before it reaches an HTML draft (ammonia): text
//! markup only, links only to http(s), relative links made absolute against the entry's own URL
//! (or dropped when it has none), no attributes that could run script or restyle the page.

use std::collections::{HashMap, HashSet};

use ammonia::{Builder, Url, UrlRelative};

/// Elements a draft may carry from a feed: text and its structure, nothing active or embedded.
const TAGS: &[&str] = &[
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "cite",
    "code",
    "em",
    "i",
    "li",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "small",
    "strong",
    "sub",
    "sup",
    "u",
    "ul",
];

/// `html` cleaned by the allowlist, relative links resolved against `base` (a post's URL).
pub(crate) fn clean_html(html: &str, base: Option<&str>) -> String {
    clean_with(html, base, &[], &[])
}

/// The allowlist ([`TAGS`] plus `extra_tags`; link, title and cite attributes plus
/// `extra_attributes`; http(s) URLs only) applied to `html`, relative links resolved against
/// `base` or dropped without one.
fn clean_with(
    html: &str,
    base: Option<&str>,
    extra_tags: &[&str],
    extra_attributes: &[(&'static str, &'static str)],
) -> String {
    let relative = match base.and_then(|b| Url::parse(b).ok()) {
        Some(url) => UrlRelative::RewriteWithBase(url),
        None => UrlRelative::Deny,
    };
    let mut attributes: HashMap<&str, HashSet<&str>> = HashMap::from([
        ("a", HashSet::from(["href", "title"])),
        ("abbr", HashSet::from(["title"])),
        ("blockquote", HashSet::from(["cite"])),
        ("q", HashSet::from(["cite"])),
    ]);
    for (tag, attribute) in extra_attributes {
        attributes.entry(tag).or_default().insert(attribute);
    }
    Builder::default()
        .tags(TAGS.iter().chain(extra_tags).copied().collect())
        .generic_attributes(HashSet::new())
        .tag_attributes(attributes)
        .url_schemes(HashSet::from(["http", "https"]))
        .url_relative(relative)
        .clean(html)
        .to_string()
}

/// Structural elements the HTML templates use, allowed in a feed's content on top of [`TAGS`].
const FEED_TAGS: &[&str] = &[
    "article",
    "aside",
    "div",
    "figcaption",
    "figure",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "section",
    "span",
    "time",
];

/// A whole rendered post cleaned for a feed: the [`clean_html`] allowlist plus [`FEED_TAGS`]
/// (and `time datetime`), relative links resolved against `base`.
pub(crate) fn clean_feed_html(html: &str, base: Option<&str>) -> String {
    clean_with(html, base, FEED_TAGS, &[("time", "datetime")])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_handlers_and_unsafe_urls_are_removed() {
        let dirty = r#"<p onclick="steal()">Hi <script>alert(1)</script><img src=x onerror=alert(2)>
            <a href="javascript:alert(3)">js</a> <a href="data:text/html,x">data</a>
            <iframe src="https://evil.example"></iframe><style>p{}</style></p>"#;
        let clean = clean_html(dirty, Some("https://lgiu.example/post"));
        for bad in
            ["<script", "onclick", "onerror", "<img", "javascript:", "data:", "<iframe", "<style"]
        {
            assert!(!clean.contains(bad), "{bad} survived: {clean}");
        }
        assert!(
            clean.contains(">js</a>") && clean.contains(">data</a>"),
            "link text kept: {clean}"
        );
    }

    #[test]
    fn relative_links_are_made_absolute_against_the_post() {
        let clean = clean_html(
            r#"<a href="/about">About</a> <a href="next.html">Next</a>"#,
            Some("https://lgiu.example/blog/post"),
        );
        assert!(clean.contains(r#"href="https://lgiu.example/about""#), "{clean}");
        assert!(clean.contains(r#"href="https://lgiu.example/blog/next.html""#), "{clean}");
    }

    #[test]
    fn relative_links_without_a_base_are_dropped() {
        let clean = clean_html(r#"<a href="/about">About</a>"#, None);
        assert!(!clean.contains("href"), "{clean}");
        assert!(clean.contains("About"));
    }

    #[test]
    fn escaped_text_paragraphs_pass_unchanged() {
        let html = "<p>a &lt;b&gt; &amp; c</p>\n<p>d</p>";
        assert_eq!(clean_html(html, None), html);
    }
}
