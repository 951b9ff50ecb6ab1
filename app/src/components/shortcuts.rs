//! The room's keyboard shortcuts, listed in a dialog that `?` opens (as in Meet and Zoom), and
//! from the device settings. The keys themselves are handled by `call_controls`.

use crate::call::CallState;
use leptos::html::Button;
use leptos::prelude::*;

/// Each key and what it does.
pub const SHORTCUTS: [(&str, &str); 8] = [
    ("M", "Mute or unmute the microphone"),
    ("Space (hold)", "Talk while muted"),
    ("V", "Turn the camera on or off"),
    ("S", "Share the screen or stop"),
    ("H", "Raise or lower your hand"),
    ("C", "Open or close the chat"),
    ("P", "Show or hide the participants"),
    ("?", "Show this list"),
];

/// The button that opens the list (in the device settings).
#[component]
pub fn ShortcutsButton() -> impl IntoView {
    let state = CallState::get();
    view! {
        <button
            type="button"
            class="justify-self-start text-sm text-indigo-700 underline dark:text-indigo-300"
            aria-keyshortcuts="?"
            data-testid="show-shortcuts"
            on:click=move |_| state.shortcuts_open.set(true)
        >
            "Keyboard shortcuts (?)"
        </button>
    }
}

/// The list, over the room; Close, Esc or `?` again closes it. It takes the focus when it
/// opens, for keyboards and screen readers, and gives it back to where it was when it closes.
#[component]
pub fn ShortcutsHelp() -> impl IntoView {
    let state = CallState::get();
    let close_ref = NodeRef::<Button>::new();
    // Where the focus was before it opened (created first, so it runs first).
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let before = StoredValue::new_local(None::<web_sys::HtmlElement>);
        Effect::new(move |was_open: Option<bool>| {
            let open = state.shortcuts_open.get();
            if open && was_open != Some(true) {
                let focused = document()
                    .active_element()
                    .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok());
                before.set_value(focused);
            } else if !open
                && was_open == Some(true)
                && let Some(el) = before.get_value()
            {
                let _ = el.focus();
            }
            open
        });
    }
    // After the effect above has noted where the focus was.
    Effect::new(move |_| {
        if let Some(close) = close_ref.get() {
            let _ = close.focus();
        }
    });
    view! {
        <Show when=move || state.shortcuts_open.get()>
            <div class="fixed inset-0 z-50 flex items-center justify-center bg-black/60 p-4" on:click=move |_| state.shortcuts_open.set(false)>
                <div
                    role="dialog"
                    aria-modal="true"
                    aria-labelledby="shortcuts-title"
                    class="w-full max-w-sm rounded-xl bg-white p-5 text-slate-900 shadow-xl dark:bg-slate-900 dark:text-slate-100"
                    data-testid="shortcuts"
                    on:click=|ev| ev.stop_propagation()
                    // Modal: Tab stays on its only control instead of wandering behind it.
                    on:keydown=move |ev| {
                        if ev.key() == "Tab" {
                            ev.prevent_default();
                            if let Some(close) = close_ref.get_untracked() {
                                let _ = close.focus();
                            }
                        }
                    }
                >
                    <h2 id="shortcuts-title" class="mb-3 text-lg font-semibold">"Keyboard shortcuts"</h2>
                    <dl class="grid grid-cols-[auto_1fr] gap-x-4 gap-y-2 text-sm">
                        {SHORTCUTS
                            .iter()
                            .map(|(key, what)| view! {
                                <dt><kbd class="rounded border border-slate-300 px-1.5 py-0.5 font-mono text-xs dark:border-slate-600">{*key}</kbd></dt>
                                <dd>{*what}</dd>
                            })
                            .collect_view()}
                    </dl>
                    <p class="mt-3 text-xs text-slate-600 dark:text-slate-400">"Not while typing in a field; Space not while a button has the focus."</p>
                    <button
                        type="button"
                        node_ref=close_ref
                        class="mt-4 rounded-lg bg-indigo-600 px-4 py-2 text-sm font-medium text-white hover:bg-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-400"
                        on:click=move |_| state.shortcuts_open.set(false)
                    >
                        "Close"
                    </button>
                </div>
            </div>
        </Show>
    }
}
