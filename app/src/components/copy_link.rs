//! "Copy link": puts a meeting's join link on the clipboard and says whether it worked. Where
//! the browser refuses (no permission, not a secure page), the link is shown to copy by hand.

use leptos::prelude::*;

#[derive(Clone, Copy, PartialEq)]
enum Outcome {
    Idle,
    Done,
    Failed,
}

/// How long "Link copied" stays.
const SHOWN: std::time::Duration = std::time::Duration::from_secs(3);

/// A button that copies `link` (`None`: this page's address, without its query).
#[component]
pub fn CopyLink(
    #[prop(optional)] link: Option<String>,
    class: &'static str,
    testid: &'static str,
) -> impl IntoView {
    let status = RwSignal::new(Outcome::Idle);
    let link = StoredValue::new(link);
    let click = move |_| {
        let text = link.get_value().unwrap_or_else(this_page);
        leptos::task::spawn_local(async move {
            if write(&text).await {
                status.set(Outcome::Done);
                set_timeout(move || status.set(Outcome::Idle), SHOWN);
            } else {
                status.set(Outcome::Failed);
            }
        });
    };
    let label = move || match status.get() {
        Outcome::Done => "Link copied",
        Outcome::Idle | Outcome::Failed => "Copy link",
    };
    view! {
        <span class="inline-flex flex-wrap items-center gap-2">
            <button type="button" class=class on:click=click data-testid=testid>{label}</button>
            <span class="sr-only" role="status" aria-live="polite">
                {move || (status.get() == Outcome::Done).then_some("Link copied")}
            </span>
            <Show when=move || status.get() == Outcome::Failed>
                <span class="text-sm" role="alert" data-testid="copy-failed">
                    "Couldn't copy. The link: "
                    <span class="select-all font-mono">{move || link.get_value().unwrap_or_else(this_page)}</span>
                </span>
            </Show>
        </span>
    }
}

/// This page's address without query or fragment (a meeting page's is its join link).
fn this_page() -> String {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        let location = window.location();
        if let (Ok(origin), Ok(path)) = (location.origin(), location.pathname()) {
            return format!("{origin}{path}");
        }
    }
    String::new()
}

/// Whether the clipboard took `text`.
async fn write(text: &str) -> bool {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        let promise = window.navigator().clipboard().write_text(text);
        return wasm_bindgen_futures::JsFuture::from(promise).await.is_ok();
    }
    let _ = text;
    false
}
