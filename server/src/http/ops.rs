//! Liveness, readiness (database reachable) and Prometheus metrics.

use crate::error::AppError;
use crate::state::AppState;
use axum::Json;
use axum::extract::ConnectInfo;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::net::SocketAddr;

pub async fn healthz() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match crate::db::ping(&state.db).await {
        Ok(()) => (StatusCode::OK, Json(json!({ "status": "ready" }))),
        Err(err) => {
            tracing::warn!(error = %err, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable", "reason": "database unreachable" })),
            )
        }
    }
}

/// Prometheus text. With `--metrics-token` set, only for `Authorization: Bearer <token>`.
/// Without `--metrics-token`, only a scraper on this machine is answered: the connection
/// comes from loopback and no proxy relayed it (a reverse proxy on this machine connects from
/// loopback too, but says whom it forwards for). With a token, anyone who has it.
pub async fn metrics(
    State(state): State<AppState>,
    connected: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, AppError> {
    if state.config.metrics_token.is_none() {
        let local = connected.is_some_and(|c| c.0.0.ip().is_loopback());
        let relayed = ["x-forwarded-for", "forwarded", "x-real-ip"]
            .iter()
            .any(|h| headers.contains_key(*h));
        if !local || relayed {
            return Err(AppError::Forbidden(
                "Metrics are served to this machine only; set --metrics-token to read them from elsewhere.",
            ));
        }
    }
    if let Some(expected) = &state.config.metrics_token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        // Digests compared, so the time taken says nothing about the token's prefix.
        if Sha256::digest(given.as_bytes()) != Sha256::digest(expected.as_bytes()) {
            return Err(AppError::Unauthorized(
                "Metrics need the bearer token set with --metrics-token.",
            ));
        }
    }
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    ))
}
