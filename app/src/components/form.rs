//! Form controls with labels, inline field errors and accessible error wiring.

use leptos::prelude::*;

const INPUT: &str = "mt-1 block w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-slate-900 shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500/40 aria-[invalid=true]:border-red-500 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100";

/// A labelled input bound to `value`, with the server's message for `name` under it.
#[component]
pub fn TextField(
    label: &'static str,
    name: &'static str,
    value: RwSignal<String>,
    #[prop(into)] error: Signal<Option<String>>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(default = "off")] autocomplete: &'static str,
    #[prop(optional)] id_prefix: &'static str,
    #[prop(optional)] hint: &'static str,
    #[prop(optional)] placeholder: &'static str,
) -> impl IntoView {
    let id = format!("{id_prefix}{name}");
    let error_id = format!("{id}-error");
    let (label_for, described_by) = (id.clone(), error_id.clone());
    let has_error = move || error.get().is_some();
    view! {
        <div>
            <label for=label_for class="block text-sm font-medium">{label}</label>
            <input
                id=id
                name=name
                type=kind
                autocomplete=autocomplete
                placeholder=placeholder
                class=INPUT
                aria-invalid=move || has_error().to_string()
                aria-describedby=described_by
                // A page without the app shows errors after a full load: the first field in
                // error gets the focus (and a screen reader its message).
                autofocus=has_error
                // The value as rendered by the server (a light page has no app to set the
                // property); never a password.
                value=(kind != "password").then(|| value.get_untracked())
                bind:value=value
            />
            {(!hint.is_empty()).then(|| view! { <p class="mt-1 text-xs text-slate-500 dark:text-slate-400">{hint}</p> })}
            <p id=error_id class="mt-1 min-h-[1rem] text-sm text-red-600 dark:text-red-400" role="alert">
                {move || error.get()}
            </p>
        </div>
    }
}

#[component]
pub fn CheckboxField(
    label: &'static str,
    name: &'static str,
    checked: RwSignal<bool>,
    #[prop(optional)] id_prefix: &'static str,
) -> impl IntoView {
    let id = format!("{id_prefix}{name}");
    let label_for = id.clone();
    view! {
        <label for=label_for class="flex items-center gap-2 text-sm">
            <input id=id name=name type="checkbox" class="h-4 w-4 rounded border-slate-300" bind:checked=checked />
            {label}
        </label>
    }
}

/// A form-level error (one not tied to a field).
#[component]
pub fn FormError(#[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    view! {
        <Show when=move || message.get().is_some()>
            // Focused when a page without the app loads with it (see `TextField`).
            <div class="rounded-lg border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800 dark:border-red-800 dark:bg-red-950 dark:text-red-200" role="alert" tabindex="-1" autofocus data-testid="form-error">
                {move || message.get()}
            </div>
        </Show>
    }
}

/// A submit button that shows progress and cannot be pressed twice.
#[component]
pub fn SubmitButton(
    #[prop(into)] pending: Signal<bool>,
    idle: &'static str,
    busy: &'static str,
) -> impl IntoView {
    view! {
        <button
            type="submit"
            class="inline-flex w-full items-center justify-center gap-2 rounded-lg bg-indigo-600 px-4 py-2 font-medium text-white shadow hover:bg-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500/50 disabled:cursor-wait disabled:opacity-70"
            disabled=move || pending.get()
            aria-busy=move || pending.get().to_string()
            // Shown while a page without the app sends the form (`light::SCRIPT`).
            data-busy=busy
        >
            <Show when=move || pending.get()>
                <span class="h-4 w-4 animate-spin rounded-full border-2 border-white/40 border-t-white" aria-hidden="true"></span>
            </Show>
            {move || if pending.get() { busy } else { idle }}
        </button>
    }
}
