//! Password checks in progress per client address and per account (or meeting): a flood aimed
//! at one account, or sent from one address, holds at most `per_key` places in the hashing
//! queue, so it cannot crowd out everyone else's sign-in. A place is given back when the guard
//! drops. Only keys with checks in progress are stored.

use super::throttle::Key;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Clone)]
pub struct InFlight {
    counts: Arc<Mutex<HashMap<Key, u32>>>,
    per_key: u32,
}

/// Places held by one request; released on drop.
pub struct Places {
    owner: InFlight,
    keys: Vec<Key>,
}

impl InFlight {
    pub fn new(per_key: u32) -> Self {
        Self {
            counts: Arc::default(),
            per_key: per_key.max(1),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, u32>> {
        self.counts.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A place for every key, or `None` (taking nothing) when one of them is at its limit.
    pub fn enter(&self, keys: Vec<Key>) -> Option<Places> {
        let mut counts = self.lock();
        if keys
            .iter()
            .any(|k| counts.get(k).is_some_and(|n| *n >= self.per_key))
        {
            return None;
        }
        for key in &keys {
            *counts.entry(key.clone()).or_insert(0) += 1;
        }
        Some(Places {
            owner: self.clone(),
            keys,
        })
    }

    pub fn tracked(&self) -> usize {
        self.lock().len()
    }
}

impl Drop for Places {
    fn drop(&mut self) {
        let mut counts = self.owner.lock();
        for key in &self.keys {
            if let Some(n) = counts.get_mut(key) {
                *n -= 1;
                if *n == 0 {
                    counts.remove(key);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_target_holds_at_most_its_share_and_gives_it_back() {
        let in_flight = InFlight::new(2);
        let victim = || Key::Account("v@example.com".into());
        let a = in_flight.enter(vec![Key::addr([10, 0, 0, 1].into()), victim()]);
        let b = in_flight.enter(vec![Key::addr([10, 0, 0, 2].into()), victim()]);
        assert!(a.is_some() && b.is_some());
        assert!(
            in_flight
                .enter(vec![Key::addr([10, 0, 0, 3].into()), victim()])
                .is_none()
        );
        // Someone else, signing in to their own account, is not held up.
        let other = in_flight.enter(vec![
            Key::addr([192, 0, 2, 1].into()),
            Key::Account("me@example.com".into()),
        ]);
        assert!(other.is_some());
        drop((a, b, other));
        assert_eq!(in_flight.tracked(), 0, "nothing kept once the checks ended");
        assert!(in_flight.enter(vec![victim()]).is_some());
    }
}
