//! ICE-TCP (RFC 6544) for networks that block UDP: a listener for browsers' active TCP
//! connections to our passive candidate, with RFC 4571 framing (a 2-byte length before each
//! datagram). Each connection gets a reader and a writer task; the driver sees frames in and
//! hands frames out, keyed by the connection's remote address.

use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// Frames queued for one connection; a slow reader loses datagrams, as UDP would.
const WRITE_QUEUE: usize = 512;
/// A connection that sends nothing for this long is closed (ICE sends consent checks every
/// few seconds).
const IDLE: Duration = Duration::from_secs(30);
/// Most ICE-TCP connections at once.
const MAX_CONNECTIONS: usize = 1024;

pub enum TcpEvent {
    Opened {
        peer: SocketAddr,
        writer: mpsc::Sender<Vec<u8>>,
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
pub async fn accept(listener: TcpListener, events: mpsc::Sender<TcpEvent>) {
    let open = std::sync::Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok((stream, peer)) = listener.accept().await else {
            continue;
        };
        let Ok(permit) = open.clone().try_acquire_owned() else {
            metrics::counter!("sfu_tcp_refused_total").increment(1);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let (mut read, mut write) = stream.into_split();
        let (writer, mut frames) = mpsc::channel::<Vec<u8>>(WRITE_QUEUE);
        if events
            .send(TcpEvent::Opened { peer, writer })
            .await
            .is_err()
        {
            return;
        }
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
        let events = events.clone();
        tokio::spawn(async move {
            let _permit = permit;
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
                if events.send(TcpEvent::Frame { peer, data }).await.is_err() {
                    return;
                }
            }
            let _ = events.send(TcpEvent::Closed { peer }).await;
        });
    }
}
