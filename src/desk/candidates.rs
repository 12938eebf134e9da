//! The candidates page (`GET /`): the week's entries and late arrivals with what was decided
//! about each, filtered as the editor types (the full-text index, `GET /api/search`), by feed
//! and by tag (offering only the feeds with rows on the page and their tags); and the triage
//! actions `POST /api/pick`, `/api/unpick`, `/api/skip` (the CLI's `pick`, `unpick` and
//! `skip`, through the same store functions).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use axum::Extension;
use axum::extract::{Query, State};
use axum::response::{Html, Response};
use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::assets::push_escaped;
use super::security::Csrf;
use super::{Chrome, DeskError, DeskState, ok_json};
use crate::config::FeedConfig;
use crate::model::{EntryId, PickChange, Triage};
use crate::store::EntryFilter;

/// Characters of an entry's text shown under its title.
const OPENING_CHARS: usize = 110;

/// Openings kept between pages ([`DeskState::openings`]), at most: a few busy weeks' worth.
const OPENINGS_KEPT: usize = 20_000;

#[derive(Deserialize)]
pub(crate) struct PageQuery {
    week: Option<String>,
    /// Show skipped entries too.
    all: Option<String>,
}

#[derive(Serialize)]
struct FeedOption {
    id: String,
    name: String,
}

#[derive(Serialize)]
struct TagOption {
    name: String,
    /// The ids of the feeds with this tag, separated by spaces.
    feeds: String,
}

/// One candidate, as `candidate.html.hbs` sees it: every string plain text (escaped there).
#[derive(Serialize)]
struct Row<'a> {
    id: i64,
    /// The week the page shows.
    week: &'a str,
    feed: &'a str,
    outlet: &'a str,
    title: &'a str,
    author: Option<&'a str>,
    /// `Tue 24 Nov`.
    date: String,
    late: bool,
    /// `new`, `picked` or `skipped`.
    state: &'static str,
    opening: &'a str,
}

/// About how many bytes a row takes (a title, a byline and an opening of [`OPENING_CHARS`]).
const ROW_SIZE: usize = 720;

/// Writes what the built-in `candidate.html.hbs` renders for `r` (the test
/// `the_built_in_row_is_written_as_its_template_renders_it` holds the two together).
fn write_row(out: &mut String, r: &Row<'_>) {
    use std::fmt::Write;
    let id = r.id;
    let _ =
        write!(out, "<li class=\"candidate\" id=\"c-{id}\" data-entry-id=\"{id}\" data-feed=\"");
    push_escaped(out, r.feed);
    out.push_str("\" data-state=\"");
    push_escaped(out, r.state);
    out.push('"');
    if r.late {
        out.push_str(" data-late");
    }
    let _ = write!(
        out,
        " tabindex=\"-1\"><div class=\"c-body\"><a class=\"title\" href=\"/item/{id}?week="
    );
    push_escaped(out, r.week);
    out.push_str("\">");
    push_escaped(out, r.title);
    out.push_str("</a><div class=\"meta\"><b>");
    push_escaped(out, r.outlet);
    out.push_str("</b>");
    if let Some(author) = r.author.filter(|a| !a.is_empty()) {
        out.push_str(" · ");
        push_escaped(out, author);
    }
    out.push_str(" · ");
    push_escaped(out, &r.date);
    if r.late {
        out.push_str(" · <span class=\"late\">arrived late</span>");
    }
    out.push_str("</div><p class=\"opening\">");
    push_escaped(out, r.opening);
    let _ = writeln!(
        out,
        "</p></div><div class=\"c-act\"><button type=\"button\" data-action=\"pick\" \
         data-entry-id=\"{id}\">Pick</button><button type=\"button\" data-action=\"skip\" \
         data-entry-id=\"{id}\">Skip</button></div></li>"
    );
}

#[derive(Serialize)]
struct CandidatesView {
    chrome: Chrome,
    all: bool,
    total: usize,
    picked: usize,
    feeds: Vec<FeedOption>,
    tags: Vec<TagOption>,
    /// Every row, rendered by `candidate.html.hbs`.
    rows: String,
}

fn state_name(t: Triage) -> &'static str {
    match t {
        Triage::New => "new",
        Triage::Picked => "picked",
        Triage::Skipped => "skipped",
    }
}

/// The options of the page's feed and tag filters: only the feeds with a row on the page
/// (`on_page`, ids), in the feeds file's order and with its names (a feed with nothing shown
/// cannot match a row, and listing all of a 100,000-feed file made the page megabytes); and only
/// the tags of those feeds, in name order, each listing just those of its feeds.
fn filter_options(
    configured: &[FeedConfig],
    on_page: &HashSet<&str>,
) -> (Vec<FeedOption>, Vec<TagOption>) {
    let shown = configured.iter().filter(|f| on_page.contains(f.id.as_str()));
    let mut feeds = Vec::new();
    let mut tags: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for f in shown {
        feeds.push(FeedOption {
            id: f.id.to_string(),
            name: f.name.clone().unwrap_or_else(|| f.id.to_string()),
        });
        for t in &f.tags {
            let ids = tags.entry(t).or_default();
            // A tag written twice in one feed's list names it once.
            if ids.last() != Some(&f.id.as_str()) {
                ids.push(f.id.as_str());
            }
        }
    }
    let tags = tags
        .into_iter()
        .map(|(name, feeds)| TagOption { name: name.to_string(), feeds: feeds.join(" ") })
        .collect();
    (feeds, tags)
}

/// `GET /`.
pub(crate) async fn page(
    State(state): State<Arc<DeskState>>,
    Extension(Csrf(csrf)): Extension<Csrf>,
    Query(q): Query<PageQuery>,
) -> Result<Html<String>, DeskError> {
    let week = state.week_of(q.week.as_deref()).map_err(DeskError::page)?;
    let all = q.all.as_deref().is_some_and(|a| a == "1" || a == "true");
    let span = week.span(state.config.settings.timezone, state.config.roundup.late_horizon);
    let st = state.clone();
    let (list, openings) = state
        .db(move |store| {
            let list = store.candidates(&span, all)?;
            let mut kept = st.openings.lock().unwrap_or_else(|p| p.into_inner());
            let known = |id: EntryId, hash: &str| {
                kept.get(&id).filter(|(h, _)| h == hash).map(|(_, text)| text.clone())
            };
            let openings = store.candidate_openings(&span, OPENING_CHARS, &known)?;
            if kept.len() + openings.len() > OPENINGS_KEPT {
                kept.clear();
            }
            for o in &openings {
                if kept.get(&o.id).is_none_or(|(h, _)| *h != o.hash) {
                    kept.insert(o.id, (o.hash.clone(), o.text.clone()));
                }
            }
            Ok((list, openings))
        })
        .await
        .map_err(DeskError::page)?;
    let openings: HashMap<EntryId, String> = openings.into_iter().map(|o| (o.id, o.text)).collect();
    let week_name = week.to_string();
    let rows: Vec<Row> = list
        .iter()
        .map(|c| Row {
            id: c.id.0,
            week: &week_name,
            feed: c.feed.as_str(),
            outlet: &c.outlet,
            title: c.title.as_deref().filter(|t| !t.trim().is_empty()).unwrap_or("(untitled)"),
            author: c.author.as_deref().filter(|a| !a.trim().is_empty()),
            date: c
                .published
                .with_timezone(&state.config.settings.timezone)
                .format("%a %-d %b")
                .to_string(),
            late: c.late,
            state: state_name(c.triage),
            opening: openings.get(&c.id).map_or("", String::as_str),
        })
        .collect();
    let total = rows.len();
    let picked = rows.iter().filter(|r| r.state == "picked").count();
    let rows = state
        .pages
        .render_rows("candidate", &rows, ROW_SIZE, write_row)
        .map_err(DeskError::page)?;
    let on_page: HashSet<&str> = list.iter().map(|c| c.feed.as_str()).collect();
    let (feeds, tags) = filter_options(&state.config.feeds, &on_page);
    let view = CandidatesView {
        chrome: state.chrome("candidates", week, csrf),
        all,
        total,
        picked,
        feeds,
        tags,
        rows,
    };
    Ok(Html(state.pages.render("candidates", &view).map_err(DeskError::page)?))
}

#[derive(Deserialize)]
pub(crate) struct SearchQuery {
    week: Option<String>,
    #[serde(default)]
    q: String,
}

/// `GET /api/search?q=WORDS`: the ids of the week's entries holding all the words.
pub(crate) async fn search(
    State(state): State<Arc<DeskState>>,
    Query(q): Query<SearchQuery>,
) -> Result<Response, DeskError> {
    let week = state.week_of(q.week.as_deref())?;
    let span = week.span(state.config.settings.timezone, state.config.roundup.late_horizon);
    let words = q.q;
    let ids = state
        .db(move |store| {
            let filter =
                EntryFilter { week: Some(span), search: Some(words.clone()), ..Default::default() };
            Ok(store.entries(&filter)?.into_iter().map(|e| e.id.0).collect::<Vec<_>>())
        })
        .await?;
    Ok(ok_json(serde_json::json!({ "ids": ids })))
}

/// The form of a triage action.
#[derive(Deserialize)]
pub(crate) struct EntryForm {
    pub(crate) week: Option<String>,
    pub(crate) entry: i64,
}

/// `POST /api/pick`: `roundup pick ENTRY`.
pub(crate) async fn pick(
    State(state): State<Arc<DeskState>>,
    axum::Form(form): axum::Form<EntryForm>,
) -> Result<Response, DeskError> {
    let week = state.week_of(form.week.as_deref())?;
    let entry = EntryId(form.entry);
    let title = state.config.roundup.title.clone();
    let picked = state
        .db(move |store| Ok(store.pick(week, &title, entry, &PickChange::default(), Utc::now())?))
        .await?;
    Ok(ok_json(serde_json::json!({
        "entry": entry.0, "state": "picked", "position": picked.position,
        "message": format!("Picked into {week} at position {}.", picked.position),
    })))
}

/// `POST /api/unpick`: `roundup unpick ENTRY`.
pub(crate) async fn unpick(
    State(state): State<Arc<DeskState>>,
    axum::Form(form): axum::Form<EntryForm>,
) -> Result<Response, DeskError> {
    let week = state.week_of(form.week.as_deref())?;
    let entry = EntryId(form.entry);
    state.db(move |store| Ok(store.unpick(week, entry, Utc::now())?)).await?;
    Ok(ok_json(serde_json::json!({
        "entry": entry.0, "state": "new", "message": format!("Taken out of {week}."),
    })))
}

/// `POST /api/skip`: `roundup skip ENTRY`.
pub(crate) async fn skip(
    State(state): State<Arc<DeskState>>,
    axum::Form(form): axum::Form<EntryForm>,
) -> Result<Response, DeskError> {
    let week = state.week_of(form.week.as_deref())?;
    let entry = EntryId(form.entry);
    state.db(move |store| Ok(store.skip(week, entry, Utc::now())?)).await?;
    Ok(ok_json(serde_json::json!({
        "entry": entry.0, "state": "skipped", "message": "Skipped: not shown again.",
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows with every branch of the template and every character it escapes.
    fn rows() -> Vec<Row<'static>> {
        let hostile = "<script>alert('x')</script> & \"q\" `b` a=b é ✓";
        vec![
            Row {
                id: 7,
                week: "2026-W48",
                feed: "lgiu",
                outlet: "LGIU",
                title: "Council budgets",
                author: Some("Jane Smith"),
                date: "Tue 24 Nov".into(),
                late: false,
                state: "new",
                opening: "The opening words…",
            },
            Row {
                id: 12_345,
                week: "2026-W48",
                feed: hostile,
                outlet: hostile,
                title: hostile,
                author: None,
                date: hostile.into(),
                late: true,
                state: "picked",
                opening: hostile,
            },
            Row {
                id: 1,
                week: "2026-W48",
                feed: "f",
                outlet: "",
                title: "(untitled)",
                author: Some(hostile),
                date: String::new(),
                late: false,
                state: "skipped",
                opening: "",
            },
        ]
    }

    #[test]
    fn the_built_in_row_is_written_as_its_template_renders_it() {
        let pages =
            super::super::assets::Pages::load(std::path::Path::new("/nonexistent")).unwrap();
        for row in rows() {
            let mut by_hand = String::new();
            write_row(&mut by_hand, &row);
            assert_eq!(by_hand, pages.render("candidate", &row).unwrap());
        }
        let all = pages.render_rows("candidate", &rows(), ROW_SIZE, write_row).unwrap();
        assert_eq!(all.lines().count(), 3);
        assert!(!all.contains("<script>"), "{all}");
    }

    fn feed(id: &str, name: Option<&str>, tags: &[&str]) -> FeedConfig {
        FeedConfig {
            id: id.into(),
            url: url::Url::parse(&format!("https://{id}.example/feed")).unwrap(),
            name: name.map(str::to_string),
            tags: tags.iter().map(|t| (*t).to_string()).collect(),
            interval: None,
        }
    }

    #[test]
    fn the_filters_offer_the_feeds_on_the_page_in_file_order_and_only_their_tags() {
        let configured = [
            feed("zed", Some("Zed Weekly"), &["policy", "news", "policy"]),
            feed("quiet", Some("Quiet"), &["policy", "dormant"]),
            feed("abc", None, &["policy"]),
            feed("untagged", Some("Untagged"), &[]),
        ];
        let on_page: HashSet<&str> = ["abc", "zed", "untagged", "gone"].into_iter().collect();
        let (feeds, tags) = filter_options(&configured, &on_page);
        let feeds: Vec<(&str, &str)> =
            feeds.iter().map(|f| (f.id.as_str(), f.name.as_str())).collect();
        assert_eq!(feeds, [("zed", "Zed Weekly"), ("abc", "abc"), ("untagged", "Untagged")]);
        let tags: Vec<(&str, &str)> =
            tags.iter().map(|t| (t.name.as_str(), t.feeds.as_str())).collect();
        assert_eq!(tags, [("news", "zed"), ("policy", "zed abc")]);

        let (feeds, tags) = filter_options(&configured, &HashSet::new());
        assert!(feeds.is_empty() && tags.is_empty());
    }

    #[test]
    fn text_is_escaped_as_handlebars_escapes_it() {
        for text in ["", "plain", "<>\"&'`=", "a<b>c&d\"e'f`g=h", "é ✓ <", "&amp;"] {
            let mut out = String::from("x");
            push_escaped(&mut out, text);
            assert_eq!(out, format!("x{}", handlebars::html_escape(text)));
        }
    }
}
