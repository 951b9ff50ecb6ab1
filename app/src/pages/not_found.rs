//! 404 page.

use crate::components::status::Notice;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page not found" />
        <Notice title="Page not found".to_string()>
            <p>"There is nothing at this address. " <A href="/" attr:class="text-indigo-600 dark:text-indigo-400 underline">"Go home"</A></p>
        </Notice>
    }
}
