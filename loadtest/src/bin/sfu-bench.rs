//! SFU benchmark: `n` str0m bots in one meeting against a running server, each publishing
//! audio and video and receiving everyone else. Measures, over a steady window: packets the
//! SFU sent per CPU-second of the server process, the server's CPU share of one core, frame
//! loss seen by the bots, and the time a datagram spends inside the SFU (p50/p99 from the
//! server's `sfu_datagram_seconds` histogram). Prints a table and writes JSON.
//!
//! Usage: sfu-bench --server http://127.0.0.1:3230 --pid <server pid> [--bots 25]
//!        [--seconds 20] [--video-fps 30] [--video-bytes 2500] [--forwarding frames]
//!        [--out bench-results/sfu-25.json]
//! `--forwarding` only labels the results: the server's `--sfu-forwarding` decides.
//! Audio is 50 frames/s of 80 bytes (Opus-sized); video is synthetic VP8-framed bytes.
//! `scripts/bench-sfu.sh` starts the release server pinned to one core and this on the other.

use loadtest::client::{self, BotHandle};
use loadtest::host::Host;
use loadtest::measure::{cpu_seconds, flags};
use protocol::signal::TrackKind;
use std::collections::HashMap;
use std::time::{Duration, Instant};

struct Args {
    server: String,
    pid: u32,
    bots: usize,
    seconds: u64,
    out: String,
    video_fps: u32,
    video_bytes: usize,
    forwarding: String,
}

fn args() -> Args {
    let map = flags();
    let get = |k: &str, d: &str| map.get(k).cloned().unwrap_or_else(|| d.to_owned());
    Args {
        server: get("server", "http://127.0.0.1:3230"),
        pid: get("pid", "0")
            .parse()
            .expect("--pid is the server's process id"),
        bots: get("bots", "25").parse().expect("--bots is a number"),
        seconds: get("seconds", "20").parse().expect("--seconds is a number"),
        out: get("out", "bench-results/sfu.json"),
        video_fps: get("video-fps", "30")
            .parse()
            .expect("--video-fps is a number"),
        video_bytes: get("video-bytes", "2500")
            .parse()
            .expect("--video-bytes is a number"),
        forwarding: get("forwarding", "frames"),
    }
}

/// Counters and histogram buckets from `/metrics`.
async fn scrape(base: &str) -> HashMap<String, f64> {
    let text = reqwest::get(format!("{base}/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics text");
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (name, value) = l.rsplit_once(' ')?;
            Some((name.to_owned(), value.parse().ok()?))
        })
        .collect()
}

fn delta(a: &HashMap<String, f64>, b: &HashMap<String, f64>, key: &str) -> f64 {
    b.get(key).copied().unwrap_or(0.0) - a.get(key).copied().unwrap_or(0.0)
}

/// A quantile of the datagram-time histogram over the window, as the upper bound of its
/// bucket (seconds).
fn histogram_quantile(a: &HashMap<String, f64>, b: &HashMap<String, f64>, q: f64) -> Option<f64> {
    let mut buckets: Vec<(f64, f64)> = b
        .keys()
        .filter_map(|k| {
            let le = k
                .strip_prefix("sfu_datagram_seconds_bucket{le=\"")?
                .strip_suffix("\"}")?;
            let bound = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().ok()?
            };
            Some((bound, delta(a, b, k)))
        })
        .collect();
    buckets.sort_by(|x, y| x.0.total_cmp(&y.0));
    let total = buckets.last()?.1;
    if total <= 0.0 {
        return None;
    }
    buckets
        .iter()
        .find(|(_, count)| *count >= q * total)
        .map(|(bound, _)| *bound)
}

fn frames(bots: &[BotHandle]) -> (u64, u64) {
    let mut sent = 0;
    let mut received = 0;
    for h in bots {
        let bot = h.bot.lock().unwrap_or_else(|e| e.into_inner());
        sent += bot.frames_sent;
        received += bot.received.values().sum::<u64>();
    }
    (sent, received)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() {
    let args = args();
    let host = Host::register(&args.server, "bench").await;
    let code = host.meeting("SFU bench", 100).await;

    let mut bots = Vec::new();
    for i in 0..args.bots {
        let bot = client::join(&args.server, &code, &format!("Bot {i}"))
            .await
            .expect("bot joins");
        bot.bot
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .set_video(args.video_fps, args.video_bytes);
        bots.push(bot);
    }
    // Everyone receives everyone before the window opens.
    let ready_by = Instant::now() + Duration::from_secs(60);
    let mut next_report = Instant::now() + Duration::from_secs(5);
    loop {
        let mut missing = 0;
        let mut unconnected = 0;
        for h in &bots {
            let bot = h.bot.lock().unwrap_or_else(|e| e.into_inner());
            unconnected += usize::from(!bot.connected);
            missing += bots
                .iter()
                .filter(|o| o.peer != h.peer && bot.frames_from(&o.peer, TrackKind::Camera) == 0)
                .count();
        }
        if missing == 0 {
            break;
        }
        if Instant::now() > next_report {
            eprintln!(
                "waiting: {unconnected} bots not connected, {missing} of {} streams not received yet",
                args.bots * (args.bots - 1)
            );
            next_report += Duration::from_secs(5);
        }
        assert!(
            Instant::now() < ready_by,
            "bots never all received each other"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;

    let m0 = scrape(&args.server).await;
    let cpu0 = cpu_seconds(args.pid);
    let bots_cpu0 = cpu_seconds(std::process::id());
    let (sent0, recv0) = frames(&bots);
    let t0 = Instant::now();
    tokio::time::sleep(Duration::from_secs(args.seconds)).await;
    let wall = t0.elapsed().as_secs_f64();
    let (sent1, recv1) = frames(&bots);
    let cpu = cpu_seconds(args.pid) - cpu0;
    let bots_cpu = cpu_seconds(std::process::id()) - bots_cpu0;
    let m1 = scrape(&args.server).await;
    for h in &bots {
        h.stop();
    }

    let n = args.bots as f64;
    let packets_out = delta(&m0, &m1, "sfu_datagrams_out_total");
    let packets_in = delta(&m0, &m1, "sfu_datagrams_in_total");
    let bytes_out = delta(&m0, &m1, "sfu_bytes_out_total");
    let expected = (sent1 - sent0) as f64 * (n - 1.0);
    let received = (recv1 - recv0) as f64;
    let loss = if expected > 0.0 {
        (1.0 - received / expected).max(0.0)
    } else {
        0.0
    };
    let p50 = histogram_quantile(&m0, &m1, 0.50);
    let p99 = histogram_quantile(&m0, &m1, 0.99);
    let per_cpu = if cpu > 0.0 { packets_out / cpu } else { 0.0 };
    let ms = |v: Option<f64>| v.map_or("n/a".to_owned(), |s| format!("<= {:.3} ms", s * 1000.0));
    let rows = [
        (
            "bots (publish audio + video, receive all)",
            format!("{}", args.bots),
        ),
        ("server's forwarding mode", args.forwarding.clone()),
        ("window", format!("{wall:.1} s")),
        (
            "datagrams in / out per second",
            format!("{:.0} / {:.0}", packets_in / wall, packets_out / wall),
        ),
        (
            "bytes out per second",
            format!("{:.1} Mbit/s", bytes_out * 8.0 / wall / 1e6),
        ),
        (
            "server CPU (share of one core)",
            format!("{:.1} %", cpu / wall * 100.0),
        ),
        (
            "bots' CPU (share of one core; near 100 %: loss may be theirs)",
            format!("{:.1} %", bots_cpu / wall * 100.0),
        ),
        (
            "forwarded packets per server CPU-second",
            format!("{per_cpu:.0}"),
        ),
        ("frame loss seen by bots", format!("{:.2} %", loss * 100.0)),
        ("time inside SFU p50 (bucket bound)", ms(p50)),
        ("time inside SFU p99 (bucket bound)", ms(p99)),
    ];
    let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    for (k, v) in &rows {
        println!("{k:width$}  {v}");
    }
    let json = serde_json::json!({
        "bots": args.bots,
        "forwarding": args.forwarding,
        "video_fps": args.video_fps,
        "video_bytes": args.video_bytes,
        "window_secs": wall,
        "datagrams_in_per_sec": packets_in / wall,
        "datagrams_out_per_sec": packets_out / wall,
        "bytes_out_per_sec": bytes_out / wall,
        "server_cpu_share_of_one_core": cpu / wall,
        "bots_cpu_share_of_one_core": bots_cpu / wall,
        "forwarded_packets_per_cpu_second": per_cpu,
        "frame_loss": loss,
        "time_in_sfu_p50_secs_le": p50,
        "time_in_sfu_p99_secs_le": p99,
        "frames_expected": expected,
        "frames_received": received,
    });
    if let Some(dir) = std::path::Path::new(&args.out).parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    std::fs::write(
        &args.out,
        serde_json::to_string_pretty(&json).unwrap_or_default(),
    )
    .expect("write JSON");
    println!("\nJSON written to {}", args.out);
}
