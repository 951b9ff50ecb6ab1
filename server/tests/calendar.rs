//! Scenario: a scheduled meeting's calendar invitation (.ics) for its host; a change to the
//! meeting gives the same UID with a higher SEQUENCE; unscheduled meetings have none.

use crate::common::TestServer;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn prop(ics: &str, name: &str) -> Option<String> {
    ics.split("\r\n")
        .find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(':')))
        .map(str::to_owned)
}

#[tokio::test]
async fn the_host_downloads_an_invitation_that_follows_changes() {
    let server = TestServer::start().await;
    let host = server.signed_in("cal@example.com", "Cal").await;
    let meeting: Value = server
        .create_meeting(
            &host,
            json!({ "title": "Quarterly", "starts_at": "2099-05-04T09:00:00Z", "duration_minutes": 30 }),
        )
        .await
        .json()
        .await
        .unwrap();
    let code = meeting["code"].as_str().unwrap().to_owned();
    let url = server.url(&format!("/api/v1/meetings/{code}/invite.ics"));
    let res = host.get(&url).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()["content-type"],
        "text/calendar; charset=utf-8"
    );
    let first = res.text().await.unwrap();
    assert_eq!(prop(&first, "SUMMARY").as_deref(), Some("Quarterly"));
    assert_eq!(prop(&first, "DTSTART").as_deref(), Some("20990504T090000Z"));
    assert_eq!(prop(&first, "DTEND").as_deref(), Some("20990504T093000Z"));
    assert_eq!(prop(&first, "SEQUENCE").as_deref(), Some("0"));
    assert_eq!(
        prop(&first, "URL"),
        meeting["join_url"].as_str().map(str::to_owned)
    );
    assert_eq!(
        prop(&first, "ORGANIZER;CN=Cal").as_deref(),
        Some("mailto:cal@example.com")
    );

    let res = host
        .patch(server.url(&format!("/api/v1/meetings/{code}")))
        .json(&json!({ "starts_at": "2099-05-04T10:00:00Z" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let second = host.get(&url).send().await.unwrap().text().await.unwrap();
    assert_eq!(prop(&second, "UID"), prop(&first, "UID"));
    assert_eq!(prop(&second, "SEQUENCE").as_deref(), Some("1"));
    assert_eq!(
        prop(&second, "DTSTART").as_deref(),
        Some("20990504T100000Z")
    );

    let other = server.signed_in("other@example.com", "Other").await;
    assert_eq!(
        other.get(&url).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let open: Value = server
        .create_meeting(&host, json!({ "title": "Any time" }))
        .await
        .json()
        .await
        .unwrap();
    let res = host
        .get(server.url(&format!(
            "/api/v1/meetings/{}/invite.ics",
            open["code"].as_str().unwrap()
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
}
