//! The sans-IO SFU: every participant's `Rtc`, grouped by meeting, with media forwarded from
//! each publisher to every other participant of the same meeting. No sockets, no clock, no
//! tokio: inputs are `handle_*` with `now` passed in, outputs come from `poll_output` and
//! `poll_timeout`. After any change to an `Rtc` it is drained until it returns a timeout.

use super::Forwarding;
use super::peer::{Participant, Pid, Published, TrackIn};
use super::rtp::SeqRewrite;
use protocol::MeetingCode;
use protocol::signal::{PeerId, ServerMsg, SignalErrorCode, TrackKind};
use rustc_hash::FxHashMap;
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A connected session that has sent nothing for this long is gone: browsers send ICE
/// consent checks every few seconds and RTCP more often.
pub const MEDIA_SILENCE: Duration = Duration::from_secs(10);
/// How long a session that has not connected yet may stay silent. A busy browser can take
/// several seconds to answer the offer and more to start its ICE checks (Firefox on a loaded
/// machine was seen to take 9 s to answer); browsers give up on ICE after about 30 s.
pub const CONNECT_GRACE: Duration = Duration::from_secs(30);
/// Remote addresses one session may be reached at: a browser's host addresses over UDP, one
/// per ICE-TCP connection (one for each of our TCP candidates), a relay.
pub const ADDRS_PER_SESSION: usize = 16;
use str0m::media::{KeyframeRequestKind, MediaData, Mid};
use str0m::net::{Protocol, Receive};
use str0m::rtp::{ExtensionValues, RtpPacket, RtpWrite};
use str0m::{Event, IceConnectionState, Input};

/// What the engine wants done.
#[derive(Debug)]
pub enum Output {
    /// A datagram to send: over UDP from the SFU's socket, or as one RFC 4571 frame on the
    /// ICE-TCP connection from `destination`.
    Transmit {
        proto: Protocol,
        /// Which of our candidates it leaves from: a reply must come from the address the
        /// browser sent to, or its ICE discards it.
        source: SocketAddr,
        destination: SocketAddr,
        contents: Vec<u8>,
    },
    /// A signaling message for one participant.
    Signal {
        code: MeetingCode,
        peer: PeerId,
        msg: ServerMsg,
    },
}

pub struct Engine {
    /// The addresses in our ICE candidates: UDP (one per usable interface when the SFU
    /// listens on all of them), and passive TCP (ICE-TCP) if enabled.
    candidates: Vec<SocketAddr>,
    tcp_candidates: Vec<SocketAddr>,
    forwarding: Forwarding,
    now: Instant,
    next_id: u64,
    /// Keyed by ids and codes the server made (Fx hashing: looked up for every frame).
    participants: FxHashMap<Pid, Participant>,
    by_key: HashMap<(MeetingCode, PeerId), Pid>,
    by_addr: HashMap<(Protocol, SocketAddr), Pid>,
    by_ufrag: HashMap<String, Pid>,
    rooms: FxHashMap<MeetingCode, Vec<Pid>>,
    out: VecDeque<Output>,
    counters: Counters,
    /// Participants whose `Rtc` changed and must be drained.
    dirty: Vec<Pid>,
    /// Panics caught (in a session's `Rtc`, or in a parser of wire bytes).
    panics: u64,
}

/// Per-frame counters, looked up once.
struct Counters {
    frames_in: metrics::Counter,
    frames_out: metrics::Counter,
    forward_errors: metrics::Counter,
    /// Microphone frames not forwarded because their publisher is muted.
    frames_muted: metrics::Counter,
    /// Keyframe requests from subscribers, before the throttle.
    pli_in: metrics::Counter,
    fir_in: metrics::Counter,
    /// Keyframe requests sent to publishers, after the throttle.
    keyframes_out: metrics::Counter,
    /// NACKs from subscribers (for media I send them), and NACKs I send to publishers.
    nacks_from_subscribers: metrics::Counter,
    nacks_to_publishers: metrics::Counter,
}

impl Counters {
    fn new() -> Self {
        Self {
            frames_in: metrics::counter!("sfu_frames_in_total"),
            frames_out: metrics::counter!("sfu_frames_out_total"),
            forward_errors: metrics::counter!("sfu_forward_errors_total"),
            frames_muted: metrics::counter!("sfu_frames_muted_total"),
            pli_in: metrics::counter!("sfu_keyframe_requests_in_total", "kind" => "pli"),
            fir_in: metrics::counter!("sfu_keyframe_requests_in_total", "kind" => "fir"),
            keyframes_out: metrics::counter!("sfu_keyframe_requests_total"),
            nacks_from_subscribers: metrics::counter!("sfu_nacks_total", "direction" => "from_subscribers"),
            nacks_to_publishers: metrics::counter!("sfu_nacks_total", "direction" => "to_publishers"),
        }
    }
}

/// Short, non-identifying form of a meeting code for logs.
fn log_code(code: &MeetingCode) -> String {
    code.redacted()
}

impl Engine {
    pub fn new(
        candidates: Vec<SocketAddr>,
        tcp_candidates: Vec<SocketAddr>,
        forwarding: Forwarding,
        now: Instant,
    ) -> Self {
        Self {
            candidates,
            tcp_candidates,
            forwarding,
            now,
            next_id: 0,
            participants: FxHashMap::default(),
            by_key: HashMap::new(),
            by_addr: HashMap::new(),
            by_ufrag: HashMap::new(),
            rooms: FxHashMap::default(),
            out: VecDeque::new(),
            counters: Counters::new(),
            dirty: Vec::new(),
            panics: 0,
        }
    }

    /// Panics the guards caught so far: each is a bug (in str0m or here) that cost one
    /// datagram or one session instead of the server.
    pub fn panics_caught(&self) -> u64 {
        self.panics
    }

    pub fn participant_count(&self) -> usize {
        self.participants.len()
    }

    pub fn room_count(&self) -> usize {
        self.rooms.len()
    }

    /// Whether datagrams from `addr` belong to a live session (an ICE-TCP connection that
    /// none claims is closed by the driver).
    pub fn serves(&self, proto: Protocol, addr: SocketAddr) -> bool {
        self.by_addr.contains_key(&(proto, addr))
    }

    /// Remote addresses tied to sessions, all sessions together.
    pub fn bound_addr_count(&self) -> usize {
        self.by_addr.len()
    }

    /// Tracks published right now.
    pub fn track_count(&self) -> usize {
        self.participants.values().map(|p| p.published.len()).sum()
    }

    /// Start of every input but a datagram: time moves on, and every session written to
    /// since the last `poll_output` is drained before it takes input.
    fn begin(&mut self, now: Instant) {
        self.advance(now);
        self.process();
    }

    fn advance(&mut self, now: Instant) {
        if now > self.now {
            self.now = now;
        }
    }

    // ---- inputs ----

    /// Starts `peer`'s session (a previous one is replaced) and offers it every track of the
    /// meeting.
    pub fn handle_connect(&mut self, now: Instant, code: MeetingCode, peer: PeerId) {
        self.begin(now);
        if let Some(old) = self.by_key.get(&(code.clone(), peer.clone())).copied() {
            self.remove(old);
        }
        self.next_id += 1;
        let id = Pid(self.next_id);
        let mut p = match Participant::new(
            id,
            code.clone(),
            peer.clone(),
            &self.candidates,
            &self.tcp_candidates,
            self.forwarding == Forwarding::Rtp,
            now,
        ) {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(error = %e, "sfu: cannot create a session");
                self.signal_error(&code, &peer, "The media server cannot take this call.");
                return;
            }
        };
        let members = self.rooms.entry(code.clone()).or_default();
        for other in members.iter() {
            if let Some(o) = self.participants.get(other) {
                for published in &o.published {
                    p.subscribe(&published.track);
                }
            }
        }
        members.push(id);
        tracing::info!(meeting = %log_code(&code), peer = %peer.0, "sfu: participant joined");
        self.by_ufrag.insert(p.ufrag.clone(), id);
        self.by_key.insert((code.clone(), peer), id);
        self.participants.insert(id, p);
        self.offer(id);
        // The first offer created the publish m-lines. Camera and microphone are published
        // from the start (the browser may send nothing on them yet); the screen when shared.
        if let Some(p) = self.participants.get_mut(&id) {
            let publish = p.publish.clone();
            for (mid, kind) in publish.into_iter().filter(|(_, k)| !k.is_screen()) {
                p.published.push(Published {
                    track: Arc::new(TrackIn {
                        origin: id,
                        peer: p.peer.clone(),
                        mid,
                        kind,
                        stream: p.peer.0.clone(),
                    }),
                    keyframes: Default::default(),
                });
            }
        }
        self.announce_tracks_of(id);
        metrics::gauge!("sfu_participants").set(self.participants.len() as f64);
        metrics::gauge!("sfu_rooms").set(self.rooms.len() as f64);
        self.process();
    }

    /// The browser's answer to our latest offer.
    pub fn handle_answer(&mut self, now: Instant, code: &MeetingCode, peer: &PeerId, sdp: &str) {
        self.begin(now);
        let Some(id) = self.by_key.get(&(code.clone(), peer.clone())).copied() else {
            self.signal_error(code, peer, "No media session: send sfu_connect first.");
            return;
        };
        let result = self.guarded(id, |p| p.handle_answer(sdp));
        match result {
            Some(Ok(opened)) => {
                // A session still connecting asks when it connects (`Event::Connected`): a
                // keyframe sent now would have nowhere to go, and the throttle would hold
                // back the request that matters.
                let connected = self
                    .participants
                    .get(&id)
                    .is_some_and(|p| p.rtc.is_connected());
                if connected {
                    for track in opened.iter().filter(|t| !t.kind.is_audio()) {
                        self.request_keyframe(track.origin, track.mid, KeyframeRequestKind::Pli);
                    }
                }
                self.mark_dirty(id);
                // Changes that waited for this answer.
                self.offer(id);
            }
            Some(Err(e)) => {
                let message = format!("That answer does not fit: {e}.");
                self.signal_error(code, peer, &message);
            }
            None => {}
        }
        self.process();
    }

    /// `peer` announced its media: sharing its screen (with this stream id) or not
    /// (`None`), and its microphone on or off.
    pub fn handle_media(
        &mut self,
        now: Instant,
        code: &MeetingCode,
        peer: &PeerId,
        screen: Option<String>,
        mic: bool,
    ) {
        self.begin(now);
        let Some((id, p)) = self.session_mut(code, peer) else {
            return;
        };
        p.mic_on = mic;
        if p.screen_stream == screen {
            return;
        }
        p.published.retain(|t| !t.track.kind.is_screen());
        p.screen_stream = screen.clone();
        if let Some(stream) = screen {
            let publish = p.publish.clone();
            for (mid, kind) in publish.into_iter().filter(|(_, k)| k.is_screen()) {
                p.published.push(Published {
                    track: Arc::new(TrackIn {
                        origin: id,
                        peer: peer.clone(),
                        mid,
                        kind,
                        stream: stream.clone(),
                    }),
                    keyframes: Default::default(),
                });
            }
        }
        self.announce_tracks_of(id);
        self.process();
    }

    /// `peer` turned the others' cameras off (audio and screen shares still come) or back
    /// on. Back on, each camera's numbering continues where it stopped (no gap for the
    /// browser to ask after) and every camera is asked for a keyframe, so pictures come back
    /// at once.
    pub fn handle_receive(
        &mut self,
        now: Instant,
        code: &MeetingCode,
        peer: &PeerId,
        cameras: bool,
    ) {
        self.begin(now);
        let Some((_, p)) = self.session_mut(code, peer) else {
            return;
        };
        if p.cameras_wanted == cameras {
            return;
        }
        p.cameras_wanted = cameras;
        if !cameras {
            return;
        }
        let mut cameras_in = Vec::new();
        for out in &mut p.outs {
            if let Some(track) = out.track.upgrade()
                && track.kind == TrackKind::Camera
            {
                out.seq = SeqRewrite::starting_at(out.seq.next());
                cameras_in.push(track);
            }
        }
        if p.rtc.is_connected() {
            for track in cameras_in {
                self.request_keyframe(track.origin, track.mid, KeyframeRequestKind::Pli);
            }
        }
        self.process();
    }

    /// `peer` left the SFU (or the meeting).
    pub fn handle_leave(&mut self, now: Instant, code: &MeetingCode, peer: &PeerId) {
        self.begin(now);
        if let Some(id) = self.by_key.get(&(code.clone(), peer.clone())).copied() {
            self.remove(id);
            self.process();
        }
    }

    /// A datagram arrived: on the UDP socket, or one frame on an ICE-TCP connection.
    /// `destination` is the candidate it was sent to.
    pub fn handle_datagram(
        &mut self,
        now: Instant,
        proto: Protocol,
        source: SocketAddr,
        destination: SocketAddr,
        contents: &[u8],
    ) {
        self.advance(now);
        let key = (proto, source);
        // Wire bytes are parsed here, outside any one session's guard: a panic in a parser
        // costs this datagram, never the driver task (and with it everyone's media).
        let parsed = catch_unwind(AssertUnwindSafe(|| {
            let claimed = self.stun_target(contents);
            Receive::new(proto, source, destination, contents)
                .ok()
                .map(|receive| (claimed, receive))
        }));
        let (claimed, receive) = match parsed {
            Ok(Some(parsed)) => parsed,
            Ok(None) => {
                metrics::counter!("sfu_datagrams_unknown_total").increment(1);
                return;
            }
            Err(_) => {
                self.panics += 1;
                tracing::error!("sfu: a datagram panicked its parser; dropped");
                metrics::counter!("sfu_parse_panics_total").increment(1);
                return;
            }
        };
        let input = Input::Receive(now, receive);
        let bound = self.by_addr.get(&key).copied();
        let id = match (claimed, bound) {
            (Some(id), Some(b)) if id == b => id,
            // A STUN message naming a session by its ufrag: the address is tied to that
            // session only once its ICE accepts the message (integrity checked with the
            // session's password), so a ufrag alone neither moves nor piles up addresses,
            // nor keeps a session alive.
            (Some(id), _) => {
                if self.guarded(id, |p| p.rtc.accepts(&input)) != Some(true) {
                    metrics::counter!("sfu_datagrams_unknown_total").increment(1);
                    return;
                }
                self.bind_addr(id, key);
                id
            }
            (None, Some(b)) => b,
            (None, None) => {
                metrics::counter!("sfu_datagrams_unknown_total").increment(1);
                return;
            }
        };
        if let Some(p) = self.participants.get_mut(&id) {
            p.last_heard = now;
        }
        // Drained after every input: media written to it since must go out first.
        if self.take_dirty(id) {
            self.drain(id);
        }
        match self.guarded(id, |p| p.rtc.handle_input(input)) {
            // Only this session now: what it forwards to others waits in their queues until
            // `poll_output`, so a batch of datagrams drains each subscriber once, not once
            // per frame (str0m's cost per drain grows with the session's m-lines).
            Some(Ok(())) => self.drain(id),
            Some(Err(e)) => {
                tracing::debug!(error = %e, "sfu: input refused; dropping the session");
                self.end_session(id, "Your media session failed.");
                self.process();
            }
            None => self.process(),
        }
    }

    /// Time passed: lets every session whose timeout is due do its work.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.begin(now);
        let silent: Vec<Pid> = self
            .participants
            .values()
            .filter(|p| now > silence_deadline(p))
            .map(|p| p.id)
            .collect();
        for id in silent {
            tracing::info!(
                participant = id.0,
                "sfu: no media for a while; dropping the session"
            );
            metrics::counter!("sfu_sessions_timed_out_total").increment(1);
            self.end_session(id, "Nothing arrived from your browser for a while.");
        }
        let due: Vec<Pid> = self
            .participants
            .values()
            .filter(|p| p.timeout <= now)
            .map(|p| p.id)
            .collect();
        for id in due {
            match self.guarded(id, |p| p.rtc.handle_input(Input::Timeout(now))) {
                Some(Ok(())) => self.mark_dirty(id),
                Some(Err(_)) => self.end_session(id, "Your media session failed."),
                None => {}
            }
        }
        let held: Vec<(Pid, Mid)> = self
            .participants
            .values()
            .flat_map(|p| {
                p.published
                    .iter()
                    .filter(|t| t.keyframes.held_until().is_some_and(|at| at <= now))
                    .map(|t| (p.id, t.track.mid))
            })
            .collect();
        for (id, mid) in held {
            self.request_keyframe(id, mid, KeyframeRequestKind::Pli);
        }
        self.process();
    }

    // ---- outputs ----

    pub fn poll_output(&mut self) -> Option<Output> {
        self.process();
        self.out.pop_front()
    }

    /// When `handle_timeout` should be called next (`None`: nobody is connected).
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.participants
            .values()
            .map(|p| {
                let held = p.published.iter().filter_map(|t| t.keyframes.held_until());
                held.fold(p.timeout.min(silence_deadline(p)), Instant::min)
            })
            .min()
    }

    // ---- internals ----

    /// `peer`'s session in meeting `code`, if it has one.
    fn session_mut(
        &mut self,
        code: &MeetingCode,
        peer: &PeerId,
    ) -> Option<(Pid, &mut Participant)> {
        let id = self.by_key.get(&(code.clone(), peer.clone())).copied()?;
        Some((id, self.participants.get_mut(&id)?))
    }

    /// Ties a remote address to `id` (moving it from a session it belonged to before). A
    /// session keeps at most `ADDRS_PER_SESSION` addresses, each once; past that the oldest
    /// is let go.
    fn bind_addr(&mut self, id: Pid, key: (Protocol, SocketAddr)) {
        if let Some(old) = self.by_addr.insert(key, id)
            && old != id
            && let Some(p) = self.participants.get_mut(&old)
        {
            p.addrs.retain(|a| *a != key);
        }
        let Some(p) = self.participants.get_mut(&id) else {
            return;
        };
        if p.addrs.contains(&key) {
            return;
        }
        p.addrs.push(key);
        if p.addrs.len() > ADDRS_PER_SESSION {
            let oldest = p.addrs.remove(0);
            if self.by_addr.get(&oldest) == Some(&id) {
                self.by_addr.remove(&oldest);
            }
        }
    }

    /// For a STUN packet: the session its username names (our ufrag comes first).
    fn stun_target(&self, contents: &[u8]) -> Option<Pid> {
        if contents.first().is_none_or(|b| *b > 3) {
            return None;
        }
        let message = str0m::ice::StunMessage::parse(contents).ok()?;
        let (ours, _) = message.split_username()?;
        self.by_ufrag.get(ours).copied()
    }

    /// Runs `f` on one participant; a panic inside its `Rtc` drops that participant, never
    /// the server. `None`: no such participant, or it panicked.
    fn guarded<T>(&mut self, id: Pid, f: impl FnOnce(&mut Participant) -> T) -> Option<T> {
        let p = self.participants.get_mut(&id)?;
        // Everything str0m logs for this session carries its meeting and participant
        // (debug level: a disabled span costs one check on this per-frame path).
        let _span = tracing::debug_span!(
            "sfu_session",
            meeting = %log_code(&p.code),
            participant = id.0
        )
        .entered();
        match catch_unwind(AssertUnwindSafe(|| f(p))) {
            Ok(value) => Some(value),
            Err(_) => {
                self.panics += 1;
                tracing::error!(participant = id.0, "sfu: a session panicked; dropping it");
                metrics::counter!("sfu_session_panics_total").increment(1);
                self.end_session(id, "Your media session failed.");
                None
            }
        }
    }

    fn signal_error(&mut self, code: &MeetingCode, peer: &PeerId, message: &str) {
        self.out.push_back(Output::Signal {
            code: code.clone(),
            peer: peer.clone(),
            msg: ServerMsg::Error {
                code: SignalErrorCode::SfuUnavailable,
                message: message.to_owned(),
            },
        });
    }

    /// Sends `id` a new offer if its tracks changed and none is pending.
    fn offer(&mut self, id: Pid) {
        let Some(Some(msg)) = self.guarded(id, |p| p.poll_offer()) else {
            return;
        };
        if let Some(p) = self.participants.get(&id) {
            self.out.push_back(Output::Signal {
                code: p.code.clone(),
                peer: p.peer.clone(),
                msg,
            });
        }
        self.mark_dirty(id);
    }

    /// Everyone else in `id`'s meeting subscribes to its current tracks (and drops ended ones).
    fn announce_tracks_of(&mut self, id: Pid) {
        let Some(p) = self.participants.get(&id) else {
            return;
        };
        let tracks: Vec<Arc<TrackIn>> = p.published.iter().map(|t| t.track.clone()).collect();
        let others: Vec<Pid> = self
            .rooms
            .get(&p.code)
            .map(|m| m.iter().copied().filter(|o| *o != id).collect())
            .unwrap_or_default();
        for other in others {
            if let Some(o) = self.participants.get_mut(&other) {
                for track in &tracks {
                    o.subscribe(track);
                }
            }
            self.offer(other);
        }
    }

    /// Drops a session the server ends on its own (silence, a failed or panicking `Rtc`, ICE
    /// lost) and tells its browser, which starts a new one at once if it is still there
    /// instead of waiting for its own ICE to time out.
    fn end_session(&mut self, id: Pid, why: &str) {
        if let Some(p) = self.participants.get(&id) {
            self.out.push_back(Output::Signal {
                code: p.code.clone(),
                peer: p.peer.clone(),
                msg: ServerMsg::SfuClosed {
                    message: why.to_owned(),
                },
            });
        }
        self.remove(id);
    }

    fn remove(&mut self, id: Pid) {
        let Some(mut p) = self.participants.remove(&id) else {
            return;
        };
        tracing::info!(meeting = %log_code(&p.code), peer = %p.peer.0, "sfu: participant left");
        // Closing may panic only if str0m has a bug; the session is going anyway.
        let _ = catch_unwind(AssertUnwindSafe(|| p.rtc.disconnect()));
        self.by_key.remove(&(p.code.clone(), p.peer.clone()));
        self.by_ufrag.remove(&p.ufrag);
        for addr in &p.addrs {
            if self.by_addr.get(addr) == Some(&id) {
                self.by_addr.remove(addr);
            }
        }
        let others: Vec<Pid> = match self.rooms.get_mut(&p.code) {
            Some(members) => {
                members.retain(|m| *m != id);
                members.clone()
            }
            None => Vec::new(),
        };
        if others.is_empty() {
            self.rooms.remove(&p.code);
        }
        // Dropping `p` drops its published tracks: the others' `Weak`s die and their next
        // offer stops those m-lines.
        drop(p);
        for other in others {
            self.offer(other);
        }
        metrics::gauge!("sfu_participants").set(self.participants.len() as f64);
        metrics::gauge!("sfu_rooms").set(self.rooms.len() as f64);
    }

    /// Drains every changed `Rtc` until it returns a timeout, propagating what comes out.
    fn mark_dirty(&mut self, id: Pid) {
        if !self.dirty.contains(&id) {
            self.dirty.push(id);
        }
    }

    /// Whether `id` was waiting to be drained (it no longer is).
    fn take_dirty(&mut self, id: Pid) -> bool {
        match self.dirty.iter().position(|d| *d == id) {
            Some(i) => {
                self.dirty.swap_remove(i);
                true
            }
            None => false,
        }
    }

    fn process(&mut self) {
        while let Some(id) = self.dirty.pop() {
            self.drain(id);
        }
    }

    fn drain(&mut self, id: Pid) {
        let mut events = Vec::new();
        let mut transmits = Vec::new();
        let result = self.guarded(id, |p| {
            loop {
                match p.rtc.poll_output() {
                    Ok(str0m::Output::Timeout(t)) => {
                        p.timeout = t;
                        return Ok(());
                    }
                    Ok(str0m::Output::Transmit(t)) => transmits.push(Output::Transmit {
                        proto: t.proto,
                        source: t.source,
                        destination: t.destination,
                        contents: t.contents.into(),
                    }),
                    Ok(str0m::Output::Event(e)) => events.push(e),
                    Err(e) => return Err(e),
                }
            }
        });
        self.out.extend(transmits);
        match result {
            Some(Ok(())) => {}
            Some(Err(e)) => {
                tracing::debug!(error = %e, "sfu: session failed");
                self.end_session(id, "Your media session failed.");
                return;
            }
            None => return,
        }
        for event in events {
            if !matches!(
                event,
                Event::MediaData(_)
                    | Event::RtpPacket(_)
                    | Event::MediaEgressStats(_)
                    | Event::MediaIngressStats(_)
                    | Event::PeerStats(_)
            ) {
                tracing::debug!(participant = id.0, ?event, "sfu: session event");
            }
            match event {
                Event::IceConnectionStateChange(IceConnectionState::Disconnected) => {
                    // The browser went away without a goodbye (or its path died): it starts
                    // a new session if it is still there.
                    self.end_session(id, "The connection to the media server was lost.");
                    return;
                }
                Event::MediaData(data) => self.forward(id, data),
                Event::RtpPacket(packet) => self.forward_rtp(id, packet),
                Event::Connected => {
                    // Media can flow to it only now (DTLS done): a keyframe of every video it
                    // receives, so its first frames decode at once.
                    let videos: Vec<Arc<TrackIn>> = self
                        .participants
                        .get(&id)
                        .map(|p| p.open_tracks().filter(|t| !t.kind.is_audio()).collect())
                        .unwrap_or_default();
                    for track in videos {
                        self.request_keyframe(track.origin, track.mid, KeyframeRequestKind::Pli);
                    }
                }
                Event::MediaEgressStats(stats) => {
                    if let Some(p) = self.participants.get_mut(&id) {
                        let new = p.new_nacks(stats.mid, true, stats.nacks);
                        self.counters.nacks_from_subscribers.increment(new);
                    }
                }
                Event::MediaIngressStats(stats) => {
                    if let Some(p) = self.participants.get_mut(&id) {
                        let new = p.new_nacks(stats.mid, false, stats.nacks);
                        self.counters.nacks_to_publishers.increment(new);
                    }
                }
                Event::KeyframeRequest(req) => {
                    match req.kind {
                        KeyframeRequestKind::Pli => self.counters.pli_in.increment(1),
                        KeyframeRequestKind::Fir => self.counters.fir_in.increment(1),
                    }
                    let track = self
                        .participants
                        .get(&id)
                        .and_then(|p| p.track_for_out(req.mid));
                    if let Some(track) = track {
                        self.request_keyframe(track.origin, track.mid, req.kind);
                    }
                }
                _ => {}
            }
        }
    }

    fn request_keyframe(&mut self, origin: Pid, mid: Mid, kind: KeyframeRequestKind) {
        let now = self.now;
        let sent = self.guarded(origin, |p| {
            let Some(published) = p.published.iter_mut().find(|t| t.track.mid == mid) else {
                return false;
            };
            // Nothing received on that m-line yet: nobody to ask (its first frame is a
            // keyframe anyway), and the throttle's slot is kept for the request that can go out.
            let mut api = p.rtc.direct_api();
            let Some(stream) = api.stream_rx_by_mid(mid, None) else {
                return false;
            };
            if !published.keyframes.ready(now) {
                published.keyframes.hold();
                return false;
            }
            stream.request_keyframe(kind);
            published.keyframes.allow(now)
        });
        if sent == Some(true) {
            self.counters.keyframes_out.increment(1);
            self.mark_dirty(origin);
        }
    }

    /// The track `from` publishes on `mid` and who receives it (copied: writing to them
    /// needs `&mut self`), counted in; `None` if there is nothing to forward (no such track,
    /// or a microphone its owner or a host turned off).
    fn forwarding_of(&mut self, from: Pid, mid: Mid) -> Option<(Arc<TrackIn>, Vec<Pid>)> {
        let p = self.participants.get_mut(&from)?;
        let track = p.published(mid).map(|t| t.track.clone())?;
        self.counters.frames_in.increment(1);
        if track.kind == TrackKind::Mic && !p.mic_on {
            self.counters.frames_muted.increment(1);
            return None;
        }
        let subscribers = self
            .rooms
            .get(&p.code)
            .map(|m| m.iter().copied().filter(|to| *to != from).collect())
            .unwrap_or_default();
        Some((track, subscribers))
    }

    /// Frame-level forwarding: the publisher's depacketized frame is written to every
    /// subscriber's m-line for that track, with the subscriber's negotiated payload type.
    fn forward(&mut self, from: Pid, data: MediaData) {
        let Some((track, subscribers)) = self.forwarding_of(from, data.mid) else {
            return;
        };
        if !data.contiguous && !track.kind.is_audio() {
            self.request_keyframe(from, track.mid, KeyframeRequestKind::Pli);
        }
        for to in subscribers {
            let written = self.guarded(to, |q| {
                if !q.receives(&track) {
                    return None;
                }
                let (_, mid) = q.open_out_for(&track)?;
                let writer = q.rtc.writer(mid)?;
                let pt = writer.match_params(data.params)?;
                let writer = match data.ext_vals.audio_level {
                    Some(level) => {
                        writer.audio_level(level, data.ext_vals.voice_activity.unwrap_or(false))
                    }
                    None => writer,
                };
                Some(writer.write(pt, data.network_time, data.time, data.data.clone()))
            });
            match written {
                Some(Some(Ok(()))) => {
                    self.counters.frames_out.increment(1);
                    self.mark_dirty(to);
                }
                Some(Some(Err(e))) => {
                    tracing::debug!(error = %e, "sfu: forwarding failed");
                    self.counters.forward_errors.increment(1);
                }
                _ => {}
            }
        }
    }

    /// RTP-mode forwarding: the publisher's packet is written to every subscriber's m-line for
    /// that track as it came, with the subscriber's payload type and sequence numbers.
    fn forward_rtp(&mut self, from: Pid, packet: RtpPacket) {
        let pt_in = packet.header.payload_type;
        let Some(p) = self.participants.get_mut(&from) else {
            return;
        };
        let Some(mid) = p.mid_for_ssrc(packet.header.ssrc) else {
            return;
        };
        let Some(params) = p
            .rtc
            .codec_config()
            .params()
            .iter()
            .find(|c| c.pt() == pt_in)
            .copied()
        else {
            return;
        };
        let Some((track, subscribers)) = self.forwarding_of(from, mid) else {
            return;
        };
        let header = &packet.header;
        let ext_vals = ExtensionValues {
            audio_level: header.ext_vals.audio_level,
            voice_activity: header.ext_vals.voice_activity,
            video_orientation: header.ext_vals.video_orientation,
            ..Default::default()
        };
        // Video packets are kept for retransmission on a subscriber's NACK; audio is not.
        let nackable = !track.kind.is_audio();
        for to in subscribers {
            let written = self.guarded(to, |q| {
                if !q.rtc.is_connected() || !q.receives(&track) {
                    return None;
                }
                let (i, mid) = q.open_out_for(&track)?;
                let out = &mut q.outs[i];
                let pt = match out.pt {
                    Some((seen, mine)) if seen == pt_in => mine,
                    _ => {
                        let mine = q.rtc.codec_config().match_params(params)?.pt();
                        out.pt = Some((pt_in, mine));
                        mine
                    }
                };
                let seq = out.seq.map(*packet.seq_no)?;
                let mut api = q.rtc.direct_api();
                api.stream_tx_by_mid(mid, None)?.write_rtp(
                    RtpWrite::new(
                        pt,
                        seq.into(),
                        header.timestamp,
                        packet.timestamp,
                        packet.payload.clone(),
                    )
                    .marker(header.marker)
                    .ext_vals(ext_vals.clone())
                    .nackable(nackable),
                );
                Some(())
            });
            if written == Some(Some(())) {
                self.counters.frames_out.increment(1);
                self.mark_dirty(to);
            }
        }
    }
}

/// When a session that stays silent is dropped: `MEDIA_SILENCE` after the last datagram once
/// connected, `CONNECT_GRACE` before.
fn silence_deadline(p: &Participant) -> Instant {
    let allowed = if p.rtc.is_connected() {
        MEDIA_SILENCE
    } else {
        CONNECT_GRACE
    };
    p.last_heard + allowed
}
