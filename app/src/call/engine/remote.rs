//! What the engine keeps about one remote participant, in one record: their peer link and the
//! streams it delivers, their microphone's meter, per path (peer-to-peer, SFU) since when it
//! delivers their media and its last stats sample, and whether my camera is encoded for them.
//! Forgetting a participant is dropping one record; no map can be left behind.

use crate::call::encode_watch::EncodeWatch;
use crate::call::meter::Meter;
use crate::call::peer::PeerLink;
use crate::call::speaking::Speaking;
use crate::call::stats::Sample;
use std::rc::Rc;
use web_sys::MediaStream;

/// One media path's view of a participant.
#[derive(Default)]
pub(super) struct PathState {
    /// Since when this path delivers their media (see `Quality::delivers`): a tile switches to
    /// a path only once it does.
    pub since: Option<f64>,
    /// The last stats sample on this path (rates are computed between samples).
    pub sample: Option<Sample>,
}

#[derive(Default)]
pub(super) struct Remote {
    /// The peer-to-peer link, while the mesh (or a switch) needs one.
    pub link: Option<Rc<PeerLink>>,
    /// Streams that arrived through `link`.
    pub streams: Vec<MediaStream>,
    /// Their microphone's level and speaking hold.
    pub meter: Option<(Meter, Speaking)>,
    pub p2p: PathState,
    pub sfu: PathState,
    /// Is my camera really encoded for them (on `link`), and the last verdict.
    pub camera_watch: Option<(EncodeWatch, bool)>,
}

impl Remote {
    /// Forgets the peer-to-peer path; returns its link for the caller to close.
    pub fn drop_p2p(&mut self) -> Option<Rc<PeerLink>> {
        self.streams.clear();
        self.p2p = PathState::default();
        self.camera_watch = None;
        self.link.take()
    }

    /// Forgets the SFU path.
    pub fn drop_sfu(&mut self) {
        self.sfu = PathState::default();
    }

    /// Which path a delivery or a sample belongs to.
    pub fn path(&mut self, path: Path) -> &mut PathState {
        match path {
            Path::P2p => &mut self.p2p,
            Path::Sfu => &mut self.sfu,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Path {
    P2p,
    Sfu,
}
