//! The SFU engine on a virtual clock with str0m bots in memory: no sockets, no real time.

use super::Forwarding;
use super::engine::{Engine, Output};
use loadtest::bot::Bot;
use protocol::MeetingCode;
use protocol::signal::{ClientMsg, PeerId, ServerMsg, TrackKind};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use str0m::net::Protocol;

const STEP: Duration = Duration::from_millis(5);
/// Datagrams kept of what the bots sent.
const SENT_KEPT: usize = 4000;

mod fuzz;

struct Net {
    now: Instant,
    sfu: Engine,
    /// The SFU's first candidate; `sfu_addrs` are all of them.
    sfu_addr: SocketAddr,
    sfu_addrs: Vec<SocketAddr>,
    /// Candidates the bots' datagrams never reach (as Firefox never reaches a loopback one).
    unreachable: Vec<SocketAddr>,
    /// The ICE ufrag of each participant's SFU session, from its offer.
    ufrags: Vec<(PeerId, String)>,
    /// The first datagrams the bots sent (STUN, DTLS, SRTP/SRTCP): a corpus for `fuzz`.
    sent: Vec<(Protocol, SocketAddr, Vec<u8>)>,
    code: MeetingCode,
    bots: Vec<Bot>,
    errors: Vec<ServerMsg>,
    /// Participants the SFU told that it ended their session (`sfu_closed`).
    closed: Vec<PeerId>,
}

impl Net {
    fn new(forwarding: Forwarding) -> Self {
        Self::with_candidates(forwarding, vec!["10.0.0.1:5000".parse().unwrap()])
    }

    fn with_candidates(forwarding: Forwarding, udp: Vec<SocketAddr>) -> Self {
        let now = Instant::now();
        let sfu_addr = udp[0];
        Self {
            now,
            sfu: Engine::new(udp.clone(), vec![sfu_addr], forwarding, now),
            sfu_addr,
            sfu_addrs: udp,
            unreachable: Vec::new(),
            ufrags: Vec::new(),
            sent: Vec::new(),
            code: MeetingCode("abc-defg-hij".into()),
            bots: Vec::new(),
            errors: Vec::new(),
            closed: Vec::new(),
        }
    }

    fn join(&mut self, name: &str) -> PeerId {
        self.join_with(name, false)
    }

    /// Joins a bot that reaches the SFU only over ICE-TCP (`tcp`) or only over UDP.
    fn join_with(&mut self, name: &str, tcp: bool) -> PeerId {
        let peer = PeerId(name.into());
        let n = self.bots.len() + 1;
        let addr: SocketAddr = format!("10.0.1.{n}:4000").parse().unwrap();
        self.bots.push(Bot::new(peer.clone(), addr, tcp, self.now));
        self.sfu
            .handle_connect(self.now, self.code.clone(), peer.clone());
        self.pump();
        peer
    }

    fn leave(&mut self, peer: &PeerId) {
        self.sfu.handle_leave(self.now, &self.code.clone(), peer);
        self.bots.retain(|b| &b.peer != peer);
        self.pump();
    }

    fn bot(&self, peer: &PeerId) -> &Bot {
        self.bots.iter().find(|b| &b.peer == peer).unwrap()
    }

    fn bot_mut(&mut self, peer: &PeerId) -> &mut Bot {
        self.bots.iter_mut().find(|b| &b.peer == peer).unwrap()
    }

    /// Moves every pending datagram and signal until nothing is left.
    fn pump(&mut self) {
        for _ in 0..1000 {
            let mut moved = false;
            while let Some(out) = self.sfu.poll_output() {
                moved = true;
                match out {
                    Output::Transmit {
                        proto,
                        source,
                        destination,
                        contents,
                    } => {
                        let now = self.now;
                        let from = source;
                        if let Some(bot) = self.bots.iter_mut().find(|b| b.addr == destination) {
                            bot.handle_datagram(now, proto, from, &contents);
                        }
                    }
                    Output::Signal { peer, msg, .. } => {
                        if let ServerMsg::SfuOffer { sdp, .. } = &msg
                            && let Some(ufrag) =
                                sdp.lines().find_map(|l| l.strip_prefix("a=ice-ufrag:"))
                        {
                            self.ufrags.push((peer.clone(), ufrag.trim().to_owned()));
                        }
                        if matches!(msg, ServerMsg::Error { .. }) {
                            self.errors.push(msg);
                            continue;
                        }
                        if matches!(msg, ServerMsg::SfuClosed { .. }) {
                            self.closed.push(peer);
                            continue;
                        }
                        let reply = self
                            .bots
                            .iter_mut()
                            .find(|b| b.peer == peer)
                            .and_then(|b| b.handle_signal(&msg));
                        if let Some(ClientMsg::SfuAnswer { sdp }) = reply {
                            let code = self.code.clone();
                            self.sfu.handle_answer(self.now, &code, &peer, &sdp);
                        }
                    }
                }
            }
            for i in 0..self.bots.len() {
                let addr = self.bots[i].addr;
                for d in self.bots[i].poll() {
                    moved = true;
                    if self.sent.len() < SENT_KEPT {
                        self.sent.push((d.proto, addr, d.contents.clone()));
                    }
                    if self.sfu_addrs.contains(&d.destination)
                        && !self.unreachable.contains(&d.destination)
                    {
                        self.sfu.handle_datagram(
                            self.now,
                            d.proto,
                            addr,
                            d.destination,
                            &d.contents,
                        );
                    }
                }
            }
            if !moved {
                return;
            }
        }
        panic!("the network never settled");
    }

    fn run(&mut self, duration: Duration) {
        let end = self.now + duration;
        while self.now < end {
            self.now += STEP;
            let now = self.now;
            for bot in &mut self.bots {
                bot.handle_timeout(now);
            }
            if self.sfu.poll_timeout().is_some_and(|t| t <= now) {
                self.sfu.handle_timeout(now);
            }
            self.pump();
        }
    }
}

fn media_from_each_publisher_reaches_every_subscriber(mode: Forwarding) {
    let mut net = Net::new(mode);
    let peers: Vec<PeerId> = ["a", "b", "c", "d"].iter().map(|n| net.join(n)).collect();
    net.run(Duration::from_secs(3));
    assert!(net.errors.is_empty(), "{:?}", net.errors);
    for bot in &net.bots {
        assert!(bot.connected, "{} connected", bot.peer.0);
        for other in peers.iter().filter(|p| **p != bot.peer) {
            for kind in [TrackKind::Mic, TrackKind::Camera] {
                let frames = bot.frames_from(other, kind);
                assert!(
                    frames > 20,
                    "{} got {frames} {kind:?} frames from {}",
                    bot.peer.0,
                    other.0
                );
            }
        }
        // Nobody receives themselves.
        assert_eq!(bot.frames_from(&bot.peer, TrackKind::Camera), 0);
    }
    assert_eq!(net.sfu.participant_count(), 4);
}

fn a_publisher_leaving_removes_its_tracks_and_the_m_line_is_recycled(mode: Forwarding) {
    let mut net = Net::new(mode);
    let a = net.join("a");
    let b = net.join("b");
    let c = net.join("c");
    net.run(Duration::from_secs(2));
    assert!(net.bot(&a).frames_from(&c, TrackKind::Camera) > 10);
    let m_lines = net.bot(&a).m_lines;

    net.leave(&c);
    net.run(Duration::from_millis(500));
    let offered = &net.bot(&a).offered;
    assert!(
        offered.iter().all(|(p, _)| *p != c),
        "c's tracks are gone from a's offer: {offered:?}"
    );
    assert!(offered.contains(&(b.clone(), TrackKind::Camera)));
    let before = net.bot(&a).frames_from(&b, TrackKind::Camera);
    net.run(Duration::from_secs(1));
    assert!(
        net.bot(&a).frames_from(&b, TrackKind::Camera) > before,
        "b still plays"
    );

    // A newcomer's tracks take the slots c left: a's session does not grow.
    let d = net.join("d");
    net.run(Duration::from_secs(2));
    assert_eq!(net.bot(&a).m_lines, m_lines, "stopped m-lines were reused");
    assert!(net.bot(&a).frames_from(&d, TrackKind::Camera) > 10);
    assert_eq!(net.sfu.participant_count(), 3);
}

fn keyframe_requests_are_throttled_per_publisher_track(mode: Forwarding) {
    let mut net = Net::new(mode);
    let a = net.join("a");
    let b = net.join("b");
    net.run(Duration::from_secs(2));
    let before = net.bot(&a).keyframe_requests;
    // b asks for a keyframe of a's camera every 10 ms for one second.
    for _ in 0..100 {
        assert!(net.bot_mut(&b).request_keyframe(&a));
        net.run(Duration::from_millis(10));
    }
    let forwarded = net.bot(&a).keyframe_requests - before;
    assert!(forwarded >= 2, "requests reach the publisher ({forwarded})");
    assert!(
        forwarded <= 5,
        "at most one per 300 ms reaches the publisher ({forwarded} in 1 s)"
    );
}

fn a_keyframe_asked_for_while_throttled_goes_out_when_the_interval_ends(mode: Forwarding) {
    let mut net = Net::new(mode);
    let a = net.join("a");
    let b = net.join("b");
    net.run(Duration::from_secs(2));
    let asked = |net: &Net| net.bot(&a).keyframe_requests;
    let before = asked(&net);
    assert!(net.bot_mut(&b).request_keyframe(&a));
    net.run(Duration::from_millis(50));
    assert_eq!(
        asked(&net) - before,
        1,
        "the first request goes out at once"
    );
    // Asked again inside the interval (say a subscriber connected just after that keyframe).
    assert!(net.bot_mut(&b).request_keyframe(&a));
    net.run(Duration::from_millis(100));
    assert_eq!(asked(&net) - before, 1, "held while the throttle holds");
    net.run(Duration::from_millis(300));
    assert_eq!(asked(&net) - before, 2, "sent when the interval ended");
    net.run(Duration::from_secs(1));
    assert_eq!(asked(&net) - before, 2, "once");
}

fn bad_answers_are_refused_without_harm(mode: Forwarding) {
    let mut net = Net::new(mode);
    let a = net.join("a");
    let code = net.code.clone();
    net.sfu.handle_answer(net.now, &code, &a, "v=0\r\nnonsense");
    net.sfu
        .handle_answer(net.now, &code, &PeerId("nobody".into()), "v=0\r\n");
    net.pump();
    assert_eq!(net.errors.len(), 2, "{:?}", net.errors);
    // Garbage datagrams from anywhere are dropped.
    let now = net.now;
    let sfu_addr = net.sfu_addr;
    for junk in [&[0u8; 0][..], &[0, 1, 0, 0], &[0x80; 40], &[22; 13]] {
        net.sfu.handle_datagram(
            now,
            Protocol::Udp,
            "10.9.9.9:9".parse().unwrap(),
            sfu_addr,
            junk,
        );
    }
    assert_eq!(net.sfu.participant_count(), 1);
}

/// The SFU listening on all interfaces advertises each address; a browser that cannot use
/// one of them (Firefox never pairs with a loopback candidate) connects through another, and
/// every reply leaves from the address it answers (else the browser's ICE drops it).
fn a_browser_that_cannot_reach_one_candidate_connects_through_another(mode: Forwarding) {
    let loopback: SocketAddr = "127.0.0.1:5000".parse().unwrap();
    let lan: SocketAddr = "10.0.0.1:5000".parse().unwrap();
    let mut net = Net::with_candidates(mode, vec![loopback, lan]);
    net.unreachable = vec![loopback];
    let peers: Vec<PeerId> = ["fox", "chro"].iter().map(|n| net.join(n)).collect();
    net.run(Duration::from_secs(3));
    assert!(net.errors.is_empty(), "{:?}", net.errors);
    for bot in &net.bots {
        assert!(bot.connected, "{} connected", bot.peer.0);
        let other = peers.iter().find(|p| **p != bot.peer).unwrap();
        assert!(
            bot.frames_from(other, TrackKind::Camera) > 20,
            "{} gets video",
            bot.peer.0
        );
    }
    assert!(net.sfu.serves(Protocol::Udp, net.bots[0].addr));
}

/// A binding request naming a live session's ufrag but failing its integrity check ties
/// nothing: the address is not bound to the session however often it is sent (it used to
/// be added to the session's list each time, and to keep the session alive).
fn a_ufrag_without_the_password_binds_no_address(mode: Forwarding) {
    let mut net = Net::new(mode);
    let a = net.join("a");
    net.run(Duration::from_millis(500));
    let ufrag = net
        .ufrags
        .iter()
        .find(|(p, _)| *p == a)
        .map(|(_, u)| u.clone())
        .expect("a's offer names its ufrag");
    let attacker: SocketAddr = "10.6.6.6:6666".parse().unwrap();
    let forged = forged_binding_request(&format!("{ufrag}:evil"));
    assert!(
        str0m::ice::StunMessage::parse(&forged).is_ok(),
        "the forgery parses: only its integrity is wrong"
    );
    for _ in 0..1000 {
        let now = net.now;
        let to = net.sfu_addr;
        net.sfu
            .handle_datagram(now, Protocol::Udp, attacker, to, &forged);
    }
    assert!(!net.sfu.serves(Protocol::Udp, attacker));
    // The real browser still is.
    assert!(net.sfu.serves(Protocol::Udp, net.bots[0].addr));
}

/// A STUN binding request with `username`, a priority and a MESSAGE-INTEGRITY that is not the
/// right one.
fn forged_binding_request(username: &str) -> Vec<u8> {
    let mut attrs = Vec::new();
    let name = username.as_bytes();
    attrs.extend_from_slice(&0x0006u16.to_be_bytes());
    attrs.extend_from_slice(&(name.len() as u16).to_be_bytes());
    attrs.extend_from_slice(name);
    attrs.resize(attrs.len().div_ceil(4) * 4, 0);
    // PRIORITY, which a binding request must carry.
    attrs.extend_from_slice(&0x0024u16.to_be_bytes());
    attrs.extend_from_slice(&4u16.to_be_bytes());
    attrs.extend_from_slice(&0x6E00_1EFFu32.to_be_bytes());
    attrs.extend_from_slice(&0x0008u16.to_be_bytes());
    attrs.extend_from_slice(&20u16.to_be_bytes());
    attrs.extend_from_slice(&[0xAB; 20]);
    let mut msg = Vec::new();
    msg.extend_from_slice(&0x0001u16.to_be_bytes());
    msg.extend_from_slice(&(attrs.len() as u16).to_be_bytes());
    msg.extend_from_slice(&0x2112_A442u32.to_be_bytes());
    msg.extend_from_slice(&[7; 12]);
    msg.extend_from_slice(&attrs);
    msg
}

fn a_silent_participant_is_dropped_and_the_others_are_told(mode: Forwarding) {
    let mut net = Net::new(mode);
    let a = net.join("a");
    let b = net.join("b");
    net.run(Duration::from_secs(2));
    assert!(
        net.bot(&a)
            .offered
            .contains(&(b.clone(), TrackKind::Camera))
    );
    // b vanishes: no leave, no more datagrams.
    net.bots.retain(|bot| bot.peer != b);
    net.run(super::engine::MEDIA_SILENCE + Duration::from_secs(1));
    assert_eq!(net.sfu.participant_count(), 1);
    assert!(
        net.bot(&a).offered.iter().all(|(p, _)| *p != b),
        "a's new offer dropped b's tracks"
    );
    assert_eq!(net.closed, vec![b], "b is told its session ended");
}

fn a_slow_browser_gets_time_to_connect_and_is_told_when_it_is_dropped(mode: Forwarding) {
    let mut net = Net::new(mode);
    let a = net.join("a");
    // b's browser is busy: the offer goes out, but no answer and no datagram come back.
    let slow = PeerId("slow".into());
    let code = net.code.clone();
    net.sfu.handle_connect(net.now, code, slow.clone());
    net.pump();
    // Longer than a connected session may stay silent: a session still connecting waits.
    net.run(super::engine::MEDIA_SILENCE + Duration::from_secs(5));
    assert_eq!(
        net.sfu.participant_count(),
        2,
        "not dropped while connecting"
    );
    assert!(net.closed.is_empty());
    net.run(super::engine::CONNECT_GRACE);
    assert_eq!(net.sfu.participant_count(), 1, "dropped in the end");
    assert_eq!(net.closed, vec![slow], "and told so, to start again");
    assert!(net.bot(&a).connected, "a is untouched");
}

fn a_participant_on_ice_tcp_sends_and_receives(mode: Forwarding) {
    let mut net = Net::new(mode);
    let udp = net.join("udp");
    let tcp = net.join_with("tcp", true);
    net.run(Duration::from_secs(3));
    assert!(net.bot(&tcp).connected, "ICE-TCP connected");
    assert!(net.bot(&tcp).frames_from(&udp, TrackKind::Camera) > 20);
    assert!(net.bot(&udp).frames_from(&tcp, TrackKind::Camera) > 20);
    assert!(net.bot(&udp).frames_from(&tcp, TrackKind::Mic) > 20);
}

fn a_muted_microphone_is_not_forwarded_until_it_is_on_again(mode: Forwarding) {
    let mut net = Net::new(mode);
    let a = net.join("a");
    let b = net.join("b");
    net.run(Duration::from_secs(2));
    let heard = |net: &Net| net.bot(&b).frames_from(&a, TrackKind::Mic);
    let camera = |net: &Net| net.bot(&b).frames_from(&a, TrackKind::Camera);
    assert!(heard(&net) > 20, "a is heard before muting");

    // a says its microphone is off (or a host muted it), yet its bot keeps sending audio.
    let code = net.code.clone();
    net.sfu.handle_media(net.now, &code, &a, None, false);
    net.run(Duration::from_millis(100));
    let (muted_at, camera_at) = (heard(&net), camera(&net));
    net.run(Duration::from_secs(1));
    assert_eq!(
        heard(&net),
        muted_at,
        "no audio of a muted microphone reaches b"
    );
    assert!(camera(&net) > camera_at + 10, "a's video still flows");

    net.sfu.handle_media(net.now, &code, &a, None, true);
    net.run(Duration::from_secs(1));
    assert!(heard(&net) > muted_at + 20, "a is heard again once unmuted");
}

fn cameras_turned_off_by_a_receiver_stop_for_it_alone_and_come_back_with_a_keyframe(
    mode: Forwarding,
) {
    let mut net = Net::new(mode);
    let a = net.join("a");
    let b = net.join("b");
    let c = net.join("c");
    net.run(Duration::from_secs(2));
    let got = |net: &Net, to: &PeerId, kind| net.bot(to).frames_from(&a, kind);
    assert!(got(&net, &c, TrackKind::Camera) > 20);

    // c saves bandwidth: the others' cameras stop for c, their audio does not, and b still
    // gets everything.
    let code = net.code.clone();
    net.sfu.handle_receive(net.now, &code, &c, false);
    net.run(Duration::from_millis(100));
    let (camera_at, mic_at, b_at) = (
        got(&net, &c, TrackKind::Camera),
        got(&net, &c, TrackKind::Mic),
        got(&net, &b, TrackKind::Camera),
    );
    net.run(Duration::from_secs(1));
    assert_eq!(
        got(&net, &c, TrackKind::Camera),
        camera_at,
        "no camera for c"
    );
    assert!(
        got(&net, &c, TrackKind::Mic) > mic_at + 20,
        "c still hears a"
    );
    assert!(
        got(&net, &b, TrackKind::Camera) > b_at + 20,
        "b still sees a"
    );

    // Back on: a is asked for a keyframe at once and c sees a again, its numbering going on
    // where it stopped (a gap would make c's browser ask for the packets it never got).
    let gaps = |net: &Net| {
        net.bot(&c)
            .after_gap
            .get(&(a.clone(), TrackKind::Camera))
            .copied()
    };
    let gaps_before = gaps(&net);
    let asked = net.bot(&a).keyframe_requests;
    net.sfu.handle_receive(net.now, &code, &c, true);
    net.run(Duration::from_secs(1));
    assert!(
        net.bot(&a).keyframe_requests > asked,
        "a keyframe was asked of a"
    );
    assert!(
        got(&net, &c, TrackKind::Camera) > camera_at + 20,
        "c sees a again"
    );
    assert_eq!(
        gaps(&net),
        gaps_before,
        "no gap in a's camera on c's m-line"
    );
}

/// Every test runs with each way of forwarding.
macro_rules! in_both_modes {
    ($($test:ident),* $(,)?) => {
        mod frames {
            $(#[test]
            fn $test() {
                super::$test(super::Forwarding::Frames)
            })*
        }
        mod rtp {
            $(#[test]
            fn $test() {
                super::$test(super::Forwarding::Rtp)
            })*
        }
    };
}

in_both_modes!(
    media_from_each_publisher_reaches_every_subscriber,
    a_publisher_leaving_removes_its_tracks_and_the_m_line_is_recycled,
    keyframe_requests_are_throttled_per_publisher_track,
    a_keyframe_asked_for_while_throttled_goes_out_when_the_interval_ends,
    bad_answers_are_refused_without_harm,
    a_silent_participant_is_dropped_and_the_others_are_told,
    a_slow_browser_gets_time_to_connect_and_is_told_when_it_is_dropped,
    a_participant_on_ice_tcp_sends_and_receives,
    a_muted_microphone_is_not_forwarded_until_it_is_on_again,
    cameras_turned_off_by_a_receiver_stop_for_it_alone_and_come_back_with_a_keyframe,
    a_browser_that_cannot_reach_one_candidate_connects_through_another,
    a_ufrag_without_the_password_binds_no_address,
);
