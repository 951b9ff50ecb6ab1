//! Scenario: repeated failed sign-ins from one address are throttled with 429 + Retry-After.

use crate::common::{TestServer, error_of};
use reqwest::StatusCode;
use serde_json::json;
use video_meet::config::Config;

#[tokio::test]
async fn repeated_failures_get_429_with_retry_after() {
    let mut config = Config::for_tests();
    config.auth_failures_max = 3;
    config.auth_window_secs = 120;
    let server = TestServer::with_config(config).await;
    server.signed_in("gus@example.com", "Gus").await;

    let client = server.client();
    let attempt = || async {
        client
            .post(server.url("/api/v1/auth/login"))
            .json(&json!({ "email": "gus@example.com", "password": "wrong-password" }))
            .send()
            .await
            .unwrap()
    };
    for _ in 0..3 {
        assert_eq!(attempt().await.status(), StatusCode::UNAUTHORIZED);
    }
    let blocked = attempt().await;
    assert_eq!(blocked.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = blocked.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (1..=120).contains(&retry),
        "Retry-After {retry} within the window"
    );
    assert_eq!(error_of(blocked).await["code"], "rate_limited");

    // Even the right password waits: the throttle is per address, not per guess.
    let right = client
        .post(server.url("/api/v1/auth/login"))
        .json(&json!({ "email": "gus@example.com", "password": "password123" }))
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn behind_a_proxy_a_client_cannot_dodge_the_throttle_by_writing_x_forwarded_for() {
    let mut config = Config::for_tests();
    config.auth_failures_max = 3;
    config.auth_window_secs = 120;
    config.trust_proxy = true;
    let server = TestServer::with_config(config).await;
    server.signed_in("hal@example.com", "Hal").await;

    // The client writes a new address each time; the proxy appends the real one.
    let client = server.client();
    let attempt = |i: usize| {
        let client = client.clone();
        let url = server.url("/api/v1/auth/login");
        async move {
            client
                .post(url)
                .header("x-forwarded-for", format!("198.51.100.{i}, 203.0.113.9"))
                .json(&json!({ "email": "hal@example.com", "password": "wrong-password" }))
                .send()
                .await
                .unwrap()
        }
    };
    for i in 0..3 {
        assert_eq!(attempt(i).await.status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(attempt(3).await.status(), StatusCode::TOO_MANY_REQUESTS);

    // Another real client behind the same proxy is not affected.
    let other = server
        .client()
        .post(server.url("/api/v1/auth/login"))
        .header("x-forwarded-for", "203.0.113.10")
        .json(&json!({ "email": "hal@example.com", "password": "wrong-password" }))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::UNAUTHORIZED);
}
