//! Checks on a week's roundup before it goes out. Each rule gives a [`Warning`] naming what it is
//! about (the roundup, or `item N "Title"`) and, where it helps, the command that fixes it.
//! Warnings come in a fixed order: the roundup's own, then each item's in post order, then the
//! ones about the picks as a whole.
//!
//! Rules:
//! - the roundup has no title, or no intro; no item is picked;
//! - an item's post has no title, no author, no outlet or no http(s) link; the item has no
//!   excerpt;
//! - fair dealing: an excerpt longer than `max_words` words, or longer than `max_share` of the
//!   article's words (the entry's `text`; skipped when that text is shorter than the excerpt,
//!   as it is when the feed carries only a summary);
//! - a link already featured in one of the recent roundups (`featured`), or picked twice this week;
//! - one outlet holds more than half the picks (with at least [`DOMINANCE_MIN_PICKS`] picks).

use std::collections::BTreeMap;

use super::links::safe_url;
use super::{LintLimits, Warning};
use crate::excerpt::word_count;
use crate::links::post_key;
use crate::model::{PickedItem, Roundup};

/// The outlet rule needs at least this many picks to mean anything.
pub(crate) const DOMINANCE_MIN_PICKS: usize = 3;

/// `item 3 "Council budgets under pressure"`: how a warning names an item. The title is one
/// line without control characters (a feed's title must not send escape codes to a terminal).
pub(crate) fn label(item: &PickedItem) -> String {
    let title = item.entry.title.as_deref().map(|t| {
        t.split(|c: char| c.is_whitespace() || c.is_control())
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
    });
    match title.filter(|t| !t.is_empty()) {
        Some(words) => {
            let mut t = words.join(" ");
            if t.chars().count() > 60 {
                t = t.chars().take(59).collect::<String>() + "…";
            }
            format!("item {} \"{t}\"", item.position)
        }
        None => format!("item {} (entry {}, untitled)", item.position, item.entry.id),
    }
}

fn blank(s: Option<&str>) -> bool {
    s.is_none_or(|s| s.trim().is_empty())
}

/// All warnings about a roundup and its items; see the module doc for the rules.
pub(crate) fn lint(
    roundup: &Roundup,
    items: &[PickedItem],
    featured: &[(String, String)],
    limits: &LintLimits,
) -> Vec<Warning> {
    let mut out = Vec::new();
    let mut warn = |s: String| out.push(Warning(s));
    if roundup.title.trim().is_empty() {
        warn("the roundup has no title (roundup edit --title TEXT)".into());
    }
    if blank(roundup.intro.as_deref()) {
        warn("the intro is empty (roundup edit --intro TEXT)".into());
    }
    if items.is_empty() {
        warn("no item is picked yet (roundup pick ENTRY)".into());
    }
    let items = super::view::in_post_order(items);
    let mut seen: BTreeMap<String, &PickedItem> = BTreeMap::new();
    for item in &items {
        let e = &item.entry;
        let who = label(item);
        if blank(e.title.as_deref()) {
            warn(format!("{who}: the post has no title"));
        }
        if blank(e.author.as_deref()) {
            warn(format!("{who}: no author (the feed names none)"));
        }
        if e.outlet.trim().is_empty() {
            warn(format!("{who}: no outlet (give feed {:?} a name in the config)", e.feed));
        }
        match e.url.as_deref().filter(|u| !u.trim().is_empty()) {
            None => warn(format!("{who}: the post has no link")),
            Some(u) if safe_url(u).is_none() => {}
            Some(u) => {
                let key = post_key(u);
                let mut weeks: Vec<&str> = featured
                    .iter()
                    .filter(|(_, f)| post_key(f) == key)
                    .map(|(w, _)| w.as_str())
                    .collect();
                weeks.sort_unstable_by(|a, b| b.cmp(a));
                weeks.dedup();
                if !weeks.is_empty() {
                    warn(format!("{who}: already featured in {}", weeks.join(", ")));
                }
                match seen.get(&key) {
                    Some(first) => warn(format!("{who}: links the same post as {}", label(first))),
                    None => {
                        seen.insert(key, item);
                    }
                }
            }
        }
        match item.excerpt.as_deref().filter(|x| !x.trim().is_empty()) {
            None => warn(format!(
                "{who}: no excerpt (roundup pick {} --excerpt TEXT, or --excerpt-para N)",
                e.id
            )),
            Some(x) => {
                let words = word_count(x);
                let article = word_count(&e.text);
                if words > limits.max_words {
                    warn(format!(
                        "{who}: the excerpt has {words} words, more than the fair-dealing limit of {}",
                        limits.max_words
                    ));
                }
                // An entry whose text is shorter than the excerpt carries only a summary: the
                // article the excerpt came from is longer, and its length is unknown.
                if article >= words && words as f64 > limits.max_share * article as f64 {
                    warn(format!(
                        "{who}: the excerpt is {:.0} % of the article ({words} of {article} words), more than the fair-dealing limit of {:.0} %",
                        100.0 * words as f64 / article as f64,
                        100.0 * limits.max_share
                    ));
                }
            }
        }
    }
    if items.len() >= DOMINANCE_MIN_PICKS {
        let mut by_outlet: BTreeMap<&str, Vec<&PickedItem>> = BTreeMap::new();
        for item in &items {
            by_outlet.entry(item.entry.outlet.trim()).or_default().push(item);
        }
        for (outlet, picks) in by_outlet {
            if picks.len() * 2 > items.len() {
                let names: Vec<String> = picks.iter().map(|i| label(i)).collect();
                warn(format!(
                    "{}: {} of {} picks are from {outlet} (more than half)",
                    names.join(", "),
                    picks.len(),
                    items.len()
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::view::tests::{item, roundup};

    const LIMITS: LintLimits = LintLimits { max_words: 120, max_share: 0.2 };

    fn texts(w: Vec<Warning>) -> Vec<String> {
        w.into_iter().map(|w| w.0).collect()
    }

    fn three() -> Vec<PickedItem> {
        vec![
            item(1, "LGIU", "Budgets", "https://lgiu.example/a"),
            item(2, "LocalGov", "Housing", "https://localgov.example/b"),
            item(3, "MJ", "Care", "https://mj.example/c"),
        ]
    }

    #[test]
    fn a_complete_roundup_has_no_warnings() {
        assert_eq!(texts(lint(&roundup(), &three(), &[], &LIMITS)), Vec::<String>::new());
    }

    #[test]
    fn an_empty_intro_is_flagged() {
        let mut r = roundup();
        r.intro = Some("  ".into());
        assert_eq!(
            texts(lint(&r, &three(), &[], &LIMITS)),
            ["the intro is empty (roundup edit --intro TEXT)"]
        );
    }

    #[test]
    fn unfilled_slots_are_flagged_by_item_position_and_title() {
        let mut items = three();
        items[0].excerpt = None;
        items[1].entry.author = None;
        items[2].entry.title = None;
        items[2].entry.outlet = " ".into();
        assert_eq!(
            texts(lint(&roundup(), &items, &[], &LIMITS)),
            [
                "item 1 \"Budgets\": no excerpt (roundup pick 101 --excerpt TEXT, or --excerpt-para N)",
                "item 2 \"Housing\": no author (the feed names none)",
                "item 3 (entry 103, untitled): the post has no title",
                "item 3 (entry 103, untitled): no outlet (give feed \"mj\" a name in the config)",
            ]
        );
    }

    #[test]
    fn no_picks_and_no_title_are_flagged() {
        let mut r = roundup();
        r.title = String::new();
        assert_eq!(
            texts(lint(&r, &[], &[], &LIMITS)),
            [
                "the roundup has no title (roundup edit --title TEXT)",
                "no item is picked yet (roundup pick ENTRY)"
            ]
        );
    }

    #[test]
    fn an_excerpt_over_the_word_limit_is_flagged() {
        let mut items = three();
        items[1].excerpt = Some("word ".repeat(30));
        let limits = LintLimits { max_words: 25, max_share: 0.5 };
        assert_eq!(
            texts(lint(&roundup(), &items, &[], &limits)),
            [
                "item 2 \"Housing\": the excerpt has 30 words, more than the fair-dealing limit of 25"
            ]
        );
    }

    #[test]
    fn an_excerpt_over_the_share_of_the_article_is_flagged() {
        let mut items = three();
        items[0].entry.text = "one two three four five six seven eight nine ten".into();
        items[0].excerpt = Some("one two three".into());
        assert_eq!(
            texts(lint(&roundup(), &items, &[], &LIMITS)),
            [
                "item 1 \"Budgets\": the excerpt is 30 % of the article (3 of 10 words), more than the fair-dealing limit of 20 %"
            ]
        );
        // An entry without text, or with only a summary shorter than the excerpt, gives no
        // share to compare with.
        items[0].entry.text = String::new();
        assert!(lint(&roundup(), &items, &[], &LIMITS).is_empty());
        items[0].entry.text = "one two".into();
        assert!(lint(&roundup(), &items, &[], &LIMITS).is_empty());
    }

    #[test]
    fn a_link_featured_in_a_recent_roundup_is_flagged_with_its_weeks() {
        let featured = vec![
            ("2024-W47".to_string(), "https://localgov.example/b/".to_string()),
            ("2024-W45".to_string(), "https://localgov.example/b#intro".to_string()),
            ("2024-W46".to_string(), "https://other.example/".to_string()),
        ];
        assert_eq!(
            texts(lint(&roundup(), &three(), &featured, &LIMITS)),
            ["item 2 \"Housing\": already featured in 2024-W47, 2024-W45"]
        );
    }

    #[test]
    fn the_same_post_picked_twice_is_flagged() {
        let mut items = three();
        items[2].entry.url = Some("https://lgiu.example/a#x".into());
        assert_eq!(
            texts(lint(&roundup(), &items, &[], &LIMITS)),
            ["item 3 \"Care\": links the same post as item 1 \"Budgets\""]
        );
    }

    #[test]
    fn one_outlet_with_more_than_half_the_picks_is_flagged() {
        let mut items = three();
        items[2].entry.outlet = "LGIU".into();
        assert_eq!(
            texts(lint(&roundup(), &items, &[], &LIMITS)),
            ["item 1 \"Budgets\", item 3 \"Care\": 2 of 3 picks are from LGIU (more than half)"]
        );
        // Two picks from one outlet out of four is not more than half, and two picks are too
        // few to judge.
        items.push(item(4, "MJ", "Four", "https://mj.example/d"));
        assert!(lint(&roundup(), &items, &[], &LIMITS).is_empty());
        assert!(lint(&roundup(), &items[..2], &[], &LIMITS).is_empty());
    }

    #[test]
    fn a_title_cannot_send_control_codes_to_the_terminal() {
        let mut it = item(4, "LGIU", "Red\u{1b}[31m alert\u{7}\nnow", "https://x.example/");
        assert_eq!(label(&it), "item 4 \"Red [31m alert now\"");
        it.entry.title = Some("\u{1b}\u{7}".into());
        assert_eq!(label(&it), "item 4 (entry 104, untitled)");
    }

    #[test]
    fn a_missing_link_is_flagged() {
        let mut items = three();
        items[0].entry.url = None;
        assert_eq!(
            texts(lint(&roundup(), &items, &[], &LIMITS)),
            ["item 1 \"Budgets\": the post has no link"]
        );
    }
}
