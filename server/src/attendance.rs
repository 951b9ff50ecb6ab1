//! The attendance record: arrivals and departures from the rooms (`rooms::Presence`) written
//! to SurrealDB as they happen, by one task, off the rooms' lock. A write that fails is
//! logged and counted; the meeting goes on.

use crate::db::{self, Db};
use crate::rooms::Presence;
use tokio::sync::mpsc;

/// Writes every event `from` receives until the rooms are gone.
pub async fn write_forever(db: Db, mut from: mpsc::Receiver<Presence>) {
    while let Some(event) = from.recv().await {
        let written = match &event {
            Presence::Arrived {
                meeting,
                room,
                peer,
                name,
                user,
                at,
            } => {
                db::attendance::arrived(&db, meeting, room, &peer.0, name, user.as_ref(), *at).await
            }
            Presence::Left { room, peer, at } => {
                db::attendance::left(&db, room, &peer.0, *at).await
            }
        };
        if let Err(e) = written {
            metrics::counter!("attendance_write_errors_total").increment(1);
            tracing::warn!(error = %e, "attendance not written");
        }
    }
}
