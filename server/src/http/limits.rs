//! Whole-stack limits, so that no one client can make the server unavailable to the others:
//! - at most `max` requests in progress (past it, 503 at once rather than a growing pile of
//!   tasks), and at most `per_client` of them from one client address (IPv6: its /64), so
//!   one client's slow requests take its own share, not everyone's;
//! - a request body must arrive whole within `body_timeout` (a client trickling a body holds
//!   its place for that long, not for the whole request time);
//! - a time limit per request (a WebSocket counts only until it is upgraded).
//!
//! Health checks bypass the counts (they are cheap, and a load balancer must see a busy
//! server as alive), and so do WebSocket upgrades, which have their own per-address and total
//! limits (`signal::limit`).

use crate::auth::client_addr::ClientAddr;
use crate::error::AppError;
use crate::signal::limit::Sockets;
use axum::body::{Body, HttpBody};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

#[derive(Clone)]
pub struct Limits {
    permits: Arc<Semaphore>,
    per_client: Sockets,
    timeout: Duration,
    body_timeout: Duration,
    /// Trusted proxies in front (the client is read as the rate limits read it).
    hops: usize,
}

impl Limits {
    pub fn new(
        max_concurrent: usize,
        per_client: u32,
        timeout: Duration,
        body_timeout: Duration,
        hops: usize,
    ) -> Self {
        let max_concurrent = max_concurrent.max(1);
        Self {
            permits: Arc::new(Semaphore::new(max_concurrent)),
            per_client: Sockets::new(per_client, max_concurrent),
            timeout,
            body_timeout,
            hops,
        }
    }
}

/// Paths that skip the in-progress counts (see the module's comment).
fn bypasses_counts(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/ws")
}

fn busy() -> Response {
    metrics::counter!("http_requests_shed_total").increment(1);
    AppError::Busy {
        retry_after_secs: 1,
    }
    .into_response()
}

pub async fn limit(State(limits): State<Limits>, request: Request, next: Next) -> Response {
    let (_place, _permit) = if bypasses_counts(request.uri().path()) {
        (None, None)
    } else {
        let client = ClientAddr::of(request.headers(), request.extensions(), limits.hops);
        let Ok(place) = limits.per_client.open(client.0) else {
            return busy();
        };
        let Ok(permit) = limits.permits.clone().try_acquire_owned() else {
            return busy();
        };
        (Some(place), Some(permit))
    };
    let request = if request.body().is_end_stream() {
        request
    } else {
        request.map(|body| with_deadline(body, limits.body_timeout))
    };
    match tokio::time::timeout(limits.timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            metrics::counter!("http_requests_timed_out_total").increment(1);
            AppError::TimedOut.into_response()
        }
    }
}

/// `body`, failing (and so ending the request with 400) when it has not arrived whole within
/// `limit` of the start.
fn with_deadline(body: Body, limit: Duration) -> Body {
    let deadline = tokio::time::Instant::now() + limit;
    let chunks = body.into_data_stream();
    let timed = futures_util::stream::unfold(Some(chunks), move |chunks| async move {
        let mut chunks = chunks?;
        match tokio::time::timeout_at(deadline, chunks.next()).await {
            Ok(Some(chunk)) => Some((chunk, Some(chunks))),
            Ok(None) => None,
            Err(_) => {
                metrics::counter!("http_bodies_timed_out_total").increment(1);
                let late = std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "the request body did not arrive in time",
                );
                Some((Err(axum::Error::new(late)), None))
            }
        }
    });
    Body::from_stream(timed.boxed())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::body::Body;
    use axum::http::StatusCode;
    use axum::routing::get;
    use tower::ServiceExt;

    fn app(limits: Limits) -> Router {
        Router::new()
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    "done"
                }),
            )
            .route("/fast", get(|| async { "ok" }))
            .layer(axum::middleware::from_fn_with_state(limits, limit))
    }

    fn get_req(path: &str) -> Request {
        Request::builder().uri(path).body(Body::empty()).unwrap()
    }

    #[tokio::test]
    async fn slow_requests_time_out_with_a_json_error() {
        let app = app(Limits::new(
            8,
            8,
            Duration::from_millis(50),
            Duration::from_secs(5),
            0,
        ));
        let res = app.clone().oneshot(get_req("/slow")).await.unwrap();
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        let res = app.oneshot(get_req("/fast")).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn past_the_limit_requests_are_shed_at_once() {
        let app = app(Limits::new(
            1,
            1,
            Duration::from_secs(5),
            Duration::from_secs(5),
            0,
        ));
        let slow = tokio::spawn(app.clone().oneshot(get_req("/slow")));
        tokio::time::sleep(Duration::from_millis(50)).await;
        let shed = app.clone().oneshot(get_req("/fast")).await.unwrap();
        assert_eq!(shed.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(shed.headers().contains_key("retry-after"));
        assert_eq!(slow.await.unwrap().unwrap().status(), StatusCode::OK);
        let res = app.oneshot(get_req("/fast")).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
}
