//! Scenario: one client address opens many requests and trickles their bodies (a slowloris,
//! reproduced against the release build: 1,040 such POSTs gave everyone 503). It holds only
//! its own share of the in-progress requests, each only until the body deadline, and
//! meanwhile another client's health check, sign-in and join step are answered.

use crate::common::TestServer;
use reqwest::StatusCode;
use serde_json::json;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use video_meet::config::Config;

/// A POST from `from` that declares a 100 kB body and sends one byte of it.
async fn trickle(server: SocketAddr, from: &str) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
    let mut stream = socket.connect(server).await.unwrap();
    let head = format!(
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: {server}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{{"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
}

/// The status line's code the server answers on `stream` within `limit`, if any.
async fn status_within(stream: &mut TcpStream, limit: Duration) -> Option<u16> {
    let mut buf = vec![0u8; 1024];
    let n = tokio::time::timeout(limit, stream.read(&mut buf))
        .await
        .ok()?
        .ok()?;
    let text = String::from_utf8_lossy(&buf[..n]);
    text.split(' ').nth(1)?.parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_client_holds_only_its_share_and_only_until_the_body_deadline() {
    let mut config = Config::for_tests();
    config.max_concurrent_requests = 16;
    config.max_requests_per_address = 8;
    config.body_timeout_secs = 4;
    let server = TestServer::with_config(config).await;
    let other = server.client();
    server.signed_in("steady@example.com", "Steady").await;

    let started = Instant::now();
    let mut held = Vec::new();
    for _ in 0..20 {
        held.push(trickle(server.running.addr, "127.0.0.2").await);
    }
    // Past its share of 8, the slow client is turned away at once.
    // Read side by side, within a second (well inside the 4 s body deadline).
    let answers = futures_util::future::join_all(
        held.iter_mut()
            .map(|s| status_within(s, Duration::from_secs(1))),
    )
    .await;
    let shed = answers.iter().filter(|a| **a == Some(503)).count();
    assert!(
        shed >= 12,
        "past its share the slow client gets 503 ({shed} of 20)"
    );

    // Everyone else is served meanwhile (the whole server has 16 places; the slow client
    // used to be able to take all of them).
    let health = other.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    let login = other
        .post(server.url("/api/v1/auth/login"))
        .json(&json!({ "email": "steady@example.com", "password": "password123" }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    let host = server.signed_in("host-slow@example.com", "Host").await;
    let code = crate::common::ws::meeting(&server, &host, json!({ "title": "Busy day" })).await;
    crate::common::ws::ticket(&server, &host, &code, json!({})).await;

    // The trickled bodies end at the body deadline (4 s), not the request's 30 s.
    for stream in &mut held {
        let _ = status_within(stream, Duration::from_secs(6)).await;
    }
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "the held requests ended at the body deadline"
    );
    let mut again = trickle(server.running.addr, "127.0.0.2").await;
    assert_ne!(
        status_within(&mut again, Duration::from_millis(300)).await,
        Some(503),
        "its places were given back"
    );
}

/// Profile pictures are read into memory (up to 5 MB each): a place is taken before a body
/// is read, so parallel uploads hold a few bodies, not one per request (~1,000 uploads used
/// to hold ~5 GB); a declared size over the limit is refused before anything is read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn avatar_bodies_wait_for_a_place_before_they_are_read() {
    let mut config = Config::for_tests();
    config.body_timeout_secs = 3;
    let server = TestServer::with_config(config).await;
    let client = server.client();
    let res = server.register(&client, "pic@example.com", "Pic").await;
    let access = crate::common::set_cookies(&res)
        .into_iter()
        .find(|(name, _)| name == "vm_access")
        .map(|(_, value)| value)
        .expect("an access cookie");
    let upload = |from: String, declared: usize| {
        let access = access.clone();
        let addr = server.running.addr;
        async move {
            let socket = TcpSocket::new_v4().unwrap();
            socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
            let mut stream = socket.connect(addr).await.unwrap();
            let head = format!(
                "PUT /api/v1/users/me/avatar HTTP/1.1\r\nHost: {addr}\r\nCookie: vm_access={access}\r\nContent-Type: application/octet-stream\r\nContent-Length: {declared}\r\n\r\nx"
            );
            stream.write_all(head.as_bytes()).await.unwrap();
            stream
        }
    };
    let mut uploads = Vec::new();
    for i in 0..8 {
        uploads.push(upload(format!("127.0.0.{}", 10 + i), 4_000_000).await);
    }
    let answers = futures_util::future::join_all(
        uploads
            .iter_mut()
            .map(|s| status_within(s, Duration::from_secs(1))),
    )
    .await;
    let busy = answers.iter().filter(|a| **a == Some(503)).count();
    assert_eq!(
        busy, 4,
        "four bodies are read at once, the others wait for a place"
    );
    let mut huge = upload("127.0.0.30".into(), 50_000_000).await;
    assert_eq!(
        status_within(&mut huge, Duration::from_secs(2)).await,
        Some(413),
        "a declared size over 5 MB is refused at once"
    );
}
