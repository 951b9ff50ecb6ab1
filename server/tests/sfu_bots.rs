//! Scenario: a six-person meeting through the SFU over loopback UDP, with str0m bots as
//! browsers (real server, real `/ws` signaling, real sockets): everyone receives everyone
//! else's audio and video; a bot that vanishes without a goodbye is removed, and the others'
//! sessions drop its tracks. A host's mute holds even against a client that ignores it.

use crate::common::{TestServer, ws};
use loadtest::client::{BotHandle as Handle, join, join_with};
use protocol::room::HostAction;
use protocol::signal::{ClientMsg, TrackKind};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

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
        bots.push(
            join(&server.base, &code, &format!("Bot {i}"))
                .await
                .unwrap(),
        );
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

    // What the SFU sent shows up in /metrics (the recorder is process-wide: other tests'
    // traffic may add to it, never take away).
    let metrics = reqwest::get(format!("{}/metrics", server.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let value = |name: &str| -> f64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or_else(|| panic!("{name} missing from /metrics:\n{metrics}"))
    };
    assert!(value("sfu_frames_out_total") > 0.0);
    assert!(value("sfu_datagrams_in_total") > 0.0);
    let (datagrams, calls) = (
        value("sfu_datagrams_out_total"),
        value("sfu_send_calls_total"),
    );
    assert!(
        datagrams > 0.0 && calls > 0.0 && calls <= datagrams,
        "{calls} sends for {datagrams} datagrams"
    );

    // One bot vanishes: no leave, no more packets (its socket stays open for the test).
    let gone = bots.pop().unwrap();
    gone.stop();
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
        h.stop();
    }
}

/// A meeting hosted by `host_email` with two bots in it: one on UDP, one that can only use
/// ICE-TCP.
async fn udp_and_tcp_bots(server: &TestServer, host_email: &str) -> (Handle, Handle) {
    let host = server.signed_in(host_email, "Host").await;
    let meeting: Value = server
        .create_meeting(&host, json!({ "title": "ICE-TCP" }))
        .await
        .json()
        .await
        .unwrap();
    let code = meeting["code"].as_str().unwrap().to_owned();
    let udp = join(&server.base, &code, "Udp").await.unwrap();
    let tcp = join_with(&server.base, &code, "Tcp", true).await.unwrap();
    (udp, tcp)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bot_that_can_only_use_tcp_joins_over_ice_tcp() {
    let server = TestServer::start().await;
    let (udp, tcp) = udp_and_tcp_bots(&server, "tcp-host@example.com").await;
    wait_until(
        "the TCP bot and the UDP bot receive each other",
        Duration::from_secs(20),
        || {
            let t = tcp.bot.lock().unwrap();
            let u = udp.bot.lock().unwrap();
            t.frames_from(&udp.peer, TrackKind::Camera) > 10
                && u.frames_from(&tcp.peer, TrackKind::Camera) > 10
                && u.frames_from(&tcp.peer, TrackKind::Mic) > 10
        },
    )
    .await;
    udp.stop();
    tcp.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_mute_stops_the_audio_of_a_client_that_ignores_it() {
    let server = TestServer::start().await;
    let host = server.signed_in("mute-host@example.com", "Host").await;
    let code = ws::meeting(
        &server,
        &host,
        json!({ "title": "Mute", "allow_guests": true }),
    )
    .await;
    let ticket = ws::ticket(&server, &host, &code, json!({})).await;
    let (mut host_ws, _, _, _) = ws::hello(&server, &ticket).await;
    // Bots keep sending audio whatever they are told: a client that ignores `force_muted`.
    let talker = join(&server.base, &code, "Talker").await.unwrap();
    let listener = join(&server.base, &code, "Listener").await.unwrap();
    let heard = |kind| listener.bot.lock().unwrap().frames_from(&talker.peer, kind);
    wait_until(
        "the listener hears the talker",
        Duration::from_secs(20),
        || heard(TrackKind::Mic) > 10,
    )
    .await;

    let mute = HostAction::Mute {
        peer: talker.peer.clone(),
    };
    ws::send(&mut host_ws, &ClientMsg::Host { action: mute }).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (audio, video) = (heard(TrackKind::Mic), heard(TrackKind::Camera));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        heard(TrackKind::Mic),
        audio,
        "the SFU forwards no audio of someone the host muted"
    );
    assert!(
        heard(TrackKind::Camera) > video + 10,
        "their video still flows"
    );
    talker.stop();
    listener.stop();
}

/// One client address opens many ICE-TCP connections and trickles two bytes into each (it
/// used to hold all 1,024 slots that way, 30 s at a time): only its share is accepted, none
/// of them outlives the grace for an ICE check its session accepts, and meanwhile a browser
/// that can only use TCP joins from another address and gets media.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ice_tcp_slots_are_shared_per_address_and_unclaimed_ones_close() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut config = video_meet::config::Config::for_tests();
    config.media_tcp_per_address = 4;
    let server = TestServer::with_config(config).await;
    let tcp_at = server
        .running
        .state
        .rooms
        .sfu()
        .expect("the SFU runs")
        .candidates
        .tcp[0];

    let mut held = Vec::new();
    for _ in 0..10 {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.2:0".parse().unwrap()).unwrap();
        let mut stream = socket.connect(tcp_at).await.unwrap();
        // An empty RFC 4571 frame: two bytes.
        let _ = stream.write_all(&[0, 0]).await;
        held.push(stream);
    }
    // Is the connection closed by the server within `limit`?
    async fn closed_within(stream: &mut tokio::net::TcpStream, limit: Duration) -> bool {
        let mut buf = [0u8; 64];
        matches!(
            tokio::time::timeout(limit, stream.read(&mut buf)).await,
            Ok(Ok(0) | Err(_))
        )
    }
    // Read side by side, within a second (well inside the 5 s grace).
    let closed = futures_util::future::join_all(
        held.iter_mut()
            .map(|s| closed_within(s, Duration::from_secs(1))),
    )
    .await;
    let refused = closed.iter().filter(|c| **c).count();
    assert!(
        refused >= 6,
        "past its share of 4, an address is refused ({refused} of 10)"
    );

    let (udp, tcp) = udp_and_tcp_bots(&server, "slots-host@example.com").await;
    let tcp_video = || {
        tcp.bot
            .lock()
            .unwrap()
            .frames_from(&udp.peer, TrackKind::Camera)
    };
    wait_until(
        "the TCP-only bot receives video over ICE-TCP",
        Duration::from_secs(20),
        || tcp_video() > 10,
    )
    .await;

    // None of the connections no session claimed is still open (5 s of grace, a sweep a second).
    for stream in &mut held {
        assert!(
            closed_within(stream, Duration::from_secs(8)).await,
            "an unclaimed connection was closed"
        );
    }
    let before = tcp_video();
    wait_until(
        "the TCP bot's connection, claimed by its session, stays",
        Duration::from_secs(10),
        || tcp_video() > before + 10,
    )
    .await;
    udp.stop();
    tcp.stop();
}
