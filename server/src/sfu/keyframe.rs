//! Keyframe requests towards a publisher, throttled: every new subscriber and every lost
//! packet asks for one, but the publisher's encoder should see at most one per interval. A
//! request that comes while the throttle holds is not dropped but held, and goes out when the
//! interval ends: a subscriber that connected just after the last keyframe went by still gets
//! one within the interval.

use std::time::{Duration, Instant};

/// At most one keyframe request per publisher track in this interval.
pub const KEYFRAME_INTERVAL: Duration = Duration::from_millis(300);

#[derive(Debug, Default, Clone, Copy)]
pub struct KeyframeThrottle {
    last: Option<Instant>,
    held: bool,
}

impl KeyframeThrottle {
    /// True if a request may go out now (records nothing).
    pub fn ready(&self, now: Instant) -> bool {
        self.last
            .is_none_or(|last| now.saturating_duration_since(last) >= KEYFRAME_INTERVAL)
    }

    /// True if a request may go out now (and records it, which also settles a held one).
    pub fn allow(&mut self, now: Instant) -> bool {
        let ready = self.ready(now);
        if ready {
            self.last = Some(now);
            self.held = false;
        }
        ready
    }

    /// A request that may not go out now: it goes out at `held_until`.
    pub fn hold(&mut self) {
        self.held = true;
    }

    /// When a held request may go out (`None`: nothing held).
    pub fn held_until(&self) -> Option<Instant> {
        self.held
            .then(|| self.last.map(|last| last + KEYFRAME_INTERVAL))
            .flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_request_per_interval() {
        let t0 = Instant::now();
        let mut throttle = KeyframeThrottle::default();
        assert!(
            throttle.ready(t0) && throttle.ready(t0),
            "asking records nothing"
        );
        assert!(throttle.allow(t0));
        assert!(!throttle.ready(t0 + Duration::from_millis(100)));
        assert!(!throttle.allow(t0 + Duration::from_millis(100)));
        assert!(!throttle.allow(t0 + Duration::from_millis(299)));
        assert!(throttle.allow(t0 + KEYFRAME_INTERVAL));
        assert!(!throttle.allow(t0 + KEYFRAME_INTERVAL));
    }

    #[test]
    fn a_held_request_is_due_when_the_interval_ends() {
        let t0 = Instant::now();
        let mut throttle = KeyframeThrottle::default();
        assert_eq!(throttle.held_until(), None);
        assert!(throttle.allow(t0));
        throttle.hold();
        assert_eq!(throttle.held_until(), Some(t0 + KEYFRAME_INTERVAL));
        assert!(throttle.allow(t0 + KEYFRAME_INTERVAL));
        assert_eq!(throttle.held_until(), None, "sent, no longer held");
    }
}
