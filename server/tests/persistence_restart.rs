//! Scenario: with the embedded `surrealkv://` store, accounts and meetings survive a restart,
//! and so do sessions (the generated token secret is kept in the data directory).

use crate::common::TestServer;
use reqwest::StatusCode;
use serde_json::{Value, json};
use video_meet::config::Config;

fn config_in(dir: &std::path::Path) -> Config {
    let mut config = Config::for_tests();
    config.db = format!("surrealkv://{}", dir.join("db").display());
    config.data_dir = dir.to_path_buf();
    config.secret = None;
    config
}

/// A restart is a new process in real life; here the first server's embedded store lets go
/// of its lock file shortly after its last handle drops, so retry for a few seconds.
async fn start_when_unlocked(dir: &std::path::Path) -> TestServer {
    for _ in 0..50 {
        match video_meet::spawn(config_in(dir)).await {
            Ok(running) => {
                let base = format!("http://{}", running.addr);
                return TestServer { running, base };
            }
            Err(e) if e.to_string().contains("locked") => {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Err(e) => panic!("restart failed: {e}"),
        }
    }
    panic!("the database lock was never released");
}

#[tokio::test]
async fn data_and_sessions_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();

    let first = TestServer::with_config(config_in(dir.path())).await;
    let client = first.signed_in("ola@example.com", "Ola").await;
    let meeting: Value = first
        .create_meeting(&client, json!({ "title": "Kept across restarts" }))
        .await
        .json()
        .await
        .unwrap();
    let list_url = "/api/v1/meetings";
    first.running.stop().await;

    let second = start_when_unlocked(dir.path()).await;
    // The same cookie jar: the access token signed before the restart is still valid.
    let list: Value = client
        .get(second.url(list_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["upcoming"][0]["code"], meeting["code"]);
    assert_eq!(list["upcoming"][0]["title"], "Kept across restarts");

    let login = second
        .client()
        .post(second.url("/api/v1/auth/login"))
        .json(&json!({ "email": "ola@example.com", "password": "password123" }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::OK, "the account is still there");
    let dup = second
        .register(&second.client(), "ola@example.com", "Ola again")
        .await;
    assert_eq!(
        dup.status(),
        StatusCode::CONFLICT,
        "the unique email index is still there"
    );
    assert_eq!(
        video_meet::db::schema_version(&second.running.state.db)
            .await
            .unwrap(),
        Some(video_meet::db::SCHEMA_VERSION)
    );
    second.running.stop().await;
}
