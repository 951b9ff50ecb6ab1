//! A short two-note chime for what a host must not miss while looking elsewhere: someone
//! asking to come in. Synthesised on the call's `AudioContext` (no sound file to load); it
//! plays on the chosen speaker where the browser can route the context there
//! (`engine::controls::apply_speaker`), else on the system's default output.

use wasm_bindgen::JsValue;
use web_sys::AudioContext;

pub fn knock(context: &AudioContext) {
    if let Err(e) = play(context) {
        web_sys::console::warn_2(&"chime:".into(), &e);
    }
}

fn play(context: &AudioContext) -> Result<(), JsValue> {
    let now = context.current_time();
    for (i, frequency) in [660.0_f32, 880.0].into_iter().enumerate() {
        let start = now + i as f64 * 0.15;
        let tone = context.create_oscillator()?;
        tone.frequency().set_value(frequency);
        let envelope = context.create_gain()?;
        let gain = envelope.gain();
        gain.set_value_at_time(0.0, start)?;
        gain.linear_ramp_to_value_at_time(0.2, start + 0.02)?;
        gain.exponential_ramp_to_value_at_time(0.001, start + 0.3)?;
        tone.connect_with_audio_node(&envelope)?;
        envelope.connect_with_audio_node(&context.destination())?;
        tone.start_with_when(start)?;
        tone.stop_with_when(start + 0.32)?;
    }
    Ok(())
}
