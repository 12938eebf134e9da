//! The public folder's pages (`roundup publish`): one archive page per published roundup and the
//! index, from `page.html.hbs` and `index.html.hbs` (built in, overridable file by file like the
//! draft's templates; `{{> head}}` and any other `NAME.html.hbs` are partials). The views here
//! are plain owned data; text is HTML-escaped by handlebars, and `body` is the post as the draft
//! renderer writes it.

use serde::Serialize;

use super::templates::{self, PAGES};
use super::{RenderError, Renderer, sanitize};

/// What every page knows of the site.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct SiteView {
    /// The site's name.
    pub title: String,
    /// One sentence saying what the site is.
    pub description: String,
    /// A BCP 47 language tag, e.g. `en-GB`.
    pub language: String,
    pub author: String,
    /// The index page's absolute URL (the configured base URL).
    pub home_url: String,
    /// The feeds, for autodiscovery and the footer.
    pub feeds: Vec<FeedLinkView>,
}

/// One feed of the site.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct FeedLinkView {
    pub title: String,
    /// MIME type, e.g. `application/atom+xml`.
    #[serde(rename = "type")]
    pub media_type: String,
    /// Absolute URL.
    pub href: String,
}

/// A link to a neighbouring roundup.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct NavView {
    pub title: String,
    /// Relative to the page.
    pub href: String,
}

/// One roundup's archive page.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct PageView {
    pub site: SiteView,
    pub week: String,
    pub dates: String,
    pub title: String,
    /// The title with the week's dates.
    pub heading: String,
    /// One line of plain text: the intro, or the site's description.
    pub description: String,
    /// Absolute URL of the page.
    pub url: String,
    /// The index, relative to the page.
    pub home: String,
    pub published: String,
    pub published_iso: String,
    pub updated: String,
    pub updated_iso: String,
    pub corrected: bool,
    pub tags: Vec<String>,
    pub categories: Vec<String>,
    /// The post, HTML.
    pub body: String,
    pub newer: Option<NavView>,
    pub older: Option<NavView>,
}

/// One roundup on the index page.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct IndexItemView {
    pub week: String,
    pub dates: String,
    pub title: String,
    /// The roundup's intro, sanitised HTML paragraphs (or null).
    pub intro: Option<String>,
    /// Relative to the index.
    pub href: String,
    /// Absolute.
    pub url: String,
    pub published: String,
    pub published_iso: String,
    /// E.g. `5 links`.
    pub links: String,
}

/// The page `roundup serve` answers for a path it does not have.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct NotFoundView {
    pub site: SiteView,
}

/// The index page.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct IndexView {
    pub site: SiteView,
    /// Newest first.
    pub roundups: Vec<IndexItemView>,
}

impl Renderer {
    /// A roundup's archive page.
    pub(crate) fn render_page(&self, view: &PageView) -> Result<String, RenderError> {
        self.render_public(PAGES[0], view)
    }

    /// The index page.
    pub(crate) fn render_index(&self, view: &IndexView) -> Result<String, RenderError> {
        self.render_public(PAGES[1], view)
    }

    /// The page for a path the site does not have.
    pub(crate) fn render_not_found(&self, view: &NotFoundView) -> Result<String, RenderError> {
        self.render_public(PAGES[2], view)
    }

    fn render_public<T: Serialize>(&self, page: &str, view: &T) -> Result<String, RenderError> {
        let compiled = templates::compile_page(&self.sources, page)?;
        let text = compiled.hb.render(&compiled.main, view).map_err(|e| compiled.error(e))?;
        Ok(super::tidy(&text, super::Format::Html))
    }
}

/// A rendered post made fit for a feed's `content`: the draft allowlist plus the structural
/// elements the HTML templates use (article, header, section, headings, figure), relative links
/// resolved against `base` (the archive page's URL). Whatever an overridden template writes, no
/// script, style or event handler reaches a feed reader.
pub(crate) fn feed_html(html: &str, base: &str) -> String {
    sanitize::clean_feed_html(html, Some(base))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn site() -> SiteView {
        SiteView {
            title: "The week <that was>".into(),
            description: "Picked & quoted".into(),
            language: "en-GB".into(),
            author: "Ed".into(),
            home_url: "https://news.example/".into(),
            feeds: vec![FeedLinkView {
                title: "Atom".into(),
                media_type: "application/atom+xml".into(),
                href: "https://news.example/feed.atom".into(),
            }],
        }
    }

    #[test]
    fn the_index_lists_roundups_and_advertises_the_feeds() {
        let r = Renderer::new(Path::new("/nonexistent/roundup/templates")).unwrap();
        let html = r
            .render_index(&IndexView {
                site: site(),
                roundups: vec![IndexItemView {
                    week: "2024-W48".into(),
                    dates: "25 November – 1 December 2024".into(),
                    title: "Budgets & <b>".into(),
                    intro: Some("<p>A <em>busy</em> week.</p>".into()),
                    href: "2024-W48/".into(),
                    url: "https://news.example/2024-W48/".into(),
                    published: "1 December 2024".into(),
                    published_iso: "2024-12-01T10:00:00Z".into(),
                    links: "2 links".into(),
                }],
            })
            .unwrap();
        assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en-GB\">"), "{html}");
        assert!(html.contains("<p>A <em>busy</em> week.</p>"), "the intro\n{html}");
        assert!(
            html.contains(r#"<meta property="og:site_name" content="The week &lt;that was&gt;">"#),
            "{html}"
        );
        assert!(
            html.contains(r#"<meta name="description" content="Picked &amp; quoted">"#),
            "{html}"
        );
        assert!(
            html.contains(
                r#"<link rel="alternate" type="application/atom+xml" title="Atom" href="https://news.example/feed.atom">"#
            ),
            "{html}"
        );
        assert!(html.contains("Budgets &amp; &lt;b&gt;"), "{html}");
        assert!(html.contains("<title>The week &lt;that was&gt;</title>"), "{html}");
        assert!(!html.contains("<script"), "{html}");
    }

    #[test]
    fn a_page_override_replaces_the_page_and_keeps_the_draft_templates() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("index.html.hbs"), "<p>{{site.title}}</p>{{> head}}")
            .unwrap();
        let r = Renderer::new(dir.path()).unwrap();
        let html = r.render_index(&IndexView { site: site(), roundups: vec![] }).unwrap();
        assert!(html.starts_with("<p>The week &lt;that was&gt;</p>"), "{html}");
        assert!(html.contains("rel=\"alternate\""), "{html}");
    }

    #[test]
    fn feed_html_keeps_structure_and_drops_script() {
        let out = feed_html(
            r#"<article class="roundup"><h1>T</h1><section><a href="/x">x</a><script>1</script></section></article>"#,
            "https://news.example/2024-W48/",
        );
        assert_eq!(
            out,
            r#"<article><h1>T</h1><section><a href="https://news.example/x" rel="noopener noreferrer">x</a></section></article>"#
        );
    }
}
