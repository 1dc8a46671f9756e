//! What every page shares: its Content-Security-Policy (no inline script anywhere), the
//! HTML response with its headers, and redirects.
use actix_web::http::header;
use actix_web::HttpResponse;

use crate::settings::{FileBackend, S3Settings, Settings};
use crate::state::AppState;

/// Scripts only from this origin and never inline; images also as data:/blob: URLs
/// (previews of files about to be uploaded) and, with S3 storage, from the store that
/// the signed download links point to; sockets back to this origin.
pub fn csp(settings: &Settings) -> String {
    let store = match settings.files.backend {
        FileBackend::S3 => format!(" {}", store_origin(&settings.files.s3)),
        FileBackend::Local => String::new(),
    };
    // 'self' covers this origin's WebSocket in CSP 3 browsers; the site URL's ws(s)
    // origin is named too for the ones that only match http(s) with 'self'.
    let socket = settings.site_origin().replacen("http", "ws", 1);
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:{store}; \
         connect-src 'self' {socket}; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// Where signed links point: the bucket's own host unless the store is addressed by
/// path (then the endpoint itself), so the policy admits this bucket, not all of S3.
fn store_origin(s3: &S3Settings) -> String {
    let endpoint = if s3.endpoint.is_empty() {
        format!("https://s3.{}.amazonaws.com", s3.region)
    } else {
        origin_of(s3.endpoint.trim_end_matches('/')).to_owned()
    };
    if s3.path_style {
        return endpoint;
    }
    match endpoint.find("://") {
        Some(i) => format!("{}{}.{}", &endpoint[..i + 3], s3.bucket, &endpoint[i + 3..]),
        None => format!("{}.{endpoint}", s3.bucket),
    }
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(j) => &url[..after_scheme + j],
        None => url,
    }
}

/// An HTML page, never cached (the edge adds the headers every response gets).
pub fn html(state: &AppState, status: actix_web::http::StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, csp(&state.settings)))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

/// 303 to a path this server built. A target that is not a valid header value (it
/// cannot be, from `next_path::local`) goes home rather than failing.
pub fn redirect(to: &str) -> HttpResponse {
    let to = header::HeaderValue::from_str(to).unwrap_or(header::HeaderValue::from_static("/"));
    HttpResponse::SeeOther().insert_header((header::LOCATION, to)).finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_from_the_s3_store_are_allowed_and_nothing_inline() {
        let mut s = Settings::defaults().unwrap();
        assert!(csp(&s).contains("img-src 'self' data: blob:;"));
        s.files.backend = FileBackend::S3;
        s.files.s3.endpoint = "https://files.example.net:9000/".into();
        s.files.s3.bucket = "chat".into();
        s.files.s3.path_style = true;
        assert!(csp(&s).contains("img-src 'self' data: blob: https://files.example.net:9000;"));
        s.files.s3.path_style = false;
        assert!(csp(&s).contains("img-src 'self' data: blob: https://chat.files.example.net:9000;"));
        s.files.s3.endpoint = String::new();
        s.files.s3.region = "eu-west-1".into();
        assert!(csp(&s).contains("img-src 'self' data: blob: https://chat.s3.eu-west-1.amazonaws.com;"));
        assert!(!csp(&s).contains("unsafe"));
        s.server.site_url = "https://chat.example.com/parley/".into();
        assert!(csp(&s).contains("connect-src 'self' wss://chat.example.com;"), "{}", csp(&s));
    }
}
