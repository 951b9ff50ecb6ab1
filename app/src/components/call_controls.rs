//! The call's buttons: microphone, camera, screen share, hand, reactions, chat, participants,
//! leave, and the keyboard shortcuts for them (M, V, S, H when not typing in a field; Space held
//! while muted to talk).

use crate::call::CallState;
use crate::call::actions;
use crate::components::icons::{Icon, Svg};
use leptos::prelude::*;
use protocol::room::Reaction;
use protocol::signal::Role;

const BUTTON: &str = "inline-flex h-12 min-w-12 items-center justify-center gap-2 rounded-full px-4 font-medium shadow focus:outline-none focus:ring-2 focus:ring-indigo-400 disabled:opacity-50";
const ON: &str = "bg-slate-200 text-slate-900 hover:bg-slate-300 dark:bg-slate-700 dark:text-white dark:hover:bg-slate-600";
const OFF: &str = "bg-red-600 text-white hover:bg-red-500";

fn look(on: bool) -> String {
    format!("{BUTTON} {}", if on { ON } else { OFF })
}

#[component]
pub fn MicButton() -> impl IntoView {
    let state = CallState::get();
    let on = move || state.local.with(|m| m.audio);
    view! {
        <button
            type="button"
            class=move || look(on())
            data-testid="toggle-mic"
            aria-pressed=move || (!on()).to_string()
            aria-keyshortcuts="M"
            title=move || if on() { "Mute microphone (M)" } else { "Unmute microphone (M, or hold Space to talk)" }
            aria-label=move || if on() { "Mute microphone" } else { "Unmute microphone" }
            on:click=move |_| actions::toggle_mic(state)
        >
            {move || view! { <Svg icon=if on() { Icon::Mic } else { Icon::MicOff } /> }}
            <span class="hidden sm:inline">{move || if on() { "Mute" } else { "Unmute" }}</span>
        </button>
    }
}

#[component]
pub fn CameraButton() -> impl IntoView {
    let state = CallState::get();
    let on = move || state.local.with(|m| m.video);
    view! {
        <button
            type="button"
            class=move || look(on())
            data-testid="toggle-camera"
            aria-pressed=move || (!on()).to_string()
            aria-keyshortcuts="V"
            title=move || if on() { "Turn camera off (V)" } else { "Turn camera on (V)" }
            // The name is the visible text (WCAG 2.5.3: saying what you see presses it).
            aria-label=move || if on() { "Stop video" } else { "Start video" }
            on:click=move |_| actions::toggle_camera(state)
        >
            {move || view! { <Svg icon=if on() { Icon::Camera } else { Icon::CameraOff } /> }}
            <span class="hidden sm:inline">{move || if on() { "Stop video" } else { "Start video" }}</span>
        </button>
    }
}

#[component]
pub fn ScreenButton() -> impl IntoView {
    let state = CallState::get();
    let sharing = move || state.local.with(|m| m.screen);
    view! {
        <button
            type="button"
            class=move || format!("{BUTTON} {}", if sharing() { "bg-indigo-600 text-white hover:bg-indigo-500" } else { ON })
            data-testid="toggle-screen"
            aria-pressed=move || sharing().to_string()
            aria-keyshortcuts="S"
            title=move || if sharing() { "Stop sharing (S)" } else { "Share screen (S)" }
            aria-label=move || if sharing() { "Stop sharing screen" } else { "Share screen" }
            on:click=move |_| actions::toggle_screen(state)
        >
            <Svg icon=Icon::Screen />
            <span class="hidden sm:inline">{move || if sharing() { "Stop sharing" } else { "Share" }}</span>
        </button>
    }
}

#[component]
pub fn ControlBar(show_people: RwSignal<bool>, show_devices: RwSignal<bool>) -> impl IntoView {
    let state = CallState::get();
    let count = move || state.peers.with(Vec::len) + 1;
    install_shortcuts(state, show_people);
    view! {
        <nav aria-label="Call controls" class="flex flex-wrap items-center justify-center gap-3 py-3">
            <MicButton />
            <CameraButton />
            <ScreenButton />
            <HandButton />
            <Reactions />
            <button
                type="button"
                class=move || look(true)
                aria-pressed=move || state.chat_open.get().to_string()
                aria-controls=move || state.chat_open.get().then_some("chat")
                aria-label=move || match state.unread.get() {
                    0 => "Chat".to_owned(),
                    n => format!("Chat, {n} unread"),
                }
                data-testid="toggle-chat"
                aria-keyshortcuts="C"
                on:click=move |_| state.chat_open.update(|s| *s = !*s)
            >
                <Svg icon=Icon::Chat />
                <span class="hidden sm:inline">"Chat"</span>
                <Show when=move || { state.unread.get() > 0 }>
                    <span class="rounded-full bg-red-600 px-1.5 text-xs text-white" data-testid="unread">
                        {move || state.unread.get()}
                        <span class="sr-only">" unread"</span>
                    </span>
                </Show>
            </button>
            <button
                type="button"
                class=move || look(true)
                aria-pressed=move || show_devices.get().to_string()
                aria-controls=move || show_devices.get().then_some("device-settings")
                aria-label="Camera, microphone and speaker settings"
                data-testid="toggle-devices"
                on:click=move |_| show_devices.update(|s| *s = !*s)
            >
                <Svg icon=Icon::Settings />
            </button>
            <button
                type="button"
                class=move || look(true)
                aria-pressed=move || show_people.get().to_string()
                aria-controls=move || show_people.get().then_some("participants")
                data-testid="toggle-people"
                aria-keyshortcuts="P"
                on:click=move |_| show_people.update(|s| *s = !*s)
            >
                <Svg icon=Icon::People />
                <span>{count}</span>
                // "1 participant", "2 participants": a screen reader reads the number too.
                <span class="sr-only">{move || if count() == 1 { " participant" } else { " participants" }}</span>
            </button>
            <button
                type="button"
                class=format!("{BUTTON} {OFF}")
                data-testid="leave"
                on:click=move |_| actions::leave(state)
            >
                <Svg icon=Icon::Leave />
                "Leave"
            </button>
            <EndForAll />
        </nav>
    }
    .into_any()
}

#[component]
fn HandButton() -> impl IntoView {
    let state = CallState::get();
    let up = move || state.hand.get();
    view! {
        <button
            type="button"
            class=move || format!("{BUTTON} {}", if up() { "bg-amber-400 text-black hover:bg-amber-300" } else { ON })
            data-testid="toggle-hand"
            aria-pressed=move || up().to_string()
            aria-keyshortcuts="H"
            aria-label=move || if up() { "Lower hand" } else { "Raise hand" }
            title=move || if up() { "Lower your hand (H)" } else { "Raise your hand (H)" }
            on:click=move |_| actions::set_hand(state, !up())
        >
            <Svg icon=Icon::Hand />
            <span class="hidden sm:inline">{move || if up() { "Lower hand" } else { "Raise hand" }}</span>
        </button>
    }
}

/// A few emoji that show briefly on my tile for everyone.
#[component]
fn Reactions() -> impl IntoView {
    let state = CallState::get();
    let open = RwSignal::new(false);
    // After a reaction the picker closes: the focus goes back to its button, not to the body.
    let toggle = NodeRef::<leptos::html::Button>::new();
    view! {
        <span class="relative inline-flex">
            <button
                type="button"
                node_ref=toggle
                class=look(true)
                data-testid="toggle-reactions"
                aria-expanded=move || open.get().to_string()
                aria-controls=move || open.get().then_some("reactions")
                aria-label="Reactions"
                on:click=move |_| open.update(|o| *o = !*o)
            >
                <Svg icon=Icon::Smile />
            </button>
            <Show when=move || open.get()>
                <span id="reactions" role="group" aria-label="Send a reaction" class="absolute bottom-14 left-1/2 z-10 flex -translate-x-1/2 gap-1 rounded-full bg-white p-1 shadow-lg dark:bg-slate-800">
                    {Reaction::ALL.into_iter().map(|r| view! {
                        <button
                            type="button"
                            class="h-10 w-10 rounded-full text-2xl hover:bg-slate-100 focus:outline-none focus:ring-2 focus:ring-indigo-400 dark:hover:bg-slate-700"
                            aria-label=r.label()
                            data-testid="reaction-button"
                            data-reaction=r.label()
                            on:click=move |_| {
                                actions::react(state, r);
                                open.set(false);
                                if let Some(el) = toggle.get_untracked() {
                                    let _ = el.focus();
                                }
                            }
                        >
                            {r.emoji()}
                        </button>
                    }).collect_view()}
                </span>
            </Show>
        </span>
    }
}

/// The host's "End for everyone", with a second click to confirm (no browser dialog).
#[component]
fn EndForAll() -> impl IntoView {
    let state = CallState::get();
    let host = move || {
        state
            .me
            .with(|me| me.as_ref().is_some_and(|m| m.role == Role::Host))
    };
    let confirming = RwSignal::new(false);
    view! {
        <Show when=host>
            <Show
                when=move || confirming.get()
                fallback=move || view! {
                    <button
                        type="button"
                        class=format!("{BUTTON} {OFF}")
                        data-testid="end-for-all"
                        on:click=move |_| confirming.set(true)
                    >
                        "End for everyone"
                    </button>
                }
            >
                <span role="group" aria-label="End the meeting for everyone?" class="inline-flex items-center gap-2">
                    <button
                        type="button"
                        class=format!("{BUTTON} {OFF}")
                        data-testid="end-for-all-confirm"
                        on:click=move |_| actions::end_for_all()
                    >
                        "End for everyone now"
                    </button>
                    <button
                        type="button"
                        class=look(true)
                        data-testid="end-for-all-cancel"
                        on:click=move |_| confirming.set(false)
                    >
                        "Cancel"
                    </button>
                </span>
            </Show>
        </Show>
    }
}

/// M / V / S / H toggle microphone, camera, screen share and hand, C the chat and P the
/// participants, unless the user is typing;
/// `?` shows them all (`shortcuts::ShortcutsHelp`).
/// Holding Space while muted talks (push to talk) unless a control has the focus (Space
/// presses it); letting go, or leaving the window, mutes again.
fn install_shortcuts(state: CallState, show_people: RwSignal<bool>) {
    let held = StoredValue::new(false);
    let down = window_event_listener(leptos::ev::keydown, move |e| {
        if e.ctrl_key() || e.meta_key() || e.alt_key() {
            return;
        }
        if e.key() == " " {
            if held.get_value() {
                e.prevent_default(); // the key repeats while held
            } else if !e.repeat()
                && !in_the_way(&e, TYPING)
                && !in_the_way(&e, CONTROLS)
                && actions::push_to_talk(state, true)
            {
                held.set_value(true);
                e.prevent_default();
            }
            return;
        }
        if e.repeat() || in_the_way(&e, TYPING) {
            return;
        }
        match e.key().as_str() {
            "?" => state.shortcuts_open.update(|open| *open = !*open),
            "Escape" if state.shortcuts_open.get_untracked() => state.shortcuts_open.set(false),
            "m" | "M" => actions::toggle_mic(state),
            "v" | "V" => actions::toggle_camera(state),
            "s" | "S" => actions::toggle_screen(state),
            "h" | "H" => actions::set_hand(state, !state.hand.get_untracked()),
            "c" | "C" => state.chat_open.update(|open| *open = !*open),
            "p" | "P" => show_people.update(|open| *open = !*open),
            _ => return,
        }
        e.prevent_default();
    });
    let release = move || {
        if held.get_value() {
            held.set_value(false);
            actions::push_to_talk(state, false);
        }
    };
    let up = window_event_listener(leptos::ev::keyup, move |e| {
        if e.key() == " " {
            release();
        }
    });
    let blur = window_event_listener(leptos::ev::blur, move |_| release());
    on_cleanup(move || {
        down.remove();
        up.remove();
        blur.remove();
    });
}

/// Where keys are text.
const TYPING: &str = "input, textarea, select, [contenteditable]";
/// Where Space already does something besides typing: controls it presses or scrolls.
const CONTROLS: &str = "button, a[href], summary, [role=button], [tabindex]:not([tabindex=\"-1\"])";

/// Whether the key went to an element matching `selector` (or inside one).
fn in_the_way(e: &leptos::ev::KeyboardEvent, selector: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        e.target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|el| el.closest(selector).ok().flatten())
            .is_some()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (e, selector);
        false
    }
}
