//! Queries on the `attendance` table: an arrival, a departure, and a meeting's record for its
//! host.

use super::{Db, DbResult};
use chrono::{DateTime, Utc};
use protocol::UserId;
use surrealdb::types::{RecordId, SurrealValue};

#[derive(Debug, Clone, SurrealValue)]
pub struct AttendanceRow {
    pub name: String,
    pub user: Option<RecordId>,
    pub joined_at: DateTime<Utc>,
    pub left_at: Option<DateTime<Utc>>,
}

pub async fn arrived(
    db: &Db,
    meeting: &str,
    room: &str,
    peer: &str,
    name: &str,
    user: Option<&UserId>,
    at: DateTime<Utc>,
) -> DbResult<()> {
    db.query(
        "CREATE attendance SET meeting = $meeting, room = $room, peer = $peer, name = $name, \
         user = $user, joined_at = $at RETURN NONE",
    )
    .bind(("meeting", RecordId::new("meeting", meeting.to_owned())))
    .bind(("room", room.to_owned()))
    .bind(("peer", peer.to_owned()))
    .bind(("name", name.to_owned()))
    .bind(("user", user.map(super::users::record)))
    .bind(("at", at))
    .await?
    .check()?;
    Ok(())
}

/// Closes `peer`'s open row in `room` (nothing for someone who never took a seat).
pub async fn left(db: &Db, room: &str, peer: &str, at: DateTime<Utc>) -> DbResult<()> {
    db.query(
        "UPDATE attendance SET left_at = $at \
         WHERE room = $room AND peer = $peer AND left_at = NONE RETURN NONE",
    )
    .bind(("room", room.to_owned()))
    .bind(("peer", peer.to_owned()))
    .bind(("at", at))
    .await?
    .check()?;
    Ok(())
}

/// Everyone who took a seat in the meeting, in the order they came.
pub async fn of_meeting(db: &Db, meeting: &RecordId) -> DbResult<Vec<AttendanceRow>> {
    let mut res = db
        .query(
            "SELECT name, user, joined_at, left_at FROM attendance \
             WHERE meeting = $meeting ORDER BY joined_at",
        )
        .bind(("meeting", meeting.clone()))
        .await?
        .check()?;
    Ok(res.take(0)?)
}
