//! Links in a draft: which URLs may become an href at all (http and https only), when two URLs
//! name the same post, and the text-fragment link to a quoted passage
//! (`url#:~:text=START,END`, URL Fragment Text Directives, <https://wicg.github.io/scroll-to-text-fragment/>).

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::links::HttpUrl;

/// `raw` as an absolute http(s) URL with a host, normalised by the `url` crate; `None` for
/// anything else (`javascript:`, `data:`, relative, unparsable), which must never become a link.
pub(crate) fn safe_url(raw: &str) -> Option<String> {
    HttpUrl::parse(raw).ok().map(|u| u.to_string())
}

/// A paragraph of an excerpt, and a piece of it between cuts.
type Piece = (usize, usize);

/// An excerpt of at most this many words (in one paragraph) is matched whole; a longer one by
/// its first and last [`EDGE_WORDS`] words.
const WHOLE_MAX_WORDS: usize = 10;
const EDGE_WORDS: usize = 5;

fn is_quote_mark(c: char) -> bool {
    matches!(c, '"' | '“' | '”' | '‘' | '’' | '«' | '»')
}

/// The first word of a quotation without the opening marks the page does not have.
fn trim_opening(word: &str) -> &str {
    word.trim_start_matches(is_quote_mark)
}

/// The last word of a quotation without the closing marks, ellipsis and sentence punctuation
/// (an editor who ends a quote mid-sentence often adds a full stop the page does not have).
fn trim_closing(word: &str) -> &str {
    word.trim_end_matches(|c: char| {
        is_quote_mark(c) || matches!(c, '.' | ',' | ';' | ':' | '!' | '?' | '…')
    })
}

/// Percent-encodes one term of a text directive: everything but ASCII letters, digits and a few
/// marks that need no escape anywhere a link may go (Markdown destinations, HTML attributes).
/// The spec requires at least `-`, `,` and `&` to be encoded; so are spaces, quotes, brackets,
/// `=` and every non-ASCII byte.
fn encode_term(words: &[(Piece, &str)]) -> String {
    let text = words.iter().map(|(_, w)| *w).collect::<Vec<_>>().join(" ");
    utf8_percent_encode(&text, TEXT_TERM).to_string()
}

/// The bytes [`encode_term`] escapes: all but ASCII letters, digits and `._~!*:;`.
const TEXT_TERM: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'!')
    .remove(b'*')
    .remove(b':')
    .remove(b';');

/// The text directive (`text=…`, without `#:~:`) that finds `excerpt` on its page; `None` when
/// the excerpt has no words.
///
/// A short quote of one paragraph is matched whole. Otherwise the directive is a range: START is
/// the first words of the first paragraph, END the last words of the last one (an editor may
/// join paragraphs that are not adjacent on the page), and neither crosses a cut (`[…]`).
pub(crate) fn text_directive(excerpt: &str) -> Option<String> {
    let paragraphs = super::escape::paragraphs(excerpt);
    // Each word with the piece it is in: its paragraph, and its place between the cuts
    // (`crate::quotes::cut_pieces`, the one rule for cuts).
    let mut words: Vec<(Piece, &str)> = paragraphs
        .iter()
        .enumerate()
        .flat_map(|(i, p)| {
            crate::quotes::cut_pieces(p)
                .into_iter()
                .enumerate()
                .flat_map(move |(j, piece)| piece.split_whitespace().map(move |w| ((i, j), w)))
        })
        .collect();
    // Quotation marks and a closing full stop at the edges are the editor's.
    while let Some(&(p, first)) = words.first() {
        let t = trim_opening(first);
        if t.is_empty() {
            words.remove(0);
        } else {
            words[0] = (p, t);
            break;
        }
    }
    while let Some(&(p, last)) = words.last() {
        let t = trim_closing(last);
        if t.is_empty() {
            words.pop();
        } else {
            let n = words.len();
            words[n - 1] = (p, t);
            break;
        }
    }
    let n = words.len();
    let (first_piece, last_piece) = (words.first()?.0, words.last()?.0);
    let head_end = words.iter().position(|&(p, _)| p != first_piece).unwrap_or(n);
    let tail_start = words.iter().rposition(|&(p, _)| p != last_piece).map_or(0, |i| i + 1);
    let (head, tail) = if head_end == n && tail_start == 0 {
        // One paragraph, no cut.
        if n <= WHOLE_MAX_WORDS {
            return Some(format!("text={}", encode_term(&words)));
        }
        let k = EDGE_WORDS.min(n / 2);
        (&words[..k], &words[n - k..])
    } else {
        (&words[..head_end.min(EDGE_WORDS)], &words[tail_start.max(n.saturating_sub(EDGE_WORDS))..])
    };
    if head.is_empty() || tail.is_empty() {
        return Some(format!("text={}", encode_term(&words)));
    }
    Some(format!("text={},{}", encode_term(head), encode_term(tail)))
}

/// `url` (already a [`safe_url`]) with its own fragment replaced by a text directive that
/// finds `excerpt`; `url` unchanged when the excerpt has no words.
pub(crate) fn excerpt_url(url: &str, excerpt: &str) -> String {
    let base = url.split_once('#').map_or(url, |(b, _)| b);
    match text_directive(excerpt) {
        Some(d) => format!("{base}#:~:{d}"),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_absolute_http_and_https_urls_are_links() {
        assert_eq!(
            safe_url(" https://lgiu.example/a?b=1 ").as_deref(),
            Some("https://lgiu.example/a?b=1")
        );
        assert_eq!(safe_url("HTTP://LGIU.example").as_deref(), Some("http://lgiu.example/"));
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            " javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox",
            "file:///etc/passwd",
            "/relative/path",
            "//lgiu.example/x",
            "mailto:a@b.example",
            "",
        ] {
            assert_eq!(safe_url(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_short_excerpt_is_one_text_term() {
        assert_eq!(
            text_directive("Councils are under pressure.").as_deref(),
            Some("text=Councils%20are%20under%20pressure")
        );
    }

    #[test]
    fn a_long_excerpt_is_a_range_of_its_first_and_last_five_words() {
        let excerpt = "Councils across England are facing a funding gap of four billion pounds \
                       next year, and the sector has run out of savings to make.";
        assert_eq!(
            text_directive(excerpt).as_deref(),
            Some("text=Councils%20across%20England%20are%20facing,out%20of%20savings%20to%20make")
        );
    }

    #[test]
    fn dashes_commas_ampersands_and_non_ascii_are_percent_encoded() {
        assert_eq!(
            text_directive("Cost-of-living, rents & the council’s “plan”").as_deref(),
            Some(
                "text=Cost%2Dof%2Dliving%2C%20rents%20%26%20the%20council%E2%80%99s%20%E2%80%9Cplan"
            )
        );
    }

    #[test]
    fn a_multi_paragraph_excerpt_is_a_range_from_its_first_and_last_paragraphs() {
        assert_eq!(
            text_directive("First bit here.\n\nSecond bit.").as_deref(),
            Some("text=First%20bit%20here.,Second%20bit")
        );
        let long = "One two three four five six seven.\n\nEight nine ten eleven twelve thirteen.";
        assert_eq!(
            text_directive(long).as_deref(),
            Some("text=One%20two%20three%20four%20five,nine%20ten%20eleven%20twelve%20thirteen")
        );
    }

    #[test]
    fn quotation_marks_cuts_and_a_closing_full_stop_at_the_edges_are_left_out() {
        assert_eq!(
            text_directive("“… the budget is set.”").as_deref(),
            Some("text=the%20budget%20is%20set")
        );
        assert_eq!(
            text_directive("\"Rents rose again...\"").as_deref(),
            Some("text=Rents%20rose%20again")
        );
    }

    #[test]
    fn a_cut_in_the_middle_makes_a_range_around_it() {
        assert_eq!(
            text_directive("The budget was set on Tuesday […] and council tax will rise.")
                .as_deref(),
            Some("text=The%20budget%20was%20set%20on,and%20council%20tax%20will%20rise")
        );
    }

    #[test]
    fn a_cut_touching_a_word_or_in_round_brackets_is_a_cut_too() {
        for excerpt in [
            "The budget was set on Tuesday… and council tax will rise.",
            "The budget was set on Tuesday (...) and council tax will rise.",
        ] {
            assert_eq!(
                text_directive(excerpt).as_deref(),
                Some("text=The%20budget%20was%20set%20on,and%20council%20tax%20will%20rise"),
                "{excerpt}"
            );
        }
    }

    #[test]
    fn an_existing_fragment_is_replaced_not_kept() {
        assert_eq!(
            excerpt_url("https://lgiu.example/post#comments", "Short quote."),
            "https://lgiu.example/post#:~:text=Short%20quote"
        );
        assert_eq!(excerpt_url("https://lgiu.example/post", "  "), "https://lgiu.example/post");
    }
}
