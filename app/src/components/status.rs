//! Loading and message blocks.

use leptos::prelude::*;

#[component]
pub fn Loading(label: &'static str) -> impl IntoView {
    view! {
        <div class="flex items-center gap-3 py-8 text-slate-500 dark:text-slate-400" role="status" aria-live="polite">
            <span class="h-5 w-5 animate-spin rounded-full border-2 border-slate-300 border-t-indigo-600" aria-hidden="true"></span>
            {label}
        </div>
    }
}

#[component]
pub fn Notice(title: String, #[prop(optional)] children: Option<Children>) -> impl IntoView {
    view! {
        <div class="rounded-xl border border-slate-200 bg-white p-6 shadow-sm dark:border-slate-800 dark:bg-slate-900">
            <h1 class="text-xl font-semibold">{title}</h1>
            <div class="mt-2 text-slate-600 dark:text-slate-400">{children.map(|c| c())}</div>
        </div>
    }
}
