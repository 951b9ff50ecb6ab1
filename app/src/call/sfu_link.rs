//! The media path through the server's SFU: one `RTCPeerConnection` to the server, which
//! always offers. My camera, microphone and screen go out on the m-lines the offer lists under
//! `publish`; everyone else's tracks come in on m-lines labelled with their participant and
//! kind. Streams are built here from those labels (one for camera + microphone, one for the
//! screen share, per participant), not from `msid`: the server reuses m-lines of ended tracks.

use super::LinkState;
use super::js;
use super::peer::{Outgoing, Slot};
use protocol::signal::{ClientMsg, PeerId, SfuPublish, SfuTrack, TrackKind};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{
    MediaStream, MediaStreamTrack, RtcConfiguration, RtcIceConnectionState, RtcPeerConnection,
    RtcRtpSender, RtcSdpType, RtcSessionDescriptionInit,
};

/// What the SFU link tells the engine.
pub enum SfuEvent {
    Signal(ClientMsg),
    /// The remote streams changed (after an offer): these participants have some now.
    Streams(Vec<PeerId>),
    State(LinkState),
    /// The connection failed: start a new session.
    Failed,
}

type Events = Rc<dyn Fn(SfuEvent)>;
/// An `sfu_offer`'s contents: SDP, publish m-lines, labelled receiving m-lines.
type Offer = (String, Vec<SfuPublish>, Vec<SfuTrack>);
type Handler = Closure<dyn FnMut(JsValue)>;

pub struct SfuLink {
    pc: RtcPeerConnection,
    /// What each receiving m-line carries, from the latest offer.
    labels: RefCell<HashMap<String, (PeerId, TrackKind)>>,
    /// Per participant and "is the screen share": the stream tiles show.
    streams: RefCell<HashMap<(PeerId, bool), MediaStream>>,
    /// My m-lines, by the kind of my track they take.
    publish: RefCell<Vec<SfuPublish>>,
    /// My tracks, applied to each offer's publish m-lines.
    local: RefCell<HashMap<Slot, Outgoing>>,
    /// Offers are applied one at a time, in order.
    busy: Cell<bool>,
    queued: RefCell<Vec<Offer>>,
    connected: Cell<bool>,
    events: Events,
    closed: Cell<bool>,
    handlers: RefCell<Vec<Handler>>,
}

fn slot_of(kind: TrackKind) -> Slot {
    match kind {
        TrackKind::Mic => Slot::Mic,
        TrackKind::Camera => Slot::Camera,
        TrackKind::Screen => Slot::ScreenVideo,
        TrackKind::ScreenAudio => Slot::ScreenAudio,
    }
}

impl SfuLink {
    pub fn new(
        config: &RtcConfiguration,
        tracks: Vec<Outgoing>,
        events: Events,
    ) -> Result<Rc<Self>, JsValue> {
        let pc = RtcPeerConnection::new_with_configuration(config)?;
        let link = Rc::new(Self {
            pc,
            labels: RefCell::new(HashMap::new()),
            streams: RefCell::new(HashMap::new()),
            publish: RefCell::new(Vec::new()),
            local: RefCell::new(tracks.into_iter().map(|o| (o.slot, o)).collect()),
            busy: Cell::new(false),
            queued: RefCell::new(Vec::new()),
            connected: Cell::new(false),
            events,
            closed: Cell::new(false),
            handlers: RefCell::new(Vec::new()),
        });
        link.install_handlers();
        Ok(link)
    }

    pub fn connection(&self) -> &RtcPeerConnection {
        &self.pc
    }

    /// The m-lines carrying `peer`'s tracks to me.
    pub fn mids_of(&self, peer: &PeerId) -> Vec<String> {
        self.labels
            .borrow()
            .iter()
            .filter(|(_, (p, _))| p == peer)
            .map(|(mid, _)| mid.clone())
            .collect()
    }

    pub fn is_connected(&self) -> bool {
        self.connected.get()
    }

    fn emit(&self, event: SfuEvent) {
        if !self.closed.get() {
            (self.events)(event);
        }
    }

    fn handler(self: &Rc<Self>, f: impl Fn(&Rc<Self>, JsValue) + 'static) -> Handler {
        js::weak_handler(self, f)
    }

    fn install_handlers(self: &Rc<Self>) {
        let on_ice_state = self.handler(|link, _| match link.pc.ice_connection_state() {
            RtcIceConnectionState::Connected | RtcIceConnectionState::Completed => {
                link.connected.set(true);
                link.emit(SfuEvent::State(LinkState::Connected));
            }
            RtcIceConnectionState::Disconnected => {
                link.emit(SfuEvent::State(LinkState::Reconnecting))
            }
            RtcIceConnectionState::Failed => link.emit(SfuEvent::Failed),
            _ => {}
        });
        self.pc
            .set_oniceconnectionstatechange(Some(on_ice_state.as_ref().unchecked_ref()));
        self.handlers.borrow_mut().push(on_ice_state);
    }

    /// The SFU's offer: apply it, put my tracks on the publish m-lines, answer.
    pub async fn handle_offer(
        self: Rc<Self>,
        sdp: String,
        publish: Vec<SfuPublish>,
        tracks: Vec<SfuTrack>,
    ) {
        if self.busy.get() {
            self.queued.borrow_mut().push((sdp, publish, tracks));
            return;
        }
        self.busy.set(true);
        let mut next = Some((sdp, publish, tracks));
        while let Some((sdp, publish, tracks)) = next.take() {
            self.apply_offer(sdp, publish, tracks).await;
            let mut queued = self.queued.borrow_mut();
            if !queued.is_empty() {
                next = Some(queued.remove(0));
            }
        }
        self.busy.set(false);
    }

    async fn apply_offer(&self, sdp: String, publish: Vec<SfuPublish>, tracks: Vec<SfuTrack>) {
        if self.closed.get() {
            return;
        }
        *self.labels.borrow_mut() = tracks
            .into_iter()
            .map(|t| (t.mid, (t.peer, t.kind)))
            .collect();
        *self.publish.borrow_mut() = publish;
        let desc = RtcSessionDescriptionInit::new(RtcSdpType::Offer);
        desc.set_sdp(&sdp);
        if let Err(e) = js::wait(self.pc.set_remote_description(&desc)).await {
            js::log(&format!("SFU offer refused: {}", js::error_name(&e)));
            return;
        }
        self.rebuild_streams();
        for kind in TrackKind::ALL {
            if let Some((transceiver, _)) = self.publish_transceiver(kind) {
                js::set(&transceiver, "direction", &JsValue::from_str("sendonly"));
            }
            self.apply_local(slot_of(kind));
        }
        match js::call_async(&self.pc, "setLocalDescription", &[]).await {
            Ok(_) => {
                if let Some(answer) = self.pc.local_description() {
                    self.emit(SfuEvent::Signal(ClientMsg::SfuAnswer { sdp: answer.sdp() }));
                }
            }
            Err(e) => js::log(&format!("SFU answer failed: {}", js::error_name(&e))),
        }
    }

    /// Groups the receiving tracks by the offer's labels. A stream whose set of tracks
    /// changes is replaced by a new one, so a video element showing it starts over.
    fn rebuild_streams(&self) {
        let Some(transceivers) = js::call(&self.pc, "getTransceivers", &[])
            .ok()
            .and_then(|t| t.dyn_into::<js_sys::Array>().ok())
        else {
            return;
        };
        let labels = self.labels.borrow();
        let mut wanted: HashMap<(PeerId, bool), Vec<MediaStreamTrack>> = HashMap::new();
        for t in transceivers.iter() {
            let Some((peer, kind)) = js::get_str(&t, "mid").and_then(|mid| labels.get(&mid)) else {
                continue;
            };
            let receiver = js::get(&t, "receiver");
            if let Ok(track) = js::get(&receiver, "track").dyn_into::<MediaStreamTrack>() {
                wanted
                    .entry((peer.clone(), kind.is_screen()))
                    .or_default()
                    .push(track);
            }
        }
        drop(labels);
        let mut streams = self.streams.borrow_mut();
        streams.retain(|key, _| wanted.contains_key(key));
        for (key, tracks) in wanted {
            let mut want_ids: Vec<String> = tracks.iter().map(|t| t.id()).collect();
            want_ids.sort();
            let same = streams.get(&key).is_some_and(|s| {
                let mut have: Vec<String> = s
                    .get_tracks()
                    .iter()
                    .filter_map(|t| t.dyn_into::<MediaStreamTrack>().ok())
                    .map(|t| t.id())
                    .collect();
                have.sort();
                have == want_ids
            });
            if same {
                continue;
            }
            if let Ok(stream) = MediaStream::new() {
                for track in &tracks {
                    stream.add_track(track);
                }
                streams.insert(key, stream);
            }
        }
        drop(streams);
        self.emit(SfuEvent::Streams(self.peers()));
    }

    /// `peer`'s camera + microphone stream, or its screen share.
    pub fn stream(&self, peer: &PeerId, screen: bool) -> Option<MediaStream> {
        self.streams.borrow().get(&(peer.clone(), screen)).cloned()
    }

    /// Participants with a stream through this link.
    pub fn peers(&self) -> Vec<PeerId> {
        let mut peers: Vec<PeerId> = self
            .streams
            .borrow()
            .keys()
            .map(|(p, _)| p.clone())
            .collect();
        peers.sort();
        peers.dedup();
        peers
    }

    /// The transceiver of my publish m-line for `kind`, and its sender.
    fn publish_transceiver(&self, kind: TrackKind) -> Option<(JsValue, RtcRtpSender)> {
        let mid = self
            .publish
            .borrow()
            .iter()
            .find(|p| p.kind == kind)
            .map(|p| p.mid.clone())?;
        let transceivers: js_sys::Array = js::call(&self.pc, "getTransceivers", &[])
            .ok()?
            .dyn_into()
            .ok()?;
        transceivers.iter().find_map(|t| {
            (js::get_str(&t, "mid").as_deref() == Some(mid.as_str())).then(|| {
                let sender = js::get(&t, "sender").unchecked_into::<RtcRtpSender>();
                (t, sender)
            })
        })
    }

    /// Puts my current track for `slot` (or nothing) on its publish m-line.
    fn apply_local(&self, slot: Slot) {
        let kind = TrackKind::ALL.into_iter().find(|k| slot_of(*k) == slot);
        let Some((_, sender)) = kind.and_then(|k| self.publish_transceiver(k)) else {
            return;
        };
        // `Clone::clone`: the handle. `MediaStreamTrack::clone` would make a new JS track that
        // no longer follows mute (`enabled`) and is never stopped.
        let track = self
            .local
            .borrow()
            .get(&slot)
            .map(|o| Clone::clone(&o.track));
        let current = sender.track();
        if current.as_ref().map(|t| t.id()) == track.as_ref().map(|t| t.id()) {
            return;
        }
        let promise = sender.replace_track(track.as_ref());
        wasm_bindgen_futures::spawn_local(async move {
            if let Err(e) = js::wait(promise).await {
                js::log(&format!("replaceTrack failed: {}", js::error_name(&e)));
            }
        });
    }

    /// Sends `out` in `slot` from now on (`None`: stop sending). No renegotiation: the
    /// publish m-lines exist from the first offer.
    pub fn set_track(&self, slot: Slot, out: Option<Outgoing>) {
        match out {
            Some(out) => self.local.borrow_mut().insert(slot, out),
            None => self.local.borrow_mut().remove(&slot),
        };
        self.apply_local(slot);
    }

    /// The sender carrying my `slot` (for the camera watch).
    pub fn sender(&self, slot: Slot) -> Option<RtcRtpSender> {
        let kind = TrackKind::ALL.into_iter().find(|k| slot_of(*k) == slot)?;
        self.publish_transceiver(kind).map(|(_, sender)| sender)
    }

    pub fn close(&self) {
        self.closed.set(true);
        self.pc.set_oniceconnectionstatechange(None);
        self.pc.close();
    }
}

impl Drop for SfuLink {
    fn drop(&mut self) {
        if !self.closed.get() {
            self.close();
        }
    }
}
