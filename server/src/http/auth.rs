//! `/api/v1/auth`: register, login, refresh, logout.

use crate::auth::client_addr::ClientAddr;
use crate::auth::extract::AppJson;
use crate::auth::in_flight::Places;
use crate::auth::known_device;
use crate::auth::session::{RefreshError, Session};
use crate::auth::throttle::{Attempt, Key};
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

fn limited(retry_after_secs: u64, what: &'static str, client: ClientAddr) -> AppError {
    tracing::info!(client = %client.redacted(), what, "throttled");
    metrics::counter!("auth_throttled_total", "what" => what).increment(1);
    AppError::RateLimited { retry_after_secs }
}

/// Lets a guess through (counted against the client's address and `target`), or 429. The
/// caller calls `forgive` on the returned attempt when the guess was right (or never made).
pub(crate) fn guess(
    state: &AppState,
    client: ClientAddr,
    target: Option<Key>,
) -> AppResult<Attempt> {
    guess_from(state, client, target, &HeaderMap::new())
}

/// As `guess`, for a browser that may have got past `target` before: a known device
/// (`known_device`) is held by its address's budget only, so spending `target`'s shared budget
/// from elsewhere does not lock its owner out.
pub(crate) fn guess_from(
    state: &AppState,
    client: ClientAddr,
    target: Option<Key>,
    headers: &HeaderMap,
) -> AppResult<Attempt> {
    let target = target.filter(|t| !known_device::knows(&state.keys, headers, t));
    let keys = std::iter::once(Key::addr(client.0)).chain(target).collect();
    state
        .throttle
        .attempt(keys, Instant::now())
        .map_err(|secs| limited(secs, "guess", client))
}

/// A place in the password-check queue for this client and `target`, or 503: one address or
/// one account can hold only a couple, and a full queue refuses before any database work.
pub(crate) fn check_place(
    state: &AppState,
    client: ClientAddr,
    target: Option<Key>,
) -> AppResult<Places> {
    let busy = AppError::Busy {
        retry_after_secs: 1,
    };
    if state.hasher.is_busy() {
        return Err(busy);
    }
    let keys = std::iter::once(Key::addr(client.0)).chain(target).collect();
    state.in_flight.enter(keys).ok_or(busy)
}

/// The per-address request rate of registration, look-ups and join steps, or 429.
pub(crate) fn rate_limit(state: &AppState, client: ClientAddr) -> AppResult<()> {
    state
        .rate
        .attempt(vec![Key::addr(client.0)], Instant::now())
        .map(drop)
        .map_err(|secs| limited(secs, "rate", client))
}

#[utoipa::path(
    post, path = "/auth/register", tag = "auth",
    request_body = protocol::RegisterRequest,
    responses(
        (status = 201, description = "Registered and signed in (session cookies set)", body = User),
        (status = 400, description = "Malformed JSON body", body = protocol::ErrorBody),
        (status = 403, description = "Cross-site request (Origin)", body = protocol::ErrorBody),
        (status = 409, description = "Email already registered", body = protocol::ErrorBody),
        (status = 422, description = "Field errors", body = protocol::ErrorBody),
        (status = 429, description = "Too many attempts (Retry-After)", body = protocol::ErrorBody),
        (status = 503, description = "Busy or timed out (Retry-After)", body = protocol::ErrorBody),
    )
)]
pub async fn register(
    State(state): State<AppState>,
    client: ClientAddr,
    AppJson(req): AppJson<RegisterRequest>,
) -> AppResult<Response> {
    rate_limit(&state, client)?;
    // Every registration counts until it succeeds: taken emails are guesses too.
    let attempt = guess(&state, client, None)?;
    let mut check = Checker::new();
    let email = check.check("email", validate::email(&req.email));
    check.check("password", validate::password(&req.password));
    let name = check.check("display_name", validate::display_name(&req.display_name));
    if let Err(fields) = check.finish() {
        return Err(AppError::Validation(fields));
    }
    let (email, name) = (email.unwrap_or_default(), name.unwrap_or_default());
    let place = match check_place(&state, client, None) {
        Ok(place) => place,
        Err(busy) => {
            attempt.forgive();
            return Err(busy);
        }
    };
    let hash = state.hasher.hash(&req.password).await?;
    drop(place);
    let row = match db::users::create(&state.db, &email, &name, &hash).await {
        Ok(row) => row,
        Err(DbError::Duplicate) => {
            return Err(AppError::Conflict {
                message: "An account with this email already exists.",
                field: Some("email"),
            });
        }
        Err(e) => return Err(e.into()),
    };
    attempt.forgive();
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

#[utoipa::path(
    post, path = "/auth/login", tag = "auth",
    request_body = protocol::LoginRequest,
    responses(
        (status = 200, description = "Signed in (session cookies set)", body = User),
        (status = 400, description = "Malformed JSON body", body = protocol::ErrorBody),
        (status = 403, description = "Cross-site request (Origin)", body = protocol::ErrorBody),
        (status = 401, description = "Wrong email or password", body = protocol::ErrorBody),
        (status = 422, description = "Field errors", body = protocol::ErrorBody),
        (status = 429, description = "Too many attempts (Retry-After)", body = protocol::ErrorBody),
        (status = 503, description = "Busy or timed out (Retry-After)", body = protocol::ErrorBody),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    client: ClientAddr,
    headers: HeaderMap,
    AppJson(req): AppJson<LoginRequest>,
) -> AppResult<Response> {
    let mut check = Checker::new();
    let email = check.check("email", validate::email(&req.email));
    if req.password.is_empty() {
        check.add("password", "Enter your password.");
    }
    if let Err(fields) = check.finish() {
        return Err(AppError::Validation(fields));
    }
    let email = email.unwrap_or_default();
    // Counted before the hash: parallel guesses cannot overtake the gate.
    let account = Key::Account(email.clone());
    let attempt = guess_from(&state, client, Some(account.clone()), &headers)?;
    // Overloaded: say so at once, before any database work (and it was no guess).
    let _place = match check_place(&state, client, Some(Key::Account(email.clone()))) {
        Ok(place) => place,
        Err(busy) => {
            attempt.forgive();
            return Err(busy);
        }
    };
    let row = db::users::by_email(&state.db, &email).await?;
    let stored = row.as_ref().map(|r| r.password_hash.as_str());
    if !state.hasher.verify(&req.password, stored).await? {
        metrics::counter!("auth_login_failures_total").increment(1);
        return Err(AppError::Unauthorized("Wrong email or password."));
    }
    attempt.forgive();
    let row = row.expect("verify returns true only for an existing account");
    let session = state.sessions().start(&row.user_id()).await?;
    metrics::counter!("auth_logins_total").increment(1);
    let mut response = with_session(&state, StatusCode::OK, row.to_user(), &session);
    let secure = state.cookie_policy().secure;
    if let Some(cookie) = known_device::remember(&state.keys, &headers, &account, secure) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

#[utoipa::path(
    post, path = "/auth/refresh", tag = "auth",
    responses(
        (status = 200, description = "New session cookies", body = User),
        (status = 401, description = "No, expired, reused or revoked refresh cookie", body = protocol::ErrorBody),
        (status = 403, description = "Cross-site request (Origin)", body = protocol::ErrorBody),
        (status = 503, description = "Busy or timed out (Retry-After)", body = protocol::ErrorBody),
    )
)]
pub async fn refresh(State(state): State<AppState>, headers: HeaderMap) -> AppResult<Response> {
    let presented = state
        .cookie_policy()
        .read_refresh(&headers)
        .ok_or(AppError::Unauthorized("Not signed in."))?;
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

#[utoipa::path(
    post, path = "/auth/logout", tag = "auth",
    responses(
        (status = 204, description = "Signed out; cookies cleared, session family revoked"),
        (status = 403, description = "Cross-site request (Origin)", body = protocol::ErrorBody),
        (status = 503, description = "Busy or timed out (Retry-After)", body = protocol::ErrorBody),
    )
)]
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> AppResult<Response> {
    if let Some(presented) = state.cookie_policy().read_refresh(&headers) {
        state.sessions().revoke(presented).await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    for cookie in state.cookie_policy().clear() {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Ok(response)
}
