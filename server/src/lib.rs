//! Video Meet server library: configuration, storage, accounts, meetings and the HTTP app.
//! `main.rs` is a thin wrapper; integration tests start servers through [`spawn`].
// Leptos view types nest deeply; the default limit (128) is too low for the SSR futures.
#![recursion_limit = "256"]

pub mod attendance;
pub mod auth;
pub mod avatar;
pub mod chat_store;
pub mod config;
pub mod db;
pub mod error;
pub mod http;
pub mod ids;
pub mod mail;
pub mod meetings;
pub mod rooms;
pub mod sfu;
pub mod signal;
pub mod state;
pub mod telemetry;
pub mod tls;
pub mod turn;

use auth::client_addr::TrustProxy;
use axum::http::{HeaderName, HeaderValue};
use axum::{Extension, Router, middleware};
use config::Config;
use leptos::config::{Env, LeptosOptions};
use leptos::prelude::provide_context;
use leptos_axum::LeptosRoutes;
use state::AppState;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("database: {0}")]
    Db(#[from] db::DbError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot open the SFU's media socket on {addr}: {source}")]
    Media {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("configuration: {0}")]
    Config(String),
    #[error("TLS certificate or key: {0}")]
    Tls(std::io::Error),
    #[error("token secret: {0}")]
    Secret(std::io::Error),
    #[error("server: {0}")]
    Serve(std::io::Error),
}

/// Where the browser bundle is: the `LEPTOS_*` variables (scripts/env.sh) when present,
/// otherwise the repo layout, so `target/release/video-meet` started by hand finds its files.
fn leptos_options(config: &Config) -> LeptosOptions {
    let var = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.into());
    let env = match var("LEPTOS_ENV", "PROD").to_ascii_uppercase().as_str() {
        "DEV" | "DEVELOPMENT" => Env::DEV,
        _ => Env::PROD,
    };
    LeptosOptions::builder()
        .output_name(var("LEPTOS_OUTPUT_NAME", "video-meet"))
        .site_root(var("LEPTOS_SITE_ROOT", "target/site"))
        .site_pkg_dir(var("LEPTOS_SITE_PKG_DIR", "pkg"))
        .env(env)
        .site_addr(config.addr)
        .build()
}

/// Opens the database and assembles the shared state.
pub async fn build_state(config: Config) -> Result<AppState, StartError> {
    // First: the SFU and others take their metric handles when they start, and a handle taken
    // before the recorder exists records nothing.
    let metrics = telemetry::metrics_handle();
    let db = db::connect(
        &config.db,
        config.db_user.as_deref(),
        config.db_password.as_deref(),
    )
    .await?;
    let secret = auth::secret::load_or_create(config.secret.as_deref(), &config.data_dir)
        .map_err(StartError::Secret)?;
    let rooms = rooms::Rooms::new(
        Duration::from_secs(config.resume_secs),
        config.p2p_max as usize,
    );
    let deliver_to = rooms.clone();
    let candidate_config = config.clone();
    let sfu = sfu::Sfu::start(
        config.media_addr,
        config.media_tcp(),
        config.sfu_forwarding,
        move |bound| candidate_config.media_candidates(bound),
        Box::new(move |code, peer, msg| deliver_to.deliver(&code, &peer, msg)),
    )
    .await
    .map_err(|source| StartError::Media {
        addr: config.media_addr,
        source,
    })?;
    rooms.set_sfu(sfu);
    let mailer = match (&config.smtp_url, &config.smtp_from) {
        (Some(url), Some(from)) => Some(mail::Mailer::new(url, from).map_err(StartError::Config)?),
        _ => None,
    };
    let mail = mail::Outbox::new(
        mailer,
        config.reminder_minutes,
        config.public_url(),
        mail::UpdatePacing {
            delay: chrono::Duration::seconds(config.mail_update_delay_secs as i64),
            spacing: chrono::Duration::seconds(config.mail_update_spacing_secs as i64),
            per_host_per_hour: config.mail_per_host_per_hour,
            per_hour: config.mail_per_hour,
        },
    );
    let (presence, presence_rx) = tokio::sync::mpsc::channel(rooms::PRESENCE_QUEUE);
    rooms.set_presence(presence);
    tokio::spawn(attendance::write_forever(db.clone(), presence_rx));
    Ok(AppState {
        chat: chat_store::ChatStore::start(db.clone()),
        avatar_uploads: Arc::new(tokio::sync::Semaphore::new(http::avatars::UPLOADS_AT_ONCE)),
        db: Arc::new(db),
        keys: Arc::new(auth::tokens::TokenKeys::new(
            &secret,
            config.access_ttl_secs,
        )),
        hasher: auth::password::PasswordHasher::new(config.argon2_memory_kib, config.hash_queue),
        throttle: auth::throttle::Throttle::new(
            auth::throttle::Budgets {
                per_addr: config.auth_failures_max,
                per_target: config.auth_failures_per_target,
            },
            Duration::from_secs(config.auth_window_secs),
        ),
        in_flight: auth::in_flight::InFlight::new(2),
        sockets: signal::limit::Sockets::new(config.ws_per_address, config.ws_max),
        rate: auth::throttle::Throttle::new(
            auth::throttle::Budgets {
                per_addr: config.rate_per_minute,
                per_target: config.rate_per_minute,
            },
            Duration::from_secs(60),
        ),
        rooms,
        mail,
        leptos: leptos_options(&config),
        metrics,
        config: Arc::new(config),
    })
}

/// The whole HTTP application: REST API, ops routes, server functions and Leptos pages.
pub fn router(state: AppState) -> Router {
    let api = http::api_router(state.clone());
    // In-process calls skip the outer layers; the API still needs to know whether to trust
    // proxy headers for the client address.
    let in_process = app::api::ssr::InProcessApi::new(
        api.clone()
            .layer(Extension(TrustProxy(state.config.trusted_hops()))),
    );
    let context = move || provide_context(in_process.clone());
    let routes = leptos_axum::generate_route_list(app::App);
    let shell_options = state.leptos.clone();
    let pkg = state.leptos.site_pkg_dir.to_string();
    let pkg_files = std::path::Path::new(state.leptos.site_root.as_ref()).join(&pkg);
    Router::new()
        .nest_service("/api/v1", api)
        .nest_service(&format!("/{pkg}"), http::assets::service(pkg_files))
        .merge(http::ops_router())
        .route("/ws", axum::routing::get(signal::ws_handler))
        .route("/new", axum::routing::post(http::meetings::instant))
        .leptos_routes_with_context(&state, routes, context.clone(), move || {
            app::shell(shell_options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, app::shell))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::renew::renew_session,
        ))
        // Every state-changing request from outside: the API, the server functions, the
        // landing page's `POST /new`. (The API router keeps its own for in-process calls,
        // which skip these outer layers.)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            http::origin::refuse_foreign_origin,
        ))
        .layer(middleware::from_fn(telemetry::track_requests))
        .layer(Extension(TrustProxy(state.config.trusted_hops())))
        .layer(CompressionLayer::new())
        .layer(middleware::from_fn_with_state(
            http::limits::Limits::new(
                state.config.max_concurrent_requests,
                state.config.max_requests_per_address,
                Duration::from_secs(state.config.request_timeout_secs),
                Duration::from_secs(state.config.body_timeout_secs),
                state.config.trusted_hops(),
            ),
            http::limits::limit,
        ))
        .layer(TraceLayer::new_for_http().make_span_with(telemetry::request_span))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("x-content-type-options"),
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("x-frame-options"),
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("referrer-policy"),
            HeaderValue::from_static("same-origin"),
        ))
        // Served over https (the public URL says so): browsers must never fall back to http.
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("strict-transport-security"),
            state
                .config
                .public_url()
                .starts_with("https://")
                .then(|| HeaderValue::from_static("max-age=31536000")),
        ))
        .with_state(state)
}

/// A running server: its address, and a handle to stop it.
pub struct Running {
    pub addr: SocketAddr,
    pub state: AppState,
    shutdown: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    /// Periodic upkeep (the session sweep, the certificate watch); the sweep holds a database
    /// handle, so they end with us.
    upkeep: Vec<tokio::task::JoinHandle<()>>,
}

impl Running {
    /// Stops accepting, lets open requests finish, and waits.
    pub async fn stop(self) {
        if let Some(sfu) = self.state.rooms.sfu() {
            sfu.send(sfu::Command::Shutdown);
        }
        for task in &self.upkeep {
            task.abort();
        }
        let _ = self.shutdown.send(());
        let _ = self.task.await;
    }
}

/// Binds and starts serving in the background.
pub async fn spawn(mut config: Config) -> Result<Running, StartError> {
    config.check().map_err(StartError::Config)?;
    let wanted = config.addr;
    let listener = TcpListener::bind(wanted)
        .await
        .map_err(|source| StartError::Bind {
            addr: wanted,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| StartError::Bind {
        addr: wanted,
        source,
    })?;
    // With port 0 the OS picks the port: links and origin checks must use the real one.
    config.addr = addr;
    let tls = match config.tls_files() {
        Some(files) => Some((tls::load(&files).await.map_err(StartError::Tls)?, files)),
        None => None,
    };
    let state = build_state(config).await?;
    let mut upkeep = vec![tokio::spawn(auth::session::sweep_forever(
        db::Db::clone(&state.db),
        Duration::from_secs(3600),
    ))];
    upkeep.extend(state.mail.sender(db::Db::clone(&state.db)));
    let app = router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let (shutdown, rx) = tokio::sync::oneshot::channel::<()>();
    let task = match tls {
        None => tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await
        }),
        Some((tls_config, files)) => {
            upkeep.push(tokio::spawn(tls::watch(tls_config.clone(), files)));
            let listener = listener.into_std().map_err(StartError::Serve)?;
            let server =
                axum_server::from_tcp_rustls(listener, tls_config).map_err(StartError::Serve)?;
            let handle = axum_server::Handle::new();
            let stopper = handle.clone();
            tokio::spawn(async move {
                let _ = rx.await;
                stopper.graceful_shutdown(Some(Duration::from_secs(10)));
            });
            tokio::spawn(async move { server.handle(handle).serve(app).await })
        }
    };
    Ok(Running {
        addr,
        state,
        shutdown,
        task,
        upkeep,
    })
}

/// Serves until Ctrl-C or SIGTERM.
pub async fn run(config: Config) -> Result<(), StartError> {
    let running = spawn(config).await?;
    let url = running.state.config.public_url();
    tracing::info!(addr = %running.addr, db = %running.state.config.db.split("://").next().unwrap_or(""), "listening");
    println!("Video Meet is ready at {url}");
    shutdown_signal().await;
    tracing::info!("shutting down");
    running.stop().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
