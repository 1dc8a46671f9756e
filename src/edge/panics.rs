//! A handler that panics answers 500 `internal_error` like any other failure, instead of
//! taking the connection down without an answer (actix-web does not catch panics: the
//! client would see the socket close, and a keep-alive connection's next request lost).
use std::panic::AssertUnwindSafe;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::Error;
use futures_util::FutureExt;

use crate::error::AppError;

pub async fn catch(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    // Not a clone of the request: routing needs to hold it alone.
    let (method, path) = (req.method().clone(), req.path().to_owned());
    match AssertUnwindSafe(next.call(req)).catch_unwind().await {
        Ok(answer) => answer.map(ServiceResponse::map_into_boxed_body),
        Err(_) => {
            tracing::error!(%method, path, "a request handler panicked");
            // An error from a service is answered with its response by the dispatcher.
            Err(AppError::Internal(anyhow::anyhow!("a request handler panicked")).into())
        }
    }
}
