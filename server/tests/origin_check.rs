//! Scenario: a page on another site cannot make a signed-in browser change anything.

use crate::common::{TestServer, error_of};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn foreign_origin_is_refused_and_same_origin_works() {
    let server = TestServer::start().await;
    let client = server.signed_in("hal@example.com", "Hal").await;

    let foreign = client
        .post(server.url("/api/v1/meetings"))
        .header("origin", "https://evil.example")
        .json(&json!({ "title": "Planted" }))
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_of(foreign).await["code"], "forbidden");

    let foreign_login = server
        .client()
        .post(server.url("/api/v1/auth/login"))
        .header("origin", "null")
        .json(&json!({ "email": "hal@example.com", "password": "password123" }))
        .send()
        .await
        .unwrap();
    assert_eq!(foreign_login.status(), StatusCode::FORBIDDEN);

    let list: serde_json::Value = client
        .get(server.url("/api/v1/meetings"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        list["upcoming"].as_array().unwrap().len(),
        0,
        "nothing was created"
    );

    // Without `Origin` (and without the browser's `Sec-Fetch-Site`): what a form on another
    // site could post is refused (it used to pass).
    let plain = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = server.register(&plain, "plain@example.com", "Plain").await;
    assert_eq!(res.status(), StatusCode::CREATED, "a JSON post passes");
    let formed = plain
        .post(server.url("/api/v1/auth/logout"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("x=1")
        .send()
        .await
        .unwrap();
    assert_eq!(formed.status(), StatusCode::FORBIDDEN);
    let instant = plain
        .post(server.url("/new"))
        .header("content-type", "text/plain")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(instant.status(), StatusCode::FORBIDDEN);
    // Same-origin by the browser's own word passes.
    let said = plain
        .post(server.url("/new"))
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap();
    assert_eq!(said.status(), StatusCode::SEE_OTHER);

    let same = client
        .post(server.url("/api/v1/meetings"))
        .header("origin", server.base.clone())
        .json(&json!({ "title": "Mine" }))
        .send()
        .await
        .unwrap();
    assert_eq!(same.status(), StatusCode::CREATED);
}
