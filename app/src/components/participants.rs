//! The participants panel: everyone in the call with role, microphone, camera and screen state.

use crate::call::{CallState, LinkState};
use crate::components::icons::{Icon, Svg};
use leptos::prelude::*;
use protocol::signal::Role;

fn role_label(role: Role) -> &'static str {
    match role {
        Role::Host => "Host",
        Role::Moderator => "Moderator",
        Role::Participant => "",
        Role::Guest => "Guest",
    }
}

#[component]
pub fn ParticipantsPanel() -> impl IntoView {
    let state = CallState::get();
    view! {
        <aside id="participants" aria-label="Participants" class="w-full rounded-xl border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900 lg:w-72">
            <h2 class="mb-2 font-semibold">"Participants (" {move || state.peers.with(Vec::len) + 1} ")"</h2>
            <ul class="space-y-1 text-sm" data-testid="participants">
                <li class="flex items-center justify-between gap-2">
                    <span class="truncate">{move || state.my_name.get()} " (you)"</span>
                    <span class="flex shrink-0 gap-1 text-slate-500">
                        {move || view! { <Svg icon=if state.local.with(|m| m.audio) { Icon::Mic } else { Icon::MicOff } class="h-4 w-4" /> }}
                        {move || view! { <Svg icon=if state.local.with(|m| m.video) { Icon::Camera } else { Icon::CameraOff } class="h-4 w-4" /> }}
                    </span>
                </li>
                <For
                    each=move || state.peers.get()
                    key=|p| (p.info.id.clone(), p.info.display_name.clone(), p.info.media.clone(), p.info.reconnecting, p.link)
                    children=move |p| {
                        let role = role_label(p.info.role);
                        let reconnecting = p.info.reconnecting || p.link == LinkState::Reconnecting;
                        view! {
                            <li class="flex items-center justify-between gap-2" data-testid="participant" data-name=p.info.display_name.clone()>
                                <span class="truncate">
                                    {p.info.display_name.clone()}
                                    {(!role.is_empty()).then(|| view! { <span class="ml-1 rounded bg-slate-100 px-1 text-xs dark:bg-slate-800">{role}</span> })}
                                    {reconnecting.then(|| view! { <span class="ml-1 text-xs text-amber-600">"reconnecting"</span> })}
                                </span>
                                <span class="flex shrink-0 gap-1 text-slate-500" role="img" aria-label=format!("microphone {}, camera {}", if p.info.media.audio { "on" } else { "off" }, if p.info.media.video { "on" } else { "off" })>
                                    <Svg icon=if p.info.media.audio { Icon::Mic } else { Icon::MicOff } class="h-4 w-4" />
                                    <Svg icon=if p.info.media.video { Icon::Camera } else { Icon::CameraOff } class="h-4 w-4" />
                                    {p.info.media.screen.then(|| view! { <Svg icon=Icon::Screen class="h-4 w-4" /> })}
                                </span>
                            </li>
                        }
                    }
                />
            </ul>
        </aside>
    }
}
