//! Scenario: sessions end when asked, survive two tabs, and cannot outlive a sign-out.

use crate::common::{TestServer, cookie_value, set_cookies};
use leptos::server_fn::ServerFn;
use reqwest::{Response, StatusCode};
use video_meet::config::Config;

/// The value a browser keeps for `name` after this response: the last one set.
fn kept(res: &Response, name: &str) -> Option<String> {
    set_cookies(res)
        .into_iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// A server function called like the browser does, with only a refresh cookie (the access
/// token expired a while ago).
async fn server_fn(server: &TestServer, path: &str, form: &str, refresh: &str) -> Response {
    server
        .bare_client()
        .post(server.url(path))
        .header("origin", server.base.clone())
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", format!("vm_refresh={refresh}"))
        .body(form.to_owned())
        .send()
        .await
        .unwrap()
}

async fn registered(server: &TestServer, email: &str) -> String {
    let res = server
        .register(&server.bare_client(), email, "Someone")
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    cookie_value(&res, "vm_refresh").expect("refresh cookie set")
}

#[tokio::test]
async fn signing_out_after_the_access_token_expired_leaves_no_session_cookie() {
    let server = TestServer::start().await;
    let refresh = registered(&server, "ida@example.com").await;
    let res = server_fn(&server, app::api::Logout::PATH, "", &refresh).await;
    assert!(res.status().is_success(), "{}", res.status());
    assert_eq!(kept(&res, "vm_access").as_deref(), Some(""));
    assert_eq!(kept(&res, "vm_refresh").as_deref(), Some(""));
    assert_eq!(
        server.refresh_with(&refresh).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn signing_in_as_someone_else_after_expiry_keeps_the_new_account() {
    let server = TestServer::start().await;
    let old = registered(&server, "jo@example.com").await;
    registered(&server, "kai@example.com").await;
    let res = server_fn(
        &server,
        app::api::Login::PATH,
        "email=kai%40example.com&password=password123",
        &old,
    )
    .await;
    assert!(res.status().is_success(), "{}", res.status());
    let access = kept(&res, "vm_access").expect("an access cookie");
    let me: serde_json::Value = server
        .bare_client()
        .get(server.url("/api/v1/users/me"))
        .header("cookie", format!("vm_access={access}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], "kai@example.com");
}

#[tokio::test]
async fn a_server_function_after_expiry_renews_on_demand() {
    let server = TestServer::start().await;
    let refresh = registered(&server, "lu@example.com").await;
    let res = server_fn(&server, app::api::MyMeetings::PATH, "", &refresh).await;
    assert_eq!(res.status(), StatusCode::OK);
    let renewed = kept(&res, "vm_refresh").expect("renewed refresh cookie");
    assert!(!renewed.is_empty() && renewed != refresh);
    assert_eq!(server.refresh_with(&renewed).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn two_tabs_renewing_at_once_keep_the_session() {
    let server = TestServer::start().await;
    let refresh = registered(&server, "max@example.com").await;
    let page = || async {
        server
            .bare_client()
            .get(server.url("/"))
            .header("cookie", format!("vm_refresh={refresh}"))
            .send()
            .await
            .unwrap()
    };
    let (a, b) = tokio::join!(page(), page());
    let (a, b) = (kept(&a, "vm_refresh"), kept(&b, "vm_refresh"));
    assert!(a.as_deref().is_some_and(|t| !t.is_empty()), "{a:?}");
    assert_eq!(a, b, "both tabs get the same successor");
    assert_eq!(
        server.refresh_with(&a.unwrap()).await.status(),
        StatusCode::OK,
        "and the session lives on"
    );
}

#[tokio::test]
async fn reuse_after_the_grace_window_revokes_the_family() {
    let mut config = Config::for_tests();
    config.refresh_grace_secs = 1;
    let server = TestServer::with_config(config).await;
    let first = registered(&server, "ned@example.com").await;
    let rotated = server.refresh_with(&first).await;
    assert_eq!(rotated.status(), StatusCode::OK);
    let second = cookie_value(&rotated, "vm_refresh").unwrap();
    // Within the grace window: the same successor, nothing revoked.
    let again = server.refresh_with(&first).await;
    assert_eq!(cookie_value(&again, "vm_refresh"), Some(second.clone()));
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(
        server.refresh_with(&first).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        server.refresh_with(&second).await.status(),
        StatusCode::UNAUTHORIZED,
        "the replay revoked the whole family"
    );
}

#[tokio::test]
async fn a_refresh_racing_a_sign_out_leaves_no_usable_token() {
    let server = TestServer::start().await;
    for n in 0..10 {
        let refresh = registered(&server, &format!("oz{n}@example.com")).await;
        let logout = async {
            server
                .bare_client()
                .post(server.url("/api/v1/auth/logout"))
                .header("cookie", format!("vm_refresh={refresh}"))
                .send()
                .await
                .unwrap()
        };
        let (renewed, out) = tokio::join!(server.refresh_with(&refresh), logout);
        assert_eq!(out.status(), StatusCode::NO_CONTENT);
        for token in [Some(refresh.clone()), cookie_value(&renewed, "vm_refresh")]
            .into_iter()
            .flatten()
        {
            assert_eq!(
                server.refresh_with(&token).await.status(),
                StatusCode::UNAUTHORIZED
            );
        }
    }
}

#[tokio::test]
async fn a_session_ends_at_its_absolute_lifetime() {
    let mut config = Config::for_tests();
    config.session_lifetime_secs = 2;
    let server = TestServer::with_config(config).await;
    let first = registered(&server, "pia@example.com").await;
    let rotated = server.refresh_with(&first).await;
    assert_eq!(rotated.status(), StatusCode::OK);
    let cookie = rotated
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("vm_refresh="))
        .unwrap()
        .to_owned();
    assert!(
        cookie.contains("Max-Age=1;") || cookie.contains("Max-Age=2;"),
        "the cookie ends with the sign-in: {cookie}"
    );
    let second = cookie_value(&rotated, "vm_refresh").unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(
        server.refresh_with(&second).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn over_https_the_cookies_are_host_prefixed() {
    let mut config = Config::for_tests();
    config.public_url = Some("https://meet.example.com".into());
    let server = TestServer::with_config(config).await;
    let res = server
        .register(&server.bare_client(), "quinn@example.com", "Quinn")
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let names: Vec<String> = set_cookies(&res).into_iter().map(|(k, _)| k).collect();
    assert_eq!(names, ["__Host-vm_access", "__Host-vm_refresh"]);
    let access = cookie_value(&res, "__Host-vm_access").unwrap();
    let me = server
        .bare_client()
        .get(server.url("/api/v1/users/me"))
        .header("cookie", format!("__Host-vm_access={access}"))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    let plain = server
        .bare_client()
        .get(server.url("/api/v1/users/me"))
        .header("cookie", format!("vm_access={access}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        plain.status(),
        StatusCode::UNAUTHORIZED,
        "an unprefixed cookie (plantable by a sibling subdomain) is not read"
    );
}
