//! A `Bot` on the network: joins a meeting through the HTTP join step and `/ws` signaling
//! like a browser, asks the SFU for a session, and runs its media over its own UDP socket.

use crate::bot::Bot;
use futures_util::{SinkExt, StreamExt};
use protocol::signal::{ClientMsg, JoinTicket, MediaState, PROTOCOL_VERSION, PeerId, ServerMsg};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use str0m::net::Protocol;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UdpSocket;
use tokio_tungstenite::tungstenite::Message;

/// How often a bot wakes to send due frames when nothing arrives.
const TICK: Duration = Duration::from_millis(5);

/// A running bot: its id and what it has seen so far. Dropping it stops nothing; call `stop`.
pub struct BotHandle {
    pub peer: PeerId,
    pub bot: Arc<Mutex<Bot>>,
    task: tokio::task::JoinHandle<()>,
}

impl BotHandle {
    /// Stops at once, without a goodbye: like a browser that vanished.
    pub fn stop(&self) {
        self.task.abort();
    }
}

#[derive(Debug)]
pub struct JoinError(pub String);

impl std::fmt::Display for JoinError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for JoinError {}

fn fail(what: &str, e: impl std::fmt::Display) -> JoinError {
    JoinError(format!("{what}: {e}"))
}

/// Joins meeting `code` on `base` (`http://host:port`) as guest `name` and starts the bot.
pub async fn join(base: &str, code: &str, name: &str) -> Result<BotHandle, JoinError> {
    join_with(base, code, name, false).await
}

/// Like `join`; with `tcp` the bot reaches the SFU only over ICE-TCP (RFC 4571 framing).
pub async fn join_with(
    base: &str,
    code: &str,
    name: &str,
    tcp: bool,
) -> Result<BotHandle, JoinError> {
    let client = reqwest::Client::new();
    let ticket: JoinTicket = client
        .post(format!("{base}/api/v1/meetings/{code}/join"))
        .json(&serde_json::json!({ "display_name": name }))
        .send()
        .await
        .map_err(|e| fail("join step", e))?
        .error_for_status()
        .map_err(|e| fail("join step", e))?
        .json()
        .await
        .map_err(|e| fail("join ticket", e))?;
    let ws_url = format!("{}/ws", base.replacen("http", "ws", 1));
    let (mut ws, _) = tokio_tungstenite::connect_async(ws_url)
        .await
        .map_err(|e| fail("websocket", e))?;
    let send =
        |msg: &ClientMsg| Message::Text(serde_json::to_string(msg).unwrap_or_default().into());
    ws.send(send(&ClientMsg::Hello {
        version: PROTOCOL_VERSION,
        ticket: Some(ticket.ticket),
        resume: None,
    }))
    .await
    .map_err(|e| fail("hello", e))?;
    let peer = loop {
        match ws.next().await {
            Some(Ok(Message::Text(text))) => {
                if let Ok(ServerMsg::Welcome { you, .. }) = serde_json::from_str(&text) {
                    break you;
                }
            }
            Some(Ok(_)) => {}
            other => return Err(JoinError(format!("no welcome: {other:?}"))),
        }
    };
    // What it sends, as a browser announces it: the SFU forwards a microphone only while
    // its owner says it is on.
    let media = MediaState {
        audio: true,
        video: true,
        ..MediaState::default()
    };
    ws.send(send(&ClientMsg::Media { media }))
        .await
        .map_err(|e| fail("media", e))?;
    ws.send(send(&ClientMsg::SfuConnect))
        .await
        .map_err(|e| fail("sfu_connect", e))?;
    let udp = UdpSocket::bind("127.0.0.1:0")
        .await
        .map_err(|e| fail("udp", e))?;
    // An active ICE-TCP candidate names the discard port (RFC 6544): the real local port is
    // only known once connected.
    let addr: SocketAddr = if tcp {
        SocketAddr::from(([127, 0, 0, 1], 9))
    } else {
        udp.local_addr().map_err(|e| fail("udp", e))?
    };
    let bot = Arc::new(Mutex::new(Bot::new(
        peer.clone(),
        addr,
        tcp,
        Instant::now(),
    )));
    let shared = bot.clone();
    let task = tokio::spawn(async move {
        let mut buf = vec![0u8; 2048];
        let (frames_tx, mut frames_rx) = tokio::sync::mpsc::channel::<(SocketAddr, Vec<u8>)>(256);
        let mut tcp_out: Option<(SocketAddr, tokio::net::tcp::OwnedWriteHalf)> = None;
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            let reply = tokio::select! {
                frame = ws.next() => {
                    let Some(Ok(frame)) = frame else { return };
                    let Message::Text(text) = frame else { continue };
                    match serde_json::from_str::<ServerMsg>(&text) {
                        Ok(ServerMsg::Ping { nonce }) => Some(ClientMsg::Pong { nonce }),
                        Ok(msg) => lock(&shared).handle_signal(&msg),
                        Err(_) => None,
                    }
                }
                received = udp.recv_from(&mut buf) => {
                    if let Ok((n, from)) = received {
                        lock(&shared).handle_datagram(Instant::now(), Protocol::Udp, from, &buf[..n]);
                    }
                    None
                }
                Some((from, frame)) = frames_rx.recv() => {
                    lock(&shared).handle_datagram(Instant::now(), Protocol::Tcp, from, &frame);
                    None
                }
                _ = tick.tick() => {
                    lock(&shared).handle_timeout(Instant::now());
                    None
                }
            };
            if let Some(reply) = reply
                && ws.send(send(&reply)).await.is_err()
            {
                return;
            }
            let out = lock(&shared).poll();
            for d in out {
                if d.proto == Protocol::Udp {
                    let _ = udp.send_to(&d.contents, d.destination).await;
                    continue;
                }
                if tcp_out.as_ref().is_none_or(|(to, _)| *to != d.destination)
                    && let Ok(stream) = tokio::net::TcpStream::connect(d.destination).await
                {
                    let (read, write) = stream.into_split();
                    tokio::spawn(read_frames(read, d.destination, frames_tx.clone()));
                    tcp_out = Some((d.destination, write));
                }
                if let Some((_, write)) = tcp_out.as_mut() {
                    let len = (d.contents.len() as u16).to_be_bytes();
                    if write.write_all(&len).await.is_err()
                        || write.write_all(&d.contents).await.is_err()
                    {
                        tcp_out = None;
                    }
                }
            }
        }
    });
    Ok(BotHandle { peer, bot, task })
}

/// RFC 4571 frames from the SFU's end of an ICE-TCP connection.
async fn read_frames(
    mut read: tokio::net::tcp::OwnedReadHalf,
    from: SocketAddr,
    frames: tokio::sync::mpsc::Sender<(SocketAddr, Vec<u8>)>,
) {
    loop {
        let mut len = [0u8; 2];
        if read.read_exact(&mut len).await.is_err() {
            return;
        }
        let mut frame = vec![0u8; usize::from(u16::from_be_bytes(len))];
        if read.read_exact(&mut frame).await.is_err() || frames.send((from, frame)).await.is_err() {
            return;
        }
    }
}

fn lock(bot: &Mutex<Bot>) -> std::sync::MutexGuard<'_, Bot> {
    // A bot panicking mid-update leaves counters that are still readable.
    bot.lock().unwrap_or_else(|e| e.into_inner())
}
