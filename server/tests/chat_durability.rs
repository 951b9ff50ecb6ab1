//! Scenario: a chat message acknowledged to its sender survives the server being killed
//! with SIGKILL right after, with the embedded `surrealkv://` store (the real binary, in a
//! temp directory, restarted on the same data).

use crate::common::ws::{Ws, expect, send};
use futures_util::StreamExt as _;
use protocol::room::ChatLog;
use protocol::signal::{ClientMsg, JoinTicket, PROTOCOL_VERSION, ServerMsg};
use reqwest::Client;
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The release or debug binary cargo built for these tests.
const BINARY: &str = env!("CARGO_BIN_EXE_video-meet");

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start(dir: &Path, port: u16) -> Child {
    Command::new(BINARY)
        .env("VIDEO_MEET_ADDR", format!("127.0.0.1:{port}"))
        .env("VIDEO_MEET_MEDIA_ADDR", "127.0.0.1:0")
        .env(
            "VIDEO_MEET_DB",
            format!("surrealkv://{}", dir.join("db").display()),
        )
        .env("VIDEO_MEET_DATA_DIR", dir)
        .env("VIDEO_MEET_ARGON2_MEMORY_KIB", "1024")
        .env("VIDEO_MEET_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the server binary starts")
}

async fn ready(base: &str) {
    for _ in 0..600 {
        if reqwest::get(format!("{base}/healthz"))
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server did not come up");
}

#[tokio::test]
async fn an_acknowledged_chat_message_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = start(dir.path(), port);
    ready(&base).await;

    let host = Client::builder().cookie_store(true).build().unwrap();
    let res = host
        .post(format!("{base}/api/v1/auth/register"))
        .header("origin", &base)
        .json(&json!({ "email": "kill@example.com", "password": "password123", "display_name": "Kim" }))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "registered: {}", res.status());
    let meeting: Value = host
        .post(format!("{base}/api/v1/meetings"))
        .header("origin", &base)
        .json(&json!({ "title": "Kept" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let code = meeting["code"].as_str().unwrap().to_owned();
    let ticket: JoinTicket = host
        .post(format!("{base}/api/v1/meetings/{code}/join"))
        .header("origin", &base)
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (mut ws, _): (Ws, _) =
        tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{port}/ws"))
            .await
            .unwrap();
    let hello = ClientMsg::Hello {
        version: PROTOCOL_VERSION,
        ticket: Some(ticket.ticket),
        resume: None,
    };
    send(&mut ws, &hello).await;
    expect(&mut ws, |m| {
        matches!(m, ServerMsg::Welcome { .. }).then_some(())
    })
    .await;
    for n in 0..5u32 {
        let msg = ClientMsg::Chat {
            nonce: n,
            to: None,
            text: format!("said before the crash {n}"),
        };
        send(&mut ws, &msg).await;
    }
    for n in 0..5u32 {
        expect(&mut ws, |m| {
            matches!(m, ServerMsg::ChatAck { nonce, .. } if nonce == n).then_some(())
        })
        .await;
    }
    // Killed the moment the last acknowledgement arrived: no shutdown, no flush.
    server.kill().expect("SIGKILL");
    server.wait().unwrap();
    let _ = ws.next().await;

    let mut server = start(dir.path(), port);
    ready(&base).await;
    // The same cookie jar: the session was signed with the secret kept in the data dir.
    let log: ChatLog = host
        .get(format!("{base}/api/v1/meetings/{code}/chat"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let texts: Vec<&str> = log.messages.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(
        texts,
        (0..5)
            .map(|n| format!("said before the crash {n}"))
            .collect::<Vec<_>>()
    );
    server.kill().unwrap();
    server.wait().unwrap();
}
