//! Whole-stack limits: at most `max` requests in progress (past it, 503 at once rather than a
//! growing pile of tasks) and a time limit per request (a WebSocket counts only until it is
//! upgraded).

use crate::error::AppError;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

#[derive(Clone)]
pub struct Limits {
    permits: Arc<Semaphore>,
    timeout: Duration,
}

impl Limits {
    pub fn new(max_concurrent: usize, timeout: Duration) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
            timeout,
        }
    }
}

pub async fn limit(State(limits): State<Limits>, request: Request, next: Next) -> Response {
    let Ok(_permit) = limits.permits.clone().try_acquire_owned() else {
        metrics::counter!("http_requests_shed_total").increment(1);
        return AppError::Busy {
            retry_after_secs: 1,
        }
        .into_response();
    };
    match tokio::time::timeout(limits.timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            metrics::counter!("http_requests_timed_out_total").increment(1);
            AppError::TimedOut.into_response()
        }
    }
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
        let app = app(Limits::new(8, Duration::from_millis(50)));
        let res = app.clone().oneshot(get_req("/slow")).await.unwrap();
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        let res = app.oneshot(get_req("/fast")).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn past_the_limit_requests_are_shed_at_once() {
        let app = app(Limits::new(1, Duration::from_secs(5)));
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
