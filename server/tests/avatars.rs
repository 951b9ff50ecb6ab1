//! Scenario: a signed-in user uploads a profile picture (PNG, JPEG and WebP are each taken and
//! stored as one 256 × 256 JPEG); a text file named `.png`, a 10 MB file and a 20,000 × 20,000
//! PNG are refused with a clear error and change nothing; the picture is served with caching
//! headers and reaches the other participants of a meeting.

use crate::common::ws::{enter, meeting, ticket};
use crate::common::{TestServer, error_of};
use image::{ImageEncoder, ImageFormat, RgbImage};
use protocol::User;
use protocol::signal::ServerMsg;
use reqwest::{Client, StatusCode};
use serde_json::json;

/// A 400 × 300 picture in `format`, a different shade for each format.
fn picture(format: ImageFormat) -> Vec<u8> {
    let shade = match format {
        ImageFormat::Png => 40,
        ImageFormat::Jpeg => 120,
        _ => 200,
    };
    let image = RgbImage::from_fn(400, 300, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, shade])
    });
    let mut out = Vec::new();
    match format {
        ImageFormat::Png => image::codecs::png::PngEncoder::new(&mut out)
            .write_image(&image, 400, 300, image::ExtendedColorType::Rgb8)
            .unwrap(),
        ImageFormat::Jpeg => image::codecs::jpeg::JpegEncoder::new(&mut out)
            .write_image(&image, 400, 300, image::ExtendedColorType::Rgb8)
            .unwrap(),
        ImageFormat::WebP => image::codecs::webp::WebPEncoder::new_lossless(&mut out)
            .write_image(&image, 400, 300, image::ExtendedColorType::Rgb8)
            .unwrap(),
        other => panic!("no test picture in {other:?}"),
    }
    out
}

/// A real PNG of `width` × `height` black pixels (1 bit each), written row by row so the
/// test never holds the canvas.
fn huge_png(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::One);
    {
        let mut writer = encoder.write_header().unwrap();
        let mut stream = writer.stream_writer().unwrap();
        let row = vec![0u8; width.div_ceil(8) as usize];
        for _ in 0..height {
            std::io::Write::write_all(&mut stream, &row).unwrap();
        }
        stream.finish().unwrap();
    }
    out
}

/// A real PNG of about `bytes` bytes (noise does not compress).
fn heavy_png(bytes: usize) -> Vec<u8> {
    let side = ((bytes / 3) as f64).sqrt().ceil() as u32;
    let mut seed = 0x2545_f491_u32;
    let image = RgbImage::from_fn(side, side, |_, _| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let [a, b, c, _] = seed.to_le_bytes();
        image::Rgb([a, b, c])
    });
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(&image, side, side, image::ExtendedColorType::Rgb8)
        .unwrap();
    out
}

async fn upload(
    server: &TestServer,
    client: &Client,
    body: Vec<u8>,
    content_type: &str,
) -> reqwest::Response {
    client
        .put(server.url("/api/v1/users/me/avatar"))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

/// The bytes served at an avatar path, to anyone.
async fn picture_at(server: &TestServer, path: &str) -> Vec<u8> {
    let res = server.client().get(server.url(path)).send().await.unwrap();
    res.bytes().await.unwrap().to_vec()
}

async fn me(server: &TestServer, client: &Client) -> User {
    client
        .get(server.url("/api/v1/users/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn each_accepted_type_becomes_a_small_square_jpeg_served_with_caching() {
    let server = TestServer::start().await;
    let ada = server.signed_in("ada@example.com", "Ada Lovelace").await;
    assert_eq!(me(&server, &ada).await.avatar, None);
    let mut paths = Vec::new();
    for format in [ImageFormat::Png, ImageFormat::Jpeg, ImageFormat::WebP] {
        // The type is read from the bytes: the declared one does not matter.
        let res = upload(&server, &ada, picture(format), "application/octet-stream").await;
        assert_eq!(res.status(), StatusCode::OK, "{format:?} is taken");
        let user: User = res.json().await.unwrap();
        let path = user.avatar.expect("the profile points at the picture");
        assert_eq!(
            me(&server, &ada).await.avatar.as_deref(),
            Some(path.as_str())
        );

        let res = server.client().get(server.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()["content-type"], "image/jpeg");
        assert_eq!(
            res.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
        let etag = res.headers()["etag"].to_str().unwrap().to_owned();
        let jpeg = res.bytes().await.unwrap();
        let stored = image::load_from_memory_with_format(&jpeg, ImageFormat::Jpeg).unwrap();
        assert_eq!((stored.width(), stored.height()), (256, 256));

        let again = server
            .client()
            .get(server.url(&path))
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        paths.push(path);
    }
    // A new picture gets a new URL; the old URL is no longer cached for good.
    assert!(paths[0] != paths[1] && paths[1] != paths[2]);
    let old = server
        .client()
        .get(server.url(&paths[0]))
        .send()
        .await
        .unwrap();
    assert_eq!(old.headers()["cache-control"], "no-cache");

    let res = ada
        .delete(server.url("/api/v1/users/me/avatar"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(me(&server, &ada).await.avatar, None);
    let gone = server
        .client()
        .get(server.url(&paths[2]))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_of(gone).await["code"], "not_found");
}

#[tokio::test]
async fn bad_uploads_are_refused_clearly_and_store_nothing() {
    let server = TestServer::start().await;
    let bob = server.signed_in("bob@example.com", "Bob").await;
    let res = upload(&server, &bob, picture(ImageFormat::Png), "image/png").await;
    let before: User = res.json().await.unwrap();
    let before_bytes = picture_at(&server, before.avatar.as_deref().unwrap()).await;

    let cases: [(&str, Vec<u8>, StatusCode, &str, &str); 4] = [
        (
            "a text file renamed .png",
            b"name,email\nBob,bob@example.com\n".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_type",
            "PNG, JPEG or WebP",
        ),
        (
            "a 10 MB file",
            heavy_png(10 * 1024 * 1024),
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            "larger than 5 MB",
        ),
        (
            "a 20,000 × 20,000 PNG",
            huge_png(20_000, 20_000),
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            "megapixels",
        ),
        (
            "a PNG cut short",
            picture(ImageFormat::Png)[..200].to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_type",
            "not a readable picture",
        ),
    ];
    for (what, body, status, code, message) in cases {
        let res = upload(&server, &bob, body, "image/png").await;
        assert_eq!(res.status(), status, "{what}");
        let error = error_of(res).await;
        assert_eq!(error["code"], code, "{what}");
        let text = error["message"].as_str().unwrap();
        assert!(text.contains(message), "{what}: {text}");
        assert_eq!(
            me(&server, &bob).await.avatar,
            before.avatar,
            "{what} changes nothing"
        );
    }
    let after_bytes = picture_at(&server, before.avatar.as_deref().unwrap()).await;
    assert_eq!(after_bytes, before_bytes);

    // Signed out, nothing can be uploaded.
    let res = upload(
        &server,
        &server.client(),
        picture(ImageFormat::Png),
        "image/png",
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // Made-up user ids are simply not found.
    let res = server
        .client()
        .get(server.url("/api/v1/avatars/..%2Fuser"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn participants_see_the_picture_of_a_signed_in_person() {
    let server = TestServer::start().await;
    let host = server.signed_in("cleo@example.com", "Cleo").await;
    let res = upload(&server, &host, picture(ImageFormat::Jpeg), "image/jpeg").await;
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
    let path = res.json::<User>().await.unwrap().avatar.unwrap();
    let code = meeting(
        &server,
        &host,
        json!({ "title": "Faces", "allow_guests": true }),
    )
    .await;
    let t = ticket(&server, &host, &code, json!({})).await;
    assert_eq!(t.avatar.as_deref(), Some(path.as_str()));
    let (_h, _) = enter(&server, &t).await;

    let guest = server.client();
    let t = ticket(&server, &guest, &code, json!({ "display_name": "Gus" })).await;
    assert_eq!(t.avatar, None, "guests have initials, not pictures");
    match enter(&server, &t).await {
        (_, ServerMsg::Welcome { peers, .. }) => {
            assert_eq!(peers.len(), 1);
            assert_eq!(peers[0].avatar.as_deref(), Some(path.as_str()));
        }
        (_, other) => panic!("expected welcome, got {other:?}"),
    }
}
