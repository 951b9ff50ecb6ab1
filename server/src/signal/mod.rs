//! `/ws`: one WebSocket per participant. Handshake (`hello` with a join ticket or resume
//! token), then relay of offer / answer / ICE between members of the same meeting, media
//! state, heartbeat. Every bad message gets an `error` and the socket stays open.

mod chat;
pub mod limit;

use crate::auth::client_addr::ClientAddr;
use crate::http::origin::origin_allowed;
use crate::rooms::{OUTBOX_CAPACITY, Outgoing, RoomError, Seat};
use crate::sfu::Command;
use crate::state::AppState;
use axum::extract::State;
use axum::extract::ws::{CloseFrame, close_code};
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use limit::{Bucket, Slot};
use protocol::signal::{
    ClientMsg, EndReason, HEARTBEAT_SECS, IceCandidate, MAX_MESSAGE_BYTES, PROTOCOL_VERSION,
    PeerId, Role, ServerMsg, SignalErrorCode,
};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

pub const HEARTBEAT: Duration = Duration::from_secs(HEARTBEAT_SECS as u64);
/// No message at all for this long (pings included) and the connection is considered dead.
/// What someone is told who tries to join a meeting its host ended for everyone.
pub const ENDED_MESSAGE: &str = "This meeting has ended. It opens again when its host joins.";

const SILENCE_LIMIT: Duration = Duration::from_secs(45);
const HELLO_DEADLINE: Duration = Duration::from_secs(10);
/// Messages a socket may send before a valid `hello` (retries after a typo included).
const BEFORE_HELLO_MAX: u32 = 10;
/// A write that takes longer means the client stopped reading: the socket is closed.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

pub async fn ws_handler(
    State(state): State<AppState>,
    client: ClientAddr,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if let Some(origin) = headers.get(header::ORIGIN) {
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
        let ok = origin
            .to_str()
            .is_ok_and(|o| origin_allowed(o, &state.config.public_url(), host));
        if !ok {
            return (StatusCode::FORBIDDEN, "cross-site WebSocket refused").into_response();
        }
    }
    // Small buffers: signaling messages are small, and the defaults cost ~130 KB per socket.
    // The read buffer is touched whole on every read, so it is resident for every idle
    // socket: 1 KiB (an offer of a few KiB takes a few reads). The frame limit sits above
    // MAX_MESSAGE_BYTES so oversized messages still reach us and get a polite `too_large`
    // instead of a dropped connection.
    let slot = state.sockets.open(client.0);
    ws.read_buffer_size(1024)
        .write_buffer_size(4 * 1024)
        .max_message_size(4 * MAX_MESSAGE_BYTES)
        .max_frame_size(4 * MAX_MESSAGE_BYTES)
        .on_upgrade(move |socket| async move {
            match slot {
                Ok(slot) => run(socket, state, slot).await,
                // Upgraded first, so the browser can read why (a refused handshake is opaque).
                Err(refused) => {
                    metrics::counter!("signal_sockets_refused_total").increment(1);
                    close(socket, close_code::AGAIN, refused.reason()).await;
                }
            }
        })
}

/// Closes with a code and a reason the client can show.
async fn close(mut socket: WebSocket, code: u16, reason: &'static str) {
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    let _ = tokio::time::timeout(WRITE_TIMEOUT, socket.send(Message::Close(Some(frame)))).await;
}

fn error(code: SignalErrorCode, message: impl Into<String>) -> ServerMsg {
    ServerMsg::Error {
        code,
        message: message.into(),
    }
}

/// Sends one message; `false` when the socket is gone or the write did not finish within
/// `WRITE_TIMEOUT` (a client that stopped reading must not pin this task).
async fn send(socket: &mut WebSocket, msg: &ServerMsg) -> bool {
    let Ok(text) = serde_json::to_string(msg) else {
        return true;
    };
    send_text(socket, text).await
}

/// Sends one message already serialized (see `send`).
async fn send_text(socket: &mut WebSocket, text: String) -> bool {
    match tokio::time::timeout(WRITE_TIMEOUT, socket.send(Message::Text(text.into()))).await {
        Ok(result) => result.is_ok(),
        Err(_) => {
            metrics::counter!("signal_write_timeouts_total").increment(1);
            false
        }
    }
}

/// Decodes one frame, or the error to answer with. `None`: nothing to do (binary/pong frames).
fn decode(message: &Message) -> Option<Result<ClientMsg, ServerMsg>> {
    let text = match message {
        Message::Text(text) => text.as_str(),
        Message::Binary(_) => {
            return Some(Err(error(
                SignalErrorCode::BadMessage,
                "Send JSON text messages.",
            )));
        }
        _ => return None,
    };
    if text.len() > MAX_MESSAGE_BYTES {
        return Some(Err(error(
            SignalErrorCode::TooLarge,
            format!("Messages are limited to {MAX_MESSAGE_BYTES} bytes."),
        )));
    }
    Some(serde_json::from_str(text).map_err(|e| {
        error(
            SignalErrorCode::BadMessage,
            format!("Not a valid message: {e}"),
        )
    }))
}

fn valid_sdp(sdp: &str) -> bool {
    sdp.starts_with("v=0") && !sdp.contains('\0')
}

fn valid_candidate(c: &IceCandidate) -> bool {
    // An empty candidate marks the end of gathering.
    (c.candidate.is_empty() || c.candidate.starts_with("candidate:"))
        && c.candidate.len() <= 1024
        && c.sdp_mid.as_ref().is_none_or(|m| m.len() <= 64)
}

/// Direct answers (errors, pongs, pings) the session may have queued for the writer; more
/// means the client sends requests without reading the answers, and the socket is closed.
const REPLIES_QUEUED: usize = 32;

async fn run(mut socket: WebSocket, state: AppState, _slot: Slot) {
    let (outbox, inbox) = mpsc::channel::<Outgoing>(OUTBOX_CAPACITY);
    let Some(seat) = handshake(&mut socket, &state, outbox).await else {
        return;
    };
    metrics::counter!("signal_sessions_total").increment(1);
    // Reading (with the heartbeat) and writing run apart, so a write stuck on a client that
    // stopped reading never stops the heartbeat or the reading side.
    let (sink, stream) = socket.split();
    let (replies, replies_rx) = mpsc::channel::<Box<ServerMsg>>(REPLIES_QUEUED);
    // `welcome` (or `waiting`) is the first message in the inbox.
    let writer = tokio::spawn(write(sink, inbox, replies_rx));
    let left = session(stream, &state, &seat, &replies).await;
    if left {
        state.rooms.leave(&seat);
    }
    // The writer stops once its replies channel closes (or it already failed), and hands
    // back what was still queued for this socket.
    drop(replies);
    let Ok(mut inbox) = writer.await else {
        return;
    };
    if !left {
        state.rooms.disconnected(&seat, &mut inbox);
    }
}

/// Writes the session's replies and the room's messages until the session ends, a write
/// fails or takes over `WRITE_TIMEOUT`, or the room lets go of this socket. Returns the
/// inbox with whatever was not sent.
async fn write(
    mut sink: SplitSink<WebSocket, Message>,
    mut inbox: mpsc::Receiver<Outgoing>,
    mut replies: mpsc::Receiver<Box<ServerMsg>>,
) -> mpsc::Receiver<Outgoing> {
    loop {
        let text = tokio::select! {
            // Answers first: they are small and the client is waiting for them.
            biased;
            reply = replies.recv() => match reply {
                Some(msg) => serde_json::to_string(&msg).ok(),
                None => break,
            },
            out = inbox.recv() => match out {
                Some(Outgoing::Msg(msg)) => serde_json::to_string(&msg).ok(),
                Some(Outgoing::Shared(text)) => Some(String::from(&*text)),
                None => break,
            },
        };
        let Some(text) = text else { continue };
        match tokio::time::timeout(WRITE_TIMEOUT, sink.send(Message::Text(text.into()))).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => break,
            Err(_) => {
                metrics::counter!("signal_write_timeouts_total").increment(1);
                break;
            }
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(1), sink.close()).await;
    inbox
}

/// Waits for a valid `hello`; bad attempts are answered and may be retried until the deadline.
async fn handshake(
    socket: &mut WebSocket,
    state: &AppState,
    outbox: mpsc::Sender<Outgoing>,
) -> Option<Seat> {
    let deadline = tokio::time::Instant::now() + HELLO_DEADLINE;
    let mut messages = 0u32;
    loop {
        let message = match tokio::time::timeout_at(deadline, socket.recv()).await {
            Ok(Some(Ok(message))) => message,
            _ => return None,
        };
        if matches!(message, Message::Text(_) | Message::Binary(_)) {
            messages += 1;
            if messages > BEFORE_HELLO_MAX {
                metrics::counter!("signal_sockets_refused_total").increment(1);
                let frame = CloseFrame {
                    code: close_code::POLICY,
                    reason: "Too many messages before hello.".into(),
                };
                let _ =
                    tokio::time::timeout(WRITE_TIMEOUT, socket.send(Message::Close(Some(frame))))
                        .await;
                return None;
            }
        }
        let reply = match decode(&message)? {
            Err(reply) => reply,
            Ok(ClientMsg::Hello { version, .. }) if version != PROTOCOL_VERSION => error(
                SignalErrorCode::UnsupportedVersion,
                format!("This server speaks protocol version {PROTOCOL_VERSION}; reload the page."),
            ),
            Ok(ClientMsg::Hello {
                ticket: Some(ticket),
                ..
            }) => match state.rooms.tickets.redeem(&ticket, Instant::now()) {
                Some(ticket) => match state.rooms.join(ticket, outbox.clone()) {
                    Ok(seat) => return Some(seat),
                    Err(RoomError::Locked) => error(
                        SignalErrorCode::InvalidTicket,
                        "This meeting is locked: nobody new can join until the host unlocks it.",
                    ),
                    Err(RoomError::Removed) => error(
                        SignalErrorCode::InvalidTicket,
                        "You were removed from this meeting by the host.",
                    ),
                    Err(RoomError::Ended) => error(SignalErrorCode::InvalidTicket, ENDED_MESSAGE),
                    Err(_) => error(SignalErrorCode::InvalidTicket, "The meeting is full."),
                },
                None => error(
                    SignalErrorCode::InvalidTicket,
                    "This join ticket is unknown, used or expired. Join again.",
                ),
            },
            Ok(ClientMsg::Hello {
                resume: Some(token),
                ..
            }) => match state.rooms.resume(&token, outbox.clone()) {
                Ok(seat) => return Some(seat),
                Err(_) => error(
                    SignalErrorCode::InvalidTicket,
                    "Too late to resume. Join again.",
                ),
            },
            Ok(ClientMsg::Hello { .. }) => error(
                SignalErrorCode::InvalidTicket,
                "Send a ticket or a resume token.",
            ),
            Ok(ClientMsg::Ping { nonce }) => ServerMsg::Pong { nonce },
            Ok(_) => error(SignalErrorCode::NotJoined, "Send hello first."),
        };
        if !send(socket, &reply).await {
            return None;
        }
    }
}

/// Runs a joined session. Returns true if the participant left on purpose.
async fn session(
    mut stream: SplitStream<WebSocket>,
    state: &AppState,
    seat: &Seat,
    replies: &mpsc::Sender<Box<ServerMsg>>,
) -> bool {
    // Queued for the writer; `false` when the writer has stopped or the client does not read
    // its answers.
    let answer = |msg: ServerMsg| replies.try_send(Box::new(msg)).is_ok();
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    heartbeat.tick().await;
    let mut last_heard = Instant::now();
    let mut nonce = 0u64;
    let mut bucket = Bucket::new(200, 50, Instant::now());
    let mut social = chat::social_bucket(Instant::now());
    let mut history = chat::history_bucket(Instant::now());
    loop {
        tokio::select! {
            incoming = stream.next() => {
                let message = match incoming {
                    Some(Ok(message)) => message,
                    _ => return false,
                };
                last_heard = Instant::now();
                if matches!(message, Message::Close(_)) {
                    return false;
                }
                // The rate limit comes before parsing: a flood costs a counter, not a parse.
                if matches!(message, Message::Text(_) | Message::Binary(_))
                    && !bucket.take(Instant::now())
                {
                    let reply = error(SignalErrorCode::RateLimited, "Too many messages; slow down.");
                    if !answer(reply) { return false; }
                    continue;
                }
                let Some(decoded) = decode(&message) else { continue };
                let reply = match decoded {
                    Err(reply) => Some(reply),
                    Ok(ClientMsg::Leave) => return true,
                    Ok(ClientMsg::Ping { nonce }) => Some(ServerMsg::Pong { nonce }),
                    Ok(ClientMsg::Pong { .. }) => None,
                    Ok(_) if seat.waiting && state.rooms.is_waiting(&seat.code, &seat.peer) => {
                        Some(chat::waiting())
                    }
                    // Boxed: the database's futures are large, and inline they would make
                    // every idle socket's task as large as a query in flight.
                    Ok(ClientMsg::Chat { nonce, to, text }) => Some(
                        Box::pin(chat::send(state, seat, &mut social, nonce, to, text)).await,
                    ),
                    Ok(ClientMsg::ChatHistory { .. }) if !history.take(Instant::now()) => Some(error(
                        SignalErrorCode::RateLimited,
                        "Loading the chat history too fast; wait a moment.",
                    )),
                    Ok(ClientMsg::ChatHistory { before }) => {
                        Some(Box::pin(chat::history(state, seat, before)).await)
                    }
                    Ok(ClientMsg::Hand { .. } | ClientMsg::React { .. })
                        if !social.take(Instant::now()) =>
                    {
                        Some(error(SignalErrorCode::RateLimited, "Too many reactions; slow down."))
                    }
                    Ok(msg) => handle(state, seat, msg),
                };
                if let Some(reply) = reply
                    && !answer(reply)
                {
                    return false;
                }
            }
            // The writer stopped (a failed or stuck write, or the room let go of the socket).
            _ = replies.closed() => return false,
            _ = heartbeat.tick() => {
                if last_heard.elapsed() > SILENCE_LIMIT {
                    return false;
                }
                nonce += 1;
                if !answer(ServerMsg::Ping { nonce }) { return false; }
            }
        }
    }
}

/// Handles one message of a joined participant; returns the direct reply, if any.
fn handle(state: &AppState, seat: &Seat, msg: ClientMsg) -> Option<ServerMsg> {
    let relay =
        |to: &PeerId, out: ServerMsg| match state.rooms.relay(&seat.code, &seat.peer, to, out) {
            Ok(()) => None,
            Err(_) => Some(error(
                SignalErrorCode::UnknownPeer,
                "No such participant in this meeting.",
            )),
        };
    // SFU commands are built from the seat only: a client never names the meeting or the
    // participant it acts for.
    let sfu = |command: Command| match state.rooms.sfu() {
        Some(sfu) => {
            sfu.send(command);
            None
        }
        None => Some(error(
            SignalErrorCode::SfuUnavailable,
            "This server has no media server running.",
        )),
    };
    let from = seat.peer.clone();
    match msg {
        ClientMsg::Hello { .. } => Some(error(SignalErrorCode::AlreadyJoined, "Already joined.")),
        ClientMsg::Ping { nonce } => Some(ServerMsg::Pong { nonce }),
        ClientMsg::Pong { .. } | ClientMsg::Leave => None,
        ClientMsg::Restarted => {
            state.rooms.restarted(seat);
            None
        }
        ClientMsg::Leaving => {
            state.rooms.leaving(seat);
            None
        }
        ClientMsg::Offer { to, sdp } if valid_sdp(&sdp) => {
            relay(&to, ServerMsg::Offer { from, sdp })
        }
        ClientMsg::Answer { to, sdp } if valid_sdp(&sdp) => {
            relay(&to, ServerMsg::Answer { from, sdp })
        }
        ClientMsg::Offer { .. } | ClientMsg::Answer { .. } => Some(error(
            SignalErrorCode::InvalidSdp,
            "That is not a session description.",
        )),
        ClientMsg::Ice { to, candidate } if valid_candidate(&candidate) => {
            relay(&to, ServerMsg::Ice { from, candidate })
        }
        ClientMsg::Ice { .. } => Some(error(
            SignalErrorCode::BadMessage,
            "That is not an ICE candidate.",
        )),
        ClientMsg::Media { media } if !media.is_valid() => Some(error(
            SignalErrorCode::BadMessage,
            "That screen stream id is not valid.",
        )),
        // The room tells the SFU (`Effect::Media`), as it does for a host's mute.
        ClientMsg::Media { media } => {
            state.rooms.set_media(&seat.code, &seat.peer, media);
            None
        }
        ClientMsg::SfuConnect => {
            let media = state.rooms.media_of(&seat.code, &seat.peer);
            sfu(Command::Connect {
                code: seat.code.clone(),
                peer: seat.peer.clone(),
            })
            .or_else(|| {
                // A new session starts with what the participant announced before it.
                media.and_then(|m| sfu(Command::media(seat.code.clone(), seat.peer.clone(), &m)))
            })
        }
        ClientMsg::SfuAnswer { sdp } if valid_sdp(&sdp) => sfu(Command::Answer {
            code: seat.code.clone(),
            peer: seat.peer.clone(),
            sdp,
        }),
        ClientMsg::SfuAnswer { .. } => Some(error(
            SignalErrorCode::InvalidSdp,
            "That is not a session description.",
        )),
        ClientMsg::EndMeeting => {
            if state.rooms.role_of(&seat.code, &seat.peer) == Some(Role::Host) {
                tracing::info!(meeting = %seat.code.redacted(), "meeting ended by its host");
                state.rooms.end(&seat.code, EndReason::Host);
                None
            } else {
                Some(error(
                    SignalErrorCode::Forbidden,
                    "Only the host can end the meeting for everyone.",
                ))
            }
        }
        ClientMsg::SfuDisconnect => sfu(Command::Leave {
            code: seat.code.clone(),
            peer: seat.peer.clone(),
        }),
        ClientMsg::SfuReceive { cameras } => sfu(Command::Receive {
            code: seat.code.clone(),
            peer: seat.peer.clone(),
            cameras,
        }),
        ClientMsg::Host { action } => match state.rooms.act(seat, action) {
            Ok(()) => None,
            Err(RoomError::Forbidden) => Some(error(
                SignalErrorCode::Forbidden,
                "Your role in this meeting does not allow that.",
            )),
            Err(_) => Some(error(
                SignalErrorCode::UnknownPeer,
                "No such participant in this meeting (or in its lobby).",
            )),
        },
        ClientMsg::Hand { raised } => {
            state.rooms.hand(seat, raised);
            None
        }
        ClientMsg::React { reaction } => {
            state.rooms.react(seat, reaction);
            None
        }
        // Answered by the session loop.
        ClientMsg::Chat { .. } | ClientMsg::ChatHistory { .. } => None,
    }
}

#[cfg(test)]
mod fuzz;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oversized_and_malformed_frames_are_answered() {
        let big = Message::Text("x".repeat(MAX_MESSAGE_BYTES + 1).into());
        assert!(matches!(
            decode(&big),
            Some(Err(ServerMsg::Error {
                code: SignalErrorCode::TooLarge,
                ..
            }))
        ));
        let junk = Message::Text("{\"type\":\"offer\"}".into());
        assert!(matches!(
            decode(&junk),
            Some(Err(ServerMsg::Error {
                code: SignalErrorCode::BadMessage,
                ..
            }))
        ));
    }

    #[test]
    fn sdp_and_candidates_are_checked() {
        assert!(valid_sdp("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n"));
        assert!(!valid_sdp("hello"));
        let ok = IceCandidate {
            candidate: "candidate:1 1 udp 2122 10.0.0.1 5000 typ host".into(),
            sdp_mid: Some("0".into()),
            sdp_m_line_index: Some(0),
        };
        assert!(valid_candidate(&ok));
        let end = IceCandidate {
            candidate: String::new(),
            sdp_mid: None,
            sdp_m_line_index: None,
        };
        assert!(valid_candidate(&end));
        let bad = IceCandidate {
            candidate: "rm -rf".into(),
            sdp_mid: None,
            sdp_m_line_index: None,
        };
        assert!(!valid_candidate(&bad));
    }
}
