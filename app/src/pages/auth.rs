//! Sign-in and registration pages.

use crate::api::{Login, Register};
use crate::components::form::{FormError, SubmitButton, TextField};
use crate::state::auth::{AuthState, safe_next};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{A, Redirect};
use leptos_router::hooks::{use_navigate, use_query_map};
use protocol::User;

const CARD: &str = "mx-auto max-w-md rounded-xl border border-slate-200 bg-white p-6 shadow-sm dark:border-slate-800 dark:bg-slate-900";

type AuthResult = Option<Result<User, crate::api::UiError>>;

/// The action's result as this page may show it. Rendered on the server (a light page), a
/// failure comes from the URL (`__err`, see `api::ssr::form_answer`); it is shown only when
/// the request also carried the cookie a failed post of this browser sets (`after_post`), so
/// a link cannot make the page say something of its author's choosing.
fn outcome(value: MappedSignal<AuthResult>, after_post: bool) -> Signal<AuthResult> {
    let trusted = cfg!(not(feature = "ssr")) || after_post;
    Signal::derive(move || value.get().filter(|r| trusted || r.is_ok()))
}

/// Field and form-level errors derived from an auth action's result.
fn errors(
    result: Signal<AuthResult>,
) -> (
    impl Fn(&'static str) -> Signal<Option<String>> + Copy,
    Signal<Option<String>>,
) {
    let field = move |name: &'static str| {
        Signal::derive(move || {
            result
                .get()
                .and_then(|r| r.err())
                .and_then(|e| e.field(name))
        })
    };
    let general = Signal::derive(move || {
        result
            .get()
            .and_then(|r| r.err())
            .filter(|e| e.0.fields.is_empty())
            .map(|e| e.message())
    });
    (field, general)
}

/// After success: refresh who is signed in and go where the visitor was heading. (Posted
/// without the app, from a light page, the server function sends the browser there itself.)
fn on_success(result: Signal<AuthResult>) {
    let auth = AuthState::get();
    let navigate = use_navigate();
    let query = use_query_map();
    Effect::new(move |_| {
        if let Some(Ok(_)) = result.get() {
            auth.refetch();
            let next = safe_next(query.with_untracked(|q| q.get("next")));
            navigate(&next, Default::default());
        }
    });
}

/// Someone already signed in has nothing to do on these pages: on to where they were heading
/// (the dashboard unless `next` says otherwise). On the server (a light page) this is a
/// redirect before anything is sent.
#[component]
fn SignedInGoesOn() -> impl IntoView {
    let auth = AuthState::get();
    let next = use_query_map().with_untracked(|q| q.get("next"));
    view! {
        <Transition fallback=|| ()>
            {move || auth.signed_in().then(|| view! { <Redirect path=safe_next(next.clone()) /> })}
        </Transition>
    }
}

/// Why a visitor sent here from a page that needs an account is asked to sign in (they used
/// to land on the form without a word).
#[component]
fn WhyHere() -> impl IntoView {
    let next = use_query_map().with_untracked(|q| q.get("next"));
    next.map(|next| {
        let why = if next.starts_with("/dashboard") {
            "Sign in to see your meetings."
        } else if next.starts_with("/meeting/") {
            "Sign in to join this meeting."
        } else {
            "Sign in to continue."
        };
        view! { <p class="mb-4 rounded-lg bg-indigo-50 px-3 py-2 text-sm text-indigo-900 dark:bg-indigo-950 dark:text-indigo-100" role="status" data-testid="why-sign-in">{why}</p> }
    })
}

/// Where to go after success, as a hidden field for a form posted without the app.
#[component]
fn NextField() -> impl IntoView {
    let next = use_query_map().with_untracked(|q| q.get("next"));
    next.map(|next| view! { <input type="hidden" name="next" value=next /> })
}

/// A field's value as typed before a failed post without the app (else empty).
fn typed(echo: Option<&[(String, String)]>, name: &str) -> RwSignal<String> {
    let value = echo
        .into_iter()
        .flatten()
        .find(|(field, _)| field == name)
        .map(|(_, value)| value.clone())
        .unwrap_or_default();
    RwSignal::new(value)
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<Login>::new();
    let echo = crate::api::form_echo();
    let result = outcome(action.value(), echo.is_some());
    on_success(result);
    let (field, general) = errors(result);
    let (email, password) = (
        typed(echo.as_deref(), "email"),
        RwSignal::new(String::new()),
    );
    view! {
        <SignedInGoesOn />
        <Title text="Sign in" />
        <section class=CARD>
            <h1 class="mb-4 text-2xl font-semibold">"Sign in"</h1>
            <WhyHere />
            <ActionForm action=action attr:novalidate=true attr:class="space-y-2">
                <TextField label="Email" name="email" kind="email" autocomplete="email" value=email error=field("email") />
                <TextField label="Password" name="password" kind="password" autocomplete="current-password" value=password error=field("password") />
                <NextField />
                <FormError message=general />
                <SubmitButton pending=action.pending() idle="Sign in" busy="Signing in…" />
            </ActionForm>
            <p class="mt-4 text-sm">"New here? " <A href="/register" attr:class="text-indigo-600 dark:text-indigo-400 underline">"Create an account"</A></p>
        </section>
    }
}

#[component]
pub fn RegisterPage() -> impl IntoView {
    let action = ServerAction::<Register>::new();
    let echo = crate::api::form_echo();
    let result = outcome(action.value(), echo.is_some());
    on_success(result);
    let (field, general) = errors(result);
    let (email, password, name) = (
        typed(echo.as_deref(), "email"),
        RwSignal::new(String::new()),
        typed(echo.as_deref(), "display_name"),
    );
    view! {
        <SignedInGoesOn />
        <Title text="Create account" />
        <section class=CARD>
            <h1 class="mb-4 text-2xl font-semibold">"Create your account"</h1>
            <ActionForm action=action attr:novalidate=true attr:class="space-y-2">
                <TextField label="Your name" name="display_name" autocomplete="name" value=name error=field("display_name") />
                <TextField label="Email" name="email" kind="email" autocomplete="email" value=email error=field("email") />
                <TextField label="Password" name="password" kind="password" autocomplete="new-password" value=password error=field("password") hint="At least 8 characters." />
                <NextField />
                <FormError message=general />
                <SubmitButton pending=action.pending() idle="Create account" busy="Creating account…" />
            </ActionForm>
            <p class="mt-4 text-sm">"Already have an account? " <A href="/login" attr:class="text-indigo-600 dark:text-indigo-400 underline">"Sign in"</A></p>
        </section>
    }
}
