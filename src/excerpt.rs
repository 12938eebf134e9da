//! Excerpt suggestions: the paragraphs an editor can quote, from an entry's own text or from its
//! article page (main text found by `crate::extract`, built on dom_smoothie). Pure: HTML in,
//! paragraphs out; fetching and caching the page is `app`'s job.

use crate::html_text::paragraphs;

/// Paragraphs shorter than this many words (bylines, "Share this", dates) are not offered.
const MIN_WORDS: usize = 4;

/// The quotable paragraphs of a plain text made by `html_text::html_to_text`.
pub(crate) fn suggestions_from_text(text: &str) -> Vec<String> {
    paragraphs(text)
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| p.split_whitespace().count() >= MIN_WORDS)
        .collect()
}

/// Words in a text.
pub(crate) fn word_count(text: &str) -> usize {
    text.split_whitespace().count()
}

/// A quote of several paragraphs, as it is stored and drafted: one paragraph after another, a
/// blank line between (each a paragraph of the quote in the draft).
pub(crate) fn join_paragraphs<S: AsRef<str>>(paragraphs: &[S]) -> String {
    paragraphs.iter().map(|p| p.as_ref().trim()).collect::<Vec<_>>().join("\n\n")
}

/// Which numbered suggestions make a quote, as the editor wrote them (`4`, `4-5`, `2,5`,
/// `1,3-4`): in article order, each once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParagraphNumbers {
    written: String,
    numbers: Vec<usize>,
}

impl std::str::FromStr for ParagraphNumbers {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let number = |t: &str| -> Result<usize, String> {
            match t.trim().parse::<usize>() {
                Ok(0) => Err("paragraphs are numbered from 1".to_string()),
                Ok(n) => Ok(n),
                Err(_) => Err(format!(
                    "{:?} is not a paragraph number (write N, N-M or N,M, e.g. 4-5 or 2,5)",
                    t.trim()
                )),
            }
        };
        let mut numbers = Vec::new();
        for part in s.split(',') {
            match part.split_once('-') {
                Some((a, b)) => {
                    let (a, b) = (number(a)?, number(b)?);
                    if a > b {
                        return Err(format!("{a}-{b} runs backwards (write {b}-{a})"));
                    }
                    numbers.extend(a..=b);
                }
                None => numbers.push(number(part)?),
            }
        }
        numbers.sort_unstable();
        numbers.dedup();
        Ok(ParagraphNumbers { written: s.trim().to_string(), numbers })
    }
}

impl ParagraphNumbers {
    /// The numbers, ascending (1 = the first suggestion).
    pub fn numbers(&self) -> &[usize] {
        &self.numbers
    }

    /// The chosen suggestions joined as one quote; `Err` with the first number that has no
    /// suggestion.
    pub fn quote(&self, suggestions: &[String]) -> Result<String, usize> {
        let chosen = self
            .numbers
            .iter()
            .map(|&n| suggestions.get(n - 1).ok_or(n))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(join_paragraphs(&chosen))
    }
}

impl std::fmt::Display for ParagraphNumbers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(s: &str) -> Result<Vec<usize>, String> {
        s.parse::<ParagraphNumbers>().map(|p| p.numbers().to_vec())
    }

    #[test]
    fn paragraph_numbers_take_ranges_and_lists_in_article_order() {
        assert_eq!(numbers("4"), Ok(vec![4]));
        assert_eq!(numbers("4-5"), Ok(vec![4, 5]));
        assert_eq!(numbers("5,2"), Ok(vec![2, 5]));
        assert_eq!(numbers(" 1, 3-4 ,3"), Ok(vec![1, 3, 4]));
    }

    #[test]
    fn paragraph_numbers_that_mean_nothing_are_refused_with_a_reason() {
        assert!(numbers("0").unwrap_err().contains("numbered from 1"));
        assert!(numbers("5-4").unwrap_err().contains("runs backwards"));
        assert!(numbers("4;5").unwrap_err().contains("is not a paragraph number"));
        assert!(numbers("").is_err());
    }

    #[test]
    fn a_quote_of_several_paragraphs_keeps_a_blank_line_between_them() {
        let s: Vec<String> = ["One a.", "Two b.", "Three c."].map(String::from).to_vec();
        assert_eq!(
            "3,1".parse::<ParagraphNumbers>().unwrap().quote(&s),
            Ok("One a.\n\nThree c.".into())
        );
        assert_eq!("2-4".parse::<ParagraphNumbers>().unwrap().quote(&s), Err(4));
    }

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
        let text = article_text(page, "https://council.example/budget-night");
        let s = suggestions_from_text(&text);
        assert_eq!(s.len(), 3, "{s:#?}");
        assert!(s[0].starts_with("The council set its budget"));
        assert!(!text.contains("Cookie settings"));
    }

    /// The main text of `page` as the article-page path gives it to the suggester.
    fn article_text(page: &str, url: &str) -> String {
        crate::extract::extract(page, Some(url)).map(|a| a.text()).unwrap_or_default()
    }

    #[test]
    fn a_page_without_an_article_gives_no_text_and_no_panic() {
        for page in ["", "<html></html>", "<<<>>>", "<html><body><nav>Home</nav></body></html>"] {
            let text = article_text(page, "https://x.example/");
            assert!(suggestions_from_text(&text).is_empty(), "{page:?}");
        }
    }
}
