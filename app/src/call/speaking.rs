//! "Is this person talking?" Levels arrive per audio packet (remote) or per tick (own
//! microphone) and dip between syllables, so a loud sample counts for a short hold: the
//! speaking ring stays on through a sentence instead of flickering.

use std::cell::Cell;

/// How long one loud sample keeps someone "speaking".
pub const HOLD_MS: f64 = 600.0;

#[derive(Debug, Default)]
pub struct Speaking {
    loud_at: Cell<Option<f64>>,
}

impl Speaking {
    /// Feeds one sample taken at `now_ms`; true while the last loud one is recent.
    pub fn update(&self, loud: bool, now_ms: f64) -> bool {
        if loud {
            self.loud_at.set(Some(now_ms));
        }
        self.loud_at.get().is_some_and(|at| now_ms - at < HOLD_MS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_is_not_speaking() {
        let s = Speaking::default();
        assert!(!s.update(false, 0.0));
        assert!(!s.update(false, 10_000.0));
    }

    #[test]
    fn a_loud_sample_holds_through_short_dips_then_ends() {
        let s = Speaking::default();
        assert!(s.update(true, 1_000.0));
        assert!(s.update(false, 1_100.0));
        assert!(s.update(false, 1_000.0 + HOLD_MS - 1.0));
        assert!(!s.update(false, 1_000.0 + HOLD_MS));
        assert!(s.update(true, 2_000.0));
    }
}
