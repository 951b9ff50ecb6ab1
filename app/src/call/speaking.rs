//! "Is this person talking?" Each tick measures the loudest moment of the audio heard since
//! the last tick (`loudest_block`), so a short sound is never missed between two ticks.
//! Speech dips between syllables, so a loud sample counts for a short hold: the speaking ring
//! stays on through a sentence instead of flickering.

use std::cell::Cell;

/// How long one loud sample keeps someone "speaking".
pub const HOLD_MS: f64 = 600.0;
/// Level (see `loudest_block`) above which someone counts as speaking.
pub const SPEAKING_LEVEL: f64 = 0.15;
/// Samples per block in `loudest_block`: about 10 ms at 48 kHz.
pub const BLOCK: usize = 512;

/// Loudness 0..1 of the loudest `block`-sample stretch of `samples` (RMS, scaled so normal
/// speech reaches the upper half). A short sound anywhere in `samples` counts in full.
pub fn loudest_block(samples: &[f32], block: usize) -> f64 {
    let loudest = samples
        .chunks(block.max(1))
        .map(|chunk| {
            let sum: f32 = chunk.iter().map(|s| s * s).sum();
            (sum / chunk.len() as f32).sqrt()
        })
        .fold(0.0_f32, f32::max);
    (f64::from(loudest) * 4.0).min(1.0)
}

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
    fn a_short_beep_anywhere_in_the_window_counts_in_full() {
        // 170 ms of silence with a 20 ms beep (half-scale square wave) near the start.
        let mut samples = vec![0.0_f32; 8192];
        for (i, s) in samples[300..300 + 960].iter_mut().enumerate() {
            *s = if i % 120 < 60 { 0.5 } else { -0.5 };
        }
        let level = loudest_block(&samples, BLOCK);
        assert!(level > SPEAKING_LEVEL, "beep level {level}");
        assert!(
            (level - 1.0).abs() < 1e-6,
            "half-scale is full on the meter: {level}"
        );
    }

    #[test]
    fn silence_and_hiss_stay_below_the_speaking_level() {
        assert_eq!(loudest_block(&[0.0; 4096], BLOCK), 0.0);
        let hiss: Vec<f32> = (0..4096)
            .map(|i| if i % 2 == 0 { 0.005 } else { -0.005 })
            .collect();
        assert!(loudest_block(&hiss, BLOCK) < SPEAKING_LEVEL);
        assert_eq!(loudest_block(&[], BLOCK), 0.0);
    }

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
