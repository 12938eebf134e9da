//! The post page (`GET /post`): the picks in order (moved by drag and drop or by the move
//! buttons, `POST /api/move`, as `roundup pick ENTRY --position N`), the roundup's own fields
//! (`POST /api/edit-roundup`, as `roundup edit`, refusing an edit from a stale page), the whole
//! draft rendered through the draft templates with its lint warnings, and the draft to download
//! (`GET /draft.md`, `GET /draft.html`, as `roundup draft`).

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::security::Csrf;
use super::{Chrome, DeskError, DeskState, ok_json};
use crate::app::week::render_draft;
use crate::model::{EntryId, PickChange, RoundupEdit, RoundupStatus, comma_list};
use crate::render::Format;
use crate::store::Store;
use crate::week::IsoWeek;

#[derive(Deserialize)]
pub(crate) struct WeekQuery {
    week: Option<String>,
    download: Option<String>,
}

/// The roundup's fields as the form shows them.
#[derive(Serialize)]
pub(crate) struct RoundupFields {
    revision: i64,
    title: String,
    intro: String,
    outro: String,
    tags: String,
    categories: String,
    published: bool,
}

#[derive(Serialize)]
struct PickRow {
    entry: i64,
    position: u32,
    title: String,
    outlet: String,
    section: Option<String>,
    /// What the item still lacks, for the list (`no excerpt`, `no lead-in`).
    missing: Vec<&'static str>,
}

#[derive(Serialize)]
struct PostView {
    chrome: Chrome,
    roundup: RoundupFields,
    picks: Vec<PickRow>,
    /// The HTML draft, from the draft templates (sanitised there).
    draft_html: String,
    warnings: Vec<String>,
    warning_count: usize,
    /// The blog `roundup push` sends the post to (`[blog]`), when there is one.
    blog: Option<String>,
}

/// The roundup of `week` as the form shows it, started if need be.
pub(crate) fn roundup_fields(
    state: &DeskState,
    store: &mut Store,
    week: IsoWeek,
) -> Result<RoundupFields, DeskError> {
    let r = store.roundup(week, &state.config.roundup.title, Utc::now())?;
    let revision = store.roundup_revision(week)?.unwrap_or(0);
    Ok(RoundupFields {
        revision,
        title: r.title,
        intro: r.intro.unwrap_or_default(),
        outro: r.outro.unwrap_or_default(),
        tags: r.tags.join(", "),
        categories: r.categories.join(", "),
        published: r.status == RoundupStatus::Published,
    })
}

/// `GET /post`.
pub(crate) async fn page(
    State(state): State<Arc<DeskState>>,
    Extension(Csrf(csrf)): Extension<Csrf>,
    Query(q): Query<WeekQuery>,
) -> Result<Html<String>, DeskError> {
    let week = state.week_of(q.week.as_deref()).map_err(DeskError::page)?;
    let st = state.clone();
    let (roundup, picks, draft) = state
        .db(move |store| {
            let roundup = roundup_fields(&st, store, week)?;
            let picks = store.picks(week)?;
            let draft = render_draft(&st.config, store, week, Format::Html)?;
            Ok((roundup, picks, draft))
        })
        .await
        .map_err(DeskError::page)?;
    let picks = picks
        .iter()
        .map(|p| {
            let mut missing = Vec::new();
            if p.excerpt.as_deref().is_none_or(|e| e.trim().is_empty()) {
                missing.push("no excerpt");
            }
            if p.lead.as_deref().is_none_or(|e| e.trim().is_empty()) {
                missing.push("no lead-in");
            }
            PickRow {
                entry: p.entry.id.0,
                position: p.position,
                title: p.entry.title.clone().unwrap_or_else(|| "(untitled)".into()),
                outlet: p.entry.outlet.clone(),
                section: p.section.clone(),
                missing,
            }
        })
        .collect();
    let view = PostView {
        chrome: state.chrome("post", week, csrf),
        roundup,
        picks,
        warnings: draft.warnings.iter().map(ToString::to_string).collect(),
        warning_count: draft.warnings.len(),
        draft_html: draft.text,
        blog: state.config.blog.as_ref().map(|b| match &b.kind {
            crate::config::BlogKind::WordPress { url } => url.to_string(),
            crate::config::BlogKind::WordPressCom { site, .. } => format!("{site} (WordPress.com)"),
        }),
    };
    Ok(Html(state.pages.render("post", &view).map_err(DeskError::page)?))
}

async fn draft(state: Arc<DeskState>, q: WeekQuery, format: Format) -> Result<Response, DeskError> {
    let week = state.week_of(q.week.as_deref())?;
    let st = state.clone();
    let draft = state.db(move |store| Ok(render_draft(&st.config, store, week, format)?)).await?;
    let mut r = draft.text.into_response();
    let download = q.download.as_deref().is_some_and(|d| d == "1");
    let mime = match (format, download) {
        (Format::Markdown, _) => "text/markdown; charset=utf-8",
        (Format::Html, true) => "text/html; charset=utf-8",
        // Shown, never run as a page of the desk's origin.
        (Format::Html, false) => "text/plain; charset=utf-8",
    };
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    if download {
        let name = format!("attachment; filename=\"{week}.{}\"", format.extension());
        r.headers_mut()
            .insert(header::CONTENT_DISPOSITION, HeaderValue::from_str(&name).expect("ASCII"));
    }
    Ok(r)
}

/// `GET /draft.md`: `roundup draft --format markdown -o -`.
pub(crate) async fn draft_markdown(
    State(state): State<Arc<DeskState>>,
    Query(q): Query<WeekQuery>,
) -> Result<Response, DeskError> {
    draft(state, q, Format::Markdown).await
}

/// `GET /draft.html`: `roundup draft --format html -o -`.
pub(crate) async fn draft_html(
    State(state): State<Arc<DeskState>>,
    Query(q): Query<WeekQuery>,
) -> Result<Response, DeskError> {
    draft(state, q, Format::Html).await
}

#[derive(Deserialize)]
pub(crate) struct MoveForm {
    week: Option<String>,
    entry: i64,
    /// The 1-based place to move it to.
    position: u32,
}

/// `POST /api/move`: `roundup pick ENTRY --position N`; answers the new order.
pub(crate) async fn move_pick(
    State(state): State<Arc<DeskState>>,
    axum::Form(form): axum::Form<MoveForm>,
) -> Result<Response, DeskError> {
    let week = state.week_of(form.week.as_deref())?;
    let entry = EntryId(form.entry);
    let title = state.config.roundup.title.clone();
    let position = form.position;
    let order = state
        .db(move |store| {
            if !store.picks(week)?.iter().any(|p| p.entry.id == entry) {
                return Err(DeskError::conflict(
                    format!("entry {entry} is not picked in {week} (taken out elsewhere?)"),
                    serde_json::json!({}),
                ));
            }
            let change = PickChange { position: Some(position), ..Default::default() };
            store.pick(week, &title, entry, &change, Utc::now())?;
            Ok(store.picks(week)?.iter().map(|p| p.entry.id.0).collect::<Vec<_>>())
        })
        .await?;
    let at = order.iter().position(|e| *e == entry.0).map_or(0, |i| i + 1);
    Ok(ok_json(serde_json::json!({
        "order": order, "message": format!("Moved to position {at}."),
    })))
}

#[derive(Deserialize)]
pub(crate) struct RoundupForm {
    week: Option<String>,
    revision: i64,
    title: Option<String>,
    intro: Option<String>,
    outro: Option<String>,
    tags: Option<String>,
    categories: Option<String>,
}

/// `POST /api/edit-roundup`: `roundup edit …`, refused from a stale page.
pub(crate) async fn edit_roundup(
    State(state): State<Arc<DeskState>>,
    axum::Form(form): axum::Form<RoundupForm>,
) -> Result<Response, DeskError> {
    let week = state.week_of(form.week.as_deref())?;
    if form.title.as_deref().is_some_and(|t| t.trim().is_empty()) {
        return Err(DeskError::bad_request("the title must not be empty".into()));
    }
    let edit = RoundupEdit {
        title: form.title,
        intro: form.intro,
        outro: form.outro,
        tags: form.tags.as_deref().map(comma_list),
        categories: form.categories.as_deref().map(comma_list),
        expected_revision: Some(form.revision),
    };
    let st = state.clone();
    let saved = state
        .db(move |store| {
            match store.edit_roundup(week, &st.config.roundup.title, &edit, Utc::now()) {
                Ok(_) => Ok(Ok(roundup_fields(&st, store, week)?)),
                Err(e) if e.is_stale() => {
                    Ok(Err((DeskError::from(e), roundup_fields(&st, store, week)?)))
                }
                Err(e) => Err(e.into()),
            }
        })
        .await?;
    match saved {
        Ok(fields) => Ok(ok_json(serde_json::json!({
            "message": format!("Saved the roundup of {week}."), "roundup": fields,
        }))),
        Err((e, fresh)) => {
            Err(DeskError::conflict(e.message, serde_json::to_value(fresh).expect("serialises")))
        }
    }
}

/// `GET /api/draft`: `{"html", "warnings"}`, the HTML draft and its lint, for the post page to
/// refresh after a change.
pub(crate) async fn draft_json(
    State(state): State<Arc<DeskState>>,
    Query(q): Query<WeekQuery>,
) -> Result<Response, DeskError> {
    let week = state.week_of(q.week.as_deref())?;
    let st = state.clone();
    let draft =
        state.db(move |store| Ok(render_draft(&st.config, store, week, Format::Html)?)).await?;
    let warnings: Vec<String> = draft.warnings.iter().map(ToString::to_string).collect();
    Ok(ok_json(serde_json::json!({ "html": draft.text, "warnings": warnings })))
}
