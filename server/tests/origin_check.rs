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

    let same = client
        .post(server.url("/api/v1/meetings"))
        .header("origin", server.base.clone())
        .json(&json!({ "title": "Mine" }))
        .send()
        .await
        .unwrap();
    assert_eq!(same.status(), StatusCode::CREATED);
}
