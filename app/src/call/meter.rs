//! Audio level of one track from an `AnalyserNode`: my microphone (pre-join meter and my
//! speaking ring) and each remote microphone (their speaking rings). Every meter of a call
//! shares one `AudioContext`.
//!
//! The analyser keeps the last ~170 ms of audio, longer than a tick, so each reading sees
//! everything since the previous one (see `speaking::loudest_block`).

use super::speaking::{BLOCK, loudest_block};
use web_sys::{
    AnalyserNode, AudioContext, MediaStream, MediaStreamAudioSourceNode, MediaStreamTrack,
};

/// Samples the analyser keeps: 170 ms at 48 kHz (a power of two, as the API demands).
const WINDOW: u32 = 8192;

pub struct Meter {
    track_id: String,
    source: MediaStreamAudioSourceNode,
    analyser: AnalyserNode,
    buffer: Vec<f32>,
    /// The copy of the track this meter made for itself (`on_copy`), stopped with the meter.
    copy: Option<MediaStreamTrack>,
}

impl Meter {
    pub fn new(context: &AudioContext, track: &MediaStreamTrack) -> Option<Self> {
        let stream = MediaStream::new().ok()?;
        stream.add_track(track);
        let source = context.create_media_stream_source(&stream).ok()?;
        let analyser = context.create_analyser().ok()?;
        analyser.set_fft_size(WINDOW);
        source.connect_with_audio_node(&analyser).ok()?;
        Some(Self {
            track_id: track.id(),
            source,
            analyser,
            buffer: vec![0.0; WINDOW as usize],
            copy: None,
        })
    }

    /// A meter on a copy of `track` that stays enabled when the original is disabled (muted),
    /// so the level is known while muted. The copy is stopped when the meter is dropped.
    pub fn on_copy(context: &AudioContext, track: &MediaStreamTrack) -> Option<Self> {
        let copy = MediaStreamTrack::clone(track);
        copy.set_enabled(true);
        match Self::new(context, &copy) {
            Some(mut meter) => {
                meter.copy = Some(copy);
                Some(meter)
            }
            None => {
                copy.stop();
                None
            }
        }
    }

    /// The track this meter listens to.
    pub fn track_id(&self) -> &str {
        &self.track_id
    }

    /// Loudness 0..1 of the loudest moment in the last ~170 ms.
    pub fn level(&mut self) -> f64 {
        self.analyser.get_float_time_domain_data(&mut self.buffer);
        loudest_block(&self.buffer, BLOCK)
    }
}

impl Drop for Meter {
    fn drop(&mut self) {
        let _ = self.source.disconnect();
        if let Some(copy) = &self.copy {
            copy.stop();
        }
    }
}

/// The call's `AudioContext`. Browsers start one suspended until the page has had a user
/// gesture; `wake` retries quietly on every tick.
pub fn context() -> Option<AudioContext> {
    AudioContext::new().ok()
}

pub fn wake(context: &AudioContext) {
    if context.state() != web_sys::AudioContextState::Running {
        let _ = context.resume();
    }
}
