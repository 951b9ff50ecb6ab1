//! argon2id password hashing on a few dedicated threads (see `hash_pool`), each reusing one
//! memory block: a hash allocates nothing, so memory stays at workers × memory cost.

use argon2::password_hash::{
    Output, ParamsString, PasswordHash, Salt, SaltString, rand_core::OsRng,
};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::cell::RefCell;
use std::sync::Arc;

use super::hash_pool::{HashPool, PoolError};

#[derive(Clone)]
pub struct PasswordHasher {
    params: Arc<Params>,
    /// A real hash of a random password, verified when the account does not exist so an
    /// unknown email costs as much time as a wrong password.
    dummy_hash: Arc<String>,
    pool: HashPool,
}

impl PasswordHasher {
    /// `memory_kib`: argon2 memory cost; time cost 2, one lane. At most `queue` hashes wait.
    pub fn new(memory_kib: u32, queue: usize) -> Self {
        let params = Params::new(memory_kib.max(Params::MIN_M_COST), 2, 1, None)
            .expect("argon2 parameters are within the crate's documented bounds");
        let params = Arc::new(params);
        let dummy_hash = hash_with(&params, "dummy password that nobody has", &mut Vec::new())
            .expect("hashing a fixed password with valid parameters succeeds");
        Self {
            params,
            dummy_hash: Arc::new(dummy_hash),
            pool: HashPool::for_this_machine(queue),
        }
    }

    pub async fn hash(&self, password: &str) -> Result<String, PoolError> {
        let params = self.params.clone();
        let password = password.to_owned();
        self.pool
            .run(move || with_worker_memory(|memory| hash_with(&params, &password, memory)))
            .await?
            .map_err(|e| {
                tracing::error!(error = %e, "password hashing failed");
                PoolError::Failed
            })
    }

    /// Whether a check asked for now would be refused as busy.
    pub fn is_busy(&self) -> bool {
        self.pool.is_full()
    }

    /// `stored = None` verifies against the dummy hash and returns false. `Err(Busy)` when too
    /// many checks are waiting; a failed check is `Ok(false)`.
    pub async fn verify(&self, password: &str, stored: Option<&str>) -> Result<bool, PoolError> {
        let known = stored.is_some();
        let stored = stored.unwrap_or(&self.dummy_hash).to_owned();
        let password = password.to_owned();
        match self
            .pool
            .run(move || with_worker_memory(|memory| verify(&password, &stored, memory)))
            .await
        {
            Ok(ok) => Ok(ok && known),
            Err(PoolError::Busy) => Err(PoolError::Busy),
            Err(PoolError::Failed) => Ok(false),
        }
    }
}

thread_local! {
    /// The argon2 working memory of this hashing thread, kept between hashes.
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

fn with_worker_memory<T>(f: impl FnOnce(&mut Vec<Block>) -> T) -> T {
    MEMORY.with(|memory| f(&mut memory.borrow_mut()))
}

fn hash_with(params: &Params, password: &str, memory: &mut Vec<Block>) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    let how = (Algorithm::Argon2id, Version::V0x13, params.clone());
    compute(how, password.as_bytes(), salt.as_salt(), memory)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Verifies with the algorithm and parameters stored in the hash, so raising the cost later
/// keeps old passwords working.
fn verify(password: &str, stored: &str, memory: &mut Vec<Block>) -> bool {
    let Ok(stored) = PasswordHash::new(stored) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (stored.salt, stored.hash) else {
        return false;
    };
    let how = (|| {
        let algorithm = Algorithm::try_from(stored.algorithm).ok()?;
        let version = match stored.version {
            Some(v) => Version::try_from(v).ok()?,
            None => Version::default(),
        };
        Some((algorithm, version, Params::try_from(&stored).ok()?))
    })();
    let Some(how) = how else {
        return false;
    };
    match compute(how, password.as_bytes(), salt, memory) {
        // `Output`'s equality is constant-time.
        Ok(computed) => computed.hash == Some(expected),
        Err(_) => false,
    }
}

/// What `argon2::PasswordHasher::hash_password` computes, in `memory` instead of a fresh
/// allocation (the PHC string format is the same, so both verify each other's hashes).
fn compute<'a>(
    (algorithm, version, params): (Algorithm, Version, Params),
    password: &[u8],
    salt: Salt<'a>,
    memory: &mut Vec<Block>,
) -> argon2::password_hash::Result<PasswordHash<'a>> {
    let argon = Argon2::new(algorithm, version, params.clone());
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_bytes)?;
    let blocks = params.block_count();
    if memory.len() != blocks {
        memory.resize(blocks, Block::default());
    }
    let output_len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let output = Output::init_with(output_len, |out| {
        Ok(argon.hash_password_into_with_memory(password, salt_bytes, out, &mut memory[..])?)
    })?;
    Ok(PasswordHash {
        algorithm: algorithm.ident(),
        version: Some(version.into()),
        params: ParamsString::try_from(&params)?,
        salt: Some(salt),
        hash: Some(output),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_verifies_only_the_right_password() {
        let hasher = PasswordHasher::new(1024, 16);
        let hash = hasher.hash("correct horse").await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert_eq!(hasher.verify("correct horse", Some(&hash)).await, Ok(true));
        assert_eq!(hasher.verify("wrong horse", Some(&hash)).await, Ok(false));
    }

    #[tokio::test]
    async fn same_password_gets_different_salts() {
        let hasher = PasswordHasher::new(1024, 16);
        let a = hasher.hash("pw12345678").await.unwrap();
        let b = hasher.hash("pw12345678").await.unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn hashes_match_the_argon2_crate_both_ways() {
        use argon2::{PasswordHasher as _, PasswordVerifier as _};
        let params = Params::new(1024, 2, 1, None).unwrap();
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
        let mut memory = Vec::new();

        // The crate's hash verifies here, with memory reused from a bigger earlier hash.
        hash_with(
            &Params::new(2048, 2, 1, None).unwrap(),
            "warm up",
            &mut memory,
        )
        .unwrap();
        let salt = SaltString::generate(&mut OsRng);
        let theirs = argon
            .hash_password(b"pw-12345678", &salt)
            .unwrap()
            .to_string();
        assert!(verify("pw-12345678", &theirs, &mut memory));
        assert!(!verify("pw-12345679", &theirs, &mut memory));

        // Ours verifies with the crate, and is the very same string for the same salt.
        let ours = hash_with(&params, "pw-12345678", &mut memory).unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(argon.verify_password(b"pw-12345678", &parsed).is_ok());
        assert!(argon.verify_password(b"pw-1234567", &parsed).is_err());
        let how = (Algorithm::Argon2id, Version::V0x13, params);
        let again = compute(how, b"pw-12345678", parsed.salt.unwrap(), &mut memory).unwrap();
        assert_eq!(again.to_string(), ours);
    }

    #[tokio::test]
    async fn unknown_account_never_verifies() {
        let hasher = PasswordHasher::new(1024, 16);
        assert_eq!(
            hasher.verify("dummy password that nobody has", None).await,
            Ok(false)
        );
        assert_eq!(
            hasher.verify("anything", Some("not a hash")).await,
            Ok(false)
        );
    }
}
