//! Queries on the `meeting` table.

use super::{Db, DbResult, key_of, new_key};
use chrono::{DateTime, Utc};
use protocol::{MeetingCode, UserId};
use surrealdb::types::{RecordId, SurrealValue};

#[derive(Debug, Clone, SurrealValue)]
pub struct MeetingRow {
    pub id: RecordId,
    pub code: String,
    pub title: String,
    pub host: RecordId,
    pub starts_at: Option<DateTime<Utc>>,
    pub duration_minutes: i64,
    pub password_hash: Option<String>,
    pub allow_guests: bool,
    pub lobby: bool,
    pub max_participants: i64,
    pub created_at: DateTime<Utc>,
    /// Changes since creation (an invitation's SEQUENCE); absent on rows from before v5.
    pub sequence: Option<i64>,
}

impl MeetingRow {
    pub fn host_id(&self) -> UserId {
        UserId(key_of(&self.host))
    }
}

/// Everything a meeting stores besides its ids and timestamps.
#[derive(Debug, Clone)]
pub struct MeetingFields {
    pub title: String,
    pub starts_at: Option<DateTime<Utc>>,
    pub duration_minutes: i64,
    pub password_hash: Option<String>,
    pub allow_guests: bool,
    pub lobby: bool,
    pub max_participants: i64,
}

impl MeetingRow {
    pub fn fields(&self) -> MeetingFields {
        MeetingFields {
            title: self.title.clone(),
            starts_at: self.starts_at,
            duration_minutes: self.duration_minutes,
            password_hash: self.password_hash.clone(),
            allow_guests: self.allow_guests,
            lobby: self.lobby,
            max_participants: self.max_participants,
        }
    }
}

const SET_FIELDS: &str = "title = $title, starts_at = $starts_at, \
    duration_minutes = $duration_minutes, password_hash = $password_hash, \
    allow_guests = $allow_guests, lobby = $lobby, max_participants = $max_participants, \
    updated_at = time::now()";

fn bind_fields<'r>(
    query: surrealdb::method::Query<'r, surrealdb::engine::any::Any>,
    f: MeetingFields,
) -> surrealdb::method::Query<'r, surrealdb::engine::any::Any> {
    query
        .bind(("title", f.title))
        .bind(("starts_at", f.starts_at))
        .bind(("duration_minutes", f.duration_minutes))
        .bind(("password_hash", f.password_hash))
        .bind(("allow_guests", f.allow_guests))
        .bind(("lobby", f.lobby))
        .bind(("max_participants", f.max_participants))
}

/// Fails with `DbError::Duplicate` if the code is taken.
pub async fn create(
    db: &Db,
    host: &UserId,
    code: &MeetingCode,
    fields: MeetingFields,
) -> DbResult<MeetingRow> {
    let sql = format!(
        "CREATE ONLY $id SET code = $code, host = $host, created_at = time::now(), {SET_FIELDS}"
    );
    let query = db
        .query(sql)
        .bind(("id", RecordId::new("meeting", new_key())))
        .bind(("code", code.0.clone()))
        .bind(("host", super::users::record(host)));
    let mut res = bind_fields(query, fields).await?.check()?;
    let row: Option<MeetingRow> = res.take(0)?;
    row.ok_or_else(|| super::DbError::Query("CREATE returned nothing".into()))
}

pub async fn by_code(db: &Db, code: &MeetingCode) -> DbResult<Option<MeetingRow>> {
    let mut res = db
        .query("SELECT * FROM meeting WHERE code = $code LIMIT 1")
        .bind(("code", code.0.clone()))
        .await?
        .check()?;
    let rows: Vec<MeetingRow> = res.take(0)?;
    Ok(rows.into_iter().next())
}

/// The host's display name, for the public pre-join info.
pub async fn host_name(db: &Db, row: &MeetingRow) -> DbResult<String> {
    let mut res = db
        .query("SELECT VALUE display_name FROM ONLY $host")
        .bind(("host", row.host.clone()))
        .await?
        .check()?;
    Ok(res.take::<Option<String>>(0)?.unwrap_or_default())
}

pub async fn by_host(db: &Db, host: &UserId) -> DbResult<Vec<MeetingRow>> {
    let mut res = db
        .query("SELECT * FROM meeting WHERE host = $host ORDER BY created_at DESC")
        .bind(("host", super::users::record(host)))
        .await?
        .check()?;
    Ok(res.take::<Vec<MeetingRow>>(0)?)
}

pub async fn update(db: &Db, row: &MeetingRow, fields: MeetingFields) -> DbResult<MeetingRow> {
    let sql =
        format!("UPDATE ONLY $id SET {SET_FIELDS}, sequence = (sequence ?? 0) + 1 RETURN AFTER");
    let query = db.query(sql).bind(("id", row.id.clone()));
    let mut res = bind_fields(query, fields).await?.check()?;
    let updated: Option<MeetingRow> = res.take(0)?;
    updated.ok_or_else(|| super::DbError::Query("UPDATE returned nothing".into()))
}

/// Deletes the meeting, its chat and its attendance.
pub async fn delete(db: &Db, row: &MeetingRow) -> DbResult<()> {
    db.query(
        "DELETE chat_message WHERE meeting = $id; DELETE attendance WHERE meeting = $id; \
         DELETE $id",
    )
    .bind(("id", row.id.clone()))
    .await?
    .check()?;
    Ok(())
}
