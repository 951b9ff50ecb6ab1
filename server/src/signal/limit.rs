//! Limits on `/ws`: a token bucket per socket (bursts of ICE candidates pass, floods get
//! `rate_limited`), and how many sockets one client address (IPv6: its /64) and the whole
//! server may hold open.

use crate::auth::throttle::Key;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Open sockets per client address and in total.
#[derive(Clone)]
pub struct Sockets {
    open: Arc<Mutex<(HashMap<Key, u32>, usize)>>,
    per_addr: u32,
    total: usize,
}

/// Why a socket was refused (sent as its close reason).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    TooManyFromAddress,
    ServerFull,
}

impl Refused {
    pub fn reason(self) -> &'static str {
        match self {
            Refused::TooManyFromAddress => "Too many open connections from your address.",
            Refused::ServerFull => "The server is at its connection limit. Try again shortly.",
        }
    }
}

/// A socket's place; given back on drop.
pub struct Slot {
    sockets: Sockets,
    key: Key,
}

impl Sockets {
    pub fn new(per_addr: u32, total: usize) -> Self {
        Self {
            open: Arc::default(),
            per_addr: per_addr.max(1),
            total: total.max(1),
        }
    }

    pub fn open(&self, addr: IpAddr) -> Result<Slot, Refused> {
        let key = Key::addr(addr);
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if open.1 >= self.total {
            return Err(Refused::ServerFull);
        }
        let count = open.0.entry(key.clone()).or_insert(0);
        if *count >= self.per_addr {
            return Err(Refused::TooManyFromAddress);
        }
        *count += 1;
        open.1 += 1;
        Ok(Slot {
            sockets: self.clone(),
            key,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.sockets.open.lock().unwrap_or_else(|p| p.into_inner());
        open.1 = open.1.saturating_sub(1);
        if let Some(n) = open.0.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                open.0.remove(&self.key);
            }
        }
    }
}

pub struct Bucket {
    tokens: f64,
    capacity: f64,
    per_sec: f64,
    last: Instant,
}

impl Bucket {
    pub fn new(capacity: u32, per_sec: u32, now: Instant) -> Self {
        Self {
            tokens: f64::from(capacity),
            capacity: f64::from(capacity),
            per_sec: f64::from(per_sec),
            last: now,
        }
    }

    pub fn take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.per_sec).min(self.capacity);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn sockets_are_limited_per_address_and_in_total() {
        let sockets = Sockets::new(2, 3);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let first = sockets.open(a).unwrap();
        let _second = sockets.open(a).unwrap();
        assert_eq!(sockets.open(a).err(), Some(Refused::TooManyFromAddress));
        let _third = sockets.open(b).unwrap();
        assert_eq!(sockets.open(b).err(), Some(Refused::ServerFull));
        drop(first);
        assert!(
            sockets.open(a).is_ok(),
            "a closed socket gives its place back"
        );
    }

    #[test]
    fn burst_then_steady_rate() {
        let t0 = Instant::now();
        let mut b = Bucket::new(3, 10, t0);
        assert!(b.take(t0) && b.take(t0) && b.take(t0));
        assert!(!b.take(t0));
        assert!(b.take(t0 + Duration::from_millis(100)));
        assert!(!b.take(t0 + Duration::from_millis(100)));
    }
}
