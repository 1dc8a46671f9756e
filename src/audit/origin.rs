//! Where the request being served came from, for the audit log: the edge guard sets it
//! around each request and `audit::record` reads it, so no service has to carry the
//! address and client along. Work spawned off the request (jobs) has none.
use std::future::Future;
use std::net::IpAddr;

use actix_web::http::header::HeaderValue;

#[derive(Clone)]
pub struct RequestOrigin {
    /// The client's address (see auth::client_ip for proxies).
    pub ip: IpAddr,
    /// Its User-Agent, as sent.
    pub client: Option<HeaderValue>,
}

tokio::task_local! {
    static ORIGIN: RequestOrigin;
}

/// Runs `work` (a request's handling) with `origin` as the current request's.
pub async fn scope<F: Future>(origin: RequestOrigin, work: F) -> F::Output {
    ORIGIN.scope(origin, work).await
}

pub fn current() -> Option<RequestOrigin> {
    ORIGIN.try_with(Clone::clone).ok()
}
