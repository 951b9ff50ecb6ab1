//! Scenario: a six-person meeting through the SFU over loopback UDP, with str0m bots as
//! browsers (real server, real `/ws` signaling, real sockets): everyone receives everyone
//! else's audio and video; a bot that vanishes without a goodbye is removed, and the others'
//! sessions drop its tracks.

use crate::common::TestServer;
use futures_util::{SinkExt, StreamExt};
use loadtest::bot::Bot;
use protocol::signal::{ClientMsg, JoinTicket, PROTOCOL_VERSION, PeerId, ServerMsg, TrackKind};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::UdpSocket;
use tokio_tungstenite::tungstenite::Message;

/// What a test can see of one running bot.
struct Handle {
    peer: PeerId,
    bot: Arc<Mutex<Bot>>,
    task: tokio::task::JoinHandle<()>,
}

/// Joins `code` as a guest and runs a bot: signaling on its own socket, media on its own UDP
/// port, until the task is aborted.
async fn spawn_bot(server: &TestServer, code: &str, name: &str) -> Handle {
    let client = server.client();
    let ticket: JoinTicket = client
        .post(server.url(&format!("/api/v1/meetings/{code}/join")))
        .json(&json!({ "display_name": name }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let url = format!("ws://{}/ws", server.running.addr);
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let hello = ClientMsg::Hello {
        version: PROTOCOL_VERSION,
        ticket: Some(ticket.ticket),
        resume: None,
    };
    ws.send(Message::Text(serde_json::to_string(&hello).unwrap().into()))
        .await
        .unwrap();
    let peer = loop {
        let Some(Ok(Message::Text(text))) = ws.next().await else {
            panic!("no welcome");
        };
        if let ServerMsg::Welcome { you, .. } = serde_json::from_str(&text).unwrap() {
            break you;
        }
    };
    let connect = serde_json::to_string(&ClientMsg::SfuConnect).unwrap();
    ws.send(Message::Text(connect.into())).await.unwrap();

    let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = udp.local_addr().unwrap();
    let bot = Arc::new(Mutex::new(Bot::new(peer.clone(), addr, Instant::now())));
    let shared = bot.clone();
    let task = tokio::spawn(async move {
        let mut buf = vec![0u8; 2048];
        let mut tick = tokio::time::interval(Duration::from_millis(5));
        loop {
            let reply = tokio::select! {
                frame = ws.next() => {
                    let Some(Ok(Message::Text(text))) = frame else { return };
                    let msg: ServerMsg = serde_json::from_str(&text).unwrap();
                    match msg {
                        ServerMsg::Ping { nonce } => Some(ClientMsg::Pong { nonce }),
                        msg => shared.lock().unwrap().handle_signal(&msg),
                    }
                }
                received = udp.recv_from(&mut buf) => {
                    if let Ok((n, from)) = received {
                        shared.lock().unwrap().handle_datagram(Instant::now(), from, &buf[..n]);
                    }
                    None
                }
                _ = tick.tick() => {
                    shared.lock().unwrap().handle_timeout(Instant::now());
                    None
                }
            };
            if let Some(reply) = reply {
                let text = serde_json::to_string(&reply).unwrap();
                if ws.send(Message::Text(text.into())).await.is_err() {
                    return;
                }
            }
            let out = shared.lock().unwrap().poll();
            for d in out {
                let _ = udp.send_to(&d.contents, d.destination).await;
            }
        }
    });
    Handle { peer, bot, task }
}

async fn wait_until(what: &str, limit: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn six_bots_receive_each_other_and_a_vanished_one_is_removed() {
    let server = TestServer::start().await;
    let host = server.signed_in("sfu-host@example.com", "Host").await;
    let meeting: Value = server
        .create_meeting(&host, json!({ "title": "Bots" }))
        .await
        .json()
        .await
        .unwrap();
    let code = meeting["code"].as_str().unwrap().to_owned();
    let mut bots = Vec::new();
    for i in 0..6 {
        bots.push(spawn_bot(&server, &code, &format!("Bot {i}")).await);
    }
    let everyone_hears_everyone = |bots: &[Handle], min: u64| {
        bots.iter().all(|h| {
            let bot = h.bot.lock().unwrap();
            bots.iter().filter(|o| o.peer != h.peer).all(|o| {
                bot.frames_from(&o.peer, TrackKind::Mic) >= min
                    && bot.frames_from(&o.peer, TrackKind::Camera) >= min
            })
        })
    };
    wait_until(
        "every bot receives every other bot's audio and video",
        Duration::from_secs(20),
        || everyone_hears_everyone(&bots, 10),
    )
    .await;

    // One bot vanishes: no leave, no more packets (its socket stays open for the test).
    let gone = bots.pop().unwrap();
    gone.task.abort();
    let gone_peer = gone.peer.clone();
    wait_until(
        "the others' sessions no longer offer the vanished bot's tracks",
        Duration::from_secs(30),
        || {
            bots.iter().all(|h| {
                let bot = h.bot.lock().unwrap();
                bot.offered.iter().all(|(p, _)| *p != gone_peer)
            })
        },
    )
    .await;
    // The rest still play.
    let counts: Vec<u64> = bots
        .iter()
        .map(|h| {
            h.bot
                .lock()
                .unwrap()
                .frames_from(&bots[0].peer, TrackKind::Camera)
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(1)).await;
    for (h, before) in bots.iter().zip(counts).skip(1) {
        let now = h
            .bot
            .lock()
            .unwrap()
            .frames_from(&bots[0].peer, TrackKind::Camera);
        assert!(now > before, "{} still receives video", h.peer.0);
    }
    for h in bots {
        h.task.abort();
    }
}
