//! Attempt throttle for guesses: sign-in, registration, meeting passwords and code look-ups.
//!
//! An attempt is counted when it is let through, before any hashing, and forgiven only when
//! it succeeds: so many guesses sent at once cannot slip past the gate while the first ones
//! are still being checked. Each attempt counts against several keys at once (the client's
//! address, with IPv6 taken per /64; the account; the meeting), each with its own budget.
//! A blocked client learns how long to wait (`Retry-After`).
//!
//! The map is bounded: windows are kept in the order they started, expired ones are dropped
//! from the front as time passes, and past `capacity` the oldest window is forgotten.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What an attempt is counted against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Key {
    /// A client address: IPv4 as is, IPv6 by its /64 (one subscriber's whole prefix).
    Addr(IpAddr),
    /// An account, by normalised email.
    Account(String),
    /// A meeting, by code (its password).
    Meeting(String),
}

impl Key {
    pub fn addr(ip: IpAddr) -> Key {
        match ip {
            IpAddr::V4(_) => Key::Addr(ip),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Key::Addr(IpAddr::V4(v4)),
                None => {
                    let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                    Key::Addr(IpAddr::V6(prefix.into()))
                }
            },
        }
    }

    fn is_addr(&self) -> bool {
        matches!(self, Key::Addr(_))
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Budgets {
    /// Attempts per client address per window.
    pub per_addr: u32,
    /// Attempts per account or meeting per window, from all addresses together.
    pub per_target: u32,
}

#[derive(Clone)]
pub struct Throttle {
    inner: Arc<Mutex<Windows>>,
    budgets: Budgets,
    window: Duration,
    capacity: usize,
}

#[derive(Default)]
struct Windows {
    map: HashMap<Key, Window>,
    /// Keys in the order their windows started (a key appears again when its window restarts).
    order: VecDeque<(Instant, Key)>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    attempts: u32,
}

/// An attempt let through. Dropped, it stays counted (a failure); `forgive` takes it back (a success, or no guess made).
#[must_use = "call `forgive` when the attempt succeeds; dropping it counts a failure"]
pub struct Attempt {
    throttle: Throttle,
    keys: Vec<Key>,
    started: Instant,
}

impl Attempt {
    pub fn forgive(self) {
        let mut w = self.throttle.lock();
        for key in &self.keys {
            if let Some(window) = w.map.get_mut(key)
                && window.started <= self.started
            {
                window.attempts = window.attempts.saturating_sub(1);
            }
        }
    }
}

/// How many windows are tracked at most (about 100 bytes each).
pub const DEFAULT_CAPACITY: usize = 100_000;

impl Throttle {
    pub fn new(budgets: Budgets, window: Duration) -> Self {
        Self::with_capacity(budgets, window, DEFAULT_CAPACITY)
    }

    pub fn with_capacity(budgets: Budgets, window: Duration, capacity: usize) -> Self {
        Self {
            inner: Arc::default(),
            budgets: Budgets {
                per_addr: budgets.per_addr.max(1),
                per_target: budgets.per_target.max(1),
            },
            window,
            capacity: capacity.max(1),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Windows> {
        // Nothing in here can panic while holding the lock; recover the data if it ever did.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn budget(&self, key: &Key) -> u32 {
        if key.is_addr() {
            self.budgets.per_addr
        } else {
            self.budgets.per_target
        }
    }

    /// Counts an attempt against every key, or `Err(seconds to wait)` (counting nothing) when
    /// one of them has used up its budget in the current window.
    pub fn attempt(&self, keys: Vec<Key>, now: Instant) -> Result<Attempt, u64> {
        let mut w = self.lock();
        w.prune(now, self.window, self.capacity);
        let mut wait = 0;
        for key in &keys {
            if let Some(window) = w.map.get(key)
                && window.attempts >= self.budget(key)
            {
                let left = self
                    .window
                    .saturating_sub(now.duration_since(window.started));
                wait = wait.max(left.as_secs().max(1));
            }
        }
        if wait > 0 {
            return Err(wait);
        }
        for key in &keys {
            let Windows { map, order } = &mut *w;
            let window = map.entry(key.clone()).or_insert_with(|| {
                order.push_back((now, key.clone()));
                Window {
                    started: now,
                    attempts: 0,
                }
            });
            window.attempts += 1;
        }
        Ok(Attempt {
            throttle: self.clone(),
            keys,
            started: now,
        })
    }

    /// Whether `key` is out of attempts right now (for checks that must not count one).
    pub fn is_blocked(&self, key: &Key, now: Instant) -> bool {
        let mut w = self.lock();
        w.prune(now, self.window, self.capacity);
        w.map
            .get(key)
            .is_some_and(|window| window.attempts >= self.budget(key))
    }

    pub fn tracked(&self) -> usize {
        self.lock().map.len()
    }
}

impl Windows {
    /// Drops windows that ended, oldest first, and the oldest ones past `capacity`. Each key
    /// is pushed once per window it starts, so the work is paid for by the attempts.
    fn prune(&mut self, now: Instant, window: Duration, capacity: usize) {
        while let Some((started, _)) = self.order.front() {
            let ended = now.duration_since(*started) >= window;
            if !ended && self.map.len() < capacity {
                break;
            }
            let Some((started, key)) = self.order.pop_front() else {
                break;
            };
            if self.map.get(&key).is_some_and(|w| w.started == started) {
                self.map.remove(&key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle(per_addr: u32, per_target: u32) -> Throttle {
        Throttle::new(
            Budgets {
                per_addr,
                per_target,
            },
            Duration::from_secs(60),
        )
    }

    fn ip(s: &str) -> Key {
        Key::addr(s.parse().unwrap())
    }

    #[test]
    fn attempts_count_when_let_through_until_the_window_ends() {
        let t = throttle(3, 100);
        let t0 = Instant::now();
        // Three in flight at once: none has failed yet, and still the fourth is refused.
        let held: Vec<Attempt> = (0..3)
            .map(|_| t.attempt(vec![ip("10.0.0.1")], t0).expect("within budget"))
            .collect();
        assert_eq!(
            t.attempt(vec![ip("10.0.0.1")], t0 + Duration::from_secs(10))
                .err(),
            Some(50)
        );
        drop(held);
        assert!(
            t.attempt(vec![ip("10.0.0.1")], t0 + Duration::from_secs(61))
                .is_ok()
        );
    }

    #[test]
    fn success_is_forgiven() {
        let t = throttle(2, 100);
        let now = Instant::now();
        for _ in 0..10 {
            t.attempt(vec![ip("10.0.0.1")], now).unwrap().forgive();
        }
        let _failed = t.attempt(vec![ip("10.0.0.1")], now).unwrap();
        assert!(t.attempt(vec![ip("10.0.0.1")], now).is_ok());
    }

    #[test]
    fn addresses_are_independent_but_an_ipv6_prefix_is_one_client() {
        let t = throttle(1, 100);
        let now = Instant::now();
        let _a = t.attempt(vec![ip("10.0.0.1")], now).unwrap();
        assert!(t.attempt(vec![ip("10.0.0.1")], now).is_err());
        assert!(t.attempt(vec![ip("10.0.0.2")], now).is_ok());
        let _b = t.attempt(vec![ip("2001:db8:1:2::1")], now).unwrap();
        assert!(t.attempt(vec![ip("2001:db8:1:2:ffff::9")], now).is_err());
        assert!(t.attempt(vec![ip("2001:db8:1:3::1")], now).is_ok());
        assert_eq!(ip("::ffff:10.0.0.1"), ip("10.0.0.1"));
    }

    #[test]
    fn an_account_is_guarded_across_addresses() {
        let t = throttle(100, 3);
        let now = Instant::now();
        let account = || Key::Account("a@example.com".into());
        for n in 0..3 {
            let _ = t
                .attempt(vec![ip(&format!("10.0.0.{n}")), account()], now)
                .unwrap();
        }
        assert!(t.attempt(vec![ip("10.0.0.9"), account()], now).is_err());
        // A refusal counts nothing: the fresh address still has its whole budget.
        assert!(t.attempt(vec![ip("10.0.0.9")], now).is_ok());
        assert!(t.is_blocked(&account(), now));
    }

    #[test]
    fn the_map_stays_bounded_and_drops_ended_windows() {
        let t = Throttle::with_capacity(
            Budgets {
                per_addr: 1,
                per_target: 1,
            },
            Duration::from_secs(60),
            100,
        );
        let t0 = Instant::now();
        for n in 0..1000u32 {
            let _ = t.attempt(vec![Key::addr(IpAddr::from(n.to_be_bytes()))], t0);
        }
        assert!(t.tracked() <= 100);
        let _ = t.attempt(vec![ip("10.9.9.9")], t0 + Duration::from_secs(61));
        assert_eq!(t.tracked(), 1, "ended windows are dropped as time passes");
    }
}
