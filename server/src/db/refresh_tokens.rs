//! Queries on sessions: a `session_family` row per sign-in (its absolute end and its revoked
//! flag) and `refresh_token` rows, stored as SHA-256 hashes, each belonging to one family.
//! A rotation claims the presented token, checks the family and inserts the successor in one
//! transaction, so a revocation racing a rotation can never leave a usable successor.

use super::{Db, DbError, DbResult, key_of, new_key};
use chrono::{DateTime, Utc};
use protocol::UserId;
use surrealdb::types::{RecordId, SurrealValue};

#[derive(Debug, Clone, SurrealValue)]
pub struct RefreshRow {
    pub id: RecordId,
    pub owner: RecordId,
    pub family: String,
    pub token_hash: String,
    pub used_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
}

impl RefreshRow {
    pub fn owner_id(&self) -> UserId {
        UserId(key_of(&self.owner))
    }
}

#[derive(Debug, Clone, SurrealValue)]
pub struct FamilyRow {
    pub revoked: bool,
    pub expires_at: DateTime<Utc>,
}

/// A token to store: the hash, its family and when it stops working.
pub struct NewRefresh<'a> {
    pub owner: &'a UserId,
    pub family: &'a str,
    pub token_hash: &'a str,
    pub expires_at: DateTime<Utc>,
}

fn family_record(family: &str) -> RecordId {
    RecordId::new("session_family", family)
}

const CREATE_TOKEN: &str = "CREATE $token_id SET owner = $owner, \
     family = $family, token_hash = $token_hash, rotated_from = $rotated_from, \
     used_at = NONE, expires_at = $expires_at, created_at = time::now();";

/// A new family (sign-in) ending at `family_ends`, with its first token.
pub async fn start_family(
    db: &Db,
    first: NewRefresh<'_>,
    family_ends: DateTime<Utc>,
) -> DbResult<()> {
    db.query(format!(
        "BEGIN TRANSACTION; \
         CREATE $fam SET owner = $owner, revoked = false, expires_at = $family_ends, \
           created_at = time::now(); \
         {CREATE_TOKEN} \
         COMMIT TRANSACTION;"
    ))
    .bind(("fam", family_record(first.family)))
    .bind(("token_id", RecordId::new("refresh_token", new_key())))
    .bind(("family_ends", family_ends))
    .bind(("owner", super::users::record(first.owner)))
    .bind(("family", first.family.to_owned()))
    .bind(("token_hash", first.token_hash.to_owned()))
    .bind(("rotated_from", None::<String>))
    .bind(("expires_at", first.expires_at))
    .await?
    .check()?;
    Ok(())
}

/// The token with this hash and its family (`None` when the family row is gone).
pub async fn by_hash(
    db: &Db,
    token_hash: &str,
) -> DbResult<Option<(RefreshRow, Option<FamilyRow>)>> {
    let mut res = db
        .query("SELECT * FROM refresh_token WHERE token_hash = $h LIMIT 1")
        .bind(("h", token_hash.to_owned()))
        .await?
        .check()?;
    let rows: Vec<RefreshRow> = res.take(0)?;
    let Some(row) = rows.into_iter().next() else {
        return Ok(None);
    };
    let mut res = db
        .query("SELECT revoked, expires_at FROM ONLY $fam")
        .bind(("fam", family_record(&row.family)))
        .await?
        .check()?;
    let family: Option<FamilyRow> = res.take(0)?;
    Ok(Some((row, family)))
}

/// How a claim ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// The token is now used and its successor stored.
    Done,
    /// Another request claimed it first (or the two collided): read again and decide again.
    Lost,
    /// The family was revoked or ended meanwhile: nothing was written.
    FamilyGone,
}

/// In one transaction: mark `claimed_hash` used if nobody did, check that its family is live
/// (writing the family row, so a concurrent revocation conflicts with us), store `successor`.
pub async fn claim_and_insert(
    db: &Db,
    claimed_hash: &str,
    successor: NewRefresh<'_>,
) -> DbResult<Claim> {
    let mut response = db
        .query(format!(
            "BEGIN TRANSACTION; \
             LET $claimed = (UPDATE refresh_token SET used_at = time::now() \
               WHERE token_hash = $rotated_from AND used_at = NONE RETURN AFTER); \
             IF array::len($claimed) = 0 {{ THROW 'vm-claim-lost' }}; \
             LET $live = (UPDATE $fam SET rotated_at = time::now() \
               WHERE revoked = false AND expires_at > time::now() RETURN AFTER); \
             IF array::len($live) = 0 {{ THROW 'vm-family-gone' }}; \
             {CREATE_TOKEN} \
             COMMIT TRANSACTION;"
        ))
        .bind(("fam", family_record(successor.family)))
        .bind(("token_id", RecordId::new("refresh_token", new_key())))
        .bind(("owner", super::users::record(successor.owner)))
        .bind(("family", successor.family.to_owned()))
        .bind(("token_hash", successor.token_hash.to_owned()))
        .bind(("rotated_from", Some(claimed_hash.to_owned())))
        .bind(("expires_at", successor.expires_at))
        .await?;
    // A failed transaction fails every statement; the reason is in one of them.
    let errors: Vec<String> = response
        .take_errors()
        .into_values()
        .map(|e| e.to_string())
        .collect();
    if errors.is_empty() {
        return Ok(Claim::Done);
    }
    let any = |needle: &str| errors.iter().any(|e| e.to_lowercase().contains(needle));
    if any("vm-family-gone") {
        Ok(Claim::FamilyGone)
    } else if any("vm-claim-lost") || any("conflict") {
        Ok(Claim::Lost)
    } else {
        Err(DbError::Query(errors.join("; ")))
    }
}

/// Ends a family: the flag stops every rotation (checked inside the claim's transaction), and
/// its tokens are deleted (nothing left to detect reuse of once the family is dead).
pub async fn revoke_family(db: &Db, family: &str) -> DbResult<()> {
    db.query(
        "BEGIN TRANSACTION; \
         UPDATE $fam SET revoked = true; \
         DELETE refresh_token WHERE family = $family; \
         COMMIT TRANSACTION;",
    )
    .bind(("fam", family_record(family)))
    .bind(("family", family.to_owned()))
    .await?
    .check()?;
    Ok(())
}

/// Deletes expired tokens and dead (revoked or ended) families; returns the rows removed.
pub async fn sweep(db: &Db) -> DbResult<usize> {
    let mut res = db
        .query("DELETE refresh_token WHERE expires_at < time::now() RETURN BEFORE")
        .query(
            "DELETE session_family WHERE revoked = true OR expires_at < time::now() \
             RETURN BEFORE",
        )
        .await?
        .check()?;
    let tokens: Vec<RefreshRow> = res.take(0)?;
    let families: Vec<FamilyRow> = res.take(1)?;
    Ok(tokens.len() + families.len())
}

/// Rows in both session tables, for tests and metrics.
pub async fn count(db: &Db) -> DbResult<(usize, usize)> {
    let mut res = db
        .query("RETURN count(SELECT id FROM refresh_token)")
        .query("RETURN count(SELECT id FROM session_family)")
        .await?
        .check()?;
    let tokens: Option<i64> = res.take(0)?;
    let families: Option<i64> = res.take(1)?;
    let n = |v: Option<i64>| usize::try_from(v.unwrap_or(0)).unwrap_or(0);
    Ok((n(tokens), n(families)))
}
