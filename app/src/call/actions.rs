//! What buttons do. Each action forwards to the browser engine; during server rendering there
//! is no engine and they do nothing.

use super::CallState;
use protocol::signal::JoinTicket;

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
