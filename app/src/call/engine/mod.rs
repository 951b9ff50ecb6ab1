//! The browser side of a call: local devices, the signaling socket (with resume), one peer
//! link per remote participant, and the remote streams they deliver. It owns every JS object
//! and writes what the UI needs into `CallState`.
//!
//! Remote media arrives as "streams from a source": each `PeerLink` is a source, and so is
//! the one `SfuLink` (see `topology`); tiles ask `remote_stream` and never know which. What the
//! engine keeps about each remote participant is one `Remote` record (see `remote`).
//!
//! Beware: `MediaStream` and `MediaStreamTrack` have an inherent `clone()` that calls the JS
//! method and makes a *new* stream or track. `Clone::clone(&x)` copies the handle.

mod budget;
mod controls;
mod meeting;
mod remote;
mod signaling;
mod topology;

pub use controls::{
    attach, choose_device, end_for_all, enter, leave, push_to_talk, resume_kept_seat, shutdown,
    start_preview, toggle_camera, toggle_mic, toggle_screen,
};
pub use meeting::{
    accept_request, dismiss_muted_talk, dismiss_saver_hint, host_action, load_older_chat, react,
    send_chat, set_hand, set_incoming_video,
};

use crate::call::encode_watch::EncodeWatch;
use crate::call::js;
use crate::call::meter::{self, Meter};
use crate::call::muted_talk::MutedTalk;
use crate::call::peer::{OFFER_RETRY_MS, Outgoing, PeerLink, Slot};
use crate::call::saver_hint::SaverHint;
use crate::call::sfu_link::SfuLink;
use crate::call::socket::Socket;
use crate::call::speaking::{SPEAKING_LEVEL, Speaking};
use crate::call::stats::{self, Sample};
use crate::call::{CallState, LinkState, Phase, TileKey};
use leptos::prelude::*;
use protocol::signal::{ClientMsg, JoinTicket, PeerId, Topology};
use remote::{Path, Remote};
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
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
    /// Resuming a seat this tab kept, on a fresh page (a reload): the others must drop their
    /// links to the old page (`ClientMsg::Restarted` after `welcome`).
    fresh: bool,
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
    /// My microphone's level, measured on a copy of the track that stays on while I am muted
    /// (for `muted_talk`; what others hear is the muted original).
    meter: RefCell<Option<Meter>>,
    call: RefCell<Option<Call>>,
    /// One record per remote participant (see `remote`).
    remotes: RefCell<HashMap<PeerId, Remote>>,
    /// After resuming a kept seat on a fresh page: peers whose offers and candidates may
    /// still be meant for the old page (the server held them while the socket was down), until
    /// they answer this page's offer.
    stale: RefCell<HashSet<PeerId>>,
    /// How media flows in this meeting (the server decides).
    topology: Cell<Topology>,
    /// When the last topology switch started.
    switch_started: Cell<f64>,
    sfu: RefCell<Option<Rc<SfuLink>>>,
    /// Is my camera really encoded on my connection to the SFU, and the last verdict.
    sfu_camera_watch: RefCell<Option<(EncodeWatch, bool)>>,
    ticks: Cell<u64>,
    ticker: RefCell<Option<Ticker>>,
    me_speaking: Speaking,
    saver_hint: RefCell<SaverHint>,
    muted_talk: RefCell<MutedTalk>,
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
            call: RefCell::new(None),
            remotes: RefCell::new(HashMap::new()),
            stale: RefCell::new(HashSet::new()),
            topology: Cell::new(Topology::P2p),
            switch_started: Cell::new(0.0),
            sfu: RefCell::new(None),
            sfu_camera_watch: RefCell::new(None),
            ticks: Cell::new(0),
            ticker: RefCell::new(None),
            me_speaking: Speaking::default(),
            saver_hint: RefCell::new(SaverHint::default()),
            muted_talk: RefCell::new(MutedTalk::default()),
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
        // window for someone who is gone. In a call the page may be reloading (it cannot
        // tell): `leaving` keeps the seat a few seconds for the reload to resume it.
        let on_pagehide = Closure::<dyn FnMut()>::new(|| {
            if let Some(e) = current() {
                let seated = e.call.borrow().as_ref().is_some_and(|c| c.me.is_some());
                e.send(if seated {
                    &ClientMsg::Leaving
                } else {
                    &ClientMsg::Leave
                });
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
        for link in self.links() {
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
            .and_then(|(context, t)| Meter::on_copy(context, t));
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
        for link in self.links() {
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
        for link in self.links() {
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
        let heard = self.meter.borrow_mut().as_mut().map_or(0.0, Meter::level);
        let level = if muted { 0.0 } else { heard };
        self.state.mic_level.set(level);
        let now = js::now_ms();
        let in_call = self.state.phase.get_untracked() == Phase::InCall;
        let talking_muted =
            self.muted_talk
                .borrow_mut()
                .observe(now, muted && in_call, heard > SPEAKING_LEVEL);
        if self.state.talking_muted.get_untracked() != talking_muted {
            self.state.talking_muted.set(talking_muted);
        }
        let me_speaking = self.me_speaking.update(level > SPEAKING_LEVEL, now);
        if self.state.me_speaking.get_untracked() != me_speaking {
            self.state.me_speaking.set(me_speaking);
        }
        self.update_remote_speaking(now);
        if self.call.borrow().as_ref().is_some_and(|c| c.welcomed) {
            for link in self.links() {
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
            self.apply_camera_budget();
            self.check_saver_hint(now);
        }
    }

    /// Measures each remote microphone (the audio of a peer's camera stream, not of a screen
    /// share) and updates their speaking rings.
    fn update_remote_speaking(&self, now: f64) {
        let Some(context) = &self.audio else {
            return;
        };
        let peers = self.peers_with_streams();
        // Their microphone tracks first: `remote_stream` reads the records too.
        let mics: Vec<(PeerId, Option<MediaStreamTrack>)> = peers
            .iter()
            .map(|peer| {
                let mic = self.remote_stream(peer, false).and_then(|s| {
                    s.get_audio_tracks()
                        .get(0)
                        .dyn_into::<MediaStreamTrack>()
                        .ok()
                });
                (peer.clone(), mic)
            })
            .collect();
        let mut changed = Vec::new();
        {
            let mut remotes = self.remotes.borrow_mut();
            for (peer, remote) in remotes.iter_mut() {
                if !peers.contains(peer) {
                    remote.meter = None;
                }
            }
            for (peer, mic) in mics {
                let Some(info) = self.state.peer(&peer) else {
                    continue;
                };
                let remote = remotes.entry(peer.clone()).or_default();
                let Some(mic) = mic else {
                    remote.meter = None;
                    continue;
                };
                if remote
                    .meter
                    .as_ref()
                    .is_none_or(|(m, _)| m.track_id() != mic.id())
                    && let Some(m) = Meter::new(context, &mic)
                {
                    remote.meter = Some((m, Speaking::default()));
                }
                let speaking = remote
                    .meter
                    .as_mut()
                    .is_some_and(|(m, hold)| hold.update(m.level() > SPEAKING_LEVEL, now));
                if info.speaking != speaking {
                    changed.push((peer, speaking));
                }
            }
        }
        for (peer, speaking) in changed {
            self.state.update_peer(&peer, |p| p.speaking = speaking);
        }
    }

    pub(super) fn sample_stats(self: &Rc<Self>) {
        for link in self.links() {
            let engine = self.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let previous = engine.sample_of(&link.peer, Path::P2p);
                if let Some((sample, quality)) =
                    stats::sample(link.connection(), previous, None).await
                    && engine.alive.get()
                {
                    engine.keep_sample(&link.peer, Path::P2p, sample);
                    engine.note_delivery(Path::P2p, &link.peer, &quality);
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
            engine.watch_camera_sender(None, sender).await;
        });
        for peer in link.peers() {
            let engine = self.clone();
            let link = link.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let mids = link.mids_of(&peer);
                let previous = engine.sample_of(&peer, Path::Sfu);
                if let Some((sample, quality)) =
                    stats::sample(link.connection(), previous, Some(&mids)).await
                    && engine.alive.get()
                {
                    engine.keep_sample(&peer, Path::Sfu, sample);
                    engine.note_delivery(Path::Sfu, &peer, &quality);
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
        self.watch_camera_sender(Some(&link.peer), sender).await;
    }

    /// Records whether `sender` (towards a peer, or the SFU when `peer` is `None`) encodes my
    /// camera, and raises or clears the "others can't see your camera" alert.
    async fn watch_camera_sender(&self, peer: Option<&PeerId>, sender: Option<RtcRtpSender>) {
        let sending = match sender {
            Some(sender) => stats::frames_encoded(&sender).await,
            None => None,
        };
        if !self.alive.get() {
            return;
        }
        let verdict = |watch: &mut Option<(EncodeWatch, bool)>| match &sending {
            Some((track, frames)) => {
                let entry = watch.get_or_insert_with(Default::default);
                entry.1 = entry.0.update(track, *frames, js::now_ms());
            }
            None => *watch = None,
        };
        match peer {
            // Only while the link is there: a watch outliving it would raise a stale alert.
            Some(peer) => {
                if let Some(remote) = self
                    .remotes
                    .borrow_mut()
                    .get_mut(peer)
                    .filter(|r| r.link.is_some())
                {
                    verdict(&mut remote.camera_watch);
                }
            }
            None if self.sfu.borrow().is_some() => verdict(&mut self.sfu_camera_watch.borrow_mut()),
            None => *self.sfu_camera_watch.borrow_mut() = None,
        }
        self.update_camera_stalled();
    }

    /// The alert follows every watch: on any link, or on my connection to the SFU.
    fn update_camera_stalled(&self) {
        let stalled = self
            .remotes
            .borrow()
            .values()
            .any(|r| r.camera_watch.as_ref().is_some_and(|(_, stalled)| *stalled))
            || self
                .sfu_camera_watch
                .borrow()
                .as_ref()
                .is_some_and(|(_, stalled)| *stalled);
        if self.state.camera_stalled.get_untracked() != stalled {
            self.state.camera_stalled.set(stalled);
        }
    }

    // ---- the records ----

    /// Every peer link, cloned out so no borrow is held while they are used.
    pub(super) fn links(&self) -> Vec<Rc<PeerLink>> {
        self.remotes
            .borrow()
            .values()
            .filter_map(|r| r.link.clone())
            .collect()
    }

    pub(super) fn link_of(&self, peer: &PeerId) -> Option<Rc<PeerLink>> {
        self.remotes.borrow().get(peer).and_then(|r| r.link.clone())
    }

    fn sample_of(&self, peer: &PeerId, path: Path) -> Option<Sample> {
        self.remotes.borrow().get(peer).and_then(|r| match path {
            Path::P2p => r.p2p.sample,
            Path::Sfu => r.sfu.sample,
        })
    }

    /// Keeps a path's new sample, if the participant is still there.
    fn keep_sample(&self, peer: &PeerId, path: Path, sample: Sample) {
        if let Some(remote) = self.remotes.borrow_mut().get_mut(peer) {
            remote.path(path).sample = Some(sample);
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
        let remotes: Vec<Remote> = self.remotes.borrow_mut().drain().map(|(_, r)| r).collect();
        for link in remotes.into_iter().filter_map(|r| r.link) {
            link.close();
        }
        self.close_sfu();
        self.topology.set(Topology::P2p);
        self.state.camera_stalled.set(false);
        *self.call.borrow_mut() = None;
    }

    /// Ends the call; the person may join again from the screen that says why.
    pub(super) fn end(&self, reason: &str) {
        self.end_with(reason, true);
    }

    /// Ends the call where joining again cannot work (removed, the meeting ended or deleted).
    pub(super) fn end_for_good(&self, reason: &str) {
        self.end_with(reason, false);
    }

    fn end_with(&self, reason: &str, rejoin: bool) {
        crate::call::seat::forget();
        self.close_call();
        self.release_devices();
        self.state.peers.set(Vec::new());
        self.state.hand.set(false);
        self.state.phase.set(Phase::Ended {
            reason: reason.to_string(),
            rejoin,
        });
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
