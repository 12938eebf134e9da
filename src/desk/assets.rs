//! The desk's templates and assets: the files of the repository's `templates/desk/`, embedded
//! in the binary, each replaced by the file of the same name in the configured templates
//! folder's `desk/` (as the draft templates are, file by file). Assets are served from this
//! fixed map by name: no path from a URL ever reaches the file system.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use handlebars::Handlebars;
use serde::Serialize;

use super::{DeskError, DeskState};

/// The page templates: `NAME.html.hbs`, rendered as page `NAME`; `head` and `foot` are the
/// partials every page opens and closes with.
const TEMPLATES: &[(&str, &str)] = &[
    ("head", include_str!("../../templates/desk/head.html.hbs")),
    ("foot", include_str!("../../templates/desk/foot.html.hbs")),
    ("candidates", include_str!("../../templates/desk/candidates.html.hbs")),
    ("candidate", include_str!("../../templates/desk/candidate.html.hbs")),
    ("item", include_str!("../../templates/desk/item.html.hbs")),
    ("post", include_str!("../../templates/desk/post.html.hbs")),
    ("feeds", include_str!("../../templates/desk/feeds.html.hbs")),
    ("login", include_str!("../../templates/desk/login.html.hbs")),
];

/// The assets, by the name they are served under (`/assets/NAME`), with their type.
const ASSETS: &[(&str, &str, &str)] = &[
    ("desk.css", "text/css; charset=utf-8", include_str!("../../templates/desk/desk.css")),
    ("desk.js", "text/javascript; charset=utf-8", include_str!("../../templates/desk/desk.js")),
    // The tab's icon (the desk's "r" mark), so browsers do not ask for /favicon.ico.
    ("icon.svg", "image/svg+xml", include_str!("../../templates/desk/icon.svg")),
];

/// The compiled templates and the assets.
pub(crate) struct Pages {
    hb: Handlebars<'static>,
    /// The templates replaced by a file of the templates folder.
    overridden: HashSet<&'static str>,
    assets: HashMap<&'static str, (&'static str, String)>,
}

impl Pages {
    /// The built-in files, each replaced by its namesake in `dir` when there is one (a missing
    /// `dir` means the built-ins). A template that does not compile is an error naming its file.
    pub(crate) fn load(dir: &Path) -> anyhow::Result<Pages> {
        let read = |file: &str| -> anyhow::Result<Option<String>> {
            let path = dir.join(file);
            match std::fs::read_to_string(&path) {
                Ok(text) => Ok(Some(text)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(anyhow::anyhow!("cannot read {}: {e}", path.display())),
            }
        };
        let mut hb = Handlebars::new();
        hb.set_strict_mode(true);
        let mut overridden = HashSet::new();
        for (name, built_in) in TEMPLATES {
            let file = format!("{name}.html.hbs");
            let (text, shown) = match read(&file)? {
                Some(text) => {
                    overridden.insert(*name);
                    (text, dir.join(&file).display().to_string())
                }
                None => (built_in.to_string(), format!("templates/desk/{file} (built-in)")),
            };
            hb.register_template_string(name, text).map_err(|e| anyhow::anyhow!("{shown}: {e}"))?;
        }
        let mut assets = HashMap::new();
        for (name, mime, built_in) in ASSETS {
            let text = read(name)?.unwrap_or_else(|| built_in.to_string());
            assets.insert(*name, (*mime, text));
        }
        Ok(Pages { hb, overridden, assets })
    }

    /// Page `name` over `view`.
    pub(crate) fn render(&self, name: &str, view: &impl Serialize) -> Result<String, DeskError> {
        self.hb
            .render(name, view)
            .map_err(|e| DeskError::internal(format!("template desk/{name}.html.hbs: {e}")))
    }

    /// Every one of `rows` rendered by template `name`, one after another, into one string of
    /// about `row_size` bytes a row. The built-in template is not run: `by_hand` writes what it
    /// would (each caller's unit test checks that byte for byte); a template from the
    /// templates folder is rendered row by row.
    pub(crate) fn render_rows<T: Serialize>(
        &self,
        name: &str,
        rows: &[T],
        row_size: usize,
        by_hand: fn(&mut String, &T),
    ) -> Result<String, DeskError> {
        let mut out = String::with_capacity(rows.len().saturating_mul(row_size));
        if self.overridden.contains(name) {
            for row in rows {
                out.push_str(&self.render(name, row)?);
            }
        } else {
            for row in rows {
                by_hand(&mut out, row);
            }
        }
        Ok(out)
    }
}

/// Appends `text` escaped exactly as the desk's templates escape `{{field}}` (handlebars'
/// `html_escape`: `&<>"'`, backquote and `=`), without a string of its own.
pub(crate) fn push_escaped(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(at) = rest.find(['<', '>', '"', '&', '\'', '`', '=']) {
        out.push_str(&rest[..at]);
        out.push_str(match rest.as_bytes()[at] {
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'&' => "&amp;",
            b'\'' => "&#x27;",
            b'`' => "&#x60;",
            _ => "&#x3D;",
        });
        rest = &rest[at + 1..];
    }
    out.push_str(rest);
}

/// `GET /favicon.ico`: the icon (`icon.svg`), for the pages that do not name it, such as the
/// HTML draft; browsers ask for it and log a 404.
pub(crate) async fn favicon(State(state): State<Arc<DeskState>>) -> Response {
    serve_asset(&state, "icon.svg")
}

/// `GET /assets/NAME`: one of the embedded assets, or 404.
pub(crate) async fn asset(
    State(state): State<Arc<DeskState>>,
    UrlPath(name): UrlPath<String>,
) -> Response {
    serve_asset(&state, &name)
}

fn serve_asset(state: &DeskState, name: &str) -> Response {
    match state.pages.assets.get(name) {
        Some((mime, text)) => {
            let mut r = text.clone().into_response();
            r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
            r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            r
        }
        None => DeskError::not_found("no such asset".into()).into_response(),
    }
}
