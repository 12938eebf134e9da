//! Who wrote what, said once: the rules that keep a draft's attribution from repeating itself
//! (issue 9, item 7). Pure functions on plain text, no I/O.
//!
//! Owns: whether an author is worth naming beside the outlet, and the title as a draft shows it
//! (a news site's ` | Site` or ` - Author` suffix dropped). Does not own: escaping (the view does
//! that after these rules), the stored title (it stays as the feed gave it).

/// The separators news sites put between a title and the site's (or the author's) name, spaces
/// included: `Title | Site`, `Title - Site`, `Title – Site`, `Title — Site`, `Title · Site`.
const SEPARATORS: &[&str] = &[" | ", " - ", " – ", " — ", " · "];

/// A name folded for comparison: case, runs of whitespace and surrounding punctuation ignored.
fn folded(name: &str) -> String {
    name.trim_matches(|c: char| c.is_whitespace() || c.is_ascii_punctuation())
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Whether two names are the same name (`BBC News` and `bbc  news`).
pub(crate) fn same_name(a: &str, b: &str) -> bool {
    let a = folded(a);
    !a.is_empty() && a == folded(b)
}

/// The author worth naming beside `outlet`: none when the feed names none, or names the outlet
/// itself (`BBC News` by `BBC News`, a personal blog by its owner).
pub(crate) fn distinct_author<'a>(author: Option<&'a str>, outlet: &str) -> Option<&'a str> {
    author.filter(|a| !a.trim().is_empty() && !same_name(a, outlet))
}

/// The names a title's suffix may repeat: each of `names`, and each part of one that is itself
/// `Part | Part` (a feed titled `Rafael Behr | The Guardian` names both).
fn known_names<'n>(names: &[&'n str]) -> Vec<&'n str> {
    let mut out: Vec<&'n str> = Vec::new();
    for &name in names {
        out.push(name);
        let mut rest = name;
        while let Some((at, sep)) =
            SEPARATORS.iter().filter_map(|s| rest.find(s).map(|at| (at, s.len()))).min()
        {
            out.push(&rest[..at]);
            rest = &rest[at + sep..];
            out.push(rest);
        }
    }
    out.retain(|n| !folded(n).is_empty());
    out
}

/// `title` without the suffixes news sites add to it: a trailing ` | Name`, ` - Name`,
/// ` – Name` (and ` — `, ` · `) whose name is one of `names` (the outlet, the author), repeated
/// while one is left (`Title | Author | Site`). A title that would be left empty stays whole.
pub(crate) fn shown_title<'t>(title: &'t str, names: &[&str]) -> &'t str {
    let names = known_names(names);
    let mut shown = title.trim_end();
    loop {
        let cut = SEPARATORS
            .iter()
            .filter_map(|sep| shown.rfind(sep).map(|at| (at, sep.len())))
            .max_by_key(|&(at, _)| at)
            .filter(|&(at, len)| {
                let suffix = &shown[at + len..];
                !folded(&shown[..at]).is_empty() && names.iter().any(|n| same_name(n, suffix))
            });
        match cut {
            Some((at, _)) => shown = shown[..at].trim_end(),
            None => return shown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_suffix_naming_the_author_or_the_site_is_dropped() {
        let names = ["The Guardian", "Rafael Behr"];
        assert_eq!(
            shown_title("Labour's local test is coming | Rafael Behr", &names),
            "Labour's local test is coming"
        );
        assert_eq!(shown_title("Council tax rises - The Guardian", &names), "Council tax rises");
        assert_eq!(shown_title("Council tax rises – the guardian ", &names), "Council tax rises");
        assert_eq!(shown_title("Council tax rises — THE GUARDIAN", &names), "Council tax rises");
    }

    #[test]
    fn several_suffixes_are_all_dropped() {
        assert_eq!(
            shown_title("Bins | Rafael Behr | The Guardian", &["The Guardian", "Rafael Behr"]),
            "Bins"
        );
    }

    #[test]
    fn a_suffix_may_name_one_part_of_the_outlet() {
        assert_eq!(
            shown_title("Bins are late | Rafael Behr", &["Rafael Behr | The Guardian"]),
            "Bins are late"
        );
        assert_eq!(shown_title("Budget day - BBC News", &["BBC News - Home"]), "Budget day");
    }

    #[test]
    fn other_dashes_and_bars_in_a_title_stay() {
        let names = ["LGIU", "Jane Smith"];
        for title in [
            "Self-service - what works",
            "Devolution deals: who signed what",
            "Housing | the numbers",
            "Bins - a history - LGIU2",
            "A|B testing",
            "LGIU",
            " | LGIU",
        ] {
            assert_eq!(shown_title(title, &names), title.trim_end(), "{title:?}");
        }
        assert_eq!(shown_title("Title | LGIU", &[]), "Title | LGIU");
    }

    #[test]
    fn an_author_who_is_the_outlet_is_not_named_twice() {
        assert_eq!(distinct_author(Some("BBC News"), "BBC News"), None);
        assert_eq!(distinct_author(Some(" rowan  manning "), "Rowan Manning"), None);
        assert_eq!(distinct_author(Some("  "), "LGIU"), None);
        assert_eq!(distinct_author(None, "LGIU"), None);
        assert_eq!(distinct_author(Some("Jane Smith"), "LGIU"), Some("Jane Smith"));
    }
}
