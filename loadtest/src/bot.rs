//! A str0m client that takes part in an SFU call the way a browser does: it answers every
//! `sfu_offer`, sends synthetic Opus and VP8 frames on its publish m-lines once connected, and
//! counts the frames it receives per (participant, track kind), using the labels of the offer.

use protocol::signal::{ClientMsg, PeerId, ServerMsg, TrackKind};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use str0m::change::SdpOffer;
use str0m::format::Codec;
use str0m::media::{Frequency, KeyframeRequestKind, MediaKind, MediaTime, Mid};
use str0m::net::{Protocol, Receive, TcpType};
use str0m::{Candidate, Event, Input, Output, Rtc};

const AUDIO_EVERY: Duration = Duration::from_millis(20);
const VIDEO_EVERY: Duration = Duration::from_millis(33);
/// A synthetic video frame: large enough to take several packets.
const VIDEO_FRAME_BYTES: usize = 2500;
const AUDIO_FRAME_BYTES: usize = 80;

/// A datagram the bot wants sent (over UDP, or as one frame on its ICE-TCP connection).
pub struct Datagram {
    pub proto: Protocol,
    pub destination: SocketAddr,
    pub contents: Vec<u8>,
}

pub struct Bot {
    pub peer: PeerId,
    pub addr: SocketAddr,
    rtc: Rtc,
    publish: Vec<(Mid, TrackKind)>,
    /// What each of my receiving m-lines carries, from the latest offer.
    tracks: HashMap<Mid, (PeerId, TrackKind)>,
    /// Frames received per sender and kind.
    pub received: HashMap<(PeerId, TrackKind), u64>,
    /// Of those, frames that came after a gap in sequence numbers (lost or skipped packets).
    pub after_gap: HashMap<(PeerId, TrackKind), u64>,
    /// Keyframe requests the SFU sent me (as a publisher).
    pub keyframe_requests: u64,
    pub frames_sent: u64,
    pub connected: bool,
    /// How many m-lines the latest offer had.
    pub m_lines: usize,
    /// The latest offer's labels: who I receive, and what.
    pub offered: Vec<(PeerId, TrackKind)>,
    next_audio: Instant,
    next_video: Instant,
    video_every: Duration,
    video_bytes: usize,
    started: Instant,
    pub timeout: Instant,
}

impl Bot {
    /// A bot at `addr`; with `tcp` it offers only an active ICE-TCP candidate, like a
    /// browser on a network that blocks UDP.
    pub fn new(peer: PeerId, addr: SocketAddr, tcp: bool, now: Instant) -> Self {
        let mut rtc = Rtc::builder().build(now);
        let candidate = if tcp {
            Candidate::builder()
                .tcp()
                .host(addr)
                .tcptype(TcpType::Active)
                .build()
        } else {
            Candidate::host(addr, "udp")
        };
        rtc.add_local_candidate(candidate.expect("bot addresses are host addresses"));
        Self {
            peer,
            addr,
            rtc,
            publish: Vec::new(),
            tracks: HashMap::new(),
            received: HashMap::new(),
            after_gap: HashMap::new(),
            keyframe_requests: 0,
            frames_sent: 0,
            connected: false,
            m_lines: 0,
            offered: Vec::new(),
            next_audio: now,
            next_video: now,
            video_every: VIDEO_EVERY,
            video_bytes: VIDEO_FRAME_BYTES,
            started: now,
            timeout: now,
        }
    }

    /// Handles a signaling message; returns the reply to send, if any.
    pub fn handle_signal(&mut self, msg: &ServerMsg) -> Option<ClientMsg> {
        let ServerMsg::SfuOffer {
            sdp,
            publish,
            tracks,
        } = msg
        else {
            return None;
        };
        self.m_lines = sdp.matches("\nm=").count();
        let offer = SdpOffer::from_sdp_string(sdp).ok()?;
        let answer = self.rtc.sdp_api().accept_offer(offer).ok()?;
        self.publish = publish
            .iter()
            .map(|p| (Mid::from(p.mid.as_str()), p.kind))
            .collect();
        self.tracks = tracks
            .iter()
            .map(|t| (Mid::from(t.mid.as_str()), (t.peer.clone(), t.kind)))
            .collect();
        self.offered = tracks.iter().map(|t| (t.peer.clone(), t.kind)).collect();
        Some(ClientMsg::SfuAnswer {
            sdp: answer.to_sdp_string(),
        })
    }

    pub fn handle_datagram(
        &mut self,
        now: Instant,
        proto: Protocol,
        source: SocketAddr,
        contents: &[u8],
    ) {
        if let Ok(receive) = Receive::new(proto, source, self.addr, contents) {
            let _ = self.rtc.handle_input(Input::Receive(now, receive));
        }
    }

    /// Time passed: sends the frames that are due.
    pub fn handle_timeout(&mut self, now: Instant) {
        let _ = self.rtc.handle_input(Input::Timeout(now));
        if !self.connected {
            return;
        }
        while self.next_audio <= now {
            let at = self.next_audio;
            self.write(TrackKind::Mic, at, AUDIO_FRAME_BYTES);
            self.next_audio += AUDIO_EVERY;
        }
        while self.next_video <= now {
            let at = self.next_video;
            self.write(TrackKind::Camera, at, self.video_bytes);
            self.next_video += self.video_every;
        }
    }

    /// Sends video at `fps` frames per second of `bytes` each (default 30 x 2500 bytes, about
    /// 600 kbit/s in 3 packets per frame).
    pub fn set_video(&mut self, fps: u32, bytes: usize) {
        self.video_every = Duration::from_secs(1) / fps.max(1);
        self.video_bytes = bytes.max(1);
    }

    /// Asks the SFU for a keyframe of what I receive from `peer`'s camera.
    pub fn request_keyframe(&mut self, from: &PeerId) -> bool {
        let mid = self
            .tracks
            .iter()
            .find(|(_, (p, k))| p == from && *k == TrackKind::Camera)
            .map(|(m, _)| *m);
        mid.and_then(|m| self.rtc.writer(m))
            .is_some_and(|mut w| w.request_keyframe(None, KeyframeRequestKind::Pli).is_ok())
    }

    fn write(&mut self, kind: TrackKind, at: Instant, size: usize) {
        let Some(mid) = self
            .publish
            .iter()
            .find(|(_, k)| *k == kind)
            .map(|(m, _)| *m)
        else {
            return;
        };
        let elapsed = at.saturating_duration_since(self.started);
        let (codec, time) = if kind.is_audio() {
            (
                Codec::Opus,
                MediaTime::new(
                    elapsed.as_micros() as u64 * 48 / 1000,
                    Frequency::FORTY_EIGHT_KHZ,
                ),
            )
        } else {
            (
                Codec::Vp8,
                MediaTime::from_90khz(elapsed.as_micros() as u64 * 9 / 100),
            )
        };
        let Some(writer) = self.rtc.writer(mid) else {
            return;
        };
        let Some(pt) = writer
            .payload_params()
            .find(|p| p.spec().codec == codec)
            .map(|p| p.pt())
        else {
            return;
        };
        // A VP8 frame whose first byte marks a keyframe (P bit clear), then filler.
        let mut frame = vec![0x5a_u8; size];
        frame[0] = 0x10;
        if writer.write(pt, at, time, frame).is_ok() {
            self.frames_sent += 1;
        }
    }

    /// Drains the bot's `Rtc`: datagrams to send; events are recorded.
    pub fn poll(&mut self) -> Vec<Datagram> {
        let mut out = Vec::new();
        loop {
            match self.rtc.poll_output() {
                Ok(Output::Timeout(t)) => {
                    self.timeout = t;
                    break;
                }
                Ok(Output::Transmit(t)) => out.push(Datagram {
                    proto: t.proto,
                    destination: t.destination,
                    contents: t.contents.into(),
                }),
                Ok(Output::Event(event)) => match event {
                    Event::Connected => self.connected = true,
                    Event::MediaData(data) => {
                        if let Some((peer, kind)) = self.tracks.get(&data.mid) {
                            *self.received.entry((peer.clone(), *kind)).or_default() += 1;
                            if !data.contiguous {
                                *self.after_gap.entry((peer.clone(), *kind)).or_default() += 1;
                            }
                        }
                    }
                    Event::KeyframeRequest(_) => self.keyframe_requests += 1,
                    _ => {}
                },
                Err(_) => break,
            }
        }
        out
    }

    /// Frames received from `peer` of `kind`.
    pub fn frames_from(&self, peer: &PeerId, kind: TrackKind) -> u64 {
        self.received
            .get(&(peer.clone(), kind))
            .copied()
            .unwrap_or(0)
    }

    pub fn is_alive(&self) -> bool {
        self.rtc.is_alive()
    }

    /// Media kinds str0m would use for a track kind (for callers building their own checks).
    pub fn media_kind(kind: TrackKind) -> MediaKind {
        if kind.is_audio() {
            MediaKind::Audio
        } else {
            MediaKind::Video
        }
    }
}
