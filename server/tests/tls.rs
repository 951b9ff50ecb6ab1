//! Scenario: the binary serves https itself, with everything that follows from it (secure
//! `__Host-` cookies, HSTS), and picks up a renewed certificate without a restart.

use reqwest::StatusCode;
use serde_json::json;
use video_meet::config::Config;

fn write_cert(dir: &std::path::Path, name: &str) -> Vec<u8> {
    let generated = rcgen::generate_simple_self_signed(vec![name.to_owned()]).unwrap();
    // Key first: the watcher may look between the two writes, and must not pair a new
    // certificate with the old key for good (a failed reload is retried).
    std::fs::write(dir.join("key.pem"), generated.key_pair.serialize_pem()).unwrap();
    std::fs::write(dir.join("cert.pem"), generated.cert.pem()).unwrap();
    generated.cert.der().to_vec()
}

/// The certificate the server presents on a fresh connection.
async fn presented(url: &str) -> (StatusCode, Vec<u8>) {
    let client = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .tls_info(true)
        .build()
        .unwrap();
    let res = client.get(url).send().await.unwrap();
    let cert = res
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|info| info.peer_certificate())
        .expect("a TLS connection")
        .to_vec();
    (res.status(), cert)
}

#[tokio::test]
async fn https_is_served_and_a_renewed_certificate_is_picked_up() {
    let dir = tempfile::tempdir().unwrap();
    let first = write_cert(dir.path(), "first.example");
    let mut config = Config::for_tests();
    config.tls_cert = Some(dir.path().join("cert.pem"));
    config.tls_key = Some(dir.path().join("key.pem"));
    config.tls_check_secs = 1;
    let running = video_meet::spawn(config).await.expect("starts with TLS");
    let base = format!("https://{}", running.addr);

    let (status, cert) = presented(&format!("{base}/healthz")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cert, first);

    // Over https: host-prefixed secure cookies and HSTS, with no flag to set.
    let client = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    let res = client
        .post(format!("{base}/api/v1/auth/register"))
        .json(&json!({ "email": "tia@example.com", "password": "password123", "display_name": "Tia" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(
        res.headers()["strict-transport-security"],
        "max-age=31536000"
    );
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.starts_with("__Host-vm_access=") && cookie.contains("; Secure"),
        "{cookie}"
    );

    let second = write_cert(dir.path(), "second.example");
    let mut seen = Vec::new();
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        seen = presented(&format!("{base}/healthz")).await.1;
        if seen == second {
            break;
        }
    }
    assert_eq!(
        seen, second,
        "the renewed certificate is served without a restart"
    );
    running.stop().await;
}

#[tokio::test]
async fn a_missing_certificate_is_a_start_up_error() {
    let mut config = Config::for_tests();
    config.tls_cert = Some("/nonexistent/cert.pem".into());
    config.tls_key = Some("/nonexistent/key.pem".into());
    let err = video_meet::spawn(config).await.err().expect("refused");
    assert!(err.to_string().contains("TLS"), "{err}");
    let mut half = Config::for_tests();
    half.tls_cert = Some("/nonexistent/cert.pem".into());
    assert!(
        video_meet::spawn(half).await.is_err(),
        "a certificate without a key"
    );
}
