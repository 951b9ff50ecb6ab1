//! Entry points behind `call::actions`: preview, toggles, device choice, join, leave, and
//! attaching streams to `<video>` elements.

use super::{Call, ENGINE, Engine, current, device_id, engine};
use crate::call::actions::DeviceKind;
use crate::call::devices;
use crate::call::js;
use crate::call::peer::rtc_config;
use crate::call::{CallState, DeviceProblem, Phase, TileKey};
use leptos::prelude::*;
use protocol::signal::{ClientMsg, JoinTicket};
use wasm_bindgen::JsValue;
use web_sys::{HtmlVideoElement, MediaStream};

pub fn start_preview(state: CallState) {
    open_devices(state, |_| {});
}

/// Opens the chosen camera and microphone, then runs `then` (unless the page went away
/// meanwhile), then lists the devices.
fn open_devices(state: CallState, then: impl FnOnce(CallState) + 'static) {
    let e = engine(state);
    wasm_bindgen_futures::spawn_local(async move {
        let want_camera = state.local.get_untracked().video;
        let choice = state.choice.get_untracked();
        let opened = devices::open(
            want_camera.then_some(choice.camera.as_deref()),
            Some(choice.mic.as_deref()),
        )
        .await;
        if !e.alive.get() {
            for t in [opened.camera.ok(), opened.mic.ok()].into_iter().flatten() {
                t.stop();
            }
            return;
        }
        apply_opened(&e, want_camera, opened);
        then(state);
        state.speaker_selectable.set(devices::can_choose_speaker());
        state.devices.set(devices::list().await);
    });
}

fn apply_opened(e: &Engine, want_camera: bool, opened: devices::Opened) {
    let state = e.state;
    match opened.camera {
        Ok(track) => {
            state.choice.update(|c| c.camera = device_id(&track));
            state.camera_problem.set(None);
            e.set_camera(Some(track));
        }
        Err(p) => {
            if want_camera {
                state.camera_problem.set(Some(p));
            }
            e.set_camera(None);
        }
    }
    match opened.mic {
        Ok(track) => {
            state.choice.update(|c| c.mic = device_id(&track));
            state.mic_problem.set(None);
            e.set_mic(Some(track));
        }
        Err(p) => {
            state.mic_problem.set(Some(p));
            e.set_mic(None);
        }
    }
}

pub fn toggle_mic(state: CallState) {
    let e = engine(state);
    let track = e.mic.borrow().clone();
    match track {
        Some(track) => mic_on(&e, &track, !state.local.get_untracked().audio),
        None => wasm_bindgen_futures::spawn_local(async move {
            let wanted = state.choice.get_untracked().mic;
            match devices::open_one(false, wanted.as_deref()).await {
                Ok(track) => {
                    state.mic_problem.set(None);
                    state.local.update(|m| m.audio = true);
                    e.set_mic(Some(track));
                    state.devices.set(devices::list().await);
                }
                Err(p) => {
                    state.mic_problem.set(Some(p));
                    state.show_toast(p.message("microphone"));
                }
            }
        }),
    }
}

/// Push to talk: `talking` turns a muted microphone on, and off again when it ends. Only an
/// open microphone: opening one can take a permission prompt, too slow for a held key.
/// Whether it changed anything.
pub fn push_to_talk(state: CallState, talking: bool) -> bool {
    let e = engine(state);
    let Some(track) = e.mic.borrow().clone() else {
        return false;
    };
    if state.local.get_untracked().audio == talking {
        return false;
    }
    mic_on(&e, &track, talking);
    true
}

/// Turns the open microphone on or off (muted: the track is disabled, so it sends silence).
fn mic_on(e: &Engine, track: &web_sys::MediaStreamTrack, on: bool) {
    track.set_enabled(on);
    e.state.local.update(|m| m.audio = on);
    e.send_media();
}

pub fn toggle_camera(state: CallState) {
    let e = engine(state);
    if e.camera.borrow().is_some() {
        e.set_camera(None);
        return;
    }
    wasm_bindgen_futures::spawn_local(async move {
        let wanted = state.choice.get_untracked().camera;
        match devices::open_one(true, wanted.as_deref()).await {
            Ok(track) => {
                state.camera_problem.set(None);
                state.choice.update(|c| c.camera = device_id(&track));
                e.set_camera(Some(track));
                state.devices.set(devices::list().await);
            }
            Err(p) => {
                state.camera_problem.set(Some(p));
                state.show_toast(p.message("camera"));
            }
        }
    });
}

pub fn toggle_screen(state: CallState) {
    let e = engine(state);
    if e.screen.borrow().is_some() {
        e.stop_screen();
        return;
    }
    wasm_bindgen_futures::spawn_local(async move {
        match devices::open_screen().await {
            Ok(screen) => e.start_screen(screen),
            Err(DeviceProblem::Blocked) => state.show_toast("Screen sharing was cancelled."),
            Err(_) => state.show_toast("Screen sharing is not available in this browser."),
        }
    });
}

pub fn choose_device(state: CallState, kind: DeviceKind, id: String) {
    let e = engine(state);
    match kind {
        DeviceKind::Speaker => {
            state.choice.update(|c| c.speaker = Some(id));
            apply_speaker(&e);
        }
        DeviceKind::Camera => {
            state.choice.update(|c| c.camera = Some(id.clone()));
            if e.camera.borrow().is_none() {
                return;
            }
            wasm_bindgen_futures::spawn_local(async move {
                match devices::open_one(true, Some(&id)).await {
                    // replaceTrack on every link: no renegotiation.
                    Ok(track) => e.set_camera(Some(track)),
                    Err(p) => state.show_toast(p.message("camera")),
                }
            });
        }
        DeviceKind::Mic => {
            state.choice.update(|c| c.mic = Some(id.clone()));
            wasm_bindgen_futures::spawn_local(async move {
                match devices::open_one(false, Some(&id)).await {
                    Ok(track) => e.set_mic(Some(track)),
                    Err(p) => state.show_toast(p.message("microphone")),
                }
            });
        }
    }
}

/// Routes remote audio, and the call's own sounds (the lobby's chime), to the chosen speaker
/// where the browser allows it (`AudioContext.setSinkId`: Chromium, not Firefox yet).
fn apply_speaker(e: &Engine) {
    let Some(sink) = e.state.choice.get_untracked().speaker else {
        return;
    };
    let sink = JsValue::from_str(&sink);
    if let Some(context) = e.audio.clone()
        && js::get(&context, "setSinkId").is_function()
    {
        let sink = sink.clone();
        wasm_bindgen_futures::spawn_local(async move {
            if let Err(err) = js::call_async(&context, "setSinkId", &[&sink]).await {
                web_sys::console::warn_2(&"speaker for sounds:".into(), &err);
            }
        });
    }
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Ok(list) = doc.query_selector_all("[data-remote-media]") else {
        return;
    };
    for i in 0..list.length() {
        if let Some(el) = list.item(i) {
            let _ = js::call(&el, "setSinkId", &[&sink]);
        }
    }
}

pub fn enter(state: CallState, ticket: JoinTicket) {
    begin(state, ticket, None);
}

/// A reload within the resume window: resumes the seat this tab kept (`seat`) instead of
/// showing the pre-join. The camera and microphone open first, as the pre-join would have
/// them, so the new links carry them. Returns whether there was a seat to resume.
pub fn resume_kept_seat(state: CallState) -> bool {
    let Some(kept) = crate::call::seat::resumable(js::now_ms()) else {
        return false;
    };
    state.phase.set(Phase::Joining);
    open_devices(state, move |state| {
        begin(state, kept.ticket, Some(kept.resume_token))
    });
    true
}

/// Starts the call: with the ticket of a join step, or resuming a kept seat (`resume`).
fn begin(state: CallState, ticket: JoinTicket, resume: Option<String>) {
    let e = engine(state);
    e.close_call();
    let config = rtc_config(&ticket.ice_servers, ticket.relay_only);
    state.my_name.set(ticket.display_name.clone());
    *e.call.borrow_mut() = Some(Call {
        ticket,
        config,
        me: None,
        fresh: resume.is_some(),
        resume,
        socket: None,
        welcomed: false,
        unsent: Vec::new(),
        socket_gen: 0,
        dropped_at: None,
        attempts: 0,
        last_heard: js::now_ms(),
    });
    // A new meeting session: nothing of the last one carries over.
    state.chat.set(Vec::new());
    state.chat_more.set(false);
    state.unread.set(0);
    state.lobby.set(Vec::new());
    state.locked.set(false);
    state.hand.set(false);
    state.reactions.set(Vec::new());
    state.asked.set(None);
    state.phase.set(Phase::Joining);
    e.open_socket();
}

/// Ends the meeting for everyone (the server refuses it from anyone but the host); the
/// server's `meeting_ended` then ends it here too.
pub fn end_for_all() {
    if let Some(e) = current() {
        e.send(&ClientMsg::EndMeeting);
    }
}

pub fn leave(state: CallState) {
    let Some(e) = current() else {
        state.phase.set(Phase::Left);
        return;
    };
    e.send(&ClientMsg::Leave);
    crate::call::seat::forget();
    e.close_call();
    e.release_devices();
    state.peers.set(Vec::new());
    // A raised hand does not follow me to the pre-join screen of a rejoin.
    state.hand.set(false);
    state.phase.set(Phase::Left);
}

pub fn shutdown() {
    if let Some(e) = ENGINE.with(|slot| slot.borrow_mut().take()) {
        e.send(&ClientMsg::Leave);
        e.shutdown();
    }
}

pub fn attach(video: &HtmlVideoElement, key: &TileKey) {
    let Some(e) = current() else {
        return;
    };
    let stream = match key {
        TileKey::Me => e
            .camera
            .borrow()
            .as_ref()
            .map(|_| Clone::clone(&e.local_stream)),
        TileKey::MyScreen => e.screen.borrow().clone(),
        TileKey::Camera(peer) => e.remote_stream(peer, false),
        TileKey::Screen(peer) => e.remote_stream(peer, true),
    };
    let current_id = video.src_object().map(|s| s.id());
    if current_id == stream.as_ref().map(MediaStream::id) {
        return;
    }
    video.set_src_object(stream.as_ref());
    if stream.is_some() {
        if matches!(key, TileKey::Camera(_) | TileKey::Screen(_)) {
            apply_speaker(&e);
        }
        if let Ok(p) = video.play() {
            wasm_bindgen_futures::spawn_local(async move {
                let _ = js::wait(p).await;
            });
        }
    }
}
