//! Scenario: register, sign in, profile, sign out, and the errors a user meets on the way.

use crate::common::{TestServer, error_of};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn register_signs_in_and_me_returns_the_profile() {
    let server = TestServer::start().await;
    let client = server.client();
    let res = server.register(&client, "  Ann@Example.COM ", "Ann").await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let cookies: Vec<String> = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("vm_access=") && c.contains("HttpOnly"))
    );
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("vm_refresh=") && c.contains("SameSite=Lax"))
    );
    // Loopback public URL: cookies must work over plain http.
    assert!(cookies.iter().all(|c| !c.contains("Secure")));
    let user: Value = res.json().await.unwrap();
    assert_eq!(user["email"], "ann@example.com");
    assert!(user.get("password_hash").is_none());

    let me = server.get_json(&client, "/api/v1/users/me").await;
    assert_eq!(me["display_name"], "Ann");
    assert_eq!(me["id"], user["id"]);
}

#[tokio::test]
async fn duplicate_email_is_409_on_the_email_field() {
    let server = TestServer::start().await;
    server.signed_in("dup@example.com", "First").await;
    let res = server
        .register(&server.client(), "DUP@example.com", "Second")
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let err = error_of(res).await;
    assert_eq!(err["code"], "conflict");
    assert!(err["fields"]["email"].is_string());
}

#[tokio::test]
async fn invalid_registration_gets_422_with_every_field_error() {
    let server = TestServer::start().await;
    let res = server
        .client()
        .post(server.url("/api/v1/auth/register"))
        .json(&json!({ "email": "not-an-email", "password": "short", "display_name": "  " }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let err = error_of(res).await;
    assert_eq!(err["code"], "validation");
    for field in ["email", "password", "display_name"] {
        assert!(
            err["fields"][field].is_string(),
            "missing error for {field}: {err}"
        );
    }
}

#[tokio::test]
async fn malformed_json_gets_a_json_400() {
    let server = TestServer::start().await;
    let res = server
        .client()
        .post(server.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_of(res).await["code"], "bad_request");
}

#[tokio::test]
async fn login_checks_the_password() {
    let server = TestServer::start().await;
    server.signed_in("bob@example.com", "Bob").await;

    let client = server.client();
    let wrong = client
        .post(server.url("/api/v1/auth/login"))
        .json(&json!({ "email": "bob@example.com", "password": "not-the-password" }))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_of(wrong).await["code"], "unauthorized");

    let unknown = client
        .post(server.url("/api/v1/auth/login"))
        .json(&json!({ "email": "nobody@example.com", "password": "password123" }))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);

    let right = client
        .post(server.url("/api/v1/auth/login"))
        .json(&json!({ "email": "BOB@example.com", "password": "password123" }))
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), StatusCode::OK);
    let me = client
        .get(server.url("/api/v1/users/me"))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
}

#[tokio::test]
async fn me_requires_a_session_and_logout_ends_it() {
    let server = TestServer::start().await;
    let anonymous = server
        .client()
        .get(server.url("/api/v1/users/me"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

    let client = server.signed_in("carol@example.com", "Carol").await;
    let out = client
        .post(server.url("/api/v1/auth/logout"))
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    let me = client
        .get(server.url("/api/v1/users/me"))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
    let refresh = client
        .post(server.url("/api/v1/auth/refresh"))
        .send()
        .await
        .unwrap();
    assert_eq!(refresh.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn display_name_can_be_changed_and_is_validated() {
    let server = TestServer::start().await;
    let client = server.signed_in("dave@example.com", "Dave").await;
    let res = client
        .patch(server.url("/api/v1/users/me"))
        .json(&json!({ "display_name": "  David " }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["display_name"], "David");

    let bad = client
        .patch(server.url("/api/v1/users/me"))
        .json(&json!({ "display_name": "x".repeat(65) }))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_of(bad).await["fields"]["display_name"].is_string());
    let me: Value = client
        .get(server.url("/api/v1/users/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        me["display_name"], "David",
        "a rejected change loses nothing"
    );
}
