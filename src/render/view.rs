//! The only shapes templates see: borrowed `#[derive(Serialize)]` views of a [`Roundup`] and its
//! [`PickedItem`]s, built for one output format. Every string in a view is already safe for that
//! format, so a template cannot forget to escape:
//!
//! - *inline* fields (titles, names, tags) are one line of text: Markdown-escaped in a Markdown
//!   view; raw in an HTML view, where handlebars HTML-escapes `{{field}}`;
//! - *block* fields (`intro`, `outro`, `lead`, `excerpt`, `note`, `summary`) are whole paragraphs:
//!   Markdown paragraphs in a Markdown view; sanitised HTML (`<p>…</p>`) in an HTML view, to be
//!   written with `{{{field}}}`. The editor's own words (`intro`, `outro`, `lead`, `note`) keep
//!   the small Markdown subset of `editor` (links, emphasis, strong, line breaks); text from a
//!   feed (`excerpt`, `summary`) is plain text;
//! - *links* (`url`, `outlet_url`, `excerpt_url`) are absolute http(s) URLs or null: any other
//!   scheme from a feed is dropped here, and the text stays unlinked.
//!
//! Nothing here reads a clock: the same data gives the same view.

use std::borrow::Cow;

use chrono::{Datelike, NaiveDate, Weekday};
use serde::Serialize;

use super::attribution;
use super::editor::{editor_html, editor_markdown};
use super::escape::{html_block, md_block, md_inline, md_url, one_line};
use super::links::{excerpt_url, safe_url};
use super::sanitize::clean_html;
use super::{Format, Warning};
use crate::model::{PickedItem, Roundup};
use crate::timefmt::rfc3339;
use crate::week::IsoWeek;

/// Shown for a post whose feed gives it no title.
const UNTITLED: &str = "Untitled post";

/// The whole post.
#[derive(Debug, Serialize)]
pub(crate) struct RoundupView<'a, 'v> {
    /// The ISO week, e.g. `2024-W48`.
    pub week: Cow<'a, str>,
    /// The week's days, e.g. `25 November – 1 December 2024` (the ISO week string when it does
    /// not parse).
    pub dates: String,
    pub title: Cow<'a, str>,
    /// Block.
    pub intro: Option<String>,
    /// Block.
    pub outro: Option<String>,
    pub tags: Vec<Cow<'a, str>>,
    pub categories: Vec<Cow<'a, str>>,
    /// The items grouped for the post: first those without a section (`name` null), then each
    /// section in the order of its first item.
    pub sections: Vec<SectionView<'a, 'v>>,
    /// Every item in post order, ignoring sections.
    pub items: &'v [ItemView<'a>],
    /// True when the post is rendered as the body of a blog post (`roundup push`): the title,
    /// intro, tags and categories go in the post's own fields, so the template leaves them out.
    pub blog: bool,
}

/// A run of items under one heading.
#[derive(Debug, Serialize)]
pub(crate) struct SectionView<'a, 'v> {
    /// The heading; null for the items that have no section.
    pub name: Option<Cow<'a, str>>,
    pub items: Vec<&'v ItemView<'a>>,
}

/// One picked item.
#[derive(Debug, Serialize)]
pub(crate) struct ItemView<'a> {
    /// 1-based place in the post.
    pub position: u32,
    pub section: Option<Cow<'a, str>>,
    /// The blog or publication.
    pub outlet: Cow<'a, str>,
    /// Link to the outlet's site.
    pub outlet_url: Option<String>,
    /// The author; null when the feed names none, or names the outlet itself (so a template
    /// names each once).
    pub author: Option<Cow<'a, str>>,
    /// The post's title (`Untitled post` when the feed gives none), without the ` | Site` or
    /// ` - Author` suffix a news site adds to it.
    pub title: Cow<'a, str>,
    /// Link to the post.
    pub url: Option<String>,
    /// Date of the post, e.g. `26 November 2024`.
    pub published: String,
    /// The same date as stored (RFC 3339, UTC), for `<time datetime>`.
    pub published_iso: Cow<'a, str>,
    /// Block: the editor's lead-in; null means the template writes one.
    pub lead: Option<String>,
    /// Block: the quoted passage.
    pub excerpt: Option<String>,
    /// Link to the quoted passage itself (the post's URL with a text fragment).
    pub excerpt_url: Option<String>,
    /// Block: the editor's comment.
    pub note: Option<String>,
    /// Block: the feed's own summary of the post (sanitised; not used by the default templates).
    pub summary: Option<String>,
}

fn inline(format: Format, text: &str) -> Cow<'_, str> {
    match format {
        Format::Markdown => md_inline(text),
        Format::Html => one_line(text),
    }
}

/// Plain text as a block field; `None` when it has no words.
fn block(format: Format, text: Option<&str>, base: Option<&str>) -> Option<String> {
    let text = text?;
    let out = match format {
        Format::Markdown => md_block(text),
        Format::Html => clean_html(&html_block(text), base),
    };
    Some(out).filter(|b| !b.trim().is_empty())
}

/// The editor's own words (lead, note, intro, outro) as a block field, in the Markdown subset of
/// [`super::editor`]; `post` is where `[words]()` links. `None` when it has no words.
fn editor_block(format: Format, text: Option<&str>, post: Option<&str>) -> Option<String> {
    let text = text?;
    let out = match format {
        Format::Markdown => editor_markdown(text, post),
        Format::Html => editor_html(text, post),
    };
    Some(out).filter(|b| !b.trim().is_empty())
}

fn link(format: Format, url: &str) -> String {
    match format {
        Format::Markdown => md_url(url),
        Format::Html => url.to_string(),
    }
}

fn non_blank(s: Option<&str>) -> Option<&str> {
    s.filter(|s| !s.trim().is_empty())
}

/// `26 November 2024`.
fn long_date(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

/// `25 November – 1 December 2024`, `2 – 8 December 2024`, `30 December 2024 – 5 January 2025`.
pub(crate) fn week_dates(week: &str) -> String {
    let Ok(w) = IsoWeek::parse(week) else { return week.to_string() };
    let (Some(mon), Some(sun)) = (
        NaiveDate::from_isoywd_opt(w.year, w.week, Weekday::Mon),
        NaiveDate::from_isoywd_opt(w.year, w.week, Weekday::Sun),
    ) else {
        return week.to_string();
    };
    let start = if mon.year() != sun.year() {
        long_date(mon)
    } else if mon.month() != sun.month() {
        mon.format("%-d %B").to_string()
    } else {
        mon.format("%-d").to_string()
    };
    format!("{start} – {}", long_date(sun))
}

/// The view of one item, and a warning when its link had to be dropped.
pub(crate) fn item_view(item: &PickedItem, format: Format) -> (ItemView<'_>, Option<Warning>) {
    let e = &item.entry;
    let raw_url = non_blank(e.url.as_deref());
    let url = raw_url.and_then(safe_url);
    let outlet = non_blank(Some(&e.outlet)).unwrap_or(&e.feed);
    let author = non_blank(e.author.as_deref());
    let title = match non_blank(e.title.as_deref()) {
        Some(t) => attribution::shown_title(t, &[outlet, author.unwrap_or_default()]),
        None => UNTITLED,
    };
    let dropped = match (raw_url, &url) {
        (Some(raw), None) => Some(Warning(format!(
            "{}: its link {:?} is not an http(s) URL, so the draft does not link it",
            super::lint::label(item),
            raw.chars().take(60).collect::<String>()
        ))),
        _ => None,
    };
    let excerpt_text = non_blank(item.excerpt.as_deref());
    let base = url.as_deref();
    let summary = non_blank(e.summary_html.as_deref()).and_then(|html| match format {
        Format::Html => Some(clean_html(html, base)).filter(|s| !s.trim().is_empty()),
        Format::Markdown => block(format, Some(&crate::html_text::html_to_text(html)), None),
    });
    let view = ItemView {
        position: item.position,
        section: non_blank(item.section.as_deref()).map(|s| inline(format, s.trim())),
        outlet: inline(format, outlet),
        outlet_url: non_blank(e.outlet_url.as_deref()).and_then(safe_url).map(|u| link(format, &u)),
        author: attribution::distinct_author(author, outlet).map(|a| inline(format, a)),
        title: inline(format, title),
        url: url.as_deref().map(|u| link(format, u)),
        published: long_date(e.published.date_naive()),
        published_iso: Cow::Owned(inline(format, &rfc3339(e.published)).into_owned()),
        lead: editor_block(format, item.lead.as_deref(), base),
        excerpt: block(format, excerpt_text, base),
        excerpt_url: match (&url, excerpt_text) {
            (Some(u), Some(x)) => Some(link(format, &excerpt_url(u, x))),
            _ => None,
        },
        note: editor_block(format, item.note.as_deref(), base),
        summary,
    };
    (view, dropped)
}

/// Items in post order: by position, then entry id (positions are unique in the store; the
/// tie-break keeps hand-made data deterministic too).
pub(crate) fn in_post_order(items: &[PickedItem]) -> Vec<&PickedItem> {
    let mut sorted: Vec<&PickedItem> = items.iter().collect();
    sorted.sort_by_key(|i| (i.position, i.entry.id));
    sorted
}

/// Groups items by section: those without one first, then each section in order of its first
/// item.
pub(crate) fn sections<'a, 'v>(items: &'v [ItemView<'a>]) -> Vec<SectionView<'a, 'v>> {
    let mut out: Vec<SectionView<'a, 'v>> = Vec::new();
    if items.iter().any(|i| i.section.is_none()) {
        out.push(SectionView { name: None, items: Vec::new() });
    }
    for item in items {
        let at = match out.iter().position(|s| s.name == item.section) {
            Some(at) => at,
            None => {
                out.push(SectionView { name: item.section.clone(), items: Vec::new() });
                out.len() - 1
            }
        };
        out[at].items.push(item);
    }
    out
}

/// The roundup's own fields, for a view whose items are already built.
pub(crate) fn roundup_view<'a, 'v>(
    roundup: &'a Roundup,
    items: &'v [ItemView<'a>],
    format: Format,
) -> RoundupView<'a, 'v> {
    let list = |l: &'a [String]| -> Vec<Cow<'a, str>> {
        l.iter().filter(|t| !t.trim().is_empty()).map(|t| inline(format, t.trim())).collect()
    };
    RoundupView {
        week: Cow::Owned(inline(format, &roundup.week.to_string()).into_owned()),
        dates: inline(format, &week_dates(&roundup.week.to_string())).into_owned(),
        title: inline(format, &roundup.title),
        intro: editor_block(format, roundup.intro.as_deref(), None),
        outro: editor_block(format, roundup.outro.as_deref(), None),
        tags: list(&roundup.tags),
        categories: list(&roundup.categories),
        sections: sections(items),
        items,
        blog: false,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::EntryDetail;

    /// A picked item with everything filled in.
    pub(crate) fn item(position: u32, outlet: &str, title: &str, url: &str) -> PickedItem {
        PickedItem {
            position,
            section: None,
            lead: None,
            excerpt: Some("Councils are under pressure.".into()),
            note: Some("Worth a read.".into()),
            entry: EntryDetail {
                id: crate::model::EntryId(i64::from(position) + 100),
                feed: outlet.to_lowercase().into(),
                outlet: outlet.into(),
                outlet_url: Some(format!("https://{}.example/", outlet.to_lowercase())),
                title: Some(title.into()),
                url: Some(url.into()),
                author: Some("Jane Smith".into()),
                published: "2024-11-26T09:30:00Z".parse().unwrap(),
                dated_by: crate::model::DatedBy::Published,
                first_seen: "2024-11-26T10:00:00Z".parse().unwrap(),
                summary_html: None,
                content_html: None,
                text: "word ".repeat(200),
            },
        }
    }

    pub(crate) fn roundup() -> Roundup {
        Roundup {
            id: 1,
            week: "2024-W48".parse().unwrap(),
            title: "That was the local government week that was".into(),
            intro: Some("A busy week.".into()),
            outro: Some("See you next week.".into()),
            tags: vec!["local government".into()],
            categories: vec!["Roundups".into()],
            status: crate::model::RoundupStatus::Draft,
            published_at: None,
        }
    }

    #[test]
    fn week_dates_span_monday_to_sunday() {
        assert_eq!(week_dates("2024-W48"), "25 November – 1 December 2024");
        assert_eq!(week_dates("2024-W49"), "2 – 8 December 2024");
        assert_eq!(week_dates("2025-W01"), "30 December 2024 – 5 January 2025");
        assert_eq!(week_dates("nonsense"), "nonsense");
    }

    #[test]
    fn a_markdown_view_escapes_feed_text_and_an_html_view_leaves_it_to_handlebars() {
        let it = item(1, "LGIU", "Budgets *under* <pressure>", "https://lgiu.example/a");
        let (md, _) = item_view(&it, Format::Markdown);
        assert_eq!(md.title, "Budgets \\*under\\* &lt;pressure&gt;");
        let (html, _) = item_view(&it, Format::Html);
        assert_eq!(html.title, "Budgets *under* <pressure>");
        assert_eq!(html.excerpt.as_deref(), Some("<p>Councils are under pressure.</p>"));
        assert_eq!(md.published, "26 November 2024");
    }

    #[test]
    fn a_javascript_link_is_dropped_with_a_warning_and_the_text_kept() {
        let it = item(2, "LGIU", "Click me", "javascript:alert(1)");
        let (v, warning) = item_view(&it, Format::Html);
        assert_eq!(v.url, None);
        assert_eq!(v.excerpt_url, None);
        assert_eq!(v.title, "Click me");
        let warning = warning.expect("a warning").0;
        assert!(warning.starts_with("item 2 \"Click me\": its link"), "{warning}");
    }

    #[test]
    fn the_excerpt_links_to_the_passage_with_a_text_fragment() {
        let it = item(1, "LGIU", "T", "https://lgiu.example/a(1)#top");
        let (md, _) = item_view(&it, Format::Markdown);
        assert_eq!(
            md.excerpt_url.as_deref(),
            Some("https://lgiu.example/a%281%29#:~:text=Councils%20are%20under%20pressure")
        );
    }

    #[test]
    fn feed_summaries_are_sanitised_with_links_made_absolute() {
        let mut it = item(1, "LGIU", "T", "https://lgiu.example/blog/a");
        it.entry.summary_html =
            Some(r#"<p>See <a href="/b">this</a><script>x()</script></p>"#.into());
        let (v, _) = item_view(&it, Format::Html);
        assert_eq!(
            v.summary.as_deref(),
            Some(
                r#"<p>See <a href="https://lgiu.example/b" rel="noopener noreferrer">this</a></p>"#
            )
        );
        let (v, _) = item_view(&it, Format::Markdown);
        assert_eq!(v.summary.as_deref(), Some("See this"));
    }

    #[test]
    fn items_without_a_section_come_first_then_sections_in_order_of_first_item() {
        let mut items: Vec<PickedItem> =
            (1..=5).map(|p| item(p, "LGIU", &format!("T{p}"), "https://x.example/")).collect();
        items[0].section = Some("Housing".into());
        items[1].section = Some("Finance".into());
        items[3].section = Some("Housing".into());
        let views: Vec<ItemView<'_>> =
            items.iter().map(|i| item_view(i, Format::Markdown).0).collect();
        let groups = sections(&views);
        let shape: Vec<(Option<&str>, Vec<u32>)> = groups
            .iter()
            .map(|s| (s.name.as_deref(), s.items.iter().map(|i| i.position).collect()))
            .collect();
        assert_eq!(
            shape,
            [(None, vec![3, 5]), (Some("Housing"), vec![1, 4]), (Some("Finance"), vec![2])]
        );
    }
}
