//! Profile pictures: the uploaded bytes become one small square JPEG, or a clear refusal.
//!
//! The type comes from the bytes (never the file name or `Content-Type`); the pixel size is
//! read from the header and refused before anything is decoded, so a small file that claims
//! a huge canvas costs nothing; the decoder also runs under an allocation limit. Re-encoding
//! drops every piece of metadata (EXIF with its GPS position, comments, colour profiles),
//! after the EXIF orientation has been applied to the pixels.

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, RgbImage};
use sha2::{Digest, Sha256};
use std::io::Cursor;

/// Largest upload accepted, in bytes.
pub const MAX_BYTES: usize = 5 * 1024 * 1024;
/// Largest canvas accepted: 40 megapixels (a 48 MP phone photo must be scaled first), and no
/// side over 10,000 pixels.
pub const MAX_PIXELS: u64 = 40_000_000;
pub const MAX_SIDE: u32 = 10_000;
/// Side of the stored square, in pixels (sharp on a tile at twice the pixel density).
pub const SIDE: u32 = 256;
const QUALITY: u8 = 85;
/// Transparent pixels are laid on this (the tile's slate background).
const BACKGROUND: [u8; 3] = [51, 65, 85];

/// A stored rendition: JPEG bytes and a version that changes with them.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendition {
    pub jpeg: Vec<u8>,
    /// First 16 hex digits of the JPEG's SHA-256: the cache key in avatar URLs.
    pub version: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AvatarError {
    TooManyBytes,
    WrongType,
    TooManyPixels,
    Unreadable,
}

impl AvatarError {
    /// What the person uploading is told.
    pub fn message(self) -> &'static str {
        match self {
            AvatarError::TooManyBytes => "The picture is larger than 5 MB.",
            AvatarError::WrongType => "Use a PNG, JPEG or WebP picture.",
            AvatarError::TooManyPixels => {
                "The picture is too large: at most 40 megapixels and 10,000 pixels a side."
            }
            AvatarError::Unreadable => "The file is not a readable picture.",
        }
    }
}

/// Checks and renders an upload. CPU-bound (tens of milliseconds for a phone photo): call it
/// off the async threads.
pub fn render(bytes: &[u8]) -> Result<Rendition, AvatarError> {
    if bytes.len() > MAX_BYTES {
        return Err(AvatarError::TooManyBytes);
    }
    let format = image::guess_format(bytes).map_err(|_| AvatarError::WrongType)?;
    if !matches!(
        format,
        ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP
    ) {
        return Err(AvatarError::WrongType);
    }
    let reader = || {
        let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
        let mut limits = Limits::default();
        limits.max_image_width = Some(MAX_SIDE);
        limits.max_image_height = Some(MAX_SIDE);
        // A 40 MP RGBA canvas plus the decoder's own buffers.
        limits.max_alloc = Some(MAX_PIXELS * 4 + 64 * 1024 * 1024);
        reader.limits(limits);
        reader
    };
    let (width, height) = reader().into_dimensions().map_err(classify)?;
    if width == 0 || height == 0 {
        return Err(AvatarError::Unreadable);
    }
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(AvatarError::TooManyPixels);
    }
    let mut decoder = reader().into_decoder().map_err(classify)?;
    let orientation = decoder.orientation().ok();
    let mut image = DynamicImage::from_decoder(decoder).map_err(classify)?;
    if let Some(orientation) = orientation {
        image.apply_orientation(orientation);
    }
    let square = centre_square(&image).thumbnail_exact(SIDE, SIDE);
    let jpeg = encode(&flatten(&square))?;
    let version = hex16(&Sha256::digest(&jpeg));
    Ok(Rendition { jpeg, version })
}

fn classify(err: image::ImageError) -> AvatarError {
    match err {
        image::ImageError::Limits(_) => AvatarError::TooManyPixels,
        image::ImageError::Unsupported(_) => AvatarError::WrongType,
        _ => AvatarError::Unreadable,
    }
}

/// The largest centred square (a face is usually in the middle of a portrait).
fn centre_square(image: &DynamicImage) -> DynamicImage {
    let side = image.width().min(image.height());
    image.crop_imm(
        (image.width() - side) / 2,
        (image.height() - side) / 2,
        side,
        side,
    )
}

/// RGB with any transparency composited on the background (JPEG has no alpha).
fn flatten(image: &DynamicImage) -> RgbImage {
    let rgba = image.to_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let mix = |c: u8, bg: u8| {
            ((u16::from(c) * u16::from(a) + u16::from(bg) * (255 - u16::from(a))) / 255) as u8
        };
        image::Rgb([
            mix(r, BACKGROUND[0]),
            mix(g, BACKGROUND[1]),
            mix(b, BACKGROUND[2]),
        ])
    })
}

fn encode(image: &RgbImage) -> Result<Vec<u8>, AvatarError> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, QUALITY)
        .encode_image(image)
        .map_err(|_| AvatarError::Unreadable)?;
    Ok(out)
}

fn hex16(digest: &[u8]) -> String {
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageEncoder, Rgba, RgbaImage};

    fn png(width: u32, height: u32) -> Vec<u8> {
        let image = RgbaImage::from_fn(width, height, |x, _| {
            Rgba([
                (x % 256) as u8,
                100,
                200,
                if x < width / 2 { 0 } else { 255 },
            ])
        });
        let mut out = Vec::new();
        image::codecs::png::PngEncoder::new(&mut out)
            .write_image(&image, width, height, image::ExtendedColorType::Rgba8)
            .unwrap();
        out
    }

    fn decoded(rendition: &Rendition) -> DynamicImage {
        image::load_from_memory_with_format(&rendition.jpeg, ImageFormat::Jpeg).unwrap()
    }

    #[test]
    fn a_wide_png_becomes_a_small_square_jpeg() {
        let rendition = render(&png(640, 360)).unwrap();
        assert_eq!(
            image::guess_format(&rendition.jpeg).unwrap(),
            ImageFormat::Jpeg
        );
        let image = decoded(&rendition);
        assert_eq!((image.width(), image.height()), (SIDE, SIDE));
        assert_eq!(rendition.version.len(), 16);
        // The transparent left half lies on the background, not black.
        let [r, g, b] = image.to_rgb8().get_pixel(2, 128).0;
        assert!(r.abs_diff(BACKGROUND[0]) < 12 && g.abs_diff(BACKGROUND[1]) < 12);
        assert!(b.abs_diff(BACKGROUND[2]) < 12);
    }

    #[test]
    fn the_same_picture_gets_the_same_version() {
        assert_eq!(
            render(&png(300, 300)).unwrap().version,
            render(&png(300, 300)).unwrap().version
        );
    }

    #[test]
    fn text_renamed_as_a_picture_is_the_wrong_type() {
        assert_eq!(
            render(b"hello, this is not a picture at all"),
            Err(AvatarError::WrongType)
        );
        // GIF is a picture, but not one we take.
        assert_eq!(
            render(b"GIF89a\x01\x00\x01\x00\x00\x00\x00"),
            Err(AvatarError::WrongType)
        );
    }

    #[test]
    fn a_truncated_png_is_unreadable() {
        let bytes = png(64, 64);
        assert_eq!(render(&bytes[..60]), Err(AvatarError::Unreadable));
    }

    #[test]
    fn oversized_uploads_are_refused_before_decoding() {
        assert_eq!(
            render(&vec![0u8; MAX_BYTES + 1]),
            Err(AvatarError::TooManyBytes)
        );
    }

    #[test]
    fn metadata_does_not_survive() {
        // A JPEG with an EXIF block carrying a marker string.
        let mut jpeg = Vec::new();
        let image = RgbImage::from_pixel(32, 32, image::Rgb([10, 20, 30]));
        let mut encoder = image::codecs::jpeg::JpegEncoder::new(&mut jpeg);
        let mut exif = b"Exif\0\0MM\0\x2a\0\0\0\x08\0\0".to_vec();
        exif.extend_from_slice(b"SECRET-GPS-POSITION");
        encoder.set_exif_metadata(exif).unwrap();
        encoder.encode_image(&image).unwrap();
        assert!(jpeg.windows(10).any(|w| w == b"SECRET-GPS"));
        let rendition = render(&jpeg).unwrap();
        assert!(!rendition.jpeg.windows(10).any(|w| w == b"SECRET-GPS"));
    }
}
