//! A `<time>` that shows UTC when server-rendered and the viewer's local time once hydrated.

use crate::time::utc_text;
use leptos::prelude::*;

#[component]
pub fn LocalTime(iso: String) -> impl IntoView {
    let text = RwSignal::new(utc_text(&iso));
    let source = iso.clone();
    // Effects run only in the browser, after hydration, so the first render matches the server.
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(local) = crate::time::local_text(&source) {
            text.set(local);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = &source;
    });
    view! { <time datetime=iso>{text}</time> }
}
