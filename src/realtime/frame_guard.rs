//! Size limits enforced from each WebSocket frame's header as the bytes arrive.
//!
//! The codec underneath (actix-http's frame parser, driven by actix-ws) checks a
//! frame's length only once the whole frame is buffered: a header declaring 2^62 bytes
//! followed by a stream of data is held in memory until the socket times out, before
//! the client has even authenticated. This guard sits between the connection and the
//! codec, reads only the headers (the bytes pass through untouched), and fails the
//! stream the moment a header declares too much, so the session closes with 1009.
use std::cell::Cell;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use bytes::Bytes;
use futures_util::Stream;

/// The longest header: 2 bytes, an 8-byte extended length and a 4-byte mask.
const MAX_HEADER: usize = 14;
/// RFC 6455 §5.5: control frames carry at most 125 bytes.
const MAX_CONTROL: u64 = 125;
const OP_CONTINUATION: u8 = 0x0;

#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Largest single frame.
    pub frame: u64,
    /// Largest message assembled from a frame and its continuations.
    pub message: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Violation {
    FrameTooLarge,
    MessageTooLarge,
    ControlTooLarge,
}

struct Header {
    fin: bool,
    opcode: u8,
    len: u64,
}

/// `None` until the bytes hold a whole header.
fn parse_header(b: &[u8]) -> Option<Header> {
    let (first, second) = (*b.first()?, *b.get(1)?);
    let masked = second & 0x80 != 0;
    let (ext, short) = match second & 0x7f {
        126 => (2, None),
        127 => (8, None),
        n => (0, Some(u64::from(n))),
    };
    let total = 2 + ext + if masked { 4 } else { 0 };
    if b.len() < total {
        return None;
    }
    let len = short.unwrap_or_else(|| b[2..2 + ext].iter().fold(0u64, |acc, &x| (acc << 8) | u64::from(x)));
    Some(Header { fin: first & 0x80 != 0, opcode: first & 0x0f, len })
}

/// Follows frame boundaries through the byte stream.
pub struct FrameTracker {
    limits: Limits,
    header: [u8; MAX_HEADER],
    header_len: usize,
    /// Payload bytes of the current frame still to pass.
    remaining: u64,
    /// Bytes so far of a fragmented message in progress.
    message_so_far: Option<u64>,
}

impl FrameTracker {
    pub fn new(limits: Limits) -> Self {
        Self { limits, header: [0; MAX_HEADER], header_len: 0, remaining: 0, message_so_far: None }
    }

    pub fn feed(&mut self, mut bytes: &[u8]) -> Result<(), Violation> {
        while !bytes.is_empty() {
            if self.remaining > 0 {
                let n = usize::try_from(self.remaining).map_or(bytes.len(), |r| r.min(bytes.len()));
                self.remaining -= n as u64;
                bytes = &bytes[n..];
                continue;
            }
            self.header[self.header_len] = bytes[0];
            self.header_len += 1;
            bytes = &bytes[1..];
            if let Some(h) = parse_header(&self.header[..self.header_len]) {
                self.header_len = 0;
                self.check(&h)?;
                self.remaining = h.len;
            }
        }
        Ok(())
    }

    fn check(&mut self, h: &Header) -> Result<(), Violation> {
        if h.opcode & 0x8 != 0 {
            return if h.len > MAX_CONTROL { Err(Violation::ControlTooLarge) } else { Ok(()) };
        }
        if h.len > self.limits.frame {
            return Err(Violation::FrameTooLarge);
        }
        let so_far = if h.opcode == OP_CONTINUATION { self.message_so_far.unwrap_or(0) } else { 0 };
        let total = so_far.saturating_add(h.len);
        if total > self.limits.message {
            return Err(Violation::MessageTooLarge);
        }
        self.message_so_far = if h.fin { None } else { Some(total) };
        Ok(())
    }
}

/// The connection's bytes, passed on unchanged until a header breaks a limit; then an
/// error (and `tripped` says why the stream failed).
pub struct GuardedPayload {
    inner: Payload,
    tracker: FrameTracker,
    tripped: Rc<Cell<Option<Violation>>>,
}

impl GuardedPayload {
    pub fn new(inner: Payload, limits: Limits) -> (Self, Rc<Cell<Option<Violation>>>) {
        let tripped = Rc::new(Cell::new(None));
        (Self { inner, tracker: FrameTracker::new(limits), tripped: tripped.clone() }, tripped)
    }
}

impl Stream for GuardedPayload {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.tripped.get().is_some() {
            return Poll::Ready(None);
        }
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(bytes))) => match this.tracker.feed(&bytes) {
                Ok(()) => Poll::Ready(Some(Ok(bytes))),
                Err(v) => {
                    this.tripped.set(Some(v));
                    Poll::Ready(Some(Err(PayloadError::Overflow)))
                }
            },
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits { frame: 1000, message: 2500 };

    fn frame(fin: bool, opcode: u8, len: u64) -> Vec<u8> {
        let mut f = vec![(u8::from(fin) << 7) | opcode];
        match len {
            0..=125 => f.push(0x80 | len as u8),
            126..=0xffff => {
                f.push(0x80 | 126);
                f.extend_from_slice(&(len as u16).to_be_bytes());
            }
            _ => {
                f.push(0x80 | 127);
                f.extend_from_slice(&len.to_be_bytes());
            }
        }
        f.extend_from_slice(&[1, 2, 3, 4]);
        f.extend(std::iter::repeat_n(b'x', len.min(4096) as usize));
        f
    }

    #[test]
    fn frames_within_limits_pass_even_when_split_byte_by_byte() {
        let mut t = FrameTracker::new(LIMITS);
        let mut stream = frame(true, 1, 10);
        stream.extend(frame(true, 1, 1000));
        stream.extend(frame(true, 9, 125));
        stream.extend(frame(false, 1, 1000));
        stream.extend(frame(false, 0, 1000));
        stream.extend(frame(true, 10, 0));
        stream.extend(frame(true, 0, 500));
        for b in &stream {
            assert_eq!(t.feed(std::slice::from_ref(b)), Ok(()));
        }
        assert_eq!(t.feed(&frame(true, 1, 5)), Ok(()));
    }

    #[test]
    fn an_oversized_header_is_refused_before_its_payload() {
        let mut t = FrameTracker::new(LIMITS);
        let mut header = frame(true, 1, 1 << 62);
        header.truncate(14);
        assert_eq!(t.feed(&header[..13]), Ok(()), "incomplete header: nothing to judge yet");
        assert_eq!(t.feed(&header[13..]), Err(Violation::FrameTooLarge));
        let mut t = FrameTracker::new(LIMITS);
        assert_eq!(t.feed(&frame(true, 2, 1001)[..8]), Err(Violation::FrameTooLarge));
    }

    #[test]
    fn fragmented_messages_are_bounded_in_total() {
        let mut t = FrameTracker::new(LIMITS);
        assert_eq!(t.feed(&frame(false, 1, 1000)), Ok(()));
        assert_eq!(t.feed(&frame(false, 0, 1000)), Ok(()));
        assert_eq!(t.feed(&frame(true, 9, 4)), Ok(()), "a ping may interleave");
        assert_eq!(t.feed(&frame(false, 0, 501)[..8]), Err(Violation::MessageTooLarge));
    }

    #[test]
    fn control_frames_longer_than_125_are_refused() {
        let mut t = FrameTracker::new(LIMITS);
        assert_eq!(t.feed(&frame(true, 9, 126)[..8]), Err(Violation::ControlTooLarge));
    }
}
