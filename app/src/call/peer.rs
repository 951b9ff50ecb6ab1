//! One peer-to-peer media path to a remote participant: an `RTCPeerConnection` negotiated with
//! the "perfect negotiation" pattern (either side may offer at any time; the polite side yields
//! on collision), ICE restart when the path breaks, and remote tracks reported as a source.

use super::LinkState;
use super::js;
use super::negotiation::{self, Decision};
use super::recovery::{IceHealth, IceRecovery, session_id};
use protocol::signal::{ClientMsg, IceCandidate, IceServer, PeerId};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{
    MediaStream, MediaStreamTrack, RtcConfiguration, RtcIceCandidateInit, RtcIceConnectionState,
    RtcIceServer, RtcIceTransportPolicy, RtcPeerConnection, RtcPeerConnectionIceEvent,
    RtcRtpSender, RtcSdpType, RtcSessionDescriptionInit, RtcSignalingState, RtcTrackEvent,
};

/// What a link tells the engine.
pub enum LinkEvent {
    /// A message for the remote side, to go over signaling.
    Signal(ClientMsg),
    /// A remote stream arrived (camera or screen; the engine tells them apart).
    Track(MediaStream),
    State(LinkState),
    /// This connection cannot go on: replace it with a fresh one. `offer`: the remote side
    /// already started one, apply its offer there; `None`: I start it. See `handle_description`.
    Reset {
        offer: Option<String>,
    },
}

/// Which of my tracks a sender carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Slot {
    Mic,
    Camera,
    ScreenVideo,
    ScreenAudio,
}

/// A local track and the stream it belongs to (the remote side groups by stream).
#[derive(Clone)]
pub struct Outgoing {
    pub slot: Slot,
    pub track: MediaStreamTrack,
    pub stream: MediaStream,
}

/// An unanswered offer is sent again after this long (see `resend_offer_older_than`)...
pub const OFFER_RETRY_MS: f64 = 3000.0;
/// ...or sooner, when the other side's offer collides with it.
const COLLIDING_OFFER_RETRY_MS: f64 = 2000.0;

type Events = Rc<dyn Fn(&PeerId, LinkEvent)>;
type Handler = Closure<dyn FnMut(JsValue)>;

pub struct PeerLink {
    pub peer: PeerId,
    pc: RtcPeerConnection,
    polite: bool,
    making_offer: Cell<bool>,
    ignore_offer: Cell<bool>,
    answer_pending: Cell<bool>,
    recovery: RefCell<IceRecovery>,
    /// Session id of the remote descriptions applied so far (see `session_id`).
    remote_session: RefCell<Option<String>>,
    /// Session id of the remote connection this link replaced: its late messages are dropped.
    stale_session: RefCell<Option<String>>,
    /// When my last offer went out (to spot one that was lost, see `handle_description`).
    offer_sent_at: Cell<f64>,
    /// Tracks to add once we know who offers (see `attach_tracks`).
    pending: RefCell<Option<Vec<Outgoing>>>,
    senders: RefCell<HashMap<Slot, RtcRtpSender>>,
    events: Events,
    closed: Cell<bool>,
    handlers: RefCell<Vec<Handler>>,
}

pub fn rtc_config(ice: &[IceServer], relay_only: bool) -> RtcConfiguration {
    let servers = js_sys::Array::new();
    for s in ice {
        let server = RtcIceServer::new();
        let urls = js_sys::Array::new();
        for u in &s.urls {
            urls.push(&JsValue::from_str(u));
        }
        server.set_urls(&urls);
        if let Some(user) = &s.username {
            server.set_username(user);
        }
        if let Some(cred) = &s.credential {
            server.set_credential(cred);
        }
        servers.push(&server);
    }
    let config = RtcConfiguration::new();
    config.set_ice_servers(&servers);
    if relay_only {
        config.set_ice_transport_policy(RtcIceTransportPolicy::Relay);
    }
    config
}

impl PeerLink {
    /// A link to `peer`. With `offer_now` (I am the newcomer) my tracks go in at once and I
    /// offer; otherwise they wait for the remote offer so the first exchange has no glare.
    pub fn new(
        me: &PeerId,
        peer: PeerId,
        config: &RtcConfiguration,
        tracks: Vec<Outgoing>,
        offer_now: bool,
        events: Events,
    ) -> Result<Rc<Self>, JsValue> {
        let pc = RtcPeerConnection::new_with_configuration(config)?;
        let polite = me < &peer;
        let link = Rc::new(Self {
            polite,
            peer,
            pc,
            making_offer: Cell::new(false),
            ignore_offer: Cell::new(false),
            answer_pending: Cell::new(false),
            recovery: RefCell::new(IceRecovery::new(polite)),
            remote_session: RefCell::new(None),
            stale_session: RefCell::new(None),
            offer_sent_at: Cell::new(0.0),
            pending: RefCell::new(Some(tracks)),
            senders: RefCell::new(HashMap::new()),
            events,
            closed: Cell::new(false),
            handlers: RefCell::new(Vec::new()),
        });
        link.install_handlers();
        if offer_now {
            link.attach_tracks();
        }
        Ok(link)
    }

    pub fn connection(&self) -> &RtcPeerConnection {
        &self.pc
    }

    pub fn is_connected(&self) -> bool {
        self.ice_health() == IceHealth::Good
    }

    fn emit(&self, event: LinkEvent) {
        if !self.closed.get() {
            (self.events)(&self.peer, event);
        }
    }

    fn handler(self: &Rc<Self>, f: impl Fn(&Rc<Self>, JsValue) + 'static) -> Handler {
        js::weak_handler(self, f)
    }

    fn install_handlers(self: &Rc<Self>) {
        let on_negotiation = self.handler(|link, _| {
            wasm_bindgen_futures::spawn_local(link.clone().negotiate());
        });
        let on_candidate = self.handler(|link, e| {
            let Ok(e) = e.dyn_into::<RtcPeerConnectionIceEvent>() else {
                return;
            };
            // `null` ends gathering; the browser needs no explicit end-of-candidates here.
            if let Some(c) = e.candidate() {
                link.emit(LinkEvent::Signal(ClientMsg::Ice {
                    to: link.peer.clone(),
                    candidate: IceCandidate {
                        candidate: c.candidate(),
                        sdp_mid: c.sdp_mid(),
                        sdp_m_line_index: c.sdp_m_line_index(),
                    },
                }));
            }
        });
        let on_track = self.handler(|link, e| {
            let Ok(e) = e.dyn_into::<RtcTrackEvent>() else {
                return;
            };
            if let Ok(stream) = e.streams().get(0).dyn_into::<MediaStream>() {
                link.emit(LinkEvent::Track(stream));
            }
        });
        let on_ice_state = self.handler(|link, _| link.handle_ice_state());
        self.pc
            .set_onnegotiationneeded(Some(on_negotiation.as_ref().unchecked_ref()));
        self.pc
            .set_onicecandidate(Some(on_candidate.as_ref().unchecked_ref()));
        self.pc.set_ontrack(Some(on_track.as_ref().unchecked_ref()));
        self.pc
            .set_oniceconnectionstatechange(Some(on_ice_state.as_ref().unchecked_ref()));
        self.handlers
            .borrow_mut()
            .extend([on_negotiation, on_candidate, on_track, on_ice_state]);
    }

    /// Adds my tracks to the connection (once).
    fn attach_tracks(&self) {
        let Some(tracks) = self.pending.borrow_mut().take() else {
            return;
        };
        let has = |slot| tracks.iter().any(|o| o.slot == slot);
        let (mic, camera) = (has(Slot::Mic), has(Slot::Camera));
        for out in tracks {
            let sender = self.pc.add_track_0(&out.track, &out.stream);
            self.senders.borrow_mut().insert(out.slot, sender);
        }
        // Without a microphone or camera of my own I still want to receive theirs: offer to
        // receive, so the first answer carries their media.
        for (kind, present) in [("audio", mic), ("video", camera)] {
            if !present {
                let init = js::object(&[("direction", JsValue::from_str("recvonly"))]);
                let _ = js::call(
                    &self.pc,
                    "addTransceiver",
                    &[&JsValue::from_str(kind), &init],
                );
            }
        }
    }

    /// Sends `track` in `slot` from now on (`None`: stop sending, keep the slot). Swapping a
    /// track on an existing sender needs no renegotiation.
    pub fn set_track(&self, slot: Slot, out: Option<Outgoing>) {
        if let Some(pending) = self.pending.borrow_mut().as_mut() {
            pending.retain(|o| o.slot != slot);
            pending.extend(out);
            return;
        }
        let sender = self.senders.borrow().get(&slot).cloned();
        match (sender, out) {
            (Some(sender), out) => {
                let promise = sender.replace_track(out.as_ref().map(|o| &o.track));
                wasm_bindgen_futures::spawn_local(async move {
                    if let Err(e) = js::wait(promise).await {
                        js::log(&format!("replaceTrack failed: {}", js::error_name(&e)));
                    }
                });
            }
            (None, Some(out)) => {
                let sender = self.pc.add_track_0(&out.track, &out.stream);
                self.senders.borrow_mut().insert(slot, sender);
            }
            (None, None) => {}
        }
    }

    /// The remote session this link talked to, for its replacement to ignore.
    pub fn remote_session(&self) -> Option<String> {
        self.remote_session.borrow().clone()
    }

    /// Drops late descriptions from the remote connection `session` (one this link replaced).
    pub fn ignore_session(&self, session: Option<String>) {
        *self.stale_session.borrow_mut() = session;
    }

    /// The sender of `slot`, once the connection has one.
    pub fn sender(&self, slot: Slot) -> Option<RtcRtpSender> {
        self.senders.borrow().get(&slot).cloned()
    }

    /// Stops sending in `slot` and removes it from the session (renegotiates).
    pub fn remove_slot(&self, slot: Slot) {
        if let Some(pending) = self.pending.borrow_mut().as_mut() {
            pending.retain(|o| o.slot != slot);
            return;
        }
        if let Some(sender) = self.senders.borrow_mut().remove(&slot) {
            self.pc.remove_track(&sender);
        }
    }

    async fn negotiate(self: Rc<Self>) {
        self.making_offer.set(true);
        let result = js::call_async(&self.pc, "setLocalDescription", &[]).await;
        match (result, self.pc.local_description()) {
            (Ok(_), Some(desc)) if desc.type_() == RtcSdpType::Offer => {
                self.offer_sent_at.set(js::now_ms());
                self.emit(LinkEvent::Signal(ClientMsg::Offer {
                    to: self.peer.clone(),
                    sdp: desc.sdp(),
                }));
            }
            (Err(e), _) => js::log(&format!("offer failed: {}", js::error_name(&e))),
            _ => {}
        }
        self.making_offer.set(false);
    }

    /// Sends my offer again if it is still unanswered after `ms`. Signaling written into a
    /// socket that died before anyone noticed is lost; without this, both sides could wait
    /// for each other forever.
    pub fn resend_offer_older_than(&self, ms: f64, now: f64) {
        if !negotiation::should_resend(
            self.closed.get(),
            self.making_offer.get(),
            self.pc.signaling_state() == RtcSignalingState::HaveLocalOffer,
            now - self.offer_sent_at.get(),
            ms,
        ) {
            return;
        }
        if let Some(mine) = self.pc.local_description()
            && mine.type_() == RtcSdpType::Offer
        {
            self.offer_sent_at.set(now);
            self.emit(LinkEvent::Signal(ClientMsg::Offer {
                to: self.peer.clone(),
                sdp: mine.sdp(),
            }));
        }
    }

    /// An offer or answer from the remote side.
    ///
    /// Perfect negotiation, with one change: on a collision the polite side does not roll its
    /// offer back, because after a rollback Chromium (148) never sends media on that
    /// connection again (new SSRCs, 0 bytes; reproduced with two bare RTCPeerConnections).
    /// It starts a fresh connection instead (`LinkEvent::Reset`); the other side sees an offer
    /// from a new session and does the same. Media on this link pauses for one negotiation.
    pub async fn handle_description(self: Rc<Self>, kind: RtcSdpType, sdp: String) {
        let is_offer = kind == RtcSdpType::Offer;
        let session = session_id(&sdp).map(str::to_owned);
        let state = self.pc.signaling_state();
        let decision = {
            let current = self.remote_session.borrow();
            let stale = self.stale_session.borrow();
            negotiation::decide(negotiation::View {
                is_offer,
                session: session.as_deref(),
                current: current.as_deref(),
                stale: stale.as_deref(),
                making_offer: self.making_offer.get(),
                stable: state == RtcSignalingState::Stable,
                answer_pending: self.answer_pending.get(),
                have_local_offer: state == RtcSignalingState::HaveLocalOffer,
                polite: self.polite,
            })
        };
        self.ignore_offer.set(decision == Decision::IgnoreAndResend);
        match decision {
            Decision::DropStale | Decision::DropDuplicateAnswer => return,
            Decision::ResetWithOffer => {
                self.emit(LinkEvent::Reset { offer: Some(sdp) });
                return;
            }
            Decision::ResetAndOffer => {
                self.emit(LinkEvent::Reset { offer: None });
                return;
            }
            Decision::IgnoreAndResend => {
                // My own offer is still unanswered: if it is not brand new it was probably
                // lost; send it again and the polite side will answer it.
                self.resend_offer_older_than(COLLIDING_OFFER_RETRY_MS, js::now_ms());
                return;
            }
            Decision::Apply => {}
        }
        self.answer_pending.set(!is_offer);
        let desc = RtcSessionDescriptionInit::new(kind);
        desc.set_sdp(&sdp);
        let applied = js::wait(self.pc.set_remote_description(&desc)).await;
        self.answer_pending.set(false);
        if let Err(e) = applied {
            js::log(&format!(
                "remote description refused: {}",
                js::error_name(&e)
            ));
            return;
        }
        *self.remote_session.borrow_mut() = session;
        if !is_offer {
            return;
        }
        // The first offer from a newcomer: my tracks join the transceivers it created, so
        // one answer sets up both directions.
        self.attach_tracks();
        match js::call_async(&self.pc, "setLocalDescription", &[]).await {
            Ok(_) => {
                if let Some(answer) = self.pc.local_description() {
                    self.emit(LinkEvent::Signal(ClientMsg::Answer {
                        to: self.peer.clone(),
                        sdp: answer.sdp(),
                    }));
                }
            }
            Err(e) => js::log(&format!("answer failed: {}", js::error_name(&e))),
        }
    }

    pub async fn handle_candidate(self: Rc<Self>, candidate: IceCandidate) {
        let init = RtcIceCandidateInit::new(&candidate.candidate);
        init.set_sdp_mid(candidate.sdp_mid.as_deref());
        init.set_sdp_m_line_index(candidate.sdp_m_line_index);
        let promise = self
            .pc
            .add_ice_candidate_with_opt_rtc_ice_candidate_init(Some(&init));
        if let Err(e) = js::wait(promise).await
            && !self.ignore_offer.get()
        {
            js::log(&format!("ICE candidate refused: {}", js::error_name(&e)));
        }
    }

    fn ice_health(&self) -> IceHealth {
        match self.pc.ice_connection_state() {
            RtcIceConnectionState::Connected | RtcIceConnectionState::Completed => IceHealth::Good,
            RtcIceConnectionState::Disconnected => IceHealth::Lost,
            RtcIceConnectionState::Failed => IceHealth::Failed,
            _ => IceHealth::Checking,
        }
    }

    fn handle_ice_state(self: &Rc<Self>) {
        let health = self.ice_health();
        match health {
            IceHealth::Good => self.emit(LinkEvent::State(LinkState::Connected)),
            IceHealth::Lost | IceHealth::Failed => self.emit(LinkState::Reconnecting.into()),
            IceHealth::Checking => {}
        }
        if self.recovery.borrow_mut().on_event(health, js::now_ms()) {
            self.restart_ice();
        }
    }

    /// Called every tick: restarts ICE again (with growing pauses, see `call::recovery`)
    /// while the path stays broken.
    pub fn heal(&self, now: f64) {
        if self.recovery.borrow_mut().due(self.ice_health(), now) {
            self.restart_ice();
        }
    }

    pub fn restart_ice(&self) {
        if self.closed.get() {
            return;
        }
        if let Err(e) = js::call(&self.pc, "restartIce", &[]) {
            js::log(&format!("restartIce failed: {}", js::error_name(&e)));
        }
    }

    pub fn close(&self) {
        self.closed.set(true);
        self.pc.set_onnegotiationneeded(None);
        self.pc.set_onicecandidate(None);
        self.pc.set_ontrack(None);
        self.pc.set_oniceconnectionstatechange(None);
        self.pc.close();
    }
}

impl From<LinkState> for LinkEvent {
    fn from(state: LinkState) -> Self {
        LinkEvent::State(state)
    }
}

impl Drop for PeerLink {
    fn drop(&mut self) {
        if !self.closed.get() {
            self.close();
        }
    }
}
