//! Random identifiers, from one place: record keys and peer ids (`random_key`), and opaque
//! tokens a client holds (`random_token`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::{Rng, RngCore};

/// 20 lowercase letters and digits (~103 bits): database keys, peer ids.
pub fn random_key() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..20)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// 32 random bytes, URL-safe base64 (43 characters): refresh tokens, resume tokens, tickets.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}
