//! ICE servers for browsers, with time-limited TURN credentials in the TURN REST scheme that
//! coturn checks with `use-auth-secret`: `username = expiry:label`,
//! `credential = base64(HMAC-SHA1(secret, username))`.

use crate::config::Config;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use protocol::signal::IceServer;
use sha1::Sha1;

pub fn credential(secret: &str, username: &str) -> String {
    let mut mac =
        Hmac::<Sha1>::new_from_slice(secret.as_bytes()).expect("HMAC accepts keys of any length");
    mac.update(username.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// The ICE servers one participant receives; `label` names them in TURN logs.
pub fn ice_servers(config: &Config, label: &str, now_secs: u64) -> Vec<IceServer> {
    let mut servers = Vec::new();
    if !config.stun_urls.is_empty() {
        servers.push(IceServer {
            urls: config.stun_urls.clone(),
            username: None,
            credential: None,
        });
    }
    if let (false, Some(secret)) = (config.turn_urls.is_empty(), &config.turn_secret) {
        let username = format!("{}:{label}", now_secs + config.turn_ttl_secs);
        servers.push(IceServer {
            urls: config.turn_urls.clone(),
            credential: Some(credential(secret, &username)),
            username: Some(username),
        });
    }
    servers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_matches_the_turn_rest_scheme() {
        // HMAC-SHA1("secret", "1700000000:alice"), computed independently with openssl:
        // printf '1700000000:alice' | openssl dgst -sha1 -hmac secret -binary | base64
        assert_eq!(
            credential("secret", "1700000000:alice"),
            "d8soP47RbdIKLDUOpnJPVQyq5Ts="
        );
    }

    #[test]
    fn turn_is_offered_only_when_configured() {
        let mut config = Config::for_tests();
        assert!(ice_servers(&config, "u", 100).is_empty());
        config.turn_urls = vec!["turn:127.0.0.1:3478".into()];
        config.turn_secret = Some("s3cret".into());
        config.turn_ttl_secs = 600;
        let servers = ice_servers(&config, "u1", 100);
        assert_eq!(servers.len(), 1);
        assert_eq!(servers[0].username.as_deref(), Some("700:u1"));
        assert_eq!(
            servers[0].credential.as_deref(),
            Some(credential("s3cret", "700:u1").as_str())
        );
    }
}
