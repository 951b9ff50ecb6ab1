//! How much mail goes out: at most `per_host` mails per host and `total` in all per sliding
//! window (an hour). Kept by the one sending task, so taking a place is atomic however many
//! requests queued mail at once; a mail over budget waits for the window to free a place
//! instead of being sent. Pure: time is passed in.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct MailBudget<H> {
    per_host: usize,
    total: usize,
    window: Duration,
    /// When each mail in the window went out, and for whom.
    sent: VecDeque<(Instant, H)>,
    by_host: HashMap<H, usize>,
}

impl<H: Clone + Eq + Hash> MailBudget<H> {
    pub fn new(per_host: u32, total: u32, window: Duration) -> Self {
        Self {
            per_host: per_host.max(1) as usize,
            total: total.max(1) as usize,
            window,
            sent: VecDeque::new(),
            by_host: HashMap::new(),
        }
    }

    /// Takes a place for one mail of `host` at `now`, or says how long until one frees.
    pub fn take(&mut self, host: &H, now: Instant) -> Result<(), Duration> {
        while let Some((at, h)) = self.sent.front()
            && now.duration_since(*at) >= self.window
        {
            if let Some(n) = self.by_host.get_mut(h) {
                *n -= 1;
                if *n == 0 {
                    self.by_host.remove(h);
                }
            }
            self.sent.pop_front();
        }
        let wait_from = |at: Instant| (at + self.window).saturating_duration_since(now);
        if self.sent.len() >= self.total {
            return Err(self
                .sent
                .front()
                .map_or(self.window, |(at, _)| wait_from(*at)));
        }
        if self.by_host.get(host).copied().unwrap_or(0) >= self.per_host {
            let oldest = self.sent.iter().find(|(_, h)| h == host).map(|(at, _)| *at);
            return Err(oldest.map_or(self.window, wait_from));
        }
        self.sent.push_back((now, host.clone()));
        *self.by_host.entry(host.clone()).or_insert(0) += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_host_and_all_together_stay_within_the_window() {
        let t0 = Instant::now();
        let hour = Duration::from_secs(3600);
        let mut b = MailBudget::new(2, 3, hour);
        assert!(b.take(&"ann", t0).is_ok());
        assert!(b.take(&"ann", t0).is_ok());
        let wait = b.take(&"ann", t0 + Duration::from_secs(10)).unwrap_err();
        assert_eq!(
            wait,
            hour - Duration::from_secs(10),
            "ann waits for her first to age out"
        );
        assert!(b.take(&"bob", t0).is_ok());
        assert!(b.take(&"cy", t0).is_err(), "three in all");
        // An hour on, places free up.
        assert!(b.take(&"ann", t0 + hour).is_ok());
        assert!(b.take(&"cy", t0 + hour).is_ok());
    }
}
