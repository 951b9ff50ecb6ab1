//! Command-line flags, each also readable from a `VIDEO_MEET_*` environment variable.

use clap::{Parser, ValueEnum};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

#[derive(Debug, Clone, Parser)]
#[command(
    name = "video-meet",
    version,
    about = "Self-hosted video meetings in one binary.",
    long_about = "Self-hosted video meetings in one binary: web app, REST API and storage.\n\
                  Every flag can also be set through the environment variable shown with it."
)]
pub struct Config {
    /// Address to listen on (overrides LEPTOS_SITE_ADDR).
    #[arg(long, env = "VIDEO_MEET_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,

    /// Database URL: `surrealkv://<dir>` (embedded, persistent), `mem://` (in memory, lost on
    /// exit) or `ws://host:port` (a SurrealDB 3 server or cluster).
    #[arg(
        long,
        env = "VIDEO_MEET_DB",
        default_value = "surrealkv://data/video-meet.db"
    )]
    pub db: String,

    /// SurrealDB user for `ws://` databases (root user); ignored for embedded databases.
    #[arg(long, env = "VIDEO_MEET_DB_USER")]
    pub db_user: Option<String>,

    /// SurrealDB password for `ws://` databases.
    #[arg(long, env = "VIDEO_MEET_DB_PASSWORD", hide_env_values = true)]
    pub db_password: Option<String>,

    /// The URL people reach this server at; used in meeting links and to check `Origin`.
    /// Defaults to http://<addr>.
    #[arg(long, env = "VIDEO_MEET_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Serve https with this certificate chain (PEM file); needs `--tls-key`. The files are
    /// re-read when they change (a renewed certificate needs no restart).
    #[arg(long, env = "VIDEO_MEET_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,

    /// The private key (PEM file) for `--tls-cert`.
    #[arg(long, env = "VIDEO_MEET_TLS_KEY")]
    pub tls_key: Option<PathBuf>,

    /// How often to look for a renewed certificate, in seconds.
    #[arg(long, env = "VIDEO_MEET_TLS_CHECK", default_value_t = 10)]
    pub tls_check_secs: u64,

    /// Secret that signs access tokens. When unset, one is generated on first start and kept
    /// in `<data-dir>/secret` so that a restart keeps everyone signed in.
    #[arg(long, env = "VIDEO_MEET_SECRET", hide_env_values = true)]
    pub secret: Option<String>,

    /// Directory for generated state (the token secret). Defaults to `data`.
    #[arg(long, env = "VIDEO_MEET_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// Mark cookies `Secure`: `auto` turns it on unless the public URL is http://localhost or
    /// http://127.0.0.1.
    #[arg(long, env = "VIDEO_MEET_SECURE_COOKIES", value_enum, default_value_t = SecureCookies::Auto)]
    pub secure_cookies: SecureCookies,

    /// Lifetime of an access token, in seconds.
    #[arg(long, env = "VIDEO_MEET_ACCESS_TTL", default_value_t = 15 * 60)]
    pub access_ttl_secs: u64,

    /// Lifetime of a refresh token, in seconds.
    #[arg(long, env = "VIDEO_MEET_REFRESH_TTL", default_value_t = 30 * 24 * 3600)]
    pub refresh_ttl_secs: u64,

    /// Absolute lifetime of a sign-in, in seconds: renewals never extend a session past it.
    #[arg(long, env = "VIDEO_MEET_SESSION_LIFETIME", default_value_t = 30 * 24 * 3600)]
    pub session_lifetime_secs: u64,

    /// Seconds after a refresh token's rotation in which presenting it again returns the same
    /// successor (two tabs renewing at once) instead of counting as reuse.
    #[arg(long, env = "VIDEO_MEET_REFRESH_GRACE", default_value_t = 10)]
    pub refresh_grace_secs: u64,

    /// Failed guesses (sign-in, registration, meeting password, unknown meeting code) allowed
    /// per client address per window; IPv6 addresses count per /64.
    #[arg(long, env = "VIDEO_MEET_AUTH_FAILURES", default_value_t = 10)]
    pub auth_failures_max: u32,

    /// Failed guesses allowed per account (sign-in) or per meeting (its password) per window,
    /// from all addresses together.
    #[arg(long, env = "VIDEO_MEET_AUTH_FAILURES_TARGET", default_value_t = 30)]
    pub auth_failures_per_target: u32,

    /// Registrations, meeting look-ups and join steps allowed per client address per minute.
    #[arg(long, env = "VIDEO_MEET_RATE_PER_MINUTE", default_value_t = 300)]
    pub rate_per_minute: u32,

    /// Length of the failed-attempt window, in seconds.
    #[arg(long, env = "VIDEO_MEET_AUTH_WINDOW", default_value_t = 300)]
    pub auth_window_secs: u64,

    /// Signaling sockets one client address (IPv6: its /64) may hold open.
    #[arg(long, env = "VIDEO_MEET_WS_PER_ADDRESS", default_value_t = 20)]
    pub ws_per_address: u32,

    /// Signaling sockets the server holds open at most.
    #[arg(long, env = "VIDEO_MEET_WS_MAX", default_value_t = 10_000)]
    pub ws_max: usize,

    /// Password checks allowed to wait for a hashing thread; past it requests get 503 with
    /// `Retry-After` at once instead of queueing behind a flood.
    #[arg(long, env = "VIDEO_MEET_HASH_QUEUE", default_value_t = 64)]
    pub hash_queue: usize,

    /// Longest time a request may take before it is answered 408 (WebSockets are not affected
    /// once upgraded).
    #[arg(long, env = "VIDEO_MEET_REQUEST_TIMEOUT", default_value_t = 30)]
    pub request_timeout_secs: u64,

    /// Requests handled at once; past it new ones get 503 at once.
    #[arg(long, env = "VIDEO_MEET_MAX_REQUESTS", default_value_t = 1024)]
    pub max_concurrent_requests: usize,

    /// Requests handled at once for one client address (IPv6: its /64); past it that client
    /// gets 503 at once, and everyone else is still served. Health checks and WebSocket
    /// upgrades are not counted (sockets have `--ws-per-address`).
    #[arg(
        long,
        env = "VIDEO_MEET_MAX_REQUESTS_PER_ADDRESS",
        default_value_t = 64
    )]
    pub max_requests_per_address: u32,

    /// Longest time a request body may take to arrive whole, in seconds (400 after it): a
    /// client trickling bodies holds its places this long, not `--request-timeout-secs`.
    #[arg(long, env = "VIDEO_MEET_BODY_TIMEOUT", default_value_t = 10)]
    pub body_timeout_secs: u64,

    /// Take the client address from `X-Forwarded-For` (only behind a proxy you control): the
    /// entry the trusted proxies added, `--proxy-hops` from the right.
    #[arg(long, env = "VIDEO_MEET_TRUST_PROXY", default_value_t = false)]
    pub trust_proxy: bool,

    /// When set, `/metrics` answers only requests with `Authorization: Bearer <token>`
    /// (otherwise anyone who reaches the HTTP port can read it).
    #[arg(long, env = "VIDEO_MEET_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,

    /// How many proxies in front of the server append to `X-Forwarded-For` (with
    /// `--trust-proxy`): 1 for one reverse proxy, 2 for a CDN in front of it.
    #[arg(long, env = "VIDEO_MEET_PROXY_HOPS", default_value_t = 1)]
    pub proxy_hops: usize,

    /// Argon2 memory cost in KiB (OWASP minimum for argon2id: 19456).
    #[arg(long, env = "VIDEO_MEET_ARGON2_MEMORY_KIB", default_value_t = 19456)]
    pub argon2_memory_kib: u32,

    /// STUN server URLs for browsers, comma-separated (e.g. `stun:stun.example.com:3478`).
    /// Empty by default: no third party learns who meets.
    #[arg(long, env = "VIDEO_MEET_STUN_URLS", value_delimiter = ',')]
    pub stun_urls: Vec<String>,

    /// TURN server URLs, comma-separated (e.g. `turn:turn.example.com:3478?transport=udp`).
    #[arg(long, env = "VIDEO_MEET_TURN_URLS", value_delimiter = ',')]
    pub turn_urls: Vec<String>,

    /// Shared secret with the TURN server (coturn `use-auth-secret` / `static-auth-secret`).
    #[arg(long, env = "VIDEO_MEET_TURN_SECRET", hide_env_values = true)]
    pub turn_secret: Option<String>,

    /// How long TURN credentials stay valid, in seconds.
    #[arg(long, env = "VIDEO_MEET_TURN_TTL", default_value_t = 3600)]
    pub turn_ttl_secs: u64,

    /// Browsers send media only through TURN (`iceTransportPolicy: "relay"`): hides
    /// participants' addresses from each other. Needs `--turn-urls` and `--turn-secret`.
    #[arg(long, env = "VIDEO_MEET_TURN_ONLY")]
    pub turn_only: bool,

    /// Most participants in one meeting that still talk peer-to-peer; one more and everyone
    /// moves to the server's SFU. 0 = always the SFU. 4-6 gives a mesh with no media on the
    /// server for small calls. Meetings are capped by their own `max_participants`.
    #[arg(long, env = "VIDEO_MEET_P2P_MAX", default_value_t = 2)]
    pub p2p_max: u32,

    /// UDP address the SFU receives and sends all media on (one port for everyone). The
    /// default listens on every interface and advertises each of this machine's IPv4
    /// addresses, loopback included, so every browser on this machine or the LAN reaches it
    /// (Firefox never pairs with a loopback address). A specific IP advertises only that one.
    #[arg(long, env = "VIDEO_MEET_MEDIA_ADDR", default_value = "0.0.0.0:3002")]
    pub media_addr: SocketAddr,

    /// The one IP address to advertise in the SFU's ICE candidates, when browsers reach the
    /// server at an address this machine does not have (NAT, a cloud's public IP). Wins over
    /// the interface addresses.
    #[arg(long, env = "VIDEO_MEET_MEDIA_PUBLIC_IP")]
    pub media_public_ip: Option<IpAddr>,

    /// Turn off ICE-TCP: by default the SFU also listens on TCP, same address and port as
    /// `--media-addr`, for browsers on networks that block UDP.
    #[arg(long, env = "VIDEO_MEET_NO_MEDIA_TCP")]
    pub no_media_tcp: bool,

    /// ICE-TCP connections one client address (IPv6: its /64) may hold open. A connection no
    /// media session claims within 5 s is closed.
    #[arg(long, env = "VIDEO_MEET_MEDIA_TCP_PER_ADDRESS", default_value_t = 16)]
    pub media_tcp_per_address: u32,

    /// ICE-TCP connections the SFU holds open in all.
    #[arg(long, env = "VIDEO_MEET_MEDIA_TCP_MAX", default_value_t = 1024)]
    pub media_tcp_max: usize,

    /// How the SFU forwards media: `frames` (str0m depacketizes and packetizes again per
    /// subscriber) or `rtp` (packets go on as they came, renumbered per subscriber).
    #[arg(long, env = "VIDEO_MEET_SFU_FORWARDING", value_enum, default_value_t)]
    pub sfu_forwarding: crate::sfu::Forwarding,

    /// How long a participant whose connection dropped keeps their place, in seconds.
    #[arg(long, env = "VIDEO_MEET_RESUME_SECS", default_value_t = 30)]
    pub resume_secs: u64,

    /// SMTP server for invitation mail; without it, invitations by email are off.
    /// `smtps://user:pass@host:465` (TLS), `smtp://user:pass@host:587?tls=required`
    /// (STARTTLS), or `smtp://host:25` (plain, for a relay on this machine). Keep credentials
    /// in the environment variable rather than on the command line.
    #[arg(long, env = "VIDEO_MEET_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,

    /// The sender of invitation mail, e.g. `Video Meet <meet@example.com>`.
    #[arg(long, env = "VIDEO_MEET_SMTP_FROM")]
    pub smtp_from: Option<String>,

    /// Reminder mail goes out this many minutes before a meeting starts (0: no reminders).
    #[arg(long, env = "VIDEO_MEET_REMINDER_MINUTES", default_value_t = 15)]
    pub reminder_minutes: u32,

    /// Invitations one host may send per hour (each address counts once per meeting).
    #[arg(long, env = "VIDEO_MEET_INVITES_PER_HOUR", default_value_t = 100)]
    pub invites_per_hour: u32,

    /// An update mail (a change of title, start or length) waits this many seconds for more
    /// changes, and goes out once, with the latest state.
    #[arg(long, env = "VIDEO_MEET_MAIL_UPDATE_DELAY", default_value_t = 60)]
    pub mail_update_delay_secs: u64,

    /// At most one update mail per invitee of a meeting in this many seconds (changes in
    /// between go out together in the next).
    #[arg(long, env = "VIDEO_MEET_MAIL_UPDATE_SPACING", default_value_t = 600)]
    pub mail_update_spacing_secs: u64,

    /// Mails of every kind (invitations, updates, cancellations, reminders) that one host's
    /// meetings may send per hour; past it they wait their turn.
    #[arg(long, env = "VIDEO_MEET_MAIL_PER_HOST_PER_HOUR", default_value_t = 300)]
    pub mail_per_host_per_hour: u32,

    /// Mails the whole server may send per hour; past it they wait their turn.
    #[arg(long, env = "VIDEO_MEET_MAIL_PER_HOUR", default_value_t = 2000)]
    pub mail_per_hour: u32,

    /// Log format.
    #[arg(long, env = "VIDEO_MEET_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Log filter in `tracing` syntax, e.g. `info,video_meet=debug`.
    #[arg(long, env = "VIDEO_MEET_LOG", default_value = "info")]
    pub log: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SecureCookies {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

impl Config {
    /// A configuration for tests: in-memory database, port chosen by the OS, cheap hashing.
    pub fn for_tests() -> Self {
        let mut config = Self::parse_from(["video-meet"]);
        config.addr = "127.0.0.1:0".parse().expect("literal address");
        config.media_addr = "127.0.0.1:0".parse().expect("literal address");
        config.db = "mem://".into();
        config.secret = Some("test-secret-test-secret-test-secret".into());
        config.argon2_memory_kib = 1024;
        config
    }

    /// The addresses the SFU advertises for `bound` (its socket's real address): the public
    /// IP when set, else every usable interface address when it listens on all of them, else
    /// the address itself.
    pub fn media_candidates(&self, bound: SocketAddr) -> Vec<SocketAddr> {
        let ips = match self.media_public_ip {
            Some(ip) => vec![ip],
            None if bound.ip().is_unspecified() => crate::sfu::interfaces::host_ips(),
            None => vec![bound.ip()],
        };
        ips.into_iter()
            .map(|ip| SocketAddr::new(ip, bound.port()))
            .collect()
    }

    /// ICE-TCP's limits, or `None` when it is off.
    pub fn media_tcp(&self) -> Option<crate::sfu::tcp::TcpLimits> {
        (!self.no_media_tcp).then_some(crate::sfu::tcp::TcpLimits {
            per_address: self.media_tcp_per_address,
            max: self.media_tcp_max,
        })
    }

    /// Settings that contradict each other, as a message for the operator.
    pub fn check(&self) -> Result<(), String> {
        if self.tls_cert.is_some() != self.tls_key.is_some() {
            return Err("--tls-cert and --tls-key go together".into());
        }
        if self.turn_only && self.turn_urls.is_empty() {
            return Err("--turn-only needs TURN servers: set --turn-urls and --turn-secret".into());
        }
        if self.smtp_url.is_some() && self.smtp_from.is_none() {
            return Err("--smtp-url needs --smtp-from (the sender of invitation mail)".into());
        }
        if !self.turn_urls.is_empty() && self.turn_secret.is_none() {
            return Err(
                "--turn-urls needs --turn-secret (the coturn static-auth-secret) to hand out credentials"
                    .into(),
            );
        }
        Ok(())
    }

    /// The certificate files to serve https from, if configured.
    pub fn tls_files(&self) -> Option<crate::tls::TlsFiles> {
        Some(crate::tls::TlsFiles {
            cert: self.tls_cert.clone()?,
            key: self.tls_key.clone()?,
            check_every: std::time::Duration::from_secs(self.tls_check_secs.max(1)),
        })
    }

    /// Trusted proxy hops for `X-Forwarded-For` (0: trust no header).
    pub fn trusted_hops(&self) -> usize {
        if self.trust_proxy {
            self.proxy_hops.max(1)
        } else {
            0
        }
    }

    /// The public base URL without a trailing slash.
    pub fn public_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None if self.tls_cert.is_some() => format!("https://{}", self.addr),
            None => format!("http://{}", self.addr),
        }
    }

    pub fn cookies_secure(&self) -> bool {
        match self.secure_cookies {
            SecureCookies::Always => true,
            SecureCookies::Never => false,
            SecureCookies::Auto => {
                let url = self.public_url();
                !(url.starts_with("http://localhost")
                    || url.starts_with("http://127.0.0.1")
                    || url.starts_with("http://[::1]"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contradictory_turn_settings_are_refused() {
        let mut c = Config::for_tests();
        assert!(c.check().is_ok());
        c.turn_only = true;
        assert!(c.check().unwrap_err().contains("--turn-urls"));
        c.turn_urls = vec!["turn:127.0.0.1:3478".into()];
        assert!(c.check().unwrap_err().contains("--turn-secret"));
        c.turn_secret = Some("s".into());
        assert!(c.check().is_ok());
    }

    #[test]
    fn secure_cookies_follow_public_url() {
        let mut c = Config::for_tests();
        c.public_url = Some("http://localhost:3000".into());
        assert!(!c.cookies_secure());
        c.public_url = Some("https://meet.example.com/".into());
        assert!(c.cookies_secure());
        assert_eq!(c.public_url(), "https://meet.example.com");
        c.secure_cookies = SecureCookies::Never;
        assert!(!c.cookies_secure());
    }
}
