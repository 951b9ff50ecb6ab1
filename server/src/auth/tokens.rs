//! Short-lived access tokens (HS256 JWT) and opaque refresh tokens with their stored hash.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use protocol::UserId;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
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

/// 32 random bytes, URL-safe base64: what the client holds.
pub fn new_refresh_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
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
}
