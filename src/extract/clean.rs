//! Boilerplate paragraphs that survive inside the article container: labels and calls to
//! action ("Advertisement", "Share this", "Read more"), photo credits, bylines and datelines,
//! copyright lines, the headline repeated, and the link lists that end an article ("Most read",
//! "More stories"), which are cut off with everything after them.

/// The article's paragraphs without boilerplate. `title` is the page's headline: the body
/// does not repeat it.
pub fn clean(paragraphs: Vec<String>, title: Option<&str>) -> Vec<String> {
    let title = title.map(normalise).filter(|t| !t.is_empty());
    let total: usize = paragraphs.iter().map(String::len).sum();
    let mut seen = 0;
    let mut out = Vec::with_capacity(paragraphs.len());
    for p in paragraphs {
        seen += p.len();
        if is_end_marker(&p) && seen * 2 > total {
            break;
        }
        if is_boilerplate(&p) || title.as_deref() == Some(normalise(&p).as_str()) {
            continue;
        }
        out.push(p);
    }
    out
}

/// A paragraph with this many words, or characters (for scripts written without spaces), is
/// prose, not a menu item or a label.
const PROSE_WORDS: usize = 12;
const PROSE_CHARS: usize = 80;

/// Whether the paragraphs are an article: at least one of them is prose. A home page, a 404
/// page or a list of links gives only short items.
pub fn is_article(paragraphs: &[String]) -> bool {
    paragraphs
        .iter()
        .any(|p| p.split_whitespace().count() >= PROSE_WORDS || p.chars().count() >= PROSE_CHARS)
}

/// Lowercase words only, for comparing a paragraph with the headline.
fn normalise(s: &str) -> String {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether a paragraph is page furniture, not article text.
pub fn is_boilerplate(p: &str) -> bool {
    let lower = p.trim().to_lowercase();
    let words = lower.split_whitespace().count();
    if words == 0 {
        return true;
    }
    let bare = lower.trim_end_matches([':', '.', '!', '?', '…', '|', ' ']);
    if words <= 8 && (LABELS.contains(&bare) || END_MARKERS.contains(&bare)) {
        return true;
    }
    if words <= 14 && CREDIT_PREFIXES.iter().any(|c| lower.starts_with(c)) {
        return true;
    }
    if words <= 20 && CALLS_TO_ACTION.iter().any(|c| lower.starts_with(c)) {
        return true;
    }
    if words <= 40 && (lower.contains('©') || lower.contains("all rights reserved"))
        || lower.starts_with("this document is subject to copyright")
    {
        return true;
    }
    is_dateline(&lower, words)
}

/// A heading that starts the link lists after an article.
pub fn is_end_marker(p: &str) -> bool {
    let lower = p.trim().to_lowercase();
    let bare = lower.trim_end_matches([':', '.', '!', '?', '…', ' ']);
    bare.split_whitespace().count() <= 6
        && (END_MARKERS.contains(&bare) || bare.starts_with("top stories in"))
}

/// A byline or dateline: "By Ann Smith - 11/18/19 11:04 PM", "PUBLISHED: 10:48, Tue, Nov 19,
/// 2019", "Updated Nov 19, 6:55 AM". "By" alone starts sentences too ("By 2030 the council
/// ..."), so a byline needs a clock time or a numeric date, or to be at most five words.
fn is_dateline(lower: &str, words: usize) -> bool {
    if words > 14 {
        return false;
    }
    if lower.starts_with("by ") {
        return words <= 5 || has_date(lower).1;
    }
    let (year, exact) = has_date(lower);
    (year || exact) && DATELINE_PREFIXES.iter().any(|d| lower.starts_with(d))
}

/// Whether text has a year (19xx, 20xx), and whether it has a clock time or a numeric date.
fn has_date(lower: &str) -> (bool, bool) {
    let b = lower.as_bytes();
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let (mut year, mut exact) = (false, false);
    for i in 0..b.len() {
        year |= (b[i..].starts_with(b"19") || b[i..].starts_with(b"20"))
            && digit(i + 2)
            && digit(i + 3)
            && !digit(i + 4)
            && (i == 0 || !digit(i - 1));
        exact |= digit(i) && matches!(b.get(i + 1), Some(b':' | b'/')) && digit(i + 2);
    }
    (year, exact)
}

/// Whole-paragraph labels.
#[rustfmt::skip]
const LABELS: &[&str] = &[
    "advertisement", "advertisements", "advert", "sponsored", "sponsored content", "share",
    "share this", "share this article", "share this story", "share this post",
    "share on facebook", "share on twitter", "tweet", "email", "print", "comments", "comment",
    "related", "read more", "more", "see also", "recommended", "trending", "tags", "topics",
    "filed under", "skip advertisement", "continue reading", "story continues below",
    "story continues below advertisement", "article continues below",
    "scroll to continue with content", "loading", "caption", "close", "don't miss",
    "don’t miss", "this slideshow requires javascript", "you have been successfully subscribed",
];

/// Headings of the link lists that follow an article.
#[rustfmt::skip]
const END_MARKERS: &[&str] = &[
    "related articles", "related stories", "related posts", "related content", "more stories",
    "more from", "you may also like", "you might also like", "recommended for you",
    "most popular", "most read", "most read stories", "top stories", "trending now",
    "want more stories like this", "tell us what you think", "leave a reply",
    "leave a comment", "what do you think", "more on this story", "read next",
];

/// Photo and image credits.
#[rustfmt::skip]
const CREDIT_PREFIXES: &[&str] = &[
    "photo:", "photo by", "photograph:", "photograph by", "image:", "image by", "image credit",
    "picture:", "pictured:", "credit:", "source: getty", "getty images", "(photo", "(image",
    "photo credit", "illustration:", "illustration by", "file photo", "image 1 of",
];

/// Short calls to action.
#[rustfmt::skip]
const CALLS_TO_ACTION: &[&str] = &[
    "sign up for", "subscribe to", "subscribe now", "click here to", "follow us on",
    "read more:", "related:", "see also:", "also read:", "read also:", "see more:", "watch:",
    "listen:", "related article:", "related coverage:", "recommended:", "download our app",
    "get our newsletter", "join our mailing list", "like us on facebook",
    "there was a problem subscribing",
];

/// Words that start a dateline.
#[rustfmt::skip]
const DATELINE_PREFIXES: &[&str] = &[
    "published", "updated", "| updated", "posted", "last updated", "last modified",
    "date:", "publicado", "atualizado", "veröffentlicht", "publié", "mis à jour",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn advertisement_labels_are_dropped() {
        assert!(is_boilerplate("Advertisement"));
        assert!(is_boilerplate("  ADVERTISEMENT  "));
        assert!(is_boilerplate("Story continues below advertisement"));
    }

    #[test]
    fn share_prompts_and_read_more_links_are_dropped() {
        assert!(is_boilerplate("Share this article:"));
        assert!(is_boilerplate("Read more: Council approves new bus lanes"));
        assert!(is_boilerplate("Sign up for our weekly newsletter"));
    }

    #[test]
    fn photo_credits_are_dropped() {
        assert!(is_boilerplate("Photo: Jane Doe/Reuters"));
        assert!(is_boilerplate("Getty Images"));
    }

    #[test]
    fn bylines_and_datelines_are_dropped() {
        assert!(is_boilerplate("By Justine Coleman - 11/18/19 11:04 PM EST"));
        assert!(is_boilerplate("PUBLISHED: 10:48, Tue, Nov 19, 2019"));
        assert!(is_boilerplate("Updated Nov 19, 2019"));
        assert!(is_boilerplate("By Ann Smith"));
    }

    #[test]
    fn copyright_lines_are_dropped() {
        assert!(is_boilerplate("© 2026 Harbour Town Council. All rights reserved."));
    }

    #[test]
    fn article_sentences_that_mention_those_words_are_kept() {
        assert!(!is_boilerplate("Share prices fell by 4% after the announcement on Monday."));
        assert!(!is_boilerplate(
            "Read more about the plans in the council's consultation document, which runs to 90 \
             pages and sets out three options for the site, each with a different mix of homes \
             and open space for residents."
        ));
        assert!(!is_boilerplate("Photo booths were set up in the library for the day."));
        assert!(!is_boilerplate("By 2030 the council wants every school to have solar panels."));
        assert!(!is_boilerplate("On 12 May 2025 the bridge reopened to cyclists and walkers."));
    }

    #[test]
    fn a_short_heading_is_kept() {
        assert!(!is_boilerplate("What happens next"));
    }

    #[test]
    fn the_headline_repeated_in_the_body_is_dropped() {
        let ps = strings(&["Budget night: what changed", "The council met on Tuesday evening."]);
        assert_eq!(
            clean(ps, Some("Budget Night — what changed")),
            ["The council met on Tuesday evening."]
        );
    }

    #[test]
    fn a_list_of_short_links_is_not_an_article() {
        assert!(!is_article(&strings(&["Bin collection days", "Pay council tax", "Jobs"])));
        assert!(!is_article(&strings(&["Page not found", "Sorry, we cannot find that page."])));
        assert!(is_article(&strings(&[
            "The council set its budget on Tuesday after a debate that ran for four hours."
        ])));
        let japanese = "そんな用途を考慮してか、Kindleや楽天koboにはデスクトップアプリが用意されています。\
                        今回はそのKindleデスクトップアプリ Kindle for PC に関する話。\
                        設定で変更できる箇所も少なく、融通が効かない面も多々あります。";
        assert!(is_article(&strings(&[japanese])));
    }

    #[test]
    fn link_lists_after_the_article_are_cut_off() {
        let body = "The council met on Tuesday and agreed the budget after a long debate.";
        let ps = strings(&[body, body, "Most read", "Man bites dog in town centre"]);
        assert_eq!(clean(ps, None), [body, body]);
    }

    #[test]
    fn an_end_marker_early_in_the_text_does_not_cut_the_article() {
        let body = "The council met on Tuesday and agreed the budget after a long debate.";
        let ps = strings(&["Related stories", body, body]);
        assert_eq!(clean(ps, None), [body, body]);
    }
}
