//! "Your profile" on the dashboard: the picture others see when your camera is off, and the
//! name they see on your tile.

use crate::api::{UiError, remove_avatar, update_me};
use crate::components::avatar::Avatar;
use crate::components::form::TextField;
use crate::state::auth::AuthState;
use leptos::prelude::*;
use protocol::{UpdateMeRequest, User};

const BUTTON: &str = "inline-flex cursor-pointer items-center rounded-lg border border-slate-300 px-3 py-1.5 text-sm font-medium hover:bg-slate-50 disabled:cursor-wait disabled:opacity-60 dark:border-slate-700 dark:hover:bg-slate-800";

#[component]
pub fn ProfileCard(user: User) -> impl IntoView {
    let auth = AuthState::get();
    let avatar = RwSignal::new(user.avatar.clone());
    let shown_name = RwSignal::new(user.display_name.clone());
    let name = RwSignal::new(user.display_name.clone());
    let uploading = RwSignal::new(false);
    let picture_error = RwSignal::new(None::<String>);
    let name_error = RwSignal::new(None::<String>);
    let done = RwSignal::new(None::<&'static str>);

    let remove = Action::new(|_: &()| remove_avatar());
    let rename = Action::new(|name: &String| {
        update_me(UpdateMeRequest {
            display_name: Some(name.clone()),
            theme: None,
        })
    });
    let took = move |result: Result<User, UiError>, message: &'static str| match result {
        Ok(user) => {
            avatar.set(user.avatar.clone());
            shown_name.set(user.display_name.clone());
            picture_error.set(None);
            done.set(Some(message));
            auth.edited(user);
        }
        Err(e) => {
            picture_error.set(Some(e.message()));
            done.set(None);
        }
    };
    Effect::new(move |_| {
        if let Some(result) = remove.value().get() {
            took(result, "Picture removed.");
        }
    });
    Effect::new(move |_| match rename.value().get() {
        Some(Ok(user)) => {
            shown_name.set(user.display_name.clone());
            name_error.set(None);
            done.set(Some("Name saved."));
            auth.edited(user);
        }
        Some(Err(e)) => name_error.set(Some(e.field("display_name").unwrap_or(e.message()))),
        None => {}
    });
    let chosen = move |_ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let input: web_sys::HtmlInputElement = _ev
                .target()
                .and_then(|t| t.dyn_into().ok())
                .expect("the change event comes from the file input");
            let Some(file) = input.files().and_then(|files| files.get(0)) else {
                return;
            };
            input.set_value("");
            uploading.set(true);
            done.set(None);
            leptos::task::spawn_local(async move {
                let result = crate::api::upload::put_avatar(&file).await;
                uploading.set(false);
                took(result, "Picture updated.");
            });
        }
    };

    view! {
        <section class="rounded-xl border border-slate-200 bg-white p-6 shadow-sm dark:border-slate-800 dark:bg-slate-900" aria-labelledby="profile-heading">
            <h2 id="profile-heading" class="mb-4 text-lg font-semibold">"Your profile"</h2>
            <div class="flex flex-col gap-6 sm:flex-row sm:items-start">
                <div class="flex items-center gap-4">
                    <div class="relative" data-testid="profile-avatar">
                        <Avatar name=shown_name url=avatar class="h-20 w-20 text-2xl" />
                        <Show when=move || uploading.get()>
                            <span class="absolute inset-0 flex items-center justify-center rounded-full bg-black/50" aria-hidden="true">
                                <span class="h-6 w-6 animate-spin rounded-full border-2 border-white/40 border-t-white"></span>
                            </span>
                        </Show>
                    </div>
                    <div class="space-y-2">
                        <div class="flex flex-wrap gap-2">
                            <input
                                id="avatar-file"
                                type="file"
                                accept="image/png,image/jpeg,image/webp"
                                class="peer sr-only"
                                disabled=move || uploading.get()
                                on:change=chosen
                                aria-describedby="avatar-hint avatar-error"
                            />
                            <label for="avatar-file" class=format!("{BUTTON} peer-focus-visible:ring-2 peer-focus-visible:ring-indigo-500")>
                                {move || if uploading.get() { "Uploading…" } else if avatar.with(Option::is_some) { "Change picture" } else { "Upload picture" }}
                            </label>
                            <Show when=move || avatar.with(Option::is_some)>
                                <button type="button" class=BUTTON disabled=move || remove.pending().get() on:click=move |_| { remove.dispatch(()); }>
                                    "Remove"
                                </button>
                            </Show>
                        </div>
                        <p id="avatar-hint" class="text-xs text-slate-500 dark:text-slate-400">"PNG, JPEG or WebP, up to 5 MB. Shown when your camera is off."</p>
                        <p id="avatar-error" class="text-sm text-red-600 dark:text-red-400" role="alert" data-testid="avatar-error">{move || picture_error.get()}</p>
                    </div>
                </div>
                <form
                    class="flex flex-1 items-end gap-2"
                    on:submit=move |ev| {
                        ev.prevent_default();
                        rename.dispatch(name.get_untracked());
                    }
                >
                    <div class="flex-1">
                        <TextField label="Display name" name="display_name" id_prefix="profile-" value=name error=name_error autocomplete="name" />
                    </div>
                    <button type="submit" class=format!("{BUTTON} mb-6") disabled=move || rename.pending().get()>"Save name"</button>
                </form>
            </div>
            <p class="text-sm text-emerald-700 dark:text-emerald-400" role="status">{move || done.get()}</p>
        </section>
    }
}
