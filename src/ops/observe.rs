//! Middleware: a request id on every response (`x-request-id`), a tracing span per
//! request, request count and latency metrics, and internal errors logged with the id.
use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};
use tracing::Instrument;
use uuid::Uuid;

#[derive(Clone, Debug)]
pub struct RequestId(pub String);

pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let id = Uuid::now_v7().to_string();
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = req.method().to_string();
    let span = tracing::info_span!("request", request_id = %id, method = %method, path = %req.path());
    let start = Instant::now();
    // Handler and extractor errors arrive here as responses; an Err is a failure
    // inside the middleware stack itself and is passed on as it is.
    let mut res = next.call(req).instrument(span.clone()).await?.map_into_boxed_body();
    let status = res.status();
    if status.is_server_error() {
        if let Some(err) = res.response().error() {
            tracing::error!(parent: &span, error = ?err, status = status.as_u16(), "request failed");
        }
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID_HEADER, v);
    }
    let route = res.request().match_pattern().unwrap_or_else(|| "unmatched".to_owned());
    let labels = [("method", method), ("route", route), ("status", status.as_u16().to_string())];
    metrics::counter!("parley_http_requests_total", &labels).increment(1);
    metrics::histogram!("parley_http_request_duration_seconds", &labels).record(start.elapsed().as_secs_f64());
    Ok(res)
}
