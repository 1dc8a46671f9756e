//! Thumbnails: decode an image under limits (a small file can claim to be 100,000 ×
//! 100,000 pixels), turn it upright by its EXIF orientation and shrink it.
use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

pub struct Made {
    /// The upright size of the original.
    pub width: u32,
    pub height: u32,
    pub thumb: Vec<u8>,
    pub thumb_type: &'static str,
    pub thumb_width: u32,
    pub thumb_height: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("{width}×{height} pixels is over the limit of {max} pixels")]
    TooManyPixels { width: u32, height: u32, max: u64 },
    #[error("not a decodable image: {0}")]
    Undecodable(String),
}

fn undecodable(e: impl std::fmt::Display) -> Refused {
    Refused::Undecodable(e.to_string())
}

fn reader(bytes: &[u8]) -> Result<ImageReader<Cursor<&[u8]>>, Refused> {
    ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(undecodable)
}

/// Decodes `bytes` and makes a thumbnail that fits in `max_px` × `max_px`.
pub fn make(bytes: &[u8], max_px: u32, max_pixels: u64) -> Result<Made, Refused> {
    // The header alone first: a refused image still gets its claimed size recorded.
    let (w, h) = reader(bytes)?.into_dimensions().map_err(undecodable)?;
    if u64::from(w) * u64::from(h) > max_pixels {
        return Err(Refused::TooManyPixels { width: w, height: h, max: max_pixels });
    }
    let mut reader = reader(bytes)?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(u32::try_from(max_pixels).unwrap_or(u32::MAX).min(65_535));
    limits.max_image_height = limits.max_image_width;
    // RGBA at 8 bits plus one working copy.
    limits.max_alloc = Some(max_pixels.saturating_mul(8));
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(undecodable)?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(undecodable)?;
    img.apply_orientation(orientation);
    // A picture already within the box keeps its size (thumbnail() would enlarge it).
    let small =
        if img.width() <= max_px && img.height() <= max_px { img.clone() } else { img.thumbnail(max_px, max_px) };
    let mut out = Vec::new();
    let thumb_type = if small.color().has_alpha() {
        small.write_to(&mut Cursor::new(&mut out), ImageFormat::Png).map_err(undecodable)?;
        "image/png"
    } else {
        JpegEncoder::new_with_quality(&mut out, 82).encode_image(&small.to_rgb8()).map_err(undecodable)?;
        "image/jpeg"
    };
    Ok(Made {
        width: img.width(),
        height: img.height(),
        thumb: out,
        thumb_type,
        thumb_width: small.width(),
        thumb_height: small.height(),
    })
}
