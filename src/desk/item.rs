//! The item page (`GET /item/ID`): an entry's quotable paragraphs (`GET /api/paragraphs/ID`,
//! the excerpt suggester of `roundup excerpts`, fetching the article page when the feed has
//! only a summary), the pick's words, and the item as the draft renders it
//! (`GET /api/preview/ID`). `POST /api/edit-pick` saves the words, as `roundup pick ENTRY
//! --excerpt-para N --lead … --note …` does, refusing an edit from a stale page (409).

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::response::{Html, Response};
use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::security::Csrf;
use super::{Chrome, DeskError, DeskState, ok_json};
use crate::articles::ArticlePages;
use crate::excerpt::ParagraphNumbers;
use crate::model::{EntryId, PickChange, PickedItem};
use crate::store::Store;
use crate::week::IsoWeek;

#[derive(Deserialize)]
pub(crate) struct WeekQuery {
    week: Option<String>,
}

#[derive(Serialize)]
struct EntryView {
    id: i64,
    title: String,
    outlet: String,
    author: Option<String>,
    date: String,
    /// The article's link, when it is an http(s) URL.
    url: Option<String>,
}

/// The pick's words as the form shows them (empty strings when not picked).
#[derive(Serialize)]
pub(crate) struct PickView {
    picked: bool,
    position: u32,
    /// The revision the form was filled from (0: not picked).
    revision: i64,
    lead: String,
    note: String,
    excerpt: String,
    section: String,
}

#[derive(Serialize)]
struct ItemPageView {
    chrome: Chrome,
    entry: EntryView,
    pick: PickView,
}

/// The pick of `entry` in `week` as it stands, with its revision.
pub(crate) fn pick_view(
    store: &Store,
    week: IsoWeek,
    entry: EntryId,
) -> Result<PickView, DeskError> {
    let pick = store.picks(week)?.into_iter().find(|p| p.entry.id == entry);
    let revision =
        store.pick_revisions(week)?.into_iter().find(|(e, _)| *e == entry).map_or(0, |(_, r)| r);
    let text = |s: &Option<String>| s.clone().unwrap_or_default();
    Ok(match pick {
        Some(p) => PickView {
            picked: true,
            position: p.position,
            revision,
            lead: text(&p.lead),
            note: text(&p.note),
            excerpt: text(&p.excerpt),
            section: text(&p.section),
        },
        None => PickView {
            picked: false,
            position: 0,
            revision: 0,
            lead: String::new(),
            note: String::new(),
            excerpt: String::new(),
            section: String::new(),
        },
    })
}

/// `GET /item/ID`.
pub(crate) async fn page(
    State(state): State<Arc<DeskState>>,
    Extension(Csrf(csrf)): Extension<Csrf>,
    Path(entry): Path<i64>,
    Query(q): Query<WeekQuery>,
) -> Result<Html<String>, DeskError> {
    let week = state.week_of(q.week.as_deref()).map_err(DeskError::page)?;
    let entry = EntryId(entry);
    let (detail, pick) = state
        .db(move |store| {
            let detail = store
                .entry(entry)?
                .ok_or_else(|| DeskError::not_found(format!("there is no entry {entry}")))?;
            Ok((detail, pick_view(store, week, entry)?))
        })
        .await
        .map_err(DeskError::page)?;
    let view = ItemPageView {
        chrome: state.chrome("item", week, csrf),
        entry: EntryView {
            id: entry.0,
            title: detail
                .title
                .clone()
                .filter(|t| !t.trim().is_empty())
                .unwrap_or_else(|| "(untitled)".into()),
            outlet: detail.outlet.clone(),
            author: detail.author.clone(),
            date: detail
                .published
                .with_timezone(&state.config.settings.timezone)
                .format("%A %-d %B %Y")
                .to_string(),
            url: detail
                .url
                .as_deref()
                .and_then(|u| crate::links::HttpUrl::parse(u).ok())
                .map(|u| u.into_url().to_string()),
        },
        pick,
    };
    Ok(Html(state.pages.render("item", &view).map_err(DeskError::page)?))
}

/// The numbered suggestions of `entry`, fetching its article page when need be; and what went
/// wrong on the way.
fn suggestions(
    state: &DeskState,
    handle: &tokio::runtime::Handle,
    store: &mut Store,
    entry: EntryId,
) -> Result<(Vec<String>, Vec<String>), DeskError> {
    let detail = store
        .entry(entry)?
        .ok_or_else(|| DeskError::not_found(format!("there is no entry {entry}")))?;
    let articles = ArticlePages::with_handle(&state.fetcher, handle.clone());
    let found = articles.suggestions(store, &detail, Utc::now())?;
    Ok((found.value, found.warnings))
}

/// `GET /api/paragraphs/ID`: `{"paragraphs": [{"n", "text", "words"}], "warnings": [...],
/// "marked": [n...]}` (`marked`: the paragraphs the pick's excerpt holds now).
pub(crate) async fn paragraphs(
    State(state): State<Arc<DeskState>>,
    Path(entry): Path<i64>,
    Query(q): Query<WeekQuery>,
) -> Result<Response, DeskError> {
    let week = state.week_of(q.week.as_deref())?;
    let entry = EntryId(entry);
    let handle = tokio::runtime::Handle::current();
    let st = state.clone();
    let (paragraphs, warnings, excerpt) = state
        .db(move |store| {
            let (paragraphs, warnings) = suggestions(&st, &handle, store, entry)?;
            let excerpt = pick_view(store, week, entry)?.excerpt;
            Ok((paragraphs, warnings, excerpt))
        })
        .await?;
    let quoted: Vec<&str> = excerpt.split("\n\n").map(str::trim).collect();
    let marked: Vec<usize> = paragraphs
        .iter()
        .enumerate()
        .filter(|(_, p)| quoted.contains(&p.as_str()))
        .map(|(i, _)| i + 1)
        .collect();
    let numbered: Vec<serde_json::Value> = paragraphs
        .iter()
        .enumerate()
        .map(|(i, p)| {
            serde_json::json!({"n": i + 1, "text": p, "words": p.split_whitespace().count()})
        })
        .collect();
    Ok(ok_json(serde_json::json!({
        "paragraphs": numbered, "warnings": warnings, "marked": marked,
    })))
}

/// `GET /api/preview/ID`: `{"html": ...}`, the pick as the HTML draft renders it (sanitised
/// there), or an empty string when it is not picked.
pub(crate) async fn preview(
    State(state): State<Arc<DeskState>>,
    Path(entry): Path<i64>,
    Query(q): Query<WeekQuery>,
) -> Result<Response, DeskError> {
    let week = state.week_of(q.week.as_deref())?;
    let entry = EntryId(entry);
    let pick: Option<PickedItem> = state
        .db(move |store| Ok(store.picks(week)?.into_iter().find(|p| p.entry.id == entry)))
        .await?;
    let Some(pick) = pick else {
        return Ok(ok_json(serde_json::json!({ "html": "", "warnings": [] })));
    };
    let renderer = crate::render::Renderer::new(&state.config.roundup.templates)
        .map_err(|e| DeskError::internal(e.to_string()))?;
    let rendered =
        renderer.render_item_html(&pick).map_err(|e| DeskError::internal(e.to_string()))?;
    let warnings: Vec<String> = rendered.warnings.iter().map(ToString::to_string).collect();
    Ok(ok_json(serde_json::json!({ "html": rendered.text, "warnings": warnings })))
}

/// `POST /api/edit-pick`.
#[derive(Deserialize, Clone)]
pub(crate) struct EditPickForm {
    week: Option<String>,
    entry: i64,
    /// The revision the page was filled from (0 when it showed the entry unpicked).
    revision: i64,
    lead: Option<String>,
    note: Option<String>,
    section: Option<String>,
    /// The quote, as written or selected.
    excerpt: Option<String>,
    /// The marked paragraphs (`2,4`): when given, the quote is made from them, as
    /// `--excerpt-para` makes it, and `excerpt` is ignored.
    excerpt_para: Option<String>,
}

/// `POST /api/edit-pick`: saves the pick's words (picking the entry if need be).
pub(crate) async fn edit_pick(
    State(state): State<Arc<DeskState>>,
    axum::Form(form): axum::Form<EditPickForm>,
) -> Result<Response, DeskError> {
    let week = state.week_of(form.week.as_deref())?;
    let entry = EntryId(form.entry);
    let paras: Option<ParagraphNumbers> = match form.excerpt_para.as_deref().map(str::trim) {
        Some(p) if !p.is_empty() => {
            Some(p.parse().map_err(|m| DeskError::bad_request(format!("paragraphs {p:?}: {m}")))?)
        }
        _ => None,
    };
    let title = state.config.roundup.title.clone();
    let handle = tokio::runtime::Handle::current();
    let st = state.clone();
    let saved = state
        .db(move |store| {
            let excerpt = match &paras {
                Some(paras) => {
                    let (found, _) = suggestions(&st, &handle, store, entry)?;
                    Some(paras.quote(&found).map_err(|n| {
                        DeskError::bad_request(format!(
                            "entry {entry} has {} paragraphs to quote, not {n}",
                            found.len()
                        ))
                    })?)
                }
                None => form.excerpt.clone(),
            };
            let change = PickChange {
                excerpt,
                lead: form.lead.clone(),
                note: form.note.clone(),
                section: form.section.clone(),
                position: None,
                expected_revision: Some(form.revision),
            };
            match store.pick(week, &title, entry, &change, Utc::now()) {
                Ok(_) => Ok(Ok(pick_view(store, week, entry)?)),
                Err(e) => {
                    let e = DeskError::from(e);
                    if e.is_stale() { Ok(Err((e, pick_view(store, week, entry)?))) } else { Err(e) }
                }
            }
        })
        .await?;
    match saved {
        Ok(pick) => Ok(ok_json(serde_json::json!({
            "message": format!("Saved: item {} of {week}.", pick.position),
            "pick": pick,
        }))),
        Err((e, fresh)) => Err(DeskError::conflict(
            e.message,
            serde_json::to_value(fresh).expect("a view serialises"),
        )),
    }
}
