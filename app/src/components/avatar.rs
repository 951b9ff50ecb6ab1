//! A person's face: their profile picture, or their initials on a coloured disc.

use leptos::prelude::*;

/// `class` sets the size (and text size for initials), e.g. `"h-20 w-20 text-2xl"`. The
/// picture is decorative: the name is always written next to it.
#[component]
pub fn Avatar(
    #[prop(into)] name: Signal<String>,
    #[prop(into)] url: Signal<Option<String>>,
    class: &'static str,
) -> impl IntoView {
    move || {
        match url.get() {
        Some(src) => view! {
            <img src=src alt="" class=format!("{class} shrink-0 rounded-full object-cover") data-testid="avatar-image" />
        }
        .into_any(),
        None => view! {
            <span class=format!("{class} flex shrink-0 items-center justify-center rounded-full bg-indigo-600 font-semibold text-white") aria-hidden="true" data-testid="avatar-initials">
                {protocol::initials(&name.get())}
            </span>
        }
        .into_any(),
    }
    }
}
