//! What a file really is, judged from its first bytes, and how it may be served.
//! The client's claimed type is never used: an HTML page named `cat.png` stays HTML.

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

/// Characters that draw nothing (zero-width spaces and joiners, word joiner, BOM, soft
/// hyphen) and so can hide part of a name.
fn invisible(c: char) -> bool {
    matches!(c, '\u{00ad}' | '\u{180e}' | '\u{200b}'..='\u{200d}' | '\u{2060}'..='\u{2064}' | '\u{feff}')
}

/// Characters that reorder the text after them ("evil\u{202e}gpj.exe" shows as "evilexe.jpg").
fn reorders(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Characters that look like a path separator or that file systems refuse.
fn reserved(c: char) -> bool {
    matches!(
        c,
        '<' | '>' | ':' | '"' | '|' | '?' | '*' | '\u{ff0f}' | '\u{ff3c}' | '\u{2215}' | '\u{2044}' | '\u{29f8}'
    )
}

/// Device names Windows will not open as files, with or without an extension.
fn windows_device(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or_default().trim_end().to_ascii_uppercase();
    matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$")
        || ((stem.starts_with("COM") || stem.starts_with("LPT"))
            && stem.len() == 4
            && stem[3..].chars().all(|c| c.is_ascii_digit() || matches!(c, '¹' | '²' | '³')))
}

/// The longest name in bytes (what ext4, NTFS and most others allow).
const MAX_NAME_BYTES: usize = 255;
/// An extension is kept through shortening when it is this short.
const MAX_EXT_BYTES: usize = 16;

/// A name safe to store, show and save on any system: no directories, no control,
/// invisible or reordering characters, nothing a file system reserves, no device name,
/// at most 255 bytes with its extension kept.
pub fn sanitize_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| !invisible(*c))
        .map(|c| if c.is_control() || reorders(c) || reserved(c) { '_' } else { c })
        .collect();
    let trimmed = cleaned.trim().trim_matches('.').trim();
    if trimmed.is_empty() {
        return "file".to_owned();
    }
    let name = if windows_device(trimmed) { format!("_{trimmed}") } else { trimmed.to_owned() };
    if name.len() <= MAX_NAME_BYTES {
        return name;
    }
    let ext = name.rsplit_once('.').map(|(_, e)| e).filter(|e| e.len() <= MAX_EXT_BYTES).unwrap_or_default();
    let room = MAX_NAME_BYTES - ext.len() - usize::from(!ext.is_empty());
    let mut stem = String::new();
    for c in name.chars() {
        if stem.len() + c.len_utf8() > room {
            break;
        }
        stem.push(c);
    }
    if ext.is_empty() {
        stem
    } else {
        format!("{stem}.{ext}")
    }
}

/// RFC 8187 `attr-char`: what may stand unencoded in an extended parameter value.
fn attr_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b)
}

/// `Content-Disposition` with an ASCII fallback name and the exact UTF-8 name (RFC 6266),
/// the latter percent-encoded as RFC 8187 says (everything but `attr-char`).
pub fn disposition(name: &str, inline: bool) -> String {
    let fallback: String = name
        .chars()
        .map(|c| if c.is_ascii() && !c.is_ascii_control() && c != '"' && c != '\\' { c } else { '_' })
        .collect();
    let mut encoded = String::with_capacity(name.len() * 3);
    for &b in name.as_bytes() {
        if attr_char(b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    let kind = if inline { "inline" } else { "attachment" };
    format!("{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
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
        assert_eq!(cut.len(), 255);
        assert!(cut.ends_with(".jpeg"));
        let wide = sanitize_name(&format!("{}.pdf", "報".repeat(90)));
        assert!(wide.len() <= 255 && wide.ends_with(".pdf"), "{} bytes", wide.len());
        assert!(wide.trim_end_matches(".pdf").chars().all(|c| c == '報'), "cut on a character boundary");
    }

    #[test]
    fn names_that_trick_the_eye_or_the_file_system_are_defused() {
        for (raw, want) in [
            ("CON", "_CON"),
            ("com1.jpg", "_com1.jpg"),
            ("LPT9.txt", "_LPT9.txt"),
            ("nul .tar.gz", "_nul .tar.gz"),
            ("console.log", "console.log"),
            ("com10.txt", "com10.txt"),
            ("pay\u{200b}roll.xlsx", "payroll.xlsx"),
            ("a\u{feff}b\u{2060}c.txt", "abc.txt"),
            ("..\u{ff0f}etc\u{ff0f}passwd", "_etc_passwd"),
            ("x\u{2215}y.png", "x_y.png"),
            ("evil\u{2066}gpj.exe", "evil_gpj.exe"),
        ] {
            assert_eq!(sanitize_name(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn disposition_carries_both_names() {
        let d = disposition("résumé \"final\".pdf", false);
        assert!(d.starts_with("attachment; "), "{d}");
        assert!(d.contains("filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22.pdf"), "{d}");
        assert!(d.contains("filename=\"r_sum_ _final_.pdf\""), "{d}");
        let d = disposition("a=b;c.txt", true);
        assert_eq!(d, "inline; filename=\"a=b;c.txt\"; filename*=UTF-8''a%3Db%3Bc.txt");
    }
}
