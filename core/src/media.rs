//! Uploaded images: sniffed, decoded under limits (against decompression bombs), re-encoded
//! (which drops EXIF and any embedded payload) and stored under the media directory.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use image::{ImageFormat, ImageReader, Limits};

use crate::error::{Error, Result};

/// Largest width or height we agree to decode.
const MAX_DIMENSION: u32 = 8192;
/// Memory the decoder may allocate.
const MAX_DECODE_ALLOC: u64 = 128 * 1024 * 1024;
pub const AVATAR_SIZE: u32 = 400;

/// Turns uploaded bytes into a 400×400 lossless WebP avatar. `field` names the input in errors.
pub fn process_avatar(bytes: &[u8], max_bytes: usize) -> Result<Vec<u8>> {
    if bytes.len() > max_bytes {
        return Err(Error::invalid("avatar", "avatar_too_large"));
    }
    let format =
        image::guess_format(bytes).map_err(|_| Error::invalid("avatar", "avatar_invalid"))?;
    if !matches!(
        format,
        ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP | ImageFormat::Gif
    ) {
        return Err(Error::invalid("avatar", "avatar_invalid"));
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DIMENSION);
    limits.max_image_height = Some(MAX_DIMENSION);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    reader.limits(limits);
    let img = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => Error::invalid("avatar", "avatar_too_large"),
        _ => Error::invalid("avatar", "avatar_invalid"),
    })?;
    let img = img.resize_to_fill(
        AVATAR_SIZE,
        AVATAR_SIZE,
        image::imageops::FilterType::Lanczos3,
    );
    let img = image::DynamicImage::ImageRgba8(img.to_rgba8());
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::WebP)
        .map_err(|e| Error::Internal(format!("webp encode: {e}")))?;
    Ok(out.into_inner())
}

/// Largest side of an image attached to a post.
pub const POST_IMAGE_MAX: u32 = 2048;

/// Turns an uploaded image into a WebP of at most 2048 px per side (re-encoded: no EXIF).
pub fn process_post_image(bytes: &[u8], max_bytes: usize) -> Result<Vec<u8>> {
    if bytes.len() > max_bytes {
        return Err(Error::invalid("file", "avatar_too_large"));
    }
    let format =
        image::guess_format(bytes).map_err(|_| Error::invalid("file", "avatar_invalid"))?;
    if !matches!(
        format,
        ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP | ImageFormat::Gif
    ) {
        return Err(Error::invalid("file", "avatar_invalid"));
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DIMENSION);
    limits.max_image_height = Some(MAX_DIMENSION);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    reader.limits(limits);
    let img = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => Error::invalid("file", "avatar_too_large"),
        _ => Error::invalid("file", "avatar_invalid"),
    })?;
    let img = if img.width() > POST_IMAGE_MAX || img.height() > POST_IMAGE_MAX {
        img.resize(
            POST_IMAGE_MAX,
            POST_IMAGE_MAX,
            image::imageops::FilterType::Lanczos3,
        )
    } else {
        img
    };
    let img = image::DynamicImage::ImageRgba8(img.to_rgba8());
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::WebP)
        .map_err(|e| Error::Internal(format!("webp encode: {e}")))?;
    Ok(out.into_inner())
}

/// Writes a processed file under `media_dir/sub/` with a random name; returns the path
/// relative to the media directory (what the database keeps and `/media/...` serves).
pub fn store(media_dir: &Path, sub: &str, ext: &str, bytes: &[u8]) -> Result<String> {
    let dir = media_dir.join(sub);
    std::fs::create_dir_all(&dir)
        .map_err(|e| Error::Internal(format!("create {}: {e}", dir.display())))?;
    let name = format!("{}.{ext}", uuid::Uuid::new_v4().simple());
    let tmp = dir.join(format!(".{name}.tmp"));
    std::fs::write(&tmp, bytes)
        .map_err(|e| Error::Internal(format!("write {}: {e}", tmp.display())))?;
    std::fs::rename(&tmp, dir.join(&name)).map_err(|e| Error::Internal(format!("rename: {e}")))?;
    Ok(format!("{sub}/{name}"))
}

/// Removes a stored file; a missing file is not an error.
pub fn remove(media_dir: &Path, relative: &str) {
    if let Some(p) = resolve(media_dir, relative) {
        let _ = std::fs::remove_file(p);
    }
}

/// Maps a relative media path to a file, refusing anything that could leave the directory.
pub fn resolve(media_dir: &Path, relative: &str) -> Option<PathBuf> {
    let ok = !relative.is_empty()
        && relative
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != ".." && !part.starts_with('.'))
        && relative
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-'));
    ok.then(|| media_dir.join(relative))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_pixel(w, h, image::Rgb([200, 10, 10]));
        let mut out = Cursor::new(Vec::new());
        image::DynamicImage::ImageRgb8(img)
            .write_to(&mut out, ImageFormat::Png)
            .unwrap();
        out.into_inner()
    }

    #[test]
    fn avatar_is_square_webp() {
        let out = process_avatar(&png(640, 480), 5 << 20).unwrap();
        assert_eq!(image::guess_format(&out).unwrap(), ImageFormat::WebP);
        let img = image::load_from_memory(&out).unwrap();
        assert_eq!((img.width(), img.height()), (400, 400));
    }

    #[test]
    fn rejects_non_images_and_oversize() {
        assert!(matches!(
            process_avatar(b"<svg></svg>", 5 << 20),
            Err(Error::Invalid {
                code: "avatar_invalid",
                ..
            })
        ));
        assert!(matches!(
            process_avatar(&png(10, 10), 10),
            Err(Error::Invalid {
                code: "avatar_too_large",
                ..
            })
        ));
    }

    #[test]
    fn resolve_refuses_traversal() {
        let d = Path::new("/m");
        assert!(resolve(d, "avatars/a.webp").is_some());
        assert!(resolve(d, "../etc/passwd").is_none());
        assert!(resolve(d, "avatars/.hidden").is_none());
        assert!(resolve(d, "/abs").is_none());
    }
}
