//! Page loads and server-function calls renew an expired access token from the refresh
//! cookie, so someone who comes back after 15 minutes is still signed in. The REST API does
//! not do this: API clients call `/api/v1/auth/refresh` themselves.

use super::cookies::{self, ACCESS_COOKIE, REFRESH_COOKIE};
use super::session::RefreshError;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

pub async fn renew_session(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let skip = path.starts_with("/api/v1/") || path.starts_with("/pkg/");
    let access_valid = cookies::read(request.headers(), ACCESS_COOKIE)
        .is_some_and(|t| state.keys.verify_access(t).is_some());
    let refresh = cookies::read(request.headers(), REFRESH_COOKIE).map(str::to_owned);
    let (Some(refresh), false, false) = (refresh, access_valid, skip) else {
        return next.run(request).await;
    };
    let set_cookies = match state.sessions().rotate(&refresh).await {
        Ok(session) => {
            // Downstream extractors read the Cookie header: hand them the new tokens.
            let cookie = format!(
                "{ACCESS_COOKIE}={}; {REFRESH_COOKIE}={}",
                session.access_token, session.refresh_token
            );
            request.headers_mut().remove(header::COOKIE);
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                request.headers_mut().insert(header::COOKIE, value);
            }
            state.cookie_policy().set(&session)
        }
        Err(RefreshError::Invalid | RefreshError::Reused) => {
            request.headers_mut().remove(header::COOKIE);
            state.cookie_policy().clear()
        }
        Err(RefreshError::Db(err)) => {
            tracing::warn!(error = %err, "session renewal skipped");
            return next.run(request).await;
        }
    };
    let mut response = next.run(request).await;
    for cookie in set_cookies {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}
