//! The client's address, for rate limits: the socket peer, or `X-Forwarded-For` behind a
//! trusted proxy. Logged only truncated (see `ClientAddr::redacted`).

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// Set by the outer router when `--trust-proxy` is on.
#[derive(Debug, Clone, Copy)]
pub struct TrustProxy(pub bool);

impl ClientAddr {
    /// Network part only (/24 or /48), so logs never hold a full address.
    pub fn redacted(&self) -> String {
        match self.0 {
            IpAddr::V4(v4) => {
                let o = v4.octets();
                format!("{}.{}.{}.0/24", o[0], o[1], o[2])
            }
            IpAddr::V6(v6) => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
            }
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Infallible> {
        if let Some(addr) = parts.extensions.get::<ClientAddr>() {
            return Ok(*addr);
        }
        let trust_proxy = parts.extensions.get::<TrustProxy>().is_some_and(|t| t.0);
        if trust_proxy
            && let Some(ip) = parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .and_then(|v| v.trim().parse::<IpAddr>().ok())
        {
            return Ok(ClientAddr(ip));
        }
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        Ok(ClientAddr(peer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_keeps_only_the_network() {
        assert_eq!(
            ClientAddr("203.0.113.77".parse().unwrap()).redacted(),
            "203.0.113.0/24"
        );
        assert_eq!(
            ClientAddr("2001:db8:1:2::5".parse().unwrap()).redacted(),
            "2001:db8:1::/48"
        );
    }
}
