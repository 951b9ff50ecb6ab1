//! Logging (`tracing`) and Prometheus metrics set-up.

use crate::config::{Config, LogFormat};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Duration;
use tracing_subscriber::EnvFilter;

/// Starts the global log subscriber once; later calls (tests) do nothing.
pub fn init(config: &Config) {
    let filter = EnvFilter::try_new(&config.log).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = match config.log_format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// Histogram buckets (seconds) for request latency: fixed-size aggregation, whatever the
/// request count.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Time a datagram spends inside the SFU (seconds): read to last resulting send.
const SFU_BUCKETS: &[f64] = &[
    0.000_025, 0.000_05, 0.000_1, 0.000_2, 0.000_5, 0.001, 0.002, 0.005, 0.01, 0.05,
];
/// Chat messages per transaction (`crate::chat_store`).
const BATCH_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0];
/// How often recorded samples are folded into their buckets when nobody scrapes.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// The process-wide Prometheus recorder; installed on first use so several test servers in
/// one process share it.
///
/// Histogram samples are queued per metric until an upkeep folds them into buckets; without
/// one running, memory grew with every request until `/metrics` was scraped. A background
/// thread (not a tokio task: the recorder outlives any one runtime in tests) runs it.
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets(LATENCY_BUCKETS)
                .expect("the bucket list is a non-empty constant")
                .set_buckets_for_metric(
                    metrics_exporter_prometheus::Matcher::Full("sfu_datagram_seconds".into()),
                    SFU_BUCKETS,
                )
                .expect("the bucket list is a non-empty constant")
                .set_buckets_for_metric(
                    metrics_exporter_prometheus::Matcher::Full("chat_store_batch_size".into()),
                    BATCH_BUCKETS,
                )
                .expect("the bucket list is a non-empty constant")
                .build_recorder();
            let handle = recorder.handle();
            let upkeep = handle.clone();
            let _ = std::thread::Builder::new()
                .name("metrics-upkeep".into())
                .spawn(move || {
                    loop {
                        std::thread::sleep(UPKEEP_EVERY);
                        upkeep.run_upkeep();
                    }
                });
            // Another recorder may already be installed by an embedding program; then our
            // handle renders only what we record through it, which is still valid text.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// One span per request: method and path only (no query string, which may hold tokens).
pub fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    tracing::info_span!("http", method = %request.method(), path = %log_path(request.uri().path()))
}

/// A request path for logs: every segment that is a meeting code is cut to its first letters.
pub fn log_path(path: &str) -> String {
    path.split('/')
        .map(|segment| match protocol::MeetingCode::parse(segment) {
            Some(code) => code.redacted(),
            None => segment.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The method as a metrics label: a fixed set, so random methods cannot create series that
/// are never freed.
pub fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Counts requests and their latency by method and status class.
pub async fn track_requests(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let started = std::time::Instant::now();
    let method = method_label(request.method());
    let response = next.run(request).await;
    let status = format!("{}xx", response.status().as_u16() / 100);
    metrics::counter!("http_requests_total", "method" => method, "status" => status).increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method)
        .record(started.elapsed().as_secs_f64());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logged_paths_hold_no_full_meeting_code() {
        assert_eq!(
            log_path("/api/v1/meetings/abc-defg-hij/join"),
            "/api/v1/meetings/abc-…/join"
        );
        assert_eq!(log_path("/m/abcdefghij"), "/m/abc-…");
        assert_eq!(log_path("/dashboard"), "/dashboard");
    }
    use axum::http::Method;

    #[test]
    fn unknown_methods_share_one_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        let odd = Method::from_bytes(b"XYZZY").expect("a valid token");
        assert_eq!(method_label(&odd), "other");
    }
}
