//! `/api/v1/users/me`: the signed-in user's profile.

use crate::auth::extract::{AppJson, AuthUser};
use crate::db;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use protocol::validate::{self, Checker};
use protocol::{UpdateMeRequest, User};

#[utoipa::path(
    get, path = "/users/me", tag = "auth",
    security(("cookie" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "The signed-in user", body = User),
        (status = 401, description = "Not signed in", body = protocol::ErrorBody),
        (status = 503, description = "Busy or timed out (Retry-After)", body = protocol::ErrorBody),
    )
)]
pub async fn me(State(state): State<AppState>, AuthUser(id): AuthUser) -> AppResult<Json<User>> {
    let row = db::users::by_id(&state.db, &id)
        .await?
        .ok_or(AppError::Unauthorized("Account no longer exists."))?;
    Ok(Json(row.to_user()))
}

#[utoipa::path(
    patch, path = "/users/me", tag = "auth",
    security(("cookie" = []), ("bearer" = [])),
    request_body = protocol::UpdateMeRequest,
    responses(
        (status = 200, description = "Updated profile", body = User),
        (status = 400, description = "Malformed JSON body", body = protocol::ErrorBody),
        (status = 403, description = "Cross-site request (Origin)", body = protocol::ErrorBody),
        (status = 401, description = "Not signed in", body = protocol::ErrorBody),
        (status = 422, description = "Field errors", body = protocol::ErrorBody),
        (status = 503, description = "Busy or timed out (Retry-After)", body = protocol::ErrorBody),
    )
)]
pub async fn update_me(
    State(state): State<AppState>,
    AuthUser(id): AuthUser,
    AppJson(req): AppJson<UpdateMeRequest>,
) -> AppResult<Json<User>> {
    let mut check = Checker::new();
    let name = req
        .display_name
        .as_deref()
        .and_then(|name| check.check("display_name", validate::display_name(name)));
    check.finish().map_err(AppError::Validation)?;
    let mut row = None;
    if let Some(name) = name {
        row = db::users::set_display_name(&state.db, &id, &name).await?;
    }
    if let Some(theme) = req.theme {
        row = db::users::set_theme(&state.db, &id, theme).await?;
    }
    let row = match row {
        Some(row) => Some(row),
        None => db::users::by_id(&state.db, &id).await?,
    };
    let row = row.ok_or(AppError::Unauthorized("Account no longer exists."))?;
    Ok(Json(row.to_user()))
}
