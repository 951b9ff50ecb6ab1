//! Who is signed in: one resource for the whole app, refetched after sign-in and sign-out.

use crate::api::{UiError, current_user};
use leptos::prelude::*;
use protocol::User;

#[derive(Clone, Copy)]
pub struct AuthState {
    pub user: Resource<Result<Option<User>, UiError>>,
    /// The profile as last changed on this page (picture, name): shown in the header without
    /// refetching `user`, which would rebuild every page that waits on it.
    edited: RwSignal<Option<User>>,
}

impl AuthState {
    pub fn provide() -> Self {
        let state = Self {
            user: Resource::new(|| (), |_| current_user()),
            edited: RwSignal::new(None),
        };
        provide_context(state);
        state
    }

    pub fn get() -> Self {
        expect_context::<Self>()
    }

    /// Whether someone is signed in (reactive; false while unknown).
    pub fn signed_in(&self) -> bool {
        self.user.get().and_then(|r| r.ok()).flatten().is_some()
    }

    pub fn refetch(&self) {
        self.edited.set(None);
        self.user.refetch();
    }

    /// The signed-in user changed their profile.
    pub fn edited(&self, user: User) {
        self.edited.set(Some(user));
    }

    /// `user` as fetched, with this page's later edits of the same account.
    pub fn latest(&self, user: User) -> User {
        self.edited
            .get()
            .filter(|edited| edited.id == user.id)
            .unwrap_or(user)
    }
}

/// Only same-site paths are allowed as a post-sign-in destination (no open redirects). Checked
/// after removing what browsers strip from URLs (tabs and newlines), so `/\t/evil.example`
/// cannot turn into `//evil.example`.
pub fn safe_next(next: Option<String>) -> String {
    let cleaned = next.map(|n| {
        n.chars()
            .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
            .collect::<String>()
    });
    match cleaned {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(char::is_control) =>
        {
            n
        }
        _ => "/dashboard".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_must_stay_on_site() {
        assert_eq!(
            safe_next(Some("/meeting/abc-defg-hij".into())),
            "/meeting/abc-defg-hij"
        );
        assert_eq!(safe_next(Some("//evil.example".into())), "/dashboard");
        assert_eq!(safe_next(Some("https://evil.example".into())), "/dashboard");
        assert_eq!(safe_next(None), "/dashboard");
        assert_eq!(safe_next(Some("/\t/evil.example".into())), "/dashboard");
        assert_eq!(safe_next(Some("/\n/evil.example".into())), "/dashboard");
        assert_eq!(safe_next(Some("/\\evil.example".into())), "/dashboard");
        assert_eq!(safe_next(Some("/dash\u{0}board".into())), "/dashboard");
        assert_eq!(safe_next(Some("/dash\tboard".into())), "/dashboard");
    }
}
