//! Create or edit a meeting: title, schedule, duration, password, guests, lobby, size.

use super::form::{CheckboxField, FormError, SubmitButton, TextField};
use crate::api::{UiError, create_meeting, update_meeting};
use crate::time::{local_input_to_rfc3339, rfc3339_to_local_input};
use leptos::prelude::*;
use protocol::{CreateMeetingRequest, Meeting, UpdateMeetingRequest};

#[derive(Clone)]
struct Draft {
    title: String,
    starts_at: Option<String>,
    duration: String,
    max: String,
    password: String,
    remove_password: bool,
    allow_guests: bool,
    lobby: bool,
}

/// Numbers are sent as typed; a non-number becomes a field error here rather than a lost value.
fn number(field: &str, text: &str, errors: &mut Vec<(String, String)>) -> Option<u32> {
    if text.trim().is_empty() {
        return None;
    }
    match text.trim().parse::<u32>() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.push((field.into(), "Enter a whole number.".into()));
            None
        }
    }
}

async fn save(existing: Option<String>, draft: Draft) -> Result<Meeting, UiError> {
    let mut errors = Vec::new();
    let duration_minutes = number("duration_minutes", &draft.duration, &mut errors);
    let max_participants = number("max_participants", &draft.max, &mut errors);
    if !errors.is_empty() {
        return Err(UiError(protocol::ApiError::validation(
            errors.into_iter().collect(),
        )));
    }
    match existing {
        None => {
            create_meeting(CreateMeetingRequest {
                title: draft.title,
                starts_at: draft.starts_at,
                duration_minutes,
                password: Some(draft.password),
                allow_guests: Some(draft.allow_guests),
                lobby: Some(draft.lobby),
                max_participants,
            })
            .await
        }
        Some(code) => {
            let password = if draft.remove_password {
                Some(String::new())
            } else if draft.password.is_empty() {
                None
            } else {
                Some(draft.password)
            };
            update_meeting(
                code,
                UpdateMeetingRequest {
                    title: Some(draft.title),
                    starts_at: Some(draft.starts_at.unwrap_or_default()),
                    duration_minutes,
                    password,
                    allow_guests: Some(draft.allow_guests),
                    lobby: Some(draft.lobby),
                    max_participants,
                },
            )
            .await
        }
    }
}

#[component]
pub fn MeetingForm(
    /// The meeting to edit; `None` creates a new one.
    #[prop(optional)]
    existing: Option<Meeting>,
    on_saved: Callback<Meeting>,
    #[prop(optional)] on_cancel: Option<Callback<()>>,
    /// A save was refused (the page drops what it said about the last success).
    #[prop(optional)]
    on_failed: Option<Callback<()>>,
) -> impl IntoView {
    let editing = existing.is_some();
    let prefix: &'static str = if editing { "edit-" } else { "new-" };
    let code = existing.as_ref().map(|m| m.code.0.clone());
    let has_password = existing.as_ref().is_some_and(|m| m.has_password);
    let title = RwSignal::new(
        existing
            .as_ref()
            .map(|m| m.title.clone())
            .unwrap_or_default(),
    );
    let starts = RwSignal::new(
        existing
            .as_ref()
            .and_then(|m| m.starts_at.as_deref().map(rfc3339_to_local_input))
            .unwrap_or_default(),
    );
    let duration = RwSignal::new(
        existing
            .as_ref()
            .map(|m| m.duration_minutes)
            .unwrap_or(protocol::validate::DURATION_DEFAULT)
            .to_string(),
    );
    let max = RwSignal::new(
        existing
            .as_ref()
            .map(|m| m.max_participants)
            .unwrap_or(protocol::validate::PARTICIPANTS_DEFAULT)
            .to_string(),
    );
    let password = RwSignal::new(String::new());
    let remove_password = RwSignal::new(false);
    let allow_guests = RwSignal::new(existing.as_ref().map(|m| m.allow_guests).unwrap_or(true));
    let lobby = RwSignal::new(existing.as_ref().map(|m| m.lobby).unwrap_or(false));

    let action = Action::new(move |draft: &Draft| save(code.clone(), draft.clone()));
    let result = action.value();
    Effect::new(move |_| {
        if let (Some(Err(_)), Some(failed)) = (result.get(), on_failed) {
            failed.run(());
        }
        if let Some(Ok(meeting)) = result.get() {
            on_saved.run(meeting);
            if !editing {
                title.set(String::new());
                starts.set(String::new());
                password.set(String::new());
                result.set(None);
            }
        }
    });
    let field = move |name: &'static str| {
        Signal::derive(move || {
            result
                .get()
                .and_then(|r| r.err())
                .and_then(|e| e.field(name))
        })
    };
    let general = Signal::derive(move || {
        result
            .get()
            .and_then(|r| r.err())
            .filter(|e| e.0.fields.is_empty())
            .map(|e| e.message())
    });

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let local = starts.get_untracked();
        let starts_at = local_input_to_rfc3339(&local);
        action.dispatch(Draft {
            title: title.get_untracked(),
            starts_at,
            duration: duration.get_untracked(),
            max: max.get_untracked(),
            password: password.get_untracked(),
            remove_password: remove_password.get_untracked(),
            allow_guests: allow_guests.get_untracked(),
            lobby: lobby.get_untracked(),
        });
    };

    view! {
        <form on:submit=on_submit novalidate class="grid gap-3 sm:grid-cols-2" aria-label=if editing { "Edit meeting" } else { "New meeting" }>
            <div class="sm:col-span-2">
                <TextField label="Title" name="title" value=title error=field("title") id_prefix=prefix placeholder="Weekly sync" />
            </div>
            <TextField label="Starts (optional)" name="starts_at" kind="datetime-local" value=starts error=field("starts_at") id_prefix=prefix hint="Leave empty for a meeting that is always open." />
            <TextField label="Duration (minutes)" name="duration_minutes" kind="number" value=duration error=field("duration_minutes") id_prefix=prefix />
            <TextField
                label=if editing { "New password (optional)" } else { "Password (optional)" }
                name="password"
                kind="password"
                autocomplete="new-password"
                value=password
                error=field("password")
                id_prefix=prefix
                hint=if editing && has_password { "Leave empty to keep the current password." } else { "Guests will need it to join." }
            />
            <TextField label="Max participants" name="max_participants" kind="number" value=max error=field("max_participants") id_prefix=prefix />
            <div class="flex flex-wrap gap-4 sm:col-span-2">
                <CheckboxField label="Allow guests without an account" name="allow_guests" checked=allow_guests id_prefix=prefix />
                <CheckboxField label="Waiting room (host admits people)" name="lobby" checked=lobby id_prefix=prefix />
                {(editing && has_password).then(|| view! {
                    <CheckboxField label="Remove password" name="remove_password" checked=remove_password id_prefix=prefix />
                })}
            </div>
            <div class="sm:col-span-2"><FormError message=general /></div>
            <div class="flex gap-2 sm:col-span-2">
                <div class="w-full sm:w-48">
                    <SubmitButton pending=action.pending() idle=if editing { "Save changes" } else { "Create meeting" } busy="Saving…" />
                </div>
                {on_cancel.map(|cancel| view! {
                    <button type="button" class="rounded-lg px-4 py-2 text-sm font-medium hover:bg-slate-100 dark:hover:bg-slate-800" on:click=move |_| cancel.run(())>
                        "Cancel"
                    </button>
                })}
            </div>
        </form>
    }
    .into_any()
}
