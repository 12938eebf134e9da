//! What a page says of itself, read before dom_smoothie rewrites the document, in one pass over
//! its `<meta>`, `<link>` and `<time>` elements. dom_smoothie fills most of these too (JSON-LD
//! first); these are the fallbacks, and the only source of the canonical URL.

use dom_query::Document;
use url::Url;

use super::Article;
use crate::links::HttpUrl;

/// The metadata of `doc` (paragraphs left empty). `base` resolves a relative canonical URL.
pub fn page_meta(doc: &Document, base: Option<&Url>) -> Article {
    // (key, value) in document order; key is a meta's name/property/itemprop/http-equiv
    // (lowercase), "link:canonical" or "time".
    let mut found: Vec<(String, String)> = Vec::new();
    let sel = doc.select("meta[content], link[rel][href], time[datetime]");
    for node in sel.nodes() {
        let tag = node.node_name().map(|n| n.to_ascii_lowercase()).unwrap_or_default();
        let value = |attr: &str| {
            node.attr(attr).map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
        };
        match tag.as_str() {
            "meta" => {
                let Some(content) = value("content").filter(|c| !c.is_empty()) else { continue };
                for key in ["property", "name", "itemprop", "http-equiv"] {
                    if let Some(k) = node.attr(key) {
                        found.push((k.trim().to_ascii_lowercase(), content.clone()));
                    }
                }
            }
            "link" => {
                let canonical = node.attr("rel").is_some_and(|r| {
                    r.split_whitespace().any(|r| r.eq_ignore_ascii_case("canonical"))
                });
                if canonical && let Some(href) = value("href").filter(|h| !h.is_empty()) {
                    found.push(("link:canonical".into(), href));
                }
            }
            _ => {
                if let Some(t) = value("datetime").filter(|t| !t.is_empty()) {
                    found.push(("time".into(), t));
                }
            }
        }
    }
    let first = |keys: &[&str]| -> Option<String> {
        keys.iter().find_map(|k| found.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone()))
    };
    let canonical = first(&["link:canonical", "og:url"])
        .and_then(|c| HttpUrl::resolve(&c, base))
        .map(|u| u.without_tracking().to_string());
    let title = first(&["og:title", "twitter:title"]).or_else(|| {
        let t = doc.select("head title").text();
        Some(t.split_whitespace().collect::<Vec<_>>().join(" ")).filter(|t| !t.is_empty())
    });
    let lang = doc
        .select("html[lang]")
        .attr("lang")
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .or_else(|| first(&["content-language", "og:locale"]));
    Article {
        title,
        byline: first(&["author", "article:author", "byl", "dc.creator"])
            .filter(|a| !a.starts_with("http")),
        site_name: first(&["og:site_name", "application-name"]),
        published_time: first(&[
            "article:published_time",
            "datepublished",
            "date",
            "pubdate",
            "dc.date",
            "time",
        ]),
        canonical_url: canonical,
        lang,
        paragraphs: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta_of(html: &str, base: Option<&str>) -> Article {
        let base = base.map(|b| Url::parse(b).unwrap());
        page_meta(&Document::from(html), base.as_ref())
    }

    #[test]
    fn the_canonical_link_wins_over_og_url_and_loses_its_tracking_parameters() {
        let m = meta_of(
            r#"<head><meta property="og:url" content="https://x.example/og">
               <link rel="canonical" href="https://x.example/a?utm_source=rss&id=3"></head>"#,
            None,
        );
        assert_eq!(m.canonical_url.as_deref(), Some("https://x.example/a?id=3"));
    }

    #[test]
    fn og_url_is_used_when_there_is_no_canonical_link() {
        let m =
            meta_of(r#"<meta property="og:url" content="https://x.example/og?fbclid=9">"#, None);
        assert_eq!(m.canonical_url.as_deref(), Some("https://x.example/og"));
    }

    #[test]
    fn a_relative_canonical_needs_the_page_url() {
        let html = r#"<link rel="canonical" href="/post/1">"#;
        assert_eq!(meta_of(html, None).canonical_url, None);
        assert_eq!(
            meta_of(html, Some("https://x.example/feed/item")).canonical_url.as_deref(),
            Some("https://x.example/post/1")
        );
    }

    #[test]
    fn author_site_name_time_and_language_come_from_the_head() {
        let m = meta_of(
            r#"<html lang="cy"><head><title> A  post </title><meta name="author" content="Ann Smith">
               <meta property="og:site_name" content="Council blog">
               <meta property="article:published_time" content="2026-11-19T09:30:00Z"></head></html>"#,
            None,
        );
        assert_eq!(m.title.as_deref(), Some("A post"));
        assert_eq!(m.byline.as_deref(), Some("Ann Smith"));
        assert_eq!(m.site_name.as_deref(), Some("Council blog"));
        assert_eq!(m.published_time.as_deref(), Some("2026-11-19T09:30:00Z"));
        assert_eq!(m.lang.as_deref(), Some("cy"));
    }
}
