//! When to suggest the data saver: the others' video keeps arriving with heavy loss, so the
//! sound would do better without it. A suggestion, never an automatic switch; asked once per
//! call (after "Not now" it stays quiet).

/// Loss (percent of a camera participant's packets over one stats interval) at which their
/// video counts as arriving badly: the `Poor` level of `quality::Quality::level`.
pub const POOR_LOSS_PCT: f32 = 8.0;

/// How long most of the cameras must arrive badly before the suggestion shows (ms).
pub const SUSTAINED_MS: f64 = 8_000.0;

/// Whether what arrives from the others is poor right now: at least half of the participants
/// whose camera is on (and measured) lose `POOR_LOSS_PCT` or more. `loss` holds one entry per
/// such participant.
pub fn receiving_poorly(loss: &[f32]) -> bool {
    let poor = loss.iter().filter(|&&l| l >= POOR_LOSS_PCT).count();
    !loss.is_empty() && poor * 2 >= loss.len()
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct SaverHint {
    poor_since: Option<f64>,
    dismissed: bool,
}

impl SaverHint {
    /// Takes the latest reading at `now_ms`; true while the suggestion should show.
    pub fn observe(&mut self, now_ms: f64, poor: bool, saver_on: bool) -> bool {
        if !poor {
            self.poor_since = None;
            return false;
        }
        let since = *self.poor_since.get_or_insert(now_ms);
        !saver_on && !self.dismissed && now_ms - since >= SUSTAINED_MS
    }

    /// "Not now": not asked again in this call.
    pub fn dismiss(&mut self) {
        self.dismissed = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poor_means_half_the_cameras_or_more_lose_heavily() {
        assert!(!receiving_poorly(&[]));
        assert!(!receiving_poorly(&[0.0, 2.0, 7.9]));
        assert!(receiving_poorly(&[12.0]));
        assert!(receiving_poorly(&[12.0, 0.0]));
        assert!(!receiving_poorly(&[12.0, 0.0, 1.0]));
        assert!(receiving_poorly(&[8.0, 9.0, 1.0]));
    }

    #[test]
    fn the_hint_waits_for_sustained_loss_and_asks_once() {
        let mut hint = SaverHint::default();
        assert!(
            !hint.observe(0.0, true, false),
            "not at the first bad reading"
        );
        assert!(!hint.observe(6_000.0, true, false));
        assert!(hint.observe(8_000.0, true, false), "after 8 s of loss");
        // A good reading starts the wait again.
        assert!(!hint.observe(9_000.0, false, false));
        assert!(!hint.observe(10_000.0, true, false));
        assert!(hint.observe(18_000.0, true, false));
        // With the data saver on there is nothing to suggest.
        assert!(!hint.observe(20_000.0, true, true));
        hint.dismiss();
        assert!(
            !hint.observe(60_000.0, true, false),
            "after Not now, never again"
        );
    }
}
