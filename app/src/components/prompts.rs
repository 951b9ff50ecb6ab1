//! What the room asks of me, above the tiles: a host's request to turn something on, the
//! data-saver suggestion on a weak connection, and "are you talking?" while I am muted. Each
//! is answered with one button or set aside with the other; none acts on its own.

use crate::call::{CallState, actions};
use leptos::prelude::*;
use protocol::room::Request;

/// All of them, in the order they matter.
#[component]
pub fn Prompts() -> impl IntoView {
    let state = CallState::get();
    view! {
        {move || state.asked.get().map(|(request, by)| {
            let (what, accept) = match request {
                Request::Microphone => ("turn on your microphone", "Unmute"),
                Request::Camera => ("turn on your camera", "Turn camera on"),
            };
            view! {
                <Prompt tone=Tone::Indigo label="Request from the host" testid="asked" text=format!("{by} asks you to {what}.")
                    accept on_accept=Callback::new(move |()| actions::accept_request(state))
                    dismiss="Not now" on_dismiss=Callback::new(move |()| state.asked.set(None)) />
            }
        })}
        <Show when=move || state.talking_muted.get()>
            <Prompt tone=Tone::Indigo label="Your microphone is off" testid="muted-talk"
                text="Are you talking? Your microphone is off."
                accept="Unmute" on_accept=Callback::new(move |()| actions::answer_muted_talk(state, true))
                dismiss="Dismiss" on_dismiss=Callback::new(move |()| actions::answer_muted_talk(state, false)) />
        </Show>
        <Show when=move || state.saver_hint.get()>
            <Prompt tone=Tone::Amber label="Weak connection" testid="saver-hint"
                text="Video from the others keeps getting lost on your connection. Turn off their cameras to keep the sound clear? You can turn them back on in settings."
                accept="Turn off cameras" on_accept=Callback::new(move |()| actions::answer_saver_hint(state, true))
                dismiss="Not now" on_dismiss=Callback::new(move |()| actions::answer_saver_hint(state, false)) />
        </Show>
    }
}

#[derive(Clone, Copy)]
enum Tone {
    /// Something someone asked, or about my own devices.
    Indigo,
    /// A warning about the connection.
    Amber,
}

impl Tone {
    fn classes(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Tone::Indigo => (
                "border-indigo-300 bg-indigo-50 text-indigo-950 dark:border-indigo-700 dark:bg-indigo-950 dark:text-indigo-100",
                "bg-indigo-600 hover:bg-indigo-500",
                "border-indigo-300",
            ),
            Tone::Amber => (
                "border-amber-300 bg-amber-50 text-amber-950 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-100",
                "bg-amber-700 hover:bg-amber-600",
                "border-amber-300",
            ),
        }
    }
}

/// One question with its two answers. Test ids: `testid`, `{testid}-accept`, `{testid}-dismiss`.
#[component]
fn Prompt(
    tone: Tone,
    label: &'static str,
    testid: &'static str,
    #[prop(into)] text: String,
    accept: &'static str,
    on_accept: Callback<()>,
    dismiss: &'static str,
    on_dismiss: Callback<()>,
) -> impl IntoView {
    let (frame, primary, secondary) = tone.classes();
    view! {
        <div class=format!("flex flex-wrap items-center gap-3 rounded-xl border p-3 {frame}") role="alertdialog" aria-label=label data-testid=testid>
            <p class="flex-1">{text}</p>
            <button type="button" class=format!("rounded-lg px-3 py-1 text-sm font-medium text-white {primary}") data-testid=format!("{testid}-accept") on:click=move |_| on_accept.run(())>
                {accept}
            </button>
            <button type="button" class=format!("rounded-lg border px-3 py-1 text-sm {secondary}") data-testid=format!("{testid}-dismiss") on:click=move |_| on_dismiss.run(())>
                {dismiss}
            </button>
        </div>
    }
}
