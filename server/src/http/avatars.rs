//! Profile pictures: `PUT`/`DELETE /api/v1/users/me/avatar` for the signed-in user, and
//! `GET /api/v1/avatars/{user}` to show one (on tiles, in the participant list, the header).

use crate::auth::extract::AuthUser;
use crate::avatar::{self, AvatarError};
use crate::db;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use protocol::{User, UserId};
use serde::Deserialize;
use tokio::sync::Semaphore;

/// Decoding a large photo takes a core and up to ~200 MB for a moment: one at a time.
static DECODING: Semaphore = Semaphore::const_new(1);
/// Uploads whose body is being read into memory at once (each up to `avatar::MAX_BYTES`):
/// a place is taken before the body is read, so parallel uploads hold at most this many
/// bodies (20 MB), not one per request (`AppState::avatar_uploads`).
pub const UPLOADS_AT_ONCE: usize = 4;

impl From<AvatarError> for AppError {
    fn from(err: AvatarError) -> Self {
        let message = err.message();
        match err {
            AvatarError::TooManyBytes | AvatarError::TooManyPixels => AppError::TooLarge(message),
            AvatarError::WrongType | AvatarError::Unreadable => AppError::Unsupported(message),
        }
    }
}

#[utoipa::path(
    put, path = "/users/me/avatar", tag = "auth",
    security(("cookie" = []), ("bearer" = [])),
    request_body(content = Vec<u8>, description = "A PNG, JPEG or WebP picture, at most 5 MB and 40 megapixels; the type is read from the bytes", content_type = "application/octet-stream"),
    responses(
        (status = 200, description = "The profile with its new `avatar` path", body = User),
        (status = 400, description = "The body could not be read", body = protocol::ErrorBody),
        (status = 401, description = "Not signed in", body = protocol::ErrorBody),
        (status = 403, description = "Cross-site request (Origin)", body = protocol::ErrorBody),
        (status = 413, description = "Over 5 MB, or too many pixels", body = protocol::ErrorBody),
        (status = 415, description = "Not a PNG, JPEG or WebP picture, or unreadable", body = protocol::ErrorBody),
        (status = 503, description = "Busy or timed out (Retry-After)", body = protocol::ErrorBody),
    )
)]
pub async fn upload(
    State(state): State<AppState>,
    AuthUser(id): AuthUser,
    headers: HeaderMap,
    body: Body,
) -> AppResult<Json<User>> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > avatar::MAX_BYTES) {
        return Err(AvatarError::TooManyBytes.into());
    }
    let _receiving = state
        .avatar_uploads
        .try_acquire()
        .map_err(|_| AppError::Busy {
            retry_after_secs: 1,
        })?;
    let mut bytes = Vec::with_capacity(declared.unwrap_or(0));
    let mut chunks = body.into_data_stream();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|_| {
            AppError::BadRequest(
                "The picture could not be read: the upload broke off or took too long.".into(),
            )
        })?;
        if bytes.len() + chunk.len() > avatar::MAX_BYTES {
            return Err(AvatarError::TooManyBytes.into());
        }
        bytes.extend_from_slice(&chunk);
    }
    let rendition = {
        let _turn = DECODING
            .acquire()
            .await
            .map_err(|_| AppError::Internal("avatar decoding closed".into()))?;
        tokio::task::spawn_blocking(move || avatar::render(&bytes))
            .await
            .map_err(|err| AppError::Internal(format!("avatar render: {err}")))??
    };
    let row = db::avatars::set(&state.db, &id, rendition.jpeg, &rendition.version)
        .await?
        .ok_or(AppError::Unauthorized("Account no longer exists."))?;
    Ok(Json(row.to_user()))
}

#[utoipa::path(
    delete, path = "/users/me/avatar", tag = "auth",
    security(("cookie" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "The profile without a picture", body = User),
        (status = 401, description = "Not signed in", body = protocol::ErrorBody),
        (status = 403, description = "Cross-site request (Origin)", body = protocol::ErrorBody),
    )
)]
pub async fn remove(
    State(state): State<AppState>,
    AuthUser(id): AuthUser,
) -> AppResult<Json<User>> {
    let row = db::avatars::remove(&state.db, &id)
        .await?
        .ok_or(AppError::Unauthorized("Account no longer exists."))?;
    Ok(Json(row.to_user()))
}

#[derive(Deserialize)]
pub struct Version {
    v: Option<String>,
}

#[utoipa::path(
    get, path = "/avatars/{user}", tag = "auth",
    params(
        ("user" = String, Path, description = "User id"),
        ("v" = Option<String>, Query, description = "Picture version; with the current one the answer may be cached for good"),
    ),
    responses(
        (status = 200, description = "The picture (image/jpeg, 256 × 256)", content_type = "image/jpeg"),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 404, description = "No picture", body = protocol::ErrorBody),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    Path(user): Path<String>,
    Query(version): Query<Version>,
    headers: HeaderMap,
) -> AppResult<Response> {
    if user.is_empty() || user.len() > 64 || !user.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(AppError::NotFound("No such picture."));
    }
    let row = db::avatars::get(&state.db, &UserId(user))
        .await?
        .ok_or(AppError::NotFound("No such picture."))?;
    let etag = format!("\"{}\"", row.version);
    // A URL naming the current version never changes; any other is revalidated each time.
    let cache = if version.v.as_deref() == Some(row.version.as_str()) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let headers_out = [
        (
            header::ETAG,
            HeaderValue::from_str(&etag).expect("hex digits are a valid header"),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
    ];
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.split(',').any(|tag| tag.trim() == etag));
    if fresh {
        return Ok((StatusCode::NOT_MODIFIED, headers_out).into_response());
    }
    Ok((
        headers_out,
        [(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"))],
        row.jpeg.into_inner(),
    )
        .into_response())
}
