//! "Are the others really getting my camera?" A camera can deliver frames the browser cannot
//! encode (a depth or infrared camera with 16-bit frames), or stop delivering them: the
//! preview may even look fine while the others see a frozen picture. Each stats sample of a
//! connected link compares the camera sender's `framesEncoded` with the last one.

/// No newly encoded camera frame for this long, on a connected link, means it is not sent.
pub const STALL_MS: f64 = 3_500.0;

#[derive(Debug, Default, Clone)]
pub struct EncodeWatch {
    /// The track, its encoded-frame count, and when that count last changed.
    last: Option<(String, f64, f64)>,
}

impl EncodeWatch {
    /// Feeds one sample (sending `track`, `frames` encoded so far, at `now_ms`); true while
    /// that track has had no frame encoded for `STALL_MS`.
    pub fn update(&mut self, track: &str, frames: f64, now_ms: f64) -> bool {
        match &self.last {
            Some((t, f, since)) if t == track && *f == frames => now_ms - since >= STALL_MS,
            _ => {
                self.last = Some((track.to_owned(), frames, now_ms));
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_camera_whose_frames_are_encoded_is_fine() {
        let mut w = EncodeWatch::default();
        for (i, frames) in [0.0, 40.0, 80.0, 120.0].into_iter().enumerate() {
            assert!(!w.update("cam", frames, i as f64 * 2_000.0));
        }
    }

    #[test]
    fn no_new_frames_for_the_stall_time_is_a_stall_until_frames_come_back() {
        let mut w = EncodeWatch::default();
        assert!(!w.update("cam", 0.0, 0.0));
        assert!(!w.update("cam", 0.0, 2_000.0), "too early to tell");
        assert!(w.update("cam", 0.0, STALL_MS));
        assert!(w.update("cam", 0.0, 10_000.0));
        assert!(!w.update("cam", 3.0, 12_000.0), "frames again");
    }

    #[test]
    fn a_new_camera_starts_a_new_watch() {
        let mut w = EncodeWatch::default();
        w.update("depth", 0.0, 0.0);
        assert!(w.update("depth", 0.0, 5_000.0));
        assert!(!w.update("webcam", 0.0, 6_000.0));
        assert!(!w.update("webcam", 0.0, 8_000.0));
    }
}
