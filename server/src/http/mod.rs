//! The REST API under `/api/v1`, plus health and metrics routes.

pub mod assets;
pub mod attendance;
pub mod auth;
pub mod avatars;
pub mod chat_log;
pub mod invitations;
pub mod invite;
pub mod join;
pub mod limits;
pub mod meetings;
pub mod openapi;
pub mod ops;
pub mod origin;
pub mod users;

use crate::error::AppError;
use crate::state::AppState;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::{get, post, put};

/// `/api/v1` routes, state applied, so they can be served and also called in-process by
/// server functions.
pub fn api_router(state: AppState) -> Router {
    Router::new()
        .route("/auth/register", post(auth::register))
        .route("/auth/login", post(auth::login))
        .route("/auth/refresh", post(auth::refresh))
        .route("/auth/logout", post(auth::logout))
        .route("/users/me", get(users::me).patch(users::update_me))
        .route(
            "/users/me/avatar",
            put(avatars::upload)
                .delete(avatars::remove)
                .layer(DefaultBodyLimit::max(crate::avatar::MAX_BYTES)),
        )
        .route("/avatars/{user}", get(avatars::show))
        .route("/meetings", get(meetings::list).post(meetings::create))
        .route(
            "/meetings/{code}",
            get(meetings::info)
                .patch(meetings::update)
                .delete(meetings::delete),
        )
        .route("/meetings/{code}/join", post(join::join))
        .route("/meetings/{code}/chat", get(chat_log::chat_log))
        .route("/meetings/{code}/attendance", get(attendance::attendance))
        .route("/meetings/{code}/invite.ics", get(invite::invite))
        .route(
            "/meetings/{code}/invitations",
            get(invitations::list).post(invitations::invite),
        )
        .route("/openapi.json", get(openapi::document))
        .fallback(|| async { AppError::NotFound("No such API route.") })
        .layer(middleware::from_fn_with_state(
            state.clone(),
            origin::refuse_foreign_origin,
        ))
        .with_state(state)
}

/// `/healthz`, `/readyz`, `/metrics`.
pub fn ops_router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
}
