//! The candidates page (`GET /`): the week's entries and late arrivals with what was decided
//! about each, filtered as the editor types (the full-text index, `GET /api/search`), by feed
//! and by tag; and the triage actions `POST /api/pick`, `/api/unpick`, `/api/skip` (the CLI's
//! `pick`, `unpick` and `skip`, through the same store functions).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Extension;
use axum::extract::{Query, State};
use axum::response::{Html, Response};
use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::security::Csrf;
use super::{Chrome, DeskError, DeskState, ok_json};
use crate::model::{EntryId, PickChange, Triage};
use crate::store::EntryFilter;

/// Characters of an entry's text shown under its title.
const OPENING_CHARS: usize = 110;

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

/// One candidate, every string plain text (the template escapes it).
#[derive(Serialize)]
struct Row {
    id: i64,
    feed: String,
    outlet: String,
    title: String,
    author: Option<String>,
    /// `Tue 24 Nov`.
    date: String,
    late: bool,
    /// `new`, `picked` or `skipped`.
    state: &'static str,
    opening: String,
}

#[derive(Serialize)]
struct CandidatesView {
    chrome: Chrome,
    all: bool,
    total: usize,
    picked: usize,
    feeds: Vec<FeedOption>,
    tags: Vec<TagOption>,
    rows: Vec<Row>,
}

fn state_name(t: Triage) -> &'static str {
    match t {
        Triage::New => "new",
        Triage::Picked => "picked",
        Triage::Skipped => "skipped",
    }
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
    let (list, openings) = state
        .db(move |store| {
            Ok((store.candidates(&span, all)?, store.candidate_openings(&span, OPENING_CHARS)?))
        })
        .await
        .map_err(DeskError::page)?;
    let mut openings: std::collections::HashMap<EntryId, String> = openings.into_iter().collect();
    let rows: Vec<Row> = list
        .iter()
        .map(|c| Row {
            id: c.id.0,
            feed: c.feed.to_string(),
            outlet: c.outlet.clone(),
            title: c
                .title
                .clone()
                .filter(|t| !t.trim().is_empty())
                .unwrap_or_else(|| "(untitled)".into()),
            author: c.author.clone().filter(|a| !a.trim().is_empty()),
            date: c
                .published
                .with_timezone(&state.config.settings.timezone)
                .format("%a %-d %b")
                .to_string(),
            late: c.late,
            state: state_name(c.triage),
            opening: openings.remove(&c.id).unwrap_or_default(),
        })
        .collect();
    let feeds = state
        .config
        .feeds
        .iter()
        .map(|f| FeedOption {
            id: f.id.to_string(),
            name: f.name.clone().unwrap_or_else(|| f.id.to_string()),
        })
        .collect();
    let mut tags: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in &state.config.feeds {
        for t in &f.tags {
            tags.entry(t.clone()).or_default().push(f.id.to_string());
        }
    }
    let view = CandidatesView {
        chrome: state.chrome("candidates", week, csrf),
        all,
        total: rows.len(),
        picked: rows.iter().filter(|r| r.state == "picked").count(),
        feeds,
        tags: tags
            .into_iter()
            .map(|(name, feeds)| TagOption { name, feeds: feeds.join(" ") })
            .collect(),
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
