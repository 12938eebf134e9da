//! `roundup desk`: the editor's desk in the browser (issue 12). A small axum app over the same
//! database and the same store functions as the CLI and the picker: nothing here picks,
//! reorders or edits any other way.
//!
//! ```text
//! browser ──► security (host, session, Origin, CSRF; CSP on every answer)
//!         ──► routes: candidates.rs · item.rs · post.rs · feeds.rs · publish.rs
//!         ──► DeskState::db (a blocking thread, a pooled Store, busy retried) ──► store
//!         ◄── pages (handlebars over view structs, assets.rs) or JSON
//! ```
//!
//! Owns: the routes, the view structs the desk templates see, the session and CSRF rules. Does
//! not own: picking, triage, editing (`store`), the excerpt suggester (`articles`, `excerpt`),
//! the draft and its lint (`render`, through `app::week::render_draft`), publishing
//! (`app::publish::publish_week`), polling (`poll`).
//!
//! # Pages (for tests and the browser harness)
//! Every page has `<body data-page="NAME" data-week="2026-W48">`, a `<meta name="csrf-token">`,
//! and nav links `#nav-candidates`, `#nav-post`, `#nav-feeds`. Pages take `?week=2026-W48`
//! (default: the desk's week).
//!
//! - `GET /` (`data-page="candidates"`; `?all=1` shows skipped ones): `#filter` (search as you
//!   type, the full-text index), `#feed-filter`, `#tag-filter`, `#show-skipped`; the list
//!   `#candidates` of `li.candidate` with `id="c-ID"`, `data-entry-id`, `data-feed`,
//!   `data-state` (`new`/`picked`/`skipped`) and `data-late`; in each, `a.title` to the item
//!   page and buttons `data-action="pick"` (toggles pick / unpick) and `data-action="skip"`.
//!   Keys: j/k move, space picks or unpicks, s skips, Enter opens the item.
//! - `GET /item/ID` (`item`): `#paragraphs` shows `#fetching` until `GET /api/paragraphs/ID`
//!   answers, then `p.para` with `data-n` (1-based, as `roundup excerpts`); clicking one (or
//!   Enter on it) marks it (`.marked`). Selecting words inside one paragraph and pressing
//!   `#quote-selection` quotes just those. The form `#pick-form` has `#excerpt` (the quote, as
//!   it will be saved), hidden `#excerpt-para` (the marked numbers, `2,4`) and `#revision`,
//!   `#lead`, `#note`, `#section`; `#save` saves (picking the entry if need be); `#unpick`,
//!   `#preview` (the item rendered), `#status` (messages; `.stale` on a refused edit).
//! - `GET /post` (`post`): `#picks` of `li.pick` (`data-entry-id`, `data-position`,
//!   `draggable`), each with `data-action="move-up"` / `"move-down"` buttons; `#roundup-form`
//!   with `#title`, `#intro`, `#outro`, `#tags`, `#categories`, `#roundup-revision`,
//!   `#save-roundup`; `#draft` (the HTML draft), `#lint` (warnings), `#download-md`,
//!   `#download-html`, `#copy-html`; `#publish-form` with `#publish-confirm` (type the week)
//!   and `#publish`; `#push` is where "push to the blog" goes (issue 13).
//! - `GET /feeds` (`feeds`): `#feeds` table, failing feeds first (`tr[data-failing]`);
//!   `#fetch-now`, `#fetch-progress`.
//! - `GET /login`, `POST /login` (form `password`, `csrf`), `POST /logout`: only when a
//!   password is set.
//!
//! # Endpoints
//! Every `POST` needs the CSRF token (header `X-CSRF-Token` or form field `csrf`) and, when
//! it sends `Origin`, the desk's own origin; else 403 and nothing changes. Bodies are
//! `application/x-www-form-urlencoded` with `week`; answers are JSON `{"ok": true, ...}` or
//! `{"ok": false, "error": "...", "fresh": {...}}` (409 for a stale edit, with the fresh state).
//!
//! | route | fields | does |
//! |---|---|---|
//! | `POST /api/pick` | `entry` | `roundup pick ENTRY` |
//! | `POST /api/unpick` | `entry` | `roundup unpick ENTRY` |
//! | `POST /api/skip` | `entry` | `roundup skip ENTRY` |
//! | `POST /api/edit-pick` | `entry`, `revision`, any of `lead`, `note`, `section`, `excerpt`, `excerpt_para` | `roundup pick ENTRY --lead … --excerpt-para …` |
//! | `POST /api/move` | `entry`, `position` | `roundup pick ENTRY --position N` |
//! | `POST /api/edit-roundup` | `revision`, any of `title`, `intro`, `outro`, `tags`, `categories` | `roundup edit …` |
//! | `POST /api/publish` | `confirm` (the week again) | `roundup publish` |
//! | `POST /api/push` | `status` (empty, `draft`, `pending`, `publish`), `overwrite` | `roundup push [--status S] [--overwrite]` |
//! | `POST /api/fetch` | | `roundup fetch --force`, in the background |
//! | `GET /api/fetch` | | its progress: `{"running", "done", "total", "failed", "message"}` |
//! | `GET /api/search?q=` | | the week's entry ids matching the words |
//! | `GET /api/paragraphs/ID` | | `roundup excerpts ID --json` |
//! | `GET /api/preview/ID` | | the item as the HTML draft renders it |
//! | `GET /api/draft` | | `{"html", "warnings"}`: the HTML draft and its lint |
//! | `GET /draft.md`, `GET /draft.html` | `download=1` | `roundup draft` to stdout |
//! | `GET /favicon.ico` | | `icon.svg`, for pages that do not name it (the draft downloads) |
//! | `GET /assets/NAME` | | the embedded stylesheet, script and icon (`desk.css`, `desk.js`, `icon.svg`) |

mod assets;
mod candidates;
mod feeds;
mod item;
mod post;
mod publish;
mod push;
mod security;
#[cfg(test)]
mod tests;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;

use crate::config::Config;
use crate::fetch::Fetcher;
use crate::model::FeedId;
use crate::store::{PickError, Store, StoreError};
use crate::week::IsoWeek;

pub(crate) use security::{Access, hash_password};

/// How often a busy database is tried again before the editor is told (each try already waits
/// out the store's busy timeout).
const BUSY_TRIES: u32 = 3;

/// Everything a request may need: the configuration, the week, the database, the feeds' client.
pub(crate) struct DeskState {
    pub(crate) config: Config,
    /// The week pages show without `?week=`.
    pub(crate) week: IsoWeek,
    pub(crate) db_path: PathBuf,
    /// The feeds' client, for article pages and "fetch now".
    pub(crate) fetcher: Arc<Fetcher>,
    /// Each feed's poll interval, for "fetch now".
    pub(crate) intervals: Vec<(FeedId, Duration)>,
    /// Idle database connections (opened on demand; SQLite serialises the writers).
    pool: Mutex<Vec<Store>>,
    pages: assets::Pages,
    guard: security::Guard,
    fetch: Mutex<feeds::FetchStatus>,
    /// The candidates' openings made so far, by entry, with the content hash they were made
    /// from: making them means unpacking every entry's stored body, most of a big week's page.
    openings: Mutex<std::collections::HashMap<crate::model::EntryId, (String, String)>>,
}

/// How `roundup desk` was asked to run.
pub(crate) struct DeskOptions {
    pub(crate) config: Config,
    pub(crate) week: IsoWeek,
    pub(crate) db_path: PathBuf,
    pub(crate) fetcher: Fetcher,
    pub(crate) intervals: Vec<(FeedId, Duration)>,
    pub(crate) access: Access,
}

impl DeskState {
    /// The desk's state; reads the template overrides (`TEMPLATES/desk/`).
    pub(crate) fn new(options: DeskOptions) -> anyhow::Result<Arc<DeskState>> {
        let pages = assets::Pages::load(&options.config.roundup.templates.join("desk"))?;
        Ok(Arc::new(DeskState {
            week: options.week,
            db_path: options.db_path,
            fetcher: Arc::new(options.fetcher),
            intervals: options.intervals,
            pool: Mutex::new(Vec::new()),
            pages,
            guard: security::Guard::new(options.access),
            fetch: Mutex::new(feeds::FetchStatus::default()),
            openings: Mutex::new(std::collections::HashMap::new()),
            config: options.config,
        }))
    }

    /// Runs `work` on a blocking thread with a store, trying a busy database again
    /// ([`BUSY_TRIES`]) before answering 503.
    pub(crate) async fn db<T: Send + 'static>(
        self: &Arc<Self>,
        work: impl Fn(&mut Store) -> Result<T, DeskError> + Send + 'static,
    ) -> Result<T, DeskError> {
        let state = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut store = state.take_store()?;
            let mut tries = 0;
            let result = loop {
                tries += 1;
                match work(&mut store) {
                    Err(e) if e.busy && tries < BUSY_TRIES => {
                        std::thread::sleep(Duration::from_millis(100));
                    }
                    other => break other,
                }
            };
            state.pool.lock().unwrap_or_else(|p| p.into_inner()).push(store);
            result
        })
        .await
        .map_err(|e| DeskError::internal(format!("the request failed: {e}")))?
    }

    fn take_store(&self) -> Result<Store, DeskError> {
        if let Some(s) = self.pool.lock().unwrap_or_else(|p| p.into_inner()).pop() {
            return Ok(s);
        }
        Ok(Store::open(&self.db_path)?)
    }

    /// The week named by `?week=`, else the desk's.
    pub(crate) fn week_of(&self, asked: Option<&str>) -> Result<IsoWeek, DeskError> {
        match asked.map(str::trim).filter(|w| !w.is_empty()) {
            Some(w) => IsoWeek::parse(w).map_err(|m| DeskError::bad_request(format!("week: {m}"))),
            None => Ok(self.week),
        }
    }
}

/// The desk's routes, with the security layer around them.
pub(crate) fn router(state: Arc<DeskState>) -> Router {
    Router::new()
        .route("/", get(candidates::page))
        .route("/item/{entry}", get(item::page))
        .route("/post", get(post::page))
        .route("/feeds", get(feeds::page))
        .route("/draft.md", get(post::draft_markdown))
        .route("/draft.html", get(post::draft_html))
        .route("/assets/{name}", get(assets::asset))
        .route("/favicon.ico", get(assets::favicon))
        .route("/login", get(security::login_page).post(security::login))
        .route("/logout", post(security::logout))
        .route("/api/search", get(candidates::search))
        .route("/api/pick", post(candidates::pick))
        .route("/api/unpick", post(candidates::unpick))
        .route("/api/skip", post(candidates::skip))
        .route("/api/paragraphs/{entry}", get(item::paragraphs))
        .route("/api/preview/{entry}", get(item::preview))
        .route("/api/edit-pick", post(item::edit_pick))
        .route("/api/draft", get(post::draft_json))
        .route("/api/move", post(post::move_pick))
        .route("/api/edit-roundup", post(post::edit_roundup))
        .route("/api/publish", post(publish::publish))
        .route("/api/push", post(push::push))
        .route("/api/fetch", get(feeds::fetch_status).post(feeds::fetch_now))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), security::guard))
        .with_state(state)
}

async fn not_found() -> DeskError {
    DeskError::not_found("no such page".to_string()).page()
}

/// Serves the desk on `listener` within `limits` until `stop` resolves, on `roundup serve`'s
/// accept loop ([`crate::serve::serve_connections`]: the header timeout, the connection cap and
/// the graceful stop are the same); each request carries its peer's address as
/// [`axum::extract::ConnectInfo`] (for the login's rate limit).
pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<DeskState>,
    limits: crate::serve::Limits,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = hyper_util::service::TowerToHyperService::new(router(state));
    crate::serve::serve_connections(listener, limits, stop, move |peer| {
        let app = app.clone();
        hyper::service::service_fn(move |mut req: axum::http::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(axum::extract::ConnectInfo(peer));
            hyper::service::Service::call(&app, req)
        })
    })
    .await
}

/// A refusal or failure, as the editor sees it: JSON for the API, a page for a page.
#[derive(Debug)]
pub(crate) struct DeskError {
    status: StatusCode,
    message: String,
    /// The fresh state, for a stale edit (409).
    fresh: Option<serde_json::Value>,
    /// Answer with an HTML page instead of JSON.
    html: bool,
    /// A busy database: tried again by [`DeskState::db`].
    busy: bool,
}

impl DeskError {
    fn new(status: StatusCode, message: String) -> DeskError {
        DeskError { status, message, fresh: None, html: false, busy: false }
    }

    pub(crate) fn bad_request(message: String) -> DeskError {
        DeskError::new(StatusCode::BAD_REQUEST, message)
    }

    pub(crate) fn not_found(message: String) -> DeskError {
        DeskError::new(StatusCode::NOT_FOUND, message)
    }

    pub(crate) fn forbidden(message: &str) -> DeskError {
        DeskError::new(StatusCode::FORBIDDEN, message.to_string())
    }

    pub(crate) fn conflict(message: String, fresh: serde_json::Value) -> DeskError {
        DeskError { fresh: Some(fresh), ..DeskError::new(StatusCode::CONFLICT, message) }
    }

    /// A push the blog's side refused or damaged (409): the message says what and why.
    pub(crate) fn refused(message: String) -> DeskError {
        DeskError::new(StatusCode::CONFLICT, message)
    }

    /// The blog said no or could not be reached (502).
    pub(crate) fn bad_gateway(message: String) -> DeskError {
        DeskError::new(StatusCode::BAD_GATEWAY, message)
    }

    pub(crate) fn internal(message: String) -> DeskError {
        DeskError::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }

    /// The same error, answered as an HTML page.
    pub(crate) fn page(self) -> DeskError {
        DeskError { html: true, ..self }
    }

    /// Whether it is a stale edit (to be answered with the fresh state).
    pub(crate) fn is_stale(&self) -> bool {
        self.status == StatusCode::CONFLICT
    }
}

impl From<StoreError> for DeskError {
    fn from(e: StoreError) -> DeskError {
        if e.is_busy() {
            let message = "the database is busy (another roundup command is writing to it); \
                           nothing was changed, try again in a moment"
                .to_string();
            return DeskError {
                busy: true,
                ..DeskError::new(StatusCode::SERVICE_UNAVAILABLE, message)
            };
        }
        if let StoreError::Stale { what, .. } = &e {
            return DeskError::new(
                StatusCode::CONFLICT,
                format!(
                    "Not saved: {what} was changed elsewhere (another tab, the picker or the \
                     command line) since this page was loaded. The form now shows what is stored."
                ),
            );
        }
        DeskError::internal(crate::error_chain::one_line(&e))
    }
}

impl From<PickError> for DeskError {
    fn from(e: PickError) -> DeskError {
        match e {
            PickError::Store(e) => e.into(),
            PickError::NoEntry(_) => DeskError::not_found(e.to_string()),
            PickError::NotPicked { .. } => DeskError::new(StatusCode::CONFLICT, e.to_string()),
        }
    }
}

impl From<anyhow::Error> for DeskError {
    fn from(e: anyhow::Error) -> DeskError {
        DeskError::internal(crate::error_chain::one_line(e.as_ref()))
    }
}

impl IntoResponse for DeskError {
    fn into_response(self) -> Response {
        if self.html {
            let body = format!(
                "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>roundup desk</title>\
                 <link rel=\"icon\" href=\"/assets/icon.svg\" type=\"image/svg+xml\">\
                 <link rel=\"stylesheet\" href=\"/assets/desk.css\"><body data-page=\"error\">\
                 <main class=\"error-page\"><h1>{}</h1><p id=\"error\">{}</p><p><a href=\"/\">Back to the candidates</a></p></main>",
                self.status.as_u16(),
                html_escape::encode_text(&self.message)
            );
            return (self.status, Html(body)).into_response();
        }
        #[derive(Serialize)]
        struct Body<'a> {
            ok: bool,
            error: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            fresh: &'a Option<serde_json::Value>,
        }
        let body = Body { ok: false, error: &self.message, fresh: &self.fresh };
        (self.status, axum::Json(body)).into_response()
    }
}

/// `{"ok": true, ...fields}`.
pub(crate) fn ok_json(fields: serde_json::Value) -> Response {
    let mut body = serde_json::json!({ "ok": true });
    if let (Some(to), serde_json::Value::Object(from)) = (body.as_object_mut(), fields) {
        to.extend(from);
    }
    axum::Json(body).into_response()
}

/// What every page's header and footer need.
#[derive(Debug, Serialize)]
pub(crate) struct Chrome {
    /// The page's name, as `<body data-page>`.
    pub page: &'static str,
    /// The page's title.
    pub title: &'static str,
    /// Where the week arrows lead (the same page of another week; the candidates from an item).
    pub path: &'static str,
    pub week: String,
    /// The week's days, e.g. `23 – 29 November 2026`.
    pub dates: String,
    pub previous_week: String,
    pub next_week: String,
    pub csrf: String,
    /// A password is set: show "log out".
    pub logged_in: bool,
    pub site: String,
}

impl DeskState {
    pub(crate) fn chrome(&self, page: &'static str, week: IsoWeek, csrf: String) -> Chrome {
        let (title, path) = match page {
            "post" => ("The post", "/post"),
            "feeds" => ("Feeds", "/feeds"),
            "item" => ("Item", "/"),
            _ => ("Candidates", "/"),
        };
        Chrome {
            page,
            title,
            path,
            week: week.to_string(),
            dates: crate::render::view::week_dates(&week.to_string()),
            previous_week: week.previous().to_string(),
            next_week: week.next().to_string(),
            csrf,
            logged_in: self.guard.has_password(),
            site: self.config.roundup.site_name.clone(),
        }
    }
}
