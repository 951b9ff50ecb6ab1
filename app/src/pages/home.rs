//! Landing page: start a meeting, or join one by code.

use crate::components::form::TextField;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{A, Redirect};
use leptos_router::hooks::{use_navigate, use_query_map};
use protocol::MeetingCode;

const BAD_CODE: &str = "Enter a code like abc-defg-hij, or paste a meeting link.";

#[component]
pub fn HomePage() -> impl IntoView {
    let code = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    // Without the app (a light page) the form is a GET to this page: the server sends a good
    // code on to its meeting and shows the form again with an error otherwise.
    let typed = use_query_map().with_untracked(|q| q.get("code"));
    let found = typed.and_then(|typed| match MeetingCode::from_pasted(&typed) {
        Some(found) => Some(format!("/meeting/{found}")),
        None => {
            code.set(typed);
            error.set(Some(BAD_CODE.into()));
            None
        }
    });
    let navigate = use_navigate();
    let on_join = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match MeetingCode::from_pasted(&code.get_untracked()) {
            Some(code) => navigate(&format!("/meeting/{code}"), Default::default()),
            None => error.set(Some(BAD_CODE.into())),
        }
    };
    view! {
        {found.map(|path| view! { <Redirect path=path /> })}
        <Title text="" />
        <section class="grid items-center gap-10 py-8 md:grid-cols-2">
            <div>
                <h1 class="text-4xl font-bold tracking-tight sm:text-5xl">"Meet in seconds, on your own server."</h1>
                <p class="mt-4 text-lg text-slate-600 dark:text-slate-400">
                    "Video meetings that connect fast, hold up on bad networks, and run as one binary you control."
                </p>
                <div class="mt-6 flex flex-wrap gap-3">
                    // A meeting at once (a plain form: this page comes without the app): the
                    // server makes one and opens it; signed out, sign-in comes first.
                    <form method="post" action="/new">
                        <button type="submit" class="rounded-lg bg-indigo-600 px-5 py-3 font-medium text-white shadow hover:bg-indigo-500" data-testid="new-meeting">
                            "New meeting"
                        </button>
                    </form>
                    <A href="/register" attr:class="rounded-lg border border-slate-300 px-5 py-3 font-medium hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800">
                        "Create an account"
                    </A>
                </div>
            </div>
            <form method="get" action="/" on:submit=on_join class="rounded-xl border border-slate-200 bg-white p-6 shadow-sm dark:border-slate-800 dark:bg-slate-900" aria-label="Join a meeting">
                <h2 class="text-lg font-semibold">"Join a meeting"</h2>
                <TextField label="Meeting code or link" name="code" value=code error=error placeholder="abc-defg-hij" />
                <button type="submit" class="mt-2 w-full rounded-lg bg-slate-900 px-4 py-2 font-medium text-white hover:bg-slate-700 dark:bg-slate-100 dark:text-slate-900">
                    "Join"
                </button>
            </form>
        </section>
    }
}
