//! Labelled `<select>`s for the camera, microphone and speaker.

use crate::call::CallState;
use crate::call::actions::{self, DeviceKind};
use leptos::prelude::*;

#[component]
pub fn DeviceSelect(kind: DeviceKind, label: &'static str) -> impl IntoView {
    let state = CallState::get();
    let options = move || {
        state.devices.with(|d| match kind {
            DeviceKind::Camera => d.cameras.clone(),
            DeviceKind::Mic => d.mics.clone(),
            DeviceKind::Speaker => d.speakers.clone(),
        })
    };
    let selected = move || {
        state.choice.with(|c| match kind {
            DeviceKind::Camera => c.camera.clone(),
            DeviceKind::Mic => c.mic.clone(),
            DeviceKind::Speaker => c.speaker.clone(),
        })
    };
    let id = format!("device-{label}").to_lowercase();
    view! {
        <div>
            <label for=id.clone() class="block text-xs font-medium text-slate-500 dark:text-slate-400">{label}</label>
            <select
                id=id
                class="mt-1 block w-full rounded-lg border border-slate-300 bg-white px-2 py-1.5 text-sm dark:border-slate-700 dark:bg-slate-900"
                disabled=move || options().is_empty()
                on:change=move |ev| actions::choose_device(state, kind, event_target_value(&ev))
            >
                {move || {
                    let list = options();
                    if list.is_empty() {
                        return view! { <option value="">"Default"</option> }.into_any();
                    }
                    let current = selected();
                    list.into_iter()
                        .map(|d| {
                            let chosen = current.as_deref() == Some(d.id.as_str());
                            view! { <option value=d.id selected=chosen>{d.label}</option> }
                        })
                        .collect_view()
                        .into_any()
                }}
            </select>
        </div>
    }
}

/// Camera, microphone, and speaker where the browser lets a page choose one.
#[component]
pub fn DeviceSelects() -> impl IntoView {
    let state = CallState::get();
    view! {
        <DeviceSelect kind=DeviceKind::Camera label="Camera" />
        <DeviceSelect kind=DeviceKind::Mic label="Microphone" />
        <Show when=move || state.speaker_selectable.get()>
            <DeviceSelect kind=DeviceKind::Speaker label="Speaker" />
        </Show>
    }
}
