//! Short-lived access tokens (HS256 JWT) and opaque refresh tokens with their stored hash.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use protocol::UserId;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// Derives a refresh token's successor from the token itself (see `successor_of`).
    successor_key: [u8; 32],
    /// Tags a browser's known sign-ins (see `device_tag`).
    device_key: [u8; 32],
    pub access_ttl_secs: u64,
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    iat: u64,
    exp: u64,
    typ: String,
}

impl TokenKeys {
    pub fn new(secret: &[u8], access_ttl_secs: u64) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            successor_key: Sha256::new()
                .chain_update(b"video-meet refresh successor\0")
                .chain_update(secret)
                .finalize()
                .into(),
            device_key: Sha256::new()
                .chain_update(b"video-meet known device\0")
                .chain_update(secret)
                .finalize()
                .into(),
            access_ttl_secs,
        }
    }

    pub fn issue_access(&self, user: &UserId, now_secs: u64) -> String {
        let claims = Claims {
            sub: user.0.clone(),
            iat: now_secs,
            exp: now_secs + self.access_ttl_secs,
            typ: "access".into(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 encoding of a plain struct cannot fail")
    }

    /// The user an access token speaks for, if it is ours, unexpired and an access token.
    pub fn verify_access(&self, token: &str) -> Option<UserId> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation).ok()?;
        (data.claims.typ == "access").then_some(UserId(data.claims.sub))
    }
}

impl TokenKeys {
    /// The token that replaces `presented` when it is rotated: HMAC-SHA256 under a key derived
    /// from the server secret. Deterministic, so two requests rotating the same token within the
    /// grace window get the same successor without the server storing any token in clear;
    /// unpredictable without both the presented token and the secret.
    pub fn successor_of(&self, presented: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.successor_key)
            .expect("HMAC takes keys of any length");
        mac.update(presented.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }
}

impl TokenKeys {
    /// The tag a browser keeps once it got past `target` (an account's or a meeting's
    /// password): HMAC-SHA256 under a key derived from the server secret, cut to 128 bits.
    /// Only this server can make one, and it names no account.
    pub fn device_tag(&self, target: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.device_key)
            .expect("HMAC takes keys of any length");
        mac.update(target.as_bytes());
        URL_SAFE_NO_PAD.encode(&mac.finalize().into_bytes()[..16])
    }
}

/// 32 random bytes, URL-safe base64: what the client holds.
pub fn new_refresh_token() -> String {
    crate::ids::random_token()
}

/// What the database holds: the SHA-256 of the token, so a database leak is no session leak.
pub fn hash_refresh_token(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

pub fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_token_round_trips() {
        let keys = TokenKeys::new(b"secret-secret-secret-secret-1234", 900);
        let token = keys.issue_access(&UserId("u1".into()), now_secs());
        assert_eq!(keys.verify_access(&token), Some(UserId("u1".into())));
    }

    #[test]
    fn expired_or_foreign_tokens_are_rejected() {
        let keys = TokenKeys::new(b"secret-secret-secret-secret-1234", 900);
        let old = keys.issue_access(&UserId("u1".into()), now_secs() - 3600);
        assert_eq!(keys.verify_access(&old), None);
        let other = TokenKeys::new(b"another-secret-another-secret-12", 900);
        let forged = other.issue_access(&UserId("u1".into()), now_secs());
        assert_eq!(keys.verify_access(&forged), None);
        assert_eq!(keys.verify_access("not.a.jwt"), None);
    }

    #[test]
    fn refresh_tokens_are_random_and_hashed() {
        let a = new_refresh_token();
        let b = new_refresh_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(hash_refresh_token(&a), hash_refresh_token(&a));
        assert_ne!(hash_refresh_token(&a), a);
    }

    #[test]
    fn successors_are_stable_per_token_and_secret() {
        let keys = TokenKeys::new(b"secret-secret-secret-secret-1234", 900);
        let other = TokenKeys::new(b"another-secret-another-secret-12", 900);
        let t = new_refresh_token();
        assert_eq!(keys.successor_of(&t), keys.successor_of(&t));
        assert_eq!(keys.successor_of(&t).len(), 43);
        assert_ne!(keys.successor_of(&t), t);
        assert_ne!(keys.successor_of(&t), other.successor_of(&t));
        assert_ne!(
            keys.successor_of(&t),
            keys.successor_of(&new_refresh_token())
        );
    }
}
