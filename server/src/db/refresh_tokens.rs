//! Queries on the `refresh_token` table: tokens are stored as SHA-256 hashes, grouped in families.

use super::{Db, DbResult, key_of, new_key};
use chrono::{DateTime, Utc};
use protocol::UserId;
use surrealdb::types::{RecordId, SurrealValue};

#[derive(Debug, Clone, SurrealValue)]
pub struct RefreshRow {
    pub id: RecordId,
    pub owner: RecordId,
    pub family: String,
    pub token_hash: String,
    pub rotated_from: Option<String>,
    pub used: bool,
    pub revoked: bool,
    pub expires_at: DateTime<Utc>,
}

impl RefreshRow {
    pub fn owner_id(&self) -> UserId {
        UserId(key_of(&self.owner))
    }
}

pub struct NewRefresh<'a> {
    pub owner: &'a UserId,
    pub family: &'a str,
    pub token_hash: &'a str,
    pub rotated_from: Option<&'a str>,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert(db: &Db, new: NewRefresh<'_>) -> DbResult<()> {
    db.query(
        "CREATE $id SET owner = $owner, family = $family, token_hash = $token_hash, \
         rotated_from = $rotated_from, used = false, revoked = false, \
         expires_at = $expires_at, created_at = time::now()",
    )
    .bind(("id", RecordId::new("refresh_token", new_key())))
    .bind(("owner", super::users::record(new.owner)))
    .bind(("family", new.family.to_owned()))
    .bind(("token_hash", new.token_hash.to_owned()))
    .bind(("rotated_from", new.rotated_from.map(str::to_owned)))
    .bind(("expires_at", new.expires_at))
    .await?
    .check()?;
    Ok(())
}

pub async fn by_hash(db: &Db, token_hash: &str) -> DbResult<Option<RefreshRow>> {
    let mut res = db
        .query("SELECT * FROM refresh_token WHERE token_hash = $h LIMIT 1")
        .bind(("h", token_hash.to_owned()))
        .await?
        .check()?;
    let rows: Vec<RefreshRow> = res.take(0)?;
    Ok(rows.into_iter().next())
}

/// Marks the token used if nobody did before; `true` when this call won the race.
pub async fn claim(db: &Db, token_hash: &str) -> DbResult<bool> {
    let mut res = db
        .query(
            "UPDATE refresh_token SET used = true \
             WHERE token_hash = $h AND used = false AND revoked = false RETURN AFTER",
        )
        .bind(("h", token_hash.to_owned()))
        .await?
        .check()?;
    let rows: Vec<RefreshRow> = res.take(0)?;
    Ok(!rows.is_empty())
}

pub async fn revoke_family(db: &Db, family: &str) -> DbResult<()> {
    db.query("UPDATE refresh_token SET revoked = true WHERE family = $family")
        .bind(("family", family.to_owned()))
        .await?
        .check()?;
    Ok(())
}
