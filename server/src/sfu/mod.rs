//! The server's own SFU: a sans-IO core (`engine`, `peer`, `keyframe`) on str0m, and one IO
//! driver task that owns the UDP socket. Other tasks talk to it through `Sfu` (commands in);
//! what it has to say to participants comes back as signaling messages through a callback.

pub mod driver;
pub mod engine;
pub mod interfaces;
pub mod keyframe;
pub mod peer;
pub mod rtp;
pub mod tcp;
pub mod udp;

use protocol::MeetingCode;
use protocol::signal::{MediaState, PeerId, ServerMsg};
use std::net::{IpAddr, SocketAddr};
use tokio::sync::mpsc;

/// What the rest of the server asks of the SFU.
#[derive(Debug)]
pub enum Command {
    /// Start (or restart) `peer`'s media session; the SFU answers with an `sfu_offer`.
    Connect {
        code: MeetingCode,
        peer: PeerId,
    },
    Answer {
        code: MeetingCode,
        peer: PeerId,
        sdp: String,
    },
    /// The participant's announced media: the screen share's stream id while sharing, and
    /// whether the microphone is on (its audio is forwarded only then).
    Media {
        code: MeetingCode,
        peer: PeerId,
        screen: Option<String>,
        mic: bool,
    },
    Leave {
        code: MeetingCode,
        peer: PeerId,
    },
    /// Whether `peer` receives the others' cameras (off: audio and screen shares only).
    Receive {
        code: MeetingCode,
        peer: PeerId,
        cameras: bool,
    },
    Shutdown,
}

impl Command {
    /// What the SFU needs of `peer`'s announced media (or the media a host left it with).
    pub fn media(code: MeetingCode, peer: PeerId, media: &MediaState) -> Self {
        Command::Media {
            code,
            peer,
            screen: media.screen.then(|| media.screen_stream.clone()).flatten(),
            mic: media.audio,
        }
    }
}

/// How media crosses the SFU. RTP, the default, costs 18-29 % less CPU for the same traffic
/// (docs/benchmarks.md, "Forwarding mode").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Forwarding {
    /// str0m depacketizes each publisher's frames and packetizes them again per subscriber.
    Frames,
    /// Packets go on as they came, with the subscriber's SSRC, payload type and sequence
    /// numbers (`rtp.rs`).
    #[default]
    Rtp,
}

/// Delivers a signaling message from the SFU to one participant.
pub type Deliver = Box<dyn Fn(MeetingCode, PeerId, ServerMsg) + Send + Sync + 'static>;

/// Commands queued for the driver; a full queue drops (signaling is rate-limited per socket,
/// so only a flood can fill it).
const COMMAND_QUEUE: usize = 4096;

/// The addresses the SFU advertises in its ICE candidates, and how it answers from them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidates {
    /// UDP host candidates: one per usable interface address when the socket listens on all
    /// of them (loopback included), else the one address.
    pub udp: Vec<SocketAddr>,
    /// Passive ICE-TCP candidates (empty with `--no-media-tcp`).
    pub tcp: Vec<SocketAddr>,
    /// The socket listens on every interface and each candidate is an address of this
    /// machine: a reply leaves from the address the browser sent to (ICE drops a response
    /// from another address than its request went to).
    pub pin_source: bool,
}

impl Candidates {
    /// The candidate among `list` that a datagram sent to local address `to` (port `port`)
    /// reached; an address we do not advertise (behind NAT, `--media-public-ip`) maps to the
    /// first, the one browsers were told.
    pub fn reached(list: &[SocketAddr], to: Option<IpAddr>, port: u16) -> Option<SocketAddr> {
        to.and_then(|ip| {
            list.iter()
                .copied()
                .find(|c| *c == SocketAddr::new(ip, port))
        })
        .or_else(|| list.first().copied())
    }
}

/// A handle to the running SFU.
#[derive(Clone)]
pub struct Sfu {
    commands: mpsc::Sender<Command>,
    /// Where media arrives, as advertised in ICE candidates.
    pub candidates: Candidates,
}

impl Sfu {
    /// Binds `bind` (UDP, and with `tcp` also TCP for ICE-TCP with those limits, on the same
    /// port when it is free) and starts the driver. `candidates_for` maps a bound address to the addresses to
    /// advertise.
    pub async fn start(
        bind: SocketAddr,
        tcp: Option<tcp::TcpLimits>,
        forwarding: Forwarding,
        candidates_for: impl Fn(SocketAddr) -> Vec<SocketAddr>,
        deliver: Deliver,
    ) -> std::io::Result<Self> {
        let socket = tokio::net::UdpSocket::bind(bind).await?;
        let bound = socket.local_addr()?;
        let udp = candidates_for(bound);
        let (listener, tcp) = if let Some(limits) = tcp {
            let listener = match tokio::net::TcpListener::bind(bound).await {
                Ok(listener) => listener,
                // The same port number is taken for TCP: any free one will do.
                Err(_) => tokio::net::TcpListener::bind(SocketAddr::new(bound.ip(), 0)).await?,
            };
            let tcp = candidates_for(listener.local_addr()?);
            tracing::info!(tcp_candidates = ?tcp, "sfu: ICE-TCP");
            (Some((listener, limits)), tcp)
        } else {
            (None, Vec::new())
        };
        let local = interfaces::host_ips();
        let pin_source = bound.ip().is_unspecified() && udp.iter().all(|c| local.contains(&c.ip()));
        let candidates = Candidates {
            udp,
            tcp,
            pin_source,
        };
        tracing::info!(udp_candidates = ?candidates.udp, "sfu: media on UDP");
        let (commands, rx) = mpsc::channel(COMMAND_QUEUE);
        tokio::spawn(driver::run(
            socket,
            candidates.clone(),
            listener,
            forwarding,
            rx,
            deliver,
        ));
        Ok(Self {
            commands,
            candidates,
        })
    }

    pub fn send(&self, command: Command) {
        if self.commands.try_send(command).is_err() {
            metrics::counter!("sfu_commands_dropped_total").increment(1);
        }
    }
}

#[cfg(test)]
mod tests;
