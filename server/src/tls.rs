//! https straight from the binary: a certificate chain and key in PEM files (`--tls-cert`,
//! `--tls-key`), re-read when either file changes, so a renewed certificate (certbot, acme.sh,
//! a cron job) takes effect without a restart. A renewal that cannot be read keeps the old one.

use axum_server::tls_rustls::RustlsConfig;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// The files to serve from and how often to look at them.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub check_every: Duration,
}

/// rustls needs one process-wide crypto provider when several are compiled in.
fn install_crypto_provider() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

pub async fn load(files: &TlsFiles) -> std::io::Result<RustlsConfig> {
    install_crypto_provider();
    RustlsConfig::from_pem_file(&files.cert, &files.key).await
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Reloads `config` whenever the certificate or key file changes.
pub async fn watch(config: RustlsConfig, files: TlsFiles) {
    let stamp = |f: &TlsFiles| (modified(&f.cert), modified(&f.key));
    let mut seen = stamp(&files);
    let mut tick = tokio::time::interval(files.check_every);
    tick.tick().await;
    loop {
        tick.tick().await;
        let now = stamp(&files);
        if now == seen {
            continue;
        }
        match config.reload_from_pem_file(&files.cert, &files.key).await {
            Ok(()) => {
                seen = now;
                metrics::counter!("tls_reloads_total").increment(1);
                tracing::info!(cert = %files.cert.display(), "TLS certificate reloaded");
            }
            // Perhaps half-written: try again next time, serving the old one meanwhile.
            Err(err) => {
                tracing::warn!(error = %err, "TLS certificate reload failed; keeping the old one")
            }
        }
    }
}
