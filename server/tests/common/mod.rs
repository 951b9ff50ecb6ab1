//! Shared test harness: a real server on 127.0.0.1 with SurrealDB in memory, and clients.

pub mod smtp;
pub mod ws;

use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};
use video_meet::Running;
use video_meet::config::Config;

pub struct TestServer {
    pub running: Running,
    pub base: String,
}

impl TestServer {
    pub async fn start() -> Self {
        Self::with_config(Config::for_tests()).await
    }

    pub async fn with_config(config: Config) -> Self {
        let running = video_meet::spawn(config).await.expect("test server starts");
        let base = format!("http://{}", running.addr);
        Self { running, base }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// `GET path` as `client`, read as JSON (whatever the status).
    pub async fn get_json(&self, client: &Client, path: &str) -> serde_json::Value {
        serde_json::from_str(&self.page(client, path).await).expect("a JSON body")
    }

    /// `POST /api/v1/auth/refresh` with `token` as the only cookie.
    pub async fn refresh_with(&self, token: &str) -> Response {
        self.bare_client()
            .post(self.url("/api/v1/auth/refresh"))
            .header("cookie", format!("vm_refresh={token}"))
            .send()
            .await
            .expect("refresh request is sent")
    }

    /// A browser-like client that keeps cookies. Like a browser on this site it says its
    /// requests are same-origin (`Sec-Fetch-Site`): without `Origin`, a bodiless POST is
    /// refused otherwise (`http::origin`; `tests/origin_check.rs` uses a plain client).
    pub fn client(&self) -> Client {
        Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(same_site())
            .build()
            .expect("client builds")
    }

    /// A client without a cookie jar, for hand-made Cookie headers.
    pub fn bare_client(&self) -> Client {
        Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(same_site())
            .build()
            .expect("client builds")
    }

    pub async fn register(&self, client: &Client, email: &str, name: &str) -> Response {
        client
            .post(self.url("/api/v1/auth/register"))
            .json(&json!({ "email": email, "password": "password123", "display_name": name }))
            .send()
            .await
            .expect("register request is sent")
    }

    /// Registers a fresh user and returns a client signed in as them.
    pub async fn signed_in(&self, email: &str, name: &str) -> Client {
        let client = self.client();
        let res = self.register(&client, email, name).await;
        assert_eq!(
            res.status(),
            StatusCode::CREATED,
            "registration of {email} succeeds"
        );
        client
    }

    /// The body of `GET path` as `client` (a page's HTML, or any text).
    pub async fn page(&self, client: &Client, path: &str) -> String {
        client
            .get(self.url(path))
            .send()
            .await
            .expect("page request is sent")
            .text()
            .await
            .expect("page body is text")
    }

    pub async fn create_meeting(&self, client: &Client, body: Value) -> Response {
        client
            .post(self.url("/api/v1/meetings"))
            .json(&body)
            .send()
            .await
            .expect("create request is sent")
    }
}

fn same_site() -> reqwest::header::HeaderMap {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        "sec-fetch-site",
        reqwest::header::HeaderValue::from_static("same-origin"),
    );
    headers
}

/// The `{"error": {...}}` body of a failed response.
pub async fn error_of(res: Response) -> Value {
    let body: Value = res.json().await.expect("error body is JSON");
    body.get("error")
        .cloned()
        .expect("error body has an `error` object")
}

/// Every `Set-Cookie` of a response as (name, value), in order.
pub fn set_cookies(res: &Response) -> Vec<(String, String)> {
    res.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// The value of the first `Set-Cookie` with that name.
pub fn cookie_value(res: &Response, name: &str) -> Option<String> {
    set_cookies(res)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// Polls `fetch` every 100 ms until `done` holds for what it returns (at most ~10 s), for
/// what the server does off the request's path (records, mail); panics with the last value.
pub async fn eventually<T: std::fmt::Debug, F: std::future::Future<Output = T>>(
    what: &str,
    mut fetch: impl FnMut() -> F,
    done: impl Fn(&T) -> bool,
) -> T {
    let mut last = fetch().await;
    for _ in 0..100 {
        if done(&last) {
            return last;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        last = fetch().await;
    }
    panic!("{what} never happened; last seen: {last:?}");
}
