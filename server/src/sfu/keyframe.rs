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
    /// True if a request may go out now (records nothing).
    pub fn ready(&self, now: Instant) -> bool {
        self.last
            .is_none_or(|last| now.saturating_duration_since(last) >= KEYFRAME_INTERVAL)
    }

    /// True if a request may go out now (and records it).
    pub fn allow(&mut self, now: Instant) -> bool {
        let ready = self.ready(now);
        if ready {
            self.last = Some(now);
        }
        ready
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
}
