//! The web client's pages: the chat screen at `/` (an HTML shell; app.js does the rest
//! over the REST API and the WebSocket), its script and stylesheets, embedded in the
//! binary. Every page carries a Content-Security-Policy that allows no inline script.
use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use askama::Template;

use super::client_assets;
use crate::auth::current_user::page_user;
use crate::error::{AppError, AppResult};
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

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// An HTML page with the security headers every page gets.
pub fn html(state: &AppState, status: actix_web::http::StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, csp(&state.settings)))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "same-origin"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

pub fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, to)).finish()
}

#[derive(Template)]
#[template(path = "app.html")]
struct AppPage {
    site_name: String,
}

/// The chat screen for the signed-in; everyone else signs in first.
#[get("/")]
pub async fn home(state: web::Data<AppState>, req: HttpRequest) -> AppResult<HttpResponse> {
    if page_user(&state, &req).await?.is_none() {
        return Ok(redirect("/login"));
    }
    let page = AppPage { site_name: "Parley".into() }.render().map_err(anyhow::Error::from)?;
    Ok(html(&state, actix_web::http::StatusCode::OK, page))
}

/// Revalidated on every load (an ETag of the content makes that a 304), so a new
/// server version's client is picked up at the next reload.
fn asset(req: &HttpRequest, body: &'static str, content_type: &'static str) -> HttpResponse {
    let tag = format!("\"{:016x}\"", fnv1a(body.as_bytes()));
    let fresh = req.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(tag.as_str());
    let mut res = if fresh { HttpResponse::NotModified() } else { HttpResponse::Ok() };
    res.content_type(content_type)
        .insert_header((header::ETAG, tag))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    if fresh {
        res.finish()
    } else {
        res.body(body)
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3))
}

/// The client's ES modules (and theme.js, the one classic script).
#[get("/static/js/{name}")]
pub async fn client_module(req: HttpRequest, name: web::Path<String>) -> AppResult<HttpResponse> {
    let body = client_assets::module(&name).ok_or(AppError::NotFound("file"))?;
    Ok(asset(&req, body, JS))
}

#[get("/static/app.css")]
pub async fn app_css(req: HttpRequest) -> HttpResponse {
    asset(&req, client_assets::APP_CSS, CSS)
}

#[get("/static/parley.css")]
pub async fn stylesheet(req: HttpRequest) -> HttpResponse {
    asset(&req, client_assets::PAGE_CSS, CSS)
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
