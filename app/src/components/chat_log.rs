//! A meeting's chat for its host on the dashboard: read it here, or download it as text or
//! JSON (the REST endpoint serves both; private messages are not in it).

use crate::api::meeting_chat;
use crate::call::chat::{Piece, pieces};
use crate::time::clock;
use leptos::prelude::*;

const LINK: &str = "rounded-lg border border-slate-300 px-3 py-1.5 text-sm font-medium hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800";

#[component]
pub fn ChatLogView(code: String) -> impl IntoView {
    let log = Resource::new(|| (), {
        let code = code.clone();
        move |_| meeting_chat(code.clone())
    });
    let text_href = format!("/api/v1/meetings/{code}/chat?format=text");
    let json_href = format!("/api/v1/meetings/{code}/chat?format=json");
    view! {
        <section aria-label="Chat of this meeting" class="mt-4 border-t border-slate-200 pt-4 dark:border-slate-800" data-testid="chat-log-view">
            <div class="mb-2 flex flex-wrap items-center gap-2">
                <h4 class="flex-1 font-medium">"Chat"</h4>
                <a href=text_href download class=LINK data-testid="export-text">"Download text"</a>
                <a href=json_href download class=LINK data-testid="export-json">"Download JSON"</a>
            </div>
            <Suspense fallback=|| view! { <p class="text-sm text-slate-500 dark:text-slate-400">"Loading the chat…"</p> }>
                {move || Suspend::new(async move {
                    match log.await {
                        Ok(log) if log.messages.is_empty() => view! {
                            <p class="text-sm text-slate-500 dark:text-slate-400">"Nobody wrote to everyone in this meeting."</p>
                        }.into_any(),
                        Ok(log) => view! {
                            <ol class="max-h-80 space-y-1 overflow-y-auto text-sm" data-testid="chat-log-messages">
                                {log.messages.into_iter().map(|m| view! {
                                    <li>
                                        <span class="text-xs text-slate-500 dark:text-slate-400">{clock(m.at_ms)} " "</span>
                                        <span class="font-medium">{m.from_name.clone()} ": "</span>
                                        <span class="whitespace-pre-wrap break-words">
                                            {pieces(&m.text).into_iter().map(|p| match p {
                                                Piece::Text(t) => t.to_owned().into_any(),
                                                Piece::Link(href) => view! { <a href=href.to_owned() target="_blank" rel="noopener noreferrer nofollow" class="text-indigo-600 dark:text-indigo-400 underline">{href.to_owned()}</a> }.into_any(),
                                            }).collect_view()}
                                        </span>
                                    </li>
                                }).collect_view()}
                            </ol>
                        }.into_any(),
                        Err(e) => view! { <p class="text-sm text-red-600 dark:text-red-400" role="alert">{e.message()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
