//! Queries on the `avatar` table (one small JPEG per user, keyed like the user) and the
//! version the user row points at.

use super::{Db, DbResult, users};
use protocol::UserId;
use surrealdb::types::{Bytes, RecordId, SurrealValue};

#[derive(Debug, Clone, SurrealValue)]
pub struct AvatarRow {
    pub jpeg: Bytes,
    pub version: String,
}

fn record(id: &UserId) -> RecordId {
    RecordId::new("avatar", id.0.clone())
}

/// Stores the picture and points the user at its version, in one transaction.
pub async fn set(
    db: &Db,
    id: &UserId,
    jpeg: Vec<u8>,
    version: &str,
) -> DbResult<Option<users::UserRow>> {
    let mut res = db
        .query(
            "BEGIN; \
             UPSERT $avatar CONTENT { jpeg: $jpeg, version: $version, updated_at: time::now() }; \
             UPDATE ONLY $user SET avatar = $version RETURN AFTER; \
             COMMIT;",
            // Results: 0 BEGIN, 1 the avatar, 2 the user.
        )
        .bind(("avatar", record(id)))
        .bind(("user", users::record(id)))
        .bind(("jpeg", Bytes::from(jpeg)))
        .bind(("version", version.to_owned()))
        .await?
        .check()?;
    Ok(res.take::<Option<users::UserRow>>(2)?)
}

pub async fn remove(db: &Db, id: &UserId) -> DbResult<Option<users::UserRow>> {
    let mut res = db
        .query(
            "BEGIN; \
             DELETE $avatar; \
             UPDATE ONLY $user SET avatar = NONE RETURN AFTER; \
             COMMIT;",
            // Results: 0 BEGIN, 1 the avatar, 2 the user.
        )
        .bind(("avatar", record(id)))
        .bind(("user", users::record(id)))
        .await?
        .check()?;
    Ok(res.take::<Option<users::UserRow>>(2)?)
}

pub async fn get(db: &Db, id: &UserId) -> DbResult<Option<AvatarRow>> {
    let mut res = db
        .query("SELECT jpeg, version FROM ONLY $avatar")
        .bind(("avatar", record(id)))
        .await?
        .check()?;
    Ok(res.take::<Option<AvatarRow>>(0)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_picture_is_stored_pointed_at_and_removed() {
        let db = crate::db::connect("mem://", None, None).await.unwrap();
        let user = users::create(&db, "pic@example.com", "Pic", "hash")
            .await
            .unwrap();
        let id = user.user_id();
        let row = set(&db, &id, vec![1, 2, 3], "abc").await.unwrap().unwrap();
        assert_eq!(row.avatar.as_deref(), Some("abc"));
        let stored = get(&db, &id).await.unwrap().unwrap();
        assert_eq!(
            (&stored.jpeg[..], stored.version.as_str()),
            (&[1u8, 2, 3][..], "abc")
        );
        let row = remove(&db, &id).await.unwrap().unwrap();
        assert_eq!(row.avatar, None);
        assert!(get(&db, &id).await.unwrap().is_none());
    }
}
