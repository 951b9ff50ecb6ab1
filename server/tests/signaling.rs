//! Scenario: people join meetings over real WebSockets; offers, answers and candidates reach
//! only members of the same meeting; bad messages get errors on a socket that stays open;
//! a dropped participant can resume within the window and is removed after it.

use crate::common::ws::{
    closed_with, connect, expect_within, hello, meeting, nothing_arrives, recv, send, ticket,
};
use crate::common::{TestServer, error_of};
use futures_util::{SinkExt, StreamExt};
use protocol::signal::{
    ClientMsg, MediaState, PROTOCOL_VERSION, PeerId, ServerMsg, SignalErrorCode,
};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use video_meet::config::Config;

#[tokio::test]
async fn offers_answers_and_candidates_stay_inside_a_meeting() {
    let server = TestServer::start().await;
    let host = server.signed_in("host@example.com", "Host").await;
    let code = meeting(&server, &host, json!({ "title": "Relay" })).await;
    let other_code = meeting(&server, &host, json!({ "title": "Elsewhere" })).await;

    // Anyone with the link sees how many are in the call (never who): the pre-join screen.
    let in_call = || async {
        server
            .get_json(&server.client(), &format!("/api/v1/meetings/{code}"))
            .await["in_call"]
            .clone()
    };
    assert_eq!(in_call().await, 0);

    let t_a = ticket(&server, &host, &code, json!({})).await;
    assert_eq!(t_a.display_name, "Host");
    // Signed in, the profile name is the name in the meeting, whatever the request says.
    let renamed = ticket(&server, &host, &code, json!({ "display_name": "The CEO" })).await;
    assert_eq!(renamed.display_name, "Host");
    assert_eq!(serde_json::to_value(t_a.role).unwrap(), "host");
    let (mut a, a_id, _, a_peers) = hello(&server, &t_a).await;
    assert_eq!(a_peers, 0);

    let guest = server.client();
    let t_b = ticket(
        &server,
        &guest,
        &code,
        json!({ "display_name": "Guest Bo" }),
    )
    .await;
    let (mut b, b_id, _, b_peers) = hello(&server, &t_b).await;
    assert_eq!(b_peers, 1, "B sees A already there");
    assert_eq!(in_call().await, 2);
    match recv(&mut a).await {
        ServerMsg::PeerJoined { peer } => {
            assert_eq!(peer.id, b_id);
            assert_eq!(peer.display_name, "Guest Bo");
        }
        other => panic!("expected peer_joined, got {other:?}"),
    }

    send(
        &mut b,
        &ClientMsg::Offer {
            to: a_id.clone(),
            sdp: "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n".into(),
        },
    )
    .await;
    assert!(matches!(recv(&mut a).await, ServerMsg::Offer { from, .. } if from == b_id));
    send(
        &mut a,
        &ClientMsg::Answer {
            to: b_id.clone(),
            sdp: "v=0\r\n".into(),
        },
    )
    .await;
    assert!(matches!(recv(&mut b).await, ServerMsg::Answer { from, .. } if from == a_id));
    let candidate = json!({ "type": "ice", "to": a_id.0, "candidate": { "candidate": "candidate:1 1 udp 2122 127.0.0.1 5000 typ host", "sdpMid": "0", "sdpMLineIndex": 0 } });
    b.send(Message::Text(candidate.to_string().into()))
        .await
        .unwrap();
    assert!(matches!(recv(&mut a).await, ServerMsg::Ice { from, .. } if from == b_id));

    // C is in another meeting and addresses A by id: refused, and A hears nothing.
    let t_c = ticket(
        &server,
        &server.client(),
        &other_code,
        json!({ "display_name": "Cy" }),
    )
    .await;
    let (mut c, _, _, _) = hello(&server, &t_c).await;
    send(
        &mut c,
        &ClientMsg::Offer {
            to: a_id.clone(),
            sdp: "v=0\r\n".into(),
        },
    )
    .await;
    assert!(matches!(
        recv(&mut c).await,
        ServerMsg::Error {
            code: SignalErrorCode::UnknownPeer,
            ..
        }
    ));
    nothing_arrives(&mut a).await;

    // Leaving is announced at once.
    send(&mut b, &ClientMsg::Leave).await;
    assert!(matches!(recv(&mut a).await, ServerMsg::PeerLeft { peer } if peer == b_id));
}

#[tokio::test]
async fn bad_messages_get_errors_and_the_socket_stays_open() {
    let server = TestServer::start().await;
    let host = server.signed_in("h2@example.com", "H2").await;
    let code = meeting(&server, &host, json!({ "title": "Errors" })).await;

    let mut ws = connect(&server).await;
    send(
        &mut ws,
        &ClientMsg::Offer {
            to: PeerId("x".into()),
            sdp: "v=0".into(),
        },
    )
    .await;
    assert!(matches!(
        recv(&mut ws).await,
        ServerMsg::Error {
            code: SignalErrorCode::NotJoined,
            ..
        }
    ));
    send(
        &mut ws,
        &ClientMsg::Hello {
            version: 99,
            ticket: None,
            resume: None,
        },
    )
    .await;
    assert!(matches!(
        recv(&mut ws).await,
        ServerMsg::Error {
            code: SignalErrorCode::UnsupportedVersion,
            ..
        }
    ));
    send(
        &mut ws,
        &ClientMsg::Hello {
            version: PROTOCOL_VERSION,
            ticket: Some("forged".into()),
            resume: None,
        },
    )
    .await;
    assert!(matches!(
        recv(&mut ws).await,
        ServerMsg::Error {
            code: SignalErrorCode::InvalidTicket,
            ..
        }
    ));

    let t = ticket(&server, &host, &code, json!({})).await;
    send(
        &mut ws,
        &ClientMsg::Hello {
            version: PROTOCOL_VERSION,
            ticket: Some(t.ticket.clone()),
            resume: None,
        },
    )
    .await;
    assert!(matches!(recv(&mut ws).await, ServerMsg::Welcome { .. }));

    ws.send(Message::Text("{not json".into())).await.unwrap();
    assert!(matches!(
        recv(&mut ws).await,
        ServerMsg::Error {
            code: SignalErrorCode::BadMessage,
            ..
        }
    ));
    ws.send(Message::Text(
        format!(
            "{{\"type\":\"ping\",\"nonce\":1,\"pad\":\"{}\"}}",
            "x".repeat(protocol::signal::MAX_MESSAGE_BYTES + 1000)
        )
        .into(),
    ))
    .await
    .unwrap();
    assert!(matches!(
        recv(&mut ws).await,
        ServerMsg::Error {
            code: SignalErrorCode::TooLarge,
            ..
        }
    ));
    send(
        &mut ws,
        &ClientMsg::Offer {
            to: PeerId("nobody".into()),
            sdp: "not sdp".into(),
        },
    )
    .await;
    assert!(matches!(
        recv(&mut ws).await,
        ServerMsg::Error {
            code: SignalErrorCode::InvalidSdp,
            ..
        }
    ));
    send(
        &mut ws,
        &ClientMsg::Offer {
            to: PeerId("nobody".into()),
            sdp: "v=0\r\n".into(),
        },
    )
    .await;
    assert!(matches!(
        recv(&mut ws).await,
        ServerMsg::Error {
            code: SignalErrorCode::UnknownPeer,
            ..
        }
    ));
    // Screen stream ids are relayed to everyone, so they are checked too.
    send(
        &mut ws,
        &ClientMsg::Media {
            media: MediaState {
                screen: true,
                screen_stream: Some("<img src=x>".into()),
                ..MediaState::default()
            },
        },
    )
    .await;
    assert!(matches!(
        recv(&mut ws).await,
        ServerMsg::Error {
            code: SignalErrorCode::BadMessage,
            ..
        }
    ));
    ws.send(Message::Binary(vec![1, 2, 3].into()))
        .await
        .unwrap();
    assert!(matches!(
        recv(&mut ws).await,
        ServerMsg::Error {
            code: SignalErrorCode::BadMessage,
            ..
        }
    ));

    send(&mut ws, &ClientMsg::Ping { nonce: 42 }).await;
    assert_eq!(
        recv(&mut ws).await,
        ServerMsg::Pong { nonce: 42 },
        "still open and answering"
    );

    // A ticket works once.
    let mut again = connect(&server).await;
    send(
        &mut again,
        &ClientMsg::Hello {
            version: PROTOCOL_VERSION,
            ticket: Some(t.ticket),
            resume: None,
        },
    )
    .await;
    assert!(matches!(
        recv(&mut again).await,
        ServerMsg::Error {
            code: SignalErrorCode::InvalidTicket,
            ..
        }
    ));
}

#[tokio::test]
async fn the_join_step_checks_password_guests_and_capacity() {
    let server = TestServer::start().await;
    let host = server.signed_in("h3@example.com", "H3").await;
    let locked = meeting(
        &server,
        &host,
        json!({ "title": "Locked", "password": "opensesame" }),
    )
    .await;
    let members = meeting(
        &server,
        &host,
        json!({ "title": "Members", "allow_guests": false }),
    )
    .await;
    let tiny = meeting(
        &server,
        &host,
        json!({ "title": "Tiny", "max_participants": 2 }),
    )
    .await;
    let join = |code: &str, client: &Client, body: Value| {
        let url = server.url(&format!("/api/v1/meetings/{code}/join"));
        let request = client.post(url).json(&body);
        async move { request.send().await.unwrap() }
    };

    let guest = server.client();
    let spoofed = join(&tiny, &guest, json!({ "display_name": "Ann\u{202E}nimda" })).await;
    assert_eq!(spoofed.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_of(spoofed).await["fields"]["display_name"].is_string());
    let wrong = join(
        &locked,
        &guest,
        json!({ "display_name": "G", "password": "nope" }),
    )
    .await;
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    assert!(error_of(wrong).await["fields"]["password"].is_string());
    let right = join(
        &locked,
        &guest,
        json!({ "display_name": "G", "password": "opensesame" }),
    )
    .await;
    assert_eq!(right.status(), StatusCode::OK);

    let refused = join(&members, &guest, json!({ "display_name": "G" })).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        join(&members, &host, json!({})).await.status(),
        StatusCode::OK
    );

    let nameless = join(&tiny, &guest, json!({})).await;
    assert_eq!(nameless.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_of(nameless).await["fields"]["display_name"].is_string());

    let unknown = join("zzz-zzzz-zzz", &guest, json!({ "display_name": "G" })).await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);

    let mut seated = Vec::new(); // open sockets keep their seats taken
    for name in ["One", "Two"] {
        let t = ticket(
            &server,
            &server.client(),
            &tiny,
            json!({ "display_name": name }),
        )
        .await;
        seated.push(hello(&server, &t).await.0);
    }
    let full = join(&tiny, &guest, json!({ "display_name": "Three" })).await;
    assert_eq!(full.status(), StatusCode::CONFLICT);
    assert_eq!(error_of(full).await["message"], "This meeting is full.");
    drop(seated);
}

#[tokio::test]
async fn turn_credentials_come_with_the_ticket_when_configured() {
    let mut config = Config::for_tests();
    config.turn_urls = vec!["turn:127.0.0.1:3478?transport=udp".into()];
    config.turn_secret = Some("turn-shared-secret".into());
    let server = TestServer::with_config(config).await;
    let host = server.signed_in("h4@example.com", "H4").await;
    let code = meeting(&server, &host, json!({ "title": "Relay" })).await;
    let t = ticket(&server, &host, &code, json!({})).await;
    assert_eq!(t.ice_servers.len(), 1);
    let turn = &t.ice_servers[0];
    let username = turn.username.as_deref().unwrap();
    let expiry: u64 = username.split(':').next().unwrap().parse().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(expiry > now && expiry <= now + 3600 + 5);
    assert!(
        !t.relay_only,
        "relay-only is a separate choice (--turn-only)"
    );
    assert_eq!(
        turn.credential.as_deref(),
        Some(video_meet::turn::credential("turn-shared-secret", username).as_str())
    );
}

#[tokio::test]
async fn a_dropped_participant_resumes_within_the_window_and_is_removed_after_it() {
    let mut config = Config::for_tests();
    config.resume_secs = 1;
    let server = TestServer::with_config(config).await;
    let host = server.signed_in("h5@example.com", "H5").await;
    let code = meeting(&server, &host, json!({ "title": "Flaky network" })).await;
    let (mut a, a_id, _, _) = hello(&server, &ticket(&server, &host, &code, json!({})).await).await;
    let (b, b_id, b_resume, _) = hello(
        &server,
        &ticket(
            &server,
            &server.client(),
            &code,
            json!({ "display_name": "Bo" }),
        )
        .await,
    )
    .await;
    assert!(matches!(recv(&mut a).await, ServerMsg::PeerJoined { .. }));

    drop(b); // the network goes away without a goodbye
    assert!(
        matches!(recv(&mut a).await, ServerMsg::PeerUpdated { peer } if peer.id == b_id && peer.reconnecting)
    );
    // A renegotiates while B is away: the offer waits for B instead of being lost.
    let away_sdp = "v=0\r\no=- 7 2 IN IP4 127.0.0.1\r\n";
    send(
        &mut a,
        &ClientMsg::Offer {
            to: b_id.clone(),
            sdp: away_sdp.into(),
        },
    )
    .await;
    nothing_arrives(&mut a).await;

    let mut b2 = connect(&server).await;
    send(
        &mut b2,
        &ClientMsg::Hello {
            version: PROTOCOL_VERSION,
            ticket: None,
            resume: Some(b_resume.clone()),
        },
    )
    .await;
    match recv(&mut b2).await {
        ServerMsg::Welcome { you, peers, .. } => {
            assert_eq!(you, b_id, "same seat after resume");
            assert_eq!(peers.len(), 1);
        }
        other => panic!("expected welcome, got {other:?}"),
    }
    match recv(&mut b2).await {
        ServerMsg::Offer { from, sdp } => {
            assert_eq!(from, a_id);
            assert_eq!(sdp, away_sdp);
        }
        other => panic!("expected the offer held while away, got {other:?}"),
    }
    assert!(
        matches!(recv(&mut a).await, ServerMsg::PeerUpdated { peer } if peer.id == b_id && !peer.reconnecting)
    );

    drop(b2);
    assert!(matches!(recv(&mut a).await, ServerMsg::PeerUpdated { peer } if peer.reconnecting));
    assert!(
        matches!(recv(&mut a).await, ServerMsg::PeerLeft { peer } if peer == b_id),
        "removed after the window"
    );
    let mut late = connect(&server).await;
    send(
        &mut late,
        &ClientMsg::Hello {
            version: PROTOCOL_VERSION,
            ticket: None,
            resume: Some(b_resume),
        },
    )
    .await;
    assert!(matches!(
        recv(&mut late).await,
        ServerMsg::Error {
            code: SignalErrorCode::InvalidTicket,
            ..
        }
    ));
}

#[tokio::test]
async fn sockets_per_address_are_limited_with_a_clear_reason() {
    let mut config = Config::for_tests();
    config.ws_per_address = 2;
    let server = TestServer::with_config(config).await;
    let _a = connect(&server).await;
    let _b = connect(&server).await;
    let mut c = connect(&server).await;
    let (code, reason) = closed_with(&mut c).await.expect("a close frame");
    assert_eq!(code, 1013, "try again later");
    assert!(reason.contains("Too many open connections"), "{reason}");
    drop(_a);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut d = connect(&server).await;
    send(&mut d, &ClientMsg::Ping { nonce: 3 }).await;
    assert_eq!(
        recv(&mut d).await,
        ServerMsg::Pong { nonce: 3 },
        "a closed socket's place is free"
    );
}

#[tokio::test]
async fn a_socket_that_never_says_hello_is_closed_after_a_few_messages() {
    let server = TestServer::start().await;
    let mut ws = connect(&server).await;
    for n in 0..10 {
        ws.send(Message::Text(format!("junk {n}").into()))
            .await
            .unwrap();
    }
    for _ in 0..10 {
        assert!(matches!(recv(&mut ws).await, ServerMsg::Error { .. }));
    }
    ws.send(Message::Text("one more".into())).await.unwrap();
    let (code, reason) = closed_with(&mut ws).await.expect("a close frame");
    assert_eq!(code, 1008);
    assert!(reason.contains("before hello"), "{reason}");
}

#[tokio::test]
async fn a_resume_replaces_the_open_socket_and_spends_the_token() {
    let server = TestServer::start().await;
    let host = server.signed_in("res@example.com", "Res").await;
    let code = meeting(&server, &host, json!({ "title": "Resume" })).await;
    let t = ticket(&server, &host, &code, json!({})).await;
    let (mut old, me, token, _) = hello(&server, &t).await;

    let mut new = connect(&server).await;
    let resume = |token: &str| ClientMsg::Hello {
        version: PROTOCOL_VERSION,
        ticket: None,
        resume: Some(token.to_owned()),
    };
    send(&mut new, &resume(&token)).await;
    let fresh = match recv(&mut new).await {
        ServerMsg::Welcome {
            you, resume_token, ..
        } => {
            assert_eq!(you, me, "the same seat");
            resume_token
        }
        other => panic!("expected welcome, got {other:?}"),
    };
    assert_ne!(fresh, token, "a new resume token per resume");
    // The old socket is closed by the server.
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match old.next().await {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => continue,
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the replaced socket ends");
    // The spent token no longer works; the fresh one does.
    let mut third = connect(&server).await;
    send(&mut third, &resume(&token)).await;
    assert!(matches!(recv(&mut third).await, ServerMsg::Error { .. }));
    send(&mut third, &resume(&fresh)).await;
    assert!(matches!(recv(&mut third).await, ServerMsg::Welcome { .. }));
}

#[tokio::test]
async fn only_the_host_ends_a_meeting_it_stays_ended_until_the_host_returns_and_deleting_it_ends_it_too()
 {
    let server = TestServer::start().await;
    let host = server.signed_in("end@example.com", "End").await;
    let code = meeting(
        &server,
        &host,
        json!({ "title": "Ending", "allow_guests": true }),
    )
    .await;
    let t_host = ticket(&server, &host, &code, json!({})).await;
    let (mut h, _, _, _) = hello(&server, &t_host).await;
    let guest = server.client();
    let t_guest = ticket(&server, &guest, &code, json!({ "display_name": "G" })).await;
    let (mut g, _, _, _) = hello(&server, &t_guest).await;
    assert!(matches!(recv(&mut h).await, ServerMsg::PeerJoined { .. }));

    // A guest crafting the host's message by hand is refused; nothing ends.
    send(&mut g, &ClientMsg::EndMeeting).await;
    assert!(matches!(
        recv(&mut g).await,
        ServerMsg::Error {
            code: protocol::signal::SignalErrorCode::Forbidden,
            ..
        }
    ));
    nothing_arrives(&mut h).await;

    // A ticket taken before the end (used below).
    let early = ticket(&server, &guest, &code, json!({ "display_name": "G" })).await;
    send(&mut h, &ClientMsg::EndMeeting).await;
    let ended = ServerMsg::MeetingEnded {
        reason: protocol::signal::EndReason::Host,
    };
    assert_eq!(recv(&mut g).await, ended);
    assert_eq!(recv(&mut h).await, ended);
    // The server closes the socket afterwards (`closed_with` fails if it stays open).
    let _ = closed_with(&mut g).await;

    // Ended stays ended: the guest's "Rejoin" is refused (it used to seat them in a meeting
    // with no host), a ticket issued before the end does not reopen it, and the host's
    // return opens it again.
    let refused = guest
        .post(server.url(&format!("/api/v1/meetings/{code}/join")))
        .json(&json!({ "display_name": "G" }))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(
        crate::common::error_of(refused).await["message"]
            .as_str()
            .unwrap()
            .contains("has ended")
    );
    let (_, answer) = crate::common::ws::enter(&server, &early).await;
    assert!(
        matches!(&answer, ServerMsg::Error { message, .. } if message.contains("has ended")),
        "{answer:?}"
    );
    let (_h_again, _, _, _) = hello(&server, &ticket(&server, &host, &code, json!({})).await).await;
    let (_g_again, _, _, _) = hello(
        &server,
        &ticket(&server, &guest, &code, json!({ "display_name": "G" })).await,
    )
    .await;

    // Deleting a meeting ends it for whoever is in it.
    let code2 = meeting(&server, &host, json!({ "title": "Doomed" })).await;
    let t2 = ticket(&server, &host, &code2, json!({})).await;
    let (mut h2, _, _, _) = hello(&server, &t2).await;
    let res = host
        .delete(server.url(&format!("/api/v1/meetings/{code2}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        recv(&mut h2).await,
        ServerMsg::MeetingEnded {
            reason: protocol::signal::EndReason::Deleted
        }
    );
}

#[tokio::test]
async fn a_socket_that_never_reads_is_cut_off_within_the_write_timeout() {
    let server = TestServer::start().await;
    let host = server.signed_in("stuck@example.com", "Stuck").await;
    let code = meeting(
        &server,
        &host,
        json!({ "title": "Stuck", "allow_guests": true }),
    )
    .await;
    // The host joins and then never reads again.
    let (mut stuck, stuck_id, _, _) =
        hello(&server, &ticket(&server, &host, &code, json!({})).await).await;
    let guest = server.client();
    let (mut flooder, _, _, _) = hello(
        &server,
        &ticket(&server, &guest, &code, json!({ "display_name": "F" })).await,
    )
    .await;
    // ~200 KB offers (under the 256 KiB message cap), far more than socket buffers hold.
    let sdp = format!("v=0\r\n{}", "a=x-filler:0123456789abcdef\r\n".repeat(7000));
    let began = std::time::Instant::now();
    for _ in 0..300 {
        let offer = ClientMsg::Offer {
            to: stuck_id.clone(),
            sdp: sdp.clone(),
        };
        send(&mut flooder, &offer).await;
    }
    // While the server's writes to it are stuck, what the stuck client says is still read
    // and handled (reading and writing run apart).
    let chat = ClientMsg::Chat {
        nonce: 1,
        to: None,
        text: "still here".into(),
    };
    send(&mut stuck, &chat).await;
    let heard = expect_within(&mut flooder, Duration::from_secs(5), |m| match m {
        ServerMsg::Chat { message } => Some(message.text),
        _ => None,
    })
    .await;
    assert_eq!(heard.as_deref(), Some("still here"));
    assert!(
        began.elapsed() < Duration::from_secs(9),
        "read while the write was stuck, not after its timeout"
    );
    // The server's write to the stuck socket times out (10 s) and the host shows as
    // reconnecting; the flooder's own socket stayed usable throughout.
    let reconnecting = expect_within(&mut flooder, Duration::from_secs(20), |m| match m {
        ServerMsg::PeerUpdated { peer } if peer.id == stuck_id && peer.reconnecting => Some(()),
        _ => None,
    })
    .await;
    assert!(reconnecting.is_some(), "the stuck socket was never cut off");
    assert!(began.elapsed() < Duration::from_secs(20));
    send(&mut flooder, &ClientMsg::Ping { nonce: 5 }).await;
    let pong = expect_within(&mut flooder, Duration::from_secs(5), |m| {
        matches!(m, ServerMsg::Pong { nonce: 5 }).then_some(())
    })
    .await;
    assert!(pong.is_some());
}
