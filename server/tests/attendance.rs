//! Scenario: who came to a meeting and when is recorded as it happens (signed-in people and
//! guests by name); a join, a leave and a rejoin make three stays; only the host may read it,
//! as JSON or CSV.

use crate::common::ws::{hello, meeting, send, ticket};
use crate::common::{TestServer, eventually};
use protocol::AttendanceList;
use protocol::signal::ClientMsg;
use reqwest::{Client, StatusCode};
use serde_json::json;

async fn list(server: &TestServer, client: &Client, code: &str) -> AttendanceList {
    client
        .get(server.url(&format!("/api/v1/meetings/{code}/attendance")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Polls until `done` holds for the host's list (the record is written off the rooms' path).
async fn until(
    server: &TestServer,
    host: &Client,
    code: &str,
    done: impl Fn(&AttendanceList) -> bool,
) -> AttendanceList {
    eventually(
        "the attendance record to get there",
        || list(server, host, code),
        done,
    )
    .await
}

#[tokio::test]
async fn joins_leaves_and_rejoins_are_recorded_for_the_host_only() {
    let server = TestServer::start().await;
    let host = server.signed_in("att@example.com", "Hana").await;
    let code = meeting(
        &server,
        &host,
        json!({ "title": "Standup", "allow_guests": true }),
    )
    .await;
    let (_h, _, _, _) = hello(&server, &ticket(&server, &host, &code, json!({})).await).await;
    let guest = server.client();
    let t = ticket(&server, &guest, &code, json!({ "display_name": "Gil" })).await;
    let (mut g, _, _, _) = hello(&server, &t).await;
    send(&mut g, &ClientMsg::Leave).await;
    let t = ticket(&server, &guest, &code, json!({ "display_name": "Gil" })).await;
    let (_g2, _, _, _) = hello(&server, &t).await;

    let got = until(&server, &host, &code, |l| {
        l.entries.len() == 3 && l.entries[1].left_at.is_some()
    })
    .await;
    assert_eq!(got.title, "Standup");
    let names: Vec<(&str, bool)> = got
        .entries
        .iter()
        .map(|e| (e.name.as_str(), e.signed_in))
        .collect();
    assert_eq!(names, [("Hana", true), ("Gil", false), ("Gil", false)]);
    assert!(got.entries[0].left_at.is_none(), "the host is still there");
    assert!(got.entries[2].left_at.is_none(), "Gil came back");
    assert!(got.entries[1].joined_at <= got.entries[1].left_at.clone().unwrap());

    let csv = host
        .get(server.url(&format!("/api/v1/meetings/{code}/attendance?format=csv")))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let text = csv.text().await.unwrap();
    assert_eq!(text.lines().count(), 4);
    assert!(text.starts_with(
        "\"name\",\"signed_in\",\"joined_at\",\"left_at\",\"minutes\"\r\n\"Hana\",\"true\","
    ));

    // Only the host: a signed-in stranger, and a guest, are refused.
    let stranger = server.signed_in("nosy@example.com", "Nosy").await;
    let res = stranger
        .get(server.url(&format!("/api/v1/meetings/{code}/attendance")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = guest
        .get(server.url(&format!("/api/v1/meetings/{code}/attendance")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

/// A guest's name that a spreadsheet in a `;` locale would split and read as a formula comes
/// out quoted and defused (it used to go out as `a;=1+1,false,...`).
#[tokio::test]
async fn the_csv_defuses_a_formula_behind_a_semicolon() {
    let server = TestServer::start().await;
    let host = server.signed_in("csv@example.com", "Hana").await;
    let code = meeting(
        &server,
        &host,
        json!({ "title": "Sheet", "allow_guests": true }),
    )
    .await;
    let (_h, _, _, _) = hello(&server, &ticket(&server, &host, &code, json!({})).await).await;
    let guest = server.client();
    let t = ticket(&server, &guest, &code, json!({ "display_name": "a;=1+1" })).await;
    let (_g, _, _, _) = hello(&server, &t).await;
    until(&server, &host, &code, |l| l.entries.len() == 2).await;
    let text = server
        .page(
            &host,
            &format!("/api/v1/meetings/{code}/attendance?format=csv"),
        )
        .await;
    let guest_line = text.lines().nth(2).expect("the guest's line");
    assert!(
        guest_line.starts_with("\"a;'=1+1\",\"false\","),
        "{guest_line}"
    );
}
