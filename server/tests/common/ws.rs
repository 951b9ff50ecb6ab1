//! WebSocket helpers for signaling scenarios: join step, hello, send, receive.

use super::TestServer;
use futures_util::{SinkExt, StreamExt};
use protocol::signal::{ClientMsg, JoinTicket, PROTOCOL_VERSION, PeerId, ServerMsg};
use reqwest::{Client, StatusCode};
use serde_json::Value;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub async fn meeting(server: &TestServer, host: &Client, body: Value) -> String {
    let m: Value = server
        .create_meeting(host, body)
        .await
        .json()
        .await
        .unwrap();
    m["code"].as_str().unwrap().to_owned()
}

pub async fn ticket(server: &TestServer, client: &Client, code: &str, body: Value) -> JoinTicket {
    let res = client
        .post(server.url(&format!("/api/v1/meetings/{code}/join")))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "join step for {code}");
    res.json().await.unwrap()
}

pub async fn connect(server: &TestServer) -> Ws {
    let url = format!("ws://{}/ws", server.running.addr);
    tokio_tungstenite::connect_async(url)
        .await
        .expect("websocket connects")
        .0
}

pub async fn send(ws: &mut Ws, msg: &ClientMsg) {
    ws.send(Message::Text(serde_json::to_string(msg).unwrap().into()))
        .await
        .unwrap();
}

/// The next signaling message, skipping heartbeat pings.
pub async fn recv(ws: &mut Ws) -> ServerMsg {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("a message arrives in time")
            .expect("socket open")
            .expect("frame ok");
        if let Message::Text(text) = frame {
            match serde_json::from_str(&text).unwrap() {
                ServerMsg::Ping { .. } => continue,
                msg => return msg,
            }
        }
    }
}

pub async fn nothing_arrives(ws: &mut Ws) {
    let got = tokio::time::timeout(Duration::from_millis(300), ws.next()).await;
    assert!(got.is_err(), "expected silence, got {got:?}");
}

/// Opens a socket, says hello with the ticket, and returns the first answer.
pub async fn enter(server: &TestServer, t: &JoinTicket) -> (Ws, ServerMsg) {
    let mut ws = connect(server).await;
    send(
        &mut ws,
        &ClientMsg::Hello {
            version: PROTOCOL_VERSION,
            ticket: Some(t.ticket.clone()),
            resume: None,
        },
    )
    .await;
    let first = recv(&mut ws).await;
    (ws, first)
}

pub async fn hello(server: &TestServer, t: &JoinTicket) -> (Ws, PeerId, String, usize) {
    match enter(server, t).await {
        (
            ws,
            ServerMsg::Welcome {
                you,
                resume_token,
                peers,
                ..
            },
        ) => (ws, you, resume_token, peers.len()),
        (_, other) => panic!("expected welcome, got {other:?}"),
    }
}

/// Like `expect`, but gives up after `limit` (`None`), whatever keeps arriving meanwhile.
pub async fn expect_within<T>(
    ws: &mut Ws,
    limit: Duration,
    pick: impl Fn(ServerMsg) -> Option<T>,
) -> Option<T> {
    tokio::time::timeout(limit, async {
        loop {
            let Some(Ok(Message::Text(text))) = ws.next().await else {
                return None;
            };
            if let Some(found) = serde_json::from_str(&text).ok().and_then(&pick) {
                return Some(found);
            }
        }
    })
    .await
    .ok()
    .flatten()
}

/// Receives until `pick` accepts a message (others are skipped) and returns what it picked.
pub async fn expect<T>(ws: &mut Ws, pick: impl Fn(ServerMsg) -> Option<T>) -> T {
    loop {
        if let Some(found) = pick(recv(ws).await) {
            return found;
        }
    }
}

/// The close frame a socket ends with (skipping anything before it).
pub async fn closed_with(ws: &mut Ws) -> Option<(u16, String)> {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("the socket ends in time");
        match frame {
            Some(Ok(Message::Close(frame))) => {
                return frame.map(|f| (u16::from(f.code), f.reason.to_string()));
            }
            Some(Ok(_)) => continue,
            _ => return None,
        }
    }
}
