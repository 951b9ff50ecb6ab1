//! Failed-attempt throttle for sign-in and registration, per client address.
//!
//! Hand-written rather than `tower_governor`: that limits all requests, while here only
//! failures count, and a blocked client must learn how long to wait (`Retry-After`).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Clone)]
pub struct Throttle {
    inner: Arc<Mutex<HashMap<IpAddr, Window>>>,
    max_failures: u32,
    window: Duration,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    failures: u32,
}

/// Past this many tracked addresses, expired windows are swept on the next failure.
const SWEEP_AT: usize = 10_000;

impl Throttle {
    pub fn new(max_failures: u32, window: Duration) -> Self {
        Self {
            inner: Arc::default(),
            max_failures: max_failures.max(1),
            window,
        }
    }

    /// `Err(seconds to wait)` when the address used up its failures in the current window.
    pub fn check(&self, addr: IpAddr, now: Instant) -> Result<(), u64> {
        let map = self
            .inner
            .lock()
            .expect("throttle lock is never held across a panic");
        match map.get(&addr) {
            Some(w)
                if now.duration_since(w.started) < self.window
                    && w.failures >= self.max_failures =>
            {
                let left = self.window - now.duration_since(w.started);
                Err(left.as_secs().max(1))
            }
            _ => Ok(()),
        }
    }

    pub fn record_failure(&self, addr: IpAddr, now: Instant) {
        let mut map = self
            .inner
            .lock()
            .expect("throttle lock is never held across a panic");
        if map.len() >= SWEEP_AT {
            let window = self.window;
            map.retain(|_, w| now.duration_since(w.started) < window);
        }
        let w = map.entry(addr).or_insert(Window {
            started: now,
            failures: 0,
        });
        if now.duration_since(w.started) >= self.window {
            *w = Window {
                started: now,
                failures: 0,
            };
        }
        w.failures += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_max_failures_until_window_ends() {
        let t = Throttle::new(3, Duration::from_secs(60));
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(t.check(ip, t0).is_ok());
            t.record_failure(ip, t0);
        }
        assert_eq!(t.check(ip, t0 + Duration::from_secs(10)), Err(50));
        assert!(t.check(ip, t0 + Duration::from_secs(61)).is_ok());
    }

    #[test]
    fn addresses_are_independent() {
        let t = Throttle::new(1, Duration::from_secs(60));
        let now = Instant::now();
        t.record_failure("10.0.0.1".parse().unwrap(), now);
        assert!(t.check("10.0.0.1".parse().unwrap(), now).is_err());
        assert!(t.check("10.0.0.2".parse().unwrap(), now).is_ok());
    }
}
