//! This machine's IPv4 addresses, for the SFU's host candidates when it listens on all
//! interfaces: every browser on this machine or the LAN finds one it can pair with (Firefox
//! never pairs its candidates with a loopback one; Chromium on this machine may use either).

use std::net::{IpAddr, Ipv4Addr};

/// Host candidates advertised at most (each one is a line in every offer, and a pair every
/// browser checks).
const MAX_ADDRESSES: usize = 8;

/// The usable IPv4 addresses of this machine: non-loopback first (the ones a browser on the
/// LAN can reach), then loopback; link-local ones left out. Never empty: 127.0.0.1 when the
/// interfaces cannot be read.
pub fn host_ips() -> Vec<IpAddr> {
    let found = match if_addrs::get_if_addrs() {
        Ok(interfaces) => interfaces.into_iter().map(|i| i.ip()).collect(),
        Err(e) => {
            tracing::warn!(error = %e, "sfu: cannot list network interfaces; using 127.0.0.1");
            Vec::new()
        }
    };
    usable(found)
}

fn usable(found: Vec<IpAddr>) -> Vec<IpAddr> {
    let mut ips: Vec<IpAddr> = Vec::new();
    for ip in found {
        let usable = match ip {
            IpAddr::V4(v4) => !v4.is_link_local() && !v4.is_unspecified() && !v4.is_broadcast(),
            IpAddr::V6(_) => false,
        };
        if usable && !ips.contains(&ip) {
            ips.push(ip);
        }
    }
    ips.sort_by_key(|ip| ip.is_loopback());
    ips.truncate(MAX_ADDRESSES);
    if !ips.iter().any(IpAddr::is_loopback) {
        // Browsers on this machine reach the server on loopback even without a listed lo.
        if ips.len() == MAX_ADDRESSES {
            ips.pop();
        }
        ips.push(IpAddr::V4(Ipv4Addr::LOCALHOST));
    }
    ips
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn lan_addresses_first_then_loopback_without_link_local_or_ipv6() {
        let got = usable(vec![
            ip("127.0.0.1"),
            ip("192.0.2.2"),
            ip("169.254.1.1"),
            ip("fe80::1"),
            ip("10.1.2.3"),
            ip("192.0.2.2"),
        ]);
        assert_eq!(got, vec![ip("192.0.2.2"), ip("10.1.2.3"), ip("127.0.0.1")]);
    }

    #[test]
    fn loopback_is_always_there_and_the_list_is_bounded() {
        assert_eq!(usable(Vec::new()), vec![ip("127.0.0.1")]);
        let many: Vec<IpAddr> = (1..=20).map(|n| ip(&format!("10.0.0.{n}"))).collect();
        let got = usable(many);
        assert_eq!(got.len(), MAX_ADDRESSES);
        assert_eq!(got.last(), Some(&ip("127.0.0.1")));
    }

    #[test]
    fn this_machine_has_a_loopback_candidate() {
        assert!(host_ips().contains(&ip("127.0.0.1")));
    }
}
