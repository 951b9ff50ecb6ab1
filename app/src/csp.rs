//! The page's `Content-Security-Policy`, built on the per-request nonce Leptos puts on its
//! inline hydration scripts: scripts only with that nonce (and what they load), WebAssembly
//! allowed, connections to this server and its signaling socket, media from self and `blob:`,
//! no plugins, no framing.

/// The policy for a page whose scripts carry `nonce`, served to a browser that asked `host`.
pub fn policy(nonce: &str, host: Option<&str>) -> String {
    // A Host header is the client's own: used only when it looks like a host name.
    let sockets = host
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        })
        .map(|h| format!(" ws://{h} wss://{h}"))
        .unwrap_or_default();
    format!(
        "default-src 'self'; \
         script-src 'nonce-{nonce}' 'strict-dynamic' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; \
         img-src 'self' data: blob:; \
         media-src 'self' blob:; \
         connect-src 'self'{sockets}; \
         object-src 'none'; \
         base-uri 'none'; \
         form-action 'self'; \
         frame-ancestors 'none'"
    )
}

/// Sets the header on the page response being rendered (server only; nothing in the browser).
pub fn set_header() {
    #[cfg(feature = "ssr")]
    {
        use leptos::prelude::use_context;
        let Some(nonce) = leptos::nonce::use_nonce() else {
            return;
        };
        let host = use_context::<http::request::Parts>().and_then(|parts| {
            parts
                .headers
                .get(http::header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_owned)
        });
        if let Some(options) = use_context::<leptos_axum::ResponseOptions>()
            && let Ok(value) =
                http::HeaderValue::from_str(&policy(&nonce.to_string(), host.as_deref()))
        {
            options.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::policy;

    #[test]
    fn scripts_need_the_nonce_and_sockets_stay_on_this_host() {
        let p = policy("abc123", Some("meet.example.com:8443"));
        assert!(p.contains("script-src 'nonce-abc123' 'strict-dynamic' 'wasm-unsafe-eval';"));
        let scripts = p
            .split(';')
            .find(|d| d.trim().starts_with("script-src"))
            .unwrap();
        assert!(!scripts.contains("unsafe-inline") && !scripts.contains("'unsafe-eval'"));
        assert!(p.contains(
            "connect-src 'self' ws://meet.example.com:8443 wss://meet.example.com:8443;"
        ));
        assert!(p.contains("frame-ancestors 'none'") && p.contains("object-src 'none'"));
    }

    #[test]
    fn a_strange_host_header_adds_nothing() {
        let p = policy("n", Some("evil.example; script-src *"));
        assert!(p.contains("connect-src 'self';"));
        assert!(!p.contains("evil"));
    }
}
