//! A seat kept across a reload: after `welcome`, the tab keeps the resume token and the join
//! ticket's answer in its session storage (gone with the tab), keyed by the page's path. A
//! page of the same meeting loaded soon after (a reload, within the server's resume window)
//! resumes that seat instead of showing the pre-join: others see a short "reconnecting", not
//! "left" and "joined". Leaving, or being ended, forgets it.

use protocol::signal::JoinTicket;
use serde::{Deserialize, Serialize};

/// How old a kept seat may be and still be resumed: the server keeps the seat of a page
/// that said it was going away for 8 s (`rooms::room::RELOAD_GRACE`).
pub const FRESH_MS: f64 = 7_000.0;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeptSeat {
    pub resume_token: String,
    pub ticket: JoinTicket,
    /// When the page holding it was last seen alive (ms since the epoch).
    pub at_ms: f64,
}

#[cfg(feature = "hydrate")]
mod store {
    use super::KeptSeat;

    fn key() -> Option<String> {
        let path = web_sys::window()?.location().pathname().ok()?;
        Some(format!("vm_seat:{path}"))
    }

    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.session_storage().ok().flatten()
    }

    pub fn keep(seat: &KeptSeat) {
        if let (Some(storage), Some(key), Ok(json)) =
            (storage(), key(), serde_json::to_string(seat))
        {
            let _ = storage.set_item(&key, &json);
        }
    }

    pub fn kept() -> Option<KeptSeat> {
        let json = storage()?.get_item(&key()?).ok().flatten()?;
        serde_json::from_str(&json).ok()
    }

    pub fn forget() {
        if let (Some(storage), Some(key)) = (storage(), key()) {
            let _ = storage.remove_item(&key);
        }
    }
}

/// Keeps the seat of this page's meeting.
pub fn keep(seat: &KeptSeat) {
    #[cfg(feature = "hydrate")]
    store::keep(seat);
    #[cfg(not(feature = "hydrate"))]
    let _ = seat;
}

/// The seat this tab kept for this page's meeting, if it is fresh enough to resume at `now_ms`.
pub fn resumable(now_ms: f64) -> Option<KeptSeat> {
    #[cfg(feature = "hydrate")]
    {
        store::kept().filter(|s| now_ms - s.at_ms < FRESH_MS)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = now_ms;
        None
    }
}

/// The page is going away (or still alive): the kept seat's time moves to `now_ms`.
pub fn touch(now_ms: f64) {
    #[cfg(feature = "hydrate")]
    if let Some(mut seat) = store::kept() {
        seat.at_ms = now_ms;
        store::keep(&seat);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = now_ms;
}

/// Forgets the seat (left, removed, ended).
pub fn forget() {
    #[cfg(feature = "hydrate")]
    store::forget();
}
