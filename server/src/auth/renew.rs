//! Page loads renew an expired access token from the refresh cookie, so someone who comes back
//! after 15 minutes is still signed in. Only page GETs: server functions renew on demand
//! (`app::api::ssr` asks `/auth/refresh` after a 401) and the REST API leaves it to the client.
//! A response that sets the session cookies itself (sign-in, sign-out) is never overridden.

use super::session::RefreshError;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::Response;

/// Paths that are not pages: API, server functions, assets, the socket, operations.
fn is_page(method: &Method, path: &str) -> bool {
    const NOT_PAGES: [&str; 6] = ["/api/", "/pkg/", "/ws", "/metrics", "/healthz", "/readyz"];
    (*method == Method::GET || *method == Method::HEAD)
        && !NOT_PAGES.iter().any(|p| path.starts_with(p))
}

pub async fn renew_session(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let policy = state.cookie_policy();
    let access_valid = policy
        .read_access(request.headers())
        .is_some_and(|t| state.keys.verify_access(t).is_some());
    let refresh = policy.read_refresh(request.headers()).map(str::to_owned);
    let page = is_page(request.method(), request.uri().path());
    let (Some(refresh), false, true) = (refresh, access_valid, page) else {
        return next.run(request).await;
    };
    let set_cookies = match state.sessions().rotate(&refresh).await {
        Ok(session) => {
            // Downstream extractors read the Cookie header: hand them the new tokens (and the
            // page's other cookies, such as a failed form's echo, as they came).
            policy.hand_on(request.headers_mut(), Some(&session));
            policy.set(&session)
        }
        Err(RefreshError::Invalid | RefreshError::Reused) => {
            policy.hand_on(request.headers_mut(), None);
            policy.clear()
        }
        Err(RefreshError::Db(err)) => {
            tracing::warn!(error = %err, "session renewal skipped");
            return next.run(request).await;
        }
    };
    let mut response = next.run(request).await;
    if !policy.is_set_by(response.headers()) {
        for cookie in set_cookies {
            response.headers_mut().append(header::SET_COOKIE, cookie);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_page_gets_renew() {
        assert!(is_page(&Method::GET, "/"));
        assert!(is_page(&Method::GET, "/m/abc-defg-hij"));
        assert!(is_page(&Method::HEAD, "/dashboard"));
        assert!(!is_page(&Method::POST, "/"));
        assert!(!is_page(&Method::POST, "/api/logout"));
        assert!(!is_page(&Method::GET, "/api/v1/users/me"));
        assert!(!is_page(&Method::GET, "/pkg/app.wasm"));
        assert!(!is_page(&Method::GET, "/ws"));
    }
}
