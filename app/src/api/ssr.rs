//! Server-side half of the server functions: they call the REST router in-process, so the
//! REST handlers are the one implementation of every rule, error and cookie.

use super::UiError;
use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use http::{Method, Request, StatusCode, header};
use leptos::prelude::use_context;
use protocol::{ApiError, ErrorBody, ErrorCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::net::SocketAddr;
use tower::ServiceExt;

/// The `/api/v1` router, provided as context by the server.
#[derive(Clone)]
pub struct InProcessApi(Router);

impl InProcessApi {
    pub fn new(router: Router) -> Self {
        Self(router)
    }
}

/// Request headers worth forwarding: who is asking (cookies), from where (origin, host),
/// and the proxy header the client-address extractor may trust.
const FORWARDED: [header::HeaderName; 5] = [
    header::COOKIE,
    header::ORIGIN,
    header::HOST,
    header::AUTHORIZATION,
    header::USER_AGENT,
];

fn internal(message: &str) -> UiError {
    UiError(ApiError::new(ErrorCode::Internal, message))
}

/// Calls `method path` (relative to `/api/v1`) as the current request's client.
pub async fn call<T: DeserializeOwned>(
    method: Method,
    path: &str,
    body: Option<&impl Serialize>,
) -> Result<T, UiError> {
    let api = use_context::<InProcessApi>().ok_or_else(|| internal("API is not available."))?;
    let parts = use_context::<http::request::Parts>();
    let mut builder = Request::builder().method(method).uri(path);
    if let Some(parts) = &parts {
        for name in FORWARDED.iter() {
            for value in parts.headers.get_all(name) {
                builder = builder.header(name, value);
            }
        }
        if let Some(xff) = parts.headers.get("x-forwarded-for") {
            builder = builder.header("x-forwarded-for", xff);
        }
    }
    let body = match body {
        Some(body) => {
            builder = builder.header(header::CONTENT_TYPE, "application/json");
            Body::from(serde_json::to_vec(body).map_err(|_| internal("Could not encode request."))?)
        }
        None => Body::empty(),
    };
    let mut request = builder
        .body(body)
        .map_err(|_| internal("Could not build request."))?;
    // The peer address, for per-client rate limits. Only that: copying every extension would
    // also copy the page route's path parameters into the API route (axum then sees two).
    if let Some(peer) = parts
        .as_ref()
        .and_then(|p| p.extensions.get::<ConnectInfo<SocketAddr>>())
    {
        request.extensions_mut().insert(*peer);
    }
    let response = api
        .0
        .oneshot(request)
        .await
        .map_err(|_| internal("API call failed."))?;
    let status = response.status();
    if let Some(options) = use_context::<leptos_axum::ResponseOptions>() {
        for cookie in response.headers().get_all(header::SET_COOKIE) {
            options.append_header(header::SET_COOKIE, cookie.clone());
        }
        if let Some(retry) = response.headers().get(header::RETRY_AFTER) {
            options.insert_header(header::RETRY_AFTER, retry.clone());
        }
    }
    let bytes = axum::body::to_bytes(response.into_body(), 4 * 1024 * 1024)
        .await
        .map_err(|_| internal("Could not read API response."))?;
    if status.is_success() {
        let bytes: &[u8] = if status == StatusCode::NO_CONTENT || bytes.is_empty() {
            b"null"
        } else {
            &bytes
        };
        serde_json::from_slice(bytes).map_err(|_| internal("Unexpected API response."))
    } else {
        match serde_json::from_slice::<ErrorBody>(&bytes) {
            Ok(body) => Err(UiError(body.error)),
            Err(_) => {
                leptos::logging::warn!(
                    "in-process API answered {status} without a JSON error: {}",
                    String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
                );
                Err(internal("Unexpected API error."))
            }
        }
    }
}

/// Gives a failed server-function call the REST status (401, 422, ...) instead of Leptos's
/// default 500, so logs and metrics count user mistakes as 4xx. Page renders are left alone.
pub fn answer<T>(result: Result<T, UiError>) -> Result<T, UiError> {
    if let Err(error) = &result {
        let server_fn_call = use_context::<http::request::Parts>().is_some_and(|parts| {
            parts.method == Method::POST && parts.uri.path().starts_with("/api/")
        });
        if server_fn_call
            && let Some(options) = use_context::<leptos_axum::ResponseOptions>()
            && let Ok(status) = StatusCode::from_u16(error.0.code.status())
        {
            options.set_status(status);
        }
    }
    result
}
