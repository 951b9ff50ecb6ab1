//! The participants panel: everyone in the call with role, raised hand, microphone, camera
//! and screen state, a search, and for hosts and moderators the room's controls (mute all,
//! lock) and a menu per person (mute, ask to unmute or turn the camera on, lower hand,
//! moderator, host, remove). The server checks every action whatever this panel shows.

use crate::call::{CallState, LinkState, Participant, actions};
use crate::components::avatar::Avatar;
use crate::components::icons::{Icon, Svg};
use leptos::prelude::*;
use protocol::room::HostAction;
use protocol::signal::{PeerId, Role};

fn role_label(role: Role) -> &'static str {
    match role {
        Role::Host => "Host",
        Role::Moderator => "Moderator",
        Role::Participant => "",
        Role::Guest => "Guest",
    }
}

const TOOL: &str = "rounded-md border border-slate-300 px-2 py-1 text-xs hover:bg-slate-100 focus:outline-none focus:ring-2 focus:ring-indigo-400 dark:border-slate-700 dark:hover:bg-slate-800";

/// Everyone else, hands first (in the order they went up), then in arrival order.
fn ordered(list: &[Participant], search: &str) -> Vec<Participant> {
    let needle = search.trim().to_lowercase();
    let mut out: Vec<Participant> = list
        .iter()
        .filter(|p| needle.is_empty() || p.info.display_name.to_lowercase().contains(&needle))
        .cloned()
        .collect();
    out.sort_by_key(|p| p.info.hand.unwrap_or(u32::MAX));
    out
}

#[component]
pub fn ParticipantsPanel() -> impl IntoView {
    let state = CallState::get();
    let search = RwSignal::new(String::new());
    let shown = Memo::new(move |_| state.peers.with(|list| ordered(list, &search.get())));
    let me_matches = move || {
        let needle = search.get().trim().to_lowercase();
        needle.is_empty() || state.my_name.get().to_lowercase().contains(&needle)
    };
    view! {
        <aside id="participants" aria-label="Participants" class="w-full rounded-xl border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900">
            <h2 class="mb-2 font-semibold">"Participants (" {move || state.peers.with(Vec::len) + 1} ")"</h2>
            <Show when=move || state.runs_room()>
                <div class="mb-2 flex flex-wrap gap-2" role="group" aria-label="Room controls">
                    <button type="button" class=TOOL data-testid="mute-all" on:click=move |_| actions::host_action(HostAction::MuteAll)>
                        "Mute all"
                    </button>
                    <button
                        type="button"
                        class=TOOL
                        data-testid="toggle-lock"
                        aria-pressed=move || state.locked.get().to_string()
                        on:click=move |_| actions::host_action(if state.locked.get_untracked() { HostAction::Unlock } else { HostAction::Lock })
                    >
                        {move || if state.locked.get() { "Unlock meeting" } else { "Lock meeting" }}
                    </button>
                </div>
            </Show>
            <Show when=move || state.locked.get()>
                <p class="mb-2 text-xs text-amber-700 dark:text-amber-400" data-testid="locked">"Locked: nobody new can join."</p>
            </Show>
            <label class="mb-2 block">
                <span class="sr-only">"Search participants"</span>
                <input
                    type="search"
                    placeholder="Search"
                    class="w-full rounded-lg border border-slate-300 bg-white px-3 py-1 text-sm dark:border-slate-700 dark:bg-slate-800"
                    data-testid="participant-search"
                    prop:value=move || search.get()
                    on:input=move |ev| search.set(event_target_value(&ev))
                />
            </label>
            <ul class="space-y-1 text-sm" data-testid="participants">
                <Show when=me_matches>
                    <li class="flex items-center justify-between gap-2">
                        <span class="truncate">
                            {move || state.hand.get().then(|| view! { <span class="mr-1 inline-block align-text-bottom text-amber-600" title="Hand raised"><Svg icon=Icon::Hand class="h-4 w-4" /><span class="sr-only">"Hand raised"</span></span> })}
                            {move || state.my_name.get()} " (you)"
                            {move || state.my_role().map(role_label).filter(|r| !r.is_empty()).map(|r| view! { <span class="ml-1 rounded bg-slate-100 px-1 text-xs dark:bg-slate-800" data-testid="my-role">{r}</span> })}
                        </span>
                        <span class="flex shrink-0 gap-1 text-slate-500 dark:text-slate-400">
                            {move || view! { <Svg icon=if state.local.with(|m| m.audio) { Icon::Mic } else { Icon::MicOff } class="h-4 w-4" /> }}
                            {move || view! { <Svg icon=if state.local.with(|m| m.video) { Icon::Camera } else { Icon::CameraOff } class="h-4 w-4" /> }}
                        </span>
                    </li>
                </Show>
                <For
                    each=move || shown.get()
                    key=|p| (p.info.clone(), p.link)
                    children=move |p| view! { <Row p /> }
                />
            </ul>
            <Show when=move || shown.with(Vec::is_empty) && !search.with(String::is_empty)>
                <p class="mt-2 text-sm text-slate-500 dark:text-slate-400">"Nobody by that name."</p>
            </Show>
        </aside>
    }
}

#[component]
fn Row(p: Participant) -> impl IntoView {
    let state = CallState::get();
    let role = role_label(p.info.role);
    let reconnecting = p.info.reconnecting || p.link == LinkState::Reconnecting;
    let name = p.info.display_name.clone();
    let target = p.info.role;
    let id = p.info.id.clone();
    let hand = p.info.hand.is_some();
    let audio = p.info.media.audio;
    // May I act on this person? (The server decides; this only hides what would be refused.)
    let can_act = move || {
        state
            .my_role()
            .is_some_and(|me| me.runs_room() && me.may_act_on(target))
    };
    let menu = RwSignal::new(false);
    view! {
        <li class="rounded-md" data-testid="participant" data-name=p.info.display_name.clone() data-hand=hand.to_string()>
            <div class="flex items-center justify-between gap-2">
                <span class="flex min-w-0 items-center gap-2">
                    <Avatar name=name.clone() url=p.info.avatar.clone() class="h-6 w-6 text-[10px]" />
                    <span class="truncate">
                    {hand.then(|| view! { <span class="mr-1 inline-block align-text-bottom text-amber-600" title="Hand raised" data-testid="participant-hand"><Svg icon=Icon::Hand class="h-4 w-4" /><span class="sr-only">"Hand raised"</span></span> })}
                    {name.clone()}
                    {(!role.is_empty()).then(|| view! { <span class="ml-1 rounded bg-slate-100 px-1 text-xs dark:bg-slate-800">{role}</span> })}
                    {reconnecting.then(|| view! { <span class="ml-1 text-xs text-amber-700 dark:text-amber-400">"reconnecting"</span> })}
                    </span>
                </span>
                <span class="flex shrink-0 items-center gap-1 text-slate-500 dark:text-slate-400">
                    <span class="flex gap-1" role="img" aria-label=format!("microphone {}, camera {}", if audio { "on" } else { "off" }, if p.info.media.video { "on" } else { "off" })>
                        <Svg icon=if audio { Icon::Mic } else { Icon::MicOff } class="h-4 w-4" />
                        <Svg icon=if p.info.media.video { Icon::Camera } else { Icon::CameraOff } class="h-4 w-4" />
                        {p.info.media.screen.then(|| view! { <Svg icon=Icon::Screen class="h-4 w-4" /> })}
                    </span>
                    <Show when=can_act>
                        <button
                            type="button"
                            class="rounded px-1.5 text-slate-600 hover:bg-slate-100 focus:outline-none focus:ring-2 focus:ring-indigo-400 dark:text-slate-300 dark:hover:bg-slate-800"
                            aria-label=format!("Actions for {name}")
                            aria-expanded=move || menu.get().to_string()
                            data-testid="participant-menu"
                            on:click=move |_| menu.update(|m| *m = !*m)
                        >
                            "⋯"
                        </button>
                    </Show>
                </span>
            </div>
            <Show when=move || menu.get() && can_act()>
                <HostMenu id=id.clone() target audio hand menu />
            </Show>
        </li>
    }
}

#[component]
fn HostMenu(
    id: PeerId,
    target: Role,
    audio: bool,
    hand: bool,
    menu: RwSignal<bool>,
) -> impl IntoView {
    let state = CallState::get();
    let host = move || state.my_role() == Some(Role::Host);
    let act = move |action: HostAction| {
        menu.set(false);
        actions::host_action(action);
    };
    let button = move |label: &'static str, testid: &'static str, action: HostAction| {
        view! { <button type="button" class=TOOL data-testid=testid on:click=move |_| act(action.clone())>{label}</button> }
    };
    let confirm_remove = RwSignal::new(false);
    let remove_id = id.clone();
    view! {
        <div class="mt-1 flex flex-wrap gap-1 pb-1" role="group" aria-label="Actions">
            {if audio {
                button("Mute", "host-mute", HostAction::Mute { peer: id.clone() }).into_any()
            } else {
                button("Ask to unmute", "host-ask-unmute", HostAction::AskUnmute { peer: id.clone() }).into_any()
            }}
            {button("Ask for camera", "host-ask-camera", HostAction::AskCamera { peer: id.clone() })}
            {hand.then(|| button("Lower hand", "host-lower-hand", HostAction::LowerHand { peer: id.clone() }))}
            <Show when=host>
                {match target {
                    Role::Moderator => button("Remove moderator", "host-demote", HostAction::Demote { peer: id.clone() }).into_any(),
                    _ => button("Make moderator", "host-promote", HostAction::Promote { peer: id.clone() }).into_any(),
                }}
                {button("Make host", "host-make-host", HostAction::MakeHost { peer: id.clone() })}
            </Show>
            <Show
                when=move || confirm_remove.get()
                fallback=move || view! {
                    <button type="button" class=format!("{TOOL} text-red-700 dark:text-red-400") data-testid="host-remove" on:click=move |_| confirm_remove.set(true)>"Remove…"</button>
                }
            >
                {
                    let id = remove_id.clone();
                    view! {
                        <button type="button" class="rounded-md bg-red-600 px-2 py-1 text-xs text-white hover:bg-red-500" data-testid="host-remove-confirm" on:click=move |_| act(HostAction::Remove { peer: id.clone() })>
                            "Remove from meeting"
                        </button>
                    }
                }
            </Show>
        </div>
    }
}
