//! One meeting on the dashboard: when, code, who is in it now, link actions, edit and delete.

use super::attendance::AttendanceView;
use super::chat_log::ChatLogView;
use super::copy_link::CopyLink;
use super::invitations::InvitationsView;
use super::local_time::LocalTime;
use super::meeting_form::MeetingForm;
use crate::api::delete_meeting;
use leptos::prelude::*;
use leptos_router::components::A;
use protocol::Meeting;
use std::collections::HashMap;

/// Who is in each of the host's meetings now, by code: (seated, waiting in the lobby). Kept by
/// the dashboard, which asks again now and then; a card reads its own entry.
pub type Live = HashMap<String, (u32, u32)>;

const BUTTON: &str = "rounded-lg border border-slate-300 px-3 py-1.5 text-sm font-medium hover:bg-slate-100 focus:outline-none focus:ring-2 focus:ring-indigo-500/50 dark:border-slate-700 dark:hover:bg-slate-800";

#[component]
pub fn MeetingCard(
    meeting: Meeting,
    on_change: Callback<()>,
    live: RwSignal<Live>,
) -> impl IntoView {
    let editing = RwSignal::new(false);
    let chat = RwSignal::new(false);
    let attendance = RwSignal::new(false);
    let inviting = RwSignal::new(false);
    let confirming = RwSignal::new(false);
    let code = meeting.code.0.clone();
    let (card_code, shown_code, chat_code, attendance_code, invite_code) = (
        code.clone(),
        code.clone(),
        code.clone(),
        code.clone(),
        code.clone(),
    );
    let delete_code = StoredValue::new(code);
    let delete = Action::new(move |code: &String| delete_meeting(code.clone()));
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            on_change.run(());
        }
    });
    let delete_error = move || {
        delete
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| e.message())
    };
    // Who is in it now. Read straight from the dashboard's signal (no memo of the card's own:
    // a refetch disposes the card while the new figures are being set).
    let listed = (meeting.in_call, meeting.waiting);
    let now = {
        let code = meeting.code.0.clone();
        move || live.with(|l| occupancy(l, &code, listed))
    };
    let join_url = meeting.join_url.clone();
    let href = format!("/meeting/{}", meeting.code);
    let edit_copy = meeting.clone();

    view! {
        <li class="rounded-xl border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-800 dark:bg-slate-900" data-testid="meeting-card" data-code=card_code>
            <div class="flex flex-wrap items-start justify-between gap-2">
                <div>
                    <h3 class="font-semibold">{meeting.title.clone()}</h3>
                    <p class="text-sm text-slate-500 dark:text-slate-400">
                        {match meeting.starts_at.clone() {
                            Some(iso) => view! { <LocalTime iso /> " · " {meeting.duration_minutes} " min" }.into_any(),
                            None => view! { "Open any time" }.into_any(),
                        }}
                    </p>
                    <p class="mt-1 font-mono text-sm" data-testid="meeting-code">{shown_code}</p>
                    <p class="mt-1 flex flex-wrap gap-1 text-xs">
                        {meeting.has_password.then(|| view! { <span class="rounded bg-amber-100 px-2 py-0.5 text-amber-900">"Password"</span> })}
                        {meeting.allow_guests.then(|| view! { <span class="rounded bg-emerald-100 px-2 py-0.5 text-emerald-900">"Guests allowed"</span> })}
                        {meeting.lobby.then(|| view! { <span class="rounded bg-sky-100 px-2 py-0.5 text-sky-900">"Waiting room"</span> })}
                    </p>
                    <LiveNow code=meeting.code.0.clone() listed live />
                </div>
                <div class="flex flex-wrap gap-2">
                    <A href=href attr:class=BUTTON>{move || if now().0 > 0 { "Join now" } else { "Open" }}</A>
                    <CopyLink link=join_url class=BUTTON testid="copy-link" />
                    {meeting.starts_at.is_some().then(|| view! {
                        <a href=format!("/api/v1/meetings/{}/invite.ics", meeting.code) download class=BUTTON data-testid="download-ics">"Add to calendar"</a>
                        <button type="button" class=BUTTON data-testid="show-invitations" on:click=move |_| inviting.update(|i| *i = !*i) aria-expanded=move || inviting.get().to_string()>
                            "Invite"
                        </button>
                    })}
                    <button type="button" class=BUTTON data-testid="show-chat" on:click=move |_| chat.update(|c| *c = !*c) aria-expanded=move || chat.get().to_string()>
                        "Chat"
                    </button>
                    <button type="button" class=BUTTON data-testid="show-attendance" on:click=move |_| attendance.update(|a| *a = !*a) aria-expanded=move || attendance.get().to_string()>
                        "Attendance"
                    </button>
                    <button type="button" class=BUTTON on:click=move |_| editing.update(|e| *e = !*e) aria-expanded=move || editing.get().to_string()>
                        "Edit"
                    </button>
                    <Show
                        when=move || confirming.get()
                        fallback=move || view! {
                            <button type="button" class=BUTTON on:click=move |_| confirming.set(true)>"Delete"</button>
                        }
                    >
                        <button
                            type="button"
                            class="rounded-lg bg-red-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-red-500"
                            disabled=move || delete.pending().get()
                            on:click=move |_| { delete.dispatch(delete_code.get_value()); }
                        >
                            {move || if delete.pending().get() { "Deleting…" } else { "Confirm delete" }}
                        </button>
                        <button type="button" class=BUTTON on:click=move |_| confirming.set(false)>"Keep"</button>
                    </Show>
                </div>
            </div>
            <p class="text-sm text-red-600 dark:text-red-400" role="alert">{delete_error}</p>
            <Show when=move || inviting.get()>
                <InvitationsView code=invite_code.clone() />
            </Show>
            <Show when=move || chat.get()>
                <ChatLogView code=chat_code.clone() />
            </Show>
            <Show when=move || attendance.get()>
                <AttendanceView code=attendance_code.clone() />
            </Show>
            <Show when=move || editing.get()>
                <div class="mt-4 border-t border-slate-200 pt-4 dark:border-slate-800">
                    <MeetingForm
                        existing=edit_copy.clone()
                        on_saved=Callback::new(move |_| { editing.set(false); on_change.run(()); })
                        on_cancel=Callback::new(move |_| editing.set(false))
                    />
                </div>
            </Show>
        </li>
    }
    .into_any()
}

/// Whether anyone is in the meeting now, and whether anyone waits to be let in: a host on the
/// dashboard sees it without opening the meeting.
#[component]
fn LiveNow(code: String, listed: (u32, u32), live: RwSignal<Live>) -> impl IntoView {
    view! {
        <p class="mt-2 flex flex-wrap gap-1 text-xs font-medium empty:hidden" data-testid="live" role="status">
            {move || {
                let (seated, waiting) = live.with(|l| occupancy(l, &code, listed));
                view! {
                    {(seated > 0).then(|| view! {
                        <span class="inline-flex items-center gap-1 rounded bg-red-100 px-2 py-0.5 text-red-900" data-testid="live-in-call">
                            <span class="h-2 w-2 animate-pulse rounded-full bg-red-600" aria-hidden="true"></span>
                            {people(seated, "in the call now")}
                        </span>
                    })}
                    {(waiting > 0).then(|| view! {
                        <span class="rounded bg-amber-100 px-2 py-0.5 text-amber-900" data-testid="live-waiting">
                            {people(waiting, "waiting to join")}
                        </span>
                    })}
                }
            }}
        </p>
    }
}

/// A meeting's (seated, waiting) in `live`, or as listed until the dashboard has asked again.
fn occupancy(live: &Live, code: &str, listed: (u32, u32)) -> (u32, u32) {
    live.get(code).copied().unwrap_or(listed)
}

fn people(n: u32, what: &str) -> String {
    match n {
        1 => format!("1 person {what}"),
        n => format!("{n} people {what}"),
    }
}
