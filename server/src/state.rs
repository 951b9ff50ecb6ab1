//! `AppState`: what every handler can reach (database, config, token keys, throttle).

use crate::auth::password::PasswordHasher;
use crate::auth::throttle::Throttle;
use crate::auth::tokens::TokenKeys;
use crate::config::Config;
use crate::db::Db;
use crate::rooms::Rooms;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use metrics_exporter_prometheus::PrometheusHandle;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    /// Shared, not cloned with the state: every clone of a SurrealDB handle opens a session
    /// of its own in the engine (a UUID, a copy of the session and its maps, and an event
    /// each way), and axum clones the state several times per request.
    pub db: Arc<Db>,
    /// Chat messages are stored through one task, many per commit.
    pub chat: crate::chat_store::ChatStore,
    pub config: Arc<Config>,
    pub keys: Arc<TokenKeys>,
    pub hasher: PasswordHasher,
    /// Guesses: sign-in, registration, meeting passwords, unknown codes.
    pub throttle: Throttle,
    /// Plain request rate of registration, meeting look-ups and join steps.
    pub rate: Throttle,
    /// Open `/ws` sockets per client address and in total.
    pub sockets: crate::signal::limit::Sockets,
    /// Password checks in progress per address and per account or meeting.
    pub in_flight: crate::auth::in_flight::InFlight,
    pub rooms: Rooms,
    /// Profile-picture uploads whose body is being read into memory at once (each up to
    /// `avatar::MAX_BYTES`): a place is taken before the body is read.
    pub avatar_uploads: Arc<tokio::sync::Semaphore>,
    /// Invitation mail (off without `--smtp-url`).
    pub mail: crate::mail::Outbox,
    pub leptos: LeptosOptions,
    pub metrics: PrometheusHandle,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}

impl AppState {
    pub fn sessions(&self) -> crate::auth::session::Sessions<'_> {
        crate::auth::session::Sessions {
            db: &self.db,
            keys: &self.keys,
            refresh_ttl_secs: self.config.refresh_ttl_secs,
            lifetime_secs: self.config.session_lifetime_secs,
            grace_secs: self.config.refresh_grace_secs,
        }
    }

    pub fn cookie_policy(&self) -> crate::auth::cookies::CookiePolicy {
        crate::auth::cookies::CookiePolicy {
            secure: self.config.cookies_secure(),
            access_ttl_secs: self.config.access_ttl_secs,
        }
    }
}
