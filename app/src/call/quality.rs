//! Connection quality of one participant from `getStats` figures, as a simple indicator.

/// Bars on a tile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QualityLevel {
    Good,
    Fair,
    Poor,
}

impl QualityLevel {
    pub fn label(self) -> &'static str {
        match self {
            QualityLevel::Good => "Good connection",
            QualityLevel::Fair => "Fair connection",
            QualityLevel::Poor => "Poor connection",
        }
    }

    pub fn bars(self) -> u8 {
        match self {
            QualityLevel::Good => 3,
            QualityLevel::Fair => 2,
            QualityLevel::Poor => 1,
        }
    }
}

/// What one `getStats` sample (compared with the previous one) says about a peer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quality {
    /// Received bitrate, audio and video together.
    pub kbps_in: u32,
    /// Packets lost in the last interval, percent of those expected.
    pub loss_pct: f32,
    /// Round-trip time of the selected candidate pair.
    pub rtt_ms: Option<u32>,
    /// Totals since the connection started (shown in the details and read by tests).
    pub audio_bytes_in: u64,
    /// Energy of the audio received (`totalAudioEnergy`): grows only while there is sound,
    /// so tests can tell silence (a muted microphone) from packets of silence.
    pub audio_energy: f64,
    pub video_frames_decoded: u64,
    /// The selected path goes through a TURN relay.
    pub relayed: bool,
}

impl Quality {
    /// Whether this path really delivers what the participant sends (`media`): decoded video
    /// when their camera is on, else audio bytes when their microphone is on. A path that
    /// delivers may take over a tile from another path without the tile going dark.
    pub fn delivers(&self, media: &protocol::signal::MediaState) -> bool {
        if media.video {
            self.video_frames_decoded > 0
        } else if media.audio {
            self.audio_bytes_in > 0
        } else {
            true
        }
    }

    pub fn level(&self) -> QualityLevel {
        let rtt = self.rtt_ms.unwrap_or(0);
        if self.loss_pct < 2.0 && rtt < 250 {
            QualityLevel::Good
        } else if self.loss_pct < 8.0 && rtt < 600 {
            QualityLevel::Fair
        } else {
            QualityLevel::Poor
        }
    }

    pub fn summary(&self) -> String {
        let rtt = self
            .rtt_ms
            .map_or_else(|| "RTT unknown".to_string(), |r| format!("RTT {r} ms"));
        format!(
            "{}: {} kbit/s, {:.1}% loss, {rtt}{}",
            self.level().label(),
            self.kbps_in,
            self.loss_pct,
            if self.relayed { ", relayed" } else { "" }
        )
    }
}

/// Loss over an interval from cumulative counters (`packetsLost`, `packetsReceived`).
pub fn loss_pct(lost_delta: i64, received_delta: i64) -> f32 {
    let lost = lost_delta.max(0) as f64;
    let expected = lost + received_delta.max(0) as f64;
    if expected <= 0.0 {
        0.0
    } else {
        (lost * 100.0 / expected) as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(loss_pct: f32, rtt_ms: Option<u32>) -> Quality {
        Quality {
            kbps_in: 800,
            loss_pct,
            rtt_ms,
            audio_bytes_in: 0,
            audio_energy: 0.0,
            video_frames_decoded: 0,
            relayed: false,
        }
    }

    #[test]
    fn levels_follow_loss_and_rtt() {
        assert_eq!(sample(0.0, Some(20)).level(), QualityLevel::Good);
        assert_eq!(sample(3.0, Some(20)).level(), QualityLevel::Fair);
        assert_eq!(sample(0.5, Some(400)).level(), QualityLevel::Fair);
        assert_eq!(sample(12.0, Some(20)).level(), QualityLevel::Poor);
        assert_eq!(sample(0.0, Some(900)).level(), QualityLevel::Poor);
        assert_eq!(sample(0.0, None).level(), QualityLevel::Good);
    }

    #[test]
    fn loss_is_a_share_of_expected_packets() {
        assert_eq!(loss_pct(0, 0), 0.0);
        assert_eq!(loss_pct(5, 95), 5.0);
        // Counters can step back when a stream restarts; that is not negative loss.
        assert_eq!(loss_pct(-3, 100), 0.0);
    }

    #[test]
    fn a_path_delivers_what_the_participant_sends() {
        use protocol::signal::MediaState;
        let q = |frames, audio| Quality {
            kbps_in: 0,
            loss_pct: 0.0,
            rtt_ms: None,
            audio_bytes_in: audio,
            audio_energy: 0.0,
            video_frames_decoded: frames,
            relayed: false,
        };
        let camera = MediaState {
            video: true,
            audio: true,
            ..MediaState::default()
        };
        assert!(
            !q(0, 500).delivers(&camera),
            "audio alone is not enough with a camera on"
        );
        assert!(q(3, 0).delivers(&camera));
        let voice = MediaState {
            audio: true,
            ..MediaState::default()
        };
        assert!(!q(0, 0).delivers(&voice));
        assert!(q(0, 10).delivers(&voice));
        assert!(
            q(0, 0).delivers(&MediaState::default()),
            "nothing sent, nothing to wait for"
        );
    }
}
