//! Sessions: a sign-in starts a family with an absolute end; each refresh token is rotated on
//! use. A token presented again shortly after its rotation (two tabs renewing at once) gets the
//! same successor; presented again later, it revokes the whole family (it was stolen, or the
//! client is confused). What to do with a presented token is decided by `judge`, a pure function.

use super::tokens::{TokenKeys, hash_refresh_token, new_refresh_token, now_secs};
use crate::db::refresh_tokens::{self, Claim, FamilyRow, NewRefresh, RefreshRow};
use crate::db::{Db, DbError, new_key};
use chrono::{DateTime, Duration, Utc};
use protocol::UserId;

/// The tokens a client receives (as cookies).
#[derive(Debug, Clone)]
pub struct Session {
    pub user: UserId,
    pub access_token: String,
    pub refresh_token: String,
    /// Seconds until the refresh token (and so the cookie) stops working.
    pub refresh_max_age_secs: u64,
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

/// What a presented refresh token earns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Unknown, expired, or its family ended or was revoked.
    Invalid,
    /// Unused and live: claim it and issue its successor.
    Rotate,
    /// Rotated moments ago (within the grace window): hand out the same successor again.
    SameSuccessor,
    /// Rotated before the grace window: someone replays an old token; revoke the family.
    Reused,
}

/// The decision for a presented token, from its row and its family's row at `now`.
pub fn judge(
    token: &RefreshRow,
    family: Option<&FamilyRow>,
    now: DateTime<Utc>,
    grace: Duration,
) -> Verdict {
    let Some(family) = family else {
        return Verdict::Invalid;
    };
    if family.revoked || family.expires_at <= now || token.expires_at <= now {
        return Verdict::Invalid;
    }
    match token.used_at {
        None => Verdict::Rotate,
        Some(used) if now - used <= grace => Verdict::SameSuccessor,
        Some(_) => Verdict::Reused,
    }
}

pub struct Sessions<'a> {
    pub db: &'a Db,
    pub keys: &'a TokenKeys,
    pub refresh_ttl_secs: u64,
    /// Absolute lifetime of a sign-in, however often it is renewed.
    pub lifetime_secs: u64,
    /// How long after a rotation the same token still gets the same successor.
    pub grace_secs: u64,
}

fn secs(n: u64) -> Duration {
    Duration::seconds(
        i64::try_from(n)
            .unwrap_or(i64::MAX / 4)
            .min(100 * 365 * 86_400),
    )
}

impl Sessions<'_> {
    /// A new session (new family) after sign-in or registration.
    pub async fn start(&self, user: &UserId) -> Result<Session, DbError> {
        let now = Utc::now();
        let family_ends = now + secs(self.lifetime_secs);
        let expires_at = (now + secs(self.refresh_ttl_secs)).min(family_ends);
        let refresh_token = new_refresh_token();
        refresh_tokens::start_family(
            self.db,
            NewRefresh {
                owner: user,
                family: &new_key(),
                token_hash: &hash_refresh_token(&refresh_token),
                expires_at,
            },
            family_ends,
        )
        .await?;
        Ok(self.session(user, refresh_token, expires_at, now))
    }

    fn session(
        &self,
        user: &UserId,
        refresh_token: String,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Session {
        Session {
            user: user.clone(),
            access_token: self.keys.issue_access(user, now_secs()),
            refresh_token,
            refresh_max_age_secs: u64::try_from((expires_at - now).num_seconds()).unwrap_or(0),
        }
    }

    /// Exchanges a refresh token for a new pair (see `judge`).
    pub async fn rotate(&self, presented: &str) -> Result<Session, RefreshError> {
        let hash = hash_refresh_token(presented);
        let successor = self.keys.successor_of(presented);
        // A lost claim means another request rotated this token a moment ago: read again,
        // and the grace window hands out the successor it stored.
        for _ in 0..3 {
            let (token, family) = refresh_tokens::by_hash(self.db, &hash)
                .await?
                .ok_or(RefreshError::Invalid)?;
            let now = Utc::now();
            match judge(&token, family.as_ref(), now, secs(self.grace_secs)) {
                Verdict::Invalid => return Err(RefreshError::Invalid),
                Verdict::Reused => {
                    refresh_tokens::revoke_family(self.db, &token.family).await?;
                    return Err(RefreshError::Reused);
                }
                Verdict::SameSuccessor => {
                    return self.same_successor(&token, successor, now).await;
                }
                Verdict::Rotate => {
                    let family_ends = family.map_or(now, |f| f.expires_at);
                    let expires_at = (now + secs(self.refresh_ttl_secs)).min(family_ends);
                    let new = NewRefresh {
                        owner: &token.owner_id(),
                        family: &token.family,
                        token_hash: &hash_refresh_token(&successor),
                        expires_at,
                    };
                    match refresh_tokens::claim_and_insert(self.db, &hash, new).await? {
                        Claim::Done => {
                            return Ok(self.session(&token.owner_id(), successor, expires_at, now));
                        }
                        Claim::FamilyGone => return Err(RefreshError::Invalid),
                        Claim::Lost => continue,
                    }
                }
            }
        }
        Err(RefreshError::Invalid)
    }

    /// The successor stored by the rotation moments ago, if it is still unused and live.
    async fn same_successor(
        &self,
        token: &RefreshRow,
        successor: String,
        now: DateTime<Utc>,
    ) -> Result<Session, RefreshError> {
        let found = refresh_tokens::by_hash(self.db, &hash_refresh_token(&successor)).await?;
        let Some((next, family)) = found.filter(|(next, _)| next.family == token.family) else {
            return Err(RefreshError::Invalid);
        };
        match judge(&next, family.as_ref(), now, Duration::zero()) {
            Verdict::Rotate => Ok(self.session(&token.owner_id(), successor, next.expires_at, now)),
            Verdict::Invalid => Err(RefreshError::Invalid),
            // The successor moved on already: an old token replayed after all.
            Verdict::SameSuccessor | Verdict::Reused => {
                refresh_tokens::revoke_family(self.db, &token.family).await?;
                Err(RefreshError::Reused)
            }
        }
    }

    /// Sign-out: the presented token's whole family stops working.
    pub async fn revoke(&self, presented: &str) -> Result<(), DbError> {
        if let Some((row, _)) =
            refresh_tokens::by_hash(self.db, &hash_refresh_token(presented)).await?
        {
            refresh_tokens::revoke_family(self.db, &row.family).await?;
        }
        Ok(())
    }
}

/// Deletes expired refresh tokens and dead families at start and then every `every`, so the
/// tables hold live sessions only.
pub async fn sweep_forever(db: Db, every: std::time::Duration) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        match refresh_tokens::sweep(&db).await {
            Ok(0) => {}
            Ok(removed) => tracing::info!(removed, "expired sessions swept"),
            Err(err) => tracing::warn!(error = %err, "session sweep failed"),
        }
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

    fn sessions<'a>(db: &'a Db, keys: &'a TokenKeys, grace_secs: u64) -> Sessions<'a> {
        Sessions {
            db,
            keys,
            refresh_ttl_secs: 3600,
            lifetime_secs: 7200,
            grace_secs,
        }
    }

    fn row(used_at: Option<DateTime<Utc>>, expires_at: DateTime<Utc>) -> RefreshRow {
        RefreshRow {
            id: surrealdb::types::RecordId::new("refresh_token", "t"),
            owner: surrealdb::types::RecordId::new("user", "u"),
            family: "f".into(),
            token_hash: "h".into(),
            used_at,
            expires_at,
        }
    }

    #[test]
    fn judge_covers_every_case() {
        let now = Utc::now();
        let later = now + Duration::hours(1);
        let live = FamilyRow {
            revoked: false,
            expires_at: later,
        };
        let revoked = FamilyRow {
            revoked: true,
            expires_at: later,
        };
        let ended = FamilyRow {
            revoked: false,
            expires_at: now,
        };
        let grace = Duration::seconds(10);
        let fresh = row(None, later);
        assert_eq!(judge(&fresh, Some(&live), now, grace), Verdict::Rotate);
        assert_eq!(judge(&fresh, None, now, grace), Verdict::Invalid);
        assert_eq!(judge(&fresh, Some(&revoked), now, grace), Verdict::Invalid);
        assert_eq!(judge(&fresh, Some(&ended), now, grace), Verdict::Invalid);
        assert_eq!(
            judge(&row(None, now), Some(&live), now, grace),
            Verdict::Invalid
        );
        let just_used = row(Some(now - Duration::seconds(3)), later);
        assert_eq!(
            judge(&just_used, Some(&live), now, grace),
            Verdict::SameSuccessor
        );
        let long_used = row(Some(now - Duration::seconds(11)), later);
        assert_eq!(judge(&long_used, Some(&live), now, grace), Verdict::Reused);
        assert_eq!(
            judge(&just_used, Some(&revoked), now, grace),
            Verdict::Invalid
        );
    }

    #[tokio::test]
    async fn rotation_gives_a_new_working_token_and_retires_the_old() {
        let (db, keys, user) = setup().await;
        let sessions = sessions(&db, &keys, 0);
        let first = sessions.start(&user).await.unwrap();
        let second = sessions.rotate(&first.refresh_token).await.unwrap();
        assert_ne!(first.refresh_token, second.refresh_token);
        assert_eq!(second.user, user);
        assert_eq!(keys.verify_access(&second.access_token), Some(user.clone()));
        let third = sessions.rotate(&second.refresh_token).await.unwrap();
        assert_eq!(third.user, user);
    }

    #[tokio::test]
    async fn reuse_after_the_grace_window_revokes_the_whole_family() {
        let (db, keys, user) = setup().await;
        let sessions = sessions(&db, &keys, 0);
        let first = sessions.start(&user).await.unwrap();
        let second = sessions.rotate(&first.refresh_token).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
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
    async fn within_the_grace_window_the_same_successor_comes_back() {
        let (db, keys, user) = setup().await;
        let sessions = sessions(&db, &keys, 10);
        let first = sessions.start(&user).await.unwrap();
        let a = sessions.rotate(&first.refresh_token).await.unwrap();
        let b = sessions.rotate(&first.refresh_token).await.unwrap();
        assert_eq!(a.refresh_token, b.refresh_token);
        // Once the successor itself was used, the old token is a replay after all.
        let c = sessions.rotate(&a.refresh_token).await.unwrap();
        assert!(matches!(
            sessions.rotate(&first.refresh_token).await,
            Err(RefreshError::Reused)
        ));
        assert!(sessions.rotate(&c.refresh_token).await.is_err());
    }

    #[tokio::test]
    async fn parallel_rotations_of_one_token_agree() {
        let (db, keys, user) = setup().await;
        let sessions = sessions(&db, &keys, 10);
        let first = sessions.start(&user).await.unwrap();
        let results =
            futures_util::future::join_all((0..8).map(|_| sessions.rotate(&first.refresh_token)))
                .await;
        let tokens: Vec<String> = results
            .into_iter()
            .map(|r| {
                r.expect("every parallel renewal keeps the session")
                    .refresh_token
            })
            .collect();
        assert!(tokens.iter().all(|t| *t == tokens[0]));
        assert!(
            sessions.rotate(&tokens[0]).await.is_ok(),
            "the family lives on"
        );
    }

    #[tokio::test]
    async fn a_rotation_racing_a_sign_out_leaves_nothing_usable() {
        let (db, keys, user) = setup().await;
        let sessions = sessions(&db, &keys, 10);
        for _ in 0..10 {
            let first = sessions.start(&user).await.unwrap();
            let (rotated, revoked) = tokio::join!(
                sessions.rotate(&first.refresh_token),
                sessions.revoke(&first.refresh_token)
            );
            revoked.unwrap();
            assert!(sessions.rotate(&first.refresh_token).await.is_err());
            if let Ok(successor) = rotated {
                assert!(
                    sessions.rotate(&successor.refresh_token).await.is_err(),
                    "a successor minted during the sign-out must not work"
                );
            }
        }
    }

    #[tokio::test]
    async fn other_families_survive_a_revocation() {
        let (db, keys, user) = setup().await;
        let sessions = sessions(&db, &keys, 10);
        let laptop = sessions.start(&user).await.unwrap();
        let phone = sessions.start(&user).await.unwrap();
        sessions.revoke(&laptop.refresh_token).await.unwrap();
        assert!(sessions.rotate(&laptop.refresh_token).await.is_err());
        assert!(sessions.rotate(&phone.refresh_token).await.is_ok());
    }

    #[tokio::test]
    async fn a_sign_in_ends_at_its_absolute_lifetime_however_often_renewed() {
        let (db, keys, user) = setup().await;
        let sessions = Sessions {
            db: &db,
            keys: &keys,
            refresh_ttl_secs: 3600,
            lifetime_secs: 1,
            grace_secs: 0,
        };
        let first = sessions.start(&user).await.unwrap();
        assert!(
            first.refresh_max_age_secs <= 1,
            "the cookie ends with the sign-in"
        );
        let second = sessions.rotate(&first.refresh_token).await.unwrap();
        assert!(second.refresh_max_age_secs <= 1);
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        assert!(matches!(
            sessions.rotate(&second.refresh_token).await,
            Err(RefreshError::Invalid)
        ));
    }

    #[tokio::test]
    async fn expired_and_unknown_tokens_are_invalid_and_swept() {
        let (db, keys, user) = setup().await;
        let short = Sessions {
            db: &db,
            keys: &keys,
            refresh_ttl_secs: 0,
            lifetime_secs: 3600,
            grace_secs: 0,
        };
        let s = short.start(&user).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert!(matches!(
            short.rotate(&s.refresh_token).await,
            Err(RefreshError::Invalid)
        ));
        assert!(matches!(
            short.rotate("nope").await,
            Err(RefreshError::Invalid)
        ));

        let live = sessions(&db, &keys, 0);
        let kept = live.start(&user).await.unwrap();
        let gone = live.start(&user).await.unwrap();
        live.revoke(&gone.refresh_token).await.unwrap();
        assert_eq!(refresh_tokens::count(&db).await.unwrap(), (2, 3));
        // The expired token and the revoked family go; the live session stays whole.
        assert_eq!(refresh_tokens::sweep(&db).await.unwrap(), 2);
        assert_eq!(refresh_tokens::count(&db).await.unwrap(), (1, 2));
        assert!(live.rotate(&kept.refresh_token).await.is_ok());
    }
}
