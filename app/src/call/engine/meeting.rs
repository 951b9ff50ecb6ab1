//! The meeting around the media: chat, the lobby, host actions, hands and reactions. Server
//! messages about them land in `CallState`; the entry points send the client's side.

use super::{Engine, current};
use crate::call::chat::{self, ChatLine};
use crate::call::chime;
use crate::call::js;
use crate::call::saver_hint;
use crate::call::{CallState, Phase};
use leptos::prelude::*;
use protocol::room::{HostAction, Reaction, Request};
use protocol::signal::{ClientMsg, PeerId, ServerMsg};
use std::cell::Cell;
use std::rc::Rc;

/// A sent message not acknowledged by then is shown as not sent.
const ACK_TIMEOUT_MS: i32 = 10_000;
/// How long a reaction stays on a tile.
const REACTION_MS: i32 = 4_000;

thread_local! {
    /// Numbers my chat messages (acknowledgements name them), system lines and reactions.
    static COUNTER: Cell<u64> = const { Cell::new(0) };
}

fn next() -> u64 {
    COUNTER.with(|c| {
        c.set(c.get() + 1);
        c.get()
    })
}

impl Engine {
    fn me(&self) -> Option<PeerId> {
        self.call.borrow().as_ref().and_then(|c| c.me.clone())
    }

    /// A line in the chat about something that happened (counts as unread).
    pub(super) fn system_line(&self, text: String) {
        self.state.announce(text.clone());
        let line = ChatLine::system(next(), text, js::now_ms() as i64);
        self.state.chat.update(|lines| chat::merge(lines, [line]));
    }

    pub(super) fn request_history(&self, before: Option<String>) {
        self.send(&ClientMsg::ChatHistory { before });
    }

    fn count_unread(&self) {
        if !self.state.chat_open.get_untracked() {
            self.state.unread.update(|n| *n += 1);
        }
    }

    /// The meeting messages of `handle_server`.
    pub(super) fn handle_meeting(self: &Rc<Self>, msg: ServerMsg) {
        let state = self.state;
        match msg {
            ServerMsg::Chat { message } => {
                let me = self.me();
                let line = ChatLine::from_message(message, me.as_ref());
                state.chat.update(|lines| chat::merge(lines, [line]));
                self.count_unread();
            }
            ServerMsg::ChatAck { nonce, message } => {
                let me = self.me();
                state
                    .chat
                    .update(|lines| chat::acknowledge(lines, nonce, message, me.as_ref()));
            }
            ServerMsg::ChatHistory { messages, more } => {
                let me = self.me();
                let lines = messages
                    .into_iter()
                    .map(|m| ChatLine::from_message(m, me.as_ref()));
                state.chat.update(|all| chat::merge(all, lines));
                state.chat_more.set(more);
            }
            ServerMsg::Notice { notice } => {
                self.system_line(notice.text());
                self.count_unread();
            }
            ServerMsg::Waiting => state.phase.set(Phase::Waiting),
            ServerMsg::Lobby { waiting } => {
                let more = waiting.len() > state.lobby.with_untracked(Vec::len);
                if more && let Some(w) = waiting.last() {
                    state.show_toast(format!("{} is waiting to join", w.display_name));
                    if let Some(context) = &self.audio {
                        chime::knock(context);
                    }
                }
                state.lobby.set(waiting);
            }
            ServerMsg::Denied => self.end("The host did not let you in to this meeting."),
            ServerMsg::Removed { by } => {
                self.end_for_good(&format!("You were removed from the meeting by {by}."));
            }
            ServerMsg::ForceMuted { by } => {
                if state.local.get_untracked().audio {
                    super::toggle_mic(state);
                }
                state.show_toast(format!("{by} muted your microphone"));
            }
            ServerMsg::Asked { request, by } => state.asked.set(Some((request, by))),
            ServerMsg::Reaction { from, reaction } => show_reaction(state, Some(from), reaction),
            ServerMsg::Locked { locked } => state.locked.set(locked),
            _ => {}
        }
    }
}

fn show_reaction(state: CallState, who: Option<PeerId>, reaction: Reaction) {
    let id = next();
    state.reactions.update(|r| r.push((who, reaction, id)));
    js::after(REACTION_MS, move || {
        let _ = state
            .reactions
            .try_update(|r| r.retain(|(_, _, shown)| *shown != id));
    });
}

/// Sends a chat message (`to`: privately); it shows as pending until stored.
pub fn send_chat(state: CallState, to: Option<PeerId>, text: String) {
    let Some(e) = current() else {
        return;
    };
    let nonce = next() as u32;
    let to_name = to
        .as_ref()
        .and_then(|id| state.peer(id))
        .map(|p| p.info.display_name);
    let line = ChatLine::pending(nonce, text.clone(), to_name, js::now_ms() as i64);
    state.chat.update(|lines| chat::merge(lines, [line]));
    e.send(&ClientMsg::Chat { nonce, to, text });
    js::after(ACK_TIMEOUT_MS, move || {
        let _ = state.chat.try_update(|lines| chat::fail(lines, nonce));
    });
}

/// Asks for the page of history before the oldest message shown.
pub fn load_older_chat(state: CallState) {
    if let Some(e) = current() {
        let before = state.chat.with_untracked(|lines| chat::oldest_id(lines));
        e.request_history(before);
    }
}

pub fn host_action(action: HostAction) {
    if let Some(e) = current() {
        e.send(&ClientMsg::Host { action });
    }
}

pub fn set_hand(state: CallState, raised: bool) {
    if let Some(e) = current() {
        state.hand.set(raised);
        e.send(&ClientMsg::Hand { raised });
    }
}

/// The others' cameras stop being sent to me (or start again): the SFU is told, and my
/// announced media says so to the peers, who pause their camera on our link (`budget`).
pub fn set_incoming_video(on: bool) {
    if let Some(e) = current() {
        if e.sfu.borrow().is_some() {
            e.send(&ClientMsg::SfuReceive { cameras: on });
        }
        e.send_media();
    }
}

/// "Not now" to the data-saver suggestion: not asked again on this page.
pub fn dismiss_saver_hint() {
    if let Some(e) = current() {
        e.saver_hint.borrow_mut().dismiss();
    }
}

/// "Dismiss" on the talking-while-muted hint: quiet for a while (`muted_talk`).
pub fn dismiss_muted_talk() {
    if let Some(e) = current() {
        e.muted_talk.borrow_mut().dismiss(js::now_ms());
    }
}

impl Engine {
    /// Suggests the data saver while most cameras have been arriving with heavy loss for a
    /// while (`saver_hint`), from the qualities the last stats samples left on the tiles.
    pub(super) fn check_saver_hint(&self, now: f64) {
        let loss: Vec<f32> = self.state.peers.with_untracked(|peers| {
            peers
                .iter()
                .filter(|p| p.info.media.video)
                .filter_map(|p| p.quality.map(|q| q.loss_pct))
                .collect()
        });
        let saver_on = self.state.local.with_untracked(|m| m.data_saver);
        let show = self.saver_hint.borrow_mut().observe(
            now,
            saver_hint::receiving_poorly(&loss),
            saver_on,
        );
        if self.state.saver_hint.get_untracked() != show {
            self.state.saver_hint.set(show);
        }
    }
}

pub fn react(state: CallState, reaction: Reaction) {
    if let Some(e) = current() {
        e.send(&ClientMsg::React { reaction });
        show_reaction(state, None, reaction);
    }
}

/// Accepts a host's request: turns the microphone or camera on if it is off.
pub fn accept_request(state: CallState) {
    let Some((request, _)) = state.asked.get_untracked() else {
        return;
    };
    state.asked.set(None);
    let local = state.local.get_untracked();
    match request {
        Request::Microphone if !local.audio => super::toggle_mic(state),
        Request::Camera if !local.video => super::toggle_camera(state),
        _ => {}
    }
}
