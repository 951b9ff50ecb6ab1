//! argon2id password hashing, run off the async threads.

use argon2::password_hash::{PasswordHash, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier, Version};
use std::sync::Arc;

#[derive(Clone)]
pub struct PasswordHasher {
    params: Arc<Params>,
    /// A real hash of a random password, verified when the account does not exist so an
    /// unknown email costs as much time as a wrong password.
    dummy_hash: Arc<String>,
}

impl PasswordHasher {
    /// `memory_kib`: argon2 memory cost; time cost 2, one lane.
    pub fn new(memory_kib: u32) -> Self {
        let params = Params::new(memory_kib.max(Params::MIN_M_COST), 2, 1, None)
            .expect("argon2 parameters are within the crate's documented bounds");
        let params = Arc::new(params);
        let dummy_hash = hash_with(&params, "dummy password that nobody has")
            .expect("hashing a fixed password with valid parameters succeeds");
        Self {
            params,
            dummy_hash: Arc::new(dummy_hash),
        }
    }

    pub async fn hash(&self, password: &str) -> Result<String, String> {
        let params = self.params.clone();
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || hash_with(&params, &password))
            .await
            .map_err(|e| e.to_string())?
    }

    /// `stored = None` verifies against the dummy hash and returns false.
    pub async fn verify(&self, password: &str, stored: Option<&str>) -> bool {
        let known = stored.is_some();
        let stored = stored.unwrap_or(&self.dummy_hash).to_owned();
        let password = password.to_owned();
        let ok = tokio::task::spawn_blocking(move || verify(&password, &stored))
            .await
            .unwrap_or(false);
        ok && known
    }
}

fn argon(params: &Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
}

fn hash_with(params: &Params, password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    argon(params)
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Verifies with the parameters stored in the hash, so raising the cost later keeps old
/// passwords working.
fn verify(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_verifies_only_the_right_password() {
        let hasher = PasswordHasher::new(1024);
        let hash = hasher.hash("correct horse").await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(hasher.verify("correct horse", Some(&hash)).await);
        assert!(!hasher.verify("wrong horse", Some(&hash)).await);
    }

    #[tokio::test]
    async fn same_password_gets_different_salts() {
        let hasher = PasswordHasher::new(1024);
        let a = hasher.hash("pw12345678").await.unwrap();
        let b = hasher.hash("pw12345678").await.unwrap();
        assert_ne!(a, b);
    }

    #[tokio::test]
    async fn unknown_account_never_verifies() {
        let hasher = PasswordHasher::new(1024);
        assert!(!hasher.verify("dummy password that nobody has", None).await);
        assert!(!hasher.verify("anything", Some("not a hash")).await);
    }
}
