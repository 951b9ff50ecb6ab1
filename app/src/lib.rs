//! Video Meet UI: the HTML shell, the `App` component and its routes.
// Leptos view types nest deeply; the default limit (128) is too low for the SSR futures.
#![recursion_limit = "256"]

pub mod api;
pub mod call;
pub mod components;
pub mod csp;
pub mod light;
pub mod pages;
pub mod poll;
pub mod state;
pub mod theme;
pub mod time;

use components::header::Header;
use leptos::prelude::*;
use leptos_meta::{MetaTags, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{ParamSegment, SsrMode, StaticSegment};
use pages::{
    auth::{LoginPage, RegisterPage},
    dashboard::DashboardPage,
    home::HomePage,
    meeting::MeetingPage,
    not_found::NotFound,
};

/// The HTML document around the app (server side only).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    csp::set_header();
    let light = light::is_light_page();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <script nonce=leptos::nonce::use_nonce() inner_html=theme::THEME_SCRIPT></script>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                // In the shell, not via leptos_meta's <Stylesheet> in App: that one breaks
                // hydration in Leptos 0.8 (leptos-rs/leptos#3945).
                <link rel="stylesheet" id="leptos" href="/pkg/video-meet.css" />
                <AutoReload options=options.clone() />
                {(!light).then(|| view! { <HydrationScripts options /> })}
                <MetaTags />
            </head>
            <body class="min-h-screen bg-slate-50 text-slate-900 dark:bg-slate-950 dark:text-slate-100">
                <App />
                {light.then(|| view! { <script nonce=leptos::nonce::use_nonce() inner_html=light::SCRIPT></script> })}
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    state::auth::AuthState::provide();

    view! {
        <Title formatter=|text: String| if text.is_empty() { "Video Meet".to_string() } else { format!("{text} · Video Meet") } />
        <Router>
            <a href="#main" class="sr-only focus:not-sr-only focus:absolute focus:m-2 focus:rounded focus:bg-white focus:p-2">
                "Skip to content"
            </a>
            <Header />
            <main id="main" class="mx-auto w-full max-w-5xl px-4 py-8 sm:px-6">
                <Routes fallback=NotFound>
                    // Light pages (`light`): rendered whole before sending, since no script
                    // moves streamed parts into place.
                    <Route path=StaticSegment("") view=HomePage ssr=SsrMode::Async />
                    <Route path=StaticSegment("login") view=LoginPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("register") view=RegisterPage ssr=SsrMode::Async />
                    // Async: the server resolves the session first, so signed-out visitors
                    // get a real redirect instead of a flash of the page.
                    <Route path=StaticSegment("dashboard") view=DashboardPage ssr=SsrMode::Async />
                    <Route path=(StaticSegment("meeting"), ParamSegment("code")) view=MeetingPage />
                </Routes>
            </main>
        </Router>
    }
}
