//! Light and dark. The choice (system, light or dark) is kept in this browser's storage and,
//! for a signed-in user, in the profile, so it follows them to other devices. `<html>` gets
//! the `dark` class before the first paint (`THEME_SCRIPT`, inline with the page's CSP
//! nonce), so a dark page never flashes light.

use crate::api::update_me;
use crate::state::auth::AuthState;
use leptos::prelude::*;
use protocol::{Theme, UpdateMeRequest};

/// Runs in `<head>` before anything is drawn: the stored choice, else the system's.
pub const THEME_SCRIPT: &str = "(()=>{try{var t=localStorage.getItem('vm_theme')||'system';\
var d=t==='dark'||(t==='system'&&matchMedia('(prefers-color-scheme: dark)').matches);\
document.documentElement.classList.toggle('dark',d);document.documentElement.dataset.theme=t}catch(e){}})()";

/// This browser's choice.
pub fn current() -> Theme {
    #[cfg(feature = "hydrate")]
    {
        web_sys::window()
            .and_then(|w| w.local_storage().ok().flatten())
            .and_then(|s| s.get_item("vm_theme").ok().flatten())
            .and_then(|t| Theme::parse(&t))
            .unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    Theme::System
}

/// Remembers `theme` in this browser and applies it to the page.
pub fn apply(theme: Theme) {
    #[cfg(feature = "hydrate")]
    {
        let Some(window) = web_sys::window() else {
            return;
        };
        if let Ok(Some(storage)) = window.local_storage() {
            let _ = storage.set_item("vm_theme", theme.as_str());
        }
        let system_dark = window
            .match_media("(prefers-color-scheme: dark)")
            .ok()
            .flatten()
            .is_some_and(|m| m.matches());
        let dark = theme == Theme::Dark || (theme == Theme::System && system_dark);
        if let Some(html) = window.document().and_then(|d| d.document_element()) {
            let _ = html.class_list().toggle_with_force("dark", dark);
            let _ = html.set_attribute("data-theme", theme.as_str());
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = theme;
}

fn label(theme: Theme) -> &'static str {
    match theme {
        Theme::System => "Theme: system",
        Theme::Light => "Theme: light",
        Theme::Dark => "Theme: dark",
    }
}

/// Cycles system → light → dark; a signed-in user's choice is saved to the profile. On
/// sign-in the profile's choice wins over this browser's.
#[component]
pub fn ThemeToggle() -> impl IntoView {
    let auth = AuthState::get();
    // The server renders "system"; the browser knows better once hydrated.
    let theme = RwSignal::new(Theme::System);
    Effect::new(move |_| theme.set(current()));
    Effect::new(move |_| {
        if let Some(Ok(Some(user))) = auth.user.get()
            && user.theme != current()
        {
            apply(user.theme);
            theme.set(user.theme);
        }
    });
    let toggle = move |_| {
        let next = theme.get_untracked().next();
        theme.set(next);
        apply(next);
        let signed_in = auth
            .user
            .get_untracked()
            .is_some_and(|u| matches!(u, Ok(Some(_))));
        if signed_in {
            leptos::task::spawn_local(async move {
                let request = UpdateMeRequest {
                    display_name: None,
                    theme: Some(next),
                };
                if update_me(request).await.is_ok() {
                    auth.refetch();
                }
            });
        }
    };
    view! {
        <button
            type="button"
            class="rounded-lg px-3 py-2 text-sm font-medium hover:bg-slate-100 focus:outline-none focus:ring-2 focus:ring-indigo-500/50 dark:hover:bg-slate-800"
            data-testid="theme-toggle"
            data-theme=move || theme.get().as_str()
            aria-label=move || format!("{}. Change theme", label(theme.get()))
            title=move || label(theme.get())
            on:click=toggle
        >
            {move || match theme.get() {
                Theme::System => "◐",
                Theme::Light => "☀",
                Theme::Dark => "☾",
            }}
        </button>
    }
}
