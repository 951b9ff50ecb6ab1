//! The browser bundle under `/pkg`: the files compressed at build time (`.br`, `.gz`, see
//! `scripts/precompress.mjs`) are sent as they are, with the right `Content-Encoding`; files
//! without them go out as stored (the outer compression layer handles those). Every answer
//! carries an `ETag` (length and modification time) and `Cache-Control: no-cache`: the names
//! are not content-hashed, so browsers revalidate, and get `304 Not Modified` while unchanged.

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use std::path::{Component, Path, PathBuf};
use std::time::UNIX_EPOCH;
use tower_http::services::ServeDir;

/// `dir` served with precompressed variants, ETags and revalidation.
pub fn service(dir: PathBuf) -> Router {
    let files = ServeDir::new(&dir).precompressed_br().precompressed_gzip();
    Router::new()
        .fallback_service(files)
        .layer(middleware::from_fn(move |req: Request, next: Next| {
            let dir = dir.clone();
            async move { with_etag(&dir, req, next).await }
        }))
}

/// A weak validator from the file's length and modification time.
fn etag_of(dir: &Path, path: &str) -> Option<String> {
    let relative = Path::new(path.trim_start_matches('/'));
    // Only plain names inside the directory (ServeDir refuses the rest anyway).
    if relative
        .components()
        .any(|c| !matches!(c, Component::Normal(_)))
    {
        return None;
    }
    let meta = std::fs::metadata(dir.join(relative)).ok()?;
    let modified = meta.modified().ok()?.duration_since(UNIX_EPOCH).ok()?;
    Some(format!("W/\"{:x}-{:x}\"", meta.len(), modified.as_millis()))
}

async fn with_etag(dir: &Path, req: Request, next: Next) -> Response {
    let etag = etag_of(dir, req.uri().path());
    if let Some(etag) = &etag
        && req
            .headers()
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').any(|t| t.trim() == etag))
    {
        let mut res = StatusCode::NOT_MODIFIED.into_response();
        if let Ok(value) = HeaderValue::from_str(etag) {
            res.headers_mut().insert(header::ETAG, value);
        }
        return res;
    }
    let mut res = next.run(req).await;
    if res.status().is_success() {
        if let Some(value) = etag.and_then(|e| HeaderValue::from_str(&e).ok()) {
            res.headers_mut().insert(header::ETAG, value);
        }
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use tower::ServiceExt;

    fn get(path: &str, headers: &[(&str, &str)]) -> Request {
        let mut req = Request::builder().uri(path);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.body(Body::empty()).unwrap()
    }

    #[tokio::test]
    async fn precompressed_files_go_out_as_they_are_and_revalidate() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("app.js"),
            "console.log('hello hello hello')",
        )
        .unwrap();
        std::fs::write(dir.path().join("app.js.br"), b"BROTLI-BYTES").unwrap();
        std::fs::write(dir.path().join("app.js.gz"), b"GZIP-BYTES").unwrap();
        let app = service(dir.path().to_path_buf());

        let res = app
            .clone()
            .oneshot(get("/app.js", &[("accept-encoding", "gzip, br")]))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()["content-encoding"], "br");
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .contains("javascript")
        );
        assert_eq!(res.headers()["cache-control"], "no-cache");
        let etag = res.headers()["etag"].to_str().unwrap().to_owned();
        let body = axum::body::to_bytes(res.into_body(), 1024).await.unwrap();
        assert_eq!(
            &body[..],
            b"BROTLI-BYTES",
            "sent as stored, not compressed again"
        );

        let gz = app
            .clone()
            .oneshot(get("/app.js", &[("accept-encoding", "gzip")]))
            .await
            .unwrap();
        assert_eq!(gz.headers()["content-encoding"], "gzip");

        let again = app
            .clone()
            .oneshot(get("/app.js", &[("if-none-match", &etag)]))
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);

        let plain = app.oneshot(get("/app.js", &[])).await.unwrap();
        assert!(plain.headers().get("content-encoding").is_none());
        let body = axum::body::to_bytes(plain.into_body(), 1024).await.unwrap();
        assert_eq!(&body[..], b"console.log('hello hello hello')");
    }
}
