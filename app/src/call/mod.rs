//! A call as the UI sees it: reactive state shared by the pre-join page and the room, and the
//! actions buttons invoke. The browser engine behind them (WebRTC, WebSocket, devices) lives
//! in the `hydrate`-only modules; on the server every action is a no-op.

pub mod actions;
pub mod budget;
pub mod chat;
pub mod encode_watch;
pub mod layout;
pub mod muted_talk;
pub mod negotiation;
pub mod quality;
pub mod recovery;
pub mod saver_hint;
pub mod seat;
pub mod speaking;

#[cfg(feature = "hydrate")]
mod chime;
#[cfg(feature = "hydrate")]
mod devices;
#[cfg(feature = "hydrate")]
mod engine;
#[cfg(feature = "hydrate")]
mod js;
#[cfg(feature = "hydrate")]
mod meter;
#[cfg(feature = "hydrate")]
mod peer;
#[cfg(feature = "hydrate")]
mod sfu_link;
#[cfg(feature = "hydrate")]
mod socket;
#[cfg(feature = "hydrate")]
mod stats;

use chat::ChatLine;
use leptos::prelude::*;
use protocol::room::{Reaction, Request, Waiter};
use protocol::signal::{MediaState, PeerId, PeerInfo, Role};
pub use quality::{Quality, QualityLevel};

/// Where the user is in the call's life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// On the pre-join screen.
    Lobby,
    /// Join step and signaling handshake in flight.
    Joining,
    /// In the meeting's lobby until a host or moderator admits me.
    Waiting,
    InCall,
    /// The signaling socket dropped; trying to resume within the server's window.
    Reconnecting,
    /// Left on purpose.
    Left,
    /// Removed or could not continue; `reason` says why. `rejoin`: joining again makes sense
    /// (not after a removal, nor for a guest after the host ended the meeting).
    Ended {
        reason: String,
        rejoin: bool,
    },
}

/// One video on screen.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TileKey {
    Me,
    MyScreen,
    Camera(PeerId),
    Screen(PeerId),
}

impl TileKey {
    pub fn is_screen(&self) -> bool {
        matches!(self, TileKey::MyScreen | TileKey::Screen(_))
    }

    /// Stable DOM-friendly id (tests and `aria-controls` use it).
    pub fn dom_id(&self) -> String {
        match self {
            TileKey::Me => "tile-me".into(),
            TileKey::MyScreen => "tile-me-screen".into(),
            TileKey::Camera(p) => format!("tile-{}", p.0),
            TileKey::Screen(p) => format!("tile-{}-screen", p.0),
        }
    }
}

/// The media path to one remote participant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LinkState {
    #[default]
    Connecting,
    Connected,
    /// ICE disconnected or failed; an ICE restart is under way.
    Reconnecting,
}

/// A remote participant as the UI shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Participant {
    pub info: PeerInfo,
    pub link: LinkState,
    pub speaking: bool,
    pub quality: Option<Quality>,
}

/// A camera, microphone or speaker the browser offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub id: String,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeviceLists {
    pub cameras: Vec<Device>,
    pub mics: Vec<Device>,
    pub speakers: Vec<Device>,
}

/// Which devices are chosen (`None`: the browser's default).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeviceChoice {
    pub camera: Option<String>,
    pub mic: Option<String>,
    pub speaker: Option<String>,
}

/// Why a camera or microphone is not available.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceProblem {
    Blocked,
    Missing,
    Busy,
    Failed,
}

impl DeviceProblem {
    pub fn message(self, what: &str) -> String {
        match self {
            DeviceProblem::Blocked => format!(
                "Access to your {what} is blocked. Allow it in the browser's address bar to use it; you can join without it."
            ),
            DeviceProblem::Missing => format!("No {what} found. You can join without one."),
            DeviceProblem::Busy => format!(
                "Your {what} is in use by another application. Close it and try again, or join without it."
            ),
            DeviceProblem::Failed => format!("Your {what} could not be started."),
        }
    }
}

/// Reactive state of the call on this page. All fields are signals, so the struct is `Copy`
/// and cheap to hand to every component.
#[derive(Clone, Copy)]
pub struct CallState {
    pub phase: RwSignal<Phase>,
    /// Me, once the server has seated me.
    pub me: RwSignal<Option<PeerInfo>>,
    pub my_name: RwSignal<String>,
    /// Everyone else, in the order they arrived.
    pub peers: RwSignal<Vec<Participant>>,
    /// What I send (and want to send: `audio` false = muted).
    pub local: RwSignal<MediaState>,
    /// Whether a camera / microphone track exists (independent of mute).
    pub has_camera: RwSignal<bool>,
    pub has_mic: RwSignal<bool>,
    pub camera_problem: RwSignal<Option<DeviceProblem>>,
    /// My camera is on but nothing of it gets encoded for the others (see `encode_watch`).
    pub camera_stalled: RwSignal<bool>,
    pub mic_problem: RwSignal<Option<DeviceProblem>>,
    /// Local microphone level, 0..1, for the meter and my own speaking ring.
    pub mic_level: RwSignal<f64>,
    /// My own speaking ring: the microphone level with the same hold as remote tiles.
    pub me_speaking: RwSignal<bool>,
    pub devices: RwSignal<DeviceLists>,
    pub choice: RwSignal<DeviceChoice>,
    /// The browser can route audio to a chosen speaker (`setSinkId`).
    pub speaker_selectable: RwSignal<bool>,
    pub pinned: RwSignal<Option<TileKey>>,
    /// Bumped whenever a media stream appears or goes, so tiles re-attach their video.
    pub streams_rev: RwSignal<u64>,
    /// A short-lived message for the user ("Screen sharing was cancelled").
    pub toast: RwSignal<Option<String>>,
    /// Bumped on each toast so an older timer does not clear a newer message.
    pub toast_rev: RwSignal<u64>,
    /// The chat log (see `chat`), whether older history exists, and whether the panel is
    /// open (messages arriving while it is closed count as unread).
    pub chat: RwSignal<Vec<ChatLine>>,
    pub chat_more: RwSignal<bool>,
    pub chat_open: RwSignal<bool>,
    pub unread: RwSignal<u32>,
    /// The list of keyboard shortcuts is shown (`?`).
    pub shortcuts_open: RwSignal<bool>,
    /// Who waits in the lobby (shown to hosts and moderators).
    pub lobby: RwSignal<Vec<Waiter>>,
    pub locked: RwSignal<bool>,
    /// My raised hand.
    pub hand: RwSignal<bool>,
    /// The browser says it has no network (`offline` / `online` events): said at once, before
    /// the socket or the media notice.
    pub offline: RwSignal<bool>,
    /// Reactions on screen now: who (`None`: me), what, and an id to expire them by.
    pub reactions: RwSignal<Vec<(Option<PeerId>, Reaction, u64)>>,
    /// A host's request to turn something on, and who asked.
    pub asked: RwSignal<Option<(Request, String)>>,
    /// The data saver is suggested: the others' video keeps arriving with heavy loss
    /// (`saver_hint`).
    pub saver_hint: RwSignal<bool>,
    /// I seem to be talking with my microphone off (`muted_talk`).
    pub talking_muted: RwSignal<bool>,
    /// The latest change worth telling a screen reader (joins, leaves, mutes, hands).
    pub announcement: RwSignal<String>,
}

impl CallState {
    pub fn new() -> Self {
        Self {
            phase: RwSignal::new(Phase::Lobby),
            me: RwSignal::new(None),
            my_name: RwSignal::new(String::new()),
            peers: RwSignal::new(Vec::new()),
            local: RwSignal::new(MediaState {
                audio: true,
                video: true,
                ..MediaState::default()
            }),
            has_camera: RwSignal::new(false),
            has_mic: RwSignal::new(false),
            camera_problem: RwSignal::new(None),
            camera_stalled: RwSignal::new(false),
            mic_problem: RwSignal::new(None),
            mic_level: RwSignal::new(0.0),
            me_speaking: RwSignal::new(false),
            devices: RwSignal::new(DeviceLists::default()),
            choice: RwSignal::new(DeviceChoice::default()),
            speaker_selectable: RwSignal::new(false),
            pinned: RwSignal::new(None),
            streams_rev: RwSignal::new(0),
            offline: RwSignal::new(false),
            toast: RwSignal::new(None),
            toast_rev: RwSignal::new(0),
            chat: RwSignal::new(Vec::new()),
            chat_more: RwSignal::new(false),
            chat_open: RwSignal::new(false),
            unread: RwSignal::new(0),
            shortcuts_open: RwSignal::new(false),
            lobby: RwSignal::new(Vec::new()),
            locked: RwSignal::new(false),
            hand: RwSignal::new(false),
            reactions: RwSignal::new(Vec::new()),
            asked: RwSignal::new(None),
            saver_hint: RwSignal::new(false),
            talking_muted: RwSignal::new(false),
            announcement: RwSignal::new(String::new()),
        }
    }

    /// The others' cameras are shown (off: the data saver, `MediaState::data_saver`: they are
    /// then not sent to me at all, by the SFU or by the peers).
    pub fn incoming_video(&self) -> bool {
        self.local.with(|m| !m.data_saver)
    }

    /// Tells screen readers about a change (a polite live region in the room).
    pub fn announce(&self, text: impl Into<String>) {
        self.announcement.set(text.into());
    }

    /// My role in the meeting now (it can change: promotion, hand-over).
    pub fn my_role(&self) -> Option<Role> {
        self.me.with(|me| me.as_ref().map(|m| m.role))
    }

    /// I run the room (host or moderator): lobby, host controls.
    pub fn runs_room(&self) -> bool {
        self.my_role().is_some_and(Role::runs_room)
    }

    pub fn provide() -> Self {
        let state = Self::new();
        provide_context(state);
        state
    }

    pub fn get() -> Self {
        expect_context::<Self>()
    }

    /// Updates one participant in place, if present.
    pub fn update_peer(&self, id: &PeerId, f: impl FnOnce(&mut Participant)) {
        self.peers.update(|list| {
            if let Some(p) = list.iter_mut().find(|p| &p.info.id == id) {
                f(p);
            }
        });
    }

    /// Everyone else's ids, read without tracking (for the engine, outside any view).
    pub fn peer_ids(&self) -> Vec<PeerId> {
        self.peers
            .try_with_untracked(|list| list.iter().map(|p| p.info.id.clone()).collect())
            .unwrap_or_default()
    }

    /// One participant, read without tracking (for the engine, outside any view).
    pub fn peer(&self, id: &PeerId) -> Option<Participant> {
        self.peers
            .try_with_untracked(|list| list.iter().find(|p| &p.info.id == id).cloned())
            .flatten()
    }

    pub fn show_toast(&self, message: impl Into<String>) {
        self.toast.set(Some(message.into()));
        self.toast_rev.update(|r| *r += 1);
    }

    /// The tiles to show: me first, then everyone in arrival order, screens where shared.
    pub fn tiles(&self) -> Vec<TileKey> {
        let mut tiles = vec![TileKey::Me];
        if self.local.with(|m| m.screen) {
            tiles.push(TileKey::MyScreen);
        }
        self.peers.with(|list| {
            for p in list {
                tiles.push(TileKey::Camera(p.info.id.clone()));
                if p.info.media.screen {
                    tiles.push(TileKey::Screen(p.info.id.clone()));
                }
            }
        });
        tiles
    }
}

impl Default for CallState {
    fn default() -> Self {
        Self::new()
    }
}
