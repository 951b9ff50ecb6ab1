//! The SFU's one IO task: owns the UDP socket and the engine, feeds datagrams, commands and
//! timeouts in, and sends what comes out.

use super::engine::{Engine, Output};
use super::{Command, Deliver};
use std::io::ErrorKind;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

/// Larger than any datagram WebRTC sends (str0m keeps packets under ~1200 bytes).
const RECV_BUFFER: usize = 2048;
/// How long to sleep when no session wants a timeout.
const IDLE_WAKE: Duration = Duration::from_secs(1);

pub async fn run(
    socket: UdpSocket,
    candidate: SocketAddr,
    mut commands: mpsc::Receiver<Command>,
    deliver: Deliver,
) {
    let mut engine = Engine::new(candidate, Instant::now());
    let mut buf = vec![0u8; RECV_BUFFER];
    loop {
        let wake = engine
            .poll_timeout()
            .unwrap_or_else(|| Instant::now() + IDLE_WAKE);
        tokio::select! {
            received = socket.recv_from(&mut buf) => match received {
                Ok((n, source)) => {
                    let arrived = Instant::now();
                    metrics::counter!("sfu_datagrams_in_total").increment(1);
                    metrics::counter!("sfu_bytes_in_total").increment(n as u64);
                    // str0m matches the destination against its local candidate.
                    engine.handle_datagram(arrived, source, candidate, &buf[..n]);
                    flush(&socket, &mut engine, &deliver).await;
                    // From the socket read to the last datagram it caused leaving.
                    metrics::histogram!("sfu_datagram_seconds")
                        .record(arrived.elapsed().as_secs_f64());
                }
                // ICMP errors of earlier sends surface here on Linux; nothing to do.
                Err(e) => tracing::trace!(error = %e, "sfu: recv error"),
            },
            command = commands.recv() => {
                let now = Instant::now();
                match command {
                    None | Some(Command::Shutdown) => break,
                    Some(Command::Connect { code, peer }) => engine.handle_connect(now, code, peer),
                    Some(Command::Answer { code, peer, sdp }) => engine.handle_answer(now, &code, &peer, &sdp),
                    Some(Command::Screen { code, peer, stream }) => engine.handle_screen(now, &code, &peer, stream),
                    Some(Command::Leave { code, peer }) => engine.handle_leave(now, &code, &peer),
                }
            }
            _ = tokio::time::sleep_until(tokio::time::Instant::from_std(wake)) => {
                engine.handle_timeout(Instant::now());
            }
        }
        flush(&socket, &mut engine, &deliver).await;
        metrics::gauge!("sfu_tracks").set(engine.track_count() as f64);
    }
    tracing::info!("sfu: stopped");
}

/// Sends and delivers everything the engine has to say.
async fn flush(socket: &UdpSocket, engine: &mut Engine, deliver: &Deliver) {
    while let Some(output) = engine.poll_output() {
        match output {
            Output::Transmit {
                destination,
                contents,
            } => send(socket, destination, &contents).await,
            Output::Signal { code, peer, msg } => deliver(code, peer, msg),
        }
    }
}

async fn send(socket: &UdpSocket, destination: SocketAddr, contents: &[u8]) {
    let sent = match socket.try_send_to(contents, destination) {
        Err(e) if e.kind() == ErrorKind::WouldBlock => socket.send_to(contents, destination).await,
        other => other,
    };
    match sent {
        Ok(n) => {
            metrics::counter!("sfu_datagrams_out_total").increment(1);
            metrics::counter!("sfu_bytes_out_total").increment(n as u64);
        }
        Err(_) => metrics::counter!("sfu_send_errors_total").increment(1),
    }
}
