//! The web client's pages: the chat screen at `/` (an HTML shell; app.js does the rest
//! over the REST API and the WebSocket), its script and stylesheets, embedded in the
//! binary. Every page carries a Content-Security-Policy that allows no inline script.
use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use askama::Template;

use crate::auth::current_user::page_user;
use crate::error::AppResult;
use crate::state::AppState;

/// Scripts only from this origin and never inline; images also as data:/blob: URLs
/// (previews of files about to be uploaded); sockets back to this origin.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
                       connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; form-action 'self'; \
                       frame-ancestors 'none'";

struct Asset {
    body: &'static str,
    content_type: &'static str,
}

const APP_JS: Asset =
    Asset { body: include_str!("../../static/app.js"), content_type: "text/javascript; charset=utf-8" };
const APP_CSS: Asset = Asset { body: include_str!("../../static/app.css"), content_type: "text/css; charset=utf-8" };
const PAGE_CSS: Asset =
    Asset { body: include_str!("../../static/parley.css"), content_type: "text/css; charset=utf-8" };

/// An HTML page with the security headers every page gets.
pub fn html(status: actix_web::http::StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
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
    Ok(html(actix_web::http::StatusCode::OK, page))
}

/// Revalidated on every load (an ETag of the content makes that a 304), so a new
/// server version's client is picked up at the next reload.
fn asset(req: &HttpRequest, asset: &Asset) -> HttpResponse {
    let tag = format!("\"{:016x}\"", fnv1a(asset.body.as_bytes()));
    let fresh = req.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(tag.as_str());
    let mut res = if fresh { HttpResponse::NotModified() } else { HttpResponse::Ok() };
    res.content_type(asset.content_type)
        .insert_header((header::ETAG, tag))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    if fresh {
        res.finish()
    } else {
        res.body(asset.body)
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3))
}

#[get("/static/app.js")]
pub async fn app_js(req: HttpRequest) -> HttpResponse {
    asset(&req, &APP_JS)
}

#[get("/static/app.css")]
pub async fn app_css(req: HttpRequest) -> HttpResponse {
    asset(&req, &APP_CSS)
}

#[get("/static/parley.css")]
pub async fn stylesheet(req: HttpRequest) -> HttpResponse {
    asset(&req, &PAGE_CSS)
}
