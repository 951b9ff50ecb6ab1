//! How much camera video a participant sends, by the size of the call. Every extra person
//! receives everyone's camera (through the SFU, or one copy per peer in a mesh), so a full
//! room at the browser's default (up to ~2.5 Mbit/s for 720p) would ask each downlink for
//! tens of megabits. As the grid grows its tiles get smaller: each camera is capped in bitrate
//! and height, so that what a person receives stays under about 5 Mbit/s up to 25 people
//! (under 10 at 50). Screen shares are not capped (text must stay readable). Two people keep
//! the browser's own choice.

/// The most one camera sends in a call of a given size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CameraBudget {
    /// Bits per second (`RTCRtpEncodingParameters.maxBitrate`).
    pub max_bitrate: u32,
    /// The tallest picture worth sending at that size of tile.
    pub max_height: u32,
}

/// The budget for a call of `participants` people (me included); `None`: no cap.
pub fn camera_budget(participants: usize) -> Option<CameraBudget> {
    let (max_bitrate, max_height) = match participants {
        0..=2 => return None,
        3..=4 => (1_200_000, 720),
        5..=9 => (600_000, 480),
        10..=16 => (350_000, 360),
        _ => (200_000, 270),
    };
    Some(CameraBudget {
        max_bitrate,
        max_height,
    })
}

/// `scaleResolutionDownBy` for a camera `height` pixels tall under `budget` (1: as captured;
/// never upscaled). Unknown height: as captured.
pub fn scale_down(height: Option<u32>, budget: Option<CameraBudget>) -> f64 {
    match (height, budget) {
        (Some(h), Some(b)) if h > b.max_height => f64::from(h) / f64::from(b.max_height),
        _ => 1.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_each_person_receives_stays_near_five_megabits_at_any_size() {
        assert_eq!(camera_budget(1), None);
        assert_eq!(camera_budget(2), None);
        for n in 3..=50usize {
            let b = camera_budget(n).unwrap();
            let received = u64::from(b.max_bitrate) * (n as u64 - 1);
            assert!(received <= 10_000_000, "{n} people: {received} bit/s");
            // Smaller tiles, never more per camera.
            let bigger = camera_budget(n + 1).unwrap();
            assert!(bigger.max_bitrate <= b.max_bitrate && bigger.max_height <= b.max_height);
        }
        assert_eq!(camera_budget(3).unwrap().max_bitrate, 1_200_000);
        assert_eq!(camera_budget(25).unwrap().max_height, 270);
    }

    #[test]
    fn the_picture_is_scaled_down_to_the_budget_never_up() {
        let b = camera_budget(10);
        assert_eq!(scale_down(Some(720), b), 2.0);
        assert_eq!(scale_down(Some(240), b), 1.0);
        assert_eq!(scale_down(None, b), 1.0);
        assert_eq!(scale_down(Some(1080), None), 1.0);
    }
}
