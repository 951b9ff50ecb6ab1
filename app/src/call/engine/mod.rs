//! The browser side of a call: local devices, the signaling socket (with resume), one peer
//! link per remote participant, and the remote streams they deliver. It owns every JS object
//! and writes what the UI needs into `CallState`.
//!
//! Remote media arrives as "streams from a source": each `PeerLink` is a source, and so is
//! the one `SfuLink` (see `topology`); tiles ask `streams_of` and never know which.
//!
//! Beware: `MediaStream` and `MediaStreamTrack` have an inherent `clone()` that calls the JS
//! method and makes a *new* stream or track. `Clone::clone(&x)` copies the handle.

mod controls;
mod signaling;
mod topology;

pub use controls::{
    attach, choose_device, enter, leave, shutdown, start_preview, toggle_camera, toggle_mic,
    toggle_screen,
};

use crate::call::encode_watch::EncodeWatch;
use crate::call::js;
use crate::call::meter::{self, Meter};
use crate::call::peer::{OFFER_RETRY_MS, Outgoing, PeerLink, Slot};
use crate::call::sfu_link::SfuLink;
use crate::call::socket::Socket;
use crate::call::speaking::{SPEAKING_LEVEL, Speaking};
use crate::call::stats::{self, Sample};
use crate::call::{CallState, LinkState, Phase, TileKey};
use leptos::prelude::*;
use protocol::signal::{ClientMsg, JoinTicket, PeerId, Topology};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use web_sys::{AudioContext, MediaStream, MediaStreamTrack, RtcConfiguration, RtcRtpSender};

const TICK_MS: i32 = 100;
/// Give up resuming after this long (the server keeps the seat for 30 s by default).
const RESUME_WINDOW_MS: f64 = 30_000.0;
/// The server pings every 15 s; three missed pings mean the socket is dead.
const SILENCE_LIMIT_MS: f64 = 45_000.0;

/// An interval timer's id and the callback it must keep alive.
type Ticker = (i32, Closure<dyn FnMut()>);

thread_local! {
    static ENGINE: RefCell<Option<Rc<Engine>>> = const { RefCell::new(None) };
}

fn current() -> Option<Rc<Engine>> {
    ENGINE.with(|e| e.borrow().clone())
}

/// The engine for `state`, created on first use.
fn engine(state: CallState) -> Rc<Engine> {
    if let Some(e) = current() {
        return e;
    }
    let e = Rc::new(Engine::new(state));
    ENGINE.with(|slot| *slot.borrow_mut() = Some(e.clone()));
    e.start_ticker();
    e
}

/// A signaling session: present from "join" until leaving.
struct Call {
    ticket: JoinTicket,
    config: RtcConfiguration,
    me: Option<PeerId>,
    resume: Option<String>,
    socket: Option<Socket>,
    /// The current socket has had its `welcome`: the server takes meeting messages on it.
    welcomed: bool,
    /// Offers, answers and candidates made while the socket was down, sent on resume.
    unsent: Vec<ClientMsg>,
    /// Counts sockets so events from an old one are ignored.
    socket_gen: u32,
    dropped_at: Option<f64>,
    attempts: u32,
    last_heard: f64,
}

struct Engine {
    state: CallState,
    /// My camera and microphone tracks, grouped in one stream (remote sides group by stream).
    local_stream: MediaStream,
    camera: RefCell<Option<MediaStreamTrack>>,
    mic: RefCell<Option<MediaStreamTrack>>,
    screen: RefCell<Option<MediaStream>>,
    /// Shared by every level meter of this page (mine and each remote microphone).
    audio: Option<AudioContext>,
    /// My microphone's level.
    meter: RefCell<Option<Meter>>,
    /// Each remote microphone's level and speaking hold.
    peer_meters: RefCell<HashMap<PeerId, (Meter, Speaking)>>,
    call: RefCell<Option<Call>>,
    links: RefCell<HashMap<PeerId, Rc<PeerLink>>>,
    /// Remote streams through peer links.
    remote: RefCell<HashMap<PeerId, Vec<MediaStream>>>,
    /// How media flows in this meeting (the server decides).
    topology: Cell<Topology>,
    /// When the last topology switch started.
    switch_started: Cell<f64>,
    sfu: RefCell<Option<Rc<SfuLink>>>,
    /// Since when each path delivers each participant's media (see `Quality::delivers`):
    /// a tile switches to a path only once it does.
    sfu_arrived: RefCell<HashMap<PeerId, f64>>,
    p2p_flowing: RefCell<HashMap<PeerId, f64>>,
    stats: RefCell<HashMap<PeerId, Sample>>,
    /// Per participant, their share of my connection to the SFU.
    sfu_stats: RefCell<HashMap<PeerId, Sample>>,
    /// Per link: is my camera really encoded for them, and the verdict of the last sample.
    camera_watch: RefCell<HashMap<PeerId, (EncodeWatch, bool)>>,
    ticks: Cell<u64>,
    ticker: RefCell<Option<Ticker>>,
    me_speaking: Speaking,
    pagehide: RefCell<Option<Closure<dyn FnMut()>>>,
    screen_ended: RefCell<Option<Closure<dyn FnMut()>>>,
    alive: Cell<bool>,
}

impl Engine {
    fn new(state: CallState) -> Self {
        Self {
            state,
            local_stream: MediaStream::new().expect("MediaStream exists in WebRTC browsers"),
            camera: RefCell::new(None),
            mic: RefCell::new(None),
            screen: RefCell::new(None),
            audio: meter::context(),
            meter: RefCell::new(None),
            peer_meters: RefCell::new(HashMap::new()),
            call: RefCell::new(None),
            links: RefCell::new(HashMap::new()),
            remote: RefCell::new(HashMap::new()),
            topology: Cell::new(Topology::P2p),
            switch_started: Cell::new(0.0),
            sfu: RefCell::new(None),
            sfu_arrived: RefCell::new(HashMap::new()),
            p2p_flowing: RefCell::new(HashMap::new()),
            stats: RefCell::new(HashMap::new()),
            sfu_stats: RefCell::new(HashMap::new()),
            camera_watch: RefCell::new(HashMap::new()),
            ticks: Cell::new(0),
            ticker: RefCell::new(None),
            me_speaking: Speaking::default(),
            pagehide: RefCell::new(None),
            screen_ended: RefCell::new(None),
            alive: Cell::new(true),
        }
    }

    pub(super) fn start_ticker(self: &Rc<Self>) {
        let weak = Rc::downgrade(self);
        let tick = Closure::<dyn FnMut()>::new(move || {
            if let Some(e) = weak.upgrade() {
                e.tick();
            }
        });
        let id = web_sys::window()
            .and_then(|w| {
                w.set_interval_with_callback_and_timeout_and_arguments_0(
                    tick.as_ref().unchecked_ref(),
                    TICK_MS,
                )
                .ok()
            })
            .unwrap_or(0);
        *self.ticker.borrow_mut() = Some((id, tick));
        // Closing the tab runs no cleanup; say goodbye so others do not wait out the resume
        // window for someone who is gone.
        let on_pagehide = Closure::<dyn FnMut()>::new(|| {
            if let Some(e) = current() {
                e.send(&ClientMsg::Leave);
            }
        });
        if let Some(w) = web_sys::window() {
            let _ = w
                .add_event_listener_with_callback("pagehide", on_pagehide.as_ref().unchecked_ref());
        }
        *self.pagehide.borrow_mut() = Some(on_pagehide);
    }

    pub(super) fn bump_streams(&self) {
        self.state.streams_rev.update(|r| *r += 1);
    }

    // ---- local media ----

    pub(super) fn outgoing(&self) -> Vec<Outgoing> {
        let mut out = Vec::new();
        let cam = self.camera.borrow().clone();
        let mic = self.mic.borrow().clone();
        for (slot, track) in [(Slot::Mic, mic), (Slot::Camera, cam)] {
            if let Some(track) = track {
                out.push(Outgoing {
                    slot,
                    track,
                    stream: Clone::clone(&self.local_stream),
                });
            }
        }
        if let Some(screen) = self.screen.borrow().as_ref() {
            out.extend(screen_outgoing(screen));
        }
        out
    }

    /// Puts `new` in place of `old` in my stream and on every connection (replaceTrack where
    /// a sender exists), and stops `old`.
    fn swap_local_track(
        &self,
        slot: Slot,
        old: Option<MediaStreamTrack>,
        new: &Option<MediaStreamTrack>,
    ) {
        if let Some(old) = old {
            old.stop();
            self.local_stream.remove_track(&old);
        }
        if let Some(t) = new {
            self.local_stream.add_track(t);
        }
        let out = new.clone().map(|track| Outgoing {
            slot,
            track,
            stream: Clone::clone(&self.local_stream),
        });
        for link in self.links.borrow().values() {
            link.set_track(slot, out.clone());
        }
        if let Some(sfu) = self.sfu.borrow().as_ref() {
            sfu.set_track(slot, out);
        }
    }

    pub(super) fn set_camera(&self, track: Option<MediaStreamTrack>) {
        let old = self.camera.borrow_mut().take();
        self.swap_local_track(Slot::Camera, old, &track);
        let on = track.is_some();
        *self.camera.borrow_mut() = track;
        self.state.has_camera.set(on);
        self.state.local.update(|m| m.video = on);
        self.bump_streams();
        self.send_media();
    }

    pub(super) fn set_mic(&self, track: Option<MediaStreamTrack>) {
        let enabled = self
            .state
            .local
            .try_get_untracked()
            .is_some_and(|m| m.audio);
        *self.meter.borrow_mut() = self
            .audio
            .as_ref()
            .zip(track.as_ref())
            .and_then(|(context, t)| Meter::new(context, t));
        if let Some(t) = &track {
            t.set_enabled(enabled);
        }
        let old = self.mic.borrow_mut().take();
        self.swap_local_track(Slot::Mic, old, &track);
        self.state.has_mic.set(track.is_some());
        if track.is_none() {
            self.state.local.update(|m| m.audio = false);
        }
        *self.mic.borrow_mut() = track;
        self.send_media();
    }

    pub(super) fn stop_screen(&self) {
        let Some(screen) = self.screen.borrow_mut().take() else {
            return;
        };
        for t in screen.get_tracks().iter() {
            if let Ok(t) = t.dyn_into::<MediaStreamTrack>() {
                t.set_onended(None);
                t.stop();
            }
        }
        *self.screen_ended.borrow_mut() = None;
        for link in self.links.borrow().values() {
            link.remove_slot(Slot::ScreenVideo);
            link.remove_slot(Slot::ScreenAudio);
        }
        if let Some(sfu) = self.sfu.borrow().as_ref() {
            sfu.set_track(Slot::ScreenVideo, None);
            sfu.set_track(Slot::ScreenAudio, None);
        }
        self.state.local.update(|m| {
            m.screen = false;
            m.screen_stream = None;
        });
        if self.state.pinned.try_get_untracked().flatten() == Some(TileKey::MyScreen) {
            self.state.pinned.set(None);
        }
        self.bump_streams();
        self.send_media();
    }

    pub(super) fn start_screen(&self, screen: MediaStream) {
        // The browser's own "Stop sharing" button ends the video track.
        let on_ended = Closure::<dyn FnMut()>::new(|| {
            if let Some(e) = current() {
                e.stop_screen();
            }
        });
        let out = screen_outgoing(&screen);
        for o in &out {
            if o.slot == Slot::ScreenVideo {
                o.track.set_onended(Some(on_ended.as_ref().unchecked_ref()));
            }
        }
        for link in self.links.borrow().values() {
            for o in &out {
                link.set_track(o.slot, Some(o.clone()));
            }
        }
        if let Some(sfu) = self.sfu.borrow().as_ref() {
            for o in &out {
                sfu.set_track(o.slot, Some(o.clone()));
            }
        }
        self.state.local.update(|m| {
            m.screen = true;
            m.screen_stream = Some(screen.id());
        });
        *self.screen.borrow_mut() = Some(screen);
        *self.screen_ended.borrow_mut() = Some(on_ended);
        self.bump_streams();
        self.send_media();
    }

    pub(super) fn release_devices(&self) {
        self.stop_screen();
        for track in [
            self.camera.borrow_mut().take(),
            self.mic.borrow_mut().take(),
        ]
        .into_iter()
        .flatten()
        {
            track.stop();
            self.local_stream.remove_track(&track);
        }
        *self.meter.borrow_mut() = None;
    }

    // ---- periodic work ----

    pub(super) fn tick(self: &Rc<Self>) {
        let n = self.ticks.get() + 1;
        self.ticks.set(n);
        let muted = !self
            .state
            .local
            .try_get_untracked()
            .is_some_and(|m| m.audio);
        if let Some(context) = &self.audio {
            meter::wake(context);
        }
        let level = match self.meter.borrow_mut().as_mut() {
            Some(m) if !muted => m.level(),
            _ => 0.0,
        };
        self.state.mic_level.set(level);
        let now = js::now_ms();
        let me_speaking = self.me_speaking.update(level > SPEAKING_LEVEL, now);
        if self.state.me_speaking.get_untracked() != me_speaking {
            self.state.me_speaking.set(me_speaking);
        }
        self.update_remote_speaking(now);
        if self.call.borrow().as_ref().is_some_and(|c| c.welcomed) {
            let links: Vec<Rc<PeerLink>> = self.links.borrow().values().cloned().collect();
            for link in links {
                link.resend_offer_older_than(OFFER_RETRY_MS, now);
                link.heal(now);
            }
            self.finish_switch();
        }
        // While a switch of paths is under way, sample often: the tiles move to the new path
        // as soon as it delivers.
        let every = if self.switching(now) { 3 } else { 20 };
        if n.is_multiple_of(every) {
            self.sample_stats();
            self.sample_sfu_stats();
        }
        if n.is_multiple_of(20) {
            self.check_silence();
        }
    }

    /// Measures each remote microphone (the audio of a peer's camera stream, not of a screen
    /// share) and updates their speaking rings.
    fn update_remote_speaking(&self, now: f64) {
        let Some(context) = &self.audio else {
            return;
        };
        let peers = self.peers_with_streams();
        let mut meters = self.peer_meters.borrow_mut();
        meters.retain(|peer, _| peers.contains(peer));
        for peer in &peers {
            let Some(info) = self.state.peer(peer) else {
                continue;
            };
            let mic = self.remote_stream(peer, false).and_then(|s| {
                s.get_audio_tracks()
                    .get(0)
                    .dyn_into::<MediaStreamTrack>()
                    .ok()
            });
            let Some(mic) = mic else {
                meters.remove(peer);
                continue;
            };
            if meters
                .get(peer)
                .is_none_or(|(m, _)| m.track_id() != mic.id())
                && let Some(m) = Meter::new(context, &mic)
            {
                meters.insert(peer.clone(), (m, Speaking::default()));
            }
            let speaking = meters
                .get_mut(peer)
                .is_some_and(|(m, hold)| hold.update(m.level() > SPEAKING_LEVEL, now));
            if info.speaking != speaking {
                self.state.update_peer(peer, |p| p.speaking = speaking);
            }
        }
    }

    pub(super) fn sample_stats(self: &Rc<Self>) {
        let links: Vec<Rc<PeerLink>> = self.links.borrow().values().cloned().collect();
        for link in links {
            let engine = self.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let previous = engine.stats.borrow().get(&link.peer).copied();
                if let Some((sample, quality)) =
                    stats::sample(link.connection(), previous, None).await
                    && engine.alive.get()
                {
                    engine.stats.borrow_mut().insert(link.peer.clone(), sample);
                    engine.note_delivery(&engine.p2p_flowing, &link.peer, &quality);
                    engine
                        .state
                        .update_peer(&link.peer, |p| p.quality = Some(quality));
                }
                engine.watch_camera(&link).await;
            });
        }
    }

    /// Quality of each participant's share of my connection to the SFU, and whether my
    /// camera is encoded for it.
    fn sample_sfu_stats(self: &Rc<Self>) {
        let Some(link) = self.sfu.borrow().clone() else {
            return;
        };
        let engine = self.clone();
        let sender = link.sender(Slot::Camera).filter(|_| link.is_connected());
        wasm_bindgen_futures::spawn_local(async move {
            engine.watch_camera_sender(sfu_watch_key(), sender).await;
        });
        for peer in link.peers() {
            let engine = self.clone();
            let link = link.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let mids = link.mids_of(&peer);
                let previous = engine.sfu_stats.borrow().get(&peer).copied();
                if let Some((sample, quality)) =
                    stats::sample(link.connection(), previous, Some(&mids)).await
                    && engine.alive.get()
                {
                    engine.sfu_stats.borrow_mut().insert(peer.clone(), sample);
                    engine.note_delivery(&engine.sfu_arrived, &peer, &quality);
                    if engine.topology() == Topology::Sfu {
                        engine
                            .state
                            .update_peer(&peer, |p| p.quality = Some(quality));
                    }
                }
            });
        }
    }

    /// Checks that my camera is encoded for `link`'s peer, and tells me when it is not.
    async fn watch_camera(&self, link: &PeerLink) {
        let connected = self
            .state
            .peer(&link.peer)
            .is_some_and(|p| p.link == LinkState::Connected);
        let sender = link.sender(Slot::Camera).filter(|_| connected);
        self.watch_camera_sender(link.peer.clone(), sender).await;
    }

    /// Records whether `sender` (towards `key`: a peer, or the SFU) encodes my camera, and
    /// raises or clears the "others can't see your camera" alert.
    async fn watch_camera_sender(&self, key: PeerId, sender: Option<RtcRtpSender>) {
        let sending = match sender {
            Some(sender) => stats::frames_encoded(&sender).await,
            None => None,
        };
        if !self.alive.get() {
            return;
        }
        let mut watch = self.camera_watch.borrow_mut();
        match sending {
            Some((track, frames)) => {
                let entry = watch.entry(key).or_default();
                entry.1 = entry.0.update(&track, frames, js::now_ms());
            }
            None => {
                watch.remove(&key);
            }
        }
        let links = self.links.borrow();
        let sfu = self.sfu.borrow().is_some();
        watch.retain(|peer, _| links.contains_key(peer) || (sfu && *peer == sfu_watch_key()));
        let stalled = watch.values().any(|(_, stalled)| *stalled);
        if self.state.camera_stalled.get_untracked() != stalled {
            self.state.camera_stalled.set(stalled);
        }
    }

    /// A socket that hears nothing (not even pings) is dead even if the browser has not noticed.
    pub(super) fn check_silence(&self) {
        let stale = self.call.borrow().as_ref().is_some_and(|c| {
            c.socket.as_ref().is_some_and(Socket::is_open)
                && js::now_ms() - c.last_heard > SILENCE_LIMIT_MS
        });
        if stale && let Some(c) = self.call.borrow_mut().as_mut() {
            // Dropping the socket closes it; its close event is detached, so reconnect here.
            c.socket = None;
        }
        if stale && let Some(e) = current() {
            e.handle_socket_closed();
        }
    }

    // ---- ending ----

    pub(super) fn close_call(&self) {
        for (_, link) in self.links.borrow_mut().drain() {
            link.close();
        }
        self.remote.borrow_mut().clear();
        self.p2p_flowing.borrow_mut().clear();
        self.close_sfu();
        self.topology.set(Topology::P2p);
        self.peer_meters.borrow_mut().clear();
        self.stats.borrow_mut().clear();
        self.camera_watch.borrow_mut().clear();
        self.state.camera_stalled.set(false);
        *self.call.borrow_mut() = None;
    }

    pub(super) fn end(&self, reason: &str) {
        self.close_call();
        self.release_devices();
        self.state.peers.set(Vec::new());
        self.state.phase.set(Phase::Ended(reason.to_string()));
    }

    pub(super) fn shutdown(&self) {
        self.alive.set(false);
        self.close_call();
        self.release_devices();
        if let Some(context) = &self.audio {
            let _ = context.close();
        }
        if let Some((id, _)) = self.ticker.borrow_mut().take()
            && let Some(w) = web_sys::window()
        {
            w.clear_interval_with_handle(id);
        }
        if let Some(f) = self.pagehide.borrow_mut().take()
            && let Some(w) = web_sys::window()
        {
            let _ = w.remove_event_listener_with_callback("pagehide", f.as_ref().unchecked_ref());
        }
    }
}

/// The camera watch's key for my connection to the SFU (never a real peer id: those are
/// database keys without spaces).
fn sfu_watch_key() -> PeerId {
    PeerId("the SFU".into())
}

pub(super) fn screen_outgoing(screen: &MediaStream) -> Vec<Outgoing> {
    let mut out = Vec::new();
    for (slot, tracks) in [
        (Slot::ScreenVideo, screen.get_video_tracks()),
        (Slot::ScreenAudio, screen.get_audio_tracks()),
    ] {
        if let Ok(track) = tracks.get(0).dyn_into::<MediaStreamTrack>() {
            out.push(Outgoing {
                slot,
                track,
                stream: Clone::clone(screen),
            });
        }
    }
    out
}

pub(super) fn device_id(track: &MediaStreamTrack) -> Option<String> {
    js::call(track, "getSettings", &[])
        .ok()
        .and_then(|s| js::get_str(&s, "deviceId"))
        .filter(|id| !id.is_empty())
}
