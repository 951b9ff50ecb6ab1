//! The SFU's one IO task: owns the UDP socket and the engine, feeds datagrams, commands and
//! timeouts in, and sends what comes out.

use super::engine::{Engine, Output};
use super::tcp::{self, TcpEvent};
use super::udp::{MediaSocket, Outgoing};
use super::{Candidates, Command, Deliver};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use str0m::net::Protocol;
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::mpsc;

/// How long to sleep when no session wants a timeout.
const IDLE_WAKE: Duration = Duration::from_secs(1);

/// ICE-TCP connection events queued for the driver.
const TCP_EVENTS: usize = 1024;

/// An open ICE-TCP connection, as the driver holds it.
struct TcpConn {
    writer: mpsc::Sender<Vec<u8>>,
    /// Which of our candidates the browser connected to.
    at: SocketAddr,
    reader: tokio::task::AbortHandle,
    opened: Instant,
}

/// Open ICE-TCP connections by remote address.
type TcpWriters = HashMap<SocketAddr, TcpConn>;

/// How often connections no session claims are looked for.
const TCP_SWEEP: Duration = Duration::from_secs(1);

/// Handles to the driver's counters, looked up once (a lookup hashes the name every time).
struct Counters {
    datagrams_in: metrics::Counter,
    bytes_in: metrics::Counter,
    datagrams_out: metrics::Counter,
    bytes_out: metrics::Counter,
    send_calls: metrics::Counter,
    send_errors: metrics::Counter,
    tcp_frames_in: metrics::Counter,
    tcp_frames_out: metrics::Counter,
    in_sfu: metrics::Histogram,
    tracks: metrics::Gauge,
}

impl Counters {
    fn new() -> Self {
        Self {
            datagrams_in: metrics::counter!("sfu_datagrams_in_total"),
            bytes_in: metrics::counter!("sfu_bytes_in_total"),
            datagrams_out: metrics::counter!("sfu_datagrams_out_total"),
            bytes_out: metrics::counter!("sfu_bytes_out_total"),
            send_calls: metrics::counter!("sfu_send_calls_total"),
            send_errors: metrics::counter!("sfu_send_errors_total"),
            tcp_frames_in: metrics::counter!("sfu_tcp_frames_in_total"),
            tcp_frames_out: metrics::counter!("sfu_tcp_frames_out_total"),
            in_sfu: metrics::histogram!("sfu_datagram_seconds"),
            tracks: metrics::gauge!("sfu_tracks"),
        }
    }
}

/// The driver's state besides the engine: where output goes.
struct Io {
    media: MediaSocket,
    writers: TcpWriters,
    deliver: Deliver,
    counters: Counters,
    /// UDP datagrams of one flush, sent together.
    batch: Vec<Outgoing>,
    /// Replies leave from the candidate they answer (the socket is on all interfaces).
    pin_source: bool,
}

pub async fn run(
    socket: UdpSocket,
    candidates: Candidates,
    tcp: Option<(TcpListener, tcp::TcpLimits)>,
    forwarding: super::Forwarding,
    mut commands: mpsc::Receiver<Command>,
    deliver: Deliver,
) {
    let mut engine = Engine::new(
        candidates.udp.clone(),
        candidates.tcp.clone(),
        forwarding,
        Instant::now(),
    );
    let port = socket.local_addr().map(|a| a.port()).unwrap_or_default();
    let (tcp_tx, mut tcp_rx) = mpsc::channel(TCP_EVENTS);
    if let Some((listener, limits)) = tcp {
        tokio::spawn(tcp::accept(listener, limits, tcp_tx));
    } else {
        drop(tcp_tx);
    }
    let media = match MediaSocket::new(socket) {
        Ok(media) => media,
        Err(e) => {
            tracing::error!(error = %e, "sfu: cannot set up the media socket");
            return;
        }
    };
    let mut io = Io {
        media,
        writers: TcpWriters::new(),
        deliver,
        counters: Counters::new(),
        batch: Vec::new(),
        pin_source: candidates.pin_source,
    };
    let mut tcp_sweep = tokio::time::interval(TCP_SWEEP);
    loop {
        let wake = engine
            .poll_timeout()
            .unwrap_or_else(|| Instant::now() + IDLE_WAKE);
        tokio::select! {
            ready = io.media.readable() => {
                if let Err(e) = ready {
                    tracing::error!(error = %e, "sfu: media socket failed");
                    break;
                }
                let arrived = Instant::now();
                let counters = &io.counters;
                // str0m matches the destination against its local candidates.
                let read = io.media.recv_ready(|source, to, datagram| {
                    counters.datagrams_in.increment(1);
                    counters.bytes_in.increment(datagram.len() as u64);
                    if let Some(at) = Candidates::reached(&candidates.udp, to, port) {
                        engine.handle_datagram(arrived, Protocol::Udp, source, at, datagram);
                    }
                });
                match read {
                    Ok(0) => continue,
                    Ok(_) => {
                        io.flush(&mut engine).await;
                        // From the socket read to the last datagram it caused leaving.
                        io.counters.in_sfu.record(arrived.elapsed().as_secs_f64());
                    }
                    // ICMP errors of earlier sends surface here on Linux; nothing to do.
                    Err(e) => tracing::trace!(error = %e, "sfu: recv error"),
                }
            },
            command = commands.recv() => {
                let now = Instant::now();
                match command {
                    None | Some(Command::Shutdown) => break,
                    Some(Command::Connect { code, peer }) => engine.handle_connect(now, code, peer),
                    Some(Command::Answer { code, peer, sdp }) => engine.handle_answer(now, &code, &peer, &sdp),
                    Some(Command::Media { code, peer, screen, mic }) => engine.handle_media(now, &code, &peer, screen, mic),
                    Some(Command::Receive { code, peer, cameras }) => engine.handle_receive(now, &code, &peer, cameras),
                    Some(Command::Leave { code, peer }) => engine.handle_leave(now, &code, &peer),
                }
            }
            Some(event) = tcp_rx.recv() => match event {
                TcpEvent::Opened { peer, local, writer, reader } => {
                    match Candidates::reached(&candidates.tcp, Some(local.ip()), local.port()) {
                        Some(at) => {
                            let conn = TcpConn { writer, at, reader, opened: Instant::now() };
                            if let Some(old) = io.writers.insert(peer, conn) {
                                old.reader.abort();
                            }
                        }
                        None => reader.abort(),
                    }
                }
                TcpEvent::Frame { peer, data } => {
                    io.counters.tcp_frames_in.increment(1);
                    if let Some(conn) = io.writers.get(&peer) {
                        engine.handle_datagram(Instant::now(), Protocol::Tcp, peer, conn.at, &data);
                    }
                }
                TcpEvent::Closed { peer } => {
                    io.writers.remove(&peer);
                }
            },
            _ = tokio::time::sleep_until(tokio::time::Instant::from_std(wake)) => {
                engine.handle_timeout(Instant::now());
            }
            _ = tcp_sweep.tick() => close_unclaimed(&mut io.writers, &engine),
        }
        io.flush(&mut engine).await;
        io.counters.tracks.set(engine.track_count() as f64);
    }
    tracing::info!("sfu: stopped");
}

/// Closes ICE-TCP connections that no media session claims: never claimed within
/// `tcp::UNBOUND_GRACE` of opening, or whose session has ended. A slot is held only by a
/// browser in a call, not by whoever opens a connection and trickles bytes into it.
fn close_unclaimed(writers: &mut TcpWriters, engine: &Engine) {
    writers.retain(|peer, conn| {
        let keep =
            engine.serves(Protocol::Tcp, *peer) || conn.opened.elapsed() < tcp::UNBOUND_GRACE;
        if !keep {
            conn.reader.abort();
            metrics::counter!("sfu_tcp_unclaimed_closed_total").increment(1);
        }
        keep
    });
}

impl Io {
    /// Sends and delivers everything the engine has to say.
    async fn flush(&mut self, engine: &mut Engine) {
        while let Some(output) = engine.poll_output() {
            match output {
                Output::Transmit {
                    proto: Protocol::Udp,
                    source,
                    destination,
                    contents,
                } => self.batch.push((
                    self.pin_source.then_some(source.ip()),
                    destination,
                    contents,
                )),
                Output::Transmit {
                    destination,
                    contents,
                    ..
                } => match self.writers.get(&destination) {
                    Some(conn) if conn.writer.try_send(contents).is_ok() => {
                        self.counters.tcp_frames_out.increment(1);
                    }
                    _ => self.counters.send_errors.increment(1),
                },
                Output::Signal { code, peer, msg } => (self.deliver)(code, peer, msg),
            }
        }
        if self.batch.is_empty() {
            return;
        }
        let report = self.media.send_all(&self.batch).await;
        self.batch.clear();
        self.counters.datagrams_out.increment(report.datagrams);
        self.counters.bytes_out.increment(report.bytes);
        self.counters.send_calls.increment(report.calls);
        self.counters.send_errors.increment(report.failed);
    }
}
