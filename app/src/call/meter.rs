//! Microphone level from an `AnalyserNode`: drives the pre-join meter and my own speaking ring.

use web_sys::{AnalyserNode, AudioContext, MediaStream, MediaStreamTrack};

pub struct Meter {
    context: AudioContext,
    analyser: AnalyserNode,
    buffer: Vec<f32>,
}

impl Meter {
    pub fn new(track: &MediaStreamTrack) -> Option<Self> {
        let context = AudioContext::new().ok()?;
        let stream = MediaStream::new().ok()?;
        stream.add_track(track);
        let source = context.create_media_stream_source(&stream).ok()?;
        let analyser = context.create_analyser().ok()?;
        analyser.set_fft_size(512);
        source.connect_with_audio_node(&analyser).ok()?;
        let buffer = vec![0.0; analyser.fft_size() as usize];
        Some(Self {
            context,
            analyser,
            buffer,
        })
    }

    /// Loudness now, 0..1 (RMS scaled so speech reaches the upper half).
    pub fn level(&mut self) -> f64 {
        // Browsers start an AudioContext suspended until a user gesture; retry quietly.
        if self.context.state() != web_sys::AudioContextState::Running {
            let _ = self.context.resume();
        }
        self.analyser.get_float_time_domain_data(&mut self.buffer);
        let sum: f32 = self.buffer.iter().map(|s| s * s).sum();
        let rms = (sum / self.buffer.len().max(1) as f32).sqrt() as f64;
        (rms * 4.0).min(1.0)
    }
}

impl Drop for Meter {
    fn drop(&mut self) {
        let _ = self.context.close();
    }
}
