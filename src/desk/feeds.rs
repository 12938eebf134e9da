//! The feeds page (`GET /feeds`): the health list of `roundup feeds list`, failing feeds
//! first with their error and next try; and "fetch now" (`POST /api/fetch`), the polling run of
//! `roundup fetch --force` (the same `poll::run`, under the same run lock) in a background
//! task whose progress `GET /api/fetch` reports.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use axum::Extension;
use axum::extract::State;
use axum::response::{Html, Response};
use chrono::Utc;
use serde::Serialize;

use super::security::Csrf;
use super::{Chrome, DeskError, DeskState, ok_json};
use crate::lock::RunLock;
use crate::store::Store;
use crate::update::FeedOutcome;

/// Where the last "fetch now" is.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct FetchStatus {
    pub running: bool,
    /// Feeds polled so far, of `total`.
    pub done: usize,
    pub total: usize,
    pub failed: usize,
    /// How the last run ended, when it has.
    pub message: Option<String>,
}

#[derive(Serialize)]
struct FeedRow {
    id: String,
    name: String,
    url: String,
    last_fetch: String,
    status: String,
    errors: u32,
    next_try: String,
    entries: u64,
    error: Option<String>,
    notes: Vec<String>,
    failing: bool,
}

#[derive(Serialize)]
struct FeedsView {
    chrome: Chrome,
    feeds: Vec<FeedRow>,
    count: usize,
    failing: usize,
    fetch: FetchStatus,
}

/// `GET /feeds`.
pub(crate) async fn page(
    State(state): State<Arc<DeskState>>,
    Extension(Csrf(csrf)): Extension<Csrf>,
) -> Result<Html<String>, DeskError> {
    let all = state.db(|store| Ok(store.feed_listing()?)).await.map_err(DeskError::page)?;
    let tz = state.config.settings.timezone;
    // `Sun 29 Nov, 20:41` in the configured time zone; as stored when it does not parse.
    let when = |s: &str| {
        crate::timefmt::parse_rfc3339(s).map_or_else(
            || s.to_string(),
            |t| t.with_timezone(&tz).format("%a %-d %b, %H:%M").to_string(),
        )
    };
    // The configured feeds' rows, found by id: a scan of every row per feed was quadratic,
    // minutes for 100,000 feeds (issue 11). Their order is the sort's below.
    let configured: HashSet<&str> = state.config.feeds.iter().map(|f| f.id.as_str()).collect();
    let mut feeds: Vec<FeedRow> = all
        .iter()
        .filter(|l| configured.contains(l.id.as_str()))
        .map(|l| {
            let mut notes = Vec::new();
            if l.gone {
                notes.push("gone (410): polling stopped".to_string());
            }
            if let Some(d) = &l.discovered_url {
                notes.push(format!("feed found on the page: {d}"));
            } else if let Some(m) = &l.moved_to {
                notes.push(format!("moved permanently to {m}"));
            }
            // A success that left something out (see `Store::record_polls`): a note, not an error.
            let failing = l.error_count > 0 || l.gone;
            if let Some(warning) = l.last_error.as_ref().filter(|_| !failing) {
                notes.push(format!("last poll: {warning}"));
            }
            FeedRow {
                id: l.id.to_string(),
                name: l
                    .name
                    .clone()
                    .or_else(|| l.title.clone())
                    .unwrap_or_else(|| l.id.to_string()),
                url: l.url.clone(),
                last_fetch: l.last_fetch_at.as_deref().map_or_else(|| "never".into(), &when),
                status: l.last_status.map_or("–".into(), |s| s.to_string()),
                errors: l.error_count,
                next_try: if l.gone {
                    "never".into()
                } else {
                    l.next_due_at.as_deref().map_or_else(|| "now".into(), &when)
                },
                entries: l.entries,
                error: l.last_error.clone().filter(|_| failing),
                notes,
                failing,
            }
        })
        .collect();
    // Failing first (most failures first), then by id.
    feeds.sort_by(|a, b| {
        b.failing.cmp(&a.failing).then(b.errors.cmp(&a.errors)).then(a.id.cmp(&b.id))
    });
    let week = state.week;
    let view = FeedsView {
        chrome: state.chrome("feeds", week, csrf),
        failing: feeds.iter().filter(|f| f.failing).count(),
        count: feeds.len(),
        feeds,
        fetch: state.fetch.lock().unwrap_or_else(|p| p.into_inner()).clone(),
    };
    Ok(Html(state.pages.render("feeds", &view).map_err(DeskError::page)?))
}

/// `GET /api/fetch`: the progress of "fetch now".
pub(crate) async fn fetch_status(State(state): State<Arc<DeskState>>) -> Response {
    let status = state.fetch.lock().unwrap_or_else(|p| p.into_inner()).clone();
    ok_json(serde_json::to_value(status).expect("serialises"))
}

/// `POST /api/fetch`: starts polling every feed in the background (`roundup fetch --force`).
pub(crate) async fn fetch_now(State(state): State<Arc<DeskState>>) -> Result<Response, DeskError> {
    if state.fetch.lock().unwrap_or_else(|p| p.into_inner()).running {
        return Err(DeskError::conflict(
            "a fetch is already running".into(),
            serde_json::json!({}),
        ));
    }
    let db = state.db_path.clone();
    let intervals = state.intervals.clone();
    let (lock, store, jobs) = tokio::task::spawn_blocking(move || -> Result<_, DeskError> {
        let lock = RunLock::acquire(&db).map_err(|e| {
            DeskError::conflict(format!("cannot fetch now: {e}"), serde_json::json!({}))
        })?;
        let store = Store::open(&db)?;
        let states = store.feed_states()?;
        let jobs = crate::schedule::due_jobs(&states, &intervals, Utc::now(), true, None);
        Ok((lock, store, jobs))
    })
    .await
    .map_err(|e| DeskError::internal(e.to_string()))??;
    let total = jobs.len();
    *state.fetch.lock().unwrap_or_else(|p| p.into_inner()) =
        FetchStatus { running: true, done: 0, total, failed: 0, message: None };
    let progress = state.clone();
    let on_done = Arc::new(move |o: &FeedOutcome| {
        let mut s = progress.fetch.lock().unwrap_or_else(|p| p.into_inner());
        s.done += 1;
        s.failed += usize::from(o.failed());
    });
    let st = state.clone();
    tokio::spawn(async move {
        let _lock = lock;
        let stop = Arc::new(AtomicBool::new(false));
        let (_store, outcomes, error) =
            crate::poll::run(st.fetcher.clone(), jobs, store, on_done, stop).await;
        let mut s = st.fetch.lock().unwrap_or_else(|p| p.into_inner());
        s.running = false;
        let failed = outcomes.iter().filter(|o| o.failed()).count();
        s.message = Some(match error {
            Some(e) => format!("stopped: could not write to the database: {e}"),
            None => format!(
                "Polled {} feed{}: {failed} failed.",
                outcomes.len(),
                if outcomes.len() == 1 { "" } else { "s" }
            ),
        });
    });
    Ok(ok_json(
        serde_json::json!({ "total": total, "message": format!("Fetching {total} feeds…") }),
    ))
}
