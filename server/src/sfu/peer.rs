//! One participant's session with the SFU: its `Rtc` (owned here, never shared), the tracks it
//! publishes (owned, `Arc`) and the tracks it receives (`Weak`, each with an explicit
//! negotiation state). The server always offers; the browser answers.

use super::keyframe::KeyframeThrottle;
use super::rtp::SeqRewrite;
use protocol::MeetingCode;
use protocol::signal::{PeerId, ServerMsg, SfuPublish, SfuTrack, TrackKind};
use std::net::SocketAddr;
use std::sync::{Arc, Weak};
use std::time::Instant;
use str0m::change::{SdpAnswer, SdpPendingOffer};
use str0m::media::{Direction, MediaKind, Mid, Pt};
use str0m::net::{Protocol, TcpType};
use str0m::rtp::Ssrc;
use str0m::{Candidate, IceCreds, Rtc, RtcConfig};

/// A participant's id inside the SFU (cheap to copy; `PeerId`s are strings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pid(pub u64);

/// A track a publisher sends to the SFU.
#[derive(Debug)]
pub struct TrackIn {
    pub origin: Pid,
    pub peer: PeerId,
    /// The publisher's m-line it arrives on.
    pub mid: Mid,
    pub kind: TrackKind,
    /// `msid` stream id for subscribers: camera and mic share one, the screen share has the
    /// publisher's own screen stream id (so receivers match it with `MediaState`).
    pub stream: String,
}

#[derive(Debug)]
pub struct Published {
    pub track: Arc<TrackIn>,
    pub keyframes: KeyframeThrottle,
}

/// Where one outgoing track is in the offer/answer cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutState {
    /// Waiting for the next offer.
    ToOpen,
    /// In an offer not yet answered.
    Negotiating(Mid),
    /// Answered: media flows on this m-line.
    Open(Mid),
    /// The publisher's track ended: make the m-line inactive in the next offer.
    ToStop(Mid),
    /// Inactive in an offer not yet answered; once answered the m-line is free for the next
    /// track of its kind.
    NegotiatingStop(Mid),
}

impl OutState {
    pub fn mid(self) -> Option<Mid> {
        match self {
            OutState::ToOpen => None,
            OutState::Negotiating(m)
            | OutState::Open(m)
            | OutState::ToStop(m)
            | OutState::NegotiatingStop(m) => Some(m),
        }
    }
}

#[derive(Debug)]
pub struct TrackOut {
    pub track: Weak<TrackIn>,
    pub kind: MediaKind,
    pub state: OutState,
    /// RTP mode: this track's sequence numbers on my m-line.
    pub seq: SeqRewrite,
    /// RTP mode: the publisher's payload type last seen and mine for it.
    pub pt: Option<(Pt, Pt)>,
}

#[derive(Debug, thiserror::Error)]
pub enum PeerError {
    #[error("no offer is waiting for an answer")]
    NoPendingOffer,
    #[error("not a valid answer: {0}")]
    BadAnswer(String),
}

pub struct Participant {
    pub id: Pid,
    pub code: MeetingCode,
    pub peer: PeerId,
    pub rtc: Rtc,
    pub ufrag: String,
    /// My m-lines the browser sends on, by kind (created with the first offer).
    pub publish: Vec<(Mid, TrackKind)>,
    pub published: Vec<Published>,
    pub outs: Vec<TrackOut>,
    /// Inactive m-lines of ended tracks, reused for new tracks of the same kind. str0m
    /// appends a new m-line for every `add_media` (it recycles only slots the remote side
    /// reuses), so without this a long meeting's session would grow with every track that
    /// ever came and went. Receivers go by the offer's labels, not by `msid`, so a reused
    /// m-line's old stream id does not matter.
    /// With each, where its sequence numbers go on (RTP mode).
    free: Vec<(Mid, MediaKind, SeqRewrite)>,
    /// RTP mode: the m-line each incoming SSRC belongs to, as str0m mapped it.
    rx_mids: Vec<(Ssrc, Mid)>,
    pending: Option<SdpPendingOffer>,
    /// The publish m-lines are not yet in an offer.
    first_offer: bool,
    /// When `rtc` wants to be polled next.
    pub timeout: Instant,
    /// Remote addresses this participant was seen at (to clean the demux map).
    pub addrs: Vec<(Protocol, SocketAddr)>,
    /// The screen share's stream id while sharing.
    pub screen_stream: Option<String>,
    /// The microphone is on, as the participant last announced. Its audio is forwarded only
    /// then, so "muted" on everyone's screen (by the person or by a host) is what they hear.
    pub mic_on: bool,
    /// This participant receives the others' cameras (it can turn them off to save
    /// bandwidth: audio and screen shares still come).
    pub cameras_wanted: bool,
    /// When the last datagram from this participant arrived (creation until the first).
    pub last_heard: Instant,
    /// NACK totals str0m last reported per m-line (`true`: sent by the browser on an m-line I
    /// send on), to turn its cumulative stats into counter increments.
    nack_totals: Vec<(Mid, bool, u64)>,
}

pub fn media_kind(kind: TrackKind) -> MediaKind {
    if kind.is_audio() {
        MediaKind::Audio
    } else {
        MediaKind::Video
    }
}

impl Participant {
    /// How many NACKs are new on `mid` since the last report of its cumulative `total`.
    pub fn new_nacks(&mut self, mid: Mid, egress: bool, total: u64) -> u64 {
        new_since_last(&mut self.nack_totals, mid, egress, total)
    }

    /// A fresh session: ICE-lite on the SFU's addresses (one port), credentials we choose (their ufrag
    /// is the demux key for the first STUN packet from a new address). `rtp_mode`: media
    /// comes out as RTP packets and goes in with `write_rtp` (else as frames, `Writer`).
    pub fn new(
        id: Pid,
        code: MeetingCode,
        peer: PeerId,
        candidates: &[SocketAddr],
        tcp_candidates: &[SocketAddr],
        rtp_mode: bool,
        now: Instant,
    ) -> Result<Self, str0m::RtcError> {
        let creds = IceCreds {
            ufrag: random_token(16),
            pass: random_token(32),
        };
        let ufrag = creds.ufrag.clone();
        // Opus, VP8 and H.264 only: every browser has them, frames forward between any two
        // participants that share one, and each m-line of a large room's SDP stays short.
        let mut rtc = RtcConfig::new()
            .clear_codecs()
            .enable_opus(true, false)
            .enable_vp8(true)
            .enable_h264(true)
            .set_ice_lite(true)
            .set_rtp_mode(rtp_mode)
            // Per m-line stats (NACKs for /metrics) every few seconds.
            .set_stats_interval(Some(std::time::Duration::from_secs(5)))
            .set_local_ice_credentials(creds)
            .build(now);
        for addr in candidates {
            let candidate = Candidate::host(*addr, "udp").map_err(str0m::RtcError::Ice)?;
            rtc.add_local_candidate(candidate);
        }
        for addr in tcp_candidates {
            // ICE-TCP for networks that block UDP: browsers connect to us (passive).
            let tcp = Candidate::builder()
                .tcp()
                .host(*addr)
                .tcptype(TcpType::Passive)
                .build()
                .map_err(str0m::RtcError::Ice)?;
            rtc.add_local_candidate(tcp);
        }
        Ok(Self {
            id,
            code,
            peer,
            rtc,
            ufrag,
            publish: Vec::new(),
            published: Vec::new(),
            outs: Vec::new(),
            free: Vec::new(),
            rx_mids: Vec::new(),
            pending: None,
            first_offer: true,
            timeout: now,
            addrs: Vec::new(),
            screen_stream: None,
            mic_on: true,
            cameras_wanted: true,
            last_heard: now,
            nack_totals: Vec::new(),
        })
    }

    /// Subscribes to `track` (opened in the next offer).
    pub fn subscribe(&mut self, track: &Arc<TrackIn>) {
        if track.origin == self.id
            || self
                .outs
                .iter()
                .any(|o| o.track.upgrade().is_some_and(|t| Arc::ptr_eq(&t, track)))
        {
            return;
        }
        self.outs.push(TrackOut {
            track: Arc::downgrade(track),
            kind: media_kind(track.kind),
            state: OutState::ToOpen,
            seq: SeqRewrite::FRESH,
            pt: None,
        });
    }

    /// The tracks I receive on open m-lines.
    pub fn open_tracks(&self) -> impl Iterator<Item = Arc<TrackIn>> + '_ {
        self.outs
            .iter()
            .filter(|o| matches!(o.state, OutState::Open(_)))
            .filter_map(|o| o.track.upgrade())
    }

    /// The publisher track behind one of my outgoing m-lines.
    pub fn track_for_out(&self, mid: Mid) -> Option<Arc<TrackIn>> {
        self.outs
            .iter()
            .find(|o| o.state.mid() == Some(mid))
            .and_then(|o| o.track.upgrade())
    }

    /// The next offer, if anything changed and no offer is waiting for its answer.
    pub fn poll_offer(&mut self) -> Option<ServerMsg> {
        if self.pending.is_some() {
            return None;
        }
        for out in &mut self.outs {
            if let OutState::Open(mid) = out.state
                && out.track.upgrade().is_none()
            {
                out.state = OutState::ToStop(mid);
            }
        }
        // Tracks that ended before they were ever offered need no m-line.
        self.outs
            .retain(|o| o.state != OutState::ToOpen || o.track.upgrade().is_some());
        let mut api = self.rtc.sdp_api();
        if self.first_offer {
            for kind in TrackKind::ALL {
                let mid = api.add_media(media_kind(kind), Direction::RecvOnly, None, None, None);
                self.publish.push((mid, kind));
            }
        }
        for out in &mut self.outs {
            match out.state {
                OutState::ToOpen => {
                    let Some(track) = out.track.upgrade() else {
                        continue;
                    };
                    let reuse = self.free.iter().position(|(_, k, _)| *k == out.kind);
                    let mid = match reuse {
                        Some(i) => {
                            let (mid, _, seq) = self.free.swap_remove(i);
                            out.seq = SeqRewrite::starting_at(seq.next());
                            api.set_direction(mid, Direction::SendOnly);
                            mid
                        }
                        None => api.add_media(
                            out.kind,
                            Direction::SendOnly,
                            Some(track.stream.clone()),
                            None,
                            None,
                        ),
                    };
                    out.state = OutState::Negotiating(mid);
                }
                OutState::ToStop(mid) => {
                    api.set_direction(mid, Direction::Inactive);
                    out.state = OutState::NegotiatingStop(mid);
                }
                _ => {}
            }
        }
        if !api.has_changes() {
            return None;
        }
        let (offer, pending) = api.apply()?;
        self.first_offer = false;
        self.pending = Some(pending);
        Some(ServerMsg::SfuOffer {
            sdp: offer.to_sdp_string(),
            publish: self
                .publish
                .iter()
                .map(|(mid, kind)| SfuPublish {
                    mid: mid.to_string(),
                    kind: *kind,
                })
                .collect(),
            tracks: self
                .outs
                .iter()
                .filter_map(|o| {
                    let mid = match o.state {
                        OutState::Negotiating(m) | OutState::Open(m) => m,
                        _ => return None,
                    };
                    let track = o.track.upgrade()?;
                    Some(SfuTrack {
                        mid: mid.to_string(),
                        peer: track.peer.clone(),
                        kind: track.kind,
                    })
                })
                .collect(),
        })
    }

    /// Applies the browser's answer; returns the video tracks that just opened (they need a
    /// keyframe from their publisher).
    pub fn handle_answer(&mut self, sdp: &str) -> Result<Vec<Arc<TrackIn>>, PeerError> {
        let answer =
            SdpAnswer::from_sdp_string(sdp).map_err(|e| PeerError::BadAnswer(e.to_string()))?;
        let pending = self.pending.take().ok_or(PeerError::NoPendingOffer)?;
        self.rtc
            .sdp_api()
            .accept_answer(pending, answer)
            .map_err(|e| PeerError::BadAnswer(e.to_string()))?;
        let mut opened = Vec::new();
        for out in &mut self.outs {
            if let OutState::Negotiating(mid) = out.state {
                out.state = OutState::Open(mid);
                if let Some(track) = out.track.upgrade() {
                    opened.push(track);
                }
            }
        }
        let free = &mut self.free;
        self.outs.retain(|o| match o.state {
            OutState::NegotiatingStop(mid) => {
                free.push((mid, o.kind, o.seq));
                false
            }
            _ => true,
        });
        Ok(opened)
    }

    /// The open outgoing m-line carrying `track`, and its index in `outs`.
    pub fn open_out_for(&self, track: &Arc<TrackIn>) -> Option<(usize, Mid)> {
        self.outs
            .iter()
            .enumerate()
            .find_map(|(i, o)| match o.state {
                OutState::Open(mid) if o.track.as_ptr() == Arc::as_ptr(track) => Some((i, mid)),
                _ => None,
            })
    }

    /// Whether `track` is sent to me now (cameras only while I want them).
    pub fn receives(&self, track: &TrackIn) -> bool {
        self.cameras_wanted || track.kind != TrackKind::Camera
    }

    /// RTP mode: the m-line of an incoming (main) SSRC.
    pub fn mid_for_ssrc(&mut self, ssrc: Ssrc) -> Option<Mid> {
        if let Some((_, mid)) = self.rx_mids.iter().find(|(s, _)| *s == ssrc) {
            return Some(*mid);
        }
        // Asked once per SSRC: a mutable look-up makes str0m poll the whole session again.
        let mid = self.rtc.direct_api().stream_rx(&ssrc)?.mid();
        self.rx_mids.push((ssrc, mid));
        Some(mid)
    }

    pub fn publish_kind(&self, mid: Mid) -> Option<TrackKind> {
        self.publish
            .iter()
            .find(|(m, _)| *m == mid)
            .map(|(_, kind)| *kind)
    }

    pub fn published(&mut self, mid: Mid) -> Option<&mut Published> {
        self.published.iter_mut().find(|p| p.track.mid == mid)
    }
}

fn random_token(len: usize) -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// The increase of a cumulative `total` since the last one recorded for (`mid`, `egress`).
fn new_since_last(totals: &mut Vec<(Mid, bool, u64)>, mid: Mid, egress: bool, total: u64) -> u64 {
    match totals
        .iter_mut()
        .find(|(m, e, _)| *m == mid && *e == egress)
    {
        Some((_, _, last)) => {
            let new = total.saturating_sub(*last);
            *last = total;
            new
        }
        None => {
            totals.push((mid, egress, total));
            total
        }
    }
}

#[cfg(test)]
mod nack_tests {
    use super::*;

    #[test]
    fn cumulative_totals_become_increments_per_mline_and_direction() {
        let mut totals = Vec::new();
        let (a, b) = (Mid::from("0"), Mid::from("1"));
        assert_eq!(new_since_last(&mut totals, a, true, 3), 3);
        assert_eq!(new_since_last(&mut totals, a, true, 5), 2);
        assert_eq!(new_since_last(&mut totals, a, false, 4), 4);
        assert_eq!(new_since_last(&mut totals, b, true, 1), 1);
        assert_eq!(new_since_last(&mut totals, a, true, 5), 0);
    }
}
