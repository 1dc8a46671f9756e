//! Request bodies as they arrive: cut off when the client stops sending (an idle
//! timeout, and for everything but uploads a total one), and checked for control
//! characters on the way (JSON and form bodies). A fault is recorded where the
//! extractors' error handlers find it, so the client gets 408 or 422, not a vague 400.
use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::mime;
use actix_web::{HttpMessage, HttpRequest};
use bytes::Bytes;
use futures_util::Stream;
use tokio::time::{sleep, Instant, Sleep};

use super::control_chars::{ControlChar, FormScanner, JsonScanner};
use crate::error::AppError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyFault {
    /// No bytes for the idle timeout, or the whole body took longer than allowed.
    TimedOut,
    Control(ControlChar),
}

impl BodyFault {
    pub fn into_error(self, field: &'static str) -> AppError {
        match self {
            Self::TimedOut => AppError::RequestTimeout,
            Self::Control(c) => AppError::invalid(field, c.to_string()),
        }
    }
}

/// Where a request's body fault is recorded (a request extension).
#[derive(Clone, Default)]
pub struct FaultSlot(Rc<Cell<Option<BodyFault>>>);

/// The fault that ended this request's body, if one did.
pub fn fault(req: &HttpRequest) -> Option<BodyFault> {
    req.extensions().get::<FaultSlot>().and_then(|s| s.0.get())
}

pub enum Scanner {
    None,
    Json(JsonScanner),
    Form(FormScanner),
}

impl Scanner {
    /// The scanner for a request's content type: JSON and forms carry text fields;
    /// uploads carry file bytes (their names are checked by the file rules).
    pub fn for_request(req: &impl HttpMessage) -> Self {
        match req.mime_type() {
            Ok(Some(m)) if m.subtype() == mime::JSON || m.suffix() == Some(mime::JSON) => {
                Self::Json(JsonScanner::default())
            }
            Ok(Some(m)) if m.subtype() == mime::WWW_FORM_URLENCODED => Self::Form(FormScanner::default()),
            _ => Self::None,
        }
    }

    fn feed(&mut self, bytes: &[u8]) -> Result<(), ControlChar> {
        match self {
            Self::None => Ok(()),
            Self::Json(s) => s.feed(bytes),
            Self::Form(s) => s.feed(bytes),
        }
    }
}

pub struct GuardedBody {
    inner: Payload,
    scanner: Scanner,
    idle: Duration,
    idle_timer: Pin<Box<Sleep>>,
    /// The idle timer runs only while the handler is waiting for bytes.
    waiting: bool,
    deadline: Option<Pin<Box<Sleep>>>,
    slot: FaultSlot,
}

impl GuardedBody {
    /// Wraps `inner`; the returned slot goes into the request's extensions.
    pub fn new(inner: Payload, scanner: Scanner, idle: Duration, total: Option<Duration>) -> (Self, FaultSlot) {
        let slot = FaultSlot::default();
        let body = Self {
            inner,
            scanner,
            idle,
            idle_timer: Box::pin(sleep(idle)),
            waiting: false,
            deadline: total.map(|t| Box::pin(sleep(t))),
            slot: slot.clone(),
        };
        (body, slot)
    }

    fn fail(&mut self, fault: BodyFault) -> Poll<Option<Result<Bytes, PayloadError>>> {
        self.slot.0.set(Some(fault));
        let kind = match fault {
            BodyFault::TimedOut => std::io::ErrorKind::TimedOut,
            BodyFault::Control(_) => std::io::ErrorKind::InvalidData,
        };
        Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(kind, "request body refused")))))
    }
}

impl Stream for GuardedBody {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.slot.0.get().is_some() {
            return Poll::Ready(None);
        }
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(bytes))) => {
                this.waiting = false;
                match this.scanner.feed(&bytes) {
                    Ok(()) => Poll::Ready(Some(Ok(bytes))),
                    Err(c) => this.fail(BodyFault::Control(c)),
                }
            }
            Poll::Ready(other) => Poll::Ready(other),
            Poll::Pending => {
                if !this.waiting {
                    this.waiting = true;
                    let idle = this.idle;
                    this.idle_timer.as_mut().reset(Instant::now() + idle);
                }
                let idle_over = this.idle_timer.as_mut().poll(cx).is_ready();
                let total_over = this.deadline.as_mut().is_some_and(|d| d.as_mut().poll(cx).is_ready());
                if idle_over || total_over {
                    return this.fail(BodyFault::TimedOut);
                }
                Poll::Pending
            }
        }
    }
}

/// Why `collect` gave up on a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unread {
    /// Refused on the way in (a control character, too slow) or broken off.
    Refused,
    TooLarge,
}

/// A whole body, for routes that answer in a format of their own (the Slack API's
/// envelope, a provider's back-channel) rather than with the extractors' errors.
pub async fn collect(mut payload: actix_web::web::Payload, limit: usize) -> Result<Bytes, Unread> {
    use futures_util::StreamExt;
    let mut body = bytes::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| Unread::Refused)?;
        if body.len() + chunk.len() > limit {
            return Err(Unread::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}
