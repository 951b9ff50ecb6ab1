//! ICE-TCP (RFC 6544) for networks that block UDP: a listener for browsers' active TCP
//! connections to our passive candidate, with RFC 4571 framing (a 2-byte length before each
//! datagram). Each connection gets a reader and a writer task; the driver sees frames in and
//! hands frames out, keyed by the connection's remote address.
//!
//! Slots are scarce, so a connection must earn its place: at most `TcpLimits::per_address`
//! from one client address (IPv6: its /64) and `TcpLimits::max` in all, and the driver closes
//! a connection that is not tied to a media session (by a STUN message that session's ICE
//! accepted) within `UNBOUND_GRACE` of opening, or once its session is gone.

use crate::signal::limit::Sockets;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

/// Frames queued for one connection; a slow reader loses datagrams, as UDP would.
const WRITE_QUEUE: usize = 512;
/// A connection that sends nothing for this long is closed (ICE sends consent checks every
/// few seconds).
const IDLE: Duration = Duration::from_secs(30);
/// How long a new connection may go without being tied to a media session: a browser sends
/// its first ICE check at once.
pub const UNBOUND_GRACE: Duration = Duration::from_secs(5);
/// After `accept` fails (no file descriptors left), wait this long before trying again
/// instead of spinning on the error.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// How many ICE-TCP connections the SFU holds: per client address (IPv6: its /64), and in all.
#[derive(Debug, Clone, Copy)]
pub struct TcpLimits {
    pub per_address: u32,
    pub max: usize,
}

pub enum TcpEvent {
    Opened {
        peer: SocketAddr,
        /// Our end: which of our candidates the browser connected to.
        local: SocketAddr,
        writer: mpsc::Sender<Vec<u8>>,
        /// Ends the connection (the driver closes one that no session claims).
        reader: AbortHandle,
    },
    Frame {
        peer: SocketAddr,
        data: Vec<u8>,
    },
    Closed {
        peer: SocketAddr,
    },
}

/// Accepts connections until the driver goes away.
pub async fn accept(listener: TcpListener, limits: TcpLimits, events: mpsc::Sender<TcpEvent>) {
    let slots = Sockets::new(limits.per_address, limits.max);
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                tracing::debug!(error = %e, "sfu: ICE-TCP accept failed");
                metrics::counter!("sfu_tcp_accept_errors_total").increment(1);
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        let Ok(slot) = slots.open(peer.ip()) else {
            metrics::counter!("sfu_tcp_refused_total").increment(1);
            continue;
        };
        let Ok(local) = stream.local_addr() else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let (mut read, mut write) = stream.into_split();
        let (writer, mut frames) = mpsc::channel::<Vec<u8>>(WRITE_QUEUE);
        tokio::spawn(async move {
            while let Some(frame) = frames.recv().await {
                let Ok(len) = u16::try_from(frame.len()) else {
                    continue;
                };
                if write.write_all(&len.to_be_bytes()).await.is_err()
                    || write.write_all(&frame).await.is_err()
                {
                    break;
                }
            }
        });
        let frames_to = events.clone();
        let reader = tokio::spawn(async move {
            let _slot = slot;
            loop {
                let mut len = [0u8; 2];
                match tokio::time::timeout(IDLE, read.read_exact(&mut len)).await {
                    Ok(Ok(_)) => {}
                    _ => break,
                }
                let mut data = vec![0u8; usize::from(u16::from_be_bytes(len))];
                match tokio::time::timeout(IDLE, read.read_exact(&mut data)).await {
                    Ok(Ok(_)) => {}
                    _ => break,
                }
                if frames_to
                    .send(TcpEvent::Frame { peer, data })
                    .await
                    .is_err()
                {
                    return;
                }
            }
            let _ = frames_to.send(TcpEvent::Closed { peer }).await;
        });
        let opened = TcpEvent::Opened {
            peer,
            local,
            writer,
            reader: reader.abort_handle(),
        };
        if events.send(opened).await.is_err() {
            reader.abort();
            return;
        }
    }
}
