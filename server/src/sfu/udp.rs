//! The SFU's UDP socket with batched IO (`quinn-udp`): GRO and `recvmmsg` on the way in, GSO on
//! the way out, where the kernel has them (elsewhere one datagram per system call, as before).
//!
//! Out: consecutive datagrams to one destination of one size (a video frame's packets to one
//! subscriber, all but the last of equal size) go out as one GSO send; the kernel cuts them.

use quinn_udp::{BATCH_SIZE, RecvMeta, Transmit, UdpSocketState};
use std::io::{self, IoSliceMut};
use std::net::{IpAddr, SocketAddr};
use tokio::io::Interest;
use tokio::net::UdpSocket;

/// Larger than any datagram WebRTC sends (str0m keeps packets under ~1200 bytes).
const DATAGRAM_MAX: usize = 2048;
/// Receive buffers per system call (`recvmmsg`), each large enough for a GRO train.
const RECV_BUFFERS: usize = if BATCH_SIZE < 8 { BATCH_SIZE } else { 8 };
/// GSO sends at most 64 KiB in one go.
const GSO_BYTES_MAX: usize = 65_000;

/// A datagram to send: from this local address (if pinned), to that one.
pub type Outgoing = (Option<IpAddr>, SocketAddr, Vec<u8>);

pub struct MediaSocket {
    socket: UdpSocket,
    state: UdpSocketState,
    bufs: Vec<Vec<u8>>,
    meta: Vec<RecvMeta>,
    /// Datagrams joined for one GSO send.
    scratch: Vec<u8>,
}

/// What one `send_all` did: datagrams sent, bytes sent, system calls, failures.
#[derive(Debug, Default, Clone, Copy)]
pub struct SendReport {
    pub datagrams: u64,
    pub bytes: u64,
    pub calls: u64,
    pub failed: u64,
}

impl MediaSocket {
    pub fn new(socket: UdpSocket) -> io::Result<Self> {
        let state = UdpSocketState::new((&socket).into())?;
        let per_buffer = DATAGRAM_MAX * state.gro_segments().max(1);
        Ok(Self {
            bufs: (0..RECV_BUFFERS).map(|_| vec![0; per_buffer]).collect(),
            meta: vec![RecvMeta::default(); RECV_BUFFERS],
            scratch: Vec::with_capacity(GSO_BYTES_MAX),
            socket,
            state,
        })
    }

    /// Waits until datagrams can be read.
    pub async fn readable(&self) -> io::Result<()> {
        self.socket.readable().await
    }

    /// Reads what is waiting without blocking and hands each datagram to `on` with its
    /// source and the local address it was sent to (when the kernel says: a socket on all
    /// interfaces learns it per datagram). Returns how many datagrams there were (0 when
    /// nothing was waiting).
    pub fn recv_ready(
        &mut self,
        mut on: impl FnMut(SocketAddr, Option<IpAddr>, &[u8]),
    ) -> io::Result<usize> {
        let Self {
            socket,
            state,
            bufs,
            meta,
            ..
        } = self;
        let mut free = bufs.iter_mut();
        let mut slices: [IoSliceMut<'_>; RECV_BUFFERS] =
            std::array::from_fn(|_| IoSliceMut::new(free.next().expect("RECV_BUFFERS buffers")));
        let filled = match socket.try_io(Interest::READABLE, || {
            state.recv((&*socket).into(), &mut slices, meta)
        }) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(0),
            Err(e) => return Err(e),
        };
        let mut count = 0;
        for (m, buf) in meta.iter().zip(bufs.iter()).take(filled) {
            let stride = if m.stride == 0 { m.len } else { m.stride };
            for datagram in buf[..m.len].chunks(stride.max(1)) {
                on(m.addr, m.dst_ip, datagram);
                count += 1;
            }
        }
        Ok(count)
    }

    /// Sends every datagram, joining runs to one destination for GSO. Each goes out from the
    /// local address given with it when there is one (a socket on all interfaces must answer
    /// from the address it was reached at), else from whichever the kernel picks.
    pub async fn send_all(&mut self, datagrams: &[Outgoing]) -> SendReport {
        let mut report = SendReport::default();
        let max_segments = self.state.max_gso_segments().max(1);
        let mut i = 0;
        while i < datagrams.len() {
            let (source, destination, first) = &datagrams[i];
            let size = first.len();
            // A run: same destination, same size, except that the last may be shorter.
            let mut end = i + 1;
            if size > 0 {
                while end < datagrams.len()
                    && end - i < max_segments
                    && (end - i + 1) * size <= GSO_BYTES_MAX
                    && datagrams[end].0 == *source
                    && datagrams[end].1 == *destination
                    && datagrams[end].2.len() <= size
                    && datagrams[end - 1].2.len() == size
                {
                    end += 1;
                }
            }
            let run = &datagrams[i..end];
            let contents: &[u8] = if run.len() == 1 {
                first
            } else {
                self.scratch.clear();
                for (_, _, d) in run {
                    self.scratch.extend_from_slice(d);
                }
                &self.scratch
            };
            let transmit = Transmit {
                destination: *destination,
                ecn: None,
                contents,
                segment_size: (run.len() > 1).then_some(size),
                src_ip: *source,
            };
            report.calls += 1;
            if send_one(&self.socket, &self.state, &transmit).await.is_ok() {
                report.datagrams += run.len() as u64;
                report.bytes += contents.len() as u64;
            } else {
                report.failed += run.len() as u64;
            }
            i = end;
        }
        report
    }
}

async fn send_one(
    socket: &UdpSocket,
    state: &UdpSocketState,
    transmit: &Transmit<'_>,
) -> io::Result<()> {
    loop {
        match socket.try_io(Interest::WRITABLE, || {
            state.try_send(socket.into(), transmit)
        }) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => socket.writable().await?,
            other => return other,
        }
    }
}
