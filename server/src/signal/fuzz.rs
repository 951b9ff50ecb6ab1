//! Fuzzing the signaling socket's input: a million random and mutated messages go through the
//! parser (`decode`) and, when they parse, through `handle` against a live room with three
//! participants. Nothing may panic; a message that does not parse, and one that parses but is
//! not acceptable (bad SDP or candidate, unknown peer, bad stream id, a second hello), must be
//! answered with an error. Seeded, so a failure can be replayed.

use super::{Message, decode, handle, valid_candidate, valid_sdp};
use crate::config::Config;
use crate::rooms::{OUTBOX_CAPACITY, Seat, Ticket};
use protocol::MeetingCode;
use protocol::signal::{ClientMsg, IceCandidate, MediaState, PeerId, ServerMsg};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::sync::mpsc;

const MESSAGES: usize = 1_000_000;

/// Valid messages of every kind, addressed to `peer` where they name one.
fn corpus(peer: &PeerId) -> Vec<String> {
    let sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n".to_owned();
    let msgs = [
        ClientMsg::Hello {
            version: 1,
            ticket: Some("t".into()),
            resume: None,
        },
        ClientMsg::Ping { nonce: 7 },
        ClientMsg::Pong { nonce: 7 },
        ClientMsg::Offer {
            to: peer.clone(),
            sdp: sdp.clone(),
        },
        ClientMsg::Answer {
            to: peer.clone(),
            sdp: sdp.clone(),
        },
        ClientMsg::Ice {
            to: peer.clone(),
            candidate: IceCandidate {
                candidate: "candidate:1 1 udp 2122 10.0.0.1 5000 typ host".into(),
                sdp_mid: Some("0".into()),
                sdp_m_line_index: Some(0),
            },
        },
        ClientMsg::Media {
            media: MediaState {
                audio: true,
                video: true,
                screen: true,
                screen_stream: Some("{abc-123}".into()),
                data_saver: true,
            },
        },
        ClientMsg::SfuConnect,
        ClientMsg::SfuAnswer { sdp },
        ClientMsg::SfuDisconnect,
        ClientMsg::EndMeeting,
    ];
    msgs.iter()
        .map(|m| serde_json::to_string(m).expect("messages serialise"))
        .collect()
}

const FRAGMENTS: &[&str] = &[
    "\"",
    "{",
    "}",
    "[",
    "]",
    ":",
    ",",
    "null",
    "true",
    "false",
    "0",
    "-1",
    "1e999",
    "18446744073709551616",
    "\"\\u0000\"",
    "\"\\ud800\"",
    "\"type\"",
    "\"offer\"",
    "\"hello\"",
    "\"to\"",
    "\"sdp\"",
    "\"v=0\"",
    "\"media\"",
    "\"screen_stream\"",
    "\"<script>\"",
    "é",
    "😀",
    "\u{202E}",
    "\\",
    "\\n",
    " ",
    "{}",
    "[]",
    "\"candidate\"",
];

fn mutate(rng: &mut StdRng, base: &str) -> String {
    let mut bytes = base.as_bytes().to_vec();
    for _ in 0..rng.random_range(1..=4) {
        let at = rng.random_range(0..=bytes.len());
        match rng.random_range(0..5) {
            0 if !bytes.is_empty() => {
                let i = rng.random_range(0..bytes.len());
                bytes[i] = rng.random_range(0x20..0x7f);
            }
            1 if !bytes.is_empty() => {
                let end = (at + rng.random_range(1..16)).min(bytes.len());
                bytes.drain(at.min(end)..end);
            }
            2 => {
                let fragment = FRAGMENTS[rng.random_range(0..FRAGMENTS.len())];
                bytes.splice(at..at, fragment.bytes());
            }
            3 if !bytes.is_empty() => {
                let start = rng.random_range(0..bytes.len());
                let end = (start + rng.random_range(1..32)).min(bytes.len());
                let copy = bytes[start..end].to_vec();
                bytes.splice(at..at, copy);
            }
            _ => bytes.truncate(at),
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn random_text(rng: &mut StdRng) -> String {
    match rng.random_range(0..4) {
        0 => "[".repeat(rng.random_range(1..5000)),
        1 => (0..rng.random_range(0..64))
            .map(|_| FRAGMENTS[rng.random_range(0..FRAGMENTS.len())])
            .collect(),
        2 => (0..rng.random_range(0..200))
            .map(|_| char::from_u32(rng.random_range(0..0x11000)).unwrap_or('?'))
            .collect(),
        _ => format!(
            "{{\"type\":\"offer\",\"to\":\"p1\",\"sdp\":\"v=0{}\"}}",
            "x".repeat(rng.random_range(0..70_000))
        ),
    }
}

/// Whether `handle` must answer `msg`, sent by a participant who sees `peers`, with an error.
fn must_be_refused(msg: &ClientMsg, peers: &[PeerId]) -> bool {
    let unknown = |to: &PeerId| !peers.contains(to);
    match msg {
        ClientMsg::Hello { .. } => true,
        ClientMsg::Offer { to, sdp } | ClientMsg::Answer { to, sdp } => {
            !valid_sdp(sdp) || unknown(to)
        }
        ClientMsg::Ice { to, candidate } => !valid_candidate(candidate) || unknown(to),
        ClientMsg::Media { media } => !media.is_valid(),
        ClientMsg::SfuAnswer { sdp } => !valid_sdp(sdp),
        // The sender is a guest.
        ClientMsg::EndMeeting => true,
        _ => false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_million_random_and_mutated_messages_never_panic_and_bad_ones_get_errors() {
    let state = crate::build_state(Config::for_tests())
        .await
        .expect("state builds");
    let code = MeetingCode("fuz-zzzz-ing".into());
    let mut seats: Vec<(Seat, mpsc::Receiver<crate::rooms::Outgoing>)> = Vec::new();
    for name in ["A", "B", "C"] {
        let (tx, rx) = mpsc::channel(OUTBOX_CAPACITY);
        let ticket = Ticket::guest(&code.0, name, 50);
        seats.push((state.rooms.join(ticket, tx).expect("joins"), rx));
    }
    let sender = seats[0].0.clone();
    let peers: Vec<PeerId> = seats[1..].iter().map(|(s, _)| s.peer.clone()).collect();
    let corpus = corpus(&peers[0]);
    let mut rng = StdRng::seed_from_u64(0x5eed);
    let (mut parsed, mut refused) = (0usize, 0usize);
    for n in 0..MESSAGES {
        let text = match rng.random_range(0..10) {
            0 => random_text(&mut rng),
            1 => {
                let base = rng.random_range(0..corpus.len());
                corpus[base].clone()
            }
            _ => {
                let base = rng.random_range(0..corpus.len());
                mutate(&mut rng, &corpus[base])
            }
        };
        match decode(&Message::Text(text.clone().into())) {
            Some(Err(reply)) => {
                assert!(
                    matches!(reply, ServerMsg::Error { .. }),
                    "#{n} {text:?}: {reply:?}"
                );
                refused += 1;
            }
            Some(Ok(msg)) => {
                parsed += 1;
                let expect_error = must_be_refused(&msg, &peers);
                let reply = handle(&state, &sender, msg);
                if expect_error {
                    assert!(
                        matches!(reply, Some(ServerMsg::Error { .. })),
                        "#{n} {text:?} must be refused, got {reply:?}"
                    );
                }
            }
            None => unreachable!("text frames always decode to something"),
        }
        // Keep everyone's outbox moving, as their sockets would.
        for (_, rx) in seats.iter_mut() {
            while rx.try_recv().is_ok() {}
        }
    }
    assert_eq!(parsed + refused, MESSAGES);
    assert!(
        parsed > 50_000 && refused > 50_000,
        "both paths exercised: {parsed} parsed, {refused} refused"
    );
}
