//! `GET /api/v1/meetings/{code}/invite.ics`: a scheduled meeting as a calendar event, for its
//! host to add to a calendar or send on (see `meetings::ics`).

use super::meetings::find_hosted;
use crate::auth::extract::AuthUser;
use crate::db;
use crate::error::{AppError, AppResult};
use crate::meetings::ics::{self, Invite};
use crate::meetings::to_meeting;
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
    let Some(starts_at) = row.starts_at else {
        return Err(AppError::Conflict {
            message: "This meeting has no start time, so there is nothing to put in a calendar.",
            field: None,
        });
    };
    let host = db::users::by_id(&state.db, &user)
        .await?
        .ok_or(AppError::NotFound("No such account."))?;
    let public_url = state.config.public_url();
    let domain = public_url
        .split("://")
        .nth(1)
        .unwrap_or(&public_url)
        .split(['/', ':'])
        .next()
        .unwrap_or("localhost")
        .to_owned();
    let url = to_meeting(&row, &public_url).join_url;
    let key = db::key_of(&row.id);
    let body = ics::calendar(&Invite {
        key: &key,
        domain: &domain,
        title: &row.title,
        starts_at,
        duration_minutes: row.duration_minutes,
        join_url: &url,
        organizer_name: &host.display_name,
        organizer_email: &host.email,
        sequence: row.sequence.unwrap_or(0).clamp(0, u32::MAX as i64) as u32,
        cancelled: false,
    });
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
