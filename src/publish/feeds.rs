//! The four feeds, written with [`Xml`] (Atom, RSS) and serde (JSON Feed). Every text is already
//! cleaned of what XML forbids (the snapshots are, and the writer cleans again); every date comes
//! from the data: RFC 3339 in Atom and JSON Feed, RFC 822 in RSS.

use chrono::{DateTime, Utc};
use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
use serde::Serialize;

use super::xml::Xml;
use super::{Prepared, Site};
use crate::render::Format;
use crate::render::pages::feed_html;
use crate::render::view::item_view;
use crate::timefmt::rfc3339;

const ATOM_NS: &str = "http://www.w3.org/2005/Atom";
const GENERATOR: &str = "roundup";
const GENERATOR_URI: &str = "https://github.com/roundup-rs/roundup";

/// `Sun, 01 Dec 2024 10:00:00 +0000`.
fn rfc822(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S +0000").to_string()
}

/// The feed's `updated`: its newest entry's, from the data (the epoch for an empty feed).
fn updated(entries: &[Prepared]) -> DateTime<Utc> {
    entries.iter().map(|p| p.updated_at).max().unwrap_or(DateTime::UNIX_EPOCH)
}

/// A roundup's categories then tags, once each.
fn terms(p: &Prepared) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for t in p.roundup.categories.iter().chain(&p.roundup.tags) {
        let t = t.trim();
        if !t.is_empty() && !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// A roundup's entry content: the rendered post, sanitised, links absolute.
fn content(p: &Prepared) -> String {
    feed_html(&p.body, &p.url)
}

/// One line saying what a roundup covers, e.g. `25 November – 1 December 2024 · 5 links`.
fn summary(p: &Prepared) -> String {
    format!("{} · {}", crate::render::view::week_dates(&p.week), super::links_label(p.items.len()))
}

fn atom_head(x: &mut Xml, site: &Site, id: &str, title: &str, self_url: &str, when: DateTime<Utc>) {
    x.open("feed", &[("xmlns", ATOM_NS), ("xml:lang", &site.language)]);
    x.text("id", &[], id);
    x.text("title", &[("type", "text")], title);
    x.text("subtitle", &[("type", "text")], &site.description);
    x.text("updated", &[], &rfc3339(when));
    x.empty("link", &[("rel", "self"), ("type", "application/atom+xml"), ("href", self_url)]);
    x.empty(
        "link",
        &[("rel", "alternate"), ("type", "text/html"), ("href", site.base_url.as_str())],
    );
    x.open("author", &[]);
    x.text("name", &[], &site.author());
    x.close("author");
    x.text(
        "generator",
        &[("uri", GENERATOR_URI), ("version", env!("CARGO_PKG_VERSION"))],
        GENERATOR,
    );
}

/// `feed.atom`: one entry per roundup.
pub(crate) fn atom(site: &Site, entries: &[Prepared]) -> Vec<u8> {
    let mut x = Xml::new();
    let self_url = site.url("feed.atom");
    atom_head(&mut x, site, &self_url, &site.title, &self_url, updated(entries));
    let offsets = distinct_updated(entries.iter().map(|p| p.updated_at));
    for (p, offset) in entries.iter().zip(offsets) {
        x.open("entry", &[]);
        x.text("id", &[], &p.url);
        x.text("title", &[("type", "text")], &p.heading);
        x.empty("link", &[("rel", "alternate"), ("type", "text/html"), ("href", &p.url)]);
        x.text("published", &[], &rfc3339(p.published_at - offset));
        x.text("updated", &[], &rfc3339(p.updated_at - offset));
        x.open("author", &[]);
        x.text("name", &[], &site.author());
        x.close("author");
        for term in terms(p) {
            x.empty("category", &[("term", term)]);
        }
        x.text("summary", &[("type", "text")], &summary(p));
        x.text("content", &[("type", "html")], &content(p));
        x.close("entry");
    }
    x.close("feed");
    x.finish()
}

/// `feed.rss`: one item per roundup.
pub(crate) fn rss(site: &Site, entries: &[Prepared]) -> Vec<u8> {
    let mut x = Xml::new();
    x.open(
        "rss",
        &[
            ("version", "2.0"),
            ("xmlns:atom", ATOM_NS),
            ("xmlns:dc", "http://purl.org/dc/elements/1.1/"),
        ],
    );
    x.open("channel", &[]);
    x.plain_text("title", &[], &site.title);
    x.text("link", &[], site.base_url.as_str());
    x.text("description", &[], &site.description);
    x.text("language", &[], &site.language);
    x.empty(
        "atom:link",
        &[("href", &site.url("feed.rss")), ("rel", "self"), ("type", "application/rss+xml")],
    );
    x.text("lastBuildDate", &[], &rfc822(updated(entries)));
    x.text("generator", &[], &format!("{GENERATOR} {}", env!("CARGO_PKG_VERSION")));
    for p in entries {
        x.open("item", &[]);
        x.plain_text("title", &[], &p.heading);
        x.text("link", &[], &p.url);
        x.text("guid", &[("isPermaLink", "true")], &p.url);
        x.text("pubDate", &[], &rfc822(p.published_at));
        x.plain_text("dc:creator", &[], &site.author());
        for term in terms(p) {
            x.plain_text("category", &[], term);
        }
        x.text("description", &[], &content(p));
        x.close("item");
    }
    x.close("channel");
    x.close("rss");
    x.finish()
}

#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    title: &'a str,
    home_page_url: &'a str,
    feed_url: String,
    description: String,
    language: String,
    authors: Vec<JsonAuthor>,
    items: Vec<JsonItem>,
}

#[derive(Serialize)]
struct JsonAuthor {
    name: String,
}

#[derive(Serialize)]
struct JsonItem {
    id: String,
    url: String,
    title: String,
    content_html: String,
    summary: String,
    date_published: String,
    date_modified: String,
    authors: Vec<JsonAuthor>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<String>,
}

/// `feed.json`: JSON Feed 1.1, one item per roundup.
pub(crate) fn json(site: &Site, entries: &[Prepared]) -> Vec<u8> {
    let title = super::xml::clean(&site.title);
    let feed = JsonFeed {
        version: "https://jsonfeed.org/version/1.1",
        title: &title,
        home_page_url: site.base_url.as_str(),
        feed_url: site.url("feed.json"),
        description: super::xml::clean(&site.description).into_owned(),
        language: super::xml::clean(&site.language).into_owned(),
        authors: vec![JsonAuthor { name: site.author() }],
        items: entries
            .iter()
            .map(|p| JsonItem {
                id: p.url.clone(),
                url: p.url.clone(),
                title: p.heading.clone(),
                content_html: content(p),
                summary: summary(p),
                date_published: rfc3339(p.published_at),
                date_modified: rfc3339(p.updated_at),
                authors: vec![JsonAuthor { name: site.author() }],
                tags: terms(p).into_iter().map(str::to_string).collect(),
            })
            .collect(),
    };
    let mut bytes = serde_json::to_vec_pretty(&feed).expect("a feed serialises");
    bytes.push(b'\n');
    bytes
}

/// How far to move each Atom entry's dates back so that no two entries of a feed share an
/// `updated` (the W3C validator warns when they do, issue 9 item 11): `wanted` gives each
/// entry's own instant in feed order; one already taken moves a second earlier until it is
/// free. Both of an entry's dates move by its offset, so a correction still shows as
/// `updated` after `published`.
fn distinct_updated(wanted: impl IntoIterator<Item = DateTime<Utc>>) -> Vec<chrono::TimeDelta> {
    let second = chrono::TimeDelta::seconds(1);
    let mut taken = std::collections::BTreeSet::new();
    wanted
        .into_iter()
        .map(|want| {
            let mut at = want;
            while !taken.insert(at) {
                at -= second;
            }
            want - at
        })
        .collect()
}

/// The offsets of `links.atom`'s entries, per roundup and in post order: a roundup's k-th link
/// is wanted k seconds before the roundup's own instant, so that a reader sorting by date
/// shows the post's order (every link of a roundup had the same `updated`).
fn link_offsets(entries: &[Prepared]) -> Vec<Vec<chrono::TimeDelta>> {
    let in_order = |p: &Prepared| (0..p.items.len()).map(|k| chrono::TimeDelta::seconds(k as i64));
    let wanted = entries.iter().flat_map(|p| in_order(p).map(|k| p.updated_at - k));
    let mut offsets = distinct_updated(wanted).into_iter();
    entries
        .iter()
        .map(|p| in_order(p).map(|k| k + offsets.next().unwrap_or_default()).collect())
        .collect()
}

/// An `atom:source`'s `updated`: when the outlet's feed last changed, as far as our data says,
/// which is no earlier than the picked entry's own date (else when we first saw it).
fn source_updated(entry: &crate::model::EntryDetail) -> Option<String> {
    Some(rfc3339(entry.published))
}

/// `links.atom`: the linkblog, one entry per picked link, newest roundup first, then in post
/// order.
pub(crate) fn links(site: &Site, entries: &[Prepared]) -> Vec<u8> {
    let mut x = Xml::new();
    let self_url = site.url("links.atom");
    let title = format!("{}: every link", site.title);
    atom_head(&mut x, site, &self_url, &title, &self_url, updated(entries));
    for (p, offsets) in entries.iter().zip(link_offsets(entries)) {
        for (item, offset) in crate::render::view::in_post_order(&p.items).into_iter().zip(offsets)
        {
            let (v, _) = item_view(item, Format::Html);
            let id = format!("{}#entry-{}", p.url, item.entry.id);
            x.open("entry", &[]);
            x.text("id", &[], &id);
            x.text("title", &[("type", "text")], &v.title);
            x.empty(
                "link",
                &[
                    ("rel", "alternate"),
                    ("type", "text/html"),
                    ("href", v.url.as_deref().unwrap_or(&p.url)),
                ],
            );
            x.empty("link", &[("rel", "via"), ("type", "text/html"), ("href", &p.url)]);
            x.text("published", &[], &rfc3339(p.published_at - offset));
            x.text("updated", &[], &rfc3339(p.updated_at - offset));
            x.open("author", &[]);
            x.text("name", &[], v.author.as_deref().unwrap_or(&v.outlet));
            x.close("author");
            if let Some(section) = &v.section {
                x.empty("category", &[("term", section)]);
            }
            let mut html = String::new();
            match &v.lead {
                Some(lead) => html.push_str(lead),
                None => {
                    html.push_str("<p>");
                    match &v.outlet_url {
                        Some(u) => html.push_str(&format!(
                            "<a href=\"{}\">{}</a>",
                            attr(u),
                            text(&v.outlet)
                        )),
                        None => html.push_str(&text(&v.outlet)),
                    }
                    if let Some(a) = &v.author {
                        html.push_str(&format!(", {}", text(a)));
                    }
                    html.push_str(": ");
                    match &v.url {
                        Some(u) => html.push_str(&format!(
                            "<a href=\"{}\">{}</a>",
                            attr(u),
                            text(&v.title)
                        )),
                        None => html.push_str(&text(&v.title)),
                    }
                    html.push_str("</p>");
                }
            }
            if let Some(excerpt) = &v.excerpt {
                match &v.excerpt_url {
                    Some(u) => html.push_str(&format!("\n<blockquote cite=\"{}\">", attr(u))),
                    None => html.push_str("\n<blockquote>"),
                }
                html.push_str(excerpt);
                html.push_str("</blockquote>");
            }
            if let Some(note) = &v.note {
                html.push('\n');
                html.push_str(note);
            }
            html.push_str(&format!(
                "\n<p>From <a href=\"{}\">{}</a>.</p>",
                attr(&format!("{}#item-{}", p.url, item.position)),
                text(&p.title)
            ));
            x.text("content", &[("type", "html")], &feed_html(&html, &p.url));
            // RFC 4287 asks a source for the outlet feed's id, title and updated: without an
            // outlet URL for the id there is no source (the outlet is named in the content).
            if let Some(u) = &v.outlet_url {
                x.open("source", &[]);
                x.text("id", &[], u);
                x.text("title", &[("type", "text")], &v.outlet);
                if let Some(at) = source_updated(&item.entry) {
                    x.text("updated", &[], &at);
                }
                x.empty("link", &[("rel", "alternate"), ("type", "text/html"), ("href", u)]);
                x.close("source");
            }
            x.close("entry");
        }
    }
    x.close("feed");
    x.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_that_would_share_an_updated_move_back_a_second_at_a_time() {
        let at = |s: &str| crate::timefmt::parse_rfc3339(s).unwrap();
        let wanted = [
            at("2024-12-01T10:00:00Z"),
            at("2024-12-01T10:00:00Z"),
            at("2024-12-01T09:59:59Z"),
            at("2024-11-24T10:00:00Z"),
        ];
        let offsets: Vec<i64> =
            distinct_updated(wanted).iter().map(chrono::TimeDelta::num_seconds).collect();
        assert_eq!(offsets, [0, 1, 1, 0]);
    }
}
