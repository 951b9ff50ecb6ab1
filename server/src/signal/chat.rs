//! Chat over `/ws`, on the socket's task: checked, rate-limited, stored in SurrealDB, and
//! only then sent on and acknowledged, so nothing acknowledged is lost on a crash.

use super::error;
use super::limit::Bucket;
use crate::db::{self, chat::NewMessage};
use crate::rooms::{RoomError, Seat};
use crate::state::AppState;
use protocol::room::{MAX_CHAT_CHARS, check_chat_text};
use protocol::signal::{PeerId, ServerMsg, SignalErrorCode};
use std::time::Instant;

/// Messages, reactions and hands a person may send: a burst, then this many per second.
pub fn social_bucket(now: Instant) -> Bucket {
    Bucket::new(20, 4, now)
}

/// Pages of chat history a person may ask for: a burst (a late joiner scrolling back), then
/// this many per second. Each page is a database query, so it has a budget of its own.
pub fn history_bucket(now: Instant) -> Bucket {
    Bucket::new(10, 2, now)
}

/// Stores and sends one message; the answer for the sender (`chat_ack` or `error`).
pub async fn send(
    state: &AppState,
    seat: &Seat,
    bucket: &mut Bucket,
    nonce: u32,
    to: Option<PeerId>,
    text: String,
) -> ServerMsg {
    if !bucket.take(Instant::now()) {
        return error(
            SignalErrorCode::RateLimited,
            "You are sending messages too fast; wait a moment.",
        );
    }
    let text = match check_chat_text(&text) {
        Ok(text) => text.to_owned(),
        Err(why) if text.chars().count() > MAX_CHAT_CHARS => {
            return error(SignalErrorCode::TooLarge, why);
        }
        Err(why) => return error(SignalErrorCode::BadMessage, why),
    };
    let names = match state.rooms.chat_names(seat, to.as_ref()) {
        Ok(names) => names,
        Err(RoomError::Waiting) => return waiting(),
        Err(_) => {
            return error(
                SignalErrorCode::UnknownPeer,
                "That participant is not in the meeting any more.",
            );
        }
    };
    let new = NewMessage {
        meeting: seat.meeting.clone(),
        room: seat.room.clone(),
        from: seat.peer.clone(),
        from_name: names.from,
        to,
        to_name: names.to,
        from_who: names.from_who,
        to_who: names.to_who,
        text,
    };
    match state.chat.store(new).await {
        Ok(message) => {
            metrics::counter!("chat_messages_total").increment(1);
            state.rooms.chat(seat, message.clone());
            ServerMsg::ChatAck { nonce, message }
        }
        // The reason is logged by the storing task.
        Err(_) => error(
            SignalErrorCode::Unavailable,
            "The message could not be saved, so it was not sent. Try again.",
        ),
    }
}

/// A page of the room's history as this participant may see it.
pub async fn history(state: &AppState, seat: &Seat, before: Option<String>) -> ServerMsg {
    if before
        .as_deref()
        .is_some_and(|b| b.len() > 40 || !b.chars().all(|c| c.is_ascii_alphanumeric()))
    {
        return error(SignalErrorCode::BadMessage, "That is not a message id.");
    }
    let who = state.rooms.chat_key(seat);
    match db::chat::history(&state.db, &seat.room, &seat.peer, who, before).await {
        Ok((messages, more)) => ServerMsg::ChatHistory { messages, more },
        Err(e) => {
            tracing::warn!(error = %e, "chat history not read");
            error(
                SignalErrorCode::Unavailable,
                "The chat history could not be loaded. Try again.",
            )
        }
    }
}

pub fn waiting() -> ServerMsg {
    error(
        SignalErrorCode::Waiting,
        "You are in the lobby until the host lets you in.",
    )
}
