//! Scenario: a host schedules, lists, edits and deletes meetings; others only see public info.

use crate::common::{TestServer, error_of};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn host_creates_lists_edits_and_deletes() {
    let server = TestServer::start().await;
    let host = server.signed_in("ida@example.com", "Ida").await;

    let res = server
        .create_meeting(
            &host,
            json!({
                "title": "Planning",
                "starts_at": "2099-01-02T10:00:00+01:00",
                "duration_minutes": 45,
                "password": "s3cret",
                "allow_guests": false,
                "lobby": true,
                "max_participants": 4
            }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let meeting: Value = res.json().await.unwrap();
    let code = meeting["code"].as_str().unwrap().to_owned();
    let re_code = code.len() == 12 && code.chars().filter(|c| *c == '-').count() == 2;
    assert!(re_code, "human-friendly code, got {code}");
    assert_eq!(
        meeting["join_url"],
        format!("{}/meeting/{code}", server.base)
    );
    assert_eq!(meeting["starts_at"], "2099-01-02T09:00:00Z");
    assert_eq!(meeting["has_password"], true);
    assert!(meeting.get("password_hash").is_none());

    // An unscheduled meeting and a finished one.
    server
        .create_meeting(&host, json!({ "title": "Anytime" }))
        .await;
    server
        .create_meeting(
            &host,
            json!({ "title": "Retro", "starts_at": "2020-01-01T10:00:00Z" }),
        )
        .await;
    let list = server.get_json(&host, "/api/v1/meetings").await;
    let titles = |key: &str| -> Vec<String> {
        list[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["title"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(titles("upcoming"), vec!["Planning", "Anytime"]);
    assert_eq!(titles("past"), vec!["Retro"]);

    let patched = host
        .patch(server.url(&format!("/api/v1/meetings/{code}")))
        .json(&json!({ "title": "Planning v2", "password": "" }))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), StatusCode::OK);
    let patched: Value = patched.json().await.unwrap();
    assert_eq!(patched["title"], "Planning v2");
    assert_eq!(patched["has_password"], false);
    assert_eq!(patched["lobby"], true, "fields not sent are kept");

    let deleted = host
        .delete(server.url(&format!("/api/v1/meetings/{}", code.to_uppercase())))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let gone = host
        .get(server.url(&format!("/api/v1/meetings/{code}")))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn public_info_never_shows_secrets_and_the_host_needs_no_password() {
    let server = TestServer::start().await;
    let host = server.signed_in("jan@example.com", "Jan").await;
    let meeting: Value = server
        .create_meeting(
            &host,
            json!({ "title": "Secret plans", "password": "hunter22" }),
        )
        .await
        .json()
        .await
        .unwrap();
    let code = meeting["code"].as_str().unwrap();

    let res = server
        .client()
        .get(server.url(&format!("/api/v1/meetings/{code}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let text = res.text().await.unwrap();
    let info: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(info["title"], "Secret plans");
    assert_eq!(info["host_name"], "Jan");
    assert_eq!(info["needs_password"], true);
    assert_eq!(info["allows_guests"], true);
    assert!(
        !text.contains("argon2") && !text.contains("hunter22") && !text.contains("password_hash")
    );

    // The host is not asked for their own meeting's password: the look-up says so, and the
    // join step lets them in without it (they could not, and the dashboard never shows it).
    let mine = server
        .get_json(&host, &format!("/api/v1/meetings/{code}"))
        .await;
    assert_eq!(mine["needs_password"], false);
    let ticket = host
        .post(server.url(&format!("/api/v1/meetings/{code}/join")))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(ticket.status(), StatusCode::OK);
    // Anyone else still needs it.
    let other = server.signed_in("kit@example.com", "Kit").await;
    let refused = other
        .post(server.url(&format!("/api/v1/meetings/{code}/join")))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn only_the_host_may_change_or_delete() {
    let server = TestServer::start().await;
    let host = server.signed_in("kim@example.com", "Kim").await;
    let other = server.signed_in("lou@example.com", "Lou").await;
    let meeting: Value = server
        .create_meeting(&host, json!({ "title": "Kim's" }))
        .await
        .json()
        .await
        .unwrap();
    let url = server.url(&format!(
        "/api/v1/meetings/{}",
        meeting["code"].as_str().unwrap()
    ));

    let patch = other
        .patch(&url)
        .json(&json!({ "title": "Lou's now" }))
        .send()
        .await
        .unwrap();
    assert_eq!(patch.status(), StatusCode::FORBIDDEN);
    let delete = other.delete(&url).send().await.unwrap();
    assert_eq!(delete.status(), StatusCode::FORBIDDEN);
    let anonymous = server.client().delete(&url).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

    let info: Value = host.get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(info["title"], "Kim's");
    let list: Value = other
        .get(server.url("/api/v1/meetings"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        list["upcoming"].as_array().unwrap().is_empty(),
        "others' meetings are not listed"
    );
}

#[tokio::test]
async fn unknown_and_malformed_codes_are_404() {
    let server = TestServer::start().await;
    let host = server.signed_in("max@example.com", "Max").await;
    for code in ["abc-defg-hij", "not-a-code", "..%2F..%2Fetc"] {
        let res = host
            .get(server.url(&format!("/api/v1/meetings/{code}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{code}");
        assert_eq!(error_of(res).await["code"], "not_found");
        let res = host
            .patch(server.url(&format!("/api/v1/meetings/{code}")))
            .json(&json!({ "title": "x" }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{code}");
    }
}

#[tokio::test]
async fn invalid_meetings_get_field_errors_and_nothing_is_stored() {
    let server = TestServer::start().await;
    let host = server.signed_in("ned@example.com", "Ned").await;
    let res = server
        .create_meeting(
            &host,
            json!({ "title": "", "starts_at": "next tuesday", "duration_minutes": 0, "max_participants": 1 }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let err = error_of(res).await;
    for field in ["title", "starts_at", "duration_minutes", "max_participants"] {
        assert!(err["fields"][field].is_string(), "missing {field}: {err}");
    }
    let wrong_type = server.create_meeting(&host, json!({ "title": 42 })).await;
    assert_eq!(wrong_type.status(), StatusCode::BAD_REQUEST);
    let list: Value = host
        .get(server.url("/api/v1/meetings"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(list["upcoming"].as_array().unwrap().is_empty());

    let anonymous = server
        .create_meeting(&server.client(), json!({ "title": "x" }))
        .await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}
