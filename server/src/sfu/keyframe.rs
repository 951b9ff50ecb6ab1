//! Keyframe requests towards a publisher, throttled: every new subscriber and every lost
//! packet asks for one, but the publisher's encoder should see at most one per interval.

use std::time::{Duration, Instant};

/// At most one keyframe request per publisher track in this interval.
pub const KEYFRAME_INTERVAL: Duration = Duration::from_millis(300);

#[derive(Debug, Default, Clone, Copy)]
pub struct KeyframeThrottle {
    last: Option<Instant>,
}

impl KeyframeThrottle {
    /// True if a request may go out now (and records it).
    pub fn allow(&mut self, now: Instant) -> bool {
        if self
            .last
            .is_some_and(|last| now.saturating_duration_since(last) < KEYFRAME_INTERVAL)
        {
            return false;
        }
        self.last = Some(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_request_per_interval() {
        let t0 = Instant::now();
        let mut throttle = KeyframeThrottle::default();
        assert!(throttle.allow(t0));
        assert!(!throttle.allow(t0 + Duration::from_millis(100)));
        assert!(!throttle.allow(t0 + Duration::from_millis(299)));
        assert!(throttle.allow(t0 + KEYFRAME_INTERVAL));
        assert!(!throttle.allow(t0 + KEYFRAME_INTERVAL));
    }
}
