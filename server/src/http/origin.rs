//! Refuses state-changing requests whose `Origin` is neither our public URL nor the host the
//! request was sent to: the CSRF defence that lets cookies stay `SameSite=Lax`.

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
    if !safe && let Some(origin) = request.headers().get(header::ORIGIN) {
        let host = request
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok());
        let allowed = origin
            .to_str()
            .is_ok_and(|o| origin_allowed(o, &state.config.public_url(), host));
        if !allowed {
            metrics::counter!("http_foreign_origin_refused_total").increment(1);
            return AppError::Forbidden("Cross-site request refused.").into_response();
        }
    }
    next.run(request).await
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
