//! Top bar: brand, and either the signed-in user with sign-out or the sign-in links.

use crate::api::Logout;
use crate::components::avatar::Avatar;
use crate::state::auth::AuthState;
use crate::theme::ThemeToggle;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

const LINK: &str = "rounded-lg px-3 py-2 text-sm font-medium hover:bg-slate-100 focus:outline-none focus:ring-2 focus:ring-indigo-500/50 dark:hover:bg-slate-800";

#[component]
pub fn Header() -> impl IntoView {
    let auth = AuthState::get();
    let logout = ServerAction::<Logout>::new();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(())) = logout.value().get() {
            auth.refetch();
            navigate("/", Default::default());
        }
    });

    view! {
        <header class="border-b border-slate-200 bg-white/80 backdrop-blur dark:border-slate-800 dark:bg-slate-900/80">
            <div class="mx-auto flex max-w-5xl flex-wrap items-center justify-between gap-2 px-4 py-3 sm:px-6">
                <A href="/" attr:class="flex items-center gap-2 text-lg font-semibold">
                    <span class="inline-block h-6 w-6 rounded-md bg-indigo-600" aria-hidden="true"></span>
                    "Video Meet"
                </A>
                <nav aria-label="Account" class="flex items-center gap-1">
                    <ThemeToggle />
                    <Transition fallback=|| ()>
                        {move || {
                            auth.user
                                .get()
                                .map(|result| match result {
                                    Ok(Some(user)) => {
                                        let user = auth.latest(user);
                                        view! {
                                            <A href="/dashboard" attr:class=LINK>"Dashboard"</A>
                                            // The profile's theme, for the toggle of a page without the app (`light`).
                                            <span class="flex items-center gap-2 px-2" data-profile-theme=user.theme.as_str()>
                                                <Avatar name=user.display_name.clone() url=user.avatar.clone() class="h-7 w-7 text-xs" />
                                                <span class="hidden text-sm text-slate-500 dark:text-slate-400 sm:inline" data-testid="current-user">
                                                    {user.display_name}
                                                </span>
                                            </span>
                                            <ActionForm action=logout>
                                                <button type="submit" class=LINK disabled=move || logout.pending().get()>
                                                    "Sign out"
                                                </button>
                                            </ActionForm>
                                        }
                                            .into_any()
                                    }
                                    _ => {
                                        view! {
                                            <A href="/login" attr:class=LINK>"Sign in"</A>
                                            <A href="/register" attr:class=format!("{LINK} bg-indigo-600 text-white hover:bg-indigo-500")>
                                                "Create account"
                                            </A>
                                        }
                                            .into_any()
                                    }
                                })
                        }}
                    </Transition>
                </nav>
            </div>
        </header>
    }
}
