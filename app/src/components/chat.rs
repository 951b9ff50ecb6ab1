//! The chat panel: the log (messages, private ones marked, system lines), older history on
//! demand, and the composer (to everyone or privately to one person). Text only: a message is
//! shown as text, with web links made clickable.

use crate::call::chat::{ChatLine, LineKind, Piece, pieces};
use crate::call::{CallState, actions};
use crate::time::clock;
use leptos::prelude::*;
use protocol::room::{MAX_CHAT_CHARS, check_chat_text};
use protocol::signal::PeerId;

#[component]
pub fn ChatPanel() -> impl IntoView {
    let state = CallState::get();
    let draft = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let log = NodeRef::<leptos::html::Div>::new();
    // Opened means "I want to write": the focus goes to the message box, so typing writes a
    // message instead of pressing the room's one-key shortcuts (h, m, v, Space).
    let input = NodeRef::<leptos::html::Textarea>::new();
    Effect::new(move |_| {
        if let Some(el) = input.get() {
            let _ = el.focus();
        }
    });
    // Open means read; new lines scroll into view unless an older page was prepended.
    Effect::new(move |last: Option<Option<String>>| {
        let newest = state.chat.with(|l| l.last().map(|l| l.key.clone()));
        state.unread.set(0);
        if last.as_ref() != Some(&newest) {
            #[cfg(feature = "hydrate")]
            if let Some(el) = log.get() {
                el.set_scroll_top(el.scroll_height());
            }
        }
        newest
    });
    // A private message to me: my answer goes back to them privately unless I choose
    // otherwise (as in other meeting apps), as long as I am not halfway through a message.
    Effect::new(move |last: Option<Option<String>>| {
        let newest = state.chat.with(|l| {
            l.last()
                .filter(|l| l.private && l.kind == LineKind::Theirs)
                .and_then(|l| Some((l.key.clone(), l.from.clone()?)))
        });
        let key = newest.as_ref().map(|(k, _)| k.clone());
        if let Some((k, from)) = newest
            && last.as_ref().is_some_and(|l| l.as_ref() != Some(&k))
            && draft.get_untracked().is_empty()
        {
            to.set(from.0);
        }
        key
    });
    // Someone I was writing to left: back to everyone.
    Effect::new(move |_| {
        let target = to.get();
        if !target.is_empty()
            && state
                .peers
                .with(|p| !p.iter().any(|p| p.info.id.0 == target))
        {
            to.set(String::new());
        }
    });
    let send = move || {
        let text = draft.get_untracked();
        match check_chat_text(&text) {
            Err(why) => error.set(Some(why.to_owned())),
            Ok(text) => {
                let target = to.get_untracked();
                let target = (!target.is_empty()).then_some(PeerId(target));
                actions::send_chat(state, target, text.to_owned());
                draft.set(String::new());
                error.set(None);
            }
        }
    };
    let left = move || MAX_CHAT_CHARS.saturating_sub(draft.with(|d| d.chars().count()));
    view! {
        <aside id="chat" aria-label="Chat" class="flex min-h-[20rem] w-full flex-1 flex-col rounded-xl border border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
            <div class="flex items-center justify-between border-b border-slate-200 px-4 py-1 dark:border-slate-800">
                <h2 class="font-semibold">"Chat"</h2>
                // On a phone the panel covers the video: a way out right here.
                <button
                    type="button"
                    class="h-10 w-10 rounded-full text-xl hover:bg-slate-100 focus:outline-none focus:ring-2 focus:ring-indigo-400 dark:hover:bg-slate-800"
                    aria-label="Close chat"
                    data-testid="chat-close"
                    on:click=move |_| state.chat_open.set(false)
                >
                    "×"
                </button>
            </div>
            <div
                node_ref=log
                class="flex-1 overflow-y-auto px-4 py-2 text-sm"
                role="log"
                aria-live="polite"
                aria-label="Messages"
                data-testid="chat-log"
                on:scroll=move |_| {
                    #[cfg(feature = "hydrate")]
                    if let Some(el) = log.get()
                        && el.scroll_top() == 0
                        && state.chat_more.get_untracked()
                    {
                        actions::load_older_chat(state);
                    }
                }
            >
                <ol class="space-y-2">
                <Show when=move || state.chat_more.get()>
                    <li class="text-center">
                        <button
                            type="button"
                            class="text-xs text-indigo-600 underline dark:text-indigo-400"
                            data-testid="chat-older"
                            on:click=move |_| actions::load_older_chat(state)
                        >
                            "Load earlier messages"
                        </button>
                    </li>
                </Show>
                <Show when=move || state.chat.with(Vec::is_empty)>
                    <li class="py-6 text-center text-slate-500 dark:text-slate-400">"No messages yet. Say hello!"</li>
                </Show>
                <For each=move || state.chat.get() key=|line| line.clone() children=line_view />
                </ol>
            </div>
            <form
                class="space-y-2 border-t border-slate-200 p-3 dark:border-slate-800"
                on:submit=move |ev| {
                    ev.prevent_default();
                    send();
                }
            >
                <label class="flex items-center gap-2 text-xs text-slate-600 dark:text-slate-400">
                    "To"
                    // min-w-0 and w-0: a long name in the options must not widen the panel.
                    <select
                        class="w-0 min-w-0 flex-1 truncate rounded border border-slate-300 bg-white px-2 py-1 focus:outline-none focus:ring-2 focus:ring-indigo-400 dark:border-slate-700 dark:bg-slate-800"
                        data-testid="chat-to"
                        prop:value=move || to.get()
                        on:change=move |ev| to.set(event_target_value(&ev))
                    >
                        <option value="">"Everyone"</option>
                        <For
                            each=move || state.peers.get()
                            key=|p| (p.info.id.clone(), p.info.display_name.clone())
                            children=move |p| view! {
                                <option value=p.info.id.0.clone()>{p.info.display_name.clone()} " (private)"</option>
                            }
                        />
                    </select>
                </label>
                <div class="flex items-end gap-2">
                    <textarea
                        class="min-h-10 flex-1 resize-none rounded-lg border border-slate-300 bg-white px-3 py-2 text-sm focus:outline-none focus:ring-2 focus:ring-indigo-400 dark:border-slate-700 dark:bg-slate-800"
                        rows="2"
                        maxlength=MAX_CHAT_CHARS.to_string()
                        aria-label="Message"
                        placeholder="Message (Enter sends, Shift+Enter new line)"
                        data-testid="chat-input"
                        node_ref=input
                        prop:value=move || draft.get()
                        on:input=move |ev| draft.set(event_target_value(&ev))
                        on:keydown=move |ev| {
                            if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
                                ev.prevent_default();
                                send();
                            }
                        }
                    ></textarea>
                    <button
                        type="submit"
                        class="rounded-lg bg-indigo-600 px-3 py-2 text-sm font-medium text-white hover:bg-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-400"
                        data-testid="chat-send"
                    >
                        "Send"
                    </button>
                </div>
                <Show when=move || { left() < 200 }>
                    <p class="text-xs text-slate-500 dark:text-slate-400" aria-live="polite">{left} " characters left"</p>
                </Show>
                {move || error.get().map(|e| view! { <p class="text-xs text-red-600 dark:text-red-400" role="alert" data-testid="chat-error">{e}</p> })}
            </form>
        </aside>
    }
}

fn line_view(line: ChatLine) -> impl IntoView {
    if line.kind == LineKind::System {
        return view! {
            <li class="text-center text-xs text-slate-500 [overflow-wrap:anywhere] dark:text-slate-400" data-testid="chat-system">
                {line.text} " · " {clock(line.at_ms)}
            </li>
        }
        .into_any();
    }
    let mine = matches!(
        line.kind,
        LineKind::Mine | LineKind::Pending | LineKind::Failed
    );
    let who = if mine {
        "You".to_owned()
    } else {
        line.from_name.clone()
    };
    let private = match (&line.to_name, mine, line.private) {
        (Some(to), true, _) => Some(format!("to {to}, privately")),
        (_, false, true) => Some("to you, privately".to_owned()),
        _ => None,
    };
    let status = match line.kind {
        LineKind::Pending => Some("Sending…"),
        LineKind::Failed => Some("Not sent"),
        _ => None,
    };
    let body: Vec<AnyView> = pieces(&line.text)
        .into_iter()
        .map(|piece| match piece {
            Piece::Text(text) => text.to_owned().into_any(),
            Piece::Link(href) => view! {
                <a href=href.to_owned() target="_blank" rel="noopener noreferrer nofollow" class="text-indigo-600 underline dark:text-indigo-400">{href.to_owned()}</a>
            }
            .into_any(),
        })
        .collect();
    view! {
        <li
            class="rounded-lg px-3 py-2"
            class=("bg-indigo-50", mine)
            class=("dark:bg-indigo-950", mine)
            class=("bg-amber-50", line.private && !mine)
            class=("dark:bg-amber-950", line.private && !mine)
            data-testid="chat-message"
            data-private=line.private.to_string()
            data-from=who.clone()
        >
            // slate-600: slate-500 falls short of AA on my own messages' indigo-50.
            <p class="text-xs text-slate-600 [overflow-wrap:anywhere] dark:text-slate-400">
                // A long name (64 characters, no spaces) is cut with an ellipsis, not the panel.
                <span class="inline-block max-w-full truncate align-bottom font-medium text-slate-700 dark:text-slate-300">{who.clone()}</span>
                {private.map(|p| view! { <span class="ml-1 text-amber-700 dark:text-amber-400">{p}</span> })}
                <span class="ml-1">{clock(line.at_ms)}</span>
            </p>
            <p class="whitespace-pre-wrap [overflow-wrap:anywhere]" data-testid="chat-text">{body}</p>
            {status.map(|s| view! { <p class="text-xs text-slate-600 dark:text-slate-400" data-testid="chat-status">{s}</p> })}
        </li>
    }
    .into_any()
}
