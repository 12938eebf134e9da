//! Quotes: the one rule for where an editor cut a quotation ([`cut_pieces`], used here and by
//! the draft's text-fragment links), and quote fidelity: does an excerpt still appear in the
//! article it quotes? Pure: compares plain texts with whitespace, typographic quotes and dashes
//! normalised; an excerpt cut with `[…]` or `...` must have every part present, in order.

/// The marks of a cut, longest first: an ellipsis (`…` or `...`), bare or in brackets.
const CUT_MARKS: &[&str] = &["[…]", "[...]", "(…)", "(...)", "…", "..."];

/// The pieces of a quotation between its cut marks (a mark may stand alone or touch a word:
/// `budget… the`), trimmed, empty ones left out.
pub(crate) fn cut_pieces(text: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let (mut start, mut i) = (0, 0);
    while i < text.len() {
        if let Some(mark) = CUT_MARKS.iter().find(|m| text[i..].starts_with(**m)) {
            pieces.push(&text[start..i]);
            i += mark.len();
            start = i;
        } else {
            i += text[i..].chars().next().map_or(1, char::len_utf8);
        }
    }
    pieces.push(&text[start..]);
    pieces.into_iter().map(str::trim).filter(|p| !p.is_empty()).collect()
}

/// Whether every part of `excerpt` appears in `article`, in order.
pub(crate) fn quote_appears(excerpt: &str, article: &str) -> bool {
    let haystack = normalise(article);
    let mut from = 0;
    let mut any = false;
    for part in cut_pieces(excerpt) {
        let needle = normalise(part);
        if needle.is_empty() {
            continue;
        }
        any = true;
        match haystack[from..].find(&needle) {
            Some(at) => from += at + needle.len(),
            None => return false,
        }
    }
    any
}

/// Lower-cased words separated by single spaces, with curly quotes and dashes made plain.
fn normalise(text: &str) -> String {
    let mapped: String = text
        .chars()
        .map(|c| match c {
            '\u{2018}' | '\u{2019}' | '\u{201B}' | '\u{2032}' => '\'',
            '\u{201C}' | '\u{201D}' | '\u{201F}' | '\u{2033}' => '"',
            '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
            '\u{00A0}' | '\u{202F}' => ' ',
            c => c,
        })
        .collect();
    mapped.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARTICLE: &str = "The council\u{2019}s budget   was set on Tuesday.\n\nIt rises by 4.99 per cent \u{2014} the most allowed.";

    #[test]
    fn a_quote_with_other_whitespace_and_typography_still_appears() {
        assert!(quote_appears("The council's budget was set\non Tuesday.", ARTICLE));
        assert!(quote_appears("4.99 per cent - the most allowed", ARTICLE));
    }

    #[test]
    fn a_changed_quote_does_not_appear() {
        assert!(!quote_appears("The council's budget was cut on Tuesday.", ARTICLE));
        assert!(!quote_appears("", ARTICLE), "an empty excerpt quotes nothing");
    }

    #[test]
    fn every_part_of_a_cut_quote_must_appear_in_order() {
        assert!(quote_appears("The council's budget […] the most allowed.", ARTICLE));
        assert!(quote_appears("The council's budget ... 4.99 per cent", ARTICLE));
        assert!(!quote_appears("the most allowed […] The council's budget", ARTICLE));
    }

    #[test]
    fn a_cut_in_round_brackets_or_touching_a_word_is_a_cut() {
        assert!(quote_appears("The council's budget (...) the most allowed.", ARTICLE));
        assert!(quote_appears("The council's budget… the most allowed.", ARTICLE));
        assert_eq!(cut_pieces("“… a [...] b(…)c...”"), ["“", "a", "b", "c", "”"]);
    }
}
