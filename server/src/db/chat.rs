//! Queries on the `chat_message` table: store messages (a batch in one transaction), page a
//! room's history as one participant may see it, and read a meeting's public chat for its
//! host.

use super::{Db, DbResult};
use chrono::{DateTime, Utc};
use protocol::room::{CHAT_PAGE, ChatMessage};
use protocol::signal::PeerId;
// `Value`: named by the code `#[surreal(flatten)]` generates.
use surrealdb::types::{RecordId, SurrealValue, Value};

#[derive(Debug, Clone, SurrealValue)]
struct ChatRow {
    sort_key: String,
    from_peer: String,
    from_name: String,
    to_peer: Option<String>,
    to_name: Option<String>,
    /// The sender's and the recipient's `Identity::chat_key`: who may read a private
    /// message after rejoining under a new peer id (none on rows from before they were kept).
    from_who: Option<String>,
    to_who: Option<String>,
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
            from_me: false,
        }
    }
}

/// A message to store: `meeting` is the meeting's record key, `room` the live room's id.
/// Owned: it may wait in `crate::chat_store`'s queue.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub meeting: String,
    pub room: String,
    pub from: PeerId,
    pub from_name: String,
    pub to: Option<PeerId>,
    pub to_name: Option<String>,
    /// The sender's and the recipient's `Identity::chat_key`: who may read a private
    /// message after rejoining under a new peer id.
    pub from_who: String,
    pub to_who: Option<String>,
    pub text: String,
}

/// A row as `INSERT` takes it: what readers get, plus the record's key (`id`) and where it
/// belongs.
#[derive(Debug, Clone, SurrealValue)]
struct InsertRow {
    id: RecordId,
    meeting: RecordId,
    room: String,
    #[surreal(flatten)]
    row: ChatRow,
}

/// Stores messages in one transaction and returns them as readers get them, in the same
/// order. When this returns, SurrealDB has committed all of them (or none: an error).
pub async fn store_all(db: &Db, batch: Vec<NewMessage>) -> DbResult<Vec<ChatMessage>> {
    let at = Utc::now();
    let rows: Vec<InsertRow> = batch
        .into_iter()
        .map(|new| {
            let sort_key = format!(
                "{:013}{}",
                at.timestamp_millis().max(0),
                &crate::ids::random_key()[..8]
            );
            InsertRow {
                id: RecordId::new("chat_message", sort_key.clone()),
                meeting: RecordId::new("meeting", new.meeting),
                room: new.room,
                row: ChatRow {
                    sort_key,
                    from_peer: new.from.0,
                    from_name: new.from_name,
                    to_peer: new.to.map(|p| p.0),
                    to_name: new.to_name,
                    from_who: Some(new.from_who),
                    to_who: new.to_who,
                    text: new.text,
                    at,
                },
            }
        })
        .collect();
    let stored = rows.iter().map(|r| r.row.clone().message()).collect();
    db.query("INSERT INTO chat_message $rows RETURN NONE")
        .bind(("rows", rows))
        .await?
        .check()?;
    Ok(stored)
}

/// The page of `room`'s messages before `before` that `me` may see (to everyone, or private
/// to or from `me`: this peer id, or the same person under an earlier one, `who`), oldest
/// first, and whether older ones exist.
pub async fn history(
    db: &Db,
    room: &str,
    me: &PeerId,
    who: Option<String>,
    before: Option<String>,
) -> DbResult<(Vec<ChatMessage>, bool)> {
    let mut res = db
        .query(
            "SELECT sort_key, from_peer, from_name, to_peer, to_name, from_who, to_who, text, at \
             FROM chat_message WHERE room = $room \
             AND (to_peer = NONE OR to_peer = $me OR from_peer = $me \
                  OR ($who != NONE AND (to_who = $who OR from_who = $who))) \
             AND ($before = NONE OR sort_key < $before) \
             ORDER BY sort_key DESC LIMIT $limit",
        )
        .bind(("room", room.to_owned()))
        .bind(("me", me.0.clone()))
        .bind(("who", who.clone()))
        .bind(("before", before))
        .bind(("limit", (CHAT_PAGE + 1) as i64))
        .await?
        .check()?;
    let mut rows: Vec<ChatRow> = res.take(0)?;
    let more = rows.len() > CHAT_PAGE;
    rows.truncate(CHAT_PAGE);
    rows.reverse();
    let messages = rows
        .into_iter()
        .map(|row| {
            let from_me = who.is_some() && row.from_who == who;
            ChatMessage {
                from_me,
                ..row.message()
            }
        })
        .collect();
    Ok((messages, more))
}

/// Everything said to everyone in a meeting, in order (private messages stay private, the
/// host included).
pub async fn of_meeting(db: &Db, meeting: &RecordId) -> DbResult<Vec<ChatMessage>> {
    let mut res = db
        .query(
            "SELECT sort_key, from_peer, from_name, to_peer, to_name, from_who, to_who, text, at \
             FROM chat_message WHERE meeting = $meeting AND to_peer = NONE \
             ORDER BY sort_key",
        )
        .bind(("meeting", meeting.clone()))
        .await?
        .check()?;
    let rows: Vec<ChatRow> = res.take(0)?;
    Ok(rows.into_iter().map(ChatRow::message).collect())
}
