//! Request extractors: `AuthUser` (401 without a valid access token), `MaybeAuthUser`, and
//! `AppJson` (JSON bodies whose rejections become our JSON errors).

use crate::error::AppError;
use crate::state::AppState;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use protocol::UserId;

/// The signed-in user, from the access cookie or an `Authorization: Bearer` header.
#[derive(Debug, Clone)]
pub struct AuthUser(pub UserId);

/// Like `AuthUser`, but `None` instead of 401.
#[derive(Debug, Clone)]
pub struct MaybeAuthUser(pub Option<UserId>);

fn access_token<'p>(parts: &'p Parts, state: &AppState) -> Option<&'p str> {
    let bearer = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    bearer.or_else(|| state.cookie_policy().read_access(&parts.headers))
}

impl FromRequestParts<AppState> for MaybeAuthUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        Ok(MaybeAuthUser(
            access_token(parts, state).and_then(|t| state.keys.verify_access(t)),
        ))
    }
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let MaybeAuthUser(user) = MaybeAuthUser::from_request_parts(parts, state).await?;
        user.map(AuthUser)
            .ok_or(AppError::Unauthorized("Sign in to continue."))
    }
}

/// `axum::Json` with rejections turned into `AppError` (400 with a JSON error body).
pub struct AppJson<T>(pub T);

impl<T, S> FromRequest<S> for AppJson<T>
where
    axum::Json<T>: FromRequest<S, Rejection = JsonRejection>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(AppJson(value)),
            Err(rejection) => Err(AppError::BadRequest(format!(
                "Invalid request body: {}",
                rejection.body_text()
            ))),
        }
    }
}
