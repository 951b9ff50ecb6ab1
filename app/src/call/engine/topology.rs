//! The engine's media path switch: peer-to-peer links or one link to the SFU, as the server
//! decides per meeting. A switch never leaves a tile dark: the new path starts, and the old
//! one closes only once the new one delivers media (or after a deadline).

use super::remote::Path;
use super::{Engine, current};
use crate::call::js;
use crate::call::peer::PeerLink;
use crate::call::sfu_link::{SfuEvent, SfuLink};
use crate::call::{LinkState, Participant, Quality};
use leptos::prelude::*;
use protocol::signal::{ClientMsg, PeerId, SfuPublish, SfuTrack, Topology};
use std::rc::Rc;
use web_sys::MediaStream;

/// A new SFU session after the last one failed, this long later.
const SFU_RETRY_MS: i32 = 1000;
/// The old path closes once the new one has delivered this long (the tile moved over)...
const OVERLAP_MS: f64 = 500.0;
/// ...or at the latest after this long.
const SWITCH_DEADLINE_MS: f64 = 8000.0;

impl Engine {
    pub(super) fn topology(&self) -> Topology {
        self.topology.get()
    }

    /// The server decided how media flows in this meeting.
    pub(super) fn set_topology(self: &Rc<Self>, topology: Topology) {
        let before = self.topology.replace(topology);
        self.switch_started.set(js::now_ms());
        match topology {
            Topology::Sfu => {
                if self.sfu.borrow().is_none() {
                    self.start_sfu();
                }
            }
            Topology::P2p if before == Topology::Sfu => {
                // Everyone builds the mesh again: of each pair, the side with the larger id
                // offers, so exactly one offer crosses.
                let me = self.call.borrow().as_ref().and_then(|c| c.me.clone());
                let Some(me) = me else {
                    return;
                };
                for peer in self.state.peer_ids() {
                    self.link(&peer, me > peer);
                }
            }
            Topology::P2p => {}
        }
    }

    /// Opens a session with the SFU; the server answers `sfu_connect` with an offer.
    pub(super) fn start_sfu(self: &Rc<Self>) {
        let Some(config) = self.call.borrow().as_ref().map(|c| c.config.clone()) else {
            return;
        };
        let events = Rc::new(|event: SfuEvent| {
            if let Some(e) = current() {
                e.handle_sfu(event);
            }
        });
        match SfuLink::new(&config, self.outgoing(), events) {
            Ok(link) => {
                if let Some(old) = self.sfu.borrow_mut().replace(link) {
                    old.close();
                }
                self.send(&ClientMsg::SfuConnect);
                // A new session sends every camera until told otherwise.
                if self.state.local.with_untracked(|m| m.data_saver) {
                    self.send(&ClientMsg::SfuReceive { cameras: false });
                }
            }
            Err(e) => js::log(&format!(
                "RTCPeerConnection to the SFU failed: {}",
                js::error_name(&e)
            )),
        }
    }

    pub(super) fn close_sfu(&self) {
        if let Some(link) = self.sfu.borrow_mut().take() {
            link.close();
        }
        for remote in self.remotes.borrow_mut().values_mut() {
            remote.drop_sfu();
        }
        *self.sfu_camera_watch.borrow_mut() = None;
        self.update_camera_stalled();
    }

    pub(super) fn handle_sfu_offer(
        self: &Rc<Self>,
        sdp: String,
        publish: Vec<SfuPublish>,
        tracks: Vec<SfuTrack>,
    ) {
        let link = self.sfu.borrow().clone();
        match link {
            Some(link) => {
                wasm_bindgen_futures::spawn_local(link.handle_offer(sdp, publish, tracks));
            }
            // An offer for a session I no longer want (the meeting went back to P2P).
            None => self.send(&ClientMsg::SfuDisconnect),
        }
    }

    fn handle_sfu(self: &Rc<Self>, event: SfuEvent) {
        match event {
            SfuEvent::Signal(msg) => self.send(&msg),
            SfuEvent::Streams(peers) => {
                for (peer, remote) in self.remotes.borrow_mut().iter_mut() {
                    if !peers.contains(peer) {
                        remote.sfu.since = None;
                    }
                }
                if self.topology() == Topology::Sfu {
                    let connected = self.sfu.borrow().as_ref().is_some_and(|l| l.is_connected());
                    if connected {
                        self.state.peers.update(|list| {
                            for p in list.iter_mut().filter(|p| peers.contains(&p.info.id)) {
                                p.link = LinkState::Connected;
                            }
                        });
                    }
                }
                self.bump_streams();
            }
            SfuEvent::State(state) => {
                if self.topology() == Topology::Sfu {
                    let peers = self
                        .sfu
                        .borrow()
                        .as_ref()
                        .map(|l| l.peers())
                        .unwrap_or_default();
                    self.state.peers.update(|list| {
                        for p in list.iter_mut().filter(|p| peers.contains(&p.info.id)) {
                            p.link = state;
                        }
                    });
                }
            }
            SfuEvent::Failed => self.restart_sfu(),
        }
    }

    /// My session with the SFU is over (its connection failed, or the server ended it):
    /// closes it and, while the meeting uses the SFU, starts a new one shortly.
    pub(super) fn restart_sfu(self: &Rc<Self>) {
        self.close_sfu();
        self.bump_streams();
        if self.topology() == Topology::Sfu {
            js::after(SFU_RETRY_MS, || {
                if let Some(e) = current()
                    && e.topology() == Topology::Sfu
                    && e.sfu.borrow().is_none()
                {
                    e.start_sfu();
                }
            });
        }
    }

    /// `peer`'s camera + microphone stream (or its screen share) as the tiles should show
    /// it: through the path in use, or through the other one while a switch is under way.
    pub(super) fn remote_stream(&self, peer: &PeerId, screen: bool) -> Option<MediaStream> {
        let sfu = self
            .sfu
            .borrow()
            .as_ref()
            .and_then(|l| l.stream(peer, screen));
        let p2p = || {
            let screen_id = self
                .state
                .peer(peer)
                .and_then(|p| p.info.media.screen_stream);
            self.remotes.borrow().get(peer).and_then(|r| {
                r.streams
                    .iter()
                    .find(|s| (screen_id.as_deref() == Some(s.id().as_str())) == screen)
                    .cloned()
            })
        };
        // The path in use, once it delivers this participant's media; until then the other
        // one, so the tile does not go dark during a switch.
        let (sfu_ok, p2p_ok) = self.remotes.borrow().get(peer).map_or((false, false), |r| {
            (r.sfu.since.is_some(), r.p2p.since.is_some())
        });
        match self.topology() {
            Topology::Sfu if sfu_ok => sfu.or_else(p2p),
            Topology::Sfu => p2p().or(sfu),
            Topology::P2p if p2p_ok || sfu.is_none() => p2p().or(sfu),
            Topology::P2p => sfu.or_else(p2p),
        }
    }

    /// Participants with a remote stream on either path.
    pub(super) fn peers_with_streams(&self) -> Vec<PeerId> {
        let mut peers: Vec<PeerId> = self
            .remotes
            .borrow()
            .iter()
            .filter(|(_, r)| !r.streams.is_empty())
            .map(|(peer, _)| peer.clone())
            .collect();
        if let Some(link) = self.sfu.borrow().as_ref() {
            for peer in link.peers() {
                if !peers.contains(&peer) {
                    peers.push(peer);
                }
            }
        }
        peers
    }

    /// A switch of paths started recently and the old one is still open.
    pub(super) fn switching(&self, now: f64) -> bool {
        now - self.switch_started.get() < SWITCH_DEADLINE_MS
            && match self.topology() {
                Topology::Sfu => self.remotes.borrow().values().any(|r| r.link.is_some()),
                Topology::P2p => self.sfu.borrow().is_some(),
            }
    }

    /// Records that `peer`'s media arrives through `path`, and moves their tiles over when
    /// it is new.
    pub(super) fn note_delivery(&self, path: Path, peer: &PeerId, quality: &Quality) {
        let Some(info) = self.state.peer(peer) else {
            return;
        };
        if !quality.delivers(&info.info.media) {
            return;
        }
        let new = {
            let mut remotes = self.remotes.borrow_mut();
            let since = &mut remotes.entry(peer.clone()).or_default().path(path).since;
            let new = since.is_none();
            if new {
                *since = Some(js::now_ms());
            }
            new
        };
        if new {
            self.bump_streams();
        }
    }

    /// Called every tick: closes the old path once the new one carries everyone.
    pub(super) fn finish_switch(&self) {
        let now = js::now_ms();
        let overdue = now - self.switch_started.get() > SWITCH_DEADLINE_MS;
        match self.topology() {
            Topology::Sfu => {
                // Each link whose participant the SFU has delivered for a while goes.
                let ready: Vec<Rc<PeerLink>> = self
                    .remotes
                    .borrow_mut()
                    .values_mut()
                    .filter(|r| {
                        r.link.is_some()
                            && (overdue || r.sfu.since.is_some_and(|t| now - t > OVERLAP_MS))
                    })
                    .filter_map(|r| r.drop_p2p())
                    .collect();
                if ready.is_empty() {
                    return;
                }
                for link in ready {
                    link.close();
                }
                self.update_camera_stalled();
                self.bump_streams();
            }
            Topology::P2p => {
                if self.sfu.borrow().is_none() {
                    return;
                }
                let peers: Vec<Participant> = self.state.peers.get_untracked();
                let all_up = {
                    let remotes = self.remotes.borrow();
                    peers.iter().all(|p| {
                        remotes.get(&p.info.id).is_some_and(|r| {
                            r.link.as_ref().is_some_and(|l| l.is_connected())
                                && r.p2p.since.is_some_and(|t| now - t > OVERLAP_MS)
                        })
                    })
                };
                if all_up || overdue {
                    self.send(&ClientMsg::SfuDisconnect);
                    self.close_sfu();
                    self.bump_streams();
                }
            }
        }
    }
}
