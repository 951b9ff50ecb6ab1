//! Accounts and sessions: password hashing, access tokens, refresh-token rotation, cookies,
//! request extractors and the failed-attempt throttle.

pub mod client_addr;
pub mod cookies;
pub mod extract;
pub mod hash_pool;
pub mod in_flight;
pub mod known_device;
pub mod password;
pub mod renew;
pub mod secret;
pub mod session;
pub mod throttle;
pub mod tokens;
