//! Excerpt suggestions: the paragraphs an editor can quote, from an entry's own text or from its
//! article page (main text found by `crate::extract`, built on dom_smoothie). Pure: HTML in,
//! paragraphs out; fetching and caching the page is `app`'s job.

use crate::html_text::paragraphs;

/// Paragraphs shorter than this many words (bylines, "Share this", dates) are not offered.
const MIN_WORDS: usize = 4;

/// The quotable paragraphs of a plain text made by `html_text::html_to_text`.
pub fn suggestions_from_text(text: &str) -> Vec<String> {
    paragraphs(text)
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| p.split_whitespace().count() >= MIN_WORDS)
        .collect()
}

/// What an article page says, as far as excerpts need it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ArticleText {
    pub title: Option<String>,
    pub byline: Option<String>,
    pub site_name: Option<String>,
    /// The main text, paragraphs separated by a blank line.
    pub text: String,
}

/// The main text of an article page at `url` (see `crate::extract`). A page with no article,
/// or one too large to read, gives empty text.
pub fn extract_article(html: &str, url: &str) -> ArticleText {
    match crate::extract::extract(html, Some(url)) {
        Ok(article) => ArticleText {
            text: article.text(),
            title: article.title,
            byline: article.byline,
            site_name: article.site_name,
        },
        Err(_) => ArticleText::default(),
    }
}

/// Words in a text.
pub fn word_count(text: &str) -> usize {
    text.split_whitespace().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_lines_are_not_offered_as_excerpts() {
        let text = "By Ann Smith\n\nThe council set its budget on Tuesday after a long debate.\n\nShare this";
        assert_eq!(
            suggestions_from_text(text),
            ["The council set its budget on Tuesday after a long debate."]
        );
    }

    #[test]
    fn an_article_page_yields_its_paragraphs_not_its_menus() {
        let page = r#"<html><head><title>Budget night | Council blog</title></head><body>
            <nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li></ul></nav>
            <article><h1>Budget night</h1>
            <p>The council set its budget on Tuesday night after a debate that ran for four hours, with the
            opposition proposing three amendments on libraries, social care and bus routes.</p>
            <p>Council tax will rise by 4.99 per cent, the most allowed without a referendum, and the
            leader said the money would go to adult social care and children's services.</p>
            <p>Residents can read the full budget papers on the council website and the meeting is
            available to watch again on the council's YouTube channel for the next six months.</p>
            </article>
            <footer>Copyright 2026 Council. All rights reserved. Cookie settings.</footer>
            </body></html>"#;
        let a = extract_article(page, "https://council.example/budget-night");
        let s = suggestions_from_text(&a.text);
        assert_eq!(s.len(), 3, "{s:#?}");
        assert!(s[0].starts_with("The council set its budget"));
        assert!(!a.text.contains("Cookie settings"));
    }

    #[test]
    fn a_page_without_an_article_gives_no_text_and_no_panic() {
        for page in ["", "<html></html>", "<<<>>>", "<html><body><nav>Home</nav></body></html>"] {
            let a = extract_article(page, "https://x.example/");
            assert!(suggestions_from_text(&a.text).is_empty(), "{page:?}");
        }
    }
}
