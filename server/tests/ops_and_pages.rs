//! Scenario: operators probe health and metrics; browsers get server-rendered pages, and a
//! signed-out visitor to the dashboard is redirected to sign in.

use crate::common::{TestServer, error_of};
use reqwest::StatusCode;
use serde_json::Value;
use video_meet::config::Config;

#[tokio::test]
async fn health_readiness_and_metrics() {
    let server = TestServer::start().await;
    let client = server.client();
    let health = client.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    let ready: Value = client
        .get(server.url("/readyz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["status"], "ready");
    let metrics = client
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("http_requests_total"), "{metrics}");
    // A request a proxy relayed (from anywhere) is not from this machine: no metrics
    // without the token (they used to answer anyone).
    let relayed = client
        .get(server.url("/metrics"))
        .header("x-forwarded-for", "203.0.113.9")
        .send()
        .await
        .unwrap();
    assert_eq!(relayed.status(), StatusCode::FORBIDDEN);
    let unknown = client.get(server.url("/api/v1/nope")).send().await.unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert!(unknown.json::<Value>().await.unwrap()["error"]["code"] == "not_found");
}

#[tokio::test]
async fn pages_render_on_the_server_and_dashboard_needs_a_session() {
    let server = TestServer::start().await;
    let home = server.client().get(server.url("/")).send().await.unwrap();
    assert_eq!(home.status(), StatusCode::OK);
    assert_eq!(home.headers()["x-frame-options"], "DENY");
    let html = home.text().await.unwrap();
    assert!(
        html.contains("Join a meeting"),
        "home page is server-rendered"
    );
    assert!(
        !html.contains("/pkg/video-meet.js"),
        "the landing page comes without the app (tests/light_pages.rs)"
    );

    // Browsers navigate with `Accept: text/html`; that is what gets a real 302.
    let anonymous = server
        .client()
        .get(server.url("/dashboard"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert!(
        anonymous.status().is_redirection(),
        "got {}",
        anonymous.status()
    );
    assert!(
        anonymous.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/login")
    );

    let client = server.signed_in("pia@example.com", "Pia Page").await;
    let dashboard = client.get(server.url("/dashboard")).send().await.unwrap();
    assert_eq!(dashboard.status(), StatusCode::OK);
    let html = dashboard.text().await.unwrap();
    assert!(html.contains("Your meetings") && html.contains("Pia Page"));

    // A meeting link opened directly is rendered on the server (its route has a path
    // parameter of its own, which must not leak into the in-process API call).
    let created: serde_json::Value = server
        .create_meeting(&client, serde_json::json!({ "title": "Linked directly" }))
        .await
        .json()
        .await
        .unwrap();
    let code = created["code"].as_str().unwrap();
    let page = client
        .get(server.url(&format!("/meeting/{code}")))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Linked directly"), "meeting title rendered");
    assert!(html.contains("Join meeting"), "pre-join form rendered");

    let missing = server
        .client()
        .get(server.url("/no/such/page"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_expired_access_token_is_renewed_on_page_load() {
    let mut config = video_meet::config::Config::for_tests();
    config.access_ttl_secs = 0;
    let server = TestServer::with_config(config).await;
    let client = server.signed_in("quinn@example.com", "Quinn").await;
    // A zero-lifetime access token is expired once the 5 s verification leeway has passed,
    // so the page load must renew the session from the refresh cookie.
    tokio::time::sleep(std::time::Duration::from_millis(5500)).await;
    let dashboard = client.get(server.url("/dashboard")).send().await.unwrap();
    assert_eq!(dashboard.status(), StatusCode::OK);
    assert!(dashboard.text().await.unwrap().contains("Quinn"));
}

#[tokio::test]
async fn random_http_methods_do_not_grow_metrics() {
    let server = TestServer::start().await;
    let client = server.client();
    let series = |text: &str| {
        text.lines()
            .filter(|l| l.starts_with("http_requests_total{"))
            .count()
    };
    // Warm up the fixed label set this test can produce, then count series.
    for method in ["GET", "XWARM"] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        client
            .request(method, server.url("/healthz"))
            .send()
            .await
            .unwrap();
    }
    let metrics = |client: reqwest::Client| {
        let url = server.url("/metrics");
        async move { client.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let before = series(&metrics(client.clone()).await);
    for i in 0..50 {
        let method = reqwest::Method::from_bytes(format!("RANDOM{i}").as_bytes()).unwrap();
        client
            .request(method, server.url("/healthz"))
            .send()
            .await
            .unwrap();
    }
    let text = metrics(client.clone()).await;
    assert!(!text.contains("RANDOM"), "method names leaked into labels");
    assert_eq!(series(&text), before, "{text}");
}

#[tokio::test]
async fn metrics_with_a_token_need_it() {
    let mut config = Config::for_tests();
    config.metrics_token = Some("scrape-secret-123".into());
    let server = TestServer::with_config(config).await;
    let client = server.bare_client();
    let get = |auth: Option<&'static str>| {
        let mut req = client.get(server.url("/metrics"));
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        req.send()
    };
    let none = get(None).await.unwrap();
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_of(none).await["code"], "unauthorized");
    let wrong = get(Some("Bearer scrape-secret-12")).await.unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let right = get(Some("Bearer scrape-secret-123")).await.unwrap();
    assert_eq!(right.status(), StatusCode::OK);
    assert!(right.text().await.unwrap().contains("http_requests_total"));
}

#[tokio::test]
async fn turn_only_without_turn_servers_does_not_start() {
    let mut config = video_meet::config::Config::for_tests();
    config.turn_only = true;
    let err = video_meet::spawn(config)
        .await
        .err()
        .expect("a contradictory configuration is refused at start-up");
    assert!(err.to_string().contains("--turn-urls"), "{err}");
}

/// The CSP of a page response, and whether every inline script carries its nonce.
async fn csp_of(res: reqwest::Response) -> (String, bool) {
    let csp = res
        .headers()
        .get("content-security-policy")
        .expect("pages carry a Content-Security-Policy")
        .to_str()
        .unwrap()
        .to_owned();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("the policy names a nonce")
        .to_owned();
    let html = res.text().await.unwrap();
    let scripts = html.matches("<script").count();
    let with_nonce = html.matches(&format!("nonce=\"{nonce}\"")).count();
    (csp, scripts > 0 && with_nonce >= scripts)
}

#[tokio::test]
async fn every_page_has_a_csp_with_its_own_nonce() {
    let server = TestServer::start().await;
    let client = server.signed_in("rae@example.com", "Rae").await;
    let created: serde_json::Value = server
        .create_meeting(&client, serde_json::json!({ "title": "Guarded" }))
        .await
        .json()
        .await
        .unwrap();
    let meeting = format!("/meeting/{}", created["code"].as_str().unwrap());
    let mut nonces = std::collections::HashSet::new();
    for path in [
        "/",
        "/login",
        "/register",
        "/dashboard",
        meeting.as_str(),
        "/nowhere",
    ] {
        let res = client.get(server.url(path)).send().await.unwrap();
        let (csp, all_scripts_nonced) = csp_of(res).await;
        assert!(
            all_scripts_nonced,
            "{path}: every inline script carries the nonce"
        );
        assert!(csp.contains("'strict-dynamic'") && csp.contains("'wasm-unsafe-eval'"));
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        nonces.insert(csp);
    }
    assert_eq!(nonces.len(), 6, "a fresh nonce per response");
    let home = client.get(server.url("/")).send().await.unwrap();
    assert!(
        home.headers().get("strict-transport-security").is_none(),
        "no HSTS over plain http"
    );
}

#[tokio::test]
async fn over_https_pages_send_hsts() {
    let mut config = video_meet::config::Config::for_tests();
    config.public_url = Some("https://meet.example.com".into());
    let server = TestServer::with_config(config).await;
    let home = server.client().get(server.url("/")).send().await.unwrap();
    assert_eq!(
        home.headers()["strict-transport-security"],
        "max-age=31536000"
    );
}
