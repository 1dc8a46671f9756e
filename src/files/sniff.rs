//! What a file really is, judged from its first bytes, and how it may be served.
//! The client's claimed type is never used: an HTML page named `cat.png` stays HTML.
use actix_web::http::header::{Charset, ContentDisposition, DispositionParam, DispositionType, ExtendedValue};

/// How many leading bytes the sniffers look at.
pub const HEAD_BYTES: usize = 8192;

const INLINE_SAFE: [&str; 4] = ["image/png", "image/jpeg", "image/gif", "image/webp"];

/// The content type of a file that starts with `head`.
pub fn content_type(head: &[u8]) -> String {
    if let Some(kind) = infer::get(head) {
        let mime = kind.mime_type();
        // infer calls anything starting with `<?xml` XML, SVG included.
        if mime != "text/xml" && mime != "application/xml" {
            return mime.to_owned();
        }
    }
    if looks_like_text(head) {
        return markup_type(head).unwrap_or("text/plain").to_owned();
    }
    "application/octet-stream".to_owned()
}

fn looks_like_text(head: &[u8]) -> bool {
    if head.is_empty() || head.contains(&0) {
        return head.is_empty();
    }
    match std::str::from_utf8(head) {
        Ok(_) => true,
        // Cut in the middle of a character at the end of the sniffed window.
        Err(e) => e.error_len().is_none() && head.len() - e.valid_up_to() < 4,
    }
}

/// Markup a browser would render or run: SVG and HTML (XML generally).
fn markup_type(head: &[u8]) -> Option<&'static str> {
    let text = String::from_utf8_lossy(head).to_ascii_lowercase();
    if text.contains("<svg") {
        return Some("image/svg+xml");
    }
    const HTML_MARKERS: [&str; 8] = ["<!doctype html", "<html", "<head", "<body", "<script", "<iframe", "<img", "<a "];
    if HTML_MARKERS.iter().any(|m| text.contains(m)) {
        return Some("text/html");
    }
    if text.trim_start_matches('\u{feff}').trim_start().starts_with("<?xml") {
        return Some("application/xml");
    }
    None
}

/// Raster images every browser decodes safely: the only types shown inline.
pub fn inline_safe(content_type: &str) -> bool {
    INLINE_SAFE.contains(&content_type)
}

/// Images Parley makes thumbnails of.
pub fn thumbnailable(content_type: &str) -> bool {
    inline_safe(content_type)
}

/// The type a download is labelled with: anything a browser might render as a
/// document or run (HTML, SVG, XML, scripts) goes out as opaque bytes.
pub fn served_type(content_type: &str) -> String {
    if inline_safe(content_type) {
        return content_type.to_owned();
    }
    match content_type {
        "text/plain" => "text/plain; charset=utf-8".to_owned(),
        t if t.starts_with("text/") || t.contains("xml") || t.contains("javascript") || t.contains("html") => {
            "application/octet-stream".to_owned()
        }
        t => t.to_owned(),
    }
}

/// A name safe to store and show: no directories, control or direction-override
/// characters, nothing a file system reserves; at most 200 characters, keeping the extension.
pub fn sanitize_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .map(|c| {
            let bidi = matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
            if c.is_control() || bidi || matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*') {
                '_'
            } else {
                c
            }
        })
        .collect();
    let trimmed = cleaned.trim().trim_matches('.').trim();
    if trimmed.is_empty() {
        return "file".to_owned();
    }
    const MAX: usize = 200;
    if trimmed.chars().count() <= MAX {
        return trimmed.to_owned();
    }
    let ext = trimmed.rsplit_once('.').map(|(_, e)| e).filter(|e| e.chars().count() <= 16).unwrap_or_default();
    let keep = MAX - ext.chars().count() - usize::from(!ext.is_empty());
    let stem: String = trimmed.chars().take(keep).collect();
    if ext.is_empty() {
        stem
    } else {
        format!("{stem}.{ext}")
    }
}

/// `Content-Disposition` with an ASCII fallback name and the exact UTF-8 name (RFC 6266).
pub fn disposition(name: &str, inline: bool) -> String {
    let ascii: String = name.chars().map(|c| if c.is_ascii() && !c.is_ascii_control() { c } else { '_' }).collect();
    ContentDisposition {
        disposition: if inline { DispositionType::Inline } else { DispositionType::Attachment },
        parameters: vec![
            DispositionParam::Filename(ascii),
            DispositionParam::FilenameExt(ExtendedValue {
                charset: Charset::Ext("UTF-8".into()),
                language_tag: None,
                value: name.as_bytes().to_vec(),
            }),
        ],
    }
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_from_bytes_not_names() {
        assert_eq!(content_type(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), "image/png");
        assert_eq!(content_type(b"<!DOCTYPE html><script>alert(1)</script>"), "text/html");
        assert_eq!(content_type(b"<?xml version=\"1.0\"?><svg onload=\"alert(1)\"/>"), "image/svg+xml");
        assert_eq!(content_type(b"  <svg xmlns='http://www.w3.org/2000/svg'></svg>"), "image/svg+xml");
        assert_eq!(content_type("plain words, ünïcödé".as_bytes()), "text/plain");
        assert_eq!(content_type(b"\x00\x01\x02\x03binary"), "application/octet-stream");
        assert_eq!(content_type(b"%PDF-1.7\n"), "application/pdf");
    }

    #[test]
    fn only_safe_rasters_go_inline_and_markup_is_opaque() {
        assert!(inline_safe("image/png") && inline_safe("image/webp"));
        assert!(!inline_safe("image/svg+xml") && !inline_safe("text/html"));
        assert_eq!(served_type("text/html"), "application/octet-stream");
        assert_eq!(served_type("image/svg+xml"), "application/octet-stream");
        assert_eq!(served_type("application/pdf"), "application/pdf");
    }

    #[test]
    fn names_are_sanitised() {
        assert_eq!(sanitize_name("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_name("C:\\Users\\me\\report.pdf"), "report.pdf");
        assert_eq!(sanitize_name("evil\u{202e}gpj.exe"), "evil_gpj.exe");
        assert_eq!(sanitize_name("  ...  "), "file");
        assert_eq!(sanitize_name("a<b>:c\"d|e?f*.txt"), "a_b__c_d_e_f_.txt");
        let long = format!("{}.jpeg", "x".repeat(500));
        let cut = sanitize_name(&long);
        assert_eq!(cut.chars().count(), 200);
        assert!(cut.ends_with(".jpeg"));
    }

    #[test]
    fn disposition_carries_both_names() {
        let d = disposition("résumé \"final\".pdf", false);
        assert!(d.starts_with("attachment; "), "{d}");
        assert!(d.contains("filename*=UTF-8''r%C3%A9sum%C3%A9"), "{d}");
    }
}
