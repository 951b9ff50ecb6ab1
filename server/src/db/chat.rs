//! Queries on the `chat_message` table: store one message, page a room's history as one
//! participant may see it, and read a meeting's public chat for its host.

use super::{Db, DbResult};
use chrono::{DateTime, Utc};
use protocol::room::{CHAT_PAGE, ChatMessage};
use protocol::signal::PeerId;
use surrealdb::types::{RecordId, SurrealValue};

#[derive(Debug, Clone, SurrealValue)]
struct ChatRow {
    sort_key: String,
    from_peer: String,
    from_name: String,
    to_peer: Option<String>,
    to_name: Option<String>,
    text: String,
    at: DateTime<Utc>,
}

impl ChatRow {
    fn message(self) -> ChatMessage {
        ChatMessage {
            id: self.sort_key,
            from: PeerId(self.from_peer),
            from_name: self.from_name,
            to: self.to_peer.map(PeerId),
            to_name: self.to_name,
            text: self.text,
            at_ms: self.at.timestamp_millis(),
        }
    }
}

/// A message to store: `meeting` is the meeting's record key, `room` the live room's id.
pub struct NewMessage<'a> {
    pub meeting: &'a str,
    pub room: &'a str,
    pub from: &'a PeerId,
    pub from_name: String,
    pub to: Option<&'a PeerId>,
    pub to_name: Option<String>,
    pub text: String,
}

/// Stores a message and returns it as readers get it. When this returns, SurrealDB has
/// committed it.
pub async fn store(db: &Db, new: NewMessage<'_>) -> DbResult<ChatMessage> {
    let at = Utc::now();
    let sort_key = format!(
        "{:013}{}",
        at.timestamp_millis().max(0),
        &crate::ids::random_key()[..8]
    );
    db.query(
        "CREATE ONLY $id SET meeting = $meeting, room = $room, sort_key = $sort_key, \
         from_peer = $from_peer, from_name = $from_name, to_peer = $to_peer, \
         to_name = $to_name, text = $text, at = $at RETURN NONE",
    )
    .bind(("id", RecordId::new("chat_message", sort_key.clone())))
    .bind(("meeting", RecordId::new("meeting", new.meeting.to_owned())))
    .bind(("room", new.room.to_owned()))
    .bind(("sort_key", sort_key.clone()))
    .bind(("from_peer", new.from.0.clone()))
    .bind(("from_name", new.from_name.clone()))
    .bind(("to_peer", new.to.map(|p| p.0.clone())))
    .bind(("to_name", new.to_name.clone()))
    .bind(("text", new.text.clone()))
    .bind(("at", at))
    .await?
    .check()?;
    Ok(ChatMessage {
        id: sort_key,
        from: new.from.clone(),
        from_name: new.from_name,
        to: new.to.cloned(),
        to_name: new.to_name,
        text: new.text,
        at_ms: at.timestamp_millis(),
    })
}

/// The page of `room`'s messages before `before` that `me` may see (to everyone, or private
/// to or from `me`), oldest first, and whether older ones exist.
pub async fn history(
    db: &Db,
    room: &str,
    me: &PeerId,
    before: Option<String>,
) -> DbResult<(Vec<ChatMessage>, bool)> {
    let mut res = db
        .query(
            "SELECT sort_key, from_peer, from_name, to_peer, to_name, text, at \
             FROM chat_message WHERE room = $room \
             AND (to_peer = NONE OR to_peer = $me OR from_peer = $me) \
             AND ($before = NONE OR sort_key < $before) \
             ORDER BY sort_key DESC LIMIT $limit",
        )
        .bind(("room", room.to_owned()))
        .bind(("me", me.0.clone()))
        .bind(("before", before))
        .bind(("limit", (CHAT_PAGE + 1) as i64))
        .await?
        .check()?;
    let mut rows: Vec<ChatRow> = res.take(0)?;
    let more = rows.len() > CHAT_PAGE;
    rows.truncate(CHAT_PAGE);
    rows.reverse();
    Ok((rows.into_iter().map(ChatRow::message).collect(), more))
}

/// Everything said to everyone in a meeting, in order (private messages stay private, the
/// host included).
pub async fn of_meeting(db: &Db, meeting: &RecordId) -> DbResult<Vec<ChatMessage>> {
    let mut res = db
        .query(
            "SELECT sort_key, from_peer, from_name, to_peer, to_name, text, at \
             FROM chat_message WHERE meeting = $meeting AND to_peer = NONE \
             ORDER BY sort_key",
        )
        .bind(("meeting", meeting.clone()))
        .await?
        .check()?;
    let rows: Vec<ChatRow> = res.take(0)?;
    Ok(rows.into_iter().map(ChatRow::message).collect())
}
