//! The public folder (`roundup publish`): built from the published snapshots alone, never from
//! drafts, and the same snapshots always give the same bytes (no clock: every date comes from
//! the data).
//!
//! ```text
//! PUBLIC/
//!   index.html            every published roundup, newest first
//!   WEEK/index.html       one archive page per roundup, e.g. 2026-W48/index.html
//!   feed.atom             Atom 1.0: one entry per roundup, the last N (`feed_entries`)
//!   feed.rss              RSS 2.0: the same
//!   feed.json             JSON Feed 1.1: the same
//!   links.atom            Atom 1.0 linkblog: one entry per picked link of those roundups
//!   404.html              what `roundup serve` answers for a path it does not have
//! ```
//!
//! Ids (never change on re-render or correction; they depend only on `base_url` and the week):
//! - a roundup's id is its archive page's absolute URL, `BASE/2026-W48/` (Atom `id`, RSS `guid`
//!   with `isPermaLink="true"`, JSON Feed `id`);
//! - a picked link's id is `BASE/2026-W48/#entry-ID`, ID being the picked entry's id in the
//!   database (stable: picked entries are never deleted), so reordering picks keeps ids;
//! - a feed's own id is its own URL, e.g. `BASE/feed.atom`.
//!
//! Order: newest first by first publication time, ties broken by week (later week first).
//! `updated` is a roundup's last publication time; a feed's is the latest of its entries'.

mod feeds;
pub(crate) mod xml;

use chrono::{DateTime, Utc};
use url::Url;

use crate::render::pages::{
    FeedLinkView, IndexItemView, IndexView, NavView, NotFoundView, PageView, SiteView,
};
use crate::render::view::week_dates;
use crate::render::{Format, RenderError, Renderer};
use crate::store::published::Published;
use crate::timefmt::rfc3339;

/// What the public folder needs of the configuration.
#[derive(Debug, Clone)]
pub(crate) struct Site {
    /// The site's name (`[roundup] site_name`): the feeds' and index's title, and the last part
    /// of every page's title.
    pub title: String,
    /// One sentence saying what the site is: the feeds' description, the index's description.
    pub description: String,
    /// The roundup's language, a BCP 47 tag (`lang`, `xml:lang`, RSS `<language>`).
    pub language: String,
    /// The feeds' author; `None`: the title.
    pub author: Option<String>,
    /// Where readers find the public folder; ends with `/`.
    pub base_url: Url,
    /// How many roundups the feeds carry.
    pub feed_entries: usize,
}

impl Site {
    fn author(&self) -> String {
        xml::clean(self.author.as_deref().unwrap_or(&self.title)).into_owned()
    }

    fn url(&self, rel: &str) -> String {
        self.base_url.join(rel).map(String::from).unwrap_or_else(|_| self.base_url.to_string())
    }

    fn feed_links(&self) -> Vec<FeedLinkView> {
        let title = xml::clean(&self.title).into_owned();
        FEEDS
            .iter()
            .map(|(file, media_type, what)| FeedLinkView {
                title: format!("{title} ({what})"),
                media_type: media_type.to_string(),
                href: self.url(file),
            })
            .collect()
    }

    fn view(&self) -> SiteView {
        SiteView {
            title: xml::clean(&self.title).into_owned(),
            description: xml::clean(&self.description).into_owned(),
            language: xml::clean(&self.language).into_owned(),
            author: self.author(),
            home_url: self.base_url.to_string(),
            feeds: self.feed_links(),
        }
    }
}

/// The feeds: file, media type, and what the link calls it.
pub(crate) const FEEDS: &[(&str, &str, &str)] = &[
    ("feed.atom", "application/atom+xml", "Atom"),
    ("feed.rss", "application/rss+xml", "RSS"),
    ("feed.json", "application/feed+json", "JSON Feed"),
    ("links.atom", "application/atom+xml", "every link, Atom"),
];

/// One file of the public folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PublicFile {
    /// Relative to the public folder, `/`-separated, e.g. `2026-W48/index.html`.
    pub path: String,
    pub bytes: Vec<u8>,
}

/// A published roundup ready for output: text cleaned of what XML forbids, post rendered.
pub(crate) struct Prepared {
    pub week: String,
    pub title: String,
    /// The title with the week's dates, `Title · 25 November – 1 December 2024`: what a page's
    /// and a feed entry's title say, so that weeks with the same title tell apart.
    pub heading: String,
    /// One line saying what this roundup holds: its intro as plain text, or the site's
    /// description when it has none.
    pub description: String,
    pub published_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub roundup: crate::model::Roundup,
    pub items: Vec<crate::model::PickedItem>,
    /// The post as `roundup.html.hbs` renders it.
    pub body: String,
    /// The archive page's absolute URL: also the roundup's id.
    pub url: String,
}

fn human_date(t: DateTime<Utc>) -> String {
    t.format("%-d %B %Y").to_string()
}

fn links_label(n: usize) -> String {
    if n == 1 { "1 link".into() } else { format!("{n} links") }
}

/// Every file of the public folder, built from `published` (in any order).
pub(crate) fn build(
    site: &Site,
    published: &[Published],
    renderer: &Renderer,
) -> Result<Vec<PublicFile>, RenderError> {
    let mut sorted: Vec<&Published> = published.iter().collect();
    sorted.sort_by(|a, b| b.published_at.cmp(&a.published_at).then_with(|| b.week.cmp(&a.week)));
    let mut prepared = Vec::new();
    for p in sorted {
        let snapshot = p.snapshot.map_text(&|s| xml::clean(s).into_owned());
        let roundup = snapshot.roundup(p.published_at);
        let items = snapshot.items();
        let body = renderer.render(&roundup, &items, Format::Html)?.text;
        let description = roundup
            .intro
            .as_deref()
            .map(crate::render::editors_plain)
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| site.description.clone());
        prepared.push(Prepared {
            week: snapshot.week.to_string(),
            title: snapshot.title.clone(),
            heading: format!("{} · {}", snapshot.title, week_dates(&snapshot.week.to_string())),
            description: xml::clean(&description).into_owned(),
            published_at: p.published_at,
            updated_at: p.updated_at,
            url: site.url(&format!("{}/", snapshot.week)),
            roundup,
            items,
            body,
        });
    }
    let site_view = site.view();
    let mut files = Vec::new();
    files.push(PublicFile {
        path: "index.html".into(),
        bytes: renderer
            .render_index(&IndexView {
                site: site_view.clone(),
                roundups: prepared
                    .iter()
                    .map(|p| IndexItemView {
                        week: p.week.clone(),
                        dates: week_dates(&p.week),
                        title: p.title.clone(),
                        intro: p
                            .roundup
                            .intro
                            .as_deref()
                            .map(crate::render::editors_html)
                            .filter(|h| !h.trim().is_empty()),
                        href: format!("{}/", p.week),
                        url: p.url.clone(),
                        published: human_date(p.published_at),
                        published_iso: rfc3339(p.published_at),
                        links: links_label(p.items.len()),
                    })
                    .collect(),
            })?
            .into_bytes(),
    });
    for (i, p) in prepared.iter().enumerate() {
        let nav = |other: Option<&Prepared>| {
            other.map(|o| NavView { title: o.title.clone(), href: format!("../{}/", o.week) })
        };
        let view = PageView {
            site: site_view.clone(),
            week: p.week.clone(),
            dates: week_dates(&p.week),
            title: p.title.clone(),
            heading: p.heading.clone(),
            description: p.description.clone(),
            url: p.url.clone(),
            home: "../".into(),
            published: human_date(p.published_at),
            published_iso: rfc3339(p.published_at),
            updated: human_date(p.updated_at),
            updated_iso: rfc3339(p.updated_at),
            corrected: p.updated_at > p.published_at,
            tags: p.roundup.tags.clone(),
            categories: p.roundup.categories.clone(),
            body: p.body.clone(),
            newer: nav(i.checked_sub(1).and_then(|j| prepared.get(j))),
            older: nav(prepared.get(i + 1)),
        };
        files.push(PublicFile {
            path: format!("{}/index.html", p.week),
            bytes: renderer.render_page(&view)?.into_bytes(),
        });
    }
    files.push(PublicFile {
        path: "404.html".into(),
        bytes: renderer.render_not_found(&NotFoundView { site: site_view.clone() })?.into_bytes(),
    });
    let recent = &prepared[..prepared.len().min(site.feed_entries)];
    files.push(PublicFile { path: "feed.atom".into(), bytes: feeds::atom(site, recent) });
    files.push(PublicFile { path: "feed.rss".into(), bytes: feeds::rss(site, recent) });
    files.push(PublicFile { path: "feed.json".into(), bytes: feeds::json(site, recent) });
    files.push(PublicFile { path: "links.atom".into(), bytes: feeds::links(site, recent) });
    Ok(files)
}

/// Writes `files` into `dir`, each atomically; gives what happened to each.
pub(crate) fn write_all(
    dir: &std::path::Path,
    files: &[PublicFile],
) -> std::io::Result<Vec<(String, crate::atomic_write::Wrote)>> {
    files
        .iter()
        .map(|f| {
            let path = f.path.split('/').fold(dir.to_path_buf(), |p, part| p.join(part));
            crate::atomic_write::write_atomic(&path, &f.bytes)
                .map(|w| (f.path.clone(), w))
                .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::published::{Snapshot, SnapshotEntry, SnapshotItem};
    use crate::timefmt::parse_rfc3339;

    fn site(feed_entries: usize) -> Site {
        Site {
            title: "Week \u{1}notes".into(),
            description: "Notes, weekly".into(),
            language: "en-GB".into(),
            author: None,
            base_url: Url::parse("https://news.example/r/").unwrap(),
            feed_entries,
        }
    }

    fn published(week: &str, at: &str) -> Published {
        Published {
            week: week.parse().unwrap(),
            published_at: parse_rfc3339(at).unwrap(),
            updated_at: parse_rfc3339(at).unwrap(),
            snapshot: Snapshot {
                week: week.parse().unwrap(),
                title: format!("Roundup {week}"),
                intro: None,
                outro: None,
                tags: vec![],
                categories: vec![],
                items: vec![SnapshotItem {
                    position: 1,
                    section: None,
                    lead: None,
                    excerpt: None,
                    note: Some("A note.".into()),
                    entry: SnapshotEntry {
                        id: 7,
                        feed: "lgiu".into(),
                        outlet: "LGIU".into(),
                        outlet_url: Some("https://lgiu.example/".into()),
                        title: Some("Budgets".into()),
                        url: Some("https://lgiu.example/a".into()),
                        author: None,
                        published: "2024-11-26T09:00:00Z".parse().unwrap(),
                        summary_html: None,
                    },
                }],
            },
        }
    }

    fn renderer() -> Renderer {
        Renderer::new(std::path::Path::new("/nonexistent/roundup/templates")).unwrap()
    }

    fn file<'a>(files: &'a [PublicFile], path: &str) -> &'a str {
        let f = files.iter().find(|f| f.path == path).expect(path);
        std::str::from_utf8(&f.bytes).unwrap()
    }

    #[test]
    fn the_same_snapshots_give_the_same_bytes_whatever_their_order() {
        let a = vec![
            published("2024-W48", "2024-12-01T10:00:00Z"),
            published("2024-W49", "2024-12-08T10:00:00Z"),
        ];
        let b: Vec<Published> = a.iter().rev().cloned().collect();
        assert_eq!(
            build(&site(20), &a, &renderer()).unwrap(),
            build(&site(20), &b, &renderer()).unwrap()
        );
    }

    #[test]
    fn feeds_carry_the_newest_n_with_the_week_breaking_ties_and_pages_all() {
        let all = vec![
            published("2024-W47", "2024-12-01T10:00:00Z"),
            published("2024-W48", "2024-12-01T10:00:00Z"),
            published("2024-W46", "2024-11-20T10:00:00Z"),
        ];
        let files = build(&site(2), &all, &renderer()).unwrap();
        let atom = file(&files, "feed.atom");
        let w48 = atom.find("<id>https://news.example/r/2024-W48/</id>").expect("W48");
        let w47 = atom.find("<id>https://news.example/r/2024-W47/</id>").expect("W47");
        assert!(w48 < w47, "{atom}");
        assert!(!atom.contains("2024-W46/"), "only the newest two: {atom}");
        assert!(atom.contains("<updated>2024-12-01T10:00:00Z</updated>"), "{atom}");
        assert!(atom.contains("<title type=\"text\">Week notes</title>"), "{atom}");
        assert!(file(&files, "index.html").contains("2024-W46/"));
        assert!(files.iter().any(|f| f.path == "2024-W46/index.html"));
        let links = file(&files, "links.atom");
        assert!(links.contains("<id>https://news.example/r/2024-W48/#entry-7</id>"), "{links}");
    }
}
