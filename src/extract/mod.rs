//! Main-text extraction: an HTML page in, the article's paragraphs (the units an editor quotes)
//! and what the page says of itself (title, byline, site name, published time, canonical URL,
//! language) out. Pure and bounded: no I/O, input capped at [`MAX_INPUT`] bytes and the DOM at
//! [`MAX_ELEMENTS`] elements.
//!
//! The base is dom_smoothie 0.19 (a readability.js port on the same html5ever stack as
//! scraper). Around it:
//! - [`prune`], before scoring: removes what is never article text (captions, share bars,
//!   newsletter boxes, related links, comments, bylines and datelines);
//! - [`blocks`], after: turns the chosen content into paragraphs, keeping headings and list
//!   items, and joining paragraphs that inline markup split;
//! - [`clean`]: drops leftover boilerplate paragraphs ("Advertisement", "Share this", photo
//!   credits);
//! - [`meta`]: what the page says of itself, its canonical URL cleaned by `crate::links`.

pub mod blocks;
pub mod clean;
pub mod limits;
pub mod meta;
pub mod prune;

use dom_smoothie::{Config, Readability, ReadabilityError, TextMode};
use serde::Serialize;

/// Pages larger than this are refused (the same cap as a fetched body).
pub const MAX_INPUT: usize = 15 * 1024 * 1024;

/// Documents with more elements than this are refused.
pub const MAX_ELEMENTS: usize = 200_000;

/// Documents whose elements nest deeper than this are refused: parsing and scoring take time
/// quadratic in the depth (about 4 s at 5,000 levels), and real pages stay well under 100.
pub const MAX_DEPTH: usize = 500;

/// What an article page says: its main text as paragraphs, and its metadata.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Article {
    /// The article's title.
    pub title: Option<String>,
    /// Who wrote it, as the page says.
    pub byline: Option<String>,
    /// The site's own name (`og:site_name` and the like).
    pub site_name: Option<String>,
    /// As the page gives it (usually ISO 8601).
    pub published_time: Option<String>,
    /// `<link rel=canonical>` or `og:url`, absolute, tracking parameters removed.
    pub canonical_url: Option<String>,
    /// The page's language tag.
    pub lang: Option<String>,
    /// The main text, one entry per paragraph, heading or list item; whitespace collapsed.
    pub paragraphs: Vec<String>,
}

impl Article {
    /// The main text: paragraphs separated by one blank line.
    pub fn text(&self) -> String {
        self.paragraphs.join("\n\n")
    }
}

/// Why a page could not be read at all (a page without an article is not an error: it gives
/// no paragraphs).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ExtractError {
    /// The page is larger than extraction reads.
    #[error("the page is {size} bytes, more than the {max}-byte limit")]
    TooLarge {
        /// The page's size in bytes.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// The page has more elements than extraction reads.
    #[error("the page has more than {max} elements")]
    TooManyElements {
        /// The limit.
        max: usize,
    },
    /// The page nests elements deeper than extraction reads.
    #[error("the page nests elements more than {max} deep")]
    TooDeep {
        /// The limit.
        max: usize,
    },
}

/// Extracts the article from `html`. `url` is the page's address (absolute; used to resolve
/// relative links and the canonical URL); `None` or a bad URL is ignored.
pub fn extract(html: &str, url: Option<&str>) -> Result<Article, ExtractError> {
    if html.len() > MAX_INPUT {
        return Err(ExtractError::TooLarge { size: html.len(), max: MAX_INPUT });
    }
    // A cheap upper-bound estimate first, so html5ever never sees a pathological page; the
    // exact depth is checked on the parsed document below.
    if limits::estimated_depth(html) > limits::MAX_ESTIMATED_DEPTH {
        return Err(ExtractError::TooDeep { max: MAX_DEPTH });
    }
    let base = url.and_then(|u| ::url::Url::parse(u).ok()).filter(|u| u.has_host());
    let cfg = Config {
        text_mode: TextMode::Raw,
        max_elements_to_parse: MAX_ELEMENTS,
        ..Default::default()
    };
    let reader = match Readability::new(html, base.as_ref().map(|u| u.as_str()), Some(cfg.clone()))
    {
        Ok(r) => r,
        Err(_) => match Readability::new(html, None, Some(cfg)) {
            Ok(r) => r,
            Err(_) => return Ok(Article::default()),
        },
    };
    let mut reader = reader;
    // Checked here, not only by dom_smoothie in `parse`: pruning walks the whole document too.
    let (elements, depth) = limits::size_and_depth(&reader.doc);
    if elements > MAX_ELEMENTS {
        return Err(ExtractError::TooManyElements { max: MAX_ELEMENTS });
    }
    if depth > MAX_DEPTH {
        return Err(ExtractError::TooDeep { max: MAX_DEPTH });
    }
    let page = meta::page_meta(&reader.doc, base.as_ref());
    prune::prune(&reader.doc);
    let article = match reader.parse() {
        Ok(a) => a,
        Err(ReadabilityError::TooManyElements(..)) => {
            return Err(ExtractError::TooManyElements { max: MAX_ELEMENTS });
        }
        Err(_) => return Ok(Article { paragraphs: Vec::new(), ..page }),
    };
    let nonempty = |s: Option<String>| s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let title = nonempty(Some(article.title.clone())).or(page.title);
    let mut paragraphs = clean::clean(blocks::paragraphs(&article.content), title.as_deref());
    if !clean::is_article(&paragraphs) {
        paragraphs.clear();
    }
    Ok(Article {
        title,
        byline: nonempty(article.byline).or(page.byline),
        site_name: nonempty(article.site_name).or(page.site_name),
        published_time: nonempty(article.published_time).or(page.published_time),
        canonical_url: page.canonical_url,
        lang: nonempty(article.lang).or(page.lang),
        paragraphs,
    })
}
