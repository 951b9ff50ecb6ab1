//! Signaling benchmark: WebSocket clients (guests, through the real join step and `/ws`)
//! against a running server, in rooms of `--room-size`. Measures, in this order:
//! - join latency (join step + `hello` → `welcome`) p50 / p99 for a burst at `--join-rate`
//!   joins per second, and how many failed or took over 10 s;
//! - the server's resident memory per connected participant (`VmRSS` after all joined minus
//!   before, divided by the number connected);
//! - chat delivery latency p50 / p99 (sender's send → each receiver reads it) at a light
//!   `--latency-rate` messages per second with everyone connected;
//! - chat fan-out: messages delivered to receivers per second, and per CPU-second of the
//!   server process, while senders push `--chat-rate` messages per second in total (every
//!   message is stored in SurrealDB before it is sent on, as in production).
//!
//! Usage: signal-bench --server http://127.0.0.1:3240 --pid <server pid>
//!        [--participants 10000] [--room-size 50] [--join-rate 500] [--latency-rate 50]
//!        [--chat-rate 2000] [--seconds 10] [--out bench-results/signal.json]
//! `scripts/bench-signal.sh` starts the release server pinned to one core and this on the other.

use futures_util::{SinkExt, StreamExt};
use loadtest::host::Host;
use loadtest::measure::{cpu_seconds, flags, quantile, rss_bytes};
use protocol::signal::{ClientMsg, JoinTicket, PROTOCOL_VERSION, ServerMsg};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

const JOIN_TIMEOUT: Duration = Duration::from_secs(10);

struct Args {
    server: String,
    pid: u32,
    participants: usize,
    room_size: usize,
    join_rate: u32,
    latency_rate: u32,
    chat_rate: u32,
    seconds: u64,
    out: String,
}

fn args() -> Args {
    let map = flags();
    let get = |k: &str, d: &str| map.get(k).cloned().unwrap_or_else(|| d.to_owned());
    let num = |k: &str, d: &str| -> u64 {
        get(k, d)
            .parse()
            .unwrap_or_else(|_| panic!("--{k} is a number"))
    };
    Args {
        server: get("server", "http://127.0.0.1:3240"),
        pid: num("pid", "0") as u32,
        participants: num("participants", "10000") as usize,
        room_size: num("room-size", "50") as usize,
        join_rate: num("join-rate", "500") as u32,
        latency_rate: num("latency-rate", "50") as u32,
        chat_rate: num("chat-rate", "2000") as u32,
        seconds: num("seconds", "10"),
        out: get("out", "bench-results/signal.json"),
    }
}

/// What every client's reader task reports.
#[derive(Default)]
struct Shared {
    delivered: AtomicU64,
    /// Delivery latencies in ms, while `recording`.
    latencies: Mutex<Vec<f64>>,
    recording: std::sync::atomic::AtomicBool,
}

/// A connected client: where to send its chat messages.
struct Client {
    outgoing: mpsc::UnboundedSender<String>,
}

fn text(msg: &ClientMsg) -> Message {
    Message::Text(serde_json::to_string(msg).unwrap_or_default().into())
}

/// Joins `code` as a guest; returns the client and how long the join took.
async fn join(
    http: &reqwest::Client,
    base: &str,
    code: &str,
    n: usize,
    start: Instant,
    shared: Arc<Shared>,
) -> Result<(Client, Duration), String> {
    let began = Instant::now();
    let ticket: JoinTicket = http
        .post(format!("{base}/api/v1/meetings/{code}/join"))
        .json(&serde_json::json!({ "display_name": format!("Bot {n}") }))
        .send()
        .await
        .map_err(|e| format!("join step: {e}"))?
        .error_for_status()
        .map_err(|e| format!("join step: {e}"))?
        .json()
        .await
        .map_err(|e| format!("ticket: {e}"))?;
    let ws_url = format!("{}/ws", base.replacen("http", "ws", 1));
    let (ws, _) = tokio_tungstenite::connect_async(ws_url)
        .await
        .map_err(|e| format!("websocket: {e}"))?;
    let (mut sink, mut stream) = ws.split();
    let hello = ClientMsg::Hello {
        version: PROTOCOL_VERSION,
        ticket: Some(ticket.ticket),
        resume: None,
    };
    sink.send(text(&hello))
        .await
        .map_err(|e| format!("hello: {e}"))?;
    loop {
        match stream.next().await {
            Some(Ok(Message::Text(t))) => match serde_json::from_str::<ServerMsg>(&t) {
                Ok(ServerMsg::Welcome { .. }) => break,
                Ok(ServerMsg::Error { message, .. }) => return Err(message),
                _ => {}
            },
            Some(Ok(_)) => {}
            _ => return Err("closed before welcome".into()),
        }
    }
    let took = began.elapsed();
    let (tx, mut rx) = mpsc::unbounded_channel::<String>();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                out = rx.recv() => {
                    let Some(out) = out else { return };
                    let msg = ClientMsg::Chat { nonce: 0, to: None, text: out };
                    if sink.send(text(&msg)).await.is_err() {
                        return;
                    }
                }
                incoming = stream.next() => {
                    let Some(Ok(frame)) = incoming else { return };
                    let Message::Text(t) = frame else { continue };
                    // Cheap check first: only chat messages are parsed.
                    if !t.starts_with("{\"type\":\"chat\"") {
                        if t.starts_with("{\"type\":\"ping\"") {
                            let nonce = serde_json::from_str::<ServerMsg>(&t)
                                .ok()
                                .and_then(|m| match m { ServerMsg::Ping { nonce } => Some(nonce), _ => None });
                            if let Some(nonce) = nonce {
                                let _ = sink.send(text(&ClientMsg::Pong { nonce })).await;
                            }
                        }
                        continue;
                    }
                    shared.delivered.fetch_add(1, Ordering::Relaxed);
                    if shared.recording.load(Ordering::Relaxed)
                        && let Ok(ServerMsg::Chat { message }) = serde_json::from_str::<ServerMsg>(&t)
                        && let Some(sent) = message.text.strip_prefix("t=").and_then(|v| v.parse::<f64>().ok())
                    {
                        let now = start.elapsed().as_secs_f64() * 1000.0;
                        if let Ok(mut l) = shared.latencies.lock() {
                            l.push(now - sent);
                        }
                    }
                }
            }
        }
    });
    Ok((Client { outgoing: tx }, took))
}

/// Sends `rate` messages per second for `seconds`, spread over `senders` (round robin), each
/// stamped with its send time.
async fn chat_load(senders: &[&Client], rate: u32, seconds: u64, start: Instant) -> u64 {
    let total = rate as u64 * seconds;
    let gap = Duration::from_secs_f64(1.0 / rate.max(1) as f64);
    let began = tokio::time::Instant::now();
    for i in 0..total {
        tokio::time::sleep_until(began + gap * i as u32).await;
        let stamp = start.elapsed().as_secs_f64() * 1000.0;
        let _ = senders[i as usize % senders.len()]
            .outgoing
            .send(format!("t={stamp:.3}"));
    }
    total
}

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() {
    let a = args();
    let start = Instant::now();
    let host = Host::register(&a.server, "signal-bench").await;
    let rooms = a.participants.div_ceil(a.room_size);
    let mut codes = Vec::with_capacity(rooms);
    for r in 0..rooms {
        codes.push(host.meeting(&format!("Room {r}"), a.room_size).await);
    }
    let guests = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .expect("client");
    let rss_before = rss_bytes(a.pid);

    // The join burst: one join started every 1/rate s, all in flight together.
    let shared = Arc::new(Shared::default());
    let gap = Duration::from_secs_f64(1.0 / a.join_rate.max(1) as f64);
    let began = tokio::time::Instant::now();
    let mut joins = Vec::with_capacity(a.participants);
    for n in 0..a.participants {
        tokio::time::sleep_until(began + gap * n as u32).await;
        let (http, base, code, shared) = (
            guests.clone(),
            a.server.clone(),
            codes[n % rooms].clone(),
            shared.clone(),
        );
        joins.push(tokio::spawn(async move {
            tokio::time::timeout(JOIN_TIMEOUT, join(&http, &base, &code, n, start, shared)).await
        }));
    }
    let mut clients = Vec::new();
    let mut join_ms = Vec::new();
    let (mut failed, mut timed_out) = (0usize, 0usize);
    let mut first_error = None;
    for j in joins {
        match j.await {
            Ok(Ok(Ok((client, took)))) => {
                join_ms.push(took.as_secs_f64() * 1000.0);
                clients.push(client);
            }
            Ok(Ok(Err(e))) => {
                failed += 1;
                first_error.get_or_insert(e);
            }
            Ok(Err(_)) => timed_out += 1,
            Err(e) => {
                failed += 1;
                first_error.get_or_insert(e.to_string());
            }
        }
    }
    let burst_secs = began.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let connected = clients.len();
    let rss_after = rss_bytes(a.pid);
    let rss_per = rss_after.saturating_sub(rss_before) as f64 / connected.max(1) as f64;

    // Chat latency at a light rate, then fan-out at full rate. Senders: the first few of
    // every room (clients were dealt to rooms in turn), at most 3 messages/s each.
    let per_sender = 3;
    let needed = (a.chat_rate as usize).div_ceil(per_sender).max(1);
    let senders: Vec<&Client> = clients.iter().take(needed.min(connected)).collect();
    shared.recording.store(true, Ordering::Relaxed);
    chat_load(&senders, a.latency_rate, a.seconds.min(5), start).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    shared.recording.store(false, Ordering::Relaxed);
    let mut latencies = std::mem::take(&mut *shared.latencies.lock().expect("latencies"));
    let (lat_p50, lat_p99) = (
        quantile(&mut latencies, 0.5),
        quantile(&mut latencies, 0.99),
    );

    let delivered_before = shared.delivered.load(Ordering::Relaxed);
    let cpu_before = cpu_seconds(a.pid);
    let window = Instant::now();
    let sent = chat_load(&senders, a.chat_rate, a.seconds, start).await;
    // Deliveries still in flight when sending stops count too.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let secs = window.elapsed().as_secs_f64();
    let delivered = shared.delivered.load(Ordering::Relaxed) - delivered_before;
    let cpu = cpu_seconds(a.pid) - cpu_before;
    let expected = sent * (a.room_size as u64 - 1);

    let result = serde_json::json!({
        "participants": a.participants,
        "room_size": a.room_size,
        "rooms": rooms,
        "join_rate_per_sec": a.join_rate,
        "burst_seconds": burst_secs,
        "connected": connected,
        "join_failed": failed,
        "join_timed_out": timed_out,
        "first_join_error": first_error,
        "join_ms_p50": quantile(&mut join_ms.clone(), 0.5),
        "join_ms_p99": quantile(&mut join_ms, 0.99),
        "server_rss_before_bytes": rss_before,
        "server_rss_after_bytes": rss_after,
        "server_rss_per_participant_bytes": rss_per,
        "chat_latency_rate_per_sec": a.latency_rate,
        "chat_latency_ms_p50": lat_p50,
        "chat_latency_ms_p99": lat_p99,
        "chat_latency_samples": latencies.len(),
        "chat_rate_per_sec": a.chat_rate,
        "chat_senders": senders.len(),
        "chat_messages_sent": sent,
        "chat_deliveries_expected": expected,
        "chat_deliveries": delivered,
        "chat_window_seconds": secs,
        "chat_deliveries_per_sec": delivered as f64 / secs,
        "server_cpu_seconds": cpu,
        "chat_deliveries_per_server_cpu_second": delivered as f64 / cpu.max(0.001),
    });
    println!("| measure | value |");
    println!("|---|---|");
    println!("| connected / asked | {connected} / {} |", a.participants);
    println!("| joins failed / over 10 s | {failed} / {timed_out} |");
    println!(
        "| join burst | {} joins/s asked, {:.0} s |",
        a.join_rate, burst_secs
    );
    println!(
        "| join latency p50 / p99 | {:.0} / {:.0} ms |",
        result["join_ms_p50"].as_f64().unwrap_or(0.0),
        result["join_ms_p99"].as_f64().unwrap_or(0.0)
    );
    println!(
        "| server RSS per participant | {:.1} KB ({:.0} → {:.0} MB) |",
        rss_per / 1024.0,
        rss_before as f64 / 1e6,
        rss_after as f64 / 1e6
    );
    println!(
        "| chat delivery p50 / p99 ({connected} connected, {} msg/s) | {lat_p50:.1} / {lat_p99:.1} ms |",
        a.latency_rate
    );
    println!(
        "| chat fan-out | {:.0} deliveries/s ({delivered} of {expected}) |",
        delivered as f64 / secs
    );
    println!(
        "| per server CPU-second | {:.0} deliveries ({cpu:.1} CPU-s in {secs:.1} s) |",
        delivered as f64 / cpu.max(0.001)
    );
    if let Some(e) = &first_error {
        println!("first join error: {e}");
    }
    if let Some(dir) = std::path::Path::new(&a.out).parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    std::fs::write(&a.out, serde_json::to_string_pretty(&result).expect("json"))
        .expect("write results");
    println!("wrote {}", a.out);
}
