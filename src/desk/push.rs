//! `POST /api/push`: the week's post to the blog of the `[blog]` table, as `roundup push` does
//! (the same function, `app::push::push_week`): a draft for a new post, the blog's own status
//! for an update unless `status` says otherwise, and a post changed or published on the blog
//! replaced only with `overwrite`. The credentials come from the desk's environment
//! (`ROUNDUP_BLOG_PASSWORD`, `ROUNDUP_BLOG_TOKEN`) or the `credentials` file, as for the
//! command; they never reach the page.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;

use super::{DeskError, DeskState, ok_json};
use crate::app::push::{PushFailure, PushOptions, Pushed, push_week};
use crate::push::decide::{Plan, Status};
use crate::store::Store;

#[derive(Deserialize)]
pub(crate) struct PushForm {
    week: Option<String>,
    /// `draft`, `pending` or `publish`; empty: as `roundup push` without `--status`.
    #[serde(default)]
    status: String,
    /// Any of `1`, `on`, `true`: as `--overwrite`.
    #[serde(default)]
    overwrite: String,
}

/// `POST /api/push`.
pub(crate) async fn push(
    State(state): State<Arc<DeskState>>,
    axum::Form(form): axum::Form<PushForm>,
) -> Result<Response, DeskError> {
    let week = state.week_of(form.week.as_deref())?;
    let status = match form.status.trim() {
        "" => None,
        "draft" => Some(Status::Draft),
        "pending" => Some(Status::Pending),
        "publish" => Some(Status::Publish),
        other => {
            return Err(DeskError::bad_request(format!(
                "unknown status {other:?}: draft, pending or publish (schedule with `roundup push \
                 --status future --date WHEN`); nothing was pushed"
            )));
        }
    };
    let overwrite = matches!(form.overwrite.trim(), "1" | "on" | "true");
    let Some(blog) = state.config.blog.clone() else {
        return Err(DeskError::bad_request(format!(
            "{} has no [blog] table: add one naming the blog to push to (README, \"Pushing to the \
             blog\"); nothing was pushed",
            state.config.path.display()
        )));
    };
    let credentials = crate::push::credentials::load(&blog, |k| std::env::var(k).ok())
        .map_err(|e| DeskError::bad_request(format!("{e}; nothing was pushed")))?;
    let options = PushOptions { status, date_gmt: None, dry_run: false, overwrite };
    let st = state.clone();
    let pushed = tokio::task::spawn_blocking(move || {
        let mut store = Store::open(&st.db_path).map_err(|e| PushFailure::Other(e.into()))?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| PushFailure::Other(e.into()))?;
        rt.block_on(push_week(&st.config, &blog, &credentials, &mut store, week, &options))
    })
    .await
    .map_err(|e| DeskError::internal(format!("the push failed: {e}")))?;
    match pushed {
        Ok(Pushed::Saved { plan, post, warnings }) => {
            let verb = if plan == Plan::Create { "created" } else { "updated" };
            Ok(ok_json(serde_json::json!({
                "message": format!(
                    "Pushed {week}: {verb} post {} ({}) on {}.",
                    post.id,
                    post.status,
                    post.link.as_deref().unwrap_or("the blog")
                ),
                "link": post.link,
                "warnings": warnings,
            })))
        }
        Ok(Pushed::DryRun { .. }) => Err(DeskError::internal("a dry run was not asked for".into())),
        Err(failure @ (PushFailure::Refused(_) | PushFailure::Stripped { .. })) => {
            Err(DeskError::refused(failure.to_string()))
        }
        Err(failure @ PushFailure::Blog(_)) => Err(DeskError::bad_gateway(failure.to_string())),
        Err(failure @ PushFailure::Other(_)) => Err(DeskError::bad_request(failure.to_string())),
    }
}
