//! `GET /api/v1/meetings/{code}/chat`: a meeting's chat for its host, as JSON or as text to
//! download. Only what was said to everyone: private messages stay between their two people.

use super::meetings::find_hosted;
use crate::auth::extract::AuthUser;
use crate::db;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use protocol::room::{ChatLog, ChatMessage};

#[utoipa::path(
    get, path = "/meetings/{code}/chat", tag = "meetings",
    security(("cookie" = []), ("bearer" = [])),
    params(
        ("code" = String, Path, description = "Meeting code, e.g. abc-defg-hij"),
        ("format" = Option<String>, Query, description = "`json` (the default) or `text`: a file to download"),
    ),
    responses(
        (status = 200, description = "What was said to everyone, oldest first", body = ChatLog),
        (status = 400, description = "Unknown format or malformed path", body = protocol::ErrorBody),
        (status = 401, description = "Not signed in", body = protocol::ErrorBody),
        (status = 403, description = "Not the host", body = protocol::ErrorBody),
        (status = 404, description = "No meeting with this code", body = protocol::ErrorBody),
        (status = 503, description = "Busy or timed out (Retry-After)", body = protocol::ErrorBody),
    )
)]
pub async fn chat_log(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(code): Path<String>,
    RawQuery(query): RawQuery,
) -> AppResult<Response> {
    let text = match query.as_deref().unwrap_or_default() {
        "" | "format=json" => false,
        "format=text" => true,
        _ => {
            return Err(AppError::BadRequest(
                "Ask for ?format=json or ?format=text.".into(),
            ));
        }
    };
    let row = find_hosted(
        &state,
        &code,
        &user,
        "Only the host can read this meeting's chat.",
    )
    .await?;
    let messages = db::chat::of_meeting(&state.db, &row.id).await?;
    if !text {
        return Ok(Json(ChatLog {
            title: row.title,
            messages,
        })
        .into_response());
    }
    let disposition = format!("attachment; filename=\"chat-{}.txt\"", row.code);
    Ok((
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        as_text(&row.title, &messages),
    )
        .into_response())
}

/// One line per message: `[2026-11-27 09:30:05 UTC] Name: text` (continuation lines indented).
pub fn as_text(title: &str, messages: &[ChatMessage]) -> String {
    let mut out = format!("Chat of \"{title}\"\n\n");
    for m in messages {
        let at = DateTime::<Utc>::from_timestamp_millis(m.at_ms)
            .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
            .unwrap_or_default();
        let text = m.text.replace('\n', "\n    ");
        out.push_str(&format!("[{at}] {}: {text}\n", m.from_name));
    }
    out
}
