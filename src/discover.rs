//! Feed autodiscovery: the `<link rel="alternate">` feed links of an HTML page, with scraper.
//! Pure: takes the page text and its URL, returns absolute feed URLs, best first. Only the
//! page's head is read ([`head`]): a 15 MiB page took two seconds to parse whole (issue 10).

use scraper::{Html, Selector};
use url::Url;

use crate::links::HttpUrl;

/// A feed advertised by a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FeedLink {
    pub url: Url,
    pub title: Option<String>,
    /// The advertised media type, lowercased.
    pub media_type: String,
}

const FEED_TYPES: &[&str] = &[
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/json",
    "application/rdf+xml",
    "application/xml",
    "text/xml",
];

/// The feeds a page advertises, in page order, with comment feeds last. Relative hrefs are
/// resolved against `page_url` (and the page's `<base href>`).
pub(crate) fn feed_links(html: &str, page_url: &Url) -> Vec<FeedLink> {
    let doc = Html::parse_document(head(html));
    let base_sel = Selector::parse("base[href]").expect("static selector");
    let base = doc
        .select(&base_sel)
        .next()
        .and_then(|b| b.value().attr("href"))
        .and_then(|h| page_url.join(h).ok())
        .unwrap_or_else(|| page_url.clone());
    let sel = Selector::parse("link[rel][href]").expect("static selector");
    let mut found: Vec<FeedLink> = doc
        .select(&sel)
        .filter(|l| {
            l.value()
                .attr("rel")
                .is_some_and(|r| r.split_whitespace().any(|t| t.eq_ignore_ascii_case("alternate")))
        })
        .filter_map(|l| {
            let media_type = l.value().attr("type")?.trim().to_ascii_lowercase();
            let media_type = media_type.split(';').next().unwrap_or("").trim().to_string();
            if !FEED_TYPES.contains(&media_type.as_str()) {
                return None;
            }
            let url = HttpUrl::resolve(l.value().attr("href")?, Some(&base))?.into_url();
            let title =
                l.value().attr("title").map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
            Some(FeedLink { url, title, media_type })
        })
        .collect();
    let is_comments = |f: &FeedLink| {
        f.title.as_deref().is_some_and(|t| t.to_ascii_lowercase().contains("comment"))
            || f.url.path().to_ascii_lowercase().contains("comments")
    };
    // Stable: page order within each group.
    found.sort_by_key(|f| is_comments(f));
    found.dedup_by(|a, b| a.url == b.url);
    found
}

/// Most of a page read for its head.
const MAX_HEAD: usize = 1024 * 1024;

/// Where a page's feed links and title are: the text before its first `<body`, and at most
/// its first [`MAX_HEAD`] bytes. (`<link rel="alternate">` belongs in the head, and pages put
/// it there.)
fn head(html: &str) -> &str {
    let mut end = html.len().min(MAX_HEAD);
    while !html.is_char_boundary(end) {
        end -= 1;
    }
    let html = &html[..end];
    let body = html.match_indices('<').map(|(i, _)| i).find(|&i| {
        html.as_bytes().get(i + 1..i + 5).is_some_and(|name| name.eq_ignore_ascii_case(b"body"))
    });
    &html[..body.unwrap_or(end)]
}

/// The page's `<title>`, for naming a feed found through it.
pub(crate) fn page_title(html: &str) -> Option<String> {
    let doc = Html::parse_document(head(html));
    let sel = Selector::parse("title").expect("static selector");
    doc.select(&sel)
        .next()
        .map(|t| t.text().collect::<String>().split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_main_feed_before_the_comments_feed_and_resolves_it() {
        let page = r#"<html><head>
            <link rel="alternate" type="application/rss+xml" title="Blog &raquo; Comments Feed" href="/comments/feed/">
            <link rel="stylesheet" href="/s.css">
            <link rel="alternate" type="application/rss+xml" title="Blog &raquo; Feed" href="/feed/">
            <link rel="alternate" type="text/html" href="/other">
            <link rel="alternate" type="application/atom+xml" href="https://blog.example.org/atom.xml">
            </head><body></body></html>"#;
        let base = Url::parse("https://blog.example.org/about/").unwrap();
        let links = feed_links(page, &base);
        let urls: Vec<&str> = links.iter().map(|l| l.url.as_str()).collect();
        assert_eq!(
            urls,
            [
                "https://blog.example.org/feed/",
                "https://blog.example.org/atom.xml",
                "https://blog.example.org/comments/feed/"
            ]
        );
        assert_eq!(links[0].title.as_deref(), Some("Blog \u{bb} Feed"));
    }

    #[test]
    fn only_the_head_is_read_and_at_most_its_first_mebibyte() {
        let base = Url::parse("https://x.example/").unwrap();
        let link = r#"<link rel="alternate" type="application/rss+xml" href="/feed">"#;
        let in_body = link.replace("/feed", "/body-feed");
        let page =
            format!("<html><head><title>T</title>{link}</head><BODY>{in_body}</body></html>");
        assert_eq!(head(&page), format!("<html><head><title>T</title>{link}</head>"));
        assert_eq!(feed_links(&page, &base).len(), 1);
        let late = format!("<html><head>{}{link}</head></html>", " ".repeat(MAX_HEAD));
        assert!(feed_links(&late, &base).is_empty());
        let wide = format!(" {}", "\u{e9}".repeat(MAX_HEAD));
        assert_eq!(head(&wide).len(), MAX_HEAD - 1);
    }

    #[test]
    fn a_page_without_feed_links_gives_none() {
        let base = Url::parse("https://x.example/").unwrap();
        assert!(feed_links("<html><head><title>Hi</title></head></html>", &base).is_empty());
        assert_eq!(
            page_title("<html><head><title> Hi  there </title></head></html>").as_deref(),
            Some("Hi there")
        );
    }
}
