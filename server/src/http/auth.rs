//! `/api/v1/auth`: register, login, refresh, logout.

use crate::auth::client_addr::ClientAddr;
use crate::auth::cookies::{self, REFRESH_COOKIE};
use crate::auth::extract::AppJson;
use crate::auth::session::{RefreshError, Session};
use crate::db::{self, DbError};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use protocol::validate::{self, Checker};
use protocol::{LoginRequest, RegisterRequest, User};
use std::time::Instant;

fn with_session(state: &AppState, status: StatusCode, user: User, session: &Session) -> Response {
    let mut response = (status, Json(user)).into_response();
    for cookie in state.cookie_policy().set(session) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

pub(crate) fn throttle_check(state: &AppState, client: ClientAddr) -> AppResult<()> {
    state
        .throttle
        .check(client.0, Instant::now())
        .map_err(|retry_after_secs| {
            tracing::info!(client = %client.redacted(), "auth attempts throttled");
            metrics::counter!("auth_throttled_total").increment(1);
            AppError::RateLimited { retry_after_secs }
        })
}

pub(crate) fn throttle_fail(state: &AppState, client: ClientAddr) {
    state.throttle.record_failure(client.0, Instant::now());
}

pub async fn register(
    State(state): State<AppState>,
    client: ClientAddr,
    AppJson(req): AppJson<RegisterRequest>,
) -> AppResult<Response> {
    throttle_check(&state, client)?;
    let mut check = Checker::new();
    let email = check.check("email", validate::email(&req.email));
    check.check("password", validate::password(&req.password));
    let name = check.check("display_name", validate::display_name(&req.display_name));
    if let Err(fields) = check.finish() {
        throttle_fail(&state, client);
        return Err(AppError::Validation(fields));
    }
    let (email, name) = (email.unwrap_or_default(), name.unwrap_or_default());
    let hash = state
        .hasher
        .hash(&req.password)
        .await
        .map_err(AppError::Internal)?;
    let row = match db::users::create(&state.db, &email, &name, &hash).await {
        Ok(row) => row,
        Err(DbError::Duplicate) => {
            throttle_fail(&state, client);
            return Err(AppError::Conflict {
                message: "An account with this email already exists.",
                field: Some("email"),
            });
        }
        Err(e) => return Err(e.into()),
    };
    let session = state.sessions().start(&row.user_id()).await?;
    metrics::counter!("auth_registrations_total").increment(1);
    tracing::info!(user = %row.user_id(), "account registered");
    Ok(with_session(
        &state,
        StatusCode::CREATED,
        row.to_user(),
        &session,
    ))
}

pub async fn login(
    State(state): State<AppState>,
    client: ClientAddr,
    AppJson(req): AppJson<LoginRequest>,
) -> AppResult<Response> {
    throttle_check(&state, client)?;
    let mut check = Checker::new();
    let email = check.check("email", validate::email(&req.email));
    if req.password.is_empty() {
        check.add("password", "Enter your password.");
    }
    if let Err(fields) = check.finish() {
        return Err(AppError::Validation(fields));
    }
    let row = db::users::by_email(&state.db, &email.unwrap_or_default()).await?;
    let stored = row.as_ref().map(|r| r.password_hash.as_str());
    if !state.hasher.verify(&req.password, stored).await {
        throttle_fail(&state, client);
        metrics::counter!("auth_login_failures_total").increment(1);
        return Err(AppError::Unauthorized("Wrong email or password."));
    }
    let row = row.expect("verify returns true only for an existing account");
    let session = state.sessions().start(&row.user_id()).await?;
    metrics::counter!("auth_logins_total").increment(1);
    Ok(with_session(
        &state,
        StatusCode::OK,
        row.to_user(),
        &session,
    ))
}

pub async fn refresh(State(state): State<AppState>, headers: HeaderMap) -> AppResult<Response> {
    let presented =
        cookies::read(&headers, REFRESH_COOKIE).ok_or(AppError::Unauthorized("Not signed in."))?;
    let session = match state.sessions().rotate(presented).await {
        Ok(session) => session,
        Err(RefreshError::Reused) => {
            metrics::counter!("auth_refresh_reuse_total").increment(1);
            tracing::warn!("refresh token reused; family revoked");
            return Err(AppError::Unauthorized("Session expired. Sign in again."));
        }
        Err(RefreshError::Invalid) => {
            return Err(AppError::Unauthorized("Session expired. Sign in again."));
        }
        Err(RefreshError::Db(e)) => return Err(e.into()),
    };
    let row = db::users::by_id(&state.db, &session.user)
        .await?
        .ok_or(AppError::Unauthorized("Account no longer exists."))?;
    Ok(with_session(
        &state,
        StatusCode::OK,
        row.to_user(),
        &session,
    ))
}

pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> AppResult<Response> {
    if let Some(presented) = cookies::read(&headers, REFRESH_COOKIE) {
        state.sessions().revoke(presented).await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    for cookie in state.cookie_policy().clear() {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Ok(response)
}
