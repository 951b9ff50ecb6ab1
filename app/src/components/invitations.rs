//! "Invite by email" on a scheduled meeting's card: addresses in, and per invitee where their
//! mail is (queued, sent, retrying with the reason, failed). Refreshes itself while mail is
//! on its way.

use crate::api::{invite_people, meeting_invitations};
use leptos::prelude::*;
use protocol::{Invitation, InvitationStatus};

const BUTTON: &str = "rounded-lg bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500/50 disabled:cursor-wait disabled:opacity-70";

/// Addresses as people paste them: separated by commas, semicolons, spaces or lines.
fn split_addresses(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .map(|s| s.trim_matches(|c| c == '<' || c == '>'))
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn status_label(i: &Invitation) -> (&'static str, &'static str) {
    match i.status {
        InvitationStatus::Queued => ("Sending…", "bg-slate-100 text-slate-800"),
        InvitationStatus::Sent => ("Sent", "bg-emerald-100 text-emerald-900"),
        InvitationStatus::Retrying => ("Will retry", "bg-amber-100 text-amber-900"),
        InvitationStatus::Failed => ("Failed", "bg-red-100 text-red-900"),
    }
}

#[component]
pub fn InvitationsView(code: String) -> impl IntoView {
    let code = StoredValue::new(code);
    let list = Resource::new(|| (), move |_| meeting_invitations(code.get_value()));
    let addresses = RwSignal::new(String::new());
    let send =
        Action::new(move |emails: &Vec<String>| invite_people(code.get_value(), emails.clone()));
    let error = move || {
        send.value()
            .get()
            .and_then(|r| r.err())
            .map(|e| e.field("emails").unwrap_or(e.message()))
    };
    Effect::new(move |_| {
        if let Some(Ok(_)) = send.value().get() {
            addresses.set(String::new());
            list.refetch();
        }
    });
    // While mail is on its way, look again every two seconds.
    #[cfg(feature = "hydrate")]
    {
        let handle = set_interval_with_handle(
            move || {
                let pending = list.get_untracked().and_then(Result::ok).is_some_and(|l| {
                    l.invitations
                        .iter()
                        .any(|i| i.status == InvitationStatus::Queued)
                });
                if pending {
                    list.refetch();
                }
            },
            std::time::Duration::from_secs(2),
        )
        .ok();
        on_cleanup(move || {
            if let Some(handle) = handle {
                handle.clear();
            }
        });
    }
    view! {
        <section aria-label="Invitations" class="mt-4 border-t border-slate-200 pt-4 dark:border-slate-800" data-testid="invitations-view">
            <h4 class="mb-2 font-medium">"Invite by email"</h4>
            <Suspense fallback=|| view! { <p class="text-sm text-slate-500 dark:text-slate-400">"Loading invitations…"</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(l) if !l.enabled => view! {
                            <p class="text-sm text-slate-600 dark:text-slate-300" data-testid="mail-off">
                                "Email invitations are not set up on this server. Copy the link or download the calendar file and send it yourself."
                            </p>
                        }.into_any(),
                        Ok(l) => view! {
                            <form
                                class="flex flex-col gap-2 sm:flex-row sm:items-start"
                                on:submit=move |ev| {
                                    ev.prevent_default();
                                    send.dispatch(split_addresses(&addresses.get_untracked()));
                                }
                            >
                                <div class="flex-1">
                                    <label for=format!("invite-{}", code.get_value()) class="sr-only">"Email addresses"</label>
                                    <textarea
                                        id=format!("invite-{}", code.get_value())
                                        rows="2"
                                        placeholder="ann@example.com, bo@example.org"
                                        class="block w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-sm dark:border-slate-700 dark:bg-slate-900"
                                        aria-invalid=move || error().is_some().to_string()
                                        aria-describedby=format!("invite-error-{}", code.get_value())
                                        data-testid="invite-emails"
                                        prop:value=move || addresses.get()
                                        on:input=move |ev| addresses.set(event_target_value(&ev))
                                    ></textarea>
                                    <p id=format!("invite-error-{}", code.get_value()) class="mt-1 text-sm text-red-600 dark:text-red-400" role="alert">{error}</p>
                                </div>
                                <button type="submit" class=BUTTON disabled=move || send.pending().get() data-testid="send-invites">
                                    {move || if send.pending().get() { "Sending…" } else { "Send invitations" }}
                                </button>
                            </form>
                            {(!l.invitations.is_empty()).then(|| view! {
                                <ul class="mt-2 divide-y divide-slate-100 text-sm dark:divide-slate-800" data-testid="invitees">
                                    {l.invitations.into_iter().map(|i| {
                                        let (label, tone) = status_label(&i);
                                        view! {
                                            <li class="flex flex-wrap items-center justify-between gap-2 py-1" data-testid="invitee" data-status=format!("{:?}", i.status).to_lowercase()>
                                                <span class="truncate">{i.email.clone()}</span>
                                                <span class="flex items-center gap-2">
                                                    <span class="text-xs text-slate-500 dark:text-slate-400">{i.last_mail.clone()}</span>
                                                    <span class=format!("rounded px-2 py-0.5 text-xs {tone}") title=i.last_error.clone().unwrap_or_default()>{label}</span>
                                                </span>
                                                {i.last_error.clone().filter(|_| i.status != InvitationStatus::Sent).map(|e| view! {
                                                    <span class="w-full text-xs text-amber-800 dark:text-amber-300">{e}</span>
                                                })}
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            })}
                        }.into_any(),
                        Err(e) => view! { <p class="text-sm text-red-600 dark:text-red-400" role="alert">{e.message()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pasted_addresses_are_split_every_usual_way() {
        assert_eq!(
            split_addresses("ann@example.com, bo@example.org;\n<cy@example.net>  dee@x.io"),
            [
                "ann@example.com",
                "bo@example.org",
                "cy@example.net",
                "dee@x.io"
            ]
        );
        assert!(split_addresses(" ,; \n").is_empty());
    }
}
