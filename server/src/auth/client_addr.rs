//! The client's address, for rate limits: the socket peer, or `X-Forwarded-For` behind a
//! trusted proxy. Logged only truncated (see `ClientAddr::redacted`).
//!
//! Each proxy appends the address it received the request from, so only the entries the
//! trusted proxies added can be believed: with `hops` trusted proxies, the client is the
//! `hops`-th entry from the right. Everything left of it is whatever the client wrote.

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap};
use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// How many proxies in front of the server are trusted (`--trust-proxy`, `--proxy-hops`);
/// 0: none, the socket peer is the client. Set by the outer router.
#[derive(Debug, Clone, Copy)]
pub struct TrustProxy(pub usize);

/// The client address that `hops` trusted proxies recorded in the `X-Forwarded-For` values
/// (in header order), or `None` when they did not record one.
pub fn forwarded_client<'a>(values: impl Iterator<Item = &'a str>, hops: usize) -> Option<IpAddr> {
    if hops == 0 {
        return None;
    }
    let entries: Vec<&str> = values.flat_map(|v| v.split(',')).map(str::trim).collect();
    let index = entries.len().checked_sub(hops)?;
    entries[index].parse().ok()
}

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

impl ClientAddr {
    /// The client of a request with these headers and extensions, behind `hops` trusted
    /// proxies.
    pub fn of(headers: &HeaderMap, extensions: &Extensions, hops: usize) -> Self {
        let values = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok());
        if let Some(ip) = forwarded_client(values, hops) {
            return ClientAddr(ip);
        }
        let peer = extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        ClientAddr(peer)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Infallible> {
        if let Some(addr) = parts.extensions.get::<ClientAddr>() {
            return Ok(*addr);
        }
        let hops = parts.extensions.get::<TrustProxy>().map_or(0, |t| t.0);
        Ok(Self::of(&parts.headers, &parts.extensions, hops))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(header: &[&str], hops: usize) -> Option<IpAddr> {
        forwarded_client(header.iter().copied(), hops)
    }

    #[test]
    fn the_client_is_what_the_trusted_proxies_recorded() {
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        // One proxy: its entry is the rightmost; what the client wrote before it is ignored.
        assert_eq!(client(&["198.51.100.1, 203.0.113.9"], 1), ip("203.0.113.9"));
        assert_eq!(client(&["203.0.113.9"], 1), ip("203.0.113.9"));
        // Two proxies (CDN, then a local one): the second entry from the right.
        assert_eq!(
            client(&["1.1.1.1, 203.0.113.9, 10.0.0.2"], 2),
            ip("203.0.113.9")
        );
        // Several header lines count as one list, in order.
        assert_eq!(client(&["1.1.1.1", "203.0.113.9"], 1), ip("203.0.113.9"));
        assert_eq!(client(&["2001:db8::7"], 1), ip("2001:db8::7"));
        // Not enough entries, garbage, or no trusted proxy: no forwarded client.
        assert_eq!(client(&["203.0.113.9"], 2), None);
        assert_eq!(client(&["1.1.1.1, not-an-ip"], 1), None);
        assert_eq!(client(&[], 1), None);
        assert_eq!(client(&["203.0.113.9"], 0), None);
    }

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
