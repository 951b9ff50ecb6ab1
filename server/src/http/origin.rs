//! Refuses state-changing requests whose `Origin` is neither our public URL nor the host the
//! request was sent to: the CSRF defence that lets cookies stay `SameSite=Lax`.
//!
//! A state-changing request without `Origin` (an old browser, a privacy extension that strips
//! it) passes only when a page on another site could not have sent it without the browser
//! asking this server first (a CORS preflight, which it refuses): `Sec-Fetch-Site` says
//! same-origin (or a typed address); it carries a bearer token (no browser adds one by
//! itself); its method is not POST (PUT, PATCH, DELETE need a preflight); or it is a POST with
//! a JSON body (not a form's or a plain-text content type). A form post or a plain-text POST
//! without `Origin` is refused.

use crate::error::AppError;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub async fn refuse_foreign_origin(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if !safe {
        let headers = request.headers();
        let allowed = match headers.get(header::ORIGIN) {
            Some(origin) => {
                let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
                origin
                    .to_str()
                    .is_ok_and(|o| origin_allowed(o, &state.config.public_url(), host))
            }
            None => unreadable_cross_site(request.method(), headers),
        };
        if !allowed {
            metrics::counter!("http_foreign_origin_refused_total").increment(1);
            return AppError::Forbidden("Cross-site request refused.").into_response();
        }
    }
    next.run(request).await
}

/// For a state-changing request without `Origin`: could only this site (or a non-browser
/// client) have sent it? See the module's comment.
pub fn unreadable_cross_site(method: &Method, headers: &axum::http::HeaderMap) -> bool {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &axum::http::HeaderValue| v.to_str().ok())
    };
    if matches!(text("sec-fetch-site"), Some("same-origin" | "none")) {
        return true;
    }
    if text(header::AUTHORIZATION.as_str()).is_some_and(|a| a.starts_with("Bearer ")) {
        return true;
    }
    if *method != Method::POST {
        return true;
    }
    text(header::CONTENT_TYPE.as_str()).is_some_and(|t| {
        t.split(';')
            .next()
            .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
    })
}

pub fn origin_allowed(origin: &str, public_url: &str, host: Option<&str>) -> bool {
    let origin = origin.trim_end_matches('/');
    if origin == origin_of(public_url) {
        return true;
    }
    // Same-origin requests to whatever name the server was reached by (localhost vs 127.0.0.1).
    host.is_some_and(|h| origin == format!("http://{h}") || origin == format!("https://{h}"))
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> &str {
    match url.find("://") {
        Some(i) => match url[i + 3..].find('/') {
            Some(j) => &url[..i + 3 + j],
            None => url,
        },
        None => url,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_origin_and_public_url_pass() {
        assert!(origin_allowed(
            "https://meet.example.com",
            "https://meet.example.com/",
            None
        ));
        assert!(origin_allowed(
            "http://localhost:3000",
            "http://127.0.0.1:3000",
            Some("localhost:3000")
        ));
    }

    #[test]
    fn without_origin_only_what_another_site_cannot_send_passes() {
        use axum::http::{HeaderMap, HeaderValue};
        let with = |pairs: &[(&'static str, &'static str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.insert(*k, HeaderValue::from_static(v));
            }
            h
        };
        // What a page on another site can send by itself: a form, plain text, no body.
        for refused in [
            with(&[("content-type", "application/x-www-form-urlencoded")]),
            with(&[("content-type", "multipart/form-data; boundary=x")]),
            with(&[("content-type", "text/plain;charset=UTF-8")]),
            with(&[]),
            with(&[
                ("sec-fetch-site", "cross-site"),
                ("content-type", "text/plain"),
            ]),
            with(&[("sec-fetch-site", "same-site")]),
        ] {
            assert!(
                !unreadable_cross_site(&Method::POST, &refused),
                "{refused:?}"
            );
        }
        for passed in [
            with(&[("content-type", "application/json")]),
            with(&[("content-type", "Application/JSON; charset=utf-8")]),
            with(&[("sec-fetch-site", "same-origin")]),
            with(&[("sec-fetch-site", "none")]),
            with(&[("authorization", "Bearer abc")]),
        ] {
            assert!(unreadable_cross_site(&Method::POST, &passed), "{passed:?}");
        }
        assert!(unreadable_cross_site(&Method::DELETE, &with(&[])));
        assert!(unreadable_cross_site(&Method::PATCH, &with(&[])));
    }

    #[test]
    fn foreign_origins_fail() {
        assert!(!origin_allowed(
            "https://evil.example",
            "https://meet.example.com",
            Some("meet.example.com")
        ));
        assert!(!origin_allowed(
            "null",
            "https://meet.example.com",
            Some("meet.example.com")
        ));
        assert!(!origin_allowed(
            "https://meet.example.com.evil.example",
            "https://meet.example.com",
            None
        ));
    }
}
