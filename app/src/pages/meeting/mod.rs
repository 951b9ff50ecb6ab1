//! `/meeting/{code}`: look the meeting up, then the pre-join screen, the room, or why the
//! call ended.

mod prejoin;
mod room;

use crate::api::find_meeting;
use crate::call::{CallState, Phase, actions};
use crate::components::lobby::WaitingScreen;
use crate::components::status::{Loading, Notice};
use crate::state::auth::AuthState;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use prejoin::PreJoin;
use protocol::{ErrorCode, MeetingInfo};
use room::Room;

#[component]
pub fn MeetingPage() -> impl IntoView {
    let params = use_params_map();
    let code = move || params.read().get("code").unwrap_or_default();
    let info = Resource::new(code, find_meeting);
    let auth = AuthState::get();
    view! {
        <Suspense fallback=|| view! { <Loading label="Looking up the meeting…" /> }>
            {move || Suspend::new(async move {
                // Who is signed in shapes the pre-join form (name, guests-only notice). Wait
                // for it here, so the server and the hydrating browser render the same form
                // whichever resource resolves first.
                let _ = auth.user.await;
                match info.await {
                    Ok(info) => view! { <Meeting info /> }.into_any(),
                    Err(e) if e.code() == ErrorCode::NotFound => view! {
                        <Title text="Meeting not found" />
                        <Notice title="Meeting not found".to_string()>
                            <p>"Check the link or code: there is no meeting with this code, or its host deleted it."</p>
                            <p class="mt-4"><A href="/" attr:class="font-medium text-indigo-600 underline dark:text-indigo-400">"Go home"</A></p>
                        </Notice>
                    }.into_any(),
                    Err(e) => view! {
                        <Notice title="Could not load the meeting".to_string()>
                            <p role="alert">{e.message()}</p>
                        </Notice>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Meeting(info: MeetingInfo) -> impl IntoView {
    let state = CallState::provide();
    on_cleanup(actions::shutdown);
    let title = info.title.clone();
    let view_for_phase = move |phase: Phase| match phase {
        Phase::Lobby | Phase::Joining => view! { <PreJoin info=info.clone() /> }.into_any(),
        Phase::Waiting => view! { <WaitingScreen title=title.clone() /> }.into_any(),
        Phase::InCall | Phase::Reconnecting => view! { <Room title=title.clone() /> }.into_any(),
        Phase::Left => view! {
            <Ended title="You left the meeting".into() detail=None rejoin=true state />
        }
        .into_any(),
        Phase::Ended { reason, rejoin } => view! {
            <Ended title="The call ended".into() detail=Some(reason) rejoin state />
        }
        .into_any(),
    };
    // Only a change of screen re-renders; Joining → InCall keeps nothing but that is intended.
    let screen = Memo::new(move |_| match state.phase.get() {
        Phase::Joining => Phase::Lobby,
        Phase::Reconnecting => Phase::InCall,
        other => other,
    });
    view! {
        <div data-testid="meeting" data-phase=move || format!("{:?}", state.phase.get()).to_lowercase()>
            {move || view_for_phase(screen.get())}
        </div>
    }
}

#[component]
fn Ended(title: String, detail: Option<String>, rejoin: bool, state: CallState) -> impl IntoView {
    // A guest has no dashboard: they go back to the start page.
    let auth = AuthState::get();
    let place = move || {
        if auth.signed_in() {
            ("/dashboard", "Back to dashboard")
        } else {
            ("/", "Back to start")
        }
    };
    view! {
        <Notice title=title>
            {detail.map(|d| view! { <p role="alert" data-testid="ended-reason">{d}</p> })}
            <div class="mt-4 flex gap-3">
                {rejoin.then(|| view! {
                    <button
                        type="button"
                        class="rounded-lg bg-indigo-600 px-4 py-2 font-medium text-white hover:bg-indigo-500"
                        on:click=move |_| state.phase.set(Phase::Lobby)
                    >
                        "Rejoin"
                    </button>
                })}
                <a href=move || place().0 class="rounded-lg border border-slate-300 px-4 py-2" data-testid="after-call">{move || place().1}</a>
            </div>
        </Notice>
    }
}
