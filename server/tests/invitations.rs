//! Scenario: the host invites people by email to a scheduled meeting. The invitation (with its
//! `.ics`), a reminder, an update and a cancellation arrive at a real SMTP server on loopback;
//! a broken or silent SMTP server never holds up a request and its failure shows per invitee;
//! without SMTP the feature says it is off; only the host invites, within an hourly limit.

use crate::common::smtp::{SmtpSink, free_port};
use crate::common::{TestServer, error_of, eventually};
use protocol::{InvitationList, InvitationStatus};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use video_meet::config::Config;

fn mail_config(smtp_url: String) -> Config {
    let mut config = Config::for_tests();
    config.smtp_url = Some(smtp_url);
    config.smtp_from = Some("Video Meet <meet@example.com>".into());
    config.reminder_minutes = 60;
    // Updates wait a second for more changes (a minute by default).
    config.mail_update_delay_secs = 1;
    config
}

/// A meeting starting `in_secs` from now, as RFC 3339.
fn starting_in(in_secs: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::seconds(in_secs))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

async fn scheduled(server: &TestServer, host: &Client, title: &str, starts_at: &str) -> String {
    let m: Value = server
        .create_meeting(
            host,
            json!({ "title": title, "starts_at": starts_at, "duration_minutes": 30 }),
        )
        .await
        .json()
        .await
        .unwrap();
    m["code"].as_str().unwrap().to_owned()
}

async fn invite(
    server: &TestServer,
    host: &Client,
    code: &str,
    emails: &[&str],
) -> reqwest::Response {
    host.post(server.url(&format!("/api/v1/meetings/{code}/invitations")))
        .json(&json!({ "emails": emails }))
        .send()
        .await
        .unwrap()
}

async fn list(server: &TestServer, host: &Client, code: &str) -> InvitationList {
    host.get(server.url(&format!("/api/v1/meetings/{code}/invitations")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Polls the host's list until `done` holds.
async fn until(
    server: &TestServer,
    host: &Client,
    code: &str,
    done: impl Fn(&InvitationList) -> bool,
) -> InvitationList {
    eventually(
        "the invitations state to get there",
        || list(server, host, code),
        done,
    )
    .await
}

#[tokio::test]
async fn invitation_reminder_update_and_cancellation_arrive_by_mail() {
    let smtp = SmtpSink::start().await;
    let server = TestServer::with_config(mail_config(smtp.url())).await;
    let host = server.signed_in("host@example.com", "Hedy").await;
    // The reminder is due 60 minutes before the start: 5 seconds from now.
    let code = scheduled(&server, &host, "Roadmap", &starting_in(3600 + 5)).await;

    let res = invite(
        &server,
        &host,
        &code,
        &["ann@example.com", "not-an-address"],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let error = error_of(res).await;
    assert!(
        error["fields"]["emails"]
            .as_str()
            .unwrap()
            .contains("not-an-address")
    );
    assert!(
        list(&server, &host, &code).await.invitations.is_empty(),
        "nothing queued"
    );

    let res = invite(
        &server,
        &host,
        &code,
        &["Ann@Example.com", "bo@example.org", "ann@example.com"],
    )
    .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let invited = smtp.wait_for("Invitation: Roadmap", 2).await;
    let ann = invited
        .iter()
        .find(|m| m.to.contains("ann@example.com"))
        .expect("Ann's invitation");
    assert!(ann.text.contains("Hedy invites you"), "{}", ann.text);
    assert!(ann.text.contains(&format!("/meeting/{code}")));
    assert_eq!(ann.ics_prop("METHOD").as_deref(), Some("REQUEST"));
    assert_eq!(ann.ics_prop("SUMMARY").as_deref(), Some("Roadmap"));
    assert!(
        ann.ics
            .as_deref()
            .unwrap()
            .contains("ATTENDEE;RSVP=FALSE:mailto:ann@example.com")
    );
    // The organizer is the host by name, at the server's sending address: mail never vouches
    // for the address the host typed at registration (it is not verified).
    let organizer = ann
        .ics
        .as_deref()
        .unwrap()
        .lines()
        .find(|l| l.starts_with("ORGANIZER"))
        .unwrap()
        .to_owned();
    assert!(
        organizer.contains("CN=Hedy") && organizer.ends_with("mailto:meet@example.com"),
        "{organizer}"
    );
    assert!(!ann.ics.as_deref().unwrap().contains("host@example.com"));
    let uid = ann.ics_prop("UID").unwrap();
    let sent = until(&server, &host, &code, |l| {
        l.invitations.len() == 2
            && l.invitations
                .iter()
                .all(|i| i.status == InvitationStatus::Sent)
    })
    .await;
    assert!(sent.enabled);
    assert_eq!(sent.invitations[0].last_mail, "invitation");

    // Inviting Ann again sends her nothing new.
    let res = invite(&server, &host, &code, &["ann@example.com"]).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);

    let reminded = smtp.wait_for("Reminder: Roadmap", 2).await;
    assert!(reminded[0].ics.is_none());
    assert!(reminded[0].text.contains("Join:"));

    // A new title: each invitee gets the update, same UID, next sequence.
    let res = host
        .patch(server.url(&format!("/api/v1/meetings/{code}")))
        .json(&json!({ "title": "Roadmap 2027" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let updated = smtp.wait_for("Updated: Roadmap 2027", 2).await;
    assert_eq!(updated[0].ics_prop("UID"), Some(uid.clone()));
    assert_eq!(updated[0].ics_prop("SEQUENCE").as_deref(), Some("1"));
    // A change invitees do not see (the lobby) mails nobody.
    let before = smtp.received().len();
    host.patch(server.url(&format!("/api/v1/meetings/{code}")))
        .json(&json!({ "lobby": true }))
        .send()
        .await
        .unwrap();

    let res = host
        .delete(server.url(&format!("/api/v1/meetings/{code}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let cancelled = smtp.wait_for("Cancelled: Roadmap 2027", 2).await;
    assert_eq!(cancelled[0].ics_prop("METHOD").as_deref(), Some("CANCEL"));
    assert_eq!(
        cancelled[0].ics_prop("STATUS").as_deref(),
        Some("CANCELLED")
    );
    assert_eq!(cancelled[0].ics_prop("UID"), Some(uid));
    let seq: u32 = cancelled[0].ics_prop("SEQUENCE").unwrap().parse().unwrap();
    assert!(seq >= 2, "a cancellation comes after every change: {seq}");
    assert_eq!(
        smtp.received().len(),
        before + 2,
        "the lobby change sent nothing, the deletion one mail each"
    );
}

#[tokio::test]
async fn a_broken_or_silent_smtp_server_never_holds_up_a_request() {
    // Silent: accepts connections and never says a word.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    let _keep = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            held.push(socket);
        }
    });
    let server =
        TestServer::with_config(mail_config(format!("smtp://127.0.0.1:{silent_port}"))).await;
    let host = server.signed_in("silent@example.com", "Sid").await;
    let code = scheduled(&server, &host, "Quiet", &starting_in(86_400)).await;
    let started = Instant::now();
    let res = invite(
        &server,
        &host,
        &code,
        &["ann@example.com", "bo@example.com"],
    )
    .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    let listed = res.json::<InvitationList>().await.unwrap();
    assert!(
        listed
            .invitations
            .iter()
            .all(|i| i.status == InvitationStatus::Queued)
    );
    // Other requests go on meanwhile.
    let started = Instant::now();
    let res = host
        .get(server.url("/api/v1/meetings"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(started.elapsed() < Duration::from_secs(2));

    // Refused: nothing listens. The host sees the failure and that it will be retried.
    let server =
        TestServer::with_config(mail_config(format!("smtp://127.0.0.1:{}", free_port()))).await;
    let host = server.signed_in("refused@example.com", "Rae").await;
    let code = scheduled(&server, &host, "Nowhere", &starting_in(86_400)).await;
    let res = invite(&server, &host, &code, &["ann@example.com"]).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let retrying = until(&server, &host, &code, |l| {
        l.invitations
            .first()
            .is_some_and(|i| i.status == InvitationStatus::Retrying)
    })
    .await;
    assert!(
        retrying.invitations[0]
            .last_error
            .as_deref()
            .is_some_and(|e| !e.is_empty())
    );
}

#[tokio::test]
async fn without_smtp_it_is_off_and_only_the_host_invites_within_a_limit() {
    let server = TestServer::start().await;
    let host = server.signed_in("nomail@example.com", "Nia").await;
    let code = scheduled(&server, &host, "Local", &starting_in(86_400)).await;
    let off = list(&server, &host, &code).await;
    assert!(!off.enabled);
    let res = invite(&server, &host, &code, &["ann@example.com"]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(
        error_of(res).await["message"]
            .as_str()
            .unwrap()
            .contains("not set up")
    );

    let smtp = SmtpSink::start().await;
    let mut config = mail_config(smtp.url());
    config.invites_per_hour = 3;
    let server = TestServer::with_config(config).await;
    let host = server.signed_in("limit@example.com", "Lee").await;
    let code = scheduled(&server, &host, "Busy", &starting_in(86_400)).await;
    let other = server.signed_in("other@example.com", "Oz").await;
    let res = invite(&server, &other, &code, &["ann@example.com"]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = other
        .get(server.url(&format!("/api/v1/meetings/{code}/invitations")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let res = invite(
        &server,
        &host,
        &code,
        &["a@example.com", "b@example.com", "c@example.com"],
    )
    .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let res = invite(&server, &host, &code, &["d@example.com"]).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key("retry-after"));

    // An unscheduled meeting has nothing to put in a calendar.
    let m: Value = server
        .create_meeting(&host, json!({ "title": "Always open" }))
        .await
        .json()
        .await
        .unwrap();
    let res = invite(
        &server,
        &host,
        m["code"].as_str().unwrap(),
        &["e@example.com"],
    )
    .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
}

/// An SMTP server on loopback that refuses every recipient with a reply that would tell
/// whether the mailbox exists (as real servers do).
async fn refusing_smtp_server() -> u16 {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 mail.example.com ready\r\n").await;
                while let Ok(Some(line)) = lines.next_line().await {
                    let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250 mail.example.com\r\n",
                        "MAIL" => b"250 2.1.0 Ok\r\n",
                        "RCPT" => b"550 5.1.1 <ann@example.com>: mailbox ann-secret-detail does not exist\r\n",
                        "QUIT" => b"221 Bye\r\n",
                        _ => b"250 Ok\r\n",
                    };
                    if write.write_all(reply).await.is_err() || verb == "QUIT" {
                        break;
                    }
                }
            });
        }
    });
    port
}

/// The host sees why an invitation failed as a category, never the mail server's own words:
/// those can tell whether a mailbox exists (probing addresses by inviting them).
#[tokio::test]
async fn the_host_reads_a_category_not_the_mail_servers_reply() {
    let port = refusing_smtp_server().await;
    let server = TestServer::with_config(mail_config(format!("smtp://127.0.0.1:{port}"))).await;
    let host = server.signed_in("prober@example.com", "Pro").await;
    let code = scheduled(&server, &host, "Probe", &starting_in(86_400)).await;
    let res = invite(&server, &host, &code, &["ann@example.com"]).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let failed = until(&server, &host, &code, |l| {
        l.invitations
            .first()
            .is_some_and(|i| i.last_error.is_some())
    })
    .await;
    let shown = failed.invitations[0].last_error.clone().unwrap();
    assert_eq!(shown, "The mail server refused this invitation.");
    let raw = server
        .page(&host, &format!("/api/v1/meetings/{code}/invitations"))
        .await;
    assert!(
        !raw.contains("secret-detail") && !raw.contains("550"),
        "{raw}"
    );
}

/// Editing a meeting over and over does not flood its invitees (every changing PATCH used to
/// mail each of them): 1,000 title changes send each invitee one update, with the latest
/// title, and the next change waits for the spacing. Parallel invitation requests cannot
/// pass the hourly cap together either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_changes_send_one_update_each_and_the_invitation_cap_holds_in_parallel() {
    let smtp = SmtpSink::start().await;
    let mut config = mail_config(smtp.url());
    config.invites_per_hour = 10;
    // Room for a slow machine between two of the 1,000 changes: a pause longer than the
    // delay would let an update out early (then the spacing holds the last one back).
    config.mail_update_delay_secs = 4;
    let server = TestServer::with_config(config).await;
    let host = server.signed_in("flipper@example.com", "Flo").await;
    let code = scheduled(&server, &host, "Flip 0", &starting_in(86_400)).await;
    let invitees = ["a@example.com", "b@example.com", "c@example.com"];
    let res = invite(&server, &host, &code, &invitees).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    smtp.wait_for("Invitation: Flip 0", 3).await;

    for n in 1..=1000 {
        let res = host
            .patch(server.url(&format!("/api/v1/meetings/{code}")))
            .json(&json!({ "title": format!("Flip {n}") }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
    let updates = smtp.wait_for("Updated:", 3).await;
    assert!(
        updates
            .iter()
            .all(|m| m.subject.starts_with("Updated: Flip 1000 (")),
        "{:?}",
        updates.iter().map(|m| &m.subject).collect::<Vec<_>>()
    );
    // Nothing more comes: one update each, not 1,000.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let updates_now = smtp
        .received()
        .iter()
        .filter(|raw| raw.contains("Subject: Updated:"))
        .count();
    assert_eq!(updates_now, 3);
    // One more change: it waits for the spacing (ten minutes by default), not sent now.
    host.patch(server.url(&format!("/api/v1/meetings/{code}")))
        .json(&json!({ "title": "Flip again" }))
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(!smtp.received().iter().any(|raw| raw.contains("Flip again")));

    // Parallel invitation requests share the hourly cap (3 used, 10 in all).
    let code2 = scheduled(&server, &host, "Crowd", &starting_in(86_400)).await;
    let batches: Vec<Vec<String>> = (0..6)
        .map(|b| (0..4).map(|i| format!("p{b}-{i}@example.com")).collect())
        .collect();
    let requests = batches.iter().map(|batch| {
        let emails: Vec<&str> = batch.iter().map(String::as_str).collect();
        let server = &server;
        let host = &host;
        let code2 = code2.clone();
        async move { invite(server, host, &code2, &emails).await.status() }
    });
    let statuses = futures_util::future::join_all(requests).await;
    let accepted = statuses
        .iter()
        .filter(|s| **s == StatusCode::ACCEPTED)
        .count();
    assert!(
        accepted * 4 + 3 <= 10,
        "{statuses:?}: the cap let {accepted} batches of 4 through"
    );
}

/// Every mail counts against its host's hourly budget and the server's, taken by the one
/// sending task (atomic however many requests queued mail): past it, mail waits its turn.
#[tokio::test]
async fn mail_past_a_hosts_hourly_budget_waits_its_turn() {
    let smtp = SmtpSink::start().await;
    let mut config = mail_config(smtp.url());
    config.mail_per_host_per_hour = 3;
    let server = TestServer::with_config(config).await;
    let host = server.signed_in("budget@example.com", "Bud").await;
    let code = scheduled(&server, &host, "Budget", &starting_in(86_400)).await;
    let invitees = [
        "a@example.com",
        "b@example.com",
        "c@example.com",
        "d@example.com",
        "e@example.com",
    ];
    let res = invite(&server, &host, &code, &invitees).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    smtp.wait_for("Invitation: Budget", 3).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(smtp.received().len(), 3, "two wait for the next hour");
    let listed = list(&server, &host, &code).await;
    let waiting = listed
        .invitations
        .iter()
        .filter(|i| i.status == InvitationStatus::Queued)
        .count();
    assert_eq!(waiting, 2);
}
