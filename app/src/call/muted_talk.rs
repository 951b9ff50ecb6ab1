//! "Are you talking? Your microphone is off." While I am muted the page still measures my
//! microphone (locally, on a copy of the track; nothing is sent), and when I keep making sound
//! for more than a moment it says so, with a button to unmute. A cough or a door does not
//! count: the loud moments must form a streak.

/// Loud moments closer than this belong to one streak (speech pauses between phrases).
pub const GAP_MS: f64 = 1_500.0;
/// How long a streak must last before the hint shows.
pub const STREAK_MS: f64 = 1_200.0;
/// The hint goes away this long after the last loud moment.
pub const HOLD_MS: f64 = 4_000.0;
/// After "Dismiss", quiet for this long.
pub const QUIET_MS: f64 = 60_000.0;

#[derive(Debug, Default, Clone, PartialEq)]
pub struct MutedTalk {
    streak_start: Option<f64>,
    last_loud: Option<f64>,
    quiet_until: f64,
}

impl MutedTalk {
    /// Takes one reading at `now_ms`: am I muted, is my microphone loud right now. True while
    /// the hint should show.
    pub fn observe(&mut self, now_ms: f64, muted: bool, loud: bool) -> bool {
        if !muted {
            self.streak_start = None;
            self.last_loud = None;
            return false;
        }
        if loud {
            if self.last_loud.is_none_or(|last| now_ms - last > GAP_MS) {
                self.streak_start = Some(now_ms);
            }
            self.last_loud = Some(now_ms);
        }
        let (Some(start), Some(last)) = (self.streak_start, self.last_loud) else {
            return false;
        };
        now_ms >= self.quiet_until && now_ms - last < HOLD_MS && last - start >= STREAK_MS
    }

    /// "Dismiss": not shown again for `QUIET_MS`, and a new streak is needed after that.
    pub fn dismiss(&mut self, now_ms: f64) {
        self.quiet_until = now_ms + QUIET_MS;
        self.streak_start = None;
        self.last_loud = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds readings every 100 ms from `from` to `to` (exclusive), loud where `loud(t)` says.
    fn run(
        hint: &mut MutedTalk,
        from: f64,
        to: f64,
        muted: bool,
        loud: impl Fn(f64) -> bool,
    ) -> Vec<(f64, bool)> {
        let mut out = Vec::new();
        let mut t = from;
        while t < to {
            out.push((t, hint.observe(t, muted, loud(t))));
            t += 100.0;
        }
        out
    }

    fn first_shown(readings: &[(f64, bool)]) -> Option<f64> {
        readings.iter().find(|(_, shown)| *shown).map(|(t, _)| *t)
    }

    #[test]
    fn talking_while_muted_shows_the_hint_after_a_moment_and_it_fades_after_silence() {
        let mut hint = MutedTalk::default();
        let talk = run(&mut hint, 0.0, 3_000.0, true, |_| true);
        assert_eq!(first_shown(&talk), Some(STREAK_MS));
        let silence = run(&mut hint, 3_000.0, 9_000.0, true, |_| false);
        assert!(
            silence.iter().take(30).all(|(_, shown)| *shown),
            "held a while"
        );
        assert!(
            !silence.last().unwrap().1,
            "gone after {HOLD_MS} ms of silence"
        );
    }

    #[test]
    fn a_beep_every_second_is_a_streak_but_one_loud_moment_is_not() {
        let mut hint = MutedTalk::default();
        let beeps = run(&mut hint, 0.0, 4_000.0, true, |t| t % 1_000.0 == 0.0);
        assert_eq!(first_shown(&beeps), Some(2_000.0), "the third beep");

        let mut hint = MutedTalk::default();
        let cough = run(&mut hint, 0.0, 2_000.0, true, |t| t < 300.0);
        assert_eq!(first_shown(&cough), None);
        // Two coughs far apart do not join up either.
        let later = run(&mut hint, 2_000.0, 8_000.0, true, |t| t == 5_000.0);
        assert_eq!(first_shown(&later), None);
    }

    #[test]
    fn never_while_the_microphone_is_on_and_unmuting_starts_over() {
        let mut hint = MutedTalk::default();
        assert_eq!(
            first_shown(&run(&mut hint, 0.0, 5_000.0, false, |_| true)),
            None
        );
        run(&mut hint, 5_000.0, 6_000.0, true, |_| true);
        assert!(!hint.observe(6_000.0, false, true), "unmuted: gone at once");
        let again = run(&mut hint, 6_100.0, 8_000.0, true, |_| true);
        assert_eq!(
            first_shown(&again),
            Some(6_100.0 + STREAK_MS),
            "a new streak"
        );
    }

    #[test]
    fn dismissed_it_stays_quiet_for_a_minute() {
        let mut hint = MutedTalk::default();
        run(&mut hint, 0.0, 2_000.0, true, |_| true);
        hint.dismiss(2_000.0);
        let quiet = run(&mut hint, 2_000.0, 2_000.0 + QUIET_MS, true, |_| true);
        assert_eq!(first_shown(&quiet), None);
        assert!(
            hint.observe(2_000.0 + QUIET_MS, true, true),
            "back after the quiet time"
        );
    }
}
