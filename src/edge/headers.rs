//! Security headers on every response, whatever produced it (a route, an extractor's
//! error, the default 404): no sniffing, no framing, no referrer leaving the site, and a
//! Content-Security-Policy — the site's own for HTML, "nothing at all" for the rest.
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, HeaderMap, HeaderValue};

use crate::settings::Settings;
use crate::web::page::csp;

/// For responses that are not pages (JSON, files, errors): nothing may load or run,
/// even if a browser is tricked into rendering one as a document.
const NOTHING: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'; sandbox";

fn set_default(headers: &mut HeaderMap, name: header::HeaderName, value: HeaderValue) {
    if !headers.contains_key(&name) {
        headers.insert(name, value);
    }
}

pub fn apply<B>(res: &mut ServiceResponse<B>, settings: &Settings) {
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html"));
    let policy = if is_html { HeaderValue::from_str(&csp(settings)).ok() } else { None };
    let headers = res.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    set_default(headers, header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    set_default(headers, header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    set_default(headers, header::CONTENT_SECURITY_POLICY, policy.unwrap_or_else(|| HeaderValue::from_static(NOTHING)));
    if settings.server.site_url.starts_with("https://") {
        set_default(headers, header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
}
