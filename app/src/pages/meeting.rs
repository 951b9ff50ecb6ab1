//! `/meeting/{code}`: what the meeting is, before joining. Joining itself arrives with calls.

use crate::api::find_meeting;
use crate::components::local_time::LocalTime;
use crate::components::status::{Loading, Notice};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use protocol::{ErrorCode, MeetingInfo};

#[component]
pub fn MeetingPage() -> impl IntoView {
    let params = use_params_map();
    let code = move || params.read().get("code").unwrap_or_default();
    let info = Resource::new(code, find_meeting);
    view! {
        <Suspense fallback=|| view! { <Loading label="Looking up the meeting…" /> }>
            {move || Suspend::new(async move {
                match info.await {
                    Ok(info) => view! { <PreJoin info /> }.into_any(),
                    Err(e) if e.code() == ErrorCode::NotFound => view! {
                        <Title text="Meeting not found" />
                        <Notice title="Meeting not found".to_string()>
                            <p>"Check the link or code: there is no meeting with this code, or its host deleted it."</p>
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
fn PreJoin(info: MeetingInfo) -> impl IntoView {
    view! {
        <Title text=info.title.clone() />
        <article class="mx-auto max-w-xl rounded-xl border border-slate-200 bg-white p-6 shadow-sm dark:border-slate-800 dark:bg-slate-900">
            <h1 class="text-2xl font-semibold" data-testid="meeting-title">{info.title.clone()}</h1>
            <p class="mt-1 text-slate-500">"Hosted by " {info.host_name.clone()}</p>
            <dl class="mt-4 grid grid-cols-2 gap-2 text-sm">
                <dt class="text-slate-500">"Code"</dt>
                <dd class="font-mono">{info.code.0.clone()}</dd>
                <dt class="text-slate-500">"When"</dt>
                <dd>
                    {match info.starts_at.clone() {
                        Some(iso) => view! { <LocalTime iso /> " · " {info.duration_minutes} " min" }.into_any(),
                        None => view! { "Open any time" }.into_any(),
                    }}
                </dd>
                <dt class="text-slate-500">"Password"</dt>
                <dd>{if info.needs_password { "Required" } else { "None" }}</dd>
                <dt class="text-slate-500">"Guests"</dt>
                <dd>{if info.allows_guests { "Welcome" } else { "Account needed" }}</dd>
            </dl>
            <button type="button" disabled class="mt-6 w-full cursor-not-allowed rounded-lg bg-indigo-600/60 px-4 py-3 font-medium text-white" aria-describedby="join-note">
                "Join meeting"
            </button>
            <p id="join-note" class="mt-2 text-sm text-slate-500">
                "Joining with camera and microphone is not available yet in this version."
            </p>
        </article>
    }
}
