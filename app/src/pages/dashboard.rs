//! Dashboard (signed-in only): schedule meetings and manage the ones you host.

use crate::api::my_meetings;
use crate::components::meeting_card::{Live, MeetingCard};
use crate::components::meeting_form::MeetingForm;
use crate::components::profile::ProfileCard;
use crate::components::status::Loading;
use crate::state::auth::AuthState;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use protocol::{Meeting, MeetingList, User};

fn live_of(list: &MeetingList) -> Live {
    list.upcoming
        .iter()
        .chain(&list.past)
        .map(|m| (m.code.0.clone(), (m.in_call, m.waiting)))
        .collect()
}

#[component]
pub fn DashboardPage() -> impl IntoView {
    let auth = AuthState::get();
    view! {
        <Title text="Dashboard" />
        <Suspense fallback=|| view! { <Loading label="Loading your dashboard…" /> }>
            {move || Suspend::new(async move {
                match auth.user.await {
                    Ok(Some(user)) => view! { <Dashboard user /> }.into_any(),
                    _ => view! { <Redirect path="/login?next=/dashboard" /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Dashboard(user: User) -> impl IntoView {
    let meetings = Resource::new(|| (), |_| my_meetings());
    let changed = Callback::new(move |_: ()| meetings.refetch());
    // Who is in the meetings now: from the list, then asked again every 15 s while the tab
    // is visible (the cards stay as they are: an open form keeps what was typed).
    let live = RwSignal::new(Live::new());
    Effect::new(move |_| {
        if let Some(Ok(list)) = meetings.get() {
            live.set(live_of(&list));
        }
    });
    crate::poll::while_visible(std::time::Duration::from_secs(15), move || {
        leptos::task::spawn_local(async move {
            if let Ok(list) = my_meetings().await {
                live.try_set(live_of(&list));
            }
        });
    });
    let created = RwSignal::new(None::<Meeting>);
    view! {
        <div class="space-y-8">
            <div>
                <h1 class="text-3xl font-bold">"Your meetings"</h1>
                <p class="text-slate-500 dark:text-slate-400">"Signed in as " {user.display_name.clone()} " (" {user.email.clone()} ")"</p>
            </div>
            <ProfileCard user=user.clone() />
            <section class="rounded-xl border border-slate-200 bg-white p-6 shadow-sm dark:border-slate-800 dark:bg-slate-900" aria-labelledby="new-meeting-heading">
                <h2 id="new-meeting-heading" class="mb-4 text-lg font-semibold">"Schedule a meeting"</h2>
                <MeetingForm
                    on_saved=Callback::new(move |m: Meeting| { created.set(Some(m)); meetings.refetch(); })
                    on_failed=Callback::new(move |()| created.set(None))
                />
                {move || created.get().map(|m| view! {
                    <p class="mt-3 rounded-lg bg-emerald-50 px-3 py-2 text-sm text-emerald-900" role="status">
                        "Created “" {m.title} "”. Share this link: " <span class="font-mono" data-testid="created-link">{m.join_url}</span>
                    </p>
                })}
            </section>
            <Transition fallback=|| view! { <Loading label="Loading meetings…" /> }>
                {move || Suspend::new(async move {
                    match meetings.await {
                        Ok(list) => view! {
                            <MeetingSection title="Upcoming" empty="Nothing scheduled. Create a meeting above." meetings=list.upcoming on_change=changed live />
                            <MeetingSection title="Past" empty="No past meetings yet." meetings=list.past on_change=changed live />
                        }.into_any(),
                        Err(e) => view! { <p class="text-red-600 dark:text-red-400" role="alert">{e.message()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

#[component]
fn MeetingSection(
    title: &'static str,
    empty: &'static str,
    meetings: Vec<Meeting>,
    on_change: Callback<()>,
    live: RwSignal<Live>,
) -> impl IntoView {
    let is_empty = meetings.is_empty();
    view! {
        <section aria-label=title>
            <h2 class="mb-3 text-xl font-semibold">{title} " (" {meetings.len()} ")"</h2>
            {is_empty.then(|| view! { <p class="text-slate-500 dark:text-slate-400">{empty}</p> })}
            <ul class="grid gap-3">
                {meetings.into_iter().map(|meeting| view! { <MeetingCard meeting on_change live /> }).collect_view()}
            </ul>
        </section>
    }
}
