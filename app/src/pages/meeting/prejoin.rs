//! The pre-join screen: camera preview, microphone meter, device choice, name and password,
//! and the join step with its errors.

use crate::api::{UiError, join_meeting};
use crate::call::actions;
use crate::call::{CallState, Phase, TileKey};
use crate::components::call_controls::{CameraButton, MicButton};
use crate::components::device_select::DeviceSelects;
use crate::components::form::{FormError, SubmitButton, TextField};
use crate::components::local_time::LocalTime;
use crate::components::video_tile::VideoTile;
use crate::state::auth::AuthState;
use leptos::prelude::*;
use leptos_meta::Title;
use protocol::MeetingInfo;
use protocol::signal::JoinRequest;

#[component]
pub fn PreJoin(info: MeetingInfo) -> impl IntoView {
    let state = CallState::get();
    let auth = AuthState::get();
    let signed_in = Signal::derive(move || auth.signed_in());
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let pending = RwSignal::new(false);
    let error = RwSignal::new(None::<UiError>);
    // Browser only: effects do not run during server rendering. A reload mid-call resumes
    // the seat this tab kept (`call::seat`) instead of asking again.
    Effect::new(move |_| {
        if !actions::resume_kept_seat(state) {
            actions::start_preview(state);
        }
    });
    // What this tab typed for this meeting last time ("Rejoin", a reload): kept in the tab's
    // session storage only, which ends with the tab.
    let code_key = info.code.0.clone();
    Effect::new(move |_| {
        if let Some((typed_name, typed_password)) = actions::typed_for(&code_key) {
            if name.get_untracked().is_empty() {
                name.set(typed_name);
            }
            if password.get_untracked().is_empty() {
                password.set(typed_password);
            }
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(Some(user))) = auth.user.get()
            && name.get_untracked().is_empty()
        {
            name.set(user.display_name);
        }
    });
    let field = move |f: &'static str| Signal::derive(move || error.get().and_then(|e| e.field(f)));
    let general = Signal::derive(move || {
        error
            .get()
            .filter(|e| e.0.fields.is_empty())
            .map(|e| e.message())
    });
    let code = info.code.0.clone();
    let join = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let request = JoinRequest {
            display_name: Some(name.get_untracked()).filter(|n| !n.trim().is_empty()),
            password: Some(password.get_untracked()).filter(|p| !p.is_empty()),
            guest_key: actions::guest_key(),
        };
        let code = code.clone();
        let typed = (name.get_untracked(), password.get_untracked());
        // The request is queued before the effects these signals wake (one queue, in order),
        // so it leaves before the page redraws the form.
        leptos::task::spawn_local(async move {
            match join_meeting(code.clone(), request).await {
                Ok(ticket) => {
                    actions::remember_typed(&code, &typed.0, &typed.1);
                    actions::enter(state, ticket)
                }
                Err(e) => error.set(Some(e)),
            }
            pending.set(false);
        });
        pending.set(true);
        error.set(None);
    };
    let joining = Signal::derive(move || pending.get() || state.phase.get() == Phase::Joining);
    let guest_blocked = move || !info.allows_guests && !signed_in.get();
    let next = format!("/login?next=/meeting/{}", info.code.0);
    view! {
        <Title text=info.title.clone() />
        // On a phone: preview, then name and Join, then the device pickers (they used to push
        // Join below the fold). Wide: preview and devices left, the form right.
        <div class="grid gap-6 lg:grid-cols-[3fr_2fr]">
            <section aria-label="Camera and microphone check" class="space-y-3 lg:col-start-1 lg:row-start-1">
                // 16:9 at the column's width: a tile filling its parent's height here grew
                // over the buttons below it on phones (the parent's height was its own).
                <VideoTile tile=TileKey::Me large=false />
                <div class="flex items-center gap-3">
                    <MicButton />
                    <CameraButton />
                    <div class="flex-1" aria-label="Microphone level" role="meter" aria-valuemin="0" aria-valuemax="100"
                        aria-valuenow=move || ((state.mic_level.get() * 100.0) as u32).to_string()>
                        <div class="h-2 overflow-hidden rounded-full bg-slate-200 dark:bg-slate-800">
                            <div class="h-2 rounded-full bg-emerald-500 transition-[width] duration-100"
                                style:width=move || format!("{}%", (state.mic_level.get() * 100.0).round())></div>
                        </div>
                    </div>
                </div>
                <DeviceProblems />
            </section>
            <section class="rounded-xl border border-slate-200 bg-white p-6 shadow-sm dark:border-slate-800 dark:bg-slate-900 lg:col-start-2 lg:row-span-2 lg:row-start-1 lg:self-start">
                <h1 class="text-2xl font-semibold" data-testid="meeting-title">{info.title.clone()}</h1>
                <p class="mt-1 text-slate-500 dark:text-slate-400">"Hosted by " {info.host_name.clone()} " · " <span class="font-mono">{info.code.0.clone()}</span></p>
                {info.starts_at.clone().map(|iso| view! {
                    <p class="mt-1 text-sm text-slate-500 dark:text-slate-400" data-testid="scheduled">
                        "Scheduled for " <LocalTime iso /> " · " {info.duration_minutes} " min"
                    </p>
                })}
                <RoomNow code=info.code.0.clone() in_call=info.in_call locked=info.locked error />
                <Show
                    when=move || !guest_blocked()
                    fallback=move || view! {
                        <p class="mt-6" role="alert" data-testid="guests-not-allowed">
                            "This meeting is for signed-in users. "
                            <a class="text-indigo-600 dark:text-indigo-400 underline" href=next.clone()>"Sign in to join"</a>
                        </p>
                    }
                >
                    <form class="mt-6 space-y-2" on:submit=join.clone() novalidate>
                        // Signed in, you are your profile's name (the server uses it regardless);
                        // guests choose theirs.
                        {move || if signed_in.get() {
                            view! {
                                <p data-testid="joining-as">"You join as " <strong>{move || name.get()}</strong></p>
                            }.into_any()
                        } else {
                            view! {
                                <TextField label="Your name" name="display_name" autocomplete="name" value=name error=field("display_name") hint="How others see you in this meeting." />
                            }.into_any()
                        }}
                        {info.needs_password.then(|| view! {
                            <TextField label="Meeting password" name="password" kind="password" value=password error=field("password") />
                        })}
                        <FormError message=general />
                        <SubmitButton pending=joining idle="Join meeting" busy="Joining…" />
                    </form>
                </Show>
            </section>
            <section aria-label="Devices" class="grid gap-2 sm:grid-cols-3 lg:col-start-1 lg:row-start-2">
                <DeviceSelects />
            </section>
        </div>
    }
    .into_any()
}

/// Whether anyone is in the call yet, as Meet and Zoom say before you join, and whether the
/// host has locked it; looked up again every 10 s while this screen is shown in a visible tab.
#[component]
fn RoomNow(
    code: String,
    in_call: u32,
    locked: bool,
    /// The form's error: "locked" goes once the host unlocks (it used to stay on screen).
    error: RwSignal<Option<UiError>>,
) -> impl IntoView {
    let count = RwSignal::new(in_call);
    let locked = RwSignal::new(locked);
    crate::poll::while_visible(std::time::Duration::from_secs(10), move || {
        let code = code.clone();
        leptos::task::spawn_local(async move {
            if let Ok(info) = crate::api::find_meeting(code).await {
                count.try_set(info.in_call);
                locked.try_set(info.locked);
                let stale = error
                    .try_with_untracked(|e| {
                        e.as_ref().is_some_and(|e| e.message().contains("locked"))
                    })
                    .unwrap_or(false);
                if !info.locked && stale {
                    error.try_set(None);
                }
            }
        });
    });
    view! {
        <p class="mt-3 text-sm text-slate-600 dark:text-slate-300" data-testid="in-call" role="status">
            {move || in_call_text(count.get())}
        </p>
        <Show when=move || locked.get()>
            <p class="mt-1 text-sm text-amber-700 dark:text-amber-400" data-testid="prejoin-locked" role="status">
                "🔒 The host has locked this meeting: you can join once it is unlocked."
            </p>
        </Show>
    }
}

fn in_call_text(n: u32) -> String {
    match n {
        0 => "No one else is here yet.".into(),
        1 => "1 person is in the call.".into(),
        n => format!("{n} people are in the call."),
    }
}

/// Why the camera or microphone is missing; joining works regardless.
#[component]
fn DeviceProblems() -> impl IntoView {
    let state = CallState::get();
    view! {
        {move || state.camera_problem.get().map(|p| view! {
            <p class="text-sm text-amber-700 dark:text-amber-400" role="status" data-testid="camera-problem">{p.message("camera")}</p>
        })}
        {move || state.mic_problem.get().map(|p| view! {
            <p class="text-sm text-amber-700 dark:text-amber-400" role="status" data-testid="mic-problem">{p.message("microphone")}</p>
        })}
    }
}
