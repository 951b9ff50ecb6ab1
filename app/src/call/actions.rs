//! What buttons do. Each action forwards to the browser engine; during server rendering there
//! is no engine and they do nothing.

use super::CallState;
use leptos::prelude::{GetUntracked, Set, Update};
use protocol::room::{HostAction, Reaction};
use protocol::signal::{JoinTicket, PeerId};

/// Which kind of device a selector changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceKind {
    Camera,
    Mic,
    Speaker,
}

/// Opens camera and microphone for the pre-join preview and lists the devices.
pub fn start_preview(state: CallState) {
    #[cfg(feature = "hydrate")]
    super::engine::start_preview(state);
    #[cfg(not(feature = "hydrate"))]
    let _ = state;
}

pub fn toggle_mic(state: CallState) {
    #[cfg(feature = "hydrate")]
    super::engine::toggle_mic(state);
    #[cfg(not(feature = "hydrate"))]
    let _ = state;
}

/// Push to talk (Space held while muted): on while `talking`, muted again after. Whether the
/// microphone changed (it must be open and muted to start).
pub fn push_to_talk(state: CallState, talking: bool) -> bool {
    #[cfg(feature = "hydrate")]
    return super::engine::push_to_talk(state, talking);
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (state, talking);
        false
    }
}

pub fn toggle_camera(state: CallState) {
    #[cfg(feature = "hydrate")]
    super::engine::toggle_camera(state);
    #[cfg(not(feature = "hydrate"))]
    let _ = state;
}

pub fn toggle_screen(state: CallState) {
    #[cfg(feature = "hydrate")]
    super::engine::toggle_screen(state);
    #[cfg(not(feature = "hydrate"))]
    let _ = state;
}

pub fn choose_device(state: CallState, kind: DeviceKind, id: String) {
    #[cfg(feature = "hydrate")]
    super::engine::choose_device(state, kind, id);
    #[cfg(not(feature = "hydrate"))]
    let _ = (state, kind, id);
}

/// Enters the meeting with a ticket from the join step.
pub fn enter(state: CallState, ticket: JoinTicket) {
    #[cfg(feature = "hydrate")]
    super::engine::enter(state, ticket);
    #[cfg(not(feature = "hydrate"))]
    let _ = (state, ticket);
}

/// Leaves on purpose: tells the server, closes connections, releases devices.
pub fn leave(state: CallState) {
    #[cfg(feature = "hydrate")]
    super::engine::leave(state);
    #[cfg(not(feature = "hydrate"))]
    let _ = state;
}

/// Ends the meeting for everyone (host only; the server checks).
pub fn end_for_all() {
    #[cfg(feature = "hydrate")]
    super::engine::end_for_all();
}

/// Sends a chat message to everyone (`to` absent) or privately.
pub fn send_chat(state: CallState, to: Option<PeerId>, text: String) {
    #[cfg(feature = "hydrate")]
    super::engine::send_chat(state, to, text);
    #[cfg(not(feature = "hydrate"))]
    let _ = (state, to, text);
}

/// Loads the page of chat history before the oldest message shown.
pub fn load_older_chat(state: CallState) {
    #[cfg(feature = "hydrate")]
    super::engine::load_older_chat(state);
    #[cfg(not(feature = "hydrate"))]
    let _ = state;
}

/// A host or moderator action (the server checks the role).
pub fn host_action(action: HostAction) {
    #[cfg(feature = "hydrate")]
    super::engine::host_action(action);
    #[cfg(not(feature = "hydrate"))]
    let _ = action;
}

pub fn set_hand(state: CallState, raised: bool) {
    #[cfg(feature = "hydrate")]
    super::engine::set_hand(state, raised);
    #[cfg(not(feature = "hydrate"))]
    let _ = (state, raised);
}

pub fn react(state: CallState, reaction: Reaction) {
    #[cfg(feature = "hydrate")]
    super::engine::react(state, reaction);
    #[cfg(not(feature = "hydrate"))]
    let _ = (state, reaction);
}

/// Shows the others' cameras, or stops them to save bandwidth (audio and screen shares go on).
pub fn set_incoming_video(state: CallState, on: bool) {
    state.local.update(|m| m.data_saver = !on);
    #[cfg(feature = "hydrate")]
    super::engine::set_incoming_video(on);
}

/// Answers the data-saver suggestion: `accept` turns the others' cameras off; either way it
/// goes away ("Not now" is not asked again on this page).
pub fn answer_saver_hint(state: CallState, accept: bool) {
    state.saver_hint.set(false);
    if accept {
        set_incoming_video(state, false);
    } else {
        #[cfg(feature = "hydrate")]
        super::engine::dismiss_saver_hint();
    }
}

/// The talking-while-muted hint: `unmute`, or dismiss it for a while.
pub fn answer_muted_talk(state: CallState, unmute: bool) {
    state.talking_muted.set(false);
    if unmute {
        if !state.local.get_untracked().audio {
            toggle_mic(state);
        }
    } else {
        #[cfg(feature = "hydrate")]
        super::engine::dismiss_muted_talk();
    }
}

/// Does what the host asked (turns the microphone or camera on).
pub fn accept_request(state: CallState) {
    #[cfg(feature = "hydrate")]
    super::engine::accept_request(state);
    #[cfg(not(feature = "hydrate"))]
    let _ = state;
}

/// This browser's guest key: random, kept in `localStorage`, sent with a guest's join so a
/// guest the host removed stays out of that meeting session. `None` where storage is off.
pub fn guest_key() -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        const KEY: &str = "vm_guest_key";
        let window = web_sys::window()?;
        let storage = window.local_storage().ok().flatten()?;
        if let Ok(Some(key)) = storage.get_item(KEY) {
            return Some(key);
        }
        let key = window.crypto().ok()?.random_uuid();
        storage.set_item(KEY, &key).ok()?;
        Some(key)
    }
    #[cfg(not(feature = "hydrate"))]
    None
}

/// The tab's session storage key for what was typed to join meeting `code`.
#[cfg(feature = "hydrate")]
fn typed_key(code: &str) -> String {
    format!("vm_typed:{code}")
}

/// Keeps the name and meeting password this tab joined `code` with, in session storage
/// (gone with the tab; never in local storage), so "Rejoin" and a reload find them filled in.
pub fn remember_typed(code: &str, name: &str, password: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(storage) = web_sys::window().and_then(|w| w.session_storage().ok().flatten())
        && let Ok(json) = serde_json::to_string(&(name, password))
    {
        let _ = storage.set_item(&typed_key(code), &json);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (code, name, password);
}

/// What `remember_typed` kept for `code` in this tab: (name, password).
pub fn typed_for(code: &str) -> Option<(String, String)> {
    #[cfg(feature = "hydrate")]
    {
        let storage = web_sys::window()?.session_storage().ok().flatten()?;
        let json = storage.get_item(&typed_key(code)).ok().flatten()?;
        serde_json::from_str(&json).ok()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = code;
        None
    }
}

/// A reload within the resume window resumes the seat this tab kept, instead of the pre-join
/// (`seat`). Returns whether it does.
pub fn resume_kept_seat(state: CallState) -> bool {
    #[cfg(feature = "hydrate")]
    {
        super::engine::resume_kept_seat(state)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = state;
        false
    }
}

/// Releases everything when the page goes away (navigation, unmount).
pub fn shutdown() {
    #[cfg(feature = "hydrate")]
    super::engine::shutdown();
}

/// Shows the stream behind `key` in a `<video>` element (client only).
#[cfg(feature = "hydrate")]
pub fn attach(video: &web_sys::HtmlVideoElement, key: &super::TileKey) {
    super::engine::attach(video, key);
}
