//! `GET /api/v1/meetings/{code}/invite.ics`: a scheduled meeting as a calendar event, for its
//! host to add to a calendar or send on (see `meetings::ics`).

use super::meetings::find_hosted;
use crate::auth::extract::AuthUser;
use crate::db;
use crate::error::{AppError, AppResult};
use crate::meetings::ics;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

#[utoipa::path(
    get, path = "/meetings/{code}/invite.ics", tag = "meetings",
    security(("cookie" = []), ("bearer" = [])),
    params(("code" = String, Path, description = "Meeting code, e.g. abc-defg-hij")),
    responses(
        (status = 200, description = "An iCalendar file (text/calendar) with one event", content_type = "text/calendar"),
        (status = 400, description = "Malformed path", body = protocol::ErrorBody),
        (status = 401, description = "Not signed in", body = protocol::ErrorBody),
        (status = 403, description = "Not the host", body = protocol::ErrorBody),
        (status = 404, description = "No meeting with this code", body = protocol::ErrorBody),
        (status = 409, description = "The meeting has no start time", body = protocol::ErrorBody),
        (status = 503, description = "Busy or timed out (Retry-After)", body = protocol::ErrorBody),
    )
)]
pub async fn invite(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let row = find_hosted(
        &state,
        &code,
        &user,
        "Only the host can download this meeting's invitation.",
    )
    .await?;
    let host = db::users::by_id(&state.db, &user)
        .await?
        .ok_or(AppError::NotFound("No such account."))?;
    let Some(body) = ics::of_meeting(
        &row,
        &host,
        &state.config.public_url(),
        false,
        None,
        &host.email,
    ) else {
        return Err(AppError::Conflict {
            message: "This meeting has no start time, so there is nothing to put in a calendar.",
            field: None,
        });
    };
    let disposition = format!("attachment; filename=\"{}.ics\"", row.code);
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "text/calendar; charset=utf-8".to_owned(),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}
