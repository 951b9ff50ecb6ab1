//! Queries on the `user` table.

use super::{Db, DbResult, key_of, new_key};
use chrono::{DateTime, Utc};
use protocol::{User, UserId};
use surrealdb::types::{RecordId, SurrealValue};

/// A user row including the password hash; never leaves the server.
#[derive(Debug, Clone, SurrealValue)]
pub struct UserRow {
    pub id: RecordId,
    pub email: String,
    pub display_name: String,
    /// `Theme::as_str`; absent on rows from before v6.
    pub theme: Option<String>,
    /// Version of the profile picture (v7); absent without one.
    pub avatar: Option<String>,
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
}

impl UserRow {
    pub fn user_id(&self) -> UserId {
        UserId(key_of(&self.id))
    }

    pub fn avatar_path(&self) -> Option<String> {
        self.avatar
            .as_deref()
            .map(|version| protocol::avatar_path(&self.user_id(), version))
    }

    pub fn to_user(&self) -> User {
        User {
            id: self.user_id(),
            email: self.email.clone(),
            display_name: self.display_name.clone(),
            theme: self
                .theme
                .as_deref()
                .and_then(protocol::Theme::parse)
                .unwrap_or_default(),
            avatar: self.avatar_path(),
        }
    }
}

pub fn record(id: &UserId) -> RecordId {
    RecordId::new("user", id.0.clone())
}

/// Fails with `DbError::Duplicate` when the email is taken (unique index).
pub async fn create(
    db: &Db,
    email: &str,
    display_name: &str,
    password_hash: &str,
) -> DbResult<UserRow> {
    let id = RecordId::new("user", new_key());
    let mut res = db
        .query(
            "CREATE ONLY $id SET email = $email, display_name = $display_name, \
             password_hash = $password_hash, created_at = time::now()",
        )
        .bind(("id", id))
        .bind(("email", email.to_owned()))
        .bind(("display_name", display_name.to_owned()))
        .bind(("password_hash", password_hash.to_owned()))
        .await?
        .check()?;
    let row: Option<UserRow> = res.take(0)?;
    row.ok_or_else(|| super::DbError::Query("CREATE returned nothing".into()))
}

pub async fn by_email(db: &Db, email: &str) -> DbResult<Option<UserRow>> {
    let mut res = db
        .query("SELECT * FROM user WHERE email = $email LIMIT 1")
        .bind(("email", email.to_owned()))
        .await?
        .check()?;
    let rows: Vec<UserRow> = res.take(0)?;
    Ok(rows.into_iter().next())
}

pub async fn by_id(db: &Db, id: &UserId) -> DbResult<Option<UserRow>> {
    let mut res = db
        .query("SELECT * FROM ONLY $id")
        .bind(("id", record(id)))
        .await?
        .check()?;
    Ok(res.take::<Option<UserRow>>(0)?)
}

pub async fn set_display_name(
    db: &Db,
    id: &UserId,
    display_name: &str,
) -> DbResult<Option<UserRow>> {
    let mut res = db
        .query("UPDATE ONLY $id SET display_name = $display_name RETURN AFTER")
        .bind(("id", record(id)))
        .bind(("display_name", display_name.to_owned()))
        .await?
        .check()?;
    Ok(res.take::<Option<UserRow>>(0)?)
}

pub async fn set_theme(db: &Db, id: &UserId, theme: protocol::Theme) -> DbResult<Option<UserRow>> {
    let mut res = db
        .query("UPDATE ONLY $id SET theme = $theme RETURN AFTER")
        .bind(("id", record(id)))
        .bind(("theme", theme.as_str().to_owned()))
        .await?
        .check()?;
    Ok(res.take(0)?)
}
