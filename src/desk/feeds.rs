//! The feeds page (`GET /feeds`): the health list of `roundup feeds list`, failing feeds
//! first with their error and next try, a page of rows at a time with a filter; and "fetch now" (`POST /api/fetch`), the polling run of
//! `roundup fetch --force` (the same `poll::run`, under the same run lock) in a background
//! task whose progress `GET /api/fetch` reports.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use axum::Extension;
use axum::extract::{Query, State};
use axum::response::{Html, Response};
use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::security::Csrf;
use super::{Chrome, DeskError, DeskState, ok_json};
use crate::lock::RunLock;
use crate::store::{FeedListing, Store};
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

/// What "fetch now" keeps of its outcomes: counts, shown as they change in the desk's
/// [`FetchStatus`].
struct Progress {
    desk: Arc<DeskState>,
    polled: usize,
    failed: usize,
}

impl crate::poll::Tally for Progress {
    fn add(&mut self, outcome: FeedOutcome) {
        self.polled += 1;
        self.failed += usize::from(outcome.failed());
        let mut s = self.desk.fetch.lock().unwrap_or_else(|p| p.into_inner());
        s.done = self.polled;
        s.failed = self.failed;
    }
}

/// Feeds shown on one page of the Feeds page: 100,000 rows made a 22 MB page (issue 11).
pub(crate) const FEEDS_PER_PAGE: usize = 200;

#[derive(Deserialize)]
pub(crate) struct FeedsQuery {
    /// The page, from 1; the first when missing or not a number, the last when past it.
    page: Option<String>,
    /// Only feeds whose id, name, title or URL holds this (any case).
    q: Option<String>,
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

/// Where one page sits in a list ([`page_of`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Paging {
    /// The page shown, from 1.
    pub page: usize,
    /// The rows it holds, `from..to` of the list (0-based).
    pub from: usize,
    pub to: usize,
    /// Rows in the whole list.
    pub total: usize,
    pub previous: Option<usize>,
    pub next: Option<usize>,
}

/// Which rows of a list of `total` page `asked` shows, `size` a page: the first page when
/// `asked` is 0 or missing, the last when past it.
pub(crate) fn page_of(total: usize, asked: Option<usize>, size: usize) -> Paging {
    let pages = total.div_ceil(size).max(1);
    let page = asked.unwrap_or(1).clamp(1, pages);
    let from = (page - 1) * size;
    Paging {
        page,
        from,
        to: (from + size).min(total),
        total,
        previous: (page > 1).then(|| page - 1),
        next: (page < pages).then(|| page + 1),
    }
}

/// Whether a feed's row is shown for the filter `needle` (lowercase): its id, name, title or
/// URL holds it, in any case.
fn matches_filter(l: &FeedListing, needle: &str) -> bool {
    needle.is_empty()
        || [Some(l.id.as_str()), l.name.as_deref(), l.title.as_deref(), Some(l.url.as_str())]
            .into_iter()
            .flatten()
            .any(|field| field.to_lowercase().contains(needle))
}

#[derive(Serialize)]
struct FeedsView {
    chrome: Chrome,
    /// The page's rows.
    feeds: Vec<FeedRow>,
    /// Configured feeds, and how many of them are failing (whatever the filter).
    count: String,
    failing: usize,
    /// The filter as typed.
    q: String,
    /// `201–400 of 100,000` (of those the filter keeps).
    shown: String,
    /// The feeds the filter keeps.
    matched: usize,
    previous: Option<String>,
    next: Option<String>,
    fetch: FetchStatus,
}

/// `12345` as `12,345`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// `GET /feeds`: a page of the configured feeds, failing first (most failures first), then by
/// id, [`FEEDS_PER_PAGE`] at a time, with a filter by id, name, title or URL.
pub(crate) async fn page(
    State(state): State<Arc<DeskState>>,
    Extension(Csrf(csrf)): Extension<Csrf>,
    Query(query): Query<FeedsQuery>,
) -> Result<Html<String>, DeskError> {
    let asked = query.page.as_deref().and_then(|p| p.trim().parse::<usize>().ok());
    let q = query.q.unwrap_or_default().trim().to_string();
    let needle = q.to_lowercase();
    let st = state.clone();
    let (listed, paging, counts, failing, configured_count) = state
        .db(move |store| {
            // The configured feeds' rows, found by id: a scan of every row per feed was
            // quadratic, minutes for 100,000 feeds (issue 11).
            let configured: HashSet<&str> = st.config.feeds.iter().map(|f| f.id.as_str()).collect();
            let mut failing = 0;
            let mut configured_count = 0;
            let mut kept = Vec::new();
            store.each_feed_listing_uncounted(|l| {
                if !configured.contains(l.id.as_str()) {
                    return;
                }
                configured_count += 1;
                failing += usize::from(is_failing(&l));
                if matches_filter(&l, &needle) {
                    kept.push(l);
                }
            })?;
            // Failing first (most failures first), then by id (the listing's order).
            kept.sort_by_key(|l| (std::cmp::Reverse(is_failing(l)), std::cmp::Reverse(errors(l))));
            let paging = page_of(kept.len(), asked, FEEDS_PER_PAGE);
            kept.truncate(paging.to);
            kept.drain(..paging.from);
            let ids: Vec<&str> = kept.iter().map(|l| l.id.as_str()).collect();
            let counts = store.entry_counts(&ids)?;
            Ok((kept, paging, counts, failing, configured_count))
        })
        .await
        .map_err(DeskError::page)?;
    let matched = paging.total;
    let tz = state.config.settings.timezone;
    // `Sun 29 Nov, 20:41` in the configured time zone; as stored when it does not parse.
    let when = |s: &str| {
        crate::timefmt::parse_rfc3339(s).map_or_else(
            || s.to_string(),
            |t| t.with_timezone(&tz).format("%a %-d %b, %H:%M").to_string(),
        )
    };
    let feeds: Vec<FeedRow> = listed
        .into_iter()
        .zip(counts)
        .map(|(l, entries)| {
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
            let failing = is_failing(&l);
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
                entries,
                error: l.last_error.clone().filter(|_| failing),
                notes,
                failing,
            }
        })
        .collect();
    let week = state.week;
    let link = |page: usize| {
        let mut href = format!("/feeds?week={week}&page={page}");
        if !q.is_empty() {
            href.push_str("&q=");
            href.extend(url::form_urlencoded::byte_serialize(q.as_bytes()));
        }
        href
    };
    let shown = format!(
        "{}–{} of {}",
        thousands(paging.from + 1),
        thousands(paging.to),
        thousands(matched)
    );
    let view = FeedsView {
        chrome: state.chrome("feeds", week, csrf),
        feeds,
        count: thousands(configured_count),
        failing,
        shown,
        matched,
        previous: paging.previous.map(link),
        next: paging.next.map(link),
        q,
        fetch: state.fetch.lock().unwrap_or_else(|p| p.into_inner()).clone(),
    };
    Ok(Html(state.pages.render("feeds", &view).map_err(DeskError::page)?))
}

/// A feed failing: errors since its last success, or gone.
fn is_failing(l: &FeedListing) -> bool {
    l.error_count > 0 || l.gone
}

/// A failing feed's errors, by which failing feeds are sorted (0 for the others).
fn errors(l: &FeedListing) -> u32 {
    if is_failing(l) { l.error_count } else { 0 }
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
        let jobs = crate::schedule::due_jobs(states, &intervals, Utc::now(), true, None);
        Ok((lock, store, jobs))
    })
    .await
    .map_err(|e| DeskError::internal(e.to_string()))??;
    let total = jobs.len();
    *state.fetch.lock().unwrap_or_else(|p| p.into_inner()) =
        FetchStatus { running: true, done: 0, total, failed: 0, message: None };
    let progress = Progress { desk: state.clone(), polled: 0, failed: 0 };
    let st = state.clone();
    tokio::spawn(async move {
        let _lock = lock;
        let stop = Arc::new(AtomicBool::new(false));
        let (_store, Progress { polled, failed, .. }, error) =
            crate::poll::run(st.fetcher.clone(), jobs, store, progress, stop).await;
        let mut s = st.fetch.lock().unwrap_or_else(|p| p.into_inner());
        s.running = false;
        s.message = Some(match error {
            Some(e) => format!("stopped: could not write to the database: {e}"),
            None => {
                format!(
                    "Polled {polled} feed{}: {failed} failed.",
                    if polled == 1 { "" } else { "s" }
                )
            }
        });
    });
    Ok(ok_json(
        serde_json::json!({ "total": total, "message": format!("Fetching {total} feeds…") }),
    ))
}
