//! Scenario: a meeting run the way hosts expect, over real WebSockets with SurrealDB in
//! memory: every row of the permission table (guests and participants crafting host
//! messages by hand included), the lobby, the lock, removal, chat (to everyone, private,
//! history for a late joiner, limits), raised hands.

use crate::common::TestServer;
use crate::common::ws::{
    Ws, closed_with, enter, expect, hello, meeting, nothing_arrives, recv, send, ticket,
};
use protocol::room::{HostAction, MAX_CHAT_CHARS, Notice, Reaction, Request};
use protocol::signal::{ClientMsg, PeerId, Role, ServerMsg, SignalErrorCode};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

fn error_code(msg: ServerMsg) -> Option<SignalErrorCode> {
    match msg {
        ServerMsg::Error { code, .. } => Some(code),
        _ => None,
    }
}

async fn act(ws: &mut Ws, action: HostAction) {
    send(ws, &ClientMsg::Host { action }).await;
}

/// The lobby as a host sees it, once someone waits in it.
async fn someone_waits(host: &mut Ws) -> Vec<protocol::room::Waiter> {
    expect(host, |msg| match msg {
        ServerMsg::Lobby { waiting } if !waiting.is_empty() => Some(waiting),
        _ => None,
    })
    .await
}

async fn chat(ws: &mut Ws, nonce: u32, to: Option<&PeerId>, text: &str) {
    let msg = ClientMsg::Chat {
        nonce,
        to: to.cloned(),
        text: text.into(),
    };
    send(ws, &msg).await;
}

/// Host H (the owner), participant P (signed in), guest G, in one meeting.
struct Three {
    server: TestServer,
    host: Client,
    code: String,
    h: (Ws, PeerId),
    p: (Ws, PeerId),
    g: (Ws, PeerId),
}

async fn three(body: Value) -> Three {
    let server = TestServer::start().await;
    let host = server.signed_in("host@example.com", "Hana").await;
    let code = meeting(&server, &host, body).await;
    let (h, h_id, _, _) = hello(&server, &ticket(&server, &host, &code, json!({})).await).await;
    let member = server.signed_in("pat@example.com", "Pat").await;
    let (p, p_id, _, _) = hello(&server, &ticket(&server, &member, &code, json!({})).await).await;
    let guest = server.client();
    let t = ticket(&server, &guest, &code, json!({ "display_name": "Gil" })).await;
    let (g, g_id, _, _) = hello(&server, &t).await;
    let mut three = Three {
        server,
        host,
        code,
        h: (h, h_id),
        p: (p, p_id),
        g: (g, g_id),
    };
    // Everyone has heard of everyone.
    for _ in 0..2 {
        expect(&mut three.h.0, |m| {
            matches!(m, ServerMsg::PeerJoined { .. }).then_some(())
        })
        .await;
    }
    expect(&mut three.p.0, |m| {
        matches!(m, ServerMsg::PeerJoined { .. }).then_some(())
    })
    .await;
    // The third person moved the room to the SFU (`--p2p-max` 2): the first two are told.
    for ws in [&mut three.h.0, &mut three.p.0] {
        expect(ws, |m| {
            matches!(m, ServerMsg::Topology { .. }).then_some(())
        })
        .await;
    }
    three
}

fn open_meeting() -> Value {
    json!({ "title": "Room", "allow_guests": true })
}

#[tokio::test]
async fn guests_and_participants_crafting_host_messages_are_refused() {
    let mut t = three(open_meeting()).await;
    let target = t.h.1.clone();
    let actions = [
        HostAction::Mute {
            peer: target.clone(),
        },
        HostAction::AskUnmute {
            peer: target.clone(),
        },
        HostAction::AskCamera {
            peer: target.clone(),
        },
        HostAction::MuteAll,
        HostAction::Remove {
            peer: target.clone(),
        },
        HostAction::Promote {
            peer: t.g.1.clone(),
        },
        HostAction::Demote {
            peer: target.clone(),
        },
        HostAction::MakeHost {
            peer: t.g.1.clone(),
        },
        HostAction::LowerHand {
            peer: target.clone(),
        },
        HostAction::Admit {
            peer: target.clone(),
        },
        HostAction::Deny {
            peer: target.clone(),
        },
        HostAction::AdmitAll,
        HostAction::Lock,
        HostAction::Unlock,
    ];
    for ws in [&mut t.p.0, &mut t.g.0] {
        for action in actions.iter().cloned() {
            act(ws, action).await;
            assert_eq!(expect(ws, error_code).await, SignalErrorCode::Forbidden);
        }
        send(ws, &ClientMsg::EndMeeting).await;
        assert_eq!(expect(ws, error_code).await, SignalErrorCode::Forbidden);
    }
    nothing_arrives(&mut t.h.0).await;
}

#[tokio::test]
async fn the_host_promotes_a_moderator_who_may_mute_and_ask_but_not_touch_the_host() {
    let mut t = three(open_meeting()).await;
    act(
        &mut t.h.0,
        HostAction::Promote {
            peer: t.p.1.clone(),
        },
    )
    .await;
    let p_id = t.p.1.clone();
    expect(&mut t.p.0, |m| match m {
        ServerMsg::PeerUpdated { peer } if peer.id == p_id && peer.role == Role::Moderator => {
            Some(())
        }
        _ => None,
    })
    .await;

    // The moderator mutes the guest: the guest is told, everyone sees the line.
    act(
        &mut t.p.0,
        HostAction::Mute {
            peer: t.g.1.clone(),
        },
    )
    .await;
    let by = expect(&mut t.g.0, |m| match m {
        ServerMsg::ForceMuted { by } => Some(by),
        _ => None,
    })
    .await;
    assert_eq!(by, "Pat");
    let line = expect(&mut t.h.0, |m| match m {
        ServerMsg::Notice {
            notice: notice @ Notice::Muted { .. },
        } => Some(notice),
        _ => None,
    })
    .await;
    assert_eq!(line.text(), "Gil was muted by Pat");

    act(
        &mut t.p.0,
        HostAction::AskCamera {
            peer: t.g.1.clone(),
        },
    )
    .await;
    let asked = expect(&mut t.g.0, |m| match m {
        ServerMsg::Asked { request, .. } => Some(request),
        _ => None,
    })
    .await;
    assert_eq!(asked, Request::Camera);

    // Not on the host, and not the host's own powers.
    act(
        &mut t.p.0,
        HostAction::Mute {
            peer: t.h.1.clone(),
        },
    )
    .await;
    let refused = expect(&mut t.p.0, error_code).await;
    assert_eq!(refused, SignalErrorCode::Forbidden);
    act(
        &mut t.p.0,
        HostAction::Promote {
            peer: t.g.1.clone(),
        },
    )
    .await;
    let refused = expect(&mut t.p.0, error_code).await;
    assert_eq!(refused, SignalErrorCode::Forbidden);

    // Demoted, the power is gone.
    act(
        &mut t.h.0,
        HostAction::Demote {
            peer: t.p.1.clone(),
        },
    )
    .await;
    let p_id = t.p.1.clone();
    expect(&mut t.p.0, |m| match m {
        ServerMsg::PeerUpdated { peer } if peer.id == p_id && peer.role == Role::Participant => {
            Some(())
        }
        _ => None,
    })
    .await;
    act(&mut t.p.0, HostAction::MuteAll).await;
    let refused = expect(&mut t.p.0, error_code).await;
    assert_eq!(refused, SignalErrorCode::Forbidden);
}

#[tokio::test]
async fn a_removed_guest_or_member_cannot_rejoin_that_meeting_session() {
    let server = TestServer::start().await;
    let host = server.signed_in("rm@example.com", "Host").await;
    let code = meeting(&server, &host, open_meeting()).await;
    let (mut h, _, _, _) = hello(&server, &ticket(&server, &host, &code, json!({})).await).await;
    let guest = server.client();
    let key = "browser-key-0123456789";
    let body = json!({ "display_name": "Rex", "guest_key": key });
    let (mut g, g_id, _, _) =
        hello(&server, &ticket(&server, &guest, &code, body.clone()).await).await;
    let member = server.signed_in("m@example.com", "Mo").await;
    let (mut m, m_id, _, _) =
        hello(&server, &ticket(&server, &member, &code, json!({})).await).await;

    act(&mut h, HostAction::Remove { peer: g_id.clone() }).await;
    assert!(matches!(
        expect(&mut g, |msg| matches!(msg, ServerMsg::Removed { .. }).then_some(msg)).await,
        ServerMsg::Removed { by } if by == "Host"
    ));
    let _ = closed_with(&mut g).await;
    let left = expect(&mut m, |msg| match msg {
        ServerMsg::PeerLeft { peer } => Some(peer),
        _ => None,
    })
    .await;
    assert_eq!(left, g_id);
    let notice = expect(&mut m, |msg| match msg {
        ServerMsg::Notice { notice } => Some(notice),
        _ => None,
    })
    .await;
    assert!(matches!(notice, Notice::Removed { ref name, .. } if name == "Rex"));

    let join = |client: Client, body: Value| {
        let url = server.url(&format!("/api/v1/meetings/{code}/join"));
        async move { client.post(url).json(&body).send().await.unwrap() }
    };
    let again = join(guest.clone(), body).await;
    assert_eq!(again.status(), StatusCode::FORBIDDEN);
    let error: Value = again.json().await.unwrap();
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("removed")
    );
    // Another browser (or cleared storage) is a new guest key: it is not refused, but since a
    // guest was removed every new guest waits for the host, who sees them and decides.
    let other = ticket(
        &server,
        &server.client(),
        &code,
        json!({ "display_name": "Ann", "guest_key": "another-browser-key-42" }),
    )
    .await;
    let (mut ann, first) = enter(&server, &other).await;
    assert_eq!(first, ServerMsg::Waiting);
    let waiting = someone_waits(&mut h).await;
    assert_eq!(waiting[0].display_name, "Ann");
    act(
        &mut h,
        HostAction::Admit {
            peer: waiting[0].id.clone(),
        },
    )
    .await;
    expect(&mut ann, |msg| {
        matches!(msg, ServerMsg::Welcome { .. }).then_some(())
    })
    .await;
    // Signed-in people are recognised by account: they still walk in.
    let member2 = server.signed_in("m2@example.com", "Max").await;
    let (_m2, _, _, _) = hello(&server, &ticket(&server, &member2, &code, json!({})).await).await;

    act(&mut h, HostAction::Remove { peer: m_id }).await;
    expect(&mut m, |msg| {
        matches!(msg, ServerMsg::Removed { .. }).then_some(())
    })
    .await;
    let again = join(member.clone(), json!({})).await;
    assert_eq!(
        again.status(),
        StatusCode::FORBIDDEN,
        "a signed-in member is kept out by account"
    );
}

#[tokio::test]
async fn the_lobby_admits_and_denies_and_a_locked_meeting_refuses() {
    let server = TestServer::start().await;
    let host = server.signed_in("lobby@example.com", "Host").await;
    let code = meeting(
        &server,
        &host,
        json!({ "title": "Lobby", "allow_guests": true, "lobby": true }),
    )
    .await;
    let (mut h, _, _, _) = hello(&server, &ticket(&server, &host, &code, json!({})).await).await;

    let t_a = ticket(
        &server,
        &server.client(),
        &code,
        json!({ "display_name": "Ada" }),
    )
    .await;
    let (mut a, first) = enter(&server, &t_a).await;
    assert_eq!(first, ServerMsg::Waiting);
    let waiting = expect(&mut h, |m| match m {
        ServerMsg::Lobby { waiting } => Some(waiting),
        _ => None,
    })
    .await;
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].display_name, "Ada");
    assert!(!waiting[0].signed_in);
    // The host's list of meetings says so too (for a host on the dashboard, not in the room).
    let live = || async {
        let list = server.get_json(&host, "/api/v1/meetings").await;
        let card = &list["upcoming"][0];
        assert_eq!(card["code"], code.as_str());
        (card["in_call"].clone(), card["waiting"].clone())
    };
    assert_eq!(live().await, (json!(1), json!(1)));
    // Waiting people get nothing of the meeting: no chat, no media, no participants.
    chat(&mut a, 1, None, "let me in").await;
    assert_eq!(
        error_code(recv(&mut a).await),
        Some(SignalErrorCode::Waiting)
    );
    send(&mut a, &ClientMsg::SfuConnect).await;
    assert_eq!(
        error_code(recv(&mut a).await),
        Some(SignalErrorCode::Waiting)
    );

    act(
        &mut h,
        HostAction::Admit {
            peer: waiting[0].id.clone(),
        },
    )
    .await;
    let peers = expect(&mut a, |m| match m {
        ServerMsg::Welcome { peers, .. } => Some(peers),
        _ => None,
    })
    .await;
    assert_eq!(peers.len(), 1, "admitted, Ada sees the host");
    assert_eq!(live().await, (json!(2), json!(0)));
    chat(&mut a, 2, None, "thanks").await;
    expect(&mut a, |m| {
        matches!(m, ServerMsg::ChatAck { nonce: 2, .. }).then_some(())
    })
    .await;

    let t_b = ticket(
        &server,
        &server.client(),
        &code,
        json!({ "display_name": "Bo" }),
    )
    .await;
    let (mut b, first) = enter(&server, &t_b).await;
    assert_eq!(first, ServerMsg::Waiting);
    let waiting = someone_waits(&mut h).await;
    act(
        &mut h,
        HostAction::Deny {
            peer: waiting[0].id.clone(),
        },
    )
    .await;
    assert_eq!(recv(&mut b).await, ServerMsg::Denied);
    let _ = closed_with(&mut b).await;

    // Locked: nobody new, not even to the lobby; the host's own join still works.
    act(&mut h, HostAction::Lock).await;
    expect(&mut a, |m| {
        matches!(m, ServerMsg::Locked { locked: true }).then_some(())
    })
    .await;
    let res = server
        .client()
        .post(server.url(&format!("/api/v1/meetings/{code}/join")))
        .json(&json!({ "display_name": "Cy" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let error: Value = res.json().await.unwrap();
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("locked")
    );
    // The pre-join look-up says so before anyone tries.
    let info_path = format!("/api/v1/meetings/{code}");
    assert_eq!(
        server.get_json(&server.client(), &info_path).await["locked"],
        true
    );
    let again = ticket(&server, &host, &code, json!({})).await;
    assert_eq!(again.role, Role::Host);
    act(&mut h, HostAction::Unlock).await;
    expect(&mut a, |m| {
        matches!(m, ServerMsg::Locked { locked: false }).then_some(())
    })
    .await;
    assert_eq!(
        server.get_json(&server.client(), &info_path).await["locked"],
        false
    );
    ticket(
        &server,
        &server.client(),
        &code,
        json!({ "display_name": "Cy" }),
    )
    .await;
}

/// A page of the chat history before message `before` (the newest without), as `ws`'s
/// participant may see it, and whether older messages exist.
async fn history_page(
    ws: &mut Ws,
    before: Option<String>,
) -> (Vec<protocol::room::ChatMessage>, bool) {
    send(ws, &ClientMsg::ChatHistory { before }).await;
    expect(ws, |m| match m {
        ServerMsg::ChatHistory { messages, more } => Some((messages, more)),
        _ => None,
    })
    .await
}

/// The newest page of the chat history, as `ws`'s participant may see it.
async fn history(ws: &mut Ws) -> Vec<protocol::room::ChatMessage> {
    history_page(ws, None).await.0
}

#[tokio::test]
async fn private_messages_stay_readable_to_their_two_people_after_a_reload() {
    let server = TestServer::start().await;
    let host = server.signed_in("host@example.com", "Hana").await;
    let code = meeting(&server, &host, open_meeting()).await;
    let (mut h, h_id, _, _) = hello(&server, &ticket(&server, &host, &code, json!({})).await).await;
    let gil = json!({ "display_name": "Gil", "guest_key": "gil-browser-key-0001" });
    let (mut g, _, _, _) = hello(
        &server,
        &ticket(&server, &server.client(), &code, gil.clone()).await,
    )
    .await;
    chat(&mut g, 1, Some(&h_id), "just for you").await;
    let private = expect(&mut g, |m| match m {
        ServerMsg::ChatAck { message, .. } => Some(message),
        _ => None,
    })
    .await;
    assert_eq!(history(&mut h).await, vec![private.clone()]);

    // Gil reloads the page: the same browser key joins again under a new peer id, and still
    // reads what it sent privately.
    let (mut again, again_id, _, _) = hello(
        &server,
        &ticket(&server, &server.client(), &code, gil).await,
    )
    .await;
    assert_ne!(&again_id, &private.from);
    let seen = history(&mut again).await;
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].id, private.id);
    assert!(seen[0].from_me, "marked as Gil's own, to show as such");
    // Another guest (another browser key) does not.
    let other = json!({ "display_name": "Ola", "guest_key": "ola-browser-key-0002" });
    let (mut o, _, _, _) = hello(
        &server,
        &ticket(&server, &server.client(), &code, other).await,
    )
    .await;
    assert!(history(&mut o).await.is_empty());
    // The host rejoins too (a second join as the same user) and still reads it.
    let (mut h2, _, _, _) = hello(&server, &ticket(&server, &host, &code, json!({})).await).await;
    assert_eq!(history(&mut h2).await, vec![private]);
}

#[tokio::test]
async fn chat_reaches_everyone_private_messages_only_their_target_and_late_joiners_get_history() {
    let mut t = three(open_meeting()).await;
    chat(&mut t.h.0, 7, None, "  Welcome, all  ").await;
    let acked = expect(&mut t.h.0, |m| match m {
        ServerMsg::ChatAck { nonce: 7, message } => Some(message),
        _ => None,
    })
    .await;
    assert_eq!(acked.text, "Welcome, all");
    assert_eq!(acked.from_name, "Hana");
    for ws in [&mut t.p.0, &mut t.g.0] {
        let got = expect(ws, |m| match m {
            ServerMsg::Chat { message } => Some(message),
            _ => None,
        })
        .await;
        assert_eq!(got, acked);
    }

    // Private from the guest to Pat: Pat gets it, the host does not.
    chat(
        &mut t.g.0,
        1,
        Some(&t.p.1),
        "<b>psst</b> https://example.com",
    )
    .await;
    let private = expect(&mut t.g.0, |m| match m {
        ServerMsg::ChatAck { message, .. } => Some(message),
        _ => None,
    })
    .await;
    assert_eq!(private.to.as_ref(), Some(&t.p.1));
    assert_eq!(private.to_name.as_deref(), Some("Pat"));
    let got = expect(&mut t.p.0, |m| match m {
        ServerMsg::Chat { message } => Some(message),
        _ => None,
    })
    .await;
    assert_eq!(
        got, private,
        "stored and sent as written: the browser renders text only"
    );
    nothing_arrives(&mut t.h.0).await;

    // Too long: an error, and the socket stays open.
    chat(&mut t.g.0, 2, None, &"x".repeat(MAX_CHAT_CHARS + 1)).await;
    assert_eq!(
        error_code(recv(&mut t.g.0).await),
        Some(SignalErrorCode::TooLarge)
    );
    chat(&mut t.g.0, 3, Some(&PeerId("nobody".into())), "hi").await;
    assert_eq!(
        error_code(recv(&mut t.g.0).await),
        Some(SignalErrorCode::UnknownPeer)
    );
    send(&mut t.g.0, &ClientMsg::Ping { nonce: 9 }).await;
    assert_eq!(recv(&mut t.g.0).await, ServerMsg::Pong { nonce: 9 });

    // A late joiner sees what was said to everyone, not the private message.
    let late = t.server.signed_in("late@example.com", "Lee").await;
    let (mut l, _, _, _) = hello(
        &t.server,
        &ticket(&t.server, &late, &t.code, json!({})).await,
    )
    .await;
    let (messages, more) = history_page(&mut l, None).await;
    assert_eq!(messages, vec![acked.clone()]);
    assert!(!more);
    // Pat sees both.
    assert_eq!(history(&mut t.p.0).await, vec![acked, private]);

    // The host reads the meeting's chat from the API; others may not.
    let log = t
        .server
        .get_json(&t.host, &format!("/api/v1/meetings/{}/chat", t.code))
        .await;
    assert_eq!(
        log["messages"].as_array().unwrap().len(),
        1,
        "private messages stay private"
    );
    let text = t
        .host
        .get(
            t.server
                .url(&format!("/api/v1/meetings/{}/chat?format=text", t.code)),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        text.headers()["content-disposition"],
        format!("attachment; filename=\"chat-{}.txt\"", t.code).as_str()
    );
    assert!(
        text.text()
            .await
            .unwrap()
            .contains("] Hana: Welcome, all\n")
    );
    let res = late
        .get(t.server.url(&format!("/api/v1/meetings/{}/chat", t.code)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

/// Each page of history is a database query: one socket asking in a loop gets
/// `rate_limited` after a burst (it used to get ~50 queries a second), and the socket stays
/// open and usable.
#[tokio::test]
async fn history_requests_have_their_own_rate_limit() {
    let server = TestServer::start().await;
    let host = server.signed_in("host@example.com", "Hana").await;
    let code = meeting(&server, &host, open_meeting()).await;
    let (mut h, _, _, _) = hello(&server, &ticket(&server, &host, &code, json!({})).await).await;
    for _ in 0..40 {
        send(&mut h, &ClientMsg::ChatHistory { before: None }).await;
    }
    let mut pages = 0;
    let mut limited = 0;
    while pages + limited < 40 {
        match recv(&mut h).await {
            ServerMsg::ChatHistory { .. } => pages += 1,
            ServerMsg::Error {
                code: SignalErrorCode::RateLimited,
                ..
            } => limited += 1,
            _ => {}
        }
    }
    assert!(pages >= 10, "the burst is served: {pages}");
    // (The bucket refills at 2 a second while the 40 are answered: a slow machine serves a
    // few more.)
    assert!(limited >= 12, "the rest is refused: {limited} of 40");
    // The socket stays open: chat still works.
    chat(&mut h, 7, None, "still here").await;
    expect(&mut h, |m| {
        matches!(m, ServerMsg::ChatAck { nonce: 7, .. }).then_some(())
    })
    .await;
}

#[tokio::test]
async fn history_pages_go_back_in_order() {
    let mut t = three(open_meeting()).await;
    let total = protocol::room::CHAT_PAGE + 5;
    for n in 0..total {
        // Three senders in turn stay under the per-person rate limit.
        let ws = match n % 3 {
            0 => &mut t.h.0,
            1 => &mut t.p.0,
            _ => &mut t.g.0,
        };
        chat(ws, n as u32, None, &format!("message {n}")).await;
        expect(ws, |m| matches!(m, ServerMsg::ChatAck { .. }).then_some(())).await;
    }
    let (newest, more) = history_page(&mut t.g.0, None).await;
    assert!(more);
    assert_eq!(newest.len(), protocol::room::CHAT_PAGE);
    assert_eq!(
        newest.last().unwrap().text,
        format!("message {}", total - 1)
    );
    let (older, more) = history_page(&mut t.g.0, Some(newest[0].id.clone())).await;
    assert!(!more);
    let texts: Vec<String> = older.into_iter().map(|m| m.text).collect();
    assert_eq!(
        texts,
        (0..5).map(|n| format!("message {n}")).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn hands_go_up_in_order_reactions_reach_the_others_and_the_host_lowers_a_hand() {
    let mut t = three(open_meeting()).await;
    send(&mut t.g.0, &ClientMsg::Hand { raised: true }).await;
    send(&mut t.p.0, &ClientMsg::Hand { raised: true }).await;
    let (g_id, p_id) = (t.g.1.clone(), t.p.1.clone());
    let g_hand = expect(&mut t.h.0, |m| match m {
        ServerMsg::PeerUpdated { peer } if peer.id == g_id => peer.hand,
        _ => None,
    })
    .await;
    let p_hand = expect(&mut t.h.0, |m| match m {
        ServerMsg::PeerUpdated { peer } if peer.id == p_id => peer.hand,
        _ => None,
    })
    .await;
    assert!(g_hand < p_hand, "the first hand up comes first");

    send(
        &mut t.g.0,
        &ClientMsg::React {
            reaction: Reaction::Clap,
        },
    )
    .await;
    let (from, reaction) = expect(&mut t.p.0, |m| match m {
        ServerMsg::Reaction { from, reaction } => Some((from, reaction)),
        _ => None,
    })
    .await;
    assert_eq!((from, reaction), (t.g.1.clone(), Reaction::Clap));

    act(
        &mut t.h.0,
        HostAction::LowerHand {
            peer: t.g.1.clone(),
        },
    )
    .await;
    let g_id = t.g.1.clone();
    expect(&mut t.g.0, |m| match m {
        ServerMsg::PeerUpdated { peer } if peer.id == g_id && peer.hand.is_none() => Some(()),
        _ => None,
    })
    .await;
}

#[tokio::test]
async fn the_host_hands_the_role_over_and_the_new_host_runs_the_room() {
    let mut t = three(open_meeting()).await;
    act(
        &mut t.h.0,
        HostAction::MakeHost {
            peer: t.p.1.clone(),
        },
    )
    .await;
    let (h_id, p_id) = (t.h.1.clone(), t.p.1.clone());
    let roles = expect(&mut t.g.0, |m| match m {
        ServerMsg::PeerUpdated { peer } if peer.id == p_id && peer.role == Role::Host => Some(()),
        _ => None,
    })
    .await;
    assert_eq!(roles, ());
    expect(&mut t.h.0, |m| match m {
        ServerMsg::PeerUpdated { peer } if peer.id == h_id && peer.role == Role::Moderator => {
            Some(())
        }
        _ => None,
    })
    .await;
    // The new host promotes; the old one, now a moderator, may not.
    act(
        &mut t.p.0,
        HostAction::Promote {
            peer: t.g.1.clone(),
        },
    )
    .await;
    let g_id = t.g.1.clone();
    expect(&mut t.g.0, |m| match m {
        ServerMsg::PeerUpdated { peer } if peer.id == g_id && peer.role == Role::Moderator => {
            Some(())
        }
        _ => None,
    })
    .await;
    act(
        &mut t.h.0,
        HostAction::Demote {
            peer: t.g.1.clone(),
        },
    )
    .await;
    assert_eq!(
        expect(&mut t.h.0, error_code).await,
        SignalErrorCode::Forbidden
    );
    // A moderator may lock; everyone hears it.
    act(&mut t.g.0, HostAction::Lock).await;
    expect(&mut t.p.0, |m| {
        matches!(m, ServerMsg::Locked { locked: true }).then_some(())
    })
    .await;
}
