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
const FORWARDED: [header::HeaderName; 6] = [
    header::COOKIE,
    header::ORIGIN,
    header::HOST,
    header::AUTHORIZATION,
    header::USER_AGENT,
    // The API's `Origin` check reads it when a request comes without `Origin`.
    header::HeaderName::from_static("sec-fetch-site"),
];

fn internal(message: &str) -> UiError {
    UiError(ApiError::new(ErrorCode::Internal, message))
}

/// Calls `method path` (relative to `/api/v1`) as the current request's client. An expired
/// access token is renewed once on demand: after a 401, `/auth/refresh` is asked with the
/// refresh cookie and the call is repeated with the new tokens (which go to the browser too).
pub async fn call<T: DeserializeOwned>(
    method: Method,
    path: &str,
    body: Option<&impl Serialize>,
) -> Result<T, UiError> {
    let api = use_context::<InProcessApi>().ok_or_else(|| internal("API is not available."))?;
    let parts = use_context::<http::request::Parts>();
    let body = match body {
        Some(body) => {
            Some(serde_json::to_vec(body).map_err(|_| internal("Could not encode request."))?)
        }
        None => None,
    };
    let mut response = send(&api, parts.as_ref(), &method, path, body.clone(), None).await?;
    if response.status() == StatusCode::UNAUTHORIZED
        && let Some(cookies) = renew(&api, parts.as_ref()).await?
    {
        response = send(&api, parts.as_ref(), &method, path, body, Some(cookies)).await?;
    }
    let status = response.status();
    pass_headers(&response);
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

/// Cookies the API set and its `Retry-After` go to the browser with the server function's answer.
fn pass_headers(response: &http::Response<Body>) {
    if let Some(options) = use_context::<leptos_axum::ResponseOptions>() {
        for cookie in response.headers().get_all(header::SET_COOKIE) {
            options.append_header(header::SET_COOKIE, cookie.clone());
        }
        if let Some(retry) = response.headers().get(header::RETRY_AFTER) {
            options.insert_header(header::RETRY_AFTER, retry.clone());
        }
    }
}

/// One in-process request as the current client; `cookies` replaces its `Cookie` header.
async fn send(
    api: &InProcessApi,
    parts: Option<&http::request::Parts>,
    method: &Method,
    path: &str,
    body: Option<Vec<u8>>,
    cookies: Option<String>,
) -> Result<http::Response<Body>, UiError> {
    let mut builder = Request::builder().method(method.clone()).uri(path);
    if let Some(parts) = parts {
        for name in FORWARDED.iter() {
            if *name == header::COOKIE && cookies.is_some() {
                continue;
            }
            for value in parts.headers.get_all(name) {
                builder = builder.header(name, value);
            }
        }
        if let Some(xff) = parts.headers.get("x-forwarded-for") {
            builder = builder.header("x-forwarded-for", xff);
        }
    }
    if let Some(cookies) = cookies {
        builder = builder.header(header::COOKIE, cookies);
    }
    let body = match body {
        Some(bytes) => {
            builder = builder.header(header::CONTENT_TYPE, "application/json");
            Body::from(bytes)
        }
        None => Body::empty(),
    };
    let mut request = builder
        .body(body)
        .map_err(|_| internal("Could not build request."))?;
    // The peer address, for per-client rate limits. Only that: copying every extension would
    // also copy the page route's path parameters into the API route (axum then sees two).
    if let Some(peer) = parts.and_then(|p| p.extensions.get::<ConnectInfo<SocketAddr>>()) {
        request.extensions_mut().insert(*peer);
    }
    api.0
        .clone()
        .oneshot(request)
        .await
        .map_err(|_| internal("API call failed."))
}

/// Renews the session with the request's refresh cookie. On success the new cookies go to the
/// browser and the `Cookie` header to repeat the call with is returned.
async fn renew(
    api: &InProcessApi,
    parts: Option<&http::request::Parts>,
) -> Result<Option<String>, UiError> {
    let Some(parts) = parts else { return Ok(None) };
    let sent: Vec<&str> = parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    if !sent.iter().any(|c| c.contains("vm_refresh=")) {
        return Ok(None);
    }
    let response = send(api, Some(parts), &Method::POST, "/auth/refresh", None, None).await?;
    if !response.status().is_success() {
        return Ok(None);
    }
    pass_headers(&response);
    let fresh: Vec<&str> = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .collect();
    let name = |c: &str| c.split('=').next().unwrap_or_default().to_owned();
    let kept = sent
        .into_iter()
        .filter(|c| !fresh.iter().any(|f| name(f) == name(c)));
    Ok(Some(
        kept.chain(fresh.iter().copied())
            .collect::<Vec<_>>()
            .join("; "),
    ))
}

/// Gives a failed server-function call the REST status (401, 422, ...) instead of Leptos's
/// default 500, so logs and metrics count user mistakes as 4xx. Page renders are left alone.
pub fn answer<T>(result: Result<T, UiError>) -> Result<T, UiError> {
    if let Err(error) = &result {
        let server_fn_call = use_context::<http::request::Parts>().is_some_and(|parts| {
            parts.method == Method::POST && parts.uri.path().starts_with("/api/")
        });
        if server_fn_call
            && !plain_form()
            && let Some(options) = use_context::<leptos_axum::ResponseOptions>()
            && let Ok(status) = StatusCode::from_u16(error.0.code.status())
        {
            options.set_status(status);
        }
    }
    result
}

/// A form the browser posted itself (a light page, without the app): it asked for HTML, so it
/// must get a redirect to a page, never a JSON body with an error status.
pub fn plain_form() -> bool {
    use_context::<http::request::Parts>().is_some_and(|parts| {
        parts.method == Method::POST
            && parts
                .headers
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains("text/html"))
    })
}

/// What was typed into a failed plain form, for the page it goes back to: a cookie that lives
/// a minute, sent only to this site, never to scripts. Passwords are never put in it. Its
/// presence also tells the page that the error in its URL is this browser's own.
const ECHO_COOKIE: &str = "vm_form";
const ECHO_MAX: usize = 1024;

/// The answer of a server function behind a form that a light page posts without the app.
/// Posted by the app, it is `answer(result)`. Posted by the browser itself: on success the
/// browser goes to `next` (a same-site path, else the dashboard) with 303; on failure Leptos
/// sends it back to the form with the error in the URL, and `echo` (field name and value) goes
/// with it in a short-lived cookie so the page shows what was typed (`take_echo`); fields that
/// would make the cookie too large are left out (`-` marks a cookie without fields).
pub fn form_answer<T>(
    result: Result<T, UiError>,
    echo: &[(&str, String)],
    next: Option<String>,
) -> Result<T, UiError> {
    if !plain_form() {
        return answer(result);
    }
    let Some(options) = use_context::<leptos_axum::ResponseOptions>() else {
        return result;
    };
    match &result {
        Ok(_) => {
            let next = crate::state::auth::safe_next(next);
            if let Ok(location) = header::HeaderValue::from_str(&next) {
                options.set_status(StatusCode::SEE_OTHER);
                options.insert_header(header::LOCATION, location);
            }
        }
        Err(_) => {
            let fields = echo
                .iter()
                .map(|(name, value)| format!("{name}={}", percent_encode(value)))
                .collect::<Vec<_>>()
                .join("&");
            let value = if fields.is_empty() || fields.len() > ECHO_MAX {
                "-".to_owned()
            } else {
                fields
            };
            set_echo_cookie(&options, &value, 60);
        }
    }
    result
}

/// On the page a failed plain form came back to: what was typed (see `form_answer`), and the
/// cookie that carried it is cleared. `None`: no failed post of this browser came before.
pub fn take_echo() -> Option<Vec<(String, String)>> {
    let parts = use_context::<http::request::Parts>()?;
    let value = parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().strip_prefix(ECHO_COOKIE)?.strip_prefix('='))
        .find(|value| !value.is_empty())?;
    if let Some(options) = use_context::<leptos_axum::ResponseOptions>() {
        set_echo_cookie(&options, "", 0);
    }
    Some(
        value
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .filter_map(|(name, value)| Some((name.to_owned(), percent_decode(value)?)))
            .collect(),
    )
}

/// Sets (or, with `max_age` 0, clears) the echo cookie on the response.
fn set_echo_cookie(options: &leptos_axum::ResponseOptions, value: &str, max_age: u32) {
    let cookie =
        format!("{ECHO_COOKIE}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict");
    if let Ok(cookie) = header::HeaderValue::from_str(&cookie) {
        options.append_header(header::SET_COOKIE, cookie);
    }
}

/// Every byte but ASCII letters, digits and `-._@` as `%XX`: safe inside a cookie value.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'@') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn percent_decode(text: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&first, tail)) = rest.split_first() {
        if first == b'%' {
            let hex = std::str::from_utf8(tail.get(..2)?).ok()?;
            bytes.push(u8::from_str_radix(hex, 16).ok()?);
            rest = &tail[2..];
        } else {
            bytes.push(first);
            rest = tail;
        }
    }
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::{percent_decode, percent_encode};

    #[test]
    fn echoed_text_survives_the_cookie() {
        for text in ["ada@example.com", "Zoë; Path=/\"; 'x'", "", "%41 100%"] {
            let encoded = percent_encode(text);
            assert!(
                encoded
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._@%".contains(&b)),
                "{encoded}"
            );
            assert_eq!(percent_decode(&encoded).as_deref(), Some(text));
        }
        assert_eq!(percent_decode("%4"), None);
        assert_eq!(percent_decode("%ZZ"), None);
    }
}
