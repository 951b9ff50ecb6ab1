//! The lobby from both sides: hosts and moderators see who waits (admit, deny, admit all);
//! the waiting person sees that they wait, and can leave.

use crate::call::{CallState, actions};
use crate::components::status::Notice;
use leptos::prelude::*;
use protocol::room::HostAction;

const SMALL: &str = "rounded-lg px-3 py-1 text-sm font-medium focus:outline-none focus:ring-2 focus:ring-indigo-400";

/// Who is waiting, for hosts and moderators (nothing when nobody waits).
#[component]
pub fn LobbyPanel() -> impl IntoView {
    let state = CallState::get();
    let show = move || state.runs_room() && state.lobby.with(|l| !l.is_empty());
    view! {
        <Show when=show>
            <section aria-label="Waiting to join" class="rounded-xl border border-amber-300 bg-amber-50 p-3 text-amber-950 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-100" data-testid="lobby">
                <div class="mb-2 flex items-center justify-between gap-2">
                    <h2 class="font-semibold" aria-live="polite">
                        {move || match state.lobby.with(Vec::len) {
                            1 => "1 person is waiting to join".to_owned(),
                            n => format!("{n} people are waiting to join"),
                        }}
                    </h2>
                    <Show when=move || { state.lobby.with(Vec::len) > 1 }>
                        <button type="button" class=format!("{SMALL} bg-indigo-600 text-white hover:bg-indigo-500") data-testid="admit-all" on:click=move |_| actions::host_action(HostAction::AdmitAll)>
                            "Admit all"
                        </button>
                    </Show>
                </div>
                <ul class="space-y-1">
                    <For
                        each=move || state.lobby.get()
                        key=|w| w.id.clone()
                        children=move |w| {
                            let (admit, deny) = (w.id.clone(), w.id.clone());
                            view! {
                                <li class="flex items-center justify-between gap-2" data-testid="waiter" data-name=w.display_name.clone()>
                                    <span class="truncate">
                                        {w.display_name.clone()}
                                        <span class="ml-1 text-xs opacity-75">{if w.signed_in { "(signed in)" } else { "(guest)" }}</span>
                                    </span>
                                    <span class="flex shrink-0 gap-2">
                                        <button type="button" class=format!("{SMALL} bg-indigo-600 text-white hover:bg-indigo-500") data-testid="admit" aria-label=format!("Admit {}", w.display_name) on:click=move |_| actions::host_action(HostAction::Admit { peer: admit.clone() })>
                                            "Admit"
                                        </button>
                                        <button type="button" class=format!("{SMALL} border border-slate-400 hover:bg-white/50") data-testid="deny" aria-label=format!("Deny {}", w.display_name) on:click=move |_| actions::host_action(HostAction::Deny { peer: deny.clone() })>
                                            "Deny"
                                        </button>
                                    </span>
                                </li>
                            }
                        }
                    />
                </ul>
            </section>
        </Show>
    }
}

/// What a person in the lobby sees.
#[component]
pub fn WaitingScreen(title: String) -> impl IntoView {
    let state = CallState::get();
    view! {
        <Notice title=title>
            <div data-testid="waiting" role="status" aria-live="polite" class="space-y-2">
                <p class="flex items-center gap-2">
                    <span class="inline-block h-3 w-3 animate-pulse rounded-full bg-indigo-500" aria-hidden="true"></span>
                    "Waiting for the host to let you in…"
                </p>
                <p class="text-sm text-slate-500 dark:text-slate-400">"The host knows you are here. This page updates by itself."</p>
            </div>
            <button
                type="button"
                class="mt-4 rounded-lg border border-slate-300 px-4 py-2"
                data-testid="leave-lobby"
                on:click=move |_| actions::leave(state)
            >
                "Leave"
            </button>
        </Notice>
    }
}
