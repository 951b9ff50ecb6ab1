//! The SFU's one IO task: owns the UDP socket and the engine, feeds datagrams, commands and
//! timeouts in, and sends what comes out.

use super::engine::{Engine, Output};
use super::tcp::{self, TcpEvent};
use super::{Command, Deliver};
use std::collections::HashMap;
use std::io::ErrorKind;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use str0m::net::Protocol;
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::mpsc;

/// Larger than any datagram WebRTC sends (str0m keeps packets under ~1200 bytes).
const RECV_BUFFER: usize = 2048;
/// How long to sleep when no session wants a timeout.
const IDLE_WAKE: Duration = Duration::from_secs(1);

/// ICE-TCP connection events queued for the driver.
const TCP_EVENTS: usize = 1024;

/// Open ICE-TCP connections: where to write frames for each remote address.
type TcpWriters = HashMap<SocketAddr, mpsc::Sender<Vec<u8>>>;

pub async fn run(
    socket: UdpSocket,
    candidate: SocketAddr,
    tcp: Option<(TcpListener, SocketAddr)>,
    mut commands: mpsc::Receiver<Command>,
    deliver: Deliver,
) {
    let mut engine = Engine::new(candidate, tcp.as_ref().map(|(_, c)| *c), Instant::now());
    let tcp_candidate = tcp.as_ref().map(|(_, c)| *c).unwrap_or(candidate);
    let (tcp_tx, mut tcp_rx) = mpsc::channel(TCP_EVENTS);
    if let Some((listener, _)) = tcp {
        tokio::spawn(tcp::accept(listener, tcp_tx));
    } else {
        drop(tcp_tx);
    }
    let mut writers = TcpWriters::new();
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
                    engine.handle_datagram(arrived, Protocol::Udp, source, candidate, &buf[..n]);
                    flush(&socket, &writers, &mut engine, &deliver).await;
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
            Some(event) = tcp_rx.recv() => match event {
                TcpEvent::Opened { peer, writer } => {
                    writers.insert(peer, writer);
                }
                TcpEvent::Frame { peer, data } => {
                    metrics::counter!("sfu_tcp_frames_in_total").increment(1);
                    engine.handle_datagram(Instant::now(), Protocol::Tcp, peer, tcp_candidate, &data);
                }
                TcpEvent::Closed { peer } => {
                    writers.remove(&peer);
                }
            },
            _ = tokio::time::sleep_until(tokio::time::Instant::from_std(wake)) => {
                engine.handle_timeout(Instant::now());
            }
        }
        flush(&socket, &writers, &mut engine, &deliver).await;
        metrics::gauge!("sfu_tracks").set(engine.track_count() as f64);
    }
    tracing::info!("sfu: stopped");
}

/// Sends and delivers everything the engine has to say.
async fn flush(socket: &UdpSocket, writers: &TcpWriters, engine: &mut Engine, deliver: &Deliver) {
    while let Some(output) = engine.poll_output() {
        match output {
            Output::Transmit {
                proto: Protocol::Udp,
                destination,
                contents,
            } => send(socket, destination, &contents).await,
            Output::Transmit {
                destination,
                contents,
                ..
            } => match writers.get(&destination) {
                Some(writer) if writer.try_send(contents).is_ok() => {
                    metrics::counter!("sfu_tcp_frames_out_total").increment(1);
                }
                _ => metrics::counter!("sfu_send_errors_total").increment(1),
            },
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
