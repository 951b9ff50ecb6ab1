//! `/api/v1/users/me`: the signed-in user's profile.

use crate::auth::extract::{AppJson, AuthUser};
use crate::db;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use protocol::validate::{self, Checker};
use protocol::{UpdateMeRequest, User};

pub async fn me(State(state): State<AppState>, AuthUser(id): AuthUser) -> AppResult<Json<User>> {
    let row = db::users::by_id(&state.db, &id)
        .await?
        .ok_or(AppError::Unauthorized("Account no longer exists."))?;
    Ok(Json(row.to_user()))
}

pub async fn update_me(
    State(state): State<AppState>,
    AuthUser(id): AuthUser,
    AppJson(req): AppJson<UpdateMeRequest>,
) -> AppResult<Json<User>> {
    let mut check = Checker::new();
    let name = check.check("display_name", validate::display_name(&req.display_name));
    check.finish().map_err(AppError::Validation)?;
    let row = db::users::set_display_name(&state.db, &id, &name.unwrap_or_default())
        .await?
        .ok_or(AppError::Unauthorized("Account no longer exists."))?;
    Ok(Json(row.to_user()))
}
