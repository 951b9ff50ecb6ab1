//! Scenario: refresh tokens rotate on every use; a reused one revokes its whole family. These
//! run without a grace window (see `sessions.rs` for the window itself).

use crate::common::{TestServer, cookie_value};
use reqwest::StatusCode;
use serde_json::json;
use video_meet::config::Config;

#[tokio::test]
async fn reuse_of_a_rotated_token_revokes_the_family() {
    let mut config = Config::for_tests();
    config.refresh_grace_secs = 0;
    let server = TestServer::with_config(config).await;
    let res = server
        .register(&server.bare_client(), "eve@example.com", "Eve")
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let first = cookie_value(&res, "vm_refresh").expect("refresh cookie set");

    let rotated = server.refresh_with(&first).await;
    assert_eq!(rotated.status(), StatusCode::OK);
    let second = cookie_value(&rotated, "vm_refresh").expect("new refresh cookie");
    let access = cookie_value(&rotated, "vm_access").expect("new access cookie");
    assert_ne!(first, second, "refresh token rotates");
    let me = server
        .bare_client()
        .get(server.url("/api/v1/users/me"))
        .header("cookie", format!("vm_access={access}"))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK, "the new access token works");

    // The old token comes back (stolen copy): refused, and the family is revoked...
    assert_eq!(
        server.refresh_with(&first).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // ...so the newest token, held by the legitimate client, stops working too.
    assert_eq!(
        server.refresh_with(&second).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn another_sign_in_is_a_separate_family() {
    let mut config = Config::for_tests();
    config.refresh_grace_secs = 0;
    let server = TestServer::with_config(config).await;
    let res = server
        .register(&server.bare_client(), "fay@example.com", "Fay")
        .await;
    let laptop = cookie_value(&res, "vm_refresh").unwrap();
    let login = server
        .bare_client()
        .post(server.url("/api/v1/auth/login"))
        .json(&json!({ "email": "fay@example.com", "password": "password123" }))
        .send()
        .await
        .unwrap();
    let phone = cookie_value(&login, "vm_refresh").unwrap();

    let rotated = cookie_value(&server.refresh_with(&laptop).await, "vm_refresh").unwrap();
    assert_eq!(
        server.refresh_with(&laptop).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        server.refresh_with(&rotated).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        server.refresh_with(&phone).await.status(),
        StatusCode::OK,
        "the phone's session is another family and survives"
    );
}

#[tokio::test]
async fn refresh_without_or_with_garbage_cookie_is_401() {
    let mut config = Config::for_tests();
    config.refresh_grace_secs = 0;
    let server = TestServer::with_config(config).await;
    let none = server
        .bare_client()
        .post(server.url("/api/v1/auth/refresh"))
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        server.refresh_with("garbage").await.status(),
        StatusCode::UNAUTHORIZED
    );
}
