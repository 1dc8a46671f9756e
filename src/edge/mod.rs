//! The edge: what every connection and request passes before a route sees it —
//! connection accounting (a cap per address, the drain on shutdown), body timeouts, one
//! text rule for request strings, and the security headers on every response.
pub mod body;
pub mod connections;
pub mod control_chars;
pub mod guard;
pub mod headers;
pub mod panics;
pub mod request_rate;

use std::pin::Pin;

use actix_web::error::PayloadError;
use bytes::Bytes;
use futures_util::Stream;

/// A request body stream, as actix's payload type takes it.
pub type BoxedStream = Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>>;
