//! The engine's signaling side: the socket and its resume, server messages, and the peer
//! links they create.

use super::{Engine, RESUME_WINDOW_MS, current};
use crate::call::js;
use crate::call::peer::{LinkEvent, PeerLink};
use crate::call::socket::{Socket, SocketEvent};
use crate::call::{LinkState, Participant, Phase, TileKey};
use leptos::prelude::*;
use protocol::signal::{
    ClientMsg, EndReason, MAX_HELD_RELAYS, PROTOCOL_VERSION, PeerId, PeerInfo, ServerMsg,
    SignalErrorCode, Topology,
};
use std::rc::Rc;
use web_sys::RtcSdpType;

impl Engine {
    // ---- signaling ----

    /// Sends `msg` now if the socket can take it. Offers, answers and candidates made while
    /// reconnecting wait for the resume (`MAX_HELD_RELAYS` of them); a media update is
    /// dropped, since `welcome` sends the current one.
    pub(super) fn send(&self, msg: &ClientMsg) {
        let mut call = self.call.borrow_mut();
        let Some(call) = call.as_mut() else {
            return;
        };
        let ready = call.welcomed && call.socket.as_ref().is_some_and(Socket::is_open);
        let relay = matches!(
            msg,
            ClientMsg::Offer { .. }
                | ClientMsg::Answer { .. }
                | ClientMsg::Ice { .. }
                | ClientMsg::SfuAnswer { .. }
        );
        match (&call.socket, ready, relay) {
            (Some(socket), true, _) => socket.send(msg),
            (_, false, true) => {
                if call.me.is_some() && call.unsent.len() < MAX_HELD_RELAYS {
                    call.unsent.push(msg.clone());
                }
            }
            (_, false, false) if matches!(msg, ClientMsg::Media { .. }) => {}
            (Some(socket), _, _) => socket.send(msg),
            (None, _, _) => {}
        }
    }

    pub(super) fn send_media(&self) {
        if let Some(media) = self.state.local.try_get_untracked() {
            self.send(&ClientMsg::Media { media });
        }
    }

    pub(super) fn open_socket(self: &Rc<Self>) {
        let mut call = self.call.borrow_mut();
        let Some(call) = call.as_mut() else {
            return;
        };
        call.socket_gen += 1;
        call.welcomed = false;
        let generation = call.socket_gen;
        call.socket = Socket::open(move |event| {
            if let Some(e) = current() {
                e.handle_socket(generation, event);
            }
        });
        call.last_heard = js::now_ms();
    }

    pub(super) fn handle_socket(self: &Rc<Self>, generation: u32, event: SocketEvent) {
        let hello = {
            let mut call = self.call.borrow_mut();
            let Some(call) = call.as_mut().filter(|c| c.socket_gen == generation) else {
                return;
            };
            call.last_heard = js::now_ms();
            match &event {
                SocketEvent::Open => Some(match &call.resume {
                    Some(token) => ClientMsg::Hello {
                        version: PROTOCOL_VERSION,
                        ticket: None,
                        resume: Some(token.clone()),
                    },
                    None => ClientMsg::Hello {
                        version: PROTOCOL_VERSION,
                        ticket: Some(call.ticket.ticket.clone()),
                        resume: None,
                    },
                }),
                _ => None,
            }
        };
        match event {
            SocketEvent::Open => {
                if let Some(hello) = hello {
                    self.send(&hello);
                }
            }
            SocketEvent::Message(msg) => self.handle_server(msg),
            SocketEvent::Garbled => js::log("signaling: unreadable message ignored"),
            SocketEvent::Closed => self.handle_socket_closed(),
        }
    }

    pub(super) fn handle_socket_closed(self: &Rc<Self>) {
        let now = js::now_ms();
        let (can_resume, dropped_at, attempts) = {
            let mut call = self.call.borrow_mut();
            let Some(call) = call.as_mut() else {
                return;
            };
            call.socket = None;
            call.welcomed = false;
            let dropped_at = *call.dropped_at.get_or_insert(now);
            call.attempts += 1;
            (call.resume.is_some(), dropped_at, call.attempts)
        };
        if !can_resume {
            self.end("Could not connect to the meeting. Check your connection and try again.");
            return;
        }
        if now - dropped_at > RESUME_WINDOW_MS {
            self.end("Lost the connection to the meeting for too long.");
            return;
        }
        self.state.phase.set(Phase::Reconnecting);
        let delay = (250 * 2_i32.pow(attempts.min(4))).min(4000);
        js::after(delay, || {
            if let Some(e) = current()
                && e.call.borrow().as_ref().is_some_and(|c| c.socket.is_none())
            {
                e.open_socket();
            }
        });
    }

    pub(super) fn handle_server(self: &Rc<Self>, msg: ServerMsg) {
        match msg {
            ServerMsg::Welcome {
                you,
                resume_token,
                peers,
                topology,
                locked,
                role,
                ..
            } => {
                self.state.locked.set(locked);
                self.handle_welcome(you, resume_token, peers, topology);
                if let Some(role) = role {
                    self.state
                        .me
                        .update(|me| me.iter_mut().for_each(|m| m.role = role));
                }
                // The history (again after a resume: what was said meanwhile; lines merge).
                self.request_history(None);
            }
            ServerMsg::Topology { topology } => self.set_topology(topology),
            ServerMsg::SfuOffer {
                sdp,
                publish,
                tracks,
            } => self.handle_sfu_offer(sdp, publish, tracks),
            ServerMsg::SfuClosed { message } => {
                js::log(&format!("the SFU ended my media session: {message}"));
                if self.sfu.borrow().is_some() {
                    self.restart_sfu();
                }
            }
            ServerMsg::PeerJoined { peer } => {
                self.system_line(format!("{} joined", peer.display_name));
                self.upsert_peer(peer);
            }
            ServerMsg::PeerUpdated { peer } if self.is_me(&peer.id) => {
                // My role changed, or a host lowered my hand.
                self.state.hand.set(peer.hand.is_some());
                if !peer.role.runs_room() {
                    self.state.lobby.set(Vec::new());
                }
                self.state
                    .me
                    .update(|me| me.iter_mut().for_each(|m| m.role = peer.role));
            }
            ServerMsg::PeerUpdated { peer } => {
                let before = self.state.peer(&peer.id);
                let screen_changed = before
                    .as_ref()
                    .is_none_or(|p| p.info.media.screen_stream != peer.media.screen_stream);
                let saver_changed = before
                    .as_ref()
                    .is_some_and(|p| p.info.media.data_saver != peer.media.data_saver);
                if let Some(before) = &before {
                    let name = &peer.display_name;
                    if before.info.media.audio != peer.media.audio {
                        let state = if peer.media.audio { "unmuted" } else { "muted" };
                        self.state.announce(format!("{name} {state}"));
                    }
                    if before.info.reconnecting != peer.reconnecting {
                        let state = if peer.reconnecting {
                            "is reconnecting"
                        } else {
                            "is back"
                        };
                        self.state.announce(format!("{name} {state}"));
                    }
                    if before.info.hand.is_none() && peer.hand.is_some() {
                        self.state.announce(format!("{name} raised a hand"));
                    }
                }
                self.upsert_peer(peer);
                if screen_changed {
                    self.bump_streams();
                }
                if saver_changed {
                    self.apply_camera_budget();
                }
            }
            ServerMsg::PeerLeft { peer } => {
                if let Some(p) = self.state.peer(&peer) {
                    self.system_line(format!("{} left", p.info.display_name));
                }
                self.remove_peer(&peer);
            }
            ServerMsg::Offer { from, .. } | ServerMsg::Ice { from, .. }
                if self.stale.borrow().contains(&from) =>
            {
                js::log("signaling: a message for the page before the reload ignored");
            }
            ServerMsg::Offer { from, sdp } => {
                let link = self.link(&from, false);
                if let Some(link) = link {
                    wasm_bindgen_futures::spawn_local(
                        link.handle_description(RtcSdpType::Offer, sdp),
                    );
                }
            }
            ServerMsg::Answer { from, sdp } => {
                self.stale.borrow_mut().remove(&from);
                if let Some(link) = self.link_of(&from) {
                    wasm_bindgen_futures::spawn_local(
                        link.handle_description(RtcSdpType::Answer, sdp),
                    );
                }
            }
            ServerMsg::Ice { from, candidate } => {
                if let Some(link) = self.link_of(&from) {
                    wasm_bindgen_futures::spawn_local(link.handle_candidate(candidate));
                }
            }
            ServerMsg::Ping { nonce } => self.send(&ClientMsg::Pong { nonce }),
            ServerMsg::Pong { .. } => {}
            ServerMsg::Error { code, message } => self.handle_error(code, message),
            // The host may open their meeting again; for everyone else it stays ended until
            // they do (the server refuses them meanwhile).
            ServerMsg::PeerRestarted { peer } => {
                // Their old page is gone with its link; they offer a new one.
                let link = self
                    .remotes
                    .borrow_mut()
                    .get_mut(&peer)
                    .and_then(|r| r.drop_p2p());
                if let Some(link) = link {
                    link.close();
                }
                self.bump_streams();
            }
            ServerMsg::MeetingEnded { reason } => match reason {
                EndReason::Host
                    if self.state.me.with_untracked(|me| {
                        me.as_ref()
                            .is_some_and(|m| m.role == protocol::signal::Role::Host)
                    }) =>
                {
                    self.end("You ended the meeting for everyone.")
                }
                EndReason::Host => self.end_for_good(
                    "The host ended the meeting for everyone. It opens again when the host joins.",
                ),
                EndReason::Deleted => self.end_for_good("The host deleted this meeting."),
            },
            other => self.handle_meeting(other),
        }
    }

    fn is_me(&self, id: &PeerId) -> bool {
        self.call
            .borrow()
            .as_ref()
            .is_some_and(|c| c.me.as_ref() == Some(id))
    }

    pub(super) fn handle_welcome(
        self: &Rc<Self>,
        you: PeerId,
        resume_token: String,
        peers: Vec<PeerInfo>,
        topology: Topology,
    ) {
        let (resumed, fresh) = {
            let mut call = self.call.borrow_mut();
            let Some(call) = call.as_mut() else {
                return;
            };
            let resumed = call.me.as_ref() == Some(&you);
            let fresh = std::mem::take(&mut call.fresh);
            crate::call::seat::keep(&crate::call::seat::KeptSeat {
                resume_token: resume_token.clone(),
                ticket: call.ticket.clone(),
                at_ms: js::now_ms(),
            });
            call.me = Some(you.clone());
            call.welcomed = true;
            call.resume = Some(resume_token);
            call.dropped_at = None;
            call.attempts = 0;
            if !resumed {
                self.state.me.set(Some(PeerInfo {
                    id: you,
                    display_name: call.ticket.display_name.clone(),
                    role: call.ticket.role,
                    media: self.state.local.get_untracked(),
                    reconnecting: false,
                    hand: None,
                    avatar: call.ticket.avatar.clone(),
                }));
            }
            (resumed, fresh)
        };
        let unsent = self
            .call
            .borrow_mut()
            .as_mut()
            .map(|c| std::mem::take(&mut c.unsent))
            .unwrap_or_default();
        self.state.phase.set(Phase::InCall);
        if fresh {
            // Before my offers: the others drop the links they had to my old page first, and
            // what they sent that page (held while the socket was down) is not for this one.
            self.send(&ClientMsg::Restarted);
            if topology == Topology::P2p {
                *self.stale.borrow_mut() = peers.iter().map(|p| p.id.clone()).collect();
            }
        }
        self.send_media();
        if resumed {
            // What I said to the others while away goes first, in order.
            for msg in &unsent {
                self.send(msg);
            }
            // Whoever left while I was away is gone; links that broke meanwhile renegotiate.
            let present: Vec<PeerId> = peers.iter().map(|p| p.id.clone()).collect();
            let known = self.state.peer_ids();
            for id in known.iter().filter(|id| !present.contains(id)) {
                self.remove_peer(id);
            }
            for link in self.links() {
                let state = self.state.peer(&link.peer).map(|p| p.link);
                if state != Some(LinkState::Connected) {
                    link.restart_ice();
                }
            }
        }
        let mesh = topology == Topology::P2p;
        if topology != self.topology() {
            self.set_topology(topology);
        } else if topology == Topology::Sfu && resumed {
            // The SFU session may have died with the socket; a new one is cheap.
            let connected = self.sfu.borrow().as_ref().is_some_and(|s| s.is_connected());
            if !connected {
                self.start_sfu();
            }
        }
        for peer in peers {
            let id = peer.id.clone();
            let new = self.state.peer(&id).is_none();
            self.upsert_peer(peer);
            if new && mesh {
                // I am the newcomer: I offer to everyone already here.
                self.link(&id, true);
            }
        }
    }

    pub(super) fn handle_error(&self, code: SignalErrorCode, message: String) {
        match code {
            SignalErrorCode::InvalidTicket | SignalErrorCode::UnsupportedVersion
                if self.call.borrow().as_ref().is_some_and(|c| c.fresh) =>
            {
                // The kept seat was gone (too late, or the meeting ended): the pre-join, with
                // what this tab typed, as a reload showed before.
                crate::call::seat::forget();
                self.close_call();
                self.state.phase.set(Phase::Lobby);
            }
            SignalErrorCode::InvalidTicket | SignalErrorCode::UnsupportedVersion => {
                let resuming = self
                    .call
                    .borrow()
                    .as_ref()
                    .is_some_and(|c| c.resume.is_some());
                if resuming {
                    self.end(
                        "You were away too long and left the meeting. Join again to continue.",
                    );
                } else {
                    self.end(&message);
                }
            }
            _ => js::log(&format!("signaling error {code:?}: {message}")),
        }
    }

    pub(super) fn upsert_peer(&self, info: PeerInfo) {
        let id = info.id.clone();
        let mut info = Some(info);
        self.state.peers.update(|list| {
            if let Some(p) = list.iter_mut().find(|p| p.info.id == id) {
                p.info = info.take().expect("taken once");
            } else if let Some(info) = info.take() {
                list.push(Participant {
                    info,
                    link: LinkState::Connecting,
                    speaking: false,
                    quality: None,
                });
            }
        });
    }

    pub(super) fn remove_peer(&self, id: &PeerId) {
        // Their whole record goes: link, streams, meter, samples, camera watch.
        let gone = self.remotes.borrow_mut().remove(id);
        if let Some(link) = gone.and_then(|r| r.link) {
            link.close();
        }
        self.update_camera_stalled();
        self.state
            .peers
            .update(|list| list.retain(|p| &p.info.id != id));
        let pinned = self.state.pinned.try_get_untracked().flatten();
        if matches!(&pinned, Some(TileKey::Camera(p) | TileKey::Screen(p)) if p == id) {
            self.state.pinned.set(None);
        }
        self.bump_streams();
    }

    /// Swaps the link to `peer` for a fresh connection (see `PeerLink::handle_description`):
    /// I offer on it, or answer the remote side's `offer` that started it.
    fn replace_link(self: &Rc<Self>, peer: &PeerId, offer: Option<String>) {
        let old = self.remotes.borrow_mut().get_mut(peer).and_then(|r| {
            let link = r.link.take();
            r.streams.clear();
            r.p2p.sample = None;
            link
        });
        let Some(old) = old else {
            return;
        };
        js::log("signaling: starting a fresh connection after an offer collision");
        old.close();
        self.bump_streams();
        let Some(link) = self.link(peer, offer.is_none()) else {
            return;
        };
        link.ignore_session(old.remote_session());
        if let Some(sdp) = offer {
            wasm_bindgen_futures::spawn_local(link.handle_description(RtcSdpType::Offer, sdp));
        }
    }

    /// The link to `peer`, created if missing (`offer`: I start the negotiation).
    pub(super) fn link(self: &Rc<Self>, peer: &PeerId, offer: bool) -> Option<Rc<PeerLink>> {
        if let Some(link) = self.link_of(peer) {
            return Some(link);
        }
        let (me, config) = {
            let call = self.call.borrow();
            let call = call.as_ref()?;
            (call.me.clone()?, call.config.clone())
        };
        let events = Rc::new(|peer: &PeerId, event: LinkEvent| {
            if let Some(e) = current() {
                e.handle_link(peer, event);
            }
        });
        match PeerLink::new(&me, peer.clone(), &config, self.outgoing(), offer, events) {
            Ok(link) => {
                self.remotes
                    .borrow_mut()
                    .entry(peer.clone())
                    .or_default()
                    .link = Some(link.clone());
                Some(link)
            }
            Err(e) => {
                js::log(&format!("RTCPeerConnection failed: {}", js::error_name(&e)));
                None
            }
        }
    }

    pub(super) fn handle_link(self: &Rc<Self>, peer: &PeerId, event: LinkEvent) {
        match event {
            LinkEvent::Signal(msg) => self.send(&msg),
            LinkEvent::Track(stream) => {
                {
                    let mut remotes = self.remotes.borrow_mut();
                    let streams = &mut remotes.entry(peer.clone()).or_default().streams;
                    if !streams.iter().any(|s| s.id() == stream.id()) {
                        streams.push(stream);
                    }
                }
                self.bump_streams();
            }
            LinkEvent::State(link) => self.state.update_peer(peer, |p| p.link = link),
            LinkEvent::Reset { offer } => self.replace_link(peer, offer),
        }
    }
}
