//! `POST /api/publish`: publishes the week, as `roundup publish` does (the same function,
//! `app::publish::publish_week`), once the editor has confirmed by typing the week again.
//! "Push to the blog" (issue 13) goes beside it, in `#push` on the post page.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;

use super::{DeskError, DeskState, ok_json};
use crate::atomic_write::Wrote;
use crate::store::Store;

#[derive(Deserialize)]
pub(crate) struct PublishForm {
    week: Option<String>,
    /// The week typed again: the confirmation.
    #[serde(default)]
    confirm: String,
}

/// `POST /api/publish`.
pub(crate) async fn publish(
    State(state): State<Arc<DeskState>>,
    axum::Form(form): axum::Form<PublishForm>,
) -> Result<Response, DeskError> {
    let week = state.week_of(form.week.as_deref())?;
    if form.confirm.trim() != week.to_string() {
        return Err(DeskError::bad_request(format!(
            "to publish, type the week ({week}) in the confirmation box; nothing was published"
        )));
    }
    let st = state.clone();
    let report = tokio::task::spawn_blocking(move || {
        crate::app::publish::publish_week(&st.config, &st.db_path, week, || {
            Ok(Store::open(&st.db_path)?)
        })
    })
    .await
    .map_err(|e| DeskError::internal(format!("the publish failed: {e}")))?
    .map_err(|e| DeskError::bad_request(crate::error_chain::one_line(e.as_ref())))?;
    let written = report.written.iter().filter(|(_, w)| matches!(w, Wrote::Written)).count();
    let p = &report.outcome.published;
    let what = if report.outcome.republished { "Re-published" } else { "Published" };
    Ok(ok_json(serde_json::json!({
        "message": format!(
            "{what} {week} ({} links): {written} files written, {} unchanged, in {}.",
            p.snapshot.items.len(),
            report.written.len() - written,
            state.config.roundup.public.display()
        ),
    })))
}
