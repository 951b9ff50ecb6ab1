//! Sessions: issue an access + refresh pair, rotate the refresh token on every use, and revoke
//! the whole family when a used token comes back (it was stolen, or the client is confused).

use super::tokens::{TokenKeys, hash_refresh_token, new_refresh_token, now_secs};
use crate::db::refresh_tokens::{self, NewRefresh};
use crate::db::{Db, DbError, new_key};
use chrono::{Duration, Utc};
use protocol::UserId;

/// The tokens a client receives (as cookies).
#[derive(Debug, Clone)]
pub struct Session {
    pub user: UserId,
    pub access_token: String,
    pub refresh_token: String,
}

#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    #[error("unknown, expired or revoked refresh token")]
    Invalid,
    #[error("refresh token reused; its family is revoked")]
    Reused,
    #[error(transparent)]
    Db(#[from] DbError),
}

pub struct Sessions<'a> {
    pub db: &'a Db,
    pub keys: &'a TokenKeys,
    pub refresh_ttl_secs: u64,
}

impl Sessions<'_> {
    /// A new session (new family) after sign-in or registration.
    pub async fn start(&self, user: &UserId) -> Result<Session, DbError> {
        self.issue(user, &new_key(), None).await
    }

    async fn issue(
        &self,
        user: &UserId,
        family: &str,
        rotated_from: Option<&str>,
    ) -> Result<Session, DbError> {
        let refresh_token = new_refresh_token();
        let ttl = i64::try_from(self.refresh_ttl_secs).unwrap_or(i64::MAX / 2);
        refresh_tokens::insert(
            self.db,
            NewRefresh {
                owner: user,
                family,
                token_hash: &hash_refresh_token(&refresh_token),
                rotated_from,
                expires_at: Utc::now() + Duration::seconds(ttl),
            },
        )
        .await?;
        Ok(Session {
            user: user.clone(),
            access_token: self.keys.issue_access(user, now_secs()),
            refresh_token,
        })
    }

    /// Exchanges a refresh token for a new pair. A token presented twice revokes its family,
    /// so the newest token (possibly held by an attacker) stops working too.
    pub async fn rotate(&self, presented: &str) -> Result<Session, RefreshError> {
        let hash = hash_refresh_token(presented);
        let row = refresh_tokens::by_hash(self.db, &hash)
            .await?
            .ok_or(RefreshError::Invalid)?;
        if row.revoked {
            return Err(RefreshError::Invalid);
        }
        if row.used {
            refresh_tokens::revoke_family(self.db, &row.family).await?;
            return Err(RefreshError::Reused);
        }
        if row.expires_at < Utc::now() {
            return Err(RefreshError::Invalid);
        }
        if !refresh_tokens::claim(self.db, &hash).await? {
            // Someone used it between our read and our write: that is reuse as well.
            refresh_tokens::revoke_family(self.db, &row.family).await?;
            return Err(RefreshError::Reused);
        }
        Ok(self
            .issue(&row.owner_id(), &row.family, Some(&hash))
            .await?)
    }

    /// Sign-out: the presented token's whole family stops working.
    pub async fn revoke(&self, presented: &str) -> Result<(), DbError> {
        if let Some(row) = refresh_tokens::by_hash(self.db, &hash_refresh_token(presented)).await? {
            refresh_tokens::revoke_family(self.db, &row.family).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db;

    async fn setup() -> (Db, TokenKeys, UserId) {
        let db = db::connect("mem://", None, None).await.unwrap();
        let user = db::users::create(&db, "a@example.com", "A", "hash")
            .await
            .unwrap()
            .user_id();
        (
            db,
            TokenKeys::new(b"0123456789abcdef0123456789abcdef", 900),
            user,
        )
    }

    #[tokio::test]
    async fn rotation_gives_a_new_working_token_and_retires_the_old() {
        let (db, keys, user) = setup().await;
        let sessions = Sessions {
            db: &db,
            keys: &keys,
            refresh_ttl_secs: 3600,
        };
        let first = sessions.start(&user).await.unwrap();
        let second = sessions.rotate(&first.refresh_token).await.unwrap();
        assert_ne!(first.refresh_token, second.refresh_token);
        assert_eq!(second.user, user);
        assert_eq!(keys.verify_access(&second.access_token), Some(user.clone()));
        let third = sessions.rotate(&second.refresh_token).await.unwrap();
        assert_eq!(third.user, user);
    }

    #[tokio::test]
    async fn reuse_revokes_the_whole_family() {
        let (db, keys, user) = setup().await;
        let sessions = Sessions {
            db: &db,
            keys: &keys,
            refresh_ttl_secs: 3600,
        };
        let first = sessions.start(&user).await.unwrap();
        let second = sessions.rotate(&first.refresh_token).await.unwrap();
        assert!(matches!(
            sessions.rotate(&first.refresh_token).await,
            Err(RefreshError::Reused)
        ));
        assert!(matches!(
            sessions.rotate(&second.refresh_token).await,
            Err(RefreshError::Invalid)
        ));
    }

    #[tokio::test]
    async fn other_families_survive_a_revocation() {
        let (db, keys, user) = setup().await;
        let sessions = Sessions {
            db: &db,
            keys: &keys,
            refresh_ttl_secs: 3600,
        };
        let laptop = sessions.start(&user).await.unwrap();
        let phone = sessions.start(&user).await.unwrap();
        sessions.revoke(&laptop.refresh_token).await.unwrap();
        assert!(sessions.rotate(&laptop.refresh_token).await.is_err());
        assert!(sessions.rotate(&phone.refresh_token).await.is_ok());
    }

    #[tokio::test]
    async fn expired_and_unknown_tokens_are_invalid() {
        let (db, keys, user) = setup().await;
        let sessions = Sessions {
            db: &db,
            keys: &keys,
            refresh_ttl_secs: 0,
        };
        let s = sessions.start(&user).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert!(matches!(
            sessions.rotate(&s.refresh_token).await,
            Err(RefreshError::Invalid)
        ));
        assert!(matches!(
            sessions.rotate("nope").await,
            Err(RefreshError::Invalid)
        ));
    }
}
